//! The leaders' dashboard over a week, month or quarter (`GET /api/dashboard?period=`) and its
//! trend over the last few (`GET /api/dashboard/trend`), on real PostgreSQL, per reader.

use axum::http::StatusCode;
use duyan_shared::DubanItem;
use duyan_shared::records::{DubanStatus, FeedbackCycle, Verdict};
use duyan_shared::rules::Role;
use duyan_shared::samples::shanghai;
use serde_json::Value;
use sqlx::PgPool;

use crate::bulletins::{json_call, review};
use crate::common::{Caller, TestApp, item, test_app};

/// `GET /api/dashboard/trend?{query}&at={at}`.
async fn trend(app: &TestApp, caller: &Caller, query: &str, at: i64) -> (StatusCode, Value) {
    let path = format!("/api/dashboard/trend?{query}&at={at}");
    json_call(app, caller, "GET", &path, None).await
}

#[sqlx::test(migrations = "./migrations")]
async fn the_dashboard_counts_a_period_and_trends_over_the_last_ones_per_reader(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let wu = app.user("wu", &[Role::Handler], Some("chem")).await;
    // Plant 2: assigned 11-01, due 11-10, still open: new and overdue in November, overdue in
    // December.
    app.put(
        DubanItem {
            feedback_cycle: FeedbackCycle::None,
            assigned_at: Some(shanghai(2026, 11, 1, 9, 0)),
            deadline: Some(shanghai(2026, 11, 10, 23, 59)),
            ..item("十一月逾期", "plant-2", &zhang.id, &sup.id)
        },
        &sup.id,
    )
    .await;
    // Chem: assigned 10-05, closed 11-20 though due 12-31: new in October, closed on time in
    // November.
    app.put(
        DubanItem {
            feedback_cycle: FeedbackCycle::None,
            assigned_at: Some(shanghai(2026, 10, 5, 9, 0)),
            deadline: Some(shanghai(2026, 12, 31, 23, 59)),
            status: DubanStatus::Closed,
            reviews: vec![review(
                "r",
                Verdict::Pass,
                shanghai(2026, 11, 20, 9, 0),
                &sup.id,
            )],
            ..item("十月交办", "chem", &wu.id, &sup.id)
        },
        &sup.id,
    )
    .await;
    let at = shanghai(2026, 12, 7, 9, 0).millis();
    let (status, body) = trend(&app, &sup, "kind=month&count=3", at).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["kind"], "month");
    let counts: Vec<(String, i64, i64, i64, i64, i64)> = body["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let n = |k: &str| p[k].as_i64().unwrap();
            (
                p["period"].as_str().unwrap().to_owned(),
                n("active"),
                n("new"),
                n("closed"),
                n("on_time"),
                n("overdue"),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("2026-10".into(), 1, 1, 0, 0, 0),
            ("2026-11".into(), 2, 1, 1, 1, 1),
            ("2026-12".into(), 1, 0, 0, 0, 1),
        ]
    );
    assert_eq!(body["points"][1]["rate"], 1.0);
    assert!(body["points"][0]["rate"].is_null());
    assert_eq!(
        body["points"][0]["from"],
        shanghai(2026, 10, 1, 0, 0).millis()
    );

    // A handler's trend counts their unit's item only.
    let (_, body) = trend(&app, &zhang, "kind=month&count=3", at).await;
    let active: Vec<i64> = body["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["active"].as_i64().unwrap())
        .collect();
    assert_eq!(active, [0, 1, 1]);
    // 12-07 is the Monday of 2026-W50.
    let (_, body) = trend(&app, &sup, "kind=week&count=2", at).await;
    let weeks: Vec<&str> = body["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["period"].as_str().unwrap())
        .collect();
    assert_eq!(weeks, ["2026-W49", "2026-W50"]);
    for bad in ["kind=year", "count=13", "count=0", "kind=month&extra=1"] {
        let (status, body) = trend(&app, &sup, bad, at).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "invalid_parameter");
    }

    // The dashboard of a period: the items followed in it.
    let dashboard = |period: &str| format!("/api/dashboard?period={period}&at={at}");
    let (status, body) = json_call(&app, &sup, "GET", &dashboard("2026-10"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["period"], "2026-10");
    assert_eq!(body["totals"]["items"], 1);
    assert_eq!(body["units"][0]["unit"], "chem");
    let (_, body) = json_call(&app, &sup, "GET", &dashboard("2026-W50"), None).await;
    assert_eq!(body["totals"]["items"], 1);
    assert_eq!(body["units"][0]["unit"], "plant-2");
    assert_eq!(body["totals"]["by_light"]["red"], 1);
    let (_, body) = json_call(&app, &wu, "GET", &dashboard("2026-12"), None).await;
    assert_eq!(body["totals"]["items"], 0, "{body}");
    let (_, body) = json_call(&app, &sup, "GET", &format!("/api/dashboard?at={at}"), None).await;
    assert!(body["period"].is_null());
    assert_eq!(body["totals"]["items"], 2);
    let (status, _) = json_call(&app, &sup, "GET", &dashboard("2026-13"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
