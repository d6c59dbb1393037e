//! Sample records in the words the product uses: for tests, benchmarks and the demo data.

use autosurgeon::Text;
use chrono::{NaiveDate, TimeZone};

use crate::records::*;
use crate::time::{Timestamp, ZONE};

/// The instant at `y-m-d h:min` on the wall clock of Asia/Shanghai.
#[track_caller]
pub fn shanghai(y: i32, m: u32, d: u32, h: u32, min: u32) -> Timestamp {
    let local = NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|date| date.and_hms_opt(h, min, 0))
        .unwrap();
    Timestamp::from(ZONE.from_local_datetime(&local).unwrap().to_utc())
}

pub fn photo(sha_byte: char) -> PhotoRef {
    PhotoRef {
        sha256: sha_byte.to_string().repeat(64),
        mime: "image/jpeg".into(),
        bytes: 1_234_567,
        width: 4032,
        height: 3024,
        taken_at: Some(shanghai(2026, 11, 10, 9, 30)),
        geo: Some(Geo {
            lat: 31.2304,
            lng: 121.4737,
            accuracy: 8.5,
        }),
        caption: Some("阀门井内有污水".into()),
        by: "u-zhang".into(),
    }
}

/// An attachment (a PDF) named by `sha_byte` repeated.
pub fn attachment(sha_byte: char) -> AttachmentRef {
    AttachmentRef {
        sha256: sha_byte.to_string().repeat(64),
        name: "整改报告.pdf".into(),
        mime: "application/pdf".into(),
        bytes: 234_567,
        by: "u-zhang".into(),
    }
}

pub fn progress(id: &str, at: Timestamp) -> Progress {
    Progress {
        id: id.into(),
        at,
        by: "u-zhang".into(),
        withdrawn: None,
        percent: Percent::new(40),
        text: "已完成固废清运方案，正在联系处置单位。".into(),
        problems: Some("处置单位排期紧张".into()),
        photos: vec![photo('a')],
        geo: None,
        attachments: None,
    }
}

/// An item assigned on 2026-11-01 09:00, due 2026-11-22 23:59 (Shanghai), in progress.
pub fn duban_item() -> DubanItem {
    DubanItem {
        doc_no: Some("督字〔2026〕17号".into()),
        title: "二号厂区固体废物清理整改".into(),
        detail: Text::with_value("按照月度会要求，限期清运厂区堆放的固体废物，并建立台账。"),
        source: Source::MeetingDecision,
        source_ref: None,
        level: Level::Company,
        parent: None,
        category: "安全环保".into(),
        urgency: Urgency::Urgent,
        is_major: true,
        lead_unit: Some("unit-plant-2".into()),
        co_units: vec!["unit-safety".into()],
        handlers: vec!["u-zhang".into()],
        supervisors: vec!["u-li".into()],
        created_by: "u-li".into(),
        created_at: shanghai(2026, 10, 31, 16, 0),
        assigned_at: Some(shanghai(2026, 11, 1, 9, 0)),
        deadline: Some(shanghai(2026, 11, 22, 23, 59)),
        feedback_cycle: FeedbackCycle::Weekly,
        milestones: vec![],
        status: DubanStatus::InProgress,
        progress: vec![progress("p1", shanghai(2026, 11, 1, 15, 0))],
        urges: vec![],
        extension_requests: vec![],
        reviews: vec![],
        instructions: vec![Instruction {
            id: "i1".into(),
            at: shanghai(2026, 11, 2, 8, 0),
            by: "u-wang".into(),
            withdrawn: None,
            text: "请抓紧落实，月底前见成效。".into(),
            attachments: None,
        }],
        site_checks: vec![],
        evaluation: None,
    }
}

/// A research record in fieldwork, led by `u-chen` with member `u-zhao`.
pub fn research_record() -> ResearchRecord {
    ResearchRecord {
        title: "基层班组安全生产责任落实情况调研".into(),
        kind: ResearchKind::Thematic,
        questions: vec!["责任是否落实到人？".into(), "隐患整改是否闭环？".into()],
        lead: "u-chen".into(),
        members: vec!["u-zhao".into()],
        unit: "unit-office".into(),
        period: Some(Period {
            from: shanghai(2026, 11, 1, 0, 0),
            to: shanghai(2026, 11, 30, 23, 59),
        }),
        status: ResearchStatus::Fieldwork,
        created_by: "u-chen".into(),
        created_at: shanghai(2026, 10, 20, 10, 0),
        visits: vec![Visit {
            id: "v1".into(),
            at: shanghai(2026, 11, 5, 10, 0),
            by: "u-chen".into(),
            withdrawn: None,
            place: "二号厂区检修班".into(),
            address: None,
            geo: Some(Geo {
                lat: 31.0,
                lng: 121.0,
                accuracy: 0.0,
            }),
            method: VisitMethod::Unannounced,
            people_met: "班长王师傅及班组成员5人".into(),
            notes: Text::with_value("现场查看交接班记录，发现部分记录未签字。"),
            photos: vec![photo('b')],
            attachments: None,
        }],
        findings: vec![Finding {
            id: "f1".into(),
            at: shanghai(2026, 11, 5, 11, 0),
            by: "u-chen".into(),
            withdrawn: None,
            visit_id: Some("v1".into()),
            text: "交接班记录签字不全".into(),
            category: "安全生产".into(),
            severity: Severity::Major,
            photos: vec![],
            geo: None,
            suggestion: Some("建立交接班记录抽查制度".into()),
            duban_ref: Some("3UCRm6WocHEqn6jZE8wJ8wD8ZfQy".parse().unwrap()),
            attachments: None,
        }],
        report: Report {
            basic_situation: Text::with_value("共走访班组8个，座谈2次。"),
            problems: Text::with_value("一是记录不全；二是培训不足。"),
            cause_analysis: Text::with_value("考核机制不健全。"),
            countermeasures: Text::with_value("完善考核，加强培训。"),
        },
        suggestions: vec![],
        instructions: vec![],
    }
}

/// A 周会 chaired by `u-wang`, opened with one item (二号厂区固体废物清理整改, document
/// `3UCRm6WocHEqn6jZE8wJ8wD8ZfQy`) on its agenda, prepared by `u-li` with `u-zhang` attending.
pub fn meeting() -> Meeting {
    Meeting {
        kind: MeetingKind::Weekly,
        title: "第47周督办周会".into(),
        held_at: shanghai(2026, 11, 20, 9, 0),
        chair: "u-wang".into(),
        attendees: vec!["u-zhang".into()],
        unit: "unit-office".into(),
        status: MeetingStatus::Open,
        created_by: "u-li".into(),
        created_at: shanghai(2026, 11, 19, 16, 0),
        agenda: vec![AgendaItem {
            id: "a1".into(),
            at: shanghai(2026, 11, 20, 9, 0),
            by: "u-li".into(),
            record: "3UCRm6WocHEqn6jZE8wJ8wD8ZfQy".parse().unwrap(),
            title: "二号厂区固体废物清理整改".into(),
            lead_unit: Some("unit-plant2".into()),
            status: DubanStatus::InProgress,
            light: Some("yellow".into()),
            deadline: Some(shanghai(2026, 11, 22, 23, 59)),
            latest_progress: Some("已完成固废清运方案，正在联系处置单位。".into()),
        }],
        dispositions: vec![],
        decisions: vec![],
        applied: vec![],
    }
}
