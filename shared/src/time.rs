//! Instants as records store them, and the calendar they are read in.
//!
//! Documents hold instants as integers: milliseconds since the Unix epoch, UTC. That is what
//! JavaScript's `Date.now()` gives the web app, so both sides write the same number. Calendar
//! questions (which day is it, how many days are left) are answered in [`ZONE`], Asia/Shanghai.

use std::borrow::Cow;
use std::fmt;

use autosurgeon::reconcile::NoKey;
use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

/// The time zone in which days are counted: deadlines, "days left", weekly feedback.
pub const ZONE: Tz = chrono_tz::Asia::Shanghai;

/// An instant, stored in documents as an integer of milliseconds since 1970-01-01T00:00:00Z.
///
/// Only instants chrono can represent exist (about ±262,000 years), so every `Timestamp` has a
/// calendar date; hydrating an integer outside that range is an error, not a panic later.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// The instant `millis` milliseconds after the Unix epoch, if chrono can represent it.
    pub fn from_millis(millis: i64) -> Option<Self> {
        DateTime::from_timestamp_millis(millis).map(Self)
    }

    /// Milliseconds since the Unix epoch: the stored form.
    pub fn millis(self) -> i64 {
        self.0.timestamp_millis()
    }

    /// The instant in UTC.
    pub fn utc(self) -> DateTime<Utc> {
        self.0
    }

    /// The instant on the wall clock of [`ZONE`].
    pub fn local(self) -> DateTime<Tz> {
        self.0.with_timezone(&ZONE)
    }

    /// The calendar day in [`ZONE`] on which this instant falls.
    pub fn local_date(self) -> NaiveDate {
        self.local().date_naive()
    }

    /// This instant moved by `delta`, or `None` past the representable range.
    pub fn checked_add(self, delta: TimeDelta) -> Option<Self> {
        self.0.checked_add_signed(delta).map(Self)
    }

    /// How long after `earlier` this instant is (negative if it is before).
    pub fn since(self, earlier: Timestamp) -> TimeDelta {
        self.0 - earlier.0
    }
}

impl From<DateTime<Utc>> for Timestamp {
    /// Keeps millisecond precision only, so that the value survives a round trip through a
    /// document unchanged.
    fn from(at: DateTime<Utc>) -> Self {
        let millis = at.timestamp_millis();
        Self(DateTime::from_timestamp_millis(millis).unwrap_or(at))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.0.to_rfc3339())
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in [`ZONE`], e.g. `2026-11-22T23:59:00+08:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.local().to_rfc3339())
    }
}

impl Reconcile for Timestamp {
    type Key<'a> = NoKey;

    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.i64(self.millis())
    }
}

impl Hydrate for Timestamp {
    fn hydrate_int(millis: i64) -> Result<Self, HydrateError> {
        Self::from_millis(millis).ok_or_else(|| out_of_range(millis.to_string()))
    }

    // A client may write a large positive integer as unsigned; the meaning is the same.
    fn hydrate_uint(millis: u64) -> Result<Self, HydrateError> {
        i64::try_from(millis)
            .ok()
            .and_then(Self::from_millis)
            .ok_or_else(|| out_of_range(millis.to_string()))
    }

    // Automerge's own timestamp type also counts milliseconds since the epoch.
    fn hydrate_timestamp(millis: i64) -> Result<Self, HydrateError> {
        Self::hydrate_int(millis)
    }

    fn hydrate_scalar(value: Cow<'_, automerge::ScalarValue>) -> Result<Self, HydrateError> {
        use automerge::ScalarValue;
        match value.as_ref() {
            ScalarValue::Int(i) | ScalarValue::Timestamp(i) => Self::hydrate_int(*i),
            ScalarValue::Uint(u) => Self::hydrate_uint(*u),
            // Integral floats, as automerge JS writes some numbers (see `records::codec`).
            ScalarValue::F64(f) => match crate::records::codec_integral(*f) {
                Some(millis) => Self::hydrate_int(millis),
                None => Err(out_of_range(f.to_string())),
            },
            other => Err(HydrateError::unexpected(
                "a timestamp in milliseconds since the epoch",
                format!("{other:?}"),
            )),
        }
    }
}

fn out_of_range(found: String) -> HydrateError {
    HydrateError::unexpected(
        "a timestamp in milliseconds within ±262,000 years of 1970",
        found,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_date_is_shanghai_not_utc() {
        // 2026-11-21T16:30Z is 00:30 on the 22nd in Shanghai.
        let at = Timestamp::from(
            DateTime::parse_from_rfc3339("2026-11-21T16:30:00Z")
                .unwrap()
                .to_utc(),
        );
        assert_eq!(
            at.local_date(),
            NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
        );
        assert_eq!(at.to_string(), "2026-11-22T00:30:00+08:00");
    }

    #[test]
    fn keeps_milliseconds_only() {
        let precise = DateTime::from_timestamp(1_790_000_000, 123_456_789).unwrap();
        assert_eq!(Timestamp::from(precise).millis(), 1_790_000_000_123);
    }

    #[test]
    fn refuses_instants_chrono_cannot_represent() {
        assert!(Timestamp::from_millis(i64::MAX).is_none());
        assert!(Timestamp::hydrate_int(i64::MIN).is_err());
        assert!(Timestamp::hydrate_uint(u64::MAX).is_err());
    }
}
