//! 考核 per unit, per month and quarter: `GET /api/assessments?period=2026-Q4` (also
//! `2026-12`; `format=xlsx` for a workbook), the rules (`GET`/`PUT /api/assessments/rules`,
//! admins change them) and `POST /api/assessments/{period}/freeze` (admins, supervisors).
//!
//! The scores are `duyan_shared::assessment::assess_with` over every 督办事项 of the period, the
//! published 通报 (`bulletins`) and the rules stored in `assessment_rules` (the defaults while
//! none are stored). A frozen period is
//! answered from `assessment_freezes`, exactly as it was computed when frozen.
//!
//! Who sees what: admins, leaders and supervisors every unit; anyone else the rows of their
//! own unit and the units below it, and nothing without a unit. Ranks are among all units.
//! Every point names an item of the row's unit (lead or co-operating), which that unit's
//! staff may read, so no row shows an item of another unit.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use duyan_shared::assessment::{self, Assessment, ItemFacts, Period, Rules};
use duyan_shared::records::Rating;
use duyan_shared::rules::Role;
use duyan_shared::time::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::assessments_xlsx;
use crate::api::scope::{bad, now, parse_at, unit_name};
use crate::api::{ApiError, Json, xlsx};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::directory::Directory;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assessments", get(show))
        .route("/assessments/rules", get(rules).put(set_rules))
        .route("/assessments/{period}/freeze", post(freeze))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    period: Option<String>,
    format: Option<String>,
    /// "Now" (ms) for a period not frozen: facts are counted up to it.
    at: Option<String>,
}

/// The answer: the assessment, whether it is frozen, and the units' names.
#[derive(Debug, Serialize)]
pub(super) struct Answer {
    #[serde(flatten)]
    pub assessment: Assessment,
    pub frozen: bool,
    /// ms since the epoch.
    pub frozen_at: Option<i64>,
    /// Unit id to name, for the units listed.
    pub names: BTreeMap<String, String>,
}

/// A month, a quarter or an ISO week between 2000 and 2100 (通报 and the dashboard take weeks).
pub(crate) fn any_period(text: &str) -> Result<Period, ApiError> {
    let period: Period = text.parse().map_err(|_| {
        bad("period must be a month, YYYY-MM, a quarter, YYYY-Qn, or an ISO week, YYYY-Www")
    })?;
    if !(2000..=2100).contains(&period.year()) {
        return Err(bad("period must lie between 2000 and 2100"));
    }
    Ok(period)
}

/// A month or a quarter: what the 考核 is counted for.
fn period(text: &str) -> Result<Period, ApiError> {
    match any_period(text)? {
        Period::Week(..) => Err(bad(
            "period must be a month, YYYY-MM, or a quarter, YYYY-Qn",
        )),
        period => Ok(period),
    }
}

/// The stored rules, or the defaults.
async fn stored_rules(pool: &PgPool) -> Result<Rules, ApiError> {
    let stored = sqlx::query_scalar!("select rules from assessment_rules")
        .fetch_optional(pool)
        .await?;
    match stored {
        None => Ok(Rules::default()),
        Some(json) => serde_json::from_value(json).map_err(ApiError::internal),
    }
}

fn ms(millis: Option<i64>) -> Option<Timestamp> {
    millis.and_then(Timestamp::from_millis)
}

/// The facts of every 督办事项 (not a draft) that may count in `period`.
pub(super) async fn facts(pool: &PgPool, period: Period) -> Result<Vec<ItemFacts>, ApiError> {
    let (from, to) = period.bounds();
    let rows = sqlx::query!(
        r#"select id as "id!", lead_unit, co_units as "co_units!", is_open as "is_open!",
                  (extract(epoch from assigned_at) * 1000)::int8 as assigned_at,
                  (extract(epoch from deadline) * 1000)::int8 as deadline,
                  (extract(epoch from closed_at) * 1000)::int8 as closed_at,
                  (select (extract(epoch from min(a)) * 1000)::int8 from unnest(progress_ats) a)
                      as first_progress_at,
                  (extract(epoch from feedback_due) * 1000)::int8 as feedback_due,
                  array(select (extract(epoch from a) * 1000)::int8 from unnest(returned_ats) a)
                      as "returned_ats!",
                  rating,
                  (extract(epoch from evaluated_at) * 1000)::int8 as evaluated_at
           from records
           where kind = 'duban' and status <> 'draft'
             and assigned_at < 'epoch'::timestamptz + $2::int8 * interval '1 millisecond'
             and (closed_at is null
                  or closed_at >= 'epoch'::timestamptz + $1::int8 * interval '1 millisecond')"#,
        from.millis(),
        to.millis(),
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ItemFacts {
            id: r.id,
            lead_unit: r.lead_unit,
            co_units: r.co_units,
            is_open: r.is_open,
            assigned_at: ms(r.assigned_at),
            deadline: ms(r.deadline),
            closed_at: ms(r.closed_at),
            first_progress_at: ms(r.first_progress_at),
            feedback_due: ms(r.feedback_due),
            returned_at: r
                .returned_ats
                .into_iter()
                .filter_map(Timestamp::from_millis)
                .collect(),
            evaluation: r
                .rating
                .and_then(|r| r.parse::<Rating>().ok())
                .zip(ms(r.evaluated_at)),
        })
        .collect())
}

/// The assessment of `period` counted up to `at`, over every unit.
async fn compute(
    pool: &PgPool,
    directory: &Directory,
    period: Period,
    at: Timestamp,
) -> Result<Assessment, ApiError> {
    let rules = stored_rules(pool).await?;
    let items = facts(pool, period).await?;
    let bulletins = super::bulletins::store::published_facts(pool).await?;
    let units: Vec<String> = directory.units().map(|u| u.id.clone()).collect();
    // Pure CPU over up to 100,000 items: off the async workers.
    tokio::task::spawn_blocking(move || {
        assessment::assess_with(period, at, &rules, &units, &items, &bulletins)
    })
    .await
    .map_err(ApiError::internal)
}

async fn show(
    State(state): State<AppState>,
    caller: CurrentUser,
    headers: HeaderMap,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|rejection| bad(rejection.body_text()))?;
    let as_xlsx = xlsx::wants_xlsx(params.format.as_deref(), &headers)?;
    let period = period(
        params
            .period
            .as_deref()
            .ok_or_else(|| bad("period is required"))?,
    )?;
    let at = parse_at(params.at.as_deref())?.unwrap_or_else(now);
    let directory = state.directory.current();
    let reader = directory.reader(&caller.user);
    let frozen = sqlx::query!(
        r#"select result, (extract(epoch from frozen_at) * 1000)::int8 as "frozen_at!"
           from assessment_freezes where period = $1"#,
        period.to_string()
    )
    .fetch_optional(&state.pool)
    .await?;
    let (assessment, frozen_at) = match frozen {
        Some(row) => (
            serde_json::from_value::<Assessment>(row.result).map_err(ApiError::internal)?,
            Some(row.frozen_at),
        ),
        None => (compute(&state.pool, &directory, period, at).await?, None),
    };
    let assessment = if reader.reads_all {
        assessment
    } else {
        assessment.only(&reader.units)
    };
    let names = assessment
        .units
        .iter()
        .map(|u| (u.unit.clone(), unit_name(&directory, &u.unit)))
        .collect();
    let answer = Answer {
        assessment,
        frozen: frozen_at.is_some(),
        frozen_at,
        names,
    };
    if !as_xlsx {
        return Ok(axum::Json(answer).into_response());
    }
    let filename = format!("assessment-{period}.xlsx");
    let bytes = tokio::task::spawn_blocking(move || assessments_xlsx::workbook(&answer))
        .await
        .map_err(ApiError::internal)??;
    Ok(xlsx::download(bytes, &filename))
}

async fn rules(State(state): State<AppState>, _caller: CurrentUser) -> Result<Response, ApiError> {
    Ok(axum::Json(stored_rules(&state.pool).await?).into_response())
}

async fn set_rules(
    State(state): State<AppState>,
    caller: CurrentUser,
    Json(rules): Json<Rules>,
) -> Result<Response, ApiError> {
    if !caller.user.has_role(Role::Admin) {
        return Err(ApiError::forbidden("the 考核 rules are set by admins"));
    }
    if let Some(problem) = rules.problem() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_rules",
            problem,
        ));
    }
    let json = serde_json::to_value(&rules).map_err(ApiError::internal)?;
    sqlx::query!(
        "insert into assessment_rules (only_row, rules, updated_by) values (true, $1, $2)
         on conflict (only_row) do update
             set rules = excluded.rules, updated_by = excluded.updated_by, updated_at = now()",
        json,
        caller.user.id
    )
    .execute(&state.pool)
    .await?;
    Ok(axum::Json(rules).into_response())
}

async fn freeze(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(text): Path<String>,
) -> Result<Response, ApiError> {
    if !(caller.user.has_role(Role::Admin) || caller.user.has_role(Role::Supervisor)) {
        return Err(ApiError::forbidden(
            "a period is frozen by an admin or a supervisor",
        ));
    }
    let period = period(&text)?;
    let at = now();
    if at < period.bounds().1 {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "period_not_over",
            "a period can be frozen once it is over",
        ));
    }
    let directory = state.directory.current();
    let assessment = compute(&state.pool, &directory, period, at).await?;
    let json = serde_json::to_value(&assessment).map_err(ApiError::internal)?;
    let stored = sqlx::query_scalar!(
        r#"insert into assessment_freezes (period, result, frozen_by) values ($1, $2, $3)
           on conflict (period) do nothing
           returning (extract(epoch from frozen_at) * 1000)::int8 as "frozen_at!""#,
        period.to_string(),
        json,
        caller.user.id
    )
    .fetch_optional(&state.pool)
    .await?;
    let Some(frozen_at) = stored else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_frozen",
            "this period is frozen already",
        ));
    };
    let names = assessment
        .units
        .iter()
        .map(|u| (u.unit.clone(), unit_name(&directory, &u.unit)))
        .collect();
    let answer = Answer {
        assessment,
        frozen: true,
        frozen_at: Some(frozen_at),
        names,
    };
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}
