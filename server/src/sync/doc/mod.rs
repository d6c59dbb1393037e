//! One loaded document, owned by one task.
//!
//! The task applies the sync messages of all peers of the document in batches. After each
//! batch it writes the new changes to storage and only then generates the answers, so every
//! heads value a peer receives from us is durable: a client that saw its change acknowledged
//! (its heads in our sync message) will find it after a crash. If storage keeps failing, the
//! task tells its peers, closes their sessions and drops the document from memory, so nothing
//! unstored can be acknowledged later; the clients resend when they reconnect.
//!
//! Access is checked here too (rules in [`super::access`]): a peer that may not read the
//! document gets `doc-unavailable`; every change is attributed to the user whose actor id made
//! it, and refused if the actor belongs to someone else; and after each message the record is
//! reviewed against the rules, and what the author was not allowed to change is put back at
//! once with a change of the server's own, before anyone else is sent anything.
//!
//! All of that is decided by [`core::DocCore`], which does no I/O (as samod's document actor):
//! it takes commands and I/O results and says what to bind, write, project and send. This
//! module is the thin driver around it: it owns the inbox, runs the I/O the core asks for
//! (with retries), delivers what the core sends, and unloads the document when it is idle.

mod apply;
pub(crate) mod core;
mod stored;
#[cfg(test)]
mod tests;
mod undo;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use duyan_shared::DocumentId;
use tokio::sync::{mpsc, watch};

use self::core::{DocCore, Done, Effect, Io, Next, Send};
use super::hub::Hub;
use super::peer::{ConnId, Peer};
use super::protocol::PeerId;
use crate::access::People;
use crate::storage::StorageError;

/// What peers tell the task owning a document.
#[derive(Debug)]
pub enum DocCommand {
    /// A `sync` or `request` message.
    Sync {
        peer: Arc<Peer>,
        data: Vec<u8>,
        is_request: bool,
    },
    /// Boxed: it is rare, and every loaded document's inbox has room for 32 commands.
    Ephemeral(Box<Ephemeral>),
    /// The peer's session ended.
    PeerLeft { conn: ConnId },
    /// Another process stored a change of this document: this increment, or `None` when what
    /// it stored is not known (a new document, or notifications may have been missed).
    Remote { increment: Option<i64> },
}

/// An `ephemeral` message to relay to a document's other peers.
#[derive(Debug)]
pub struct Ephemeral {
    pub from: ConnId,
    pub sender_id: PeerId,
    pub count: u64,
    pub session_id: String,
    pub data: Vec<u8>,
}

/// What peers are told when storage fails; details go to the log only.
const STORAGE_UNAVAILABLE: &str = "storage unavailable, please retry later";
/// How many queued commands one batch takes at most, so answers are not delayed for long.
const MAX_BATCH: usize = 256;

/// The user every change the server itself makes is attributed to.
pub const SYSTEM_USER: &str = "system";

/// Runs the task of document `id` until it is idle, storage fails, or the server shuts down.
pub(crate) async fn run(hub: Hub, id: DocumentId, epoch: u64, mut rx: mpsc::Receiver<DocCommand>) {
    let metrics = hub.metrics().clone();
    metrics.document_loaded();
    match DocTask::load(hub.clone(), id).await {
        Ok(mut task) => {
            let idle = task.serve(&mut rx, epoch).await;
            drop(task);
            if idle {
                // Commands that raced with unloading go to a fresh task, which loads the
                // document again from storage (everything we held is stored).
                rx.close();
                while let Some(cmd) = rx.recv().await {
                    // A fresh task reads everything stored anyway.
                    if !matches!(cmd, DocCommand::Remote { .. }) {
                        hub.dispatch(id, cmd).await;
                    }
                }
            } else {
                hub.forget(id, epoch);
                fail_pending(&mut rx).await;
            }
        }
        Err(error) => {
            tracing::error!(doc = %id, %error, "could not load document");
            hub.forget(id, epoch);
            fail_pending(&mut rx).await;
        }
    }
    metrics.document_unloaded();
}

async fn fail_pending(rx: &mut mpsc::Receiver<DocCommand>) {
    rx.close();
    while let Some(cmd) = rx.recv().await {
        if let DocCommand::Sync { peer, .. } = cmd {
            peer.fail(STORAGE_UNAVAILABLE);
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum LoadError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Damaged(#[from] core::LoadError),
}

struct DocTask {
    id: DocumentId,
    hub: Hub,
    core: DocCore,
    people: watch::Receiver<Arc<dyn People>>,
}

impl DocTask {
    async fn load(hub: Hub, id: DocumentId) -> Result<Self, LoadError> {
        let stored = retry(&hub, "load", || hub.store().load(id)).await?;
        let people = hub.people();
        let core = DocCore::new(id, stored, hub.projector().is_some())?;
        Ok(Self {
            id,
            hub,
            core,
            people,
        })
    }

    /// Serves commands; returns `true` when the document went idle and was unregistered,
    /// `false` when it stops for shutdown or a storage failure.
    async fn serve(&mut self, rx: &mut mpsc::Receiver<DocCommand>, epoch: u64) -> bool {
        let idle_timeout = self.hub.config().doc_idle_timeout;
        let shutdown = self.hub.shutdown().clone();
        loop {
            let idle = !self.core.has_peers();
            let first = tokio::select! {
                biased;
                cmd = rx.recv() => cmd,
                () = shutdown.cancelled() => None,
                // Users or units changed (a handler moved to another unit, an account disabled):
                // peers that may no longer read the document stop receiving it.
                Ok(()) = self.people.changed() => {
                    let people = self.people.borrow().clone();
                    self.core.people_changed(&*people);
                    self.deliver();
                    continue;
                }
                () = tokio::time::sleep(idle_timeout), if idle => {
                    if self.hub.try_unload(self.id, epoch, rx) {
                        return true;
                    }
                    continue;
                }
            };
            let mut batch = Vec::with_capacity(8);
            batch.extend(first);
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(cmd) => batch.push(cmd),
                    Err(_) => break,
                }
            }
            let stopping = shutdown.is_cancelled();
            // Boxed: the state of a batch in progress (writes, projection, compaction) is
            // several kilobytes, and an idle document's task would otherwise hold it too.
            if !batch.is_empty() && !Box::pin(self.process(batch)).await {
                return false;
            }
            if stopping {
                return false;
            }
        }
    }

    /// Runs a batch through the core. Returns `false` if storage failed.
    async fn process(&mut self, batch: Vec<DocCommand>) -> bool {
        let people = self.people.borrow().clone();
        let mut next = self.core.start(batch, people);
        loop {
            self.deliver();
            match next {
                Next::Io(io) => {
                    let done = self.perform(io).await;
                    next = self.core.resume(done);
                }
                Next::Done => return true,
                Next::Failed => return false,
            }
        }
    }

    /// Sends what the core decided to send.
    fn deliver(&mut self) {
        for Effect { peer, send } in self.core.take_effects() {
            match send {
                Send::Sync(data) => peer.send_sync(&self.id, &data),
                Send::Unavailable => peer.send_unavailable(&self.id),
                Send::Fail(message) => peer.fail(message),
                Send::FromServer(data) => {
                    let (session, count) = self.hub.next_ephemeral();
                    peer.send_ephemeral(self.hub.server_peer_id(), &self.id, count, session, &data);
                }
                Send::Relay(message) => peer.send_ephemeral(
                    &message.sender_id,
                    &self.id,
                    message.count,
                    &message.session_id,
                    &message.data,
                ),
            }
        }
    }

    /// Performs one I/O the core asked for, with retries.
    async fn perform(&self, io: Io) -> Done {
        let hub = &self.hub;
        let store = hub.store();
        let id = self.id;
        match io {
            Io::BindActor {
                actor,
                user,
                session,
            } => Done::Bound(
                retry(hub, "bind", || {
                    hub.bind_actor(&actor, &user, session.as_deref())
                })
                .await,
            ),
            Io::Create { snapshot, owner } => {
                let started = Instant::now();
                let result = retry(hub, "create", || {
                    store.create_owned(id, snapshot.clone(), owner.as_deref().map(str::to_owned))
                })
                .await;
                if matches!(result, Ok((crate::storage::Created::Yes, _))) {
                    hub.metrics().storage_write(started.elapsed());
                }
                // The owner we asked for is usually the one that holds: keep its `Arc`.
                Done::Created(result.map(|(created, holds)| {
                    let holds = match (holds, owner) {
                        (Some(holds), Some(asked)) if *holds == *asked => Some(asked),
                        (holds, _) => holds.map(Arc::from),
                    };
                    (created, holds)
                }))
            }
            Io::Append(increment) => {
                let started = Instant::now();
                let result = retry(hub, "append", || store.append(id, increment.clone())).await;
                if result.is_ok() {
                    hub.metrics().storage_write(started.elapsed());
                }
                Done::Appended(result)
            }
            Io::Project(view, reviewed) => {
                if let Some(projector) = hub.projector() {
                    projector.project(id, &view, reviewed).await;
                }
                Done::Projected(view)
            }
            Io::Load => Done::Loaded(retry(hub, "load", || store.load(id)).await),
            Io::LoadIncrement(increment) => Done::LoadedIncrement(
                retry(hub, "load", || store.load_increment(id, increment)).await,
            ),
            Io::Compact {
                base,
                snapshot,
                covered,
            } => {
                let started = Instant::now();
                let result = retry(hub, "compact", || {
                    store.compact(id, base, snapshot.clone(), covered.clone())
                })
                .await;
                if matches!(result, Ok(crate::storage::Compacted::Yes { .. })) {
                    hub.metrics().storage_write(started.elapsed());
                }
                Done::Compacted(result)
            }
        }
    }
}

/// Runs a storage operation, retrying with backoff. Transient failures (a connection reset,
/// a failover) should not close sessions; persistent ones are returned.
async fn retry<T, F, Fut>(hub: &Hub, what: &str, mut op: F) -> Result<T, StorageError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StorageError>>,
{
    let attempts = hub.config().storage_attempts.max(1);
    let mut delay = Duration::from_millis(50);
    let mut attempt = 1;
    loop {
        match op().await {
            Ok(value) => return Ok(value),
            Err(error) => {
                hub.metrics().storage_error();
                if attempt >= attempts {
                    return Err(error);
                }
                tracing::warn!(%error, attempt, "storage {what} failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 4;
                attempt += 1;
            }
        }
    }
}
