"""Rollback benchmark driver (bench/rollback.sh runs it): the narrow table moved live,
cut over, changed on PostgreSQL, rolled back.

Measures: the seconds of one `pgbridge rollback` after --changes changed rows on
PostgreSQL (90 % updates, 5 % deletes, 5 % inserts, one statement each kind), the
freeze on PostgreSQL from its report, and that verify matches afterwards.
Results: JSON (--results) and a line on stdout.
"""
import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import time


def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def make_db(path, rows):
    if os.path.exists(path):
        os.remove(path)
    c = sqlite3.connect(path)
    c.executescript(f"""
        PRAGMA journal_mode = WAL;
        CREATE TABLE narrow (id INTEGER PRIMARY KEY, a INTEGER NOT NULL, b REAL, c TEXT);
        WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {rows})
        INSERT INTO narrow SELECT i, i * 7 % 1000, i / 3.0, 'row ' || i FROM s;
    """)
    c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--psql", required=True)
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", required=True)
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--changes", type=int, default=10_000)
    ap.add_argument("--work", required=True)
    ap.add_argument("--results", required=True)
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    admin = f"postgresql://postgres@{a.host}:{a.port}/postgres"
    url = f"postgresql://postgres@{a.host}:{a.port}/bench_rollback"
    psql = lambda sql, u=url: sh(a.psql, "-X", "-q", "-At", "-d", u, "-c", sql).stdout
    psql("DROP DATABASE IF EXISTS bench_rollback", admin)
    psql("CREATE DATABASE bench_rollback", admin)
    db = os.path.join(a.work, "narrow.db")
    make_db(db, a.rows)
    print(f"rollback: {a.rows} rows; migrate --live, sync, cutover", flush=True)
    sh(a.bin, "migrate", db, url, "--live")
    sh(a.bin, "sync", db, url)
    sh(a.bin, "cutover", db, url)
    n = a.changes
    upd, dele = n * 90 // 100, n * 5 // 100
    ins = n - upd - dele
    step = max(1, a.rows // (upd + dele))
    psql(f"""
        UPDATE narrow SET a = a + 1, c = 'changed' WHERE id % {step} = 0 AND id <= {step * upd};
        DELETE FROM narrow WHERE id % {step} = 1 AND id <= {step * dele};
        INSERT INTO narrow SELECT {a.rows} + i, i, i / 4.0, 'new ' || i FROM generate_series(1, {ins}) i;
    """)
    logged = int(psql("SELECT count(*) FROM pgbridge.reverse_log"))
    report = os.path.join(a.work, "rollback.json")
    t0 = time.monotonic()
    sh(a.bin, "rollback", db, url, "--report", report)
    seconds = time.monotonic() - t0
    rep = json.load(open(report))
    verify = sh(a.bin, "verify", db, url).stdout
    result = {
        "rows": a.rows,
        "changes_on_postgres": logged,
        "rollback_s": round(seconds, 3),
        "freeze_ms": round(rep["freeze_ms"], 1),
        "upserted": sum(t["upserted"] for t in rep["tables"]),
        "deleted": sum(t["deleted"] for t in rep["tables"]),
        "verify_matches": " 0 differ" in verify,
    }
    with open(a.results, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(
        f"rollback: {logged} changes on PostgreSQL over {a.rows} rows: rollback "
        f"{result['rollback_s']} s, PostgreSQL frozen {result['freeze_ms']} ms, "
        f"verify {'matches' if result['verify_matches'] else 'DIFFERS'}"
    )


if __name__ == "__main__":
    main()
