//! Process metrics, rendered in the Prometheus text format at `GET /metrics`.
//!
//! Plain atomics: the set is small and fixed, and a metrics library would add more code than
//! it saves.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds (seconds) of the storage write latency histogram buckets.
const WRITE_BUCKETS: [f64; 10] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
pub struct Metrics {
    sessions_open: AtomicI64,
    documents_loaded: AtomicI64,
    sync_messages_in: AtomicU64,
    sync_messages_out: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    storage_errors: AtomicU64,
    write_buckets: [AtomicU64; WRITE_BUCKETS.len()],
    write_count: AtomicU64,
    write_micros: AtomicU64,
    /// The outbox of outside notifications (`crate::notify::outbox`).
    pub notify: crate::notify::outbox::OutboxMetrics,
}

impl Metrics {
    pub fn session_opened(&self) {
        self.sessions_open.fetch_add(1, Relaxed);
    }
    pub fn session_closed(&self) {
        self.sessions_open.fetch_sub(1, Relaxed);
    }
    pub fn document_loaded(&self) {
        self.documents_loaded.fetch_add(1, Relaxed);
    }
    pub fn document_unloaded(&self) {
        self.documents_loaded.fetch_sub(1, Relaxed);
    }
    pub fn documents_loaded(&self) -> i64 {
        self.documents_loaded.load(Relaxed)
    }
    pub fn sessions_open(&self) -> i64 {
        self.sessions_open.load(Relaxed)
    }
    pub fn sync_in(&self) {
        self.sync_messages_in.fetch_add(1, Relaxed);
    }
    pub fn sync_out(&self) {
        self.sync_messages_out.fetch_add(1, Relaxed);
    }
    pub fn bytes_in(&self, len: usize) {
        self.bytes_in.fetch_add(len as u64, Relaxed);
    }
    pub fn bytes_out(&self, len: usize) {
        self.bytes_out.fetch_add(len as u64, Relaxed);
    }
    pub fn storage_error(&self) {
        self.storage_errors.fetch_add(1, Relaxed);
    }
    pub fn storage_write(&self, took: Duration) {
        let secs = took.as_secs_f64();
        for (bucket, bound) in self.write_buckets.iter().zip(WRITE_BUCKETS) {
            if secs <= bound {
                bucket.fetch_add(1, Relaxed);
            }
        }
        self.write_count.fetch_add(1, Relaxed);
        self.write_micros
            .fetch_add(took.as_micros() as u64, Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(2048);
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        metric(
            "duyan_sessions_open",
            "gauge",
            "Open sync sessions.",
            self.sessions_open.load(Relaxed).to_string(),
        );
        metric(
            "duyan_documents_loaded",
            "gauge",
            "Documents held in memory.",
            self.documents_loaded.load(Relaxed).to_string(),
        );
        metric(
            "duyan_sync_messages_received_total",
            "counter",
            "Sync messages received from peers.",
            self.sync_messages_in.load(Relaxed).to_string(),
        );
        metric(
            "duyan_sync_messages_sent_total",
            "counter",
            "Sync messages sent to peers.",
            self.sync_messages_out.load(Relaxed).to_string(),
        );
        metric(
            "duyan_sync_bytes_received_total",
            "counter",
            "Bytes received on sync connections.",
            self.bytes_in.load(Relaxed).to_string(),
        );
        metric(
            "duyan_sync_bytes_sent_total",
            "counter",
            "Bytes sent on sync connections.",
            self.bytes_out.load(Relaxed).to_string(),
        );
        metric(
            "duyan_storage_errors_total",
            "counter",
            "Failed storage operations (each attempt).",
            self.storage_errors.load(Relaxed).to_string(),
        );
        self.notify.render(&mut metric);
        let name = "duyan_storage_write_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Latency of document writes to storage.\n# TYPE {name} histogram"
        );
        for (bucket, bound) in self.write_buckets.iter().zip(WRITE_BUCKETS) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Relaxed)
            );
        }
        let count = self.write_count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            self.write_micros.load(Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count {count}");
        render_allocator(&mut out);
        out
    }
}

/// jemalloc's own figures: what RSS is made of. `allocated` is what the program holds,
/// `active` the pages of the slabs and extents holding it (the gap is fragmentation),
/// `metadata` jemalloc's bookkeeping (kept for every extent ever used), `resident` all of
/// its pages in RAM. Where jemalloc is linked but not the global allocator (the library's own
/// tests), they describe a heap nobody uses.
fn render_allocator(out: &mut String) {
    use tikv_jemalloc_ctl::{epoch, stats};
    // The figures are cached by jemalloc until the epoch moves.
    if epoch::advance().is_err() {
        return;
    }
    let gauges = [
        (
            "allocated",
            "Bytes the server holds on the heap.",
            stats::allocated::read(),
        ),
        (
            "active",
            "Bytes of the heap's pages in use (allocated plus fragmentation).",
            stats::active::read(),
        ),
        (
            "metadata",
            "Bytes of the allocator's own bookkeeping.",
            stats::metadata::read(),
        ),
        (
            "resident",
            "Bytes of the allocator's pages in RAM, metadata included.",
            stats::resident::read(),
        ),
    ];
    for (what, help, value) in gauges {
        if let Ok(value) = value {
            let name = format!("duyan_heap_{what}_bytes");
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
    }
}
