//! `GET /api/ledger.xlsx`: the 督办台账 for the meeting, as an Excel workbook.
//!
//! The same parameters, checks and query as `GET /api/records` (`api::list`), so the sheet
//! holds exactly the 督办事项 the list shows for the same filters, in the same order, with
//! the same lights. It has no pages (`limit` and `cursor` are refused); at most
//! [`MAX_ROWS`] rows are written, and the sheet says so when there were more. Units and people
//! are named as the directory names them.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use duyan_shared::records::RecordKind;
use duyan_shared::time::Timestamp;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};

use super::ApiError;
use super::list::{ListRow, Params, days_left, fetch};
use super::scope::{bad, now, unit_name, user_name};
use super::xlsx::{self, Formats};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::directory::Directory;

/// The most rows a ledger holds: a meeting reads hundreds; tens of thousands mean the filter
/// was forgotten, and would cost seconds of CPU and megabytes for nobody.
pub const MAX_ROWS: i64 = 10_000;

pub fn router() -> Router<AppState> {
    Router::new().route("/ledger.xlsx", get(ledger))
}

/// The columns of the ledger and their widths.
const COLUMNS: [(&str, f64); 13] = [
    ("序号", 6.0),
    ("标题", 40.0),
    ("文号", 20.0),
    ("主办单位", 16.0),
    ("协办单位", 20.0),
    ("承办人", 14.0),
    ("督办员", 12.0),
    ("状态", 10.0),
    ("灯", 5.0),
    ("办结时限", 17.0),
    ("剩余天数", 9.0),
    ("最近反馈", 17.0),
    ("进展条数", 9.0),
];

async fn ledger(
    State(state): State<AppState>,
    caller: CurrentUser,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|rejection| bad(rejection.body_text()))?;
    let mut filter = params.check()?;
    if filter.limit_given || filter.after.is_some() {
        return Err(bad(
            "the ledger has no pages: limit and cursor do not apply",
        ));
    }
    match filter.kind {
        None => filter.kind = Some(RecordKind::Duban),
        Some(RecordKind::Duban) => {}
        Some(RecordKind::Research | RecordKind::Meeting) => {
            return Err(bad("the ledger lists 督办事项 only"));
        }
    }
    // One more than the cap tells whether the cap was hit.
    filter.limit = MAX_ROWS + 1;
    let directory = state.directory.current();
    let reader = directory.reader(&caller.user);
    let unit_filter = filter.unit_subtree(&directory);
    let at = filter.at.unwrap_or_else(now);
    let mut rows = fetch(&state.pool, &reader, &filter, unit_filter.as_deref(), at).await?;
    let cap = usize::try_from(MAX_ROWS).unwrap_or(usize::MAX);
    let truncated = rows.len() > cap;
    rows.truncate(cap);

    let filename = format!("ledger-{}.xlsx", at.local_date().format("%Y-%m-%d"));
    let bytes =
        tokio::task::spawn_blocking(move || workbook(&rows, &directory, at, truncated)).await??;
    Ok(xlsx::download(bytes, &filename))
}

/// Names joined the way a Chinese list is written.
fn names<'a>(ids: impl IntoIterator<Item = &'a String>, name: impl Fn(&str) -> String) -> String {
    ids.into_iter()
        .map(|id| name(id))
        .collect::<Vec<_>>()
        .join("、")
}

/// The sheet 督办台账: a title naming the instant, the header, one row per item.
fn workbook(
    rows: &[ListRow],
    directory: &Directory,
    at: Timestamp,
    truncated: bool,
) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::default();
    let centered = Format::new().set_align(FormatAlign::Center);
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("督办台账")?;
    let title = format!("督办台账（截至 {}）", at.local().format("%Y-%m-%d %H:%M"));
    sheet.write_with_format(0, 0, title.as_str(), &formats.title)?;
    xlsx::header_row(sheet, 1, &COLUMNS, &formats.header)?;
    let unit = |id: &str| unit_name(directory, id);
    let user = |id: &str| user_name(directory, id);
    let mut row = 2u32;
    for (n, item) in (1u32..).zip(rows) {
        sheet.write(row, 0, n)?;
        sheet.write(row, 1, item.title.as_deref().unwrap_or_default())?;
        sheet.write(row, 2, item.doc_no.as_deref().unwrap_or_default())?;
        if let Some(lead) = item.lead_unit.as_deref() {
            sheet.write(row, 3, unit(lead))?;
        }
        sheet.write(row, 4, names(&item.co_units, unit))?;
        sheet.write(row, 5, names(&item.handlers, user))?;
        sheet.write(row, 6, names(&item.supervisors, user))?;
        sheet.write(
            row,
            7,
            xlsx::status_zh(item.status.as_deref().unwrap_or_default()),
        )?;
        if let Some(light) = item.light.as_deref() {
            sheet.write_with_format(row, 8, xlsx::light_zh(light), &Formats::light(light))?;
        }
        if let Some(deadline) = item.deadline.and_then(xlsx::local) {
            sheet.write_datetime_with_format(row, 9, deadline, &formats.datetime)?;
        }
        // Days left matter while the item is open, which is exactly when it has a light.
        if let Some(days) = days_left(item.deadline, at).filter(|_| item.light.is_some()) {
            sheet.write_with_format(row, 10, days, &centered)?;
        }
        if let Some(feedback) = item.last_feedback.and_then(xlsx::local) {
            sheet.write_datetime_with_format(row, 11, feedback, &formats.datetime)?;
        }
        sheet.write_with_format(row, 12, item.progress_count, &centered)?;
        row += 1;
    }
    if truncated {
        let note = format!("仅列出前 {MAX_ROWS} 项，请缩小筛选范围后再导出。");
        sheet.write_with_format(row, 0, note.as_str(), &formats.note)?;
    }
    sheet.set_freeze_panes(2, 2)?;
    if row > 2 {
        sheet.autofilter(1, 0, row - 1, 12)?;
    }
    book.save_to_buffer()
}
