//! The inbox (消息): `GET /api/inbox`, `POST /api/inbox/{id}/read`, `POST /api/inbox/read-all`.
//!
//! Only the addressee sees an entry, and only while they may read its record: the entries are
//! joined with `readable_records` (the list's own access rule), so a handler taken off an item
//! loses its entries at once, and gets them back if put on it again. Newest first, keyset
//! pages by entry id. Read state is stored on the server, so it follows the user to every
//! device.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use duyan_shared::api::{InboxEntry, InboxPage};
use serde::Deserialize;

use super::ApiError;
use super::scope::bad;
use crate::app::AppState;
use crate::auth::CurrentUser;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inbox", get(list))
        .route("/inbox/read-all", post(read_all))
        .route("/inbox/{id}/read", post(read))
}

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

#[derive(Debug, Deserialize)]
struct Params {
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    limit: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    caller: CurrentUser,
    Query(params): Query<Params>,
) -> Result<axum::Json<InboxPage>, ApiError> {
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad(format!("limit must be 1 to {MAX_LIMIT}")));
    }
    let before = match params.cursor.as_deref() {
        None => i64::MAX,
        Some(cursor) => cursor
            .parse::<i64>()
            .ok()
            .filter(|c| *c > 0)
            .ok_or_else(|| bad("cursor is not one this list gave"))?,
    };
    let reader = state.directory.current().reader(&caller.user);
    let mut rows = sqlx::query!(
        r#"select i.id, e.kind, e.record_id, e.record_kind, e.title, e.text,
                  (extract(epoch from e.at) * 1000)::int8 as "at!", i.read_at is not null as "read!"
           from inbox_entries i
           join notify_events e on e.id = i.event_id
           where i.user_id = $1 and i.id < $4
             and e.record_id in (select id from readable_records($1, $2, $3))
           order by i.id desc
           limit $5"#,
        reader.id,
        reader.reads_all,
        &reader.units,
        before,
        limit + 1
    )
    .fetch_all(&state.pool)
    .await
    .map_err(ApiError::internal)?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = more
        .then(|| rows.last().map(|r| r.id.to_string()))
        .flatten();
    let unread = sqlx::query_scalar!(
        r#"select count(*) as "n!"
           from inbox_entries i
           join notify_events e on e.id = i.event_id
           where i.user_id = $1 and i.read_at is null
             and e.record_id in (select id from readable_records($1, $2, $3))"#,
        reader.id,
        reader.reads_all,
        &reader.units,
    )
    .fetch_one(&state.pool)
    .await
    .map_err(ApiError::internal)?;
    let items = rows
        .into_iter()
        .map(|r| InboxEntry {
            id: r.id.to_string(),
            kind: r.kind,
            record_id: r.record_id,
            record_kind: r.record_kind,
            title: r.title,
            text: r.text,
            at: r.at,
            read: r.read,
        })
        .collect();
    Ok(axum::Json(InboxPage {
        items,
        next_cursor,
        unread,
    }))
}

/// Marks one of the caller's entries read. Another user's entry, or one about a record the
/// caller may no longer read, is a 404 like one that does not exist.
async fn read(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    let reader = state.directory.current().reader(&caller.user);
    let done = sqlx::query!(
        r#"update inbox_entries i set read_at = coalesce(i.read_at, now())
           from notify_events e
           where i.id = $4 and i.user_id = $1 and e.id = i.event_id
             and e.record_id in (select id from readable_records($1, $2, $3))"#,
        reader.id,
        reader.reads_all,
        &reader.units,
        id
    )
    .execute(&state.pool)
    .await
    .map_err(ApiError::internal)?;
    if done.rows_affected() == 0 {
        return Err(ApiError::not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Marks every entry of the caller read.
async fn read_all(
    State(state): State<AppState>,
    caller: CurrentUser,
) -> Result<StatusCode, ApiError> {
    sqlx::query!(
        "update inbox_entries set read_at = now() where user_id = $1 and read_at is null",
        caller.user.id
    )
    .execute(&state.pool)
    .await
    .map_err(ApiError::internal)?;
    Ok(StatusCode::NO_CONTENT)
}
