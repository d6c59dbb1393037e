//! What a loaded document costs in memory, part by part: the bytes jemalloc counts as allocated
//! after loading 1,000 督办事项 shaped like the bench's (20 progress entries of Chinese text)
//! into Automerge, reading each as a whole record (`View`), and keeping only who may read it
//! (`Readers`), which is what the document task keeps until a document changes.
//!
//!     cargo run --release -p duyan --example doc_memory

use automerge::Automerge;
use duyan::access::View;
use duyan_shared::records::{Record, new_document};
use duyan_shared::samples::duban_item;
use tikv_jemalloc_ctl::{epoch, stats};

// The server's allocator, so the figures are what the server pays.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const DOCS: usize = 1_000;

fn allocated() -> usize {
    epoch::advance().expect("jemalloc epoch");
    stats::allocated::read().expect("jemalloc stats")
}

fn main() {
    let saved: Vec<Vec<u8>> = (0..DOCS)
        .map(|n| {
            let mut item = duban_item();
            let template = item.progress[0].clone();
            item.progress = (0..20)
                .map(|i| {
                    let mut entry = template.clone();
                    entry.id = format!("p{n}-{i}");
                    // About the length of the bench's notes (70 to 120 characters).
                    entry.text =
                        "按照月度会要求，限期清运厂区堆放的固体废物，并建立台账。".repeat(3);
                    entry
                })
                .collect();
            let mut doc = new_document();
            Record::Duban(item)
                .write_to(&mut doc)
                .expect("a valid record");
            doc.save()
        })
        .collect();
    let per_doc = |bytes: usize| bytes / DOCS;
    let saved_len: usize = saved.iter().map(Vec::len).sum();

    let start = allocated();
    let docs: Vec<Automerge> = saved
        .iter()
        .map(|bytes| Automerge::load(bytes).expect("just saved"))
        .collect();
    let loaded = allocated();
    let views: Vec<View> = docs.iter().map(|doc| View::of(doc, None)).collect();
    let viewed = allocated();
    let readers: Vec<_> = views.iter().map(View::readers).collect();
    let with_readers = allocated();

    println!(
        "{DOCS} records of {} bytes saved, per record:",
        per_doc(saved_len)
    );
    println!(
        "  Automerge document   {:>6} bytes",
        per_doc(loaded - start)
    );
    println!(
        "  whole record (View)  {:>6} bytes",
        per_doc(viewed - loaded)
    );
    println!(
        "  Readers              {:>6} bytes",
        per_doc(with_readers - viewed)
    );
    drop((docs, views, readers));
}
