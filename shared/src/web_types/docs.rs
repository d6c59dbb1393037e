//! Doc comments of the domain crate's items, read from its source, so that the generated
//! TypeScript explains each type and field in the same words (and with the same 中文 names) as
//! the Rust code, without a second copy that could drift.
//!
//! This reads rustfmt-formatted source line by line: an item is found by its `pub struct`,
//! `pub enum` or `pub const` line, a member by the line declaring it, and a doc by the `///`
//! lines above either (attributes in between are skipped). A test checks that every type,
//! field and enum value of the generated files found its doc, so a layout this reading does not
//! understand fails loudly instead of dropping comments.

use std::mem;

/// The files whose items appear in the generated TypeScript.
const SOURCES: &[&str] = &[
    include_str!("../records/mod.rs"),
    include_str!("../records/common.rs"),
    include_str!("../records/status.rs"),
    include_str!("../records/duban.rs"),
    include_str!("../records/research.rs"),
    include_str!("../records/meeting.rs"),
    include_str!("../records/codec.rs"),
    include_str!("../rules/mod.rs"),
    include_str!("../rules/fields.rs"),
    include_str!("../rules/entries.rs"),
    include_str!("../time.rs"),
    include_str!("../derived.rs"),
    include_str!("../api.rs"),
    include_str!("../assessment/mod.rs"),
    include_str!("../document_id.rs"),
];

/// A documented item: a struct, an enum or a constant.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Item {
    /// Its doc comment, one entry per line, blank lines kept as empty strings.
    pub(super) doc: Vec<String>,
    /// Its fields or variants, in source order; empty for a constant.
    pub(super) members: Vec<Member>,
}

/// A field or variant of an [`Item`].
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Member {
    /// The name; a field of a struct variant is `Variant.field`.
    pub(super) name: String,
    /// The stored string of a string-enum variant (`Draft = "draft",`).
    pub(super) value: Option<String>,
    /// Its doc comment, one entry per line.
    pub(super) doc: Vec<String>,
}

impl Item {
    /// The doc of the member called `name`, or nothing.
    pub(super) fn member(&self, name: &str) -> &[String] {
        self.members
            .iter()
            .find(|m| m.name == name)
            .map_or(&[], |m| &m.doc)
    }

    /// The doc of the string-enum variant stored as `value`, or nothing.
    pub(super) fn value(&self, value: &str) -> &[String] {
        self.members
            .iter()
            .find(|m| m.value.as_deref() == Some(value))
            .map_or(&[], |m| &m.doc)
    }

    /// The first paragraph of the item's doc.
    pub(super) fn summary(&self) -> &[String] {
        let end = self
            .doc
            .iter()
            .position(String::is_empty)
            .unwrap_or(self.doc.len());
        &self.doc[..end]
    }
}

/// The item declared as `name`, or an empty item if no source file declares it.
pub(super) fn item(name: &str) -> Item {
    SOURCES
        .iter()
        .find_map(|source| find_item(source, name))
        .unwrap_or_default()
}

fn find_item(source: &str, name: &str) -> Option<Item> {
    let lines: Vec<&str> = source.lines().collect();
    let start = lines.iter().position(|line| declares(line.trim(), name))?;
    let members = if lines[start].trim_end().ends_with('{') {
        members(&lines[start + 1..])
    } else {
        Vec::new()
    };
    Some(Item {
        doc: doc_above(&lines[..start]),
        members,
    })
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn declares(line: &str, name: &str) -> bool {
    ["pub struct ", "pub enum ", "pub const "]
        .iter()
        .any(|keyword| {
            line.strip_prefix(keyword)
                .and_then(|rest| rest.strip_prefix(name))
                .is_some_and(|rest| !rest.starts_with(is_ident_char))
        })
}

fn doc_line(line: &str) -> Option<String> {
    let text = line.strip_prefix("///")?;
    Some(text.strip_prefix(' ').unwrap_or(text).to_owned())
}

/// The `///` lines right above the end of `lines`, skipping attributes.
fn doc_above(lines: &[&str]) -> Vec<String> {
    let mut doc = Vec::new();
    for line in lines.iter().rev().map(|line| line.trim()) {
        match doc_line(line) {
            Some(text) => doc.push(text),
            None if line.starts_with("#[") => {}
            None => break,
        }
    }
    doc.reverse();
    doc
}

/// The fields or variants of an item whose body starts at `body` and ends at its closing brace.
fn members(body: &[&str]) -> Vec<Member> {
    let mut members = Vec::new();
    let mut doc = Vec::new();
    // The struct variants we are inside of.
    let mut within: Vec<String> = Vec::new();
    for line in body.iter().map(|line| line.trim()) {
        if let Some(text) = doc_line(line) {
            doc.push(text);
            continue;
        }
        if line.is_empty() || line.starts_with("#[") || line.starts_with("//") {
            continue;
        }
        if line.starts_with('}') {
            if within.pop().is_none() {
                break;
            }
            continue;
        }
        let declaration = line.strip_prefix("pub ").unwrap_or(line);
        let end = declaration
            .find(|c: char| !is_ident_char(c))
            .unwrap_or(declaration.len());
        let (name, rest) = declaration.split_at(end);
        if name.is_empty() {
            doc.clear();
            continue;
        }
        let value = rest
            .trim()
            .strip_prefix('=')
            .and_then(|value| value.trim().trim_end_matches(',').strip_prefix('"'))
            .and_then(|value| value.strip_suffix('"'))
            .map(str::to_owned);
        let prefix: String = within.iter().map(|outer| format!("{outer}.")).collect();
        members.push(Member {
            name: format!("{prefix}{name}"),
            value,
            doc: mem::take(&mut doc),
        });
        if rest.trim_end().ends_with('{') {
            within.push(name.to_owned());
        }
    }
    members
}

/// Rust doc markup as plain text for a TypeScript comment: intra-doc links lose their brackets
/// and their module path (`[`crate::rules::TRANSITIONS`]` becomes `` `TRANSITIONS` ``).
pub(super) fn plain(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find("[`") {
        let Some(len) = rest[start + 2..].find("`]") else {
            break;
        };
        let code = &rest[start + 2..start + 2 + len];
        out.push_str(&rest[..start]);
        rest = &rest[start + 2 + len + 2..];
        if let Some(target) = rest.strip_prefix('(')
            && let Some(close) = target.find(')')
        {
            // [`Timestamp`](crate::Timestamp): the text is already what a reader needs.
            rest = &target[close + 1..];
            out.push_str(&format!("`{code}`"));
        } else {
            out.push_str(&format!("`{}`", without_module_path(code)));
        }
    }
    out.push_str(rest);
    out
}

/// `crate::rules::TRANSITIONS` -> `TRANSITIONS`, `Stored::upgrade` stays, `crate::derived` ->
/// `derived`: module segments (lowercase) go, but the last segment always stays.
fn without_module_path(path: &str) -> &str {
    let mut rest = path;
    while let Some((head, tail)) = rest.split_once("::") {
        if head.starts_with(|c: char| c.is_uppercase()) {
            break;
        }
        rest = tail;
    }
    rest
}
