//! `GET /api/instructions?leader=&from=&to=`: 批示 tracking. Every 领导批示 on the records the
//! caller may read, newest first, each with its record's status, light and 落实 state, and the
//! 督办事项 made from it (`source_ref` naming the record and the 批示) that the caller may read.
//!
//! 落实 state: `closed` when the record is 已办结 / 已评价 (a 督办事项) or 已采纳 / 已归档 (a
//! 调研记录); `overdue` when it is open and past its deadline; `in_progress` otherwise.
//! `from` and `to` are calendar days in Asia/Shanghai, both included.

use std::collections::HashMap;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use chrono::{NaiveDate, TimeDelta};
use duyan_shared::time::Timestamp;
use serde::{Deserialize, Serialize};

use crate::api::ApiError;
use crate::api::scope::{bad, due_soon_before, now, parse_at, start_of};
use crate::app::AppState;
use crate::auth::CurrentUser;

/// The most 批示 one answer lists; past it the answer says so (`truncated`).
pub const MAX_INSTRUCTIONS: i64 = 500;

pub fn router() -> Router<AppState> {
    Router::new().route("/instructions", get(list))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// A leader's user id.
    leader: Option<String>,
    /// First day, `YYYY-MM-DD`.
    from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    to: Option<String>,
    /// "Now" (ms), for lights and overdue.
    at: Option<String>,
}

/// An item made from a 批示.
#[derive(Debug, Serialize)]
struct Made {
    id: String,
    title: Option<String>,
    status: Option<String>,
    light: Option<String>,
}

#[derive(Debug, Serialize)]
struct Entry {
    record_id: String,
    entry_id: String,
    /// ms since the epoch.
    at: i64,
    leader: String,
    text: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    title: Option<String>,
    status: Option<String>,
    light: Option<String>,
    deadline: Option<i64>,
    lead_unit: Option<String>,
    /// `in_progress`, `closed` or `overdue`.
    state: &'static str,
    items: Vec<Made>,
}

#[derive(Debug, Serialize)]
struct Answer {
    instructions: Vec<Entry>,
    truncated: bool,
}

fn day(text: Option<&str>, name: &str, plus: i64) -> Result<Option<Timestamp>, ApiError> {
    text.map(|d| {
        NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.checked_add_signed(TimeDelta::days(plus)))
            .and_then(start_of)
            .ok_or_else(|| bad(format!("{name} must be a date, YYYY-MM-DD")))
    })
    .transpose()
}

async fn list(
    State(state): State<AppState>,
    caller: CurrentUser,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<axum::Json<Answer>, ApiError> {
    let Query(params) = params.map_err(|rejection| bad(rejection.body_text()))?;
    if params
        .leader
        .as_ref()
        .is_some_and(|l| l.chars().count() > 100)
    {
        return Err(bad("leader is limited to 100 characters"));
    }
    let from = day(params.from.as_deref(), "from", 0)?;
    let to = day(params.to.as_deref(), "to", 1)?;
    let at = parse_at(params.at.as_deref())?.unwrap_or_else(now);
    let soon = due_soon_before(at)?;
    let directory = state.directory.current();
    let reader = directory.reader(&caller.user);
    let rows = sqlx::query!(
        r#"select i.record_id, i.entry_id, (extract(epoch from i.at) * 1000)::int8 as "at!",
                  i.by_user, i.text, r.kind, r.title, r.status, r.lead_unit,
                  (extract(epoch from r.deadline) * 1000)::int8 as deadline,
                  coalesce(r.is_open and r.deadline < now_ts, false) as "overdue!",
                  record_light(r.is_open, r.deadline, r.attention_at, now_ts, soon_ts) as light
           from record_instructions i
           join readable_records($1, $2, $3::text[]) r on r.id = i.record_id,
                lateral (select 'epoch'::timestamptz + $7::int8 * interval '1 millisecond' as now_ts,
                                'epoch'::timestamptz + $8::int8 * interval '1 millisecond' as soon_ts) t
           where ($4::text is null or i.by_user = $4)
             and ($5::int8 is null or i.at >= 'epoch'::timestamptz + $5 * interval '1 millisecond')
             and ($6::int8 is null or i.at < 'epoch'::timestamptz + $6 * interval '1 millisecond')
           order by i.at desc, i.record_id, i.entry_id
           limit $9"#,
        reader.id,
        reader.reads_all,
        &reader.units,
        params.leader,
        from.map(Timestamp::millis),
        to.map(Timestamp::millis),
        at.millis(),
        soon.millis(),
        MAX_INSTRUCTIONS + 1,
    )
    .fetch_all(&state.pool)
    .await?;
    let truncated = rows.len() > usize::try_from(MAX_INSTRUCTIONS).unwrap_or(usize::MAX);
    let record_ids: Vec<String> = rows.iter().map(|r| r.record_id.clone()).collect();
    let made = sqlx::query!(
        r#"select id as "id!", title, status, source_record as "source_record!",
                  source_entry as "source_entry!",
                  record_light(is_open, deadline, attention_at,
                               'epoch'::timestamptz + $5::int8 * interval '1 millisecond',
                               'epoch'::timestamptz + $6::int8 * interval '1 millisecond') as light
           from readable_records($1, $2, $3::text[])
           where kind = 'duban' and source_record = any($4::text[]) and source_entry is not null
           order by created_at, id"#,
        reader.id,
        reader.reads_all,
        &reader.units,
        &record_ids,
        at.millis(),
        soon.millis(),
    )
    .fetch_all(&state.pool)
    .await?;
    let mut by_entry: HashMap<(String, String), Vec<Made>> = HashMap::new();
    for m in made {
        by_entry
            .entry((m.source_record, m.source_entry))
            .or_default()
            .push(Made {
                id: m.id,
                title: m.title,
                status: m.status,
                light: m.light,
            });
    }
    let instructions = rows
        .into_iter()
        .take(usize::try_from(MAX_INSTRUCTIONS).unwrap_or(usize::MAX))
        .map(|r| {
            let closed = matches!(
                r.status.as_deref(),
                Some("closed" | "evaluated" | "adopted" | "archived")
            );
            let state = match (closed, r.overdue) {
                (true, _) => "closed",
                (false, true) => "overdue",
                (false, false) => "in_progress",
            };
            let items = by_entry
                .remove(&(r.record_id.clone(), r.entry_id.clone()))
                .unwrap_or_default();
            Entry {
                record_id: r.record_id,
                entry_id: r.entry_id,
                at: r.at,
                leader: r.by_user,
                text: r.text,
                kind: r.kind,
                title: r.title,
                status: r.status,
                light: r.light,
                deadline: r.deadline,
                lead_unit: r.lead_unit,
                state,
                items,
            }
        })
        .collect();
    Ok(axum::Json(Answer {
        instructions,
        truncated,
    }))
}
