//! Issue 11 §5: the application's own SQL against the migrated database.
//!
//! A SQLite database with one column of each application-visible kind, and
//! a script of parameterised INSERT/UPDATE/SELECT statements as a SQLite
//! application sends them. The client is the `postgres` crate: the server
//! infers each parameter's type from the statement, and the client sends
//! the application's value only as its own type (i64 as bigint, String as
//! text, bytes as bytea), so a value PostgreSQL would have to reinterpret
//! fails as it does for typed drivers (JDBC setLong/setString, pgx,
//! psycopg 3). Reads decode the column as the type SQLite returned and must
//! equal SQLite's result. psql's `\bind` would send every parameter as
//! untyped text, which PostgreSQL coerces to any type: no application binds
//! that way, and it would hide the failures.
//!
//! - `--rules compat --naming lower`: every statement runs unchanged on 15
//!   and 18, and verify passes.
//! - default pack: the statements that fail are exactly those APP_IMPACT.md
//!   marks `fails` (read from the file, not hard-coded).
mod common;

use common::{PgVersion, cluster};
use common::{pgbridge, text};
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Clone, Debug, PartialEq)]
enum V {
    I(i64),
    T(String),
    B(Vec<u8>),
}

struct Stmt {
    /// `table.column` as APP_IMPACT.md names it.
    column: &'static str,
    /// `write` or `read`.
    kind: &'static str,
    sql: String,
    params: Vec<V>,
}

const SCHEMA: &str = "
CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    is_active INTEGER,
    payload TEXT,
    created DATETIME,
    updated_at TEXT,
    ext_uuid BLOB,
    ref_uuid TEXT UNIQUE,
    email TEXT COLLATE NOCASE,
    Lock CHAR(1),
    note TEXT
);
CREATE INDEX items_email ON items (email);
CREATE TABLE tags (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES items (id), item_ref TEXT REFERENCES items (ref_uuid), label TEXT);
INSERT INTO items VALUES
 (1, 1, '{\"a\": 1}', 1700000000, '2024-01-02 03:04:05', x'00112233445566778899aabbccddeeff', '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5', 'alice@example.com', 'y', 'n1'),
 (2, 0, '{\"b\":[1,2],\"a\":0}', 1700000100, '2024-02-03 04:05:06', x'ffeeddccbbaa99887766554433221100', '0b1c6a4e-2d3f-4e5a-9b8c-7d6e5f4a3b2c', 'bob@example.com', 'n', 'n2'),
 (3, 1, '[1, 2, 3]', 1700000200, '2024-03-04 05:06:07', x'0123456789abcdef0123456789abcdef', 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', 'carol@example.com', 'y', 'n3');
INSERT INTO tags VALUES (1, 1, '6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5', 'x'), (2, 2, '0b1c6a4e-2d3f-4e5a-9b8c-7d6e5f4a3b2c', 'y');
";

/// The application's statements: per column a write by INSERT, a write by
/// UPDATE and a read, each with values bound as the application binds them.
fn script() -> Vec<Stmt> {
    let t = |s: &str| V::T(s.into());
    let cols: Vec<(&str, &str, V, V)> = vec![
        ("items.is_active", "is_active", V::I(1), V::I(0)),
        ("items.payload", "payload", t("{\"c\": true}"), t("[]")),
        (
            "items.created",
            "created",
            V::I(1700000300),
            V::I(1700000400),
        ),
        (
            "items.updated_at",
            "updated_at",
            t("2024-04-05 06:07:08"),
            t("2024-05-06 07:08:09"),
        ),
        (
            "items.ext_uuid",
            "ext_uuid",
            V::B(vec![0x5a; 16]),
            V::B(vec![0xa5; 16]),
        ),
        (
            "items.ref_uuid",
            "ref_uuid",
            t("c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f"),
            t("d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70"),
        ),
        (
            "items.email",
            "email",
            t("dave@example.com"),
            t("erin@example.com"),
        ),
        ("items.Lock", "Lock", t("n"), t("y")),
        ("items.note", "note", t("n4"), t("n5")),
    ];
    let mut out = Vec::new();
    // Row 3 is referenced by no tag: updating its key breaks no FK.
    for (i, (key, col, v, u)) in cols.into_iter().enumerate() {
        out.push(Stmt {
            column: key,
            kind: "write",
            sql: format!("INSERT INTO items (id, {col}) VALUES ($1, $2)"),
            params: vec![V::I(100 + i as i64), v],
        });
        out.push(Stmt {
            column: key,
            kind: "write",
            sql: format!("UPDATE items SET {col} = $1 WHERE id = $2"),
            params: vec![u, V::I(3)],
        });
        out.push(Stmt {
            column: key,
            kind: "read",
            sql: format!("SELECT {col} FROM items WHERE id = $1"),
            params: vec![V::I(2)],
        });
    }
    // A foreign key column of the other table.
    let tag_ref = "0b1c6a4e-2d3f-4e5a-9b8c-7d6e5f4a3b2c";
    for (kind, sql, params) in [
        (
            "write",
            "INSERT INTO tags (id, item_id, item_ref) VALUES ($1, $2, $3)",
            vec![V::I(10), V::I(2), t(tag_ref)],
        ),
        (
            "write",
            "UPDATE tags SET item_ref = $1 WHERE id = $2",
            vec![t(tag_ref), V::I(1)],
        ),
        (
            "read",
            "SELECT item_ref FROM tags WHERE id = $1",
            vec![V::I(2)],
        ),
    ] {
        out.push(Stmt {
            column: "tags.item_ref",
            kind,
            sql: sql.into(),
            params,
        });
    }
    // NOCASE: the application finds a row by its value in another case.
    out.push(Stmt {
        column: "items.email",
        kind: "read",
        sql: "SELECT id FROM items WHERE email = $1".into(),
        params: vec![V::T("BOB@EXAMPLE.COM".into())],
    });
    out
}

fn sqlite_run(conn: &rusqlite::Connection, s: &Stmt) -> Vec<V> {
    let mut st = conn.prepare(&s.sql).unwrap();
    for (i, p) in s.params.iter().enumerate() {
        match p {
            V::I(x) => st.raw_bind_parameter(i + 1, x),
            V::T(x) => st.raw_bind_parameter(i + 1, x),
            V::B(x) => st.raw_bind_parameter(i + 1, x),
        }
        .unwrap();
    }
    let mut rows = st.raw_query();
    let mut out = Vec::new();
    while let Some(r) = rows.next().unwrap() {
        out.push(match r.get_ref(0).unwrap() {
            rusqlite::types::ValueRef::Integer(x) => V::I(x),
            rusqlite::types::ValueRef::Text(t) => V::T(String::from_utf8_lossy(t).into()),
            rusqlite::types::ValueRef::Blob(b) => V::B(b.to_vec()),
            other => panic!("unexpected {other:?} from {}", s.sql),
        });
    }
    out
}

/// Run `s` on PostgreSQL as the application would; a read must return what
/// SQLite returned, decoded as SQLite's types.
fn pg_run(client: &mut postgres::Client, s: &Stmt, want: &[V]) -> Result<(), String> {
    let params: Vec<&(dyn postgres::types::ToSql + Sync)> = s
        .params
        .iter()
        .map(|p| match p {
            V::I(x) => x as &(dyn postgres::types::ToSql + Sync),
            V::T(x) => x,
            V::B(x) => x,
        })
        .collect();
    let rows = client
        .query(s.sql.as_str(), &params)
        .map_err(|e| format!("{e:#}"))?;
    if s.kind == "write" {
        return Ok(());
    }
    let mut got = Vec::new();
    for (r, w) in rows
        .iter()
        .zip(want.iter().chain(std::iter::repeat(&V::I(0))))
    {
        got.push(match w {
            V::I(_) => V::I(r.try_get(0).map_err(|e| format!("{e:#}"))?),
            V::T(_) => V::T(r.try_get(0).map_err(|e| format!("{e:#}"))?),
            V::B(_) => V::B(r.try_get(0).map_err(|e| format!("{e:#}"))?),
        });
    }
    if got == want {
        Ok(())
    } else {
        Err(format!("returned {got:?}, SQLite {want:?}"))
    }
}

fn build_source(dir: &Path) -> std::path::PathBuf {
    let src = dir.join("app.db");
    rusqlite::Connection::open(&src)
        .unwrap()
        .execute_batch(SCHEMA)
        .unwrap();
    src
}

/// The failing (column, write|read) pairs of the script on `url`, each
/// statement checked against the same statement on a copy of the source.
fn failures(src: &Path, url: &str, work: &Path) -> BTreeSet<(String, String)> {
    let copy = work.join("replay.db");
    std::fs::copy(src, &copy).unwrap();
    let lite = rusqlite::Connection::open(&copy).unwrap();
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let mut out = BTreeSet::new();
    for s in script() {
        let want = sqlite_run(&lite, &s);
        if let Err(e) = pg_run(&mut client, &s, &want) {
            eprintln!("fails: {} [{:?}]: {e}", s.sql, s.params);
            out.insert((s.column.to_string(), s.kind.to_string()));
        }
    }
    std::fs::remove_file(&copy).unwrap();
    out
}

/// The (column, write|read) pairs APP_IMPACT.md marks `fails`, read from
/// its table: `| name | SQLite | PostgreSQL | rule | write | read |`.
fn listed(impact: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for line in impact
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| column"))
    {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        assert_eq!(cells.len(), 6, "a table row of six cells: {line}");
        let name = cells[0].replace('\\', "");
        for (kind, cell) in [("write", cells[4]), ("read", cells[5])] {
            assert!(cell == "fails" || cell == "works", "{line}");
            if cell == "fails" {
                out.insert((name.clone(), kind.to_string()));
            }
        }
    }
    out
}

fn compile_impact(src: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "compile",
        src.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = pgbridge(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    std::fs::read_to_string(out.join("APP_IMPACT.md")).unwrap()
}

fn migrate(src: &Path, url: &str, extra: &[&str]) {
    let mut args = vec!["migrate", src.to_str().unwrap(), url];
    args.extend_from_slice(extra);
    let o = pgbridge(&args);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("verified: 2 tables, 0 differ"), "{t}");
}

const COMPAT: &[&str] = &["--rules", "compat", "--naming", "lower"];

#[test]
fn compat_pack_runs_the_applications_statements_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let src = build_source(dir.path());
    let impact = compile_impact(&src, &dir.path().join("compat"), COMPAT);
    assert_eq!(listed(&impact), BTreeSet::new(), "{impact}");
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("app_compat");
        migrate(&src, &db.url, COMPAT);
        let failed = failures(&src, &db.url, dir.path());
        assert!(
            failed.is_empty(),
            "{v}: the compat output refuses {failed:?}"
        );
        // Keys and FKs hold as in SQLite.
        assert!(
            db.psql("INSERT INTO tags VALUES (9, 999, NULL, 'orphan')")
                .is_err()
        );
        assert_eq!(db.scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'email'"), "citext");
    }
}

#[test]
fn app_impact_lists_exactly_the_statements_the_default_output_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let src = build_source(dir.path());
    let impact = compile_impact(&src, &dir.path().join("default"), &[]);
    let expected = listed(&impact);
    // The file is not empty: the test can fail.
    assert!(expected.len() >= 12, "{impact}");
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("app_default");
        migrate(&src, &db.url, &[]);
        let failed = failures(&src, &db.url, dir.path());
        assert_eq!(
            failed, expected,
            "{v}: failing statements vs APP_IMPACT.md\n{impact}"
        );
    }
}

#[test]
fn app_impact_escapes_hostile_names() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("hostile.db");
    let table = "t|x\n# Injected`` heading <img src=x onerror=alert(1)> [l](http://e) *e*";
    let column = "Is_Flag`|\n```\n- item";
    let sql = format!(
        "CREATE TABLE {} (id INTEGER PRIMARY KEY, {} INTEGER, Payload TEXT); \
         INSERT INTO {0} VALUES (1, 0, '{{\"a\":1}}'), (2, 1, '[1]');",
        common::sql_ident(table),
        common::sql_ident(column)
    );
    rusqlite::Connection::open(&src)
        .unwrap()
        .execute_batch(&sql)
        .unwrap();
    let out = dir.path().join("set");
    let md = compile_impact(&src, &out, &[]);
    let again = compile_impact(&src, &dir.path().join("again"), &[]);
    assert_eq!(md, again, "deterministic");
    // No line of the file starts a block the template did not write.
    for line in md.lines() {
        assert!(
            !line.starts_with("# Injected")
                && !line.starts_with("```")
                && !line.starts_with("- item"),
            "{line}\n{md}"
        );
        if !line.starts_with("- ") {
            // Outside code spans, no raw HTML: every `<` is escaped.
            assert!(
                line.match_indices('<')
                    .all(|(i, _)| line[..i].ends_with('\\')),
                "{line}"
            );
        }
        if line.starts_with("| ") && !line.starts_with("| column") {
            let cells = line.trim_matches('|').split(" | ").count();
            assert_eq!(cells, 6, "a name split a table row: {line}");
        }
    }
    assert!(
        md.contains("Payload"),
        "the mixed-case column is listed:\n{md}"
    );
    // Every code span closes on its line (CommonMark: a run of n backticks
    // opens a span closed by the next run of exactly n).
    for line in md.lines().filter(|l| l.starts_with("- ")) {
        assert!(code_spans_close(line), "unclosed code span: {line}");
    }
    let check = || {
        let args = [
            "compile",
            src.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--check",
        ];
        pgbridge(&args).status.code()
    };
    assert_eq!(check(), Some(0), "--check covers APP_IMPACT.md");
    std::fs::write(out.join("APP_IMPACT.md"), md.replace("fails", "works")).unwrap();
    assert_eq!(check(), Some(1), "a hand edit of APP_IMPACT.md is drift");
}

fn code_spans_close(line: &str) -> bool {
    let runs: Vec<usize> = line
        .split(|c| c != '`')
        .map(str::len)
        .filter(|&n| n > 0)
        .collect();
    let mut open: Option<usize> = None;
    for n in runs {
        match open {
            None => open = Some(n),
            Some(m) if m == n => open = None,
            Some(_) => {}
        }
    }
    open.is_none()
}

/// A GeoPackage geometry column that becomes PostGIS `geometry` changes
/// what the application sends and reads; the compat pack keeps the blobs as
/// bytea and lists nothing; so does a target without PostGIS.
#[test]
fn app_impact_lists_geometry_columns_unless_kept_as_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("places.gpkg");
    let conn = rusqlite::Connection::open(&src).unwrap();
    conn.execute_batch(
        "CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, \
         geometry_type_name TEXT, srs_id INTEGER, z TINYINT, m TINYINT); \
         INSERT INTO gpkg_geometry_columns VALUES ('places', 'geom', 'POINT', 4326, 0, 0); \
         CREATE TABLE places (fid INTEGER PRIMARY KEY, geom POINT); \
         INSERT INTO places VALUES \
         (1, x'47500001E6100000010100000000000000000000F83F0000000000000240');",
    )
    .unwrap();
    drop(conn);
    let postgis = ["--extensions", "citext,pgcrypto,postgis"];
    let impact = compile_impact(&src, &dir.path().join("default"), &postgis);
    assert!(
        impact.contains(
            "| places.geom | POINT | geometry(Point,4326) | geopackage-geometry | fails | fails |"
        ),
        "{impact}"
    );
    assert!(
        impact.contains("`INSERT INTO places (geom) VALUES (ST_GeomFromWKB($1, 4326))`"),
        "{impact}"
    );
    assert!(
        impact.contains("`SELECT ST_AsBinary(geom) FROM places`"),
        "{impact}"
    );
    let mut compat = postgis.to_vec();
    compat.extend_from_slice(&["--rules", "compat"]);
    let kept = compile_impact(&src, &dir.path().join("compat"), &compat);
    assert!(kept.contains("No decision changes"), "{kept}");
    let sql = std::fs::read_to_string(dir.path().join("compat/01_schema.sql")).unwrap();
    assert!(sql.contains("geom bytea"), "{sql}");
    let no_postgis = compile_impact(&src, &dir.path().join("plain"), &[]);
    assert!(no_postgis.contains("No decision changes"), "{no_postgis}");
}
