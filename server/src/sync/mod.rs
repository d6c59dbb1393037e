//! Sync of Automerge documents with automerge-repo clients.
//!
//! Independent of transport and storage: the WebSocket glue in [`crate::ws`] feeds decoded
//! frames to a [`session::Session`] and writes what arrives in its [`peer::Outbox`]; storage
//! is any [`crate::storage::DocStore`].
//!
//! - [`protocol`]: the CBOR wire messages.
//! - [`session`]: one connected peer: handshake, dispatch of its messages to documents.
//! - [`hub`]: the registry of loaded documents; loads them on demand.
//! - `binder`: writes actor bindings, batched across documents.
//! - [`doc`]: one loaded document, owned by one task: applies sync messages, persists, and only
//!   then answers, so no peer hears of a change before it is durable.
//! - [`review`]: may this peer create or change this document as its message does; who may
//!   read is [`crate::access`].
//! - [`remote`]: hears of changes other processes on the same database store.

mod binder;
pub mod doc;
pub mod hub;
pub mod peer;
pub mod protocol;
pub mod remote;
pub mod restore;
pub mod review;
pub mod session;

use std::time::Duration;

use duyan_shared::DocumentId;
use futures_util::future::BoxFuture;

/// Keeps a queryable copy of records (the projection) in step with the documents. The
/// document task calls it after every successful write, with the record as it now reads and
/// what the reviews of the changes since the last call found ([`Reviewed`]).
pub trait Projector: Send + Sync + 'static {
    /// Failures are the projector's to log and repair (`duyan reindex`): the changes are
    /// stored either way, and sync must not wait on or fail because of the projection.
    fn project<'a>(
        &'a self,
        id: DocumentId,
        view: &'a crate::access::View,
        reviewed: Reviewed,
    ) -> BoxFuture<'a, ()>;
}

/// What the reviews of a document's changes found since its last projection, to be written
/// with it.
#[derive(Debug, Default)]
pub struct Reviewed {
    /// Events of the changes (`crate::notify::events`).
    pub events: Vec<crate::notify::Event>,
    /// Photos the changes newly referenced, with who referenced them: the projection records
    /// whether each reference grants the record's readers the photo (`crate::access::photos`).
    pub references: Vec<crate::access::photos::Reference>,
}

/// Tunables of the sync layer.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// A loaded document no peer has used for this long is dropped from memory.
    pub doc_idle_timeout: Duration,
    /// A peer whose unsent output exceeds this many bytes is too slow and is disconnected,
    /// so one stalled phone cannot make the server buffer without bound.
    pub max_queued_bytes_per_peer: usize,
    /// Attempts at a storage write before the peers of the document are told it failed.
    pub storage_attempts: u32,
    /// Documents a peer asked for (`request`) that may be answered and not yet acknowledged
    /// at a time; its further requests wait their turn (see [`session`]).
    pub request_window: usize,
    /// How long an answered request counts against that window at most, so a client that never
    /// acknowledges cannot stall its own later requests for good.
    pub request_ack_timeout: Duration,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            doc_idle_timeout: Duration::from_secs(60),
            max_queued_bytes_per_peer: 64 * 1024 * 1024,
            storage_attempts: 4,
            request_window: 64,
            request_ack_timeout: Duration::from_secs(10),
        }
    }
}
