//! Who may read and write which document: the single decision point of the sync layer.
//!
//! Every `request`, `sync` and `ephemeral` message passes through [`Gate::allows`] before it
//! touches a document. Until identity and access control arrive, [`OpenGate`] lets every
//! connected peer read and write, as automerge-repo's own sync server does.

use automerge::Automerge;
use duyan_shared::DocumentId;

use super::protocol::PeerId;

/// What a peer wants to do with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// Who is on the other end of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The automerge-repo peer id the client announced.
    pub peer_id: PeerId,
}

/// Decides access. `content` is the document as the server holds it (`None` when the server
/// has never stored it), so rules may depend on what the record says, e.g. who its handlers are.
pub trait Gate: Send + Sync + 'static {
    fn allows(
        &self,
        who: &Principal,
        doc: &DocumentId,
        content: Option<&Automerge>,
        access: Access,
    ) -> bool;
}

/// Everyone may read and write everything.
pub struct OpenGate;

impl Gate for OpenGate {
    fn allows(&self, _: &Principal, _: &DocumentId, _: Option<&Automerge>, _: Access) -> bool {
        true
    }
}
