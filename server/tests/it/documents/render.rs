//! Every document for the demo seed's records and for two full records of the tests' own,
//! fetched through the API, opened with a .docx reader, saved under `target/documents/`, and
//! printed by LibreOffice (headless, all files in one run: starting it is most of the cost) to
//! PDF and then PNG pages (`pdftoppm`), to be looked at. The PDFs are checked for a Chinese
//! font actually used (`pdffonts`: no empty boxes) and for the text (`pdftotext`).
//! LibreOffice and poppler come from `scripts/setup.sh`.

use std::path::{Path, PathBuf};
use std::process::Command;

use autosurgeon::Text;
use duyan::auth::AuthConfig;
use duyan::storage::postgres::PgStore;
use duyan_shared::records::{
    DubanStatus, Evaluation, Finding, Instruction, Milestone, Rating, Report, Review, Severity,
    SiteCheck, Suggestion, SuggestionStatus, Urge, UrgeLevel, Verdict, Visit, VisitMethod,
};
use duyan_shared::samples::{photo, progress, shanghai};
use duyan_shared::{DubanItem, ResearchRecord};
use sqlx::PgPool;

use super::{Opened, call, jpeg, open, upload};
use crate::common::{Caller, TestApp, app_state};

/// Where the files and their renderings go: `target/documents/`.
fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/documents");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn demo_app(pool: PgPool) -> TestApp {
    duyan::demo::seed(&pool).await.unwrap();
    // As under `serve --demo`: the demo users' one-time passwords do not gate them.
    let auth = AuthConfig {
        password_change_exempt: duyan::demo::usernames(),
        ..AuthConfig::default()
    };
    let state = app_state(pool.clone(), auth).await;
    TestApp {
        router: duyan::app::app(state.clone()),
        store: PgStore::new(pool.clone()),
        state,
        pool,
    }
}

fn demo_user(app: &TestApp, username: &str) -> Caller {
    let id = app
        .state
        .directory
        .current()
        .user_by_username(username)
        .unwrap()
        .id
        .clone();
    let (token, _) = app
        .state
        .auth
        .issue_access(&id, &format!("s-{username}"))
        .unwrap();
    Caller { id, token }
}

async fn fetch(app: &TestApp, caller: &Caller, path: &str) -> Vec<u8> {
    let (status, headers, body) = call(app, "GET", path, Some(&caller.token), None).await;
    assert_eq!(status, axum::http::StatusCode::OK, "{path}");
    assert_eq!(headers["content-type"], duyan::documents::DOCX);
    body.to_vec()
}

#[sqlx::test(migrations = "./migrations")]
async fn documents_of_demo_and_test_records_open_and_print_in_chinese(pool: PgPool) {
    let app = demo_app(pool.clone()).await;
    let admin = demo_user(&app, "liuyang");
    let (lijing, zhang, chen, wang) = (
        demo_user(&app, "lijing"),
        demo_user(&app, "zhangwei"),
        demo_user(&app, "chenfang"),
        demo_user(&app, "wangqiang"),
    );
    let demo: Vec<(String, String)> =
        sqlx::query_as("select id, title from records order by title")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(demo.len(), 3);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for (id, title) in &demo {
        let bytes = fetch(&app, &admin, &format!("/api/records/{id}/document.docx")).await;
        let opened = open(&bytes);
        assert_eq!(opened.paragraphs[0], "办公室", "the default heading");
        assert!(
            opened.text().contains(title.as_str()),
            "{title}: {}",
            opened.text()
        );
        files.push((format!("demo-{}", files.len() + 1), bytes));
        if title == "炼油厂区阀井污水整改" {
            assert_eq!(opened.paragraphs[1], "督字〔2026〕21号");
            assert_eq!(opened.field("主办单位"), Some("炼油厂"));
            assert_eq!(opened.field("协办单位"), Some("炼油厂安全环保科"));
            assert_eq!(opened.field("承 办 人"), Some("张伟"));
            assert!(opened.text().contains("环保无小事"), "the 批示");
            let notice = fetch(
                &app,
                &admin,
                &format!("/api/records/{id}/urges/demo-u1/notice.docx"),
            )
            .await;
            let opened = open(&notice);
            assert_eq!(opened.paragraphs[1], "督字〔2026〕21号-催1");
            assert!(opened.paragraphs.iter().any(|p| p == "督办提醒单"));
            assert!(opened.paragraphs.iter().any(|p| p == "炼油厂："));
            assert!(opened.text().contains("请于本周五前反馈5号阀井整改进展。"));
            assert_eq!(opened.field("催办等级"), Some("提醒"));
            files.push(("demo-notice".into(), notice));
        }
    }

    // A closed, evaluated item with everything a 督办单 shows, and photos.
    let photos = [
        upload(&app, &lijing, &jpeg(1600, 1200, 10), "3号阀井积水").await,
        upload(&app, &lijing, &jpeg(1200, 1600, 60), "5号阀井").await,
        upload(&app, &zhang, &jpeg(1600, 1200, 120), "清理后").await,
    ];
    let mut steps = vec![
        progress("p1", shanghai(2026, 11, 4, 9, 0)),
        progress("p2", shanghai(2026, 11, 12, 16, 0)),
    ];
    for p in &mut steps {
        p.by = zhang.id.clone();
        p.photos = vec![];
    }
    steps[1].text = "5号阀井渗漏点已完成更换，阀井巡检台账已建立并运行。".into();
    steps[1].problems = None;
    let item = DubanItem {
        doc_no: Some("督字〔2026〕35号".into()),
        title: "炼油厂区阀井污水整改及巡检制度建设".into(),
        detail: Text::with_value(
            "一、限期抽排3号、5号阀门井内积存污水。\n二、排查渗漏原因，更换老化管线。\n三、建立阀井定期巡检台账，每周检查一次。",
        ),
        lead_unit: Some("refinery".into()),
        co_units: vec!["refinery-safety".into(), "refinery-workshop-1".into()],
        handlers: vec![zhang.id.clone()],
        supervisors: vec![lijing.id.clone()],
        created_by: lijing.id.clone(),
        status: DubanStatus::Evaluated,
        milestones: vec![Milestone {
            id: "m1".into(),
            title: "完成污水抽排".into(),
            due: shanghai(2026, 11, 8, 23, 59),
            done_at: Some(shanghai(2026, 11, 4, 9, 0)),
        }],
        progress: steps,
        urges: vec![Urge {
            id: "u1".into(),
            at: shanghai(2026, 11, 10, 10, 0),
            by: lijing.id.clone(),
            withdrawn: None,
            level: UrgeLevel::Urge,
            message: "5号阀井整改进度滞后，请于11月15日前完成并反馈。".into(),
        }],
        reviews: vec![Review {
            id: "r1".into(),
            at: shanghai(2026, 11, 14, 10, 0),
            by: lijing.id.clone(),
            withdrawn: None,
            verdict: Verdict::Pass,
            opinion: "整改到位，同意办结。".into(),
        }],
        instructions: vec![Instruction {
            id: "i1".into(),
            at: shanghai(2026, 11, 2, 8, 0),
            by: wang.id.clone(),
            withdrawn: None,
            text: "环保无小事，按期整改到位。".into(),
            attachments: None,
        }],
        site_checks: vec![SiteCheck {
            id: "s1".into(),
            at: shanghai(2026, 11, 3, 9, 0),
            by: lijing.id.clone(),
            withdrawn: None,
            place: "炼油厂区3号、5号阀门井".into(),
            findings: "阀井内积水发黑，有油污味。".into(),
            before_photos: vec![photos[0].clone(), photos[1].clone()],
            after_photos: vec![photos[2].clone(), photo('f')],
            geo: None,
            attachments: None,
        }],
        evaluation: Some(Evaluation {
            at: shanghai(2026, 11, 15, 9, 0),
            by: wang.id.clone(),
            score: 95,
            rating: Rating::Excellent,
            comment: "提前完成，举一反三。".into(),
        }),
        ..duyan_shared::samples::duban_item()
    };
    let (id, _) = app.put(item, &lijing.id).await;
    let sheet = fetch(&app, &admin, &format!("/api/records/{id}/document.docx")).await;
    let opened = open(&sheet);
    check_sheet(&opened);
    files.push(("item-sheet".into(), sheet));
    let notice = fetch(
        &app,
        &admin,
        &format!("/api/records/{id}/urges/u1/notice.docx"),
    )
    .await;
    let opened = open(&notice);
    assert!(opened.paragraphs.iter().any(|p| p == "催办通知单"));
    assert_eq!(opened.field("催 办 人"), Some("李静"));
    files.push(("item-notice".into(), notice));

    // A research record with its report, visits, findings with photos, suggestions.
    let finding_photos = [
        upload(&app, &chen, &jpeg(1600, 1200, 200), "交接班记录").await,
        upload(&app, &chen, &jpeg(1600, 1200, 30), "班组看板").await,
    ];
    let record = research_record(&chen.id, &finding_photos);
    let (id, _) = app.put(record, &chen.id).await;
    let report = fetch(&app, &admin, &format!("/api/records/{id}/document.docx")).await;
    let opened = open(&report);
    check_report(&opened);
    files.push(("research-report".into(), report));

    render(&files);
}

#[track_caller]
fn check_sheet(opened: &Opened) {
    assert_eq!(opened.paragraphs[0], "办公室");
    assert_eq!(opened.paragraphs[1], "督字〔2026〕35号");
    assert!(opened.paragraphs.iter().any(|p| p == "督　办　单"));
    assert_eq!(
        opened.field("督办事项"),
        Some("炼油厂区阀井污水整改及巡检制度建设")
    );
    assert_eq!(
        opened.field("协办单位"),
        Some("炼油厂安全环保科、炼油一车间")
    );
    assert_eq!(opened.field("办理状态"), Some("已评价"));
    let text = opened.text();
    for expected in [
        "一、督办内容及要求",
        "二、领导批示",
        "环保无小事，按期整改到位。（王强，2026年11月2日）",
        "阶段节点",
        "办理情况",
        "现场督办",
        "整改到位，同意办结。",
        "95分，优秀",
        "督办员（签字）：",
        "主办单位负责人（签字）：",
        "日期：    年  月  日",
        "未附照片",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    // The matter, milestones, progress, photos and signatures are tables.
    assert!(opened.tables.len() >= 5, "{}", opened.tables.len());
    assert_eq!(opened.images.len(), 3, "three photos uploaded, one not");
    assert!(opened.images.iter().all(|i| i.starts_with(b"\x89PNG")));
}

#[track_caller]
fn check_report(opened: &Opened) {
    let text = opened.text();
    for expected in [
        "关于基层班组安全生产责任落实情况的调研报告",
        "一、基本情况",
        "二、存在问题",
        "三、原因分析",
        "四、对策建议",
        "（一）交接班记录签字不全",
        "（二）班组安全培训流于形式",
        "图1-1",
        "图1-2",
        "（一）建立交接班记录抽查制度（已采纳，陈芳）",
        "五、领导批示",
        "调研组负责人（签字）：",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    assert_eq!(
        opened.field("调研课题"),
        Some("基层班组安全生产责任落实情况调研")
    );
    assert_eq!(opened.images.len(), 2);
}

fn research_record(lead: &str, photos: &[duyan_shared::records::PhotoRef]) -> ResearchRecord {
    let visit = |id: &str, day: u32, place: &str, method| Visit {
        id: id.into(),
        at: shanghai(2026, 11, day, 10, 0),
        by: lead.into(),
        withdrawn: None,
        place: place.into(),
        address: None,
        geo: None,
        method,
        people_met: "班长及班组成员6人".into(),
        notes: Text::with_value("座谈了解交接班和隐患上报情况。"),
        photos: vec![],
        attachments: None,
    };
    let finding = |id: &str, text: &str, photos: Vec<_>| Finding {
        id: id.into(),
        at: shanghai(2026, 11, 5, 11, 0),
        by: lead.into(),
        withdrawn: None,
        visit_id: Some("v1".into()),
        text: text.into(),
        category: "安全生产".into(),
        severity: Severity::Major,
        photos,
        geo: None,
        suggestion: Some("建立交接班记录抽查制度".into()),
        duban_ref: None,
        attachments: None,
    };
    ResearchRecord {
        lead: lead.into(),
        members: vec![],
        created_by: lead.into(),
        unit: "office".into(),
        visits: vec![
            visit("v1", 5, "炼油一车间检修班", VisitMethod::Discussion),
            visit("v2", 7, "炼油厂安全环保科", VisitMethod::Unannounced),
        ],
        findings: vec![
            finding("f1", "交接班记录签字不全", photos.to_vec()),
            finding("f2", "班组安全培训流于形式", vec![]),
        ],
        report: Report {
            basic_situation: Text::with_value(
                "11月上旬，调研组深入炼油一车间等基层班组，采取座谈、四不两直等方式开展调研，共走访班组8个，座谈2次。\n总体看，基层班组安全生产责任体系基本建立。",
            ),
            problems: Text::with_value("调研发现以下问题："),
            cause_analysis: Text::with_value("一是考核机制不健全；二是培训针对性不强。"),
            countermeasures: Text::with_value("完善考核，加强培训，形成闭环。"),
        },
        suggestions: vec![Suggestion {
            id: "g1".into(),
            at: shanghai(2026, 11, 8, 9, 0),
            by: lead.into(),
            withdrawn: None,
            text: "建立交接班记录抽查制度".into(),
            status: SuggestionStatus::Adopted,
            duban_ref: None,
        }],
        instructions: vec![Instruction {
            id: "i1".into(),
            at: shanghai(2026, 11, 9, 9, 0),
            by: lead.into(),
            withdrawn: None,
            text: "调研扎实，请转化为督办事项。".into(),
            attachments: None,
        }],
        ..duyan_shared::samples::research_record()
    }
}

/// Saves `files` as `.docx`, converts them all with one LibreOffice run, and each PDF to PNG
/// pages; checks each PDF uses a Chinese font and holds its text.
fn render(files: &[(String, Vec<u8>)]) {
    let dir = out_dir();
    // Pages of an earlier run would outlive a document that got shorter.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "png" || e == "pdf") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let mut paths = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(format!("{name}.docx"));
        std::fs::write(&path, bytes).unwrap();
        paths.push(path);
    }
    // A profile of its own: a user's running LibreOffice or a stale lock must not interfere.
    let profile = dir.join("lo-profile");
    let fonts = dir.join("fonts.conf");
    std::fs::write(&fonts, FONTS_CONF).unwrap();
    let status = Command::new("soffice")
        .env("FONTCONFIG_FILE", &fonts)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(&dir)
        .args(&paths)
        .status()
        .expect("LibreOffice (soffice) is installed by scripts/setup.sh");
    assert!(status.success());
    for (name, bytes) in files {
        let pdf = dir.join(format!("{name}.pdf"));
        assert!(pdf.exists(), "{name}.pdf");
        let fonts = output(Command::new("pdffonts").arg(&pdf));
        assert!(
            ["UMing", "UKai", "WenQuanYi", "Noto", "Droid"]
                .iter()
                .any(|f| fonts.contains(f)),
            "{name}: no Chinese font used, the text would be boxes:\n{fonts}"
        );
        let text = output(Command::new("pdftotext").arg(&pdf).arg("-"));
        let first = open(bytes).paragraphs[0].clone();
        assert!(text.contains(&first), "{name}: {first} not in the PDF");
        let status = Command::new("pdftoppm")
            .args(["-png", "-r", "60"])
            .arg(&pdf)
            .arg(dir.join(name))
            .status()
            .unwrap();
        assert!(status.success());
    }
}

/// The office fonts the documents name, as the free fonts Debian has: an office PC has the
/// real ones; without these aliases every Chinese glyph falls back to one sans-serif font,
/// legible but unlike the printed page.
const FONTS_CONF: &str = r#"<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <alias binding="same"><family>仿宋_GB2312</family><prefer><family>AR PL UKai CN</family></prefer></alias>
  <alias binding="same"><family>楷体_GB2312</family><prefer><family>AR PL UKai CN</family></prefer></alias>
  <alias binding="same"><family>方正小标宋简体</family><prefer><family>AR PL UMing CN</family></prefer></alias>
  <alias binding="same"><family>黑体</family><prefer><family>WenQuanYi Micro Hei</family></prefer></alias>
</fontconfig>
"#;

fn output(command: &mut Command) -> String {
    let out = command.output().unwrap();
    assert!(out.status.success(), "{command:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
