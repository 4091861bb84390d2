//! `pgbridge sync --apply-schema-changes additive` against real PostgreSQL
//! 15 and 18: a column added while a writer writes (ALTER TABLE ADD COLUMN
//! and SQLite's 12-step rebuild that only adds a column) is applied to the
//! target and sync goes on, every row verified, the rows the rebuild kept
//! out of the log included; a dropped column or a NOT NULL column without a
//! default stays stopped with the diff written for review. Names with
//! quotes, a line break, `*/` and `;` go through every statement.
mod common;

use common::{PgVersion, cluster, pgbridge, text};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const HOSTILE: &str = "t\"q\n*/; x";
const HOSTILE_COL: &str = "n\"o;te */\nx";

fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
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

fn source(dir: &Path) -> PathBuf {
    let path = dir.join("shop.db");
    let c = Connection::open(&path).unwrap();
    c.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL);
         CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);
         CREATE TABLE {h} ({k} TEXT PRIMARY KEY, v TEXT);
         WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 50)
         INSERT INTO item SELECT i, 'item ' || i, i FROM s;
         INSERT INTO users VALUES (1, 'a@x', 'A'), (2, 'b@x', 'B'), (3, 'c@x', 'C');
         INSERT INTO {h} VALUES ('it''s', 'one'), ('two', 'zwei');",
        h = q(HOSTILE),
        k = q(&format!("k{HOSTILE}")),
    ))
    .unwrap();
    path
}

/// Position of the source's log and of the target's watermark.
/// The shop source migrated live into a new database on `v` and synced
/// once: the source's path, the review directory, the target.
fn synced(dir: &Path, v: PgVersion) -> (PathBuf, PathBuf, common::TestDb) {
    let db_path = source(dir);
    let db = cluster(v).new_db("syncschema");
    let src = db_path.to_str().unwrap();
    run(&["migrate", src, &db.url, "--live"]);
    run(&["sync", src, &db.url]);
    (db_path, dir.join("review"), db)
}

/// The hostile table's `v` and added column, ordered by `v`.
fn hostile_rows(client: &mut postgres::Client) -> Vec<(String, Option<String>)> {
    let sql = format!(
        "SELECT v, {} FROM {} ORDER BY v",
        q(HOSTILE_COL),
        q(HOSTILE)
    );
    let rows = client.query(&sql, &[]).unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

fn source_position(db: &Path) -> i64 {
    Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = '_pgbridge_log'), 0)",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

fn target_position(client: &mut postgres::Client) -> i64 {
    client
        .query_one(
            "SELECT coalesce((SELECT max(position) FROM pgbridge.sync), 0)",
            &[],
        )
        .unwrap()
        .get(0)
}

fn expect_verified(db: &Path, url: &str) {
    let out = run(&["verify", db.to_str().unwrap(), url]);
    assert!(out.contains(" 0 differ"), "{out}");
}

fn events(client: &mut postgres::Client, event: &str) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM pgbridge.sync_events WHERE event = $1",
            &[&event],
        )
        .unwrap()
        .get(0)
}

/// Writes to `item` until `stop`; once `altered`, into its new columns too.
fn writer(
    path: PathBuf,
    stop: Arc<AtomicBool>,
    altered: Arc<AtomicBool>,
) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let c = Connection::open(&path).unwrap();
        c.busy_timeout(Duration::from_secs(30)).unwrap();
        let mut n: i64 = 0;
        while !stop.load(Ordering::Relaxed) {
            n += 1;
            let id = 1 + n % 60;
            if altered.load(Ordering::Relaxed) {
                c.execute(
                    "INSERT INTO item (id, name, qty, note) VALUES (?1, 'w', ?2, 'note ' || ?2) \
                     ON CONFLICT (id) DO UPDATE SET qty = excluded.qty, note = excluded.note",
                    [id, n],
                )
                .unwrap();
            } else {
                c.execute(
                    "INSERT INTO item (id, name, qty) VALUES (?1, 'w', ?2) \
                     ON CONFLICT (id) DO UPDATE SET qty = excluded.qty",
                    [id, n],
                )
                .unwrap();
            }
            if n % 7 == 0 {
                c.execute("DELETE FROM item WHERE id = ?1", [1 + (n * 3) % 60])
                    .unwrap();
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        n as u64
    })
}

fn spawn_follow(db: &Path, url: &str, review: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_pgbridge"))
        .args([
            "sync",
            db.to_str().unwrap(),
            url,
            "--follow",
            "--apply-schema-changes",
            "additive",
            "--schema-diff-dir",
            review.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_caught_up(db: &Path, client: &mut postgres::Client, sync: &mut Child) {
    let t0 = Instant::now();
    while target_position(client) != source_position(db) {
        if let Some(status) = sync.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(sync.stderr.as_mut().unwrap(), &mut err).unwrap();
            panic!("sync exited ({status}) before catching up:\n{err}");
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "sync did not catch up within 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn column_type(client: &mut postgres::Client, table: &str, column: &str) -> Option<String> {
    client
        .query_opt(
            "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a \
             WHERE a.attrelid = to_regclass(quote_ident($1)) AND a.attname = $2 AND NOT a.attisdropped",
            &[&table, &column],
        )
        .unwrap()
        .map(|r| r.get(0))
}

fn add_column_while_writing(v: PgVersion) {
    let dir = tempfile::tempdir().unwrap();
    let db_path = source(dir.path());
    let review = dir.path().join("review");
    let db = cluster(v).new_db("syncschema");
    run(&["migrate", db_path.to_str().unwrap(), &db.url, "--live"]);
    let (stop, altered) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let w = writer(db_path.clone(), stop.clone(), altered.clone());
    let mut sync = spawn_follow(&db_path, &db.url, &review);
    std::thread::sleep(Duration::from_millis(600));
    let c = Connection::open(&db_path).unwrap();
    c.busy_timeout(Duration::from_secs(30)).unwrap();
    c.execute_batch(
        "ALTER TABLE item ADD COLUMN note TEXT;
         ALTER TABLE item ADD COLUMN grade INTEGER NOT NULL DEFAULT 3;",
    )
    .unwrap();
    altered.store(true, Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::Relaxed);
    let written = w.join().unwrap();
    let mut client = db.connect();
    wait_caught_up(&db_path, &mut client, &mut sync);
    Command::new("kill")
        .args(["-TERM", &sync.id().to_string()])
        .status()
        .unwrap();
    let out = sync.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "sync --follow failed:\n{}",
        text(&out)
    );
    assert_eq!(
        column_type(&mut client, "item", "note").as_deref(),
        Some("text")
    );
    let (notes, grades): (i64, i64) = {
        let r = client
            .query_one(
                "SELECT count(note), count(*) FILTER (WHERE grade = 3) FROM item",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert!(notes > 0, "no note arrived in PostgreSQL");
    let rows: i64 = c
        .query_row("SELECT count(*) FROM item", [], |r| r.get(0))
        .unwrap();
    assert_eq!(grades, rows, "the default did not reach every row");
    // The two ALTERs are two schema changes: sync may see them apart.
    let applied = events(&mut client, "schema-applied");
    assert!(
        (1..=2).contains(&applied),
        "{applied} schema-applied events"
    );
    let statements: String = client
        .query_one(
            "SELECT string_agg(detail ->> 'statements', ' ') FROM pgbridge.sync_events              WHERE event = 'schema-applied'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(
        statements.contains("ADD COLUMN note text") && statements.contains("ADD COLUMN grade"),
        "{statements}"
    );
    assert!(review.join("up.sql").is_file());
    expect_verified(&db_path, &db.url);
    eprintln!("{v:?}: {written} writer statements, {notes} notes synced");
}

#[test]
fn a_column_added_while_a_writer_writes_is_applied_and_sync_goes_on_on_15_and_18() {
    for v in PgVersion::ALL {
        add_column_while_writing(v);
    }
}

/// SQLite's 12-step change of `table` (new table, copy, drop, rename),
/// adding `column`; then writes that capture cannot see.
fn rebuild_adding(c: &Connection) {
    c.execute_batch(&format!(
        "BEGIN;
         CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, age INTEGER);
         INSERT INTO users_new (id, email, name) SELECT id, email, name FROM users;
         DROP TABLE users;
         ALTER TABLE users_new RENAME TO users;
         CREATE TABLE h_new ({k} TEXT PRIMARY KEY, v TEXT, {col} TEXT DEFAULT 'd;*/');
         INSERT INTO h_new ({k}, v) SELECT {k}, v FROM {h};
         DROP TABLE {h};
         ALTER TABLE h_new RENAME TO {h};
         COMMIT;
         INSERT INTO users (email, age) VALUES ('after@x', 30);
         UPDATE users SET name = 'A2', age = 7 WHERE id = 1;
         DELETE FROM users WHERE id = 2;
         UPDATE {h} SET {col} = 'x''y' WHERE v = 'one';
         DELETE FROM {h} WHERE v = 'zwei';
         INSERT INTO item (id, name, qty) VALUES (100, 'logged', 1);",
        h = q(HOSTILE),
        k = q(&format!("k{HOSTILE}")),
        col = q(HOSTILE_COL),
    ))
    .unwrap();
}

#[test]
fn a_12_step_rebuild_that_only_adds_a_column_is_applied_with_the_unlogged_rows_on_15_and_18() {
    for v in PgVersion::ALL {
        let dir = tempfile::tempdir().unwrap();
        let (db_path, review, db) = synced(dir.path(), v);
        let src = db_path.to_str().unwrap();
        let c = Connection::open(&db_path).unwrap();
        rebuild_adding(&c);
        // Without the flag sync stops, as before.
        let o = pgbridge(&["sync", src, &db.url]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("sync-schema-changed"), "{}", text(&o));
        let out = run(&[
            "sync",
            src,
            &db.url,
            "--apply-schema-changes",
            "additive",
            "--schema-diff-dir",
            review.to_str().unwrap(),
        ]);
        let mut client = db.connect();
        assert_eq!(
            target_position(&mut client),
            source_position(&db_path),
            "{out}"
        );
        let users: Vec<(i64, Option<String>, Option<i64>)> = client
            .query("SELECT id, name, age::bigint FROM users ORDER BY id", &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        assert_eq!(
            users,
            vec![
                (1, Some("A2".into()), Some(7)),
                (3, Some("C".into()), None),
                (4, None, Some(30)),
            ],
            "the rows the rebuild kept out of the log did not arrive"
        );
        let hostile: Vec<(String, Option<String>)> = hostile_rows(&mut client);
        assert_eq!(hostile, vec![("one".to_string(), Some("x'y".to_string()))]);
        expect_verified(&db_path, &db.url);
        // Capture follows the new columns: a later change syncs without the flag.
        c.execute_batch(&format!(
            "UPDATE users SET age = 8 WHERE id = 3; UPDATE {} SET {} = 'z' WHERE v = 'one';",
            q(HOSTILE),
            q(HOSTILE_COL)
        ))
        .unwrap();
        run(&["sync", src, &db.url]);
        let age: Option<i64> = client
            .query_one("SELECT age::bigint FROM users WHERE id = 3", &[])
            .unwrap()
            .get(0);
        assert_eq!(age, Some(8));
        expect_verified(&db_path, &db.url);
        assert_eq!(events(&mut client, "schema-applied"), 1);
    }
}

#[test]
fn a_dropped_column_or_a_not_null_column_without_default_stays_stopped_with_the_diff() {
    let cases = [
        (
            "ALTER TABLE users DROP COLUMN name;",
            "column users.name was dropped or renamed",
            "DROP COLUMN name",
        ),
        (
            "BEGIN;
             CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, born TEXT NOT NULL);
             INSERT INTO users_new SELECT id, email, name, '2000' FROM users;
             DROP TABLE users;
             ALTER TABLE users_new RENAME TO users;
             COMMIT;",
            "not-null-on-existing-rows",
            "ADD COLUMN born text NOT NULL",
        ),
    ];
    for (change, why, statement) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (db_path, review, db) = synced(dir.path(), PgVersion::V18);
        let src = db_path.to_str().unwrap();
        let mut client = db.connect();
        let before = target_position(&mut client);
        let c = Connection::open(&db_path).unwrap();
        c.execute_batch(change).unwrap();
        c.execute_batch("INSERT INTO item (id, name, qty) VALUES (500, 'after', 1);")
            .unwrap();
        let o = pgbridge(&[
            "sync",
            src,
            &db.url,
            "--apply-schema-changes",
            "additive",
            "--schema-diff-dir",
            review.to_str().unwrap(),
        ]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(2), "{out}");
        assert!(
            out.contains("sync-schema-not-additive") && out.contains(why),
            "{out}"
        );
        assert!(out.contains(review.to_str().unwrap()), "{out}");
        let up = std::fs::read_to_string(review.join("up.sql")).unwrap();
        assert!(up.contains(statement), "{up}");
        assert_eq!(
            target_position(&mut client),
            before,
            "sync applied past the change"
        );
        assert_eq!(
            column_type(&mut client, "users", "name").as_deref(),
            Some("text"),
            "the target was changed"
        );
        assert_eq!(events(&mut client, "schema-change-refused"), 1);
        assert_eq!(events(&mut client, "schema-applied"), 0);
    }
}

fn additive(src: &str, url: &str, review: &Path) -> std::process::Output {
    pgbridge(&[
        "sync",
        src,
        url,
        "--apply-schema-changes",
        "additive",
        "--schema-diff-dir",
        review.to_str().unwrap(),
    ])
}

/// The columns capture recorded for `table` (JSON text).
fn capture_columns(db: &Path, table: &str) -> String {
    Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT columns FROM _pgbridge_capture WHERE tbl = ?1",
            [table],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn a_crash_between_the_targets_commit_and_captures_reinstall_is_finished_by_the_rerun() {
    for v in PgVersion::ALL {
        let dir = tempfile::tempdir().unwrap();
        let (db_path, review, db) = synced(dir.path(), v);
        let src = db_path.to_str().unwrap();
        let c = Connection::open(&db_path).unwrap();
        c.execute_batch(&format!(
            "ALTER TABLE {h} ADD COLUMN {col} TEXT;
             UPDATE {h} SET {col} = 'before' WHERE v = 'one';",
            h = q(HOSTILE),
            col = q(HOSTILE_COL),
        ))
        .unwrap();
        let before_capture = capture_columns(&db_path, HOSTILE);
        let o = Command::new(env!("CARGO_BIN_EXE_pgbridge"))
            .args(["sync", src, &db.url, "--apply-schema-changes", "additive"])
            .arg("--schema-diff-dir")
            .arg(&review)
            .env("PGBRIDGE_SYNC_FAILPOINT", "schema-before-capture")
            .output()
            .unwrap();
        assert!(
            !o.status.success(),
            "the failpoint did not fire:\n{}",
            text(&o)
        );
        let mut client = db.connect();
        assert_eq!(
            column_type(&mut client, HOSTILE, HOSTILE_COL).as_deref(),
            Some("text"),
            "the target's transaction did not commit before the crash"
        );
        assert_eq!(
            capture_columns(&db_path, HOSTILE),
            before_capture,
            "capture was reinstalled before the crash"
        );
        // The writer goes on meanwhile, into the new column too.
        c.execute_batch(&format!(
            "INSERT INTO {h} ({k}, v, {col}) VALUES ('three', 'drei', 'x''*/');
             UPDATE {h} SET {col} = 'after' WHERE v = 'one';
             INSERT INTO item (id, name, qty) VALUES (200, 'after the crash', 2);",
            h = q(HOSTILE),
            k = q(&format!("k{HOSTILE}")),
            col = q(HOSTILE_COL),
        ))
        .unwrap();
        let o = additive(src, &db.url, &review);
        assert!(o.status.success(), "the rerun failed:\n{}", text(&o));
        let up = std::fs::read_to_string(review.join("up.sql")).unwrap();
        assert!(
            !up.contains("ADD COLUMN"),
            "the rerun diffed against the old schema:\n{up}"
        );
        assert_ne!(capture_columns(&db_path, HOSTILE), before_capture);
        let rows: Vec<(String, Option<String>)> = hostile_rows(&mut client);
        assert_eq!(
            rows,
            vec![
                ("drei".to_string(), Some("x'*/".to_string())),
                ("one".to_string(), Some("after".to_string())),
                ("zwei".to_string(), None),
            ]
        );
        assert_eq!(target_position(&mut client), source_position(&db_path));
        expect_verified(&db_path, &db.url);
        assert_eq!(events(&mut client, "schema-applied"), 1);
    }
}

/// A 12-step rebuild of `users` and of the hostile table that keeps their
/// columns: `change` is the new declaration of `users`; the hostile table's
/// `v` gains a default. Then writes capture cannot see.
fn rebuild_same_columns(c: &Connection, users: &str) {
    c.execute_batch(&format!(
        "BEGIN;
         CREATE TABLE users_new ({users});
         INSERT INTO users_new SELECT * FROM users;
         DROP TABLE users;
         ALTER TABLE users_new RENAME TO users;
         CREATE TABLE h_new ({k} TEXT PRIMARY KEY, v TEXT DEFAULT 'd;*/');
         INSERT INTO h_new SELECT * FROM {h};
         DROP TABLE {h};
         ALTER TABLE h_new RENAME TO {h};
         COMMIT;
         INSERT INTO {h} ({k}) VALUES ('new''k');
         UPDATE users SET name = 'A2' WHERE id = 1;",
        h = q(HOSTILE),
        k = q(&format!("k{HOSTILE}")),
    ))
    .unwrap();
}

fn not_null(client: &mut postgres::Client, table: &str, column: &str) -> bool {
    client
        .query_one(
            "SELECT attnotnull FROM pg_attribute WHERE attrelid = to_regclass(quote_ident($1)) \
             AND attname = $2",
            &[&table, &column],
        )
        .unwrap()
        .get(0)
}

#[test]
fn a_rebuild_that_keeps_the_columns_but_drops_a_not_null_and_adds_a_default_is_a_schema_change_on_15_and_18()
 {
    for v in PgVersion::ALL {
        let dir = tempfile::tempdir().unwrap();
        let (db_path, review, db) = synced(dir.path(), v);
        let src = db_path.to_str().unwrap();
        let c = Connection::open(&db_path).unwrap();
        rebuild_same_columns(&c, "id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT");
        c.execute_batch("INSERT INTO users (id, name) VALUES (9, 'no email');")
            .unwrap();
        // Without the flag: stopped, naming what changed.
        let o = pgbridge(&["sync", src, &db.url]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(2), "{out}");
        assert!(
            out.contains("sync-schema-changed") && out.contains("DROP NOT NULL"),
            "{out}"
        );
        assert!(out.contains("SET DEFAULT"), "{out}");
        let mut client = db.connect();
        assert!(not_null(&mut client, "users", "email"));
        // With it: applied (hazard-free), the unlogged rows carried over.
        let o = additive(src, &db.url, &review);
        assert!(o.status.success(), "{}", text(&o));
        assert!(!not_null(&mut client, "users", "email"));
        let default: Option<String> = client
            .query_one(
                "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a \
                 ON a.attrelid = d.adrelid AND a.attnum = d.adnum \
                 WHERE d.adrelid = to_regclass(quote_ident($1)) AND a.attname = 'v'",
                &[&HOSTILE],
            )
            .unwrap()
            .get(0);
        assert_eq!(default.as_deref(), Some("'d;*/'::text"));
        let nine: Option<String> = client
            .query_one("SELECT email FROM users WHERE id = 9", &[])
            .unwrap()
            .get(0);
        assert_eq!(nine, None);
        let newk: String = client
            .query_one(
                &format!(
                    "SELECT v FROM {} WHERE {} = 'new''k'",
                    q(HOSTILE),
                    q(&format!("k{HOSTILE}"))
                ),
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(newk, "d;*/");
        expect_verified(&db_path, &db.url);
        assert_eq!(events(&mut client, "schema-applied"), 1);
        // The same schema from now on: sync goes on without the flag.
        c.execute_batch("UPDATE users SET name = 'C2' WHERE id = 3;")
            .unwrap();
        run(&["sync", src, &db.url]);
        expect_verified(&db_path, &db.url);
    }
}

#[test]
fn a_rebuild_that_keeps_the_columns_but_sets_not_null_stays_stopped_with_the_diff() {
    let dir = tempfile::tempdir().unwrap();
    let (db_path, review, db) = synced(dir.path(), PgVersion::V18);
    let src = db_path.to_str().unwrap();
    let mut client = db.connect();
    let before = target_position(&mut client);
    let c = Connection::open(&db_path).unwrap();
    rebuild_same_columns(
        &c,
        "id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL",
    );
    let o = additive(src, &db.url, &review);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("sync-schema-not-additive") && out.contains("not-null-on-existing-rows"),
        "{out}"
    );
    let up = std::fs::read_to_string(review.join("up.sql")).unwrap();
    assert!(up.contains("SET NOT NULL"), "{up}");
    assert!(
        !not_null(&mut client, "users", "name"),
        "the target was changed"
    );
    assert_eq!(target_position(&mut client), before);
    assert_eq!(events(&mut client, "schema-applied"), 0);
}

const NEW_TABLE: &str = "n\"ew\n*/; t";

#[test]
fn a_new_table_or_a_new_index_alone_is_noticed_and_applied_with_the_flag_on_15_and_18() {
    for v in PgVersion::ALL {
        let dir = tempfile::tempdir().unwrap();
        let (db_path, review, db) = synced(dir.path(), v);
        let src = db_path.to_str().unwrap();
        let c = Connection::open(&db_path).unwrap();
        c.execute_batch(&format!(
            "CREATE TABLE {t} ({k} INTEGER PRIMARY KEY, {col} TEXT NOT NULL);
             INSERT INTO {t} VALUES (1, 'one'), (2, 'it''s');
             CREATE INDEX {i} ON item (name);",
            t = q(NEW_TABLE),
            k = q(&format!("id{NEW_TABLE}")),
            col = q(HOSTILE_COL),
            i = q("item by \"name\""),
        ))
        .unwrap();
        let o = pgbridge(&["sync", src, &db.url]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(2), "{out}");
        assert!(
            out.contains("sync-schema-changed")
                && out.contains("CREATE TABLE U&\"n\"\"ew\\000A*/; t\"")
                && out.contains("CREATE INDEX"),
            "{out}"
        );
        let mut client = db.connect();
        assert_eq!(events(&mut client, "schema-changed"), 1);
        let o = additive(src, &db.url, &review);
        assert!(o.status.success(), "{}", text(&o));
        let rows: Vec<String> = client
            .query(
                &format!("SELECT {} FROM {} ORDER BY 1", q(HOSTILE_COL), q(NEW_TABLE)),
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(rows, vec!["it's".to_string(), "one".to_string()]);
        let index: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_indexes WHERE tablename = 'item' AND indexname = $1",
                &[&"item by \"name\""],
            )
            .unwrap()
            .get(0);
        assert_eq!(index, 1, "the index was not built");
        expect_verified(&db_path, &db.url);
        // The new table is captured: its later rows sync without the flag.
        c.execute_batch(&format!(
            "INSERT INTO {} VALUES (3, 'three');",
            q(NEW_TABLE)
        ))
        .unwrap();
        run(&["sync", src, &db.url]);
        let n: i64 = client
            .query_one(&format!("SELECT count(*) FROM {}", q(NEW_TABLE)), &[])
            .unwrap()
            .get(0);
        assert_eq!(n, 3);
        expect_verified(&db_path, &db.url);
    }
}
