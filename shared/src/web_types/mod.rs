//! The web app's TypeScript, generated from this crate: `web/src/generated/`.
//!
//! - `records.ts`: both records as their Automerge documents hold them (field names, optional
//!   fields, scalar strings and Automerge text, timestamps), every enum as a union of its strings
//!   with an array of them, and `SCHEMA_VERSION`;
//! - `api.ts`: the REST API's JSON, from the wire types of [`crate::api`] (`api_ts` says how
//!   to add one);
//! - `rules.ts`: the roles and the `const` tables of [`crate::rules`] (`TRANSITIONS`,
//!   `FIELD_RULES`), so the phone can work out offline what its user may do.
//!
//! Nothing is typed twice. Field shapes come from the Rust types (`shape`), the table rows
//! from iterating the tables, and comments from the Rust doc comments (`docs`). Tests check
//! the description against real documents: every key and value type a written record holds, and
//! which fields may be absent or null, as the Rust side reads them.
//!
//! `scripts/gen-web-types.sh` (the `gen-web-types` binary) writes the files; a test fails while
//! the committed files differ from what [`files`] produces.

mod api_ts;
mod docs;
mod records_ts;
mod rules_ts;
mod shape;
mod ts;

#[cfg(test)]
mod api_tests;
#[cfg(test)]
mod shape_tests;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

/// The command that regenerates the files, as named in their header and in error messages.
pub const COMMAND: &str = "scripts/gen-web-types.sh";

/// Where the files go, relative to the workspace root.
pub const DIRECTORY: &str = "web/src/generated";

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Its name within [`DIRECTORY`].
    pub name: &'static str,
    /// Its full contents.
    pub contents: String,
}

/// Every generated file, as it should be committed.
pub fn files() -> Vec<GeneratedFile> {
    vec![
        GeneratedFile {
            name: "api.ts",
            contents: api_ts::api_ts(),
        },
        GeneratedFile {
            name: "records.ts",
            contents: records_ts::records_ts(),
        },
        GeneratedFile {
            name: "rules.ts",
            contents: rules_ts::rules_ts(),
        },
    ]
}

/// [`DIRECTORY`] in the workspace this crate was built from.
pub fn directory() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(DIRECTORY)
}
