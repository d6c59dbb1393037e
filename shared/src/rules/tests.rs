use std::collections::BTreeSet;

use super::check::{DUBAN_FIELDS, MEETING_FIELDS, RESEARCH_FIELDS};
use super::*;
use crate::records::{DubanStatus, Record, ResearchStatus};
use crate::samples::{duban_item, progress, research_record, shanghai};

/// The expected table, written out independently of `TRANSITIONS`: (from, to, roles).
fn expected(kind: RecordKind) -> Vec<(Status, Status, Vec<Role>)> {
    use crate::records::MeetingStatus as M;
    use DubanStatus as D;
    use ResearchStatus as R;
    use Role::*;
    let d = |from: D, to: D, roles: &[Role]| (from.into(), to.into(), roles.to_vec());
    let r = |from: R, to: R, roles: &[Role]| (from.into(), to.into(), roles.to_vec());
    let m = |from: M, to: M, roles: &[Role]| (from.into(), to.into(), roles.to_vec());
    match kind {
        RecordKind::Duban => vec![
            d(D::Draft, D::Assigned, &[Supervisor]),
            d(D::Assigned, D::InProgress, &[Handler, Supervisor]),
            d(D::InProgress, D::ClosingRequested, &[Handler]),
            d(D::ClosingRequested, D::Closed, &[Supervisor, Leader]),
            d(D::ClosingRequested, D::InProgress, &[Supervisor, Leader]),
            d(D::Closed, D::Evaluated, &[Supervisor, Leader]),
            d(D::Assigned, D::Suspended, &[Supervisor]),
            d(D::InProgress, D::Suspended, &[Supervisor]),
            d(D::ClosingRequested, D::Suspended, &[Supervisor]),
            d(D::Suspended, D::Assigned, &[Supervisor]),
            d(D::Suspended, D::InProgress, &[Supervisor]),
            d(D::Suspended, D::ClosingRequested, &[Supervisor]),
        ],
        RecordKind::Research => vec![
            r(R::Proposed, R::Approved, &[Leader, Supervisor]),
            r(R::Approved, R::Fieldwork, &[Researcher]),
            r(R::Fieldwork, R::Drafting, &[Researcher]),
            r(R::Drafting, R::Submitted, &[Researcher]),
            r(R::Submitted, R::Adopted, &[Leader]),
            r(R::Submitted, R::Archived, &[Leader]),
            r(R::Submitted, R::Drafting, &[Leader]),
        ],
        RecordKind::Meeting => vec![
            m(M::Draft, M::Open, &[Supervisor, Leader]),
            m(M::Open, M::Closed, &[Supervisor, Leader]),
        ],
    }
}

#[test]
fn every_kind_from_to_role_combination_is_decided_by_the_table() {
    let mut checked = 0;
    for kind in RecordKind::ALL.iter().copied() {
        let table = expected(kind);
        // Statuses of both kinds, so cross-kind moves are covered too.
        let statuses: Vec<Status> = RecordKind::ALL
            .iter()
            .flat_map(|k| Status::all(*k))
            .collect();
        for &from in &statuses {
            for &to in &statuses {
                for &role in Role::ALL {
                    let allowed = table
                        .iter()
                        .any(|(f, t, roles)| *f == from && *t == to && roles.contains(&role));
                    assert_eq!(
                        transition_allowed(kind, from, to, &[role]),
                        allowed,
                        "{kind}: {from} -> {to} by {role}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 3 * 17 * 17 * 6);
}

#[test]
fn the_listing_is_the_table() {
    for kind in RecordKind::ALL.iter().copied() {
        let listed: Vec<_> = transitions(kind)
            .map(|t| (t.from, t.to, t.roles.to_vec()))
            .collect();
        assert_eq!(listed, expected(kind));
        assert!(transitions(kind).all(|t| t.to.kind() == kind && !t.action.is_empty()));
    }
}

#[test]
fn several_roles_allow_what_any_of_them_allows_and_no_roles_allow_nothing() {
    let from = Status::Duban(DubanStatus::InProgress);
    let to = Status::Duban(DubanStatus::ClosingRequested);
    assert!(transition_allowed(
        RecordKind::Duban,
        from,
        to,
        &[Role::Viewer, Role::Handler]
    ));
    assert!(!transition_allowed(RecordKind::Duban, from, to, &[]));
}

#[test]
fn every_field_has_exactly_one_rule() {
    for (kind, fields) in [
        (RecordKind::Duban, DUBAN_FIELDS),
        (RecordKind::Research, RESEARCH_FIELDS),
        (RecordKind::Meeting, MEETING_FIELDS),
    ] {
        let ruled: Vec<&str> = FIELD_RULES
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.field)
            .collect();
        let unique: BTreeSet<&str> = ruled.iter().copied().collect();
        assert_eq!(unique.len(), ruled.len(), "{kind}: a field has two rules");
        assert_eq!(unique, fields.iter().copied().collect(), "{kind}");
    }
}

fn handler_check(change: impl FnOnce(&mut crate::records::DubanItem)) -> Vec<Violation> {
    let before = duban_item();
    let mut after = before.clone();
    change(&mut after);
    check_change(
        RecordKind::Duban,
        &[Role::Handler],
        &before.into(),
        &after.into(),
    )
}

#[test]
fn a_handler_changing_the_deadline_or_title_is_named() {
    let violations = handler_check(|item| {
        item.deadline = Some(shanghai(2026, 12, 31, 23, 59));
        item.title = "改个标题".into();
    });
    let fields: Vec<&str> = violations.iter().map(|v| v.field).collect();
    assert_eq!(fields, ["title", "deadline"]);
    assert!(
        violations
            .iter()
            .all(|v| v.problem == Problem::NotPermitted)
    );
    assert_eq!(
        violations[1].to_string(),
        "`deadline` may not be changed with these roles"
    );
}

#[test]
fn a_handler_appending_progress_or_requesting_closing_is_fine() {
    let violations = handler_check(|item| {
        item.progress
            .push(progress("p2", shanghai(2026, 11, 8, 10, 0)));
        item.status = DubanStatus::ClosingRequested;
    });
    assert_eq!(violations, []);
}

#[test]
fn a_handler_may_not_rewrite_or_delete_a_progress_entry() {
    let violations = handler_check(|item| {
        item.progress[0].text = "改写历史".into();
        item.progress
            .push(progress("p2", shanghai(2026, 11, 8, 10, 0)));
    });
    assert_eq!(
        violations,
        [Violation {
            field: "progress",
            problem: Problem::Entry {
                id: "p1".into(),
                part: Some("text"),
                problem: EntryProblem::NotWritable,
            },
        }]
    );
    let violations = handler_check(|item| item.progress.clear());
    assert_eq!(violations[0].field, "progress");
    assert!(matches!(
        violations[0].problem,
        Problem::Entry {
            problem: EntryProblem::Removed,
            ..
        }
    ));
}

#[test]
fn a_handler_may_not_close_or_evaluate() {
    let violations = handler_check(|item| item.status = DubanStatus::Closed);
    assert_eq!(
        violations,
        [Violation {
            field: "status",
            problem: Problem::Transition {
                from: DubanStatus::InProgress.into(),
                to: DubanStatus::Closed.into(),
            },
        }]
    );
}

#[test]
fn an_extension_is_requested_by_the_handler_and_decided_by_the_supervisor() {
    use crate::records::{ExtensionDecision, ExtensionRequest, ExtensionVerdict};
    let new_deadline = shanghai(2026, 12, 15, 23, 59);
    let request = || ExtensionRequest {
        id: "x1".into(),
        at: shanghai(2026, 11, 20, 9, 0),
        by: "u-zhang".into(),
        withdrawn: None,
        new_deadline,
        reason: "处置单位年底前才能接收".into(),
        decision: None,
    };
    let requested = handler_check(|item| item.extension_requests.push(request()));
    assert_eq!(requested, []);

    let mut before = duban_item();
    before.extension_requests.push(request());
    let mut after = before.clone();
    after.extension_requests[0].decision = Some(ExtensionDecision {
        verdict: ExtensionVerdict::Approved,
        at: shanghai(2026, 11, 20, 15, 0),
        by: "u-li".into(),
        comment: None,
    });
    after.deadline = Some(new_deadline);
    let (before, after) = (Record::from(before), Record::from(after));
    assert_eq!(
        check_change(RecordKind::Duban, &[Role::Supervisor], &before, &after),
        []
    );
    // The handler can neither decide their own request nor move the deadline.
    let fields: Vec<&str> = check_change(RecordKind::Duban, &[Role::Handler], &before, &after)
        .iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(fields, ["deadline", "extension_requests"]);
}

#[test]
fn nobody_may_change_who_created_a_record() {
    let before = research_record();
    let mut after = before.clone();
    after.created_by = "u-other".into();
    let violations = check_change(
        RecordKind::Research,
        Role::ALL,
        &before.into(),
        &after.into(),
    );
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].field, "created_by");
}

#[test]
fn a_record_of_the_wrong_kind_is_refused() {
    let violations = check_change(
        RecordKind::Duban,
        Role::ALL,
        &duban_item().into(),
        &research_record().into(),
    );
    assert_eq!(violations[0].field, "type");
}

#[test]
fn roles_apply_only_on_records_the_user_takes_part_in() {
    let research = Record::from(research_record());
    let all = [Role::Researcher, Role::Leader];
    assert_eq!(roles_on(&research, "u-zhao", None, &all), all);
    assert_eq!(
        roles_on(&research, "u-outsider", None, &all),
        [Role::Leader]
    );

    let item = Record::from(duban_item());
    let handler = [Role::Handler];
    assert_eq!(roles_on(&item, "u-zhang", None, &handler), handler);
    assert_eq!(
        roles_on(&item, "u-x", Some("unit-safety"), &handler),
        handler
    );
    assert_eq!(roles_on(&item, "u-x", Some("unit-other"), &handler), []);
    assert_eq!(roles_on(&research, "u-zhang", None, &handler), []);
}

#[test]
fn a_researcher_outside_the_record_may_not_edit_its_report() {
    let before = research_record();
    let mut after = before.clone();
    after.report.problems.update("改写");
    let record = Record::from(before);
    let roles = roles_on(&record, "u-outsider", None, &[Role::Researcher]);
    let violations = check_change(RecordKind::Research, &roles, &record, &after.into());
    assert_eq!(violations[0].field, "report");
}
