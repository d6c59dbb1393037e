//! The office's settings for its documents (`document_settings`, one row): the issuing body's
//! name printed as the 红头. Admins change it (`PUT /api/settings/documents`).

use sqlx::PgPool;

/// The heading when an admin has set none.
pub const DEFAULT_ISSUER: &str = "办公室";

/// The longest heading, in characters: one line of 小初 across A4 holds about 11, two lines 22;
/// the database allows 40 and the form says so.
pub const MAX_ISSUER_CHARS: usize = 40;

/// The issuing body's name for the 红头.
pub async fn issuer(pool: &PgPool) -> Result<String, sqlx::Error> {
    let issuer = sqlx::query_scalar!("select issuer from document_settings where id")
        .fetch_optional(pool)
        .await?;
    Ok(issuer.unwrap_or_else(|| DEFAULT_ISSUER.to_owned()))
}

/// Sets the issuing body's name, recording who did.
pub async fn set_issuer(pool: &PgPool, issuer: &str, by: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into document_settings (id, issuer, updated_by) values (true, $1, $2)
         on conflict (id) do update
         set issuer = excluded.issuer, updated_by = excluded.updated_by, updated_at = now()",
        issuer,
        by
    )
    .execute(pool)
    .await?;
    Ok(())
}
