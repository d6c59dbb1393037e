//! Failed sign-ins, counted per username and per client address over a sliding window, in
//! PostgreSQL so that every process on the database shares the count (table
//! `signin_attempts`, migration `0012`).
//!
//! Checked before the password is verified, so that once a username or an address is over its
//! limit, guessing stops costing us Argon2 work and stops telling the guesser anything: even
//! the right password gets 429. A success clears the username's count (its owner got in) but
//! not the address's earlier failures (one address may be guessing at many accounts).
//!
//! **Attempts in flight.** An attempt is stored when admitted and counts against the limit
//! from then on, so a burst of concurrent guesses cannot all pass the check before any is
//! counted. But a right password never counts as a failure: when a key is at its limit only
//! because of attempts still being checked, a new attempt waits for them to settle instead of
//! being refused. Concurrent sign-ins with the right password (a user on three devices) then
//! all get in, one Argon2 check apart; concurrent guesses get at most the limit of tries and
//! then 429. An attempt whose process died before it settled counts as a failure after
//! [`IN_FLIGHT`], so nothing waits on a dead process. The wait has no deadline of its own: a
//! deadline shorter than [`IN_FLIGHT`] would refuse a right password whenever the checks ahead
//! of it were slow (a burst of sign-ins on a busy machine), which is exactly the failure a right
//! password must never count as; and the wait ends by [`IN_FLIGHT`] anyway, when every attempt
//! it waits for is settled or counts as failed.
//!
//! The check and the insert run in one transaction holding advisory locks on the username and
//! the address (always in that order, so two attempts cannot deadlock).

use std::net::IpAddr;
use std::time::Duration;

use sqlx::PgPool;

/// How many failures are allowed, over what window.
#[derive(Debug, Clone)]
pub struct LoginLimits {
    /// Failures per username within `window` (default 5).
    pub per_username: usize,
    /// Failures per client address within `window` (default 20).
    pub per_address: usize,
    /// The sliding window (default 15 minutes).
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_username: 5,
            per_address: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// How long an unsettled attempt counts as in flight (an Argon2 check takes well under a
/// second); after that it is a failure.
pub const IN_FLIGHT: Duration = Duration::from_secs(30);

/// Advisory lock classes of the limiter's keys.
const LOCK_USERNAME: i32 = 0x1901;
const LOCK_ADDRESS: i32 = 0x1902;

/// The limiter: the limits; the state is in the database.
pub struct LoginLimiter {
    limits: LoginLimits,
}

/// A sign-in attempt under way, counted as in flight until [`LoginLimiter::succeeded`], and
/// as a failure if it is dropped without that.
#[derive(Debug)]
#[must_use = "pass it to `succeeded` when the password was right"]
pub struct Attempt {
    id: i64,
    pool: PgPool,
    settled: bool,
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        // A failure. Settling it lets attempts waiting on it go on at once; if this never
        // runs (the process dies) it counts as a failure after IN_FLIGHT anyway.
        let (id, pool) = (self.id, self.pool.clone());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = sqlx::query!(
                    "update signin_attempts set settled = true where id = $1",
                    id
                )
                .execute(&pool)
                .await
                {
                    tracing::warn!(%error, "cannot record a failed sign-in as settled");
                }
            });
        }
    }
}

/// What the counts say.
enum Verdict {
    Admit,
    Refuse(Duration),
    Wait,
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        Self { limits }
    }

    /// Admits an attempt, or says how long to wait when this username or this address has
    /// failed too often recently. Waits while the limit is reached only with attempts still in
    /// flight (at most [`IN_FLIGHT`]: then they count as failures).
    pub async fn begin(
        &self,
        pool: &PgPool,
        username: &str,
        address: IpAddr,
    ) -> Result<Result<Attempt, Duration>, sqlx::Error> {
        let address = address.to_string();
        let mut pause = Duration::from_millis(20);
        loop {
            let mut tx = pool.begin().await?;
            sqlx::query!(
                "select pg_advisory_xact_lock($1, hashtext($2))",
                LOCK_USERNAME,
                username
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "select pg_advisory_xact_lock($1, hashtext($2))",
                LOCK_ADDRESS,
                address
            )
            .execute(&mut *tx)
            .await?;
            let verdict = self.verdict(&mut tx, username, &address).await?;
            match verdict {
                Verdict::Admit => {
                    let id = sqlx::query_scalar!(
                        "insert into signin_attempts (username, address) values ($1, $2)
                         returning id",
                        username,
                        address
                    )
                    .fetch_one(&mut *tx)
                    .await?;
                    // Keeps the table to the window's worth of rows.
                    sqlx::query!(
                        "delete from signin_attempts
                         where started_at < now() - make_interval(secs => $1)",
                        self.limits.window.as_secs_f64()
                    )
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    return Ok(Ok(Attempt {
                        id,
                        pool: pool.clone(),
                        settled: false,
                    }));
                }
                Verdict::Refuse(wait) => return Ok(Err(wait)),
                Verdict::Wait => {
                    drop(tx);
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(200));
                }
            }
        }
    }

    async fn verdict(
        &self,
        tx: &mut sqlx::PgConnection,
        username: &str,
        address: &str,
    ) -> Result<Verdict, sqlx::Error> {
        let limits = &self.limits;
        let per_username = i32::try_from(limits.per_username.max(1)).unwrap_or(i32::MAX);
        let per_address = i32::try_from(limits.per_address.max(1)).unwrap_or(i32::MAX);
        // For each key: failures, attempts in flight, and how long until the failures drop
        // below the limit (the limit-th newest failure leaves the window).
        let row = sqlx::query!(
            r#"with a as (
                   select username = $1 and not name_cleared as by_name,
                          address = $2 as by_address,
                          settled or started_at < now() - make_interval(secs => $4) as failed,
                          started_at
                   from signin_attempts
                   where (username = $1 or address = $2)
                     and started_at > now() - make_interval(secs => $3))
               select count(*) filter (where by_name and failed) as "name_failed!",
                      count(*) filter (where by_name and not failed) as "name_flying!",
                      extract(epoch from (array_agg(started_at order by started_at desc)
                          filter (where by_name and failed))[$5]
                          + make_interval(secs => $3) - now())::float8 as name_wait,
                      count(*) filter (where by_address and failed) as "address_failed!",
                      count(*) filter (where by_address and not failed) as "address_flying!",
                      extract(epoch from (array_agg(started_at order by started_at desc)
                          filter (where by_address and failed))[$6]
                          + make_interval(secs => $3) - now())::float8 as address_wait
               from a"#,
            username,
            address,
            limits.window.as_secs_f64(),
            IN_FLIGHT.as_secs_f64(),
            per_username,
            per_address,
        )
        .fetch_one(&mut *tx)
        .await?;
        let over = |failed: i64, limit: i32| failed >= i64::from(limit);
        let wait = |seconds: Option<f64>| Duration::from_secs_f64(seconds.unwrap_or(1.0).max(1.0));
        let mut refuse: Option<Duration> = None;
        if over(row.name_failed, per_username) {
            refuse = Some(wait(row.name_wait));
        }
        if over(row.address_failed, per_address) {
            refuse = refuse.max(Some(wait(row.address_wait)));
        }
        if let Some(wait) = refuse {
            return Ok(Verdict::Refuse(wait));
        }
        if over(row.name_failed + row.name_flying, per_username)
            || over(row.address_failed + row.address_flying, per_address)
        {
            return Ok(Verdict::Wait);
        }
        Ok(Verdict::Admit)
    }

    /// The attempt's password was right: it is no failure, and the username's failures are
    /// forgotten (the address's are not).
    pub async fn succeeded(&self, username: &str, mut attempt: Attempt) -> Result<(), sqlx::Error> {
        attempt.settled = true;
        let mut tx = attempt.pool.begin().await?;
        sqlx::query!("delete from signin_attempts where id = $1", attempt.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query!(
            "update signin_attempts set name_cleared = true
             where username = $1 and not name_cleared
               and (settled or started_at < now() - make_interval(secs => $2))",
            username,
            IN_FLIGHT.as_secs_f64()
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }
}
