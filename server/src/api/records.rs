//! Per-record endpoints: one record with its conflicts, its history (痕迹管理), and actor
//! registration.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use automerge::{
    ActorId, Automerge, Change, ObjType, Patch, PatchAction, Prop, ROOT, ReadDoc, ScalarValue,
    Value,
};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, put};
use duyan_shared::DocumentId;
use serde::Serialize;

use super::ApiError;
use crate::access::{self, View};
use crate::app::AppState;
use crate::auth::CurrentUser;

/// Changes listed at most, newest kept: a record's whole life fits easily; a document
/// someone flooded with changes does not make the server walk all of them.
const MAX_CHANGES: usize = 5_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/records/{id}", get(record))
        .route("/records/{id}/history", get(history))
        .route("/actors/{actor}", put(register_actor))
}

/// Loads a stored document the caller may read; 404 otherwise, as for one that does not exist.
/// The documents and the dossier (`api::documents`) read records through this too.
pub(crate) async fn readable(
    state: &AppState,
    caller: &CurrentUser,
    id: &str,
) -> Result<(DocumentId, Automerge, View), ApiError> {
    let id: DocumentId = id.parse().map_err(|_| ApiError::not_found())?;
    let stored = state
        .hub
        .store()
        .load(id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(ApiError::not_found)?;
    let owner = stored.owner.clone().map(Arc::from);
    let (doc, view) = tokio::task::spawn_blocking(move || {
        let mut doc = Automerge::new();
        // A damaged chunk is skipped, as the sync layer does: the rest stays readable.
        let _ = doc.load_incremental(&stored.snapshot);
        for increment in &stored.increments {
            let _ = doc.load_incremental(&increment.data);
        }
        let view = View::of(&doc, owner);
        (doc, view)
    })
    .await?;
    let directory = state.directory.current();
    if !access::may_read(&*directory, &caller.user.id, &view.readers()) {
        return Err(ApiError::not_found());
    }
    Ok((id, doc, view))
}

#[derive(Serialize)]
struct RecordSummary {
    id: String,
    #[serde(rename = "type")]
    kind: Option<&'static str>,
    title: Option<String>,
    status: Option<&'static str>,
    /// Why the document cannot be read as a record, if it cannot.
    damaged: Option<String>,
    /// Ids of progress entries dated after the item was closed (e.g. reported offline and
    /// synced late): kept, and to be shown marked as late.
    late_progress: Vec<String>,
    /// Fields where concurrent edits left several values (automerge keeps them all and shows
    /// one): the app asks a person to pick, and writing the chosen value resolves it.
    conflicts: Vec<Conflict>,
}

#[derive(Serialize)]
struct Conflict {
    /// Dotted path from the root, e.g. `deadline` or `evaluation.score`.
    field: String,
    /// Every value, the one automerge shows first.
    values: Vec<serde_json::Value>,
}

/// `GET /api/records/{id}`: the record's kind, title and status, and its conflicts.
async fn record(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let (id, doc, view) = readable(&state, &caller, &id).await?;
    let conflicts = tokio::task::spawn_blocking(move || {
        let mut found = Vec::new();
        conflicts_in(&doc, &ROOT, "", 0, &mut found);
        found
    })
    .await?;
    let late_progress = match &view.content {
        access::Content::Record(duyan_shared::Record::Duban(item)) => {
            duyan_shared::derived::progress_after_closing(item)
                .map(|p| p.id.clone())
                .collect()
        }
        _ => Vec::new(),
    };
    let (kind, title, status, damaged) = match &view.content {
        access::Content::Record(record) => {
            let title = match record {
                duyan_shared::Record::Duban(item) => item.title.clone(),
                duyan_shared::Record::Research(research) => research.title.clone(),
                duyan_shared::Record::Meeting(meeting) => meeting.title.clone(),
            };
            (
                Some(record.kind().as_str()),
                Some(title),
                Some(record.status().as_str()),
                None,
            )
        }
        access::Content::Damaged(reason) => (None, None, None, Some(reason.clone())),
        access::Content::Absent | access::Content::Empty => (None, None, None, None),
    };
    Ok(axum::Json(RecordSummary {
        id: id.to_string(),
        kind,
        title,
        status,
        damaged,
        late_progress,
        conflicts,
    }))
}

/// Collects scalar conflicts in the maps of `obj` (entries of lists are maps too), to a depth
/// that covers every field of a record and of its entries.
fn conflicts_in(
    doc: &Automerge,
    obj: &automerge::ObjId,
    path: &str,
    depth: usize,
    found: &mut Vec<Conflict>,
) {
    const MAX_DEPTH: usize = 4;
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(kind) = doc.object_type(obj) else {
        return;
    };
    let children: Vec<(String, Prop)> = match kind {
        ObjType::Map | ObjType::Table => doc.keys(obj).map(|k| (k.clone(), Prop::Map(k))).collect(),
        ObjType::List => (0..doc.length(obj))
            .map(|i| (i.to_string(), Prop::Seq(i)))
            .collect(),
        ObjType::Text => return,
    };
    for (name, prop) in children {
        let field = if path.is_empty() {
            name
        } else {
            format!("{path}.{name}")
        };
        let Ok(values) = doc.get_all(obj, prop.clone()) else {
            continue;
        };
        if values.len() > 1 {
            found.push(Conflict {
                field: field.clone(),
                values: values.iter().map(|(value, _)| json_of(value)).collect(),
            });
        }
        if let Ok(Some((Value::Object(_), child))) = doc.get(obj, prop) {
            conflicts_in(doc, &child, &field, depth + 1, found);
        }
    }
}

fn json_of(value: &Value<'_>) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Object(kind) => J::String(format!("<{kind:?}>")),
        Value::Scalar(scalar) => match scalar.as_ref() {
            ScalarValue::Str(s) => J::String(s.to_string()),
            ScalarValue::Int(i) | ScalarValue::Timestamp(i) => J::from(*i),
            ScalarValue::Uint(u) => J::from(*u),
            ScalarValue::F64(f) => J::from(*f),
            ScalarValue::Boolean(b) => J::Bool(*b),
            ScalarValue::Null => J::Null,
            other => J::String(other.to_string()),
        },
    }
}

#[derive(Serialize)]
pub(crate) struct History {
    pub document_id: String,
    /// Oldest first, in causal order.
    pub changes: Vec<HistoryEntry>,
    /// Older changes were left out (see [`MAX_CHANGES`]).
    pub truncated: bool,
}

#[derive(Serialize)]
pub(crate) struct HistoryEntry {
    pub hash: String,
    pub actor: String,
    pub seq: u64,
    /// When the author's device says it made the change (milliseconds since the epoch). A
    /// phone offline for a week reports when the edit was made, not when it arrived.
    pub at: Option<i64>,
    /// Who made it; `None` only for changes stored before attribution existed.
    pub user: Option<Person>,
    /// The device (sign-in session) it came from.
    pub device: Option<Device>,
    /// The change was made by the server itself, restoring fields someone may not change.
    pub by_server: bool,
    pub message: Option<String>,
    /// Top-level fields of the record the change touched.
    pub fields: Vec<String>,
}

#[derive(Serialize)]
pub(crate) struct Person {
    pub id: String,
    pub username: Option<String>,
    pub display_name: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct Device {
    pub session_id: String,
    pub label: Option<String>,
}

/// `GET /api/records/{id}/history`: every change with its user, device, time and fields.
/// A document the caller may not read answers 404, as one that does not exist.
async fn history(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let (id, doc, _) = readable(&state, &caller, &id).await?;
    Ok(axum::Json(history_of(&state, id, doc).await?))
}

/// The history of a loaded document (the dossier files it as CSV).
pub(crate) async fn history_of(
    state: &AppState,
    id: DocumentId,
    doc: Automerge,
) -> Result<History, ApiError> {
    let directory = state.directory.current();

    let (changes, truncated, touched) = tokio::task::spawn_blocking(move || {
        let mut changes = doc.get_changes(&[]);
        let truncated = changes.len() > MAX_CHANGES;
        if truncated {
            changes.drain(..changes.len() - MAX_CHANGES);
        }
        let touched: Vec<Vec<String>> = changes.iter().map(|c| fields_touched(&doc, c)).collect();
        (changes, truncated, touched)
    })
    .await?;

    let actors: Vec<Vec<u8>> = changes
        .iter()
        .map(|c| c.actor_id().to_bytes().to_vec())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let rows = sqlx::query!(
        r#"select a.actor as "actor!", a.user_id as "user_id!", a.session_id, s.device as "device?"
           from actors a left join sessions s on s.id = a.session_id
           where a.actor = any($1)"#,
        &actors
    )
    .fetch_all(&state.pool)
    .await?;
    let bindings: HashMap<Vec<u8>, (String, Option<String>, Option<String>)> = rows
        .into_iter()
        .map(|r| (r.actor, (r.user_id, r.session_id, r.device)))
        .collect();

    let entries = changes
        .iter()
        .zip(touched)
        .map(|(change, fields)| {
            let binding = bindings.get(change.actor_id().to_bytes());
            let user = binding.map(|(user_id, _, _)| {
                let known = directory.user(user_id);
                Person {
                    id: user_id.clone(),
                    username: known.map(|u| u.username.clone()),
                    display_name: known.map(|u| u.display_name.clone()),
                }
            });
            let device = binding.and_then(|(_, session, label)| {
                session.as_ref().map(|session_id| Device {
                    session_id: session_id.clone(),
                    label: label.clone(),
                })
            });
            HistoryEntry {
                hash: change.hash().to_string(),
                actor: change.actor_id().to_hex_string(),
                seq: change.seq(),
                at: change_time_ms(change.timestamp()),
                by_server: binding
                    .is_some_and(|(user, _, _)| user == crate::sync::doc::SYSTEM_USER),
                user,
                device,
                message: change.message().map(str::to_owned),
                fields,
            }
        })
        .collect();
    Ok(History {
        document_id: id.to_string(),
        changes: entries,
        truncated,
    })
}

/// A change's own timestamp in milliseconds. automerge JS stamps seconds (as does this
/// server); a value too large to be seconds (after the year 5138) was stamped in milliseconds.
fn change_time_ms(stamp: i64) -> Option<i64> {
    match stamp {
        s if s <= 0 => None,
        s if s < 100_000_000_000 => Some(s.saturating_mul(1000)),
        ms => Some(ms),
    }
}

/// The top-level fields one change touched: the first step of the path of every patch its
/// operations produce, compared with the state just before it.
fn fields_touched(doc: &Automerge, change: &Change) -> Vec<String> {
    let patches: Vec<Patch> = doc.diff(change.deps(), &[change.hash()]);
    let mut fields = BTreeSet::new();
    for patch in patches {
        let field = match patch.path.first() {
            Some((_, Prop::Map(key))) => Some(key.clone()),
            Some((_, Prop::Seq(_))) => None,
            None => match &patch.action {
                PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                    Some(key.clone())
                }
                _ => None,
            },
        };
        fields.extend(field);
    }
    fields.into_iter().collect()
}

/// `PUT /api/actors/{actor}` (hex): binds an Automerge actor id to the caller and the device
/// they signed in with, before any change of it arrives. Optional: the server binds actors
/// it has not seen on first sight anyway. 204 when bound to the caller, 409 when it belongs
/// to someone else.
async fn register_actor(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(actor): Path<String>,
) -> Result<StatusCode, ApiError> {
    let bytes = decode_hex(&actor)
        .filter(|b| (1..=64).contains(&b.len()))
        .ok_or_else(|| ApiError::bad_request("an actor id is 1 to 64 bytes in hex"))?;
    let actor = ActorId::from(bytes);
    let user: Arc<str> = caller.user.id.as_str().into();
    let owner = state
        .hub
        .bind_actor(&actor, &user, Some(&caller.session_id))
        .await
        .map_err(ApiError::internal)?;
    if owner == user {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(
            StatusCode::CONFLICT,
            "actor_taken",
            "this actor id belongs to another user; pick a new random one",
        ))
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
