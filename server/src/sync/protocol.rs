//! The automerge-repo network protocol as `@automerge/automerge-repo-network-websocket` 2.x
//! speaks it: one CBOR map per binary WebSocket frame.
//!
//! The client encodes with cbor-x (`useRecords: false`, `tagUint8Array: false`), so messages
//! are plain maps with string keys and `data` is a CBOR byte string. Fields this server does
//! not use are ignored rather than refused, so newer clients adding fields keep working.

use duyan_shared::DocumentId;
use serde::{Deserialize, Serialize};

/// The only protocol version that exists today.
pub const PROTOCOL_V1: &str = "1";

/// The peer id of the remote end, as it announced itself in `join`.
pub type PeerId = String;

/// Why a frame from a client could not be understood. Each one ends the session: the
/// client is sent an `error` message naming the problem and the connection is closed.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("message is not valid CBOR")]
    NotCbor,
    /// Valid CBOR, but not a message: says what is wrong with it.
    #[error("message is valid CBOR but not a protocol message: {0}")]
    WrongShape(String),
    #[error("message is missing the field `{0}`")]
    MissingField(&'static str),
    #[error("unknown message type `{0}`")]
    UnknownType(String),
    #[error("invalid document id")]
    InvalidDocumentId,
    #[error("the first message must be `join`")]
    NotJoined,
    #[error("none of the offered protocol versions is supported (this server speaks \"1\")")]
    UnsupportedVersion,
    #[error("message of {size} bytes is over the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("sync message could not be decoded")]
    BadSyncMessage,
    #[error("binary frames only")]
    TextFrame,
    #[error("frame could not be read (over the size limit of {limit} bytes, or malformed)")]
    UnreadableFrame { limit: usize },
}

/// Metadata a peer presents in `join` / `peer`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PeerMetadata {
    #[serde(rename = "storageId", default, skip_serializing_if = "Option::is_none")]
    pub storage_id: Option<String>,
    #[serde(rename = "isEphemeral", default)]
    pub is_ephemeral: bool,
}

/// A message from a client, after validation.
#[derive(Debug, Clone, PartialEq)]
pub enum FromClient {
    Join {
        sender_id: PeerId,
        metadata: PeerMetadata,
        supported_versions: Option<Vec<String>>,
    },
    /// `request` is a `sync` sent by a peer that does not have the document yet.
    Sync {
        document_id: DocumentId,
        data: Vec<u8>,
        is_request: bool,
    },
    Ephemeral {
        document_id: DocumentId,
        sender_id: PeerId,
        count: u64,
        session_id: String,
        data: Vec<u8>,
    },
    DocUnavailable {
        document_id: DocumentId,
    },
    Leave,
    /// `remote-subscription-change` and `remote-heads-changed`: gossip about other storage
    /// peers' heads, which this server neither relays nor needs.
    Ignored {
        kind: String,
    },
}

/// Every field any client message may carry; `decode` turns it into a [`FromClient`].
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
    peer_metadata: Option<PeerMetadata>,
    #[serde(rename = "supportedProtocolVersions")]
    supported_protocol_versions: Option<Vec<String>>,
    count: Option<u64>,
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
}

/// What makes `value` not a [`Raw`]: it is not a map, or a known field has the wrong type.
fn shape_problem(value: &ciborium::Value) -> String {
    use ciborium::Value as V;
    let Some(entries) = value.as_map() else {
        return format!("it is {}, not a map", describe(value));
    };
    for (key, value) in entries {
        let Some(key) = key.as_text() else {
            return format!("a key is {}, not a string", describe(key));
        };
        let is_text = |v: &V| v.is_text() || v.is_null();
        let (fits, expected): (bool, &str) = match key {
            "type" | "senderId" | "documentId" | "sessionId" => (is_text(value), "a string"),
            "data" => (value.is_bytes() || value.is_null(), "a byte string"),
            "count" => (
                value.as_integer().is_some_and(|n| u64::try_from(n).is_ok()) || value.is_null(),
                "a non-negative integer",
            ),
            "supportedProtocolVersions" => (
                value.is_null()
                    || value
                        .as_array()
                        .is_some_and(|versions| versions.iter().all(V::is_text)),
                "an array of strings",
            ),
            "peerMetadata" => (
                value.is_null() || value.deserialized::<PeerMetadata>().is_ok(),
                "a map of `storageId` (a string) and `isEphemeral` (a boolean)",
            ),
            _ => (true, ""),
        };
        if !fits {
            return format!("`{key}` is {}, expected {expected}", describe(value));
        }
    }
    "its fields do not fit any message".to_owned()
}

/// What kind of CBOR item `value` is, for messages.
fn describe(value: &ciborium::Value) -> &'static str {
    use ciborium::Value as V;
    match value {
        V::Integer(_) => "an integer",
        V::Bytes(_) => "a byte string",
        V::Float(_) => "a float",
        V::Text(_) => "a string",
        V::Bool(_) => "a boolean",
        V::Null => "null",
        V::Tag(..) => "a tagged item",
        V::Array(_) => "an array",
        V::Map(_) => "a map",
        _ => "an unknown item",
    }
}

impl FromClient {
    /// Decodes one frame.
    pub fn decode(frame: &[u8]) -> Result<Self, ProtocolError> {
        let value: ciborium::Value =
            ciborium::from_reader(frame).map_err(|_| ProtocolError::NotCbor)?;
        let raw: Raw = value
            .deserialized()
            .map_err(|_| ProtocolError::WrongShape(shape_problem(&value)))?;
        let kind = raw.kind.ok_or(ProtocolError::MissingField("type"))?;
        let document_id = || -> Result<DocumentId, ProtocolError> {
            raw.document_id
                .as_deref()
                .ok_or(ProtocolError::MissingField("documentId"))?
                .parse()
                .map_err(|_| ProtocolError::InvalidDocumentId)
        };
        let data = || {
            raw.data
                .clone()
                .map(serde_bytes::ByteBuf::into_vec)
                .ok_or(ProtocolError::MissingField("data"))
        };
        Ok(match kind.as_str() {
            "join" => FromClient::Join {
                sender_id: raw
                    .sender_id
                    .ok_or(ProtocolError::MissingField("senderId"))?,
                metadata: raw.peer_metadata.unwrap_or_default(),
                supported_versions: raw.supported_protocol_versions,
            },
            "sync" | "request" => FromClient::Sync {
                document_id: document_id()?,
                data: data()?,
                is_request: kind == "request",
            },
            "ephemeral" => FromClient::Ephemeral {
                document_id: document_id()?,
                data: data()?,
                sender_id: raw
                    .sender_id
                    .ok_or(ProtocolError::MissingField("senderId"))?,
                count: raw.count.ok_or(ProtocolError::MissingField("count"))?,
                session_id: raw
                    .session_id
                    .ok_or(ProtocolError::MissingField("sessionId"))?,
            },
            "doc-unavailable" => FromClient::DocUnavailable {
                document_id: document_id()?,
            },
            "leave" => FromClient::Leave,
            "remote-subscription-change" | "remote-heads-changed" => FromClient::Ignored { kind },
            _ => return Err(ProtocolError::UnknownType(kind)),
        })
    }
}

/// A message to a client. `sender_id` is always the server's peer id.
#[derive(Debug, Serialize)]
pub struct ToClient<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(rename = "senderId")]
    pub sender_id: &'a str,
    #[serde(rename = "targetId")]
    pub target_id: &'a str,
    #[serde(rename = "documentId", skip_serializing_if = "Option::is_none")]
    pub document_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", with = "opt_bytes")]
    pub data: Option<&'a [u8]>,
    #[serde(rename = "peerMetadata", skip_serializing_if = "Option::is_none")]
    pub peer_metadata: Option<&'a PeerMetadata>,
    #[serde(
        rename = "selectedProtocolVersion",
        skip_serializing_if = "Option::is_none"
    )]
    pub selected_protocol_version: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    #[serde(rename = "sessionId", skip_serializing_if = "Option::is_none")]
    pub session_id: Option<&'a str>,
}

impl<'a> ToClient<'a> {
    fn base(kind: &'static str, sender_id: &'a str, target_id: &'a str) -> Self {
        Self {
            kind,
            sender_id,
            target_id,
            document_id: None,
            data: None,
            peer_metadata: None,
            selected_protocol_version: None,
            message: None,
            count: None,
            session_id: None,
        }
    }

    pub fn peer(sender_id: &'a str, target_id: &'a str, metadata: &'a PeerMetadata) -> Self {
        Self {
            peer_metadata: Some(metadata),
            selected_protocol_version: Some(PROTOCOL_V1),
            ..Self::base("peer", sender_id, target_id)
        }
    }

    pub fn error(sender_id: &'a str, target_id: &'a str, message: &'a str) -> Self {
        Self {
            message: Some(message),
            ..Self::base("error", sender_id, target_id)
        }
    }

    pub fn sync(sender_id: &'a str, target_id: &'a str, doc: &DocumentId, data: &'a [u8]) -> Self {
        Self {
            document_id: Some(doc.to_string()),
            data: Some(data),
            ..Self::base("sync", sender_id, target_id)
        }
    }

    pub fn doc_unavailable(sender_id: &'a str, target_id: &'a str, doc: &DocumentId) -> Self {
        Self {
            document_id: Some(doc.to_string()),
            ..Self::base("doc-unavailable", sender_id, target_id)
        }
    }

    /// An ephemeral message relayed from another peer keeps that peer as its sender, as
    /// automerge-repo's own relay does, so receivers can tell who is present.
    pub fn ephemeral(
        original_sender: &'a str,
        target_id: &'a str,
        doc: &DocumentId,
        count: u64,
        session_id: &'a str,
        data: &'a [u8],
    ) -> Self {
        Self {
            document_id: Some(doc.to_string()),
            data: Some(data),
            count: Some(count),
            session_id: Some(session_id),
            ..Self::base("ephemeral", original_sender, target_id)
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.data.map_or(0, <[u8]>::len));
        ciborium::into_writer(self, &mut out).expect("writing CBOR to a Vec cannot fail");
        out
    }
}

mod opt_bytes {
    use serde::Serializer;

    pub fn serialize<S: Serializer>(value: &Option<&[u8]>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(bytes) => s.serialize_bytes(bytes),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Frames as cbor-x encodes them in @automerge/automerge-repo 2.5.6
    // (`new Encoder({ tagUint8Array: false, useRecords: false }).encode(msg)`), captured from
    // Node, so decoding is checked against the real encoder rather than against ourselves.
    const JOIN_FROM_JS: &str = "b900046474797065646a6f696e6873656e646572496468636c69656e742d316c706565724d65746164617461b900026973746f7261676549646473742d316b6973457068656d6572616cf47819737570706f7274656450726f746f636f6c56657273696f6e73816131";
    const REQUEST_FROM_JS: &str = "b90005647479706567726571756573746873656e646572496468636c69656e742d31687461726765744964667365727665726a646f63756d656e744964781c335543526d36576f634845716e366a5a4538774a387744385a665179646461746143420000";
    const EPHEMERAL_FROM_JS: &str = "b90007647479706569657068656d6572616c6873656e646572496468636c69656e742d31687461726765744964667365727665726a646f63756d656e744964781c335543526d36576f634845716e366a5a4538774a387744385a66517965636f756e74076973657373696f6e496464736573736464617461420102";
    const DOC: &str = "3UCRm6WocHEqn6jZE8wJ8wD8ZfQy";

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn decodes_frames_encoded_by_cbor_x() {
        assert_eq!(
            FromClient::decode(&hex(JOIN_FROM_JS)).unwrap(),
            FromClient::Join {
                sender_id: "client-1".into(),
                metadata: PeerMetadata {
                    storage_id: Some("st-1".into()),
                    is_ephemeral: false
                },
                supported_versions: Some(vec!["1".into()]),
            }
        );
        assert_eq!(
            FromClient::decode(&hex(REQUEST_FROM_JS)).unwrap(),
            FromClient::Sync {
                document_id: DOC.parse().unwrap(),
                data: vec![0x42, 0, 0],
                is_request: true
            }
        );
        assert_eq!(
            FromClient::decode(&hex(EPHEMERAL_FROM_JS)).unwrap(),
            FromClient::Ephemeral {
                document_id: DOC.parse().unwrap(),
                sender_id: "client-1".into(),
                count: 7,
                session_id: "sess".into(),
                data: vec![1, 2],
            }
        );
    }

    #[test]
    fn refuses_garbage_and_unknown_types() {
        assert!(matches!(
            FromClient::decode(b"\xff\x00garbage"),
            Err(ProtocolError::NotCbor)
        ));
        let mut frame = Vec::new();
        ciborium::into_writer(
            &serde_json::json!({"type": "bogus", "senderId": "x"}),
            &mut frame,
        )
        .unwrap();
        assert!(matches!(
            FromClient::decode(&frame),
            Err(ProtocolError::UnknownType(t)) if t == "bogus"
        ));
    }

    #[test]
    fn says_what_is_wrong_with_well_formed_cbor_of_the_wrong_shape() {
        let problem = |value: serde_json::Value| {
            let mut frame = Vec::new();
            ciborium::into_writer(&value, &mut frame).unwrap();
            match FromClient::decode(&frame) {
                Err(ProtocolError::WrongShape(problem)) => problem,
                other => panic!("expected a shape error, got {other:?}"),
            }
        };
        assert_eq!(
            problem(serde_json::json!([1, 2])),
            "it is an array, not a map"
        );
        assert_eq!(
            problem(serde_json::json!({"type": "sync", "documentId": 7})),
            "`documentId` is an integer, expected a string"
        );
        assert_eq!(
            problem(serde_json::json!({"type": "sync", "data": "text"})),
            "`data` is a string, expected a byte string"
        );
        assert_eq!(
            problem(serde_json::json!({"type": "join", "peerMetadata": {"isEphemeral": "no"}})),
            "`peerMetadata` is a map, expected a map of `storageId` (a string) and `isEphemeral` (a boolean)"
        );
    }

    #[test]
    fn sync_round_trips_through_our_encoder() {
        let doc: DocumentId = DOC.parse().unwrap();
        let frame = ToClient::sync("server", "client", &doc, &[0x42, 1, 2]).encode();
        // A client's sync has the same shape as ours; decoding ours checks field names and
        // that `data` is a byte string, which cbor-x turns into a Uint8Array.
        let decoded = FromClient::decode(&frame).unwrap();
        assert_eq!(
            decoded,
            FromClient::Sync {
                document_id: doc,
                data: vec![0x42, 1, 2],
                is_request: false
            }
        );
    }
}
