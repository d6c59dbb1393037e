//! The kinds of record and their statuses. Who may move a record between statuses is decided in
//! [`crate::rules`]; this module only names them.

string_enum! {
    /// The kind of a record, stored as the document's `type`.
    pub enum RecordKind("record type") {
        /// 督办事项
        Duban = "duban",
        /// 调研记录
        Research = "research",
        /// 会议
        Meeting = "meeting",
    }
}

string_enum! {
    /// Where a 督办事项 stands.
    pub enum DubanStatus("duban status") {
        /// 草稿: being prepared by the office, not yet sent to the units.
        Draft = "draft",
        /// 已交办: sent to the lead unit, which has not started yet.
        Assigned = "assigned",
        /// 办理中: the units are working on it.
        InProgress = "in_progress",
        /// 申请办结: the lead unit asks to close it.
        ClosingRequested = "closing_requested",
        /// 已办结: the closing was reviewed and accepted.
        Closed = "closed",
        /// 已评价: the handling was evaluated; final.
        Evaluated = "evaluated",
        /// 中止: stopped by the office; it may be resumed.
        Suspended = "suspended",
    }
}

impl DubanStatus {
    /// Whether the units are expected to be working on the item: assigned, in progress or
    /// waiting for its closing review. Only open items run late, get lights and may be suspended.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::Assigned | Self::InProgress | Self::ClosingRequested
        )
    }
}

string_enum! {
    /// Where a 调研课题 stands.
    pub enum ResearchStatus("research status") {
        /// 选题: proposed, waiting for approval.
        Proposed = "proposed",
        /// 已立项: approved, fieldwork not started.
        Approved = "approved",
        /// 调研中: visits under way.
        Fieldwork = "fieldwork",
        /// 撰写中: the report is being written.
        Drafting = "drafting",
        /// 已提交: the report awaits the leaders' review.
        Submitted = "submitted",
        /// 已采纳: the report was adopted; final.
        Adopted = "adopted",
        /// 已归档: filed without adoption; final.
        Archived = "archived",
    }
}

string_enum! {
    /// Where a 会议 stands.
    pub enum MeetingStatus("meeting status") {
        /// 筹备: being prepared; no agenda yet.
        Draft = "draft",
        /// 进行中: opened, with the agenda snapshot taken.
        Open = "open",
        /// 已结束: closed; the server applies its dispositions to the items.
        Closed = "closed",
    }
}

/// The status of either kind of record, so that one transition table covers both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// A 督办事项's status.
    Duban(DubanStatus),
    /// A 调研记录's status.
    Research(ResearchStatus),
    /// A 会议's status.
    Meeting(MeetingStatus),
}

impl Status {
    /// The kind of record this status belongs to.
    pub fn kind(self) -> RecordKind {
        match self {
            Self::Duban(_) => RecordKind::Duban,
            Self::Research(_) => RecordKind::Research,
            Self::Meeting(_) => RecordKind::Meeting,
        }
    }

    /// The stored string, e.g. `in_progress`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Duban(s) => s.as_str(),
            Self::Research(s) => s.as_str(),
            Self::Meeting(s) => s.as_str(),
        }
    }

    /// Every status of `kind`, in the order of its life cycle.
    pub fn all(kind: RecordKind) -> Vec<Status> {
        match kind {
            RecordKind::Duban => DubanStatus::ALL.iter().copied().map(Self::Duban).collect(),
            RecordKind::Research => ResearchStatus::ALL
                .iter()
                .copied()
                .map(Self::Research)
                .collect(),
            RecordKind::Meeting => MeetingStatus::ALL
                .iter()
                .copied()
                .map(Self::Meeting)
                .collect(),
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<DubanStatus> for Status {
    fn from(status: DubanStatus) -> Self {
        Self::Duban(status)
    }
}

impl From<ResearchStatus> for Status {
    fn from(status: ResearchStatus) -> Self {
        Self::Research(status)
    }
}

impl From<MeetingStatus> for Status {
    fn from(status: MeetingStatus) -> Self {
        Self::Meeting(status)
    }
}
