//! Administration of users and units, admins only: `/api/admin/users` and `/api/admin/units`.
//!
//! The same rules as the `duyan user` / `duyan unit` commands, because both write through
//! [`crate::users`]. Every change reloads this process's directory at once (other processes
//! follow within a second through `directory_version`), so a disabled user's requests and
//! sync sessions end right away. Changes are logged (`admin action`, with who did what to
//! whom): there is no audit table for administration yet, and the log is where an operator
//! looks.
//!
//! The request and answer types are here, plain serde structs, for the web app's types
//! (`web/src/sync/admin.ts`) to follow.

mod units;
mod users;

use axum::Router;
use axum::http::StatusCode;
use duyan_shared::rules::Role;
use serde::{Deserialize, Deserializer, Serialize};

use super::ApiError;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::users::WriteError;

pub fn router() -> Router<AppState> {
    Router::new().merge(users::router()).merge(units::router())
}

/// A user as admins see them; the field names of `/api/directory`, plus whether the password
/// is a one-time one.
#[derive(Debug, Clone, Serialize)]
pub struct AdminUser {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    /// Unit id.
    pub unit: Option<String>,
    pub disabled: bool,
    pub must_change_password: bool,
}

/// `POST /api/admin/users`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<String>,
    #[serde(default)]
    pub unit: Option<String>,
}

/// `PATCH /api/admin/users/{id}`: the fields given change; `"unit": null` takes the user out
/// of every unit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    pub unit: Option<Option<String>>,
}

/// What creating a user and resetting a password answer: the user, and the one-time password
/// to hand over. It is shown this once; only its hash is kept.
#[derive(Debug, Serialize)]
pub struct WithPassword {
    pub user: AdminUser,
    pub one_time_password: String,
}

/// A unit as admins see it; the field names of `/api/directory`.
#[derive(Debug, Clone, Serialize)]
pub struct AdminUnit {
    pub id: String,
    pub name: String,
    /// The unit above; none at the top.
    pub parent: Option<String>,
}

/// `POST /api/admin/units`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUnitRequest {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub parent: Option<String>,
}

/// `PATCH /api/admin/units/{id}`: rename (`name`) and/or move (`parent`; `null` moves the
/// unit to the top).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub parent: Option<Option<String>>,
}

/// A field that is present, `null` included: `Some(None)`; absent is `None` (the default).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Refuses everyone but admins, with 403: administration is no secret, so no 404 is needed.
fn admin_only(caller: &CurrentUser) -> Result<(), ApiError> {
    if caller.user.has_role(Role::Admin) {
        Ok(())
    } else {
        Err(ApiError::forbidden("users and units are managed by admins"))
    }
}

/// The refusal for a write that could not be made, in words for the admin.
fn refusal(error: WriteError) -> ApiError {
    let bad = |code, message: String| ApiError::new(StatusCode::BAD_REQUEST, code, message);
    match error {
        WriteError::DuplicateUsername(name) => ApiError::new(
            StatusCode::CONFLICT,
            "username_taken",
            format!("用户名 {name} 已被使用 (username taken)"),
        ),
        WriteError::DuplicateUnit(id) => ApiError::new(
            StatusCode::CONFLICT,
            "unit_taken",
            format!("单位编号 {id} 已被使用 (unit id taken)"),
        ),
        WriteError::UnknownUnit(id) => bad("unknown_unit", format!("没有单位 {id} (no such unit)")),
        WriteError::UnknownUser(_) => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "没有该用户 (no such user)",
        ),
        WriteError::UnitCycle(_) => ApiError::new(
            StatusCode::CONFLICT,
            "unit_cycle",
            "不能移到自身或其下级单位之下 (a unit cannot move below itself or its own sub-units)",
        ),
        error @ (WriteError::InvalidUsername
        | WriteError::InvalidDisplayName
        | WriteError::UnknownRole(_)
        | WriteError::NoRoles
        | WriteError::InvalidUnit) => {
            let code = match error {
                WriteError::InvalidUsername => "invalid_username",
                WriteError::InvalidDisplayName => "invalid_display_name",
                WriteError::InvalidUnit => "invalid_unit",
                _ => "invalid_roles",
            };
            // These messages name only what the admin typed and the rule.
            bad(code, error.to_string())
        }
        WriteError::Database(error) => ApiError::internal(error),
    }
}

/// Reloads this process's directory after a change, so it holds here at once; if that fails
/// the poller catches up within a second, and the change itself is committed.
async fn refresh_directory(state: &AppState) {
    if let Err(error) = state.directory.refresh().await {
        tracing::warn!(%error, "cannot reload the directory after an admin change; the poller will");
    }
}
