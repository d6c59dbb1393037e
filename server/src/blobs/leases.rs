//! Uploads running per user, counted in PostgreSQL so the cap holds across every process on
//! the database (table `upload_leases`, migration `0012`).
//!
//! An upload holds a lease while it runs: taken under an advisory lock on the user (so two
//! processes cannot both take the last one), renewed every [`RENEW_EVERY`] while the upload
//! runs, and deleted when it ends. A lease whose process died is not renewed and expires after
//! [`LEASE`], so nothing waits on a dead process for long.

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// How long a lease lasts unless renewed.
const LEASE: Duration = Duration::from_secs(90);
/// How often a running upload renews its lease.
const RENEW_EVERY: Duration = Duration::from_secs(30);
/// Advisory lock class of a user's leases.
const LOCK_LEASES: i32 = 0x1903;

/// Takes a lease for one upload by `user`, or `None` when they run `limit` already.
pub async fn take(pool: &PgPool, user: &str, limit: usize) -> Result<Option<Lease>, sqlx::Error> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "select pg_advisory_xact_lock($1, hashtext($2))",
        LOCK_LEASES,
        user
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "delete from upload_leases where user_id = $1 and expires_at < now()",
        user
    )
    .execute(&mut *tx)
    .await?;
    let running = sqlx::query_scalar!(
        r#"select count(*) as "count!" from upload_leases where user_id = $1"#,
        user
    )
    .fetch_one(&mut *tx)
    .await?;
    if running >= limit {
        return Ok(None);
    }
    let id = sqlx::query_scalar!(
        "insert into upload_leases (user_id, expires_at)
         values ($1, now() + make_interval(secs => $2)) returning id",
        user,
        LEASE.as_secs_f64()
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let ended = CancellationToken::new();
    tokio::spawn(renew(pool.clone(), id, ended.clone()));
    Ok(Some(Lease { ended }))
}

async fn renew(pool: PgPool, id: i64, ended: CancellationToken) {
    loop {
        tokio::select! {
            () = ended.cancelled() => break,
            () = tokio::time::sleep(RENEW_EVERY) => {}
        }
        let renewed = sqlx::query!(
            "update upload_leases set expires_at = now() + make_interval(secs => $2)
             where id = $1",
            id,
            LEASE.as_secs_f64()
        )
        .execute(&pool)
        .await;
        if let Err(error) = renewed {
            tracing::warn!(%error, "cannot renew an upload's lease");
        }
    }
    if let Err(error) = sqlx::query!("delete from upload_leases where id = $1", id)
        .execute(&pool)
        .await
    {
        // It expires by itself.
        tracing::warn!(%error, "cannot release an upload's lease");
    }
}

/// One running upload's lease; released when dropped.
pub struct Lease {
    ended: CancellationToken,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.ended.cancel();
    }
}
