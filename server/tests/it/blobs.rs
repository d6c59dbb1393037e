//! Photos: `PUT`/`HEAD`/`GET /api/blobs/{sha256}` and `/thumb`, on real PostgreSQL through the
//! real router, with real JPEG bytes. Records naming the photos are stored and projected as the
//! document task does, so `record_photos` is filled by the real projection.

use std::io::Cursor;

use crate::common::{Caller, TestApp, item, test_app};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode, header};
use duyan::blobs::{self, BlobLimits, Blobs, Cleaned};
use duyan::projection;
use duyan_shared::Timestamp;
use duyan_shared::records::PhotoRef;
use duyan_shared::rules::Role;
use duyan_shared::samples::{photo, progress, shanghai};
use futures_util::stream;
use image::{DynamicImage, ImageFormat, RgbImage};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tower::ServiceExt;

/// A real JPEG of `width` x `height` pixels of noise (noise compresses badly, so the file is
/// big: about 1.4 bytes per pixel).
fn jpeg(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let image = RgbImage::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [r, g, b, _] = state.to_le_bytes();
        [r, g, b].into()
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image)
        .write_to(&mut out, ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap().to_owned()
    }

    fn offset(&self) -> u64 {
        self.headers["upload-offset"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    }
}

async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        body,
    }
}

fn authed(method: &str, caller: &Caller, path: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {}", caller.token))
}

/// `PUT` of the whole file.
async fn put_whole(router: &Router, caller: &Caller, name: &str, bytes: &[u8]) -> Answer {
    let request = authed("PUT", caller, &format!("/api/blobs/{name}"))
        .header(header::CONTENT_LENGTH, bytes.len())
        .body(Body::from(bytes.to_vec()))
        .unwrap();
    send(router, request).await
}

/// `PUT` of `bytes[start..end]` with a `Content-Range`.
async fn put_part(
    router: &Router,
    caller: &Caller,
    name: &str,
    bytes: &[u8],
    start: usize,
    end: usize,
) -> Answer {
    let request = authed("PUT", caller, &format!("/api/blobs/{name}"))
        .header(
            header::CONTENT_RANGE,
            format!("bytes {start}-{}/{}", end - 1, bytes.len()),
        )
        .header(header::CONTENT_LENGTH, end - start)
        .body(Body::from(bytes[start..end].to_vec()))
        .unwrap();
    send(router, request).await
}

/// Uploads in 512 KiB parts, as the app does; the last answer.
async fn put_in_parts(router: &Router, caller: &Caller, name: &str, bytes: &[u8]) -> Answer {
    let mut start = 0;
    loop {
        let end = (start + 512 * 1024).min(bytes.len());
        let answer = put_part(router, caller, name, bytes, start, end).await;
        if end == bytes.len() {
            return answer;
        }
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{:?}", answer.body);
        assert_eq!(answer.offset(), end as u64);
        start = end;
    }
}

async fn head(router: &Router, caller: &Caller, name: &str) -> Answer {
    let request = authed("HEAD", caller, &format!("/api/blobs/{name}"))
        .body(Body::empty())
        .unwrap();
    send(router, request).await
}

async fn get(router: &Router, caller: &Caller, path: &str) -> Answer {
    send(
        router,
        authed("GET", caller, path).body(Body::empty()).unwrap(),
    )
    .await
}

/// Rows and bytes of stored parts, and rows of `blobs`.
async fn stored(pool: &PgPool) -> (i64, i64, i64) {
    let parts: (i64, i64) =
        sqlx::query_as("select count(*), coalesce(sum(length(data)), 0)::int8 from blob_parts")
            .fetch_one(pool)
            .await
            .unwrap();
    let blobs: i64 = sqlx::query_scalar("select count(*) from blobs")
        .fetch_one(pool)
        .await
        .unwrap();
    (parts.0, parts.1, blobs)
}

/// A photo reference to `bytes`, as the app puts into a record.
fn photo_of(bytes: &[u8], by: &str) -> PhotoRef {
    PhotoRef {
        sha256: sha256(bytes),
        bytes: bytes.len() as u32,
        by: by.into(),
        ..photo('a')
    }
}

/// An app whose photos may have at most `max_bytes`.
fn with_limits(app: &TestApp, limits: BlobLimits) -> Router {
    let mut state = app.state.clone();
    state.blobs = Blobs::postgres(app.pool.clone(), limits);
    duyan::app::app(state)
}

#[sqlx::test(migrations = "./migrations")]
async fn a_photo_uploaded_whole_or_in_parts_reads_back_the_same(pool: PgPool) {
    let app = test_app(pool).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let small = jpeg(64, 48, 1);
    let big = jpeg(1200, 900, 2);
    assert!(big.len() > 2 * 512 * 1024, "{}", big.len());

    let answer = put_whole(&app.router, &zhang, &sha256(&small), &small).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    assert_eq!(answer.json()["mime"], "image/jpeg");
    assert_eq!(answer.headers["x-upload-complete"], "true");
    let answer = put_in_parts(&app.router, &zhang, &sha256(&big), &big).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    assert_eq!(answer.json()["offset"], big.len());

    for bytes in [&small, &big] {
        let name = sha256(bytes);
        let answer = get(&app.router, &zhang, &format!("/api/blobs/{name}")).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(&answer.body[..], &bytes[..]);
        assert_eq!(answer.headers[header::CONTENT_TYPE], "image/jpeg");
        assert_eq!(answer.headers[header::ETAG], format!("\"{name}\"").as_str());
        assert_eq!(
            answer.headers[header::CACHE_CONTROL],
            "private, max-age=31536000, immutable"
        );
        let head = head(&app.router, &zhang, &name).await;
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(head.headers["x-upload-complete"], "true");
    }
    // The big photo is stored in parts of at most 512 KiB.
    let largest: i32 = sqlx::query_scalar("select max(length(data)) from blob_parts")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(largest <= 512 * 1024);

    // A client that has the photo cached asks with If-None-Match.
    let name = sha256(&small);
    let request = authed("GET", &zhang, &format!("/api/blobs/{name}"))
        .header(header::IF_NONE_MATCH, format!("\"{name}\""))
        .body(Body::empty())
        .unwrap();
    let answer = send(&app.router, request).await;
    assert_eq!(answer.status, StatusCode::NOT_MODIFIED);
    assert!(answer.body.is_empty());
}

#[sqlx::test(migrations = "./migrations")]
async fn wrong_hash_is_400_and_the_upload_is_dropped(pool: PgPool) {
    let app = test_app(pool).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let bytes = jpeg(400, 300, 3);
    let other = sha256(b"some other file");

    let answer = put_whole(&app.router, &zhang, &other, &bytes).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "hash_mismatch");
    // In parts too: the last part is where the hash is checked.
    let answer = put_in_parts(&app.router, &zhang, &other, &bytes).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "hash_mismatch");
    assert_eq!(stored(&app.pool).await, (0, 0, 0));
    let head = head(&app.router, &zhang, &other).await;
    assert_eq!(head.headers["x-upload-complete"], "false");
    assert_eq!(head.offset(), 0);

    // A name that is no SHA-256 at all.
    for name in ["abc", &"g".repeat(64), "..%2F..%2Fetc%2Fpasswd"] {
        let answer = put_whole(&app.router, &zhang, name, &bytes).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(answer.code(), "invalid_hash");
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn too_large_is_413(pool: PgPool) {
    let app = test_app(pool).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let bytes = jpeg(400, 300, 4);
    let name = sha256(&bytes);
    let router = with_limits(
        &app,
        BlobLimits {
            max_bytes: bytes.len() as u64 - 1,
            ..BlobLimits::default()
        },
    );

    let answer = put_whole(&router, &zhang, &name, &bytes).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.code(), "too_large");
    let answer = put_part(&router, &zhang, &name, &bytes, 0, 1000).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    // The default limit is 15 MiB: a TOTAL above it is refused before a byte is read.
    let request = authed("PUT", &zhang, &format!("/api/blobs/{name}"))
        .header(header::CONTENT_RANGE, "bytes 0-9/15728641")
        .body(Body::from(vec![0xFF; 10]))
        .unwrap();
    let answer = send(&app.router, request).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    // A body longer than its Content-Range says is refused too.
    let request = authed("PUT", &zhang, &format!("/api/blobs/{name}"))
        .header(header::CONTENT_RANGE, format!("bytes 0-99/{}", bytes.len()))
        .body(Body::from(bytes.clone()))
        .unwrap();
    let answer = send(&app.router, request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(stored(&app.pool).await, (0, 0, 0));
}

#[sqlx::test(migrations = "./migrations")]
async fn not_an_image_is_415(pool: PgPool) {
    let app = test_app(pool).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let mut pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    pdf.extend(std::iter::repeat_n(b'x', 2000));
    let mut mp4 = b"\0\0\0\x18ftypisom\0\0\0\0".to_vec();
    mp4.extend(std::iter::repeat_n(0u8, 2000));
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    for bytes in [pdf, mp4, html] {
        let answer = put_whole(&app.router, &zhang, &sha256(&bytes), &bytes).await;
        assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(answer.code(), "not_an_image");
    }
    assert_eq!(stored(&app.pool).await, (0, 0, 0));

    // HEIC is accepted by its magic bytes (the server checks no more), stored as such, and
    // has no thumbnail.
    let mut heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    heic.extend((0..3000u32).map(|i| (i * 7) as u8));
    let name = sha256(&heic);
    let answer = put_whole(&app.router, &zhang, &name, &heic).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(answer.json()["mime"], "image/heic");
    let answer = get(&app.router, &zhang, &format!("/api/blobs/{name}/thumb")).await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(answer.code(), "thumbnail_unsupported");
    let answer = get(&app.router, &zhang, &format!("/api/blobs/{name}")).await;
    assert_eq!(answer.headers[header::CONTENT_TYPE], "image/heic");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_reader_of_another_unit_gets_404(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    // Wang works in plant 1: only being named a handler lets him read plant 2's item.
    let wang = app.user("wang", &[Role::Handler], Some("plant-1")).await;
    let refinery = app
        .user("refinery", &[Role::Viewer], Some("refinery"))
        .await;
    let chem = app.user("chem", &[Role::Viewer], Some("chem")).await;
    let bytes = jpeg(500, 400, 5);
    let name = sha256(&bytes);
    let path = format!("/api/blobs/{name}");
    let thumb = format!("/api/blobs/{name}/thumb");

    assert_eq!(
        put_whole(&app.router, &zhang, &name, &bytes).await.status,
        StatusCode::CREATED
    );
    // Before any record references it, only its uploader may read it.
    assert_eq!(get(&app.router, &zhang, &path).await.status, StatusCode::OK);
    for caller in [&sup, &wang, &chem] {
        let answer = get(&app.router, caller, &path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(answer.code(), "not_found");
    }

    // Zhang reports progress with the photo on a 督办事项 of plant 2.
    let mut entry = progress("p1", shanghai(2026, 11, 2, 9, 0));
    entry.by = zhang.id.clone();
    entry.photos = vec![photo_of(&bytes, &zhang.id)];
    let (record, mut doc) = app
        .put(
            duyan_shared::DubanItem {
                progress: vec![entry],
                handlers: vec![zhang.id.clone(), wang.id.clone()],
                ..item("二号厂区固体废物清理整改", "plant-2", &zhang.id, &sup.id)
            },
            &sup.id,
        )
        .await;
    let referenced: Vec<String> =
        sqlx::query_scalar("select sha256 from record_photos where record_id = $1")
            .bind(record.to_string())
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(referenced, vec![name.clone()]);

    // Now whoever may read the record may read the photo: the supervisor, the handlers and
    // the units above plant 2; the chemical plant may not, and learns nothing from the answer.
    for caller in [&sup, &zhang, &wang, &refinery] {
        let answer = get(&app.router, caller, &path).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", caller.id);
        assert_eq!(&answer.body[..], &bytes[..]);
        assert_eq!(
            get(&app.router, caller, &thumb).await.status,
            StatusCode::OK
        );
    }
    let missing = get(
        &app.router,
        &chem,
        &format!("/api/blobs/{}", sha256(b"nothing")),
    )
    .await;
    for path in [&path, &thumb] {
        let answer = get(&app.router, &chem, path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(answer.body, missing.body);
    }

    // Taken off the item, Wang loses the photo with it.
    app.change(record, &mut doc, &sup.id, |item| {
        item.handlers = vec![zhang.id.clone()];
    })
    .await;
    assert_eq!(
        get(&app.router, &wang, &path).await.status,
        StatusCode::NOT_FOUND
    );

    // No token, no photo.
    let anonymous = Request::builder().uri(&path).body(Body::empty()).unwrap();
    assert_eq!(
        send(&app.router, anonymous).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn an_interrupted_upload_resumes_from_where_it_stopped(pool: PgPool) {
    let app = test_app(pool).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let bytes = jpeg(1200, 900, 6);
    let name = sha256(&bytes);
    let cut = 700_001;
    assert!(bytes.len() > cut + 100_000);

    // The connection drops after 700,001 bytes of a whole-file PUT.
    let sent: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::copy_from_slice(&bytes[..400_000])),
        Ok(Bytes::copy_from_slice(&bytes[400_000..cut])),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "gone",
        )),
    ];
    let request = authed("PUT", &zhang, &format!("/api/blobs/{name}"))
        .header(header::CONTENT_LENGTH, bytes.len())
        .body(Body::from_stream(stream::iter(sent)))
        .unwrap();
    let answer = send(&app.router, request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "incomplete_body");

    // What arrived is kept; the client asks how far the server got.
    let status = head(&app.router, &zhang, &name).await;
    assert_eq!(status.headers["x-upload-complete"], "false");
    assert_eq!(status.offset(), cut as u64);
    // Starting over from 0, or skipping ahead, is refused with the offset to go on from.
    for start in [0, cut + 10] {
        let answer = put_part(&app.router, &zhang, &name, &bytes, start, start + 1000).await;
        assert_eq!(answer.status, StatusCode::CONFLICT);
        assert_eq!(answer.code(), "offset_mismatch");
        assert_eq!(answer.offset(), cut as u64);
    }
    // Another user's upload of the same photo is theirs: it starts at 0.
    let wang = app.user("wang", &[Role::Handler], Some("plant-2")).await;
    assert_eq!(head(&app.router, &wang, &name).await.offset(), 0);

    let answer = put_part(&app.router, &zhang, &name, &bytes, cut, bytes.len()).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    let answer = get(&app.router, &zhang, &format!("/api/blobs/{name}")).await;
    assert_eq!(&answer.body[..], &bytes[..]);
    // Exactly the photo is stored: nothing of the interrupted request twice.
    let (_, stored_bytes, rows) = stored(&app.pool).await;
    assert_eq!((stored_bytes, rows), (bytes.len() as i64, 1));
}

#[sqlx::test(migrations = "./migrations")]
async fn a_duplicate_upload_stores_nothing_new(pool: PgPool) {
    let app = test_app(pool).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let wang = app.user("wang", &[Role::Handler], Some("plant-2")).await;
    let bytes = jpeg(1200, 900, 7);
    let name = sha256(&bytes);
    assert_eq!(
        put_in_parts(&app.router, &zhang, &name, &bytes)
            .await
            .status,
        StatusCode::CREATED
    );
    let before = stored(&app.pool).await;
    assert_eq!(before.1, bytes.len() as i64);

    // Again, by the uploader and by someone else, whole and in parts: 200, nothing stored.
    for caller in [&zhang, &wang] {
        let answer = put_whole(&app.router, caller, &name, &bytes).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.json()["complete"], true);
        assert_eq!(answer.headers["x-upload-complete"], "true");
        let answer = put_part(&app.router, caller, &name, &bytes, 0, 512 * 1024).await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    assert_eq!(stored(&app.pool).await, before);
    // Sending the photo again does not make Wang its uploader.
    let path = format!("/api/blobs/{name}");
    assert_eq!(
        get(&app.router, &wang, &path).await.status,
        StatusCode::NOT_FOUND
    );

    // Two users uploading the same photo at the same time: each upload is their own, the
    // first to finish makes the blob and the other's is dropped when it finishes.
    let second = jpeg(1200, 900, 8);
    let second_name = sha256(&second);
    let half = second.len() / 2;
    for caller in [&zhang, &wang] {
        let answer = put_part(&app.router, caller, &second_name, &second, 0, half).await;
        assert_eq!(answer.status, StatusCode::ACCEPTED);
    }
    let answer = put_part(
        &app.router,
        &wang,
        &second_name,
        &second,
        half,
        second.len(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let answer = put_part(
        &app.router,
        &zhang,
        &second_name,
        &second,
        half,
        second.len(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let (_, stored_bytes, rows) = stored(&app.pool).await;
    assert_eq!(stored_bytes, (bytes.len() + second.len()) as i64);
    assert_eq!(rows, 2);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_cleanup_job_removes_only_unreferenced_old_photos(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let [old_unused, old_used, new_unused, old_dropped] =
        [11, 12, 13, 14].map(|seed| jpeg(64, 64, seed));
    for bytes in [&old_unused, &old_used, &new_unused, &old_dropped] {
        let answer = put_whole(&app.router, &zhang, &sha256(bytes), bytes).await;
        assert_eq!(answer.status, StatusCode::CREATED);
    }
    // A record references two of them; one reference is removed again today.
    let mut entry = progress("p1", shanghai(2026, 11, 2, 9, 0));
    entry.photos = vec![
        photo_of(&old_used, &zhang.id),
        photo_of(&old_dropped, &zhang.id),
    ];
    let (record, mut doc) = app
        .put(
            duyan_shared::DubanItem {
                progress: vec![entry],
                ..item("阀井污水", "plant-2", &zhang.id, &sup.id)
            },
            &sup.id,
        )
        .await;
    app.change(record, &mut doc, &sup.id, |item| {
        item.progress[0].photos.truncate(1);
    })
    .await;
    // Three of them were uploaded 40 days ago.
    for bytes in [&old_unused, &old_used, &old_dropped] {
        sqlx::query(
            "update blobs set uploaded_at = uploaded_at - interval '40 days' where sha256 = $1",
        )
        .bind(sha256(bytes))
        .execute(&app.pool)
        .await
        .unwrap();
    }
    // Two unfinished uploads: one untouched for 8 days, one fresh.
    let stale = jpeg(1200, 900, 15);
    let fresh = jpeg(1200, 900, 16);
    for bytes in [&stale, &fresh] {
        let answer = put_part(&app.router, &zhang, &sha256(bytes), bytes, 0, 600_000).await;
        assert_eq!(answer.status, StatusCode::ACCEPTED);
    }
    sqlx::query("update blobs set touched_at = touched_at - interval '8 days' where sha256 = $1")
        .bind(sha256(&stale))
        .execute(&app.pool)
        .await
        .unwrap();

    let names = || async {
        let mut names: Vec<String> = sqlx::query_scalar("select sha256 from blobs")
            .fetch_all(&app.pool)
            .await
            .unwrap();
        names.sort();
        names
    };
    let expect = |kept: &[&Vec<u8>]| {
        let mut names: Vec<String> = kept.iter().map(|b| sha256(b)).collect();
        names.sort();
        names
    };

    let now = Timestamp::from(chrono::Utc::now());
    let cleaned = blobs::postgres::cleanup(&app.pool, now).await.unwrap();
    assert_eq!(
        cleaned,
        Cleaned {
            blobs: 1,
            uploads: 1
        }
    );
    // Kept: the referenced one, the new one, the one unreferenced only today, the fresh upload.
    assert_eq!(
        names().await,
        expect(&[&old_used, &new_unused, &old_dropped, &fresh])
    );
    // Through the trait, the same.
    let again = app.state.blobs.store.cleanup(now).await.unwrap();
    assert_eq!(again, Cleaned::default());

    // 31 days on, all that no record references is gone; the referenced photo stays.
    let later = now.checked_add(chrono::TimeDelta::days(31)).unwrap();
    let cleaned = blobs::postgres::cleanup(&app.pool, later).await.unwrap();
    assert_eq!(
        cleaned,
        Cleaned {
            blobs: 2,
            uploads: 1
        }
    );
    assert_eq!(names().await, expect(&[&old_used]));
    let (parts, _, _) = stored(&app.pool).await;
    assert_eq!(parts, 1, "the parts went with their blobs");
}

#[sqlx::test(migrations = "./migrations")]
async fn thumbnails_are_made_once_and_kept(pool: PgPool) {
    let app = test_app(pool).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let bytes = jpeg(1000, 600, 21);
    let name = sha256(&bytes);
    put_whole(&app.router, &zhang, &name, &bytes).await;
    let path = format!("/api/blobs/{name}/thumb");

    let first = get(&app.router, &zhang, &path).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.headers[header::CONTENT_TYPE], "image/jpeg");
    let thumb = image::load_from_memory_with_format(&first.body, ImageFormat::Jpeg).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (320, 192));
    let second = get(&app.router, &zhang, &path).await;
    assert_eq!(second.body, first.body);
    let thumbs: i64 = sqlx::query_scalar("select count(*) from blob_thumbs")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(thumbs, 1);
    let request = authed("GET", &zhang, &path)
        .header(header::IF_NONE_MATCH, first.headers[header::ETAG].clone())
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(&app.router, request).await.status,
        StatusCode::NOT_MODIFIED
    );

    // A file with JPEG magic bytes and nothing decodable after them: a clear 422.
    let mut broken = vec![0xFF, 0xD8, 0xFF, 0xE0];
    broken.extend(std::iter::repeat_n(0x5A, 5000));
    let broken_name = sha256(&broken);
    put_whole(&app.router, &zhang, &broken_name, &broken).await;
    let answer = get(
        &app.router,
        &zhang,
        &format!("/api/blobs/{broken_name}/thumb"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.code(), "undecodable_image");
}

#[sqlx::test(migrations = "./migrations")]
async fn reindex_rebuilds_the_photo_references(pool: PgPool) {
    let app = test_app(pool).await;
    let chen = app.user("chen", &[Role::Researcher], Some("office")).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    // Photos of a research visit and finding, and of a site check's before and after.
    let mut topic = crate::common::research(&chen.id, "office");
    topic.visits[0].photos = vec![photo('1'), photo('2')];
    topic.findings[0].photos = vec![photo('2'), photo('3')];
    let (topic_id, _) = app.put(topic, &chen.id).await;
    let mut check = duyan_shared::samples::duban_item();
    check.site_checks = vec![duyan_shared::records::SiteCheck {
        id: "s1".into(),
        at: shanghai(2026, 11, 3, 9, 0),
        by: sup.id.clone(),
        withdrawn: None,
        place: "阀井".into(),
        findings: "污水".into(),
        before_photos: vec![photo('4')],
        after_photos: vec![photo('5')],
        geo: None,
        attachments: None,
    }];
    check.progress = vec![];
    let (check_id, _) = app.put(check, &sup.id).await;

    let references = || async {
        let rows: Vec<(String, String)> =
            sqlx::query_as("select record_id, sha256 from record_photos order by 1, 2")
                .fetch_all(&app.pool)
                .await
                .unwrap();
        rows
    };
    let incremental = references().await;
    let mut expected: Vec<(String, String)> = ['1', '2', '3']
        .map(|c| (topic_id.to_string(), c.to_string().repeat(64)))
        .into_iter()
        .chain(['4', '5'].map(|c| (check_id.to_string(), c.to_string().repeat(64))))
        .collect();
    expected.sort();
    assert_eq!(incremental, expected);

    sqlx::query("delete from record_photos")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("insert into record_photos values ('gone', $1)")
        .bind("6".repeat(64))
        .execute(&app.pool)
        .await
        .unwrap();
    projection::reindex(&app.pool).await.unwrap();
    assert_eq!(references().await, incremental);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_user_runs_at_most_four_uploads_at_once(pool: PgPool) {
    let app = test_app(pool).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let wang = app.user("wang", &[Role::Handler], Some("plant-2")).await;
    let photos: Vec<Vec<u8>> = (0..5).map(|seed| jpeg(1200, 900, 30 + seed)).collect();

    // Four uploads whose bodies stay open after their first 512 KiB part.
    let mut open = Vec::new();
    for bytes in &photos[..4] {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
        tx.send(Ok(Bytes::copy_from_slice(&bytes[..512 * 1024])))
            .await
            .unwrap();
        let body = Body::from_stream(tokio_stream_of(rx));
        let request = authed("PUT", &zhang, &format!("/api/blobs/{}", sha256(bytes)))
            .header(header::CONTENT_LENGTH, bytes.len())
            .body(body)
            .unwrap();
        let router = app.router.clone();
        let running = tokio::spawn(async move { send(&router, request).await });
        open.push((tx, running));
    }
    // Each is running once its first part is stored.
    for bytes in &photos[..4] {
        while head(&app.router, &zhang, &sha256(bytes)).await.offset() == 0 {
            tokio::task::yield_now().await;
        }
    }
    let fifth = put_whole(&app.router, &zhang, &sha256(&photos[4]), &photos[4]).await;
    assert_eq!(fifth.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(fifth.code(), "too_many_uploads");
    assert!(fifth.headers.contains_key(header::RETRY_AFTER));
    // Someone else is not held up.
    let other = put_whole(&app.router, &wang, &sha256(&photos[4]), &photos[4]).await;
    assert_eq!(other.status, StatusCode::CREATED);

    // The four finish; then Zhang may upload again.
    for ((tx, running), bytes) in open.into_iter().zip(&photos) {
        tx.send(Ok(Bytes::copy_from_slice(&bytes[512 * 1024..])))
            .await
            .unwrap();
        drop(tx);
        assert_eq!(running.await.unwrap().status, StatusCode::CREATED);
    }
    let again = put_whole(&app.router, &zhang, &sha256(&photos[4]), &photos[4]).await;
    assert_eq!(again.status, StatusCode::OK);
}

/// A receiver as a stream (no tokio-stream dependency for one adapter).
fn tokio_stream_of<T: Send + 'static>(
    rx: tokio::sync::mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send + 'static {
    stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}

#[sqlx::test(migrations = "./migrations")]
async fn the_ledger_exports_its_photos_as_a_zip_named_by_record_and_entry(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let chem = app.user("chem", &[Role::Viewer], Some("chem")).await;
    let photos: Vec<Vec<u8>> = (0..3).map(|seed| jpeg(120, 90, 40 + seed)).collect();
    for bytes in &photos {
        let answer = put_whole(&app.router, &zhang, &sha256(bytes), bytes).await;
        assert_eq!(answer.status, StatusCode::CREATED);
    }
    let mut entry = progress("p1", shanghai(2026, 11, 2, 9, 0));
    entry.photos = vec![
        photo_of(&photos[0], &zhang.id),
        photo_of(&photos[1], &zhang.id),
    ];
    let not_uploaded = photo('e');
    app.put(
        duyan_shared::DubanItem {
            progress: vec![entry],
            site_checks: vec![duyan_shared::records::SiteCheck {
                id: "s1".into(),
                at: shanghai(2026, 11, 3, 9, 0),
                by: sup.id.clone(),
                withdrawn: None,
                place: "阀井".into(),
                findings: "污水".into(),
                before_photos: vec![photo_of(&photos[2], &zhang.id)],
                after_photos: vec![not_uploaded.clone()],
                geo: None,
                attachments: None,
            }],
            ..item("阀井/污水整改", "plant-2", &zhang.id, &sup.id)
        },
        &sup.id,
    )
    .await;
    // A later item without photos: second in the ledger, no folder.
    app.put(
        duyan_shared::DubanItem {
            deadline: Some(shanghai(2026, 12, 31, 23, 59)),
            ..item("二号厂区固废", "plant-2", &zhang.id, &sup.id)
        },
        &sup.id,
    )
    .await;

    let answer = get(&app.router, &sup, "/api/ledger.zip").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers[header::CONTENT_TYPE], "application/zip");
    let mut zip = zip::ZipArchive::new(Cursor::new(answer.body.to_vec())).unwrap();
    let mut names: Vec<String> = zip
        .file_names()
        .map(|name| name.unwrap().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "1-阀井_污水整改/整改前-s1-1.jpg",
            "1-阀井_污水整改/进展-p1-1.jpg",
            "1-阀井_污水整改/进展-p1-2.jpg",
            "缺少的照片.txt",
        ]
    );
    for (name, bytes) in [
        ("1-阀井_污水整改/进展-p1-1.jpg", &photos[0]),
        ("1-阀井_污水整改/进展-p1-2.jpg", &photos[1]),
        ("1-阀井_污水整改/整改前-s1-1.jpg", &photos[2]),
    ] {
        let mut file = zip.by_name(name).unwrap();
        let mut read = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut read).unwrap();
        assert_eq!(&read, bytes, "{name}");
    }
    let mut missing = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("缺少的照片.txt").unwrap(), &mut missing)
        .unwrap();
    assert!(missing.contains("整改后-s1-1"), "{missing}");
    assert!(missing.contains(&not_uploaded.sha256));

    // Someone who may not read the items gets an empty zip.
    let answer = get(&app.router, &chem, "/api/ledger.zip").await;
    assert_eq!(answer.status, StatusCode::OK);
    let zip = zip::ZipArchive::new(Cursor::new(answer.body.to_vec())).unwrap();
    assert_eq!(zip.len(), 0);
    // The ledger's parameters, and its checks.
    let answer = get(&app.router, &sup, "/api/ledger.zip?type=research").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = get(&app.router, &sup, "/api/ledger.zip?unit=chem").await;
    let zip = zip::ZipArchive::new(Cursor::new(answer.body.to_vec())).unwrap();
    assert_eq!(zip.len(), 0);
    // More photo bytes than an export may hold: 413 before anything is sent.
    let small = with_limits(
        &app,
        BlobLimits {
            max_export_bytes: (photos[0].len() + photos[1].len()) as u64,
            ..BlobLimits::default()
        },
    );
    let answer = get(&small, &sup, "/api/ledger.zip").await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.code(), "export_too_large");
}
