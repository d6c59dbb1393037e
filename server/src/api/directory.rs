//! `GET /api/directory`: every unit and user, so the web app can name people and units and
//! offer pickers while offline.
//!
//! Answered from the in-memory [`Directory`](crate::directory::Directory), which holds exactly
//! this (and nothing secret: no password hashes, no sessions); no query. The answer is the same
//! for every signed-in user, and it changes only when `directory_version` moves, so that number
//! is its `ETag`: a phone revalidates with `If-None-Match` and gets an empty 304 until a user or
//! unit changes. The version also moves when a session is ended, which changes nothing here and
//! only costs a full answer.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use duyan_shared::api::{DirectoryAnswer, DirectoryUnit, DirectoryUser};
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::directory::Directory;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/directory",
        // Thousands of users make a few hundred kilobytes of JSON that compresses tenfold.
        get(directory).layer(CompressionLayer::new().quality(CompressionLevel::Precise(5))),
    )
}

/// The entity tag of a directory snapshot. Weak, since the gzip, brotli and plain bytes of
/// one snapshot share it.
fn etag(directory: &Directory) -> String {
    format!("W/\"directory-{}\"", directory.version())
}

/// Whether `If-None-Match` names `tag` (or is `*`). Weak and strong tags compare alike, as
/// RFC 9110 asks for `If-None-Match`.
fn matches(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|candidate| candidate.trim() == "*" || opaque(candidate) == opaque(tag))
}

/// An entity tag without its weakness mark.
fn opaque(tag: &str) -> &str {
    let tag = tag.trim();
    tag.strip_prefix("W/").unwrap_or(tag)
}

/// `GET /api/directory`: see the module documentation.
async fn directory(
    State(state): State<AppState>,
    _caller: CurrentUser,
    request: HeaderMap,
) -> Response {
    let directory = state.directory.current();
    let tag = etag(&directory);
    let mut response = if matches(&request, &tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        axum::Json(answer(&directory)).into_response()
    };
    let headers = response.headers_mut();
    if let Ok(tag) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, tag);
    }
    // Revalidated every time, since it may change any second; private, since it needs a token.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    response
}

/// Units by id and users by username, so the same directory always gives the same bytes.
fn answer(directory: &Directory) -> DirectoryAnswer {
    let mut units: Vec<DirectoryUnit> = directory
        .units()
        .map(|unit| DirectoryUnit {
            id: unit.id.clone(),
            name: unit.name.clone(),
            parent: unit.parent.clone(),
        })
        .collect();
    units.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    let mut users: Vec<DirectoryUser> = directory
        .users()
        .map(|user| DirectoryUser {
            id: user.id.clone(),
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            roles: user.roles.clone(),
            unit: user.unit.clone(),
            disabled: user.disabled,
        })
        .collect();
    users.sort_unstable_by(|a, b| a.username.cmp(&b.username));
    DirectoryAnswer { units, users }
}
