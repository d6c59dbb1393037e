//! One connected peer: the join handshake, validation, rate limiting and dispatch of its
//! messages to documents. Transport-free: the WebSocket glue hands it frames.
//!
//! Requests (a peer asking for documents it does not have) go through a window, see
//! [`Requests`].

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use duyan_shared::DocumentId;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::doc::{DocCommand, Ephemeral};
use super::hub::Hub;
use super::peer::{ConnId, Outbox, Peer};
use super::protocol::{FromClient, PROTOCOL_V1, PeerMetadata, ProtocolError, ToClient};
use super::review::Principal;

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// Who the server is on the wire.
#[derive(Debug, Clone)]
pub struct ServerIdentity {
    pub peer_id: Arc<str>,
    /// `storageId` plus `isEphemeral: false`: clients use it to key what this server holds.
    pub metadata: Arc<PeerMetadata>,
}

/// Per-session limits.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub max_message_bytes: usize,
    /// Sustained messages per second; a burst of ten seconds' worth is allowed.
    pub messages_per_second: u32,
}

/// What the transport should do after a frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// The peer said `leave`.
    Leave,
}

/// The signed-in user a session belongs to, from the access token it was opened with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub user_id: Arc<str>,
    /// The sign-in session (one per device), recorded with every actor id bound to the user.
    pub session_id: Arc<str>,
}

pub struct Session {
    hub: Hub,
    conn: ConnId,
    user: SignedIn,
    outbox: Outbox,
    identity: ServerIdentity,
    limits: SessionLimits,
    peer: Option<Arc<Peer>>,
    /// Documents this peer has synced, to tell them when the session ends.
    docs: HashSet<DocumentId>,
    bucket: TokenBucket,
    requests: Requests,
}

impl Session {
    pub fn new(
        hub: Hub,
        user: SignedIn,
        outbox: Outbox,
        identity: ServerIdentity,
        limits: SessionLimits,
    ) -> Self {
        hub.metrics().session_opened();
        let config = hub.config();
        let requests = Requests::new(config.request_window, config.request_ack_timeout);
        Self {
            hub,
            user,
            conn: NEXT_CONN.fetch_add(1, Ordering::Relaxed),
            outbox,
            identity,
            bucket: TokenBucket::new(limits.messages_per_second),
            limits,
            peer: None,
            docs: HashSet::new(),
            requests,
        }
    }

    /// The peer id the client announced, once joined.
    pub fn peer_id(&self) -> Option<&str> {
        self.peer.as_deref().map(|p| p.peer_id.as_str())
    }

    /// Handles one frame. An error means the peer sent bad input: report it with
    /// [`Session::fail`] and close.
    pub async fn receive(&mut self, frame: &[u8]) -> Result<Flow, ProtocolError> {
        self.hub.metrics().bytes_in(frame.len());
        if frame.len() > self.limits.max_message_bytes {
            return Err(ProtocolError::TooLarge {
                size: frame.len(),
                limit: self.limits.max_message_bytes,
            });
        }
        // Slow a flooding client down rather than cut it off: a phone syncing a backlog is
        // not an attacker, and waiting here pushes back through the socket.
        self.bucket.take().await;
        let message = FromClient::decode(frame)?;
        let Some(peer) = self.peer.clone() else {
            return match message {
                FromClient::Join {
                    sender_id,
                    metadata: _,
                    supported_versions,
                } => {
                    self.join(sender_id, supported_versions.as_deref())?;
                    Ok(Flow::Continue)
                }
                FromClient::Leave => Ok(Flow::Leave),
                _ => Err(ProtocolError::NotJoined),
            };
        };
        match message {
            // The client adapter may send `join` again on the same socket; answer it again.
            FromClient::Join { .. } => self.send_peer(&peer.peer_id),
            FromClient::Sync {
                document_id,
                data,
                is_request,
            } => {
                self.hub.metrics().sync_in();
                self.docs.insert(document_id);
                if is_request {
                    if self
                        .requests
                        .must_wait(document_id, data.len(), Instant::now())
                    {
                        self.requests.hold(document_id, data);
                    } else {
                        self.hand_over(&peer, document_id, data, true).await;
                    }
                } else {
                    // A held request for this document goes first: its messages keep their order.
                    while let Some(held) = self.requests.take_held(document_id) {
                        self.hand_over(&peer, document_id, held, true).await;
                    }
                    self.hand_over(&peer, document_id, data, false).await;
                    // automerge-repo answers every sync message that changes its document: this
                    // acknowledges our answer to its request, if one was open.
                    if self.requests.acknowledge(document_id) {
                        self.release_held().await;
                    }
                }
            }
            FromClient::Ephemeral {
                document_id,
                sender_id,
                count,
                session_id,
                data,
            } => {
                // Clients re-relay every ephemeral message they receive to their other peers
                // (us), keeping the original sender. We already delivered it to everyone, so a
                // message not from this connection's own peer is such an echo: drop it. This
                // also means no one can speak as another peer. Only documents this peer syncs
                // are relayed; the document checks access again.
                if sender_id == peer.peer_id && self.docs.contains(&document_id) {
                    let cmd = DocCommand::Ephemeral(Box::new(Ephemeral {
                        from: self.conn,
                        sender_id,
                        count,
                        session_id,
                        data,
                    }));
                    self.hub.dispatch(document_id, cmd).await;
                }
            }
            // The server never asks peers for documents, so there is nothing to update.
            FromClient::DocUnavailable { .. } => {}
            FromClient::Ignored { kind } => {
                tracing::debug!(peer = %peer.peer_id, %kind, "ignoring message");
            }
            FromClient::Leave => return Ok(Flow::Leave),
        }
        Ok(Flow::Continue)
    }

    /// Gives a sync or request message to its document. A request opens a place in the window
    /// until the peer acknowledges the answer.
    async fn hand_over(&mut self, peer: &Arc<Peer>, id: DocumentId, data: Vec<u8>, request: bool) {
        if request {
            self.requests.open(id, Instant::now());
        }
        let cmd = DocCommand::Sync {
            peer: peer.clone(),
            data,
            is_request: request,
        };
        self.hub.dispatch(id, cmd).await;
    }

    /// Completes when requests held back may go on: an open one was answered `doc-unavailable`
    /// (no acknowledgement follows that) or timed out. Never completes while none is held.
    /// Cancel-safe: the transport waits on it alongside the socket and calls
    /// [`Session::release_held`] when it completes.
    pub async fn requests_may_go_on(&mut self) {
        loop {
            let deadline = self.requests.next_timeout();
            tokio::select! {
                Some(doc) = self.requests.unavailable.recv() => self.requests.close(doc),
                () = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {}
            }
            if self.requests.can_release(Instant::now()) {
                return;
            }
        }
    }

    /// Hands held requests to their documents while the window has room.
    pub async fn release_held(&mut self) {
        let Some(peer) = self.peer.clone() else {
            return;
        };
        while self.requests.can_release(Instant::now()) {
            let Some((id, data)) = self.requests.next_held() else {
                break;
            };
            self.hand_over(&peer, id, data, true).await;
        }
    }

    fn join(
        &mut self,
        sender_id: String,
        versions: Option<&[String]>,
    ) -> Result<(), ProtocolError> {
        // A client that names no versions predates versioning and speaks version 1.
        if versions.is_some_and(|v| !v.iter().any(|v| v == PROTOCOL_V1)) {
            return Err(ProtocolError::UnsupportedVersion);
        }
        let peer = Arc::new(self.writer(&sender_id));
        self.send_peer(&peer.peer_id);
        tracing::debug!(peer = %peer.peer_id, conn = self.conn, "peer joined");
        self.peer = Some(peer);
        Ok(())
    }

    fn send_peer(&self, target: &str) {
        let frame =
            ToClient::peer(&self.identity.peer_id, target, &self.identity.metadata).encode();
        self.writer(target).send_frame(frame);
    }

    /// Sends an `error` message and marks the connection for closing.
    pub fn fail(&self, error: &ProtocolError) {
        let message = error.to_string();
        match &self.peer {
            Some(peer) => peer.fail(&message),
            None => self.writer("").fail(&message),
        }
    }

    /// A [`Peer`] addressed to `target`, for writing before the handshake completes.
    fn writer(&self, target: &str) -> Peer {
        Peer {
            conn: self.conn,
            peer_id: target.to_owned(),
            principal: Principal {
                peer_id: target.to_owned(),
                user_id: self.user.user_id.clone(),
                session_id: self.user.session_id.clone(),
            },
            server_peer_id: self.identity.peer_id.clone(),
            outbox: self.outbox.clone(),
            metrics: self.hub.metrics().clone(),
            unavailable: self.requests.unavailable_tx.clone(),
        }
    }

    /// Ends the session: documents stop syncing with this peer.
    pub async fn end(self) {
        self.outbox.closed().cancel();
        for id in &self.docs {
            self.hub
                .notify(*id, DocCommand::PeerLeft { conn: self.conn })
                .await;
        }
        self.hub.metrics().session_closed();
    }
}

/// Bytes of requests one session holds back at most. A stock client's request is a few dozen
/// bytes (it has nothing to tell), so this is tens of thousands of requests.
const MAX_HELD_BYTES: usize = 4 * 1024 * 1024;

/// Flow control of `request`s: a peer asking for documents it does not have (a fresh client
/// opening 1,000 records asks for all of them at once).
///
/// Answered all at once, they reach the stock client back to back, and automerge-repo 2.5
/// handles a backlog of answers badly: in bench scenario (c) its CPU time per document nearly
/// doubles (garbage collection, mostly) and loading 1,000 records takes about 1.7x longer than
/// when at most 64 answers are outstanding (BENCHMARKS.md). So at most `limit` requests are open at
/// a time: given to their documents and not yet acknowledged. The others wait here, in arrival
/// order. The client acknowledges an answer with its next `sync` message for the document
/// (automerge-repo answers every message that changes its document); `doc-unavailable` needs
/// no acknowledgement. Only `request`s wait: changes a client pushes (`sync`) never do.
///
/// Waiting requests are bounded by [`MAX_HELD_BYTES`]; past that they are handed over at once,
/// as without the window, so a client cannot make the server hold its messages without bound.
struct Requests {
    limit: usize,
    ack_timeout: Duration,
    /// Requests given to their documents and not yet acknowledged, with when.
    open: HashMap<DocumentId, Instant>,
    /// Requests waiting for room, in arrival order, how many per document, and their bytes.
    held: VecDeque<(DocumentId, Vec<u8>)>,
    held_per_doc: HashMap<DocumentId, usize>,
    held_bytes: usize,
    /// Documents the peer was told are unavailable ([`Peer::send_unavailable`]).
    unavailable: mpsc::UnboundedReceiver<DocumentId>,
    unavailable_tx: mpsc::UnboundedSender<DocumentId>,
}

impl Requests {
    fn new(limit: usize, ack_timeout: Duration) -> Self {
        let (unavailable_tx, unavailable) = mpsc::unbounded_channel();
        Self {
            limit: limit.max(1),
            ack_timeout,
            open: HashMap::new(),
            held: VecDeque::new(),
            held_per_doc: HashMap::new(),
            held_bytes: 0,
            unavailable,
            unavailable_tx,
        }
    }

    /// Whether a request for `id` of `len` bytes must wait: the window is full, or an earlier
    /// request for the same document is waiting. A document already open takes no new place.
    fn must_wait(&mut self, id: DocumentId, len: usize, now: Instant) -> bool {
        if self.held_bytes + len > MAX_HELD_BYTES {
            return false;
        }
        self.held_per_doc.contains_key(&id) || (!self.open.contains_key(&id) && !self.has_room(now))
    }

    fn has_room(&mut self, now: Instant) -> bool {
        if self.open.len() >= self.limit {
            self.open
                .retain(|_, since| now.saturating_duration_since(*since) < self.ack_timeout);
        }
        self.open.len() < self.limit
    }

    fn can_release(&mut self, now: Instant) -> bool {
        !self.held.is_empty() && self.has_room(now)
    }

    fn open(&mut self, id: DocumentId, now: Instant) {
        self.open.entry(id).or_insert(now);
    }

    /// The peer acknowledged `id`; whether that freed a place.
    fn acknowledge(&mut self, id: DocumentId) -> bool {
        self.open.remove(&id).is_some()
    }

    fn close(&mut self, id: DocumentId) {
        self.open.remove(&id);
    }

    /// When the oldest open request stops counting, if any request is waiting for room.
    fn next_timeout(&self) -> Option<Instant> {
        if self.held.is_empty() {
            return None;
        }
        self.open
            .values()
            .min()
            .map(|since| *since + self.ack_timeout)
    }

    fn hold(&mut self, id: DocumentId, data: Vec<u8>) {
        *self.held_per_doc.entry(id).or_default() += 1;
        self.held_bytes += data.len();
        self.held.push_back((id, data));
    }

    fn next_held(&mut self) -> Option<(DocumentId, Vec<u8>)> {
        let (id, data) = self.held.pop_front()?;
        self.unhold(id, data.len());
        Some((id, data))
    }

    /// Takes the first waiting request for `id`, wherever it is in the queue.
    fn take_held(&mut self, id: DocumentId) -> Option<Vec<u8>> {
        if !self.held_per_doc.contains_key(&id) {
            return None;
        }
        let at = self.held.iter().position(|(held, _)| *held == id)?;
        let (_, data) = self.held.remove(at)?;
        self.unhold(id, data.len());
        Some(data)
    }

    fn unhold(&mut self, id: DocumentId, len: usize) {
        self.held_bytes -= len;
        if let Some(count) = self.held_per_doc.get_mut(&id) {
            *count -= 1;
            if *count == 0 {
                self.held_per_doc.remove(&id);
            }
        }
    }
}

/// A token bucket that waits instead of refusing.
struct TokenBucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    fn new(per_second: u32) -> Self {
        let rate = f64::from(per_second.max(1));
        Self {
            rate,
            capacity: rate * 10.0,
            tokens: rate * 10.0,
            updated: Instant::now(),
        }
    }

    async fn take(&mut self) {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.updated).as_secs_f64() * self.rate)
            .min(self.capacity);
        self.updated = now;
        if self.tokens < 1.0 {
            let wait = (1.0 - self.tokens) / self.rate;
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
            self.tokens = 1.0;
            self.updated = Instant::now();
        }
        self.tokens -= 1.0;
    }
}

#[cfg(test)]
mod tests;
