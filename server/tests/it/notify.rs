//! Notifications on real PostgreSQL: events of reviewed changes reach their addressees' inboxes
//! (`/api/inbox`) and nobody else's, reminders are produced once per item and occasion with a
//! clock the test sets, and the admin routes of channels are for admins only.

use automerge::AutoCommit;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use duyan::access::View;
use duyan::notify::{self, EventKind, reminders};
use duyan::projection::project_with;
use duyan_shared::DocumentId;
use duyan_shared::records::{DubanItem, Record, Urge, UrgeLevel};
use duyan_shared::samples::shanghai;
use duyan_shared::time::Timestamp;
use serde_json::{Value, json};
use sqlx::PgPool;
use tower::ServiceExt;

use crate::common::{Caller, TestApp, item, test_app};

/// Changes a stored record as `actor` and projects it with the events of the change, as the
/// document task does after reviewing a message.
pub(crate) async fn change_as(
    app: &TestApp,
    id: DocumentId,
    doc: &mut AutoCommit,
    owner: &str,
    actor: &str,
    edit: impl FnOnce(&mut DubanItem),
) {
    let before = Record::from_doc(&*doc).unwrap();
    let heads = doc.get_heads();
    let Record::Duban(mut after) = before.clone() else {
        panic!("not a 督办事项");
    };
    edit(&mut after);
    let after = Record::Duban(after);
    after.write_to(doc).unwrap();
    duyan::storage::DocStore::append(&app.store, id, doc.save_after(&heads))
        .await
        .unwrap();
    let events = notify::events::derive(Some(&before), &after, actor);
    let view = View::of(doc.document(), Some(owner.into()));
    project_with(&app.pool, id, &view, &events, &[])
        .await
        .unwrap();
}

pub(crate) fn urge(id: &str, by: &str, message: &str) -> Urge {
    Urge {
        id: id.into(),
        at: shanghai(2026, 11, 5, 9, 0),
        by: by.into(),
        withdrawn: None,
        level: UrgeLevel::Urge,
        message: message.into(),
    }
}

pub(crate) async fn call(
    app: &TestApp,
    caller: Option<&Caller>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(caller) = caller {
        request = request.header(header::AUTHORIZATION, format!("Bearer {}", caller.token));
    }
    let body = match body {
        Some(body) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    let response = app
        .router
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
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

#[sqlx::test(migrations = "./migrations")]
async fn the_addressee_sees_the_urge_and_nobody_else_does(pool: PgPool) {
    let app = test_app(pool).await;
    let li = app
        .user(
            "li",
            &[duyan_shared::rules::Role::Supervisor],
            Some("office"),
        )
        .await;
    // zhang is named on the item only: his unit is not the item's.
    let zhang = app
        .user(
            "zhang",
            &[duyan_shared::rules::Role::Handler],
            Some("office"),
        )
        .await;
    let other = app
        .user("other", &[duyan_shared::rules::Role::Handler], Some("chem"))
        .await;
    let plant = app
        .user(
            "plant",
            &[duyan_shared::rules::Role::Viewer],
            Some("plant-1"),
        )
        .await;
    let (id, mut doc) = app
        .put(item("阀井污水整改", "plant-1", &zhang.id, &li.id), &li.id)
        .await;

    change_as(&app, id, &mut doc, &li.id, &li.id, |item| {
        item.urges.push(urge("u-1", &li.id, "请本周内反馈"));
    })
    .await;

    let (status, body) = call(&app, Some(&zhang), "GET", "/api/inbox", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{body}");
    assert_eq!(items[0]["kind"], "urged");
    assert_eq!(items[0]["record_id"], id.to_string());
    assert_eq!(items[0]["title"], "阀井污水整改");
    assert_eq!(items[0]["text"], "li催办（催办）：请本周内反馈");
    assert_eq!(items[0]["read"], false);
    assert_eq!(body["unread"], 1);

    // Not the author, not a user of another unit, not even a reader of the item's unit: the
    // urge is addressed to its handlers.
    for caller in [&li, &other, &plant] {
        let (status, body) = call(&app, Some(caller), "GET", "/api/inbox", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["items"], json!([]), "{body}");
    }
    // Reading someone else's entry is a 404, as for one that does not exist.
    let entry = items[0]["id"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &app,
        Some(&other),
        "POST",
        &format!("/api/inbox/{entry}/read"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&app, Some(&zhang), "POST", "/api/inbox/999999/read", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The same change reviewed again (another process, a retry) adds nothing.
    let current = Record::from_doc(&doc).unwrap();
    let Record::Duban(mut earlier) = current.clone() else {
        panic!("not a 督办事项");
    };
    earlier.urges.clear();
    let events = notify::events::derive(Some(&Record::Duban(earlier)), &current, &li.id);
    assert_eq!(events.len(), 1);
    assert!(events.iter().any(|e| e.kind == EventKind::Urged));
    let view = View::of(doc.document(), Some(li.id.as_str().into()));
    project_with(&app.pool, id, &view, &events, &[])
        .await
        .unwrap();
    let (_, body) = call(&app, Some(&zhang), "GET", "/api/inbox", None).await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1, "{body}");

    // Read state is the server's: it shows on every device.
    let (status, _) = call(
        &app,
        Some(&zhang),
        "POST",
        &format!("/api/inbox/{entry}/read"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, body) = call(&app, Some(&zhang), "GET", "/api/inbox", None).await;
    assert_eq!(body["items"][0]["read"], true);
    assert_eq!(body["unread"], 0);

    // Taken off the item, zhang may no longer read it: its entries are gone.
    change_as(&app, id, &mut doc, &li.id, &li.id, |item| {
        item.handlers = vec![other.id.clone()];
        item.urges.push(urge("u-2", &li.id, "改由孙强办理"));
    })
    .await;
    let (_, body) = call(&app, Some(&zhang), "GET", "/api/inbox", None).await;
    assert_eq!(body["items"], json!([]), "{body}");
    assert_eq!(body["unread"], 0);
    let (status, _) = call(
        &app,
        Some(&zhang),
        "POST",
        &format!("/api/inbox/{entry}/read"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The new handler has the new urge, and only that one.
    let (_, body) = call(&app, Some(&other), "GET", "/api/inbox", None).await;
    let texts: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["li催办（催办）：改由孙强办理"]);
    let (status, _) = call(&app, Some(&other), "POST", "/api/inbox/read-all", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, body) = call(&app, Some(&other), "GET", "/api/inbox", None).await;
    assert_eq!(body["unread"], 0);
}

#[sqlx::test(migrations = "./migrations")]
async fn inbox_pages_and_refuses_callers_without_a_token(pool: PgPool) {
    let app = test_app(pool).await;
    let li = app
        .user(
            "li",
            &[duyan_shared::rules::Role::Supervisor],
            Some("office"),
        )
        .await;
    let zhang = app
        .user(
            "zhang",
            &[duyan_shared::rules::Role::Handler],
            Some("plant-1"),
        )
        .await;
    let (id, mut doc) = app
        .put(item("清运固废", "plant-1", &zhang.id, &li.id), &li.id)
        .await;
    for n in 0..5 {
        change_as(&app, id, &mut doc, &li.id, &li.id, |item| {
            item.urges
                .push(urge(&format!("u-{n}"), &li.id, &format!("第{n}次催办")));
        })
        .await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/inbox?limit=2".to_owned();
    loop {
        let (status, body) = call(&app, Some(&zhang), "GET", &path, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        for item in body["items"].as_array().unwrap() {
            seen.push(item["text"].as_str().unwrap().to_owned());
        }
        match body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/inbox?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    // Newest first, each once.
    let expected: Vec<String> = (0..5)
        .rev()
        .map(|n| format!("li催办（催办）：第{n}次催办"))
        .collect();
    assert_eq!(seen, expected);

    for (method, path) in [
        ("GET", "/api/inbox"),
        ("POST", "/api/inbox/1/read"),
        ("POST", "/api/inbox/read-all"),
        ("GET", "/api/admin/channels"),
        ("POST", "/api/admin/channels"),
        ("DELETE", "/api/admin/channels/1"),
        ("GET", "/api/admin/channels/1/deliveries"),
    ] {
        let (status, _) = call(&app, None, method, path, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    let (status, _) = call(&app, Some(&zhang), "GET", "/api/inbox?limit=0", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(&app, Some(&zhang), "GET", "/api/inbox?cursor=junk", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[sqlx::test(migrations = "./migrations")]
async fn channels_are_for_admins_and_private_targets_are_refused_unless_allowed(pool: PgPool) {
    let mut app = test_app(pool).await;
    let admin = app
        .user("root", &[duyan_shared::rules::Role::Admin], None)
        .await;
    let li = app
        .user(
            "li",
            &[duyan_shared::rules::Role::Supervisor],
            Some("office"),
        )
        .await;
    let channel = json!({
        "kind": "wecom", "name": "办公室群", "url": "http://127.0.0.1:9/cgi-bin/webhook/send?key=k",
        "units": ["plant-1"], "events": ["urged"]
    });
    for (method, path, body) in [
        ("GET", "/api/admin/channels", None),
        ("POST", "/api/admin/channels", Some(channel.clone())),
        ("DELETE", "/api/admin/channels/1", None),
        ("GET", "/api/admin/channels/1/deliveries", None),
    ] {
        let (status, _) = call(&app, Some(&li), method, path, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
    }
    let (status, created) = call(
        &app,
        Some(&admin),
        "POST",
        "/api/admin/channels",
        Some(channel.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    // The robot's key (in the query) and the secret are never answered.
    assert_eq!(created["url"], "http://127.0.0.1:9/cgi-bin/webhook/send");
    let (_, list) = call(&app, Some(&admin), "GET", "/api/admin/channels", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains("key=k"));
    for bad in [
        json!({"kind": "sms", "name": "x", "url": "https://example.com/"}),
        json!({"kind": "webhook", "name": "", "url": "https://example.com/"}),
        json!({"kind": "webhook", "name": "x", "url": "ftp://example.com/"}),
        json!({"kind": "webhook", "name": "x", "url": "https://example.com/", "events": ["nope"]}),
    ] {
        let (status, body) = call(
            &app,
            Some(&admin),
            "POST",
            "/api/admin/channels",
            Some(bad.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad} {body}");
    }
    let id = created["id"].as_str().unwrap();
    let (status, _) = call(
        &app,
        Some(&admin),
        "DELETE",
        &format!("/api/admin/channels/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(
        &app,
        Some(&admin),
        "DELETE",
        &format!("/api/admin/channels/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Without DUYAN_NOTIFY_ALLOW_PRIVATE, loopback and private targets are refused.
    app.state.notify.allow_private = false;
    let router = duyan::app::app(app.state.clone());
    app.router = router;
    let (status, body) = call(
        &app,
        Some(&admin),
        "POST",
        "/api/admin/channels",
        Some(channel),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "private_target");
}

#[sqlx::test(migrations = "./migrations")]
async fn reminders_are_produced_once_per_item_and_occasion(pool: PgPool) {
    let app = test_app(pool).await;
    let li = app
        .user(
            "li",
            &[duyan_shared::rules::Role::Supervisor],
            Some("office"),
        )
        .await;
    let zhang = app
        .user(
            "zhang",
            &[duyan_shared::rules::Role::Handler],
            Some("plant-1"),
        )
        .await;
    let assigned = shanghai(2026, 11, 2, 9, 0);
    let record = DubanItem {
        assigned_at: Some(assigned),
        deadline: Some(shanghai(2026, 11, 5, 17, 0)),
        progress: vec![],
        ..item("24小时复命测试", "plant-1", &zhang.id, &li.id)
    };
    let (id, _) = app.put(record, &li.id).await;
    let at = |h: i64| Timestamp::from_millis(assigned.millis() + h * 3_600_000).unwrap();

    // Assigned 11-02 09:00: nothing due at 10:00 (the deadline is 3 days and 8 hours away:
    // 11-05 is three calendar days after 11-02).
    let kinds = |app: &TestApp| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar!("select kind from notify_events order by id")
                .fetch_all(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(reminders::run_once(&app.pool, at(1)).await.unwrap(), 1);
    assert_eq!(kinds(&app).await, ["reminder_deadline_soon"]);
    // 21 hours after assignment, the first response is due within 4 hours.
    assert_eq!(reminders::run_once(&app.pool, at(21)).await.unwrap(), 1);
    // Run again, and by two "processes" at once: nothing new.
    let (a, b) = tokio::join!(
        reminders::run_once(&app.pool, at(22)),
        reminders::run_once(&app.pool, at(22))
    );
    assert_eq!(a.unwrap() + b.unwrap(), 0);
    // Overdue after 24 hours; the deadline day; past the deadline. Each once, concurrently.
    for hours in [25, 72, 81] {
        let (a, b) = tokio::join!(
            reminders::run_once(&app.pool, at(hours)),
            reminders::run_once(&app.pool, at(hours))
        );
        assert_eq!(a.unwrap() + b.unwrap(), 1, "at +{hours}h");
    }
    assert_eq!(
        kinds(&app).await,
        [
            "reminder_deadline_soon",
            "reminder_response_due",
            "reminder_response_overdue",
            "reminder_deadline_today",
            "reminder_deadline_overdue",
        ]
    );
    // They are in the handler's inbox, about the item.
    let (_, body) = call(&app, Some(&zhang), "GET", "/api/inbox", None).await;
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 5, "{body}");
    assert!(items.iter().all(|i| i["record_id"] == id.to_string()));
    assert_eq!(items[1]["text"], "今日到期（17:00）");
}

/// The added cost of a reviewed change: deriving its events from the record before and after.
/// `cargo test --release -p duyan --test it bench_derive -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_derive() {
    let mut before = duyan_shared::samples::duban_item();
    for n in 0..220 {
        before.progress.push(duyan_shared::samples::progress(
            &format!("p{n}"),
            shanghai(2026, 11, 3, 9, 0),
        ));
    }
    for n in 0..20 {
        before.urges.push(urge(&format!("u{n}"), "u-li", "请反馈"));
    }
    let mut after = before.clone();
    after.urges.push(urge("u-new", "u-li", "请本周内反馈"));
    let (before, after) = (Record::Duban(before), Record::Duban(after));
    let rounds = 10_000;
    let started = std::time::Instant::now();
    let mut events = 0;
    for _ in 0..rounds {
        events += notify::events::derive(Some(&before), &after, "u-li").len();
    }
    let each = started.elapsed() / rounds;
    assert_eq!(events, rounds as usize);
    println!("derive on a record with 220 progress entries and 20 urges: {each:?} per change");
}
