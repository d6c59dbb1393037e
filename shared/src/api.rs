//! The REST API's wire types: what `/api/*` answers, as the server serializes it and as the web
//! app reads it (`web/src/generated/api.ts` is generated from these, see
//! [`crate::web_types`]). Instants are milliseconds since the epoch, as in the records; an
//! absent value is `null`.
//!
//! Only the shapes live here; the server fills them. Each type is listed, field by field, in
//! `web_types/api_ts.rs`, which fails to compile until a new field is listed there.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::derived::Light;
use crate::rules::Role;

/// A user as the API shows them to themselves (`/api/me`, and the user of a sign-in).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    /// Unit id.
    pub unit: Option<String>,
    /// A one-time password: the user must set their own before anything else.
    pub must_change_password: bool,
    /// Kept from the API: a disabled user cannot sign in at all.
    #[serde(skip)]
    pub disabled: bool,
}

/// What login and refresh answer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub user: Account,
}

/// A unit of the tree (`/api/directory`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct DirectoryUnit {
    pub id: String,
    pub name: String,
    /// The unit above; none at the top.
    pub parent: Option<String>,
}

/// A user as others may see them (`/api/directory`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct DirectoryUser {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub unit: Option<String>,
    /// A disabled account: still named, no longer offered in pickers.
    pub disabled: bool,
}

/// `GET /api/directory`: every unit and user, for names and pickers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DirectoryAnswer {
    pub units: Vec<DirectoryUnit>,
    pub users: Vec<DirectoryUser>,
}

/// One row of the records list (`GET /api/records`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ListItem {
    pub id: String,
    /// `duban` or `research`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub title: Option<String>,
    /// 文号.
    pub doc_no: Option<String>,
    pub status: Option<String>,
    /// Green, yellow or red for open 督办事项; none otherwise.
    pub light: Option<Light>,
    /// Calendar days to the deadline in Asia/Shanghai (negative once past); none without one.
    pub days_left: Option<i64>,
    pub deadline: Option<i64>,
    pub level: Option<String>,
    /// The item this one hangs under in the 工作清单.
    pub parent: Option<String>,
    /// Its children's progress, when it has children the caller may read.
    pub rollup: Option<Rollup>,
    pub urgency: Option<String>,
    pub is_major: Option<bool>,
    pub lead_unit: Option<String>,
    pub co_units: Vec<String>,
    pub handlers: Vec<String>,
    pub supervisors: Vec<String>,
    pub created_by: Option<String>,
    pub research_lead: Option<String>,
    pub research_unit: Option<String>,
    pub last_feedback: Option<i64>,
    pub closed_at: Option<i64>,
    pub progress_count: i32,
    pub updated_at: i64,
    /// Why the document cannot be read as a record; none when it can.
    pub damaged: Option<String>,
}

/// A parent's progress rolled up from the children the caller may read (工作清单): how many,
/// how many closed, their lights, and the mean of their progress (a closed child counts 100,
/// an open one its latest reported percent, 0 before any), to one decimal.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rollup {
    pub children: i64,
    pub closed: i64,
    pub mean_progress: Option<f64>,
    pub green: i64,
    pub yellow: i64,
    pub red: i64,
}

/// A page of the records list.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ListPage {
    pub items: Vec<ListItem>,
    /// Pass as `cursor` for the next page; none on the last page.
    pub next_cursor: Option<String>,
}

/// One inbox entry (`GET /api/inbox`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct InboxEntry {
    /// The entry's id (for `POST /api/inbox/{id}/read`).
    pub id: String,
    /// What happened: `urged`, `returned`, `instructed`, `reminder_deadline_today`, ...
    pub kind: String,
    pub record_id: String,
    /// `duban` or `research`: which screen opens the record.
    pub record_kind: String,
    /// The record's title when it happened.
    pub title: String,
    pub text: String,
    /// When it happened.
    pub at: i64,
    pub read: bool,
}

/// A page of the inbox, newest first.
#[derive(Debug, Clone, Default, Serialize)]
pub struct InboxPage {
    pub items: Vec<InboxEntry>,
    pub next_cursor: Option<String>,
    /// Unread entries in the whole inbox, for the tab bar's badge.
    pub unread: i64,
}

/// Light counts of open items.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LightCounts {
    pub green: i64,
    pub yellow: i64,
    pub red: i64,
}

/// Closed items with a deadline, and how many of them were closed by it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OnTime {
    pub closed_with_deadline: i64,
    pub on_time: i64,
    /// `on_time / closed_with_deadline`; none when nothing closed had a deadline.
    pub rate: Option<f64>,
}

/// The dashboard's counts over a set of 督办事项.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DashboardCounts {
    /// Every item counted.
    pub items: i64,
    /// Items per status; every status is present.
    pub by_status: BTreeMap<String, i64>,
    pub by_light: LightCounts,
    pub on_time: OnTime,
    /// Open items whose periodic report is late.
    pub feedback_late: i64,
}

/// The dashboard's counts of one lead unit.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DashboardUnit {
    /// The lead unit's id; none for items without one.
    pub unit: Option<String>,
    /// Its name in the directory; none when the directory does not know it.
    pub name: Option<String>,
    #[serde(flatten)]
    pub counts: DashboardCounts,
}

/// Open items whose periodic report is late.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LateFeedback {
    pub count: i64,
    /// The late items' ids, the first few hundred.
    pub ids: Vec<String>,
}

/// `GET /api/dashboard`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Dashboard {
    /// The instant lights and lateness were computed for.
    pub at: i64,
    /// Per lead unit, ordered by unit id (items without a lead unit last).
    pub units: Vec<DashboardUnit>,
    pub totals: DashboardCounts,
    pub feedback_late: LateFeedback,
}

/// The five counts of the 周报.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WeeklyCounts {
    pub new: i64,
    pub progressed: i64,
    pub closed: i64,
    pub due_next_week: i64,
    pub overdue: i64,
}

/// The 周报's counts of one lead unit.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WeeklyUnit {
    pub unit: Option<String>,
    /// The unit's name (its id when the directory does not know it); none without a unit.
    pub name: Option<String>,
    #[serde(flatten)]
    pub counts: WeeklyCounts,
}

/// An item the 周报 is about, and why.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WeeklyItem {
    pub id: String,
    pub title: Option<String>,
    pub lead_unit: Option<String>,
    pub status: Option<String>,
    pub deadline: Option<i64>,
    pub closed_at: Option<i64>,
    pub new: bool,
    pub progressed: bool,
    pub closed: bool,
    pub due_next_week: bool,
    pub overdue: bool,
}

/// `GET /api/reports/weekly`: the 周报 of an ISO week.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WeeklyReport {
    /// The ISO week, e.g. `2026-W47`.
    pub week: String,
    /// The week's first instant (Monday 00:00, Asia/Shanghai).
    pub from: i64,
    /// The next week's first instant.
    pub to: i64,
    /// Per lead unit with anything to report, by unit id (items without a lead unit last).
    pub units: Vec<WeeklyUnit>,
    pub totals: WeeklyCounts,
    /// Ordered by lead unit, then deadline (none last).
    pub items: Vec<WeeklyItem>,
    /// Whether more items qualified than the report holds: the counts and items cover the
    /// first.
    pub truncated: bool,
}

/// The answer of a photo upload (`PUT /api/blobs/{sha256}`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct UploadProgress {
    pub sha256: String,
    pub complete: bool,
    /// Bytes stored: the whole size once complete.
    pub offset: u64,
    /// The media type read from the file, once complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
}

/// `GET /api/settings/documents`, and the body and answer of its `PUT` (admins).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DocumentSettings {
    /// The issuing body's name, printed as the 红头 (1 to 40 characters).
    pub issuer: String,
}
