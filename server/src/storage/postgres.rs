//! [`DocStore`] on PostgreSQL.
//!
//! Appends never lock: increments are idempotent when loaded, so two processes appending to
//! one document both keep their changes. Compaction locks the document row (`for update`) and
//! checks the generation, so a process never replaces a snapshot that holds changes it has
//! not merged, and only deletes increments its snapshot contains.

use std::sync::Arc;

use duyan_shared::DocumentId;
use futures_util::future::BoxFuture;
use sqlx::PgPool;

use super::{ActorBinding, Compacted, Created, DocStore, Increment, StorageError, StoredDoc};

/// Documents in PostgreSQL (tables `documents` and `document_increments`).
///
/// Every write that adds changes notifies [`NOTIFY_CHANNEL`] in its own transaction, so the
/// notification is delivered exactly when the changes are committed (and never for a write
/// that rolled back). The payload is `<document id> <increment id or -> <origin>`; the origin
/// lets a process skip its own notifications (see `sync::remote`).
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    origin: Arc<str>,
}

/// The channel changes of documents are announced on.
pub const NOTIFY_CHANNEL: &str = "duyan_documents";

impl PgStore {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            origin: format!("{:016x}", rand::random::<u64>()).into(),
        }
    }

    /// The tag of this store's notifications.
    pub fn origin(&self) -> &Arc<str> {
        &self.origin
    }
}

impl DocStore for PgStore {
    fn load(&self, id: DocumentId) -> BoxFuture<'_, Result<Option<StoredDoc>, StorageError>> {
        Box::pin(async move {
            // One statement, so snapshot and increments come from one view: a compaction
            // committing between two reads would hide the increments it folded into a
            // snapshot we had read the old version of. One round trip, too: loads are what a
            // burst of reconnecting phones queues on.
            let Some(row) = sqlx::query!(
                r#"select d.snapshot, d.generation,
                          (select o.user_id from document_owners o where o.document_id = d.id) as owner,
                          array(select i.id from document_increments i
                                where i.document_id = d.id order by i.id) as "increment_ids!",
                          array(select i.data from document_increments i
                                where i.document_id = d.id order by i.id) as "increment_data!"
                   from documents d where d.id = $1"#,
                id.to_string()
            )
            .fetch_optional(&self.pool)
            .await?
            else {
                return Ok(None);
            };
            let increments = row
                .increment_ids
                .into_iter()
                .zip(row.increment_data)
                .map(|(id, data)| Increment { id, data })
                .collect();
            Ok(Some(StoredDoc {
                snapshot: row.snapshot,
                generation: row.generation,
                increments,
                owner: row.owner,
            }))
        })
    }

    fn create(
        &self,
        id: DocumentId,
        snapshot: Vec<u8>,
    ) -> BoxFuture<'_, Result<Created, StorageError>> {
        Box::pin(async move {
            let inserted = sqlx::query_scalar!(
                r#"with d as (
                       insert into documents (id, snapshot, generation) values ($1, $2, 1)
                       on conflict (id) do nothing returning id)
                   select d.id as "id!" from d,
                          pg_notify('duyan_documents', d.id || ' - ' || $3::text)"#,
                id.to_string(),
                snapshot,
                &*self.origin
            )
            .fetch_optional(&self.pool)
            .await?;
            Ok(if inserted.is_some() {
                Created::Yes
            } else {
                Created::AlreadyExists
            })
        })
    }

    fn create_owned(
        &self,
        id: DocumentId,
        snapshot: Vec<u8>,
        owner: Option<String>,
    ) -> BoxFuture<'_, Result<(Created, Option<String>), StorageError>> {
        let Some(user) = owner else {
            return Box::pin(async move { Ok((self.create(id, snapshot).await?, None)) });
        };
        Box::pin(async move {
            // One statement for what was two transactions per new document (BENCHMARKS.md,
            // "Server CPU per record"). The owner's no-op update makes `returning` yield the
            // row that holds either way; the notification goes out only if the document row
            // was inserted (`n` reads `d`).
            let row = sqlx::query!(
                r#"with o as (
                       insert into document_owners (document_id, user_id) values ($1, $4)
                       on conflict (document_id) do update set user_id = document_owners.user_id
                       returning user_id),
                   d as (
                       insert into documents (id, snapshot, generation) values ($1, $2, 1)
                       on conflict (id) do nothing returning id),
                   n as (
                       select pg_notify('duyan_documents', d.id || ' - ' || $3::text) from d)
                   select o.user_id as "owner!", (select count(*) from n) as "created!"
                   from o"#,
                id.to_string(),
                snapshot,
                &*self.origin,
                user
            )
            .fetch_one(&self.pool)
            .await?;
            let created = if row.created > 0 {
                Created::Yes
            } else {
                Created::AlreadyExists
            };
            Ok((created, Some(row.owner)))
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
                r#"with i as (
                       insert into document_increments (document_id, data) values ($1, $2)
                       returning id)
                   select i.id as "id!" from i,
                          pg_notify('duyan_documents', $1 || ' ' || i.id || ' ' || $3::text)"#,
                id,
                data,
                &*self.origin
            )
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(increment_id)
        })
    }

    fn load_increment(
        &self,
        id: DocumentId,
        increment: i64,
    ) -> BoxFuture<'_, Result<Option<Vec<u8>>, StorageError>> {
        Box::pin(async move {
            let data = sqlx::query_scalar!(
                "select data from document_increments where id = $1 and document_id = $2",
                increment,
                id.to_string()
            )
            .fetch_optional(&self.pool)
            .await?;
            Ok(data)
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

    fn claim(&self, id: DocumentId, user: String) -> BoxFuture<'_, Result<String, StorageError>> {
        Box::pin(async move {
            // The no-op update makes `returning` yield the row that holds either way.
            let owner = sqlx::query_scalar!(
                "insert into document_owners (document_id, user_id) values ($1, $2)
                 on conflict (document_id) do update set user_id = document_owners.user_id
                 returning user_id",
                id.to_string(),
                user
            )
            .fetch_one(&self.pool)
            .await?;
            Ok(owner)
        })
    }

    fn bind_actor(
        &self,
        actor: Vec<u8>,
        user: String,
        session: Option<String>,
    ) -> BoxFuture<'_, Result<ActorBinding, StorageError>> {
        Box::pin(async move {
            let row = sqlx::query!(
                "insert into actors (actor, user_id, session_id) values ($1, $2, $3)
                 on conflict (actor) do update set actor = actors.actor
                 returning user_id, session_id",
                actor,
                user,
                session
            )
            .fetch_one(&self.pool)
            .await?;
            Ok(ActorBinding {
                user_id: row.user_id,
                session_id: row.session_id,
            })
        })
    }

    fn bind_actors(
        &self,
        bindings: Vec<(Vec<u8>, String, Option<String>)>,
    ) -> BoxFuture<'_, Result<Vec<ActorBinding>, StorageError>> {
        Box::pin(async move {
            let mut actors = Vec::with_capacity(bindings.len());
            let mut users = Vec::with_capacity(bindings.len());
            let mut sessions = Vec::with_capacity(bindings.len());
            for (actor, user, session) in &bindings {
                actors.push(actor.as_slice());
                users.push(user.as_str());
                sessions.push(session.as_deref());
            }
            // In actor order, so two processes binding overlapping batches lock rows in the
            // same order and never deadlock. The no-op update returns the binding that holds.
            let rows = sqlx::query!(
                r#"insert into actors (actor, user_id, session_id)
                   select a, u, s from unnest($1::bytea[], $2::text[], $3::text[]) as b(a, u, s)
                   order by a
                   on conflict (actor) do update set actor = actors.actor
                   returning actor, user_id, session_id"#,
                &actors as &[&[u8]],
                &users as &[&str],
                &sessions as &[Option<&str>]
            )
            .fetch_all(&self.pool)
            .await?;
            let mut held: std::collections::HashMap<Vec<u8>, ActorBinding> = rows
                .into_iter()
                .map(|row| {
                    let binding = ActorBinding {
                        user_id: row.user_id,
                        session_id: row.session_id,
                    };
                    (row.actor, binding)
                })
                .collect();
            bindings
                .iter()
                .map(|(actor, _, _)| {
                    held.remove(actor)
                        .ok_or_else(|| StorageError::Database(sqlx::Error::RowNotFound))
                })
                .collect()
        })
    }
}
