//! What a new 通报 says before anyone edits it, written from the period's findings
//! (`duyan_shared::assessment::findings`), and the limits every text of a 通报 keeps.

use std::collections::HashMap;

use chrono::Datelike;
use duyan_shared::api::{BulletinItem, BulletinUnit};
use duyan_shared::assessment::{Findings, NamedUnit, Period, RuleKind};

use crate::api::ApiError;
use crate::documents::labels;

/// The longest title, in characters: two lines of 二号 across A4.
pub const MAX_TITLE: usize = 100;
/// The longest 总体情况 or 工作要求, in characters (a page of 三号 holds about 500; the API's
/// 16 KiB body limit holds both at their longest).
pub const MAX_TEXT: usize = 2000;
/// The longest remark on one unit, in characters.
pub const MAX_REMARK: usize = 300;
/// The most items listed per unit; the rest are counted (`more`). A 通报 names units; a long
/// list of one unit's items belongs in the ledger.
pub const MAX_ITEMS_PER_UNIT: usize = 20;

/// The period as people write it: 2026年12月, 2026年第四季度, 2026年第49周（11月30日至12月6日）.
pub fn period_label(period: Period) -> String {
    match period {
        Period::Month(year, month) => format!("{year}年{month}月"),
        Period::Quarter(year, quarter) => {
            let name = ["一", "二", "三", "四"]
                .get(usize::try_from(quarter).unwrap_or(0).wrapping_sub(1))
                .copied()
                .unwrap_or("");
            format!("{year}年第{name}季度")
        }
        Period::Week(year, week) => {
            let (from, to) = period.bounds();
            let last = to
                .checked_add(chrono::TimeDelta::days(-1))
                .unwrap_or(from)
                .local_date();
            let first = from.local_date();
            format!(
                "{year}年第{week}周（{}月{}日至{}月{}日）",
                first.month(),
                first.day(),
                last.month(),
                last.day()
            )
        }
    }
}

/// How many of a unit's items (listed and not) each reason applies to, as `逾期未办结2项、…`.
fn tally(unit: &NamedUnit) -> String {
    let mut counts: Vec<(RuleKind, usize)> = Vec::new();
    for item in &unit.items {
        for reason in &item.reasons {
            match counts.iter_mut().find(|(k, _)| k == reason) {
                Some((_, n)) => *n += 1,
                None => counts.push((*reason, 1)),
            }
        }
    }
    counts.sort();
    counts
        .iter()
        .map(|(kind, n)| format!("{}{n}项", labels::rule(*kind)))
        .collect::<Vec<_>>()
        .join("、")
}

/// The drafted lists: names and titles filled in, the first items of each unit listed.
fn units(
    named: &[NamedUnit],
    names: &dyn Fn(&str) -> String,
    titles: &HashMap<String, String>,
    remark: &dyn Fn(&str) -> String,
) -> Vec<BulletinUnit> {
    named
        .iter()
        .map(|unit| BulletinUnit {
            unit: unit.unit.clone(),
            name: names(&unit.unit),
            items: unit
                .items
                .iter()
                .take(MAX_ITEMS_PER_UNIT)
                .map(|item| BulletinItem {
                    record_id: item.record_id.clone(),
                    title: titles
                        .get(&item.record_id)
                        .cloned()
                        .unwrap_or_else(|| "（无标题）".to_owned()),
                    reasons: item.reasons.clone(),
                })
                .collect(),
            more: i64::try_from(unit.items.len().saturating_sub(MAX_ITEMS_PER_UNIT))
                .unwrap_or(i64::MAX),
            remark: remark(&tally(unit)),
        })
        .collect()
}

/// The drafted parts of a 通报.
pub struct Drafted {
    pub title: String,
    pub summary: String,
    pub requirements: String,
    pub criticised: Vec<BulletinUnit>,
    pub praised: Vec<BulletinUnit>,
}

/// A 通报 of `period` as drafted from `findings`; `tracked` is how many items were followed in
/// the period.
pub fn draft(
    period: Period,
    findings: &Findings,
    tracked: usize,
    names: &dyn Fn(&str) -> String,
    titles: &HashMap<String, String>,
) -> Drafted {
    let label = period_label(period);
    let count = |list: &[NamedUnit], kind: RuleKind| {
        list.iter()
            .flat_map(|u| &u.items)
            .filter(|i| i.reasons.contains(&kind))
            .count()
    };
    let c = &findings.criticised;
    let p = &findings.praised;
    let summary = format!(
        "{label}，共跟踪督办事项{tracked}项。其中逾期未办结{}项、反馈不及时{}项、退回重办{}项，\
         涉及{}个单位；提前办结{}项、评价优秀{}项，涉及{}个单位。现将有关情况通报如下。",
        count(c, RuleKind::Overdue),
        count(c, RuleKind::LateFeedback),
        count(c, RuleKind::Returned),
        c.len(),
        count(p, RuleKind::ClosedEarly),
        count(p, RuleKind::Excellent),
        p.len(),
    );
    Drafted {
        title: format!("关于{label}督办工作情况的通报"),
        summary,
        requirements: "各单位要对照通报问题，举一反三、立行立改。被通报批评的单位要于5个工作日内\
                       将原因分析和整改措施书面报办公室；办公室将持续跟踪督办，并将通报情况纳入\
                       本季度考核。"
            .to_owned(),
        criticised: units(c, names, titles, &|tally| {
            format!("{tally}，予以通报批评，请限期整改。")
        }),
        praised: units(p, names, titles, &|tally| {
            format!("{tally}，予以通报表扬。")
        }),
    }
}

/// `text` trimmed, if it has 1 to `max` characters and no control characters but line breaks
/// (and, when `lines` is false, none of those either); else a 422 naming `what`.
pub fn checked(
    text: &str,
    max: usize,
    lines: bool,
    what: &'static str,
) -> Result<String, ApiError> {
    let text = text.trim();
    let chars = text.chars().count();
    let bad_char = text
        .chars()
        .any(|c| c.is_control() && !(lines && (c == '\n' || c == '\r' || c == '\t')));
    if chars == 0 || chars > max || bad_char {
        return Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_bulletin",
            format!("{what} takes 1 to {max} characters without control characters"),
        ));
    }
    Ok(text.to_owned())
}

/// A remark: like [`checked`], but it may be empty.
pub fn checked_remark(text: &str) -> Result<String, ApiError> {
    if text.trim().is_empty() {
        return Ok(String::new());
    }
    checked(text, MAX_REMARK, true, "a remark")
}
