//! Who may read which record and which photo: the one place that decides it.
//!
//! Reading a record: the roles of [`duyan_shared::rules::access::READS_EVERYTHING`] read every
//! record; anyone else reads the records they created or first stored, are named in (handler,
//! supervisor, lead, member, a meeting's chair or attendee), or that belong to their unit or a
//! unit below it (lead or co-operating unit of a 督办事项, the unit of a 调研记录). A 会议 is
//! read by name only, never by unit: its agenda holds snapshots of many units' items. In SQL a
//! meeting's chair and attendees sit in the `research_lead` and `research_members` columns
//! (see `projection::row`), so `readable_records` needs no new branch. A document nobody can read as a
//! record (empty, or damaged) is readable by its owner and those who read everything.
//!
//! The rule exists twice, by necessity, and both copies live here: in Rust ([`may_read`], on a
//! loaded document: the sync layer and the single-record routes) and in SQL (the function
//! `readable_records`, migration `0005_reports.sql`, on the projection's columns: lists, reports,
//! the inbox, photos), which takes a [`Reader`]. Only [`Reader`] turns roles into the SQL's
//! `reads_all`, so the role set is written once. A property test (`server/tests/it/access.rs`)
//! checks that both decide alike over random records and people.
//!
//! Reading a photo is [`photos`]. Who may *change* a record is the sync layer's review
//! (`crate::sync::review`), which builds on this.
//!
//! Everything here depends only on the domain crate and PostgreSQL: the sync layer, the
//! projection, the API, photos, documents, notifications and the directory use it, never the
//! other way round.

pub mod photos;

use std::sync::Arc;

use automerge::{ROOT, ReadDoc};
use duyan_shared::records::{Record, RecordReader, Touched};
use duyan_shared::rules::Role;
use duyan_shared::rules::access::reads_everything;

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
    /// `unit` and every unit the directory knows below it (for SQL, which takes the units as
    /// a list). A unit the directory does not know is still "this unit".
    fn subtree(&self, unit: &str) -> Vec<String>;
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
    /// A meeting is read by the people it names, not by units: its agenda holds snapshots of
    /// items of many units, and a unit's staff who were not there must not read those of other
    /// units through it.
    Meeting {
        created_by: String,
        chair: String,
        attendees: Vec<String>,
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
            Content::Record(Record::Meeting(meeting)) => Named::Meeting {
                created_by: meeting.created_by.clone(),
                chair: meeting.chair.clone(),
                attendees: meeting.attendees.clone(),
            },
        };
        Readers {
            owner: self.owner.clone(),
            named,
        }
    }
}

/// Whether `user` may read the document.
pub fn may_read(people: &dyn People, user: &str, readers: &Readers) -> bool {
    let Some(person) = people.person(user) else {
        return false;
    };
    if matches!(readers.named, Named::Anyone)
        || reads_everything(&person.roles)
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
        Named::Meeting {
            created_by,
            chair,
            attendees,
        } => created_by == user || chair == user || attendees.iter().any(|a| a == user),
        Named::Anyone | Named::Nobody => false,
    }
}

/// The caller as SQL sees them: the arguments of `readable_records` (and of the photo
/// functions built on it), the same rule as [`may_read`] over the projection's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    /// The user's id.
    pub id: String,
    /// They hold a role of [`duyan_shared::rules::access::READS_EVERYTHING`].
    pub reads_all: bool,
    /// The user's unit and every unit below it.
    pub units: Vec<String>,
}

impl Reader {
    /// The reader `id`, holding `roles`, of `unit`.
    pub fn new(people: &dyn People, id: &str, roles: &[Role], unit: Option<&str>) -> Self {
        Self {
            id: id.to_owned(),
            reads_all: reads_everything(roles),
            units: unit.map(|u| people.subtree(u)).unwrap_or_default(),
        }
    }

    /// The reader `user` as `people` know them; `None` when unknown or disabled.
    pub fn of(people: &dyn People, user: &str) -> Option<Self> {
        let person = people.person(user)?;
        Some(Self::new(
            people,
            user,
            &person.roles,
            person.unit.as_deref(),
        ))
    }
}
