//! Who may read, create and change which record: the single decision point of the sync layer.
//!
//! The document task asks [`may_read`] before it lets a peer sync a document, and runs
//! [`review`] on the state a peer's sync message produced. Both are pure functions of the
//! record, the users and units ([`People`]) and the person asking, so they are tested without a
//! network or a database.
//!
//! Reading: admins, leaders and supervisors read every record; anyone else reads the records
//! they created or are named in (handler, supervisor, lead, member) and those of their unit and
//! the units below it (lead or co-operating unit of a 督办事项, the unit of a 调研记录). A
//! document nobody can read as a record (empty, or damaged) is readable by its creator and the
//! roles that read everything.
//!
//! Changing: [`review`] compares the record before and after a message with
//! [`duyan_shared::rules::check_change`] and names what must be put back. The document task
//! then restores those fields with a change of its own (see `restore`): the forbidden values
//! never reach anyone else, and the peer's allowed changes in the same message stand.

use std::sync::Arc;

use automerge::{ROOT, ReadDoc};
use duyan_shared::DocumentId;
use duyan_shared::records::{DubanStatus, Record, RecordKind, RecordReader, Touched};
use duyan_shared::rules::{self, Problem, Role};

use super::protocol::PeerId;
use super::restore::Mode;

/// Who is on the other end of a session: the signed-in user and the session (device) they
/// signed in with, plus the automerge-repo peer id their client announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub peer_id: PeerId,
    pub user_id: Arc<str>,
    pub session_id: Arc<str>,
}

/// What access decisions need to know about a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub roles: Vec<Role>,
    pub unit: Option<String>,
}

/// The users and units that access is decided on. The directory implements it; tests use a
/// fixed table.
pub trait People: Send + Sync {
    /// `None` when the user is unknown or disabled: such a user may do nothing.
    fn person(&self, user_id: &str) -> Option<Person>;
    /// Whether `unit` is `ancestor` or lies below it in the unit tree.
    fn unit_within(&self, unit: &str, ancestor: &str) -> bool;
}

/// What a document holds, as far as access is concerned.
// One per loaded document, replaced after each reviewed message: boxing the record would add
// an allocation per review and buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// The server holds no change of it: anyone may create it.
    Absent,
    /// It exists but holds nothing yet (automerge-repo creates documents with an empty change).
    Empty,
    Record(Record),
    /// It exists but cannot be read as a record.
    Damaged(String),
}

/// A document's content and the user who first wrote it to the server.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub owner: Option<Arc<str>>,
    pub content: Content,
}

impl View {
    /// Reads the content of `doc`.
    pub fn of(doc: &automerge::Automerge, owner: Option<Arc<str>>) -> Self {
        Self::read(doc, owner, &mut RecordReader::new(), Touched::Everything)
    }

    /// Reads the content of `doc` through `reader`, which reads again only what `touched`
    /// covers: a loaded document's view after each message costs what the message changed.
    pub fn read(
        doc: &automerge::Automerge,
        owner: Option<Arc<str>>,
        reader: &mut RecordReader,
        touched: Touched,
    ) -> Self {
        let content = if doc.get_heads().is_empty() {
            Content::Absent
        } else if doc.keys(ROOT).next().is_none() {
            Content::Empty
        } else {
            match reader.read(doc, touched) {
                Ok(record) => Content::Record(record),
                Err(error) => Content::Damaged(error.to_string()),
            }
        };
        Self { owner, content }
    }
}

/// Who may read a document, as [`may_read`] decides it: its owner and the few people and units
/// its record names. A loaded document keeps only this until it changes: most are only read,
/// and the whole record would be a quarter of their memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readers {
    owner: Option<Arc<str>>,
    named: Named,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Named {
    /// The server holds nothing of the document: anyone may create it.
    Anyone,
    /// Empty or damaged: only its owner and those who read everything.
    Nobody,
    Duban {
        created_by: String,
        handlers: Vec<String>,
        supervisors: Vec<String>,
        /// Lead and co-operating units.
        units: Vec<String>,
    },
    Research {
        created_by: String,
        lead: String,
        members: Vec<String>,
        unit: String,
    },
}

impl Readers {
    /// Those of a document the server holds nothing of: anyone, who may then create it.
    pub fn absent() -> Self {
        Self {
            owner: None,
            named: Named::Anyone,
        }
    }

    /// The user who first stored the document, if known.
    pub fn owner(&self) -> Option<Arc<str>> {
        self.owner.clone()
    }

    pub fn set_owner(&mut self, owner: Arc<str>) {
        self.owner = Some(owner);
    }
}

impl View {
    /// Who may read the document as it now reads.
    pub fn readers(&self) -> Readers {
        let named = match &self.content {
            Content::Absent => Named::Anyone,
            Content::Empty | Content::Damaged(_) => Named::Nobody,
            Content::Record(Record::Duban(item)) => Named::Duban {
                created_by: item.created_by.clone(),
                handlers: item.handlers.clone(),
                supervisors: item.supervisors.clone(),
                units: item
                    .lead_unit
                    .iter()
                    .chain(&item.co_units)
                    .cloned()
                    .collect(),
            },
            Content::Record(Record::Research(record)) => Named::Research {
                created_by: record.created_by.clone(),
                lead: record.lead.clone(),
                members: record.members.clone(),
                unit: record.unit.clone(),
            },
        };
        Readers {
            owner: self.owner.clone(),
            named,
        }
    }
}

fn reads_everything(person: &Person) -> bool {
    person
        .roles
        .iter()
        .any(|r| matches!(r, Role::Admin | Role::Leader | Role::Supervisor))
}

/// Whether `user` may read the document.
pub fn may_read(people: &dyn People, user: &str, readers: &Readers) -> bool {
    let Some(person) = people.person(user) else {
        return false;
    };
    if matches!(readers.named, Named::Anyone)
        || reads_everything(&person)
        || readers.owner.as_deref() == Some(user)
    {
        return true;
    }
    let in_unit = |unit: &str| {
        person
            .unit
            .as_deref()
            .is_some_and(|mine| people.unit_within(unit, mine))
    };
    match &readers.named {
        Named::Duban {
            created_by,
            handlers,
            supervisors,
            units,
        } => {
            created_by == user
                || handlers.iter().any(|h| h == user)
                || supervisors.iter().any(|s| s == user)
                || units.iter().any(|u| in_unit(u))
        }
        Named::Research {
            created_by,
            lead,
            members,
            unit,
        } => {
            created_by == user || lead == user || members.iter().any(|m| m == user) || in_unit(unit)
        }
        Named::Anyone | Named::Nobody => false,
    }
}

/// Whether someone holding `roles` may create `record` as `user`.
fn creation_problem(user: &str, roles: &[Role], record: &Record) -> Option<Refusal> {
    let created_by = match record {
        Record::Duban(item) => &item.created_by,
        Record::Research(research) => &research.created_by,
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
    };
    (!allowed).then(|| {
        Refusal::new(
            "type",
            "may_not_create",
            format!("these roles may not create a {} record", record.kind()),
        )
    })
}

/// Why part of a change was put back, as the author is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The top-level field concerned.
    pub field: String,
    /// A stable code the app can translate: `not_permitted`, `entries_altered`, `transition`,
    /// `wrong_kind`, `malformed`, `unknown_field`, `not_creator`, `may_not_create`,
    /// `no_access`, `forged_author`, `foreign_actor`, `own_parent`, `parent_not_readable`.
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
    match people.person(user) {
        Some(person) => check_parent(verdict, id, &person, before, after),
        None => verdict,
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
        None if created && !reads_everything(person) => Refusal::new(
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
        (Content::Record(old), Content::Record(new)) => {
            review_fields(user, &person, old, new, after_doc.keys(ROOT).collect())
        }
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
    let mut fields = Vec::new();
    let mut refusals = Vec::new();
    for violation in violations {
        let (code, mode) = match &violation.problem {
            Problem::NotPermitted => ("not_permitted", Mode::Whole),
            Problem::EntriesAltered { .. } => ("entries_altered", Mode::KeepAppended),
            Problem::Transition { .. } => ("transition", Mode::Whole),
            Problem::WrongKind { .. } => {
                return Verdict::RestoreAll {
                    refusals: vec![Refusal::new("type", "wrong_kind", violation.to_string())],
                };
            }
        };
        fields.push((violation.field.to_owned(), mode));
        refusals.push(Refusal::new(violation.field, code, violation.to_string()));
    }
    // An entry is a trace of who did what: added in another's name, the list goes back whole
    // (honest clients never do this, so the appended entries lost with it are the forger's).
    for field in rules::entries_in_anothers_name(before, after, user) {
        match fields.iter_mut().find(|(f, _)| f == field) {
            Some((_, mode)) => *mode = Mode::Whole,
            None => fields.push((field.to_owned(), Mode::Whole)),
        }
        refusals.push(Refusal::new(
            field,
            "forged_author",
            format!(
                "entries of `{field}` may only be added in your own name (`by` = your user id)"
            ),
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

#[cfg(test)]
mod tests;
