//! The registry of loaded documents: one task per document, spawned on first use and
//! removed when the document goes idle.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use automerge::ActorId;
use duyan_shared::DocumentId;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::binder::Binder;
use super::doc::{self, DocCommand};
use super::{Projector, SyncConfig};
use crate::access::People;
use crate::metrics::Metrics;
use crate::storage::{DocStore, StorageError};

/// Commands queued per document before senders wait: backpressure to the sessions' readers,
/// and so to their sockets, instead of unbounded buffering.
const INBOX: usize = 64;

/// Shared handle to the loaded documents. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    docs: Mutex<HashMap<DocumentId, Slot>>,
    next_epoch: AtomicU64,
    store: Arc<dyn DocStore>,
    projector: Option<Arc<dyn Projector>>,
    people: watch::Receiver<Arc<dyn People>>,
    /// Actor ids known to belong to a user, so most changes are attributed without a query.
    actors: Mutex<HashMap<ActorId, Arc<str>>>,
    /// Writes the bindings not in `actors`, batched across documents.
    binder: Binder,
    /// The server's peer id and the session and counter of the ephemeral messages it sends
    /// (automerge-repo clients drop ephemeral messages whose counter does not grow).
    server_peer_id: Arc<str>,
    ephemeral_session: String,
    ephemeral_count: AtomicU64,
    config: SyncConfig,
    metrics: Arc<Metrics>,
    tracker: TaskTracker,
    shutdown: CancellationToken,
}

/// Bound on the actor cache; it is cleared when full (bindings are re-read from storage).
const MAX_CACHED_ACTORS: usize = 100_000;

/// A registered document task. The epoch tells a task's own registration from a newer one
/// for the same document.
struct Slot {
    epoch: u64,
    tx: mpsc::Sender<DocCommand>,
}

/// Everything a [`Hub`] needs.
pub struct HubParts {
    pub store: Arc<dyn DocStore>,
    /// Told about every stored change; `None` where no projection is kept (sync tests).
    pub projector: Option<Arc<dyn Projector>>,
    /// The users and units access is decided on; a new value makes every loaded document
    /// check its peers again.
    pub people: watch::Receiver<Arc<dyn People>>,
    pub server_peer_id: Arc<str>,
    pub config: SyncConfig,
    pub metrics: Arc<Metrics>,
    /// Document tasks are spawned on it, so shutdown can wait for their writes.
    pub tracker: TaskTracker,
    pub shutdown: CancellationToken,
}

impl Hub {
    pub fn new(parts: HubParts) -> Self {
        let HubParts {
            store,
            projector,
            people,
            server_peer_id,
            config,
            metrics,
            tracker,
            shutdown,
        } = parts;
        Self {
            inner: Arc::new(Inner {
                docs: Mutex::default(),
                next_epoch: AtomicU64::new(1),
                binder: Binder::new(store.clone()),
                store,
                projector,
                people,
                actors: Mutex::default(),
                server_peer_id,
                ephemeral_session: format!("{:016x}", rand::random::<u64>()),
                ephemeral_count: AtomicU64::new(0),
                config,
                metrics,
                tracker,
                shutdown,
            }),
        }
    }

    pub fn store(&self) -> &Arc<dyn DocStore> {
        &self.inner.store
    }
    pub fn projector(&self) -> Option<&Arc<dyn Projector>> {
        self.inner.projector.as_ref()
    }
    pub fn people(&self) -> watch::Receiver<Arc<dyn People>> {
        self.inner.people.clone()
    }
    pub fn server_peer_id(&self) -> &Arc<str> {
        &self.inner.server_peer_id
    }
    /// Session id and next counter for an ephemeral message the server sends.
    pub fn next_ephemeral(&self) -> (&str, u64) {
        let count = self.inner.ephemeral_count.fetch_add(1, Ordering::Relaxed) + 1;
        (&self.inner.ephemeral_session, count)
    }

    /// The user `actor` belongs to, binding it to `user` (signed in with `session`) if it
    /// belongs to no one yet. The binding is durable before this returns.
    pub async fn bind_actor(
        &self,
        actor: &ActorId,
        user: &Arc<str>,
        session: Option<&str>,
    ) -> Result<Arc<str>, StorageError> {
        if let Some(owner) = self.actor_cache().get(actor) {
            return Ok(owner.clone());
        }
        let binding = self
            .inner
            .binder
            .bind(
                actor.to_bytes().to_vec(),
                user.to_string(),
                session.map(str::to_owned),
            )
            .await?;
        let owner: Arc<str> = if *binding.user_id == **user {
            user.clone()
        } else {
            binding.user_id.into()
        };
        let mut cache = self.actor_cache();
        if cache.len() >= MAX_CACHED_ACTORS {
            cache.clear();
        }
        cache.insert(actor.clone(), owner.clone());
        Ok(owner)
    }

    fn actor_cache(&self) -> std::sync::MutexGuard<'_, HashMap<ActorId, Arc<str>>> {
        self.inner
            .actors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
    pub fn config(&self) -> &SyncConfig {
        &self.inner.config
    }
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }
    pub fn shutdown(&self) -> &CancellationToken {
        &self.inner.shutdown
    }

    /// Number of documents in memory.
    pub fn loaded(&self) -> usize {
        self.lock().len()
    }

    /// Delivers `cmd` to the task of document `id`, loading the document if needed. Waits
    /// while that task's inbox is full. Dropped during shutdown.
    pub async fn dispatch(&self, id: DocumentId, mut cmd: DocCommand) {
        loop {
            let Some((epoch, tx)) = self.slot(id) else {
                return;
            };
            match tx.send(cmd).await {
                Ok(()) => return,
                // The task stopped between lookup and send: forget it and use a fresh one.
                Err(mpsc::error::SendError(returned)) => {
                    cmd = returned;
                    self.forget(id, epoch);
                }
            }
        }
    }

    /// Delivers `cmd` only if the document is loaded (a session leaving must not load it).
    pub async fn notify(&self, id: DocumentId, cmd: DocCommand) {
        let tx = self.lock().get(&id).map(|slot| slot.tx.clone());
        if let Some(tx) = tx {
            let _ = tx.send(cmd).await;
        }
    }

    /// Another process stored a change of `id` (`increment`, or `None`: read everything). The
    /// document's task merges it if the document is loaded here; nothing is loaded for it.
    /// Never waits: the listener delivering notifications must not stall behind one busy
    /// document, so a full inbox gets the notice from a task of its own.
    pub fn remote_change(&self, id: DocumentId, increment: Option<i64>) {
        let tx = self.lock().get(&id).map(|slot| slot.tx.clone());
        let Some(tx) = tx else {
            return;
        };
        if let Err(mpsc::error::TrySendError::Full(cmd)) =
            tx.try_send(DocCommand::Remote { increment })
        {
            self.inner.tracker.spawn(async move {
                let _ = tx.send(cmd).await;
            });
        }
    }

    /// The documents loaded now.
    pub fn loaded_ids(&self) -> Vec<DocumentId> {
        self.lock().keys().copied().collect()
    }

    fn slot(&self, id: DocumentId) -> Option<(u64, mpsc::Sender<DocCommand>)> {
        let mut docs = self.lock();
        if let Some(slot) = docs.get(&id) {
            return Some((slot.epoch, slot.tx.clone()));
        }
        if self.inner.shutdown.is_cancelled() {
            return None;
        }
        let (tx, rx) = mpsc::channel(INBOX);
        let epoch = self.inner.next_epoch.fetch_add(1, Ordering::Relaxed);
        docs.insert(
            id,
            Slot {
                epoch,
                tx: tx.clone(),
            },
        );
        drop(docs);
        self.inner
            .tracker
            .spawn(doc::run(self.clone(), id, epoch, rx));
        Some((epoch, tx))
    }

    /// Unregisters the task of `id` if it is still the one registered under `epoch`.
    pub(crate) fn forget(&self, id: DocumentId, epoch: u64) {
        let mut docs = self.lock();
        remove(&mut docs, id, epoch);
    }

    /// An idle task asks to leave. Refused if a command is waiting for it; otherwise it is
    /// unregistered and must hand any command that raced in to a new task.
    pub(crate) fn try_unload(
        &self,
        id: DocumentId,
        epoch: u64,
        rx: &mpsc::Receiver<DocCommand>,
    ) -> bool {
        let mut docs = self.lock();
        if !rx.is_empty() {
            return false;
        }
        remove(&mut docs, id, epoch);
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<DocumentId, Slot>> {
        // A panic while holding this lock cannot leave the map half-updated (every critical
        // section is a single insert/remove/get), so a poisoned lock is still usable.
        self.inner
            .docs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Removes the registration of `id` if it is the one of `epoch`. The map gives back its
/// capacity once mostly empty: after a phone fetched ten thousand documents and left, the
/// table sized for them would otherwise stay allocated for the life of the process.
fn remove(docs: &mut HashMap<DocumentId, Slot>, id: DocumentId, epoch: u64) {
    if docs.get(&id).is_some_and(|slot| slot.epoch == epoch) {
        docs.remove(&id);
        if docs.capacity() > 1024 && docs.len() < docs.capacity() / 4 {
            docs.shrink_to(docs.len() * 2);
        }
    }
}
