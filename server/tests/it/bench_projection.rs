//! Benchmark of the projection and the list, not a test: ignored, so `cargo test` only builds
//! it. Run it (numbers and machine in `BENCHMARKS.md`, "The records list and the projection"):
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres SQLX_OFFLINE=true \
//!   cargo test -p duyan --test it bench_projection -- --ignored --nocapture
//! ```
//!
//! It projects 100,000 synthetic 督办事项 (Chinese titles, details and progress texts built
//! from the words of the domain) through `projection::project`, then asks `GET /api/records`
//! through the real router, as a unit's handler and as an admin, with mixed filters and
//! searches of 2 and 4 Chinese characters, and prints p50/p95 latencies; then the cost of one
//! `project()` of a changed record on the full table.
//!
//! Filling takes minutes. While iterating on queries, `DUYAN_BENCH_DATABASE_URL` names a
//! database (create it empty) that is filled on the first run and reused by later ones, with
//! the migrations applied each time; without it every run fills a fresh database.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{Caller, TestApp, test_app};
use autosurgeon::Text;
use axum::http::StatusCode;
use duyan::access::{Content, View};
use duyan::projection;
use duyan::users::{self, UnitRow};
use duyan_shared::records::{DubanStatus, FeedbackCycle, Record};
use duyan_shared::rules::Role;
use duyan_shared::samples::{duban_item, progress, shanghai};
use duyan_shared::{DocumentId, DubanItem, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::PgPool;

const RECORDS: usize = 100_000;
const WRITERS: usize = 4;
const ROUNDS: usize = 10;
const UPDATES: usize = 2_000;

const PLACES: [&str; 12] = [
    "一号厂区",
    "二号厂区",
    "阀井",
    "污水处理站",
    "储罐区",
    "装卸站",
    "配电室",
    "锅炉房",
    "成品仓库",
    "职工食堂",
    "循环水场",
    "火炬区",
];
const PROBLEMS: [&str; 12] = [
    "固体废物未清运",
    "污水外溢",
    "杂草未清理",
    "消防通道堵塞",
    "安全标识缺失",
    "管线腐蚀",
    "隐患排查不到位",
    "台账记录不全",
    "设备漏油",
    "噪声超标",
    "照明损坏",
    "防护栏缺失",
];
const ACTIONS: [&str; 8] = [
    "限期整改",
    "专项检查",
    "加强巡查",
    "建立台账",
    "完善制度",
    "组织培训",
    "落实责任",
    "闭环管理",
];
const STATUSES: [(DubanStatus, u32); 7] = [
    (DubanStatus::Draft, 5),
    (DubanStatus::Assigned, 10),
    (DubanStatus::InProgress, 50),
    (DubanStatus::ClosingRequested, 10),
    (DubanStatus::Closed, 15),
    (DubanStatus::Evaluated, 5),
    (DubanStatus::Suspended, 5),
];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn sentence(rng: &mut StdRng) -> String {
    format!(
        "{}{}，要求{}，{}。",
        pick(rng, &PLACES),
        pick(rng, &PROBLEMS),
        pick(rng, &ACTIONS),
        pick(rng, &ACTIONS)
    )
}

/// A plausible 督办事项: one of 58 units, one of 200 handlers (sometimes `me`), a deadline
/// within a few months of `now`, up to five progress reports.
fn synthetic(rng: &mut StdRng, n: usize, units: &[String], me: &str, now: Timestamp) -> DubanItem {
    let day = |d: i64| now.checked_add(chrono::TimeDelta::hours(d)).unwrap();
    let weight: u32 = rng.random_range(0..100);
    let mut acc = 0;
    let status = STATUSES
        .iter()
        .find(|(_, w)| {
            acc += w;
            weight < acc
        })
        .map_or(DubanStatus::InProgress, |(s, _)| *s);
    let handler = if rng.random_range(0..200) == 0 {
        me.to_owned()
    } else {
        format!("u-{}", rng.random_range(0..200))
    };
    let created = day(-rng.random_range(24..24 * 180));
    let progress = (0..rng.random_range(0..6))
        .map(|i| {
            let mut p = progress(&format!("p{i}"), day(-rng.random_range(1..24 * 60)));
            p.text = sentence(rng);
            p
        })
        .collect();
    DubanItem {
        doc_no: Some(format!("督字〔2026〕{n}号")),
        title: format!(
            "{}{}{}",
            pick(rng, &PLACES),
            pick(rng, &PROBLEMS),
            pick(rng, &ACTIONS)
        ),
        detail: Text::with_value((0..3).map(|_| sentence(rng)).collect::<Vec<_>>().concat()),
        lead_unit: Some(pick(rng, units).clone()),
        co_units: vec![pick(rng, units).clone()],
        handlers: vec![handler],
        supervisors: vec![format!("u-sup-{}", rng.random_range(0..10))],
        created_by: "u-sup-0".into(),
        created_at: created,
        assigned_at: Some(created),
        deadline: (rng.random_range(0..10) > 0).then(|| day(rng.random_range(-24 * 60..24 * 120))),
        feedback_cycle: *pick(
            rng,
            &[
                FeedbackCycle::None,
                FeedbackCycle::Weekly,
                FeedbackCycle::Biweekly,
                FeedbackCycle::Monthly,
            ],
        ),
        status,
        progress,
        ..duban_item()
    }
}

fn view(item: DubanItem) -> View {
    View {
        owner: Some("u-sup-0".into()),
        content: Content::Record(Record::Duban(item)),
    }
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn summary(label: &str, mut times: Vec<Duration>) {
    times.sort_unstable();
    println!(
        "{label:<44} n={:<5} p50={:>8.2?} p95={:>8.2?} max={:>8.2?}",
        times.len(),
        percentile(&times, 50),
        percentile(&times, 95),
        times[times.len() - 1]
    );
}

/// Fills the table: [`WRITERS`] tasks, each projecting its share.
async fn fill(pool: &PgPool, units: &Arc<Vec<String>>, me: &str, now: Timestamp) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let (pool, units, me) = (pool.clone(), units.clone(), me.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(w as u64);
            for n in (w..RECORDS).step_by(WRITERS) {
                let item = synthetic(&mut rng, n, &units, &me, now);
                let id = DocumentId::from_bytes(rng.random());
                projection::project(&pool, id, &view(item)).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let fill = started.elapsed();
    println!(
        "projected {RECORDS} records with {WRITERS} writers in {fill:.1?} ({:.0} rows/s)",
        RECORDS as f64 / fill.as_secs_f64()
    );
}

/// The database to reuse, if `DUYAN_BENCH_DATABASE_URL` names one: migrated, and emptied of
/// units and users' units so the setup below can make them again. Returns it and whether it
/// already holds the records.
async fn reused_database() -> Option<(PgPool, bool)> {
    let url = std::env::var("DUYAN_BENCH_DATABASE_URL").ok()?;
    let pool = PgPool::connect(&url).await.unwrap();
    sqlx::migrate!("./migrations").run(&pool).await.unwrap();
    let rows: i64 = sqlx::query_scalar("select count(*) from records")
        .fetch_one(&pool)
        .await
        .unwrap();
    let filled = rows >= RECORDS as i64;
    if filled {
        println!("reusing the {rows} records of {url}");
        for sql in ["update users set unit_id = null", "delete from units"] {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
    } else {
        assert_eq!(rows, 0, "{url} is neither empty nor filled");
    }
    Some((pool, filled))
}

/// A signed-in caller: created, or in a reused database found by username and put back in
/// `unit` (its id is named in the records, so it must stay the same).
async fn caller(app: &TestApp, name: &str, roles: &[Role], unit: Option<&str>) -> Caller {
    let existing: Option<String> = sqlx::query_scalar("select id from users where username = $1")
        .bind(name)
        .fetch_optional(&app.pool)
        .await
        .unwrap();
    let Some(id) = existing else {
        return app.user(name, roles, unit).await;
    };
    sqlx::query("update users set unit_id = $2 where id = $1")
        .bind(&id)
        .bind(unit)
        .execute(&app.pool)
        .await
        .unwrap();
    app.state.directory.refresh().await.unwrap();
    let (token, _) = app
        .state
        .auth
        .issue_access(&id, &format!("session-{name}"))
        .unwrap();
    Caller { id, token }
}

#[sqlx::test(migrations = "./migrations")]
#[ignore = "a benchmark: run with --ignored --nocapture"]
async fn list_and_projection_over_100k_records(pool: PgPool) {
    let (pool, filled) = reused_database().await.unwrap_or((pool, false));
    let app = test_app(pool.clone()).await;
    // 50 workshops below the plants and the chemical plant: 55 units in all.
    let parents = ["plant-1", "plant-2", "chem"];
    for n in 0..50 {
        users::create_unit(
            &pool,
            &UnitRow {
                id: format!("ws-{n}"),
                name: format!("第{n}车间"),
                parent_id: Some(parents[n % 3].into()),
            },
        )
        .await
        .unwrap();
    }
    let handler = caller(&app, "zhang", &[Role::Handler], Some("plant-2")).await;
    let admin = caller(&app, "root", &[Role::Admin], None).await;
    let mut units: Vec<String> = ["refinery", "plant-1", "plant-2", "chem", "office"]
        .into_iter()
        .map(Into::into)
        .collect();
    units.extend((0..50).map(|n| format!("ws-{n}")));
    let now = shanghai(2026, 11, 21, 9, 0);

    let units = Arc::new(units);
    if !filled {
        fill(&pool, &units, &handler.id, now).await;
    }
    sqlx::query("vacuum analyze records")
        .execute(&pool)
        .await
        .unwrap();

    let at = now.millis();
    let queries = [
        "".to_owned(),
        "?q=阀井".into(),
        "?q=漏油".into(),
        "?q=污水外溢".into(),
        "?q=消防通道".into(),
        "?unit=plant-1".into(),
        "?light=red".into(),
        "?status=in_progress&light=yellow".into(),
        "?mine=true".into(),
        "?q=整改&unit=refinery&light=red".into(),
    ];
    let callers: [(&str, &Caller); 2] = [("handler (plant-2)", &handler), ("admin", &admin)];
    let mut all = Vec::new();
    for (who, caller) in callers {
        let mut per_query: Vec<Vec<Duration>> = vec![Vec::new(); queries.len()];
        for _ in 0..ROUNDS {
            for (i, query) in queries.iter().enumerate() {
                let sep = if query.is_empty() { "?" } else { "&" };
                let started = Instant::now();
                let (status, body) = app.get(caller, &format!("{query}{sep}at={at}")).await;
                per_query[i].push(started.elapsed());
                assert_eq!(status, StatusCode::OK, "{body}");
            }
        }
        for (query, times) in queries.iter().zip(&per_query) {
            let shown = if query.is_empty() {
                "(no filter)"
            } else {
                query
            };
            summary(&format!("{who}: {shown}"), times.clone());
            all.extend(times.iter().copied());
        }
    }
    summary("all list queries", all);

    // One change of a record on the full table: what the document task pays after a write.
    let mut rng = StdRng::seed_from_u64(99);
    let mut ids = Vec::new();
    for n in 0..UPDATES {
        let id = DocumentId::from_bytes(rng.random());
        let item = synthetic(&mut rng, RECORDS + n, &units, &handler.id, now);
        projection::project(&pool, id, &view(item)).await.unwrap();
        ids.push(id);
    }
    let mut row_of = Vec::new();
    let mut project = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let mut item = synthetic(&mut rng, RECORDS + n, &units, &handler.id, now);
        item.progress.push(progress(
            "p-new",
            now.checked_add(chrono::TimeDelta::minutes(1)).unwrap(),
        ));
        let view = view(item);
        let started = Instant::now();
        let row = projection::Row::of(&view);
        row_of.push(started.elapsed());
        assert!(row.is_some());
        let started = Instant::now();
        projection::project(&pool, *id, &view).await.unwrap();
        project.push(started.elapsed());
    }
    summary("Row::of (the pure part)", row_of);
    summary("project() of a changed record", project);
}
