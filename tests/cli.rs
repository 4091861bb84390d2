//! The command line as a user meets it: exit codes, `--check` drift with a
//! diff, reporters, `explain`, `rules list`, `rules test` on a user pack,
//! malformed rules reported with file and line.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn pgbridge(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pgbridge"))
        .args(args)
        .output()
        .expect("run pgbridge")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn example_db() -> String {
    root().join("examples/blog.db").display().to_string()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn compile_writes_the_schema_half_of_the_migration_set() {
    let dir = tempfile::tempdir().unwrap();
    let out = pgbridge(&["compile", &example_db(), "-o", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for f in [
        "01_schema.sql",
        "02_load.sql",
        "03_constraints.sql",
        "04_validate.sql",
        "rollback.sql",
        "APP_IMPACT.md",
        "capture.sqlite.sql",
        "reverse_capture.sql",
        "pgbridge.schema.json",
        "pgbridge.sum",
    ] {
        assert!(dir.path().join(f).exists(), "{f} written");
    }
    let sum = std::fs::read_to_string(dir.path().join("pgbridge.sum")).unwrap();
    assert_eq!(
        sum.lines().count(),
        9,
        "one SHA-256 line per file (SQL, APP_IMPACT.md, the schema record):\n{sum}"
    );
}

#[test]
fn committed_example_output_is_current() {
    // examples/blog-migrations is what README shows; --check proves it matches the rules.
    let out = pgbridge(&[
        "compile",
        &example_db(),
        "-o",
        root().join("examples/blog-migrations").to_str().unwrap(),
        "--check",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "examples/blog-migrations drifted; recompile it:\n{}",
        text(&out)
    );
}

#[test]
fn check_fails_with_a_unified_diff_when_a_file_was_edited() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    assert_eq!(
        pgbridge(&["compile", &example_db(), "-o", d]).status.code(),
        Some(0)
    );
    assert_eq!(
        pgbridge(&["compile", &example_db(), "-o", d, "--check"])
            .status
            .code(),
        Some(0),
        "fresh output passes --check"
    );
    let f = dir.path().join("01_schema.sql");
    let edited = std::fs::read_to_string(&f)
        .unwrap()
        .replace("CREATE TABLE users", "CREATE TABLE people");
    std::fs::write(&f, edited).unwrap();
    let out = pgbridge(&["compile", &example_db(), "-o", d, "--check"]);
    assert_eq!(out.status.code(), Some(1), "drift exits 1");
    let t = text(&out);
    assert!(
        t.contains("-CREATE TABLE people") && t.contains("+CREATE TABLE users"),
        "unified diff shown:\n{t}"
    );
    assert!(t.contains("migration-drift"), "drift diagnostic:\n{t}");
}

#[test]
fn deny_warnings_turns_warnings_into_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    // the example has a view, kept as a comment with a warning
    let out = pgbridge(&[
        "compile",
        &example_db(),
        "-o",
        dir.path().to_str().unwrap(),
        "--deny-warnings",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn json_reporter_prints_machine_readable_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let out = pgbridge(&[
        "compile",
        &example_db(),
        "-o",
        dir.path().to_str().unwrap(),
        "--reporter",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let arr = v.as_array().expect("an array of diagnostics");
    let blob = arr
        .iter()
        .find(|d| d["code"] == "float32-blob-array")
        .expect("the float32 blob diagnostic");
    assert_eq!(blob["severity"], "warning");
    assert_eq!(blob["stage"], "rewrite");
    assert!(blob["help"].is_string());
}

#[test]
fn missing_input_is_exit_2_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let out = pgbridge(&[
        "compile",
        "no/such/file.db",
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("no/such/file.db"), "{}", text(&out));
}

#[test]
fn explain_prints_a_rules_documentation() {
    let out = pgbridge(&["explain", "json-text"]);
    assert_eq!(out.status.code(), Some(0));
    let t = text(&out);
    assert!(
        t.contains("## What it does") && t.contains("jsonb") && t.contains("when:"),
        "{t}"
    );
    assert_eq!(
        pgbridge(&["explain", "no-such-rule"]).status.code(),
        Some(2)
    );
}

#[test]
fn explain_a_column_shows_its_rule_trail_and_evidence() {
    let out = pgbridge(&["explain", &example_db(), "posts.published"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("posts.published: timestamptz (converter epoch-seconds)"),
        "{t}"
    );
    assert!(t.contains("MATCH datetime-epoch-seconds"), "{t}");
    assert!(
        t.contains("no    boolean-declared"),
        "earlier rules are listed as not matching:\n{t}"
    );
}

#[test]
fn rules_list_shows_every_phase() {
    let out = pgbridge(&["rules", "list"]);
    let t = text(&out);
    for id in [
        "sqlite-internal-table",
        "integer-primary-key",
        "boolean-integer-default",
        "any-column",
    ] {
        assert!(t.contains(id), "{id} listed:\n{t}");
    }
}

fn write(p: &Path, s: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, s).unwrap();
}

const MONEY_RULE: &str = r#"summary: Integer cents columns become numeric(12,2) money amounts.
docs: |
  ## What it does
  `*_cents` integers become numeric(12,2).
priority: 1
when: column.affinity == "INTEGER" and column.name ~ "_cents$"
then:
  type: "numeric(12,2)"
  converter: numeric
examples:
  - sqlite: "CREATE TABLE t (price_cents INTEGER);"
    postgres: "price_cents numeric(12,2)"
  - sqlite: "CREATE TABLE t (price INTEGER);"
    fires: false
"#;

#[test]
fn a_user_pack_takes_precedence_and_is_snapshot_tested() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("pack");
    write(&pack.join("column/cents-integer.yaml"), MONEY_RULE);
    write(
        &pack.join("tests/orders.sql"),
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, total_cents INTEGER NOT NULL);\nINSERT INTO orders VALUES (1, 1999);\n",
    );
    let p = pack.to_str().unwrap();
    // no expectation yet: fails, then --update writes it, then passes
    let first = pgbridge(&["rules", "test", p]);
    assert_eq!(first.status.code(), Some(1), "{}", text(&first));
    let upd = pgbridge(&["rules", "test", p, "--update"]);
    assert_eq!(upd.status.code(), Some(0), "{}", text(&upd));
    let expected = std::fs::read_to_string(pack.join("tests/orders.expected.sql")).unwrap();
    assert!(
        expected.contains("total_cents numeric(12,2) NOT NULL"),
        "{expected}"
    );
    let again = pgbridge(&["rules", "test", p]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(
        text(&again).contains("3 passed, 0 failed"),
        "{}",
        text(&again)
    );
    // a change in behaviour shows as a diff
    write(
        &pack.join("column/cents-integer.yaml"),
        &MONEY_RULE.replace("numeric(12,2)", "numeric(14,2)"),
    );
    let changed = pgbridge(&["rules", "test", p]);
    assert_eq!(changed.status.code(), Some(1));
    let t = text(&changed);
    assert!(
        t.contains("-total_cents numeric(12,2) NOT NULL")
            || t.contains("-    total_cents numeric(12,2) NOT NULL"),
        "diff shown:\n{t}"
    );
    // and compile uses the pack
    let out_dir = dir.path().join("out");
    let db = dir.path().join("shop.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("CREATE TABLE orders (id INTEGER PRIMARY KEY, total_cents INTEGER);")
        .unwrap();
    drop(conn);
    let c = pgbridge(&[
        "compile",
        db.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
        "--rules",
        p,
    ]);
    assert_eq!(c.status.code(), Some(0), "{}", text(&c));
    let schema = std::fs::read_to_string(out_dir.join("01_schema.sql")).unwrap();
    assert!(
        schema.contains("total_cents numeric(14,2)")
            && schema.contains("-- total_cents: cents-integer:"),
        "{schema}"
    );
}

#[test]
fn a_malformed_rule_is_an_error_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("pack");
    write(
        &pack.join("column/broken.yaml"),
        "summary: s\ndocs: d\nwhen: column.affinity === \"TEXT\"\nthen:\n  type: text\n  converter: text\n",
    );
    let out = pgbridge(&["rules", "list", "--rules", pack.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let t = text(&out);
    assert!(t.contains("broken.yaml:3:"), "file and line named:\n{t}");
    assert!(t.contains("malformed-rule"), "{t}");

    write(
        &pack.join("column/broken.yaml"),
        "summary: s\ndocs: d\nwhen: column.nonsense == 1\nthen:\n  type: text\n  converter: text\n",
    );
    let t = text(&pgbridge(&[
        "rules",
        "list",
        "--rules",
        pack.to_str().unwrap(),
    ]));
    assert!(t.contains("unknown fact `column.nonsense`"), "{t}");

    write(
        &pack.join("column/broken.yaml"),
        "summary: s\ndocs: d\nwhen: \"true\"\nthen:\n  type: text\n  converter: teleport\n",
    );
    let t = text(&pgbridge(&[
        "rules",
        "list",
        "--rules",
        pack.to_str().unwrap(),
    ]));
    assert!(t.contains("unknown converter `teleport`"), "{t}");
}

#[test]
fn debug_prints_each_ir_as_json() {
    let ir = pgbridge(&["debug", "ir", &example_db()]);
    let v: serde_json::Value = serde_json::from_slice(&ir.stdout).expect("JSON");
    assert!(
        v["tables"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "posts")
    );
    let rw = pgbridge(&["debug", "rewrite", &example_db()]);
    let v: serde_json::Value = serde_json::from_slice(&rw.stdout).expect("JSON");
    let posts = v["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "posts")
        .unwrap();
    let published = posts["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "published")
        .unwrap();
    assert_eq!(published["pg_type"], "timestamptz");
    assert_eq!(published["converter"], "epoch-seconds");
}

#[test]
fn templates_dir_overrides_an_embedded_template_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let tpl = dir.path().join("templates");
    write(
        &tpl.join("rollback.sql.j2"),
        "-- custom rollback for {{ origin }}\n{% for t in schema.tables %}TRUNCATE {{ t.name | ident }};\n{% endfor %}",
    );
    let out = dir.path().join("out");
    let o = pgbridge(&[
        "compile",
        &example_db(),
        "-o",
        out.to_str().unwrap(),
        "--templates",
        tpl.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let rollback = std::fs::read_to_string(out.join("rollback.sql")).unwrap();
    assert!(
        rollback.starts_with("-- custom rollback for blog.db\nTRUNCATE users;"),
        "{rollback}"
    );
    let schema = std::fs::read_to_string(out.join("01_schema.sql")).unwrap();
    assert!(
        schema.contains("CREATE TABLE users ("),
        "other templates stay embedded"
    );
}

#[test]
fn a_template_naming_an_undefined_value_is_an_error_not_an_empty_string() {
    let dir = tempfile::tempdir().unwrap();
    let tpl = dir.path().join("templates");
    write(
        &tpl.join("rollback.sql.j2"),
        "DROP TABLE {{ schema.no_such_thing }};\n",
    );
    let o = pgbridge(&[
        "compile",
        &example_db(),
        "-o",
        dir.path().join("out").to_str().unwrap(),
        "--templates",
        tpl.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("template rollback.sql.j2 failed"),
        "{}",
        text(&o)
    );
}

/// A reader that stops early (`pgbridge rules list | head -1`) is no error:
/// the command finishes quietly with its own exit code, no panic.
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    // 390 kB of JSON: more than a pipe holds, so writes meet the closed end.
    let gitea = root().join("../shared/corpus/gitea/gitea.db");
    let gitea = gitea.to_str().unwrap();
    for args in [
        &["inspect", gitea, "--format", "json"][..],
        &["rules", "list"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pgbridge"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run pgbridge");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty(), "{args:?}");
        // The reader is gone: every later write meets a closed pipe.
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// A reader gone before the first write (the completion script is written
/// at once): no panic, exit 0.
#[test]
fn completions_into_a_closed_pipe_end_quietly() {
    use std::process::Stdio;
    for shell in ["bash", "zsh", "fish"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pgbridge"))
            .args(["completions", shell])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run pgbridge");
        drop(child.stdout.take()); // the read end closes before any write
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{shell}: {err}");
        assert!(!err.contains("panicked"), "{shell}: {err}");
    }
}

/// Output that cannot be written for another reason (a full disk) is an
/// error: said once, exit code 2, never a silent success.
#[test]
fn output_to_a_full_device_exits_2() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full (Linux) to write to");
    for args in [&["rules", "list"][..], &["completions", "bash"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_pgbridge"))
            .args(args)
            .stdout(full.try_clone().unwrap())
            .output()
            .expect("run pgbridge");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(
            err.matches("cannot write to standard output").count(),
            1,
            "{args:?}: {err}"
        );
    }
}

/// The migration SQL cites an application-function declaration by its
/// file within the pack (`functions/<name>.yaml`), so the output is the
/// same wherever the pack sits and however `--rules` names it.
#[test]
fn app_function_declarations_are_cited_within_their_pack() {
    let db = root().join("../shared/corpus/calibre_library/metadata.db");
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("elsewhere/calibre-rules");
    std::fs::create_dir_all(copy.join("functions")).unwrap();
    let pack = root().join("examples/calibre-rules");
    for f in std::fs::read_dir(pack.join("functions")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, copy.join("functions").join(f.file_name().unwrap())).unwrap();
    }
    let mut outs = Vec::new();
    for (i, p) in [pack, copy].iter().enumerate() {
        let out = dir.path().join(format!("out{i}"));
        let o = pgbridge(&[
            "compile",
            db.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--rules",
            p.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        outs.push(std::fs::read_to_string(out.join("03_constraints.sql")).unwrap());
    }
    assert!(
        outs[0].contains("declared in functions/title_sort.yaml"),
        "{}",
        outs[0]
    );
    assert_eq!(outs[0], outs[1], "the pack's place shows in the SQL");
}
