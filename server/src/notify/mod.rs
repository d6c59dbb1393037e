//! Notifications: nothing that happens to a record, or comes due, slips by unseen.
//!
//! - [`events`]: events from reviewed changes, a pure function of (record before, record
//!   after, acting user). The document task collects them while it reviews and hands them to
//!   the projector, which writes them in the same transaction as the record's row
//!   ([`store::insert`]).
//! - [`reminders`]: reminders from time and the projection (24小时复命, deadlines, periodic
//!   feedback, milestones), in Asia/Shanghai, each once per item and occasion.
//! - [`store`]: `notify_events`, one row per event with a unique key; from each, one inbox
//!   entry per addressee (`inbox_entries`, read by `api::inbox`) and one outbox message per
//!   matching channel (`notify_outbox`), all with `on conflict do nothing`, so two processes
//!   reviewing one change or running the reminder job at once produce each thing once.
//! - [`digest`]: the daily digest per channel (每日汇总), once per channel and day;
//!   [`clock`]: times of day in Asia/Shanghai (the digest's hour, quiet hours).
//! - [`push`]: Web Push to users' devices, with their preferences and quiet hours;
//!   [`webpush`]: its encryption and VAPID signature.
//! - [`channels`]: the message formats and signatures of 企业微信, 钉钉, 飞书 and webhooks;
//!   [`target`]: which URLs may be sent to; [`outbox`]: the delivery workers.

pub mod channels;
pub mod clock;
pub mod digest;
pub mod events;
pub mod outbox;
pub mod push;
pub mod reminders;
pub mod store;
pub mod target;
pub mod webpush;

pub use events::Event;

/// What the API needs of the notification settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `DUYAN_NOTIFY_ALLOW_PRIVATE`: channels may target private and loopback addresses.
    pub allow_private: bool,
    /// `DUYAN_DIGEST_AT`: the daily digest's hour for channels created without one (`None`:
    /// such channels get no digest).
    pub digest_at: Option<chrono::NaiveTime>,
    /// The VAPID key for Web Push (`DUYAN_VAPID_PRIVATE_KEY`); none: no Web Push.
    pub vapid: Option<std::sync::Arc<webpush::Vapid>>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            allow_private: false,
            digest_at: clock::parse_hm(digest::DEFAULT_AT),
            vapid: None,
        }
    }
}

macro_rules! kinds {
    ($($variant:ident = $name:literal, $label:literal;)*) => {
        /// What an event is about. Its string is what the API, the channels' filters and the
        /// web app use.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventKind {
            $($variant,)*
        }

        impl EventKind {
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant,)*];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $(EventKind::$variant => $name,)*
                }
            }

            /// The kind in Chinese, as messages name it.
            pub const fn label(self) -> &'static str {
                match self {
                    $(EventKind::$variant => $label,)*
                }
            }

            pub fn parse(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|k| k.as_str() == name)
            }
        }
    };
}

kinds! {
    Assigned = "assigned", "交办";
    Urged = "urged", "催办";
    Returned = "returned", "退回重办";
    Reviewed = "reviewed", "办结审核";
    Instructed = "instructed", "领导批示";
    ClosingRequested = "closing_requested", "申请办结";
    ExtensionRequested = "extension_requested", "延期申请";
    ExtensionDecided = "extension_decided", "延期审批";
    Evaluated = "evaluated", "评价";
    FindingAssigned = "finding_assigned", "调研发现转办";
    ResponseDueSoon = "reminder_response_due", "24小时复命将到期";
    ResponseOverdue = "reminder_response_overdue", "24小时复命已超时";
    DeadlineSoon = "reminder_deadline_soon", "期限将至";
    DeadlineToday = "reminder_deadline_today", "今日到期";
    DeadlineOverdue = "reminder_deadline_overdue", "已超期";
    FeedbackDue = "reminder_feedback_due", "今日应反馈";
    FeedbackLate = "reminder_feedback_late", "反馈已逾期";
    MilestoneDue = "reminder_milestone_due", "节点到期";
}

/// The public address of the web app (`DUYAN_PUBLIC_URL`), for links in outside messages.
pub fn record_link(public_url: &str, record_kind: &str, record_id: &str) -> String {
    let base = public_url.trim_end_matches('/');
    format!("{base}{}", record_path(record_kind, record_id))
}

/// The web app's path of a record (its screen), e.g. `/items/<id>`.
pub fn record_path(record_kind: &str, record_id: &str) -> String {
    let path = if record_kind == "research" {
        "research"
    } else {
        "items"
    };
    format!("/{path}/{record_id}")
}

/// The system clock as a [`duyan_shared::time::Timestamp`].
pub fn now() -> duyan_shared::time::Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    duyan_shared::time::Timestamp::from_millis(millis)
        .unwrap_or_else(|| duyan_shared::time::Timestamp::from(chrono::DateTime::UNIX_EPOCH))
}
