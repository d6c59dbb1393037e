//! `api.ts`: the REST API's JSON, from the wire types of [`crate::api`].
//!
//! Each type is listed below with its fields, once; the TypeScript type of every field is taken
//! from its Rust type by the compiler ([`Json`]), and a destructuring pattern without `..`
//! makes a field added to the Rust type a compile error here until it is listed. A test
//! serializes each type and checks the keys against this list (renames, skips, flattening).
//!
//! To add a REST type: define it in `shared/src/api.rs` (serde `Serialize`, `Default`), list it
//! in `api_types!` below, run `scripts/gen-web-types.sh`, and import it from
//! `web/src/generated/api.ts`.

use std::collections::BTreeMap;

use super::docs;
use super::records_ts::enum_type;
use super::shape::api_enums;
use super::ts::{self, Ts};
use crate::api::*;
use crate::assessment::RuleKind;
use crate::derived::Light;
use crate::rules::Role;

/// A Rust type as the web app sees it in JSON.
pub trait Json {
    /// Its TypeScript type.
    fn ts() -> String;
}

macro_rules! json_leaves {
    ($($ty:ty => $ts:literal),+ $(,)?) => {
        $(impl Json for $ty {
            fn ts() -> String {
                $ts.to_owned()
            }
        })+
    };
}

json_leaves!(
    String => "string",
    bool => "boolean",
    i32 => "number",
    i64 => "number",
    u64 => "number",
    f64 => "number",
    Role => "Role",
    Light => "Light",
    RuleKind => "RuleKind",
);

impl<T: Json> Json for Vec<T> {
    fn ts() -> String {
        let inner = T::ts();
        if inner.contains(' ') {
            format!("({inner})[]")
        } else {
            format!("{inner}[]")
        }
    }
}

impl<T: Json> Json for Option<T> {
    fn ts() -> String {
        format!("{} | null", T::ts())
    }
}

impl<T: Json> Json for BTreeMap<String, T> {
    fn ts() -> String {
        format!("Record<string, {}>", T::ts())
    }
}

/// A REST type as an interface.
#[derive(Debug, Clone)]
pub(super) struct ApiType {
    pub(super) name: &'static str,
    /// Types whose fields are flattened into this one (`#[serde(flatten)]`).
    pub(super) extends: Vec<String>,
    /// `(JSON key, Rust field, TypeScript type)`, in order.
    pub(super) fields: Vec<(&'static str, &'static str, String)>,
    /// `(key, TypeScript type)` of fields left out when none, after the others.
    pub(super) omitted: Vec<(&'static str, String)>,
    /// The keys serde writes for a default value (for the test).
    #[cfg(test)]
    pub(super) serialized_keys: fn() -> Vec<String>,
}

fn ts_of<O, T: Json>(_field: impl Fn(&O) -> &T) -> String {
    T::ts()
}

/// Lists the REST types. A field is `name`, or `name as "key"` for a serde rename; `; flatten
/// f` names a `#[serde(flatten)]` field, `; skip f` a `#[serde(skip)]` one, `; omitted f` an
/// `Option` left out when none (`skip_serializing_if`).
macro_rules! api_types {
    ($($ty:ident {
        $($field:ident $(as $key:literal)?),* $(,)?
        $(; flatten $flat:ident)?
        $(; skip $skip:ident)?
        $(; omitted $omitted:ident)?
    })+) => {
        $(impl Json for $ty {
            fn ts() -> String {
                stringify!($ty).to_owned()
            }
        })+

        pub(super) fn api_types() -> Vec<ApiType> {
            vec![$({
                let _every_field_is_listed = |value: &$ty| {
                    let $ty { $($field: _,)* $($flat: _,)? $($skip: _,)? $($omitted: _,)? } = value;
                };
                ApiType {
                    name: stringify!($ty),
                    extends: vec![$(ts_of(|value: &$ty| &value.$flat))?],
                    fields: vec![$((
                        api_types!(@key $field $($key)?),
                        stringify!($field),
                        ts_of(|value: &$ty| &value.$field),
                    )),*],
                    omitted: vec![$((stringify!($omitted), ts_of(|value: &$ty| &value.$omitted)))?],
                    #[cfg(test)]
                    serialized_keys: || {
                        let value = serde_json::to_value($ty::default()).unwrap();
                        value.as_object().unwrap().keys().cloned().collect()
                    },
                }
            }),+]
        }
    };
    (@key $field:ident) => { stringify!($field) };
    (@key $field:ident $key:literal) => { $key };
}

api_types! {
    Account { id, username, display_name, roles, unit, must_change_password; skip disabled }
    Tokens { access_token, refresh_token, expires_in, user }
    DirectoryUnit { id, name, parent }
    DirectoryUser { id, username, display_name, roles, unit, disabled }
    DirectoryAnswer { units, users }
    ListItem {
        id, kind as "type", title, doc_no, status, light, days_left, deadline, level, parent,
        rollup, urgency,
        is_major, lead_unit, co_units, handlers, supervisors, created_by, research_lead,
        research_unit, last_feedback, closed_at, progress_count, updated_at, damaged,
    }
    Rollup { children, closed, mean_progress, green, yellow, red }
    ListPage { items, next_cursor }
    InboxEntry { id, kind, record_id, record_kind, title, text, at, read }
    InboxPage { items, next_cursor, unread }
    LightCounts { green, yellow, red }
    OnTime { closed_with_deadline, on_time, rate }
    DashboardCounts { items, by_status, by_light, on_time, feedback_late }
    DashboardUnit { unit, name; flatten counts }
    LateFeedback { count, ids }
    Dashboard { at, period, units, totals, feedback_late }
    TrendPoint {
        period, from, to, active, new, closed, closed_with_deadline, on_time, rate, overdue,
    }
    DashboardTrend { kind, points }
    WeeklyCounts { new, progressed, closed, due_next_week, overdue }
    WeeklyUnit { unit, name; flatten counts }
    WeeklyItem {
        id, title, lead_unit, status, deadline, closed_at, new, progressed, closed,
        due_next_week, overdue,
    }
    WeeklyReport { week, from, to, units, totals, items, truncated }
    UploadProgress { sha256, complete, offset; omitted mime }
    DocumentSettings { issuer }
    BulletinItem { record_id, title, reasons }
    BulletinUnit { unit, name, items, more, remark }
    Bulletin {
        id, period, status, number, title, summary, criticised, praised, requirements,
        created_by, created_at, updated_at, published_at, published_by,
    }
    BulletinSummary {
        id, period, status, number, title, criticised, praised, created_by, created_at,
        published_at,
    }
    BulletinList { bulletins }
    NewBulletin { period, title, summary, requirements }
    UnitRemark { unit, remark }
    BulletinEdit { title, summary, requirements, criticised, praised }
}

const PREAMBLE: &str = "\
// The JSON of the REST API (`/api/*`) as the server writes it (duyan-shared's `api` module):
// instants are integer milliseconds since the epoch; a field typed `T | null` is always present,
// null meaning none; a field marked `?` is left out when none.";

/// The generated `api.ts`.
pub(super) fn api_ts() -> String {
    let mut ts = Ts::generated();
    ts.blank();
    ts.line(PREAMBLE);
    ts.blank();
    ts.line("import type { Role } from \"./rules\";");
    ts.blank();
    for e in api_enums() {
        enum_type(&mut ts, &e);
    }
    for api in api_types() {
        let item = docs::item(api.name);
        ts.doc("", &[&item.doc]);
        let extends = if api.extends.is_empty() {
            String::new()
        } else {
            format!(" extends {}", api.extends.join(", "))
        };
        ts.line(&format!("export interface {}{extends} {{", api.name));
        for (key, field, ty) in &api.fields {
            ts.doc("  ", &[item.member(field)]);
            ts.line(&format!("  {}: {ty};", key_name(key)));
        }
        for (key, ty) in &api.omitted {
            ts.doc("  ", &[item.member(key)]);
            let ty = ty.strip_suffix(" | null").unwrap_or(ty);
            ts.line(&format!("  {}?: {ty};", key_name(key)));
        }
        ts.line("}");
        ts.blank();
    }
    ts.finish()
}

/// A key as a TypeScript property name.
fn key_name(key: &str) -> String {
    if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        key.to_owned()
    } else {
        ts::string(key)
    }
}
