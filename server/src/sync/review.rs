//! Who may create and change which record: the sync layer's review of every message.
//!
//! The document task asks [`crate::access::may_read`] before it lets a peer sync a document,
//! and runs [`review`] on the state a peer's sync message produced. Both are pure functions of
//! the record, the users and units ([`People`]) and the person asking, so they are tested
//! without a network or a database.
//!
//! Changing: [`review`] compares the record before and after a message with
//! [`duyan_shared::rules::check_change`] and names what must be put back. The document task
//! then restores those fields with a change of its own (see `restore`): the forbidden values
//! never reach anyone else, and the peer's allowed changes in the same message stand.

use std::collections::BTreeMap;
use std::sync::Arc;

use automerge::ReadDoc;
use duyan_shared::DocumentId;
use duyan_shared::records::{DubanStatus, Record, RecordKind};
use duyan_shared::rules::{self, EntryProblem, Problem, Role};

use super::protocol::PeerId;
use super::restore::{EntryFix, Mode};
use crate::access::{Content, People, Person, View, may_read};

/// Who is on the other end of a session: the signed-in user and the session (device) they
/// signed in with, plus the automerge-repo peer id their client announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub peer_id: PeerId,
    pub user_id: Arc<str>,
    pub session_id: Arc<str>,
}

/// Whether someone holding `roles` may create `record` as `user`.
fn creation_problem(user: &str, roles: &[Role], record: &Record) -> Option<Refusal> {
    let created_by = match record {
        Record::Duban(item) => &item.created_by,
        Record::Research(research) => &research.created_by,
        Record::Meeting(meeting) => &meeting.created_by,
    };
    if created_by != user {
        return Some(Refusal::new(
            "created_by",
            "not_creator",
            "a record must name its creator as `created_by`",
        ));
    }
    let holds = |role| roles.contains(&role);
    let allowed = match record {
        Record::Duban(item) => {
            holds(Role::Supervisor)
                // 成果转化: researchers turn findings into draft items for the office to assign.
                || (holds(Role::Researcher) && item.status == DubanStatus::Draft)
        }
        Record::Research(_) => holds(Role::Researcher),
        // The office prepares meetings (and reads every item it puts on an agenda).
        Record::Meeting(_) => holds(Role::Supervisor),
    };
    if !allowed {
        return Some(Refusal::new(
            "type",
            "may_not_create",
            format!("these roles may not create a {} record", record.kind()),
        ));
    }
    // A new record holds no one else's entries, decisions or photos either.
    if let Some(forgery) = rules::forged_authors(None, record, user).first() {
        return Some(Refusal::new(
            forgery.field,
            "forged_author",
            format!(
                "`{}` in `{}` must name you: nobody writes in another's name",
                forgery.path, forgery.field
            ),
        ));
    }
    // Created assigned is a 交办 too: it needs the people it hands the item to.
    match record {
        Record::Duban(item) if item.status == DubanStatus::Assigned => {
            let missing = rules::missing_for_assignment(item);
            (!missing.is_empty()).then(|| {
                let violation = rules::Violation {
                    field: "status",
                    problem: Problem::AssignIncomplete { missing },
                };
                Refusal::new("status", "assign_incomplete", violation.to_string())
            })
        }
        _ => None,
    }
}

/// Why part of a change was put back, as the author is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The top-level field concerned.
    pub field: String,
    /// A stable code the app can translate: `not_permitted`, `transition`, the entry codes of
    /// [`EntryProblem::code`] (`may_not_append`, `prefilled`, `entry_removed`,
    /// `entries_altered`, `already_set`, `not_author`), `wrong_kind`, `malformed`,
    /// `unknown_field`, `not_creator`, `may_not_create`,
    /// `no_access`, `forged_author`, `foreign_actor`, `own_parent`, `parent_not_readable`,
    /// `assign_incomplete` (交办 without lead unit, handler or supervisor), `resume_elsewhere`.
    pub code: &'static str,
    /// The reason in English, for logs and as a fallback.
    pub message: String,
}

impl Refusal {
    fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// What to do with the state a message produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    /// Put these root fields back; the rest of the change stands.
    Restore {
        fields: Vec<(String, Mode)>,
        refusals: Vec<Refusal>,
    },
    /// Put the whole document back.
    RestoreAll {
        refusals: Vec<Refusal>,
    },
}

/// Root keys every record has besides its fields.
const HEADER_KEYS: [&str; 2] = ["type", "schema_version"];

/// Reviews the state `after` that a message from `user` produced from `before`. `after_doc` is
/// the document `after` was read from.
///
/// Roles are taken on the record as it was *before* the change, so that nobody gains a role by
/// the change being reviewed (a handler adding themselves to `handlers`).
pub fn review(
    people: &dyn People,
    user: &str,
    id: &DocumentId,
    before: &View,
    after: &View,
    after_doc: &automerge::Automerge,
) -> Verdict {
    let verdict = review_record(people, user, before, after, after_doc);
    let verdict = check_resume(verdict, before, after, after_doc);
    match people.person(user) {
        Some(person) => check_parent(verdict, id, &person, before, after),
        None => verdict,
    }
}

/// Adds to `verdict` a 恢复办理 to another status than the one the item was suspended from
/// (`rules::resume_target`, read from the document's history): the status goes back.
fn check_resume(
    verdict: Verdict,
    before: &View,
    after: &View,
    after_doc: &automerge::Automerge,
) -> Verdict {
    let (Content::Record(Record::Duban(old)), Content::Record(Record::Duban(new))) =
        (&before.content, &after.content)
    else {
        return verdict;
    };
    if old.status != DubanStatus::Suspended || new.status == DubanStatus::Suspended {
        return verdict;
    }
    let target = rules::resume_target(rules::suspended_from(after_doc));
    if new.status == target {
        return verdict;
    }
    let refusal = Refusal::new(
        "status",
        "resume_elsewhere",
        format!("a suspended item resumes to the status it was suspended from ({target})"),
    );
    match verdict {
        Verdict::Accept => Verdict::Restore {
            fields: vec![("status".into(), Mode::Whole)],
            refusals: vec![refusal],
        },
        Verdict::Restore {
            mut fields,
            mut refusals,
        } => {
            // A move the table refuses is refused once, as such.
            if !fields.iter().any(|(f, _)| f == "status") {
                fields.push(("status".into(), Mode::Whole));
                refusals.push(refusal);
            }
            Verdict::Restore { fields, refusals }
        }
        all @ Verdict::RestoreAll { .. } => all,
    }
}

/// Adds to `verdict` what is wrong with a new `parent` of a 督办事项: the item itself
/// (`rules::parent_problem`), or, at creation, a parent set by someone who does not read every
/// record. Only supervisors may change `parent` later (`FIELD_RULES`), and they read every
/// record, so nobody hangs an item under one they may not read.
fn check_parent(
    verdict: Verdict,
    id: &DocumentId,
    person: &Person,
    before: &View,
    after: &View,
) -> Verdict {
    let Content::Record(Record::Duban(item)) = &after.content else {
        return verdict;
    };
    let (created, old_parent) = match &before.content {
        Content::Record(Record::Duban(old)) => (false, old.parent),
        _ => (true, None),
    };
    if item.parent.is_none() || item.parent == old_parent {
        return verdict;
    }
    let refusal = match rules::parent_problem(id, item) {
        Some(problem) => Refusal::new("parent", "own_parent", problem.to_string()),
        None if created && !rules::access::reads_everything(&person.roles) => Refusal::new(
            "parent",
            "parent_not_readable",
            "only those who read every record may place a new item under another",
        ),
        None => return verdict,
    };
    match verdict {
        // A new record is refused whole, as `creation_problem` refuses it.
        _ if created => Verdict::RestoreAll {
            refusals: vec![refusal],
        },
        Verdict::Accept => Verdict::Restore {
            fields: vec![("parent".into(), Mode::Whole)],
            refusals: vec![refusal],
        },
        Verdict::Restore {
            mut fields,
            mut refusals,
        } => {
            if !fields.iter().any(|(f, _)| f == "parent") {
                fields.push(("parent".into(), Mode::Whole));
            }
            refusals.push(refusal);
            Verdict::Restore { fields, refusals }
        }
        all @ Verdict::RestoreAll { .. } => all,
    }
}

fn review_record(
    people: &dyn People,
    user: &str,
    before: &View,
    after: &View,
    after_doc: &automerge::Automerge,
) -> Verdict {
    let Some(person) = people.person(user) else {
        return Verdict::RestoreAll {
            refusals: vec![Refusal::new(
                "*",
                "no_access",
                "the account is disabled or unknown",
            )],
        };
    };
    let malformed = |error: &str| Verdict::RestoreAll {
        refusals: vec![Refusal::new(
            "*",
            "malformed",
            format!("the change leaves the document unreadable as a record: {error}"),
        )],
    };
    match (&before.content, &after.content) {
        (_, Content::Absent) => Verdict::Accept,
        (Content::Absent | Content::Empty, Content::Empty) => Verdict::Accept,
        (Content::Absent | Content::Empty, Content::Record(record)) => {
            match creation_problem(user, &person.roles, record) {
                None => Verdict::Accept,
                Some(refusal) => Verdict::RestoreAll {
                    refusals: vec![refusal],
                },
            }
        }
        // Only those who may read a damaged document may repair it, and only into a readable
        // record.
        (Content::Damaged(_), Content::Record(_)) if may_read(people, user, &before.readers()) => {
            Verdict::Accept
        }
        (Content::Damaged(_), Content::Record(_)) => Verdict::RestoreAll {
            refusals: vec![Refusal::new("*", "no_access", "no access to this document")],
        },
        (Content::Record(old), Content::Record(new)) => review_fields(
            user,
            &person,
            old,
            new,
            after_doc.keys(automerge::ROOT).collect(),
        ),
        (_, Content::Damaged(error)) => malformed(error),
        // Emptying a record is a change of every field.
        (Content::Record(_) | Content::Damaged(_), Content::Empty) => malformed("it is empty"),
    }
}

fn review_fields(
    user: &str,
    person: &Person,
    before: &Record,
    after: &Record,
    keys_now: Vec<String>,
) -> Verdict {
    let kind: RecordKind = before.kind();
    let roles = rules::roles_on(before, user, person.unit.as_deref(), &person.roles);
    let violations = rules::check_change(kind, &roles, before, after);
    let mut fields: Vec<(String, Mode)> = Vec::new();
    let mut refusals = Vec::new();
    for violation in violations {
        let (code, mode) = match &violation.problem {
            Problem::NotPermitted => ("not_permitted", Mode::Whole),
            Problem::Entry { id, part, problem } => (
                problem.code(),
                Mode::Entries(entry_fix(id, *part, *problem)),
            ),
            Problem::Transition { .. } => ("transition", Mode::Whole),
            Problem::AssignIncomplete { .. } => ("assign_incomplete", Mode::Whole),
            Problem::WrongKind { .. } => {
                return Verdict::RestoreAll {
                    refusals: vec![Refusal::new("type", "wrong_kind", violation.to_string())],
                };
            }
        };
        put_back(&mut fields, violation.field, mode);
        refusals.push(Refusal::new(violation.field, code, violation.to_string()));
    }
    // Every field naming a person is a trace of who did what: written in another's name, it
    // goes back (a new entry goes, a decision or evaluation is restored), however allowed the
    // rest of the change is.
    for forgery in rules::forged_authors(Some(before), after, user) {
        let mode = match &forgery.entry {
            Some((id, true)) => Mode::Entries([(id.clone(), EntryFix::Remove)].into()),
            Some((id, false)) => {
                let part = forgery.path.split('.').next().unwrap_or(forgery.path);
                Mode::Entries([(id.clone(), EntryFix::Fields([part.to_owned()].into()))].into())
            }
            None => Mode::Whole,
        };
        put_back(&mut fields, forgery.field, mode);
        let place = match &forgery.entry {
            Some((id, _)) => format!("`{}` of entry {id:?} of `{}`", forgery.path, forgery.field),
            None => format!("`{}`", forgery.path),
        };
        refusals.push(Refusal::new(
            forgery.field,
            "forged_author",
            format!("{place} must name you: nobody writes in another's name"),
        ));
    }
    // Keys no record has are not the app's: whatever a message did to them is undone. The
    // document task reports only those it actually had to restore.
    for key in keys_now {
        if rules::field_rule(kind, &key).is_none() && !HEADER_KEYS.contains(&key.as_str()) {
            refusals.push(Refusal::new(
                key.clone(),
                "unknown_field",
                format!("`{key}` is not a field of a {kind} record"),
            ));
            fields.push((key, Mode::Whole));
        }
    }
    if fields.is_empty() {
        Verdict::Accept
    } else {
        Verdict::Restore { fields, refusals }
    }
}

/// What to put back of entry `id` for one problem the entry rules found.
fn entry_fix(
    id: &str,
    part: Option<&'static str>,
    problem: EntryProblem,
) -> BTreeMap<String, EntryFix> {
    let fix = match (problem, part) {
        // New entries that may not stay: honest clients never write them.
        (EntryProblem::MayNotAppend | EntryProblem::Prefilled, _) => EntryFix::Remove,
        (_, Some(part)) => EntryFix::Fields([part.to_owned()].into()),
        (_, None) => EntryFix::Whole,
    };
    [(id.to_owned(), fix)].into()
}

/// Adds `mode` to what is put back of root `field`.
fn put_back(fields: &mut Vec<(String, Mode)>, field: &str, mode: Mode) {
    match fields.iter_mut().find(|(f, _)| f == field) {
        Some((_, old)) => *old = std::mem::replace(old, Mode::Whole).and(mode),
        None => fields.push((field.to_owned(), mode)),
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod workflow_tests;
