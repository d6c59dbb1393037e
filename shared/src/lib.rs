//! Duyan's domain crate: what the server and the web app agree on.
//!
//! Layout:
//! - [`document_id`]: the identifier of a record, in the form automerge-repo puts on the wire.
//!
//! Record types, status rules, permissions and derived lights arrive with the records issue.
//! This crate stays free of transport and storage (no axum, no sqlx), so the same rules can be
//! generated for the web app and run on the phone offline.

pub mod document_id;

pub use document_id::{DocumentId, InvalidDocumentId};
