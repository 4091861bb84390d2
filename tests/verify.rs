//! `pgbridge verify` against real PostgreSQL 15 and 18: after a migrate
//! every corpus database verifies, `04_validate.sql` prints the same
//! digests, and tampering is found and localised to table, key and column.
mod common;

use common::{CORPUS_DATABASES as CORPUS, PgVersion, TestDb, cluster, corpus, pgbridge, text};
use rusqlite::Connection;
use std::path::Path;
use std::process::Output;

fn verify(db: &Path, target: &TestDb) -> Output {
    pgbridge(&["verify", db.to_str().unwrap(), target.url.as_str()])
}

fn digest_lines(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s
        .lines()
        .filter(|l| l.starts_with("digest "))
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

#[test]
fn every_corpus_database_verifies_and_04_validate_prints_the_same_digests_on_15_and_18() {
    let dir = tempfile::tempdir().unwrap();
    for v in PgVersion::ALL {
        for rel in CORPUS {
            let path = corpus(rel);
            let db = cluster(v).new_db("corpus_verify");
            let out = pgbridge(&[
                "migrate",
                path.to_str().unwrap(),
                db.url.as_str(),
                "--jobs",
                "2",
            ]);
            assert!(out.status.success(), "{rel} on {v}:\n{}", text(&out));
            let out = verify(&path, &db);
            assert!(out.status.success(), "verify {rel} on {v}:\n{}", text(&out));
            let ours = digest_lines(&String::from_utf8_lossy(&out.stdout));
            assert!(!ours.is_empty(), "{rel}: no digest printed");
            let set = dir.path().join("set");
            let out = pgbridge(&[
                "compile",
                path.to_str().unwrap(),
                "-o",
                set.to_str().unwrap(),
                "--target-url",
                db.url.as_str(),
            ]);
            assert!(out.status.success(), "compile {rel}:\n{}", text(&out));
            let psql = db
                .psql_file(&set.join("04_validate.sql"))
                .unwrap_or_else(|e| panic!("04_validate.sql on {rel} {v}: {e}"));
            assert_eq!(digest_lines(&psql), ours, "{rel} on {v}");
        }
    }
}

/// A table spanning three chunks with every kind of value verify hashes.
fn tamper_source(path: &Path) {
    let c = Connection::open(path).unwrap();
    c.execute_batch(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL,
                             created_at TIMESTAMP, meta TEXT, qty INTEGER);
         CREATE TABLE tags (label TEXT, weight REAL);
         BEGIN;",
    )
    .unwrap();
    {
        let mut ins = c
            .prepare("INSERT INTO items VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .unwrap();
        for i in 1..=25_000i64 {
            ins.execute(rusqlite::params![
                i,
                format!("name {i}"),
                1.0 + (i as f64) / 100_003.0,
                format!(
                    "2024-01-{:02}T{:02}:{:02}:{:02}.{:06}Z",
                    i % 28 + 1,
                    i % 24,
                    i % 60,
                    (i * 7) % 60,
                    i * 13 % 1_000_000
                ),
                format!(r#"{{"n": {i}, "tags": ["a", "b\u00e9"], "ok": true, "x": 1.50}}"#),
                if i % 10 == 0 { None } else { Some(i % 7) },
            ])
            .unwrap();
        }
        let mut tag = c.prepare("INSERT INTO tags VALUES (?1, ?2)").unwrap();
        for i in 0..50i64 {
            tag.execute(rusqlite::params![
                format!("t{}", i % 20),
                ((i % 20) % 3) as f64
            ])
            .unwrap();
        }
    }
    c.execute_batch("COMMIT;").unwrap();
}

#[test]
fn tampering_is_found_and_localised_to_table_key_and_column_on_15_and_18() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("t.db");
    tamper_source(&src);
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("verify_tamper");
        let out = pgbridge(&["migrate", src.to_str().unwrap(), db.url.as_str()]);
        assert!(out.status.success(), "{}", text(&out));
        let out = verify(&src, &db);
        assert!(out.status.success(), "{v}:\n{}", text(&out));
        let s = text(&out);
        assert!(s.contains("duplicate rows 30 / 30"), "{s}");
        db.psql("CREATE TABLE bak AS TABLE items").unwrap();
        let cases: &[(&str, &[&str])] = &[
            (
                "UPDATE items SET name = 'tampered' WHERE id = 12345",
                &[
                    "MISMATCH items",
                    "key (12345) column name: SQLite \"name 12345\" / PostgreSQL tampered",
                ],
            ),
            (
                "DELETE FROM items WHERE id = 20001",
                &["key (20001): in SQLite, missing in PostgreSQL"],
            ),
            (
                "INSERT INTO items (id, name) VALUES (30000, 'new')",
                &["key (30000): in PostgreSQL, not in SQLite"],
            ),
            (
                "UPDATE items SET price = price + price * 2.220446049250313e-16 WHERE id = 777",
                &["key (777) column price"],
            ),
            (
                "UPDATE items SET created_at = created_at + interval '1 microsecond' WHERE id = 5",
                &["key (5) column created_at"],
            ),
            (
                "UPDATE items SET meta = jsonb_set(meta, '{x}', '1.5') WHERE id = 9999",
                &["key (9999) column meta"],
            ),
        ];
        for (sql, wants) in cases {
            db.psql(sql).unwrap();
            let out = verify(&src, &db);
            let s = text(&out);
            assert_eq!(out.status.code(), Some(1), "{sql} on {v}:\n{s}");
            for w in *wants {
                assert!(s.contains(w), "{sql} on {v}: want {w:?} in\n{s}");
            }
            assert!(s.contains("match    tags"), "{sql}: {s}");
            db.psql("TRUNCATE items; INSERT INTO items SELECT * FROM bak")
                .unwrap();
        }
        let out = verify(&src, &db);
        assert!(out.status.success(), "restored, {v}:\n{}", text(&out));
        // Reordered keys and spacing in the SQLite JSON still match.
        let copy = dir.path().join(format!("reordered{}.db", v.major()));
        std::fs::copy(&src, &copy).unwrap();
        Connection::open(&copy)
            .unwrap()
            .execute_batch(
                r#"UPDATE items SET meta = '{ "x":1.50,"ok" :true, "tags":["a","b\u00e9"],"n":42, "n": 42}' WHERE id = 42;"#,
            )
            .unwrap();
        let out = verify(&copy, &db);
        assert!(out.status.success(), "reordered JSON, {v}:\n{}", text(&out));
        // A changed JSON value does not.
        Connection::open(&copy)
            .unwrap()
            .execute_batch(r#"UPDATE items SET meta = '{"n": 43}' WHERE id = 43;"#)
            .unwrap();
        let out = verify(&copy, &db);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(
            text(&out).contains("key (43) column meta"),
            "{}",
            text(&out)
        );
    }
}

/// JSON texts of a corpus database: every TEXT value that parses as a
/// JSON object or array, plus tricky hand-written cases.
fn json_values(path: &Path, out: &mut Vec<String>) {
    let c = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    c.create_collation("unicase", |a: &str, b: &str| a.cmp(b))
        .unwrap();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE '%VIRTUAL%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .filter_map(Result::ok)
        .collect();
    for t in tables {
        let q = format!("SELECT * FROM \"{}\"", t.replace('"', "\"\""));
        let Ok(mut st) = c.prepare(&q) else { continue };
        let n = st.column_count();
        let mut rows = st.query([]).unwrap();
        while let Ok(Some(r)) = rows.next() {
            for i in 0..n {
                if let Ok(rusqlite::types::ValueRef::Text(b)) = r.get_ref(i)
                    && let Ok(s) = std::str::from_utf8(b)
                    && matches!(s.trim_start().as_bytes().first(), Some(b'{' | b'['))
                    && serde_json::from_str::<serde::de::IgnoredAny>(s).is_ok()
                    && !s.contains("\\u0000")
                {
                    out.push(s.to_string());
                }
            }
        }
    }
}

#[test]
fn the_jsonb_normaliser_prints_what_postgres_prints_on_the_corpus_and_tricky_cases_15_and_18() {
    let mut values: Vec<String> = [
        r#"{"b": 1, "a": 2, "aa": 3, "a": 4}"#,
        r#"{"é": 1, "z": 2, "\u00e9x": 3, "ab": {"y": [1.0, 1e2, 1E-2, -0, -0.0, 0.10]}}"#,
        r#"["\/", "\u0041\u00e9\u20ac\ud83d\ude00", "\b\f\n\r\t\u0001\u001f\u007f", "\"\\"]"#,
        r#"[123456789012345678901234567890.123456789, 1e300, 1.5e-20, 2.50E+3, 1e-7]"#,
        r#"  {"nested": {"deep": [[], {}, [{}], null, true, false]}}  "#,
        r#"{"": 0, " ": 1, "b": "😀"}"#,
        r#""just a string""#,
        "-12.3400",
        "null",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for rel in CORPUS {
        json_values(&corpus(rel), &mut values);
    }
    assert!(values.len() > 100, "only {} JSON values", values.len());
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("verify_json");
        let mut client = db.connect();
        for chunk in values.chunks(2000) {
            let rows = client
                .query(
                    "SELECT x::jsonb::text FROM unnest($1::text[]) WITH ORDINALITY AS u(x, i) ORDER BY i",
                    &[&chunk],
                )
                .unwrap();
            for (src, row) in chunk.iter().zip(rows) {
                let want: String = row.get(0);
                let have = pgbridge::digest::canon::jsonb_text(src)
                    .unwrap_or_else(|e| panic!("{src}: {e}"));
                assert_eq!(have, want, "{src} on {v}");
            }
        }
    }
}

#[test]
fn rejected_rows_are_listed_not_hidden_and_unordered_keys_fall_back_to_sorting_15_and_18() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("dirty.db");
    Connection::open(&src)
        .unwrap()
        .execute_batch(
            "CREATE TABLE nums (id INTEGER PRIMARY KEY, qty INTEGER, ratio REAL);
             INSERT INTO nums VALUES (1, 5, 0.5), (2, 'abc', 1.25), (3, 7, 2.5);
             CREATE TABLE parent (code TEXT COLLATE NOCASE PRIMARY KEY, name TEXT);
             INSERT INTO parent VALUES ('b', 'x'), ('B2', 'y'), ('a', 'z'), ('C', 'w'), ('é', 'v');
             CREATE TABLE wr (k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID;
             INSERT INTO wr VALUES ('z', 1), ('Z', 2), ('10', 3), ('9', 4);",
        )
        .unwrap();
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("verify_rejects");
        let rejects = dir.path().join(format!("rejects-{}.jsonl", v.major()));
        let out = pgbridge(&[
            "migrate",
            src.to_str().unwrap(),
            db.url.as_str(),
            "--no-profile",
            "--on-error",
            "reject",
            "--rejects",
            rejects.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", text(&out));
        let out = pgbridge(&[
            "verify",
            src.to_str().unwrap(),
            db.url.as_str(),
            "--no-profile",
        ]);
        let s = text(&out);
        assert_eq!(out.status.code(), Some(1), "{s}");
        assert!(
            s.contains("does not convert (and is not in the reject file): rowid 2, column qty"),
            "{s}"
        );
        let out = pgbridge(&[
            "verify",
            src.to_str().unwrap(),
            db.url.as_str(),
            "--no-profile",
            "--rejects",
            rejects.to_str().unwrap(),
        ]);
        let s = text(&out);
        assert!(out.status.success(), "{s}");
        assert!(s.contains("rejected, not loaded: rowid 2"), "{s}");
        assert!(
            s.contains("match    parent: rows 5 sqlite / 5 postgres"),
            "{s}"
        );
        assert!(s.contains("match    wr: rows 4 sqlite / 4 postgres"), "{s}");
        // The NOCASE key is verified in PostgreSQL's order, and a change found.
        db.psql("UPDATE parent SET name = 'changed' WHERE code = 'B2'")
            .unwrap();
        let out = pgbridge(&[
            "verify",
            src.to_str().unwrap(),
            db.url.as_str(),
            "--no-profile",
            "--rejects",
            rejects.to_str().unwrap(),
        ]);
        let s = text(&out);
        assert_eq!(out.status.code(), Some(1), "{s}");
        assert!(
            s.contains("key (B2) column name: SQLite \"y\" / PostgreSQL changed"),
            "{s}"
        );
    }
}

#[test]
fn verify_converts_with_the_plan_migrate_recorded_and_writes_a_json_report_15_and_18() {
    use sha2::{Digest as _, Sha256};
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("events.db");
    Connection::open(&src)
        .unwrap()
        .execute_batch(
            "CREATE TABLE ev (id INTEGER PRIMARY KEY, at DATETIME, v REAL, note TEXT);
             INSERT INTO ev VALUES (1, 1700000000, 1.5, 'a'), (2, 1700000001, 2.5, NULL),
                                   (3, 1700086400, -0.25, 'c');",
        )
        .unwrap();
    let file_sha = hex::encode(Sha256::digest(std::fs::read(&src).unwrap()));
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("verify_recorded");
        let out = pgbridge(&["migrate", src.to_str().unwrap(), db.url.as_str()]);
        assert!(out.status.success(), "{}", text(&out));
        // The epoch DATETIME became timestamptz: the recorded plan converts it so.
        assert_eq!(
            db.scalar("SELECT at FROM ev WHERE id = 1"),
            "2023-11-14 22:13:20+00"
        );
        let report = dir.path().join(format!("verify-{}.json", v.major()));
        let out = pgbridge(&[
            "verify",
            src.to_str().unwrap(),
            db.url.as_str(),
            "--report",
            report.to_str().unwrap(),
        ]);
        let s = text(&out);
        assert!(out.status.success(), "{v}: {s}");
        assert!(s.contains("note[verify-recorded-plan]"), "{s}");
        let recorded = digest_lines(&s);
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(r["status"], "match", "{r}");
        assert_eq!(r["plan"], "recorded", "{r}");
        assert_eq!(r["schema"], "public", "{r}");
        assert_eq!(r["source"]["sha256"], file_sha.as_str(), "{r}");
        assert!(!r["target"].as_str().unwrap().contains("password="), "{r}");
        let t = &r["tables"][0];
        assert_eq!(
            (t["name"].as_str(), t["rows_sqlite"].as_u64()),
            (Some("ev"), Some(3))
        );
        assert_eq!(t["rows_postgres"], 3);
        assert_eq!(t["sha256"], t["sha256_sqlite"]);
        assert_eq!(
            recorded,
            vec![format!(
                "digest ev rows=3 chunks=1 sha256={}",
                t["sha256"].as_str().unwrap()
            )]
        );
        // Planning afresh and hashing inside the server give the same digests.
        for flag in ["--replan", "--hash-in-server"] {
            let out = pgbridge(&["verify", src.to_str().unwrap(), db.url.as_str(), flag]);
            let s = text(&out);
            assert!(out.status.success(), "{flag} on {v}: {s}");
            assert_eq!(digest_lines(&s), recorded, "{flag} on {v}");
            assert_eq!(
                s.contains("note[verify-recorded-plan]"),
                flag != "--replan",
                "{flag}: {s}"
            );
        }
        // An auditor who may read the table but not pgbridge's state: verify
        // plans from the source instead, and still proves the content.
        let auditor = format!("auditor_{}", db.name);
        db.psql(&format!(
            "CREATE ROLE {auditor} LOGIN; GRANT SELECT ON ev TO {auditor}"
        ))
        .unwrap();
        let as_auditor =
            db.url
                .replacen("postgres://postgres@", &format!("postgres://{auditor}@"), 1);
        assert_ne!(as_auditor, db.url);
        let out = pgbridge(&["verify", src.to_str().unwrap(), as_auditor.as_str()]);
        let s = text(&out);
        assert!(out.status.success(), "{v}: {s}");
        assert!(
            s.contains("note[verify-replanned]: the recorded runs cannot be read"),
            "{s}"
        );
        assert_eq!(digest_lines(&s), recorded, "auditor on {v}");
        // A changed value is found on the server-side path too.
        db.psql("UPDATE ev SET v = 2.75 WHERE id = 2").unwrap();
        let out = pgbridge(&[
            "verify",
            src.to_str().unwrap(),
            db.url.as_str(),
            "--hash-in-server",
            "--report",
            report.to_str().unwrap(),
        ]);
        let s = text(&out);
        assert_eq!(out.status.code(), Some(1), "{s}");
        assert!(
            s.contains("key (2) column v: SQLite 2.5 / PostgreSQL 2.75"),
            "{s}"
        );
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(r["status"], "differ", "{r}");
        assert_ne!(r["tables"][0]["sha256"], r["tables"][0]["sha256_sqlite"]);
        // A target changed since the run: the recorded plan no longer fits, and
        // verify says so before planning from the source.
        db.psql(
            "UPDATE ev SET v = 2.5 WHERE id = 2; ALTER TABLE ev ALTER COLUMN note TYPE varchar(10)",
        )
        .unwrap();
        let out = pgbridge(&["verify", src.to_str().unwrap(), db.url.as_str()]);
        let s = text(&out);
        assert!(
            s.contains("note[verify-replanned]: column ev.note is not what the run of"),
            "{s}"
        );
    }
}

#[test]
fn uuid_keys_verify_in_postgres_order_whatever_their_case_or_storage_15_and_18() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("uuids.db");
    let c = Connection::open(&src).unwrap();
    c.execute_batch(
        "CREATE TABLE lower_u (id UUID PRIMARY KEY, v INTEGER);
         CREATE TABLE mixed_u (id UUID PRIMARY KEY, v INTEGER);
         CREATE TABLE blob_u (id UUID PRIMARY KEY, v INTEGER);
         BEGIN;",
    )
    .unwrap();
    // Deterministic pseudo-random ids spanning 2 chunks.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..15_000i64 {
        let mut b = [0u8; 16];
        for k in b.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *k = x as u8;
        }
        let h = hex::encode(b);
        let text = format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        );
        let mixed = if i % 3 == 0 {
            text.to_uppercase()
        } else {
            text.clone()
        };
        c.execute(
            "INSERT INTO lower_u VALUES (?1, ?2)",
            rusqlite::params![text, i],
        )
        .unwrap();
        c.execute(
            "INSERT INTO mixed_u VALUES (?1, ?2)",
            rusqlite::params![mixed, i],
        )
        .unwrap();
        c.execute(
            "INSERT INTO blob_u VALUES (?1, ?2)",
            rusqlite::params![&b[..], i],
        )
        .unwrap();
    }
    c.execute_batch("COMMIT").unwrap();
    drop(c);
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("verify_uuid_keys");
        let out = pgbridge(&["migrate", src.to_str().unwrap(), db.url.as_str()]);
        assert!(out.status.success(), "{}", text(&out));
        for t in ["lower_u", "mixed_u", "blob_u"] {
            assert_eq!(
                db.scalar(&format!(
                    "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '{t}'::regclass AND attname = 'id'"
                )),
                "uuid",
                "{t} on {v}"
            );
        }
        let out = verify(&src, &db);
        let s = text(&out);
        assert!(out.status.success(), "{v}: {s}");
        for t in ["lower_u", "mixed_u", "blob_u"] {
            assert!(
                s.contains(&format!("match    {t}: rows 15000 sqlite / 15000 postgres")),
                "{s}"
            );
        }
        let id = db.scalar("SELECT id FROM mixed_u WHERE v = 12000");
        db.psql("UPDATE mixed_u SET v = -1 WHERE v = 12000; UPDATE blob_u SET v = -1 WHERE v = 7")
            .unwrap();
        let blob_id = db.scalar("SELECT id FROM blob_u WHERE v = -1");
        let out = verify(&src, &db);
        let s = text(&out);
        assert_eq!(out.status.code(), Some(1), "{s}");
        assert!(
            s.contains(&format!(
                "key ({id}) column v: SQLite 12000 / PostgreSQL -1"
            )),
            "{s}"
        );
        assert!(
            s.contains(&format!(
                "key ({blob_id}) column v: SQLite 7 / PostgreSQL -1"
            )),
            "{s}"
        );
        assert!(s.contains("match    lower_u"), "{s}");
    }
}

#[test]
fn keyless_tables_larger_than_the_sort_budget_verify_through_disk_15_and_18() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("logs.db");
    let c = Connection::open(&src).unwrap();
    c.execute_batch("CREATE TABLE logs (at TEXT, level TEXT, msg TEXT); BEGIN;")
        .unwrap();
    for i in 0..30_000i64 {
        // Every 10th row repeats the one before: duplicates must be counted.
        let j = if i % 10 == 9 { i - 1 } else { i };
        c.execute(
            "INSERT INTO logs VALUES (?1, ?2, ?3)",
            rusqlite::params![
                format!("2024-01-01 00:{:02}:{:02}", j / 60 % 60, j % 60),
                ["info", "warn", "error"][(j % 3) as usize],
                format!(
                    "message {} {}",
                    j * 7919 % 30_011,
                    "x".repeat((j % 50) as usize)
                )
            ],
        )
        .unwrap();
    }
    c.execute_batch("COMMIT").unwrap();
    drop(c);
    // A quarter MiB of rows in memory at most: the 30,000 rows spill in runs.
    let verify_small = |db: &TestDb| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pgbridge"))
            .args(["verify", src.to_str().unwrap(), db.url.as_str()])
            .env("PGBRIDGE_VERIFY_SORT_MB", "0.25")
            .output()
            .unwrap()
    };
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("verify_spill");
        let out = pgbridge(&[
            "migrate",
            src.to_str().unwrap(),
            db.url.as_str(),
            "--no-verify",
        ]);
        assert!(out.status.success(), "{}", text(&out));
        let out = verify_small(&db);
        let s = text(&out);
        assert!(out.status.success(), "{v}: {s}");
        assert!(
            s.contains("match    logs: rows 30000 sqlite / 30000 postgres (no key; duplicate rows 3000 / 3000)"),
            "{s}"
        );
        let same = digest_lines(&s);
        assert_eq!(digest_lines(&text(&verify(&src, &db))), same, "{v}");
        db.psql("UPDATE logs SET level = 'fatal' WHERE msg LIKE 'message 7919 %'")
            .unwrap();
        let out = verify_small(&db);
        let s = text(&out);
        assert_eq!(out.status.code(), Some(1), "{s}");
        assert!(s.contains("MISMATCH logs"), "{s}");
        assert!(s.contains("in SQLite, missing in PostgreSQL"), "{s}");
        assert!(s.contains("fatal"), "{s}");
    }
}

/// The lines of `s` containing `what`.
fn count(s: &str, what: &str) -> usize {
    s.lines().filter(|l| l.contains(what)).count()
}

#[test]
fn large_tables_are_read_in_halves_and_in_stored_order_with_fallbacks_that_keep_the_result_15_and_18()
 {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("halves.db");
    let c = Connection::open(&src).unwrap();
    c.execute_batch(
        "CREATE TABLE big (id INTEGER PRIMARY KEY, qty INTEGER, label TEXT);
         CREATE TABLE shuffled (k TEXT PRIMARY KEY, v INTEGER);
         CREATE TABLE sorted (k TEXT PRIMARY KEY, v INTEGER);
         CREATE TABLE coded (code INTEGER NOT NULL UNIQUE, v TEXT);
         CREATE TABLE pairs (a INTEGER, b INTEGER, v TEXT, PRIMARY KEY (a, b));
         BEGIN;",
    )
    .unwrap();
    for i in 1..=30_000i64 {
        // Row 7, in the first half, does not convert: migrate rejects it.
        let qty: rusqlite::types::Value = if i == 7 {
            "abc".to_string().into()
        } else {
            (i % 100).into()
        };
        c.execute(
            "INSERT INTO big VALUES (?1, ?2, ?3)",
            rusqlite::params![i, qty, format!("label {i}")],
        )
        .unwrap();
    }
    for i in 0..25_000i64 {
        // Stored in PostgreSQL in rowid order: not key order.
        c.execute(
            "INSERT INTO shuffled VALUES (?1, ?2)",
            rusqlite::params![format!("k{}", i * 7919 % 25_000), i],
        )
        .unwrap();
        c.execute(
            "INSERT INTO sorted VALUES (?1, ?2)",
            rusqlite::params![format!("k{i:06}"), i],
        )
        .unwrap();
        c.execute(
            "INSERT INTO pairs VALUES (?1, ?2, ?3)",
            rusqlite::params![i / 10, i % 10, format!("p{i}")],
        )
        .unwrap();
        // Keyed by `code`, stored in rowid order: the heap halves are not
        // in key order, the SQLite halves read through the index.
        c.execute(
            "INSERT INTO coded VALUES (?1, ?2)",
            rusqlite::params![i * 7919 % 25_000 - 12_000, format!("v{i}")],
        )
        .unwrap();
    }
    c.execute_batch("COMMIT;").unwrap();
    drop(c);
    let s = src.to_str().unwrap();
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("verify_halves");
        let rejects = dir.path().join(format!("rejects-{}.jsonl", v.major()));
        let rj = rejects.to_str().unwrap();
        let out = pgbridge(&[
            "migrate",
            s,
            &db.url,
            "--no-profile",
            "--on-error",
            "reject",
            "--rejects",
            rj,
        ]);
        assert!(out.status.success(), "{}", text(&out));
        let out = pgbridge(&["verify", s, &db.url, "--rejects", rj]);
        let t = text(&out);
        assert!(out.status.success(), "{v}:\n{t}");
        assert!(t.contains("rejected, not loaded: rowid 7"), "{t}");
        for table in ["big", "shuffled", "sorted", "coded", "pairs"] {
            assert!(t.contains(&format!("match    {table}")), "{v}:\n{t}");
        }
        let digests = digest_lines(&t);
        // Without the reject file the first half is one row short: read
        // again in one pass, the row listed once, the digests the same.
        let out = pgbridge(&["verify", s, &db.url]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{v}:\n{t}");
        let what = "does not convert (and is not in the reject file): rowid 7, column qty";
        assert_eq!(count(&t, what), 1, "{v}:\n{t}");
        assert_eq!(digest_lines(&t), digests, "{v}:\n{t}");
        assert!(!t.contains("sqlite side: digest"), "{v}:\n{t}");
        // Rows moved in the heap (same values): stored order is no longer
        // key order in either half, and the digests do not change; the
        // server's own hashing agrees.
        db.psql(
            "UPDATE big SET label = label WHERE id IN (5, 25000);
             UPDATE sorted SET v = v WHERE k = 'k000010';",
        )
        .unwrap();
        let fetched = pgbridge(&["verify", s, &db.url, "--rejects", rj]);
        let in_server = pgbridge(&["verify", s, &db.url, "--rejects", rj, "--hash-in-server"]);
        assert!(fetched.status.success(), "{v}:\n{}", text(&fetched));
        assert!(in_server.status.success(), "{v}:\n{}", text(&in_server));
        let lines = digest_lines(&text(&fetched));
        assert_eq!(lines, digests, "{}", text(&fetched));
        assert_eq!(lines, digest_lines(&text(&in_server)));
        // A change in either half is still found, with its key, also for a
        // key stored out of order and for a two-column key: (change, what
        // verify says, undo).
        let cases = [
            (
                "UPDATE coded SET v = 'y' WHERE code = -11999".to_string(),
                "key (-11999) column v: SQLite \"v17679\" / PostgreSQL y".to_string(),
                "UPDATE coded SET v = 'v17679' WHERE code = -11999".to_string(),
            ),
            (
                "UPDATE pairs SET v = 'y' WHERE (a, b) = (2000, 7)".to_string(),
                "key (2000, 7) column v: SQLite \"p20007\" / PostgreSQL y".to_string(),
                "UPDATE pairs SET v = 'p20007' WHERE (a, b) = (2000, 7)".to_string(),
            ),
        ]
        .into_iter()
        .chain([3, 29_999].map(|id| {
            (
                format!("UPDATE big SET label = 'x' WHERE id = {id}"),
                format!("key ({id}) column label: SQLite \"label {id}\" / PostgreSQL x"),
                format!("UPDATE big SET label = 'label {id}' WHERE id = {id}"),
            )
        }));
        for (change, want, undo) in cases {
            db.psql(&change).unwrap();
            let out = pgbridge(&["verify", s, &db.url, "--rejects", rj]);
            let t = text(&out);
            assert_eq!(out.status.code(), Some(1), "{change} on {v}:\n{t}");
            assert!(t.contains(&want), "{v}: want {want:?} in\n{t}");
            db.psql(&undo).unwrap();
        }
        // A source in WAL mode, written by another connection meanwhile
        // possible, is read through one connection.
        let wal = dir.path().join(format!("wal{}.db", v.major()));
        std::fs::copy(&src, &wal).unwrap();
        let open = Connection::open(&wal).unwrap();
        let mode: String = open
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let out = pgbridge(&["verify", wal.to_str().unwrap(), &db.url, "--rejects", rj]);
        assert!(out.status.success(), "{v}, WAL:\n{}", text(&out));
        assert_eq!(digest_lines(&text(&out)), lines);
        drop(open);
    }
}

/// Generated columns are verified: PostgreSQL computes them from the
/// translated expression, SQLite reads its own, and the two are compared
/// like loaded data (and by 04_validate.sql). A STORED column whose stored
/// values no longer follow its expression — the file says `a + 2`, the rows
/// were written under `a + 1`, as when an older SQLite computed them
/// differently — is a difference named by key and column.
#[test]
fn generated_columns_are_compared_with_what_sqlite_holds_15_and_18() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("gen.db");
    let c = Connection::open(&src).unwrap();
    c.execute_batch(
        "CREATE TABLE g (id INTEGER PRIMARY KEY, a INTEGER,
                         v INTEGER GENERATED ALWAYS AS (a * 10) VIRTUAL,
                         s INTEGER GENERATED ALWAYS AS (a + 1) STORED);
         INSERT INTO g (id, a) VALUES (1, 1), (2, 2), (3, NULL);",
    )
    .unwrap();
    drop(c);
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("verify_generated");
        let out = pgbridge(&["migrate", src.to_str().unwrap(), db.url.as_str()]);
        assert!(out.status.success(), "{v}: {}", text(&out));
        assert_eq!(
            db.query("SELECT attname FROM pg_attribute WHERE attrelid = 'g'::regclass AND attgenerated = 's' ORDER BY 1"),
            [["s"], ["v"]],
            "{v}"
        );
    }
    // The stored values stay a + 1; the expression now says a + 2.
    let c = Connection::open(&src).unwrap();
    c.execute_batch(
        "PRAGMA writable_schema = ON;
         UPDATE sqlite_schema SET sql = replace(sql, '(a + 1) STORED', '(a + 2) STORED') WHERE name = 'g';
         PRAGMA writable_schema = OFF;",
    )
    .unwrap();
    drop(c);
    let c = Connection::open(&src).unwrap();
    let stored: i64 = c
        .query_row("SELECT s FROM g WHERE id = 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 2, "SQLite still reads the stored value");
    drop(c);
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("verify_generated_drift");
        let out = pgbridge(&["migrate", src.to_str().unwrap(), db.url.as_str()]);
        let s = text(&out);
        assert!(!out.status.success(), "{v}: {s}");
        assert!(
            s.contains("key (1) column s: SQLite 2 / PostgreSQL 3"),
            "{v}: {s}"
        );
    }
}
