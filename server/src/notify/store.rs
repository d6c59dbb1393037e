//! Writing events: one `notify_events` row per key, one inbox entry per addressee, one outbox
//! message per matching channel, one push message per device of an addressee who has not muted
//! the kind, in the caller's transaction (the projection's, for events of
//! reviewed changes), all idempotent.

use duyan_shared::records::Record;
use sqlx::PgConnection;

use super::{Event, EventKind};

/// The record an event is about, as its messages name it.
#[derive(Debug, Clone)]
pub struct Subject {
    pub record_id: String,
    pub record_kind: &'static str,
    pub title: String,
    pub doc_no: Option<String>,
    /// Milliseconds since the epoch.
    pub deadline: Option<i64>,
    pub units: Vec<String>,
}

impl Subject {
    pub fn of(record_id: &str, record: &Record) -> Self {
        match record {
            Record::Duban(item) => {
                let mut units: Vec<String> = item.lead_unit.iter().cloned().collect();
                units.extend(item.co_units.iter().cloned());
                Self {
                    record_id: record_id.to_owned(),
                    record_kind: "duban",
                    title: item.title.clone(),
                    doc_no: item.doc_no.clone(),
                    deadline: item.deadline.map(|d| d.millis()),
                    units,
                }
            }
            Record::Research(research) => Self {
                record_id: record_id.to_owned(),
                record_kind: "research",
                title: research.title.clone(),
                doc_no: None,
                deadline: None,
                units: vec![research.unit.clone()],
            },
            // Named to its people only: no unit's channel hears of a meeting.
            Record::Meeting(meeting) => Self {
                record_id: record_id.to_owned(),
                record_kind: "meeting",
                title: meeting.title.clone(),
                doc_no: None,
                deadline: None,
                units: Vec::new(),
            },
        }
    }
}

/// Writes `events` about `subject`. An event whose key exists already (another process, or an
/// earlier run, wrote it) is skipped whole, inbox entries and outbox messages included. Returns
/// how many events were new.
pub async fn insert(
    conn: &mut PgConnection,
    subject: &Subject,
    events: &[Event],
) -> Result<u64, sqlx::Error> {
    let mut new = 0;
    for event in events {
        new += insert_one(conn, subject, event).await?;
    }
    Ok(new)
}

async fn insert_one(
    conn: &mut PgConnection,
    subject: &Subject,
    event: &Event,
) -> Result<u64, sqlx::Error> {
    let key = format!("{}:{}", subject.record_id, event.key);
    // The actor's display name starts the message (their id if the directory lost them).
    let row = sqlx::query!(
        r#"with e as (
               insert into notify_events
                   (key, kind, record_id, record_kind, actor, title, doc_no, deadline, units, text)
               values ($1, $2, $3, $4, $5, $6, $7,
                       'epoch'::timestamptz + $8::int8 * interval '1 millisecond', $9,
                       coalesce((select display_name from users where id = $5), $5, '') || $10)
               on conflict (key) do nothing
               returning id, kind, units
           ), i as (
               insert into inbox_entries (event_id, user_id)
               select e.id, u.id from e, users u where u.id = any($11::text[])
               on conflict do nothing
           ), o as (
               insert into notify_outbox (key, channel_id, event_id)
               select $1 || '@' || c.id, c.id, e.id from e, notify_channels c
               where c.deleted_at is null
                 and (cardinality(c.units) = 0 or c.units && e.units)
                 and (cardinality(c.events) = 0 or e.kind = any(c.events))
               on conflict (key) do nothing
           ), p as (
               insert into push_outbox (key, subscription_id, event_id)
               select $1 || '@push:' || s.id, s.id, e.id
               from e join push_subscriptions s on s.user_id = any($11::text[])
               left join notify_preferences n on n.user_id = s.user_id
               where not coalesce(e.kind = any(n.muted), false)
               on conflict (key) do nothing
           )
           select count(*) as "new!" from e"#,
        key,
        event.kind.as_str(),
        subject.record_id,
        subject.record_kind,
        event.actor,
        subject.title,
        subject.doc_no,
        subject.deadline,
        &subject.units,
        event.text,
        &event.recipients,
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(u64::try_from(row.new).unwrap_or(0))
}

/// Whether an event kind is a reminder (made from time, not from a change).
pub fn is_reminder(kind: EventKind) -> bool {
    kind.as_str().starts_with("reminder_")
}
