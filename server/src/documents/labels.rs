//! The words of the office for the records' values, as the documents print them (the web app
//! has its own in `web/src/i18n/zh.ts`; these are the same words).

use duyan_shared::Timestamp;
use duyan_shared::records::{
    FeedbackCycle, Level, Rating, ResearchKind, Severity, Source, SuggestionStatus, UrgeLevel,
    Urgency, Verdict, VisitMethod,
};

pub fn source(value: Source) -> &'static str {
    match value {
        Source::LeaderInstruction => "领导批示",
        Source::MeetingDecision => "会议决定",
        Source::Superior => "上级交办",
        Source::KeyWork => "重点工作",
        Source::ResearchFinding => "调研发现",
        Source::PublicReport => "群众反映",
        Source::Other => "其他",
    }
}

pub fn level(value: Level) -> &'static str {
    match value {
        Level::Company => "公司层面",
        Level::Office => "办公室层面",
        Level::Special => "专项工作层面",
    }
}

pub fn urgency(value: Urgency) -> &'static str {
    match value {
        Urgency::Normal => "一般",
        Urgency::Urgent => "紧急",
    }
}

pub fn feedback_cycle(value: FeedbackCycle) -> &'static str {
    match value {
        FeedbackCycle::None => "不定期反馈",
        FeedbackCycle::Weekly => "每周反馈",
        FeedbackCycle::Biweekly => "每两周反馈",
        FeedbackCycle::Monthly => "每月反馈",
    }
}

pub fn urge_level(value: UrgeLevel) -> &'static str {
    match value {
        UrgeLevel::Reminder => "提醒",
        UrgeLevel::Urge => "催办",
        UrgeLevel::Notice => "通报",
    }
}

pub fn verdict(value: Verdict) -> &'static str {
    match value {
        Verdict::Pass => "通过",
        Verdict::Return => "退回重办",
    }
}

pub fn rating(value: Rating) -> &'static str {
    match value {
        Rating::Excellent => "优秀",
        Rating::Good => "良好",
        Rating::Adequate => "合格",
        Rating::Inadequate => "不合格",
    }
}

pub fn research_kind(value: ResearchKind) -> &'static str {
    match value {
        ResearchKind::Routine => "日常调研",
        ResearchKind::Thematic => "专题调研",
        ResearchKind::Emergency => "应急调研",
    }
}

pub fn visit_method(value: VisitMethod) -> &'static str {
    match value {
        VisitMethod::Visit => "走访",
        VisitMethod::Discussion => "座谈",
        VisitMethod::Questionnaire => "问卷",
        VisitMethod::StayOnSite => "蹲点",
        VisitMethod::Unannounced => "四不两直",
    }
}

pub fn severity(value: Severity) -> &'static str {
    match value {
        Severity::Minor => "一般",
        Severity::Major => "较重",
        Severity::Severe => "严重",
    }
}

pub fn suggestion_status(value: SuggestionStatus) -> &'static str {
    match value {
        SuggestionStatus::Proposed => "已提出",
        SuggestionStatus::Adopted => "已采纳",
        SuggestionStatus::Implemented => "已落实",
    }
}

/// `2026年12月5日`, the calendar day in Asia/Shanghai.
pub fn date(at: Timestamp) -> String {
    use chrono::Datelike;
    let day = at.local_date();
    format!("{}年{}月{}日", day.year(), day.month(), day.day())
}

/// `2026年12月5日 14:30`.
pub fn date_time(at: Timestamp) -> String {
    format!("{} {}", date(at), at.local().format("%H:%M"))
}

/// A date or `—` when there is none.
pub fn date_or_dash(at: Option<Timestamp>) -> String {
    at.map_or_else(|| "—".to_owned(), date)
}

/// The Chinese numerals a document numbers its sections and items with: 一 to 九十九.
pub fn numeral(n: usize) -> String {
    const DIGITS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n].to_owned(),
        10..=19 => format!("十{}", if n == 10 { "" } else { DIGITS[n - 10] }),
        20..=99 => format!(
            "{}十{}",
            DIGITS[n / 10],
            if n.is_multiple_of(10) {
                ""
            } else {
                DIGITS[n % 10]
            }
        ),
        _ => n.to_string(),
    }
}

/// A 考核 rule as a 通报 names it.
pub fn rule(kind: duyan_shared::assessment::RuleKind) -> &'static str {
    use duyan_shared::assessment::RuleKind;
    match kind {
        RuleKind::Overdue => "逾期未办结",
        RuleKind::LateFeedback => "反馈不及时",
        RuleKind::Returned => "退回重办",
        RuleKind::MissedFirstResponse => "24小时未复命",
        RuleKind::Bulletin => "被通报",
        RuleKind::ClosedEarly => "提前办结",
        RuleKind::Excellent => "评价优秀",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerals_read_as_offices_write_them() {
        let got: Vec<String> = [1, 9, 10, 11, 20, 21, 99, 100]
            .into_iter()
            .map(numeral)
            .collect();
        assert_eq!(
            got,
            ["一", "九", "十", "十一", "二十", "二十一", "九十九", "100"]
        );
    }

    #[test]
    fn dates_are_shanghai_calendar_days() {
        // 00:30 in Shanghai is still the day before in UTC.
        let at = duyan_shared::samples::shanghai(2026, 12, 5, 0, 30);
        assert_eq!(chrono::Datelike::day(&at.utc()), 4);
        assert_eq!(date(at), "2026年12月5日");
        assert_eq!(date_time(at), "2026年12月5日 00:30");
    }
}
