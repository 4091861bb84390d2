#!/usr/bin/env bash
# Per-database compile report over ../shared/corpus: tables migrated, warnings,
# errors, and the compile time, with the target each test server offers
# (15: citext + pgcrypto; 18: citext + pgvector). Applying on real PostgreSQL is
# proven by `cargo test --test corpus`; this prints the numbers for people.
# Usage: bash bench/corpus_report.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/pgbridge
corpus=../shared/corpus
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '| database | tables in | tables out | warnings | errors | ms |\n|---|---:|---:|---:|---:|---:|\n'
for db in $(cd "$corpus" && find . -name '*.db' -o -name '*.sqlite' -o -name '*.sqlite3' -o -name '*.anki2' | sed 's|^\./||' | sort); do
    s=$(date +%s%N)
    "$bin" compile "$corpus/$db" -o "$out/set" --reporter json --extensions citext,vector > "$out/diag.json" 2>/dev/null || true
    e=$(date +%s%N)
    python3 - "$out/diag.json" "$out/set/01_schema.sql" "$corpus/$db" "$db" $(( (e - s) / 1000000 )) <<'PY'
import json, sqlite3, sys
diags = json.load(open(sys.argv[1]))
tables_out = open(sys.argv[2]).read().count("\nCREATE TABLE ")
con = sqlite3.connect(f"file:{sys.argv[3]}?mode=ro&immutable=1", uri=True)
tables_in = con.execute("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").fetchone()[0]
w = sum(d["severity"] == "warning" for d in diags)
e = sum(d["severity"] == "error" for d in diags)
print(f"| {sys.argv[4]} | {tables_in} | {tables_out} | {w} | {e} | {sys.argv[5]} |")
PY
done
