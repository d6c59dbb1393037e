//! The dossier (归档) of a record: what goes into `GET /api/records/{id}/dossier.zip` besides
//! the documents. Every photo the record references, full size, named by the entry it belongs
//! to ([`photo_entries`]); every attachment under its own name ([`attachment_entries`]); the
//! history as CSV ([`history_csv`]: who, device, when, what).

use duyan_shared::Timestamp;
use duyan_shared::records::{AttachmentRef, PhotoRef, Record, attachments_of};

use crate::blobs::export::{Entry, safe};

/// Every photo `record` references, in the order a reader meets them, each named
/// `照片/<entry kind>-<entry id>-<n>` (the extension follows the stored type).
pub fn photo_entries(record: &Record) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut add = |kind: &str, id: &str, photos: &[PhotoRef]| {
        for (n, photo) in (1..).zip(photos) {
            entries.push(Entry {
                stem: format!("照片/{kind}-{}-{n}", safe(id, 40)),
                sha256: photo.sha256.clone(),
                taken_at: photo.taken_at,
            });
        }
    };
    match record {
        Record::Duban(item) => {
            for p in &item.progress {
                add("进展", &p.id, &p.photos);
            }
            for c in &item.site_checks {
                add("整改前", &c.id, &c.before_photos);
                add("整改后", &c.id, &c.after_photos);
            }
        }
        Record::Meeting(_) => {}
        Record::Research(research) => {
            for v in &research.visits {
                add("走访", &v.id, &v.photos);
            }
            for f in &research.findings {
                add("发现", &f.id, &f.photos);
            }
        }
    }
    entries
}

/// An attachment in the dossier: where it goes in the zip and which blob it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentEntry {
    /// `附件/<entry kind>-<entry id>-<n>-<the file's name>`: unique in the zip, and the name
    /// the person gave the file is kept.
    pub name: String,
    pub sha256: String,
}

/// Every attachment `record` references, entry by entry in the order a reader meets them.
pub fn attachment_entries(record: &Record) -> Vec<AttachmentEntry> {
    let mut entries = Vec::new();
    let mut add = |kind: &str, id: &str, files: &Option<Vec<AttachmentRef>>| {
        for (n, file) in (1..).zip(attachments_of(files)) {
            entries.push(AttachmentEntry {
                name: format!("附件/{kind}-{}-{n}-{}", safe(id, 40), safe(&file.name, 80)),
                sha256: file.sha256.clone(),
            });
        }
    };
    match record {
        Record::Duban(item) => {
            for p in &item.progress {
                add("进展", &p.id, &p.attachments);
            }
            for c in &item.site_checks {
                add("现场督办", &c.id, &c.attachments);
            }
            for i in &item.instructions {
                add("批示", &i.id, &i.attachments);
            }
        }
        Record::Research(research) => {
            for v in &research.visits {
                add("走访", &v.id, &v.attachments);
            }
            for f in &research.findings {
                add("发现", &f.id, &f.attachments);
            }
            for i in &research.instructions {
                add("批示", &i.id, &i.attachments);
            }
        }
        // A meeting holds no attachments.
        Record::Meeting(_) => {}
    }
    entries
}

/// One change of the record, as the dossier lists it.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    /// When the author's device made it.
    pub at: Option<Timestamp>,
    /// The author's name (and username), or 系统 for the server's own changes.
    pub who: String,
    /// The device (sign-in session) it came from.
    pub device: String,
    /// The fields it touched, and the server's message if it wrote one.
    pub what: String,
}

/// The history as CSV for Excel: UTF-8 with a byte order mark (without it Excel reads the
/// Chinese as mojibake), every field quoted, and a field that a spreadsheet would take as a
/// formula (`=`, `+`, `-`, `@`) prefixed with `'`, so a crafted entry cannot run one.
pub fn history_csv(rows: &[HistoryRow]) -> String {
    let mut out = String::from("\u{feff}时间,操作人,设备,操作内容\r\n");
    for row in rows {
        let at = row
            .at
            .map(|at| at.local().format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default();
        let fields = [at.as_str(), &row.who, &row.device, &row.what];
        let line: Vec<String> = fields.iter().map(|f| quoted(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

fn quoted(field: &str) -> String {
    let guarded = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use duyan_shared::samples::{attachment, duban_item, photo};

    use super::*;

    #[test]
    fn csv_is_quoted_and_defused() {
        let csv = history_csv(&[HistoryRow {
            at: Timestamp::from_millis(0),
            who: "张三 \"zs\"".into(),
            device: "=cmd|' /C calc'!A0".into(),
            what: "title, detail".into(),
        }]);
        assert!(csv.starts_with('\u{feff}'));
        let line = csv.lines().nth(1).unwrap();
        assert_eq!(
            line,
            "\"1970-01-01 08:00:00\",\"张三 \"\"zs\"\"\",\"'=cmd|' /C calc'!A0\",\"title, detail\""
        );
    }

    #[test]
    fn attachments_keep_their_names_in_a_folder_of_their_own() {
        let mut item = duban_item();
        item.progress[0].attachments = Some(vec![attachment('a')]);
        item.instructions[0].attachments = Some(vec![AttachmentRef {
            name: "../批示件.pdf".into(),
            ..attachment('b')
        }]);
        let entries = attachment_entries(&Record::Duban(item.clone()));
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        let (p, i) = (&item.progress[0].id, &item.instructions[0].id);
        assert_eq!(
            names,
            [
                format!("附件/进展-{p}-1-整改报告.pdf"),
                format!("附件/批示-{i}-1-_批示件.pdf")
            ]
        );
    }

    #[test]
    fn every_photo_of_a_record_is_listed_once_per_reference() {
        let mut item = duban_item();
        item.progress[0].photos = vec![photo('a'), photo('b')];
        let entries = photo_entries(&Record::Duban(item.clone()));
        let stems: Vec<&str> = entries.iter().map(|e| e.stem.as_str()).collect();
        let id = &item.progress[0].id;
        assert_eq!(
            stems,
            [format!("照片/进展-{id}-1"), format!("照片/进展-{id}-2")]
        );
    }
}
