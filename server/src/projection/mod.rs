//! The projection: a queryable copy of every record in the `records` table, for lists,
//! filters and search that would otherwise mean loading every document.
//!
//! The documents are the truth; a row is a function of one document's [`View`] ([`Row::of`]).
//! [`PgProjector`] writes it after every stored change (the document task calls it, see
//! [`crate::sync::Projector`]); [`reindex`] rebuilds the whole table from the stored
//! documents (`duyan reindex`), which is how a missed update (a failed write, a crash between
//! storing and projecting) or a change of the projection's shape is repaired.
//!
//! Lights are not stored, since they depend on "now". The row holds what they are computed
//! from, so the list query computes them exactly for any instant (see `api::list`).
//!
//! With each row go the photos its record references (`record_photos`, written in the same
//! transaction): which photos are still in use (`crate::blobs`) and, with who referenced each
//! and whether that grants the record's readers the photo, who may read it
//! (`crate::access::photos`).

mod cycle;
pub mod row;
pub mod search;
mod write;

use std::sync::Arc;

use automerge::Automerge;
use duyan_shared::DocumentId;
use futures_util::future::BoxFuture;
use sqlx::{PgConnection, PgPool};

pub use row::Row;

use crate::access::photos::Reference;
use crate::access::{Content, View};
use crate::notify::{self, Event, store::Subject};
use crate::storage::DocStore;
use crate::storage::postgres::PgStore;
use crate::sync::{Projector, Reviewed};

/// Writes the projection to PostgreSQL.
#[derive(Clone)]
pub struct PgProjector {
    pool: PgPool,
    /// Where closed meetings with dispositions to apply are reported (`crate::meetings`).
    closed_meetings: Option<tokio::sync::mpsc::Sender<DocumentId>>,
}

impl PgProjector {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            closed_meetings: None,
        }
    }

    /// Reports every projected meeting that is closed with dispositions to apply to `tx`.
    pub fn with_closed_meetings(mut self, tx: tokio::sync::mpsc::Sender<DocumentId>) -> Self {
        self.closed_meetings = Some(tx);
        self
    }
}

impl Projector for PgProjector {
    fn project<'a>(
        &'a self,
        id: DocumentId,
        view: &'a View,
        reviewed: Reviewed,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            // The changes are stored already; a stale row is repaired by `duyan reindex`, so
            // a failure here is logged and sync goes on (its events are lost with it: they
            // are made from the change, which reindexing does not replay).
            let Reviewed { events, references } = reviewed;
            if let Err(error) = project_with(&self.pool, id, view, &events, &references).await {
                tracing::error!(doc = %id, %error, "cannot update the projection; run `duyan reindex`");
            }
            if let Some(tx) = &self.closed_meetings
                && crate::meetings::has_pending(view)
                && tx.try_send(id).is_err()
            {
                tracing::warn!(meeting = %id, "the meeting applier is busy; applied at next start");
            }
        })
    }
}

/// Brings the row of document `id` in line with `view`: upserted when the document holds a
/// record or is damaged, deleted when it holds nothing (those are not listed). Its photos
/// (`record_photos`) change in the same statement, so a photo is never briefly unreferenced
/// by a record that still shows it.
pub async fn project(pool: &PgPool, id: DocumentId, view: &View) -> Result<(), sqlx::Error> {
    project_with(pool, id, view, &[], &[]).await
}

/// [`project`], writing the events of the change that led to `view` in the same transaction
/// (`crate::notify`), so an event exists exactly when the row it concerns shows its cause, and
/// the photo references the change made in its author's name.
pub async fn project_with(
    pool: &PgPool,
    id: DocumentId,
    view: &View,
    events: &[Event],
    references: &[Reference],
) -> Result<(), sqlx::Error> {
    let id = id.to_string();
    let Some(row) = Row::of(view) else {
        let mut tx = pool.begin().await?;
        sqlx::query!("delete from records where id = $1", id)
            .execute(&mut *tx)
            .await?;
        sqlx::query!("delete from record_photos where record_id = $1", id)
            .execute(&mut *tx)
            .await?;
        cycle::forget(&mut tx, &id).await?;
        return tx.commit().await;
    };
    let subject = match (events.is_empty(), &view.content) {
        (false, Content::Record(record)) => Some(Subject::of(&id, record)),
        _ => None,
    };
    if subject.is_none() && references.is_empty() {
        // Most changes: one statement, atomic on its own, one round trip (BENCHMARKS.md,
        // "Server CPU per record": the six statements of a transaction cost more than the row).
        let mut conn = pool.acquire().await?;
        return write::row(&mut conn, &id, &row).await;
    }
    let mut tx = pool.begin().await?;
    write::row(&mut tx, &id, &row).await?;
    note_references(&mut tx, &id, references).await?;
    if let Some(subject) = subject {
        notify::store::insert(&mut tx, &subject, events).await?;
    }
    tx.commit().await
}

/// Notes who referenced which photo of record `id` and whether that grants the record's
/// readers the photo: whether the author may read it at this moment (`may_read_blob`). A
/// reference the record no longer holds is skipped; one already noted keeps its author unless
/// it did not grant and this one does.
async fn note_references(
    conn: &mut PgConnection,
    id: &str,
    references: &[Reference],
) -> Result<(), sqlx::Error> {
    for reference in references {
        let by = &reference.by;
        sqlx::query!(
            "update record_photos
             set referenced_by = $3, granted = may_read_blob($3, $4, $5, $2)
             where record_id = $1 and sha256 = $2
               and (referenced_by is null
                    or (not granted and may_read_blob($3, $4, $5, $2)))",
            id,
            reference.sha256,
            by.id,
            by.reads_all,
            &by.units,
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// What [`reindex`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reindexed {
    /// Documents read.
    pub documents: usize,
    /// Rows written (records and damaged documents).
    pub rows: usize,
    /// Rows removed because their document is gone or holds nothing.
    pub removed: u64,
}

/// Rebuilds the projection from the stored documents: each is loaded as the document task
/// loads it (snapshot, then increments, a damaged increment skipped) and projected; rows of
/// documents that no longer exist are deleted.
///
/// May run while servers run, with one race: if a document task projects a change between
/// our read of that document and our write, our older row wins until the document's next
/// change (or the next reindex). Rows carry no version to compare yet; run it when quiet to
/// be sure.
pub async fn reindex(pool: &PgPool) -> anyhow::Result<Reindexed> {
    let store = PgStore::new(pool.clone());
    let ids = sqlx::query_scalar!("select id from documents order by id")
        .fetch_all(pool)
        .await?;
    let mut done = Reindexed::default();
    for id in ids {
        let Ok(document_id) = id.parse::<DocumentId>() else {
            tracing::warn!(doc = %id, "skipping a stored document whose id is not a document id");
            continue;
        };
        let Some(stored) = store.load(document_id).await? else {
            continue;
        };
        done.documents += 1;
        let mut doc = Automerge::new();
        let view = match load_into(&mut doc, &stored) {
            Ok(()) => View::of(&doc, stored.owner.map(Arc::from)),
            Err(error) => View {
                owner: stored.owner.map(Arc::from),
                content: Content::Damaged(format!("the stored snapshot cannot be loaded: {error}")),
            },
        };
        if Row::of(&view).is_some() {
            done.rows += 1;
        }
        project(pool, document_id, &view).await?;
    }
    done.removed = sqlx::query!(
        "delete from records r where not exists (select 1 from documents d where d.id = r.id)"
    )
    .execute(pool)
    .await?
    .rows_affected();
    sqlx::query!(
        "delete from record_instructions i where not exists (select 1 from records r where r.id = i.record_id)"
    )
    .execute(pool)
    .await?;
    // References of records that are gone (`records` has no foreign keys pointing at it, so
    // it can be truncated and rebuilt; its photos are tidied here).
    sqlx::query!(
        "delete from record_photos p where not exists (select 1 from records r where r.id = p.record_id)"
    )
    .execute(pool)
    .await?;
    Ok(done)
}

/// Loads stored bytes as the document task does: a damaged increment is skipped (and logged),
/// a damaged snapshot is an error.
fn load_into(
    doc: &mut Automerge,
    stored: &crate::storage::StoredDoc,
) -> Result<(), automerge::AutomergeError> {
    if !stored.snapshot.is_empty() {
        doc.load_incremental(&stored.snapshot)?;
    }
    for increment in &stored.increments {
        if let Err(error) = doc.load_incremental(&increment.data) {
            tracing::warn!(increment = increment.id, %error, "skipping a damaged stored increment");
        }
    }
    Ok(())
}
