"""Sync benchmark driver (bench/sync.sh runs it): capture and sync on the narrow table.

Measures, in one run on one throwaway cluster:
  apply        a backlog of changed rows (updates, deletes, inserts) applied by one
               `pgbridge sync`: changed rows/s; beside it the floor, what the server
               alone takes to upsert the same rows from a table it already holds
  lag          a writer at fixed rates (tx/s) while `sync --follow` runs: commit-to-
               PostgreSQL lag p50/p99 from sync's report
  overhead     the writer's commit rate at full speed with capture over without
  cutover      `pgbridge cutover` while a writer writes at 1,000 tx/s under `sync
               --follow`: the freeze (writers waiting on SQLite's lock), the verify
               before it; the writer must then be refused
Results: JSON (--results) and a table on stdout.
"""
import argparse
import json
import os
import random
import shutil
import signal
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


def writer(path, rate, seconds, rows, seed, blocked=None):
    """One-row transactions (an update, every 10th an insert) at `rate` tx/s (0: full
    speed) for `seconds`; returns the commits made. With `blocked` (a list), a write the
    cutover's block refuses ends it, its message appended."""
    c = sqlite3.connect(path, isolation_level=None, timeout=30)
    c.execute("PRAGMA synchronous = NORMAL")
    rnd = random.Random(seed)
    n, t0 = 0, time.monotonic()
    next_id = rows + 1_000_000 + seed * 10_000_000
    while True:
        now = time.monotonic() - t0
        if now >= seconds:
            break
        if rate and n >= now * rate:
            time.sleep(min(0.001, n / rate - now))
            continue
        c.execute("BEGIN")
        try:
            if n % 10 == 9:
                next_id += 1
                c.execute("INSERT INTO narrow VALUES (?, 1, 0.5, 'new')", (next_id,))
            else:
                c.execute("UPDATE narrow SET a = a + 1 WHERE id = ?", (1 + rnd.randrange(rows),))
        except sqlite3.IntegrityError as e:  # the cutover's write block
            if blocked is None or "moved to PostgreSQL" not in str(e):
                raise
            blocked.append(str(e))
            c.execute("ROLLBACK")
            break
        c.execute("COMMIT")
        n += 1
    c.close()
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--psql", required=True)
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", required=True)
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--work", required=True)
    ap.add_argument("--results", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    admin = f"postgresql://postgres@{a.host}:{a.port}/postgres"
    url = f"postgresql://postgres@{a.host}:{a.port}/bench_sync"
    psql = lambda sql, u=url: sh(a.psql, "-X", "-q", "-At", "-d", u, "-c", sql).stdout
    db = os.path.join(a.work, "narrow.db")
    make_db(db, a.rows)
    base = os.path.join(a.work, "narrow-nocapture.db")
    shutil.copy(db, base)
    psql("DROP DATABASE IF EXISTS bench_sync", admin)
    psql("CREATE DATABASE bench_sync", admin)
    t0 = time.monotonic()
    sh(a.bin, "migrate", db, url, "--live")
    migrate_s = time.monotonic() - t0
    res = {"rows": a.rows, "migrate_live_s": round(migrate_s, 2)}

    # apply: a backlog of changed rows
    c = sqlite3.connect(db)
    c.executescript(f"""
        UPDATE narrow SET a = a + 1 WHERE id % 10 = 0;
        DELETE FROM narrow WHERE id % 100 = 1;
        INSERT INTO narrow SELECT id + {a.rows * 2}, a, b, c FROM narrow WHERE id % 40 = 3;
    """)
    c.close()
    report = os.path.join(a.work, "apply.json")
    sh(a.bin, "sync", db, url, "--report", report)
    r = json.load(open(report))
    changed = r["rows_upserted"] + r["rows_deleted"]
    res["apply"] = {"changes": r["changes"], "rows_changed": changed, "seconds": round(r["seconds"], 3),
                    "rows_per_s": round(changed / r["seconds"])}
    # the floor: the server alone upserting the same number of rows it already holds
    psql(f"CREATE TABLE floor_src AS SELECT * FROM narrow WHERE id % 10 = 0 LIMIT {r['rows_upserted']}")
    out = sh(a.psql, "-X", "-At", "-d", url, "-c", "\\timing on",
             "-c", "INSERT INTO narrow SELECT * FROM floor_src ON CONFLICT (id) DO UPDATE "
                   "SET a = EXCLUDED.a, b = EXCLUDED.b, c = EXCLUDED.c").stdout
    ms = float([l for l in out.splitlines() if l.startswith("Time:")][0].split()[1])
    res["apply"]["floor_server_upsert_rows_per_s"] = round(r["rows_upserted"] / (ms / 1000))
    psql("DROP TABLE floor_src")

    # lag at fixed rates
    res["lag"] = []
    for rate in (100, 1000, 0):
        report = os.path.join(a.work, f"lag-{rate}.json")
        p = subprocess.Popen([a.bin, "sync", db, url, "--follow", "--report", report],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        n = writer(db, rate, 10, a.rows, rate + 1)
        time.sleep(1.5)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=60)
        if p.returncode != 0:
            raise SystemExit(f"sync --follow failed: {err}")
        r = json.load(open(report))
        res["lag"].append({"rate_tx_s": rate or "max", "achieved_tx_s": round(n / 10),
                           "changes": r["changes"], "batches": r["batches"],
                           "lag_ms_p50": r["lag_ms_p50"], "lag_ms_p99": r["lag_ms_p99"]})

    # capture's cost to the writer at full speed
    with_c = writer(db, 0, 5, a.rows, 77) / 5
    without = writer(base, 0, 5, a.rows, 77) / 5
    res["capture_overhead"] = {"tx_s_with": round(with_c), "tx_s_without": round(without),
                               "ratio": round(with_c / without, 3)}
    sh(a.bin, "sync", db, url)  # the overhead run's writes
    out = subprocess.run([a.bin, "verify", db, url], capture_output=True, text=True).stdout
    res["verify_after"] = "match" if " 0 differ" in out else "differ"

    # cutover under a writer at 1,000 tx/s and a follow sync
    import threading
    blocked = []
    follow = subprocess.Popen([a.bin, "sync", db, url, "--follow"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    wt = threading.Thread(target=lambda: writer(db, 1000, 60, a.rows, 5, blocked))
    wt.start()
    time.sleep(2)
    report = os.path.join(a.work, "cutover.json")
    t0 = time.monotonic()
    sh(a.bin, "cutover", db, url, "--report", report)
    cut_s = time.monotonic() - t0
    wt.join()
    follow.wait(timeout=60)
    r = json.load(open(report))
    res["cutover"] = {"seconds": round(cut_s, 2), "freeze_ms": round(r["freeze_ms"], 1),
                      "baseline_verify_s": round(r["baseline_verify_s"], 2),
                      "changes_in_freeze": r["changes_in_freeze"],
                      "rows_compared_in_freeze": r["verified_in_freeze"],
                      "writer_refused": bool(blocked)}
    out = subprocess.run([a.bin, "verify", db, url], capture_output=True, text=True).stdout
    res["cutover"]["verify_after"] = "match" if " 0 differ" in out else "differ"
    json.dump(res, open(a.results, "w"), indent=2)
    ap_ = res["apply"]
    print(f"apply: {ap_['rows_changed']} changed rows in {ap_['seconds']} s = {ap_['rows_per_s']} rows/s "
          f"(target >= 50000; server-only upsert floor {ap_['floor_server_upsert_rows_per_s']} rows/s)")
    for l in res["lag"]:
        print(f"lag at {l['rate_tx_s']} tx/s (achieved {l['achieved_tx_s']}): p50 {l['lag_ms_p50']:.0f} ms, "
              f"p99 {l['lag_ms_p99']:.0f} ms over {l['changes']} changes in {l['batches']} batches")
    o = res["capture_overhead"]
    print(f"capture overhead: {o['tx_s_with']} tx/s with, {o['tx_s_without']} without (ratio {o['ratio']})")
    print(f"verify after: {res['verify_after']}")
    cu = res["cutover"]
    print(f"cutover at 1,000 tx/s: freeze {cu['freeze_ms']} ms (target <= 2000), {cu['changes_in_freeze']} "
          f"changes drained and {cu['rows_compared_in_freeze']} rows compared in it; verify before it "
          f"{cu['baseline_verify_s']} s; whole cutover {cu['seconds']} s; writer refused after: "
          f"{cu['writer_refused']}; verify after: {cu['verify_after']}")


if __name__ == "__main__":
    main()
