//! `GET /api/reports/weekly?week=2026-W47`: the 周报, per lead unit, of the 督办事项 the caller
//! may read. The week is an ISO week (Monday to Sunday) in Asia/Shanghai; by default the one
//! `at` (default now) falls in.
//!
//! An item counts, in its lead unit, as
//! - **new** (新增) when created in the week and no longer a 草稿 (a draft is not yet on
//!   anyone's list);
//! - **progressed** (有进展) when one of its progress entries is dated in the week (the
//!   projection keeps every entry's instant, `progress_ats`);
//! - **closed** (办结) when 已办结 / 已评价 and `closed_at` (the review that passed it) is in
//!   the week;
//! - **due next week** (下周到期) when open and its deadline falls in the following week;
//! - **overdue** (逾期) when past its deadline at the week's end, or now if the week is not
//!   over, and open then: open now, or closed only after that instant.
//!
//! Statuses are the records' current ones (the projection has no history), which is exact for
//! the current week and for everything but "due next week" of past weeks.
//!
//! JSON by default; a workbook (sheet 周报: the counts; sheet 事项: the items) with
//! `format=xlsx` or `Accept:` the xlsx media type.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};
use duyan_shared::api::{WeeklyCounts, WeeklyItem, WeeklyReport, WeeklyUnit};
use duyan_shared::time::Timestamp;
use rust_xlsxwriter::{Workbook, XlsxError};
use serde::Deserialize;

use super::ApiError;
use super::scope::{bad, now, parse_at, start_of, unit_name};
use super::xlsx::{self, Formats};
use crate::access::Reader;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::directory::Directory;

/// The most items a report lists; past it the report says so (`truncated`).
pub const MAX_ITEMS: i64 = 10_000;

pub fn router() -> Router<AppState> {
    Router::new().route("/reports/weekly", get(weekly))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// `YYYY-Www`, an ISO week.
    week: Option<String>,
    /// `json` or `xlsx`.
    format: Option<String>,
    /// "Now" (ms since the epoch): picks the default week and ends "overdue" in an unfinished
    /// week.
    at: Option<String>,
}

/// An ISO week: its year and number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Week {
    year: i32,
    week: u32,
}

impl Week {
    fn parse(text: &str) -> Option<Self> {
        let (year, week) = text.split_once("-W")?;
        let week = Self {
            year: year.parse().ok()?,
            week: week.parse().ok()?,
        };
        week.monday().map(|_| week)
    }

    fn of(date: NaiveDate) -> Self {
        let iso = date.iso_week();
        Self {
            year: iso.year(),
            week: iso.week(),
        }
    }

    fn monday(self) -> Option<NaiveDate> {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon)
    }
}

impl std::fmt::Display for Week {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

/// Adds `item`'s reasons to `counts`.
fn add(counts: &mut WeeklyCounts, item: &WeeklyItem) {
    counts.new += i64::from(item.new);
    counts.progressed += i64::from(item.progressed);
    counts.closed += i64::from(item.closed);
    counts.due_next_week += i64::from(item.due_next_week);
    counts.overdue += i64::from(item.overdue);
}

async fn weekly(
    State(state): State<AppState>,
    caller: CurrentUser,
    headers: HeaderMap,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|rejection| bad(rejection.body_text()))?;
    let as_xlsx = xlsx::wants_xlsx(params.format.as_deref(), &headers)?;
    let at = parse_at(params.at.as_deref())?.unwrap_or_else(now);
    let week = match params.week.as_deref() {
        Some(text) => Week::parse(text).ok_or_else(|| bad("week must be an ISO week, YYYY-Www"))?,
        None => Week::of(at.local_date()),
    };
    let bounds = week.monday().and_then(|monday| {
        let day = |n| {
            monday
                .checked_add_signed(TimeDelta::days(n))
                .and_then(start_of)
        };
        Some((start_of(monday)?, day(7)?, day(14)?))
    });
    let (from, to, next_to) = bounds.ok_or_else(|| bad("week is out of range"))?;
    let directory = state.directory.current();
    let reader = directory.reader(&caller.user);
    let span = Span {
        label: week.to_string(),
        from,
        to,
        next_to,
    };
    let report = report(&state.pool, &reader, &directory, &span, at).await?;
    if !as_xlsx {
        return Ok(axum::Json(report).into_response());
    }
    let filename = format!("weekly-{week}.xlsx");
    let bytes =
        tokio::task::spawn_blocking(move || workbook(&report, &directory, &span, &Labels::WEEKLY))
            .await??;
    Ok(xlsx::download(bytes, &filename))
}

/// The stretch a report covers: `[from, to)`, and the next one's end for "due next".
pub(crate) struct Span {
    /// `2026-W47`, `2026-12`.
    pub label: String,
    pub from: Timestamp,
    pub to: Timestamp,
    pub next_to: Timestamp,
}

/// The words of a report's workbook that depend on its period.
pub(crate) struct Labels {
    /// The title's start, e.g. 督办事项周报.
    pub title: &'static str,
    /// The header of "due in the next period".
    pub due_next: &'static str,
    /// The name of the sheet of counts.
    pub sheet: &'static str,
}

impl Labels {
    pub(crate) const WEEKLY: Self = Self {
        title: "督办事项周报",
        due_next: "下周到期",
        sheet: "周报",
    };
}

/// The report over `span` of the items `reader` may read, "now" being `at`.
pub(crate) async fn report(
    pool: &sqlx::PgPool,
    reader: &Reader,
    directory: &Directory,
    span: &Span,
    at: Timestamp,
) -> Result<WeeklyReport, ApiError> {
    let (from, to, next_to) = (span.from, span.to, span.next_to);
    // Overdue "at the period's end", but not beyond now: an item due later in it is not
    // overdue yet.
    let overdue_at = to.min(at);

    let mut items = sqlx::query_as!(
        WeeklyItem,
        r#"select id as "id!", title, lead_unit, status,
                  (extract(epoch from deadline) * 1000)::int8 as deadline,
                  (extract(epoch from closed_at) * 1000)::int8 as closed_at,
                  new as "new!", progressed as "progressed!", closed as "closed!",
                  due_next_week as "due_next_week!", overdue as "overdue!"
           from (
               select r.*,
                      coalesce(r.status <> 'draft'
                               and r.created_at >= from_ts and r.created_at < to_ts, false) as new,
                      exists (select 1 from unnest(r.progress_ats) a
                              where a >= from_ts and a < to_ts) as progressed,
                      coalesce(r.status in ('closed', 'evaluated')
                               and r.closed_at >= from_ts and r.closed_at < to_ts, false) as closed,
                      coalesce(r.is_open and r.deadline >= to_ts and r.deadline < next_ts, false)
                          as due_next_week,
                      coalesce(r.deadline < overdue_ts
                               and (r.is_open
                                    or (r.status in ('closed', 'evaluated')
                                        and r.closed_at > overdue_ts)), false) as overdue
               from readable_records($1, $2, $3::text[]) r,
                    lateral (select 'epoch'::timestamptz + $4::int8 * interval '1 millisecond' as from_ts,
                                    'epoch'::timestamptz + $5::int8 * interval '1 millisecond' as to_ts,
                                    'epoch'::timestamptz + $6::int8 * interval '1 millisecond' as next_ts,
                                    'epoch'::timestamptz + $7::int8 * interval '1 millisecond' as overdue_ts) t
               where r.kind = 'duban'
           ) s
           where new or progressed or closed or due_next_week or overdue
           order by lead_unit nulls last, coalesce(deadline, 'infinity'::timestamptz), id
           limit $8"#,
        reader.id,
        reader.reads_all,
        &reader.units,
        from.millis(),
        to.millis(),
        next_to.millis(),
        overdue_at.millis(),
        MAX_ITEMS + 1,
    )
    .fetch_all(pool)
    .await?;
    let truncated = items.len() > usize::try_from(MAX_ITEMS).unwrap_or(usize::MAX);
    items.truncate(usize::try_from(MAX_ITEMS).unwrap_or(usize::MAX));

    let mut per_unit: BTreeMap<Option<String>, WeeklyCounts> = BTreeMap::new();
    let mut totals = WeeklyCounts::default();
    for item in &items {
        add(per_unit.entry(item.lead_unit.clone()).or_default(), item);
        add(&mut totals, item);
    }
    let (known, unassigned): (Vec<_>, Vec<_>) =
        per_unit.into_iter().partition(|(unit, _)| unit.is_some());
    let units = known
        .into_iter()
        .chain(unassigned)
        .map(|(unit, counts)| WeeklyUnit {
            name: unit.as_deref().map(|u| unit_name(directory, u)),
            unit,
            counts,
        })
        .collect();
    Ok(WeeklyReport {
        week: span.label.clone(),
        from: from.millis(),
        to: to.millis(),
        units,
        totals,
        items,
        truncated,
    })
}

/// The report as a workbook: sheet 周报 (the counts per unit and in total), sheet 事项 (the
/// items, each marked with why it is in the report).
pub(crate) fn workbook(
    report: &WeeklyReport,
    directory: &Directory,
    span: &Span,
    labels: &Labels,
) -> Result<Vec<u8>, XlsxError> {
    let (from, to) = (span.from, span.to);
    let formats = Formats::default();
    let mut book = Workbook::new();
    let last_day = to
        .checked_add(TimeDelta::milliseconds(-1))
        .unwrap_or(to)
        .local_date();
    let title = format!(
        "{} {}（{} 至 {}）",
        labels.title,
        report.week,
        from.local_date().format("%Y-%m-%d"),
        last_day.format("%Y-%m-%d"),
    );

    let sheet = book.add_worksheet();
    sheet.set_name(labels.sheet)?;
    sheet.write_with_format(0, 0, title.as_str(), &formats.title)?;
    let columns = [
        ("单位", 24.0),
        ("新增", 8.0),
        ("有进展", 8.0),
        ("办结", 8.0),
        (labels.due_next, 10.0),
        ("逾期", 8.0),
    ];
    xlsx::header_row(sheet, 1, &columns, &formats.header)?;
    let mut row = 2;
    let totals = ("合计".to_owned(), report.totals);
    let lines = report
        .units
        .iter()
        .map(|u| (u.name.clone().unwrap_or_else(|| "未指定".into()), u.counts))
        .chain([totals]);
    for (name, counts) in lines {
        sheet.write(row, 0, name)?;
        for (col, n) in (1u16..).zip([
            counts.new,
            counts.progressed,
            counts.closed,
            counts.due_next_week,
            counts.overdue,
        ]) {
            sheet.write(row, col, n)?;
        }
        row += 1;
    }
    if report.truncated {
        let note = format!("仅统计前 {MAX_ITEMS} 项。");
        sheet.write_with_format(row + 1, 0, note.as_str(), &formats.note)?;
    }
    sheet.set_freeze_panes(2, 0)?;

    let sheet = book.add_worksheet();
    sheet.set_name("事项")?;
    let columns = [
        ("序号", 6.0),
        ("标题", 40.0),
        ("主办单位", 18.0),
        ("状态", 10.0),
        ("办结时限", 17.0),
        ("新增", 6.0),
        ("有进展", 8.0),
        ("办结", 6.0),
        (labels.due_next, 10.0),
        ("逾期", 6.0),
    ];
    xlsx::header_row(sheet, 0, &columns, &formats.header)?;
    for (n, (row, item)) in (1u32..).zip(report.items.iter().enumerate()) {
        let row = u32::try_from(row).unwrap_or(u32::MAX - 1) + 1;
        sheet.write(row, 0, n)?;
        sheet.write(row, 1, item.title.as_deref().unwrap_or_default())?;
        if let Some(unit) = item.lead_unit.as_deref() {
            sheet.write(row, 2, unit_name(directory, unit))?;
        }
        sheet.write(
            row,
            3,
            xlsx::status_zh(item.status.as_deref().unwrap_or_default()),
        )?;
        if let Some(deadline) = item.deadline.and_then(xlsx::local) {
            sheet.write_datetime_with_format(row, 4, deadline, &formats.datetime)?;
        }
        for (col, yes) in (5u16..).zip([
            item.new,
            item.progressed,
            item.closed,
            item.due_next_week,
            item.overdue,
        ]) {
            if yes {
                sheet.write(row, col, "✓")?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_weeks_parse_and_print() {
        let week = Week::parse("2026-W47").unwrap();
        assert_eq!(week.monday(), NaiveDate::from_ymd_opt(2026, 11, 16));
        assert_eq!(week.to_string(), "2026-W47");
        assert_eq!(
            Week::of(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()),
            week
        );
        // 2027-01-01 is a Friday: ISO week 53 of 2026.
        assert_eq!(
            Week::of(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()).to_string(),
            "2026-W53"
        );
        for bad in ["2026-47", "2026-W54", "2025-W53", "W47", "2026-W", "x-W1"] {
            assert_eq!(Week::parse(bad), None, "{bad}");
        }
    }
}
