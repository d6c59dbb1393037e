//! `GET /api/reports/monthly?month=2026-12`: the 月报, the weekly report's counts over a
//! calendar month in Asia/Shanghai (by default the month `at`, default now, falls in). The
//! rules are the weekly report's (`api::weekly`), with the month as the period: "due next
//! month" instead of "due next week". JSON in the weekly report's shape, with `month` for
//! `week` and `due_next_month` for `due_next_week`; `format=xlsx` for a workbook.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Datelike;
use duyan_shared::assessment::Period;
use serde::Deserialize;
use serde_json::Value;

use crate::api::scope::{bad, now, parse_at};
use crate::api::weekly::{self, Labels, Span};
use crate::api::{ApiError, xlsx};
use crate::app::AppState;
use crate::auth::CurrentUser;

pub fn router() -> Router<AppState> {
    Router::new().route("/reports/monthly", get(monthly))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// `YYYY-MM`.
    month: Option<String>,
    format: Option<String>,
    at: Option<String>,
}

const MONTHLY: Labels = Labels {
    title: "督办事项月报",
    due_next: "下月到期",
    sheet: "月报",
};

/// Renames the weekly report's period-bound keys for a month, at any depth.
fn for_month(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(v) = map.remove("week") {
                map.insert("month".into(), v);
            }
            if let Some(v) = map.remove("due_next_week") {
                map.insert("due_next_month".into(), v);
            }
            map.values_mut().for_each(for_month);
        }
        Value::Array(list) => list.iter_mut().for_each(for_month),
        _ => {}
    }
}

async fn monthly(
    State(state): State<AppState>,
    caller: CurrentUser,
    headers: HeaderMap,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|rejection| bad(rejection.body_text()))?;
    let as_xlsx = xlsx::wants_xlsx(params.format.as_deref(), &headers)?;
    let at = parse_at(params.at.as_deref())?.unwrap_or_else(now);
    let month = match params.month.as_deref() {
        Some(text) => match text.parse::<Period>() {
            Ok(Period::Month(year, month)) if (2000..=2100).contains(&year) => (year, month),
            _ => return Err(bad("month must be YYYY-MM, between 2000 and 2100")),
        },
        None => {
            let today = at.local_date();
            (today.year(), today.month())
        }
    };
    let this = Period::Month(month.0, month.1);
    let next = if month.1 == 12 {
        Period::Month(month.0 + 1, 1)
    } else {
        Period::Month(month.0, month.1 + 1)
    };
    let (from, to) = this.bounds();
    let span = Span {
        label: this.to_string(),
        from,
        to,
        next_to: next.bounds().1,
    };
    let directory = state.directory.current();
    let reader = directory.reader(&caller.user);
    let report = weekly::report(&state.pool, &reader, &directory, &span, at).await?;
    if as_xlsx {
        let filename = format!("monthly-{this}.xlsx");
        let bytes = tokio::task::spawn_blocking(move || {
            weekly::workbook(&report, &directory, &span, &MONTHLY)
        })
        .await??;
        return Ok(xlsx::download(bytes, &filename));
    }
    let mut json = serde_json::to_value(&report).map_err(ApiError::internal)?;
    for_month(&mut json);
    Ok(axum::Json(json).into_response())
}
