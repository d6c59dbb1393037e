//! The core's handling of one command: access, attribution, applying a sync message,
//! reviewing what it did, and what each peer is sent.

use std::collections::VecDeque;
use std::sync::Arc;

use automerge::sync::{self, SyncDoc};
use automerge::{ActorId, Change, ChangeHash, ReadDoc};
use duyan_shared::DocumentId;
use duyan_shared::records::Touched;

use super::super::peer::{ConnId, Peer};
use super::super::review::{self, Refusal, Verdict};
use super::core::{DocCore, Effect, Io, PeerSync, Send, Stage};
use super::{DocCommand, Ephemeral, STORAGE_UNAVAILABLE};
use crate::access::{self, People, View};

/// A sync message waiting for the actors of its new changes to be bound to its sender.
pub(crate) struct Binding {
    peer: Arc<Peer>,
    message: sync::Message,
    is_request: bool,
    /// The actors not yet bound; the first is the one being bound.
    actors: VecDeque<ActorId>,
}

impl DocCore {
    /// Handles one command; returns the I/O it waits for, if any.
    pub(super) fn command(&mut self, cmd: DocCommand, people: &Arc<dyn People>) -> Option<Io> {
        match cmd {
            DocCommand::Sync {
                peer,
                data,
                is_request,
            } => self.receive(peer, &data, is_request, &**people),
            DocCommand::Ephemeral(message) => {
                self.relay(Arc::from(message));
                None
            }
            DocCommand::PeerLeft { conn } => {
                self.peers.remove(&conn);
                None
            }
            DocCommand::Remote { .. } => {
                debug_assert!(false, "remote changes are taken out of the batch first");
                None
            }
        }
    }

    fn send(&mut self, peer: &Arc<Peer>, send: Send) {
        self.effects.push(Effect {
            peer: peer.clone(),
            send,
        });
    }

    fn receive(
        &mut self,
        peer: Arc<Peer>,
        data: &[u8],
        is_request: bool,
        people: &dyn People,
    ) -> Option<Io> {
        let conn = peer.conn;
        if !access::may_read(people, &peer.principal.user_id, &self.readers) {
            // The same answer as for a document that does not exist: no one learns which ids exist.
            self.peers.remove(&conn);
            self.send(&peer, Send::Unavailable);
            return None;
        }
        let message = match sync::Message::decode(data) {
            Ok(message) => message,
            Err(error) => {
                tracing::warn!(doc = %self.id, peer = %peer.peer_id, %error, "closing session: undecodable sync message");
                self.peers.remove(&conn);
                self.send(&peer, Send::Fail("sync message could not be decoded"));
                return None;
            }
        };
        if !message.changes.is_empty() {
            let Some(actors) = self.unbound_actors(&message) else {
                tracing::warn!(doc = %self.id, peer = %peer.peer_id, "closing session: undecodable changes");
                self.peers.remove(&conn);
                self.send(&peer, Send::Fail("sync message could not be applied"));
                return None;
            };
            if !actors.is_empty() {
                return Some(self.bind_next(Binding {
                    peer,
                    message,
                    is_request,
                    actors,
                }));
            }
        }
        self.apply(&peer, message, is_request, people);
        None
    }

    fn bind_next(&mut self, binding: Binding) -> Io {
        let io = Io::BindActor {
            actor: binding.actors[0].clone(),
            user: binding.peer.principal.user_id.clone(),
            session: Some(binding.peer.principal.session_id.clone()),
        };
        self.set_stage(Stage::Bind(binding));
        io
    }

    /// An actor of a waiting message was bound (or found bound to `owner`).
    pub(super) fn bound(
        &mut self,
        mut binding: Binding,
        owner: Result<Arc<str>, crate::storage::StorageError>,
        people: &dyn People,
    ) -> Option<Io> {
        let peer = binding.peer.clone();
        let user = &peer.principal.user_id;
        match owner {
            Err(error) => {
                // Unattributed changes are never accepted; the client resends them later.
                tracing::error!(doc = %self.id, %error, "could not record who made changes");
                self.peers.remove(&peer.conn);
                self.send(&peer, Send::Fail(STORAGE_UNAVAILABLE));
                None
            }
            Ok(owner) if owner != *user => {
                // The peer's heads name the refused changes, so syncing on would have us ask
                // for them again and again. An honest client never gets here: stop syncing
                // this document with it.
                let actor = binding
                    .actors
                    .pop_front()
                    .expect("an actor was being bound");
                tracing::warn!(doc = %self.id, user = %user, "refused changes made with another user's actor id");
                self.tell_refused(
                    &peer,
                    &[Refusal {
                        field: "*".to_owned(),
                        code: "foreign_actor",
                        message: format!(
                            "changes by actor {actor} belong to another user and were not accepted"
                        ),
                    }],
                );
                self.peers.remove(&peer.conn);
                self.send(&peer, Send::Unavailable);
                None
            }
            Ok(_) => {
                binding.actors.pop_front();
                if !binding.actors.is_empty() {
                    return Some(self.bind_next(binding));
                }
                self.apply(&peer, binding.message, binding.is_request, people);
                None
            }
        }
    }

    /// The actors of the message's new changes, each once, in order.
    ///
    /// The common case: each chunk is one change, read without touching the document. A chunk
    /// may also hold several changes (automerge packs a run of them into one bundle) or a whole
    /// document, and the document may hold changes queued for missing deps, which this message
    /// can release. For those, the message is applied to a copy and the changes it adds are the
    /// ones to attribute, queued ones included, so no change enters the document without its
    /// actor bound to this user. `None` if the changes cannot be decoded.
    fn unbound_actors(&self, message: &sync::Message) -> Option<VecDeque<ActorId>> {
        let mut actors: VecDeque<ActorId> = VecDeque::new();
        let mut note = |change: &Change| {
            if !actors.contains(change.actor_id()) {
                actors.push_back(change.actor_id().clone());
            }
        };
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
                    copy.load_incremental(chunk).ok()?;
                }
                for change in self.doc.get_changes_added(&copy) {
                    note(&change);
                }
            }
        }
        Some(actors)
    }

    /// Applies a message whose changes are attributed, then reviews what it did.
    fn apply(
        &mut self,
        peer: &Arc<Peer>,
        message: sync::Message,
        is_request: bool,
        people: &dyn People,
    ) {
        let conn = peer.conn;
        let user = peer.principal.user_id.clone();
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
            self.send(&slot.peer, Send::Fail("sync message could not be applied"));
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
                self.review(peer, people, &heads_before, &before);
            }
            // Nothing new (changes it had already): the record is as it was.
            Some(before) => self.view = Some(before),
            None => {}
        }
        if let Some(batch) = self.batch.as_mut() {
            batch.touched.push(conn);
        }
    }

    /// The whole record as it now reads, moved out of `view`; read if only its readers are known.
    pub(super) fn take_view(&mut self) -> View {
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

    /// Reads `view` again after the document changed.
    pub(super) fn reread(&mut self, touched: Touched) {
        let view = View::read(&self.doc, self.readers.owner(), &mut self.reader, touched);
        self.set_view(view);
    }

    /// Reviews what the last message from `peer` did, restoring what its user may not change.
    fn review(
        &mut self,
        peer: &Arc<Peer>,
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
        let verdict = review::review(people, user, &self.id, before, &after, &self.doc);
        self.set_view(after);
        if verdict == Verdict::Accept {
            self.note_review(before, user, people);
            return;
        }
        let actor = match &self.server_actor {
            Some((actor, _)) => actor.clone(),
            None => {
                let actor = ActorId::random();
                self.server_actor = Some((actor.clone(), false));
                actor
            }
        };
        let outcome = super::undo::restore(&mut self.doc, actor, verdict, heads_before, user);
        match outcome {
            Ok((fields, told)) => {
                if !fields.is_empty() {
                    tracing::info!(doc = %self.id, %user, fields = ?fields, "restored fields the user may not change");
                }
                self.tell_refused(peer, &told);
            }
            Err(error) => {
                tracing::error!(doc = %self.id, %error, "could not restore refused fields");
            }
        }
        self.reread(Touched::Everything);
        self.note_review(before, user, people);
    }

    /// Notes, for the next projection, what the reviewed change by `user` from `before` to the
    /// current view did: its events, and the photos it newly references, in `user`'s name.
    fn note_review(&mut self, before: &View, user: &str, people: &dyn People) {
        crate::notify::events::of_review(
            &mut self.reviewed.events,
            before,
            self.view.as_ref(),
            user,
        );
        if let Some(after) = &self.view {
            access::photos::note_references(
                &mut self.reviewed.references,
                before,
                after,
                access::Reader::of(people, user),
            );
        }
    }

    /// Tells the author why part of their change was undone, as an ephemeral message from the
    /// server (the app shows it on the record: `handle.on("ephemeral-message")`).
    fn tell_refused(&mut self, peer: &Arc<Peer>, refusals: &[Refusal]) {
        if refusals.is_empty() {
            return;
        }
        let data = refused_message(&self.id, refusals);
        self.send(peer, Send::FromServer(data));
    }

    /// Drops peers that may no longer read the document; they are told it is unavailable.
    pub(super) fn evict_unauthorized(&mut self, people: &dyn People) {
        let readers = &self.readers;
        let effects = &mut self.effects;
        self.peers.retain(|_, slot| {
            let allowed = access::may_read(people, &slot.peer.principal.user_id, readers);
            if !allowed {
                effects.push(Effect {
                    peer: slot.peer.clone(),
                    send: Send::Unavailable,
                });
            }
            allowed
        });
    }

    /// Sends `conn` what it lacks, or `doc-unavailable` if it asked for a document we do not have.
    pub(super) fn answer(&mut self, conn: ConnId, empty: bool) {
        let Some(slot) = self.peers.get_mut(&conn) else {
            return;
        };
        if empty && slot.wants {
            if !slot.told_unavailable {
                slot.told_unavailable = true;
                self.effects.push(Effect {
                    peer: slot.peer.clone(),
                    send: Send::Unavailable,
                });
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
            self.effects.push(Effect {
                peer: slot.peer.clone(),
                send: Send::Sync(message.encode()),
            });
        }
    }

    /// Ephemeral messages (presence, cursors) go to the other peers of this document only.
    fn relay(&mut self, message: Arc<Ephemeral>) {
        if !self.peers.contains_key(&message.from) {
            return;
        }
        for (conn, slot) in &self.peers {
            if *conn != message.from {
                self.effects.push(Effect {
                    peer: slot.peer.clone(),
                    send: Send::Relay(message.clone()),
                });
            }
        }
    }
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
