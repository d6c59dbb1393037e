//! One loaded document, owned by one task.
//!
//! The task applies the sync messages of all peers of the document in batches. After each
//! batch it writes the new changes to storage and only then generates the answers, so every
//! heads value a peer receives from us is durable: a client that saw its change acknowledged
//! (its heads in our sync message) will find it after a crash. If storage keeps failing, the
//! task tells its peers, closes their sessions and drops the document from memory, so nothing
//! unstored can be acknowledged later; the clients resend when they reconnect.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use automerge::sync::{self, ChunkList, SyncDoc};
use automerge::{Automerge, ChangeHash};
use duyan_shared::DocumentId;
use tokio::sync::mpsc;

use super::access::Access;
use super::hub::Hub;
use super::peer::{ConnId, Peer};
use super::protocol::PeerId;
use crate::storage::{Compacted, Created, StorageError, StoredDoc};

/// What peers tell the task owning a document.
#[derive(Debug)]
pub enum DocCommand {
    /// A `sync` or `request` message.
    Sync {
        peer: Arc<Peer>,
        data: Vec<u8>,
        is_request: bool,
    },
    Ephemeral {
        from: ConnId,
        sender_id: PeerId,
        count: u64,
        session_id: String,
        data: Vec<u8>,
    },
    /// The peer's session ended.
    PeerLeft { conn: ConnId },
}

/// What peers are told when storage fails; details go to the log only.
const STORAGE_UNAVAILABLE: &str = "storage unavailable, please retry later";
/// How many queued commands one batch takes at most, so answers are not delayed for long.
const MAX_BATCH: usize = 256;

struct PeerSync {
    peer: Arc<Peer>,
    state: sync::State,
    /// The peer asked for the document without having it (`request`).
    wants: bool,
    told_unavailable: bool,
}

/// What storage holds of this document, as far as this task knows.
#[derive(Default)]
struct Persisted {
    /// A row exists in storage.
    exists: bool,
    /// Every change up to these heads is durable.
    heads: Vec<ChangeHash>,
    /// The snapshot generation merged into memory; `None` when unknown (another process
    /// created the document first), which makes compaction merge before it writes.
    generation: Option<i64>,
    /// Increments merged into memory: the only ones a compaction may delete.
    covered: Vec<i64>,
    snapshot_len: usize,
    increments_len: usize,
}

struct DocTask {
    id: DocumentId,
    hub: Hub,
    doc: Automerge,
    peers: HashMap<ConnId, PeerSync>,
    persisted: Persisted,
}

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
                    hub.dispatch(id, cmd).await;
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
    #[error("stored snapshot is damaged: {0}")]
    Damaged(automerge::AutomergeError),
}

impl DocTask {
    async fn load(hub: Hub, id: DocumentId) -> Result<Self, LoadError> {
        let stored = retry(&hub, "load", || hub.store().load(id)).await?;
        let mut task = Self {
            id,
            hub,
            doc: Automerge::new(),
            peers: HashMap::new(),
            persisted: Persisted::default(),
        };
        if let Some(stored) = stored {
            task.merge(stored)?;
        }
        Ok(task)
    }

    /// Merges what storage holds into memory and records it as durable.
    fn merge(&mut self, stored: StoredDoc) -> Result<(), LoadError> {
        if !stored.snapshot.is_empty() {
            self.doc
                .load_incremental(&stored.snapshot)
                .map_err(LoadError::Damaged)?;
        }
        let mut covered = Vec::with_capacity(stored.increments.len());
        let mut increments_len = 0;
        for increment in &stored.increments {
            // A damaged increment is logged and kept in storage (not covered, so never
            // compacted away); the rest of the document stays usable.
            match self.doc.load_incremental(&increment.data) {
                Ok(_) => {
                    covered.push(increment.id);
                    increments_len += increment.data.len();
                }
                Err(error) => {
                    tracing::error!(doc = %self.id, increment = increment.id, %error, "skipping a damaged stored increment");
                }
            }
        }
        self.persisted = Persisted {
            exists: true,
            heads: self.doc.get_heads(),
            generation: Some(stored.generation),
            covered,
            snapshot_len: stored.snapshot.len(),
            increments_len,
        };
        Ok(())
    }

    /// Serves commands; returns `true` when the document went idle and was unregistered,
    /// `false` when it stops for shutdown or a storage failure.
    async fn serve(&mut self, rx: &mut mpsc::Receiver<DocCommand>, epoch: u64) -> bool {
        let idle_timeout = self.hub.config().doc_idle_timeout;
        let shutdown = self.hub.shutdown().clone();
        loop {
            let idle = self.peers.is_empty();
            let first = tokio::select! {
                biased;
                cmd = rx.recv() => cmd,
                () = shutdown.cancelled() => None,
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
            if !batch.is_empty() && !self.process(batch).await {
                return false;
            }
            if stopping {
                return false;
            }
        }
    }

    /// Applies a batch, persists, answers. Returns `false` if storage failed.
    async fn process(&mut self, batch: Vec<DocCommand>) -> bool {
        let heads_before = self.doc.get_heads();
        let mut touched = Vec::new();
        for cmd in batch {
            match cmd {
                DocCommand::Sync {
                    peer,
                    data,
                    is_request,
                } => {
                    self.receive(peer, &data, is_request, &mut touched);
                }
                DocCommand::Ephemeral {
                    from,
                    sender_id,
                    count,
                    session_id,
                    data,
                } => {
                    self.relay(from, &sender_id, count, &session_id, &data);
                }
                DocCommand::PeerLeft { conn } => {
                    self.peers.remove(&conn);
                }
            }
        }
        // Sessions that ended without a PeerLeft reaching us (e.g. a full inbox) are dropped here.
        self.peers
            .retain(|_, p| !p.peer.outbox.closed().is_cancelled());

        if self.doc.get_heads() != self.persisted.heads
            && let Err(error) = self.persist().await
        {
            tracing::error!(doc = %self.id, %error, "storing changes failed; dropping the document from memory");
            for slot in self.peers.values() {
                slot.peer.fail(STORAGE_UNAVAILABLE);
            }
            return false;
        }
        // Heads after persisting: a compaction may have merged other processes' changes.
        let heads = self.doc.get_heads();
        let targets = if heads != heads_before {
            self.peers.keys().copied().collect()
        } else {
            touched
        };
        for conn in targets {
            self.answer(conn, heads.is_empty());
        }
        true
    }

    fn content(&self) -> Option<&Automerge> {
        (self.persisted.exists || !self.doc.get_heads().is_empty()).then_some(&self.doc)
    }

    fn receive(
        &mut self,
        peer: Arc<Peer>,
        data: &[u8],
        is_request: bool,
        touched: &mut Vec<ConnId>,
    ) {
        let conn = peer.conn;
        let gate = self.hub.gate();
        if !gate.allows(&peer.principal, &self.id, self.content(), Access::Read) {
            // The same answer as for a document that does not exist: no one learns which ids exist.
            self.peers.remove(&conn);
            peer.send_unavailable(&self.id);
            return;
        }
        let mut message = match sync::Message::decode(data) {
            Ok(message) => message,
            Err(error) => {
                tracing::warn!(doc = %self.id, peer = %peer.peer_id, %error, "closing session: undecodable sync message");
                self.peers.remove(&conn);
                peer.fail("sync message could not be decoded");
                return;
            }
        };
        if !message.changes.is_empty()
            && !gate.allows(&peer.principal, &self.id, self.content(), Access::Write)
        {
            tracing::info!(doc = %self.id, peer = %peer.peer_id, "dropped changes from a peer without write access");
            message.changes = ChunkList::empty();
        }
        let slot = self.peers.entry(conn).or_insert_with(|| PeerSync {
            peer,
            state: sync::State::new(),
            wants: false,
            told_unavailable: false,
        });
        // A peer that asked for the document and now sends heads has it after all (it
        // created or imported it): from here on it is synced like any other.
        if is_request {
            slot.wants = true;
        } else if !message.heads.is_empty() {
            slot.wants = false;
        }
        if let Err(error) = self.doc.receive_sync_message(&mut slot.state, message) {
            tracing::warn!(doc = %self.id, peer = %slot.peer.peer_id, %error, "closing session: sync message could not be applied");
            let slot = self.peers.remove(&conn).expect("just inserted");
            slot.peer.fail("sync message could not be applied");
            return;
        }
        touched.push(conn);
    }

    /// Sends `conn` what it lacks, or `doc-unavailable` if it asked for a document we do not have.
    fn answer(&mut self, conn: ConnId, empty: bool) {
        let Some(slot) = self.peers.get_mut(&conn) else {
            return;
        };
        if empty && slot.wants {
            if !slot.told_unavailable {
                slot.told_unavailable = true;
                slot.peer.send_unavailable(&self.id);
            }
            return;
        }
        if let Some(message) = self.doc.generate_sync_message(&mut slot.state) {
            slot.peer.send_sync(&self.id, &message.encode());
        }
    }

    /// Ephemeral messages (presence, cursors) go to the other peers of this document only.
    fn relay(&self, from: ConnId, sender_id: &str, count: u64, session_id: &str, data: &[u8]) {
        if !self.peers.contains_key(&from) {
            return;
        }
        for (conn, slot) in &self.peers {
            if *conn != from {
                slot.peer
                    .send_ephemeral(sender_id, &self.id, count, session_id, data);
            }
        }
    }

    async fn persist(&mut self) -> Result<(), StorageError> {
        let hub = self.hub.clone();
        let store = hub.store();
        let id = self.id;
        let started = Instant::now();
        let heads = self.doc.get_heads();
        if !self.persisted.exists {
            let snapshot = self.doc.save();
            let len = snapshot.len();
            match retry(&hub, "create", || store.create(id, snapshot.clone())).await? {
                Created::Yes => {
                    hub.metrics().storage_write(started.elapsed());
                    self.persisted = Persisted {
                        exists: true,
                        heads,
                        generation: Some(1),
                        covered: Vec::new(),
                        snapshot_len: len,
                        increments_len: 0,
                    };
                    return Ok(());
                }
                // Another process stored it first: append all we have, merge theirs at compaction.
                Created::AlreadyExists => {
                    self.persisted.exists = true;
                    self.persisted.generation = None;
                }
            }
        }
        let increment = self.doc.save_after(&self.persisted.heads);
        let len = increment.len();
        let increment_id = retry(&hub, "append", || store.append(id, increment.clone())).await?;
        hub.metrics().storage_write(started.elapsed());
        self.persisted.covered.push(increment_id);
        self.persisted.increments_len += len;
        self.persisted.heads = heads;
        // Compacting once increments pass half the snapshot keeps stored bytes within 1.5x of
        // a fresh save() while costing O(1) amortised per stored byte.
        if self.persisted.increments_len * 2 > self.persisted.snapshot_len {
            self.compact().await;
        }
        Ok(())
    }

    /// Replaces snapshot and covered increments by one new snapshot. A failure here loses
    /// nothing (the increments stay), so it is logged and left for the next write.
    async fn compact(&mut self) {
        let hub = self.hub.clone();
        let store = hub.store();
        let id = self.id;
        for _ in 0..3 {
            let Some(base) = self.persisted.generation else {
                if !self.merge_stored().await {
                    return;
                }
                continue;
            };
            let snapshot = self.doc.save();
            let len = snapshot.len();
            let covered = self.persisted.covered.clone();
            let started = Instant::now();
            match retry(&hub, "compact", || {
                store.compact(id, base, snapshot.clone(), covered.clone())
            })
            .await
            {
                Ok(Compacted::Yes { generation }) => {
                    hub.metrics().storage_write(started.elapsed());
                    self.persisted.generation = Some(generation);
                    self.persisted.covered.clear();
                    self.persisted.snapshot_len = len;
                    self.persisted.increments_len = 0;
                    return;
                }
                Ok(Compacted::Stale) => {
                    if !self.merge_stored().await {
                        return;
                    }
                }
                Err(error) => {
                    tracing::warn!(doc = %id, %error, "compaction failed; increments are kept");
                    return;
                }
            }
        }
    }

    /// Brings in what other processes stored. Everything in memory is already durable when
    /// this runs (it follows a successful write), so memory stays a superset of storage.
    async fn merge_stored(&mut self) -> bool {
        let hub = self.hub.clone();
        let id = self.id;
        match retry(&hub, "load", || hub.store().load(id)).await {
            Ok(Some(stored)) => match self.merge(stored) {
                Ok(()) => true,
                Err(error) => {
                    tracing::error!(doc = %id, %error, "stored document is damaged; not compacting");
                    false
                }
            },
            Ok(None) => false,
            Err(error) => {
                tracing::warn!(doc = %id, %error, "could not read stored document for compaction");
                false
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
