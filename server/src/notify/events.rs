//! Events from reviewed changes: a pure function of the record before a change, the record
//! after it (as the rules left it, refused fields put back) and the user who made it.
//!
//! Every event carries a key unique within its record, named after the entry or the occasion
//! it is about (`urged:<urge id>`, `closing_requested:<n>`), never after the change that
//! brought it: whichever process reviews the change, and however often, the key is the same,
//! and the unique constraint on `notify_events.key` keeps one.

use duyan_shared::records::{
    DubanItem, DubanStatus, ExtensionVerdict, Rating, Record, Source, UrgeLevel, Verdict,
};

use super::EventKind;

/// Something that happened to a record, and who is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// Unique within the record (see the module comment).
    pub key: String,
    /// The user whose change it was; their name starts the message.
    pub actor: Option<String>,
    /// User ids to tell, the actor excluded.
    pub recipients: Vec<String>,
    /// The message after the actor's name, in Chinese, e.g. `催办（催办）：请本周内反馈`.
    pub text: String,
}

/// The events a change by `actor` made, from the record `before` it (`None`: the document held
/// no record yet) to the record `after` it.
pub fn derive(before: Option<&Record>, after: &Record, actor: &str) -> Vec<Event> {
    let mut out = Vec::new();
    match after {
        Record::Duban(item) => {
            let before = match before {
                Some(Record::Duban(b)) => Some(b),
                _ => None,
            };
            duban(before, item, actor, &mut out);
        }
        Record::Research(record) => {
            let known: &[_] = match before {
                Some(Record::Research(b)) => &b.instructions,
                _ => &[],
            };
            let mut people = vec![record.lead.clone()];
            people.extend(record.members.iter().cloned());
            for entry in &record.instructions {
                if !known.iter().any(|k| k.id == entry.id) {
                    push(
                        &mut out,
                        EventKind::Instructed,
                        format!("instructed:{}", entry.id),
                        actor,
                        &people,
                        format!("批示：{}", entry.text),
                    );
                }
            }
        }
        // Meetings tell nobody yet; closing one tells the items' people through the changes
        // it makes to the items.
        Record::Meeting(_) => {}
    }
    out
}

/// What the document task calls after reviewing a message: adds the events of the change from
/// `before` to `after` (the record as the review left it) to `out`.
pub fn of_review(
    out: &mut Vec<Event>,
    before: &crate::access::View,
    after: Option<&crate::access::View>,
    actor: &str,
) {
    use crate::access::Content;
    if let Some(Content::Record(after)) = after.map(|v| &v.content) {
        let before = match &before.content {
            Content::Record(record) => Some(record),
            _ => None,
        };
        out.extend(derive(before, after, actor));
    }
}

fn duban(before: Option<&DubanItem>, item: &DubanItem, actor: &str, out: &mut Vec<Event>) {
    let handlers = &item.handlers;
    let supervisors = &item.supervisors;
    let was = before.map(|b| b.status);

    // 交办: the item left its draft (or was created assigned).
    if item.assigned_at.is_some()
        && matches!(was, None | Some(DubanStatus::Draft))
        && item.status != DubanStatus::Draft
    {
        let when = item.assigned_at.map_or(0, |at| at.millis());
        let deadline = item
            .deadline
            .map(|d| format!("，期限 {}", d.local().format("%Y-%m-%d")))
            .unwrap_or_default();
        push(
            out,
            EventKind::Assigned,
            format!("assigned:{when}"),
            actor,
            handlers,
            format!("交办了此事项{deadline}，请在24小时内复命"),
        );
        if item.source == Source::ResearchFinding {
            push(
                out,
                EventKind::FindingAssigned,
                format!("finding_assigned:{when}"),
                actor,
                std::slice::from_ref(&item.created_by),
                "交办了由调研发现转成的督办事项".to_owned(),
            );
        }
    }
    let urges = before.map_or(&[][..], |b| &b.urges);
    let reviews = before.map_or(&[][..], |b| &b.reviews);
    let instructions = before.map_or(&[][..], |b| &b.instructions);
    let extensions = before.map_or(&[][..], |b| &b.extension_requests);

    for urge in new_entries(urges, &item.urges, |u| &u.id) {
        push(
            out,
            EventKind::Urged,
            format!("urged:{}", urge.id),
            actor,
            handlers,
            format!("{}（{}）：{}", "催办", urge_level(urge.level), urge.message),
        );
    }
    for review in new_entries(reviews, &item.reviews, |r| &r.id) {
        let (kind, what) = match review.verdict {
            Verdict::Return => (EventKind::Returned, "退回重办"),
            Verdict::Pass => (EventKind::Reviewed, "审核通过，已办结"),
        };
        push(
            out,
            kind,
            format!("{}:{}", kind.as_str(), review.id),
            actor,
            handlers,
            format!("{what}：{}", review.opinion),
        );
    }
    for entry in new_entries(instructions, &item.instructions, |i| &i.id) {
        let mut people = handlers.clone();
        people.extend(supervisors.iter().cloned());
        push(
            out,
            EventKind::Instructed,
            format!("instructed:{}", entry.id),
            actor,
            &people,
            format!("批示：{}", entry.text),
        );
    }
    // 申请办结: each request is followed by a review before the next one can be made, so the
    // number of reviews so far names the occasion.
    if item.status == DubanStatus::ClosingRequested && was != Some(DubanStatus::ClosingRequested) {
        push(
            out,
            EventKind::ClosingRequested,
            format!("closing_requested:{}", item.reviews.len()),
            actor,
            supervisors,
            "申请办结，请审核".to_owned(),
        );
    }
    for request in &item.extension_requests {
        let known = extensions.iter().find(|r| r.id == request.id);
        if known.is_none() {
            push(
                out,
                EventKind::ExtensionRequested,
                format!("extension_requested:{}", request.id),
                actor,
                supervisors,
                format!(
                    "申请延期至 {}：{}",
                    request.new_deadline.local().format("%Y-%m-%d"),
                    request.reason
                ),
            );
        }
        if let Some(decision) = &request.decision
            && known.is_none_or(|k| k.decision.is_none())
        {
            let verdict = match decision.verdict {
                ExtensionVerdict::Approved => "批准",
                ExtensionVerdict::Rejected => "未批准",
            };
            let mut people = handlers.clone();
            people.push(request.by.clone());
            let comment = decision.comment.as_deref().unwrap_or_default();
            push(
                out,
                EventKind::ExtensionDecided,
                format!("extension_decided:{}", request.id),
                actor,
                &people,
                format!(
                    "{verdict}延期申请（至 {}）{}{comment}",
                    request.new_deadline.local().format("%Y-%m-%d"),
                    if comment.is_empty() { "" } else { "：" }
                ),
            );
        }
    }
    if let Some(evaluation) = &item.evaluation
        && before.is_none_or(|b| b.evaluation.is_none())
    {
        push(
            out,
            EventKind::Evaluated,
            "evaluated".to_owned(),
            actor,
            handlers,
            format!(
                "评价：{} 分，{}{}{}",
                evaluation.score,
                rating(evaluation.rating),
                if evaluation.comment.is_empty() {
                    ""
                } else {
                    "，"
                },
                evaluation.comment
            ),
        );
    }
}

/// Entries of `after` whose id `before` does not hold.
fn new_entries<'a, T>(
    before: &'a [T],
    after: &'a [T],
    id: impl Fn(&T) -> &String + 'a,
) -> impl Iterator<Item = &'a T> + 'a {
    after
        .iter()
        .filter(move |a| !before.iter().any(|b| id(b) == id(a)))
}

fn push(
    out: &mut Vec<Event>,
    kind: EventKind,
    key: String,
    actor: &str,
    people: &[String],
    text: String,
) {
    let mut recipients: Vec<String> = Vec::with_capacity(people.len());
    for person in people {
        if person != actor && !person.is_empty() && !recipients.contains(person) {
            recipients.push(person.clone());
        }
    }
    out.push(Event {
        kind,
        key,
        actor: Some(actor.to_owned()),
        recipients,
        text,
    });
}

pub(crate) fn urge_level(level: UrgeLevel) -> &'static str {
    match level {
        UrgeLevel::Reminder => "提醒",
        UrgeLevel::Urge => "催办",
        UrgeLevel::Notice => "通报",
    }
}

fn rating(rating: Rating) -> &'static str {
    match rating {
        Rating::Excellent => "优秀",
        Rating::Good => "良好",
        Rating::Adequate => "合格",
        Rating::Inadequate => "不合格",
    }
}
