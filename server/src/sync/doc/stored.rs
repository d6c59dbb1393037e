//! The core's side of storage beyond writing: merging what storage holds (at load, before a
//! compaction, and when another process stored changes) and compacting.

use std::sync::Arc;

use automerge::{ChangeHash, ReadDoc};
use duyan_shared::records::Touched;

use super::core::{DocCore, Done, Io, LoadError, Next, Persisted, Stage};
use crate::storage::{Compacted, StoredDoc};

/// What a compaction step waits for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Waiting {
    /// A read of everything stored, to merge before compacting.
    Load,
    /// The compaction of a snapshot of this many bytes.
    Compact(usize),
}

impl DocCore {
    /// Merges what storage holds into memory and records it as durable. Only called while
    /// everything in memory is durable, so memory stays a superset of storage.
    pub(super) fn merge(&mut self, stored: StoredDoc) -> Result<(), LoadError> {
        if !stored.snapshot.is_empty() {
            self.doc
                .load_incremental(&stored.snapshot)
                .map_err(LoadError::Damaged)?;
        }
        let mut covered = Vec::with_capacity(stored.increments.len());
        let mut increments_len = 0;
        for increment in &stored.increments {
            // A damaged increment is logged and kept in storage (not covered, so never
            // compacted away); the rest of the document stays usable.
            match self.doc.load_incremental(&increment.data) {
                Ok(_) => {
                    covered.push(increment.id);
                    increments_len += increment.data.len();
                }
                Err(error) => {
                    tracing::error!(doc = %self.id, increment = increment.id, %error, "skipping a damaged stored increment");
                }
            }
        }
        self.persisted = Persisted {
            exists: true,
            heads: self.doc.get_heads(),
            generation: Some(stored.generation),
            covered,
            snapshot_len: stored.snapshot.len(),
            increments_len,
        };
        Ok(())
    }

    /// What to read for a change another process stored: nothing if it is merged already, the
    /// one increment, or everything (`None`: the document was created, or the notifications
    /// were interrupted and may have been missed).
    pub(super) fn remote_next(&self, increment: Option<i64>) -> Option<Io> {
        match increment {
            Some(id) if self.persisted.covered.contains(&id) => None,
            Some(id) if self.persisted.exists => Some(Io::LoadIncrement(id)),
            _ => Some(Io::Load),
        }
    }

    /// Merges what was read for a remote change; may ask to read everything instead.
    pub(super) fn remote_done(&mut self, increment: Option<i64>, done: Done) -> Option<Next> {
        match done {
            Done::LoadedIncrement(Ok(Some(data))) => {
                let before = self.doc.get_heads();
                let len = data.len();
                match self.doc.load_incremental(&data) {
                    // Changes whose dependencies we lack (a notification missed) wait in the
                    // document's queue; reading everything brings the rest.
                    Ok(_) if !self.doc.get_missing_deps(&[]).is_empty() => Some(Next::Io(Io::Load)),
                    Ok(_) => {
                        // Every change in memory is durable: the increment is committed, and
                        // it is ours to fold into a compaction now.
                        if self.doc.get_heads() != before {
                            self.persisted.heads = self.doc.get_heads();
                        }
                        if let Some(id) = increment {
                            self.persisted.covered.push(id);
                            self.persisted.increments_len += len;
                        }
                        None
                    }
                    Err(error) => {
                        tracing::error!(doc = %self.id, %error, "a change another process stored is damaged");
                        None
                    }
                }
            }
            // Compacted away meanwhile: what it held is in the snapshot.
            Done::LoadedIncrement(Ok(None)) => Some(Next::Io(Io::Load)),
            Done::Loaded(Ok(Some(stored))) => {
                if let Some(owner) = &stored.owner
                    && self.readers.owner().is_none()
                {
                    let owner: Arc<str> = Arc::from(owner.as_str());
                    self.readers.set_owner(owner.clone());
                    if let Some(view) = &mut self.view {
                        view.owner = Some(owner);
                    }
                }
                if let Err(error) = self.merge(stored) {
                    tracing::error!(doc = %self.id, %error, "stored document is damaged");
                }
                None
            }
            Done::Loaded(Ok(None)) => None,
            Done::LoadedIncrement(Err(error)) | Done::Loaded(Err(error)) => {
                // The changes are stored; the next notification or compaction brings them.
                tracing::warn!(doc = %self.id, %error, "could not read changes another process stored");
                None
            }
            done => {
                debug_assert!(false, "unexpected result {done:?} for a remote change");
                None
            }
        }
    }

    /// After merging others' changes: the record is read again (who may read it may have
    /// changed); the peers hear of them with the rest of the batch.
    pub(super) fn remote_merged(&mut self, heads_before: &[ChangeHash]) {
        if self.doc.get_heads() == heads_before {
            return;
        }
        if self.view.is_some() {
            let touched = if heads_before.is_empty() {
                Touched::Everything
            } else {
                Touched::by_changes(&self.doc, &self.doc.get_changes(heads_before))
            };
            self.reread(touched);
        } else {
            let owner = self.readers.owner();
            self.readers = crate::access::View::of(&self.doc, owner).readers();
        }
    }

    /// One attempt at compacting, or the end of compaction after `COMPACT_ATTEMPTS`.
    pub(super) fn compact_step(&mut self, attempt: u32, heads: Vec<ChangeHash>) -> Next {
        if attempt >= super::core::COMPACT_ATTEMPTS {
            return self.compacted(&heads);
        }
        let Some(base) = self.persisted.generation else {
            self.set_stage(Stage::Compact {
                attempt,
                heads,
                waiting: Waiting::Load,
            });
            return Next::Io(Io::Load);
        };
        let snapshot = self.doc.save();
        self.set_stage(Stage::Compact {
            attempt,
            heads,
            waiting: Waiting::Compact(snapshot.len()),
        });
        Next::Io(Io::Compact {
            base,
            snapshot,
            covered: self.persisted.covered.clone(),
        })
    }

    /// A compaction failure loses nothing (the increments stay), so it is logged and left for
    /// the next write.
    pub(super) fn compact_done(
        &mut self,
        attempt: u32,
        heads: Vec<ChangeHash>,
        waiting: Waiting,
        done: Done,
    ) -> Next {
        match (waiting, done) {
            (Waiting::Load, Done::Loaded(Ok(Some(stored)))) => match self.merge(stored) {
                Ok(()) => self.compact_step(attempt + 1, heads),
                Err(error) => {
                    tracing::error!(doc = %self.id, %error, "stored document is damaged; not compacting");
                    self.compacted(&heads)
                }
            },
            (Waiting::Load, Done::Loaded(Ok(None))) => self.compacted(&heads),
            (Waiting::Load, Done::Loaded(Err(error))) => {
                tracing::warn!(doc = %self.id, %error, "could not read stored document for compaction");
                self.compacted(&heads)
            }
            (Waiting::Compact(len), Done::Compacted(Ok(Compacted::Yes { generation }))) => {
                self.persisted.generation = Some(generation);
                self.persisted.covered.clear();
                self.persisted.snapshot_len = len;
                self.persisted.increments_len = 0;
                self.compacted(&heads)
            }
            // Someone compacted meanwhile: merge what is stored, then try again.
            (Waiting::Compact(_), Done::Compacted(Ok(Compacted::Stale))) => {
                self.set_stage(Stage::Compact {
                    attempt,
                    heads,
                    waiting: Waiting::Load,
                });
                Next::Io(Io::Load)
            }
            (Waiting::Compact(_), Done::Compacted(Err(error))) => {
                tracing::warn!(doc = %self.id, %error, "compaction failed; increments are kept");
                self.compacted(&heads)
            }
            (waiting, done) => {
                debug_assert!(
                    false,
                    "unexpected result {done:?} while compacting ({waiting:?})"
                );
                self.compacted(&heads)
            }
        }
    }

    /// If the compaction merged changes another process stored, everyone hears of them.
    fn compacted(&mut self, heads: &[ChangeHash]) -> Next {
        if self.doc.get_heads() == heads {
            self.batch = None;
            return Next::Done;
        }
        self.reread(Touched::Everything);
        let people = Arc::clone(&self.batch.as_ref().expect("in a batch").people);
        self.evict_unauthorized(&*people);
        if self.projects {
            self.set_stage(Stage::Reproject);
            return Next::Io(Io::Project(
                self.take_view(),
                std::mem::take(&mut self.reviewed),
            ));
        }
        self.answer_all();
        self.batch = None;
        Next::Done
    }
}
