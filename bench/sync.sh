#!/usr/bin/env bash
# Sync benchmark (issue: zero-downtime move): `migrate --live` of the narrow table, then
# the apply rate of a backlog of changed rows (beside the server's own upsert rate, the
# floor), commit-to-PostgreSQL lag p50/p99 with a writer at 100, 1,000 and max tx/s
# under `sync --follow`, and capture's cost to the writer's commit rate.
#
# Usage: bash bench/sync.sh [--rows N] [--pg 15|18]
#   --rows N   rows of the narrow table (default 2000000)
#   --pg       15: the Debian server; 18: target/pg18 from .ci/install-pg
# Writes target/bench/sync-results.json. See docs/benchmarks.md, "Sync".
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)
out="$repo/target/bench"
rows=2000000
pg=15
while [ $# -gt 0 ]; do
    case "$1" in
    --rows) rows=$2; shift 2 ;;
    --pg) pg=$2; shift 2 ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sync.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
say() { printf 'sync: %s\n' "$*"; }
mkdir -p "$out"
cargo build --release --quiet
# shellcheck source=bench/cluster.sh
source bench/cluster.sh
python3 bench/sync/run.py --bin "$repo/target/release/pgbridge" --psql "$psql_bin" \
    --host 127.0.0.1 --port "$port" --rows "$rows" --work "$out/sync-work" \
    --results "$out/sync-results.json"
