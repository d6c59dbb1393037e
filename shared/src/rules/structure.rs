//! 工作清单 structure: where a 督办事项 may hang (`parent`).
//!
//! The rules that need only the item are here, so the phone can check them offline: an item is
//! never its own parent. That the author may read the parent is the server's part (it alone
//! knows every record); the field table lets only supervisors change `parent`, and
//! supervisors read every record, so the server refuses a parent at creation from anyone who
//! does not read every record (see `server::sync::access`).

use crate::document_id::DocumentId;
use crate::records::DubanItem;

/// What is wrong with an item's `parent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentProblem {
    /// The item names itself as its parent.
    ItSelf,
}

impl std::fmt::Display for ParentProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ItSelf => write!(f, "an item cannot be its own parent"),
        }
    }
}

/// What is wrong with the `parent` of the item stored as document `id`, if anything.
pub fn parent_problem(id: &DocumentId, item: &DubanItem) -> Option<ParentProblem> {
    (item.parent.as_ref() == Some(id)).then_some(ParentProblem::ItSelf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::duban_item;

    #[test]
    fn an_item_is_never_its_own_parent() {
        let id = DocumentId::from_bytes([1; 16]);
        let other = DocumentId::from_bytes([2; 16]);
        let mut item = duban_item();
        assert_eq!(parent_problem(&id, &item), None);
        item.parent = Some(other);
        assert_eq!(parent_problem(&id, &item), None);
        item.parent = Some(id);
        assert_eq!(parent_problem(&id, &item), Some(ParentProblem::ItSelf));
    }
}
