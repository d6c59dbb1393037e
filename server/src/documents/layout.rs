//! The page and the pieces every document is made of, laid out as Chinese offices lay out
//! their papers (after GB/T 9704《党政机关公文格式》): A4, margins 37/35/28/26 mm, the issuing
//! body's name in red over a red rule (红头), titles in 方正小标宋, body text in 仿宋_GB2312 三号
//! (16 pt) at a fixed 28 pt line, first-level headings in 黑体, second-level in 楷体.
//!
//! Fonts: a .docx names one font per script, and docx-rs writes a fixed font table, so the
//! fallbacks cannot travel inside the file. The names are the ones offices install for 公文;
//! where one is missing Word and WPS substitute the system's 宋体/SimSun, and LibreOffice its
//! own table (仿宋 → FangSong, AR PL UKai; 宋体 → SimSun, AR PL UMing). The print view in the
//! app names the whole stack in CSS (`web/src/documents/print.css`).

use docx_rs::{
    AlignmentType, BorderType, Docx, LineSpacing, LineSpacingType, PageMargin, Paragraph,
    ParagraphBorder, ParagraphBorderPosition, ParagraphBorders, Run, RunFonts, SpecialIndentType,
    Table, TableCell, TableCellBorder, TableCellBorderPosition, TableCellBorders, TableRow,
    VAlignType, WidthType,
};

/// 方正小标宋简体: titles and the issuing body's name.
pub const FONT_TITLE: &str = "方正小标宋简体";
/// 仿宋_GB2312: body text and tables.
pub const FONT_BODY: &str = "仿宋_GB2312";
/// 黑体: first-level headings (一、).
pub const FONT_H1: &str = "黑体";
/// 楷体_GB2312: second-level headings (（一）).
pub const FONT_H2: &str = "楷体_GB2312";
/// Latin letters and digits.
pub const FONT_LATIN: &str = "Times New Roman";

/// Red of the 红头 and its rule.
pub const RED: &str = "E60012";

/// Font sizes in half-points, by their Chinese names.
pub mod size {
    /// 小初 (36 pt): the issuing body's name.
    pub const XIAO_CHU: usize = 72;
    /// 二号 (22 pt): titles.
    pub const ER: usize = 44;
    /// 三号 (16 pt): body text.
    pub const SAN: usize = 32;
    /// 四号 (14 pt): tables.
    pub const SI: usize = 28;
    /// 小五 (9 pt): notes and captions' small print.
    pub const XIAO_WU: usize = 18;
    /// 五号 (10.5 pt): captions.
    pub const WU: usize = 21;
}

/// Two characters of 三号 (16 pt), in twips: the first-line indent of body text. Word reads
/// `firstLineChars` (2 characters whatever the size); LibreOffice only this.
const INDENT: i32 = 640;

/// A4 in twentieths of a point (twips).
const A4: (u32, u32) = (11_906, 16_838);
/// 1 mm in twips.
const MM: f64 = 56.692;
/// The text width: 210 mm less the side margins (28 + 26 mm), in twips.
pub const TEXT_WIDTH: usize = 8_844;
/// The text width in EMU (images): 156 mm.
pub const TEXT_WIDTH_EMU: u32 = 5_616_000;

fn mm(value: f64) -> i32 {
    // Margins are a few thousand twips: far from overflowing.
    #[allow(clippy::cast_possible_truncation)]
    let twips = (value * MM).round() as i32;
    twips
}

/// An empty A4 document with the office's margins and fonts.
pub fn page() -> Docx {
    Docx::new()
        .page_size(A4.0, A4.1)
        .page_margin(PageMargin {
            top: mm(37.0),
            bottom: mm(35.0),
            left: mm(28.0),
            right: mm(26.0),
            header: mm(15.0),
            footer: mm(28.0),
            gutter: 0,
        })
        .default_fonts(fonts(FONT_BODY))
        .default_size(size::SAN)
}

/// `east_asia` for Chinese, Times New Roman for Latin text and digits.
pub fn fonts(east_asia: &str) -> RunFonts {
    RunFonts::new()
        .east_asia(east_asia)
        .ascii(FONT_LATIN)
        .hi_ansi(FONT_LATIN)
        .cs(FONT_LATIN)
}

/// A run of `text` in `font` at `size` half-points.
pub fn run(text: &str, font: &str, size: usize) -> Run {
    Run::new().add_text(text).fonts(fonts(font)).size(size)
}

/// Body text at the fixed line of 公文 (28 pt), first line indented by two characters.
pub fn body(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, FONT_BODY, size::SAN))
        .line_spacing(exact(560))
        .indent(None, Some(SpecialIndentType::FirstLine(INDENT)), None, None)
        .first_line_chars(200)
        .align(AlignmentType::Both)
}

/// Every line of `text` as a body paragraph (empty lines dropped); `fallback` when it is empty.
pub fn body_lines(text: &str, fallback: &str) -> Vec<Paragraph> {
    let lines: Vec<Paragraph> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(body)
        .collect();
    if lines.is_empty() {
        vec![body(fallback)]
    } else {
        lines
    }
}

/// A line spacing of exactly `twips`.
pub fn exact(twips: i32) -> LineSpacing {
    LineSpacing::new()
        .line_rule(LineSpacingType::Exact)
        .line(twips)
}

/// The 红头: the issuing body's name in red, the 文号 (if any) under it, a red rule.
pub fn letterhead(issuer: &str, doc_no: Option<&str>) -> Vec<Paragraph> {
    let name = Paragraph::new()
        .add_run(run(issuer, FONT_TITLE, size::XIAO_CHU).color(RED))
        .align(AlignmentType::Center)
        .line_spacing(LineSpacing::new().before(240).after(240));
    let mut rule = Paragraph::new()
        .add_run(run(doc_no.unwrap_or(""), FONT_BODY, size::SAN))
        .align(AlignmentType::Center)
        .line_spacing(LineSpacing::new().after(360));
    // Only the bottom: docx-rs's default borders are all four sides.
    rule.property = rule.property.set_borders(
        ParagraphBorders::with_empty().set(
            ParagraphBorder::new(ParagraphBorderPosition::Bottom)
                .val(BorderType::Single)
                .size(18)
                .space(4)
                .color(RED),
        ),
    );
    vec![name, rule]
}

/// A document's title: 方正小标宋 二号, centred, a blank line's room around it.
pub fn title(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, FONT_TITLE, size::ER))
        .align(AlignmentType::Center)
        .line_spacing(LineSpacing::new().before(240).after(360))
}

/// A smaller centred line under a title (who wrote it, when).
pub fn subtitle(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, FONT_H2, size::SAN))
        .align(AlignmentType::Center)
        .line_spacing(LineSpacing::new().after(240))
}

/// `一、…`: 黑体 三号.
pub fn heading1(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, FONT_H1, size::SAN))
        .line_spacing(exact(560))
        .indent(None, Some(SpecialIndentType::FirstLine(INDENT)), None, None)
        .first_line_chars(200)
        .keep_next(true)
}

/// `（一）…`: 楷体 三号.
pub fn heading2(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, FONT_H2, size::SAN))
        .line_spacing(exact(560))
        .indent(None, Some(SpecialIndentType::FirstLine(INDENT)), None, None)
        .first_line_chars(200)
        .keep_next(true)
}

/// A centred caption under a photo.
pub fn caption(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, FONT_BODY, size::WU))
        .align(AlignmentType::Center)
        .line_spacing(LineSpacing::new().after(120))
}

/// A table cell holding `paragraphs`.
fn cell(paragraphs: Vec<Paragraph>, width: usize) -> TableCell {
    let mut cell = TableCell::new()
        .width(width, WidthType::Dxa)
        .vertical_align(VAlignType::Center);
    for p in paragraphs {
        cell = cell.add_paragraph(p);
    }
    cell
}

/// Text in a table: 仿宋 四号, each line its own paragraph.
fn cell_text(text: &str, align: AlignmentType, bold: bool) -> Vec<Paragraph> {
    let lines: Vec<&str> = text.lines().collect();
    let lines = if lines.is_empty() { vec![""] } else { lines };
    lines
        .into_iter()
        .map(|line| {
            let mut r = run(line, FONT_BODY, size::SI);
            if bold {
                r = r.bold();
            }
            Paragraph::new()
                .add_run(r)
                .align(align)
                .line_spacing(LineSpacing::new().before(40).after(40))
        })
        .collect()
}

/// The table of a matter: a label column and a value column, row by row. A label of 4
/// characters or fewer keeps to one line.
pub fn field_table(rows: &[(&str, String)]) -> Table {
    const LABEL: usize = 2_000;
    let value = TEXT_WIDTH - LABEL;
    let rows = rows
        .iter()
        .map(|(label, text)| {
            TableRow::new(vec![
                cell(cell_text(label, AlignmentType::Center, true), LABEL),
                cell(cell_text(text, AlignmentType::Left, false), value),
            ])
            .cant_split()
        })
        .collect();
    Table::new(rows)
        .set_grid(vec![LABEL, value])
        .width(TEXT_WIDTH, WidthType::Dxa)
}

/// A table with a header row, columns `widths` (twips, adding up to about [`TEXT_WIDTH`]).
pub fn grid_table(header: &[&str], widths: &[usize], rows: &[Vec<String>]) -> Table {
    let head = TableRow::new(
        header
            .iter()
            .zip(widths)
            .map(|(h, w)| cell(cell_text(h, AlignmentType::Center, true), *w))
            .collect(),
    );
    let mut all = vec![head];
    all.extend(rows.iter().map(|row| {
        TableRow::new(
            row.iter()
                .zip(widths)
                .map(|(text, w)| cell(cell_text(text, AlignmentType::Left, false), *w))
                .collect(),
        )
        .cant_split()
    }));
    Table::new(all)
        .set_grid(widths.to_vec())
        .width(TEXT_WIDTH, WidthType::Dxa)
}

/// Signature and date blocks side by side, without borders: each `(who, …)` gets a line to
/// sign on and a date to fill in.
pub fn signatures(blocks: &[&str]) -> Table {
    let count = blocks.len().max(1);
    let width = TEXT_WIDTH / count;
    let none = || {
        let mut borders = TableCellBorders::with_empty();
        for position in [
            TableCellBorderPosition::Top,
            TableCellBorderPosition::Bottom,
            TableCellBorderPosition::Left,
            TableCellBorderPosition::Right,
        ] {
            borders = borders.set(TableCellBorder::new(position).border_type(BorderType::Nil));
        }
        borders
    };
    let row = TableRow::new(
        blocks
            .iter()
            .map(|who| {
                let lines = [
                    format!("{who}（签字）："),
                    String::new(),
                    "日期：    年  月  日".to_owned(),
                ];
                cell(
                    lines
                        .iter()
                        .map(|l| {
                            Paragraph::new()
                                .add_run(run(l, FONT_BODY, size::SI))
                                .line_spacing(LineSpacing::new().before(120).after(120))
                        })
                        .collect(),
                    width,
                )
                .set_borders(none())
            })
            .collect(),
    )
    .cant_split();
    Table::without_borders(vec![row])
        .set_grid(vec![width; count])
        .width(TEXT_WIDTH, WidthType::Dxa)
}

/// The issuing body and the date at the bottom right, as a 公文 ends.
pub fn issued(issuer: &str, date: &str) -> Vec<Paragraph> {
    [issuer, date]
        .into_iter()
        .map(|line| {
            Paragraph::new()
                .add_run(run(line, FONT_BODY, size::SAN))
                .align(AlignmentType::Right)
                .indent(None, None, Some(mm(16.0)), None)
                .line_spacing(exact(560))
        })
        .collect()
}

/// An empty paragraph: vertical room.
pub fn gap() -> Paragraph {
    Paragraph::new().line_spacing(exact(280))
}

/// A small note in the document (e.g. what is missing from it).
pub fn note(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, FONT_BODY, size::XIAO_WU).color("666666"))
        .line_spacing(LineSpacing::new().after(60))
}
