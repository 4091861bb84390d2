//! capture: the change log on the live SQLite source that keeps PostgreSQL
//! in step while the application still writes (issue: zero-downtime move).
//!
//! Key-pointer capture: an AFTER INSERT/UPDATE/DELETE trigger per migrated
//! table appends `(table, key)` to [`LOG`], whose AUTOINCREMENT id orders
//! the entries as SQLite committed them (one writer at a time, so no gaps
//! between committed ids). The key is written with SQLite's `quote()`, so
//! it is a SQL row-value list that reads the row back exactly — blob keys
//! included. An UPDATE that changes the key logs the old and the new key.
//! `INSERT OR REPLACE` deletes the rows it conflicts with (on the key or any
//! UNIQUE) without firing DELETE triggers: a BEFORE trigger logs the keys
//! of those rows first.
//!
//! Input: the SQLite schema and the tables the rules migrate. Output: a
//! [`Plan`] (what is captured, what is refused and why) and its SQL.
//! [`install`] and [`remove`] are the only writes pgbridge makes to a
//! source, each in one `BEGIN IMMEDIATE` transaction with a busy timeout,
//! so a live writer is waited for, not failed.
pub mod block;

use crate::diag::{Diagnostic, Diagnostics, Error, Stage};
use crate::ident::quote_ident_always as ident;
use crate::ir::{pg, sqlite};
use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;

pub use crate::source::capture_names::{LOG, TABLES, TRIGGER_PREFIX, is_capture_object};

/// A table capture logs.
#[derive(Debug, Clone)]
pub struct Captured {
    pub table: String,
    /// The key columns, as SQLite names them.
    pub key: Vec<String>,
    /// Every column of the table when capture was installed: sync names a
    /// schema change against them.
    pub columns: Vec<String>,
    /// Every column set whose conflict a REPLACE resolves by deleting
    /// rows: the key, each UNIQUE constraint, each unique index on columns.
    pub uniques: Vec<Vec<String>>,
}

/// What capture will do to a source.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub tables: Vec<Captured>,
    /// Migrated tables capture cannot follow, with the reason.
    pub refused: Vec<(String, String)>,
    /// Unique indexes on expressions: a REPLACE that deletes a row
    /// through one of them is not seen.
    pub blind: Vec<(String, String)>,
}

impl Plan {
    /// The plan's findings as diagnostics: a refused table is an error
    /// (its changes would be lost), a blind unique index a warning.
    pub fn diagnostics(&self) -> Diagnostics {
        let mut d = Diagnostics::default();
        for (t, why) in &self.refused {
            d.push(
                Diagnostic::error(Stage::Source, "capture-table-refused", format!("table `{t}` cannot be captured: {why}"))
                    .on(t.clone())
                    .with_help("give the table a PRIMARY KEY in SQLite (a new table, copy, rename), or skip it with a table rule"),
            );
        }
        for (t, ix) in &self.blind {
            d.push(
                Diagnostic::warning(Stage::Source, "capture-unique-expression", format!("unique index `{ix}` on `{t}` is on an expression: a row an INSERT OR REPLACE deletes through it is not logged"))
                    .on(t.clone())
                    .with_help("the next full verify finds such a row; avoid REPLACE on that table during the move"),
            );
        }
        d
    }
}

/// The capture plan for the tables the rules migrate (`pg`).
pub fn plan(schema: &sqlite::Schema, pg: &pg::Schema) -> Plan {
    plan_for(schema, pg.tables.iter().map(|t| t.source_name.as_str()))
}

/// The capture plan for the source tables named.
pub fn plan_for<'a>(schema: &sqlite::Schema, tables: impl IntoIterator<Item = &'a str>) -> Plan {
    let mut plan = Plan::default();
    for name in tables {
        let Some(t) = schema.tables.iter().find(|t| t.name == name) else {
            continue;
        };
        if !matches!(t.kind, sqlite::TableKind::Ordinary) {
            plan.refused.push((
                t.name.clone(),
                "a virtual table has no triggers; its rows are read, not captured".into(),
            ));
            continue;
        }
        let Some(pk) = &t.primary_key else {
            plan.refused.push((
                t.name.clone(),
                "it has no PRIMARY KEY, and its implicit rowids change on VACUUM".into(),
            ));
            continue;
        };
        let mut uniques = vec![pk.columns.clone()];
        uniques.extend(t.uniques.iter().map(|u| u.columns.clone()));
        for ix in schema
            .indexes
            .iter()
            .filter(|i| i.unique && i.table == t.name)
        {
            match ix
                .columns
                .iter()
                .map(|c| c.column.clone())
                .collect::<Option<Vec<_>>>()
            {
                Some(cols) => uniques.push(cols),
                None => plan.blind.push((t.name.clone(), ix.name.clone())),
            }
        }
        uniques.dedup();
        plan.tables.push(Captured {
            table: t.name.clone(),
            key: pk.columns.clone(),
            columns: t.columns.iter().map(|c| c.name.clone()).collect(),
            uniques,
        });
    }
    plan
}

/// A SQLite text literal; control characters are written `char(N)`, so the
/// SQL text never carries one raw.
fn literal(value: &str) -> String {
    let mut parts = Vec::new();
    let mut run = String::new();
    for c in value.chars() {
        if c.is_control() {
            if !run.is_empty() {
                parts.push(format!("'{}'", run.replace('\'', "''")));
                run.clear();
            }
            parts.push(format!("char({})", c as u32));
        } else {
            run.push(c);
        }
    }
    if !run.is_empty() || parts.is_empty() {
        parts.push(format!("'{}'", run.replace('\'', "''")));
    }
    parts.join(" || ")
}

/// The key of row `alias` (`NEW`, `OLD`, a table alias) as `quote()` text.
pub(crate) fn key_text(alias: &str, key: &[String]) -> String {
    key.iter()
        .map(|k| format!("quote({alias}.{})", ident(k)))
        .collect::<Vec<_>>()
        .join(" || ',' || ")
}

/// SQL that installs capture (inside the caller's transaction).
pub fn install_sql(plan: &Plan) -> String {
    let mut sql = format!(
        "-- pgbridge capture: the change log and one trigger set per table.\n\
         CREATE TABLE IF NOT EXISTS {} (id INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, key TEXT NOT NULL, \
         at REAL NOT NULL DEFAULT (julianday('now')));\n\
         DROP TABLE IF EXISTS {tables};\n\
         CREATE TABLE {tables} (tbl TEXT PRIMARY KEY, key_columns TEXT NOT NULL, columns TEXT NOT NULL);\n",
        ident(LOG),
        tables = ident(TABLES)
    );
    for c in &plan.tables {
        sql.push_str(&table_sql(c));
    }
    sql
}

/// The kinds of trigger capture puts on every table.
pub const TRIGGER_KINDS: [&str; 6] = ["ins", "upd", "updold", "del", "repins", "repupd"];

/// The name of capture's trigger of `kind` on `table`: the kind first and
/// a `:` after it, so no two tables' names collide.
pub fn trigger_name(kind: &str, table: &str) -> String {
    format!("{TRIGGER_PREFIX}{kind}:{table}")
}

fn table_sql(c: &Captured) -> String {
    let t = ident(&c.table);
    let name = |kind: &str| ident(&trigger_name(kind, &c.table));
    let log = |alias: &str| {
        format!(
            "INSERT INTO {} (tbl, key) VALUES ({}, {});",
            ident(LOG),
            literal(&c.table),
            key_text(alias, &c.key)
        )
    };
    let changed = c
        .key
        .iter()
        .map(|k| format!("OLD.{0} IS NOT NEW.{0}", ident(k)))
        .collect::<Vec<_>>()
        .join(" OR ");
    let key_columns = serde_json::to_string(&c.key).expect("names serialise");
    let columns = serde_json::to_string(&c.columns).expect("names serialise");
    format!(
        "\n-- {comment}\n\
         INSERT OR REPLACE INTO {tables} (tbl, key_columns, columns) VALUES ({lit}, {key_columns}, {columns});\n\
         CREATE TRIGGER {ins} AFTER INSERT ON {t} BEGIN {new} END;\n\
         CREATE TRIGGER {upd} AFTER UPDATE ON {t} BEGIN {new} END;\n\
         CREATE TRIGGER {upd_old} AFTER UPDATE ON {t} WHEN {changed} BEGIN {old} END;\n\
         CREATE TRIGGER {del} AFTER DELETE ON {t} BEGIN {old} END;\n\
         CREATE TRIGGER {rep_ins} BEFORE INSERT ON {t} BEGIN {conflicts} END;\n\
         CREATE TRIGGER {rep_upd} BEFORE UPDATE OF {unique_columns} ON {t} BEGIN {update_conflicts} END;\n",
        comment = crate::ident::escape_text(&c.table),
        tables = ident(TABLES),
        lit = literal(&c.table),
        key_columns = literal(&key_columns),
        columns = literal(&columns),
        ins = name("ins"),
        upd = name("upd"),
        upd_old = name("updold"),
        del = name("del"),
        rep_ins = name("repins"),
        rep_upd = name("repupd"),
        new = log("NEW"),
        old = log("OLD"),
        conflicts = conflicts_sql(c, false),
        update_conflicts = conflicts_sql(c, true),
        unique_columns = unique_columns(c),
    )
}

/// Every column of a key or UNIQUE set, once: an UPDATE that sets none of
/// them cannot make a REPLACE delete a row.
fn unique_columns(c: &Captured) -> String {
    let mut seen: Vec<&String> = Vec::new();
    for col in c.uniques.iter().flatten() {
        if !seen.contains(&col) {
            seen.push(col);
        }
    }
    seen.iter().map(|k| ident(k)).collect::<Vec<_>>().join(", ")
}

/// Logs the key of every row a REPLACE of `NEW` would delete: rows equal
/// to it on the key or on a UNIQUE column set (NULLs never conflict). For
/// an UPDATE (`update`), not the row being updated itself: it matches its
/// own unchanged values and is logged by the AFTER trigger anyway.
fn conflicts_sql(c: &Captured, update: bool) -> String {
    let not_self = if update {
        let same = c
            .key
            .iter()
            .map(|k| format!("r.{0} IS OLD.{0}", ident(k)))
            .collect::<Vec<_>>()
            .join(" AND ");
        format!(" AND NOT ({same})")
    } else {
        String::new()
    };
    c.uniques
        .iter()
        .map(|cols| {
            let on = cols
                .iter()
                .map(|k| format!("r.{0} = NEW.{0}", ident(k)))
                .collect::<Vec<_>>()
                .join(" AND ")
                + &not_self;
            format!(
                "INSERT INTO {} (tbl, key) SELECT {}, {} FROM {} AS r WHERE {on};",
                ident(LOG),
                literal(&c.table),
                key_text("r", &c.key),
                ident(&c.table)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// SQL that drops the capture triggers a source holds.
fn drop_triggers_sql(triggers: &[String]) -> String {
    triggers
        .iter()
        .map(|t| format!("DROP TRIGGER IF EXISTS {};\n", ident(t)))
        .collect()
}

/// SQL that removes capture: every capture trigger, the log (and its
/// `sqlite_sequence` row) and the table list.
pub fn remove_sql(installed: &Installed) -> String {
    let mut sql = drop_triggers_sql(&installed.triggers);
    sql.push_str(&format!(
        "DROP TABLE IF EXISTS {};\nDROP TABLE IF EXISTS {};\n",
        ident(LOG),
        ident(TABLES),
    ));
    if installed.log {
        // The log's AUTOINCREMENT made the row (and the table, if needed).
        sql.push_str(&format!(
            "DELETE FROM sqlite_sequence WHERE name = {};\n",
            literal(LOG)
        ));
    }
    sql
}

/// How long a capture install or removal waits for a live writer.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A write connection to the source: waits for a live writer, never
/// checkpoints.
pub(crate) fn write_conn(path: &Path) -> crate::diag::Result<Connection> {
    let err = |e: rusqlite::Error| {
        Error::from(Diagnostic::error(
            Stage::Source,
            "capture-failed",
            format!("cannot open {} for capture: {e}", path.display()),
        ))
    };
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
        .map_err(err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
    never_checkpoint(&conn).map_err(err)?;
    Ok(conn)
}

/// pgbridge never checkpoints a source's WAL: not after its own commits
/// (`wal_autocheckpoint`), not when its connection is the last to close.
/// Checkpoints stay the application's, on its schedule.
pub fn never_checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)
}

/// The log position a read transaction sees: the highest id the log ever
/// handed out (its `sqlite_sequence` row), 0 before the first change.
/// Read inside the loader's snapshot, it is where sync starts.
pub fn position(conn: &Connection) -> rusqlite::Result<i64> {
    let has_seq: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_sequence'",
        [],
        |r| r.get(0),
    )?;
    if !has_seq {
        return Ok(0);
    }
    conn.query_row(
        "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = ?1",
        [LOG],
        |r| r.get(0),
    )
}

/// A captured table as install recorded it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Recorded {
    pub table: String,
    pub key: Vec<String>,
    pub columns: Vec<String>,
}

/// The captured tables, as install recorded them.
pub fn captured_tables(conn: &Connection) -> rusqlite::Result<Vec<Recorded>> {
    let mut st = conn.prepare(&format!(
        "SELECT tbl, key_columns, columns FROM {} ORDER BY tbl",
        ident(TABLES)
    ))?;
    let rows = st.query_map([], |r| {
        let json = |i: usize| -> rusqlite::Result<Vec<String>> {
            let text: String = r.get(i)?;
            serde_json::from_str(&text).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    i,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })
        };
        Ok(Recorded {
            table: r.get(0)?,
            key: json(1)?,
            columns: json(2)?,
        })
    })?;
    rows.collect()
}

/// Runs `sql` in one `BEGIN IMMEDIATE` transaction (a writer waits for the
/// live one for up to [`BUSY_TIMEOUT`]).
fn write(path: &Path, sql: &str, what: &str) -> crate::diag::Result<()> {
    let conn = write_conn(path)?;
    let fail = |e: rusqlite::Error| {
        Error::from(Diagnostic::error(
            Stage::Source,
            "capture-failed",
            format!(
                "{what} on {} failed, nothing was changed: {e}",
                path.display()
            ),
        ))
    };
    conn.execute_batch(&format!("BEGIN IMMEDIATE;\n{sql}\nCOMMIT;"))
        .map_err(|e| {
            let _ = conn.execute_batch("ROLLBACK");
            fail(e)
        })
}

/// Installs capture on the source (again: a previous install is replaced).
/// Refuses a plan with refused tables: the first is the error.
pub fn install(path: &Path, plan: &Plan) -> crate::diag::Result<()> {
    if let Some(first) = plan
        .diagnostics()
        .0
        .into_iter()
        .find(|d| d.severity == crate::diag::Severity::Error)
    {
        return Err(Error::from(first));
    }
    // Again: the triggers are replaced, the log (and what it holds) kept.
    let installed = installed(path)?;
    let sql = format!(
        "{}{}",
        drop_triggers_sql(&installed.triggers),
        install_sql(plan)
    );
    write(path, &sql, "installing capture")
}

/// Installs capture's triggers again on the tables of `plan` alone (after
/// a table rebuild dropped them), in one `BEGIN IMMEDIATE` transaction;
/// returns the log position that transaction saw: every change after it
/// is logged.
pub fn reinstall_tables(path: &Path, plan: &Plan) -> crate::diag::Result<i64> {
    let conn = write_conn(path)?;
    let names: Vec<String> = plan
        .tables
        .iter()
        .flat_map(|c| TRIGGER_KINDS.iter().map(|k| trigger_name(k, &c.table)))
        .collect();
    let mut sql = drop_triggers_sql(&names);
    for c in &plan.tables {
        sql.push_str(&table_sql(c));
    }
    let run = || -> rusqlite::Result<i64> {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        conn.execute_batch(&sql)?;
        let at = position(&conn)?;
        conn.execute_batch("COMMIT")?;
        Ok(at)
    };
    run().map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        Error::from(Diagnostic::error(
            Stage::Source,
            "capture-failed",
            format!(
                "reinstalling capture on {} failed, nothing was changed: {e}",
                path.display()
            ),
        ))
    })
}

/// Drops the log's entries up to `upto` (the watermark read back from
/// PostgreSQL): they are applied. Returns how many went.
pub fn compact(path: &Path, upto: i64) -> crate::diag::Result<usize> {
    let conn = write_conn(path)?;
    compact_in(&conn, upto).map_err(|e| {
        Error::from(Diagnostic::error(
            Stage::Source,
            "capture-failed",
            format!("compacting the change log of {}: {e}", path.display()),
        ))
    })
}

/// [`compact`] on `conn` (inside the caller's transaction, if any).
pub fn compact_in(conn: &Connection, upto: i64) -> rusqlite::Result<usize> {
    conn.execute(
        &format!("DELETE FROM {} WHERE id <= ?1", ident(LOG)),
        [upto],
    )
}

/// Removes capture: the source is as it was before [`install`] (but for
/// an empty `sqlite_sequence` when the log's AUTOINCREMENT created it).
pub fn remove(path: &Path) -> crate::diag::Result<()> {
    write(path, &remove_sql(&installed(path)?), "removing capture")
}

/// What of capture a source holds.
#[derive(Debug, Clone, Default)]
pub struct Installed {
    pub triggers: Vec<String>,
    /// Whether the log table exists.
    pub log: bool,
}

/// What of capture the source at `path` holds.
pub fn installed(path: &Path) -> crate::diag::Result<Installed> {
    let conn = write_conn(path)?;
    let read = || -> rusqlite::Result<Installed> {
        let mut st = conn.prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'trigger' AND substr(name, 1, ?1) = ?2 ORDER BY name",
        )?;
        let rows = st.query_map(
            rusqlite::params![TRIGGER_PREFIX.len() as i64, TRIGGER_PREFIX],
            |r| r.get(0),
        )?;
        let triggers = rows.collect::<rusqlite::Result<_>>()?;
        let log = conn.query_row(
            "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            [LOG],
            |r| r.get(0),
        )?;
        Ok(Installed { triggers, log })
    };
    read().map_err(|e| {
        Error::from(Diagnostic::error(
            Stage::Source,
            "capture-failed",
            format!("cannot read the schema of {}: {e}", path.display()),
        ))
    })
}
