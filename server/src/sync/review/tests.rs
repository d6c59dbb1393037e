use std::collections::HashMap;

use automerge::transaction::Transactable;
use automerge::{Automerge, ROOT};
use duyan_shared::records::{DubanStatus, Record, new_document};
use duyan_shared::rules::Role;
use duyan_shared::samples::{duban_item, progress, research_record, shanghai};

use super::*;

/// Users of the samples: u-li supervises, u-zhang handles (unit-plant-2), u-wang leads,
/// u-chen and u-zhao research, u-view views in unit-plant-2, u-other handles elsewhere.
pub(crate) struct Table {
    people: HashMap<&'static str, Person>,
    /// unit -> parent
    parents: HashMap<&'static str, &'static str>,
}

impl Table {
    pub(crate) fn sample() -> Self {
        let person = |roles: &[Role], unit: Option<&str>| Person {
            roles: roles.to_vec(),
            unit: unit.map(str::to_owned),
        };
        Self {
            people: HashMap::from([
                ("u-li", person(&[Role::Supervisor], Some("unit-office"))),
                ("u-zhang", person(&[Role::Handler], Some("unit-plant-2"))),
                ("u-wang", person(&[Role::Leader], None)),
                ("u-chen", person(&[Role::Researcher], Some("unit-office"))),
                ("u-zhao", person(&[Role::Researcher], Some("unit-office"))),
                ("u-view", person(&[Role::Viewer], Some("unit-plant-2"))),
                ("u-head", person(&[Role::Viewer], Some("unit-refinery"))),
                ("u-other", person(&[Role::Handler], Some("unit-plant-9"))),
                ("u-admin", person(&[Role::Admin], None)),
            ]),
            parents: HashMap::from([
                ("unit-plant-2", "unit-refinery"),
                ("unit-plant-9", "unit-refinery"),
            ]),
        }
    }
}

impl People for Table {
    fn person(&self, user_id: &str) -> Option<Person> {
        self.people.get(user_id).cloned()
    }

    fn unit_within(&self, unit: &str, ancestor: &str) -> bool {
        let mut current = Some(unit);
        while let Some(u) = current {
            if u == ancestor {
                return true;
            }
            current = self.parents.get(u).copied();
        }
        false
    }

    fn subtree(&self, unit: &str) -> Vec<String> {
        let mut units: Vec<String> = self
            .parents
            .keys()
            .filter(|u| self.unit_within(u, unit))
            .map(|u| (*u).to_owned())
            .collect();
        if !units.iter().any(|u| u == unit) {
            units.push(unit.to_owned());
        }
        units
    }
}

pub(super) fn doc_of(record: &Record) -> Automerge {
    let mut doc = new_document();
    record.write_to(&mut doc).unwrap();
    doc.document().clone()
}

/// Reviews `after_doc` as written by `user` on top of `before`.
pub(super) fn check(table: &Table, user: &str, before: &View, after_doc: &Automerge) -> Verdict {
    review(
        table,
        user,
        &DOC,
        before,
        &View::of(after_doc, None),
        after_doc,
    )
}

/// The document every review here is of.
const DOC: DocumentId = DocumentId::from_bytes([7; 16]);

pub(super) fn view(record: Record) -> View {
    View {
        owner: None,
        content: Content::Record(record),
    }
}

#[test]
fn who_reads_a_duban_item() {
    let table = Table::sample();
    let item = view(duban_item().into());
    for reader in ["u-li", "u-zhang", "u-wang", "u-view", "u-head", "u-admin"] {
        assert!(
            may_read(&table, reader, &item.readers()),
            "{reader} should read"
        );
    }
    for outsider in ["u-other", "u-chen", "nobody"] {
        assert!(
            !may_read(&table, outsider, &item.readers()),
            "{outsider} should not read"
        );
    }
}

#[test]
fn who_reads_a_research_record_and_an_empty_document() {
    let table = Table::sample();
    let research = view(research_record().into());
    for reader in ["u-chen", "u-zhao", "u-li", "u-wang"] {
        assert!(may_read(&table, reader, &research.readers()), "{reader}");
    }
    assert!(!may_read(&table, "u-zhang", &research.readers()));
    let empty = View {
        owner: Some("u-zhang".into()),
        content: Content::Empty,
    };
    assert!(may_read(&table, "u-zhang", &empty.readers()));
    assert!(may_read(&table, "u-li", &empty.readers()));
    assert!(!may_read(&table, "u-view", &empty.readers()));
}

#[test]
fn a_handlers_forbidden_fields_are_restored_and_the_rest_stands() {
    let table = Table::sample();
    let before = duban_item();
    let mut after = before.clone();
    after.title = "改过的标题".into();
    after.deadline = Some(shanghai(2026, 12, 31, 23, 59));
    after
        .progress
        .push(progress("p2", shanghai(2026, 11, 3, 9, 0)));
    let verdict = check(
        &table,
        "u-zhang",
        &view(before.into()),
        &doc_of(&after.into()),
    );
    let Verdict::Restore { fields, refusals } = verdict else {
        panic!("expected a restore, got {verdict:?}");
    };
    let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(names, ["title", "deadline"]);
    assert!(refusals.iter().all(|r| r.code == "not_permitted"));
}

/// The mode that removes the new entry `id` and puts back nothing else.
fn removed(id: &str) -> Mode {
    Mode::Entries([(id.to_owned(), EntryFix::Remove)].into())
}

#[test]
fn nobody_adds_entries_in_anothers_name() {
    let table = Table::sample();
    let before = duban_item();
    let mut after = before.clone();
    let mut forged = progress("p2", shanghai(2026, 11, 3, 9, 0));
    forged.by = "u-li".into();
    after.progress.push(forged);
    let verdict = check(
        &table,
        "u-zhang",
        &view(before.clone().into()),
        &doc_of(&after.clone().into()),
    );
    assert!(
        matches!(&verdict, Verdict::Restore { fields, refusals }
            if fields == &[("progress".to_owned(), removed("p2"))] && refusals[0].code == "forged_author"),
        "{verdict:?}"
    );
    // In one's own name it is fine.
    after.progress.last_mut().unwrap().by = "u-zhang".into();
    assert_eq!(
        check(
            &table,
            "u-zhang",
            &view(before.into()),
            &doc_of(&after.into())
        ),
        Verdict::Accept
    );
}

#[test]
fn a_viewer_may_change_nothing() {
    let table = Table::sample();
    let before = duban_item();
    let mut after = before.clone();
    after
        .progress
        .push(progress("p2", shanghai(2026, 11, 3, 9, 0)));
    let verdict = check(
        &table,
        "u-view",
        &view(before.into()),
        &doc_of(&after.into()),
    );
    assert!(
        matches!(&verdict, Verdict::Restore { fields, .. } if fields == &[("progress".to_owned(), removed("p2"))]),
        "{verdict:?}"
    );
}

#[test]
fn a_handler_may_request_closing_but_not_close() {
    let table = Table::sample();
    let before = duban_item();
    let mut requested = before.clone();
    requested.status = DubanStatus::ClosingRequested;
    assert_eq!(
        check(
            &table,
            "u-zhang",
            &view(before.clone().into()),
            &doc_of(&requested.into())
        ),
        Verdict::Accept
    );
    let mut closed = before.clone();
    closed.status = DubanStatus::Closed;
    let verdict = check(
        &table,
        "u-zhang",
        &view(before.into()),
        &doc_of(&closed.into()),
    );
    assert!(
        matches!(&verdict, Verdict::Restore { refusals, .. } if refusals[0].code == "transition"),
        "{verdict:?}"
    );
}

#[test]
fn creation_needs_a_role_that_creates_and_the_creator_named() {
    let table = Table::sample();
    let absent = View {
        owner: None,
        content: Content::Absent,
    };
    let mut fresh = duban_item();
    fresh.progress.clear();
    fresh.instructions.clear();
    let item: Record = fresh.clone().into();
    assert_eq!(
        check(&table, "u-li", &absent, &doc_of(&item)),
        Verdict::Accept
    );
    // Nor with entries in others' names: the sample holds u-zhang's report and u-wang's 批示.
    let verdict = check(&table, "u-li", &absent, &doc_of(&duban_item().into()));
    assert!(
        matches!(&verdict, Verdict::RestoreAll { refusals } if refusals[0].code == "forged_author"),
        "{verdict:?}"
    );
    // A handler cannot create items, and no one can create in another's name.
    let mut by_handler = duban_item();
    by_handler.created_by = "u-zhang".into();
    assert!(matches!(
        check(&table, "u-zhang", &absent, &doc_of(&by_handler.into())),
        Verdict::RestoreAll { refusals } if refusals[0].code == "may_not_create"
    ));
    assert!(matches!(
        check(&table, "u-wang", &absent, &doc_of(&item)),
        Verdict::RestoreAll { refusals } if refusals[0].code == "not_creator"
    ));
    // A researcher may turn a finding into a draft item, not into an assigned one.
    let mut draft = fresh.clone();
    draft.created_by = "u-chen".into();
    draft.status = DubanStatus::Draft;
    assert_eq!(
        check(&table, "u-chen", &absent, &doc_of(&draft.clone().into())),
        Verdict::Accept
    );
    draft.status = DubanStatus::Assigned;
    assert!(matches!(
        check(&table, "u-chen", &absent, &doc_of(&draft.into())),
        Verdict::RestoreAll { .. }
    ));
    // An empty document (automerge-repo's first change) is fine.
    assert_eq!(
        check(&table, "u-zhang", &absent, &Automerge::new()),
        Verdict::Accept
    );
}

#[test]
fn unreadable_results_and_unknown_keys_are_undone() {
    let table = Table::sample();
    let before = view(duban_item().into());
    let mut broken = doc_of(&duban_item().into());
    let mut tx = broken.transaction();
    tx.put(ROOT, "status", 42).unwrap();
    tx.commit();
    assert!(matches!(
        check(&table, "u-li", &before, &broken),
        Verdict::RestoreAll { refusals } if refusals[0].code == "malformed"
    ));

    let mut extra = doc_of(&duban_item().into());
    let mut tx = extra.transaction();
    tx.put(ROOT, "secret_field", "x").unwrap();
    tx.commit();
    assert!(matches!(
        check(&table, "u-li", &before, &extra),
        Verdict::Restore { fields, .. } if fields == [("secret_field".to_owned(), Mode::Whole)]
    ));
}

#[test]
fn unknown_or_disabled_users_change_nothing() {
    let table = Table::sample();
    let before = view(duban_item().into());
    assert!(matches!(
        check(&table, "nobody", &before, &doc_of(&duban_item().into())),
        Verdict::RestoreAll { .. }
    ));
    assert!(!may_read(
        &table,
        "nobody",
        &View {
            owner: None,
            content: Content::Absent
        }
        .readers()
    ));
}

#[test]
fn an_item_is_never_its_own_parent_and_only_readers_of_all_place_new_items() {
    let table = Table::sample();
    let before = duban_item();
    // A supervisor may hang the item under another, not under itself.
    let mut under_other = before.clone();
    under_other.parent = Some(DocumentId::from_bytes([8; 16]));
    assert_eq!(
        check(
            &table,
            "u-li",
            &view(before.clone().into()),
            &doc_of(&under_other.into())
        ),
        Verdict::Accept
    );
    let mut own = before.clone();
    own.parent = Some(DOC);
    let verdict = check(&table, "u-li", &view(before.into()), &doc_of(&own.into()));
    let Verdict::Restore { fields, refusals } = verdict else {
        panic!("expected a restore, got {verdict:?}");
    };
    assert_eq!(fields, [("parent".to_owned(), Mode::Whole)]);
    assert_eq!(refusals[0].code, "own_parent");
    // A researcher's draft may not name a parent: they do not read every record.
    let absent = View {
        owner: None,
        content: Content::Absent,
    };
    let mut draft = duban_item();
    draft.progress.clear();
    draft.instructions.clear();
    draft.created_by = "u-chen".into();
    draft.status = DubanStatus::Draft;
    draft.parent = Some(DocumentId::from_bytes([8; 16]));
    assert!(matches!(
        check(&table, "u-chen", &absent, &doc_of(&draft.into())),
        Verdict::RestoreAll { refusals } if refusals[0].code == "parent_not_readable"
    ));
}
