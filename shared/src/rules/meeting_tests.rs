//! 会议: its status machine, who may change what, which disposition counts, what applying one
//! does, and offline merging.

use automerge::ActorId;

use super::*;
use crate::records::{
    Decision, Disposition, DispositionKind, DubanStatus, Meeting, MeetingStatus, Record, Urgency,
    Verdict, apply_disposition, new_document,
};
use crate::samples::{duban_item, meeting, shanghai};

fn disposition(id: &str, kind: DispositionKind, at_minute: u32) -> Disposition {
    Disposition {
        id: id.into(),
        at: shanghai(2026, 11, 20, 9, at_minute),
        by: "u-li".into(),
        agenda_id: "a1".into(),
        kind,
        new_deadline: None,
        note: None,
    }
}

fn check(roles: &[Role], before: &Meeting, change: impl FnOnce(&mut Meeting)) -> Vec<Violation> {
    let mut after = before.clone();
    change(&mut after);
    check_change(
        RecordKind::Meeting,
        roles,
        &before.clone().into(),
        &after.into(),
    )
}

fn fields(violations: &[Violation]) -> Vec<&'static str> {
    violations.iter().map(|v| v.field).collect()
}

#[test]
fn the_office_opens_and_closes_a_meeting_and_nobody_reopens_it() {
    let mut draft = meeting();
    draft.status = MeetingStatus::Draft;
    let open = |m: &mut Meeting| m.status = MeetingStatus::Open;
    assert!(check(&[Role::Supervisor], &draft, open).is_empty());
    assert!(check(&[Role::Leader], &draft, open).is_empty());
    assert_eq!(fields(&check(&[Role::Handler], &draft, open)), ["status"]);
    let opened = meeting();
    let close = |m: &mut Meeting| m.status = MeetingStatus::Closed;
    assert!(check(&[Role::Supervisor], &opened, close).is_empty());
    assert_eq!(fields(&check(&[Role::Viewer], &opened, close)), ["status"]);
    let mut closed = meeting();
    closed.status = MeetingStatus::Closed;
    let reopen = |m: &mut Meeting| m.status = MeetingStatus::Open;
    assert_eq!(
        fields(&check(&[Role::Supervisor], &closed, reopen)),
        ["status"]
    );
    // Draft straight to closed skips the agenda: not a move.
    assert_eq!(
        fields(&check(&[Role::Supervisor], &draft, close)),
        ["status"]
    );
}

#[test]
fn the_agenda_snapshot_is_kept_as_it_was_even_against_the_office() {
    let before = meeting();
    let violations = check(&[Role::Supervisor, Role::Leader], &before, |m| {
        m.agenda[0].light = Some("green".into());
    });
    assert_eq!(
        violations[0].problem,
        Problem::Entry {
            id: "a1".into(),
            part: Some("light"),
            problem: EntryProblem::NotWritable,
        }
    );
    // Appending another snapshot is the office's.
    let mut second = before.agenda[0].clone();
    second.id = "a2".into();
    assert!(
        check(&[Role::Supervisor], &before, |m| m
            .agenda
            .push(second.clone()))
        .is_empty()
    );
    assert_eq!(
        fields(&check(&[Role::Leader], &before, |m| m.agenda.push(second))),
        ["agenda"]
    );
}

#[test]
fn dispositions_are_appended_by_office_and_leaders_and_never_edited() {
    let mut before = meeting();
    let first = disposition("d1", DispositionKind::Continue, 10);
    assert!(
        check(&[Role::Leader], &before, |m| m
            .dispositions
            .push(first.clone()))
        .is_empty()
    );
    // An attending handler may read the meeting, not dispose of items.
    assert_eq!(
        fields(&check(&[Role::Handler], &before, |m| m
            .dispositions
            .push(first.clone()))),
        ["dispositions"]
    );
    before.dispositions.push(first);
    let edited = check(&[Role::Supervisor], &before, |m| {
        m.dispositions[0].kind = DispositionKind::Close;
    });
    assert!(matches!(
        edited[0].problem,
        Problem::Entry {
            problem: EntryProblem::NotWritable,
            ..
        }
    ));
}

#[test]
fn the_office_links_a_decision_to_its_item_and_nobody_writes_applied_marks() {
    let mut before = meeting();
    before.decisions.push(Decision {
        id: "c1".into(),
        at: shanghai(2026, 11, 20, 9, 30),
        by: "u-wang".into(),
        text: "各单位本周内完成阀井排查".into(),
        owner_unit: Some("unit-plant2".into()),
        due: Some(shanghai(2026, 11, 27, 18, 0)),
        duban_ref: None,
    });
    let link = |m: &mut Meeting| {
        m.decisions[0].duban_ref = Some("3UCRm6WocHEqn6jZE8wJ8wD8ZfQy".parse().unwrap());
    };
    assert!(check(&[Role::Supervisor], &before, link).is_empty());
    assert_eq!(
        fields(&check(&[Role::Leader], &before, link)),
        ["decisions"]
    );
    let mark = |m: &mut Meeting| {
        m.applied.push(crate::records::Applied {
            id: "a1".into(),
            at: shanghai(2026, 11, 20, 10, 0),
            by: "u-wang".into(),
            disposition_id: "d1".into(),
            record: m.agenda[0].record,
        });
    };
    for role in Role::ALL {
        assert_eq!(
            fields(&check(&[*role], &before, mark)),
            ["applied"],
            "{role}"
        );
    }
}

#[test]
fn entries_name_their_author() {
    let before: Record = meeting().into();
    let mut after = meeting();
    after
        .dispositions
        .push(disposition("d1", DispositionKind::Close, 10));
    let forged = forged_authors(Some(&before), &after.clone().into(), "u-wang");
    let fields: Vec<_> = forged.iter().map(|f| (f.field, f.path)).collect();
    assert_eq!(fields, [("dispositions", "by")]);
    assert!(forged_authors(Some(&before), &after.into(), "u-li").is_empty());
}

#[test]
fn the_latest_disposition_counts_and_only_closed_meetings_have_pending_ones() {
    let mut m = meeting();
    m.dispositions = vec![
        disposition("d2", DispositionKind::Escalate, 20),
        disposition("d1", DispositionKind::Close, 10),
        // Same minute as d2: the larger id wins, the same on every replica.
        disposition("d3", DispositionKind::Continue, 20),
    ];
    assert_eq!(m.effective_disposition("a1").unwrap().id, "d3");
    assert!(m.effective_disposition("a9").is_none());
    assert!(
        m.pending_dispositions().is_empty(),
        "open: nothing applies yet"
    );
    m.status = MeetingStatus::Closed;
    let pending = m.pending_dispositions();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (pending[0].0.id.as_str(), pending[0].1.id.as_str()),
        ("a1", "d3")
    );
    m.applied.push(crate::records::Applied {
        id: "a1".into(),
        at: shanghai(2026, 11, 20, 10, 0),
        by: "u-wang".into(),
        disposition_id: "d3".into(),
        record: m.agenda[0].record,
    });
    assert!(m.pending_dispositions().is_empty(), "applied once only");
}

#[test]
fn applying_a_disposition_changes_the_item_once() {
    let now = shanghai(2026, 11, 20, 10, 0);
    let title = "第47周督办周会";
    let mut item = duban_item();
    let cont = disposition("d0", DispositionKind::Continue, 5);
    assert!(!apply_disposition(&mut item, &cont, title, "u-wang", now));

    let mut reschedule = disposition("d1", DispositionKind::Reschedule, 10);
    reschedule.new_deadline = Some(shanghai(2026, 12, 15, 18, 0));
    assert!(apply_disposition(
        &mut item,
        &reschedule,
        title,
        "u-wang",
        now
    ));
    assert_eq!(item.deadline, Some(shanghai(2026, 12, 15, 18, 0)));
    assert!(!apply_disposition(
        &mut item,
        &reschedule,
        title,
        "u-wang",
        now
    ));

    item.urgency = Urgency::Normal;
    let escalate = disposition("d2", DispositionKind::Escalate, 15);
    assert!(apply_disposition(
        &mut item, &escalate, title, "u-wang", now
    ));
    assert_eq!((item.urgency, item.is_major), (Urgency::Urgent, true));

    let mut close = disposition("d3", DispositionKind::Close, 20);
    close.note = Some("已完成清运".into());
    assert!(apply_disposition(&mut item, &close, title, "u-wang", now));
    assert_eq!(item.status, DubanStatus::Closed);
    let review = item.reviews.last().unwrap();
    assert_eq!(
        (review.by.as_str(), review.verdict, review.opinion.as_str()),
        ("u-wang", Verdict::Pass, "第47周督办周会销号：已完成清运")
    );
    assert_eq!(crate::derived::closed_at(&item), Some(now));
    assert!(!apply_disposition(&mut item, &close, title, "u-wang", now));
    assert_eq!(item.reviews.len(), 1);
}

#[test]
fn two_offline_phones_mark_dispositions_and_decisions_and_both_survive() {
    let mut base = new_document();
    Record::from(meeting()).write_to(&mut base).unwrap();
    let mut phone_a = base.fork().with_actor(ActorId::random());
    let mut phone_b = base.fork().with_actor(ActorId::random());
    let read = |doc: &automerge::AutoCommit| match Record::from_doc(doc).unwrap() {
        Record::Meeting(m) => m,
        other => panic!("not a meeting: {other:?}"),
    };
    let mut a = read(&phone_a);
    a.dispositions
        .push(disposition("da", DispositionKind::Close, 10));
    Record::from(a).write_to(&mut phone_a).unwrap();
    let mut b = read(&phone_b);
    b.dispositions
        .push(disposition("db", DispositionKind::Escalate, 12));
    b.decisions.push(Decision {
        id: "c1".into(),
        at: shanghai(2026, 11, 20, 9, 40),
        by: "u-li".into(),
        text: "下周复查".into(),
        owner_unit: None,
        due: None,
        duban_ref: None,
    });
    b.status = MeetingStatus::Closed;
    Record::from(b).write_to(&mut phone_b).unwrap();
    phone_a.merge(&mut phone_b).unwrap();
    phone_b.merge(&mut phone_a).unwrap();
    let (ma, mb) = (read(&phone_a), read(&phone_b));
    assert_eq!(ma, mb);
    let ids: Vec<&str> = ma.dispositions.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&"da") && ids.contains(&"db"));
    assert_eq!(ma.decisions.len(), 1);
    assert_eq!(ma.effective_disposition("a1").unwrap().id, "db");
    assert_eq!(ma.agenda, meeting().agenda, "the snapshot is untouched");
}
