//! rollback: after a cutover, brings PostgreSQL's changes back to SQLite
//! and makes SQLite the database of record again.
//!
//! Input: a cut-over source (capture and the write block on SQLite, reverse
//! capture on PostgreSQL, [`super::reverse`]); the plan the migrate run
//! recorded (each column's converter). Output: SQLite holding PostgreSQL's
//! rows for every key PostgreSQL changed, its write block lifted; on
//! PostgreSQL, reverse capture removed, a write block in its place, the
//! cutover marked `rolled-back`, sync's watermark at SQLite's new log
//! position, a `rollback` event in the audit trail.
//!
//! Steps: (1) learn each column's [`Shape`] from SQLite's values (SQLite is
//! blocked, they cannot change). (2) Freeze PostgreSQL's writers: one
//! repeatable-read transaction takes `LOCK TABLE … IN EXCLUSIVE MODE` on the
//! captured tables (readers go on; it waits for running writers, so its
//! snapshot, taken after the lock, holds every committed log entry) and
//! reads the distinct logged keys and each key's row: present means upsert,
//! absent means delete. (3) Every value goes through its converter's
//! inverse; an inexact one refuses the rollback, naming table, key, column
//! and loss, with nothing applied (unless losses are accepted: then the
//! nearest value, each listed). (4) One `BEGIN IMMEDIATE` SQLite
//! transaction drops the block, applies the rows with bound parameters and
//! reads the log position (capture logs the rollback's own writes); the
//! PostgreSQL side — capture removed, block on, state, watermark, event —
//! is written in the frozen transaction; an intent row naming the position
//! is committed apart; SQLite commits, then PostgreSQL.
//!
//! A crash between the two commits leaves SQLite rolled back and writable
//! and PostgreSQL as at the cutover, its writers free again; the intent
//! row says so, and the next rollback finishes the PostgreSQL side with the
//! recorded position, naming changes PostgreSQL took after the crash (they
//! are not in SQLite).
use super::apply::TableApply;
use super::{Ready, pg, reverse, sqlite, state};
use crate::capture;
use crate::diag::{Diagnostic, Stage};
use crate::ident::{escape_text, quote_ident};
use crate::load::Connector;
use crate::load::plan::quote_ident_always as sqlite_ident;
use crate::progress::Progress;
use crate::value::inverse::{self, Shape};
use rusqlite::types::{Value, ValueRef};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// How a rollback runs.
#[derive(Debug, Clone, Default)]
pub struct RollbackOptions {
    pub sync: super::SyncOptions,
    /// Apply the nearest value where the inverse is inexact (each listed)
    /// instead of refusing.
    pub accept_loss: bool,
}

/// One table's share of the rollback.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct TableCount {
    pub table: String,
    pub upserted: u64,
    pub deleted: u64,
}

/// A value the inverse could not restore exactly.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InexactValue {
    pub table: String,
    /// The key, as PostgreSQL's JSON of the key columns.
    pub key: String,
    pub column: String,
    pub loss: String,
    /// What was (or would be, with `--accept-loss`) written instead.
    pub nearest: Option<String>,
}

/// What a rollback did (`--report`).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RollbackReport {
    /// `rolled-back`, `finished` (an interrupted rollback completed) or `refused`.
    pub status: String,
    pub target_schema: String,
    /// Reverse log entries read (before collapsing to keys).
    pub changes: u64,
    pub tables: Vec<TableCount>,
    pub inexact: Vec<InexactValue>,
    /// SQLite's log position after the rollback: sync goes on from there.
    pub source_position: i64,
    /// From PostgreSQL's writers frozen to the commit.
    pub freeze_ms: f64,
    /// Changes PostgreSQL took after an interrupted rollback: not in SQLite.
    pub unreturned_changes: u64,
    pub seconds: f64,
}

/// How a rollback ended.
pub enum Outcome {
    Done(RollbackReport),
    /// Refused, nothing changed: why.
    Refused(Box<Diagnostic>, RollbackReport),
}

/// The intent a rollback commits between its SQLite and PostgreSQL commits.
const INTENT_SQL: &str = "\
CREATE TABLE IF NOT EXISTS pgbridge.rollback (
    target_schema text PRIMARY KEY,
    cut_at timestamptz NOT NULL,
    source_position bigint NOT NULL,
    log_upto bigint NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
";

fn refusal(code: &str, msg: impl Into<String>, help: impl Into<String>) -> Box<Diagnostic> {
    Box::new(Diagnostic::error(Stage::Load, code, msg).with_help(help))
}

/// One table's rows as PostgreSQL has them, in SQLite's values.
#[derive(Default)]
struct TableRows {
    /// Every loaded column's value, in `columns()` order.
    upserts: Vec<Vec<Value>>,
    /// The key columns' values, in key order.
    deletes: Vec<Vec<Value>>,
}

/// Runs the rollback (see the module docs).
pub fn rollback(
    source: &Path,
    connect: Connector<'_>,
    opts: &RollbackOptions,
    progress: &dyn Progress,
) -> Result<Outcome, Box<Diagnostic>> {
    let t0 = Instant::now();
    let mut r = super::prepare(source, connect, &opts.sync)?;
    let ns = r.namespace.clone();
    r.client
        .batch_execute(INTENT_SQL)
        .map_err(pg("preparing the rollback state"))?;
    let mut rep = RollbackReport {
        status: "refused".into(),
        target_schema: ns.clone(),
        ..Default::default()
    };
    let shown = source.display().to_string();
    let cut = r
        .client
        .query_opt(
            "SELECT state, cut_at::text FROM pgbridge.cutover WHERE target_schema = $1",
            &[&ns],
        )
        .map_err(pg("reading the cutover"))?;
    let Some((st, cut_at)) = cut.map(|row| (row.get::<_, String>(0), row.get::<_, String>(1)))
    else {
        return Ok(Outcome::Refused(
            refusal(
                "rollback-not-cut-over",
                format!("schema {ns} was never cut over: SQLite is the database of record"),
                format!("`pgbridge sync {shown} <target>` keeps PostgreSQL in step"),
            ),
            rep,
        ));
    };
    if st != "cut-over" {
        return Ok(Outcome::Refused(
            refusal(
                "rollback-not-cut-over",
                format!("schema {ns} is {st}: SQLite is already the database of record"),
                format!(
                    "`pgbridge sync {shown} <target>` keeps PostgreSQL in step; `pgbridge cutover` moves again"
                ),
            ),
            rep,
        ));
    }
    let blocked = capture::block::blocked_tables(&r.conn).map_err(sqlite(source))?;
    if blocked.is_empty() {
        return finish_interrupted(&mut r, &cut_at, rep, &shown, t0);
    }
    let shapes = learn_shapes(&r, progress)?;
    progress.phase("freezing PostgreSQL writers");
    let mut tx = r
        .client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .start()
        .map_err(pg("starting the freeze"))?;
    tx.batch_execute(&format!(
        "{}\n{}",
        inverse::SESSION,
        lock_sql(&ns, &r.tables)
    ))
    .map_err(pg("locking the captured tables"))?;
    let frozen = Instant::now();
    let upto: i64 = tx
        .query_one(
            "SELECT coalesce(max(id), 0) FROM pgbridge.reverse_log WHERE target_schema = $1",
            &[&ns],
        )
        .map_err(pg("reading the reverse log"))?
        .get(0);
    rep.changes = tx
        .query_one(
            "SELECT count(*) FROM pgbridge.reverse_log WHERE target_schema = $1",
            &[&ns],
        )
        .map_err(pg("reading the reverse log"))?
        .get::<_, i64>(0) as u64;
    progress.phase("reading PostgreSQL's changes");
    let mut rows = BTreeMap::new();
    let mut refused = false;
    for (i, t) in r.tables.iter().enumerate() {
        let out = read_table(&mut tx, &ns, t, &shapes[i], opts.accept_loss, &mut rep)?;
        refused |= out.1;
        rows.insert(i, out.0);
    }
    if refused {
        let _ = tx.rollback();
        let named: Vec<String> = rep
            .inexact
            .iter()
            .take(5)
            .map(|x| {
                format!(
                    "table {}, key {}, column {}: {}",
                    escape_text(&x.table),
                    escape_text(&x.key),
                    escape_text(&x.column),
                    x.loss
                )
            })
            .collect();
        let more = rep.inexact.len().saturating_sub(named.len());
        return Ok(Outcome::Refused(
            refusal(
                "rollback-inexact",
                format!(
                    "{} value(s) cannot go back to SQLite exactly: {}{}; nothing was applied",
                    rep.inexact.len(),
                    named.join("; "),
                    if more > 0 {
                        format!(" (and {more} more, in --report)")
                    } else {
                        String::new()
                    }
                ),
                format!(
                    "fix the values in PostgreSQL, or `pgbridge rollback {shown} <target> --accept-loss` writes the nearest value of each (listed in --report)"
                ),
            ),
            rep,
        ));
    }
    progress.phase("applying to SQLite");
    let w = capture::write_conn(source).map_err(|e| match e {
        crate::diag::Error::Diagnostic(d) => d,
        other => refusal(
            "capture-failed",
            other.to_string(),
            "check the file's permissions",
        ),
    })?;
    let serr = sqlite(source);
    w.execute_batch("BEGIN IMMEDIATE").map_err(&serr)?;
    let applied = apply_sqlite(&w, &r.tables, &r.parents_first, &rows);
    let position = match applied.and_then(|()| capture::position(&w).map_err(&serr)) {
        Ok(p) => p,
        Err(d) => {
            let _ = w.execute_batch("ROLLBACK");
            return Err(d);
        }
    };
    rep.source_position = position;
    let message = format!(
        "pgbridge: this database moved back to SQLite ({shown}) by a rollback; write there. `pgbridge cutover` moves it again"
    );
    let finish = finish(&mut tx, &ns, &r.tables, position, &message)
        .and_then(|()| intent(connect, &ns, &cut_at, position, upto));
    if let Err(e) = finish {
        let _ = w.execute_batch("ROLLBACK");
        return Err(e);
    }
    rep.status = "rolled-back".into();
    rep.freeze_ms = frozen.elapsed().as_secs_f64() * 1000.0;
    let _ = state::event(
        &mut tx,
        &ns,
        "rollback",
        serde_json::to_value(&rep).unwrap_or_default(),
    );
    if let Err(e) = w.execute_batch("COMMIT") {
        let _ = w.execute_batch("ROLLBACK");
        let _ = tx.rollback();
        return Err(refusal(
            "rollback-source-commit-failed",
            format!("committing the rollback on SQLite failed, nothing was applied: {e}"),
            format!("run `pgbridge rollback {shown} <target>` again"),
        ));
    }
    super::failpoint("rollback-between-commits");
    tx.commit().map_err(|e| {
        refusal(
            "rollback-target-commit-failed",
            format!(
                "SQLite holds PostgreSQL's changes and is writable again, but committing PostgreSQL's side failed: {}",
                crate::load::pg_error_text(&e)
            ),
            format!("run `pgbridge rollback {shown} <target>` again: it finishes PostgreSQL's side"),
        )
    })?;
    rep.freeze_ms = frozen.elapsed().as_secs_f64() * 1000.0;
    // Matched by the cutover's time, a leftover intent is harmless.
    let _ = r.client.execute(
        "DELETE FROM pgbridge.rollback WHERE target_schema = $1",
        &[&ns],
    );
    rep.seconds = t0.elapsed().as_secs_f64();
    Ok(Outcome::Done(rep))
}

/// `LOCK TABLE` on every captured table: writers wait, readers go on.
fn lock_sql(ns: &str, tables: &[TableApply]) -> String {
    let names: Vec<String> = tables.iter().map(|t| t.qualified(ns)).collect();
    if names.is_empty() {
        return String::new();
    }
    format!("LOCK TABLE {} IN EXCLUSIVE MODE;", names.join(", "))
}

/// Whether the inverse of `conv` reads the column's shape.
fn needs_shape(conv: crate::ir::pg::Converter) -> bool {
    use crate::ir::pg::Converter as C;
    !matches!(
        conv,
        C::Text
            | C::UuidBlob
            | C::IsoDate
            | C::EpochSeconds
            | C::EpochMillis
            | C::EpochMicros
            | C::Float32Vector
            | C::Float32Array
            | C::GeopackageGeometry
            | C::SpatialiteGeometry
    )
}

/// Every column's shape, per table, from SQLite's values.
fn learn_shapes(r: &Ready, progress: &dyn Progress) -> Result<Vec<Vec<Shape>>, Box<Diagnostic>> {
    progress.phase("learning how SQLite writes each column");
    let e = |e: rusqlite::Error| {
        refusal(
            "source-unreadable",
            format!("reading the source's values: {e}"),
            "check the file",
        )
    };
    let mut out = Vec::new();
    for t in &r.tables {
        let mut shapes = Vec::new();
        for c in t.columns() {
            if !needs_shape(c.converter) {
                shapes.push(Shape::default());
                continue;
            }
            let mut st = r
                .conn
                .prepare(&format!(
                    "SELECT {} FROM {}",
                    sqlite_ident(&c.source),
                    sqlite_ident(&t.source)
                ))
                .map_err(e)?;
            let values: Vec<Value> = st
                .query_map([], |row| row.get::<_, Value>(0))
                .map_err(e)?
                .collect::<Result<_, _>>()
                .map_err(e)?;
            shapes.push(Shape::learn(c.converter, values.iter().map(ValueRef::from)));
        }
        out.push(shapes);
    }
    Ok(out)
}

/// Table `t`'s logged keys and their rows in the frozen snapshot, through
/// the inverse. Returns the rows and whether a value refuses the rollback.
fn read_table(
    tx: &mut postgres::Transaction<'_>,
    ns: &str,
    t: &TableApply,
    shapes: &[Shape],
    accept_loss: bool,
    rep: &mut RollbackReport,
) -> Result<(TableRows, bool), Box<Diagnostic>> {
    let cols = t.columns();
    let keys = t.key_columns();
    let qualified = t.qualified(ns);
    let row_cols: Vec<String> = cols
        .iter()
        .map(|c| format!("t.{}::text", quote_ident(&c.name)))
        .collect();
    let key_cols: Vec<String> = keys
        .iter()
        .map(|k| format!("k.{}::text", quote_ident(k)))
        .collect();
    let on: Vec<String> = keys
        .iter()
        .map(|k| format!("t.{0} = k.{0}", quote_ident(k)))
        .collect();
    let sql = format!(
        "SELECT l.key::text, t.ctid IS NOT NULL, {row} FROM \
         (SELECT DISTINCT key FROM pgbridge.reverse_log WHERE target_schema = $1 AND tbl = $2) AS l \
         CROSS JOIN LATERAL jsonb_populate_record(NULL::{qualified}, l.key) AS k \
         LEFT JOIN {qualified} AS t ON {on} ORDER BY 1",
        row = row_cols
            .iter()
            .chain(&key_cols)
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
        on = on.join(" AND "),
    );
    let found = tx
        .query(&sql, &[&ns, &t.target])
        .map_err(pg("reading PostgreSQL's changed rows"))?;
    let key_at: Vec<usize> = keys
        .iter()
        .map(|k| cols.iter().position(|c| &c.name == k).unwrap_or(0))
        .collect();
    let mut out = TableRows::default();
    let mut refused = false;
    let mut count = TableCount {
        table: t.source.clone(),
        ..Default::default()
    };
    for row in &found {
        let key: String = row.get(0);
        let present: bool = row.get(1);
        let mut one = |at: usize, col: usize| -> Value {
            let c = &cols[col];
            let text: Option<String> = row.get(at);
            match inverse::inverse(c.converter, text.as_deref(), &shapes[col]) {
                Ok(v) => v,
                Err(x) => {
                    let usable = accept_loss && x.nearest.is_some();
                    refused |= !usable;
                    rep.inexact.push(InexactValue {
                        table: t.source.clone(),
                        key: key.clone(),
                        column: c.source.clone(),
                        loss: x.loss.to_string(),
                        nearest: x
                            .nearest
                            .as_ref()
                            .map(|v| crate::load::preview_value(ValueRef::from(v))),
                    });
                    x.nearest.unwrap_or(Value::Null)
                }
            }
        };
        if present {
            out.upserts
                .push((0..cols.len()).map(|i| one(2 + i, i)).collect());
            count.upserted += 1;
        } else {
            out.deletes.push(
                key_at
                    .iter()
                    .enumerate()
                    .map(|(n, &i)| one(2 + cols.len() + n, i))
                    .collect(),
            );
            count.deleted += 1;
        }
    }
    if count.upserted + count.deleted > 0 {
        rep.tables.push(count);
    }
    Ok((out, refused))
}

/// Inside the caller's SQLite transaction: the block dropped, then the
/// deletes (children first) and the upserts (parents first).
fn apply_sqlite(
    w: &rusqlite::Connection,
    tables: &[TableApply],
    parents_first: &[usize],
    rows: &BTreeMap<usize, TableRows>,
) -> Result<(), Box<Diagnostic>> {
    let e = |t: &TableApply| {
        let name = escape_text(&t.source).into_owned();
        move |e: rusqlite::Error| {
            refusal(
                "rollback-apply-failed",
                format!("writing table {name} on SQLite failed, nothing was applied: {e}"),
                "fix the cause (the SQLite error names it) and run rollback again",
            )
        }
    };
    let sources: Vec<String> = tables.iter().map(|t| t.source.clone()).collect();
    w.execute_batch(&capture::block::unblock_sql(&sources))
        .map_err(|e| {
            refusal(
                "rollback-apply-failed",
                format!("lifting the write block on SQLite failed, nothing was applied: {e}"),
                "fix the cause (the SQLite error names it) and run rollback again",
            )
        })?;
    for &i in parents_first.iter().rev() {
        let t = &tables[i];
        let Some(tr) = rows.get(&i).filter(|tr| !tr.deletes.is_empty()) else {
            continue;
        };
        let mut st = w.prepare(&delete_sql(t)).map_err(e(t))?;
        for k in &tr.deletes {
            st.execute(rusqlite::params_from_iter(k)).map_err(e(t))?;
        }
    }
    for &i in parents_first {
        let t = &tables[i];
        let Some(tr) = rows.get(&i).filter(|tr| !tr.upserts.is_empty()) else {
            continue;
        };
        let mut st = w.prepare(&upsert_sql(t)).map_err(e(t))?;
        for v in &tr.upserts {
            st.execute(rusqlite::params_from_iter(v)).map_err(e(t))?;
        }
    }
    Ok(())
}

/// The SQLite key column names of `t`, in key order.
fn source_keys(t: &TableApply) -> Vec<String> {
    t.key_columns()
        .iter()
        .filter_map(|k| t.columns().iter().find(|c| &c.name == k))
        .map(|c| c.source.clone())
        .collect()
}

/// `INSERT … ON CONFLICT (key) DO UPDATE` of one row of `t` (SQLite).
pub fn upsert_sql(t: &TableApply) -> String {
    let cols = t.columns();
    let keys = source_keys(t);
    let list: Vec<String> = cols.iter().map(|c| sqlite_ident(&c.source)).collect();
    let params: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    let set: Vec<String> = cols
        .iter()
        .filter(|c| !keys.contains(&c.source))
        .map(|c| format!("{0} = excluded.{0}", sqlite_ident(&c.source)))
        .collect();
    let action = if set.is_empty() {
        "NOTHING".to_string()
    } else {
        format!("UPDATE SET {}", set.join(", "))
    };
    format!(
        "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO {action}",
        sqlite_ident(&t.source),
        list.join(", "),
        params.join(", "),
        keys.iter()
            .map(|k| sqlite_ident(k))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// `DELETE` of one key of `t` (SQLite).
pub fn delete_sql(t: &TableApply) -> String {
    let on: Vec<String> = source_keys(t)
        .iter()
        .enumerate()
        .map(|(n, k)| format!("{} IS ?{}", sqlite_ident(k), n + 1))
        .collect();
    format!(
        "DELETE FROM {} WHERE {}",
        sqlite_ident(&t.source),
        on.join(" AND ")
    )
}

fn keyed(tables: &[TableApply]) -> Vec<(String, Vec<String>)> {
    tables
        .iter()
        .map(|t| {
            (
                t.target.clone(),
                t.key_columns().iter().map(|k| k.to_string()).collect(),
            )
        })
        .collect()
}

/// PostgreSQL's side, in the caller's transaction: reverse capture gone,
/// the write block on, the cutover `rolled-back`, the watermark at SQLite's
/// `position`.
fn finish(
    tx: &mut impl postgres::GenericClient,
    ns: &str,
    tables: &[TableApply],
    position: i64,
    message: &str,
) -> Result<(), Box<Diagnostic>> {
    let keyed = keyed(tables);
    tx.batch_execute(&format!(
        "{}{}",
        reverse::remove_sql(ns, &keyed),
        reverse::block_sql(ns, &keyed, message)
    ))
    .map_err(pg("removing reverse capture and blocking writes"))?;
    tx.execute(
        "UPDATE pgbridge.cutover SET state = 'rolled-back', rolled_back_at = now() WHERE target_schema = $1",
        &[&ns],
    )
    .map_err(pg("recording the rollback"))?;
    tx.execute(
        "UPDATE pgbridge.sync SET position = $2 WHERE target_schema = $1",
        &[&ns, &position],
    )
    .map_err(pg("moving the sync position"))?;
    Ok(())
}

/// Commits, on a connection of its own, that SQLite is about to hold the
/// rollback at `position` (the frozen transaction holds the table locks).
fn intent(
    connect: Connector<'_>,
    ns: &str,
    cut_at: &str,
    position: i64,
    upto: i64,
) -> Result<(), Box<Diagnostic>> {
    let mut c = connect().map_err(|e| refusal(&e.code, e.message, "check the connection"))?;
    c.execute(
        "INSERT INTO pgbridge.rollback (target_schema, cut_at, source_position, log_upto) \
         VALUES ($1, $2::text::timestamptz, $3, $4) \
         ON CONFLICT (target_schema) DO UPDATE SET cut_at = EXCLUDED.cut_at, \
             source_position = EXCLUDED.source_position, log_upto = EXCLUDED.log_upto, at = now()",
        &[&ns, &cut_at, &position, &upto],
    )
    .map_err(pg("recording the rollback intent"))?;
    Ok(())
}

/// SQLite carries no block while PostgreSQL says `cut-over`: a rollback
/// crashed between its commits (its intent, for this cutover, says so) —
/// finish PostgreSQL's side — or a cutover never committed its SQLite side.
fn finish_interrupted(
    r: &mut Ready,
    cut_at: &str,
    mut rep: RollbackReport,
    shown: &str,
    t0: Instant,
) -> Result<Outcome, Box<Diagnostic>> {
    let ns = r.namespace.clone();
    let found = r
        .client
        .query_opt(
            "SELECT source_position, log_upto FROM pgbridge.rollback \
             WHERE target_schema = $1 AND cut_at = $2::text::timestamptz",
            &[&ns, &cut_at],
        )
        .map_err(pg("reading the rollback intent"))?;
    let Some((position, upto)) = found.map(|row| (row.get::<_, i64>(0), row.get::<_, i64>(1)))
    else {
        return Ok(Outcome::Refused(
            refusal(
                "rollback-cutover-unfinished",
                format!(
                    "schema {ns} is recorded as cut over, but SQLite carries no write block: the cutover never committed its SQLite side"
                ),
                format!(
                    "`pgbridge cutover {shown} <target>` undoes the unfinished cutover first (then cuts over again)"
                ),
            ),
            rep,
        ));
    };
    let mut tx = r
        .client
        .transaction()
        .map_err(pg("finishing the rollback"))?;
    rep.unreturned_changes = tx
        .query_one(
            "SELECT count(*) FROM pgbridge.reverse_log WHERE target_schema = $1 AND id > $2",
            &[&ns, &upto],
        )
        .map_err(pg("reading the reverse log"))?
        .get::<_, i64>(0) as u64;
    let message = format!(
        "pgbridge: this database moved back to SQLite ({shown}) by a rollback; write there. `pgbridge cutover` moves it again"
    );
    finish(&mut tx, &ns, &r.tables, position, &message)?;
    tx.execute(
        "DELETE FROM pgbridge.rollback WHERE target_schema = $1",
        &[&ns],
    )
    .map_err(pg("clearing the rollback intent"))?;
    rep.status = "finished".into();
    rep.source_position = position;
    rep.seconds = t0.elapsed().as_secs_f64();
    state::event(
        &mut tx,
        &ns,
        "rollback",
        serde_json::to_value(&rep).unwrap_or_default(),
    )
    .map_err(pg("recording the rollback"))?;
    tx.commit().map_err(pg("finishing the rollback"))?;
    Ok(Outcome::Done(rep))
}
