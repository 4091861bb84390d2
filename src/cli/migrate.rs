//! `pgbridge migrate`: the run itself (schema, data, constraints, verify) and
//! its summary.
use crate::*;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum OnErrorArg {
    Stop,
    Reject,
}

#[derive(Args)]
pub(crate) struct MigrateArgs {
    /// SQLite database file (opened read-only).
    pub(crate) input: PathBuf,
    /// Target: a libpq URL or key=value string; PG* environment variables fill the rest.
    #[arg(id = "target_conn", value_name = "TARGET")]
    pub(crate) target_url: Option<String>,
    /// Parallel table loads (default: the number of cores).
    #[arg(long)]
    pub(crate) jobs: Option<usize>,
    /// A value that does not convert stops the run, or sends its row to the reject file.
    #[arg(long, value_enum, default_value = "stop")]
    pub(crate) on_error: OnErrorArg,
    /// Where rejected rows go (JSON lines).
    #[arg(long, value_name = "FILE", default_value = "rejects.jsonl")]
    pub(crate) rejects: PathBuf,
    /// Write the run report (JSON) here.
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    /// Show the plan (objects, rows, estimated time); change nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Load into an existing schema (e.g. ORM-created), mapping tables and columns by name.
    #[arg(long)]
    pub(crate) data_only: bool,
    /// A live source: install change capture first and record the snapshot's log
    /// position, so `pgbridge sync` then applies every write made since.
    #[arg(long, conflicts_with = "dry_run")]
    pub(crate) live: bool,
    /// Skip the content verification that ends a run.
    #[arg(long)]
    pub(crate) no_verify: bool,
    /// maintenance_work_mem for the index builds.
    #[arg(long, default_value = "512MB")]
    pub(crate) maintenance_work_mem: String,
    /// Also write the SQL this run applied to DIR (01_schema.sql, 03_constraints.sql as
    /// run), so a reviewer reads exactly what reached the server; the report holds
    /// their SHA-256.
    #[arg(long, value_name = "DIR")]
    pub(crate) emit: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) common: Common,
}

pub(crate) fn run_migrate(a: MigrateArgs) -> Result<ExitCode, Fail> {
    let reporter = a.common.reporter;
    let spec = connection_spec(a.target_url.as_deref(), &a.common)?;
    let pack = load_pack(&a.common)?;
    let target = parse_target(spec, reporter)?;
    on_interrupt("migrate", a.report.clone(), &a.input, target.redacted());
    if a.live && !capture_for_live(&a.input, &a.common)? {
        return Ok(ExitCode::from(1));
    }
    let connector = || connect_to(&target);
    let opts = migrate_options(&a, &target);
    let progress = CliProgress::new();
    let mut out = pgbridge::load::migrate(&a.input, &connector, &pack, &opts, &progress);
    progress.done();
    // A finished run ends with a verify: every value proven, or the difference.
    // It converts with the plan the run recorded in the target.
    let mut differ = 0;
    if a.live && !a.no_verify && !a.dry_run && !out.diagnostics.has_errors() {
        // The source moved on from the snapshot while it loaded.
        out.diagnostics.push(Diagnostic::note(
            Stage::Load,
            "verify-after-sync",
            format!(
                "not verified now: the live source has moved on from the snapshot the rows came from; `pgbridge sync {}` applies what changed, then `pgbridge verify` compares",
                a.input.display()
            ),
        ));
    } else if !a.no_verify && !a.dry_run && !out.diagnostics.has_errors() {
        differ = verify_run(&a, &connector, &pack, &progress, &mut out);
    }
    if let (Some(path), Some(r)) = (&a.report, &out.report) {
        write_report(path, r, reporter)?;
    }
    if let (Some(dir), Some(r)) = (&a.emit, &out.report)
        && let Err(e) = write_applied(dir, r)
    {
        out.diagnostics.push(Diagnostic::error(
            Stage::Cli,
            "emit-unwritable",
            format!("cannot write the applied SQL to {}: {e}", dir.display()),
        ));
    }
    report(&out.diagnostics, reporter);
    if let Some(r) = &out.report
        && reporter == Reporter::Tty
    {
        print_summary(r);
    }
    if out.diagnostics.has_errors() {
        // Connection, source and usage errors exit 2; data and schema errors 1.
        let io = out.diagnostics.iter().any(is_io_error);
        return Ok(ExitCode::from(if io { 2 } else { 1 }));
    }
    if differ > 0 {
        return Ok(ExitCode::from(1));
    }
    Ok(exit_for(&out.diagnostics, a.common.deny_warnings))
}

/// The loader's options from the flags.
fn migrate_options(
    a: &MigrateArgs,
    target: &pgbridge::conn::Target,
) -> pgbridge::load::MigrateOptions {
    pgbridge::load::MigrateOptions {
        compile: live_compile_options(&a.common),
        jobs: a
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        on_error: match a.on_error {
            OnErrorArg::Stop => pgbridge::load::OnError::Stop,
            OnErrorArg::Reject => pgbridge::load::OnError::Reject,
        },
        rejects_path: a.rejects.clone(),
        data_only: a.data_only,
        dry_run: a.dry_run,
        target_display: target.redacted(),
        maintenance_work_mem: a.maintenance_work_mem.clone(),
        live: a.live,
    }
}

/// The verify that ends a run, its result printed and put in the run's
/// report; its errors and warnings join the run's. Returns how many tables
/// differ.
fn verify_run(
    a: &MigrateArgs,
    connector: pgbridge::load::Connector<'_>,
    pack: &RulePack,
    progress: &CliProgress,
    out: &mut pgbridge::load::Outcome,
) -> usize {
    let Some(r) = out.report.as_mut() else {
        return 0;
    };
    let mut differ = 0;
    progress_line(progress, "verifying the content");
    let vopts = pgbridge::verify::VerifyOptions {
        compile: live_compile_options(&a.common),
        rejects: r.rejects_file.as_ref().map(PathBuf::from),
        replan: false,
        hash_in_server: false,
    };
    let t0 = std::time::Instant::now();
    let mut vdiags = Diagnostics::default();
    let verified =
        pgbridge::verify::verify(&a.input, connector, pack, &vopts, progress, &mut vdiags);
    progress.done();
    match verified {
        Ok(v) => {
            let seconds = t0.elapsed().as_secs_f64();
            differ = print_verify(&v.tables, seconds);
            r.phases.verify_s = Some(seconds);
            r.verify = Some(v.tables.iter().map(Into::into).collect());
            if differ > 0 {
                r.status = "verify-failed".into();
            }
        }
        Err(d) => out.diagnostics.push(*d),
    }
    // The plan note is for verify alone; errors and warnings matter here too.
    for d in vdiags
        .0
        .into_iter()
        .filter(|d| d.severity != Severity::Note)
    {
        out.diagnostics.push(d);
    }
    differ
}

/// `--emit DIR`: the SQL the run applied, a file each.
fn write_applied(dir: &Path, r: &pgbridge::load::Report) -> std::io::Result<()> {
    std::fs::create_dir_all(dir).and_then(|_| {
        r.applied
            .iter()
            .try_for_each(|x| std::fs::write(dir.join(&x.file), &x.sql))
    })
}

/// An error of the connection, the source or the usage (exit 2), not of
/// the data or schema (exit 1).
fn is_io_error(d: &Diagnostic) -> bool {
    d.severity == Severity::Error
        && (d.stage == Stage::Source
            || d.stage == Stage::Cli
            || matches!(
                d.code.as_str(),
                "target-bad-url"
                    | "target-unreachable"
                    | "target-auth-failed"
                    | "target-no-database"
                    | "target-tls"
                    | "target-error"
                    | "target-connection-lost"
                    | "source-unreadable"
                    | "not-a-sqlite-database"
            ))
}

pub(crate) fn print_summary(r: &pgbridge::load::Report) {
    match r.status.as_str() {
        "planned" => {
            out1!(
                "plan {} for {} → {} (schema {}):",
                r.plan,
                r.source.file,
                r.target.url,
                r.target.schema
            );
            let mut total = 0;
            for t in &r.load_plan {
                let rows = t.rows.unwrap_or(0);
                total += rows;
                out1!(
                    "  {} → {}: {} rows, {} columns",
                    t.source,
                    t.target,
                    rows,
                    t.columns.len()
                );
                for c in &t.columns {
                    out1!(
                        "      {} → {} {} ({})",
                        c.source,
                        c.target,
                        c.pg_type,
                        c.converter.name()
                    );
                }
            }
            out1!(
                "{} tables, {} rows; estimated data phase {:.1} s",
                r.load_plan.len(),
                total,
                r.estimate_s.unwrap_or(0.0)
            );
        }
        "already-complete" => {
            out1!(
                "nothing to do: plan {} was already migrated into {} (schema {})",
                r.plan,
                r.target.url,
                r.target.schema
            );
        }
        status => {
            let rows: u64 = r.tables.iter().map(|t| t.rows).sum();
            let resumed = r.tables.iter().filter(|t| t.resumed).count();
            out1!(
                "{status}: {} tables, {} rows, {} rejected, {} orphan FK(s) left NOT VALID; schema {:.2} s, data {:.2} s, constraints {:.2} s, total {:.2} s{}{}",
                r.tables.len(),
                rows,
                r.rejects,
                r.orphans.len(),
                r.phases.schema_s,
                r.phases.data_s,
                r.phases.constraints_s,
                r.phases.total_s,
                r.phases
                    .verify_s
                    .map(|v| format!("; verify {v:.2} s"))
                    .unwrap_or_default(),
                if resumed > 0 {
                    format!(" ({resumed} tables from an earlier run)")
                } else {
                    String::new()
                }
            );
        }
    }
}
