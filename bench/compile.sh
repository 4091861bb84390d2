#!/usr/bin/env bash
# Compile-speed benchmark: a generated 200-table schema (DDL text and a live
# database with a few rows per table), and the profile cost on Northwind
# populated (611k rows). Prints the median of N runs for each case.
# Usage: bash bench/compile.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-15}
cargo build --release --quiet
bin=target/release/pgbridge
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work/schema200.sql" <<'PY'
import sys, random
random.seed(200)
types = ["INTEGER", "TEXT", "REAL", "BLOB", "NUMERIC(10,2)", "VARCHAR(80)", "BOOLEAN", "DATETIME", "JSON", ""]
out = []
for t in range(200):
    cols = ["id INTEGER PRIMARY KEY AUTOINCREMENT"]
    n = random.randint(4, 14)
    for c in range(n):
        ty = random.choice(types)
        extra = ""
        if ty == "BOOLEAN": extra = " NOT NULL DEFAULT 0"
        if ty == "DATETIME": extra = " DEFAULT CURRENT_TIMESTAMP"
        if ty == "TEXT" and c % 3 == 0: extra = " COLLATE NOCASE"
        cols.append(f"c{c} {ty}{extra}".replace("  ", " "))
    if t > 0:
        cols.append(f"parent_id INTEGER REFERENCES t{random.randrange(t)}(id) ON DELETE CASCADE")
    cols.append(f"CHECK (length(c0) < 1000)" if "TEXT" in cols[1] else "CHECK (id > 0)")
    out.append(f"CREATE TABLE t{t} (\n  " + ",\n  ".join(cols) + "\n);")
    out.append(f"CREATE INDEX t{t}_c1 ON t{t} (c1) WHERE c1 IS NOT NULL;")
    if t > 0:
        out.append(f"CREATE INDEX t{t}_parent ON t{t} (parent_id);")
    for r in range(5):
        out.append(f"INSERT INTO t{t} (id) VALUES ({r + 1});")
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
sqlite3 "$work/schema200.db" < "$work/schema200.sql"

median_ms() { # command... → median wall time in ms over $runs runs
    local times=()
    for _ in $(seq "$runs"); do
        local s e
        s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N)
        times+=($(( (e - s) / 1000 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}

echo "pgbridge compile, median of $runs runs (wall clock, ms)"
printf '  %-48s %8s ms\n' "200 tables, DDL text" "$(median_ms $bin compile "$work/schema200.sql" -o "$work/out1")"
printf '  %-48s %8s ms\n' "200 tables, live database (profile on)" "$(median_ms $bin compile "$work/schema200.db" -o "$work/out2")"
nw=../shared/corpus/northwind/dist/northwind_populated.db
if [ -f "$nw" ]; then
    r=$(( runs < 5 ? runs : 5 ))
    runs=$r
    printf '  %-48s %8s ms\n' "northwind_populated, --no-profile" "$(median_ms $bin compile "$nw" -o "$work/out3" --no-profile)"
    printf '  %-48s %8s ms\n' "northwind_populated, full profile (611k rows)" "$(median_ms $bin compile "$nw" -o "$work/out4")"
fi
