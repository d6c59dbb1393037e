//! The periods a 考核 covers (a calendar month or quarter in Asia/Shanghai), and the ISO week a
//! 通报 or the dashboard may also be asked for.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, TimeZone, Weekday};

use crate::time::{Timestamp, ZONE};

/// A month (`2026-12`), a quarter (`2026-Q4`) or an ISO week (`2026-W49`, Monday to Sunday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// Year and month, 1 to 12.
    Month(i32, u32),
    /// Year and quarter, 1 to 4.
    Quarter(i32, u32),
    /// ISO week-numbering year and week, 1 to 52 or 53.
    Week(i32, u32),
}

/// Why a text is not a period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a period is a month, YYYY-MM, a quarter, YYYY-Qn, or an ISO week, YYYY-Www")]
pub struct InvalidPeriod;

/// The kinds of period, for asking "the last n of them".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    Week,
    Month,
    Quarter,
}

impl Period {
    /// The first day of the period and the first day after it.
    fn days(self) -> Option<(NaiveDate, NaiveDate)> {
        let (year, first, months) = match self {
            Self::Month(year, month) => (year, month, 1),
            Self::Quarter(year, quarter) => (year, quarter * 3 - 2, 3),
            Self::Week(year, week) => {
                let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)?;
                return Some((monday, monday.checked_add_days(chrono::Days::new(7))?));
            }
        };
        let from = NaiveDate::from_ymd_opt(year, first, 1)?;
        let to = from.checked_add_months(chrono::Months::new(months))?;
        Some((from, to))
    }

    /// The year the period is named by (for a week, its ISO year).
    pub fn year(self) -> i32 {
        match self {
            Self::Month(year, _) | Self::Quarter(year, _) | Self::Week(year, _) => year,
        }
    }

    /// The period of `kind` that holds the day `date`.
    pub fn holding(kind: PeriodKind, date: NaiveDate) -> Self {
        match kind {
            PeriodKind::Month => Self::Month(date.year(), date.month()),
            PeriodKind::Quarter => Self::Quarter(date.year(), date.month0() / 3 + 1),
            PeriodKind::Week => {
                let iso = date.iso_week();
                Self::Week(iso.year(), iso.week())
            }
        }
    }

    /// The period of the same kind just before this one.
    pub fn previous(self) -> Option<Self> {
        let (from, _) = self.days()?;
        let day_before = from.pred_opt()?;
        let kind = match self {
            Self::Month(..) => PeriodKind::Month,
            Self::Quarter(..) => PeriodKind::Quarter,
            Self::Week(..) => PeriodKind::Week,
        };
        Some(Self::holding(kind, day_before))
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
        if let Some(week) = rest.strip_prefix('W') {
            if week.len() != 2 {
                return Err(InvalidPeriod);
            }
            // `days` refuses week 53 of a year that has 52.
            let period = Self::Week(year, number(week, 53)?);
            return period.days().map(|_| period).ok_or(InvalidPeriod);
        }
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
            Self::Week(year, week) => write!(f, "{year:04}-W{week:02}"),
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
        // ISO weeks: 2026-W49 is Monday 11-30 to Sunday 12-06; 2026 has 53 weeks, 2027 52.
        let week: Period = "2026-W49".parse().unwrap();
        assert_eq!(week, Period::Week(2026, 49));
        assert_eq!(week.to_string(), "2026-W49");
        assert_eq!(
            week.bounds(),
            (shanghai(2026, 11, 30, 0, 0), shanghai(2026, 12, 7, 0, 0))
        );
        assert!("2026-W53".parse::<Period>().is_ok());
        assert_eq!(week.previous(), Some(Period::Week(2026, 48)));
        assert_eq!(
            Period::Week(2027, 1).previous(),
            Some(Period::Week(2026, 53))
        );
        assert_eq!(
            Period::Month(2027, 1).previous(),
            Some(Period::Month(2026, 12))
        );
        assert_eq!(
            Period::Quarter(2027, 1).previous(),
            Some(Period::Quarter(2026, 4))
        );
        for bad in [
            "2026-13",
            "2026-Q5",
            "2026-Q0",
            "2026-00",
            "26-12",
            "2026-1",
            "2026",
            "2026-Q",
            "x",
            "2027-W53",
            "2026-W00",
            "2026-W1",
            "2026-W054",
        ] {
            assert_eq!(bad.parse::<Period>(), Err(InvalidPeriod), "{bad}");
        }
    }
}
