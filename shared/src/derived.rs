//! Values derived from a 督办事项 and a clock: never stored, computed the same way on the phone
//! (offline) and on the server.
//!
//! Every function takes `now` as an argument; nothing here reads the system clock, so a view
//! rendered offline and a report rendered on the server agree for the same instant, and tests
//! can pin any instant. Calendar days are counted in Asia/Shanghai ([`crate::time::ZONE`]).

use chrono::{Months, TimeDelta};

use crate::records::{DubanItem, FeedbackCycle, Milestone, Progress, Verdict};
use crate::time::Timestamp;

/// An item is "due soon" (yellow) when this many calendar days or fewer are left.
pub const DUE_SOON_DAYS: i64 = 3;

/// 24小时复命: the first progress report is due this long after assignment.
pub const FIRST_RESPONSE_WITHIN: TimeDelta = TimeDelta::hours(24);

string_enum! {
    /// 红黄绿灯: how an open item is doing.
    pub enum Light("light") {
        /// On track.
        Green = "green",
        /// Needs attention: see [`Concern`].
        Yellow = "yellow",
        /// Overdue.
        Red = "red",
    }
}

string_enum! {
    /// A reason for an item's light not to be green, so the UI can say why.
    pub enum Concern("concern") {
        /// Red: the deadline has passed and the item is still open.
        Overdue = "overdue",
        /// Yellow: [`DUE_SOON_DAYS`] calendar days or fewer are left.
        DueSoon = "due_soon",
        /// Yellow, behind planned pace: a milestone's due time has passed and it is not done.
        MilestoneMissed = "milestone_missed",
        /// Yellow: 24 hours have passed since assignment and nobody has reported progress.
        FirstResponseLate = "first_response_late",
        /// Yellow: the feedback cycle's report is late (see [`next_feedback_due`]).
        FeedbackLate = "feedback_late",
    }
}

impl Concern {
    /// The light this concern alone gives.
    pub fn light(self) -> Light {
        match self {
            Self::Overdue => Light::Red,
            _ => Light::Yellow,
        }
    }
}

/// Whether the item is open and `now` is past its deadline. An item due at 23:59 is not
/// overdue at 23:59 itself, only after. Closed, evaluated, suspended and draft items are never
/// overdue.
pub fn is_overdue(item: &DubanItem, now: Timestamp) -> bool {
    item.status.is_open() && item.deadline.is_some_and(|deadline| now > deadline)
}

/// Calendar days from `now` to the deadline, both taken as dates in Asia/Shanghai; negative
/// once the deadline's date has passed; `None` without a deadline.
///
/// A deadline of 2026-11-22 23:59 seen at 2026-11-21 23:30 has 1 day left; seen at
/// 2026-11-22 00:10 it has 0 days left (and is not overdue).
pub fn days_left(item: &DubanItem, now: Timestamp) -> Option<i64> {
    let deadline = item.deadline?;
    Some((deadline.local_date() - now.local_date()).num_days())
}

/// When the first response (24小时复命) is due: [`FIRST_RESPONSE_WITHIN`] after `assigned_at`;
/// `None` before assignment.
pub fn first_response_due(item: &DubanItem) -> Option<Timestamp> {
    item.assigned_at?.checked_add(FIRST_RESPONSE_WITHIN)
}

/// Whether the item is open, its first response is due and no progress has been reported.
/// Once any progress is reported the concern is gone, even if the report came late.
pub fn is_first_response_late(item: &DubanItem, now: Timestamp) -> bool {
    item.status.is_open()
        && item.progress.is_empty()
        && first_response_due(item).is_some_and(|due| now > due)
}

/// When progress was last reported (the latest `at` of the progress entries).
pub fn last_feedback(item: &DubanItem) -> Option<Timestamp> {
    item.progress.iter().map(|p| p.at).max()
}

/// How long ago progress was last reported; `None` if never.
pub fn last_feedback_age(item: &DubanItem, now: Timestamp) -> Option<TimeDelta> {
    last_feedback(item).map(|at| now.since(at))
}

/// When the next periodic report is due: one cycle after the last report, or after assignment
/// if there is none yet. Weekly is 7 days, biweekly 14, monthly one calendar month in
/// Asia/Shanghai (Jan 31 + 1 month = the last day of February). `None` without a cycle or
/// before assignment.
pub fn next_feedback_due(item: &DubanItem) -> Option<Timestamp> {
    let since = last_feedback(item).or(item.assigned_at)?;
    match item.feedback_cycle {
        FeedbackCycle::None => None,
        FeedbackCycle::Weekly => since.checked_add(TimeDelta::days(7)),
        FeedbackCycle::Biweekly => since.checked_add(TimeDelta::days(14)),
        FeedbackCycle::Monthly => since
            .local()
            .checked_add_months(Months::new(1))
            .map(|at| Timestamp::from(at.to_utc())),
    }
}

/// Whether the item is open and its periodic report is late.
pub fn is_feedback_late(item: &DubanItem, now: Timestamp) -> bool {
    item.status.is_open() && next_feedback_due(item).is_some_and(|due| now > due)
}

/// Milestones whose due time has passed without being done.
pub fn missed_milestones(item: &DubanItem, now: Timestamp) -> impl Iterator<Item = &Milestone> {
    item.milestones
        .iter()
        .filter(move |m| m.done_at.is_none() && now > m.due)
}

/// Every concern about an open item at `now`, most serious first; empty for items that are not
/// open.
pub fn concerns(item: &DubanItem, now: Timestamp) -> Vec<Concern> {
    if !item.status.is_open() {
        return Vec::new();
    }
    let due_soon =
        !is_overdue(item, now) && days_left(item, now).is_some_and(|d| d <= DUE_SOON_DAYS);
    [
        (Concern::Overdue, is_overdue(item, now)),
        (Concern::DueSoon, due_soon),
        (
            Concern::MilestoneMissed,
            missed_milestones(item, now).next().is_some(),
        ),
        (
            Concern::FirstResponseLate,
            is_first_response_late(item, now),
        ),
        (Concern::FeedbackLate, is_feedback_late(item, now)),
    ]
    .into_iter()
    .filter_map(|(concern, applies)| applies.then_some(concern))
    .collect()
}

/// The item's light at `now`: red when overdue; yellow when due within [`DUE_SOON_DAYS`] days or
/// behind (a missed milestone, a late first response or periodic report); green otherwise.
///
/// `None`, the neutral value, for items that are not open (draft, closed, evaluated,
/// suspended): nothing is running late for them.
pub fn light(item: &DubanItem, now: Timestamp) -> Option<Light> {
    item.status.is_open().then(|| {
        concerns(item, now)
            .into_iter()
            .map(Concern::light)
            .max()
            .unwrap_or(Light::Green)
    })
}

/// When the item was closed: the time of the last review that passed it; `None` if none did.
pub fn closed_at(item: &DubanItem) -> Option<Timestamp> {
    item.reviews
        .iter()
        .filter(|r| r.verdict == Verdict::Pass)
        .map(|r| r.at)
        .max()
}

/// Progress entries written after the item was closed, e.g. made offline and synced late.
/// They are kept, and shown marked as late.
pub fn progress_after_closing(item: &DubanItem) -> impl Iterator<Item = &Progress> {
    let closed = closed_at(item).filter(|_| !item.status.is_open());
    item.progress
        .iter()
        .filter(move |p| closed.is_some_and(|closed| p.at > closed))
}

#[cfg(test)]
mod tests;
