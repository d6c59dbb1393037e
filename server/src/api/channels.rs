//! Outbound channels, admins only: `GET`/`POST /api/admin/channels`, `DELETE
//! /api/admin/channels/{id}`, and the delivery log `GET /api/admin/channels/{id}/deliveries`.
//!
//! A channel is a 企业微信 / 钉钉 / 飞书 group robot or a generic webhook that receives the
//! events of some units and kinds (`crate::notify`), and its units' daily digest at
//! `digest_at`. Secrets are written, never read back.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use serde::{Deserialize, Serialize};

use super::{ApiError, Json};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::notify::{EventKind, channels::KINDS, clock::parse_hm, target};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/channels", get(list).post(create))
        .route("/admin/channels/{id}", delete(remove))
        .route("/admin/channels/{id}/deliveries", get(deliveries))
}

fn admin(caller: &CurrentUser) -> Result<(), ApiError> {
    if caller
        .user
        .roles
        .contains(&duyan_shared::rules::Role::Admin)
    {
        Ok(())
    } else {
        Err(ApiError::forbidden("channels are managed by admins"))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewChannel {
    kind: String,
    name: String,
    url: String,
    secret: Option<String>,
    #[serde(default)]
    units: Vec<String>,
    #[serde(default)]
    events: Vec<String>,
    /// The daily digest's hour, `HH:MM` in Asia/Shanghai; `null` for none; absent for the
    /// server's default (`DUYAN_DIGEST_AT`, 08:30).
    #[serde(default, deserialize_with = "present")]
    digest_at: Option<Option<String>>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Debug, Serialize)]
struct Channel {
    id: String,
    kind: String,
    name: String,
    /// Without its query string, which holds the robot's key.
    url: String,
    has_secret: bool,
    units: Vec<String>,
    events: Vec<String>,
    /// The daily digest's hour (`HH:MM`, Asia/Shanghai), or none.
    digest_at: Option<String>,
    created_at: i64,
    /// Messages sent, given up and waiting.
    sent: i64,
    failed: i64,
    pending: i64,
}

async fn create(
    State(state): State<AppState>,
    caller: CurrentUser,
    Json(new): Json<NewChannel>,
) -> Result<(StatusCode, axum::Json<Channel>), ApiError> {
    admin(&caller)?;
    let bad = |m: &str| ApiError::bad_request(m.to_owned());
    if !KINDS.contains(&new.kind.as_str()) {
        return Err(bad("kind must be wecom, dingtalk, feishu or webhook"));
    }
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(bad("name must be 1 to 100 characters"));
    }
    match target::check_url(&new.url, state.notify.allow_private) {
        Ok(_) => {}
        Err(target::Refused::Private) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "private_target",
                "targets in private or loopback ranges are not allowed",
            ));
        }
        Err(target::Refused::Invalid) => return Err(bad("url must be an http(s) URL")),
    }
    if new.secret.as_ref().is_some_and(|s| s.len() > 500) {
        return Err(bad("secret is too long"));
    }
    if new.units.len() > 500 || new.units.iter().any(|u| u.is_empty() || u.len() > 100) {
        return Err(bad("units must be unit ids"));
    }
    if new.events.iter().any(|e| EventKind::parse(e).is_none()) || new.events.len() > 50 {
        return Err(bad("events must be event kinds"));
    }
    let digest_at = match new.digest_at {
        None => state
            .notify
            .digest_at
            .map(|t| t.format("%H:%M").to_string()),
        Some(None) => None,
        Some(Some(at)) => Some(
            parse_hm(&at)
                .map(|t| t.format("%H:%M").to_string())
                .ok_or_else(|| bad("digest_at must be HH:MM or null"))?,
        ),
    };
    let has_secret = new.secret.as_ref().is_some_and(|s| !s.is_empty());
    let row = sqlx::query!(
        r#"insert into notify_channels
               (kind, name, url, secret, units, events, created_by, digest_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8)
           returning id, (extract(epoch from created_at) * 1000)::int8 as "created_at!""#,
        new.kind,
        name,
        new.url,
        new.secret.filter(|s| !s.is_empty()),
        &new.units,
        &new.events,
        caller.user.id,
        digest_at
    )
    .fetch_one(&state.pool)
    .await
    .map_err(ApiError::internal)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Channel {
            id: row.id.to_string(),
            kind: new.kind,
            name: name.to_owned(),
            url: public_url(&new.url),
            has_secret,
            units: new.units,
            events: new.events,
            digest_at,
            created_at: row.created_at,
            sent: 0,
            failed: 0,
            pending: 0,
        }),
    ))
}

/// A URL without its query: robots carry their key there (`?key=`, `?access_token=`).
fn public_url(url: &str) -> String {
    url.split('?').next().unwrap_or_default().to_owned()
}

async fn list(
    State(state): State<AppState>,
    caller: CurrentUser,
) -> Result<axum::Json<Vec<Channel>>, ApiError> {
    admin(&caller)?;
    let rows = sqlx::query!(
        r#"select c.id, c.kind, c.name, c.url, c.secret is not null as "has_secret!",
                  c.units, c.events, c.digest_at, (extract(epoch from c.created_at) * 1000)::int8 as "created_at!",
                  count(*) filter (where o.status = 'sent') as "sent!",
                  count(*) filter (where o.status = 'failed') as "failed!",
                  count(*) filter (where o.status = 'pending') as "pending!"
           from notify_channels c left join notify_outbox o on o.channel_id = c.id
           where c.deleted_at is null
           group by c.id order by c.id"#
    )
    .fetch_all(&state.pool)
    .await
    .map_err(ApiError::internal)?;
    Ok(axum::Json(
        rows.into_iter()
            .map(|r| Channel {
                id: r.id.to_string(),
                kind: r.kind,
                name: r.name,
                url: public_url(&r.url),
                has_secret: r.has_secret,
                units: r.units,
                events: r.events,
                digest_at: r.digest_at,
                created_at: r.created_at,
                sent: r.sent,
                failed: r.failed,
                pending: r.pending,
            })
            .collect(),
    ))
}

/// Deletes a channel: nothing more is queued for it, and its waiting messages are given up.
/// Its delivery log stays.
async fn remove(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin(&caller)?;
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    let mut tx = state.pool.begin().await.map_err(ApiError::internal)?;
    let done = sqlx::query!(
        "update notify_channels set deleted_at = now() where id = $1 and deleted_at is null",
        id
    )
    .execute(&mut *tx)
    .await
    .map_err(ApiError::internal)?;
    if done.rows_affected() == 0 {
        return Err(ApiError::not_found());
    }
    sqlx::query!(
        "update notify_outbox set status = 'failed', last_error = 'channel deleted'
         where channel_id = $1 and status = 'pending'",
        id
    )
    .execute(&mut *tx)
    .await
    .map_err(ApiError::internal)?;
    tx.commit().await.map_err(ApiError::internal)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize)]
struct Delivery {
    id: String,
    /// The message's idempotency key.
    key: String,
    at: i64,
    ok: bool,
    http_status: Option<i32>,
    error: Option<String>,
    millis: i32,
}

/// The last 200 attempts at delivering to a channel, newest first.
async fn deliveries(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<Delivery>>, ApiError> {
    admin(&caller)?;
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    let rows = sqlx::query!(
        r#"select d.id, o.key, (extract(epoch from d.at) * 1000)::int8 as "at!", d.ok,
                  d.http_status, d.error, d.millis
           from notify_deliveries d join notify_outbox o on o.id = d.outbox_id
           where d.channel_id = $1
           order by d.id desc limit 200"#,
        id
    )
    .fetch_all(&state.pool)
    .await
    .map_err(ApiError::internal)?;
    Ok(axum::Json(
        rows.into_iter()
            .map(|r| Delivery {
                id: r.id.to_string(),
                key: r.key,
                at: r.at,
                ok: r.ok,
                http_status: r.http_status,
                error: r.error,
                millis: r.millis,
            })
            .collect(),
    ))
}
