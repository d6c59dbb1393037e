//! The entry table (`rules::ENTRY_RULES`), proven through the server's review: for every
//! (record type, list, role, operation) the rules decide, a real `Session` on real PostgreSQL
//! receives the change, and the test checks that it was accepted or put back (and its author
//! told) as the table says.
//!
//! Operations: append an entry; remove one's own or another's entry; write each field of one's
//! own entry and each field of another's (`withdrawn` included: withdrawing). The cases are
//! enumerated from the table and `rules::entry_fields`, so a new list or entry field is tested
//! as soon as it exists (the typed edits below panic on a field they do not know).
//!
//! Every case touches an entry of its own (the base record holds one per case), and the server
//! puts back what it refuses entry by entry, so the cases of one (record type, role) are sent
//! together in one change: each is then judged by its own entry, and by whether a refusal names
//! that entry. (One sync round per case cost half a second each, waiting for silence.)

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use duyan::access::{People, Person};
use duyan::metrics::Metrics;
use duyan::storage::DocStore;
use duyan::storage::postgres::PgStore;
use duyan::sync::SyncConfig;
use duyan::sync::hub::{Hub, HubParts};
use duyan_shared::records::*;
use duyan_shared::rules::{ENTRY_RULES, Role, WITHDRAWN, entry_fields, roles_on};
use duyan_shared::samples::{duban_item, meeting, photo, research_record, shanghai};
use duyan_shared::{DocumentId, Timestamp};
use sqlx::PgPool;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::sync::{TestPeer, told};

/// One user per role, each involved in the records where the role can be (a handler of the
/// item, a member of the research), and the authors of "another's" entries. All are in the
/// unit that runs the research and co-operates on the item, so that everyone reads both
/// records and every refusal is the rules' doing, not access's.
const USERS: &[(&str, Role)] = &[
    ("u-admin", Role::Admin),
    ("u-leader", Role::Leader),
    ("u-sup", Role::Supervisor),
    ("u-hand", Role::Handler),
    ("u-res", Role::Researcher),
    ("u-view", Role::Viewer),
    // Authors of the other entries: a second handler, a second researcher.
    ("u-hand2", Role::Handler),
    ("u-res2", Role::Researcher),
];

const UNIT: &str = "unit-office";

struct Directory;

impl People for Directory {
    fn person(&self, user_id: &str) -> Option<Person> {
        USERS
            .iter()
            .find(|(id, ..)| *id == user_id)
            .map(|(_, role)| Person {
                roles: vec![*role],
                unit: Some(UNIT.to_owned()),
            })
    }

    fn unit_within(&self, unit: &str, ancestor: &str) -> bool {
        unit == ancestor
    }

    fn subtree(&self, unit: &str) -> Vec<String> {
        vec![unit.to_owned()]
    }
}

async fn hub(pool: PgPool) -> (Hub, Arc<PgStore>) {
    for (user, ..) in USERS {
        sqlx::query(
            "insert into users (id, username, display_name, password_hash, roles)
             values ($1, $1, $1, '!', '{}')",
        )
        .bind(user)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("insert into sessions (id, user_id) values ($1, $2)")
            .bind(format!("session-of-{user}"))
            .bind(user)
            .execute(&pool)
            .await
            .unwrap();
    }
    let store = Arc::new(PgStore::new(pool));
    let people: Arc<dyn People> = Arc::new(Directory);
    let (_, people) = watch::channel(people);
    let hub = Hub::new(HubParts {
        store: store.clone(),
        projector: None,
        people,
        server_peer_id: "server".into(),
        config: SyncConfig {
            doc_idle_timeout: Duration::from_secs(60),
            ..SyncConfig::default()
        },
        metrics: Arc::new(Metrics::default()),
        tracker: TaskTracker::new(),
        shutdown: CancellationToken::new(),
    });
    (hub, store)
}

/// What a case does to a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Append,
    Remove { own: bool },
    Write { own: bool, field: &'static str },
}

impl Op {
    /// The id of the entry the case touches (for an append, of the entry it adds).
    fn entry(self) -> String {
        match self {
            Op::Append => "new".into(),
            Op::Remove { own } => format!("{}-remove", whose(own)),
            Op::Write { own, field } => format!("{}-{field}", whose(own)),
        }
    }
}

fn whose(own: bool) -> &'static str {
    if own { "own" } else { "other" }
}

fn later(at: Timestamp) -> Timestamp {
    Timestamp::from_millis(at.millis() + 60_000).unwrap()
}

fn withdrawal(by: &str) -> Option<Withdrawal> {
    Some(Withdrawal {
        at: shanghai(2026, 11, 21, 9, 0),
        by: by.into(),
        reason: Some("填错了".into()),
    })
}

fn new_photo(by: &str) -> PhotoRef {
    PhotoRef {
        by: by.into(),
        ..photo('e')
    }
}

fn some_geo() -> Option<Geo> {
    Some(Geo {
        lat: 30.5,
        lng: 120.5,
        accuracy: 12.0,
    })
}

fn a_document() -> DocumentId {
    DocumentId::from_bytes([7; 16])
}

/// The typed entries the test writes: a template, and a change of each field.
trait TestEntry: Clone + PartialEq + Debug {
    fn template(id: &str, by: &str) -> Self;
    fn id(&self) -> &str;
    /// Writes a new, valid value into `field`, as `actor` would.
    fn write(&mut self, field: &str, actor: &str);
}

/// The fields every entry has, written the same way in every type.
macro_rules! common_fields {
    ($self:ident, $field:ident, $actor:ident, { $($arm:tt)* }) => {
        match $field {
            "id" => $self.id.push_str("-renamed"),
            "at" => $self.at = later($self.at),
            "by" => $self.by = "u-forger".into(),
            "withdrawn" => $self.withdrawn = withdrawal($actor),
            $($arm)*
            other => panic!("a field this test does not know how to write: {other}"),
        }
    };
}

/// The same for a meeting's entries, which carry no withdrawal mark.
macro_rules! meeting_fields {
    ($self:ident, $field:ident, { $($arm:tt)* }) => {
        match $field {
            "id" => $self.id.push_str("-renamed"),
            "at" => $self.at = later($self.at),
            "by" => $self.by = "u-forger".into(),
            $($arm)*
            other => panic!("a field this test does not know how to write: {other}"),
        }
    };
}

fn new_file(by: &str) -> AttachmentRef {
    AttachmentRef {
        sha256: "f".repeat(64),
        name: "整改报告.pdf".into(),
        mime: "application/pdf".into(),
        bytes: 1024,
        by: by.into(),
    }
}

fn attach(files: &mut Option<Vec<AttachmentRef>>, actor: &str) {
    files.get_or_insert_with(Vec::new).push(new_file(actor));
}

impl TestEntry for Progress {
    fn template(id: &str, by: &str) -> Self {
        let mut entry = duyan_shared::samples::progress(id, shanghai(2026, 11, 3, 9, 0));
        entry.by = by.into();
        entry.photos = vec![PhotoRef {
            by: by.into(),
            ..photo('a')
        }];
        entry
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn write(&mut self, field: &str, actor: &str) {
        common_fields!(self, field, actor, {
            "percent" => self.percent = Percent::new(77),
            "text" => self.text.push_str("（改）"),
            "problems" => self.problems = Some("另有问题".into()),
            "photos" => self.photos.push(new_photo(actor)),
            "geo" => self.geo = some_geo(),
            "attachments" => attach(&mut self.attachments, actor),
        })
    }
}

impl TestEntry for Urge {
    fn template(id: &str, by: &str) -> Self {
        Urge {
            id: id.into(),
            at: shanghai(2026, 11, 4, 9, 0),
            by: by.into(),
            withdrawn: None,
            level: UrgeLevel::Reminder,
            message: "请尽快反馈".into(),
        }
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn write(&mut self, field: &str, actor: &str) {
        common_fields!(self, field, actor, {
            "level" => self.level = UrgeLevel::Notice,
            "message" => self.message.push_str("（改）"),
        })
    }
}

impl TestEntry for ExtensionRequest {
    fn template(id: &str, by: &str) -> Self {
        ExtensionRequest {
            id: id.into(),
            at: shanghai(2026, 11, 20, 9, 0),
            by: by.into(),
            withdrawn: None,
            new_deadline: shanghai(2026, 12, 15, 23, 59),
            reason: "处置单位年底前才能接收".into(),
            decision: None,
        }
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn write(&mut self, field: &str, actor: &str) {
        common_fields!(self, field, actor, {
            "new_deadline" => self.new_deadline = later(self.new_deadline),
            "reason" => self.reason = "改写的理由".into(),
            "decision" => self.decision = Some(ExtensionDecision {
                verdict: ExtensionVerdict::Rejected,
                at: shanghai(2026, 11, 21, 9, 0),
                by: actor.into(),
                comment: Some("不同意".into()),
            }),
        })
    }
}

impl TestEntry for Review {
    fn template(id: &str, by: &str) -> Self {
        Review {
            id: id.into(),
            at: shanghai(2026, 11, 22, 9, 0),
            by: by.into(),
            withdrawn: None,
            verdict: Verdict::Return,
            opinion: "整改照片不全".into(),
        }
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn write(&mut self, field: &str, actor: &str) {
        common_fields!(self, field, actor, {
            "verdict" => self.verdict = Verdict::Pass,
            "opinion" => self.opinion.push_str("（改）"),
        })
    }
}

impl TestEntry for Instruction {
    fn template(id: &str, by: &str) -> Self {
        Instruction {
            id: id.into(),
            at: shanghai(2026, 11, 5, 9, 0),
            by: by.into(),
            withdrawn: None,
            text: "请抓紧落实".into(),
            attachments: None,
        }
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn write(&mut self, field: &str, actor: &str) {
        common_fields!(self, field, actor, {
            "text" => self.text.push_str("（改）"),
            "attachments" => attach(&mut self.attachments, actor),
        })
    }
}

impl TestEntry for SiteCheck {
    fn template(id: &str, by: &str) -> Self {
        SiteCheck {
            id: id.into(),
            at: shanghai(2026, 11, 6, 9, 0),
            by: by.into(),
            withdrawn: None,
            place: "3号阀井".into(),
            findings: "积水发黑".into(),
            before_photos: vec![],
            after_photos: vec![],
            geo: None,
            attachments: None,
        }
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn write(&mut self, field: &str, actor: &str) {
        common_fields!(self, field, actor, {
            "place" => self.place.push_str("（改）"),
            "findings" => self.findings.push_str("（改）"),
            "before_photos" => self.before_photos.push(new_photo(actor)),
            "after_photos" => self.after_photos.push(new_photo(actor)),
            "geo" => self.geo = some_geo(),
            "attachments" => attach(&mut self.attachments, actor),
        })
    }
}

impl TestEntry for Visit {
    fn template(id: &str, by: &str) -> Self {
        let mut visit = research_record().visits[0].clone();
        visit.id = id.into();
        visit.by = by.into();
        visit.photos = vec![];
        visit
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn write(&mut self, field: &str, actor: &str) {
        if field == "id" {
            // A renamed entry is written as a new object, which cannot hold text read from the
            // document (autosurgeon refuses its stale heads): give it a copy.
            self.notes = autosurgeon::Text::with_value(self.notes.as_str());
        }
        common_fields!(self, field, actor, {
            "place" => self.place.push_str("（改）"),
            "address" => self.address = Some("新地址".into()),
            "geo" => self.geo = some_geo(),
            "method" => self.method = VisitMethod::Discussion,
            "people_met" => self.people_met.push_str("（改）"),
            "notes" => {
                let notes = format!("{}（补记）", self.notes.as_str());
                self.notes.update(notes);
            }
            "photos" => self.photos.push(new_photo(actor)),
            "attachments" => attach(&mut self.attachments, actor),
        })
    }
}

impl TestEntry for Finding {
    fn template(id: &str, by: &str) -> Self {
        let mut finding = research_record().findings[0].clone();
        finding.id = id.into();
        finding.by = by.into();
        finding.duban_ref = None;
        finding
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn write(&mut self, field: &str, actor: &str) {
        common_fields!(self, field, actor, {
            "visit_id" => self.visit_id = Some("v-other".into()),
            "text" => self.text.push_str("（改）"),
            "category" => self.category.push_str("（改）"),
            "severity" => self.severity = Severity::Severe,
            "photos" => self.photos.push(new_photo(actor)),
            "geo" => self.geo = some_geo(),
            "suggestion" => self.suggestion = Some("另一建议".into()),
            "duban_ref" => self.duban_ref = Some(a_document()),
            "attachments" => attach(&mut self.attachments, actor),
        })
    }
}

impl TestEntry for Suggestion {
    fn template(id: &str, by: &str) -> Self {
        Suggestion {
            id: id.into(),
            at: shanghai(2026, 11, 7, 9, 0),
            by: by.into(),
            withdrawn: None,
            text: "建立交接班记录抽查制度".into(),
            status: SuggestionStatus::Proposed,
            duban_ref: None,
        }
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn write(&mut self, field: &str, actor: &str) {
        common_fields!(self, field, actor, {
            "text" => self.text.push_str("（改）"),
            "status" => self.status = SuggestionStatus::Adopted,
            "duban_ref" => self.duban_ref = Some(a_document()),
        })
    }
}

impl TestEntry for AgendaItem {
    fn template(id: &str, by: &str) -> Self {
        AgendaItem {
            id: id.into(),
            by: by.into(),
            ..meeting().agenda[0].clone()
        }
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn write(&mut self, field: &str, _actor: &str) {
        meeting_fields!(self, field, {
            "record" => self.record = a_document(),
            "title" => self.title.push_str("（改）"),
            "lead_unit" => self.lead_unit = Some("unit-other".into()),
            "status" => self.status = DubanStatus::Closed,
            "light" => self.light = Some("green".into()),
            "deadline" => self.deadline = Some(shanghai(2026, 12, 30, 23, 59)),
            "latest_progress" => self.latest_progress = Some("改写的进展".into()),
        })
    }
}

impl TestEntry for Disposition {
    fn template(id: &str, by: &str) -> Self {
        Disposition {
            id: id.into(),
            at: shanghai(2026, 11, 20, 9, 30),
            by: by.into(),
            agenda_id: "a1".into(),
            kind: DispositionKind::Continue,
            new_deadline: None,
            note: None,
        }
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn write(&mut self, field: &str, _actor: &str) {
        meeting_fields!(self, field, {
            "agenda_id" => self.agenda_id = "a2".into(),
            "kind" => self.kind = DispositionKind::Escalate,
            "new_deadline" => self.new_deadline = Some(shanghai(2026, 12, 30, 23, 59)),
            "note" => self.note = Some("改写".into()),
        })
    }
}

impl TestEntry for Decision {
    fn template(id: &str, by: &str) -> Self {
        Decision {
            id: id.into(),
            at: shanghai(2026, 11, 20, 10, 0),
            by: by.into(),
            text: "由二号厂区牵头本月底前完成固废处置".into(),
            owner_unit: None,
            due: None,
            duban_ref: None,
        }
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn write(&mut self, field: &str, _actor: &str) {
        meeting_fields!(self, field, {
            "text" => self.text.push_str("（改）"),
            "owner_unit" => self.owner_unit = Some("unit-other".into()),
            "due" => self.due = Some(shanghai(2026, 12, 30, 23, 59)),
            "duban_ref" => self.duban_ref = Some(a_document()),
        })
    }
}

/// Calls `$f(&mut <the list>, args...)` for the list named `$list` of `$record`.
macro_rules! on_list {
    ($record:expr, $list:expr, $f:ident($($arg:expr),*)) => {
        match ($record, $list) {
            (Record::Duban(item), "progress") => $f(&mut item.progress, $($arg),*),
            (Record::Duban(item), "urges") => $f(&mut item.urges, $($arg),*),
            (Record::Duban(item), "extension_requests") => $f(&mut item.extension_requests, $($arg),*),
            (Record::Duban(item), "reviews") => $f(&mut item.reviews, $($arg),*),
            (Record::Duban(item), "instructions") => $f(&mut item.instructions, $($arg),*),
            (Record::Duban(item), "site_checks") => $f(&mut item.site_checks, $($arg),*),
            (Record::Research(record), "visits") => $f(&mut record.visits, $($arg),*),
            (Record::Research(record), "findings") => $f(&mut record.findings, $($arg),*),
            (Record::Research(record), "suggestions") => $f(&mut record.suggestions, $($arg),*),
            (Record::Research(record), "instructions") => $f(&mut record.instructions, $($arg),*),
            (Record::Meeting(m), "agenda") => $f(&mut m.agenda, $($arg),*),
            (Record::Meeting(m), "dispositions") => $f(&mut m.dispositions, $($arg),*),
            (Record::Meeting(m), "decisions") => $f(&mut m.decisions, $($arg),*),
            (_, list) => panic!("a list this test does not know: {list}"),
        }
    };
}

/// Adds to `entries` the entry each of `ops` works on: own entries by `actor`, others' by
/// `other`.
fn seed<E: TestEntry>(entries: &mut Vec<E>, ops: &[Op], actor: &str, other: &str) {
    for op in ops {
        let own = match op {
            Op::Append => continue,
            Op::Remove { own } | Op::Write { own, .. } => *own,
        };
        entries.push(E::template(&op.entry(), if own { actor } else { other }));
    }
}

fn apply<E: TestEntry>(entries: &mut Vec<E>, op: Op, actor: &str) {
    match op {
        Op::Append => entries.push(E::template("new", actor)),
        Op::Remove { .. } => entries.retain(|e| e.id() != op.entry()),
        Op::Write { field, .. } => {
            let id = op.entry();
            let entry = entries.iter_mut().find(|e| e.id() == id).unwrap();
            entry.write(field, actor);
        }
    }
}

/// What of `entries` the case is about, to compare: the entries with the case's id, and for a
/// write of `id`, those with the renamed id too.
fn state<E: TestEntry>(entries: &[E], op: Op) -> String {
    let id = op.entry();
    let found: Vec<&E> = entries
        .iter()
        .filter(|e| e.id() == id || e.id() == format!("{id}-renamed"))
        .collect();
    format!("{found:?}")
}

/// What the table says of `op` on `list` by someone holding `roles` on the record: accepted?
fn decided(kind: RecordKind, list: &str, op: Op, roles: &[Role]) -> bool {
    let rule = ENTRY_RULES
        .iter()
        .find(|r| r.kind == kind && r.list == list)
        .unwrap();
    match op {
        Op::Append => rule.may_append(roles),
        // Entries are never removed.
        Op::Remove { .. } => false,
        // Only the author withdraws, while they may still add to the list.
        Op::Write { own, field } if field == WITHDRAWN => own && rule.may_withdraw_own(roles),
        Op::Write { field, .. } => rule.field(field).is_some_and(|f| f.permits(roles)),
    }
}

fn base(kind: RecordKind) -> (Record, &'static str) {
    match kind {
        RecordKind::Duban => {
            let mut item = duban_item();
            item.handlers = vec!["u-hand".into(), "u-hand2".into()];
            item.supervisors = vec!["u-sup".into()];
            item.lead_unit = Some("unit-plant".into());
            item.co_units = vec![UNIT.into()];
            item.created_by = "u-sup".into();
            item.progress.clear();
            item.instructions.clear();
            (item.into(), "u-hand2")
        }
        RecordKind::Research => {
            let mut research = research_record();
            research.lead = "u-res2".into();
            research.members = vec!["u-res".into()];
            research.created_by = "u-res2".into();
            research.unit = UNIT.into();
            research.visits.clear();
            research.findings.clear();
            research.suggestions.clear();
            research.instructions.clear();
            (research.into(), "u-res2")
        }
        RecordKind::Meeting => {
            // Everyone attends, so that every refusal is the rules' doing, not access's.
            let mut m = meeting();
            m.chair = "u-sup".into();
            m.created_by = "u-sup".into();
            m.unit = UNIT.into();
            m.attendees = USERS.iter().map(|(id, _)| (*id).to_owned()).collect();
            m.agenda.clear();
            (m.into(), "u-hand2")
        }
    }
}

fn ops(kind: RecordKind, list: &str) -> Vec<Op> {
    let mut ops = vec![
        Op::Append,
        Op::Remove { own: true },
        Op::Remove { own: false },
    ];
    for own in [true, false] {
        for field in entry_fields(kind, list) {
            ops.push(Op::Write { own, field });
        }
    }
    ops
}

/// Runs every case of `kind` for the user `actor`; returns the number of cases and the cases
/// where the server did not do what the table says.
async fn run(hub: &Hub, store: &PgStore, kind: RecordKind, actor: &str) -> (usize, Vec<String>) {
    let (mut record, other) = base(kind);
    let lists: Vec<&str> = ENTRY_RULES
        .iter()
        .filter(|r| r.kind == kind)
        .map(|r| r.list)
        .collect();
    for list in &lists {
        on_list!(&mut record, *list, seed(&ops(kind, list), actor, other));
    }
    let person = Directory.person(actor).unwrap();
    let roles = roles_on(&record, actor, person.unit.as_deref(), &person.roles);
    let id = DocumentId::from_bytes(rand::random());
    let mut doc = new_document();
    record.write_to(&mut doc).unwrap();
    doc.commit();
    store.create(id, doc.save()).await.unwrap();

    let mut peer = TestPeer::join_as(hub, id, actor).await;
    peer.sync("request").await;
    let before = Record::from_doc(&peer.doc).unwrap();
    let mut after = before.clone();
    let mut cases = Vec::new();
    for list in &lists {
        for op in ops(kind, list) {
            let mut base = before.clone();
            let base_state = on_list!(&mut base, *list, state(op));
            on_list!(&mut after, *list, apply(op, actor));
            cases.push((*list, op, base_state));
        }
    }
    let mut changed = after.clone();
    after.write_to(&mut peer.doc).unwrap();
    peer.doc.commit();
    let refused = told(&peer.sync("sync").await);
    // The author's copy converges to what the server kept.
    peer.sync("sync").await;
    let mut now = Record::from_doc(&peer.doc).unwrap();
    let mut wrong = Vec::new();
    for (list, op, base_state) in &cases {
        let accepted = decided(kind, list, *op, &roles);
        let changed_state = on_list!(&mut changed, *list, state(*op));
        let now_state = on_list!(&mut now, *list, state(*op));
        let quoted = format!("{:?}", op.entry());
        let named: Vec<&(String, String, String)> = refused
            .iter()
            .filter(|(field, _, message)| field == list && message.contains(&quoted))
            .collect();
        let renamed_stays;
        let (want, what) = match op {
            // Renaming is removing the entry and adding a copy under the new id: the removal
            // is refused (the old entry comes back), the copy stays if it is a lawful append
            // (in the actor's own name, by a role that appends).
            Op::Write { own, field: "id" } => {
                let stays = *own && decided(kind, list, Op::Append, &roles);
                // The states are the debug lists of the entries concerned: the old one, then
                // the copy.
                renamed_stays = if stays {
                    format!(
                        "{}, {}",
                        base_state.trim_end_matches(']'),
                        &changed_state[1..]
                    )
                } else {
                    base_state.clone()
                };
                (
                    &renamed_stays,
                    "put back, the copy kept only as a lawful append",
                )
            }
            _ if accepted => (&changed_state, "accepted"),
            _ => (base_state, "put back"),
        };
        let refused_here = !accepted || matches!(op, Op::Write { field: "id", .. });
        if now_state != *want || named.is_empty() == refused_here {
            wrong.push(format!(
                "{kind} {list} {op:?} by {actor} ({roles:?}): the table says {what}; told {named:?}, entry now {now_state}"
            ));
        }
    }
    (cases.len(), wrong)
}

#[sqlx::test(migrations = "./migrations")]
async fn every_entry_operation_is_decided_by_the_table(pool: PgPool) {
    let (hub, store) = hub(pool).await;
    let mut cases = 0;
    let mut wrong = Vec::new();
    for kind in RecordKind::ALL.iter().copied() {
        for (actor, ..) in &USERS[..6] {
            let (n, mut bad) = run(&hub, &store, kind, actor).await;
            cases += n;
            wrong.append(&mut bad);
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {cases} cases:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // 3 kinds x 6 roles x (3 + 2 x fields) per list: every case ran.
    let per_role: usize = ENTRY_RULES
        .iter()
        .map(|r| 3 + 2 * entry_fields(r.kind, r.list).len())
        .sum();
    assert_eq!(cases, 6 * per_role);
}
