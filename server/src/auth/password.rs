//! Argon2id password hashes (PHC strings, the crate's default parameters: 19 MiB, 2 passes).
//!
//! Hashing is deliberately slow and memory-hungry, so it runs on the blocking pool and at most
//! a few at a time: a burst of sign-ins queues instead of taking every core and a lot of memory.

use std::sync::{Arc, OnceLock};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tokio::sync::Semaphore;

use crate::api::ApiError;

/// Shortest password accepted when one is set.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Hashes a password (blocking: call from a blocking context or the CLI).
pub fn hash_blocking(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches `stored`. A stored value that is not a valid hash (such as the
/// `system` user's `!`) is verified against a dummy hash instead, so it costs the same time as
/// a real check and never matches.
pub fn verify_blocking(password: &str, stored: Option<&str>) -> bool {
    let parsed = stored.and_then(|s| PasswordHash::new(s).ok());
    match parsed {
        Some(hash) => Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok(),
        None => {
            let dummy = PasswordHash::new(dummy_hash()).expect("the dummy hash parses");
            // The result is irrelevant; the work is the point.
            let _ = Argon2::default().verify_password(password.as_bytes(), &dummy);
            false
        }
    }
}

/// A hash of a random password, made once per process with the same parameters as real ones,
/// so checking a wrong username takes as long as checking a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let password = format!("{:032x}", rand::random::<u128>());
        hash_blocking(&password).expect("hashing a random password works")
    })
}

/// Runs hashing on the blocking pool, a bounded number at a time.
#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
}

impl Hasher {
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            permits: Arc::new(Semaphore::new(cores.clamp(1, 4))),
        }
    }

    /// Hashes `password` for storage.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        tokio::task::spawn_blocking(move || hash_blocking(&password))
            .await?
            .map_err(|e| ApiError::internal(e.to_string()))
    }

    /// Checks `password` against `stored` (`None`: no such user, checked against the dummy).
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, ApiError> {
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        Ok(
            tokio::task::spawn_blocking(move || verify_blocking(&password, stored.as_deref()))
                .await?,
        )
    }

    /// Computes the dummy hash now rather than during the first sign-in of an unknown user,
    /// whose answer would otherwise be measurably slower than the others.
    pub async fn warm_up(&self) {
        let _ = tokio::task::spawn_blocking(dummy_hash).await;
    }
}

impl Default for Hasher {
    fn default() -> Self {
        Self::new()
    }
}

/// Checks a new password's strength; returns the refusal to send.
pub fn check_new_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::bad_request(format!(
            "密码至少 {MIN_PASSWORD_CHARS} 个字符 (the password must have at least {MIN_PASSWORD_CHARS} characters)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_nothing_else_does() {
        let hash = hash_blocking("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_blocking("correct horse", Some(&hash)));
        assert!(!verify_blocking("wrong horse", Some(&hash)));
        assert!(!verify_blocking("correct horse", None));
        assert!(!verify_blocking("!", Some("!")));
    }
}
