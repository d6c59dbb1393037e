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

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use automerge::sync::{self, SyncDoc};
use automerge::{ActorId, Automerge, Change, ChangeHash, ReadDoc};
use duyan_shared::DocumentId;
use duyan_shared::records::{RecordReader, Touched};
use tokio::sync::{mpsc, watch};

use super::access::{self, People, Readers, Refusal, Verdict, View};
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
    /// Boxed: it is rare, and every loaded document's inbox has room for 32 commands.
    Ephemeral(Box<Ephemeral>),
    /// The peer's session ended.
    PeerLeft { conn: ConnId },
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

struct PeerSync {
    peer: Arc<Peer>,
    state: sync::State,
    /// The peer asked for the document without having it (`request`).
    wants: bool,
    told_unavailable: bool,
    /// The heads of the last sync message sent to this peer: what it knows the server holds.
    told: Vec<ChangeHash>,
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

impl Persisted {
    /// Compacting once increments pass half the snapshot keeps stored bytes within 1.5x of a
    /// fresh save() while costing O(1) amortised per stored byte.
    fn needs_compaction(&self) -> bool {
        self.increments_len * 2 > self.snapshot_len
    }
}

struct DocTask {
    id: DocumentId,
    hub: Hub,
    doc: Automerge,
    peers: HashMap<ConnId, PeerSync>,
    persisted: Persisted,
    /// Who may read the document, kept in step with `doc`.
    readers: Readers,
    /// The whole record as last reviewed: the `before` of the next review and what is
    /// projected. `None` until the document first changes after loading: most loaded documents
    /// are only read, and their records would be a quarter of the memory they take.
    view: Option<View>,
    /// Keeps the entries `view` was read from, so that reading it again after a message costs
    /// what the message changed, not the whole record.
    reader: RecordReader,
    people: watch::Receiver<Arc<dyn People>>,
    /// The actor of the server's own changes (restoring refused fields), created on first use
    /// and bound to the `system` user before anything it wrote is stored.
    server_actor: Option<(ActorId, bool)>,
    /// Events of the changes reviewed since the last projection (`crate::notify::events`).
    events: Vec<crate::notify::Event>,
}

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
        let people = hub.people();
        let mut task = Self {
            id,
            hub,
            doc: Automerge::new(),
            peers: HashMap::new(),
            persisted: Persisted::default(),
            readers: Readers::absent(),
            view: None,
            reader: RecordReader::new(),
            people,
            server_actor: None,
            events: Vec::new(),
        };
        if let Some(stored) = stored {
            let owner = stored.owner.clone().map(Arc::from);
            task.merge(stored)?;
            // Only who may read it is kept; the first change reads the record again.
            task.readers = View::of(&task.doc, owner).readers();
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
                // Users or units changed (a handler moved to another unit, an account disabled):
                // peers that may no longer read the document stop receiving it.
                Ok(()) = self.people.changed() => {
                    self.evict_unauthorized();
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
                    self.receive(peer, &data, is_request, &mut touched).await;
                }
                DocCommand::Ephemeral(message) => self.relay(&message),
                DocCommand::PeerLeft { conn } => {
                    self.peers.remove(&conn);
                }
            }
        }
        // Sessions that ended without a PeerLeft reaching us (e.g. a full inbox) are dropped here.
        self.peers
            .retain(|_, p| !p.peer.outbox.closed().is_cancelled());

        let stored_new = self.doc.get_heads() != self.persisted.heads;
        if stored_new && let Err(error) = self.persist().await {
            tracing::error!(doc = %self.id, %error, "storing changes failed; dropping the document from memory");
            for slot in self.peers.values() {
                slot.peer.fail(STORAGE_UNAVAILABLE);
            }
            return false;
        }
        let heads = self.doc.get_heads();
        // Everything heard is durable now. The other peers hear of a change first: the records
        // list (projection) and compaction are not needed for that, so they do not delay it.
        // The authors' acknowledgements wait for the projection, so a client that saw its change
        // acknowledged finds it in the records list too.
        if heads != heads_before {
            // The record changed: who may read it may have changed too (a handler removed).
            self.evict_unauthorized();
            let others: Vec<ConnId> = self
                .peers
                .keys()
                .filter(|conn| !touched.contains(conn))
                .copied()
                .collect();
            for conn in others {
                self.answer(conn, heads.is_empty());
            }
        }
        if stored_new {
            self.project().await;
        }
        for conn in touched {
            self.answer(conn, heads.is_empty());
        }
        if stored_new && self.persisted.needs_compaction() {
            self.compact().await;
            if self.doc.get_heads() != heads {
                // The compaction merged changes another process stored: everyone hears of them.
                self.reread(Touched::Everything);
                self.evict_unauthorized();
                self.project().await;
                let everyone: Vec<ConnId> = self.peers.keys().copied().collect();
                let empty = self.doc.get_heads().is_empty();
                for conn in everyone {
                    self.answer(conn, empty);
                }
            }
        }
        true
    }

    /// Tells the projector the record as it now reads.
    async fn project(&mut self) {
        let events = std::mem::take(&mut self.events);
        let Some(projector) = self.hub.projector().cloned() else {
            return;
        };
        let view = self.take_view();
        projector.project(self.id, &view, events).await;
        self.view = Some(view);
    }

    /// The whole record as it now reads, moved out of `view`; read if only its readers are known.
    fn take_view(&mut self) -> View {
        match self.view.take() {
            Some(view) => view,
            None => View::read(
                &self.doc,
                self.readers.owner(),
                &mut self.reader,
                Touched::Everything,
            ),
        }
    }

    /// Keeps `view` as the record's current state.
    fn set_view(&mut self, view: View) {
        self.readers = view.readers();
        self.view = Some(view);
    }

    async fn receive(
        &mut self,
        peer: Arc<Peer>,
        data: &[u8],
        is_request: bool,
        touched: &mut Vec<ConnId>,
    ) {
        let conn = peer.conn;
        let people = self.people.borrow().clone();
        let user = peer.principal.user_id.clone();
        if !access::may_read(&*people, &user, &self.readers) {
            // The same answer as for a document that does not exist: no one learns which ids exist.
            self.peers.remove(&conn);
            peer.send_unavailable(&self.id);
            return;
        }
        let message = match sync::Message::decode(data) {
            Ok(message) => message,
            Err(error) => {
                tracing::warn!(doc = %self.id, peer = %peer.peer_id, %error, "closing session: undecodable sync message");
                self.peers.remove(&conn);
                peer.fail("sync message could not be decoded");
                return;
            }
        };
        if !message.changes.is_empty() {
            match self.attribute(&peer, &message).await {
                Ok(None) => {}
                Ok(Some(refusal)) => {
                    // The peer's heads name the refused changes, so syncing on would have us
                    // ask for them again and again. An honest client never gets here: stop
                    // syncing this document with it.
                    tracing::warn!(doc = %self.id, user = %user, "refused changes made with another user's actor id");
                    self.tell_refused(&peer, &[refusal]);
                    self.peers.remove(&conn);
                    peer.send_unavailable(&self.id);
                    return;
                }
                Err(Attribution::Undecodable) => {
                    tracing::warn!(doc = %self.id, peer = %peer.peer_id, "closing session: undecodable changes");
                    self.peers.remove(&conn);
                    peer.fail("sync message could not be applied");
                    return;
                }
                Err(Attribution::Storage(error)) => {
                    // Unattributed changes are never accepted; the client resends them later.
                    tracing::error!(doc = %self.id, %error, "could not record who made changes");
                    self.peers.remove(&conn);
                    peer.fail(STORAGE_UNAVAILABLE);
                    return;
                }
            }
        }
        let heads_before = self.doc.get_heads();
        // Only changes move the heads; the record before them is what they are reviewed against.
        let before = (!message.changes.is_empty()).then(|| self.take_view());
        let slot = self.peers.entry(conn).or_insert_with(|| PeerSync {
            peer: peer.clone(),
            state: sync::State::new(),
            wants: false,
            told_unavailable: false,
            told: Vec::new(),
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
            if let Some(before) = before {
                self.view = Some(before);
            }
            return;
        }
        match before {
            Some(mut before) if self.doc.get_heads() != heads_before => {
                if before.owner.is_none() && !self.persisted.exists {
                    before.owner = Some(user.clone());
                    self.readers.set_owner(user.clone());
                }
                self.review(&peer, &*people, &heads_before, &before);
            }
            // Nothing new (changes it had already): the record is as it was.
            Some(before) => self.view = Some(before),
            None => {}
        }
        touched.push(conn);
    }

    /// Binds the actors of the message's new changes to the sender's user. Returns a refusal
    /// if one of them belongs to someone else.
    async fn attribute(
        &self,
        peer: &Peer,
        message: &sync::Message,
    ) -> Result<Option<Refusal>, Attribution> {
        let mut actors: Vec<ActorId> = Vec::new();
        let mut note = |change: &Change| {
            if !actors.contains(change.actor_id()) {
                actors.push(change.actor_id().clone());
            }
        };
        // The common case: each chunk is one change, read without touching the document. A
        // chunk may also hold several changes (automerge packs a run of them into one bundle)
        // or a whole document, and the document may hold changes queued for missing deps,
        // which this message can release. For those, the message is applied to a copy and the
        // changes it adds are the ones to attribute, queued ones included, so no change enters
        // the document without its actor bound to this user.
        let single: Option<Vec<Change>> = if self.doc.get_missing_deps(&[]).is_empty() {
            message
                .changes
                .iter()
                .map(|chunk| Change::from_bytes(chunk.to_vec()).ok())
                .collect()
        } else {
            None
        };
        match single {
            Some(changes) => {
                for change in changes
                    .iter()
                    .filter(|c| self.doc.get_change_by_hash(&c.hash()).is_none())
                {
                    note(change);
                }
            }
            None => {
                let mut copy = self.doc.fork();
                for chunk in message.changes.iter() {
                    copy.load_incremental(chunk)
                        .map_err(|_| Attribution::Undecodable)?;
                }
                for change in self.doc.get_changes_added(&copy) {
                    note(&change);
                }
            }
        }
        let principal = &peer.principal;
        for actor in actors {
            let hub = &self.hub;
            let owner = retry(hub, "bind", || {
                hub.bind_actor(&actor, &principal.user_id, Some(&principal.session_id))
            })
            .await
            .map_err(Attribution::Storage)?;
            if owner != principal.user_id {
                return Ok(Some(Refusal {
                    field: "*".to_owned(),
                    code: "foreign_actor",
                    message: format!(
                        "changes by actor {actor} belong to another user and were not accepted"
                    ),
                }));
            }
        }
        Ok(None)
    }

    /// Reviews what the last message from `peer` did, restoring what its user may not change.
    fn review(
        &mut self,
        peer: &Peer,
        people: &dyn People,
        heads_before: &[ChangeHash],
        before: &View,
    ) {
        let user = &peer.principal.user_id;
        // Reading a record costs time in proportion to what is read, so it is read once per
        // message, and only what the message touched: this state becomes the `before` of the
        // next message.
        let touched = if heads_before.is_empty() {
            Touched::Everything
        } else {
            Touched::by_changes(&self.doc, &self.doc.get_changes(heads_before))
        };
        let after = View::read(&self.doc, before.owner.clone(), &mut self.reader, touched);
        let verdict = access::review(people, user, before, &after, &self.doc);
        self.set_view(after);
        if verdict != Verdict::Accept {
            let actor = match &self.server_actor {
                Some((actor, _)) => actor.clone(),
                None => {
                    let actor = ActorId::random();
                    self.server_actor = Some((actor.clone(), false));
                    actor
                }
            };
            self.doc.set_actor(actor);
            let mut tx = self.doc.transaction();
            let restored = match &verdict {
                Verdict::Accept => Ok(Vec::new()),
                Verdict::Restore { fields, .. } => fields
                    .iter()
                    .filter_map(|(field, mode)| {
                        match super::restore::restore_root_key(&mut tx, field, heads_before, *mode)
                        {
                            Ok(true) => Some(Ok(field.clone())),
                            Ok(false) => None,
                            Err(error) => Some(Err(error)),
                        }
                    })
                    .collect::<Result<Vec<_>, _>>(),
                Verdict::RestoreAll { .. } => super::restore::restore_all(&mut tx, heads_before),
            };
            let refusals: Vec<Refusal> = match verdict {
                Verdict::Accept => Vec::new(),
                Verdict::Restore { refusals, .. } | Verdict::RestoreAll { refusals } => refusals,
            };
            match restored {
                Ok(fields) if !fields.is_empty() => {
                    let note = format!("duyan: restored {} (changed by {user})", fields.join(", "));
                    // Seconds, as automerge JS stamps its changes.
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
                    tx.commit_with(
                        automerge::transaction::CommitOptions::default()
                            .with_message(note)
                            .with_time(now),
                    );
                    let told: Vec<Refusal> = refusals
                        .into_iter()
                        .filter(|r| r.code != "unknown_field" || fields.contains(&r.field))
                        .collect();
                    tracing::info!(doc = %self.id, %user, fields = ?fields, "restored fields the user may not change");
                    self.tell_refused(peer, &told);
                }
                Ok(_) => {
                    tx.rollback();
                    // Nothing to put back (e.g. an unknown key that did not change); but a
                    // forbidden change that wrote nothing new is still worth telling about.
                    let told: Vec<Refusal> = refusals
                        .into_iter()
                        .filter(|r| r.code != "unknown_field")
                        .collect();
                    if !told.is_empty() {
                        self.tell_refused(peer, &told);
                    }
                }
                Err(error) => {
                    tx.rollback();
                    tracing::error!(doc = %self.id, %error, "could not restore refused fields");
                }
            }
            self.reread(Touched::Everything);
        }
        crate::notify::events::of_review(&mut self.events, before, self.view.as_ref(), user);
    }

    /// Reads `view` again after the document changed.
    fn reread(&mut self, touched: Touched) {
        let view = View::read(&self.doc, self.readers.owner(), &mut self.reader, touched);
        self.set_view(view);
    }

    /// Tells the author why part of their change was undone, as an ephemeral message from the
    /// server (the app shows it on the record: `handle.on("ephemeral-message")`).
    fn tell_refused(&self, peer: &Peer, refusals: &[Refusal]) {
        if refusals.is_empty() {
            return;
        }
        let data = refused_message(&self.id, refusals);
        let (session, count) = self.hub.next_ephemeral();
        peer.send_ephemeral(self.hub.server_peer_id(), &self.id, count, session, &data);
    }

    /// Drops peers that may no longer read the document; they are told it is unavailable.
    fn evict_unauthorized(&mut self) {
        let people = self.people.borrow().clone();
        let readers = &self.readers;
        let id = self.id;
        self.peers.retain(|_, slot| {
            let allowed = access::may_read(&*people, &slot.peer.principal.user_id, readers);
            if !allowed {
                slot.peer.send_unavailable(&id);
            }
            allowed
        });
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
        // Automerge stays silent when a peer's message names exactly our heads, taking that as
        // proof the peer knows we have them. That holds when every message is answered, not
        // when one batch applies two messages of a peer: its change, then its heads after
        // merging ours. It never heard that we stored its change, and its app would show the
        // record as not yet on the server for good. So the last heads we really sent count.
        let heads = self.doc.get_heads();
        if slot.told != heads && slot.state.last_sent_heads == heads {
            slot.state.last_sent_heads.clone_from(&slot.told);
        }
        if let Some(message) = self.doc.generate_sync_message(&mut slot.state) {
            slot.told.clone_from(&message.heads);
            slot.peer.send_sync(&self.id, &message.encode());
        }
    }

    /// Ephemeral messages (presence, cursors) go to the other peers of this document only.
    fn relay(&self, message: &Ephemeral) {
        if !self.peers.contains_key(&message.from) {
            return;
        }
        for (conn, slot) in &self.peers {
            if *conn != message.from {
                slot.peer.send_ephemeral(
                    &message.sender_id,
                    &self.id,
                    message.count,
                    &message.session_id,
                    &message.data,
                );
            }
        }
    }

    async fn persist(&mut self) -> Result<(), StorageError> {
        let hub = self.hub.clone();
        let store = hub.store();
        let id = self.id;
        let started = Instant::now();
        let heads = self.doc.get_heads();
        if let Some((actor, false)) = &self.server_actor {
            let system: Arc<str> = Arc::from(SYSTEM_USER);
            retry(&hub, "bind", || hub.bind_actor(actor, &system, None)).await?;
            if let Some((_, bound)) = &mut self.server_actor {
                *bound = true;
            }
        }
        if !self.persisted.exists
            && let Some(owner) = self.readers.owner()
        {
            let owner: Arc<str> = retry(&hub, "claim", || store.claim(id, owner.to_string()))
                .await?
                .into();
            self.readers.set_owner(owner.clone());
            if let Some(view) = &mut self.view {
                view.owner = Some(owner);
            }
        }
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

/// Why the changes of a message could not be attributed.
enum Attribution {
    Undecodable,
    Storage(StorageError),
}

/// The ephemeral payload telling an author that part of their change was undone.
fn refused_message(doc: &DocumentId, refusals: &[Refusal]) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Message<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        #[serde(rename = "documentId")]
        document_id: String,
        refusals: Vec<Item<'a>>,
    }
    #[derive(serde::Serialize)]
    struct Item<'a> {
        field: &'a str,
        code: &'a str,
        message: &'a str,
    }
    let message = Message {
        kind: "duyan/refused",
        document_id: doc.to_string(),
        refusals: refusals
            .iter()
            .map(|r| Item {
                field: &r.field,
                code: r.code,
                message: &r.message,
            })
            .collect(),
    };
    let mut out = Vec::new();
    // Serialising plain strings into a Vec cannot fail.
    let _ = ciborium::into_writer(&message, &mut out);
    out
}
