use chrono::{DateTime, TimeDelta};

use super::*;
use crate::records::{DubanStatus, Review};
use crate::samples::{duban_item, progress, shanghai};

fn utc(rfc3339: &str) -> Timestamp {
    Timestamp::from(DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc())
}

/// An item due 2026-11-22 23:59 Shanghai whose feedback and milestones are in order, so that
/// only the deadline decides its light.
fn due_on_the_22nd() -> DubanItem {
    let mut item = duban_item();
    item.feedback_cycle = FeedbackCycle::None;
    item
}

#[test]
fn days_left_counts_shanghai_calendar_days() {
    let item = due_on_the_22nd();
    // The cases of the brief.
    assert_eq!(days_left(&item, shanghai(2026, 11, 21, 23, 30)), Some(1));
    assert_eq!(days_left(&item, shanghai(2026, 11, 22, 0, 10)), Some(0));
    assert!(!is_overdue(&item, shanghai(2026, 11, 22, 0, 10)));
    assert_eq!(days_left(&item, shanghai(2026, 11, 19, 8, 0)), Some(3));
    assert_eq!(days_left(&item, shanghai(2026, 11, 23, 0, 0)), Some(-1));
}

#[test]
fn shanghai_midnight_not_utc_midnight_turns_the_day() {
    let item = due_on_the_22nd();
    // 2026-11-21T15:59Z is 23:59 on the 21st in Shanghai: one day left.
    assert_eq!(days_left(&item, utc("2026-11-21T15:59:00Z")), Some(1));
    // 16:01Z is 00:01 on the 22nd in Shanghai, though still the 21st in UTC: zero days left.
    assert_eq!(days_left(&item, utc("2026-11-21T16:01:00Z")), Some(0));
    // UTC midnight of the 22nd is 08:00 in Shanghai, the same day.
    assert_eq!(days_left(&item, utc("2026-11-22T00:00:00Z")), Some(0));
}

#[test]
fn a_deadline_just_after_shanghai_midnight_is_on_the_next_date() {
    let mut item = due_on_the_22nd();
    // 2026-11-22T16:30Z is 00:30 on the 23rd in Shanghai, though the 22nd in UTC.
    item.deadline = Some(utc("2026-11-22T16:30:00Z"));
    assert_eq!(days_left(&item, shanghai(2026, 11, 22, 23, 0)), Some(1));
    assert_eq!(
        light(&item, shanghai(2026, 11, 22, 23, 0)),
        Some(Light::Yellow)
    );
    assert_eq!(
        light(&item, shanghai(2026, 11, 23, 0, 31)),
        Some(Light::Red)
    );
}

#[test]
fn overdue_starts_right_after_the_deadline() {
    let item = due_on_the_22nd();
    assert!(!is_overdue(&item, shanghai(2026, 11, 22, 23, 59)));
    let just_after = shanghai(2026, 11, 22, 23, 59)
        .checked_add(TimeDelta::milliseconds(1))
        .unwrap();
    assert!(is_overdue(&item, just_after));
    assert_eq!(light(&item, just_after), Some(Light::Red));
    assert_eq!(concerns(&item, just_after), [Concern::Overdue]);
}

#[test]
fn lights_by_days_left() {
    let item = due_on_the_22nd();
    let cases = [
        (shanghai(2026, 11, 18, 23, 59), Light::Green), // 4 days left
        (shanghai(2026, 11, 19, 0, 0), Light::Yellow),  // 3 days left
        (shanghai(2026, 11, 22, 23, 0), Light::Yellow), // due today
        (shanghai(2026, 11, 23, 0, 0), Light::Red),
    ];
    for (now, expected) in cases {
        assert_eq!(light(&item, now), Some(expected), "at {now}");
    }
}

#[test]
fn items_that_are_not_open_have_no_light() {
    let late = shanghai(2027, 1, 1, 0, 0);
    for status in [
        DubanStatus::Draft,
        DubanStatus::Closed,
        DubanStatus::Evaluated,
        DubanStatus::Suspended,
    ] {
        let mut item = due_on_the_22nd();
        item.status = status;
        assert_eq!(light(&item, late), None, "{status}");
        assert!(!is_overdue(&item, late));
        assert_eq!(concerns(&item, late), []);
    }
}

#[test]
fn a_missed_milestone_is_behind_pace() {
    let mut item = due_on_the_22nd();
    item.milestones.push(Milestone {
        id: "m1".into(),
        title: "确定处置单位".into(),
        due: shanghai(2026, 11, 10, 18, 0),
        done_at: None,
    });
    let now = shanghai(2026, 11, 11, 9, 0);
    assert_eq!(light(&item, now), Some(Light::Yellow));
    assert_eq!(concerns(&item, now), [Concern::MilestoneMissed]);
    item.milestones[0].done_at = Some(shanghai(2026, 11, 10, 17, 0));
    assert_eq!(light(&item, now), Some(Light::Green));
}

#[test]
fn first_response_is_due_24_hours_after_assignment() {
    let mut item = due_on_the_22nd();
    item.progress.clear();
    assert_eq!(first_response_due(&item), Some(shanghai(2026, 11, 2, 9, 0)));
    assert!(!is_first_response_late(&item, shanghai(2026, 11, 2, 9, 0)));
    let late = shanghai(2026, 11, 2, 9, 1);
    assert!(is_first_response_late(&item, late));
    assert_eq!(light(&item, late), Some(Light::Yellow));
    item.progress
        .push(progress("p1", shanghai(2026, 11, 2, 10, 0)));
    assert!(!is_first_response_late(&item, late));
}

#[test]
fn weekly_feedback_is_late_after_seven_days() {
    let mut item = duban_item(); // weekly; last progress 2026-11-01 15:00
    assert_eq!(
        last_feedback_age(&item, shanghai(2026, 11, 3, 15, 0)),
        Some(TimeDelta::days(2))
    );
    assert_eq!(next_feedback_due(&item), Some(shanghai(2026, 11, 8, 15, 0)));
    assert!(!is_feedback_late(&item, shanghai(2026, 11, 8, 15, 0)));
    assert_eq!(
        concerns(&item, shanghai(2026, 11, 8, 15, 1)),
        [Concern::FeedbackLate]
    );
    item.feedback_cycle = FeedbackCycle::Monthly;
    item.progress[0].at = shanghai(2027, 1, 31, 10, 0);
    assert_eq!(next_feedback_due(&item), Some(shanghai(2027, 2, 28, 10, 0)));
    item.progress.clear();
    assert_eq!(last_feedback_age(&item, shanghai(2026, 11, 3, 15, 0)), None);
}

#[test]
fn progress_synced_after_closing_is_kept_and_marked_late() {
    let mut item = duban_item();
    item.reviews.push(Review {
        id: "r1".into(),
        at: shanghai(2026, 11, 20, 10, 0),
        by: "u-li".into(),
        withdrawn: None,
        verdict: Verdict::Pass,
        opinion: "整改到位，同意办结。".into(),
    });
    item.status = DubanStatus::Closed;
    item.progress
        .push(progress("p-late", shanghai(2026, 11, 20, 11, 0)));
    let late: Vec<&str> = progress_after_closing(&item)
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(late, ["p-late"]);
    assert_eq!(closed_at(&item), Some(shanghai(2026, 11, 20, 10, 0)));
}
