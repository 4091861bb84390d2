"""The data-load benchmark proper, run by bench/load.sh once the cluster is up.

For narrow.db and wide.db: compile the typed table with pgbridge (01_schema.sql), then
time each method loading into that same table, empty before each method, and count the
rows after it; then Northwind end to end (pgbridge migrate vs pgloader). Prints a table
and writes the results as JSON.
"""
import argparse
import hashlib
import json
import os
import re
import resource
import shlex
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 600
TARGETS = {"duckdb": 1.1, "pgloader": 5.0, "ceiling": 0.9}
RSS_TARGET_MB = 100
VERIFY_TARGET = 0.5  # verify seconds ÷ migrate's data-phase seconds

A = None  # parsed arguments


def say(msg):
    print(f"load: {msg}", flush=True)


def short(text, n=300):
    text = re.sub(r"\\x[0-9a-fA-F]{16,}", r"\\x…", " ".join(str(text).split()))
    return re.sub(r"^\S+Z (ERROR|FATAL) ", "", text)[:n]


def url(db):
    return f"postgresql://{A.user}@{A.host}:{A.port}/{db}"


def run(cmd, timeout=TIMEOUT, shell=False, env=None):
    """(returncode, stdout, stderr, seconds); returncode 124 on timeout."""
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, shell=shell, capture_output=True, text=True, timeout=timeout,
                           env=env, executable="/bin/bash" if shell else None, errors="replace")
        return p.returncode, p.stdout, p.stderr, time.monotonic() - start
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return 124, out, f"timed out after {timeout} s", time.monotonic() - start


def psql_cmd(db):
    return [A.psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db]


def psql(db, sql, timeout=TIMEOUT):
    rc, out, err, _ = run(psql_cmd(db) + ["-c", sql], timeout=timeout)
    if rc != 0:
        raise RuntimeError(f"psql failed ({short(sql, 80)}): {short(err)}")
    return out.strip()


def fresh_db(db):
    psql("postgres", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    psql("postgres", f'CREATE DATABASE "{db}"')


def drop_db(db):
    psql("postgres", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def qi(name):
    return '"' + name.replace('"', '""') + '"'


def count_and_digest(db, qtable):
    """Row count and order-independent digests of the rows' text forms: one for the whole
    row and one per column (so a difference between methods names its column)."""
    cols = psql(db, f"SELECT attname FROM pg_attribute WHERE attrelid = '{qtable}'::regclass"
                    " AND attnum > 0 AND NOT attisdropped ORDER BY attnum").splitlines()
    sums = "".join(f", coalesce(sum(hashtext(t.{qi(c)}::text)::bigint), 0)" for c in cols)
    out = psql(db, f"SELECT count(*), coalesce(sum(hashtext(t::text)::bigint), 0){sums} FROM {qtable} t")
    n, digest, *per_col = out.split("|")
    return int(n), {"row": int(digest), **{c: int(v) for c, v in zip(cols, per_col)}}


def all_rows(db):
    """Exact row count summed over every user table of a database (pgbridge's own
    bookkeeping schema excluded)."""
    tables = psql(db, "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname"
                      " NOT IN ('pg_catalog', 'information_schema', 'pgbridge')").splitlines()
    if not tables:
        return 0
    return int(psql(db, "SELECT " + " + ".join(f"(SELECT count(*) FROM {t})" for t in tables)))


def sqlite_rows(path, table=None):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    if table:
        tables = [table]
    else:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    n = sum(con.execute(f"SELECT count(*) FROM {qi(t)}").fetchone()[0] for t in tables)
    con.close()
    return n


def time_rss(cmd, rss_file):
    return ["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd


def read_rss_kb(rss_file):
    try:
        lines = [l for l in open(rss_file).read().split() if l.isdigit()]
        return int(lines[-1]) if lines else None
    except OSError:
        return None


def migrate_available():
    rc, _, _, _ = run([A.bin, "migrate", "--help"], timeout=30)
    return rc == 0


# --- methods ---------------------------------------------------------------------------
# Each returns a result dict: method, status ("ok" or "failed: …"), rows, seconds, note.

def result(method, status, rows=None, seconds=None, **extra):
    r = {"method": method, "status": status, "rows": rows, "seconds": seconds,
         "rows_per_s": (rows / seconds) if rows and seconds else None}
    r.update(extra)
    return r


def m_pgbridge(ds, expected):
    if not migrate_available():
        say("pgbridge migrate not available (this build has no `migrate` subcommand): skipped")
        return result("pgbridge", "failed: pgbridge migrate not available")
    db = f"pgb_{ds['name']}"
    fresh_db(db)
    report = os.path.join(A.work, f"pgbridge-{ds['name']}.report.json")
    rss_file = os.path.join(A.work, f"pgbridge-{ds['name']}.rss")
    for f in (report, rss_file):
        if os.path.exists(f):
            os.remove(f)
    rejects = os.path.join(A.work, f"pgbridge-{ds['name']}.rejects.jsonl")
    cmd = time_rss([A.bin, "migrate", ds["sqlite"], url(db), "--jobs", "2", "--report", report,
                    "--rejects", rejects], rss_file)
    rc, out, err, wall = run(cmd)
    rss = read_rss_kb(rss_file)
    try:
        rep = json.load(open(report))
    except (OSError, ValueError):
        rep = None
    extra = {"wall_s": wall, "peak_rss_kb": rss, "command": shlex.join(cmd[5:])}
    if rc != 0 or not rep:
        drop_db(db)
        return result("pgbridge", f"failed: exit {rc}: {short(err or out)}", **extra)
    data_s = rep.get("phases", {}).get("data_s")
    extra["phases"] = rep.get("phases")
    extra["verify"] = verify_timings(rep, ds["sqlite"], db, ds["name"])
    qtable = find_table(db, ds["table"])
    n, digest = count_and_digest(db, qtable) if qtable else (None, None)
    status = "ok" if n == expected else f"failed: {n} of {expected} rows"
    if status == "ok" and not extra["verify"]["matches"]:
        status = "failed: verify found a difference"
    if status == "ok":
        extra["verify"]["floor"] = verify_floor(ds, db, qtable, data_s)
    if status == "ok":
        export(ds, "pgbridge", db, qtable)
    drop_db(db)
    return result("pgbridge", status, n, data_s, digest=digest, **extra)


def verify_timings(rep, sqlite_path, db, name):
    """The verify that ended the migrate run (from its report), then `pgbridge verify`
    as a process of its own on the loaded database: seconds and ratio to the data phase."""
    phases = rep.get("phases", {})
    data_s = phases.get("data_s")
    in_run = phases.get("verify_s")
    vreport = os.path.join(A.work, f"pgbridge-{name}.verify.json")
    if os.path.exists(vreport):
        os.remove(vreport)
    rc, out, err, wall = run([A.bin, "verify", sqlite_path, url(db), "--report", vreport])
    try:
        vrep = json.load(open(vreport))
    except (OSError, ValueError):
        vrep = {}
    matches = rc == 0 and vrep.get("status") == "match" and \
        all(t.get("matches") for t in (rep.get("verify") or [{"matches": False}]))
    ratio = (lambda s: (s / data_s) if s and data_s else None)
    return {"in_run_s": in_run, "in_run_ratio": ratio(in_run), "process_s": wall,
            "process_ratio": ratio(wall), "matches": matches, "plan": vrep.get("plan"),
            "exit": rc, "error": None if rc == 0 else short(err or out)}


def cluster_cpu_s(pm):
    """CPU seconds used so far by the server's processes: each live child, plus what
    the postmaster has reaped from exited ones (a finished backend's time)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields after the name: state ppid … utime(12) stime(13) cutime(14) cstime(15)
        if int(pid) == pm:
            total += sum(int(x) for x in f[11:15])
        elif int(f[1]) == pm:
            total += int(f[11]) + int(f[12])
    return total / tick


def verify_floor(ds, db, qtable, data_s):
    """The least CPU any verify that reads both sides in full must spend, measured here:
    PostgreSQL writing every row (binary COPY, the cheapest way out), SQLite visiting
    every value (count of each column), and SHA-256 over the rows' bytes once per side.
    Spread over every core with nothing else to do, that is the fastest such a verify
    could be; its ratio to the data phase says whether a target below it can be met."""
    pm = int(open(os.path.join(psql("postgres", "SHOW data_directory"), "postmaster.pid")).readline())
    before = cluster_cpu_s(pm)
    copy = subprocess.Popen(psql_cmd(db) + ["-c", f"COPY {qtable} TO STDOUT (FORMAT binary)"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    nbytes = 0
    while True:
        b = copy.stdout.read(1 << 20)
        if not b:
            break
        nbytes += len(b)
    if copy.wait() != 0:
        return None
    time.sleep(0.3)
    pg_cpu = cluster_cpu_s(pm) - before
    cols = ", ".join(f"count({qi(n)})" for n, _ in ds["columns"])
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    rc, _, _, _ = run(["sqlite3", ds["sqlite"], f"SELECT count(*), {cols} FROM {qi(ds['table'])}"])
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if rc != 0:
        return None
    sqlite_cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    buf = os.urandom(64 << 20)
    t0 = time.process_time()
    hashlib.sha256(buf).digest()
    sha_cpu = 2 * nbytes / (len(buf) / (time.process_time() - t0))
    cores = os.cpu_count() or 1
    floor_s = (pg_cpu + sqlite_cpu + sha_cpu) / cores
    return {"postgres_cpu_s": pg_cpu, "sqlite_cpu_s": sqlite_cpu, "sha256_cpu_s": sha_cpu,
            "bytes": nbytes, "cores": cores, "floor_s": floor_s,
            "floor_ratio": floor_s / data_s if data_s else None}


def m_duckdb(ds, expected):
    spec = {"ext_dir": A.ext_dir, "sqlite": ds["sqlite"],
            "pg": f"host={A.host} port={A.port} user={A.user} dbname={ds['db']}",
            "schema": ds["schema"], "table": ds["table"], "columns": ds["columns"], "kinds": ds["kinds"], "threads": 2}
    rc, out, err, wall = run([sys.executable, os.path.join(HERE, "duck_load.py"), json.dumps(spec)])
    try:
        r = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        r = {"error": f"exit {rc}: {short(err)}"}
    extra = {"wall_s": wall, "version": r.get("duckdb"), "note": ds.get("duck_note")}
    if "error" in r:
        return result("duckdb", f"failed: {r['error']}", **extra)
    return finish("duckdb", ds, expected, r["seconds"], **extra)


def m_pgloader(ds, expected):
    load = os.path.join(A.work, f"pgloader-{ds['name']}.load")
    with open(load, "w") as f:
        f.write(f"""LOAD DATABASE
  FROM sqlite://{ds['sqlite']}
  INTO {url(ds['db'])}
  WITH data only, truncate, create no tables, create no indexes, reset no sequences, no foreign keys
  INCLUDING ONLY TABLE NAMES LIKE '{ds['table']}';
""")
    log = os.path.join(A.work, f"pgloader-{ds['name']}.log")
    cmd = ["timeout", str(TIMEOUT), "pgloader", "--logfile", log, load]
    rc, out, err, wall = run(cmd, timeout=TIMEOUT + 30)
    n, _ = count_and_digest(ds["db"], ds["qtable"])
    errors = [l for l in (out + "\n" + err).splitlines() if " ERROR " in l or "FATAL" in l]
    if rc != 0 or n != expected:
        reason = short(errors[0], 300) if errors else short(err or out, 300)
        if rc == 124:
            reason = f"timed out after {TIMEOUT} s"
        return result("pgloader", f"failed: loaded {n} of {expected} rows (exit {rc}): {reason}",
                      wall_s=wall, command=shlex.join(cmd))
    return finish("pgloader", ds, expected, wall, command=shlex.join(cmd), log=os.path.relpath(log, A.repo))


def csv_expr(col, pg_type, sqlite_kind):
    c = qi(col)
    t = pg_type.lower()
    if t == "bytea":
        # hex(NULL) is '' in SQLite, so NULL needs its own branch
        return f"CASE WHEN {c} IS NULL THEN NULL ELSE '\\x' || hex({c}) END"
    if t in ("double precision", "real"):
        # the shell prints REAL with 15 significant digits: 17 keep every double exact
        return f"CASE WHEN {c} IS NULL THEN NULL ELSE printf('%!.17g', {c}) END"
    if t.startswith("timestamp") and sqlite_kind == "integer":
        # epoch milliseconds
        return (f"CASE WHEN {c} IS NULL THEN NULL ELSE strftime('%Y-%m-%d %H:%M:%S', {c} / 1000, 'unixepoch')"
                f" || printf('.%03d', {c} % 1000) || '+00' END")
    if t in ("real[]", "double precision[]") or t.startswith("vector"):
        raise ValueError(f"{col}: sqlite3 has no way to decode a float32 BLOB into {pg_type}")
    return c


def m_csv(ds, expected):
    try:
        exprs = [csv_expr(n, t, ds["kinds"].get(n)) for n, t in ds["columns"]]
    except ValueError as e:
        return result("sqlite3|psql", f"failed: {e}")
    select = f"SELECT {', '.join(exprs)} FROM {qi(ds['table'])}"
    cols = ", ".join(qi(n) for n, _ in ds["columns"])
    copy = f"\\copy {ds['qtable']} ({cols}) FROM STDIN (FORMAT csv)"
    cmd = (f"set -o pipefail; sqlite3 -csv {shlex.quote(ds['sqlite'])} {shlex.quote(select)}"
           f" | {shlex.join(psql_cmd(ds['db']))} -c {shlex.quote(copy)}")
    rc, out, err, wall = run(cmd, shell=True)
    if rc != 0:
        return result("sqlite3|psql", f"failed: exit {rc}: {short(err)}", command=cmd)
    return finish("sqlite3|psql", ds, expected, wall, command=cmd)


def m_ceiling(ds, expected):
    exp = ds.get("export")
    if not exp:
        return result("ceiling", "failed: no method loaded the whole table, nothing to export")
    sql = f"COPY {ds['qtable']} FROM '{exp}' (FORMAT binary)"
    cmd = psql_cmd(ds["db"]) + ["-c", sql]
    rc, out, err, wall = run(cmd)
    if rc != 0:
        return result("ceiling", f"failed: {short(err)}")
    return finish("ceiling", ds, expected, wall, command=sql,
                  file_mb=round(ds["export_bytes"] / 1e6, 1), exported_from=ds["export_from"])


def finish(method, ds, expected, seconds, **extra):
    n, digest = count_and_digest(ds["db"], ds["qtable"])
    status = "ok" if n == expected else f"failed: {n} of {expected} rows"
    return result(method, status, n, seconds, digest=digest, **extra)


def repeated(m, ds, expected):
    """--repeat runs of one method, each from an empty table; the median run is kept
    (a failed run ends the series and is reported)."""
    runs = []
    for _ in range(A.repeat):
        if m is not m_pgbridge:
            reset(ds)
        r = m(ds, expected)
        if r["status"] != "ok":
            return r
        runs.append(r)
    runs.sort(key=lambda r: r["seconds"])
    r = runs[(len(runs) - 1) // 2]
    r["runs_s"] = [round(x["seconds"], 3) for x in runs]
    return r


def reset(ds):
    psql(ds["db"], f"TRUNCATE {ds['qtable']}")
    psql(ds["db"], "CHECKPOINT")


def export(ds, method, db=None, qtable=None):
    """After the first complete load: the server writes the table as a binary COPY file."""
    if ds.get("export"):
        return
    path = os.path.join(A.export, f"{ds['name']}.bin")
    psql(db or ds["db"], f"COPY {qtable or ds['qtable']} TO '{path}' (FORMAT binary)")
    ds.update(export=path, export_bytes=os.path.getsize(path), export_from=method)


def find_table(db, table):
    out = psql(db, "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c"
                   " JOIN pg_namespace n ON n.oid = c.relnamespace"
                   f" WHERE c.relname = '{table}' AND c.relkind IN ('r', 'p')"
                   " AND n.nspname NOT IN ('pg_catalog', 'information_schema') LIMIT 1")
    return out or None


def bench_dataset(name):
    sqlite_path = os.path.join(A.data, f"{name}.db")
    expected = sqlite_rows(sqlite_path, name)
    ds = {"name": name, "table": name, "sqlite": sqlite_path, "db": f"load_{name}",
          "compiled": os.path.join(A.work, "compiled", name)}
    say(f"{name}: {expected} rows, {os.path.getsize(sqlite_path) / 1e6:.0f} MB")
    out = {"dataset": name, "rows": expected, "sqlite_mb": round(os.path.getsize(sqlite_path) / 1e6, 1),
           "methods": []}

    # the typed table: pgbridge compile against the extensions this server offers
    avail = set(psql("postgres", "SELECT name FROM pg_available_extensions").split())
    exts = [e for e in ("citext", "pgcrypto", "vector") if e in avail]
    run(["rm", "-rf", ds["compiled"]])
    cmd = [A.bin, "compile", sqlite_path, "-o", ds["compiled"], "--pg-version", A.pg,
           "--extensions", ",".join(exts)]
    rc, o, err, secs = run(cmd)
    out["compile"] = {"command": shlex.join(cmd), "exit": rc, "seconds": secs}
    schema_sql = os.path.join(ds["compiled"], "01_schema.sql")
    if not os.path.exists(schema_sql):
        out["error"] = f"pgbridge compile failed (exit {rc}): {short(err or o)}"
        say(f"{name}: {out['error']}")
        return out
    fresh_db(ds["db"])
    rc, o, err, _ = run(psql_cmd(ds["db"]) + ["-f", schema_sql])
    if rc != 0:
        out["error"] = f"01_schema.sql failed: {short(err)}"
        say(f"{name}: {out['error']}")
        return out
    ds["qtable"] = find_table(ds["db"], name)
    ds["schema"] = psql(ds["db"], f"SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = '{ds['qtable']}'::regclass")
    cols = psql(ds["db"], "SELECT attname || '|' || format_type(atttypid, atttypmod) FROM pg_attribute"
                          f" WHERE attrelid = '{ds['qtable']}'::regclass AND attnum > 0 AND NOT attisdropped"
                          " AND attgenerated = '' ORDER BY attnum")
    ds["columns"] = [l.split("|", 1) for l in cols.splitlines()]
    con = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    ds["kinds"] = {n: (con.execute(f"SELECT typeof({qi(n)}) FROM {qi(name)} WHERE {qi(n)} IS NOT NULL LIMIT 1")
                       .fetchone() or [None])[0] for n, _ in ds["columns"]}
    con.close()
    out["table"] = {n: t for n, t in ds["columns"]}
    out["extensions"] = exts
    say(f"{name}: typed table {ds['qtable']} ({', '.join(f'{n} {t}' for n, t in ds['columns'])})")

    for m in (m_pgbridge, m_duckdb, m_pgloader, m_csv, m_ceiling):
        r = repeated(m, ds, expected)
        out["methods"].append(r)
        show(name, r)
        if m not in (m_pgbridge, m_ceiling) and r["status"] == "ok":
            export(ds, r["method"])
    drop_db(ds["db"])
    if ds.get("export"):
        os.remove(ds["export"])

    # do the methods that finished agree on the content?
    digests = {r["method"]: r.get("digest") for r in out["methods"] if r["status"] == "ok"}
    ref = digests.get("pgbridge") or digests.get("ceiling")
    out["reference"] = "pgbridge" if digests.get("pgbridge") else f"ceiling (exported from {ds.get('export_from')})"
    for r in out["methods"]:
        if r["status"] == "ok" and ref is not None:
            r["same_content"] = r["digest"]["row"] == ref["row"]
            if not r["same_content"]:
                r["columns_differing"] = [c for c in ref if c != "row" and r["digest"].get(c) != ref[c]]
    return out


def show(name, r):
    if r["status"] == "ok":
        say(f"{name}: {r['method']}: {r['rows']} rows in {r['seconds']:.2f} s ({r['rows_per_s']:,.0f} rows/s)")
    else:
        say(f"{name}: {r['method']}: {r['status']}")


def bench_northwind(path):
    expected = sqlite_rows(path)
    out = {"dataset": "northwind_populated", "rows": expected, "sqlite_mb": round(os.path.getsize(path) / 1e6, 1),
           "methods": []}
    say(f"northwind: {os.path.basename(path)}, {expected} rows")
    # pgbridge, end to end
    if migrate_available():
        db = "nw_pgbridge"
        fresh_db(db)
        rss_file = os.path.join(A.work, "pgbridge-northwind.rss")
        report = os.path.join(A.work, "pgbridge-northwind.report.json")
        rejects = os.path.join(A.work, "pgbridge-northwind.rejects.jsonl")
        cmd = time_rss([A.bin, "migrate", path, url(db), "--jobs", "2", "--report", report,
                        "--rejects", rejects], rss_file)
        rc, o, err, wall = run(cmd)
        n = all_rows(db) if rc == 0 else None
        status = "ok" if rc == 0 and n == expected else f"failed: exit {rc}, {n} of {expected} rows: {short(err or o)}"
        try:
            rep = json.load(open(report))
        except (OSError, ValueError):
            rep = {}
        v = verify_timings(rep, path, db, "northwind") if rc == 0 else None
        if status == "ok" and not v["matches"]:
            status = "failed: verify found a difference"
        out["methods"].append(result("pgbridge", status, n, wall, peak_rss_kb=read_rss_kb(rss_file),
                                     command=shlex.join(cmd[5:]), phases=rep.get("phases"), verify=v))
        drop_db(db)
    else:
        say("pgbridge migrate not available: skipped")
        out["methods"].append(result("pgbridge", "failed: pgbridge migrate not available"))
    show("northwind", out["methods"][-1])
    # pgloader, its own full migration (schema, data, indexes, keys)
    db = "nw_pgloader"
    fresh_db(db)
    log = os.path.join(A.work, "pgloader-northwind.log")
    cmd = ["timeout", str(TIMEOUT), "pgloader", "--logfile", log, f"sqlite://{path}", url(db)]
    rc, o, err, wall = run(cmd, timeout=TIMEOUT + 30)
    n = all_rows(db)
    errors = [l for l in (o + "\n" + err).splitlines() if " ERROR " in l or "FATAL" in l]
    status = "ok" if rc == 0 and n == expected else \
        f"failed: exit {rc}, {n} of {expected} rows" + (f": {short(errors[0])}" if errors else "")
    out["methods"].append(result("pgloader", status, n, wall, command=shlex.join(cmd)))
    show("northwind", out["methods"][-1])
    drop_db(db)
    return out


# --- report ----------------------------------------------------------------------------

def ratios(ds):
    pgb = next((r for r in ds["methods"] if r["method"] == "pgbridge"), None)
    base = pgb["rows_per_s"] if pgb and pgb["status"] == "ok" else None
    for r in ds["methods"]:
        if r["method"] == "pgbridge":
            continue
        r["pgbridge_ratio"] = (base / r["rows_per_s"]) if base and r.get("rows_per_s") and r["status"] == "ok" else None
        r["target_ratio"] = TARGETS.get(r["method"])


def fmt(v, f):
    return "—" if v is None else format(v, f)


def print_table(results):
    print()
    print(f"data load, PostgreSQL {A.pg}, {os.cpu_count()} cores, median of {A.repeat} run(s);"
          " ratio = pgbridge rows/s ÷ method rows/s")
    hdr = f"{'dataset':<10} {'method':<13} {'rows':>10} {'seconds':>9} {'rows/s':>11} {'ratio':>7} {'target':>7}  status"
    print(hdr)
    print("-" * len(hdr))
    for ds in results["datasets"]:
        for r in ds["methods"]:
            status = r["status"]
            if status == "ok" and r.get("same_content") is False:
                status = "ok, but differs from " + ("pgbridge" if ds.get("reference") == "pgbridge" else "the ceiling") + \
                    " in " + ", ".join(r.get("columns_differing", []))
            tgt = r.get("target_ratio")
            print(f"{ds['dataset'][:10]:<10} {r['method']:<13} {fmt(r['rows'], 'd'):>10} {fmt(r['seconds'], '.2f'):>9}"
                  f" {fmt(r['rows_per_s'], ',.0f'):>11} {fmt(r.get('pgbridge_ratio'), '.2f'):>7}"
                  f" {('≥' + format(tgt, 'g') + '×') if tgt else '':>7}  {status[:110]}")
        pgb = next((r for r in ds["methods"] if r["method"] == "pgbridge"), {})
        if pgb.get("peak_rss_kb"):
            print(f"{'':<10} pgbridge peak RSS {pgb['peak_rss_kb'] / 1024:.1f} MB (target ≤ {RSS_TARGET_MB} MB)")
        v = pgb.get("verify")
        if v:
            print(f"{'':<10} pgbridge verify: {fmt(v['in_run_s'], '.2f')} s ending the run"
                  f" ({fmt(v['in_run_ratio'], '.2f')}× the data phase of {fmt((pgb.get('phases') or {}).get('data_s'), '.2f')} s),"
                  f" {fmt(v['process_s'], '.2f')} s as its own process ({fmt(v['process_ratio'], '.2f')}×);"
                  f" target ≤ {VERIFY_TARGET}×; {'match' if v['matches'] else 'DIFFERENT or failed'}")
            f = v.get("floor")
            if f:
                print(f"{'':<10} verify floor on {f['cores']} cores: {f['floor_s']:.2f} s"
                      f" ({fmt(f['floor_ratio'], '.2f')}× the data phase) = (PostgreSQL COPY out"
                      f" {f['postgres_cpu_s']:.2f} + SQLite visit {f['sqlite_cpu_s']:.2f}"
                      f" + SHA-256 of 2 × {f['bytes'] / 1e6:.0f} MB {f['sha256_cpu_s']:.2f}) CPU-s ÷ {f['cores']}")
    print()


def main():
    global A
    ap = argparse.ArgumentParser()
    for a in ("bin", "psql", "pg", "host", "port", "user", "data", "work", "export", "northwind", "results", "ext_dir"):
        ap.add_argument("--" + a.replace("_", "-"), dest=a, default="")
    ap.add_argument("--repeat", type=int, default=1)
    A = ap.parse_args()
    A.repo = os.path.dirname(os.path.dirname(HERE))
    os.makedirs(A.work, exist_ok=True)
    os.environ.update(PGHOST=A.host, PGPORT=A.port, PGUSER=A.user, PGTZ="UTC", PGOPTIONS="-c TimeZone=UTC")
    start = time.monotonic()
    server = psql("postgres", "SHOW server_version")
    _, plv, _, _ = run(["pgloader", "--version"], timeout=60)
    results = {"postgres": server, "repeat": A.repeat, "cores": os.cpu_count(), "pgloader": short(plv.splitlines()[0] if plv else "?"),
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "targets": {"pgbridge/duckdb": 1.1, "pgbridge/pgloader": 5.0, "pgbridge/ceiling": 0.9,
                           "pgbridge_peak_rss_mb": RSS_TARGET_MB, "verify/data_phase": VERIFY_TARGET},
               "datasets": []}
    for name in ("narrow", "wide"):
        ds = bench_dataset(name)
        ratios(ds)
        results["datasets"].append(ds)
        json.dump(results, open(A.results, "w"), indent=2)
    if A.northwind:
        try:
            nw = bench_northwind(A.northwind)
            ratios(nw)
            results["datasets"].append(nw)
        except Exception as e:  # recorded, so the table still prints
            say(f"northwind: failed: {short(e)}")
            results["datasets"].append({"dataset": "northwind_populated", "error": short(e), "methods": []})
    results["seconds"] = time.monotonic() - start
    json.dump(results, open(A.results, "w"), indent=2)
    print_table(results)
    say(f"results: {os.path.relpath(A.results, A.repo)}")


if __name__ == "__main__":
    main()
