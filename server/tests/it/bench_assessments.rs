//! Benchmark of `GET /api/assessments`, not a test: ignored, so `cargo test` only builds it.
//! Numbers and machine in `BENCHMARKS.md`, "The 考核 (assessments)":
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres SQLX_OFFLINE=true \
//!   cargo test -p duyan --test it bench_assessments -- --ignored --nocapture
//! ```
//!
//! It seeds 100,000 督办事项 rows straight into the projection (`records`; the 考核 reads only
//! the projection, so documents would add minutes of filling and nothing to the measurement)
//! over 200 units, spread over 2026 with every kind of fact (overdue, closed early, returned,
//! evaluated 优秀, late reports, co-operating units), then asks for the 2026-Q4 assessment
//! through the real router as an admin (all units) and as a unit's handler (one row), and
//! prints p50/p95.

use std::time::{Duration, Instant};

use crate::common::test_app;
use axum::http::StatusCode;
use duyan::users::{self, UnitRow};
use duyan_shared::rules::Role;
use duyan_shared::samples::shanghai;
use sqlx::PgPool;

const ITEMS: i64 = 100_000;
const UNITS: usize = 200;
const ROUNDS: usize = 20;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    // Nearest rank; ROUNDS is small and exact.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[sqlx::test(migrations = "./migrations")]
#[ignore = "a benchmark: run with --ignored --nocapture"]
async fn bench_assessments(pool: PgPool) {
    for n in 0..UNITS {
        users::create_unit(
            &pool,
            &UnitRow {
                id: format!("u{n:03}"),
                name: format!("单位{n:03}"),
                parent_id: None,
            },
        )
        .await
        .unwrap();
    }
    let app = test_app(pool.clone()).await;
    let admin = app.user("root", &[Role::Admin], None).await;
    let handler = app.user("zhang", &[Role::Handler], Some("u007")).await;
    let started = Instant::now();
    // Assigned over 2026, due 10 to 90 days later; a third closed (some early), a tenth with
    // a co-operating unit, returns and 优秀 scattered. Deterministic: every fact follows `i`.
    sqlx::query(
        "insert into records (id, kind, title, status, is_open, level, lead_unit, co_units,
                              created_at, assigned_at, deadline, closed_at, feedback_cycle,
                              feedback_due, progress_ats, returned_ats, rating, evaluated_at)
         select 'bench-' || i, 'duban', '事项' || i,
                case when i % 3 = 0 then 'closed' else 'in_progress' end, i % 3 <> 0, 'company',
                'u' || lpad((i % $2)::text, 3, '0'),
                case when i % 10 = 0 then array['u' || lpad(((i + 1) % $2)::text, 3, '0')]
                     else '{}' end,
                a, a, a + ((10 + i % 80) || ' days')::interval,
                case when i % 3 = 0 then a + ((5 + i % 90) || ' days')::interval end,
                'weekly',
                case when i % 3 <> 0 then a + ((7 + i % 60) || ' days')::interval end,
                array[a + ((i % 40) || ' hours')::interval],
                case when i % 7 = 0 then array[a + '3 days'::interval] else '{}' end,
                case when i % 3 = 0 and i % 4 = 0 then 'excellent' end,
                case when i % 3 = 0 and i % 4 = 0 then a + ((6 + i % 90) || ' days')::interval end
         from generate_series(1, $1) as i,
              lateral (select 'epoch'::timestamptz + $3::int8 * interval '1 millisecond' + ((i % 360) || ' days')::interval as a) t",
    )
    .bind(ITEMS)
    .bind(i64::try_from(UNITS).unwrap())
    .bind(shanghai(2026, 1, 1, 9, 0).millis())
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("analyze records").execute(&pool).await.unwrap();
    println!(
        "seeded {ITEMS} items over {UNITS} units in {:?}",
        started.elapsed()
    );

    let at = shanghai(2026, 12, 31, 12, 0).millis();
    let path = format!("/api/assessments?period=2026-Q4&at={at}");
    // The admin sees every unit: ours and the five of `test_app`.
    for (who, caller, rows) in [("admin", &admin, UNITS + 5), ("handler", &handler, 1)] {
        let mut times = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let start = Instant::now();
            let (status, body) = app.get_json(caller, &path).await;
            times.push(start.elapsed());
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["units"].as_array().unwrap().len(), rows);
        }
        times.sort();
        println!(
            "GET /api/assessments?period=2026-Q4 as {who}: p50 {:?}, p95 {:?}, max {:?}",
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            times[ROUNDS - 1]
        );
    }
}
