//! Documents and dossiers of one record, and the office's document settings:
//!
//! - `GET /api/records/{id}/document.docx`: the 督办单 of a 督办事项, the 调研报告 of a 调研记录;
//! - `GET /api/records/{id}/urges/{entry}/notice.docx`: the 催办通知单 of one urge;
//! - `GET /api/records/{id}/dossier.zip`: the dossier (归档): the document (and every urge's
//!   notice), every photo full size, every attachment under its own name, and the history
//!   as CSV;
//! - `GET /api/settings/documents` (anyone signed in: the app prints the same heading) and
//!   `PUT` (admins): the issuing body's name printed as the 红头.
//!
//! A record the caller may not read is 404, exactly as one that does not exist: [`record_for`]
//! is the one place these routes ask the record's access rule. A photo the record references
//! is embedded or filed only if the caller may read it (`may_read_blob`, the photos' own rule,
//! asked with the same query that finds the photos), so nothing enters a document or a dossier
//! that the caller could not fetch; the others count as missing.

use std::collections::HashMap;

use automerge::Automerge;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use duyan_shared::DocumentId;
use duyan_shared::api::DocumentSettings;
use duyan_shared::records::Record;

use super::{ApiError, Json};
use crate::access::Content;
use crate::access::Reader;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::blobs::export::{self, File};
use crate::documents::{self, Context, DOCX, dossier, settings};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/records/{id}/document.docx", get(document))
        .route("/records/{id}/urges/{entry}/notice.docx", get(notice))
        .route("/records/{id}/dossier.zip", get(dossier_zip))
        .route("/settings/documents", get(get_settings).put(put_settings))
}

fn no_record() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such record")
}

/// The record `id` if the caller may read it; 404 otherwise. The only access decision of these
/// routes (see the module's comment).
async fn record_for(
    state: &AppState,
    caller: &CurrentUser,
    id: &str,
) -> Result<(DocumentId, Automerge, Record), ApiError> {
    let (id, doc, view) = super::records::readable(state, caller, id).await?;
    match view.content {
        Content::Record(record) => Ok((id, doc, record)),
        // Nothing to print in an empty or damaged document.
        _ => Err(no_record()),
    }
}

/// What a document of `record` is: its file name and its bytes.
async fn build(
    state: &AppState,
    reader: &Reader,
    record: Record,
    urge: Option<String>,
) -> Result<Option<(String, Vec<u8>)>, ApiError> {
    let photos = match urge {
        Some(_) => HashMap::new(),
        None => {
            super::renditions::for_document(state, reader, &documents::embedded_photos(&record))
                .await?
        }
    };
    let issuer = settings::issuer(&state.pool).await?;
    let directory = state.directory.current();
    let today = super::scope::now();
    tokio::task::spawn_blocking(move || {
        let ctx = Context {
            issuer: &issuer,
            names: &*directory,
            photos: &photos,
            today,
        };
        let made = match (&record, urge) {
            (Record::Duban(item), Some(urge)) => {
                let number = item.urges.iter().position(|u| u.id == urge).unwrap_or(0) + 1;
                documents::urge_notice(item, &urge, &ctx).map(|made| {
                    made.map(|bytes| {
                        (
                            format!("催办通知单-{}-{number}.docx", export::safe(&item.title, 40)),
                            bytes,
                        )
                    })
                })
            }
            // A meeting has no document of its own yet; its 纪要 is the record.
            (Record::Research(_) | Record::Meeting(_), Some(_)) | (Record::Meeting(_), None) => {
                None
            }
            (Record::Duban(item), None) => {
                Some(documents::duban_sheet(item, &ctx).map(|b| (documents::file_name(&record), b)))
            }
            (Record::Research(research), None) => Some(
                documents::research_report(research, &ctx)
                    .map(|b| (documents::file_name(&record), b)),
            ),
        };
        made.transpose().map_err(ApiError::internal)
    })
    .await?
}

/// `Content-Disposition: attachment` with `name` for every browser: an ASCII `filename` for
/// old clients and the UTF-8 name as `filename*` (RFC 6266), percent-encoded.
pub(crate) fn attachment(name: &str, ascii_fallback: &str) -> HeaderValue {
    let mut encoded = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

fn docx_response(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(DOCX)),
            (
                header::CONTENT_DISPOSITION,
                attachment(name, "document.docx"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /api/records/{id}/document.docx`: 督办单 or 调研报告.
async fn document(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (_, _, record) = record_for(&state, &caller, &id).await?;
    let reader = state.directory.current().reader(&caller.user);
    let (name, bytes) = build(&state, &reader, record, None)
        .await?
        .ok_or_else(no_record)?;
    Ok(docx_response(&name, bytes))
}

/// `GET /api/records/{id}/urges/{entry}/notice.docx`: 催办通知单; 404 for an urge the item
/// does not have (or a record that is not a 督办事项).
async fn notice(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path((id, entry)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (_, _, record) = record_for(&state, &caller, &id).await?;
    let reader = state.directory.current().reader(&caller.user);
    let (name, bytes) = build(&state, &reader, record, Some(entry))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such urge"))?;
    Ok(docx_response(&name, bytes))
}

/// `GET /api/records/{id}/dossier.zip`: see the module's comment. Photos not uploaded yet are
/// listed in `缺少的照片.txt`; a dossier over the export limit (1 GiB of photos) is 413.
async fn dossier_zip(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (id, doc, record) = record_for(&state, &caller, &id).await?;
    let reader = state.directory.current().reader(&caller.user);
    let mut files = Vec::new();
    let urges: Vec<String> = match &record {
        Record::Duban(item) => item.urges.iter().map(|u| u.id.clone()).collect(),
        Record::Research(_) | Record::Meeting(_) => Vec::new(),
    };
    if let Some((name, bytes)) = build(&state, &reader, record.clone(), None).await? {
        files.push(File::Bytes { name, bytes });
    }
    for urge in urges {
        if let Some((name, bytes)) = build(&state, &reader, record.clone(), Some(urge)).await? {
            files.push(File::Bytes {
                name: format!("催办通知单/{name}"),
                bytes,
            });
        }
    }

    let entries = dossier::photo_entries(&record);
    let attached = dossier::attachment_entries(&record);
    let mut names: Vec<String> = entries
        .iter()
        .map(|e| e.sha256.clone())
        .chain(attached.iter().map(|a| a.sha256.clone()))
        .collect();
    names.sort_unstable();
    names.dedup();
    let blobs = crate::blobs::finished(&state.pool, &reader, &names)
        .await
        .map_err(ApiError::internal)?;
    let mut missing = String::new();
    let mut total = 0u64;
    let is_attachment =
        |blob: &&crate::blobs::Blob| crate::blobs::attachments::is_attachment(&blob.mime);
    for entry in entries {
        match blobs.get(&entry.sha256).filter(|b| !is_attachment(b)) {
            Some(blob) => {
                total += blob.bytes;
                files.push(File::Photo {
                    entry,
                    blob: blob.clone(),
                });
            }
            None => missing.push_str(&format!("{} ({})\n", entry.stem, entry.sha256)),
        }
    }
    let mut missing_files = String::new();
    for entry in attached {
        match blobs.get(&entry.sha256).filter(is_attachment) {
            Some(blob) => {
                total += blob.bytes;
                files.push(File::Stored {
                    name: entry.name,
                    blob: blob.clone(),
                });
            }
            None => missing_files.push_str(&format!("{} ({})\n", entry.name, entry.sha256)),
        }
    }
    let limit = state.blobs.limits.max_export_bytes;
    if total > limit {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "export_too_large",
            format!(
                "照片和附件过多 (the photos and attachments take {total} bytes, at most {limit} per dossier)"
            ),
        ));
    }
    if !missing.is_empty() {
        files.push(File::Text {
            name: "缺少的照片.txt".into(),
            text: format!("尚未上传到服务器的照片 (photos not uploaded yet):\n{missing}"),
        });
    }
    if !missing_files.is_empty() {
        files.push(File::Text {
            name: "缺少的附件.txt".into(),
            text: format!(
                "尚未上传到服务器的附件 (attachments not uploaded yet):\n{missing_files}"
            ),
        });
    }

    let history = super::records::history_of(&state, id, doc).await?;
    let rows: Vec<dossier::HistoryRow> = history
        .changes
        .iter()
        .map(|change| dossier::HistoryRow {
            at: change.at.and_then(duyan_shared::Timestamp::from_millis),
            who: match &change.user {
                _ if change.by_server => "系统".to_owned(),
                Some(p) => match (&p.display_name, &p.username) {
                    (Some(name), Some(username)) => format!("{name}（{username}）"),
                    _ => p.id.clone(),
                },
                None => "未知".to_owned(),
            },
            device: change
                .device
                .as_ref()
                .map(|d| d.label.clone().unwrap_or_else(|| d.session_id.clone()))
                .unwrap_or_default(),
            what: match &change.message {
                Some(message) => format!("{}；{message}", change.fields.join("、")),
                None => change.fields.join("、"),
            },
        })
        .collect();
    let mut csv = dossier::history_csv(&rows);
    if history.truncated {
        csv.push_str("\"（更早的记录未列出）\",,,\r\n");
    }
    files.push(File::Text {
        name: "历史记录.csv".into(),
        text: csv,
    });

    let name = format!("归档-{id}.zip");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            ),
            (
                header::CONTENT_DISPOSITION,
                attachment(&name, "dossier.zip"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Body::from_stream(export::stream(state.blobs.store.clone(), files)),
    )
        .into_response())
}

/// `GET /api/settings/documents`.
async fn get_settings(
    State(state): State<AppState>,
    _caller: CurrentUser,
) -> Result<axum::Json<DocumentSettings>, ApiError> {
    Ok(axum::Json(DocumentSettings {
        issuer: settings::issuer(&state.pool).await?,
    }))
}

/// `PUT /api/settings/documents` (admins): `{ "issuer": "集团公司办公室" }`, 1 to 40 characters
/// without control characters, trimmed.
async fn put_settings(
    State(state): State<AppState>,
    caller: CurrentUser,
    Json(body): Json<DocumentSettings>,
) -> Result<axum::Json<DocumentSettings>, ApiError> {
    if !caller
        .user
        .roles
        .contains(&duyan_shared::rules::Role::Admin)
    {
        return Err(ApiError::forbidden(
            "only admins change the documents' heading",
        ));
    }
    let issuer = body.issuer.trim();
    let chars = issuer.chars().count();
    if chars == 0 || chars > settings::MAX_ISSUER_CHARS || issuer.chars().any(char::is_control) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_issuer",
            format!(
                "红头须为 1 至 {} 个字符 (the heading takes 1 to {} characters, no control characters)",
                settings::MAX_ISSUER_CHARS,
                settings::MAX_ISSUER_CHARS
            ),
        ));
    }
    settings::set_issuer(&state.pool, issuer, &caller.user.id).await?;
    Ok(axum::Json(DocumentSettings {
        issuer: issuer.to_owned(),
    }))
}
