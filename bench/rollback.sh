#!/usr/bin/env bash
# Rollback benchmark (issue: zero-downtime move): `migrate --live`, sync and cutover of
# the narrow table, then 10,000 changed rows on PostgreSQL (updates, deletes, inserts)
# and one `pgbridge rollback`: its seconds, PostgreSQL's freeze, and verify after it.
#
# Usage: bash bench/rollback.sh [--rows N] [--changes N] [--pg 15|18]
#   --rows N      rows of the narrow table (default 2000000)
#   --changes N   rows changed on PostgreSQL after the cutover (default 10000)
#   --pg          15: the Debian server; 18: target/pg18 from .ci/install-pg
# Writes target/bench/rollback-results.json. See docs/live.md, "Rollback".
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)
out="$repo/target/bench"
rows=2000000
changes=10000
pg=15
while [ $# -gt 0 ]; do
    case "$1" in
    --rows) rows=$2; shift 2 ;;
    --changes) changes=$2; shift 2 ;;
    --pg) pg=$2; shift 2 ;;
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "rollback.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
say() { printf 'rollback: %s\n' "$*"; }
mkdir -p "$out"
cargo build --release --quiet
# shellcheck source=bench/cluster.sh
source bench/cluster.sh
python3 bench/rollback/run.py --bin "$repo/target/release/pgbridge" --psql "$psql_bin" \
    --host 127.0.0.1 --port "$port" --rows "$rows" --changes "$changes" \
    --work "$out/rollback-work" --results "$out/rollback-results.json"
