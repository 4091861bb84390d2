//! verify: proves every value arrived, with canonical content digests
//! computed on both sides (see `docs/verify.md`).
//!
//! **Input**: the SQLite file, a connection to the target, the rule pack
//! and [`VerifyOptions`]. **Output**: one [`TableResult`] per table: the
//! digests of each side, and where they differ, the first differing
//! chunk, rows and columns.
//!
//! Row bytes are the concatenated canonical fields ([`canon`]) of the
//! loaded columns; rows are ordered by the key ([`sql::choose_key`]),
//! cut into chunks of [`CHUNK_ROWS`]; a chunk digest is SHA-256 of its
//! rows' bytes and the table digest SHA-256 of the chunk digests. The
//! PostgreSQL side runs [`sql::chunks_sql`], the query `04_validate.sql`
//! embeds; the SQLite side converts each value with the converter the
//! loader used.
mod spill;
mod views;

use crate::diag::{Diagnostic, Diagnostics, Stage};
use crate::digest::{CHUNK_ROWS, canon, sql};
use crate::load::verify_plan::{self, PlannedTable};
use crate::load::{Connector, plan};
use crate::progress::Progress;
use crate::rewrite::RulePack;
use crate::rewrite::target::Target;
use crate::value::convert::{self, Value};
use sha2::{Digest as _, Sha256};
use sql::{Order, VTable};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct VerifyOptions {
    pub compile: crate::CompileOptions,
    /// migrate's reject file: these rows are left out of the SQLite side.
    pub rejects: Option<PathBuf>,
    /// Plan from the source schema and rules even when migrate recorded
    /// its plan in the target.
    pub replan: bool,
    /// Hash the PostgreSQL side inside the server with the SQL of
    /// `04_validate.sql` instead of streaming the rows here.
    pub hash_in_server: bool,
}

/// One side's digests of a table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Digests {
    pub rows: u64,
    pub chunks: Vec<[u8; 32]>,
    /// Rows equal to the row before them (keyless tables).
    pub dups: u64,
}

impl Digests {
    /// SHA-256 of the chunk digests, hex.
    pub fn table_digest(&self) -> String {
        let mut h = Sha256::new();
        for c in &self.chunks {
            h.update(c);
        }
        hex::encode(h.finalize())
    }

    /// `digest <table> rows=N chunks=C sha256=H`, as `04_validate.sql` prints.
    /// `digest <table> rows=… chunks=… sha256=…`, the name on one line with
    /// its line breaks and control characters escaped — exactly the line
    /// `04_validate.sql` prints.
    pub fn line(&self, table: &str) -> String {
        format!(
            "digest {} rows={} chunks={} sha256={}",
            crate::ident::escape_text(table),
            self.rows,
            self.chunks.len(),
            self.table_digest()
        )
    }
}

/// Builds one side's [`Digests`] from its rows' canonical bytes, in
/// order: counts them, cuts chunks of [`CHUNK_ROWS`], and for a keyless
/// table counts rows equal to the one before.
struct Chunker {
    d: Digests,
    h: Sha256,
    keyless: bool,
    prev: Vec<u8>,
}

impl Chunker {
    fn new(keyless: bool) -> Chunker {
        Chunker {
            d: Digests::default(),
            h: Sha256::new(),
            keyless,
            prev: Vec::new(),
        }
    }

    fn row(&mut self, bytes: &[u8]) {
        self.h.update(bytes);
        self.d.rows += 1;
        if self.keyless {
            if self.d.rows > 1 && self.prev == bytes {
                self.d.dups += 1;
            } else {
                self.prev.clear();
                self.prev.extend_from_slice(bytes);
            }
        }
        if self.d.rows.is_multiple_of(CHUNK_ROWS) {
            let c = std::mem::take(&mut self.h).finalize();
            self.d.chunks.push(c.into());
        }
    }

    fn finish(mut self) -> Digests {
        if !self.d.rows.is_multiple_of(CHUNK_ROWS) {
            self.d.chunks.push(self.h.finalize().into());
        }
        self.d
    }
}

#[derive(Debug, Clone)]
pub struct TableResult {
    /// PostgreSQL table or view.
    pub table: String,
    /// SQLite table or view.
    pub source: String,
    /// A view: SQLite's view evaluated against its translation, rows
    /// compared as a multiset.
    pub view: bool,
    pub keyed: bool,
    pub sqlite: Digests,
    pub pg: Digests,
    pub sqlite_s: f64,
    pub pg_s: f64,
    /// Rows listed in the reject file: "rowid N" / "row N".
    pub rejected: Vec<String>,
    /// Rows that do not convert and are not in the reject file.
    pub unconvertible: Vec<String>,
    /// What differs, localised (first differing chunk, rows, columns).
    pub differences: Vec<String>,
}

impl TableResult {
    pub fn matches(&self) -> bool {
        self.sqlite == self.pg && self.unconvertible.is_empty() && self.differences.is_empty()
    }

    /// `table` or `view`.
    /// The table's name and what differs in it, escaped for one line.
    pub fn named_difference(&self) -> String {
        format!(
            "{} ({})",
            crate::ident::escape_text(&self.table),
            crate::ident::escape_text(&self.differences.join("; "))
        )
    }

    pub fn kind(&self) -> &'static str {
        if self.view { "view" } else { "table" }
    }

    /// A view's result, nothing hashed yet.
    fn view(v: &verify_plan::PlannedView) -> TableResult {
        TableResult {
            table: v.name.clone(),
            source: v.source.clone(),
            view: true,
            keyed: false,
            sqlite: Digests::default(),
            pg: Digests::default(),
            sqlite_s: 0.0,
            pg_s: 0.0,
            rejected: Vec::new(),
            unconvertible: Vec::new(),
            differences: Vec::new(),
        }
    }
}

impl From<&TableResult> for crate::load::VerifiedTable {
    fn from(t: &TableResult) -> Self {
        crate::load::VerifiedTable {
            name: t.table.clone(),
            source: t.source.clone(),
            kind: t.kind().into(),
            matches: t.matches(),
            rows_sqlite: t.sqlite.rows,
            rows_postgres: t.pg.rows,
            sha256: t.pg.table_digest(),
            sha256_sqlite: t.sqlite.table_digest(),
            chunks: t.pg.chunks.len(),
            rejected: t.rejected.len(),
            unconvertible: t.unconvertible.len(),
            seconds: t.sqlite_s.max(t.pg_s),
            differences: t.differences.clone(),
        }
    }
}

/// What a verify found, and how it planned.
#[derive(Debug, Clone)]
pub struct Verified {
    pub tables: Vec<TableResult>,
    /// The PostgreSQL schema verified.
    pub schema: String,
    /// Converted with the plan migrate recorded (else planned afresh).
    pub recorded_plan: bool,
}

/// `pgbridge verify --report FILE`: the proof, for the audit trail.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifyReport {
    pub pgbridge_version: String,
    /// `match` or `differ`.
    pub status: String,
    pub source: crate::load::SourceInfo,
    /// The target URL without its password.
    pub target: String,
    pub schema: String,
    /// `recorded` (migrate's plan) or `replanned` (from the source schema and rules).
    pub plan: String,
    pub seconds: f64,
    pub tables: Vec<crate::load::VerifiedTable>,
    pub diagnostics: Vec<Diagnostic>,
}

fn verr(code: &str, msg: impl Into<String>) -> Box<Diagnostic> {
    Box::new(Diagnostic::error(Stage::Load, code, msg))
}

fn pg_fail(what: &'static str) -> impl Fn(postgres::Error) -> Box<Diagnostic> {
    move |e| {
        verr(
            "target-failed",
            format!("{what}: {}", crate::load::pg_error_text(&e)),
        )
    }
}

/// Rows of migrate's reject file, per SQLite table.
#[derive(Default)]
struct Rejects {
    rowids: HashMap<String, HashSet<i64>>,
    row_numbers: HashMap<String, HashSet<u64>>,
}

fn read_rejects(path: &Path) -> Result<Rejects, Box<Diagnostic>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        verr(
            "rejects-unreadable",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    let mut r = Rejects::default();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| {
            verr(
                "rejects-unreadable",
                format!("{} line {}: {e}", path.display(), i + 1),
            )
        })?;
        let Some(table) = v["table"].as_str() else {
            continue;
        };
        if let Some(id) = v["rowid"].as_i64() {
            r.rowids.entry(table.to_string()).or_default().insert(id);
        } else if let Some(n) = v["row_number"].as_u64() {
            r.row_numbers
                .entry(table.to_string())
                .or_default()
                .insert(n);
        }
    }
    Ok(r)
}

/// A key value on the Rust side, ordered like the PostgreSQL side.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum KeyPart {
    Int(i64),
    Bytes(Vec<u8>),
}

/// One converted row.
struct Row {
    /// The ordering key (the row bytes for a keyless table).
    key: Vec<KeyPart>,
    bytes: Vec<u8>,
    /// Field boundaries in `bytes`.
    fields: Vec<(usize, usize)>,
    display: Vec<String>,
}

/// How the SQLite side reads a table.
struct Reader<'a> {
    t: &'a VTable,
    rowid: Option<String>,
    rejected_rowids: Option<&'a HashSet<i64>>,
    rejected_numbers: Option<&'a HashSet<u64>>,
    /// A `WHERE` clause reading one key range, or empty.
    filter: String,
}

/// What one pass over the SQLite table produced besides rows.
#[derive(Default)]
struct Pass {
    rejected: Vec<String>,
    unconvertible: Vec<String>,
}

fn display(v: &Value<'_>) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => convert::float_text(*f),
        Value::Numeric(s) => s.to_string(),
        Value::Text(s) => format!("{s:?}"),
        Value::Bytes(b) => format!("\\x{}", hex::encode(&b[..b.len().min(64)])),
        Value::Bool(b) => b.to_string(),
        Value::Json(s) => s.to_string(),
        Value::Uuid(u) => crate::value::wire::uuid_text(u),
        Value::Micros(m) => micros_text(*m),
        Value::Date(d) => {
            let (y, mo, da) = convert::civil_from_days(i64::from(*d));
            format!("{y:04}-{mo:02}-{da:02}")
        }
        Value::Floats(b) => format!("{} float32 values", b.len() / 4),
    }
}

fn micros_text(m: i64) -> String {
    let days = m.div_euclid(convert::MICROS_PER_DAY);
    let rest = m.rem_euclid(convert::MICROS_PER_DAY);
    let (y, mo, d) = convert::civil_from_days(days);
    let s = rest / 1_000_000;
    let us = rest % 1_000_000;
    format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02}.{us:06} UTC",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

impl<'a> Reader<'a> {
    fn new(t: &'a VTable, rowid: &Option<String>, rejects: &'a Rejects) -> Reader<'a> {
        Reader {
            t,
            rowid: rowid.clone(),
            rejected_rowids: rejects.rowids.get(&t.source),
            rejected_numbers: rejects.row_numbers.get(&t.source),
            filter: String::new(),
        }
    }

    /// The same table, rows matching `filter` (a `WHERE` clause) only.
    fn range(&self, filter: String) -> Reader<'a> {
        Reader {
            filter,
            rowid: self.rowid.clone(),
            ..*self
        }
    }

    fn select(&self, ordered: bool) -> String {
        let mut cols: Vec<String> = Vec::new();
        cols.push(self.rowid.clone().unwrap_or_else(|| "NULL".into()));
        cols.extend(
            self.t
                .columns
                .iter()
                .map(|c| plan::quote_ident_always(&c.source)),
        );
        let mut q = format!(
            "SELECT {} FROM {}",
            cols.join(", "),
            plan::quote_ident_always(&self.t.source)
        );
        q.push_str(&self.filter);
        if ordered {
            let terms: Vec<String> = self
                .t
                .key
                .iter()
                .map(|&(i, o)| {
                    let c = plan::quote_ident_always(&self.t.columns[i].source);
                    match o {
                        Order::Int => c,
                        // Bytewise, as PostgreSQL orders them (text and uuid text).
                        Order::Text | Order::Bytes => format!("{c} COLLATE BINARY"),
                    }
                })
                .collect();
            q.push_str(&format!(" ORDER BY {}", terms.join(", ")));
        }
        q
    }

    /// Whether SQLite's `ORDER BY` may give the PostgreSQL order (checked
    /// row by row while streaming).
    fn can_stream(&self) -> bool {
        !self.t.key.is_empty()
            && self.t.key.iter().all(|&(i, o)| match o {
                Order::Int => true,
                Order::Text => {
                    matches!(
                        self.t.columns[i].converter,
                        crate::ir::pg::Converter::Text
                            | crate::ir::pg::Converter::AnyText
                            | crate::ir::pg::Converter::Json
                            | crate::ir::pg::Converter::UuidText
                    ) && !self.t.columns[i].bpchar
                }
                // A uuid's bytes order like its lowercase text, or its blob.
                Order::Bytes => matches!(
                    self.t.columns[i].converter,
                    crate::ir::pg::Converter::UuidText | crate::ir::pg::Converter::UuidBlob
                ),
            })
    }

    /// Convert every row in `ordered` (SQLite ORDER BY) or natural order,
    /// calling `f` with each converted row; `f` returns false to stop.
    fn pass(
        &self,
        conn: &rusqlite::Connection,
        ordered: bool,
        detail: bool,
        out: &mut Pass,
        f: &mut dyn FnMut(&mut Row) -> bool,
    ) -> rusqlite::Result<()> {
        let mut stmt = conn.prepare(&self.select(ordered))?;
        let mut rows = stmt.query([])?;
        let mut number = 0u64;
        let mut scratch = Vec::new();
        let mut row = Row {
            key: Vec::new(),
            bytes: Vec::with_capacity(256),
            fields: Vec::with_capacity(self.t.columns.len()),
            display: Vec::new(),
        };
        while let Some(r) = rows.next()? {
            number += 1;
            let rowid: Option<i64> = r.get_ref(0)?.as_i64().ok();
            let rejected = match rowid {
                Some(id) => self.rejected_rowids.is_some_and(|s| s.contains(&id)),
                None => self.rejected_numbers.is_some_and(|s| s.contains(&number)),
            };
            let at = || match rowid {
                Some(id) => format!("rowid {id}"),
                None => format!("row {number}"),
            };
            if rejected {
                out.rejected.push(at());
                continue;
            }
            row.key.clear();
            row.bytes.clear();
            row.fields.clear();
            row.display.clear();
            let mut failed = None;
            for (i, c) in self.t.columns.iter().enumerate() {
                let v = r.get_ref(i + 1)?;
                let start = row.bytes.len();
                let res = convert::convert(c.converter, v).and_then(|x| {
                    canon::field(&mut row.bytes, &x, c.wire, c.bpchar, &mut scratch)?;
                    if detail {
                        row.display.push(display(&x));
                    }
                    if let Some(&(_, o)) = self.t.key.iter().find(|k| k.0 == i) {
                        row.key.push(match (o, &x) {
                            (Order::Int, Value::Int(n)) => KeyPart::Int(*n),
                            (Order::Text, _) => KeyPart::Bytes(row.bytes[start + 4..].to_vec()),
                            _ => KeyPart::Bytes(row.bytes[start..].to_vec()),
                        });
                    }
                    Ok(())
                });
                if let Err(e) = res {
                    failed = Some(format!(
                        "{}, column {}: cannot convert {}: {}",
                        at(),
                        c.source,
                        crate::load::preview_value(v),
                        e.reason
                    ));
                    break;
                }
                row.fields.push((start, row.bytes.len()));
            }
            if let Some(msg) = failed {
                out.unconvertible.push(msg);
                continue;
            }
            if self.t.key.is_empty() {
                row.key.push(KeyPart::Bytes(row.bytes.clone()));
            }
            if !f(&mut row) {
                break;
            }
        }
        Ok(())
    }

    /// Every row in the PostgreSQL order: streamed when SQLite's order is
    /// proven equal row by row, else read whole and sorted.
    fn each(
        &self,
        conn: &rusqlite::Connection,
        detail: bool,
        f: &mut dyn FnMut(u64, &Row) -> bool,
    ) -> rusqlite::Result<Pass> {
        if self.can_stream() {
            let mut out = Pass::default();
            let mut prev: Option<Vec<KeyPart>> = None;
            let mut n = 0u64;
            let mut in_order = true;
            let mut stopped = false;
            self.pass(conn, true, detail, &mut out, &mut |row| {
                if prev.as_ref().is_some_and(|p| *p >= row.key) {
                    in_order = false;
                    return false;
                }
                let go = f(n, row);
                n += 1;
                match &mut prev {
                    Some(p) => p.clone_from(&row.key),
                    None => prev = Some(row.key.clone()),
                }
                if !go {
                    stopped = true;
                }
                go
            })?;
            if in_order || stopped {
                return Ok(out);
            }
            // SQLite's order is not PostgreSQL's: the caller must start over.
            return Err(rusqlite::Error::InvalidQuery);
        }
        self.sorted(conn, detail, f)
    }

    fn sorted(
        &self,
        conn: &rusqlite::Connection,
        detail: bool,
        f: &mut dyn FnMut(u64, &Row) -> bool,
    ) -> rusqlite::Result<Pass> {
        let io = |e: std::io::Error| rusqlite::Error::ToSqlConversionFailure(Box::new(e));
        let mut out = Pass::default();
        let mut sorter = spill::Sorter::new(spill::budget());
        let mut failed = None;
        self.pass(conn, false, detail, &mut out, &mut |row| {
            let held = Row {
                key: std::mem::take(&mut row.key),
                bytes: row.bytes.clone(),
                fields: row.fields.clone(),
                display: std::mem::take(&mut row.display),
            };
            match sorter.push(held) {
                Ok(()) => true,
                Err(e) => {
                    failed = Some(e);
                    false
                }
            }
        })?;
        if let Some(e) = failed {
            return Err(io(e));
        }
        sorter.finish(f).map_err(io)?;
        Ok(out)
    }
}

/// The SQLite side of one table: a large integer-key table as two
/// key ranges at once when `second` can read the same state
/// ([`SecondSource`]), else in one pass.
fn sqlite_side(
    conn: &rusqlite::Connection,
    second: &mut SecondSource<'_>,
    r: &Reader<'_>,
) -> rusqlite::Result<(Digests, Pass)> {
    if let Some(split) = sqlite_split(conn, second, r)? {
        return Ok(split);
    }
    let run = |sorted: bool| sqlite_pass(conn, r, sorted, false).map(|(d, p, _)| (d, p));
    match run(false) {
        Err(rusqlite::Error::InvalidQuery) => run(true),
        other => other,
    }
}

/// One pass of the SQLite side; with `ends`, also its first and last key
/// (for joining halves: a copy of every row's key).
fn sqlite_pass(
    conn: &rusqlite::Connection,
    r: &Reader<'_>,
    sorted: bool,
    ends: bool,
) -> rusqlite::Result<(Digests, Pass, [Vec<KeyPart>; 2])> {
    let mut c = Chunker::new(r.t.key.is_empty());
    let mut keys: [Vec<KeyPart>; 2] = Default::default();
    let mut f = |n: u64, row: &Row| {
        c.row(&row.bytes);
        if ends {
            if n == 0 {
                keys[0].clone_from(&row.key);
            }
            keys[1].clone_from(&row.key);
        }
        true
    };
    let pass = if sorted {
        r.sorted(conn, false, &mut f)?
    } else {
        r.each(conn, false, &mut f)?
    };
    Ok((c.finish(), pass, keys))
}

/// A second read-only connection to the source for split reads, opened
/// at the first table that splits and kept in a read transaction. Only
/// for a file not in WAL mode: there the first connection's read
/// transaction holds a shared lock that keeps every writer from
/// committing, so both see the same rows; WAL readers may not.
struct SecondSource<'p> {
    path: Option<&'p Path>,
    extensions: &'p [std::path::PathBuf],
    conn: Option<rusqlite::Connection>,
}

impl<'p> SecondSource<'p> {
    fn new(
        first: &rusqlite::Connection,
        path: &'p Path,
        extensions: &'p [std::path::PathBuf],
    ) -> SecondSource<'p> {
        let mode: String = first
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap_or_default();
        SecondSource {
            path: (!mode.is_empty() && !mode.eq_ignore_ascii_case("wal")).then_some(path),
            extensions,
            conn: None,
        }
    }

    /// The connection, in its read transaction; none when it cannot be
    /// had (the caller reads in one pass).
    fn take(&mut self) -> Option<rusqlite::Connection> {
        if self.conn.is_none() {
            let c = crate::source::live::open_read_only(self.path?, self.extensions).ok()?;
            c.execute_batch("BEGIN").ok()?;
            self.conn = Some(c);
        }
        self.conn.take()
    }
}

/// Reads a large integer-key rowid table as two key ranges at
/// once, split at the key starting the middle chunk. `None` when the
/// table does not qualify (no rows rejected in it, at least
/// [`SPLIT_ROWS`] rows), when there is no second connection, or when the
/// halves do not join up exactly (then the caller reads in one pass).
fn sqlite_split(
    conn: &rusqlite::Connection,
    second: &mut SecondSource<'_>,
    r: &Reader<'_>,
) -> rusqlite::Result<Option<(Digests, Pass)>> {
    if r.t.key.is_empty() || r.t.key.iter().any(|&(_, o)| o != Order::Int) {
        return Ok(None);
    }
    if second.path.is_none()
        || r.rowid.is_none()
        || r.rejected_numbers.is_some()
        || r.rejected_rowids.is_some_and(|s| !s.is_empty())
    {
        return Ok(None);
    }
    let t = plan::quote_ident_always(&r.t.source);
    let k: Vec<String> =
        r.t.key
            .iter()
            .map(|&(i, _)| plan::quote_ident_always(&r.t.columns[i].source))
            .collect();
    // Also takes this connection's shared lock before the second reads.
    let rows: i64 = conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |x| x.get(0))?;
    if rows < SPLIT_ROWS {
        return Ok(None);
    }
    let at = rows / 2 / CHUNK_ROWS as i64 * CHUNK_ROWS as i64;
    let cols = k.join(", ");
    let b: Option<Vec<i64>> = conn.query_row(
        &format!("SELECT {cols} FROM {t} ORDER BY {cols} LIMIT 1 OFFSET {at}"),
        [],
        |x| {
            Ok((0..k.len())
                .map(|i| x.get_ref(i).ok()?.as_i64().ok())
                .collect())
        },
    )?;
    let (Some(b), Some(c2)) = (b, second.take()) else {
        return Ok(None);
    };
    let (k, b) = (sql::row_value(&k), sql::row_value(&b));
    let lo = r.range(format!(" WHERE {k} < {b}"));
    let hi = r.range(format!(" WHERE {k} >= {b}"));
    let (l, (c2, h)) = std::thread::scope(|s| {
        let h = s.spawn(|| {
            let h = sqlite_pass(&c2, &hi, false, true);
            (c2, h)
        });
        let l = sqlite_pass(conn, &lo, false, true);
        (l, h.join().expect("the second SQLite range"))
    });
    second.conn = Some(c2);
    // Out of order, or an error: read in one pass, which says which.
    let (Ok((ld, mut lp, [_, l_last])), Ok((hd, hp, [h_first, _]))) = (l, h) else {
        return Ok(None);
    };
    // Every row in one of the halves (none has a NULL or non-integer key
    // that neither range selects), in key order across the split.
    let seen = ld.rows + hd.rows + (lp.unconvertible.len() + hp.unconvertible.len()) as u64;
    if ld.rows != at as u64 || seen != rows as u64 || (ld.rows > 0 && l_last >= h_first) {
        return Ok(None);
    }
    lp.rejected.extend(hp.rejected);
    lp.unconvertible.extend(hp.unconvertible);
    Ok(Some((concat(ld, hd), lp)))
}

/// The PostgreSQL side of one table, hashed in the server ([`sql::chunks_sql`]).
fn pg_side(
    client: &mut postgres::Transaction<'_>,
    t: &VTable,
    from: &str,
) -> Result<Digests, String> {
    let rows = client
        .query(&sql::chunks_sql(t, from), &[])
        .map_err(|e| crate::load::pg_error_text(&e))?;
    let mut d = Digests::default();
    for r in rows {
        d.rows += r.get::<_, i64>(1) as u64;
        let digest: Vec<u8> = r.get(2);
        d.chunks.push(digest.try_into().unwrap_or([0; 32]));
        d.dups += r.get::<_, i64>(3) as u64;
    }
    Ok(d)
}

/// A field's bytes as the server sent them (binary format), any type.
struct RawField<'a>(&'a [u8]);

impl<'a> postgres::types::FromSql<'a> for RawField<'a> {
    fn from_sql(
        _: &postgres::types::Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(RawField(raw))
    }
    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }
}

/// Rows fetched per round trip on the PostgreSQL side.
const FETCH_ROWS: i32 = 5_000;

/// Tables with an integer key (one column or several) and at least this
/// many rows are read as two ranges over two connections at once.
const SPLIT_ROWS: i64 = 2 * CHUNK_ROWS as i64;

/// Which rows of a table one fetch covers.
#[derive(Debug, Clone)]
enum Range {
    All,
    /// Key below the value (an integer key's values).
    Below(Vec<i64>),
    /// Key at or above the value.
    From(Vec<i64>),
}

/// Which rows of a table one fetch covers, and in which order.
#[derive(Debug, Clone)]
enum Scan {
    /// `ORDER BY` the key, over the whole table or a key range.
    Key(Range),
    /// In the order the rows are stored, over the whole table or a
    /// `ctid` range (a `WHERE` clause, or empty): no index scan, and key
    /// order when the table was loaded in it, which the fetch checks row
    /// by row.
    Heap(String),
}

/// One fetch's digests, with the first and last key of a heap scan.
struct Fetched {
    d: Digests,
    first: Vec<KeyPart>,
    last: Vec<KeyPart>,
}

/// The key of a fetched row: `row` holds the length-prefixed fields,
/// field `i` at `fields[i]..fields[i + 1]`. False when a key field is
/// not what its order expects (then the order cannot be checked).
fn fetched_key(t: &VTable, row: &[u8], fields: &[usize], out: &mut Vec<KeyPart>) -> bool {
    out.clear();
    for &(i, o) in &t.key {
        let (s, e) = (fields[i], fields[i + 1]);
        out.push(match o {
            Order::Int => {
                let b = &row[s + 4..e];
                KeyPart::Int(match b.len() {
                    2 => i16::from_be_bytes([b[0], b[1]]).into(),
                    4 => i32::from_be_bytes([b[0], b[1], b[2], b[3]]).into(),
                    8 => i64::from_be_bytes(b.try_into().expect("eight bytes")),
                    _ => return false,
                })
            }
            Order::Text => KeyPart::Bytes(row[s + 4..e].to_vec()),
            Order::Bytes => KeyPart::Bytes(row[s..e].to_vec()),
        });
    }
    true
}

/// The PostgreSQL side of one table (or a range of it), hashed here: the
/// columns ([`sql::select_sql`]) fetched in binary format through a
/// portal, each field length-prefixed as canonical bytes. A heap scan
/// gives up (`None`, and sets `give_up` for its sibling range) at the
/// first row out of key order, or when `give_up` is set.
fn pg_side_fetch(
    tx: &mut postgres::Transaction<'_>,
    t: &VTable,
    from: &str,
    scan: &Scan,
    give_up: &AtomicBool,
) -> Result<Option<Fetched>, String> {
    let pe = |e: postgres::Error| crate::load::pg_error_text(&e);
    let keys = sql::int_keys(t).map(|k| sql::row_value(&k));
    let range = |op: &str, b: &[i64]| {
        let k = keys.as_deref().expect("key ranges have an integer key");
        format!(" WHERE {k} {op} {}", sql::int8_params(b.len()))
    };
    let (query, bound): (String, &[i64]) = match scan {
        Scan::Key(Range::Below(b)) => (sql::select_sql(t, from, &range("<", b)), b),
        Scan::Key(Range::From(b)) => (sql::select_sql(t, from, &range(">=", b)), b),
        Scan::Key(Range::All) => (sql::select_sql(t, from, ""), &[]),
        Scan::Heap(filter) => (sql::heap_select_sql(t, from, filter), &[]),
    };
    let check = matches!(scan, Scan::Heap(_));
    let stmt = tx.prepare(&query).map_err(pe)?;
    let params: Vec<&(dyn postgres::types::ToSql + Sync)> = bound.iter().map(|b| b as _).collect();
    let portal = tx.bind(&stmt, &params).map_err(pe)?;
    let mut c = Chunker::new(t.key.is_empty());
    let mut row: Vec<u8> = Vec::with_capacity(256);
    let mut fields: Vec<usize> = Vec::with_capacity(t.columns.len() + 1);
    let (mut first, mut prev, mut cur) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        if check && give_up.load(AtomicOrdering::Relaxed) {
            return Ok(None);
        }
        let batch = tx.query_portal(&portal, FETCH_ROWS).map_err(pe)?;
        if batch.is_empty() {
            break;
        }
        for r in &batch {
            row.clear();
            fields.clear();
            for i in 0..r.len() {
                fields.push(row.len());
                match r.try_get::<_, Option<RawField<'_>>>(i).map_err(pe)? {
                    Some(RawField(b)) => {
                        row.extend_from_slice(&(b.len() as i32).to_be_bytes());
                        row.extend_from_slice(b);
                    }
                    None => row.extend_from_slice(&(-1i32).to_be_bytes()),
                }
            }
            fields.push(row.len());
            if check {
                let known = fetched_key(t, &row, &fields, &mut cur);
                if !known || (c.d.rows > 0 && prev >= cur) {
                    give_up.store(true, AtomicOrdering::Relaxed);
                    return Ok(None);
                }
                if c.d.rows == 0 {
                    first.clone_from(&cur);
                }
                std::mem::swap(&mut prev, &mut cur);
            }
            c.row(&row);
        }
    }
    Ok(Some(Fetched {
        d: c.finish(),
        first,
        last: prev,
    }))
}

/// Two ranges of one table at once, `lo` here and `hi` over `tx2`.
fn fetch_two(
    tx: &mut postgres::Transaction<'_>,
    tx2: &mut postgres::Transaction<'_>,
    t: &VTable,
    from: &str,
    lo: Scan,
    hi: Scan,
) -> Result<(Option<Fetched>, Option<Fetched>), String> {
    let give_up = AtomicBool::new(false);
    let (lo, hi) = std::thread::scope(|s| {
        let h = s.spawn(|| pg_side_fetch(tx2, t, from, &hi, &give_up));
        let l = pg_side_fetch(tx, t, from, &lo, &give_up);
        (l, h.join().expect("the second PostgreSQL range"))
    });
    Ok((lo?, hi?))
}

/// Two consecutive ranges' digests as one: the first ends on a chunk
/// boundary.
fn concat(mut lo: Digests, hi: Digests) -> Digests {
    lo.rows += hi.rows;
    lo.dups += hi.dups;
    lo.chunks.extend(hi.chunks);
    lo
}

/// Where to split a large integer-key table: the key of row `n` in key
/// order, `n` a whole number of chunks near the middle, so the two
/// ranges' chunk digests simply concatenate.
fn split_point(
    tx: &mut postgres::Transaction<'_>,
    t: &VTable,
    from: &str,
) -> Result<Option<Vec<i64>>, String> {
    let pe = |e: postgres::Error| crate::load::pg_error_text(&e);
    let Some(k) = sql::int_keys(t) else {
        return Ok(None);
    };
    let est: f64 = tx
        .query_one(
            "SELECT reltuples::float8 FROM pg_class WHERE oid = $1::text::regclass",
            &[&from],
        )
        .map_err(pe)?
        .get(0);
    let rows = if est >= 0.0 {
        est as i64
    } else {
        tx.query_one(&format!("SELECT count(*) FROM {from} AS t"), &[])
            .map_err(pe)?
            .get(0)
    };
    if rows < SPLIT_ROWS {
        return Ok(None);
    }
    let at = rows / 2 / CHUNK_ROWS as i64 * CHUNK_ROWS as i64;
    let cols: Vec<String> = k.iter().map(|c| format!("{c}::int8")).collect();
    Ok(tx
        .query_opt(
            &format!(
                "SELECT {} FROM {from} AS t ORDER BY {} OFFSET {at} LIMIT 1",
                cols.join(", "),
                k.join(", ")
            ),
            &[],
        )
        .map_err(pe)?
        .map(|r| (0..k.len()).map(|i| r.get(i)).collect()))
}

/// A read-only repeatable-read transaction; with `snapshot`, on that
/// exported snapshot (so two connections see the same rows).
fn snapshot_tx<'a>(
    client: &'a mut postgres::Client,
    snapshot: Option<&str>,
) -> Result<postgres::Transaction<'a>, String> {
    let pe = |e: postgres::Error| crate::load::pg_error_text(&e);
    let mut tx = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(pe)?;
    if let Some(s) = snapshot {
        tx.batch_execute(&format!(
            "SET TRANSACTION SNAPSHOT {}",
            crate::ident::quote_literal(s)
        ))
        .map_err(pe)?;
    }
    Ok(tx)
}

type PgResults = Vec<(Result<Digests, String>, f64)>;

/// The second connection of split fetches, on the first one's exported
/// snapshot; opened at the first table that splits.
type Second = Option<(postgres::Client, String)>;

/// The PostgreSQL side of every table, in one snapshot: hashed in the
/// server, or fetched and hashed here (see [`pg_table`]).
fn pg_sides(
    client: &mut postgres::Client,
    connect: Connector<'_>,
    tables: &[PlannedTable],
    froms: &[String],
    in_server: bool,
) -> Result<PgResults, String> {
    let mut tx = snapshot_tx(client, None)?;
    let mut out = Vec::new();
    let mut second: Second = None;
    for (PlannedTable { table: t, .. }, from) in tables.iter().zip(froms) {
        let t0 = Instant::now();
        let r = if in_server {
            pg_side(&mut tx, t, from)
        } else {
            pg_table(&mut tx, &mut second, connect, t, from)
        };
        out.push((r, t0.elapsed().as_secs_f64()));
    }
    tx.commit().map_err(|e| crate::load::pg_error_text(&e))?;
    Ok(out)
}

/// One table fetched and hashed here. A keyed table none of whose rows
/// was updated is first read in stored order (a sequential scan), which
/// is key order when it was loaded in key order; at the first row out of
/// order it is read again with `ORDER BY` the key. A large integer-key
/// table is read as two ranges over two connections at once: halves of
/// the heap split at the row starting the middle chunk, else key ranges.
fn pg_table(
    tx: &mut postgres::Transaction<'_>,
    second: &mut Second,
    connect: Connector<'_>,
    t: &VTable,
    from: &str,
) -> Result<Digests, String> {
    let pe = |e: postgres::Error| crate::load::pg_error_text(&e);
    // Updated rows leave stored order (a new row version goes where
    // there is room), so a heap read of an updated table would likely
    // give up late; the statistics say whether any row was updated.
    let heap = !t.key.is_empty()
        && tx
            .query_one(
                "SELECT coalesce((SELECT n_tup_upd FROM pg_stat_user_tables \
                 WHERE relid = $1::text::regclass), 0)",
                &[&from],
            )
            .map_err(pe)?
            .get::<_, i64>(0)
            == 0;
    let Some(b) = split_point(tx, t, from)? else {
        if heap {
            let scan = Scan::Heap(String::new());
            if let Some(f) = pg_side_fetch(tx, t, from, &scan, &AtomicBool::new(false))? {
                return Ok(f.d);
            }
        }
        let all = Scan::Key(Range::All);
        let f = pg_side_fetch(tx, t, from, &all, &AtomicBool::new(false))?;
        return Ok(f.expect("a key-ordered fetch does not give up").d);
    };
    if second.is_none() {
        let snap: String = tx
            .query_one("SELECT pg_export_snapshot()", &[])
            .map_err(pe)?
            .get(0);
        let mut c = connect().map_err(|e| e.message)?;
        c.batch_execute("SET jit = off").map_err(pe)?;
        *second = Some((c, snap));
    }
    let (c2, snap) = second.as_mut().expect("opened above");
    let mut tx2 = snapshot_tx(c2, Some(snap.as_str()))?;
    let k = sql::int_keys(t).expect("split tables have an integer key");
    // The row starting the middle chunk, where the heap halves meet.
    let at: Option<String> = if heap {
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = b.iter().map(|v| v as _).collect();
        tx.query_opt(
            &format!(
                "SELECT t.ctid::text FROM {from} AS t WHERE {} = {}",
                sql::row_value(&k),
                sql::int8_params(b.len())
            ),
            &params,
        )
        .map_err(pe)?
        .map(|r| r.get(0))
    } else {
        None
    };
    let mut done = None;
    if let Some(at) = at {
        let tid = crate::ident::quote_literal(&at);
        let (lo, hi) = fetch_two(
            tx,
            &mut tx2,
            t,
            from,
            Scan::Heap(format!(" WHERE t.ctid < {tid}::tid")),
            Scan::Heap(format!(" WHERE t.ctid >= {tid}::tid")),
        )?;
        if let (Some(lo), Some(hi)) = (lo, hi) {
            // Each half is in key order; together they are when the
            // first ends below the split key and the second starts at it.
            let split: Vec<KeyPart> = b.iter().map(|&v| KeyPart::Int(v)).collect();
            if lo.last < split && hi.first == split && lo.d.rows.is_multiple_of(CHUNK_ROWS) {
                done = Some(concat(lo.d, hi.d));
            }
        }
    }
    let d = match done {
        Some(d) => d,
        None => {
            let (lo, hi) = fetch_two(
                tx,
                &mut tx2,
                t,
                from,
                Scan::Key(Range::Below(b.clone())),
                Scan::Key(Range::From(b)),
            )?;
            let key_ordered = "a key-ordered fetch does not give up";
            concat(lo.expect(key_ordered).d, hi.expect(key_ordered).d)
        }
    };
    tx2.commit().map_err(pe)?;
    Ok(d)
}

/// The tables to verify and where they live.
struct Planned {
    tables: Vec<PlannedTable>,
    views: Vec<verify_plan::PlannedView>,
    namespace: String,
    recorded: bool,
}

/// The plan the newest complete migrate run into `namespace` recorded,
/// if it still fits the target's catalog. `Err` carries why not (a note).
pub(crate) fn recorded_plan(
    ctl: &mut postgres::Client,
    namespace: &str,
) -> Result<Result<Recorded, String>, Box<Diagnostic>> {
    let has = ctl.query_one(
        "SELECT EXISTS (SELECT 1 FROM pg_attribute \
         WHERE attrelid = to_regclass('pgbridge.runs') AND attname = 'verify_plan' AND NOT attisdropped)",
        &[],
    );
    // A role that may not read the state (a read-only auditor) plans afresh.
    let unreadable = |e: postgres::Error| {
        format!(
            "the recorded runs cannot be read ({})",
            crate::load::pg_error_text(&e)
        )
    };
    let has: bool = match has {
        Ok(r) => r.get(0),
        Err(e) => return Ok(Err(unreadable(e))),
    };
    if !has {
        return Ok(Err("no migrate run is recorded in this database".into()));
    }
    let row = ctl
        .query_opt(
            "SELECT verify_plan::text, to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), \
                    coalesce(to_jsonb(r) -> 'verify_views', '[]')::text \
             FROM pgbridge.runs AS r \
             WHERE target_schema = $1 AND status = 'complete' AND verify_plan IS NOT NULL \
             ORDER BY finished_at DESC LIMIT 1",
            &[&namespace],
        );
    let row = match row {
        Ok(row) => row,
        Err(e) => return Ok(Err(unreadable(e))),
    };
    let Some(row) = row else {
        return Ok(Err(format!(
            "no complete migrate run into schema {namespace} is recorded"
        )));
    };
    let (text, at, views): (String, String, String) = (row.get(0), row.get(1), row.get(2));
    let tables: Vec<PlannedTable> = serde_json::from_str(&text).map_err(|e| {
        verr(
            "run-state-unreadable",
            format!("the plan recorded by the migrate run of {at} UTC cannot be read: {e}"),
        )
        .with_help("verify with --replan to plan from the source schema instead")
    })?;
    // A run before views were verified recorded none (JSON null).
    let views = serde_json::from_str::<Option<_>>(&views)
        .ok()
        .flatten()
        .unwrap_or_default();
    let catalog =
        plan::read_catalog(ctl, namespace).map_err(pg_fail("reading the target catalog"))?;
    for t in &tables {
        let Some(cols) = catalog.get(&t.table.name) else {
            return Ok(Err(format!(
                "the run of {at} UTC loaded table {}, which is no longer in schema {namespace}",
                t.table.name
            )));
        };
        for c in &t.table.columns {
            let now = cols
                .iter()
                .find(|k| k.name == c.name)
                .and_then(|k| crate::value::wire::Wire::from_catalog(&k.typname, k.typmod));
            if now != Some(c.wire) {
                return Ok(Err(format!(
                    "column {}.{} is not what the run of {at} UTC loaded",
                    t.table.name, c.name
                )));
            }
        }
    }
    Ok(Ok((tables, views)))
}

/// The tables and views a migrate run recorded.
pub(crate) type Recorded = (Vec<PlannedTable>, Vec<verify_plan::PlannedView>);

/// The tables to verify: the plan migrate recorded, else (or with
/// `--replan`) planned from the source schema and rules the way migrate
/// plans tables it creates.
fn plan_tables(
    stx: &rusqlite::Connection,
    source: &Path,
    ctl: &mut postgres::Client,
    pack: &RulePack,
    opts: &VerifyOptions,
    progress: &dyn Progress,
    diags: &mut Diagnostics,
) -> Result<Planned, Box<Diagnostic>> {
    let current = |ctl: &mut postgres::Client| -> Result<String, Box<Diagnostic>> {
        Ok(ctl
            .query_one("SELECT current_schema()::text", &[])
            .map_err(pg_fail("reading the current schema"))?
            .get(0))
    };
    if !opts.replan {
        let namespace = match &opts.compile.rewrite.namespace {
            Some(n) => n.clone(),
            None => current(ctl)?,
        };
        match recorded_plan(ctl, &namespace)? {
            Ok((tables, views)) => {
                diags.push(Diagnostic::note(
                    Stage::Load,
                    "verify-recorded-plan",
                    format!(
                        "converting as the last migrate run into schema {namespace} did (its recorded plan); --replan plans from the source schema and rules instead"
                    ),
                ));
                return Ok(Planned {
                    tables,
                    views,
                    namespace,
                    recorded: true,
                });
            }
            Err(why) => diags.push(Diagnostic::note(
                Stage::Load,
                "verify-replanned",
                format!("{why}: planning from the source schema and rules"),
            )),
        }
    }
    let (major, _, exts) = crate::load::read_server(ctl).map_err(pg_fail("reading the server"))?;
    let mut copts = opts.compile.clone();
    copts.rewrite.target = Target::new(major, &exts);
    copts.emit.bare = true;
    let unwrap = |e: crate::diag::Error| match e {
        crate::diag::Error::Diagnostic(d) => d,
        other => verr("source-unreadable", other.to_string()),
    };
    let (sqlite, d) =
        crate::source::live::read_with(stx, source, &copts.source, progress).map_err(unwrap)?;
    let compiled = crate::compile_schema(sqlite, d, pack, &copts).map_err(unwrap)?;
    diags.extend(compiled.diagnostics.clone());
    if diags.has_errors() {
        return Err(verr("compile-failed", "the schema did not compile"));
    }
    let namespace: String = match &compiled.pg.namespace {
        Some(n) => n.clone(),
        None => current(ctl)?,
    };
    let catalog =
        plan::read_catalog(ctl, &namespace).map_err(pg_fail("reading the target catalog"))?;
    let plans = plan::plan_created(&compiled.sqlite, &compiled.pg, &catalog).map_err(|d| {
        let first = d.0.first().cloned();
        diags.extend(d);
        Box::new(first.unwrap_or_else(|| Diagnostic::error(Stage::Load, "plan-failed", "no plan")))
    })?;
    Ok(Planned {
        tables: verify_plan::for_created(&plans, &compiled.pg),
        views: verify_plan::for_views(&compiled.pg),
        namespace,
        recorded: false,
    })
}

/// Verify every table (see the module docs). Errors are diagnostics;
/// differences are in the results.
pub fn verify(
    source: &Path,
    connect: Connector<'_>,
    pack: &RulePack,
    opts: &VerifyOptions,
    progress: &dyn Progress,
    diags: &mut Diagnostics,
) -> Result<Verified, Box<Diagnostic>> {
    let sconn = crate::source::live::open_read_only(source, &opts.compile.source.extensions)
        .map_err(|e| match e {
            crate::diag::Error::Diagnostic(d) => d,
            other => verr("source-unreadable", other.to_string()),
        })?;
    let stx = sconn
        .unchecked_transaction()
        .map_err(|e| verr("source-unreadable", e.to_string()))?;
    verify_in(&stx, source, connect, pack, opts, progress, diags)
}

/// [`verify`] with the SQLite side read in `stx`, a read transaction the
/// caller holds open: a cutover verifies the very snapshot it applied.
pub fn verify_in(
    stx: &rusqlite::Connection,
    source: &Path,
    connect: Connector<'_>,
    pack: &RulePack,
    opts: &VerifyOptions,
    progress: &dyn Progress,
    diags: &mut Diagnostics,
) -> Result<Verified, Box<Diagnostic>> {
    let rejects = match &opts.rejects {
        Some(p) => read_rejects(p)?,
        None => Rejects::default(),
    };
    let mut ctl = connect().map_err(|e| {
        let mut d = Diagnostic::error(Stage::Load, &e.code, e.message);
        if let Some(h) = e.help {
            d = d.with_help(h);
        }
        Box::new(d)
    })?;
    let planned = plan_tables(stx, source, &mut ctl, pack, opts, progress, diags)?;
    // JIT compiles the row expressions for every statement: slower here.
    ctl.batch_execute("SET jit = off")
        .map_err(pg_fail("setting up the session"))?;
    // Also read as `::regclass` text, which does not know `U&"…"`.
    let ns = crate::ident::quote_ident_raw(&planned.namespace);
    let froms: Vec<String> = planned
        .tables
        .iter()
        .map(|p| format!("{ns}.{}", crate::ident::quote_ident_raw(&p.table.name)))
        .collect();
    // PostgreSQL in a second thread, SQLite here.
    let (pg_results, sqlite_results) = std::thread::scope(|s| {
        let tables = &planned.tables;
        let froms = &froms;
        let client = &mut ctl;
        let in_server = opts.hash_in_server;
        let h = s.spawn(move || {
            pg_sides(client, connect, tables, froms, in_server)
                .unwrap_or_else(|e| tables.iter().map(|_| (Err(e.clone()), 0.0)).collect())
        });
        let mut sq = Vec::new();
        let mut second = SecondSource::new(stx, source, &opts.compile.source.extensions);
        let n = planned.tables.len();
        for (i, PlannedTable { table: t, rowid }) in planned.tables.iter().enumerate() {
            progress.step(&format!("hashing {} ({} of {n})", t.name, i + 1));
            let r = Reader::new(t, rowid, &rejects);
            let t0 = Instant::now();
            let res = sqlite_side(stx, &mut second, &r);
            sq.push((res, t0.elapsed().as_secs_f64()));
        }
        (h.join().expect("the PostgreSQL side"), sq)
    });
    let mut results = Vec::new();
    for (i, ((p, pg_side), sqlite_side)) in planned
        .tables
        .iter()
        .zip(pg_results)
        .zip(sqlite_results)
        .enumerate()
    {
        let sides = (pg_side, sqlite_side);
        results.push(table_result(stx, &mut ctl, p, &froms[i], &rejects, sides)?);
    }
    let views = views::verify_views(stx, &mut ctl, &planned.namespace, &planned.views, progress);
    results.extend(views);
    Ok(Verified {
        tables: results,
        schema: planned.namespace,
        recorded_plan: planned.recorded,
    })
}

/// One table's PostgreSQL digests (or why not) and seconds.
type PgSide = (Result<Digests, String>, f64);
/// One table's SQLite digests and pass (or why not) and seconds.
type SqliteSide = (rusqlite::Result<(Digests, Pass)>, f64);

/// One table's result: both sides' digests and times, and where they
/// differ, the drill-down ([`drill`]).
fn table_result(
    stx: &rusqlite::Connection,
    ctl: &mut postgres::Client,
    p: &PlannedTable,
    from: &str,
    rejects: &Rejects,
    sides: (PgSide, SqliteSide),
) -> Result<TableResult, Box<Diagnostic>> {
    let PlannedTable { table: t, rowid } = p;
    let ((pr, ps), (sr, ss)) = sides;
    let pg = pr.map_err(|e| {
        verr(
            "target-failed",
            format!("hashing table {} in PostgreSQL: {e}", t.name),
        )
    })?;
    let (sqlite, pass) = sr.map_err(|e| {
        verr(
            "source-unreadable",
            format!("reading table {}: {e}", t.source),
        )
    })?;
    let mut res = TableResult {
        table: t.name.clone(),
        source: t.source.clone(),
        view: false,
        keyed: !t.key.is_empty(),
        sqlite,
        pg,
        sqlite_s: ss,
        pg_s: ps,
        rejected: pass.rejected,
        unconvertible: pass.unconvertible,
        differences: Vec::new(),
    };
    if res.sqlite != res.pg {
        let r = Reader::new(t, rowid, rejects);
        res.differences = drill(stx, &r, ctl, from, &res)
            .unwrap_or_else(|e| vec![format!("could not localise the difference: {e}")]);
    }
    Ok(res)
}

/// A row of either side in the drill-down.
struct Seen {
    key_text: String,
    fields: Vec<Vec<u8>>,
    display: Vec<String>,
}

/// The first differing chunk, then its rows, then their columns.
fn drill(
    conn: &rusqlite::Connection,
    r: &Reader<'_>,
    client: &mut postgres::Client,
    from: &str,
    res: &TableResult,
) -> Result<Vec<String>, String> {
    let t = r.t;
    let c = (0..res.sqlite.chunks.len().max(res.pg.chunks.len()))
        .find(|&i| res.sqlite.chunks.get(i) != res.pg.chunks.get(i))
        .unwrap_or(0) as u64;
    let mut out = vec![format!(
        "first differing chunk: {c} (rows {} to {} in key order)",
        c * CHUNK_ROWS,
        (c + 1) * CHUNK_ROWS - 1
    )];
    let lo = c * CHUNK_ROWS;
    let hi = lo + 2 * CHUNK_ROWS;
    let s_rows = sqlite_window(conn, r, lo, hi)?;
    let p_rows = pg_window(client, t, from, lo, hi)?;
    differing_rows(t, &s_rows, &p_rows, lo + CHUNK_ROWS, &mut out);
    if res.sqlite.dups != res.pg.dups {
        out.push(format!(
            "duplicate rows: SQLite {} / PostgreSQL {}",
            res.sqlite.dups, res.pg.dups
        ));
    }
    Ok(out)
}

/// The SQLite side's rows `lo..hi` in key order, with their row numbers.
fn sqlite_window(
    conn: &rusqlite::Connection,
    r: &Reader<'_>,
    lo: u64,
    hi: u64,
) -> Result<Vec<(u64, Seen)>, String> {
    let t = r.t;
    let s_rows: std::cell::RefCell<Vec<(u64, Seen)>> = Default::default();
    let mut collect = |n: u64, row: &Row| {
        if n >= hi {
            return false;
        }
        if n >= lo {
            let fields: Vec<Vec<u8>> = row
                .fields
                .iter()
                .map(|&(a, b)| row.bytes[a..b].to_vec())
                .collect();
            let key_text = t
                .key
                .iter()
                .map(|&(i, _)| row.display[i].trim_matches('"').to_string())
                .collect::<Vec<_>>()
                .join(", ");
            s_rows.borrow_mut().push((
                n,
                Seen {
                    key_text,
                    fields,
                    display: row.display.clone(),
                },
            ));
        }
        true
    };
    match r.each(conn, true, &mut collect) {
        Err(rusqlite::Error::InvalidQuery) => {
            s_rows.borrow_mut().clear();
            r.sorted(conn, true, &mut collect)
        }
        other => other,
    }
    .map_err(|e| e.to_string())?;
    Ok(s_rows.into_inner())
}

/// The PostgreSQL side's rows `lo..hi` in key order ([`sql::rows_sql`]),
/// with their row numbers.
fn pg_window(
    client: &mut postgres::Client,
    t: &VTable,
    from: &str,
    lo: u64,
    hi: u64,
) -> Result<Vec<(u64, Seen)>, String> {
    let n = t.columns.len();
    let rows = client
        .query(&sql::rows_sql(t, from), &[&(lo as i64), &(hi as i64)])
        .map_err(|e| crate::load::pg_error_text(&e))?;
    Ok(rows
        .iter()
        .map(|row| {
            let fields: Vec<Vec<u8>> = (0..n).map(|i| row.get(2 + i)).collect();
            let display: Vec<String> = (0..n)
                .map(|i| {
                    row.get::<_, Option<String>>(2 + n + i)
                        .unwrap_or_else(|| "NULL".into())
                })
                .collect();
            (
                row.get::<_, i64>(0) as u64,
                Seen {
                    key_text: row.get(1),
                    fields,
                    display,
                },
            )
        })
        .collect())
}

/// Up to 20 differences between the two windows, matched by key (by the
/// whole row for a keyless table): rows missing on one side (only those
/// numbered below `chunk_end`, the window's second chunk is context), and
/// per column the values that differ.
fn differing_rows(
    t: &VTable,
    s_rows: &[(u64, Seen)],
    p_rows: &[(u64, Seen)],
    chunk_end: u64,
    out: &mut Vec<String>,
) {
    const LIMIT: usize = 20;
    let ident_of = |fields: &[Vec<u8>]| -> Vec<u8> {
        if t.key.is_empty() {
            fields.concat()
        } else {
            t.key.iter().flat_map(|&(i, _)| fields[i].clone()).collect()
        }
    };
    let s_map: BTreeMap<Vec<u8>, &Seen> = s_rows
        .iter()
        .map(|(_, s)| (ident_of(&s.fields), s))
        .collect();
    let p_map: BTreeMap<Vec<u8>, &Seen> = p_rows
        .iter()
        .map(|(_, s)| (ident_of(&s.fields), s))
        .collect();
    let in_chunk = |n: u64| n < chunk_end;
    let label = |s: &Seen| {
        if t.key.is_empty() {
            format!("row ({})", s.display.join(", "))
        } else {
            format!("key ({})", s.key_text)
        }
    };
    let mut found = 0;
    for (nr, s) in s_rows {
        if found >= LIMIT {
            break;
        }
        let id = ident_of(&s.fields);
        match p_map.get(&id) {
            None if in_chunk(*nr) => {
                out.push(format!("{}: in SQLite, missing in PostgreSQL", label(s)));
                found += 1;
            }
            Some(p) if p.fields != s.fields => {
                for i in 0..t.columns.len() {
                    if p.fields[i] != s.fields[i] {
                        out.push(format!(
                            "{} column {}: SQLite {} / PostgreSQL {}",
                            label(s),
                            t.columns[i].name,
                            s.display[i],
                            p.display[i]
                        ));
                    }
                }
                found += 1;
            }
            _ => {}
        }
    }
    for (nr, p) in p_rows {
        if found >= LIMIT {
            break;
        }
        if in_chunk(*nr) && !s_map.contains_key(&ident_of(&p.fields)) {
            out.push(format!("{}: in PostgreSQL, not in SQLite", label(p)));
            found += 1;
        }
    }
}
