//! Property: reading through a [`RecordReader`] after any sequence of edits, concurrent ones
//! merged in, gives exactly what a whole read gives.

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ChangeHash, ROOT, ReadDoc};
use proptest::prelude::*;

use super::{RecordReader, Touched};
use crate::records::{Record, new_document};
use crate::samples::{duban_item, photo, progress, research_record, shanghai};

/// One edit of a 督办事项, made as the app makes it (read, change, write back).
#[derive(Debug, Clone)]
enum Edit {
    /// Appends a progress entry.
    Append,
    /// Rewrites the text of the entry at this index (modulo the count).
    EntryText(usize, &'static str),
    /// Changes the caption of the first photo of an entry: an object inside the entry.
    Caption(usize, &'static str),
    /// Adds a photo to an entry.
    AddPhoto(usize),
    /// Removes an entry.
    Remove(usize),
    /// Changes a field of the root.
    Title(&'static str),
    /// Changes the detail text, an Automerge text object at the root.
    Detail(&'static str),
}

const WORDS: [&str; 3] = ["已整改", "正在清运固废", "处置单位已进场"];

fn edit() -> impl Strategy<Value = Edit> {
    let word = prop::sample::select(WORDS.to_vec());
    prop_oneof![
        3 => Just(Edit::Append),
        2 => (any::<usize>(), word.clone()).prop_map(|(i, w)| Edit::EntryText(i, w)),
        2 => (any::<usize>(), word.clone()).prop_map(|(i, w)| Edit::Caption(i, w)),
        1 => any::<usize>().prop_map(Edit::AddPhoto),
        1 => any::<usize>().prop_map(Edit::Remove),
        1 => word.clone().prop_map(Edit::Title),
        1 => word.prop_map(Edit::Detail),
    ]
}

fn apply(doc: &mut AutoCommit, edit: &Edit, n: usize) {
    let Ok(Record::Duban(mut item)) = Record::from_doc(doc) else {
        panic!("a duban item");
    };
    let count = item.progress.len();
    match edit {
        Edit::Append => item.progress.push(progress(
            &format!("{}-{n}", doc.get_actor()),
            shanghai(2026, 11, 20, 9, 0),
        )),
        Edit::EntryText(i, text) if count > 0 => item.progress[i % count].text = (*text).into(),
        Edit::Caption(i, caption) if count > 0 => {
            if let Some(photo) = item.progress[i % count].photos.first_mut() {
                photo.caption = Some((*caption).into());
            }
        }
        Edit::AddPhoto(i) if count > 0 => item.progress[i % count].photos.push(photo('b')),
        Edit::Remove(i) if count > 0 => {
            item.progress.remove(i % count);
        }
        Edit::Title(title) => item.title = (*title).into(),
        Edit::Detail(text) => item.detail.splice(0, 0, text),
        _ => {}
    }
    Record::Duban(item).write_to(doc).unwrap();
    doc.commit();
}

/// Reads `doc` through `reader`, told what changed since `since`, and checks the result
/// against a whole read.
fn check(reader: &mut RecordReader, doc: &mut AutoCommit, since: &[ChangeHash]) {
    let changes = doc.get_changes(since);
    let touched = Touched::by_changes(doc.document(), &changes);
    let cached = reader.read(doc.document(), touched);
    let whole = Record::from_doc(doc.document());
    assert_eq!(format!("{cached:?}"), format!("{whole:?}"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_cached_read_equals_a_whole_read(
        steps in prop::collection::vec((edit(), prop::option::of(edit())), 1..12),
    ) {
        let mut doc = new_document().with_actor(ActorId::from([1; 16]));
        Record::Duban(duban_item()).write_to(&mut doc).unwrap();
        doc.commit();
        let mut reader = RecordReader::new();
        reader.read(doc.document(), Touched::Everything).unwrap();
        let mut other = doc.fork().with_actor(ActorId::from([2; 16]));
        for (n, (mine, theirs)) in steps.iter().enumerate() {
            let since = doc.get_heads();
            apply(&mut doc, mine, n);
            // A concurrent edit on another replica, merged in with this one.
            if let Some(theirs) = theirs {
                apply(&mut other, theirs, n);
                doc.merge(&mut other).unwrap();
            }
            check(&mut reader, &mut doc, &since);
            other.merge(&mut doc).unwrap();
        }
    }
}

#[test]
fn appending_an_entry_touches_the_list_and_the_entry_only() {
    let mut doc = new_document();
    Record::Duban(duban_item()).write_to(&mut doc).unwrap();
    doc.commit();
    let progress_list = match doc.get(ROOT, "progress").unwrap() {
        Some((_, id)) => id,
        None => panic!("a progress list"),
    };
    let old_entries: Vec<_> = doc.list_range(&progress_list, ..).map(|i| i.id()).collect();
    assert!(!old_entries.is_empty());

    let since = doc.get_heads();
    apply(&mut doc, &Edit::Append, 1);
    let changes = doc.get_changes(&since);
    let Touched::Objects(touched) = Touched::by_changes(doc.document(), &changes) else {
        panic!("known objects");
    };
    assert!(touched.contains(&ROOT));
    assert!(touched.contains(&progress_list));
    for old in &old_entries {
        assert!(!touched.contains(old), "{old} was not written to");
    }
    let new_entry = doc.list_range(&progress_list, ..).last().unwrap().id();
    assert!(touched.contains(&new_entry));
}

#[test]
fn a_damaged_entry_gives_the_same_error_as_a_whole_read() {
    let mut doc = new_document();
    Record::Duban(duban_item()).write_to(&mut doc).unwrap();
    doc.commit();
    let mut reader = RecordReader::new();
    reader.read(doc.document(), Touched::Everything).unwrap();

    let since = doc.get_heads();
    let (_, list) = doc.get(ROOT, "progress").unwrap().unwrap();
    doc.insert(&list, 0, "not an entry").unwrap();
    doc.commit();
    let changes = doc.get_changes(&since);
    let touched = Touched::by_changes(doc.document(), &changes);
    let cached = reader.read(doc.document(), touched).unwrap_err();
    let whole = Record::from_doc(doc.document()).unwrap_err();
    assert_eq!(cached.to_string(), whole.to_string());
}

#[test]
fn notes_written_inside_a_visit_are_read_again() {
    let mut doc = new_document();
    Record::Research(research_record())
        .write_to(&mut doc)
        .unwrap();
    doc.commit();
    let mut reader = RecordReader::new();
    reader.read(doc.document(), Touched::Everything).unwrap();

    let since = doc.get_heads();
    let Ok(Record::Research(mut record)) = Record::from_doc(&doc) else {
        panic!("a research record");
    };
    assert!(!record.visits.is_empty());
    record.visits[0].notes.splice(0, 0, "补充：");
    Record::Research(record).write_to(&mut doc).unwrap();
    doc.commit();

    let changes = doc.get_changes(&since);
    let touched = Touched::by_changes(doc.document(), &changes);
    let Ok(Record::Research(read)) = reader.read(doc.document(), touched) else {
        panic!("a research record");
    };
    assert!(read.visits[0].notes.as_str().starts_with("补充："));
    assert_eq!(
        Record::Research(read),
        Record::from_doc(doc.document()).unwrap()
    );
}

/// White-box: an entry outside `touched` is taken from the cache, not read again. Shown by
/// lying to the reader: the entry's text changed, but the reader is told nothing was touched.
#[test]
fn an_untouched_entry_is_not_read_again() {
    let mut doc = new_document();
    Record::Duban(duban_item()).write_to(&mut doc).unwrap();
    doc.commit();
    let mut reader = RecordReader::new();
    let Ok(Record::Duban(first)) = reader.read(doc.document(), Touched::Everything) else {
        panic!("a duban item");
    };

    apply(&mut doc, &Edit::EntryText(0, "已整改"), 1);
    let nothing = Touched::Objects(std::iter::once(ROOT).collect());
    let Ok(Record::Duban(stale)) = reader.read(doc.document(), nothing) else {
        panic!("a duban item");
    };
    assert_eq!(stale.progress[0].text, first.progress[0].text);

    let Ok(Record::Duban(fresh)) = reader.read(doc.document(), Touched::Everything) else {
        panic!("a duban item");
    };
    assert_eq!(fresh.progress[0].text, "已整改");
}

#[test]
fn a_first_read_equals_a_whole_read_for_both_kinds() {
    for record in [
        Record::Duban(duban_item()),
        Record::Research(research_record()),
    ] {
        let mut doc = new_document();
        record.write_to(&mut doc).unwrap();
        doc.commit();
        let read = RecordReader::new()
            .read(doc.document(), Touched::Everything)
            .unwrap();
        assert_eq!(read, record);
        assert_eq!(read, Record::from_doc(&doc).unwrap());
    }
}
