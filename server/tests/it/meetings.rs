//! 会议 on real PostgreSQL: who reads a meeting through the list and the record routes, and
//! closing one, which applies each disposition to its item once, in the chair's name.

use crate::common::{Caller, TestApp, as_set, item, set, test_app};
use automerge::AutoCommit;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use duyan::access::View;
use duyan_shared::records::{
    AgendaItem, Disposition, DispositionKind, DubanStatus, Meeting, MeetingStatus, Record,
    load_document,
};
use duyan_shared::rules::Role;
use duyan_shared::samples::{meeting, shanghai};
use duyan_shared::{DocumentId, DubanItem};
use sqlx::PgPool;
use tower::ServiceExt;

fn agenda_entry(id: &str, record: DocumentId, item: &DubanItem, by: &str) -> AgendaItem {
    AgendaItem {
        id: id.into(),
        at: shanghai(2026, 11, 20, 9, 0),
        by: by.into(),
        record,
        title: item.title.clone(),
        lead_unit: item.lead_unit.clone(),
        status: item.status,
        light: Some("green".into()),
        deadline: item.deadline,
        latest_progress: None,
    }
}

fn disposition(id: &str, agenda_id: &str, kind: DispositionKind, by: &str) -> Disposition {
    Disposition {
        id: id.into(),
        at: shanghai(2026, 11, 20, 9, 30),
        by: by.into(),
        agenda_id: agenda_id.into(),
        kind,
        new_deadline: (kind == DispositionKind::Reschedule).then(|| shanghai(2026, 12, 31, 18, 0)),
        note: None,
    }
}

async fn stored(app: &TestApp, id: DocumentId) -> AutoCommit {
    use duyan::storage::DocStore;
    let doc = app.store.load(id).await.unwrap().unwrap();
    let mut loaded = load_document(&doc.snapshot).unwrap();
    for increment in &doc.increments {
        loaded.load_incremental(&increment.data).unwrap();
    }
    loaded
}

async fn duban(app: &TestApp, id: DocumentId) -> DubanItem {
    match Record::from_doc(&stored(app, id).await).unwrap() {
        Record::Duban(item) => item,
        other => panic!("not an item: {other:?}"),
    }
}

/// Two items of two units, and a 周会 on both chaired by `chair`, prepared by `sup`, with
/// `attendees`.
async fn setup(
    app: &TestApp,
    sup: &Caller,
    chair: &Caller,
    attendees: &[&Caller],
    zhang: &Caller,
    wu: &Caller,
) -> (DocumentId, DocumentId, DocumentId, Meeting) {
    let plant = item("二号厂区固废清运", "plant-2", &zhang.id, &sup.id);
    let chem = item("化工厂阀井排查", "chem", &wu.id, &sup.id);
    let (a, _) = app.put(plant.clone(), &sup.id).await;
    let (b, _) = app.put(chem.clone(), &sup.id).await;
    let m = Meeting {
        chair: chair.id.clone(),
        attendees: attendees.iter().map(|c| c.id.clone()).collect(),
        unit: "office".into(),
        created_by: sup.id.clone(),
        agenda: vec![
            agenda_entry("a1", a, &plant, &sup.id),
            agenda_entry("a2", b, &chem, &sup.id),
        ],
        ..meeting()
    };
    let (id, _) = app.put(m.clone(), &sup.id).await;
    (id, a, b, m)
}

#[sqlx::test(migrations = "./migrations")]
async fn a_meeting_is_read_by_the_people_it_names_and_by_those_who_read_everything(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let leader = app.user("wang", &[Role::Leader], None).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let wu = app.user("wu", &[Role::Handler], Some("chem")).await;
    // Of the unit holding the meeting, but not named in it: a meeting is read by name only.
    let clerk = app.user("qian", &[Role::Viewer], Some("office")).await;
    let (m, a, b, _) = setup(&app, &sup, &leader, &[&zhang], &zhang, &wu).await;

    for caller in [&sup, &leader, &zhang] {
        assert_eq!(
            as_set(app.ids(caller, "?type=meeting").await),
            set(&[&m]),
            "{}",
            caller.id
        );
        let (status, body) = app.get_json(caller, &format!("/api/records/{m}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["type"], "meeting", "{body}");
    }
    // The chem handler reads neither the meeting nor, through it, the plant's item.
    for caller in [&wu, &clerk] {
        assert!(app.ids(caller, "?type=meeting").await.is_empty());
        assert!(app.ids(caller, "?q=二号厂区").await.is_empty());
        for path in [
            format!("/api/records/{m}"),
            format!("/api/records/{m}/history"),
        ] {
            let (status, _) = app.get_json(caller, &path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{} {path}", caller.id);
        }
    }
    assert_eq!(as_set(app.ids(&wu, "").await), set(&[&b]));
    assert!(app.ids(&clerk, "").await.is_empty());
    // Status filters know the meeting's statuses.
    assert_eq!(
        as_set(app.ids(&sup, "?type=meeting&status=open").await),
        set(&[&m])
    );
    assert!(
        app.ids(&sup, "?type=meeting&status=closed")
            .await
            .is_empty()
    );
    let (status, _) = app.get(&sup, "?type=meeting&status=in_progress").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A search finds a meeting by an agenda title, for those who read it.
    assert_eq!(
        as_set(app.ids(&zhang, "?type=meeting&q=化工厂").await),
        set(&[&m])
    );
    let _ = a;

    for path in [
        "/api/records?type=meeting".to_owned(),
        format!("/api/records/{m}"),
        format!("/api/records/{m}/history"),
    ] {
        let response = app
            .router
            .clone()
            .oneshot(Request::builder().uri(&path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn closing_applies_each_disposition_once_in_the_chairs_name(pool: PgPool) {
    let app = test_app(pool.clone()).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let leader = app.user("wang", &[Role::Leader], None).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let wu = app.user("wu", &[Role::Handler], Some("chem")).await;
    let (m, a, b, meeting) = setup(&app, &sup, &leader, &[], &zhang, &wu).await;
    let hub = &app.state.hub;
    let now = shanghai(2026, 11, 20, 10, 0);

    // Open: nothing to apply yet.
    assert_eq!(duyan::meetings::apply(&pool, hub, m, now).await.unwrap(), 0);

    let mut doc = stored(&app, m).await;
    let heads = doc.get_heads();
    let closed = Meeting {
        status: MeetingStatus::Closed,
        dispositions: vec![
            disposition("d1", "a1", DispositionKind::Continue, &sup.id),
            // The later one counts.
            Disposition {
                at: shanghai(2026, 11, 20, 9, 40),
                ..disposition("d2", "a1", DispositionKind::Close, &leader.id)
            },
            disposition("d3", "a2", DispositionKind::Reschedule, &sup.id),
        ],
        ..meeting
    };
    Record::Meeting(closed).write_to(&mut doc).unwrap();
    {
        use duyan::storage::DocStore;
        app.store.append(m, doc.save_after(&heads)).await.unwrap();
    }
    app.project(m, &mut doc, &sup.id).await;
    assert!(duyan::meetings::has_pending(&View::of(
        doc.document(),
        None
    )));

    assert_eq!(duyan::meetings::apply(&pool, hub, m, now).await.unwrap(), 2);
    // Again (a second closing client, a restart): nothing more.
    assert_eq!(duyan::meetings::apply(&pool, hub, m, now).await.unwrap(), 0);

    let plant = duban(&app, a).await;
    assert_eq!(plant.status, DubanStatus::Closed);
    assert_eq!(plant.reviews.len(), 1, "closed once");
    assert_eq!(plant.reviews[0].by, leader.id);
    let chem = duban(&app, b).await;
    assert_eq!(chem.deadline, Some(shanghai(2026, 12, 31, 18, 0)));
    assert_eq!(chem.status, DubanStatus::InProgress);
    let Record::Meeting(marked) = Record::from_doc(&stored(&app, m).await).unwrap() else {
        panic!("not a meeting")
    };
    let marks: Vec<(&str, &str, &str)> = marked
        .applied
        .iter()
        .map(|x| (x.id.as_str(), x.disposition_id.as_str(), x.by.as_str()))
        .collect();
    assert_eq!(
        marks,
        [
            ("a1", "d2", leader.id.as_str()),
            ("a2", "d3", leader.id.as_str())
        ]
    );
    assert!(!duyan::meetings::has_pending(&View::of(
        stored(&app, m).await.document(),
        None
    )));

    // Each item's history names the chair as the author of the meeting's change, once.
    for id in [a, b] {
        let (status, history) = app
            .get_json(&sup, &format!("/api/records/{id}/history"))
            .await;
        assert_eq!(status, StatusCode::OK, "{history}");
        let by_chair: Vec<_> = history["changes"]
            .as_array()
            .unwrap_or_else(|| panic!("no changes in {history}"))
            .iter()
            .filter(|c| c["user"]["id"] == leader.id.as_str())
            .collect();
        assert_eq!(by_chair.len(), 1, "{history}");
    }
}
