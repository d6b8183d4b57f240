#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the agreement tests, from Debian's packages
# (apt-get install -y postgresql): initdb in DIR, listening only on a Unix socket in DIR.
#
#   postgres.sh start DIR DATA_DIR     initialise, start, load DATA_DIR's CSV files (database kpi)
#   postgres.sh query DIR SQL_DIR OUT  run SQL_DIR/*.sql, write OUT/<name>.csv
#   postgres.sh stop DIR               stop the server and remove DIR
#
# Connect with: host=DIR dbname=kpi user=postgres. PostgreSQL refuses to run as root: as root,
# the server runs as the `postgres` user (DIR is handed to it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(dirname "$(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | tail -1)")"
if [ ! -x "$bin/pg_ctl" ] || [ ! -x "$bin/initdb" ]; then
  echo "postgres.sh: PostgreSQL server binaries not found (apt-get install -y postgresql)" >&2
  exit 3
fi
as_server=()
if [ "$(id -u)" = 0 ]; then as_server=(runuser -u postgres --); fi
cmd="$1"; dir="$2"
psql_=(psql -X -q -v ON_ERROR_STOP=1 -h "$dir" -U postgres)
case "$cmd" in
  start)
    data="$(cd "$3" && pwd)"
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; chmod o+x "$(dirname "$dir")"; fi
    "${as_server[@]}" "$bin/initdb" -D "$dir/db" -U postgres --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    "${as_server[@]}" "$bin/pg_ctl" -D "$dir/db" -l "$dir/server.log" -w \
      -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c TimeZone=Pacific/Auckland" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    "${psql_[@]}" -d postgres -c "CREATE DATABASE kpi"
    python3 "$here/tables.py" "$data" | "${psql_[@]}" -d kpi
    ;;
  query)
    out="$4"; mkdir -p "$out"
    for f in "$3"/*.sql; do
      "${psql_[@]}" -d kpi --csv -f "$f" -o "$out/$(basename "$f" .sql).csv"
    done
    ;;
  stop)
    if [ -d "$dir/db" ]; then "${as_server[@]}" "$bin/pg_ctl" -D "$dir/db" -m immediate stop >/dev/null || true; fi
    rm -rf "$dir"
    ;;
  *) echo "usage: postgres.sh start|query|stop DIR ..." >&2; exit 2 ;;
esac
