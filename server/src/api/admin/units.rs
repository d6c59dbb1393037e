//! `/api/admin/units`: list, create, rename and move.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json as JsonResponse, Router};

use super::{AdminUnit, NewUnitRequest, UnitPatch, admin_only, refresh_directory, refusal};
use crate::api::{ApiError, Json};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::users::{self, UnitRow, WriteError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/units", get(list).post(create))
        .route("/admin/units/{id}", patch(change))
}

impl From<UnitRow> for AdminUnit {
    fn from(row: UnitRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            parent: row.parent_id,
        }
    }
}

async fn list(
    State(state): State<AppState>,
    caller: CurrentUser,
) -> Result<JsonResponse<Vec<AdminUnit>>, ApiError> {
    admin_only(&caller)?;
    let all = users::list_units(&state.pool).await?;
    Ok(JsonResponse(all.into_iter().map(AdminUnit::from).collect()))
}

async fn create(
    State(state): State<AppState>,
    caller: CurrentUser,
    Json(request): Json<NewUnitRequest>,
) -> Result<(StatusCode, JsonResponse<AdminUnit>), ApiError> {
    admin_only(&caller)?;
    let unit = UnitRow {
        id: request.id.trim().to_owned(),
        name: request.name.trim().to_owned(),
        parent_id: request.parent.filter(|p| !p.trim().is_empty()),
    };
    users::create_unit(&state.pool, &unit)
        .await
        .map_err(refusal)?;
    refresh_directory(&state).await;
    tracing::info!(admin = %caller.user.id, unit = %unit.id, name = %unit.name, parent = ?unit.parent_id, "admin action: unit created");
    Ok((StatusCode::CREATED, JsonResponse(AdminUnit::from(unit))))
}

async fn change(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<String>,
    Json(request): Json<UnitPatch>,
) -> Result<JsonResponse<AdminUnit>, ApiError> {
    admin_only(&caller)?;
    let parent = request
        .parent
        .as_ref()
        .map(|p| p.as_deref().filter(|p| !p.trim().is_empty()));
    match users::update_unit(&state.pool, &id, request.name.as_deref(), parent).await {
        Ok(()) => {}
        Err(WriteError::UnknownUnit(unknown)) if unknown == id => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "没有该单位 (no such unit)",
            ));
        }
        Err(error) => return Err(refusal(error)),
    }
    refresh_directory(&state).await;
    tracing::info!(admin = %caller.user.id, unit = %id, name = ?request.name, parent = ?request.parent, "admin action: unit changed");
    let unit = users::list_units(&state.pool)
        .await?
        .into_iter()
        .find(|u| u.id == id)
        .ok_or_else(|| ApiError::internal(format!("unit {id} vanished after its change")))?;
    Ok(JsonResponse(AdminUnit::from(unit)))
}
