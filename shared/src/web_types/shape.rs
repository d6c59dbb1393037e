//! What a record looks like in its document, described from the Rust types themselves.
//!
//! Each record type lists its fields by name, once; the shape of every field is taken from the
//! field's Rust type by the compiler ([`Describe`]), and the list is checked for completeness by a
//! destructuring pattern without `..`, so a field added to a record fails to compile until it is
//! listed here. Tests then check the description against documents the Rust side writes and reads.

use autosurgeon::Text;

use crate::assessment::RuleKind;
use crate::derived::Light;
use crate::document_id::DocumentId;
use crate::records::*;
use crate::rules::Role;
use crate::time::Timestamp;

/// How a value is stored in a document, and so how the web app sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A scalar string (Automerge `str`).
    Str,
    /// A document id: a scalar string holding the bare bs58check id.
    DocumentId,
    /// Automerge text, which concurrent edits interleave in.
    Text,
    /// A boolean.
    Bool,
    /// An integer.
    Int,
    /// A floating-point number.
    Float,
    /// An instant: integer milliseconds since the Unix epoch.
    Timestamp,
    /// An integer percentage, 0 to 100.
    Percent,
    /// One of the strings of an enum, as a scalar string.
    Enum(EnumType),
    /// A map with named fields.
    Object(ObjectType),
    /// A list.
    List(Box<Shape>),
    /// A value that may be absent or null, both meaning "none" (Rust's `Option`).
    Optional(Box<Shape>),
}

/// An enum stored as one of a fixed set of strings.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumType {
    /// The Rust (and TypeScript) type name, e.g. `DubanStatus`.
    pub name: &'static str,
    /// The name of the TypeScript array of all values, e.g. `DUBAN_STATUSES`.
    pub const_name: &'static str,
    /// Every stored string, in declaration order.
    pub values: Vec<&'static str>,
}

/// A record or a part of one: a map with named fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectType {
    /// The Rust (and TypeScript) type name, e.g. `PhotoRef`.
    pub name: &'static str,
    /// The fields, in declaration order.
    pub fields: Vec<Field>,
}

/// A field of an [`ObjectType`].
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The key in the document's map.
    pub name: &'static str,
    /// What is stored under it.
    pub shape: Shape,
}

/// A Rust type that appears in a record, and the [`Shape`] it is stored in.
pub trait Describe {
    /// How a value of this type is stored.
    fn shape() -> Shape;
}

/// A string enum of the domain crate.
pub trait DescribeEnum {
    /// Its name and values.
    fn enum_type() -> EnumType;
}

/// A struct stored as a map.
pub trait DescribeObject {
    /// Its name and fields.
    fn object_type() -> ObjectType;
}

macro_rules! leaves {
    ($($ty:ty => $shape:ident),+ $(,)?) => {
        $(impl Describe for $ty {
            fn shape() -> Shape {
                Shape::$shape
            }
        })+
    };
}

leaves!(
    String => Str,
    DocumentId => DocumentId,
    Text => Text,
    bool => Bool,
    u8 => Int,
    u32 => Int,
    f64 => Float,
    Timestamp => Timestamp,
    Percent => Percent,
);

impl<T: Describe> Describe for Vec<T> {
    fn shape() -> Shape {
        Shape::List(Box::new(T::shape()))
    }
}

impl<T: Describe> Describe for Option<T> {
    fn shape() -> Shape {
        Shape::Optional(Box::new(T::shape()))
    }
}

/// Describes string enums; `$list()` returns them in the order given.
macro_rules! enums {
    ($list:ident: $($ty:ident => $const_name:literal),+ $(,)?) => {
        $(impl DescribeEnum for $ty {
            fn enum_type() -> EnumType {
                EnumType {
                    name: stringify!($ty),
                    const_name: $const_name,
                    values: $ty::ALL.iter().map(|value| value.as_str()).collect(),
                }
            }
        }

        impl Describe for $ty {
            fn shape() -> Shape {
                Shape::Enum(Self::enum_type())
            }
        })+

        pub(super) fn $list() -> Vec<EnumType> {
            vec![$(<$ty as DescribeEnum>::enum_type()),+]
        }
    };
}

enums!(record_enums:
    RecordKind => "RECORD_KINDS",
    DubanStatus => "DUBAN_STATUSES",
    Source => "SOURCES",
    Level => "LEVELS",
    Urgency => "URGENCIES",
    FeedbackCycle => "FEEDBACK_CYCLES",
    UrgeLevel => "URGE_LEVELS",
    Verdict => "VERDICTS",
    ExtensionVerdict => "EXTENSION_VERDICTS",
    Rating => "RATINGS",
    ResearchStatus => "RESEARCH_STATUSES",
    ResearchKind => "RESEARCH_KINDS",
    VisitMethod => "VISIT_METHODS",
    Severity => "SEVERITIES",
    SuggestionStatus => "SUGGESTION_STATUSES",
    MeetingStatus => "MEETING_STATUSES",
    MeetingKind => "MEETING_KINDS",
    DispositionKind => "DISPOSITION_KINDS",
);

enums!(rule_enums: Role => "ROLES");

enums!(api_enums: Light => "LIGHTS", RuleKind => "RULE_KINDS");

/// The shape of the field that `field` reads, taken from its Rust type.
fn shape_of<O, T: Describe>(_field: impl Fn(&O) -> &T) -> Shape {
    T::shape()
}

/// Describes structs stored as maps. Every field must be named: the pattern in `shape` has no
/// `..`, so adding a field to the Rust type is a compile error here until it is listed.
macro_rules! objects {
    ($($ty:ident { $($field:ident),+ $(,)? })+) => {
        $(impl DescribeObject for $ty {
            fn object_type() -> ObjectType {
                let _every_field_is_listed = |value: &$ty| {
                    let $ty { $($field: _),+ } = value;
                };
                ObjectType {
                    name: stringify!($ty),
                    fields: vec![$(Field {
                        name: stringify!($field),
                        shape: shape_of(|value: &$ty| &value.$field),
                    }),+],
                }
            }
        }

        impl Describe for $ty {
            fn shape() -> Shape {
                Shape::Object(Self::object_type())
            }
        })+
    };
}

objects! {
    Geo { lat, lng, accuracy }
    PhotoRef { sha256, mime, bytes, width, height, taken_at, geo, caption, by }
    AttachmentRef { sha256, name, mime, bytes, by }
    Instruction { id, at, by, withdrawn, text, attachments }
    Withdrawal { at, by, reason }

    SourceRef { record, entry_id }
    Milestone { id, title, due, done_at }
    Progress { id, at, by, withdrawn, percent, text, problems, photos, geo, attachments }
    Urge { id, at, by, withdrawn, level, message }
    ExtensionRequest { id, at, by, withdrawn, new_deadline, reason, decision }
    ExtensionDecision { verdict, at, by, comment }
    Review { id, at, by, withdrawn, verdict, opinion }
    SiteCheck { id, at, by, withdrawn, place, findings, before_photos, after_photos, geo, attachments }
    Evaluation { at, by, score, rating, comment }
    DubanItem {
        doc_no, title, detail, source, source_ref, level, parent, category, urgency, is_major,
        lead_unit, co_units, handlers, supervisors, created_by, created_at, assigned_at, deadline,
        feedback_cycle, milestones, status, progress, urges, extension_requests, reviews,
        instructions, site_checks, evaluation,
    }

    Period { from, to }
    Visit { id, at, by, withdrawn, place, address, geo, method, people_met, notes, photos, attachments }
    Finding {
        id, at, by, withdrawn, visit_id, text, category, severity, photos, geo, suggestion, duban_ref,
        attachments,
    }
    Report { basic_situation, problems, cause_analysis, countermeasures }
    Suggestion { id, at, by, withdrawn, text, status, duban_ref }
    ResearchRecord {
        title, kind, questions, lead, members, unit, period, status, created_by, created_at,
        visits, findings, report, suggestions, instructions,
    }

    AgendaItem { id, at, by, record, title, lead_unit, status, light, deadline, latest_progress }
    Disposition { id, at, by, agenda_id, kind, new_deadline, note }
    Decision { id, at, by, text, owner_unit, due, duban_ref }
    Applied { id, at, by, disposition_id, record }
    Meeting {
        kind, title, held_at, chair, attendees, unit, status, created_by, created_at, agenda,
        dispositions, decisions, applied,
    }
}

/// The record stored in a document whose `type` is `kind`, without `type` and `schema_version`
/// (which [`Record::write_to`] adds).
pub fn record_type(kind: RecordKind) -> ObjectType {
    match kind {
        RecordKind::Duban => DubanItem::object_type(),
        RecordKind::Research => ResearchRecord::object_type(),
        RecordKind::Meeting => Meeting::object_type(),
    }
}

/// The status enum of records of `kind`.
pub fn status_type(kind: RecordKind) -> EnumType {
    match kind {
        RecordKind::Duban => DubanStatus::enum_type(),
        RecordKind::Research => ResearchStatus::enum_type(),
        RecordKind::Meeting => MeetingStatus::enum_type(),
    }
}

/// Every object type reachable from `shape`, each once, in depth-first order of first use.
pub(super) fn collect_objects(shape: &Shape, found: &mut Vec<ObjectType>) {
    match shape {
        Shape::Object(object) => {
            if found.iter().all(|seen| seen.name != object.name) {
                found.push(object.clone());
                for field in &object.fields {
                    collect_objects(&field.shape, found);
                }
            }
        }
        Shape::List(inner) | Shape::Optional(inner) => collect_objects(inner, found),
        Shape::Str
        | Shape::DocumentId
        | Shape::Text
        | Shape::Bool
        | Shape::Int
        | Shape::Float
        | Shape::Timestamp
        | Shape::Percent
        | Shape::Enum(_) => {}
    }
}

/// Every enum type reachable from `shape`, each once, in depth-first order of first use.
#[cfg(test)]
pub(super) fn collect_enums(shape: &Shape, found: &mut Vec<EnumType>) {
    match shape {
        Shape::Enum(e) => {
            if found.iter().all(|seen| seen.name != e.name) {
                found.push(e.clone());
            }
        }
        Shape::Object(object) => {
            for field in &object.fields {
                collect_enums(&field.shape, found);
            }
        }
        Shape::List(inner) | Shape::Optional(inner) => collect_enums(inner, found),
        Shape::Str
        | Shape::DocumentId
        | Shape::Text
        | Shape::Bool
        | Shape::Int
        | Shape::Float
        | Shape::Timestamp
        | Shape::Percent => {}
    }
}
