//! One batch of sync: read what changed on SQLite, write it to PostgreSQL.
//!
//! Read ([`read`]): in one SQLite read transaction, every log entry after
//! the watermark, collapsed to distinct keys per table, and each key's row
//! as the source has it in that same snapshot — present means upsert,
//! absent means delete. Because the log is read to the end of the
//! snapshot, the batch is the snapshot: what PostgreSQL commits is a state
//! SQLite really had, however many source transactions it spans.
//!
//! Write ([`write`]): one PostgreSQL transaction. The watermark moves first
//! (compare-and-set, [`super::state::advance`]), so a second applier waits
//! on its row lock and then finds it moved. The rows go through binary
//! COPY into session temp tables, each value through its column's converter
//! as the loader converted it, then `DELETE … USING` (children first) and
//! `INSERT … ON CONFLICT (key) DO UPDATE` (parents first). A batch that
//! re-parents rows and deletes their old parent can only apply the other
//! way round: when the first order fails, a savepoint lets the second try.
//! pgbridge's translated triggers are switched off (`pgbridge.skip_triggers`):
//! their effects already happened in SQLite and arrive as rows.
use super::key;
use super::state::{self, Applied};
use crate::diag::{Diagnostic, Stage};
use crate::digest::sql::VCol;
use crate::ident::quote_ident;
use crate::load::plan::quote_ident_always as sqlite_ident;
use crate::value::{convert, wire};
use rusqlite::types::ValueRef;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

/// How one captured table is applied.
#[derive(Debug, Clone)]
pub struct TableApply {
    pub source: String,
    pub target: String,
    /// The loaded columns (not PostgreSQL's generated ones), in COPY order.
    cols: Vec<VCol>,
    /// The key columns, as indexes into `cols`.
    key: Vec<usize>,
    /// SQLite: the row of one key.
    select: String,
}

fn err(code: &str, msg: impl Into<String>) -> Box<Diagnostic> {
    Box::new(Diagnostic::error(Stage::Load, code, msg))
}

impl TableApply {
    /// `cols` as loaded (generated ones already left out); `key` the
    /// SQLite key columns capture logs.
    pub fn new(
        source: &str,
        target: &str,
        cols: Vec<VCol>,
        key: &[String],
    ) -> Result<Self, Box<Diagnostic>> {
        let key = key
            .iter()
            .map(|k| {
                cols.iter().position(|c| &c.source == k).ok_or_else(|| {
                    err(
                        "sync-key-not-loaded",
                        format!("key column {source}.{k} is not among the columns migrate loaded"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let list: Vec<String> = cols.iter().map(|c| sqlite_ident(&c.source)).collect();
        let on: Vec<String> = key
            .iter()
            .enumerate()
            .map(|(n, &i)| format!("{} IS ?{}", sqlite_ident(&cols[i].source), n + 1))
            .collect();
        let select = format!(
            "SELECT {} FROM {} WHERE {}",
            if list.is_empty() {
                "1".into()
            } else {
                list.join(", ")
            },
            sqlite_ident(source),
            on.join(" AND ")
        );
        Ok(TableApply {
            source: source.into(),
            target: target.into(),
            cols,
            key,
            select,
        })
    }

    /// The loaded columns, in COPY order.
    pub fn columns(&self) -> &[VCol] {
        &self.cols
    }

    /// The key columns' names in the target.
    pub fn key_columns(&self) -> Vec<&str> {
        self.key
            .iter()
            .map(|&i| self.cols[i].name.as_str())
            .collect()
    }

    fn up_tmp(i: usize) -> String {
        format!("pg_temp._pgbridge_up_{i}")
    }

    fn del_tmp(i: usize) -> String {
        format!("pg_temp._pgbridge_del_{i}")
    }

    fn col_list(&self, which: impl Iterator<Item = usize>) -> String {
        which
            .map(|i| quote_ident(&self.cols[i].name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn all(&self) -> String {
        self.col_list(0..self.cols.len())
    }

    fn keys(&self) -> String {
        self.col_list(self.key.iter().copied())
    }

    /// The table in the target, schema-qualified and quoted.
    pub fn qualified(&self, ns: &str) -> String {
        format!("{}.{}", quote_ident(ns), quote_ident(&self.target))
    }

    /// The session's two temp tables for table `i`: its rows, its keys.
    pub fn setup_sql(&self, i: usize, ns: &str) -> String {
        format!(
            "CREATE TEMP TABLE {up} ON COMMIT DELETE ROWS AS SELECT {all} FROM {t} WITH NO DATA;\n\
             CREATE TEMP TABLE {del} ON COMMIT DELETE ROWS AS SELECT {keys} FROM {t} WITH NO DATA;\n",
            up = Self::up_tmp(i),
            del = Self::del_tmp(i),
            all = self.all(),
            keys = self.keys(),
            t = self.qualified(ns),
        )
    }

    fn upsert_sql(&self, i: usize, ns: &str) -> String {
        let set: Vec<String> = (0..self.cols.len())
            .filter(|c| !self.key.contains(c))
            .map(|c| {
                let n = quote_ident(&self.cols[c].name);
                format!("{n} = EXCLUDED.{n}")
            })
            .collect();
        let action = if set.is_empty() {
            "NOTHING".to_string()
        } else {
            format!("UPDATE SET {}", set.join(", "))
        };
        format!(
            "INSERT INTO {t} ({all}) OVERRIDING SYSTEM VALUE SELECT {all} FROM {up} \
             ON CONFLICT ({keys}) DO {action}",
            t = self.qualified(ns),
            all = self.all(),
            up = Self::up_tmp(i),
            keys = self.keys(),
        )
    }

    /// `a.k = b.k AND …` over the key columns.
    fn key_join(&self, a: &str, b: &str) -> String {
        let on: Vec<String> = self
            .key
            .iter()
            .map(|&k| {
                let n = quote_ident(&self.cols[k].name);
                format!("{a}.{n} = {b}.{n}")
            })
            .collect();
        on.join(" AND ")
    }

    /// Deletes the target's rows whose key is not among the batch's rows.
    fn stale_sql(&self, i: usize, ns: &str) -> String {
        format!(
            "DELETE FROM {} AS t WHERE NOT EXISTS (SELECT 1 FROM {} AS d WHERE {})",
            self.qualified(ns),
            Self::up_tmp(i),
            self.key_join("t", "d")
        )
    }

    fn delete_sql(&self, i: usize, ns: &str) -> String {
        format!(
            "DELETE FROM {} AS t USING {} AS d WHERE {}",
            self.qualified(ns),
            Self::del_tmp(i),
            self.key_join("t", "d")
        )
    }
}

/// One table's share of a batch: COPY data for its rows and its deletes.
#[derive(Default)]
struct TableBatch {
    up: Vec<u8>,
    ups: u64,
    del: Vec<u8>,
    dels: u64,
}

/// What one read found.
pub struct Batch {
    pub from: i64,
    pub to: i64,
    /// Log entries read (before collapsing to keys).
    pub changes: i64,
    /// Each entry's commit time on SQLite (Julian day), for lag.
    pub written_at: Vec<f64>,
    tables: BTreeMap<usize, TableBatch>,
    /// Tables whose every row is in the batch: the target's rows with
    /// other keys are deleted ([`Batch::refresh`]).
    whole: BTreeSet<usize>,
}

impl Batch {
    /// A batch with no log entries, at `position`.
    pub fn empty(position: i64) -> Batch {
        Batch {
            from: position,
            to: position,
            changes: 0,
            written_at: Vec::new(),
            tables: BTreeMap::new(),
            whole: BTreeSet::new(),
        }
    }

    /// Carries table `t` whole, as `tx` has it: every row is upserted and
    /// the target's rows with any other key are deleted — a table whose
    /// changes went unlogged for a while comes back exact.
    pub fn refresh(
        &mut self,
        tx: &rusqlite::Connection,
        tables: &[TableApply],
        t: usize,
    ) -> Result<(), Box<Diagnostic>> {
        let keys = all_keys(tx, &tables[t])?;
        self.tables.insert(t, read_rows(tx, &tables[t], &keys)?);
        self.whole.insert(t);
        Ok(())
    }

    pub fn upserts(&self) -> u64 {
        self.tables.values().map(|t| t.ups).sum()
    }
    pub fn deletes(&self) -> u64 {
        self.tables.values().map(|t| t.dels).sum()
    }
}

/// The batch after `from` in one read transaction on `conn`, or none when
/// nothing changed since.
pub fn read(
    conn: &rusqlite::Connection,
    tables: &[TableApply],
    from: i64,
) -> Result<Option<Batch>, Box<Diagnostic>> {
    let serr =
        |e: rusqlite::Error| err("source-unreadable", format!("reading the change log: {e}"));
    let tx = conn.unchecked_transaction().map_err(serr)?;
    let batch = read_in(&tx, tables, from)?;
    tx.finish().map_err(serr)?;
    Ok(batch)
}

/// [`read`] inside the caller's read transaction on `tx`.
pub fn read_in(
    tx: &rusqlite::Connection,
    tables: &[TableApply],
    from: i64,
) -> Result<Option<Batch>, Box<Diagnostic>> {
    let serr =
        |e: rusqlite::Error| err("source-unreadable", format!("reading the change log: {e}"));
    let mut st = tx
        .prepare_cached(&format!(
            "SELECT id, tbl, key, at FROM {} WHERE id > ?1 ORDER BY id",
            sqlite_ident(crate::capture::LOG)
        ))
        .map_err(serr)?;
    let mut keys: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    let mut batch = Batch::empty(from);
    // Looked up once per log entry: by name, not by a scan of the tables.
    let by_name: BTreeMap<&str, usize> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.source.as_str(), i))
        .collect();
    let mut rows = st.query([from]).map_err(serr)?;
    while let Some(r) = rows.next().map_err(serr)? {
        let (id, tbl, k, at): (i64, String, String, f64) = (
            r.get(0).map_err(serr)?,
            r.get(1).map_err(serr)?,
            r.get(2).map_err(serr)?,
            r.get(3).map_err(serr)?,
        );
        let Some(&t) = by_name.get(tbl.as_str()) else {
            return Err(Box::new(
                Diagnostic::error(
                    Stage::Load,
                    "sync-unknown-table",
                    format!(
                        "log entry {id} names table {}, which the migrate run did not load",
                        crate::ident::escape_text(&tbl)
                    ),
                )
                .with_help("re-install capture (`pgbridge capture install`) with the rules the migrate run used"),
            ));
        };
        keys.entry(t).or_default().insert(k);
        batch.to = id;
        batch.changes += 1;
        batch.written_at.push(at);
    }
    drop(rows);
    drop(st);
    batch.tables = read_keys(tx, tables, &keys)?;
    Ok((batch.changes > 0).then_some(batch))
}

/// The rows of `keys` (per table index) as `tx` has them, encoded for COPY.
fn read_keys(
    tx: &rusqlite::Connection,
    tables: &[TableApply],
    keys: &BTreeMap<usize, BTreeSet<String>>,
) -> Result<BTreeMap<usize, TableBatch>, Box<Diagnostic>> {
    keys.iter()
        .map(|(&t, ks)| Ok((t, read_rows(tx, &tables[t], ks)?)))
        .collect()
}

/// Every key of table `t` as `tx` has it, as `quote()` text.
pub(super) fn all_keys(
    tx: &rusqlite::Connection,
    t: &TableApply,
) -> Result<BTreeSet<String>, Box<Diagnostic>> {
    let serr = |e: rusqlite::Error| {
        err(
            "source-unreadable",
            format!(
                "reading the keys of {}: {e}",
                crate::ident::escape_text(&t.source)
            ),
        )
    };
    let text: Vec<String> = t
        .key
        .iter()
        .map(|&i| format!("quote({})", sqlite_ident(&t.cols[i].source)))
        .collect();
    let mut st = tx
        .prepare(&format!(
            "SELECT {} FROM {}",
            text.join(" || ',' || "),
            sqlite_ident(&t.source)
        ))
        .map_err(serr)?;
    let rows = st.query_map([], |r| r.get::<_, String>(0)).map_err(serr)?;
    rows.collect::<Result<_, _>>().map_err(serr)
}

/// The distinct keys of the log entries in `(from, to]`, per table index,
/// as `tx` has them.
pub fn logged_keys(
    tx: &rusqlite::Connection,
    tables: &[TableApply],
    from: i64,
    to: i64,
) -> Result<BTreeMap<usize, BTreeSet<String>>, Box<Diagnostic>> {
    let serr =
        |e: rusqlite::Error| err("source-unreadable", format!("reading the change log: {e}"));
    let by_name: BTreeMap<&str, usize> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.source.as_str(), i))
        .collect();
    let mut st = tx
        .prepare(&format!(
            "SELECT DISTINCT tbl, key FROM {} WHERE id > ?1 AND id <= ?2",
            sqlite_ident(crate::capture::LOG)
        ))
        .map_err(serr)?;
    let mut rows = st.query([from, to]).map_err(serr)?;
    let mut keys: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    while let Some(r) = rows.next().map_err(serr)? {
        let (tbl, k): (String, String) = (r.get(0).map_err(serr)?, r.get(1).map_err(serr)?);
        if let Some(&t) = by_name.get(tbl.as_str()) {
            keys.entry(t).or_default().insert(k);
        }
    }
    Ok(keys)
}

/// One table's rows that differ between the source and the target.
pub struct Differing {
    pub table: usize,
    /// Source rows whose target row is missing or has other values.
    pub rows: i64,
    /// Keys the source no longer has that the target still does.
    pub extra: i64,
}

/// Compares the rows of `keys` as `tx` has them with the target's, inside
/// a PostgreSQL transaction that is rolled back: each source row goes
/// through its converter into the temp table, as a batch would, and must
/// equal the target's row on every loaded column; a key the source no
/// longer has must be absent. Errors are the server's text.
pub fn compare(
    client: &mut postgres::Client,
    ns: &str,
    tables: &[TableApply],
    sqlite: &rusqlite::Connection,
    keys: &BTreeMap<usize, BTreeSet<String>>,
) -> Result<Vec<Differing>, Box<Diagnostic>> {
    let batch = read_keys(sqlite, tables, keys)?;
    let e = |e: postgres::Error| {
        err(
            "target-error",
            format!("comparing rows: {}", crate::load::pg_error_text(&e)),
        )
    };
    let mut tx = client.transaction().map_err(e)?;
    let mut out = Vec::new();
    for (&i, tb) in &batch {
        let t = &tables[i];
        let copied = |r: Result<(), String>| r.map_err(|m| err("target-error", m));
        copied(copy(
            &mut tx,
            &TableApply::up_tmp(i),
            &t.all(),
            &tb.up,
            tb.ups,
        ))?;
        copied(copy(
            &mut tx,
            &TableApply::del_tmp(i),
            &t.keys(),
            &tb.del,
            tb.dels,
        ))?;
        let on = t.key_join("x", "d");
        let cols = |a: &str| {
            let list: Vec<String> = t
                .cols
                .iter()
                .map(|c| format!("{a}.{}", quote_ident(&c.name)))
                .collect();
            format!("ROW({})", list.join(", "))
        };
        let row = tx
            .query_one(
                &format!(
                    "SELECT (SELECT count(*) FROM {up} AS d LEFT JOIN {tbl} AS x ON {on}                        WHERE {x} IS DISTINCT FROM {d}),                      (SELECT count(*) FROM {del} AS d JOIN {tbl} AS x ON {on})",
                    up = TableApply::up_tmp(i),
                    del = TableApply::del_tmp(i),
                    tbl = t.qualified(ns),
                    x = cols("x"),
                    d = cols("d"),
                ),
                &[],
            )
            .map_err(e)?;
        let (rows, extra): (i64, i64) = (row.get(0), row.get(1));
        if rows > 0 || extra > 0 {
            out.push(Differing {
                table: i,
                rows,
                extra,
            });
        }
    }
    tx.rollback().map_err(e)?;
    Ok(out)
}

/// The rows of `keys` in table `t`, encoded for COPY.
fn read_rows(
    conn: &rusqlite::Connection,
    t: &TableApply,
    keys: &BTreeSet<String>,
) -> Result<TableBatch, Box<Diagnostic>> {
    let serr = |e: rusqlite::Error| {
        err(
            "source-unreadable",
            format!(
                "reading table {}: {e}",
                crate::ident::escape_text(&t.source)
            ),
        )
    };
    let mut st = conn.prepare_cached(&t.select).map_err(serr)?;
    let mut out = TableBatch::default();
    for k in keys {
        let values = key::parse(k).map_err(|e| {
            err(
                "sync-bad-key",
                format!("table {}: {e}", crate::ident::escape_text(&t.source)),
            )
        })?;
        if values.len() != t.key.len() {
            return Err(err(
                "sync-bad-key",
                format!(
                    "table {}: logged key {} has {} values, the table's key {} columns",
                    crate::ident::escape_text(&t.source),
                    crate::ident::escape_text(k),
                    values.len(),
                    t.key.len()
                ),
            ));
        }
        let mut rows = st
            .query(rusqlite::params_from_iter(&values))
            .map_err(serr)?;
        match rows.next().map_err(serr)? {
            Some(row) => {
                wire::begin_row(&mut out.up, t.cols.len() as u16);
                for (i, c) in t.cols.iter().enumerate() {
                    encode(&mut out.up, t, c, row.get_ref(i).map_err(serr)?, k)?;
                }
                out.ups += 1;
            }
            None => {
                wire::begin_row(&mut out.del, t.key.len() as u16);
                for (&i, v) in t.key.iter().zip(&values) {
                    encode(&mut out.del, t, &t.cols[i], ValueRef::from(v), k)?;
                }
                out.dels += 1;
            }
        }
    }
    Ok(out)
}

/// One value through its column's converter into COPY's binary form.
fn encode(
    buf: &mut Vec<u8>,
    t: &TableApply,
    c: &VCol,
    v: ValueRef<'_>,
    key: &str,
) -> Result<(), Box<Diagnostic>> {
    convert::convert(c.converter, v)
        .and_then(|x| wire::encode(buf, &x, c.wire))
        .map_err(|e| {
            Box::new(
                Diagnostic::error(
                    Stage::Load,
                    "value-not-convertible",
                    format!(
                        "table {}, key ({}), column {}: cannot convert {} ({} converter): {}",
                        crate::ident::escape_text(&t.source),
                        crate::ident::escape_text(key),
                        crate::ident::escape_text(&c.source),
                        crate::load::preview_value(v),
                        c.converter.name(),
                        e.reason
                    ),
                )
                .with_help("fix the value in SQLite (the next sync reads it again); sync stopped before this batch, nothing of it was applied"),
            )
        })
}

/// What a write came to.
pub enum Written {
    Applied(Applied),
    /// Another sync moved the watermark: this one must stop.
    Fenced,
    /// A cutover of this schema is running: it alone applies.
    CutoverRunning,
}

/// The advisory lock a cutover holds exclusively for its whole run and
/// every batch takes shared: a sync cannot apply during a cutover (a
/// session never conflicts with its own lock, so the cutover's batches can).
pub const CUTOVER_LOCK: &str = "hashtext('pgbridge.cutover'), hashtext($1)";

/// Applies `b` in one transaction; `parents_first` orders the tables for
/// upserts (reversed for deletes). Errors are the server's text.
pub fn write(
    client: &mut postgres::Client,
    ns: &str,
    tables: &[TableApply],
    parents_first: &[usize],
    b: &Batch,
) -> Result<Written, String> {
    let e = |e: postgres::Error| crate::load::pg_error_text(&e);
    let mut tx = client.transaction().map_err(e)?;
    tx.batch_execute("SET LOCAL pgbridge.skip_triggers = on; SET CONSTRAINTS ALL DEFERRED;")
        .map_err(e)?;
    let applied = Applied {
        to: b.to,
        changes: b.changes,
        upserted: b.upserts() as i64,
        deleted: b.deletes() as i64,
    };
    let free: bool = tx
        .query_one(
            &format!("SELECT pg_try_advisory_xact_lock_shared({CUTOVER_LOCK})"),
            &[&ns],
        )
        .map_err(e)?
        .get(0);
    if !free {
        return Ok(Written::CutoverRunning);
    }
    if !state::advance(&mut tx, ns, b.from, &applied).map_err(e)? {
        return Ok(Written::Fenced);
    }
    for (&i, tb) in &b.tables {
        let t = &tables[i];
        copy(&mut tx, &TableApply::up_tmp(i), &t.all(), &tb.up, tb.ups)?;
        copy(
            &mut tx,
            &TableApply::del_tmp(i),
            &t.keys(),
            &tb.del,
            tb.dels,
        )?;
    }
    let ups: Vec<String> = parents_first
        .iter()
        .filter(|i| b.tables.get(i).is_some_and(|t| t.ups > 0))
        .map(|&i| tables[i].upsert_sql(i, ns))
        .collect();
    let dels: Vec<String> = parents_first
        .iter()
        .rev()
        .filter(|i| b.tables.get(i).is_some_and(|t| t.dels > 0))
        .map(|&i| tables[i].delete_sql(i, ns))
        .collect();
    // A table carried whole: the rows it no longer has, children first.
    let stale: Vec<String> = parents_first
        .iter()
        .rev()
        .filter(|i| b.whole.contains(i))
        .map(|&i| tables[i].stale_sql(i, ns))
        .collect();
    let deletes_first: Vec<&String> = dels.iter().chain(&ups).chain(&stale).collect();
    let upserts_first: Vec<&String> = ups.iter().chain(&dels).chain(&stale).collect();
    super::failpoint("mid-apply");
    tx.batch_execute("SAVEPOINT pgbridge_apply").map_err(e)?;
    if let Err(first) = run_all(&mut tx, &deletes_first) {
        tx.batch_execute("ROLLBACK TO SAVEPOINT pgbridge_apply")
            .map_err(e)?;
        if run_all(&mut tx, &upserts_first).is_err() {
            return Err(e(first));
        }
    }
    super::failpoint("before-commit");
    tx.commit().map_err(e)?;
    Ok(Written::Applied(applied))
}

fn run_all(tx: &mut postgres::Transaction<'_>, sql: &[&String]) -> Result<(), postgres::Error> {
    sql.iter().try_for_each(|s| tx.batch_execute(s))
}

fn copy(
    tx: &mut postgres::Transaction<'_>,
    table: &str,
    cols: &str,
    data: &[u8],
    rows: u64,
) -> Result<(), String> {
    if rows == 0 {
        return Ok(());
    }
    let e = |e: postgres::Error| crate::load::pg_error_text(&e);
    let mut w = tx
        .copy_in(&format!("COPY {table} ({cols}) FROM STDIN (FORMAT binary)"))
        .map_err(e)?;
    for part in [wire::HEADER, data, wire::TRAILER] {
        w.write_all(part).map_err(|e| e.to_string())?;
    }
    let n = w.finish().map_err(e)?;
    if n != rows {
        return Err(format!("COPY wrote {n} rows where {rows} were sent"));
    }
    Ok(())
}
