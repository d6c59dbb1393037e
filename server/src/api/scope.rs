//! What the API's reads of the projection share: parameters and which instant and calendar the
//! answer is computed for. Who is asking, and what they may read, is [`crate::access`]
//! ([`crate::access::Reader`]).

use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{NaiveDate, TimeDelta, TimeZone};
use duyan_shared::derived::DUE_SOON_DAYS;
use duyan_shared::time::{Timestamp, ZONE};

use super::ApiError;
use crate::directory::Directory;

/// 400 `invalid_parameter`: what every bad query parameter is.
pub fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "invalid_parameter",
        message.into(),
    )
}

/// The system clock as a [`Timestamp`].
pub fn now() -> Timestamp {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp::from_millis(millis).unwrap_or_else(|| Timestamp::from(chrono::DateTime::UNIX_EPOCH))
}

/// The `at` parameter (ms since the epoch), which pins "now" for lights, days left and
/// lateness, so tests and reports can ask about any instant.
pub fn parse_at(at: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    at.map(|at| {
        at.parse::<i64>()
            .ok()
            .and_then(Timestamp::from_millis)
            .ok_or_else(|| bad("at must be milliseconds since the epoch"))
    })
    .transpose()
}

/// The start of `date` in Asia/Shanghai.
pub fn start_of(date: NaiveDate) -> Option<Timestamp> {
    let local = ZONE
        .from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .earliest()?;
    Some(Timestamp::from(local.to_utc()))
}

/// The start of the first day that is not "due soon" seen at `at`: the `soon_ts` argument of
/// the SQL function `record_light`, which then only compares instants.
pub fn due_soon_before(at: Timestamp) -> Result<Timestamp, ApiError> {
    at.local_date()
        .checked_add_signed(TimeDelta::days(DUE_SOON_DAYS + 1))
        .and_then(start_of)
        .ok_or_else(|| bad("at is out of range"))
}

/// The name of a unit for people: the directory's, else its id (a record may name a unit
/// the directory does not know).
pub fn unit_name(directory: &Directory, unit: &str) -> String {
    directory
        .unit(unit)
        .map_or_else(|| unit.to_owned(), |u| u.name.clone())
}

/// The name of a user for people: the display name, else the id.
pub fn user_name(directory: &Directory, user: &str) -> String {
    directory
        .user(user)
        .map_or_else(|| user.to_owned(), |u| u.display_name.clone())
}
