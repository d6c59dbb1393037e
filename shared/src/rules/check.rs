//! Checking a change against the tables: what changed, and was it allowed.

use std::collections::HashMap;
use std::fmt;

use super::entries::{EntryRule, WITHDRAWN, entry_rule};
use super::fields::{FieldAccess, field_rule};
use super::shape::{EntryShape, signed_forged};
use super::{Role, transition_allowed};
use crate::records::{DubanItem, Meeting, Record, RecordKind, ResearchRecord, Status};

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
    /// Something was done to one entry of a list that [`super::ENTRY_RULES`] does not allow.
    Entry {
        /// The entry's id.
        id: String,
        /// The field of the entry concerned, if one is.
        part: Option<&'static str>,
        /// What was wrong.
        problem: EntryProblem,
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

/// What was wrong with what a change did to one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryProblem {
    /// A new entry, from someone whose roles may not add to this list.
    MayNotAppend,
    /// A new entry that fills in a field others complete (e.g. a request already decided).
    Prefilled,
    /// An existing entry was removed; entries never are.
    Removed,
    /// A field of an existing entry that these roles may not write (or nobody may).
    NotWritable,
    /// A field written once (a decision) that was already written.
    AlreadySet,
    /// A withdrawal that does not name the entry's author: only the author withdraws.
    NotAuthor,
}

impl EntryProblem {
    /// A stable code the app can translate.
    pub fn code(self) -> &'static str {
        match self {
            Self::MayNotAppend => "may_not_append",
            Self::Prefilled => "prefilled",
            Self::Removed => "entry_removed",
            Self::NotWritable => "entries_altered",
            Self::AlreadySet => "already_set",
            Self::NotAuthor => "not_author",
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = self.field;
        match &self.problem {
            Problem::NotPermitted => write!(f, "`{field}` may not be changed with these roles"),
            Problem::Entry { id, part, problem } => {
                let part = part.map_or(String::new(), |p| format!("`{p}` of "));
                let entry = format!("{part}entry {id:?} of `{field}`");
                match problem {
                    EntryProblem::MayNotAppend => {
                        write!(f, "these roles may not add entries to `{field}` ({id:?})")
                    }
                    EntryProblem::Prefilled => write!(
                        f,
                        "{entry} is completed by others and must be empty in a new entry"
                    ),
                    EntryProblem::Removed => {
                        write!(
                            f,
                            "{entry} was removed; entries are never removed, only withdrawn by their author"
                        )
                    }
                    EntryProblem::NotWritable => write!(
                        f,
                        "{entry} may not be changed with these roles; an entry stays as its author wrote it"
                    ),
                    EntryProblem::AlreadySet => {
                        write!(f, "{entry} was already written and is written only once")
                    }
                    EntryProblem::NotAuthor => {
                        write!(f, "{entry}: only an entry's author may withdraw it")
                    }
                }
            }
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
/// the change is allowed. Status moves are checked against [`super::TRANSITIONS`], lists of
/// entries entry by entry against [`super::ENTRY_RULES`], and every other field against
/// [`super::FIELD_RULES`]. Who the actor is matters only for authorship: see
/// [`forged_authors`].
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
    for field in changed_fields(before, after) {
        let access = field_rule(kind, field).map_or(FieldAccess::Fixed, |rule| rule.access);
        let permitted = match access {
            FieldAccess::Edit(allowed) => holds(allowed),
            // Entry lists are checked entry by entry below; status above.
            FieldAccess::Entries | FieldAccess::Status => true,
            FieldAccess::Fixed => false,
        };
        if !permitted {
            violations.push(Violation {
                field,
                problem: Problem::NotPermitted,
            });
        }
    }
    violations.extend(entry_violations(kind, roles, before, after));
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

/// Checks what a change did to each entry of one list against its rule.
fn check_list<E: EntryShape>(
    rule: &EntryRule,
    roles: &[Role],
    before: &[E],
    after: &[E],
    out: &mut Vec<Violation>,
) {
    if before == after {
        return;
    }
    let now: HashMap<&str, &E> = after.iter().map(|e| (e.id(), e)).collect();
    let then: HashMap<&str, &E> = before.iter().map(|e| (e.id(), e)).collect();
    let mut push = |id: &str, part: Option<&'static str>, problem| {
        out.push(Violation {
            field: rule.list,
            problem: Problem::Entry {
                id: id.to_owned(),
                part,
                problem,
            },
        });
    };
    for old in before {
        let Some(new) = now.get(old.id()) else {
            push(old.id(), None, EntryProblem::Removed);
            continue;
        };
        for part in old.changed(new) {
            let problem = if part == WITHDRAWN {
                match (old.withdrawal(), new.withdrawal()) {
                    (Some(_), _) => Some(EntryProblem::AlreadySet),
                    (None, Some(mark)) if Some(mark.by.as_str()) != old.author() => {
                        Some(EntryProblem::NotAuthor)
                    }
                    _ if !rule.may_withdraw_own(roles) => Some(EntryProblem::NotWritable),
                    _ => None,
                }
            } else {
                match rule.field(part) {
                    Some(field) if !field.permits(roles) => Some(EntryProblem::NotWritable),
                    Some(field) if field.once && !old.is_fresh(part) => {
                        Some(EntryProblem::AlreadySet)
                    }
                    Some(_) => None,
                    None => Some(EntryProblem::NotWritable),
                }
            };
            if let Some(problem) = problem {
                push(old.id(), Some(part), problem);
            }
        }
    }
    for new in after.iter().filter(|e| !then.contains_key(e.id())) {
        if !rule.may_append(roles) {
            push(new.id(), None, EntryProblem::MayNotAppend);
            continue;
        }
        for field in rule.fields {
            if !field.permits(roles) && !new.is_fresh(field.field) {
                push(new.id(), Some(field.field), EntryProblem::Prefilled);
            }
        }
        if new
            .withdrawal()
            .is_some_and(|mark| Some(mark.by.as_str()) != new.author())
        {
            push(new.id(), Some(WITHDRAWN), EntryProblem::NotAuthor);
        }
    }
}

/// One author field that a change wrote in another's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forgery {
    /// The top-level field it is in.
    pub field: &'static str,
    /// The entry it is in, for fields of entries, and whether that entry is new.
    pub entry: Option<(String, bool)>,
    /// The author field within the entry or top-level field, e.g. `by`, `decision.by`.
    pub path: &'static str,
}

fn forged_in_list<E: EntryShape>(
    field: &'static str,
    before: Option<&[E]>,
    after: &[E],
    user: &str,
    out: &mut Vec<Forgery>,
) {
    if before.is_some_and(|before| before == after) {
        return;
    }
    let then: HashMap<&str, &E> = before
        .unwrap_or_default()
        .iter()
        .map(|e| (e.id(), e))
        .collect();
    for entry in after {
        let old = then.get(entry.id()).copied();
        let mut paths = Vec::new();
        E::forged(old, entry, user, &mut paths);
        out.extend(paths.into_iter().map(|path| Forgery {
            field,
            entry: Some((entry.id().to_owned(), old.is_none())),
            path,
        }));
    }
}

/// Defines, for a record type `$ty`:
/// - `$diff`, naming its top-level fields that differ between two states;
/// - `$entries`, checking each entry list against [`super::ENTRY_RULES`];
/// - `$forged`, the walk over every author field (see [`forged_authors`]);
/// - for tests, `$names`, every field, and `$authors`, the author fields.
///
/// The destructuring pattern names every field without `..`, so adding a field to a record type
/// fails to compile until it is listed here in its category, and tests then require a rule for
/// it and hold any `…_by` field to be listed as an author.
macro_rules! record_rules {
    ($diff:ident, $entries:ident, $forged:ident, $names:ident, $authors:ident, $ty:ident,
     values: [$($value:ident),+ $(,)?], authors: [$($author:ident),+ $(,)?],
     signed: [$($signed:ident),* $(,)?], plans: [$($plan:ident),* $(,)?],
     entries: [$($list:ident),+ $(,)?], status: $status:ident) => {
        fn $diff(before: &$ty, after: &$ty) -> Vec<&'static str> {
            let $ty { $($value: _,)+ $($author: _,)+ $($signed: _,)* $($plan: _,)* $($list: _,)+ $status: _ } = before;
            let mut changed = Vec::new();
            $(if before.$value != after.$value { changed.push(stringify!($value)); })+
            $(if before.$author != after.$author { changed.push(stringify!($author)); })+
            $(if before.$signed != after.$signed { changed.push(stringify!($signed)); })*
            $(if before.$plan != after.$plan { changed.push(stringify!($plan)); })*
            $(if before.$list != after.$list { changed.push(stringify!($list)); })+
            changed
        }

        fn $entries(kind: RecordKind, roles: &[Role], before: &$ty, after: &$ty) -> Vec<Violation> {
            let mut out = Vec::new();
            $(if let Some(rule) = entry_rule(kind, stringify!($list)) {
                check_list(rule, roles, &before.$list, &after.$list, &mut out);
            })+
            out
        }

        fn $forged(before: Option<&$ty>, after: &$ty, user: &str) -> Vec<Forgery> {
            let mut out = Vec::new();
            $(if before.is_none_or(|old| old.$author != after.$author) && after.$author != user {
                out.push(Forgery { field: stringify!($author), entry: None, path: stringify!($author) });
            })+
            $(if signed_forged(before.and_then(|old| old.$signed.as_ref()), after.$signed.as_ref(), user) {
                out.push(Forgery { field: stringify!($signed), entry: None, path: concat!(stringify!($signed), ".by") });
            })*
            $(forged_in_list(stringify!($list), before.map(|old| &old.$list[..]), &after.$list, user, &mut out);)+
            out
        }

        #[cfg(test)]
        pub(super) const $names: &[&str] = &[$(stringify!($value),)+ $(stringify!($author),)+
            $(stringify!($signed),)* $(stringify!($plan),)* $(stringify!($list),)+ stringify!($status)];
        #[cfg(test)]
        pub(super) const $authors: &[&str] = &[$(stringify!($author),)+ $(concat!(stringify!($signed), ".by"),)*];
    };
}

record_rules!(
    duban_changes, duban_entries, duban_forged, DUBAN_FIELDS, DUBAN_AUTHORS, DubanItem,
    values: [doc_no, title, detail, source, source_ref, level, parent, category, urgency, is_major,
        lead_unit, co_units, handlers, supervisors, created_at, assigned_at, deadline,
        feedback_cycle],
    authors: [created_by],
    signed: [evaluation],
    plans: [milestones],
    entries: [progress, urges, extension_requests, reviews, instructions, site_checks],
    status: status
);

record_rules!(
    research_changes, research_entries, research_forged, RESEARCH_FIELDS, RESEARCH_AUTHORS,
    ResearchRecord,
    values: [title, kind, questions, lead, members, unit, period, created_at, report],
    authors: [created_by],
    signed: [],
    plans: [],
    entries: [visits, findings, suggestions, instructions],
    status: status
);

record_rules!(
    meeting_changes, meeting_entries, meeting_forged, MEETING_FIELDS, MEETING_AUTHORS, Meeting,
    values: [kind, title, held_at, chair, attendees, unit, created_at, applied],
    authors: [created_by],
    signed: [],
    plans: [],
    entries: [agenda, dispositions, decisions],
    status: status
);

fn changed_fields(before: &Record, after: &Record) -> Vec<&'static str> {
    match (before, after) {
        (Record::Duban(before), Record::Duban(after)) => duban_changes(before, after),
        (Record::Research(before), Record::Research(after)) => research_changes(before, after),
        (Record::Meeting(before), Record::Meeting(after)) => meeting_changes(before, after),
        // Kinds are compared before fields are.
        _ => Vec::new(),
    }
}

fn entry_violations(
    kind: RecordKind,
    roles: &[Role],
    before: &Record,
    after: &Record,
) -> Vec<Violation> {
    match (before, after) {
        (Record::Duban(before), Record::Duban(after)) => duban_entries(kind, roles, before, after),
        (Record::Research(before), Record::Research(after)) => {
            research_entries(kind, roles, before, after)
        }
        (Record::Meeting(before), Record::Meeting(after)) => {
            meeting_entries(kind, roles, before, after)
        }
        _ => Vec::new(),
    }
}

/// Every field naming an author or a decider that the change from `before` (`None` for a new
/// record) to `after` wrote in the name of someone other than `user`, who made the change.
///
/// Every such field is a trace of who did what (痕迹管理): the entry's `by`, a decision's or
/// evaluation's `by`, a withdrawal's, a photo's, `created_by`. A field counts as written when
/// the object holding it is new or the field changed; a signed object (a decision, an
/// evaluation, a withdrawal) counts as written when any of its fields changed, so nobody edits
/// a leader's evaluation and leaves it in the leader's name. [`check_change`] leaves this out
/// because it knows roles, not the user.
pub fn forged_authors(before: Option<&Record>, after: &Record, user: &str) -> Vec<Forgery> {
    match (before, after) {
        (Some(Record::Duban(before)), Record::Duban(after)) => {
            duban_forged(Some(before), after, user)
        }
        (None, Record::Duban(after)) => duban_forged(None, after, user),
        (Some(Record::Research(before)), Record::Research(after)) => {
            research_forged(Some(before), after, user)
        }
        (None, Record::Research(after)) => research_forged(None, after, user),
        (Some(Record::Meeting(before)), Record::Meeting(after)) => {
            meeting_forged(Some(before), after, user)
        }
        (None, Record::Meeting(after)) => meeting_forged(None, after, user),
        // A record of another kind is refused whole before authors matter.
        _ => Vec::new(),
    }
}
