//! `pgbridge capture`: the key-pointer change log on a live SQLite source.
//!
//! The proof is a replay: a copy of the source taken when capture was
//! installed, brought up to date by the log alone (for each logged key, the
//! row as the source has it now, or none), must equal the source — after
//! inserts, updates, key updates, deletes, blob keys, and `INSERT OR
//! REPLACE` deleting rows through a secondary UNIQUE without firing DELETE
//! triggers. SQLite only: PostgreSQL's side (sync) reads the same log.
mod common;

use common::{pgbridge, text};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

const HOSTILE: &str = "t\"q\nerror[forged]: x:y";

fn source(dir: &Path) -> PathBuf {
    let path = dir.join("app.db");
    let c = Connection::open(&path).unwrap();
    c.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);
         CREATE TABLE tags (owner BLOB, tag TEXT, n INTEGER, PRIMARY KEY (owner, tag)) WITHOUT ROWID;
         CREATE TABLE codes (code TEXT PRIMARY KEY, slot INTEGER, v REAL);
         CREATE UNIQUE INDEX codes_slot ON codes (slot);
         CREATE TABLE \"{h}\" (\"k{h}\" TEXT PRIMARY KEY, v TEXT);
         INSERT INTO users VALUES (1, 'a@x', 'A'), (2, 'b@x', 'B'), (3, 'c@x', 'C');
         INSERT INTO tags VALUES (x'00ff', 'red', 1), (x'01', 'blue', 2);
         INSERT INTO codes VALUES ('a', 1, 0.5), ('b', 2, -0.0), ('c', 3, 1e300);
         INSERT INTO \"{h}\" VALUES ('it''s', 'one');",
        h = HOSTILE.replace('"', "\"\"")
    ))
    .unwrap();
    path
}

/// The application's writes after capture is installed.
const WRITES: &str = "
    INSERT INTO users (email, name) VALUES ('d@x', 'D');
    UPDATE users SET name = 'B2' WHERE id = 2;
    UPDATE users SET id = 20 WHERE id = 3;
    DELETE FROM users WHERE id = 1;
    -- REPLACE on the secondary UNIQUE: deletes user 2 without a DELETE trigger.
    INSERT OR REPLACE INTO users (id, email, name) VALUES (30, 'b@x', 'B3');
    INSERT INTO tags VALUES (x'00', 'green', 3);
    UPDATE tags SET owner = x'02' WHERE tag = 'blue';
    DELETE FROM tags WHERE owner = x'00ff';
    -- REPLACE through a unique index; UPDATE OR REPLACE too.
    INSERT OR REPLACE INTO codes VALUES ('z', 1, 2.5);
    UPDATE OR REPLACE codes SET slot = 3 WHERE code = 'b';
    INSERT INTO users (id, email) VALUES (40, 'e@x') ON CONFLICT (email) DO UPDATE SET name = 'x';
    INSERT INTO users (id, email) VALUES (41, 'e@x') ON CONFLICT (email) DO UPDATE SET name = 'y';
";

/// Brings `replica` up to date from the log of `src`: for each logged key,
/// the source's row now, or none.
fn replay(src: &Path, replica: &Path) {
    let c = Connection::open(replica).unwrap();
    c.execute("ATTACH ?1 AS s", [src.to_str().unwrap()])
        .unwrap();
    let entries: Vec<(String, String, String)> = c
        .prepare(
            "SELECT l.tbl, l.key, t.key_columns FROM s._pgbridge_log l \
             JOIN s._pgbridge_capture t ON t.tbl = l.tbl GROUP BY l.tbl, l.key ORDER BY max(l.id)",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!entries.is_empty());
    for (tbl, key, cols) in entries {
        let cols: Vec<String> = serde_json::from_str(&cols).unwrap();
        let q = |n: &str| format!("\"{}\"", n.replace('"', "\"\""));
        let on = format!(
            "({}) = ({key})",
            cols.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")
        );
        c.execute_batch(&format!(
            "DELETE FROM main.{t} WHERE {on}; INSERT INTO main.{t} SELECT * FROM s.{t} WHERE {on};",
            t = q(&tbl)
        ))
        .unwrap_or_else(|e| panic!("replaying {tbl} {key}: {e}"));
    }
}

/// Every application table's rows, as text, sorted.
fn content(path: &Path) -> Vec<String> {
    let c = Connection::open(path).unwrap();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name NOT LIKE '\\_pgbridge%' ESCAPE '\\' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let sql = format!("SELECT * FROM \"{}\"", t.replace('"', "\"\""));
        let mut st = c.prepare(&sql).unwrap();
        let n = st.column_count();
        let mut rows: Vec<String> = st
            .query_map([], |r| {
                let vals: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
                    .collect();
                Ok(format!("{t}: {}", vals.join(" | ")))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        out.extend(rows);
    }
    out
}

fn schema_sql(path: &Path) -> Vec<String> {
    let c = Connection::open(path).unwrap();
    c.prepare("SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_schema WHERE name <> 'sqlite_sequence' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn the_log_alone_replays_every_write_including_replace_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let before = schema_sql(&src);
    let o = pgbridge(&["capture", "install", src.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // The replica is the source as it was when capture began.
    let replica = dir.path().join("replica.db");
    Connection::open(&src)
        .unwrap()
        .execute("VACUUM INTO ?1", [replica.to_str().unwrap()])
        .unwrap();
    Connection::open(&src)
        .unwrap()
        .execute_batch(WRITES)
        .unwrap();
    assert_ne!(
        content(&src),
        content(&replica),
        "the writes changed nothing"
    );
    replay(&src, &replica);
    assert_eq!(content(&src), content(&replica));
    // Installing again replaces the triggers; removing leaves the schema as it was.
    let o = pgbridge(&["capture", "install", src.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = pgbridge(&["capture", "remove", src.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(schema_sql(&src), before);
}

/// Without the BEFORE triggers, the row a REPLACE deletes through a
/// secondary UNIQUE would never reach the log: the replay test above must
/// be able to fail. This writes only that case and checks its key is there.
#[test]
fn a_replace_through_a_secondary_unique_logs_the_deleted_key() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let o = pgbridge(&["capture", "install", src.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let c = Connection::open(&src).unwrap();
    c.execute_batch("INSERT OR REPLACE INTO users (id, email) VALUES (9, 'a@x')")
        .unwrap();
    let keys: Vec<String> = c
        .prepare("SELECT key FROM _pgbridge_log WHERE tbl = 'users' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(keys.contains(&"1".to_string()), "{keys:?}");
    assert!(keys.contains(&"9".to_string()), "{keys:?}");
}

#[test]
fn a_table_without_a_key_is_refused_and_the_source_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("nokey.db");
    Connection::open(&src)
        .unwrap()
        .execute_batch(
            "CREATE TABLE ok (id INTEGER PRIMARY KEY); CREATE TABLE \"log\nerror[x]\" (at TEXT, msg TEXT);",
        )
        .unwrap();
    let before = schema_sql(&src);
    let o = pgbridge(&["capture", "install", src.to_str().unwrap()]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("capture-table-refused"), "{out}");
    assert!(out.contains("no PRIMARY KEY"), "{out}");
    assert!(out.contains("log\\nerror[x]"), "the name, escaped: {out}");
    assert!(!out.lines().any(|l| l.starts_with("error[x]")), "{out}");
    assert_eq!(schema_sql(&src), before);
}

/// A writer holding the write lock is waited for (busy timeout), not failed.
#[test]
fn install_waits_for_a_live_writer() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let writer = Connection::open(&src).unwrap();
    writer
        .execute_batch("BEGIN IMMEDIATE; INSERT INTO users (email) VALUES ('w@x');")
        .unwrap();
    let path = src.clone();
    let install =
        std::thread::spawn(move || pgbridge(&["capture", "install", path.to_str().unwrap()]));
    std::thread::sleep(std::time::Duration::from_millis(800));
    writer.execute_batch("COMMIT").unwrap();
    let o = install.join().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    writer
        .execute_batch("INSERT INTO users (email) VALUES ('after@x')")
        .unwrap();
    let logged: i64 = writer
        .query_row("SELECT count(*) FROM _pgbridge_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(logged, 1, "only the write after install is logged");
}

/// Capture's own tables and triggers are never part of the application:
/// the compiled set of a captured source is the uncaptured one's.
#[test]
fn compile_ignores_capture_objects() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let compile = |out: &str| {
        let o = pgbridge(&[
            "compile",
            src.to_str().unwrap(),
            "-o",
            dir.path().join(out).to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        std::fs::read_to_string(dir.path().join(out).join("01_schema.sql")).unwrap()
            + &std::fs::read_to_string(dir.path().join(out).join("03_constraints.sql")).unwrap()
    };
    let plain = compile("plain");
    let o = pgbridge(&["capture", "install", src.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    Connection::open(&src)
        .unwrap()
        .execute_batch("UPDATE users SET name = name")
        .unwrap();
    assert_eq!(compile("captured"), plain);
}
