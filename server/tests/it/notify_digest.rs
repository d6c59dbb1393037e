//! The daily digest on real PostgreSQL, delivered by the real outbox to a real local HTTP
//! receiver standing in for a 企业微信 robot, with a clock the test sets: one message per
//! channel and day, at the channel's hour, listing its units' overdue, soon-due and urged
//! items, however many processes run the job.

use std::sync::Arc;

use duyan::notify::clock::{at_local, parse_hm};
use duyan::notify::outbox::{Outbox, OutboxConfig};
use duyan::notify::{self, digest};
use duyan_shared::records::DubanItem;
use duyan_shared::rules::Role;
use duyan_shared::time::Timestamp;
use serde_json::json;
use sqlx::PgPool;

use crate::common::{item, test_app};
use crate::notify::{call, change_as, urge};
use crate::receiver::Receiver;

#[sqlx::test(migrations = "./migrations")]
async fn the_digest_goes_out_once_per_channel_and_day_at_its_hour(pool: PgPool) {
    let app = test_app(pool).await;
    let admin = app.user("root", &[Role::Admin], None).await;
    let li = app.user("li", &[Role::Supervisor], Some("office")).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-1")).await;
    sqlx::query!(
        "insert into units (id, name) values ('plant-1', '二车间'), ('plant-9', '九号厂区')
         on conflict (id) do update set name = excluded.name"
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let rx = Receiver::start().await;

    // Tomorrow (Asia/Shanghai), so the channels exist before that day's hour.
    let day = notify::now().local_date().succ_opt().unwrap();
    let at = |hm: &str| at_local(day, parse_hm(hm).unwrap()).unwrap();
    let days = |n: i64| Timestamp::from_millis(at("08:30").millis() + n * 86_400_000).unwrap();

    let channel = |name: &str, extra: serde_json::Value| {
        let mut body = json!({
            "kind": "wecom", "name": name, "units": ["plant-1"],
            "url": format!("{}/wecom/{name}?key=k", rx.url),
        });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    // The server's default hour (08:30), an explicit one, none.
    for (name, extra) in [
        ("default", json!({})),
        ("evening", json!({ "digest_at": "18:00" })),
        ("none", json!({ "digest_at": null })),
    ] {
        let (status, body) = call(
            &app,
            Some(&admin),
            "POST",
            "/api/admin/channels",
            Some(channel(name, extra)),
        )
        .await;
        assert_eq!(status, axum::http::StatusCode::CREATED, "{body}");
    }
    let (_, list) = call(&app, Some(&admin), "GET", "/api/admin/channels", None).await;
    let hours: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["digest_at"].clone())
        .collect();
    assert_eq!(hours, [json!("08:30"), json!("18:00"), json!(null)]);
    for bad in ["8:30", "25:00", "noon"] {
        let (status, _) = call(
            &app,
            Some(&admin),
            "POST",
            "/api/admin/channels",
            Some(channel("bad", json!({ "digest_at": bad }))),
        )
        .await;
        assert_eq!(status, axum::http::StatusCode::BAD_REQUEST, "{bad}");
    }

    let with = |title: &str, unit: &str, deadline: Timestamp| DubanItem {
        deadline: Some(deadline),
        ..item(title, unit, &zhang.id, &li.id)
    };
    app.put(with("超期的事项", "plant-1", days(-1)), &li.id)
        .await;
    app.put(with("后天到期的事项", "plant-1", days(2)), &li.id)
        .await;
    app.put(with("九号厂区超期事项", "plant-9", days(-1)), &li.id)
        .await;
    app.put(with("远期事项", "plant-1", days(30)), &li.id).await;
    let (urged, mut doc) = app
        .put(with("被催办的事项", "plant-1", days(30)), &li.id)
        .await;
    change_as(&app, urged, &mut doc, &li.id, &li.id, |item| {
        item.urges.push(urge("u-1", &li.id, "请反馈"));
    })
    .await;

    // Not before the hour; at it, one; again and by two processes at once, none.
    assert_eq!(digest::run_once(&app.pool, at("08:29")).await.unwrap(), 0);
    assert_eq!(digest::run_once(&app.pool, at("08:30")).await.unwrap(), 1);
    let (a, b) = tokio::join!(
        digest::run_once(&app.pool, at("09:00")),
        digest::run_once(&app.pool, at("09:00"))
    );
    assert_eq!(a.unwrap() + b.unwrap(), 0);

    let outbox = Outbox::new(
        app.pool.clone(),
        OutboxConfig {
            public_url: "https://duyan.example.com".to_owned(),
            allow_private: true,
            ..OutboxConfig::default()
        },
        Arc::new(duyan::metrics::Metrics::default()),
    )
    .unwrap();
    while outbox.deliver_one().await.unwrap() {}
    let digests: Vec<_> = rx
        .taken()
        .into_iter()
        .filter(|r| r.header("idempotency-key").starts_with("digest:"))
        .collect();
    assert_eq!(digests.len(), 1);
    let sent = &digests[0];
    assert!(sent.uri.path().ends_with("/default"), "{}", sent.uri);
    assert_eq!(
        sent.header("idempotency-key"),
        format!("digest:1:{day}"),
        "one key per channel and day"
    );
    let body = sent.json();
    assert_eq!(body["msgtype"], "markdown");
    let content = body["markdown"]["content"].as_str().unwrap();
    assert!(
        content.starts_with("### 【每日汇总】督办事项每日汇总"),
        "{content}"
    );
    assert!(content.contains("二车间　截至"), "{content}");
    assert!(
        content.contains("已超期 1 项：\n1. 超期的事项"),
        "{content}"
    );
    assert!(
        content.contains("三日内到期 1 项：\n1. 后天到期的事项"),
        "{content}"
    );
    assert!(
        content.contains("近七日被催办 1 项：\n1. 被催办的事项"),
        "{content}"
    );
    assert!(
        !content.contains("九号厂区") && !content.contains("远期事项"),
        "{content}"
    );
    assert!(content.contains("(https://duyan.example.com)"), "{content}");

    // The evening channel at its hour; the channel without a digest never; the next day again.
    assert_eq!(digest::run_once(&app.pool, at("18:00")).await.unwrap(), 1);
    assert_eq!(digest::run_once(&app.pool, days(1)).await.unwrap(), 1);
    let keys: Vec<String> =
        sqlx::query_scalar!("select key from notify_outbox where digest is not null order by id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let next = day.succ_opt().unwrap();
    assert_eq!(
        keys,
        [
            format!("digest:1:{day}"),
            format!("digest:2:{day}"),
            format!("digest:1:{next}")
        ]
    );
}
