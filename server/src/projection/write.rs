//! Writing one record's row: `records` with its cycle columns (migration `0015_cycle.sql`) and
//! search keys ([`super::search`]), its 批示 (`record_instructions`) and its photos
//! (`record_photos`), in one statement.
//!
//! One statement rather than a transaction of six (begin, upsert, the cycle's update, two
//! deletes, commit): a new record cost six round trips and as many executor start-ups in
//! PostgreSQL, which together cost more CPU than the row's own insert once the search index was
//! cheap (BENCHMARKS.md, "Server CPU per record"). A single statement is atomic on its own; the
//! caller wraps it in a transaction when more goes with it (events, photo references).
//!
//! The data-modifying parts all run, on one snapshot; each removes what the record no longer
//! holds and adds or updates what it does, on disjoint sets of rows, so their order does not
//! matter. Only what changed is written: a photo reference removed starts its 30 days of grace
//! (a trigger notes when), so an unchanged reference must not be deleted and inserted again,
//! and an unchanged 批示 is not rewritten.

use sqlx::PgConnection;

use super::row::Row;

/// Brings the rows of record `id` in line with `row`.
pub(super) async fn row(conn: &mut PgConnection, id: &str, row: &Row) -> Result<(), sqlx::Error> {
    let keys = super::search::keys(&row.search);
    let cycle = &row.cycle;
    let entry_ids: Vec<&str> = cycle
        .instructions
        .iter()
        .map(|i| i.entry_id.as_str())
        .collect();
    let entry_ats: Vec<i64> = cycle.instructions.iter().map(|i| i.at).collect();
    let entry_by: Vec<&str> = cycle.instructions.iter().map(|i| i.by.as_str()).collect();
    let entry_texts: Vec<&str> = cycle.instructions.iter().map(|i| i.text.as_str()).collect();
    // Instants travel as milliseconds since the epoch (the records' own unit) and become
    // timestamptz here, exactly: integer arithmetic, no floating point.
    sqlx::query!(
        r#"with upserted as (
               insert into records (
                   id, kind, title, status, is_open, level, urgency, is_major, lead_unit,
                   co_units, handlers, supervisors, created_by, owner, research_lead,
                   research_members, research_unit, created_at, assigned_at, deadline,
                   closed_at, feedback_cycle, last_feedback, attention_at, progress_count,
                   urge_count, review_count, extension_count, instruction_count,
                   site_check_count, visit_count, finding_count, search, damaged, doc_no,
                   feedback_due, progress_ats, updated_at, parent, progress_percent,
                   returned_ats, rating, evaluated_at, source_record, source_entry, search_keys)
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
                   now(), $38, $39,
                   array(select 'epoch'::timestamptz + at * interval '1 millisecond'
                         from unnest($40::int8[]) as r(at) order by at),
                   $41,
                   'epoch'::timestamptz + $42::int8 * interval '1 millisecond',
                   $43, $44, $45)
               on conflict (id) do update set
                   kind = excluded.kind, title = excluded.title, status = excluded.status,
                   is_open = excluded.is_open, level = excluded.level,
                   urgency = excluded.urgency, is_major = excluded.is_major,
                   lead_unit = excluded.lead_unit, co_units = excluded.co_units,
                   handlers = excluded.handlers, supervisors = excluded.supervisors,
                   created_by = excluded.created_by, owner = excluded.owner,
                   research_lead = excluded.research_lead,
                   research_members = excluded.research_members,
                   research_unit = excluded.research_unit, created_at = excluded.created_at,
                   assigned_at = excluded.assigned_at, deadline = excluded.deadline,
                   closed_at = excluded.closed_at, feedback_cycle = excluded.feedback_cycle,
                   last_feedback = excluded.last_feedback,
                   attention_at = excluded.attention_at,
                   progress_count = excluded.progress_count, urge_count = excluded.urge_count,
                   review_count = excluded.review_count,
                   extension_count = excluded.extension_count,
                   instruction_count = excluded.instruction_count,
                   site_check_count = excluded.site_check_count,
                   visit_count = excluded.visit_count, finding_count = excluded.finding_count,
                   search = excluded.search, damaged = excluded.damaged,
                   doc_no = excluded.doc_no, feedback_due = excluded.feedback_due,
                   progress_ats = excluded.progress_ats, updated_at = now(),
                   parent = excluded.parent, progress_percent = excluded.progress_percent,
                   returned_ats = excluded.returned_ats, rating = excluded.rating,
                   evaluated_at = excluded.evaluated_at,
                   source_record = excluded.source_record,
                   source_entry = excluded.source_entry, search_keys = excluded.search_keys),
           -- 批示 are append-only, but a withdrawn or restored entry may disappear: the table
           -- follows the document exactly.
           gone_instructions as (
               delete from record_instructions
               where record_id = $1 and entry_id <> all($46::text[])),
           instructions as (
               insert into record_instructions (record_id, entry_id, at, by_user, text)
               select $1, e, 'epoch'::timestamptz + a * interval '1 millisecond', b, t
               from unnest($46::text[], $47::int8[], $48::text[], $49::text[]) as i(e, a, b, t)
               on conflict (record_id, entry_id) do update
                   set at = excluded.at, by_user = excluded.by_user, text = excluded.text
                   where (record_instructions.at, record_instructions.by_user,
                          record_instructions.text)
                         is distinct from (excluded.at, excluded.by_user, excluded.text)),
           gone_photos as (
               delete from record_photos where record_id = $1 and sha256 <> all($50::text[]))
           insert into record_photos (record_id, sha256)
           select $1, unnest($50::text[])
           on conflict do nothing"#,
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
        cycle.parent,
        cycle.progress_percent,
        &cycle.returned_ats,
        cycle.rating,
        cycle.evaluated_at,
        cycle.source_record,
        cycle.source_entry,
        &keys,
        &entry_ids as &[&str],
        &entry_ats,
        &entry_by as &[&str],
        &entry_texts as &[&str],
        &row.photos,
    )
    .execute(conn)
    .await?;
    Ok(())
}
