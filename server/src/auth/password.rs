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

/// Longest password accepted: Argon2 takes any length, but nobody types more, and a huge one
/// is only work for the server.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Why a password someone chose for themselves is refused, in words for them; `None` when it
/// is good enough. At least [`MIN_PASSWORD_CHARS`] characters of at least two kinds (letters,
/// digits, others), not the username, not the password it replaces: the rules that stop the
/// guesses tried first, without rules so strict that people write the password down.
pub fn weakness(password: &str, username: &str, current: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Some(format!(
            "密码至少 {MIN_PASSWORD_CHARS} 个字符 (the password must have at least {MIN_PASSWORD_CHARS} characters)"
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Some(format!(
            "密码最多 {MAX_PASSWORD_CHARS} 个字符 (the password may have at most {MAX_PASSWORD_CHARS} characters)"
        ));
    }
    let letters = password.chars().any(char::is_alphabetic);
    let digits = password.chars().any(|c| c.is_ascii_digit());
    let others = password
        .chars()
        .any(|c| !c.is_alphabetic() && !c.is_ascii_digit());
    if u8::from(letters) + u8::from(digits) + u8::from(others) < 2 {
        return Some(
            "密码须包含字母、数字、符号中的至少两类 (use at least two of letters, digits and symbols)"
                .to_owned(),
        );
    }
    if password.to_lowercase().contains(&username.to_lowercase()) {
        return Some("密码不能包含用户名 (the password may not contain the username)".to_owned());
    }
    if password == current {
        return Some(
            "新密码不能与原密码相同 (the new password must differ from the current one)".to_owned(),
        );
    }
    None
}

/// [`weakness`] as the API's refusal (400 `weak_password`).
pub fn check_new_password(password: &str, username: &str, current: &str) -> Result<(), ApiError> {
    match weakness(password, username, current) {
        Some(why) => Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "weak_password",
            why,
        )),
        None => Ok(()),
    }
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

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        assert!(weakness("short1", "zhangwei", "old").unwrap().contains("8"));
        assert!(
            weakness("abcdefghij", "zhangwei", "old")
                .unwrap()
                .contains("两类")
        );
        assert!(weakness("12345678", "zhangwei", "old").is_some());
        assert!(
            weakness("Zhangwei-2026", "zhangwei", "old")
                .unwrap()
                .contains("用户名")
        );
        assert!(
            weakness("same pass 1", "zhangwei", "same pass 1")
                .unwrap()
                .contains("原密码")
        );
        assert!(weakness(&"a1".repeat(65), "zhangwei", "old").is_some());
        assert_eq!(weakness("a new password", "zhangwei", "old"), None);
        assert_eq!(weakness("督办密码2026", "zhangwei", "old"), None);
    }
}
