//! Who may read a photo: photos by right, not by hash.
//!
//! Attachments (files that are not photos, [`AttachmentRef`]) are blobs too and follow exactly
//! this rule: the names a record references ([`names_in`]) are its photos' and its
//! attachments', so `record_photos` (despite its name) holds both, and `may_read_blob` answers
//! for both.
//!
//! A record names a photo by its SHA-256, and anyone can write any hash into a record they
//! may edit, so naming a photo grants nothing by itself. A user reads a photo if
//! - they uploaded it (finished its upload: `blobs.uploaded_by`), or
//! - they may read a record in which the photo was referenced by someone who could read it
//!   then: its uploader (checked when the photo is read, since phones record a photo before
//!   they upload it), or a reader of the photo at the time of the reference.
//!
//! Each reference (`record_photos`, one row per record and photo, kept by the projection) notes
//! who made it (`referenced_by`) and whether they could read the photo then (`granted`). The
//! sync layer's review knows who wrote a change, so it notes the photos a change newly
//! references, with their author as a [`Reader`] ([`note_references`]); the projection writes
//! them in the same transaction as the record's row, deciding `granted` in SQL with
//! `may_read_blob` on the state of that moment. A reference whose author is not known (one
//! merged from another process before it projected, or rebuilt by `duyan reindex`) grants
//! nothing until its author's own projection marks it.
//!
//! The check is one SQL function, `may_read_blob(reader, reads_all, units, sha256)` (migration
//! `0013_photo_rights.sql`), built on `readable_records`; photo bytes, thumbnails, the ledger's
//! zip and the Word documents all ask it. See `docs/ARCHITECTURE.md`, "Photos by right".

use std::collections::HashSet;

use super::{Content, Reader, View};
use duyan_shared::records::{AttachmentRef, DubanItem, Record, ResearchRecord, attachments_of};

/// A photo a change newly referenced in a record, and the author of the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub sha256: String,
    pub by: Reader,
}

/// The photos and attachments a 督办事项 references (progress, site checks before and after,
/// 批示).
pub fn names_in_item(item: &DubanItem) -> Vec<String> {
    let photos = item.progress.iter().flat_map(|p| &p.photos).chain(
        item.site_checks
            .iter()
            .flat_map(|s| s.before_photos.iter().chain(&s.after_photos)),
    );
    names(
        photos
            .map(|p| p.sha256.as_str())
            .chain(attachments_in_item(item).map(|a| a.sha256.as_str())),
    )
}

/// The photos and attachments a 调研记录 references (visits, findings, 批示).
pub fn names_in_research(record: &ResearchRecord) -> Vec<String> {
    let photos = record
        .visits
        .iter()
        .flat_map(|v| &v.photos)
        .chain(record.findings.iter().flat_map(|f| &f.photos));
    names(
        photos
            .map(|p| p.sha256.as_str())
            .chain(attachments_in_research(record).map(|a| a.sha256.as_str())),
    )
}

/// Every attachment of a 督办事项, entry by entry (progress, the closing request included; site
/// checks; 批示).
pub fn attachments_in_item(item: &DubanItem) -> impl Iterator<Item = &AttachmentRef> {
    let progress = item
        .progress
        .iter()
        .flat_map(|p| attachments_of(&p.attachments));
    let checks = item
        .site_checks
        .iter()
        .flat_map(|s| attachments_of(&s.attachments));
    let instructions = item
        .instructions
        .iter()
        .flat_map(|i| attachments_of(&i.attachments));
    progress.chain(checks).chain(instructions)
}

/// Every attachment of a 调研记录 (visits, findings, 批示).
pub fn attachments_in_research(record: &ResearchRecord) -> impl Iterator<Item = &AttachmentRef> {
    let visits = record
        .visits
        .iter()
        .flat_map(|v| attachments_of(&v.attachments));
    let findings = record
        .findings
        .iter()
        .flat_map(|f| attachments_of(&f.attachments));
    let instructions = record
        .instructions
        .iter()
        .flat_map(|i| attachments_of(&i.attachments));
    visits.chain(findings).chain(instructions)
}

/// Every attachment of a record.
pub fn attachments_in(record: &Record) -> Vec<&AttachmentRef> {
    match record {
        Record::Duban(item) => attachments_in_item(item).collect(),
        Record::Research(record) => attachments_in_research(record).collect(),
        // A meeting holds no attachments.
        Record::Meeting(_) => Vec::new(),
    }
}

/// The photos a record references.
pub fn names_in(record: &Record) -> Vec<String> {
    match record {
        Record::Duban(item) => names_in_item(item),
        Record::Research(record) => names_in_research(record),
        // A meeting holds no photos.
        Record::Meeting(_) => Vec::new(),
    }
}

/// The distinct, well-formed blob names among `shas`, sorted. A reference that is not a
/// lowercase hex SHA-256 names no blob that could ever be stored, so it is left out.
fn names<'a>(shas: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = shas
        .into_iter()
        .filter(|sha| {
            sha.len() == 64 && sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
        .map(str::to_owned)
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Adds to `out` the photos that the record `after` references and `before` did not, as
/// references by `author` (`None`: unknown or disabled, whose references grant nothing).
pub fn note_references(
    out: &mut Vec<Reference>,
    before: &View,
    after: &View,
    author: Option<Reader>,
) {
    let (Content::Record(after), Some(author)) = (&after.content, author) else {
        return;
    };
    let known: HashSet<String> = match &before.content {
        Content::Record(before) => names_in(before).into_iter().collect(),
        _ => HashSet::new(),
    };
    out.extend(
        names_in(after)
            .into_iter()
            .filter(|name| !known.contains(name))
            .map(|sha256| Reference {
                sha256,
                by: author.clone(),
            }),
    );
}
