//! Property: replicas that edit concurrently and merge in any order converge, and no entry
//! appended anywhere is lost.

use std::collections::BTreeSet;

use automerge::{ActorId, AutoCommit};
use proptest::prelude::*;

use super::{DubanItem, Record, new_document};
use crate::rules::{Role, check_change};
use crate::samples::{duban_item, progress, shanghai};

/// One edit a person could make on their phone, offline.
#[derive(Debug, Clone)]
enum Edit {
    /// A handler appends a progress entry.
    AppendProgress,
    /// A supervisor edits the detail text: delete `delete` characters at character `at`
    /// (taken modulo the length) and insert `insert`.
    SpliceDetail {
        at: usize,
        delete: usize,
        insert: String,
    },
    /// A supervisor changes a scalar.
    SetCategory(&'static str),
}

const CATEGORIES: [&str; 3] = ["安全环保", "生产经营", "党建工作"];

fn edit() -> impl Strategy<Value = Edit> + Clone {
    let text = prop::collection::vec(
        prop::sample::select(vec!['整', '改', '落', '实', 'a', ' ']),
        0..6,
    )
    .prop_map(|chars| chars.into_iter().collect::<String>());
    prop_oneof![
        Just(Edit::AppendProgress),
        (any::<usize>(), 0..4usize, text).prop_map(|(at, delete, insert)| Edit::SpliceDetail {
            at,
            delete,
            insert
        }),
        prop::sample::select(CATEGORIES.to_vec()).prop_map(Edit::SetCategory),
    ]
}

/// Rounds of edits: per round, the edits of each of the three replicas, then the pairs
/// `(into, from)` that sync before the next round.
type Rounds = Vec<([Vec<Edit>; 3], Vec<(usize, usize)>)>;

fn rounds() -> impl Strategy<Value = Rounds> {
    let edits = prop::collection::vec(edit(), 0..4);
    let syncs = prop::collection::vec((0..3usize, 0..3usize), 0..3);
    prop::collection::vec(([edits.clone(), edits.clone(), edits], syncs), 1..4)
}

fn hydrate(doc: &AutoCommit) -> DubanItem {
    match Record::from_doc(doc) {
        Ok(Record::Duban(item)) => item,
        other => panic!("expected a duban item, got {other:?}"),
    }
}

/// Applies one edit as its author would (hydrate, change, write), checking it is allowed.
fn apply(doc: &mut AutoCommit, edit: &Edit, new_id: String) {
    let before = hydrate(doc);
    let mut after = before.clone();
    let role = match edit {
        Edit::AppendProgress => {
            let at = shanghai(2026, 11, 10, 9, 0);
            after.progress.push(progress(&new_id, at));
            Role::Handler
        }
        Edit::SpliceDetail { at, delete, insert } => {
            let text = after.detail.as_str();
            let bounds: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .chain([text.len()])
                .collect();
            let first = at % bounds.len();
            let last = (first + delete).min(bounds.len() - 1);
            let (start, end) = (bounds[first], bounds[last]);
            let removed = isize::try_from(end - start).unwrap();
            after.detail.splice(start, removed, insert);
            Role::Supervisor
        }
        Edit::SetCategory(category) => {
            after.category = (*category).to_owned();
            Role::Supervisor
        }
    };
    let (before, after) = (Record::from(before), Record::from(after));
    let violations = check_change(before.kind(), &[role], &before, &after);
    assert_eq!(violations, [], "{edit:?} by {role} should be allowed");
    after.write_to(doc).unwrap();
    // As the app does after each edit. An uncommitted AutoCommit transaction is committed
    // separately by each clone, giving two different changes with one sequence number.
    doc.commit();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn concurrent_edits_converge_and_keep_every_entry(
        rounds in rounds(),
        merge_orders in prop::collection::vec(any::<bool>(), 3),
    ) {
        let mut base = new_document();
        Record::from(duban_item()).write_to(&mut base).unwrap();
        let mut replicas: Vec<AutoCommit> = (0..3u8)
            .map(|i| base.fork().with_actor(ActorId::from([i + 1; 16])))
            .collect();
        let mut expected_ids: BTreeSet<String> =
            duban_item().progress.into_iter().map(|p| p.id).collect();
        let mut counter = 0;

        for (edits, syncs) in &rounds {
            for (replica, edits) in edits.iter().enumerate() {
                for edit in edits {
                    counter += 1;
                    let id = format!("r{replica}-{counter}");
                    if matches!(edit, Edit::AppendProgress) {
                        expected_ids.insert(id.clone());
                    }
                    apply(&mut replicas[replica], edit, id);
                }
            }
            for &(into, from) in syncs {
                if into != from {
                    let mut source = replicas[from].clone();
                    replicas[into].merge(&mut source).unwrap();
                }
            }
        }

        // Every replica merges the two others, in an order chosen per replica.
        let snapshot = replicas.clone();
        for (i, replica) in replicas.iter_mut().enumerate() {
            let mut others = [(i + 1) % 3, (i + 2) % 3];
            if merge_orders[i] {
                others.reverse();
            }
            for other in others {
                let mut source = snapshot[other].clone();
                replica.merge(&mut source).unwrap();
            }
        }

        let merged: Vec<DubanItem> = replicas.iter().map(hydrate).collect();
        prop_assert_eq!(&merged[0], &merged[1]);
        prop_assert_eq!(&merged[1], &merged[2]);
        let ids: Vec<&str> = merged[0].progress.iter().map(|p| p.id.as_str()).collect();
        let unique: BTreeSet<String> = ids.iter().map(|id| (*id).to_owned()).collect();
        prop_assert_eq!(unique.len(), ids.len(), "duplicated entries: {:?}", ids);
        prop_assert_eq!(unique, expected_ids);
        prop_assert!(
            CATEGORIES.contains(&merged[0].category.as_str())
                || merged[0].category == duban_item().category
        );
    }
}
