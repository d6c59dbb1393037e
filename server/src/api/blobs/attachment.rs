//! `GET /api/attachments/{sha256}[?record={id}]`: an attachment's bytes, as a download.
//!
//! The same rule as photos decides who gets it ([`super::read::readable_blob`]; 404 for anyone
//! else). The answer is always a download (`Content-Disposition: attachment`) with
//! `X-Content-Type-Options: nosniff`, so no file a user uploaded is ever rendered by the
//! browser as part of this origin.
//!
//! The file is called what the record calls it (`AttachmentRef::name`): the record given as
//! `record` if the caller may read it and it names the file, else the first record the caller
//! may read that references it. The bytes are content-addressed, so the same file attached
//! twice under two names is one blob; without a readable record that names it (its uploader
//! fetching it before the record synced) it is called after its hash.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use futures_util::TryStreamExt;
use serde::Deserialize;

use super::read::{immutable, readable_blob};
use crate::access::Content;
use crate::api::ApiError;
use crate::api::documents::attachment as disposition;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::blobs::attachments::served_type;

/// Records looked at for a name before giving up and using the hash.
const NAME_LOOKUPS: i64 = 3;

#[derive(Debug, Deserialize)]
pub(in crate::api) struct Which {
    /// The record whose name for the file to use.
    record: Option<String>,
}

/// `GET /api/attachments/{sha256}`.
pub(in crate::api) async fn download(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(sha256): Path<String>,
    Query(which): Query<Which>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let blob = readable_blob(&state, &caller, &sha256, true).await?;
    let name = file_name(&state, &caller, &blob.sha256, which.record).await?;
    let id = blob.id;
    let parts = state.blobs.store.read(id).map_err(move |error| {
        tracing::error!(blob = id, %error, "cannot read a stored attachment");
        std::io::Error::other("storage error")
    });
    let mut response = immutable(
        &headers,
        format!("\"{}\"", blob.sha256),
        served_type(&blob.mime, &name),
        blob.bytes,
        Body::from_stream(parts),
    );
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_DISPOSITION,
        disposition(&name, &ascii_name(&name, &blob.sha256)),
    );
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// The name a record the caller may read gives the file; its hash if none does.
async fn file_name(
    state: &AppState,
    caller: &CurrentUser,
    sha256: &str,
    preferred: Option<String>,
) -> Result<String, ApiError> {
    let reader = state.directory.current().reader(&caller.user);
    let mut candidates: Vec<String> = preferred.into_iter().collect();
    candidates.extend(
        sqlx::query_scalar!(
            "select p.record_id from record_photos p
             join readable_records($2, $3, $4) r on r.id = p.record_id
             where p.sha256 = $1
             order by p.record_id
             limit $5",
            sha256,
            reader.id,
            reader.reads_all,
            &reader.units,
            NAME_LOOKUPS,
        )
        .fetch_all(&state.pool)
        .await?,
    );
    for id in candidates {
        // A record the caller may not read (or that is gone) gives no name: 404 there is not
        // an answer here, the file itself is readable.
        let Ok((_, _, view)) = crate::api::records::readable(state, caller, &id).await else {
            continue;
        };
        let Content::Record(record) = &view.content else {
            continue;
        };
        let named = crate::access::photos::attachments_in(record)
            .into_iter()
            .find(|a| a.sha256 == sha256)
            .map(|a| clean(&a.name));
        if let Some(name) = named.filter(|n| !n.is_empty()) {
            return Ok(name);
        }
    }
    Ok(format!("附件-{}", &sha256[..12]))
}

/// A name safe for a download: no path, no control characters, at most 120 characters.
fn clean(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(120)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The ASCII `filename` for old clients: the hash with the name's extension.
fn ascii_name(name: &str, sha256: &str) -> String {
    let ext: String = name
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    if ext.is_empty() {
        sha256[..12].to_owned()
    } else {
        format!("{}.{ext}", &sha256[..12])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(clean("../../etc/整改报告.pdf"), "整改报告.pdf");
        assert_eq!(clean("C:\\x\\a\"b\r\n.docx"), "ab.docx");
        assert_eq!(
            ascii_name("整改报告.PDF", &"a".repeat(64)),
            "aaaaaaaaaaaa.PDF"
        );
        assert_eq!(ascii_name("说明", &"b".repeat(64)), "bbbbbbbbbbbb");
    }
}
