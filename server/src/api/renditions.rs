//! Photos as documents hold them (`blob_renditions`, [`crate::blobs::renditions`]).
//!
//! A rendition is made in the background as soon as a photo's upload finishes, so that the
//! first document of a record does not pay for its photos: scaling one photo and encoding it as
//! PNG takes 50–300 ms of CPU, and a record with 50 photos made its first 督办单 wait over
//! 15 seconds. A rendition lost to a restart, or of a photo uploaded before this existed, is
//! made on the photo's first document instead, as before. Both paths take the thumbnails'
//! permits, so at most a couple of photos are decoded at once whatever arrives.

use std::collections::HashMap;

use duyan_shared::records::PhotoRef;
use futures_util::{StreamExt, TryStreamExt};

use super::ApiError;
use crate::access::Reader;
use crate::app::AppState;
use crate::blobs::Blob;
use crate::blobs::renditions::{self, Stored};
use crate::documents::{Rendition, images};

/// The photos among `photos` the server has and the caller may read, scaled for a document:
/// the kept renditions, and those not made yet made now (two at a time) and kept. A photo that
/// cannot be decoded is left out (the document names it as missing) and logged.
pub(super) async fn for_document(
    state: &AppState,
    reader: &Reader,
    photos: &[&PhotoRef],
) -> Result<HashMap<String, Rendition>, ApiError> {
    let mut names: Vec<String> = photos.iter().map(|p| p.sha256.clone()).collect();
    names.sort_unstable();
    names.dedup();
    let blobs = crate::blobs::finished(&state.pool, reader, &names)
        .await
        .map_err(ApiError::internal)?;
    let blobs: Vec<_> = blobs
        .into_values()
        .filter(|blob| images::supported(&blob.mime))
        .collect();
    let ids: Vec<_> = blobs.iter().map(|b| b.id).collect();
    let mut stored = renditions::stored(&state.pool, &ids)
        .await
        .map_err(ApiError::internal)?;
    let mut out = HashMap::with_capacity(blobs.len());
    let mut missing = Vec::new();
    for blob in blobs {
        match stored.remove(&blob.id) {
            Some(s) => {
                out.insert(blob.sha256, rendition(s));
            }
            None => missing.push(blob),
        }
    }
    let made: Vec<Option<(String, Rendition)>> =
        futures_util::stream::iter(missing.into_iter().map(|blob| make(state, blob)))
            .buffer_unordered(2)
            .try_collect()
            .await?;
    out.extend(made.into_iter().flatten());
    Ok(out)
}

/// Makes the rendition of the photo `sha256`, just uploaded, in the background; see the
/// module's comment. Nothing waits for it, and a failure only means the first document makes it.
pub(super) fn after_upload(state: AppState, sha256: String) {
    tokio::spawn(async move {
        let made = async {
            let Some(blob) = state.blobs.store.blob(&sha256).await? else {
                return Ok(());
            };
            if !images::supported(&blob.mime) {
                return Ok(());
            }
            if renditions::stored(&state.pool, &[blob.id])
                .await?
                .is_empty()
            {
                make(&state, blob).await.map_err(|e| e.to_string())?;
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        };
        if let Err(error) = made.await {
            tracing::warn!(%sha256, %error, "cannot make a photo's rendition after its upload");
        }
    });
}

/// Reads, scales and keeps one photo's rendition.
async fn make(state: &AppState, blob: Blob) -> Result<Option<(String, Rendition)>, ApiError> {
    let _permit = state
        .blobs
        .thumbnails
        .acquire()
        .await
        .map_err(ApiError::internal)?;
    let mut bytes = Vec::with_capacity(usize::try_from(blob.bytes).unwrap_or(0));
    let mut parts = state.blobs.store.read(blob.id);
    while let Some(part) = parts.try_next().await.map_err(ApiError::internal)? {
        bytes.extend_from_slice(&part);
    }
    let made = tokio::task::spawn_blocking(move || images::render(&bytes)).await?;
    let made = match made {
        Ok(made) => made,
        Err(error) => {
            tracing::info!(sha256 = %blob.sha256, %error, "cannot place a photo in a document");
            return Ok(None);
        }
    };
    let keep = Stored {
        png: made.png,
        width: made.width,
        height: made.height,
    };
    renditions::put(&state.pool, blob.id, &keep)
        .await
        .map_err(ApiError::internal)?;
    Ok(Some((blob.sha256, rendition(keep))))
}

fn rendition(stored: Stored) -> Rendition {
    Rendition {
        png: stored.png,
        width: stored.width,
        height: stored.height,
    }
}
