//! Photos as documents hold them, stored once per photo (`blob_renditions`, migration
//! `0022`): scaling a 2560 px photo for a document took about 55 ms of CPU, so a record with
//! 50 photos spent over a second on it at every download. The rendition is made when the photo's
//! upload finishes, or on its first document if that was missed (`api::renditions`, by
//! `documents::images::render`), and read back afterwards;
//! a finished blob never changes, so neither does its rendition.

use std::collections::HashMap;

use sqlx::PgPool;

use super::{BlobError, BlobId};

/// A stored rendition: PNG bytes and their size in pixels.
#[derive(Debug, Clone)]
pub struct Stored {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The stored renditions of the blobs `ids`, by blob.
pub async fn stored(pool: &PgPool, ids: &[BlobId]) -> Result<HashMap<BlobId, Stored>, BlobError> {
    let rows = sqlx::query!(
        "select blob_id, width, height, data from blob_renditions where blob_id = any($1)",
        ids
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok((
                row.blob_id,
                Stored {
                    png: row.data,
                    width: u32::try_from(row.width)?,
                    height: u32::try_from(row.height)?,
                },
            ))
        })
        .collect()
}

/// Keeps the rendition of blob `id` (the first one stored wins: two documents rendering the
/// same new photo at once make the same image).
pub async fn put(pool: &PgPool, id: BlobId, rendition: &Stored) -> Result<(), BlobError> {
    sqlx::query!(
        "insert into blob_renditions (blob_id, width, height, data) values ($1, $2, $3, $4)
         on conflict (blob_id) do nothing",
        id,
        i32::try_from(rendition.width)?,
        i32::try_from(rendition.height)?,
        &rendition.png[..],
    )
    .execute(pool)
    .await?;
    Ok(())
}
