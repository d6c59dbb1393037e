//! Benchmark of the documents of a large record, not a test: ignored, so `cargo test` only
//! builds it. Run it (figures and machine in `BENCHMARKS.md`, "Documents"):
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres SQLX_OFFLINE=true \
//!   cargo test -p duyan --test it bench_documents -- --ignored --nocapture
//! ```
//!
//! A 督办事项 and a 调研记录 of 200 entries each with 50 photos (2560 x 1920 JPEG, the size the
//! app uploads), uploaded through `PUT /api/blobs` into PostgreSQL; then `GET
//! /api/records/{id}/document.docx` through the real router, timed from request to the last
//! byte: the first download and the median of the next five. Each upload makes its photo's
//! rendition in the background (`api::renditions`); the benchmark waits for them, and prints how
//! long they took after the last upload. No timing is asserted.

use std::io::Cursor;
use std::time::{Duration, Instant};

use crate::common::test_app;
use crate::documents::{call, sha256};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use duyan_shared::records::{Finding, PhotoRef, SiteCheck, Visit};
use duyan_shared::rules::Role;
use duyan_shared::samples::{duban_item, photo, progress, research_record, shanghai};
use image::{DynamicImage, ImageFormat, RgbImage};
use sqlx::PgPool;
use tower::ServiceExt;

const ENTRIES: usize = 200;
const PHOTOS: usize = 50;
const RUNS: usize = 5;

/// Smooth gradients with noise, as `server/examples/document_render.rs` makes them.
fn jpeg(seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761) | 1;
    let image = RgbImage::from_fn(2560, 1920, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state & 0x1F) as u8;
        [(x / 10) as u8 ^ noise, (y / 8) as u8, noise.wrapping_mul(3)].into()
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image)
        .write_to(&mut out, ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[sqlx::test(migrations = "./migrations")]
#[ignore = "a benchmark: run with --ignored --nocapture"]
async fn bench_documents(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let mut photos: Vec<PhotoRef> = Vec::new();
    let mut total = 0;
    for n in 0..PHOTOS {
        let bytes = jpeg(n as u32);
        total += bytes.len();
        let name = sha256(&bytes);
        let request = Request::builder()
            .method("PUT")
            .uri(format!("/api/blobs/{name}"))
            .header(header::AUTHORIZATION, format!("Bearer {}", sup.token))
            .header(header::CONTENT_LENGTH, bytes.len())
            .body(Body::from(bytes))
            .unwrap();
        let response = app.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        photos.push(PhotoRef {
            sha256: name,
            by: sup.id.clone(),
            ..photo('a')
        });
    }
    println!(
        "{PHOTOS} photos 2560x1920 uploaded, {:.1} MB of JPEG",
        total as f64 / 1e6
    );
    // Each upload starts its photo's rendition in the background (`api::renditions`).
    let started = Instant::now();
    loop {
        let made: i64 = sqlx::query_scalar("select count(*) from blob_renditions")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        if made as usize >= PHOTOS {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "renditions never made"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "renditions of the {PHOTOS} photos made in the background, done {:.2?} after the last upload",
        started.elapsed()
    );

    let mut item = duban_item();
    let template = item.progress[0].clone();
    item.progress = (0..ENTRIES - PHOTOS / 2)
        .map(|n| {
            let mut entry = progress(&format!("p{n}"), template.at);
            entry.photos = vec![];
            entry
        })
        .collect();
    item.site_checks = (0..PHOTOS / 2)
        .map(|n| SiteCheck {
            id: format!("s{n}"),
            at: shanghai(2026, 11, 3, 9, 0),
            by: sup.id.clone(),
            withdrawn: None,
            place: format!("{n}号阀井"),
            findings: "阀井内积水发黑，有油污味。".into(),
            before_photos: vec![photos[2 * n].clone()],
            after_photos: vec![photos[2 * n + 1].clone()],
            geo: None,
            attachments: None,
        })
        .collect();
    item.created_by = sup.id.clone();
    item.supervisors = vec![sup.id.clone()];
    let (sheet, _) = app.put(item, &sup.id).await;

    let mut research = research_record();
    let visit: Visit = research.visits[0].clone();
    let finding: Finding = research.findings[0].clone();
    research.visits = (0..ENTRIES - PHOTOS)
        .map(|n| Visit {
            id: format!("v{n}"),
            photos: vec![],
            ..visit.clone()
        })
        .collect();
    research.findings = (0..PHOTOS)
        .map(|n| Finding {
            id: format!("f{n}"),
            photos: vec![photos[n].clone()],
            duban_ref: None,
            ..finding.clone()
        })
        .collect();
    research.created_by = sup.id.clone();
    research.lead = sup.id.clone();
    let (report, _) = app.put(research, &sup.id).await;

    for (label, id) in [("督办单", sheet), ("调研报告", report)] {
        let route = format!("/api/records/{id}/document.docx");
        let get = || async {
            let started = Instant::now();
            let (status, _, body) = call(&app, "GET", &route, Some(&sup.token), None).await;
            assert_eq!(status, StatusCode::OK);
            (started.elapsed(), body.len())
        };
        let (first, size) = get().await;
        let mut times = Vec::new();
        for _ in 0..RUNS {
            times.push(get().await.0);
        }
        println!(
            "{label}, {ENTRIES} entries, {PHOTOS} photos, {:.1} MB: first download {first:.2?}, \
             then median {:.2?} of {RUNS} (min {:.2?}, max {:.2?})",
            size as f64 / 1e6,
            median(times.clone()),
            times.iter().min().unwrap(),
            times.iter().max().unwrap(),
        );
    }
}
