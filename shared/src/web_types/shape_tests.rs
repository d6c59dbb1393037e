//! The description of the records against real documents: a record with every field set is
//! written by the Rust side, and each key and value type found must be the described one; then
//! each field is removed or set to null in turn, and the Rust side must read the record exactly
//! when the field is described as optional.

use std::collections::BTreeSet;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, Prop, ROOT, ReadDoc, ScalarValue, Value};

use super::shape::*;
use crate::records::*;
use crate::samples::{attachment, duban_item, photo, research_record, shanghai};

const DOC_ID: &str = "3UCRm6WocHEqn6jZE8wJ8wD8ZfQy";

/// A 督办事项 in which every optional field is set and every list has an entry, so that a
/// document written from it holds every field at every depth.
fn full_duban_item() -> DubanItem {
    let mut item = duban_item();
    let at = shanghai(2026, 11, 12, 9, 0);
    let geo = || {
        Some(Geo {
            lat: 31.23,
            lng: 121.47,
            accuracy: 5.0,
        })
    };
    item.source_ref = Some(SourceRef {
        record: DOC_ID.parse().unwrap(),
        entry_id: Some("f1".into()),
    });
    item.parent = Some(DOC_ID.parse().unwrap());
    item.milestones = vec![Milestone {
        id: "m1".into(),
        title: "制定清运方案".into(),
        due: at,
        done_at: Some(at),
    }];
    item.progress[0].geo = geo();
    item.progress[0].attachments = Some(vec![attachment('f')]);
    item.instructions[0].attachments = Some(vec![attachment('f')]);
    item.urges = vec![Urge {
        id: "u1".into(),
        at,
        by: "u-li".into(),
        withdrawn: None,
        level: UrgeLevel::Urge,
        message: "请于本周内反馈".into(),
    }];
    item.extension_requests = vec![ExtensionRequest {
        id: "x1".into(),
        at,
        by: "u-zhang".into(),
        withdrawn: None,
        new_deadline: shanghai(2026, 12, 15, 23, 59),
        reason: "处置单位排期".into(),
        decision: Some(ExtensionDecision {
            verdict: ExtensionVerdict::Approved,
            at,
            by: "u-li".into(),
            comment: Some("同意".into()),
        }),
    }];
    item.reviews = vec![Review {
        id: "r1".into(),
        at,
        by: "u-li".into(),
        withdrawn: None,
        verdict: Verdict::Return,
        opinion: "台账不全".into(),
    }];
    item.site_checks = vec![SiteCheck {
        id: "s1".into(),
        at,
        by: "u-li".into(),
        withdrawn: None,
        place: "二号厂区".into(),
        findings: "仍有堆放".into(),
        before_photos: vec![photo('c')],
        after_photos: vec![photo('d')],
        geo: geo(),
        attachments: Some(vec![attachment('f')]),
    }];
    item.evaluation = Some(Evaluation {
        at,
        by: "u-wang".into(),
        score: 92,
        rating: Rating::Excellent,
        comment: "按期办结".into(),
    });
    let w = withdrawal;
    item.progress[0].withdrawn = w();
    item.urges[0].withdrawn = w();
    item.extension_requests[0].withdrawn = w();
    item.reviews[0].withdrawn = w();
    item.site_checks[0].withdrawn = w();
    item.instructions[0].withdrawn = w();
    item
}

/// A withdrawal with its reason: every entry of the full records carries one.
fn withdrawal() -> Option<Withdrawal> {
    Some(Withdrawal {
        at: shanghai(2026, 11, 13, 9, 0),
        by: "u-zhang".into(),
        reason: Some("填错了".into()),
    })
}

/// A 调研记录 with every optional field set and an entry in every list.
fn full_research_record() -> ResearchRecord {
    let mut record = research_record();
    let at = shanghai(2026, 11, 12, 9, 0);
    record.visits[0].address = Some("二号厂区东门".into());
    record.findings[0].photos = vec![photo('e')];
    record.findings[0].geo = record.visits[0].geo.clone();
    record.visits[0].attachments = Some(vec![attachment('f')]);
    record.findings[0].attachments = Some(vec![attachment('f')]);
    record.suggestions = vec![Suggestion {
        id: "g1".into(),
        at,
        by: "u-chen".into(),
        withdrawn: None,
        text: "建立抽查制度".into(),
        status: SuggestionStatus::Adopted,
        duban_ref: Some(DOC_ID.parse().unwrap()),
    }];
    record.instructions = vec![Instruction {
        id: "i1".into(),
        at,
        by: "u-wang".into(),
        withdrawn: None,
        text: "同意".into(),
        attachments: Some(vec![attachment('f')]),
    }];
    record.visits[0].withdrawn = withdrawal();
    record.findings[0].withdrawn = withdrawal();
    record.suggestions[0].withdrawn = withdrawal();
    record.instructions[0].withdrawn = withdrawal();
    record
}

fn full_documents() -> Vec<(RecordKind, AutoCommit)> {
    [
        Record::from(full_duban_item()),
        Record::from(full_research_record()),
    ]
    .into_iter()
    .map(|record| {
        let mut doc = new_document();
        record.write_to(&mut doc).unwrap();
        (record.kind(), doc)
    })
    .collect()
}

fn keys(doc: &AutoCommit, obj: &ObjId) -> BTreeSet<String> {
    doc.keys(obj).collect()
}

/// Checks that the value at `prop` of `parent` is stored as `shape` says, recursively.
#[track_caller]
fn assert_stored_as(doc: &AutoCommit, parent: &ObjId, prop: Prop, shape: &Shape, path: &str) {
    let Some((value, id)) = doc.get(parent, prop.clone()).unwrap() else {
        panic!("{path}: absent; the full samples must set every field");
    };
    let scalar = match &value {
        Value::Scalar(scalar) => Some(scalar.as_ref().clone()),
        Value::Object(_) => None,
    };
    match (shape, scalar) {
        (Shape::Optional(inner), _) => assert_stored_as(doc, parent, prop, inner, path),
        (Shape::Str, Some(ScalarValue::Str(_))) => {}
        (Shape::DocumentId, Some(ScalarValue::Str(s))) => {
            assert!(s.parse::<crate::DocumentId>().is_ok(), "{path}: {s}");
        }
        (Shape::Enum(e), Some(ScalarValue::Str(s))) => {
            assert!(
                e.values.contains(&s.as_str()),
                "{path}: {s} is no {}",
                e.name
            );
        }
        (Shape::Bool, Some(ScalarValue::Boolean(_))) => {}
        (Shape::Int | Shape::Timestamp | Shape::Percent, Some(ScalarValue::Int(_))) => {}
        (Shape::Float, Some(ScalarValue::F64(_))) => {}
        (Shape::Text, None) => assert_eq!(value, Value::Object(ObjType::Text), "{path}"),
        (Shape::Object(object), None) => {
            assert_eq!(value, Value::Object(ObjType::Map), "{path}");
            assert_object(doc, &id, object, &BTreeSet::new(), path);
        }
        (Shape::List(inner), None) => {
            assert_eq!(value, Value::Object(ObjType::List), "{path}");
            let len = doc.length(&id);
            assert!(
                len > 0,
                "{path}: empty; the full samples must fill every list"
            );
            for index in 0..len {
                assert_stored_as(
                    doc,
                    &id,
                    Prop::Seq(index),
                    inner,
                    &format!("{path}[{index}]"),
                );
            }
        }
        (shape, _) => panic!("{path}: described as {shape:?}, stored as {value:?}"),
    }
}

#[track_caller]
fn assert_object(
    doc: &AutoCommit,
    obj: &ObjId,
    object: &ObjectType,
    extra: &BTreeSet<String>,
    path: &str,
) {
    let mut described: BTreeSet<String> = object.fields.iter().map(|f| f.name.into()).collect();
    described.extend(extra.iter().cloned());
    assert_eq!(keys(doc, obj), described, "{path}: keys in the document");
    for field in &object.fields {
        let prop = Prop::Map(field.name.into());
        assert_stored_as(
            doc,
            obj,
            prop,
            &field.shape,
            &format!("{path}.{}", field.name),
        );
    }
}

#[test]
fn written_documents_hold_exactly_the_described_keys_and_value_types() {
    for (kind, doc) in full_documents() {
        let root_keys = ["type".to_owned(), "schema_version".to_owned()].into();
        assert_object(&doc, &ROOT, &record_type(kind), &root_keys, kind.as_str());
        let get = |key: &str| {
            doc.get(ROOT, key)
                .unwrap()
                .unwrap()
                .0
                .as_str()
                .map(str::to_owned)
        };
        assert_eq!(get("type").as_deref(), Some(kind.as_str()));
    }
}

/// Every field at every depth of `object` (entries of lists at index 0): the path of the map
/// holding it, and the field.
fn fields_within(object: &ObjectType, at: &[Prop], found: &mut Vec<(Vec<Prop>, Field)>) {
    for field in &object.fields {
        found.push((at.to_vec(), field.clone()));
        let mut here = at.to_vec();
        here.push(Prop::Map(field.name.into()));
        let mut shape = &field.shape;
        loop {
            match shape {
                Shape::Optional(inner) => shape = inner,
                Shape::List(inner) => {
                    here.push(Prop::Seq(0));
                    shape = inner;
                }
                Shape::Object(inner) => {
                    fields_within(inner, &here, found);
                    break;
                }
                _ => break,
            }
        }
    }
}

fn describe_path(at: &[Prop], field: &str) -> String {
    let mut path = String::new();
    for prop in at {
        match prop {
            Prop::Map(key) => path.push_str(&format!(".{key}")),
            Prop::Seq(index) => path.push_str(&format!("[{index}]")),
        }
    }
    format!("{path}.{field}")
}

#[test]
fn exactly_the_optional_fields_may_be_absent_or_null() {
    let mut checked = 0;
    for (kind, mut doc) in full_documents() {
        let saved = doc.save();
        let mut fields = Vec::new();
        fields_within(&record_type(kind), &[], &mut fields);
        for (at, field) in fields {
            let optional = matches!(field.shape, Shape::Optional(_));
            for null in [false, true] {
                let mut copy = load_document(&saved).unwrap();
                let mut obj = ROOT;
                for prop in &at {
                    obj = copy.get(&obj, prop.clone()).unwrap().unwrap().1;
                }
                if null {
                    copy.put(&obj, field.name, ScalarValue::Null).unwrap();
                } else {
                    copy.delete(&obj, field.name).unwrap();
                }
                let read = Record::from_doc(&copy);
                assert_eq!(
                    read.is_ok(),
                    optional,
                    "{kind}{} {}: the Rust side {} it, the TypeScript says {}",
                    describe_path(&at, field.name),
                    if null { "set to null" } else { "absent" },
                    if read.is_ok() { "reads" } else { "refuses" },
                    if optional {
                        "`?: T | null`"
                    } else {
                        "required"
                    },
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "only {checked} cases");
}
