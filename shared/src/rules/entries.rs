//! Rules per entry: for every list of entries, who may add one, and which fields of an existing
//! entry may be written afterwards, by whom and how often.
//!
//! An entry is a trace (痕迹管理): once written it stays as its author wrote it. Three rules
//! hold for every list and are therefore not columns of the table:
//! - **no entry is ever removed**, by anyone;
//! - **no field of an existing entry changes** unless [`ENTRY_RULES`] names it, not even by the
//!   author: a mistaken entry is withdrawn, not rewritten;
//! - **only its author withdraws an entry**, once, with a [`Withdrawal`](crate::records::Withdrawal)
//!   mark that names them, and only while they still hold a role that may add to the list (a
//!   handler moved off the item no longer acts on it).
//!
//! The fields the table names are those someone completes after the entry exists: the office's
//! decision on a 延期申请, the link from a finding or suggestion to the 督办事项 that carries it
//! out, a suggestion's status, the joint notes of a visit. A field written `once` may be written
//! only while it holds the value entries start with (`None`), so a decision, once taken, is not
//! taken again; and a new entry must leave such fields as entries start unless its author holds
//! the roles that complete them, so nobody files a request already approved.
//!
//! Research lists, decided here because DOMAIN.md is silent:
//! - a visit (走访, 座谈...) is logged by one researcher but attended by the team, so its
//!   `notes` (Automerge text, built for several writers) are the team's minutes: every
//!   researcher on the record may write them, and the document's history names who wrote what.
//!   Everything else about a visit (place, time, method, people met, photos) is its author's
//!   and fixed;
//! - a finding is its author's: nobody rewrites another member's finding. Its `duban_ref` is
//!   written once by the researcher who turns it into a draft 督办事项 (成果转化), who need not
//!   be its author: any member may carry the team's finding forward;
//! - a suggestion (建言献策) is its author's, but whether it was adopted or implemented is not
//!   the author's to say: `status` moves by leaders, who adopt, and supervisors, who follow
//!   its implementation; its `duban_ref` is written once by a researcher or a supervisor, the
//!   two roles that create items.
//!
//! Milestones are not here: they are the office's plan, name no author, and are edited by
//! supervisors like the deadline ([`super::FIELD_RULES`]).

use super::Role::{self, Handler, Leader, Researcher, Supervisor};
use crate::records::RecordKind::{self, Duban, Meeting, Research};

/// A field of an existing entry that may be written after the entry was added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryField {
    /// The field's key in the entry's map.
    pub field: &'static str,
    /// Roles (on the record) that may write it; holding any one is enough.
    pub roles: &'static [Role],
    /// Whether it may be written only while it is unset (`None`): a decision is taken once.
    pub once: bool,
}

/// The rule of one list of entries of one kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryRule {
    /// The kind of record.
    pub kind: RecordKind,
    /// The list's key in the document's root map.
    pub list: &'static str,
    /// Roles (on the record) that may add entries, in their own name.
    pub append: &'static [Role],
    /// The fields of an existing entry that may be written, and by whom. Any other field is
    /// fixed once the entry exists; `withdrawn` is its author's (see the module docs).
    pub fields: &'static [EntryField],
}

/// The key of the mark by which an author withdraws their entry.
pub const WITHDRAWN: &str = "withdrawn";

const fn list(
    kind: RecordKind,
    list: &'static str,
    append: &'static [Role],
    fields: &'static [EntryField],
) -> EntryRule {
    EntryRule {
        kind,
        list,
        append,
        fields,
    }
}

const fn once(field: &'static str, roles: &'static [Role]) -> EntryField {
    EntryField {
        field,
        roles,
        once: true,
    }
}

const fn always(field: &'static str, roles: &'static [Role]) -> EntryField {
    EntryField {
        field,
        roles,
        once: false,
    }
}

/// Every list of entries of every kind of record and what may be done to its entries (see the
/// module docs for the rules every list shares, and why the research lists are as they are).
pub const ENTRY_RULES: &[EntryRule] = &[
    // 督办事项: the units report and ask, the office urges, reviews and decides.
    list(Duban, "progress", &[Handler, Supervisor], &[]),
    list(Duban, "urges", &[Supervisor], &[]),
    // Only a handler of the item files a 延期申请; the office decides it, once.
    list(
        Duban,
        "extension_requests",
        &[Handler],
        &[once("decision", &[Supervisor, Leader])],
    ),
    list(Duban, "reviews", &[Supervisor, Leader], &[]),
    list(Duban, "instructions", &[Leader], &[]),
    list(Duban, "site_checks", &[Handler, Supervisor], &[]),
    // 调研记录: each member's log is theirs; the team shares a visit's minutes.
    list(
        Research,
        "visits",
        &[Researcher],
        &[always("notes", &[Researcher])],
    ),
    list(
        Research,
        "findings",
        &[Researcher],
        &[once("duban_ref", &[Researcher])],
    ),
    list(
        Research,
        "suggestions",
        &[Researcher],
        &[
            always("status", &[Leader, Supervisor]),
            once("duban_ref", &[Researcher, Supervisor]),
        ],
    ),
    list(Research, "instructions", &[Leader], &[]),
    // 会议: the office prepares the agenda (a snapshot, never edited); the office or a leader
    // chairing marks dispositions (entries of their own, the latest counting, so marking one
    // never touches the snapshot) and records decisions; a decision's `duban_ref` is written
    // once, by the office when it makes the item. Meeting entries carry no withdrawal mark: a
    // later disposition replaces an earlier one.
    list(Meeting, "agenda", &[Supervisor], &[]),
    list(Meeting, "dispositions", &[Supervisor, Leader], &[]),
    list(
        Meeting,
        "decisions",
        &[Supervisor, Leader],
        &[once("duban_ref", &[Supervisor])],
    ),
];

/// The rule of list `list` of `kind`, if it is a list of entries.
pub fn entry_rule(kind: RecordKind, list: &str) -> Option<&'static EntryRule> {
    ENTRY_RULES
        .iter()
        .find(|rule| rule.kind == kind && rule.list == list)
}

fn holds(roles: &[Role], allowed: &[Role]) -> bool {
    roles.iter().any(|role| allowed.contains(role))
}

impl EntryRule {
    /// Whether someone holding `roles` on the record may add an entry.
    pub fn may_append(&self, roles: &[Role]) -> bool {
        holds(roles, self.append)
    }

    /// The rule of `field` of an existing entry, if it may ever be written.
    pub fn field(&self, field: &str) -> Option<&'static EntryField> {
        self.fields.iter().find(|f| f.field == field)
    }

    /// Whether someone holding `roles` may withdraw an entry they wrote.
    pub fn may_withdraw_own(&self, roles: &[Role]) -> bool {
        self.may_append(roles)
    }
}

impl EntryField {
    /// Whether someone holding `roles` may write this field.
    pub fn permits(&self, roles: &[Role]) -> bool {
        holds(roles, self.roles)
    }
}
