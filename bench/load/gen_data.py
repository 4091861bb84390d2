"""Deterministic test databases for the data-load benchmark.

    python3 gen_data.py OUT_DIR --rows N [--wide-rows M]

narrow.db: table `narrow`, N rows (id, name, score, created_at, active, payload).
wide.db:   table `wide`, M rows (default N/20): JSON meta, UUIDs, epoch-ms
           integers, 384-float32 embeddings and a few plain columns.
Fixed seeds: the same arguments give byte-identical row content. A file that
already holds the requested row count is kept (generation is skipped).
"""
import argparse
import json
import os
import random
import sqlite3
import struct
import sys
import time
import uuid

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "an", "el", "or",
             "qu", "ba", "do", "fi", "gu", "he", "ji", "ko", "lu", "ma", "no", "pi"]


def vocabulary(rng, n=4000):
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 5))))
    return sorted(words)


def existing_rows(path, table):
    if not os.path.exists(path):
        return None
    try:
        con = sqlite3.connect(path)
        n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        con.close()
        return n
    except sqlite3.Error:
        return None


def fresh(path):
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA page_size=8192")
    return con


def gen_narrow(path, rows):
    rng = random.Random(20240901)
    words = vocabulary(rng)
    con = fresh(path)
    con.execute("""CREATE TABLE narrow (
  id INTEGER PRIMARY KEY,
  name TEXT,
  score REAL,
  created_at DATETIME,
  active BOOLEAN,
  payload BLOB
)""")
    t0 = 946684800  # 2000-01-01
    span = 30 * 365 * 86400
    strftime, gmtime = time.strftime, time.gmtime
    rint, rrand, choice, randbytes = rng.randint, rng.random, rng.choice, rng.randbytes

    def name():
        target = rint(5, 40)
        s = choice(words)
        while len(s) < target:
            s += " " + choice(words)
        s = s[:target].rstrip()
        return s if len(s) >= 5 else (s + "xxxxx")[:5]

    def row(i):
        r = rrand()
        return (
            i,
            None if r < 0.01 else name(),
            (rrand() - 0.5) * 10 ** rint(-2, 7),
            strftime("%Y-%m-%d %H:%M:%S", gmtime(t0 + rint(0, span))),
            1 if r > 0.5 else 0,
            None if r > 0.99 else randbytes(rint(8, 56)),
        )

    con.execute("BEGIN")
    con.executemany("INSERT INTO narrow VALUES (?,?,?,?,?,?)", (row(i) for i in range(1, rows + 1)))
    con.execute("COMMIT")
    con.close()


def gen_wide(path, rows):
    rng = random.Random(20240902)
    words = vocabulary(rng, 1000)
    con = fresh(path)
    con.execute("""CREATE TABLE wide (
  id INTEGER PRIMARY KEY,
  meta TEXT,
  uuid TEXT,
  created_ms INTEGER,
  embedding BLOB,
  title TEXT,
  status TEXT,
  quantity INTEGER,
  note TEXT,
  version INTEGER
)""")
    lo_ms, hi_ms = 978307200000, 4102444799999  # 2001-01-01 .. 2099-12-31 (UTC)
    keys = ["color", "size", "tags", "owner", "score", "flags", "region", "rank", "nested", "source"]
    statuses = ["new", "active", "paused", "archived", "deleted"]
    rint, rrand, choice, sample = rng.randint, rng.random, rng.choice, rng.sample
    pack = struct.Struct("<384f").pack

    def meta():
        d = {}
        for k in sample(keys, rint(1, 6)):
            v = rint(0, 4)
            if v == 0:
                d[k] = choice(words)
            elif v == 1:
                d[k] = rint(-10**6, 10**6)
            elif v == 2:
                d[k] = [choice(words) for _ in range(rint(0, 4))]
            elif v == 3:
                d[k] = {"a": rint(0, 99), "b": choice(words), "ok": rrand() < 0.5}
            else:
                d[k] = round(rrand() * 1000, 3)
        return json.dumps(d, separators=(",", ":"), sort_keys=True)

    def row(i):
        return (
            i,
            meta(),
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            rint(lo_ms, hi_ms),
            pack(*[rrand() * 2 - 1 for _ in range(384)]),
            " ".join(choice(words) for _ in range(rint(2, 8))),
            choice(statuses),
            rint(0, 100000),
            None if rrand() < 0.3 else " ".join(choice(words) for _ in range(rint(5, 30))),
            rint(1, 20),
        )

    con.execute("BEGIN")
    con.executemany("INSERT INTO wide VALUES (?,?,?,?,?,?,?,?,?,?)", (row(i) for i in range(1, rows + 1)))
    con.execute("COMMIT")
    con.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--wide-rows", type=int)
    a = ap.parse_args()
    wide_rows = a.wide_rows if a.wide_rows is not None else max(1, a.rows // 20)
    os.makedirs(a.out, exist_ok=True)
    for name, rows, fn in (("narrow", a.rows, gen_narrow), ("wide", wide_rows, gen_wide)):
        path = os.path.join(a.out, name + ".db")
        if existing_rows(path, name) == rows:
            print(f"data: kept {name}.db ({rows} rows)", flush=True)
            continue
        s = time.monotonic()
        fn(path + ".tmp", rows)
        os.replace(path + ".tmp", path)
        mb = os.path.getsize(path) / 1e6
        print(f"data: generated {name}.db ({rows} rows, {mb:.0f} MB) in {time.monotonic() - s:.1f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
