//! [`DocStore`] on PostgreSQL.
//!
//! Appends never lock: increments are idempotent when loaded, so two processes appending to
//! one document both keep their changes. Compaction locks the document row (`for update`) and
//! checks the generation, so a process never replaces a snapshot that holds changes it has
//! not merged, and only deletes increments its snapshot contains.

use duyan_shared::DocumentId;
use futures_util::future::BoxFuture;
use sqlx::PgPool;

use super::{Compacted, Created, DocStore, Increment, StorageError, StoredDoc};

/// Documents in PostgreSQL (tables `documents` and `document_increments`).
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

impl DocStore for PgStore {
    fn load(&self, id: DocumentId) -> BoxFuture<'_, Result<Option<StoredDoc>, StorageError>> {
        Box::pin(async move {
            let id = id.to_string();
            // Snapshot and increments must come from one view: a compaction committing
            // between two plain reads would hide the increments it folded into a snapshot
            // we had already read the old version of.
            let mut tx = self.pool.begin().await?;
            sqlx::query!("set transaction isolation level repeatable read, read only")
                .execute(&mut *tx)
                .await?;
            let Some(doc) = sqlx::query!(
                "select snapshot, generation from documents where id = $1",
                id
            )
            .fetch_optional(&mut *tx)
            .await?
            else {
                return Ok(None);
            };
            let increments = sqlx::query_as!(
                Increment,
                "select id, data from document_increments where document_id = $1 order by id",
                id
            )
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Some(StoredDoc {
                snapshot: doc.snapshot,
                generation: doc.generation,
                increments,
            }))
        })
    }

    fn create(
        &self,
        id: DocumentId,
        snapshot: Vec<u8>,
    ) -> BoxFuture<'_, Result<Created, StorageError>> {
        Box::pin(async move {
            let inserted = sqlx::query!(
                "insert into documents (id, snapshot, generation) values ($1, $2, 1)
                 on conflict (id) do nothing",
                id.to_string(),
                snapshot
            )
            .execute(&self.pool)
            .await?
            .rows_affected();
            Ok(if inserted == 1 {
                Created::Yes
            } else {
                Created::AlreadyExists
            })
        })
    }

    fn append(&self, id: DocumentId, data: Vec<u8>) -> BoxFuture<'_, Result<i64, StorageError>> {
        Box::pin(async move {
            let id = id.to_string();
            let mut tx = self.pool.begin().await?;
            sqlx::query!(
                "insert into documents (id) values ($1) on conflict (id) do nothing",
                id
            )
            .execute(&mut *tx)
            .await?;
            let increment_id = sqlx::query_scalar!(
                "insert into document_increments (document_id, data) values ($1, $2) returning id",
                id,
                data
            )
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(increment_id)
        })
    }

    fn compact(
        &self,
        id: DocumentId,
        base_generation: i64,
        snapshot: Vec<u8>,
        covered: Vec<i64>,
    ) -> BoxFuture<'_, Result<Compacted, StorageError>> {
        Box::pin(async move {
            let id = id.to_string();
            let mut tx = self.pool.begin().await?;
            let generation = sqlx::query_scalar!(
                "select generation from documents where id = $1 for update",
                id
            )
            .fetch_optional(&mut *tx)
            .await?;
            if generation != Some(base_generation) {
                return Ok(Compacted::Stale);
            }
            let generation = sqlx::query_scalar!(
                "update documents set snapshot = $2, generation = generation + 1, updated_at = now()
                 where id = $1 returning generation",
                id,
                snapshot
            )
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query!(
                "delete from document_increments where document_id = $1 and id = any($2)",
                id,
                &covered
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Compacted::Yes { generation })
        })
    }
}
