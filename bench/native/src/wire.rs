//! The automerge-repo network protocol as its WebSocket adapter speaks it: one CBOR map per
//! binary frame, `data` a byte string. Only what a client needs: `join` out, `peer`, `sync`,
//! `doc-unavailable` and `error` in; everything else a server sends is ignored.

use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct PeerMetadata {
    #[serde(rename = "isEphemeral")]
    is_ephemeral: bool,
}

#[derive(Serialize)]
struct Join<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "senderId")]
    sender_id: &'a str,
    #[serde(rename = "peerMetadata")]
    peer_metadata: PeerMetadata,
    #[serde(rename = "supportedProtocolVersions")]
    supported_protocol_versions: [&'static str; 1],
}

#[derive(Serialize)]
struct Sync<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "senderId")]
    sender_id: &'a str,
    #[serde(rename = "targetId")]
    target_id: &'a str,
    #[serde(rename = "documentId")]
    document_id: &'a str,
    #[serde(with = "serde_bytes")]
    data: &'a [u8],
}

fn encode(value: &impl Serialize) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    ciborium::into_writer(value, &mut out).expect("CBOR into a Vec cannot fail");
    out
}

/// The first frame: who we are. Clients without storage announce themselves as ephemeral
/// (as a browser without IndexedDB would); neither server treats them differently.
pub fn join(sender_id: &str) -> Vec<u8> {
    encode(&Join {
        kind: "join",
        sender_id,
        peer_metadata: PeerMetadata { is_ephemeral: true },
        supported_protocol_versions: ["1"],
    })
}

/// A sync message for one document; `request` when we have nothing of it yet.
pub fn sync(
    request: bool,
    sender_id: &str,
    target_id: &str,
    document_id: &str,
    data: &[u8],
) -> Vec<u8> {
    encode(&Sync {
        kind: if request { "request" } else { "sync" },
        sender_id,
        target_id,
        document_id,
        data,
    })
}

#[derive(Deserialize)]
struct Raw {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(rename = "senderId")]
    sender_id: Option<String>,
    #[serde(rename = "documentId")]
    document_id: Option<String>,
    data: Option<serde_bytes::ByteBuf>,
    #[serde(rename = "peerMetadata")]
    peer_metadata: Option<ciborium::Value>,
    message: Option<String>,
}

/// What a server said, as far as a client cares.
pub enum FromServer {
    Peer {
        server_id: String,
        storage_id: Option<String>,
    },
    Sync {
        document_id: String,
        data: Vec<u8>,
    },
    Unavailable {
        document_id: String,
    },
    Error(String),
    Other,
}

pub fn decode(frame: &[u8]) -> Result<FromServer, String> {
    let raw: Raw = ciborium::from_reader(frame).map_err(|e| format!("undecodable frame: {e}"))?;
    Ok(match raw.kind.as_deref() {
        Some("peer") => FromServer::Peer {
            server_id: raw.sender_id.ok_or("peer without senderId")?,
            storage_id: raw.peer_metadata.as_ref().and_then(storage_id),
        },
        Some("sync") | Some("request") => FromServer::Sync {
            document_id: raw.document_id.ok_or("sync without documentId")?,
            data: raw.data.ok_or("sync without data")?.into_vec(),
        },
        Some("doc-unavailable") => FromServer::Unavailable {
            document_id: raw
                .document_id
                .ok_or("doc-unavailable without documentId")?,
        },
        Some("error") => FromServer::Error(raw.message.unwrap_or_default()),
        _ => FromServer::Other,
    })
}

fn storage_id(metadata: &ciborium::Value) -> Option<String> {
    metadata
        .as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some("storageId"))
        .and_then(|(_, v)| v.as_text().map(str::to_owned))
}
