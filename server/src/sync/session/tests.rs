//! The window of requests, against real document tasks on in-memory storage.

use std::sync::Arc;
use std::time::Duration;

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use ciborium::Value;
use duyan_shared::DocumentId;
use duyan_shared::rules::Role;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::*;
use crate::access::{People, Person};
use crate::metrics::Metrics;
use crate::storage::DocStore;
use crate::storage::memory::MemoryStore;
use crate::sync::SyncConfig;
use crate::sync::hub::HubParts;
use crate::sync::peer::Outgoing;
use crate::sync::protocol::PeerMetadata;

/// Everyone supervises, and so reads every document.
struct Supervisors;

impl People for Supervisors {
    fn person(&self, _: &str) -> Option<Person> {
        Some(Person {
            roles: vec![Role::Supervisor],
            unit: None,
        })
    }
    fn unit_within(&self, unit: &str, ancestor: &str) -> bool {
        unit == ancestor
    }

    fn subtree(&self, unit: &str) -> Vec<String> {
        vec![unit.to_owned()]
    }
}

fn hub(store: Arc<MemoryStore>, request_window: usize, request_ack_timeout: Duration) -> Hub {
    let people: Arc<dyn People> = Arc::new(Supervisors);
    let (_, people) = watch::channel(people);
    Hub::new(HubParts {
        store,
        projector: None,
        people,
        server_peer_id: "server".into(),
        config: SyncConfig {
            request_window,
            request_ack_timeout,
            ..SyncConfig::default()
        },
        metrics: Arc::new(Metrics::default()),
        tracker: TaskTracker::new(),
        shutdown: CancellationToken::new(),
    })
}

fn frame(kind: &str, doc: Option<DocumentId>, data: Option<Vec<u8>>) -> Vec<u8> {
    let mut fields = vec![
        (Value::Text("type".into()), Value::Text(kind.into())),
        (Value::Text("senderId".into()), Value::Text("client".into())),
        (
            Value::Text("supportedProtocolVersions".into()),
            Value::Array(vec![Value::Text("1".into())]),
        ),
    ];
    if let Some(doc) = doc {
        fields.push((
            Value::Text("documentId".into()),
            Value::Text(doc.to_string()),
        ));
    }
    if let Some(data) = data {
        fields.push((Value::Text("data".into()), Value::Bytes(data)));
    }
    let mut out = Vec::new();
    ciborium::into_writer(&Value::Map(fields), &mut out).unwrap();
    out
}

/// The next message the session sent, as (type, document id, data); `None` if nothing comes.
async fn next(
    outgoing: &mut mpsc::UnboundedReceiver<Outgoing>,
) -> Option<(String, String, Vec<u8>)> {
    let item = tokio::time::timeout(Duration::from_millis(300), outgoing.recv())
        .await
        .ok()??;
    let Outgoing::Frame(bytes) = item else {
        panic!("unexpected {item:?}");
    };
    let Value::Map(fields) = ciborium::from_reader(bytes.as_slice()).unwrap() else {
        panic!("not a map");
    };
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k.as_text() == Some(name))
            .map(|(_, v)| v.clone())
    };
    Some((
        get("type").unwrap().into_text().unwrap(),
        get("documentId")
            .and_then(|v| v.into_text().ok())
            .unwrap_or_default(),
        get("data")
            .and_then(|v| v.into_bytes().ok())
            .unwrap_or_default(),
    ))
}

/// A store holding `count` small documents, and their ids.
async fn stored(count: usize) -> (Arc<MemoryStore>, Vec<DocumentId>) {
    let store = Arc::new(MemoryStore::default());
    let mut ids = Vec::new();
    for _ in 0..count {
        let id = DocumentId::from_bytes(rand::random());
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "title", "t").unwrap();
        store.create(id, doc.save()).await.unwrap();
        ids.push(id);
    }
    (store, ids)
}

/// A session of a signed-in supervisor that has joined, and what it sends.
async fn joined(hub: Hub) -> (Session, mpsc::UnboundedReceiver<Outgoing>) {
    let (outbox, mut outgoing) = Outbox::new(1 << 20);
    let identity = ServerIdentity {
        peer_id: "server".into(),
        metadata: Arc::new(PeerMetadata::default()),
    };
    let limits = SessionLimits {
        max_message_bytes: 1 << 20,
        messages_per_second: 100_000,
    };
    let user = SignedIn {
        user_id: "u-li".into(),
        session_id: "s-li".into(),
    };
    let mut session = Session::new(hub, user, outbox, identity, limits);
    session.receive(&frame("join", None, None)).await.unwrap();
    assert_eq!(next(&mut outgoing).await.unwrap().0, "peer");
    (session, outgoing)
}

#[tokio::test]
async fn requests_beyond_the_window_wait_for_acknowledgements() {
    let (store, stored) = stored(3).await;
    let missing = [
        DocumentId::from_bytes(rand::random()),
        DocumentId::from_bytes(rand::random()),
    ];
    let (mut session, mut outgoing) = joined(hub(store, 2, Duration::from_secs(3600))).await;

    // A client that has nothing asks for five documents at once; two do not exist.
    let order = [stored[0], missing[0], stored[1], missing[1], stored[2]];
    let mut clients: Vec<(AutoCommit, sync::State)> = Vec::new();
    for id in order {
        let mut doc = AutoCommit::new();
        let mut state = sync::State::new();
        let request = doc.sync().generate_sync_message(&mut state).unwrap();
        session
            .receive(&frame("request", Some(id), Some(request.encode())))
            .await
            .unwrap();
        clients.push((doc, state));
    }
    let answered = |kind: &str, id: DocumentId| (kind.to_owned(), id.to_string());

    // Two places: the first document, and the first missing one.
    let first = next(&mut outgoing).await.unwrap();
    let second = next(&mut outgoing).await.unwrap();
    let mut got = vec![(first.0.clone(), first.1.clone()), (second.0, second.1)];
    got.sort();
    let mut want = vec![
        answered("doc-unavailable", missing[0]),
        answered("sync", stored[0]),
    ];
    want.sort();
    assert_eq!(got, want);
    assert!(
        next(&mut outgoing).await.is_none(),
        "only two answers in the window"
    );

    // `doc-unavailable` needs no acknowledgement: its place goes to the next request.
    session.requests_may_go_on().await;
    session.release_held().await;
    let third = next(&mut outgoing).await.unwrap();
    assert_eq!((third.0, third.1), answered("sync", stored[1]));
    assert!(next(&mut outgoing).await.is_none());

    // The client acknowledges the first document with its reply, which frees a place.
    let answer = if first.0 == "sync" { first.2 } else { second.2 };
    let (doc, state) = &mut clients[0];
    doc.sync()
        .receive_sync_message(state, sync::Message::decode(&answer).unwrap())
        .unwrap();
    let reply = doc.sync().generate_sync_message(state).unwrap();
    session
        .receive(&frame("sync", Some(stored[0]), Some(reply.encode())))
        .await
        .unwrap();
    let fourth = next(&mut outgoing).await.unwrap();
    assert_eq!(
        (fourth.0, fourth.1),
        answered("doc-unavailable", missing[1])
    );
    session.requests_may_go_on().await;
    session.release_held().await;
    let fifth = next(&mut outgoing).await.unwrap();
    assert_eq!((fifth.0, fifth.1), answered("sync", stored[2]));
    assert!(
        next(&mut outgoing).await.is_none(),
        "every request answered once"
    );
}

#[tokio::test]
async fn an_answer_never_acknowledged_stops_counting_after_a_while() {
    let (store, ids) = stored(2).await;
    let (mut session, mut outgoing) = joined(hub(store, 1, Duration::from_millis(100))).await;
    for id in &ids {
        let request = AutoCommit::new()
            .sync()
            .generate_sync_message(&mut sync::State::new())
            .unwrap();
        session
            .receive(&frame("request", Some(*id), Some(request.encode())))
            .await
            .unwrap();
    }
    assert_eq!(next(&mut outgoing).await.unwrap().1, ids[0].to_string());
    assert!(next(&mut outgoing).await.is_none());
    // The client never replies; the held request goes on once the first stops counting.
    session.requests_may_go_on().await;
    session.release_held().await;
    assert_eq!(next(&mut outgoing).await.unwrap().1, ids[1].to_string());
}
