//! A parent's progress rolled up from its children (工作清单), for `GET /api/records`.
//!
//! Over the children the caller may read (a child of another unit stays invisible, also in
//! the numbers): how many there are, how many are closed (已办结 / 已评价), their lights now,
//! and the mean of their progress, where a closed child counts 100 and an open child its
//! latest reported percent (0 before any). An item named as its own parent is no child.

use std::collections::HashMap;

use duyan_shared::api::Rollup;
use duyan_shared::time::Timestamp;
use sqlx::PgPool;

use crate::access::Reader;
use crate::api::ApiError;
use crate::api::scope::due_soon_before;

/// The rollups of `parents` that have readable children, by parent id.
pub async fn of(
    pool: &PgPool,
    reader: &Reader,
    parents: &[String],
    at: Timestamp,
) -> Result<HashMap<String, Rollup>, ApiError> {
    if parents.is_empty() {
        return Ok(HashMap::new());
    }
    let soon = due_soon_before(at)?;
    let rows = sqlx::query!(
        r#"select parent as "parent!", count(*) as "children!",
                  count(*) filter (where status in ('closed', 'evaluated')) as "closed!",
                  round(avg(case when status in ('closed', 'evaluated') then 100
                                 else coalesce(progress_percent, 0) end)::numeric, 1)::float8
                      as mean_progress,
                  count(*) filter (where light = 'green') as "green!",
                  count(*) filter (where light = 'yellow') as "yellow!",
                  count(*) filter (where light = 'red') as "red!"
           from (
               select r.parent, r.status, r.progress_percent,
                      record_light(r.is_open, r.deadline, r.attention_at,
                                   'epoch'::timestamptz + $5::int8 * interval '1 millisecond',
                                   'epoch'::timestamptz + $6::int8 * interval '1 millisecond')
                          as light
               from readable_records($1, $2, $3::text[]) r
               where r.kind = 'duban' and r.parent = any($4::text[]) and r.parent <> r.id
           ) c
           group by parent"#,
        reader.id,
        reader.reads_all,
        &reader.units,
        parents,
        at.millis(),
        soon.millis(),
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let rollup = Rollup {
                children: r.children,
                closed: r.closed,
                mean_progress: r.mean_progress,
                green: r.green,
                yellow: r.yellow,
                red: r.red,
            };
            (r.parent, rollup)
        })
        .collect())
}
