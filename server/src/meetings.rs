//! Closing a 会议 applies its dispositions to the items, in the chair's name, each once.
//!
//! Where: here, on the server, after the move to 已结束 is stored and projected, not on the
//! phone that closes the meeting. Two phones may close one meeting offline; the server is the
//! one place that sees the merged meeting and can make each item change exactly once.
//!
//! How:
//! - The projector ([`crate::projection::PgProjector`]) hands the id of every closed meeting
//!   with dispositions still to apply ([`has_pending`]) to the task of [`spawn`]; at start the
//!   task also looks at every closed meeting, so a restart (or a crash half way) finishes what
//!   was left.
//! - [`apply`] holds a PostgreSQL advisory lock on the meeting for the whole run, so two
//!   processes on one database never apply one meeting at once, reads the meeting as stored,
//!   and for each pending agenda entry writes the item's change with a fresh actor bound to the
//!   chair (so the item's history, `/api/records/{id}/history`, names the chair), then marks
//!   the entry in the meeting's `applied` list with another change in the chair's name.
//! - Each item change carries the message `meeting <meeting id> <agenda entry id>`. If the
//!   process dies between writing the item and marking the meeting, the next run finds the
//!   message in the item's history and only marks the meeting: exactly once, not at least once.
//! - Writes go to storage like another process's would (append, then `remote_change`, so a
//!   document loaded here merges them and tells its peers), and the process projects what it
//!   wrote, as the writer always does.
//!
//! Only a chair holding 督办员 or 领导 has dispositions applied in their name: the server writes
//! past the review, and must not do in someone's name what the rules would refuse them. An
//! agenda entry whose record is missing or not a 督办事项 is marked applied with nothing done.

use std::sync::Arc;

use automerge::{ActorId, AutoCommit, transaction::CommitOptions};
use duyan_shared::DocumentId;
use duyan_shared::records::{Applied, Meeting, Record, apply_disposition, load_document};
use duyan_shared::rules::Role;
use duyan_shared::time::Timestamp;
use sqlx::PgPool;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::access::{Content, View};
use crate::sync::hub::Hub;

/// How many closed meetings may wait for the applier; past that the projector drops the
/// notice and the next start applies them (a closed meeting is looked at again at start).
pub const QUEUE: usize = 1024;

/// Whether `view` is a closed meeting with dispositions still to apply.
pub fn has_pending(view: &View) -> bool {
    matches!(&view.content, Content::Record(Record::Meeting(m)) if !m.pending_dispositions().is_empty())
}

/// Runs the applier: every closed meeting once at start, then each meeting the projector
/// reports, one at a time.
pub fn spawn(
    pool: PgPool,
    hub: Hub,
    mut closed: mpsc::Receiver<DocumentId>,
    shutdown: CancellationToken,
    tracker: &TaskTracker,
) {
    tracker.spawn(async move {
        let ids: Vec<String> = sqlx::query_scalar(
            "select id from records where kind = 'meeting' and status = 'closed'",
        )
        .fetch_all(&pool)
        .await
        .unwrap_or_else(|error| {
            tracing::error!(%error, "cannot list closed meetings to apply");
            Vec::new()
        });
        for id in ids.iter().filter_map(|id| id.parse::<DocumentId>().ok()) {
            run(&pool, &hub, id).await;
        }
        loop {
            let id = tokio::select! {
                id = closed.recv() => id,
                () = shutdown.cancelled() => None,
            };
            let Some(id) = id else { break };
            run(&pool, &hub, id).await;
        }
    });
}

async fn run(pool: &PgPool, hub: &Hub, id: DocumentId) {
    match apply(pool, hub, id, crate::notify::now()).await {
        Ok(0) => {}
        Ok(applied) => {
            tracing::info!(meeting = %id, applied, "applied the dispositions of a closed meeting")
        }
        Err(error) => {
            tracing::error!(meeting = %id, %error, "cannot apply the dispositions of a closed meeting; retried at next start")
        }
    }
}

/// Why applying failed; logged only.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    #[error("document: {0}")]
    Document(String),
}

fn doc_error(error: impl std::fmt::Display) -> ApplyError {
    ApplyError::Document(error.to_string())
}

/// Applies the pending dispositions of meeting `id`; answers how many agenda entries it marked.
pub async fn apply(
    pool: &PgPool,
    hub: &Hub,
    id: DocumentId,
    now: Timestamp,
) -> Result<usize, ApplyError> {
    let mut lock = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("duyan meeting {id}"))
        .execute(&mut *lock)
        .await?;
    let Some((mut meeting_doc, owner)) = load(hub, id).await? else {
        return Ok(0);
    };
    let Ok(Record::Meeting(meeting)) = Record::from_doc(&meeting_doc) else {
        return Ok(0);
    };
    let pending: Vec<_> = meeting
        .pending_dispositions()
        .into_iter()
        .map(|(a, d)| (a.clone(), d.clone()))
        .collect();
    if pending.is_empty() {
        return Ok(0);
    }
    let chair = meeting.chair.clone();
    let chair_may = hub.people().borrow().person(&chair).is_some_and(|p| {
        p.roles
            .iter()
            .any(|r| matches!(r, Role::Supervisor | Role::Leader))
    });
    if !chair_may {
        tracing::warn!(meeting = %id, %chair, "the chair may not close items; dispositions not applied");
        return Ok(0);
    }
    let mut marks = Vec::new();
    for (agenda, disposition) in &pending {
        let marker = format!("meeting {id} {}", agenda.id);
        apply_one(
            hub,
            agenda.record,
            &marker,
            &meeting,
            disposition,
            &chair,
            now,
        )
        .await?;
        marks.push(Applied {
            id: agenda.id.clone(),
            at: now,
            by: chair.clone(),
            disposition_id: disposition.id.clone(),
            record: agenda.record,
        });
    }
    let mut marked: Meeting = meeting.clone();
    marked.applied.extend(marks);
    write(
        hub,
        id,
        &mut meeting_doc,
        &Record::Meeting(marked),
        &chair,
        owner,
        None,
    )
    .await?;
    lock.commit().await?;
    Ok(pending.len())
}

/// Writes one disposition into its item, unless a change with `marker` is there already.
async fn apply_one(
    hub: &Hub,
    item_id: DocumentId,
    marker: &str,
    meeting: &Meeting,
    disposition: &duyan_shared::records::Disposition,
    chair: &str,
    now: Timestamp,
) -> Result<(), ApplyError> {
    let Some((mut doc, owner)) = load(hub, item_id).await? else {
        return Ok(());
    };
    let done = doc
        .get_changes(&[])
        .iter()
        .any(|c| c.message() == Some(marker));
    if done {
        return Ok(());
    }
    let Ok(Record::Duban(mut item)) = Record::from_doc(&doc) else {
        return Ok(());
    };
    if !apply_disposition(&mut item, disposition, &meeting.title, chair, now) {
        return Ok(());
    }
    write(
        hub,
        item_id,
        &mut doc,
        &Record::Duban(item),
        chair,
        owner,
        Some(marker),
    )
    .await
}

async fn load(
    hub: &Hub,
    id: DocumentId,
) -> Result<Option<(AutoCommit, Option<Arc<str>>)>, ApplyError> {
    let Some(stored) = hub.store().load(id).await? else {
        return Ok(None);
    };
    let mut doc = load_document(&stored.snapshot).map_err(doc_error)?;
    for increment in &stored.increments {
        doc.load_incremental(&increment.data).map_err(doc_error)?;
    }
    Ok(Some((doc, stored.owner.map(Arc::from))))
}

/// Writes `record` into `doc` as one change by a fresh actor bound to `user`, stores it,
/// tells a copy loaded here, and projects it.
async fn write(
    hub: &Hub,
    id: DocumentId,
    doc: &mut AutoCommit,
    record: &Record,
    user: &str,
    owner: Option<Arc<str>>,
    message: Option<&str>,
) -> Result<(), ApplyError> {
    let heads = doc.get_heads();
    let actor = ActorId::random();
    // Bound before anything it wrote is stored, as the sync layer binds its own actor.
    hub.bind_actor(&actor, &Arc::from(user), None).await?;
    doc.set_actor(actor);
    record.write_to(doc).map_err(doc_error)?;
    // Seconds, as automerge JS stamps its changes.
    let mut options = CommitOptions::default().with_time(crate::notify::now().millis() / 1000);
    if let Some(message) = message {
        options = options.with_message(message.to_owned());
    }
    doc.commit_with(options);
    let increment = doc.save_after(&heads);
    if doc.get_heads() == heads {
        return Ok(());
    }
    hub.store().append(id, increment).await?;
    hub.remote_change(id, None);
    if let Some(projector) = hub.projector() {
        let view = View::of(doc.document(), owner);
        projector
            .project(id, &view, crate::sync::Reviewed::default())
            .await;
    }
    Ok(())
}
