//! Document identifiers as automerge-repo writes them: 16 random bytes, bs58check-encoded
//! (`3UCRm6WocHEqn6jZE8wJ8wD8ZfQy`), and prefixed with `automerge:` in URLs.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The id of one record: one Automerge document.
///
/// Parsing checks the bs58check checksum and the length, so a typo or a forged id is refused
/// at the edge instead of becoming a row in storage.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId([u8; 16]);

/// Why a string is not a document id.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidDocumentId {
    /// Not bs58, or the checksum does not match.
    #[error("document id is not valid bs58check")]
    Encoding,
    /// A valid bs58check string of the wrong length; holds the number of bytes found.
    #[error("document id must encode 16 bytes, found {0}")]
    Length(usize),
}

impl DocumentId {
    /// Wraps raw bytes, e.g. freshly generated random ones.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The 16 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The `automerge:` URL the JavaScript client uses.
    pub fn to_url(&self) -> String {
        format!("automerge:{self}")
    }
}

impl FromStr for DocumentId {
    type Err = InvalidDocumentId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.strip_prefix("automerge:").unwrap_or(s);
        let bytes = bs58::decode(s)
            .with_check(None)
            .into_vec()
            .map_err(|_| InvalidDocumentId::Encoding)?;
        let array: [u8; 16] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| InvalidDocumentId::Length(bytes.len()))?;
        Ok(Self(array))
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).with_check().into_string())
    }
}

impl fmt::Debug for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentId({self})")
    }
}

impl Serialize for DocumentId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DocumentId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

// In a record (a finding's `duban_ref`, an item's `source_ref`) the id is stored as its bare
// bs58check string, without the `automerge:` prefix, and checked when hydrated.
impl autosurgeon::Reconcile for DocumentId {
    type Key<'a> = autosurgeon::reconcile::NoKey;

    fn reconcile<R: autosurgeon::Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.str(self.to_string())
    }
}

impl autosurgeon::Hydrate for DocumentId {
    fn hydrate_string(s: &str) -> Result<Self, autosurgeon::HydrateError> {
        s.parse().map_err(|e: InvalidDocumentId| {
            autosurgeon::HydrateError::unexpected("a document id", format!("{s:?} ({e})"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // An id produced by the JavaScript client (`generateAutomergeUrl()` in automerge-repo 2.5).
    const FROM_JS: &str = "3UCRm6WocHEqn6jZE8wJ8wD8ZfQy";

    #[test]
    fn round_trips_an_id_made_by_the_js_client() {
        let id: DocumentId = FROM_JS.parse().unwrap();
        assert_eq!(id.to_string(), FROM_JS);
        assert_eq!(id.to_url(), format!("automerge:{FROM_JS}"));
        assert_eq!(
            format!("automerge:{FROM_JS}")
                .parse::<DocumentId>()
                .unwrap(),
            id
        );
    }

    #[test]
    fn refuses_bad_checksums_and_lengths() {
        let mut broken = FROM_JS.to_string();
        broken.replace_range(3..4, if &broken[3..4] == "A" { "B" } else { "A" });
        assert_eq!(
            broken.parse::<DocumentId>(),
            Err(InvalidDocumentId::Encoding)
        );
        let short = bs58::encode([1u8; 8]).with_check().into_string();
        assert_eq!(
            short.parse::<DocumentId>(),
            Err(InvalidDocumentId::Length(8))
        );
        assert_eq!("".parse::<DocumentId>(), Err(InvalidDocumentId::Encoding));
    }

    #[test]
    fn serde_uses_the_string_form() {
        let id: DocumentId = FROM_JS.parse().unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{FROM_JS}\""));
        assert_eq!(serde_json::from_str::<DocumentId>(&json).unwrap(), id);
    }
}
