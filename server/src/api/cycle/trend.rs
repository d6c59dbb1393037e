//! `GET /api/dashboard/trend?kind=month&count=6`: the leaders' dashboard over the last `count`
//! weeks, months or quarters (the current one last, as of `at`), counted over the 督办事项 the
//! caller may read (`readable_records`, as the dashboard): items followed, new, closed, closed
//! on time, and overdue, with the 考核's meaning of each (`duyan_shared::assessment`): an item
//! is overdue in a period when it was open past its deadline at some instant of it.
//!
//! One query: the periods are an array joined to the readable items, so twelve periods over
//! 100,000 items are one scan.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use duyan_shared::api::{DashboardTrend, TrendPoint};
use duyan_shared::assessment::{Period, PeriodKind};
use serde::Deserialize;

use crate::api::ApiError;
use crate::api::scope::{bad, now, parse_at};
use crate::app::AppState;
use crate::auth::CurrentUser;

/// The most periods one answer holds.
pub const MAX_POINTS: usize = 12;

pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard/trend", get(trend))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// `week`, `month` (the default) or `quarter`.
    kind: Option<String>,
    /// How many periods, 1 to 12 (default 6).
    count: Option<String>,
    /// "Now" (ms): the last period is the one it falls in, counted up to it.
    at: Option<String>,
}

async fn trend(
    State(state): State<AppState>,
    caller: CurrentUser,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<axum::Json<DashboardTrend>, ApiError> {
    let Query(params) = params.map_err(|rejection| bad(rejection.body_text()))?;
    let kind = match params.kind.as_deref().unwrap_or("month") {
        "week" => PeriodKind::Week,
        "month" => PeriodKind::Month,
        "quarter" => PeriodKind::Quarter,
        _ => return Err(bad("kind must be week, month or quarter")),
    };
    let count = match params.count.as_deref() {
        None => 6,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_POINTS).contains(n))
            .ok_or_else(|| bad(format!("count must be 1 to {MAX_POINTS}")))?,
    };
    let at = parse_at(params.at.as_deref())?.unwrap_or_else(now);
    let mut periods = vec![Period::holding(kind, at.local_date())];
    while periods.len() < count {
        let Some(before) = periods.last().and_then(|p| p.previous()) else {
            break;
        };
        periods.push(before);
    }
    periods.reverse();
    let froms: Vec<i64> = periods.iter().map(|p| p.bounds().0.millis()).collect();
    // Counted up to `at` in the current period.
    let ends: Vec<i64> = periods
        .iter()
        .map(|p| p.bounds().1.millis().min(at.millis()))
        .collect();
    let directory = state.directory.current();
    let reader = directory.reader(&caller.user);
    let rows = sqlx::query!(
        r#"with items as (
               select r.assigned_at, r.closed_at, r.deadline, r.is_open,
                      r.status in ('closed', 'evaluated') as is_closed
               from readable_records($1, $2, $3::text[]) r
               where r.kind = 'duban' and r.status is not null and r.status <> 'draft'
           ),
           periods as (
               select n,
                      'epoch'::timestamptz + f * interval '1 millisecond' as from_ts,
                      'epoch'::timestamptz + e * interval '1 millisecond' as end_ts
               from unnest($4::int8[], $5::int8[]) with ordinality as p(f, e, n)
           )
           select p.n as "n!",
                  count(i.*) filter (where i.assigned_at < p.end_ts
                                       and (i.closed_at is null or i.closed_at >= p.from_ts))
                      as "active!",
                  count(i.*) filter (where i.assigned_at >= p.from_ts and i.assigned_at < p.end_ts)
                      as "new!",
                  count(i.*) filter (where i.is_closed and i.closed_at >= p.from_ts
                                       and i.closed_at < p.end_ts) as "closed!",
                  count(i.*) filter (where i.is_closed and i.closed_at >= p.from_ts
                                       and i.closed_at < p.end_ts and i.deadline is not null)
                      as "closed_with_deadline!",
                  count(i.*) filter (where i.is_closed and i.closed_at >= p.from_ts
                                       and i.closed_at < p.end_ts and i.closed_at <= i.deadline)
                      as "on_time!",
                  count(i.*) filter (where i.deadline is not null and i.assigned_at < p.end_ts
                                       and (i.is_open or (i.is_closed and i.closed_at is not null))
                                       and greatest(i.deadline, p.from_ts)
                                           < least(coalesce(i.closed_at, p.end_ts), p.end_ts))
                      as "overdue!"
           from periods p left join items i on true
           group by p.n
           order by p.n"#,
        reader.id,
        reader.reads_all,
        &reader.units,
        &froms,
        &ends,
    )
    .fetch_all(&state.pool)
    .await?;
    let points = periods
        .iter()
        .zip(rows)
        .map(|(period, row)| {
            let (from, to) = period.bounds();
            // Counts are far below 2^52: the division is exact enough.
            #[allow(clippy::cast_precision_loss)]
            let rate = (row.closed_with_deadline > 0)
                .then(|| row.on_time as f64 / row.closed_with_deadline as f64);
            TrendPoint {
                period: period.to_string(),
                from: from.millis(),
                to: to.millis(),
                active: row.active,
                new: row.new,
                closed: row.closed,
                closed_with_deadline: row.closed_with_deadline,
                on_time: row.on_time,
                rate,
                overdue: row.overdue,
            }
        })
        .collect();
    let kind = match kind {
        PeriodKind::Week => "week",
        PeriodKind::Month => "month",
        PeriodKind::Quarter => "quarter",
    };
    Ok(axum::Json(DashboardTrend {
        kind: kind.to_owned(),
        points,
    }))
}
