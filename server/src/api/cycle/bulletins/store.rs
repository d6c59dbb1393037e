//! The `bulletins` table (migration 0018): a 通报 in and out of its row, who may read a draft,
//! and the published ones as the 考核 counts them.

use duyan_shared::api::{Bulletin, BulletinUnit};
use duyan_shared::assessment::{BulletinFacts, Period};
use duyan_shared::rules::Role;
use sqlx::PgPool;

use crate::api::ApiError;
use crate::directory::User;

/// Whether `user` may draft, edit and publish a 通报, and read every draft: supervisors,
/// leaders and admins.
pub fn drafts(user: &User) -> bool {
    [Role::Supervisor, Role::Leader, Role::Admin]
        .iter()
        .any(|r| user.has_role(*r))
}

/// Whether `user` may read `bulletin`: a published one everyone signed in; a draft its author
/// and those who [`drafts`].
pub fn may_read(user: &User, bulletin: &Bulletin) -> bool {
    bulletin.status == "published" || bulletin.created_by == user.id || drafts(user)
}

/// A 通报's units out of their JSON column.
fn named(json: serde_json::Value) -> Result<Vec<BulletinUnit>, ApiError> {
    serde_json::from_value(json).map_err(ApiError::internal)
}

/// One 通报 by id, whoever may read it.
pub async fn load(pool: &PgPool, id: i64) -> Result<Option<Bulletin>, ApiError> {
    let row = sqlx::query!(
        r#"select id, period, status, number::int8 as number, title, summary, requirements,
                  criticised, praised, created_by,
                  (extract(epoch from created_at) * 1000)::int8 as "created_at!",
                  (extract(epoch from updated_at) * 1000)::int8 as "updated_at!",
                  (extract(epoch from published_at) * 1000)::int8 as published_at,
                  published_by
           from bulletins where id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Bulletin {
        id: row.id,
        period: row.period,
        status: row.status,
        number: row.number,
        title: row.title,
        summary: row.summary,
        requirements: row.requirements,
        criticised: named(row.criticised)?,
        praised: named(row.praised)?,
        created_by: row.created_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
        published_at: row.published_at,
        published_by: row.published_by,
    }))
}

fn json(units: &[BulletinUnit]) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(units).map_err(ApiError::internal)
}

/// Stores a new draft; its id.
pub async fn insert(pool: &PgPool, b: &Bulletin) -> Result<i64, ApiError> {
    Ok(sqlx::query_scalar!(
        "insert into bulletins (period, title, summary, requirements, criticised, praised,
                                created_by)
         values ($1, $2, $3, $4, $5, $6, $7) returning id",
        b.period,
        b.title,
        b.summary,
        b.requirements,
        json(&b.criticised)?,
        json(&b.praised)?,
        b.created_by,
    )
    .fetch_one(pool)
    .await?)
}

/// Writes the editable parts of a draft; false when it is no longer a draft (published
/// meanwhile), so nothing was written.
pub async fn update_draft(pool: &PgPool, b: &Bulletin) -> Result<bool, ApiError> {
    let done = sqlx::query!(
        "update bulletins
         set title = $2, summary = $3, requirements = $4, criticised = $5, praised = $6,
             updated_at = now()
         where id = $1 and status = 'draft'",
        b.id,
        b.title,
        b.summary,
        b.requirements,
        json(&b.criticised)?,
        json(&b.praised)?,
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Publishes a draft with the next number of the year (Asia/Shanghai); false when it was
/// published already. Numbers are given one at a time (a transaction-scoped advisory lock), so
/// two publishings never take the same one.
pub async fn publish(pool: &PgPool, id: i64, by: &str) -> Result<bool, ApiError> {
    let mut tx = pool.begin().await?;
    // An arbitrary key that nothing else locks: only publishing takes it.
    sqlx::query!("select pg_advisory_xact_lock(7391250101)")
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query!(
        "update bulletins
         set status = 'published', published_at = now(), published_by = $2, updated_at = now(),
             number = (select coalesce(max(number), 0) + 1 from bulletins
                       where status = 'published'
                         and extract(year from published_at at time zone 'Asia/Shanghai')
                             = extract(year from now() at time zone 'Asia/Shanghai'))
         where id = $1 and status = 'draft'",
        id,
        by
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// The most 通报 the list answers.
pub const MAX_LISTED: i64 = 200;

/// The list's rows: the published 通报 and the drafts `user` may read, newest first.
pub async fn list(
    pool: &PgPool,
    user: &User,
) -> Result<Vec<duyan_shared::api::BulletinSummary>, ApiError> {
    let rows = sqlx::query!(
        r#"select id, period, status, number::int8 as number, title,
                  jsonb_array_length(criticised)::int8 as "criticised!",
                  jsonb_array_length(praised)::int8 as "praised!",
                  created_by,
                  (extract(epoch from created_at) * 1000)::int8 as "created_at!",
                  (extract(epoch from published_at) * 1000)::int8 as published_at
           from bulletins
           where status = 'published' or $1 or created_by = $2
           order by coalesce(published_at, created_at) desc, id desc
           limit $3"#,
        drafts(user),
        user.id,
        MAX_LISTED,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| duyan_shared::api::BulletinSummary {
            id: r.id,
            period: r.period,
            status: r.status,
            number: r.number,
            title: r.title,
            criticised: r.criticised,
            praised: r.praised,
            created_by: r.created_by,
            created_at: r.created_at,
            published_at: r.published_at,
        })
        .collect())
}

/// Every published 通报 as the 考核 counts it: each unit named critically with the first item
/// named for it. The 考核 keeps those whose period ends in the one it scores.
pub async fn published_facts(pool: &PgPool) -> Result<Vec<BulletinFacts>, ApiError> {
    let rows = sqlx::query!(
        "select id, period, criticised from bulletins where status = 'published' order by id"
    )
    .fetch_all(pool)
    .await?;
    let mut facts = Vec::with_capacity(rows.len());
    for row in rows {
        // Stored by this module from a valid period; a row edited by hand into nonsense counts
        // nothing rather than failing the 考核.
        let Ok(period) = row.period.parse::<Period>() else {
            tracing::warn!(
                bulletin = row.id,
                "a published 通报 with an unreadable period"
            );
            continue;
        };
        let units = named(row.criticised)?
            .into_iter()
            .filter_map(|u| {
                let first = u.items.first()?.record_id.clone();
                Some((u.unit, first))
            })
            .collect();
        facts.push(BulletinFacts {
            id: row.id.to_string(),
            period,
            units,
        });
    }
    Ok(facts)
}
