//! 督办单 and 催办通知单: the papers of a 督办事项.

use duyan_shared::records::{DubanItem, Urge};

use super::labels::{self as zh, date, date_or_dash, date_time};
use super::layout::{self, body, body_lines, heading1, heading2};
use super::{Block, Context, DocumentError, add, pack, photo_grid};

/// The people or units named by `ids`, joined with 、; `—` for none.
fn joined(ids: &[String], name: impl Fn(&str) -> String) -> String {
    if ids.is_empty() {
        "—".to_owned()
    } else {
        ids.iter().map(|id| name(id)).collect::<Vec<_>>().join("、")
    }
}

/// The rows of the matter's table, shared by both papers.
fn matter_rows(item: &DubanItem, ctx: &Context<'_>) -> Vec<(&'static str, String)> {
    let names = ctx.names;
    let mut urgency = zh::urgency(item.urgency).to_owned();
    if item.is_major {
        urgency.push_str("（重大事项）");
    }
    vec![
        ("督办事项", item.title.clone()),
        (
            "文　　号",
            item.doc_no.clone().unwrap_or_else(|| "—".into()),
        ),
        ("事项来源", zh::source(item.source).to_owned()),
        ("工作层级", zh::level(item.level).to_owned()),
        ("紧急程度", urgency),
        (
            "主办单位",
            item.lead_unit
                .as_deref()
                .map_or_else(|| "—".to_owned(), |u| names.unit(u)),
        ),
        ("协办单位", joined(&item.co_units, |u| names.unit(u))),
        ("承 办 人", joined(&item.handlers, |u| names.user(u))),
        ("督 办 员", joined(&item.supervisors, |u| names.user(u))),
        ("交办时间", date_or_dash(item.assigned_at)),
        ("办结时限", date_or_dash(item.deadline)),
        (
            "反馈要求",
            zh::feedback_cycle(item.feedback_cycle).to_owned(),
        ),
        (
            "办理状态",
            crate::api::xlsx::status_zh(item.status.as_str()).to_owned(),
        ),
    ]
}

/// 督办单: the matter as assigned (table), its requirements, the leaders' instructions, the
/// milestones, how it went (progress, site checks with their photos, reviews, evaluation), and
/// the blocks the supervisor and the lead unit sign.
pub fn duban_sheet(item: &DubanItem, ctx: &Context<'_>) -> Result<Vec<u8>, DocumentError> {
    let names = ctx.names;
    let mut blocks: Vec<Block> = layout::letterhead(ctx.issuer, item.doc_no.as_deref())
        .into_iter()
        .map(Block::from)
        .collect();
    blocks.push(layout::title("督　办　单").into());
    blocks.push(layout::field_table(&matter_rows(item, ctx)).into());

    blocks.push(heading1("一、督办内容及要求").into());
    blocks.extend(
        body_lines(item.detail.as_str(), "（无）")
            .into_iter()
            .map(Block::from),
    );

    if !item.instructions.is_empty() {
        blocks.push(heading1("二、领导批示").into());
        for i in &item.instructions {
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

    let mut section = if item.instructions.is_empty() { 2 } else { 3 };
    let mut next = |title: &str| {
        let heading = heading1(&format!("{}、{title}", zh::numeral(section)));
        section += 1;
        Block::from(heading)
    };

    if !item.milestones.is_empty() {
        blocks.push(next("阶段节点"));
        let rows: Vec<Vec<String>> = item
            .milestones
            .iter()
            .map(|m| vec![m.title.clone(), date(m.due), date_or_dash(m.done_at)])
            .collect();
        blocks.push(
            layout::grid_table(
                &["节点", "计划完成", "实际完成"],
                &[3_844, 2_500, 2_500],
                &rows,
            )
            .into(),
        );
    }

    blocks.push(next("办理情况"));
    if item.progress.is_empty() {
        blocks.push(body("尚无进展反馈。").into());
    } else {
        let rows: Vec<Vec<String>> = item
            .progress
            .iter()
            .map(|p| {
                let mut text = p.text.clone();
                if let Some(problems) = p.problems.as_deref().filter(|s| !s.is_empty()) {
                    text.push_str(&format!("\n存在问题：{problems}"));
                }
                if let Some(line) = super::attachments_line(&p.attachments) {
                    text.push_str(&format!("\n{line}"));
                }
                vec![
                    date(p.at),
                    p.percent
                        .map_or_else(|| "—".into(), |v| format!("{}%", v.get())),
                    text,
                    names.user(&p.by),
                ]
            })
            .collect();
        blocks.push(
            layout::grid_table(
                &["日期", "进度", "进展情况", "反馈人"],
                &[2_400, 900, 4_144, 1_400],
                &rows,
            )
            .into(),
        );
    }

    if !item.site_checks.is_empty() {
        blocks.push(next("现场督办"));
        for (n, check) in (1..).zip(&item.site_checks) {
            blocks.push(
                heading2(&format!(
                    "（{}）{}，{}",
                    zh::numeral(n),
                    date(check.at),
                    check.place
                ))
                .into(),
            );
            blocks.push(body(&format!("{}（{}）", check.findings, names.user(&check.by))).into());
            if let Some(line) = super::attachments_line(&check.attachments) {
                blocks.push(body(&line).into());
            }
            let photos: Vec<_> = check
                .before_photos
                .iter()
                .map(|p| (p, caption("整改前", p)))
                .chain(check.after_photos.iter().map(|p| (p, caption("整改后", p))))
                .collect();
            blocks.extend(photo_grid(&photos, ctx));
        }
    }

    if !item.reviews.is_empty() || item.evaluation.is_some() {
        blocks.push(next("审核与评价"));
        for r in &item.reviews {
            blocks.push(
                body(&format!(
                    "{}，{}审核：{}。{}",
                    date(r.at),
                    names.user(&r.by),
                    zh::verdict(r.verdict),
                    r.opinion
                ))
                .into(),
            );
        }
        if let Some(e) = &item.evaluation {
            blocks.push(
                body(&format!(
                    "{}，{}评价：{}分，{}。{}",
                    date(e.at),
                    names.user(&e.by),
                    e.score,
                    zh::rating(e.rating),
                    e.comment
                ))
                .into(),
            );
        }
    }

    blocks.push(layout::gap().into());
    blocks.push(layout::signatures(&["督办员", "主办单位负责人"]).into());
    blocks.extend(
        layout::issued(ctx.issuer, &date(ctx.today))
            .into_iter()
            .map(Block::from),
    );
    pack(add(layout::page(), blocks))
}

/// `整改前 · 3月5日 14:30 · 阀井` from what the photo says about itself.
fn caption(kind: &str, photo: &duyan_shared::records::PhotoRef) -> String {
    let mut parts = vec![kind.to_owned()];
    if let Some(at) = photo.taken_at {
        parts.push(date_time(at));
    }
    if let Some(text) = photo.caption.as_deref().filter(|s| !s.is_empty()) {
        parts.push(text.to_owned());
    }
    parts.join(" · ")
}

/// 催办通知单 for the urge `urge_id` of `item`; `None` when the item has no such urge.
pub fn urge_notice(
    item: &DubanItem,
    urge_id: &str,
    ctx: &Context<'_>,
) -> Option<Result<Vec<u8>, DocumentError>> {
    let urge = item.urges.iter().find(|u| u.id == urge_id)?;
    Some(notice(item, urge, ctx))
}

fn notice(item: &DubanItem, urge: &Urge, ctx: &Context<'_>) -> Result<Vec<u8>, DocumentError> {
    let names = ctx.names;
    let title = match urge.level {
        duyan_shared::records::UrgeLevel::Reminder => "督办提醒单",
        duyan_shared::records::UrgeLevel::Urge => "催办通知单",
        duyan_shared::records::UrgeLevel::Notice => "催办通报单",
    };
    // Numbered within the item: the 2nd urge of 督字〔2026〕21号 is 督字〔2026〕21号-催2.
    let number = item.urges.iter().position(|u| u.id == urge.id).unwrap_or(0) + 1;
    let doc_no = item.doc_no.as_deref().map(|no| format!("{no}-催{number}"));
    let mut blocks: Vec<Block> = layout::letterhead(ctx.issuer, doc_no.as_deref())
        .into_iter()
        .map(Block::from)
        .collect();
    blocks.push(layout::title(title).into());

    let addressee = item
        .lead_unit
        .as_deref()
        .map_or_else(|| "各承办单位".to_owned(), |u| names.unit(u));
    blocks.push(
        docx_rs::Paragraph::new()
            .add_run(layout::run(
                &format!("{addressee}："),
                layout::FONT_BODY,
                layout::size::SAN,
            ))
            .line_spacing(layout::exact(560))
            .into(),
    );
    let deadline = item.deadline.map_or_else(|| "规定时限".to_owned(), date);
    let last = item.progress.iter().map(|p| p.at).max();
    let last = last.map_or_else(
        || "至今未反馈办理进展".to_owned(),
        |at| format!("最近一次反馈为{}", date(at)),
    );
    let no = item
        .doc_no
        .as_deref()
        .map(|n| format!("（{n}）"))
        .unwrap_or_default();
    blocks.push(
        body(&format!(
            "你单位承办的“{}”{no}，办结时限为{deadline}，{last}。现予{}：",
            item.title,
            zh::urge_level(urge.level)
        ))
        .into(),
    );
    blocks.extend(
        body_lines(&urge.message, "请抓紧办理并及时反馈。")
            .into_iter()
            .map(Block::from),
    );
    blocks.push(body("请于收到本通知后及时将办理情况书面反馈督办部门。").into());
    blocks.push(layout::gap().into());

    let mut rows = matter_rows(item, ctx);
    rows.retain(|(label, _)| !matches!(*label, "事项来源" | "工作层级" | "反馈要求"));
    rows.push(("催办等级", zh::urge_level(urge.level).to_owned()));
    rows.push(("催办时间", date_time(urge.at)));
    rows.push(("催 办 人", names.user(&urge.by)));
    blocks.push(layout::field_table(&rows).into());

    blocks.push(layout::gap().into());
    blocks.push(layout::signatures(&["承办单位签收人"]).into());
    blocks.extend(
        layout::issued(ctx.issuer, &date(urge.at))
            .into_iter()
            .map(Block::from),
    );
    pack(add(layout::page(), blocks))
}
