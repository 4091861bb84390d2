"""One DuckDB load: ATTACH the SQLite file and the PostgreSQL database, then
INSERT INTO pg.<schema>.<table> SELECT <conversions> FROM src.<table>.

    python duck_load.py SPEC_JSON     (prints one JSON line: seconds or error)

SPEC_JSON: {"ext_dir", "sqlite", "pg", "schema", "table", "columns": [[name, pg_type]],
"threads"}. Extensions come from the duckdb-ext-* wheels (extension_directory), never
downloaded: autoinstall is off.
"""
import json
import sys
import time

import duckdb


def q(name):
    return '"' + name.replace('"', '""') + '"'


# Decodes a little-endian IEEE-754 float32 BLOB into FLOAT[] in plain SQL: DuckDB 1.4
# has no reinterpret cast from BLOB to FLOAT, so the blob's hex is split into 8-digit
# words (regexp_extract_all: lambdas that capture a column copy it per element, 10x
# slower), each word's bytes reordered and read as an integer, and the float rebuilt
# from sign, exponent and mantissa (normal and subnormal numbers; no NaN or infinity).
def float32_blob_expr(col):
    word = "CAST('0x' || substr(x, 7, 2) || substr(x, 5, 2) || substr(x, 3, 2) || substr(x, 1, 2) AS BIGINT)"
    return (
        f"list_transform(list_transform(regexp_extract_all(hex({col}), '.{{8}}'), x -> {word}),"
        " w -> CAST(CASE WHEN (w >> 23) & 255 = 0 THEN (w & 8388607) * pow(2, -149)"
        " ELSE (1 + (w & 8388607) / 8388608.0) * pow(2, ((w >> 23) & 255) - 127) END"
        " * CASE WHEN w >> 31 = 1 THEN -1 ELSE 1 END AS FLOAT))"
    )


def expr(col, pg_type, sqlite_kind):
    c = q(col)
    t = pg_type.lower()
    if t in ("bigint", "integer", "smallint"):
        return f"CAST({c} AS BIGINT)"
    if t in ("double precision", "real") or t.startswith("numeric"):
        return f"CAST({c} AS DOUBLE)" if not t.startswith("numeric") else f"CAST({c} AS VARCHAR)"
    if t == "boolean":
        return f"CAST({c} AS BOOLEAN)"
    if t.startswith("timestamp") and "with time zone" in t:
        if sqlite_kind == "integer":  # epoch milliseconds in these datasets
            return f"CAST(epoch_ms(CAST({c} AS BIGINT)) AS TIMESTAMPTZ)"
        return f"CAST(CAST({c} AS TIMESTAMP) AS TIMESTAMPTZ)"
    if t.startswith("timestamp"):
        return f"CAST({c} AS TIMESTAMP)"
    if t == "date":
        return f"CAST({c} AS DATE)"
    if t == "uuid":
        return f"CAST({c} AS UUID)"
    if t == "bytea":
        return f"CAST({c} AS BLOB)"
    if t in ("jsonb", "json", "text", "citext") or t.startswith("character"):
        return f"CAST({c} AS VARCHAR)"
    if t in ("real[]", "double precision[]"):
        return float32_blob_expr(c)
    if t.startswith("vector"):
        # DuckDB does not know pgvector's type: it sees the column as VARCHAR, so the
        # list goes as pgvector's text form '[x, y, …]'
        return f"CAST({float32_blob_expr(c)} AS VARCHAR)"
    raise ValueError(f"no DuckDB conversion for {col} {pg_type}")


def main():
    spec = json.loads(sys.argv[1])
    try:
        con = duckdb.connect(config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "extension_directory": spec["ext_dir"],
        })
        con.execute("SET autoinstall_known_extensions = false")
        con.execute(f"SET threads = {int(spec.get('threads', 2))}")
        con.execute("SET TimeZone = 'UTC'")
        con.execute("LOAD sqlite_scanner")
        con.execute("LOAD postgres_scanner")
        con.execute(f"ATTACH '{spec['sqlite']}' AS src (TYPE sqlite, READ_ONLY)")
        con.execute(f"ATTACH '{spec['pg']}' AS pg (TYPE postgres)")
        cols = spec["columns"]
        exprs = [expr(name, ty, spec["kinds"].get(name)) for name, ty in cols]
        sql = (f"INSERT INTO pg.{q(spec['schema'])}.{q(spec['table'])} ({', '.join(q(n) for n, _ in cols)}) "
               f"SELECT {', '.join(exprs)} FROM src.{q(spec['table'])}")
        start = time.monotonic()
        con.execute(sql)
        seconds = time.monotonic() - start
        con.close()
        print(json.dumps({"seconds": seconds, "duckdb": duckdb.__version__}))
    except Exception as e:  # reported, not raised: the harness records the reason
        msg = " ".join(str(e).split())
        print(json.dumps({"error": f"{type(e).__name__}: {msg[:400]}", "duckdb": duckdb.__version__}))


if __name__ == "__main__":
    main()
