//! `pgbridge cutover`: makes PostgreSQL the database of record after
//! `sync` ([`pgbridge::sync::cutover`]): freeze, drain to a fence, verify,
//! switch; prints the freeze time.
use crate::*;

#[derive(Args)]
pub(crate) struct CutoverArgs {
    /// SQLite database file under sync (its writes are blocked once cut over).
    pub(crate) input: PathBuf,
    /// Target: a libpq URL or key=value string; PG* environment variables fill the rest.
    #[arg(id = "target_conn", value_name = "TARGET")]
    pub(crate) target_url: Option<String>,
    /// Abort, SQLite writable again, when writers would be frozen longer (`500ms`, `5s`, `1m`).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration)]
    pub(crate) max_freeze: std::time::Duration,
    /// Verify every table inside the freeze, instead of every table before it and the rows
    /// changed since inside it.
    #[arg(long)]
    pub(crate) full_verify: bool,
    /// Write what the cutover did (positions, changes, verify, freeze time) as JSON.
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) common: Common,
}

pub(crate) fn run_cutover(a: CutoverArgs) -> Result<ExitCode, Fail> {
    let reporter = a.common.reporter;
    let spec = connection_spec(a.target_url.as_deref(), &a.common)?;
    let pack = load_pack(&a.common)?;
    let target = parse_target(spec, reporter)?;
    let connector = || connect_to(&target);
    let copts = live_compile_options(&a.common);
    let opts = pgbridge::sync::cutover::CutoverOptions {
        sync: pgbridge::sync::SyncOptions {
            namespace: copts.rewrite.namespace.clone(),
            follow: false,
            extensions: copts.source.extensions.clone(),
            rules: Some(pgbridge::sync::schema::Rules {
                pack: pack.clone(),
                compile: copts.clone(),
            }),
            apply_schema_changes: None,
        },
        max_freeze: a.max_freeze,
        full_verify: a.full_verify,
        target_shown: target.redacted(),
        verify: pgbridge::verify::VerifyOptions {
            compile: copts,
            rejects: None,
            replan: false,
            hash_in_server: false,
        },
    };
    let progress = CliProgress::new();
    let batches = Batches;
    let shown = pgbridge::sync::cutover::Shown {
        progress: &progress,
        batches: &batches,
    };
    let r = pgbridge::sync::cutover::cutover(&a.input, &connector, &pack, &opts, &shown);
    progress.done();
    let r = r.map_err(|d| fail(*d, reporter))?;
    if let Some(path) = &a.report {
        write_report(path, &r, reporter)?;
    }
    out1!(
        "cut over: schema {} holds every change up to position {} ({} applied before the freeze, {} inside it); verified {} ({}); {} sequences set",
        r.target_schema,
        r.fence,
        r.changes_before_freeze,
        r.changes_in_freeze,
        r.verify,
        if r.verify == "full" {
            format!("{} tables in the freeze", r.verified_in_freeze)
        } else {
            format!(
                "every table at position {} in {:.2} s, then {} changed rows in the freeze",
                r.baseline_position.unwrap_or_default(),
                r.baseline_verify_s,
                r.verified_in_freeze
            )
        },
        r.sequences_set
    );
    out1!(
        "writers were frozen for {:.0} ms; SQLite now refuses writes, PostgreSQL is the database of record (`pgbridge rollback` goes back)",
        r.freeze_ms
    );
    Ok(ExitCode::SUCCESS)
}

/// Batches are not drawn one by one: the phases say what runs.
struct Batches;
impl pgbridge::sync::Observer for Batches {
    fn batch(&self, _: &pgbridge::sync::SyncReport, _: Option<f64>) {}
}
