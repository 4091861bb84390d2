//! inspect: what a migration of one SQLite file will do, what blocks it and
//! what is dirty — before anything is written.
//!
//! **Input**: a SQLite database file, a [`RulePack`] and [`InspectOptions`]
//! (the same compile options `pgbridge compile` takes). **Output**: an
//! [`Inspection`], plain serialisable data; [`render_text`] formats it for
//! people, `serde_json` for CI (field names are documented in
//! `docs/inspect.md` and stable).
//!
//! How: the file is opened read-only ([`live::open_read_only`]) and read in
//! one read transaction: `PRAGMA integrity_check(N)`, the schema and data
//! profile ([`live::read_with`]), then the compiler
//! ([`crate::compile_schema`]) decides every column's type, converter and
//! rule. On top of that, targeted queries that the profile does not make:
//! `PRAGMA foreign_key_check` per table (orphans with example rows and
//! values), case-insensitive-only FK matches against `COLLATE NOCASE` parent
//! keys, example rows for every dirty-value count of the profile, the
//! length histogram of wrong-length float32 vectors, and `dbstat` sizes.
//! For blobs in numeric columns and infinite reals, every such value goes
//! through the loader's own converter and COPY encoding for its column
//! ([`Outcome`]); values it refuses are blockers.
//!
//! Invariants: the file is never written; every count here is either a
//! profile count (its exact meaning is in [`crate::source::profile`]) or a
//! count of the query named beside it; examples are at most
//! [`COLUMN_EXAMPLES`] / [`FK_EXAMPLES`] per finding, in rowid order, and
//! name their row by rowid — or, in a WITHOUT ROWID table, by primary key,
//! in primary-key order.
use crate::diag::{Diagnostic, Diagnostics, Error, Result, Severity, Stage, cut_chars};
use crate::ir::pg;
use crate::ir::sqlite::{self, Affinity, Profile, TableKind};
use crate::load::{INDEX_ROWS_PER_S, LOAD_ROWS_PER_S};
use crate::rewrite::RulePack;
use crate::source::live;
use crate::value::convert::{self, float_text};
use crate::value::lexical;
use crate::value::wire::{self, Wire};
use crate::{CompileOptions, Compiled};
use rusqlite::Connection;
use rusqlite::types::ValueRef;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

mod text;
pub use text::render_text;

/// Examples kept per dirty-value problem.
pub const COLUMN_EXAMPLES: usize = 3;
/// Example rows kept per foreign-key finding.
pub const FK_EXAMPLES: usize = 5;

#[derive(Debug, Clone, Default)]
pub struct InspectOptions {
    /// What `compile` would be run with (target, extensions, naming, profile).
    pub compile: CompileOptions,
    /// How many `integrity_check` problems to report (0 means 20).
    pub integrity_limit: usize,
}

/// Everything `inspect` found. Serialised as the `--format json` document.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// The file name (no directory).
    pub file: String,
    pub sqlite_version: String,
    pub size_bytes: u64,
    pub page_size: u64,
    pub page_count: u64,
    pub freelist_count: u64,
    /// Whether `dbstat` sizes were available (`tables[].bytes`).
    pub dbstat: bool,
    pub integrity: Integrity,
    /// Every foreign key of every ordinary table, clean ones included.
    pub foreign_keys: Vec<ForeignKeyCheck>,
    pub tables: Vec<TableReport>,
    /// Views, triggers, virtual and internal tables, and anything the
    /// compiler kept as a comment (untranslatable indexes, CHECKs).
    pub objects: Vec<ObjectReport>,
    /// Every diagnostic of the source and compile stages, plus inspect's own
    /// (`integrity-check-failed`, `foreign-key-check-failed`).
    pub diagnostics: Diagnostics,
    /// Number of error diagnostics: what `--strict` fails on.
    pub blockers: usize,
    pub warnings: usize,
    /// Rows of the tables that will be migrated.
    pub rows: u64,
    /// Total orphan rows over all foreign keys.
    pub orphans: u64,
    /// Estimated `migrate` time in seconds: `estimate.data_s + estimate.index_s`.
    pub estimate_s: f64,
    pub estimate: Estimate,
}

#[derive(Debug, Clone, Serialize)]
pub struct Integrity {
    /// `PRAGMA integrity_check` answered `ok`.
    pub ok: bool,
    /// Its first `limit` problem lines (empty when ok).
    pub problems: Vec<String>,
    pub limit: usize,
    /// Why the check stopped before its end, when it did (then `ok` says
    /// only that it found no problem before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unfinished: Option<String>,
}

/// One foreign key and what the data says about it.
#[derive(Debug, Clone, Serialize)]
pub struct ForeignKeyCheck {
    /// Child table and columns.
    pub table: String,
    pub columns: Vec<String>,
    /// Parent table and the columns referenced (its primary key when the
    /// declaration names none).
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    /// Rows `PRAGMA foreign_key_check` reports for this key.
    pub orphans: u64,
    pub orphan_examples: Vec<Example>,
    /// Child rows (all key columns non-NULL) with no parent under BINARY
    /// comparison but one under the parent's collation: only counted when a
    /// referenced parent column is `COLLATE NOCASE`, else 0.
    pub nocase_only: u64,
    pub nocase_examples: Vec<Example>,
    /// Whether the NOCASE-only matches still hold in PostgreSQL: the parent
    /// column(s) became citext.
    pub nocase_holds_in_pg: bool,
    /// Why the check could not run (e.g. `foreign key mismatch`), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A row showing a finding: its rowid, or for a WITHOUT ROWID table (which
/// has none: `rowid` is None) its PRIMARY KEY values; and the offending
/// value(s) as JSON (texts as strings, blobs as `x'hex'`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Example {
    pub rowid: Option<i64>,
    /// WITHOUT ROWID tables only: the row's PRIMARY KEY, in key order
    /// (JSON: an object, column → value).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "key_as_object"
    )]
    pub key: Option<Vec<KeyPart>>,
    pub value: serde_json::Value,
    /// Problems with an [`Outcome`] only: the value as the loader writes it
    /// (its PostgreSQL text form), when it converts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loads_as: Option<String>,
    /// Problems with an [`Outcome`] only: why the loader refuses the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

impl Example {
    fn new(row: RowId, value: serde_json::Value) -> Example {
        Example {
            rowid: row.0,
            key: row.1,
            value,
            loads_as: None,
            refused: None,
        }
    }
}

/// One column of a WITHOUT ROWID table's PRIMARY KEY and its value in a row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyPart {
    pub column: String,
    /// As example values are (numbers, strings, blobs as `x'hex'`).
    pub value: serde_json::Value,
    /// The value as an SQLite literal (`'ab'`, `3`, `x'00ff'`), for text
    /// output.
    #[serde(skip)]
    pub literal: String,
}

fn key_as_object<S: serde::Serializer>(
    key: &Option<Vec<KeyPart>>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let parts = key.as_deref().unwrap_or_default();
    let mut m = s.serialize_map(Some(parts.len()))?;
    for p in parts {
        m.serialize_entry(&p.column, &p.value)?;
    }
    m.end()
}

#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    pub name: String,
    /// `table`, `virtual` or `internal`.
    pub kind: String,
    /// The module of a virtual table (`fts5`), the reason for an internal one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// `count(*)` (ordinary tables only).
    pub rows: Option<u64>,
    /// Bytes of the table and its indexes from `dbstat`, when available.
    pub bytes: Option<u64>,
    /// `migrated`, `skipped` or `kept-as-comment`.
    pub fate: String,
    /// The PostgreSQL table name, when migrated.
    pub pg_name: Option<String>,
    pub columns: Vec<ColumnReport>,
    /// Rows the loader refuses: where a default `migrate` stops, and what
    /// `--on-error reject` files — one row however many of its values are
    /// refused.
    pub refused_rows: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ColumnReport {
    pub name: String,
    pub declared: String,
    /// Storage classes seen (profile counts; all 0 without a profile).
    pub classes: Classes,
    /// The column rule that fired, the PostgreSQL type and converter.
    pub rule: Option<String>,
    pub pg_type: Option<String>,
    pub converter: Option<String>,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Classes {
    pub integer: u64,
    pub real: u64,
    pub text: u64,
    pub blob: u64,
    pub null: u64,
}

/// Values of one column that block or bend a rule.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// `text-in-numeric`, `empty-text-in-numeric`, `blob-in-numeric`,
    /// `non-finite-real`, `nul-bytes`, `invalid-utf8`, `non-json`,
    /// `wrong-length-vector`, `unparseable-date`.
    pub kind: String,
    pub count: u64,
    pub message: String,
    pub examples: Vec<Example>,
    /// `wrong-length-vector` only: every blob length seen, most common first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lengths: Vec<LengthSeen>,
    /// `blob-in-numeric` and `non-finite-real` (of a migrated column) only:
    /// what `migrate` does with every one of these values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

/// What `migrate` does with a problem's values: each one is run through the
/// column's converter and binary COPY encoding — the two calls the loader
/// makes ([`crate::value::convert::convert`], [`crate::value::wire::encode`])
/// with the converter and type the compile chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The column's PostgreSQL type and converter.
    pub pg_type: String,
    pub converter: String,
    /// Values that load (each example's `loads_as` shows what they become).
    pub loaded: u64,
    /// Values the loader refuses: `migrate` stops at the first one's row
    /// (`--on-error stop`, the default) or writes those rows to the rejects
    /// file (`--on-error reject`). Each is a blocker.
    pub refused: u64,
    /// The loader's reason for the first refused value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The same in one sentence.
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LengthSeen {
    pub bytes: u64,
    /// `bytes / 4` float32 dimensions.
    pub dims: u64,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ObjectReport {
    /// `view`, `trigger`, `virtual table`, `internal table`, `index`, `check`, …
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// `migrated`, `skipped` or `kept-as-comment`.
    pub fate: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    /// Rows / [`LOAD_ROWS_PER_S`].
    pub data_s: f64,
    /// Σ over keys, indexes and foreign keys of their table's rows /
    /// [`INDEX_ROWS_PER_S`].
    pub index_s: f64,
    pub load_rows_per_s: f64,
    pub index_rows_per_s: f64,
    /// Keys, indexes and foreign keys counted in `index_s`.
    pub index_builds: usize,
}

fn sql_err(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |source| Error::Sqlite {
        path: path.display().to_string(),
        source,
    }
}

/// A double-quoted SQLite identifier.
fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// How an example names its row: `(rowid, None)` for rowid tables,
/// `(None, Some(primary key))` for WITHOUT ROWID tables.
type RowId = (Option<i64>, Option<Vec<KeyPart>>);

/// How a table's rows are named in examples, and the order examples are
/// found in: rowid order, or for WITHOUT ROWID tables PRIMARY KEY order.
enum RowName<'a> {
    Rowid,
    /// The PRIMARY KEY columns of a WITHOUT ROWID table, in key order.
    Key(Vec<&'a sqlite::Column>),
    /// A WITHOUT ROWID table whose key is unknown (cannot happen for a
    /// table read from a file: SQLite requires the key).
    Unnamed,
}

impl<'a> RowName<'a> {
    fn of(t: &'a sqlite::Table) -> RowName<'a> {
        if !t.without_rowid {
            return RowName::Rowid;
        }
        let cols: Vec<&sqlite::Column> = t
            .primary_key
            .iter()
            .flat_map(|pk| &pk.columns)
            .filter_map(|n| t.columns.iter().find(|c| &c.name == n))
            .collect();
        if cols.is_empty() {
            RowName::Unnamed
        } else {
            RowName::Key(cols)
        }
    }

    /// How many result columns [`Self::select`] takes.
    fn width(&self) -> usize {
        match self {
            RowName::Key(cols) => cols.len(),
            _ => 1,
        }
    }

    /// The select list naming the row; `alias` qualifies the columns
    /// (`c.`) or is empty.
    fn select(&self, alias: &str) -> String {
        match self {
            RowName::Rowid => format!("{alias}rowid"),
            RowName::Key(cols) => cols
                .iter()
                .map(|c| format!("{alias}{}", q(&c.name)))
                .collect::<Vec<_>>()
                .join(", "),
            RowName::Unnamed => "NULL".into(),
        }
    }

    /// `ORDER BY` terms: the rowid, or the key columns (in their own
    /// collation, which is what the key's b-tree is ordered by, then byte
    /// for byte where that collation could tie).
    fn order_by(&self, alias: &str) -> String {
        match self {
            RowName::Rowid => format!("{alias}rowid"),
            RowName::Key(cols) => {
                let mut terms: Vec<String> = cols
                    .iter()
                    .map(|c| format!("{alias}{}", q(&c.name)))
                    .collect();
                for c in cols {
                    if c.collation
                        .as_deref()
                        .is_some_and(|k| !k.eq_ignore_ascii_case("binary"))
                    {
                        terms.push(format!("{alias}{} COLLATE BINARY", q(&c.name)));
                    }
                }
                terms.join(", ")
            }
            RowName::Unnamed => "1".into(),
        }
    }

    /// The row's name from the first [`Self::width`] columns of `r`.
    fn read(&self, r: &rusqlite::Row<'_>) -> rusqlite::Result<RowId> {
        Ok(match self {
            RowName::Rowid => (r.get(0)?, None),
            RowName::Key(cols) => {
                let mut parts = Vec::with_capacity(cols.len());
                for (i, c) in cols.iter().enumerate() {
                    let v = r.get_ref(i)?;
                    parts.push(KeyPart {
                        column: c.name.clone(),
                        value: example_value(v),
                        literal: sql_literal(v),
                    });
                }
                (None, Some(parts))
            }
            RowName::Unnamed => (None, None),
        })
    }
}

/// Inspect a SQLite database file (see the module docs).
pub fn inspect(path: &Path, pack: &RulePack, opts: &InspectOptions) -> Result<Inspection> {
    let err = sql_err(path);
    let size_bytes = std::fs::metadata(path)
        .map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?
        .len();
    let conn = live::open_read_only(path, &opts.compile.source.extensions)?;
    let tx = conn.unchecked_transaction().map_err(&err)?;
    let pragma = |name: &str| -> u64 {
        tx.query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, i64>(0))
            .map(|n| u64::try_from(n).unwrap_or(0))
            .unwrap_or(0)
    };
    let sqlite_version: String = tx
        .query_row("SELECT sqlite_version()", [], |r| r.get(0))
        .map_err(&err)?;
    let (page_size, page_count, freelist_count) = (
        pragma("page_size"),
        pragma("page_count"),
        pragma("freelist_count"),
    );
    let limit = if opts.integrity_limit == 0 {
        20
    } else {
        opts.integrity_limit
    };
    // A check that cannot run (an R*Tree whose shadow tables are gone makes
    // SQLite's own check stop) is a warning, never the end of inspect.
    let integrity = integrity_check(&tx, limit).unwrap_or_else(|e| Integrity {
        ok: true,
        problems: Vec::new(),
        limit,
        unfinished: Some(e.to_string()),
    });

    let (schema, source_diags) =
        live::read_with(&tx, path, &opts.compile.source, &crate::progress::Quiet)?;
    let compiled = crate::compile_schema(schema, source_diags, pack, &opts.compile)?;
    let mut diagnostics = compiled.diagnostics.clone();
    if let Some(e) = &integrity.unfinished {
        diagnostics.push(
            Diagnostic::warning(
                Stage::Source,
                "integrity-check-incomplete",
                format!("PRAGMA integrity_check could not run to the end: {e}"),
            )
            .with_help("the warnings above name what SQLite cannot read; repair with sqlite3 app.db '.recover' | sqlite3 fixed.db if the data matters"),
        );
    }
    if !integrity.ok {
        diagnostics.push(
            Diagnostic::error(
                Stage::Source,
                "integrity-check-failed",
                format!(
                    "PRAGMA integrity_check reports {} problem(s), first: {}",
                    integrity.problems.len(),
                    integrity.problems.first().map_or("", String::as_str)
                ),
            )
            .with_help("repair the file first (sqlite3 app.db '.recover' | sqlite3 fixed.db)"),
        );
    }

    let foreign_keys = check_foreign_keys(&tx, &compiled, &mut diagnostics).map_err(&err)?;
    let sizes = dbstat_sizes(&tx);
    let mut tables = Vec::new();
    for t in &compiled.sqlite.tables {
        tables
            .push(table_report(&tx, t, &compiled, sizes.as_ref(), &mut diagnostics).map_err(&err)?);
    }
    let objects = objects(&compiled);
    tx.finish().map_err(&err)?;
    drop(conn);

    let rows: u64 = compiled.pg.tables.iter().filter_map(|t| t.rows).sum();
    let estimate = estimate(&compiled.pg);
    Ok(Inspection {
        file: crate::source::file_name(path),
        sqlite_version,
        size_bytes,
        page_size,
        page_count,
        freelist_count,
        dbstat: sizes.is_some(),
        integrity,
        orphans: foreign_keys.iter().map(|f| f.orphans).sum(),
        foreign_keys,
        tables,
        objects,
        blockers: diagnostics.count(Severity::Error),
        warnings: diagnostics.count(Severity::Warning),
        diagnostics,
        rows,
        estimate_s: estimate.data_s + estimate.index_s,
        estimate,
    })
}

fn integrity_check(conn: &Connection, limit: usize) -> rusqlite::Result<Integrity> {
    let mut st = conn.prepare(&format!("PRAGMA integrity_check({limit})"))?;
    let lines: Vec<String> = st
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<_>>()?;
    let ok = lines.len() == 1 && lines[0] == "ok";
    Ok(Integrity {
        ok,
        problems: if ok { Vec::new() } else { lines },
        limit,
        unfinished: None,
    })
}

/// A SQLite value as JSON for an example: numbers as numbers, text as a
/// string (invalid UTF-8 replaced, cut at 80 characters), blobs as
/// `x'hex'` (cut at 32 bytes).
fn example_value(v: ValueRef<'_>) -> serde_json::Value {
    use serde_json::Value;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or_else(|| Value::from(float_text(f))),
        ValueRef::Text(b) => Value::from(cut_chars(&String::from_utf8_lossy(b), 80)),
        ValueRef::Blob(b) => {
            let mut out = String::from("x'");
            for byte in b.iter().take(32) {
                out.push_str(&format!("{byte:02x}"));
            }
            out.push('\'');
            if b.len() > 32 {
                out.push_str(&format!("… ({} bytes)", b.len()));
            }
            Value::from(out)
        }
    }
}

/// A value as an SQLite literal for text output: `3`, `1.5`, `'it''s'`
/// (cut at 80 characters), `x'00ff'` (cut at 32 bytes).
fn sql_literal(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => float_text(f),
        ValueRef::Text(b) => {
            let out = cut_chars(&String::from_utf8_lossy(b), 80);
            format!("'{}'", out.replace('\'', "''"))
        }
        ValueRef::Blob(_) => example_value(v).as_str().unwrap_or_default().to_string(),
    }
}

fn find_table<'a>(schema: &'a sqlite::Schema, name: &str) -> Option<&'a sqlite::Table> {
    schema
        .tables
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(name))
}

fn pg_column<'a>(pg: &'a pg::Schema, table: &str, column: &str) -> Option<&'a pg::Column> {
    pg.tables
        .iter()
        .find(|t| t.source_name.eq_ignore_ascii_case(table))?
        .columns
        .iter()
        .find(|c| c.source_name.eq_ignore_ascii_case(column))
}

/// `(id, from columns, parent, to columns)` of `PRAGMA foreign_key_list`.
type FkRow = (i64, Vec<String>, String, Vec<Option<String>>);

fn foreign_key_list(conn: &Connection, table: &str) -> rusqlite::Result<Vec<FkRow>> {
    let mut st = conn.prepare(
        "SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
    )?;
    let rows = st.query_map([table], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    let mut out: Vec<FkRow> = Vec::new();
    for row in rows {
        let (id, parent, from, to) = row?;
        match out.last_mut() {
            Some(last) if last.0 == id => {
                last.1.push(from);
                last.3.push(to);
            }
            _ => out.push((id, vec![from], parent, vec![to])),
        }
    }
    Ok(out)
}

fn check_foreign_keys(
    conn: &Connection,
    compiled: &Compiled,
    diags: &mut Diagnostics,
) -> rusqlite::Result<Vec<ForeignKeyCheck>> {
    let schema = &compiled.sqlite;
    let mut out = Vec::new();
    for t in schema
        .tables
        .iter()
        .filter(|t| t.kind == TableKind::Ordinary)
    {
        let fks = foreign_key_list(conn, &t.name)?;
        if fks.is_empty() {
            continue;
        }
        let name = RowName::of(t);
        let (mut found, error) = foreign_key_check(conn, t, diags);
        for (id, columns, parent, to) in fks {
            let parent_table = find_table(schema, &parent);
            let ref_columns = referenced_columns(parent_table, &columns, &parent, to);
            let (orphans, rowids) = found.remove(&id).unwrap_or_default();
            let orphan_examples = if t.without_rowid {
                // foreign_key_check has no rowid to give here: find the
                // same rows again, named by their primary key.
                if orphans > 0 && ref_columns.len() == columns.len() {
                    orphans_by_key(
                        conn,
                        t,
                        &name,
                        &columns,
                        parent_table,
                        &ref_columns,
                        (orphans as usize).min(FK_EXAMPLES),
                    )?
                } else {
                    Vec::new()
                }
            } else {
                orphans_by_rowid(conn, t, &columns, rowids)?
            };
            let nocase_cols =
                parent_table.is_some_and(|p| ref_columns.iter().any(|rc| is_nocase(p, rc)));
            let (mut nocase_only, mut nocase_examples, mut holds) = (0, Vec::new(), false);
            if nocase_cols
                && error.is_none()
                && let Some(p) = parent_table
                && ref_columns.len() == columns.len()
            {
                (nocase_only, nocase_examples) =
                    nocase_matches(conn, t, &name, &columns, &p.name, &ref_columns)?;
                holds = ref_columns.iter().all(|rc| {
                    !is_nocase(p, rc)
                        || pg_column(&compiled.pg, &p.name, rc)
                            .is_some_and(|c| c.pg_type == "citext")
                });
            }
            out.push(ForeignKeyCheck {
                table: t.name.clone(),
                columns,
                ref_table: parent,
                ref_columns,
                orphans,
                orphan_examples,
                nocase_only,
                nocase_examples,
                nocase_holds_in_pg: holds,
                error: error.clone(),
            });
        }
    }
    Ok(out)
}

/// Per foreign key (fkid): its orphan rows' count and up to
/// [`FK_EXAMPLES`] of their rowids.
type Orphans = BTreeMap<i64, (u64, Vec<Option<i64>>)>;

/// Orphans per foreign key from `PRAGMA foreign_key_check`; when it fails,
/// why (also a warning).
fn foreign_key_check(
    conn: &Connection,
    t: &sqlite::Table,
    diags: &mut Diagnostics,
) -> (Orphans, Option<String>) {
    let mut found = Orphans::new();
    let check = (|| -> rusqlite::Result<()> {
        let mut st =
            conn.prepare("SELECT rowid, fkid FROM pragma_foreign_key_check(?1) ORDER BY 1")?;
        let mut rows = st.query([&t.name])?;
        while let Some(r) = rows.next()? {
            let (rid, fkid): (Option<i64>, i64) = (r.get(0)?, r.get(1)?);
            let e = found.entry(fkid).or_default();
            e.0 += 1;
            if e.1.len() < FK_EXAMPLES {
                e.1.push(rid);
            }
        }
        Ok(())
    })();
    let error = check.err().map(|e| e.to_string());
    if let Some(e) = &error {
        diags.push(
            Diagnostic::warning(
                Stage::Source,
                "foreign-key-check-failed",
                format!("PRAGMA foreign_key_check({}) failed: {e}", t.name),
            )
            .on(t.name.clone()),
        );
    }
    (found, error)
}

/// The parent columns a foreign key references: as declared (`to`), else
/// the parent's primary key as SQLite resolves it.
fn referenced_columns(
    parent_table: Option<&sqlite::Table>,
    columns: &[String],
    parent: &str,
    to: Vec<Option<String>>,
) -> Vec<String> {
    if to.iter().all(Option::is_some) {
        return to.into_iter().flatten().collect();
    }
    parent_table
        .map(|p| {
            let fk = sqlite::ForeignKey {
                name: None,
                columns: columns.to_vec(),
                ref_table: parent.to_string(),
                ref_columns: Vec::new(),
                on_delete: None,
                on_update: None,
                deferrable: None,
            };
            crate::rewrite::facts::referenced_columns(&fk, p)
        })
        .unwrap_or_default()
}

/// Orphan examples of a rowid table: each row's foreign-key values.
fn orphans_by_rowid(
    conn: &Connection,
    t: &sqlite::Table,
    columns: &[String],
    rowids: Vec<Option<i64>>,
) -> rusqlite::Result<Vec<Example>> {
    let mut examples = Vec::new();
    for rid in rowids {
        let value = match rid {
            Some(rid) => key_values(conn, &t.name, columns, rid)?,
            None => serde_json::Value::Null,
        };
        examples.push(Example::new((rid, None), value));
    }
    Ok(examples)
}

/// Column `rc` of `p` compares with `COLLATE NOCASE`.
fn is_nocase(p: &sqlite::Table, rc: &str) -> bool {
    p.columns.iter().any(|c| {
        c.name.eq_ignore_ascii_case(rc)
            && c.collation
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case("nocase"))
    })
}

/// The key columns of one row: a single value, or an array for composite keys.
fn key_values(
    conn: &Connection,
    table: &str,
    columns: &[String],
    rowid: i64,
) -> rusqlite::Result<serde_json::Value> {
    let cols: Vec<String> = columns.iter().map(|c| q(c)).collect();
    let sql = format!(
        "SELECT {} FROM {} WHERE rowid = ?1",
        cols.join(", "),
        q(table)
    );
    conn.query_row(&sql, [rowid], |r| child_key(r, 0, columns.len()))
}

/// The child key value(s) of a result row, from column `at` on: a single
/// value, or an array for composite keys.
fn child_key(r: &rusqlite::Row<'_>, at: usize, n: usize) -> rusqlite::Result<serde_json::Value> {
    let mut vals = Vec::with_capacity(n);
    for i in 0..n {
        vals.push(example_value(r.get_ref(at + i)?));
    }
    Ok(if vals.len() == 1 {
        vals.pop().unwrap_or_default()
    } else {
        serde_json::Value::Array(vals)
    })
}

/// The first `limit` orphan rows of one foreign key of a WITHOUT ROWID
/// child, in primary-key order, by the test `PRAGMA foreign_key_check`
/// makes: every key column non-NULL and no parent row whose key equals the
/// child's (under the parent column's affinity and collation — what
/// `p.col = +c.col` applies; no parent table at all: every such row).
fn orphans_by_key(
    conn: &Connection,
    child: &sqlite::Table,
    name: &RowName<'_>,
    columns: &[String],
    parent: Option<&sqlite::Table>,
    ref_columns: &[String],
    limit: usize,
) -> rusqlite::Result<Vec<Example>> {
    let mut cond: Vec<String> = columns
        .iter()
        .map(|c| format!("c.{} IS NOT NULL", q(c)))
        .collect();
    if let Some(p) = parent {
        let eq: Vec<String> = columns
            .iter()
            .zip(ref_columns)
            .map(|(c, r)| format!("p.{} = +c.{}", q(r), q(c)))
            .collect();
        cond.push(format!(
            "NOT EXISTS (SELECT 1 FROM {} AS p WHERE {})",
            q(&p.name),
            eq.join(" AND ")
        ));
    }
    let sel: Vec<String> = columns.iter().map(|c| format!("c.{}", q(c))).collect();
    let sql = format!(
        "SELECT {}, {} FROM {} AS c WHERE {} ORDER BY {} LIMIT {limit}",
        name.select("c."),
        sel.join(", "),
        q(&child.name),
        cond.join(" AND "),
        name.order_by("c.")
    );
    let mut st = conn.prepare(&sql)?;
    let mut rows = st.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(Example::new(
            name.read(r)?,
            child_key(r, name.width(), columns.len())?,
        ));
    }
    Ok(out)
}

/// Child rows whose key matches a parent key only under the parent's
/// collation, not byte for byte.
fn nocase_matches(
    conn: &Connection,
    child: &sqlite::Table,
    name: &RowName<'_>,
    columns: &[String],
    parent: &str,
    ref_columns: &[String],
) -> rusqlite::Result<(u64, Vec<Example>)> {
    let not_null: Vec<String> = columns
        .iter()
        .map(|c| format!("c.{} IS NOT NULL", q(c)))
        .collect();
    let eq = |binary: bool| -> String {
        columns
            .iter()
            .zip(ref_columns)
            .map(|(c, p)| {
                format!(
                    "p.{} = c.{}{}",
                    q(p),
                    q(c),
                    if binary { " COLLATE BINARY" } else { "" }
                )
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    let sel: Vec<String> = columns.iter().map(|c| format!("c.{}", q(c))).collect();
    let sql = format!(
        "SELECT {rowid}, {sel} FROM {child} AS c WHERE {nn} \
         AND NOT EXISTS (SELECT 1 FROM {parent} AS p WHERE {bin}) \
         AND EXISTS (SELECT 1 FROM {parent} AS p WHERE {coll}) ORDER BY {order}",
        rowid = name.select("c."),
        order = name.order_by("c."),
        sel = sel.join(", "),
        child = q(&child.name),
        nn = not_null.join(" AND "),
        parent = q(parent),
        bin = eq(true),
        coll = eq(false),
    );
    let mut st = conn.prepare(&sql)?;
    let mut rows = st.query([])?;
    let (mut n, mut ex) = (0u64, Vec::new());
    while let Some(r) = rows.next()? {
        n += 1;
        if ex.len() < FK_EXAMPLES {
            ex.push(Example::new(
                name.read(r)?,
                child_key(r, name.width(), columns.len())?,
            ));
        }
    }
    Ok((n, ex))
}

/// Bytes per table (its own b-tree plus its indexes') from `dbstat`, or
/// None if this SQLite has no `dbstat`.
fn dbstat_sizes(conn: &Connection) -> Option<BTreeMap<String, u64>> {
    let mut st = conn
        .prepare(
            "SELECT s.tbl_name, sum(d.pgsize) FROM dbstat('main', 1) AS d \
             JOIN sqlite_schema AS s ON s.name = d.name GROUP BY s.tbl_name",
        )
        .ok()?;
    let rows = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .ok()?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (name, bytes) = row.ok()?;
        out.insert(name.to_lowercase(), u64::try_from(bytes).unwrap_or(0));
    }
    Some(out)
}

fn classes(p: Option<&Profile>) -> Classes {
    p.map(|p| Classes {
        integer: p.integers,
        real: p.reals,
        text: p.texts,
        blob: p.blobs,
        null: p.nulls,
    })
    .unwrap_or_default()
}

fn table_report(
    conn: &Connection,
    t: &sqlite::Table,
    compiled: &Compiled,
    sizes: Option<&BTreeMap<String, u64>>,
    diags: &mut Diagnostics,
) -> rusqlite::Result<TableReport> {
    let pg_table = compiled.pg.tables.iter().find(|p| p.source_name == t.name);
    let (kind, detail) = match &t.kind {
        TableKind::Ordinary => ("table", None),
        TableKind::Virtual { module, .. } => ("virtual", Some(module.clone())),
        TableKind::Internal { reason } => ("internal", Some(reason.clone())),
    };
    let fate = if pg_table.is_some() {
        "migrated"
    } else if compiled
        .pg
        .kept_as_comment
        .iter()
        .any(|k| k.name == t.name && (k.kind == "table" || k.kind == "virtual table"))
    {
        "kept-as-comment"
    } else {
        "skipped"
    };
    let mut columns = Vec::new();
    let mut refusing = Vec::new();
    for c in t.columns.iter().filter(|c| !c.hidden) {
        let pc = pg_table.and_then(|p| p.columns.iter().find(|pc| pc.source_name == c.name));
        let problems = match (&c.profile, t.holds_rows()) {
            (Some(p), true) => column_problems(conn, t, c, p, pc, diags)?,
            _ => Vec::new(),
        };
        let refuses = problems
            .iter()
            .any(|p| p.outcome.as_ref().is_some_and(|o| o.refused > 0));
        if let (true, Some(pc)) = (refuses, pc) {
            refusing.push((c, pc));
        }
        columns.push(ColumnReport {
            name: c.name.clone(),
            declared: c.declared.clone(),
            classes: classes(c.profile.as_ref()),
            rule: pc.and_then(|pc| pc.decisions.first().map(|d| d.rule.clone())),
            pg_type: pc.map(|pc| pc.pg_type.clone()),
            converter: pc.map(|pc| pc.converter.name().to_string()),
            problems,
        });
    }
    Ok(TableReport {
        name: t.name.clone(),
        kind: kind.into(),
        detail,
        rows: t.rows,
        bytes: sizes.and_then(|s| s.get(&t.name.to_lowercase()).copied()),
        fate: fate.into(),
        pg_name: pg_table.map(|p| p.name.clone()),
        columns,
        refused_rows: refused_rows(conn, t, &refusing)?,
    })
}

/// The rows of `t` in which the loader refuses a value of one of `cols`
/// (the columns with a refused value): each value through the converter
/// and encoder migrate runs it through.
fn refused_rows(
    conn: &Connection,
    t: &sqlite::Table,
    cols: &[(&sqlite::Column, &pg::Column)],
) -> rusqlite::Result<u64> {
    if cols.is_empty() {
        return Ok(0);
    }
    let list: Vec<String> = cols.iter().map(|(c, _)| q(&c.name)).collect();
    let wires: Vec<Option<Wire>> = cols
        .iter()
        .map(|(_, pc)| Wire::from_sql_type(&pc.pg_type))
        .collect();
    let sql = format!("SELECT {} FROM {}", list.join(", "), q(&t.name));
    let mut st = conn.prepare(&sql)?;
    let mut rows = st.query([])?;
    let (mut refused, mut scratch) = (0, Vec::new());
    while let Some(r) = rows.next()? {
        for (i, (_, pc)) in cols.iter().enumerate() {
            let v = r.get_ref(i)?;
            if crate::value::load(pc.converter, wires[i], v, &mut scratch).is_err() {
                refused += 1;
                break;
            }
        }
    }
    Ok(refused)
}

/// A dirty-value class: the profile's count and the predicate that finds
/// the same values again for examples.
struct Check {
    kind: &'static str,
    count: u64,
    message: String,
    matches: Box<dyn Fn(ValueRef<'_>) -> bool>,
    lengths: Vec<LengthSeen>,
    /// Run every matching value through the loader ([`Outcome`]).
    outcome: bool,
}

impl Check {
    fn new(
        kind: &'static str,
        count: u64,
        message: String,
        matches: impl Fn(ValueRef<'_>) -> bool + 'static,
    ) -> Check {
        Check {
            kind,
            count,
            message,
            matches: Box::new(matches),
            lengths: Vec::new(),
            outcome: false,
        }
    }
}

/// The running state of one [`Check`] during the example scan.
#[derive(Default)]
struct Tally {
    examples: Vec<Example>,
    /// Matching values seen.
    seen: u64,
    loaded: u64,
    /// What the first loaded values become, distinct, at most
    /// [`COLUMN_EXAMPLES`].
    loaded_as: Vec<String>,
    refused: u64,
    /// The first refusal: its reason and its row.
    first_refusal: Option<(String, String)>,
}

/// What the loader does with one value of a column: convert it with the
/// column's converter, then encode it for binary COPY into the column's
/// type — the two calls `migrate` makes per value. `Ok`: the value as
/// loaded, in PostgreSQL's text form; `Err`: the reason it is refused.
fn load_value(
    pc: &pg::Column,
    wire: Option<Wire>,
    v: ValueRef<'_>,
    scratch: &mut Vec<u8>,
) -> std::result::Result<String, String> {
    crate::value::load(pc.converter, wire, v, scratch)
        .map(|x| loaded_text(&x))
        .map_err(|e| e.reason)
}

impl Tally {
    /// One refused value; `example` (when kept) carries the reason, and the
    /// first refusal is remembered with its row.
    fn refuse(&mut self, example: Option<&mut Example>, reason: String) {
        self.refused += 1;
        if let Some(e) = example {
            if self.first_refusal.is_none() {
                self.first_refusal = Some((reason.clone(), row_label(e)));
            }
            e.refused = Some(reason);
        }
    }
}

/// A converted value in PostgreSQL's text form (texts cut at 80
/// characters, bytes at 32).
fn loaded_text(x: &convert::Value<'_>) -> String {
    use convert::Value as V;
    let cut = |s: &str| cut_chars(s, 80);
    match x {
        V::Null => "NULL".into(),
        V::Int(i) => i.to_string(),
        V::Float(f) => float_text(*f),
        V::Numeric(s) | V::Text(s) => cut(s),
        V::Json(s) => cut(s),
        V::Bytes(b) => {
            let mut out = format!("\\x{}", hex::encode(&b[..b.len().min(32)]));
            if b.len() > 32 {
                out.push_str(&format!("… ({} bytes)", b.len()));
            }
            out
        }
        V::Bool(b) => if *b { "true" } else { "false" }.into(),
        V::Uuid(u) => wire::uuid_text(u),
        other => format!("{other:?}"),
    }
}

/// How an example names its row in a message: `rowid 3`, `key (a='x')`.
fn row_label(e: &Example) -> String {
    match (&e.rowid, &e.key) {
        (Some(r), _) => format!("rowid {r}"),
        (None, Some(k)) => format!(
            "key ({})",
            k.iter()
                .map(|p| format!("{}={}", p.column, p.literal))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (None, None) => "a row".into(),
    }
}

/// A declared type for messages.
fn declared(c: &sqlite::Column) -> String {
    if c.declared.is_empty() {
        "without a type".into()
    } else {
        format!("declared {}", c.declared)
    }
}

fn is_numeric_declared(c: &sqlite::Column) -> bool {
    matches!(c.affinity, Affinity::Integer | Affinity::Real)
        || (c.affinity == Affinity::Numeric
            && ["NUMERIC", "DECIMAL", "NUMBER", "MONEY"]
                .iter()
                .any(|n| c.type_name.starts_with(n)))
}

fn is_date_declared(c: &sqlite::Column) -> bool {
    ["DATE", "DATETIME", "TIMESTAMP"]
        .iter()
        .any(|n| c.type_name.starts_with(n))
}

/// The name test of the float32 vector rules (`float32-blob-vector`).
fn is_embedding_name(name: &str) -> bool {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)(embed|vector|(^|_)vec($|_)|(^|_)emb($|_))").expect("static regex")
    });
    RE.is_match(name)
}

fn column_problems(
    conn: &Connection,
    t: &sqlite::Table,
    c: &sqlite::Column,
    p: &Profile,
    pc: Option<&pg::Column>,
    diags: &mut Diagnostics,
) -> rusqlite::Result<Vec<Problem>> {
    let mut checks: Vec<Check> = Vec::new();
    numeric_checks(c, p, &mut checks);
    encoding_checks(c, p, &mut checks);
    declared_type_checks(c, p, &mut checks);
    checks.extend(vector_check(conn, t, c, p)?);
    // The column as migrate loads it: its converter and binary COPY type.
    // A generated column is not loaded at all (PostgreSQL computes it).
    let load = pc
        .filter(|pc| pc.generated.is_none())
        .map(|pc| (pc, Wire::from_sql_type(&pc.pg_type)));
    // Every value the checks above do not run through the loader is run
    // through it here: a refusal no check describes is still a blocker.
    let rest = match load {
        Some((pc, wire)) if !surely_loads(p, pc, wire) => {
            let covered: Vec<&Check> = checks.iter().filter(|k| k.outcome).collect();
            refused_elsewhere(conn, t, c, pc, wire, &covered, diags)?
        }
        _ => None,
    };
    if checks.is_empty() {
        return Ok(rest.into_iter().collect());
    }
    let tallies = scan_examples(conn, t, c, &checks, load)?;
    let mut out = Vec::new();
    out.extend(rest);
    for (check, tally) in checks.into_iter().zip(tallies) {
        let outcome = match pc {
            Some(pc) if check.outcome => Some(outcome(t, c, pc, check.kind, &tally, diags)),
            _ => None,
        };
        out.push(Problem {
            kind: check.kind.into(),
            count: check.count,
            message: check.message,
            examples: tally.examples,
            lengths: check.lengths,
            outcome,
        });
    }
    Ok(out)
}

/// Values a numeric-declared column holds but a number cannot be: texts,
/// empty strings, blobs.
fn numeric_checks(c: &sqlite::Column, p: &Profile, checks: &mut Vec<Check>) {
    if !is_numeric_declared(c) {
        return;
    }
    let other = p.texts - p.empty_texts;
    if other > 0 {
        checks.push(Check::new(
            "text-in-numeric",
            other,
            format!(
                "{other} non-numeric text value(s) in a column declared {}",
                c.declared
            ),
            |v| matches!(v, ValueRef::Text(b) if !b.is_empty()),
        ));
    }
    if p.empty_texts > 0 {
        checks.push(Check::new(
            "empty-text-in-numeric",
            p.empty_texts,
            format!(
                "{} empty string(s) '' in a column declared {}",
                p.empty_texts, c.declared
            ),
            |v| matches!(v, ValueRef::Text(b) if b.is_empty()),
        ));
    }
    if p.blobs > 0 {
        checks.push(Check {
            outcome: true,
            ..Check::new(
                "blob-in-numeric",
                p.blobs,
                format!(
                    "{} blob value(s) in a column declared {}",
                    p.blobs, c.declared
                ),
                |v| matches!(v, ValueRef::Blob(_)),
            )
        });
    }
}

/// Values PostgreSQL cannot store as they are: infinities, NUL bytes,
/// invalid UTF-8.
fn encoding_checks(c: &sqlite::Column, p: &Profile, checks: &mut Vec<Check>) {
    if p.non_finite > 0 {
        // SQLite stores ±Infinity (9e999 overflows to it) but never NaN: a
        // NaN becomes NULL, so every non-finite real is an infinity.
        checks.push(Check {
            outcome: true,
            ..Check::new(
                "non-finite-real",
                p.non_finite,
                format!(
                    "{} infinite real value(s) (+Infinity/-Infinity) in a column {}",
                    p.non_finite,
                    declared(c)
                ),
                |v| matches!(v, ValueRef::Real(f) if !f.is_finite()),
            )
        });
    }
    if p.nul_bytes > 0 {
        checks.push(Check::new(
            "nul-bytes",
            p.nul_bytes,
            format!(
                "{} text value(s) hold a NUL byte, which PostgreSQL text cannot store",
                p.nul_bytes
            ),
            |v| matches!(v, ValueRef::Text(b) if b.contains(&0)),
        ));
    }
    if p.invalid_utf8 > 0 {
        checks.push(Check::new(
            "invalid-utf8",
            p.invalid_utf8,
            format!(
                "{} text value(s) are not valid UTF-8, which PostgreSQL text rejects",
                p.invalid_utf8
            ),
            |v| matches!(v, ValueRef::Text(b) if std::str::from_utf8(b).is_err()),
        ));
    }
}

/// Values that are not what the declared type says: non-JSON in a JSON
/// column, non-ISO text in a date column.
fn declared_type_checks(c: &sqlite::Column, p: &Profile, checks: &mut Vec<Check>) {
    if matches!(c.type_name.as_str(), "JSON" | "JSONB") {
        let bad = p.texts - p.json_values + p.blobs;
        if bad > 0 {
            checks.push(Check::new(
                "non-json",
                bad,
                format!(
                    "{bad} value(s) are not JSON text in a column declared {}{}",
                    c.declared,
                    if p.blobs > 0 {
                        format!(
                            " ({} of them blobs: the JSON rules read only text values)",
                            p.blobs
                        )
                    } else {
                        String::new()
                    }
                ),
                |v| match v {
                    ValueRef::Blob(_) => true,
                    ValueRef::Text(b) => !std::str::from_utf8(b).is_ok_and(lexical::is_json_value),
                    _ => false,
                },
            ));
        }
    }
    if is_date_declared(c) {
        let bad = p.texts - p.iso_dates - p.iso_timestamps - p.iso_timestamps_tz;
        if bad > 0 {
            checks.push(Check::new(
                "unparseable-date",
                bad,
                format!(
                    "{bad} text value(s) are not ISO-8601 dates or timestamps in a column declared {}",
                    c.declared
                ),
                |v| matches!(v, ValueRef::Text(b) if lexical::iso_kind(b).is_none()),
            ));
        }
    }
}

/// `wrong-length-vector`: an embedding-named blob column whose blobs are
/// not all one length.
fn vector_check(
    conn: &Connection,
    t: &sqlite::Table,
    c: &sqlite::Column,
    p: &Profile,
) -> rusqlite::Result<Option<Check>> {
    if !(c.affinity == Affinity::Blob
        && is_embedding_name(&c.name)
        && p.blobs > 1
        && p.blob_len_min != p.blob_len_max)
    {
        return Ok(None);
    }
    let lengths = blob_lengths(conn, &t.name, &c.name)?;
    if let Some(common) = lengths.first().map(|l| l.bytes) {
        let bad: u64 = lengths.iter().skip(1).map(|l| l.count).sum();
        let seen: Vec<String> = lengths
            .iter()
            .map(|l| format!("{} dims × {}", l.dims, l.count))
            .collect();
        return Ok(Some(Check {
            lengths,
            ..Check::new(
                "wrong-length-vector",
                bad,
                format!(
                    "{bad} blob(s) differ from the most common length ({} bytes, {} float32 dims); lengths seen: {}",
                    common,
                    common / 4,
                    seen.join(", ")
                ),
                move |v| matches!(v, ValueRef::Blob(b) if b.len() as u64 != common),
            )
        }));
    }
    Ok(None)
}

/// One pass over the column's text and blob (and, for infinities, real)
/// values, in row order: examples for every check, and each value of an
/// outcome check run through the loader, until every check has enough.
fn scan_examples(
    conn: &Connection,
    t: &sqlite::Table,
    c: &sqlite::Column,
    checks: &[Check],
    load: Option<(&pg::Column, Option<Wire>)>,
) -> rusqlite::Result<Vec<Tally>> {
    let name = RowName::of(t);
    let mut classes: Vec<&str> = vec!["'text'", "'blob'"];
    if checks.iter().any(|k| k.kind == "non-finite-real") {
        classes.push("'real'");
    }
    let sql = format!(
        "SELECT {}, {col} FROM {tbl} WHERE typeof({col}) IN ({}) ORDER BY {}",
        name.select(""),
        classes.join(", "),
        name.order_by(""),
        col = q(&c.name),
        tbl = q(&t.name)
    );
    let at = name.width();
    let mut scratch = Vec::new();
    let mut tallies: Vec<Tally> = checks.iter().map(|_| Tally::default()).collect();
    let mut st = conn.prepare(&sql)?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let v = r.get_ref(at)?;
        let mut done = true;
        for (check, tally) in checks.iter().zip(tallies.iter_mut()) {
            let want = (check.count as usize).min(COLUMN_EXAMPLES);
            let full = check.outcome && load.is_some();
            if (tally.examples.len() < want || (full && tally.seen < check.count))
                && (check.matches)(v)
            {
                tally_match(tally, check, load, want, v, || name.read(r), &mut scratch)?;
            }
            done &= tally.examples.len() >= want && (!full || tally.seen >= check.count);
        }
        if done {
            break;
        }
    }
    Ok(tallies)
}

/// A value `check` matches: counted, run through the loader for an outcome
/// check, and kept as an example (its row named by `row`) while fewer than
/// `want` are kept. A refused value's row is read even when no example is
/// wanted: the first refusal names it.
fn tally_match(
    tally: &mut Tally,
    check: &Check,
    load: Option<(&pg::Column, Option<Wire>)>,
    want: usize,
    v: ValueRef<'_>,
    row: impl FnOnce() -> rusqlite::Result<RowId>,
    scratch: &mut Vec<u8>,
) -> rusqlite::Result<()> {
    tally.seen += 1;
    let verdict = match load {
        Some((pc, wire)) if check.outcome => Some(load_value(pc, wire, v, scratch)),
        _ => None,
    };
    let mut example = None;
    if tally.examples.len() < want || matches!(verdict, Some(Err(_))) {
        example = Some(Example::new(row()?, example_value(v)));
    }
    match verdict {
        Some(Ok(text)) => {
            tally.loaded += 1;
            if tally.loaded_as.len() < COLUMN_EXAMPLES && !tally.loaded_as.contains(&text) {
                tally.loaded_as.push(text.clone());
            }
            if let Some(e) = example.as_mut() {
                e.loads_as = Some(text);
            }
        }
        Some(Err(reason)) => tally.refuse(example.as_mut(), reason),
        None => {}
    }
    if let Some(e) = example
        && tally.examples.len() < want
    {
        tally.examples.push(e);
    }
    Ok(())
}

/// True when the profile proves every value of the column loads: the
/// converter takes every storage class the column holds, whatever the value,
/// and the type has no modifier to overflow. Only then is the full scan of
/// [`refused_elsewhere`] skipped.
fn surely_loads(p: &Profile, pc: &pg::Column, wire: Option<Wire>) -> bool {
    use pg::Converter as C;
    let n = p.integers + p.reals + p.texts + p.blobs;
    match (pc.converter, wire) {
        (_, _) if n == 0 => true,
        (C::Bytes, Some(Wire::Bytea)) => true,
        (C::Integer, Some(Wire::Int8)) => p.integers == n,
        (C::Real, Some(Wire::Float8)) => p.integers + p.reals == n,
        (C::Text, Some(Wire::Text { max_chars: None })) => {
            p.texts == n && p.nul_bytes == 0 && p.invalid_utf8 == 0
        }
        (C::AnyText, Some(Wire::Text { max_chars: None })) => {
            p.blobs == p.text_blobs && p.nul_bytes == 0 && p.invalid_utf8 == 0
        }
        _ => false,
    }
}

/// Runs every non-NULL value of the column that no outcome check covers
/// through the loader, as migrate would; the values it refuses become one
/// `not-convertible` problem with its blocker.
fn refused_elsewhere(
    conn: &Connection,
    t: &sqlite::Table,
    c: &sqlite::Column,
    pc: &pg::Column,
    wire: Option<Wire>,
    covered: &[&Check],
    diags: &mut Diagnostics,
) -> rusqlite::Result<Option<Problem>> {
    let name = RowName::of(t);
    let sql = format!(
        "SELECT {}, {col} FROM {tbl} WHERE {col} IS NOT NULL ORDER BY {}",
        name.select(""),
        name.order_by(""),
        col = q(&c.name),
        tbl = q(&t.name)
    );
    let at = name.width();
    let mut tally = Tally::default();
    let mut scratch = Vec::new();
    let mut st = conn.prepare(&sql)?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let v = r.get_ref(at)?;
        if covered.iter().any(|k| (k.matches)(v)) {
            continue;
        }
        // Only refusals matter here: no text is made of the values that load.
        if let Err(e) = crate::value::load(pc.converter, wire, v, &mut scratch) {
            let mut example = if tally.examples.len() < COLUMN_EXAMPLES {
                Some(Example::new(name.read(r)?, example_value(v)))
            } else {
                None
            };
            tally.refuse(example.as_mut(), e.reason);
            tally.examples.extend(example);
        }
    }
    if tally.refused == 0 {
        return Ok(None);
    }
    let kind = "not-convertible";
    let outcome = outcome(t, c, pc, kind, &tally, diags);
    Ok(Some(Problem {
        kind: kind.into(),
        count: tally.refused,
        message: format!(
            "{} value(s) the {} converter does not load into {}",
            tally.refused,
            pc.converter.name(),
            pc.pg_type
        ),
        examples: tally.examples,
        lengths: Vec::new(),
        outcome: Some(outcome),
    }))
}

/// The [`Outcome`] of one problem from its tally, and a blocker
/// (`value-not-convertible`, the code `migrate` stops with) when the loader
/// refuses any of the values.
fn outcome(
    t: &sqlite::Table,
    c: &sqlite::Column,
    pc: &pg::Column,
    kind: &str,
    tally: &Tally,
    diags: &mut Diagnostics,
) -> Outcome {
    let conv = pc.converter.name();
    let pg_type = &pc.pg_type;
    let mut parts = Vec::new();
    if pc.generated.is_some() {
        parts.push("not loaded: a generated column, PostgreSQL computes it".to_string());
    }
    if tally.loaded > 0 {
        parts.push(format!(
            "{} value(s) load into {pg_type} ({conv} converter) as {}",
            tally.loaded,
            tally
                .loaded_as
                .iter()
                .map(|l| format!("'{}'", l.replace('\'', "''")))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut reason = None;
    if let Some((why, row)) = &tally.first_refusal {
        parts.push(format!(
            "{} value(s) cannot load into {pg_type} ({conv} converter: {why}), the first at \
             {row}: migrate stops there, or with --on-error reject writes their rows to the \
             rejects file",
            tally.refused
        ));
        diags.push(
            Diagnostic::error(
                Stage::Load,
                "value-not-convertible",
                format!(
                    "{} {kind} value(s) cannot load into {pg_type} ({conv} converter): {why}; \
                     the first is at {row}, where migrate would stop",
                    tally.refused
                ),
            )
            .on(format!("{}.{}", t.name, c.name))
            .with_help(
                "fix the values in SQLite (or give the column a type that holds them with a rule), \
                 or run migrate with --on-error reject to load the other rows and file these",
            ),
        );
        reason = Some(why.clone());
    }
    Outcome {
        pg_type: pg_type.clone(),
        converter: conv.into(),
        loaded: tally.loaded,
        refused: tally.refused,
        reason,
        summary: parts.join("; "),
    }
}

/// Blob lengths of one column, most common first (ties: shorter first).
fn blob_lengths(conn: &Connection, table: &str, column: &str) -> rusqlite::Result<Vec<LengthSeen>> {
    let sql = format!(
        "SELECT length({c}), count(*) FROM {t} WHERE typeof({c}) = 'blob' GROUP BY 1 ORDER BY 2 DESC, 1",
        c = q(column),
        t = q(table)
    );
    let mut st = conn.prepare(&sql)?;
    let rows = st.query_map([], |r| {
        let bytes = u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0);
        Ok(LengthSeen {
            bytes,
            dims: bytes / 4,
            count: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
        })
    })?;
    rows.collect()
}

fn objects(compiled: &Compiled) -> Vec<ObjectReport> {
    let pg = &compiled.pg;
    let kept = |kind: &str, name: &str| {
        pg.kept_as_comment
            .iter()
            .find(|k| k.name == name && k.kind == kind)
    };
    let mut out = Vec::new();
    for t in compiled.sqlite.tables.iter().filter(|t| !t.holds_rows()) {
        let kind = match &t.kind {
            TableKind::Ordinary => continue,
            TableKind::Virtual { module, .. } => format!("virtual table ({module})"),
            TableKind::Internal { .. } => "internal table".to_string(),
        };
        let (fate, reason) = if let Some(k) = pg
            .kept_as_comment
            .iter()
            .find(|k| k.name == t.name && k.kind != "view" && k.kind != "trigger")
        {
            ("kept-as-comment", k.reason.clone())
        } else if let Some(s) = pg.skipped.iter().find(|s| s.name == t.name) {
            ("skipped", s.reason.clone())
        } else {
            ("migrated", String::new())
        };
        out.push(ObjectReport {
            kind,
            name: t.name.clone(),
            table: None,
            fate: fate.into(),
            reason,
        });
    }
    for v in &compiled.sqlite.views {
        let k = kept("view", &v.name);
        out.push(ObjectReport {
            kind: "view".into(),
            name: v.name.clone(),
            table: None,
            fate: if k.is_some() {
                "kept-as-comment"
            } else {
                "migrated"
            }
            .into(),
            reason: k.map(|k| k.reason.clone()).unwrap_or_default(),
        });
    }
    for tr in &compiled.sqlite.triggers {
        let skipped = pg
            .skipped
            .iter()
            .find(|s| s.kind == "trigger" && s.name == tr.name);
        let (fate, reason) = match (kept("trigger", &tr.name), skipped) {
            (Some(k), _) => ("kept-as-comment", k.reason.clone()),
            (None, Some(s)) => ("skipped", s.reason.clone()),
            (None, None) => ("migrated", String::new()),
        };
        out.push(ObjectReport {
            kind: "trigger".into(),
            name: tr.name.clone(),
            table: Some(tr.table.clone()),
            fate: fate.into(),
            reason,
        });
    }
    for k in &pg.kept_as_comment {
        if matches!(
            k.kind.as_str(),
            "view" | "trigger" | "table" | "virtual table"
        ) {
            continue;
        }
        out.push(ObjectReport {
            kind: k.kind.clone(),
            name: k.name.clone(),
            table: None,
            fate: "kept-as-comment".into(),
            reason: k.reason.clone(),
        });
    }
    out
}

fn estimate(pg: &pg::Schema) -> Estimate {
    let rows_of = |name: &str| {
        pg.tables
            .iter()
            .find(|t| t.name == name)
            .and_then(|t| t.rows)
            .unwrap_or(0)
    };
    let mut builds = 0usize;
    let mut index_rows = 0u64;
    for t in &pg.tables {
        let keys = usize::from(t.primary_key.is_some()) + t.uniques.len();
        builds += keys;
        index_rows += t.rows.unwrap_or(0) * keys as u64;
    }
    for ix in &pg.indexes {
        builds += 1;
        index_rows += rows_of(&ix.table);
    }
    for fk in &pg.foreign_keys {
        builds += 1;
        index_rows += rows_of(&fk.table);
    }
    let rows: u64 = pg.tables.iter().filter_map(|t| t.rows).sum();
    Estimate {
        data_s: rows as f64 / LOAD_ROWS_PER_S,
        index_s: index_rows as f64 / INDEX_ROWS_PER_S,
        load_rows_per_s: LOAD_ROWS_PER_S,
        index_rows_per_s: INDEX_ROWS_PER_S,
        index_builds: builds,
    }
}
