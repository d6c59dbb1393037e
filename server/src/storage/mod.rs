//! Durable storage of Automerge documents.
//!
//! A document is stored as a compacted snapshot plus increments appended since. The sync
//! layer only talks to [`DocStore`]; [`postgres::PgStore`] is the real thing and
//! [`memory::MemoryStore`] lets the sync logic be tested without a database, including
//! storage failures.

pub mod memory;
pub mod postgres;

use duyan_shared::DocumentId;
use futures_util::future::BoxFuture;

/// What storage holds for one document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredDoc {
    /// `Automerge::save()` output, possibly empty.
    pub snapshot: Vec<u8>,
    /// The compaction generation the snapshot belongs to.
    pub generation: i64,
    /// Increments appended since the snapshot, oldest first.
    pub increments: Vec<Increment>,
    /// The user who first stored the document, if recorded.
    pub owner: Option<String>,
}

impl StoredDoc {
    /// Bytes this document takes in storage (payload only).
    pub fn stored_bytes(&self) -> usize {
        self.snapshot.len() + self.increments.iter().map(|i| i.data.len()).sum::<usize>()
    }
}

/// One appended chunk of changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Increment {
    pub id: i64,
    pub data: Vec<u8>,
}

/// The result of [`DocStore::create`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// The document was new; the snapshot is stored as generation 1.
    Yes,
    /// Someone (another process) stored the document first; nothing was written.
    AlreadyExists,
}

/// The result of [`DocStore::compact`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compacted {
    /// The new snapshot is stored under this generation and the covered increments are gone.
    Yes { generation: i64 },
    /// The stored generation moved on since the caller loaded it: nothing was written. The
    /// caller merges what is stored now and tries again.
    Stale,
}

/// A storage failure. The message is for logs only; peers are told "storage unavailable".
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("injected failure")]
    Injected,
}

/// Which user an Automerge actor id belongs to (see [`DocStore::bind_actor`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorBinding {
    pub user_id: String,
    pub session_id: Option<String>,
}

/// Storage of Automerge documents. Every method is one transaction: when it returns `Ok`,
/// what it wrote is durable.
pub trait DocStore: Send + Sync + 'static {
    /// Everything stored for `id`, read consistently, or `None` for a document never stored.
    fn load(&self, id: DocumentId) -> BoxFuture<'_, Result<Option<StoredDoc>, StorageError>>;

    /// One increment of `id` (another process's, announced by a notification), or `None` if it
    /// is gone (compacted into the snapshot). Reads everything unless the store does better.
    fn load_increment(
        &self,
        id: DocumentId,
        increment: i64,
    ) -> BoxFuture<'_, Result<Option<Vec<u8>>, StorageError>> {
        Box::pin(async move {
            Ok(self.load(id).await?.and_then(|stored| {
                stored
                    .increments
                    .into_iter()
                    .find(|i| i.id == increment)
                    .map(|i| i.data)
            }))
        })
    }

    /// Stores a new document's first snapshot, unless it exists already.
    fn create(
        &self,
        id: DocumentId,
        snapshot: Vec<u8>,
    ) -> BoxFuture<'_, Result<Created, StorageError>>;

    /// Appends an increment, creating the document row if needed; returns the increment's id.
    fn append(&self, id: DocumentId, data: Vec<u8>) -> BoxFuture<'_, Result<i64, StorageError>>;

    /// Replaces the snapshot of generation `base_generation` by `snapshot` and deletes the
    /// increments in `covered`, which the snapshot must contain. Increments not in `covered`
    /// (appended meanwhile, perhaps by another process) are kept.
    fn compact(
        &self,
        id: DocumentId,
        base_generation: i64,
        snapshot: Vec<u8>,
        covered: Vec<i64>,
    ) -> BoxFuture<'_, Result<Compacted, StorageError>>;

    /// Records `user` as the owner of `id` unless it has one; returns the owner.
    fn claim(&self, id: DocumentId, user: String) -> BoxFuture<'_, Result<String, StorageError>>;

    /// [`Self::create`] and, with an `owner`, [`Self::claim`] for it: returns whether the
    /// document was created and the owner that holds. One transaction where the store can
    /// (the document task's first write of every new document); this default makes two, the
    /// claim first.
    fn create_owned(
        &self,
        id: DocumentId,
        snapshot: Vec<u8>,
        owner: Option<String>,
    ) -> BoxFuture<'_, Result<(Created, Option<String>), StorageError>> {
        Box::pin(async move {
            let owner = match owner {
                Some(user) => Some(self.claim(id, user).await?),
                None => None,
            };
            Ok((self.create(id, snapshot).await?, owner))
        })
    }

    /// Binds `actor` to `user` and `session` unless it is bound already; returns the binding
    /// that holds, which may name another user.
    fn bind_actor(
        &self,
        actor: Vec<u8>,
        user: String,
        session: Option<String>,
    ) -> BoxFuture<'_, Result<ActorBinding, StorageError>>;

    /// [`Self::bind_actor`] for each of `bindings` (actor, user, session; each actor once), in
    /// one transaction where the store can; the bindings that hold, in the same order.
    fn bind_actors(
        &self,
        bindings: Vec<(Vec<u8>, String, Option<String>)>,
    ) -> BoxFuture<'_, Result<Vec<ActorBinding>, StorageError>> {
        Box::pin(async move {
            let mut bound = Vec::with_capacity(bindings.len());
            for (actor, user, session) in bindings {
                bound.push(self.bind_actor(actor, user, session).await?);
            }
            Ok(bound)
        })
    }
}
