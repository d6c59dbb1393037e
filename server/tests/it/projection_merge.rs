//! Property: three replicas of a 督办事项 make random concurrent edits the rules allow (a
//! handler reports progress, a supervisor rewrites the detail and the category), sync with
//! each other in random orders, and finally merge everything. Every replica then reads as
//! the same record, and the projection row made from each is the same row.

use automerge::{ActorId, AutoCommit};
use duyan::access::{Content, View};
use duyan::projection::Row;
use duyan_shared::DubanItem;
use duyan_shared::records::{Record, new_document};
use duyan_shared::samples::{duban_item, progress, shanghai};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Edit {
    /// The handler u-zhang appends a progress entry.
    Report,
    /// The supervisor appends to the detail text.
    Detail(String),
    /// The supervisor picks a category.
    Category(&'static str),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        Just(Edit::Report),
        prop::sample::select(vec!["限期", "整改", "闭环"]).prop_map(|s| Edit::Detail(s.to_owned())),
        prop::sample::select(vec!["安全环保", "生产经营", "党建工作"]).prop_map(Edit::Category),
    ]
}

fn read(doc: &AutoCommit) -> DubanItem {
    match Record::from_doc(doc) {
        Ok(Record::Duban(item)) => item,
        other => panic!("not a duban item: {other:?}"),
    }
}

fn apply(doc: &mut AutoCommit, edit: &Edit, serial: usize) {
    let mut item = read(doc);
    match edit {
        Edit::Report => {
            let mut entry = progress(&format!("p-{serial}"), shanghai(2026, 11, 5, 9, 0));
            entry.by = "u-zhang".into();
            entry.text = format!("第{serial}次反馈");
            item.progress.push(entry);
        }
        Edit::Detail(text) => {
            let end = item.detail.as_str().len();
            item.detail.splice(end, 0, text);
        }
        Edit::Category(category) => item.category = (*category).to_owned(),
    }
    Record::from(item).write_to(doc).unwrap();
    doc.commit();
}

fn row_of(doc: &AutoCommit) -> Row {
    let view = View {
        owner: Some("u-li".into()),
        content: Content::Record(Record::from_doc(doc).unwrap()),
    };
    Row::of(&view).expect("a record has a row")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn three_replicas_converge_to_one_record_and_one_row(
        rounds in prop::collection::vec(
            (prop::collection::vec((0..3usize, edit()), 0..5), prop::collection::vec((0..3usize, 0..3usize), 0..3)),
            1..4,
        ),
        final_order in Just([0usize, 1, 2]).prop_shuffle(),
    ) {
        let mut origin = new_document();
        Record::from(duban_item()).write_to(&mut origin).unwrap();
        origin.commit();
        let mut replicas: Vec<AutoCommit> = (0..3)
            .map(|_| origin.fork().with_actor(ActorId::random()))
            .collect();
        let mut serial = 0;
        for (edits, syncs) in &rounds {
            for (who, edit) in edits {
                serial += 1;
                apply(&mut replicas[*who], edit, serial);
            }
            for &(into, from) in syncs {
                if into != from {
                    let mut other = replicas[from].fork();
                    replicas[into].merge(&mut other).unwrap();
                }
            }
        }
        // Everyone syncs with everyone, in a random order.
        for &into in &final_order {
            for from in 0..3 {
                if from != into {
                    let mut other = replicas[from].fork();
                    replicas[into].merge(&mut other).unwrap();
                }
            }
        }
        for &into in &final_order {
            for from in 0..3 {
                let mut other = replicas[from].fork();
                replicas[into].merge(&mut other).unwrap();
            }
        }
        let records: Vec<DubanItem> = replicas.iter().map(read).collect();
        prop_assert_eq!(&records[0], &records[1]);
        prop_assert_eq!(&records[1], &records[2]);
        let reports = rounds.iter().flat_map(|(e, _)| e).filter(|(_, e)| matches!(e, Edit::Report)).count();
        prop_assert_eq!(records[0].progress.len(), duban_item().progress.len() + reports, "no report is lost");
        let rows: Vec<Row> = replicas.iter().map(row_of).collect();
        prop_assert_eq!(&rows[0], &rows[1]);
        prop_assert_eq!(&rows[1], &rows[2]);
    }
}
