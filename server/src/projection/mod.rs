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
/// (`record_photos`) change in the same transaction, so a photo is never briefly unreferenced
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
    let mut tx = pool.begin().await?;
    match Row::of(view) {
        Some(row) => {
            upsert(&mut tx, &id, &row).await?;
            cycle::write(&mut tx, &id, &row.cycle).await?;
            set_photos(&mut tx, &id, &row.photos).await?;
            note_references(&mut tx, &id, references).await?;
            if let (false, Content::Record(record)) = (events.is_empty(), &view.content) {
                notify::store::insert(&mut tx, &Subject::of(&id, record), events).await?;
            }
        }
        None => {
            sqlx::query!("delete from records where id = $1", id)
                .execute(&mut *tx)
                .await?;
            set_photos(&mut tx, &id, &[]).await?;
            cycle::forget(&mut tx, &id).await?;
        }
    }
    tx.commit().await
}

/// Makes `photos` the photos record `id` references. Only what changed is written: a
/// reference removed starts the photo's 30 days of grace (a trigger notes when), so an
/// unchanged reference must not be deleted and inserted again.
async fn set_photos(
    conn: &mut PgConnection,
    id: &str,
    photos: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "delete from record_photos where record_id = $1 and sha256 <> all($2::text[])",
        id,
        photos
    )
    .execute(&mut *conn)
    .await?;
    if !photos.is_empty() {
        sqlx::query!(
            "insert into record_photos (record_id, sha256) select $1, unnest($2::text[])
             on conflict do nothing",
            id,
            photos
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
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

async fn upsert(conn: &mut PgConnection, id: &str, row: &Row) -> Result<(), sqlx::Error> {
    // Instants travel as milliseconds since the epoch (the records' own unit) and become
    // timestamptz here, exactly: integer arithmetic, no floating point.
    sqlx::query!(
        r#"insert into records (
               id, kind, title, status, is_open, level, urgency, is_major, lead_unit, co_units,
               handlers, supervisors, created_by, owner, research_lead, research_members,
               research_unit, created_at, assigned_at, deadline, closed_at, feedback_cycle,
               last_feedback, attention_at, progress_count, urge_count, review_count,
               extension_count, instruction_count, site_check_count, visit_count, finding_count,
               search, damaged, doc_no, feedback_due, progress_ats, updated_at)
           values (
               $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
               'epoch'::timestamptz + $18::int8 * interval '1 millisecond',
               'epoch'::timestamptz + $19::int8 * interval '1 millisecond',
               'epoch'::timestamptz + $20::int8 * interval '1 millisecond',
               'epoch'::timestamptz + $21::int8 * interval '1 millisecond',
               $22,
               'epoch'::timestamptz + $23::int8 * interval '1 millisecond',
               'epoch'::timestamptz + $24::int8 * interval '1 millisecond',
               $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35,
               'epoch'::timestamptz + $36::int8 * interval '1 millisecond',
               array(select 'epoch'::timestamptz + at * interval '1 millisecond'
                     from unnest($37::int8[]) with ordinality as p(at, n) order by n),
               now())
           on conflict (id) do update set
               kind = excluded.kind, title = excluded.title, status = excluded.status,
               is_open = excluded.is_open, level = excluded.level, urgency = excluded.urgency,
               is_major = excluded.is_major, lead_unit = excluded.lead_unit,
               co_units = excluded.co_units, handlers = excluded.handlers,
               supervisors = excluded.supervisors, created_by = excluded.created_by,
               owner = excluded.owner, research_lead = excluded.research_lead,
               research_members = excluded.research_members,
               research_unit = excluded.research_unit, created_at = excluded.created_at,
               assigned_at = excluded.assigned_at, deadline = excluded.deadline,
               closed_at = excluded.closed_at, feedback_cycle = excluded.feedback_cycle,
               last_feedback = excluded.last_feedback, attention_at = excluded.attention_at,
               progress_count = excluded.progress_count, urge_count = excluded.urge_count,
               review_count = excluded.review_count,
               extension_count = excluded.extension_count,
               instruction_count = excluded.instruction_count,
               site_check_count = excluded.site_check_count,
               visit_count = excluded.visit_count, finding_count = excluded.finding_count,
               search = excluded.search, damaged = excluded.damaged,
               doc_no = excluded.doc_no, feedback_due = excluded.feedback_due,
               progress_ats = excluded.progress_ats, updated_at = now()"#,
        id,
        row.kind,
        row.title,
        row.status,
        row.is_open,
        row.level,
        row.urgency,
        row.is_major,
        row.lead_unit,
        &row.co_units,
        &row.handlers,
        &row.supervisors,
        row.created_by,
        row.owner,
        row.research_lead,
        &row.research_members,
        row.research_unit,
        row.created_at,
        row.assigned_at,
        row.deadline,
        row.closed_at,
        row.feedback_cycle,
        row.last_feedback,
        row.attention_at,
        row.counts.progress,
        row.counts.urges,
        row.counts.reviews,
        row.counts.extensions,
        row.counts.instructions,
        row.counts.site_checks,
        row.counts.visits,
        row.counts.findings,
        row.search,
        row.damaged,
        row.doc_no,
        row.feedback_due,
        &row.progress_ats,
    )
    .execute(conn)
    .await?;
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
