//! Wall-clock times of day in Asia/Shanghai: the digest's hour and quiet hours. Pure
//! functions of an explicit "now", so tests choose the instant.

use chrono::{NaiveDate, NaiveTime, TimeZone};
use duyan_shared::time::{Timestamp, ZONE};

/// Parses `HH:MM` (24-hour, two digits each), the only form the API accepts.
pub fn parse_hm(text: &str) -> Option<NaiveTime> {
    let bytes = text.as_bytes();
    if bytes.len() != 5 || bytes[2] != b':' {
        return None;
    }
    NaiveTime::parse_from_str(text, "%H:%M").ok()
}

/// `time` on `date` in Asia/Shanghai. Shanghai has had no daylight saving since 1991, so
/// every wall-clock time exists once; `earliest` covers the historical case anyway.
pub fn at_local(date: NaiveDate, time: NaiveTime) -> Option<Timestamp> {
    ZONE.from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|t| Timestamp::from(t.with_timezone(&chrono::Utc)))
}

/// Quiet hours from `from` to `to` (local). If `now` falls within them, the instant they end;
/// `None` outside them. A span whose start is after its end runs over midnight (22:00 to
/// 07:30); equal ends are no quiet hours.
pub fn quiet_until(from: NaiveTime, to: NaiveTime, now: Timestamp) -> Option<Timestamp> {
    let local = now.local();
    let time = local.time();
    let date = local.date_naive();
    if from == to {
        return None;
    }
    let end_date = if from < to {
        if !(from <= time && time < to) {
            return None;
        }
        date
    } else if time >= from {
        date.succ_opt()?
    } else if time < to {
        date
    } else {
        return None;
    };
    at_local(end_date, to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use duyan_shared::samples::shanghai;

    fn hm(s: &str) -> NaiveTime {
        parse_hm(s).unwrap()
    }

    #[test]
    fn only_two_digit_hours_and_minutes_parse() {
        assert_eq!(parse_hm("08:30"), NaiveTime::from_hms_opt(8, 30, 0));
        for bad in ["8:30", "24:00", "08:60", "0830", "08:30:00", "", "ab:cd"] {
            assert_eq!(parse_hm(bad), None, "{bad}");
        }
    }

    #[test]
    fn quiet_hours_over_midnight_end_the_next_morning() {
        let (from, to) = (hm("22:00"), hm("07:30"));
        assert_eq!(quiet_until(from, to, shanghai(2026, 11, 5, 21, 59)), None);
        assert_eq!(
            quiet_until(from, to, shanghai(2026, 11, 5, 22, 0)),
            Some(shanghai(2026, 11, 6, 7, 30))
        );
        assert_eq!(
            quiet_until(from, to, shanghai(2026, 11, 6, 3, 0)),
            Some(shanghai(2026, 11, 6, 7, 30))
        );
        assert_eq!(quiet_until(from, to, shanghai(2026, 11, 6, 7, 30)), None);
        // Within one day.
        let (from, to) = (hm("12:00"), hm("14:00"));
        assert_eq!(
            quiet_until(from, to, shanghai(2026, 11, 6, 12, 30)),
            Some(shanghai(2026, 11, 6, 14, 0))
        );
        assert_eq!(quiet_until(from, to, shanghai(2026, 11, 6, 14, 0)), None);
        assert_eq!(quiet_until(from, from, shanghai(2026, 11, 6, 12, 0)), None);
    }
}
