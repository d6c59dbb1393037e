#!/usr/bin/env bash
# Runs Duyan: builds the web app if needed, then the server (release build), which starts
# its own PostgreSQL under ./data unless DATABASE_URL is set, and prints its URL.
# Extra arguments go to `duyan serve` (e.g. --listen 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f web/dist/index.html ] || [ -n "$(find web -path web/dist -prune -o -path web/node_modules -prune -o -newer web/dist/index.html -type f -print -quit)" ]; then
  echo "building the web app..." >&2
  # `npm ci` installs exactly the lock and never rewrites it, so a fresh clone stays clean;
  # skipped while node_modules is newer than the lock.
  [ -d web/node_modules ] && [ web/node_modules/.package-lock.json -nt web/package-lock.json ] \
    || npm --prefix web ci --no-audit --no-fund --loglevel=error
  npm --prefix web run build --silent
fi
export SQLX_OFFLINE=true
exec cargo run --release --quiet --bin duyan -- serve "$@"
