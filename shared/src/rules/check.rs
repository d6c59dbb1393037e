//! Checking a change against the tables: what changed, and was it allowed.

use std::collections::HashMap;
use std::fmt;

use super::fields::{FieldAccess, field_rule};
use super::{Role, transition_allowed};
use crate::records::{DubanItem, Entry, Meeting, Record, RecordKind, ResearchRecord, Status};

/// One forbidden part of a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The top-level field concerned (`"status"` for a refused move, `"type"` for a record of
    /// the wrong kind).
    pub field: &'static str,
    /// What was wrong.
    pub problem: Problem,
}

/// What was wrong with a change to a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// None of the actor's roles may change this field.
    NotPermitted,
    /// The actor may only append to this list, but changed or removed these existing entries.
    EntriesAltered {
        /// Ids of the entries changed or removed.
        ids: Vec<String>,
    },
    /// The status move is not in [`super::TRANSITIONS`] for the actor's roles.
    Transition {
        /// Status before the change.
        from: Status,
        /// Status after it.
        to: Status,
    },
    /// 交办 without the people it hands the item to (see [`super::assign`]).
    AssignIncomplete {
        /// The fields still empty: `lead_unit`, `handlers`, `supervisors`.
        missing: Vec<&'static str>,
    },
    /// A record of another kind than the document holds.
    WrongKind {
        /// The kind of the document.
        expected: RecordKind,
        /// The kind found.
        found: RecordKind,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = self.field;
        match &self.problem {
            Problem::NotPermitted => write!(f, "`{field}` may not be changed with these roles"),
            Problem::EntriesAltered { ids } => write!(
                f,
                "entries of `{field}` may only be appended, but {ids:?} were changed or removed"
            ),
            Problem::Transition { from, to } => {
                write!(
                    f,
                    "moving from {from} to {to} is not allowed with these roles"
                )
            }
            Problem::AssignIncomplete { missing } => write!(
                f,
                "交办 requires a lead unit, at least one handler and one supervisor; missing: {}",
                missing.join(", ")
            ),
            Problem::WrongKind { expected, found } => {
                write!(f, "a {found} record cannot replace a {expected} record")
            }
        }
    }
}

impl std::error::Error for Violation {}

/// Compares two states of one record and names each change the actor may not make.
///
/// `roles` are the roles the actor holds *on this record* (see [`roles_on`]). `before` is the
/// state the actor's changes apply to, `after` the state they produce. An empty result means
/// the change is allowed. Status moves are checked against [`super::TRANSITIONS`] and every
/// other field against [`super::FIELD_RULES`].
pub fn check_change(
    kind: RecordKind,
    roles: &[Role],
    before: &Record,
    after: &Record,
) -> Vec<Violation> {
    for record in [before, after] {
        if record.kind() != kind {
            return vec![Violation {
                field: "type",
                problem: Problem::WrongKind {
                    expected: kind,
                    found: record.kind(),
                },
            }];
        }
    }
    let mut violations = Vec::new();
    let (from, to) = (before.status(), after.status());
    if from != to && !transition_allowed(kind, from, to, roles) {
        violations.push(Violation {
            field: "status",
            problem: Problem::Transition { from, to },
        });
    } else if let Some(problem) = super::assign::move_problem(before, after) {
        violations.push(Violation {
            field: "status",
            problem,
        });
    }
    let holds = |allowed: &[Role]| roles.iter().any(|role| allowed.contains(role));
    for FieldChange { field, change } in changes(before, after) {
        let access = field_rule(kind, field).map_or(FieldAccess::Fixed, |rule| rule.access);
        let problem = match (access, change) {
            (FieldAccess::Edit(allowed), _) if holds(allowed) => None,
            (FieldAccess::Entries { edit, .. }, _) if holds(edit) => None,
            (FieldAccess::Entries { append, .. }, Change::Appended) if holds(append) => None,
            (FieldAccess::Entries { append, .. }, Change::Altered { ids }) if holds(append) => {
                Some(Problem::EntriesAltered { ids })
            }
            _ => Some(Problem::NotPermitted),
        };
        violations.extend(problem.map(|problem| Violation { field, problem }));
    }
    violations
}

/// Narrows a user's roles to those they hold on one record.
///
/// A 承办人 acts as handler only on items where they are a handler or their unit is the lead or
/// a co-operating unit; a 调研员 acts as researcher only on records they lead or are a member
/// of. Other roles apply to every record. Pass the state the user's change applies to, so
/// that nobody can grant themselves a role by the very change being checked.
pub fn roles_on(record: &Record, user_id: &str, unit: Option<&str>, roles: &[Role]) -> Vec<Role> {
    let involved = |role: Role| match (role, record) {
        (Role::Handler, Record::Duban(item)) => {
            item.handlers.iter().any(|h| h == user_id)
                || unit.is_some_and(|unit| {
                    item.lead_unit.as_deref() == Some(unit)
                        || item.co_units.iter().any(|c| c == unit)
                })
        }
        (Role::Researcher, Record::Research(research)) => {
            research.lead == user_id || research.members.iter().any(|m| m == user_id)
        }
        (Role::Handler | Role::Researcher, _) => false,
        _ => true,
    };
    roles
        .iter()
        .copied()
        .filter(|role| involved(*role))
        .collect()
}

/// How one top-level field differs between two states.
enum Change {
    /// A scalar, text or nested object differs.
    Replaced,
    /// Entries were added to a list and none of the existing ones changed.
    Appended,
    /// Existing entries of a list were changed or removed.
    Altered { ids: Vec<String> },
}

struct FieldChange {
    field: &'static str,
    change: Change,
}

/// Whether `after` holds an entry not in `before` whose author is not `user`.
fn authored_by_other<E: Entry>(before: &[E], after: &[E], user: &str) -> bool {
    after.iter().any(|entry| {
        entry.author().is_some_and(|by| by != user)
            && !before.iter().any(|old| old.id() == entry.id())
    })
}

fn entries<E: Entry + PartialEq>(before: &[E], after: &[E]) -> Option<Change> {
    if before == after {
        return None;
    }
    let now: HashMap<&str, &E> = after.iter().map(|e| (e.id(), e)).collect();
    let ids: Vec<String> = before
        .iter()
        .filter(|old| now.get(old.id()) != Some(old))
        .map(|old| old.id().to_owned())
        .collect();
    Some(if ids.is_empty() {
        Change::Appended
    } else {
        Change::Altered { ids }
    })
}

/// Defines `$diff`, listing the changed fields of two records of type `$ty`, and (for tests)
/// `$names`, every field of the type. The destructuring pattern names every field without `..`,
/// so adding a field to a record type fails to compile until it is listed here, and a test then
/// requires a rule for it in [`super::FIELD_RULES`].
macro_rules! record_diff {
    ($diff:ident, $forged:ident, $names:ident, $ty:ident,
     values: [$($value:ident),+ $(,)?], entries: [$($list:ident),+ $(,)?], status: $status:ident) => {
        fn $forged(before: &$ty, after: &$ty, user: &str) -> Vec<&'static str> {
            let mut fields = Vec::new();
            $(if authored_by_other(&before.$list, &after.$list, user) {
                fields.push(stringify!($list));
            })+
            fields
        }

        fn $diff(before: &$ty, after: &$ty) -> Vec<FieldChange> {
            let $ty { $($value: _,)+ $($list: _,)+ $status: _ } = before;
            let mut changes = Vec::new();
            $(if before.$value != after.$value {
                changes.push(FieldChange { field: stringify!($value), change: Change::Replaced });
            })+
            $(if let Some(change) = entries(&before.$list, &after.$list) {
                changes.push(FieldChange { field: stringify!($list), change });
            })+
            changes
        }

        #[cfg(test)]
        pub(super) const $names: &[&str] =
            &[$(stringify!($value),)+ $(stringify!($list),)+ stringify!($status)];
    };
}

record_diff!(
    duban_changes, duban_forged, DUBAN_FIELDS, DubanItem,
    values: [doc_no, title, detail, source, source_ref, level, parent, category, urgency, is_major,
        lead_unit, co_units, handlers, supervisors, created_by, created_at, assigned_at, deadline,
        feedback_cycle, evaluation],
    entries: [milestones, progress, urges, extension_requests, reviews, instructions, site_checks],
    status: status
);

record_diff!(
    research_changes, research_forged, RESEARCH_FIELDS, ResearchRecord,
    values: [title, kind, questions, lead, members, unit, period, created_by, created_at, report],
    entries: [visits, findings, suggestions, instructions],
    status: status
);

record_diff!(
    meeting_changes, meeting_forged, MEETING_FIELDS, Meeting,
    values: [kind, title, held_at, chair, attendees, unit, created_by, created_at],
    entries: [agenda, dispositions, decisions, applied],
    status: status
);

fn changes(before: &Record, after: &Record) -> Vec<FieldChange> {
    match (before, after) {
        (Record::Duban(before), Record::Duban(after)) => duban_changes(before, after),
        (Record::Research(before), Record::Research(after)) => research_changes(before, after),
        (Record::Meeting(before), Record::Meeting(after)) => meeting_changes(before, after),
        // Kinds are compared before fields are.
        _ => Vec::new(),
    }
}

/// The lists of entries to which a change by `user` added entries naming someone else as their
/// author. Every entry is a trace of who did what (痕迹管理), so nobody may add one in
/// another's name; [`check_change`] leaves this out because it knows roles, not the user.
pub fn entries_in_anothers_name(before: &Record, after: &Record, user: &str) -> Vec<&'static str> {
    match (before, after) {
        (Record::Duban(before), Record::Duban(after)) => duban_forged(before, after, user),
        (Record::Research(before), Record::Research(after)) => research_forged(before, after, user),
        (Record::Meeting(before), Record::Meeting(after)) => meeting_forged(before, after, user),
        _ => Vec::new(),
    }
}
