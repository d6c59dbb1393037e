//! `/api/admin/users`: list, create, change, reset the password, disable, enable.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json as JsonResponse, Router};

use super::{
    AdminUser, NewUserRequest, UserPatch, WithPassword, admin_only, refresh_directory, refusal,
};
use crate::admin::generate_password;
use crate::api::{ApiError, Json};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::users::{self, Account, NewUser, UserChange, WriteError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list).post(create))
        .route("/admin/users/{id}", patch(change))
        .route("/admin/users/{id}/reset", post(reset))
        .route("/admin/users/{id}/disable", post(disable))
        .route("/admin/users/{id}/enable", post(enable))
}

impl From<Account> for AdminUser {
    fn from(account: Account) -> Self {
        Self {
            id: account.id,
            username: account.username,
            display_name: account.display_name,
            roles: account.roles,
            unit: account.unit,
            disabled: account.disabled,
            must_change_password: account.must_change_password,
        }
    }
}

/// User `id` as it is now; 404 for an unknown id and for `system`.
async fn fetch(state: &AppState, id: &str) -> Result<AdminUser, ApiError> {
    users::account(&state.pool, id)
        .await?
        .filter(|account| account.id != "system")
        .map(AdminUser::from)
        .ok_or_else(|| refusal(WriteError::UnknownUser(id.to_owned())))
}

async fn list(
    State(state): State<AppState>,
    caller: CurrentUser,
) -> Result<JsonResponse<Vec<AdminUser>>, ApiError> {
    admin_only(&caller)?;
    let all = users::list(&state.pool).await?;
    Ok(JsonResponse(all.into_iter().map(AdminUser::from).collect()))
}

async fn create(
    State(state): State<AppState>,
    caller: CurrentUser,
    Json(request): Json<NewUserRequest>,
) -> Result<(StatusCode, JsonResponse<WithPassword>), ApiError> {
    admin_only(&caller)?;
    let roles = users::parse_roles(&request.roles).map_err(refusal)?;
    let unit = request.unit.filter(|u| !u.trim().is_empty());
    let password = generate_password();
    let password_hash = state.auth.passwords.hash(password.clone()).await?;
    let id = users::create_user(
        &state.pool,
        &NewUser {
            username: request.username,
            display_name: request.display_name,
            roles,
            unit,
            password_hash,
            must_change_password: true,
        },
    )
    .await
    .map_err(refusal)?;
    refresh_directory(&state).await;
    let user = fetch(&state, &id).await?;
    tracing::info!(admin = %caller.user.id, user = %id, username = %user.username, roles = ?user.roles, unit = ?user.unit, "admin action: user created");
    Ok((
        StatusCode::CREATED,
        JsonResponse(WithPassword {
            user,
            one_time_password: password,
        }),
    ))
}

async fn change(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<String>,
    Json(request): Json<UserPatch>,
) -> Result<JsonResponse<AdminUser>, ApiError> {
    admin_only(&caller)?;
    let roles = request
        .roles
        .as_deref()
        .map(users::parse_roles)
        .transpose()
        .map_err(refusal)?;
    // An admin who removed their own admin role could lock the office out of administration.
    if id == caller.user.id
        && roles
            .as_ref()
            .is_some_and(|r| !r.contains(&duyan_shared::rules::Role::Admin))
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "cannot_demote_self",
            "不能取消自己的管理员角色 (you cannot remove your own admin role)",
        ));
    }
    let change = UserChange {
        display_name: request.display_name,
        roles,
        unit: request
            .unit
            .map(|unit| unit.filter(|u| !u.trim().is_empty())),
    };
    users::update_user(&state.pool, &id, &change)
        .await
        .map_err(refusal)?;
    refresh_directory(&state).await;
    let user = fetch(&state, &id).await?;
    tracing::info!(admin = %caller.user.id, user = %id, display_name = ?change.display_name, roles = ?change.roles, unit = ?change.unit, "admin action: user changed");
    Ok(JsonResponse(user))
}

/// A new one-time password; every session of the user ends (they sign in with it).
async fn reset(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<String>,
) -> Result<JsonResponse<WithPassword>, ApiError> {
    admin_only(&caller)?;
    fetch(&state, &id).await?;
    let password = generate_password();
    let hash = state.auth.passwords.hash(password.clone()).await?;
    if !users::set_password(&state.pool, &id, &hash, true, None).await? {
        return Err(refusal(WriteError::UnknownUser(id)));
    }
    refresh_directory(&state).await;
    let user = fetch(&state, &id).await?;
    tracing::info!(admin = %caller.user.id, user = %id, "admin action: password reset to a one-time one; sessions ended");
    Ok(JsonResponse(WithPassword {
        user,
        one_time_password: password,
    }))
}

async fn disable(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<String>,
) -> Result<JsonResponse<AdminUser>, ApiError> {
    admin_only(&caller)?;
    if id == caller.user.id {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "cannot_disable_self",
            "不能停用自己的账号 (you cannot disable your own account)",
        ));
    }
    set_disabled(state, caller, id, true).await
}

async fn enable(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<String>,
) -> Result<JsonResponse<AdminUser>, ApiError> {
    admin_only(&caller)?;
    set_disabled(state, caller, id, false).await
}

/// Disabling ends the user's sessions in the same transaction; the directory reload below
/// closes their sync connections and refuses their access tokens at once.
async fn set_disabled(
    state: AppState,
    caller: CurrentUser,
    id: String,
    disabled: bool,
) -> Result<JsonResponse<AdminUser>, ApiError> {
    users::set_disabled_by_id(&state.pool, &id, disabled)
        .await
        .map_err(refusal)?;
    refresh_directory(&state).await;
    let user = fetch(&state, &id).await?;
    let action = if disabled {
        "admin action: user disabled; sessions ended"
    } else {
        "admin action: user enabled"
    };
    tracing::info!(admin = %caller.user.id, user = %id, "{action}");
    Ok(JsonResponse(user))
}
