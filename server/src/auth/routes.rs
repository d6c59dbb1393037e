//! `POST /api/auth/login`, `/api/auth/refresh`, `/api/auth/logout`, `GET /api/me`,
//! `POST /api/me/password`.

use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::routing::{get, post};
use axum::{Json as JsonResponse, Router};
use serde::Deserialize;

use super::extract::{ClientAddr, SignedInUser};
use super::password::check_new_password;
use super::sessions::{self, Rotation};
use crate::api::{ApiError, Json};
use crate::app::AppState;
use crate::users::{self, Account};

/// Longest device label kept; the rest is cut (it is a label for people).
const MAX_DEVICE_CHARS: usize = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/me", get(me))
        .route("/me/password", post(change_password))
}

#[derive(Deserialize)]
struct LoginRequest {
    username: String,
    password: String,
    #[serde(default)]
    device: Option<String>,
}

#[derive(Deserialize)]
struct RefreshRequest {
    refresh_token: String,
}

/// `{"current", "new"}`; `old_password` / `new_password` are the names the first clients
/// used and stay accepted.
#[derive(Deserialize)]
struct PasswordRequest {
    #[serde(alias = "old_password")]
    current: String,
    #[serde(alias = "new_password")]
    new: String,
}

/// What login and refresh answer: the wire type of the domain crate.
pub use duyan_shared::api::Tokens;

/// A token response, marked `Cache-Control: no-store` so no cache along the way keeps the
/// tokens (RFC 6749 §5.1).
type TokenResponse = ([(HeaderName, HeaderValue); 1], JsonResponse<Tokens>);

fn invalid_credentials() -> ApiError {
    // One body for "no such user" and "wrong password", so the answer does not tell which
    // usernames exist.
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "用户名或密码错误",
    )
}

async fn login(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    Json(request): Json<LoginRequest>,
) -> Result<TokenResponse, ApiError> {
    let auth = &state.auth;
    let username = users::normalize_username(&request.username);
    // Before any password work: over the limit, even the right password is refused, so
    // guessing further is pointless.
    let attempt = auth
        .limiter
        .begin(&state.pool, &username, address)
        .await?
        .map_err(|wait| {
            tracing::info!(%address, "sign-in refused: too many failed attempts");
            ApiError::too_many_attempts(wait)
        })?;
    let found = users::credentials(&state.pool, &username).await?;
    // An unknown user is checked against a dummy hash: the same work, so the same time.
    let stored = found.as_ref().map(|c| c.password_hash.clone());
    let matches = auth.passwords.verify(request.password, stored).await?;
    let Some(user) = found.filter(|_| matches) else {
        // The attempt stays counted as a failure.
        tracing::info!(%address, "sign-in failed");
        return Err(invalid_credentials());
    };
    auth.limiter.succeeded(&username, attempt).await?;
    // Said only to someone who knows the password, so it reveals nothing to a guesser.
    if user.disabled {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "account_disabled",
            "账号已停用，请联系管理员 (this account is disabled)",
        ));
    }
    let device = request
        .device
        .map(|d| d.trim().chars().take(MAX_DEVICE_CHARS).collect::<String>())
        .filter(|d| !d.is_empty());
    let ttl = auth.config().refresh_ttl;
    let (session_id, refresh_token) =
        sessions::start(&state.pool, &user.id, device.as_deref(), ttl).await?;
    tracing::info!(user = %user.id, session = %session_id, "signed in");
    tokens(&state, &user.id, &session_id, refresh_token).await
}

async fn tokens(
    state: &AppState,
    user_id: &str,
    session_id: &str,
    refresh_token: String,
) -> Result<TokenResponse, ApiError> {
    let account = users::account(&state.pool, user_id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("user {user_id} vanished while signing in")))?;
    let account = effective(state, account);
    // A user created or re-enabled by another process a moment ago may not be in this
    // process's directory yet; without this, their first request could be refused until the
    // next poll.
    let known = state
        .directory
        .current()
        .user(user_id)
        .is_some_and(|user| !user.disabled);
    if !known {
        refresh_directory(state).await;
    }
    let (access_token, expires_in) = state.auth.issue_access(user_id, session_id)?;
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        JsonResponse(Tokens {
            access_token,
            refresh_token,
            expires_in,
            user: account,
        }),
    ))
}

async fn refresh(
    State(state): State<AppState>,
    Json(request): Json<RefreshRequest>,
) -> Result<TokenResponse, ApiError> {
    let ttl = state.auth.config().refresh_ttl;
    match sessions::rotate(&state.pool, &request.refresh_token, ttl).await? {
        Rotation::Rotated {
            user_id,
            session_id,
            refresh_token,
        } => tokens(&state, &user_id, &session_id, refresh_token).await,
        Rotation::Refused(reason) => Err(ApiError::unauthorized(reason)),
        Rotation::Replayed { session_id } => {
            tracing::warn!(session = %session_id, "a used refresh token was presented again: session ended");
            refresh_directory(&state).await;
            Err(ApiError::unauthorized("session ended"))
        }
    }
}

async fn logout(
    State(state): State<AppState>,
    SignedInUser(caller): SignedInUser,
) -> Result<StatusCode, ApiError> {
    sessions::revoke(&state.pool, &caller.session_id).await?;
    tracing::info!(user = %caller.user.id, session = %caller.session_id, "signed out");
    refresh_directory(&state).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(
    State(state): State<AppState>,
    SignedInUser(caller): SignedInUser,
) -> Result<JsonResponse<Account>, ApiError> {
    let account = users::account(&state.pool, &caller.user.id)
        .await?
        .ok_or(super::AuthError::UserUnavailable)?;
    Ok(JsonResponse(effective(&state, account)))
}

/// The account as the client should act on it: `must_change_password` is false for a user
/// exempt from the change (the demo users under `--demo`), so the app does not ask them.
fn effective(state: &AppState, mut account: Account) -> Account {
    let exempt = &state.auth.config().password_change_exempt;
    if exempt.contains(&account.username) {
        account.must_change_password = false;
    }
    account
}

async fn change_password(
    State(state): State<AppState>,
    SignedInUser(caller): SignedInUser,
    ClientAddr(address): ClientAddr,
    Json(request): Json<PasswordRequest>,
) -> Result<StatusCode, ApiError> {
    let auth = &state.auth;
    let user = &caller.user;
    // The old password is a password guess like any other: someone holding a stolen access
    // token must not get unlimited tries at it.
    let attempt = auth
        .limiter
        .begin(&state.pool, &user.username, address)
        .await?
        .map_err(ApiError::too_many_attempts)?;
    let stored = users::credentials(&state.pool, &user.username)
        .await?
        .map(|c| c.password_hash);
    if !auth
        .passwords
        .verify(request.current.clone(), stored)
        .await?
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_password",
            "原密码错误 (the current password is wrong)",
        ));
    }
    auth.limiter.succeeded(&user.username, attempt).await?;
    check_new_password(&request.new, &user.username, &request.current)?;
    let hash = auth.passwords.hash(request.new).await?;
    users::set_password(
        &state.pool,
        &user.id,
        &hash,
        false,
        Some(&caller.session_id),
    )
    .await?;
    tracing::info!(user = %user.id, "password changed; other sessions ended");
    refresh_directory(&state).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Reloads the directory after this process ended sessions or changed a user, so the change
/// holds here at once. If the reload fails the poller catches up within a second or so; the
/// change itself is committed, so the request still succeeded.
async fn refresh_directory(state: &AppState) {
    if let Err(error) = state.directory.refresh().await {
        tracing::warn!(%error, "cannot reload the directory after a change; the poller will");
    }
}
