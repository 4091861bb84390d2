//! Views on both sides: SQLite evaluates each translated view, PostgreSQL
//! its translation, and the two results are compared as multisets of
//! canonical rows (see `docs/verify.md`, "Views").
//!
//! **Input**: the planned views ([`PlannedView`]), the SQLite read
//! transaction and the target. **Output**: one [`TableResult`] per view.
//!
//! A view's columns and types are the ones PostgreSQL reports for it;
//! each SQLite value is converted as that type reads it ([`converter_for`])
//! and encoded with the tables' canonical fields ([`canon`]). Floating
//! point values (and a REAL SQLite computes for a `numeric` column) are
//! first rounded to 15 significant digits, as SQLite prints them: the two
//! engines add and multiply in different orders and precisions. Both
//! sides' rows are sorted by their bytes in Rust, so the row order of the
//! view never matters and duplicates count.
use super::{
    Chunker, Digests, Pass, RawField, Row, Seen, TableResult, differing_rows, display, spill,
};
use crate::digest::sql::{self, VCol, VTable};
use crate::digest::{CHUNK_ROWS, canon};
use crate::ir::pg::Converter;
use crate::load::verify_plan::PlannedView;
use crate::value::convert::{self, ConvError, Value};
use crate::value::wire::Wire;
use rusqlite::types::ValueRef;
use std::time::Instant;

/// Significant digits of a double in a view's canonical form: SQLite's
/// own `%!.15g`.
const FLOAT_DIGITS: usize = 15;
/// The same for `real` (float4) columns.
const FLOAT4_DIGITS: usize = 6;

/// `x` rounded to `digits` significant decimal digits (`-0` is `0`).
pub fn round_significant(x: f64, digits: usize) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return if x == 0.0 { 0.0 } else { x };
    }
    format!("{x:.*e}", digits - 1).parse().unwrap_or(x)
}

fn digits_of(w: Wire) -> usize {
    match w {
        Wire::Float4 => FLOAT4_DIGITS,
        _ => FLOAT_DIGITS,
    }
}

/// How the view's PostgreSQL type reads a SQLite value of this storage
/// class: the type's default converter, except where the class decides
/// (a uuid blob, an epoch or Julian-day time value).
pub fn converter_for(w: Wire, v: ValueRef<'_>) -> Converter {
    match (w, v) {
        (Wire::Uuid, ValueRef::Blob(_)) => Converter::UuidBlob,
        (Wire::Timestamptz | Wire::Timestamp, ValueRef::Integer(_)) => Converter::EpochSeconds,
        (Wire::Timestamptz | Wire::Timestamp, ValueRef::Real(_)) => Converter::JulianDay,
        _ => w.default_converter(),
    }
}

/// A SQLite value of a view column as the column's type reads it.
fn sqlite_value<'a>(c: &VCol, v: ValueRef<'a>) -> Result<Value<'a>, ConvError> {
    let v = match (c.wire, v) {
        (Wire::Float4 | Wire::Float8 | Wire::Numeric { .. }, ValueRef::Real(r)) => {
            ValueRef::Real(round_significant(r, digits_of(c.wire)))
        }
        _ => v,
    };
    let x = convert::convert(converter_for(c.wire, v), v)?;
    Ok(match x {
        Value::Float(f) => Value::Float(round_significant(f, digits_of(c.wire))),
        other => other,
    })
}

/// A PostgreSQL field of a view column, canonical: floats rounded like
/// the SQLite side's.
fn pg_field(buf: &mut Vec<u8>, c: &VCol, raw: Option<&[u8]>) {
    let Some(b) = raw else {
        buf.extend_from_slice(&(-1i32).to_be_bytes());
        return;
    };
    let rounded = match (c.wire, b.len()) {
        (Wire::Float8, 8) => {
            let x = f64::from_be_bytes(b.try_into().expect("eight bytes"));
            Some(round_significant(x, FLOAT_DIGITS).to_be_bytes().to_vec())
        }
        (Wire::Float4, 4) => {
            let x = f32::from_be_bytes(b.try_into().expect("four bytes"));
            let r = round_significant(f64::from(x), FLOAT4_DIGITS) as f32;
            Some(r.to_be_bytes().to_vec())
        }
        _ => None,
    };
    let b = rounded.as_deref().unwrap_or(b);
    buf.extend_from_slice(&(b.len() as i32).to_be_bytes());
    buf.extend_from_slice(b);
}

/// The view's columns as PostgreSQL reports them, paired by position
/// with SQLite's; `Err` says why the view cannot be hashed.
fn view_columns(
    ctl: &mut postgres::Client,
    namespace: &str,
    v: &PlannedView,
    sqlite_names: &[String],
) -> Result<Vec<(VCol, String)>, String> {
    let rows = crate::load::plan::read_columns(
        ctl,
        namespace,
        crate::load::plan::Relations::View(&v.name),
    )
    .map_err(|e| crate::load::pg_error_text(&e))?
    .remove(&v.name)
    .unwrap_or_default();
    if rows.is_empty() {
        return Err(format!("view {} is not in schema {namespace}", v.name));
    }
    if rows.len() != sqlite_names.len() {
        return Err(format!(
            "the view has {} columns in SQLite and {} in PostgreSQL",
            sqlite_names.len(),
            rows.len()
        ));
    }
    rows.iter()
        .zip(sqlite_names)
        .map(|(r, source)| {
            let (name, typname, shown) = (r.name.clone(), &r.typname, r.pg_type.clone());
            let wire = Wire::from_catalog(typname, r.typmod).ok_or_else(|| {
                format!("column {name} has type {shown}, which verify cannot hash")
            })?;
            let c = VCol {
                name,
                source: source.clone(),
                converter: wire.default_converter(),
                wire,
                bpchar: typname.as_str() == "bpchar",
            };
            Ok((c, shown))
        })
        .collect()
}

/// SQLite's result-column names for the view.
fn sqlite_names(conn: &rusqlite::Connection, v: &PlannedView) -> rusqlite::Result<Vec<String>> {
    let stmt = conn.prepare(&select_all(v))?;
    Ok(stmt.column_names().map(String::from).collect())
}

/// The query for the view's rows in SQLite: the view itself, or, when it
/// calls declared application functions SQLite does not have, its query
/// with their declared meaning expanded.
fn select_all(v: &PlannedView) -> String {
    match &v.sqlite_query {
        Some(q) => q.clone(),
        None => format!(
            "SELECT * FROM {}",
            crate::load::plan::quote_ident_always(&v.source)
        ),
    }
}

fn row_of(bytes: Vec<u8>, fields: Vec<(usize, usize)>, display: Vec<String>) -> Row {
    Row {
        key: vec![super::KeyPart::Bytes(bytes.clone())],
        bytes,
        fields,
        display,
    }
}

/// A view as verify hashes it: its columns (keyless), and each
/// column's type as PostgreSQL shows it.
struct ViewTable {
    t: VTable,
    types: Vec<String>,
    /// The view reference, schema-qualified.
    from: String,
    /// What SQLite runs for the view's rows ([`select_all`]).
    sqlite_query: String,
}

/// SQLite's rows of the view, canonical, in byte order.
fn sqlite_rows(
    conn: &rusqlite::Connection,
    view: &ViewTable,
    detail: bool,
    f: &mut dyn FnMut(u64, &Row) -> bool,
) -> Result<Pass, String> {
    let io = |e: std::io::Error| e.to_string();
    let t = &view.t;
    let mut stmt = conn
        .prepare(&view.sqlite_query)
        .map_err(|e| e.to_string())?;
    let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
    let mut sorter = spill::Sorter::new(spill::budget());
    let mut out = Pass::default();
    let mut scratch = Vec::new();
    let mut number = 0u64;
    while let Some(r) = rows.next().map_err(|e| e.to_string())? {
        number += 1;
        let (mut bytes, mut fields, mut shown) = (Vec::new(), Vec::new(), Vec::new());
        let mut failed = None;
        for (i, c) in t.columns.iter().enumerate() {
            let v = r.get_ref(i).map_err(|e| e.to_string())?;
            let start = bytes.len();
            let res = sqlite_value(c, v).and_then(|x| {
                canon::field(&mut bytes, &x, c.wire, c.bpchar, &mut scratch)?;
                if detail {
                    shown.push(display(&x));
                }
                Ok(())
            });
            if let Err(e) = res {
                failed = Some(format!(
                    "row {number}, column {}: {} does not read as {}: {}",
                    c.source,
                    crate::load::preview_value(v),
                    view.types[i],
                    e.reason
                ));
                break;
            }
            fields.push((start, bytes.len()));
        }
        match failed {
            Some(msg) => out.unconvertible.push(msg),
            None => sorter.push(row_of(bytes, fields, shown)).map_err(io)?,
        }
    }
    sorter.finish(f).map_err(io)?;
    Ok(out)
}

/// PostgreSQL's rows of the view, canonical, in byte order: fetched in
/// binary format ([`sql::send_expr`]), with each column as text too when
/// `detail` (for the differences).
fn pg_rows(
    tx: &mut postgres::Transaction<'_>,
    t: &VTable,
    from: &str,
    detail: bool,
    f: &mut dyn FnMut(u64, &Row) -> bool,
) -> Result<(), String> {
    let pe = |e: postgres::Error| crate::load::pg_error_text(&e);
    let mut cols: Vec<String> = t.columns.iter().map(sql::send_expr).collect();
    if detail {
        cols.extend(
            t.columns
                .iter()
                .map(|c| format!("t.{}::text", crate::ident::quote_ident(&c.name))),
        );
    }
    let query = format!("SELECT {} FROM {from} AS t", cols.join(", "));
    let stmt = tx.prepare(&query).map_err(pe)?;
    let portal = tx.bind(&stmt, &[]).map_err(pe)?;
    let mut sorter = spill::Sorter::new(spill::budget());
    let n = t.columns.len();
    loop {
        let batch = tx.query_portal(&portal, super::FETCH_ROWS).map_err(pe)?;
        if batch.is_empty() {
            break;
        }
        for r in &batch {
            let (mut bytes, mut fields) = (Vec::new(), Vec::with_capacity(n));
            for (i, c) in t.columns.iter().enumerate() {
                let raw = r.try_get::<_, Option<RawField<'_>>>(i).map_err(pe)?;
                let start = bytes.len();
                pg_field(&mut bytes, c, raw.map(|x| x.0));
                fields.push((start, bytes.len()));
            }
            let shown: Vec<String> = if detail {
                (n..2 * n)
                    .map(|i| {
                        r.try_get::<_, Option<String>>(i)
                            .ok()
                            .flatten()
                            .unwrap_or_else(|| "NULL".into())
                    })
                    .collect()
            } else {
                Vec::new()
            };
            sorter
                .push(row_of(bytes, fields, shown))
                .map_err(|e| e.to_string())?;
        }
    }
    sorter.finish(f).map_err(|e| e.to_string())
}

fn digests_of(
    run: impl FnOnce(&mut dyn FnMut(u64, &Row) -> bool) -> Result<(), String>,
) -> Result<Digests, String> {
    let mut c = Chunker::new(true);
    run(&mut |_, row| {
        c.row(&row.bytes);
        true
    })?;
    Ok(c.finish())
}

/// Rows `lo..hi` of one side's byte order, as the drill-down shows them.
fn window(
    run: impl FnOnce(&mut dyn FnMut(u64, &Row) -> bool) -> Result<(), String>,
    lo: u64,
    hi: u64,
) -> Result<Vec<(u64, Seen)>, String> {
    let mut out = Vec::new();
    run(&mut |n, row| {
        if n >= lo {
            out.push((
                n,
                Seen {
                    key_text: String::new(),
                    fields: row
                        .fields
                        .iter()
                        .map(|&(a, b)| row.bytes[a..b].to_vec())
                        .collect(),
                    display: row.display.clone(),
                },
            ));
        }
        n + 1 < hi
    })?;
    Ok(out)
}

/// Where to look next, after the differences of a view.
fn way_forward(v: &PlannedView) -> Vec<String> {
    let mut out: Vec<String> = v
        .notes
        .iter()
        .map(|n| format!("the translation notes: {n}"))
        .collect();
    out.push(format!(
        "view {} differs from SQLite's view {}: compare `SELECT * FROM` each side; its \
         translation is in 03_constraints.sql, and a view whose result depends on row order \
         (LIMIT without ORDER BY) may differ without a fault",
        v.name, v.source
    ));
    out
}

/// One view, both sides.
struct Sides<'a> {
    stx: &'a rusqlite::Connection,
    ctl: &'a mut postgres::Client,
    namespace: &'a str,
}

/// One side's rows of a view, in canonical byte order, to `f`.
type Rows<'f> = &'f mut dyn FnMut(u64, &Row) -> bool;

/// `f` over PostgreSQL's rows of the view, in a read-only transaction.
fn pg_side(
    ctl: &mut postgres::Client,
    v: &ViewTable,
    detail: bool,
    f: Rows<'_>,
) -> Result<(), String> {
    let mut tx = super::snapshot_tx(ctl, None)?;
    pg_rows(&mut tx, &v.t, &v.from, detail, f)?;
    tx.commit().map_err(|e| crate::load::pg_error_text(&e))
}

impl Sides<'_> {
    /// `f` over PostgreSQL's rows ([`pg_side`]).
    fn pg(&mut self, v: &ViewTable, detail: bool, f: Rows<'_>) -> Result<(), String> {
        pg_side(self.ctl, v, detail, f)
    }

    /// Both sides' digests, PostgreSQL's in a second thread.
    fn hash(&mut self, v: &ViewTable, res: &mut TableResult) -> Result<(), String> {
        let (stx, ctl) = (self.stx, &mut *self.ctl);
        let (s, p) = std::thread::scope(|scope| {
            let h = scope.spawn(|| {
                let t0 = Instant::now();
                digests_of(|f| pg_side(ctl, v, false, f)).map(|d| (d, t0.elapsed().as_secs_f64()))
            });
            let t0 = Instant::now();
            let mut pass = Pass::default();
            let s = digests_of(|f| {
                pass = sqlite_rows(stx, v, false, f)?;
                Ok(())
            });
            let s = s.map(|d| (d, pass, t0.elapsed().as_secs_f64()));
            (s, h.join().expect("the PostgreSQL side of a view"))
        });
        (res.sqlite, res.unconvertible, res.sqlite_s) =
            s.map(|(d, p, t)| (d, p.unconvertible, t))?;
        (res.pg, res.pg_s) = p?;
        Ok(())
    }

    /// The first differing chunk, then the rows on one side only.
    fn drill(&mut self, v: &ViewTable, res: &TableResult) -> Vec<String> {
        let c = (0..res.sqlite.chunks.len().max(res.pg.chunks.len()))
            .find(|&i| res.sqlite.chunks.get(i) != res.pg.chunks.get(i))
            .unwrap_or(0) as u64;
        let (lo, hi) = (c * CHUNK_ROWS, (c + 2) * CHUNK_ROWS);
        let stx = self.stx;
        let s = window(|f| sqlite_rows(stx, v, true, f).map(|_| ()), lo, hi);
        let p = window(|f| self.pg(v, true, f), lo, hi);
        let mut out = vec![format!(
            "first differing chunk: {c} (rows {lo} to {} in canonical row order)",
            lo + CHUNK_ROWS - 1
        )];
        match (s, p) {
            (Ok(s), Ok(p)) => differing_rows(&v.t, &s, &p, lo + CHUNK_ROWS, &mut out),
            (Err(e), _) | (_, Err(e)) => {
                out.push(format!("could not localise the difference: {e}"))
            }
        }
        if res.sqlite.dups != res.pg.dups {
            out.push(format!(
                "duplicate rows: SQLite {} / PostgreSQL {}",
                res.sqlite.dups, res.pg.dups
            ));
        }
        out
    }

    /// The view's columns on both sides, or why it cannot be hashed.
    fn plan(&mut self, v: &PlannedView) -> Result<ViewTable, String> {
        let names = sqlite_names(self.stx, v)
            .map_err(|e| format!("SQLite cannot evaluate view {}: {e}", v.source))?;
        let (columns, types) = view_columns(self.ctl, self.namespace, v, &names)?
            .into_iter()
            .unzip();
        Ok(ViewTable {
            t: VTable {
                name: v.name.clone(),
                source: v.source.clone(),
                columns,
                key: Vec::new(),
            },
            types,
            from: format!(
                "{}.{}",
                crate::ident::quote_ident_raw(self.namespace),
                crate::ident::quote_ident_raw(&v.name)
            ),
            sqlite_query: select_all(v),
        })
    }

    fn view(&mut self, v: &PlannedView) -> TableResult {
        let mut res = TableResult::view(v);
        match self.plan(v) {
            Ok(t) => {
                if let Err(e) = self.hash(&t, &mut res) {
                    res.differences.push(format!("hashing the view: {e}"));
                } else if res.sqlite != res.pg {
                    res.differences = self.drill(&t, &res);
                }
            }
            Err(why) => res.differences.push(why),
        }
        if !res.matches() {
            res.differences.extend(way_forward(v));
        }
        res
    }
}

/// Every planned view, compared.
pub(super) fn verify_views(
    stx: &rusqlite::Connection,
    ctl: &mut postgres::Client,
    namespace: &str,
    views: &[PlannedView],
    progress: &dyn crate::progress::Progress,
) -> Vec<TableResult> {
    let mut sides = Sides {
        stx,
        ctl,
        namespace,
    };
    let n = views.len();
    let mut out = Vec::with_capacity(n);
    for (i, v) in views.iter().enumerate() {
        progress.step(&format!("hashing view {} ({} of {n})", v.name, i + 1));
        out.push(sides.view(v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_keeps_fifteen_digits_and_drops_negative_zero() {
        assert_eq!(round_significant(0.1 + 0.2, 15), 0.3);
        assert_eq!(round_significant(67416.51000000001, 15), 67416.51);
        assert_eq!(round_significant(-0.0, 15).to_bits(), 0.0f64.to_bits());
        assert!(round_significant(f64::NAN, 15).is_nan());
        assert_eq!(round_significant(f64::INFINITY, 15), f64::INFINITY);
    }

    #[test]
    fn storage_class_picks_the_converter_the_type_reads() {
        let uuid = converter_for(Wire::Uuid, ValueRef::Blob(&[0; 16]));
        assert_eq!(uuid, Converter::UuidBlob);
        let ts = converter_for(Wire::Timestamptz, ValueRef::Integer(0));
        assert_eq!(ts, Converter::EpochSeconds);
        let ts = converter_for(Wire::Timestamptz, ValueRef::Text(b"2020-01-01"));
        assert_eq!(ts, Converter::IsoTimestamp);
        let n = converter_for(Wire::Int8, ValueRef::Real(3.0));
        assert_eq!(n, Converter::Integer);
    }

    #[test]
    fn a_real_sum_reads_as_the_exact_numeric() {
        let c = VCol {
            name: "s".into(),
            source: "s".into(),
            converter: Converter::Numeric,
            wire: Wire::Numeric {
                precision: None,
                scale: 0,
            },
            bpchar: false,
        };
        let mut a = Vec::new();
        let mut scratch = Vec::new();
        let v = sqlite_value(&c, ValueRef::Real(67416.51000000001)).unwrap();
        canon::field(&mut a, &v, c.wire, false, &mut scratch).unwrap();
        assert_eq!(&a[4..], b"67416.51");
    }
}
