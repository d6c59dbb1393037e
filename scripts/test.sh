#!/usr/bin/env bash
# Runs every check and test: the web app's checks (types, lint, unit tests, build, size budget),
# formatting, clippy, Rust tests on real PostgreSQL, the interop tests with the real
# automerge-repo JavaScript client against the real server, and the browser tests (the built
# web app in Debian's headless Chromium against the real server).
#
# Machine packages the tests need (Chromium, a CJK font) are installed by scripts/setup.sh,
# which returns at once when they are there.
#
# PostgreSQL: uses TEST_DATABASE_URL if set, else the server on 127.0.0.1:5432 (user
# postgres); if none answers there, it starts a throwaway cluster with the machine's
# PostgreSQL binaries under target/test-pg.
set -euo pipefail
cd "$(dirname "$0")/.."
export SQLX_OFFLINE=true   # queries are checked against .sqlx/, no database needed to build
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

# Each step says how long the run has taken so far, to see where CI's minutes go.
step() { printf '\n==> [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }

pg_url=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if ! psql "$pg_url" -qAtc 'select 1' >/dev/null 2>&1; then
  step "no PostgreSQL at $pg_url: starting a throwaway cluster"
  pg_url=$(scripts/test-pg.sh start)
  trap 'scripts/test-pg.sh stop' EXIT
fi
export DATABASE_URL=$pg_url
export DUYAN_TEST_PG=${pg_url%/*}

step "machine packages (scripts/setup.sh)"
scripts/setup.sh

# Installs exactly the locked dependencies of the Node package in $1 (`npm ci`, which never
# writes the lock), unless node_modules is already newer than the lock. The locks list every
# platform's optional native packages; package.json pins cbor-extract to 2.2.2 (`overrides`)
# because the registry here lacks its 2.2.3 platform packages (README, "Run it").
npm_deps() {
  (cd "$1" && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; })
}

# The installs and the web build must leave the work tree as it was (a fresh clone stays
# clean): compared before and after, so local edits in progress do not trip it.
tree_state() { git status --porcelain 2>/dev/null || true; }
tree_before=$(tree_state)

step "installing JavaScript dependencies (web, tests/js)"
npm_deps web
npm_deps tests/js

step "web checks: tsc --noEmit, eslint, vitest, vite build, size budget"
npm --prefix web run check --silent

if [ "$(tree_state)" != "$tree_before" ]; then
  echo "the npm installs or the web build changed the work tree (git status):" >&2
  diff <(echo "$tree_before") <(tree_state) >&2 || true
  exit 1
fi

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

step "browser tests (the web app in Chromium against the real server; screenshots in target/screenshots)"
rm -rf target/screenshots
npm --prefix tests/js run test:browser --silent

step "all checks passed"
