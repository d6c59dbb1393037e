//! Photos: `PUT`, `HEAD` and `GET /api/blobs/{sha256}` and `GET /api/blobs/{sha256}/thumb`.
//!
//! **Uploading** (resumable, simple to do with `fetch()`):
//! - `HEAD /api/blobs/{sha256}` says how far the server got: `X-Upload-Complete: true` when
//!   it has the photo, else `X-Upload-Complete: false` and `Upload-Offset: N`, the bytes of the
//!   caller's unfinished upload stored so far (0 if none).
//! - `PUT /api/blobs/{sha256}` with the whole file (`Content-Length`), or with a part of it,
//!   `Content-Range: bytes START-END/TOTAL` (END inclusive). A part must start at the offset:
//!   else 409 `offset_mismatch` with `Upload-Offset`. Answers: 202 with `Upload-Offset` (more
//!   to come), 201 (this request finished the photo), 200 (the server had it already: the body
//!   is drained, nothing is stored, `X-Upload-Complete: true`). When the last byte arrives the bytes are
//!   hashed; a mismatch is 400 `hash_mismatch` and the upload is dropped.
//! - Limits: TOTAL above `--max-photo-bytes` is 413 before anything is read; the first bytes
//!   must be JPEG, PNG, WebP or HEIC/HEIF (415 otherwise, nothing stored); a user runs at most
//!   `--uploads-per-user` uploads at once (429). A request cut off mid-body keeps what arrived:
//!   the client asks `HEAD` and goes on from there.
//!
//! **Reading**: `GET` gives the bytes, `/thumb` a JPEG of about 320 px made on first request
//! (HEIC: 415 `thumbnail_unsupported`), both `Cache-Control: private, immutable` with the
//! SHA-256 as `ETag`, to its uploader and to whoever may read a record where someone who could
//! read the photo referenced it ([`crate::access::photos`]). Anyone else gets 404, the same as
//! for a photo that does not exist.
//!
//! **Attachments** (files that are not photos: PDF, Word, Excel, WPS, ODF, plain text) go the
//! same way under `/api/attachments/{sha256}` (`HEAD`, `PUT`, `GET`): the same resumable
//! upload, but the first part must show one of those formats ([`crate::blobs::attachments`],
//! 415 `unsupported_type` otherwise) and TOTAL is bounded by `--max-attachment-bytes` (413).
//! `GET` answers with `Content-Disposition: attachment` and the name the record gives the
//! file ([`attachment`]). Photos are not served as attachments nor attachments as photos
//! (404), so a PDF is never shown inline from this origin.
//!
//! **Export**: `GET /api/ledger.zip`, the photos of the ledger's items as a zip ([`export`]).

mod attachment;
mod export;
mod read;

use std::borrow::Cow;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::{Bytes, BytesMut};
use duyan_shared::api::UploadProgress;
use futures_util::{StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};

use super::ApiError;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::blobs::{Appended, Begun, Blob, BlobError, Blobs, Finished, Upload, attachments};

/// What a `PUT` uploads: a photo (`/api/blobs`) or an attachment (`/api/attachments`, see
/// [`crate::blobs::attachments`]). They differ only in what the first part must show, the
/// size limit, and the words of a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Photo,
    Attachment,
}

impl Kind {
    fn sniff(self, head: &[u8]) -> Option<&'static str> {
        match self {
            Self::Photo => crate::blobs::sniff(head),
            Self::Attachment => attachments::sniff(head),
        }
    }

    fn max_bytes(self, blobs: &Blobs) -> u64 {
        match self {
            Self::Photo => blobs.limits.max_bytes,
            Self::Attachment => blobs.limits.max_attachment_bytes,
        }
    }

    /// Whether the first bytes of a body cut off are worth keeping: a photo's are checked
    /// (and refused if need be) once 12 have arrived; an attachment's are kept only if they
    /// already show its format (a ZIP's first entries may need more), otherwise the client
    /// sends them again.
    fn keeps_first(self, pending: &[u8]) -> bool {
        match self {
            Self::Photo => pending.len() >= 12,
            Self::Attachment => attachments::sniff(pending).is_some(),
        }
    }

    fn unsupported(self) -> ApiError {
        match self {
            Self::Photo => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "not_an_image",
                "只接受照片 (only JPEG, PNG, WebP and HEIC photos are accepted)",
            ),
            Self::Attachment => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_type",
                "只接受 PDF、Word、Excel、WPS、ODF 文档和纯文本 (only PDF, Word, Excel, WPS, ODF and plain text files are accepted)",
            ),
        }
    }
}

/// Bytes stored per part: a request is written to the database in parts of this size, so an
/// upload holds at most this much in memory whatever the size of the photo or the request.
pub const PART_BYTES: usize = 512 * 1024;

/// A body that sends nothing for this long is treated as cut off: what arrived is kept and
/// the upload slot is given back, so a stalled phone does not hold it.
pub const STALLED_AFTER: Duration = Duration::from_secs(60);

/// The bytes an upload has stored, contiguous from 0.
pub const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
/// `true` when the server has the whole photo.
pub const UPLOAD_COMPLETE: HeaderName = HeaderName::from_static("x-upload-complete");

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/blobs/{sha256}",
            get(read::download).head(progress).put(upload_photo),
        )
        .route("/blobs/{sha256}/thumb", get(read::thumbnail))
        .route(
            "/attachments/{sha256}",
            get(attachment::download)
                .head(progress)
                .put(upload_attachment),
        )
        .route("/ledger.zip", get(export::ledger_photos))
}

pub(super) fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such photo")
}

/// The blob name in a path, lowercased; `None` when it is not a SHA-256.
pub(super) fn name(sha256: &str) -> Option<String> {
    let sha256 = sha256.to_ascii_lowercase();
    crate::blobs::is_sha256(&sha256).then_some(sha256)
}

pub(super) fn storage(error: BlobError) -> ApiError {
    ApiError::internal(error)
}

/// `HEAD /api/blobs/{sha256}`: whether the server has the photo, else the caller's offset.
async fn progress(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    let sha256 = name(&sha256).ok_or_else(invalid_name)?;
    let store = &state.blobs.store;
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(blob) = store.blob(&sha256).await.map_err(storage)? {
        headers.insert(UPLOAD_COMPLETE, HeaderValue::from_static("true"));
        headers.insert(UPLOAD_OFFSET, HeaderValue::from(blob.bytes));
    } else {
        let received = store
            .upload(&sha256, &caller.user.id)
            .await
            .map_err(storage)?
            .map_or(0, |u| u.received);
        headers.insert(UPLOAD_COMPLETE, HeaderValue::from_static("false"));
        headers.insert(UPLOAD_OFFSET, HeaderValue::from(received));
    }
    Ok((StatusCode::OK, headers).into_response())
}

fn invalid_name() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_hash",
        "a photo is named by the lowercase hex SHA-256 of its bytes",
    )
}

/// What part of the photo a `PUT` carries: bytes `start..end` of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u64,
    end: u64,
    total: u64,
}

/// The span of a `PUT` from its `Content-Range` or, for a whole file, `Content-Length`.
fn span(headers: &HeaderMap, max_bytes: u64, kind: Kind) -> Result<Span, ApiError> {
    let length = match headers.get(header::CONTENT_LENGTH) {
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| bad_range("Content-Length is not a number"))?,
        ),
        None => None,
    };
    let span = match headers.get(header::CONTENT_RANGE) {
        Some(range) => {
            let span = range
                .to_str()
                .ok()
                .and_then(parse_content_range)
                .ok_or_else(|| {
                    bad_range("Content-Range must be `bytes START-END/TOTAL`, END inclusive")
                })?;
            if length.is_some_and(|length| length != span.end - span.start) {
                return Err(bad_range("Content-Length differs from the Content-Range"));
            }
            span
        }
        None => {
            let total = length.ok_or_else(|| {
                ApiError::new(
                    StatusCode::LENGTH_REQUIRED,
                    "length_required",
                    "send Content-Length, or Content-Range for a part",
                )
            })?;
            if total == 0 {
                return Err(bad_range("the file is empty"));
            }
            Span {
                start: 0,
                end: total,
                total,
            }
        }
    };
    if span.total > max_bytes {
        let what = match kind {
            Kind::Photo => "照片过大 (a photo",
            Kind::Attachment => "附件过大 (an attachment",
        };
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("{what} may have at most {max_bytes} bytes)"),
        ));
    }
    Ok(span)
}

/// `bytes START-END/TOTAL` with END inclusive, as HTTP writes it.
fn parse_content_range(value: &str) -> Option<Span> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, last) = range.split_once('-')?;
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    let (start, last, total) = (number(start)?, number(last)?, number(total)?);
    (start <= last && last < total).then_some(Span {
        start,
        end: last + 1,
        total,
    })
}

fn bad_range(message: &'static str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_range", message)
}

/// 409 with the offset the upload is at: where the client must go on from.
fn offset_mismatch(received: u64) -> Response {
    let mut response = ApiError::new(
        StatusCode::CONFLICT,
        "offset_mismatch",
        "the part does not start where the stored bytes end (see Upload-Offset)",
    )
    .into_response();
    response
        .headers_mut()
        .insert(UPLOAD_OFFSET, HeaderValue::from(received));
    response
}

fn answer(status: StatusCode, sha256: &str, offset: u64, blob: Option<&Blob>) -> Response {
    let mut response = (
        status,
        axum::Json(UploadProgress {
            sha256: sha256.to_owned(),
            complete: blob.is_some(),
            offset,
            mime: blob.map(|b| b.mime.clone()),
        }),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(UPLOAD_OFFSET, HeaderValue::from(offset));
    headers.insert(
        UPLOAD_COMPLETE,
        HeaderValue::from_static(if blob.is_some() { "true" } else { "false" }),
    );
    response
}

/// `PUT /api/blobs/{sha256}`: the whole photo or a part of it; see the module's comment.
async fn upload_photo(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(sha256): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let response = upload(
        state.clone(),
        caller,
        sha256.clone(),
        headers,
        body,
        Kind::Photo,
    )
    .await?;
    // The photo is whole: its document rendition is made now rather than on its first
    // document (`api::renditions`).
    if response.status() == StatusCode::CREATED
        && let Some(sha256) = name(&sha256)
    {
        super::renditions::after_upload(state, sha256);
    }
    Ok(response)
}

/// `PUT /api/attachments/{sha256}`: the same for an attachment.
async fn upload_attachment(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(sha256): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    upload(state, caller, sha256, headers, body, Kind::Attachment).await
}

async fn upload(
    state: AppState,
    caller: CurrentUser,
    sha256: String,
    headers: HeaderMap,
    body: Body,
    kind: Kind,
) -> Result<Response, ApiError> {
    let sha256 = name(&sha256).ok_or_else(invalid_name)?;
    let span = span(&headers, kind.max_bytes(&state.blobs), kind)?;
    let _slot = state
        .blobs
        .upload_slot(&caller.user.id)
        .await?
        .ok_or_else(|| ApiError::Refused {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "too_many_uploads",
            message: Cow::Owned(format!(
                "too many uploads at once (at most {} per user); try again shortly",
                state.blobs.limits.uploads_per_user
            )),
            retry_after: Some(Duration::from_secs(1)),
        })?;
    let store = &state.blobs.store;
    if let Some(blob) = store.blob(&sha256).await.map_err(storage)? {
        // Nothing to store. The body is read and dropped so the connection stays usable
        // (a client whose request body is left unread sees a reset, not this answer).
        drain(body).await;
        // The caller's own unfinished upload of it (someone else finished first) is no
        // longer needed.
        if let Some(upload) = store
            .upload(&sha256, &caller.user.id)
            .await
            .map_err(storage)?
        {
            store.delete(upload.id).await.map_err(storage)?;
        }
        return Ok(answer(StatusCode::OK, &sha256, blob.bytes, Some(&blob)));
    }
    let upload = match store
        .upload(&sha256, &caller.user.id)
        .await
        .map_err(storage)?
    {
        // The same photo has the same size: a different one means the client lost track
        // of its upload. Starting over from 0 is allowed; anything else is refused.
        Some(upload) if upload.bytes != span.total => {
            if span.start != 0 {
                return Err(bad_range("TOTAL differs from the upload's"));
            }
            store.delete(upload.id).await.map_err(storage)?;
            None
        }
        // All bytes are stored but the upload was never finished (the server stopped between
        // its last part and the check): any part finishes it.
        Some(upload) if upload.received == upload.bytes => {
            drain(body).await;
            let writer = Writer {
                kind,
                blobs: &state.blobs,
                sha256: &sha256,
                user: &caller.user.id,
                total: span.total,
                offset: upload.received,
                upload: Some(upload),
                hasher: None,
            };
            return writer.finish().await;
        }
        Some(upload) if upload.received != span.start => {
            return Ok(offset_mismatch(upload.received));
        }
        None if span.start != 0 => return Ok(offset_mismatch(0)),
        found => found,
    };
    let mut writer = Writer {
        kind,
        blobs: &state.blobs,
        sha256: &sha256,
        user: &caller.user.id,
        total: span.total,
        offset: span.start,
        upload,
        hasher: (span.start == 0).then(Sha256::new),
    };
    let received = match writer.write(body, span.end).await? {
        Written::Offset(received) => received,
        Written::Refused(response) => return Ok(response),
    };
    if received < span.total {
        return Ok(answer(StatusCode::ACCEPTED, &sha256, received, None));
    }
    writer.finish().await
}

/// Reads a body to its end and drops it, giving up on one that stalls.
async fn drain(body: Body) {
    let mut body = body.into_data_stream();
    while let Ok(Some(Ok(_))) = tokio::time::timeout(STALLED_AFTER, body.next()).await {}
}

/// Streams one request's bytes into an upload, a part at a time.
struct Writer<'a> {
    kind: Kind,
    blobs: &'a Blobs,
    sha256: &'a str,
    user: &'a str,
    total: u64,
    /// Bytes of the upload stored so far (where the next part starts).
    offset: u64,
    /// `None` until the first part of a new upload is stored.
    upload: Option<Upload>,
    /// The hash of every byte stored, when this request sent them all (it began at 0);
    /// otherwise the stored bytes are hashed at the end.
    hasher: Option<Sha256>,
}

enum Written {
    /// Everything the request carried is stored; the upload holds this many bytes.
    Offset(u64),
    /// The request was refused; what it stored before stays.
    Refused(Response),
}

impl Writer<'_> {
    /// Stores the body, which must end at `end`, in parts of [`PART_BYTES`]. A body cut
    /// off keeps what arrived and answers 400 `incomplete_body` with the offset.
    async fn write(&mut self, body: Body, end: u64) -> Result<Written, ApiError> {
        let mut body = body.into_data_stream();
        let mut pending = BytesMut::new();
        loop {
            let next = tokio::time::timeout(STALLED_AFTER, body.next())
                .await
                .unwrap_or_else(|_| Some(Err(axum::Error::new("the body stalled"))));
            match next {
                Some(Ok(frame)) => {
                    if self.offset + (pending.len() + frame.len()) as u64 > end {
                        return Err(bad_range("the body is longer than announced"));
                    }
                    pending.extend_from_slice(&frame);
                    while pending.len() >= PART_BYTES {
                        let part = pending.split_to(PART_BYTES).freeze();
                        if let Some(refused) = self.store(part).await? {
                            return Ok(Written::Refused(refused));
                        }
                    }
                }
                Some(Err(error)) => {
                    tracing::debug!(%error, "upload body cut off");
                    // Keep what arrived, unless it is too little to tell what it is.
                    if !pending.is_empty()
                        && (self.upload.is_some() || self.kind.keeps_first(&pending))
                        && let Some(refused) = self.store(pending.freeze()).await?
                    {
                        return Ok(Written::Refused(refused));
                    }
                    let mut response = ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "incomplete_body",
                        "the body was cut off; what arrived is kept (see Upload-Offset)",
                    )
                    .into_response();
                    response
                        .headers_mut()
                        .insert(UPLOAD_OFFSET, HeaderValue::from(self.offset));
                    return Ok(Written::Refused(response));
                }
                None => break,
            }
        }
        if !pending.is_empty()
            && let Some(refused) = self.store(pending.freeze()).await?
        {
            return Ok(Written::Refused(refused));
        }
        Ok(Written::Offset(self.offset))
    }

    /// Stores one part at the offset: the first part of a new upload after checking it is
    /// an image.
    async fn store(&mut self, part: Bytes) -> Result<Option<Response>, ApiError> {
        let store = &self.blobs.store;
        let len = part.len() as u64;
        let hashed = part.clone();
        match &self.upload {
            None => {
                let Some(mime) = self.kind.sniff(&part) else {
                    return Err(self.kind.unsupported());
                };
                match store
                    .begin(self.sha256, self.user, mime, self.total, part)
                    .await
                    .map_err(storage)?
                {
                    Begun::Created(upload) => self.upload = Some(upload),
                    Begun::Raced { received } => return Ok(Some(offset_mismatch(received))),
                }
            }
            // Plain text stays text to its end; nothing else is checked past the first part.
            // What was stored goes: it can never become a blob.
            Some(upload)
                if upload.mime == attachments::TEXT && !attachments::text_part_ok(&part) =>
            {
                store.delete(upload.id).await.map_err(storage)?;
                return Err(self.kind.unsupported());
            }
            Some(upload) => match store
                .append(upload.id, self.offset, part)
                .await
                .map_err(storage)?
            {
                Appended::Stored { .. } => {}
                Appended::Conflict { received } => return Ok(Some(offset_mismatch(received))),
            },
        }
        self.offset += len;
        if let Some(hasher) = &mut self.hasher {
            hasher.update(&hashed);
        }
        Ok(None)
    }

    /// Verifies the whole upload's hash and makes it the blob.
    async fn finish(self) -> Result<Response, ApiError> {
        let store = &self.blobs.store;
        let Some(upload) = self.upload else {
            return Err(ApiError::internal("a whole upload with no upload row"));
        };
        let digest = match self.hasher {
            Some(hasher) => hasher.finalize(),
            None => {
                // Parts came in several requests: hash what is stored, a part at a time.
                let mut hasher = Sha256::new();
                let mut parts = store.read(upload.id);
                while let Some(part) = parts.try_next().await.map_err(storage)? {
                    hasher.update(&part);
                }
                hasher.finalize()
            }
        };
        let digest = hex(&digest);
        if digest != self.sha256 {
            store.delete(upload.id).await.map_err(storage)?;
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "hash_mismatch",
                "the bytes do not hash to the photo's name; the upload is dropped, send it again",
            ));
        }
        match store.finish(upload.id).await.map_err(storage)? {
            Finished::Stored(blob) => Ok(answer(
                StatusCode::CREATED,
                self.sha256,
                blob.bytes,
                Some(&blob),
            )),
            Finished::Duplicate(blob) => {
                Ok(answer(StatusCode::OK, self.sha256, blob.bytes, Some(&blob)))
            }
            Finished::Gone => Ok(offset_mismatch(0)),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_content_ranges() {
        assert_eq!(
            parse_content_range("bytes 0-524287/2000000"),
            Some(Span {
                start: 0,
                end: 524_288,
                total: 2_000_000
            })
        );
        assert_eq!(
            parse_content_range("bytes 1999999-1999999/2000000").map(|s| s.end),
            Some(2_000_000)
        );
        for bad in [
            "bytes 10-5/100",
            "bytes 0-100/100",
            "bytes 0-9/*",
            "bytes */100",
            "bytes -1-5/10",
            "bytes +1-5/10",
            "items 0-1/2",
            "bytes 0-99999999999999999999/1",
        ] {
            assert_eq!(parse_content_range(bad), None, "{bad}");
        }
    }
}
