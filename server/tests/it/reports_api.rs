//! The dashboard, the weekly report and the ledger, on real PostgreSQL with records stored and
//! projected as the document task does, asked through the real router with real tokens and a
//! pinned clock (`at=`). Workbooks are read back with `calamine` and checked cell by cell.

use std::collections::HashSet;
use std::io::Cursor;

use crate::common::{Caller, TestApp, as_set, item, research, set, test_app};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use calamine::{Data, DataType, Reader, Xlsx, open_workbook_from_rs};
use duyan_shared::derived;
use duyan_shared::records::{DubanStatus, FeedbackCycle, Review, Verdict};
use duyan_shared::rules::Role;
use duyan_shared::samples::{progress, shanghai};
use duyan_shared::{DocumentId, DubanItem, Timestamp};
use serde_json::{Value, json};
use sqlx::PgPool;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn closed(mut item: DubanItem, at: Timestamp, by: &str) -> DubanItem {
    item.status = DubanStatus::Closed;
    item.reviews.push(Review {
        id: "r1".into(),
        at,
        by: by.into(),
        withdrawn: None,
        verdict: Verdict::Pass,
        opinion: "同意办结".into(),
    });
    item
}

/// A sheet's cells as text (dates as `YYYY-MM-DD HH:MM`, integral numbers without `.0`).
fn sheet(bytes: &Bytes, name: &str) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range(name).unwrap();
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::DateTime(_) => cell
                        .as_datetime()
                        .unwrap()
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                    Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

#[track_caller]
fn assert_download(status: StatusCode, headers: &HeaderMap, filename: &str) {
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], XLSX);
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        format!("attachment; filename=\"{filename}\"")
    );
}

fn unit_of<'a>(body: &'a Value, unit: &str) -> &'a Value {
    body["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == unit)
        .unwrap_or_else(|| panic!("no unit {unit} in {body}"))
}

#[sqlx::test(migrations = "./migrations")]
async fn dashboard_counts_status_lights_on_time_and_late_feedback(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let chen = app.user("chen", &[Role::Researcher], Some("office")).await;
    let at = shanghai(2026, 11, 21, 9, 0);
    let with_progress = |mut i: DubanItem, when: Timestamp| {
        i.progress.push(progress("p1", when));
        i
    };

    let items = [
        // Plant 2: overdue, and the weekly report last came on 11-02 (due 11-09): late.
        with_progress(
            DubanItem {
                deadline: Some(shanghai(2026, 11, 19, 23, 59)),
                ..item("逾期事项", "plant-2", &zhang.id, &sup.id)
            },
            shanghai(2026, 11, 2, 9, 0),
        ),
        // Plant 2: reported yesterday, due at the end of the year: green.
        with_progress(
            DubanItem {
                deadline: Some(shanghai(2026, 12, 31, 18, 0)),
                ..item("正常事项", "plant-2", &zhang.id, &sup.id)
            },
            shanghai(2026, 11, 20, 9, 0),
        ),
        // Plant 2: closed before its deadline.
        closed(
            item("按时办结", "plant-2", &zhang.id, &sup.id),
            shanghai(2026, 11, 20, 10, 0),
            &sup.id,
        ),
        // Plant 1: closed after its deadline.
        closed(
            DubanItem {
                deadline: Some(shanghai(2026, 11, 10, 18, 0)),
                ..item("超期办结", "plant-1", "u-wu", &sup.id)
            },
            shanghai(2026, 11, 15, 10, 0),
            &sup.id,
        ),
        // Plant 1: evaluated, no deadline: not in the rate.
        DubanItem {
            status: DubanStatus::Evaluated,
            deadline: None,
            ..closed(
                item("无时限", "plant-1", "u-wu", &sup.id),
                shanghai(2026, 11, 1, 10, 0),
                &sup.id,
            )
        },
        // 化工厂: just assigned, monthly reports, due in two days: yellow, not late.
        DubanItem {
            status: DubanStatus::Assigned,
            assigned_at: Some(shanghai(2026, 11, 20, 21, 0)),
            feedback_cycle: FeedbackCycle::Monthly,
            deadline: Some(shanghai(2026, 11, 23, 18, 0)),
            ..item("新交办", "chem", "u-wu", &sup.id)
        },
        // 化工厂: a draft.
        DubanItem {
            status: DubanStatus::Draft,
            ..item("草稿", "chem", "u-wu", &sup.id)
        },
    ];
    let mut ids: Vec<DocumentId> = Vec::new();
    for i in &items {
        ids.push(app.put(i.clone(), &sup.id).await.0);
    }
    // Research records are not counted.
    app.put(research(&chen.id, "office"), &chen.id).await;

    let (status, body) = app
        .get_json(&sup, &format!("/api/dashboard?at={}", at.millis()))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["at"], at.millis());
    let totals = &body["totals"];
    assert_eq!(totals["items"], 7);
    assert_eq!(
        totals["by_status"],
        json!({"draft": 1, "assigned": 1, "in_progress": 2, "closing_requested": 0,
               "closed": 2, "evaluated": 1, "suspended": 0})
    );
    // The lights are the domain rule's, item by item.
    let mut lights = json!({"green": 0, "yellow": 0, "red": 0});
    for i in &items {
        if let Some(light) = derived::light(i, at) {
            lights[light.as_str()] = json!(lights[light.as_str()].as_i64().unwrap() + 1);
        }
    }
    assert_eq!(lights, json!({"green": 1, "yellow": 1, "red": 1}));
    assert_eq!(totals["by_light"], lights);
    assert_eq!(
        totals["on_time"],
        json!({"closed_with_deadline": 2, "on_time": 1, "rate": 0.5})
    );
    // Late feedback is `derived::is_feedback_late`, item by item.
    let late: Vec<String> = items
        .iter()
        .zip(&ids)
        .filter(|(i, _)| derived::is_feedback_late(i, at))
        .map(|(_, id)| id.to_string())
        .collect();
    assert_eq!(late, vec![ids[0].to_string()]);
    assert_eq!(body["feedback_late"], json!({"count": 1, "ids": late}));

    let plant2 = unit_of(&body, "plant-2");
    assert_eq!(plant2["name"], "二号厂区");
    assert_eq!(plant2["items"], 3);
    assert_eq!(
        plant2["by_light"],
        json!({"green": 1, "yellow": 0, "red": 1})
    );
    assert_eq!(plant2["on_time"]["rate"], 1.0);
    assert_eq!(plant2["feedback_late"], 1);
    let plant1 = unit_of(&body, "plant-1");
    assert_eq!(
        plant1["on_time"],
        json!({"closed_with_deadline": 1, "on_time": 0, "rate": 0.0})
    );
    assert_eq!(plant1["by_status"]["evaluated"], 1);
    let chem = unit_of(&body, "chem");
    assert!(chem["on_time"]["rate"].is_null(), "nothing closed: no rate");
    assert_eq!(chem["by_light"]["yellow"], 1);
    assert_eq!(body["units"].as_array().unwrap().len(), 3);

    // Agrees with the list for the same instant.
    for light in ["green", "yellow", "red"] {
        let listed = app
            .ids(
                &sup,
                &format!("?type=duban&light={light}&at={}", at.millis()),
            )
            .await;
        assert_eq!(json!(listed.len()), totals["by_light"][light], "{light}");
    }

    // A handler of plant 2 counts only what they may read.
    let (_, mine) = app
        .get_json(&zhang, &format!("/api/dashboard?at={}", at.millis()))
        .await;
    assert_eq!(mine["totals"]["items"], 3, "{mine}");
    assert_eq!(mine["units"].as_array().unwrap().len(), 1);

    // A day before the report was due, nothing was late yet.
    let (_, earlier) = app
        .get_json(
            &sup,
            &format!("/api/dashboard?at={}", shanghai(2026, 11, 9, 8, 0).millis()),
        )
        .await;
    assert_eq!(earlier["feedback_late"]["count"], 0, "{earlier}");

    let (status, body) = app.get_json(&sup, "/api/dashboard?at=soon").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_parameter");
}

/// Items for week 2026-W47 (Mon 11-16 to Sun 11-22, Asia/Shanghai).
async fn weekly_items(app: &TestApp, sup: &Caller) -> [DocumentId; 6] {
    let created_before = shanghai(2026, 10, 31, 16, 0);
    let base = |title: &str, unit: &str| DubanItem {
        created_at: created_before,
        ..item(title, unit, "u-zhang", &sup.id)
    };
    let new = DubanItem {
        created_at: shanghai(2026, 11, 17, 10, 0),
        deadline: Some(shanghai(2026, 11, 25, 18, 0)),
        progress: vec![progress("p1", shanghai(2026, 11, 18, 9, 0))],
        ..base("新增事项", "plant-2")
    };
    let progressed = DubanItem {
        deadline: Some(shanghai(2026, 12, 31, 18, 0)),
        progress: vec![
            progress("p1", shanghai(2026, 11, 10, 9, 0)),
            progress("p2", shanghai(2026, 11, 19, 9, 0)),
        ],
        ..base("有进展事项", "plant-2")
    };
    let closed_in_week = closed(
        DubanItem {
            deadline: Some(shanghai(2026, 11, 30, 18, 0)),
            ..base("本周办结", "plant-1")
        },
        shanghai(2026, 11, 18, 15, 0),
        &sup.id,
    );
    let overdue = DubanItem {
        deadline: Some(shanghai(2026, 11, 19, 23, 59)),
        progress: vec![progress("p1", shanghai(2026, 11, 5, 9, 0))],
        ..base("逾期事项", "plant-1")
    };
    // Due on the week's last day: overdue once the week is over, not before.
    let due_sunday = DubanItem {
        deadline: Some(shanghai(2026, 11, 22, 23, 59)),
        ..base("周日到期", "chem")
    };
    // Closed in an earlier week, nothing this week: not in the report.
    let old = closed(
        DubanItem {
            deadline: Some(shanghai(2026, 11, 30, 18, 0)),
            ..base("早已办结", "chem")
        },
        shanghai(2026, 11, 5, 15, 0),
        &sup.id,
    );
    let mut ids = Vec::new();
    for i in [new, progressed, closed_in_week, overdue, due_sunday, old] {
        ids.push(app.put(i, &sup.id).await.0);
    }
    ids.try_into().unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn weekly_report_per_unit_as_json(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let [new, progressed, closed_in_week, overdue, due_sunday, _old] =
        weekly_items(&app, &sup).await;
    let saturday = shanghai(2026, 11, 21, 9, 0);

    // The default week is the one `at` falls in.
    let (status, body) = app
        .get_json(
            &sup,
            &format!("/api/reports/weekly?at={}", saturday.millis()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["week"], "2026-W47");
    assert_eq!(body["from"], shanghai(2026, 11, 16, 0, 0).millis());
    assert_eq!(body["to"], shanghai(2026, 11, 23, 0, 0).millis());
    assert_eq!(body["truncated"], false);
    let flags = |id: &DocumentId| {
        let item = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id.to_string())
            .unwrap_or_else(|| panic!("{id} not in {body}"));
        ["new", "progressed", "closed", "due_next_week", "overdue"]
            .into_iter()
            .filter(|f| item[*f] == true)
            .collect::<Vec<_>>()
    };
    assert_eq!(flags(&new), ["new", "progressed", "due_next_week"]);
    assert_eq!(flags(&progressed), ["progressed"]);
    assert_eq!(flags(&closed_in_week), ["closed"]);
    assert_eq!(flags(&overdue), ["overdue"]);
    // Saturday morning, the item due on Sunday night is not overdue: not in the report.
    assert_eq!(
        as_set(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned())
                .collect()
        ),
        set(&[&new, &progressed, &closed_in_week, &overdue])
    );
    assert_eq!(
        unit_of(&body, "plant-2"),
        &json!({"unit": "plant-2", "name": "二号厂区", "new": 1, "progressed": 2, "closed": 0,
                "due_next_week": 1, "overdue": 0})
    );
    assert_eq!(
        unit_of(&body, "plant-1"),
        &json!({"unit": "plant-1", "name": "一号厂区", "new": 0, "progressed": 0, "closed": 1,
                "due_next_week": 0, "overdue": 1})
    );
    assert_eq!(
        body["totals"],
        json!({"new": 1, "progressed": 2, "closed": 1, "due_next_week": 1, "overdue": 1})
    );

    // Asked after the week: the Sunday item was overdue at its end.
    let (_, after) = app
        .get_json(
            &sup,
            &format!(
                "/api/reports/weekly?week=2026-W47&at={}",
                shanghai(2026, 11, 26, 9, 0).millis()
            ),
        )
        .await;
    assert_eq!(unit_of(&after, "chem")["overdue"], 1, "{after}");
    assert!(
        after["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == due_sunday.to_string())
    );
    // The week before: one progress entry (11-10), nothing new, closed or overdue yet.
    let (_, w46) = app
        .get_json(
            &sup,
            &format!("/api/reports/weekly?week=2026-W46&at={}", saturday.millis()),
        )
        .await;
    assert_eq!(w46["totals"]["progressed"], 1, "{w46}");
    assert_eq!(w46["totals"]["new"], 0);

    // Only what the caller may read.
    let zhao = app.user("zhao", &[Role::Handler], Some("chem")).await;
    let (_, theirs) = app
        .get_json(
            &zhao,
            &format!("/api/reports/weekly?week=2026-W47&at={}", saturday.millis()),
        )
        .await;
    assert_eq!(theirs["items"], json!([]), "{theirs}");

    for bad in ["week=2026-47", "week=2026-W60", "format=pdf", "colour=red"] {
        let (status, body) = app
            .get_json(&sup, &format!("/api/reports/weekly?{bad}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(body["error"]["code"], "invalid_parameter", "{bad}");
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn weekly_report_as_a_workbook(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    weekly_items(&app, &sup).await;
    let saturday = shanghai(2026, 11, 21, 9, 0).millis();

    let (status, headers, bytes) = app
        .request(
            &sup,
            &format!("/api/reports/weekly?week=2026-W47&format=xlsx&at={saturday}"),
            None,
        )
        .await;
    assert_download(status, &headers, "weekly-2026-W47.xlsx");
    let summary = sheet(&bytes, "周报");
    assert_eq!(
        summary[0][0],
        "督办事项周报 2026-W47（2026-11-16 至 2026-11-22）"
    );
    assert_eq!(
        summary[1],
        ["单位", "新增", "有进展", "办结", "下周到期", "逾期"]
    );
    assert_eq!(summary[2], ["一号厂区", "0", "0", "1", "0", "1"]);
    assert_eq!(summary[3], ["二号厂区", "1", "2", "0", "1", "0"]);
    assert_eq!(summary[4], ["合计", "1", "2", "1", "1", "1"]);
    assert_eq!(summary.len(), 5);

    let items = sheet(&bytes, "事项");
    assert_eq!(
        items[0],
        [
            "序号",
            "标题",
            "主办单位",
            "状态",
            "办结时限",
            "新增",
            "有进展",
            "办结",
            "下周到期",
            "逾期"
        ]
    );
    assert_eq!(items.len(), 5);
    // Ordered by unit, then deadline.
    assert_eq!(
        items[1],
        [
            "1",
            "逾期事项",
            "一号厂区",
            "办理中",
            "2026-11-19 23:59",
            "",
            "",
            "",
            "",
            "✓"
        ]
    );
    assert_eq!(
        items[2],
        [
            "2",
            "本周办结",
            "一号厂区",
            "已办结",
            "2026-11-30 18:00",
            "",
            "",
            "✓",
            "",
            ""
        ]
    );
    assert_eq!(items[3][1], "新增事项");
    assert_eq!(&items[3][5..], ["✓", "✓", "", "✓", ""]);

    // `Accept` asks for the workbook too; `format=json` wins over it.
    let (status, headers, _) = app
        .request(
            &sup,
            &format!("/api/reports/weekly?at={saturday}"),
            Some(XLSX),
        )
        .await;
    assert_download(status, &headers, "weekly-2026-W47.xlsx");
    let (_, headers, _) = app
        .request(
            &sup,
            &format!("/api/reports/weekly?format=json&at={saturday}"),
            Some(XLSX),
        )
        .await;
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
}

#[sqlx::test(migrations = "./migrations")]
async fn ledger_lists_what_the_list_lists_with_names(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let at = shanghai(2026, 11, 21, 9, 0);

    let (first, _) = app
        .put(
            DubanItem {
                co_units: vec!["chem".into(), "office".into()],
                handlers: vec![zhang.id.clone(), "u-unknown".into()],
                deadline: Some(shanghai(2026, 11, 19, 23, 59)),
                progress: vec![
                    progress("p1", shanghai(2026, 11, 2, 9, 0)),
                    progress("p2", shanghai(2026, 11, 12, 16, 30)),
                ],
                ..item("二号厂区固体废物清理整改", "plant-2", &zhang.id, &sup.id)
            },
            &sup.id,
        )
        .await;
    let (second, _) = app
        .put(
            DubanItem {
                doc_no: None,
                deadline: Some(shanghai(2026, 12, 31, 18, 0)),
                progress: vec![progress("p1", shanghai(2026, 11, 20, 9, 0))],
                ..item("一号厂区阀井污水", "plant-1", &zhang.id, &sup.id)
            },
            &sup.id,
        )
        .await;
    let (_closed, _) = app
        .put(
            closed(
                DubanItem {
                    deadline: Some(shanghai(2026, 11, 30, 18, 0)),
                    ..item("已办结事项", "plant-1", &zhang.id, &sup.id)
                },
                shanghai(2026, 11, 18, 15, 0),
                &sup.id,
            ),
            &sup.id,
        )
        .await;
    app.put(item("化工厂事项", "chem", "u-wu", &sup.id), &sup.id)
        .await;
    app.put(research(&sup.id, "plant-1"), &sup.id).await;

    let query = format!("?unit=refinery&at={}", at.millis());
    let (status, headers, bytes) = app
        .request(&sup, &format!("/api/ledger.xlsx{query}"), None)
        .await;
    assert_download(status, &headers, "ledger-2026-11-21.xlsx");
    let rows = sheet(&bytes, "督办台账");
    assert_eq!(rows[0][0], "督办台账（截至 2026-11-21 09:00）");
    assert_eq!(
        rows[1],
        [
            "序号",
            "标题",
            "文号",
            "主办单位",
            "协办单位",
            "承办人",
            "督办员",
            "状态",
            "灯",
            "办结时限",
            "剩余天数",
            "最近反馈",
            "进展条数"
        ]
    );
    assert_eq!(
        rows[2],
        [
            "1",
            "二号厂区固体废物清理整改",
            "督字〔2026〕17号",
            "二号厂区",
            "化工厂、办公室",
            "zhang、u-unknown",
            "li",
            "办理中",
            "红",
            "2026-11-19 23:59",
            "-2",
            "2026-11-12 16:30",
            "2"
        ]
    );
    // Closed: no light, no days left.
    assert_eq!(rows[3][1], "已办结事项");
    assert_eq!(rows[3][7], "已办结");
    assert_eq!((rows[3][8].as_str(), rows[3][10].as_str()), ("", ""));
    assert_eq!(rows[4][1], "一号厂区阀井污水");
    assert_eq!(rows[4][8], "绿");
    assert_eq!(rows[4][10], "40");
    assert_eq!(rows.len(), 5, "督办事项 of the refinery only: {rows:?}");

    // The same items, in the same order, as the list of 督办事项 with the same filters.
    let listed = app.ids(&sup, &format!("{query}&type=duban")).await;
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0], first.to_string());
    assert_eq!(listed[2], second.to_string());
    // Filters apply: only the red one.
    let (_, _, bytes) = app
        .request(&sup, &format!("/api/ledger.xlsx{query}&light=red"), None)
        .await;
    let rows = sheet(&bytes, "督办台账");
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2][1], "二号厂区固体废物清理整改");
    // And what the caller may read: plant 2's handler reads plant 2's items only.
    let (_, _, bytes) = app.request(&zhang, "/api/ledger.xlsx", None).await;
    let titles: HashSet<String> = sheet(&bytes, "督办台账")
        .into_iter()
        .skip(2)
        .map(|r| r[1].clone())
        .collect();
    assert_eq!(
        titles,
        HashSet::from([
            "二号厂区固体废物清理整改".to_owned(),
            "一号厂区阀井污水".to_owned(),
            "已办结事项".to_owned()
        ]),
        "zhang handles all three"
    );

    for bad in ["limit=10", "cursor=abc", "type=research", "light=blue"] {
        let (status, body) = app.get_json(&sup, &format!("/api/ledger.xlsx?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(body["error"]["code"], "invalid_parameter", "{bad}");
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn ledger_states_its_cap_when_hit(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], None).await;
    // More rows than the cap, written straight into the projection: only their count matters.
    sqlx::query(
        "insert into records (id, kind, title, status, is_open, lead_unit)
         select 'bulk-' || lpad(n::text, 6, '0'), 'duban', '事项' || n, 'in_progress', true,
                'plant-1'
         from generate_series(1, $1) n",
    )
    .bind(i32::try_from(duyan::api::ledger::MAX_ROWS).unwrap() + 5)
    .execute(&app.pool)
    .await
    .unwrap();
    let (status, headers, bytes) = app.request(&sup, "/api/ledger.xlsx", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], XLSX);
    let rows = sheet(&bytes, "督办台账");
    let cap = usize::try_from(duyan::api::ledger::MAX_ROWS).unwrap();
    assert_eq!(rows.len(), 2 + cap + 1);
    assert_eq!(rows[2 + cap - 1][0], cap.to_string());
    assert_eq!(
        rows[2 + cap][0],
        format!("仅列出前 {cap} 项，请缩小筛选范围后再导出。")
    );
}

/// A 草稿 is on nobody's list yet: created in the week, it is not 新增 (nor anything else) until
/// it is assigned.
#[sqlx::test(migrations = "./migrations")]
async fn weekly_report_does_not_count_a_draft_as_new(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let created = shanghai(2026, 11, 17, 10, 0);
    let draft = DubanItem {
        created_at: created,
        status: DubanStatus::Draft,
        assigned_at: None,
        deadline: None,
        ..item("尚未交办的草稿", "plant-2", "u-zhang", &sup.id)
    };
    let assigned = DubanItem {
        created_at: created,
        deadline: Some(shanghai(2026, 12, 31, 18, 0)),
        ..item("本周交办", "plant-2", "u-zhang", &sup.id)
    };
    let (draft, _) = app.put(draft, &sup.id).await;
    let (assigned, _) = app.put(assigned, &sup.id).await;
    let saturday = shanghai(2026, 11, 21, 9, 0);
    let (status, body) = app
        .get_json(
            &sup,
            &format!("/api/reports/weekly?week=2026-W47&at={}", saturday.millis()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ids: HashSet<String> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(ids.contains(&assigned.to_string()), "{body}");
    assert!(!ids.contains(&draft.to_string()), "{body}");
    assert_eq!(body["totals"]["new"], 1, "{body}");
}
