//! `--load-extension`: virtual tables whose module lives outside SQLite, made
//! with the real libraries (issue 11 §4).
//!
//! - sqlite-vec (`vec0`, PyPI `sqlite-vec`): two vec0 tables — 1,100
//!   three-dimensional vectors (two chunks), and one with a text key,
//!   metadata, auxiliary, int8 and bit columns — migrate on PostgreSQL 15
//!   (real[]) and 18 (pgvector `vector(3)`), verify, and read back bit for
//!   bit; without the flag compile, inspect and migrate refuse, naming `vec0`
//!   and `--load-extension`, and no shadow table becomes a table.
//! - SpatiaLite (`mod_spatialite`, Debian `libsqlite3-mod-spatialite`): a
//!   database made by `InitSpatialMetadata` + `CreateSpatialIndex` compiles
//!   and inspects with and without the extension; its own virtual tables are
//!   skipped, never an error.
//! - A vec0 table with a hostile name goes through quoting; a path that does
//!   not load is one clear error.
//!
//! The libraries are found at run time (`PGBRIDGE_SQLITE_VEC` or python's
//! `sqlite_vec.loadable_path()`; `PGBRIDGE_MOD_SPATIALITE` or `mod_spatialite`
//! on the library path); a missing one fails with the install hint.
mod common;

use common::{PgVersion, TestDb, cluster, pgbridge, text};
use rusqlite::{Connection, LoadExtensionGuard};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const INSTALL_HINT: &str = "install the test prerequisites with `bash .ci/install-pg`";

/// sqlite-vec's loadable library.
fn sqlite_vec() -> String {
    if let Some(p) = std::env::var_os("PGBRIDGE_SQLITE_VEC") {
        return p.to_string_lossy().into_owned();
    }
    let out = Command::new("python3")
        .args(["-c", "import sqlite_vec; print(sqlite_vec.loadable_path())"])
        .output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => panic!(
            "sqlite-vec is not installed (python3 cannot import sqlite_vec, PGBRIDGE_SQLITE_VEC unset): {INSTALL_HINT}"
        ),
    }
}

/// SpatiaLite's loadable library.
fn mod_spatialite() -> String {
    std::env::var("PGBRIDGE_MOD_SPATIALITE").unwrap_or_else(|_| "mod_spatialite".into())
}

/// A new writable database at `path` with `lib` loaded.
fn open_with(path: &Path, lib: &str) -> Connection {
    let conn = Connection::open(path).unwrap();
    // SAFETY: the test loads the library it is about.
    let loaded = unsafe {
        LoadExtensionGuard::new(&conn).and_then(|_g| conn.load_extension(lib, None::<&str>))
    };
    if let Err(e) = loaded {
        panic!("cannot load {lib}: {e}; {INSTALL_HINT}");
    }
    conn
}

fn f32_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The vector of `items` row `i`: exact halves and integers, and a value
/// with no short decimal form.
fn item(i: i64) -> [f32; 3] {
    [i as f32 * 0.5, -(i as f32), 1.0 / 3.0 + i as f32]
}

const ITEMS: i64 = 1_100;

/// `items`: 1,100 rows of float[3] (two 1,024-row chunks); `docs`: a text
/// key, metadata, auxiliary, int8 and bit columns.
fn vec_database(dir: &Path, lib: &str) -> PathBuf {
    let path = dir.join("vec.db");
    let conn = open_with(&path, lib);
    conn.execute_batch(
        "CREATE TABLE plain (id INTEGER PRIMARY KEY, name TEXT);
         INSERT INTO plain VALUES (1, 'kept');
         CREATE VIRTUAL TABLE items USING vec0(embedding float[3]);
         CREATE VIRTUAL TABLE docs USING vec0(doc_id text primary key, emb float[2] distance_metric=cosine, category text, +note text, q int8[4], b bit[8]);",
    )
    .unwrap();
    let tx = conn.unchecked_transaction().unwrap();
    {
        let mut st = tx
            .prepare("INSERT INTO items(rowid, embedding) VALUES (?1, ?2)")
            .unwrap();
        for i in 1..=ITEMS {
            st.execute(rusqlite::params![i, f32_blob(&item(i))])
                .unwrap();
        }
        let mut st = tx
            .prepare("INSERT INTO docs(doc_id, emb, category, note, q, b) VALUES (?1, ?2, ?3, ?4, vec_int8(?5), vec_bit(?6))")
            .unwrap();
        for (id, emb, cat, note, q, b) in [
            (
                "a",
                [1.5f32, 2.5],
                "x",
                "hello",
                [1i8, -2, 3, 127],
                0b1010_0001u8,
            ),
            ("b", [-0.1, 1e-7], "y", "it's", [-128, 0, 0, 5], 0xff),
        ] {
            let q: Vec<u8> = q.iter().map(|x| *x as u8).collect();
            st.execute(rusqlite::params![id, f32_blob(&emb), cat, note, q, vec![b]])
                .unwrap();
        }
    }
    tx.commit().unwrap();
    path
}

fn migrate(db: &Path, target: &TestDb, extra: &[&str]) -> Output {
    let mut args = vec!["migrate", db.to_str().unwrap(), target.url.as_str()];
    args.extend_from_slice(extra);
    pgbridge(&args)
}

fn column_type(db: &TestDb, table: &str, column: &str) -> String {
    db.scalar(&format!(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '{table}'::regclass AND attname = '{column}'"
    ))
}

/// The float32s of a vector or real[] column, parsed from PostgreSQL's
/// shortest exact text.
fn pg_floats(db: &TestDb, sql: &str) -> Vec<f32> {
    db.scalar(sql)
        .split(',')
        .map(|x| x.parse::<f32>().unwrap())
        .collect()
}

#[test]
fn vec0_tables_migrate_and_verify_exactly_on_15_and_18() {
    let dir = tempfile::tempdir().unwrap();
    let lib = sqlite_vec();
    let path = vec_database(dir.path(), &lib);
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("vec0");
        let out = migrate(&path, &db, &["--load-extension", &lib]);
        assert!(out.status.success(), "migrate on {v}:\n{}", text(&out));
        let want_type = match v {
            PgVersion::V18 => "vector(3)",
            PgVersion::V15 => "real[]",
        };
        assert_eq!(column_type(&db, "items", "embedding"), want_type, "{v}");
        assert_eq!(db.scalar("SELECT count(*) FROM items"), ITEMS.to_string());
        assert_eq!(db.scalar("SELECT count(*) FROM docs"), "2");
        // No shadow table became a table.
        let tables = db.scalar(
            "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE relkind = 'r' AND nspname = 'public'",
        );
        assert_eq!(tables, "docs,items,plain", "{v}");
        // Every value, bit for bit (real[] and vector alike read as real[]).
        for i in [1, 2, 1_024, 1_025, ITEMS] {
            let got = pg_floats(
                &db,
                &format!(
                    "SELECT array_to_string(embedding::real[], ',') FROM items WHERE rowid = {i}"
                ),
            );
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&item(i)), "items rowid {i} on {v}");
        }
        let text_form = db.scalar("SELECT embedding::text FROM items WHERE rowid = 2");
        let want_text = match v {
            PgVersion::V18 => "[1,-2,2.3333333]",
            PgVersion::V15 => "{1,-2,2.3333333}",
        };
        assert_eq!(text_form, want_text, "{v}");
        let docs = db.query(
            "SELECT doc_id, array_to_string(emb::real[], ','), category, note, encode(q, 'hex'), encode(b, 'hex') FROM docs ORDER BY doc_id",
        );
        assert_eq!(
            docs,
            vec![
                vec!["a", "1.5,2.5", "x", "hello", "01fe037f", "a1"],
                vec!["b", "-0.1,1e-07", "y", "it's", "80000005", "ff"],
            ],
            "{v}"
        );
        // The standalone verify reads the source through the same extension.
        let out = pgbridge(&[
            "verify",
            path.to_str().unwrap(),
            db.url.as_str(),
            "--load-extension",
            &lib,
        ]);
        assert!(out.status.success(), "verify on {v}:\n{}", text(&out));
    }
}

/// The rules whose examples cannot fire without sqlite-vec (see
/// tests/rule_catalog.rs) fire here, each where it should.
#[test]
fn the_vec0_rules_fire_on_a_real_sqlite_vec_database() {
    let dir = tempfile::tempdir().unwrap();
    let lib = sqlite_vec();
    let path = vec_database(dir.path(), &lib);
    for (extensions, vector_rule, other_rule) in [
        ("vector", "vec0-float-vector", "vec0-float-array"),
        ("citext", "vec0-float-array", "vec0-float-vector"),
    ] {
        let out_dir = dir.path().join(extensions);
        let out = pgbridge(&[
            "compile",
            path.to_str().unwrap(),
            "-o",
            out_dir.to_str().unwrap(),
            "--load-extension",
            &lib,
            "--extensions",
            extensions,
        ]);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(0), "{all}");
        assert!(all.contains("note[vec0-table]: table `items`"), "{all}");
        assert!(
            all.contains("warning[vec0-quantized-vector]: `docs.q`"),
            "{all}"
        );
        assert!(
            all.contains("warning[vec0-quantized-vector]: `docs.b`"),
            "{all}"
        );
        let schema = std::fs::read_to_string(out_dir.join("01_schema.sql")).unwrap();
        assert!(
            schema.contains(&format!("-- embedding: {vector_rule}:")),
            "{schema}"
        );
        assert!(!schema.contains(&format!("{other_rule}:")), "{schema}");
    }
    // inspect reads through the same extension: the vec0 tables migrate, their shadows do not.
    let out = pgbridge(&[
        "inspect",
        path.to_str().unwrap(),
        "--strict",
        "--format",
        "json",
        "--load-extension",
        &lib,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let i: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fate = |name: &str| {
        i["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| (t["fate"].as_str().unwrap().to_string(), t["rows"].clone()))
            .unwrap()
    };
    assert_eq!(fate("items"), ("migrated".into(), serde_json::json!(ITEMS)));
    assert_eq!(fate("docs"), ("migrated".into(), serde_json::json!(2)));
    assert_eq!(fate("items_vector_chunks00").0, "skipped");
    assert_eq!(fate("docs_chunks").0, "skipped");
}

#[test]
fn without_the_module_vec0_is_an_error_naming_the_module_and_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let path = vec_database(dir.path(), &sqlite_vec());
    let out_dir = dir.path().join("out");
    let out = pgbridge(&[
        "compile",
        path.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
    ]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("error[extension-module-missing]"), "{all}");
    assert!(
        all.contains("`vec0`") && all.contains("--load-extension"),
        "{all}"
    );
    let schema = std::fs::read_to_string(out_dir.join("01_schema.sql")).unwrap();
    for shadow in [
        "_chunks",
        "_vector_chunks00",
        "_rowids",
        "_info",
        "_auxiliary",
    ] {
        assert!(
            !schema.contains(shadow),
            "{shadow} in 01_schema.sql:\n{schema}"
        );
    }
    assert!(schema.contains("CREATE TABLE plain"), "{schema}");

    let out = pgbridge(&["inspect", path.to_str().unwrap(), "--strict"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "inspect --strict:\n{all}");
    assert!(
        all.contains("vec0") && all.contains("--load-extension"),
        "{all}"
    );

    let db = cluster(PgVersion::V18).new_db("vec0_missing");
    let out = migrate(&path, &db, &[]);
    let all = text(&out);
    assert_ne!(out.status.code(), Some(0), "migrate:\n{all}");
    assert!(
        all.contains("vec0") && all.contains("--load-extension"),
        "{all}"
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE relkind = 'r' AND nspname = 'public'"),
        "0",
        "migrate refused, nothing created"
    );
}

/// A SpatiaLite database as SpatiaLite itself makes one.
fn spatialite_database(dir: &Path) -> PathBuf {
    let path = dir.join("spatial.db");
    let conn = open_with(&path, &mod_spatialite());
    conn.execute_batch(
        "SELECT InitSpatialMetadata(1);
         CREATE TABLE places (id INTEGER PRIMARY KEY, name TEXT);
         SELECT AddGeometryColumn('places', 'geom', 4326, 'POINT', 'XY');
         SELECT CreateSpatialIndex('places', 'geom');
         INSERT INTO places (name, geom) VALUES ('a', MakePoint(1.5, 2.5, 4326));",
    )
    .unwrap();
    path
}

#[test]
fn a_spatialite_database_compiles_and_inspects_with_and_without_mod_spatialite() {
    let dir = tempfile::tempdir().unwrap();
    let path = spatialite_database(dir.path());
    let lib = mod_spatialite();
    for extra in [vec!["--load-extension", lib.as_str()], vec![]] {
        let out_dir = dir.path().join("out");
        let mut args = vec![
            "compile",
            path.to_str().unwrap(),
            "-o",
            out_dir.to_str().unwrap(),
        ];
        args.extend_from_slice(&extra);
        let out = pgbridge(&args);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(0), "compile {extra:?}:\n{all}");
        // Skipped with a note: by module (spatialite-virtual-table) or, once
        // the spatial work classifies them by name, as internal tables.
        for vtable in ["SpatialIndex", "ElementaryGeometries", "KNN"] {
            let skipped = ["spatialite-virtual-table", "sqlite-internal-table"]
                .iter()
                .any(|rule| all.contains(&format!("note[{rule}]: table `{vtable}`")));
            assert!(skipped, "{vtable} {extra:?}:\n{all}");
            let schema = std::fs::read_to_string(out_dir.join("01_schema.sql")).unwrap();
            assert!(!schema.contains(vtable), "{vtable} in 01_schema.sql");
        }
        let mut args = vec!["inspect", path.to_str().unwrap(), "--format", "json"];
        args.extend_from_slice(&extra);
        let out = pgbridge(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "inspect {extra:?}:\n{}",
            text(&out)
        );
        let i: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let diags = i.to_string();
        assert!(
            !diags.contains("\"severity\":\"error\""),
            "inspect {extra:?} reports an error:\n{diags}"
        );
    }
}

#[test]
fn a_vec0_table_with_a_hostile_name_goes_through_quoting_on_15_and_18() {
    let dir = tempfile::tempdir().unwrap();
    let lib = sqlite_vec();
    let path = dir.path().join("hostile.db");
    let name = "v'x;\n\"DROP TABLE victim; --";
    {
        let conn = open_with(&path, &lib);
        conn.execute_batch(
            "CREATE TABLE victim (id INTEGER PRIMARY KEY); INSERT INTO victim VALUES (1);",
        )
        .unwrap();
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        conn.execute_batch(&format!(
            "CREATE VIRTUAL TABLE {quoted} USING vec0(embedding float[2], +note text)"
        ))
        .unwrap();
        conn.execute(
            &format!("INSERT INTO {quoted}(rowid, embedding, note) VALUES (7, ?1, ?2)"),
            rusqlite::params![f32_blob(&[0.25, -4.0]), "a'b;\n--c"],
        )
        .unwrap();
    }
    for v in PgVersion::ALL {
        let db = cluster(v).new_db("vec0_hostile");
        let out = migrate(&path, &db, &["--load-extension", &lib]);
        let all = text(&out);
        assert!(out.status.success(), "migrate on {v}:\n{all}");
        // Names reach the terminal escaped: no line starts with the injected text.
        assert!(!all.lines().any(|l| l.starts_with("\"DROP")), "{all}");
        let lit = common::sql_literal(name);
        assert_eq!(
            db.scalar(&format!(
                "SELECT count(*) FROM pg_class WHERE relname = {lit} AND relkind = 'r'"
            )),
            "1",
            "{v}"
        );
        let ident = common::sql_ident(name);
        assert_eq!(
            db.query(&format!(
                "SELECT rowid, array_to_string(embedding::real[], ','), note FROM {ident}"
            )),
            vec![vec!["7", "0.25,-4", "a'b;\n--c"]],
            "{v}"
        );
        assert_eq!(db.scalar("SELECT count(*) FROM victim"), "1", "{v}");
    }
}

#[test]
fn a_path_that_does_not_load_is_one_clear_error_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY);")
        .unwrap();
    let not_a_library = dir.path().join("notes.txt");
    std::fs::write(&not_a_library, "not a library").unwrap();
    let missing = dir.path().join("no-such-extension.so");
    let out_dir = dir.path().join("out");
    let db = cluster(PgVersion::V18).new_db("bad_extension");
    for bad in [&missing, &not_a_library] {
        let bad = bad.to_str().unwrap();
        let p = path.to_str().unwrap();
        let o = out_dir.to_str().unwrap();
        for args in [
            vec!["compile", p, "-o", o, "--load-extension", bad],
            vec!["inspect", p, "--load-extension", bad],
            vec!["migrate", p, db.url.as_str(), "--load-extension", bad],
            vec!["verify", p, db.url.as_str(), "--load-extension", bad],
        ] {
            let out = pgbridge(&args);
            let all = text(&out);
            assert_eq!(out.status.code(), Some(2), "{args:?}:\n{all}");
            assert!(
                all.contains("error[extension-load-failed]"),
                "{args:?}:\n{all}"
            );
            assert!(all.contains(bad), "{args:?} names the path:\n{all}");
            assert!(all.contains("help:"), "{args:?}:\n{all}");
        }
    }
    assert_eq!(
        db.scalar("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = 'public'"),
        "0"
    );
}
