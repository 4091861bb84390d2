//! cutover: makes PostgreSQL the database of record, with the SQLite
//! writers frozen for as short a time as the last changes take.
//!
//! Input: a source under sync (capture installed, a `migrate --live` run
//! in the target). Output: PostgreSQL holding exactly the source's state
//! at the fence, proven; identity sequences past every id SQLite handed
//! out; reverse capture on PostgreSQL ([`super::reverse`]); a write block
//! on SQLite ([`crate::capture::block`]); the cutover in `pgbridge.cutover`
//! and the audit trail.
//!
//! Steps: (1) catch up, writers running. (2) Baseline: one SQLite read
//! snapshot is applied and then verified in full against PostgreSQL,
//! writers still running — the digest proof is taken at that snapshot's
//! position `P` — and what they wrote meanwhile is applied. (3) Freeze: `BEGIN IMMEDIATE` on a write connection
//! (writers wait on SQLite's lock); the fence is the log position that
//! transaction sees; drain to exactly the fence; every key logged in
//! `(P, fence]` is compared row by row on both sides. (4) One PostgreSQL
//! transaction sets the sequences, installs reverse capture and records
//! the cutover; it commits, then the SQLite transaction — which holds the
//! write block and the log's compaction — commits and the writers wake to
//! the block. A failure before the PostgreSQL commit rolls both back; one
//! between the commits undoes the PostgreSQL side; a crash there leaves a
//! recorded cutover without a block, which the next cutover undoes first.
//! A sync cannot apply meanwhile: the cutover holds an advisory lock every
//! batch checks ([`super::apply::CUTOVER_LOCK`]).
use super::apply::{self, CUTOVER_LOCK};
use super::{Ready, SyncOptions, SyncReport, pg, sqlite, state};
use crate::capture;
use crate::diag::{Diagnostic, Diagnostics, Stage};
use crate::ident::{quote_ident, quote_literal};
use crate::load::Connector;
use crate::progress::Progress;
use crate::rewrite::RulePack;
use std::path::Path;
use std::time::{Duration, Instant};

/// How a cutover runs.
#[derive(Debug, Clone)]
pub struct CutoverOptions {
    pub sync: SyncOptions,
    /// Abort (SQLite writable again) when the freeze would last longer.
    pub max_freeze: Duration,
    /// Verify every table inside the freeze, not the baseline plus the
    /// keys changed since it.
    pub full_verify: bool,
    /// The target as the write block's message names it (no password).
    pub target_shown: String,
    pub verify: crate::verify::VerifyOptions,
}

/// What a cutover did (`--report`).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CutoverReport {
    pub status: String,
    pub target_schema: String,
    /// The last log position: everything up to it is in PostgreSQL.
    pub fence: i64,
    /// Changes applied before the freeze (catch-up and baseline).
    pub changes_before_freeze: u64,
    /// The position the full verify before the freeze proved.
    pub baseline_position: Option<i64>,
    pub baseline_verify_s: f64,
    /// Changes drained inside the freeze.
    pub changes_in_freeze: u64,
    /// `touched` (keys changed since the baseline) or `full`.
    pub verify: String,
    /// Rows compared inside the freeze (touched keys), or tables (full).
    pub verified_in_freeze: u64,
    pub sequences_set: u64,
    /// From the write lock taken to the write block committed.
    pub freeze_ms: f64,
    pub seconds: f64,
}

/// How the cutover shows its progress: phases, and each batch applied.
pub struct Shown<'a> {
    pub progress: &'a dyn Progress,
    pub batches: &'a dyn super::Observer,
}

fn cut_err(code: &str, msg: impl Into<String>, help: &str) -> Box<Diagnostic> {
    Box::new(Diagnostic::error(Stage::Load, code, msg).with_help(help))
}

/// Runs the cutover (see the module docs).
pub fn cutover(
    source: &Path,
    connect: Connector<'_>,
    pack: &RulePack,
    opts: &CutoverOptions,
    observer: &Shown<'_>,
) -> Result<CutoverReport, Box<Diagnostic>> {
    let t0 = Instant::now();
    let mut r = super::prepare(source, connect, &opts.sync)?;
    let ns = r.namespace.clone();
    // A sync holds the lock shared for the length of one batch; another
    // cutover holds it for its whole run.
    let locked = r
        .client
        .batch_execute("SET lock_timeout = '30s'")
        .and_then(|()| {
            r.client
                .execute(&format!("SELECT pg_advisory_lock({CUTOVER_LOCK})"), &[&ns])
        })
        .and_then(|_| r.client.batch_execute("RESET lock_timeout"));
    if locked.is_err() {
        return Err(cut_err(
            "cutover-busy",
            format!("another cutover of schema {ns} has been running for 30 s or more"),
            "wait for it to end",
        ));
    }
    // Syncs may have applied since `prepare` read the watermark: from
    // here on, only this cutover applies.
    r.position = state::read(&mut r.client, &ns)
        .map_err(pg("reading the sync position"))?
        .map_or(r.position, |s| s.position);
    undo_unfinished(source, &mut r)?;
    let mut rep = CutoverReport {
        status: "running".into(),
        target_schema: ns.clone(),
        verify: if opts.full_verify { "full" } else { "touched" }.into(),
        ..Default::default()
    };
    let _ = state::event(&mut r.client, &ns, "cutover-start", serde_json::json!({}));
    let result = run(source, connect, pack, opts, observer, &mut r, &mut rep);
    rep.seconds = t0.elapsed().as_secs_f64();
    match result {
        Ok(()) => {
            rep.status = "cut-over".into();
            Ok(rep)
        }
        Err(d) => {
            let _ = state::event(
                &mut r.client,
                &ns,
                "cutover-aborted",
                serde_json::json!({"code": d.code, "message": d.message}),
            );
            Err(d)
        }
    }
}

fn run(
    source: &Path,
    connect: Connector<'_>,
    pack: &RulePack,
    opts: &CutoverOptions,
    observer: &Shown<'_>,
    r: &mut Ready,
    rep: &mut CutoverReport,
) -> Result<(), Box<Diagnostic>> {
    let mut sync_rep = SyncReport::default();
    observer.progress.phase("catching up with the source");
    // What capture cannot see (a new table, a changed NOT NULL) stops it.
    let declared = super::schema::declared_changes(source, &opts.sync, r)?;
    if !declared.is_empty() {
        return Err(super::schema_changed(source, &declared));
    }
    let rebuilt = super::rebuild::rebuilt(&r.conn, &r.columns).map_err(sqlite(source))?;
    if !rebuilt.is_empty() {
        super::rebuild::repair(source, &opts.sync, r, &rebuilt, &mut sync_rep)?;
    }
    drain(r, &mut sync_rep, observer)?;
    let baseline = if opts.full_verify {
        None
    } else {
        observer
            .progress
            .phase("verifying every table at one snapshot (writers still running)");
        let t = Instant::now();
        let p = baseline(source, connect, pack, opts, observer, r, &mut sync_rep)?;
        rep.baseline_verify_s = t.elapsed().as_secs_f64();
        Some(p)
    };
    rep.baseline_position = baseline;
    // What the writers did during the verify, applied before the freeze.
    drain(r, &mut sync_rep, observer)?;
    rep.changes_before_freeze = sync_rep.changes;
    observer.progress.phase("freezing SQLite writers");
    let w = capture::write_conn(source).map_err(|e| match e {
        crate::diag::Error::Diagnostic(d) => d,
        other => cut_err(
            "capture-failed",
            other.to_string(),
            "check the file's permissions",
        ),
    })?;
    let serr = sqlite(source);
    w.execute_batch("BEGIN IMMEDIATE").map_err(&serr)?;
    let frozen = Instant::now();
    let out = freeze(
        source, connect, pack, opts, observer, r, rep, &w, baseline, frozen,
    );
    if out.is_err() {
        let _ = w.execute_batch("ROLLBACK");
    }
    out
}

/// Applies batches until the log is drained.
fn drain(r: &mut Ready, rep: &mut SyncReport, observer: &Shown<'_>) -> Result<(), Box<Diagnostic>> {
    let mut lags = Vec::new();
    while let Some(b) = apply::read(&r.conn, &r.tables, r.position)? {
        let lag = super::apply_batch(r, &b, rep, &mut lags)?;
        observer.batches.batch(rep, lag);
    }
    Ok(())
}

/// One snapshot applied, then verified in full in that same snapshot:
/// its position is proven. Returns it.
fn baseline(
    source: &Path,
    connect: Connector<'_>,
    pack: &RulePack,
    opts: &CutoverOptions,
    observer: &Shown<'_>,
    r: &mut Ready,
    rep: &mut SyncReport,
) -> Result<i64, Box<Diagnostic>> {
    let snap = super::open_source(source, &opts.sync)?;
    let serr = sqlite(source);
    let tx = snap.unchecked_transaction().map_err(&serr)?;
    let at = capture::position(&tx).map_err(&serr)?;
    if let Some(b) = apply::read_in(&tx, &r.tables, r.position)? {
        super::apply_batch(r, &b, rep, &mut Vec::new())?;
    }
    verify_all(
        &tx,
        source,
        connect,
        pack,
        opts,
        observer,
        &format!("before the freeze, at log position {at}"),
    )?;
    Ok(r.position)
}

/// Inside the freeze: fence, drain, verify, switch.
#[allow(clippy::too_many_arguments)]
fn freeze(
    source: &Path,
    connect: Connector<'_>,
    pack: &RulePack,
    opts: &CutoverOptions,
    observer: &Shown<'_>,
    r: &mut Ready,
    rep: &mut CutoverReport,
    w: &rusqlite::Connection,
    baseline: Option<i64>,
    frozen: Instant,
) -> Result<(), Box<Diagnostic>> {
    let serr = sqlite(source);
    let over = |what: &str| -> Result<(), Box<Diagnostic>> {
        let ms = frozen.elapsed().as_secs_f64() * 1000.0;
        if frozen.elapsed() > opts.max_freeze {
            return Err(cut_err(
                "cutover-freeze-exceeded",
                format!(
                    "the freeze reached {ms:.0} ms ({what}), over --max-freeze {} ms: aborted",
                    opts.max_freeze.as_millis()
                ),
                "SQLite is writable again and PostgreSQL holds what was applied (a state SQLite had); run cutover at a quieter time or with a larger --max-freeze",
            ));
        }
        Ok(())
    };
    let fence = capture::position(w).map_err(&serr)?;
    rep.fence = fence;
    let mut changes = super::schema_changes(w, &r.columns).map_err(&serr)?;
    changes.extend(super::schema::declared_changes(source, &opts.sync, r)?);
    if !changes.is_empty() {
        return Err(super::schema_changed(source, &changes));
    }
    let mut sync_rep = SyncReport::default();
    observer.progress.phase("draining to the fence");
    drain(r, &mut sync_rep, observer)?;
    rep.changes_in_freeze = sync_rep.changes;
    if r.position != fence {
        return Err(cut_err(
            "cutover-fence-missed",
            format!(
                "drained to log position {}, but the fence is {fence}",
                r.position
            ),
            "nothing was switched; run cutover again",
        ));
    }
    over("drained")?;
    observer.progress.phase("verifying");
    rep.verified_in_freeze = match baseline {
        Some(p) => verify_touched(source, r, p, fence)?,
        None => verify_full(source, connect, pack, opts, observer, r)?,
    };
    over("verified")?;
    observer.progress.phase("switching");
    let sequences = sequences_sql(w, r).map_err(&serr)?;
    rep.sequences_set = sequences.1;
    let keyed = keyed(r);
    let sources: Vec<String> = r.tables.iter().map(|t| t.source.clone()).collect();
    let message = format!(
        "pgbridge: this database moved to PostgreSQL ({}, schema {}) by a cutover; write there. `pgbridge rollback` brings it back",
        opts.target_shown, r.namespace
    );
    w.execute_batch(&capture::block::block_sql(&sources, &message))
        .map_err(&serr)?;
    capture::compact_in(w, fence).map_err(&serr)?;
    let ns = r.namespace.clone();
    let mut tx = r.client.transaction().map_err(pg("starting the switch"))?;
    tx.batch_execute(&format!(
        "{}{}",
        sequences.0,
        super::reverse::install_sql(&ns, &keyed)
    ))
    .map_err(pg("setting sequences and starting reverse capture"))?;
    let freeze_ms = frozen.elapsed().as_secs_f64() * 1000.0;
    tx.execute(
        "INSERT INTO pgbridge.cutover (target_schema, source, fence, state, freeze_ms) \
         VALUES ($1, $2, $3, 'cut-over', $4) \
         ON CONFLICT (target_schema) DO UPDATE SET source = EXCLUDED.source, fence = EXCLUDED.fence, \
             state = 'cut-over', cut_at = now(), freeze_ms = EXCLUDED.freeze_ms, rolled_back_at = NULL",
        &[&ns, &source.display().to_string(), &fence, &freeze_ms],
    )
    .map_err(pg("recording the cutover"))?;
    over("switching")?;
    super::failpoint("cutover-before-commit");
    tx.commit().map_err(pg("committing the switch"))?;
    super::failpoint("cutover-between-commits");
    if let Err(e) = w.execute_batch("COMMIT") {
        let undo = undo_sql(&ns, &keyed);
        let _ = r.client.batch_execute(&undo);
        return Err(cut_err(
            "cutover-source-commit-failed",
            format!("committing the write block on SQLite failed: {e}"),
            "PostgreSQL's side was undone and SQLite stays writable; run cutover again",
        ));
    }
    rep.freeze_ms = frozen.elapsed().as_secs_f64() * 1000.0;
    let _ = state::event(
        &mut r.client,
        &ns,
        "cutover",
        serde_json::to_value(&*rep).unwrap_or_default(),
    );
    let _ = r.client.execute(
        "UPDATE pgbridge.cutover SET freeze_ms = $2 WHERE target_schema = $1",
        &[&ns, &rep.freeze_ms],
    );
    Ok(())
}

/// Every key logged in `(from, to]`, compared on both sides. Returns how
/// many rows were compared.
fn verify_touched(
    source: &Path,
    r: &mut Ready,
    from: i64,
    to: i64,
) -> Result<u64, Box<Diagnostic>> {
    let serr = sqlite(source);
    let tx = r.conn.unchecked_transaction().map_err(&serr)?;
    let keys = apply::logged_keys(&tx, &r.tables, from, to)?;
    let n = keys.values().map(|k| k.len() as u64).sum();
    let differing = apply::compare(&mut r.client, &r.namespace, &r.tables, &tx, &keys)?;
    drop(tx);
    if differing.is_empty() {
        return Ok(n);
    }
    let named: Vec<String> = differing
        .iter()
        .map(|d| {
            format!(
                "{}: {} row(s) differ or are missing, {} row(s) SQLite no longer has",
                crate::ident::escape_text(&r.tables[d.table].source),
                d.rows,
                d.extra
            )
        })
        .collect();
    Err(cut_err(
        "cutover-verify-failed",
        format!(
            "in the freeze, the rows changed since position {from} differ: {}",
            named.join("; ")
        ),
        "SQLite is writable again and nothing was switched; `pgbridge verify` shows the rows",
    ))
}

/// Every table verified in full, inside the freeze. Returns the tables.
fn verify_full(
    source: &Path,
    connect: Connector<'_>,
    pack: &RulePack,
    opts: &CutoverOptions,
    observer: &Shown<'_>,
    r: &mut Ready,
) -> Result<u64, Box<Diagnostic>> {
    let tx = r.conn.unchecked_transaction().map_err(sqlite(source))?;
    verify_all(&tx, source, connect, pack, opts, observer, "in the freeze")
}

/// Every table of `tx`'s snapshot verified against PostgreSQL; a
/// difference is an error naming the tables. Returns the tables.
fn verify_all(
    tx: &rusqlite::Connection,
    source: &Path,
    connect: Connector<'_>,
    pack: &RulePack,
    opts: &CutoverOptions,
    observer: &Shown<'_>,
    when: &str,
) -> Result<u64, Box<Diagnostic>> {
    let mut diags = Diagnostics::default();
    let v = crate::verify::verify_in(
        tx,
        source,
        connect,
        pack,
        &opts.verify,
        observer.progress,
        &mut diags,
    )?;
    let bad: Vec<String> = v
        .tables
        .iter()
        .filter(|t| !t.matches())
        .map(|t| t.named_difference())
        .collect();
    if !bad.is_empty() {
        return Err(cut_err(
            "cutover-verify-failed",
            format!(
                "{when}, PostgreSQL differs from SQLite in: {}",
                bad.join(", ")
            ),
            "nothing was switched and SQLite is writable; `pgbridge verify` shows the rows — fix the cause, then run cutover again",
        ));
    }
    Ok(v.tables.len() as u64)
}

/// Each table's name in the target and its key columns, for reverse capture.
fn keyed(r: &Ready) -> Vec<(String, Vec<String>)> {
    r.tables
        .iter()
        .map(|t| {
            (
                t.target.clone(),
                t.key_columns().iter().map(|k| k.to_string()).collect(),
            )
        })
        .collect()
}

/// `setval` for every sequence a loaded column owns: past the column's
/// largest value and past what SQLite's AUTOINCREMENT handed out
/// (`sqlite_sequence`, read in the freeze), so PostgreSQL never reuses an
/// id SQLite gave away. Returns the SQL and how many sequences.
fn sequences_sql(w: &rusqlite::Connection, r: &mut Ready) -> rusqlite::Result<(String, u64)> {
    let handed_out = autoincrement(w)?;
    let mut sql = String::new();
    let mut n = 0;
    for t in &r.tables {
        let qualified = t.qualified(&r.namespace);
        for c in t.columns() {
            let Ok(row) = r.client.query_one(
                "SELECT pg_get_serial_sequence($1, $2)",
                &[&qualified, &c.name],
            ) else {
                continue;
            };
            let Some(seq) = row.get::<_, Option<String>>(0) else {
                continue;
            };
            let floor = handed_out.get(&t.source).copied().unwrap_or(0);
            sql.push_str(&format!(
                "SELECT setval({}, m) FROM (SELECT greatest(max({}), {floor}) AS m FROM {qualified}) s WHERE m > 0;\n",
                quote_literal(&seq),
                quote_ident(&c.name),
            ));
            n += 1;
        }
    }
    Ok((sql, n))
}

/// `sqlite_sequence`: the largest id AUTOINCREMENT handed out, per table.
fn autoincrement(
    w: &rusqlite::Connection,
) -> rusqlite::Result<std::collections::BTreeMap<String, i64>> {
    let has: bool = w.query_row(
        "SELECT count(*) > 0 FROM sqlite_schema WHERE name = 'sqlite_sequence'",
        [],
        |r| r.get(0),
    )?;
    if !has {
        return Ok(Default::default());
    }
    let mut st = w.prepare("SELECT name, seq FROM sqlite_sequence")?;
    let rows = st.query_map([], |r| {
        Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0)))
    })?;
    rows.collect()
}

/// SQL that undoes a cutover's PostgreSQL side.
fn undo_sql(ns: &str, keyed: &[(String, Vec<String>)]) -> String {
    format!(
        "BEGIN;\n{}DELETE FROM pgbridge.cutover WHERE target_schema = {};\nCOMMIT;\n",
        super::reverse::remove_sql(ns, keyed),
        quote_literal(ns)
    )
}

/// A cutover recorded in PostgreSQL whose SQLite side never committed (a
/// crash between the two commits) is undone; a finished one is refused.
fn undo_unfinished(source: &Path, r: &mut Ready) -> Result<(), Box<Diagnostic>> {
    let ns = r.namespace.clone();
    let Some(st) = state::cutover(&mut r.client, &ns).map_err(pg("reading the cutover"))? else {
        return Ok(());
    };
    if st != "cut-over" {
        return Ok(());
    }
    let blocked = capture::block::blocked_tables(&r.conn).map_err(sqlite(source))?;
    if !blocked.is_empty() {
        return Err(cut_err(
            "cutover-done",
            format!("schema {ns} is already cut over: SQLite's writes are blocked"),
            "`pgbridge rollback` brings PostgreSQL's changes back to SQLite first",
        ));
    }
    let keyed = keyed(r);
    r.client
        .batch_execute(&undo_sql(&ns, &keyed))
        .map_err(pg("undoing an unfinished cutover"))?;
    let _ = state::event(
        &mut r.client,
        &ns,
        "cutover-undone",
        serde_json::json!({"why": "recorded in PostgreSQL but SQLite's write block never committed"}),
    );
    Ok(())
}
