//! `pgbridge migrate` against real PostgreSQL 15 and 18: every corpus
//! database moves with matching row counts; dirty data gets its documented
//! outcome; a run killed with SIGKILL resumes without duplicating a row;
//! connection and source errors are one clear error each, with nothing
//! half-applied and no password in any output.
mod common;

use common::{
    CORPUS_DATABASES as CORPUS, PgVersion, TestDb, cluster, corpus, fixtures, pgbridge, text,
};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn migrate(db: &Path, target: &TestDb, extra: &[&str]) -> Output {
    let mut args = vec!["migrate", db.to_str().unwrap(), target.url.as_str()];
    args.extend_from_slice(extra);
    pgbridge(&args)
}

fn report(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("report written"))
        .expect("report is JSON")
}

fn sqlite_count(conn: &Connection, table: &str) -> u64 {
    conn.query_row(
        &format!("SELECT count(*) FROM \"{}\"", table.replace('"', "\"\"")),
        [],
        |r| r.get::<_, i64>(0),
    )
    .unwrap() as u64
}

#[test]
fn every_corpus_database_migrates_with_matching_row_counts_on_15_and_18() {
    let dir = tempfile::tempdir().unwrap();
    for v in PgVersion::ALL {
        for rel in CORPUS {
            let path = corpus(rel);
            let db = cluster(v).new_db("corpus_migrate");
            let rep = dir.path().join("run.json");
            let out = migrate(
                &path,
                &db,
                &["--jobs", "2", "--report", rep.to_str().unwrap()],
            );
            assert!(out.status.success(), "{rel} on {v}:\n{}", text(&out));
            // inspect predicts migrate: a database that migrates has no blocker.
            if v == PgVersion::V18 {
                let i = pgbridge(&["inspect", path.to_str().unwrap(), "--strict"]);
                assert_eq!(
                    i.status.code(),
                    Some(0),
                    "{rel}: inspect --strict\n{}",
                    text(&i)
                );
            }
            let r = report(&rep);
            assert_eq!(r["status"], "complete", "{rel} on {v}");
            let src =
                Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                    .unwrap();
            // Anki's `unicase`: counting rows needs the collation to exist.
            src.create_collation("unicase", |a: &str, b: &str| a.cmp(b))
                .unwrap();
            let tables = r["tables"].as_array().unwrap();
            assert!(!tables.is_empty(), "{rel}: no table loaded");
            for t in tables {
                let name = t["name"].as_str().unwrap();
                let source = t["source"].as_str().unwrap();
                let want = sqlite_count(&src, source);
                assert_eq!(t["rows"].as_u64(), Some(want), "{rel} {source} report");
                let have: u64 = db
                    .scalar(&format!("SELECT count(*) FROM {}", common::sql_ident(name)))
                    .parse()
                    .unwrap();
                assert_eq!(have, want, "{rel} {source} on {v}");
            }
            let status = db.scalar("SELECT status FROM pgbridge.runs");
            assert_eq!(status, "complete", "{rel} on {v}");
            // The run ends with a verify: every table's content proven,
            // and every translated view's rows.
            let verified = r["verify"].as_array().expect("verify in the report");
            let of_tables = verified.iter().filter(|t| t["kind"] == "table");
            assert_eq!(of_tables.count(), tables.len(), "{rel}");
            for t in verified {
                assert_eq!(t["matches"], true, "{rel} on {v}: {t}");
            }
        }
    }
}

#[test]
fn an_untranslatable_unique_index_refuses_to_migrate_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("u.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, created TEXT);
             CREATE UNIQUE INDEX one_per_hour ON t (strftime('%Y-%m-%d %H', created));",
        )
        .unwrap();
    let db = cluster(PgVersion::V18).new_db("unique_untranslated");
    let out = migrate(&path, &db, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("error[index-not-translated]: index `one_per_hour`"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("nothing was written to the target"));
    assert_eq!(db.object_count(), 0, "{:?}", db.objects());
}

#[test]
fn dirty_values_get_their_documented_outcome_and_every_row_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixtures::dirty_values(dir.path());
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("dirty");
        let rep = dir.path().join("dirty.json");
        let out = migrate(&src, &db, &["--report", rep.to_str().unwrap()]);
        let t = text(&out);
        assert!(out.status.success(), "{t}");
        // Text in INTEGER, '' in NUMERIC/REAL: the columns become text, with warnings.
        for w in [
            "warning[integer-column-with-other-values]: `nums.qty`",
            "warning[numeric-column-with-other-values]: `nums.price`",
            "warning[real-column-with-other-values]: `nums.ratio`",
            "warning[text-with-nul-or-invalid-utf8]: `texts.body`",
            "warning[text-with-nul-or-invalid-utf8]: `texts.raw`",
            "warning[json-declared-invalid-values]: `events.meta`",
            "warning[float32-blob-mixed-lengths]: `events.emb`",
            "warning[orphan-foreign-key-rows]: foreign key",
        ] {
            assert!(t.contains(w), "missing {w} in\n{t}");
        }
        assert_eq!(
            db.query("SELECT qty, price, ratio FROM nums ORDER BY id"),
            vec![
                vec!["5", "1.5", "0.5"],
                vec!["abc", "", "1.25"],
                vec!["7", "2.25", ""]
            ]
        );
        // NUL bytes and invalid UTF-8: bytea, byte for byte.
        assert_eq!(
            db.scalar(
                "SELECT encode(body, 'hex') || ' ' || encode(raw, 'hex') FROM texts WHERE id = 2"
            ),
            "6e756c00696e73696465 61ff62"
        );
        // Epoch seconds in DATETIME: timestamptz; bad JSON stays text as written.
        assert_eq!(
            db.scalar("SELECT to_char(happened AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' ' || meta FROM events WHERE id = 2"),
            "2023-11-14 22:15:00 {bad"
        );
        // Wrong-length embedding: bytea, every byte.
        assert_eq!(
            db.scalar("SELECT length(emb) FROM events WHERE id = 3"),
            "4"
        );
        // NOCASE-only FK matches hold under citext; the orphan owner_id = 99 is
        // loaded and its FK left NOT VALID; the other FK is validated.
        assert_eq!(db.scalar("SELECT count(*) FROM child"), "4");
        let fks = db.query(
            "SELECT pg_get_constraintdef(oid) LIKE '%parent_code%', convalidated FROM pg_constraint \
             WHERE conrelid = 'child'::regclass AND contype = 'f' ORDER BY 1",
        );
        assert_eq!(fks, vec![vec!["f", "f"], vec!["t", "t"]], "{t}");
        let r = report(&rep);
        let orphans = r["orphans"].as_array().unwrap();
        assert_eq!(orphans.len(), 1);
        assert_eq!(orphans[0]["rows"], 1);
        assert_eq!(orphans[0]["examples"][0], "99");
    }
}

/// Without a profile the rules see only declared types: the dirty values
/// then fail conversion, which is what --on-error is for.
#[test]
fn on_error_stop_names_table_rowid_column_and_value_then_reject_resumes_and_files_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixtures::dirty_values(dir.path());
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("on_error");
        let out = migrate(&src, &db, &["--no-profile", "--jobs", "1"]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{t}");
        assert!(
            t.contains("table nums, rowid 2, column qty: cannot convert text \"abc\" to bigint (integer converter)"),
            "{t}"
        );
        assert!(t.contains("--on-error reject"), "{t}");
        // Marked failed, never looking finished: no keys were built.
        assert_eq!(db.scalar("SELECT status FROM pgbridge.runs"), "failed");
        assert_eq!(
            db.scalar("SELECT count(*) FROM pg_constraint WHERE contype = 'p' AND connamespace = 'public'::regnamespace"),
            "0"
        );
        assert_eq!(db.scalar("SELECT count(*) FROM nums"), "0");

        let rejects = dir.path().join(format!("rejects-{}.jsonl", v.major()));
        let rep = dir.path().join("reject.json");
        let out = migrate(
            &src,
            &db,
            &[
                "--no-profile",
                "--on-error",
                "reject",
                "--rejects",
                rejects.to_str().unwrap(),
                "--report",
                rep.to_str().unwrap(),
            ],
        );
        let t = text(&out);
        assert!(out.status.success(), "{t}");
        assert!(t.contains("warning[rows-rejected]"), "{t}");
        let lines: Vec<serde_json::Value> = std::fs::read_to_string(&rejects)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let r = report(&rep);
        assert_eq!(r["rejects"].as_u64(), Some(lines.len() as u64));
        let nums_reject = lines
            .iter()
            .find(|l| l["table"] == "nums" && l["rowid"] == 2)
            .expect("nums rowid 2 rejected");
        assert_eq!(nums_reject["column"], "qty");
        assert_eq!(nums_reject["value"]["text"], "abc");
        assert_eq!(nums_reject["row"]["price"]["text"], "");
        let texts_reject = lines
            .iter()
            .find(|l| l["table"] == "texts" && l["rowid"] == 2)
            .expect("texts rowid 2 rejected");
        assert_eq!(texts_reject["value"]["text_hex"], "6e756c00696e73696465");
        // Loaded + rejected = source, table by table.
        for t in r["tables"].as_array().unwrap() {
            let loaded: u64 = db
                .scalar(&format!(
                    "SELECT count(*) FROM {}",
                    common::sql_ident(t["name"].as_str().unwrap())
                ))
                .parse()
                .unwrap();
            let rej = lines.iter().filter(|l| l["table"] == t["source"]).count() as u64;
            let c = Connection::open(&src).unwrap();
            assert_eq!(
                loaded + rej,
                sqlite_count(&c, t["source"].as_str().unwrap())
            );
        }
        assert_eq!(db.scalar("SELECT status FROM pgbridge.runs"), "complete");
        // The verify that ends the run accounts for the rejects and matches.
        let verified = r["verify"].as_array().unwrap();
        assert!(verified.iter().all(|t| t["matches"] == true), "{t}");
        let rejected: u64 = verified
            .iter()
            .map(|t| t["rejected"].as_u64().unwrap())
            .sum();
        assert_eq!(rejected, lines.len() as u64);
    }
}

fn big_db(dir: &Path) -> PathBuf {
    let path = dir.join("big.db");
    let c = Connection::open(&path).unwrap();
    for t in ["a", "b", "c", "d"] {
        c.execute_batch(&format!(
            "CREATE TABLE {t} (id INTEGER PRIMARY KEY, name TEXT, score REAL, at TEXT);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
             INSERT INTO {t} SELECT i, 'name ' || i, i * 0.5, '2024-01-01 00:00:00' FROM n;"
        ))
        .unwrap();
    }
    path
}

#[test]
fn a_run_killed_mid_load_resumes_and_finishes_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let src = big_db(dir.path());
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("kill9");
        let mut child = Command::new(env!("CARGO_BIN_EXE_pgbridge"))
            .args(["migrate", src.to_str().unwrap(), &db.url, "--jobs", "1"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Kill as soon as one table is committed and another is under way.
        let mut client = db.connect();
        let start = std::time::Instant::now();
        loop {
            let n: i64 = client
                .query_one(
                    "SELECT CASE WHEN to_regclass('pgbridge.tables') IS NULL THEN 0 \
                     ELSE (SELECT count(*) FROM pgbridge.tables) END",
                    &[],
                )
                .map(|r| r.get(0))
                .unwrap_or(0);
            if n >= 1 {
                break;
            }
            assert!(start.elapsed().as_secs() < 60, "no table finished in 60 s");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let done_before: i64 = db
            .scalar("SELECT count(*) FROM pgbridge.tables")
            .parse()
            .unwrap();
        assert!(
            (1..4).contains(&done_before),
            "killed too late: {done_before} tables done"
        );

        let rep = dir.path().join("resume.json");
        let out = migrate(
            &src,
            &db,
            &["--jobs", "2", "--report", rep.to_str().unwrap()],
        );
        assert!(out.status.success(), "{}", text(&out));
        let r = report(&rep);
        let resumed = r["tables"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["resumed"] == true)
            .count() as i64;
        assert_eq!(resumed, done_before);
        for t in ["a", "b", "c", "d"] {
            assert_eq!(
                db.scalar(&format!(
                    "SELECT count(*) || ' ' || count(DISTINCT id) FROM {t}"
                )),
                "300000 300000",
                "{t} on {v}"
            );
        }
        // The primary keys exist: 03 ran once, after all the data.
        assert_eq!(
            db.scalar("SELECT count(*) FROM pg_constraint WHERE contype = 'p' AND connamespace = 'public'::regnamespace"),
            "4"
        );
        // A third run has nothing to do.
        let out = migrate(&src, &db, &[]);
        assert!(out.status.success());
        assert!(text(&out).contains("nothing to do"), "{}", text(&out));
    }
}

#[test]
fn connection_and_source_errors_are_one_clear_error_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixtures::dirty_values(dir.path());
    let db = cluster(PgVersion::V18).new_db("errors");
    // Unreachable port.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = pgbridge(&[
        "migrate",
        src.to_str().unwrap(),
        &format!("postgres://postgres:S3cretPw0rd@127.0.0.1:{port}/x"),
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("error[target-unreachable]"), "{t}");
    assert!(!t.contains("S3cretPw0rd"), "password leaked: {t}");
    // Missing database.
    let missing = common::url_with_db(&db.url, "no_such_database_here");
    let out = pgbridge(&["migrate", src.to_str().unwrap(), &missing]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("no_such_database_here"), "{t}");
    // Not a SQLite file; a corrupt one; a locked one.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"hello, not a database").unwrap();
    let out = migrate(&junk, &db, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("not a SQLite 3 database"),
        "{}",
        text(&out)
    );
    let corrupt = dir.path().join("corrupt.db");
    let mut bytes = std::fs::read(&src).unwrap();
    for b in bytes.iter_mut().skip(100) {
        *b = 0xA5;
    }
    std::fs::write(&corrupt, bytes).unwrap();
    let out = migrate(&corrupt, &db, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("error[source-unreadable]"),
        "{}",
        text(&out)
    );
    let locked_path = dir.path().join("locked.db");
    std::fs::copy(&src, &locked_path).unwrap();
    let locker = Connection::open(&locked_path).unwrap();
    locker
        .execute_batch("BEGIN EXCLUSIVE; UPDATE nums SET qty = qty;")
        .unwrap();
    let out = migrate(&locked_path, &db, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("locked"), "{}", text(&out));
    drop(locker);
    // None of it left anything in the target.
    assert_eq!(db.object_count(), 0, "{:?}", db.objects());
    // The password never reaches output or the report.
    let with_pw = db.url.replacen("postgres@", "postgres:S3cretPw0rd@", 1);
    let rep = dir.path().join("pw.json");
    let out = pgbridge(&[
        "migrate",
        src.to_str().unwrap(),
        &with_pw,
        "--report",
        rep.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("S3cretPw0rd"));
    let r = std::fs::read_to_string(&rep).unwrap();
    assert!(!r.contains("S3cretPw0rd"), "{r}");
}

#[test]
fn dry_run_shows_the_plan_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixtures::dirty_values(dir.path());
    let db = cluster(PgVersion::V15).new_db("dry_run");
    let out = migrate(&src, &db, &["--dry-run"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("nums → nums: 3 rows, 4 columns"), "{t}");
    assert!(
        t.contains("happened → happened timestamptz (epoch-seconds)"),
        "{t}"
    );
    assert!(t.contains("estimated data phase"), "{t}");
    assert_eq!(db.object_count(), 0, "{:?}", db.objects());
}

#[test]
fn data_only_maps_by_name_into_an_existing_schema_and_resets_sequences() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let c = Connection::open(&path).unwrap();
    c.execute_batch(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, Name TEXT NOT NULL, created_at DATETIME, is_active INTEGER, nickname TEXT);
         INSERT INTO users VALUES (1, 'ann', '2024-01-02 03:04:05', 1, 'a'), (7, 'bob', '2024-02-03 04:05:06.5', 0, NULL);
         CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT);
         INSERT INTO audit VALUES (1, 'x');",
    )
    .unwrap();
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("data_only");
        db.psql(
            "CREATE TABLE \"Users\" (id serial PRIMARY KEY, name varchar(50) NOT NULL, \
             created_at timestamp, is_active boolean, extra text DEFAULT 'x');",
        )
        .unwrap();
        // A source column the target lacks: reported, nothing moved.
        let out = migrate(&path, &db, &["--data-only"]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{t}");
        assert!(
            t.contains("error[column-not-in-target]: column users.nickname"),
            "{t}"
        );
        assert!(
            t.contains("warning[table-not-in-target]: SQLite table audit"),
            "{t}"
        );
        assert_eq!(db.scalar("SELECT count(*) FROM \"Users\""), "0");

        c.execute_batch("ALTER TABLE users DROP COLUMN nickname")
            .unwrap();
        let out = migrate(&path, &db, &["--data-only"]);
        let t = text(&out);
        assert!(out.status.success(), "{t}");
        assert!(
            t.contains("warning[table-not-in-target]: SQLite table audit"),
            "{t}"
        );
        assert_eq!(
            db.query(
                "SELECT id, name, created_at::text, is_active, extra FROM \"Users\" ORDER BY id"
            ),
            vec![
                vec!["1", "ann", "2024-01-02 03:04:05", "t", "x"],
                vec!["7", "bob", "2024-02-03 04:05:06.5", "f", "x"]
            ]
        );
        // The run ends with a verify, keyed by the target's own primary key.
        assert!(
            t.contains("match    Users: rows 2 sqlite / 2 postgres"),
            "{t}"
        );
        assert!(t.contains("verified: 1 tables, 0 differ"), "{t}");
        // The serial continues after the highest id loaded.
        assert_eq!(
            db.scalar("INSERT INTO \"Users\" (name) VALUES ('cy') RETURNING id"),
            "8"
        );
        // verify later uses the run's recorded plan, so the row is found.
        let out = pgbridge(&["verify", path.to_str().unwrap(), db.url.as_str()]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{t}");
        assert!(t.contains("key (8): in PostgreSQL, not in SQLite"), "{t}");
        c.execute_batch("ALTER TABLE users ADD COLUMN nickname TEXT")
            .unwrap();
    }
}

#[test]
fn a_row_postgres_refuses_during_copy_is_named_by_its_rowid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
             INSERT INTO users VALUES (1, 'ann'), (7, 'bob'), (9, 'cy');",
        )
        .unwrap();
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("copy_refused");
        db.psql("CREATE TABLE users (id bigint PRIMARY KEY, name text CHECK (name <> 'bob'))")
            .unwrap();
        let out = migrate(&path, &db, &["--data-only"]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{t}");
        assert!(
            t.contains(
                "error[copy-failed]: loading table users failed at rowid 7 of users (COPY line 2)"
            ),
            "{t}"
        );
        assert!(t.contains("users_name_check"), "{t}");
        assert_eq!(db.scalar("SELECT count(*) FROM users"), "0");
    }
}

/// Progress of the long phases, recorded as (phase, step).
#[derive(Default)]
struct Steps(std::sync::Mutex<(String, Vec<(String, String)>)>);

impl pgbridge::progress::Progress for Steps {
    fn phase(&self, name: &str) {
        self.0.lock().unwrap().0 = name.to_string();
    }
    fn step(&self, what: &str) {
        let mut s = self.0.lock().unwrap();
        let phase = s.0.clone();
        s.1.push((phase, what.to_string()));
    }
}

/// Reading, constraints and verify tell progress which table, index or
/// constraint they are working on, in order.
#[test]
fn long_phases_name_the_object_they_work_on() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("steps.db");
    Connection::open(&src)
        .unwrap()
        .execute_batch(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT UNIQUE);\
             CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent(id), v TEXT);\
             CREATE INDEX child_v ON child (v);\
             INSERT INTO parent VALUES (1, 'a'), (2, 'b'), (3, 'c');\
             INSERT INTO child VALUES (1, 1, 'x'), (2, 3, 'y');",
        )
        .unwrap();
    let pack = pgbridge::RulePack::default_pack().unwrap();
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("steps");
        let target = pgbridge::conn::Target::parse(Some(&db.url)).unwrap();
        let connect = || {
            target
                .connect()
                .map_err(pgbridge::load::ConnectFailure::from)
        };
        let compile = pgbridge::CompileOptions::default();
        let opts = pgbridge::load::MigrateOptions {
            compile: compile.clone(),
            jobs: 1,
            on_error: pgbridge::load::OnError::Stop,
            rejects_path: dir.path().join("rejects.jsonl"),
            data_only: false,
            dry_run: false,
            target_display: "test".into(),
            maintenance_work_mem: "64MB".into(),
            live: false,
        };
        let steps = Steps::default();
        let out = pgbridge::load::migrate(&src, &connect, &pack, &opts, &steps);
        assert!(!out.diagnostics.has_errors(), "{v}: {:?}", out.diagnostics);
        let vopts = pgbridge::verify::VerifyOptions {
            compile,
            rejects: None,
            replan: false,
            hash_in_server: false,
        };
        pgbridge::progress::Progress::phase(&steps, "verify");
        let mut diags = pgbridge::diag::Diagnostics::default();
        let verified = pgbridge::verify::verify(&src, &connect, &pack, &vopts, &steps, &mut diags)
            .unwrap_or_else(|d| panic!("{v}: {d}"));
        assert_eq!(verified.tables.len(), 2);
        let got = steps.0.lock().unwrap().1.clone();
        let of = |phase: &str| -> Vec<String> {
            got.iter()
                .filter(|(p, _)| p.starts_with(phase))
                .map(|(_, s)| s.clone())
                .collect()
        };
        let reading = of("reading the source");
        for t in ["child (2 rows)", "parent (3 rows)"] {
            assert!(
                reading.contains(&format!("profiling {t}")),
                "{v}: {reading:?}"
            );
        }
        let cons = of("keys, indexes and foreign keys");
        for want in ["child_v", "parent ADD UNIQUE (name)", "child_p_fkey"] {
            assert!(
                cons.iter().any(|s| s.contains(want)),
                "{v}: no step names {want}: {cons:?}"
            );
        }
        assert!(
            cons.last().unwrap().starts_with("UPDATE pgbridge.runs"),
            "{v}: the run is marked complete in the same transaction, last: {cons:?}"
        );
        let verify: Vec<String> = of("verify")
            .into_iter()
            .filter(|s| s.starts_with("hashing"))
            .collect();
        assert_eq!(
            verify,
            vec!["hashing parent (1 of 2)", "hashing child (2 of 2)"],
            "{v}"
        );
    }
}

/// Blobs arrive exactly whatever the column says it holds: GeoPackage
/// geometry in `GEOMETRY`, a `POINT` column (whose name holds "INT"), an `ANY`
/// column of a STRICT table, a column declared `bytea`, an untyped column and
/// an INTEGER or JSON column an application wrote a blob into. Each becomes
/// bytea; text and numbers beside the blobs arrive as their bytes. Blobs
/// that are all UTF-8 text (`BLOB SUB_TYPE TEXT`, as in Sakila) stay text.
/// inspect
/// finds nothing that would stop migrate, migrate succeeds with the default
/// options, and verify passes.
#[test]
fn columns_holding_blobs_keep_every_value_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("blobs.db");
    Connection::open(&src)
        .unwrap()
        .execute_batch(
            "CREATE TABLE geo (id INTEGER PRIMARY KEY, g GEOMETRY, p POINT, d bytea, u, n INTEGER, j JSON, \
               memo BLOB SUB_TYPE TEXT);\
             INSERT INTO geo VALUES \
               (1, x'4750000100000000ff', x'0001', x'00', 'text', 5, '{\"a\":1}', CAST('héllo' AS BLOB)),\
               (2, NULL, NULL, x'ff00', x'00ff', x'00ff', x'7b00', 'plain'),\
               (3, x'47500001e6100000', 'POINT(1 2)', NULL, 2.5, 7, '[]', NULL);\
             CREATE TABLE s (id INTEGER PRIMARY KEY, v ANY) STRICT;\
             INSERT INTO s VALUES (1, 42), (2, 'héllo'), (3, x'00ff'), (4, 2.5), (5, NULL);",
        )
        .unwrap();
    let s = src.to_str().unwrap();
    let o = pgbridge(&["inspect", s, "--strict"]);
    assert_eq!(o.status.code(), Some(0), "inspect --strict: {}", text(&o));
    let cols = [
        ("geo", "g"),
        ("geo", "p"),
        ("geo", "d"),
        ("geo", "u"),
        ("geo", "n"),
        ("geo", "j"),
        ("s", "v"),
    ];
    let sqlite = Connection::open(&src).unwrap();
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("blobs");
        let o = migrate(&src, &db, &[]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(0), "migrate on {v}: {out}");
        assert!(out.contains("verified: 2 tables, 0 differ"), "{v}: {out}");
        assert!(
            out.contains("the application reads every value as bytes"),
            "{v}: the warning says what the application sees: {out}"
        );
        for (t, c) in cols {
            let ty = db.scalar(&format!(
                "SELECT data_type FROM information_schema.columns WHERE table_name = '{t}' AND column_name = '{c}'"
            ));
            assert_eq!(ty, "bytea", "{v}: {t}.{c}");
            let want: Vec<String> = sqlite
                .prepare(&format!(
                    "SELECT CASE WHEN {c} IS NULL THEN 'null' ELSE lower(hex(CAST({c} AS BLOB))) END FROM {t} ORDER BY id"
                ))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let got: Vec<String> = db
                .query(&format!(
                    "SELECT coalesce(encode({c}, 'hex'), 'null') FROM {t} ORDER BY id"
                ))
                .into_iter()
                .map(|r| r[0].clone())
                .collect();
            assert_eq!(got, want, "{v}: {t}.{c}");
        }
        assert_eq!(
            db.query("SELECT pg_typeof(memo)::text, coalesce(memo, 'null') FROM geo ORDER BY id"),
            vec![
                vec!["text".to_string(), "héllo".into()],
                vec!["text".into(), "plain".into()],
                vec!["text".into(), "null".into()],
            ],
            "{v}"
        );
    }
}

/// GDAL writes `DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', CURRENT_TIMESTAMP))`:
/// the default translates, applies, and gives the text SQLite gives — whole
/// seconds, `.000` milliseconds — in a text column; a timestamp column gets
/// the same instant.
#[test]
fn gdal_timestamp_defaults_give_what_sqlite_gives() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("gdal.db");
    let c = Connection::open(&src).unwrap();
    c.execute_batch(
        "CREATE TABLE f (id INTEGER PRIMARY KEY, \
           created TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', CURRENT_TIMESTAMP)), \
           changed DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', CURRENT_TIMESTAMP)));\
         INSERT INTO f (id) VALUES (1);",
    )
    .unwrap();
    let shape = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$").unwrap();
    let sqlite: String = c
        .query_row("SELECT created FROM f", [], |r| r.get(0))
        .unwrap();
    assert!(shape.is_match(&sqlite), "{sqlite}");
    drop(c);
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("gdal");
        let o = migrate(&src, &db, &[]);
        assert_eq!(o.status.code(), Some(0), "{v}: {}", text(&o));
        db.psql("INSERT INTO f (id) VALUES (2)").unwrap();
        let got = db.query(
            "SELECT created, extract(microseconds FROM changed)::bigint % 1000000 FROM f WHERE id = 2",
        );
        assert!(shape.is_match(&got[0][0]), "{v}: {got:?}");
        assert_eq!(got[0][1], "0", "{v}: whole seconds");
    }
}

/// GDAL-style storage-class CHECKs: the ones the type implies are dropped,
/// the others translate, the SQLite rows load under them, and a row SQLite
/// refused (NULL where `typeof(w) = 'text'`) PostgreSQL refuses too.
#[test]
fn typeof_checks_are_implied_or_translated_and_hold_on_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("typeof.db");
    let fixture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/tests/typeof_checks.sql"),
    )
    .unwrap();
    let c = Connection::open(&src).unwrap();
    c.execute_batch(&fixture).unwrap();
    assert!(
        c.execute("INSERT INTO gdal (id, n, w) VALUES (9, 1, NULL)", [])
            .is_err(),
        "SQLite refuses NULL in w"
    );
    drop(c);
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("typeof");
        let o = migrate(&src, &db, &[]);
        assert_eq!(o.status.code(), Some(0), "{v}: {}", text(&o));
        assert_eq!(
            db.scalar("SELECT count(*) FROM pg_constraint WHERE contype = 'c' AND conrelid = 'gdal'::regclass"),
            "2",
            "{v}: q's and w's CHECKs"
        );
        assert!(
            db.psql("INSERT INTO gdal (id, n, w) VALUES (9, 1, NULL)")
                .is_err(),
            "{v}: PostgreSQL refuses NULL in w too"
        );
        db.psql("INSERT INTO gdal (id, n, w, q) VALUES (10, 1, 'ok', 'fine')")
            .unwrap();
    }
}

/// A foreign key whose child column has another type than its parent is
/// kept when SQLite's own check holds: the child takes the parent's type
/// when every value converts to it (text '1' → bigint; the integer 1 →
/// text), or when the child table is empty.
#[test]
fn foreign_keys_across_types_are_kept_when_the_values_fit() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("fk_types.db");
    let c = Connection::open(&src).unwrap();
    c.execute_batch(
        "CREATE TABLE parent_i (id INTEGER PRIMARY KEY);\
         CREATE TABLE parent_t (code TEXT PRIMARY KEY);\
         CREATE TABLE child_t (id INTEGER PRIMARY KEY, pid TEXT REFERENCES parent_i(id));\
         CREATE TABLE child_i (id INTEGER PRIMARY KEY, code INTEGER REFERENCES parent_t(code));\
         CREATE TABLE child_empty (id INTEGER PRIMARY KEY, pid TEXT REFERENCES parent_i(id));\
         INSERT INTO parent_i VALUES (1), (2);\
         INSERT INTO parent_t VALUES ('a'), ('1');\
         INSERT INTO child_t VALUES (1, '1'), (2, '2'), (3, NULL);\
         INSERT INTO child_i VALUES (1, 1), (2, 'a');",
    )
    .unwrap();
    let broken: i64 = c
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(broken, 0, "SQLite's own check holds");
    drop(c);
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("fk_types");
        let o = migrate(&src, &db, &[]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(0), "{v}: {t}");
        assert!(!t.contains("fk-type-mismatch"), "{v}: {t}");
        assert!(t.contains("verified: 5 tables, 0 differ"), "{v}: {t}");
        assert_eq!(
            db.query(
                "SELECT conrelid::regclass::text, convalidated::text FROM pg_constraint \
                 WHERE contype = 'f' ORDER BY 1"
            ),
            vec![
                vec!["child_empty".to_string(), "true".into()],
                vec!["child_i".into(), "true".into()],
                vec!["child_t".into(), "true".into()],
            ],
            "{v}"
        );
        assert_eq!(
            db.scalar("SELECT string_agg(code, ',' ORDER BY id) FROM child_i"),
            "1,a",
            "{v}"
        );
    }
}

/// A dirty application database like our users' own (LogoMesh-like): mixed
/// storage classes, binary blobs in ANY, TEXT and untyped columns, NUL bytes
/// in text, JSON that does not parse, embeddings of the wrong length,
/// orphaned foreign keys. It migrates with the DEFAULT options, verifies,
/// and inspect --strict predicted it.
#[test]
fn a_dirty_application_database_migrates_with_default_options_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixtures::dirty_app(dir.path());
    let s = src.to_str().unwrap();
    let i = pgbridge(&["inspect", s, "--strict"]);
    assert_eq!(i.status.code(), Some(0), "inspect --strict: {}", text(&i));
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("dirty_app");
        let o = migrate(&src, &db, &[]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(0), "{v}: {t}");
        assert!(t.contains("verified: 3 tables, 0 differ"), "{v}: {t}");
        assert!(t.contains("orphan-foreign-key-rows"), "{v}: {t}");
        assert_eq!(db.scalar("SELECT count(*) FROM docs"), "4", "{v}");
        assert_eq!(db.scalar("SELECT count(*) FROM strict_bag"), "5", "{v}");
    }
}
