#!/usr/bin/env bash
# Runs every check and test: formatting, clippy, Rust tests on real PostgreSQL, and the
# interop tests with the real automerge-repo JavaScript client against the real server.
#
# PostgreSQL: uses TEST_DATABASE_URL if set, else the server on 127.0.0.1:5432 (user
# postgres); if none answers there, it starts a throwaway cluster with the machine's
# PostgreSQL binaries under target/test-pg.
set -euo pipefail
cd "$(dirname "$0")/.."
export SQLX_OFFLINE=true   # queries are checked against .sqlx/, no database needed to build
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step() { printf '\n==> %s\n' "$*" >&2; }

pg_url=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if ! psql "$pg_url" -qAtc 'select 1' >/dev/null 2>&1; then
  step "no PostgreSQL at $pg_url: starting a throwaway cluster"
  pg_url=$(scripts/test-pg.sh start)
  trap 'scripts/test-pg.sh stop' EXIT
fi
export DATABASE_URL=$pg_url
export DUYAN_TEST_PG=${pg_url%/*}

step "installing JavaScript test dependencies"
# `npm install` rather than `npm ci`: npm 11 leaves cbor-x's optional native packages out of
# the lock file and `npm ci` then refuses it; install still follows the lock for the rest.
(cd tests/js && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm install --no-audit --no-fund --loglevel=error; })
npm --prefix web run build --silent

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "building the server"
cargo build --quiet --bin duyan
export DUYAN_BIN=$PWD/target/debug/duyan

step "Rust tests (real PostgreSQL)"
cargo test --workspace --quiet

step "interop tests (automerge-repo JS client against the real server)"
npm --prefix tests/js test --silent

step "all checks passed"
