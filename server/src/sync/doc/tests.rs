//! The ordering rules of the document core, step by step, with no database and no socket: the
//! core is fed commands and I/O results and what it asks for and sends is checked in order.

use std::sync::Arc;

use automerge::AutoCommit;
use automerge::sync::{self, SyncDoc};
use duyan_shared::DocumentId;
use duyan_shared::records::{Record, new_document};
use duyan_shared::rules::Role;
use duyan_shared::samples::duban_item;

use super::super::peer::{Outbox, Peer};
use super::super::review::Principal;
use super::DocCommand;
use super::core::{DocCore, Done, Effect, Io, Next, Send};
use crate::access::{People, Person};
use crate::metrics::Metrics;
use crate::storage::{Created, StorageError, StoredDoc};

/// u-li supervises (reads everything); u-zhang handles in a unit the sample item does not name.
struct Users;

impl People for Users {
    fn person(&self, user_id: &str) -> Option<Person> {
        let role = match user_id {
            "u-li" => Role::Supervisor,
            "u-zhang" => Role::Handler,
            _ => return None,
        };
        Some(Person {
            roles: vec![role],
            unit: Some("unit-x".to_owned()),
        })
    }
    fn unit_within(&self, unit: &str, ancestor: &str) -> bool {
        unit == ancestor
    }

    fn subtree(&self, unit: &str) -> Vec<String> {
        vec![unit.to_owned()]
    }
}

fn people() -> Arc<dyn People> {
    Arc::new(Users)
}

fn peer(conn: u64, user: &str) -> Arc<Peer> {
    let (outbox, _rx) = Outbox::new(1 << 20);
    let (unavailable, _) = tokio::sync::mpsc::unbounded_channel();
    Arc::new(Peer {
        conn,
        peer_id: format!("client-{conn}"),
        principal: Principal {
            peer_id: format!("client-{conn}"),
            user_id: user.into(),
            session_id: format!("session-{conn}").into(),
        },
        server_peer_id: "server".into(),
        outbox,
        metrics: Arc::new(Metrics::default()),
        unavailable,
    })
}

/// A client: its document and its sync state with the server.
struct Client {
    doc: AutoCommit,
    state: sync::State,
    peer: Arc<Peer>,
}

impl Client {
    fn new(conn: u64, user: &str) -> Self {
        Self {
            doc: new_document(),
            state: sync::State::new(),
            peer: peer(conn, user),
        }
    }

    /// The client's next message, decoded, if it has something to say.
    fn next(&mut self) -> Option<sync::Message> {
        self.doc.sync().generate_sync_message(&mut self.state)
    }

    fn command(&self, message: &sync::Message, is_request: bool) -> DocCommand {
        DocCommand::Sync {
            peer: self.peer.clone(),
            data: message.clone().encode(),
            is_request,
        }
    }

    /// Takes in the sync messages sent to this client.
    fn receive(&mut self, effects: &[Effect]) {
        for effect in effects.iter().filter(|e| e.peer.conn == self.peer.conn) {
            if let Send::Sync(data) = &effect.send {
                let message = sync::Message::decode(data).unwrap();
                self.doc
                    .sync()
                    .receive_sync_message(&mut self.state, message)
                    .unwrap();
            }
        }
    }

    /// Syncs with the core, every I/O succeeding, until the client's next message carries
    /// changes (returned, not sent) or it has nothing more to say.
    fn converse(&mut self, core: &mut DocCore, is_request: bool) -> Option<DocCommand> {
        for _ in 0..10 {
            let message = self.next()?;
            if !message.changes.is_empty() {
                return Some(self.command(&message, is_request));
            }
            let next = core.start(vec![self.command(&message, is_request)], people());
            finish(core, next);
            let effects = core.take_effects();
            self.receive(&effects);
        }
        panic!("the conversation did not settle");
    }
}

/// Runs the batch to its end, every I/O succeeding.
fn finish(core: &mut DocCore, mut next: Next) {
    let mut appended = 100;
    loop {
        let io = match next {
            Next::Io(io) => io,
            Next::Done => return,
            Next::Failed => panic!("the core failed"),
        };
        next = core.resume(match io {
            Io::BindActor { user, .. } => Done::Bound(Ok(user)),
            Io::Create { owner, .. } => Done::Created(Ok((Created::Yes, owner))),
            Io::Append(_) => {
                appended += 1;
                Done::Appended(Ok(appended))
            }
            Io::Project(view, _) => Done::Projected(view),
            other => panic!("unexpected I/O {other:?}"),
        });
    }
}

/// The sample 督办事项, created by u-li, written into `doc`.
fn create_record(doc: &mut AutoCommit, title: &str) {
    let mut item = duban_item();
    item.title = title.to_owned();
    // A new record holds no one else's entries (`rules::forged_authors`).
    item.progress.clear();
    item.instructions.clear();
    Record::from(item).write_to(doc).unwrap();
    doc.commit();
}

fn set_title(doc: &mut AutoCommit, title: &str) {
    let Record::Duban(mut item) = Record::from_doc(doc).unwrap() else {
        panic!("not a duban item");
    };
    item.title = title.to_owned();
    Record::from(item).write_to(doc).unwrap();
    doc.commit();
}

/// Who gets what: `(conn, kind)` for each effect.
fn sent(effects: &[Effect]) -> Vec<(u64, &'static str)> {
    effects
        .iter()
        .map(|e| {
            let kind = match &e.send {
                Send::Sync(_) => "sync",
                Send::Unavailable => "unavailable",
                Send::Fail(_) => "fail",
                Send::FromServer(_) => "refused",
                Send::Relay(_) => "relay",
            };
            (e.peer.conn, kind)
        })
        .collect()
}

fn id() -> DocumentId {
    DocumentId::from_bytes([7; 16])
}

/// A stored document holding `doc`, as storage would hand it back.
fn stored(doc: &mut AutoCommit) -> StoredDoc {
    StoredDoc {
        snapshot: doc.save(),
        generation: 1,
        increments: Vec::new(),
        owner: Some("u-li".into()),
    }
}

/// Feeds the core until it asks for I/O or finishes, checking what it sends on the way.
fn expect_io(next: Next) -> Io {
    match next {
        Next::Io(io) => io,
        other => panic!("expected I/O, got {other:?}"),
    }
}

#[test]
fn a_new_document_is_bound_claimed_and_created_before_anyone_hears_of_it() {
    let mut core = DocCore::new(id(), None, true).unwrap();
    let mut author = Client::new(1, "u-li");
    create_record(&mut author.doc, "first");
    let change = author.converse(&mut core, false).expect("a change to send");

    let io = expect_io(core.start(vec![change], people()));
    assert!(matches!(&io, Io::BindActor { user, .. } if &**user == "u-li"));
    assert!(
        core.take_effects().is_empty(),
        "nothing is sent before the actor is bound"
    );

    let io = expect_io(core.resume(Done::Bound(Ok("u-li".into()))));
    let Io::Create { snapshot, owner } = io else {
        panic!("expected the first snapshot, got {io:?}");
    };
    assert!(!snapshot.is_empty());
    assert_eq!(owner.as_deref(), Some("u-li"), "claimed with the snapshot");
    assert!(
        core.take_effects().is_empty(),
        "nothing is sent before the write"
    );

    // Stored: the author's answer still waits for the projection.
    let io = expect_io(core.resume(Done::Created(Ok((Created::Yes, owner)))));
    let Io::Project(view, _) = io else {
        panic!("expected the projection, got {io:?}");
    };
    assert!(core.take_effects().is_empty());

    assert!(matches!(core.resume(Done::Projected(view)), Next::Done));
    let effects = core.take_effects();
    assert_eq!(sent(&effects), vec![(1, "sync")]);
    author.receive(&effects);
    assert_eq!(
        author.state.their_heads.clone().unwrap_or_default(),
        author.doc.get_heads(),
        "the acknowledgement names the stored change"
    );
}

/// A core holding the stored sample record, a reader (conn 2) synced with it, and an author
/// (conn 1) holding the same record plus `title`, ready to send that change.
fn two_peers(title: &str) -> (DocCore, AutoCommit, Client, DocCommand) {
    let mut original = new_document();
    create_record(&mut original, "before");
    let mut core = DocCore::new(id(), Some(stored(&mut original)), true).unwrap();
    let mut reader = Client::new(2, "u-li");
    assert!(reader.converse(&mut core, true).is_none());
    assert_eq!(reader.doc.get_heads(), original.get_heads());
    let mut author = Client::new(1, "u-li");
    author.doc = original.fork();
    let change = {
        assert!(author.converse(&mut core, false).is_none());
        set_title(&mut author.doc, title);
        author.converse(&mut core, false).expect("a change to send")
    };
    (core, original, reader, change)
}

#[test]
fn others_hear_of_a_change_after_the_write_and_the_author_after_the_projection() {
    let (mut core, _, mut reader, change) = two_peers("after");
    let io = expect_io(core.start(vec![change], people()));
    assert!(matches!(io, Io::BindActor { .. }));
    let io = expect_io(core.resume(Done::Bound(Ok("u-li".into()))));
    assert!(matches!(io, Io::Append(_)), "got {io:?}");
    assert!(
        core.take_effects().is_empty(),
        "no peer hears of a change before it is stored"
    );

    let io = expect_io(core.resume(Done::Appended(Ok(41))));
    let effects = core.take_effects();
    assert_eq!(sent(&effects), vec![(2, "sync")], "the other peer first");
    reader.receive(&effects);
    let Io::Project(view, _) = io else {
        panic!("expected the projection, got {io:?}");
    };
    assert!(matches!(core.resume(Done::Projected(view)), Next::Done));
    assert_eq!(
        sent(&core.take_effects()),
        vec![(1, "sync")],
        "then the author"
    );
}

#[test]
fn a_failed_write_is_never_acknowledged() {
    let (mut core, _, _, change) = two_peers("lost");
    expect_io(core.start(vec![change], people()));
    let io = expect_io(core.resume(Done::Bound(Ok("u-li".into()))));
    assert!(matches!(io, Io::Append(_)));
    let next = core.resume(Done::Appended(Err(StorageError::Injected)));
    assert!(matches!(next, Next::Failed));
    let mut told = sent(&core.take_effects());
    told.sort_unstable();
    assert_eq!(told, vec![(1, "fail"), (2, "fail")]);
}

#[test]
fn a_change_by_another_users_actor_is_refused_and_never_written() {
    let (mut core, _, _, change) = two_peers("forged");
    expect_io(core.start(vec![change], people()));
    // The actor belongs to someone else: nothing is applied, nothing written.
    assert!(matches!(
        core.resume(Done::Bound(Ok("u-zhang".into()))),
        Next::Done
    ));
    assert_eq!(
        sent(&core.take_effects()),
        vec![(1, "refused"), (1, "unavailable")]
    );
}

#[test]
fn a_change_another_process_stored_reaches_the_peers_without_a_write() {
    let (mut core, mut original, mut reader, _) = two_peers("unsent");
    // Another process appended increment 9: the core reads exactly that, and the reader hears
    // of it; nothing is written again and nothing projected (the other process did).
    let mut elsewhere = original.fork();
    set_title(&mut elsewhere, "from elsewhere");
    let increment = elsewhere.save_after(&original.get_heads());
    let remote = || DocCommand::Remote { increment: Some(9) };
    let io = expect_io(core.start(vec![remote()], people()));
    assert!(matches!(io, Io::LoadIncrement(9)));
    assert!(matches!(
        core.resume(Done::LoadedIncrement(Ok(Some(increment)))),
        Next::Done
    ));
    let effects = core.take_effects();
    assert!(sent(&effects).contains(&(2, "sync")));
    reader.receive(&effects);
    assert_eq!(reader.doc.get_heads(), elsewhere.get_heads());

    // The same increment announced again is merged already: nothing is read.
    assert!(matches!(core.start(vec![remote()], people()), Next::Done));
}

#[test]
fn an_increment_compacted_away_meanwhile_is_read_with_everything() {
    let mut original = new_document();
    create_record(&mut original, "before");
    let mut core = DocCore::new(id(), Some(stored(&mut original)), true).unwrap();
    let remote = DocCommand::Remote { increment: Some(3) };
    let io = expect_io(core.start(vec![remote], people()));
    assert!(matches!(io, Io::LoadIncrement(3)));
    let io = expect_io(core.resume(Done::LoadedIncrement(Ok(None))));
    assert!(matches!(io, Io::Load));
    let mut elsewhere = original.fork();
    set_title(&mut elsewhere, "compacted elsewhere");
    let mut whole = stored(&mut elsewhere);
    whole.generation = 2;
    assert!(matches!(
        core.resume(Done::Loaded(Ok(Some(whole)))),
        Next::Done
    ));
    // The next write appends only what came after the merged state.
    let mut author = Client::new(1, "u-li");
    author.doc = elsewhere.fork();
    assert!(author.converse(&mut core, false).is_none());
    set_title(&mut author.doc, "mine");
    let change = author.converse(&mut core, false).expect("a change");
    expect_io(core.start(vec![change], people()));
    let io = expect_io(core.resume(Done::Bound(Ok("u-li".into()))));
    let Io::Append(increment) = io else {
        panic!("expected an append, got {io:?}");
    };
    assert_eq!(increment, author.doc.save_after(&elsewhere.get_heads()));
}
