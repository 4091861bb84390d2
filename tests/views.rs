//! Views on data, against real PostgreSQL 15 and 18: each corpus database
//! with views is migrated with `pgbridge migrate`; every view that
//! translated must return, as a multiset of rows, what SQLite's view
//! returns. Values are compared canonically: numbers as numbers (to 9
//! significant digits: SQLite adds NUMERIC columns in floating point,
//! PostgreSQL exactly), booleans as 0/1, timestamps as `YYYY-MM-DD
//! HH:MM:SS` in UTC. The views that stay comments are counted and named.
//!
//! `pgbridge verify` (and migrate's verify step) hashes every translated
//! view on both sides: each corpus view must verify equal, a view changed
//! in PostgreSQL after the migration must be reported by name, and views
//! and columns with hostile names verify like any other.
mod common;

use common::{PgVersion, TestDb, cluster, corpus, pgbridge, sql_ident, text};
use pgbridge::rewrite::RulePack;
use pgbridge::translate::appfn::{AppFunctions, expand_sqlite_view};
use rusqlite::Connection;
use rusqlite::types::ValueRef;
use std::path::Path;

/// Corpus database → (views translated, views kept as comments).
const DATABASES: &[(&str, usize, usize)] = &[
    ("northwind/dist/northwind_populated.db", 17, 0),
    ("sakila/sakila.db", 5, 0),
    ("datasette_fixtures/fixtures.db", 4, 0),
    ("datasette_fixtures/extra_database.db", 1, 0),
    ("calibre_library/metadata.db", 4, 7),
    ("pocketbase_testdata/data.db", 3, 0),
];

fn canonical_number(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    format!("{x:.8e}")
}

/// `2016-07-04`, `2016-07-04 00:00:00`, `2016-07-04T00:00:00+00:00` → one form.
fn canonical_time(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let date_like = b.len() >= 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b[..4]
            .iter()
            .chain(&b[5..7])
            .chain(&b[8..10])
            .all(u8::is_ascii_digit);
    if !date_like || (b.len() > 10 && b[10] != b' ' && b[10] != b'T') {
        return None;
    }
    let time = s.get(11..19).unwrap_or("00:00:00");
    let rest = s.get(19..).unwrap_or("");
    let rest = rest.trim_start_matches(".000").trim_end_matches("+00:00");
    let rest = rest.trim_end_matches('Z');
    // Fractional seconds: PostgreSQL prints `.12213` for SQLite's `.122130`.
    let rest = match rest.strip_prefix('.') {
        Some(f) if f.bytes().all(|b| b.is_ascii_digit()) => f.trim_end_matches('0'),
        _ => rest,
    };
    let dot = if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        ""
    } else {
        "."
    };
    Some(format!("{} {time}{dot}{rest}", &s[..10]))
}

/// Text as itself, a timestamp canonically, a JSON array or object (text in
/// SQLite, jsonb in PostgreSQL) compactly.
fn canonical_text(s: &str) -> String {
    // A jsonb `null` document reads back as JSON null, like SQL NULL.
    if s == "null" {
        return s.to_string();
    }
    if s.starts_with(['[', '{'])
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(s)
    {
        return v.to_string();
    }
    canonical_time(s).unwrap_or_else(|| format!("'{s}'"))
}

/// SQLite's rows for `query` (a view's `SELECT *`, or its query with the
/// pack's application functions expanded).
fn sqlite_rows(conn: &Connection, query: &str) -> (Vec<String>, Vec<String>) {
    let mut stmt = conn.prepare(query).unwrap();
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let n = names.len();
    let mut rows = Vec::new();
    let mut q = stmt.query([]).unwrap();
    while let Some(r) = q.next().unwrap() {
        let mut cells = Vec::new();
        for i in 0..n {
            cells.push(match r.get_ref(i).unwrap() {
                ValueRef::Null => "null".to_string(),
                ValueRef::Integer(v) => canonical_number(v as f64),
                ValueRef::Real(v) => canonical_number(v),
                ValueRef::Text(t) => canonical_text(&String::from_utf8_lossy(t)),
                // The table's column rule decides how a blob arrives; text
                // it became is compared as text (see the module doc).
                ValueRef::Blob(b) => match std::str::from_utf8(b) {
                    Ok(s) => canonical_text(s),
                    _ => format!("x{}", hex(b)),
                },
            });
        }
        rows.push(cells.join("|"));
    }
    rows.sort();
    (names, rows)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn pg_rows(db: &TestDb, view: &str, names: &[String]) -> Vec<String> {
    let mut rows: Vec<String> = db
        .json_rows(view, names)
        .into_iter()
        .map(|cells| {
            let cells: Vec<String> = cells
                .iter()
                .map(|c| match c {
                    serde_json::Value::Null => "null".to_string(),
                    serde_json::Value::Bool(b) => canonical_number(f64::from(u8::from(*b))),
                    serde_json::Value::Number(n) => canonical_number(n.as_f64().unwrap()),
                    serde_json::Value::String(s) => match s.strip_prefix("\\x") {
                        Some(h) => format!("x{h}"),
                        None => canonical_text(s),
                    },
                    other => other.to_string(),
                })
                .collect();
            cells.join("|")
        })
        .collect();
    rows.sort();
    rows
}

fn pg_views(db: &TestDb) -> Vec<String> {
    db.query("SELECT viewname FROM pg_views WHERE schemaname = 'public' ORDER BY 1")
        .into_iter()
        .filter_map(|r| r.into_iter().next())
        .collect()
}

fn sqlite_views(path: &Path) -> Vec<String> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Every view of `path` that PostgreSQL has returns SQLite's rows (as a
/// multiset, values compared canonically); how many.
fn equal_views(db: &TestDb, path: &Path, what: &str) -> usize {
    equal_views_with(db, path, what, &AppFunctions::default())
}

/// [`equal_views`], SQLite evaluating a view that calls one of `functions`
/// with the declared meaning expanded (SQLite does not have them).
fn equal_views_with(db: &TestDb, path: &Path, what: &str, functions: &AppFunctions) -> usize {
    let in_pg = pg_views(db);
    let conn = Connection::open(path).unwrap();
    let mut equal = 0;
    for view in sqlite_views(path) {
        if !in_pg.contains(&view) {
            continue;
        }
        let create: String = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?1",
                [&view],
                |r| r.get(0),
            )
            .unwrap();
        let query = expand_sqlite_view(&create, functions)
            .unwrap()
            .unwrap_or_else(|| format!("SELECT * FROM {}", sql_ident(&view)));
        let (names, want) = sqlite_rows(&conn, &query);
        let got = pg_rows(db, &view, &names);
        assert_eq!(got.len(), want.len(), "{what} {view}: row count");
        let diff: Vec<_> = got
            .iter()
            .zip(&want)
            .filter(|(a, b)| a != b)
            .take(3)
            .collect();
        assert!(diff.is_empty(), "{what} {view}: rows differ {diff:?}");
        equal += 1;
    }
    equal
}

/// calibre with the example pack that declares its application functions
/// (`title_sort`, `uuid4`, `sortconcat`, `concat`): `meta` and
/// `tag_browser_series` translate; the five views calling
/// `books_list_filter` (calibre's runtime search state) stay comments.
const WITH_PACK: &[(&str, &str, usize, usize)] = &[(
    "calibre_library/metadata.db",
    "examples/calibre-rules",
    6,
    5,
)];

#[test]
fn translated_views_return_sqlites_rows_on_15_and_18() {
    for v in PgVersion::ALL {
        for (rel, translated, kept) in DATABASES {
            database_views(v, rel, None, *translated, *kept);
        }
    }
}

#[test]
fn views_calling_declared_application_functions_verify_on_15_and_18() {
    for v in PgVersion::ALL {
        for (rel, pack, translated, kept) in WITH_PACK {
            database_views(v, rel, Some(pack), *translated, *kept);
        }
    }
}

/// Migrate corpus database `rel` (with the rule pack `pack`): `translated`
/// views verify equal and return SQLite's rows, `kept` stay comments.
fn database_views(v: PgVersion, rel: &str, pack: Option<&str>, translated: usize, kept: usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = corpus(rel);
    let db = cluster(v).new_db("views");
    let report = dir.path().join("run.json");
    let (path_s, report_s) = (path.to_str().unwrap(), report.to_str().unwrap());
    let mut args = vec!["migrate", path_s, db.url.as_str(), "--report", report_s];
    args.extend(pack.iter().flat_map(|p| ["--rules", *p]));
    let functions = match pack {
        Some(p) => RulePack::load(&[Path::new(p)]).unwrap().functions,
        None => AppFunctions::default(),
    };
    let out = pgbridge(&args);
    assert!(out.status.success(), "{rel} on {v:?}: {}", text(&out));
    let verified = verified_views(&report);
    assert_eq!(verified.len(), translated, "{rel} on {v:?}: views verified");
    for (name, matches) in &verified {
        assert!(
            matches,
            "{rel} {name} on {v:?}: verify differs\n{}",
            text(&out)
        );
    }
    let kept_count = text(&out).matches("view-kept-as-comment").count();
    let in_pg = pg_views(&db);
    let equal = equal_views_with(&db, &path, &format!("{rel} on {v:?}"), &functions);
    eprintln!(
        "{rel} on {v:?}: {} translated, {kept_count} kept as comments, {equal} equal on data",
        in_pg.len()
    );
    assert_eq!(in_pg.len(), translated, "{rel}: views translated");
    assert_eq!(equal, translated, "{rel}: views equal on data");
    assert_eq!(
        kept_count,
        kept,
        "{rel}: views kept as comments\n{}",
        text(&out)
    );
}

/// The views in a run or verify report: name and whether it matched.
fn verified_views(report: &Path) -> Vec<(String, bool)> {
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap();
    let tables = r["verify"].as_array().or(r["tables"].as_array());
    tables
        .expect("verify results in the report")
        .iter()
        .filter(|t| t["kind"] == "view")
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["matches"] == true,
            )
        })
        .collect()
}

/// Replace view `name` in PostgreSQL by its own rows minus those `cond`
/// (over `s`) excludes: same columns and types, fewer rows.
fn narrow_view(db: &TestDb, name: &str, cond: &str) {
    let def = db.scalar(&format!(
        "SELECT pg_get_viewdef({}::regclass)",
        common::sql_literal(&sql_ident(name))
    ));
    let def = def.trim().trim_end_matches(';');
    db.psql(&format!(
        "CREATE OR REPLACE VIEW {} AS SELECT * FROM ({def}) AS s WHERE {cond};",
        sql_ident(name)
    ))
    .unwrap();
}

#[test]
fn a_view_changed_in_postgresql_after_migrate_fails_verify_naming_it_on_15_and_18() {
    let path = corpus("northwind/dist/northwind.db");
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("view_tamper");
        let out = pgbridge(&["migrate", path.to_str().unwrap(), db.url.as_str()]);
        assert!(out.status.success(), "{v:?}: {}", text(&out));
        assert!(
            text(&out).contains("17 views, 0 differ"),
            "{v:?}: {}",
            text(&out)
        );
        narrow_view(&db, "Current Product List", r#"s."ProductID" <> 1"#);
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("verify.json");
        let out = pgbridge(&[
            "verify",
            path.to_str().unwrap(),
            db.url.as_str(),
            "--report",
            report.to_str().unwrap(),
        ]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{v:?}: {t}");
        assert!(
            t.contains("MISMATCH view Current Product List: rows 69 sqlite / 68 postgres"),
            "{v:?}: {t}"
        );
        assert!(
            t.contains(r#"row (1, "Chai"): in SQLite, missing in PostgreSQL"#),
            "{v:?}: {t}"
        );
        assert!(
            t.contains("view Current Product List differs from SQLite's view"),
            "{v:?}: {t}"
        );
        assert_eq!(
            t.matches("MISMATCH").count(),
            1,
            "{v:?}: only the view: {t}"
        );
        let verified = verified_views(&report);
        let bad: Vec<_> = verified.iter().filter(|(_, m)| !m).collect();
        assert_eq!(bad, [&("Current Product List".to_string(), false)], "{v:?}");
    }
}

/// Tables, views and columns named with quotes, spaces, Unicode, comment
/// and statement terminators; values of every storage class.
fn hostile_views(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("hostile_views.db");
    let c = Connection::open(&path).unwrap();
    c.execute_batch(
        r#"CREATE TABLE "ta""ble */ x" (
               "id" INTEGER PRIMARY KEY,
               "na me ""q"" */" TEXT NOT NULL,
               "prïce; --" REAL,
               "qty" INTEGER,
               "at" TEXT);
           INSERT INTO "ta""ble */ x" VALUES
               (1, 'a''b */', 1.1, 3, '2024-01-02 03:04:05'),
               (2, 'ünï', 0.1, NULL, NULL),
               (3, 'a''b */', 2.2, 3, '2024-05-06');
           CREATE VIEW "vi""ew */ ünï; --" AS
               SELECT "id" AS "i""d */", "na me ""q"" */" AS "n; --", "prïce; --" * "qty" AS "t ot",
                      "at" AS "wh en"
               FROM "ta""ble */ x";
           CREATE VIEW "by name ""x""" AS
               SELECT "na me ""q"" */" AS "na me", count(*) AS "n", sum("prïce; --") AS "s"
               FROM "ta""ble */ x" GROUP BY 1;"#,
    )
    .unwrap();
    path
}

#[test]
fn views_and_columns_with_hostile_names_verify_and_a_difference_names_them_on_15_and_18() {
    let dir = tempfile::tempdir().unwrap();
    let path = hostile_views(dir.path());
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("view_hostile");
        let out = pgbridge(&["migrate", path.to_str().unwrap(), db.url.as_str()]);
        let t = text(&out);
        assert!(out.status.success(), "{v:?}: {t}");
        assert!(t.contains("1 tables, 2 views, 0 differ"), "{v:?}: {t}");
        assert!(
            t.contains(r#"match    view vi"ew */ ünï; --: rows 3"#),
            "{v:?}: {t}"
        );
        narrow_view(&db, r#"by name "x""#, r#"s."n" = 1"#);
        let out = pgbridge(&["verify", path.to_str().unwrap(), db.url.as_str()]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{v:?}: {t}");
        assert!(
            t.contains(r#"MISMATCH view by name "x": rows 2 sqlite / 1 postgres"#),
            "{v:?}: {t}"
        );
        let missing = r#"row ("a'b */", 2, 3.3): in SQLite, missing in PostgreSQL"#;
        assert!(t.contains(missing), "{v:?}: {t}");
        assert!(
            t.contains(r#"view by name "x" differs from SQLite's view"#),
            "{v:?}: {t}"
        );
    }
}

/// Views over the constructs translated last (printf, USING and NATURAL
/// joins, `->` on a JSON column, WITH RECURSIVE, arithmetic on text), with NULLs and awkward values: each
/// must translate and return SQLite's rows. (`->` returns objects,
/// arrays and JSON null here: this file's comparison reads SQLite's
/// scalar JSON text as text; verify, which reads it as jsonb, covers
/// the rest.)
fn constructs(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("constructs.db");
    let c = Connection::open(&path).unwrap();
    c.execute_batch(
        r#"CREATE TABLE "Per son" ("id" INTEGER PRIMARY KEY, "na me" TEXT, "age" INTEGER, "city_id" INTEGER);
           CREATE TABLE "city" ("city_id" INTEGER PRIMARY KEY, "na me" TEXT, "pop" INTEGER);
           INSERT INTO "Per son" VALUES (1, 'Ann', 30, 1), (2, NULL, NULL, 2), (3, 'O''Brien %s', -4, NULL),
                                       (4, 'Zoë', 0, 9);
           INSERT INTO "city" VALUES (1, 'Oslo', 700000), (2, NULL, NULL), (3, 'Ann', 5);
           CREATE VIEW "printf */" AS
               SELECT printf('%s is %d%% (%s)', "na me", "age", "id") AS "p",
                      format('[%s]', "na me") AS "f", printf('100%%') AS "c"
               FROM "Per son";
           CREATE VIEW "using" AS
               SELECT "city_id", p."na me" AS "who", c."na me" AS "where"
               FROM "Per son" AS p JOIN "city" AS c USING ("city_id");
           CREATE VIEW "left using" AS
               SELECT * FROM "Per son" LEFT JOIN "city" USING ("city_id");
           CREATE VIEW "natural" AS
               SELECT * FROM "Per son" NATURAL JOIN "city";
           CREATE TABLE "docs" ("id" INTEGER PRIMARY KEY, "d oc" TEXT);
           INSERT INTO "docs" VALUES
               (1, '{"a": {"b c": [1, {"k": [2]}, {"k": {"z": null}}]}, "l": [[1], [2, 3]], "n": null}'),
               (2, '{"a": [1, 2], "l": {"0": [9]}}'),
               (3, '[{"x": 1}, [true]]'),
               (4, NULL);
           CREATE VIEW "arrow */" AS
               SELECT "id", "d oc" -> '$.a."b c"[2].k' AS "path", "d oc" -> 'l' AS "label",
                      "d oc" -> 0 AS "index", "d oc" -> '$.l[1]' AS "mixed", "d oc" -> 'n' AS "null",
                      "d oc" -> '$' AS "whole"
               FROM "docs";
           CREATE TABLE "nums" ("id" INTEGER PRIMARY KEY, "t x" TEXT);
           INSERT INTO "nums" VALUES (1, 'Nancy'), (2, ' 12abc'), (3, '  -1.5x'), (4, char(9, 10) || '+3e2z'),
               (5, '1e'), (6, '.5'), (7, '5.'), (8, '.e5'), (9, '0x10'), (10, NULL), (11, char(160) || '12'),
               (12, ''), (13, '1.e2'), (14, '7');
           CREATE VIEW "text arithmetic */" AS
               SELECT "id", "t x" + 0 AS "plus", "t x" * 2 AS "times", "t x" + ' 7 days' AS "lit",
                      ("t x" + ' ' + "t x") AS "twice", "t x" / 2.0 AS "half", "t x" || 'y' - 1 AS "concat"
               FROM "nums";
           CREATE VIEW "recursive" AS
               WITH RECURSIVE "n"("i", "s") AS (
                   SELECT 1, 'a' UNION ALL SELECT "i" + 1, "s" || 'b' FROM "n" WHERE "i" < 5)
               SELECT "i", "s" FROM "n";
           CREATE VIEW "chain" AS
               WITH RECURSIVE chain(id, depth) AS (
                   SELECT "id", 0 FROM "Per son" WHERE "id" = 1
                   UNION SELECT p."id", chain.depth + 1 FROM "Per son" AS p JOIN chain ON p."id" = chain.id + 1)
               SELECT * FROM chain;"#,
    )
    .unwrap();
    path
}

#[test]
fn printf_using_natural_joins_arrow_recursive_ctes_and_text_arithmetic_return_sqlites_rows_on_15_and_18()
 {
    let dir = tempfile::tempdir().unwrap();
    let path = constructs(dir.path());
    every_view_returns_sqlites_rows(&path, "view_constructs");
}

/// Window frame exclusions and `rowid` over a table whose INTEGER PRIMARY
/// KEY aliases it: the social-protocols "Y" `positions` view on a
/// `vote_history` that has such a key, with ties in the ordering so that
/// `EXCLUDE GROUP` and `EXCLUDE TIES` differ from `EXCLUDE CURRENT ROW`.
fn exclusions(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("exclusions.db");
    let c = Connection::open(&path).unwrap();
    c.execute_batch(
        r#"CREATE TABLE "vote ""history" ("vote_id" INTEGER PRIMARY KEY, user_id INTEGER NOT NULL,
               post_id INTEGER NOT NULL, direction INTEGER NOT NULL, created TIMESTAMP NOT NULL);
           INSERT INTO "vote ""history" VALUES
               (1, 1, 10, 1, '2024-01-01 10:00:00'), (2, 1, 10, 0, '2024-01-01 11:00:00'),
               (3, 1, 10, -1, '2024-01-01 11:00:00'), (4, 1, 11, 1, '2024-01-02 09:00:00'),
               (5, 2, 10, 1, '2024-01-01 10:00:00'), (6, 2, 10, 1, '2024-01-03 10:00:00'),
               (7, 2, 10, 0, '2024-01-04 10:00:00');
           CREATE VIEW "positions */" AS
           WITH upvotes_and_downvotes AS (
               SELECT "vote ""history".rowID AS position_id, "vote ""history".*,
                      first_value(created) OVER (PARTITION BY user_id, post_id ORDER BY created
                          ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW) AS cleared_at
               FROM "vote ""history")
           SELECT * FROM upvotes_and_downvotes WHERE direction != 0;
           CREATE VIEW "frames" AS
               SELECT oid, _ROWID_ AS r,
                      count(*) OVER (ORDER BY created RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                          EXCLUDE GROUP) AS g,
                      sum(direction) OVER (ORDER BY created ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING
                          exclude ties) AS t,
                      count(*) OVER (ORDER BY user_id GROUPS CURRENT ROW EXCLUDE NO OTHERS) AS n
               FROM "vote ""history";"#,
    )
    .unwrap();
    path
}

#[test]
fn frame_exclusions_and_rowid_aliases_return_sqlites_rows_on_15_and_18() {
    let dir = tempfile::tempdir().unwrap();
    let path = exclusions(dir.path());
    assert_eq!(sqlite_views(&path).len(), 2);
    every_view_returns_sqlites_rows(&path, "view_exclusions");
}

/// Migrate `path` into a new database on PostgreSQL 15 and 18: every view
/// must translate, verify equal and return SQLite's rows.
fn every_view_returns_sqlites_rows(path: &Path, db_name: &str) {
    let want = sqlite_views(path).len();
    for v in PgVersion::ALL {
        let db = cluster(v).new_db(db_name);
        let out = pgbridge(&["migrate", path.to_str().unwrap(), db.url.as_str()]);
        let t = text(&out);
        assert!(out.status.success(), "{v:?}: {t}");
        assert!(!t.contains("view-kept-as-comment"), "{v:?}: {t}");
        assert!(t.contains(&format!("{want} views, 0 differ")), "{v:?}: {t}");
        assert_eq!(equal_views(&db, path, &format!("{v:?}")), want);
    }
}

/// A rule pack declaring application functions with hostile text: a
/// description with a line break and `*/`, a param named with a quote,
/// `*/` and a line break, literals with quotes and `--`.
fn hostile_pack(dir: &Path) -> std::path::PathBuf {
    let pack = dir.join("pack");
    std::fs::create_dir_all(pack.join("functions")).unwrap();
    let tag = r#"description: "tags */ a value;\nDROP TABLE t; -- MARK-LINE-2"
params: ["it's */\nx"]
sqlite: "'*/ '' ; --' || \"it's */\nx\" || '\n-- MARK-LITERAL'"
"#;
    let pg = r#"description: "the same, PostgreSQL's way */"
params: ["it's */\nx"]
sqlite: "'<' || \"it's */\nx\" || '>'"
postgres: "'<' ||
  \"it's */\nx\" || '>'"
"#;
    std::fs::write(pack.join("functions/tag.yaml"), tag).unwrap();
    std::fs::write(pack.join("functions/tag_pg.yaml"), pg).unwrap();
    pack
}

#[test]
fn hostile_application_function_declarations_reach_sql_only_escaped_on_15_and_18() {
    let dir = tempfile::tempdir().unwrap();
    let pack = hostile_pack(dir.path());
    let path = dir.path().join("app.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
             INSERT INTO t VALUES (1, 'a''b */'), (2, NULL), (3, 'ünï');
             CREATE VIEW v AS SELECT id, tag(name) AS tagged, tag_pg(name) AS pg FROM t;",
        )
        .unwrap();
    let out_dir = dir.path().join("out");
    let (p, o, k) = (
        path.to_str().unwrap(),
        out_dir.to_str().unwrap(),
        pack.to_str().unwrap(),
    );
    let out = pgbridge(&["compile", p, "-o", o, "--rules", k]);
    assert!(out.status.success(), "{}", text(&out));
    let sql = std::fs::read_to_string(out_dir.join("03_constraints.sql")).unwrap();
    // The description's line break stays inside the comment.
    let marked: Vec<&str> = sql.lines().filter(|l| l.contains("MARK-LINE-2")).collect();
    assert!(!marked.is_empty(), "{sql}");
    for line in marked {
        assert!(line.starts_with("-- "), "escaped into a comment: {line}");
    }
    // The literal's line break is an escape inside the literal.
    assert!(sql.contains(r"U&'\000A-- MARK-LITERAL'"), "{sql}");
    assert!(
        !sql.lines().any(|l| l.starts_with("-- MARK-LITERAL")),
        "{sql}"
    );
    let functions = RulePack::load(&[pack.as_path()]).unwrap().functions;
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("appfn_hostile");
        let out = pgbridge(&["migrate", p, db.url.as_str(), "--rules", k]);
        let t = text(&out);
        assert!(out.status.success(), "{v:?}: {t}");
        assert!(t.contains("1 tables, 1 views, 0 differ"), "{v:?}: {t}");
        assert_eq!(equal_views_with(&db, &path, "hostile", &functions), 1);
        let tagged = db.scalar("SELECT tagged || pg FROM v WHERE id = 1");
        assert_eq!(tagged, "*/ ' ; --a'b */\n-- MARK-LITERAL<a'b */>", "{v:?}");
    }
}

/// A declaration that is not one expression is refused when the pack
/// loads, naming its file; nothing is compiled.
#[test]
fn a_statement_in_a_declaration_is_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("pack");
    std::fs::create_dir_all(pack.join("functions")).unwrap();
    let bad = "description: evil\nparams: [x]\nsqlite: \"1); DROP TABLE t; --\"\n";
    std::fs::write(pack.join("functions/evil.yaml"), bad).unwrap();
    let out_dir = dir.path().join("out");
    let db = corpus("calibre_library/metadata.db");
    let out = pgbridge(&[
        "compile",
        db.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
        "--rules",
        pack.to_str().unwrap(),
    ]);
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(t.contains("error[app-function-invalid]"), "{t}");
    assert!(t.contains("evil.yaml"), "{t}");
    assert!(!out_dir.join("03_constraints.sql").exists());
}
