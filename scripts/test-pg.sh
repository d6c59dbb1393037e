#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, for machines without one running.
# `start` prints its URL; `stop` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$PWD/target/test-pg
port=55432
bin=$(dirname "$(readlink -f "$(command -v pg_ctl || ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -1)")")
as_pg=()
if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); fi

case "${1:-}" in
  start)
    rm -rf "$dir" && mkdir -p "$dir"
    [ ${#as_pg[@]} -eq 0 ] || chown postgres "$dir"
    "${as_pg[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log"
    "${as_pg[@]}" "$bin/pg_ctl" start -w -D "$dir/data" -l "$dir/server.log" \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    "${as_pg[@]}" "$bin/pg_ctl" stop -D "$dir/data" -m immediate >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
