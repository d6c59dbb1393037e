//! [`BlobStore`] on PostgreSQL: `blobs` rows, their bytes in `blob_parts`.
//!
//! Parts are written one statement each, while a request streams, so no connection is held
//! while a slow phone sends. Each append moves `received` forward only if it still equals the
//! part's start (a compare-and-set under the row lock), so two requests racing on one upload
//! can never interleave their bytes: the loser writes nothing and is told the offset.

use bytes::Bytes;
use duyan_shared::time::Timestamp;
use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt};
use sqlx::PgPool;

use super::{
    Appended, Begun, Blob, BlobError, BlobId, BlobStore, Cleaned, Finished, KEEP_STALE_UPLOAD_DAYS,
    KEEP_UNREFERENCED_DAYS, Upload,
};

/// Blobs in PostgreSQL.
#[derive(Clone)]
pub struct PgBlobStore {
    pool: PgPool,
}

impl PgBlobStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

fn signed(n: u64) -> Result<i64, BlobError> {
    Ok(i64::try_from(n)?)
}

fn unsigned(n: i64) -> Result<u64, BlobError> {
    Ok(u64::try_from(n)?)
}

impl BlobStore for PgBlobStore {
    fn blob<'a>(&'a self, sha256: &'a str) -> BoxFuture<'a, Result<Option<Blob>, BlobError>> {
        Box::pin(async move {
            let row = sqlx::query!(
                "select id, mime, bytes from blobs where sha256 = $1 and complete",
                sha256
            )
            .fetch_optional(&self.pool)
            .await?;
            row.map(|row| {
                Ok(Blob {
                    id: row.id,
                    sha256: sha256.to_owned(),
                    mime: row.mime,
                    bytes: unsigned(row.bytes)?,
                })
            })
            .transpose()
        })
    }

    fn upload<'a>(
        &'a self,
        sha256: &'a str,
        user: &'a str,
    ) -> BoxFuture<'a, Result<Option<Upload>, BlobError>> {
        Box::pin(async move {
            let row = sqlx::query!(
                "select id, mime, bytes, received from blobs
                 where sha256 = $1 and uploaded_by = $2 and not complete",
                sha256,
                user
            )
            .fetch_optional(&self.pool)
            .await?;
            row.map(|row| {
                Ok(Upload {
                    id: row.id,
                    mime: row.mime,
                    bytes: unsigned(row.bytes)?,
                    received: unsigned(row.received)?,
                })
            })
            .transpose()
        })
    }

    fn begin<'a>(
        &'a self,
        sha256: &'a str,
        user: &'a str,
        mime: &'a str,
        bytes: u64,
        first: Bytes,
    ) -> BoxFuture<'a, Result<Begun, BlobError>> {
        Box::pin(async move {
            let received = first.len() as u64;
            // The row and its first part in one statement: an upload never exists without
            // the bytes its type was read from.
            let created = sqlx::query_scalar!(
                r#"with created as (
                       insert into blobs (sha256, mime, bytes, received, uploaded_by)
                       values ($1, $2, $3, $4, $5)
                       on conflict (sha256, uploaded_by) where not complete do nothing
                       returning id)
                   insert into blob_parts (blob_id, start, data)
                   select id, 0, $6 from created
                   returning blob_id"#,
                sha256,
                mime,
                signed(bytes)?,
                signed(received)?,
                user,
                &first[..],
            )
            .fetch_optional(&self.pool)
            .await?;
            if let Some(id) = created {
                return Ok(Begun::Created(Upload {
                    id,
                    mime: mime.to_owned(),
                    bytes,
                    received,
                }));
            }
            // A concurrent request of the same user began it first. It may have been
            // finished or dropped since, in which case the caller starts over.
            let received = self.upload(sha256, user).await?.map_or(0, |u| u.received);
            Ok(Begun::Raced { received })
        })
    }

    fn append(
        &self,
        id: BlobId,
        start: u64,
        data: Bytes,
    ) -> BoxFuture<'_, Result<Appended, BlobError>> {
        Box::pin(async move {
            let end = start + data.len() as u64;
            let stored = sqlx::query_scalar!(
                r#"with moved as (
                       update blobs set received = $3, touched_at = now()
                       where id = $1 and not complete and received = $2 and $3 <= bytes
                       returning id)
                   insert into blob_parts (blob_id, start, data)
                   select id, $2, $4 from moved
                   returning blob_id"#,
                id,
                signed(start)?,
                signed(end)?,
                &data[..],
            )
            .fetch_optional(&self.pool)
            .await?;
            if stored.is_some() {
                return Ok(Appended::Stored { received: end });
            }
            let received = sqlx::query_scalar!(
                "select received from blobs where id = $1 and not complete",
                id
            )
            .fetch_optional(&self.pool)
            .await?;
            Ok(Appended::Conflict {
                received: unsigned(received.unwrap_or(0))?,
            })
        })
    }

    fn read(&self, id: BlobId) -> BoxStream<'static, Result<Bytes, BlobError>> {
        // One part per query, so memory stays one part and no connection is held between
        // parts while a slow client reads.
        let pool = self.pool.clone();
        stream::try_unfold(0i64, move |next| {
            let pool = pool.clone();
            async move {
                let part = sqlx::query!(
                    "select start, data from blob_parts where blob_id = $1 and start >= $2
                     order by start limit 1",
                    id,
                    next
                )
                .fetch_optional(&pool)
                .await?;
                let Some(part) = part else {
                    return Ok(None);
                };
                if part.start != next {
                    return Err(BlobError::Damaged {
                        id,
                        reason: "a part is missing",
                    });
                }
                let after = next + signed(part.data.len() as u64)?;
                Ok(Some((Bytes::from(part.data), after)))
            }
        })
        .boxed()
    }

    fn finish(&self, id: BlobId) -> BoxFuture<'_, Result<Finished, BlobError>> {
        Box::pin(async move {
            let finished = sqlx::query!(
                "update blobs set complete = true, uploaded_at = now(), released_at = null
                 where id = $1 and not complete and received = bytes
                 returning sha256, mime, bytes",
                id
            )
            .fetch_optional(&self.pool)
            .await;
            match finished {
                Ok(Some(row)) => Ok(Finished::Stored(Blob {
                    id,
                    sha256: row.sha256,
                    mime: row.mime,
                    bytes: unsigned(row.bytes)?,
                })),
                Ok(None) => Ok(Finished::Gone),
                // `blobs_by_sha256`: another user's upload of the same photo finished first.
                Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                    let sha256 = sqlx::query_scalar!("select sha256 from blobs where id = $1", id)
                        .fetch_optional(&self.pool)
                        .await?;
                    self.delete(id).await?;
                    match sha256 {
                        Some(sha256) => Ok(self
                            .blob(&sha256)
                            .await?
                            .map_or(Finished::Gone, Finished::Duplicate)),
                        None => Ok(Finished::Gone),
                    }
                }
                Err(error) => Err(error.into()),
            }
        })
    }

    fn delete(&self, id: BlobId) -> BoxFuture<'_, Result<(), BlobError>> {
        Box::pin(async move {
            // Parts and thumbnail go with it (`on delete cascade`).
            sqlx::query!("delete from blobs where id = $1", id)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn thumbnail(&self, id: BlobId) -> BoxFuture<'_, Result<Option<Bytes>, BlobError>> {
        Box::pin(async move {
            let data = sqlx::query_scalar!("select data from blob_thumbs where blob_id = $1", id)
                .fetch_optional(&self.pool)
                .await?;
            Ok(data.map(Bytes::from))
        })
    }

    fn put_thumbnail(&self, id: BlobId, jpeg: Bytes) -> BoxFuture<'_, Result<(), BlobError>> {
        Box::pin(async move {
            sqlx::query!(
                "insert into blob_thumbs (blob_id, data) values ($1, $2)
                 on conflict (blob_id) do nothing",
                id,
                &jpeg[..]
            )
            .execute(&self.pool)
            .await?;
            Ok(())
        })
    }

    fn cleanup(&self, now: Timestamp) -> BoxFuture<'_, Result<Cleaned, BlobError>> {
        Box::pin(async move { cleanup(&self.pool, now).await })
    }
}

/// Removes, as of `now`, finished blobs that no record references and that were uploaded,
/// and last stopped being referenced, more than [`KEEP_UNREFERENCED_DAYS`] before `now`; and
/// unfinished uploads with no part stored for [`KEEP_STALE_UPLOAD_DAYS`].
///
/// A record that starts referencing a photo at the very moment it is removed keeps a
/// reference to nothing; the phone that took it uploads it again if it still has it. The
/// window is one statement after 30 days of nobody referencing the photo.
pub async fn cleanup(pool: &PgPool, now: Timestamp) -> Result<Cleaned, BlobError> {
    let blobs = sqlx::query!(
        "delete from blobs b
         where b.complete
           and greatest(b.uploaded_at, b.released_at)
               < 'epoch'::timestamptz + $1::int8 * interval '1 millisecond'
                 - make_interval(days => $2::int4)
           and not exists (select 1 from record_photos p where p.sha256 = b.sha256)",
        now.millis(),
        i32::try_from(KEEP_UNREFERENCED_DAYS)?,
    )
    .execute(pool)
    .await?
    .rows_affected();
    let uploads = sqlx::query!(
        "delete from blobs
         where not complete
           and touched_at < 'epoch'::timestamptz + $1::int8 * interval '1 millisecond'
                            - make_interval(days => $2::int4)",
        now.millis(),
        i32::try_from(KEEP_STALE_UPLOAD_DAYS)?,
    )
    .execute(pool)
    .await?
    .rows_affected();
    Ok(Cleaned { blobs, uploads })
}
