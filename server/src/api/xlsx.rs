//! What the Excel downloads share: the media type, the download response, cell formats and
//! the Chinese words for statuses and lights.
//!
//! Workbooks are written with `rust_xlsxwriter` on the blocking pool: a sheet of thousands of
//! rows is tens of milliseconds of CPU, which must not stall the async workers that carry
//! sync traffic.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use duyan_shared::time::Timestamp;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Worksheet, XlsxError};

use super::ApiError;

/// The media type of an `.xlsx` workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Whether the client asks for a workbook: `format=xlsx`, or no `format` and an `Accept`
/// header naming [`XLSX`]. `format=json` wins over `Accept`.
pub fn wants_xlsx(format: Option<&str>, headers: &HeaderMap) -> Result<bool, ApiError> {
    match format {
        Some("xlsx") => Ok(true),
        Some("json") => Ok(false),
        Some(_) => Err(super::scope::bad("format must be json or xlsx")),
        None => Ok(headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|m| m.trim().starts_with(XLSX)))),
    }
}

/// A workbook as a download named `filename` (ASCII, so no encoding of the header is needed).
pub fn download(bytes: Vec<u8>, filename: &str) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(XLSX)),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// A failure to write a workbook is ours, never the client's.
impl From<XlsxError> for ApiError {
    fn from(error: XlsxError) -> Self {
        Self::internal(error)
    }
}

/// The formats a sheet uses, made once per workbook.
pub struct Formats {
    pub title: Format,
    pub header: Format,
    pub datetime: Format,
    pub note: Format,
}

impl Default for Formats {
    fn default() -> Self {
        Self {
            title: Format::new().set_bold().set_font_size(14),
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0x00DD_EBF7))
                .set_border(FormatBorder::Thin)
                .set_align(FormatAlign::Center),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
            note: Format::new()
                .set_italic()
                .set_font_color(Color::RGB(0x00C0_0000)),
        }
    }
}

impl Formats {
    /// The fill of a light's cell, so the meeting sees the colours it talks about.
    pub fn light(light: &str) -> Format {
        let fill = match light {
            "red" => 0x00FF_C7CE,
            "yellow" => 0x00FF_EB9C,
            _ => 0x00C6_EFCE,
        };
        Format::new()
            .set_background_color(Color::RGB(fill))
            .set_align(FormatAlign::Center)
    }
}

/// Writes a header row with column widths.
pub fn header_row(
    sheet: &mut Worksheet,
    row: u32,
    columns: &[(&str, f64)],
    format: &Format,
) -> Result<(), XlsxError> {
    for (col, (name, width)) in (0u16..).zip(columns) {
        sheet.write_with_format(row, col, *name, format)?;
        sheet.set_column_width(col, *width)?;
    }
    Ok(())
}

/// An instant as Excel shows it: the wall clock of Asia/Shanghai (Excel has no time zones).
pub fn local(millis: i64) -> Option<NaiveDateTime> {
    Timestamp::from_millis(millis).map(|at| at.local().naive_local())
}

/// The status of a 督办事项 in the words of the office.
pub fn status_zh(status: &str) -> &str {
    match status {
        "draft" => "草稿",
        "assigned" => "已交办",
        "in_progress" => "办理中",
        "closing_requested" => "申请办结",
        "closed" => "已办结",
        "evaluated" => "已评价",
        "suspended" => "中止",
        other => other,
    }
}

/// A light in the words of the office.
pub fn light_zh(light: &str) -> &str {
    match light {
        "green" => "绿",
        "yellow" => "黄",
        "red" => "红",
        other => other,
    }
}
