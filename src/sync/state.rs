//! Sync's state in the target: `pgbridge.sync`, one row per target
//! schema — the watermark (the last applied log id), running totals and
//! the hash of the source's schema the target is known to match — and
//! `pgbridge.sync_events`, the audit trail of starts, stops, fences
//! and schema changes. The watermark only moves by compare-and-set inside
//! the transaction that applies the batch, so PostgreSQL's content and its
//! position change together or not at all, and a second applier that read
//! the same watermark is fenced out.
use postgres::GenericClient;

pub const STATE_SQL: &str = "\
CREATE SCHEMA IF NOT EXISTS pgbridge;
CREATE TABLE IF NOT EXISTS pgbridge.sync (
    target_schema text PRIMARY KEY,
    plan text NOT NULL,
    source text NOT NULL,
    position bigint NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    applied_at timestamptz,
    batches bigint NOT NULL DEFAULT 0,
    changes bigint NOT NULL DEFAULT 0,
    rows_upserted bigint NOT NULL DEFAULT 0,
    rows_deleted bigint NOT NULL DEFAULT 0
);
ALTER TABLE pgbridge.sync ADD COLUMN IF NOT EXISTS source_schema text;
CREATE TABLE IF NOT EXISTS pgbridge.sync_events (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    target_schema text NOT NULL,
    event text NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS pgbridge.cutover (
    target_schema text PRIMARY KEY,
    source text NOT NULL,
    fence bigint NOT NULL,
    state text NOT NULL CHECK (state IN ('cut-over', 'rolled-back')),
    cut_at timestamptz NOT NULL DEFAULT now(),
    freeze_ms double precision NOT NULL,
    rolled_back_at timestamptz
);
";

/// Where sync stands in one target schema.
#[derive(Debug, Clone, serde::Serialize)]
pub struct State {
    pub plan: String,
    pub source: String,
    pub position: i64,
    pub batches: i64,
    pub changes: i64,
    pub rows_upserted: i64,
    pub rows_deleted: i64,
    /// When the last batch committed (RFC 3339, UTC), if one did.
    pub applied_at: Option<String>,
}

/// The newest complete `migrate --live` run into `namespace`: its plan and
/// the log position of its snapshot.
fn live_run(
    c: &mut impl GenericClient,
    namespace: &str,
) -> Result<Option<(String, Option<i64>)>, postgres::Error> {
    let has = c
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('pgbridge.runs') \
             AND attname = 'live_position' AND NOT attisdropped)",
            &[],
        )?
        .get::<_, bool>(0);
    if !has {
        return Ok(None);
    }
    Ok(c.query_opt(
        "SELECT plan, live_position FROM pgbridge.runs \
         WHERE target_schema = $1 AND status = 'complete' ORDER BY finished_at DESC LIMIT 1",
        &[&namespace],
    )?
    .map(|r| (r.get(0), r.get(1))))
}

/// Why sync cannot start in a target.
pub enum NotReady {
    /// No complete migrate run into the schema.
    NoRun,
    /// The newest run was not `--live`: no position to start from.
    NotLive,
}

/// The state, created from the newest `--live` run when sync has not run
/// since it (a newer migrate run starts a new watermark).
pub fn open(
    c: &mut postgres::Client,
    namespace: &str,
    source: &str,
) -> Result<Result<State, NotReady>, postgres::Error> {
    // Two syncs starting at once must not race to create the tables.
    let mut tx = c.transaction()?;
    tx.batch_execute(&format!(
        "SELECT pg_advisory_xact_lock(hashtext('pgbridge.sync'));\n{STATE_SQL}"
    ))?;
    tx.commit()?;
    let Some((plan, position)) = live_run(c, namespace)? else {
        return Ok(Err(NotReady::NoRun));
    };
    let Some(position) = position else {
        return Ok(Err(NotReady::NotLive));
    };
    let n = c.execute(
        "INSERT INTO pgbridge.sync (target_schema, plan, source, position) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (target_schema) DO UPDATE SET plan = EXCLUDED.plan, source = EXCLUDED.source, \
             position = EXCLUDED.position, started_at = now(), applied_at = NULL, batches = 0, \
             changes = 0, rows_upserted = 0, rows_deleted = 0, source_schema = NULL \
         WHERE pgbridge.sync.plan <> EXCLUDED.plan",
        &[&namespace, &plan, &source, &position],
    )?;
    if n == 1 {
        event(
            c,
            namespace,
            "start",
            serde_json::json!({"plan": plan, "position": position}),
        )?;
    }
    Ok(read(c, namespace)?.ok_or(NotReady::NoRun))
}

/// The state of `namespace`, if sync has one there.
pub fn read(c: &mut impl GenericClient, namespace: &str) -> Result<Option<State>, postgres::Error> {
    let has = c
        .query_one("SELECT to_regclass('pgbridge.sync') IS NOT NULL", &[])?
        .get::<_, bool>(0);
    if !has {
        return Ok(None);
    }
    Ok(c.query_opt(
        "SELECT plan, source, position, batches, changes, rows_upserted, rows_deleted, \
                to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') \
         FROM pgbridge.sync WHERE target_schema = $1",
        &[&namespace],
    )?
    .map(|r| State {
        plan: r.get(0),
        source: r.get(1),
        position: r.get(2),
        batches: r.get(3),
        changes: r.get(4),
        rows_upserted: r.get(5),
        rows_deleted: r.get(6),
        applied_at: r.get(7),
    }))
}

/// The hash of the source's schema the target is known to match
/// (`sync::schema`), if one was recorded.
pub fn source_schema(
    c: &mut impl GenericClient,
    namespace: &str,
) -> Result<Option<String>, postgres::Error> {
    Ok(c.query_opt(
        "SELECT source_schema FROM pgbridge.sync WHERE target_schema = $1",
        &[&namespace],
    )?
    .and_then(|r| r.get(0)))
}

/// Records `hash` as the source's schema the target matches.
pub fn set_source_schema(
    c: &mut impl GenericClient,
    namespace: &str,
    hash: &str,
) -> Result<(), postgres::Error> {
    c.execute(
        "UPDATE pgbridge.sync SET source_schema = $2 WHERE target_schema = $1",
        &[&namespace, &hash],
    )
    .map(|_| ())
}

/// What one batch did, for the totals.
pub struct Applied {
    pub to: i64,
    pub changes: i64,
    pub upserted: i64,
    pub deleted: i64,
}

/// Moves the watermark from `from` to `a.to` inside the batch's
/// transaction: false when it is no longer at `from` (another sync moved
/// it; this one must stop). The row lock it takes makes a second applier
/// wait here, then find the watermark moved.
pub fn advance(
    tx: &mut impl GenericClient,
    namespace: &str,
    from: i64,
    a: &Applied,
) -> Result<bool, postgres::Error> {
    let n = tx.execute(
        "UPDATE pgbridge.sync SET position = $3, applied_at = now(), batches = batches + 1, \
             changes = changes + $4, rows_upserted = rows_upserted + $5, rows_deleted = rows_deleted + $6 \
         WHERE target_schema = $1 AND position = $2",
        &[&namespace, &from, &a.to, &a.changes, &a.upserted, &a.deleted],
    )?;
    Ok(n == 1)
}

/// One line of the audit trail.
pub fn event(
    c: &mut impl GenericClient,
    namespace: &str,
    event: &str,
    detail: serde_json::Value,
) -> Result<(), postgres::Error> {
    c.execute(
        "INSERT INTO pgbridge.sync_events (target_schema, event, detail) VALUES ($1, $2, $3::text::jsonb)",
        &[&namespace, &event, &detail.to_string()],
    )
    .map(|_| ())
}

/// The cutover state of `namespace` (`cut-over`, `rolled-back`), if one
/// was recorded.
pub fn cutover(
    c: &mut impl GenericClient,
    namespace: &str,
) -> Result<Option<String>, postgres::Error> {
    let has = c
        .query_one("SELECT to_regclass('pgbridge.cutover') IS NOT NULL", &[])?
        .get::<_, bool>(0);
    if !has {
        return Ok(None);
    }
    Ok(c.query_opt(
        "SELECT state FROM pgbridge.cutover WHERE target_schema = $1",
        &[&namespace],
    )?
    .map(|r| r.get(0)))
}
