#!/usr/bin/env bash
# Throwaway PostgreSQL server for the test suite.
#
#   scripts/pg.sh start   start a server (idempotent) and print its URL
#   scripts/pg.sh url     print the URL of the running server (exit 1 if none)
#   scripts/pg.sh stop    stop the server and delete its data directory
#
# The server runs as a non-root user (the system user "postgres" when this script
# runs as root), keeps its data in a fresh temp directory, listens on 127.0.0.1 on
# the first free port from $PG_PORT (default 54329) and trusts local connections:
# it is for tests only.  State lives in .pg/ at the project root:
# .pg/url (the URL), .pg/datadir, .pg/port (or $PG_STATE/… when PG_STATE is set).
#
# Typical use (what `make test` does):
#   scripts/pg.sh start
#   GRANSKNING_TEST_PG="$(scripts/pg.sh url)" GRANSKNING_REQUIRE_PG=1 .venv/bin/pytest
#   scripts/pg.sh stop
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${PG_STATE:-$ROOT/.pg}"   # PG_STATE: a second server beside the first
DBNAME="${PG_DBNAME:-granskning_test}"
PG_USER_NAME="postgres"   # the database superuser created by initdb

die() { echo "pg.sh: $*" >&2; exit 1; }

find_bindir() {
    local d
    for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
        [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && { echo "$d"; return 0; }
    done
    if command -v pg_config >/dev/null 2>&1; then
        d="$(pg_config --bindir)"
        [[ -x "$d/initdb" ]] && { echo "$d"; return 0; }
    fi
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return 0
    fi
    return 1
}

ensure_postgres() {
    if BINDIR="$(find_bindir)"; then return 0; fi
    if [[ "$(id -u)" -eq 0 ]]; then
        echo "pg.sh: PostgreSQL saknas; installerar med apt-get ..." >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2 || {
            DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2; }
        BINDIR="$(find_bindir)" || die "PostgreSQL installerades men initdb hittas inte"
    else
        echo "##############################################################" >&2
        echo "pg.sh: PostgreSQL IS NOT INSTALLED and this user is not root." >&2
        echo "pg.sh: install it (apt-get install postgresql) and run again." >&2
        echo "##############################################################" >&2
        exit 1
    fi
}

# Run a command as the unprivileged server user.
as_pg() {
    if [[ "$(id -u)" -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

running() {
    [[ -f "$STATE/datadir" ]] || return 1
    local datadir
    datadir="$(cat "$STATE/datadir")"
    [[ -d "$datadir" ]] || return 1
    as_pg "$BINDIR/pg_ctl" -D "$datadir" status >/dev/null 2>&1
}

cmd_start() {
    ensure_postgres
    if running; then
        cat "$STATE/url"
        return 0
    fi
    mkdir -p "$STATE"
    local datadir port
    datadir="$(mktemp -d /tmp/granskning-pg.XXXXXX)"
    chmod 700 "$datadir"
    [[ "$(id -u)" -eq 0 ]] && chown postgres: "$datadir"
    port="${PG_PORT:-54329}"
    while ! port_free "$port"; do
        port=$((port + 1))
        [[ "$port" -lt 65000 ]] || die "ingen ledig port hittades"
    done
    as_pg "$BINDIR/initdb" -D "$datadir" -U "$PG_USER_NAME" --auth=trust \
        --encoding=UTF8 --no-locale >"$datadir.initdb.log" 2>&1 \
        || { cat "$datadir.initdb.log" >&2; die "initdb misslyckades"; }
    # Sockets in the data directory: the default /var/run/postgresql may not exist.
    as_pg "$BINDIR/pg_ctl" -D "$datadir" -l "$datadir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $datadir -c fsync=off" start >/dev/null \
        || { cat "$datadir/server.log" >&2; die "servern startade inte"; }
    as_pg "$BINDIR/createdb" -h 127.0.0.1 -p "$port" -U "$PG_USER_NAME" -E UTF8 "$DBNAME"
    echo "$datadir" >"$STATE/datadir"
    echo "$port" >"$STATE/port"
    echo "postgresql://$PG_USER_NAME@127.0.0.1:$port/$DBNAME" >"$STATE/url"
    cat "$STATE/url"
}

cmd_stop() {
    ensure_postgres
    if [[ -f "$STATE/datadir" ]]; then
        local datadir
        datadir="$(cat "$STATE/datadir")"
        if [[ -d "$datadir" ]]; then
            as_pg "$BINDIR/pg_ctl" -D "$datadir" -m fast -w stop >/dev/null 2>&1 || true
            rm -rf -- "$datadir" "$datadir.initdb.log"
        fi
    fi
    rm -f "$STATE/datadir" "$STATE/port" "$STATE/url"
}

cmd_url() {
    ensure_postgres
    running || die "ingen testserver körs (kör: scripts/pg.sh start)"
    cat "$STATE/url"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    url) cmd_url ;;
    *) echo "Användning: $0 start|stop|url" >&2; exit 2 ;;
esac
