//! The ways a migration stops short, and the way out of each: a refused run
//! changes nothing, a rolled-back run can run again, a data-only load into a
//! schema with its foreign keys takes parents first, a failure counts what
//! was committed, and Ctrl-C says what it interrupted and resumes. Against
//! PostgreSQL 15 and 18.
mod common;

use common::{PgVersion, TestDb, cluster, compile, corpus, pgbridge, text};
use std::path::Path;
use std::process::Output;

fn migrate(src: &Path, db: &TestDb, extra: &[&str]) -> Output {
    let mut args = vec!["migrate", src.to_str().unwrap(), db.url.as_str()];
    args.extend_from_slice(extra);
    pgbridge(&args)
}

fn report(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("report written")).unwrap()
}

#[test]
fn target_not_empty_changes_nothing_and_rollback_lets_a_run_start_again() {
    let chinook = corpus("chinook/Chinook_Sqlite.sqlite");
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("refused_run");
        db.psql("CREATE TABLE \"Album\" (x int)").unwrap();
        let o = migrate(&chinook, &db, &["--no-verify"]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{t}");
        assert!(
            t.contains("target-not-empty") && t.contains("nothing was changed"),
            "{t}"
        );
        assert_eq!(
            db.objects(),
            vec!["table public.Album".to_string()],
            "{v}: nothing created"
        );

        // A complete run, rolled back, then the same command: it moves again.
        let db = cluster(v).new_db("rolled_back");
        let dir = tempfile::tempdir().unwrap();
        let (rep, emit) = (dir.path().join("run.json"), dir.path().join("applied"));
        let (rep_s, emit_s) = (rep.to_str().unwrap(), emit.to_str().unwrap());
        let o = migrate(
            &chinook,
            &db,
            &["--no-verify", "--report", rep_s, "--emit", emit_s],
        );
        assert!(o.status.success(), "{}", text(&o));
        // The report is the audit trail: when, where, who, and what SQL.
        let r = report(&rep);
        for k in ["started_at", "finished_at", "host", "user"] {
            assert!(
                !r["run"][k].as_str().unwrap_or("").is_empty(),
                "run.{k}: {r}"
            );
        }
        assert!(r["run"]["started_at"].as_str().unwrap().ends_with('Z'));
        assert!(
            r["source"]["path"]
                .as_str()
                .unwrap()
                .ends_with("Chinook_Sqlite.sqlite")
        );
        let applied = r["applied"].as_array().unwrap();
        assert_eq!(applied.len(), 2, "{r}");
        for a in applied {
            use sha2::Digest;
            let file = emit.join(a["file"].as_str().unwrap());
            let sql = std::fs::read(&file).unwrap();
            assert_eq!(
                a["sha256"],
                hex::encode(sha2::Sha256::digest(&sql)),
                "{}",
                file.display()
            );
        }
        let set = dir.path().join("set");
        let c = compile(&chinook, &set);
        assert!(c.status.success(), "{}", text(&c));
        db.psql_file(&set.join("rollback.sql")).unwrap();
        let o = migrate(&chinook, &db, &[]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(0), "{t}");
        assert!(
            t.contains("run-state-stale") && t.contains("verified"),
            "{v}: {t}"
        );
        assert_eq!(db.scalar("SELECT count(*) FROM \"Track\""), "3503");
    }
}

/// Every foreign key of the database with its definition and whether it is
/// validated: what a data-only load must leave exactly as it found it.
const FK_DEFS: &str = "SELECT coalesce(string_agg(conname || ' ' || pg_get_constraintdef(oid) \
     || ' ' || convalidated::text, '; ' ORDER BY conname), '') \
     FROM pg_constraint WHERE contype = 'f'";

#[test]
fn data_only_into_a_schema_with_its_foreign_keys_loads_parents_first() {
    // Sakila's store and staff reference each other (NOT DEFERRABLE): no order
    // works, so those two keys are set aside for the load and added back.
    for (rel, cycle) in [
        ("chinook/Chinook_Sqlite.sqlite", false),
        ("northwind/dist/northwind_populated.db", false),
        ("sakila/sakila.db", true),
    ] {
        let src = corpus(rel);
        let dir = tempfile::tempdir().unwrap();
        let set = dir.path().join("set");
        let c = compile(&src, &set);
        assert!(c.status.code().is_some_and(|c| c <= 1), "{}", text(&c));
        for v in PgVersion::ALL {
            let db = cluster(v).new_db("data_only_fks");
            // An ORM-made schema: tables and their foreign keys, empty.
            db.psql_file(&set.join("01_schema.sql")).unwrap();
            db.psql_file(&set.join("03_constraints.sql")).unwrap();
            let before = db.scalar(FK_DEFS);
            assert!(!before.is_empty(), "{rel}: the schema has foreign keys");
            let rep = dir.path().join("run.json");
            let o = migrate(
                &src,
                &db,
                &["--data-only", "--report", rep.to_str().unwrap()],
            );
            let t = text(&o);
            assert_eq!(o.status.code(), Some(0), "{rel} on {v}: {t}");
            assert_eq!(report(&rep)["status"], "complete", "{rel} on {v}");
            assert_eq!(t.contains("fk-cycle-parked"), cycle, "{t}");
            if cycle {
                assert!(t.contains("between staff, store"), "{t}");
            }
            // Every foreign key is back as it was, validated; nothing stays parked.
            assert_eq!(db.scalar(FK_DEFS), before, "{rel} on {v}");
            assert_eq!(db.scalar("SELECT count(*) FROM pgbridge.parked_fks"), "0");
        }
    }
}

/// Two tables that reference each other, in SQLite (`rows`) and in PostgreSQL.
fn cycle_case(dir: &Path, v: PgVersion, rows: &str) -> (std::path::PathBuf, TestDb) {
    let src = dir.join(format!("cycle{}.db", v.major()));
    rusqlite::Connection::open(&src)
        .unwrap()
        .execute_batch(&format!(
            "CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER); \
             CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER); {rows}"
        ))
        .unwrap();
    let db = cluster(v).new_db("fk_cycle");
    db.psql(
        "CREATE TABLE a (id bigint PRIMARY KEY, b_id bigint); \
         CREATE TABLE b (id bigint PRIMARY KEY, a_id bigint REFERENCES a); \
         ALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b;",
    )
    .unwrap();
    (src, db)
}

#[test]
fn a_foreign_key_cycle_is_set_aside_for_the_load_and_added_back() {
    let dir = tempfile::tempdir().unwrap();
    let (src, db) = cycle_case(
        dir.path(),
        PgVersion::V18,
        "INSERT INTO a VALUES (1, 1); INSERT INTO b VALUES (1, 1);",
    );
    let before = db.scalar(FK_DEFS);
    let o = migrate(&src, &db, &["--data-only"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(
        t.contains("fk-cycle-parked") && t.contains("between a, b"),
        "{t}"
    );
    assert_eq!(
        db.scalar("SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b)"),
        "2"
    );
    assert_eq!(db.scalar(FK_DEFS), before);

    // Rows that break a parked key: the data stays, the keys stay recorded,
    // and the error says how to get out.
    let (src, db) = cycle_case(
        dir.path(),
        PgVersion::V15,
        "INSERT INTO a VALUES (1, 9); INSERT INTO b VALUES (1, 1);",
    );
    let o = migrate(&src, &db, &["--data-only"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("fk-restore-failed") && t.contains("run the same command again"),
        "{t}"
    );
    assert_eq!(db.scalar("SELECT count(*) FROM pgbridge.parked_fks"), "2");
}

#[test]
fn a_failed_run_counts_the_tables_it_committed() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("partly.db");
    // Tables load largest first: the two clean ones commit before the bad one fails.
    rusqlite::Connection::open(&src)
        .unwrap()
        .execute_batch(
            "CREATE TABLE big (id INTEGER PRIMARY KEY, x INTEGER); \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) \
               INSERT INTO big SELECT i, i FROM n; \
             CREATE TABLE mid (id INTEGER PRIMARY KEY, x INTEGER); \
             INSERT INTO mid SELECT id, x FROM big WHERE id <= 2000; \
             CREATE TABLE bad (id INTEGER PRIMARY KEY, n NUMERIC(10,2)); \
             INSERT INTO bad VALUES (1, 1.5), (2, 9e999);",
        )
        .unwrap();
    let db = cluster(PgVersion::V15).new_db("partial_failure");
    let rep = dir.path().join("run.json");
    let o = migrate(
        &src,
        &db,
        &["--jobs", "1", "--report", rep.to_str().unwrap()],
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    let r = report(&rep);
    assert_eq!(r["status"], "failed", "{r}");
    let committed: u64 = r["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["rows"].as_u64().unwrap())
        .sum();
    assert_eq!(committed, 5000, "{r}");
    assert!(t.contains("failed: 2 tables, 5000 rows"), "{t}");
}

/// Two tables of 600,000 rows: long enough a load to interrupt.
fn large_source(dir: &Path) -> std::path::PathBuf {
    let src = dir.join("large.db");
    rusqlite::Connection::open(&src)
        .unwrap()
        .execute_batch(
            "CREATE TABLE t1 (id INTEGER PRIMARY KEY, a TEXT, b REAL); \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600000) \
               INSERT INTO t1 SELECT i, printf('row %d', i), i * 0.5 FROM n; \
             CREATE TABLE t2 AS SELECT * FROM t1;",
        )
        .unwrap();
    src
}

/// Start `pgbridge migrate` and return once a COPY runs in `db`.
fn migrate_until_copy(src: &Path, db: &TestDb, rep: &Path) -> std::process::Child {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_pgbridge"))
        .args(["migrate", src.to_str().unwrap(), &db.url])
        .args(["--report", rep.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while db.scalar("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%' AND datname = current_database()") == "0" {
        assert!(t0.elapsed().as_secs() < 60, "the load never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child
}

#[test]
fn a_lost_connection_is_exit_2_and_says_the_rerun_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let src = large_source(dir.path());
    let db = cluster(PgVersion::V15).new_db("conn_lost");
    let rep = dir.path().join("run.json");
    let child = migrate_until_copy(&src, &db, &rep);
    db.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'COPY%' AND datname = current_database()")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(
        t.contains("target-connection-lost") && t.contains("run the same command again"),
        "{t}"
    );
    let again = pgbridge(&["migrate", src.to_str().unwrap(), &db.url]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert_eq!(db.scalar("SELECT count(*) FROM t2"), "600000");
}

#[test]
fn ctrl_c_says_what_it_interrupted_and_the_same_command_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let src = large_source(dir.path());
    let db = cluster(PgVersion::V18).new_db("ctrl_c");
    let rep = dir.path().join("run.json");
    let child = migrate_until_copy(&src, &db, &rep);
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let o = child.wait_with_output().unwrap();
    let t = text(&o);
    assert_eq!(o.status.code(), Some(130), "{t}");
    assert!(
        t.contains("interrupted: migrate stopped while loading the data")
            && t.contains("run the same command again to resume"),
        "{t}"
    );
    assert_eq!(report(&rep)["status"], "interrupted");
    let again = pgbridge(&["migrate", src.to_str().unwrap(), &db.url]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert_eq!(db.scalar("SELECT count(*) FROM t1"), "600000");
    assert_eq!(db.scalar("SELECT count(*) FROM t2"), "600000");
}

#[test]
fn every_command_documents_examples_exit_codes_and_environment() {
    for cmd in ["compile", "diff", "migrate", "verify", "inspect"] {
        let h = text(&pgbridge(&[cmd, "--help"]));
        for part in ["Examples:", "Exit codes:", "Environment:"] {
            assert!(h.contains(part), "{cmd} --help lacks {part}:\n{h}");
        }
    }
    let h = text(&pgbridge(&["migrate", "--help"]));
    assert!(h.contains("PGPASSFILE") && h.contains("130"), "{h}");
    for shell in ["bash", "zsh", "fish"] {
        let o = pgbridge(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0));
        let s = String::from_utf8_lossy(&o.stdout);
        assert!(
            s.contains("pgbridge") && s.contains("migrate") && s.contains("--pg-version"),
            "{shell}"
        );
    }
}

/// Four tables of `rows` rows each.
fn four_tables(path: &Path, rows: u32) {
    let mut sql = String::new();
    for t in ["a", "b", "c", "d"] {
        sql.push_str(&format!(
            "CREATE TABLE {t} (id INTEGER PRIMARY KEY, name TEXT, v REAL, at TEXT); \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) \
               INSERT INTO {t} SELECT i, printf('{t} %d', i), i / 7.0, \
                 strftime('%Y-%m-%dT%H:%M:%SZ', 1700000000 + i, 'unixepoch') FROM n;"
        ));
    }
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch(&sql)
        .unwrap();
}

#[test]
fn a_killed_run_resumes_after_the_application_wrote_and_ends_equal_to_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("app.db");
    four_tables(&src, 150_000);
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("resume_after_write");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pgbridge"))
            .args(["migrate", src.to_str().unwrap(), &db.url, "--jobs", "1"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Kill -9 once the first table is committed.
        let t0 = std::time::Instant::now();
        loop {
            if db.scalar("SELECT to_regclass('pgbridge.tables') IS NOT NULL") == "t"
                && db.scalar("SELECT count(*) FROM pgbridge.tables") != "0"
            {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("migrate ended ({status}) before a table was committed");
            }
            assert!(t0.elapsed().as_secs() < 120, "no table was committed");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        child.kill().unwrap();
        let _ = child.wait();
        let loaded = db.scalar("SELECT string_agg(table_name, ',') FROM pgbridge.tables");
        // The application keeps writing: a row changed in a loaded table, one added everywhere.
        let app = rusqlite::Connection::open(&src).unwrap();
        app.execute_batch(&format!(
            "UPDATE {loaded} SET name = 'changed after the kill' WHERE id = 1; \
             INSERT INTO a (name) VALUES ('new'); INSERT INTO d (name) VALUES ('new');"
        ))
        .unwrap();
        drop(app);
        let o = migrate(&src, &db, &[]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(0), "{v}: {t}");
        assert!(
            t.contains("source-changed-reloading") && t.contains("verified"),
            "{t}"
        );
        assert_eq!(
            db.scalar(&format!("SELECT name FROM {loaded} WHERE id = 1")),
            "changed after the kill"
        );
        let want: i64 = rusqlite::Connection::open(&src)
            .unwrap()
            .query_row("SELECT count(*) FROM a", [], |r| r.get(0))
            .unwrap();
        assert_eq!(db.scalar("SELECT count(*) FROM a"), want.to_string());
        // A byte-identical copy under another name is the same plan: nothing to do.
        let copy = dir.path().join("copy-of-app.db");
        std::fs::copy(&src, &copy).unwrap();
        let again = migrate(&copy, &db, &[]);
        assert_eq!(again.status.code(), Some(0), "{}", text(&again));
        assert!(text(&again).contains("nothing to do"), "{}", text(&again));
        // The copy's modification time differs: the rerun says what that may mean.
        assert!(
            text(&again).contains("source-changed-since-migration"),
            "{}",
            text(&again)
        );
        std::fs::remove_file(&copy).unwrap();
    }
}
