//! What reading a whole 督办事项 costs as it grows: the server reads the record after every
//! message that changes it (to review the change and update the records list), so this is a
//! per-message cost that grows with the record. Also shown: Automerge's own `hydrate`, the
//! least a full read could cost with this Automerge version, and what the server pays instead
//! ([`RecordReader`]): a whole read, each object's values fetched in one pass, and a read after
//! one progress entry was appended (the touched objects found, only they read again).
//!
//!     cargo run --release -p duyan-shared --example hydrate_cost

use std::hint::black_box;
use std::time::{Duration, Instant};

use duyan_shared::records::{Record, RecordReader, Touched, new_document};
use duyan_shared::samples::duban_item;

const ROUNDS: u32 = 50;

fn per_round(mut f: impl FnMut()) -> Duration {
    let started = Instant::now();
    for _ in 0..ROUNDS {
        f();
    }
    started.elapsed() / ROUNDS
}

fn main() {
    for entries in [20usize, 120, 220] {
        let mut item = duban_item();
        let template = item.progress[0].clone();
        item.progress = (0..entries)
            .map(|i| {
                let mut entry = template.clone();
                entry.id = format!("p{i}");
                // About the length of the bench's notes (70 to 120 characters).
                entry.text = "按照月度会要求，限期清运厂区堆放的固体废物，并建立台账。".repeat(3);
                entry
            })
            .collect();
        let mut written = new_document();
        Record::Duban(item)
            .write_to(&mut written)
            .expect("a valid record");
        let doc = automerge::Automerge::load(&written.save()).expect("just saved");

        let typed = per_round(|| {
            black_box(Record::from_doc(&doc).expect("a valid record"));
        });
        let bare = per_round(|| {
            black_box(doc.hydrate(None));
        });
        let prefetched = per_round(|| {
            black_box(
                RecordReader::new()
                    .read(&doc, Touched::Everything)
                    .expect("a valid record"),
            );
        });
        let cached = after_append(&written);
        println!(
            "{entries:>3} progress entries: Record::from_doc {typed:.2?} ({:.0?} per entry), Automerge hydrate {bare:.2?}, whole read by RecordReader {prefetched:.2?}, read after appending one entry {cached:.2?}",
            typed / u32::try_from(entries).expect("small")
        );
    }
}

/// The server's cost per message that appends an entry: finding what it touched, then reading
/// the record through a [`RecordReader`] that read it before.
fn after_append(written: &automerge::AutoCommit) -> Duration {
    let mut doc = written.clone();
    let mut reader = RecordReader::new();
    reader
        .read(doc.document(), Touched::Everything)
        .expect("a valid record");
    let mut spent = Duration::ZERO;
    for round in 0..ROUNDS {
        let Ok(Record::Duban(mut item)) = Record::from_doc(&doc) else {
            panic!("a duban item");
        };
        let mut entry = item.progress[0].clone();
        entry.id = format!("new{round}");
        item.progress.push(entry);
        let since = doc.get_heads();
        Record::Duban(item)
            .write_to(&mut doc)
            .expect("a valid record");
        doc.commit();
        let changes = doc.get_changes(&since);

        let started = Instant::now();
        let touched = Touched::by_changes(doc.document(), &changes);
        black_box(
            reader
                .read(doc.document(), touched)
                .expect("a valid record"),
        );
        spent += started.elapsed();
    }
    spent / ROUNDS
}
