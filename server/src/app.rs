//! The HTTP application: routes and the state they share. [`app`] builds the router and is
//! kept apart from [`crate::serve`] so tests can drive it on any listener.
//!
//! Everything that is not `/api`, `/sync`, `/healthz` or `/metrics` is the web app (a PWA built
//! by Vite into `web_dir`), served by [`web_app`]:
//! - `/assets/*` holds Vite's output, whose names carry a hash of their content, so it is cached
//!   for a year and `immutable`: a new build has new names.
//! - `index.html`, the service worker (`sw.js`, `registerSW.js`, `workbox-*.js`) and
//!   `manifest.webmanifest` keep their names across builds, so they are `no-cache` (revalidated
//!   every time, cheap with `Last-Modified`): otherwise a phone could keep an old app for hours.
//! - Other files (icons, `favicon.ico`) get an hour.
//! - A GET or HEAD of a missing path whose last segment has no extension (`/records/abc`) is a
//!   route of the app: it answers `index.html` (the SPA fallback). A missing path with an
//!   extension, or anything under `/assets/`, is a 404: a stale service worker asking for an
//!   old `/assets/app-1234.js` must get an error, never HTML it would cache as JavaScript.
//! - Responses are compressed (gzip or brotli, as `Accept-Encoding` asks) on the fly at a
//!   moderate level; precompressed files are not needed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
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
    /// Photos: their store and upload limits.
    pub blobs: crate::blobs::Blobs,
    /// Notifications: what the channel routes check targets against.
    pub notify: crate::notify::Settings,
}

/// The whole application. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()`: the sign-in limiter counts failures
/// per client address.
pub fn app(state: AppState) -> Router {
    let web = web_app(&state.web_dir);
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

/// Brotli's default (11) is meant for compressing once ahead of time: on the fly it costs
/// seconds of CPU for a large WebAssembly file. 5 compresses about as well as gzip's best,
/// many times faster; gzip takes it as its level 5.
const COMPRESSION: CompressionLevel = CompressionLevel::Precise(5);

/// Hashed build output: a changed file gets a new name, so a copy never goes stale.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Files that keep their name across builds and decide which build runs: always revalidated.
const NO_CACHE: &str = "no-cache";
/// Other files of the web app (icons and the like).
const SHORT: &str = "public, max-age=3600";

/// What the web app's pages may load and run: only its own files. Scripts may compile
/// WebAssembly (Automerge) but not `eval`; styles may be inline (React's `style` attributes,
/// antd-mobile's variables); images may be object URLs (photos fetched with a token) or data
/// URLs; the page may not be framed (click-jacking). An injected script could read the tokens
/// the app keeps, so it must have nowhere to come from.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; font-src 'self' data:; \
    connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; \
    base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The web app in `web_dir`, served as the module documentation says.
fn web_app(web_dir: &std::path::Path) -> Router {
    let files = ServeDir::new(web_dir);
    let with_index = ServeDir::new(web_dir).fallback(ServeFile::new(web_dir.join("index.html")));
    Router::new()
        .fallback(move |request: Request| {
            let (files, with_index) = (files.clone(), with_index.clone());
            async move {
                let path = request.uri().path().to_owned();
                let answer = if is_app_route(request.method(), &path) {
                    with_index.oneshot(request).await
                } else {
                    files.oneshot(request).await
                };
                // ServeDir's error type is Infallible.
                let mut response = match answer {
                    Ok(response) => response.map(axum::body::Body::new),
                    Err(never) => match never {},
                };
                let cache = cache_control(&path, response.status());
                let headers = response.headers_mut();
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
                headers.insert(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(CONTENT_SECURITY_POLICY),
                );
                headers.insert(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("same-origin"),
                );
                response
            }
        })
        .layer(CompressionLayer::new().quality(COMPRESSION))
}

/// Whether a missing `path` is a route of the app, answered with `index.html`: a GET or HEAD
/// whose last segment has no extension, outside `/assets/`.
fn is_app_route(method: &Method, path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or_default();
    matches!(*method, Method::GET | Method::HEAD)
        && !path.starts_with("/assets/")
        && !last.contains('.')
}

/// The `Cache-Control` of an answer for `path`. An HTML answer to a path that is not a file
/// (the SPA fallback) falls under "no extension" and so gets `no-cache`, as `index.html` does;
/// errors are never kept.
fn cache_control(path: &str, status: StatusCode) -> &'static str {
    if !(status.is_success() || status == StatusCode::NOT_MODIFIED) {
        return NO_CACHE;
    }
    let last = path.rsplit('/').next().unwrap_or_default();
    let keeps_its_name = last.is_empty()
        || !last.contains('.')
        || matches!(
            last,
            "index.html" | "sw.js" | "registerSW.js" | "manifest.webmanifest"
        )
        || (last.starts_with("workbox-") && last.ends_with(".js"));
    if path.starts_with("/assets/") {
        IMMUTABLE
    } else if keeps_its_name {
        NO_CACHE
    } else {
        SHORT
    }
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
