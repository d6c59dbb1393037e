#!/usr/bin/env bash
# Regenerates the web app's TypeScript from the domain crate: web/src/generated/records.ts (the
# record types, enums, SCHEMA_VERSION), rules.ts (roles, TRANSITIONS, FIELD_RULES) and api.ts
# (the REST API's JSON, from shared/src/api.rs).
# Run it after changing a record type, a rules table or a REST type, and commit the result: `cargo test`
# (and so scripts/test.sh) fails while the committed files differ from what this writes.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --quiet -p duyan-shared --bin gen-web-types
