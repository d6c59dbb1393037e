//! The caller's own notification settings: `GET`/`PUT /api/me/notifications` (which event
//! kinds reach them outside the app, quiet hours) and their devices' Web Push subscriptions,
//! `POST`/`DELETE /api/me/push-subscriptions`.
//!
//! Preferences govern what addresses a person: Web Push. The inbox in the app shows every
//! entry regardless, and group robots (企业微信 / 钉钉 / 飞书 / webhooks) speak to a unit, so
//! their channel's own filter decides, not any member's preferences. Every route acts on the
//! caller only; another user's subscription is a 404 like one that does not exist.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::{ApiError, Json};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::notify::clock::parse_hm;
use crate::notify::{EventKind, target, webpush};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/notifications", get(read).put(write))
        .route(
            "/me/push-subscriptions",
            axum::routing::post(subscribe).delete(unsubscribe),
        )
}

/// Devices one user may have subscribed; the oldest goes when a new one comes past it.
const MAX_SUBSCRIPTIONS: i64 = 10;

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct QuietHours {
    /// `HH:MM`, Asia/Shanghai.
    from: String,
    to: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Preferences {
    /// The kinds that reach the user outside the app.
    events: Vec<String>,
    quiet_hours: Option<QuietHours>,
}

#[derive(Debug, Serialize)]
struct Kind {
    kind: &'static str,
    label: &'static str,
}

#[derive(Debug, Serialize)]
struct Settings {
    events: Vec<String>,
    quiet_hours: Option<QuietHours>,
    /// Every kind there is, with its Chinese name, for the settings screen.
    kinds: Vec<Kind>,
    /// The server's VAPID public key (the browser's `applicationServerKey`); null when the
    /// server has no Web Push.
    push_public_key: Option<String>,
}

async fn read(
    State(state): State<AppState>,
    caller: CurrentUser,
) -> Result<axum::Json<Settings>, ApiError> {
    let row = sqlx::query!(
        "select muted, quiet_from, quiet_to from notify_preferences where user_id = $1",
        caller.user.id
    )
    .fetch_optional(&state.pool)
    .await
    .map_err(ApiError::internal)?;
    let (muted, quiet_hours) = match row {
        Some(row) => (
            row.muted,
            row.quiet_from
                .zip(row.quiet_to)
                .map(|(from, to)| QuietHours { from, to }),
        ),
        None => (Vec::new(), None),
    };
    Ok(axum::Json(Settings {
        events: EventKind::ALL
            .iter()
            .filter(|k| !muted.iter().any(|m| m == k.as_str()))
            .map(|k| k.as_str().to_owned())
            .collect(),
        quiet_hours,
        kinds: EventKind::ALL
            .iter()
            .map(|k| Kind {
                kind: k.as_str(),
                label: k.label(),
            })
            .collect(),
        push_public_key: state
            .notify
            .vapid
            .as_ref()
            .map(|v| v.public_key().to_owned()),
    }))
}

async fn write(
    State(state): State<AppState>,
    caller: CurrentUser,
    Json(new): Json<Preferences>,
) -> Result<axum::Json<Settings>, ApiError> {
    let bad = |m: &'static str| ApiError::bad_request(m);
    if new.events.len() > EventKind::ALL.len() {
        return Err(bad("events lists a kind more than once"));
    }
    let mut on = Vec::new();
    for name in &new.events {
        let kind = EventKind::parse(name).ok_or_else(|| bad("events must be event kinds"))?;
        if on.contains(&kind) {
            return Err(bad("events lists a kind more than once"));
        }
        on.push(kind);
    }
    let muted: Vec<String> = EventKind::ALL
        .iter()
        .filter(|k| !on.contains(k))
        .map(|k| k.as_str().to_owned())
        .collect();
    let (from, to) = match &new.quiet_hours {
        None => (None, None),
        Some(q) => {
            let (Some(from), Some(to)) = (parse_hm(&q.from), parse_hm(&q.to)) else {
                return Err(bad("quiet hours are HH:MM"));
            };
            if from == to {
                return Err(bad("quiet hours must not start and end at the same time"));
            }
            (Some(q.from.clone()), Some(q.to.clone()))
        }
    };
    sqlx::query!(
        "insert into notify_preferences (user_id, muted, quiet_from, quiet_to)
         values ($1, $2, $3, $4)
         on conflict (user_id) do update
         set muted = $2, quiet_from = $3, quiet_to = $4, updated_at = now()",
        caller.user.id,
        &muted,
        from,
        to
    )
    .execute(&state.pool)
    .await
    .map_err(ApiError::internal)?;
    read(State(state), caller).await
}

/// A browser's `PushSubscription.toJSON()`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Subscription {
    endpoint: String,
    #[allow(dead_code)]
    expiration_time: Option<serde_json::Value>,
    keys: SubscriptionKeys,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscriptionKeys {
    p256dh: String,
    auth: String,
}

#[derive(Debug, Serialize)]
struct Subscribed {
    id: String,
}

async fn subscribe(
    State(state): State<AppState>,
    caller: CurrentUser,
    Json(sub): Json<Subscription>,
) -> Result<(StatusCode, axum::Json<Subscribed>), ApiError> {
    if state.notify.vapid.is_none() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "push_unavailable",
            "this server has no Web Push",
        ));
    }
    endpoint_allowed(&sub.endpoint, state.notify.allow_private)?;
    if sub.keys.p256dh.len() > 200 || sub.keys.auth.len() > 100 {
        return Err(ApiError::bad_request("keys are not a push subscription's"));
    }
    webpush::subscription_keys(&sub.keys.p256dh, &sub.keys.auth)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let mut tx = state.pool.begin().await.map_err(ApiError::internal)?;
    let id = sqlx::query_scalar!(
        "insert into push_subscriptions (user_id, endpoint, p256dh, auth)
         values ($1, $2, $3, $4)
         on conflict (endpoint) do update
         set user_id = $1, p256dh = $3, auth = $4, created_at = now()
         returning id",
        caller.user.id,
        sub.endpoint,
        sub.keys.p256dh,
        sub.keys.auth
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(ApiError::internal)?;
    sqlx::query!(
        "delete from push_subscriptions
         where user_id = $1 and id not in (select id from push_subscriptions where user_id = $1
                                           order by created_at desc, id desc limit $2)",
        caller.user.id,
        MAX_SUBSCRIPTIONS
    )
    .execute(&mut *tx)
    .await
    .map_err(ApiError::internal)?;
    tx.commit().await.map_err(ApiError::internal)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Subscribed { id: id.to_string() }),
    ))
}

/// Push services are on the public internet and speak HTTPS; a private or plain-HTTP one is
/// allowed only with `DUYAN_NOTIFY_ALLOW_PRIVATE` (tests).
fn endpoint_allowed(endpoint: &str, allow_private: bool) -> Result<(), ApiError> {
    match target::check_url(endpoint, allow_private) {
        Ok(url) if url.scheme() == "https" || allow_private => Ok(()),
        Ok(_) | Err(target::Refused::Invalid) => Err(ApiError::bad_request(
            "endpoint must be a push service's https URL",
        )),
        Err(target::Refused::Private) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "private_target",
            "targets in private or loopback ranges are not allowed",
        )),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Unsubscribe {
    endpoint: String,
}

async fn unsubscribe(
    State(state): State<AppState>,
    caller: CurrentUser,
    Json(sub): Json<Unsubscribe>,
) -> Result<StatusCode, ApiError> {
    let done = sqlx::query!(
        "delete from push_subscriptions where user_id = $1 and endpoint = $2",
        caller.user.id,
        sub.endpoint
    )
    .execute(&state.pool)
    .await
    .map_err(ApiError::internal)?;
    if done.rows_affected() == 0 {
        return Err(ApiError::not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}
