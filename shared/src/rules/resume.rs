//! 恢复办理 returns a suspended item to where it stood when it was suspended: an item suspended
//! while waiting for its closing review goes back to waiting, one suspended before it was
//! signed for goes back to 已交办. The record keeps only its current status, so where it was
//! suspended from is read from the document's history, which the server holds in full.

use automerge::{ChangeHash, ROOT, ReadDoc, Value};

use crate::records::DubanStatus;

/// The status the item in `doc` was last suspended from: the status before the last change that
/// made it 中止. `None` when it was never suspended, or was created suspended.
pub fn suspended_from(doc: &automerge::Automerge) -> Option<DubanStatus> {
    let status_at = |heads: &[ChangeHash]| -> Option<DubanStatus> {
        match doc.get_at(ROOT, "status", heads).ok()?? {
            (Value::Scalar(value), _) => value.as_str()?.parse().ok(),
            _ => None,
        }
    };
    // Changes come in causal order: the last one that suspended is found first backwards.
    doc.get_changes_meta(&[]).iter().rev().find_map(|change| {
        if status_at(&[change.hash]) != Some(DubanStatus::Suspended) {
            return None;
        }
        match status_at(&change.deps) {
            Some(DubanStatus::Suspended) | None => None,
            before => before,
        }
    })
}

/// Where a suspended item may be resumed to: the status it was suspended from, or 办理中 when
/// that is unknown (an item created suspended, a history from before this rule).
pub fn resume_target(suspended_from: Option<DubanStatus>) -> DubanStatus {
    suspended_from
        .filter(|status| status.is_open())
        .unwrap_or(DubanStatus::InProgress)
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ScalarValue};

    use super::*;

    fn set(doc: &mut AutoCommit, status: DubanStatus) {
        doc.put(ROOT, "status", ScalarValue::Str(status.as_str().into()))
            .unwrap();
        doc.commit();
    }

    #[test]
    fn the_status_before_the_last_suspension_is_where_it_resumes() {
        use DubanStatus::*;
        let mut doc = AutoCommit::new();
        set(&mut doc, Draft);
        assert_eq!(suspended_from(doc.document()), None);
        set(&mut doc, Assigned);
        set(&mut doc, Suspended);
        // A change that does not touch the status changes nothing.
        doc.put(ROOT, "title", "x").unwrap();
        doc.commit();
        assert_eq!(suspended_from(doc.document()), Some(Assigned));
        assert_eq!(resume_target(suspended_from(doc.document())), Assigned);
        set(&mut doc, Assigned);
        set(&mut doc, InProgress);
        set(&mut doc, ClosingRequested);
        set(&mut doc, Suspended);
        assert_eq!(suspended_from(doc.document()), Some(ClosingRequested));
        assert_eq!(resume_target(None), InProgress);
    }
}
