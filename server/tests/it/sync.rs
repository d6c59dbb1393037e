//! The sync core driven in-process: a real `Session`, real Automerge documents on both ends,
//! and real PostgreSQL (`#[sqlx::test]` gives each test a fresh database) or the in-memory
//! store where a storage failure has to be injected. The wire-level interop with the real
//! JavaScript client is tested in `tests/js`.

use std::sync::Arc;
use std::time::Duration;

use automerge::sync::{self, SyncDoc};
use automerge::{AutoCommit, Automerge, ROOT, ReadDoc};
use ciborium::Value;
use duyan::access::{People, Person};
use duyan::metrics::Metrics;
use duyan::storage::DocStore;
use duyan::storage::memory::MemoryStore;
use duyan::storage::postgres::PgStore;
use duyan::sync::SyncConfig;
use duyan::sync::hub::{Hub, HubParts};
use duyan::sync::peer::{Outbox, Outgoing};
use duyan::sync::protocol::PeerMetadata;
use duyan::sync::session::{ServerIdentity, Session, SessionLimits, SignedIn};
use duyan_shared::records::{Record, new_document};
use duyan_shared::rules::Role;
use duyan_shared::samples::{duban_item, progress, shanghai};
use duyan_shared::{DocumentId, Timestamp};
use sqlx::PgPool;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The users of the samples: u-li supervises, u-zhang handles for the lead unit, u-view only
/// views, u-other handles in an unrelated unit.
struct Users;

impl People for Users {
    fn person(&self, user_id: &str) -> Option<Person> {
        let (role, unit) = match user_id {
            "u-li" => (Role::Supervisor, "unit-office"),
            "u-zhang" => (Role::Handler, "unit-plant-2"),
            "u-view" => (Role::Viewer, "unit-plant-2"),
            "u-other" => (Role::Handler, "unit-plant-9"),
            _ => return None,
        };
        Some(Person {
            roles: vec![role],
            unit: Some(unit.to_owned()),
        })
    }

    fn unit_within(&self, unit: &str, ancestor: &str) -> bool {
        unit == ancestor
    }

    fn subtree(&self, unit: &str) -> Vec<String> {
        vec![unit.to_owned()]
    }
}

fn hub(store: Arc<dyn DocStore>, idle: Duration) -> Hub {
    let people: Arc<dyn People> = Arc::new(Users);
    // The sender is dropped: the users never change during these tests.
    let (_, people) = watch::channel(people);
    Hub::new(HubParts {
        store,
        projector: None,
        people,
        server_peer_id: "server".into(),
        config: SyncConfig {
            doc_idle_timeout: idle,
            storage_attempts: 2,
            ..SyncConfig::default()
        },
        metrics: Arc::new(Metrics::default()),
        tracker: TaskTracker::new(),
        shutdown: CancellationToken::new(),
    })
}

/// PostgreSQL storage with the test users and their sessions in the tables that actor bindings
/// and document owners refer to.
async fn pg_store(pool: PgPool) -> Arc<PgStore> {
    for user in ["u-li", "u-zhang", "u-view", "u-other"] {
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
    Arc::new(PgStore::new(pool))
}

fn new_doc_id() -> DocumentId {
    DocumentId::from_bytes(rand::random())
}

/// What the server sent, decoded.
#[derive(Debug)]
pub(crate) enum Received {
    Message {
        kind: String,
        data: Option<Vec<u8>>,
    },
    /// An `error` message followed by closing the connection.
    Fatal {
        message: String,
    },
}

/// A client on the other end of a real `Session`, speaking the protocol with its own
/// Automerge document, as automerge-repo's client would.
pub(crate) struct TestPeer {
    session: Session,
    outgoing: UnboundedReceiver<Outgoing>,
    pub(crate) doc: AutoCommit,
    state: sync::State,
    doc_id: DocumentId,
}

impl TestPeer {
    async fn join(hub: &Hub, doc_id: DocumentId) -> Self {
        Self::join_as(hub, doc_id, "u-li").await
    }

    pub(crate) async fn join_as(hub: &Hub, doc_id: DocumentId, user: &str) -> Self {
        let (outbox, outgoing) = Outbox::new(64 << 20);
        let identity = ServerIdentity {
            peer_id: "server".into(),
            metadata: Arc::new(PeerMetadata {
                storage_id: Some("test-storage".into()),
                is_ephemeral: false,
            }),
        };
        let limits = SessionLimits {
            max_message_bytes: 8 << 20,
            messages_per_second: 100_000,
        };
        let mut peer = Self {
            session: Session::new(
                hub.clone(),
                SignedIn {
                    user_id: user.into(),
                    session_id: format!("session-of-{user}").into(),
                },
                outbox,
                identity,
                limits,
            ),
            outgoing,
            doc: new_document(),
            state: sync::State::new(),
            doc_id,
        };
        let join = frame(&[
            ("type", Value::Text("join".into())),
            (
                "senderId",
                Value::Text(format!("client-{}", rand::random::<u32>())),
            ),
            (
                "supportedProtocolVersions",
                Value::Array(vec![Value::Text("1".into())]),
            ),
        ]);
        peer.session.receive(&join).await.unwrap();
        match peer.recv().await {
            Some(Received::Message { kind, .. }) => assert_eq!(kind, "peer"),
            other => panic!("expected a peer message, got {other:?}"),
        }
        peer
    }

    async fn send(&mut self, kind: &str, data: Vec<u8>) {
        let message = frame(&[
            ("type", Value::Text(kind.into())),
            ("senderId", Value::Text("client".into())),
            ("targetId", Value::Text("server".into())),
            ("documentId", Value::Text(self.doc_id.to_string())),
            ("data", Value::Bytes(data)),
        ]);
        self.session.receive(&message).await.unwrap();
    }

    async fn recv(&mut self) -> Option<Received> {
        let item = tokio::time::timeout(Duration::from_millis(500), self.outgoing.recv())
            .await
            .ok()??;
        Some(match item {
            Outgoing::Frame(bytes) => {
                let value: Value = ciborium::from_reader(bytes.as_slice()).unwrap();
                Received::Message {
                    kind: field(&value, "type").unwrap().into_text().unwrap(),
                    data: field(&value, "data").map(|d| d.into_bytes().unwrap()),
                }
            }
            Outgoing::Fatal(bytes) => {
                let value: Value = ciborium::from_reader(bytes.as_slice()).unwrap();
                Received::Fatal {
                    message: field(&value, "message").unwrap().into_text().unwrap(),
                }
            }
            Outgoing::Close(code, reason) => Received::Fatal {
                message: format!("closed {code}: {reason}"),
            },
        })
    }

    /// Runs the sync protocol until the server acknowledges our heads, or has nothing more to
    /// say. Returns what was received, in order.
    pub(crate) async fn sync(&mut self, first_kind: &str) -> Vec<Received> {
        let mut log = Vec::new();
        let first = self.doc.sync().generate_sync_message(&mut self.state);
        if let Some(message) = first {
            self.send(first_kind, message.encode()).await;
        }
        while let Some(received) = self.recv().await {
            if let Received::Message {
                kind,
                data: Some(data),
            } = &received
                && kind == "sync"
            {
                let message = sync::Message::decode(data).unwrap();
                self.doc
                    .sync()
                    .receive_sync_message(&mut self.state, message)
                    .unwrap();
                let reply = self.doc.sync().generate_sync_message(&mut self.state);
                let done = reply.is_none()
                    && !self.doc.get_heads().is_empty()
                    && self.server_heads() == self.doc.get_heads();
                if let Some(reply) = reply {
                    self.send("sync", reply.encode()).await;
                }
                if done {
                    log.push(received);
                    break;
                }
            }
            log.push(received);
        }
        log
    }

    /// The heads the server last told us it has.
    fn server_heads(&self) -> Vec<automerge::ChangeHash> {
        self.state.their_heads.clone().unwrap_or_default()
    }
}

fn frame(fields: &[(&str, Value)]) -> Vec<u8> {
    let map = fields
        .iter()
        .map(|(k, v)| (Value::Text((*k).into()), v.clone()))
        .collect();
    let mut out = Vec::new();
    ciborium::into_writer(&Value::Map(map), &mut out).unwrap();
    out
}

fn field(value: &Value, name: &str) -> Option<Value> {
    value
        .as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some(name))
        .map(|(_, v)| v.clone())
}

/// Writes a 督办事项 created by u-li (the sample item, with `title`) into `doc`.
fn record(doc: &mut AutoCommit, title: &str) {
    let mut item = duban_item();
    item.title = title.to_owned();
    // Entries in others' names would be refused whole (forged_author): u-li writes none.
    item.progress.clear();
    item.instructions.clear();
    Record::from(item).write_to(doc).unwrap();
    doc.commit();
}

fn edit(doc: &mut AutoCommit, change: impl FnOnce(&mut duyan_shared::DubanItem)) {
    let Record::Duban(mut item) = Record::from_doc(doc).unwrap() else {
        panic!("not a duban item");
    };
    change(&mut item);
    Record::from(item).write_to(doc).unwrap();
    doc.commit();
}

/// Appends a progress entry by u-li, the supervisor most tests sync as.
fn add_progress(doc: &mut AutoCommit, text: &str) {
    add_progress_by(doc, "u-li", text);
}

fn add_progress_by(doc: &mut AutoCommit, user: &str, text: &str) {
    edit(doc, |item| {
        let at: Timestamp = shanghai(2026, 11, 3, 9, 0);
        let mut entry = progress(&format!("p-{}", rand::random::<u64>()), at);
        entry.text = text.to_owned();
        entry.by = user.to_owned();
        // Photos name who added them: the same user, or the entry is forged.
        for photo in &mut entry.photos {
            photo.by = user.to_owned();
        }
        item.progress.push(entry);
    });
}

/// Appends a progress entry by u-li with plain Automerge operations: what `add_progress` does,
/// without reading the whole record first, for tests that append hundreds of entries.
fn append_progress_fast(doc: &mut AutoCommit, text: &str) {
    use automerge::transaction::Transactable;
    let (_, list) = doc.get(ROOT, "progress").unwrap().unwrap();
    let at = doc.length(&list);
    let entry = doc
        .insert_object(&list, at, automerge::ObjType::Map)
        .unwrap();
    doc.put(&entry, "id", format!("p-{}", rand::random::<u64>()))
        .unwrap();
    doc.put(&entry, "at", automerge::ScalarValue::Int(1_762_131_600_000))
        .unwrap();
    doc.put(&entry, "by", "u-li").unwrap();
    doc.put(&entry, "text", text).unwrap();
    doc.put_object(&entry, "photos", automerge::ObjType::List)
        .unwrap();
    doc.commit();
}

fn title_of(doc: &impl ReadDoc) -> String {
    doc.get(ROOT, "title")
        .unwrap()
        .and_then(|(v, _)| v.into_string().ok())
        .unwrap_or_default()
}

/// Waits until the hub has unloaded every document (their idle timeout passed); fails after 5 s.
async fn wait_unloaded(hub: &Hub) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while hub.loaded() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(hub.loaded(), 0, "unloaded after the idle timeout");
}

async fn load_stored(store: &dyn DocStore, id: DocumentId) -> Automerge {
    let stored = store.load(id).await.unwrap().expect("document stored");
    let mut doc = Automerge::new_with_encoding(duyan_shared::records::TEXT_ENCODING);
    doc.load_incremental(&stored.snapshot).unwrap();
    for increment in stored.increments {
        doc.load_incremental(&increment.data).unwrap();
    }
    doc
}

#[sqlx::test(migrations = "./migrations")]
async fn well_formed_cbor_of_the_wrong_shape_is_told_what_is_wrong(pool: PgPool) {
    let hub = hub(pg_store(pool).await, Duration::from_secs(60));
    let doc_id = DocumentId::from_bytes([9; 16]);
    let refusal = |frame: Vec<u8>| {
        let hub = hub.clone();
        async move {
            let mut peer = TestPeer::join(&hub, doc_id).await;
            peer.session.receive(&frame).await.unwrap_err().to_string()
        }
    };
    assert_eq!(
        refusal(frame(&[
            ("type", Value::Text("sync".into())),
            ("documentId", Value::Integer(7.into())),
        ]))
        .await,
        "message is valid CBOR but not a protocol message: `documentId` is an integer, expected a string"
    );
    assert_eq!(
        refusal(frame(&[
            ("type", Value::Text("sync".into())),
            ("documentId", Value::Text(doc_id.to_string())),
            ("data", Value::Array(vec![])),
        ]))
        .await,
        "message is valid CBOR but not a protocol message: `data` is an array, expected a byte string"
    );
    let mut list = Vec::new();
    ciborium::into_writer(&Value::Array(vec![Value::Text("sync".into())]), &mut list).unwrap();
    assert_eq!(
        refusal(list).await,
        "message is valid CBOR but not a protocol message: it is an array, not a map"
    );
    // Bytes that are not CBOR at all are still called that.
    assert_eq!(
        refusal(vec![0xff, 0xfe, 0xfd]).await,
        "message is not valid CBOR"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn a_document_written_by_one_peer_is_served_to_another(pool: PgPool) {
    let store = pg_store(pool).await;
    let hub = hub(store.clone(), Duration::from_secs(60));
    let id = new_doc_id();

    let mut a = TestPeer::join(&hub, id).await;
    record(&mut a.doc, "炼油厂区阀井污水整改");
    add_progress(&mut a.doc, "已完成现场勘查");
    a.sync("sync").await;
    assert_eq!(
        a.server_heads(),
        a.doc.get_heads(),
        "the server acknowledged A's changes"
    );

    let mut b = TestPeer::join(&hub, id).await;
    b.sync("request").await;
    assert_eq!(b.doc.get_heads(), a.doc.get_heads());
    assert_eq!(title_of(&b.doc), "炼油厂区阀井污水整改");
}

#[sqlx::test(migrations = "./migrations")]
async fn an_unknown_document_is_unavailable(pool: PgPool) {
    let hub = hub(pg_store(pool).await, Duration::from_secs(60));
    let mut peer = TestPeer::join(&hub, new_doc_id()).await;
    let kinds: Vec<String> = peer
        .sync("request")
        .await
        .into_iter()
        .map(|r| match r {
            Received::Message { kind, .. } => kind,
            Received::Fatal { message } => panic!("unexpected error {message}"),
        })
        .collect();
    assert_eq!(kinds, ["doc-unavailable"]);
}

#[tokio::test]
async fn a_change_storage_refused_is_never_acknowledged() {
    let store = Arc::new(MemoryStore::default());
    let hub = hub(store.clone(), Duration::from_secs(60));
    let id = new_doc_id();
    let mut peer = TestPeer::join(&hub, id).await;
    record(&mut peer.doc, "固废未处置");
    peer.doc.commit();

    // Every attempt fails (the hub retries twice).
    store.fail_next_writes(2);
    let log = peer.sync("sync").await;
    assert!(
        peer.server_heads().is_empty(),
        "no heads acknowledged: {log:?}"
    );
    assert!(
        matches!(log.last(), Some(Received::Fatal { message }) if message.contains("storage unavailable")),
        "the peer is told, and its session closed: {log:?}"
    );
    assert!(store.get(&id).is_none());

    // Storage is back: a reconnecting client syncs and is acknowledged.
    let mut again = TestPeer::join(&hub, id).await;
    again.doc = peer.doc.fork();
    again.sync("sync").await;
    assert_eq!(again.server_heads(), again.doc.get_heads());
    assert_eq!(
        load_stored(store.as_ref(), id).await.get_heads(),
        again.doc.get_heads()
    );
}

#[tokio::test]
async fn a_transient_storage_failure_is_retried() {
    let store = Arc::new(MemoryStore::default());
    let hub = hub(store.clone(), Duration::from_secs(60));
    let id = new_doc_id();
    let mut peer = TestPeer::join(&hub, id).await;
    record(&mut peer.doc, "杂草未清理");
    peer.doc.commit();
    store.fail_next_writes(1);
    let log = peer.sync("sync").await;
    assert!(
        log.iter().all(|r| matches!(r, Received::Message { .. })),
        "{log:?}"
    );
    assert_eq!(peer.server_heads(), peer.doc.get_heads());
}

#[sqlx::test(migrations = "./migrations")]
async fn compaction_keeps_content_and_bounds_storage(pool: PgPool) {
    let store = pg_store(pool).await;
    let hub = hub(store.clone(), Duration::from_secs(60));
    let id = new_doc_id();
    let mut peer = TestPeer::join(&hub, id).await;
    record(&mut peer.doc, "月度会议督办事项");
    peer.doc.commit();
    peer.sync("sync").await;
    // Each change is reviewed by reading the whole record, so the count is kept moderate.
    for i in 0..300 {
        append_progress_fast(&mut peer.doc, &format!("第{i}次反馈：整改推进中"));
        peer.sync("sync").await;
    }
    assert_eq!(peer.server_heads(), peer.doc.get_heads());

    let stored = store.load(id).await.unwrap().unwrap();
    let stored_doc = load_stored(store.as_ref(), id).await;
    let saved = peer.doc.save().len();
    let ratio = stored.stored_bytes() as f64 / saved as f64;
    assert!(
        ratio <= 1.5,
        "stored {} bytes for a save() of {saved} ({ratio:.2}x)",
        stored.stored_bytes()
    );
    assert_eq!(stored_doc.get_heads(), peer.doc.get_heads());
    assert_eq!(
        stored_doc.save(),
        peer.doc.save(),
        "content identical after compaction"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn two_processes_writing_one_document_lose_nothing(pool: PgPool) {
    // Two hubs on one database are two server processes as far as storage is concerned.
    let store = pg_store(pool).await;
    let first = hub(store.clone(), Duration::from_secs(60));
    let second = hub(store.clone(), Duration::from_secs(60));
    let id = new_doc_id();

    let mut seed = TestPeer::join(&first, id).await;
    record(&mut seed.doc, "两台服务器");
    seed.doc.commit();
    seed.sync("sync").await;

    let mut a = TestPeer::join(&first, id).await;
    let mut b = TestPeer::join(&second, id).await;
    a.sync("request").await;
    b.sync("request").await;
    // Enough changes on both sides to make both processes compact several times.
    for i in 0..60 {
        add_progress(&mut a.doc, &format!("甲{i}"));
        add_progress(&mut b.doc, &format!("乙{i}"));
        let (_, _) = tokio::join!(a.sync("sync"), b.sync("sync"));
    }
    let mut merged = a.doc.fork();
    merged.merge(&mut b.doc).unwrap();
    let stored = load_stored(store.as_ref(), id).await;
    assert_eq!(
        stored.get_heads(),
        merged.get_heads(),
        "every change of both processes is stored"
    );
    let Ok(Record::Duban(item)) = Record::from_doc(&stored) else {
        panic!("stored document is not a duban item");
    };
    assert_eq!(item.progress.len(), 120);
}

#[tokio::test]
async fn idle_documents_are_unloaded_and_load_again() {
    let store = Arc::new(MemoryStore::default());
    let hub = hub(store.clone(), Duration::from_millis(200));
    let id = new_doc_id();
    let mut peer = TestPeer::join(&hub, id).await;
    record(&mut peer.doc, "蹲点调研");
    peer.doc.commit();
    peer.sync("sync").await;
    assert_eq!(hub.loaded(), 1);

    // While a session uses it, it stays.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(hub.loaded(), 1);

    peer.session.end().await;
    wait_unloaded(&hub).await;
    assert_eq!(hub.metrics().documents_loaded(), 0);

    let mut fresh = TestPeer::join(&hub, id).await;
    fresh.sync("request").await;
    assert_eq!(
        fresh.doc.get_heads(),
        peer.doc.get_heads(),
        "loaded again from storage"
    );
}

#[tokio::test]
async fn a_peer_told_unavailable_can_still_create_the_document() {
    let store = Arc::new(MemoryStore::default());
    let hub = hub(store.clone(), Duration::from_secs(60));
    let id = new_doc_id();
    let mut peer = TestPeer::join(&hub, id).await;
    let log = peer.sync("request").await;
    assert!(matches!(&log[..], [Received::Message { kind, .. }] if kind == "doc-unavailable"));

    // The client imports the document under that id and pushes it.
    record(&mut peer.doc, "调研发现转督办");
    peer.doc.commit();
    peer.sync("sync").await;
    assert_eq!(peer.server_heads(), peer.doc.get_heads());
    assert_eq!(
        load_stored(store.as_ref(), id).await.get_heads(),
        peer.doc.get_heads()
    );
}

/// The refusals in the `duyan/refused` ephemeral messages of a log.
pub(crate) fn refusals(log: &[Received]) -> Vec<(String, String)> {
    told(log)
        .into_iter()
        .map(|(field, code, _)| (field, code))
        .collect()
}

/// The refusals in the `duyan/refused` ephemeral messages of a log: field, code and message.
pub(crate) fn told(log: &[Received]) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    for received in log {
        let Received::Message {
            kind,
            data: Some(data),
        } = received
        else {
            continue;
        };
        if kind != "ephemeral" {
            continue;
        }
        let value: Value = ciborium::from_reader(data.as_slice()).unwrap();
        assert_eq!(
            field(&value, "type").and_then(|t| t.into_text().ok()),
            Some("duyan/refused".to_owned())
        );
        for item in field(&value, "refusals").unwrap().into_array().unwrap() {
            found.push((
                field(&item, "field").unwrap().into_text().unwrap(),
                field(&item, "code").unwrap().into_text().unwrap(),
                field(&item, "message").unwrap().into_text().unwrap(),
            ));
        }
    }
    found
}

#[sqlx::test(migrations = "./migrations")]
async fn a_handlers_forbidden_edit_is_undone_and_the_allowed_one_stands(pool: PgPool) {
    let store = pg_store(pool).await;
    let hub = hub(store.clone(), Duration::from_secs(60));
    let id = new_doc_id();
    let mut supervisor = TestPeer::join(&hub, id).await;
    record(&mut supervisor.doc, "炼油厂区阀井污水整改");
    supervisor.sync("sync").await;

    let mut handler = TestPeer::join_as(&hub, id, "u-zhang").await;
    handler.sync("request").await;
    assert_eq!(title_of(&handler.doc), "炼油厂区阀井污水整改");
    // One change: a new title and deadline (forbidden for a handler) and a progress entry.
    edit(&mut handler.doc, |item| {
        item.title = "已经整改完毕".into();
        item.deadline = Some(shanghai(2027, 1, 1, 0, 0));
        let mut entry = progress("p-handler", shanghai(2026, 11, 3, 9, 0));
        entry.by = "u-zhang".into();
        item.progress.push(entry);
    });
    let log = handler.sync("sync").await;
    let told = refusals(&log);
    assert!(
        told.contains(&("title".into(), "not_permitted".into()))
            && told.contains(&("deadline".into(), "not_permitted".into())),
        "the handler is told which fields: {told:?}"
    );
    // The handler's own copy converges to the restored values.
    handler.sync("sync").await;
    assert_eq!(title_of(&handler.doc), "炼油厂区阀井污水整改");

    let mut reader = TestPeer::join(&hub, id).await;
    reader.sync("request").await;
    let Ok(Record::Duban(seen)) = Record::from_doc(&reader.doc) else {
        panic!("not a record");
    };
    assert_eq!(seen.title, "炼油厂区阀井污水整改");
    assert_eq!(seen.deadline, duban_item().deadline);
    assert!(seen.progress.iter().any(|p| p.id == "p-handler"));

    // Later edits by the handler still sync.
    add_progress_by(&mut handler.doc, "u-zhang", "第二次反馈");
    let log = handler.sync("sync").await;
    assert!(refusals(&log).is_empty(), "{log:?}");
    assert_eq!(handler.server_heads(), handler.doc.get_heads());
}

/// A loaded document keeps only who may read it; its first change must still be reviewed
/// against the whole record as stored.
#[sqlx::test(migrations = "./migrations")]
async fn the_first_change_after_loading_is_reviewed_against_the_stored_record(pool: PgPool) {
    let store = pg_store(pool).await;
    let hub = hub(store.clone(), Duration::from_millis(200));
    let id = new_doc_id();
    let mut supervisor = TestPeer::join(&hub, id).await;
    record(&mut supervisor.doc, "炼油厂区阀井污水整改");
    supervisor.sync("sync").await;
    supervisor.session.end().await;
    wait_unloaded(&hub).await;

    let mut handler = TestPeer::join_as(&hub, id, "u-zhang").await;
    handler.sync("request").await;
    assert_eq!(title_of(&handler.doc), "炼油厂区阀井污水整改");
    edit(&mut handler.doc, |item| {
        item.title = "已经整改完毕".into();
        let mut entry = progress("p-handler", shanghai(2026, 11, 3, 9, 0));
        entry.by = "u-zhang".into();
        item.progress.push(entry);
    });
    let log = handler.sync("sync").await;
    assert_eq!(
        refusals(&log),
        [("title".to_owned(), "not_permitted".to_owned())]
    );
    handler.sync("sync").await;
    assert_eq!(title_of(&handler.doc), "炼油厂区阀井污水整改");
    let Ok(Record::Duban(stored)) = Record::from_doc(&load_stored(store.as_ref(), id).await) else {
        panic!("stored document is not a duban item");
    };
    assert_eq!(stored.title, "炼油厂区阀井污水整改");
    assert!(stored.progress.iter().any(|p| p.id == "p-handler"));
}

#[sqlx::test(migrations = "./migrations")]
async fn outsiders_get_unavailable_and_lose_access_when_removed(pool: PgPool) {
    let store = pg_store(pool).await;
    let hub = hub(store.clone(), Duration::from_secs(60));
    let id = new_doc_id();
    let mut supervisor = TestPeer::join(&hub, id).await;
    record(&mut supervisor.doc, "杂草未清理");
    supervisor.sync("sync").await;

    let mut outsider = TestPeer::join_as(&hub, id, "u-other").await;
    let kinds: Vec<String> = outsider
        .sync("request")
        .await
        .into_iter()
        .filter_map(|r| match r {
            Received::Message { kind, .. } => Some(kind),
            Received::Fatal { .. } => None,
        })
        .collect();
    assert_eq!(kinds, ["doc-unavailable"]);

    // u-zhang reads it as a handler of the lead unit... until the item moves to another unit.
    let mut handler = TestPeer::join_as(&hub, id, "u-zhang").await;
    handler.sync("request").await;
    assert_eq!(title_of(&handler.doc), "杂草未清理");
    edit(&mut supervisor.doc, |item| {
        item.lead_unit = Some("unit-plant-9".into());
        item.co_units.clear();
        item.handlers = vec!["u-other".into()];
    });
    supervisor.sync("sync").await;
    let mut kinds = Vec::new();
    while let Some(Received::Message { kind, .. }) = handler.recv().await {
        kinds.push(kind);
    }
    assert_eq!(kinds.last().map(String::as_str), Some("doc-unavailable"));
    edit(&mut supervisor.doc, |item| {
        item.title = "杂草清理（第二阶段）".into()
    });
    supervisor.sync("sync").await;
    assert!(
        handler.recv().await.is_none(),
        "no more updates for the removed handler"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn a_change_made_with_another_users_actor_is_refused(pool: PgPool) {
    let store = pg_store(pool).await;
    let hub = hub(store.clone(), Duration::from_secs(60));
    let id = new_doc_id();
    let mut supervisor = TestPeer::join(&hub, id).await;
    record(&mut supervisor.doc, "冒名修改");
    supervisor.sync("sync").await;

    // u-zhang forges a change under u-li's actor id.
    let mut forger = TestPeer::join_as(&hub, id, "u-zhang").await;
    forger.sync("request").await;
    forger.doc.set_actor(supervisor.doc.get_actor().clone());
    add_progress(&mut forger.doc, "伪造的反馈");
    let log = forger.sync("sync").await;
    assert_eq!(
        refusals(&log),
        [("*".to_owned(), "foreign_actor".to_owned())]
    );
    let stored = load_stored(store.as_ref(), id).await;
    assert_eq!(
        stored.get_heads(),
        supervisor.doc.get_heads(),
        "nothing stored"
    );
}

/// The projection through the real sync path: every stored change is projected by the
/// document task, and `duyan reindex` rebuilds exactly the same rows.
#[sqlx::test(migrations = "./migrations")]
async fn synced_records_are_projected_and_reindex_agrees(pool: PgPool) {
    let store = pg_store(pool.clone()).await;
    let people: Arc<dyn People> = Arc::new(Users);
    let (_, people) = watch::channel(people);
    let hub = Hub::new(HubParts {
        store: store.clone(),
        projector: Some(Arc::new(duyan::projection::PgProjector::new(pool.clone()))),
        people,
        server_peer_id: "server".into(),
        config: SyncConfig::default(),
        metrics: Arc::new(Metrics::default()),
        tracker: TaskTracker::new(),
        shutdown: CancellationToken::new(),
    });
    let titles = [
        "炼油厂区阀井污水整改",
        "二号厂区固体废物清理整改",
        "三号事项",
    ];
    for title in titles {
        let mut peer = TestPeer::join(&hub, new_doc_id()).await;
        record(&mut peer.doc, title);
        peer.sync("sync").await;
        add_progress(&mut peer.doc, "已完成现场勘查");
        peer.sync("sync").await;
        assert_eq!(peer.server_heads(), peer.doc.get_heads());
    }
    let rows = || async {
        sqlx::query_scalar::<_, String>(
            "select (to_jsonb(r) - 'updated_at')::text from records r order by id",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    let incremental = rows().await;
    assert_eq!(incremental.len(), 3);
    let counts: Vec<i32> = sqlx::query_scalar(
        "select progress_count from records where search like '%已完成现场勘查%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        counts,
        vec![1, 1, 1],
        "the second change of each was projected"
    );

    sqlx::query("truncate records")
        .execute(&pool)
        .await
        .unwrap();
    duyan::projection::reindex(&pool).await.unwrap();
    assert_eq!(rows().await, incremental);
}

/// Waits (without sending first) until this peer's document has `heads`, answering what the
/// server sends as a client would.
async fn hear_until(peer: &mut TestPeer, heads: &[automerge::ChangeHash]) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while peer.doc.get_heads() != heads {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the change never arrived"
        );
        let Some(Received::Message {
            kind,
            data: Some(data),
        }) = peer.recv().await
        else {
            continue;
        };
        if kind != "sync" {
            continue;
        }
        let message = sync::Message::decode(&data).unwrap();
        peer.doc
            .sync()
            .receive_sync_message(&mut peer.state, message)
            .unwrap();
        let reply = peer.doc.sync().generate_sync_message(&mut peer.state);
        if let Some(reply) = reply {
            peer.send("sync", reply.encode()).await;
        }
    }
}

/// Two hubs with their own stores and listeners: two server processes on one database.
async fn two_processes(pool: &PgPool) -> (Hub, Hub, CancellationToken) {
    let first_store = pg_store(pool.clone()).await;
    let second_store = Arc::new(PgStore::new(pool.clone()));
    let first = hub(first_store.clone(), Duration::from_secs(60));
    let second = hub(second_store.clone(), Duration::from_secs(60));
    let shutdown = CancellationToken::new();
    let tracker = TaskTracker::new();
    for (hub, origin) in [
        (&first, first_store.origin().clone()),
        (&second, second_store.origin().clone()),
    ] {
        duyan::sync::remote::spawn_listener(
            pool.clone(),
            hub.clone(),
            origin,
            shutdown.clone(),
            &tracker,
        );
    }
    // Both listen before anything is written (a notification sent earlier reaches no one).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let listening: i64 = sqlx::query_scalar(
            "select count(*) from pg_stat_activity where query like 'LISTEN%duyan_documents%'",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        if listening >= 2 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "listeners never listened"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (first, second, shutdown)
}

#[sqlx::test(migrations = "./migrations")]
async fn a_change_through_one_process_reaches_the_peers_of_another(pool: PgPool) {
    let (first, second, shutdown) = two_processes(&pool).await;
    let id = new_doc_id();
    let mut a = TestPeer::join(&first, id).await;
    record(&mut a.doc, "两台服务器");
    a.sync("sync").await;
    let mut b = TestPeer::join(&second, id).await;
    b.sync("request").await;
    assert_eq!(b.doc.get_heads(), a.doc.get_heads());

    // A's edits reach B's peer, which sends nothing and never reconnects.
    for i in 0..3 {
        add_progress(&mut a.doc, &format!("甲方进展{i}"));
        a.sync("sync").await;
        hear_until(&mut b, &a.doc.get_heads()).await;
    }
    // And the other way round.
    add_progress(&mut b.doc, "乙方进展");
    b.sync("sync").await;
    hear_until(&mut a, &b.doc.get_heads()).await;
    let Ok(Record::Duban(item)) = Record::from_doc(&a.doc) else {
        panic!("not a duban item");
    };
    assert_eq!(item.progress.len(), 4);
    shutdown.cancel();
}

#[sqlx::test(migrations = "./migrations")]
async fn a_document_created_through_one_process_reaches_a_waiting_peer_of_another(pool: PgPool) {
    let (first, second, shutdown) = two_processes(&pool).await;
    let id = new_doc_id();
    // B asks first and is told it does not exist; it stays subscribed.
    let mut b = TestPeer::join(&second, id).await;
    let log = b.sync("request").await;
    assert!(matches!(&log[..], [Received::Message { kind, .. }] if kind == "doc-unavailable"));
    let mut a = TestPeer::join(&first, id).await;
    record(&mut a.doc, "后来创建");
    a.sync("sync").await;
    hear_until(&mut b, &a.doc.get_heads()).await;
    shutdown.cancel();
}
