//! 交办 hands an item to people: without a lead unit, a 承办人 and a 督办员 it would be
//! "assigned" with its 24-hour clock running and in nobody's 我的待办 (an orphan). So leaving the
//! draft requires all three, checked on the state the move produces (the supervisor may name
//! them in the same change that assigns).

use super::check::Problem;
use crate::records::{DubanItem, DubanStatus, Record};

/// The fields 交办 requires, by their names in the record: `lead_unit`, `handlers`,
/// `supervisors`. Empty when the item may be assigned.
pub fn missing_for_assignment(item: &DubanItem) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if item
        .lead_unit
        .as_deref()
        .is_none_or(|unit| unit.trim().is_empty())
    {
        missing.push("lead_unit");
    }
    if !item.handlers.iter().any(|h| !h.trim().is_empty()) {
        missing.push("handlers");
    }
    if !item.supervisors.iter().any(|s| !s.trim().is_empty()) {
        missing.push("supervisors");
    }
    missing
}

/// What is wrong with a status move from `before` to `after` beyond the transition table: a
/// draft leaving its draft without the people 交办 requires. Called by
/// [`super::check_change`] for every allowed move.
pub(super) fn move_problem(before: &Record, after: &Record) -> Option<Problem> {
    let (Record::Duban(before), Record::Duban(after)) = (before, after) else {
        return None;
    };
    if before.status != DubanStatus::Draft || after.status == DubanStatus::Draft {
        return None;
    }
    let missing = missing_for_assignment(after);
    (!missing.is_empty()).then_some(Problem::AssignIncomplete { missing })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::RecordKind;
    use crate::rules::{Role, check_change};
    use crate::samples::duban_item;

    fn draft() -> DubanItem {
        DubanItem {
            status: DubanStatus::Draft,
            assigned_at: None,
            ..duban_item()
        }
    }

    fn assign(
        before: &DubanItem,
        edit: impl FnOnce(&mut DubanItem),
    ) -> Vec<super::super::Violation> {
        let mut after = before.clone();
        after.status = DubanStatus::Assigned;
        edit(&mut after);
        check_change(
            RecordKind::Duban,
            &[Role::Supervisor],
            &Record::Duban(before.clone()),
            &Record::Duban(after),
        )
    }

    #[test]
    fn assigning_requires_a_lead_unit_a_handler_and_a_supervisor() {
        let complete = draft();
        assert!(!complete.handlers.is_empty() && !complete.supervisors.is_empty());
        assert_eq!(assign(&complete, |_| {}), vec![]);

        let orphan = DubanItem {
            lead_unit: None,
            handlers: vec![],
            supervisors: vec![],
            ..draft()
        };
        let violations = assign(&orphan, |_| {});
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].field, "status");
        assert_eq!(
            violations[0].problem,
            Problem::AssignIncomplete {
                missing: vec!["lead_unit", "handlers", "supervisors"]
            }
        );
        assert!(violations[0].to_string().contains("handlers"));

        // Only the handler missing: named alone.
        let no_handler = DubanItem {
            handlers: vec![],
            ..draft()
        };
        assert_eq!(
            assign(&no_handler, |_| {})[0].problem,
            Problem::AssignIncomplete {
                missing: vec!["handlers"]
            }
        );
        // Named in the same change that assigns: accepted.
        assert_eq!(
            assign(&orphan, |item| {
                item.lead_unit = Some("plant-2".into());
                item.handlers = vec!["u-zhang".into()];
                item.supervisors = vec!["u-li".into()];
            }),
            vec![]
        );
    }

    #[test]
    fn other_moves_and_edits_of_drafts_are_not_concerned() {
        // A draft may lack everyone while it is prepared.
        let orphan = DubanItem {
            handlers: vec![],
            ..draft()
        };
        let mut edited = orphan.clone();
        edited.title = "新标题".into();
        assert_eq!(
            check_change(
                RecordKind::Duban,
                &[Role::Supervisor],
                &Record::Duban(orphan),
                &Record::Duban(edited)
            ),
            vec![]
        );
        // An assigned item that lost its handler is no new 交办.
        let assigned = DubanItem {
            handlers: vec![],
            ..duban_item()
        };
        let mut accepted = assigned.clone();
        accepted.status = DubanStatus::InProgress;
        assert_eq!(
            move_problem(&Record::Duban(assigned), &Record::Duban(accepted)),
            None
        );
    }
}
