//! Photos on the server: content-addressed blobs, uploaded resumably in parts.
//!
//! A photo is named by the SHA-256 of its bytes (the `PhotoRef` in a record). A phone uploads
//! it later than it records it, in parts that may be interrupted and resumed
//! (`PUT /api/blobs/{sha256}`, see `api::blobs`); the server checks the first bytes (only real
//! images), keeps the parts as they arrive, and marks the blob complete only once the bytes
//! hash to the name. A finished blob never changes.
//!
//! Where the bytes live is behind [`BlobStore`]; [`postgres::PgBlobStore`] keeps them in
//! PostgreSQL (`blobs`, `blob_parts`, `blob_thumbs`, migration `0006_blobs.sql`), so an object
//! store can be added later. What is not behind it, because it joins with the records: who may
//! read a photo ([`readable`], the rule of [`crate::access::photos`]: its uploader, and the
//! readers of a record where someone who could read it referenced it) and which photos are in
//! use (`record_photos`, written by the projection). Photos no record has referenced for [`KEEP_UNREFERENCED_DAYS`] are removed by
//! [`spawn_cleanup`].

pub mod attachments;
pub mod export;
pub mod leases;
pub mod postgres;
pub mod renditions;
pub mod thumb;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use duyan_shared::time::Timestamp;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use sqlx::PgPool;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::access::Reader;

/// Days a finished photo is kept while no record references it (counted from its upload or
/// from the last time a record stopped referencing it): long enough for a phone that uploaded
/// the bytes to sync the record that names them after weeks offline.
pub const KEEP_UNREFERENCED_DAYS: i64 = 30;

/// Days an unfinished upload is kept after its last part.
pub const KEEP_STALE_UPLOAD_DAYS: i64 = 7;

/// How often the cleanup runs.
pub const CLEANUP_EVERY: Duration = Duration::from_secs(60 * 60);

/// A row of `blobs`: a finished blob or an unfinished upload.
pub type BlobId = i64;

/// A finished, verified blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub id: BlobId,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    /// From the magic bytes: `image/jpeg`, `image/png`, `image/webp`, `image/heic` or `image/heif`.
    pub mime: String,
    pub bytes: u64,
}

/// One user's unfinished upload of a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: BlobId,
    pub mime: String,
    /// The whole size, as announced when the upload began.
    pub bytes: u64,
    /// Bytes stored, contiguous from 0: where the next part must start.
    pub received: u64,
}

/// What [`BlobStore::begin`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begun {
    /// A new upload holding the first part.
    Created(Upload),
    /// A concurrent request of the same user began this upload first (it holds `received`
    /// bytes, 0 if it is already gone again): nothing was written.
    Raced { received: u64 },
}

/// What [`BlobStore::append`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// The part is stored; the upload now holds `received` bytes.
    Stored { received: u64 },
    /// The upload does not end where the part starts (another request moved it on, or it is
    /// gone, then 0): nothing was written.
    Conflict { received: u64 },
}

/// What [`BlobStore::finish`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    /// The upload is now the blob.
    Stored(Blob),
    /// Someone else finished the same blob first; the upload was dropped.
    Duplicate(Blob),
    /// The upload is gone or not whole.
    Gone,
}

/// What a cleanup removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Cleaned {
    /// Finished photos no record references, unreferenced for long enough.
    pub blobs: u64,
    /// Unfinished uploads nobody continued for long enough.
    pub uploads: u64,
}

/// A storage failure; its text is for the log only.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored blob {id} is damaged: {reason}")]
    Damaged { id: BlobId, reason: &'static str },
    #[error("a size does not fit: {0}")]
    Size(#[from] std::num::TryFromIntError),
}

/// Where blobs and uploads are kept. Every method is one transaction.
pub trait BlobStore: Send + Sync + 'static {
    /// The finished blob named `sha256`.
    fn blob<'a>(&'a self, sha256: &'a str) -> BoxFuture<'a, Result<Option<Blob>, BlobError>>;

    /// `user`'s unfinished upload of `sha256`.
    fn upload<'a>(
        &'a self,
        sha256: &'a str,
        user: &'a str,
    ) -> BoxFuture<'a, Result<Option<Upload>, BlobError>>;

    /// Starts `user`'s upload of `sha256` (`bytes` in all, of type `mime`) with its first
    /// part, in one step: an upload always holds at least the bytes its type was read from.
    fn begin<'a>(
        &'a self,
        sha256: &'a str,
        user: &'a str,
        mime: &'a str,
        bytes: u64,
        first: Bytes,
    ) -> BoxFuture<'a, Result<Begun, BlobError>>;

    /// Appends `data` to upload `id` if the upload ends at `start` and `data` fits in it.
    fn append(
        &self,
        id: BlobId,
        start: u64,
        data: Bytes,
    ) -> BoxFuture<'_, Result<Appended, BlobError>>;

    /// The bytes of a blob or upload in order, one stored part at a time.
    fn read(&self, id: BlobId) -> BoxStream<'static, Result<Bytes, BlobError>>;

    /// Makes a whole upload, whose bytes the caller has verified, the blob.
    fn finish(&self, id: BlobId) -> BoxFuture<'_, Result<Finished, BlobError>>;

    /// Deletes a blob or upload with its bytes and thumbnail.
    fn delete(&self, id: BlobId) -> BoxFuture<'_, Result<(), BlobError>>;

    /// The stored thumbnail of blob `id`.
    fn thumbnail(&self, id: BlobId) -> BoxFuture<'_, Result<Option<Bytes>, BlobError>>;

    /// Stores the thumbnail of blob `id` (the first one stored wins).
    fn put_thumbnail(&self, id: BlobId, jpeg: Bytes) -> BoxFuture<'_, Result<(), BlobError>>;

    /// Removes, as of `now`, finished blobs no record references that were uploaded and last
    /// unreferenced more than [`KEEP_UNREFERENCED_DAYS`] ago, and unfinished uploads untouched
    /// for [`KEEP_STALE_UPLOAD_DAYS`].
    fn cleanup(&self, now: Timestamp) -> BoxFuture<'_, Result<Cleaned, BlobError>>;
}

/// The media type of an image file from its first bytes (at least 12 are needed for WebP and
/// HEIC), or `None` when it is not one of the photo formats phones produce.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    let (Some(box_type), Some(brand)) = (head.get(4..8), head.get(8..12)) else {
        return None;
    };
    if head.starts_with(b"RIFF") && brand == b"WEBP" {
        return Some("image/webp");
    }
    // ISO-BMFF: a `ftyp` box whose major brand says HEIF with HEVC (iPhones' HEIC) or
    // plain HEIF.
    if box_type == b"ftyp" {
        return match brand {
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" => Some("image/heic"),
            b"mif1" | b"msf1" => Some("image/heif"),
            _ => None,
        };
    }
    None
}

/// Whether `name` is a blob name: 64 lowercase hex digits.
pub fn is_sha256(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The finished blob `sha256` if `reader` may read it (`may_read_blob`, see
/// [`crate::access::photos`]). `None` for everyone else, exactly as for a blob that does not
/// exist.
pub async fn readable(
    pool: &PgPool,
    sha256: &str,
    reader: &Reader,
) -> Result<Option<Blob>, BlobError> {
    let row = sqlx::query!(
        r#"select b.id, b.mime, b.bytes
           from blobs b
           where b.sha256 = $1 and b.complete and may_read_blob($2, $3, $4, b.sha256)"#,
        sha256,
        reader.id,
        reader.reads_all,
        &reader.units,
    )
    .fetch_optional(pool)
    .await?;
    row.map(|row| {
        Ok(Blob {
            id: row.id,
            sha256: sha256.to_owned(),
            mime: row.mime,
            bytes: u64::try_from(row.bytes)?,
        })
    })
    .transpose()
}

/// The finished blobs among `names` that `reader` may read (`may_read_blob`), by name.
pub async fn finished(
    pool: &PgPool,
    reader: &Reader,
    names: &[String],
) -> Result<HashMap<String, Blob>, BlobError> {
    let rows = sqlx::query!(
        "select id, sha256, mime, bytes from blobs
         where complete and sha256 = any($1) and may_read_blob($2, $3, $4, sha256)",
        names,
        reader.id,
        reader.reads_all,
        &reader.units,
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            let blob = Blob {
                id: row.id,
                sha256: row.sha256,
                mime: row.mime,
                bytes: u64::try_from(row.bytes)?,
            };
            Ok((blob.sha256.clone(), blob))
        })
        .collect()
}

/// Limits on uploads.
#[derive(Debug, Clone, Copy)]
pub struct BlobLimits {
    /// The largest photo accepted, in bytes.
    pub max_bytes: u64,
    /// The largest attachment accepted, in bytes.
    pub max_attachment_bytes: u64,
    /// Uploads one user may run at once (all processes together).
    pub uploads_per_user: usize,
    /// The most photo bytes one export (`GET /api/ledger.zip`) may hold.
    pub max_export_bytes: u64,
}

impl Default for BlobLimits {
    fn default() -> Self {
        Self {
            max_bytes: 15 * 1024 * 1024,
            max_attachment_bytes: 20 * 1024 * 1024,
            uploads_per_user: 4,
            max_export_bytes: 1024 * 1024 * 1024,
        }
    }
}

/// Thumbnails made at once: decoding a 12-megapixel photo takes ~50 MB and a core for a
/// fraction of a second, so a burst of first views queues instead of exhausting memory.
const THUMBNAILS_AT_ONCE: usize = 2;

/// Uploads running at once in a process, all users together. Each holds at most a part
/// (512 KiB) in memory, so this bounds upload memory at about 32 MiB whatever the load.
pub const UPLOADS_AT_ONCE: usize = 64;

/// Blobs as the API uses them: the store, the limits, and what bounds concurrent work.
#[derive(Clone)]
pub struct Blobs {
    pub store: Arc<dyn BlobStore>,
    pub limits: BlobLimits,
    /// Where uploads per user are counted across processes.
    pool: PgPool,
    /// Permits for [`UPLOADS_AT_ONCE`].
    all_uploads: Arc<Semaphore>,
    /// Permits to decode a photo for its thumbnail.
    pub thumbnails: Arc<Semaphore>,
}

impl Blobs {
    pub fn new(store: Arc<dyn BlobStore>, limits: BlobLimits, pool: PgPool) -> Self {
        Self {
            store,
            limits,
            pool,
            all_uploads: Arc::new(Semaphore::new(UPLOADS_AT_ONCE)),
            thumbnails: Arc::new(Semaphore::new(THUMBNAILS_AT_ONCE)),
        }
    }

    /// Blobs in PostgreSQL.
    pub fn postgres(pool: PgPool, limits: BlobLimits) -> Self {
        Self::new(
            Arc::new(postgres::PgBlobStore::new(pool.clone())),
            limits,
            pool,
        )
    }

    /// A slot for one upload by `user`, or `None` when they run as many as allowed already
    /// (in any process) or this process runs [`UPLOADS_AT_ONCE`]. Given back when dropped.
    pub async fn upload_slot(
        &self,
        user: &str,
    ) -> Result<Option<(leases::Lease, OwnedSemaphorePermit)>, sqlx::Error> {
        let Ok(permit) = self.all_uploads.clone().try_acquire_owned() else {
            return Ok(None);
        };
        let lease = leases::take(&self.pool, user, self.limits.uploads_per_user).await?;
        Ok(lease.map(|lease| (lease, permit)))
    }
}

/// Runs [`BlobStore::cleanup`] now and then every [`CLEANUP_EVERY`] until shutdown. Several
/// processes on one database may each run it: the deletes are idempotent.
pub fn spawn_cleanup(
    store: Arc<dyn BlobStore>,
    shutdown: CancellationToken,
    tracker: &TaskTracker,
) {
    tracker.spawn(async move {
        let mut every = tokio::time::interval(CLEANUP_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = every.tick() => {}
                () = shutdown.cancelled() => break,
            }
            match store.cleanup(crate::api::scope::now()).await {
                Ok(cleaned) if cleaned != Cleaned::default() => {
                    tracing::info!(
                        blobs = cleaned.blobs,
                        uploads = cleaned.uploads,
                        "removed unreferenced photos and stale uploads"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "cannot clean up photos"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_images_by_their_magic_bytes() {
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some("image/jpeg")
        );
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Some("image/heic"));
        assert_eq!(sniff(b"\0\0\0\x18ftypmif1\0\0\0\0"), Some("image/heif"));
        // MP4 video, a PDF, a WAV, text, too short.
        assert_eq!(sniff(b"\0\0\0\x18ftypisom\0\0\0\0"), None);
        assert_eq!(sniff(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3"), None);
        assert_eq!(sniff(b"RIFF\x24\0\0\0WAVEfmt "), None);
        assert_eq!(sniff(b"<svg xmlns="), None);
        assert_eq!(sniff(b"RIFF"), None);
    }

    #[test]
    fn names_are_lowercase_hex_sha256() {
        assert!(is_sha256(&"ab".repeat(32)));
        assert!(!is_sha256(&"AB".repeat(32)));
        assert!(!is_sha256(&"a".repeat(63)));
        assert!(!is_sha256(&format!("{}g", "a".repeat(63))));
    }
}
