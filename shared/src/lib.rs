//! Duyan's domain crate: what the server and the web app agree on.
//!
//! Layout:
//! - [`document_id`]: the identifier of a record, in the form automerge-repo puts on the wire.
//! - [`records`]: the two records, 督办事项 [`DubanItem`] and 调研记录 [`ResearchRecord`], mapped
//!   to and from Automerge documents with autosurgeon; schema versions and their upgrade.
//! - [`rules`]: roles, the status machines and the field permissions, all as data tables, and
//!   [`rules::check_change`], which the server runs on every change a session makes.
//! - [`api`]: the REST API's wire types (what `/api/*` answers), shared by the server and, as
//!   generated TypeScript, the web app.
//! - [`derived`]: values computed from a record and a clock, never stored: overdue, the traffic
//!   light, days left, the 24-hour first response, feedback age.
//! - [`assessment`]: the 考核 of units per month and quarter, pure functions of rules and facts,
//!   and what a 通报 of a period names (`assessment::findings`), by the same counting.
//! - [`time`]: [`Timestamp`] (integer milliseconds in documents) and the Asia/Shanghai calendar.
//! - [`web_types`]: the web app's TypeScript (record types, enums, the rules tables), generated
//!   from the above into `web/src/generated/` by the `gen-web-types` binary.
//!
//! Everything here is pure: no clock is read, nothing is stored or sent. That keeps the crate
//! free of transport and storage (no axum, no sqlx), so the same rules run on the server and,
//! generated for the web app, on the phone offline.

#[macro_use]
mod string_enum;

pub mod api;
pub mod assessment;
pub mod derived;
pub mod document_id;
pub mod records;
pub mod rules;
pub mod time;
pub mod web_types;

pub mod samples;

pub use document_id::{DocumentId, InvalidDocumentId};
pub use records::{DubanItem, Record, RecordError, RecordKind, ResearchRecord, Status};
pub use string_enum::UnknownValue;
pub use time::Timestamp;
