//! Field permissions: for each top-level field of each kind of record, who may change it.
//!
//! The table follows the roles of DOMAIN.md. Two principles shape it:
//! - logs are traces (痕迹管理): entries are appended, and the few lists whose entries are
//!   later completed by someone else (an extension request's decision, a suggestion's status)
//!   name the roles that may edit them;
//! - a handler reports and asks, the office decides: handlers append progress, site checks and
//!   extension requests, and change nothing about what was assigned to them.
//!
//! Photos travel inside entries (progress, site checks, visits, findings), so whoever may
//! append such an entry may add photos with it. Attachments (`attachments`, files that are not
//! photos) follow the same rule: they travel inside progress entries (the closing request's
//! included), 批示, site checks, visits and findings, so whoever may append the entry may attach
//! files with it, and nobody adds them to an entry afterwards (entries are traces).

use super::Role::{self, Handler, Leader, Researcher, Supervisor};
use crate::records::RecordKind::{self, Duban, Meeting, Research};

/// How a field may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldAccess {
    /// Set when the record is created; never changed afterwards.
    Fixed,
    /// Any change, by any of these roles.
    Edit(&'static [Role]),
    /// A list of entries: `append` roles may add entries; `edit` roles may also change or
    /// remove existing ones.
    Entries {
        /// Roles that may add entries.
        append: &'static [Role],
        /// Roles that may change or remove existing entries.
        edit: &'static [Role],
    },
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
const fn append(append: &'static [Role], edit: &'static [Role]) -> FieldAccess {
    FieldAccess::Entries { append, edit }
}

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
    rule(Duban, "progress", append(&[Handler, Supervisor], &[])),
    rule(Duban, "urges", append(&[Supervisor], &[])),
    // The decision is written into the request, hence edit rights for those who decide.
    rule(
        Duban,
        "extension_requests",
        append(&[Handler], &[Supervisor, Leader]),
    ),
    rule(Duban, "reviews", append(&[Supervisor, Leader], &[])),
    rule(Duban, "instructions", append(&[Leader], &[])),
    rule(Duban, "site_checks", append(&[Handler, Supervisor], &[])),
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
    rule(Research, "visits", append(&[Researcher], &[Researcher])),
    rule(Research, "findings", append(&[Researcher], &[Researcher])),
    rule(Research, "report", RESEARCHER),
    rule(
        Research,
        "suggestions",
        append(&[Researcher], &[Researcher, Leader]),
    ),
    rule(Research, "instructions", append(&[Leader], &[])),
    // 会议: the office prepares and runs it; a leader chairing it marks dispositions and
    // records decisions too. The agenda is a snapshot: appended, never edited, by anyone.
    // Dispositions are entries of their own (the latest counts), so marking one never touches
    // the snapshot. A decision's `duban_ref` is written by the office when it makes the item.
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
    rule(Meeting, "agenda", append(&[Supervisor], &[])),
    rule(Meeting, "dispositions", append(&[Supervisor, Leader], &[])),
    rule(
        Meeting,
        "decisions",
        append(&[Supervisor, Leader], &[Supervisor]),
    ),
    rule(Meeting, "applied", FieldAccess::Fixed),
];

/// The rule for `field` of `kind`, if the field exists.
pub fn field_rule(kind: RecordKind, field: &str) -> Option<&'static FieldRule> {
    FIELD_RULES
        .iter()
        .find(|rule| rule.kind == kind && rule.field == field)
}
