//! `compile --layout`, against real PostgreSQL: each layout of
//! `examples/blog.db` and of a corpus database is applied the way its tool
//! applies it — dbmate and Sqitch for real; Flyway, golang-migrate and
//! Atlas (not installable here) by their documented file-name grammar and
//! order, each file run with psql — and leaves the same catalog (tables,
//! columns, types, defaults, constraints, indexes, views) as the plain set
//! applied with psql. Down migrations remove it all again. A second version
//! appends after the first; hostile table names never reach a file name;
//! `compile --check` fails on statement drift only.
//!
//! Needs `sqitch` (Debian `sqitch libdbd-pg-perl`) and dbmate (npm, into
//! `target/tools`): `bash .ci/install-tools`. A missing tool fails the test.
mod common;

use common::{PgVersion, TestDb, cluster, corpus, pgbridge, text};
use pgbridge::emit::layout::{self, Layout, Step};
use regex::Regex;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const INSTALL_HINT: &str = "install the migration tools with `bash .ci/install-tools` \
     (Debian packages sqitch and libdbd-pg-perl; the npm package dbmate into target/tools)";

fn compile_layout(input: &Path, out: &Path, layout: &str, pg: PgVersion) -> Output {
    let major = pg.major().to_string();
    pgbridge(&[
        "compile",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--layout",
        layout,
        "--pg-version",
        &major,
    ])
}

fn compiled(input: &Path, out: &Path, layout: &str, pg: PgVersion) {
    let o = compile_layout(input, out, layout, pg);
    assert!(
        o.status.success(),
        "compile --layout {layout}:\n{}",
        text(&o)
    );
}

/// The plain set applied with psql, as the README says: its catalog.
fn plain_catalog(input: &Path, pg: PgVersion, tmp: &Path) -> Vec<String> {
    let dir = tmp.join("plain");
    compiled(input, &dir, "plain", pg);
    let db = cluster(pg).new_db("layout_plain");
    for f in ["01_schema.sql", "03_constraints.sql"] {
        db.psql_file(&dir.join(f)).unwrap();
    }
    let c = db.catalog();
    assert!(c.iter().any(|l| l.starts_with("relation ")), "{c:?}");
    c
}

/// Top-level file names of `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

fn run_tool(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what} ({e}): {INSTALL_HINT}"));
    assert!(out.status.success(), "{what} failed:\n{}", text(&out));
    text(&out)
}

fn dbmate_bin() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tools/node_modules/.bin/dbmate");
    assert!(
        p.exists(),
        "dbmate not found at target/tools: {INSTALL_HINT}"
    );
    p
}

fn dbmate(dir: &Path, db: &TestDb, args: &[&str]) -> String {
    let url = format!("{}?sslmode=disable", db.url);
    let mut cmd = Command::new(dbmate_bin());
    cmd.arg("--url")
        .arg(url)
        .arg("--migrations-dir")
        .arg(dir)
        .arg("--no-dump-schema")
        .args(args);
    run_tool(&mut cmd, &format!("dbmate {args:?}"))
}

fn sqitch(dir: &Path, db: &TestDb, args: &[&str]) -> String {
    let target = format!("db:{}", db.url.replacen("postgres://", "pg://", 1));
    let home = dir.join(".home");
    std::fs::create_dir_all(&home).unwrap();
    let mut cmd = Command::new("sqitch");
    cmd.current_dir(dir)
        .args(args)
        .arg(target)
        .env("HOME", &home)
        .env("SQITCH_FULLNAME", "pgbridge tests")
        .env("SQITCH_EMAIL", "tests@example.invalid");
    run_tool(&mut cmd, &format!("sqitch {args:?}"))
}

/// Runs the files in order with psql, each in one session.
fn psql_in_order(db: &TestDb, dir: &Path, files: &[String]) {
    for f in files {
        db.psql_file(&dir.join(f))
            .unwrap_or_else(|e| panic!("{f}: {e}"));
    }
}

/// Whether the database holds nothing of the migration any more.
fn assert_removed(db: &TestDb, what: &str) {
    let left: Vec<String> = db
        .catalog()
        .into_iter()
        .filter(|l| !l.starts_with("extension "))
        .collect();
    assert!(left.is_empty(), "{what} left: {left:?}");
}

fn by_layout(input: &Path, layout: &str, pg: PgVersion, tmp: &Path) -> (PathBuf, TestDb) {
    let dir = tmp.join(layout);
    compiled(input, &dir, layout, pg);
    (
        dir,
        cluster(pg).new_db(&format!("layout_{}", layout.replace('-', "_"))),
    )
}

fn apply_dbmate(input: &Path, pg: PgVersion, tmp: &Path, want: &[String]) {
    let (dir, db) = by_layout(input, "dbmate", pg, tmp);
    assert_eq!(
        names(&dir),
        ["19700101000000_init.sql"],
        "dbmate: one file per version"
    );
    dbmate(&dir, &db, &["up"]);
    assert_eq!(db.catalog(), want, "dbmate up vs plain on {pg}");
    dbmate(&dir, &db, &["rollback"]);
    assert_removed(&db, "dbmate rollback");
}

fn apply_sqitch(input: &Path, pg: PgVersion, tmp: &Path, want: &[String]) {
    let (dir, db) = by_layout(input, "sqitch", pg, tmp);
    for f in ["deploy/init.sql", "revert/init.sql", "verify/init.sql"] {
        assert!(dir.join(f).is_file(), "sqitch: {f}");
    }
    sqitch(&dir, &db, &["deploy", "--verify"]);
    assert_eq!(db.catalog(), want, "sqitch deploy vs plain on {pg}");
    sqitch(&dir, &db, &["verify"]);
    sqitch(&dir, &db, &["revert", "-y"]);
    assert_removed(&db, "sqitch revert");
}

/// Flyway: `V<version>__<description>.sql`, applied in numeric version order;
/// `U<version>__<description>.sql` undoes it.
fn apply_flyway(input: &Path, pg: PgVersion, tmp: &Path, want: &[String]) {
    let (dir, db) = by_layout(input, "flyway", pg, tmp);
    let grammar = Regex::new(r"^([VU])([0-9]+(?:[._][0-9]+)*)__([^.]+)\.sql$").unwrap();
    let files = names(&dir);
    assert!(files.iter().all(|f| grammar.is_match(f)), "{files:?}");
    let ups: Vec<String> = files
        .iter()
        .filter(|f| f.starts_with('V'))
        .cloned()
        .collect();
    assert_eq!(ups, ["V1__init.sql"]);
    psql_in_order(&db, &dir, &wrapped(&dir, &ups));
    assert_eq!(db.catalog(), want, "flyway vs plain on {pg}");
    psql_in_order(&db, &dir, &wrapped(&dir, &["U1__init.sql".to_string()]));
    assert_removed(&db, "flyway undo");
}

/// Flyway and Atlas run each file in a transaction of their own; so does
/// this copy of it (`<file>.tx`).
fn wrapped(dir: &Path, files: &[String]) -> Vec<String> {
    files
        .iter()
        .map(|f| {
            let body = std::fs::read_to_string(dir.join(f)).unwrap();
            let name = format!("{f}.tx");
            std::fs::write(dir.join(&name), format!("BEGIN;\n{body}\nCOMMIT;\n")).unwrap();
            name
        })
        .collect()
}

/// golang-migrate: `^[0-9]+_[^.]+\.(up|down)\.sql$`, ups in version order,
/// downs in reverse.
fn apply_golang(input: &Path, pg: PgVersion, tmp: &Path, want: &[String]) {
    let (dir, db) = by_layout(input, "golang-migrate", pg, tmp);
    let grammar = Regex::new(r"^[0-9]+_[^.]+\.(up|down)\.sql$").unwrap();
    let files = names(&dir);
    assert!(files.iter().all(|f| grammar.is_match(f)), "{files:?}");
    assert_eq!(files, ["000001_init.down.sql", "000001_init.up.sql"]);
    psql_in_order(&db, &dir, &["000001_init.up.sql".to_string()]);
    assert_eq!(db.catalog(), want, "golang-migrate vs plain on {pg}");
    psql_in_order(&db, &dir, &["000001_init.down.sql".to_string()]);
    assert_removed(&db, "golang-migrate down");
}

/// Atlas: `<version>_<name>.sql` in lexical order, and `atlas.sum` naming
/// each of them in that order after its `h1:` sum.
fn apply_atlas(input: &Path, pg: PgVersion, tmp: &Path, want: &[String]) {
    let (dir, db) = by_layout(input, "atlas", pg, tmp);
    let files = names(&dir);
    assert_eq!(files, ["19700101000000_init.sql", "atlas.sum"]);
    let sum = std::fs::read_to_string(dir.join("atlas.sum")).unwrap();
    let line = Regex::new(r"^(?:(\S+\.sql) )?h1:[A-Za-z0-9+/]{43}=$").unwrap();
    let listed: Vec<&str> = sum
        .lines()
        .map(|l| {
            line.captures(l)
                .unwrap_or_else(|| panic!("atlas.sum line {l:?}"))
        })
        .filter_map(|c| c.get(1).map(|m| m.as_str()))
        .collect();
    assert_eq!(listed, ["19700101000000_init.sql"]);
    psql_in_order(
        &db,
        &dir,
        &wrapped(&dir, &["19700101000000_init.sql".into()]),
    );
    assert_eq!(db.catalog(), want, "atlas vs plain on {pg}");
}

fn every_layout_matches_plain(input: &Path, pg: PgVersion) {
    let tmp = tempfile::tempdir().unwrap();
    let want = plain_catalog(input, pg, tmp.path());
    apply_dbmate(input, pg, tmp.path(), &want);
    apply_sqitch(input, pg, tmp.path(), &want);
    apply_flyway(input, pg, tmp.path(), &want);
    apply_golang(input, pg, tmp.path(), &want);
    apply_atlas(input, pg, tmp.path(), &want);
}

fn blog() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/blog.db")
}

#[test]
fn blog_in_every_layout_leaves_the_plain_catalog_on_15_and_18() {
    for pg in PgVersion::ALL {
        every_layout_matches_plain(&blog(), pg);
    }
}

#[test]
fn chinook_in_every_layout_leaves_the_plain_catalog() {
    every_layout_matches_plain(&corpus("chinook/Chinook_Sqlite.sqlite"), PgVersion::V18);
}

/// After the tool applied `init`, `pgbridge migrate --data-only` loads the
/// rows and verifies them.
#[test]
fn data_loads_after_the_tool_applied_init() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, db) = by_layout(&blog(), "dbmate", PgVersion::V18, tmp.path());
    dbmate(&dir, &db, &["up"]);
    let o = pgbridge(&["migrate", blog().to_str().unwrap(), &db.url, "--data-only"]);
    assert!(o.status.success(), "migrate --data-only:\n{}", text(&o));
    assert_eq!(db.scalar("SELECT count(*) FROM posts"), "2");
    assert_eq!(db.scalar("SELECT count(*) FROM post_tags"), "3");
}

/// A second version (what `diff` will place) goes after `init`: dbmate and
/// Sqitch apply just it; recompiling leaves `init` where it was.
#[test]
fn a_second_version_appends_and_the_tools_apply_it() {
    let tmp = tempfile::tempdir().unwrap();
    let step = Step {
        name: "add posts.note".into(),
        up: "ALTER TABLE posts ADD COLUMN note text;\n".into(),
        down: Some("ALTER TABLE posts DROP COLUMN note;\n".into()),
        verify: Some("SELECT note FROM posts WHERE false;\n".into()),
    };
    for (name, l) in [("dbmate", Layout::Dbmate), ("sqitch", Layout::Sqitch)] {
        let (dir, db) = by_layout(&blog(), name, PgVersion::V18, tmp.path());
        let existing = layout::read_dir(&dir).unwrap();
        let files = layout::place(l, &existing, &step, &layout::Options::default()).unwrap();
        pgbridge::emit::write_files(&dir, &files).unwrap();
        match l {
            Layout::Dbmate => {
                assert!(dir.join("19700101000001_add_posts_note.sql").is_file());
                dbmate(&dir, &db, &["up"]);
            }
            _ => {
                let plan = std::fs::read_to_string(dir.join("sqitch.plan")).unwrap();
                assert!(
                    plan.contains("\nadd_posts_note 1970-01-01T00:00:01Z "),
                    "{plan}"
                );
                sqitch(&dir, &db, &["deploy", "--verify"]);
            }
        }
        assert_eq!(
            db.scalar("SELECT count(*) FROM posts WHERE note IS NULL"),
            "0"
        );
        let again = pgbridge(&[
            "compile",
            blog().to_str().unwrap(),
            "-o",
            dir.to_str().unwrap(),
            "--layout",
            name,
            "--check",
        ]);
        assert_eq!(again.status.code(), Some(0), "{name}:\n{}", text(&again));
    }
}

/// Tables named like file names, directives and paths: every file name
/// keeps its tool's grammar, and dbmate and Sqitch apply the result.
#[test]
fn hostile_table_names_never_reach_file_names() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("V2__x.sql; rm -rf.db");
    let c = rusqlite::Connection::open(&src).unwrap();
    c.execute_batch(
        r#"CREATE TABLE "migrate:down" (id INTEGER PRIMARY KEY, "-- migrate:up" TEXT);
           CREATE TABLE "../../etc/passwd" (a TEXT DEFAULT '${flyway:user}');
           CREATE TABLE "x
-- atlas:txmode none" (b TEXT);
           INSERT INTO "migrate:down" VALUES (1, 'a'), (2, '${flyway:user}');"#,
    )
    .unwrap();
    drop(c);
    let pg = PgVersion::V18;
    let want = plain_catalog(&src, pg, tmp.path());
    assert!(want.iter().any(|l| l.contains("migrate:down")), "{want:?}");
    apply_dbmate(&src, pg, tmp.path(), &want);
    apply_sqitch(&src, pg, tmp.path(), &want);
    let plan = std::fs::read_to_string(tmp.path().join("sqitch/sqitch.plan")).unwrap();
    assert!(plan.contains("%project=v2-x-sql-rm-rf\n"), "{plan}");
    apply_golang(&src, pg, tmp.path(), &want);
    let o = compile_layout(&src, &tmp.path().join("flyway"), "flyway", pg);
    assert!(
        text(&o).contains("warning[layout-tool-hazard]"),
        "Flyway would replace ${{…}}:\n{}",
        text(&o)
    );
}

fn check(input: &Path, dir: &Path, layout: &str) -> Output {
    pgbridge(&[
        "compile",
        input.to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
        "--layout",
        layout,
        "--check",
    ])
}

/// New rows change only the evidence in comments: `--check` passes and
/// notes it. A new column is statement drift: exit 1 with the diff.
#[test]
fn check_fails_on_statement_drift_only() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("blog.db");
    std::fs::copy(blog(), &db).unwrap();
    for layout in ["plain", "dbmate", "sqitch", "atlas"] {
        compiled(&db, &tmp.path().join(layout), layout, PgVersion::V18);
    }
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute_batch("INSERT INTO tags VALUES ('new'); INSERT INTO post_tags VALUES (1, 'new');")
        .unwrap();
    for layout in ["plain", "dbmate", "sqitch", "atlas"] {
        let o = check(&db, &tmp.path().join(layout), layout);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(0), "{layout}: comment drift:\n{t}");
        assert!(t.contains("migration-comment-drift"), "{layout}:\n{t}");
        assert!(!t.contains("migration-drift"), "{layout}:\n{t}");
    }
    c.execute_batch("ALTER TABLE tags ADD COLUMN color TEXT;")
        .unwrap();
    for layout in ["plain", "dbmate", "sqitch", "atlas"] {
        let o = check(&db, &tmp.path().join(layout), layout);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{layout}: statement drift:\n{t}");
        assert!(
            t.contains("error[migration-drift]") || t.contains("migration-drift"),
            "{t}"
        );
        assert!(t.contains("+    color text"), "{layout}: the diff:\n{t}");
    }
}

/// `--timestamp` stamps a new version; a stamp before the last one, or in
/// a layout without stamps, is refused.
#[test]
fn timestamp_stamps_a_new_version_and_must_move_forward() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("atlas");
    let input = blog();
    let with = |dir: &Path, layout: &str, stamp: &str| {
        let mut args = vec!["compile", input.to_str().unwrap(), "-o"];
        args.extend([
            dir.to_str().unwrap(),
            "--layout",
            layout,
            "--timestamp",
            stamp,
        ]);
        pgbridge(&args)
    };
    let o = with(&dir, "atlas", "20261203212500");
    assert!(o.status.success(), "{}", text(&o));
    assert!(dir.join("20261203212500_init.sql").is_file());
    let plain = with(&tmp.path().join("plain"), "plain", "20261203212500");
    assert_eq!(plain.status.code(), Some(2), "{}", text(&plain));
    let existing = layout::read_dir(&dir).unwrap();
    let step = Step {
        name: "next".into(),
        up: "SELECT 1;\n".into(),
        ..Step::default()
    };
    let early = layout::Options {
        timestamp: layout::Stamp::parse_compact("20261203212500"),
        ..layout::Options::default()
    };
    let err = layout::place(Layout::Atlas, &existing, &step, &early).unwrap_err();
    assert!(err.contains("not after"), "{err}");
}

/// The same input compiles to the same bytes, whatever the day.
#[test]
fn layouts_are_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    for layout in ["flyway", "golang-migrate", "dbmate", "sqitch", "atlas"] {
        let a = tmp.path().join(format!("{layout}-a"));
        let b = tmp.path().join(format!("{layout}-b"));
        compiled(&blog(), &a, layout, PgVersion::V18);
        compiled(&blog(), &b, layout, PgVersion::V18);
        compiled(&blog(), &b, layout, PgVersion::V18);
        let read = |d: &Path| layout::read_dir(d).unwrap();
        assert_eq!(read(&a), read(&b), "{layout}");
    }
}

/// Two consecutive Memos schemas (a new table with keys and an index).
fn memos_pair() -> (PathBuf, PathBuf) {
    let dir = corpus("schema_history/memos");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".sqlite.sql"))
        .collect();
    v.sort();
    assert_eq!(v.len(), 15, "{v:?}");
    (v[11].clone(), v[12].clone())
}

/// `pgbridge diff --layout` appends the next version to a directory
/// `compile --layout` wrote, and the tool that owns it deploys both to the
/// catalog of the new schema's plain set, and its down back to the old
/// one's: dbmate `up`/`rollback`; Sqitch `deploy --verify`, `verify`,
/// `revert --to @HEAD^` (the diff has its deploy, revert and verify
/// scripts); Atlas (not installable here) in its file order, `atlas.sum`
/// chaining both versions as its hash (checked against files Atlas wrote,
/// in the unit tests) gives.
#[test]
fn a_diff_appended_to_dbmate_sqitch_and_atlas_is_deployed_and_reverted_by_the_tool() {
    let (old, new) = memos_pair();
    let pg = PgVersion::V18;
    let tmp = tempfile::tempdir().unwrap();
    let (old_dir, new_dir) = (tmp.path().join("old"), tmp.path().join("new"));
    let want_old = plain_catalog(&old, pg, &old_dir);
    let want_new = plain_catalog(&new, pg, &new_dir);
    assert_ne!(want_old, want_new);
    for layout in ["dbmate", "sqitch", "atlas"] {
        let dir = tmp.path().join(layout);
        compiled(&old, &dir, layout, pg);
        let o = pgbridge(&[
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "-o",
            dir.to_str().unwrap(),
            "--layout",
            layout,
            "--pg-version",
            "18",
        ]);
        assert!(o.status.success(), "{layout}: {}", text(&o));
        let db = cluster(pg).new_db(&format!("diff_{layout}"));
        match layout {
            "dbmate" => {
                assert_eq!(names(&dir).len(), 2, "{:?}", names(&dir));
                dbmate(&dir, &db, &["up"]);
                assert_eq!(db.catalog(), want_new, "dbmate up");
                dbmate(&dir, &db, &["rollback"]);
                assert_eq!(db.catalog(), want_old, "dbmate rollback");
            }
            "sqitch" => {
                for f in ["deploy/diff.sql", "revert/diff.sql", "verify/diff.sql"] {
                    assert!(dir.join(f).is_file(), "sqitch: {f}");
                }
                sqitch(&dir, &db, &["deploy", "--verify"]);
                assert_eq!(db.catalog(), want_new, "sqitch deploy");
                sqitch(&dir, &db, &["verify"]);
                sqitch(&dir, &db, &["revert", "-y", "--to", "@HEAD^"]);
                assert_eq!(db.catalog(), want_old, "sqitch revert");
            }
            _ => {
                let files = names(&dir);
                assert_eq!(files.len(), 3, "{files:?}");
                assert_eq!(files[2], "atlas.sum");
                let sum = std::fs::read_to_string(dir.join("atlas.sum")).unwrap();
                let sql: std::collections::BTreeMap<String, String> = files[..2]
                    .iter()
                    .map(|f| (f.clone(), std::fs::read_to_string(dir.join(f)).unwrap()))
                    .collect();
                assert_eq!(sum, pgbridge::emit::layout::atlas::sum_file(&sql));
                let listed: Vec<&str> = sum
                    .lines()
                    .skip(1)
                    .map(|l| l.split(' ').next().unwrap())
                    .collect();
                assert_eq!(
                    listed,
                    files[..2].iter().map(String::as_str).collect::<Vec<_>>()
                );
                psql_in_order(&db, &dir, &wrapped(&dir, &files[..2]));
                assert_eq!(db.catalog(), want_new, "atlas");
            }
        }
    }
}
