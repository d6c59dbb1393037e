//! One row of the projection, as a pure function of a document's [`View`].

use duyan_shared::derived;
use duyan_shared::records::{DubanItem, Instruction, Meeting, Record, ResearchRecord, Verdict};
use duyan_shared::time::Timestamp;

use crate::access::{Content, View};

/// Entry counts of a record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub progress: i32,
    pub urges: i32,
    pub reviews: i32,
    pub extensions: i32,
    pub instructions: i32,
    pub site_checks: i32,
    pub visits: i32,
    pub findings: i32,
}

/// The columns of `records` (instants in milliseconds since the epoch).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    pub kind: Option<String>,
    pub title: Option<String>,
    /// 文号.
    pub doc_no: Option<String>,
    pub status: Option<String>,
    pub is_open: bool,
    pub level: Option<String>,
    pub urgency: Option<String>,
    pub is_major: Option<bool>,
    pub lead_unit: Option<String>,
    pub co_units: Vec<String>,
    pub handlers: Vec<String>,
    pub supervisors: Vec<String>,
    pub created_by: Option<String>,
    pub owner: Option<String>,
    pub research_lead: Option<String>,
    pub research_members: Vec<String>,
    pub research_unit: Option<String>,
    pub created_at: Option<i64>,
    pub assigned_at: Option<i64>,
    pub deadline: Option<i64>,
    pub closed_at: Option<i64>,
    pub feedback_cycle: Option<String>,
    pub last_feedback: Option<i64>,
    /// When the next periodic report is due ([`derived::next_feedback_due`]).
    pub feedback_due: Option<i64>,
    /// The instants of the progress entries, in entry order.
    pub progress_ats: Vec<i64>,
    pub attention_at: Option<i64>,
    pub counts: Counts,
    pub search: String,
    pub damaged: Option<String>,
    /// The SHA-256 of every photo the record references, anywhere in it, sorted, each once
    /// (`record_photos`: who may fetch a photo, and which photos are still in use).
    pub photos: Vec<String>,
    /// The cycle's columns (migration `0015_cycle.sql`).
    pub cycle: Cycle,
}

/// What the 工作清单, 批示 tracking and the 考核 read (migration `0015_cycle.sql`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cycle {
    /// The parent item's id.
    pub parent: Option<String>,
    /// The latest progress entry's percent.
    pub progress_percent: Option<i16>,
    /// The instants of the reviews that sent the item back.
    pub returned_ats: Vec<i64>,
    pub rating: Option<String>,
    pub evaluated_at: Option<i64>,
    /// `source_ref`: the record and entry the item was made from.
    pub source_record: Option<String>,
    pub source_entry: Option<String>,
    /// 领导批示 (`record_instructions`).
    pub instructions: Vec<InstructionRow>,
}

/// One 领导批示 as `record_instructions` holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstructionRow {
    pub entry_id: String,
    pub at: i64,
    pub by: String,
    pub text: String,
}

fn instruction_rows(list: &[Instruction]) -> Vec<InstructionRow> {
    list.iter()
        .map(|i| InstructionRow {
            entry_id: i.id.clone(),
            at: i.at.millis(),
            by: i.by.clone(),
            text: i.text.clone(),
        })
        .collect()
}

fn ms(at: Option<Timestamp>) -> Option<i64> {
    at.map(Timestamp::millis)
}

fn count<T>(list: &[T]) -> i32 {
    i32::try_from(list.len()).unwrap_or(i32::MAX)
}

/// Joins the non-empty texts with newlines, so a search never matches across two texts.
fn search_text<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for text in texts.into_iter().map(str::trim).filter(|t| !t.is_empty()) {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(text);
    }
    out
}

impl Row {
    /// The row for a document; `None` when it holds no record yet (absent or empty), which is
    /// not listed.
    pub fn of(view: &View) -> Option<Self> {
        let owner = view.owner.as_deref().map(str::to_owned);
        match &view.content {
            Content::Absent | Content::Empty => None,
            Content::Damaged(reason) => Some(Self {
                owner,
                damaged: Some(reason.clone()),
                ..Self::default()
            }),
            Content::Record(Record::Duban(item)) => Some(Self {
                owner,
                ..Self::duban(item)
            }),
            Content::Record(Record::Research(record)) => Some(Self {
                owner,
                ..Self::research(record)
            }),
            Content::Record(Record::Meeting(meeting)) => Some(Self {
                owner,
                ..Self::meeting(meeting)
            }),
        }
    }

    /// A 会议. Its chair and attendees go into `research_lead` and `research_members`: those
    /// columns are "the people a record names who read it" for `readable_records`, and a
    /// meeting is read by exactly those (never by unit, see `crate::access`), so the SQL rule
    /// and the Rust one agree without a new branch. `research_unit` stays empty on purpose.
    fn meeting(meeting: &Meeting) -> Self {
        let search = search_text(
            [meeting.title.as_str()]
                .into_iter()
                .chain(meeting.agenda.iter().map(|a| a.title.as_str()))
                .chain(meeting.decisions.iter().map(|d| d.text.as_str()))
                .chain(
                    meeting
                        .dispositions
                        .iter()
                        .filter_map(|d| d.note.as_deref()),
                ),
        );
        Self {
            kind: Some("meeting".into()),
            title: Some(meeting.title.clone()),
            status: Some(meeting.status.as_str().into()),
            created_by: Some(meeting.created_by.clone()),
            research_lead: Some(meeting.chair.clone()),
            research_members: meeting.attendees.clone(),
            created_at: Some(meeting.created_at.millis()),
            search,
            ..Self::default()
        }
    }

    fn duban(item: &DubanItem) -> Self {
        // The earliest instant after which the item is yellow for being behind, whatever its
        // deadline: `derived::light` checks each of these against `now` with `now > due`.
        let first_response = if item.progress.is_empty() {
            derived::first_response_due(item)
        } else {
            None
        };
        let attention_at = item
            .milestones
            .iter()
            .filter(|m| m.done_at.is_none())
            .map(|m| m.due)
            .chain(first_response)
            .chain(derived::next_feedback_due(item))
            .min();
        let search = search_text(
            [
                item.title.as_str(),
                item.doc_no.as_deref().unwrap_or_default(),
                item.category.as_str(),
                item.detail.as_str(),
            ]
            .into_iter()
            .chain(
                item.progress
                    .iter()
                    .flat_map(|p| [p.text.as_str(), p.problems.as_deref().unwrap_or_default()]),
            )
            .chain(item.urges.iter().map(|u| u.message.as_str()))
            .chain(item.extension_requests.iter().map(|e| e.reason.as_str()))
            .chain(item.reviews.iter().map(|r| r.opinion.as_str()))
            .chain(item.instructions.iter().map(|i| i.text.as_str()))
            .chain(
                item.site_checks
                    .iter()
                    .flat_map(|s| [s.place.as_str(), s.findings.as_str()]),
            )
            .chain(item.milestones.iter().map(|m| m.title.as_str())),
        );
        Self {
            kind: Some("duban".into()),
            title: Some(item.title.clone()),
            doc_no: item.doc_no.clone(),
            status: Some(item.status.as_str().into()),
            is_open: item.status.is_open(),
            level: Some(item.level.as_str().into()),
            urgency: Some(item.urgency.as_str().into()),
            is_major: Some(item.is_major),
            lead_unit: item.lead_unit.clone(),
            co_units: item.co_units.clone(),
            handlers: item.handlers.clone(),
            supervisors: item.supervisors.clone(),
            created_by: Some(item.created_by.clone()),
            created_at: Some(item.created_at.millis()),
            assigned_at: ms(item.assigned_at),
            deadline: ms(item.deadline),
            closed_at: ms(derived::closed_at(item)),
            feedback_cycle: Some(item.feedback_cycle.as_str().into()),
            last_feedback: ms(derived::last_feedback(item)),
            feedback_due: ms(derived::next_feedback_due(item)),
            progress_ats: item.progress.iter().map(|p| p.at.millis()).collect(),
            attention_at: ms(attention_at),
            counts: Counts {
                progress: count(&item.progress),
                urges: count(&item.urges),
                reviews: count(&item.reviews),
                extensions: count(&item.extension_requests),
                instructions: count(&item.instructions),
                site_checks: count(&item.site_checks),
                ..Counts::default()
            },
            search,
            photos: crate::access::photos::names_in_item(item),
            cycle: Cycle {
                parent: item.parent.map(|p| p.to_string()),
                progress_percent: item
                    .progress
                    .iter()
                    .rev()
                    .find_map(|p| p.percent)
                    .map(|p| i16::from(p.get())),
                returned_ats: item
                    .reviews
                    .iter()
                    .filter(|r| r.verdict == Verdict::Return)
                    .map(|r| r.at.millis())
                    .collect(),
                rating: item.evaluation.as_ref().map(|e| e.rating.as_str().into()),
                evaluated_at: item.evaluation.as_ref().map(|e| e.at.millis()),
                source_record: item.source_ref.as_ref().map(|r| r.record.to_string()),
                source_entry: item.source_ref.as_ref().and_then(|r| r.entry_id.clone()),
                instructions: instruction_rows(&item.instructions),
            },
            ..Self::default()
        }
    }

    fn research(record: &ResearchRecord) -> Self {
        let report = &record.report;
        let search = search_text(
            [record.title.as_str()]
                .into_iter()
                .chain(record.questions.iter().map(String::as_str))
                .chain(
                    record
                        .visits
                        .iter()
                        .flat_map(|v| [v.place.as_str(), v.people_met.as_str(), v.notes.as_str()]),
                )
                .chain(record.findings.iter().flat_map(|f| {
                    [
                        f.text.as_str(),
                        f.category.as_str(),
                        f.suggestion.as_deref().unwrap_or_default(),
                    ]
                }))
                .chain([
                    report.basic_situation.as_str(),
                    report.problems.as_str(),
                    report.cause_analysis.as_str(),
                    report.countermeasures.as_str(),
                ])
                .chain(record.suggestions.iter().map(|s| s.text.as_str()))
                .chain(record.instructions.iter().map(|i| i.text.as_str())),
        );
        Self {
            kind: Some("research".into()),
            title: Some(record.title.clone()),
            status: Some(record.status.as_str().into()),
            created_by: Some(record.created_by.clone()),
            research_lead: Some(record.lead.clone()),
            research_members: record.members.clone(),
            research_unit: Some(record.unit.clone()),
            created_at: Some(record.created_at.millis()),
            counts: Counts {
                instructions: count(&record.instructions),
                visits: count(&record.visits),
                findings: count(&record.findings),
                ..Counts::default()
            },
            search,
            photos: crate::access::photos::names_in_research(record),
            cycle: Cycle {
                instructions: instruction_rows(&record.instructions),
                ..Cycle::default()
            },
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use duyan_shared::records::Milestone;
    use duyan_shared::samples::{duban_item, research_record, shanghai};

    use super::*;

    fn view(record: impl Into<Record>) -> View {
        View {
            owner: Some("u-li".into()),
            content: Content::Record(record.into()),
        }
    }

    #[test]
    fn empty_documents_have_no_row_and_damaged_ones_say_why() {
        let empty = View {
            owner: None,
            content: Content::Empty,
        };
        assert_eq!(Row::of(&empty), None);
        let damaged = View {
            owner: Some("u-1".into()),
            content: Content::Damaged("no `type`".into()),
        };
        let row = Row::of(&damaged).unwrap();
        assert_eq!(row.damaged.as_deref(), Some("no `type`"));
        assert_eq!(row.owner.as_deref(), Some("u-1"));
        assert_eq!(row.kind, None);
    }

    #[test]
    fn attention_is_the_earliest_reason_to_turn_yellow() {
        let mut item = duban_item();
        // Weekly feedback, last report 11-01 15:00: the next is due 11-08 15:00.
        let row = Row::of(&view(item.clone())).unwrap();
        assert_eq!(
            row.attention_at,
            Some(shanghai(2026, 11, 8, 15, 0).millis())
        );
        item.milestones.push(Milestone {
            id: "m1".into(),
            title: "方案报批".into(),
            due: shanghai(2026, 11, 5, 18, 0),
            done_at: None,
        });
        let row = Row::of(&view(item.clone())).unwrap();
        assert_eq!(
            row.attention_at,
            Some(shanghai(2026, 11, 5, 18, 0).millis())
        );
        assert!(row.search.contains("二号厂区固体废物清理整改"));
        assert!(row.search.contains("处置单位排期紧张"));
        assert_eq!(row.counts.progress, 1);
    }

    #[test]
    fn research_rows_carry_lead_members_and_unit() {
        let row = Row::of(&view(research_record())).unwrap();
        assert_eq!(row.kind.as_deref(), Some("research"));
        assert_eq!(row.research_lead.as_deref(), Some("u-chen"));
        assert_eq!(row.research_members, vec!["u-zhao".to_owned()]);
        assert_eq!(row.research_unit.as_deref(), Some("unit-office"));
        assert!(row.search.contains("交接班记录签字不全"));
        assert!(!row.is_open);
        assert_eq!(row.photos, vec!["b".repeat(64)]);
    }

    #[test]
    fn photos_are_collected_from_every_entry_once() {
        use duyan_shared::records::SiteCheck;
        use duyan_shared::samples::{photo, progress};

        let mut item = duban_item();
        item.progress = vec![progress("p1", shanghai(2026, 11, 2, 9, 0))];
        item.progress[0].photos.push(photo('c'));
        let mut bogus = photo('d');
        bogus.sha256 = "../../etc/passwd".into();
        item.site_checks = vec![SiteCheck {
            id: "s1".into(),
            at: shanghai(2026, 11, 3, 9, 0),
            by: "u-li".into(),
            withdrawn: None,
            place: "阀井".into(),
            findings: "污水".into(),
            before_photos: vec![photo('e'), photo('a')],
            after_photos: vec![photo('f'), bogus],
            geo: None,
            attachments: None,
        }];
        let row = Row::of(&view(item)).unwrap();
        let expected: Vec<String> = ['a', 'c', 'e', 'f']
            .iter()
            .map(|c| c.to_string().repeat(64))
            .collect();
        assert_eq!(row.photos, expected);
    }
}
