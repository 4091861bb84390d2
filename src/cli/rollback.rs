//! `pgbridge rollback`: after a cutover, brings PostgreSQL's changes back
//! to SQLite and reopens it ([`pgbridge::sync::rollback`]); exit 1 when
//! refused (named), 2 on failure.
use crate::*;

#[derive(Args)]
pub(crate) struct RollbackArgs {
    /// SQLite database file that was cut over (PostgreSQL's changes are written to it).
    pub(crate) input: PathBuf,
    /// Target: a libpq URL or key=value string; PG* environment variables fill the rest.
    #[arg(id = "target_conn", value_name = "TARGET")]
    pub(crate) target_url: Option<String>,
    /// Write the nearest value where one cannot go back exactly (each listed in the report)
    /// instead of refusing.
    #[arg(long)]
    pub(crate) accept_loss: bool,
    /// Write what the rollback did (rows per table, inexact values, freeze time) as JSON.
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) common: Common,
}

pub(crate) fn run_rollback(a: RollbackArgs) -> Result<ExitCode, Fail> {
    let reporter = a.common.reporter;
    let spec = connection_spec(a.target_url.as_deref(), &a.common)?;
    let target = parse_target(spec, reporter)?;
    let connector = || connect_to(&target);
    let copts = live_compile_options(&a.common);
    let opts = pgbridge::sync::rollback::RollbackOptions {
        sync: pgbridge::sync::SyncOptions {
            namespace: copts.rewrite.namespace.clone(),
            follow: false,
            extensions: copts.source.extensions.clone(),
            rules: None,
            apply_schema_changes: None,
        },
        accept_loss: a.accept_loss,
    };
    let progress = CliProgress::new();
    let r = pgbridge::sync::rollback::rollback(&a.input, &connector, &opts, &progress);
    progress.done();
    let r = match r.map_err(|d| fail(*d, reporter))? {
        pgbridge::sync::rollback::Outcome::Done(r) => r,
        pgbridge::sync::rollback::Outcome::Refused(d, r) => {
            if let Some(path) = &a.report {
                write_report(path, &r, reporter)?;
            }
            report(&pgbridge::diag::Diagnostics(vec![*d]), reporter);
            return Ok(ExitCode::from(1));
        }
    };
    if let Some(path) = &a.report {
        write_report(path, &r, reporter)?;
    }
    let (up, del) = r
        .tables
        .iter()
        .fold((0, 0), |(u, d), t| (u + t.upserted, d + t.deleted));
    if r.status == "finished" {
        out1!(
            "finished an interrupted rollback of schema {}: PostgreSQL now refuses writes, sync goes on from position {}",
            r.target_schema,
            r.source_position
        );
        if r.unreturned_changes > 0 {
            err1!(
                "warning: PostgreSQL took {} change(s) after the interrupted rollback; they are not in SQLite (`pgbridge verify` shows the rows)",
                r.unreturned_changes
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    out1!(
        "rolled back: {} changes on PostgreSQL came back to SQLite ({} rows upserted, {} deleted in {} tables); SQLite's log position is {}",
        r.changes,
        up,
        del,
        r.tables.len(),
        r.source_position
    );
    for x in &r.inexact {
        err1!(
            "accepted loss: table {}, key {}, column {}: {} (wrote {})",
            term(&x.table),
            term(&x.key),
            term(&x.column),
            x.loss,
            term(x.nearest.as_deref().unwrap_or("NULL"))
        );
    }
    out1!(
        "PostgreSQL's writers were frozen for {:.0} ms; SQLite takes writes again, PostgreSQL now refuses them (`pgbridge sync` keeps it in step)",
        r.freeze_ms
    );
    Ok(ExitCode::SUCCESS)
}
