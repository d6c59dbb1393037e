//! `GET /api/directory`: units and users for the web app's names and pickers, with an `ETag`
//! for cheap revalidation; through the real router on real PostgreSQL.

use crate::common::{Caller, TestApp, test_app};
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use duyan::users::{self, UnitRow};
use duyan_shared::rules::Role;
use serde_json::Value;
use sqlx::PgPool;
use tower::ServiceExt;

/// What came back.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    #[track_caller]
    fn etag(&self) -> String {
        self.headers[header::ETAG].to_str().unwrap().to_owned()
    }
}

/// `GET /api/directory` with an optional token and `If-None-Match`.
async fn get(app: &TestApp, caller: Option<&Caller>, if_none_match: Option<&str>) -> Answer {
    let mut request = Request::builder().uri("/api/directory");
    if let Some(caller) = caller {
        request = request.header(header::AUTHORIZATION, format!("Bearer {}", caller.token));
    }
    if let Some(tag) = if_none_match {
        request = request.header(header::IF_NONE_MATCH, tag);
    }
    let response = app
        .router
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

#[track_caller]
fn user<'a>(body: &'a Value, username: &str) -> &'a Value {
    body["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap_or_else(|| panic!("{username} not listed: {body}"))
}

#[sqlx::test(migrations = "./migrations")]
async fn lists_units_and_users_without_secrets(pool: PgPool) {
    let app = test_app(pool).await;
    let viewer = app.user("wangfang", &[Role::Viewer], Some("plant-1")).await;
    let lead = app
        .user("lijing", &[Role::Supervisor, Role::Researcher], None)
        .await;
    users::set_disabled(&app.pool, "lijing", true)
        .await
        .unwrap();
    app.state.directory.refresh().await.unwrap();

    // Any signed-in user may read it, a viewer included.
    let answer = get(&app, Some(&viewer), None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(answer.headers[header::CACHE_CONTROL], "private, no-cache");
    let body = answer.json();

    let units = body["units"].as_array().unwrap();
    let ids: Vec<&str> = units.iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["chem", "office", "plant-1", "plant-2", "refinery"]);
    let plant = &units[2];
    assert_eq!(plant["name"], "一号厂区");
    assert_eq!(plant["parent"], "refinery");
    assert!(units[4]["parent"].is_null());

    let wang = user(&body, "wangfang");
    assert_eq!(wang["id"], viewer.id.as_str());
    assert_eq!(wang["display_name"], "wangfang");
    assert_eq!(wang["roles"], serde_json::json!(["viewer"]));
    assert_eq!(wang["unit"], "plant-1");
    assert_eq!(wang["disabled"], false);
    let li = user(&body, "lijing");
    assert_eq!(li["id"], lead.id.as_str());
    assert_eq!(li["roles"], serde_json::json!(["researcher", "supervisor"]));
    assert!(li["unit"].is_null());
    assert_eq!(li["disabled"], true);
    // The server's own user names the changes it makes, so the timeline can show it.
    assert_eq!(user(&body, "system")["id"], "system");

    // Exactly these fields: nothing from the accounts table beyond them.
    for listed in body["users"].as_array().unwrap() {
        let mut keys: Vec<&str> = listed.as_object().unwrap().keys().map(|k| &**k).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "disabled",
                "display_name",
                "id",
                "roles",
                "unit",
                "username"
            ]
        );
    }
    let text = String::from_utf8(answer.body).unwrap();
    assert!(!text.contains("hash"), "{text}");
}

#[sqlx::test(migrations = "./migrations")]
async fn revalidates_with_the_etag_until_the_directory_changes(pool: PgPool) {
    let app = test_app(pool).await;
    let caller = app
        .user("zhangwei", &[Role::Handler], Some("plant-2"))
        .await;
    let first = get(&app, Some(&caller), None).await;
    assert_eq!(first.status, StatusCode::OK);
    let tag = first.etag();
    // Weak: the compressed and plain bytes share it.
    let strong = tag.strip_prefix("W/").unwrap();

    // The same tag, weak or not, alone or among others: 304 with no body and the same tag.
    for header in [
        tag.clone(),
        strong.to_owned(),
        format!("\"other\", {tag}"),
        "*".to_owned(),
    ] {
        let again = get(&app, Some(&caller), Some(&header)).await;
        assert_eq!(
            again.status,
            StatusCode::NOT_MODIFIED,
            "If-None-Match: {header}"
        );
        assert!(again.body.is_empty());
        assert_eq!(again.etag(), tag);
        assert_eq!(again.headers[header::CACHE_CONTROL], "private, no-cache");
    }
    let other = get(&app, Some(&caller), Some("W/\"directory-0\"")).await;
    assert_eq!(other.status, StatusCode::OK);

    // A new unit changes the directory: the old tag gets the whole answer and a new tag.
    users::create_unit(
        &app.pool,
        &UnitRow {
            id: "plant-3".into(),
            name: "三号厂区".into(),
            parent_id: Some("refinery".into()),
        },
    )
    .await
    .unwrap();
    app.state.directory.refresh().await.unwrap();
    let changed = get(&app, Some(&caller), Some(&tag)).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_ne!(changed.etag(), tag);
    let units = changed.json()["units"].as_array().unwrap().clone();
    assert!(units.iter().any(|u| u["name"] == "三号厂区"), "{units:?}");
}

#[sqlx::test(migrations = "./migrations")]
async fn needs_a_signed_in_user(pool: PgPool) {
    let app = test_app(pool).await;
    let nobody = get(&app, None, None).await;
    assert_eq!(nobody.status, StatusCode::UNAUTHORIZED);
    assert_eq!(nobody.json()["error"]["code"], "unauthorized");
    assert!(nobody.headers.get(header::ETAG).is_none());

    let forged = Caller {
        id: "x".into(),
        token: "not a token".into(),
    };
    let tag = "\"directory-1\"";
    let answer = get(&app, Some(&forged), Some(tag)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "./migrations")]
async fn is_compressed_when_asked(pool: PgPool) {
    let app = test_app(pool).await;
    let caller = app.user("zhangwei", &[Role::Handler], None).await;
    let request = Request::builder()
        .uri("/api/directory")
        .header(header::AUTHORIZATION, format!("Bearer {}", caller.token))
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
    assert!(response.headers().contains_key(header::ETAG));
}
