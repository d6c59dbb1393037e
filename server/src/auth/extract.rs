//! Extractors: who is calling ([`CurrentUser`]) and from where ([`ClientAddr`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::AuthError;
use crate::app::AppState;
use crate::directory::User;

/// The signed-in caller. Extracting it refuses with 401 when the `Authorization: Bearer`
/// token is missing, invalid or expired, when its session was ended, or when its user is gone
/// or disabled. Put it first among a handler's arguments so that an unauthenticated request
/// is refused before its body is even read.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: Arc<User>,
    /// The session (device) the token belongs to.
    pub session_id: String,
    /// When the access token expires, seconds since the epoch.
    pub expires_at: u64,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthError> {
        let token = bearer_token(&parts.headers).ok_or(AuthError::Missing)?;
        let found = state.auth.authenticate(token, &state.directory.current())?;
        Ok(Self {
            user: found.user,
            session_id: found.claims.sid,
            expires_at: found.claims.exp,
        })
    }
}

/// The signed-in caller, also one who signed in with a one-time password and has not set a
/// new one yet: for `/api/me`, `/api/me/password` and sign-out only.
#[derive(Debug, Clone)]
pub struct SignedInUser(pub CurrentUser);

impl FromRequestParts<AppState> for SignedInUser {
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthError> {
        let token = bearer_token(&parts.headers).ok_or(AuthError::Missing)?;
        let found = state
            .auth
            .authenticate_any(token, &state.directory.current())?;
        Ok(Self(CurrentUser {
            user: found.user,
            session_id: found.claims.sid,
            expires_at: found.claims.exp,
        }))
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The client's IP address, from the connection (the router must be served with
/// `into_make_service_with_connect_info::<SocketAddr>()`).
///
/// Behind a reverse proxy this is the proxy's address, so the per-address sign-in limit then
/// applies to everyone at once; trusting `X-Forwarded-For` needs configuration of which
/// proxies to trust, which does not exist yet.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Behind a trusted proxy, the address it forwarded (see `crate::edge`).
        if let Some(crate::edge::ClientIp(client)) = parts.extensions.get() {
            return Ok(Self(*client));
        }
        Ok(match parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(address)) => Self(address.ip()),
            None => {
                // Served without connection info: all clients share one address's limit,
                // which errs on the side of refusing.
                tracing::debug!("no client address on the request");
                Self(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn reads_bearer_tokens_only() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer_token(&headers), None);
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer abc.def"));
        assert_eq!(bearer_token(&headers), Some("abc.def"));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("bearer abc"));
        assert_eq!(bearer_token(&headers), Some("abc"));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer_token(&headers), None);
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer_token(&headers), None);
    }
}
