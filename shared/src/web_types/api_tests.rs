//! The REST types as listed for `api.ts` against what serde writes.

use std::collections::BTreeSet;

use super::api_ts::{ApiType, api_types};

/// The keys `api` has in JSON: its own, then those of the types it flattens.
fn listed_keys(api: &ApiType, all: &[ApiType]) -> BTreeSet<String> {
    let mut keys: BTreeSet<String> = api
        .fields
        .iter()
        .map(|(key, ..)| (*key).to_owned())
        .collect();
    for name in &api.extends {
        let inner = all
            .iter()
            .find(|other| other.name == name)
            .unwrap_or_else(|| panic!("{} flattens {name}, which is not listed", api.name));
        keys.extend(listed_keys(inner, all));
    }
    keys
}

#[test]
fn every_rest_type_lists_the_keys_serde_writes() {
    let all = api_types();
    for api in &all {
        let written: BTreeSet<String> = (api.serialized_keys)().into_iter().collect();
        assert_eq!(
            listed_keys(api, &all),
            written,
            "{}: the keys listed in web_types/api_ts.rs differ from its JSON (a rename, skip or \
             flatten not written there?)",
            api.name
        );
    }
}

#[test]
fn api_ts_declares_every_rest_type_once() {
    let source = super::api_ts::api_ts();
    for api in api_types() {
        let head = format!("export interface {} ", api.name);
        assert_eq!(source.matches(&head).count(), 1, "{}", api.name);
    }
    assert!(source.contains("export type Light = \"green\" | \"yellow\" | \"red\";"));
    assert!(
        source.contains("  type: string | null;"),
        "a renamed key: {source}"
    );
    assert!(source.contains("export interface DashboardUnit extends DashboardCounts {"));
    assert!(source.contains("  mime?: string;"));
    let account = source.split("export interface Account {").nth(1).unwrap();
    let account = account.split('}').next().unwrap();
    assert!(!account.contains("disabled"), "skipped: {account}");
}
