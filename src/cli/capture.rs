//! `pgbridge capture install|remove`: the change log on the live source
//! ([`pgbridge::capture`]) — the only writes pgbridge makes to a source.
use crate::*;

#[derive(Subcommand)]
pub(crate) enum CaptureCommand {
    /// Install the change log and its triggers on the tables the rules migrate.
    Install(CaptureArgs),
    /// Remove them: the source is left as it was.
    Remove(CaptureArgs),
}

#[derive(Args)]
pub(crate) struct CaptureArgs {
    /// SQLite database file (written: capture's log table and triggers).
    pub(crate) input: PathBuf,
    /// Print the SQL (install) instead of running it; the source is not touched.
    #[arg(long)]
    pub(crate) dry_run: bool,
    #[command(flatten)]
    pub(crate) common: Common,
}

pub(crate) fn run_capture(command: CaptureCommand) -> Result<ExitCode, Fail> {
    match command {
        CaptureCommand::Install(a) => install(a),
        CaptureCommand::Remove(a) => remove(a),
    }
}

fn install(a: CaptureArgs) -> Result<ExitCode, Fail> {
    let reporter = a.common.reporter;
    let (plan, diags) = capture_plan(&a.input, &a.common)?;
    if a.dry_run {
        out_raw!("{}", pgbridge::capture::install_sql(&plan));
        report(&diags, reporter);
        return Ok(exit_for(&diags, a.common.deny_warnings));
    }
    if !install_capture(&a.input, &plan, &diags, reporter)? {
        return Ok(ExitCode::from(1));
    }
    Ok(exit_for(&diags, a.common.deny_warnings))
}

/// What capture would do to `input`, for the tables the rules migrate.
fn capture_plan(
    input: &Path,
    common: &Common,
) -> Result<(pgbridge::capture::Plan, Diagnostics), Fail> {
    let pack = load_pack(common)?;
    let (sqlite, _) = read_input(input, common)?;
    let (pg, _) = pgbridge::rewrite_ir(&sqlite, &pack, &rewrite_options(common)?);
    let plan = pgbridge::capture::plan(&sqlite, &pg);
    let diags = plan.diagnostics();
    Ok((plan, diags))
}

/// Installs `plan`, its diagnostics reported; false (exit 1) when a table
/// is refused, with nothing written.
fn install_capture(
    input: &Path,
    plan: &pgbridge::capture::Plan,
    diags: &Diagnostics,
    reporter: Reporter,
) -> Result<bool, Fail> {
    if diags.has_errors() {
        report(diags, reporter);
        return Ok(false);
    }
    pgbridge::capture::install(input, plan).map_err(|e| source_fail(e, reporter))?;
    report(diags, reporter);
    if reporter == Reporter::Tty {
        err1!(
            "capture installed on {} tables of {}; `pgbridge capture remove {}` takes it out",
            plan.tables.len(),
            input.display(),
            input.display()
        );
    }
    Ok(true)
}

/// `migrate --live`: capture first, so every write from here on is logged
/// before the snapshot the rows are read from is taken. False: refused.
pub(crate) fn capture_for_live(input: &Path, common: &Common) -> Result<bool, Fail> {
    let (plan, diags) = capture_plan(input, common)?;
    install_capture(input, &plan, &diags, common.reporter)
}

fn remove(a: CaptureArgs) -> Result<ExitCode, Fail> {
    let reporter = a.common.reporter;
    let installed = pgbridge::capture::installed(&a.input).map_err(|e| source_fail(e, reporter))?;
    if a.dry_run {
        out_raw!("{}", pgbridge::capture::remove_sql(&installed));
        return Ok(ExitCode::SUCCESS);
    }
    pgbridge::capture::remove(&a.input).map_err(|e| source_fail(e, reporter))?;
    if reporter == Reporter::Tty {
        err1!(
            "capture removed from {} ({} triggers)",
            a.input.display(),
            installed.triggers.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn source_fail(e: pgbridge::diag::Error, reporter: Reporter) -> Fail {
    let d = match e {
        pgbridge::diag::Error::Diagnostic(d) => *d,
        e => Diagnostic::error(Stage::Source, "capture-failed", e.to_string()),
    };
    fail(d, reporter)
}
