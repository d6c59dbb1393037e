//! How long the documents of a large record take: a 督办事项 and a 调研记录 of 200 entries each
//! and 50 photos (2560 x 1920 JPEG, the size the app uploads), timed in the two parts the
//! server runs: scaling the photos for the document (`documents::images::render`, two at a
//! time as the server does) and building the .docx.
//!
//!     cargo run --release -p duyan --example document_render
//!
//! The figures go to `BENCHMARKS.md`. The photos here are smooth gradients with noise; real
//! photos decode at about the same speed per pixel.

use std::collections::HashMap;
use std::io::Cursor;
use std::time::{Duration, Instant};

use duyan::documents::{self, Context, Names, Rendition, images};
use duyan_shared::records::{Finding, PhotoRef, SiteCheck, Visit};
use duyan_shared::samples::{duban_item, photo, progress, research_record, shanghai};
use image::{DynamicImage, ImageFormat, RgbImage};

const ENTRIES: usize = 200;
const PHOTOS: usize = 50;

struct Ids;

impl Names for Ids {
    fn unit(&self, id: &str) -> String {
        format!("单位{id}")
    }
    fn user(&self, id: &str) -> String {
        format!("用户{id}")
    }
}

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

fn photo_ref(n: usize) -> PhotoRef {
    PhotoRef {
        sha256: format!("{n:064x}"),
        ..photo('a')
    }
}

/// Scales every photo, two threads at a time as the server's permits allow.
fn render_all(files: &[Vec<u8>]) -> HashMap<String, Rendition> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let out = std::sync::Mutex::new(HashMap::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(bytes) = files.get(n) else { break };
                    let made = images::render(bytes).unwrap();
                    out.lock().unwrap().insert(photo_ref(n).sha256, made);
                }
            });
        }
    });
    out.into_inner().unwrap()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let files: Vec<Vec<u8>> = (0..PHOTOS).map(|n| jpeg(n as u32)).collect();
    let mb = files.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    println!("{PHOTOS} photos 2560x1920, {mb:.1} MB of JPEG");

    let mut item = duban_item();
    let template = item.progress[0].clone();
    item.progress = (0..ENTRIES - PHOTOS / 2)
        .map(|n| progress(&format!("p{n}"), template.at))
        .collect();
    item.site_checks = (0..PHOTOS / 2)
        .map(|n| SiteCheck {
            id: format!("s{n}"),
            at: shanghai(2026, 11, 3, 9, 0),
            by: "u-li".into(),
            withdrawn: None,
            place: format!("{n}号阀井"),
            findings: "阀井内积水发黑，有油污味。".into(),
            before_photos: vec![photo_ref(2 * n)],
            after_photos: vec![photo_ref(2 * n + 1)],
            geo: None,
            attachments: None,
        })
        .collect();
    let mut research = research_record();
    let visit: Visit = research.visits[0].clone();
    let finding: Finding = research.findings[0].clone();
    research.visits = (0..ENTRIES - PHOTOS)
        .map(|n| Visit {
            id: format!("v{n}"),
            ..visit.clone()
        })
        .collect();
    research.findings = (0..PHOTOS)
        .map(|n| Finding {
            id: format!("f{n}"),
            photos: vec![photo_ref(n)],
            ..finding.clone()
        })
        .collect();

    let today = shanghai(2026, 12, 5, 9, 0);
    let mut scale = Vec::new();
    let mut sheet = Vec::new();
    let mut report = Vec::new();
    let mut sizes = (0, 0);
    for _ in 0..3 {
        let started = Instant::now();
        let photos = render_all(&files);
        scale.push(started.elapsed());
        let ctx = Context {
            issuer: "集团公司办公室",
            names: &Ids,
            photos: &photos,
            today,
        };
        let started = Instant::now();
        let bytes = documents::duban_sheet(&item, &ctx).unwrap();
        sheet.push(started.elapsed());
        sizes.0 = bytes.len();
        let started = Instant::now();
        let bytes = documents::research_report(&research, &ctx).unwrap();
        report.push(started.elapsed());
        sizes.1 = bytes.len();
    }
    let (scale, sheet, report) = (median(scale), median(sheet), median(report));
    println!("scaling {PHOTOS} photos (2 threads): {scale:.2?}");
    println!(
        "督办单, {ENTRIES} entries, {PHOTOS} photos: {sheet:.2?} to build, {:.1} MB; with the photos {:.2?}",
        sizes.0 as f64 / 1e6,
        scale + sheet
    );
    println!(
        "调研报告, {ENTRIES} entries, {PHOTOS} photos: {report:.2?} to build, {:.1} MB; with the photos {:.2?}",
        sizes.1 as f64 / 1e6,
        scale + report
    );
}
