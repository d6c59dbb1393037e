//! Putting parts of a document back the way they were at earlier heads.
//!
//! The server refuses a forbidden change by accepting it and at once writing a change of its own
//! that restores the fields concerned (see `docs/ARCHITECTURE.md`, "Refusing changes"). The
//! restore works on the Automerge level, not on records, so it also undoes changes that leave a
//! document unreadable as a record (a wrong type in a field, an unknown key).
//!
//! Only what differs is written: an unchanged scalar is not put again, text is restored by a
//! diff, and objects that still exist are restored in place, so concurrent edits by others to
//! the same objects are not clobbered and the server's change stays small.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use automerge::transaction::Transactable;
use automerge::{AutomergeError, ChangeHash, ObjId, ObjType, Prop, ReadDoc, ScalarValue, Value};

/// How a list of entries is brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Exactly as it was: entries added since are removed too.
    Whole,
    /// Entries that existed are restored (changed ones put back, removed ones re-inserted);
    /// entries added since are kept. For people who may append to a list but not edit it.
    KeepAppended,
    /// Only what the rules refused, entry by entry (keyed by the entry's `id`): everything else
    /// the message did to the list stands.
    Entries(BTreeMap<String, EntryFix>),
}

/// What to put back of one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryFix {
    /// A new entry that may not stay: removed.
    Remove,
    /// An existing entry: restored whole (re-inserted if it was removed).
    Whole,
    /// These fields of an existing entry: restored; its other fields keep their new values.
    Fields(BTreeSet<String>),
}

impl EntryFix {
    /// The fix that does both `self` and `other`.
    pub fn and(self, other: EntryFix) -> EntryFix {
        match (self, other) {
            (EntryFix::Remove, _) | (_, EntryFix::Remove) => EntryFix::Remove,
            (EntryFix::Whole, _) | (_, EntryFix::Whole) => EntryFix::Whole,
            (EntryFix::Fields(mut a), EntryFix::Fields(b)) => {
                a.extend(b);
                EntryFix::Fields(a)
            }
        }
    }
}

impl Mode {
    /// The mode that puts back both what `self` and `other` put back.
    pub fn and(self, other: Mode) -> Mode {
        match (self, other) {
            (Mode::Whole, _) | (_, Mode::Whole) => Mode::Whole,
            (Mode::Entries(mut a), Mode::Entries(b)) => {
                for (id, fix) in b {
                    let merged = match a.remove(&id) {
                        Some(old) => old.and(fix),
                        None => fix,
                    };
                    a.insert(id, merged);
                }
                Mode::Entries(a)
            }
            // KeepAppended restores every existing entry, which covers any entry fix but the
            // removal of a new one.
            (Mode::KeepAppended, Mode::Entries(fixes))
            | (Mode::Entries(fixes), Mode::KeepAppended)
                if fixes.values().any(|fix| *fix == EntryFix::Remove) =>
            {
                Mode::Whole
            }
            _ => Mode::KeepAppended,
        }
    }
}

/// Restores key `key` of the root map to its value at `heads`. Returns whether anything was
/// written.
pub fn restore_root_key<T: Transactable + ReadDoc>(
    tx: &mut T,
    key: &str,
    heads: &[ChangeHash],
    mode: &Mode,
) -> Result<bool, AutomergeError> {
    let mut written = false;
    restore_prop(
        tx,
        &automerge::ROOT,
        Prop::Map(key.to_owned()),
        heads,
        mode,
        &mut written,
    )?;
    Ok(written)
}

/// Restores every key of the root map, including keys that did not exist at `heads` (they are
/// deleted). Returns the keys that were written.
pub fn restore_all<T: Transactable + ReadDoc>(
    tx: &mut T,
    heads: &[ChangeHash],
) -> Result<Vec<String>, AutomergeError> {
    let keys: BTreeSet<String> = tx
        .keys_at(automerge::ROOT, heads)
        .chain(tx.keys(automerge::ROOT))
        .collect();
    let mut restored = Vec::new();
    for key in keys {
        if restore_root_key(tx, &key, heads, &Mode::Whole)? {
            restored.push(key);
        }
    }
    Ok(restored)
}

fn restore_prop<T: Transactable + ReadDoc>(
    tx: &mut T,
    obj: &ObjId,
    prop: Prop,
    heads: &[ChangeHash],
    mode: &Mode,
    written: &mut bool,
) -> Result<(), AutomergeError> {
    let then = tx
        .get_at(obj, prop.clone(), heads)?
        .map(|(v, id)| (v.into_owned(), id));
    let now = tx
        .get(obj, prop.clone())?
        .map(|(v, id)| (v.into_owned(), id));
    match (then, now) {
        (None, None) => {}
        (None, Some(_)) => {
            tx.delete(obj, prop)?;
            *written = true;
        }
        (Some((Value::Scalar(old), _)), now) => {
            let same = matches!(&now, Some((Value::Scalar(current), _)) if current == &old);
            if !same {
                tx.put(obj, prop, old.into_owned())?;
                *written = true;
            }
        }
        (Some((Value::Object(ty), then_id)), Some((Value::Object(now_ty), now_id)))
            if ty == now_ty && then_id == now_id =>
        {
            restore_object(tx, &then_id, ty, heads, mode, written)?;
        }
        (Some((Value::Object(ty), then_id)), _) => {
            // Replaced by another object or a scalar, or deleted: bring back a copy.
            let copy = tx.put_object(obj, prop, ty)?;
            copy_object(tx, &then_id, &copy, ty, heads)?;
            *written = true;
        }
    }
    Ok(())
}

fn restore_object<T: Transactable + ReadDoc>(
    tx: &mut T,
    id: &ObjId,
    ty: ObjType,
    heads: &[ChangeHash],
    mode: &Mode,
    written: &mut bool,
) -> Result<(), AutomergeError> {
    match ty {
        ObjType::Map | ObjType::Table => {
            let keys: BTreeSet<String> = tx.keys_at(id, heads).chain(tx.keys(id)).collect();
            for key in keys {
                restore_prop(tx, id, Prop::Map(key), heads, &Mode::Whole, written)?;
            }
        }
        ObjType::Text => {
            let old = tx.text_at(id, heads)?;
            if tx.text(id)? != old {
                tx.update_text(id, old)?;
                *written = true;
            }
        }
        ObjType::List => restore_list(tx, id, heads, mode, written)?,
    }
    Ok(())
}

enum Element {
    Scalar(ScalarValue),
    Object(ObjType, ObjId),
}

fn elements<T: ReadDoc>(tx: &T, list: &ObjId, heads: Option<&[ChangeHash]>) -> Vec<Element> {
    let convert = |value: Value<'_>, id: ObjId| match value {
        Value::Scalar(s) => Element::Scalar(s.into_owned()),
        Value::Object(ty) => Element::Object(ty, id),
    };
    match heads {
        Some(heads) => tx
            .list_range_at(list, .., heads)
            .map(|item| {
                let id = item.id();
                convert(item.value.into(), id)
            })
            .collect(),
        None => tx
            .list_range(list, ..)
            .map(|item| {
                let id = item.id();
                convert(item.value.into(), id)
            })
            .collect(),
    }
}

/// Lists of objects (entries) are restored by object identity, so entries added concurrently
/// by others keep their place; lists holding scalars are rebuilt when they differ.
fn restore_list<T: Transactable + ReadDoc>(
    tx: &mut T,
    list: &ObjId,
    heads: &[ChangeHash],
    mode: &Mode,
    written: &mut bool,
) -> Result<(), AutomergeError> {
    if let Mode::Entries(fixes) = mode {
        return restore_entries(tx, list, heads, fixes, written);
    }
    let then = elements(tx, list, Some(heads));
    let now = elements(tx, list, None);
    let all_objects = then
        .iter()
        .chain(&now)
        .all(|e| matches!(e, Element::Object(..)));
    if !all_objects {
        let same = then.len() == now.len()
            && then.iter().zip(&now).all(|pair| match pair {
                (Element::Scalar(a), Element::Scalar(b)) => a == b,
                _ => false,
            });
        if !same {
            for index in (0..now.len()).rev() {
                tx.delete(list, index)?;
            }
            for (index, element) in then.iter().enumerate() {
                insert_copy(tx, list, index, element, heads)?;
            }
            *written = true;
        }
        return Ok(());
    }
    let object_id = |e: &Element| match e {
        Element::Object(_, id) => Some(id.clone()),
        Element::Scalar(_) => None,
    };
    let then_ids: HashSet<ObjId> = then.iter().filter_map(object_id).collect();
    // Entries added since: removed unless they are to be kept. From the end, so indexes hold.
    if *mode == Mode::Whole {
        for (index, element) in now.iter().enumerate().rev() {
            if object_id(element).is_some_and(|id| !then_ids.contains(&id)) {
                tx.delete(list, index)?;
                *written = true;
            }
        }
    }
    // Entries that existed: restored in place, or re-inserted where they were.
    for (then_index, element) in then.iter().enumerate() {
        let Element::Object(ty, id) = element else {
            continue;
        };
        let position = elements(tx, list, None)
            .iter()
            .position(|e| object_id(e).as_ref() == Some(id));
        match position {
            Some(_) => restore_object(tx, id, *ty, heads, &Mode::Whole, written)?,
            None => {
                let at = then_index.min(tx.length(list));
                insert_copy(tx, list, at, element, heads)?;
                *written = true;
            }
        }
    }
    Ok(())
}

/// The `id` of the entry object `obj` (now, or at `heads`).
fn entry_id<T: ReadDoc>(tx: &T, obj: &ObjId, heads: Option<&[ChangeHash]>) -> Option<String> {
    let value = match heads {
        Some(heads) => tx.get_at(obj, "id", heads),
        None => tx.get(obj, "id"),
    };
    match value.ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(id) => Some(id.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// [`Mode::Entries`]: removes the new entries to remove, and restores what `fixes` names of
/// the entries that existed at `heads`. An entry replaced by a new object with the same id
/// counts as removed: the copy of the old one comes back and the replacement goes.
fn restore_entries<T: Transactable + ReadDoc>(
    tx: &mut T,
    list: &ObjId,
    heads: &[ChangeHash],
    fixes: &BTreeMap<String, EntryFix>,
    written: &mut bool,
) -> Result<(), AutomergeError> {
    let then: Vec<(usize, ObjType, ObjId, Option<String>)> = elements(tx, list, Some(heads))
        .into_iter()
        .enumerate()
        .filter_map(|(index, e)| match e {
            Element::Object(ty, id) => {
                let entry = entry_id(tx, &id, Some(heads));
                Some((index, ty, id, entry))
            }
            Element::Scalar(_) => None,
        })
        .collect();
    let then_objects: HashSet<ObjId> = then.iter().map(|(_, _, id, _)| id.clone()).collect();
    let now_objects: HashSet<ObjId> = elements(tx, list, None)
        .into_iter()
        .filter_map(|e| match e {
            Element::Object(_, id) => Some(id),
            Element::Scalar(_) => None,
        })
        .collect();
    // Ids whose old object is gone: any new object under that id is a replacement.
    let replaced: HashSet<&str> = then
        .iter()
        .filter(|(_, _, id, _)| !now_objects.contains(id))
        .filter_map(|(_, _, _, entry)| entry.as_deref())
        .filter(|entry| fixes.contains_key(*entry))
        .collect();
    let now = elements(tx, list, None);
    for (index, element) in now.iter().enumerate().rev() {
        let Element::Object(_, id) = element else {
            continue;
        };
        if then_objects.contains(id) {
            continue;
        }
        let Some(entry) = entry_id(tx, id, None) else {
            continue;
        };
        if fixes.get(&entry) == Some(&EntryFix::Remove) || replaced.contains(entry.as_str()) {
            tx.delete(list, index)?;
            *written = true;
        }
    }
    for (then_index, ty, id, entry) in &then {
        let Some(fix) = entry.as_ref().and_then(|entry| fixes.get(entry)) else {
            continue;
        };
        if !now_objects.contains(id) {
            let at = (*then_index).min(tx.length(list));
            insert_copy(tx, list, at, &Element::Object(*ty, id.clone()), heads)?;
            *written = true;
            continue;
        }
        match fix {
            EntryFix::Remove => {}
            EntryFix::Whole => restore_object(tx, id, *ty, heads, &Mode::Whole, written)?,
            EntryFix::Fields(fields) => {
                for field in fields {
                    restore_prop(
                        tx,
                        id,
                        Prop::Map(field.clone()),
                        heads,
                        &Mode::Whole,
                        written,
                    )?;
                }
            }
        }
    }
    Ok(())
}

fn insert_copy<T: Transactable + ReadDoc>(
    tx: &mut T,
    list: &ObjId,
    index: usize,
    element: &Element,
    heads: &[ChangeHash],
) -> Result<(), AutomergeError> {
    match element {
        Element::Scalar(value) => tx.insert(list, index, value.clone()),
        Element::Object(ty, from) => {
            let copy = tx.insert_object(list, index, *ty)?;
            copy_object(tx, from, &copy, *ty, heads)
        }
    }
}

/// Writes into the fresh object `to` what `from` held at `heads`.
fn copy_object<T: Transactable + ReadDoc>(
    tx: &mut T,
    from: &ObjId,
    to: &ObjId,
    ty: ObjType,
    heads: &[ChangeHash],
) -> Result<(), AutomergeError> {
    match ty {
        ObjType::Map | ObjType::Table => {
            let entries: Vec<(String, Value<'static>, ObjId)> = tx
                .map_range_at(from, .., heads)
                .map(|item| {
                    let id = item.id();
                    (
                        item.key.into_owned(),
                        Value::from(item.value).into_owned(),
                        id,
                    )
                })
                .collect();
            for (key, value, id) in entries {
                match value {
                    Value::Scalar(s) => tx.put(to, key, s.into_owned())?,
                    Value::Object(child) => {
                        let copy = tx.put_object(to, key, child)?;
                        copy_object(tx, &id, &copy, child, heads)?;
                    }
                }
            }
        }
        ObjType::Text => {
            let text = tx.text_at(from, heads)?;
            tx.splice_text(to, 0, 0, &text)?;
        }
        ObjType::List => {
            for (index, element) in elements(tx, from, Some(heads)).iter().enumerate() {
                insert_copy(tx, to, index, element, heads)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
