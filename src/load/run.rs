//! The migrate run: state in the `pgbridge` schema, the parallel COPY
//! machinery, orphan counting and the constraint phase (see the module
//! docs of `load`).
use super::plan::{self, TablePlan};
use super::*;
use crate::diag::{Diagnostic, Diagnostics, Stage};
use crate::ident::{quote_ident, quote_literal};
use crate::ir::pg;
use crate::rewrite::{RulePack, Target};
use crate::value::convert::{self, class, float_text};
use crate::value::wire::{self, Wire};
use rusqlite::types::ValueRef;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

/// Bytes of COPY data per message to a worker.
const CHUNK: usize = 1 << 20;
/// Chunks queued per worker: memory is bounded by jobs × QUEUE × CHUNK.
const QUEUE: usize = 4;

const STATE_SQL: &str = "\
CREATE SCHEMA IF NOT EXISTS pgbridge;
CREATE TABLE IF NOT EXISTS pgbridge.runs (
    plan text PRIMARY KEY,
    source text NOT NULL,
    target_schema text NOT NULL,
    data_only boolean NOT NULL,
    status text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    error text,
    verify_plan jsonb
);
ALTER TABLE pgbridge.runs ADD COLUMN IF NOT EXISTS verify_plan jsonb;
ALTER TABLE pgbridge.runs ADD COLUMN IF NOT EXISTS verify_views jsonb;
ALTER TABLE pgbridge.runs ADD COLUMN IF NOT EXISTS source_fingerprint text;
ALTER TABLE pgbridge.runs ADD COLUMN IF NOT EXISTS live_position bigint;
ALTER TABLE pgbridge.runs ADD COLUMN IF NOT EXISTS live_schema jsonb;
CREATE TABLE IF NOT EXISTS pgbridge.tables (
    plan text NOT NULL,
    table_name text NOT NULL,
    source_table text NOT NULL,
    rows bigint NOT NULL,
    rejects bigint NOT NULL,
    seconds double precision NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (plan, table_name)
);
CREATE TABLE IF NOT EXISTS pgbridge.parked_fks (
    plan text NOT NULL,
    table_name text NOT NULL,
    name text NOT NULL,
    def text NOT NULL,
    PRIMARY KEY (plan, table_name, name)
);
CREATE TABLE IF NOT EXISTS pgbridge.rejects (
    plan text NOT NULL,
    table_name text NOT NULL,
    row_number bigint NOT NULL,
    record jsonb NOT NULL
);
";

fn load_err(code: &str, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::error(Stage::Load, code, msg)
}

/// A PostgreSQL error as one line: severity, message, detail, context.
pub(crate) fn pg_error(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{}: {}", db.severity(), db.message());
            if let Some(d) = db.detail() {
                s.push_str(&format!(" ({d})"));
            }
            if let Some(w) = db.where_() {
                s.push_str(&format!(" [{w}]"));
            }
            s
        }
        None => e.to_string(),
    }
}

/// Server version number, version text and available extensions.
pub fn read_server(
    client: &mut postgres::Client,
) -> Result<(u32, String, Vec<String>), postgres::Error> {
    let row = client.query_one(
        "SELECT current_setting('server_version_num')::int, current_setting('server_version')",
        &[],
    )?;
    let num: i32 = row.get(0);
    let text: String = row.get(1);
    let ext = client
        .query(
            "SELECT name::text FROM pg_available_extensions ORDER BY name",
            &[],
        )?
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect();
    Ok(((num / 10000) as u32, text, ext))
}

/// SHA-256 (hex) and size of a file, read in 1 MiB blocks.
pub fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = std::io::Read::read(&mut f, &mut buf)?;
        if k == 0 {
            break;
        }
        n += k as u64;
        h.update(&buf[..k]);
    }
    Ok((hex::encode(h.finalize()), n))
}

/// The outcome of [`migrate`]: the report (when the run got far enough to
/// have one) and every diagnostic. Success means no error diagnostic.
pub struct Outcome {
    pub report: Option<Report>,
    pub diagnostics: Diagnostics,
}

/// Run a migration (see the module docs).
pub fn migrate(
    source: &Path,
    connect: Connector<'_>,
    pack: &RulePack,
    opts: &MigrateOptions,
    progress: &dyn Progress,
) -> Outcome {
    let mut diags = Diagnostics::default();
    let mut report = None;
    if let Err(d) = run(
        source,
        connect,
        pack,
        opts,
        progress,
        &mut diags,
        &mut report,
    ) {
        diags.push(*d);
    }
    if let Some(r) = report.as_mut() {
        r.diagnostics = diags.0.clone();
        if diags.has_errors() && r.status != "failed" {
            r.status = "failed".into();
        }
    }
    Outcome {
        report,
        diagnostics: diags,
    }
}

type Step<T> = Result<T, Box<Diagnostic>>;

fn sqlite_step(path: &Path) -> impl Fn(rusqlite::Error) -> Box<Diagnostic> + '_ {
    move |e| {
        Box::new(
            load_err(
                "source-unreadable",
                format!("cannot read {}: {e}", path.display()),
            )
            .with_help(
                "is the file a SQLite database that another process holds locked or has corrupted?",
            ),
        )
    }
}

fn pg_step(what: &'static str) -> impl Fn(postgres::Error) -> Box<Diagnostic> {
    move |e| {
        let text = pg_error(&e);
        if e.is_closed() || connection_lost(&text) {
            return Box::new(lost_connection(&format!("while {what}"), &text));
        }
        Box::new(load_err("target-failed", format!("{what}: {text}")))
    }
}

/// Whether an error's text says the server went away (restart, shutdown,
/// a killed backend, a broken socket), not that it refused something.
fn connection_lost(text: &str) -> bool {
    const SIGNS: &[&str] = &[
        "connection closed",
        "terminating connection",
        "server closed the connection",
        "the database system is shutting down",
        "the database system is starting up",
        "Connection reset",
        "Broken pipe",
        "unexpected EOF",
        "error communicating with the server",
        "connection refused",
    ];
    let lower = text.to_ascii_lowercase();
    SIGNS
        .iter()
        .any(|s| lower.contains(&s.to_ascii_lowercase()))
}

/// The connection to PostgreSQL went away: not a data error. What was
/// committed stays; the same command resumes.
fn lost_connection(during: &str, text: &str) -> Diagnostic {
    load_err(
        "target-connection-lost",
        format!("the connection to PostgreSQL was lost {during}: {text}"),
    )
    .with_help("when the server is back, run the same command again: tables already committed are kept and the rest resume")
}

#[allow(clippy::too_many_arguments)]
fn run(
    source: &Path,
    connect: Connector<'_>,
    pack: &RulePack,
    opts: &MigrateOptions,
    progress: &dyn Progress,
    diags: &mut Diagnostics,
    report_out: &mut Option<Report>,
) -> Step<()> {
    let t0 = Instant::now();
    let started = std::time::SystemTime::now();
    // The source: one read transaction for schema, profile and rows.
    let open = if opts.live {
        crate::source::live::open_live
    } else {
        crate::source::live::open_read_only
    };
    let sconn = open(source, &opts.compile.source.extensions).map_err(|e| match e {
        crate::diag::Error::Diagnostic(d) => d,
        other => Box::new(load_err("source-unreadable", other.to_string())),
    })?;
    let _ = sconn.busy_timeout(std::time::Duration::from_secs(5));
    // Before the snapshot: a write landing in between makes a resume reload.
    let fingerprint = plan::source_fingerprint(source);
    let stx = sconn.unchecked_transaction().map_err(sqlite_step(source))?;
    // The snapshot starts with its first read: the log position, when live.
    let live_position = if opts.live {
        Some(crate::capture::position(&stx).map_err(sqlite_step(source))?)
    } else {
        None
    };
    let sha_path = source.to_path_buf();
    let sha = std::thread::spawn(move || sha256_file(&sha_path));

    let mut ctl = connect().map_err(|e| {
        let mut d = load_err(&e.code, e.message);
        if let Some(h) = e.help {
            d = d.with_help(h);
        }
        Box::new(d)
    })?;
    let (major, server_version, exts) =
        read_server(&mut ctl).map_err(pg_step("reading the server"))?;
    let mut copts = opts.compile.clone();
    copts.rewrite.target = Target::new(major, &exts);
    copts.emit.bare = true;
    progress.phase("reading the source");
    let (sqlite, d) = crate::source::live::read_with(&stx, source, &copts.source, progress)
        .map_err(|e| match e {
            crate::diag::Error::Diagnostic(d) => d,
            other => Box::new(load_err("source-unreadable", other.to_string())),
        })?;
    let compiled = crate::compile_schema(sqlite, d, pack, &copts).map_err(|e| match e {
        crate::diag::Error::Diagnostic(d) => d,
        other => Box::new(load_err("compile-failed", other.to_string())),
    })?;
    diags.extend(compiled.diagnostics.clone());
    if diags.has_errors() {
        return Err(Box::new(load_err(
            "compile-failed",
            "the schema did not compile; nothing was written to the target",
        )));
    }
    let namespace: String = match &compiled.pg.namespace {
        Some(n) => n.clone(),
        None => ctl
            .query_one("SELECT current_schema()::text", &[])
            .map_err(pg_step("reading the current schema"))?
            .get(0),
    };
    let plan_digest = plan::plan_identity(&compiled.pg, &namespace, opts.data_only);
    let mut report = new_report(
        source,
        started,
        pack,
        opts,
        server_version,
        &namespace,
        &plan_digest,
    );
    let ctx = RunCtx {
        stx: &stx,
        connect,
        compiled: &compiled,
        namespace: &namespace,
        plan_digest: &plan_digest,
        fingerprint: &fingerprint,
        live_position,
        pack,
        copts: &copts,
        opts,
        progress,
    };
    let result = run_target(&ctx, &mut ctl, diags, &mut report);
    if let Ok(Ok((h, n))) = sha.join() {
        report.source.sha256 = h;
        report.source.bytes = n;
    }
    report.phases.total_s = t0.elapsed().as_secs_f64();
    report.run.finished_at = utc_rfc3339(std::time::SystemTime::now());
    if let Err(d) = &result {
        record_failure(&mut ctl, d, &plan_digest, opts.dry_run, &mut report);
    }
    *report_out = Some(report);
    drop(stx);
    result
}

/// The report of a run as it starts: status `running`, no tables yet.
fn new_report(
    source: &Path,
    started: std::time::SystemTime,
    pack: &RulePack,
    opts: &MigrateOptions,
    server_version: String,
    namespace: &str,
    plan_digest: &str,
) -> Report {
    let (host, user) = host_and_user();
    Report {
        pgbridge_version: env!("CARGO_PKG_VERSION").into(),
        status: "running".into(),
        run: Audit {
            started_at: utc_rfc3339(started),
            finished_at: String::new(),
            host,
            user,
        },
        source: SourceInfo {
            file: crate::source::file_name(source),
            sha256: String::new(),
            bytes: 0,
            path: Some(
                std::fs::canonicalize(source)
                    .unwrap_or_else(|_| source.to_path_buf())
                    .display()
                    .to_string(),
            ),
        },
        target: TargetInfo {
            url: opts.target_display.clone(),
            server_version,
            schema: namespace.to_string(),
        },
        rule_pack: pack.digest(),
        plan: plan_digest.to_string(),
        settings: Settings {
            jobs: opts.jobs,
            on_error: opts.on_error,
            data_only: opts.data_only,
            dry_run: opts.dry_run,
        },
        phases: Phases::default(),
        tables: Vec::new(),
        rejects: 0,
        rejects_file: None,
        orphans: Vec::new(),
        load_plan: Vec::new(),
        diagnostics: Vec::new(),
        error: None,
        verify: None,
        estimate_s: None,
        applied: Vec::new(),
    }
}

/// A failed run: what is committed stays and the report says so (the
/// tables loaded so far); the run's row is marked failed unless dry.
fn record_failure(
    ctl: &mut postgres::Client,
    d: &Diagnostic,
    plan_digest: &str,
    dry_run: bool,
    report: &mut Report,
) {
    report.status = "failed".into();
    report.error = Some(d.message.clone());
    // What is committed stays, and the summary says so.
    if let Ok(rows) = ctl.query(
        "SELECT table_name, source_table, rows, rejects, seconds FROM pgbridge.tables WHERE plan = $1 ORDER BY table_name",
        &[&plan_digest],
    ) {
        report.tables = rows
            .iter()
            .map(|r| TableReport {
                name: r.get(0),
                source: r.get(1),
                rows: r.get::<_, i64>(2) as u64,
                rejects: r.get::<_, i64>(3) as u64,
                seconds: r.get(4),
                resumed: false,
            })
            .collect();
    }
    if !dry_run {
        // Mark the run failed (best effort: the connection may be gone).
        let _ = ctl.execute(
            "UPDATE pgbridge.runs SET status = 'failed', error = $2 WHERE plan = $1 AND status <> 'complete'",
            &[&plan_digest, &d.message],
        );
    }
}

/// What every step of a run against the target reads.
struct RunCtx<'a> {
    /// The source's read transaction: schema, profile and rows from one snapshot.
    stx: &'a rusqlite::Connection,
    connect: Connector<'a>,
    compiled: &'a crate::Compiled,
    namespace: &'a str,
    plan_digest: &'a str,
    fingerprint: &'a str,
    /// `--live`: the change-log position of the snapshot.
    live_position: Option<i64>,
    pack: &'a RulePack,
    /// The compile options for this server (version, extensions, bare).
    copts: &'a crate::CompileOptions,
    opts: &'a MigrateOptions,
    progress: &'a dyn Progress,
}

/// Target tables in the catalog, with their columns.
type Catalog = std::collections::BTreeMap<String, Vec<plan::CatalogColumn>>;

/// A table an interrupted run of this plan loaded: name, rows, rejects, seconds.
type Done = (String, i64, i64, f64);

/// The run against the target: the run state, the schema (or, with
/// `--data-only`, the existing tables), the data, the constraints and the
/// reject file. A dry run only plans.
fn run_target(
    r: &RunCtx<'_>,
    ctl: &mut postgres::Client,
    diags: &mut Diagnostics,
    report: &mut Report,
) -> Step<()> {
    if r.opts.dry_run {
        plan_dry_run(r.compiled, report);
        return Ok(());
    }
    let t_schema = Instant::now();
    // Read first, create nothing yet: a refused run must leave the target as it was.
    let (status, catalog_before) = read_run_state(r, ctl, diags)?;
    if status.as_deref() == Some("complete") {
        return already_complete(r, ctl, diags, report);
    }
    let resuming = status.is_some();
    if !r.opts.data_only && !resuming {
        refuse_existing_tables(r, &catalog_before)?;
    }
    let plans = prepare_tables(r, ctl, &catalog_before, resuming, diags, report)?;
    report.phases.schema_s = t_schema.elapsed().as_secs_f64();
    report.load_plan = plans.clone();
    // How verify will hash these tables: recorded with the completion mark.
    let verify_plan = if r.opts.data_only {
        let keys = plan::read_keys(ctl, r.namespace).map_err(pg_step("reading the target keys"))?;
        super::verify_plan::for_data_only(&plans, &keys)
    } else {
        super::verify_plan::for_created(&plans, &r.compiled.pg)
    };
    // Views a data-only run did not create are the target's own.
    let verify_views = if r.opts.data_only {
        Vec::new()
    } else {
        super::verify_plan::for_views(&r.compiled.pg)
    };

    if resuming {
        reload_if_source_changed(
            ctl,
            &plans,
            r.namespace,
            r.plan_digest,
            r.fingerprint,
            diags,
        )?;
    }
    let (done, todo) = resume_point(r, ctl, &plans)?;
    // Into a schema that has its foreign keys, parents load before children.
    let waves = if r.opts.data_only {
        data_only_waves(ctl, &plans, &todo, r.namespace, r.plan_digest, diags)?
    } else {
        vec![todo.clone()]
    };
    if r.opts.data_only {
        refuse_filled_tables(r, ctl, &plans, &todo)?;
    }
    report_resumed(&done, &plans, report);
    load_data(r, &plans, &waves, report)?;

    r.progress
        .phase("keys, indexes and foreign keys (03_constraints.sql)");
    let t_cons = Instant::now();
    let finish = format!(
        "UPDATE pgbridge.runs SET status = 'complete', finished_at = now(), verify_plan = {}::jsonb, \
         verify_views = {}::jsonb, live_position = {}, live_schema = {}::jsonb WHERE plan = {};",
        quote_literal(&serde_json::to_string(&verify_plan).unwrap_or_else(|_| "null".into())),
        quote_literal(&serde_json::to_string(&verify_views).unwrap_or_else(|_| "null".into())),
        r.live_position.map_or("NULL".into(), |p| p.to_string()),
        live_schema(r),
        quote_literal(r.plan_digest)
    );
    if r.opts.data_only {
        finish_data_only(r, ctl, &plans, &finish, report)?;
    } else {
        finish_created(r, ctl, &finish, diags, report)?;
    }
    report.phases.constraints_s = t_cons.elapsed().as_secs_f64();
    report_rejects(r, ctl, diags, report)?;
    report.status = "complete".into();
    Ok(())
}

/// What the run created ([`super::schema_record`]): sync's schema hook and
/// `pgbridge diff` read it as the old side. A `--data-only` run created
/// nothing and records none.
fn live_schema(r: &RunCtx<'_>) -> String {
    if r.opts.data_only {
        return "NULL".into();
    }
    let record = super::schema_record::SchemaRecord::of(&r.compiled.sqlite, &r.compiled.pg);
    quote_literal(&record.to_json())
}

/// `--dry-run`: the plan and its estimated time; the target is only read.
fn plan_dry_run(compiled: &crate::Compiled, report: &mut Report) {
    report.load_plan = dry_plan(&compiled.sqlite, &compiled.pg);
    let rows: u64 = report.load_plan.iter().filter_map(|p| p.rows).sum();
    report.estimate_s = Some(rows as f64 / super::LOAD_ROWS_PER_S);
    report.status = "planned".into();
}

/// The status of an earlier run of this plan (none without one, or when
/// its state describes tables that are all gone) and the target catalog.
fn read_run_state(
    r: &RunCtx<'_>,
    ctl: &mut postgres::Client,
    diags: &mut Diagnostics,
) -> Step<(Option<String>, Catalog)> {
    let has_state: bool = ctl
        .query_one("SELECT to_regclass('pgbridge.runs') IS NOT NULL", &[])
        .map_err(pg_step("reading the run state"))?
        .get(0);
    let status: Option<String> = if has_state {
        ctl.query_opt(
            "SELECT status FROM pgbridge.runs WHERE plan = $1",
            &[&r.plan_digest],
        )
        .map_err(pg_step("reading the run state"))?
        .map(|r| r.get(0))
    } else {
        None
    };
    let catalog_before =
        plan::read_catalog(ctl, r.namespace).map_err(pg_step("reading the target catalog"))?;
    let pg = &r.compiled.pg;
    // Run state whose tables are all gone (rollback.sql, a dropped schema)
    // describes nothing: forget it and start afresh.
    if status.is_some()
        && !r.opts.data_only
        && !pg.tables.is_empty()
        && !pg
            .tables
            .iter()
            .any(|t| catalog_before.contains_key(&t.name))
    {
        forget_stale_run(r, ctl, diags)?;
        return Ok((None, catalog_before));
    }
    Ok((status, catalog_before))
}

/// Delete the recorded state of this plan (its tables are all gone).
fn forget_stale_run(
    r: &RunCtx<'_>,
    ctl: &mut postgres::Client,
    diags: &mut Diagnostics,
) -> Step<()> {
    ctl.batch_execute(&format!(
        "BEGIN; DELETE FROM pgbridge.rejects WHERE plan = {p}; \
         DELETE FROM pgbridge.tables WHERE plan = {p}; \
         DELETE FROM pgbridge.runs WHERE plan = {p}; COMMIT;",
        p = quote_literal(r.plan_digest)
    ))
    .map_err(pg_step("forgetting the state of a rolled-back run"))?;
    diags.push(
        Diagnostic::note(
            Stage::Load,
            "run-state-stale",
            format!(
                "an earlier run of this plan was recorded, but none of its tables is in {} any more (rolled back?): starting afresh",
                r.namespace
            ),
        ),
    );
    Ok(())
}

/// This plan was migrated already: nothing to do, but a warning when the
/// source changed since.
fn already_complete(
    r: &RunCtx<'_>,
    ctl: &mut postgres::Client,
    diags: &mut Diagnostics,
    report: &mut Report,
) -> Step<()> {
    report.status = "already-complete".into();
    let stored: Option<String> = ctl
        .query_one(
            "SELECT to_jsonb(r) ->> 'source_fingerprint' FROM pgbridge.runs r WHERE plan = $1",
            &[&r.plan_digest],
        )
        .map_err(pg_step("reading the run state"))?
        .get(0);
    if stored.as_deref() != Some(r.fingerprint) {
        diags.push(
            Diagnostic::warning(
                Stage::Load,
                "source-changed-since-migration",
                format!(
                    "this plan was already migrated into {}, but the source may have changed since (its size or modification time differs); the target is not updated by a rerun",
                    r.namespace
                ),
            )
            .with_help("`pgbridge verify SOURCE TARGET` shows what differs; to move it again, apply rollback.sql and rerun"),
        );
    }
    Ok(())
}

/// A fresh run creates its tables: none of them may exist yet.
fn refuse_existing_tables(r: &RunCtx<'_>, catalog_before: &Catalog) -> Step<()> {
    let existing: Vec<&str> = r
        .compiled
        .pg
        .tables
        .iter()
        .filter(|t| catalog_before.contains_key(&t.name))
        .map(|t| t.name.as_str())
        .collect();
    if existing.is_empty() {
        return Ok(());
    }
    Err(Box::new(
        load_err(
            "target-not-empty",
            format!(
                "the target schema {} already has table(s) {}; nothing was changed",
                r.namespace,
                existing.join(", ")
            ),
        )
        .with_help("drop them (rollback.sql does), choose another --schema, or load into them with --data-only"),
    ))
}

/// The state schema and the run's row; the schema (`01_schema.sql`) unless
/// loading into existing tables or resuming; the load plan.
fn prepare_tables(
    r: &RunCtx<'_>,
    ctl: &mut postgres::Client,
    catalog_before: &Catalog,
    resuming: bool,
    diags: &mut Diagnostics,
    report: &mut Report,
) -> Step<Vec<TablePlan>> {
    let (compiled, pg) = (r.compiled, &r.compiled.pg);
    ctl.batch_execute(STATE_SQL)
        .map_err(pg_step("creating the pgbridge state schema"))?;
    let run_row = format!(
        "INSERT INTO pgbridge.runs (plan, source, target_schema, data_only, status) VALUES ({}, {}, {}, {}, 'loading') \
         ON CONFLICT (plan) DO UPDATE SET status = 'loading', error = NULL;",
        quote_literal(r.plan_digest),
        quote_literal(&compiled.sqlite.origin),
        quote_literal(r.namespace),
        r.opts.data_only
    );
    if r.opts.data_only {
        let (plans, d) = plan::plan_data_only(&compiled.sqlite, pg, catalog_before);
        let failed = d.has_errors();
        diags.extend(d);
        if failed {
            return Err(Box::new(load_err(
                "data-only-unmapped",
                "the target schema does not take the source as it is (see the errors above); nothing was moved",
            )));
        }
        ctl.batch_execute(&run_row)
            .map_err(pg_step("recording the run"))?;
        return Ok(plans);
    }
    if !resuming {
        create_schema(r, ctl, &run_row, report)?;
    }
    let catalog =
        plan::read_catalog(ctl, r.namespace).map_err(pg_step("reading the target catalog"))?;
    plan::plan_created(&compiled.sqlite, pg, &catalog).map_err(|d| {
        let first = d.0.first().cloned();
        diags.extend(d);
        Box::new(first.unwrap_or_else(|| load_err("plan-failed", "no plan")))
    })
}

/// `01_schema.sql` and the run's row, in one transaction.
fn create_schema(
    r: &RunCtx<'_>,
    ctl: &mut postgres::Client,
    run_row: &str,
    report: &mut Report,
) -> Step<()> {
    r.progress.phase("creating the schema (01_schema.sql)");
    let schema_sql = r
        .compiled
        .set
        .files
        .get("01_schema.sql")
        .map(String::as_str)
        .unwrap_or_default();
    report
        .applied
        .push(Applied::new("01_schema.sql", schema_sql));
    ctl.batch_execute(&format!("BEGIN;\n{schema_sql}\n{run_row}\nCOMMIT;"))
        .map_err(|e| {
            Box::new(load_err(
                "schema-failed",
                format!(
                    "01_schema.sql failed, nothing was applied: {}",
                    pg_error(&e)
                ),
            ))
        })
}

/// Records the source's fingerprint; returns the tables an interrupted run
/// of this plan loaded already, and the indexes of the plans still to load,
/// biggest first.
fn resume_point(
    r: &RunCtx<'_>,
    ctl: &mut postgres::Client,
    plans: &[TablePlan],
) -> Step<(Vec<Done>, Vec<usize>)> {
    ctl.execute(
        "UPDATE pgbridge.runs SET source_fingerprint = $2 WHERE plan = $1",
        &[&r.plan_digest, &r.fingerprint],
    )
    .map_err(pg_step("recording the source fingerprint"))?;
    // Tables already loaded by an interrupted run of this plan.
    let done: Vec<Done> = ctl
        .query(
            "SELECT table_name, rows, rejects, seconds FROM pgbridge.tables WHERE plan = $1",
            &[&r.plan_digest],
        )
        .map_err(pg_step("reading the progress"))?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    let mut todo: Vec<usize> = (0..plans.len())
        .filter(|&i| !done.iter().any(|d| d.0 == plans[i].target))
        .collect();
    // Biggest first: the parallel phase ends sooner.
    todo.sort_by_key(|&i| std::cmp::Reverse(plans[i].rows.unwrap_or(0)));
    Ok((done, todo))
}

/// `--data-only` loads into empty tables only.
fn refuse_filled_tables(
    r: &RunCtx<'_>,
    ctl: &mut postgres::Client,
    plans: &[TablePlan],
    todo: &[usize],
) -> Step<()> {
    for &i in todo {
        let q = format!(
            "SELECT EXISTS (SELECT 1 FROM {})",
            plans[i].qualified(r.namespace)
        );
        let has: bool = ctl
            .query_one(&q, &[])
            .map_err(pg_step("checking the target tables"))?
            .get(0);
        if has {
            return Err(Box::new(
                load_err(
                    "target-table-not-empty",
                    format!(
                        "target table {}.{} already has rows; --data-only loads into empty tables only, nothing was moved",
                        r.namespace, plans[i].target
                    ),
                )
                .with_help("empty it first (TRUNCATE), or load into another schema"),
            ));
        }
    }
    Ok(())
}

/// The tables an interrupted run loaded, in the report as resumed.
fn report_resumed(done: &[Done], plans: &[TablePlan], report: &mut Report) {
    for (name, rows, rejects, seconds) in done {
        if let Some(p) = plans.iter().find(|p| &p.target == name) {
            report.tables.push(TableReport {
                name: name.clone(),
                source: p.source.clone(),
                rows: *rows as u64,
                rejects: *rejects as u64,
                seconds: *seconds,
                resumed: true,
            });
        }
    }
}

/// The data phase: each wave's tables in parallel, then the report's tables
/// in name order and the reject count.
fn load_data(
    r: &RunCtx<'_>,
    plans: &[TablePlan],
    waves: &[Vec<usize>],
    report: &mut Report,
) -> Step<()> {
    r.progress.phase("loading the data");
    let t_data = Instant::now();
    let ctx = LoadCtx {
        connect: r.connect,
        namespace: r.namespace,
        plan: r.plan_digest,
        on_error: r.opts.on_error,
        freeze: !r.opts.data_only,
        jobs: r.opts.jobs.max(1),
        progress: r.progress,
    };
    let mut loaded = Vec::new();
    for wave in waves {
        loaded.extend(load_tables(r.stx, plans, wave, &ctx)?);
    }
    for (i, rows, rejects, seconds) in loaded {
        report.tables.push(TableReport {
            name: plans[i].target.clone(),
            source: plans[i].source.clone(),
            rows,
            rejects,
            seconds,
            resumed: false,
        });
    }
    report.tables.sort_by(|a, b| a.name.cmp(&b.name));
    report.rejects = report.tables.iter().map(|t| t.rejects).sum();
    report.phases.data_s = t_data.elapsed().as_secs_f64();
    Ok(())
}

/// `--data-only`'s last phase: the parked foreign keys back, sequences
/// reset, tables analyzed, and the completion mark, in one transaction.
fn finish_data_only(
    r: &RunCtx<'_>,
    ctl: &mut postgres::Client,
    plans: &[TablePlan],
    finish: &str,
    report: &mut Report,
) -> Step<()> {
    restore_parked_fks(ctl, r.namespace, r.plan_digest)?;
    let mut sql = String::from("BEGIN;\n");
    for p in plans {
        sql.push_str(&sequence_resets(ctl, r.namespace, p)?);
        sql.push_str(&format!("ANALYZE {};\n", p.qualified(r.namespace)));
    }
    sql.push_str(finish);
    sql.push_str("\nCOMMIT;");
    report
        .applied
        .push(Applied::new("03_sequences_and_analyze.sql", &sql));
    ctl.batch_execute(&sql)
        .map_err(pg_step("resetting sequences"))
}

/// A created schema's last phase: `03_constraints.sql`, compiled again with
/// foreign keys that have orphan rows left `NOT VALID`, and the completion
/// mark.
fn finish_created(
    r: &RunCtx<'_>,
    ctl: &mut postgres::Client,
    finish: &str,
    diags: &mut Diagnostics,
    report: &mut Report,
) -> Step<()> {
    let mwm = format!(
        "SET maintenance_work_mem = {};",
        quote_literal(&r.opts.maintenance_work_mem)
    );
    let mut pg2 = r.compiled.pg.clone();
    ctl.batch_execute(&format!("SET search_path TO {};", quote_ident(r.namespace)))
        .map_err(pg_step("setting the search path"))?;
    for fk in pg2.foreign_keys.iter_mut() {
        let o = orphans(ctl, fk)?;
        if o.rows > 0 {
            fk.validate = false;
            diags.push(orphan_warning(fk, &o));
            report.orphans.push(o);
        }
    }
    let mut emit = r.copts.emit.clone();
    emit.origin = r.compiled.sqlite.origin.clone();
    emit.target_version = r.copts.rewrite.target.version;
    emit.pack_digest = r.pack.digest();
    emit.bare = true;
    let set = crate::ir_to_sql(&pg2, &emit)?;
    let cons = set
        .files
        .get("03_constraints.sql")
        .cloned()
        .unwrap_or_default();
    report
        .applied
        .push(Applied::new("03_constraints.sql", &cons));
    apply_constraints(ctl, &mwm, &cons, finish, r.progress)
}

/// A foreign key whose child rows have no parent: loaded as they are, the
/// constraint left `NOT VALID`.
fn orphan_warning(fk: &pg::ForeignKey, o: &Orphans) -> Diagnostic {
    Diagnostic::warning(
        Stage::Load,
        "orphan-foreign-key-rows",
        format!(
            "foreign key {} on {} ({}): {} row(s) have no parent in {} (e.g. {}); loaded as they are, constraint left NOT VALID",
            fk.name,
            fk.table,
            fk.columns.join(", "),
            o.rows,
            fk.ref_table,
            o.examples.join(", ")
        ),
    )
    .with_help(format!(
        "fix or delete those rows, then run ALTER TABLE {} VALIDATE CONSTRAINT {}",
        quote_ident(&fk.table),
        quote_ident(&fk.name)
    ))
}

/// The reject file: every reject of this plan, resumed runs included.
fn report_rejects(
    r: &RunCtx<'_>,
    ctl: &mut postgres::Client,
    diags: &mut Diagnostics,
    report: &mut Report,
) -> Step<()> {
    if report.rejects == 0 {
        return Ok(());
    }
    let path = &r.opts.rejects_path;
    write_rejects(ctl, r.plan_digest, path)?;
    report.rejects_file = Some(path.display().to_string());
    diags.push(
        Diagnostic::warning(
            Stage::Load,
            "rows-rejected",
            format!(
                "{} row(s) did not convert and were not loaded; they are in {}",
                report.rejects,
                path.display()
            ),
        )
        .with_help("each line names the table, row id, column, reason and the original row"),
    );
    Ok(())
}

/// Runs `03_constraints.sql` and the run's completion record in one
/// transaction, a statement at a time so progress names the index or
/// constraint being built. A failure rolls it all back: the data stays.
fn apply_constraints(
    ctl: &mut postgres::Client,
    mwm: &str,
    cons: &str,
    finish: &str,
    progress: &dyn Progress,
) -> Step<()> {
    let failed = |e: &postgres::Error, what: &str| {
        Box::new(load_err(
            "constraints-failed",
            format!(
                "03_constraints.sql failed at `{what}` (the data is loaded; rerun to retry this step): {}",
                pg_error(e)
            ),
        ))
    };
    ctl.batch_execute(&format!("{mwm}\nBEGIN;"))
        .map_err(|e| failed(&e, "BEGIN"))?;
    for stmt in crate::emit::statements::statements(cons)
        .into_iter()
        .chain([finish])
    {
        let what = crate::emit::statements::label(stmt);
        progress.step(&what);
        if let Err(e) = ctl.batch_execute(stmt) {
            let _ = ctl.batch_execute("ROLLBACK");
            return Err(failed(&e, &what));
        }
    }
    ctl.batch_execute("COMMIT")
        .map_err(|e| failed(&e, "COMMIT"))
}

/// Stream every reject of the plan into the reject file (JSON lines),
/// without holding them all in memory.
fn write_rejects(ctl: &mut postgres::Client, plan: &str, path: &Path) -> Step<()> {
    use postgres::fallible_iterator::FallibleIterator;
    let unwritable = |e: std::io::Error| {
        Box::new(load_err(
            "rejects-unwritable",
            format!("cannot write {}: {e}", path.display()),
        ))
    };
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(unwritable)?);
    let mut rows = ctl
        .query_raw(
            "SELECT record::text FROM pgbridge.rejects WHERE plan = $1 ORDER BY table_name, row_number",
            [plan],
        )
        .map_err(pg_step("reading the rejects"))?;
    while let Some(r) = rows.next().map_err(pg_step("reading the rejects"))? {
        writeln!(out, "{}", r.get::<_, &str>(0)).map_err(unwritable)?;
    }
    out.flush().map_err(unwritable)
}

/// The load waves of a data-only run: parents before children. The
/// foreign keys that close a cycle (no order puts every parent first) are
/// parked: recorded in `pgbridge.parked_fks` and dropped in one transaction,
/// then added back, validated, once the data is in ([`restore_parked_fks`]);
/// a run killed in between adds them back when it is rerun.
fn data_only_waves(
    ctl: &mut postgres::Client,
    plans: &[TablePlan],
    todo: &[usize],
    namespace: &str,
    plan_digest: &str,
    diags: &mut Diagnostics,
) -> Step<Vec<Vec<usize>>> {
    let mut fks = plan::read_foreign_keys(ctl, namespace)
        .map_err(pg_step("reading the target's foreign keys"))?;
    loop {
        let cycle = match plan::fk_waves(plans, todo, &fks) {
            Ok(waves) => return Ok(waves),
            Err(cycle) => cycle,
        };
        let (park, keep): (Vec<_>, Vec<_>) = fks.into_iter().partition(|f| {
            f.child != f.parent && cycle.contains(&f.child) && cycle.contains(&f.parent)
        });
        if park.is_empty() {
            return Err(Box::new(load_err(
                "fk-cycle",
                format!(
                    "the foreign keys of {namespace} form a cycle through {}",
                    cycle.join(", ")
                ),
            )));
        }
        let mut sql = String::from("BEGIN;\n");
        for f in &park {
            sql.push_str(&format!(
                "INSERT INTO pgbridge.parked_fks VALUES ({}, {}, {}, {}) ON CONFLICT DO NOTHING;\n\
                 ALTER TABLE {}.{} DROP CONSTRAINT {};\n",
                quote_literal(plan_digest),
                quote_literal(&f.child),
                quote_literal(&f.name),
                quote_literal(&f.def),
                quote_ident(namespace),
                quote_ident(&f.child),
                quote_ident(&f.name)
            ));
        }
        sql.push_str("COMMIT;");
        ctl.batch_execute(&sql)
            .map_err(pg_step("setting aside the foreign keys of a cycle"))?;
        let names: Vec<String> = park
            .iter()
            .map(|f| format!("{}.{}", f.child, f.name))
            .collect();
        diags.push(Diagnostic::note(
            Stage::Load,
            "fk-cycle-parked",
            format!(
                "the foreign keys {} close a cycle between {}: no load order puts every parent row first, so they are dropped for the load and added back, validated, after it",
                names.join(", "),
                cycle.join(", ")
            ),
        ));
        fks = keep;
    }
}

/// Add back the foreign keys [`data_only_waves`] parked (this run's or an
/// interrupted one's), validated, and forget them, in one transaction.
fn restore_parked_fks(ctl: &mut postgres::Client, namespace: &str, plan_digest: &str) -> Step<()> {
    let parked: Vec<(String, String, String)> = ctl
        .query(
            "SELECT table_name, name, def FROM pgbridge.parked_fks WHERE plan = $1 ORDER BY 1, 2",
            &[&plan_digest],
        )
        .map_err(pg_step("reading the parked foreign keys"))?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    if parked.is_empty() {
        return Ok(());
    }
    let mut sql = String::from("BEGIN;\n");
    for (table, name, def) in &parked {
        // `def` is PostgreSQL's own text of the constraint (pg_get_constraintdef).
        sql.push_str(&format!(
            "ALTER TABLE {}.{} ADD CONSTRAINT {} {def};\n",
            quote_ident(namespace),
            quote_ident(table),
            quote_ident(name)
        ));
    }
    sql.push_str(&format!(
        "DELETE FROM pgbridge.parked_fks WHERE plan = {};\nCOMMIT;",
        quote_literal(plan_digest)
    ));
    ctl.batch_execute(&sql).map_err(|e| {
        Box::new(
            load_err(
                "fk-restore-failed",
                format!(
                    "adding back the foreign keys set aside for the load failed (the data is loaded; they are recorded in pgbridge.parked_fks): {}",
                    pg_error(&e)
                ),
            )
            .with_help("fix the rows the error names, then run the same command again: it adds them back"),
        )
    })
}

/// Resuming: when the source may have changed since the interrupted run
/// read it (its fingerprint differs, or was never recorded), the tables that
/// run loaded could hold rows the source no longer has. Empty them and
/// forget them, so this run loads them again from its own snapshot and the
/// target ends equal to the source as this run read it.
fn reload_if_source_changed(
    ctl: &mut postgres::Client,
    plans: &[TablePlan],
    namespace: &str,
    plan_digest: &str,
    fingerprint: &str,
    diags: &mut Diagnostics,
) -> Step<()> {
    let stored: Option<String> = ctl
        .query_one(
            "SELECT source_fingerprint FROM pgbridge.runs WHERE plan = $1",
            &[&plan_digest],
        )
        .map_err(pg_step("reading the run state"))?
        .get(0);
    if stored.as_deref() == Some(fingerprint) {
        return Ok(());
    }
    let loaded: Vec<String> = ctl
        .query(
            "SELECT table_name FROM pgbridge.tables WHERE plan = $1 ORDER BY table_name",
            &[&plan_digest],
        )
        .map_err(pg_step("reading the progress"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let targets: Vec<String> = plans
        .iter()
        .filter(|p| loaded.contains(&p.target))
        .map(|p| p.qualified(namespace))
        .collect();
    if targets.is_empty() {
        return Ok(());
    }
    ctl.batch_execute(&format!(
        "BEGIN; TRUNCATE {}; DELETE FROM pgbridge.tables WHERE plan = {p}; \
         DELETE FROM pgbridge.rejects WHERE plan = {p}; COMMIT;",
        targets.join(", "),
        p = quote_literal(plan_digest)
    ))
    .map_err(pg_step("emptying the tables an earlier run loaded"))?;
    diags.push(Diagnostic::note(
        Stage::Load,
        "source-changed-reloading",
        format!(
            "the source may have changed since the interrupted run read it (its size or modification time differs): the {} table(s) that run loaded are loaded again",
            targets.len()
        ),
    ));
    Ok(())
}

/// `setval` for every sequence owned by a column of `p` (data-only).
fn sequence_resets(ctl: &mut postgres::Client, namespace: &str, p: &TablePlan) -> Step<String> {
    let qualified = p.qualified(namespace);
    let rows = ctl
        .query(
            "SELECT a.attname::text, pg_get_serial_sequence($1, a.attname) \
             FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped",
            &[&qualified],
        )
        .map_err(pg_step("reading sequences"))?;
    let mut sql = String::new();
    for r in rows {
        let col: String = r.get(0);
        let seq: Option<String> = r.get(1);
        if let Some(seq) = seq {
            sql.push_str(&format!(
                "SELECT setval({}, m) FROM (SELECT max({}) AS m FROM {}) s WHERE m IS NOT NULL;\n",
                quote_literal(&seq),
                quote_ident(&col),
                qualified
            ));
        }
    }
    Ok(sql)
}

/// Child rows whose key has no parent row (MATCH SIMPLE: rows with a NULL
/// in the key are not checked).
fn orphans(ctl: &mut postgres::Client, fk: &pg::ForeignKey) -> Step<Orphans> {
    let cond: Vec<String> = fk
        .columns
        .iter()
        .zip(&fk.ref_columns)
        .map(|(c, r)| format!("p.{} = c.{}", quote_ident(r), quote_ident(c)))
        .collect();
    let not_null: Vec<String> = fk
        .columns
        .iter()
        .map(|c| format!("c.{} IS NOT NULL", quote_ident(c)))
        .collect();
    let key: Vec<String> = fk
        .columns
        .iter()
        .map(|c| format!("c.{}::text", quote_ident(c)))
        .collect();
    let from = format!(
        "FROM {} c WHERE {} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {})",
        quote_ident(&fk.table),
        not_null.join(" AND "),
        quote_ident(&fk.ref_table),
        cond.join(" AND ")
    );
    let n: i64 = ctl
        .query_one(&format!("SELECT count(*) {from}"), &[])
        .map_err(pg_step("counting orphan rows"))?
        .get(0);
    let mut examples = Vec::new();
    if n > 0 {
        let rows = ctl
            .query(
                &format!("SELECT concat_ws(', ', {}) {from} LIMIT 5", key.join(", ")),
                &[],
            )
            .map_err(pg_step("listing orphan rows"))?;
        examples = rows.iter().map(|r| r.get::<_, String>(0)).collect();
    }
    Ok(Orphans {
        constraint: fk.name.clone(),
        table: fk.table.clone(),
        columns: fk.columns.clone(),
        ref_table: fk.ref_table.clone(),
        rows: n,
        examples,
    })
}

/// The plan `--dry-run` shows: from the IR alone, no catalog.
fn dry_plan(src: &crate::ir::sqlite::Schema, pg: &pg::Schema) -> Vec<TablePlan> {
    pg.tables
        .iter()
        .filter_map(|t| {
            let st = src.tables.iter().find(|s| s.name == t.source_name)?;
            Some(TablePlan {
                source: st.name.clone(),
                target: t.name.clone(),
                columns: t
                    .columns
                    .iter()
                    .filter(|c| c.generated.is_none())
                    .map(|c| plan::ColumnPlan {
                        source: c.source_name.clone(),
                        target: c.name.clone(),
                        converter: c.converter,
                        wire: Wire::from_sql_type(&c.pg_type)
                            .unwrap_or(Wire::Text { max_chars: None }),
                        pg_type: c.pg_type.clone(),
                    })
                    .collect(),
                rowid: None,
                rows: st.rows,
            })
        })
        .collect()
}

struct LoadCtx<'a> {
    connect: Connector<'a>,
    namespace: &'a str,
    plan: &'a str,
    on_error: OnError,
    freeze: bool,
    jobs: usize,
    progress: &'a dyn Progress,
}

enum Msg {
    Start {
        table: usize,
        target: String,
        source: String,
        prepare: Option<String>,
        copy: String,
    },
    Chunk(Vec<u8>),
    End {
        rows: u64,
        rejects: Rejects,
    },
    Abort,
}

enum Event {
    Done {
        table: usize,
        rows: u64,
        rejects: u64,
        seconds: f64,
    },
    Failed {
        table: Option<usize>,
        error: String,
    },
}

/// A SQLite value as JSON for the reject file: `{"integer": 1}`,
/// `{"real": "0.1"}`, `{"text": "…"}` (or `{"text_hex": …}` when not UTF-8
/// or holding NUL), `{"blob_hex": "…"}`, `null`.
fn value_json(v: ValueRef<'_>) -> serde_json::Value {
    use serde_json::json;
    match v {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(i) => json!({ "integer": i }),
        ValueRef::Real(r) => json!({ "real": float_text(r) }),
        ValueRef::Text(b) => match std::str::from_utf8(b) {
            Ok(s) if !b.contains(&0) => json!({ "text": s }),
            _ => json!({ "text_hex": hex::encode(b) }),
        },
        ValueRef::Blob(b) => json!({ "blob_hex": hex::encode(b) }),
    }
}

/// A short rendering of a value for an error message.
pub(crate) fn preview(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(r) => float_text(r),
        ValueRef::Text(b) => {
            let p = crate::diag::cut_chars(&String::from_utf8_lossy(b), 60).replace('\0', "\\0");
            format!("text {p:?}")
        }
        ValueRef::Blob(b) => {
            let shown = &b[..b.len().min(24)];
            format!(
                "blob x'{}'{} ({} bytes)",
                hex::encode(shown),
                if b.len() > 24 { "…" } else { "" },
                b.len()
            )
        }
    }
}

struct Slot {
    k: usize,
    sent: u64,
    row_number: u64,
    rejects: Rejects,
}

/// Rejected rows kept in memory at most (per table); more spill to a file.
const REJECTS_IN_MEMORY: usize = 10_000;

/// A table's rejected rows, `(row number, JSON record)`: in memory up to
/// [`REJECTS_IN_MEMORY`], then in an anonymous temp file (one
/// `row_number \t json` line each — serde_json escapes every newline and
/// tab), so memory stays bounded however many rows are rejected.
#[derive(Default)]
struct Rejects {
    count: u64,
    mem: Vec<(i64, String)>,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl Rejects {
    fn push(&mut self, n: i64, rec: String) -> std::io::Result<()> {
        self.count += 1;
        if self.file.is_none() && self.mem.len() < REJECTS_IN_MEMORY {
            self.mem.push((n, rec));
            return Ok(());
        }
        let file = match self.file.as_mut() {
            Some(f) => f,
            None => {
                let mut f = std::io::BufWriter::new(tempfile::tempfile()?);
                for (n, r) in self.mem.drain(..) {
                    writeln!(f, "{n}\t{r}")?;
                }
                self.file.insert(f)
            }
        };
        writeln!(file, "{n}\t{rec}")
    }

    /// Hand every reject over in batches of at most [`REJECTS_IN_MEMORY`].
    fn drain(
        self,
        mut each: impl FnMut(Vec<i64>, Vec<String>) -> Result<(), String>,
    ) -> Result<(), String> {
        let Some(w) = self.file else {
            if self.mem.is_empty() {
                return Ok(());
            }
            let (n, r) = self.mem.into_iter().unzip();
            return each(n, r);
        };
        use std::io::{BufRead, Seek};
        let mut f = w.into_inner().map_err(|e| e.to_string())?;
        f.seek(std::io::SeekFrom::Start(0))
            .map_err(|e| e.to_string())?;
        let (mut nums, mut recs) = (Vec::new(), Vec::new());
        for line in std::io::BufReader::new(f).lines() {
            let line = line.map_err(|e| e.to_string())?;
            let (n, r) = line.split_once('\t').ok_or("corrupt reject spill file")?;
            nums.push(n.parse::<i64>().map_err(|e| e.to_string())?);
            recs.push(r.to_string());
            if nums.len() == REJECTS_IN_MEMORY {
                each(std::mem::take(&mut nums), std::mem::take(&mut recs))?;
            }
        }
        if nums.is_empty() {
            return Ok(());
        }
        each(nums, recs)
    }
}

/// Load `todo` (indexes into `plans`) in parallel; returns (plan index,
/// rows, rejects, seconds) per table.
fn load_tables(
    sconn: &rusqlite::Connection,
    plans: &[TablePlan],
    todo: &[usize],
    ctx: &LoadCtx<'_>,
) -> Step<Vec<(usize, u64, u64, f64)>> {
    if todo.is_empty() {
        return Ok(Vec::new());
    }
    let workers = ctx.jobs.min(todo.len());
    std::thread::scope(|s| {
        let (ev_tx, ev_rx) = mpsc::channel::<Event>();
        let mut senders = Vec::new();
        for _ in 0..workers {
            let (tx, rx) = mpsc::sync_channel::<Msg>(QUEUE);
            senders.push(tx);
            let ev = ev_tx.clone();
            s.spawn(move || worker(ctx, rx, ev));
        }
        drop(ev_tx);
        let result = read_all(sconn, plans, todo, ctx, &senders, &ev_rx);
        if result.is_err() {
            for tx in &senders {
                let _ = tx.send(Msg::Abort);
            }
        }
        drop(senders);
        let mut done = match result {
            Ok(d) => d,
            Err(e) => return Err(e),
        };
        while done.len() < todo.len() {
            match ev_rx.recv() {
                Ok(Event::Done {
                    table,
                    rows,
                    rejects,
                    seconds,
                }) => {
                    ctx.progress
                        .table_done(&plans[table].target, rows, rejects, seconds);
                    done.push((table, rows, rejects, seconds));
                }
                Ok(Event::Failed { table, error }) => {
                    return Err(worker_failed(sconn, plans, table, error));
                }
                Err(_) => {
                    return Err(Box::new(load_err(
                        "loader-failed",
                        "a loader connection ended before its table was committed",
                    )));
                }
            }
        }
        Ok(done)
    })
}

fn worker_failed(
    sconn: &rusqlite::Connection,
    plans: &[TablePlan],
    table: Option<usize>,
    error: String,
) -> Box<Diagnostic> {
    if connection_lost(&error) {
        let during = match table {
            Some(t) => format!("while loading table {}", plans[t].target),
            None => "while loading".to_string(),
        };
        return Box::new(lost_connection(&during, &error));
    }
    Box::new(match table {
        Some(t) => {
            // PostgreSQL names the failing tuple as `COPY t, line N`.
            let at = regex::Regex::new(r"COPY [^\]]*?, line (\d+)")
                .ok()
                .and_then(|re| re.captures(&error))
                .and_then(|c| c[1].parse::<u64>().ok())
                .and_then(|n| locate_line(sconn, &plans[t], n).map(|r| (n, r)));
            let place = match at {
                Some((n, r)) => format!(" at {r} of {} (COPY line {n})", plans[t].source),
                None => String::new(),
            };
            load_err(
                "copy-failed",
                format!("loading table {} failed{place}: {error}", plans[t].target),
            )
            .with_help("tables already loaded are kept and recorded; rerun to resume")
        }
        None => load_err("target-unreachable", error),
    })
}

/// The source row behind binary COPY tuple `line` (counted from 1): the
/// snapshot re-scanned, skipping rows the converters refuse, as the load did.
fn locate_line(sconn: &rusqlite::Connection, plan: &TablePlan, line: u64) -> Option<String> {
    let mut stmt = sconn.prepare(&plan.select_sql()).ok()?;
    let mut rows = stmt.query([]).ok()?;
    let off = usize::from(plan.rowid.is_some());
    let (mut sent, mut row_number) = (0u64, 0u64);
    let mut scratch = Vec::new();
    while let Ok(Some(row)) = rows.next() {
        row_number += 1;
        scratch.clear();
        let converts = plan.columns.iter().enumerate().all(|(i, c)| {
            row.get_ref(i + off).ok().is_some_and(|v| {
                convert::convert(c.converter, v)
                    .and_then(|x| wire::encode(&mut scratch, &x, c.wire))
                    .is_ok()
            })
        });
        if converts {
            sent += 1;
            if sent == line {
                return Some(match off {
                    1 => format!("rowid {}", row.get::<_, i64>(0).ok()?),
                    _ => format!("row {row_number}"),
                });
            }
        }
    }
    None
}

/// The reader: one SQLite connection (one snapshot), round-robin over the
/// tables being loaded, converting and encoding chunks for the workers.
fn read_all(
    sconn: &rusqlite::Connection,
    plans: &[TablePlan],
    todo: &[usize],
    ctx: &LoadCtx<'_>,
    senders: &[mpsc::SyncSender<Msg>],
    events: &mpsc::Receiver<Event>,
) -> Step<Vec<(usize, u64, u64, f64)>> {
    let serr = |e: rusqlite::Error| {
        Box::new(load_err(
            "source-unreadable",
            format!("reading the source: {e}"),
        ))
    };
    let mut stmts = Vec::with_capacity(todo.len());
    for &i in todo {
        stmts.push(sconn.prepare(&plans[i].select_sql()).map_err(serr)?);
    }
    let mut cursors = Vec::with_capacity(todo.len());
    for s in stmts.iter_mut() {
        cursors.push(Some(s.query([]).map_err(serr)?));
    }
    let mut done = Vec::new();
    let mut next = 0usize;
    let mut slots: Vec<Option<Slot>> = (0..senders.len()).map(|_| None).collect();
    let send = |w: usize, m: Msg| -> Step<()> {
        senders[w].send(m).map_err(|_| {
            Box::new(load_err(
                "loader-failed",
                "a loader connection stopped unexpectedly",
            ))
        })
    };
    loop {
        for (w, slot) in slots.iter_mut().enumerate() {
            if slot.is_none() && next < todo.len() {
                let p = &plans[todo[next]];
                ctx.progress.table_start(&p.target, p.rows);
                send(w, start_msg(todo[next], p, ctx))?;
                *slot = Some(Slot {
                    k: next,
                    sent: 0,
                    row_number: 0,
                    rejects: Rejects::default(),
                });
                next += 1;
            }
        }
        if slots.iter().all(Option::is_none) {
            break;
        }
        for (w, entry) in slots.iter_mut().enumerate() {
            let Some(slot) = entry.as_mut() else {
                continue;
            };
            let plan = &plans[todo[slot.k]];
            let Some(rows) = cursors[slot.k].as_mut() else {
                continue;
            };
            let mut buf = Vec::with_capacity(CHUNK + (CHUNK >> 3));
            let finished = fill(rows, plan, &mut buf, slot, ctx.on_error)?;
            if !buf.is_empty() {
                send(w, Msg::Chunk(buf))?;
            }
            ctx.progress.table_rows(&plan.target, slot.sent);
            if finished {
                let rejects = std::mem::take(&mut slot.rejects);
                send(
                    w,
                    Msg::End {
                        rows: slot.sent,
                        rejects,
                    },
                )?;
                cursors[slot.k] = None;
                *entry = None;
            }
            take_events(events, sconn, plans, ctx, &mut done)?;
        }
    }
    Ok(done)
}

/// What a worker is told when it takes table `table` (plan `p`).
fn start_msg(table: usize, p: &TablePlan, ctx: &LoadCtx<'_>) -> Msg {
    Msg::Start {
        table,
        target: p.target.clone(),
        source: p.source.clone(),
        prepare: ctx
            .freeze
            .then(|| format!("TRUNCATE {}", p.qualified(ctx.namespace))),
        copy: p.copy_sql(ctx.namespace, ctx.freeze),
    }
}

/// The workers' news so far: a table done (into `done`, and progress), or
/// a worker failed (the run's error).
fn take_events(
    events: &mpsc::Receiver<Event>,
    sconn: &rusqlite::Connection,
    plans: &[TablePlan],
    ctx: &LoadCtx<'_>,
    done: &mut Vec<(usize, u64, u64, f64)>,
) -> Step<()> {
    while let Ok(ev) = events.try_recv() {
        match ev {
            Event::Done {
                table,
                rows,
                rejects,
                seconds,
            } => {
                ctx.progress
                    .table_done(&plans[table].target, rows, rejects, seconds);
                done.push((table, rows, rejects, seconds));
            }
            Event::Failed { table, error } => {
                return Err(worker_failed(sconn, plans, table, error));
            }
        }
    }
    Ok(())
}

/// Convert and encode rows of one table into `buf` until it holds a chunk;
/// true when the table is exhausted.
fn fill(
    rows: &mut rusqlite::Rows<'_>,
    plan: &TablePlan,
    buf: &mut Vec<u8>,
    slot: &mut Slot,
    on_error: OnError,
) -> Step<bool> {
    let off = usize::from(plan.rowid.is_some());
    let ncols = plan.columns.len() as u16;
    let serr = |e: rusqlite::Error| {
        Box::new(load_err(
            "source-unreadable",
            format!("reading table {}: {e}", plan.source),
        ))
    };
    while buf.len() < CHUNK {
        let Some(row) = rows.next().map_err(serr)? else {
            return Ok(true);
        };
        slot.row_number += 1;
        let start = buf.len();
        wire::begin_row(buf, ncols);
        let mut failure = None;
        for (i, c) in plan.columns.iter().enumerate() {
            let v = row.get_ref(i + off).map_err(serr)?;
            let r = convert::convert(c.converter, v).and_then(|x| wire::encode(buf, &x, c.wire));
            if let Err(e) = r {
                failure = Some((i, v, e));
                break;
            }
        }
        let Some((i, v, e)) = failure else {
            slot.sent += 1;
            continue;
        };
        buf.truncate(start);
        let rowid: Option<i64> = if off == 1 { row.get(0).ok() } else { None };
        let col = &plan.columns[i];
        let at = match rowid {
            Some(r) => format!("rowid {r}"),
            None => format!("row {}", slot.row_number),
        };
        match on_error {
            OnError::Stop => {
                return Err(Box::new(
                    load_err(
                        "value-not-convertible",
                        format!(
                            "table {}, {at}, column {}: cannot convert {} to {} ({} converter): {}",
                            plan.source,
                            col.source,
                            preview(v),
                            col.pg_type,
                            col.converter.name(),
                            e.reason
                        ),
                    )
                    .with_help(
                        "fix the value in SQLite, or rerun with --on-error reject to load the other rows and \
                         write this one to the reject file; tables already loaded are kept and the rerun resumes",
                    ),
                ));
            }
            OnError::Reject => {
                let mut full = serde_json::Map::new();
                for (j, c) in plan.columns.iter().enumerate() {
                    let x = row.get_ref(j + off).map_err(serr)?;
                    full.insert(c.source.clone(), value_json(x));
                }
                let rec = serde_json::json!({
                    "table": plan.source,
                    "rowid": rowid,
                    "row_number": slot.row_number,
                    "column": col.source,
                    "storage_class": class(v),
                    "converter": col.converter.name(),
                    "target_type": col.pg_type,
                    "reason": e.reason,
                    "value": value_json(v),
                    "row": full,
                });
                slot.rejects
                    .push(slot.row_number as i64, rec.to_string())
                    .map_err(|e| {
                        Box::new(load_err(
                            "rejects-unwritable",
                            format!("cannot spill rejected rows to a temp file: {e}"),
                        ))
                    })?;
            }
        }
    }
    Ok(false)
}

/// A worker: one connection, one table per transaction.
fn worker(ctx: &LoadCtx<'_>, rx: mpsc::Receiver<Msg>, ev: mpsc::Sender<Event>) {
    let drain = |rx: &mpsc::Receiver<Msg>| while rx.recv().is_ok() {};
    let mut client = match (ctx.connect)() {
        Ok(c) => c,
        Err(e) => {
            let _ = ev.send(Event::Failed {
                table: None,
                error: e.message,
            });
            drain(&rx);
            return;
        }
    };
    if let Err(e) =
        // pgbridge's triggers do not act on rows as SQLite's left them
        // (a --data-only load into a schema that has them).
        client.batch_execute(
            "SET synchronous_commit = off; SET client_min_messages = warning; \
             SET pgbridge.skip_triggers = on;",
        )
    {
        let _ = ev.send(Event::Failed {
            table: None,
            error: pg_error(&e),
        });
        drain(&rx);
        return;
    }
    while let Ok(msg) = rx.recv() {
        let Msg::Start {
            table,
            target,
            source,
            prepare,
            copy,
        } = msg
        else {
            continue;
        };
        match load_one(
            &mut client,
            &rx,
            ctx,
            table,
            &target,
            &source,
            prepare.as_deref(),
            &copy,
        ) {
            Ok(Some(e)) => {
                let _ = ev.send(e);
            }
            Ok(None) => {
                drain(&rx);
                return;
            }
            Err(error) => {
                let _ = ev.send(Event::Failed {
                    table: Some(table),
                    error,
                });
                drain(&rx);
                return;
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn load_one(
    client: &mut postgres::Client,
    rx: &mpsc::Receiver<Msg>,
    ctx: &LoadCtx<'_>,
    table: usize,
    target: &str,
    source: &str,
    prepare: Option<&str>,
    copy: &str,
) -> Result<Option<Event>, String> {
    let t = Instant::now();
    let e = |e: postgres::Error| pg_error(&e);
    let mut tx = client.transaction().map_err(e)?;
    if let Some(sql) = prepare {
        tx.batch_execute(sql).map_err(e)?;
    }
    let mut w = tx.copy_in(copy).map_err(e)?;
    w.write_all(wire::HEADER).map_err(|e| e.to_string())?;
    loop {
        match rx.recv() {
            Ok(Msg::Chunk(b)) => w.write_all(&b).map_err(|e| e.to_string())?,
            Ok(Msg::End { rows, rejects }) => {
                w.write_all(wire::TRAILER).map_err(|e| e.to_string())?;
                let n = w.finish().map_err(e)?;
                if n != rows {
                    return Err(format!("COPY wrote {n} rows where {rows} were sent"));
                }
                let nrej = rejects.count as i64;
                tx.execute(
                    "DELETE FROM pgbridge.rejects WHERE plan = $1 AND table_name = $2",
                    &[&ctx.plan, &target],
                )
                .map_err(e)?;
                rejects.drain(|nums, recs| {
                    tx.execute(
                        "INSERT INTO pgbridge.rejects (plan, table_name, row_number, record) \
                         SELECT $1, $2, n, r::jsonb FROM unnest($3::bigint[], $4::text[]) AS u(n, r)",
                        &[&ctx.plan, &target, &nums, &recs],
                    )
                    .map(|_| ())
                    .map_err(e)
                })?;
                let secs = t.elapsed().as_secs_f64();
                tx.execute(
                    "INSERT INTO pgbridge.tables (plan, table_name, source_table, rows, rejects, seconds) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (plan, table_name) DO UPDATE \
                     SET rows = EXCLUDED.rows, rejects = EXCLUDED.rejects, seconds = EXCLUDED.seconds, loaded_at = now()",
                    &[&ctx.plan, &target, &source, &(rows as i64), &nrej, &secs],
                )
                .map_err(e)?;
                tx.commit().map_err(e)?;
                return Ok(Some(Event::Done {
                    table,
                    rows,
                    rejects: nrej as u64,
                    seconds: secs,
                }));
            }
            Ok(Msg::Abort) | Err(_) => return Ok(None),
            Ok(Msg::Start { .. }) => return Err("protocol error: a table started twice".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_beyond_the_memory_limit_spill_and_come_back_in_order_in_batches() {
        let mut r = Rejects::default();
        let n = REJECTS_IN_MEMORY * 2 + 5;
        for i in 0..n {
            r.push(i as i64, format!("{{\"i\":{i},\"s\":\"a\\tb\"}}"))
                .unwrap();
        }
        assert!(r.file.is_some() && r.mem.is_empty());
        assert_eq!(r.count, n as u64);
        let mut sizes = Vec::new();
        let mut next = 0i64;
        r.drain(|nums, recs| {
            sizes.push(nums.len());
            for (k, rec) in nums.iter().zip(&recs) {
                assert_eq!(*k, next);
                assert_eq!(rec, &format!("{{\"i\":{next},\"s\":\"a\\tb\"}}"));
                next += 1;
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(sizes, vec![REJECTS_IN_MEMORY, REJECTS_IN_MEMORY, 5]);
    }

    #[test]
    fn few_rejects_stay_in_memory_and_drain_once() {
        let mut r = Rejects::default();
        r.push(3, "{}".into()).unwrap();
        assert!(r.file.is_none());
        let mut calls = 0;
        r.drain(|n, _| {
            calls += 1;
            assert_eq!(n, vec![3]);
            Ok(())
        })
        .unwrap();
        assert_eq!(calls, 1);
    }
}
