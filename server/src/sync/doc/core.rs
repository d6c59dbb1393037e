//! The document's logic without I/O: commands and I/O results in, intended effects out.
//!
//! [`DocCore`] owns the Automerge document, the sync state of each peer and what storage holds,
//! and decides everything: which actors to bind, what to append, what to project, whom to send
//! what and when. It never awaits. A batch of commands is fed in with [`DocCore::start`];
//! whenever the core needs storage or the projector it returns [`Next::Io`] and waits for the
//! driver to hand the result back with [`DocCore::resume`]. Messages to peers are collected as
//! [`Effect`]s, which the driver delivers after each step ([`DocCore::take_effects`]).
//!
//! The ordering that makes acknowledgements durable is therefore visible in the sequence of
//! steps and tested without a database or a socket (`tests.rs`): no peer is sent anything
//! that names a change before [`Io::Append`] or [`Io::Create`] has completed, the other peers
//! hear of a change before the projection, and the authors after it.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use automerge::sync::{self};
use automerge::{ActorId, Automerge, ChangeHash};
use duyan_shared::DocumentId;
use duyan_shared::records::RecordReader;

use super::super::peer::{ConnId, Peer};
use super::{DocCommand, Ephemeral, STORAGE_UNAVAILABLE};
use crate::access::{People, Readers, View};
use crate::storage::{Compacted, Created, StorageError, StoredDoc};

/// What the core asks the driver to do. Each is answered with the [`Done`] of the same name.
// One of these exists at a time, per batch in progress, and moves the record (`View`) without
// copying it: boxing it would add an allocation per batch and buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Io {
    /// Bind `actor` to `user` (signed in with `session`, none for the server's own actor)
    /// unless it is bound already; answer whom it belongs to. Durable before answered.
    BindActor {
        actor: ActorId,
        user: Arc<str>,
        session: Option<Arc<str>>,
    },
    /// Store the document's first snapshot, and record `owner` (if any) as its owner unless
    /// it has one, in one transaction; answer the owner that holds.
    Create {
        snapshot: Vec<u8>,
        owner: Option<Arc<str>>,
    },
    /// Append an increment.
    Append(Vec<u8>),
    /// Project the record into the records list with what the reviews since the last
    /// projection found (events, photo references); hand the view back.
    Project(View, super::super::Reviewed),
    /// Read everything storage holds of the document.
    Load,
    /// Read one increment another process stored (`None` if compacted away meanwhile).
    LoadIncrement(i64),
    /// Replace the snapshot of generation `base` and the `covered` increments by `snapshot`.
    Compact {
        base: i64,
        snapshot: Vec<u8>,
        covered: Vec<i64>,
    },
}

/// The result of an [`Io`], after the driver's retries.
// One of these exists at a time, per batch in progress, and moves the record (`View`) without
// copying it: boxing it would add an allocation per batch and buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Done {
    Bound(Result<Arc<str>, StorageError>),
    Created(Result<(Created, Option<Arc<str>>), StorageError>),
    Appended(Result<i64, StorageError>),
    Projected(View),
    Loaded(Result<Option<StoredDoc>, StorageError>),
    LoadedIncrement(Result<Option<Vec<u8>>, StorageError>),
    Compacted(Result<Compacted, StorageError>),
}

/// What the driver does next.
// One of these exists at a time, per batch in progress, and moves the record (`View`) without
// copying it: boxing it would add an allocation per batch and buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Next {
    /// Perform this and [`DocCore::resume`] with its result.
    Io(Io),
    /// The batch is done.
    Done,
    /// Storage failed: the peers were told, and the document must leave memory so nothing
    /// unstored is ever acknowledged.
    Failed,
}

/// A message for one peer.
#[derive(Debug)]
pub(crate) struct Effect {
    pub peer: Arc<Peer>,
    pub send: Send,
}

#[derive(Debug)]
pub(crate) enum Send {
    /// A `sync` message with these bytes.
    Sync(Vec<u8>),
    /// `doc-unavailable`.
    Unavailable,
    /// An `error` message, then the connection closes.
    Fail(&'static str),
    /// An ephemeral message from the server itself (a `duyan/refused` notice).
    FromServer(Vec<u8>),
    /// Another peer's ephemeral message, relayed.
    Relay(Arc<Ephemeral>),
}

pub(super) struct PeerSync {
    pub peer: Arc<Peer>,
    pub state: sync::State,
    /// The peer asked for the document without having it (`request`).
    pub wants: bool,
    pub told_unavailable: bool,
    /// The heads of the last sync message sent to this peer: what it knows the server holds.
    pub told: Vec<ChangeHash>,
}

/// What storage holds of this document, as far as this task knows.
#[derive(Default)]
pub(super) struct Persisted {
    /// A row exists in storage.
    pub exists: bool,
    /// Every change up to these heads is durable.
    pub heads: Vec<ChangeHash>,
    /// The snapshot generation merged into memory; `None` when unknown (another process
    /// created the document first), which makes compaction merge before it writes.
    pub generation: Option<i64>,
    /// Increments merged into memory: the only ones a compaction may delete.
    pub covered: Vec<i64>,
    pub snapshot_len: usize,
    pub increments_len: usize,
}

impl Persisted {
    /// Compacting once increments pass half the snapshot keeps stored bytes within 1.5x of a
    /// fresh save() while costing O(1) amortised per stored byte.
    pub fn needs_compaction(&self) -> bool {
        self.increments_len * 2 > self.snapshot_len
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum LoadError {
    #[error("stored snapshot is damaged: {0}")]
    Damaged(automerge::AutomergeError),
}

/// One loaded document.
pub(crate) struct DocCore {
    pub(super) id: DocumentId,
    pub(super) doc: Automerge,
    pub(super) peers: HashMap<ConnId, PeerSync>,
    pub(super) persisted: Persisted,
    /// Who may read the document, kept in step with `doc`.
    pub(super) readers: Readers,
    /// The whole record as last reviewed: the `before` of the next review and what is
    /// projected. `None` until the document first changes after loading: most loaded documents
    /// are only read, and their records would be a quarter of the memory they take.
    pub(super) view: Option<View>,
    /// Keeps the entries `view` was read from, so that reading it again after a message costs
    /// what the message changed, not the whole record.
    pub(super) reader: RecordReader,
    /// The actor of the server's own changes (restoring refused fields), created on first use
    /// and bound to the `system` user before anything it wrote is stored.
    pub(super) server_actor: Option<(ActorId, bool)>,
    pub(super) effects: Vec<Effect>,
    /// Events of the changes reviewed since the last projection, written with it.
    pub(super) reviewed: super::super::Reviewed,
    /// Whether changes are projected into the records list (not in sync-only tests).
    pub(super) projects: bool,
    /// The batch in progress; boxed, so an idle document does not hold its room.
    pub(super) batch: Option<Box<Batch>>,
}

/// A batch of commands on its way through receive, persist, answer, project and compact.
pub(super) struct Batch {
    commands: VecDeque<DocCommand>,
    /// Increments other processes stored (`None`: read everything), merged before the rest.
    remote: VecDeque<Option<i64>>,
    /// Heads before any of the batch was applied.
    heads_before: Vec<ChangeHash>,
    /// Peers whose messages were in the batch: answered after the projection.
    pub(super) touched: Vec<ConnId>,
    stored_new: bool,
    pub(super) people: Arc<dyn People>,
    pub(super) stage: Stage,
}

pub(super) enum Stage {
    /// Merging what other processes stored; `current` is the increment being read.
    Remote {
        heads: Vec<ChangeHash>,
        current: Option<i64>,
    },
    /// Applying the commands one by one.
    Receive,
    /// A sync message waits for its actors to be bound.
    Bind(super::apply::Binding),
    /// Writing: the server's actor, then the snapshot with the owner, or the increment.
    Persist(Write),
    /// Waiting for the projection, then the authors are answered.
    Project,
    /// Compacting: waiting for a read of what is stored, or for the compaction itself.
    Compact {
        attempt: u32,
        heads: Vec<ChangeHash>,
        waiting: super::stored::Waiting,
    },
    /// Waiting for the projection after a compaction merged others' changes.
    Reproject,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Write {
    Start,
    SystemBound,
    /// The document row exists (another process created it first): on to appending.
    Exists,
    /// Waiting for the increment of this many bytes.
    Appending(usize),
    /// Waiting for the first snapshot of this many bytes.
    Creating(usize),
}

/// How many compaction attempts one batch makes when others keep compacting in between.
pub(super) const COMPACT_ATTEMPTS: u32 = 3;

impl DocCore {
    /// The core of document `id`, from what storage holds (`None`: never stored).
    pub(crate) fn new(
        id: DocumentId,
        stored: Option<StoredDoc>,
        projects: bool,
    ) -> Result<Self, LoadError> {
        let mut core = Self {
            id,
            doc: Automerge::new(),
            peers: HashMap::new(),
            persisted: Persisted::default(),
            readers: Readers::absent(),
            view: None,
            reader: RecordReader::new(),
            server_actor: None,
            reviewed: super::super::Reviewed::default(),
            effects: Vec::new(),
            projects,
            batch: None,
        };
        if let Some(stored) = stored {
            let owner = stored.owner.clone().map(Arc::from);
            core.merge(stored)?;
            // Only who may read it is kept; the first change reads the record again.
            core.readers = View::of(&core.doc, owner).readers();
        }
        Ok(core)
    }

    pub(crate) fn has_peers(&self) -> bool {
        !self.peers.is_empty()
    }

    /// The peers to deliver to, with what; the driver calls this after every step.
    pub(crate) fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// The users and units changed: peers that may no longer read the document leave it.
    pub(crate) fn people_changed(&mut self, people: &dyn People) {
        self.evict_unauthorized(people);
    }

    /// Peers whose sessions ended (their outbox closed) leave without a `PeerLeft`.
    fn drop_closed_peers(&mut self) {
        self.peers
            .retain(|_, p| !p.peer.outbox.closed().is_cancelled());
    }

    /// Starts a batch of commands.
    pub(crate) fn start(&mut self, commands: Vec<DocCommand>, people: Arc<dyn People>) -> Next {
        let heads_before = self.doc.get_heads();
        let mut remote = VecDeque::new();
        let mut rest = VecDeque::with_capacity(commands.len());
        for cmd in commands {
            match cmd {
                // Merged first, while memory equals storage: what they bring is durable already.
                DocCommand::Remote { increment } => remote.push_back(increment),
                cmd => rest.push_back(cmd),
            }
        }
        let stage = if remote.is_empty() {
            Stage::Receive
        } else {
            Stage::Remote {
                heads: heads_before.clone(),
                current: None,
            }
        };
        self.batch = Some(Box::new(Batch {
            commands: rest,
            remote,
            heads_before,
            touched: Vec::new(),
            stored_new: false,
            people,
            stage,
        }));
        self.advance()
    }

    /// Hands the result of the last [`Next::Io`] back.
    pub(crate) fn resume(&mut self, done: Done) -> Next {
        let Some(batch) = self.batch.as_mut() else {
            debug_assert!(false, "resume without a batch");
            return Next::Done;
        };
        let stage = std::mem::replace(&mut batch.stage, Stage::Receive);
        let people = batch.people.clone();
        match (stage, done) {
            (Stage::Remote { heads, current }, done) => {
                self.set_stage(Stage::Remote {
                    heads,
                    current: None,
                });
                if let Some(next) = self.remote_done(current, done) {
                    if let Next::Io(_) = &next {
                        // Reading everything instead: no single increment to cover.
                        self.set_stage_current(None);
                    }
                    return next;
                }
            }
            (Stage::Bind(binding), Done::Bound(result)) => {
                if let Some(io) = self.bound(binding, result, &*people) {
                    return Next::Io(io);
                }
            }
            (Stage::Persist(step), done) => return self.write_done(step, done),
            (Stage::Project, Done::Projected(view)) => {
                self.view = Some(view);
                self.answer_touched();
                if self.persisted.needs_compaction() {
                    return self.compact_step(0, self.doc.get_heads());
                }
                self.batch = None;
                return Next::Done;
            }
            (
                Stage::Compact {
                    attempt,
                    heads,
                    waiting,
                },
                done,
            ) => return self.compact_done(attempt, heads, waiting, done),
            (Stage::Reproject, Done::Projected(view)) => {
                self.view = Some(view);
                self.answer_all();
                self.batch = None;
                return Next::Done;
            }
            (_, done) => {
                debug_assert!(false, "unexpected I/O result {done:?}");
            }
        }
        self.advance()
    }

    fn set_stage_current(&mut self, increment: Option<i64>) {
        if let Some(batch) = self.batch.as_mut()
            && let Stage::Remote { current, .. } = &mut batch.stage
        {
            *current = increment;
        }
    }

    pub(super) fn set_stage(&mut self, stage: Stage) {
        if let Some(batch) = self.batch.as_mut() {
            batch.stage = stage;
        }
    }

    /// Does what needs no I/O until something does.
    fn advance(&mut self) -> Next {
        loop {
            let Some(batch) = self.batch.as_mut() else {
                return Next::Done;
            };
            match &batch.stage {
                Stage::Remote { .. } => {
                    if let Some(increment) = batch.remote.pop_front() {
                        if let Some(io) = self.remote_next(increment) {
                            self.set_stage_current(increment);
                            return Next::Io(io);
                        }
                        continue;
                    }
                    let Stage::Remote { heads, .. } =
                        std::mem::replace(&mut batch.stage, Stage::Receive)
                    else {
                        unreachable!()
                    };
                    self.remote_merged(&heads);
                }
                Stage::Receive => {
                    if let Some(cmd) = batch.commands.pop_front() {
                        let people = batch.people.clone();
                        if let Some(io) = self.command(cmd, &people) {
                            return Next::Io(io);
                        }
                        continue;
                    }
                    self.drop_closed_peers();
                    let stored_new = self.doc.get_heads() != self.persisted.heads;
                    let batch = self.batch.as_mut().expect("in a batch");
                    batch.stored_new = stored_new;
                    if stored_new {
                        batch.stage = Stage::Persist(Write::Start);
                    } else {
                        return self.after_persist();
                    }
                }
                Stage::Persist(step) => {
                    let step = *step;
                    return self.write_next(step);
                }
                Stage::Bind(_) | Stage::Project | Stage::Compact { .. } | Stage::Reproject => {
                    debug_assert!(false, "advance while waiting for I/O");
                    return Next::Done;
                }
            }
        }
    }

    /// Everything heard is durable now. The other peers hear of a change first: the records
    /// list (projection) and compaction are not needed for that, so they do not delay it. The
    /// authors' acknowledgements wait for the projection, so a client that saw its change
    /// acknowledged finds it in the records list too.
    fn after_persist(&mut self) -> Next {
        let batch = self.batch.as_mut().expect("in a batch");
        let people = batch.people.clone();
        let heads = self.doc.get_heads();
        if heads != batch.heads_before {
            // The record changed: who may read it may have changed too (a handler removed).
            self.evict_unauthorized(&*people);
            let touched = &self.batch.as_ref().expect("in a batch").touched;
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
        let batch = self.batch.as_mut().expect("in a batch");
        if batch.stored_new {
            if self.projects {
                batch.stage = Stage::Project;
                return Next::Io(Io::Project(
                    self.take_view(),
                    std::mem::take(&mut self.reviewed),
                ));
            }
            self.answer_touched();
            if self.persisted.needs_compaction() {
                return self.compact_step(0, self.doc.get_heads());
            }
            self.batch = None;
            return Next::Done;
        }
        self.answer_touched();
        // Compaction follows only our own writes.
        self.batch = None;
        Next::Done
    }

    fn answer_touched(&mut self) {
        let touched = std::mem::take(&mut self.batch.as_mut().expect("in a batch").touched);
        let empty = self.doc.get_heads().is_empty();
        for conn in touched {
            self.answer(conn, empty);
        }
    }

    pub(super) fn answer_all(&mut self) {
        let everyone: Vec<ConnId> = self.peers.keys().copied().collect();
        let empty = self.doc.get_heads().is_empty();
        for conn in everyone {
            self.answer(conn, empty);
        }
    }

    /// Fails every peer after a storage failure; the document leaves memory.
    fn storage_failed(&mut self, error: &StorageError) -> Next {
        tracing::error!(doc = %self.id, %error, "storing changes failed; dropping the document from memory");
        for slot in self.peers.values() {
            self.effects.push(Effect {
                peer: slot.peer.clone(),
                send: Send::Fail(STORAGE_UNAVAILABLE),
            });
        }
        self.batch = None;
        Next::Failed
    }

    /// The next write of the batch's changes, or on to answering once they are durable.
    fn write_next(&mut self, step: Write) -> Next {
        if step == Write::Start
            && let Some((actor, false)) = &self.server_actor
        {
            let actor = actor.clone();
            self.set_stage(Stage::Persist(Write::SystemBound));
            return Next::Io(Io::BindActor {
                actor,
                user: Arc::from(super::SYSTEM_USER),
                session: None,
            });
        }
        if !self.persisted.exists {
            let snapshot = self.doc.save();
            self.set_stage(Stage::Persist(Write::Creating(snapshot.len())));
            return Next::Io(Io::Create {
                snapshot,
                owner: self.readers.owner(),
            });
        }
        let increment = self.doc.save_after(&self.persisted.heads);
        self.set_stage(Stage::Persist(Write::Appending(increment.len())));
        Next::Io(Io::Append(increment))
    }

    fn write_done(&mut self, step: Write, done: Done) -> Next {
        match (step, done) {
            (Write::SystemBound, Done::Bound(Ok(_))) => {
                if let Some((_, bound)) = &mut self.server_actor {
                    *bound = true;
                }
                self.write_next(Write::SystemBound)
            }
            (Write::Creating(len), Done::Created(Ok((created, owner)))) => {
                if let Some(owner) = owner {
                    self.readers.set_owner(owner.clone());
                    if let Some(view) = &mut self.view {
                        view.owner = Some(owner);
                    }
                }
                if created == Created::AlreadyExists {
                    // Another process stored it first: append all we have, merge theirs at
                    // compaction.
                    self.persisted.exists = true;
                    self.persisted.generation = None;
                    return self.write_next(Write::Exists);
                }
                self.persisted = Persisted {
                    exists: true,
                    heads: self.doc.get_heads(),
                    generation: Some(1),
                    covered: Vec::new(),
                    snapshot_len: len,
                    increments_len: 0,
                };
                self.after_persist()
            }
            (Write::Appending(len), Done::Appended(Ok(increment_id))) => {
                self.persisted.covered.push(increment_id);
                self.persisted.increments_len += len;
                self.persisted.heads = self.doc.get_heads();
                self.after_persist()
            }
            (
                _,
                Done::Bound(Err(error)) | Done::Created(Err(error)) | Done::Appended(Err(error)),
            ) => self.storage_failed(&error),
            (step, done) => {
                debug_assert!(false, "unexpected write result {done:?} at {step:?}");
                Next::Done
            }
        }
    }
}
