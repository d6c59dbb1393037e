//! The 考核 as a workbook: sheet 考核 (one row per unit: score, rank, items, points deducted
//! and added), sheet 明细 (every point with its item and rule).

use duyan_shared::assessment::RuleKind;
use rust_xlsxwriter::{Workbook, XlsxError};

use super::assessments::Answer;
use crate::api::xlsx::{self, Formats};

/// A rule in the words of the office.
fn rule_zh(rule: RuleKind) -> &'static str {
    match rule {
        RuleKind::Overdue => "逾期",
        RuleKind::LateFeedback => "反馈不及时",
        RuleKind::Returned => "退回重办",
        RuleKind::MissedFirstResponse => "24小时未复命",
        RuleKind::Bulletin => "通报",
        RuleKind::ClosedEarly => "提前办结",
        RuleKind::Excellent => "评价优秀",
    }
}

pub(super) fn workbook(answer: &Answer) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::default();
    let a = &answer.assessment;
    let name = |unit: &str| {
        answer
            .names
            .get(unit)
            .cloned()
            .unwrap_or_else(|| unit.to_owned())
    };
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("考核")?;
    let frozen = if answer.frozen { "（已确认）" } else { "" };
    let title = format!("单位考核 {}{frozen}", a.period);
    sheet.write_with_format(0, 0, title.as_str(), &formats.title)?;
    let columns = [
        ("排名", 6.0),
        ("单位", 24.0),
        ("得分", 8.0),
        ("事项数", 8.0),
        ("扣分", 8.0),
        ("加分", 8.0),
    ];
    xlsx::header_row(sheet, 1, &columns, &formats.header)?;
    for (row, unit) in (2u32..).zip(&a.units) {
        // A fold from +0: an empty `sum` of floats is -0, which Excel shows as "-0".
        let minus = unit.deductions.iter().fold(0.0, |sum, p| sum + p.points);
        let plus = unit.additions.iter().fold(0.0, |sum, p| sum + p.points);
        sheet.write(row, 0, unit.rank)?;
        sheet.write(row, 1, name(&unit.unit))?;
        sheet.write(row, 2, unit.score)?;
        sheet.write(row, 3, unit.items)?;
        sheet.write(row, 4, minus)?;
        sheet.write(row, 5, plus)?;
    }
    sheet.set_freeze_panes(2, 0)?;

    let sheet = book.add_worksheet();
    sheet.set_name("明细")?;
    let columns = [
        ("单位", 24.0),
        ("事项", 32.0),
        ("规则", 14.0),
        ("分值", 8.0),
    ];
    xlsx::header_row(sheet, 0, &columns, &formats.header)?;
    let mut row = 1u32;
    for unit in &a.units {
        let signed = unit
            .deductions
            .iter()
            .map(|p| (p, -p.points))
            .chain(unit.additions.iter().map(|p| (p, p.points)));
        for (point, value) in signed {
            sheet.write(row, 0, name(&unit.unit))?;
            sheet.write(row, 1, point.record_id.as_str())?;
            sheet.write(row, 2, rule_zh(point.rule))?;
            sheet.write(row, 3, value)?;
            row += 1;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}
