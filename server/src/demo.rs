//! `serve --demo`: a small company to try the product with. Units (a tree), one user of every
//! role (password `demo1234`) and a few records of both kinds, written with the domain crate
//! exactly as the app would, attributed to the `system` user.
//!
//! Seeded once per database: a `server_meta` row marks it, written in the same transaction as
//! the units and users.

use std::sync::Arc;

use anyhow::Context;
use automerge::ActorId;
use autosurgeon::Text;
use chrono::TimeDelta;
use duyan_shared::records::{
    DubanItem, DubanStatus, FeedbackCycle, Finding, Instruction, Level, Period, Progress, Record,
    Report, ResearchKind, ResearchRecord, ResearchStatus, Severity, SiteCheck, Source, Urge,
    UrgeLevel, Urgency, Visit, VisitMethod, new_document,
};
use duyan_shared::rules::Role;
use duyan_shared::{DocumentId, Timestamp};
use sqlx::PgPool;

use crate::auth::password;
use crate::storage::DocStore;
use crate::storage::postgres::PgStore;
use crate::users::{self, NewUser, UnitRow};

/// The demo users' password.
pub const PASSWORD: &str = "demo1234";

const UNITS: &[(&str, &str, Option<&str>)] = &[
    ("hq", "集团公司", None),
    ("office", "办公室", Some("hq")),
    ("refinery", "炼油厂", Some("hq")),
    ("refinery-workshop-1", "炼油一车间", Some("refinery")),
    ("refinery-safety", "炼油厂安全环保科", Some("refinery")),
];

/// (username, display name, role, unit)
const USERS: &[(&str, &str, Role, &str)] = &[
    ("liuyang", "刘洋", Role::Admin, "office"),
    ("wangqiang", "王强", Role::Leader, "hq"),
    ("lijing", "李静", Role::Supervisor, "office"),
    ("zhangwei", "张伟", Role::Handler, "refinery"),
    ("chenfang", "陈芳", Role::Researcher, "office"),
    ("zhaolei", "赵磊", Role::Viewer, "refinery-workshop-1"),
];

/// The demo users' usernames: exempt from changing the well-known password under `--demo`
/// only (`AuthConfig::password_change_exempt`).
pub fn usernames() -> Vec<String> {
    USERS.iter().map(|(name, ..)| (*name).to_owned()).collect()
}

/// Seeds the demo data unless this database has it already; prints the usernames.
pub async fn seed(pool: &PgPool) -> anyhow::Result<()> {
    let hash = {
        let password = PASSWORD.to_owned();
        tokio::task::spawn_blocking(move || password::hash_blocking(&password))
            .await?
            .map_err(|e| anyhow::anyhow!("cannot hash the demo password: {e}"))?
    };
    let mut tx = pool.begin().await?;
    let first = sqlx::query!(
        "insert into server_meta (key, value) values ('demo_seeded', now()::text)
         on conflict (key) do nothing"
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !first {
        tracing::info!("demo data already seeded");
        return Ok(());
    }
    for (id, name, parent) in UNITS {
        let unit = UnitRow {
            id: (*id).into(),
            name: (*name).into(),
            parent_id: parent.map(Into::into),
        };
        users::create_unit(&mut *tx, &unit)
            .await
            .with_context(|| format!("cannot seed demo unit {id}"))?;
    }
    let mut ids = std::collections::HashMap::new();
    for (username, display_name, role, unit) in USERS {
        let user = NewUser {
            username: (*username).into(),
            display_name: (*display_name).into(),
            roles: vec![*role],
            unit: Some((*unit).into()),
            password_hash: hash.clone(),
            // The password is printed and documented, so it is as good as one-time: outside
            // `--demo` (a demo database kept and served for real) these users must change it.
            // Under `--demo` they are exempt (see `usernames`).
            must_change_password: true,
        };
        let id = users::create_user(&mut *tx, &user)
            .await
            .with_context(|| format!("cannot seed demo user {username}"))?;
        ids.insert(*username, id);
    }
    tx.commit().await?;

    let id = |name: &str| ids[name].clone();
    let store = Arc::new(PgStore::new(pool.clone()));
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let now = i64::try_from(millis)
        .ok()
        .and_then(Timestamp::from_millis)
        .context("the clock is out of range")?;
    let records = [
        Record::from(valve_well_item(
            now,
            &id("lijing"),
            &id("zhangwei"),
            &id("wangqiang"),
        )),
        Record::from(solid_waste_item(now, &id("lijing"), &id("zhangwei"))),
        Record::from(research(now, &id("chenfang"))),
    ];
    for record in &records {
        store_record(pool, &*store, record).await?;
    }

    let names: Vec<String> = USERS
        .iter()
        .map(|(username, _, role, _)| format!("{username} ({role})"))
        .collect();
    let line = format!(
        "duyan: demo data seeded: users {} with password {PASSWORD}",
        names.join(", ")
    );
    // Like the listening line, for people and scripts; never panic on a closed stdout.
    let _ = std::io::Write::write_all(&mut std::io::stdout(), format!("{line}\n").as_bytes());
    Ok(())
}

/// Writes a record as a new document by the `system` user: a fresh actor bound to it.
async fn store_record(pool: &PgPool, store: &dyn DocStore, record: &Record) -> anyhow::Result<()> {
    let actor = ActorId::random();
    sqlx::query!(
        "insert into actors (actor, user_id) values ($1, 'system')",
        actor.to_bytes()
    )
    .execute(pool)
    .await?;
    let mut doc = new_document();
    doc.set_actor(actor);
    record
        .write_to(&mut doc)
        .context("cannot write a demo record")?;
    let id = DocumentId::from_bytes(rand::random());
    store
        .create(id, doc.save())
        .await
        .context("cannot store a demo record")?;
    // Written past the sync layer, so projected here: the list shows the demo at once.
    let view = crate::access::View::of(doc.document(), None);
    crate::projection::project(pool, id, &view)
        .await
        .context("cannot project a demo record")?;
    tracing::info!(document = %id, kind = %record.kind(), "seeded demo record");
    Ok(())
}

fn at(now: Timestamp, days: i64, hours: i64) -> Timestamp {
    now.checked_add(TimeDelta::days(days) + TimeDelta::hours(hours))
        .unwrap_or(now)
}

/// 炼油厂区阀井污水整改: in progress, led by the refinery, due in five days.
fn valve_well_item(now: Timestamp, supervisor: &str, handler: &str, leader: &str) -> DubanItem {
    DubanItem {
        doc_no: Some("督字〔2026〕21号".into()),
        title: "炼油厂区阀井污水整改".into(),
        detail: Text::with_value(
            "现场督办发现炼油厂区3号、5号阀门井内积存污水，存在环境风险。要求炼油厂限期抽排清理，排查渗漏原因并完成整改，建立阀井定期巡检台账。",
        ),
        source: Source::KeyWork,
        source_ref: None,
        level: Level::Company,
        parent: None,
        category: "安全环保".into(),
        urgency: Urgency::Urgent,
        is_major: false,
        lead_unit: Some("refinery".into()),
        co_units: vec!["refinery-safety".into()],
        handlers: vec![handler.into()],
        supervisors: vec![supervisor.into()],
        created_by: supervisor.into(),
        created_at: at(now, -10, 0),
        assigned_at: Some(at(now, -9, 0)),
        deadline: Some(at(now, 5, 0)),
        feedback_cycle: FeedbackCycle::Weekly,
        milestones: vec![],
        status: DubanStatus::InProgress,
        progress: vec![Progress {
            id: "demo-p1".into(),
            at: at(now, -6, 0),
            by: handler.into(),
            withdrawn: None,
            percent: duyan_shared::records::Percent::new(40),
            text: "已完成3号阀井污水抽排，5号阀井渗漏点正在排查。".into(),
            problems: Some("5号阀井管线老化，需协调检修窗口。".into()),
            photos: vec![],
            geo: None,
            attachments: None,
        }],
        urges: vec![Urge {
            id: "demo-u1".into(),
            at: at(now, -2, 0),
            by: supervisor.into(),
            withdrawn: None,
            level: UrgeLevel::Reminder,
            message: "请于本周五前反馈5号阀井整改进展。".into(),
        }],
        extension_requests: vec![],
        reviews: vec![],
        instructions: vec![Instruction {
            id: "demo-i1".into(),
            at: at(now, -8, 0),
            by: leader.into(),
            withdrawn: None,
            text: "环保无小事，请炼油厂主要负责人亲自抓，按期整改到位。".into(),
            attachments: None,
        }],
        site_checks: vec![SiteCheck {
            id: "demo-s1".into(),
            at: at(now, -10, -2),
            by: supervisor.into(),
            withdrawn: None,
            place: "炼油厂区3号、5号阀门井".into(),
            findings: "阀井内积水发黑，有油污味。".into(),
            before_photos: vec![],
            after_photos: vec![],
            geo: None,
            attachments: None,
        }],
        evaluation: None,
    }
}

/// 炼油一车间固体废物清运: assigned and overdue (a red light).
fn solid_waste_item(now: Timestamp, supervisor: &str, handler: &str) -> DubanItem {
    DubanItem {
        doc_no: None,
        title: "炼油一车间固体废物清运".into(),
        detail: Text::with_value("清运车间东侧堆放的废旧保温材料等固体废物，并规范暂存区管理。"),
        source: Source::MeetingDecision,
        source_ref: None,
        level: Level::Office,
        parent: None,
        category: "安全环保".into(),
        urgency: Urgency::Normal,
        is_major: false,
        lead_unit: Some("refinery-workshop-1".into()),
        co_units: vec![],
        handlers: vec![handler.into()],
        supervisors: vec![supervisor.into()],
        created_by: supervisor.into(),
        created_at: at(now, -20, 0),
        assigned_at: Some(at(now, -19, 0)),
        deadline: Some(at(now, -1, 0)),
        feedback_cycle: FeedbackCycle::Weekly,
        milestones: vec![],
        status: DubanStatus::Assigned,
        progress: vec![],
        urges: vec![],
        extension_requests: vec![],
        reviews: vec![],
        instructions: vec![],
        site_checks: vec![],
        evaluation: None,
    }
}

/// A research record in fieldwork, with one visit and one finding.
fn research(now: Timestamp, lead: &str) -> ResearchRecord {
    ResearchRecord {
        title: "基层班组安全生产责任落实情况调研".into(),
        kind: ResearchKind::Thematic,
        questions: vec![
            "安全生产责任是否落实到班组和个人？".into(),
            "隐患排查整改是否形成闭环？".into(),
        ],
        lead: lead.into(),
        members: vec![],
        unit: "office".into(),
        period: Some(Period {
            from: at(now, -14, 0),
            to: at(now, 16, 0),
        }),
        status: ResearchStatus::Fieldwork,
        created_by: lead.into(),
        created_at: at(now, -15, 0),
        visits: vec![Visit {
            id: "demo-v1".into(),
            at: at(now, -5, 0),
            by: lead.into(),
            withdrawn: None,
            place: "炼油一车间检修班".into(),
            address: None,
            geo: None,
            method: VisitMethod::Discussion,
            people_met: "班长及班组成员6人".into(),
            notes: Text::with_value("座谈了解交接班和隐患上报情况，部分交接班记录未签字。"),
            photos: vec![],
            attachments: None,
        }],
        findings: vec![Finding {
            id: "demo-f1".into(),
            at: at(now, -5, 1),
            by: lead.into(),
            withdrawn: None,
            visit_id: Some("demo-v1".into()),
            text: "交接班记录签字不全".into(),
            category: "安全生产".into(),
            severity: Severity::Major,
            photos: vec![],
            geo: None,
            suggestion: Some("建立交接班记录抽查制度".into()),
            duban_ref: None,
            attachments: None,
        }],
        report: Report::default(),
        suggestions: vec![],
        instructions: vec![],
    }
}
