//! The JSON API under `/api`: its router, its error type and its JSON extractor.
//!
//! Reads of the projection: [`list`] (`GET /api/records`), [`dashboard`], [`weekly`]
//! (`GET /api/reports/weekly`, JSON or Excel) and [`ledger`] (`GET /api/ledger.xlsx`); what
//! they share (the caller as the access rule sees them, the clock) is in [`scope`], the Excel
//! plumbing in [`xlsx`]. Photos are uploaded and read through [`blobs`]. [`directory`]
//! (`GET /api/directory`) lists units and users for the web app's names and pickers.
//! [`inbox`] is the user's 消息 (`/api/inbox`), [`channels`] the admins' outbound channels
//! (`/api/admin/channels`), [`notifications`] the user's preferences, quiet hours and Web Push
//! subscriptions (`/api/me/notifications`, `/api/me/push-subscriptions`), [`admin`] the admins'
//! users and units (`/api/admin/users`, `/api/admin/units`).
//! [`documents`] serves a record's Word documents and its dossier (归档 zip).
//! [`cycle`] is the office's cycle: 批示 tracking, the 考核 per unit, the monthly report, the
//! 通报 (`/api/bulletins`), the dashboard's trend, and the parents' rollup that the list shows.
//!
//! Every answer under `/api`, errors included, is JSON: an unknown path is a JSON 404 (never
//! the web app's `index.html`), a body axum cannot read is a JSON 400/413/415.

pub mod admin;
pub mod blobs;
pub mod channels;
pub mod cycle;
pub mod dashboard;
pub mod directory;
pub mod documents;
pub mod error;
pub mod inbox;
pub mod ledger;
pub mod list;
pub mod notifications;
pub mod records;
mod renditions;
pub mod scope;
pub mod weekly;
pub mod xlsx;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::FromRequest;
use axum::http::StatusCode;

pub use error::ApiError;

use crate::app::AppState;

/// Largest request body the API reads. Its bodies are small JSON objects; anything bigger is
/// a mistake or an attack and is refused (413) before it is buffered.
pub const BODY_LIMIT: usize = 16 * 1024;

/// A JSON request body whose rejections are [`ApiError`]s in the API's shape, instead of
/// axum's plain-text ones.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

/// The router mounted at `/api`.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(crate::auth::routes::router())
        .merge(records::router())
        .merge(documents::router())
        .merge(list::router())
        .merge(dashboard::router())
        .merge(directory::router())
        .merge(weekly::router())
        .merge(cycle::router())
        .merge(ledger::router())
        .merge(inbox::router())
        .merge(channels::router())
        .merge(notifications::router())
        .merge(admin::router())
        // Streams its bodies itself, with its own limits: `DefaultBodyLimit` below applies to
        // buffering extractors (JSON) only, not to the `Body` the blob routes read.
        .merge(blobs::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method",
    )
}
