//! The worker's commands, with the arguments and replies of `bench/lib/client-worker.mjs`
//! (see there), except that `create` and `edit` receive the documents and changes as bytes
//! (`bench/lib/native.mjs` makes them with the same record generator).

use std::collections::HashMap;
use std::time::Duration;

use automerge::Automerge;
use base64::Engine;
use serde_json::{Value, json};

use crate::client::{self, Command, Event, Handle, now};

const URL_PREFIX: &str = "automerge:";

struct Pending {
    name: String,
    docs: Vec<(String, Automerge)>,
}

#[derive(Default)]
pub struct Worker {
    pending: Vec<Pending>,
    clients: Vec<Handle>,
    /// Connections that ended in an error: counted like a Node worker's uncaught errors.
    errors: Vec<String>,
}

fn bytes(value: &Value) -> Result<Vec<u8>, String> {
    let text = value.as_str().ok_or("expected base64 bytes")?;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| e.to_string())
}

fn doc_id(url: &str) -> String {
    url.strip_prefix(URL_PREFIX).unwrap_or(url).to_owned()
}

/// Process CPU seconds (user + system), from /proc: what the driver adds up as client CPU.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn stats(handle: &Handle, storage_id: &Option<String>, connects: u32, disconnects: u32) -> Value {
    let t = handle.traffic.lock().map(|t| *t).unwrap_or_default();
    json!({
        "name": handle.name,
        "connects": connects,
        "disconnects": disconnects,
        "serverStorageId": storage_id,
        "serverEphemeral": false,
        "traffic": { "in": { "frames": t.frames_in }, "out": { "frames": t.frames_out },
                     "dataBytesIn": t.bytes_in, "dataBytesOut": t.bytes_out },
    })
}

/// Waits for the next event of `handle` until `deadline` (epoch ms); None at the deadline.
async fn next_event(handle: &mut Handle, deadline: f64) -> Option<Event> {
    let wait = Duration::from_secs_f64(((deadline - now()) / 1000.0).max(0.0));
    tokio::time::timeout(wait, handle.events.recv())
        .await
        .ok()
        .flatten()
}

impl Worker {
    pub async fn run(&mut self, command: Value) -> Value {
        let id = command.get("id").cloned().unwrap_or(Value::Null);
        let cpu0 = cpu_seconds();
        let result = match command.get("cmd").and_then(Value::as_str) {
            Some("create") => self.create(&command),
            Some("connect") => self.connect(&command).await,
            Some("fetch") => self.fetch(&command).await,
            Some("edit") => self.edit(&command).await,
            Some("disconnect") => Ok(self.disconnect()),
            other => Err(format!("unknown command {other:?}")),
        };
        let mut reply = match result {
            Ok(Value::Object(map)) => Value::Object(map),
            Ok(_) => json!({}),
            Err(error) => json!({ "ok": false, "error": error }),
        };
        let map = reply.as_object_mut().expect("an object");
        map.entry("ok").or_insert(Value::Bool(true));
        map.insert("id".into(), id);
        map.insert("cpuS".into(), json!(cpu_seconds() - cpu0));
        let samples: Vec<&String> = self.errors.iter().take(5).collect();
        map.insert(
            "errors".into(),
            json!({ "count": self.errors.len(), "samples": samples }),
        );
        reply
    }

    /// `{clients: [{name, docs: [{id, bytes}]}]}`: loads the documents, not yet connected.
    fn create(&mut self, command: &Value) -> Result<Value, String> {
        for spec in command["clients"].as_array().ok_or("clients")? {
            let mut docs = Vec::new();
            for d in spec["docs"].as_array().ok_or("docs")? {
                let doc = Automerge::load(&bytes(&d["bytes"])?).map_err(|e| e.to_string())?;
                docs.push((doc_id(d["id"].as_str().ok_or("id")?), doc));
            }
            let name = spec["name"].as_str().unwrap_or("client").to_owned();
            self.pending.push(Pending { name, docs });
        }
        Ok(json!({}))
    }

    /// Connects every created client at once; waits until the server has every document.
    async fn connect(&mut self, command: &Value) -> Result<Value, String> {
        let url = command["url"].as_str().ok_or("url")?.to_owned();
        let deadline = command["deadline"].as_f64().ok_or("deadline")?;
        let received_at = now();
        let mut started = Vec::new();
        for pending in std::mem::take(&mut self.pending) {
            let handle = client::spawn(url.clone(), pending.name);
            let ids: Vec<String> = pending.docs.iter().map(|(id, _)| id.clone()).collect();
            for (id, doc) in pending.docs {
                let _ = handle.commands.send(Command::Add {
                    id,
                    doc: Box::new(doc),
                    request: false,
                });
            }
            started.push((handle, ids));
        }
        let waits = started.into_iter().map(|(mut handle, ids)| async move {
            let mut acked: HashMap<String, f64> = HashMap::new();
            let (mut storage, mut connects, mut first_connect) = (None, 0, None);
            let mut disconnects = 0;
            let mut close_error = None;
            while acked.len() < ids.len() {
                match next_event(&mut handle, deadline).await {
                    None => break,
                    Some(Event::Connected { storage_id }) => {
                        storage = storage_id;
                        connects += 1;
                        first_connect.get_or_insert(now());
                    }
                    Some(Event::Synced {
                        id,
                        at,
                        acked: true,
                        ..
                    }) => {
                        acked.entry(id).or_insert(at);
                    }
                    Some(Event::Closed { error }) => {
                        disconnects += 1;
                        close_error = error;
                        break;
                    }
                    Some(_) => {}
                }
            }
            let last = acked
                .values()
                .cloned()
                .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
            let mut reply = stats(&handle, &storage, connects, disconnects);
            let unacked: Vec<String> = ids
                .iter()
                .filter(|id| !acked.contains_key(*id))
                .map(|id| format!("{URL_PREFIX}{id}"))
                .collect();
            let extra = json!({
                "firstConnectAt": first_connect,
                "acked": acked.len(),
                "total": ids.len(),
                "doneAt": if unacked.is_empty() { last } else { None },
                "lastAckAt": last,
                "unacked": unacked,
            });
            merge(&mut reply, extra);
            (handle, reply, close_error)
        });
        let done = futures_util::future::join_all(waits).await;
        let mut per_client = Vec::new();
        for (handle, reply, error) in done {
            self.errors.extend(error);
            self.clients.push(handle);
            per_client.push(reply);
        }
        Ok(json!({ "receivedAt": received_at, "perClient": per_client }))
    }

    /// A fresh client loads `docs` (`[{url, heads}]`), `chunk` at a time.
    async fn fetch(&mut self, command: &Value) -> Result<Value, String> {
        let url = command["url"].as_str().ok_or("url")?.to_owned();
        let deadline = command["deadline"].as_f64().ok_or("deadline")?;
        let docs = command["docs"].as_array().ok_or("docs")?;
        let chunk = command["chunk"]
            .as_u64()
            .map_or(docs.len(), |c| c.max(1) as usize)
            .max(1);
        let mut handle = client::spawn(url, format!("fetch-{}", std::process::id()));
        let storage = loop {
            match next_event(&mut handle, deadline).await {
                Some(Event::Connected { storage_id }) => break storage_id,
                Some(_) => {}
                None => {
                    let mut reply = stats(&handle, &None, 0, 0);
                    merge(
                        &mut reply,
                        json!({ "connected": false, "loaded": 0, "unavailable": 0, "failed": 0, "timedOut": docs.len() }),
                    );
                    self.clients.push(handle);
                    return Ok(reply);
                }
            }
        };
        let started_at = now();
        let (mut loaded, mut mismatched, mut unavailable, mut timed_out) = (0, 0, 0, 0);
        let (mut last_at, mut settled_at) = (started_at, started_at);
        for part in docs.chunks(chunk) {
            let mut expected: HashMap<String, Option<Vec<String>>> = HashMap::new();
            for d in part {
                let id = doc_id(d["url"].as_str().ok_or("url")?);
                let heads = d["heads"].as_array().map(|h| {
                    let mut h: Vec<String> = h
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect();
                    h.sort();
                    h
                });
                let _ = handle.commands.send(Command::Add {
                    id: id.clone(),
                    doc: Box::default(),
                    request: true,
                });
                expected.insert(id, heads);
            }
            while !expected.is_empty() {
                match next_event(&mut handle, deadline).await {
                    None | Some(Event::Closed { .. }) => break,
                    Some(Event::Synced {
                        id,
                        at,
                        heads,
                        acked,
                    }) if acked && !heads.is_empty() => {
                        if let Some(want) = expected.remove(&id) {
                            loaded += 1;
                            if want.is_some_and(|w| w != heads) {
                                mismatched += 1;
                            }
                            last_at = last_at.max(at);
                            settled_at = settled_at.max(at);
                        }
                    }
                    Some(Event::Unavailable { id, at }) => {
                        if expected.remove(&id).is_some() {
                            unavailable += 1;
                            settled_at = settled_at.max(at);
                        }
                    }
                    Some(_) => {}
                }
            }
            timed_out += expected.len();
        }
        let mut reply = stats(&handle, &storage, 1, 0);
        merge(
            &mut reply,
            json!({
                "connected": true, "startedAt": started_at, "lastAt": last_at, "settledAt": settled_at,
                "loaded": loaded, "mismatched": mismatched, "unavailable": unavailable, "failed": 0,
                "timedOut": timed_out, "failures": [],
            }),
        );
        self.clients.push(handle);
        Ok(reply)
    }

    /// Edit latency between two clients: A applies each precomputed change, B sees it.
    /// `{url, urlB?, doc: {id, bytes}, changes: [{bytes, heads}], warmup, edits, gapMs, perEditMs, deadline}`.
    async fn edit(&mut self, command: &Value) -> Result<Value, String> {
        let url = command["url"].as_str().ok_or("url")?.to_owned();
        let deadline = command["deadline"].as_f64().ok_or("deadline")?;
        let id = doc_id(command["doc"]["id"].as_str().ok_or("doc.id")?);
        let doc = Automerge::load(&bytes(&command["doc"]["bytes"])?).map_err(|e| e.to_string())?;
        let changes = command["changes"].as_array().ok_or("changes")?;
        let warmup = command["warmup"].as_u64().unwrap_or(0) as usize;
        let gap = Duration::from_millis(command["gapMs"].as_u64().unwrap_or(200));
        let per_edit = command["perEditMs"].as_f64().unwrap_or(5000.0);

        let mut a = client::spawn(url.clone(), "editor-a".into());
        // (e): B on another server process when `urlB` is given.
        let url_b = command["urlB"]
            .as_str()
            .map_or_else(|| url.clone(), str::to_owned);
        let mut b = client::spawn(url_b, "editor-b".into());
        let _ = a.commands.send(Command::Add {
            id: id.clone(),
            doc: Box::new(doc),
            request: false,
        });
        let seeded = wait_for(&mut a, deadline, |e| {
            matches!(e, Event::Synced { acked: true, .. })
        })
        .await
        .is_some();
        let _ = b.commands.send(Command::Add {
            id: id.clone(),
            doc: Box::default(),
            request: true,
        });
        let found = seeded
            && wait_for(
                &mut b,
                deadline,
                |e| matches!(e, Event::Synced { acked: true, heads, .. } if !heads.is_empty()),
            )
            .await
            .is_some();
        let mut latencies = Vec::new();
        let mut timeouts = 0;
        if found {
            for (seq, change) in changes.iter().enumerate() {
                if now() >= deadline {
                    break;
                }
                let mut want: Vec<String> = change["heads"]
                    .as_array()
                    .ok_or("heads")?
                    .iter()
                    .filter_map(|h| h.as_str().map(str::to_owned))
                    .collect();
                want.sort();
                let t0 = now();
                let _ = a.commands.send(Command::Apply {
                    id: id.clone(),
                    change: bytes(&change["bytes"])?,
                });
                let seen = wait_for(
                    &mut b,
                    (t0 + per_edit).min(deadline),
                    |e| matches!(e, Event::Synced { heads, .. } if *heads == want),
                )
                .await;
                tokio::time::sleep(gap).await;
                if seq < warmup {
                    continue;
                }
                match seen {
                    Some(at) => latencies.push(at - t0),
                    None => timeouts += 1,
                }
            }
        }
        let reply = json!({
            "connected": true, "seeded": seeded, "found": found, "latencies": latencies,
            "timeouts": timeouts, "a": stats(&a, &None, 1, 0), "b": stats(&b, &None, 1, 0),
        });
        self.clients.push(a);
        self.clients.push(b);
        Ok(reply)
    }

    fn disconnect(&mut self) -> Value {
        let clients: Vec<Value> = self.clients.iter().map(|c| stats(c, &None, 1, 1)).collect();
        for client in self.clients.drain(..) {
            let _ = client.commands.send(Command::Close);
        }
        json!({ "clients": clients })
    }
}

/// The time of the first event of `handle` that `wanted` accepts, or None at the deadline.
async fn wait_for(
    handle: &mut Handle,
    deadline: f64,
    wanted: impl Fn(&Event) -> bool,
) -> Option<f64> {
    loop {
        let event = next_event(handle, deadline).await?;
        if let Event::Closed { .. } = event {
            return None;
        }
        if wanted(&event) {
            return Some(match event {
                Event::Synced { at, .. } | Event::Unavailable { at, .. } => at,
                _ => now(),
            });
        }
    }
}

fn merge(into: &mut Value, extra: Value) {
    if let (Some(into), Value::Object(extra)) = (into.as_object_mut(), extra) {
        into.extend(extra);
    }
}
