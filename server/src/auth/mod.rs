//! Sign-in: passwords, access tokens, refresh tokens, and the extractor that tells a handler
//! who is calling.
//!
//! - [`password`]: Argon2id hashing and verification, off the async threads, bounded.
//! - [`limiter`]: failed sign-ins per username and per client address, in memory.
//! - [`sessions`]: sessions (one per device) and their rotating refresh tokens, in PostgreSQL.
//! - [`extract`]: [`CurrentUser`], the axum extractor for `Authorization: Bearer`.
//! - [`routes`]: `/api/auth/*` and `/api/me*`.
//!
//! Access tokens are short-lived HS256 JWTs checked without the database; what makes them stop
//! working before they expire (sign-out, a disabled user) is the in-memory
//! [`Directory`](crate::directory::Directory). See "Identity" in `docs/ARCHITECTURE.md`.

pub mod extract;
pub mod limiter;
pub mod password;
pub mod routes;
pub mod sessions;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::bail;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub use extract::CurrentUser;
pub use limiter::{LoginLimiter, LoginLimits};

use crate::api::ApiError;
use crate::directory::{Directory, User};

/// The `iss` of every access token.
pub const ISSUER: &str = "duyan";
/// The shortest accepted `DUYAN_JWT_SECRET`: HS256 is only as strong as its key.
pub const MIN_SECRET_BYTES: usize = 32;

/// Lifetimes and limits of sign-in. Defaults are the production values; tests shorten them.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Lifetime of an access token (default 15 minutes). Short, because an access token is
    /// checked without the database: sign-out and disabling reach it through the directory.
    pub access_ttl: Duration,
    /// Lifetime of a refresh token (default 30 days): how long a phone may stay offline and
    /// still come back signed in.
    pub refresh_ttl: Duration,
    /// Clock skew tolerated on `exp` (default 5 s, at most 5 s), for processes on one database
    /// whose clocks differ slightly.
    pub leeway: Duration,
    /// Failed sign-ins allowed before the limiter answers 429.
    pub limits: LoginLimits,
    /// Usernames that may work with a one-time password: the demo users under `serve --demo`
    /// only, whose well-known password is the point of a demo.
    pub password_change_exempt: Vec<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            leeway: Duration::from_secs(5),
            limits: LoginLimits::default(),
            password_change_exempt: Vec::new(),
        }
    }
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// User id.
    pub sub: String,
    /// Session id: the device's sign-in.
    pub sid: String,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Expires at, seconds since the epoch.
    pub exp: u64,
    /// Always [`ISSUER`].
    pub iss: String,
}

/// Why a bearer token was refused. Every variant answers 401; the message says only what the
/// client can act on (sign in again, or refresh).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header (or `?token=`).
    #[error("sign-in required")]
    Missing,
    /// Well signed but past `exp`: the client should refresh.
    #[error("token expired")]
    Expired,
    /// Malformed, wrongly signed, wrong algorithm, wrong issuer, missing claims.
    #[error("invalid token")]
    Invalid,
    /// The session was ended (sign-out, password change elsewhere, disabled user, stolen
    /// refresh token): the client must sign in again.
    #[error("session ended")]
    SessionRevoked,
    /// The user no longer exists or is disabled.
    #[error("account unavailable")]
    UserUnavailable,
    /// Signed in with a one-time password: only `/api/me`, `/api/me/password` and sign-out
    /// answer until a new password is set. 403, not 401: signing in again would not help.
    #[error("请先设置新密码 (set a new password first)")]
    PasswordChangeRequired,
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::PasswordChangeRequired => ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "password_change_required",
                error.to_string(),
            ),
            _ => ApiError::unauthorized(error.to_string()),
        }
    }
}

impl axum::response::IntoResponse for AuthError {
    fn into_response(self) -> axum::response::Response {
        ApiError::from(self).into_response()
    }
}

/// A token that passed every check, with the user it belongs to.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub claims: AccessClaims,
    pub user: Arc<User>,
}

/// Signing keys, lifetimes, the password hasher and the sign-in limiter. Lives in
/// [`AppState`](crate::app::AppState); there are no globals.
pub struct Auth {
    config: AuthConfig,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub(crate) passwords: password::Hasher,
    pub(crate) limiter: LoginLimiter,
}

impl Auth {
    /// Signs with `secret`, which must be at least [`MIN_SECRET_BYTES`] long.
    pub fn new(secret: &[u8], config: AuthConfig) -> anyhow::Result<Self> {
        if secret.len() < MIN_SECRET_BYTES {
            bail!(
                "DUYAN_JWT_SECRET is {} bytes; it must be at least {MIN_SECRET_BYTES} (e.g. `openssl rand -base64 48`)",
                secret.len()
            );
        }
        let mut validation = Validation::new(Algorithm::HS256);
        // Only HS256: a token naming another algorithm (or `none`) is refused before any
        // signature check, so the key can never be used as, say, an RSA public key.
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.validate_exp = true;
        validation.leeway = config.leeway.min(Duration::from_secs(5)).as_secs();
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            passwords: password::Hasher::new(),
            limiter: LoginLimiter::new(config.limits.clone()),
            config,
        })
    }

    /// Signs with a random secret: tokens die with the process (refresh tokens, in the
    /// database, do not, so clients just refresh after a restart).
    pub fn with_random_secret(config: AuthConfig) -> Self {
        let secret: [u8; 32] = rand::random();
        Self::new(&secret, config).expect("32 random bytes are a valid secret")
    }

    /// The secret from the configuration if there is one, else a random one with a warning.
    pub fn from_config(secret: Option<&str>, config: AuthConfig) -> anyhow::Result<Self> {
        match secret {
            Some(secret) => Self::new(secret.as_bytes(), config),
            None => {
                tracing::warn!(
                    "DUYAN_JWT_SECRET is not set: using a random secret, so access tokens do not survive a restart (clients refresh them) and processes sharing a database do not accept each other's"
                );
                Ok(Self::with_random_secret(config))
            }
        }
    }

    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// Issues an access token for a session; returns it with its lifetime in seconds.
    pub fn issue_access(&self, user_id: &str, session_id: &str) -> Result<(String, u64), ApiError> {
        let now = unix_now();
        let ttl = self.config.access_ttl.as_secs().max(1);
        let claims = AccessClaims {
            sub: user_id.to_owned(),
            sid: session_id.to_owned(),
            iat: now,
            exp: now + ttl,
            iss: ISSUER.to_owned(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)?;
        Ok((token, ttl))
    }

    /// Checks an access token's signature, algorithm, issuer and expiry. Does not consult the
    /// directory: see [`Auth::authenticate`] for the full check.
    pub fn verify_access(&self, token: &str) -> Result<AccessClaims, AuthError> {
        match jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation) {
            Ok(data) => Ok(data.claims),
            Err(error) => match error.kind() {
                ErrorKind::ExpiredSignature => Err(AuthError::Expired),
                _ => Err(AuthError::Invalid),
            },
        }
    }

    /// [`Auth::authenticate_any`], and the user must not owe a new password. What every
    /// authenticated endpoint (and the WebSocket handler) needs.
    pub fn authenticate(
        &self,
        token: &str,
        directory: &Directory,
    ) -> Result<Authenticated, AuthError> {
        let found = self.authenticate_any(token, directory)?;
        if self.must_change_password(&found.user) {
            return Err(AuthError::PasswordChangeRequired);
        }
        Ok(found)
    }

    /// Whether `user` must set a new password before anything else: theirs is a one-time one
    /// and they are not exempt (see [`AuthConfig::password_change_exempt`]).
    pub fn must_change_password(&self, user: &User) -> bool {
        user.must_change_password && !self.config.password_change_exempt.contains(&user.username)
    }

    /// [`Auth::verify_access`], then the directory's word: the session must not be revoked
    /// and the user must exist and be enabled. Only for the routes a user with a one-time
    /// password may call; the rest use [`Auth::authenticate`].
    pub fn authenticate_any(
        &self,
        token: &str,
        directory: &Directory,
    ) -> Result<Authenticated, AuthError> {
        let claims = self.verify_access(token)?;
        if directory.is_session_revoked(&claims.sid) {
            return Err(AuthError::SessionRevoked);
        }
        let user = directory
            .user_arc(&claims.sub)
            .filter(|user| !user.disabled)
            .ok_or(AuthError::UserUnavailable)?;
        Ok(Authenticated { claims, user })
    }
}

/// Seconds since the epoch, as JWTs count.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_secrets_are_refused() {
        let error = Auth::new(b"too short", AuthConfig::default())
            .err()
            .unwrap();
        assert!(error.to_string().contains("at least 32"), "{error}");
    }

    #[test]
    fn tokens_round_trip_and_other_keys_are_refused() {
        let auth = Auth::new(&[7; 32], AuthConfig::default()).unwrap();
        let (token, ttl) = auth.issue_access("u1", "s1").unwrap();
        assert_eq!(ttl, 15 * 60);
        let claims = auth.verify_access(&token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.sid.as_str()), ("u1", "s1"));
        assert_eq!(claims.exp - claims.iat, ttl);
        let other = Auth::new(&[8; 32], AuthConfig::default()).unwrap();
        assert_eq!(other.verify_access(&token), Err(AuthError::Invalid));
        assert_eq!(auth.verify_access("not.a.token"), Err(AuthError::Invalid));
    }
}
