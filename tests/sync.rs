//! `pgbridge migrate --live`, `pgbridge sync` and `pgbridge cutover` against
//! real PostgreSQL 15 and 18, while a writer keeps writing.
//!
//! The writer runs multi-table transactions on a WAL-mode source — transfers
//! that keep the sum of balances constant, invoices whose total is the sum of
//! their lines, deletes that cascade — the whole time: through the capture
//! install, the snapshot load and a `sync --follow`. An observer checks the
//! invariants on PostgreSQL as fast as it can: every state PostgreSQL commits
//! must be one SQLite had. At the end verify must match and SIGTERM must end
//! the follow cleanly. The crash matrix aborts sync at each failpoint (after
//! the read, mid-apply, before and after the commit) and at random moments
//! with `kill -9`: the watermark never goes back and nothing is lost or
//! applied twice. Two syncs at once: exactly one goes on. Values: REPLACE on a
//! secondary UNIQUE, key updates, blob keys, −0.0, NaN, 2^63−1, quotes and a
//! hostile table name. A table rebuilt the 12-step way stops sync by name.
//!
//! Cutover: run while the writer writes and a follow sync runs, it must
//! leave PostgreSQL verified equal with every committed transaction, the
//! writer's next write refused with the cutover's message, the follow sync
//! ended cleanly, sequences past SQLite's ids (AUTOINCREMENT's too). Over
//! `--max-freeze`, or killed before or between its two commits, it leaves
//! SQLite writable and runs again.
mod common;

use common::{PgVersion, TestDb, cluster, pgbridge, text};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const ACCOUNTS: i64 = 40;
const BALANCE: i64 = 1000;

fn bank(dir: &Path) -> PathBuf {
    let path = dir.join("bank.db");
    let c = Connection::open(&path).unwrap();
    c.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE account (id INTEGER PRIMARY KEY, owner TEXT NOT NULL UNIQUE, balance INTEGER NOT NULL);
         CREATE TABLE invoice (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES account (id),
                               total INTEGER NOT NULL);
         CREATE TABLE line (invoice_id INTEGER NOT NULL REFERENCES invoice (id) ON DELETE CASCADE,
                            n INTEGER NOT NULL, amount INTEGER NOT NULL,
                            PRIMARY KEY (invoice_id, n)) WITHOUT ROWID;
         WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {ACCOUNTS})
         INSERT INTO account SELECT i, 'owner ' || i, {BALANCE} FROM s;"
    ))
    .unwrap();
    path
}

/// A small deterministic generator (the writer needs variety, not quality).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: i64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as i64
    }
}

/// One writer transaction of kind `k`.
fn write_one(c: &Connection, rng: &mut Lcg) -> rusqlite::Result<()> {
    let tx = c.unchecked_transaction()?;
    match rng.next(4) {
        0 | 1 => {
            let a = 1 + rng.next(ACCOUNTS);
            let b = 1 + (a + rng.next(ACCOUNTS - 1)) % ACCOUNTS;
            let amt = rng.next(50);
            tx.execute(
                "UPDATE account SET balance = balance - ?2 WHERE id = ?1",
                [a, amt],
            )?;
            tx.execute(
                "UPDATE account SET balance = balance + ?2 WHERE id = ?1",
                [b, amt],
            )?;
        }
        2 => {
            tx.execute(
                "INSERT INTO invoice (account_id, total) VALUES (?1, 0)",
                [1 + rng.next(ACCOUNTS)],
            )?;
            let id = tx.last_insert_rowid();
            for n in 1..=1 + rng.next(4) {
                tx.execute(
                    "INSERT INTO line VALUES (?1, ?2, ?3)",
                    [id, n, 1 + rng.next(99)],
                )?;
            }
            tx.execute(
                "UPDATE invoice SET total = (SELECT sum(amount) FROM line WHERE invoice_id = ?1) WHERE id = ?1",
                [id],
            )?;
        }
        _ => {
            tx.execute(
                "DELETE FROM invoice WHERE id = (SELECT min(id) FROM invoice)",
                [],
            )?;
        }
    }
    tx.commit()
}

/// Writes until `stop`; returns how many transactions committed.
fn writer(path: PathBuf, stop: Arc<AtomicBool>, seed: u64) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let c = Connection::open(&path).unwrap();
        c.busy_timeout(Duration::from_secs(30)).unwrap();
        c.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        let mut rng = Lcg(seed);
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            write_one(&c, &mut rng).unwrap();
            n += 1;
            std::thread::sleep(Duration::from_millis(2));
        }
        n
    })
}

/// The invariants, read in one statement (one snapshot): the sum of the
/// balances, invoices whose total is not their lines' sum, orphan lines.
fn invariants(client: &mut postgres::Client) -> (i64, i64, i64) {
    let r = client
        .query_one(
            "SELECT (SELECT sum(balance) FROM account)::bigint, \
                    (SELECT count(*) FROM invoice i WHERE total <> \
                        (SELECT coalesce(sum(amount), 0) FROM line l WHERE l.invoice_id = i.id)), \
                    (SELECT count(*) FROM line l WHERE NOT EXISTS (SELECT 1 FROM invoice i WHERE i.id = l.invoice_id))",
            &[],
        )
        .unwrap();
    (r.get(0), r.get(1), r.get(2))
}

fn expect_invariants(client: &mut postgres::Client, when: &str) {
    assert_eq!(
        invariants(client),
        (ACCOUNTS * BALANCE, 0, 0),
        "an invariant is broken on PostgreSQL {when}"
    );
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

fn migrate_live(db: &Path, url: &str) {
    run(&["migrate", db.to_str().unwrap(), url, "--live"]);
}

fn spawn_sync(db: &Path, url: &str, follow: bool, failpoint: Option<&str>) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgbridge"));
    cmd.args(["sync", db.to_str().unwrap(), url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if follow {
        cmd.arg("--follow");
    }
    if let Some(p) = failpoint {
        cmd.env("PGBRIDGE_SYNC_FAILPOINT", p);
    }
    cmd.spawn().unwrap()
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} failed");
}

/// Waits for `child` to exit (at most `secs`), returning its output.
fn wait(mut child: Child, secs: u64) -> std::process::Output {
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            t0.elapsed() < Duration::from_secs(secs),
            "sync did not exit within {secs} s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// The newest log id the source has handed out.
fn source_position(db: &Path) -> i64 {
    let c = Connection::open(db).unwrap();
    c.query_row(
        "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = '_pgbridge_log'), 0)",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

fn target_position(client: &mut postgres::Client) -> i64 {
    // Before sync first runs, there is no state (and no position) yet.
    let exists: bool = client
        .query_one("SELECT to_regclass('pgbridge.sync') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    if !exists {
        return 0;
    }
    client
        .query_one("SELECT coalesce(max(position), 0) FROM pgbridge.sync", &[])
        .unwrap()
        .get(0)
}

/// Waits until PostgreSQL has applied everything the source logged.
fn wait_caught_up(db: &Path, client: &mut postgres::Client) {
    let t0 = Instant::now();
    loop {
        if target_position(client) == source_position(db) {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "sync did not catch up within 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn expect_verified(db: &Path, url: &str) {
    let out = run(&["verify", db.to_str().unwrap(), url]);
    assert!(out.contains(" 0 differ"), "{out}");
}

fn live_writer_case(v: PgVersion) {
    let dir = tempfile::tempdir().unwrap();
    let db_path = bank(dir.path());
    let db = cluster(v).new_db("sync");
    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(db_path.clone(), stop.clone(), 7);
    std::thread::sleep(Duration::from_millis(200));
    // Capture and the snapshot load happen while the writer writes.
    migrate_live(&db_path, &db.url);
    let sync = spawn_sync(&db_path, &db.url, true, None);
    let mut client = db.connect();
    let (mut observed, mut moves, mut last) = (0, 0, -1);
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(4) {
        expect_invariants(&mut client, "while syncing");
        let p = target_position(&mut client);
        assert!(p >= last, "the watermark went back from {last} to {p}");
        moves += usize::from(p > last);
        last = p;
        observed += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let committed = w.join().unwrap();
    wait_caught_up(&db_path, &mut client);
    signal(&sync, "-TERM");
    let out = wait(sync, 20);
    assert!(
        out.status.success(),
        "sync --follow did not exit 0 on SIGTERM:\n{}",
        text(&out)
    );
    expect_invariants(&mut client, "after the writer stopped");
    expect_verified(&db_path, &db.url);
    assert!(
        committed > 100,
        "the writer committed only {committed} transactions"
    );
    assert!(
        moves > 3,
        "the watermark moved only {moves} times in {observed} observations"
    );
    let log_left: i64 = Connection::open(&db_path)
        .unwrap()
        .query_row("SELECT count(*) FROM _pgbridge_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(log_left, 0, "the log was not compacted up to the watermark");
    eprintln!(
        "{v:?}: writer committed {committed} transactions; {observed} observations, watermark moved {moves} times"
    );
}

#[test]
fn live_writer_invariants_hold_on_every_applied_batch_on_15_and_18() {
    for v in PgVersion::ALL {
        live_writer_case(v);
    }
}

/// A round of writer transactions, with no sync running.
fn write_round(db: &Path, seed: u64, n: usize) {
    let c = Connection::open(db).unwrap();
    c.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let mut rng = Lcg(seed);
    for _ in 0..n {
        write_one(&c, &mut rng).unwrap();
    }
}

#[test]
fn crash_at_every_failpoint_and_kill_9_lose_nothing_and_never_go_back() {
    let v = PgVersion::V15;
    let dir = tempfile::tempdir().unwrap();
    let db_path = bank(dir.path());
    let db = cluster(v).new_db("sync");
    migrate_live(&db_path, &db.url);
    let mut client = db.connect();
    let mut last = 0;
    for (i, point) in ["after-read", "mid-apply", "before-commit", "after-commit"]
        .iter()
        .enumerate()
    {
        write_round(&db_path, 100 + i as u64, 40);
        let out = wait(spawn_sync(&db_path, &db.url, false, Some(point)), 30);
        assert!(!out.status.success(), "sync did not abort at {point}");
        let p = target_position(&mut client);
        let want = if *point == "after-commit" {
            source_position(&db_path)
        } else {
            last
        };
        assert_eq!(p, want, "watermark after an abort at {point}");
        expect_invariants(&mut client, &format!("after an abort at {point}"));
        last = p;
    }
    // kill -9 at random moments of a follow run while the writer writes.
    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(db_path.clone(), stop.clone(), 99);
    let mut rng = Lcg(5);
    for _ in 0..8 {
        let sync = spawn_sync(&db_path, &db.url, true, None);
        std::thread::sleep(Duration::from_millis(50 + rng.next(400) as u64));
        signal(&sync, "-KILL");
        let _ = wait(sync, 10);
        let p = target_position(&mut client);
        assert!(p >= last, "the watermark went back from {last} to {p}");
        last = p;
        expect_invariants(&mut client, "after kill -9");
    }
    stop.store(true, Ordering::Relaxed);
    w.join().unwrap();
    run(&["sync", db_path.to_str().unwrap(), &db.url]);
    assert_eq!(target_position(&mut client), source_position(&db_path));
    expect_invariants(&mut client, "after the crashes");
    expect_verified(&db_path, &db.url);
}

#[test]
fn two_syncs_at_once_exactly_one_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = bank(dir.path());
    let db = cluster(PgVersion::V18).new_db("sync");
    migrate_live(&db_path, &db.url);
    let a = spawn_sync(&db_path, &db.url, true, None);
    let b = spawn_sync(&db_path, &db.url, true, None);
    let mut children = vec![a, b];
    let mut fenced = Vec::new();
    let t0 = Instant::now();
    let mut seed = 1;
    while fenced.is_empty() && t0.elapsed() < Duration::from_secs(30) {
        write_round(&db_path, seed, 5);
        seed += 1;
        std::thread::sleep(Duration::from_millis(30));
        let mut i = 0;
        while i < children.len() {
            if children[i].try_wait().unwrap().is_some() {
                fenced.push(children.remove(i).wait_with_output().unwrap());
            } else {
                i += 1;
            }
        }
    }
    assert_eq!(fenced.len(), 1, "expected exactly one sync to stop");
    let out = &fenced[0];
    assert!(
        !out.status.success() && text(out).contains("sync-fenced"),
        "{}",
        text(out)
    );
    let survivor = children.pop().unwrap();
    write_round(&db_path, 1000, 20);
    let mut client = db.connect();
    wait_caught_up(&db_path, &mut client);
    signal(&survivor, "-TERM");
    assert!(wait(survivor, 20).status.success());
    expect_verified(&db_path, &db.url);
}

const HOSTILE: &str = "t\"q\nerror[forged]: x:y";

fn values_source(dir: &Path) -> PathBuf {
    let path = dir.join("values.db");
    let c = Connection::open(&path).unwrap();
    c.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);
         CREATE TABLE tags (owner BLOB NOT NULL, tag TEXT NOT NULL, n INTEGER, PRIMARY KEY (owner, tag)) WITHOUT ROWID;
         CREATE TABLE nums (id INTEGER PRIMARY KEY, r REAL, big INTEGER);
         CREATE TABLE \"{h}\" (\"k{h}\" TEXT PRIMARY KEY, v TEXT);
         INSERT INTO users VALUES (1, 'a@x', 'A'), (2, 'b@x', 'B'), (3, 'c@x', 'C');
         INSERT INTO tags VALUES (x'00ff', 'red', 1), (x'01', 'blue', 2);
         INSERT INTO nums VALUES (1, 0.5, 1);
         INSERT INTO \"{h}\" VALUES ('it''s', 'one');",
        h = HOSTILE.replace('"', "\"\"")
    ))
    .unwrap();
    path
}

#[test]
fn replace_key_updates_blob_keys_and_edge_values_arrive_on_15_and_18() {
    for v in PgVersion::ALL {
        let dir = tempfile::tempdir().unwrap();
        let db_path = values_source(dir.path());
        let db = cluster(v).new_db("sync");
        migrate_live(&db_path, &db.url);
        let c = Connection::open(&db_path).unwrap();
        c.execute_batch(&format!(
            "INSERT INTO users (email, name) VALUES ('d@x', 'D');
             UPDATE users SET id = 20 WHERE id = 3;
             DELETE FROM users WHERE id = 1;
             -- REPLACE on the secondary UNIQUE deletes user 2 without a DELETE trigger.
             INSERT OR REPLACE INTO users (id, email, name) VALUES (30, 'b@x', 'B3');
             INSERT INTO tags VALUES (x'00', 'green', 3);
             UPDATE tags SET owner = x'02' WHERE tag = 'blue';
             DELETE FROM tags WHERE owner = x'00ff';
             INSERT INTO nums VALUES (9223372036854775807, -0.0, 9223372036854775807);
             INSERT INTO nums VALUES (2, 0.0 / 0.0, -9223372036854775808);
             INSERT INTO nums VALUES (3, 1e308 * 10, NULL);
             UPDATE nums SET r = 0.1 WHERE id = 1;
             INSERT INTO \"{h}\" VALUES ('a''b,c', 'two');
             UPDATE \"{h}\" SET \"k{h}\" = 'moved' WHERE v = 'one';",
            h = HOSTILE.replace('"', "\"\"")
        ))
        .unwrap();
        let status = run(&["sync", db_path.to_str().unwrap(), &db.url, "--status"]);
        assert!(status.contains("sync has not run"), "{status}");
        let out = run(&["sync", db_path.to_str().unwrap(), &db.url]);
        assert!(!out.contains("error[forged]"), "a name printed raw:\n{out}");
        let status = run(&["sync", db_path.to_str().unwrap(), &db.url, "--status"]);
        assert!(status.contains("(0 pending"), "{status}");
        expect_verified(&db_path, &db.url);
        let mut client = db.connect();
        let users: Vec<(i64, String)> = client
            .query("SELECT id, email FROM users ORDER BY id", &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let want: Vec<(i64, String)> = [(4, "d@x"), (20, "c@x"), (30, "b@x")]
            .iter()
            .map(|(i, e)| (*i, e.to_string()))
            .collect();
        assert_eq!(users, want);
        // 2^63-1 as a key, the smallest integer, NaN (NULL in SQLite), +inf.
        let nums: i64 = client
            .query_one(
                "SELECT count(*) FROM nums WHERE id IN (1, 2, 3, 9223372036854775807) \
                 AND (id <> 2 OR big = -9223372036854775808) AND (id <> 3 OR r = 'Infinity')",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(nums, 4);
    }
}

#[test]
fn a_table_rebuilt_mid_sync_stops_sync_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = values_source(dir.path());
    let db = cluster(PgVersion::V18).new_db("sync");
    migrate_live(&db_path, &db.url);
    let c = Connection::open(&db_path).unwrap();
    c.execute_batch("INSERT INTO users (email) VALUES ('before@x');")
        .unwrap();
    run(&["sync", db_path.to_str().unwrap(), &db.url]);
    let mut client = db.connect();
    let before = target_position(&mut client);
    // SQLite's 12-step table change: new table, copy, drop, rename.
    c.execute_batch(
        "BEGIN;
         CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, age INTEGER);
         INSERT INTO users_new (id, email, name) SELECT id, email, name FROM users;
         DROP TABLE users;
         ALTER TABLE users_new RENAME TO users;
         COMMIT;
         INSERT INTO users (email) VALUES ('after@x');
         INSERT INTO nums VALUES (7, 7.0, 7);",
    )
    .unwrap();
    let o = pgbridge(&["sync", db_path.to_str().unwrap(), &db.url]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("sync-schema-changed") && out.contains("table users changed columns"),
        "{out}"
    );
    assert!(out.contains("lost capture triggers"), "{out}");
    assert_eq!(
        target_position(&mut client),
        before,
        "sync applied past the change"
    );
    let events: i64 = client
        .query_one(
            "SELECT count(*) FROM pgbridge.sync_events WHERE event = 'schema-changed'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(events, 1);
}

#[test]
fn a_table_rebuilt_with_the_same_columns_is_recaptured_and_carried_over_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = values_source(dir.path());
    let db = cluster(PgVersion::V15).new_db("sync");
    migrate_live(&db_path, &db.url);
    let c = Connection::open(&db_path).unwrap();
    c.execute_batch("INSERT INTO users (email) VALUES ('before@x');")
        .unwrap();
    let db_s = db_path.to_str().unwrap();
    run(&["sync", db_s, &db.url]);
    // A 12-step rebuild that keeps the declaration (a CHECK, NOT NULL or
    // default changed is a schema change: tests/sync_schema.rs): capture's
    // triggers gone. The writes after it are not logged.
    c.execute_batch(
        "BEGIN;
         CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);
         INSERT INTO users_new SELECT * FROM users;
         DROP TABLE users;
         ALTER TABLE users_new RENAME TO users;
         COMMIT;
         INSERT INTO users (email) VALUES ('blind@x');
         UPDATE users SET name = 'renamed' WHERE id = 2;
         DELETE FROM users WHERE id = 1;
         INSERT INTO nums VALUES (7, 7.0, 7);",
    )
    .unwrap();
    let out = run(&["sync", db_s, &db.url]);
    expect_verified(&db_path, &db.url);
    let mut client = db.connect();
    let events: i64 = client
        .query_one(
            "SELECT count(*) FROM pgbridge.sync_events WHERE event = 'table-rebuilt'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(events, 1, "{out}");
    // Capture is back on the table: later writes arrive the usual way.
    c.execute_batch(
        "INSERT INTO users (email) VALUES ('later@x'); DELETE FROM users WHERE id = 3;",
    )
    .unwrap();
    let status = run(&["sync", db_s, &db.url, "--status"]);
    assert!(status.contains("all triggers in place"), "{status}");
    run(&["sync", db_s, &db.url]);
    expect_verified(&db_path, &db.url);
    let later: i64 = client
        .query_one("SELECT count(*) FROM users WHERE email = 'later@x'", &[])
        .unwrap()
        .get(0);
    assert_eq!(later, 1);
}

#[test]
fn a_table_without_a_key_refuses_a_live_migrate_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nokey.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE k (id INTEGER PRIMARY KEY); CREATE TABLE log (msg TEXT); INSERT INTO log VALUES ('x');")
        .unwrap();
    let db: TestDb = cluster(PgVersion::V15).new_db("sync");
    let o = pgbridge(&["migrate", path.to_str().unwrap(), &db.url, "--live"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("capture-table-refused"), "{}", text(&o));
    assert_eq!(db.object_count(), 0, "the target was written");
    let triggers: i64 = Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name LIKE '_pgbridge%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(triggers, 0, "the source was written");
    let o = pgbridge(&["sync", path.to_str().unwrap(), &db.url]);
    assert!(text(&o).contains("sync-no-live-run"), "{}", text(&o));
}

// ---- cutover ----------------------------------------------------------

/// Like [`writer`], but a write refused by the cutover's block ends it:
/// returns the transactions committed and the block's message.
fn writer_until_blocked(
    path: PathBuf,
    stop: Arc<AtomicBool>,
    seed: u64,
) -> std::thread::JoinHandle<(u64, Option<String>)> {
    std::thread::spawn(move || {
        let c = Connection::open(&path).unwrap();
        c.busy_timeout(Duration::from_secs(30)).unwrap();
        c.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        let mut rng = Lcg(seed);
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            match write_one(&c, &mut rng) {
                Ok(()) => n += 1,
                Err(e) if e.to_string().contains("moved to PostgreSQL") => {
                    return (n, Some(e.to_string()));
                }
                Err(e) => panic!("the writer failed: {e}"),
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        (n, None)
    })
}

fn cutover_report(dir: &Path, db: &Path, url: &str, extra: &[&str]) -> serde_json::Value {
    let report = dir.join("cutover.json");
    let mut args = vec!["cutover", db.to_str().unwrap(), url, "--report"];
    args.push(report.to_str().unwrap());
    args.extend(extra);
    let out = run(&args);
    assert!(out.contains("writers were frozen for"), "{out}");
    serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap()
}

fn expect_fails(args: &[&str], code: &str) -> String {
    let o = pgbridge(args);
    assert!(
        !o.status.success() && text(&o).contains(code),
        "pgbridge {args:?}: expected {code}:\n{}",
        text(&o)
    );
    text(&o)
}

fn cutover_state(client: &mut postgres::Client) -> Option<String> {
    client
        .query_opt("SELECT state FROM pgbridge.cutover", &[])
        .unwrap()
        .map(|r| r.get(0))
}

fn live_cutover_case(v: PgVersion) {
    let dir = tempfile::tempdir().unwrap();
    let db_path = bank(dir.path());
    let db = cluster(v).new_db("cutover");
    let stop = Arc::new(AtomicBool::new(false));
    let w = writer_until_blocked(db_path.clone(), stop.clone(), 11);
    std::thread::sleep(Duration::from_millis(200));
    migrate_live(&db_path, &db.url);
    let sync = spawn_sync(&db_path, &db.url, true, None);
    let mut client = db.connect();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_millis(1500) {
        expect_invariants(&mut client, "while syncing");
    }
    // The cutover runs while the writer writes and the follow sync runs.
    let rep = cutover_report(dir.path(), &db_path, &db.url, &[]);
    let (committed, blocked) = w.join().unwrap();
    let message = blocked.expect("the writer was never blocked");
    assert!(message.contains("pgbridge rollback"), "{message}");
    assert!(
        !message.contains("password"),
        "the block names the target with its password: {message}"
    );
    // The follow sync sees the cutover and ends by itself, exit 0.
    let out = wait(sync, 30);
    assert!(out.status.success(), "sync --follow:\n{}", text(&out));
    expect_invariants(&mut client, "after the cutover");
    expect_verified(&db_path, &db.url);
    assert_eq!(rep["fence"].as_i64().unwrap(), source_position(&db_path));
    assert_eq!(rep["verify"], "touched");
    let freeze = rep["freeze_ms"].as_f64().unwrap();
    assert!(freeze > 0.0 && freeze < 5000.0, "freeze {freeze} ms");
    assert_eq!(cutover_state(&mut client).as_deref(), Some("cut-over"));
    // Every writer commit is in PostgreSQL: verify matched, and the newest
    // invoice id on both sides is the same.
    let sqlite_max: i64 = Connection::open(&db_path)
        .unwrap()
        .query_row("SELECT coalesce(max(id), 0) FROM invoice", [], |r| r.get(0))
        .unwrap();
    let pg_max: i64 = client
        .query_one("SELECT coalesce(max(id), 0)::bigint FROM invoice", &[])
        .unwrap()
        .get(0);
    assert_eq!(sqlite_max, pg_max);
    // The sequences moved past SQLite's ids: PostgreSQL takes the next one.
    let next: i64 = client
        .query_one(
            "INSERT INTO invoice (account_id, total) VALUES (1, 0) RETURNING id::bigint",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(next > sqlite_max, "new id {next} <= {sqlite_max}");
    // Cut over once: a second cutover and a sync are refused by name.
    let db_s = db_path.to_str().unwrap();
    expect_fails(&["cutover", db_s, &db.url], "cutover-done");
    expect_fails(&["sync", db_s, &db.url], "sync-after-cutover");
    eprintln!(
        "{v:?}: writer committed {committed} transactions; fence {}, {} changes before the freeze, {} in it, {} rows compared in it, baseline verify {:.2} s, freeze {freeze:.0} ms",
        rep["fence"],
        rep["changes_before_freeze"],
        rep["changes_in_freeze"],
        rep["verified_in_freeze"],
        rep["baseline_verify_s"].as_f64().unwrap_or(0.0),
    );
}

#[test]
fn cutover_under_a_live_writer_loses_nothing_and_blocks_the_writer_on_15_and_18() {
    for v in PgVersion::ALL {
        live_cutover_case(v);
    }
}

/// The source accepts a write (it is not blocked).
fn writable(db: &Path) -> bool {
    let c = Connection::open(db).unwrap();
    c.execute("UPDATE account SET owner = owner WHERE id = 1", [])
        .is_ok()
}

#[test]
fn an_aborted_or_crashed_cutover_leaves_sqlite_writable_and_can_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = bank(dir.path());
    let db = cluster(PgVersion::V15).new_db("cutover");
    migrate_live(&db_path, &db.url);
    write_round(&db_path, 3, 30);
    let db_s = db_path.to_str().unwrap();
    let mut client = db.connect();
    // Over --max-freeze: aborted, nothing switched.
    expect_fails(
        &["cutover", db_s, &db.url, "--max-freeze", "0ms"],
        "cutover-freeze-exceeded",
    );
    assert!(writable(&db_path), "SQLite is blocked after an abort");
    assert_eq!(cutover_state(&mut client), None);
    // A crash before PostgreSQL's commit: neither side switched.
    write_round(&db_path, 4, 30);
    let crash = |point: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_pgbridge"))
            .args(["cutover", db_s, &db.url])
            .env("PGBRIDGE_SYNC_FAILPOINT", point)
            .output()
            .unwrap();
        assert!(!o.status.success(), "cutover did not abort at {point}");
    };
    crash("cutover-before-commit");
    assert!(writable(&db_path));
    assert_eq!(cutover_state(&mut client), None);
    // A crash between the commits: PostgreSQL recorded it, SQLite never
    // blocked. Sync still runs; the next cutover undoes it, then cuts over.
    crash("cutover-between-commits");
    assert_eq!(cutover_state(&mut client).as_deref(), Some("cut-over"));
    assert!(writable(&db_path), "SQLite blocked without its commit");
    write_round(&db_path, 5, 30);
    run(&["sync", db_s, &db.url]);
    let rep = cutover_report(dir.path(), &db_path, &db.url, &["--full-verify"]);
    assert_eq!(rep["verify"], "full");
    assert!(!writable(&db_path), "SQLite is writable after the cutover");
    let undone: i64 = client
        .query_one(
            "SELECT count(*) FROM pgbridge.sync_events WHERE event = 'cutover-undone'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(undone, 1);
    expect_invariants(&mut client, "after the cutover");
    expect_verified(&db_path, &db.url);
}

#[test]
fn cutover_sets_sequences_past_autoincrement_and_blocks_hostile_tables() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = values_source(dir.path());
    Connection::open(&db_path)
        .unwrap()
        .execute_batch(
            "CREATE TABLE handed (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);
             INSERT INTO handed (v) VALUES ('a'), ('b'), ('c'), ('d'), ('e');
             DELETE FROM handed WHERE id > 3;",
        )
        .unwrap();
    let db = cluster(PgVersion::V18).new_db("cutover");
    migrate_live(&db_path, &db.url);
    let c = Connection::open(&db_path).unwrap();
    c.execute_batch(&format!(
        "INSERT INTO \"{h}\" VALUES ('new', 'x'); INSERT INTO handed (v) VALUES ('f'); DELETE FROM handed WHERE v = 'f';",
        h = HOSTILE.replace('"', "\"\"")
    ))
    .unwrap();
    let rep = cutover_report(dir.path(), &db_path, &db.url, &[]);
    assert!(rep["sequences_set"].as_i64().unwrap() >= 1, "{rep}");
    expect_verified(&db_path, &db.url);
    // SQLite handed out ids up to 6 (6 was deleted): PostgreSQL goes on at 7.
    let mut client = db.connect();
    let next: i64 = client
        .query_one(
            "INSERT INTO handed (v) VALUES ('g') RETURNING id::bigint",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(next, 7);
    let err = c
        .execute_batch(&format!(
            "INSERT INTO \"{h}\" VALUES ('later', 'y')",
            h = HOSTILE.replace('"', "\"\"")
        ))
        .unwrap_err()
        .to_string();
    assert!(err.contains("moved to PostgreSQL"), "{err}");
}
