//! 通报: which units a bulletin of a period names, drafted from the same facts and the same
//! rules of counting as the 考核, and what a published one costs in the 考核.
//!
//! A 通报 names the lead unit (主办单位) of each item, the unit accountable for it:
//! - 通报批评 (criticised) for an item that was overdue, whose periodic report was late, or that
//!   was sent back (退回重办) in the period;
//! - 通报表扬 (praised) for an item closed before its deadline's day, or evaluated 优秀, in it.
//!
//! A unit is listed once per list, with its items by id; units with more items first.

use std::collections::BTreeMap;

use super::{ItemFacts, Period, RuleKind, Window};
use crate::time::Timestamp;

/// The rules that name a unit critically.
const CRITICAL: [RuleKind; 3] = [
    RuleKind::Overdue,
    RuleKind::LateFeedback,
    RuleKind::Returned,
];
/// The rules that praise it.
const PRAISE: [RuleKind; 2] = [RuleKind::ClosedEarly, RuleKind::Excellent];

/// An item a 通报 names, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    pub record_id: String,
    /// The rules that applied, in [`RuleKind`] order.
    pub reasons: Vec<RuleKind>,
}

/// A unit a 通报 names, with the items behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedUnit {
    pub unit: String,
    pub items: Vec<Named>,
}

/// What a 通报 of a period says, drafted from the data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Findings {
    /// 通报批评.
    pub criticised: Vec<NamedUnit>,
    /// 通报表扬.
    pub praised: Vec<NamedUnit>,
}

/// The units and items a 通报 of `period` names, counted up to `now` (as the 考核 counts).
pub fn findings(period: Period, now: Timestamp, items: &[ItemFacts]) -> Findings {
    let (from, to) = period.bounds();
    let window = Window {
        from,
        end: to.min(now).max(from),
    };
    let mut criticised: BTreeMap<&str, Vec<Named>> = BTreeMap::new();
    let mut praised: BTreeMap<&str, Vec<Named>> = BTreeMap::new();
    let mut sorted: Vec<&ItemFacts> = items.iter().filter(|i| i.active_in(window)).collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    for item in sorted {
        let Some(unit) = item.lead_unit.as_deref() else {
            continue;
        };
        let found: Vec<RuleKind> = item
            .occurrences(window)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        for (rules, list) in [
            (&CRITICAL[..], &mut criticised),
            (&PRAISE[..], &mut praised),
        ] {
            let reasons: Vec<RuleKind> = rules
                .iter()
                .copied()
                .filter(|k| found.contains(k))
                .collect();
            if !reasons.is_empty() {
                list.entry(unit).or_default().push(Named {
                    record_id: item.id.clone(),
                    reasons,
                });
            }
        }
    }
    let ordered = |map: BTreeMap<&str, Vec<Named>>| {
        let mut units: Vec<NamedUnit> = map
            .into_iter()
            .map(|(unit, items)| NamedUnit {
                unit: unit.to_owned(),
                items,
            })
            .collect();
        // Stable: equal counts stay in unit id order.
        units.sort_by_key(|u| std::cmp::Reverse(u.items.len()));
        units
    };
    Findings {
        criticised: ordered(criticised),
        praised: ordered(praised),
    }
}

/// A published 通报 as the 考核 sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct BulletinFacts {
    /// The 通报's id.
    pub id: String,
    /// The period it is about.
    pub period: Period,
    /// Each unit it names critically, with the first item it names for it: the item its
    /// deduction is traced to.
    pub units: Vec<(String, String)>,
}

impl BulletinFacts {
    /// Whether it counts in the 考核 of `period`: when `period` holds the last day of its own.
    pub(super) fn counts_in(&self, period: Period) -> bool {
        let (from, to) = period.bounds();
        let (_, end) = self.period.bounds();
        end.checked_add(chrono::TimeDelta::milliseconds(-1))
            .is_some_and(|last| from <= last && last < to)
    }
}
