//! The office's cycle on real PostgreSQL: the 工作清单 by level and parent with its rollup,
//! 批示 tracking, the 考核 and the monthly report, each asked by callers of different units
//! and roles, with records stored and projected as the document task does.

use std::io::Cursor;

use crate::common::{Caller, TestApp, as_set, item, set, test_app};
use axum::body::{Body, Bytes};
use axum::http::{Method, Request, StatusCode, header};
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use duyan_shared::records::{
    DubanStatus, FeedbackCycle, Instruction, Level, Review, Source, SourceRef, Verdict,
};
use duyan_shared::rules::Role;
use duyan_shared::samples::{progress, shanghai};
use duyan_shared::{DubanItem, Timestamp};
use serde_json::{Value, json};
use sqlx::PgPool;
use tower::ServiceExt;

fn closed(mut item: DubanItem, at: Timestamp) -> DubanItem {
    item.status = DubanStatus::Closed;
    item.reviews.push(Review {
        id: "pass".into(),
        at,
        by: item.created_by.clone(),
        withdrawn: None,
        verdict: Verdict::Pass,
        opinion: "同意办结".into(),
    });
    item
}

/// `method path` with a JSON body: status and JSON answer.
async fn send(
    app: &TestApp,
    caller: &Caller,
    method: Method,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {}", caller.token))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

fn cells(bytes: &Bytes, name: &str) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range(name).unwrap();
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

fn units(body: &Value) -> Vec<&str> {
    body["units"]
        .as_array()
        .unwrap_or_else(|| panic!("no units in {body}"))
        .iter()
        .map(|u| u["unit"].as_str().unwrap())
        .collect()
}

fn unit<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == id)
        .unwrap_or_else(|| panic!("no unit {id} in {body}"))
}

#[sqlx::test(migrations = "./migrations")]
async fn the_work_list_filters_by_level_and_parent_and_rolls_readable_children_up(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let chem = app.user("wu", &[Role::Handler], Some("chem")).await;
    let (parent, _) = app
        .put(
            item("公司层面：固废治理", "plant-2", &zhang.id, &sup.id),
            &sup.id,
        )
        .await;
    let child = |title: &str, unit: &str, handler: &str| DubanItem {
        level: Level::Special,
        parent: Some(parent),
        ..item(title, unit, handler, &sup.id)
    };
    // Due 11-22 (the sample's deadline): red on 11-25 while open.
    let mut reported = child("专项：清运", "plant-2", &zhang.id);
    reported
        .progress
        .push(progress("p1", shanghai(2026, 11, 2, 9, 0)));
    let (a, _) = app.put(reported, &sup.id).await;
    let (b, _) = app
        .put(
            closed(
                child("专项：化工厂配合", "chem", &chem.id),
                shanghai(2026, 11, 20, 9, 0),
            ),
            &sup.id,
        )
        .await;
    let (c, _) = app
        .put(child("专项：台账", "plant-2", &zhang.id), &sup.id)
        .await;
    let at = shanghai(2026, 11, 25, 9, 0).millis();

    let q = format!("?type=duban&parent={parent}&at={at}");
    assert_eq!(as_set(app.ids(&sup, &q).await), set(&[&a, &b, &c]));
    assert_eq!(
        as_set(app.ids(&sup, "?type=duban&level=special").await),
        set(&[&a, &b, &c])
    );
    assert_eq!(
        as_set(app.ids(&sup, "?type=duban&parent=none").await),
        set(&[&parent])
    );
    let (_, body) = app
        .get(&sup, &format!("?type=duban&parent=none&at={at}"))
        .await;
    // 40 (reported) + 100 (closed) + 0 (nothing yet), over three; two open and past due.
    assert_eq!(
        body["items"][0]["rollup"],
        json!({"children": 3, "closed": 1, "mean_progress": 46.7, "green": 0, "yellow": 0, "red": 2})
    );
    assert_eq!(body["items"][0]["level"], "company");

    // Plant 2's handler neither sees nor counts the chem unit's child.
    assert_eq!(as_set(app.ids(&zhang, &q).await), set(&[&a, &c]));
    let (_, body) = app
        .get(&zhang, &format!("?type=duban&parent=none&at={at}"))
        .await;
    assert_eq!(
        body["items"][0]["rollup"],
        json!({"children": 2, "closed": 0, "mean_progress": 20.0, "green": 0, "yellow": 0, "red": 2})
    );
    // The chem handler sees their own child only, never the plant-2 parent or siblings.
    assert_eq!(app.ids(&chem, &q).await, [b.to_string()]);
    assert!(app.ids(&chem, "?type=duban&parent=none").await.is_empty());
    let (_, body) = app.get(&chem, &format!("?parent={parent}")).await;
    assert!(body["items"][0]["rollup"].is_null());

    let (status, body) = app.get(&sup, "?parent=not-an-id").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_parameter");
}

fn instruction(id: &str, at: Timestamp, by: &str, text: &str) -> Instruction {
    Instruction {
        id: id.into(),
        at,
        by: by.into(),
        withdrawn: None,
        text: text.into(),
        attachments: None,
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn instructions_are_followed_to_their_items_for_each_reader(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let wang = app.user("wang", &[Role::Leader], None).await;
    let zhou = app.user("zhou", &[Role::Leader], None).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let chem = app.user("wu", &[Role::Handler], Some("chem")).await;

    let mut x = item("二号厂区阀井污水", "plant-2", &zhang.id, &sup.id);
    x.instructions.push(instruction(
        "i1",
        shanghai(2026, 11, 5, 10, 0),
        &wang.id,
        "限期整改",
    ));
    let (x_id, _) = app.put(x, &sup.id).await;
    let mut y = closed(
        item("化工厂围堰", "chem", &chem.id, &sup.id),
        shanghai(2026, 11, 20, 9, 0),
    );
    y.instructions.push(instruction(
        "i2",
        shanghai(2026, 11, 10, 23, 0),
        &zhou.id,
        "举一反三",
    ));
    let (y_id, _) = app.put(y, &sup.id).await;
    let made = DubanItem {
        source: Source::LeaderInstruction,
        source_ref: Some(SourceRef {
            record: x_id,
            entry_id: Some("i1".into()),
        }),
        ..item("落实批示：排查全部阀井", "plant-2", &zhang.id, &sup.id)
    };
    let (made_id, _) = app.put(made, &sup.id).await;
    let at = shanghai(2026, 11, 25, 9, 0).millis();

    let (status, body) = app
        .get_json(
            &wang,
            &format!("/api/instructions?leader={}&at={at}", wang.id),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list = body["instructions"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["record_id"], x_id.to_string());
    assert_eq!(list[0]["text"], "限期整改");
    // Open and past its 11-22 deadline.
    assert_eq!(list[0]["state"], "overdue");
    assert_eq!(list[0]["light"], "red");
    assert_eq!(list[0]["items"][0]["id"], made_id.to_string());

    // Days in Shanghai, both included: 11-10 23:00 is in, 11-05 is not.
    let (_, body) = app
        .get_json(
            &wang,
            &format!("/api/instructions?from=2026-11-06&to=2026-11-10&at={at}"),
        )
        .await;
    let list = body["instructions"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["record_id"], y_id.to_string());
    assert_eq!(list[0]["state"], "closed");

    // Each handler sees the 批示 of their own unit's records only.
    let (_, body) = app.get_json(&zhang, "/api/instructions").await;
    let records: Vec<&str> = body["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["record_id"].as_str().unwrap())
        .collect();
    assert_eq!(records, [x_id.to_string()]);
    let (_, body) = app.get_json(&chem, "/api/instructions").await;
    let list = body["instructions"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["record_id"], y_id.to_string());
    assert_eq!(list[0]["items"], json!([]));

    let (status, body) = app.get_json(&wang, "/api/instructions?from=11-06").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_parameter");
    let anonymous = Caller {
        id: String::new(),
        token: "nope".into(),
    };
    let (status, _) = app.get_json(&anonymous, "/api/instructions").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "./migrations")]
async fn assessments_score_every_unit_show_staff_their_own_and_freeze(pool: PgPool) {
    let app = test_app(pool).await;
    let admin = app.user("root", &[Role::Admin], None).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let wang = app.user("wang", &[Role::Leader], None).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let chem = app.user("wu", &[Role::Handler], Some("chem")).await;
    let base = |title: &str, unit: &str| DubanItem {
        feedback_cycle: FeedbackCycle::None,
        assigned_at: Some(shanghai(2026, 11, 1, 9, 0)),
        progress: vec![progress("p1", shanghai(2026, 11, 1, 15, 0))],
        ..item(title, unit, &zhang.id, &sup.id)
    };
    // Plant 2 leads, chem co-operates; due 11-10 and still open: overdue in November.
    let late = DubanItem {
        co_units: vec!["chem".into()],
        deadline: Some(shanghai(2026, 11, 10, 23, 59)),
        ..base("逾期事项", "plant-2")
    };
    let (late_id, mut late_doc) = app.put(late, &sup.id).await;
    // Chem closes on 11-20, due 11-30: early.
    let early = closed(
        DubanItem {
            deadline: Some(shanghai(2026, 11, 30, 23, 59)),
            ..base("提前办结", "chem")
        },
        shanghai(2026, 11, 20, 9, 0),
    );
    let (early_id, _) = app.put(early, &sup.id).await;
    let at = shanghai(2026, 12, 2, 9, 0).millis();
    let path = format!("/api/assessments?period=2026-11&at={at}");

    // Plant 2: 100 - 2 = 98. Chem: 100 - 1 (half of the overdue) + 1 (early) = 100.
    let (status, body) = app.get_json(&wang, &path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["period"], "2026-11");
    assert_eq!(body["frozen"], false);
    assert_eq!(units(&body).len(), 5, "every unit of the directory: {body}");
    let plant = unit(&body, "plant-2");
    assert_eq!(
        (
            plant["score"].as_f64(),
            plant["rank"].as_u64(),
            plant["items"].as_u64()
        ),
        (Some(98.0), Some(5), Some(1))
    );
    assert_eq!(
        plant["deductions"],
        json!([{"record_id": late_id.to_string(), "rule": "overdue", "points": 2.0}])
    );
    let c = unit(&body, "chem");
    assert_eq!(
        (c["score"].as_f64(), c["rank"].as_u64(), c["items"].as_u64()),
        (Some(100.0), Some(1), Some(2))
    );
    assert_eq!(
        c["deductions"],
        json!([{"record_id": late_id.to_string(), "rule": "overdue", "points": 1.0}])
    );
    assert_eq!(
        c["additions"],
        json!([{"record_id": early_id.to_string(), "rule": "closed_early", "points": 1.0}])
    );
    assert_eq!(body["names"]["chem"], "化工厂");
    let (_, all) = app.get_json(&sup, &path).await;
    assert_eq!(all["units"], body["units"]);

    // Staff see their own unit's row only; its points name only items they may read.
    let (_, mine) = app.get_json(&zhang, &path).await;
    assert_eq!(units(&mine), ["plant-2"]);
    let (_, mine) = app.get_json(&chem, &path).await;
    assert_eq!(units(&mine), ["chem"]);
    let nobody = app.user("zhao", &[Role::Viewer], None).await;
    let (_, none) = app.get_json(&nobody, &path).await;
    assert_eq!(units(&none), Vec::<&str>::new());

    // The workbook: one row per unit, and the points with their rules.
    let (status, _, bytes) = app
        .request(&zhang, &format!("{path}&format=xlsx"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let sheet = cells(&bytes, "考核");
    assert_eq!(sheet[1], ["排名", "单位", "得分", "事项数", "扣分", "加分"]);
    assert_eq!(sheet[2], ["5", "二号厂区", "98", "1", "2", "0"]);
    assert_eq!(sheet.len(), 3);
    assert_eq!(
        cells(&bytes, "明细")[1],
        ["二号厂区", late_id.to_string().as_str(), "逾期", "-2"]
    );

    // Rules: read by all, changed by admins only, checked.
    let (status, rules) = app.get_json(&zhang, "/api/assessments/rules").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rules["base"], 100.0);
    let mut stricter = rules.clone();
    stricter["rules"][0]["points"] = json!(5.0);
    let (status, _) = send(
        &app,
        &sup,
        Method::PUT,
        "/api/assessments/rules",
        stricter.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut twice = rules.clone();
    twice["rules"]
        .as_array_mut()
        .unwrap()
        .push(rules["rules"][0].clone());
    let (status, body) = send(&app, &admin, Method::PUT, "/api/assessments/rules", twice).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_rules");
    let (status, _) = send(
        &app,
        &admin,
        Method::PUT,
        "/api/assessments/rules",
        stricter,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = app.get_json(&wang, &path).await;
    assert_eq!(unit(&body, "plant-2")["score"], 95.0);

    // Freezing: not by a handler, not before the period ends, once.
    let (status, _) = send(
        &app,
        &zhang,
        Method::POST,
        "/api/assessments/2026-11/freeze",
        json!(null),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = send(
        &app,
        &sup,
        Method::POST,
        "/api/assessments/2099-12/freeze",
        json!(null),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("period_not_over"))
    );
    let (status, frozen) = send(
        &app,
        &sup,
        Method::POST,
        "/api/assessments/2026-11/freeze",
        json!(null),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{frozen}");
    assert_eq!(unit(&frozen, "plant-2")["score"], 95.0);
    // The facts and the rules move on; the frozen period does not.
    app.change(late_id, &mut late_doc, &sup.id, |i| {
        i.deadline = Some(shanghai(2026, 12, 31, 23, 59));
    })
    .await;
    let (status, _) = send(&app, &admin, Method::PUT, "/api/assessments/rules", rules).await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = app.get_json(&wang, &path).await;
    assert_eq!(body["frozen"], true);
    assert_eq!(body["units"], frozen["units"]);
    let (_, body) = app.get_json(&chem, &path).await;
    assert_eq!(units(&body), ["chem"]);
    let (status, body) = send(
        &app,
        &admin,
        Method::POST,
        "/api/assessments/2026-11/freeze",
        json!(null),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_frozen"))
    );

    for bad in ["2026-13", "2026-Q5", "1999-12", "2026"] {
        let (status, body) = app
            .get_json(&wang, &format!("/api/assessments?period={bad}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let (status, _) = app.get_json(&wang, "/api/assessments").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_monthly_report_counts_a_month_for_each_reader(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let chem = app.user("wu", &[Role::Handler], Some("chem")).await;
    // Created in November, due 12-10, open on 12-20: overdue in December.
    let (overdue, _) = app
        .put(
            DubanItem {
                created_at: shanghai(2026, 11, 28, 9, 0),
                deadline: Some(shanghai(2026, 12, 10, 23, 59)),
                ..item("十二月逾期", "plant-2", &zhang.id, &sup.id)
            },
            &sup.id,
        )
        .await;
    // Created 12-03, due 2027-01-15: new this month and due next month.
    let (new, _) = app
        .put(
            DubanItem {
                created_at: shanghai(2026, 12, 3, 9, 0),
                deadline: Some(shanghai(2027, 1, 15, 23, 59)),
                ..item("十二月新增", "chem", &chem.id, &sup.id)
            },
            &sup.id,
        )
        .await;
    let at = shanghai(2026, 12, 20, 9, 0).millis();
    let path = format!("/api/reports/monthly?month=2026-12&at={at}");

    let (status, body) = app.get_json(&sup, &path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["month"], "2026-12");
    assert_eq!(body["from"], shanghai(2026, 12, 1, 0, 0).millis());
    assert_eq!(body["to"], shanghai(2027, 1, 1, 0, 0).millis());
    assert_eq!(
        body["totals"],
        json!({"new": 1, "progressed": 0, "closed": 0, "due_next_month": 1, "overdue": 1})
    );
    let ids: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        as_set(ids.iter().map(|s| (*s).to_owned()).collect()),
        set(&[&overdue, &new])
    );

    let (_, body) = app.get_json(&zhang, &path).await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    assert_eq!(body["items"][0]["id"], overdue.to_string());
    let (_, body) = app.get_json(&chem, &path).await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    assert_eq!(body["items"][0]["id"], new.to_string());
    assert_eq!(body["items"][0]["due_next_month"], true);

    let (status, _, bytes) = app
        .request(&sup, &format!("{path}&format=xlsx"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let sheet = cells(&bytes, "月报");
    assert!(
        sheet[0][0].starts_with("督办事项月报 2026-12（2026-12-01 至 2026-12-31）"),
        "{:?}",
        sheet[0]
    );
    assert_eq!(
        sheet[1],
        ["单位", "新增", "有进展", "办结", "下月到期", "逾期"]
    );

    for bad in ["2026-Q4", "2026-13", "12-2026"] {
        let (status, body) = app
            .get_json(&sup, &format!("/api/reports/monthly?month={bad}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
}
