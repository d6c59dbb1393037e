#!/usr/bin/env bash
# Benchmarks duyan against the stock automerge-repo sync server, same clients for both.
#
#   bash bench/run.sh [--servers reference,duyan] [--scenarios burst,edits,cold,memory] [--quick]
#   BENCH_CLIENTS=native bash bench/run.sh ...   (the native Rust clients of bench/native)
#
# Installs bench/node_modules if missing (npm install), builds target/release/duyan (cargo
# rebuilds only what changed; set DUYAN_BIN to use another binary instead, or
# BENCH_NO_BUILD=1 to skip), then runs bench.mjs. Needs PostgreSQL on 127.0.0.1:5432 (or the
# port in BENCH_PG_PORT) with trust auth for `postgres`.
# Results land in bench/results/ (git-ignored). The whole run is bounded by BENCH_TIMEOUT
# seconds (default 3600).
set -euo pipefail

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$bench_dir")"
cd "$bench_dir"

# `npm ci`: exactly the lock, which it never rewrites (skipped while node_modules is newer).
if [[ ! node_modules/.package-lock.json -nt package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi

wants_duyan=1
for arg in "$@"; do
  [[ "$arg" == "reference" || "$arg" == "--servers=reference" ]] && wants_duyan=0
done
if [[ $wants_duyan == 1 ]]; then
  if ! pg_isready -q -h 127.0.0.1 -p "${BENCH_PG_PORT:-5432}"; then
    echo "run.sh: PostgreSQL is not accepting connections on 127.0.0.1:${BENCH_PG_PORT:-5432}" >&2
    exit 1
  fi
  if [[ -z "${DUYAN_BIN:-}" && -z "${BENCH_NO_BUILD:-}" ]]; then
    (cd "$repo_dir" && SQLX_OFFLINE=true cargo build --release -p duyan)
  fi
fi
# BENCH_CLIENTS=native: the clients are bench/native's Rust process, not automerge-repo in Node.
if [[ "${BENCH_CLIENTS:-}" == native && -z "${BENCH_LOADGEN:-}" && -z "${BENCH_NO_BUILD:-}" ]]; then
  (cd "$repo_dir" && cargo build --release -p duyan-loadgen)
fi

exec timeout --signal=TERM --kill-after=30 "${BENCH_TIMEOUT:-3600}" node bench.mjs "$@"
