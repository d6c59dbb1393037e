//! Hand-computed 考核 cases: the expected numbers are worked out in the comments.

use super::*;
use crate::samples::shanghai;

fn q4() -> Period {
    Period::Quarter(2026, 4)
}

fn item(id: &str, lead: &str) -> ItemFacts {
    ItemFacts {
        id: id.into(),
        lead_unit: Some(lead.into()),
        is_open: true,
        assigned_at: Some(shanghai(2026, 10, 1, 9, 0)),
        first_progress_at: Some(shanghai(2026, 10, 1, 15, 0)),
        deadline: Some(shanghai(2026, 12, 31, 23, 59)),
        ..ItemFacts::default()
    }
}

fn unit<'a>(a: &'a Assessment, id: &str) -> &'a UnitScore {
    a.units.iter().find(|u| u.unit == id).unwrap()
}

fn points(list: &[Points]) -> Vec<(&str, &str, f64)> {
    list.iter()
        .map(|p| (p.record_id.as_str(), p.rule.as_str(), p.points))
        .collect()
}

#[test]
fn an_item_co_led_by_two_units_costs_both_the_co_unit_half() {
    // Assigned 10-01 09:00, first report 10-03 (the 24-hour response was due 10-02 09:00),
    // due 11-10 and still open at 12-31 noon: overdue and a missed first response.
    let mut shared = item("r-1", "unit-a");
    shared.co_units = vec!["unit-b".into()];
    shared.first_progress_at = Some(shanghai(2026, 10, 3, 10, 0));
    shared.deadline = Some(shanghai(2026, 11, 10, 23, 59));
    let now = shanghai(2026, 12, 31, 12, 0);
    let units = ["unit-a".to_owned(), "unit-b".into(), "unit-c".into()];
    let a = assess(q4(), now, &Rules::default(), &units, &[shared]);
    // unit-a (lead): 100 - 2 (overdue) - 1 (first response) = 97.
    // unit-b (co-operating, half): 100 - 1 - 0.5 = 98.5. unit-c has no items: 100.
    assert_eq!(
        points(&unit(&a, "unit-a").deductions),
        [
            ("r-1", "overdue", 2.0),
            ("r-1", "missed_first_response", 1.0)
        ]
    );
    assert_eq!(
        points(&unit(&a, "unit-b").deductions),
        [
            ("r-1", "overdue", 1.0),
            ("r-1", "missed_first_response", 0.5)
        ]
    );
    let table: Vec<(&str, f64, u32, u32)> = a
        .units
        .iter()
        .map(|u| (u.unit.as_str(), u.score, u.rank, u.items))
        .collect();
    assert_eq!(
        table,
        [
            ("unit-c", 100.0, 1, 0),
            ("unit-b", 98.5, 2, 1),
            ("unit-a", 97.0, 3, 1)
        ]
    );
    assert_eq!(a.counted_to, now.millis());
}

#[test]
fn the_period_boundary_is_midnight_in_shanghai() {
    // Closed 09-30 23:30 Shanghai (15:30 UTC), due 10-15: an early closing in Q3, and Q4 never
    // sees the item.
    let mut before = item("r-1", "unit-a");
    before.assigned_at = Some(shanghai(2026, 9, 1, 9, 0));
    before.first_progress_at = Some(shanghai(2026, 9, 1, 10, 0));
    before.deadline = Some(shanghai(2026, 10, 15, 23, 59));
    before.is_open = false;
    before.closed_at = Some(shanghai(2026, 9, 30, 23, 30));
    // Closed 10-01 00:10 Shanghai, which is still 09-30 (16:10) in UTC: Q4's.
    let mut after = before.clone();
    after.id = "r-2".into();
    after.closed_at = Some(shanghai(2026, 10, 1, 0, 10));
    assert_eq!(
        after.closed_at.unwrap().utc().to_rfc3339(),
        "2026-09-30T16:10:00+00:00"
    );
    let now = shanghai(2027, 1, 5, 9, 0);
    let items = [before, after];
    let q3 = assess(
        Period::Quarter(2026, 3),
        now,
        &Rules::default(),
        &[],
        &items,
    );
    let q4 = assess(q4(), now, &Rules::default(), &[], &items);
    assert_eq!(
        points(&unit(&q3, "unit-a").additions),
        [("r-1", "closed_early", 1.0)]
    );
    assert_eq!(unit(&q3, "unit-a").items, 2);
    assert_eq!(
        points(&unit(&q4, "unit-a").additions),
        [("r-2", "closed_early", 1.0)]
    );
    assert_eq!(unit(&q4, "unit-a").items, 1);
    assert_eq!(unit(&q4, "unit-a").score, 101.0);
}

#[test]
fn a_cap_cuts_the_entry_that_reaches_it() {
    // 3 points per overdue item, at most 10: four overdue items give 3 + 3 + 3 + 1.
    let rules = Rules {
        base: 100.0,
        co_unit_share: 0.5,
        rules: vec![Rule {
            kind: RuleKind::Overdue,
            points: 3.0,
            cap: Some(10.0),
        }],
    };
    let items: Vec<ItemFacts> = (1..=4)
        .map(|n| {
            let mut i = item(&format!("r-{n}"), "unit-a");
            i.deadline = Some(shanghai(2026, 11, 1, 23, 59));
            i
        })
        .collect();
    let a = assess(q4(), shanghai(2026, 12, 1, 0, 0), &rules, &[], &items);
    let got: Vec<f64> = unit(&a, "unit-a")
        .deductions
        .iter()
        .map(|p| p.points)
        .collect();
    assert_eq!(got, [3.0, 3.0, 3.0, 1.0]);
    assert_eq!(unit(&a, "unit-a").score, 90.0);
}

#[test]
fn returns_feedback_and_excellence_count_inside_the_window_only() {
    let mut i = item("r-1", "unit-a");
    // One return in Q3, one in Q4; weekly report due 11-08, not come by 12-01.
    i.returned_at = vec![shanghai(2026, 9, 20, 10, 0), shanghai(2026, 11, 2, 10, 0)];
    i.feedback_due = Some(shanghai(2026, 11, 8, 15, 0));
    let mut done = item("r-2", "unit-a");
    done.is_open = false;
    done.closed_at = Some(shanghai(2026, 12, 31, 10, 0));
    done.evaluation = Some((Rating::Excellent, shanghai(2026, 11, 20, 10, 0)));
    let mut suspended = item("r-3", "unit-a");
    suspended.is_open = false;
    suspended.deadline = Some(shanghai(2026, 10, 10, 0, 0));
    let now = shanghai(2026, 12, 1, 0, 0);
    let a = assess(q4(), now, &Rules::default(), &[], &[i, done, suspended]);
    let u = unit(&a, "unit-a");
    // 100 - 1 (returned) - 1 (late feedback) + 2 (优秀) = 100; the suspended item is not overdue.
    assert_eq!(
        points(&u.deductions),
        [("r-1", "late_feedback", 1.0), ("r-1", "returned", 1.0)]
    );
    assert_eq!(points(&u.additions), [("r-2", "excellent", 2.0)]);
    assert_eq!((u.score, u.items), (100.0, 3));
}

#[test]
fn a_frozen_period_keeps_its_answer_while_facts_move_on() {
    let mut i = item("r-1", "unit-a");
    i.deadline = Some(shanghai(2026, 11, 10, 23, 59));
    let rules = Rules::default();
    let frozen = assess(
        q4(),
        shanghai(2026, 12, 15, 0, 0),
        &rules,
        &[],
        &[i.clone()],
    );
    // Stored as JSON when frozen, read back unchanged.
    let stored = serde_json::to_string(&frozen).unwrap();
    // Later the item closes (still late) and is evaluated 优秀 inside the quarter.
    i.is_open = false;
    i.closed_at = Some(shanghai(2026, 12, 20, 10, 0));
    i.evaluation = Some((Rating::Excellent, shanghai(2026, 12, 22, 10, 0)));
    let recomputed = assess(q4(), shanghai(2027, 1, 5, 0, 0), &rules, &[], &[i]);
    assert_eq!(unit(&frozen, "unit-a").score, 98.0);
    assert_eq!(unit(&recomputed, "unit-a").score, 100.0);
    let read_back: Assessment = serde_json::from_str(&stored).unwrap();
    assert_eq!(read_back, frozen);
}

#[test]
fn a_unit_sees_only_its_own_row_and_rules_are_checked() {
    let a = assess(
        q4(),
        shanghai(2026, 12, 1, 0, 0),
        &Rules::default(),
        &[],
        &[item("r-1", "unit-a"), item("r-2", "unit-b")],
    );
    let mine = a.only(&["unit-b".into()]);
    assert_eq!(mine.units.len(), 1);
    assert_eq!(mine.units[0].unit, "unit-b");

    assert_eq!(Rules::default().problem(), None);
    let mut twice = Rules::default();
    twice.rules.push(twice.rules[0]);
    assert!(twice.problem().unwrap().contains("twice"));
    let mut negative = Rules::default();
    negative.rules[1].points = -1.0;
    assert!(negative.problem().is_some());
    let share = Rules {
        co_unit_share: f64::NAN,
        ..Rules::default()
    };
    assert!(share.problem().is_some());
}

#[test]
fn a_bulletin_names_lead_units_for_faults_and_praise_in_its_week() {
    // Week 2026-W49: Monday 11-30 to Sunday 12-06, seen on 12-07.
    let week = Period::Week(2026, 49);
    let now = shanghai(2026, 12, 7, 9, 0);
    // Due 12-02, open: overdue in the week. Its co-unit is not named.
    let mut late = item("r-1", "unit-a");
    late.co_units = vec!["unit-b".into()];
    late.deadline = Some(shanghai(2026, 12, 2, 23, 59));
    // Sent back on 12-01: criticised; closed 12-04, due 12-31: praised as well.
    let mut back = item("r-2", "unit-b");
    back.is_open = false;
    back.returned_at = vec![shanghai(2026, 12, 1, 10, 0)];
    back.closed_at = Some(shanghai(2026, 12, 4, 10, 0));
    // Sent back the week before: nothing this week.
    let mut earlier = item("r-3", "unit-b");
    earlier.returned_at = vec![shanghai(2026, 11, 27, 10, 0)];
    let found = findings(week, now, &[late, back, earlier]);
    /// A unit and its items, each with its reasons.
    type Listed<'a> = (String, Vec<(String, Vec<&'a str>)>);
    let named = |list: &[NamedUnit]| -> Vec<Listed> {
        list.iter()
            .map(|u| {
                let items = u
                    .items
                    .iter()
                    .map(|n| {
                        (
                            n.record_id.clone(),
                            n.reasons.iter().map(|r| r.as_str()).collect(),
                        )
                    })
                    .collect();
                (u.unit.clone(), items)
            })
            .collect()
    };
    assert_eq!(
        named(&found.criticised),
        [
            ("unit-a".into(), vec![("r-1".into(), vec!["overdue"])]),
            ("unit-b".into(), vec![("r-2".into(), vec!["returned"])]),
        ]
    );
    assert_eq!(
        named(&found.praised),
        [("unit-b".into(), vec![("r-2".into(), vec!["closed_early"])])]
    );
}

#[test]
fn a_published_bulletin_costs_the_units_it_names_in_the_periods_holding_its_end() {
    let bulletin = |id: &str, period: Period| BulletinFacts {
        id: id.into(),
        period,
        units: vec![("unit-a".into(), "r-1".into())],
    };
    let now = shanghai(2027, 1, 5, 0, 0);
    let units = ["unit-a".to_owned()];
    // W49 ends 12-06 (December); the November one counts in November and Q4 only; four in
    // Q4 hit the cap of 9.
    let bulletins = [
        bulletin("b1", Period::Week(2026, 49)),
        bulletin("b2", Period::Month(2026, 11)),
        bulletin("b3", Period::Month(2026, 12)),
        bulletin("b4", Period::Quarter(2026, 4)),
    ];
    let rules = Rules::default();
    let dec = assess_with(
        Period::Month(2026, 12),
        now,
        &rules,
        &units,
        &[],
        &bulletins,
    );
    let a = unit(&dec, "unit-a");
    // b1, b3 and b4 (its last day is 12-31): 100 - 9.
    assert_eq!(a.score, 91.0);
    assert_eq!(
        a.deductions
            .iter()
            .map(|p| (p.bulletin.as_deref(), p.record_id.as_str(), p.points))
            .collect::<Vec<_>>(),
        [
            (Some("b1"), "r-1", 3.0),
            (Some("b3"), "r-1", 3.0),
            (Some("b4"), "r-1", 3.0)
        ]
    );
    let q4 = assess_with(q4(), now, &rules, &units, &[], &bulletins);
    // Four 通报 of 3, capped at 9.
    assert_eq!(unit(&q4, "unit-a").score, 91.0);
    let nov = assess_with(
        Period::Month(2026, 11),
        now,
        &rules,
        &units,
        &[],
        &bulletins,
    );
    assert_eq!(unit(&nov, "unit-a").score, 97.0);
    // Serialized without a `bulletin` key unless it has one, as frozen periods were stored.
    let json = serde_json::to_value(&q4.units[0].deductions[0]).unwrap();
    assert_eq!(json["bulletin"], "b1");
    let plain = Points {
        record_id: "r".into(),
        rule: RuleKind::Overdue,
        points: 1.0,
        bulletin: None,
    };
    assert!(
        serde_json::to_value(&plain)
            .unwrap()
            .get("bulletin")
            .is_none()
    );
}
