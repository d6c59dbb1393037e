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

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use duyan_shared::records::DubanStatus;
use serde::{Deserialize, Serialize};

use super::ApiError;
use super::scope::{Reader, bad, due_soon_before, now, parse_at};
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
}

/// Light counts of open items.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
struct Lights {
    green: i64,
    yellow: i64,
    red: i64,
}

/// Closed items with a deadline, and how many of them were closed by it.
#[derive(Debug, Default, Serialize)]
struct OnTime {
    closed_with_deadline: i64,
    on_time: i64,
    /// `on_time / closed_with_deadline`; none when nothing closed had a deadline.
    rate: Option<f64>,
}

#[derive(Debug, Serialize)]
struct Counts {
    /// Every item counted.
    items: i64,
    /// Items per status; every status is present.
    by_status: BTreeMap<&'static str, i64>,
    by_light: Lights,
    on_time: OnTime,
    /// Open items whose periodic report is late.
    feedback_late: i64,
}

impl Default for Counts {
    fn default() -> Self {
        Self {
            items: 0,
            by_status: DubanStatus::ALL.iter().map(|s| (s.as_str(), 0)).collect(),
            by_light: Lights::default(),
            on_time: OnTime::default(),
            feedback_late: 0,
        }
    }
}

impl Counts {
    fn add(&mut self, group: &Group) {
        self.items += group.count;
        if let Some(n) = group
            .status
            .parse::<DubanStatus>()
            .ok()
            .and_then(|s| self.by_status.get_mut(s.as_str()))
        {
            *n += group.count;
        }
        match group.light.as_deref() {
            Some("green") => self.by_light.green += group.count,
            Some("yellow") => self.by_light.yellow += group.count,
            Some("red") => self.by_light.red += group.count,
            _ => {}
        }
        self.on_time.closed_with_deadline += group.closed_with_deadline;
        self.on_time.on_time += group.closed_on_time;
        self.feedback_late += group.feedback_late;
    }

    fn finish(&mut self) {
        let closed = self.on_time.closed_with_deadline;
        // Counts are far below 2^52, so the conversion is exact.
        #[allow(clippy::cast_precision_loss)]
        let rate = (closed > 0).then(|| self.on_time.on_time as f64 / closed as f64);
        self.on_time.rate = rate;
    }
}

#[derive(Debug, Serialize)]
struct UnitCounts {
    /// The lead unit's id; none for items without one.
    unit: Option<String>,
    /// Its name in the directory; none when the directory does not know it.
    name: Option<String>,
    #[serde(flatten)]
    counts: Counts,
}

#[derive(Debug, Serialize)]
struct Late {
    count: i64,
    /// The late items' ids, at most [`MAX_LATE_IDS`].
    ids: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Dashboard {
    /// The instant lights and lateness were computed for (ms).
    at: i64,
    /// Per lead unit, ordered by unit id (items without a lead unit last).
    units: Vec<UnitCounts>,
    totals: Counts,
    feedback_late: Late,
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
    let soon = due_soon_before(at)?;
    let directory = state.directory.current();
    let reader = Reader::of(&caller.user, &directory);

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
           group by 1, 2, 3"#,
        reader.id,
        reader.reads_all,
        &reader.units,
        at.millis(),
        soon.millis(),
    )
    .fetch_all(&state.pool)
    .await?;

    let mut units: BTreeMap<Option<String>, Counts> = BTreeMap::new();
    let mut totals = Counts::default();
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
        units.entry(row.lead_unit).or_default().add(&group);
        totals.add(&group);
        late_ids.extend(row.feedback_late);
    }
    totals.finish();
    late_ids.sort_unstable();
    late_ids.truncate(MAX_LATE_IDS);

    // `None` sorts first in a BTreeMap; items without a lead unit go last.
    let (known, unassigned): (Vec<_>, Vec<_>) =
        units.into_iter().partition(|(unit, _)| unit.is_some());
    let units = known
        .into_iter()
        .chain(unassigned)
        .map(|(unit, mut counts)| {
            counts.finish();
            UnitCounts {
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
        units,
        feedback_late: Late {
            count: totals.feedback_late,
            ids: late_ids,
        },
        totals,
    }))
}
