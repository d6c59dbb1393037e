#!/usr/bin/env bash
# Photo upload benchmark: 100 photos of 2 MB from 10 concurrent clients in 512 KiB parts,
# throughput and the server's peak memory (see photos.mjs for what is measured).
#
#   bash bench/photos.sh [--photos N] [--bytes B] [--clients C] [--part P]
#
# Builds target/release/duyan (cargo rebuilds only what changed; DUYAN_BIN uses another binary,
# BENCH_NO_BUILD=1 skips the build). Needs PostgreSQL on 127.0.0.1:5432 with trust auth for
# `postgres` (a scratch database is created and dropped) and Node 20. Results land in
# bench/results/ (git-ignored).
set -euo pipefail

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$bench_dir")"

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "photos.sh: PostgreSQL is not accepting connections on 127.0.0.1:5432" >&2
  exit 1
fi
if [[ -z "${DUYAN_BIN:-}" && -z "${BENCH_NO_BUILD:-}" ]]; then
  (cd "$repo_dir" && SQLX_OFFLINE=true cargo build --release -p duyan)
fi
exec timeout --signal=TERM --kill-after=30 "${BENCH_TIMEOUT:-900}" node "$bench_dir/photos.mjs" "$@"
