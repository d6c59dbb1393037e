//! 通报: the bulletin of a period under the office's 红头, numbered 〔year〕第N期 once published:
//! the summary, the units criticised and praised (each with its items in a table and the
//! supervisor's remark), the requirements, and the issuing body and date.

use duyan_shared::Timestamp;
use duyan_shared::api::{Bulletin, BulletinUnit};

use super::labels::{self as zh, date};
use super::layout::{self, body, body_lines, heading1, heading2};
use super::{Block, DocumentError, add, pack};

/// The table of one unit's items: 序号 | 事项 | 情况.
fn items_table(unit: &BulletinUnit) -> Block {
    let rows: Vec<Vec<String>> = (1..)
        .zip(&unit.items)
        .map(|(n, item)| {
            vec![
                format!("{n}"),
                item.title.clone(),
                item.reasons
                    .iter()
                    .map(|r| zh::rule(*r))
                    .collect::<Vec<_>>()
                    .join("、"),
            ]
        })
        .collect();
    layout::grid_table(&["序号", "事项", "情况"], &[900, 5544, 2400], &rows).into()
}

/// One list (批评 or 表扬): a heading per unit, its remark, its items.
fn units(list: &[BulletinUnit], none: &str) -> Vec<Block> {
    if list.is_empty() {
        return vec![body(none).into()];
    }
    let mut blocks = Vec::new();
    for (n, unit) in (1..).zip(list) {
        blocks.push(heading2(&format!("（{}）{}", zh::numeral(n), unit.name)).into());
        if !unit.remark.is_empty() {
            blocks.extend(body_lines(&unit.remark, "").into_iter().map(Block::from));
        }
        if !unit.items.is_empty() {
            blocks.push(items_table(unit));
        }
        if unit.more > 0 {
            blocks.push(layout::note(&format!("另有{}项未列出。", unit.more)).into());
        }
        blocks.push(layout::gap().into());
    }
    blocks
}

/// The 通报 as a .docx; `today` dates a draft (a published one carries its publishing day).
pub fn bulletin(b: &Bulletin, issuer: &str, today: Timestamp) -> Result<Vec<u8>, DocumentError> {
    let published = b.published_at.and_then(Timestamp::from_millis);
    let number = match (b.number, published) {
        (Some(n), Some(at)) => {
            use chrono::Datelike;
            format!("〔{}〕第{n}期", at.local_date().year())
        }
        _ => "（草稿）".to_owned(),
    };
    let mut blocks: Vec<Block> = layout::letterhead(issuer, Some(&number))
        .into_iter()
        .map(Block::from)
        .collect();
    blocks.push(layout::title(&b.title).into());
    blocks.push(heading1("一、总体情况").into());
    blocks.extend(
        body_lines(&b.summary, "（无）")
            .into_iter()
            .map(Block::from),
    );
    blocks.push(heading1("二、通报批评").into());
    blocks.extend(units(&b.criticised, "本期无通报批评的单位。"));
    blocks.push(heading1("三、通报表扬").into());
    blocks.extend(units(&b.praised, "本期无通报表扬的单位。"));
    blocks.push(heading1("四、工作要求").into());
    blocks.extend(
        body_lines(&b.requirements, "（无）")
            .into_iter()
            .map(Block::from),
    );
    blocks.push(layout::gap().into());
    blocks.extend(
        layout::issued(issuer, &date(published.unwrap_or(today)))
            .into_iter()
            .map(Block::from),
    );
    pack(add(layout::page(), blocks))
}
