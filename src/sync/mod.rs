//! sync: keeps PostgreSQL in step with a live SQLite source after
//! `migrate --live`, by applying capture's change log ([`crate::capture`]).
//!
//! Input: the source (capture installed), the target (a complete
//! `migrate --live` run: its recorded plan converts the values, its
//! snapshot's log position is where sync starts). Output: batches applied
//! ([`apply`]), the watermark and totals in `pgbridge.sync` ([`state`]),
//! the log compacted up to the watermark read back from PostgreSQL.
//!
//! The loop: read a batch in one short read transaction, apply it in one
//! PostgreSQL transaction, repeat until the log is drained; with `follow`,
//! wait for the next commit (`PRAGMA data_version`, polled every few
//! milliseconds, with a one-second tick) until told to stop. When the
//! source's schema moves (`PRAGMA schema_version`), a change to a captured
//! table, or anything the target does not hold ([`schema`]), stops sync
//! with a diagnostic naming it, or is applied with
//! `--apply-schema-changes`. Sync never writes the source but to compact the
//! log, and never checkpoints it.
pub mod apply;
pub mod cutover;
mod key;
mod rebuild;
pub mod reverse;
pub mod rollback;
pub mod schema;
pub mod state;

use crate::diag::{Diagnostic, Stage};
use crate::load::Connector;
use apply::{Batch, TableApply, Written};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How a sync runs.
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// The target schema (default: the connection's current schema).
    pub namespace: Option<String>,
    /// Keep applying until stopped, instead of until the log is drained.
    pub follow: bool,
    /// SQLite loadable extensions for reading the source.
    pub extensions: Vec<PathBuf>,
    /// The rules migrate compiled with: with them sync compares the live
    /// source's compiled schema with the one the target records whenever
    /// the source's schema moves ([`schema`]); without, only capture's
    /// columns and triggers.
    pub rules: Option<schema::Rules>,
    /// `--apply-schema-changes additive`: apply an additive schema change
    /// and go on ([`schema`]), instead of stopping (needs `rules`).
    pub apply_schema_changes: Option<schema::Additive>,
}

/// How many applied log entries between compactions of the source's log.
const COMPACT_EVERY: i64 = 10_000;

/// What a sync did (`--report`).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SyncReport {
    pub status: String,
    pub target_schema: String,
    pub position_from: i64,
    pub position_to: i64,
    pub batches: u64,
    /// Log entries applied (one per captured row change).
    pub changes: u64,
    pub rows_upserted: u64,
    pub rows_deleted: u64,
    /// From SQLite commit to PostgreSQL commit, per change, milliseconds.
    pub lag_ms_p50: Option<f64>,
    pub lag_ms_p99: Option<f64>,
    pub seconds: f64,
}

fn err(code: &str, msg: impl Into<String>) -> Box<Diagnostic> {
    Box::new(Diagnostic::error(Stage::Load, code, msg))
}

fn pg(what: &'static str) -> impl Fn(postgres::Error) -> Box<Diagnostic> {
    move |e| {
        err(
            "target-error",
            format!("{what}: {}", crate::load::pg_error_text(&e)),
        )
    }
}

fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> Box<Diagnostic> + '_ {
    move |e| {
        err(
            "source-unreadable",
            format!("reading {}: {e}", path.display()),
        )
    }
}

/// Everything a sync needs, set up once.
struct Ready {
    client: postgres::Client,
    conn: rusqlite::Connection,
    namespace: String,
    tables: Vec<TableApply>,
    parents_first: Vec<usize>,
    position: i64,
    /// Each captured table's columns, to name a schema change.
    columns: BTreeMap<String, Vec<String>>,
    /// The hash of the source's schema the target is known to match.
    schema_hash: Option<String>,
}

/// The target's schema: the option, else the connection's current one.
fn namespace(client: &mut postgres::Client, opts: &SyncOptions) -> Result<String, Box<Diagnostic>> {
    match &opts.namespace {
        Some(n) => Ok(n.clone()),
        None => Ok(client
            .query_one("SELECT current_schema()::text", &[])
            .map_err(pg("reading the current schema"))?
            .get(0)),
    }
}

fn prepare(
    source: &Path,
    connect: Connector<'_>,
    opts: &SyncOptions,
) -> Result<Ready, Box<Diagnostic>> {
    let mut client = connect().map_err(|e| err(&e.code, e.message))?;
    let ns = namespace(&mut client, opts)?;
    let shown = source.display().to_string();
    let st = match state::open(&mut client, &ns, &shown).map_err(pg("reading sync state"))? {
        Ok(s) => s,
        Err(state::NotReady::NoRun) => {
            return Err(Box::new(
                Diagnostic::error(
                    Stage::Load,
                    "sync-no-live-run",
                    format!("no complete migrate run into schema {ns}: nothing to keep in step"),
                )
                .with_help(format!(
                    "run `pgbridge migrate {shown} <target> --live` first"
                )),
            ));
        }
        Err(state::NotReady::NotLive) => {
            return Err(Box::new(
                Diagnostic::error(
                    Stage::Load,
                    "sync-not-live",
                    format!("the last migrate run into schema {ns} was not --live: its snapshot has no change-log position to start from"),
                )
                .with_help(format!("migrate again into an empty schema with `pgbridge migrate {shown} <target> --live`")),
            ));
        }
    };
    let recorded = crate::verify::recorded_plan(&mut client, &ns)?.map_err(|why| {
        err(
            "sync-no-plan",
            format!("{why}: sync converts with the plan the migrate run recorded"),
        )
    })?;
    let conn = open_source(source, opts)?;
    let _ = conn.busy_timeout(Duration::from_secs(5));
    let captured = crate::capture::captured_tables(&conn).map_err(|e| {
        Box::new(
            Diagnostic::error(
                Stage::Source,
                "sync-no-capture",
                format!("capture is not installed on {shown}: {e}"),
            )
            .with_help(format!(
                "`pgbridge migrate {shown} <target> --live` installs it"
            )),
        )
    })?;
    let generated = generated_columns(&mut client, &ns)?;
    let mut tables = Vec::new();
    let mut columns = BTreeMap::new();
    for crate::capture::Recorded {
        table: t,
        key,
        columns: cols,
    } in &captured
    {
        let Some(p) = recorded.0.iter().find(|p| &p.table.source == t) else {
            return Err(err(
                "sync-unknown-table",
                format!(
                    "table {} is captured but the migrate run did not load it",
                    crate::ident::escape_text(t)
                ),
            ));
        };
        let skip = generated.get(&p.table.name);
        let loaded = p
            .table
            .columns
            .iter()
            .filter(|c| !skip.is_some_and(|g| g.contains(&c.name)))
            .cloned()
            .collect();
        tables.push(TableApply::new(t, &p.table.name, loaded, key)?);
        columns.insert(t.clone(), cols.clone());
    }
    for p in &recorded.0 {
        if !captured.iter().any(|c| c.table == p.table.source) {
            return Err(Box::new(
                Diagnostic::error(
                    Stage::Source,
                    "sync-table-not-captured",
                    format!(
                        "table {} was migrated but is not captured: its changes would be lost",
                        crate::ident::escape_text(&p.table.source)
                    ),
                )
                .with_help(format!(
                    "`pgbridge capture install {shown}` with the rules the migrate run used"
                )),
            ));
        }
    }
    let parents_first = order(&mut client, &ns, &tables)?;
    let schema_hash =
        state::source_schema(&mut client, &ns).map_err(pg("reading the source's schema hash"))?;
    let ready_check = schema_changes(&conn, &columns).map_err(sqlite(source))?;
    // A table rebuilt with the same columns is repaired by the run itself.
    let rebuilt = rebuild::rebuilt(&conn, &columns).map_err(sqlite(source))?;
    if ready_check.len() > rebuilt.len() {
        let _ = state::event(
            &mut client,
            &ns,
            "schema-changed",
            serde_json::json!({"changes": ready_check, "position": st.position}),
        );
        if let Some(add) = &opts.apply_schema_changes {
            let recorded = &columns;
            return schema::follow(
                source,
                connect,
                opts,
                add,
                &mut client,
                &ns,
                recorded,
                &ready_check,
            );
        }
        return Err(schema_changed(source, &ready_check));
    }
    let setup: String = tables
        .iter()
        .enumerate()
        .map(|(i, t)| t.setup_sql(i, &ns))
        .collect();
    client
        .batch_execute(&setup)
        .map_err(pg("preparing the apply tables"))?;
    Ok(Ready {
        client,
        conn,
        namespace: ns,
        tables,
        parents_first,
        position: st.position,
        columns,
        schema_hash,
    })
}

/// PostgreSQL's generated columns per table of `ns`: it computes them.
fn generated_columns(
    client: &mut postgres::Client,
    ns: &str,
) -> Result<BTreeMap<String, BTreeSet<String>>, Box<Diagnostic>> {
    let rows = client
        .query(
            "SELECT c.relname::text, a.attname::text FROM pg_attribute a \
             JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND a.attgenerated <> '' AND a.attnum > 0 AND NOT a.attisdropped",
            &[&ns],
        )
        .map_err(pg("reading the target's generated columns"))?;
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in rows {
        out.entry(r.get(0)).or_default().insert(r.get(1));
    }
    Ok(out)
}

/// Tables in foreign-key order, parents first (a cycle: as captured; the
/// savepoint retry in [`apply::write`] covers what order cannot).
fn order(
    client: &mut postgres::Client,
    ns: &str,
    tables: &[TableApply],
) -> Result<Vec<usize>, Box<Diagnostic>> {
    let fks = crate::load::plan::read_foreign_keys(client, ns)
        .map_err(pg("reading the target's foreign keys"))?;
    let names: Vec<&str> = tables.iter().map(|t| t.target.as_str()).collect();
    let all: Vec<usize> = (0..tables.len()).collect();
    Ok(crate::load::plan::fk_waves_of(&names, &all, &fks)
        .map(|w| w.concat())
        .unwrap_or(all))
}

fn table_columns(conn: &rusqlite::Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?;
    let rows = st.query_map([table], |r| r.get(0))?;
    rows.collect()
}

/// The source, opened for reading while the application writes.
fn open_source(source: &Path, opts: &SyncOptions) -> Result<rusqlite::Connection, Box<Diagnostic>> {
    crate::source::live::open_live(source, &opts.extensions).map_err(|e| match e {
        crate::diag::Error::Diagnostic(d) => d,
        other => err("source-unreadable", other.to_string()),
    })
}

/// The names of the source's triggers.
fn triggers(conn: &rusqlite::Connection) -> rusqlite::Result<BTreeSet<String>> {
    let mut st = conn.prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger'")?;
    let rows = st.query_map([], |x| x.get(0))?;
    rows.collect()
}

fn schema_version(conn: &rusqlite::Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA schema_version", [], |r| r.get(0))
}

/// What changed in the captured tables since sync started: each change
/// named. A table rebuilt the 12-step way has lost capture's triggers.
fn schema_changes(
    conn: &rusqlite::Connection,
    columns: &BTreeMap<String, Vec<String>>,
) -> rusqlite::Result<Vec<String>> {
    let mut out = Vec::new();
    let present = triggers(conn)?;
    for (t, before) in columns {
        let shown = crate::ident::escape_text(t);
        let now = table_columns(conn, t)?;
        if now.is_empty() {
            out.push(format!("table {shown} was dropped"));
            continue;
        }
        if &now != before {
            out.push(format!(
                "table {shown} changed columns: ({}) → ({})",
                crate::ident::escape_text(&before.join(", ")),
                crate::ident::escape_text(&now.join(", "))
            ));
        }
        let missing: Vec<&str> = crate::capture::TRIGGER_KINDS
            .iter()
            .copied()
            .filter(|k| !present.contains(&crate::capture::trigger_name(k, t)))
            .collect();
        if !missing.is_empty() {
            out.push(format!(
                "table {shown} lost capture triggers ({}): rebuilt (new table, copy, drop, rename) or its triggers dropped; its changes since are not logged",
                missing.join(", ")
            ));
        }
    }
    Ok(out)
}

/// Crash testing: when the environment variable `PGBRIDGE_SYNC_FAILPOINT`
/// names `point` (`after-read`, `mid-apply`, `before-commit`,
/// `after-commit`, `schema-before-capture`), the process aborts there, as
/// `kill -9` would.
pub(crate) fn failpoint(point: &str) {
    static AT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if AT
        .get_or_init(|| std::env::var("PGBRIDGE_SYNC_FAILPOINT").ok())
        .as_deref()
        == Some(point)
    {
        std::process::abort();
    }
}

/// Julian day now (SQLite's `julianday('now')`).
fn julian_now() -> f64 {
    let s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    s / 86_400.0 + 2_440_587.5
}

/// A sorted sample's `q` quantile.
fn quantile(sorted: &[f32], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    Some(f64::from(sorted[i]))
}

/// Progress after each batch.
pub trait Observer {
    fn batch(&self, report: &SyncReport, lag_ms: Option<f64>);
}

/// Waits until the source commits (or `tick` passes, or `stop`).
fn wait_for_commit(conn: &rusqlite::Connection, stop: &AtomicBool) -> rusqlite::Result<()> {
    let v0: i64 = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(1) && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(5));
        let v: i64 = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        if v != v0 {
            break;
        }
    }
    Ok(())
}

/// Runs sync (see the module docs). `stop` ends a `follow` run after the
/// batch in hand; the report says what was applied either way.
pub fn sync(
    source: &Path,
    connect: Connector<'_>,
    opts: &SyncOptions,
    stop: &AtomicBool,
    observer: &dyn Observer,
) -> Result<SyncReport, Box<Diagnostic>> {
    let t0 = Instant::now();
    let mut r = prepare(source, connect, opts)?;
    if cut_over(&mut r)? {
        return Err(Box::new(
            Diagnostic::error(
                Stage::Load,
                "sync-after-cutover",
                format!(
                    "schema {} is cut over: PostgreSQL is the database of record, there is nothing to sync from SQLite",
                    r.namespace
                ),
            )
            .with_help(format!(
                "`pgbridge rollback {}` brings PostgreSQL's changes back and reopens SQLite",
                source.display()
            )),
        ));
    }
    let mut rep = SyncReport {
        status: "running".into(),
        target_schema: r.namespace.clone(),
        position_from: r.position,
        position_to: r.position,
        ..Default::default()
    };
    let mut lags: Vec<f32> = Vec::new();
    let mut compacted = r.position;
    let serr = sqlite(source);
    // The first round looks at the schema: a rebuilt table is repaired.
    let mut version = i64::MIN;
    let result = loop {
        if stop.load(Ordering::Relaxed) {
            break Ok("stopped");
        }
        let v = schema_version(&r.conn).map_err(&serr)?;
        if v != version {
            match schema_move(source, connect, opts, &mut r, &mut rep)? {
                SchemaMove::Unchanged => version = v,
                SchemaMove::Repaired => version = schema_version(&r.conn).map_err(&serr)?,
                SchemaMove::Followed(next) => {
                    r = *next;
                    rep.position_to = r.position;
                    version = schema_version(&r.conn).map_err(&serr)?;
                }
                SchemaMove::Stop(d) => break Err(d),
            }
        }
        let Some(b) = apply::read(&r.conn, &r.tables, r.position)? else {
            if !opts.follow {
                break Ok("caught-up");
            }
            if cut_over(&mut r)? {
                break Ok("cut-over");
            }
            wait_for_commit(&r.conn, stop).map_err(&serr)?;
            continue;
        };
        failpoint("after-read");
        let lag = match apply_batch(&mut r, &b, &mut rep, &mut lags) {
            Err(d) if d.code == "sync-cutover-running" => {
                wait_out_cutover(&mut r, stop)?;
                continue;
            }
            other => other?,
        };
        failpoint("after-commit");
        observer.batch(&rep, lag);
        if r.position - compacted >= COMPACT_EVERY {
            compacted = compact(source, &mut r)?;
        }
    };
    if r.position > compacted {
        compact(source, &mut r)?;
    }
    lags.sort_by(f32::total_cmp);
    rep.lag_ms_p50 = quantile(&lags, 0.5);
    rep.lag_ms_p99 = quantile(&lags, 0.99);
    rep.seconds = t0.elapsed().as_secs_f64();
    let status = result?;
    rep.status = status.into();
    let _ = state::event(
        &mut r.client,
        &r.namespace,
        status,
        serde_json::to_value(&rep).unwrap_or_default(),
    );
    Ok(rep)
}

/// What a move of the source's schema (`PRAGMA schema_version`) means.
enum SchemaMove {
    /// Nothing the target or capture must follow.
    Unchanged,
    /// Tables rebuilt with the same declaration, repaired ([`rebuild`]).
    Repaired,
    /// A schema change applied by `--apply-schema-changes`: sync set up
    /// again.
    Followed(Box<Ready>),
    /// A schema change sync stops on.
    Stop(Box<Diagnostic>),
}

/// Compares the source with what capture recorded (columns, triggers) and
/// with the schema the target records ([`schema::declared_changes`]):
/// a rebuild that changed nothing else is repaired; any other change is
/// followed with `--apply-schema-changes`, else sync stops on it.
fn schema_move(
    source: &Path,
    connect: Connector<'_>,
    opts: &SyncOptions,
    r: &mut Ready,
    rep: &mut SyncReport,
) -> Result<SchemaMove, Box<Diagnostic>> {
    let serr = sqlite(source);
    let mut changes = schema_changes(&r.conn, &r.columns).map_err(&serr)?;
    let rebuilt = rebuild::rebuilt(&r.conn, &r.columns).map_err(&serr)?;
    let declared = schema::declared_changes(source, opts, r)?;
    if declared.is_empty() && changes.len() == rebuilt.len() {
        if rebuilt.is_empty() {
            return Ok(SchemaMove::Unchanged);
        }
        rebuild::repair(source, opts, r, &rebuilt, rep)?;
        return Ok(SchemaMove::Repaired);
    }
    changes.extend(declared);
    let _ = state::event(
        &mut r.client,
        &r.namespace,
        "schema-changed",
        serde_json::json!({"changes": changes, "position": r.position}),
    );
    let Some(add) = &opts.apply_schema_changes else {
        return Ok(SchemaMove::Stop(schema_changed(source, &changes)));
    };
    let (client, ns) = (&mut r.client, &r.namespace);
    let next = schema::follow(source, connect, opts, add, client, ns, &r.columns, &changes)?;
    Ok(SchemaMove::Followed(Box::new(next)))
}

/// Waits while a cutover holds the target (it applies the last changes
/// itself), then reads the watermark it left.
fn wait_out_cutover(r: &mut Ready, stop: &AtomicBool) -> Result<(), Box<Diagnostic>> {
    let lock = apply::CUTOVER_LOCK;
    loop {
        let free: bool = r
            .client
            .query_one(
                &format!("SELECT pg_try_advisory_lock_shared({lock})"),
                &[&r.namespace],
            )
            .map_err(pg("waiting for the cutover"))?
            .get(0);
        if free {
            r.client
                .execute(
                    &format!("SELECT pg_advisory_unlock_shared({lock})"),
                    &[&r.namespace],
                )
                .map_err(pg("waiting for the cutover"))?;
            break;
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    r.position = state::read(&mut r.client, &r.namespace)
        .map_err(pg("reading the sync position"))?
        .map_or(r.position, |s| s.position);
    Ok(())
}

/// Whether the source is cut over: PostgreSQL records it and SQLite
/// carries the write block (a cutover that crashed between its two
/// commits has no block, and the next cutover undoes it).
fn cut_over(r: &mut Ready) -> Result<bool, Box<Diagnostic>> {
    let recorded = state::cutover(&mut r.client, &r.namespace)
        .map_err(pg("reading the cutover"))?
        .as_deref()
        == Some("cut-over");
    Ok(recorded
        && !crate::capture::block::blocked_tables(&r.conn)
            .map_err(|e| err("source-unreadable", e.to_string()))?
            .is_empty())
}

fn schema_changed(source: &Path, changes: &[String]) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error(
            Stage::Source,
            "sync-schema-changed",
            format!("the source's schema changed while syncing: {}", changes.join("; ")),
        )
        .with_help(format!(
            "sync stopped before applying anything past the change; `pgbridge sync {} <target> --apply-schema-changes additive` applies a change that only adds, else bring the target's schema along (`pgbridge diff`), then `pgbridge capture install {}` and `pgbridge verify` before syncing again",
            source.display(),
            source.display()
        )),
    )
}

/// Applies one batch; returns its newest change's lag (ms).
fn apply_batch(
    r: &mut Ready,
    b: &Batch,
    rep: &mut SyncReport,
    lags: &mut Vec<f32>,
) -> Result<Option<f64>, Box<Diagnostic>> {
    let written = apply::write(&mut r.client, &r.namespace, &r.tables, &r.parents_first, b)
        .map_err(|e| {
            Box::new(
                Diagnostic::error(
                    Stage::Load,
                    "sync-apply-failed",
                    format!(
                        "applying changes {}..{} failed, nothing of them was applied: {e}",
                        b.from + 1,
                        b.to
                    ),
                )
                .with_help("fix the cause and run sync again: it starts from the same position"),
            )
        })?;
    let a = match written {
        Written::Applied(a) => a,
        Written::CutoverRunning => {
            return Err(Box::new(
                Diagnostic::error(
                    Stage::Load,
                    "sync-cutover-running",
                    format!(
                        "a cutover of schema {} is running: it applies the last changes itself",
                        r.namespace
                    ),
                )
                .with_help("wait for `pgbridge cutover` to end; `pgbridge sync --status` shows where it stands"),
            ));
        }
        Written::Fenced => {
            return Err(Box::new(
                Diagnostic::error(
                    Stage::Load,
                    "sync-fenced",
                    format!(
                        "another sync moved the position of schema {} past {}: this one stops",
                        r.namespace, b.from
                    ),
                )
                .with_help(
                    "run one sync per target; `pgbridge sync --status` shows where it stands",
                ),
            ));
        }
    };
    let now = julian_now();
    let ms = |at: f64| ((now - at) * 86_400_000.0).max(0.0) as f32;
    lags.extend(b.written_at.iter().map(|&at| ms(at)));
    r.position = a.to;
    rep.position_to = a.to;
    rep.batches += 1;
    rep.changes += a.changes as u64;
    rep.rows_upserted += a.upserted as u64;
    rep.rows_deleted += a.deleted as u64;
    Ok(b.written_at.last().map(|&at| f64::from(ms(at))))
}

/// Compacts the source's log up to the watermark PostgreSQL holds.
fn compact(source: &Path, r: &mut Ready) -> Result<i64, Box<Diagnostic>> {
    let held = state::read(&mut r.client, &r.namespace)
        .map_err(pg("reading the sync position"))?
        .map_or(0, |s| s.position);
    crate::capture::compact(source, held).map_err(|e| match e {
        crate::diag::Error::Diagnostic(d) => d,
        other => err("capture-failed", other.to_string()),
    })?;
    Ok(held)
}

/// `sync --status`: where sync stands and what is waiting.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    pub target_schema: String,
    pub state: Option<state::State>,
    /// The newest log id on the source.
    pub source_position: i64,
    /// Log entries after the watermark.
    pub pending: i64,
    /// Seconds since the oldest pending change was committed on SQLite.
    pub lag_s: f64,
    /// Captured tables whose capture triggers are not all there.
    pub unhealthy: Vec<String>,
    pub captured_tables: usize,
}

pub fn status(
    source: &Path,
    connect: Connector<'_>,
    opts: &SyncOptions,
) -> Result<Status, Box<Diagnostic>> {
    let mut client = connect().map_err(|e| err(&e.code, e.message))?;
    let ns = namespace(&mut client, opts)?;
    let st = state::read(&mut client, &ns).map_err(pg("reading sync state"))?;
    let conn = open_source(source, opts)?;
    let serr = sqlite(source);
    let tx = conn.unchecked_transaction().map_err(&serr)?;
    let source_position = crate::capture::position(&tx).map_err(&serr)?;
    let captured = crate::capture::captured_tables(&tx).unwrap_or_default();
    let at = st.as_ref().map_or(0, |s| s.position);
    let (pending, oldest): (i64, Option<f64>) = tx
        .query_row(
            &format!(
                "SELECT count(*), min(at) FROM {} WHERE id > ?1",
                crate::load::plan::quote_ident_always(crate::capture::LOG)
            ),
            [at],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap_or((0, None));
    let present = triggers(&tx).map_err(&serr)?;
    let unhealthy = captured
        .iter()
        .filter(|c| {
            crate::capture::TRIGGER_KINDS
                .iter()
                .any(|k| !present.contains(&crate::capture::trigger_name(k, &c.table)))
        })
        .map(|c| c.table.clone())
        .collect();
    Ok(Status {
        target_schema: ns,
        state: st,
        source_position,
        pending,
        lag_s: oldest.map_or(0.0, |o| ((julian_now() - o) * 86_400.0).max(0.0)),
        unhealthy,
        captured_tables: captured.len(),
    })
}
