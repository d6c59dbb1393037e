//! One client connection as an actor: a task owns the WebSocket and the client's documents, takes
//! commands (add a document, apply a change, close) and reports what the server's messages did
//! to each document. The controller decides what counts as acknowledged or loaded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use automerge::sync::{Message, State, SyncDoc};
use automerge::{Automerge, ChangeHash};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as Frame;

use crate::wire::{self, FromServer};

/// Milliseconds since the epoch, as the JavaScript driver's `now()`, so times from both
/// languages compare.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

pub fn hex_heads(heads: &[ChangeHash]) -> Vec<String> {
    let mut out: Vec<String> = heads.iter().map(ToString::to_string).collect();
    out.sort();
    out
}

pub enum Command {
    /// Sync `doc` as `id`; `request` when it is empty (we are asking for it).
    Add {
        id: String,
        doc: Box<Automerge>,
        request: bool,
    },
    /// Apply change bytes (as `saveIncremental` gives them) to `id` and send them.
    Apply {
        id: String,
        change: Vec<u8>,
    },
    Close,
}

pub enum Event {
    Connected {
        storage_id: Option<String>,
    },
    /// After a message of the server's for `id`: our heads, and whether the server has them all.
    Synced {
        id: String,
        at: f64,
        heads: Vec<String>,
        acked: bool,
    },
    Unavailable {
        id: String,
        at: f64,
    },
    Closed {
        error: Option<String>,
    },
}

struct Slot {
    doc: Automerge,
    state: State,
    request: bool,
}

/// Counts of what went over the wire, for the report.
#[derive(Default, Clone, Copy)]
pub struct Traffic {
    pub frames_in: u64,
    pub frames_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

pub struct Handle {
    pub name: String,
    pub commands: mpsc::UnboundedSender<Command>,
    pub events: mpsc::UnboundedReceiver<Event>,
    pub traffic: Arc<Mutex<Traffic>>,
}

pub fn spawn(url: String, name: String) -> Handle {
    let (commands, command_rx) = mpsc::unbounded_channel();
    let (event_tx, events) = mpsc::unbounded_channel();
    let traffic = Arc::new(Mutex::new(Traffic::default()));
    tokio::spawn(run(
        url,
        name.clone(),
        command_rx,
        event_tx,
        traffic.clone(),
    ));
    Handle {
        name,
        commands,
        events,
        traffic,
    }
}

async fn run(
    url: String,
    name: String,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<Event>,
    shared: Arc<Mutex<Traffic>>,
) {
    let mut traffic = Traffic::default();
    let result = session(&url, &name, &mut commands, &events, &mut traffic, &shared).await;
    publish(&shared, traffic);
    let _ = events.send(Event::Closed {
        error: result.err(),
    });
}

fn publish(shared: &Mutex<Traffic>, traffic: Traffic) {
    if let Ok(mut slot) = shared.lock() {
        *slot = traffic;
    }
}

async fn session(
    url: &str,
    name: &str,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    events: &mpsc::UnboundedSender<Event>,
    traffic: &mut Traffic,
    shared: &Mutex<Traffic>,
) -> Result<(), String> {
    let (socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (mut sink, mut stream) = socket.split();
    let me = format!("native-{}-{name}", std::process::id());
    let out = |frame: Vec<u8>, traffic: &mut Traffic| {
        traffic.frames_out += 1;
        traffic.bytes_out += frame.len() as u64;
        Frame::Binary(frame.into())
    };
    sink.send(out(wire::join(&me), traffic))
        .await
        .map_err(|e| e.to_string())?;

    let mut server: Option<String> = None;
    let mut docs: HashMap<String, Slot> = HashMap::new();
    // Documents added before the server's `peer` message: sent once we know its id.
    let mut waiting: Vec<String> = Vec::new();
    loop {
        tokio::select! {
            command = commands.recv() => {
                let Some(command) = command else { return Ok(()) };
                let id = match command {
                    Command::Close => {
                        let _ = sink.close().await;
                        return Ok(());
                    }
                    Command::Add { id, doc, request } => {
                        docs.insert(id.clone(), Slot { doc: *doc, state: State::new(), request });
                        id
                    }
                    Command::Apply { id, change } => {
                        let slot = docs.get_mut(&id).ok_or("apply to an unknown document")?;
                        slot.doc.load_incremental(&change).map_err(|e| format!("apply: {e}"))?;
                        id
                    }
                };
                match &server {
                    None => waiting.push(id),
                    Some(server) => {
                        if let Some(frame) = next_message(&me, server, &id, &mut docs) {
                            sink.send(out(frame, traffic)).await.map_err(|e| e.to_string())?;
                        }
                    }
                }
            }
            frame = stream.next() => {
                let bytes = match frame {
                    None => return Err("closed by the server".into()),
                    Some(Err(e)) => return Err(e.to_string()),
                    Some(Ok(Frame::Binary(bytes))) => bytes,
                    Some(Ok(Frame::Close(_))) => return Err("closed by the server".into()),
                    Some(Ok(_)) => continue,
                };
                traffic.frames_in += 1;
                traffic.bytes_in += bytes.len() as u64;
                publish(shared, *traffic);
                match wire::decode(&bytes)? {
                    FromServer::Peer { server_id, storage_id } => {
                        let _ = events.send(Event::Connected { storage_id });
                        for id in std::mem::take(&mut waiting) {
                            if let Some(frame) = next_message(&me, &server_id, &id, &mut docs) {
                                sink.send(out(frame, traffic)).await.map_err(|e| e.to_string())?;
                            }
                        }
                        server = Some(server_id);
                    }
                    FromServer::Sync { document_id, data } => {
                        let Some(slot) = docs.get_mut(&document_id) else { continue };
                        let message = Message::decode(&data).map_err(|e| format!("sync message: {e}"))?;
                        slot.doc
                            .receive_sync_message(&mut slot.state, message)
                            .map_err(|e| format!("receive: {e}"))?;
                        slot.request = false;
                        let heads = slot.doc.get_heads();
                        let acked = slot.state.their_heads.as_deref() == Some(heads.as_slice());
                        let at = now();
                        let _ = events.send(Event::Synced { id: document_id.clone(), at, heads: hex_heads(&heads), acked });
                        if let Some(server) = &server
                            && let Some(frame) = next_message(&me, server, &document_id, &mut docs)
                        {
                            sink.send(out(frame, traffic)).await.map_err(|e| e.to_string())?;
                        }
                    }
                    FromServer::Unavailable { document_id } => {
                        let _ = events.send(Event::Unavailable { id: document_id, at: now() });
                    }
                    FromServer::Error(message) => return Err(format!("server error: {message}")),
                    FromServer::Other => {}
                }
            }
        }
    }
}

/// The next sync message for `id`, framed, if the sync state says there is one to send.
fn next_message(
    me: &str,
    server: &str,
    id: &str,
    docs: &mut HashMap<String, Slot>,
) -> Option<Vec<u8>> {
    let slot = docs.get_mut(id)?;
    let message = slot.doc.generate_sync_message(&mut slot.state)?;
    Some(wire::sync(slot.request, me, server, id, &message.encode()))
}
