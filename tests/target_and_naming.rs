//! Target capabilities read from a live server (`--target-url`), and the
//! naming options, proven on real PostgreSQL.
mod common;

use common::{PgVersion, cluster};
use std::process::Command;

fn pgbridge(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pgbridge"))
        .args(args)
        .output()
        .expect("run pgbridge")
}

fn example_db() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/examples/blog.db").to_string()
}

#[test]
fn target_url_reads_version_and_pgvector_from_the_server() {
    // PostgreSQL 18 here has pgvector: the embeddings become vector(4).
    let db = cluster(PgVersion::V18).new_db("target18");
    let out = tempfile::tempdir().unwrap();
    let o = pgbridge(&[
        "compile",
        &example_db(),
        "-o",
        out.path().to_str().unwrap(),
        "--target-url",
        &db.url,
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let schema = std::fs::read_to_string(out.path().join("01_schema.sql")).unwrap();
    assert!(schema.contains("for PostgreSQL 18"), "{schema}");
    assert!(schema.contains("embedding vector(4) NOT NULL"), "{schema}");
    assert!(
        schema.contains("CREATE EXTENSION IF NOT EXISTS vector;"),
        "{schema}"
    );
    for f in ["01_schema.sql", "03_constraints.sql"] {
        db.psql_file(&out.path().join(f))
            .unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    // a float32 blob loaded by hand reads back as the vector
    db.psql("INSERT INTO users (id, email, display_name) VALUES (1, 'a@b.c', 'A'); INSERT INTO posts (id, uuid, author_id, title) VALUES (1, gen_random_uuid(), 1, 't'); INSERT INTO post_embeddings VALUES (1, '[1,2,3,4]');").unwrap();
    assert_eq!(
        db.scalar("SELECT embedding::text FROM post_embeddings"),
        "[1,2,3,4]"
    );
    // the identity continues after sqlite_sequence's 3 (posts had a deleted row 3), not after max(id) = 1
    assert_eq!(db.scalar("INSERT INTO posts (uuid, author_id, title) VALUES (gen_random_uuid(), 1, 'next') RETURNING id"), "4");
    // and citext keeps NOCASE: the same e-mail in another case is a duplicate
    assert!(
        db.psql("INSERT INTO users (email, display_name) VALUES ('A@B.C', 'dup')")
            .unwrap_err()
            .contains("duplicate key")
    );

    // PostgreSQL 15 (Debian) has no pgvector: real[] with a warning.
    let db15 = cluster(PgVersion::V15).new_db("target15");
    let out15 = tempfile::tempdir().unwrap();
    let o = pgbridge(&[
        "compile",
        &example_db(),
        "-o",
        out15.path().to_str().unwrap(),
        "--target-url",
        &db15.url,
    ]);
    assert_eq!(o.status.code(), Some(0));
    let schema = std::fs::read_to_string(out15.path().join("01_schema.sql")).unwrap();
    assert!(
        schema.contains("for PostgreSQL 15") && schema.contains("embedding real[] NOT NULL"),
        "{schema}"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning[float32-blob-array]"));
}

#[test]
fn an_unreachable_target_url_is_one_clear_error_without_the_password() {
    let out = tempfile::tempdir().unwrap();
    let o = pgbridge(&[
        "compile",
        &example_db(),
        "-o",
        out.path().to_str().unwrap(),
        "--target-url",
        "postgres://app:s3cret-pw@127.0.0.1:1/db",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("target-unreachable"), "{err}");
    assert!(
        !err.contains("s3cret-pw"),
        "the password must never be printed: {err}"
    );
}

#[test]
fn snake_case_naming_applies_and_every_statement_uses_the_new_names() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("mixed.db");
    let conn = rusqlite::Connection::open(&src).unwrap();
    conn.execute_batch(
        "CREATE TABLE [OrderDetails] ([OrderID] INTEGER PRIMARY KEY, [Unit Price] REAL NOT NULL CHECK ([Unit Price] >= 0), [ProductName] TEXT);
         CREATE TABLE \"Order Notes\" (id INTEGER PRIMARY KEY, [OrderID] INTEGER REFERENCES OrderDetails(OrderID), Body TEXT);
         CREATE INDEX [IX OrderDetails ProductName] ON OrderDetails ([ProductName]) WHERE [Unit Price] > 0;",
    )
    .unwrap();
    drop(conn);
    let out = dir.path().join("out");
    let o = pgbridge(&[
        "compile",
        src.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--naming",
        "snake-case",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let schema = std::fs::read_to_string(out.join("01_schema.sql")).unwrap();
    let cons = std::fs::read_to_string(out.join("03_constraints.sql")).unwrap();
    assert!(
        schema.contains("CREATE TABLE order_details (")
            && schema.contains("unit_price double precision NOT NULL"),
        "{schema}"
    );
    assert!(
        schema.contains("CHECK (unit_price >= 0)"),
        "CHECK uses the new name:\n{schema}"
    );
    assert!(cons.contains("CREATE INDEX ix_order_details_product_name ON order_details (product_name) WHERE unit_price > 0;"), "{cons}");
    assert!(
        cons.contains("FOREIGN KEY (order_id) REFERENCES order_details (order_id)"),
        "{cons}"
    );
    assert!(
        !schema.contains('"')
            && !cons
                .lines()
                .filter(|l| !l.starts_with("--"))
                .any(|l| l.contains('"')),
        "no quoting needed after snake_case:\n{schema}\n{cons}"
    );
    for v in [PgVersion::V15, PgVersion::V18] {
        let db = cluster(v).new_db("snake");
        for f in ["01_schema.sql", "03_constraints.sql", "rollback.sql"] {
            db.psql_file(&out.join(f))
                .unwrap_or_else(|e| panic!("{f} on {v}: {e}"));
        }
        assert_eq!(db.object_count(), 0);
    }
}

#[test]
fn names_over_63_bytes_are_shortened_deterministically_and_apply() {
    let long = "a_table_name_that_is_much_longer_than_postgresql_allows_for_identifiers_x";
    assert!(long.len() > 63);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("long.db");
    let conn = rusqlite::Connection::open(&src).unwrap();
    conn.execute_batch(&format!(
        "CREATE TABLE {long} (id INTEGER PRIMARY KEY, {long}_column TEXT);"
    ))
    .unwrap();
    drop(conn);
    let out = dir.path().join("out");
    let o = pgbridge(&[
        "compile",
        src.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning[identifier-too-long]"));
    let schema = std::fs::read_to_string(out.join("01_schema.sql")).unwrap();
    let short = pgbridge::ident::shorten(long).expect("shortened");
    assert!(
        short.len() <= 63 && schema.contains(&format!("CREATE TABLE {short} (")),
        "{schema}"
    );
    let db = cluster(PgVersion::V18).new_db("long");
    for f in ["01_schema.sql", "03_constraints.sql"] {
        db.psql_file(&out.join(f))
            .unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    assert_eq!(
        db.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
        "1"
    );
}

/// A constraint name is per table in PostgreSQL: the same foreign-key name
/// on two tables keeps both, with no collision warning; the same name twice
/// on one table is the real collision and is renamed.
#[test]
fn foreign_key_names_repeat_across_tables_and_collide_only_within_one() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("fk.db");
    rusqlite::Connection::open(&src)
        .unwrap()
        .execute_batch(
            "CREATE TABLE owner (id INTEGER PRIMARY KEY);\
             CREATE TABLE a (id INTEGER PRIMARY KEY, o INTEGER, CONSTRAINT fk_owner FOREIGN KEY (o) REFERENCES owner(id));\
             CREATE TABLE b (id INTEGER PRIMARY KEY, o INTEGER, p INTEGER, \
               CONSTRAINT fk_owner FOREIGN KEY (o) REFERENCES owner(id), \
               CONSTRAINT fk_owner FOREIGN KEY (p) REFERENCES owner(id));",
        )
        .unwrap();
    let out = dir.path().join("out");
    let o = common::compile(&src, &out);
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr.matches("warning[identifier-collision]").count(),
        1,
        "only b's second fk_owner collides: {stderr}"
    );
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("fk_names");
        for f in ["01_schema.sql", "03_constraints.sql"] {
            db.psql_file(&out.join(f))
                .unwrap_or_else(|e| panic!("{f} on {v}: {e}"));
        }
        let names: Vec<Vec<String>> = db.query(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint \
             WHERE contype = 'f' ORDER BY 1, 2",
        );
        assert_eq!(
            names,
            vec![
                vec!["a".to_string(), "fk_owner".into()],
                vec!["b".into(), "fk_owner".into()],
                vec!["b".into(), "fk_owner_2".into()],
            ],
            "{v}"
        );
    }
}

/// The application writes `SELECT lock FROM orders` against a schema that
/// declares `Orders (Lock …)`: SQLite does not care about case, PostgreSQL
/// folds unquoted names. Kept as written, the names need quotes and a
/// warning says so, naming the option; with `--naming lower` the same
/// unquoted SQL works on PostgreSQL 15 and 18, and migrate verifies.
#[test]
fn naming_lower_keeps_the_applications_unquoted_sql_working() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("case.db");
    rusqlite::Connection::open(&src)
        .unwrap()
        .execute_batch(
            "CREATE TABLE Orders (Id INTEGER PRIMARY KEY, Lock CHAR(1), CustomerName TEXT);\
             CREATE INDEX IX_Orders_Customer ON Orders (CustomerName);\
             INSERT INTO Orders VALUES (1, 'y', 'Ann');",
        )
        .unwrap();
    let app_sql = "INSERT INTO orders (id, lock, customername) VALUES (2, 'n', 'Bob'); \
                   SELECT lock FROM orders WHERE customername = 'Ann';";
    let kept = dir.path().join("kept");
    let o = common::compile(&src, &kept);
    let t = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        t.contains("warning[upper-case-names-quoted]") && t.contains("--naming lower"),
        "{t}"
    );
    let lower = dir.path().join("lower");
    let o = pgbridge(&[
        "compile",
        src.to_str().unwrap(),
        "-o",
        lower.to_str().unwrap(),
        "--naming",
        "lower",
    ]);
    let t = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(!t.contains("upper-case-names-quoted"), "{t}");
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("case_kept");
        for f in ["01_schema.sql", "03_constraints.sql"] {
            db.psql_file(&kept.join(f)).unwrap();
        }
        assert!(
            db.psql(app_sql).is_err(),
            "{v}: unquoted SQL misses \"Orders\""
        );
        let db = cluster(v).new_db("case_lower");
        for f in ["01_schema.sql", "03_constraints.sql"] {
            db.psql_file(&lower.join(f)).unwrap();
        }
        db.psql(app_sql)
            .unwrap_or_else(|e| panic!("{v}: the application's SQL: {e}"));
        let db = cluster(v).new_db("case_migrate");
        let o = pgbridge(&[
            "migrate",
            src.to_str().unwrap(),
            &db.url,
            "--naming",
            "lower",
        ]);
        let t =
            String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{v}: {t}");
        assert!(t.contains("verified: 1 tables, 0 differ"), "{v}: {t}");
        assert_eq!(
            db.scalar("SELECT lock FROM orders WHERE customername = 'Ann'"),
            "y",
            "{v}"
        );
    }
}

/// Under `--schema`, the search path names the target schema; the types,
/// functions and operator classes of the migration's extensions must still
/// resolve, wherever the extension lives: in `public` (created by
/// 01_schema.sql) or in a schema of its own, created before the run. Both
/// the psql files and `migrate`, on PostgreSQL 15 and 18, with a hostile
/// schema name.
#[test]
fn extension_types_resolve_under_a_target_schema() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("nocase.db");
    let c = rusqlite::Connection::open(&src).unwrap();
    c.execute_batch(
        "CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT COLLATE NOCASE UNIQUE, name TEXT);
         INSERT INTO people VALUES (1, 'Ann@x.org', 'Ann'), (2, 'bob@x.org', 'Bob');",
    )
    .unwrap();
    drop(c);
    let schema = "app \"x\"; -- */";
    for v in [PgVersion::V15, PgVersion::V18] {
        for (how, ext_schema) in [("psql", None), ("migrate", Some("ext s"))] {
            let db = cluster(v).new_db("extpath");
            if let Some(s) = ext_schema {
                db.psql(&format!(
                    "CREATE SCHEMA \"{s}\"; CREATE EXTENSION citext SCHEMA \"{s}\";"
                ))
                .unwrap();
            }
            let out = dir.path().join(format!("out-{how}-{v:?}"));
            let o = pgbridge(&[
                "compile",
                src.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
                "--schema",
                schema,
            ]);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&o.stderr)
            );
            let ddl = std::fs::read_to_string(out.join("01_schema.sql")).unwrap();
            assert!(ddl.contains("email citext"), "{ddl}");
            if how == "psql" {
                let files = [
                    "01_schema.sql",
                    "02_load.sql",
                    "03_constraints.sql",
                    "04_validate.sql",
                ];
                let o = db.psql_set(&out, &files, &src);
                let digests = String::from_utf8_lossy(&o.stdout);
                assert!(
                    o.status.success(),
                    "{v:?}: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
                assert!(digests.contains("digest people rows=2"), "{digests}");
            } else {
                let o = pgbridge(&[
                    "migrate",
                    src.to_str().unwrap(),
                    &db.url,
                    "--schema",
                    schema,
                ]);
                assert_eq!(
                    o.status.code(),
                    Some(0),
                    "{v:?} migrate: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
            }
            // NOCASE arrived: the same e-mail in another case is a duplicate
            let dup = db
                .psql(
                    "INSERT INTO \"app \"\"x\"\"; -- */\".people VALUES (3, 'ANN@X.ORG', 'again')",
                )
                .unwrap_err();
            assert!(dup.contains("duplicate key"), "{v:?} {how}: {dup}");
            let at = db.scalar(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'citext'",
            );
            assert_eq!(at, ext_schema.unwrap_or("public"), "{v:?} {how}");
            // and a diff that adds a NOCASE column there applies too
            let newer = dir.path().join("newer.sql");
            std::fs::write(
                &newer,
                "CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT COLLATE NOCASE UNIQUE, name TEXT, nick TEXT COLLATE NOCASE);",
            )
            .unwrap();
            let up = dir.path().join(format!("diff-{how}-{v:?}"));
            let major = v.major().to_string();
            let o = pgbridge(&[
                "diff",
                src.to_str().unwrap(),
                newer.to_str().unwrap(),
                "-o",
                up.to_str().unwrap(),
                "--schema",
                schema,
                "--pg-version",
                &major,
            ]);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&o.stderr)
            );
            db.psql_file(&up.join("up.sql"))
                .unwrap_or_else(|e| panic!("{v:?} {how} up.sql: {e}"));
            let nick = db.scalar(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attname = 'nick'",
            );
            assert!(nick.ends_with("citext"), "{v:?} {how}: {nick}");
        }
    }
}
