//! Delivery of the outbox (`notify_outbox`) to outside channels.
//!
//! A worker claims one due message with `select ... for update skip locked` and keeps that row
//! lock, in an open transaction, while it sends: no other worker of any process can claim it
//! meanwhile, and the result (sent, or the next attempt's time) is committed with the lock's
//! release. A process killed mid-send loses its connection, PostgreSQL rolls the transaction
//! back, and the message is due again for whoever polls next: nothing acknowledged is sent
//! twice (its `sent` status is committed before anyone can claim it again) and nothing is lost.
//! A message whose acknowledgement was lost in that window is sent again with the same
//! `Idempotency-Key`, which lets the receiver drop the repeat.
//!
//! Failures are retried with exponential backoff (5 s doubling, at most an hour apart) up to
//! [`OutboxConfig::max_attempts`] times; each attempt is written to `notify_deliveries`, the
//! log admins read.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::channels::{self, Message};
use super::target::{self, Guard};
use super::{EventKind, record_link};
use crate::metrics::Metrics;

/// How the outbox is sent.
#[derive(Debug, Clone)]
pub struct OutboxConfig {
    /// The web app's public address, for links in messages.
    pub public_url: String,
    /// Allow targets in private and loopback ranges (`DUYAN_NOTIFY_ALLOW_PRIVATE`).
    pub allow_private: bool,
    /// Workers per process, i.e. messages in flight at once.
    pub workers: usize,
    pub max_attempts: i32,
    /// Per request.
    pub timeout: Duration,
    /// How long an idle worker waits before looking again.
    pub poll: Duration,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".to_owned(),
            allow_private: false,
            workers: 2,
            max_attempts: 10,
            timeout: Duration::from_secs(10),
            poll: Duration::from_millis(500),
        }
    }
}

/// Counters for `/metrics` (part of [`crate::metrics::Metrics`]).
#[derive(Debug, Default)]
pub struct OutboxMetrics {
    pub sent: AtomicU64,
    pub failed_attempts: AtomicU64,
    /// Messages pending at the last look (all processes).
    pub pending: AtomicI64,
}

impl OutboxMetrics {
    pub(crate) fn render(&self, metric: &mut impl FnMut(&str, &str, &str, String)) {
        metric(
            "duyan_notify_sent_total",
            "counter",
            "Outside notifications acknowledged by their receiver.",
            self.sent.load(Relaxed).to_string(),
        );
        metric(
            "duyan_notify_failed_total",
            "counter",
            "Failed attempts at sending an outside notification.",
            self.failed_attempts.load(Relaxed).to_string(),
        );
        metric(
            "duyan_notify_pending",
            "gauge",
            "Outside notifications waiting to be sent (all processes).",
            self.pending.load(Relaxed).to_string(),
        );
    }
}

/// The outbox's sender.
#[derive(Clone)]
pub struct Outbox {
    pool: PgPool,
    client: reqwest::Client,
    config: Arc<OutboxConfig>,
    metrics: Arc<Metrics>,
}

impl Outbox {
    pub fn new(pool: PgPool, config: OutboxConfig, metrics: Arc<Metrics>) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(Guard {
                allow_private: config.allow_private,
            }))
            .timeout(config.timeout)
            // A redirect could lead anywhere, past the target check.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("duyan-notify")
            .build()?;
        Ok(Self {
            pool,
            client,
            config: Arc::new(config),
            metrics,
        })
    }

    /// Starts the workers; they stop at shutdown, each after the message in hand.
    pub fn spawn(&self, shutdown: CancellationToken, tracker: &TaskTracker) {
        for _ in 0..self.config.workers.max(1) {
            let outbox = self.clone();
            let shutdown = shutdown.clone();
            tracker.spawn(async move {
                while !shutdown.is_cancelled() {
                    let idle = match outbox.deliver_one().await {
                        Ok(sent) => !sent,
                        Err(error) => {
                            tracing::warn!(%error, "outbox: cannot read or update the outbox");
                            true
                        }
                    };
                    if idle {
                        outbox.count_pending().await;
                        tokio::select! {
                            () = tokio::time::sleep(outbox.config.poll) => {}
                            () = shutdown.cancelled() => break,
                        }
                    }
                }
            });
        }
    }

    async fn count_pending(&self) {
        if let Ok(n) = sqlx::query_scalar!(
            r#"select count(*) as "n!" from notify_outbox where status = 'pending'"#
        )
        .fetch_one(&self.pool)
        .await
        {
            self.metrics.notify.pending.store(n, Relaxed);
        }
    }

    /// Claims one due message, sends it and records the outcome. Returns whether there was one.
    pub async fn deliver_one(&self) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let Some(row) = sqlx::query!(
            r#"select o.id, o.key, o.attempts, o.digest, c.id as channel_id, c.kind, c.url,
                      c.secret,
                      e.kind as "event_kind?", e.record_id as "record_id?",
                      e.record_kind as "record_kind?", e.title as "title?", e.doc_no,
                      (extract(epoch from e.deadline) * 1000)::int8 as deadline,
                      e.text as "text?",
                      (extract(epoch from coalesce(e.at, o.created_at)) * 1000)::int8 as "at!"
               from notify_outbox o
               join notify_channels c on c.id = o.channel_id
               left join notify_events e on e.id = o.event_id
               where o.status = 'pending' and o.next_at <= now()
               order by o.next_at, o.id
               limit 1
               for update of o skip locked"#
        )
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(false);
        };
        let message = match (&row.event_kind, &row.digest) {
            (Some(kind), _) => {
                let record_id = row.record_id.clone().unwrap_or_default();
                Message {
                    id: row.key.clone(),
                    kind: kind.clone(),
                    label: EventKind::parse(kind)
                        .map_or_else(|| kind.clone(), |k| k.label().to_owned()),
                    link: record_link(
                        &self.config.public_url,
                        row.record_kind.as_deref().unwrap_or("duban"),
                        &record_id,
                    ),
                    record_id: Some(record_id),
                    title: row.title.clone().unwrap_or_default(),
                    doc_no: row.doc_no.clone(),
                    deadline: row.deadline.and_then(local_minutes),
                    text: row.text.clone().unwrap_or_default(),
                    at: row.at,
                }
            }
            (None, digest) => Message {
                id: row.key.clone(),
                kind: "digest".to_owned(),
                label: "每日汇总".to_owned(),
                record_id: None,
                title: "督办事项每日汇总".to_owned(),
                doc_no: None,
                deadline: None,
                text: digest.clone().unwrap_or_default(),
                link: self.config.public_url.trim_end_matches('/').to_owned(),
                at: row.at,
            },
        };
        let started = Instant::now();
        let outcome = self
            .send(&row.kind, &row.url, row.secret.as_deref(), &message)
            .await;
        let millis = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        let attempts = row.attempts + 1;
        match &outcome {
            Ok(status) => {
                sqlx::query!(
                    "update notify_outbox set status = 'sent', attempts = $2, sent_at = now(),
                            last_error = null
                     where id = $1",
                    row.id,
                    attempts
                )
                .execute(&mut *tx)
                .await?;
                log(
                    &mut tx,
                    row.id,
                    row.channel_id,
                    true,
                    Some(*status),
                    None,
                    millis,
                )
                .await?;
                self.metrics.notify.sent.fetch_add(1, Relaxed);
            }
            Err(failure) => {
                let give_up = attempts >= self.config.max_attempts;
                // 5 s, 10 s, 20 s, ... at most an hour.
                let backoff_ms: i64 = (5_000_i64 << (attempts - 1).clamp(0, 20)).min(3_600_000);
                sqlx::query!(
                    "update notify_outbox
                     set attempts = $2, last_error = $3,
                         status = case when $4 then 'failed' else 'pending' end,
                         next_at = now() + $5::int8 * interval '1 millisecond'
                     where id = $1",
                    row.id,
                    attempts,
                    failure.reason,
                    give_up,
                    backoff_ms
                )
                .execute(&mut *tx)
                .await?;
                log(
                    &mut tx,
                    row.id,
                    row.channel_id,
                    false,
                    failure.status,
                    Some(&failure.reason),
                    millis,
                )
                .await?;
                self.metrics.notify.failed_attempts.fetch_add(1, Relaxed);
                tracing::warn!(message = row.id, channel = row.channel_id, attempt = attempts, reason = %failure.reason, "outbox: delivery failed");
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Sends one message; `Ok` with the HTTP status when the receiver acknowledged it.
    async fn send(
        &self,
        kind: &str,
        url: &str,
        secret: Option<&str>,
        message: &Message,
    ) -> Result<i32, Failure> {
        target::check_url(url, self.config.allow_private).map_err(|e| Failure {
            status: None,
            reason: e.to_string(),
        })?;
        let request = channels::render(kind, url, secret, message, super::now().millis());
        let mut builder = self.client.post(&request.url).body(request.body);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let response = builder.send().await.map_err(|e| Failure {
            status: None,
            // Without the URL: it may hold the robot's key.
            reason: format!("request failed: {}", e.without_url()),
        })?;
        let status = i32::from(response.status().as_u16());
        let ok = response.status().is_success();
        let body = response.bytes().await.unwrap_or_default();
        if !ok {
            return Err(Failure {
                status: Some(status),
                reason: format!("HTTP {status}"),
            });
        }
        // The robots answer 200 with an error code when they refuse (bad sign, rate limit).
        if let Ok(answer) = serde_json::from_slice::<serde_json::Value>(&body) {
            for field in ["errcode", "code", "StatusCode"] {
                if let Some(code) = answer.get(field).and_then(serde_json::Value::as_i64)
                    && code != 0
                {
                    let said = answer
                        .get("errmsg")
                        .or_else(|| answer.get("msg"))
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or_default();
                    let said: String = said.chars().take(200).collect();
                    return Err(Failure {
                        status: Some(status),
                        reason: format!("refused: {field} {code} {said}"),
                    });
                }
            }
        }
        Ok(status)
    }
}

struct Failure {
    status: Option<i32>,
    reason: String,
}

async fn log(
    conn: &mut sqlx::PgConnection,
    outbox_id: i64,
    channel_id: i64,
    ok: bool,
    status: Option<i32>,
    error: Option<&str>,
    millis: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into notify_deliveries (outbox_id, channel_id, ok, http_status, error, millis)
         values ($1, $2, $3, $4, $5, $6)",
        outbox_id,
        channel_id,
        ok,
        status,
        error,
        millis
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// `YYYY-MM-DD HH:MM` in Asia/Shanghai.
fn local_minutes(millis: i64) -> Option<String> {
    duyan_shared::time::Timestamp::from_millis(millis)
        .map(|t| t.local().format("%Y-%m-%d %H:%M").to_string())
}
