//! Text from the source or from a rule pack never becomes SQL.
//!
//! A property test generates names over all of Unicode — control characters,
//! quotes, `;`, `--`, `/*`, `*/`, `$$`, backslashes, line breaks, names past
//! 63 bytes — for tables, columns, indexes, constraints, views and triggers,
//! and string defaults and values. Each case is a SQLite file; its compiled set
//! is applied with psql (01, 02 and 03) and moved by `pgbridge migrate`, on
//! PostgreSQL 15 and 18. The catalog must then hold exactly the expected
//! objects under exactly the expected names, a sentinel table must survive, and
//! the defaults and loaded values must read back byte for byte.
//!
//! Then the rule-pack cases: a `then.type` or `then.default` that is not one
//! type name / one expression is an error naming the rule file and line, in
//! `rules test`, `compile` and `migrate` alike, and nothing reaches PostgreSQL.
mod common;

use common::{PgVersion, TestDb, cluster, compile, pgbridge, text};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::path::Path;

/// Pieces that have broken SQL writers before, mixed with arbitrary characters.
const HOSTILE: &[&str] = &[
    "\n",
    "\r",
    "\r\n",
    "\nDROP TABLE victim; CREATE TABLE pwned AS SELECT 1;\n--",
    ";",
    "--",
    "/*",
    "*/",
    "$$",
    "$f$",
    "'",
    "''",
    "\"",
    "\\",
    "\\n",
    "E'",
    "U&\"",
    "\u{1b}[2J",
    "\u{7}",
    "\u{0b}\u{0c}",
    "\u{85}",
    "\u{9b}31m",
    "\u{2028}",
    "\u{2029}",
    "\u{202e}",
    "\u{feff}",
    "\t",
    " ",
    "é",
    "書名",
    "😀",
    "\\copy",
    ":'x'",
];

/// One name: hostile pieces and arbitrary characters (no NUL: SQLite names are
/// C strings), sometimes well past PostgreSQL's 63 bytes.
fn name() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => proptest::sample::select(HOSTILE).prop_map(str::to_string),
        2 => any::<char>().prop_filter("no NUL", |c| *c != '\0').prop_map(String::from),
        2 => "[a-zA-Z_][a-zA-Z0-9_]{0,6}",
    ];
    prop_oneof![
        4 => proptest::collection::vec(piece.clone(), 1..6).prop_map(|v| v.concat()),
        1 => (proptest::collection::vec(piece, 1..4), 40usize..70)
            .prop_map(|(v, n)| format!("{}{}", v.concat(), "x".repeat(n))),
    ]
}

/// The names of one case; distinct per object kind as SQLite compares names
/// (ASCII case folded), by a suffix when they collide.
#[derive(Debug, Clone)]
struct Names {
    tables: [String; 2],
    cols: [String; 3],
    index: String,
    check: String,
    view: String,
    trigger: String,
    value: String,
}

fn names() -> impl Strategy<Value = Names> {
    proptest::collection::vec(name(), 10).prop_map(|v| {
        let mut seen = BTreeSet::new();
        let mut out: Vec<String> = Vec::new();
        for (i, n) in v.into_iter().enumerate() {
            let mut n = if n.trim().is_empty() || n.to_ascii_lowercase().starts_with("sqlite_") {
                format!("n{i}{n}")
            } else {
                n
            };
            while !seen.insert(n.to_ascii_lowercase()) {
                n.push_str(&i.to_string());
            }
            out.push(n);
        }
        Names {
            tables: [out[0].clone(), out[1].clone()],
            cols: [out[2].clone(), out[3].clone(), out[4].clone()],
            index: out[5].clone(),
            check: out[6].clone(),
            view: out[7].clone(),
            trigger: out[8].clone(),
            value: out[9].clone(),
        }
    })
}

/// A SQLite identifier, double-quoted.
fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A SQLite string literal.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// PostgreSQL's name for a source name (kept as written; > 63 bytes shortened).
fn pg_name(s: &str) -> String {
    pgbridge::ident::shorten(s).unwrap_or_else(|| s.to_string())
}

/// The SQLite file of one case: a parent and a child table with a key, a
/// string default, a named CHECK, a foreign key, an index, a view and a
/// trigger, every name and string from `n`, and one row each (the child's
/// insert fires the trigger: the parent's value ends in `x`).
fn write_source(path: &Path, n: &Names) {
    let [t1, t2] = &n.tables;
    let [c1, c2, c3] = &n.cols;
    let sql = format!(
        "CREATE TABLE {t1} ({c1} INTEGER PRIMARY KEY, {c2} TEXT NOT NULL DEFAULT {v}, \
             {c3} TEXT CONSTRAINT {k} CHECK ({c3} <> {v}));\n\
         CREATE TABLE {t2} ({c1} INTEGER PRIMARY KEY, {c2} INTEGER REFERENCES {t1} ({c1}));\n\
         CREATE INDEX {i} ON {t1} ({c3});\n\
         CREATE VIEW {view} AS SELECT {c2} AS {c3} FROM {t1} WHERE {c2} <> {v};\n\
         CREATE TRIGGER {tr} AFTER INSERT ON {t2} BEGIN UPDATE {t1} SET {c3} = {v} || 'x' WHERE {c1} = NEW.{c2}; END;\n\
         INSERT INTO {t1} ({c1}, {c3}) VALUES (1, {v} || 'y');\n\
         INSERT INTO {t2} VALUES (7, 1);\n",
        t1 = q(t1),
        t2 = q(t2),
        c1 = q(c1),
        c2 = q(c2),
        c3 = q(c3),
        v = lit(&n.value),
        k = q(&n.check),
        i = q(&n.index),
        view = q(&n.view),
        tr = q(&n.trigger),
    );
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(&sql)
        .unwrap_or_else(|e| panic!("the case's SQLite SQL fails: {e}\n{sql}"));
}

/// What a correct move leaves in PostgreSQL: exactly these objects.
fn expected_objects(n: &Names) -> BTreeSet<String> {
    let [t1, t2] = &n.tables;
    let mut want = BTreeSet::new();
    want.insert("table victim".to_string());
    for t in [t1, t2] {
        want.insert(format!("table {}", pg_name(t)));
    }
    want.insert(format!("index {}", pg_name(&n.index)));
    want.insert(format!("check {}", pg_name(&n.check)));
    want.insert(format!("view {}", pg_name(&n.view)));
    let trigger = pg_name(&n.trigger);
    want.insert(format!("function {}", pg_name(&format!("{trigger}_fn"))));
    want.insert(format!("trigger {trigger}"));
    want
}

/// Tables, views, indexes, sequences, named CHECKs, triggers, functions and
/// schemas the database holds (besides the catalogs).
fn catalog(db: &TestDb) -> (BTreeSet<String>, usize, usize) {
    let mut c = db.connect();
    let mut got = BTreeSet::new();
    for r in c
        .query(
            "SELECT CASE relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' \
                WHEN 'm' THEN 'matview' WHEN 'S' THEN 'sequence' ELSE 'index' END, relname \
             FROM pg_class WHERE relnamespace = 'public'::regnamespace \
               AND relkind IN ('r', 'v', 'm', 'i', 'S')",
            &[],
        )
        .unwrap()
    {
        let (kind, name): (String, String) = (r.get(0), r.get(1));
        // Key indexes and identity sequences are counted below.
        if kind == "index" || kind == "sequence" {
            continue;
        }
        got.insert(format!("{kind} {name}"));
    }
    for r in c
        .query(
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
             WHERE i.relnamespace = 'public'::regnamespace AND NOT x.indisprimary \
               AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = x.indexrelid)",
            &[],
        )
        .unwrap()
    {
        got.insert(format!("index {}", r.get::<_, String>(0)));
    }
    for r in c
        .query(
            "SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace \
               AND contype = 'c'",
            &[],
        )
        .unwrap()
    {
        got.insert(format!("check {}", r.get::<_, String>(0)));
    }
    for r in c
        .query(
            "SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal \
             UNION ALL SELECT 'function ' || proname FROM pg_proc \
               WHERE pronamespace = 'public'::regnamespace \
             UNION ALL SELECT 'schema ' || nspname FROM pg_namespace \
               WHERE nspname NOT IN ('public', 'information_schema', 'pgbridge') \
                 AND nspname NOT LIKE 'pg\\_%'",
            &[],
        )
        .unwrap()
    {
        got.insert(r.get::<_, String>(0));
    }
    let keys = c
        .query_one(
            "SELECT count(*) FILTER (WHERE contype = 'p'), count(*) FILTER (WHERE contype = 'f') \
             FROM pg_constraint WHERE connamespace = 'public'::regnamespace",
            &[],
        )
        .unwrap();
    (
        got,
        keys.get::<_, i64>(0) as usize,
        keys.get::<_, i64>(1) as usize,
    )
}

/// The catalog, the sentinel, the column names, the default and the loaded
/// values of one applied case.
fn assert_moved(db: &TestDb, n: &Names, how: &str) {
    let (got, pks, fks) = catalog(db);
    assert_eq!(got, expected_objects(n), "{how} on {}: objects", db.version);
    assert_eq!((pks, fks), (2, 1), "{how}: primary and foreign keys");
    let mut c = db.connect();
    let [t1, _] = &n.tables;
    let t1 = pg_name(t1);
    let cols: Vec<String> = c
        .query(
            "SELECT attname FROM pg_attribute WHERE attrelid = \
               (SELECT oid FROM pg_class WHERE relname = $1 AND relnamespace = 'public'::regnamespace) \
             AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            &[&t1],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let want: Vec<String> = n.cols.iter().map(|c| pg_name(c)).collect();
    assert_eq!(cols, want, "{how}: column names");
    // The loaded row and the default, byte for byte.
    let tq = format!("\"{}\"", t1.replace('"', "\"\""));
    let cq: Vec<String> = want
        .iter()
        .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
        .collect();
    let row = c
        .query_one(
            &format!("SELECT {}, {} FROM {tq} WHERE {} = 1", cq[1], cq[2], cq[0]),
            &[],
        )
        .unwrap();
    assert_eq!(
        row.get::<_, String>(0),
        n.value,
        "{how}: default of the loaded row"
    );
    assert_eq!(
        row.get::<_, String>(1),
        format!("{}x", n.value),
        "{how}: loaded value"
    );
    // The view: SQLite's result-column name, and its rows (none: every
    // row's column holds the default the view excludes).
    let view = pg_name(&n.view);
    let vcols: Vec<String> = c
        .query(
            "SELECT attname FROM pg_attribute WHERE attrelid = \
               (SELECT oid FROM pg_class WHERE relname = $1 AND relnamespace = 'public'::regnamespace) \
             AND attnum > 0 ORDER BY attnum",
            &[&view],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(vcols, vec![pg_name(&n.cols[2])], "{how}: view column names");
    let vq = format!("\"{}\"", view.replace('"', "\"\""));
    let rows: i64 = c
        .query_one(&format!("SELECT count(*) FROM {vq}"), &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 0, "{how}: view rows");
    let fresh = c
        .query_one(
            &format!(
                "INSERT INTO {tq} ({}) VALUES (2) RETURNING {}",
                cq[0], cq[1]
            ),
            &[],
        )
        .unwrap();
    assert_eq!(
        fresh.get::<_, String>(0),
        n.value,
        "{how}: the default itself"
    );
    // The trigger, on PostgreSQL: a child row marks its parent.
    let t2 = pg_name(&n.tables[1]);
    let t2q = format!("\"{}\"", t2.replace('"', "\"\""));
    c.execute(&format!("INSERT INTO {t2q} VALUES (8, 2)"), &[])
        .unwrap();
    let marked: String = c
        .query_one(
            &format!("SELECT {} FROM {tq} WHERE {} = 2", cq[2], cq[0]),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(marked, format!("{}x", n.value), "{how}: the trigger");
}

/// The set's capture SQL installs on a copy of the source, and its reverse
/// capture on the target: one trigger set per table each file names.
fn live_files_apply(db: &TestDb, set: &Path, src: &Path) {
    let reverse = std::fs::read_to_string(set.join("reverse_capture.sql")).unwrap();
    db.psql_file(&set.join("reverse_capture.sql"))
        .unwrap_or_else(|e| panic!("reverse_capture.sql: {e}"));
    let want = reverse
        .matches("EXECUTE FUNCTION pgbridge.reverse_capture(")
        .count();
    assert_eq!(
        db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname = '_pgbridge_reverse'"),
        want.to_string()
    );
    let copy = src.with_extension("capture.db");
    std::fs::copy(src, &copy).unwrap();
    let capture = std::fs::read_to_string(set.join("capture.sqlite.sql")).unwrap();
    let c = rusqlite::Connection::open(&copy).unwrap();
    c.execute_batch(&capture)
        .unwrap_or_else(|e| panic!("capture.sqlite.sql: {e}"));
    let tables: i64 = c
        .query_row("SELECT count(*) FROM _pgbridge_capture", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        tables as usize, want,
        "capture and reverse capture name other tables"
    );
}

fn sentinel(db: &TestDb) {
    db.psql("CREATE TABLE victim (id int)").unwrap();
}

/// One case: compile, then psql and migrate on 15 and 18.
fn run_case(n: &Names) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("hostile.db");
    write_source(&src, n);
    let out_dir = dir.path().join("set");
    let c = compile(&src, &out_dir);
    assert_eq!(c.status.code(), Some(0), "compile: {}", text(&c));
    for f in [
        "01_schema.sql",
        "02_load.sql",
        "03_constraints.sql",
        "04_validate.sql",
        "rollback.sql",
        // Not capture.sqlite.sql: SQLite has no escape for identifiers, so
        // names stand raw inside "…" there, as in SQLite's own schema; running
        // it on a copy of the source (below) is its proof.
        "reverse_capture.sql",
    ] {
        let sql = std::fs::read_to_string(out_dir.join(f)).unwrap();
        let bad: Vec<char> = sql
            .chars()
            .filter(|&ch| ch != '\n' && ch != '\t' && pgbridge::ident::is_unsafe_char(ch))
            .collect();
        assert!(bad.is_empty(), "{f} holds raw control characters {bad:?}");
    }
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("hostile_psql");
        sentinel(&db);
        let o = db.psql_set(
            &out_dir,
            &["01_schema.sql", "02_load.sql", "03_constraints.sql"],
            &src,
        );
        assert!(o.status.success(), "psql on {v}: {}", text(&o));
        assert_moved(&db, n, "psql -f");
        live_files_apply(&db, &out_dir, &src);

        let db = cluster(v).new_db("hostile_migrate");
        sentinel(&db);
        let o = pgbridge(&[
            "migrate",
            src.to_str().unwrap(),
            &db.url,
            "--rejects",
            dir.path().join("rejects.jsonl").to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "migrate on {v}: {}", text(&o));
        let out = text(&o);
        assert!(
            !out.contains('\u{1b}') && !out.contains('\r'),
            "migrate printed a raw control character: {out:?}"
        );
        assert_moved(&db, n, "pgbridge migrate");
    }
}

fn cases() -> u32 {
    std::env::var("PGBRIDGE_PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24)
}

/// A fixed seed by default, so a CI run is repeatable; `PGBRIDGE_PROPTEST_SEED`
/// sets another (`random` for a new one each run, when hunting).
fn seed() -> proptest::test_runner::RngSeed {
    match std::env::var("PGBRIDGE_PROPTEST_SEED").as_deref() {
        Ok("random") => proptest::test_runner::RngSeed::Random,
        Ok(s) => s
            .parse()
            .unwrap_or(proptest::test_runner::RngSeed::Fixed(20_261_203)),
        Err(_) => proptest::test_runner::RngSeed::Fixed(20_261_203),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        rng_seed: seed(),
        max_shrink_iters: 64,
        ..ProptestConfig::default()
    })]

    #[test]
    fn hostile_names_and_strings_never_become_sql(n in names()) {
        run_case(&n);
    }
}

/// The case the issue names, always run: a table whose name ends a comment.
#[test]
fn a_table_named_to_end_a_comment_drops_nothing() {
    let n = Names {
        tables: [
            "notes\nDROP TABLE victim; CREATE TABLE pwned AS SELECT 1;\n--".into(),
            "child\r\n-- */ /*".into(),
        ],
        cols: [
            "id\nDROP TABLE victim;".into(),
            "c\u{2028}DROP TABLE victim;".into(),
            "\u{1b}[2Jcol".into(),
        ],
        index: "ix\nDROP TABLE victim;--".into(),
        check: "k\r;DROP TABLE victim;".into(),
        view: "v\n;DROP TABLE victim;--".into(),
        trigger: "tr\n;DROP TABLE victim;--".into(),
        value: "it's\n'); DROP TABLE victim; --\\".into(),
    };
    run_case(&n);
}

/// A user pack in `dir` with one column rule whose `then.type` is `ty`.
fn pack_with_type(dir: &Path, ty: &str) -> String {
    let pack = dir.join("pack");
    std::fs::create_dir_all(pack.join("column")).unwrap();
    let yaml = format!(
        "summary: every text column\n\
         docs: hostile\n\
         priority: 1\n\
         when: column.affinity == \"TEXT\"\n\
         then:\n  type: {}\n  converter: text\n\
         examples:\n  - sqlite: \"CREATE TABLE t (title TEXT);\"\n",
        serde_json::to_string(ty).unwrap()
    );
    std::fs::write(pack.join("column/evil-type.yaml"), yaml).unwrap();
    pack.display().to_string()
}

#[test]
fn a_rule_type_that_is_not_one_type_name_is_an_error_with_file_and_line_everywhere() {
    for ty in [
        "text, pwn text); DROP TABLE IF EXISTS victim; CREATE TABLE zz (title text",
        "text GENERATED ALWAYS AS (pg_read_file('/etc/passwd')) STORED",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let pack = pack_with_type(dir.path(), ty);
        let src = dir.path().join("t.db");
        rusqlite::Connection::open(&src)
            .unwrap()
            .execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO t VALUES (1, 'a');")
            .unwrap();
        let t = text(&pgbridge(&["rules", "test", &pack]));
        assert!(
            t.contains("evil-type.yaml:6:") && t.contains("not one PostgreSQL type name"),
            "rules test names file and line:\n{t}"
        );
        let out = dir.path().join("out");
        let c = pgbridge(&[
            "compile",
            src.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--rules",
            &pack,
        ]);
        assert_eq!(
            c.status.code(),
            Some(2),
            "compile refuses the pack: {}",
            text(&c)
        );
        assert!(text(&c).contains("evil-type.yaml:6:"), "{}", text(&c));
        assert!(!out.exists(), "nothing written");
        for v in PgVersion::ALL {
            let db = cluster(v).new_db("evil_type");
            sentinel(&db);
            let m = pgbridge(&["migrate", src.to_str().unwrap(), &db.url, "--rules", &pack]);
            assert_eq!(
                m.status.code(),
                Some(2),
                "migrate refuses the pack: {}",
                text(&m)
            );
            assert!(text(&m).contains("evil-type.yaml:6:"), "{}", text(&m));
            assert_eq!(
                db.objects(),
                vec!["table public.victim".to_string()],
                "nothing created on {v}"
            );
        }
    }
}

#[test]
fn a_rendered_rule_type_or_default_is_checked_per_column() {
    // The type is a template: it can only be checked once rendered, from the
    // column's own declared type (source data).
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("pack");
    std::fs::create_dir_all(pack.join("column")).unwrap();
    std::fs::create_dir_all(pack.join("default")).unwrap();
    std::fs::write(
        pack.join("column/declared-as-is.yaml"),
        "summary: the declared type, pasted\ndocs: hostile\npriority: 1\n\
         when: column.affinity == \"NUMERIC\"\n\
         then:\n  type: \"{{ column.declared }}\"\n  converter: any-text\n\
         examples:\n  - sqlite: \"CREATE TABLE t (x NUMERIC);\"\n",
    )
    .unwrap();
    std::fs::write(
        pack.join("default/name-as-default.yaml"),
        "summary: the column name as default\ndocs: hostile\npriority: 1\n\
         when: \"true\"\n\
         then:\n  default: \"{{ column.name }}\"\n\
         examples:\n  - sqlite: \"CREATE TABLE t (x TEXT DEFAULT 'a');\"\n",
    )
    .unwrap();
    let src = dir.path().join("t.db");
    rusqlite::Connection::open(&src)
        .unwrap()
        .execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, \
               \"a) NOT NULL, b text); DROP TABLE victim; --\" TEXT DEFAULT 'x', \
               n \"NUMERIC GENERATED ALWAYS AS (1) STORED\");",
        )
        .unwrap();
    let out = dir.path().join("out");
    let pack = pack.display().to_string();
    let c = pgbridge(&[
        "compile",
        src.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--rules",
        &pack,
    ]);
    let t = text(&c);
    assert_eq!(c.status.code(), Some(1), "{t}");
    assert!(
        t.contains("rule-type-invalid") && t.contains("declared-as-is.yaml:6"),
        "{t}"
    );
    assert!(
        t.contains("rule-default-invalid") && t.contains("name-as-default.yaml:6"),
        "{t}"
    );
    let schema = std::fs::read_to_string(out.join("01_schema.sql")).unwrap();
    assert!(!schema.contains("STORED"), "{schema}");
    assert!(!schema.contains("DEFAULT a)"), "{schema}");
}

/// What a review found past the first version of the checks: a rule default
/// that sqlparser reads as one expression but PostgreSQL as the start of a
/// comment, and a DDL script's ON DELETE text carrying nested comments.
#[test]
fn operators_that_open_comments_and_commented_fk_actions_stay_data() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("pack");
    std::fs::create_dir_all(pack.join("default")).unwrap();
    std::fs::write(
        pack.join("default/hash-comment.yaml"),
        "summary: s\ndocs: d\npriority: 1\nwhen: column.name == \"a\"\n\
         then:\n  default: \"1 #/* 2\"\n\
         examples:\n  - sqlite: \"CREATE TABLE t (a INTEGER DEFAULT 5);\"\n",
    )
    .unwrap();
    let t = text(&pgbridge(&["rules", "test", pack.to_str().unwrap()]));
    assert!(
        t.contains("hash-comment.yaml:6:") && t.contains("`/*` is not allowed"),
        "{t}"
    );

    let script = dir.path().join("schema.sql");
    std::fs::write(
        &script,
        "CREATE TABLE p (id INTEGER PRIMARY KEY);\n\
         CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p(id) ON DELETE SET /* /* */ NULL);\n\
         CREATE VIEW v AS SELECT '*/ NULL; DROP TABLE victim; --' AS x;\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let c = compile(&script, &out);
    assert_eq!(c.status.code(), Some(0), "{}", text(&c));
    let cons = std::fs::read_to_string(out.join("03_constraints.sql")).unwrap();
    assert!(cons.contains("ON DELETE SET NULL NOT VALID;"), "{cons}");
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("fk_action_comment");
        sentinel(&db);
        for f in ["01_schema.sql", "03_constraints.sql"] {
            db.psql_file(&out.join(f)).unwrap();
        }
        assert_eq!(
            db.scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'victim'"),
            "1"
        );
        assert_eq!(
            db.scalar("SELECT confdeltype FROM pg_constraint WHERE contype = 'f'"),
            "n"
        );
    }
}

/// A backslash is a plain character in every literal pgbridge writes; a
/// database set to `standard_conforming_strings = off` must not turn
/// `'\'` into an open string that swallows the next statement.
#[test]
fn literals_mean_the_same_when_the_database_reads_backslashes_as_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("bs.db");
    rusqlite::Connection::open(&src)
        .unwrap()
        .execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT DEFAULT '\\', \
               b TEXT DEFAULT ' ); DROP TABLE victim; CREATE TABLE zz (q text --'); \
             INSERT INTO t (id) VALUES (1);",
        )
        .unwrap();
    let out = dir.path().join("out");
    let c = compile(&src, &out);
    assert_eq!(c.status.code(), Some(0), "{}", text(&c));
    for v in PgVersion::ALL {
        for how in ["psql", "migrate"] {
            let db = cluster(v).new_db("scs_off");
            sentinel(&db);
            db.psql(&format!(
                "ALTER DATABASE {} SET standard_conforming_strings = off",
                common::sql_ident(&db.name)
            ))
            .unwrap();
            if how == "psql" {
                for f in ["01_schema.sql", "03_constraints.sql"] {
                    db.psql_file(&out.join(f)).unwrap();
                }
            } else {
                let o = pgbridge(&["migrate", src.to_str().unwrap(), &db.url]);
                assert_eq!(o.status.code(), Some(0), "{how} on {v}: {}", text(&o));
            }
            let objects = db.objects();
            assert!(
                objects.contains(&"table public.victim".to_string()),
                "{how} on {v}: {objects:?}"
            );
            assert!(
                !objects.iter().any(|o| o.ends_with(".zz")),
                "{how} on {v}: {objects:?}"
            );
            let mut c = db.connect();
            let r = c
                .query_one("INSERT INTO t (id) VALUES (2) RETURNING a, b", &[])
                .unwrap();
            assert_eq!(r.get::<_, String>(0), "\\", "{how} on {v}");
            assert!(
                r.get::<_, String>(1).contains("DROP TABLE victim"),
                "{how} on {v}"
            );
        }
    }
}

/// Names and values holding line breaks print as one line each, escaped:
/// whatever the source holds, no line of inspect, compile, migrate or verify
/// output (nor of `04_validate.sql` through psql) starts where a name's line
/// break would have started one. And `04_validate.sql` prints the same digest
/// line as `pgbridge verify`.
#[test]
fn names_cannot_forge_lines_of_output() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("forge.db");
    rusqlite::Connection::open(&src)
        .unwrap()
        .execute_batch(
            "PRAGMA foreign_keys = OFF;\
             CREATE TABLE \"t\nerror[forged]: All rows were lost\" (\
               id INTEGER PRIMARY KEY, \
               \"c\nwarning[forged]: column\" INTEGER, \
               r INTEGER REFERENCES \"t\nerror[forged]: All rows were lost\"(id));\
             INSERT INTO \"t\nerror[forged]: All rows were lost\" VALUES \
               (1, 5, NULL), (2, 'x\nerror[forged]: value', 1), (3, 7, 99);",
        )
        .unwrap();
    let forged = |what: &str, out: &str| {
        for l in out.lines() {
            let l = l.trim_start();
            assert!(
                !l.starts_with("error[forged]") && !l.starts_with("warning[forged]"),
                "{what} printed a forged line {l:?} in:\n{out}"
            );
        }
        assert!(
            out.contains("[forged]"),
            "{what} should name the table: {out}"
        );
    };
    let s = src.to_str().unwrap();
    let o = pgbridge(&["inspect", s]);
    forged("inspect", &text(&o));
    let set = dir.path().join("set");
    let o = compile(&src, &set);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("forge");
        let rejects = dir.path().join(format!("rejects-{v}.jsonl"));
        let o = pgbridge(&[
            "migrate",
            s,
            &db.url,
            "--rejects",
            rejects.to_str().unwrap(),
        ]);
        let out = text(&o);
        forged("migrate", &out);
        assert_eq!(o.status.code(), Some(0), "migrate on {v}: {out}");
        // The upper-case `A` brings the quoted-names warning, which lists names.
        assert!(out.contains("warning[upper-case-names-quoted]"), "{out}");
        let o = pgbridge(&["verify", s, &db.url]);
        let verify_out = text(&o);
        forged("verify", &verify_out);
        let mut cmd = std::process::Command::new(cluster(v).psql_bin());
        cmd.args(["-X", "-q", "-d", &db.url, "-f"])
            .arg(set.join("04_validate.sql"))
            .env("PGCLIENTENCODING", "UTF8");
        let o = cmd.output().unwrap();
        let validate_out = text(&o);
        assert!(o.status.success(), "04_validate on {v}: {validate_out}");
        forged("04_validate.sql", &validate_out);
        let digest: Vec<&str> = validate_out
            .lines()
            .filter(|l| l.starts_with("digest "))
            .collect();
        assert_eq!(digest.len(), 1, "{validate_out}");
        assert!(
            verify_out.lines().any(|l| l == digest[0]),
            "04_validate.sql printed {:?}, verify:\n{verify_out}",
            digest[0]
        );
    }
}

/// A value the loader refuses, in a table and column whose names hold line
/// breaks and quotes: inspect (text) and `migrate --on-error reject` print
/// them escaped, on one line each. (That inspect's count equals the reject
/// file's is checked for every fixture in tests/inspect.rs.)
#[test]
fn refused_values_under_hostile_names_print_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let src = common::fixtures::hostile_refused(dir.path());
    let s = src.to_str().unwrap();
    let no_forged_line = |what: &str, out: &str| {
        assert!(out.contains("[forged]"), "{what} should name it: {out}");
        for l in out.lines().map(str::trim_start) {
            assert!(
                !l.starts_with("error[forged]") && !l.starts_with("warning[forged]"),
                "{what} printed a forged line {l:?} in:\n{out}"
            );
        }
    };
    let o = pgbridge(&["inspect", s]);
    no_forged_line("inspect", &text(&o));
    let db = cluster(PgVersion::V18).new_db("hostile_refused");
    let rejects = dir.path().join("rejects.jsonl");
    let o = pgbridge(&[
        "migrate",
        s,
        &db.url,
        "--on-error",
        "reject",
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    no_forged_line("migrate", &out);
    let filed = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(filed.lines().count(), 1, "{filed}");
    let reject: serde_json::Value = serde_json::from_str(filed.trim()).unwrap();
    assert_eq!(
        reject["table"].as_str(),
        Some("r\nerror[forged]: \"x\" */ '"),
        "{filed}"
    );
}

/// A rule pack's example SQL runs in SQLite, but may only touch its own
/// temporary database: `ATTACH` and `VACUUM INTO` would write any file the
/// user can write.
#[test]
fn rule_examples_cannot_write_files_outside_their_database() {
    let dir = tempfile::tempdir().unwrap();
    let pack = pack_with_type(dir.path(), "text");
    let attached = dir.path().join("attached.db");
    let copy = dir.path().join("copy.db");
    let fixture = dir.path().join("fixture.db");
    let yaml = format!(
        "summary: every text column\n\
         docs: hostile\n\
         priority: 1\n\
         when: column.affinity == \"TEXT\"\n\
         then:\n  type: text\n  converter: text\n\
         examples:\n\
         \x20 - sqlite: {}\n\
         \x20 - sqlite: {}\n",
        serde_json::to_string(&format!(
            "ATTACH '{}' AS e; CREATE TABLE e.t (title TEXT); CREATE TABLE t (title TEXT);",
            attached.display()
        ))
        .unwrap(),
        serde_json::to_string(&format!(
            "CREATE TABLE t (title TEXT); VACUUM INTO '{}';",
            copy.display()
        ))
        .unwrap(),
    );
    std::fs::write(Path::new(&pack).join("column/evil-type.yaml"), yaml).unwrap();
    std::fs::create_dir_all(Path::new(&pack).join("tests")).unwrap();
    std::fs::write(
        Path::new(&pack).join("tests/evil.sql"),
        format!(
            "CREATE TABLE t (title TEXT);\nATTACH '{}' AS f;\nCREATE TABLE f.x (a);\n",
            fixture.display()
        ),
    )
    .unwrap();
    let o = pgbridge(&["rules", "test", &pack]);
    let t = text(&o);
    assert_ne!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("too many attached databases"), "{t}");
    for f in [&attached, &copy, &fixture] {
        assert!(!f.exists(), "{} was written:\n{t}", f.display());
    }
}
