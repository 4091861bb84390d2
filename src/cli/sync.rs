//! `pgbridge sync`: applies the source's change log to the target after
//! `migrate --live` ([`pgbridge::sync`]); `--status` says where it stands.
use crate::*;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Args)]
pub(crate) struct SyncArgs {
    /// SQLite database file with capture installed (read; its change log is compacted).
    pub(crate) input: PathBuf,
    /// Target: a libpq URL or key=value string; PG* environment variables fill the rest.
    #[arg(id = "target_conn", value_name = "TARGET")]
    pub(crate) target_url: Option<String>,
    /// Keep applying as the application writes, until SIGINT or SIGTERM (then exit 0).
    #[arg(long)]
    pub(crate) follow: bool,
    /// Show the lag (changes and seconds), the last applied position and capture's health; change nothing.
    #[arg(long, conflicts_with = "follow")]
    pub(crate) status: bool,
    /// `additive`: a schema change that only adds (a nullable or defaulted column, a new table) is applied to the target and sync goes on; anything else stops with the diff written for review.
    #[arg(long, value_enum, value_name = "CLASS", conflicts_with = "status")]
    pub(crate) apply_schema_changes: Option<SchemaChangesArg>,
    /// Where --apply-schema-changes writes each schema change's diff (up.sql, DIFF_REVIEW.md).
    #[arg(long, value_name = "DIR", default_value = "pgbridge-schema-diff")]
    pub(crate) schema_diff_dir: PathBuf,
    /// Write what was applied (or the status) as JSON.
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) common: Common,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum SchemaChangesArg {
    Additive,
}

/// Set by SIGINT/SIGTERM: a `--follow` run ends after the batch in hand.
static STOP: AtomicBool = AtomicBool::new(false);

struct Screen {
    tty: bool,
    last: std::cell::Cell<Option<std::time::Instant>>,
}

impl pgbridge::sync::Observer for Screen {
    fn batch(&self, r: &pgbridge::sync::SyncReport, lag_ms: Option<f64>) {
        // At most a line a second: a follow run on a busy source is quiet.
        let now = std::time::Instant::now();
        if !self.tty
            || self
                .last
                .get()
                .is_some_and(|t| now - t < std::time::Duration::from_secs(1))
        {
            return;
        }
        self.last.set(Some(now));
        err1!(
            "sync: position {}, {} changes in {} batches ({} upserted, {} deleted), lag {}",
            r.position_to,
            r.changes,
            r.batches,
            r.rows_upserted,
            r.rows_deleted,
            lag_ms.map_or("-".into(), |l| format!("{l:.0} ms"))
        );
    }
}

pub(crate) fn run_sync(a: SyncArgs) -> Result<ExitCode, Fail> {
    let reporter = a.common.reporter;
    let spec = connection_spec(a.target_url.as_deref(), &a.common)?;
    let target = parse_target(spec, reporter)?;
    let connector = || connect_to(&target);
    let copts = live_compile_options(&a.common);
    let opts = pgbridge::sync::SyncOptions {
        namespace: copts.rewrite.namespace.clone(),
        follow: a.follow,
        extensions: copts.source.extensions.clone(),
        rules: Some(pgbridge::sync::schema::Rules {
            pack: load_pack(&a.common)?,
            compile: copts.clone(),
        }),
        apply_schema_changes: match a.apply_schema_changes {
            Some(SchemaChangesArg::Additive) => Some(pgbridge::sync::schema::Additive {
                review_dir: a.schema_diff_dir.clone(),
            }),
            None => None,
        },
    };
    if a.status {
        let s =
            pgbridge::sync::status(&a.input, &connector, &opts).map_err(|d| fail(*d, reporter))?;
        print_status(&s);
        if let Some(path) = &a.report {
            write_report(path, &s, reporter)?;
        }
        return Ok(ExitCode::from(u8::from(!s.unhealthy.is_empty())));
    }
    let _ = ctrlc::set_handler(|| STOP.store(true, Ordering::Relaxed));
    let screen = Screen {
        tty: reporter == Reporter::Tty,
        last: std::cell::Cell::new(None),
    };
    let r = pgbridge::sync::sync(&a.input, &connector, &opts, &STOP, &screen)
        .map_err(|d| fail(*d, reporter))?;
    if let Some(path) = &a.report {
        write_report(path, &r, reporter)?;
    }
    if reporter == Reporter::Tty {
        err1!(
            "sync {}: position {} → {}, {} changes in {} batches ({} rows upserted, {} deleted) in {:.2} s; lag p50 {}, p99 {}",
            r.status,
            r.position_from,
            r.position_to,
            r.changes,
            r.batches,
            r.rows_upserted,
            r.rows_deleted,
            r.seconds,
            ms(r.lag_ms_p50),
            ms(r.lag_ms_p99)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.0} ms"))
}

fn print_status(s: &pgbridge::sync::Status) {
    match &s.state {
        Some(st) => out1!(
            "schema {}: applied up to position {} of {} ({} pending, lag {:.1} s); {} batches, {} changes; last applied {}",
            s.target_schema,
            st.position,
            s.source_position,
            s.pending,
            s.lag_s,
            st.batches,
            st.changes,
            st.applied_at.as_deref().unwrap_or("never")
        ),
        None => out1!(
            "schema {}: sync has not run ({} changes logged on the source)",
            s.target_schema,
            s.source_position
        ),
    }
    if s.unhealthy.is_empty() {
        out1!(
            "capture: {} tables, all triggers in place",
            s.captured_tables
        );
    } else {
        out1!(
            "capture: triggers missing on {} (changes there are not logged): reinstall with `pgbridge capture install`",
            s.unhealthy.join(", ")
        );
    }
}
