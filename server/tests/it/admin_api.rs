//! `/api/admin/users`, `/api/admin/units` and the one-time password gate, on real PostgreSQL
//! through the real router.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use duyan::auth::AuthConfig;
use duyan_shared::rules::Role;
use serde_json::{Value, json};
use sqlx::PgPool;
use tower::ServiceExt;

use crate::common::{TestApp, test_app};

/// Every admin route, with a body each would accept from an admin.
fn admin_routes(user: &str) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, "/api/admin/users".into(), None),
        (
            Method::POST,
            "/api/admin/users".into(),
            Some(
                json!({"username": "x1", "display_name": "某人", "roles": ["viewer"], "unit": null}),
            ),
        ),
        (
            Method::PATCH,
            format!("/api/admin/users/{user}"),
            Some(json!({"display_name": "改名"})),
        ),
        (Method::POST, format!("/api/admin/users/{user}/reset"), None),
        (
            Method::POST,
            format!("/api/admin/users/{user}/disable"),
            None,
        ),
        (
            Method::POST,
            format!("/api/admin/users/{user}/enable"),
            None,
        ),
        (Method::GET, "/api/admin/units".into(), None),
        (
            Method::POST,
            "/api/admin/units".into(),
            Some(json!({"id": "new-unit", "name": "新单位", "parent": null})),
        ),
        (
            Method::PATCH,
            "/api/admin/units/plant-1".into(),
            Some(json!({"name": "改名"})),
        ),
    ]
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
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
    request.extensions_mut().insert(ConnectInfo(SocketAddr::new(
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)),
        40_000,
    )));
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, value)
}

#[track_caller]
fn assert_code(answer: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["error"]["code"], code, "{}", answer.1);
}

async fn login(app: &TestApp, username: &str, password: &str) -> (StatusCode, Value) {
    call(
        app,
        Method::POST,
        "/api/auth/login",
        None,
        Some(json!({"username": username, "password": password})),
    )
    .await
}

/// Signs in; returns the access token, the refresh token and the user.
async fn signed_in(app: &TestApp, username: &str, password: &str) -> (String, String, Value) {
    let (status, body) = login(app, username, password).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
        body["user"].clone(),
    )
}

#[sqlx::test(migrations = "./migrations")]
async fn every_admin_route_refuses_everyone_but_admins(pool: PgPool) {
    let app = test_app(pool).await;
    let target = app.user("target", &[Role::Handler], Some("plant-1")).await;
    for role in [
        Role::Leader,
        Role::Supervisor,
        Role::Handler,
        Role::Researcher,
        Role::Viewer,
    ] {
        let caller = app
            .user(&format!("not-admin-{role}"), &[role], Some("refinery"))
            .await;
        for (method, path, body) in admin_routes(&target.id) {
            let answer = call(&app, method.clone(), &path, Some(&caller.token), body).await;
            assert_code(&answer, StatusCode::FORBIDDEN, "forbidden");
        }
    }
    // Nothing was written: no user x1, no unit new-unit, no rename, target still enabled.
    let anon = call(&app, Method::GET, "/api/admin/users", None, None).await;
    assert_code(&anon, StatusCode::UNAUTHORIZED, "unauthorized");
    let admin = app.user("boss", &[Role::Admin], None).await;
    let (_, users) = call(
        &app,
        Method::GET,
        "/api/admin/users",
        Some(&admin.token),
        None,
    )
    .await;
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(
        !names.contains(&"x1") && !names.contains(&"system"),
        "{names:?}"
    );
    let target_row = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == target.id.as_str())
        .unwrap();
    assert_eq!(target_row["display_name"], "target");
    assert_eq!(target_row["disabled"], false);
    let (_, units) = call(
        &app,
        Method::GET,
        "/api/admin/units",
        Some(&admin.token),
        None,
    )
    .await;
    assert!(
        units
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["id"] != "new-unit" && u["name"] != "改名"),
        "{units}"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn admins_create_change_reset_disable_and_enable_users(pool: PgPool) {
    let app = test_app(pool).await;
    let admin = app.user("boss", &[Role::Admin], Some("office")).await;
    let token = Some(admin.token.as_str());

    let created = call(
        &app,
        Method::POST,
        "/api/admin/users",
        token,
        Some(json!({"username": " WangFang ", "display_name": "王芳", "roles": ["handler", "Researcher"], "unit": "plant-1"})),
    )
    .await;
    assert_eq!(created.0, StatusCode::CREATED, "{}", created.1);
    let user = &created.1["user"];
    let id = user["id"].as_str().unwrap().to_owned();
    assert_eq!(user["username"], "wangfang");
    assert_eq!(user["roles"], json!(["handler", "researcher"]));
    assert_eq!(user["unit"], "plant-1");
    assert_eq!(user["must_change_password"], true);
    let one_time = created.1["one_time_password"].as_str().unwrap().to_owned();
    assert_eq!(one_time.chars().count(), 12);
    // The directory knows the new user at once, with /api/directory's field names.
    let directory = app.state.directory.current();
    assert_eq!(directory.user(&id).unwrap().display_name, "王芳");

    // The CLI's rules: taken username, unknown role, no role, unknown unit, bad names.
    for (body, status, code) in [
        (
            json!({"username": "wangfang", "display_name": "x", "roles": ["viewer"]}),
            StatusCode::CONFLICT,
            "username_taken",
        ),
        (
            json!({"username": "a", "display_name": "x", "roles": ["boss"]}),
            StatusCode::BAD_REQUEST,
            "invalid_roles",
        ),
        (
            json!({"username": "a", "display_name": "x", "roles": []}),
            StatusCode::BAD_REQUEST,
            "invalid_roles",
        ),
        (
            json!({"username": "a", "display_name": "x", "roles": ["viewer"], "unit": "nowhere"}),
            StatusCode::BAD_REQUEST,
            "unknown_unit",
        ),
        (
            json!({"username": "a b", "display_name": "x", "roles": ["viewer"]}),
            StatusCode::BAD_REQUEST,
            "invalid_username",
        ),
        (
            json!({"username": "system", "display_name": "x", "roles": ["viewer"]}),
            StatusCode::BAD_REQUEST,
            "invalid_username",
        ),
        (
            json!({"username": "a", "display_name": " ", "roles": ["viewer"]}),
            StatusCode::BAD_REQUEST,
            "invalid_display_name",
        ),
        (
            json!({"username": "a", "display_name": "x".repeat(101), "roles": ["viewer"]}),
            StatusCode::BAD_REQUEST,
            "invalid_display_name",
        ),
        (
            json!({"username": "a", "display_name": "x", "roles": ["viewer"], "password": "mine"}),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
    ] {
        let answer = call(&app, Method::POST, "/api/admin/users", token, Some(body)).await;
        assert_code(&answer, status, code);
    }

    // Patch: display name, roles, unit; then out of every unit with null.
    let patched = call(
        &app,
        Method::PATCH,
        &format!("/api/admin/users/{id}"),
        token,
        Some(json!({"display_name": "王芳芳", "roles": ["supervisor"], "unit": "chem"})),
    )
    .await;
    assert_eq!(patched.0, StatusCode::OK, "{}", patched.1);
    assert_eq!(patched.1["display_name"], "王芳芳");
    assert_eq!(patched.1["roles"], json!(["supervisor"]));
    assert_eq!(patched.1["unit"], "chem");
    let user_now = app.state.directory.current().user(&id).unwrap().clone();
    assert_eq!(user_now.roles, vec![Role::Supervisor]);
    let out = call(
        &app,
        Method::PATCH,
        &format!("/api/admin/users/{id}"),
        token,
        Some(json!({"unit": null})),
    )
    .await;
    assert_eq!(out.1["unit"], Value::Null, "{}", out.1);
    assert_eq!(out.1["display_name"], "王芳芳", "absent fields stay");
    let bad = call(
        &app,
        Method::PATCH,
        &format!("/api/admin/users/{id}"),
        token,
        Some(json!({"unit": "nowhere"})),
    )
    .await;
    assert_code(&bad, StatusCode::BAD_REQUEST, "unknown_unit");
    for missing in ["/api/admin/users/no-such-id", "/api/admin/users/system"] {
        let answer = call(
            &app,
            Method::PATCH,
            missing,
            token,
            Some(json!({"display_name": "x"})),
        )
        .await;
        assert_code(&answer, StatusCode::NOT_FOUND, "not_found");
        let answer = call(&app, Method::POST, &format!("{missing}/reset"), token, None).await;
        assert_code(&answer, StatusCode::NOT_FOUND, "not_found");
        let answer = call(
            &app,
            Method::POST,
            &format!("{missing}/disable"),
            token,
            None,
        )
        .await;
        assert_code(&answer, StatusCode::NOT_FOUND, "not_found");
    }

    // An admin cannot lock themselves out.
    let answer = call(
        &app,
        Method::POST,
        &format!("/api/admin/users/{}/disable", admin.id),
        token,
        None,
    )
    .await;
    assert_code(&answer, StatusCode::CONFLICT, "cannot_disable_self");
    let answer = call(
        &app,
        Method::PATCH,
        &format!("/api/admin/users/{}", admin.id),
        token,
        Some(json!({"roles": ["viewer"]})),
    )
    .await;
    assert_code(&answer, StatusCode::CONFLICT, "cannot_demote_self");

    // The user signs in with the one-time password, sets their own, and works.
    let (access, refresh, me) = signed_in(&app, "wangfang", &one_time).await;
    assert_eq!(me["must_change_password"], true);
    let changed = call(
        &app,
        Method::POST,
        "/api/me/password",
        Some(&access),
        Some(json!({"current": one_time, "new": "督办 2026 春"})),
    )
    .await;
    assert_eq!(changed.0, StatusCode::NO_CONTENT, "{}", changed.1);
    let ok = call(&app, Method::GET, "/api/directory", Some(&access), None).await;
    assert_eq!(ok.0, StatusCode::OK);

    // Reset: a new one-time password, the old sessions end, the old password is gone.
    let reset = call(
        &app,
        Method::POST,
        &format!("/api/admin/users/{id}/reset"),
        token,
        None,
    )
    .await;
    assert_eq!(reset.0, StatusCode::OK, "{}", reset.1);
    assert_eq!(reset.1["user"]["must_change_password"], true);
    let second = reset.1["one_time_password"].as_str().unwrap().to_owned();
    assert_ne!(second, one_time);
    let ended = call(&app, Method::GET, "/api/me", Some(&access), None).await;
    assert_code(&ended, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_code(
        &login(&app, "wangfang", "督办 2026 春").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    let refreshed = call(
        &app,
        Method::POST,
        "/api/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await;
    assert_eq!(refreshed.0, StatusCode::UNAUTHORIZED);
    let (access, refresh, _) = signed_in(&app, "wangfang", &second).await;
    let changed = call(
        &app,
        Method::POST,
        "/api/me/password",
        Some(&access),
        Some(json!({"current": second, "new": "another pass 9"})),
    )
    .await;
    assert_eq!(changed.0, StatusCode::NO_CONTENT, "{}", changed.1);

    // Disable: the next call of their session is 401 at once, the refresh token is refused,
    // sign-in says disabled. Enable: they sign in again.
    let disabled = call(
        &app,
        Method::POST,
        &format!("/api/admin/users/{id}/disable"),
        token,
        None,
    )
    .await;
    assert_eq!(disabled.0, StatusCode::OK, "{}", disabled.1);
    assert_eq!(disabled.1["disabled"], true);
    let next = call(&app, Method::GET, "/api/records", Some(&access), None).await;
    assert_code(&next, StatusCode::UNAUTHORIZED, "unauthorized");
    let next = call(&app, Method::GET, "/api/me", Some(&access), None).await;
    assert_code(&next, StatusCode::UNAUTHORIZED, "unauthorized");
    let refreshed = call(
        &app,
        Method::POST,
        "/api/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await;
    assert_eq!(refreshed.0, StatusCode::UNAUTHORIZED, "{}", refreshed.1);
    let open: i64 = sqlx::query_scalar(
        "select count(*) from sessions where user_id = $1 and revoked_at is null",
    )
    .bind(&id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(open, 0);
    assert_code(
        &login(&app, "wangfang", "another pass 9").await,
        StatusCode::FORBIDDEN,
        "account_disabled",
    );
    let enabled = call(
        &app,
        Method::POST,
        &format!("/api/admin/users/{id}/enable"),
        token,
        None,
    )
    .await;
    assert_eq!(enabled.1["disabled"], false, "{}", enabled.1);
    let (access, _, _) = signed_in(&app, "wangfang", "another pass 9").await;
    assert_eq!(
        call(&app, Method::GET, "/api/records", Some(&access), None)
            .await
            .0,
        StatusCode::OK
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn units_are_added_renamed_and_moved_but_never_into_a_loop(pool: PgPool) {
    let app = test_app(pool).await;
    let admin = app.user("boss", &[Role::Admin], None).await;
    let token = Some(admin.token.as_str());
    let add = |id: &'static str, parent: Option<&'static str>| {
        call(
            &app,
            Method::POST,
            "/api/admin/units",
            token,
            Some(json!({"id": id, "name": format!("{id} 单位"), "parent": parent})),
        )
    };
    let created = add("workshop-a", Some("plant-1")).await;
    assert_eq!(created.0, StatusCode::CREATED, "{}", created.1);
    assert_eq!(
        created.1,
        json!({"id": "workshop-a", "name": "workshop-a 单位", "parent": "plant-1"})
    );
    assert_code(
        &add("workshop-a", None).await,
        StatusCode::CONFLICT,
        "unit_taken",
    );
    assert_code(
        &add("orphan", Some("nowhere")).await,
        StatusCode::BAD_REQUEST,
        "unknown_unit",
    );
    let blank = call(
        &app,
        Method::POST,
        "/api/admin/units",
        token,
        Some(json!({"id": " ", "name": "x"})),
    )
    .await;
    assert_code(&blank, StatusCode::BAD_REQUEST, "invalid_unit");
    assert!(
        app.state
            .directory
            .current()
            .unit_within("workshop-a", "refinery")
    );

    let patch = |id: &'static str, body: Value| {
        let app = &app;
        async move {
            let path = format!("/api/admin/units/{id}");
            call(app, Method::PATCH, &path, token, Some(body)).await
        }
    };
    // Rename.
    let renamed = patch("plant-1", json!({"name": "一号厂区（新）"})).await;
    assert_eq!(
        renamed.1,
        json!({"id": "plant-1", "name": "一号厂区（新）", "parent": "refinery"})
    );
    // Move a subtree: plant-1 (with workshop-a) under chem; the directory follows.
    let moved = patch("plant-1", json!({"parent": "chem"})).await;
    assert_eq!(moved.1["parent"], "chem", "{}", moved.1);
    assert_eq!(moved.1["name"], "一号厂区（新）");
    let directory = app.state.directory.current();
    assert!(directory.unit_within("workshop-a", "chem"));
    assert!(!directory.unit_within("workshop-a", "refinery"));
    // Loops: below itself, below its child, below its grandchild's descendant.
    for (id, parent) in [
        ("plant-1", "plant-1"),
        ("plant-1", "workshop-a"),
        ("chem", "workshop-a"),
    ] {
        let answer = patch(id, json!({"parent": parent})).await;
        assert_code(&answer, StatusCode::CONFLICT, "unit_cycle");
    }
    // To the top with null.
    let top = patch("plant-1", json!({"parent": null})).await;
    assert_eq!(top.1["parent"], Value::Null, "{}", top.1);
    assert_code(
        &patch("nowhere", json!({"name": "x"})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_code(
        &patch("plant-1", json!({"parent": "nowhere"})).await,
        StatusCode::BAD_REQUEST,
        "unknown_unit",
    );
    assert_code(
        &patch("plant-1", json!({"name": ""})).await,
        StatusCode::BAD_REQUEST,
        "invalid_unit",
    );
    let (_, units) = call(&app, Method::GET, "/api/admin/units", token, None).await;
    assert_eq!(units.as_array().unwrap().len(), 6, "{units}");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_one_time_password_must_be_changed_before_anything_else(pool: PgPool) {
    let app = test_app(pool).await;
    let admin = app.user("boss", &[Role::Admin], None).await;
    let created = call(
        &app,
        Method::POST,
        "/api/admin/users",
        Some(&admin.token),
        Some(json!({"username": "newbie", "display_name": "新人", "roles": ["admin"]})),
    )
    .await;
    let one_time = created.1["one_time_password"].as_str().unwrap().to_owned();
    let (access, refresh, user) = signed_in(&app, "newbie", &one_time).await;
    assert_eq!(user["must_change_password"], true);
    let id = user["id"].as_str().unwrap();

    // Refused everywhere else, admin routes included, with the code the app acts on.
    for (method, path) in [
        (Method::GET, "/api/records".to_owned()),
        (Method::GET, "/api/directory".to_owned()),
        (Method::GET, "/api/dashboard".to_owned()),
        (Method::GET, "/api/inbox".to_owned()),
        (Method::GET, "/api/admin/users".to_owned()),
        (Method::POST, format!("/api/admin/users/{id}/reset")),
        (Method::GET, "/sync?token=x".to_owned()),
    ] {
        let path = path.replace("token=x", &format!("token={access}"));
        let answer = call(&app, method, &path, Some(&access), None).await;
        assert_code(&answer, StatusCode::FORBIDDEN, "password_change_required");
    }
    // Allowed: who am I, refresh, change the password (rules first), sign out.
    let me = call(&app, Method::GET, "/api/me", Some(&access), None).await;
    assert_eq!(me.1["must_change_password"], true, "{}", me.1);
    let refreshed = call(
        &app,
        Method::POST,
        "/api/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await;
    assert_eq!(refreshed.0, StatusCode::OK, "{}", refreshed.1);
    assert_eq!(refreshed.1["user"]["must_change_password"], true);
    let change = |current: String, new: &'static str| {
        call(
            &app,
            Method::POST,
            "/api/me/password",
            Some(&access),
            Some(json!({"current": current, "new": new})),
        )
    };
    assert_code(
        &change("wrong".into(), "good pass 1").await,
        StatusCode::FORBIDDEN,
        "wrong_password",
    );
    for weak in ["short1", "onlyletters", "12345678", "newbie-2026"] {
        assert_code(
            &change(one_time.clone(), weak).await,
            StatusCode::BAD_REQUEST,
            "weak_password",
        );
    }
    assert_eq!(
        change(one_time.clone(), "good pass 1").await.0,
        StatusCode::NO_CONTENT
    );
    // The same session goes on, now ungated.
    let me = call(&app, Method::GET, "/api/me", Some(&access), None).await;
    assert_eq!(me.1["must_change_password"], false);
    assert_eq!(
        call(&app, Method::GET, "/api/records", Some(&access), None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        call(&app, Method::GET, "/api/admin/users", Some(&access), None)
            .await
            .0,
        StatusCode::OK
    );
    let out = call(&app, Method::POST, "/api/auth/logout", Some(&access), None).await;
    assert_eq!(out.0, StatusCode::NO_CONTENT);

    // Sign-out works while gated too.
    sqlx::query("update users set must_change_password = true where id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    app.state.directory.refresh().await.unwrap();
    let (access, _, _) = signed_in(&app, "newbie", "good pass 1").await;
    assert_code(
        &call(&app, Method::GET, "/api/records", Some(&access), None).await,
        StatusCode::FORBIDDEN,
        "password_change_required",
    );
    let out = call(&app, Method::POST, "/api/auth/logout", Some(&access), None).await;
    assert_eq!(out.0, StatusCode::NO_CONTENT, "{}", out.1);
    assert_code(
        &call(&app, Method::GET, "/api/me", Some(&access), None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn demo_users_are_exempt_only_under_demo(pool: PgPool) {
    duyan::demo::seed(&pool).await.unwrap();
    let plain = crate::common::app_state(pool.clone(), AuthConfig::default()).await;
    let plain = TestApp {
        router: duyan::app::app(plain.clone()),
        store: duyan::storage::postgres::PgStore::new(pool.clone()),
        state: plain,
        pool: pool.clone(),
    };
    let (access, _, user) = signed_in(&plain, "lijing", duyan::demo::PASSWORD).await;
    assert_eq!(user["must_change_password"], true);
    assert_code(
        &call(&plain, Method::GET, "/api/records", Some(&access), None).await,
        StatusCode::FORBIDDEN,
        "password_change_required",
    );

    let demo = crate::common::app_state(
        pool.clone(),
        AuthConfig {
            password_change_exempt: duyan::demo::usernames(),
            ..AuthConfig::default()
        },
    )
    .await;
    let demo = TestApp {
        router: duyan::app::app(demo.clone()),
        store: duyan::storage::postgres::PgStore::new(pool.clone()),
        state: demo,
        pool,
    };
    let (access, _, user) = signed_in(&demo, "lijing", duyan::demo::PASSWORD).await;
    assert_eq!(user["must_change_password"], false);
    assert_eq!(
        call(&demo, Method::GET, "/api/records", Some(&access), None)
            .await
            .0,
        StatusCode::OK
    );
}
