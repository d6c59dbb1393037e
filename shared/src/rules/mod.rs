//! Who may do what, as data.
//!
//! Three tables, each a `const` slice that the server, the tests and the web app can enumerate:
//! - [`TRANSITIONS`]: the status machines of both kinds of record, with the roles allowed to make
//!   each move;
//! - [`FIELD_RULES`]: for every top-level field of a record, who may change it;
//! - [`ENTRY_RULES`]: for every list of entries, who may add one and which fields of an existing
//!   entry may be written, by whom and how often (entries are never removed, only withdrawn by
//!   their author);
//! - [`Role`]: the roles themselves, and [`access::READS_EVERYTHING`], those that read every
//!   record.
//!
//! [`check_change`] applies the tables to a change (two hydrated states of one record) and names
//! every forbidden field or entry; [`forged_authors`] names every field that names a person
//! (`by`, `decision.by`, `created_by`...) written in someone else's name. Both are pure, so the
//! phone can run them before sending and the server runs them again on what arrives.

pub mod access;
mod assign;
mod check;
mod entries;
mod fields;
mod resume;
mod shape;
mod structure;

pub use assign::missing_for_assignment;
pub use check::{
    EntryProblem, Forgery, Problem, Violation, check_change, forged_authors, roles_on,
};
pub use entries::{ENTRY_RULES, EntryField, EntryRule, WITHDRAWN, entry_rule};
pub use fields::{FIELD_RULES, FieldAccess, FieldRule, field_rule};
pub use resume::{resume_target, suspended_from};
pub use shape::entry_fields;
pub use structure::{ParentProblem, parent_problem};

use Role::{Handler, Leader, Researcher, Supervisor};

use crate::records::{
    DubanStatus as D, MeetingStatus as M, RecordKind, ResearchStatus as R, Status,
};

string_enum! {
    /// A role a user holds. A user may hold several; permissions are the union of theirs.
    pub enum Role("role") {
        /// 系统管理员: manages users, units and roles; reads everything; edits no record.
        Admin = "admin",
        /// 领导: reads all; adds 批示; reviews closings; evaluates; approves and adopts research.
        Leader = "leader",
        /// 督办员: creates, assigns and edits 督办事项; urges; reviews and closes; evaluates.
        Supervisor = "supervisor",
        /// 承办人: reports progress and site checks, requests extensions and closing.
        Handler = "handler",
        /// 调研员: runs research records they lead or are a member of.
        Researcher = "researcher",
        /// 查看者: reads what their unit may read.
        Viewer = "viewer",
    }
}

/// One allowed move of a status machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The status the record is in.
    pub from: Status,
    /// The status it moves to.
    pub to: Status,
    /// Roles that may make the move; holding any one of them is enough.
    pub roles: &'static [Role],
    /// The name of the move as users say it, e.g. 办结审核通过.
    pub action: &'static str,
}

impl Transition {
    /// The kind of record this move belongs to.
    pub fn kind(&self) -> RecordKind {
        self.from.kind()
    }

    /// Whether someone holding `roles` may make this move.
    pub fn permits(&self, roles: &[Role]) -> bool {
        roles.iter().any(|role| self.roles.contains(role))
    }
}

const fn duban(from: D, to: D, roles: &'static [Role], action: &'static str) -> Transition {
    Transition {
        from: Status::Duban(from),
        to: Status::Duban(to),
        roles,
        action,
    }
}

const fn research(from: R, to: R, roles: &'static [Role], action: &'static str) -> Transition {
    Transition {
        from: Status::Research(from),
        to: Status::Research(to),
        roles,
        action,
    }
}

const fn meeting(from: M, to: M, roles: &'static [Role], action: &'static str) -> Transition {
    Transition {
        from: Status::Meeting(from),
        to: Status::Meeting(to),
        roles,
        action,
    }
}

/// Every allowed status move of every kind of record. A move not listed is refused.
///
/// 延期 is not a status: an approved extension is a change of `deadline`.
pub const TRANSITIONS: &[Transition] = &[
    duban(D::Draft, D::Assigned, &[Supervisor], "交办"),
    duban(
        D::Assigned,
        D::InProgress,
        &[Handler, Supervisor],
        "签收办理",
    ),
    duban(D::InProgress, D::ClosingRequested, &[Handler], "申请办结"),
    duban(
        D::ClosingRequested,
        D::Closed,
        &[Supervisor, Leader],
        "办结审核通过",
    ),
    duban(
        D::ClosingRequested,
        D::InProgress,
        &[Supervisor, Leader],
        "退回重办",
    ),
    duban(D::Closed, D::Evaluated, &[Supervisor, Leader], "评价"),
    // 中止 applies to every open status (see `DubanStatus::is_open`).
    duban(D::Assigned, D::Suspended, &[Supervisor], "中止"),
    duban(D::InProgress, D::Suspended, &[Supervisor], "中止"),
    duban(D::ClosingRequested, D::Suspended, &[Supervisor], "中止"),
    // 恢复办理 returns the item to the status it was suspended from (see `resume_target`).
    duban(D::Suspended, D::Assigned, &[Supervisor], "恢复办理"),
    duban(D::Suspended, D::InProgress, &[Supervisor], "恢复办理"),
    duban(D::Suspended, D::ClosingRequested, &[Supervisor], "恢复办理"),
    research(R::Proposed, R::Approved, &[Leader, Supervisor], "立项"),
    research(R::Approved, R::Fieldwork, &[Researcher], "开始调研"),
    research(R::Fieldwork, R::Drafting, &[Researcher], "撰写报告"),
    research(R::Drafting, R::Submitted, &[Researcher], "提交报告"),
    research(R::Submitted, R::Adopted, &[Leader], "采纳"),
    research(R::Submitted, R::Archived, &[Leader], "归档"),
    research(R::Submitted, R::Drafting, &[Leader], "退回修改"),
    // The office runs meetings; a leader chairing one may open and close it too. Closing makes
    // the server apply the dispositions in the chair's name (`server::meetings`).
    meeting(M::Draft, M::Open, &[Supervisor, Leader], "开始会议"),
    meeting(M::Open, M::Closed, &[Supervisor, Leader], "结束会议"),
];

/// The moves of one kind of record, in table order.
pub fn transitions(kind: RecordKind) -> impl Iterator<Item = &'static Transition> {
    TRANSITIONS.iter().filter(move |t| t.kind() == kind)
}

/// Whether someone holding `roles` may move a record of `kind` from `from` to `to`.
///
/// False for statuses of another kind, for staying in place (not a move) and for any move not
/// in [`TRANSITIONS`].
pub fn transition_allowed(kind: RecordKind, from: Status, to: Status, roles: &[Role]) -> bool {
    transitions(kind).any(|t| t.from == from && t.to == to && t.permits(roles))
}

#[cfg(test)]
mod entry_tests;
#[cfg(test)]
mod meeting_tests;
#[cfg(test)]
mod tests;
