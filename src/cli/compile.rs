//! `pgbridge compile`: the migration set written to a directory — as
//! pgbridge's own files (`--layout plain`) or as a migration tool's
//! versioned directory (`--layout flyway|golang-migrate|dbmate|sqitch|atlas`)
//! — or with `--check` compared with the one there: statement drift fails,
//! comment-only drift (evidence counts that move with the data) is a note.
use crate::*;
use pgbridge::emit::drift::{Drift, DriftKind};
use pgbridge::emit::layout::{self, Layout, Stamp};
use std::collections::BTreeMap;

#[derive(Args)]
pub(crate) struct CompileArgs {
    /// SQLite database file or .sql DDL.
    pub(crate) input: PathBuf,
    /// Output directory.
    #[arg(short, long, value_name = "DIR")]
    pub(crate) output: PathBuf,
    /// Compare with the files in the output directory instead of writing; exit 1 with a diff when a statement drifted (comment-only drift is a note).
    #[arg(long)]
    pub(crate) check: bool,
    /// The directory a migration tool reads: plain (01_schema.sql … rollback.sql, for psql) or one versioned migration `init` per tool's file names.
    #[arg(long, value_enum, default_value = "plain")]
    pub(crate) layout: LayoutArg,
    /// Stamp of a new version in the dbmate and atlas layouts and in sqitch.plan, UTC (default: one second after the directory's last version, else 19700101000000).
    #[arg(long, value_name = "YYYYMMDDHHMMSS", value_parser = parse_stamp)]
    pub(crate) timestamp: Option<Stamp>,
    /// Directory of templates (`*.sql.j2`) overriding the embedded ones.
    #[arg(long, value_name = "DIR")]
    pub(crate) templates: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) common: Common,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum LayoutArg {
    Plain,
    Flyway,
    GolangMigrate,
    Dbmate,
    Sqitch,
    Atlas,
}

impl From<LayoutArg> for Layout {
    fn from(a: LayoutArg) -> Layout {
        match a {
            LayoutArg::Plain => Layout::Plain,
            LayoutArg::Flyway => Layout::Flyway,
            LayoutArg::GolangMigrate => Layout::GolangMigrate,
            LayoutArg::Dbmate => Layout::Dbmate,
            LayoutArg::Sqitch => Layout::Sqitch,
            LayoutArg::Atlas => Layout::Atlas,
        }
    }
}

fn parse_stamp(s: &str) -> Result<Stamp, String> {
    Stamp::parse_compact(s).ok_or_else(|| "expected a UTC date and time as YYYYMMDDHHMMSS".into())
}

pub(crate) fn run_compile(a: CompileArgs) -> Result<ExitCode, Fail> {
    let pack = load_pack(&a.common)?;
    let (sqlite, diags) = read_input(&a.input, &a.common)?;
    let opts = CompileOptions {
        source: source_options(&a.common),
        rewrite: rewrite_options(&a.common)?,
        emit: EmitOptions {
            templates: a.templates.clone(),
            ..Default::default()
        },
    };
    let c = pgbridge::compile_schema(sqlite, diags, &pack, &opts)
        .map_err(|e| emit_fail(e.to_string(), &a))?;
    let (files, hazards) = output_files(&a, &c, &pack, &opts)?;
    let mut diags = c.diagnostics.clone();
    for h in hazards {
        diags.push(h);
    }
    if a.check {
        let drift = pgbridge::emit::drift::check_files(&files, &a.output);
        for d in drift_diagnostics(&drift, &a.output) {
            diags.push(d);
        }
        report(&diags, a.common.reporter);
        return Ok(exit_for(&diags, a.common.deny_warnings));
    }
    write_output(&a.output, &files, a.common.reporter)?;
    report(&diags, a.common.reporter);
    if a.common.reporter == Reporter::Tty {
        err1!(
            "wrote {} files to {} ({} tables)",
            files.len(),
            a.output.display(),
            c.pg.tables.len()
        );
    }
    Ok(exit_for(&diags, a.common.deny_warnings))
}

fn emit_fail(message: String, a: &CompileArgs) -> Fail {
    fail(
        Diagnostic::error(Stage::Emit, "emit-failed", message),
        a.common.reporter,
    )
}

/// Every file the compile writes (or `--check` compares), path → text,
/// and a warning for each hazard of the layout's tool.
fn output_files(
    a: &CompileArgs,
    c: &pgbridge::Compiled,
    pack: &RulePack,
    opts: &CompileOptions,
) -> Result<(BTreeMap<String, String>, Vec<Diagnostic>), Fail> {
    let layout = Layout::from(a.layout);
    if a.timestamp.is_some() && !layout.stamped() {
        return Err(fail(
            Diagnostic::error(
                Stage::Cli,
                "timestamp-unused",
                format!("--timestamp has no use in the {} layout", layout.id()),
            )
            .with_help("--timestamp stamps versions of the dbmate, atlas and sqitch layouts"),
            a.common.reporter,
        ));
    }
    if layout == Layout::Plain {
        return Ok((c.set.files.clone(), Vec::new()));
    }
    let emit = EmitOptions {
        templates: a.templates.clone(),
        origin: c.sqlite.origin.clone(),
        target_version: opts.rewrite.target.version,
        pack_digest: pack.digest(),
        bare: false,
        skip_analyze: false,
    };
    let step = layout::init_step(&c.pg, &emit).map_err(|d| fail(*d, a.common.reporter))?;
    let existing = layout::read_dir(&a.output)
        .map_err(|e| emit_fail(format!("cannot read {}: {e}", a.output.display()), a))?;
    let o = layout::Options {
        timestamp: a.timestamp,
        project: project_name(&c.sqlite.origin),
        replace: true,
    };
    let files =
        layout::compile_files(layout, &c.set, &step, &existing, &o).map_err(|e| emit_fail(e, a))?;
    let hazards = layout::hazards(layout, &step).into_iter().map(|h| {
        Diagnostic::warning(Stage::Emit, "layout-tool-hazard", h)
            .with_help("run Flyway with placeholder replacement off (placeholderReplacement=false)")
    });
    Ok((files, hazards.collect()))
}

/// Sqitch's project: the input's file stem.
fn project_name(origin: &str) -> String {
    Path::new(origin)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Statement drift: the diff printed and an error. Comment-only drift: a note.
fn drift_diagnostics(drift: &[Drift], dir: &Path) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for d in drift {
        let at = dir.join(&d.name).display().to_string();
        out.push(match d.kind {
            DriftKind::Statements => {
                out_raw!("{}", d.diff);
                Diagnostic::error(
                    Stage::Emit,
                    "migration-drift",
                    format!("{} differs from what the rules compile to", d.name),
                )
                .on(at)
                .with_help("recompile without --check and commit the result, or fix the rules")
            }
            DriftKind::Comments => Diagnostic::note(
                Stage::Emit,
                "migration-comment-drift",
                format!(
                    "{}: only comments differ (evidence such as row and value counts moves with the data); the statements match",
                    d.name
                ),
            )
            .on(at)
            .with_help("nothing to do; recompile to refresh the comments when convenient"),
        });
    }
    out
}
