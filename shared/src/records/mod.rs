//! The records of the product (督办事项, 调研记录, 会议), as Rust types mapped to and from Automerge documents.
//!
//! A document's root map holds `type` (`"duban"` or `"research"`), `schema_version` and the
//! fields of [`DubanItem`] or [`ResearchRecord`]. Read a document with [`Record::from_doc`]
//! (it checks type and version, hydrates, and upgrades older versions) and write one with
//! [`Record::write_to`]; both go through autosurgeon, which turns a changed value into the
//! smallest set of Automerge operations, so concurrent edits merge field by field.
//!
//! Conventions, kept the same in every record:
//! - instants are [`Timestamp`](crate::Timestamp)s, stored as integer milliseconds since the epoch (UTC);
//! - people and units are referred to by their ids (strings), never by name;
//! - lists of entries hold objects with their own `id`, `at` and `by` ([`Entry`]), matched by id
//!   on merge so that entries appended offline on several phones all survive;
//! - long texts (`detail`, visit `notes`, report sections) are Automerge text;
//! - photos are [`PhotoRef`]s: the SHA-256 of the bytes, never the bytes;
//! - optional fields may be absent or `null` in a document; both read as `None`.
//!
//! The contract for the web app, which writes the same documents: short strings (`title`,
//! statuses, ids) are scalar strings, written in automerge JS as `ImmutableString`, since a plain
//! JS string becomes collaborative text there and is refused here where a string is expected;
//! integers may be written as plain numbers (see `codec`).

mod codec;
mod common;
mod duban;
mod meeting;
mod prefetch;
mod reader;
mod research;
mod status;

use automerge::{AutoCommit, AutomergeError, LoadOptions, ROOT, ScalarValue, TextEncoding, Value};
use autosurgeon::{Doc, ReadDoc, ReconcileError};

pub use codec::Percent;
pub(crate) use codec::integral as codec_integral;
pub use common::{AttachmentRef, Geo, Instruction, PhotoRef, Withdrawal, attachments_of};
pub use duban::{
    DubanItem, Evaluation, ExtensionDecision, ExtensionRequest, ExtensionVerdict, FeedbackCycle,
    Level, Milestone, Progress, Rating, Review, SiteCheck, Source, SourceRef, Urge, UrgeLevel,
    Urgency, Verdict,
};
pub use meeting::{
    AgendaItem, Applied, Decision, Disposition, DispositionKind, Meeting, MeetingKind,
    apply_disposition,
};
pub use reader::{RecordReader, Touched};
pub use research::{
    Finding, Period, Report, ResearchKind, ResearchRecord, Severity, Suggestion, SuggestionStatus,
    Visit, VisitMethod,
};
pub use status::{DubanStatus, MeetingStatus, RecordKind, ResearchStatus, Status};

use crate::string_enum::UnknownValue;

/// The schema version this build writes, and the newest it can read.
///
/// Bump it when the shape of a record changes in a way older code would misread, and add the
/// step from the previous version to [`Stored::upgrade`].
pub const SCHEMA_VERSION: u64 = 1;

/// How text positions are counted in documents that records are written into.
///
/// autosurgeon's [`autosurgeon::Text`] records edits at byte offsets of the UTF-8 string, while
/// Automerge counts Unicode code points unless told otherwise; with Chinese text the two differ
/// (three bytes per character) and edits would land in the wrong place or fail. The encoding is
/// a property of the in-memory API only: saved bytes and sync messages are the same, so the
/// JavaScript client (which counts UTF-16 units) is unaffected.
pub const TEXT_ENCODING: TextEncoding = TextEncoding::Utf8CodeUnit;

/// A new, empty document ready for [`Record::write_to`].
pub fn new_document() -> AutoCommit {
    AutoCommit::new_with_encoding(TEXT_ENCODING)
}

/// Loads saved document bytes ready for [`Record::write_to`].
pub fn load_document(bytes: &[u8]) -> Result<AutoCommit, AutomergeError> {
    AutoCommit::load_with_options(bytes, LoadOptions::new().text_encoding(TEXT_ENCODING))
}

/// Why a record could not be written into a document.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The document counts text positions differently from autosurgeon (see [`TEXT_ENCODING`]);
    /// create or load it with [`new_document`] or [`load_document`].
    #[error("the document counts text in {0:?}, records need {TEXT_ENCODING:?}")]
    TextEncoding(TextEncoding),
    /// autosurgeon or Automerge refused the write, e.g. a text field hydrated from an older
    /// state of the document.
    #[error(transparent)]
    Reconcile(#[from] ReconcileError),
}

/// Either kind of record, as the rest of the system handles them.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A 督办事项.
    Duban(DubanItem),
    /// A 调研记录.
    Research(ResearchRecord),
    /// A 会议.
    Meeting(Meeting),
}

/// Why a document could not be read as a record.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The root has no `type`, so there is no telling what the document is.
    #[error("the document has no `type`")]
    MissingType,
    /// `type` is not a string naming a known kind.
    #[error("`type` is not a known record type: {0}")]
    UnknownType(String),
    /// The root has no usable `schema_version`.
    #[error("the document has no valid `schema_version`: {0}")]
    MissingVersion(String),
    /// The document was written by newer software. Reading it anyway could drop fields this
    /// build does not know, and writing it back would lose them, so it is refused.
    #[error(
        "schema_version {found} is newer than this software supports ({supported}); update the app"
    )]
    FutureVersion {
        /// The version in the document.
        found: u64,
        /// [`SCHEMA_VERSION`].
        supported: u64,
    },
    /// Type and version are fine but a field is missing or has the wrong shape.
    #[error("malformed {kind} record: {reason}")]
    Malformed {
        /// The record's kind.
        kind: RecordKind,
        /// What autosurgeon found wrong, e.g. "unexpected nothing, expected a duban status".
        reason: String,
    },
}

/// A record as found in a document, in the shape of the version it was written in.
///
/// Today only version 1 exists, so each variant holds the current type. When version 2 comes,
/// the version 1 types are frozen (copied into a `v1` module), a `DubanV1(v1::DubanItem)` variant
/// keeps reading old documents, and [`Stored::upgrade`] maps it field by field to the new shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Stored {
    /// `type = "duban"`, `schema_version = 1`.
    DubanV1(DubanItem),
    /// `type = "research"`, `schema_version = 1`.
    ResearchV1(ResearchRecord),
    /// `type = "meeting"`, `schema_version = 1`.
    MeetingV1(Meeting),
}

impl Stored {
    /// Reads `type` and `schema_version`, refuses versions newer than [`SCHEMA_VERSION`], and
    /// hydrates the record in the shape of its version. Never panics on a malformed document.
    pub fn from_doc<D: ReadDoc>(doc: &D) -> Result<Self, RecordError> {
        let kind = read_kind(doc)?;
        let version = read_version(doc)?;
        let malformed = |e: autosurgeon::HydrateError| RecordError::Malformed {
            kind,
            reason: e.to_string(),
        };
        match (kind, version) {
            (RecordKind::Duban, 1) => autosurgeon::hydrate(doc)
                .map(Self::DubanV1)
                .map_err(malformed),
            (RecordKind::Research, 1) => autosurgeon::hydrate(doc)
                .map(Self::ResearchV1)
                .map_err(malformed),
            (RecordKind::Meeting, 1) => autosurgeon::hydrate(doc)
                .map(Self::MeetingV1)
                .map_err(malformed),
            (_, found) => Err(RecordError::FutureVersion {
                found,
                supported: SCHEMA_VERSION,
            }),
        }
    }

    /// Brings a stored record to the current schema. For version 1 this is the identity.
    ///
    /// The upgrade happens in memory; the document keeps its old shape until the record is next
    /// written with [`Record::write_to`], which writes the current shape and version.
    pub fn upgrade(self) -> Record {
        match self {
            Self::DubanV1(item) => Record::Duban(item),
            Self::ResearchV1(record) => Record::Research(record),
            Self::MeetingV1(meeting) => Record::Meeting(meeting),
        }
    }
}

impl Record {
    /// Reads a record from a document, upgrading it to the current schema.
    pub fn from_doc<D: ReadDoc>(doc: &D) -> Result<Self, RecordError> {
        Stored::from_doc(doc).map(Stored::upgrade)
    }

    /// Writes the record into the document's root: its fields, `type` and `schema_version`.
    ///
    /// Only what differs from the document is written. Text fields hydrated from another
    /// document state must be reconciled into the state they came from (autosurgeon refuses
    /// stale text with [`ReconcileError::StaleHeads`]). The document must count text in
    /// [`TEXT_ENCODING`]; any other is refused before anything is written.
    pub fn write_to<D: Doc + automerge::ReadDoc>(&self, doc: &mut D) -> Result<(), WriteError> {
        let encoding = automerge::ReadDoc::text_encoding(doc);
        if encoding != TEXT_ENCODING {
            return Err(WriteError::TextEncoding(encoding));
        }
        match self {
            Self::Duban(item) => autosurgeon::reconcile(doc, item)?,
            Self::Research(record) => autosurgeon::reconcile(doc, record)?,
            Self::Meeting(meeting) => autosurgeon::reconcile(doc, meeting)?,
        }
        // Rewriting an unchanged value would still be an operation, and one that conflicts
        // with nothing useful; skip it.
        if read_kind(doc).ok() != Some(self.kind()) {
            autosurgeon::reconcile_prop(doc, ROOT, "type", self.kind().as_str())?;
        }
        if read_version(doc).ok() != Some(SCHEMA_VERSION) {
            // Written as a signed integer, as JavaScript writes numbers.
            let version = i64::try_from(SCHEMA_VERSION).unwrap_or(i64::MAX);
            autosurgeon::reconcile_prop(doc, ROOT, "schema_version", version)?;
        }
        Ok(())
    }

    /// The kind of record.
    pub fn kind(&self) -> RecordKind {
        match self {
            Self::Duban(_) => RecordKind::Duban,
            Self::Research(_) => RecordKind::Research,
            Self::Meeting(_) => RecordKind::Meeting,
        }
    }

    /// Its current status.
    pub fn status(&self) -> Status {
        match self {
            Self::Duban(item) => Status::Duban(item.status),
            Self::Research(record) => Status::Research(record.status),
            Self::Meeting(meeting) => Status::Meeting(meeting.status),
        }
    }
}

impl From<DubanItem> for Record {
    fn from(item: DubanItem) -> Self {
        Self::Duban(item)
    }
}

impl From<Meeting> for Record {
    fn from(meeting: Meeting) -> Self {
        Self::Meeting(meeting)
    }
}

impl From<ResearchRecord> for Record {
    fn from(record: ResearchRecord) -> Self {
        Self::Research(record)
    }
}

/// An entry of a list in a record: an object with its own id, time and author.
pub trait Entry {
    /// Unique within its list; generated by the client that adds the entry.
    fn id(&self) -> &str;
    /// User id of who added it; `None` for entries that name no author (milestones are
    /// planned by the office, not reported by someone).
    fn author(&self) -> Option<&str>;
}

macro_rules! impl_entry {
    (authored: [$($ty:ty),+ $(,)?], unauthored: [$($plain:ty),* $(,)?] $(,)?) => {
        $(impl Entry for $ty {
            fn id(&self) -> &str {
                &self.id
            }
            fn author(&self) -> Option<&str> {
                Some(&self.by)
            }
        })+
        $(impl Entry for $plain {
            fn id(&self) -> &str {
                &self.id
            }
            fn author(&self) -> Option<&str> {
                None
            }
        })*
    };
}

impl_entry!(
    authored: [
        Progress,
        Urge,
        ExtensionRequest,
        Review,
        SiteCheck,
        Instruction,
        Visit,
        Finding,
        Suggestion,
        AgendaItem,
        Disposition,
        Decision,
        Applied,
    ],
    unauthored: [Milestone],
);

fn read_kind<D: ReadDoc>(doc: &D) -> Result<RecordKind, RecordError> {
    match doc.get(&ROOT, "type") {
        Ok(Some((Value::Scalar(value), _))) => match value.as_ref() {
            ScalarValue::Str(s) => s
                .parse()
                .map_err(|e: UnknownValue| RecordError::UnknownType(e.to_string())),
            other => Err(RecordError::UnknownType(format!("{other:?}"))),
        },
        Ok(Some((Value::Object(kind), _))) => Err(RecordError::UnknownType(format!(
            "an object of type {kind:?}"
        ))),
        Ok(None) => Err(RecordError::MissingType),
        Err(e) => Err(RecordError::UnknownType(e.to_string())),
    }
}

fn read_version<D: ReadDoc>(doc: &D) -> Result<u64, RecordError> {
    let found = match doc.get(&ROOT, "schema_version") {
        Ok(Some((Value::Scalar(value), _))) => match value.as_ref() {
            ScalarValue::Int(i) => u64::try_from(*i).ok().filter(|v| *v > 0),
            ScalarValue::Uint(u) => Some(*u).filter(|v| *v > 0),
            _ => None,
        }
        .ok_or_else(|| format!("{value:?}")),
        Ok(Some((Value::Object(kind), _))) => Err(format!("an object of type {kind:?}")),
        Ok(None) => Err("nothing".to_owned()),
        Err(e) => Err(e.to_string()),
    };
    found.map_err(RecordError::MissingVersion)
}

#[cfg(test)]
mod merge_tests;
#[cfg(test)]
mod tests;
