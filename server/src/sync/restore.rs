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

use std::collections::{BTreeSet, HashSet};

use automerge::transaction::Transactable;
use automerge::{AutomergeError, ChangeHash, ObjId, ObjType, Prop, ReadDoc, ScalarValue, Value};

/// How a list of entries is brought back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Exactly as it was: entries added since are removed too.
    Whole,
    /// Entries that existed are restored (changed ones put back, removed ones re-inserted);
    /// entries added since are kept. For people who may append to a list but not edit it.
    KeepAppended,
}

/// Restores key `key` of the root map to its value at `heads`. Returns whether anything was
/// written.
pub fn restore_root_key<T: Transactable + ReadDoc>(
    tx: &mut T,
    key: &str,
    heads: &[ChangeHash],
    mode: Mode,
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
        if restore_root_key(tx, &key, heads, Mode::Whole)? {
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
    mode: Mode,
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
    mode: Mode,
    written: &mut bool,
) -> Result<(), AutomergeError> {
    match ty {
        ObjType::Map | ObjType::Table => {
            let keys: BTreeSet<String> = tx.keys_at(id, heads).chain(tx.keys(id)).collect();
            for key in keys {
                restore_prop(tx, id, Prop::Map(key), heads, Mode::Whole, written)?;
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
    mode: Mode,
    written: &mut bool,
) -> Result<(), AutomergeError> {
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
    if mode == Mode::Whole {
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
            Some(_) => restore_object(tx, id, *ty, heads, Mode::Whole, written)?,
            None => {
                let at = then_index.min(tx.length(list));
                insert_copy(tx, list, at, element, heads)?;
                *written = true;
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
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{ActorId, Automerge, ObjType, ROOT, ReadDoc, ScalarValue};

    use super::{Mode, restore_all, restore_root_key};

    fn doc_with_entries() -> Automerge {
        let mut doc = Automerge::new().with_actor(ActorId::random());
        let mut tx = doc.transaction();
        tx.put(ROOT, "title", "阀井污水").unwrap();
        let detail = tx.put_object(ROOT, "detail", ObjType::Text).unwrap();
        tx.splice_text(&detail, 0, 0, "炼油厂区阀井").unwrap();
        let list = tx.put_object(ROOT, "progress", ObjType::List).unwrap();
        let entry = tx.insert_object(&list, 0, ObjType::Map).unwrap();
        tx.put(&entry, "id", "p1").unwrap();
        tx.put(&entry, "text", "已清理").unwrap();
        let tags = tx.put_object(ROOT, "co_units", ObjType::List).unwrap();
        tx.insert(&tags, 0, "u1").unwrap();
        tx.commit();
        doc
    }

    fn entry_texts(doc: &Automerge) -> Vec<String> {
        let (_, list) = doc.get(ROOT, "progress").unwrap().unwrap();
        (0..doc.length(&list))
            .map(|i| {
                let (_, entry) = doc.get(&list, i).unwrap().unwrap();
                let (value, _) = doc.get(&entry, "text").unwrap().unwrap();
                value.into_string().unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn restores_scalars_text_and_scalar_lists() {
        let mut doc = doc_with_entries();
        let heads = doc.get_heads();
        let mut tx = doc.transaction();
        tx.put(ROOT, "title", "改过的标题").unwrap();
        let (_, detail) = tx.get(ROOT, "detail").unwrap().unwrap();
        tx.splice_text(&detail, 0, 2, "化工").unwrap();
        let (_, units) = tx.get(ROOT, "co_units").unwrap().unwrap();
        tx.insert(&units, 1, "u2").unwrap();
        tx.put(ROOT, "unknown", 1).unwrap();
        tx.commit();

        let mut tx = doc.transaction();
        let restored = restore_all(&mut tx, &heads).unwrap();
        tx.commit();
        assert_eq!(restored, ["co_units", "detail", "title", "unknown"]);
        let (title, _) = doc.get(ROOT, "title").unwrap().unwrap();
        assert_eq!(title.as_str(), Some("阀井污水"));
        assert_eq!(doc.text(&detail).unwrap(), "炼油厂区阀井");
        assert_eq!(doc.length(&units), 1);
        assert!(doc.get(ROOT, "unknown").unwrap().is_none());
        // Restoring again finds nothing to do.
        let mut tx = doc.transaction();
        assert!(restore_all(&mut tx, &heads).unwrap().is_empty());
        assert_eq!(tx.pending_ops(), 0);
    }

    #[test]
    fn keeps_appended_entries_but_restores_altered_ones() {
        let mut doc = doc_with_entries();
        let heads = doc.get_heads();
        let mut tx = doc.transaction();
        let (_, list) = tx.get(ROOT, "progress").unwrap().unwrap();
        let (_, first) = tx.get(&list, 0).unwrap().unwrap();
        tx.put(&first, "text", "篡改").unwrap();
        let added = tx.insert_object(&list, 1, ObjType::Map).unwrap();
        tx.put(&added, "id", "p2").unwrap();
        tx.put(&added, "text", "新进展").unwrap();
        tx.commit();

        let mut tx = doc.transaction();
        assert!(restore_root_key(&mut tx, "progress", &heads, Mode::KeepAppended).unwrap());
        tx.commit();
        assert_eq!(entry_texts(&doc), ["已清理", "新进展"]);

        let mut tx = doc.transaction();
        assert!(restore_root_key(&mut tx, "progress", &heads, Mode::Whole).unwrap());
        tx.commit();
        assert_eq!(entry_texts(&doc), ["已清理"]);
    }

    #[test]
    fn brings_back_deleted_and_replaced_objects() {
        let mut doc = doc_with_entries();
        let heads = doc.get_heads();
        let mut tx = doc.transaction();
        let (_, list) = tx.get(ROOT, "progress").unwrap().unwrap();
        tx.delete(&list, 0).unwrap();
        tx.put(ROOT, "detail", ScalarValue::Null).unwrap();
        tx.delete(ROOT, "title").unwrap();
        tx.commit();

        let mut tx = doc.transaction();
        restore_all(&mut tx, &heads).unwrap();
        tx.commit();
        assert_eq!(entry_texts(&doc), ["已清理"]);
        let (_, detail) = doc.get(ROOT, "detail").unwrap().unwrap();
        assert_eq!(doc.text(&detail).unwrap(), "炼油厂区阀井");
        assert!(doc.get(ROOT, "title").unwrap().is_some());
    }

    #[test]
    fn restoring_merges_with_concurrent_edits_of_others() {
        let mut server = doc_with_entries();
        let heads = server.get_heads();
        let mut other = server.fork().with_actor(ActorId::random());
        // Someone else appends an entry concurrently.
        let mut tx = other.transaction();
        let (_, list) = tx.get(ROOT, "progress").unwrap().unwrap();
        let added = tx.insert_object(&list, 1, ObjType::Map).unwrap();
        tx.put(&added, "id", "p3").unwrap();
        tx.put(&added, "text", "别人的进展").unwrap();
        tx.commit();
        // A forbidden edit arrives and is reverted.
        let mut tx = server.transaction();
        tx.put(ROOT, "title", "篡改").unwrap();
        tx.commit();
        let mut tx = server.transaction();
        restore_root_key(&mut tx, "title", &heads, Mode::Whole).unwrap();
        tx.commit();
        server.merge(&mut other).unwrap();
        assert_eq!(entry_texts(&server), ["已清理", "别人的进展"]);
        let (title, _) = server.get(ROOT, "title").unwrap().unwrap();
        assert_eq!(title.as_str(), Some("阀井污水"));
    }
}
