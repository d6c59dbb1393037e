//! The periods a 考核 covers: a calendar month or quarter in Asia/Shanghai.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDate, TimeZone};

use crate::time::{Timestamp, ZONE};

/// A month (`2026-12`) or a quarter (`2026-Q4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// Year and month, 1 to 12.
    Month(i32, u32),
    /// Year and quarter, 1 to 4.
    Quarter(i32, u32),
}

/// Why a text is not a period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a period is a month, YYYY-MM, or a quarter, YYYY-Qn")]
pub struct InvalidPeriod;

impl Period {
    /// The first day of the period and the first day after it.
    fn days(self) -> Option<(NaiveDate, NaiveDate)> {
        let (year, first, months) = match self {
            Self::Month(year, month) => (year, month, 1),
            Self::Quarter(year, quarter) => (year, quarter * 3 - 2, 3),
        };
        let from = NaiveDate::from_ymd_opt(year, first, 1)?;
        let to = from.checked_add_months(chrono::Months::new(months))?;
        Some((from, to))
    }

    /// The period's first instant and the first instant after it (midnight, Asia/Shanghai).
    pub fn bounds(self) -> (Timestamp, Timestamp) {
        let start = |day: NaiveDate| {
            let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
            // Shanghai has no daylight saving, so midnight exists and is unique.
            let local = ZONE.from_local_datetime(&midnight).earliest();
            Timestamp::from(local.map(|l| l.to_utc()).unwrap_or_default())
        };
        // `FromStr` only makes periods whose days exist.
        let (from, to) = self.days().unwrap_or_default();
        (start(from), start(to))
    }
}

impl FromStr for Period {
    type Err = InvalidPeriod;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (year, rest) = text.split_once('-').ok_or(InvalidPeriod)?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidPeriod);
        }
        let year: i32 = year.parse().map_err(|_| InvalidPeriod)?;
        let number = |digits: &str, max: u32| {
            (!digits.is_empty() && digits.len() <= 2 && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| digits.parse::<u32>().ok())
                .flatten()
                .filter(|n| (1..=max).contains(n))
                .ok_or(InvalidPeriod)
        };
        let period = match rest.strip_prefix('Q') {
            Some(q) if q.len() == 1 => Self::Quarter(year, number(q, 4)?),
            Some(_) => return Err(InvalidPeriod),
            None if rest.len() == 2 => Self::Month(year, number(rest, 12)?),
            None => return Err(InvalidPeriod),
        };
        period.days().map(|_| period).ok_or(InvalidPeriod)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Month(year, month) => write!(f, "{year:04}-{month:02}"),
            Self::Quarter(year, quarter) => write!(f, "{year:04}-Q{quarter}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::shanghai;

    #[test]
    fn periods_parse_print_and_bound_in_shanghai() {
        let q4: Period = "2026-Q4".parse().unwrap();
        assert_eq!(q4, Period::Quarter(2026, 4));
        assert_eq!(q4.to_string(), "2026-Q4");
        assert_eq!(
            q4.bounds(),
            (shanghai(2026, 10, 1, 0, 0), shanghai(2027, 1, 1, 0, 0))
        );
        let dec: Period = "2026-12".parse().unwrap();
        assert_eq!(dec.to_string(), "2026-12");
        assert_eq!(
            dec.bounds(),
            (shanghai(2026, 12, 1, 0, 0), shanghai(2027, 1, 1, 0, 0))
        );
        // Midnight in Shanghai is 16:00 UTC the day before.
        assert_eq!(
            dec.bounds().0.utc().to_rfc3339(),
            "2026-11-30T16:00:00+00:00"
        );
        for bad in [
            "2026-13", "2026-Q5", "2026-Q0", "2026-00", "26-12", "2026-1", "2026", "2026-Q", "x",
        ] {
            assert_eq!(bad.parse::<Period>(), Err(InvalidPeriod), "{bad}");
        }
    }
}
