//! 会议: a 周会 / 月度会 / 专题会 that reviews the 工作清单 and rolls it forward.
//!
//! The shape keeps every part of a meeting a trace (留痕) under the field table's list rules:
//! - `agenda[]` entries are snapshots of the items discussed, taken when the meeting opens and
//!   never rewritten (append only, for everyone);
//! - the meeting's disposition of an agenda item is an entry of its own in `dispositions[]`
//!   (append only), not a field of the agenda entry, so that marking one cannot touch the
//!   snapshot; a changed mind is a later entry, and the latest one counts
//!   ([`Meeting::effective_disposition`]);
//! - `decisions[]` (会议纪要) are appended; the office later writes `duban_ref` into one when it
//!   becomes a 督办事项;
//! - `applied[]` is written by the server only, when it applies the dispositions of a closed
//!   meeting to the items, one entry per agenda entry: it is what makes applying happen once.

use autosurgeon::{Hydrate, Reconcile};

use super::duban::{DubanItem, Urgency};
use super::status::{DubanStatus, MeetingStatus};
use crate::document_id::DocumentId;
use crate::time::Timestamp;

string_enum! {
    /// 会议类型.
    pub enum MeetingKind("meeting kind") {
        /// 周会
        Weekly = "weekly",
        /// 月度会
        Monthly = "monthly",
        /// 专题会
        Thematic = "thematic",
        /// 其他
        Other = "other",
    }
}

string_enum! {
    /// What the meeting decided for an item on its agenda.
    pub enum DispositionKind("disposition") {
        /// 继续跟踪: nothing changes.
        Continue = "continue",
        /// 销号: the office closes the item.
        Close = "close",
        /// 调整时限: the item gets a new deadline.
        Reschedule = "reschedule",
        /// 升级: the item becomes urgent and major.
        Escalate = "escalate",
    }
}

/// One item discussed, as the list showed it when the meeting opened.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct AgendaItem {
    /// Unique within the meeting.
    #[key]
    pub id: String,
    /// When the snapshot was taken.
    pub at: Timestamp,
    /// User id of who took it.
    pub by: String,
    /// The 督办事项's document.
    pub record: DocumentId,
    /// Its title then.
    pub title: String,
    /// Its lead unit then.
    #[autosurgeon(missing = "Option::default")]
    pub lead_unit: Option<String>,
    /// Its status then.
    pub status: DubanStatus,
    /// Its light then (`green`, `yellow`, `red`, as `derived::Light` names them), none when
    /// the item was not open.
    #[autosurgeon(missing = "Option::default")]
    pub light: Option<String>,
    /// Its deadline then.
    #[autosurgeon(missing = "Option::default")]
    pub deadline: Option<Timestamp>,
    /// Its latest progress report then.
    #[autosurgeon(missing = "Option::default")]
    pub latest_progress: Option<String>,
}

/// The meeting's disposition of one agenda entry.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Disposition {
    /// Unique within the meeting.
    #[key]
    pub id: String,
    /// When it was marked.
    pub at: Timestamp,
    /// User id of who marked it.
    pub by: String,
    /// The agenda entry it concerns.
    pub agenda_id: String,
    /// 继续跟踪 / 销号 / 调整时限 / 升级.
    pub kind: DispositionKind,
    /// The new deadline, for 调整时限.
    #[autosurgeon(missing = "Option::default")]
    pub new_deadline: Option<Timestamp>,
    /// The meeting's note on it.
    #[autosurgeon(missing = "Option::default")]
    pub note: Option<String>,
}

/// One 会议纪要 entry.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Decision {
    /// Unique within the meeting.
    #[key]
    pub id: String,
    /// When it was recorded.
    pub at: Timestamp,
    /// User id of who recorded it.
    pub by: String,
    /// What was decided.
    pub text: String,
    /// Unit id of the unit that carries it out, if named.
    #[autosurgeon(missing = "Option::default")]
    pub owner_unit: Option<String>,
    /// When it is due, if said.
    #[autosurgeon(missing = "Option::default")]
    pub due: Option<Timestamp>,
    /// The 督办事项 made from it (its `source_ref` names this meeting and entry).
    #[autosurgeon(missing = "Option::default")]
    pub duban_ref: Option<DocumentId>,
}

/// The server's mark that the disposition of one agenda entry was applied to its item.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Applied {
    /// The agenda entry's id: one mark per entry (the server applies a meeting under a lock, so
    /// it never writes two).
    #[key]
    pub id: String,
    /// When it was applied.
    pub at: Timestamp,
    /// User id of the chair, to whom the change of the item is attributed.
    pub by: String,
    /// The disposition applied.
    pub disposition_id: String,
    /// The item changed.
    pub record: DocumentId,
}

/// 会议: one meeting, stored as one Automerge document with `type = "meeting"`.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Meeting {
    /// 周会 / 月度会 / 专题会 / 其他.
    pub kind: MeetingKind,
    /// E.g. 第49周督办周会.
    pub title: String,
    /// When it is (or was) held.
    pub held_at: Timestamp,
    /// User id of the chair: the dispositions are applied in their name.
    pub chair: String,
    /// User ids of those attending; they read the meeting (agenda included).
    pub attendees: Vec<String>,
    /// Unit id of the unit holding it.
    pub unit: String,
    /// 筹备 / 进行中 / 已结束; changed only along [`crate::rules::TRANSITIONS`].
    pub status: MeetingStatus,
    /// User id of the creator.
    pub created_by: String,
    /// When the record was created.
    pub created_at: Timestamp,
    /// The items discussed, as they stood when the meeting opened.
    #[autosurgeon(hydrate = "super::reader::entries")]
    pub agenda: Vec<AgendaItem>,
    /// The meeting's dispositions of agenda entries; the latest per entry counts.
    #[autosurgeon(hydrate = "super::reader::entries")]
    pub dispositions: Vec<Disposition>,
    /// 会议纪要.
    #[autosurgeon(hydrate = "super::reader::entries")]
    pub decisions: Vec<Decision>,
    /// Dispositions applied to the items (written by the server).
    #[autosurgeon(hydrate = "super::reader::entries")]
    pub applied: Vec<Applied>,
}

impl Meeting {
    /// The disposition that counts for agenda entry `agenda_id`: the latest by time, ties
    /// broken by id so that every replica picks the same one after an offline merge.
    pub fn effective_disposition(&self, agenda_id: &str) -> Option<&Disposition> {
        self.dispositions
            .iter()
            .filter(|d| d.agenda_id == agenda_id)
            .max_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)))
    }

    /// The agenda entries whose disposition is still to be applied, each with it: none until
    /// the meeting is closed, and never an entry already in `applied`.
    pub fn pending_dispositions(&self) -> Vec<(&AgendaItem, &Disposition)> {
        if self.status != MeetingStatus::Closed {
            return Vec::new();
        }
        self.agenda
            .iter()
            .filter(|a| !self.applied.iter().any(|done| done.id == a.id))
            .filter_map(|a| self.effective_disposition(&a.id).map(|d| (a, d)))
            .collect()
    }
}

/// What applying `disposition` does to `item`, made by `chair` at `now`: `true` when the item
/// changed. 销号 closes it with a passing review in the chair's name (so it has a closing date
/// like any closed item); 调整时限 moves the deadline; 升级 makes it urgent and major;
/// 继续跟踪 changes nothing. Applying the same disposition twice changes nothing the second
/// time, except that a 销号 of an item already closed adds no second review.
pub fn apply_disposition(
    item: &mut DubanItem,
    disposition: &Disposition,
    meeting_title: &str,
    chair: &str,
    now: Timestamp,
) -> bool {
    let before = item.clone();
    match disposition.kind {
        DispositionKind::Continue => {}
        DispositionKind::Close => {
            if item.status.is_open() {
                let opinion = match &disposition.note {
                    Some(note) if !note.trim().is_empty() => format!("{meeting_title}销号：{note}"),
                    _ => format!("{meeting_title}销号"),
                };
                item.reviews.push(super::Review {
                    id: format!("meeting-{}", disposition.id),
                    at: now,
                    by: chair.to_owned(),
                    withdrawn: None,
                    verdict: super::Verdict::Pass,
                    opinion,
                });
                item.status = DubanStatus::Closed;
            }
        }
        DispositionKind::Reschedule => {
            if let Some(deadline) = disposition.new_deadline {
                item.deadline = Some(deadline);
            }
        }
        DispositionKind::Escalate => {
            item.urgency = Urgency::Urgent;
            item.is_major = true;
        }
    }
    *item != before
}
