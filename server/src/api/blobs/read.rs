//! Reading photos: `GET /api/blobs/{sha256}` and `GET /api/blobs/{sha256}/thumb`, to whoever
//! may read the photo by right ([`crate::access::photos`], asked by [`crate::blobs::readable`]);
//! 404 for anyone else, the same as for no photo at all.
//!
//! Both are content-addressed, so immutable: `Cache-Control: private, max-age=31536000,
//! immutable` (private: they are not for shared caches) with the name as `ETag`, and 304 for
//! an `If-None-Match` that names it (after the access check, so a 304 tells nothing either).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::TryStreamExt;

use super::{name, not_found, storage};
use crate::api::ApiError;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::blobs::{Blob, Blobs, attachments, thumb};

/// Finished photos never change: caches may keep them for good.
const IMMUTABLE: HeaderValue = HeaderValue::from_static("private, max-age=31536000, immutable");

/// The blob named in the path if the caller may read it and it is a photo (`attachment`
/// false) or an attachment (true); 404 otherwise.
pub(super) async fn readable_blob(
    state: &AppState,
    caller: &CurrentUser,
    sha256: &str,
    attachment: bool,
) -> Result<Blob, ApiError> {
    let sha256 = name(sha256).ok_or_else(not_found)?;
    let reader = state.directory.current().reader(&caller.user);
    crate::blobs::readable(&state.pool, &sha256, &reader)
        .await
        .map_err(storage)?
        .filter(|blob| attachments::is_attachment(&blob.mime) == attachment)
        .ok_or_else(not_found)
}

/// Whether the request's `If-None-Match` names `etag`.
fn cached(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == etag
        })
}

/// A content-addressed answer: immutable, with `etag`; 304 when the client has it.
pub(super) fn immutable(
    request: &HeaderMap,
    etag: String,
    mime: &str,
    length: u64,
    body: Body,
) -> Response {
    let etag_value = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""));
    if cached(request, &etag) {
        return (
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag_value),
                (header::CACHE_CONTROL, IMMUTABLE),
            ],
        )
            .into_response();
    }
    let content_type =
        HeaderValue::from_str(mime).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_LENGTH, HeaderValue::from(length)),
            (header::ETAG, etag_value),
            (header::CACHE_CONTROL, IMMUTABLE),
        ],
        body,
    )
        .into_response()
}

/// `GET /api/blobs/{sha256}`: the photo's bytes, streamed from storage.
pub(super) async fn download(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(sha256): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let blob = readable_blob(&state, &caller, &sha256, false).await?;
    let id = blob.id;
    let parts = state.blobs.store.read(id).map_err(move |error| {
        // The status is sent already: the client sees the body end early.
        tracing::error!(blob = id, %error, "cannot read a stored photo");
        std::io::Error::other("storage error")
    });
    Ok(immutable(
        &headers,
        format!("\"{}\"", blob.sha256),
        &blob.mime,
        blob.bytes,
        Body::from_stream(parts),
    ))
}

/// `GET /api/blobs/{sha256}/thumb`: a JPEG of about 320 px, made on first request and kept.
pub(super) async fn thumbnail(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(sha256): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let blob = readable_blob(&state, &caller, &sha256, false).await?;
    if !thumb::supported(&blob.mime) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "thumbnail_unsupported",
            "HEIC 照片没有缩略图 (no thumbnail for HEIC photos; fetch the photo itself)",
        ));
    }
    let etag = format!("\"{}-thumb\"", blob.sha256);
    if cached(&headers, &etag) {
        return Ok(immutable(&headers, etag, "image/jpeg", 0, Body::empty()));
    }
    let jpeg = match state
        .blobs
        .store
        .thumbnail(blob.id)
        .await
        .map_err(storage)?
    {
        Some(jpeg) => jpeg,
        None => make_thumbnail(&state.blobs, &blob).await?,
    };
    let length = jpeg.len() as u64;
    Ok(immutable(
        &headers,
        etag,
        "image/jpeg",
        length,
        Body::from(jpeg),
    ))
}

/// Makes, stores and returns the thumbnail of `blob`, a few at a time.
async fn make_thumbnail(blobs: &Blobs, blob: &Blob) -> Result<Bytes, ApiError> {
    let _permit = blobs
        .thumbnails
        .acquire()
        .await
        .map_err(ApiError::internal)?;
    // Made by another request while this one waited?
    if let Some(jpeg) = blobs.store.thumbnail(blob.id).await.map_err(storage)? {
        return Ok(jpeg);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(blob.bytes).unwrap_or(0));
    let mut parts = blobs.store.read(blob.id);
    while let Some(part) = parts.try_next().await.map_err(storage)? {
        bytes.extend_from_slice(&part);
    }
    let made = tokio::task::spawn_blocking(move || thumb::make(&bytes)).await?;
    let jpeg = match made {
        Ok(jpeg) => Bytes::from(jpeg),
        Err(error) => {
            tracing::info!(sha256 = %blob.sha256, %error, "cannot make a thumbnail");
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "undecodable_image",
                "the photo cannot be decoded, so it has no thumbnail",
            ));
        }
    };
    blobs
        .store
        .put_thumbnail(blob.id, jpeg.clone())
        .await
        .map_err(storage)?;
    Ok(jpeg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_matches_strong_weak_and_lists() {
        let mut headers = HeaderMap::new();
        assert!(!cached(&headers, "\"abc\""));
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"abc\""),
        );
        assert!(cached(&headers, "\"abc\""));
        assert!(!cached(&headers, "\"ab\""));
    }
}
