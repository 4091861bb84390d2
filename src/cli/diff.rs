//! `pgbridge diff OLD NEW -o DIR`: both sides compiled through the same
//! rules, the ALTERs between them written as `up.sql` (and `down.sql` when
//! every step can be undone) with a review file of hazards — or, with
//! `--layout`, appended as the next version of a migration tool's
//! directory. Files are always written; the exit code is 1 while a hazard
//! is not allowed (`--allow-hazards`, `--allow CODE,…`).
use crate::cli::compile::LayoutArg;
use crate::*;
use pgbridge::diff::{self, DiffOptions, Rename, render};
use pgbridge::emit::layout::{self, Layout, Stamp};
use pgbridge::ident::escape_text;
use pgbridge::ir::record::{self, SchemaRecord};

#[derive(Args)]
pub(crate) struct DiffArgs {
    /// The old side: SQLite database file (its data is evidence), .sql DDL, a directory `compile` or `diff` wrote (its pgbridge.schema.json), or the URL of a target `migrate` filled (the schema its run recorded).
    pub(crate) old: PathBuf,
    /// The new side: SQLite database file or .sql DDL.
    pub(crate) new: PathBuf,
    /// Output directory (a layout's existing directory gets the next version).
    #[arg(short, long, value_name = "DIR")]
    pub(crate) output: PathBuf,
    /// plain (up.sql, down.sql, DIFF_REVIEW.md) or the next version in a migration tool's directory.
    #[arg(long, value_enum, default_value = "plain")]
    pub(crate) layout: LayoutArg,
    /// The new version's name in a layout.
    #[arg(long, value_name = "NAME", default_value = "diff")]
    pub(crate) name: String,
    /// Stamp of the new version (dbmate, atlas, sqitch), UTC.
    #[arg(long, value_name = "YYYYMMDDHHMMSS", value_parser = parse_stamp)]
    pub(crate) timestamp: Option<Stamp>,
    /// Accept every hazard (exit 0 with hazards reported as warnings).
    #[arg(long)]
    pub(crate) allow_hazards: bool,
    /// Accept these hazards (comma-separated codes: data-loss, table-rewrite, …).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub(crate) allow: Vec<String>,
    /// A rename, not a drop and an add: `table.old_column=new_column` or `old_table=new_table` (PostgreSQL names). Repeatable.
    #[arg(long, value_name = "FROM=TO")]
    pub(crate) rename: Vec<String>,
    /// Build new indexes on existing tables with CREATE INDEX CONCURRENTLY, after the transaction (plain layout).
    #[arg(long)]
    pub(crate) concurrently: bool,
    /// The old side's PostgreSQL schema, when it differs from --schema: its tables, views, trigger functions and text search configurations are moved (ALTER … SET SCHEMA).
    #[arg(long, value_name = "NAME")]
    pub(crate) old_schema: Option<String>,
    /// Directory of templates (`diff.sql.j2`) overriding the embedded one.
    #[arg(long, value_name = "DIR")]
    pub(crate) templates: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) common: Common,
}

fn parse_stamp(s: &str) -> Result<Stamp, String> {
    Stamp::parse_compact(s).ok_or_else(|| "expected a UTC date and time as YYYYMMDDHHMMSS".into())
}

fn usage(code: &str, message: String, help: &str, a: &DiffArgs) -> Fail {
    fail(
        Diagnostic::error(Stage::Cli, code, message).with_help(help),
        a.common.reporter,
    )
}

/// One side compiled; `namespace`, when given, replaces --schema.
fn compile_side(
    path: &Path,
    a: &DiffArgs,
    pack: &RulePack,
    namespace: Option<&String>,
) -> Result<pgbridge::Compiled, Fail> {
    let (sqlite, diags) = read_input(path, &a.common)?;
    let mut rewrite = rewrite_options(&a.common)?;
    if let Some(n) = namespace {
        rewrite.namespace = Some(n.clone());
    }
    let opts = CompileOptions {
        source: source_options(&a.common),
        rewrite,
        emit: EmitOptions::default(),
    };
    pgbridge::compile_schema(sqlite, diags, pack, &opts).map_err(|e| {
        fail(
            Diagnostic::error(Stage::Emit, "emit-failed", e.to_string()),
            a.common.reporter,
        )
    })
}

/// The old side: compiled from a SQLite file or DDL, or read back from the
/// schema record a directory `compile` or `diff` wrote keeps, or the one a
/// migrated target holds — with the decisions its data proved.
fn old_side(a: &DiffArgs, pack: &RulePack) -> Result<(pgbridge::Compiled, String), Fail> {
    if a.old.is_dir() {
        return Ok((recorded_in_dir(a)?, file_name(&a.old)));
    }
    let spec = a.old.to_string_lossy();
    let is_url = spec.starts_with("postgres://") || spec.starts_with("postgresql://");
    if is_url || (spec.contains('=') && !a.old.exists()) {
        return recorded_in_target(a, &spec);
    }
    let old = compile_side(&a.old, a, pack, a.old_schema.as_ref())?;
    Ok((old, file_name(&a.old)))
}

fn recorded(record: SchemaRecord) -> pgbridge::Compiled {
    pgbridge::Compiled {
        sqlite: record.sqlite,
        pg: record.pg,
        set: Default::default(),
        diagnostics: Default::default(),
    }
}

/// `pgbridge.schema.json` of a compiled or diffed directory (under
/// `pgbridge/` in a migration tool's layout).
fn recorded_in_dir(a: &DiffArgs) -> Result<pgbridge::Compiled, Fail> {
    let file = [
        a.old.join(record::FILE),
        a.old.join(layout::COMPANION_DIR).join(record::FILE),
    ]
    .into_iter()
    .find(|p| p.is_file());
    let Some(file) = file else {
        return Err(usage(
            "old-record-missing",
            format!(
                "{} holds no {} (written by an older pgbridge, or not a directory pgbridge wrote)",
                escape_text(&a.old.display().to_string()),
                record::FILE
            ),
            "compile the old database into it again (`pgbridge compile OLD.db -o DIR`), or give the old database or .sql itself",
            a,
        ));
    };
    let text = std::fs::read_to_string(&file).map_err(|e| e.to_string());
    let record = text.and_then(|t| SchemaRecord::from_json(&t)).map_err(|e| {
        usage(
            "old-record-unreadable",
            format!("{}: {}", escape_text(&file.display().to_string()), escape_text(&e)),
            "compile the old database into the directory again, or give the old database or .sql itself",
            a,
        )
    })?;
    Ok(recorded(record))
}

/// The schema the newest complete run into the target's schema
/// (`--old-schema`, else `--schema`, else the connection's current schema)
/// recorded.
fn recorded_in_target(a: &DiffArgs, spec: &str) -> Result<(pgbridge::Compiled, String), Fail> {
    let target = crate::cli::connect::parse_target(Some(spec), a.common.reporter)?;
    let name = target.redacted();
    let unreachable = |e: String| {
        usage(
            "old-target-unreadable",
            format!(
                "reading the recorded schema from {}: {}",
                escape_text(&name),
                escape_text(&e)
            ),
            "check the connection (`pgbridge verify` uses the same), or give the old database or .sql itself",
            a,
        )
    };
    let mut client = target.connect().map_err(|e| unreachable(e.to_string()))?;
    let ns = match a.old_schema.as_ref().or(a.common.schema.as_ref()) {
        Some(s) => s.clone(),
        None => client
            .query_one("SELECT current_schema()::text", &[])
            .and_then(|r| r.try_get::<_, Option<String>>(0))
            .map_err(|e| unreachable(e.to_string()))?
            .unwrap_or_else(|| "public".into()),
    };
    // A target pgbridge never migrated has no pgbridge.runs: no record.
    let undefined =
        |e: &postgres::Error| e.code() == Some(&postgres::error::SqlState::UNDEFINED_TABLE);
    let record = match pgbridge::load::schema_record::read(&mut client, &ns) {
        Err(e) if undefined(&e) => None,
        r => r.map_err(|e| unreachable(e.to_string()))?,
    };
    let Some(record) = record else {
        return Err(usage(
            "old-record-missing",
            format!(
                "{} records no schema for {} (not migrated there, or by an older pgbridge)",
                escape_text(&name),
                escape_text(&ns)
            ),
            "give the old database or .sql itself, or name the schema the run went into with --schema",
            a,
        ));
    };
    Ok((recorded(record), format!("{name} ({ns})")))
}

/// The hints as written, checked.
fn renames(a: &DiffArgs) -> Result<Vec<Rename>, Fail> {
    a.rename
        .iter()
        .map(|r| {
            Rename::parse(r).ok_or_else(|| {
                usage(
                    "rename-malformed",
                    format!(
                        "--rename {r}: expected table.old_column=new_column or old_table=new_table"
                    ),
                    "e.g. --rename reaction.content_id=memo_id",
                    a,
                )
            })
        })
        .collect()
}

/// The hints that undo `r`: in reverse order, each naming the table as
/// the hints before it (going back) leave it.
fn reversed(r: &[Rename]) -> Vec<Rename> {
    r.iter()
        .rev()
        .map(|x| match &x.column {
            Some(c) => Rename {
                table: x.table.clone(),
                column: Some(x.to.clone()),
                to: c.clone(),
            },
            None => Rename {
                table: x.to.clone(),
                column: None,
                to: x.table.clone(),
            },
        })
        .collect()
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub(crate) fn run_diff(a: DiffArgs) -> Result<ExitCode, Fail> {
    let pack = load_pack(&a.common)?;
    let (old, old_name) = old_side(&a, &pack)?;
    let mut new = compile_side(&a.new, &a, &pack, None)?;
    let kept = diff::keep::keep_decisions(&old.sqlite, &old.pg, &new.sqlite, &mut new.pg);
    if let Some(u) = diff::unsupported(&old.pg, &new.pg).into_iter().next() {
        return Err(usage(
            u.code,
            format!("{}: diff does not write this change", u.message),
            "give both sides a --schema (the old one's is where its tables are: ALTER TABLE … SET SCHEMA moves them), or compile the new schema afresh",
            &a,
        ));
    }
    let renames = renames(&a)?;
    let target_version = rewrite_options(&a.common)?.target.version;
    let o = DiffOptions {
        renames: renames.clone(),
        concurrently: a.concurrently,
        old_nulls: diff::keep::null_counts(&old.sqlite, &old.pg),
        not_null_constraints: target_version >= 18,
        target_version,
    };
    let up = diff::plan(&old.pg, &new.pg, &o);
    if let Some(r) = up.unused_renames.first() {
        let what = match &r.column {
            Some(c) => format!("{}.{c}", r.table),
            None => r.table.clone(),
        };
        return Err(usage(
            "rename-unknown",
            format!(
                "--rename: the old schema has no {what} to rename to {}",
                r.to
            ),
            "names are PostgreSQL names as compile writes them; see `pgbridge debug rewrite OLD`",
            &a,
        ));
    }
    let down = up.reversible().then(|| {
        let back = DiffOptions {
            renames: reversed(&renames),
            not_null_constraints: o.not_null_constraints,
            target_version,
            ..DiffOptions::default()
        };
        diff::plan(&new.pg, &old.pg, &back)
    });
    // A hint the way back cannot apply would make down.sql drop and add.
    let down = down.filter(|d| d.unused_renames.is_empty());
    let layout = Layout::from(a.layout);
    let ro = render::RenderOptions {
        target_version,
        namespace: new.pg.namespace.clone(),
        extensions: new.pg.extensions.clone(),
        bare: layout != Layout::Plain,
        emit: EmitOptions {
            templates: a.templates.clone(),
            ..Default::default()
        },
    };
    let new_name = file_name(&a.new);
    let record = SchemaRecord::of(&new.sqlite, &new.pg).committed();
    let render_fail = |d: Box<Diagnostic>| fail(*d, a.common.reporter);
    let files = if layout == Layout::Plain {
        let files = render::plain_files(&up, down.as_ref(), &old_name, &new_name, &kept, &ro)
            .map_err(render_fail)?;
        render::with_record(files, record)
    } else {
        let verify = layout::verify_sql(&new.pg);
        layout_files(
            &a,
            layout,
            (&up, down.as_ref(), verify),
            &kept,
            &ro,
            (&old_name, &new_name),
            record,
        )?
    };
    write_output(&a.output, &files, a.common.reporter)?;
    let mut diags = old.diagnostics.clone();
    diags.extend(new.diagnostics.clone());
    for (s, h) in up.hazards() {
        let allowed = a.allow_hazards || a.allow.iter().any(|x| x == h.code);
        let message = format!(
            "{} ({})",
            h.message,
            pgbridge::emit::statements::label(&s.sql)
        );
        let d = if allowed {
            Diagnostic::warning(Stage::Emit, h.code, message)
        } else {
            Diagnostic::error(Stage::Emit, h.code, message)
        };
        diags.push(d.with_help(format!("{}; accept it with --allow {}", h.help, h.code)));
    }
    report(&diags, a.common.reporter);
    if a.common.reporter == Reporter::Tty {
        err1!(
            "wrote {} files to {} ({} statements, {} hazards{})",
            files.len(),
            a.output.display(),
            up.statements.len(),
            up.hazards().count(),
            if down.is_some() {
                ""
            } else {
                ", no down.sql: a step drops data"
            }
        );
    }
    Ok(exit_for(&diags, a.common.deny_warnings))
}

/// The diff as the next version of a migration tool's directory, its
/// review file under `pgbridge/` named after the version (and the new
/// side's schema record, for the next diff); Sqitch's
/// `verify/` reads every table and column of the new schema.
fn layout_files(
    a: &DiffArgs,
    layout: Layout,
    (up, down, verify): (&diff::Plan, Option<&diff::Plan>, String),
    kept: &[String],
    ro: &render::RenderOptions,
    (old, new): (&str, &str),
    record: String,
) -> Result<std::collections::BTreeMap<String, String>, Fail> {
    let render_fail = |d: Box<Diagnostic>| fail(*d, a.common.reporter);
    if up.statements.iter().any(|s| s.outside_transaction) {
        return Err(usage(
            "concurrently-in-layout",
            format!(
                "--concurrently needs statements outside a transaction, which the {} layout runs each version in",
                layout.id()
            ),
            "leave out --concurrently, or use --layout plain",
            a,
        ));
    }
    let step = layout::Step {
        name: a.name.clone(),
        up: format!(
            "SET LOCAL standard_conforming_strings = on;\n\n{}",
            render::sql_file("up", &format!("from {old} to {new}"), up, ro).map_err(render_fail)?
        ),
        down: down
            .map(|d| {
                render::sql_file("down", &format!("from {new} back to {old}"), d, ro)
                    .map(|t| format!("SET LOCAL standard_conforming_strings = on;\n\n{t}"))
            })
            .transpose()
            .map_err(render_fail)?,
        verify: Some(verify),
    };
    let existing = layout::read_dir(&a.output).map_err(|e| {
        usage(
            "output-unreadable",
            format!("cannot read {}: {e}", a.output.display()),
            "check the directory's permissions",
            a,
        )
    })?;
    let o = layout::Options {
        timestamp: a.timestamp,
        project: a.name.clone(),
        replace: false,
    };
    let mut files = layout::place(layout, &existing, &step, &o).map_err(|e| {
        usage(
            "layout-failed",
            e,
            "give --timestamp after the directory's last version",
            a,
        )
    })?;
    let slug = layout::naming::slug(&a.name);
    let review = format!("{}/{}_{slug}.md", layout::COMPANION_DIR, "DIFF_REVIEW");
    files.insert(review, render::review(up, old, new, kept, down.is_some()));
    files.insert(
        format!("{}/{}", layout::COMPANION_DIR, record::FILE),
        record,
    );
    // pgbridge.sum chains: it covers every version and companion file.
    let mut all = existing;
    all.extend(companions(&a.output.join(layout::COMPANION_DIR)));
    all.extend(files.clone());
    let sum = format!("{}/{}", layout::COMPANION_DIR, pgbridge::emit::SUM_FILE);
    all.remove(&sum);
    files.insert(sum, pgbridge::emit::sum_file(&all));
    Ok(files)
}

/// The files `compile` and earlier diffs left under `pgbridge/`, by their
/// path in the output directory (none when it is missing).
fn companions(dir: &Path) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Ok(text) = std::fs::read_to_string(e.path()) {
            out.insert(format!("{}/{name}", layout::COMPANION_DIR), text);
        }
    }
    out
}
