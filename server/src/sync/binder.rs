//! Actor bindings, batched across documents.
//!
//! The stock automerge-repo client gives every document it creates its own actor id, so a
//! phone that reconnects with ten new records asks for ten bindings, and a burst of phones for
//! a thousand, each once a transaction and a commit of its own. Here one task writes them:
//! whatever is queued while a write is under way goes into the next one
//! ([`DocStore::bind_actors`], one statement), so a burst costs a few dozen commits instead of
//! one per record (BENCHMARKS.md, "Server CPU per record"). A lone binding waits for nothing.
//!
//! Every binding is durable before its caller hears of it, as before. If a batch fails, each of
//! its callers binds on its own ([`DocStore::bind_actor`]), so the error each sees, and the
//! driver's retries, are what they were without batching.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot};

use crate::storage::{ActorBinding, DocStore, StorageError};

/// The most bindings one statement writes.
const MAX_BATCH: usize = 256;

/// What callers queue: an actor to bind to a user (and session), and where to answer.
struct Request {
    actor: Vec<u8>,
    user: String,
    session: Option<String>,
    reply: oneshot::Sender<Option<ActorBinding>>,
}

/// Queues bindings for the one task that writes them (started on first use).
pub(super) struct Binder {
    store: Arc<dyn DocStore>,
    queue: OnceLock<mpsc::Sender<Request>>,
}

impl Binder {
    pub fn new(store: Arc<dyn DocStore>) -> Self {
        Self {
            store,
            queue: OnceLock::new(),
        }
    }

    /// Binds `actor` to `user` and `session` unless it is bound already; returns the binding
    /// that holds. Durable before it returns.
    pub async fn bind(
        &self,
        actor: Vec<u8>,
        user: String,
        session: Option<String>,
    ) -> Result<ActorBinding, StorageError> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(MAX_BATCH * 4);
            tokio::spawn(write_batches(self.store.clone(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        let request = Request {
            actor: actor.clone(),
            user: user.clone(),
            session: session.clone(),
            reply,
        };
        if queue.send(request).await.is_ok()
            && let Ok(Some(binding)) = answer.await
        {
            return Ok(binding);
        }
        // The batch failed (or the writer is gone): on our own, with our own error.
        self.store.bind_actor(actor, user, session).await
    }
}

async fn write_batches(store: Arc<dyn DocStore>, mut queue: mpsc::Receiver<Request>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // Each actor once; the first request for it names the user it is bound to, as if the
        // requests had come one by one.
        let mut index: HashMap<&[u8], usize> = HashMap::with_capacity(batch.len());
        let mut unique = Vec::with_capacity(batch.len());
        for request in &batch {
            index.entry(&request.actor).or_insert_with(|| {
                unique.push((
                    request.actor.clone(),
                    request.user.clone(),
                    request.session.clone(),
                ));
                unique.len() - 1
            });
        }
        let slots: Vec<usize> = batch.iter().map(|r| index[r.actor.as_slice()]).collect();
        drop(index);
        let count = unique.len();
        match store.bind_actors(unique).await {
            Ok(bindings) if bindings.len() == count => {
                for (request, slot) in batch.drain(..).zip(slots) {
                    let _ = request.reply.send(Some(bindings[slot].clone()));
                }
            }
            result => {
                if let Err(error) = result {
                    tracing::warn!(%error, bindings = count, "binding actors in a batch failed");
                }
                for request in batch.drain(..) {
                    let _ = request.reply.send(None);
                }
            }
        }
    }
}
