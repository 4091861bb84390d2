//! Triggers on data, against real PostgreSQL 15 and 18, differentially: a
//! SQLite fixture is migrated with `pgbridge migrate`, then one DML script
//! runs statement by statement on a copy of the SQLite file and on
//! PostgreSQL. Each statement must succeed on both or fail on both with the
//! same message (`RAISE(ABORT, msg)` → `RAISE EXCEPTION` with `msg`), and
//! afterwards every table must hold the same rows — except columns written
//! from clocks (`updated_at`), which must be set on both, not equal.
//! Covered: validation with RAISE(ABORT) (WHERE and CASE forms), RAISE
//! (IGNORE), audit/ledger inserts, the updated_at idiom (by key and by
//! rowid), cascades written as triggers (whose DML fires further
//! triggers), a trigger updating its own table (SQLite does not recurse),
//! INSTEAD OF on a view, WHEN clauses, UPDATE OF columns, and hostile
//! names and messages. The corpus test counts what translates and proves
//! every translated trigger applies.
mod common;

use common::{PgVersion, TestDb, cluster, compile, corpus, pgbridge, sql_ident, text};
use pgbridge::rewrite::RulePack;
use pgbridge::translate::appfn::{AppFunctions, expand_sqlite};
use rusqlite::Connection;
use rusqlite::types::ValueRef;
use std::path::Path;

const SCHEMA: &str = r#"
CREATE TABLE item (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    qty INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    updated_at TEXT
);
CREATE TABLE ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id INTEGER,
    action TEXT NOT NULL,
    old_qty INTEGER,
    new_qty INTEGER
);
CREATE TABLE stamp (code TEXT NOT NULL, note TEXT, last_update TEXT);
CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER, name TEXT);
CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
CREATE VIEW item_view AS SELECT id, name, qty FROM item;

CREATE TRIGGER item_qty_check BEFORE INSERT ON item
BEGIN
    SELECT RAISE(ABORT, 'qty must not be negative') WHERE NEW.qty < 0;
END;
CREATE TRIGGER item_delete_check BEFORE DELETE ON item
BEGIN
    SELECT CASE
        WHEN OLD.active = 1 THEN RAISE(ABORT, 'deactivate the item first')
        WHEN OLD.qty > 100 THEN RAISE(FAIL, 'too much stock to delete')
    END;
END;
CREATE TRIGGER item_updated AFTER UPDATE ON item
BEGIN
    UPDATE item SET updated_at = datetime('now') WHERE id = NEW.id;
END;
CREATE TRIGGER item_inserted AFTER INSERT ON item
BEGIN
    INSERT INTO ledger (item_id, action, old_qty, new_qty) VALUES (NEW.id, 'insert', NULL, NEW.qty);
END;
CREATE TRIGGER item_qty_audit AFTER UPDATE OF qty ON item WHEN OLD.qty <> NEW.qty
BEGIN
    INSERT INTO ledger (item_id, action, old_qty, new_qty) VALUES (NEW.id, 'qty', OLD.qty, NEW.qty);
END;
CREATE TRIGGER item_deleted AFTER DELETE ON item
BEGIN
    INSERT INTO ledger (item_id, action, old_qty) VALUES (OLD.id, 'delete', OLD.qty);
END;
CREATE TRIGGER ledger_skip BEFORE INSERT ON ledger WHEN NEW.action = 'noise'
BEGIN
    SELECT RAISE(IGNORE);
END;
CREATE TRIGGER stamp_ai AFTER INSERT ON stamp
BEGIN
    UPDATE stamp SET last_update = DATETIME('NOW') WHERE rowid = new.rowid;
END;
CREATE TRIGGER stamp_au AFTER UPDATE ON stamp
BEGIN
    UPDATE stamp SET last_update = DATETIME('NOW') WHERE rowid = new.rowid;
END;
CREATE TRIGGER parent_cascade AFTER DELETE ON parent
BEGIN
    DELETE FROM child WHERE parent_id = OLD.id;
END;
CREATE TRIGGER child_gone AFTER DELETE ON child
BEGIN
    INSERT INTO ledger (item_id, action) VALUES (OLD.id, 'child deleted');
END;
CREATE TRIGGER counter_bump AFTER UPDATE ON counter WHEN NEW.id <> 0
BEGIN
    UPDATE counter SET n = n + 1 WHERE id = 0;
    UPDATE counter SET n = n + 10 WHERE id = NEW.id;
END;
CREATE TRIGGER item_view_insert INSTEAD OF INSERT ON item_view
BEGIN
    INSERT INTO item (id, name, qty) VALUES (NEW.id, upper(NEW.name), NEW.qty);
END;
CREATE TRIGGER item_view_update INSTEAD OF UPDATE ON item_view
BEGIN
    UPDATE item SET name = NEW.name, qty = NEW.qty WHERE id = OLD.id;
END;
CREATE TRIGGER item_view_delete INSTEAD OF DELETE ON item_view
BEGIN
    UPDATE item SET active = 0 WHERE id = OLD.id;
    DELETE FROM item WHERE id = OLD.id;
END;

INSERT INTO item (id, name, qty, active, updated_at) VALUES (1, 'bolt', 10, 1, NULL), (2, 'nut', 200, 0, NULL);
INSERT INTO parent VALUES (1, 'p1'), (2, 'p2');
INSERT INTO child VALUES (1, 1, 'c1'), (2, 1, 'c2'), (3, 2, 'c3');
INSERT INTO counter VALUES (0, 0), (1, 0), (2, 0);
INSERT INTO stamp (code, note) VALUES ('a', 'first');
"#;

/// The DML both sides run; booleans written as '0'/'1' text, which SQLite
/// stores as integers and PostgreSQL reads as booleans.
const DML: &[&str] = &[
    "INSERT INTO item (id, name, qty) VALUES (3, 'washer', 5)",
    "INSERT INTO item (id, name, qty) VALUES (4, 'bad', -1)",
    "UPDATE item SET qty = 12 WHERE id = 1",
    "UPDATE item SET name = 'bolt M6' WHERE id = 1",
    "UPDATE item SET qty = qty WHERE id = 3",
    "DELETE FROM item WHERE id = 1",
    "DELETE FROM item WHERE id = 2",
    "UPDATE item SET active = '0' WHERE id = 1",
    "DELETE FROM item WHERE id = 1",
    "INSERT INTO ledger (item_id, action) VALUES (9, 'noise')",
    "INSERT INTO ledger (item_id, action) VALUES (9, 'signal')",
    "INSERT INTO stamp (code, note) VALUES ('b', 'second')",
    "UPDATE stamp SET note = 'changed' WHERE code = 'a'",
    "DELETE FROM parent WHERE id = 1",
    "UPDATE counter SET n = 5 WHERE id = 1",
    "UPDATE counter SET n = 7 WHERE id = 0",
    "INSERT INTO item_view (id, name, qty) VALUES (5, 'spring', 3)",
    "UPDATE item_view SET qty = 4 WHERE id = 5",
    "DELETE FROM item_view WHERE id = 3",
];

/// Tables and their clock columns. `ledger.id` counts as one: an insert
/// that fails or that `RAISE(IGNORE)` drops has taken a number from
/// PostgreSQL's sequence, not from SQLite's AUTOINCREMENT.
const TABLES: &[(&str, &[&str])] = &[
    ("item", &["updated_at"]),
    ("ledger", &["id"]),
    ("stamp", &["last_update"]),
    ("parent", &[]),
    ("child", &[]),
    ("counter", &[]),
];

fn canonical_number(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    format!("{x:.8e}")
}

/// `2016-07-04 00:00:00`, `2016-07-04T00:00:00` → one form.
fn canonical_text(s: &str) -> String {
    let b = s.as_bytes();
    let date_like = b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b' ' || b[10] == b'T')
        && b[..4].iter().all(u8::is_ascii_digit);
    if !date_like {
        return format!("'{s}'");
    }
    let rest = s[19..]
        .trim_start_matches(".000")
        .trim_end_matches("+00:00");
    format!("{} {}{rest}", &s[..10], &s[11..19])
}

/// One SQLite value as the comparison reads it.
fn sqlite_cell(v: ValueRef) -> String {
    match v {
        ValueRef::Null => "null".into(),
        ValueRef::Integer(i) => canonical_number(i as f64),
        ValueRef::Real(r) => canonical_number(r),
        ValueRef::Text(t) => canonical_text(&String::from_utf8_lossy(t)),
        // A blob of UTF-8 text may have become text (the column rule
        // decides); it is compared as text.
        ValueRef::Blob(b) => match std::str::from_utf8(b) {
            Ok(t) => canonical_text(t),
            Err(_) => format!("x{}", hex(b)),
        },
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn pg_cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "null".into(),
        serde_json::Value::Bool(b) => canonical_number(f64::from(u8::from(*b))),
        serde_json::Value::Number(n) => canonical_number(n.as_f64().unwrap()),
        serde_json::Value::String(s) => match s.strip_prefix("\\x") {
            Some(h) => format!("x{h}"),
            None => canonical_text(s),
        },
        other => other.to_string(),
    }
}

/// A clock column's value: not set, set before 2001 (the scripts' marker
/// for "a trigger must overwrite this"), or set.
fn clock(cell: String) -> String {
    if is_uuid4(cell.trim_matches('\'')) {
        return "uuid4".into();
    }
    let year: Option<u32> = cell.get(..4).and_then(|y| y.parse().ok());
    match year {
        _ if cell == "null" => cell,
        Some(y) if y < 2001 => "old".into(),
        _ => "set".into(),
    }
}

/// A random (version 4) UUID in lower-case text, as calibre's `uuid4()`
/// writes it.
fn is_uuid4(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    let hex = |g: &str| {
        g.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| hex(g))
        && groups[2].starts_with('4')
        && groups[3].starts_with(['8', '9', 'a', 'b'])
}

fn sqlite_table(conn: &Connection, table: &str, clocks: &[&str]) -> (Vec<String>, Vec<String>) {
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM {}", sql_ident(table)))
        .unwrap();
    let names: Vec<String> = stmt.column_names().map(str::to_string).collect();
    let mut rows = Vec::new();
    let mut q = stmt.query([]).unwrap();
    while let Some(r) = q.next().unwrap() {
        let cells: Vec<String> = (0..names.len())
            .map(|i| {
                let c = sqlite_cell(r.get_ref(i).unwrap());
                if clocks.contains(&names[i].as_str()) {
                    clock(c)
                } else {
                    c
                }
            })
            .collect();
        rows.push(cells.join("|"));
    }
    rows.sort();
    (names, rows)
}

fn pg_table(db: &TestDb, table: &str, names: &[String], clocks: &[&str]) -> Vec<String> {
    let mut rows: Vec<String> = db
        .json_rows(table, names)
        .into_iter()
        .map(|cells| {
            cells
                .iter()
                .zip(names)
                .map(|(c, n)| {
                    let c = pg_cell(c);
                    if clocks.contains(&n.as_str()) {
                        clock(c)
                    } else {
                        c
                    }
                })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    rows.sort();
    rows
}

/// Ok, or the error's message (SQLite's text; PostgreSQL's primary message).
fn run_sqlite(conn: &Connection, sql: &str) -> Result<(), String> {
    conn.execute_batch(sql).map_err(|e| match e {
        rusqlite::Error::SqliteFailure(_, Some(m)) => m,
        other => other.to_string(),
    })
}

fn run_pg(client: &mut postgres::Client, sql: &str) -> Result<(), (String, String)> {
    client
        .batch_execute(sql)
        .map_err(|e| match e.as_db_error() {
            Some(d) => (d.message().to_string(), d.code().code().to_string()),
            None => (e.to_string(), String::new()),
        })
}

/// The fixture at `dir/name`, built from `schema`.
fn fixture(dir: &Path, name: &str, schema: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(schema).unwrap();
    path
}

/// Migrates `db_path`, runs `dml` on both sides, compares every table.
fn differential(v: PgVersion, db_path: &Path, dml: &[&str], tables: &[(&str, &[&str])]) {
    differential_kept(v, db_path, dml, tables, 0);
}

/// [`differential`] where `kept` triggers stay comments.
fn differential_kept(
    v: PgVersion,
    db_path: &Path,
    dml: &[&str],
    tables: &[(&str, &[&str])],
    kept: usize,
) {
    differential_with(v, db_path, dml, tables, kept, None);
}

/// [`differential_kept`], migrated with the rule pack `pack`; the SQLite
/// copy's triggers that call the pack's application functions are
/// recreated with those expanded (SQLite does not have them). Returns the
/// PostgreSQL database.
fn differential_with(
    v: PgVersion,
    db_path: &Path,
    dml: &[&str],
    tables: &[(&str, &[&str])],
    kept: usize,
    pack: Option<&Path>,
) -> TestDb {
    let db = cluster(v).new_db("triggers");
    let mut args = vec!["migrate", db_path.to_str().unwrap(), db.url.as_str()];
    if let Some(p) = pack {
        args.extend(["--rules", p.to_str().unwrap()]);
    }
    let out = pgbridge(&args);
    assert!(out.status.success(), "migrate on {v:?}: {}", text(&out));
    let kept_count = text(&out)
        .matches("warning[trigger-kept-as-comment]")
        .count();
    assert_eq!(
        kept_count,
        kept,
        "triggers kept as comments:\n{}",
        text(&out)
    );
    let copy = db_path.with_extension("copy.db");
    std::fs::copy(db_path, &copy).unwrap();
    let conn = Connection::open(&copy).unwrap();
    if let Some(p) = pack {
        expand_triggers(&conn, &RulePack::load(&[p]).unwrap().functions);
    }
    let mut client = db.connect();
    for sql in dml {
        let want = run_sqlite(&conn, sql);
        let got = run_pg(&mut client, sql);
        match (&want, &got) {
            (Ok(()), Ok(())) => {}
            (Err(w), Err((g, code))) => {
                assert_eq!(g, w, "{sql} on {v:?}: the same message");
                assert_eq!(code, "23000", "{sql} on {v:?}: RAISE's SQLSTATE");
            }
            _ => panic!("{sql} on {v:?}: SQLite {want:?}, PostgreSQL {got:?}"),
        }
    }
    for (table, clocks) in tables {
        let (names, want) = sqlite_table(&conn, table, clocks);
        let got = pg_table(&db, table, &names, clocks);
        assert_eq!(got, want, "{table} on {v:?}: rows after the script");
    }
    drop(conn);
    std::fs::remove_file(&copy).unwrap();
    db
}

/// Recreate each trigger of `conn` that calls one of `functions` with the
/// calls expanded to their declared SQLite meaning.
fn expand_triggers(conn: &Connection, functions: &AppFunctions) {
    let mut stmt = conn
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        .unwrap();
    let triggers: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (name, sql) in triggers {
        if let Some(expanded) = expand_sqlite(&sql, functions).unwrap() {
            conn.execute_batch(&format!("DROP TRIGGER {};\n{expanded};", sql_ident(&name)))
                .unwrap_or_else(|e| panic!("{name}: {e}\n{expanded}"));
        }
    }
}

#[test]
fn triggers_behave_as_in_sqlite_on_15_and_18() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path(), "app.db", SCHEMA);
    for v in PgVersion::ALL {
        differential(v, &path, DML, TABLES);
    }
}

#[test]
fn updated_at_idiom_does_not_loop_and_sets_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path(), "app.db", SCHEMA);
    let db = cluster(PgVersion::V18).new_db("triggers");
    let out = pgbridge(&["migrate", path.to_str().unwrap(), db.url.as_str()]);
    assert!(out.status.success(), "{}", text(&out));
    db.psql("UPDATE item SET qty = 11 WHERE id = 1; UPDATE stamp SET note = 'x';")
        .unwrap();
    assert_eq!(
        db.scalar("SELECT count(*) FROM item WHERE updated_at IS NOT NULL"),
        "1"
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM stamp WHERE last_update IS NOT NULL"),
        "1"
    );
    assert_eq!(
        db.scalar("SELECT tgtype & 2 FROM pg_trigger WHERE tgname = 'item_updated'"),
        "2",
        "the idiom becomes a BEFORE trigger"
    );
}

/// The loader's and live sync's switch: with `pgbridge.skip_triggers` on, no trigger acts.
#[test]
fn skip_triggers_setting_silences_every_trigger() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path(), "app.db", SCHEMA);
    let db = cluster(PgVersion::V15).new_db("triggers");
    let out = pgbridge(&["migrate", path.to_str().unwrap(), db.url.as_str()]);
    assert!(out.status.success(), "{}", text(&out));
    db.psql(
        "SET pgbridge.skip_triggers = on; \
         INSERT INTO item (id, name, qty) VALUES (7, 'applied', -5); \
         UPDATE item SET qty = 1 WHERE id = 2; DELETE FROM item WHERE id = 1;",
    )
    .unwrap();
    // The two rows the fixture's own inserts logged in SQLite, no more.
    assert_eq!(db.scalar("SELECT count(*) FROM ledger"), "2");
    assert_eq!(
        db.scalar("SELECT count(*) FROM item WHERE updated_at IS NOT NULL"),
        "0"
    );
}

/// Under `--schema`, a function finds its tables whatever the caller's
/// search path.
#[test]
fn triggers_in_a_schema_find_their_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path(), "app.db", SCHEMA);
    let db = cluster(PgVersion::V18).new_db("triggers");
    let args = [
        "migrate",
        path.to_str().unwrap(),
        db.url.as_str(),
        "--schema",
        "legacy",
    ];
    let out = pgbridge(&args);
    assert!(out.status.success(), "{}", text(&out));
    db.psql("SET search_path TO public; UPDATE legacy.item SET qty = 3 WHERE id = 1;")
        .unwrap();
    assert_eq!(
        db.scalar("SELECT count(*) FROM legacy.ledger WHERE action = 'qty'"),
        "1"
    );
}

const HOSTILE: &str = r#"
CREATE TABLE "we""ird $$ */ tab\le" ("i""d" INTEGER PRIMARY KEY, "va$$l ue" TEXT, "lo */ g" TEXT);
CREATE TRIGGER "tr""ig $$ */ \
x" BEFORE INSERT ON "we""ird $$ */ tab\le"
BEGIN
    SELECT RAISE(ABORT, 'it''s $$ bad */ \ here
and there') WHERE NEW."va$$l ue" = 'bad';
END;
CREATE TRIGGER "tr$pgbridge$ig" AFTER INSERT ON "we""ird $$ */ tab\le"
BEGIN
    UPDATE "we""ird $$ */ tab\le" SET "lo */ g" = '$pgbridge$ ''q'' \ */' || NEW."va$$l ue" WHERE "i""d" = NEW."i""d";
END;
"#;

#[test]
fn hostile_names_and_messages_apply_and_behave_on_15_and_18() {
    let dir = tempfile::tempdir().unwrap();
    // A line separator in a column name: PostgreSQL reads it as U&"…".
    let sep = |s: &str| s.replace("l ue", "l\u{2028}ue");
    let path = fixture(dir.path(), "hostile.db", &sep(HOSTILE));
    let dml = [
        sep(r#"INSERT INTO "we""ird $$ */ tab\le" ("i""d", "va$$l ue") VALUES (1, 'good')"#),
        sep(r#"INSERT INTO "we""ird $$ */ tab\le" ("i""d", "va$$l ue") VALUES (2, 'bad')"#),
    ];
    let dml: Vec<&str> = dml.iter().map(String::as_str).collect();
    let tables: &[(&str, &[&str])] = &[("we\"ird $$ */ tab\\le", &[])];
    for v in PgVersion::ALL {
        differential(v, &path, &dml, tables);
    }
}

#[test]
fn psql_path_creates_the_triggers_and_rollback_removes_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path(), "app.db", SCHEMA);
    let set = dir.path().join("set");
    let out = compile(&path, &set);
    assert!(out.status.success(), "{}", text(&out));
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("triggers");
        let files = ["01_schema.sql", "02_load.sql", "03_constraints.sql"];
        let run = db.psql_set(&set, &files, &path);
        assert!(run.status.success(), "{v:?}: {}", text(&run));
        let n = db.scalar("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal");
        assert_eq!(n, "15", "{v:?}: every trigger created");
        db.psql("UPDATE item SET qty = 99 WHERE id = 1").unwrap();
        assert_eq!(
            db.scalar("SELECT count(*) FROM ledger WHERE action = 'qty'"),
            "1"
        );
        db.psql_file(&set.join("rollback.sql")).unwrap();
        assert_eq!(db.objects(), Vec::<String>::new(), "{v:?}: rollback");
    }
}

const SAKILA_TABLES: &[&str] = &[
    "actor",
    "address",
    "category",
    "city",
    "country",
    "customer",
    "film",
    "film_actor",
    "film_category",
    "inventory",
    "language",
    "payment",
    "rental",
    "staff",
    "store",
];

/// Sakila's 30 triggers keep `last_update` current: every table's rows
/// are marked old (15 AFTER UPDATE triggers), and a row inserted into
/// each (15 AFTER INSERT triggers), on both sides; the triggers must have
/// set every mark.
#[test]
fn sakila_triggers_keep_last_update_current_on_15_and_18() {
    let mut dml: Vec<String> = SAKILA_TABLES
        .iter()
        .map(|t| format!("UPDATE {t} SET last_update = '2000-01-01 00:00:00'"))
        .collect();
    dml.extend([
        "INSERT INTO actor (first_name, last_name, last_update) VALUES ('ANN', 'LEE', '2000-01-01 00:00:00')".to_string(),
        "INSERT INTO category (category_id, name, last_update) VALUES (17, 'Opera', '2000-01-01 00:00:00')".into(),
        "INSERT INTO language (language_id, name, last_update) VALUES (7, 'Latin', '2000-01-01 00:00:00')".into(),
        "INSERT INTO country (country_id, country, last_update) VALUES (110, 'Atlantis', '2000-01-01 00:00:00')".into(),
        "INSERT INTO city (city_id, city, country_id, last_update) VALUES (601, 'Poseidonis', 110, '2000-01-01 00:00:00')".into(),
        "INSERT INTO address (address_id, address, district, city_id, phone, last_update) VALUES (606, '1 Deep Road', 'Sea', 601, '0', '2000-01-01 00:00:00')".into(),
        "INSERT INTO film_actor (actor_id, film_id, last_update) VALUES (201, 1, '2000-01-01 00:00:00')".into(),
        "INSERT INTO film_category (film_id, category_id, last_update) VALUES (1, 17, '2000-01-01 00:00:00')".into(),
        "INSERT INTO inventory (inventory_id, film_id, store_id, last_update) VALUES (4582, 1, 1, '2000-01-01 00:00:00')".into(),
        "INSERT INTO staff (staff_id, first_name, last_name, address_id, store_id, username, last_update) VALUES (3, 'Ada', 'Byron', 606, 1, 'ada', '2000-01-01 00:00:00')".into(),
        "INSERT INTO store (store_id, manager_staff_id, address_id, last_update) VALUES (3, 3, 606, '2000-01-01 00:00:00')".into(),
        "INSERT INTO customer (customer_id, store_id, first_name, last_name, address_id, create_date, last_update) VALUES (600, 3, 'BO', 'DIDDLEY', 606, '2000-01-01 00:00:00', '2000-01-01 00:00:00')".into(),
        "INSERT INTO film (film_id, title, language_id, last_update) VALUES (1001, 'OPERA LATINA', 7, '2000-01-01 00:00:00')".into(),
        "INSERT INTO rental (rental_id, rental_date, inventory_id, customer_id, staff_id, last_update) VALUES (16050, '2000-01-01 00:00:00', 4582, 600, 3, '2000-01-01 00:00:00')".into(),
        "INSERT INTO payment (payment_id, customer_id, staff_id, rental_id, amount, payment_date, last_update) VALUES (16050, 600, 3, 16050, 1.99, '2000-01-01 00:00:00', '2000-01-01 00:00:00')".into(),
    ]);
    let dml: Vec<&str> = dml.iter().map(String::as_str).collect();
    // staff.picture is a PNG stored as text in SQLite and bytea in
    // PostgreSQL: its bytes are verify's business; here it is only set.
    let tables: Vec<(&str, &[&str])> = SAKILA_TABLES
        .iter()
        .map(|t| match *t {
            "staff" => (*t, &["last_update", "picture"][..]),
            _ => (*t, &["last_update"][..]),
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sakila.db");
    std::fs::copy(corpus("sakila/sakila.db"), &path).unwrap();
    for v in PgVersion::ALL {
        differential(v, &path, &dml, &tables);
    }
}

/// calibre's foreign keys written as triggers: the same refusals with the
/// same messages, and a book's deletion cascading through its links.
#[test]
fn calibre_triggers_refuse_and_cascade_as_in_sqlite_on_15_and_18() {
    let dml = [
        "INSERT INTO comments (book, text) VALUES (42, 'orphan')",
        "INSERT INTO comments (book, text) VALUES (2, 'a dialogue')",
        "INSERT INTO books_authors_link (book, author) VALUES (2, 999)",
        "UPDATE books_authors_link SET author = 77 WHERE book = 3",
        "DELETE FROM authors WHERE id = 1",
        "DELETE FROM books WHERE id = 1",
        "DELETE FROM authors WHERE id = 1",
    ];
    let tables: &[(&str, &[&str])] = &[
        ("authors", &[]),
        ("books_authors_link", &[]),
        // A refused insert took a number from PostgreSQL's sequence.
        ("comments", &["id"]),
        ("data", &[]),
        ("identifiers", &[]),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metadata.db");
    std::fs::copy(corpus("calibre_library/metadata.db"), &path).unwrap();
    for v in PgVersion::ALL {
        // 4 call calibre's title_sort; 3 more only maintained FTS indexes (dropped).
        differential_kept(v, &path, &dml, tables, 4);
    }
}

/// calibre with the example pack declaring `title_sort` and `uuid4`: its 4
/// triggers calling them translate, and books and series inserted and
/// renamed get the same `sort` as calibre's SQLite (the triggers there
/// recreated with the declared meaning) and a well-formed random uuid.
#[test]
fn calibre_title_sort_triggers_with_the_example_pack_on_15_and_18() {
    let dml = [
        "INSERT INTO books (title) VALUES ('The Hobbit')",
        "INSERT INTO books (title) VALUES ('a tale')",
        "INSERT INTO books (title) VALUES ('''Quoted')",
        "INSERT INTO books (title) VALUES ('An')",
        "INSERT INTO books (title) VALUES ('  An  Apple ')",
        "INSERT INTO books (title) VALUES ('“The ‘Odd’ One')",
        "INSERT INTO books (title) VALUES ('The ''x */ ; DROP TABLE books; --')",
        "INSERT INTO books (title) VALUES ('THE\nline')",
        "UPDATE books SET title = 'A Wizard of Earthsea' WHERE title = 'The Hobbit'",
        "UPDATE books SET title = 'Theory' WHERE title = 'a tale'",
        "INSERT INTO series (name) VALUES ('The Expanse')",
        "INSERT INTO series (name) VALUES ('an ending')",
        "INSERT INTO series (name) VALUES ('\"Quoted\" series')",
        "INSERT INTO series (name) VALUES ('A')",
        "UPDATE series SET name = 'The Culture' WHERE name = 'The Expanse'",
    ];
    let tables: &[(&str, &[&str])] = &[
        ("books", &["timestamp", "pubdate", "last_modified", "uuid"]),
        ("series", &[]),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metadata.db");
    std::fs::copy(corpus("calibre_library/metadata.db"), &path).unwrap();
    let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/calibre-rules");
    for v in PgVersion::ALL {
        let db = differential_with(v, &path, &dml, tables, 0, Some(&pack));
        let sorts = db.query("SELECT sort FROM books WHERE title = 'A Wizard of Earthsea'");
        assert_eq!(sorts, [["Wizard of Earthsea, A"]], "on {v:?}");
        let uuids = db.query("SELECT uuid FROM books");
        assert!(uuids.iter().all(|u| is_uuid4(&u[0])), "on {v:?}: {uuids:?}");
        let distinct = db.scalar("SELECT count(DISTINCT uuid) = count(*) FROM books");
        assert_eq!(distinct, "t", "on {v:?}: one uuid per book");
    }
}

/// Corpus database → (triggers translated, kept as comments).
const CORPUS: &[(&str, usize, usize)] = &[
    ("sakila/sakila.db", 30, 0),
    // 3 more are dropped: they only maintained FTS indexes (fts-trigger-dropped).
    ("calibre_library/metadata.db", 32, 4),
    ("misc_app_schemas/invoke-ai_InvokeAI/schema.db", 1, 0),
];

/// The same with a rule pack: calibre with the example pack declaring
/// `title_sort` and `uuid4` → (pack, translated, kept as comments).
const CORPUS_WITH_PACK: &[(&str, &str, usize, usize)] = &[(
    "calibre_library/metadata.db",
    "examples/calibre-rules",
    36,
    0,
)];

#[test]
fn corpus_triggers_translate_and_apply_on_15_and_18() {
    let plain = CORPUS.iter().map(|(r, t, k)| (*r, None, *t, *k));
    let packed = CORPUS_WITH_PACK
        .iter()
        .map(|(r, p, t, k)| (*r, Some(*p), *t, *k));
    let runs: Vec<_> = plain.chain(packed).collect();
    for v in PgVersion::ALL {
        for (rel, pack, translated, kept) in &runs {
            let path = corpus(rel);
            let db = cluster(v).new_db("triggers");
            let mut args = vec!["migrate", path.to_str().unwrap(), db.url.as_str()];
            args.extend(pack.iter().flat_map(|p| ["--rules", *p]));
            let out = pgbridge(&args);
            assert!(out.status.success(), "{rel} on {v:?}: {}", text(&out));
            let kept_count = text(&out)
                .matches("warning[trigger-kept-as-comment]")
                .count();
            let created = db.scalar("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal");
            eprintln!(
                "{rel} (pack {pack:?}) on {v:?}: {created} translated and created, {kept_count} \
                 kept as comments"
            );
            assert_eq!(created, translated.to_string(), "{rel}: triggers created");
            assert_eq!(kept_count, *kept, "{rel}: kept as comments\n{}", text(&out));
        }
    }
}
