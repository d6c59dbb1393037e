//! The entry table against the record types, and what it refuses.

use super::check::{
    DUBAN_AUTHORS, DUBAN_FIELDS, MEETING_AUTHORS, MEETING_FIELDS, RESEARCH_AUTHORS, RESEARCH_FIELDS,
};
use super::shape::{EntryShape, Signed};
use super::*;
use crate::records::*;
use crate::samples::{duban_item, photo, research_record, shanghai};

/// Every field and the author fields of the entries of `list` of `kind`.
fn shape_of(kind: RecordKind, list: &str) -> (&'static [&'static str], &'static [&'static str]) {
    fn of<E: EntryShape>() -> (&'static [&'static str], &'static [&'static str]) {
        (E::FIELDS, E::AUTHORS)
    }
    match (kind, list) {
        (RecordKind::Duban, "progress") => of::<Progress>(),
        (RecordKind::Duban, "urges") => of::<Urge>(),
        (RecordKind::Duban, "extension_requests") => of::<ExtensionRequest>(),
        (RecordKind::Duban, "reviews") => of::<Review>(),
        (RecordKind::Duban, "site_checks") => of::<SiteCheck>(),
        (_, "instructions") => of::<Instruction>(),
        (RecordKind::Research, "visits") => of::<Visit>(),
        (RecordKind::Research, "findings") => of::<Finding>(),
        (RecordKind::Research, "suggestions") => of::<Suggestion>(),
        (RecordKind::Meeting, "agenda") => of::<AgendaItem>(),
        (RecordKind::Meeting, "dispositions") => of::<Disposition>(),
        (RecordKind::Meeting, "decisions") => of::<Decision>(),
        other => panic!("no entry type for {other:?}"),
    }
}

fn names_a_person(field: &str) -> bool {
    let last = field.rsplit('.').next().unwrap_or(field);
    last == "by" || last.ends_with("_by")
}

#[test]
fn every_entry_list_has_one_entry_rule_and_no_other_field_has_one() {
    for kind in RecordKind::ALL.iter().copied() {
        let lists: Vec<&str> = FIELD_RULES
            .iter()
            .filter(|r| r.kind == kind && r.access == FieldAccess::Entries)
            .map(|r| r.field)
            .collect();
        let ruled: Vec<&str> = ENTRY_RULES
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.list)
            .collect();
        assert_eq!(lists, ruled, "{kind}");
    }
}

#[test]
fn every_writable_entry_field_exists_and_once_fields_can_be_unset() {
    for rule in ENTRY_RULES {
        let (fields, _) = shape_of(rule.kind, rule.list);
        assert_eq!(fields, entry_fields(rule.kind, rule.list));
        for field in rule.fields {
            assert!(
                fields.contains(&field.field),
                "{}.{}",
                rule.list,
                field.field
            );
            assert!(
                !names_a_person(field.field),
                "an author field is never writable"
            );
            assert_ne!(
                field.field, WITHDRAWN,
                "withdrawing is the author's, not a role's"
            );
        }
        // A meeting's entries are not withdrawn: a later disposition replaces an earlier one,
        // and the agenda is a snapshot.
        assert!(
            rule.kind == RecordKind::Meeting || fields.contains(&WITHDRAWN),
            "{}: every entry can be withdrawn",
            rule.list
        );
    }
    // A once-field must have an unset state: a plain field would always look written.
    let mut extension = duban_item();
    extension.extension_requests.push(request(None));
    assert!(extension.extension_requests[0].is_fresh("decision"));
}

/// The test that fails when a type gains a field naming a person that the forgery walk does
/// not cover: every `by` / `…_by` field of every entry, signed object and record is an author
/// field of the walk.
#[test]
fn every_field_naming_a_person_is_walked() {
    for rule in ENTRY_RULES {
        let (fields, authors) = shape_of(rule.kind, rule.list);
        for field in fields.iter().filter(|f| names_a_person(f)) {
            assert!(
                authors.contains(field),
                "{}.{field} is not walked",
                rule.list
            );
        }
        for author in authors {
            let top = author.split('.').next().unwrap();
            assert!(fields.contains(&top), "{}.{author}", rule.list);
        }
    }
    for fields in [
        <ExtensionDecision as Signed>::FIELDS,
        <Evaluation as Signed>::FIELDS,
        <Withdrawal as Signed>::FIELDS,
        <PhotoRef as Signed>::FIELDS,
    ] {
        // A signed object names one person, in `by`.
        let people: Vec<&&str> = fields.iter().filter(|f| names_a_person(f)).collect();
        assert_eq!(people, [&"by"]);
    }
    for (fields, authors) in [
        (DUBAN_FIELDS, DUBAN_AUTHORS),
        (RESEARCH_FIELDS, RESEARCH_AUTHORS),
        (MEETING_FIELDS, MEETING_AUTHORS),
    ] {
        for field in fields.iter().filter(|f| names_a_person(f)) {
            assert!(authors.contains(field), "{field} is not walked");
        }
    }
}

fn request(decision: Option<ExtensionDecision>) -> ExtensionRequest {
    ExtensionRequest {
        id: "x1".into(),
        at: shanghai(2026, 11, 20, 9, 0),
        by: "u-zhang".into(),
        withdrawn: None,
        new_deadline: shanghai(2026, 12, 15, 23, 59),
        reason: "处置单位年底前才能接收".into(),
        decision,
    }
}

fn decision(by: &str) -> ExtensionDecision {
    ExtensionDecision {
        verdict: ExtensionVerdict::Approved,
        at: shanghai(2026, 11, 20, 15, 0),
        by: by.into(),
        comment: None,
    }
}

/// The entry problems `roles` meet changing an item holding one pending request.
fn on_request(
    roles: &[Role],
    change: impl FnOnce(&mut DubanItem),
) -> Vec<(String, Option<&'static str>, EntryProblem)> {
    let mut before = duban_item();
    before.extension_requests.push(request(None));
    let mut after = before.clone();
    change(&mut after);
    check_change(RecordKind::Duban, roles, &before.into(), &after.into())
        .into_iter()
        .filter_map(|v| match v.problem {
            Problem::Entry { id, part, problem } => Some((id, part, problem)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_office_decides_a_request_once_and_never_rewrites_or_removes_it() {
    use EntryProblem::*;
    let sup = &[Role::Supervisor];
    assert_eq!(
        on_request(sup, |i| i.extension_requests[0].decision =
            Some(decision("u-li"))),
        []
    );
    assert_eq!(
        on_request(sup, |i| i.extension_requests[0].reason = "改写".into()),
        [("x1".into(), Some("reason"), NotWritable)]
    );
    assert_eq!(
        on_request(sup, |i| i.extension_requests.clear()),
        [("x1".into(), None, Removed)]
    );
    // The handler who filed it may not decide it.
    assert_eq!(
        on_request(&[Role::Handler], |i| i.extension_requests[0].decision =
            Some(decision("u-zhang"))),
        [("x1".into(), Some("decision"), NotWritable)]
    );
    // Filed by a handler only, and never already decided.
    let mut second = request(None);
    second.id = "x2".into();
    assert_eq!(
        on_request(&[Role::Supervisor, Role::Leader], |i| i
            .extension_requests
            .push(second.clone())),
        [("x2".into(), None, MayNotAppend)]
    );
    second.decision = Some(decision("u-zhang"));
    assert_eq!(
        on_request(&[Role::Handler], |i| i
            .extension_requests
            .push(second.clone())),
        [("x2".into(), Some("decision"), Prefilled)]
    );
    // A decision taken is not taken again.
    let mut before = duban_item();
    before
        .extension_requests
        .push(request(Some(decision("u-li"))));
    let mut after = before.clone();
    after.extension_requests[0].decision = Some(ExtensionDecision {
        verdict: ExtensionVerdict::Rejected,
        ..decision("u-li")
    });
    let violations = check_change(RecordKind::Duban, sup, &before.into(), &after.into());
    assert!(matches!(
        violations[..],
        [Violation {
            problem: Problem::Entry {
                problem: AlreadySet,
                ..
            },
            ..
        }]
    ));
}

fn withdrawal(by: &str) -> Withdrawal {
    Withdrawal {
        at: shanghai(2026, 11, 21, 9, 0),
        by: by.into(),
        reason: Some("填错了".into()),
    }
}

#[test]
fn only_the_author_withdraws_an_entry_and_only_once() {
    use EntryProblem::*;
    let handler = &[Role::Handler];
    assert_eq!(
        on_request(handler, |i| i.extension_requests[0].withdrawn =
            Some(withdrawal("u-zhang"))),
        []
    );
    assert_eq!(
        on_request(&[Role::Supervisor], |i| i.extension_requests[0].withdrawn =
            Some(withdrawal("u-li"))),
        [("x1".into(), Some("withdrawn"), NotAuthor)]
    );
    let mut before = duban_item();
    before.progress[0].withdrawn = Some(withdrawal("u-zhang"));
    let mut after = before.clone();
    after.progress[0].withdrawn = None;
    let violations = check_change(RecordKind::Duban, handler, &before.into(), &after.into());
    assert!(matches!(
        violations[..],
        [Violation {
            problem: Problem::Entry {
                problem: AlreadySet,
                ..
            },
            ..
        }]
    ));
}

#[test]
fn research_members_share_visit_notes_but_not_each_others_findings() {
    use EntryProblem::*;
    let before = research_record();
    let zhao = roles_on(&before.clone().into(), "u-zhao", None, &[Role::Researcher]);
    let mut after = before.clone();
    after.visits[0].notes.update("补充：班长称已整改。");
    after.findings[0].text = "改写别人的发现".into();
    let violations = check_change(RecordKind::Research, &zhao, &before.into(), &after.into());
    assert_eq!(
        violations,
        [Violation {
            field: "findings",
            problem: Problem::Entry {
                id: "f1".into(),
                part: Some("text"),
                problem: NotWritable
            },
        }]
    );
}

#[test]
fn nobody_writes_in_anothers_name_anywhere_in_a_record() {
    let before = duban_item();
    let check = |change: &dyn Fn(&mut DubanItem)| {
        let mut after = before.clone();
        change(&mut after);
        forged_authors(Some(&before.clone().into()), &after.into(), "u-li")
            .into_iter()
            .map(|f| (f.field, f.path))
            .collect::<Vec<_>>()
    };
    // A supervisor's evaluation in a leader's name; the leader's evaluation re-scored.
    let evaluation = |by: &str| Evaluation {
        at: shanghai(2026, 11, 25, 9, 0),
        by: by.into(),
        score: 55,
        rating: Rating::Adequate,
        comment: "一般".into(),
    };
    assert_eq!(
        check(&|i| i.evaluation = Some(evaluation("u-leader"))),
        [("evaluation", "evaluation.by")]
    );
    assert_eq!(check(&|i| i.evaluation = Some(evaluation("u-li"))), []);
    // A decision in another's name, a photo added as someone else's, an entry in another's name.
    assert_eq!(
        check(&|i| i
            .extension_requests
            .push(request(Some(decision("u-leader"))))),
        [
            ("extension_requests", "by"),
            ("extension_requests", "decision.by")
        ]
    );
    let mut mine = crate::samples::progress("p2", shanghai(2026, 11, 8, 10, 0));
    mine.by = "u-li".into();
    mine.photos = vec![photo('c')];
    assert_eq!(
        check(&|i| i.progress.push(mine.clone())),
        [("progress", "photos.by")]
    );
    // Changing who created it is writing `created_by`.
    assert_eq!(
        check(&|i| i.created_by = "u-leader".into()),
        [("created_by", "created_by")]
    );
    // Existing entries in others' names, untouched, are not the change's doing.
    assert_eq!(check(&|i| i.title = "新标题".into()), []);

    let mut with_evaluation = duban_item();
    with_evaluation.evaluation = Some(evaluation("u-leader"));
    let mut rescored = with_evaluation.clone();
    rescored.evaluation.as_mut().unwrap().score = 95;
    let forged = forged_authors(Some(&with_evaluation.into()), &rescored.into(), "u-li");
    assert_eq!(
        forged.len(),
        1,
        "re-scoring a leader's evaluation keeps it in the leader's name"
    );
}
