//! Sign-in, tokens, sessions and the `/api` error contract, driven through the real router on
//! real PostgreSQL (`#[sqlx::test]` gives each test a fresh, migrated database).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use duyan::app::{AppState, app};
use duyan::auth::password::hash_blocking;
use duyan::auth::{Auth, AuthConfig, LoginLimiter, LoginLimits};
use duyan::users::{self, NewUser, UnitRow};
use duyan_shared::rules::Role;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::common::SECRET;
const PASSWORD: &str = "correct horse battery";
const GENERIC_500: &str = r#"{"error":{"code":"internal","message":"internal error"}}"#;

struct TestApp {
    router: Router,
    state: AppState,
    pool: PgPool,
}

/// What came back.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    #[track_caller]
    fn assert_error(&self, status: StatusCode, code: &str) -> Value {
        assert_eq!(self.status, status, "body: {}", self.text());
        let body = self.json();
        assert_eq!(body["error"]["code"], code, "body: {body}");
        assert!(body["error"]["message"].is_string(), "body: {body}");
        body
    }
}

fn address(n: u8) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, n)), 40_000)
}

async fn test_app(pool: PgPool, config: AuthConfig) -> TestApp {
    let state = crate::common::app_state(pool.clone(), config).await;
    TestApp {
        router: app(state.clone()),
        state,
        pool,
    }
}

impl TestApp {
    async fn add_user(&self, username: &str, roles: &[Role]) -> String {
        let id = users::create_user(
            &self.pool,
            &NewUser {
                username: username.into(),
                display_name: format!("{username} 的名字"),
                roles: roles.to_vec(),
                unit: None,
                password_hash: hash_blocking(PASSWORD).unwrap(),
                must_change_password: false,
            },
        )
        .await
        .unwrap();
        self.state.directory.refresh().await.unwrap();
        id
    }

    async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        from: SocketAddr,
    ) -> Answer {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Some(value) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(value.to_string())
            }
            None => Body::empty(),
        };
        let mut request = builder.body(body).unwrap();
        // What `into_make_service_with_connect_info` adds in production.
        request.extensions_mut().insert(ConnectInfo(from));
        self.send(request).await
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
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

    async fn login_from(&self, username: &str, password: &str, from: SocketAddr) -> Answer {
        self.request(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": username, "password": password, "device": "测试手机"})),
            from,
        )
        .await
    }

    async fn login(&self, username: &str, password: &str) -> Answer {
        self.login_from(username, password, address(1)).await
    }

    /// Signs in and returns (access token, refresh token).
    async fn signed_in(&self, username: &str) -> (String, String) {
        let answer = self.login(username, PASSWORD).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
        let body = answer.json();
        (
            body["access_token"].as_str().unwrap().to_owned(),
            body["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    async fn me(&self, token: &str) -> Answer {
        self.request(Method::GET, "/api/me", Some(token), None, address(1))
            .await
    }

    async fn refresh(&self, refresh_token: &str) -> Answer {
        self.request(
            Method::POST,
            "/api/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh_token})),
            address(1),
        )
        .await
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn login_returns_tokens_and_the_user(pool: PgPool) {
    let app = test_app(pool, AuthConfig::default()).await;
    users::create_unit(
        &app.pool,
        &UnitRow {
            id: "refinery".into(),
            name: "炼油厂".into(),
            parent_id: None,
        },
    )
    .await
    .unwrap();
    let id = users::create_user(
        &app.pool,
        &NewUser {
            username: "ZhangWei".into(),
            display_name: "张伟".into(),
            roles: vec![Role::Handler, Role::Researcher],
            unit: Some("refinery".into()),
            password_hash: hash_blocking(PASSWORD).unwrap(),
            must_change_password: true,
        },
    )
    .await
    .unwrap();
    app.state.directory.refresh().await.unwrap();

    // Usernames are case-insensitive.
    let answer = app.login("  zhangWEI ", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store");
    let body = answer.json();
    assert_eq!(body["expires_in"], 15 * 60);
    assert_eq!(
        body["user"],
        json!({
            "id": id,
            "username": "zhangwei",
            "display_name": "张伟",
            "roles": ["handler", "researcher"],
            "unit": "refinery",
            "must_change_password": true,
        })
    );
    let refresh = body["refresh_token"].as_str().unwrap();
    assert_eq!(URL_SAFE_NO_PAD.decode(refresh).unwrap().len(), 32);

    let access = body["access_token"].as_str().unwrap();
    let claims = app.state.auth.verify_access(access).unwrap();
    assert_eq!(claims.sub, id);
    assert_eq!(claims.exp - claims.iat, 15 * 60);
    let me = app.me(access).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json(), body["user"]);

    let device: Option<String> = sqlx::query_scalar("select device from sessions where id = $1")
        .bind(&claims.sid)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(device.as_deref(), Some("测试手机"));
    // Only the hash of the refresh token is stored.
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("select token_hash from refresh_tokens")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], refresh.as_bytes());
}

#[sqlx::test(migrations = "./migrations")]
async fn wrong_password_and_unknown_user_are_indistinguishable(pool: PgPool) {
    let app = test_app(pool, AuthConfig::default()).await;
    app.add_user("lijing", &[Role::Supervisor]).await;

    let wrong_password = app.login("lijing", "not the password").await;
    let unknown_user = app.login("nobody", "not the password").await;
    let system = app.login("system", "!").await;
    for answer in [&wrong_password, &unknown_user, &system] {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            answer.text(),
            r#"{"error":{"code":"invalid_credentials","message":"用户名或密码错误"}}"#
        );
    }
    assert_eq!(wrong_password.body, unknown_user.body);
    assert_eq!(
        wrong_password.headers[header::WWW_AUTHENTICATE],
        unknown_user.headers[header::WWW_AUTHENTICATE]
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn a_disabled_user_is_told_only_after_the_right_password(pool: PgPool) {
    let app = test_app(pool, AuthConfig::default()).await;
    app.add_user("zhaolei", &[Role::Viewer]).await;
    let (access, refresh) = app.signed_in("zhaolei").await;

    users::set_disabled(&app.pool, "zhaolei", true)
        .await
        .unwrap();
    app.state.directory.refresh().await.unwrap();

    app.login("zhaolei", PASSWORD)
        .await
        .assert_error(StatusCode::FORBIDDEN, "account_disabled");
    app.login("zhaolei", "wrong password")
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    // Disabling ended the sessions: neither token works any more.
    app.me(&access)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    app.refresh(&refresh)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[sqlx::test(migrations = "./migrations")]
async fn an_expired_access_token_is_refused(pool: PgPool) {
    let config = AuthConfig {
        access_ttl: Duration::from_secs(1),
        leeway: Duration::ZERO,
        ..AuthConfig::default()
    };
    let app = test_app(pool, config).await;
    app.add_user("wangqiang", &[Role::Leader]).await;
    let (access, refresh) = app.signed_in("wangqiang").await;
    assert_eq!(app.me(&access).await.status, StatusCode::OK);

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let body = app
        .me(&access)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(body["error"]["message"], "token expired");

    // The refresh token still gets a new one.
    let answer = app.refresh(&refresh).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let fresh = answer.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.me(&fresh).await.status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn tokens_signed_with_another_key_or_no_algorithm_are_refused(pool: PgPool) {
    let app = test_app(pool, AuthConfig::default()).await;
    let id = app.add_user("chenfang", &[Role::Researcher]).await;
    let (access, _) = app.signed_in("chenfang").await;
    let sid = app.state.auth.verify_access(&access).unwrap().sid;

    let other = Auth::new(
        b"another secret that is long enough!!",
        AuthConfig::default(),
    )
    .unwrap();
    let (forged, _) = other.issue_access(&id, &sid).unwrap();
    let body = app
        .me(&forged)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(body["error"]["message"], "invalid token");

    // `alg: none` with valid claims and an empty signature.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(
        json!({"sub": id, "sid": sid, "iat": now, "exp": now + 600, "iss": "duyan"}).to_string(),
    );
    let unsigned = format!("{header}.{claims}.");
    let body = app
        .me(&unsigned)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(body["error"]["message"], "invalid token");

    // The right key but HS512, and the real token's signature under a changed payload.
    let hs512 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &json!({"sub": id, "sid": sid, "iat": now, "exp": now + 600, "iss": "duyan"}),
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .unwrap();
    app.me(&hs512)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let signature = access.rsplit('.').next().unwrap();
    let tampered_claims = URL_SAFE_NO_PAD.encode(
        json!({"sub": "system", "sid": sid, "iat": now, "exp": now + 600, "iss": "duyan"})
            .to_string(),
    );
    app.me(&format!("{header}.{tampered_claims}.{signature}"))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    // A wrong issuer, signed with the right key.
    let wrong_issuer = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": id, "sid": sid, "iat": now, "exp": now + 600, "iss": "someone-else"}),
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .unwrap();
    app.me(&wrong_issuer)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    // Still fine with the real one.
    assert_eq!(app.me(&access).await.status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn refresh_rotates_and_a_replayed_token_ends_the_session(pool: PgPool) {
    let app = test_app(pool, AuthConfig::default()).await;
    app.add_user("zhangwei", &[Role::Handler]).await;
    let (access1, refresh1) = app.signed_in("zhangwei").await;
    let sid = app.state.auth.verify_access(&access1).unwrap().sid;

    let answer = app.refresh(&refresh1).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let body = answer.json();
    let refresh2 = body["refresh_token"].as_str().unwrap().to_owned();
    let access2 = body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(refresh2, refresh1);
    assert_eq!(body["user"]["username"], "zhangwei");
    assert_eq!(body["expires_in"], 15 * 60);
    // Same session.
    assert_eq!(app.state.auth.verify_access(&access2).unwrap().sid, sid);
    assert_eq!(app.me(&access2).await.status, StatusCode::OK);

    // The first token was used: presenting it again is a replay, which ends the session...
    let body = app
        .refresh(&refresh1)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(body["error"]["message"], "session ended");
    // ...so the newer refresh token and the access tokens stop working too.
    app.refresh(&refresh2)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    app.me(&access2)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let revoked: bool =
        sqlx::query_scalar("select revoked_at is not null from sessions where id = $1")
            .bind(&sid)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(revoked);

    // Garbage and unknown tokens are refused.
    app.refresh("not-a-token")
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    // Another device of the same user is unaffected.
    let (other_access, _) = app.signed_in("zhangwei").await;
    assert_eq!(app.me(&other_access).await.status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn an_expired_refresh_token_is_refused(pool: PgPool) {
    let config = AuthConfig {
        refresh_ttl: Duration::from_secs(1),
        ..AuthConfig::default()
    };
    let app = test_app(pool, config).await;
    app.add_user("lijing", &[Role::Supervisor]).await;
    let (_, refresh) = app.signed_in("lijing").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let body = app
        .refresh(&refresh)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(body["error"]["message"], "refresh token expired");
}

#[sqlx::test(migrations = "./migrations")]
async fn logout_ends_the_session_at_once(pool: PgPool) {
    let app = test_app(pool, AuthConfig::default()).await;
    app.add_user("lijing", &[Role::Supervisor]).await;
    let (access, refresh) = app.signed_in("lijing").await;
    let (other_device, _) = app.signed_in("lijing").await;

    let answer = app
        .request(
            Method::POST,
            "/api/auth/logout",
            Some(&access),
            None,
            address(1),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text());
    assert!(answer.body.is_empty());

    let body = app
        .me(&access)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(body["error"]["message"], "session ended");
    app.refresh(&refresh)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    // Only this device signed out.
    assert_eq!(app.me(&other_device).await.status, StatusCode::OK);
    // Logging out needs a token.
    app.request(Method::POST, "/api/auth/logout", None, None, address(1))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[sqlx::test(migrations = "./migrations")]
async fn repeated_failures_lock_a_username_even_for_the_right_password(pool: PgPool) {
    let config = AuthConfig {
        limits: LoginLimits {
            per_username: 3,
            per_address: 100,
            ..LoginLimits::default()
        },
        ..AuthConfig::default()
    };
    let app = test_app(pool, config).await;
    app.add_user("wangqiang", &[Role::Leader]).await;
    app.add_user("lijing", &[Role::Supervisor]).await;

    for n in 0..3 {
        app.login_from("wangqiang", "guess", address(n))
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    let answer = app.login_from("WangQiang", PASSWORD, address(9)).await;
    answer.assert_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    let retry: u64 = answer.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    // Other users are unaffected.
    assert_eq!(app.login("lijing", PASSWORD).await.status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn repeated_failures_lock_an_address(pool: PgPool) {
    let config = AuthConfig {
        limits: LoginLimits {
            per_username: 100,
            per_address: 3,
            ..LoginLimits::default()
        },
        ..AuthConfig::default()
    };
    let app = test_app(pool, config).await;
    app.add_user("wangqiang", &[Role::Leader]).await;

    for name in ["a", "b", "c"] {
        app.login_from(name, "guess", address(7))
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    app.login_from("wangqiang", PASSWORD, address(7))
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    assert_eq!(
        app.login_from("wangqiang", PASSWORD, address(8))
            .await
            .status,
        StatusCode::OK
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn a_success_clears_the_username_count(pool: PgPool) {
    let config = AuthConfig {
        limits: LoginLimits {
            per_username: 3,
            per_address: 100,
            ..LoginLimits::default()
        },
        ..AuthConfig::default()
    };
    let app = test_app(pool, config).await;
    app.add_user("lijing", &[Role::Supervisor]).await;
    for _ in 0..2 {
        app.login("lijing", "typo").await;
    }
    assert_eq!(app.login("lijing", PASSWORD).await.status, StatusCode::OK);
    for _ in 0..2 {
        app.login("lijing", "typo").await;
    }
    assert_eq!(app.login("lijing", PASSWORD).await.status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_api_answers_json_everywhere(pool: PgPool) {
    let app = test_app(pool, AuthConfig::default()).await;

    let answer = app
        .request(Method::GET, "/api/me", None, None, address(1))
        .await;
    answer.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(answer.headers[header::WWW_AUTHENTICATE], "Bearer");
    app.me("garbage")
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    // Unauthenticated comes first, even with a body that would not parse.
    let mut request = Request::post("/api/me/password")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    request.extensions_mut().insert(ConnectInfo(address(1)));
    app.send(request)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");

    for path in ["/api/xyz", "/api", "/api/auth/nothing/here"] {
        let answer = app.request(Method::GET, path, None, None, address(1)).await;
        answer.assert_error(StatusCode::NOT_FOUND, "not_found");
        assert_eq!(answer.headers[header::CONTENT_TYPE], "application/json");
    }
    app.request(Method::GET, "/api/auth/login", None, None, address(1))
        .await
        .assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");

    // Bodies: not JSON, malformed JSON, wrong fields, too large.
    let mut request = Request::post("/api/auth/login")
        .body(Body::from(r#"{"username":"a","password":"b"}"#))
        .unwrap();
    request.extensions_mut().insert(ConnectInfo(address(1)));
    app.send(request)
        .await
        .assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let mut request = Request::post("/api/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"username\":"))
        .unwrap();
    request.extensions_mut().insert(ConnectInfo(address(1)));
    app.send(request)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    app.request(
        Method::POST,
        "/api/auth/login",
        None,
        Some(json!({"username": "a"})),
        address(1),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_body");
    app.request(
        Method::POST,
        "/api/auth/login",
        None,
        Some(json!({"username": "a", "password": "x".repeat(20_000)})),
        address(1),
    )
    .await
    .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[sqlx::test(migrations = "./migrations")]
async fn internal_errors_say_nothing_about_the_inside(pool: PgPool) {
    let app = test_app(pool, AuthConfig::default()).await;
    app.add_user("lijing", &[Role::Supervisor]).await;
    let (_, refresh) = app.signed_in("lijing").await;

    sqlx::query("drop table refresh_tokens cascade")
        .execute(&app.pool)
        .await
        .unwrap();
    for answer in [
        app.login("lijing", PASSWORD).await,
        app.refresh(&refresh).await,
    ] {
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(answer.text(), GENERIC_500);
        assert!(!answer.text().contains("refresh_tokens"));
    }
    // A closed pool too.
    app.pool.close().await;
    let answer = app.login("lijing", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(answer.text(), GENERIC_500);
}

#[sqlx::test(migrations = "./migrations")]
async fn changing_the_password(pool: PgPool) {
    let app = test_app(pool, AuthConfig::default()).await;
    let id = app.add_user("chenfang", &[Role::Researcher]).await;
    sqlx::query("update users set must_change_password = true where id = $1")
        .bind(&id)
        .execute(&app.pool)
        .await
        .unwrap();
    let (access, _) = app.signed_in("chenfang").await;
    let (other_device, other_refresh) = app.signed_in("chenfang").await;
    let change = |old: &str, new: &str| {
        app.request(
            Method::POST,
            "/api/me/password",
            Some(&access),
            Some(json!({"old_password": old, "new_password": new})),
            address(1),
        )
    };

    change("wrong", "a new password")
        .await
        .assert_error(StatusCode::FORBIDDEN, "wrong_password");
    change(PASSWORD, "short")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "weak_password");
    let answer = change(PASSWORD, "一个新的密码2026").await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text());

    app.login("chenfang", PASSWORD)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    let answer = app.login("chenfang", "一个新的密码2026").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["user"]["must_change_password"], false);
    // This device stays signed in; the others are signed out.
    assert_eq!(app.me(&access).await.status, StatusCode::OK);
    app.me(&other_device)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    app.refresh(&other_refresh)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[sqlx::test(migrations = "./migrations")]
async fn changes_by_another_process_reach_the_directory_within_seconds(pool: PgPool) {
    let app = test_app(pool.clone(), AuthConfig::default()).await;
    app.add_user("zhaolei", &[Role::Viewer]).await;
    let (access, _) = app.signed_in("zhaolei").await;
    let shutdown = CancellationToken::new();
    let tracker = TaskTracker::new();
    app.state
        .directory
        .spawn_poller(pool.clone(), shutdown.clone(), &tracker);

    // As `duyan user disable` does from another process: straight to the database.
    let before = app.state.directory.current().version();
    sqlx::query("update users set disabled = true where username = 'zhaolei'")
        .execute(&pool)
        .await
        .unwrap();
    let mut refused = false;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if app.me(&access).await.status == StatusCode::UNAUTHORIZED {
            refused = true;
            break;
        }
    }
    assert!(refused, "the poller did not pick up the change within 3 s");
    assert!(app.state.directory.current().version() > before);
    shutdown.cancel();
    tracker.close();
    tracker.wait().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn the_first_start_creates_admin_once(pool: PgPool) {
    duyan::admin::ensure_first_admin(&pool, Some("admin password"))
        .await
        .unwrap();
    duyan::admin::ensure_first_admin(&pool, Some("another password"))
        .await
        .unwrap();
    let app = test_app(pool, AuthConfig::default()).await;
    let answer = app.login("admin", "admin password").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let user = &answer.json()["user"];
    assert_eq!(user["roles"], json!(["admin"]));
    assert_eq!(user["must_change_password"], false);
}

#[sqlx::test(migrations = "./migrations")]
async fn demo_data_is_seeded_once_and_reads_back(pool: PgPool) {
    duyan::demo::seed(&pool).await.unwrap();
    duyan::demo::seed(&pool).await.unwrap();

    let users: i64 = sqlx::query_scalar("select count(*) from users where id <> 'system'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(users, 6);
    let snapshots: Vec<Vec<u8>> = sqlx::query_scalar("select snapshot from documents")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(snapshots.len(), 3);
    let actors: i64 = sqlx::query_scalar("select count(*) from actors where user_id = 'system'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(actors, 3);
    let mut titles = Vec::new();
    for snapshot in snapshots {
        let doc = duyan_shared::records::load_document(&snapshot).unwrap();
        let record = duyan_shared::Record::from_doc(&doc).unwrap();
        titles.push(match record {
            duyan_shared::Record::Duban(item) => item.title,
            duyan_shared::Record::Research(record) => record.title,
            duyan_shared::Record::Meeting(meeting) => meeting.title,
        });
    }
    assert!(
        titles.contains(&"炼油厂区阀井污水整改".to_owned()),
        "{titles:?}"
    );

    // Every role signs in with the demo password.
    let app = test_app(pool, AuthConfig::default()).await;
    for (username, role) in [
        ("lijing", "supervisor"),
        ("zhangwei", "handler"),
        ("liuyang", "admin"),
    ] {
        let answer = app.login(username, duyan::demo::PASSWORD).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
        assert_eq!(answer.json()["user"]["roles"], json!([role]));
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn a_user_created_elsewhere_can_use_the_api_right_after_signing_in(pool: PgPool) {
    let app = test_app(pool, AuthConfig::default()).await;
    // Created as another process would, without this process's directory hearing of it.
    users::create_user(
        &app.pool,
        &NewUser {
            username: "fresh".into(),
            display_name: "新用户".into(),
            roles: vec![Role::Viewer],
            unit: None,
            password_hash: hash_blocking(PASSWORD).unwrap(),
            must_change_password: false,
        },
    )
    .await
    .unwrap();
    assert!(
        app.state
            .directory
            .current()
            .user_by_username("fresh")
            .is_none()
    );
    let (access, _) = app.signed_in("fresh").await;
    assert_eq!(app.me(&access).await.status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn concurrent_sign_ins_with_the_right_password_all_get_in(pool: PgPool) {
    let config = AuthConfig {
        limits: LoginLimits {
            per_username: 3,
            per_address: 100,
            ..LoginLimits::default()
        },
        ..AuthConfig::default()
    };
    let app = test_app(pool, config).await;
    app.add_user("lijing", &[Role::Supervisor]).await;
    // Twice the limit at once: a right password is never a failure, so none is refused.
    let answers = futures_util::future::join_all(
        (0..6u8).map(|n| app.login_from("lijing", PASSWORD, address(n))),
    )
    .await;
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::OK);
    }
    // Concurrent wrong guesses still get the limit of tries and no more.
    let guesses = futures_util::future::join_all(
        (0..6u8).map(|n| app.login_from("lijing", "guess", address(n))),
    )
    .await;
    let refused = guesses
        .iter()
        .filter(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(refused, 3, "three tries, then 429");
}

#[sqlx::test(migrations = "./migrations")]
async fn many_concurrent_right_sign_ins_from_one_place_all_get_in_at_the_default_limits(
    pool: PgPool,
) {
    let app = test_app(pool, AuthConfig::default()).await;
    app.add_user("lijing", &[Role::Supervisor]).await;
    // Twelve devices behind one office address, at once: more than the 5 failures a username
    // may have, fewer than the address's 20.
    let answers = futures_util::future::join_all(
        (0..12).map(|_| app.login_from("lijing", PASSWORD, address(7))),
    )
    .await;
    let statuses: Vec<StatusCode> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, vec![StatusCode::OK; 12]);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_right_password_waits_for_slow_sign_ins_in_flight_instead_of_being_refused(pool: PgPool) {
    let app = test_app(pool.clone(), AuthConfig::default()).await;
    app.add_user("lijing", &[Role::Supervisor]).await;
    // Five sign-ins of lijing in flight through another process on the database, and slow:
    // the username is at its limit only through attempts still being checked.
    let elsewhere = LoginLimiter::new(LoginLimits::default());
    let mut held = Vec::new();
    for n in 0..5 {
        let attempt = elsewhere
            .begin(&pool, "lijing", address(n).ip())
            .await
            .unwrap();
        held.push(attempt.expect("admitted"));
    }
    // The sixth, with the right password, waits for them however long they take (here 12 s,
    // longer than the 10 s after which it used to be refused) and then gets in.
    let settle = async {
        tokio::time::sleep(Duration::from_secs(12)).await;
        for attempt in held {
            elsewhere.succeeded("lijing", attempt).await.unwrap();
        }
    };
    let (answer, ()) = tokio::join!(app.login_from("lijing", PASSWORD, address(9)), settle);
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

#[sqlx::test(migrations = "./migrations")]
async fn a_username_locked_out_through_one_process_is_locked_out_in_another(pool: PgPool) {
    let config = || AuthConfig {
        limits: LoginLimits {
            per_username: 3,
            per_address: 100,
            ..LoginLimits::default()
        },
        ..AuthConfig::default()
    };
    // Two apps on one database are two server processes.
    let first = test_app(pool.clone(), config()).await;
    let second = test_app(pool, config()).await;
    first.add_user("wangqiang", &[Role::Leader]).await;
    for n in 0..3 {
        first
            .login_from("wangqiang", "guess", address(n))
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    second
        .login_from("wangqiang", PASSWORD, address(9))
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
}
