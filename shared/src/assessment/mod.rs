//! 考核: each unit's score for a month or a quarter, as pure functions of the rules and the
//! facts of the items the unit led or co-operated in.
//!
//! Every point is traceable: a unit's score is `base - Σ deductions + Σ additions`, and each
//! deduction or addition names one item and one rule. The rules are data that admins edit
//! ([`Rules`]); the facts come from the server's projection ([`ItemFacts`]); the clock is an
//! argument. So the same inputs always give the same [`Assessment`], which is what freezing a
//! period stores.
//!
//! What counts, in the window from the period's start to its end (or `now`, if earlier):
//! - 逾期 `overdue`: once per item that was open and past its deadline at some instant of the
//!   window;
//! - 反馈不及时 `late_feedback`: once per open item whose next periodic report fell due in the
//!   window and has not come (the projection knows the next due date only, so this is exact for
//!   the current period; freeze a period to keep it);
//! - 退回重办 `returned`: each closing request sent back in the window;
//! - 24小时未复命 `missed_first_response`: once per item whose 24-hour first response fell due in
//!   the window without a progress report before it;
//! - 通报 `bulletin`: each published 通报 that names the unit critically, counted in the periods
//!   that hold the last day of the 通报's own period (a 通报 for 2026-W49 counts in 2026-12 and
//!   2026-Q4, whenever it was published: the quarter's 通报 is written after the quarter), at
//!   full points, traced to the first item it names for the unit ([`BulletinFacts`]);
//! - 提前办结 `closed_early`: closed in the window on a calendar day before its deadline's;
//! - 评价优秀 `excellent`: evaluated 优秀 in the window.
//!
//! The lead unit takes a rule's full points, each co-operating unit `co_unit_share` of them.
//! A rule's points for one unit stop at its `cap`: items are taken in id order, and the entry
//! that reaches the cap is cut to what is left of it, so the entries still add up to the score.

mod bulletin;
mod period;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use bulletin::{BulletinFacts, Findings, Named, NamedUnit, findings};
pub use period::{InvalidPeriod, Period, PeriodKind};

use crate::derived::FIRST_RESPONSE_WITHIN;
use crate::records::Rating;
use crate::time::Timestamp;

string_enum! {
    /// A rule of the 考核: what earns or costs points.
    pub enum RuleKind("assessment rule") {
        /// 逾期: deducted.
        Overdue = "overdue",
        /// 反馈不及时: deducted.
        LateFeedback = "late_feedback",
        /// 退回重办: deducted.
        Returned = "returned",
        /// 24小时未复命: deducted.
        MissedFirstResponse = "missed_first_response",
        /// 被通报: deducted.
        Bulletin = "bulletin",
        /// 提前办结: added.
        ClosedEarly = "closed_early",
        /// 评价优秀: added.
        Excellent = "excellent",
    }
}

impl RuleKind {
    /// Whether the rule adds points (else it deducts them).
    pub fn adds(self) -> bool {
        matches!(self, Self::ClosedEarly | Self::Excellent)
    }
}

/// How many points one occurrence of a rule is worth, and the most it may count per unit and
/// period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Which rule.
    pub kind: RuleKind,
    /// Points per occurrence, at least 0; deducted or added as [`RuleKind::adds`] says.
    pub points: f64,
    /// The most points the rule counts for one unit in one period; none for no limit.
    pub cap: Option<f64>,
}

/// The rules of the 考核, as admins set them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// The score before any deduction or addition.
    pub base: f64,
    /// The share of a rule's points a co-operating unit takes (the lead unit takes all).
    pub co_unit_share: f64,
    /// One entry per rule; a rule missing here counts nothing.
    pub rules: Vec<Rule>,
}

impl Default for Rules {
    /// Base 100; deductions of 2 per overdue item (at most 20), 1 per late report (at most
    /// 10), 1 per 退回重办 (at most 10), 1 per missed first response (at most 10), 3 per 通报 (at
    /// most 9); additions of 1 per early closing (at most 5) and 2 per 优秀 (at most 6); a
    /// co-operating unit takes half.
    fn default() -> Self {
        let rule = |kind, points, cap| Rule {
            kind,
            points,
            cap: Some(cap),
        };
        Self {
            base: 100.0,
            co_unit_share: 0.5,
            rules: vec![
                rule(RuleKind::Overdue, 2.0, 20.0),
                rule(RuleKind::LateFeedback, 1.0, 10.0),
                rule(RuleKind::Returned, 1.0, 10.0),
                rule(RuleKind::MissedFirstResponse, 1.0, 10.0),
                rule(RuleKind::Bulletin, 3.0, 9.0),
                rule(RuleKind::ClosedEarly, 1.0, 5.0),
                rule(RuleKind::Excellent, 2.0, 6.0),
            ],
        }
    }
}

impl Rules {
    /// Why these rules cannot be used, if they cannot: numbers out of range, a rule twice.
    pub fn problem(&self) -> Option<String> {
        let sane = |x: f64, max: f64| x.is_finite() && (0.0..=max).contains(&x);
        if !sane(self.base, 1000.0) {
            return Some("base must be between 0 and 1000".into());
        }
        if !sane(self.co_unit_share, 1.0) {
            return Some("co_unit_share must be between 0 and 1".into());
        }
        let mut seen = BTreeSet::new();
        for rule in &self.rules {
            if !seen.insert(rule.kind.as_str()) {
                return Some(format!("rule {} is given twice", rule.kind));
            }
            if !sane(rule.points, 100.0) || rule.cap.is_some_and(|cap| !sane(cap, 1000.0)) {
                return Some(format!(
                    "rule {}: points and cap must be between 0 and 100 (cap 1000)",
                    rule.kind
                ));
            }
        }
        None
    }
}

/// What the 考核 needs to know about one 督办事项 (not a draft).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemFacts {
    /// The record's id.
    pub id: String,
    pub lead_unit: Option<String>,
    pub co_units: Vec<String>,
    /// Whether its status is open now (assigned, in progress, closing requested).
    pub is_open: bool,
    pub assigned_at: Option<Timestamp>,
    pub deadline: Option<Timestamp>,
    /// When it was closed (the review that passed it); none while not closed.
    pub closed_at: Option<Timestamp>,
    /// The earliest progress report.
    pub first_progress_at: Option<Timestamp>,
    /// When its next periodic report is due.
    pub feedback_due: Option<Timestamp>,
    /// The instants of the reviews that sent it back (退回重办).
    pub returned_at: Vec<Timestamp>,
    /// Its evaluation, if given: rating and when.
    pub evaluation: Option<(Rating, Timestamp)>,
}

/// The stretch of time facts are counted in: `[from, end)`.
#[derive(Debug, Clone, Copy)]
struct Window {
    from: Timestamp,
    end: Timestamp,
}

impl Window {
    fn holds(self, at: Timestamp) -> bool {
        self.from <= at && at < self.end
    }
}

impl ItemFacts {
    /// Whether the item is part of the unit's work in the window: assigned before its end and
    /// not closed before its start.
    fn active_in(&self, w: Window) -> bool {
        self.assigned_at.is_some_and(|at| at < w.end) && self.closed_at.is_none_or(|c| c >= w.from)
    }

    /// How many times each rule applies to the item in the window.
    fn occurrences(&self, w: Window) -> Vec<(RuleKind, usize)> {
        let mut found = Vec::new();
        let mut add = |kind, n: usize| {
            if n > 0 {
                found.push((kind, n));
            }
        };
        // Open and past the deadline at some instant of the window: the span from the deadline
        // (or the window's start) to the closing (or the window's end) is not empty. A
        // suspended item is neither open nor closed, and is never overdue.
        let overdue = self.deadline.is_some_and(|deadline| {
            (self.is_open || self.closed_at.is_some())
                && deadline.max(w.from) < self.closed_at.map_or(w.end, |c| c.min(w.end))
        });
        add(RuleKind::Overdue, usize::from(overdue));
        let late = self.is_open && self.feedback_due.is_some_and(|due| w.holds(due));
        add(RuleKind::LateFeedback, usize::from(late));
        add(
            RuleKind::Returned,
            self.returned_at.iter().filter(|at| w.holds(**at)).count(),
        );
        let missed = self
            .assigned_at
            .and_then(|at| at.checked_add(FIRST_RESPONSE_WITHIN))
            .is_some_and(|due| w.holds(due) && self.first_progress_at.is_none_or(|p| p > due));
        add(RuleKind::MissedFirstResponse, usize::from(missed));
        let early = match (self.closed_at, self.deadline) {
            (Some(closed), Some(deadline)) => {
                w.holds(closed) && closed.local_date() < deadline.local_date()
            }
            _ => false,
        };
        add(RuleKind::ClosedEarly, usize::from(early));
        let excellent = self
            .evaluation
            .is_some_and(|(rating, at)| rating == Rating::Excellent && w.holds(at));
        add(RuleKind::Excellent, usize::from(excellent));
        found
    }

    /// The units the item counts for, each with its share: the lead unit first.
    fn shares(&self, co_unit_share: f64) -> Vec<(&str, f64)> {
        let mut shares: Vec<(&str, f64)> =
            self.lead_unit.iter().map(|u| (u.as_str(), 1.0)).collect();
        for unit in &self.co_units {
            if !shares.iter().any(|(u, _)| u == unit) {
                shares.push((unit.as_str(), co_unit_share));
            }
        }
        shares
    }
}

/// One traceable point entry: an item, a rule, how many points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Points {
    pub record_id: String,
    pub rule: RuleKind,
    pub points: f64,
    /// The 通报 behind a `bulletin` deduction (its id); absent for every other rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulletin: Option<String>,
}

/// One unit's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitScore {
    pub unit: String,
    pub score: f64,
    /// 1 for the highest score; equal scores share a rank (1, 1, 3).
    pub rank: u32,
    /// How many items the unit led or co-operated in during the period.
    pub items: u32,
    pub deductions: Vec<Points>,
    pub additions: Vec<Points>,
}

/// The 考核 of one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// `2026-Q4` or `2026-12`.
    pub period: String,
    /// The period's first instant and the first after it (ms).
    pub from: i64,
    pub to: i64,
    /// The instant the facts were counted up to (ms): the period's end, or "now" before it.
    pub counted_to: i64,
    /// By rank, then unit id.
    pub units: Vec<UnitScore>,
}

/// Rounds to hundredths, so shares and sums print as people write them.
fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The 考核 of `period` as of `now`: every unit in `units` and every unit named by an item in
/// the period, scored by `rules` over `items`.
pub fn assess(
    period: Period,
    now: Timestamp,
    rules: &Rules,
    units: &[String],
    items: &[ItemFacts],
) -> Assessment {
    assess_with(period, now, rules, units, items, &[])
}

/// [`assess`], with the published 通报 that may count in the period.
pub fn assess_with(
    period: Period,
    now: Timestamp,
    rules: &Rules,
    units: &[String],
    items: &[ItemFacts],
    bulletins: &[BulletinFacts],
) -> Assessment {
    let (from, to) = period.bounds();
    let window = Window {
        from,
        end: to.min(now).max(from),
    };
    let mut by_unit: BTreeMap<&str, (u32, Vec<Points>, Vec<Points>)> = units
        .iter()
        .map(|u| (u.as_str(), Default::default()))
        .collect();
    let mut used: BTreeMap<(&str, RuleKind), f64> = BTreeMap::new();
    let mut sorted: Vec<&ItemFacts> = items.iter().filter(|i| i.active_in(window)).collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    for item in sorted {
        let occurrences = item.occurrences(window);
        for (unit, share) in item.shares(rules.co_unit_share) {
            let entry = by_unit.entry(unit).or_default();
            entry.0 += 1;
            for &(kind, n) in &occurrences {
                let Some(rule) = rules.rules.iter().find(|r| r.kind == kind) else {
                    continue;
                };
                let spent = used.entry((unit, kind)).or_default();
                let room = rule.cap.map_or(f64::INFINITY, |cap| cents(cap - *spent));
                // `n as f64` is exact: an item has far fewer than 2^52 occurrences of a rule.
                #[allow(clippy::cast_precision_loss)]
                let points = cents((rule.points * share * n as f64).min(room));
                if points <= 0.0 {
                    continue;
                }
                *spent += points;
                let list = if kind.adds() {
                    &mut entry.2
                } else {
                    &mut entry.1
                };
                list.push(Points {
                    record_id: item.id.clone(),
                    rule: kind,
                    points,
                    bulletin: None,
                });
            }
        }
    }
    let bulletin_rule = rules.rules.iter().find(|r| r.kind == RuleKind::Bulletin);
    let mut counted: Vec<&BulletinFacts> =
        bulletins.iter().filter(|b| b.counts_in(period)).collect();
    counted.sort_by(|a, b| a.id.cmp(&b.id));
    for bulletin in counted {
        let Some(rule) = bulletin_rule else { break };
        for (unit, record_id) in &bulletin.units {
            let entry = by_unit.entry(unit.as_str()).or_default();
            let spent = used.entry((unit.as_str(), RuleKind::Bulletin)).or_default();
            let room = rule.cap.map_or(f64::INFINITY, |cap| cents(cap - *spent));
            let points = cents(rule.points.min(room));
            if points <= 0.0 {
                continue;
            }
            *spent += points;
            entry.1.push(Points {
                record_id: record_id.clone(),
                rule: RuleKind::Bulletin,
                points,
                bulletin: Some(bulletin.id.clone()),
            });
        }
    }
    let mut scores: Vec<UnitScore> = by_unit
        .into_iter()
        .map(|(unit, (items, deductions, additions))| {
            let minus: f64 = deductions.iter().map(|p| p.points).sum();
            let plus: f64 = additions.iter().map(|p| p.points).sum();
            UnitScore {
                unit: unit.to_owned(),
                score: cents(rules.base - minus + plus),
                rank: 0,
                items,
                deductions,
                additions,
            }
        })
        .collect();
    scores.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.unit.cmp(&b.unit))
    });
    let ranks: Vec<u32> = scores
        .iter()
        .map(|s| {
            let higher = scores.iter().filter(|o| o.score > s.score).count();
            u32::try_from(higher).unwrap_or(u32::MAX).saturating_add(1)
        })
        .collect();
    for (score, rank) in scores.iter_mut().zip(ranks) {
        score.rank = rank;
    }
    Assessment {
        period: period.to_string(),
        from: from.millis(),
        to: to.millis(),
        counted_to: window.end.millis(),
        units: scores,
    }
}

impl Assessment {
    /// Only the rows of `units`: what a unit's staff may see.
    pub fn only(mut self, units: &[String]) -> Self {
        self.units.retain(|s| units.contains(&s.unit));
        self
    }
}
