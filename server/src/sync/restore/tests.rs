use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ObjType, ROOT, ReadDoc, ScalarValue};

use super::{EntryFix, Mode, restore_all, restore_root_key};

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
    assert!(restore_root_key(&mut tx, "progress", &heads, &Mode::KeepAppended).unwrap());
    tx.commit();
    assert_eq!(entry_texts(&doc), ["已清理", "新进展"]);

    let mut tx = doc.transaction();
    assert!(restore_root_key(&mut tx, "progress", &heads, &Mode::Whole).unwrap());
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
    restore_root_key(&mut tx, "title", &heads, &Mode::Whole).unwrap();
    tx.commit();
    server.merge(&mut other).unwrap();
    assert_eq!(entry_texts(&server), ["已清理", "别人的进展"]);
    let (title, _) = server.get(ROOT, "title").unwrap().unwrap();
    assert_eq!(title.as_str(), Some("阀井污水"));
}

#[test]
fn entry_by_entry_restores_only_what_was_refused() {
    let mut doc = doc_with_entries();
    let mut tx = doc.transaction();
    let (_, list) = tx.get(ROOT, "progress").unwrap().unwrap();
    let second = tx.insert_object(&list, 1, ObjType::Map).unwrap();
    tx.put(&second, "id", "p2").unwrap();
    tx.put(&second, "text", "第二条").unwrap();
    tx.commit();
    let heads = doc.get_heads();
    // One message: p1's text rewritten and a note added to it, p2 deleted, p3 and p4 added.
    let mut tx = doc.transaction();
    let (_, first) = tx.get(&list, 0).unwrap().unwrap();
    tx.put(&first, "text", "篡改").unwrap();
    tx.put(&first, "note", "允许的补充").unwrap();
    tx.delete(&list, 1).unwrap();
    for (index, id) in [(1, "p3"), (2, "p4")] {
        let added = tx.insert_object(&list, index, ObjType::Map).unwrap();
        tx.put(&added, "id", id).unwrap();
        tx.put(&added, "text", id).unwrap();
    }
    tx.commit();

    let fixes = [
        (
            "p1".to_owned(),
            EntryFix::Fields(["text".to_owned()].into()),
        ),
        ("p2".to_owned(), EntryFix::Whole),
        ("p4".to_owned(), EntryFix::Remove),
    ];
    let mut tx = doc.transaction();
    let mode = Mode::Entries(fixes.into_iter().collect());
    assert!(restore_root_key(&mut tx, "progress", &heads, &mode).unwrap());
    tx.commit();
    let mut texts = entry_texts(&doc);
    texts.sort();
    assert_eq!(texts, ["p3", "已清理", "第二条"]);
    let (_, first) = doc.get(&list, 0).unwrap().unwrap();
    let (note, _) = doc.get(&first, "note").unwrap().unwrap();
    assert_eq!(
        note.into_string().unwrap(),
        "允许的补充",
        "the allowed part of p1 stands"
    );
}
