//! The photos of exported records as a zip, for the meeting: one folder per record, named by
//! its 序号 in the ledger and its title, one file per photo, named by the entry it belongs to.
//!
//! The zip is written as it is sent: a blocking thread writes it (the `zip` crate is
//! synchronous), reading each photo a part at a time from the store and passing the output
//! through a small bounded channel to the response body, so memory stays a few parts whatever
//! the size of the export, and a client that stops reading stops the writer.

use std::io::{self, Write};
use std::sync::Arc;

use bytes::Bytes;
use duyan_shared::records::{DubanItem, PhotoRef};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::sync::mpsc;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::{Blob, BlobStore};

/// A photo an exported record references, and where in the zip it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `<序号>-<title>/<entry kind>-<entry id>-<n>.<ext>`, without the extension.
    pub stem: String,
    pub sha256: String,
    /// When it was taken, for the file's time in the zip.
    pub taken_at: Option<duyan_shared::time::Timestamp>,
}

/// The photos of one 督办事项 in the order a reader meets them: progress reports, then site
/// checks (before, then after). `number` is the item's 序号 in the export.
pub fn entries_of(number: usize, item: &DubanItem) -> Vec<Entry> {
    let folder = format!("{number}-{}", safe(&item.title, 60));
    let mut entries = Vec::new();
    let mut add = |kind: &str, id: &str, photos: &[PhotoRef]| {
        for (n, photo) in (1..).zip(photos) {
            entries.push(Entry {
                stem: format!("{folder}/{kind}-{}-{n}", safe(id, 40)),
                sha256: photo.sha256.clone(),
                taken_at: photo.taken_at,
            });
        }
    };
    for progress in &item.progress {
        add("进展", &progress.id, &progress.photos);
    }
    for check in &item.site_checks {
        add("整改前", &check.id, &check.before_photos);
        add("整改后", &check.id, &check.after_photos);
    }
    entries
}

/// `text` as one path segment: no separators, no characters Windows refuses in names, no
/// control characters, no leading dots, at most `max` characters; `未命名` when nothing is left.
pub fn safe(text: &str, max: usize) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .take(max)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        "未命名".to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// The file extension for a photo's media type.
pub fn extension(mime: &str) -> &'static str {
    match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/heic" => "heic",
        "image/heif" => "heif",
        _ => "bin",
    }
}

/// A file of the zip: a stored photo, a stored blob under a name of its own (an attachment),
/// a short text, or bytes made for it (a document).
pub enum File {
    Photo { entry: Entry, blob: Blob },
    Stored { name: String, blob: Blob },
    Text { name: String, text: String },
    Bytes { name: String, bytes: Vec<u8> },
}

/// Writes the zip of `files` on the blocking pool; the returned stream is its bytes. A failure
/// while writing is logged and ends the stream with an error (the client sees a broken
/// download, never a zip with a photo missing silently).
pub fn stream(
    store: Arc<dyn BlobStore>,
    files: Vec<File>,
) -> BoxStream<'static, Result<Bytes, io::Error>> {
    let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(4);
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let sink = ChannelWriter {
            tx: tx.clone(),
            buffer: Vec::with_capacity(CHUNK),
        };
        if let Err(error) = write(&runtime, store.as_ref(), files, sink) {
            if error.kind() != io::ErrorKind::BrokenPipe {
                tracing::error!(%error, "cannot write the photo export");
            }
            let _ = tx.blocking_send(Err(io::Error::other("export failed")));
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    })
    .boxed()
}

fn write(
    runtime: &tokio::runtime::Handle,
    store: &dyn BlobStore,
    files: Vec<File>,
    sink: ChannelWriter,
) -> io::Result<()> {
    let mut zip = ZipWriter::new_stream(sink);
    // Photos are compressed already: stored as they are, byte for byte.
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for file in files {
        match file {
            File::Photo { entry, blob } => {
                let name = format!("{}.{}", entry.stem, extension(&blob.mime));
                zip.start_file(name, options.last_modified_time(zip_time(entry.taken_at)))
                    .map_err(io::Error::other)?;
                let mut parts = store.read(blob.id);
                while let Some(part) = runtime.block_on(parts.next()) {
                    zip.write_all(&part.map_err(io::Error::other)?)?;
                }
            }
            File::Stored { name, blob } => {
                zip.start_file(name, options).map_err(io::Error::other)?;
                let mut parts = store.read(blob.id);
                while let Some(part) = runtime.block_on(parts.next()) {
                    zip.write_all(&part.map_err(io::Error::other)?)?;
                }
            }
            File::Text { name, text } => {
                zip.start_file(name, options).map_err(io::Error::other)?;
                zip.write_all(text.as_bytes())?;
            }
            File::Bytes { name, bytes } => {
                zip.start_file(name, options).map_err(io::Error::other)?;
                zip.write_all(&bytes)?;
            }
        }
    }
    let mut sink = zip.finish().map_err(io::Error::other)?.into_inner();
    sink.flush()
}

/// A photo's time as a zip file time (local wall clock of Asia/Shanghai, as people read it).
fn zip_time(at: Option<duyan_shared::time::Timestamp>) -> zip::DateTime {
    use chrono::{Datelike, Timelike};
    at.map(|at| at.local())
        .and_then(|t| {
            zip::DateTime::from_date_and_time(
                u16::try_from(t.year()).ok()?,
                u8::try_from(t.month()).ok()?,
                u8::try_from(t.day()).ok()?,
                u8::try_from(t.hour()).ok()?,
                u8::try_from(t.minute()).ok()?,
                u8::try_from(t.second()).ok()?,
            )
            .ok()
        })
        .unwrap_or_default()
}

/// Bytes sent to the response at a time.
const CHUNK: usize = 64 * 1024;

/// Writes into the response body's channel, blocking while it is full.
struct ChannelWriter {
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
    buffer: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

#[cfg(test)]
mod tests {
    use duyan_shared::records::SiteCheck;
    use duyan_shared::samples::{duban_item, photo, shanghai};

    use super::*;

    #[test]
    fn names_say_record_entry_and_place_and_stay_inside_their_folder() {
        let mut item = duban_item();
        item.title = "../阀井/污水:整改?".into();
        item.progress[0].photos.push(photo('c'));
        item.site_checks = vec![SiteCheck {
            id: "s/1".into(),
            at: shanghai(2026, 11, 3, 9, 0),
            by: "u-li".into(),
            withdrawn: None,
            place: "阀井".into(),
            findings: "污水".into(),
            before_photos: vec![photo('d')],
            after_photos: vec![photo('e')],
            geo: None,
            attachments: None,
        }];
        let stems: Vec<String> = entries_of(3, &item).into_iter().map(|e| e.stem).collect();
        assert_eq!(
            stems,
            [
                "3-_阀井_污水_整改_/进展-p1-1",
                "3-_阀井_污水_整改_/进展-p1-2",
                "3-_阀井_污水_整改_/整改前-s_1-1",
                "3-_阀井_污水_整改_/整改后-s_1-1",
            ]
        );
        assert_eq!(safe("  ", 10), "未命名");
        assert_eq!(safe("...", 10), "未命名");
        assert_eq!(safe("一二三四五", 3), "一二三");
    }
}
