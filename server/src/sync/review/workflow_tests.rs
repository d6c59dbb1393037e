//! The workflow rules the review enforces beyond the tables: 交办 needs a lead unit, a handler
//! and a supervisor; 恢复办理 returns to the status the item was suspended from (read from the
//! document's history).

use duyan_shared::records::{DubanItem, DubanStatus, Record, new_document};
use duyan_shared::samples::duban_item;

use super::tests::{Table, check, doc_of, view};
use super::*;

#[test]
fn a_supervisors_assignment_without_a_handler_is_refused_and_told_why() {
    let table = Table::sample();
    let draft = duban_item_in(DubanStatus::Draft, |item| item.handlers.clear());
    let mut assigned = draft.clone();
    assigned.status = DubanStatus::Assigned;
    let verdict = check(
        &table,
        "u-li",
        &view(draft.into()),
        &doc_of(&assigned.into()),
    );
    let Verdict::Restore { fields, refusals } = &verdict else {
        panic!("{verdict:?}");
    };
    assert_eq!(fields, &[("status".to_owned(), Mode::Whole)]);
    assert_eq!(refusals[0].code, "assign_incomplete");
    assert!(refusals[0].message.contains("handlers"), "{refusals:?}");
}

fn duban_item_in(status: DubanStatus, edit: impl FnOnce(&mut DubanItem)) -> DubanItem {
    let mut item = duban_item();
    item.status = status;
    // Created by u-li, it holds only what u-li wrote (`rules::forged_authors`).
    item.progress.clear();
    item.instructions.clear();
    edit(&mut item);
    item
}

#[test]
fn a_suspended_item_resumes_to_the_status_it_was_suspended_from() {
    let table = Table::sample();
    let mut doc = new_document();
    let mut item = duban_item_in(DubanStatus::ClosingRequested, |_| {});
    let mut write = |doc: &mut automerge::AutoCommit, status| {
        item.status = status;
        Record::Duban(item.clone()).write_to(doc).unwrap();
        doc.commit();
        item.clone()
    };
    write(&mut doc, DubanStatus::ClosingRequested);
    let suspended = write(&mut doc, DubanStatus::Suspended);
    let before = view(suspended.into());
    for (to, accepted) in [
        (DubanStatus::InProgress, false),
        (DubanStatus::Assigned, false),
        (DubanStatus::ClosingRequested, true),
    ] {
        let mut resumed = doc.fork();
        write(&mut resumed, to);
        let verdict = check(&table, "u-li", &before, resumed.document());
        if accepted {
            assert_eq!(verdict, Verdict::Accept, "{to}");
        } else {
            assert!(
                matches!(&verdict, Verdict::Restore { refusals, .. } if refusals[0].code == "resume_elsewhere"),
                "{to}: {verdict:?}"
            );
        }
    }
}

fn absent() -> View {
    View {
        owner: None,
        content: Content::Absent,
    }
}

#[test]
fn an_item_created_assigned_needs_its_handler_too() {
    let table = Table::sample();
    let orphan = duban_item_in(DubanStatus::Assigned, |item| item.supervisors.clear());
    let verdict = check(
        &table,
        "u-li",
        &absent(),
        &doc_of(&Record::Duban(DubanItem {
            created_by: "u-li".into(),
            ..orphan.clone()
        })),
    );
    assert!(
        matches!(&verdict, Verdict::RestoreAll { refusals } if refusals[0].code == "assign_incomplete" && refusals[0].message.contains("supervisors")),
        "{verdict:?}"
    );
    // A draft may lack them; so may an item created further along (its 交办 happened elsewhere).
    for status in [DubanStatus::Draft, DubanStatus::InProgress] {
        let item = DubanItem {
            status,
            created_by: "u-li".into(),
            ..orphan.clone()
        };
        let verdict = check(&table, "u-li", &absent(), &doc_of(&Record::Duban(item)));
        assert_eq!(verdict, Verdict::Accept, "{status}");
    }
}
