//! The sync core driven in-process: a real `Session`, real Automerge documents on both ends,
//! and real PostgreSQL (`#[sqlx::test]` gives each test a fresh database) or the in-memory
//! store where a storage failure has to be injected. The wire-level interop with the real
//! JavaScript client is tested in `tests/js`.

use std::sync::Arc;
use std::time::Duration;

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, Automerge, ObjType, ROOT, ReadDoc};
use ciborium::Value;
use duyan::metrics::Metrics;
use duyan::storage::DocStore;
use duyan::storage::memory::MemoryStore;
use duyan::storage::postgres::PgStore;
use duyan::sync::SyncConfig;
use duyan::sync::access::OpenGate;
use duyan::sync::hub::{Hub, HubParts};
use duyan::sync::peer::{Outbox, Outgoing};
use duyan::sync::protocol::PeerMetadata;
use duyan::sync::session::{ServerIdentity, Session, SessionLimits};
use duyan_shared::DocumentId;
use sqlx::PgPool;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

fn hub(store: Arc<dyn DocStore>, idle: Duration) -> Hub {
    Hub::new(HubParts {
        store,
        gate: Arc::new(OpenGate),
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

fn new_doc_id() -> DocumentId {
    DocumentId::from_bytes(rand::random())
}

/// What the server sent, decoded.
#[derive(Debug)]
enum Received {
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
struct TestPeer {
    session: Session,
    outgoing: UnboundedReceiver<Outgoing>,
    doc: AutoCommit,
    state: sync::State,
    doc_id: DocumentId,
}

impl TestPeer {
    async fn join(hub: &Hub, doc_id: DocumentId) -> Self {
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
            session: Session::new(hub.clone(), outbox, identity, limits),
            outgoing,
            doc: AutoCommit::new(),
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
        })
    }

    /// Runs the sync protocol until the server acknowledges our heads, or has nothing more to
    /// say. Returns what was received, in order.
    async fn sync(&mut self, first_kind: &str) -> Vec<Received> {
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

fn record(doc: &mut AutoCommit, title: &str) {
    doc.put(ROOT, "type", "duban").unwrap();
    doc.put(ROOT, "title", title).unwrap();
    doc.put_object(ROOT, "progress", ObjType::List).unwrap();
}

fn add_progress(doc: &mut AutoCommit, text: &str) {
    let (_, list) = doc.get(ROOT, "progress").unwrap().unwrap();
    let len = doc.length(&list);
    let entry = doc.insert_object(&list, len, ObjType::Map).unwrap();
    doc.put(&entry, "text", text).unwrap();
    doc.commit();
}

async fn load_stored(store: &dyn DocStore, id: DocumentId) -> Automerge {
    let stored = store.load(id).await.unwrap().expect("document stored");
    let mut doc = Automerge::new();
    doc.load_incremental(&stored.snapshot).unwrap();
    for increment in stored.increments {
        doc.load_incremental(&increment.data).unwrap();
    }
    doc
}

#[sqlx::test(migrations = "./migrations")]
async fn a_document_written_by_one_peer_is_served_to_another(pool: PgPool) {
    let store = Arc::new(PgStore::new(pool));
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
    assert_eq!(
        b.doc.get(ROOT, "title").unwrap().unwrap().0.as_str(),
        Some("炼油厂区阀井污水整改")
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn an_unknown_document_is_unavailable(pool: PgPool) {
    let hub = hub(Arc::new(PgStore::new(pool)), Duration::from_secs(60));
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
    let store = Arc::new(PgStore::new(pool));
    let hub = hub(store.clone(), Duration::from_secs(60));
    let id = new_doc_id();
    let mut peer = TestPeer::join(&hub, id).await;
    record(&mut peer.doc, "月度会议督办事项");
    peer.doc.commit();
    peer.sync("sync").await;
    for i in 0..1000 {
        add_progress(&mut peer.doc, &format!("第{i}次反馈：整改推进中"));
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
    let store = Arc::new(PgStore::new(pool));
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
    let (_, list) = stored.get(ROOT, "progress").unwrap().unwrap();
    assert_eq!(stored.length(&list), 120);
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
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while hub.loaded() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(hub.loaded(), 0, "unloaded after the idle timeout");
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
