//! The two data paths give the same rows: `pgbridge migrate` (Rust
//! converters, binary COPY) and `psql -f 01_schema.sql -f 02_load.sql` (SQL
//! twins, sqlite3 CLI), on real PostgreSQL 15 and 18. Values the Rust side
//! refuses make both paths fail.
mod common;

use common::{CORPUS_DATABASES, PgVersion, TestDb, cluster, corpus, pgbridge, sql_ident, text};
use rusqlite::Connection;
use std::path::Path;
use std::process::Output;

/// Native load into `a`.
fn native(db: &Path, a: &TestDb, rules: &[&str]) -> Output {
    let mut args = vec![
        "migrate",
        db.to_str().unwrap(),
        a.url.as_str(),
        "--jobs",
        "1",
    ];
    for r in rules {
        args.extend(["--rules", r]);
    }
    pgbridge(&args)
}

/// Compile against `b`'s server, then `psql -f 01 -f 02` into `b`.
fn scripted(db: &Path, b: &TestDb, out: &Path, rules: &[&str]) -> Result<Output, String> {
    let mut args = vec![
        "compile",
        db.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--target-url",
        b.url.as_str(),
    ];
    for r in rules {
        args.extend(["--rules", r]);
    }
    let c = pgbridge(&args);
    if !c.status.success() {
        return Err(format!("compile failed:\n{}", text(&c)));
    }
    Ok(b.psql_set(out, &["01_schema.sql", "02_load.sql"], db))
}

const DIGEST: &str = "SET TimeZone = 'UTC'; SET extra_float_digits = 1;";

/// Per table of `schema`: name, row count, md5 of the sorted row texts.
fn digests(db: &TestDb, schema: &str) -> Vec<Vec<String>> {
    let tables = db.query(&format!(
        "SELECT tablename FROM pg_tables WHERE schemaname = '{schema}' ORDER BY 1"
    ));
    let mut out = Vec::new();
    for t in tables {
        let q = format!(
            "{DIGEST} SELECT {lit}, count(*), md5(coalesce(string_agg(r::text, E'\\n' \
             ORDER BY r::text COLLATE \"C\"), '')) FROM {s}.{t} r",
            lit = common::sql_literal(&t[0]),
            s = sql_ident(schema),
            t = sql_ident(&t[0])
        );
        out.extend(db.query(&q));
    }
    out
}

/// The rows of one table as sorted text, for a readable mismatch.
fn rows(db: &TestDb, table: &str) -> Vec<String> {
    db.query(&format!(
        "{DIGEST} SELECT r::text FROM public.{} r ORDER BY r::text COLLATE \"C\"",
        sql_ident(table)
    ))
    .into_iter()
    .map(|r| r[0].clone())
    .collect()
}

fn assert_same(a: &TestDb, b: &TestDb, what: &str) {
    let da = digests(a, "public");
    let db = digests(b, "public");
    let names = |d: &Vec<Vec<String>>| d.iter().map(|r| r[0].clone()).collect::<Vec<_>>();
    assert_eq!(names(&da), names(&db), "{what}: same tables");
    for (ra, rb) in da.iter().zip(&db) {
        if ra != rb {
            let (x, y) = (rows(a, &ra[0]), rows(b, &ra[0]));
            let only_a: Vec<_> = x.iter().filter(|r| !y.contains(r)).take(5).collect();
            let only_b: Vec<_> = y.iter().filter(|r| !x.contains(r)).take(5).collect();
            panic!(
                "{what} ({}): table {} differs: native {} rows, psql {} rows\n\
                 only native: {only_a:#?}\nonly psql: {only_b:#?}",
                a.version, ra[0], ra[1], rb[1]
            );
        }
    }
}

fn corpus_on(v: PgVersion) {
    let dir = tempfile::tempdir().unwrap();
    // Anki's `tags` cannot be read by the sqlite3 shell: see
    // corpus_known_failures_are_the_expected_ones.
    let dbs = CORPUS_DATABASES
        .iter()
        .filter(|r| !r.starts_with("anki_collection/"));
    for (i, rel) in dbs.enumerate() {
        let src = corpus(rel);
        let a = cluster(v).new_db("twins_native");
        let b = cluster(v).new_db("twins_psql");
        let n = native(&src, &a, &[]);
        assert!(n.status.success(), "{rel}: migrate failed:\n{}", text(&n));
        let out = dir.path().join(i.to_string());
        let p = scripted(&src, &b, &out, &[]).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert!(
            p.status.success(),
            "{rel} ({v}): psql failed:\n{}",
            text(&p)
        );
        assert_same(&a, &b, rel);
    }
}

#[test]
fn corpus_loads_the_same_rows_both_ways_on_15() {
    corpus_on(PgVersion::V15);
}

#[test]
fn corpus_loads_the_same_rows_both_ways_on_18() {
    corpus_on(PgVersion::V18);
}

#[test]
fn corpus_known_failures_are_the_expected_ones() {
    let v = PgVersion::V15;
    let dir = tempfile::tempdir().unwrap();
    // Anki's `tags` is WITHOUT ROWID keyed by its own `unicase` collation:
    // the native reader registers it, the sqlite3 shell cannot scan the table.
    let src = corpus("anki_collection/collection.anki2");
    let a = cluster(v).new_db("twins_anki_native");
    let b = cluster(v).new_db("twins_anki_psql");
    let n = native(&src, &a, &[]);
    assert!(n.status.success(), "anki: migrate failed:\n{}", text(&n));
    let p = scripted(&src, &b, &dir.path().join("anki"), &[]).unwrap();
    assert!(!p.status.success());
    let msg = text(&p);
    assert!(
        msg.contains("Error: in prepare, no query solution") && msg.contains("sqlite3 -batch"),
        "anki: {msg}"
    );
}

// ---- per converter -------------------------------------------------------

/// A user rule pack forcing a converter and type by column-name prefix.
fn force_pack(dir: &Path, vector: bool) -> String {
    let col = dir.join("pack/column");
    std::fs::create_dir_all(&col).unwrap();
    let mut forced = vec![
        ("integer", "bigint"),
        ("int4", "integer"),
        ("real", "double precision"),
        ("numeric", "numeric"),
        ("num2", "numeric(10,2)"),
        ("text", "text"),
        ("vc3", "varchar(3)"),
        ("bytes", "bytea"),
        ("boolean", "boolean"),
        ("json", "jsonb"),
        ("uuidtext", "uuid"),
        ("uuidblob", "uuid"),
        ("isots", "timestamptz"),
        ("isodate", "date"),
        ("epochs", "timestamptz"),
        ("epochms", "timestamptz"),
        ("epochus", "timestamptz"),
        ("julian", "timestamptz"),
        ("f32array", "real[]"),
        ("anytext", "text"),
    ];
    if vector {
        forced.push(("f32vector", "vector(2)"));
    }
    for (prefix, ty) in forced {
        let conv = match prefix {
            "int4" => "integer",
            "num2" => "numeric",
            "vc3" => "text",
            "uuidtext" => "uuid-text",
            "uuidblob" => "uuid-blob",
            "isots" => "iso-timestamp",
            "isodate" => "iso-date",
            "epochs" => "epoch-seconds",
            "epochms" => "epoch-millis",
            "epochus" => "epoch-micros",
            "julian" => "julian-day",
            "f32array" => "float32-array",
            "f32vector" => "float32-vector",
            "anytext" => "any-text",
            c => c,
        };
        std::fs::write(
            col.join(format!("force-{prefix}.yaml")),
            format!(
                "summary: Test-only rule forcing the {conv} converter.\n\
                 docs: Test only.\n\
                 priority: 1\n\
                 when: column.name ~ \"^{prefix}_\"\n\
                 then:\n  type: \"{ty}\"\n  converter: {conv}\n\
                 evidence: forced by the test\n\
                 examples:\n  - sqlite: \"CREATE TABLE t ({prefix}_x);\"\n"
            ),
        )
        .unwrap();
    }
    dir.join("pack").display().to_string()
}

type Val = rusqlite::types::Value;

fn t(s: &str) -> Val {
    Val::Text(s.into())
}

fn f32s(v: &[f32]) -> Val {
    Val::Blob(v.iter().flat_map(|x| x.to_le_bytes()).collect())
}

/// Values every converter accepts, per column (the column prefix picks the converter).
fn accepted() -> Vec<(&'static str, Vec<Val>)> {
    use rusqlite::types::Value::{Blob, Integer as I, Null, Real as R};
    vec![
        (
            "integer",
            vec![
                I(i64::MIN),
                I(i64::MAX),
                R(3.0),
                R(-9.223_372_036_854_776e18),
                t(" +42 "),
                t("\t-7\n"),
                t("007"),
                Null,
            ],
        ),
        ("int4", vec![I(2_147_483_647), t("-2147483648")]),
        (
            "real",
            vec![
                R(0.1 + 0.2),
                R(1e300),
                R(f64::INFINITY),
                R(f64::NEG_INFINITY),
                R(5e-324),
                R(-0.0),
                I(9_007_199_254_740_993),
                t(" 1.5e3 "),
                t(".5"),
                t("5."),
                t("1e-400"),
                t("-1e-400"),
                t("0.1"),
            ],
        ),
        (
            "numeric",
            vec![
                t("1.10"),
                t("+12.50"),
                t("1e5"),
                t("1e999"),
                R(1e-7),
                R(0.1 + 0.2),
                R(f64::INFINITY),
                I(-5),
                t(".5"),
            ],
        ),
        ("num2", vec![t("1.25"), t("1.250"), R(2.5), I(7)]),
        (
            "text",
            vec![
                t(""),
                t("héllo \"quoted\", 'single'\nline\r\n"),
                t("日本語"),
                // psql up to 15 ends `\copy` data at a line `\.`, even in a CSV field.
                t("psql script:\n\\.\nafter"),
                t("ends with\n\\."),
            ],
        ),
        ("vc3", vec![t("abc"), t("é")]),
        (
            "bytes",
            vec![
                Blob(vec![0, 1, 255]),
                Blob(vec![]),
                t("plain"),
                t("nul\0inside"),
                I(-42),
                I(i64::MAX),
                R(0.1 + 0.2),
                R(-0.0),
                R(1e300),
                R(f64::INFINITY),
            ],
        ),
        (
            "boolean",
            vec![I(0), I(1), t("TRUE"), t("f"), t("T"), t("False")],
        ),
        (
            "json",
            vec![
                t("{\"a\": [1, 2.50, 1e400]}"),
                t(" [] "),
                t("\"\\\\u0000\""),
                t("null"),
                Blob(b"{\"b\":true}".to_vec()),
            ],
        ),
        (
            "uuidtext",
            vec![
                t("0123ABCD-0000-4000-8000-00000000000F"),
                t("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            ],
        ),
        ("uuidblob", vec![Blob((0u8..16).collect())]),
        (
            "isots",
            vec![
                t("2020-01-01T10:00:00.1234565+01:30"),
                t("2020-01-01T10:00:00.1234575Z"),
                t("2020-01-01 10:00"),
                t("2020-02-29"),
                t("1970-01-01T00:00:00-0130"),
                t("2016-12-31 23:59:60"),
                t("0001-01-01 00:00:00+15:00"),
                t("9999-12-31T23:59:59.9999999"),
            ],
        ),
        (
            "isodate",
            vec![t("2020-02-29"), t("0001-01-01"), t("9999-12-31")],
        ),
        (
            "epochs",
            vec![
                I(0),
                I(-210_866_803_200),
                I(1_700_000_000),
                I(9_223_372_036_854),
            ],
        ),
        ("epochms", vec![I(1_500), I(-1)]),
        ("epochus", vec![I(i64::MAX), I(-210_866_803_200_000_000)]),
        (
            "julian",
            vec![
                R(2_440_587.5),
                I(2_440_588),
                R(0.0),
                R(5_373_484.5),
                R(2_459_000.123_456_789),
            ],
        ),
        (
            "f32array",
            vec![
                f32s(&[1.5, -0.0, f32::MIN_POSITIVE, 1e-45, f32::MAX]),
                f32s(&[f32::INFINITY, f32::NAN]),
            ],
        ),
        (
            "anytext",
            vec![
                t("line\n\\.\r\nline"),
                I(-3),
                R(0.1 + 0.2),
                R(1e300),
                t("x"),
                Blob(b"utf8 \xc3\xa9".to_vec()),
            ],
        ),
    ]
}

/// One table per accepted column: `<prefix>_v`.
fn build_accepted(path: &Path, vector: bool) {
    let c = Connection::open(path).unwrap();
    let mut cases = accepted();
    if vector {
        cases.push(("f32vector", vec![f32s(&[1.0, -2.5])]));
    }
    for (prefix, vals) in cases {
        let tn = format!("t_{prefix}");
        c.execute_batch(&format!(
            "CREATE TABLE {tn} (id INTEGER PRIMARY KEY, {prefix}_v)"
        ))
        .unwrap();
        for v in vals {
            c.execute(&format!("INSERT INTO {tn} ({prefix}_v) VALUES (?1)"), [v])
                .unwrap();
        }
    }
}

/// Values the Rust converters refuse: each must stop both paths.
fn rejected() -> Vec<(&'static str, Val)> {
    use rusqlite::types::Value::{Blob, Integer as I, Real as R};
    vec![
        ("integer", t("abc")),
        ("integer", R(3.5)),
        ("integer", t("1e3")),
        ("integer", t("9223372036854775808")),
        ("integer", R(9.3e18)),
        ("int4", I(2_147_483_648)),
        ("real", t("1e400")),
        ("real", t("Infinity")),
        ("real", Blob(vec![1])),
        ("numeric", t("NaN")),
        ("numeric", t("0x10")),
        ("num2", t("1.005")),
        ("num2", R(0.125)),
        ("text", t("NUL\0in text")),
        ("text", I(1)),
        ("vc3", t("ab  ")),
        ("boolean", t("yes")),
        ("boolean", I(2)),
        ("boolean", t(" true")),
        ("json", t("{bad")),
        ("json", t("{\"a\":\"\\u0000\"}")),
        ("json", I(1)),
        ("uuidtext", t("0123abcd00004000800000000000000f")),
        ("uuidblob", Blob(vec![0; 15])),
        ("isots", t("2020-02-30")),
        ("isots", t("2020-01-01 24:00")),
        ("isots", t("2020-01-01Z")),
        ("isots", t("2020-01-01 10:00:00+16:00")),
        ("isots", t("0000-01-01")),
        ("isodate", t("2020-01-01 10:00")),
        ("epochs", I(i64::MAX)),
        ("epochs", t("1700000000")),
        ("epochus", I(-210_866_803_200_000_001)),
        ("julian", R(-1.0)),
        ("julian", t("2440587.5")),
        ("f32array", Blob(vec![0; 6])),
        ("anytext", Blob(b"\xff".to_vec())),
        ("anytext", t("a\0b")),
    ]
}

#[test]
fn every_converter_gives_the_same_values_both_ways_on_15_and_18() {
    for v in PgVersion::ALL {
        let dir = tempfile::tempdir().unwrap();
        let probe = cluster(v).new_db("twins_probe");
        let vector = probe.has_extension_available("vector");
        let pack = force_pack(dir.path(), vector);
        let src = dir.path().join("accepted.db");
        build_accepted(&src, vector);
        let a = cluster(v).new_db("twins_conv_native");
        let b = cluster(v).new_db("twins_conv_psql");
        let n = native(&src, &a, &[&pack]);
        assert!(n.status.success(), "migrate ({v}):\n{}", text(&n));
        let p = scripted(&src, &b, &dir.path().join("out"), &[&pack]).unwrap();
        assert!(p.status.success(), "psql ({v}):\n{}", text(&p));
        // The forced rules did choose the converters under test.
        let sql = std::fs::read_to_string(dir.path().join("out/02_load.sql")).unwrap();
        for (prefix, _) in accepted() {
            assert!(
                sql.contains(&format!("--   {prefix}_v ")),
                "{prefix} planned:\n{sql}"
            );
        }
        assert_same(&a, &b, "accepted values");
    }
}

#[test]
fn every_value_the_rust_side_refuses_stops_both_paths_on_15_and_18() {
    for v in PgVersion::ALL {
        let dir = tempfile::tempdir().unwrap();
        let pack = force_pack(dir.path(), false);
        for (i, (prefix, val)) in rejected().into_iter().enumerate() {
            let src = dir.path().join(format!("bad{i}.db"));
            let c = Connection::open(&src).unwrap();
            c.execute_batch(&format!(
                "CREATE TABLE t (id INTEGER PRIMARY KEY, {prefix}_v)"
            ))
            .unwrap();
            c.execute(&format!("INSERT INTO t ({prefix}_v) VALUES (?1)"), [&val])
                .unwrap();
            drop(c);
            let a = cluster(v).new_db("twins_bad_native");
            let b = cluster(v).new_db("twins_bad_psql");
            let n = native(&src, &a, &[&pack]);
            assert!(
                !n.status.success(),
                "{prefix} {val:?} ({v}): migrate accepted it:\n{}",
                text(&n)
            );
            assert!(
                text(&n).contains(&format!("{prefix}_v")),
                "{prefix} {val:?}: migrate error names the column:\n{}",
                text(&n)
            );
            let p = scripted(&src, &b, &dir.path().join(format!("out{i}")), &[&pack]).unwrap();
            assert!(
                !p.status.success(),
                "{prefix} {val:?} ({v}): psql accepted it:\n{}\nrows: {:?}",
                text(&p),
                b.query("SELECT t::text FROM public.t")
            );
            // Nothing committed: the load is one transaction.
            assert_eq!(
                b.scalar("SELECT count(*) FROM pg_tables WHERE tablename = 't'"),
                "1"
            );
            assert_eq!(b.scalar("SELECT count(*) FROM public.t"), "0");
        }
    }
}

#[test]
fn awkward_identifiers_and_paths_survive_every_quoting_layer() {
    let v = PgVersion::V15;
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("dir with 'quote\" and $HOME");
    std::fs::create_dir_all(&sub).unwrap();
    let src = sub.join("app $(x) 'db'.db");
    let c = Connection::open(&src).unwrap();
    c.execute_batch(
        "CREATE TABLE \"we'ird \"\"t\"\"\\ $x `y` ü\" (\"co l'\"\"\\n\" TEXT, \"ÿ;--\" INTEGER);
         INSERT INTO \"we'ird \"\"t\"\"\\ $x `y` ü\" VALUES ('a''b\"c\\d', 1), (NULL, NULL), ('', 2);",
    )
    .unwrap();
    drop(c);
    let a = cluster(v).new_db("twins_id_native");
    let b = cluster(v).new_db("twins_id_psql");
    let n = native(&src, &a, &[]);
    assert!(n.status.success(), "{}", text(&n));
    let p = scripted(&src, &b, &dir.path().join("out"), &[]).unwrap();
    assert!(p.status.success(), "{}", text(&p));
    assert_same(&a, &b, "awkward identifiers");
    assert_eq!(
        b.scalar("SELECT count(*) FROM public.\"we'ird \"\"t\"\"\\ $x `y` ü\""),
        "3"
    );
}
