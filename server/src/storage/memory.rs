//! An in-memory [`DocStore`] for tests of the sync logic, with failure injection so the
//! "never acknowledge what is not stored" rule can be tested without breaking a database.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use duyan_shared::DocumentId;
use futures_util::future::BoxFuture;

use super::{ActorBinding, Compacted, Created, DocStore, Increment, StorageError, StoredDoc};

#[derive(Default)]
pub struct MemoryStore {
    docs: Mutex<HashMap<DocumentId, StoredDoc>>,
    owners: Mutex<HashMap<DocumentId, String>>,
    actors: Mutex<HashMap<Vec<u8>, ActorBinding>>,
    next_increment: AtomicUsize,
    failures_left: AtomicUsize,
}

impl MemoryStore {
    /// Makes the next `n` write calls fail.
    pub fn fail_next_writes(&self, n: usize) {
        self.failures_left.store(n, Ordering::SeqCst);
    }

    /// A copy of what is stored for `id`.
    pub fn get(&self, id: &DocumentId) -> Option<StoredDoc> {
        let mut doc = self.docs.lock().expect("store lock").get(id).cloned()?;
        doc.owner = self.owners.lock().expect("store lock").get(id).cloned();
        Some(doc)
    }

    fn injected_failure(&self) -> Result<(), StorageError> {
        let failed = self
            .failures_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failed {
            Err(StorageError::Injected)
        } else {
            Ok(())
        }
    }
}

impl DocStore for MemoryStore {
    fn load(&self, id: DocumentId) -> BoxFuture<'_, Result<Option<StoredDoc>, StorageError>> {
        Box::pin(async move { Ok(self.get(&id)) })
    }

    fn create(
        &self,
        id: DocumentId,
        snapshot: Vec<u8>,
    ) -> BoxFuture<'_, Result<Created, StorageError>> {
        Box::pin(async move {
            self.injected_failure()?;
            let mut docs = self.docs.lock().expect("store lock");
            if docs.contains_key(&id) {
                return Ok(Created::AlreadyExists);
            }
            docs.insert(
                id,
                StoredDoc {
                    snapshot,
                    generation: 1,
                    increments: Vec::new(),
                    owner: None,
                },
            );
            Ok(Created::Yes)
        })
    }

    fn append(&self, id: DocumentId, data: Vec<u8>) -> BoxFuture<'_, Result<i64, StorageError>> {
        Box::pin(async move {
            self.injected_failure()?;
            let increment_id = self.next_increment.fetch_add(1, Ordering::SeqCst) as i64 + 1;
            let mut docs = self.docs.lock().expect("store lock");
            docs.entry(id).or_default().increments.push(Increment {
                id: increment_id,
                data,
            });
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
            self.injected_failure()?;
            let mut docs = self.docs.lock().expect("store lock");
            let Some(doc) = docs
                .get_mut(&id)
                .filter(|d| d.generation == base_generation)
            else {
                return Ok(Compacted::Stale);
            };
            doc.snapshot = snapshot;
            doc.generation += 1;
            doc.increments.retain(|i| !covered.contains(&i.id));
            Ok(Compacted::Yes {
                generation: doc.generation,
            })
        })
    }

    fn claim(&self, id: DocumentId, user: String) -> BoxFuture<'_, Result<String, StorageError>> {
        // Injected failures hit document writes only, which is what the tests aim them at.
        Box::pin(async move {
            let mut owners = self.owners.lock().expect("store lock");
            Ok(owners.entry(id).or_insert(user).clone())
        })
    }

    fn bind_actor(
        &self,
        actor: Vec<u8>,
        user: String,
        session: Option<String>,
    ) -> BoxFuture<'_, Result<ActorBinding, StorageError>> {
        Box::pin(async move {
            let mut actors = self.actors.lock().expect("store lock");
            let binding = actors.entry(actor).or_insert(ActorBinding {
                user_id: user,
                session_id: session,
            });
            Ok(binding.clone())
        })
    }
}
