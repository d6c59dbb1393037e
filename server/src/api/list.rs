//! `GET /api/records`: the list of records (督办台账 / 我的待办) from the projection, filtered,
//! searched and paged, showing only what the caller may read.
//!
//! Who may read what is the rule of `crate::access` (`readable_records`), in SQL over the
//! projection's columns: the roles that read everything see every row; anyone else the rows
//! they created or first stored, are named in, or that belong to their unit or a unit below
//! it (the subtree is computed from the directory and passed as an array).
//!
//! Lights are computed in SQL for the instant asked about, exactly as `derived::light` does:
//! red when open and past the deadline; yellow when the deadline's date is at most
//! [`DUE_SOON_DAYS`] days ahead (in Asia/Shanghai) or the row's `attention_at` (the earliest
//! missed milestone, late first response or late periodic report) has passed; green
//! otherwise; none when not open. The calendar part is turned into an instant here
//! (`due_soon_before`, the start of the first day that is not "due soon"), so the SQL only
//! compares instants. A `light=` filter is not that expression but the equivalent range
//! conditions on `deadline` and the stored `yellow_after` (`record_light_is`, migration
//! `0007_list_plans.sql`), which PostgreSQL can estimate and use an index for. Tests check
//! both against `derived::light`, the filter to the millisecond around every boundary.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use duyan_shared::api::{ListItem, ListPage};
use duyan_shared::derived::Light;
use duyan_shared::records::{DubanStatus, Level, MeetingStatus, RecordKind, ResearchStatus};
use duyan_shared::time::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::ApiError;
use super::cycle::rollup;
use super::scope::{bad, due_soon_before, now, parse_at, start_of};
use crate::access::Reader;
use crate::app::AppState;
use crate::auth::CurrentUser;

/// Items per page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: i64 = 50;
/// The most `limit` may ask for.
pub const MAX_LIMIT: i64 = 200;
/// Longest search text, in characters.
const MAX_QUERY_CHARS: usize = 100;

pub fn router() -> Router<AppState> {
    Router::new().route("/records", get(list))
}

/// The query string, as given. Unknown parameters are refused, so a typo is a 400 rather than
/// a silently unfiltered list.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Params {
    #[serde(rename = "type")]
    kind: Option<String>,
    status: Option<String>,
    unit: Option<String>,
    light: Option<String>,
    level: Option<String>,
    /// A 督办事项's id: its children; `none`: top-level items only.
    parent: Option<String>,
    q: Option<String>,
    due_before: Option<String>,
    mine: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
    /// The instant lights and days left are computed for (ms since the epoch); default now.
    at: Option<String>,
}

/// The parameters, checked.
#[derive(Debug, Default)]
pub(super) struct Filter {
    pub kind: Option<RecordKind>,
    status: Option<String>,
    unit: Option<String>,
    light: Option<Light>,
    level: Option<Level>,
    parent: Option<Parent>,
    /// An ILIKE pattern, with the search keys of its text (`projection::search`).
    pattern: Option<(String, Vec<i32>)>,
    due_before: Option<Timestamp>,
    mine: bool,
    /// How many rows to fetch at most.
    pub limit: i64,
    /// Whether `limit` was given; the ledger, which has no pages, refuses it.
    pub limit_given: bool,
    pub after: Option<Cursor>,
    pub at: Option<Timestamp>,
}

/// The `parent` filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Parent {
    /// Items without a parent.
    None,
    /// The children of this item.
    Of(String),
}

/// Where a page ends: the sort key of its last item. The list is ordered by deadline (none
/// last), then id, which is unique, so a page boundary is exact: no item twice, none skipped,
/// also when rows change between pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Cursor {
    /// The last item's deadline (ms); `None` for "no deadline", which sorts last.
    d: Option<i64>,
    id: String,
}

impl Cursor {
    fn encode(&self) -> String {
        // A JSON array of two strings/numbers always serialises.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(text: &str) -> Option<Self> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).ok()?).ok()
    }
}

/// Escapes `\`, `%` and `_`, so the search text matches only itself inside `%...%`.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl Params {
    pub(super) fn check(self) -> Result<Filter, ApiError> {
        let kind = self
            .kind
            .map(|k| {
                k.parse::<RecordKind>()
                    .map_err(|_| bad("type must be duban, research or meeting"))
            })
            .transpose()?;
        let status = match self.status {
            None => None,
            Some(status) => {
                let known = match kind {
                    Some(RecordKind::Duban) => status.parse::<DubanStatus>().is_ok(),
                    Some(RecordKind::Research) => status.parse::<ResearchStatus>().is_ok(),
                    Some(RecordKind::Meeting) => status.parse::<MeetingStatus>().is_ok(),
                    None => {
                        status.parse::<DubanStatus>().is_ok()
                            || status.parse::<ResearchStatus>().is_ok()
                            || status.parse::<MeetingStatus>().is_ok()
                    }
                };
                if !known {
                    return Err(bad(format!("unknown status {status:?}")));
                }
                Some(status)
            }
        };
        let light = self
            .light
            .map(|l| {
                l.parse::<Light>()
                    .map_err(|_| bad("light must be green, yellow or red"))
            })
            .transpose()?;
        let level = self
            .level
            .map(|l| {
                l.parse::<Level>().map_err(|_| {
                    let known: Vec<&str> = Level::ALL.iter().map(|l| l.as_str()).collect();
                    bad(format!("level must be one of {}", known.join(", ")))
                })
            })
            .transpose()?;
        let parent = self
            .parent
            .map(|p| match p.as_str() {
                "none" => Ok(Parent::None),
                id => id
                    .parse::<duyan_shared::DocumentId>()
                    .map(|id| Parent::Of(id.to_string()))
                    .map_err(|_| bad("parent must be a record id or none")),
            })
            .transpose()?;
        let pattern = match self.q.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(q) if q.chars().count() > MAX_QUERY_CHARS => {
                return Err(bad(format!("q is limited to {MAX_QUERY_CHARS} characters")));
            }
            Some(q) => Some((like_pattern(q), crate::projection::search::keys(q))),
        };
        let due_before = self
            .due_before
            .map(|d| {
                NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .ok()
                    .and_then(start_of)
                    .ok_or_else(|| bad("due_before must be a date, YYYY-MM-DD"))
            })
            .transpose()?;
        let mine = match self.mine.as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(bad("mine must be true or false")),
        };
        let limit_given = self.limit.is_some();
        let limit = match self.limit {
            None => DEFAULT_LIMIT,
            Some(limit) => limit
                .parse::<i64>()
                .ok()
                .filter(|l| (1..=MAX_LIMIT).contains(l))
                .ok_or_else(|| bad(format!("limit must be between 1 and {MAX_LIMIT}")))?,
        };
        let after = self
            .cursor
            .map(|c| Cursor::decode(&c).ok_or_else(|| bad("cursor is not one this list gave")))
            .transpose()?;
        let at = parse_at(self.at.as_deref())?;
        Ok(Filter {
            kind,
            status,
            unit: self.unit.filter(|u| !u.trim().is_empty()),
            light,
            level,
            parent,
            pattern,
            due_before,
            mine,
            limit,
            limit_given,
            after,
            at,
        })
    }
}

/// One row of the list as the query gives it; the ledger writes the same rows to a sheet.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct ListRow {
    pub id: String,
    pub kind: Option<String>,
    pub title: Option<String>,
    pub doc_no: Option<String>,
    pub status: Option<String>,
    pub light: Option<String>,
    pub level: Option<String>,
    pub parent: Option<String>,
    pub urgency: Option<String>,
    pub is_major: Option<bool>,
    pub lead_unit: Option<String>,
    pub co_units: Vec<String>,
    pub handlers: Vec<String>,
    pub supervisors: Vec<String>,
    pub created_by: Option<String>,
    pub research_lead: Option<String>,
    pub research_unit: Option<String>,
    pub progress_count: i32,
    pub damaged: Option<String>,
    pub deadline: Option<i64>,
    pub last_feedback: Option<i64>,
    pub closed_at: Option<i64>,
    pub updated_at: i64,
}

/// Appends an instant, bound as milliseconds since the epoch.
fn push_instant(sql: &mut QueryBuilder<Postgres>, millis: i64) {
    sql.push("('epoch'::timestamptz + ")
        .push_bind(millis)
        .push("::int8 * interval '1 millisecond')");
}

/// The rows of the list that `reader` may read and `filter` selects, at most `filter.limit`,
/// after `filter.after`, lights computed for `at`.
///
/// The SQL holds only the conditions this filter has, every value bound, and it is planned for
/// its values at every call (an unnamed statement, not a cached one): the best plan depends on
/// them (a caller named in 50 rows or in 50,000; a light that starts the walk of the deadline
/// index at `at`), and a statement with optional parameters would soon get one generic plan
/// for all. Planning costs well under a millisecond. The conditions are written so that
/// PostgreSQL can estimate them from column statistics and use an index: `mine` is one
/// containment test on `named`, a light is range conditions on `deadline` and `yellow_after`
/// (`record_light_is`, migration `0007_list_plans.sql`).
pub(super) async fn fetch(
    pool: &PgPool,
    reader: &Reader,
    filter: &Filter,
    unit_filter: Option<&[String]>,
    at: Timestamp,
) -> Result<Vec<ListRow>, ApiError> {
    let due_soon_before = due_soon_before(at)?;
    let mut sql = QueryBuilder::<Postgres>::new(
        "select id, kind, title, doc_no, status, level, parent, urgency, is_major, lead_unit, co_units,
                handlers, supervisors, created_by, research_lead, research_unit, progress_count,
                damaged,
                (extract(epoch from deadline) * 1000)::int8 as deadline,
                (extract(epoch from last_feedback) * 1000)::int8 as last_feedback,
                (extract(epoch from closed_at) * 1000)::int8 as closed_at,
                (extract(epoch from updated_at) * 1000)::int8 as updated_at,
                record_light(is_open, deadline, attention_at, ",
    );
    push_instant(&mut sql, at.millis());
    sql.push(", ");
    push_instant(&mut sql, due_soon_before.millis());
    sql.push(") as light from readable_records(")
        .push_bind(&reader.id)
        .push(", ")
        .push_bind(reader.reads_all)
        .push(", ")
        .push_bind(&reader.units)
        .push("::text[]) r where true");
    if let Some(kind) = filter.kind {
        sql.push(" and kind = ").push_bind(kind.as_str());
    }
    if let Some(status) = &filter.status {
        sql.push(" and status = ").push_bind(status);
    }
    if let Some(units) = unit_filter {
        sql.push(" and (lead_unit = any(")
            .push_bind(units)
            .push(") or co_units && ")
            .push_bind(units)
            .push("::text[] or research_unit = any(")
            .push_bind(units)
            .push("))");
    }
    if let Some(light) = filter.light {
        sql.push(" and record_light_is(")
            .push_bind(light.as_str())
            .push(", is_open, deadline, yellow_after, ");
        push_instant(&mut sql, at.millis());
        sql.push(")");
    }
    if let Some(level) = filter.level {
        sql.push(" and level = ").push_bind(level.as_str());
    }
    match &filter.parent {
        None => {}
        Some(Parent::None) => {
            sql.push(" and parent is null");
        }
        Some(Parent::Of(id)) => {
            sql.push(" and parent = ")
                .push_bind(id)
                .push(" and id <> parent");
        }
    }
    if let Some((pattern, keys)) = &filter.pattern {
        // The keys narrow the rows (a GIN index); `ilike` decides. Rows whose keys are not
        // computed yet (`0023_search_keys.sql`) are checked by `ilike` alone. A text of one
        // letter has no keys.
        if !keys.is_empty() {
            sql.push(" and (search_keys @> ")
                .push_bind(keys)
                .push("::int4[] or search_keys is null)");
        }
        sql.push(" and search ilike ").push_bind(pattern);
    }
    if let Some(due_before) = filter.due_before {
        sql.push(" and deadline < ");
        push_instant(&mut sql, due_before.millis());
    }
    if filter.mine {
        sql.push(" and named @> array[")
            .push_bind(&reader.id)
            .push("::text]");
    }
    if let Some(after) = &filter.after {
        sql.push(" and (coalesce(deadline, 'infinity'::timestamptz), id) > (");
        match after.d {
            Some(deadline) => push_instant(&mut sql, deadline),
            None => {
                sql.push("'infinity'::timestamptz");
            }
        }
        sql.push(", ").push_bind(&after.id).push(")");
    }
    sql.push(" order by coalesce(deadline, 'infinity'::timestamptz), id limit ")
        .push_bind(filter.limit);
    let rows = sql
        .build_query_as::<ListRow>()
        .persistent(false)
        .fetch_all(pool)
        .await?;
    Ok(rows)
}

/// Calendar days from `at` to `deadline` (ms), in Asia/Shanghai, as `derived::days_left`.
pub(super) fn days_left(deadline: Option<i64>, at: Timestamp) -> Option<i64> {
    deadline
        .and_then(Timestamp::from_millis)
        .map(|deadline| (deadline.local_date() - at.local_date()).num_days())
}

/// `GET /api/records`: see the module documentation for the rules.
async fn list(
    State(state): State<AppState>,
    caller: CurrentUser,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(params) = params.map_err(|rejection| bad(rejection.body_text()))?;
    let mut filter = params.check()?;
    let directory = state.directory.current();
    let reader = directory.reader(&caller.user);
    let unit_filter = filter.unit_subtree(&directory);
    let at = filter.at.unwrap_or_else(now);
    let page_size = filter.limit;
    // One more than a page tells whether another page follows.
    filter.limit += 1;
    let rows = fetch(&state.pool, &reader, &filter, unit_filter.as_deref(), at).await?;

    let page_len = usize::try_from(page_size).unwrap_or(usize::MAX);
    let more = rows.len() > page_len;
    let mut items: Vec<ListItem> = rows
        .into_iter()
        .take(page_len)
        .map(|row| ListItem {
            days_left: days_left(row.deadline, at),
            light: row.light.as_deref().and_then(|l| l.parse().ok()),
            id: row.id,
            kind: row.kind,
            title: row.title,
            doc_no: row.doc_no,
            status: row.status,
            deadline: row.deadline,
            level: row.level,
            parent: row.parent,
            rollup: None,
            urgency: row.urgency,
            is_major: row.is_major,
            lead_unit: row.lead_unit,
            co_units: row.co_units,
            handlers: row.handlers,
            supervisors: row.supervisors,
            created_by: row.created_by,
            research_lead: row.research_lead,
            research_unit: row.research_unit,
            last_feedback: row.last_feedback,
            closed_at: row.closed_at,
            progress_count: row.progress_count,
            updated_at: row.updated_at,
            damaged: row.damaged,
        })
        .collect();
    items.shrink_to_fit();
    let ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
    let mut rollups = rollup::of(&state.pool, &reader, &ids, at).await?;
    for item in &mut items {
        item.rollup = rollups.remove(&item.id);
    }
    let next_cursor = more.then(|| items.last()).flatten().map(|last| {
        Cursor {
            d: last.deadline,
            id: last.id.clone(),
        }
        .encode()
    });
    Ok(axum::Json(ListPage { items, next_cursor }))
}

impl Filter {
    /// The `unit` filter as the unit and the units below it.
    pub(super) fn unit_subtree(
        &self,
        directory: &crate::directory::Directory,
    ) -> Option<Vec<String>> {
        self.unit.as_deref().map(|u| directory.subtree(u))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_escaped() {
        assert_eq!(like_pattern("阀井"), "%阀井%");
        assert_eq!(like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let cursor = Cursor {
            d: Some(1_763_740_740_000),
            id: "abc".into(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::decode("not a cursor"), None);
    }

    #[test]
    fn bad_parameters_are_refused() {
        let check = |p: Params| p.check().map(|_| ()).map_err(|e| e.code());
        assert_eq!(
            check(Params {
                limit: Some("201".into()),
                ..Params::default()
            }),
            Err("invalid_parameter")
        );
        assert_eq!(
            check(Params {
                status: Some("fieldwork".into()),
                kind: Some("duban".into()),
                ..Params::default()
            }),
            Err("invalid_parameter")
        );
        assert_eq!(
            check(Params {
                status: Some("fieldwork".into()),
                ..Params::default()
            }),
            Ok(())
        );
    }
}
