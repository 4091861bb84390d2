//! `pgbridge rollback` against real PostgreSQL 15 and 18: after a cutover,
//! the application writes PostgreSQL (inserts, updates, deletes, key
//! updates; booleans, timestamps in the column's own text layout, uuid,
//! blobs, jsonb, NULLs, a hostile table name), then rollback brings every
//! change back to SQLite: verify matches, SQLite takes writes again,
//! PostgreSQL refuses them with the block's message, sync goes on and a
//! later cutover runs again. A value the inverse cannot restore exactly is
//! named with nothing applied (`--accept-loss` writes the nearest value and
//! lists it); a second rollback is refused; a crash between the SQLite and
//! the PostgreSQL commit is finished by the next rollback.
mod common;

use common::{PgVersion, cluster, pgbridge, text};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// `item`'s id, active, seen, uid and data.
type ItemRow = (i64, i64, Option<String>, Option<String>, Option<Vec<u8>>);

const HOSTILE: &str = "r\"q \n*/;error[forged]: x";

fn source(dir: &Path) -> PathBuf {
    let path = dir.join("app.db");
    let c = Connection::open(&path).unwrap();
    c.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE item (id INTEGER PRIMARY KEY, active BOOLEAN NOT NULL, seen TIMESTAMP,
                            uid UUID, data BLOB, note TEXT);
         CREATE TABLE doc (id INTEGER PRIMARY KEY, body JSON);
         CREATE TABLE \"{h}\" (\"k{h}\" TEXT PRIMARY KEY, \"v{h}\" INTEGER);
         INSERT INTO item VALUES
           (1, 1, '2024-01-02T03:04:05Z', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', x'00ff', 'one'),
           (2, 0, '2024-02-03T04:05:06Z', 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', x'01', NULL),
           (3, 1, '2024-03-04T05:06:07Z', NULL, NULL, 'three');
         INSERT INTO doc VALUES (1, '{{\"a\": 1}}');
         INSERT INTO \"{h}\" VALUES ('it''s', 1);",
        h = HOSTILE.replace('"', "\"\"")
    ))
    .unwrap();
    path
}

fn run(args: &[&str]) -> String {
    let o = pgbridge(args);
    assert!(
        o.status.success(),
        "pgbridge {args:?} failed:\n{}",
        text(&o)
    );
    text(&o)
}

/// Makes PostgreSQL the database of record, as `pgbridge cutover` does:
/// the write block on SQLite, reverse capture and the cutover recorded on
/// PostgreSQL.
fn cutover(db: &Path, url: &str) {
    run(&["sync", db.to_str().unwrap(), url]);
    run(&["cutover", db.to_str().unwrap(), url]);
}

fn rollback(db: &Path, url: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["rollback", db.to_str().unwrap(), url];
    args.extend_from_slice(extra);
    pgbridge(&args)
}

fn sqlite_write_fails(db: &Path) -> Option<String> {
    Connection::open(db)
        .unwrap()
        .execute("UPDATE item SET note = note WHERE id = 1", [])
        .err()
        .map(|e| e.to_string())
}

fn expect_verified(db: &Path, url: &str) {
    let out = run(&["verify", db.to_str().unwrap(), url]);
    assert!(out.contains(" 0 differ"), "{out}");
}

fn cutover_state(client: &mut postgres::Client) -> String {
    client
        .query_one("SELECT state FROM pgbridge.cutover", &[])
        .unwrap()
        .get(0)
}

/// The application's writes on PostgreSQL after the cutover.
fn write_postgres(client: &mut postgres::Client, json: bool) {
    let h = HOSTILE.replace('"', "\"\"");
    let h_lit = HOSTILE.replace('\'', "''");
    client
        .batch_execute(&format!(
            "INSERT INTO item (id, active, seen, uid, data, note) VALUES
               (4, true, '2025-06-01 12:00:00+00', 'c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13', '\\x0000ff', NULL);
             UPDATE item SET active = false, seen = '2025-07-01 08:30:00+00', data = NULL, note = 'it''s' WHERE id = 1;
             DELETE FROM item WHERE id = 2;
             UPDATE item SET id = 30 WHERE id = 3;
             INSERT INTO \"{h}\" VALUES (E'{h_lit}', 2);
             UPDATE \"{h}\" SET \"k{h}\" = 'moved' WHERE \"v{h}\" = 1;",
        ))
        .unwrap();
    if json {
        client
            .batch_execute("UPDATE doc SET body = '{\"b\": [1, 2]}' WHERE id = 1")
            .unwrap();
    }
}

fn case(v: PgVersion) {
    let dir = tempfile::tempdir().unwrap();
    let db_path = source(dir.path());
    let db = cluster(v).new_db("rollback");
    let p = db_path.to_str().unwrap();
    run(&["migrate", p, &db.url, "--live"]);
    cutover(&db_path, &db.url);
    assert!(sqlite_write_fails(&db_path).is_some(), "SQLite not blocked");
    let mut client = db.connect();
    write_postgres(&mut client, true);
    // jsonb keeps no key order or spacing: named, nothing applied.
    let o = rollback(&db_path, &db.url, &[]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("rollback-inexact") && out.contains("column body"),
        "{out}"
    );
    assert!(!out.contains("error[forged]"), "a name printed raw:\n{out}");
    assert!(
        sqlite_write_fails(&db_path).is_some(),
        "refused, yet unblocked"
    );
    assert_eq!(cutover_state(&mut client), "cut-over");
    let item_1: String = Connection::open(&db_path)
        .unwrap()
        .query_row("SELECT seen FROM item WHERE id = 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(item_1, "2024-01-02T03:04:05Z", "refused, yet applied");
    // Accepted by name: the nearest value, listed.
    let report = dir.path().join("rollback.json");
    let o = rollback(
        &db_path,
        &db.url,
        &["--accept-loss", "--report", report.to_str().unwrap()],
    );
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(!out.contains("error[forged]"), "a name printed raw:\n{out}");
    let rep: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(rep["status"], "rolled-back");
    assert_eq!(rep["inexact"].as_array().unwrap().len(), 1, "{rep}");
    assert_eq!(rep["inexact"][0]["column"], "body");
    expect_verified(&db_path, &db.url);
    // Each value in the form the application wrote it.
    let c = Connection::open(&db_path).unwrap();
    let rows: Vec<ItemRow> = c
        .prepare("SELECT id, active, seen, uid, data FROM item ORDER BY id")
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        vec![
            (
                1,
                0,
                Some("2025-07-01T08:30:00Z".into()),
                Some("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".into()),
                None
            ),
            (
                4,
                1,
                Some("2025-06-01T12:00:00Z".into()),
                Some("c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13".into()),
                Some(vec![0, 0, 255])
            ),
            (30, 1, Some("2024-03-04T05:06:07Z".into()), None, None),
        ]
    );
    let keys: Vec<String> = c
        .prepare(&format!(
            "SELECT \"k{h}\" FROM \"{h}\" ORDER BY 1",
            h = HOSTILE.replace('"', "\"\"")
        ))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(keys, vec!["moved".to_string(), HOSTILE.to_string()]);
    // SQLite is the database of record again; PostgreSQL refuses writes.
    assert_eq!(sqlite_write_fails(&db_path), None);
    c.execute("INSERT INTO item (id, active) VALUES (5, 1)", [])
        .unwrap();
    let e = client
        .batch_execute("INSERT INTO item (id, active) VALUES (6, true)")
        .unwrap_err();
    let shown = format!("{:?}", e.as_db_error());
    assert!(shown.contains("moved back to SQLite"), "{shown}");
    let e = client.batch_execute("TRUNCATE item").unwrap_err();
    let shown = format!("{:?}", e.as_db_error());
    assert!(shown.contains("moved back to SQLite"), "{shown}");
    assert_eq!(cutover_state(&mut client), "rolled-back");
    run(&["sync", p, &db.url]);
    let n: i64 = client
        .query_one("SELECT count(*) FROM item WHERE id = 5", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1, "sync did not go on after the rollback");
    expect_verified(&db_path, &db.url);
    // Twice: refused cleanly.
    let o = rollback(&db_path, &db.url, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("rollback-not-cut-over"), "{}", text(&o));
    // A later cutover lifts PostgreSQL's block; TRUNCATE, which no row
    // trigger sees, is refused while reverse capture is on.
    cutover(&db_path, &db.url);
    let e = client.batch_execute("TRUNCATE item").unwrap_err();
    let shown = format!("{:?}", e.as_db_error());
    assert!(shown.contains("use DELETE"), "{shown}");
    client
        .batch_execute("INSERT INTO item (id, active) VALUES (6, true)")
        .unwrap();
    run(&["rollback", p, &db.url]);
    expect_verified(&db_path, &db.url);
}

#[test]
fn changes_on_postgres_come_back_to_sqlite_on_15_and_18() {
    for v in PgVersion::ALL {
        case(v);
    }
}

#[test]
fn a_crash_between_the_commits_is_finished_by_the_next_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = source(dir.path());
    let db = cluster(PgVersion::V18).new_db("rollback");
    let p = db_path.to_str().unwrap();
    run(&["migrate", p, &db.url, "--live"]);
    cutover(&db_path, &db.url);
    let mut client = db.connect();
    write_postgres(&mut client, false);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_pgbridge"))
        .args(["rollback", p, &db.url])
        .env("PGBRIDGE_SYNC_FAILPOINT", "rollback-between-commits")
        .output()
        .unwrap();
    assert!(!o.status.success(), "rollback did not abort");
    // SQLite committed, PostgreSQL did not.
    assert_eq!(sqlite_write_fails(&db_path), None);
    assert_eq!(cutover_state(&mut client), "cut-over");
    // PostgreSQL's writers are free again until the rollback is finished.
    client
        .batch_execute("UPDATE item SET note = 'stray' WHERE id = 4")
        .unwrap();
    let out = run(&["rollback", p, &db.url]);
    assert!(out.contains("finished an interrupted rollback"), "{out}");
    assert!(
        out.contains("PostgreSQL took 1 change(s) after the interrupted rollback"),
        "{out}"
    );
    assert_eq!(cutover_state(&mut client), "rolled-back");
    assert!(
        client
            .batch_execute("DELETE FROM item WHERE id = 1")
            .is_err(),
        "PostgreSQL takes writes after the finished rollback"
    );
    // The stray write is named, not carried: the user brings it over.
    Connection::open(&db_path)
        .unwrap()
        .execute_batch("UPDATE item SET note = 'after' WHERE id = 1; UPDATE item SET note = 'stray' WHERE id = 4;")
        .unwrap();
    run(&["sync", p, &db.url]);
    expect_verified(&db_path, &db.url);
    let o = rollback(&db_path, &db.url, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

#[test]
fn a_cutover_that_never_blocked_sqlite_is_not_taken_for_a_rollback_to_finish() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = source(dir.path());
    let db = cluster(PgVersion::V15).new_db("rollback");
    let p = db_path.to_str().unwrap();
    run(&["migrate", p, &db.url, "--live"]);
    run(&["sync", p, &db.url]);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_pgbridge"))
        .args(["cutover", p, &db.url])
        .env("PGBRIDGE_SYNC_FAILPOINT", "cutover-between-commits")
        .output()
        .unwrap();
    assert!(!o.status.success(), "cutover did not abort");
    let mut client = db.connect();
    assert_eq!(cutover_state(&mut client), "cut-over");
    let o = rollback(&db_path, &db.url, &[]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("rollback-cutover-unfinished"), "{out}");
    assert_eq!(
        cutover_state(&mut client),
        "cut-over",
        "rollback changed it"
    );
    // The cutover undoes it and cuts over; then rollback runs.
    run(&["cutover", p, &db.url]);
    run(&["rollback", p, &db.url]);
    expect_verified(&db_path, &db.url);
}
