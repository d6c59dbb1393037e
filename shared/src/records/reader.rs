//! Reading a record again after a change, at the cost of what the change touched.
//!
//! The server reads a record after every message that changes it (to review the change and to
//! update the records list). A whole read costs time in proportion to the record: with
//! automerge 0.12 about 130 µs per progress entry, 29 ms at 220 entries, which made every edit of
//! a long-lived 督办事项 slower than the last. Most messages append one entry or change one
//! field, so [`RecordReader`] keeps the entries it read last time, keyed by their object id, and
//! reads again only the entries whose object, or an object inside it, the new changes wrote to.
//! The root's own fields are always read again; they are few.
//!
//! Correctness rests on one property of Automerge: every change to what an object holds is an
//! operation whose `obj` is that object. [`Touched::by_changes`] collects those objects and their
//! ancestors; an entry outside that set reads exactly as it did before. Anything unexpected (an
//! entry that is not a map, an error) falls back to the ordinary read, so the cached read
//! returns what [`Record::from_doc`](super::Record::from_doc) returns, errors included; the
//! property test in `reader_tests.rs` holds it to that.
//!
//! Each read goes through [`Prefetched`], which fetches each object's values in one pass; that
//! makes the whole read (a new reader, or [`Touched::Everything`]) several times cheaper too.
//!
//! The entry lists opt in with `#[autosurgeon(hydrate = "super::reader::entries")]`. Outside
//! [`RecordReader::read`] that function is the ordinary `Vec` read.

use std::any::Any;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use automerge::{Change, ObjId, ObjType, ValueRef};
use autosurgeon::{Hydrate, HydrateError, Prop, ReadDoc};

use super::prefetch::Prefetched;
use super::{Record, RecordError};

/// Which objects of a document changed since a [`RecordReader`] last read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Touched {
    /// Unknown, or too much to be worth tracking: read everything.
    Everything,
    /// These objects, and every object that contains one of them.
    Objects(HashSet<ObjId>),
}

impl Touched {
    /// The objects that `changes`, already applied to `doc`, wrote to, with their ancestors.
    pub fn by_changes<'a>(
        doc: &automerge::Automerge,
        changes: impl IntoIterator<Item = &'a Change>,
    ) -> Self {
        let mut written: HashSet<ObjId> = HashSet::new();
        for change in changes {
            for op in change.decode().operations {
                let obj = match op.obj {
                    automerge::legacy::ObjectId::Root => ObjId::Root,
                    // The actor's index is per document; ObjId's equality and hash ignore it and
                    // the document looks the actor up by id when the index does not match.
                    automerge::legacy::ObjectId::Id(automerge::legacy::OpId(counter, actor)) => {
                        ObjId::Id(counter, actor, usize::MAX)
                    }
                };
                written.insert(obj);
            }
        }
        let mut touched = written.clone();
        for obj in written {
            let Ok(parents) = automerge::ReadDoc::parents(doc, &obj) else {
                return Self::Everything;
            };
            for parent in parents {
                // An ancestor already in the set brings its own ancestors in too, or will.
                if !touched.insert(parent.obj) {
                    break;
                }
            }
        }
        Self::Objects(touched)
    }

    fn contains(&self, obj: &ObjId) -> bool {
        match self {
            Self::Everything => true,
            Self::Objects(objects) => objects.contains(obj),
        }
    }
}

type Entries = HashMap<ObjId, Box<dyn Any + Send + Sync>>;

/// Reads one document's record again and again, reusing the entries no change touched.
///
/// Entries from an earlier read are returned as they were read; autosurgeon [`Text`] fields in
/// them remember the document state they came from, so a record from here is for reading, not
/// for writing back with [`Record::write_to`](super::Record::write_to).
///
/// [`Text`]: autosurgeon::Text
#[derive(Default)]
pub struct RecordReader {
    entries: Entries,
}

impl std::fmt::Debug for RecordReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordReader")
            .field("entries", &self.entries.len())
            .finish()
    }
}

/// The state of a read in progress on this thread. Derived `Hydrate` code calls [`entries`]
/// with no way to pass anything through, so the reader lends its cache here for the read.
struct Reading {
    before: Entries,
    after: Entries,
    touched: Touched,
}

thread_local! {
    static READING: RefCell<Option<Reading>> = const { RefCell::new(None) };
}

impl RecordReader {
    /// A reader with nothing cached: its first read reads everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the record in `doc`, as [`Record::from_doc`](super::Record::from_doc) does, reading
    /// again only the entries `touched` covers. Call it with [`Touched::Everything`] when the
    /// document changed in ways not described by a `Touched` (or the reader is new).
    pub fn read(
        &mut self,
        doc: &automerge::Automerge,
        touched: Touched,
    ) -> Result<Record, RecordError> {
        let before = if touched == Touched::Everything {
            Entries::new()
        } else {
            std::mem::take(&mut self.entries)
        };
        let previous = READING.with_borrow_mut(|reading| {
            reading.replace(Reading {
                before,
                after: Entries::new(),
                touched,
            })
        });
        let read = Record::from_doc(&Prefetched::new(doc));
        let reading = READING.with_borrow_mut(|reading| std::mem::replace(reading, previous));
        // Keep only the entries this read saw; a failed read keeps nothing it cannot vouch for.
        self.entries = match (&read, reading) {
            (Ok(_), Some(reading)) => reading.after,
            _ => Entries::new(),
        };
        read
    }

    /// Forgets what it read, e.g. when the record is unloaded.
    pub fn clear(&mut self) {
        self.entries = Entries::new();
    }
}

/// Reads a list of entries, reusing those a [`RecordReader`] read before and no change touched.
///
/// Outside [`RecordReader::read`] (and for anything but a list of maps) this is exactly
/// `Vec<T>`'s own read.
pub(crate) fn entries<D, T>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<Vec<T>, HydrateError>
where
    D: ReadDoc,
    T: Hydrate + Clone + Send + Sync + 'static,
{
    let active = READING.with_borrow(Option::is_some);
    if active && let Some(read) = entries_cached(doc, obj, &prop) {
        return Ok(read);
    }
    Vec::<T>::hydrate(doc, obj, prop)
}

/// The cached read, or `None` when the ordinary read should decide (including what error to give).
fn entries_cached<D, T>(doc: &D, obj: &ObjId, prop: &Prop<'_>) -> Option<Vec<T>>
where
    D: ReadDoc,
    T: Hydrate + Clone + Send + Sync + 'static,
{
    let Ok(Some((automerge::Value::Object(ObjType::List), list))) = doc.get(obj, prop) else {
        return None;
    };
    let ids: Vec<ObjId> = doc
        .list_range(&list, ..)
        .map(|item| match item.value {
            ValueRef::Object(ObjType::Map) => Some(item.id()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let mut read = Vec::with_capacity(ids.len());
    for id in ids {
        let kept = READING.with_borrow_mut(|reading| {
            let reading = reading.as_mut()?;
            if reading.touched.contains(&id) {
                return None;
            }
            let entry = reading.before.remove(&id)?;
            let value = entry.downcast_ref::<T>()?.clone();
            reading.after.insert(id.clone(), entry);
            Some(value)
        });
        let entry = match kept {
            Some(entry) => entry,
            None => {
                let entry = T::hydrate_map(doc, &id).ok()?;
                READING.with_borrow_mut(|reading| {
                    if let Some(reading) = reading.as_mut() {
                        reading.after.insert(id, Box::new(entry.clone()));
                    }
                });
                entry
            }
        };
        read.push(entry);
    }
    Some(read)
}

#[cfg(test)]
#[path = "reader_tests.rs"]
mod tests;
