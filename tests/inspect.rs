//! `pgbridge inspect`: every finding kind on a fixture built here, in both
//! formats; `--strict` exit codes; examples of WITHOUT ROWID tables named by
//! primary key; the outcome inspect states for blobs in numeric columns and
//! infinite reals checked against what `pgbridge migrate` does with the same
//! file on real PostgreSQL 15 and 18; every corpus database inspected, with
//! a per-database summary printed (`cargo test --test inspect -- --nocapture`).
mod common;

use common::{CORPUS_DATABASES as CORPUS, PgVersion, TestDb, cluster, fixtures, pgbridge, text};
use pgbridge::inspect::{InspectOptions, Inspection, inspect};
use pgbridge::rewrite::RulePack;
use rusqlite::Connection;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn problem<'a>(j: &'a Value, table: &str, column: &str, kind: &str) -> &'a Value {
    let t = j["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == table)
        .unwrap_or_else(|| panic!("table {table}"));
    let c = t["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == column)
        .unwrap_or_else(|| panic!("column {table}.{column}"));
    c["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == kind)
        .unwrap_or_else(|| panic!("{kind} on {table}.{column}: {}", c["problems"]))
}

fn rowids(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e["rowid"].as_i64().unwrap())
        .collect()
}

#[test]
fn json_reports_every_problem_kind_with_counts_and_example_rowids() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixtures::findings(dir.path());
    let out = pgbridge(&["inspect", db.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let j: Value = serde_json::from_str(&stdout(&out)).expect("JSON document");

    for key in [
        "file",
        "sqlite_version",
        "size_bytes",
        "integrity",
        "foreign_keys",
        "tables",
        "objects",
        "diagnostics",
        "blockers",
        "estimate_s",
    ] {
        assert!(j.get(key).is_some(), "missing top-level field {key}");
    }
    assert_eq!(j["file"], "dirty.db");
    assert_eq!(j["integrity"]["ok"], true);
    assert!(j["size_bytes"].as_u64().unwrap() > 0);

    // Orphans, per foreign key, with rowid and value.
    let fks = j["foreign_keys"].as_array().unwrap();
    let by_col = |col: &str| {
        fks.iter()
            .find(|f| f["columns"] == json!([col]))
            .unwrap_or_else(|| panic!("fk on {col}"))
    };
    let pid = by_col("parent_id");
    assert_eq!(pid["ref_table"], "parent");
    assert_eq!(pid["ref_columns"], json!(["id"]));
    assert_eq!(pid["orphans"], 1);
    assert_eq!(pid["orphan_examples"], json!([{"rowid": 2, "value": 99}]));
    assert_eq!(pid["nocase_only"], 0);
    let code = by_col("code");
    assert_eq!(code["orphans"], 1);
    assert_eq!(
        code["orphan_examples"],
        json!([{"rowid": 4, "value": "zzz"}])
    );
    // NOCASE-only match: 'abc' → 'ABC'; citext is a default extension, so it holds.
    assert_eq!(code["nocase_only"], 1);
    assert_eq!(
        code["nocase_examples"],
        json!([{"rowid": 3, "value": "abc"}])
    );
    assert_eq!(code["nocase_holds_in_pg"], true);
    assert_eq!(j["orphans"], 2);

    // Dirty values: count and example rowid of each.
    let p = problem(&j, "dirty", "qty", "text-in-numeric");
    assert_eq!(
        (p["count"].as_u64(), rowids(&p["examples"])),
        (Some(1), vec![2])
    );
    assert_eq!(p["examples"][0]["value"], "lots");
    let p = problem(&j, "dirty", "price", "empty-text-in-numeric");
    assert_eq!(
        (p["count"].as_u64(), rowids(&p["examples"])),
        (Some(1), vec![2])
    );
    let p = problem(&j, "dirty", "note", "nul-bytes");
    assert_eq!(
        (p["count"].as_u64(), rowids(&p["examples"])),
        (Some(1), vec![2])
    );
    let p = problem(&j, "dirty", "note", "invalid-utf8");
    assert_eq!(
        (p["count"].as_u64(), rowids(&p["examples"])),
        (Some(1), vec![4])
    );
    let p = problem(&j, "dirty", "meta", "non-json");
    assert_eq!(
        (p["count"].as_u64(), rowids(&p["examples"])),
        (Some(1), vec![2])
    );
    let p = problem(&j, "dirty", "created", "unparseable-date");
    assert_eq!(
        (p["count"].as_u64(), rowids(&p["examples"])),
        (Some(1), vec![2])
    );
    assert_eq!(p["examples"][0]["value"], "yesterday");
    let p = problem(&j, "dirty", "embedding", "wrong-length-vector");
    assert_eq!(
        (p["count"].as_u64(), rowids(&p["examples"])),
        (Some(1), vec![3])
    );
    assert_eq!(
        p["lengths"],
        json!([{"bytes": 16, "dims": 4, "count": 3}, {"bytes": 12, "dims": 3, "count": 1}])
    );

    // Declared type against stored storage classes, rule, type, converter.
    let dirty = j["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "dirty")
        .unwrap();
    assert_eq!(dirty["rows"], 4);
    assert_eq!(dirty["fate"], "migrated");
    let qty = &dirty["columns"][1];
    assert_eq!(qty["declared"], "INTEGER");
    assert_eq!(
        qty["classes"],
        json!({"integer": 3, "real": 0, "text": 1, "blob": 0, "null": 0})
    );
    for c in dirty["columns"].as_array().unwrap() {
        assert!(c["rule"].is_string(), "{c}");
        assert!(c["pg_type"].is_string(), "{c}");
        assert!(c["converter"].is_string(), "{c}");
    }
    assert_eq!(dirty["columns"][0]["rule"], "integer-primary-key");

    // Virtual, internal, view and trigger, and what becomes of each.
    let kind_of = |name: &str| {
        j["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| (t["kind"].clone(), t["fate"].clone()))
    };
    // An own-content FTS5 table becomes a table with a tsvector (docs/fts.md).
    assert_eq!(kind_of("docs"), Some((json!("virtual"), json!("migrated"))));
    assert_eq!(
        kind_of("docs_data"),
        Some((json!("internal"), json!("skipped")))
    );
    assert_eq!(
        kind_of("sqlite_sequence"),
        Some((json!("internal"), json!("skipped")))
    );
    let objects = j["objects"].as_array().unwrap();
    let obj = |name: &str| {
        objects
            .iter()
            .find(|o| o["name"] == name)
            .unwrap_or_else(|| panic!("object {name}"))
    };
    assert_eq!(obj("child_codes")["kind"], "view");
    // The view translates: it is created after the data.
    assert_eq!(obj("child_codes")["fate"], "migrated");
    assert_eq!(obj("child_touch")["kind"], "trigger");
    assert_eq!(obj("child_touch")["table"], "child");
    // The trigger translates: it is created after the data.
    assert_eq!(obj("child_touch")["fate"], "migrated");
    // The FTS5 table is migrated as a table (above), its shadow tables skipped.
    assert!(objects.iter().all(|o| o["name"] != "docs"));
    assert_eq!(obj("docs_idx")["fate"], "skipped");

    // Sizes, diagnostics and the estimate.
    assert!(j["page_size"].as_u64().unwrap() >= 512);
    assert_eq!(j["dbstat"], true);
    assert!(dirty["bytes"].as_u64().unwrap() > 0);
    let codes: Vec<&str> = j["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(!codes.contains(&"view-kept-as-comment"), "{codes:?}");
    assert!(!codes.contains(&"trigger-kept-as-comment"), "{codes:?}");
    assert_eq!(j["blockers"], 0);
    assert!(j["estimate_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn text_lists_blockers_first_and_every_problem_with_its_example() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixtures::findings(dir.path());
    let out = pgbridge(&["inspect", db.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let pos = |s: &str| {
        text.find(s)
            .unwrap_or_else(|| panic!("`{s}` missing from:\n{text}"))
    };
    assert!(pos("== Blockers") < pos("== Integrity"));
    assert!(pos("== Integrity") < pos("== Foreign keys"));
    assert!(pos("== Foreign keys") < pos("== Dirty values"));
    for s in [
        "child(parent_id) → parent(id): 1 orphan row(s), e.g. rowid 2 = 99",
        "child(code) → parent(code): 1 orphan row(s), e.g. rowid 4 = \"zzz\"",
        "child(code) → parent(code): 1 NOCASE-only match(es), e.g. rowid 3 = \"abc\"",
        "with citext in PostgreSQL; without citext they become orphans",
        "integrity_check: ok",
        "about ",
        "an estimate",
    ] {
        pos(s);
    }
    let line = |col: &str, kind: &str| {
        text.lines()
            .find(|l| l.contains(col) && l.contains(kind))
            .unwrap_or_else(|| panic!("no line for {col} {kind} in:\n{text}"))
            .to_string()
    };
    for (col, kind, rowid) in [
        ("dirty.qty", "text-in-numeric", 2),
        ("dirty.price", "empty-text-in-numeric", 2),
        ("dirty.note", "nul-bytes", 2),
        ("dirty.note", "invalid-utf8", 4),
        ("dirty.meta", "non-json", 2),
        ("dirty.created", "unparseable-date", 2),
        ("dirty.embedding", "wrong-length-vector", 3),
    ] {
        let l = line(col, kind);
        assert!(l.contains(" 1 "), "{l}");
        assert!(l.contains(&format!("rowid {rowid} ")), "{l}");
    }
    pos("lengths seen: 4 dims × 3, 3 dims × 1");
    let l = line("docs ", "virtual (fts5)");
    assert!(l.contains("migrated"), "{l}");
    assert!(line("view", "child_codes").contains("migrated"));
    assert!(line("trigger", "child_touch (on child)").contains("migrated"));
    let l = line("dirty.qty", "→");
    assert!(l.contains("INTEGER") && l.contains("int 3, text 1"), "{l}");
}

#[test]
fn strict_exits_1_on_a_blocker_and_0_on_a_clean_database() {
    let dir = tempfile::tempdir().unwrap();
    let blocked = dir.path().join("blocked.db");
    Connection::open(&blocked)
        .unwrap()
        .execute_batch(
            "CREATE TABLE t (c TEXT);
             CREATE UNIQUE INDEX u ON t (strftime('%Y', c));
             INSERT INTO t VALUES ('2024-01-01');",
        )
        .unwrap();
    let clean = dir.path().join("clean.db");
    Connection::open(&clean)
        .unwrap()
        .execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
             INSERT INTO t (name) VALUES ('a'), ('b');",
        )
        .unwrap();
    let b = blocked.to_str().unwrap();
    let out = pgbridge(&["inspect", b, "--strict"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("error[index-not-translated] u:"));
    // Without --strict the report is the product: exit 0.
    assert_eq!(pgbridge(&["inspect", b]).status.code(), Some(0));
    let out = pgbridge(&["inspect", b, "--strict", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let j: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(j["blockers"], 1);

    let out = pgbridge(&["inspect", clean.to_str().unwrap(), "--strict"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("== Blockers (0)\n  none"));
}

#[test]
fn a_missing_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let out = pgbridge(&["inspect", missing.to_str().unwrap(), "--strict"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_corrupt_page_is_an_integrity_blocker() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corrupt.db");
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
             CREATE INDEX t_v ON t (v);",
        )
        .unwrap();
        for i in 0..200 {
            c.execute("INSERT INTO t (v) VALUES (?1)", [format!("value {i}")])
                .unwrap();
        }
    }
    // Drop the index's entries: rewrite its root page as an empty leaf.
    let page: i64 = Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT rootpage FROM sqlite_schema WHERE name = 't_v'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let size = 4096usize;
    let at = (page as usize - 1) * size;
    bytes[at..at + size].fill(0);
    bytes[at] = 0x0a; // leaf index b-tree page, no cells
    bytes[at + 5..at + 7].copy_from_slice(&(size as u16).to_be_bytes());
    std::fs::write(&path, &bytes).unwrap();

    let i = inspect_default(&path);
    assert!(!i.integrity.ok);
    assert!(!i.integrity.problems.is_empty());
    assert!(i.blockers >= 1);
    assert!(
        i.diagnostics
            .iter()
            .any(|d| d.code == "integrity-check-failed")
    );
}

fn inspect_default(path: &Path) -> Inspection {
    let pack = RulePack::default_pack().expect("default pack");
    inspect(path, &pack, &InspectOptions::default())
        .unwrap_or_else(|e| panic!("inspect {}: {e}", path.display()))
}

#[test]
fn every_corpus_database_inspects_with_a_sane_summary() {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus"));
    let mut lines = vec![format!(
        "| {:<48} | {:>6} | {:>9} | {:>8} | {:>8} | {:>7} | {:>6} | {:>5} | {:>9} |",
        "database",
        "tables",
        "rows",
        "blockers",
        "warnings",
        "orphans",
        "nocase",
        "dirty",
        "est. s"
    )];
    lines.push(format!(
        "|{}|{}|{}|{}|{}|{}|{}|{}|{}|",
        "-".repeat(50),
        "-".repeat(7) + ":",
        "-".repeat(10) + ":",
        "-".repeat(9) + ":",
        "-".repeat(9) + ":",
        "-".repeat(8) + ":",
        "-".repeat(7) + ":",
        "-".repeat(6) + ":",
        "-".repeat(10) + ":"
    ));
    for rel in CORPUS {
        let path = root.join(rel);
        let i = inspect_default(&path);
        let migrated: Vec<_> = i.tables.iter().filter(|t| t.fate == "migrated").collect();
        assert!(!migrated.is_empty(), "{rel}: no table migrates");
        assert!(i.integrity.ok, "{rel}: {:?}", i.integrity.problems);
        assert_eq!(
            i.rows,
            migrated.iter().map(|t| t.rows.unwrap_or(0)).sum::<u64>(),
            "{rel}"
        );
        assert_eq!(
            i.blockers,
            i.diagnostics
                .iter()
                .filter(|d| d.severity == pgbridge::diag::Severity::Error)
                .count()
        );
        assert!(i.size_bytes >= i.page_size * i.page_count, "{rel}");
        for t in &migrated {
            for c in &t.columns {
                assert!(
                    c.rule.is_some() && c.pg_type.is_some(),
                    "{rel} {}.{}",
                    t.name,
                    c.name
                );
                let k = &c.classes;
                assert_eq!(
                    k.integer + k.real + k.text + k.blob + k.null,
                    t.rows.unwrap_or(0),
                    "{rel} {}.{}: classes sum to rows",
                    t.name,
                    c.name
                );
                for p in &c.problems {
                    assert!(p.count > 0, "{rel}");
                    assert_eq!(
                        p.examples.len() as u64,
                        p.count.min(3),
                        "{rel} {}.{} {}",
                        t.name,
                        c.name,
                        p.kind
                    );
                }
            }
        }
        for fk in &i.foreign_keys {
            assert_eq!(fk.orphan_examples.len() as u64, fk.orphans.min(5), "{rel}");
            assert_eq!(
                fk.nocase_examples.len() as u64,
                fk.nocase_only.min(5),
                "{rel}"
            );
        }
        assert!(i.estimate_s >= 0.0 && i.estimate_s.is_finite());
        let json = serde_json::to_value(&i).unwrap();
        assert!(json["tables"].as_array().is_some_and(|t| !t.is_empty()));
        assert!(pgbridge::inspect::render_text(&i).contains("== Blockers"));
        let dirty: usize = i
            .tables
            .iter()
            .flat_map(|t| &t.columns)
            .map(|c| c.problems.len())
            .sum();
        lines.push(format!(
            "| {:<48} | {:>6} | {:>9} | {:>8} | {:>8} | {:>7} | {:>6} | {:>5} | {:>9.2} |",
            rel,
            migrated.len(),
            i.rows,
            i.blockers,
            i.warnings,
            i.orphans,
            i.foreign_keys.iter().map(|f| f.nocase_only).sum::<u64>(),
            dirty,
            i.estimate_s
        ));
    }
    println!("\n{}", lines.join("\n"));
}

#[test]
fn without_citext_nocase_only_matches_are_reported_as_future_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixtures::findings(dir.path());
    let db = db.to_str().unwrap();
    let out = pgbridge(&[
        "inspect",
        db,
        "--format",
        "json",
        "--extensions",
        "pgcrypto",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let j: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let code = j["foreign_keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["columns"] == json!(["code"]))
        .unwrap();
    assert_eq!(code["nocase_only"], 1);
    assert_eq!(code["nocase_holds_in_pg"], false);
    let text = stdout(&pgbridge(&["inspect", db, "--extensions", "pgcrypto"]));
    assert!(
        text.contains("the parent does not become citext: they will be orphans"),
        "{text}"
    );
}

#[test]
fn without_rowid_examples_name_the_row_by_its_primary_key_in_key_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixtures::without_rowid(dir.path());
    let out = pgbridge(&["inspect", db.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let j: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let key = |code: &str, n: i64| json!({"code": code, "n": n});

    // Orphans: PRAGMA foreign_key_check gives no rowid here; the rows are
    // found again and named by key, in key order ('a''b' < 'ab' byte-wise).
    let fk = &j["foreign_keys"][0];
    assert_eq!(fk["table"], "item");
    assert_eq!(fk["orphans"], 2);
    assert_eq!(
        fk["orphan_examples"],
        json!([
            {"rowid": null, "key": key("a'b", 2), "value": "gone"},
            {"rowid": null, "key": key("ab", 3), "value": "nope"}
        ])
    );
    assert_eq!(fk["nocase_only"], 1);
    assert_eq!(
        fk["nocase_examples"],
        json!([{"rowid": null, "key": key("ab", 1), "value": "cd"}])
    );

    let p = problem(&j, "item", "qty", "text-in-numeric");
    assert_eq!(p["count"], 2);
    assert_eq!(
        p["examples"],
        json!([
            {"rowid": null, "key": key("a'b", 2), "value": "many"},
            {"rowid": null, "key": key("ab", 3), "value": "lots"}
        ])
    );
    let p = problem(&j, "item", "ratio", "non-finite-real");
    let keys: Vec<&Value> = p["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["key"])
        .collect();
    assert_eq!(keys, [&key("ab", 1), &key("ab", 3)]);

    // The key object lists the columns in key order, not alphabetically.
    let i = inspect_default(&db);
    let compact = serde_json::to_string(&i).unwrap();
    assert!(
        compact.contains(r#"{"rowid":null,"key":{"code":"a'b","n":2},"value":"gone"}"#),
        "{compact}"
    );

    let t = stdout(&pgbridge(&["inspect", db.to_str().unwrap()]));
    for s in [
        "item(parent_code) → parent(code): 2 orphan row(s), e.g. key (code='a''b', n=2) = \"gone\", key (code='ab', n=3) = \"nope\"",
        "1 NOCASE-only match(es), e.g. key (code='ab', n=1) = \"cd\"",
        "e.g. key (code='a''b', n=2) = \"many\", key (code='ab', n=3) = \"lots\"",
        "e.g. key (code='ab', n=1) = \"-Infinity\" → -Infinity, key (code='ab', n=3) = \"Infinity\" → Infinity",
    ] {
        assert!(t.contains(s), "`{s}` missing from:\n{t}");
    }

    // Rowid tables keep `rowid` and get no `key`.
    let dirty = fixtures::findings(dir.path());
    let j: Value = serde_json::from_str(&stdout(&pgbridge(&[
        "inspect",
        dirty.to_str().unwrap(),
        "--format",
        "json",
    ])))
    .unwrap();
    let e = &problem(&j, "dirty", "qty", "text-in-numeric")["examples"][0];
    assert_eq!(e, &json!({"rowid": 2, "value": "lots"}));
}

fn migrate(db: &Path, target: &TestDb, extra: &[&str]) -> Output {
    let mut args = vec!["migrate", db.to_str().unwrap(), target.url.as_str()];
    args.extend_from_slice(extra);
    pgbridge(&args)
}

/// Every problem with an outcome: (table, column, problem).
fn outcomes(j: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for t in j["tables"].as_array().unwrap() {
        for c in t["columns"].as_array().unwrap() {
            for p in c["problems"].as_array().unwrap() {
                if p.get("outcome").is_some() {
                    out.push((
                        t["name"].as_str().unwrap().to_string(),
                        c["name"].as_str().unwrap().to_string(),
                        p.clone(),
                    ));
                }
            }
        }
    }
    out
}

/// `WHERE` for an example's row: `id = rowid` (the tables here have an
/// `id INTEGER PRIMARY KEY`), or the key columns of a WITHOUT ROWID table.
fn row_filter(example: &Value) -> String {
    if let Some(rowid) = example["rowid"].as_i64() {
        return format!("id = {rowid}");
    }
    example["key"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{} = {}", common::sql_ident(k), common::sql_literal(s)),
            other => format!("{} = {other}", common::sql_ident(k)),
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

#[test]
fn blobs_in_numeric_columns_and_infinities_that_load_show_what_they_become_in_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixtures::loads(dir.path());
    let out = pgbridge(&["inspect", src.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let j: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(j["blockers"], 0);

    // What the rules chose for each column, and what the loader makes of
    // each value there: (table, column, kind, count, pg_type, converter).
    for (t, c, kind, count, pg_type, conv) in [
        ("nums", "qty", "blob-in-numeric", 1, "text", "any-text"),
        (
            "nums",
            "ratio",
            "non-finite-real",
            2,
            "double precision",
            "real",
        ),
        ("nums", "total", "non-finite-real", 2, "numeric", "numeric"),
        ("nums", "misc", "non-finite-real", 2, "text", "any-text"),
        ("w", "v", "non-finite-real", 2, "double precision", "real"),
    ] {
        let p = problem(&j, t, c, kind);
        assert_eq!(p["count"], count, "{t}.{c}: {p}");
        let o = &p["outcome"];
        assert_eq!(
            (&o["pg_type"], &o["converter"], &o["loaded"], &o["refused"]),
            (&json!(pg_type), &json!(conv), &json!(count), &json!(0)),
            "{t}.{c}: {p}"
        );
        assert!(o.get("reason").is_none(), "{p}");
        assert_eq!(p["examples"].as_array().unwrap().len(), count as usize);
    }
    let p = problem(&j, "nums", "qty", "blob-in-numeric");
    assert_eq!(
        p["examples"],
        json!([{"rowid": 2, "value": "x'616263'", "loads_as": "abc"}])
    );
    let p = problem(&j, "nums", "ratio", "non-finite-real");
    let ratio = &j["tables"][0]["columns"][2];
    assert_eq!(ratio["name"], "ratio");
    assert_eq!(
        ratio["classes"],
        json!({"integer": 0, "real": 3, "text": 0, "blob": 0, "null": 1})
    );
    assert_eq!(
        p["examples"],
        json!([
            {"rowid": 2, "value": "Infinity", "loads_as": "Infinity"},
            {"rowid": 3, "value": "-Infinity", "loads_as": "-Infinity"}
        ])
    );
    assert_eq!(
        p["outcome"]["summary"],
        "2 value(s) load into double precision (real converter) as 'Infinity', '-Infinity'"
    );
    let p = problem(&j, "w", "v", "non-finite-real");
    assert_eq!(p["examples"][0]["key"], json!({"code": "a", "n": 2}));
    assert_eq!(p["examples"][0]["loads_as"], "-Infinity");

    let t = stdout(&pgbridge(&["inspect", src.to_str().unwrap()]));
    for s in [
        "nums.qty    INTEGER    blob-in-numeric  1  e.g. rowid 2 = \"x'616263'\" → abc",
        "outcome: 1 value(s) load into text (any-text converter) as 'abc'",
        "outcome: 2 value(s) load into numeric (numeric converter) as 'Infinity', '-Infinity'",
    ] {
        assert!(t.contains(s), "`{s}` missing from:\n{t}");
    }
    let strict = pgbridge(&["inspect", src.to_str().unwrap(), "--strict"]);
    assert_eq!(strict.status.code(), Some(0), "{}", text(&strict));

    // migrate the same file: every example holds what inspect said.
    let problems = outcomes(&j);
    assert_eq!(problems.len(), 5);
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("inspect_loads");
        let out = migrate(&src, &db, &[]);
        assert!(out.status.success(), "{v}:\n{}", text(&out));
        for (t, c, p) in &problems {
            for e in p["examples"].as_array().unwrap() {
                let have = db.scalar(&format!(
                    "SELECT {}::text FROM {} WHERE {}",
                    common::sql_ident(c),
                    common::sql_ident(t),
                    row_filter(e)
                ));
                assert_eq!(have, e["loads_as"].as_str().unwrap(), "{v} {t}.{c} {e}");
            }
            let pg_type = db.scalar(&format!(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute \
                 WHERE attrelid = {}::regclass AND attname = {}",
                common::sql_literal(t),
                common::sql_literal(c)
            ));
            assert_eq!(pg_type, p["outcome"]["pg_type"].as_str().unwrap(), "{v}");
        }
    }
}

#[test]
fn values_the_loader_refuses_are_blockers_and_stop_or_are_rejected_by_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixtures::refused(dir.path());
    let s = src.to_str().unwrap();
    let out = pgbridge(&["inspect", s, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let j: Value = serde_json::from_str(&stdout(&out)).unwrap();

    let price = problem(&j, "nums", "price", "non-finite-real");
    let o = &price["outcome"];
    assert_eq!(
        (&o["pg_type"], &o["converter"], &o["loaded"], &o["refused"]),
        (
            &json!("numeric(10,2)"),
            &json!("numeric"),
            &json!(0),
            &json!(1)
        ),
        "{price}"
    );
    assert_eq!(
        o["reason"],
        "infinity does not fit a numeric with a precision"
    );
    assert_eq!(
        price["examples"],
        json!([{"rowid": 2, "value": "Infinity",
                "refused": "infinity does not fit a numeric with a precision"}])
    );
    // Blobs in an INTEGER column, one of them binary: the column becomes
    // bytea (blob-values-in-other-column), which loads both exactly.
    let bad = problem(&j, "nums", "bad", "blob-in-numeric");
    let o = &bad["outcome"];
    assert_eq!(
        (&o["pg_type"], &o["converter"], &o["loaded"], &o["refused"]),
        (&json!("bytea"), &json!("bytes"), &json!(2), &json!(0)),
        "{bad}"
    );
    assert_eq!(
        bad["examples"],
        json!([{"rowid": 3, "value": "x'00ff'", "loads_as": "\\x00ff"},
               {"rowid": 4, "value": "x'6f6b'", "loads_as": "\\x6f6b"}])
    );

    // Each refusing column is a blocker, under the code migrate stops with.
    assert_eq!(j["blockers"], 1);
    let blockers: Vec<&Value> = j["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    assert_eq!(blockers.len(), 1);
    for (d, col) in blockers.iter().zip(["nums.price"]) {
        assert_eq!(d["code"], "value-not-convertible");
        assert_eq!(d["span"]["object"], col);
    }
    let strict = pgbridge(&["inspect", s, "--strict"]);
    assert_eq!(strict.status.code(), Some(1), "{}", text(&strict));
    let t = stdout(&strict);
    assert!(
        t.contains("error[value-not-convertible] nums.price: 1 non-finite-real value(s) cannot load into numeric(10,2) (numeric converter): infinity does not fit a numeric with a precision; the first is at rowid 2, where migrate would stop"),
        "{t}"
    );
    assert!(
        t.contains("e.g. rowid 3 = \"x'00ff'\" → \\x00ff, rowid 4 = \"x'6f6b'\" → \\x6f6b"),
        "{t}"
    );

    for v in PgVersion::ALL {
        // --on-error stop (the default): the run stops at rowid 2, for
        // inspect's reason.
        let db = cluster(v).new_db("inspect_refused");
        let out = migrate(&src, &db, &["--jobs", "1"]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{v}:\n{t}");
        assert!(t.contains("value-not-convertible"), "{t}");
        assert!(
            t.contains(&format!(
                "table nums, rowid 2, column price: cannot convert Infinity to numeric(10,2) (numeric converter): {}",
                price["outcome"]["reason"].as_str().unwrap()
            )),
            "{v}:\n{t}"
        );

        // --on-error reject: exactly the refused rows are filed, with
        // inspect's reasons; the UTF-8 blob loads as inspect said.
        let db = cluster(v).new_db("inspect_rejected");
        let rejects = dir.path().join(format!("rejects-{}.jsonl", v.major()));
        let out = migrate(
            &src,
            &db,
            &[
                "--on-error",
                "reject",
                "--rejects",
                rejects.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{v}:\n{}", text(&out));
        let mut filed: Vec<(i64, String, String)> = std::fs::read_to_string(&rejects)
            .unwrap()
            .lines()
            .map(|l| {
                let r: Value = serde_json::from_str(l).unwrap();
                (
                    r["rowid"].as_i64().unwrap(),
                    r["column"].as_str().unwrap().to_string(),
                    r["reason"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        filed.sort();
        let reason = |p: &Value| p["outcome"]["reason"].as_str().unwrap().to_string();
        assert_eq!(filed, vec![(2, "price".to_string(), reason(price))], "{v}");
        assert_eq!(
            db.query("SELECT id, encode(bad, 'hex') FROM nums ORDER BY id"),
            vec![vec!["1", "31"], vec!["3", "00ff"], vec!["4", "6f6b"]],
            "{v}"
        );
    }
}

/// A value no problem check describes but the loader refuses — a NUL byte
/// in text of an INTEGER column that became text — is still a blocker:
/// inspect --strict fails where migrate stops, naming the same row.
#[test]
fn every_value_migrate_would_refuse_is_a_blocker() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixtures::nul_in_integer(dir.path());
    let s = src.to_str().unwrap();
    let i = pgbridge(&["inspect", s, "--strict"]);
    let it = text(&i);
    assert_eq!(i.status.code(), Some(1), "{it}");
    assert!(
        it.contains("error[value-not-convertible] t.n:") && it.contains("rowid 2"),
        "{it}"
    );
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("inspect_nul");
        let out = migrate(&src, &db, &[]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{v}: {t}");
        assert!(t.contains("rowid 2, column n"), "{v}: {t}");
    }
}

/// Issue 11 §7, inspect predicts migrate, on every fixture and the example
/// database: `inspect --strict` fails exactly when a default `migrate`
/// fails, and the rows inspect says the loader refuses (`refused_rows` of
/// each table: rows, not values — a row refused in two columns is one
/// reject) are exactly the rows `--on-error reject` files, table by table.
/// The corpus half — every corpus database migrates, verifies and inspects
/// with no blocker — is in tests/migrate.rs.
#[test]
fn inspect_predicts_migrate_and_its_rejects_on_every_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let example =
        || std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/blog.db"));
    let mut sources: Vec<(String, PathBuf)> = fixtures::ALL
        .iter()
        .map(|(name, build)| {
            let sub = dir.path().join(name);
            std::fs::create_dir_all(&sub).unwrap();
            (name.to_string(), build(&sub))
        })
        .collect();
    sources.push(("examples/blog.db".into(), example()));
    let (mut blocked, mut rows_with_two) = (0, 0);
    for (name, src) in &sources {
        let s = src.to_str().unwrap();
        let out = pgbridge(&["inspect", s, "--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out));
        let j: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let blockers = j["blockers"].as_u64().unwrap();
        let refused: BTreeMap<String, u64> = j["tables"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["refused_rows"].as_u64().unwrap_or(0) > 0)
            .map(|t| {
                (
                    t["name"].as_str().unwrap().to_string(),
                    t["refused_rows"].as_u64().unwrap(),
                )
            })
            .collect();
        let values: u64 = j["tables"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|t| t["columns"].as_array().unwrap())
            .flat_map(|c| c["problems"].as_array().unwrap())
            .map(|p| p["outcome"]["refused"].as_u64().unwrap_or(0))
            .sum();
        if values > refused.values().sum::<u64>() {
            rows_with_two += 1;
        }
        let strict = pgbridge(&["inspect", s, "--strict"]);
        assert_eq!(
            strict.status.code(),
            Some(i32::from(blockers > 0)),
            "{name}: {}",
            text(&strict)
        );
        let db = cluster(PgVersion::V18).new_db("predict");
        let out = migrate(src, &db, &[]);
        assert_eq!(
            out.status.code(),
            Some(i32::from(blockers > 0)),
            "{name}: inspect found {blockers} blocker(s); migrate said:\n{}",
            text(&out)
        );
        if blockers == 0 {
            assert!(refused.is_empty(), "{name}: {refused:?}");
            continue;
        }
        blocked += 1;
        let only_values = j["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["severity"] == "error")
            .all(|d| d["code"] == "value-not-convertible");
        let db = cluster(PgVersion::V18).new_db("predict_reject");
        let rejects = dir.path().join(format!("{name}.rejects.jsonl"));
        let out = migrate(
            src,
            &db,
            &[
                "--on-error",
                "reject",
                "--rejects",
                rejects.to_str().unwrap(),
            ],
        );
        assert_eq!(out.status.success(), only_values, "{name}:\n{}", text(&out));
        if !only_values {
            continue;
        }
        let mut filed: BTreeMap<String, u64> = BTreeMap::new();
        for line in std::fs::read_to_string(&rejects).unwrap().lines() {
            let r: Value = serde_json::from_str(line).unwrap();
            *filed
                .entry(r["table"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        assert_eq!(
            filed, refused,
            "{name}: rejects filed vs refused rows inspect predicted"
        );
    }
    // The test can fail both ways: some fixture blocks, and in one a row is
    // refused in two columns (counting values would over-predict).
    assert!(blocked >= 3, "{blocked} fixtures with blockers");
    assert!(rows_with_two >= 1);
}
