//! `pgbridge diff`, against real PostgreSQL 15 and 18: for the Memos schema
//! history (15 versions of one application's SQLite schema), every
//! consecutive pair and first → last: the old schema compiled and applied,
//! then `up.sql`, leaves exactly the catalog of the new schema compiled and
//! applied from scratch (columns, types, nullability, defaults, constraints
//! with their definitions, indexes); where `down.sql` is written, it leaves
//! the old catalog again.
mod common;

use common::{PgVersion, TestDb, cluster, corpus, pgbridge, text};
use std::path::{Path, PathBuf};

/// The Memos versions, oldest first.
fn memos() -> Vec<PathBuf> {
    let dir = corpus("schema_history/memos");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".sqlite.sql"))
        .collect();
    v.sort();
    assert_eq!(v.len(), 15, "{v:?}");
    v
}

fn short(p: &Path) -> String {
    let n = p.file_name().unwrap().to_string_lossy();
    n[..2].to_string()
}

fn run(args: &[&str]) -> Result<std::process::Output, String> {
    let o = pgbridge(args);
    match o.status.code() {
        Some(0) | Some(1) => Ok(o),
        _ => Err(format!("pgbridge {args:?}:\n{}", text(&o))),
    }
}

/// `input` compiled for `pg` and applied (01_schema.sql, 03_constraints.sql).
fn applied(db: &TestDb, input: &Path, pg: PgVersion, dir: &Path) -> Result<(), String> {
    let major = pg.major().to_string();
    let i = input.to_str().unwrap();
    let o = run(&[
        "compile",
        i,
        "-o",
        dir.to_str().unwrap(),
        "--pg-version",
        &major,
    ])?;
    if !o.status.success() {
        return Err(format!("compile {i}:\n{}", text(&o)));
    }
    for f in ["01_schema.sql", "03_constraints.sql"] {
        db.psql_file(&dir.join(f))
            .map_err(|e| format!("{f} of {i}: {e}"))?;
    }
    Ok(())
}

/// The lines only one of two catalogs has.
fn delta(got: &[String], want: &[String]) -> String {
    let extra = got.iter().filter(|l| !want.contains(l));
    let missing = want.iter().filter(|l| !got.contains(l));
    extra
        .map(|l| format!("+ {l}"))
        .chain(missing.map(|l| format!("- {l}")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One pair on one server: "up ok", "down ok" / "no down", or why not.
struct Outcome {
    down: &'static str,
    hazards: Vec<String>,
}

fn pair(old: &Path, new: &Path, pg: PgVersion, tmp: &Path) -> Result<Outcome, String> {
    pair_with(old, new, pg, tmp, &[])
}

fn pair_with(
    old: &Path,
    new: &Path,
    pg: PgVersion,
    tmp: &Path,
    extra: &[&str],
) -> Result<Outcome, String> {
    let tag = format!(
        "{}-{}-{}-{}",
        short(old),
        short(new),
        pg.major(),
        extra.len()
    );
    let work = tmp.join(&tag);
    let out = work.join("diff");
    let major = pg.major().to_string();
    let mut args = vec![
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--pg-version",
        &major,
        "--reporter",
        "json",
    ];
    args.extend_from_slice(extra);
    let o = run(&args)?;
    let report: serde_json::Value = serde_json::from_slice(&o.stdout)
        .map_err(|e| format!("diff --reporter json: {e}:\n{}", text(&o)))?;
    let hazards: Vec<String> = report
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d["severity"] == "error")
        .filter_map(|d| d["code"].as_str().map(str::to_string))
        .collect();
    if o.status.success() != hazards.is_empty() {
        return Err(format!(
            "exit code {:?} with hazards {hazards:?}:\n{}",
            o.status.code(),
            text(&o)
        ));
    }
    let want_new = cluster(pg).new_db("diff_new");
    applied(&want_new, new, pg, &work.join("new"))?;
    let want_old = cluster(pg).new_db("diff_old");
    applied(&want_old, old, pg, &work.join("old"))?;
    let db = cluster(pg).new_db("diff_up");
    applied(&db, old, pg, &work.join("old2"))?;
    db.psql_file(&out.join("up.sql"))
        .map_err(|e| format!("up.sql: {e}"))?;
    let d = delta(&db.catalog(), &want_new.catalog());
    if !d.is_empty() {
        return Err(format!(
            "after up.sql, the catalog differs from the new schema's:\n{d}"
        ));
    }
    let down = out.join("down.sql");
    if !down.exists() {
        return Ok(Outcome {
            down: "not written",
            hazards,
        });
    }
    db.psql_file(&down).map_err(|e| format!("down.sql: {e}"))?;
    let d = delta(&db.catalog(), &want_old.catalog());
    if !d.is_empty() {
        return Err(format!(
            "after down.sql, the catalog differs from the old schema's:\n{d}"
        ));
    }
    Ok(Outcome {
        down: "returns",
        hazards,
    })
}

#[test]
fn memos_history_every_pair_migrates_to_the_new_catalog() {
    let v = memos();
    let mut pairs: Vec<(usize, usize)> = (0..v.len() - 1).map(|i| (i, i + 1)).collect();
    pairs.push((0, v.len() - 1));
    let tmp = tempfile::tempdir().unwrap();
    let mut table = String::from(
        "| pair | PostgreSQL | up.sql | down.sql | hazards |\n|---|---|---|---|---|\n",
    );
    let mut failures = Vec::new();
    for pg in PgVersion::ALL {
        for &(a, b) in &pairs {
            let name = format!("{} → {}", short(&v[a]), short(&v[b]));
            match pair(&v[a], &v[b], pg, tmp.path()) {
                Ok(o) => {
                    let loses = o.hazards.iter().any(|h| h == "data-loss");
                    assert_eq!(loses, o.down == "not written", "{name}: {:?}", o.hazards);
                    let want: &[&str] = match (a, b) {
                        (8, 9) => &["not-null-on-existing-rows", "unique-on-existing-rows"],
                        (13, 14) => &["data-loss", "not-null-on-existing-rows"],
                        (3, 4) | (1, 2) => &["data-loss"],
                        _ => &[],
                    };
                    for w in want {
                        assert!(
                            o.hazards.iter().any(|h| h == w),
                            "{name}: {w} missing from {:?}",
                            o.hazards
                        );
                    }
                    table.push_str(&format!(
                        "| {name} | {} | same catalog | {} | {} |\n",
                        pg.major(),
                        o.down,
                        o.hazards.join(", ")
                    ));
                }
                Err(e) => {
                    table.push_str(&format!("| {name} | {} | FAILS | | |\n", pg.major()));
                    failures.push(format!("{name} on {pg}: {e}"));
                }
            }
        }
    }
    eprintln!("{table}");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

const HOSTILE: &str = "we\"ird */ $$\nname";

/// A database whose data proves `docs.body` JSON, with a NULL in
/// `docs.note`, and a table whose names hold quotes, a comment end, dollars
/// and a line break.
fn old_db(dir: &Path) -> PathBuf {
    let p = dir.join("old.db");
    let c = rusqlite::Connection::open(&p).unwrap();
    c.execute_batch(
        "CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT NOT NULL, note TEXT);
         CREATE TABLE \"we\"\"ird */ $$\nname\" (\"c\"\"1\" TEXT, \"gone col\" INTEGER, keep INTEGER);",
    )
    .unwrap();
    for i in 1..=60 {
        let note = if i == 7 { None } else { Some(format!("n{i}")) };
        c.execute(
            "INSERT INTO docs VALUES (?1, ?2, ?3)",
            rusqlite::params![i, format!("{{\"k\": {i}, \"tags\": [\"a\", \"b\"]}}"), note],
        )
        .unwrap();
    }
    c.execute_batch(
        "INSERT INTO \"we\"\"ird */ $$\nname\" VALUES ('a''s', 1, 10), ('b */', 2, 20);",
    )
    .unwrap();
    p
}

/// The new schema as DDL: a column added (hostile name, default with a quote
/// and dollars), a column dropped, a CHECK and an index added.
const NEW_DDL: &str = "CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT NOT NULL, note TEXT,
    \"new\ncol */\" TEXT DEFAULT 'it''s $$');
CREATE TABLE \"we\"\"ird */ $$\nname\" (\"c\"\"1\" TEXT, keep INTEGER CHECK (keep > 0));
CREATE INDEX \"ix \"\"q\"\" */\" ON \"we\"\"ird */ $$\nname\" (keep);
";

/// `docs.note` becomes NOT NULL, where the old data holds a NULL.
const NOT_NULL_DDL: &str =
    "CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT NOT NULL, note TEXT NOT NULL);
CREATE TABLE \"we\"\"ird */ $$\nname\" (\"c\"\"1\" TEXT, \"gone col\" INTEGER, keep INTEGER);
";

fn diff(old: &Path, new: &Path, out: &Path, pg: PgVersion, extra: &[&str]) -> std::process::Output {
    let major = pg.major().to_string();
    let mut args = vec![
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--pg-version",
        &major,
    ];
    args.extend_from_slice(extra);
    pgbridge(&args)
}

fn migrated(src: &Path, pg: PgVersion) -> TestDb {
    let db = cluster(pg).new_db("diff_data");
    let o = pgbridge(&["migrate", src.to_str().unwrap(), db.url.as_str()]);
    assert!(o.status.success(), "migrate:\n{}", text(&o));
    db
}

#[test]
fn a_migrated_database_takes_up_sql_with_its_rows_intact_and_hostile_names_quoted() {
    let tmp = tempfile::tempdir().unwrap();
    let old = old_db(tmp.path());
    let new = tmp.path().join("new.sql");
    std::fs::write(&new, NEW_DDL).unwrap();
    for pg in PgVersion::ALL {
        let out = tmp.path().join(format!("up{}", pg.major()));
        let o = diff(&old, &new, &out, pg, &[]);
        let t = text(&o);
        assert_eq!(
            o.status.code(),
            Some(1),
            "a data-loss hazard not allowed:\n{t}"
        );
        assert!(t.contains("error[data-loss]"), "{t}");
        assert!(t.contains("(2 rows in the old data)"), "{t}");
        let allowed = diff(
            &old,
            &new,
            &tmp.path().join("allowed"),
            pg,
            &["--allow", "data-loss,index-build"],
        );
        assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed));
        assert!(
            !out.join("down.sql").exists(),
            "a dropped column cannot come back"
        );
        let review = std::fs::read_to_string(out.join("DIFF_REVIEW.md")).unwrap();
        assert!(
            review.contains("docs.body"),
            "the kept jsonb decision is listed:\n{review}"
        );

        let db = migrated(&old, pg);
        let docs = |db: &TestDb| db.json_rows("docs", &["id".into(), "body".into(), "note".into()]);
        let weird = |db: &TestDb| db.json_rows(HOSTILE, &["c\"1".into(), "keep".into()]);
        let (docs_before, weird_before) = (docs(&db), weird(&db));
        assert_eq!(docs_before.len(), 60);
        db.psql_file(&out.join("up.sql"))
            .unwrap_or_else(|e| panic!("up.sql on {pg}: {e}"));
        assert_eq!(docs(&db), docs_before, "docs rows on {pg}");
        assert_eq!(weird(&db), weird_before, "hostile table rows on {pg}");
        let catalog = db.catalog().join("\n");
        for want in [
            "column docs.body jsonb not null",
            "column docs.new\ncol */ text default 'it''s $$'::text",
            "CREATE INDEX \"ix \"\"q\"\" */\" ON public.\"we\"\"ird */ $$\nname\" USING btree (keep)",
            "CHECK ((keep > 0))",
        ] {
            assert!(
                catalog.contains(want),
                "{want:?} missing on {pg}:\n{catalog}"
            );
        }
        assert!(!catalog.contains("gone col"), "{catalog}");
    }
}

#[test]
fn set_not_null_is_reported_with_the_nulls_of_the_old_data_and_fails_on_them() {
    let tmp = tempfile::tempdir().unwrap();
    let old = old_db(tmp.path());
    let new = tmp.path().join("not_null.sql");
    std::fs::write(&new, NOT_NULL_DDL).unwrap();
    for pg in PgVersion::ALL {
        let out = tmp.path().join(format!("nn{}", pg.major()));
        let o = diff(&old, &new, &out, pg, &[]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{t}");
        assert!(
            t.contains("docs.note becomes NOT NULL: fails: the old data has 1 NULLs there"),
            "{t}"
        );
        let up = std::fs::read_to_string(out.join("up.sql")).unwrap();
        let check = up.find("CHECK (note IS NOT NULL) NOT VALID").expect(&up);
        let set = up.find("ALTER COLUMN note SET NOT NULL").expect(&up);
        assert!(check < set, "the CHECK comes first:\n{up}");
        let db = migrated(&old, pg);
        let e = db
            .psql_file(&out.join("up.sql"))
            .expect_err("the NULL refuses it");
        assert!(e.contains("violated by some row"), "{e}");
        assert_eq!(
            db.scalar("SELECT count(*) FROM docs WHERE note IS NULL"),
            "1"
        );
        // down.sql exists (nothing dropped) and undoes it on the fresh old schema.
        assert!(out.join("down.sql").exists());
    }
}

/// With rename hints, the Memos renames are renames: no data-loss, the new
/// catalog reached (constraint names PostgreSQL derived from the old names
/// renamed too), and down.sql written and returning to the old catalog.
#[test]
fn memos_renames_by_hint_keep_the_data_and_come_back() {
    let v = memos();
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(usize, &[&str]); 2] = [
        (
            2,
            &[
                "--rename",
                "resource=attachment",
                "--rename",
                "system_setting=instance_setting",
            ],
        ),
        (13, &["--rename", "reaction.content_id=memo_id"]),
    ];
    for pg in PgVersion::ALL {
        for (a, hints) in cases {
            let o = pair_with(&v[a], &v[a + 1], pg, tmp.path(), hints)
                .unwrap_or_else(|e| panic!("{a} with {hints:?} on {pg}: {e}"));
            assert!(
                !o.hazards.iter().any(|h| h == "data-loss"),
                "{:?}",
                o.hazards
            );
            assert_eq!(o.down, "returns", "{a} on {pg}");
        }
    }
    let o = pgbridge(&[
        "diff",
        v[13].to_str().unwrap(),
        v[14].to_str().unwrap(),
        "-o",
        tmp.path().join("bad").to_str().unwrap(),
        "--rename",
        "reaction.nope=memo_id",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("error[rename-unknown]"), "{}", text(&o));
}

/// Old and new DDL, each compiled and applied: old + up.sql gives the new
/// catalog, and down.sql (written: nothing is dropped) the old one again.
fn ddl_pair(name: &str, old: &str, new: &str, tmp: &Path) {
    let (o, n) = (
        tmp.join(format!("{name}_old.sql")),
        tmp.join(format!("{name}_new.sql")),
    );
    std::fs::write(&o, old).unwrap();
    std::fs::write(&n, new).unwrap();
    for pg in PgVersion::ALL {
        let r = pair(&o, &n, pg, &tmp.join(name)).unwrap_or_else(|e| panic!("{name} on {pg}: {e}"));
        assert_eq!(r.down, "returns", "{name} on {pg}");
    }
}

#[test]
fn column_key_index_foreign_key_and_view_changes_reach_the_new_catalog_and_back() {
    let tmp = tempfile::tempdir().unwrap();
    let base = "CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT);\n";
    ddl_pair(
        "not_null",
        &format!("{base}CREATE TABLE c (id INTEGER PRIMARY KEY, note TEXT, n INTEGER NOT NULL);"),
        &format!("{base}CREATE TABLE c (id INTEGER PRIMARY KEY, note TEXT NOT NULL, n INTEGER);"),
        tmp.path(),
    );
    ddl_pair(
        "type_default_check",
        &format!(
            "{base}CREATE TABLE c (id INTEGER PRIMARY KEY, v INTEGER DEFAULT 1 CONSTRAINT v_pos CHECK (v > 0), w TEXT);"
        ),
        &format!(
            "{base}CREATE TABLE c (id INTEGER PRIMARY KEY, v TEXT DEFAULT 'x' CONSTRAINT v_pos CHECK (v <> ''), w TEXT DEFAULT 'w');"
        ),
        tmp.path(),
    );
    ddl_pair(
        "fk_unique_indexes_view",
        &format!(
            "{base}CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER, s TEXT);\nCREATE VIEW vc AS SELECT id, s FROM c;"
        ),
        &format!(
            "{base}CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE, s TEXT, UNIQUE (p_id, s));\n\
             CREATE INDEX c_partial ON c (s) WHERE p_id IS NOT NULL;\nCREATE INDEX c_expr ON c (lower(s));\n\
             CREATE UNIQUE INDEX p_code ON p (code);\nCREATE VIEW vc AS SELECT id, s, p_id FROM c;"
        ),
        tmp.path(),
    );
}

/// A migration tool's directory from `compile --layout` takes the diff as
/// its next version: applied in the tool's file order with psql it reaches
/// the new catalog, its down the old one; pgbridge.sum covers both versions.
#[test]
fn layouts_append_the_diff_as_the_next_version() {
    let v = memos();
    let tmp = tempfile::tempdir().unwrap();
    let pg = PgVersion::V18;
    for (layout, up, down) in [
        (
            "golang-migrate",
            "000002_diff.up.sql",
            Some("000002_diff.down.sql"),
        ),
        ("flyway", "V2__diff.sql", Some("U2__diff.sql")),
    ] {
        let dir = tmp.path().join(layout);
        let (old, new) = (&v[11], &v[12]);
        let o = pgbridge(&[
            "compile",
            old.to_str().unwrap(),
            "-o",
            dir.to_str().unwrap(),
            "--layout",
            layout,
        ]);
        assert!(o.status.success(), "{}", text(&o));
        let o = diff(old, new, &dir, pg, &["--layout", layout]);
        assert!(o.status.success(), "{}", text(&o));
        let init = if layout == "flyway" {
            "V1__init.sql"
        } else {
            "000001_init.up.sql"
        };
        let db = cluster(pg).new_db("diff_layout");
        for f in [init, up] {
            db.psql_file(&dir.join(f))
                .unwrap_or_else(|e| panic!("{layout} {f}: {e}"));
        }
        let fresh_new = cluster(pg).new_db("diff_layout_new");
        applied(
            &fresh_new,
            new,
            pg,
            &tmp.path().join(format!("{layout}_new")),
        )
        .unwrap();
        assert_eq!(
            delta(&db.catalog(), &fresh_new.catalog()),
            "",
            "{layout} up"
        );
        let fresh_old = cluster(pg).new_db("diff_layout_old");
        applied(
            &fresh_old,
            old,
            pg,
            &tmp.path().join(format!("{layout}_old")),
        )
        .unwrap();
        let down = down.unwrap();
        db.psql_file(&dir.join(down))
            .unwrap_or_else(|e| panic!("{layout} {down}: {e}"));
        assert_eq!(
            delta(&db.catalog(), &fresh_old.catalog()),
            "",
            "{layout} down"
        );
        let sum = std::fs::read_to_string(dir.join("pgbridge/pgbridge.sum")).unwrap();
        for f in [
            init,
            up,
            "pgbridge/DIFF_REVIEW_diff.md",
            "pgbridge/APP_IMPACT.md",
        ] {
            assert!(
                sum.contains(&format!("  {f}\n")),
                "{f} missing from pgbridge.sum:\n{sum}"
            );
        }
        // A second diff is the third version.
        let o = diff(
            new,
            &v[13],
            &dir,
            pg,
            &[
                "--layout",
                layout,
                "--name",
                "username collation",
                "--allow-hazards",
            ],
        );
        assert!(o.status.success(), "{}", text(&o));
        let third = if layout == "flyway" {
            "V3__username_collation.sql"
        } else {
            "000003_username_collation.up.sql"
        };
        assert!(dir.join(third).exists(), "{layout}: no {third}");
    }
}

#[test]
fn concurrently_builds_new_indexes_after_the_transaction_without_the_hazard() {
    let tmp = tempfile::tempdir().unwrap();
    let (o, n) = (tmp.path().join("oo.sql"), tmp.path().join("nn.sql"));
    std::fs::write(&o, "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT);").unwrap();
    std::fs::write(
        &n,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT);\nCREATE INDEX \"t s\" ON t (s) WHERE s <> '';",
    )
    .unwrap();
    for pg in PgVersion::ALL {
        let r = pair_with(&o, &n, pg, tmp.path(), &["--concurrently"])
            .unwrap_or_else(|e| panic!("{pg}: {e}"));
        assert!(r.hazards.is_empty(), "{:?}", r.hazards);
        let plain = pair(&o, &n, pg, tmp.path()).unwrap_or_else(|e| panic!("{pg}: {e}"));
        assert_eq!(plain.hazards, ["index-build"]);
    }
    let out = tmp
        .path()
        .join(format!("oo-nn-{}-1/diff/up.sql", PgVersion::V18.major()));
    let up = std::fs::read_to_string(&out).unwrap();
    let commit = up.find("COMMIT;").expect(&up);
    let build = up
        .find("CREATE INDEX CONCURRENTLY \"t s\" ON t (s)")
        .expect(&up);
    assert!(commit < build, "{up}");
}

/// A table rename and a rename of one of its columns in one run (the
/// column hint names the table by its new name): up.sql reaches the new
/// catalog, down.sql undoes both, on PostgreSQL 15 and 18.
#[test]
fn a_table_and_its_column_renamed_in_one_run_come_back_with_down() {
    let tmp = tempfile::tempdir().unwrap();
    let (o, n) = (tmp.path().join("ro.sql"), tmp.path().join("rn.sql"));
    std::fs::write(
        &o,
        "CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT NOT NULL UNIQUE, z INTEGER);\nCREATE INDEX a_z ON a (z);",
    )
    .unwrap();
    std::fs::write(
        &n,
        "CREATE TABLE b (id INTEGER PRIMARY KEY, y TEXT NOT NULL UNIQUE, z INTEGER);\nCREATE INDEX a_z ON b (z);",
    )
    .unwrap();
    for pg in PgVersion::ALL {
        let r = pair_with(
            &o,
            &n,
            pg,
            tmp.path(),
            &["--rename", "a=b", "--rename", "b.x=y"],
        )
        .unwrap_or_else(|e| panic!("{pg}: {e}"));
        assert!(r.hazards.is_empty(), "{:?}", r.hazards);
        assert_eq!(r.down, "returns", "{pg}");
    }
}

/// A column whose type needs an extension the old schema did not: up.sql
/// creates the extension first, on PostgreSQL 15 and 18. A target schema
/// changed from none is refused by name (exit 2, nothing written).
#[test]
fn a_new_extension_is_created_and_a_schema_from_none_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (o, n) = (tmp.path().join("eo.sql"), tmp.path().join("en.sql"));
    std::fs::write(&o, "CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT);").unwrap();
    std::fs::write(
        &n,
        "CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT, nick TEXT COLLATE NOCASE);",
    )
    .unwrap();
    for pg in PgVersion::ALL {
        let r = pair(&o, &n, pg, tmp.path()).unwrap_or_else(|e| panic!("{pg}: {e}"));
        assert!(r.hazards.is_empty(), "{:?}", r.hazards);
    }
    let up = std::fs::read_to_string(
        tmp.path()
            .join(format!("eo-en-{}-0/diff/up.sql", PgVersion::V18.major())),
    )
    .unwrap();
    assert!(
        up.contains("CREATE EXTENSION IF NOT EXISTS citext;"),
        "{up}"
    );
    // A side without --schema is in the connection's current schema,
    // which the diff cannot name: refused by name, nothing written.
    let out = tmp.path().join("nsdiff");
    let r = diff(&o, &n, &out, PgVersion::V18, &["--old-schema", "elsewhere"]);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r));
    assert!(
        text(&r).contains("error[diff-namespace-changed]"),
        "{}",
        text(&r)
    );
    assert!(!out.join("up.sql").exists());
}

/// Keys PostgreSQL had to number (`…_key1`): two UNIQUEs whose names meet
/// (`(a, b_c)` and `(a_b, c)`), a UNIQUE whose name a table has, two
/// UNIQUEs on a long table whose shortened names meet; and on
/// PostgreSQL 18 two NOT NULLs whose names meet across tables. Names hold
/// quotes, a line break, `*/` and spaces.
fn numbered_old() -> String {
    let long = format!("\"{} t\"\"q\"", "l".repeat(36));
    let (va, vb) = (
        format!("{}1", "v".repeat(39)),
        format!("{}2", "v".repeat(39)),
    );
    format!(
        "CREATE TABLE \"q\"\"t */\nx\" (id INTEGER PRIMARY KEY, a TEXT, b_c TEXT, a_b TEXT, c TEXT, \"n\"\"l\n*/ \" TEXT NOT NULL, UNIQUE (a, b_c), UNIQUE (a_b, c));
CREATE TABLE \"q\"\"t */\nx2\" (z TEXT UNIQUE);
CREATE TABLE \"q\"\"t */\nx2_z_key\" (v INTEGER);
CREATE TABLE {long} (id INTEGER PRIMARY KEY, {va} TEXT UNIQUE, {vb} TEXT UNIQUE);
CREATE TABLE a (b_c TEXT NOT NULL);
CREATE TABLE a_b (c TEXT NOT NULL);
"
    )
}

#[test]
fn keys_postgresql_numbered_are_dropped_and_renamed_by_the_names_it_gave() {
    let tmp = tempfile::tempdir().unwrap();
    let old = numbered_old();
    let (va, vb) = (
        format!("{}1", "v".repeat(39)),
        format!("{}2", "v".repeat(39)),
    );
    // The old schema's names are the numbered ones.
    for pg in PgVersion::ALL {
        let p = tmp.path().join(format!("numbered{}.sql", pg.major()));
        std::fs::write(&p, &old).unwrap();
        let db = cluster(pg).new_db("diff_numbered");
        applied(
            &db,
            &p,
            pg,
            &tmp.path().join(format!("numbered{}", pg.major())),
        )
        .unwrap();
        let catalog = db.catalog().join("\n");
        let mut want = vec![
            "q\"t */\nx_a_b_c_key1 UNIQUE (a_b, c)".to_string(),
            "q\"t */\nx2_z_key1 UNIQUE (z)".to_string(),
            format!("{}_{}_key UNIQUE", "l".repeat(29), "v".repeat(29)),
            format!("{}_{}_key1 UNIQUE", "l".repeat(29), "v".repeat(28)),
        ];
        if pg == PgVersion::V18 {
            want.push("constraint a_b a_b_c_not_null1 NOT NULL c".into());
        }
        for w in want {
            assert!(catalog.contains(&w), "{w:?} on {pg}:\n{catalog}");
        }
    }
    // The numbered ones dropped (and a NOT NULL that freed a name).
    let dropped = old
        .replace(", UNIQUE (a_b, c));", ");")
        .replace("(z TEXT UNIQUE)", "(z TEXT)")
        .replace(&format!("{vb} TEXT UNIQUE"), &format!("{vb} TEXT"))
        .replace("(b_c TEXT NOT NULL)", "(b_c TEXT)");
    assert_ne!(dropped, old);
    ddl_pair("numbered_dropped", &old, &dropped, tmp.path());
    // The ones before them dropped: the numbered ones take their names.
    let renamed = old
        .replace("UNIQUE (a, b_c), ", "")
        .replace(&format!("{va} TEXT UNIQUE"), &format!("{va} TEXT"));
    assert_ne!(renamed, old);
    ddl_pair("numbered_renamed", &old, &renamed, tmp.path());
    let up = std::fs::read_to_string(tmp.path().join("numbered_renamed/nu-nu-18-0/diff/up.sql"))
        .unwrap();
    assert!(
        up.contains("RENAME CONSTRAINT U&\"q\"\"t */\\000Ax_a_b_c_key1\" TO U&\"q\"\"t */\\000Ax_a_b_c_key\";"),
        "{up}"
    );
}

/// The table whose name a key wanted is dropped: the key takes the name
/// once the table is gone (create before drop keeps the drop last).
#[test]
fn a_key_takes_the_name_a_dropped_table_held() {
    let tmp = tempfile::tempdir().unwrap();
    let old = numbered_old();
    let new = old.replace("CREATE TABLE \"q\"\"t */\nx2_z_key\" (v INTEGER);\n", "");
    assert_ne!(new, old);
    let (o, n) = (
        tmp.path().join("late_old.sql"),
        tmp.path().join("late_new.sql"),
    );
    std::fs::write(&o, &old).unwrap();
    std::fs::write(&n, &new).unwrap();
    for pg in PgVersion::ALL {
        let r = pair(&o, &n, pg, tmp.path()).unwrap_or_else(|e| panic!("{pg}: {e}"));
        assert_eq!(r.hazards, ["data-loss"], "{pg}");
    }
    let up = std::fs::read_to_string(tmp.path().join("la-la-18-0/diff/up.sql")).unwrap();
    let drop = up.find("DROP TABLE").expect(&up);
    let rename = up.find("RENAME CONSTRAINT").expect(&up);
    assert!(drop < rename, "{up}");
}

/// Two sides compiled with their own arguments, for [`sides`].
struct Sides<'a> {
    old: &'a str,
    new: &'a str,
    old_args: &'a [&'a str],
    new_args: &'a [&'a str],
    diff_args: &'a [&'a str],
    /// The PostgreSQL schema each side's catalog is read in.
    old_schema: &'a str,
    new_schema: &'a str,
    /// SQL run on the old database before up.sql, and a query after it.
    before_up: &'a str,
    after_up: &'a str,
}

/// What [`sides`] saw: up.sql, whether down.sql was written, and the
/// output of `after_up`.
struct Seen {
    up: String,
    down: bool,
    after_up: String,
}

/// The text search configurations of `schema`, by name.
fn configs(db: &TestDb, schema: &str) -> String {
    db.scalar(&format!(
        "SELECT coalesce(string_agg(cfgname, ',' ORDER BY cfgname), '') FROM pg_ts_config c \
         JOIN pg_namespace n ON n.oid = c.cfgnamespace WHERE n.nspname = '{}'",
        schema.replace('\'', "''")
    ))
}

/// Old and new each compiled (with their arguments) and applied: the old
/// database plus up.sql has the new catalog and text search
/// configurations, and down.sql (where written) brings back the old ones.
fn sides(name: &str, c: &Sides, pg: PgVersion, tmp: &Path) -> Seen {
    let work = tmp.join(format!("{name}{}", pg.major()));
    std::fs::create_dir_all(&work).unwrap();
    let (o, n) = (work.join("old.sql"), work.join("new.sql"));
    std::fs::write(&o, c.old).unwrap();
    std::fs::write(&n, c.new).unwrap();
    let major = pg.major().to_string();
    let compiled = |input: &Path, extra: &[&str], dir: &str| -> TestDb {
        let out = work.join(dir);
        let mut args = vec![
            "compile",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--pg-version",
            &major,
        ];
        args.extend_from_slice(extra);
        let r = pgbridge(&args);
        assert!(r.status.success(), "{name} compile:\n{}", text(&r));
        let db = cluster(pg).new_db("diff_sides");
        for f in ["01_schema.sql", "03_constraints.sql"] {
            db.psql_file(&out.join(f))
                .unwrap_or_else(|e| panic!("{name} {dir} {f} on {pg}: {e}"));
        }
        db
    };
    let want_new = compiled(&n, c.new_args, "new");
    let want_old = compiled(&o, c.old_args, "old");
    let db = compiled(&o, c.old_args, "old2");
    let out = work.join("diff");
    let mut args = vec![
        "diff",
        o.to_str().unwrap(),
        n.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--pg-version",
        &major,
    ];
    args.extend_from_slice(c.diff_args);
    let r = pgbridge(&args);
    assert!(
        matches!(r.status.code(), Some(0 | 1)),
        "{name} diff:\n{}",
        text(&r)
    );
    if !c.before_up.is_empty() {
        db.psql(c.before_up)
            .unwrap_or_else(|e| panic!("{name} before up on {pg}: {e}"));
    }
    db.psql_file(&out.join("up.sql"))
        .unwrap_or_else(|e| panic!("{name} up.sql on {pg}: {e}"));
    let (ns_new, ns_old) = (c.new_schema, c.old_schema);
    assert_eq!(
        delta(&db.catalog_in(ns_new), &want_new.catalog_in(ns_new)),
        "",
        "{name}: after up.sql on {pg}"
    );
    assert_eq!(
        configs(&db, ns_new),
        configs(&want_new, ns_new),
        "{name} on {pg}"
    );
    let after_up = if c.after_up.is_empty() {
        String::new()
    } else {
        db.psql(&format!(
            "\\pset format unaligned\n\\pset tuples_only on\n{}",
            c.after_up
        ))
        .unwrap_or_else(|e| panic!("{name} after up on {pg}: {e}"))
    };
    let up = std::fs::read_to_string(out.join("up.sql")).unwrap();
    let down = out.join("down.sql");
    if down.exists() {
        db.psql_file(&down)
            .unwrap_or_else(|e| panic!("{name} down.sql on {pg}: {e}"));
        assert_eq!(
            delta(&db.catalog_in(ns_old), &want_old.catalog_in(ns_old)),
            "",
            "{name}: after down.sql on {pg}"
        );
        assert_eq!(
            configs(&db, ns_old),
            configs(&want_old, ns_old),
            "{name} on {pg}"
        );
    }
    Seen {
        up,
        down: down.exists(),
        after_up,
    }
}

const GEN_TABLE: &str = "\"g \"\"t */\nx\"";

/// A changed generated expression: `SET EXPRESSION` on PostgreSQL 18,
/// the column dropped and added again on 15 (its index and CHECK with
/// it); an identity added to a column that held ids: the sequence goes on
/// after them. down.sql returns. A column that becomes generated loses
/// its values: data-loss, no down.sql.
#[test]
fn generated_and_identity_changes_reach_the_new_catalog_and_back() {
    let tmp = tempfile::tempdir().unwrap();
    let t = GEN_TABLE;
    let old = format!(
        "CREATE TABLE {t} (id INTEGER NOT NULL, a INTEGER, \"b c\" INTEGER GENERATED ALWAYS AS (a * 2) STORED CHECK (\"b c\" >= 0), d INTEGER);\nCREATE INDEX \"g i\" ON {t} (\"b c\");\n"
    );
    let new = old
        .replace("id INTEGER NOT NULL", "id INTEGER PRIMARY KEY")
        .replace("(a * 2)", "(a * 3)");
    let quoted = "U&\"g \"\"t */\\000Ax\"";
    for pg in PgVersion::ALL {
        let before = format!("INSERT INTO {quoted} (id, a) VALUES (5, 1), (7, 2);");
        let after = format!(
            "INSERT INTO {quoted} (a) VALUES (3);\nSELECT string_agg(id || ':' || \"b c\", ' ' ORDER BY id) FROM {quoted};"
        );
        let seen = sides(
            "generated",
            &Sides {
                old: &old,
                new: &new,
                old_args: &[],
                new_args: &[],
                diff_args: &[],
                old_schema: "public",
                new_schema: "public",
                before_up: &before,
                after_up: &after,
            },
            pg,
            tmp.path(),
        );
        assert!(seen.down, "{pg}");
        // Ids go on after the highest; the expression is the new one.
        assert!(
            seen.after_up.contains("5:3 7:6 8:9"),
            "{pg}: {}",
            seen.after_up
        );
        let in_place = seen.up.contains("SET EXPRESSION AS (a * 3)");
        assert_eq!(in_place, pg == PgVersion::V18, "{pg}:\n{}", seen.up);
        assert!(seen.up.contains("hazard[table-rewrite]"), "{}", seen.up);
        assert!(
            seen.up.contains("ADD GENERATED BY DEFAULT AS IDENTITY"),
            "{}",
            seen.up
        );
        // d becomes generated: its values are replaced.
        let computed = old.replace("d INTEGER", "d INTEGER GENERATED ALWAYS AS (a + 1) STORED");
        let seen = sides(
            "becomes_generated",
            &Sides {
                old: &old,
                new: &computed,
                old_args: &[],
                new_args: &[],
                diff_args: &[],
                old_schema: "public",
                new_schema: "public",
                before_up: "",
                after_up: "",
            },
            pg,
            tmp.path(),
        );
        assert!(!seen.down, "{pg}");
        assert!(
            seen.up.contains("hazard[data-loss]: g \"t */"),
            "{}",
            seen.up
        );
    }
}

/// `--old-schema` names the old side's schema: its tables (with their
/// indexes, keys and identity sequences), view and trigger function move
/// to the new one; the trigger is created again there and fires; the old
/// schema keeps none of them; down.sql moves them back.
#[test]
fn a_changed_target_schema_moves_every_object_and_back() {
    let tmp = tempfile::tempdir().unwrap();
    let old = "CREATE TABLE \"t a\" (id INTEGER PRIMARY KEY, \"n\"\"m\" TEXT UNIQUE, k INTEGER);
CREATE INDEX \"t a k\" ON \"t a\" (k);
CREATE TABLE log (id INTEGER PRIMARY KEY, what TEXT);
CREATE VIEW \"v a\" AS SELECT id, k FROM \"t a\";
CREATE TRIGGER \"t a ai\" AFTER INSERT ON \"t a\" BEGIN INSERT INTO log (what) VALUES (NEW.\"n\"\"m\"); END;
";
    let new = old.replace("what TEXT)", "what TEXT, extra TEXT)");
    let (from, to) = ("old \"ns\" */", "new\nns");
    for pg in PgVersion::ALL {
        let after = "SET search_path TO U&\"new\\000Ans\";\nINSERT INTO \"t a\" (\"n\"\"m\") VALUES ('x');\nSELECT count(*) FROM log;\nSELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'old \"ns\" */';";
        let seen = sides(
            "namespace",
            &Sides {
                old,
                new: &new,
                old_args: &["--schema", from],
                new_args: &["--schema", to],
                diff_args: &["--old-schema", from, "--schema", to],
                old_schema: from,
                new_schema: to,
                before_up: "",
                after_up: after,
            },
            pg,
            tmp.path(),
        );
        assert!(seen.down, "{pg}");
        let lines: Vec<&str> = seen.after_up.lines().collect();
        assert!(lines.ends_with(&["1", "0"]), "{pg}: {lines:?}");
        assert!(
            seen.up.contains(
                "ALTER TABLE \"old \"\"ns\"\" */\".\"t a\" SET SCHEMA U&\"new\\000Ans\";"
            ),
            "{}",
            seen.up
        );
    }
}

/// A full-text table added (its text search configuration created before
/// the generated column that names it), then its tokenizer changed (the
/// new configuration created, the column's expression changed, the old
/// configuration dropped after): the new catalog and configurations, and
/// back with down.sql.
#[test]
fn full_text_added_and_its_tokenizer_changed_create_and_drop_configurations() {
    let tmp = tempfile::tempdir().unwrap();
    let base = "CREATE TABLE \"no tes\" (id INTEGER PRIMARY KEY, \"ti\"\"tle\" TEXT, body TEXT);\n";
    let fts = |tokenize: &str| {
        format!(
            "{base}CREATE VIRTUAL TABLE \"no tes fts\" USING fts5(\"ti\"\"tle\", body, content='no tes', content_rowid='id', tokenize='{tokenize}');\n"
        )
    };
    let ext: &[&str] = &["--extensions", "unaccent"];
    let (porter, plain) = (fts("porter unicode61"), fts("unicode61"));
    for pg in PgVersion::ALL {
        let before = "INSERT INTO \"no tes\" (\"ti\"\"tle\", body) VALUES ('Café', 'running');";
        let seen = sides(
            "fts_added",
            &Sides {
                old: base,
                new: &porter,
                old_args: ext,
                new_args: ext,
                diff_args: ext,
                old_schema: "public",
                new_schema: "public",
                before_up: before,
                after_up: "SELECT \"no tes fts\" @@ to_tsquery('english_unaccent', 'cafe & run') FROM \"no tes\";",
            },
            pg,
            tmp.path(),
        );
        assert!(seen.down, "{pg}:\n{}", seen.up);
        assert_eq!(seen.after_up.trim(), "t", "{pg}");
        let create = seen
            .up
            .find("CREATE TEXT SEARCH CONFIGURATION english_unaccent")
            .expect(&seen.up);
        let column = seen.up.find("ADD COLUMN \"no tes fts\"").expect(&seen.up);
        assert!(create < column, "{}", seen.up);
        let seen = sides(
            "fts_tokenizer",
            &Sides {
                old: &porter,
                new: &plain,
                old_args: ext,
                new_args: ext,
                diff_args: ext,
                old_schema: "public",
                new_schema: "public",
                before_up: before,
                after_up: "SELECT \"no tes fts\" @@ to_tsquery('simple_unaccent', 'cafe & running') FROM \"no tes\";",
            },
            pg,
            tmp.path(),
        );
        assert!(seen.down, "{pg}:\n{}", seen.up);
        assert_eq!(seen.after_up.trim(), "t", "{pg}");
        let create = seen
            .up
            .find("CREATE TEXT SEARCH CONFIGURATION simple_unaccent")
            .expect(&seen.up);
        let drop = seen
            .up
            .find("DROP TEXT SEARCH CONFIGURATION english_unaccent")
            .expect(&seen.up);
        assert!(create < drop, "{}", seen.up);
    }
}

/// The SQL lines of a file, comments left out (headers name the inputs).
fn statements(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .map(str::to_string)
        .collect()
}

/// The old side read back where its decisions are kept: the directory a
/// compile wrote (`pgbridge.schema.json`) and the run a migrated target
/// recorded. Either gives the up.sql the old database gives — `docs.body`
/// stays the jsonb its data proved — and the directory a diff writes is
/// the next diff's old side.
#[test]
fn the_old_side_comes_from_a_compiled_directory_or_a_migrated_target() {
    let tmp = tempfile::tempdir().unwrap();
    let old = old_db(tmp.path());
    let new = tmp.path().join("new.sql");
    std::fs::write(&new, NEW_DDL).unwrap();
    let newer = tmp.path().join("newer.sql");
    std::fs::write(
        &newer,
        format!("{NEW_DDL}CREATE TABLE \"more */\" (id INTEGER PRIMARY KEY, \"x\"\"y\" TEXT);\n"),
    )
    .unwrap();
    let allow = ["--allow", "data-loss,index-build"];
    for pg in PgVersion::ALL {
        let major = pg.major().to_string();
        let compiled = tmp.path().join(format!("compiled{major}"));
        let o = pgbridge(&[
            "compile",
            old.to_str().unwrap(),
            "-o",
            compiled.to_str().unwrap(),
            "--pg-version",
            &major,
        ]);
        assert!(o.status.success(), "{}", text(&o));
        let from_db = tmp.path().join(format!("from-db{major}"));
        assert_eq!(
            diff(&old, &new, &from_db, pg, &allow).status.code(),
            Some(0)
        );
        let from_dir = tmp.path().join(format!("from-dir{major}"));
        let o = diff(&compiled, &new, &from_dir, pg, &allow);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert_eq!(
            statements(&from_dir.join("up.sql")),
            statements(&from_db.join("up.sql")),
            "{pg}"
        );
        let review = std::fs::read_to_string(from_dir.join("DIFF_REVIEW.md")).unwrap();
        assert!(
            review.contains("docs.body"),
            "the kept jsonb decision:\n{review}"
        );

        let db = migrated(&old, pg);
        let from_target = tmp.path().join(format!("from-target{major}"));
        // a password in the URL (trust ignores it) reaches no file and no message
        let url = db.url.replacen("postgres@", "postgres:s3cret@", 1);
        assert_ne!(url, db.url);
        let o = diff(Path::new(&url), &new, &from_target, pg, &allow);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(!text(&o).contains("s3cret"), "{}", text(&o));
        assert_eq!(
            statements(&from_target.join("up.sql")),
            statements(&from_db.join("up.sql")),
            "{pg}"
        );
        for f in ["up.sql", "DIFF_REVIEW.md"] {
            let t = std::fs::read_to_string(from_target.join(f)).unwrap();
            assert!(!t.contains("s3cret"), "{f}:\n{t}");
        }

        // the diff's own directory is the next diff's old side
        let chained = tmp.path().join(format!("chained{major}"));
        let o = diff(&from_dir, &newer, &chained, pg, &allow);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let up2 = statements(&chained.join("up.sql")).join("\n");
        assert!(up2.contains("CREATE TABLE \"more */\""), "{up2}");
        assert!(!up2.contains("docs"), "nothing else changes:\n{up2}");
        db.psql_file(&from_target.join("up.sql"))
            .unwrap_or_else(|e| panic!("up.sql on {pg}: {e}"));
        db.psql_file(&chained.join("up.sql"))
            .unwrap_or_else(|e| panic!("chained up.sql on {pg}: {e}"));
        let catalog = db.catalog().join("\n");
        assert!(
            catalog.contains("column docs.body jsonb not null"),
            "{catalog}"
        );
        assert!(catalog.contains("column more */.x\"y text"), "{catalog}");

        // no record: a directory pgbridge did not write, a target it did not migrate
        let empty = tmp.path().join(format!("empty{major}"));
        std::fs::create_dir_all(&empty).unwrap();
        let o = diff(&empty, &new, &tmp.path().join("x"), pg, &allow);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("old-record-missing"), "{}", text(&o));
        let bare = cluster(pg).new_db("diff_norecord");
        let o = diff(
            Path::new(&bare.url),
            &new,
            &tmp.path().join("y"),
            pg,
            &allow,
        );
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(
            text(&o).contains("records no schema for public"),
            "{}",
            text(&o)
        );
    }
}
