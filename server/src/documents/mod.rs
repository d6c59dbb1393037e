//! The papers an office prints, signs and files, as Word documents (.docx) that Word, WPS and
//! LibreOffice open: the 督办单 of a 督办事项 ([`duban_sheet`]), the 催办通知单 of one urge
//! ([`urge_notice`]), the 调研报告 of a 调研记录 ([`research_report`]) and the 通报 of a period
//! ([`bulletin()`]).
//!
//! They are written with `docx-rs`, a model of WordprocessingML, never by pasting XML, from a
//! record and a [`Context`]: the issuing body's name for the 红头 (an admin's setting,
//! [`settings`]), names for the ids a record holds, and the photos it embeds, already scaled
//! ([`images`]). Building is pure and synchronous, so the routes run it on the blocking pool
//! and the benchmark (`server/tests/it/documents.rs`, ignored test) times it alone. The page
//! and its parts are in [`layout`]; the dossier (归档 zip) in [`dossier`].

pub mod dossier;
pub mod images;
pub mod labels;
pub mod layout;
pub mod settings;

mod bulletin;
mod duban;
mod research;

use std::collections::HashMap;
use std::io::Cursor;

use docx_rs::{Docx, Paragraph, Pic, Run, Table, TableCell, TableRow, WidthType};
use duyan_shared::Timestamp;
use duyan_shared::records::{AttachmentRef, PhotoRef, Record, attachments_of};

pub use bulletin::bulletin;
pub use duban::{duban_sheet, urge_notice};
pub use images::Rendition;
pub use research::research_report;

use crate::directory::Directory;

/// `附件：a.pdf、b.docx` for an entry's attachments, `None` when it has none. Documents name
/// the files; the dossier holds them.
pub(crate) fn attachments_line(files: &Option<Vec<AttachmentRef>>) -> Option<String> {
    let files = attachments_of(files);
    (!files.is_empty()).then(|| {
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        format!("附件：{}", names.join("、"))
    })
}

/// The media type of a Word document.
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// A document could not be written; its text is for the log only.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the document: {0}")]
pub struct DocumentError(String);

/// Names of units and people for the ids a record holds.
pub trait Names {
    /// A unit's name, or its id when unknown.
    fn unit(&self, id: &str) -> String;
    /// A person's display name, or their id when unknown.
    fn user(&self, id: &str) -> String;
}

impl Names for Directory {
    fn unit(&self, id: &str) -> String {
        Directory::unit(self, id).map_or_else(|| id.to_owned(), |u| u.name.clone())
    }

    fn user(&self, id: &str) -> String {
        Directory::user(self, id).map_or_else(|| id.to_owned(), |u| u.display_name.clone())
    }
}

/// Everything a document needs besides the record.
pub struct Context<'a> {
    /// The issuing body's name, printed in red as the 红头.
    pub issuer: &'a str,
    pub names: &'a dyn Names,
    /// The photos to embed, by SHA-256; a photo not here is listed as not available.
    pub photos: &'a HashMap<String, Rendition>,
    /// The day the document is made, printed as its date.
    pub today: Timestamp,
}

/// The photos a record's document embeds, in the order it shows them: a 督办单 its site
/// checks' (整改前, 整改后), a 调研报告 its findings'.
pub fn embedded_photos(record: &Record) -> Vec<&PhotoRef> {
    match record {
        Record::Duban(item) => item
            .site_checks
            .iter()
            .flat_map(|c| c.before_photos.iter().chain(&c.after_photos))
            .collect(),
        Record::Research(research) => research
            .findings
            .iter()
            .flat_map(|f| f.photos.iter())
            .collect(),
        Record::Meeting(_) => Vec::new(),
    }
}

/// The file name a record's document is offered under, e.g. `督办单-阀井污水整改.docx`.
pub fn file_name(record: &Record) -> String {
    let (kind, title) = match record {
        Record::Duban(item) => ("督办单", item.title.as_str()),
        Record::Research(research) => ("调研报告", research.title.as_str()),
        Record::Meeting(meeting) => ("会议纪要", meeting.title.as_str()),
    };
    format!("{kind}-{}.docx", crate::blobs::export::safe(title, 40))
}

/// The packed .docx.
fn pack(docx: Docx) -> Result<Vec<u8>, DocumentError> {
    let mut out = Cursor::new(Vec::new());
    docx.pack(&mut out)
        .map_err(|e| DocumentError(e.to_string()))?;
    Ok(out.into_inner())
}

/// Width of one photo when two share a row, in EMU (7.6 cm).
const PHOTO_EMU: u32 = 2_736_000;

/// Photos two to a row in a borderless table, each with its caption; photos not at hand
/// (not uploaded yet, or HEIC) are named instead.
fn photo_grid(photos: &[(&PhotoRef, String)], ctx: &Context<'_>) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut missing = Vec::new();
    let cells: Vec<TableCell> = photos
        .iter()
        .filter_map(|(photo, caption)| {
            let Some(rendition) = ctx.photos.get(&photo.sha256) else {
                missing.push(caption.clone());
                return None;
            };
            // Fit a 4:3 box: landscape photos fill its width, portrait ones its height, so
            // a row of two stays one height and a portrait photo does not take half a page.
            let (w, h) = (
                u64::from(rendition.width.max(1)),
                u64::from(rendition.height.max(1)),
            );
            let (box_w, box_h) = (u64::from(PHOTO_EMU), u64::from(PHOTO_EMU) * 3 / 4);
            let (width, height) = if w * box_h >= h * box_w {
                (box_w, box_w * h / w)
            } else {
                (box_h * w / h, box_h)
            };
            let emu = |v: u64| u32::try_from(v).unwrap_or(PHOTO_EMU);
            let pic =
                Pic::new_with_dimensions(rendition.png.clone(), rendition.width, rendition.height)
                    .size(emu(width), emu(height));
            let cell = TableCell::new()
                .width(layout::TEXT_WIDTH / 2, WidthType::Dxa)
                .add_paragraph(
                    Paragraph::new()
                        .add_run(Run::new().add_image(pic))
                        .align(docx_rs::AlignmentType::Center),
                )
                .add_paragraph(layout::caption(caption));
            Some(cell)
        })
        .collect();
    let mut rows = Vec::new();
    let mut cells = cells.into_iter();
    while let Some(first) = cells.next() {
        let second = cells
            .next()
            .unwrap_or_else(|| TableCell::new().width(layout::TEXT_WIDTH / 2, WidthType::Dxa));
        rows.push(TableRow::new(vec![first, second]).cant_split());
    }
    if !rows.is_empty() {
        blocks.push(Block::from(
            Table::without_borders(rows)
                .set_grid(vec![layout::TEXT_WIDTH / 2; 2])
                .width(layout::TEXT_WIDTH, WidthType::Dxa),
        ));
    }
    if !missing.is_empty() {
        blocks.push(Block::from(layout::note(&format!(
            "未附照片（尚未上传或格式不支持）：{}",
            missing.join("；")
        ))));
    }
    blocks
}

/// A paragraph or a table, in document order.
/// (Both boxed: a paragraph is kilobytes, a table hundreds of bytes, inline.)
enum Block {
    Paragraph(Box<Paragraph>),
    Table(Box<Table>),
}

/// Adds `blocks` to `docx` in order.
fn add(mut docx: Docx, blocks: impl IntoIterator<Item = Block>) -> Docx {
    for block in blocks {
        docx = match block {
            Block::Paragraph(p) => docx.add_paragraph(*p),
            Block::Table(t) => docx.add_table(*t),
        };
    }
    docx
}

impl From<Paragraph> for Block {
    fn from(p: Paragraph) -> Self {
        Self::Paragraph(Box::new(p))
    }
}

impl From<Table> for Block {
    fn from(t: Table) -> Self {
        Self::Table(Box::new(t))
    }
}
