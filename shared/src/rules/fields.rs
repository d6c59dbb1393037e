//! Field permissions: for each top-level field of each kind of record, who may change it.
//!
//! The table follows the roles of DOMAIN.md. Two principles shape it:
//! - logs are traces (痕迹管理): what may be done to their entries is decided per entry, in
//!   [`super::ENTRY_RULES`] (who appends, which fields of an entry someone else completes);
//! - a handler reports and asks, the office decides: handlers append progress, site checks and
//!   extension requests, and change nothing about what was assigned to them.
//!
//! Photos travel inside entries (progress, site checks, visits, findings), so whoever may
//! append such an entry may add photos with it. Attachments (`attachments`, files that are not
//! photos) follow the same rule: they travel inside progress entries (the closing request's
//! included), 批示, site checks, visits and findings, so whoever may append the entry may attach
//! files with it, and nobody adds them to an entry afterwards (entries are traces).

use super::Role::{self, Leader, Researcher, Supervisor};
use crate::records::RecordKind::{self, Duban, Meeting, Research};

/// How a field may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldAccess {
    /// Set when the record is created; never changed afterwards.
    Fixed,
    /// Any change, by any of these roles.
    Edit(&'static [Role]),
    /// A list of entries, ruled entry by entry by [`super::ENTRY_RULES`].
    Entries,
    /// The status, which changes only along [`super::TRANSITIONS`].
    Status,
}

/// The access rule of one field of one kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldRule {
    /// The kind of record.
    pub kind: RecordKind,
    /// The field's key in the document's root map.
    pub field: &'static str,
    /// Who may change it, and how.
    pub access: FieldAccess,
}

const fn rule(kind: RecordKind, field: &'static str, access: FieldAccess) -> FieldRule {
    FieldRule {
        kind,
        field,
        access,
    }
}

const SUPERVISOR: FieldAccess = FieldAccess::Edit(&[Supervisor]);
const RESEARCHER: FieldAccess = FieldAccess::Edit(&[Researcher]);
const ENTRIES: FieldAccess = FieldAccess::Entries;

/// Every top-level field of every kind of record and who may change it. A field missing here
/// may be changed by nobody (a test keeps the table and the record types in step).
pub const FIELD_RULES: &[FieldRule] = &[
    // 督办事项: the office owns what was assigned.
    rule(Duban, "doc_no", SUPERVISOR),
    rule(Duban, "title", SUPERVISOR),
    rule(Duban, "detail", SUPERVISOR),
    rule(Duban, "source", SUPERVISOR),
    rule(Duban, "source_ref", SUPERVISOR),
    rule(Duban, "level", SUPERVISOR),
    // Where the item sits in the 工作清单 is the office's call, like its level.
    rule(Duban, "parent", SUPERVISOR),
    rule(Duban, "category", SUPERVISOR),
    rule(Duban, "urgency", SUPERVISOR),
    rule(Duban, "is_major", SUPERVISOR),
    rule(Duban, "lead_unit", SUPERVISOR),
    rule(Duban, "co_units", SUPERVISOR),
    rule(Duban, "handlers", SUPERVISOR),
    rule(Duban, "supervisors", SUPERVISOR),
    rule(Duban, "created_by", FieldAccess::Fixed),
    rule(Duban, "created_at", FieldAccess::Fixed),
    rule(Duban, "assigned_at", SUPERVISOR),
    // Moved by the office when it grants an extension; never by the handler.
    rule(Duban, "deadline", SUPERVISOR),
    rule(Duban, "feedback_cycle", SUPERVISOR),
    rule(Duban, "milestones", SUPERVISOR),
    rule(Duban, "status", FieldAccess::Status),
    rule(Duban, "progress", ENTRIES),
    rule(Duban, "urges", ENTRIES),
    rule(Duban, "extension_requests", ENTRIES),
    rule(Duban, "reviews", ENTRIES),
    rule(Duban, "instructions", ENTRIES),
    rule(Duban, "site_checks", ENTRIES),
    rule(
        Duban,
        "evaluation",
        FieldAccess::Edit(&[Supervisor, Leader]),
    ),
    // 调研记录: its researchers own it; leaders instruct and decide on suggestions.
    rule(Research, "title", RESEARCHER),
    rule(Research, "kind", RESEARCHER),
    rule(Research, "questions", RESEARCHER),
    rule(Research, "lead", RESEARCHER),
    rule(Research, "members", RESEARCHER),
    rule(Research, "unit", RESEARCHER),
    rule(Research, "period", RESEARCHER),
    rule(Research, "status", FieldAccess::Status),
    rule(Research, "created_by", FieldAccess::Fixed),
    rule(Research, "created_at", FieldAccess::Fixed),
    rule(Research, "visits", ENTRIES),
    rule(Research, "findings", ENTRIES),
    rule(Research, "report", RESEARCHER),
    rule(Research, "suggestions", ENTRIES),
    rule(Research, "instructions", ENTRIES),
    // 会议: the office prepares and runs it; who adds to its lists is in ENTRY_RULES.
    // `applied` is the server's alone (it writes past the review), so no role may touch it.
    rule(Meeting, "kind", SUPERVISOR),
    rule(Meeting, "title", SUPERVISOR),
    rule(Meeting, "held_at", SUPERVISOR),
    rule(Meeting, "chair", SUPERVISOR),
    rule(Meeting, "attendees", SUPERVISOR),
    rule(Meeting, "unit", SUPERVISOR),
    rule(Meeting, "status", FieldAccess::Status),
    rule(Meeting, "created_by", FieldAccess::Fixed),
    rule(Meeting, "created_at", FieldAccess::Fixed),
    rule(Meeting, "agenda", ENTRIES),
    rule(Meeting, "dispositions", ENTRIES),
    rule(Meeting, "decisions", ENTRIES),
    rule(Meeting, "applied", FieldAccess::Fixed),
];

/// The rule for `field` of `kind`, if the field exists.
pub fn field_rule(kind: RecordKind, field: &str) -> Option<&'static FieldRule> {
    FIELD_RULES
        .iter()
        .find(|rule| rule.kind == kind && rule.field == field)
}
