//! 会议 rules beyond the tables: once a meeting is closed its agenda and dispositions are
//! final, because the server applies the dispositions at closing, once.
//!
//! The field table cannot say this (it knows roles, not statuses), so the server's review
//! calls [`closed_meeting_fields`] beside [`super::check_change`], and the app can call it
//! offline to grey out what would be refused.

use crate::records::{Meeting, MeetingStatus};

/// The fields a change from `before` to `after` may not touch because the meeting was already
/// closed: `agenda` and `dispositions`. Decisions stay open, since the 纪要 is often finished
/// and turned into items after the meeting.
pub fn closed_meeting_fields(before: &Meeting, after: &Meeting) -> Vec<&'static str> {
    if before.status != MeetingStatus::Closed {
        return Vec::new();
    }
    let mut fields = Vec::new();
    if before.agenda != after.agenda {
        fields.push("agenda");
    }
    if before.dispositions != after.dispositions {
        fields.push("dispositions");
    }
    fields
}
