//! The HTTP application: routes and the state they share. [`app`] builds the router and is
//! kept apart from [`crate::serve`] so tests can drive it on any listener.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::auth::Auth;
use crate::directory::DirectoryHandle;
use crate::metrics::Metrics;
use crate::sync::hub::Hub;
use crate::sync::session::{ServerIdentity, SessionLimits};

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub hub: Hub,
    pub identity: ServerIdentity,
    pub limits: SessionLimits,
    pub metrics: Arc<Metrics>,
    /// WebSocket sessions are tracked here, so shutdown waits for them to close.
    pub tracker: TaskTracker,
    pub shutdown: CancellationToken,
    /// The built web app (`index.html` and its assets).
    pub web_dir: PathBuf,
    /// Token keys, lifetimes, password hashing and the sign-in limiter.
    pub auth: Arc<Auth>,
    /// Users, units and ended sessions, in memory and kept fresh.
    pub directory: DirectoryHandle,
}

/// The whole application. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()`: the sign-in limiter counts failures
/// per client address.
pub fn app(state: AppState) -> Router {
    let index = state.web_dir.join("index.html");
    // Unknown paths get index.html: the web app routes on the client.
    let web = ServeDir::new(&state.web_dir).fallback(ServeFile::new(index));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/sync", get(crate::ws::sync))
        // Everything under /api answers JSON, unknown paths included, before the web app's
        // fallback could answer them with index.html.
        .nest("/api", crate::api::router())
        .fallback_service(web)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                // The path only: query strings will carry access tokens and must not be logged.
                tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
            }),
        )
        .with_state(state)
}

/// `GET /healthz`: 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let probe = sqlx::query_scalar!("select 1 as \"one!\"").fetch_one(&state.pool);
    match tokio::time::timeout(Duration::from_secs(2), probe).await {
        Ok(Ok(_)) => (StatusCode::OK, "ok"),
        Ok(Err(error)) => {
            tracing::warn!(%error, "health check: database error");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

/// `GET /metrics`: Prometheus text format, for admins (the scraper signs in as one). Load
/// figures are not for everyone: they tell when the office is busy and how many records exist.
async fn metrics(
    State(state): State<AppState>,
    caller: crate::auth::CurrentUser,
) -> Result<impl IntoResponse, crate::api::ApiError> {
    if !caller
        .user
        .roles
        .contains(&duyan_shared::rules::Role::Admin)
    {
        return Err(crate::api::ApiError::forbidden("metrics are for admins"));
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    ))
}
