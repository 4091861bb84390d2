//! SQLite databases with dirty data, shared by the tests that inspect,
//! migrate and verify them (and by the test that checks inspect predicts
//! migrate on every one of them: [`ALL`]).
use rusqlite::{Connection, params};
use std::path::{Path, PathBuf};

/// Writes a fixture into a directory and returns its path.
pub type Build = fn(&Path) -> PathBuf;

/// Every fixture, by name.
pub const ALL: &[(&str, Build)] = &[
    ("findings", findings),
    ("without_rowid", without_rowid),
    ("loads", loads),
    ("refused", refused),
    ("dirty_values", dirty_values),
    ("dirty_app", dirty_app),
    ("refused_twice", refused_twice),
    ("nul_in_integer", nul_in_integer),
    ("hostile_refused", hostile_refused),
];

fn f32_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|f| f.to_le_bytes()).collect()
}

/// A database with one of every finding inspect reports.
pub fn findings(dir: &Path) -> PathBuf {
    let path = dir.join("dirty.db");
    let c = Connection::open(&path).unwrap();
    c.execute_batch(
        "PRAGMA foreign_keys = OFF;
         CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT COLLATE NOCASE UNIQUE);
         CREATE TABLE child (
             id INTEGER PRIMARY KEY,
             parent_id INTEGER REFERENCES parent(id),
             code TEXT REFERENCES parent(code));
         INSERT INTO parent VALUES (1, 'ABC'), (2, 'def');
         -- rowid 2: parent 99 is missing; rowid 3: 'abc' matches 'ABC' only under NOCASE;
         -- rowid 4: 'zzz' matches nothing.
         INSERT INTO child VALUES (1, 1, 'ABC'), (2, 99, 'ABC'), (3, 1, 'abc'), (4, 2, 'zzz');
         CREATE TABLE dirty (id INTEGER PRIMARY KEY, qty INTEGER, price NUMERIC, note TEXT,
                             meta JSON, embedding BLOB, created DATETIME);
         CREATE TABLE counter (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER);
         INSERT INTO counter (n) VALUES (1);
         CREATE VIRTUAL TABLE docs USING fts5(body);
         INSERT INTO docs VALUES ('hello world');
         CREATE VIEW child_codes AS SELECT code FROM child;
         CREATE TRIGGER child_touch AFTER INSERT ON child
         BEGIN UPDATE parent SET code = code WHERE id = NEW.parent_id; END;",
    )
    .unwrap();
    let v4 = f32_blob(&[1.0, 2.0, 3.0, 4.0]);
    let v3 = f32_blob(&[1.0, 2.0, 3.0]);
    let ins = "INSERT INTO dirty VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    c.execute(
        ins,
        params![1, 1, 1.5, "ok", r#"{"a": 1}"#, v4, "2024-01-02 03:04:05"],
    )
    .unwrap();
    c.execute(
        ins,
        params![2, "lots", "", "a\0b", "not json", v4, "yesterday"],
    )
    .unwrap();
    c.execute(ins, params![3, 3, 2.5, "fine", "[1, 2]", v3, "2024-02-03"])
        .unwrap();
    c.execute(
        ins,
        params![4, 4, 3.5, "fine", "{}", v4, "2024-02-04 00:00:00"],
    )
    .unwrap();
    c.execute(
        "UPDATE dirty SET note = CAST(x'61ff62' AS TEXT) WHERE id = 4",
        [],
    )
    .unwrap();
    path
}

/// WITHOUT ROWID tables, rows inserted out of key order: a composite-key
/// child with two orphans, a NOCASE-only match, text in an INTEGER column
/// and infinite reals.
pub fn without_rowid(dir: &Path) -> PathBuf {
    let path = dir.join("keyed.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "PRAGMA foreign_keys = OFF;
             CREATE TABLE parent (code TEXT COLLATE NOCASE PRIMARY KEY) WITHOUT ROWID;
             INSERT INTO parent VALUES ('AB'), ('CD');
             CREATE TABLE item (
                 code TEXT, n INTEGER, parent_code TEXT REFERENCES parent(code),
                 qty INTEGER, ratio REAL,
                 PRIMARY KEY (code, n)) WITHOUT ROWID;
             INSERT INTO item VALUES
                 ('zz', 1, 'AB', 1, 1.0),
                 ('ab', 3, 'nope', 'lots', 9e999),
                 ('ab', 1, 'cd', 2, -9e999),
                 ('a''b', 2, 'gone', 'many', 2.0);",
        )
        .unwrap();
    path
}

/// Blobs in numeric columns and infinite reals that the loader accepts.
pub fn loads(dir: &Path) -> PathBuf {
    let path = dir.join("loads.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TABLE nums (id INTEGER PRIMARY KEY, qty INTEGER, ratio REAL, total NUMERIC, misc);
             INSERT INTO nums VALUES (1, 1, 0.5, 1, 'x'),
                                     (2, x'616263', 9e999, 9e999, 9e999),
                                     (3, 3, -9e999, -9e999, -9e999);
             CREATE TABLE w (code TEXT, n INTEGER, v REAL, PRIMARY KEY (code, n)) WITHOUT ROWID;
             INSERT INTO w VALUES ('b', 1, 9e999), ('a', 2, -9e999), ('a', 1, 1.5);",
        )
        .unwrap();
    // NaN cannot be stored: SQLite makes it NULL, so it is no finding.
    Connection::open(&path)
        .unwrap()
        .execute("INSERT INTO nums (id, ratio) VALUES (4, ?1)", [f64::NAN])
        .unwrap();
    path
}

/// Values the loader refuses: an infinity in NUMERIC(10,2) (numeric(10,2)
/// holds no infinity) and a blob that is not UTF-8 in an INTEGER column that
/// becomes text; a UTF-8 blob in the same column loads.
pub fn refused(dir: &Path) -> PathBuf {
    let path = dir.join("refused.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TABLE nums (id INTEGER PRIMARY KEY, price NUMERIC(10,2), bad INTEGER);
             INSERT INTO nums VALUES (1, 1.5, 1), (2, 9e999, 2), (3, 2.25, x'00ff'), (4, 3.5, x'6f6b');",
        )
        .unwrap();
    path
}

/// Every kind of dirty value the issue lists, in one database.
pub fn dirty_values(dir: &Path) -> PathBuf {
    let path = dir.join("dirty.db");
    let c = Connection::open(&path).unwrap();
    c.execute_batch(
        "PRAGMA foreign_keys = OFF; -- orphans are the point
         CREATE TABLE nums (id INTEGER PRIMARY KEY, qty INTEGER, price NUMERIC(10,2), ratio REAL);
         INSERT INTO nums VALUES (1, 5, 1.5, 0.5), (2, 'abc', '', 1.25), (3, 7, 2.25, '');
         CREATE TABLE texts (id INTEGER PRIMARY KEY, body TEXT, raw TEXT);
         INSERT INTO texts VALUES (1, 'plain', 'ok'), (2, 'nul' || char(0) || 'inside', CAST(x'61ff62' AS TEXT));
         CREATE TABLE events (id INTEGER PRIMARY KEY, happened DATETIME, meta JSON, emb BLOB);
         INSERT INTO events VALUES (1, 1700000000, '{\"a\":1}', x'0000803f00000040'),
                                   (2, 1700000100, '{bad', x'0000803f00000040'),
                                   (3, 1700000200, '[1,2]', x'0000803f');
         CREATE TABLE parent (code TEXT COLLATE NOCASE PRIMARY KEY, name TEXT);
         CREATE TABLE child (id INTEGER PRIMARY KEY,
                             parent_code TEXT REFERENCES parent(code),
                             owner_id INTEGER REFERENCES nums(id));
         INSERT INTO parent VALUES ('ABC', 'x'), ('Def', 'y');
         INSERT INTO child VALUES (1, 'abc', 1), (2, 'DEF', 2), (3, 'ABC', 99), (4, NULL, NULL);",
    )
    .unwrap();
    path
}

/// A dirty application database like our users' own (LogoMesh-like): mixed
/// storage classes, binary blobs in ANY, TEXT and untyped columns, NUL bytes
/// in text, JSON that does not parse, embeddings of the wrong length,
/// orphaned foreign keys.
pub fn dirty_app(dir: &Path) -> PathBuf {
    let src = dir.join("dirty_app.db");
    let c = Connection::open(&src).unwrap();
    c.execute_batch(
        "PRAGMA foreign_keys = OFF;\
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, settings JSON, created DATETIME);\
         CREATE TABLE docs (id INTEGER PRIMARY KEY, owner INTEGER REFERENCES users(id), \
           title TEXT, body TEXT, meta JSON, embedding BLOB, score REAL, extra, kind ANY, \
           flag INTEGER, updated DATETIME DEFAULT CURRENT_TIMESTAMP);\
         CREATE TABLE strict_bag (id INTEGER PRIMARY KEY, v ANY) STRICT;\
         INSERT INTO users VALUES (1, 'ann', '{\"theme\":\"dark\"}', '2024-01-02 03:04:05'),\
           (2, 'bob', '{bad json', 1700000000), (3, 'cy', NULL, NULL);",
    )
    .unwrap();
    let f32s = |v: &[f32]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
    let rows: Vec<(
        i64,
        rusqlite::types::Value,
        rusqlite::types::Value,
        rusqlite::types::Value,
        rusqlite::types::Value,
        rusqlite::types::Value,
    )> = {
        use rusqlite::types::Value::{Blob, Integer, Null, Real, Text};
        vec![
            (
                1,
                Text("Intro".into()),
                Text("plain".into()),
                Text("{\"a\":1}".into()),
                Blob(f32s(&[0.1, 0.2, 0.3])),
                Real(0.5),
            ),
            (
                2,
                Blob(vec![0x00, 0xff, 0x10]),
                Text("nul\0inside".into()),
                Text("{oops".into()),
                Blob(f32s(&[1.0, 2.0])),
                Text("n/a".into()),
            ),
            (
                3,
                Text("ünïcode ✓".into()),
                Blob(b"utf8 blob".to_vec()),
                Null,
                Blob(f32s(&[4.0, 5.0, 6.0])),
                Integer(7),
            ),
            (
                4,
                Integer(42),
                Text(String::new()),
                Text("[1,2]".into()),
                Null,
                Null,
            ),
        ]
    };
    for (id, title, body, meta, emb, score) in rows {
        c.execute(
            "INSERT INTO docs (id, owner, title, body, meta, embedding, score, extra, kind, flag) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            rusqlite::params![
                id,
                if id == 4 { 99 } else { 1 },
                title,
                body,
                meta,
                emb,
                score,
                match id {
                    1 => rusqlite::types::Value::Integer(1),
                    2 => rusqlite::types::Value::Real(2.5),
                    3 => rusqlite::types::Value::Text("three".into()),
                    _ => rusqlite::types::Value::Blob(vec![0, 1, 2]),
                },
                match id {
                    1 => rusqlite::types::Value::Text("a".into()),
                    2 => rusqlite::types::Value::Blob(vec![0xde, 0xad]),
                    _ => rusqlite::types::Value::Integer(id),
                },
                id % 2
            ],
        )
        .unwrap();
    }
    c.execute_batch(
        "INSERT INTO strict_bag VALUES (1, 1), (2, 2.5), (3, 'x'), (4, x'00ff'), (5, NULL);",
    )
    .unwrap();
    src
}

/// Rows the loader refuses in two columns at once, and in one: three
/// refused values in two rows of one table, and a clean second table.
pub fn refused_twice(dir: &Path) -> PathBuf {
    let path = dir.join("refused_twice.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TABLE m (id INTEGER PRIMARY KEY, a NUMERIC(10,2), b NUMERIC(5,1));
             INSERT INTO m VALUES (1, 9e999, -9e999), (2, 1.5, 9e999), (3, 1, 2);
             CREATE TABLE ok (id INTEGER PRIMARY KEY, v TEXT);
             INSERT INTO ok VALUES (1, 'fine');",
        )
        .unwrap();
    path
}

/// A NUL byte in text of an INTEGER column that became text: no problem
/// check describes it, the loader refuses it.
pub fn nul_in_integer(dir: &Path) -> PathBuf {
    let path = dir.join("nul.db");
    let c = Connection::open(&path).unwrap();
    c.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);")
        .unwrap();
    c.execute(
        "INSERT INTO t VALUES (1, 1), (2, ?1), (3, 'ok')",
        ["nul\0here"],
    )
    .unwrap();
    path
}

/// A refused value under names holding a line break, quotes and a comment
/// end: inspect, migrate and the reject file must name them exactly, and
/// print them escaped.
pub fn hostile_refused(dir: &Path) -> PathBuf {
    let path = dir.join("hostile_refused.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TABLE \"r\nerror[forged]: \"\"x\"\" */ '\" (
               id INTEGER PRIMARY KEY,
               \"p\nwarning[forged]: -- y\" NUMERIC(10,2));
             INSERT INTO \"r\nerror[forged]: \"\"x\"\" */ '\" VALUES (1, 1.5), (2, 9e999), (3, 2.5);",
        )
        .unwrap();
    path
}
