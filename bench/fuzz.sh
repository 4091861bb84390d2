#!/usr/bin/env bash
# Fuzzing: runs the cargo-fuzz targets of bench/fuzz (ddl_reader, predicate,
# expr_translate, compile_sql) one after another, each for SECONDS_PER_TARGET
# (default 600), single process, with a 10 s per-input timeout and a 2 GB RSS
# limit; then prints one line per target: execs, crash files, wall seconds.
# A panic, stack overflow, timeout or OOM is a crash: libFuzzer stops that
# target and writes the input to bench/fuzz/artifacts/<target>/; the other
# targets still run. Runs outside CI: it needs the nightly toolchain and
# takes minutes per target.
#
# Seeds are built at run time into bench/fuzz/corpus/<target>/ (git-ignored)
# from the read-only corpus beside the repository (../shared/corpus, or
# $PGBRIDGE_CORPUS) and from the rule pack:
#   ddl_reader, compile_sql  each database's schema text (`sqlite3 .schema`)
#                            and each of its CREATE statements on its own
#   expr_translate           the DEFAULT, CHECK, generated-column, index key
#                            and partial-index WHERE expressions cut out of
#                            those statements
#   predicate                the `when:` of every rules/*/*.yaml
# Inputs libFuzzer finds are kept in the same directories for the next run.
#
# Usage: bash bench/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Environment:
#   PGBRIDGE_FUZZ_NO_CONTROL_CHECK=1  compile_sql skips its control-character
#                                     check (the other invariants stay)
#   FUZZ_RUNS=N                       also stop a target after N executions
#   FUZZ_SANITIZER=address|none       (default none: the crate has no unsafe code)
#   FUZZ_MAX_LEN=BYTES                longest input libFuzzer makes (default 8192;
#                                     longer seeds are cut to it)
#   PGBRIDGE_CORPUS=DIR               the corpus of SQLite databases
# libFuzzer's output for each target goes to bench/fuzz/target/logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
all=(ddl_reader predicate expr_translate compile_sql)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi
fuzz_dir=bench/fuzz
corpus_src=${PGBRIDGE_CORPUS:-../shared/corpus}
runs=${FUZZ_RUNS:--1}
sanitizer=${FUZZ_SANITIZER:-none}
max_len=${FUZZ_MAX_LEN:-8192}

for t in "${targets[@]}"; do
    case " ${all[*]} " in *" $t "*) ;; *) echo "unknown target: $t (one of: ${all[*]})" >&2; exit 2 ;; esac
done
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
command -v sqlite3 >/dev/null || { echo "sqlite3 is needed to build the seeds" >&2; exit 2; }

# --- seeds -----------------------------------------------------------------
python3 - "$corpus_src" "$fuzz_dir/corpus" <<'PY'
import glob, hashlib, os, re, sqlite3, subprocess, sys
import yaml

src, out = sys.argv[1], sys.argv[2]
counts = {}

def seed(target, text):
    if not text.strip():
        return
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    data = text.encode("utf-8")
    name = "seed-" + hashlib.sha1(data).hexdigest()
    path = os.path.join(d, name)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    counts[target] = counts.get(target, 0) + 1

def balanced(s, i):
    """The text of the parenthesised group opening at s[i] == '(' (without
    the parentheses), honouring quotes; None when unbalanced."""
    depth, j, q = 0, i, None
    while j < len(s):
        c = s[j]
        if q:
            if c == q:
                q = None
        elif c in "'\"`":
            q = c
        elif c == "[":
            q = "]"
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return s[i + 1:j]
        j += 1
    return None

KW = re.compile(r"\b(DEFAULT|CHECK|AS)\s*", re.I)
def expressions(stmt):
    for m in KW.finditer(stmt):
        kw, i = m.group(1).upper(), m.end()
        if i < len(stmt) and stmt[i] == "(":
            e = balanced(stmt, i)
            if e is not None:
                yield e
                if kw == "DEFAULT":
                    yield "(" + e + ")"
        elif kw == "DEFAULT":
            t = re.match(r"'(?:[^']|'')*'|\"[^\"]*\"|[^\s,()]+", stmt[i:])
            if t:
                yield t.group(0)
    if re.match(r"\s*CREATE\s+(UNIQUE\s+)?INDEX", stmt, re.I):
        w = re.search(r"\bWHERE\b(.*)$", stmt, re.I | re.S)
        if w:
            yield w.group(1).strip().rstrip(";")
        on = re.search(r"\bON\s+\S+\s*\(", stmt, re.I)
        if on:
            keys = balanced(stmt, on.end() - 1)
            if keys:
                yield keys

dbs = sorted(p for ext in ("db", "sqlite", "sqlite3", "anki2")
             for p in glob.glob(os.path.join(src, "**", "*." + ext), recursive=True))
if not dbs:
    print(f"no databases under {src}: DDL and expression targets start from an empty corpus", file=sys.stderr)
for db in dbs:
    schema = subprocess.run(["sqlite3", f"file:{db}?immutable=1", ".schema"],
                            capture_output=True, text=True).stdout
    seed("ddl_reader", schema)
    seed("compile_sql", schema)
    con = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
    for (sql,) in con.execute("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL"):
        seed("ddl_reader", sql + ";")
        seed("compile_sql", sql + ";")
        for e in expressions(sql):
            seed("expr_translate", e.strip())
    con.close()

def whens(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "when" and isinstance(x, str):
                yield x
            else:
                yield from whens(x)
    elif isinstance(v, list):
        for x in v:
            yield from whens(x)

for path in sorted(glob.glob("rules/*/*.yaml")):
    with open(path) as f:
        for doc in yaml.safe_load_all(f):
            for w in whens(doc):
                seed("predicate", w)

print("seeds: " + ", ".join(f"{t} {n}" for t, n in sorted(counts.items())), file=sys.stderr)
PY

# --- build and run ---------------------------------------------------------
# Build once, then run the binaries directly, so no rebuild counts as fuzzing time.
cargo +nightly fuzz build --fuzz-dir "$fuzz_dir" -s "$sanitizer"
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
bin_dir="$fuzz_dir/target/$triple/release"
mkdir -p "$fuzz_dir/target/logs"
results=()
for t in "${targets[@]}"; do
    mkdir -p "$fuzz_dir/corpus/$t" "$fuzz_dir/artifacts/$t"
    log="$fuzz_dir/target/logs/$t.log"
    echo "fuzzing $t for ${secs}s (log: $log)" >&2
    start=$(date +%s)
    "$bin_dir/$t" -artifact_prefix="$fuzz_dir/artifacts/$t/" \
        -max_total_time="$secs" -runs="$runs" -max_len="$max_len" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        "$fuzz_dir/corpus/$t" >"$log" 2>&1 || true
    wall=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ -z "$execs" ]; then
        # No final stats (killed from outside): the last status line's count.
        execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    fi
    crashes=$(find "$fuzz_dir/artifacts/$t" -type f | wc -l)
    results+=("$(printf '%-15s %12s %8s %8s' "$t" "${execs:-0}" "$crashes" "$wall")")
done
printf '%-15s %12s %8s %8s\n' target execs crashes seconds
printf '%s\n' "${results[@]}"
