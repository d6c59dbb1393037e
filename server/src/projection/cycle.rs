//! The projection's columns for the office's cycle (migration `0015_cycle.sql`): written
//! beside the row's own upsert, in the same transaction, so the long upsert of `records`
//! stays as it was.

use sqlx::PgConnection;

use super::row::Cycle;

/// Writes the cycle's columns of row `id` (which the caller has just upserted) and its 批示.
pub(super) async fn write(
    conn: &mut PgConnection,
    id: &str,
    cycle: &Cycle,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"update records set
               parent = $2, progress_percent = $3,
               returned_ats = array(select 'epoch'::timestamptz + at * interval '1 millisecond'
                                    from unnest($4::int8[]) as r(at) order by at),
               rating = $5,
               evaluated_at = 'epoch'::timestamptz + $6::int8 * interval '1 millisecond',
               source_record = $7, source_entry = $8
           where id = $1"#,
        id,
        cycle.parent,
        cycle.progress_percent,
        &cycle.returned_ats,
        cycle.rating,
        cycle.evaluated_at,
        cycle.source_record,
        cycle.source_entry,
    )
    .execute(&mut *conn)
    .await?;
    // Entries are append-only, but a withdrawn or restored entry may disappear: the table
    // follows the document exactly.
    let ids: Vec<String> = cycle
        .instructions
        .iter()
        .map(|i| i.entry_id.clone())
        .collect();
    sqlx::query!(
        "delete from record_instructions where record_id = $1 and entry_id <> all($2::text[])",
        id,
        &ids
    )
    .execute(&mut *conn)
    .await?;
    if !ids.is_empty() {
        let ats: Vec<i64> = cycle.instructions.iter().map(|i| i.at).collect();
        let by: Vec<String> = cycle.instructions.iter().map(|i| i.by.clone()).collect();
        let texts: Vec<String> = cycle.instructions.iter().map(|i| i.text.clone()).collect();
        sqlx::query!(
            r#"insert into record_instructions (record_id, entry_id, at, by_user, text)
               select $1, e, 'epoch'::timestamptz + a * interval '1 millisecond', b, t
               from unnest($2::text[], $3::int8[], $4::text[], $5::text[]) as i(e, a, b, t)
               on conflict (record_id, entry_id) do update
                   set at = excluded.at, by_user = excluded.by_user, text = excluded.text"#,
            id,
            &ids,
            &ats,
            &by,
            &texts,
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Removes what [`write`] wrote for a record that is gone.
pub(super) async fn forget(conn: &mut PgConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("delete from record_instructions where record_id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}
