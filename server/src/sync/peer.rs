//! A connected peer as documents see it: who it is and where its outgoing frames go.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use duyan_shared::DocumentId;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::protocol::{PeerId, ToClient};
use super::review::Principal;
use crate::metrics::Metrics;

/// Identifies one connection (peer ids are chosen by clients and may repeat on reconnect).
pub type ConnId = u64;

/// What the transport writer receives.
#[derive(Debug)]
pub enum Outgoing {
    Frame(Vec<u8>),
    /// Write this frame (an `error` message), then close the connection.
    Fatal(Vec<u8>),
    /// Close the connection with this WebSocket close code and reason.
    Close(u16, &'static str),
}

/// The sending side of one connection, shared by the session and the documents it syncs.
///
/// Unbounded so that a document task never waits on one slow client; the byte budget
/// below disconnects a client that stops reading instead.
#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::UnboundedSender<Outgoing>,
    queued: Arc<AtomicUsize>,
    limit: usize,
    closed: CancellationToken,
}

impl Outbox {
    /// Returns the outbox and the receiver the transport writer drains (it must call
    /// [`Outbox::sent`] after writing each frame).
    pub fn new(limit: usize) -> (Self, mpsc::UnboundedReceiver<Outgoing>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let outbox = Self {
            tx,
            queued: Arc::default(),
            limit,
            closed: CancellationToken::new(),
        };
        (outbox, rx)
    }

    /// Cancelled when the connection is to be closed.
    pub fn closed(&self) -> &CancellationToken {
        &self.closed
    }

    /// Closes the connection after what is queued, with a close code the client can act on
    /// (e.g. sign in again when its token expired).
    pub fn close_with(&self, code: u16, reason: &'static str) {
        let _ = self.tx.send(Outgoing::Close(code, reason));
    }

    /// The writer reports a frame of `len` bytes as written.
    pub fn sent(&self, len: usize) {
        self.queued.fetch_sub(len, Ordering::Relaxed);
    }

    fn push(&self, item: Outgoing, len: usize) -> bool {
        if self.closed.is_cancelled() {
            return false;
        }
        let queued = self.queued.fetch_add(len, Ordering::Relaxed) + len;
        if queued > self.limit && matches!(item, Outgoing::Frame(_)) {
            self.queued.fetch_sub(len, Ordering::Relaxed);
            tracing::warn!(queued, "peer is not reading its messages; disconnecting it");
            self.closed.cancel();
            return false;
        }
        self.tx.send(item).is_ok()
    }
}

/// One connected peer.
pub struct Peer {
    pub conn: ConnId,
    /// The peer id the client announced in `join`.
    pub peer_id: PeerId,
    pub principal: Principal,
    /// The server's own peer id, the sender of everything we write.
    pub server_peer_id: Arc<str>,
    pub outbox: Outbox,
    pub metrics: Arc<Metrics>,
    /// Told of every document this peer is sent `doc-unavailable` for: that answers a request
    /// the peer will not acknowledge, so the session's window of requests moves on.
    pub unavailable: mpsc::UnboundedSender<DocumentId>,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("conn", &self.conn)
            .field("peer_id", &self.peer_id)
            .finish()
    }
}

impl Peer {
    pub fn send_sync(&self, doc: &DocumentId, data: &[u8]) {
        let frame = ToClient::sync(&self.server_peer_id, &self.peer_id, doc, data).encode();
        self.metrics.sync_out();
        self.send_frame(frame);
    }

    pub fn send_unavailable(&self, doc: &DocumentId) {
        let frame = ToClient::doc_unavailable(&self.server_peer_id, &self.peer_id, doc).encode();
        self.send_frame(frame);
        // The session is gone if this fails, and its window with it.
        let _ = self.unavailable.send(*doc);
    }

    pub fn send_ephemeral(
        &self,
        original_sender: &str,
        doc: &DocumentId,
        count: u64,
        session_id: &str,
        data: &[u8],
    ) {
        let frame =
            ToClient::ephemeral(original_sender, &self.peer_id, doc, count, session_id, data)
                .encode();
        self.send_frame(frame);
    }

    /// Tells the peer what went wrong and closes its connection. The message must not carry
    /// internal details: it is shown to whoever is on the other end.
    pub fn fail(&self, message: &str) {
        let frame = ToClient::error(&self.server_peer_id, &self.peer_id, message).encode();
        let len = frame.len();
        self.outbox.push(Outgoing::Fatal(frame), len);
    }

    pub(crate) fn send_frame(&self, frame: Vec<u8>) {
        let len = frame.len();
        self.metrics.bytes_out(len);
        self.outbox.push(Outgoing::Frame(frame), len);
    }
}
