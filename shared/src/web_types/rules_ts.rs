//! `rules.ts`: roles, status moves and field permissions, written out from the `const` tables of
//! [`crate::rules`].

use super::docs::{self, Item};
use super::records_ts::enum_type;
use super::shape::rule_enums;
use super::ts::{self, Ts};
use crate::rules::{
    ENTRY_RULES, EntryField, EntryRule, FIELD_RULES, FieldAccess, FieldRule, Role, TRANSITIONS,
    Transition,
};

const PREAMBLE: &str = "\
// The server checks every change against these tables (Rust: `rules::check_change`); the app
// uses them to offer only what its user may do. Roles count per record (`rules::roles_on`): a
// handler acts as handler only on items where they are a handler or their unit is the lead or
// a co-operating unit, a researcher only on records they lead or are a member of. Holding any
// one of the listed roles is enough. A field without a rule may be changed by nobody.";

/// The generated `rules.ts`.
pub(super) fn rules_ts() -> String {
    let mut ts = Ts::generated();
    ts.blank();
    ts.line(PREAMBLE);
    ts.blank();
    ts.line("import type { RecordByKind, RecordKind, StatusByKind } from \"./records.js\";");
    ts.blank();
    for e in rule_enums() {
        enum_type(&mut ts, &e);
    }
    transitions(&mut ts);
    field_rules(&mut ts);
    entry_rules(&mut ts);
    ts.finish()
}

/// A property of a generated interface, documented from the Rust field of the same meaning.
fn property(ts: &mut Ts, item: &Item, rust_field: &str, declaration: &str) {
    ts.doc("  ", &[item.member(rust_field)]);
    ts.line(&format!("  readonly {declaration};"));
}

fn roles(roles: &[Role]) -> String {
    ts::string_array(roles.iter().map(|role| role.as_str()))
}

fn transitions(ts: &mut Ts) {
    let item = docs::item("Transition");
    ts.doc("", &[&item.doc]);
    ts.line("export interface TransitionOf<K extends RecordKind> {");
    ts.doc(
        "  ",
        &[&ts::text("The kind of record this move belongs to.")],
    );
    ts.line("  readonly kind: K;");
    property(ts, &item, "from", "from: StatusByKind[K]");
    property(ts, &item, "to", "to: StatusByKind[K]");
    property(ts, &item, "roles", "roles: readonly Role[]");
    property(ts, &item, "action", "action: string");
    ts.line("}");
    ts.blank();
    ts.doc(
        "",
        &[&ts::text(
            "A move of either kind of record; `kind` tells which.",
        )],
    );
    ts.line("export type Transition = { [K in RecordKind]: TransitionOf<K> }[RecordKind];");
    ts.blank();

    ts.doc("", &[&docs::item("TRANSITIONS").doc]);
    ts.line("export const TRANSITIONS: readonly Transition[] = [");
    for transition in TRANSITIONS {
        let Transition {
            from,
            to,
            roles: allowed,
            action,
        } = transition;
        ts.line(&format!(
            "  {{ kind: {}, from: {}, to: {}, roles: {}, action: {} }},",
            ts::string(transition.kind().as_str()),
            ts::string(from.as_str()),
            ts::string(to.as_str()),
            roles(allowed),
            ts::string(action),
        ));
    }
    ts.line("];");
    ts.blank();
}

fn field_rules(ts: &mut Ts) {
    let access = docs::item("FieldAccess");
    ts.doc("", &[&access.doc]);
    ts.line("export type FieldAccess =");
    ts.doc("  ", &[access.member("Fixed")]);
    ts.line("  | { readonly type: \"fixed\" }");
    ts.doc("  ", &[access.member("Edit")]);
    ts.line("  | { readonly type: \"edit\"; readonly roles: readonly Role[] }");
    ts.doc("  ", &[access.member("Entries")]);
    ts.line("  | { readonly type: \"entries\" }");
    ts.doc("  ", &[access.member("Status")]);
    ts.line("  | { readonly type: \"status\" };");
    ts.blank();

    ts.doc(
        "",
        &[&ts::text(
            "A top-level field of a record: a key of its document's root map other than `type` \
             and `schema_version`.",
        )],
    );
    ts.line("export type RecordField<R> = Exclude<keyof R, \"type\" | \"schema_version\">;");
    ts.blank();

    let rule = docs::item("FieldRule");
    ts.doc("", &[&rule.doc]);
    ts.line("export interface FieldRuleOf<K extends RecordKind> {");
    property(ts, &rule, "kind", "kind: K");
    property(ts, &rule, "field", "field: RecordField<RecordByKind[K]>");
    property(ts, &rule, "access", "access: FieldAccess");
    ts.line("}");
    ts.blank();
    ts.doc(
        "",
        &[&ts::text(
            "The rule of a field of either kind of record; `kind` tells which.",
        )],
    );
    ts.line("export type FieldRule = { [K in RecordKind]: FieldRuleOf<K> }[RecordKind];");
    ts.blank();

    ts.doc("", &[&docs::item("FIELD_RULES").doc]);
    ts.line("export const FIELD_RULES: readonly FieldRule[] = [");
    for FieldRule {
        kind,
        field,
        access,
    } in FIELD_RULES
    {
        ts.line(&format!(
            "  {{ kind: {}, field: {}, access: {} }},",
            ts::string(kind.as_str()),
            ts::string(field),
            access_literal(*access),
        ));
    }
    ts.line("];");
}

fn access_literal(access: FieldAccess) -> String {
    match access {
        FieldAccess::Fixed => "{ type: \"fixed\" }".to_owned(),
        FieldAccess::Edit(allowed) => format!("{{ type: \"edit\", roles: {} }}", roles(allowed)),
        FieldAccess::Entries => "{ type: \"entries\" }".to_owned(),
        FieldAccess::Status => "{ type: \"status\" }".to_owned(),
    }
}

fn entry_rules(ts: &mut Ts) {
    ts.blank();
    let field = docs::item("EntryField");
    ts.doc("", &[&field.doc]);
    ts.line("export interface EntryField {");
    property(ts, &field, "field", "field: string");
    property(ts, &field, "roles", "roles: readonly Role[]");
    property(ts, &field, "once", "once: boolean");
    ts.line("}");
    ts.blank();
    let rule = docs::item("EntryRule");
    ts.doc("", &[&rule.doc]);
    ts.line("export interface EntryRuleOf<K extends RecordKind> {");
    property(ts, &rule, "kind", "kind: K");
    property(ts, &rule, "list", "list: RecordField<RecordByKind[K]>");
    property(ts, &rule, "append", "append: readonly Role[]");
    property(ts, &rule, "fields", "fields: readonly EntryField[]");
    ts.line("}");
    ts.blank();
    ts.doc(
        "",
        &[&ts::text(
            "The rule of a list of entries of either kind of record; `kind` tells which.",
        )],
    );
    ts.line("export type EntryRule = { [K in RecordKind]: EntryRuleOf<K> }[RecordKind];");
    ts.blank();
    ts.doc("", &[&docs::item("WITHDRAWN").doc]);
    ts.line(&format!(
        "export const WITHDRAWN = {};",
        ts::string(crate::rules::WITHDRAWN)
    ));
    ts.blank();
    ts.doc("", &[&docs::item("ENTRY_RULES").doc]);
    ts.line("export const ENTRY_RULES: readonly EntryRule[] = [");
    for EntryRule {
        kind,
        list,
        append,
        fields,
    } in ENTRY_RULES
    {
        let fields: Vec<String> = fields
            .iter()
            .map(
                |EntryField {
                     field,
                     roles: allowed,
                     once,
                 }| {
                    format!(
                        "{{ field: {}, roles: {}, once: {once} }}",
                        ts::string(field),
                        roles(allowed)
                    )
                },
            )
            .collect();
        ts.line(&format!(
            "  {{ kind: {}, list: {}, append: {}, fields: [{}] }},",
            ts::string(kind.as_str()),
            ts::string(list),
            roles(append),
            fields.join(", ")
        ));
    }
    ts.line("];");
}
