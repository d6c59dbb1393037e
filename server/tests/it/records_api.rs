//! The projection and `GET /api/records`, on real PostgreSQL (`#[sqlx::test]` gives each test
//! a fresh, migrated database): documents are stored with the real `PgStore` and projected
//! with the real projector; the list is asked through the real router with real tokens.

use std::collections::HashSet;

use crate::common::{Caller, as_set, ids_of, item, research, set, test_app};
use autosurgeon::Text;
use axum::http::StatusCode;
use duyan::projection;
use duyan::storage::DocStore;
use duyan_shared::derived::{self, Light};
use duyan_shared::records::{
    DubanStatus, Level, Milestone, Record, Review, Verdict, load_document, new_document,
};
use duyan_shared::rules::Role;
use duyan_shared::samples::{progress, shanghai};
use duyan_shared::{DocumentId, DubanItem, Timestamp};
use sqlx::PgPool;

#[sqlx::test(migrations = "./migrations")]
async fn filters_search_and_chinese_text(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let chen = app.user("chen", &[Role::Researcher], Some("office")).await;

    let (solid, _) = app
        .put(
            DubanItem {
                detail: Text::with_value("按照月度会要求，限期清运厂区堆放的固体废物。"),
                ..item("二号厂区固体废物清理整改", "plant-2", &zhang.id, &sup.id)
            },
            &sup.id,
        )
        .await;
    let (sewage, _) = app
        .put(
            DubanItem {
                level: Level::Office,
                status: DubanStatus::Assigned,
                deadline: Some(shanghai(2026, 11, 30, 23, 59)),
                ..item("炼油厂区阀井污水", "plant-1", &zhang.id, &sup.id)
            },
            &sup.id,
        )
        .await;
    let (discount, _) = app
        .put(
            item("完成率达到100%_整改", "plant-1", &zhang.id, &sup.id),
            &sup.id,
        )
        .await;
    let (topic, _) = app.put(research(&chen.id, "office"), &chen.id).await;

    assert_eq!(
        app.ids(&sup, "?type=research").await,
        vec![topic.to_string()]
    );
    assert_eq!(
        as_set(app.ids(&sup, "?type=duban&status=in_progress").await),
        set(&[&solid, &discount])
    );
    assert_eq!(
        app.ids(&sup, "?level=office").await,
        vec![sewage.to_string()]
    );
    // Chinese substrings, two characters and longer, in the title, the detail, an entry.
    assert_eq!(
        app.ids(&sup, "?q=%E9%98%80%E4%BA%95").await,
        vec![sewage.to_string()],
        "阀井"
    );
    assert_eq!(app.ids(&sup, "?q=固体废物").await, vec![solid.to_string()]);
    assert_eq!(app.ids(&sup, "?q=限期清运").await, vec![solid.to_string()]);
    assert_eq!(
        app.ids(&sup, "?q=交接班记录").await,
        vec![topic.to_string()],
        "a research finding"
    );
    // `%` and `_` are themselves, not wildcards.
    assert_eq!(
        app.ids(&sup, "?q=100%25_").await,
        vec![discount.to_string()]
    );
    assert!(app.ids(&sup, "?q=%25%25%25").await.is_empty());
    // Letters match whatever their case, as `ilike` does. A row whose search keys are not
    // computed yet (written before `0023_search_keys.sql`, or by an older binary) is found by
    // `ilike` alone, and start-up computes them.
    sqlx::query("update records set search = search || E'\nPhase-B GB50016', search_keys = null where id = $1")
        .bind(sewage.to_string())
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.ids(&sup, "?q=gb50016").await, vec![sewage.to_string()]);
    assert_eq!(projection::search::backfill(&app.pool).await.unwrap(), 1);
    assert_eq!(projection::search::backfill(&app.pool).await.unwrap(), 0);
    for q in ["gb50016", "GB50016", "phase-b", "PHASE", "阀井"] {
        assert_eq!(
            app.ids(&sup, &format!("?q={q}")).await,
            vec![sewage.to_string()],
            "{q}"
        );
    }
    assert!(app.ids(&sup, "?q=GB50017").await.is_empty());
    // By unit: a unit and the units below it.
    assert_eq!(
        as_set(app.ids(&sup, "?unit=refinery").await),
        set(&[&solid, &sewage, &discount])
    );
    assert_eq!(
        app.ids(&sup, "?unit=plant-2").await,
        vec![solid.to_string()]
    );
    // Deadlines before 2026-11-23 (Shanghai): the two due 11-22 23:59.
    assert_eq!(
        as_set(app.ids(&sup, "?due_before=2026-11-23").await),
        set(&[&solid, &discount])
    );
    // Order: by deadline, none last.
    let all = app.ids(&sup, "").await;
    assert_eq!(all.len(), 4);
    assert_eq!(all[2], sewage.to_string());
    assert_eq!(all[3], topic.to_string());

    // The item's shape.
    let (_, body) = app
        .get(
            &sup,
            &format!("?unit=plant-2&at={}", shanghai(2026, 11, 20, 9, 0).millis()),
        )
        .await;
    let first = &body["items"][0];
    assert_eq!(first["type"], "duban");
    assert_eq!(first["title"], "二号厂区固体废物清理整改");
    assert_eq!(first["status"], "in_progress");
    assert_eq!(first["days_left"], 2);
    assert_eq!(first["light"], "yellow");
    assert_eq!(first["deadline"], shanghai(2026, 11, 22, 23, 59).millis());
    assert_eq!(first["lead_unit"], "plant-2");
    assert_eq!(first["handlers"][0], zhang.id.as_str());
    assert!(first["updated_at"].is_i64());
    assert!(first["damaged"].is_null());
}

/// Items that cover every way to a light: the list's `light=` must agree with
/// `derived::light` at the instant asked about.
#[sqlx::test(migrations = "./migrations")]
async fn the_light_filter_agrees_with_the_domain_rule(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], None).await;
    let h = "u-zhang";
    let base = || DubanItem {
        feedback_cycle: duyan_shared::records::FeedbackCycle::None,
        ..item("事项", "plant-1", h, &sup.id)
    };
    let with_progress = |mut i: DubanItem, at: Timestamp| {
        i.progress.push(progress("p1", at));
        i
    };
    let items = vec![
        // Overdue.
        with_progress(
            DubanItem {
                deadline: Some(shanghai(2026, 11, 19, 23, 59)),
                ..base()
            },
            shanghai(2026, 11, 2, 9, 0),
        ),
        // Due in 3 calendar days: yellow; in 4: green.
        with_progress(
            DubanItem {
                deadline: Some(shanghai(2026, 11, 24, 23, 59)),
                ..base()
            },
            shanghai(2026, 11, 2, 9, 0),
        ),
        with_progress(
            DubanItem {
                deadline: Some(shanghai(2026, 11, 25, 0, 1)),
                ..base()
            },
            shanghai(2026, 11, 2, 9, 0),
        ),
        // Due later, but a milestone missed.
        with_progress(
            DubanItem {
                deadline: Some(shanghai(2026, 12, 31, 18, 0)),
                milestones: vec![Milestone {
                    id: "m1".into(),
                    title: "方案".into(),
                    due: shanghai(2026, 11, 15, 18, 0),
                    done_at: None,
                }],
                ..base()
            },
            shanghai(2026, 11, 2, 9, 0),
        ),
        // A milestone missed but done: green.
        with_progress(
            DubanItem {
                deadline: Some(shanghai(2026, 12, 31, 18, 0)),
                milestones: vec![Milestone {
                    id: "m1".into(),
                    title: "方案".into(),
                    due: shanghai(2026, 11, 15, 18, 0),
                    done_at: Some(shanghai(2026, 11, 14, 18, 0)),
                }],
                ..base()
            },
            shanghai(2026, 11, 2, 9, 0),
        ),
        // No progress 24 hours after assignment.
        DubanItem {
            deadline: Some(shanghai(2026, 12, 31, 18, 0)),
            assigned_at: Some(shanghai(2026, 11, 19, 9, 0)),
            ..base()
        },
        // Assigned 12 hours ago, no progress yet: green.
        DubanItem {
            deadline: Some(shanghai(2026, 12, 31, 18, 0)),
            assigned_at: Some(shanghai(2026, 11, 20, 21, 0)),
            ..base()
        },
        // Weekly report late; and one on time.
        with_progress(
            DubanItem {
                deadline: Some(shanghai(2026, 12, 31, 18, 0)),
                feedback_cycle: duyan_shared::records::FeedbackCycle::Weekly,
                ..base()
            },
            shanghai(2026, 11, 10, 9, 0),
        ),
        with_progress(
            DubanItem {
                deadline: Some(shanghai(2026, 12, 31, 18, 0)),
                feedback_cycle: duyan_shared::records::FeedbackCycle::Monthly,
                ..base()
            },
            shanghai(2026, 11, 10, 9, 0),
        ),
        // Not open: no light, even when past its deadline.
        DubanItem {
            status: DubanStatus::Closed,
            deadline: Some(shanghai(2026, 11, 1, 18, 0)),
            reviews: vec![Review {
                id: "r1".into(),
                at: shanghai(2026, 11, 1, 12, 0),
                by: sup.id.clone(),
                withdrawn: None,
                verdict: Verdict::Pass,
                opinion: "同意办结".into(),
            }],
            ..base()
        },
        // No deadline at all.
        with_progress(
            DubanItem {
                deadline: None,
                ..base()
            },
            shanghai(2026, 11, 2, 9, 0),
        ),
    ];
    let at = shanghai(2026, 11, 21, 9, 0);
    let mut expected: Vec<(String, Option<Light>)> = Vec::new();
    for i in items {
        let light = derived::light(&i, at);
        let (id, _) = app.put(i, &sup.id).await;
        expected.push((id.to_string(), light));
    }
    // Every light occurs, so the test means something.
    for light in Light::ALL {
        assert!(expected.iter().any(|(_, l)| *l == Some(*light)), "{light}");
    }
    for light in Light::ALL {
        let want: HashSet<String> = expected
            .iter()
            .filter(|(_, l)| *l == Some(*light))
            .map(|(id, _)| id.clone())
            .collect();
        let got = as_set(
            app.ids(&sup, &format!("?light={light}&at={}", at.millis()))
                .await,
        );
        assert_eq!(got, want, "light={light}");
    }
    // And each item says its light.
    let (_, body) = app.get(&sup, &format!("?at={}", at.millis())).await;
    for item in body["items"].as_array().unwrap() {
        let (_, light) = expected
            .iter()
            .find(|(id, _)| id == item["id"].as_str().unwrap())
            .unwrap();
        assert_eq!(item["light"].as_str(), light.map(|l| l.as_str()), "{item}");
    }
}

/// The light filter is range conditions on the stored `yellow_after` and `deadline`
/// (migration 0007), not `record_light` itself: it must agree with `derived::light` to the
/// millisecond on both sides of every instant where a light changes.
#[sqlx::test(migrations = "./migrations")]
async fn the_light_filter_is_exact_at_every_boundary(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], None).await;
    let base = || DubanItem {
        feedback_cycle: duyan_shared::records::FeedbackCycle::None,
        progress: vec![progress("p1", shanghai(2026, 11, 2, 9, 0))],
        ..item("事项", "plant-1", "u-zhang", &sup.id)
    };
    let deadline = shanghai(2026, 11, 24, 23, 59);
    let milestone_due = shanghai(2026, 11, 15, 18, 0);
    let assigned = shanghai(2026, 11, 19, 9, 0);
    let items = [
        // Due soon from the start of 2026-11-21 in Asia/Shanghai, red after its deadline.
        DubanItem {
            deadline: Some(deadline),
            ..base()
        },
        // Yellow after a milestone's due time.
        DubanItem {
            deadline: Some(shanghai(2027, 3, 1, 18, 0)),
            milestones: vec![Milestone {
                id: "m1".into(),
                title: "方案".into(),
                due: milestone_due,
                done_at: None,
            }],
            ..base()
        },
        // No deadline; yellow 24 hours after assignment without progress.
        DubanItem {
            deadline: None,
            assigned_at: Some(assigned),
            progress: vec![],
            ..base()
        },
        // Due on a day boundary itself: due soon from the start of 2026-11-25.
        DubanItem {
            deadline: Some(shanghai(2026, 11, 28, 0, 0)),
            ..base()
        },
    ];
    let mut ids = Vec::new();
    for i in &items {
        ids.push(app.put(i.clone(), &sup.id).await.0.to_string());
    }
    let ms = |t: Timestamp, delta: i64| {
        t.checked_add(chrono::TimeDelta::milliseconds(delta))
            .unwrap()
    };
    let boundaries = [
        shanghai(2026, 11, 21, 0, 0),
        deadline,
        milestone_due,
        ms(assigned, 24 * 3_600_000),
        shanghai(2026, 11, 25, 0, 0),
        shanghai(2026, 11, 28, 0, 0),
    ];
    let mut seen = HashSet::new();
    for at in boundaries.iter().flat_map(|b| [ms(*b, -1), *b, ms(*b, 1)]) {
        for light in Light::ALL {
            let want: HashSet<String> = items
                .iter()
                .zip(&ids)
                .filter(|(i, _)| derived::light(i, at) == Some(*light))
                .map(|(_, id)| id.clone())
                .collect();
            let got = as_set(
                app.ids(&sup, &format!("?light={light}&at={}", at.millis()))
                    .await,
            );
            assert_eq!(got, want, "light={light} at {at:?}");
            seen.extend(want.into_iter().map(|id| (id, *light)));
        }
    }
    // Each item has been seen in two lights at least, so every boundary was crossed.
    for id in &ids {
        assert!(
            seen.iter().filter(|(i, _)| i == id).count() >= 2,
            "{id}: {seen:?}"
        );
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn cursor_paging_neither_repeats_nor_skips(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], None).await;
    let mut all = Vec::new();
    for n in 0..11_u32 {
        // Several share a deadline, some have none: the id breaks ties.
        let deadline = (n % 4 != 3).then(|| shanghai(2026, 12, 1 + n % 3, 18, 0));
        let (id, _) = app
            .put(
                DubanItem {
                    deadline,
                    ..item(&format!("事项{n}"), "plant-1", "u-zhang", &sup.id)
                },
                &sup.id,
            )
            .await;
        all.push(id.to_string());
    }
    let mut listed = Vec::new();
    let mut query = "?limit=4".to_owned();
    let mut pages = 0;
    loop {
        let (status, body) = app.get(&sup, &query).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let page = ids_of(&body);
        assert!(page.len() <= 4);
        listed.extend(page);
        pages += 1;
        match body["next_cursor"].as_str() {
            Some(cursor) => query = format!("?limit=4&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(listed.len(), all.len(), "no item twice");
    assert_eq!(as_set(listed.clone()), as_set(all), "none skipped");
    // The same order as one page of everything.
    let (_, body) = app.get(&sup, "?limit=200").await;
    assert_eq!(ids_of(&body), listed);
}

#[sqlx::test(migrations = "./migrations")]
async fn each_caller_sees_what_they_may_read(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let leader = app.user("wang", &[Role::Leader], None).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let other = app.user("zhao", &[Role::Handler], Some("chem")).await;
    let viewer = app.user("qian", &[Role::Viewer], Some("refinery")).await;
    let chen = app.user("chen", &[Role::Researcher], Some("office")).await;

    let (plant2, _) = app
        .put(item("二号厂区事项", "plant-2", &zhang.id, &sup.id), &sup.id)
        .await;
    let (plant1, _) = app
        .put(
            item("一号厂区事项", "plant-1", "u-nobody", &sup.id),
            &sup.id,
        )
        .await;
    let (chem, _) = app
        .put(
            DubanItem {
                co_units: vec!["plant-2".into()],
                ..item("化工厂事项", "chem", &other.id, &sup.id)
            },
            &sup.id,
        )
        .await;
    let (topic, _) = app.put(research(&chen.id, "office"), &chen.id).await;

    let everything = set(&[&plant2, &plant1, &chem, &topic]);
    assert_eq!(as_set(app.ids(&leader, "").await), everything);
    assert_eq!(as_set(app.ids(&sup, "").await), everything);
    // Another unit's handler sees nothing of plant 2's items: only their own.
    assert_eq!(app.ids(&other, "").await, vec![chem.to_string()]);
    // Under plant 2: only the item plant 2 co-operates on, which is theirs.
    assert_eq!(
        app.ids(&other, "?unit=plant-2").await,
        vec![chem.to_string()]
    );
    // Plant 2's handler: their item, and the one plant 2 co-operates on.
    assert_eq!(as_set(app.ids(&zhang, "").await), set(&[&plant2, &chem]));
    assert_eq!(
        app.ids(&zhang, "?mine=true").await,
        vec![plant2.to_string()]
    );
    // A viewer of the refinery sees its plants'.
    assert_eq!(
        as_set(app.ids(&viewer, "").await),
        set(&[&plant2, &plant1, &chem])
    );
    assert!(app.ids(&viewer, "?mine=true").await.is_empty());
    // The researcher: their topic, which is also "mine".
    assert_eq!(app.ids(&chen, "?mine=true").await, vec![topic.to_string()]);
    assert_eq!(
        as_set(app.ids(&sup, "?mine=true").await),
        set(&[&plant2, &plant1, &chem])
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn a_damaged_document_is_listed_with_its_reason(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], None).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let other = app.user("zhao", &[Role::Handler], Some("plant-2")).await;

    // A 督办事项 with nothing but its header.
    let mut doc = new_document();
    automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "type", "duban").unwrap();
    automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "schema_version", 1_i64)
        .unwrap();
    let id = DocumentId::from_bytes(rand::random());
    app.store.create(id, doc.save()).await.unwrap();
    app.store.claim(id, zhang.id.clone()).await.unwrap();
    app.project(id, &mut doc, &zhang.id).await;
    // And an empty document, which is not listed at all.
    let empty = DocumentId::from_bytes(rand::random());
    let mut blank = new_document();
    blank.commit();
    app.project(empty, &mut blank, &zhang.id).await;

    for caller in [&sup, &zhang] {
        let (_, body) = app.get(caller, "").await;
        let items = body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{body}");
        assert_eq!(items[0]["id"], id.to_string());
        let reason = items[0]["damaged"].as_str().unwrap();
        assert!(reason.starts_with("malformed duban record"), "{reason}");
        assert!(items[0]["title"].is_null());
    }
    // Only its owner and those who read everything may read a damaged document.
    assert!(app.ids(&other, "").await.is_empty());
}

#[sqlx::test(migrations = "./migrations")]
async fn invalid_parameters_are_400_in_the_api_shape(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], None).await;
    for query in [
        "?type=memo",
        "?status=done",
        "?type=duban&status=fieldwork",
        "?light=blue",
        "?level=top",
        "?limit=0",
        "?limit=201",
        "?limit=ten",
        "?mine=yes",
        "?due_before=next%20week",
        "?cursor=garbage",
        "?colour=red",
    ] {
        let (status, body) = app.get(&sup, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(
            body["error"]["code"], "invalid_parameter",
            "{query}: {body}"
        );
        assert!(body["error"]["message"].is_string());
    }
    let (status, _) = app.get(&sup, "?limit=200&mine=false").await;
    assert_eq!(status, StatusCode::OK);
    let anonymous = Caller {
        id: String::new(),
        token: "not a token".into(),
    };
    let (status, body) = app.get(&anonymous, "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

/// Every row, as JSON, without the time it was written.
async fn projection_rows(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("select (to_jsonb(r) - 'updated_at')::text from records r order by id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn reindex_rebuilds_what_incremental_updates_built(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], None).await;
    let chen = app.user("chen", &[Role::Researcher], None).await;
    let (first, mut doc) = app
        .put(item("二号厂区事项", "plant-2", "u-zhang", &sup.id), &sup.id)
        .await;
    // Changes stored as increments after the snapshot, each projected as it is stored.
    app.change(first, &mut doc, &sup.id, |i| {
        i.progress
            .push(progress("p9", shanghai(2026, 11, 20, 10, 0)));
        i.deadline = Some(shanghai(2026, 12, 5, 18, 0));
    })
    .await;
    app.change(first, &mut doc, &sup.id, |i| {
        i.status = DubanStatus::ClosingRequested;
        i.title = "二号厂区阀井污水整改".into();
    })
    .await;
    let (_, _) = app
        .put(item("一号厂区事项", "plant-1", "u-zhang", &sup.id), &sup.id)
        .await;
    let _ = app.put(research(&chen.id, "office"), &chen.id).await;

    // The last change really is in an increment, and the stored document reads as projected.
    let stored = app.store.load(first).await.unwrap().unwrap();
    assert_eq!(stored.increments.len(), 2);
    let mut reloaded = load_document(&stored.snapshot).unwrap();
    for increment in &stored.increments {
        reloaded.load_incremental(&increment.data).unwrap();
    }
    let Record::Duban(now) = Record::from_doc(&reloaded).unwrap() else {
        panic!()
    };
    assert_eq!(now.title, "二号厂区阀井污水整改");

    let incremental = projection_rows(&app.pool).await;
    assert_eq!(incremental.len(), 3);
    assert!(incremental[0].contains("\"kind\""));

    sqlx::query("truncate records")
        .execute(&app.pool)
        .await
        .unwrap();
    // A stale row of a document that no longer exists goes too.
    app.project(DocumentId::from_bytes(rand::random()), &mut doc, &sup.id)
        .await;
    let done = projection::reindex(&app.pool).await.unwrap();
    assert_eq!((done.documents, done.rows, done.removed), (3, 3, 1));
    assert_eq!(projection_rows(&app.pool).await, incremental);
}
