//! Inputs that are not what they seem, and secrets that must not leak: every
//! case ends in a clear diagnostic with a way forward, never a silent empty
//! success, and no password in any output. Against PostgreSQL 15 and 18
//! where a server is involved.
mod common;

use common::{PgVersion, cluster, compile, pgbridge, text};
use std::path::Path;

fn sqlite(path: &Path, sql: &str) {
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch(sql)
        .unwrap();
}

/// compile, inspect and migrate on `input`: (exit code, output) of each.
fn all_commands(input: &Path, url: &str, out: &Path) -> Vec<(&'static str, Option<i32>, String)> {
    let i = input.to_str().unwrap();
    let runs = [
        (
            "compile",
            pgbridge(&["compile", i, "-o", out.to_str().unwrap()]),
        ),
        ("inspect", pgbridge(&["inspect", i])),
        ("migrate", pgbridge(&["migrate", i, url])),
    ];
    runs.into_iter()
        .map(|(n, o)| (n, o.status.code(), text(&o)))
        .collect()
}

#[test]
fn empty_files_text_files_and_wal_copies_are_errors_not_empty_sets() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let empty = d.join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let textfile = d.join("notes.txt");
    std::fs::write(&textfile, "hello, this is not SQL\n").unwrap();
    // A WAL database copied without its -wal: the table lives only in the log.
    let live = d.join("live.db");
    let keep = rusqlite::Connection::open(&live).unwrap();
    keep.execute_batch(
        "PRAGMA journal_mode = wal; PRAGMA wal_autocheckpoint = 0; \
         CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1);",
    )
    .unwrap();
    let copy = d.join("copy.db");
    std::fs::copy(&live, &copy).unwrap();
    assert!(d.join("live.db-wal").exists() && !d.join("copy.db-wal").exists());
    let v = PgVersion::V18;
    let db = cluster(v).new_db("bad_inputs");
    for (input, code) in [
        (&empty, "input-empty"),
        (&textfile, "no-schema-in-text"),
        (&copy, "wal-file-missing"),
    ] {
        for (cmd, rc, out) in all_commands(input, &db.url, &d.join("out")) {
            // A text file is DDL to compile; to inspect and migrate it is no database.
            let want = if code == "no-schema-in-text" && cmd != "compile" {
                "not-a-sqlite-database"
            } else {
                code
            };
            assert_eq!(rc, Some(2), "{cmd} {}: {out}", input.display());
            assert!(
                out.contains(want),
                "{cmd} {}: names {want}:\n{out}",
                input.display()
            );
            assert!(out.contains("help"), "{cmd}: a way forward:\n{out}");
        }
        assert!(
            !d.join("out").exists(),
            "nothing written for {}",
            input.display()
        );
    }
    assert_eq!(db.object_count(), 0, "nothing created in PostgreSQL");
    drop(keep);
}

#[test]
fn a_database_without_tables_is_a_warning_that_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("blank.db");
    sqlite(&src, "PRAGMA user_version = 7;");
    let out = dir.path().join("out");
    let c = compile(&src, &out);
    assert_eq!(c.status.code(), Some(0), "{}", text(&c));
    assert!(text(&c).contains("warning[database-empty]"), "{}", text(&c));
    let strict = pgbridge(&[
        "compile",
        src.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--deny-warnings",
    ]);
    assert_eq!(strict.status.code(), Some(1), "{}", text(&strict));
}

#[test]
fn an_unreadable_ddl_statement_is_an_error_and_stays_in_the_set_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("schema.sql");
    std::fs::write(
        &script,
        "CREATE TABLE a (x int);\nCREATE TABLE b (y int,, );\nCREATE TABLE c (z text);\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let c = compile(&script, &out);
    let t = text(&c);
    assert_eq!(c.status.code(), Some(1), "{t}");
    assert!(
        t.contains("error[ddl-parse-error]") && t.contains("schema.sql:2:"),
        "{t}"
    );
    let constraints = std::fs::read_to_string(out.join("03_constraints.sql")).unwrap();
    assert!(
        constraints.contains("-- statement at line 2 [ddl-parse-error]")
            && constraints.contains("-- CREATE TABLE b (y int,, )"),
        "{constraints}"
    );
    // The statements around it are still compiled, and the set applies.
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("unreadable_ddl");
        for f in ["01_schema.sql", "03_constraints.sql"] {
            db.psql_file(&out.join(f)).unwrap();
        }
        let tables = db.objects();
        assert_eq!(
            tables,
            vec!["table public.a".to_string(), "table public.c".to_string()],
            "{v}"
        );
    }
}

#[test]
fn a_connection_url_given_as_the_version_is_refused_without_echoing_it() {
    let dir = tempfile::tempdir().unwrap();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/blog.db");
    let url = "postgres://alice:s3cr3t-pw@db.example:5432/app";
    for args in [
        vec!["migrate", example, "--target", url],
        vec!["verify", example, "--target", url],
        vec![
            "compile",
            example,
            "-o",
            dir.path().to_str().unwrap(),
            "--target",
            url,
        ],
        vec!["inspect", example, "--pg-version", url],
    ] {
        let o = pgbridge(&args);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {t}");
        assert!(!t.contains("s3cr3t"), "{args:?} printed the password:\n{t}");
        assert!(
            t.contains("unsupported-target") && t.contains("TARGET"),
            "{t}"
        );
    }
    // The version itself, by its new name and its old one.
    for flag in ["--pg-version", "--target"] {
        let out = dir.path().join(flag.trim_start_matches('-'));
        let o = pgbridge(&["compile", example, "-o", out.to_str().unwrap(), flag, "15"]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let schema = std::fs::read_to_string(out.join("01_schema.sql")).unwrap();
        assert!(schema.contains("for PostgreSQL 15"), "{flag}");
    }
    let help = text(&pgbridge(&["compile", "--help"]));
    assert!(
        help.contains("--pg-version") && !help.contains("--target <"),
        "{help}"
    );
}

#[test]
fn migrate_takes_the_server_from_target_url_or_refuses_two() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/blog.db");
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("target_url");
        let o = pgbridge(&["migrate", example, "--target-url", &db.url]);
        assert_eq!(o.status.code(), Some(0), "{v}: {}", text(&o));
        assert!(
            db.objects().iter().any(|o| o == "table public.posts"),
            "{v}: loaded there"
        );
        let v2 = pgbridge(&["verify", example, "--target-url", &db.url]);
        assert_eq!(v2.status.code(), Some(0), "{v}: {}", text(&v2));

        let other = "postgres://mallory:hunter2-pw@127.0.0.1:1/elsewhere";
        let o = pgbridge(&["migrate", example, &db.url, "--target-url", other]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{t}");
        assert!(t.contains("two-targets") && !t.contains("hunter2"), "{t}");
    }
}

#[test]
fn a_password_file_readable_by_others_is_named_with_its_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("pgpass");
    std::fs::write(&pass, "*:*:*:*:not-used-pw\n").unwrap();
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o644)).unwrap();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/blog.db");
    let db = cluster(PgVersion::V15).new_db("pgpass_mode");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_pgbridge"))
        .args(["migrate", example, &db.url])
        .env("PGPASSFILE", &pass)
        .env_remove("PGPASSWORD")
        .output()
        .unwrap();
    let t = text(&o);
    // Trust authentication: the run succeeds, and the skipped file is named.
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(
        t.contains("warning[passfile-ignored]") && t.contains(&pass.display().to_string()),
        "{t}"
    );
    assert!(t.contains("chmod 0600"), "{t}");
    assert!(!t.contains("not-used-pw"), "{t}");
}
