//! `records.ts`: the two records as their documents hold them, and every enum's values.

use super::docs;
use super::shape::{EnumType, ObjectType, Shape, collect_objects, record_enums, record_type};
use super::ts::{self, Ts};
use crate::records::{RecordKind, SCHEMA_VERSION};

const PREAMBLE: &str = "\
// The types describe the documents exactly as the Rust side (duyan-shared) reads and writes
// them, as automerge JS 3.x presents them:
// - short strings (titles, ids, enum values) are scalar strings: `Scalar`, i.e. automerge's
//   `ImmutableString`; long texts are Automerge text: a plain `string`;
// - instants are `Timestamp`s: integer milliseconds since the epoch (UTC);
// - a field marked `?: T | null` may be absent or null, both meaning none;
// - lists of entries hold objects with their own `id`, matched by id when documents merge.";

/// The generated `records.ts`.
pub(super) fn records_ts() -> String {
    let mut ts = Ts::generated();
    ts.blank();
    ts.line(PREAMBLE);
    ts.blank();
    primitives(&mut ts);

    ts.doc("", &[docs::item("SCHEMA_VERSION").summary()]);
    ts.line(&format!("export const SCHEMA_VERSION = {SCHEMA_VERSION};"));
    ts.blank();

    for e in record_enums() {
        enum_type(&mut ts, &e);
    }

    by_kind(&mut ts);

    let mut objects = Vec::new();
    for kind in RecordKind::ALL.iter().copied() {
        collect_objects(&Shape::Object(record_type(kind)), &mut objects);
    }
    for object in &objects {
        let root = RecordKind::ALL
            .iter()
            .copied()
            .find(|kind| record_type(*kind).name == object.name);
        object_type(&mut ts, object, root);
    }
    ts.finish()
}

fn primitives(ts: &mut Ts) {
    ts.doc(
        "",
        &[
            &ts::text(
                "A scalar string in a document (Automerge `str`). automerge JS reads it as an \
                 `ImmutableString`, whose `val` is the string: compare `x.val`, not `x`.",
            ),
            &ts::text(
                "Write one as `new ImmutableString(value)`. A plain JS string would become \
                 Automerge text, which the Rust side refuses where a scalar string is expected.",
            ),
            &ts::text(
                "Declared by its shape so that this file imports nothing: automerge's \
                 `ImmutableString` is a `Scalar`. For an enum, `Scalar<T>` narrows `val` to its \
                 values; write one as `new ImmutableString(value) as Scalar<T>`.",
            ),
        ],
    );
    ts.line("export interface Scalar<T extends string = string> {");
    ts.line("  readonly val: T;");
    ts.line("  toString(): string;");
    ts.line("  toJSON(): string;");
    ts.line("}");
    ts.blank();

    let timestamp = docs::item("Timestamp");
    ts.doc(
        "",
        &[
            timestamp.summary(),
            &ts::text("An integer, as `Date.now()` gives it."),
        ],
    );
    ts.line("export type Timestamp = number;");
    ts.blank();

    ts.doc(
        "",
        &[
            docs::item("DocumentId").summary(),
            &ts::text(
                "Stored as the bare bs58check string (`3UCRm6WocHEqn6jZE8wJ8wD8ZfQy`), without \
                 the `automerge:` prefix of an automerge-repo URL.",
            ),
        ],
    );
    ts.line("export type DocumentId = string;");
    ts.blank();

    ts.doc(
        "",
        &[docs::item("Percent").summary(), &ts::text("An integer.")],
    );
    ts.line("export type Percent = number;");
    ts.blank();
}

/// The union of an enum's strings and the array of them.
pub(super) fn enum_type(ts: &mut Ts, e: &EnumType) {
    let item = docs::item(e.name);
    let values: Vec<String> = e
        .values
        .iter()
        .map(|value| {
            let doc: Vec<String> = item.value(value).iter().map(|l| docs::plain(l)).collect();
            format!("- `{value}`: {}", doc.join(" "))
        })
        .collect();
    ts.doc("", &[&item.doc, &values]);
    let strings: Vec<String> = e.values.iter().map(|value| ts::string(value)).collect();
    let head = format!("export type {} = ", e.name);
    ts.line(&ts::one_or_many(&head, &strings, " | ", "| ", ";"));
    ts.doc("", &[&ts::text(&format!("Every `{}`, in order.", e.name))]);
    let head = format!("export const {} = [", e.const_name);
    ts.line(&ts::one_or_many(&head, &strings, ", ", "", "] as const;"));
    ts.blank();
}

/// `StatusByKind`, `RecordByKind` and `AnyRecord`: the kinds of record and their types.
fn by_kind(ts: &mut Ts) {
    let kinds = RecordKind::ALL.iter().copied();
    ts.doc("", &[&ts::text("The status type of each kind of record.")]);
    ts.line("export interface StatusByKind {");
    for kind in kinds.clone() {
        let status = super::shape::status_type(kind);
        ts.line(&format!("  {kind}: {};", status.name));
    }
    ts.line("}");
    ts.blank();
    ts.doc("", &[&ts::text("The record type of each kind of record.")]);
    ts.line("export interface RecordByKind {");
    for kind in kinds {
        ts.line(&format!("  {kind}: {};", record_type(kind).name));
    }
    ts.line("}");
    ts.blank();
    ts.doc(
        "",
        &[&ts::text(
            "Either kind of record (`Record` in Rust, renamed to leave TypeScript's `Record` \
             alone); `type` tells which.",
        )],
    );
    ts.line("export type AnyRecord = RecordByKind[RecordKind];");
    ts.blank();
}

/// An interface for a map; `root` is the kind of record whose document root it is.
fn object_type(ts: &mut Ts, object: &ObjectType, root: Option<RecordKind>) {
    let item = docs::item(object.name);
    ts.doc("", &[&item.doc]);
    ts.line(&format!("export interface {} {{", object.name));
    if let Some(kind) = root {
        ts.doc("  ", &[&ts::text(&format!("Always `{kind}`."))]);
        ts.line(&format!("  type: Scalar<{}>;", ts::string(kind.as_str())));
        ts.doc(
            "  ",
            &[&ts::text(
                "The schema version the document was written in (an integer). The Rust side \
                 refuses documents newer than its `SCHEMA_VERSION`.",
            )],
        );
        ts.line("  schema_version: number;");
    }
    for field in &object.fields {
        let note = match &field.shape {
            Shape::Text => ts::text(
                "Automerge text. Edit it with `updateText` or `splice`, so that concurrent \
                 edits interleave; assigning a string replaces the whole text.",
            ),
            _ => Vec::new(),
        };
        ts.doc("  ", &[item.member(field.name), &note]);
        let line = match &field.shape {
            Shape::Optional(inner) => format!("  {}?: {} | null;", field.name, type_name(inner)),
            shape => format!("  {}: {};", field.name, type_name(shape)),
        };
        ts.line(&line);
    }
    ts.line("}");
    ts.blank();
}

/// The TypeScript type of a value of `shape`.
pub(super) fn type_name(shape: &Shape) -> String {
    match shape {
        Shape::Str => "Scalar".to_owned(),
        Shape::DocumentId => "Scalar<DocumentId>".to_owned(),
        Shape::Text => "string".to_owned(),
        Shape::Bool => "boolean".to_owned(),
        Shape::Int | Shape::Float => "number".to_owned(),
        Shape::Timestamp => "Timestamp".to_owned(),
        Shape::Percent => "Percent".to_owned(),
        Shape::Enum(e) => format!("Scalar<{}>", e.name),
        Shape::Object(object) => object.name.to_owned(),
        Shape::List(inner) => match inner.as_ref() {
            Shape::Optional(_) => format!("({})[]", type_name(inner)),
            _ => format!("{}[]", type_name(inner)),
        },
        Shape::Optional(inner) => format!("{} | null", type_name(inner)),
    }
}
