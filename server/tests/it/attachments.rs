//! Attachments (files that are not photos): `PUT`/`HEAD`/`GET /api/attachments/{sha256}` and
//! the dossier, on real PostgreSQL through the real router. Records naming the files are stored
//! and projected as the document task does, so the access rule is the real one.

use std::io::{Cursor, Read, Write};

use crate::common::{Caller, TestApp, item, test_app};
use crate::documents::{call, sha256};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use duyan::blobs::{BlobLimits, Blobs};
use duyan_shared::records::{AttachmentRef, Instruction};
use duyan_shared::rules::Role;
use duyan_shared::samples::{progress, shanghai};
use sqlx::PgPool;
use tower::ServiceExt;

/// A PDF of about `size` bytes: a real header and trailer around filler, which is all the
/// server looks at (and all a test needs to compare bytes).
fn pdf(size: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    while out.len() + 20 < size {
        out.extend_from_slice(b"% filler line 0123\n");
    }
    out.extend_from_slice(b"trailer\n%%EOF\n");
    out
}

/// A DOCX as Word writes it: a ZIP with `[Content_Types].xml` first, then the parts.
fn docx() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, text) in [
        ("[Content_Types].xml", "<?xml version=\"1.0\"?><Types/>"),
        ("_rels/.rels", "<Relationships/>"),
        ("word/document.xml", "<w:document>整改报告</w:document>"),
    ] {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// `PUT /api/attachments/{name}` of the whole file.
async fn put(router: &Router, caller: &Caller, name: &str, bytes: &[u8]) -> (StatusCode, String) {
    let request = Request::builder()
        .method("PUT")
        .uri(format!("/api/attachments/{name}"))
        .header(header::AUTHORIZATION, format!("Bearer {}", caller.token))
        .header(header::CONTENT_LENGTH, bytes.len())
        .body(Body::from(bytes.to_vec()))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let code = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
        .unwrap_or_default();
    (status, code)
}

async fn blob_rows(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from blobs")
        .fetch_one(pool)
        .await
        .unwrap()
}

fn attachment_of(bytes: &[u8], name: &str, by: &str) -> AttachmentRef {
    AttachmentRef {
        sha256: sha256(bytes),
        name: name.into(),
        mime: "application/octet-stream".into(),
        bytes: bytes.len() as u32,
        by: by.into(),
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn an_executable_renamed_pdf_is_415_and_office_files_are_taken(pool: PgPool) {
    let app = test_app(pool).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    // An ELF and a PE executable (as a phone would send them, named 整改报告.pdf: the name
    // never reaches the server), a shell script with a NUL, a plain ZIP, a JPEG.
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0".to_vec();
    elf.extend(std::iter::repeat_n(0x90, 4000));
    let mut pe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec();
    pe.extend(std::iter::repeat_n(0u8, 4000));
    let script = b"#!/bin/sh\nrm -rf /\0".to_vec();
    let mut plain_zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    plain_zip
        .start_file("run.exe", zip::write::SimpleFileOptions::default())
        .unwrap();
    plain_zip.write_all(b"MZ").unwrap();
    let plain_zip = plain_zip.finish().unwrap().into_inner();
    let jpeg = crate::documents::jpeg(64, 48, 1);
    for bytes in [&elf, &pe, &script, &plain_zip, &jpeg] {
        let (status, code) = put(&app.router, &zhang, &sha256(bytes), bytes).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(code, "unsupported_type");
    }
    assert_eq!(blob_rows(&app.pool).await, 0, "nothing stored");

    // PDF, DOCX, an OLE2 file (.doc/.xls/.wps/.et), ODF and text are taken, told by content.
    let mut ole2 = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole2.extend(std::iter::repeat_n(0u8, 3000));
    let mut odt = zip::ZipWriter::new(Cursor::new(Vec::new()));
    odt.start_file(
        "mimetype",
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored),
    )
    .unwrap();
    odt.write_all(b"application/vnd.oasis.opendocument.text")
        .unwrap();
    let odt = odt.finish().unwrap().into_inner();
    let text = "整改情况说明\r\n一、已完成清理。\r\n".as_bytes().to_vec();
    for (bytes, mime) in [
        (pdf(3000), "application/pdf"),
        (
            docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (ole2, "application/x-ole-storage"),
        (odt, "application/vnd.oasis.opendocument.text"),
        (text, "text/plain; charset=utf-8"),
    ] {
        let (status, code) = put(&app.router, &zhang, &sha256(&bytes), &bytes).await;
        assert_eq!(status, StatusCode::CREATED, "{mime}: {code}");
        let stored: String = sqlx::query_scalar("select mime from blobs where sha256 = $1")
            .bind(sha256(&bytes))
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert_eq!(stored, mime);
    }
    // The photo route still takes photos only.
    let pdf = pdf(2000);
    let request = Request::builder()
        .method("PUT")
        .uri(format!("/api/blobs/{}", sha256(&pdf)))
        .header(header::AUTHORIZATION, format!("Bearer {}", zhang.token))
        .header(header::CONTENT_LENGTH, pdf.len())
        .body(Body::from(pdf.clone()))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[sqlx::test(migrations = "./migrations")]
async fn an_oversize_attachment_is_413_before_a_byte_is_stored(pool: PgPool) {
    let app = test_app(pool).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    // The default limit, 20 MiB: a TOTAL above it is refused before the body is read.
    let name = sha256(b"whatever");
    let request = Request::builder()
        .method("PUT")
        .uri(format!("/api/attachments/{name}"))
        .header(header::AUTHORIZATION, format!("Bearer {}", zhang.token))
        .header(header::CONTENT_RANGE, "bytes 0-9/20971521")
        .body(Body::from(b"%PDF-1.7\n\n".to_vec()))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Exactly 20 MiB is allowed to start.
    let mut state = app.state.clone();
    let bytes = pdf(64 * 1024);
    state.blobs = Blobs::postgres(
        app.pool.clone(),
        BlobLimits {
            max_attachment_bytes: bytes.len() as u64 - 1,
            ..BlobLimits::default()
        },
    );
    let small = duyan::app::app(state);
    let (status, code) = put(&small, &zhang, &sha256(&bytes), &bytes).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code, "too_large");
    // The photo limit (15 MiB) is not the attachments': a 16 MiB PDF is fine.
    let big = pdf(16 * 1024 * 1024);
    let (status, code) = put(&app.router, &zhang, &sha256(&big), &big).await;
    assert_eq!(status, StatusCode::CREATED, "{code}");
    assert_eq!(blob_rows(&app.pool).await, 1);
}

/// A 督办事项 of plant-2 whose progress entry carries `files` (by Zhang) and whose 批示 carries
/// `instruction_files` (by the supervisor).
async fn item_with_files(
    app: &TestApp,
    sup: &Caller,
    zhang: &Caller,
    files: Vec<AttachmentRef>,
    instruction_files: Vec<AttachmentRef>,
) -> duyan_shared::DocumentId {
    let mut entry = progress("p1", shanghai(2026, 11, 2, 9, 0));
    entry.by = zhang.id.clone();
    entry.photos = vec![];
    entry.attachments = Some(files);
    let mut record = item("阀井污水整改", "plant-2", &zhang.id, &sup.id);
    record.progress = vec![entry];
    record.instructions = vec![Instruction {
        id: "i1".into(),
        at: shanghai(2026, 11, 3, 9, 0),
        by: sup.id.clone(),
        withdrawn: None,
        text: "请按期整改到位。".into(),
        attachments: Some(instruction_files),
    }];
    app.put(record, &sup.id).await.0
}

#[sqlx::test(migrations = "./migrations")]
async fn attachments_are_downloads_for_readers_of_the_record_and_404_for_everyone_else(
    pool: PgPool,
) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let chem = app.user("chem", &[Role::Viewer], Some("chem")).await;
    let report = pdf(700 * 1024);
    let name = sha256(&report);
    assert_eq!(
        put(&app.router, &zhang, &name, &report).await.0,
        StatusCode::CREATED
    );
    let path = format!("/api/attachments/{name}");
    // Before a record names it, only its uploader reads it, called after its hash.
    let (status, headers, body) = call(&app, "GET", &path, Some(&zhang.token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, report);
    assert!(
        headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains(&name[..12])
    );
    let (status, _, _) = call(&app, "GET", &path, Some(&sup.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    item_with_files(
        &app,
        &sup,
        &zhang,
        vec![attachment_of(&report, "整改报告 (终稿).pdf", &zhang.id)],
        vec![],
    )
    .await;
    // The supervisor and the handler download it, under its name, as a download only.
    for caller in [&sup, &zhang] {
        let (status, headers, body) = call(&app, "GET", &path, Some(&caller.token), None).await;
        assert_eq!(status, StatusCode::OK, "{}", caller.id);
        assert_eq!(body, report, "the same bytes");
        assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        assert!(
            disposition.contains(
                "filename*=UTF-8''%E6%95%B4%E6%94%B9%E6%8A%A5%E5%91%8A%20%28%E7%BB%88%E7%A8%BF%29.pdf"
            ),
            "{disposition}"
        );
    }
    // The chemical plant's viewer learns nothing: the same 404 as for no file at all.
    let (status, _, denied) = call(&app, "GET", &path, Some(&chem.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let missing = format!("/api/attachments/{}", sha256(b"nothing"));
    let (_, _, none) = call(&app, "GET", &missing, Some(&chem.token), None).await;
    assert_eq!(denied, none);
    // An attachment is not a photo and a photo not an attachment.
    let (status, _, _) = call(
        &app,
        "GET",
        &format!("/api/blobs/{name}"),
        Some(&sup.token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let photo =
        crate::documents::upload(&app, &zhang, &crate::documents::jpeg(64, 48, 2), "x").await;
    let (status, _, _) = call(
        &app,
        "GET",
        &format!("/api/attachments/{}", photo.sha256),
        Some(&zhang.token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Every attachment route answers 401 without a token.
    for method in ["GET", "HEAD", "PUT"] {
        let (status, _, _) = call(&app, method, &path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method}");
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn the_dossier_files_the_attachments_and_nothing_the_caller_may_not_read(pool: PgPool) {
    let app = test_app(pool).await;
    let sup = app.user("li", &[Role::Supervisor], Some("office")).await;
    let zhang = app.user("zhang", &[Role::Handler], Some("plant-2")).await;
    let chem = app.user("chem", &[Role::Viewer], Some("chem")).await;
    let report = pdf(20 * 1024);
    let letter = docx();
    for (caller, bytes) in [(&zhang, &report), (&sup, &letter)] {
        assert_eq!(
            put(&app.router, caller, &sha256(bytes), bytes).await.0,
            StatusCode::CREATED
        );
    }
    // A file of another record (the chemical plant's), which the handler may not read.
    let secret = pdf(10 * 1024 + 7);
    assert_eq!(
        put(&app.router, &sup, &sha256(&secret), &secret).await.0,
        StatusCode::CREATED
    );
    let mut other = item("化工厂事项", "chem", &chem.id, &sup.id);
    other.progress = vec![progress("p9", shanghai(2026, 11, 2, 9, 0))];
    other.progress[0].attachments = Some(vec![attachment_of(&secret, "机密.pdf", &sup.id)]);
    app.put(other, &sup.id).await;

    let id = item_with_files(
        &app,
        &sup,
        &zhang,
        vec![
            attachment_of(&report, "整改报告.pdf", &zhang.id),
            // Named in the record, never uploaded.
            attachment_of(b"never uploaded", "汇报材料.xlsx", &zhang.id),
        ],
        vec![attachment_of(&letter, "批示件.docx", &sup.id)],
    )
    .await;

    let route = format!("/api/records/{id}/dossier.zip");
    let (status, _, body) = call(&app, "GET", &route, Some(&zhang.token), None).await;
    assert_eq!(status, StatusCode::OK);
    let mut zip = zip::ZipArchive::new(Cursor::new(body.to_vec())).unwrap();
    let mut names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "历史记录.csv",
            "督办单-阀井污水整改.docx",
            "缺少的附件.txt",
            "附件/批示-i1-1-批示件.docx",
            "附件/进展-p1-1-整改报告.pdf",
        ]
    );
    let mut read = |name: &str| {
        let mut data = Vec::new();
        zip.by_name(name).unwrap().read_to_end(&mut data).unwrap();
        data
    };
    assert_eq!(read("附件/进展-p1-1-整改报告.pdf"), report);
    assert_eq!(read("附件/批示-i1-1-批示件.docx"), letter);
    let missing = String::from_utf8(read("缺少的附件.txt")).unwrap();
    assert!(missing.contains("汇报材料.xlsx"), "{missing}");
    // The document names the files.
    let sheet = crate::documents::open(&read("督办单-阀井污水整改.docx"));
    assert!(
        sheet.text().contains("附件：整改报告.pdf、汇报材料.xlsx"),
        "{}",
        sheet.text()
    );
    assert!(
        sheet.text().contains("附件：批示件.docx"),
        "{}",
        sheet.text()
    );
    // Nothing of the chemical plant's, though the server has it.
    assert!(!names.iter().any(|n| n.contains("机密")));
    // And the dossier itself is 404 to the chemical plant.
    let (status, _, _) = call(&app, "GET", &route, Some(&chem.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
