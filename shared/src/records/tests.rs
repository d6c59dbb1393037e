use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc as _};

use super::{Record, RecordError, Stored, WriteError, load_document, new_document};
use crate::samples::{duban_item, research_record};

#[track_caller]
fn written(record: &Record) -> AutoCommit {
    let mut doc = new_document();
    record.write_to(&mut doc).unwrap();
    doc
}

#[test]
fn duban_item_round_trips_with_chinese_text() {
    let record = Record::from(duban_item());
    let doc = written(&record);
    let back = Record::from_doc(&doc).unwrap();
    assert_eq!(back, record);
    let Record::Duban(item) = back else {
        panic!("expected a duban item")
    };
    assert_eq!(item.title, "二号厂区固体废物清理整改");
    assert!(item.detail.as_str().starts_with("按照月度会要求"));
}

#[test]
fn research_record_round_trips_with_chinese_text() {
    let record = Record::from(research_record());
    let doc = written(&record);
    assert_eq!(Record::from_doc(&doc).unwrap(), record);
}

#[test]
fn the_document_says_what_it_is_in_stable_strings() {
    let doc = written(&Record::from(duban_item()));
    let get = |key: &str| doc.get(ROOT, key).unwrap().unwrap().0.to_string();
    assert_eq!(get("type"), "\"duban\"");
    assert_eq!(get("schema_version"), "1");
    assert_eq!(get("status"), "\"in_progress\"");
    assert_eq!(get("feedback_cycle"), "\"weekly\"");
    // Long texts are Automerge text objects, not strings, so concurrent edits interleave.
    let (detail, _) = doc.get(ROOT, "detail").unwrap().unwrap();
    assert_eq!(detail, automerge::Value::Object(automerge::ObjType::Text));
}

#[test]
fn writing_an_unchanged_record_adds_no_operations() {
    let record = Record::from(duban_item());
    let mut doc = written(&record);
    let heads = doc.get_heads();
    Record::from_doc(&doc).unwrap().write_to(&mut doc).unwrap();
    assert_eq!(doc.get_heads(), heads);
}

#[test]
fn numbers_written_by_javascript_are_read() {
    // JavaScript stores integral numbers as signed ints: a photo width, an accuracy of 0.
    let mut doc = written(&Record::from(research_record()));
    let visits = doc.get(ROOT, "visits").unwrap().unwrap().1;
    let visit = doc.get(&visits, 0).unwrap().unwrap().1;
    let geo = doc.get(&visit, "geo").unwrap().unwrap().1;
    doc.put(&geo, "lat", 31_i64).unwrap();
    doc.put(&geo, "accuracy", 0_i64).unwrap();
    let photos = doc.get(&visit, "photos").unwrap().unwrap().1;
    let photo = doc.get(&photos, 0).unwrap().unwrap().1;
    doc.put(&photo, "width", 4032_u64).unwrap();
    let Record::Research(back) = Record::from_doc(&doc).unwrap() else {
        panic!("expected a research record")
    };
    let geo = back.visits[0].geo.as_ref().unwrap();
    assert_eq!(geo.lat, 31.0);
    assert!(geo.looks_mocked());
    assert_eq!(back.visits[0].photos[0].width, 4032);
}

#[test]
fn absent_optional_fields_read_as_none() {
    let mut doc = written(&Record::from(duban_item()));
    doc.delete(ROOT, "doc_no").unwrap();
    doc.delete(ROOT, "deadline").unwrap();
    let Record::Duban(item) = Record::from_doc(&doc).unwrap() else {
        panic!("expected a duban item")
    };
    assert_eq!((item.doc_no, item.deadline), (None, None));
}

#[test]
fn a_future_schema_version_is_refused_with_a_clear_error() {
    let mut doc = written(&Record::from(duban_item()));
    doc.put(ROOT, "schema_version", 2_i64).unwrap();
    let err = Record::from_doc(&doc).unwrap_err();
    assert!(
        matches!(
            err,
            RecordError::FutureVersion {
                found: 2,
                supported: 1
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "schema_version 2 is newer than this software supports (1); update the app"
    );
}

#[test]
fn version_one_upgrades_to_itself() {
    let doc = written(&Record::from(research_record()));
    let stored = Stored::from_doc(&doc).unwrap();
    assert!(matches!(stored, Stored::ResearchV1(_)));
    assert_eq!(stored.upgrade(), Record::from(research_record()));
}

/// Each case damages a valid document and expects an error whose message contains `reason`.
#[test]
fn malformed_documents_are_errors_with_a_reason() {
    type Damage = fn(&mut AutoCommit);
    let cases: &[(&str, Damage, &str)] = &[
        (
            "no type",
            |d| d.delete(ROOT, "type").unwrap(),
            "has no `type`",
        ),
        (
            "unknown type",
            |d| d.put(ROOT, "type", "memo").unwrap(),
            "\"memo\"",
        ),
        (
            "type not a string",
            |d| d.put(ROOT, "type", 7_i64).unwrap(),
            "not a known record type",
        ),
        (
            "no version",
            |d| d.delete(ROOT, "schema_version").unwrap(),
            "no valid `schema_version`",
        ),
        (
            "version zero",
            |d| d.put(ROOT, "schema_version", 0_i64).unwrap(),
            "no valid `schema_version`",
        ),
        (
            "unknown status",
            |d| d.put(ROOT, "status", "done").unwrap(),
            "duban status",
        ),
        (
            "missing title",
            |d| d.delete(ROOT, "title").unwrap(),
            "malformed duban record",
        ),
        (
            "timestamp as text",
            |d| d.put(ROOT, "created_at", "2026-11-01").unwrap(),
            "timestamp",
        ),
        (
            "timestamp out of range",
            |d| d.put(ROOT, "created_at", i64::MAX).unwrap(),
            "timestamp",
        ),
        (
            "list where text belongs",
            |d| {
                d.put_object(ROOT, "detail", automerge::ObjType::List)
                    .unwrap();
            },
            "malformed duban record",
        ),
        (
            "text where a string belongs, as plain JS strings are written",
            |d| {
                d.put_object(ROOT, "title", automerge::ObjType::Text)
                    .unwrap();
            },
            "malformed duban record",
        ),
        (
            "bad document id",
            |d| {
                let r = d
                    .put_object(ROOT, "source_ref", automerge::ObjType::Map)
                    .unwrap();
                d.put(&r, "record", "not-an-id").unwrap();
            },
            "document id",
        ),
        (
            "percent over 100",
            |d| {
                let list = d.get(ROOT, "progress").unwrap().unwrap().1;
                let entry = d.get(&list, 0).unwrap().unwrap().1;
                d.put(&entry, "percent", 140_i64).unwrap();
            },
            "percentage",
        ),
    ];
    for (name, damage, reason) in cases {
        let mut doc = written(&Record::from(duban_item()));
        damage(&mut doc);
        let err = Record::from_doc(&doc).expect_err(name).to_string();
        assert!(err.contains(reason), "{name}: {err:?} lacks {reason:?}");
        // The server's reader (one pass per object, entries cached) gives the same error.
        let read = super::RecordReader::new()
            .read(doc.document(), super::Touched::Everything)
            .expect_err(name)
            .to_string();
        assert_eq!(read, err, "{name}");
    }
}

#[test]
fn an_empty_document_is_an_error() {
    assert!(matches!(
        Record::from_doc(&AutoCommit::new()),
        Err(RecordError::MissingType)
    ));
}

#[test]
fn chinese_text_edits_land_where_they_were_made() {
    let mut doc = load_document(&written(&Record::from(duban_item())).save()).unwrap();
    let Ok(Record::Duban(mut item)) = Record::from_doc(&doc) else {
        panic!("expected a duban item")
    };
    let edited = item
        .detail
        .as_str()
        .replace("限期清运", "十日内清运")
        .replace("台账。", "台账，报督办室备案。");
    item.detail.update(&edited);
    Record::Duban(item).write_to(&mut doc).unwrap();
    let Ok(Record::Duban(back)) = Record::from_doc(&doc) else {
        panic!("expected a duban item")
    };
    assert_eq!(back.detail.as_str(), edited);
}

#[test]
fn documents_counting_text_otherwise_are_refused_before_writing() {
    let mut doc = AutoCommit::new(); // counts Unicode code points
    let err = Record::from(duban_item()).write_to(&mut doc).unwrap_err();
    assert!(matches!(err, WriteError::TextEncoding(_)), "{err:?}");
    assert!(doc.get_heads().is_empty());
}

/// automerge JS 3.5 writes `0` inside a new object as the float `0.0`; such integral floats
/// read as the integers they are, and fractional ones are still refused.
#[test]
fn integral_floats_read_as_integers() {
    let mut item = crate::samples::duban_item();
    item.progress.truncate(1);
    let mut doc = new_document();
    Record::from(item).write_to(&mut doc).unwrap();
    let (_, list) = doc.get(automerge::ROOT, "progress").unwrap().unwrap();
    let (_, entry) = doc.get(&list, 0).unwrap().unwrap();
    doc.put(&entry, "percent", 0.0_f64).unwrap();
    doc.put(&entry, "at", 1_762_131_600_000.0_f64).unwrap();
    let Record::Duban(read) = Record::from_doc(&doc).unwrap() else {
        panic!("not a duban item");
    };
    assert_eq!(read.progress[0].percent, super::Percent::new(0));
    assert_eq!(read.progress[0].at.millis(), 1_762_131_600_000);
    doc.put(&entry, "percent", 0.5_f64).unwrap();
    assert!(Record::from_doc(&doc).is_err());
}
