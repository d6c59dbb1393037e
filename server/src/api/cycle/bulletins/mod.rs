//! 通报: a supervisor, leader or admin drafts one for a period from the data, edits it while it
//! is a draft, and publishes it to everyone signed in.
//!
//! - `GET /api/bulletins`: the published 通报 and the drafts the caller may read, newest first;
//! - `POST /api/bulletins` (`NewBulletin`, `?at=` pins "now"): a draft of a month, quarter or
//!   ISO week that has begun, its units and items found by the 考核's own counting
//!   (`duyan_shared::assessment::findings`), its texts drafted ([`draft`]) unless given;
//! - `GET`/`PATCH /api/bulletins/{id}` (`BulletinEdit`; 409 `not_draft` once published);
//! - `POST /api/bulletins/{id}/publish` (409 `already_published` the second time);
//! - `GET /api/bulletins/{id}/document.docx`: the 通报 under the office's 红头.
//!
//! Who reads what: a draft only its author, supervisors, leaders and admins; anyone else gets
//! 404 for it, as for a 通报 that does not exist. A published 通报 names units and the titles of
//! their items to everyone: that is what a 通报 is. It names nothing else, and what it names was
//! fixed when drafted (and edited down), not read again from the records when shown.
//! A published 通报 costs each unit it criticises the 考核's `bulletin` points
//! (`duyan_shared::assessment::assess_with`).

mod draft;
pub(super) mod store;

use std::collections::HashMap;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use duyan_shared::api::{
    Bulletin, BulletinEdit, BulletinList, BulletinUnit, NewBulletin, UnitRemark,
};
use duyan_shared::assessment::findings;
use serde::Deserialize;

use super::assessments::{any_period, facts};
use crate::api::scope::{bad, now, parse_at, unit_name};
use crate::api::{ApiError, Json};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::documents::{self, DOCX, settings};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bulletins", get(list).post(create))
        .route("/bulletins/{id}", get(show).patch(edit))
        .route("/bulletins/{id}/publish", post(publish))
        .route("/bulletins/{id}/document.docx", get(document))
}

fn no_bulletin() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such 通报")
}

fn may_not_draft() -> ApiError {
    ApiError::forbidden("通报 are drafted and published by supervisors, leaders and admins")
}

/// The 通报 `id` if the caller may read it; 404 otherwise (an id that is not a number too).
async fn readable(state: &AppState, caller: &CurrentUser, id: &str) -> Result<Bulletin, ApiError> {
    let id: i64 = id.parse().map_err(|_| no_bulletin())?;
    match store::load(&state.pool, id).await? {
        Some(b) if store::may_read(&caller.user, &b) => Ok(b),
        _ => Err(no_bulletin()),
    }
}

async fn list(
    State(state): State<AppState>,
    caller: CurrentUser,
) -> Result<axum::Json<BulletinList>, ApiError> {
    Ok(axum::Json(BulletinList {
        bulletins: store::list(&state.pool, &caller.user).await?,
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateParams {
    /// "Now" (ms): facts are counted up to it.
    at: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    caller: CurrentUser,
    params: Result<Query<CreateParams>, QueryRejection>,
    Json(body): Json<NewBulletin>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|rejection| bad(rejection.body_text()))?;
    if !store::drafts(&caller.user) {
        return Err(may_not_draft());
    }
    let at = parse_at(params.at.as_deref())?.unwrap_or_else(now);
    let period = any_period(body.period.trim())?;
    let (from, _) = period.bounds();
    if at < from {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "period_not_started",
            "a 通报 is drafted for a period that has begun",
        ));
    }
    // Check what was given before counting anything.
    let title = body
        .title
        .as_deref()
        .map(|t| draft::checked(t, draft::MAX_TITLE, false, "the title"))
        .transpose()?;
    let summary = body
        .summary
        .as_deref()
        .map(|t| draft::checked(t, draft::MAX_TEXT, true, "the summary"))
        .transpose()?;
    let requirements = body
        .requirements
        .as_deref()
        .map(|t| draft::checked(t, draft::MAX_TEXT, true, "the requirements"))
        .transpose()?;

    let items = facts(&state.pool, period).await?;
    let tracked = items.len();
    let found = tokio::task::spawn_blocking(move || findings(period, at, &items)).await?;
    let mut ids: Vec<String> = found
        .criticised
        .iter()
        .chain(&found.praised)
        .flat_map(|u| u.items.iter().map(|i| i.record_id.clone()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let titles: HashMap<String, String> = sqlx::query!(
        r#"select id as "id!", title as "title!" from records
           where id = any($1) and title is not null"#,
        &ids
    )
    .fetch_all(&state.pool)
    .await?
    .into_iter()
    .map(|r| (r.id, r.title))
    .collect();
    let directory = state.directory.current();
    let names = |unit: &str| unit_name(&directory, unit);
    let drafted = draft::draft(period, &found, tracked, &names, &titles);
    let mut bulletin = Bulletin {
        period: period.to_string(),
        status: "draft".into(),
        title: title.unwrap_or(drafted.title),
        summary: summary.unwrap_or(drafted.summary),
        requirements: requirements.unwrap_or(drafted.requirements),
        criticised: drafted.criticised,
        praised: drafted.praised,
        created_by: caller.user.id.clone(),
        ..Bulletin::default()
    };
    bulletin.id = store::insert(&state.pool, &bulletin).await?;
    let stored = store::load(&state.pool, bulletin.id)
        .await?
        .ok_or_else(no_bulletin)?;
    Ok((StatusCode::CREATED, axum::Json(stored)).into_response())
}

async fn show(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<String>,
) -> Result<axum::Json<Bulletin>, ApiError> {
    Ok(axum::Json(readable(&state, &caller, &id).await?))
}

fn not_draft() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "not_draft",
        "a published 通报 is not edited",
    )
}

/// Keeps the units of `list` that `kept` names, in `kept`'s order, with its remarks; a unit
/// not drafted, or named twice, is a 422.
fn keep(list: Vec<BulletinUnit>, kept: &[UnitRemark]) -> Result<Vec<BulletinUnit>, ApiError> {
    let mut by_unit: HashMap<String, BulletinUnit> =
        list.into_iter().map(|u| (u.unit.clone(), u)).collect();
    kept.iter()
        .map(|k| {
            let mut unit = by_unit.remove(&k.unit).ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_bulletin",
                    "a 通报 keeps only units it was drafted with, each once",
                )
            })?;
            unit.remark = draft::checked_remark(&k.remark)?;
            Ok(unit)
        })
        .collect()
}

async fn edit(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<BulletinEdit>,
) -> Result<axum::Json<Bulletin>, ApiError> {
    let mut bulletin = readable(&state, &caller, &id).await?;
    if !store::drafts(&caller.user) {
        return Err(may_not_draft());
    }
    if bulletin.status != "draft" {
        return Err(not_draft());
    }
    if let Some(title) = &body.title {
        bulletin.title = draft::checked(title, draft::MAX_TITLE, false, "the title")?;
    }
    if let Some(summary) = &body.summary {
        bulletin.summary = draft::checked(summary, draft::MAX_TEXT, true, "the summary")?;
    }
    if let Some(text) = &body.requirements {
        bulletin.requirements = draft::checked(text, draft::MAX_TEXT, true, "the requirements")?;
    }
    if let Some(kept) = &body.criticised {
        bulletin.criticised = keep(std::mem::take(&mut bulletin.criticised), kept)?;
    }
    if let Some(kept) = &body.praised {
        bulletin.praised = keep(std::mem::take(&mut bulletin.praised), kept)?;
    }
    if !store::update_draft(&state.pool, &bulletin).await? {
        return Err(not_draft());
    }
    Ok(axum::Json(
        store::load(&state.pool, bulletin.id)
            .await?
            .ok_or_else(no_bulletin)?,
    ))
}

async fn publish(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<String>,
) -> Result<axum::Json<Bulletin>, ApiError> {
    let bulletin = readable(&state, &caller, &id).await?;
    if !store::drafts(&caller.user) {
        return Err(may_not_draft());
    }
    if !store::publish(&state.pool, bulletin.id, &caller.user.id).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_published",
            "this 通报 is published already",
        ));
    }
    Ok(axum::Json(
        store::load(&state.pool, bulletin.id)
            .await?
            .ok_or_else(no_bulletin)?,
    ))
}

async fn document(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let bulletin = readable(&state, &caller, &id).await?;
    let issuer = settings::issuer(&state.pool).await?;
    let today = now();
    let name = format!(
        "通报-{}.docx",
        crate::blobs::export::safe(&bulletin.title, 40)
    );
    let bytes = tokio::task::spawn_blocking(move || {
        documents::bulletin(&bulletin, &issuer, today).map_err(ApiError::internal)
    })
    .await??;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(DOCX)),
            (
                header::CONTENT_DISPOSITION,
                crate::api::documents::attachment(&name, "bulletin.docx"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response())
}
