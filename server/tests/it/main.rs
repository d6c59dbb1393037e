//! The server's integration tests, on real PostgreSQL: one test binary with a module per area.
//! One binary rather than one per file because each binary links the whole server and its
//! dependencies again; nine of them cost CI minutes of linking.
//!
//! Run one area with `cargo test -p duyan --test it sync::` (the module's name as a filter).

mod access;
mod admin_api;
mod attachments;
mod auth;
mod bench_assessments;
mod bench_documents;
mod bench_projection;
mod blobs;
mod bulletins;
mod common;
mod cycle_api;
mod dashboard_periods;
mod directory;
mod documents;
mod entry_rules;
mod meetings;
mod notify;
mod notify_digest;
mod notify_push;
mod projection_merge;
mod receiver;
mod records_api;
mod reports_api;
mod sync;
mod web_serving;
