//! `GET /api/ledger.zip`: the photos of the ledger's 督办事项 as a zip, for the meeting.
//!
//! It takes the ledger's parameters and runs the ledger's query (`api::ledger`), so the zip
//! holds the photos of exactly the items of the sheet, in folders `<序号>-<title>` numbered as
//! the sheet numbers them; a file `<entry kind>-<entry id>-<n>.<ext>` per photo (进展, 整改前,
//! 整改后). Photos a record names but nobody has uploaded yet are listed in `缺少的照片.txt`.
//! An export over [`crate::blobs::BlobLimits::max_export_bytes`] of photos (1 GiB) is 413
//! `export_too_large`, answered before anything is sent: narrow the filters. The zip itself is
//! written while it is sent ([`crate::blobs::export`]).

use std::collections::HashSet;

use automerge::Automerge;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use duyan_shared::DocumentId;
use duyan_shared::records::{DubanItem, Record, RecordKind};

use super::storage;
use crate::access::{Content, View};
use crate::api::ApiError;
use crate::api::ledger::MAX_ROWS;
use crate::api::list::{Params, fetch};
use crate::api::scope::{bad, now};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::blobs::export::{self, File};

/// `GET /api/ledger.zip`; see the module's comment.
pub(super) async fn ledger_photos(
    State(state): State<AppState>,
    caller: CurrentUser,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|rejection| bad(rejection.body_text()))?;
    let mut filter = params.check()?;
    if filter.limit_given || filter.after.is_some() {
        return Err(bad(
            "the ledger has no pages: limit and cursor do not apply",
        ));
    }
    match filter.kind {
        None => filter.kind = Some(RecordKind::Duban),
        Some(RecordKind::Duban) => {}
        Some(RecordKind::Research | RecordKind::Meeting) => {
            return Err(bad("the ledger lists 督办事项 only"));
        }
    }
    // The ledger's own query and cap, so the folders' 序号 are the sheet's.
    filter.limit = MAX_ROWS + 1;
    let directory = state.directory.current();
    let reader = directory.reader(&caller.user);
    let unit_filter = filter.unit_subtree(&directory);
    let at = filter.at.unwrap_or_else(now);
    let mut rows = fetch(&state.pool, &reader, &filter, unit_filter.as_deref(), at).await?;
    let cap = usize::try_from(MAX_ROWS).unwrap_or(usize::MAX);
    let truncated = rows.len() > cap;
    rows.truncate(cap);

    // Only records that reference photos are loaded.
    let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
    let with_photos: HashSet<String> = sqlx::query_scalar!(
        "select distinct record_id from record_photos where record_id = any($1)",
        &ids
    )
    .fetch_all(&state.pool)
    .await?
    .into_iter()
    .collect();
    let mut entries = Vec::new();
    for (number, row) in (1..).zip(&rows) {
        if with_photos.contains(&row.id)
            && let Some(item) = load_item(&state, &row.id).await?
        {
            entries.extend(export::entries_of(number, &item));
        }
    }
    let mut names: Vec<String> = entries.iter().map(|e| e.sha256.clone()).collect();
    names.sort_unstable();
    names.dedup();
    let blobs = crate::blobs::finished(&state.pool, &reader, &names)
        .await
        .map_err(storage)?;

    let mut files = Vec::new();
    let mut missing = String::new();
    let mut total = 0u64;
    for entry in entries {
        match blobs.get(&entry.sha256) {
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
    let limit = state.blobs.limits.max_export_bytes;
    if total > limit {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "export_too_large",
            format!(
                "照片过多 (the photos take {total} bytes, at most {limit} per export: narrow the filters)"
            ),
        ));
    }
    if !missing.is_empty() {
        files.push(File::Text {
            name: "缺少的照片.txt".into(),
            text: format!("尚未上传到服务器的照片 (photos not uploaded yet):\n{missing}"),
        });
    }
    if truncated {
        files.push(File::Text {
            name: "说明.txt".into(),
            text: format!("只包含台账前 {MAX_ROWS} 项的照片 (only the first {MAX_ROWS} items)\n"),
        });
    }

    let filename = format!("ledger-photos-{}.zip", at.local_date().format("%Y-%m-%d"));
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Body::from_stream(export::stream(state.blobs.store.clone(), files)),
    )
        .into_response())
}

/// The 督办事项 stored as document `id`, read as the document task reads it; `None` when the
/// document is gone or holds something else.
async fn load_item(state: &AppState, id: &str) -> Result<Option<DubanItem>, ApiError> {
    let Ok(id) = id.parse::<DocumentId>() else {
        return Ok(None);
    };
    let Some(stored) = state
        .hub
        .store()
        .load(id)
        .await
        .map_err(ApiError::internal)?
    else {
        return Ok(None);
    };
    let item = tokio::task::spawn_blocking(move || {
        let mut doc = Automerge::new();
        // A damaged chunk is skipped, as the sync layer does: the rest stays readable.
        let _ = doc.load_incremental(&stored.snapshot);
        for increment in &stored.increments {
            let _ = doc.load_incremental(&increment.data);
        }
        match View::of(&doc, None).content {
            Content::Record(Record::Duban(item)) => Some(item),
            _ => None,
        }
    })
    .await?;
    Ok(item)
}
