//! Web Push delivery (`push_outbox`): one message per event and subscribed device of each
//! addressee whose preferences let the kind through, queued with the event
//! ([`super::store::insert`]) and sent like the robots' outbox: a worker claims a due message
//! with `for update skip locked`, holds the row lock while it sends, and commits the outcome.
//!
//! Quiet hours are applied when a message comes due, not when it is queued, so a user who sets
//! them later is covered too: inside them the message's `next_at` moves to their end, without
//! counting an attempt, and it goes out then. A kind muted after queuing is dropped then. A push
//! service answering 404 or 410 has forgotten the subscription; it is deleted (its messages go
//! with it).

use std::sync::Arc;
use std::time::Duration;

use duyan_shared::time::Timestamp;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::clock::{parse_hm, quiet_until};
use super::target::{self, Guard};
use super::webpush::{self, Vapid};
use super::{EventKind, record_path};

/// How long a push service keeps an undelivered message for an offline device.
const TTL_SECONDS: u32 = 24 * 3600;

/// What one delivery attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// Nothing was due.
    Idle,
    Sent,
    /// Held for quiet hours until the given instant.
    Held(Timestamp),
    Failed,
    /// Muted by the user, or the subscription is gone.
    Dropped,
}

/// The Web Push sender.
#[derive(Clone)]
pub struct Pusher {
    pool: PgPool,
    client: reqwest::Client,
    vapid: Arc<Vapid>,
    allow_private: bool,
    max_attempts: i32,
}

impl Pusher {
    pub fn new(pool: PgPool, vapid: Arc<Vapid>, allow_private: bool) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(Guard { allow_private }))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("duyan-notify")
            .build()?;
        Ok(Self {
            pool,
            client,
            vapid,
            allow_private,
            max_attempts: 10,
        })
    }

    /// Starts one worker; it stops at shutdown after the message in hand.
    pub fn spawn(&self, shutdown: CancellationToken, tracker: &TaskTracker) {
        let pusher = self.clone();
        tracker.spawn(async move {
            while !shutdown.is_cancelled() {
                let idle = match pusher.deliver_one(super::now()).await {
                    Ok(done) => done == Delivered::Idle,
                    Err(error) => {
                        tracing::warn!(%error, "push: cannot read or update the outbox");
                        true
                    }
                };
                if idle {
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(500)) => {}
                        () = shutdown.cancelled() => break,
                    }
                }
            }
        });
    }

    /// Claims one message due at `now`, and sends, holds or drops it.
    pub async fn deliver_one(&self, now: Timestamp) -> Result<Delivered, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let Some(row) = sqlx::query!(
            r#"select p.id, p.key, p.attempts, s.id as subscription_id, s.endpoint, s.p256dh,
                      s.auth, e.kind, e.record_id, e.record_kind, e.title, e.text,
                      n.quiet_from as "quiet_from?", n.quiet_to as "quiet_to?",
                      coalesce(e.kind = any(n.muted), false) as "muted!"
               from push_outbox p
               join push_subscriptions s on s.id = p.subscription_id
               join notify_events e on e.id = p.event_id
               left join notify_preferences n on n.user_id = s.user_id
               where p.status = 'pending'
                 and p.next_at <= 'epoch'::timestamptz + $1::int8 * interval '1 millisecond'
               order by p.next_at, p.id
               limit 1
               for update of p skip locked"#,
            now.millis()
        )
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(Delivered::Idle);
        };
        if row.muted {
            finish(&mut tx, row.id, "failed", Some("muted by the user")).await?;
            tx.commit().await?;
            return Ok(Delivered::Dropped);
        }
        let quiet = match (row.quiet_from.as_deref(), row.quiet_to.as_deref()) {
            (Some(from), Some(to)) => parse_hm(from)
                .zip(parse_hm(to))
                .and_then(|(from, to)| quiet_until(from, to, now)),
            _ => None,
        };
        if let Some(until) = quiet {
            sqlx::query!(
                "update push_outbox
                 set next_at = 'epoch'::timestamptz + $2::int8 * interval '1 millisecond'
                 where id = $1",
                row.id,
                until.millis()
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(Delivered::Held(until));
        }
        let label = EventKind::parse(&row.kind).map_or(row.kind.as_str(), |k| k.label());
        let payload = serde_json::json!({
            "title": format!("【{label}】{}", row.title),
            "body": row.text,
            "url": record_path(&row.record_kind, &row.record_id),
            "tag": row.key,
        });
        let attempts = row.attempts + 1;
        let outcome = self
            .send(&row.endpoint, &row.p256dh, &row.auth, &row.key, &payload)
            .await;
        let done = match outcome {
            Ok(()) => {
                finish(&mut tx, row.id, "sent", None).await?;
                Delivered::Sent
            }
            Err(Failure::Gone) => {
                sqlx::query!(
                    "delete from push_subscriptions where id = $1",
                    row.subscription_id
                )
                .execute(&mut *tx)
                .await?;
                Delivered::Dropped
            }
            Err(Failure::Retry(reason)) => {
                let give_up = attempts >= self.max_attempts;
                let backoff_ms: i64 = (5_000_i64 << (attempts - 1).clamp(0, 20)).min(3_600_000);
                sqlx::query!(
                    "update push_outbox
                     set attempts = $2, last_error = $3,
                         status = case when $4 then 'failed' else 'pending' end,
                         next_at = now() + $5::int8 * interval '1 millisecond'
                     where id = $1",
                    row.id,
                    attempts,
                    reason,
                    give_up,
                    backoff_ms
                )
                .execute(&mut *tx)
                .await?;
                tracing::warn!(message = row.id, attempt = attempts, %reason, "push: delivery failed");
                Delivered::Failed
            }
        };
        tx.commit().await?;
        Ok(done)
    }

    async fn send(
        &self,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
        key: &str,
        payload: &serde_json::Value,
    ) -> Result<(), Failure> {
        let url = target::check_url(endpoint, self.allow_private)
            .map_err(|e| Failure::Retry(e.to_string()))?;
        let (ua_public, auth) =
            webpush::subscription_keys(p256dh, auth).map_err(|_| Failure::Gone)?;
        let body = webpush::encrypt(&ua_public, &auth, payload.to_string().as_bytes())
            .map_err(|e| Failure::Retry(e.to_string()))?;
        let expires = super::now().millis() / 1000 + 12 * 3600;
        let response = self
            .client
            .post(url.clone())
            .header("authorization", self.vapid.authorization(&url, expires))
            .header("content-encoding", "aes128gcm")
            .header("content-type", "application/octet-stream")
            .header("ttl", TTL_SECONDS.to_string())
            .header("urgency", "normal")
            // Lets a push service collapse repeats of one message to a device that was offline.
            .header("topic", topic(key))
            .body(body)
            .send()
            .await
            .map_err(|e| Failure::Retry(format!("request failed: {}", e.without_url())))?;
        match response.status().as_u16() {
            200..=299 => Ok(()),
            404 | 410 => Err(Failure::Gone),
            status => Err(Failure::Retry(format!("HTTP {status}"))),
        }
    }
}

enum Failure {
    /// The push service no longer knows the subscription.
    Gone,
    Retry(String),
}

/// The `Topic` header: at most 32 URL-safe base64 characters (RFC 8030), from the key.
fn topic(key: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(key.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..24])
}

async fn finish(
    conn: &mut sqlx::PgConnection,
    id: i64,
    status: &str,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update push_outbox
         set status = $2, last_error = $3, attempts = attempts + 1,
             sent_at = case when $2 = 'sent' then now() end
         where id = $1",
        id,
        status,
        error
    )
    .execute(conn)
    .await?;
    Ok(())
}
