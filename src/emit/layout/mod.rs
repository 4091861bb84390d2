//! layout: a migration set as the directory a migration tool reads.
//!
//! Input: a [`Step`] — one migration: up SQL, down SQL (optional), verify
//! SQL (optional, for Sqitch), a name — and the files a directory already
//! holds ([`read_dir`]). Output: the files that add the step as the next
//! version ([`place`]): Flyway `V<n>__<name>.sql`, golang-migrate
//! `<n:06>_<name>.up.sql`/`.down.sql`, dbmate `<YYYYMMDDHHMMSS>_<name>.sql`,
//! Sqitch `deploy|revert|verify/<name>.sql` + `sqitch.plan`, Atlas
//! `<YYYYMMDDHHMMSS>_<name>.sql` + `atlas.sum` (rewritten over every
//! migration file, so its hashes chain). `compile` places the whole schema
//! as the step `init` ([`init_step`]) with `replace` set: a directory that
//! has `init` keeps its number and stamp and gets its files rewritten, so
//! recompiling and `--check` are stable; a future `diff` places its ALTERs
//! the same way, without `replace`.
//!
//! Invariants: deterministic (no clock: stamps come from `--timestamp`, the
//! versions already there, or [`Stamp::EPOCH`]); names reach file names only
//! as [`naming::slug`]s; no line of a body can read as a tool directive
//! (`-- migrate:down`, `-- atlas:…`, see [`neutralise_directives`]).
use crate::diag::Diagnostic;
use crate::emit::{EmitOptions, MigrationSet, SUM_FILE, impact, ir_to_sql, sum_file};
use crate::ident::quote_ident;
use crate::ir::pg;
use std::collections::BTreeMap;
use std::path::Path;

pub mod atlas;
pub mod naming;
pub mod sqitch;
pub mod stamp;

use naming::{Id, file_names, slug};
pub use stamp::Stamp;

/// Where `compile` writes what a migration tool does not run (validation
/// SQL, review files, `pgbridge.sum`), inside the output directory.
pub const COMPANION_DIR: &str = "pgbridge";

/// The directory layouts `compile` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `01_schema.sql` … `rollback.sql`, applied with psql.
    Plain,
    Flyway,
    GolangMigrate,
    Dbmate,
    Sqitch,
    Atlas,
}

impl Layout {
    pub const ALL: [Layout; 6] = [
        Layout::Plain,
        Layout::Flyway,
        Layout::GolangMigrate,
        Layout::Dbmate,
        Layout::Sqitch,
        Layout::Atlas,
    ];

    /// The kebab-case id `--layout` takes.
    pub fn id(self) -> &'static str {
        match self {
            Layout::Plain => "plain",
            Layout::Flyway => "flyway",
            Layout::GolangMigrate => "golang-migrate",
            Layout::Dbmate => "dbmate",
            Layout::Sqitch => "sqitch",
            Layout::Atlas => "atlas",
        }
    }

    /// Whether file names carry a `YYYYMMDDHHMMSS` stamp.
    fn timestamped(self) -> bool {
        matches!(self, Layout::Dbmate | Layout::Atlas)
    }

    /// Whether versions are stamped (file names, or `sqitch.plan`).
    pub fn stamped(self) -> bool {
        self.timestamped() || self == Layout::Sqitch
    }
}

/// One migration, its SQL without transaction control of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Step {
    pub name: String,
    pub up: String,
    pub down: Option<String>,
    /// Statements that fail unless the step is deployed (Sqitch `verify/`).
    pub verify: Option<String>,
}

/// How a step is placed.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The stamp of a new version (dbmate, Atlas, Sqitch's plan).
    pub timestamp: Option<Stamp>,
    /// Sqitch's project name (made a slug).
    pub project: String,
    /// Rewrite the version of the same name when the directory has one.
    pub replace: bool,
}

/// The files of `dir` a layout reads: top-level `*.sql`, `atlas.sum`,
/// `sqitch.plan`, `sqitch.conf`, and `deploy|revert|verify/*.sql`. A
/// missing directory holds nothing.
pub fn read_dir(dir: &Path) -> std::io::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    read_level(dir, "", &mut out)?;
    for sub in ["deploy", "revert", "verify"] {
        read_level(&dir.join(sub), &format!("{sub}/"), &mut out)?;
    }
    Ok(out)
}

fn read_level(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let wanted = name.ends_with(".sql")
            || (prefix.is_empty()
                && [atlas::SUM_FILE, sqitch::PLAN, sqitch::CONF].contains(&name.as_str()));
        if wanted && entry.file_type()?.is_file() {
            let bytes = std::fs::read(entry.path())?;
            out.insert(
                format!("{prefix}{name}"),
                String::from_utf8_lossy(&bytes).into(),
            );
        }
    }
    Ok(())
}

/// The files that add `step` to a directory holding `existing` (see
/// [`read_dir`]) as `layout`'s next version, or rewrite it (`o.replace`).
pub fn place(
    layout: Layout,
    existing: &BTreeMap<String, String>,
    step: &Step,
    o: &Options,
) -> Result<BTreeMap<String, String>, String> {
    match layout {
        Layout::Plain => Err("the plain layout has no versions".into()),
        Layout::Sqitch => sqitch::place(existing, &neutral(step), o),
        _ => place_files(layout, existing, &neutral(step), o),
    }
}

fn neutral(step: &Step) -> Step {
    Step {
        name: step.name.clone(),
        up: neutralise_directives(&step.up),
        down: step.down.as_deref().map(neutralise_directives),
        verify: step.verify.as_deref().map(neutralise_directives),
    }
}

fn place_files(
    layout: Layout,
    existing: &BTreeMap<String, String>,
    step: &Step,
    o: &Options,
) -> Result<BTreeMap<String, String>, String> {
    let name = slug(&step.name);
    let id = version_id(layout, existing, &name, o)?;
    let (up_name, down_name) = file_names(layout, id, &name);
    let mut out = BTreeMap::new();
    let (up, down) = bodies(layout, step);
    out.insert(up_name, up);
    if let (Some(n), Some(d)) = (down_name, down) {
        out.insert(n, d);
    }
    if layout == Layout::Atlas {
        let mut all = existing.clone();
        all.extend(out.clone());
        out.insert(atlas::SUM_FILE.to_string(), atlas::sum_file(&all));
    }
    Ok(out)
}

/// The number of the version named `name` (with `replace`), else the next.
fn version_id(
    layout: Layout,
    existing: &BTreeMap<String, String>,
    name: &str,
    o: &Options,
) -> Result<Id, String> {
    let found: Vec<_> = existing
        .keys()
        .filter_map(|f| naming::parse(layout, f))
        .collect();
    let same = found.iter().filter(|f| f.name == name).map(|f| f.number);
    let last = found.iter().map(|f| f.number).max();
    match (o.replace, same.min()) {
        (true, Some(n)) if layout.timestamped() => stamp_of(n).map(Id::Stamp),
        (true, Some(n)) => Ok(Id::Seq(n)),
        _ if layout.timestamped() => next_stamp(last, o.timestamp).map(Id::Stamp),
        _ => Ok(Id::Seq(last.unwrap_or(0) + 1)),
    }
}

fn stamp_of(n: u64) -> Result<Stamp, String> {
    Stamp::parse_compact(&format!("{n:014}"))
        .ok_or_else(|| format!("version {n} is not a YYYYMMDDHHMMSS timestamp"))
}

fn next_stamp(last: Option<u64>, given: Option<Stamp>) -> Result<Stamp, String> {
    let last = last.map(stamp_of).transpose().map_err(|e| {
        format!("{e}: give the new version's stamp with --timestamp YYYYMMDDHHMMSS")
    })?;
    match (given, last) {
        (Some(g), Some(l)) if g <= l => Err(format!(
            "--timestamp {} is not after the directory's last version {}",
            g.compact(),
            l.compact()
        )),
        (Some(g), _) => Ok(g),
        (None, Some(l)) => Ok(l.next()),
        (None, None) => Ok(Stamp::EPOCH),
    }
}

/// The (up, down) file texts: with the tool's markers, and a transaction of
/// their own where the tool runs a file outside one (golang-migrate).
fn bodies(layout: Layout, step: &Step) -> (String, Option<String>) {
    let down = step.down.clone();
    match layout {
        Layout::GolangMigrate => (
            wrap_tx(&step.up, "COMMIT"),
            down.map(|d| wrap_tx(&d, "COMMIT")),
        ),
        Layout::Dbmate => {
            let d = down.unwrap_or_default();
            let text = format!("-- migrate:up\n{}\n-- migrate:down\n{d}", step.up);
            (text, None)
        }
        _ => (step.up.clone(), down),
    }
}

/// `BEGIN;`, the body, then `end` (`COMMIT` or `ROLLBACK`).
pub(crate) fn wrap_tx(body: &str, end: &str) -> String {
    let body = body.trim_end();
    format!("BEGIN;\n\n{body}\n\n{end};\n")
}

/// Everything `compile --layout` writes: the step's files ([`place`]), and
/// under [`COMPANION_DIR`] what no tool runs — `04_validate.sql`, the review
/// file, the schema record — with a `pgbridge.sum` over all of them.
pub fn compile_files(
    layout: Layout,
    set: &MigrationSet,
    step: &Step,
    existing: &BTreeMap<String, String>,
    o: &Options,
) -> Result<BTreeMap<String, String>, String> {
    let mut out = place(layout, existing, step, o)?;
    for name in ["04_validate.sql", impact::FILE, crate::ir::record::FILE] {
        if let Some(text) = set.files.get(name) {
            out.insert(format!("{COMPANION_DIR}/{name}"), text.clone());
        }
    }
    let sum = sum_file(&out);
    out.insert(format!("{COMPANION_DIR}/{SUM_FILE}"), sum);
    Ok(out)
}

/// What a tool would do to a step's text that no quoting prevents: Flyway
/// replaces `${…}` placeholders anywhere in a script, inside string literals
/// and quoted names too (and fails on one it has no value for).
pub fn hazards(layout: Layout, step: &Step) -> Vec<String> {
    let texts = [Some(&step.up), step.down.as_ref()];
    let placeholder = texts.iter().flatten().any(|t| t.contains("${"));
    if layout == Layout::Flyway && placeholder {
        vec!["the migration holds `${`, which Flyway reads as the start of a placeholder".into()]
    } else {
        Vec::new()
    }
}

/// A comment line that a tool would read as its directive (dbmate's
/// `-- migrate:up`/`down`, Atlas's `-- atlas:…`) gets a third dash: a
/// table named `migrate:down` cannot split a dbmate file.
pub fn neutralise_directives(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    for line in sql.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        let rest = &line[indent..];
        let after = rest.strip_prefix("--").map(str::trim_start);
        if after.is_some_and(|a| a.starts_with("migrate:") || a.starts_with("atlas:")) {
            out.push_str(&line[..indent]);
            out.push('-');
            out.push_str(rest);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// The whole schema as the step `init`: `01_schema.sql` and
/// `03_constraints.sql` without their own transactions or `ANALYZE`, then
/// `rollback.sql` likewise as down, and a Sqitch verify that reads every
/// table's columns. The data is not part of it (`pgbridge migrate
/// --data-only` loads it after the tool applied `init`).
pub fn init_step(schema: &pg::Schema, opts: &EmitOptions) -> Result<Step, Box<Diagnostic>> {
    let mut bare = opts.clone();
    bare.bare = true;
    bare.skip_analyze = true;
    let set = ir_to_sql(schema, &bare)?;
    let file = |n: &str| set.files.get(n).cloned().unwrap_or_default();
    let prelude = "SET LOCAL standard_conforming_strings = on;\n\n";
    Ok(Step {
        name: "init".into(),
        up: format!(
            "{prelude}{}\n{}",
            file("01_schema.sql"),
            file("03_constraints.sql")
        ),
        down: Some(format!("{prelude}{}", file("rollback.sql"))),
        verify: Some(verify_sql(schema)),
    })
}

/// `SELECT <columns> FROM <table> WHERE false;` per table: fails unless
/// every table and column is there (Sqitch's `verify/` of `init`, and of
/// a `diff` step with the new schema).
pub fn verify_sql(schema: &pg::Schema) -> String {
    let mut out = String::new();
    if let Some(ns) = &schema.namespace {
        out.push_str(&format!("SET LOCAL search_path TO {};\n", quote_ident(ns)));
    }
    for t in &schema.tables {
        let cols: Vec<String> = t.columns.iter().map(|c| quote_ident(&c.name)).collect();
        let cols = if cols.is_empty() {
            "1".to_string()
        } else {
            cols.join(", ")
        };
        out.push_str(&format!(
            "SELECT {cols} FROM {} WHERE false;\n",
            quote_ident(&t.name)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step() -> Step {
        Step {
            name: "init".into(),
            up: "CREATE TABLE t (a int);\n".into(),
            down: Some("DROP TABLE t;\n".into()),
            verify: None,
        }
    }

    #[test]
    fn a_table_named_like_a_directive_cannot_split_a_dbmate_file() {
        let sql =
            "-- migrate:down (3 rows)\n  --migrate:up\n-- atlas:txmode none\n-- migrate is fine\n";
        assert_eq!(
            neutralise_directives(sql),
            "--- migrate:down (3 rows)\n  ---migrate:up\n--- atlas:txmode none\n-- migrate is fine\n"
        );
    }

    #[test]
    fn a_placeholder_is_a_hazard_for_flyway_only() {
        let s = Step {
            up: "CREATE TABLE t (a text DEFAULT '${x}');\n".into(),
            ..step()
        };
        assert_eq!(hazards(Layout::Flyway, &s).len(), 1);
        assert!(hazards(Layout::Dbmate, &s).is_empty());
        assert!(hazards(Layout::Flyway, &step()).is_empty());
    }

    #[test]
    fn compile_replaces_init_and_a_new_step_takes_the_next_version() {
        let replace = Options {
            replace: true,
            ..Options::default()
        };
        for (layout, first, second) in [
            (Layout::Flyway, "V1__init.sql", "V2__add_x.sql"),
            (
                Layout::GolangMigrate,
                "000001_init.up.sql",
                "000002_add_x.up.sql",
            ),
            (
                Layout::Dbmate,
                "19700101000000_init.sql",
                "19700101000001_add_x.sql",
            ),
        ] {
            let a = place(layout, &BTreeMap::new(), &step(), &replace).unwrap();
            assert!(a.contains_key(first), "{layout:?}: {a:?}");
            let again = place(layout, &a, &step(), &replace).unwrap();
            assert_eq!(again, a, "{layout:?}");
            let next = Step {
                name: "Add x".into(),
                ..step()
            };
            let b = place(layout, &a, &next, &Options::default()).unwrap();
            assert!(b.contains_key(second), "{layout:?}: {b:?}");
        }
    }

    #[test]
    fn atlas_sum_chains_over_every_version() {
        let o = Options::default();
        let a = place(Layout::Atlas, &BTreeMap::new(), &step(), &o).unwrap();
        let mut dir = a.clone();
        let b = place(Layout::Atlas, &dir, &step(), &o).unwrap();
        dir.extend(b.clone());
        let sum = &b[atlas::SUM_FILE];
        assert_eq!(sum, &atlas::sum_file(&dir));
        assert!(sum.contains("19700101000000_init.sql h1:"));
        assert!(sum.contains("19700101000001_init.sql h1:"));
        let late = Options {
            timestamp: Stamp::parse_compact("19700101000000"),
            ..o
        };
        assert!(place(Layout::Atlas, &dir, &step(), &late).is_err());
    }
}
