//! What the API tests share: an app on a fresh database (`#[sqlx::test]`) with a small tree
//! of units, signed-in callers, and records stored with the real `PgStore` and projected with
//! the real projector, as the document task does.

// Only the ignored benchmark uses some of these helpers.
#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::Arc;

use automerge::AutoCommit;
use autosurgeon::Text;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode, header};
use duyan::access::photos::Reference;
use duyan::access::{Content, Reader, View};
use duyan::app::{AppState, app};
use duyan::auth::{Auth, AuthConfig};
use duyan::directory::DirectoryHandle;
use duyan::metrics::Metrics;
use duyan::projection::PgProjector;
use duyan::storage::DocStore;
use duyan::storage::postgres::PgStore;
use duyan::sync::hub::{Hub, HubParts};
use duyan::sync::protocol::PeerMetadata;
use duyan::sync::session::{ServerIdentity, SessionLimits};
use duyan::sync::{Projector, Reviewed, SyncConfig};
use duyan::users::{self, NewUser, UnitRow};
use duyan_shared::records::{Record, ResearchRecord, new_document};
use duyan_shared::rules::Role;
use duyan_shared::samples::{duban_item, research_record};
use duyan_shared::{DocumentId, DubanItem};
use serde_json::Value;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

pub const SECRET: &[u8] = b"test secret, long enough for HS256 keys";

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub pool: PgPool,
    pub store: PgStore,
}

pub async fn test_app(pool: PgPool) -> TestApp {
    // Units: 炼油厂 (refinery) with plants 1 and 2 below it; 化工厂 (chem) elsewhere.
    for (id, name, parent) in [
        ("refinery", "炼油厂", None),
        ("plant-1", "一号厂区", Some("refinery")),
        ("plant-2", "二号厂区", Some("refinery")),
        ("chem", "化工厂", None),
        ("office", "办公室", None),
    ] {
        users::create_unit(
            &pool,
            &UnitRow {
                id: id.into(),
                name: name.into(),
                parent_id: parent.map(Into::into),
            },
        )
        .await
        .unwrap();
    }
    let state = app_state(pool.clone(), AuthConfig::default()).await;
    TestApp {
        router: app(state.clone()),
        store: PgStore::new(pool.clone()),
        state,
        pool,
    }
}

/// The application's state on `pool`, as `serve` builds it but with no projector, no web app and
/// a fixed token secret; `auth` sets the token lifetimes and sign-in limits.
pub async fn app_state(pool: PgPool, auth: AuthConfig) -> AppState {
    let tracker = TaskTracker::new();
    let shutdown = CancellationToken::new();
    let metrics = Arc::new(Metrics::default());
    let directory = DirectoryHandle::load(&pool).await.unwrap();
    let hub = Hub::new(HubParts {
        store: Arc::new(PgStore::new(pool.clone())),
        projector: None,
        people: duyan::people_of(&directory, shutdown.clone(), &tracker),
        server_peer_id: "test-server".into(),
        config: SyncConfig::default(),
        metrics: metrics.clone(),
        tracker: tracker.clone(),
        shutdown: shutdown.clone(),
    });
    AppState {
        pool: pool.clone(),
        hub,
        identity: ServerIdentity {
            peer_id: "test-server".into(),
            metadata: Arc::new(PeerMetadata {
                storage_id: Some("test-storage".into()),
                is_ephemeral: false,
            }),
        },
        limits: SessionLimits {
            max_message_bytes: 1 << 20,
            messages_per_second: 1000,
        },
        metrics,
        tracker,
        shutdown,
        web_dir: std::env::temp_dir().join("duyan-no-web-app"),
        auth: Arc::new(Auth::new(SECRET, auth).unwrap()),
        directory,
        blobs: duyan::blobs::Blobs::postgres(pool.clone(), Default::default()),
        notify: duyan::notify::Settings {
            allow_private: true,
            ..Default::default()
        },
    }
}

/// A signed-in user: id and access token.
pub struct Caller {
    pub id: String,
    pub token: String,
}

impl TestApp {
    pub async fn user(&self, username: &str, roles: &[Role], unit: Option<&str>) -> Caller {
        let id = users::create_user(
            &self.pool,
            &NewUser {
                username: username.into(),
                display_name: username.into(),
                roles: roles.to_vec(),
                unit: unit.map(Into::into),
                // Nobody signs in with a password here: tokens are issued directly.
                password_hash: "not a hash".into(),
                must_change_password: false,
            },
        )
        .await
        .unwrap();
        self.state.directory.refresh().await.unwrap();
        let (token, _) = self
            .state
            .auth
            .issue_access(&id, &format!("session-{username}"))
            .unwrap();
        Caller { id, token }
    }

    /// Stores `record` as a new document owned by `owner` and projects it, as the document
    /// task does after a write.
    pub async fn put(&self, record: impl Into<Record>, owner: &str) -> (DocumentId, AutoCommit) {
        let mut doc = new_document();
        record.into().write_to(&mut doc).unwrap();
        let id = DocumentId::from_bytes(rand::random());
        self.store.create(id, doc.save()).await.unwrap();
        self.store.claim(id, owner.to_owned()).await.unwrap();
        self.project(id, &mut doc, owner).await;
        (id, doc)
    }

    /// Projects the record as the document task does after a change, each photo referenced
    /// (and attachment) referenced by the user its `PhotoRef` (`AttachmentRef`) names (`by`:
    /// who added it), as the app writes them.
    pub async fn project(&self, id: DocumentId, doc: &mut AutoCommit, owner: &str) {
        let view = View::of(doc.document(), Some(owner.into()));
        let directory = self.state.directory.current();
        let mut references: Vec<Reference> = Vec::new();
        if let Content::Record(record) = &view.content {
            let refs: Vec<&duyan_shared::records::PhotoRef> = match record {
                Record::Duban(item) => item
                    .progress
                    .iter()
                    .flat_map(|p| &p.photos)
                    .chain(
                        item.site_checks
                            .iter()
                            .flat_map(|c| c.before_photos.iter().chain(&c.after_photos)),
                    )
                    .collect(),
                Record::Research(research) => research
                    .visits
                    .iter()
                    .flat_map(|v| &v.photos)
                    .chain(research.findings.iter().flat_map(|f| &f.photos))
                    .collect(),
                Record::Meeting(_) => Vec::new(),
            };
            let files = duyan::access::photos::attachments_in(record);
            let named = refs
                .iter()
                .map(|p| (&p.sha256, &p.by))
                .chain(files.iter().map(|a| (&a.sha256, &a.by)));
            for (sha256, by) in named {
                if let Some(by) = Reader::of(&*directory, by) {
                    references.push(Reference {
                        sha256: sha256.clone(),
                        by,
                    });
                }
            }
        }
        let reviewed = Reviewed {
            events: Vec::new(),
            references,
        };
        PgProjector::new(self.pool.clone())
            .project(id, &view, reviewed)
            .await;
    }

    /// Changes a stored record: appends the change as an increment and projects it.
    pub async fn change(
        &self,
        id: DocumentId,
        doc: &mut AutoCommit,
        owner: &str,
        edit: impl FnOnce(&mut DubanItem),
    ) {
        let heads = doc.get_heads();
        let Record::Duban(mut item) = Record::from_doc(&*doc).unwrap() else {
            panic!("not a 督办事项");
        };
        edit(&mut item);
        Record::Duban(item).write_to(doc).unwrap();
        self.store.append(id, doc.save_after(&heads)).await.unwrap();
        self.project(id, doc, owner).await;
    }

    /// `GET /api/records{query}` as JSON.
    pub async fn get(&self, caller: &Caller, query: &str) -> (StatusCode, Value) {
        self.get_json(caller, &format!("/api/records{query}")).await
    }

    /// `GET path` as JSON.
    pub async fn get_json(&self, caller: &Caller, path: &str) -> (StatusCode, Value) {
        let (status, _, body) = self.request(caller, path, None).await;
        (status, serde_json::from_slice(&body).unwrap())
    }

    /// `GET path` (its query may hold Chinese) with an optional `Accept`: status, headers and
    /// body.
    pub async fn request(
        &self,
        caller: &Caller,
        path: &str,
        accept: Option<&str>,
    ) -> (StatusCode, HeaderMap, Bytes) {
        // Non-ASCII in a query string travels percent-encoded.
        let path: String = path
            .bytes()
            .map(|b| {
                if b.is_ascii() {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let mut request = Request::builder()
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", caller.token));
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT, accept);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, headers, body)
    }

    /// The ids listed for `query`, which must fit on one page.
    pub async fn ids(&self, caller: &Caller, query: &str) -> Vec<String> {
        let (status, body) = self.get(caller, query).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["next_cursor"].is_null(), "more than one page: {body}");
        ids_of(&body)
    }
}

pub fn ids_of(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

pub fn set(ids: &[&DocumentId]) -> HashSet<String> {
    ids.iter().map(|id| id.to_string()).collect()
}

pub fn as_set(ids: Vec<String>) -> HashSet<String> {
    ids.into_iter().collect()
}

/// A 督办事项 of `unit`, handled by `handler`, created by `supervisor`.
pub fn item(title: &str, unit: &str, handler: &str, supervisor: &str) -> DubanItem {
    DubanItem {
        title: title.into(),
        lead_unit: Some(unit.into()),
        co_units: vec![],
        handlers: vec![handler.into()],
        supervisors: vec![supervisor.into()],
        created_by: supervisor.into(),
        detail: Text::with_value(""),
        progress: vec![],
        instructions: vec![],
        ..duban_item()
    }
}

pub fn research(lead: &str, unit: &str) -> ResearchRecord {
    ResearchRecord {
        lead: lead.into(),
        members: vec![],
        created_by: lead.into(),
        unit: unit.into(),
        ..research_record()
    }
}
