//! `GET /api/dashboard`: how the 督办事项 the caller may read are doing, per lead unit and in
//! total: counts per status and per light, the on-time closing rate, and the items whose
//! periodic report is late.
//!
//! One grouped query over `readable_records` (the list's access rule), lights computed in SQL
//! by `record_light` for the instant asked about, so every number here agrees with
//! `GET /api/records?light=...&at=...`. Research records are not counted: they have neither
//! lights nor deadlines; damaged documents neither (their kind is unknown).
//!
//! - **On time**: an item closed (status 已办结 or 已评价, `closed_at` the last review that
//!   passed it, `derived::closed_at`) with a deadline counts as on time when `closed_at <=
//!   deadline`; the rate is on time / closed with a deadline, none when there are none.
//! - **Feedback late**: `derived::is_feedback_late`: open, and the next periodic report
//!   (`derived::next_feedback_due`, stored as `feedback_due`) is past.
//!
//! Statuses are the records' current ones; `at` moves only the clock that lights and
//! lateness are computed for.
//!
//! `period` (`2026-W49`, `2026-12`, `2026-Q4`) keeps the items followed in that period
//! (assigned before its end and not closed before its start, as the 考核 counts them) and moves
//! the clock to the period's end when that is earlier than `at`. The trend over several
//! periods is `GET /api/dashboard/trend` (`api::cycle::trend`).

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use duyan_shared::api::{Dashboard, DashboardCounts, DashboardUnit, LateFeedback};
use duyan_shared::records::DubanStatus;
use serde::Deserialize;

use super::ApiError;
use super::scope::{bad, due_soon_before, now, parse_at};
use crate::app::AppState;
use crate::auth::CurrentUser;

/// The most ids of late items listed; the count is always exact.
pub const MAX_LATE_IDS: usize = 1000;

pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard", get(dashboard))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// The instant lights and lateness are computed for (ms since the epoch); default now.
    at: Option<String>,
    /// A week, month or quarter: only the items followed in it.
    period: Option<String>,
}

/// Counts of nothing yet: every status present, at zero.
fn empty_counts() -> DashboardCounts {
    DashboardCounts {
        by_status: DubanStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), 0))
            .collect(),
        ..DashboardCounts::default()
    }
}

fn add(counts: &mut DashboardCounts, group: &Group) {
    counts.items += group.count;
    if let Some(n) = group
        .status
        .parse::<DubanStatus>()
        .ok()
        .and_then(|s| counts.by_status.get_mut(s.as_str()))
    {
        *n += group.count;
    }
    match group.light.as_deref() {
        Some("green") => counts.by_light.green += group.count,
        Some("yellow") => counts.by_light.yellow += group.count,
        Some("red") => counts.by_light.red += group.count,
        _ => {}
    }
    counts.on_time.closed_with_deadline += group.closed_with_deadline;
    counts.on_time.on_time += group.closed_on_time;
    counts.feedback_late += group.feedback_late;
}

fn finish(counts: &mut DashboardCounts) {
    let closed = counts.on_time.closed_with_deadline;
    // Counts are far below 2^52, so the conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    let rate = (closed > 0).then(|| counts.on_time.on_time as f64 / closed as f64);
    counts.on_time.rate = rate;
}

/// One group of the query: items of one lead unit, status and light.
struct Group {
    status: String,
    light: Option<String>,
    count: i64,
    closed_with_deadline: i64,
    closed_on_time: i64,
    feedback_late: i64,
}

async fn dashboard(
    State(state): State<AppState>,
    caller: CurrentUser,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<axum::Json<Dashboard>, ApiError> {
    let Query(params) = params.map_err(|rejection| bad(rejection.body_text()))?;
    let at = parse_at(params.at.as_deref())?.unwrap_or_else(now);
    let period = params
        .period
        .as_deref()
        .map(super::cycle::assessments::any_period)
        .transpose()?;
    // Without a period: every item, drafts too.
    let (from, to) = period.map_or((None, None), |p| {
        let (from, to) = p.bounds();
        (Some(from.millis()), Some(to.millis()))
    });
    // Lights as at the period's last instant, if it ended before `at`.
    let at = period
        .and_then(|p| {
            p.bounds()
                .1
                .checked_add(chrono::TimeDelta::milliseconds(-1))
        })
        .map_or(at, |last| at.min(last));
    let soon = due_soon_before(at)?;
    let directory = state.directory.current();
    let reader = directory.reader(&caller.user);

    let rows = sqlx::query!(
        r#"select r.lead_unit,
                  r.status as "status!",
                  record_light(r.is_open, r.deadline, r.attention_at, now_ts, soon_ts) as light,
                  count(*) as "count!",
                  count(*) filter (where r.status in ('closed', 'evaluated')
                                     and r.closed_at is not null and r.deadline is not null)
                      as "closed_with_deadline!",
                  count(*) filter (where r.status in ('closed', 'evaluated')
                                     and r.closed_at <= r.deadline) as "closed_on_time!",
                  coalesce(array_agg(r.id order by r.id)
                               filter (where r.is_open and r.feedback_due < now_ts), '{}')
                      as "feedback_late!"
           from readable_records($1, $2, $3::text[]) r,
                lateral (select 'epoch'::timestamptz + $4::int8 * interval '1 millisecond' as now_ts,
                                'epoch'::timestamptz + $5::int8 * interval '1 millisecond' as soon_ts) t
           where r.kind = 'duban' and r.status is not null
             and ($6::int8 is null
                  or (r.status <> 'draft'
                      and r.assigned_at < 'epoch'::timestamptz + $7::int8 * interval '1 millisecond'
                      and (r.closed_at is null
                           or r.closed_at >= 'epoch'::timestamptz + $6::int8 * interval '1 millisecond')))
           group by 1, 2, 3"#,
        reader.id,
        reader.reads_all,
        &reader.units,
        at.millis(),
        soon.millis(),
        from,
        to,
    )
    .fetch_all(&state.pool)
    .await?;

    let mut units: BTreeMap<Option<String>, DashboardCounts> = BTreeMap::new();
    let mut totals = empty_counts();
    let mut late_ids: Vec<String> = Vec::new();
    for row in rows {
        let group = Group {
            status: row.status,
            light: row.light,
            count: row.count,
            closed_with_deadline: row.closed_with_deadline,
            closed_on_time: row.closed_on_time,
            feedback_late: i64::try_from(row.feedback_late.len()).unwrap_or(i64::MAX),
        };
        add(
            units.entry(row.lead_unit).or_insert_with(empty_counts),
            &group,
        );
        add(&mut totals, &group);
        late_ids.extend(row.feedback_late);
    }
    finish(&mut totals);
    late_ids.sort_unstable();
    late_ids.truncate(MAX_LATE_IDS);

    // `None` sorts first in a BTreeMap; items without a lead unit go last.
    let (known, unassigned): (Vec<_>, Vec<_>) =
        units.into_iter().partition(|(unit, _)| unit.is_some());
    let units = known
        .into_iter()
        .chain(unassigned)
        .map(|(unit, mut counts)| {
            finish(&mut counts);
            DashboardUnit {
                name: unit
                    .as_deref()
                    .and_then(|u| directory.unit(u))
                    .map(|u| u.name.clone()),
                unit,
                counts,
            }
        })
        .collect();
    Ok(axum::Json(Dashboard {
        at: at.millis(),
        period: period.map(|p| p.to_string()),
        units,
        feedback_late: LateFeedback {
            count: totals.feedback_late,
            ids: late_ids,
        },
        totals,
    }))
}
