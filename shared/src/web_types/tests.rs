//! The generated files: fresh, complete, well-formed, and holding the Rust tables row for row.

use std::collections::BTreeSet;
use std::fs;

use serde_json::json;

use super::docs;
use super::shape::*;
use super::{COMMAND, DIRECTORY, directory, files};
use crate::records::{RecordKind, SCHEMA_VERSION};
use crate::rules::{ENTRY_RULES, FIELD_RULES, FieldAccess, FieldRule, Role, TRANSITIONS};

fn generated(name: &str) -> String {
    files()
        .into_iter()
        .find(|file| file.name == name)
        .map(|file| file.contents)
        .unwrap_or_else(|| panic!("no generated file {name}"))
}

fn first_difference(committed: &str, generated: &str) -> String {
    let mut committed_lines = committed.lines();
    let mut generated_lines = generated.lines();
    for number in 1.. {
        match (committed_lines.next(), generated_lines.next()) {
            (Some(a), Some(b)) if a == b => {}
            (None, None) => break,
            (a, b) => {
                return format!(
                    "first difference at line {number}:\n  committed: {}\n  generated: {}",
                    a.unwrap_or("(end of file)"),
                    b.unwrap_or("(end of file)")
                );
            }
        }
    }
    "the files differ in line endings".to_owned()
}

/// The check `scripts/test.sh` relies on: committed files equal to what the generator writes.
#[test]
fn the_committed_web_types_are_what_the_generator_writes() {
    let mut stale = Vec::new();
    for file in files() {
        let shown = format!("{DIRECTORY}/{}", file.name);
        match fs::read_to_string(directory().join(file.name)) {
            Ok(committed) if committed == file.contents => {}
            Ok(committed) => stale.push(format!(
                "{shown} is stale; {}",
                first_difference(&committed, &file.contents)
            )),
            Err(e) => stale.push(format!("{shown} cannot be read: {e}")),
        }
    }
    assert!(
        stale.is_empty(),
        "\n\nThe generated web types differ from the domain crate.\n{}\n\n\
         Regenerate them with `{COMMAND}` and commit the result; never edit them by hand.\n",
        stale.join("\n")
    );
}

#[test]
fn the_generated_directory_holds_only_generated_files() {
    let expected: BTreeSet<String> = files().iter().map(|f| f.name.to_owned()).collect();
    let found: BTreeSet<String> = fs::read_dir(directory())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        found, expected,
        "{DIRECTORY} holds files the generator does not write; remove them"
    );
}

#[test]
fn every_file_says_it_is_generated_and_how() {
    for file in files() {
        let first = file.contents.lines().next().unwrap();
        assert!(first.contains("GENERATED"), "{}: {first}", file.name);
        assert!(first.contains(COMMAND), "{}: {first}", file.name);
        assert!(first.contains("DO NOT EDIT"), "{}: {first}", file.name);
        assert!(file.contents.ends_with("}\n") || file.contents.ends_with(";\n"));
    }
}

/// Brackets, braces and parentheses balance outside comments and strings, strings end on their
/// line, comments are closed.
#[track_caller]
fn assert_balanced(name: &str, source: &str) {
    let mut open: Vec<(char, usize)> = Vec::new();
    let mut line = 1;
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                let start = line;
                let mut previous = ' ';
                loop {
                    let c = chars
                        .next()
                        .unwrap_or_else(|| panic!("{name}:{start}: unclosed comment"));
                    if c == '\n' {
                        line += 1;
                    }
                    if previous == '*' && c == '/' {
                        break;
                    }
                    previous = c;
                }
            }
            '"' => loop {
                match chars.next() {
                    Some('\\') => {
                        chars.next();
                    }
                    Some('"') => break,
                    Some('\n') | None => panic!("{name}:{line}: unterminated string"),
                    Some(_) => {}
                }
            },
            '(' | '[' | '{' => open.push((c, line)),
            ')' | ']' | '}' => {
                let expected = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                match open.pop() {
                    Some((o, _)) if o == expected => {}
                    Some((o, at)) => panic!("{name}:{line}: {c} closes {o} of line {at}"),
                    None => panic!("{name}:{line}: {c} closes nothing"),
                }
            }
            _ => {}
        }
    }
    assert!(open.is_empty(), "{name}: unclosed {open:?}");
}

#[test]
fn the_generated_typescript_is_balanced() {
    for file in files() {
        assert_balanced(file.name, &file.contents);
    }
}

/// The properties of `export interface {name}` in `source`: name and whether it is optional.
fn interface_properties(source: &str, name: &str) -> Vec<(String, bool)> {
    let head = format!("\nexport interface {name} {{\n");
    let start = source
        .find(&head)
        .unwrap_or_else(|| panic!("no interface {name}"))
        + head.len();
    let body = &source[start..start + source[start..].find("\n}\n").unwrap()];
    body.lines()
        .filter(|line| !line.trim_start().starts_with(['/', '*']))
        .map(|line| {
            let (key, _) = line.trim().split_once(':').unwrap();
            match key.strip_suffix('?') {
                Some(key) => (key.to_owned(), true),
                None => (key.to_owned(), false),
            }
        })
        .collect()
}

fn all_object_types() -> Vec<ObjectType> {
    let mut objects = Vec::new();
    for kind in RecordKind::ALL.iter().copied() {
        collect_objects(&Shape::Object(record_type(kind)), &mut objects);
    }
    objects
}

#[test]
fn records_ts_has_every_field_of_every_record_type() {
    let source = generated("records.ts");
    for object in all_object_types() {
        let root = RecordKind::ALL
            .iter()
            .any(|kind| record_type(*kind).name == object.name);
        let mut expected: Vec<(String, bool)> = Vec::new();
        if root {
            expected.push(("type".into(), false));
            expected.push(("schema_version".into(), false));
        }
        expected.extend(object.fields.iter().map(|field| {
            let optional = matches!(field.shape, Shape::Optional(_));
            (field.name.to_owned(), optional)
        }));
        assert_eq!(
            interface_properties(&source, object.name),
            expected,
            "{}",
            object.name
        );
    }
}

#[test]
fn the_record_types_have_the_fields_the_rules_tables_cover() {
    // `rules::tests::every_field_has_exactly_one_rule` ties FIELD_RULES to the Rust types.
    for kind in RecordKind::ALL.iter().copied() {
        let described: BTreeSet<&str> = record_type(kind).fields.iter().map(|f| f.name).collect();
        let ruled: BTreeSet<&str> = FIELD_RULES
            .iter()
            .filter(|rule| rule.kind == kind)
            .map(|rule| rule.field)
            .collect();
        assert_eq!(described, ruled, "{kind}");
    }
}

/// The strings of `export const {name} = [...] as const;` in `source`.
fn const_array(source: &str, name: &str) -> Vec<String> {
    let head = format!("export const {name} = [");
    let start = source
        .find(&head)
        .unwrap_or_else(|| panic!("no array {name}"))
        + head.len();
    let end = start + source[start..].find("] as const;").unwrap();
    serde_json::from_str(&format!(
        "[{}]",
        source[start..end].trim().trim_end_matches(',')
    ))
    .unwrap()
}

#[test]
fn every_enum_is_a_union_and_an_array_of_its_values() {
    let records = generated("records.ts");
    let rules = generated("rules.ts");
    for (source, e) in record_enums()
        .into_iter()
        .map(|e| (&records, e))
        .chain(rule_enums().into_iter().map(|e| (&rules, e)))
    {
        assert_eq!(const_array(source, e.const_name), e.values, "{}", e.name);
        let union: Vec<String> = e.values.iter().map(|v| format!("\"{v}\"")).collect();
        let one_line = format!("export type {} = {};", e.name, union.join(" | "));
        let many = format!("export type {} =\n  | {};", e.name, union.join("\n  | "));
        assert!(
            source.contains(&one_line) || source.contains(&many),
            "{}",
            e.name
        );
    }
    assert_eq!(
        const_array(&rules, "ROLES"),
        Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>()
    );
    assert!(records.contains(&format!(
        "export const SCHEMA_VERSION = {SCHEMA_VERSION};\n"
    )));
}

#[test]
fn every_enum_of_the_records_is_listed_once() {
    let mut used = Vec::new();
    for kind in RecordKind::ALL.iter().copied() {
        collect_enums(&Shape::Object(record_type(kind)), &mut used);
    }
    let mut used: Vec<&str> = used.iter().map(|e| e.name).collect();
    // The document's `type` is written by `Record::write_to`, not by a field.
    used.push("RecordKind");
    let listed: Vec<&str> = record_enums().iter().map(|e| e.name).collect();
    assert_eq!(
        used.iter().copied().collect::<BTreeSet<_>>(),
        listed.iter().copied().collect::<BTreeSet<_>>()
    );
    assert_eq!(
        listed.len(),
        listed.iter().collect::<BTreeSet<_>>().len(),
        "listed twice"
    );
}

/// The entries of `export const {name}: ... = [` ... `];`, as JSON.
fn table(source: &str, name: &str) -> Vec<serde_json::Value> {
    let head = format!("export const {name}: ");
    let start = source.find(&head).unwrap();
    let body = &source[start..];
    let body = &body[body.find("[\n").unwrap() + 2..body.find("\n];").unwrap()];
    body.lines()
        .map(|line| {
            let mut json = line.trim().trim_end_matches(',').to_owned();
            for key in [
                "kind", "from", "to", "roles", "action", "field", "access", "type", "append",
                "edit", "list", "fields", "once",
            ] {
                json = json.replace(&format!(" {key}: "), &format!(" \"{key}\": "));
            }
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{line}: {e}"))
        })
        .collect()
}

#[test]
fn rules_ts_holds_the_rust_tables_row_for_row() {
    let source = generated("rules.ts");
    let roles = |roles: &[Role]| roles.iter().map(|r| r.as_str()).collect::<Vec<_>>();
    let transitions: Vec<_> = TRANSITIONS
        .iter()
        .map(|t| {
            json!({"kind": t.kind().as_str(), "from": t.from.as_str(), "to": t.to.as_str(),
                   "roles": roles(t.roles), "action": t.action})
        })
        .collect();
    assert_eq!(table(&source, "TRANSITIONS"), transitions);

    let rules: Vec<_> = FIELD_RULES
        .iter()
        .map(
            |FieldRule {
                 kind,
                 field,
                 access,
             }| {
                let access = match access {
                    FieldAccess::Fixed => json!({"type": "fixed"}),
                    FieldAccess::Edit(allowed) => json!({"type": "edit", "roles": roles(allowed)}),
                    FieldAccess::Entries => json!({"type": "entries"}),
                    FieldAccess::Status => json!({"type": "status"}),
                };
                json!({"kind": kind.as_str(), "field": field, "access": access})
            },
        )
        .collect();
    assert_eq!(table(&source, "FIELD_RULES"), rules);

    let entries: Vec<_> = ENTRY_RULES
        .iter()
        .map(|rule| {
            let fields: Vec<_> = rule
                .fields
                .iter()
                .map(|f| json!({"field": f.field, "roles": roles(f.roles), "once": f.once}))
                .collect();
            json!({"kind": rule.kind.as_str(), "list": rule.list, "append": roles(rule.append),
                   "fields": fields})
        })
        .collect();
    assert_eq!(table(&source, "ENTRY_RULES"), entries);
}

#[test]
fn every_type_field_and_value_carries_its_rust_doc() {
    let mut missing = Vec::new();
    for object in all_object_types() {
        let item = docs::item(object.name);
        if item.doc.is_empty() {
            missing.push(object.name.to_owned());
        }
        let read: Vec<&str> = item.members.iter().map(|m| m.name.as_str()).collect();
        let described: Vec<&str> = object.fields.iter().map(|f| f.name).collect();
        assert_eq!(
            read, described,
            "{}: the fields read from the source are not those described, in that order",
            object.name
        );
        for member in item.members.iter().filter(|m| m.doc.is_empty()) {
            missing.push(format!("{}.{}", object.name, member.name));
        }
    }
    for e in record_enums().into_iter().chain(rule_enums()) {
        let item = docs::item(e.name);
        if item.doc.is_empty() {
            missing.push(e.name.to_owned());
        }
        let read: Vec<Option<&str>> = item.members.iter().map(|m| m.value.as_deref()).collect();
        let values: Vec<Option<&str>> = e.values.iter().map(|v| Some(*v)).collect();
        assert_eq!(read, values, "{}: values read from the source", e.name);
        for value in e.values.iter().filter(|v| item.value(v).is_empty()) {
            missing.push(format!("{}::{value}", e.name));
        }
    }
    let members: &[(&str, &[&str])] = &[
        ("Timestamp", &[]),
        ("DocumentId", &[]),
        ("Percent", &[]),
        ("SCHEMA_VERSION", &[]),
        ("TRANSITIONS", &[]),
        ("FIELD_RULES", &[]),
        ("Transition", &["from", "to", "roles", "action"]),
        ("FieldRule", &["kind", "field", "access"]),
        ("FieldAccess", &["Fixed", "Edit", "Entries", "Status"]),
    ];
    for (name, fields) in members {
        let item = docs::item(name);
        if item.doc.is_empty() {
            missing.push((*name).to_owned());
        }
        let read: Vec<&str> = item.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(&read, fields, "{name}");
        for field in fields.iter().filter(|f| item.member(f).is_empty()) {
            missing.push(format!("{name}.{field}"));
        }
    }
    assert!(missing.is_empty(), "no doc comment found for {missing:?}");
}

#[test]
fn doc_links_become_plain_code() {
    assert_eq!(
        docs::plain("changed only along [`crate::rules::TRANSITIONS`]."),
        "changed only along `TRANSITIONS`."
    );
    assert_eq!(
        docs::plain("are [`Timestamp`](crate::Timestamp)s, see [`Stored::upgrade`]"),
        "are `Timestamp`s, see `Stored::upgrade`"
    );
    assert_eq!(docs::plain("[`crate::derived`] [x]"), "`derived` [x]");
}
