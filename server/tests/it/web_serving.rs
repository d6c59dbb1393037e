//! The web app at `/`: caching per kind of file, the SPA fallback and its limits, content
//! types, compression, and the other routes left alone; through the real router, with a web
//! directory laid out as Vite and vite-plugin-pwa build it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::test_app;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use sqlx::PgPool;
use tower::ServiceExt;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A built web app in a fresh temporary directory, removed on drop.
struct WebDir(PathBuf);

impl WebDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("duyan-web-{}", rand::random::<u64>()));
        let index = format!(
            "<!doctype html><html lang=\"zh-CN\"><head><title>督研</title></head><body>{}</body></html>",
            "<div id=\"app\"></div>".repeat(20)
        );
        let files: [(&str, Vec<u8>); 8] = [
            ("index.html", index.into_bytes()),
            ("assets/app-abc123.js", script(400)),
            ("assets/core-def456.wasm", wasm()),
            ("sw.js", script(40)),
            ("registerSW.js", script(2)),
            ("workbox-5a6b7c.js", script(40)),
            (
                "manifest.webmanifest",
                r#"{"name":"督研","short_name":"督研","start_url":"/","display":"standalone","icons":[]}"#
                    .as_bytes()
                    .to_vec(),
            ),
            ("icons/icon-192.png", b"\x89PNG\r\n\x1a\n not really a picture".to_vec()),
        ];
        for (path, bytes) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        Self(dir)
    }

    fn read(&self, path: &str) -> Vec<u8> {
        std::fs::read(self.0.join(path)).unwrap()
    }
}

impl Drop for WebDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `lines` lines of JavaScript: compressible, as real bundles are.
fn script(lines: usize) -> Vec<u8> {
    (0..lines)
        .map(|n| format!("export const record{n} = {{ id: {n}, title: \"督办事项 {n}\" }};\n"))
        .collect::<String>()
        .into_bytes()
}

/// A WebAssembly module's header followed by compressible filler.
fn wasm() -> Vec<u8> {
    let mut bytes = b"\0asm\x01\0\0\0".to_vec();
    bytes.extend((0..20_000u32).map(|n| (n % 7) as u8));
    bytes
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    #[track_caller]
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(&name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", self.headers))
            .to_str()
            .unwrap()
    }
}

async fn send(
    router: &Router,
    method: Method,
    path: &str,
    accept_encoding: Option<&str>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(encodings) = accept_encoding {
        request = request.header(header::ACCEPT_ENCODING, encodings);
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

async fn get(router: &Router, path: &str) -> Answer {
    send(router, Method::GET, path, None).await
}

/// The app's router serving `web`.
async fn router(pool: PgPool, web: &Path) -> Router {
    let app = test_app(pool).await;
    let mut state = app.state.clone();
    state.web_dir = web.to_owned();
    duyan::app::app(state)
}

/// `gzip -d`, the system's decompressor, so the check does not trust the compressing library.
fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut child = Command::new("gzip")
        .arg("-dc")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("gzip is installed");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    output.stdout
}

#[sqlx::test(migrations = "./migrations")]
async fn each_kind_of_file_is_cached_as_it_may_be(pool: PgPool) {
    let web = WebDir::new();
    let router = router(pool, &web.0).await;

    // Hashed build output: a year, immutable.
    let script = get(&router, "/assets/app-abc123.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert_eq!(script.body, web.read("assets/app-abc123.js"));
    assert_eq!(script.header(header::CONTENT_TYPE), "text/javascript");
    assert_eq!(script.header(header::CACHE_CONTROL), IMMUTABLE);
    let wasm = get(&router, "/assets/core-def456.wasm").await;
    assert_eq!(wasm.header(header::CONTENT_TYPE), "application/wasm");
    assert_eq!(wasm.header(header::CACHE_CONTROL), IMMUTABLE);

    // What keeps its name and decides which build runs: revalidated every time.
    for (path, content_type) in [
        ("/", "text/html"),
        ("/index.html", "text/html"),
        ("/sw.js", "text/javascript"),
        ("/registerSW.js", "text/javascript"),
        ("/workbox-5a6b7c.js", "text/javascript"),
        ("/manifest.webmanifest", "application/manifest+json"),
    ] {
        let answer = get(&router, path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(answer.header(header::CONTENT_TYPE), content_type, "{path}");
        assert_eq!(answer.header(header::CACHE_CONTROL), "no-cache", "{path}");
        assert!(answer.headers.contains_key(header::LAST_MODIFIED), "{path}");
    }

    // Pages load only the app's own files and may not be framed.
    let page = get(&router, "/ledger").await;
    let policy = page.header(header::CONTENT_SECURITY_POLICY);
    for directive in [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    assert!(
        !policy
            .split([' ', ';'])
            .any(|token| token == "'unsafe-eval'"),
        "no eval: {policy}"
    );

    // Anything else: an hour.
    let icon = get(&router, "/icons/icon-192.png").await;
    assert_eq!(icon.status, StatusCode::OK);
    assert_eq!(icon.header(header::CONTENT_TYPE), "image/png");
    assert_eq!(icon.header(header::CACHE_CONTROL), "public, max-age=3600");
}

#[sqlx::test(migrations = "./migrations")]
async fn app_routes_fall_back_to_index_html_but_missing_files_do_not(pool: PgPool) {
    let web = WebDir::new();
    let router = router(pool, &web.0).await;
    let index = web.read("index.html");

    // Routes of the app, however deep, get index.html, never cached.
    for path in [
        "/records/5Kd3NBUAdUnhyzenEwVLy9pBKxSwXvE9FMPyR4UKZvpe",
        "/%E6%88%91%E7%9A%84%E5%BE%85%E5%8A%9E",
        "/login?next=/records",
    ] {
        let answer = get(&router, path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(answer.body, index, "{path}");
        assert_eq!(answer.header(header::CONTENT_TYPE), "text/html", "{path}");
        assert_eq!(answer.header(header::CACHE_CONTROL), "no-cache", "{path}");
    }
    let head = send(&router, Method::HEAD, "/records/abc", None).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());

    // A missing file is a 404, not HTML a stale service worker would cache as a script.
    for path in [
        "/assets/app-000000.js",
        "/assets/app-abc123",
        "/assets/",
        "/sw-old.js",
        "/icons/missing.png",
    ] {
        let answer = get(&router, path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_ne!(answer.body, index, "{path}");
        assert_eq!(answer.header(header::CACHE_CONTROL), "no-cache", "{path}");
    }

    // Only GET and HEAD read files.
    let post = send(&router, Method::POST, "/records/abc", None).await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[sqlx::test(migrations = "./migrations")]
async fn responses_are_compressed_as_the_client_asks(pool: PgPool) {
    let web = WebDir::new();
    let router = router(pool, &web.0).await;
    let original = web.read("assets/app-abc123.js");

    let gzip = send(&router, Method::GET, "/assets/app-abc123.js", Some("gzip")).await;
    assert_eq!(gzip.status, StatusCode::OK);
    assert_eq!(gzip.header(header::CONTENT_ENCODING), "gzip");
    assert_eq!(gzip.header(header::VARY), "accept-encoding");
    assert_eq!(gzip.header(header::CACHE_CONTROL), IMMUTABLE);
    assert!(
        gzip.body.len() < original.len() / 4,
        "{} bytes",
        gzip.body.len()
    );
    assert_eq!(gunzip(&gzip.body), original);

    let br = send(
        &router,
        Method::GET,
        "/assets/app-abc123.js",
        Some("gzip, deflate, br"),
    )
    .await;
    assert_eq!(br.header(header::CONTENT_ENCODING), "br");
    assert!(
        br.body.len() < original.len() / 4,
        "{} bytes",
        br.body.len()
    );

    // WebAssembly, index.html and the SPA fallback are compressed too.
    for path in ["/assets/core-def456.wasm", "/", "/records/abc"] {
        let answer = send(&router, Method::GET, path, Some("br")).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(answer.header(header::CONTENT_ENCODING), "br", "{path}");
    }
    let wasm = send(
        &router,
        Method::GET,
        "/assets/core-def456.wasm",
        Some("gzip"),
    )
    .await;
    assert_eq!(gunzip(&wasm.body), web.read("assets/core-def456.wasm"));

    // Without Accept-Encoding, the bytes as they are.
    let plain = get(&router, "/assets/app-abc123.js").await;
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(plain.body, original);
}

#[sqlx::test(migrations = "./migrations")]
async fn other_routes_are_not_the_web_app(pool: PgPool) {
    let web = WebDir::new();
    let router = router(pool, &web.0).await;

    // Unknown API paths are JSON 404s, with or without an extension.
    for path in ["/api/nothing", "/api/nothing.js", "/api/records/x/y/z"] {
        let answer = get(&router, path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            answer.header(header::CONTENT_TYPE),
            "application/json",
            "{path}"
        );
        let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}");
    }
    let health = get(&router, "/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body, b"ok");
    assert!(health.headers.get(header::CACHE_CONTROL).is_none());
    // Both need a token, and say so rather than serving the app.
    assert_eq!(
        get(&router, "/metrics").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(get(&router, "/sync").await.status, StatusCode::UNAUTHORIZED);
}
