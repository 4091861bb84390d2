//! The trigger translator: what each SQLite form becomes, and what is
//! refused with which reason, over a small catalog.
use super::query::{Catalog, Relation};
use super::trigger::{Target, TranslatedTrigger, translate_trigger};
use super::{ColumnInfo, TimeSource};

fn col(name: &str, pg_type: &str) -> (String, ColumnInfo) {
    (
        name.to_string(),
        ColumnInfo {
            pg_name: name.to_string(),
            pg_type: pg_type.to_string(),
            sqlite_class: None,
            time: None::<TimeSource>,
        },
    )
}

/// `t(id, name, flag boolean, ts text)`, `log(id, msg)`, the view `v(id, name)`.
fn catalog() -> Catalog {
    let mut c = Catalog::default();
    let t = vec![
        col("id", "bigint"),
        col("name", "text"),
        col("flag", "boolean"),
        col("ts", "text"),
    ];
    let log = vec![col("id", "bigint"), col("msg", "text")];
    let v = vec![col("id", "bigint"), col("name", "text")];
    for (n, cols) in [("t", t), ("log", log), ("v", v)] {
        let rel = Relation {
            pg_name: n.into(),
            columns: cols,
            rowid: None,
        };
        c.relations.insert(n.into(), rel);
    }
    c
}

fn translate(sql: &str) -> Result<TranslatedTrigger, String> {
    let table = sql
        .split(" ON ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_default()
        .to_string();
    let key = vec!["id".to_string()];
    let target = Target {
        name: &table,
        is_view: table == "v",
        key: &key,
    };
    translate_trigger(sql, &catalog(), &target).map_err(|e| e.reason)
}

fn ok(sql: &str) -> TranslatedTrigger {
    translate(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn refused(sql: &str) -> String {
    match translate(sql) {
        Ok(t) => panic!("{sql}: translated as\n{}", t.body),
        Err(e) => e,
    }
}

#[test]
fn if_not_exists_and_no_timing_read_as_before() {
    let t = ok("CREATE TRIGGER IF NOT EXISTS a INSERT ON t BEGIN DELETE FROM log; END");
    assert_eq!((t.timing, t.event), ("BEFORE", "INSERT"));
    assert!(t.body.contains("DELETE FROM log AS log;"), "{}", t.body);
}

#[test]
fn raise_where_becomes_if_raise_exception_with_the_message() {
    let t = ok("CREATE TRIGGER a BEFORE INSERT ON t BEGIN \
                SELECT RAISE(ABORT, 'it''s bad') WHERE NEW.flag = 1; END");
    assert!(
        t.body.contains(
            "IF new.flag = true THEN\n    RAISE EXCEPTION USING MESSAGE = 'it''s bad', \
             ERRCODE = 'integrity_constraint_violation';"
        ),
        "{}",
        t.body
    );
}

#[test]
fn raise_case_becomes_if_elsif() {
    let t = ok("CREATE TRIGGER a BEFORE DELETE ON t BEGIN SELECT CASE \
                WHEN OLD.id = 1 THEN RAISE(ABORT, 'one') \
                WHEN OLD.id = 2 THEN RAISE(ROLLBACK, 'two') END; END");
    assert!(t.body.contains("IF old.id = 1 THEN"), "{}", t.body);
    assert!(t.body.contains("ELSIF old.id = 2 THEN"), "{}", t.body);
    assert!(t.notes.iter().any(|n| n.contains("RAISE(ROLLBACK)")));
}

#[test]
fn raise_over_a_from_clause_tests_exists() {
    let t = ok("CREATE TRIGGER a BEFORE INSERT ON log BEGIN \
                SELECT RAISE(FAIL, 'dup') FROM t WHERE t.name = NEW.msg; END");
    assert!(t.body.contains("IF EXISTS (SELECT 1"), "{}", t.body);
    assert!(t.notes.iter().any(|n| n.contains("RAISE(FAIL)")));
}

#[test]
fn raise_ignore_returns_null_before_and_is_refused_after() {
    let t = ok("CREATE TRIGGER a BEFORE INSERT ON t BEGIN SELECT RAISE(IGNORE); END");
    assert!(t.body.contains("RETURN NULL;"), "{}", t.body);
    let e = refused("CREATE TRIGGER a AFTER INSERT ON t BEGIN SELECT RAISE(IGNORE); END");
    assert!(e.contains("RAISE(IGNORE) in an AFTER trigger"), "{e}");
}

#[test]
fn updated_at_by_rowid_or_key_becomes_before_assigning_new() {
    for w in ["rowid = new.rowid", "id = NEW.id", "NEW.id = id"] {
        let t = ok(&format!(
            "CREATE TRIGGER a AFTER UPDATE ON t BEGIN \
             UPDATE t SET ts = 'x' WHERE {w}; END"
        ));
        assert_eq!(t.timing, "BEFORE", "{w}");
        assert!(t.body.contains("new.ts := 'x';"), "{w}: {}", t.body);
    }
    let t = ok("CREATE TRIGGER a AFTER UPDATE ON t BEGIN \
                UPDATE t SET ts = name, name = ts WHERE id = NEW.id AND OLD.flag; END");
    assert!(
        t.body
            .contains("IF old.flag THEN\n    SELECT new.name, new.ts INTO new.ts, new.name;"),
        "{}",
        t.body
    );
}

#[test]
fn update_by_old_key_stays_after() {
    let t = ok("CREATE TRIGGER a AFTER UPDATE ON t BEGIN \
                UPDATE t SET ts = 'x' WHERE id = OLD.id; END");
    assert_eq!(t.timing, "AFTER");
    assert!(
        t.body
            .contains("UPDATE t AS t SET ts = 'x' WHERE t.id = old.id;"),
        "{}",
        t.body
    );
}

#[test]
fn rowid_outside_the_idiom_is_refused() {
    let e = refused(
        "CREATE TRIGGER a AFTER INSERT ON t BEGIN \
                     INSERT INTO log (id) VALUES (NEW.rowid); END",
    );
    assert!(
        e.contains("`NEW.rowid` is SQLite's implicit row id, which PostgreSQL does not have"),
        "{e}"
    );
}

#[test]
fn a_table_that_is_not_migrated_is_named_with_what_it_is_and_whether_written() {
    let mut c = catalog();
    c.not_migrated.insert(
        "t_fts".into(),
        "an fts5 virtual table (a full-text index)".into(),
    );
    let key = vec!["id".to_string()];
    let target = Target {
        name: "t",
        is_view: false,
        key: &key,
    };
    let reason = |sql: &str| {
        translate_trigger(sql, &c, &target)
            .map(|_| ())
            .unwrap_err()
            .reason
    };
    let e = reason(
        "CREATE TRIGGER a AFTER INSERT ON t BEGIN \
             INSERT INTO t_fts (rowid, name) VALUES (NEW.id, NEW.name); END",
    );
    assert_eq!(
        e,
        "it writes `t_fts`, an fts5 virtual table (a full-text index), which is not migrated \
         as a table"
    );
    let e = reason(
        "CREATE TRIGGER a AFTER DELETE ON t BEGIN \
             DELETE FROM t_fts WHERE name = OLD.name; END",
    );
    assert!(e.starts_with("it writes `t_fts`, an fts5"), "{e}");
    let e = reason(
        "CREATE TRIGGER a AFTER INSERT ON t BEGIN \
             INSERT INTO log (msg) SELECT name FROM t_fts; END",
    );
    assert!(e.starts_with("it reads `t_fts`, an fts5"), "{e}");
    let e = reason(
        "CREATE TRIGGER a AFTER INSERT ON t BEGIN \
             INSERT INTO nowhere (msg) VALUES (NEW.name); END",
    );
    assert_eq!(e, "it writes `nowhere`, which is not a migrated table");
}

#[test]
fn application_defined_functions_are_named() {
    let e = refused(
        "CREATE TRIGGER a AFTER INSERT ON t BEGIN \
                     UPDATE t SET name = title_sort(NEW.name) WHERE id = NEW.id; END",
    );
    assert!(e.contains("title_sort"), "{e}");
}

#[test]
fn conflict_clauses_are_refused() {
    let e = refused(
        "CREATE TRIGGER a AFTER INSERT ON t BEGIN \
                     INSERT OR IGNORE INTO log (id) VALUES (NEW.id); END",
    );
    assert!(e.contains("conflict"), "{e}");
}

#[test]
fn instead_of_on_a_view_returns_the_row() {
    let t = ok("CREATE TRIGGER a INSTEAD OF INSERT ON v BEGIN \
                INSERT INTO t (id, name, flag) VALUES (NEW.id, NEW.name, 0); END");
    assert_eq!(t.timing, "INSTEAD OF");
    assert!(
        t.body
            .contains("INSERT INTO t (id, name, flag) VALUES (new.id, new.name, false);"),
        "{}",
        t.body
    );
    assert!(t.body.ends_with("RETURN NEW;\nEND"), "{}", t.body);
    let e = refused("CREATE TRIGGER a INSTEAD OF UPDATE OF name ON v BEGIN DELETE FROM t; END");
    assert!(e.contains("column list"), "{e}");
    let e = refused("CREATE TRIGGER a BEFORE INSERT ON v BEGIN DELETE FROM t; END");
    assert!(e.contains("on a view"), "{e}");
}

#[test]
fn when_and_update_of_are_kept() {
    let t = ok(
        "CREATE TRIGGER a AFTER UPDATE OF name ON t WHEN OLD.name <> NEW.name BEGIN \
                INSERT INTO log (msg) VALUES (OLD.name || ' -> ' || NEW.name); END",
    );
    assert_eq!(t.update_of, vec!["name".to_string()]);
    assert!(
        t.body
            .contains("IF (old.name <> new.name) IS NOT TRUE THEN\n    RETURN NULL;"),
        "{}",
        t.body
    );
}
