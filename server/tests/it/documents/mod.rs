//! Documents (`document.docx`, `notice.docx`), the dossier (`dossier.zip`) and the documents'
//! settings, through the real router on real PostgreSQL. Every document is opened again with a
//! .docx reader (docx-rs's) and its text, tables and images checked; `render` also has
//! LibreOffice print them (see there).

mod render;

use std::io::{Cursor, Read};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode, header};
use docx_rs::{DocumentChild, TableCellContent, TableChild, TableRowChild};
use duyan_shared::records::{PhotoRef, SiteCheck, Suggestion, SuggestionStatus, Urge, UrgeLevel};
use duyan_shared::rules::Role;
use duyan_shared::samples::{photo, progress, shanghai};
use duyan_shared::{DocumentId, DubanItem};
use image::{DynamicImage, ImageFormat, RgbImage};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tower::ServiceExt;

use crate::common::{Caller, TestApp, item, research, test_app};

/// What a .docx holds, as a reader sees it.
#[derive(Debug, Default)]
pub struct Opened {
    /// Every paragraph's text in document order, table cells included.
    pub paragraphs: Vec<String>,
    /// Every table: rows of cells' text (a cell's paragraphs joined by newlines).
    pub tables: Vec<Vec<Vec<String>>>,
    /// The images embedded (word/media), as bytes.
    pub images: Vec<Vec<u8>>,
}

impl Opened {
    /// All the text, one paragraph a line.
    pub fn text(&self) -> String {
        self.paragraphs.join("\n")
    }

    /// The value next to `label` in the first table that has it.
    pub fn field(&self, label: &str) -> Option<&str> {
        self.tables
            .iter()
            .flatten()
            .find_map(|row| match row.as_slice() {
                [l, value] if l == label => Some(value.as_str()),
                _ => None,
            })
    }
}

/// Opens `bytes` with docx-rs's reader, and the package's media with a zip reader.
#[track_caller]
pub fn open(bytes: &[u8]) -> Opened {
    let docx = docx_rs::read_docx(bytes).expect("a .docx a reader opens");
    let mut opened = Opened::default();
    for child in &docx.document.children {
        match child {
            DocumentChild::Paragraph(p) => opened.paragraphs.push(p.raw_text()),
            DocumentChild::Table(t) => {
                let mut table = Vec::new();
                for TableChild::TableRow(row) in &t.rows {
                    let mut cells = Vec::new();
                    for TableRowChild::TableCell(cell) in &row.cells {
                        let mut text = Vec::new();
                        for content in &cell.children {
                            if let TableCellContent::Paragraph(p) = content {
                                text.push(p.raw_text());
                                opened.paragraphs.push(p.raw_text());
                            }
                        }
                        cells.push(text.join("\n"));
                    }
                    table.push(cells);
                }
                opened.tables.push(table);
            }
            _ => {}
        }
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let media: Vec<String> = zip
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .filter(|n| n.starts_with("word/media/") && !n.ends_with('/'))
        .collect();
    for name in media {
        let mut data = Vec::new();
        zip.by_name(&name).unwrap().read_to_end(&mut data).unwrap();
        opened.images.push(data);
    }
    opened
}

/// A real JPEG of `width` x `height`: a gradient with a band, so a rendering shows it is a
/// picture.
pub fn jpeg(width: u32, height: u32, seed: u8) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        let band = (y * 8 / height).is_multiple_of(2);
        [
            (x * 255 / width) as u8 ^ seed,
            if band { 160 } else { 60 },
            (y * 255 / height) as u8,
        ]
        .into()
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image)
        .write_to(&mut out, ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Uploads `bytes` as `caller` and returns the reference a record would hold.
pub async fn upload(app: &TestApp, caller: &Caller, bytes: &[u8], caption: &str) -> PhotoRef {
    let name = sha256(bytes);
    let request = Request::builder()
        .method("PUT")
        .uri(format!("/api/blobs/{name}"))
        .header(header::AUTHORIZATION, format!("Bearer {}", caller.token))
        .header(header::CONTENT_LENGTH, bytes.len())
        .body(Body::from(bytes.to_vec()))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    PhotoRef {
        sha256: name,
        bytes: bytes.len() as u32,
        caption: Some(caption.into()),
        by: caller.id.clone(),
        ..photo('a')
    }
}

/// `method path` with an optional token and JSON body: status, headers, body.
pub async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    json: Option<serde_json::Value>,
) -> (StatusCode, HeaderMap, Bytes) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match json {
        Some(json) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    let response = app
        .router
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, body)
}

/// A 督办事项 of plant-2 with an urge, a site check whose before photo is uploaded and whose
/// after photo is not, and a progress entry with a photo.
async fn plant_item(app: &TestApp, sup: &Caller, zhang: &Caller) -> (DocumentId, Vec<Vec<u8>>) {
    let photos = vec![jpeg(640, 480, 1), jpeg(480, 640, 2)];
    let before = upload(app, zhang, &photos[0], "阀井积水").await;
    let mut entry = progress("p1", shanghai(2026, 11, 2, 9, 0));
    entry.by = zhang.id.clone();
    entry.photos = vec![upload(app, zhang, &photos[1], "抽排后").await];
    let (id, _) = app
        .put(
            DubanItem {
                progress: vec![entry],
                urges: vec![Urge {
                    id: "u1".into(),
                    at: shanghai(2026, 11, 20, 10, 0),
                    by: sup.id.clone(),
                    withdrawn: None,
                    level: UrgeLevel::Urge,
                    message: "请于11月25日前反馈整改结果。".into(),
                }],
                site_checks: vec![SiteCheck {
                    id: "s1".into(),
                    at: shanghai(2026, 11, 3, 9, 0),
                    by: sup.id.clone(),
                    withdrawn: None,
                    place: "3号阀井".into(),
                    findings: "阀井内积水发黑".into(),
                    before_photos: vec![before],
                    after_photos: vec![photo('e')],
                    geo: None,
                    attachments: None,
                }],
                ..item("阀井污水整改", "plant-2", &zhang.id, &sup.id)
            },
            &sup.id,
        )
        .await;
    (id, photos)
}

#[sqlx::test(migrations = "./migrations")]
async fn every_route_is_401_without_a_token_and_404_to_who_may_not_read(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let chem = app.user("chem", &[Role::Viewer], Some("chem")).await;
    let (id, _) = plant_item(&app, &sup, &zhang).await;
    let (research_id, _) = app.put(research(&sup.id, "office"), &sup.id).await;
    let routes = [
        format!("/api/records/{id}/document.docx"),
        format!("/api/records/{id}/urges/u1/notice.docx"),
        format!("/api/records/{id}/dossier.zip"),
    ];
    for route in &routes {
        let (status, headers, _) = call(&app, "GET", route, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{route}");
        assert!(headers.contains_key(header::WWW_AUTHENTICATE));
        let (status, _, body) = call(&app, "GET", route, Some(&chem.token), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{route}");
        // The same answer as for a record that does not exist: ids reveal nothing.
        let other = route.replace(
            &id.to_string(),
            &DocumentId::from_bytes([7; 16]).to_string(),
        );
        let (status, _, body_missing) = call(&app, "GET", &other, Some(&chem.token), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body, body_missing);
        // The handler of the item and a supervisor read them.
        for caller in [&zhang, &sup] {
            let (status, _, _) = call(&app, "GET", route, Some(&caller.token), None).await;
            assert_eq!(status, StatusCode::OK, "{route}");
        }
    }
    // No such urge; a research record has no urges.
    for route in [
        format!("/api/records/{id}/urges/nope/notice.docx"),
        format!("/api/records/{research_id}/urges/u1/notice.docx"),
    ] {
        let (status, _, _) = call(&app, "GET", &route, Some(&sup.token), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{route}");
    }
    for (method, body) in [
        ("GET", None),
        ("PUT", Some(serde_json::json!({"issuer": "x"}))),
    ] {
        let (status, _, _) = call(&app, method, "/api/settings/documents", None, body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn the_dossier_files_documents_photos_and_history_and_nothing_else(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let (id, photos) = plant_item(&app, &sup, &zhang).await;
    // A photo of another record, which the handler may not read: never in this dossier.
    let secret_ref = upload(&app, &sup, &jpeg(300, 200, 9), "别处").await;
    let mut other = item("化工厂事项", "chem", &sup.id, &sup.id);
    other.progress = vec![progress("p9", shanghai(2026, 11, 2, 9, 0))];
    other.progress[0].photos = vec![secret_ref];
    app.put(other, &sup.id).await;

    let route = format!("/api/records/{id}/dossier.zip");
    let (status, headers, body) = call(&app, "GET", &route, Some(&zhang.token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/zip");
    let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    let mut zip = zip::ZipArchive::new(Cursor::new(body.to_vec())).unwrap();
    let mut names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    // Exactly this record's documents, photos and history: the other record's photo is not
    // there, though the server has it.
    assert_eq!(
        names,
        [
            "催办通知单/催办通知单-阀井污水整改-1.docx",
            "历史记录.csv",
            "照片/整改前-s1-1.jpg",
            "照片/进展-p1-1.jpg",
            "督办单-阀井污水整改.docx",
            "缺少的照片.txt",
        ]
    );
    let mut read = |name: &str| {
        let mut data = Vec::new();
        zip.by_name(name).unwrap().read_to_end(&mut data).unwrap();
        data
    };
    // Photos full size, byte for byte.
    assert_eq!(read("照片/整改前-s1-1.jpg"), photos[0]);
    assert_eq!(read("照片/进展-p1-1.jpg"), photos[1]);
    let sheet = open(&read("督办单-阀井污水整改.docx"));
    assert_eq!(sheet.field("督办事项"), Some("阀井污水整改"));
    assert_eq!(
        sheet.images.len(),
        1,
        "the uploaded 整改前 photo; the 整改后 one is missing"
    );
    assert!(sheet.text().contains("未附照片"), "{}", sheet.text());
    let notice = open(&read("催办通知单/催办通知单-阀井污水整改-1.docx"));
    assert!(notice.text().contains("请于11月25日前反馈整改结果。"));
    let missing = String::from_utf8(read("缺少的照片.txt")).unwrap();
    assert!(missing.contains("整改后-s1-1") && missing.contains(&"e".repeat(64)));
    let csv = String::from_utf8(read("历史记录.csv")).unwrap();
    assert!(
        csv.starts_with("\u{feff}时间,操作人,设备,操作内容\r\n"),
        "{csv}"
    );
    assert!(csv.lines().count() >= 2, "{csv}");
    // The history the API gives has as many changes as the CSV rows.
    let (_, history) = app
        .get_json(&zhang, &format!("/api/records/{id}/history"))
        .await;
    assert_eq!(
        csv.lines().count() - 1,
        history["changes"].as_array().unwrap().len()
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn admins_set_the_heading_and_every_document_prints_it(pool: PgPool) {
    let app = test_app(pool).await;
    let admin = app.user("admin", &[Role::Admin], Some("office")).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let path = "/api/settings/documents";
    let (status, _, body) = call(&app, "GET", path, Some(&sup.token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).unwrap()["issuer"],
        "办公室"
    );
    let heading = serde_json::json!({"issuer": "  集团公司党委办公室 "});
    let (status, _, _) = call(&app, "PUT", path, Some(&sup.token), Some(heading.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = call(&app, "PUT", path, Some(&admin.token), Some(heading)).await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    for bad in ["", "   ", &"长".repeat(41), "办公\u{7}室"] {
        let (status, _, _) = call(
            &app,
            "PUT",
            path,
            Some(&admin.token),
            Some(serde_json::json!({"issuer": bad})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
    }
    let (status, _, body) = call(&app, "GET", path, Some(&sup.token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).unwrap()["issuer"],
        "集团公司党委办公室"
    );

    let mut record = research(&sup.id, "office");
    record.suggestions = vec![Suggestion {
        id: "g1".into(),
        at: shanghai(2026, 11, 6, 9, 0),
        by: sup.id.clone(),
        withdrawn: None,
        text: "建立交接班记录抽查制度".into(),
        status: SuggestionStatus::Adopted,
        duban_ref: None,
    }];
    let (research_id, _) = app.put(record, &sup.id).await;
    let (item_id, _) = app
        .put(item("固废清运", "plant-2", &sup.id, &sup.id), &sup.id)
        .await;
    for id in [research_id, item_id] {
        let (status, headers, body) = call(
            &app,
            "GET",
            &format!("/api/records/{id}/document.docx"),
            Some(&sup.token),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], duyan::documents::DOCX);
        let opened = open(&body);
        assert_eq!(opened.paragraphs[0], "集团公司党委办公室");
    }
}

/// A photo's document rendition is made as soon as its upload finishes, in the background, so
/// a record's first document does not pay for its photos (`api::renditions`).
#[sqlx::test(migrations = "./migrations")]
async fn a_photos_rendition_is_made_when_its_upload_finishes(pool: PgPool) {
    let app = test_app(pool).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let photo = upload(&app, &zhang, &jpeg(1600, 1200, 7), "阀井").await;
    let started = std::time::Instant::now();
    let (width, height) = loop {
        let made: Option<(i32, i32)> = sqlx::query_as(
            "select r.width, r.height from blob_renditions r join blobs b on b.id = r.blob_id
             where b.sha256 = $1",
        )
        .bind(&photo.sha256)
        .fetch_optional(&app.pool)
        .await
        .unwrap();
        if let Some(made) = made {
            break made;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no rendition 30 s after the upload"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        (width, height),
        (800, 600),
        "800 px on the long side, same proportions"
    );
}
