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
    let pack = load_pack(&a.common)?;
    let (sqlite, _) = read_input(&a.input, &a.common)?;
    let (pg, _) = pgbridge::rewrite_ir(&sqlite, &pack, &rewrite_options(&a.common)?);
    let plan = pgbridge::capture::plan(&sqlite, &pg);
    let diags = plan.diagnostics();
    if a.dry_run {
        out_raw!("{}", pgbridge::capture::install_sql(&plan));
        report(&diags, reporter);
        return Ok(exit_for(&diags, a.common.deny_warnings));
    }
    if diags.has_errors() {
        report(&diags, reporter);
        return Ok(ExitCode::from(1));
    }
    pgbridge::capture::install(&a.input, &plan).map_err(|e| source_fail(e, reporter))?;
    report(&diags, reporter);
    if reporter == Reporter::Tty {
        err1!(
            "capture installed on {} tables of {}; `pgbridge capture remove {}` takes it out",
            plan.tables.len(),
            a.input.display(),
            a.input.display()
        );
    }
    Ok(exit_for(&diags, a.common.deny_warnings))
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
