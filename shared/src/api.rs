//! The REST API's wire types: what `/api/*` answers, as the server serializes it and as the web
//! app reads it (`web/src/generated/api.ts` is generated from these, see
//! [`crate::web_types`]). Instants are milliseconds since the epoch, as in the records; an
//! absent value is `null`.
//!
//! Only the shapes live here; the server fills them. Each type is listed, field by field, in
//! `web_types/api_ts.rs`, which fails to compile until a new field is listed there.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::assessment::RuleKind;
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
    /// The period asked for (`2026-W49`, `2026-12`, `2026-Q4`): only items followed in it are
    /// counted, and lights are as of its end (or now). None: every item, now.
    pub period: Option<String>,
    /// Per lead unit, ordered by unit id (items without a lead unit last).
    pub units: Vec<DashboardUnit>,
    pub totals: DashboardCounts,
    pub feedback_late: LateFeedback,
}

/// One period of the dashboard's trend.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrendPoint {
    /// `2026-W49`, `2026-12` or `2026-Q4`.
    pub period: String,
    /// Its first instant and the first after it.
    pub from: i64,
    pub to: i64,
    /// Items followed in it: assigned before its end, not closed before its start.
    pub active: i64,
    /// Assigned in it.
    pub new: i64,
    /// Closed in it.
    pub closed: i64,
    /// Closed in it with a deadline, and by the deadline.
    pub closed_with_deadline: i64,
    pub on_time: i64,
    /// `on_time / closed_with_deadline`; none when nothing closed had a deadline.
    pub rate: Option<f64>,
    /// Open past its deadline at some instant of it (the 考核's 逾期).
    pub overdue: i64,
}

/// `GET /api/dashboard/trend`: the last few weeks, months or quarters, oldest first.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DashboardTrend {
    /// `week`, `month` or `quarter`.
    pub kind: String,
    pub points: Vec<TrendPoint>,
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

/// An item a 通报 names, and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BulletinItem {
    pub record_id: String,
    /// The item's title when the 通报 was drafted.
    pub title: String,
    /// The 考核 rules behind it: `overdue`, `late_feedback`, `returned` (criticised);
    /// `closed_early`, `excellent` (praised).
    pub reasons: Vec<RuleKind>,
}

/// A unit a 通报 names, with its items.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BulletinUnit {
    /// The unit's id.
    pub unit: String,
    /// The unit's name when the 通报 was drafted.
    pub name: String,
    /// The first items named for the unit, by id.
    pub items: Vec<BulletinItem>,
    /// How many more items the data named for the unit than `items` lists.
    pub more: i64,
    /// The supervisor's words on the unit (editable while a draft).
    pub remark: String,
}

/// A 通报 (`GET /api/bulletins/{id}`): drafted from the data of a period, edited, published.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Bulletin {
    pub id: i64,
    /// `2026-12`, `2026-Q4` or `2026-W49`.
    pub period: String,
    /// `draft` or `published`.
    pub status: String,
    /// Its issue number (第N期) in the year it was published; none while a draft.
    pub number: Option<i64>,
    pub title: String,
    /// 一、总体情况.
    pub summary: String,
    /// 通报批评: units named for overdue items, late reports and 退回重办.
    pub criticised: Vec<BulletinUnit>,
    /// 通报表扬: units named for items closed early or evaluated 优秀.
    pub praised: Vec<BulletinUnit>,
    /// 工作要求.
    pub requirements: String,
    /// The user who drafted it.
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
    pub published_by: Option<String>,
}

/// One 通报 in the list (`GET /api/bulletins`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BulletinSummary {
    pub id: i64,
    pub period: String,
    /// `draft` or `published`.
    pub status: String,
    pub number: Option<i64>,
    pub title: String,
    /// How many units it names critically.
    pub criticised: i64,
    /// How many units it praises.
    pub praised: i64,
    pub created_by: String,
    pub created_at: i64,
    pub published_at: Option<i64>,
}

/// `GET /api/bulletins`: the published 通报 and the drafts the caller may read, newest first.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BulletinList {
    pub bulletins: Vec<BulletinSummary>,
}

/// The body of `POST /api/bulletins`: the period to draft for, and any text to use instead of
/// the drafted one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBulletin {
    /// `2026-12`, `2026-Q4` or `2026-W49`.
    pub period: String,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub requirements: Option<String>,
}

/// A unit kept in a 通报, with the words on it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitRemark {
    pub unit: String,
    pub remark: String,
}

/// The body of `PATCH /api/bulletins/{id}`: what changes, the rest stays. A list of units
/// keeps only the units it names (among those drafted; none can be added), with their remarks.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulletinEdit {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub requirements: Option<String>,
    pub criticised: Option<Vec<UnitRemark>>,
    pub praised: Option<Vec<UnitRemark>>,
}
