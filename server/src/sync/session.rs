//! One connected peer: the join handshake, validation, rate limiting and dispatch of its
//! messages to documents. Transport-free: the WebSocket glue hands it frames.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use duyan_shared::DocumentId;
use tokio::time::Instant;

use super::access::Principal;
use super::doc::DocCommand;
use super::hub::Hub;
use super::peer::{ConnId, Outbox, Peer};
use super::protocol::{FromClient, PROTOCOL_V1, PeerMetadata, ProtocolError, ToClient};

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
                let cmd = DocCommand::Sync {
                    peer,
                    data,
                    is_request,
                };
                self.hub.dispatch(document_id, cmd).await;
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
                    let cmd = DocCommand::Ephemeral {
                        from: self.conn,
                        sender_id,
                        count,
                        session_id,
                        data,
                    };
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
