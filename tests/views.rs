//! Views on data, against real PostgreSQL 15 and 18: each corpus database
//! with views is migrated with `pgbridge migrate`; every view that
//! translated must return, as a multiset of rows, what SQLite's view
//! returns. Values are compared canonically: numbers as numbers (to 9
//! significant digits: SQLite adds NUMERIC columns in floating point,
//! PostgreSQL exactly), booleans as 0/1, timestamps as `YYYY-MM-DD
//! HH:MM:SS` in UTC. The views that stay comments are counted and named.
mod common;

use common::{PgVersion, TestDb, cluster, corpus, pgbridge, sql_ident, text};
use rusqlite::Connection;
use rusqlite::types::ValueRef;
use std::path::Path;

/// Corpus database → (views translated, views kept as comments).
const DATABASES: &[(&str, usize, usize)] = &[
    ("northwind/dist/northwind_populated.db", 16, 1),
    ("sakila/sakila.db", 5, 0),
    ("datasette_fixtures/fixtures.db", 4, 0),
    ("datasette_fixtures/extra_database.db", 1, 0),
    ("calibre_library/metadata.db", 4, 7),
    ("pocketbase_testdata/data.db", 3, 0),
];

fn canonical_number(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    format!("{x:.8e}")
}

/// `2016-07-04`, `2016-07-04 00:00:00`, `2016-07-04T00:00:00+00:00` → one form.
fn canonical_time(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let date_like = b.len() >= 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b[..4]
            .iter()
            .chain(&b[5..7])
            .chain(&b[8..10])
            .all(u8::is_ascii_digit);
    if !date_like || (b.len() > 10 && b[10] != b' ' && b[10] != b'T') {
        return None;
    }
    let time = s.get(11..19).unwrap_or("00:00:00");
    let rest = s.get(19..).unwrap_or("");
    let rest = rest.trim_start_matches(".000").trim_end_matches("+00:00");
    let rest = rest.trim_end_matches('Z');
    Some(format!("{} {time}{rest}", &s[..10]))
}

/// Text as itself, a timestamp canonically, a JSON array or object (text in
/// SQLite, jsonb in PostgreSQL) compactly.
fn canonical_text(s: &str) -> String {
    // A jsonb `null` document reads back as JSON null, like SQL NULL.
    if s == "null" {
        return s.to_string();
    }
    if s.starts_with(['[', '{'])
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(s)
    {
        return v.to_string();
    }
    canonical_time(s).unwrap_or_else(|| format!("'{s}'"))
}

fn sqlite_rows(conn: &Connection, view: &str) -> (Vec<String>, Vec<String>) {
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM {}", sql_ident(view)))
        .unwrap();
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let n = names.len();
    let mut rows = Vec::new();
    let mut q = stmt.query([]).unwrap();
    while let Some(r) = q.next().unwrap() {
        let mut cells = Vec::new();
        for i in 0..n {
            cells.push(match r.get_ref(i).unwrap() {
                ValueRef::Null => "null".to_string(),
                ValueRef::Integer(v) => canonical_number(v as f64),
                ValueRef::Real(v) => canonical_number(v),
                ValueRef::Text(t) => canonical_text(&String::from_utf8_lossy(t)),
                // The table's column rule decides how a blob arrives; text
                // it became is compared as text (see the module doc).
                ValueRef::Blob(b) => match std::str::from_utf8(b) {
                    Ok(s) => canonical_text(s),
                    _ => format!("x{}", hex(b)),
                },
            });
        }
        rows.push(cells.join("|"));
    }
    rows.sort();
    (names, rows)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn pg_rows(db: &TestDb, view: &str, names: &[String]) -> Vec<String> {
    let cols: Vec<String> = names.iter().map(|n| sql_ident(n)).collect();
    let sql = format!(
        "SET TimeZone = 'UTC'; SELECT json_build_array({})::text FROM {}",
        cols.join(", "),
        sql_ident(view)
    );
    let mut rows: Vec<String> = db
        .query(&sql)
        .into_iter()
        .filter_map(|r| r.into_iter().next())
        .filter(|r| !r.is_empty() && r != "SET")
        .map(|r| {
            let v: serde_json::Value = serde_json::from_str(&r).expect("json row");
            let cells: Vec<String> = v
                .as_array()
                .expect("array")
                .iter()
                .map(|c| match c {
                    serde_json::Value::Null => "null".to_string(),
                    serde_json::Value::Bool(b) => canonical_number(f64::from(u8::from(*b))),
                    serde_json::Value::Number(n) => canonical_number(n.as_f64().unwrap()),
                    serde_json::Value::String(s) => match s.strip_prefix("\\x") {
                        Some(h) => format!("x{h}"),
                        None => canonical_text(s),
                    },
                    other => other.to_string(),
                })
                .collect();
            cells.join("|")
        })
        .collect();
    rows.sort();
    rows
}

fn pg_views(db: &TestDb) -> Vec<String> {
    db.query("SELECT viewname FROM pg_views WHERE schemaname = 'public' ORDER BY 1")
        .into_iter()
        .filter_map(|r| r.into_iter().next())
        .collect()
}

fn sqlite_views(path: &Path) -> Vec<String> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn translated_views_return_sqlites_rows_on_15_and_18() {
    for v in PgVersion::ALL {
        for (rel, translated, kept) in DATABASES {
            let path = corpus(rel);
            let db = cluster(v).new_db("views");
            let out = pgbridge(&["migrate", path.to_str().unwrap(), db.url.as_str()]);
            assert!(out.status.success(), "{rel} on {v:?}: {}", text(&out));
            let kept_count = text(&out).matches("view-kept-as-comment").count();
            let in_pg = pg_views(&db);
            let conn = Connection::open(&path).unwrap();
            let mut equal = 0;
            for view in sqlite_views(&path) {
                if !in_pg.contains(&view) {
                    continue;
                }
                let (names, want) = sqlite_rows(&conn, &view);
                let got = pg_rows(&db, &view, &names);
                assert_eq!(got.len(), want.len(), "{rel} {view} on {v:?}: row count");
                let diff: Vec<_> = got
                    .iter()
                    .zip(&want)
                    .filter(|(a, b)| a != b)
                    .take(3)
                    .collect();
                assert!(
                    diff.is_empty(),
                    "{rel} {view} on {v:?}: rows differ {diff:?}"
                );
                equal += 1;
            }
            eprintln!(
                "{rel} on {v:?}: {} translated, {kept_count} kept as comments, {equal} equal on data",
                in_pg.len()
            );
            assert_eq!(in_pg.len(), *translated, "{rel}: views translated");
            assert_eq!(equal, *translated, "{rel}: views equal on data");
            assert_eq!(
                kept_count,
                *kept,
                "{rel}: views kept as comments\n{}",
                text(&out)
            );
        }
    }
}
