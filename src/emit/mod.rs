//! emit: renders the migration set from `ir::pg` with minijinja templates.
//!
//! Input: an `ir::pg::Schema` and [`EmitOptions`]. Output: a
//! [`MigrationSet`] — file name → contents (the SQL files and the review
//! file APP_IMPACT.md, see [`impact`]), plus `pgbridge.sum` (SHA-256
//! of each file, `sha256sum -c` compatible). Templates are embedded from
//! `templates/`; `--templates DIR` overrides any of them by file name.
//! Quoting and literals are Rust filters (`ident`, `literal`, `comment`),
//! never string concatenation in templates. Undefined values are errors
//! (Strict). Output is deterministic byte for byte: no clocks, no paths.
use crate::diag::{Diagnostic, Stage};
use crate::ident;
use crate::ir::pg;
use include_dir::{Dir, include_dir};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub mod drift;
pub mod fts_impact;
pub mod impact;
pub mod layout;
pub mod markdown;
pub mod statements;
pub mod twins;

static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/templates");

fn emit_err(code: &str, message: impl Into<String>) -> Box<Diagnostic> {
    Box::new(Diagnostic::error(Stage::Emit, code, message))
}

/// The files `compile` writes, in order (pgbridge.sum is derived).
pub const FILES: &[&str] = &[
    "01_schema.sql",
    "02_load.sql",
    "03_constraints.sql",
    "04_validate.sql",
    "rollback.sql",
];

pub const SUM_FILE: &str = "pgbridge.sum";

/// For a move without downtime, for review: the change capture `migrate
/// --live` installs on SQLite, and the reverse capture a cutover starts on
/// PostgreSQL.
pub const CAPTURE_FILE: &str = "capture.sqlite.sql";
pub const REVERSE_FILE: &str = "reverse_capture.sql";

/// Adds [`CAPTURE_FILE`] and [`REVERSE_FILE`] for the tables `pg` migrates
/// from `sqlite`, and renews the sum. Tables capture refuses are left out
/// (`pgbridge capture install` names them).
pub fn add_live_files(set: &mut MigrationSet, sqlite: &crate::ir::sqlite::Schema, pg: &pg::Schema) {
    let plan = crate::capture::plan(sqlite, pg);
    let keyed: Vec<(String, Vec<String>)> = plan
        .tables
        .iter()
        .filter_map(|c| {
            let t = pg.tables.iter().find(|t| t.source_name == c.table)?;
            let key = c
                .key
                .iter()
                .map(|k| {
                    t.columns
                        .iter()
                        .find(|col| &col.source_name == k)
                        .map(|col| col.name.clone())
                })
                .collect::<Option<Vec<_>>>()?;
            Some((t.name.clone(), key))
        })
        .collect();
    let ns = pg.namespace.as_deref().unwrap_or("public");
    // Not normalised: SQLite names stand raw, line breaks and all.
    set.files
        .insert(CAPTURE_FILE.to_string(), crate::capture::install_sql(&plan));
    set.files.insert(
        REVERSE_FILE.to_string(),
        normalise(&format!(
            "-- pgbridge reverse capture: what a cutover starts on PostgreSQL (in its own transaction),\n\
             -- so `pgbridge rollback` can bring PostgreSQL's changes back to SQLite.\n{}",
            crate::sync::reverse::install_sql(ns, &keyed)
        )),
    );
    renew_sum(set);
}

/// Adds the schema record ([`crate::ir::record::FILE`]) a later `pgbridge
/// diff` reads as its old side, and renews the sum.
pub fn add_schema_record(
    set: &mut MigrationSet,
    sqlite: &crate::ir::sqlite::Schema,
    pg: &pg::Schema,
) {
    let record = crate::ir::record::SchemaRecord::of(sqlite, pg).committed();
    set.files
        .insert(crate::ir::record::FILE.to_string(), record);
    renew_sum(set);
}

fn renew_sum(set: &mut MigrationSet) {
    set.files.remove(SUM_FILE);
    let sum = sum_file(&set.files);
    set.files.insert(SUM_FILE.to_string(), sum);
}

#[derive(Debug, Clone, Default)]
pub struct EmitOptions {
    /// Directory whose `*.sql.j2` files replace the embedded templates.
    pub templates: Option<PathBuf>,
    /// Name of the input, for the header comment (no directory).
    pub origin: String,
    /// Target major version, for the header comment.
    pub target_version: u32,
    /// Digest of the rule pack used.
    pub pack_digest: String,
    /// Leave out 01's and 03's own `BEGIN`/`COMMIT` (the loader runs them
    /// inside its transactions, with its progress records).
    pub bare: bool,
    /// Leave out 03's `ANALYZE` (a migration tool applies the set before
    /// the data, and a database-wide ANALYZE would wait on the tool's own
    /// locked bookkeeping tables).
    pub skip_analyze: bool,
}

/// A rendered migration set: file name → contents, sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationSet {
    pub files: BTreeMap<String, String>,
}

impl MigrationSet {
    /// Write every file into `dir` (created if missing).
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (name, text) in &self.files {
            std::fs::write(dir.join(name), text)?;
        }
        Ok(())
    }
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// `pgbridge.sum` for the given files: `<sha256>  <name>` lines.
pub fn sum_file(files: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (name, text) in files {
        if name == SUM_FILE {
            continue;
        }
        out.push_str(&format!("{}  {}\n", sha256_hex(text), name));
    }
    out
}

/// Lines of a comment: `-- ` before each line of `s`, every other control
/// character of a line escaped.
fn comment(s: String) -> minijinja::Value {
    let text = s
        .lines()
        .map(|l| {
            let l = ident::escape_text(l.trim_end());
            if l.trim().is_empty() {
                "--".to_string()
            } else {
                format!("-- {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    minijinja::Value::from_safe_string(text)
}

/// SQL that pgbridge built (types, defaults, expressions, statements): it
/// goes out as written. Every name and string inside it was quoted by
/// [`ident::quote_ident`] / [`ident::quote_literal`], which never write a raw
/// control character; one here means a bug upstream, so the render fails
/// rather than let a line break end a comment or a statement.
fn sql(s: String) -> Result<minijinja::Value, minijinja::Error> {
    if let Some(c) = s.chars().find(|&c| c != '\n' && ident::is_unsafe_char(c)) {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!(
                "generated SQL holds the raw control character U+{:04X}: {}",
                c as u32,
                ident::escape_text(&s)
            ),
        ));
    }
    Ok(minijinja::Value::from_safe_string(s))
}

/// A PL/pgSQL body pgbridge built, in dollar quotes whose tag occurs
/// nowhere in it (`$pgbridge$`, else `$pgbridge_2$`, …); checked like [`sql`].
fn dollar(s: String) -> Result<minijinja::Value, minijinja::Error> {
    let body = sql(s)?;
    let body = body.as_str().unwrap_or_default();
    let tag = dollar_tag(body);
    Ok(minijinja::Value::from_safe_string(format!(
        "{tag}\n{body}\n{tag}"
    )))
}

/// A dollar-quote tag that occurs nowhere in `body`: `$pgbridge$`, else
/// `$pgbridge_2$`, ….
pub(crate) fn dollar_tag(body: &str) -> String {
    (1..)
        .map(|n| match n {
            1 => "$pgbridge$".to_string(),
            n => format!("$pgbridge_{n}$"),
        })
        .find(|t| !body.contains(t.as_str()))
        .unwrap_or_default()
}

/// How every `{{ … }}` is written. Values the quoting filters produced
/// (`ident`, `idents`, `literal`, `regclass`, `psql`, `sql`, `comment`) are marked safe
/// and go out as they are; any other text — a name, evidence, a reason, the
/// file name, in a comment or anywhere — has its control characters and line
/// breaks escaped ([`ident::escape_text`]). So a template cannot end a
/// comment with source text, whichever filter it forgets.
fn formatter(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    write_escaped(out, state, value, |s| ident::escape_text(s).into())
}

/// Write `value`: as it is when a filter made it safe, else through `escape`.
pub(crate) fn write_escaped(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &minijinja::Value,
    escape: fn(&str) -> String,
) -> Result<(), minijinja::Error> {
    match value.as_str() {
        Some(s) if !value.is_safe() => out
            .write_str(&escape(s))
            .map_err(|_| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "write")),
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// The minijinja environment every migration-set template renders in: its
/// quoting filters and the escaping [`formatter`].
pub fn sql_environment<'a>() -> minijinja::Environment<'a> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_formatter(formatter);
    let safe = minijinja::Value::from_safe_string;
    env.add_filter("ident", move |s: String| safe(ident::quote_ident(&s)));
    env.add_filter("literal", move |s: String| safe(ident::quote_literal(&s)));
    env.add_filter("psql", move |s: String| safe(twins::psql_quote(&s)));
    env.add_filter("idents", move |v: Vec<String>| {
        safe(
            v.iter()
                .map(|s| ident::quote_ident(s))
                .collect::<Vec<_>>()
                .join(", "),
        )
    });
    // A table name as the text argument of `pg_get_serial_sequence` & co.
    env.add_filter("regclass", move |s: String| {
        safe(ident::quote_literal(&ident::quote_ident_raw(&s)))
    });
    env.add_filter("comment", comment);
    env.add_filter("sql", sql);
    env.add_filter("dollar", dollar);
    env.add_function("extension_path", extension_path);
    env
}

/// A `DO` block appending to the search path (for the transaction when
/// `local`) the schemas the migration's extensions live in. A path set to
/// the target schema alone would not find their types, functions,
/// operator classes and dictionaries (citext, vector, gin_trgm_ops,
/// unaccent), wherever the extension was created. It prints nothing, so
/// psql output such as 04_validate.sql's digest lines stays as it was.
/// Empty when there are no extensions.
pub(crate) fn extension_path_sql(extensions: &[String], local: bool) -> String {
    if extensions.is_empty() {
        return String::new();
    }
    let names: Vec<String> = extensions.iter().map(|e| ident::quote_literal(e)).collect();
    format!(
        "DO $pgbridge$ BEGIN\n  PERFORM set_config('search_path', current_setting('search_path') || ', ' \
         || string_agg(DISTINCT quote_ident(n.nspname), ', '), {local})\n    FROM pg_extension e \
         JOIN pg_namespace n ON n.oid = e.extnamespace\n   WHERE e.extname IN ({}) HAVING count(*) > 0;\nEND $pgbridge$;",
        names.join(", ")
    )
}

/// [`extension_path_sql`] for the templates: `extension_path(schema.extensions, true)`.
fn extension_path(extensions: Vec<String>, local: bool) -> minijinja::Value {
    minijinja::Value::from_safe_string(extension_path_sql(&extensions, local))
}

pub(crate) fn template_source(name: &str, opts: &EmitOptions) -> Result<String, Box<Diagnostic>> {
    if let Some(dir) = &opts.templates {
        let p = dir.join(name);
        if p.exists() {
            return std::fs::read_to_string(&p).map_err(|e| {
                emit_err(
                    "template-unreadable",
                    format!("cannot read template {}: {e}", p.display()),
                )
            });
        }
    }
    TEMPLATES
        .get_file(name)
        .and_then(|f| f.contents_utf8())
        .map(str::to_string)
        .ok_or_else(|| emit_err("template-missing", format!("no template named {name}")))
}

#[derive(Serialize)]
struct Context<'a> {
    schema: &'a pg::Schema,
    origin: &'a str,
    version: &'a str,
    target_version: u32,
    pack_digest: &'a str,
    bare: bool,
    skip_analyze: bool,
    /// Per-table staging and conversion for 02_load.sql.
    load: Vec<twins::LoadTable>,
    /// Per-table digest statements for 04_validate.sql.
    validate: Vec<Validate>,
}

#[derive(Serialize)]
struct Validate {
    name: String,
    /// The statement, or none with why the table cannot be hashed.
    sql: Option<String>,
    why: Option<String>,
}

fn validate_tables(schema: &pg::Schema) -> Vec<Validate> {
    schema
        .tables
        .iter()
        .map(|t| match crate::digest::sql::from_ir(t) {
            Ok(v) => Validate {
                name: t.name.clone(),
                sql: Some(crate::digest::sql::validate_sql(
                    &v,
                    &ident::quote_ident(&t.name),
                )),
                why: None,
            },
            Err(why) => Validate {
                name: t.name.clone(),
                sql: None,
                why: Some(why),
            },
        })
        .collect()
}

/// The syntax every migration-set template uses: block tags take their
/// line with them.
pub(crate) fn template_syntax() -> Result<minijinja::syntax::SyntaxConfig, Box<Diagnostic>> {
    minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(|e| emit_err("template-syntax", format!("{e}")))
}

/// Render the migration set.
pub fn ir_to_sql(schema: &pg::Schema, opts: &EmitOptions) -> Result<MigrationSet, Box<Diagnostic>> {
    let mut env = sql_environment();
    env.set_syntax(template_syntax()?);
    let ctx = Context {
        schema,
        origin: &opts.origin,
        version: env!("CARGO_PKG_VERSION"),
        target_version: opts.target_version,
        pack_digest: &opts.pack_digest,
        bare: opts.bare,
        skip_analyze: opts.skip_analyze,
        load: twins::load_tables(schema),
        validate: validate_tables(schema),
    };
    // Converted once for all templates.
    let ctx = minijinja::Value::from(minijinja::value::Serde(&ctx));
    let mut files = BTreeMap::new();
    for name in FILES {
        let tname = format!("{name}.j2");
        let src = template_source(&tname, opts)?;
        let text = env
            .render_str(&src, ctx.clone())
            .map_err(|e| emit_err("template-failed", format!("template {tname} failed: {e:#}")))?;
        files.insert(name.to_string(), normalise(&text));
    }
    let tname = format!("{}.j2", impact::FILE);
    let src = template_source(&tname, opts)?;
    let mut md = markdown::environment();
    md.set_syntax(template_syntax()?);
    let text = impact::render(&md, schema, &opts.origin, opts.target_version, &src)
        .map_err(|e| emit_err("template-failed", format!("template {tname} failed: {e:#}")))?;
    files.insert(impact::FILE.to_string(), normalise(&text));
    let sum = sum_file(&files);
    files.insert(SUM_FILE.to_string(), sum);
    Ok(MigrationSet { files })
}

/// No trailing spaces, no runs of blank lines, one final newline.
pub(crate) fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let l = line.trim_end();
        if l.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(l);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Compare a rendered set with what is on disk: one [`drift::Drift`] per
/// differing file, statements apart from comment-only changes.
pub fn check(set: &MigrationSet, dir: &Path) -> Vec<drift::Drift> {
    drift::check_files(&set.files, dir)
}

/// Write `files` (paths relative to `dir`, `/`-separated) into `dir`,
/// creating directories as needed.
pub fn write_files(dir: &Path, files: &BTreeMap<String, String>) -> std::io::Result<()> {
    for (name, text) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_lines_are_sha256sum_compatible() {
        let mut files = BTreeMap::new();
        files.insert("a.sql".to_string(), "x\n".to_string());
        let s = sum_file(&files);
        assert_eq!(s, format!("{}  a.sql\n", sha256_hex("x\n")));
    }

    #[test]
    fn normalise_collapses_blank_runs_and_trailing_space() {
        assert_eq!(normalise("a  \n\n\n\nb\n\n"), "a\n\nb\n");
    }

    #[test]
    fn comment_prefixes_every_line() {
        assert_eq!(comment("a\n\nb".into()).as_str(), Some("-- a\n--\n-- b"));
        assert_eq!(
            comment("x\r\u{1b}[2J\ny\u{2028}z".into()).as_str(),
            Some("-- x\\r\\u001b[2J\n-- y\\u2028z")
        );
    }
}
