#!/usr/bin/env bash
# Runs a command against a throw-away PostgreSQL cluster: initdb in a temporary directory,
# start it on a Unix socket only, export DATABASE_URL, run the command, stop and delete the
# cluster whatever happens. PostgreSQL refuses to run as root, so as root the server runs as
# the `postgres` system user (created if missing).
set -euo pipefail

if ! command -v initdb >/dev/null || ! command -v pg_ctl >/dev/null; then
  for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && PATH="$dir:$PATH"; done
fi
if ! command -v initdb >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && PATH="$dir:$PATH"; done
  fi
fi
command -v initdb >/dev/null || { echo "with-postgres: initdb not found; install PostgreSQL" >&2; exit 1; }

workdir=$(mktemp -d /tmp/civicdesk-pg.XXXXXX)
port=${PGTEST_PORT:-$((20000 + RANDOM % 20000))}
as_db_user=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$workdir"
  as_db_user=(runuser -u postgres --)
fi

stop() {
  "${as_db_user[@]}" pg_ctl -D "$workdir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap stop EXIT

"${as_db_user[@]}" initdb -D "$workdir/data" -U postgres --auth=trust --encoding=UTF8 \
  --locale=C.UTF-8 >/dev/null
"${as_db_user[@]}" pg_ctl -D "$workdir/data" -l "$workdir/server.log" -w \
  -o "-p $port -k $workdir -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off ${PGTEST_OPTIONS:-}" \
  start >/dev/null

export DATABASE_URL="postgres://postgres@/postgres?host=$workdir&port=$port"
echo "with-postgres: PostgreSQL $("${as_db_user[@]}" postgres --version | awk '{print $3}') on $workdir:$port"
"$@"
