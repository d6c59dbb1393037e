//! Reminders from time and the projection, in Asia/Shanghai calendar days: the 24-hour first
//! response (24小时复命) due within 4 hours and overdue; the deadline in 3 days or fewer, today
//! and overdue; the periodic feedback due today and late.
//!
//! [`occasions`] is a pure function of one projected item and "now". Each occasion's key names
//! the instant it is about (`reminder_deadline_today:<deadline ms>`), so it is produced once per
//! item and occasion however often the job runs and however many processes run it; an item
//! whose deadline is extended gets its reminders again for the new deadline. Occasions are
//! exclusive in time (a deadline is "soon", "today" or "overdue"), so a job that missed a day
//! does not send yesterday's reminder late.
//!
//! [`run_once`] reads the open items that may have an occasion and writes their events;
//! [`spawn`] runs it every minute. Tests call [`run_once`] with the instant they want.

use std::time::Duration;

use chrono::TimeDelta;
use duyan_shared::derived::{DUE_SOON_DAYS, FIRST_RESPONSE_WITHIN};
use duyan_shared::time::Timestamp;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::store::{self, Subject};
use super::{Event, EventKind};

/// How long before the 24-hour first response is due its reminder comes.
pub const RESPONSE_WARNING: TimeDelta = TimeDelta::hours(4);

/// What the reminders of one item are computed from: its projected row.
#[derive(Debug, Clone, Default)]
pub struct Due {
    pub handlers: Vec<String>,
    pub supervisors: Vec<String>,
    pub assigned_at: Option<i64>,
    pub progress_count: i32,
    pub deadline: Option<i64>,
    pub feedback_due: Option<i64>,
}

/// The reminders due for an open item at `now`.
pub fn occasions(item: &Due, now: Timestamp) -> Vec<Event> {
    let mut out = Vec::new();
    let now_ms = now.millis();
    let both = || {
        let mut people = item.handlers.clone();
        people.extend(item.supervisors.iter().cloned());
        people
    };
    if let (Some(assigned), 0) = (item.assigned_at, item.progress_count) {
        let due = assigned.saturating_add(FIRST_RESPONSE_WITHIN.num_milliseconds());
        if now_ms > due {
            out.push(reminder(
                EventKind::ResponseOverdue,
                assigned,
                both(),
                format!("24小时复命已超时（应于 {} 前），请尽快反馈", hm(due)),
            ));
        } else if now_ms >= due - RESPONSE_WARNING.num_milliseconds() {
            out.push(reminder(
                EventKind::ResponseDueSoon,
                assigned,
                item.handlers.clone(),
                format!("24小时复命将于 {} 到期，请及时反馈进展", hm(due)),
            ));
        }
    }
    if let Some(deadline) = item.deadline.and_then(Timestamp::from_millis) {
        let days = (deadline.local_date() - now.local_date()).num_days();
        let date = deadline.local().format("%Y-%m-%d");
        if deadline.millis() < now_ms {
            out.push(reminder(
                EventKind::DeadlineOverdue,
                deadline.millis(),
                both(),
                format!("已超过办理期限（{date}）"),
            ));
        } else if days == 0 {
            out.push(reminder(
                EventKind::DeadlineToday,
                deadline.millis(),
                item.handlers.clone(),
                format!("今日到期（{}）", hm(deadline.millis())),
            ));
        } else if (1..=DUE_SOON_DAYS).contains(&days) {
            out.push(reminder(
                EventKind::DeadlineSoon,
                deadline.millis(),
                item.handlers.clone(),
                format!("距办理期限还有 {days} 天（{date}）"),
            ));
        }
    }
    if let Some(due) = item.feedback_due.and_then(Timestamp::from_millis) {
        if due.millis() < now_ms {
            out.push(reminder(
                EventKind::FeedbackLate,
                due.millis(),
                both(),
                format!(
                    "定期反馈已逾期（应于 {} 前）",
                    due.local().format("%m-%d %H:%M")
                ),
            ));
        } else if due.local_date() == now.local_date() {
            out.push(reminder(
                EventKind::FeedbackDue,
                due.millis(),
                item.handlers.clone(),
                format!("今日应报送定期反馈（{} 前）", hm(due.millis())),
            ));
        }
    }
    out
}

fn reminder(kind: EventKind, about: i64, people: Vec<String>, text: String) -> Event {
    let mut recipients: Vec<String> = Vec::with_capacity(people.len());
    for person in people {
        if !recipients.contains(&person) {
            recipients.push(person);
        }
    }
    Event {
        kind,
        key: format!("{}:{about}", kind.as_str()),
        actor: None,
        recipients,
        text,
    }
}

/// `HH:MM` in Asia/Shanghai.
fn hm(millis: i64) -> String {
    Timestamp::from_millis(millis)
        .map(|t| t.local().format("%H:%M").to_string())
        .unwrap_or_default()
}

/// Writes the reminders due at `now` for every open item that may have one. Returns how many
/// were new.
pub async fn run_once(pool: &PgPool, now: Timestamp) -> Result<u64, sqlx::Error> {
    // Only items with something within reach: a deadline within the next 4 calendar days (or
    // past), a report due by tomorrow, or no progress yet. Past occasions stay in the set;
    // their keys exist, so writing them again is a no-op.
    let horizon = now.millis() + TimeDelta::days(DUE_SOON_DAYS + 1).num_milliseconds();
    let rows = sqlx::query!(
        r#"select id, title, doc_no, lead_unit, co_units, handlers, supervisors,
                  (extract(epoch from assigned_at) * 1000)::int8 as assigned_at,
                  progress_count,
                  (extract(epoch from deadline) * 1000)::int8 as deadline,
                  (extract(epoch from feedback_due) * 1000)::int8 as feedback_due
           from records
           where kind = 'duban' and is_open
             and (deadline < 'epoch'::timestamptz + $1::int8 * interval '1 millisecond'
                  or feedback_due < 'epoch'::timestamptz + $1::int8 * interval '1 millisecond'
                  or (progress_count = 0 and assigned_at is not null))"#,
        horizon
    )
    .fetch_all(pool)
    .await?;
    let mut new = 0;
    for row in rows {
        let due = Due {
            handlers: row.handlers,
            supervisors: row.supervisors,
            assigned_at: row.assigned_at,
            progress_count: row.progress_count,
            deadline: row.deadline,
            feedback_due: row.feedback_due,
        };
        let events = occasions(&due, now);
        if events.is_empty() {
            continue;
        }
        let mut units: Vec<String> = row.lead_unit.into_iter().collect();
        units.extend(row.co_units);
        let subject = Subject {
            record_id: row.id,
            record_kind: "duban",
            title: row.title.unwrap_or_default(),
            doc_no: row.doc_no,
            deadline: row.deadline,
            units,
        };
        let mut tx = pool.begin().await?;
        new += store::insert(&mut tx, &subject, &events).await?;
        tx.commit().await?;
    }
    Ok(new)
}

/// Runs [`run_once`] and the daily digest's [`super::digest::run_once`] every `every` until
/// shutdown.
pub fn spawn(pool: PgPool, every: Duration, shutdown: CancellationToken, tracker: &TaskTracker) {
    tracker.spawn(async move {
        loop {
            let now = super::now();
            if let Err(error) = run_once(&pool, now).await {
                tracing::warn!(%error, "reminders: could not write this round; retrying later");
            }
            if let Err(error) = super::digest::run_once(&pool, now).await {
                tracing::warn!(%error, "digest: could not write this round; retrying later");
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = shutdown.cancelled() => break,
            }
        }
    });
}
