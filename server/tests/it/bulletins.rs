//! 通报 on real PostgreSQL: drafted from seeded items by the 考核's counting, read by role,
//! edited while a draft, published once, printed as a .docx, and counted in the 考核.

use axum::http::StatusCode;
use duyan_shared::DubanItem;
use duyan_shared::records::{DubanStatus, FeedbackCycle, Review, Verdict};
use duyan_shared::rules::Role;
use duyan_shared::samples::{progress, shanghai};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::{Caller, TestApp, item, test_app};
use crate::documents::{call, open};

pub fn review(id: &str, verdict: Verdict, at: duyan_shared::Timestamp, by: &str) -> Review {
    Review {
        id: id.into(),
        at,
        by: by.into(),
        withdrawn: None,
        verdict,
        opinion: "意见".into(),
    }
}

/// `method path` with a JSON body as `caller`: status and JSON answer.
pub async fn json_call(
    app: &TestApp,
    caller: &Caller,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (status, _, bytes) = call(app, method, path, Some(&caller.token), body).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Every record id a 通报's JSON names.
fn named_ids(bulletin: &Value) -> Vec<String> {
    let mut ids: Vec<String> = ["criticised", "praised"]
        .iter()
        .flat_map(|list| bulletin[list].as_array().unwrap().clone())
        .flat_map(|unit| unit["items"].as_array().unwrap().clone())
        .map(|item| item["record_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

fn units_of(bulletin: &Value, list: &str) -> Vec<String> {
    bulletin[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["unit"].as_str().unwrap().to_owned())
        .collect()
}

#[sqlx::test(migrations = "./migrations")]
async fn a_bulletin_is_drafted_from_the_data_published_once_read_by_all_and_costs_points(
    pool: PgPool,
) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let wang = app.user("wang", &[Role::Leader], None).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let wu = app.user("wu", &[Role::Handler], Some("chem")).await;
    let base = |title: &str, unit: &str, handler: &str| DubanItem {
        feedback_cycle: FeedbackCycle::None,
        assigned_at: Some(shanghai(2026, 11, 1, 9, 0)),
        progress: vec![progress("p1", shanghai(2026, 11, 1, 15, 0))],
        ..item(title, unit, handler, &sup.id)
    };
    // Plant 2: due 12-02 and open on 12-07: overdue in December.
    let (late, _) = app
        .put(
            DubanItem {
                deadline: Some(shanghai(2026, 12, 2, 23, 59)),
                ..base("二号厂区逾期事项", "plant-2", &zhang.id)
            },
            &sup.id,
        )
        .await;
    // Chem: sent back on 12-01, closed on 12-04 though due 12-31: criticised and praised.
    let (back, _) = app
        .put(
            DubanItem {
                deadline: Some(shanghai(2026, 12, 31, 23, 59)),
                status: DubanStatus::Closed,
                reviews: vec![
                    review("r1", Verdict::Return, shanghai(2026, 12, 1, 10, 0), &sup.id),
                    review("r2", Verdict::Pass, shanghai(2026, 12, 4, 10, 0), &sup.id),
                ],
                ..base("化工厂退回事项", "chem", &wu.id)
            },
            &sup.id,
        )
        .await;
    // Plant 1: on track, named by nobody.
    let (quiet, _) = app
        .put(
            DubanItem {
                deadline: Some(shanghai(2027, 3, 1, 23, 59)),
                ..base("一号厂区正常事项", "plant-1", &zhang.id)
            },
            &sup.id,
        )
        .await;
    let at = shanghai(2026, 12, 7, 9, 0).millis();
    let create = format!("/api/bulletins?at={at}");

    // Handlers do not draft; periods are checked.
    let period = json!({"period": "2026-12"});
    let (status, body) = json_call(&app, &zhang, "POST", &create, Some(period.clone())).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::FORBIDDEN, &json!("forbidden"))
    );
    for bad in ["2026-13", "2026-W54", "12-2026", ""] {
        let (status, body) =
            json_call(&app, &sup, "POST", &create, Some(json!({"period": bad}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "invalid_parameter");
    }
    let (status, body) = json_call(
        &app,
        &sup,
        "POST",
        &create,
        Some(json!({"period": "2027-01"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "period_not_started");
    let long = "长".repeat(101);
    let (status, body) = json_call(
        &app,
        &sup,
        "POST",
        &create,
        Some(json!({"period": "2026-12", "title": long})),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("invalid_bulletin"))
    );

    // The draft: plant 2 for its overdue item, chem for the 退回重办; chem praised for closing
    // early. Units with as many items keep their id order.
    let (status, draft) = json_call(&app, &sup, "POST", &create, Some(period)).await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["title"], "关于2026年12月督办工作情况的通报");
    assert_eq!(units_of(&draft, "criticised"), ["chem", "plant-2"]);
    assert_eq!(units_of(&draft, "praised"), ["chem"]);
    let plant = &draft["criticised"][1];
    assert_eq!(plant["name"], "二号厂区");
    assert_eq!(
        plant["items"],
        json!([{"record_id": late.to_string(), "title": "二号厂区逾期事项", "reasons": ["overdue"]}])
    );
    assert_eq!(
        draft["criticised"][0]["items"][0]["reasons"],
        json!(["returned"])
    );
    assert_eq!(
        draft["praised"][0]["items"][0]["reasons"],
        json!(["closed_early"])
    );
    assert!(
        draft["summary"]
            .as_str()
            .unwrap()
            .contains("共跟踪督办事项3项"),
        "{draft}"
    );
    assert!(!named_ids(&draft).contains(&quiet.to_string()));
    let id = draft["id"].as_i64().unwrap();
    let one = format!("/api/bulletins/{id}");

    // A draft: its author, supervisors, leaders and admins read it; handlers do not, not even
    // its document, and cannot edit or publish it.
    let (_, list) = json_call(&app, &wang, "GET", "/api/bulletins", None).await;
    assert_eq!(list["bulletins"][0]["id"], id);
    assert_eq!(list["bulletins"][0]["criticised"], 2);
    let (_, list) = json_call(&app, &zhang, "GET", "/api/bulletins", None).await;
    assert_eq!(list["bulletins"], json!([]));
    for (method, path, body) in [
        ("GET", one.clone(), None),
        ("GET", format!("{one}/document.docx"), None),
        ("PATCH", one.clone(), Some(json!({"title": "改"}))),
        ("POST", format!("{one}/publish"), None),
    ] {
        let (status, body) = json_call(&app, &zhang, method, &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    let (status, _) = json_call(&app, &zhang, "GET", "/api/bulletins/abc", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Edited: a new title, chem left out of the criticism, a remark on plant 2; limits hold.
    let (status, body) = json_call(
        &app,
        &sup,
        "PATCH",
        &one,
        Some(json!({"criticised": [{"unit": "office", "remark": ""}]})),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("invalid_bulletin"))
    );
    let (status, body) = json_call(&app, &sup, "PATCH", &one, Some(json!({"summary": ""}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = json_call(&app, &sup, "PATCH", &one, Some(json!({"colour": "red"}))).await;
    assert!(status.is_client_error(), "{body}");
    let (status, edited) = json_call(
        &app,
        &sup,
        "PATCH",
        &one,
        Some(json!({
            "title": "关于12月份督办事项办理情况的通报",
            "criticised": [{"unit": "plant-2", "remark": "逾期未办结，请三日内说明原因。"}],
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["title"], "关于12月份督办事项办理情况的通报");
    assert_eq!(units_of(&edited, "criticised"), ["plant-2"]);
    assert_eq!(
        edited["criticised"][0]["remark"],
        "逾期未办结，请三日内说明原因。"
    );
    assert_eq!(edited["criticised"][0]["items"], plant["items"]);

    // Published once, numbered; then neither edited nor published again.
    let (status, published) = json_call(&app, &wang, "POST", &format!("{one}/publish"), None).await;
    assert_eq!(status, StatusCode::OK, "{published}");
    assert_eq!(published["status"], "published");
    assert_eq!(published["number"], 1);
    assert_eq!(published["published_by"], wang.id);
    let (status, body) = json_call(&app, &sup, "POST", &format!("{one}/publish"), None).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::CONFLICT, &json!("already_published"))
    );
    let (status, body) = json_call(&app, &sup, "PATCH", &one, Some(json!({"title": "再改"}))).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::CONFLICT, &json!("not_draft"))
    );

    // Published: every signed-in user reads it, and it names only what it names: plant 2's
    // item and chem's praised one, never the quiet plant-1 item.
    for who in [&zhang, &wu] {
        let (_, list) = json_call(&app, who, "GET", "/api/bulletins", None).await;
        assert_eq!(list["bulletins"][0]["id"], id);
        let (status, seen) = json_call(&app, who, "GET", &one, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(seen, published);
        let mut expected = vec![late.to_string(), back.to_string()];
        expected.sort();
        assert_eq!(named_ids(&seen), expected);
        assert!(!seen.to_string().contains(&quiet.to_string()));
        let (status, body) = json_call(&app, who, "PATCH", &one, Some(json!({"title": "x"}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }

    // The document: 红头, number, the units and items.
    let (status, headers, bytes) = call(
        &app,
        "GET",
        &format!("{one}/document.docx"),
        Some(&zhang.token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[axum::http::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("wordprocessingml")
    );
    let doc = open(&bytes);
    let text = doc.text();
    for expected in [
        "办公室",
        "第1期",
        "关于12月份督办事项办理情况的通报",
        "二、通报批评",
        "（一）二号厂区",
        "逾期未办结，请三日内说明原因。",
        "三、通报表扬",
        "（一）化工厂",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    let table = doc
        .tables
        .iter()
        .find(|t| t[0] == ["序号", "事项", "情况"])
        .expect("the items' table");
    assert_eq!(table[1], ["1", "二号厂区逾期事项", "逾期未办结"]);

    // The 考核 of December: plant 2 loses the 通报's 3 points (and 2 for the overdue item),
    // traced to the item and the 通报; chem, left out, loses none.
    let (status, body) = json_call(
        &app,
        &wang,
        "GET",
        &format!("/api/assessments?period=2026-12&at={at}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let row = |unit: &str| {
        body["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit"] == unit)
            .unwrap()
            .clone()
    };
    let plant = row("plant-2");
    assert_eq!(plant["score"], 95.0);
    assert_eq!(
        plant["deductions"],
        json!([
            {"record_id": late.to_string(), "rule": "overdue", "points": 2.0},
            {"record_id": late.to_string(), "rule": "bulletin", "points": 3.0, "bulletin": id.to_string()},
        ])
    );
    let chem = row("chem");
    assert!(
        chem["deductions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["rule"] != "bulletin"),
        "{chem}"
    );
    // The 考核 is per month or quarter: a week is refused there.
    let (status, body) =
        json_call(&app, &wang, "GET", "/api/assessments?period=2026-W49", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // November knows nothing of a December 通报.
    let (_, body) = json_call(
        &app,
        &wang,
        "GET",
        &format!("/api/assessments?period=2026-11&at={at}"),
        None,
    )
    .await;
    assert!(!body.to_string().contains("\"bulletin\""), "{body}");
}

/// Every 通报 route and the dashboard's trend answer 401 to a caller without a token, before
/// looking at the 通报 or the period.
#[sqlx::test(migrations = "./migrations")]
async fn bulletin_and_trend_routes_refuse_callers_without_a_token(pool: PgPool) {
    let app = test_app(pool).await;
    let routes = [
        ("GET", "/api/bulletins"),
        ("POST", "/api/bulletins"),
        ("GET", "/api/bulletins/1"),
        ("PATCH", "/api/bulletins/1"),
        ("GET", "/api/bulletins/1/document.docx"),
        ("POST", "/api/bulletins/1/publish"),
        ("GET", "/api/dashboard/trend?kind=month"),
    ];
    for (method, path) in routes {
        let (status, _, _) = call(&app, method, path, None, Some(json!({}))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
}
