//! rebuild: a captured table that SQLite's 12-step procedure rebuilt (new
//! table, copy, drop, rename) with the same declaration has lost capture's
//! triggers, and its changes since went unlogged. Sync recognises it and
//! repairs it instead of stopping. (Same columns but a NOT NULL, default or
//! CHECK changed is a schema change: [`super::schema`] finds it in the
//! diff against the target's record first.)
//!
//! Input: the tables whose only change is lost triggers. Output: capture
//! reinstalled on them (every change from then on is logged), one batch
//! that carries each of them whole — every row upserted, the target's rows
//! with other keys deleted — together with the log up to the end of the
//! same snapshot, and then each of them compared row by row in that
//! snapshot (and counted) against PostgreSQL. The event is in the audit
//! trail (`table-rebuilt`). A table whose columns changed is not this: sync
//! stops on it ([`super::schema_changed`]).
use super::{Ready, SyncOptions, SyncReport, apply, pg, sqlite, state};
use crate::diag::{Diagnostic, Stage};
use std::collections::BTreeMap;
use std::path::Path;

/// The captured tables that exist with the columns install recorded but
/// lack one of capture's triggers.
pub(super) fn rebuilt(
    conn: &rusqlite::Connection,
    columns: &BTreeMap<String, Vec<String>>,
) -> rusqlite::Result<Vec<String>> {
    let present = super::triggers(conn)?;
    let mut out = Vec::new();
    for (t, before) in columns {
        if &super::table_columns(conn, t)? != before {
            continue;
        }
        if crate::capture::TRIGGER_KINDS
            .iter()
            .any(|k| !present.contains(&crate::capture::trigger_name(k, t)))
        {
            out.push(t.clone());
        }
    }
    Ok(out)
}

fn fail(code: &str, msg: String) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error(Stage::Source, code, msg)
            .with_help("sync stopped; `pgbridge verify` shows the rows, `pgbridge capture install` and a new `migrate --live` start over"),
    )
}

/// Repairs the rebuilt `tables` (see the module docs).
pub(super) fn repair(
    source: &Path,
    opts: &SyncOptions,
    r: &mut Ready,
    tables: &[String],
    rep: &mut SyncReport,
) -> Result<(), Box<Diagnostic>> {
    let source_opts = crate::source::SourceOptions {
        profile: false,
        extensions: opts.extensions.clone(),
    };
    let as_diag = |e: crate::diag::Error| match e {
        crate::diag::Error::Diagnostic(d) => d,
        other => fail("capture-failed", other.to_string()),
    };
    let (schema, _) = crate::source::live::read_database(source, &source_opts).map_err(as_diag)?;
    let plan = crate::capture::plan_for(&schema, tables.iter().map(String::as_str));
    if let Some((t, why)) = plan.refused.first() {
        return Err(fail(
            "sync-schema-changed",
            format!(
                "table {} was rebuilt and can no longer be captured: {why}",
                crate::ident::escape_text(t)
            ),
        ));
    }
    crate::capture::reinstall_tables(source, &plan).map_err(as_diag)?;
    let index: BTreeMap<&str, usize> = r
        .tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.source.as_str(), i))
        .collect();
    let serr = sqlite(source);
    let snap = super::open_source(source, opts)?;
    let tx = snap.unchecked_transaction().map_err(&serr)?;
    let mut batch = apply::read_in(&tx, &r.tables, r.position)?
        .unwrap_or_else(|| apply::Batch::empty(r.position));
    let mut keys = BTreeMap::new();
    for t in tables {
        let Some(&i) = index.get(t.as_str()) else {
            continue;
        };
        batch.refresh(&tx, &r.tables, i)?;
        keys.insert(i, apply::all_keys(&tx, &r.tables[i])?);
    }
    super::apply_batch(r, &batch, rep, &mut Vec::new())?;
    let differing = apply::compare(&mut r.client, &r.namespace, &r.tables, &tx, &keys)?;
    for (&i, k) in &keys {
        let t = &r.tables[i];
        let counted: i64 = r
            .client
            .query_one(
                &format!("SELECT count(*) FROM {}", t.qualified(&r.namespace)),
                &[],
            )
            .map_err(pg("counting a rebuilt table"))?
            .get(0);
        let off = differing.iter().find(|d| d.table == i);
        if counted != k.len() as i64 || off.is_some() {
            return Err(fail(
                "sync-rebuild-differs",
                format!(
                    "table {} was rebuilt and carried over whole, but PostgreSQL still differs: {} rows there, {} in SQLite, {} differing",
                    crate::ident::escape_text(&t.source),
                    counted,
                    k.len(),
                    off.map_or(0, |d| d.rows + d.extra)
                ),
            ));
        }
    }
    drop(tx);
    let _ = state::event(
        &mut r.client,
        &r.namespace,
        "table-rebuilt",
        serde_json::json!({"tables": tables, "position": r.position}),
    );
    Ok(())
}
