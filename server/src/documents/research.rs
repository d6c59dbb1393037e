//! 调研报告: the report of a 调研记录 in its four customary sections, the findings with their
//! photos under 存在问题, the suggestions (建言献策) under 对策建议, and the visits made.

use duyan_shared::records::ResearchRecord;

use super::labels::{self as zh, date, date_time};
use super::layout::{self, body, body_lines, heading1, heading2};
use super::{Block, Context, DocumentError, add, pack, photo_grid};

/// 调研报告 of `record`.
pub fn research_report(
    record: &ResearchRecord,
    ctx: &Context<'_>,
) -> Result<Vec<u8>, DocumentError> {
    let names = ctx.names;
    let mut blocks: Vec<Block> = layout::letterhead(ctx.issuer, None)
        .into_iter()
        .map(Block::from)
        .collect();
    blocks.push(layout::title(&format!("关于{}的调研报告", strip_title(&record.title))).into());
    let mut team = vec![names.user(&record.lead)];
    team.extend(record.members.iter().map(|m| names.user(m)));
    blocks.push(
        layout::subtitle(&format!(
            "{}调研组（{}）",
            names.unit(&record.unit),
            team.join("、")
        ))
        .into(),
    );

    let period = record.period.as_ref().map_or_else(
        || "—".to_owned(),
        |p| format!("{}至{}", date(p.from), date(p.to)),
    );
    let questions = if record.questions.is_empty() {
        "—".to_owned()
    } else {
        (1..)
            .zip(&record.questions)
            .map(|(n, q)| format!("{n}. {q}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    blocks.push(
        layout::field_table(&[
            ("调研课题", record.title.clone()),
            ("课题类型", zh::research_kind(record.kind).to_owned()),
            ("牵头单位", names.unit(&record.unit)),
            ("调研时间", period),
            ("关键问题", questions),
        ])
        .into(),
    );
    blocks.push(layout::gap().into());

    let report = &record.report;
    blocks.push(heading1("一、基本情况").into());
    blocks.extend(
        body_lines(report.basic_situation.as_str(), "（待撰写）")
            .into_iter()
            .map(Block::from),
    );
    if !record.visits.is_empty() {
        let rows: Vec<Vec<String>> = record
            .visits
            .iter()
            .map(|v| {
                vec![
                    date(v.at),
                    v.place.clone(),
                    zh::visit_method(v.method).to_owned(),
                    v.people_met.clone(),
                ]
            })
            .collect();
        blocks.push(
            body(&format!(
                "调研组共开展走访、座谈等{}次：",
                record.visits.len()
            ))
            .into(),
        );
        blocks.push(
            layout::grid_table(
                &["日期", "地点", "方式", "调研对象"],
                &[2_400, 2_600, 1_500, 2_344],
                &rows,
            )
            .into(),
        );
    }

    blocks.push(heading1("二、存在问题").into());
    let problems = report.problems.as_str();
    if !problems.trim().is_empty() || record.findings.is_empty() {
        blocks.extend(
            body_lines(problems, "（待撰写）")
                .into_iter()
                .map(Block::from),
        );
    }
    for (n, finding) in (1..).zip(&record.findings) {
        blocks.push(heading2(&format!("（{}）{}", zh::numeral(n), finding.text)).into());
        let place = finding
            .visit_id
            .as_deref()
            .and_then(|id| record.visits.iter().find(|v| v.id == id))
            .map(|v| format!("，发现于{}", v.place))
            .unwrap_or_default();
        blocks.push(
            body(&format!(
                "类别：{}；程度：{}{place}（{}，{}）。",
                if finding.category.is_empty() {
                    "—"
                } else {
                    &finding.category
                },
                zh::severity(finding.severity),
                names.user(&finding.by),
                date(finding.at)
            ))
            .into(),
        );
        if let Some(s) = finding.suggestion.as_deref().filter(|s| !s.is_empty()) {
            blocks.push(body(&format!("建议：{s}")).into());
        }
        if let Some(line) = super::attachments_line(&finding.attachments) {
            blocks.push(body(&line).into());
        }
        let photos: Vec<_> = (1..)
            .zip(&finding.photos)
            .map(|(k, p)| {
                let mut caption = format!("图{n}-{k}");
                if let Some(at) = p.taken_at {
                    caption.push_str(&format!(" · {}", date_time(at)));
                }
                if let Some(c) = p.caption.as_deref().filter(|s| !s.is_empty()) {
                    caption.push_str(&format!(" · {c}"));
                }
                (p, caption)
            })
            .collect();
        blocks.extend(photo_grid(&photos, ctx));
    }

    blocks.push(heading1("三、原因分析").into());
    blocks.extend(
        body_lines(report.cause_analysis.as_str(), "（待撰写）")
            .into_iter()
            .map(Block::from),
    );

    blocks.push(heading1("四、对策建议").into());
    let countermeasures = report.countermeasures.as_str();
    if !countermeasures.trim().is_empty() || record.suggestions.is_empty() {
        blocks.extend(
            body_lines(countermeasures, "（待撰写）")
                .into_iter()
                .map(Block::from),
        );
    }
    for (n, s) in (1..).zip(&record.suggestions) {
        blocks.push(
            body(&format!(
                "（{}）{}（{}，{}）",
                zh::numeral(n),
                s.text,
                zh::suggestion_status(s.status),
                names.user(&s.by)
            ))
            .into(),
        );
    }

    if !record.instructions.is_empty() {
        blocks.push(heading1("五、领导批示").into());
        for i in &record.instructions {
            blocks.push(
                body(&format!(
                    "{}（{}，{}）",
                    i.text,
                    names.user(&i.by),
                    date(i.at)
                ))
                .into(),
            );
            if let Some(line) = super::attachments_line(&i.attachments) {
                blocks.push(body(&line).into());
            }
        }
    }

    blocks.push(layout::gap().into());
    blocks.push(layout::signatures(&["调研组负责人", "审核人"]).into());
    blocks.extend(
        layout::issued(
            &format!("{}调研组", names.unit(&record.unit)),
            &date(ctx.today),
        )
        .into_iter()
        .map(Block::from),
    );
    pack(add(layout::page(), blocks))
}

/// A topic as the title's 关于…的调研报告 takes it: without a trailing 调研 or 调研报告.
fn strip_title(title: &str) -> &str {
    let title = title.trim();
    let title = title.strip_prefix("关于").unwrap_or(title);
    title
        .strip_suffix("的调研报告")
        .or_else(|| title.strip_suffix("调研报告"))
        .or_else(|| title.strip_suffix("的调研"))
        .or_else(|| title.strip_suffix("调研"))
        .unwrap_or(title)
}

#[cfg(test)]
mod tests {
    #[test]
    fn titles_read_naturally() {
        assert_eq!(
            super::strip_title("基层班组安全生产责任落实情况调研"),
            "基层班组安全生产责任落实情况"
        );
        assert_eq!(super::strip_title("关于阀井的调研报告"), "阀井");
        assert_eq!(super::strip_title("固废管理"), "固废管理");
    }
}
