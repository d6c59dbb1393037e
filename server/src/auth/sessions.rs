//! Sessions (one per sign-in, i.e. per device) and their refresh tokens.
//!
//! A refresh token is 32 random bytes, base64url, handed to the client once; only its SHA-256
//! is stored. Each use rotates it: the presented token is marked used and a new one issued, in
//! one transaction that locks the token's row. A used token presented again means two parties
//! hold it (the client's copy was stolen, or the thief's was used first), so the whole session
//! is ended: whoever is legitimate signs in again, the thief is out.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

/// Used tokens are kept this long to recognise a replay, then deleted on the session's next
/// rotation, so a device that refreshes every 15 minutes keeps about a week of them.
const KEEP_USED_TOKENS: &str = "7 days";

/// A new refresh token: what the client gets, and what the database keeps.
pub struct RefreshToken {
    pub token: String,
    pub hash: Vec<u8>,
}

impl RefreshToken {
    pub fn generate() -> Self {
        let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let hash = hash_token(&token);
        Self { token, hash }
    }
}

/// SHA-256 of the token's text. A plain hash is enough: the token is 256 random bits, so there
/// is nothing for a slow hash to protect against.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// Starts a session for `user_id` and returns its id and first refresh token.
pub async fn start(
    pool: &PgPool,
    user_id: &str,
    device: Option<&str>,
    refresh_ttl: Duration,
) -> Result<(String, String), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let session_id = sqlx::query_scalar!(
        "insert into sessions (user_id, device) values ($1, $2) returning id",
        user_id,
        device
    )
    .fetch_one(&mut *tx)
    .await?;
    let refresh = RefreshToken::generate();
    insert_token(&mut tx, &refresh, &session_id, refresh_ttl).await?;
    tx.commit().await?;
    Ok((session_id, refresh.token))
}

async fn insert_token(
    conn: &mut PgConnection,
    token: &RefreshToken,
    session_id: &str,
    ttl: Duration,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into refresh_tokens (token_hash, session_id, expires_at)
         values ($1, $2, now() + $3::bigint * interval '1 second')",
        token.hash,
        session_id,
        seconds(ttl)
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// What presenting a refresh token led to.
#[derive(Debug)]
pub enum Rotation {
    /// The token was good: it is now used, and this is its successor in the same session.
    Rotated {
        user_id: String,
        session_id: String,
        refresh_token: String,
    },
    /// Unknown token, expired token, ended session or disabled user.
    Refused(&'static str),
    /// The token had been used before: the session is now ended.
    Replayed { session_id: String },
}

/// Exchanges a refresh token for its successor (see the module's comment).
pub async fn rotate(pool: &PgPool, token: &str, ttl: Duration) -> Result<Rotation, sqlx::Error> {
    let hash = hash_token(token);
    let mut tx = pool.begin().await?;
    // Locking the token's row makes two concurrent uses of one token take turns: the second
    // sees `used_at` set and is treated as a replay.
    let Some(row) = sqlx::query!(
        r#"select t.session_id, t.used_at is not null as "used!", t.expires_at <= now() as "expired!",
                  s.user_id, s.revoked_at is not null as "revoked!", u.disabled
           from refresh_tokens t
           join sessions s on s.id = t.session_id
           join users u on u.id = s.user_id
           where t.token_hash = $1
           for update of t, s"#,
        hash
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Rotation::Refused("invalid refresh token"));
    };
    if row.revoked {
        return Ok(Rotation::Refused("session ended"));
    }
    if row.used {
        revoke_in(&mut tx, &row.session_id).await?;
        tx.commit().await?;
        return Ok(Rotation::Replayed {
            session_id: row.session_id,
        });
    }
    if row.expired {
        return Ok(Rotation::Refused("refresh token expired"));
    }
    if row.disabled {
        return Ok(Rotation::Refused("account unavailable"));
    }
    sqlx::query!(
        "update refresh_tokens set used_at = now() where token_hash = $1",
        hash
    )
    .execute(&mut *tx)
    .await?;
    let next = RefreshToken::generate();
    insert_token(&mut tx, &next, &row.session_id, ttl).await?;
    sqlx::query!(
        "update sessions set last_seen_at = now() where id = $1",
        row.session_id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "delete from refresh_tokens
         where session_id = $1 and used_at < now() - $2::text::interval",
        row.session_id,
        KEEP_USED_TOKENS
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Rotation::Rotated {
        user_id: row.user_id,
        session_id: row.session_id,
        refresh_token: next.token,
    })
}

/// Ends a session; returns whether it was open. Its refresh tokens stop working at once; its
/// access token once the directory reloads (the caller refreshes it).
pub async fn revoke(pool: &PgPool, session_id: &str) -> Result<bool, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    revoke_in(&mut conn, session_id).await
}

async fn revoke_in(conn: &mut PgConnection, session_id: &str) -> Result<bool, sqlx::Error> {
    let ended = sqlx::query!(
        "update sessions set revoked_at = now() where id = $1 and revoked_at is null",
        session_id
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(ended == 1)
}

/// Ends every open session of a user except `keep`; returns how many were ended.
pub async fn revoke_all_of_user(
    conn: &mut PgConnection,
    user_id: &str,
    keep: Option<&str>,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "update sessions set revoked_at = now()
         where user_id = $1 and revoked_at is null and id is distinct from $2",
        user_id,
        keep
    )
    .execute(conn)
    .await?
    .rows_affected())
}
