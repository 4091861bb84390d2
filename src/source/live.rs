//! Live SQLite database files → `ir::sqlite` facts.
//!
//! Input: a path to a database file. Output: a [`Schema`] with
//! `source = Database`, row counts and (when asked) a data profile.
//!
//! How: the file is opened read-only (`SQLITE_OPEN_READ_ONLY | URI |
//! NO_MUTEX`) and everything is read in one read transaction. Each
//! `sqlite_schema.sql` text is parsed by [`ddl`] for what only the text holds
//! (expression texts, constraint names, FK actions, collations,
//! AUTOINCREMENT); `PRAGMA table_list / table_xinfo / index_xinfo /
//! index_list / foreign_key_list` are authoritative where they disagree.
//!
//! Invariants: the file is never written and no `-wal`/`-shm`/`-journal`
//! file is left behind. A WAL-mode database with no `-wal` file beside it
//! is opened `immutable=1` (its whole content is in the main file; a
//! read-only WAL connection would otherwise create `-wal`/`-shm`). Unknown
//! collations (Anki's `unicase`) are registered as ASCII case-insensitive
//! comparisons with a warning, so reads do not fail.
use super::ddl::{self, Statement};
use super::{SQLITE_MAGIC, SourceOptions, extension, file_name, fts, profile, vec0};
use crate::diag::{Diagnostic, Diagnostics, Error, Result, Stage};
use crate::ir::sqlite::{
    Affinity, Column, Expr, ForeignKey, Generated, Index, IndexedColumn, KeyConstraint, Schema,
    SourceKind, Table, TableKind, Trigger, View,
};
use crate::progress::Progress;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Collations every SQLite has.
const BUILTIN_COLLATIONS: [&str; 3] = ["BINARY", "NOCASE", "RTRIM"];

fn sqlite_err(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |source| Error::Sqlite {
        path: path.display().to_string(),
        source,
    }
}

/// ASCII case-insensitive comparison, the stand-in for unknown collations.
fn ascii_nocase(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

fn register_unknown_collation(conn: &Connection, name: &str) -> rusqlite::Result<()> {
    conn.create_collation(name, ascii_nocase)
}

/// A path with `suffix` appended to its file name (`x.db` → `x.db-wal`).
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// `file:` URI for `path`, percent-encoding everything but unreserved bytes.
fn file_uri(path: &Path, immutable: bool) -> String {
    let mut uri = String::from("file:");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?mode=ro");
    if immutable {
        uri.push_str("&immutable=1");
    }
    uri
}

/// Checks the header and decides how to open: returns whether the file is
/// a WAL database with no `-wal`/`-shm` beside it.
fn check_header(path: &Path) -> Result<bool> {
    let io_err = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let mut head = Vec::with_capacity(20);
    std::fs::File::open(path)
        .map_err(io_err)?
        .take(20)
        .read_to_end(&mut head)
        .map_err(io_err)?;
    if head.is_empty() {
        return Err(Diagnostic::error(
            Stage::Source,
            "input-empty",
            format!(
                "{} is empty (0 bytes): not a SQLite database",
                path.display()
            ),
        )
        .with_help("check the path: `pgbridge inspect <the application's database file>`")
        .into());
    }
    if head.len() < 20 || &head[..16] != SQLITE_MAGIC {
        return Err(Diagnostic::error(
            Stage::Source,
            "not-a-sqlite-database",
            format!(
                "{} is not a SQLite 3 database (missing the `SQLite format 3` header)",
                path.display()
            ),
        )
        .with_help("pass a SQLite database file, or a .sql script for DDL text")
        .into());
    }
    let wal_mode = head[18] == 2 || head[19] == 2;
    Ok(wal_mode && !sibling(path, "-wal").exists() && !sibling(path, "-shm").exists())
}

/// One `sqlite_schema` row.
struct SchemaRow {
    kind: String,
    name: String,
    tbl_name: String,
    sql: Option<String>,
}

/// Opens a database file read-only, the way every reader here does:
/// `immutable=1` for a WAL file with no `-wal`/`-shm` beside it, unknown
/// collations registered as ASCII case-insensitive, and the
/// `--load-extension` libraries in `extensions` loaded.
pub fn open_read_only(path: &Path, extensions: &[PathBuf]) -> Result<Connection> {
    open(path, extensions, true)
}

/// Opens a live source read-only for `migrate --live` and `sync`: like
/// [`open_read_only`], but never `immutable=1` — the application may open
/// the file and write while pgbridge reads, and only SQLite's locks keep a
/// reader's snapshot whole then.
pub fn open_live(path: &Path, extensions: &[PathBuf]) -> Result<Connection> {
    open(path, extensions, false)
}

fn open(path: &Path, extensions: &[PathBuf], immutable_ok: bool) -> Result<Connection> {
    let immutable = check_header(path)? && immutable_ok;
    let err = sqlite_err(path);
    let conn = Connection::open_with_flags(
        file_uri(path, immutable),
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(&err)?;
    conn.collation_needed(register_unknown_collation)
        .map_err(&err)?;
    super::extension::load_all(&conn, extensions)?;
    Ok(conn)
}

/// Reads the schema (and profile) through `conn`, inside whatever read
/// transaction the caller holds, so a loader can read the data from the
/// same snapshot.
/// Each table's count and profile is announced to `progress` as a step.
pub fn read_with(
    conn: &Connection,
    path: &Path,
    opts: &SourceOptions,
    progress: &dyn Progress,
) -> Result<(Schema, Diagnostics)> {
    let mut diags = Diagnostics::default();
    let schema = read_all(conn, path, opts, progress, &mut diags)?;
    Ok((schema, diags))
}

/// Reads a live database file (see the module docs).
pub fn read_database(path: &Path, opts: &SourceOptions) -> Result<(Schema, Diagnostics)> {
    let err = sqlite_err(path);
    let conn = open_read_only(path, &opts.extensions)?;
    let tx = conn.unchecked_transaction().map_err(&err)?;
    let out = read_with(&tx, path, opts, &crate::progress::Quiet)?;
    tx.finish().map_err(&err)?;
    drop(conn);
    Ok(out)
}

/// A database without a single schema object: an error when it is an empty
/// file (not a database someone made) or a WAL-mode file whose `-wal` is not
/// beside it (a copy that lost every change since the last checkpoint), else
/// a warning that the migration set creates nothing.
fn no_objects(path: &Path, diags: &mut Diagnostics) -> Result<()> {
    let shown = path.display();
    if std::fs::metadata(path)
        .map(|m| m.len() == 0)
        .unwrap_or(false)
    {
        return Err(Diagnostic::error(
            Stage::Source,
            "input-empty",
            format!("{shown} is empty (0 bytes): not a SQLite database"),
        )
        .with_help("check the path: `pgbridge inspect <the application's database file>`")
        .into());
    }
    // Header bytes 18 and 19 (write and read format versions) are 2 in WAL mode.
    let wal = std::fs::read(path)
        .map(|h| h.get(18..20) == Some(&[2, 2][..]))
        .unwrap_or(false);
    let mut wal_file = path.as_os_str().to_owned();
    wal_file.push("-wal");
    if wal && !Path::new(&wal_file).exists() {
        return Err(Diagnostic::error(
            Stage::Source,
            "wal-file-missing",
            format!(
                "{shown} is in WAL mode and holds no tables, and {shown}-wal is not beside it: a copy made without its -wal file has lost every change since the last checkpoint"
            ),
        )
        .with_help("copy the database with its -wal file, or make the copy with `sqlite3 app.db \".backup copy.db\"` (or `VACUUM INTO 'copy.db'`) and migrate that")
        .into());
    }
    diags.push(
        Diagnostic::warning(
            Stage::Source,
            "database-empty",
            format!("{shown} is a SQLite database with no tables, indexes, views or triggers: there is nothing to migrate"),
        )
        .with_help("check the path; `pgbridge inspect FILE` shows what a file holds"),
    );
    Ok(())
}

fn read_all(
    conn: &Connection,
    path: &Path,
    opts: &SourceOptions,
    progress: &dyn Progress,
    diags: &mut Diagnostics,
) -> Result<Schema> {
    let err = sqlite_err(path);
    let origin = file_name(path);
    let rows: Vec<SchemaRow> = {
        let mut st = conn
            .prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY rowid")
            .map_err(&err)?;
        st.query_map([], |r| {
            Ok(SchemaRow {
                kind: r.get(0)?,
                name: r.get(1)?,
                tbl_name: r.get(2)?,
                sql: r.get(3)?,
            })
        })
        .map_err(&err)?
        .collect::<rusqlite::Result<_>>()
        .map_err(&err)?
    };
    if rows.is_empty() {
        no_objects(path, diags)?;
    }
    let rows = without_capture(rows);
    let table_list = read_table_list(conn);
    let mut schema = Schema {
        source: SourceKind::Database,
        origin,
        tables: Vec::new(),
        indexes: Vec::new(),
        views: Vec::new(),
        triggers: Vec::new(),
        sequences: BTreeMap::new(),
        unreadable: Vec::new(),
    };
    let mut custom_collations = BTreeSet::new();
    // Virtual tables whose module is not loaded.
    let mut missing: Vec<String> = Vec::new();
    for row in &rows {
        let Some(sql) = row.sql.as_deref() else {
            continue; // auto-index backing a PRIMARY KEY / UNIQUE constraint
        };
        let parsed = match ddl::parse_statement(sql) {
            Ok(p) => Some(p),
            Err(e) => {
                diags.push(
                    Diagnostic::warning(
                        Stage::Source,
                        "schema-sql-unparsed",
                        format!(
                            "cannot parse the stored SQL of {} {} ({}:{}: {}); using PRAGMA facts only",
                            row.kind, row.name, e.line, e.column, e.message
                        ),
                    )
                    .on(row.name.clone()),
                );
                None
            }
        };
        match row.kind.as_str() {
            "table" => {
                let (table, quirk) = match parsed {
                    Some(Statement::Table(pt)) => (pt.table, pt.pk_desc_quirk),
                    _ => (Table::new(&row.name, TableKind::Ordinary, sql), false),
                };
                if extension::module_missing(conn, &table) {
                    missing.push(table.name.clone());
                    schema.tables.push(table);
                    continue;
                }
                let mut t = table_from_pragmas(conn, table, quirk, &table_list, diags);
                if vec0::is_vec0(&t) {
                    vec0::apply(&mut t);
                }
                if fts::is_own_content(&t) {
                    fts::apply(&mut t);
                }
                for c in &t.columns {
                    if let Some(coll) = &c.collation {
                        custom_collations.insert(coll.clone());
                    }
                }
                schema.tables.push(t);
            }
            "index" => {
                let ix = match parsed {
                    Some(Statement::Index(ix)) => ix,
                    _ => Index {
                        name: row.name.clone(),
                        table: row.tbl_name.clone(),
                        unique: false,
                        columns: Vec::new(),
                        where_clause: None,
                        sql: sql.to_string(),
                        line: None,
                    },
                };
                let ix = index_from_pragmas(conn, ix, row, diags);
                for c in &ix.columns {
                    if let Some(coll) = &c.collation {
                        custom_collations.insert(coll.clone());
                    }
                }
                schema.indexes.push(ix);
            }
            "view" => schema.views.push(View {
                name: row.name.clone(),
                sql: sql.to_string(),
                line: None,
                columns: view_columns(conn, &row.name),
            }),
            "trigger" => schema.triggers.push(Trigger {
                name: row.name.clone(),
                table: row.tbl_name.clone(),
                sql: sql.to_string(),
                line: None,
            }),
            _ => {}
        }
    }
    for coll in &custom_collations {
        if !BUILTIN_COLLATIONS
            .iter()
            .any(|b| b.eq_ignore_ascii_case(coll))
        {
            diags.push(
                Diagnostic::warning(
                    Stage::Source,
                    "custom-collation-substituted",
                    format!(
                        "collation `{coll}` is defined by the application, not SQLite; it was read as ASCII case-insensitive"
                    ),
                )
                .with_help("check the PostgreSQL collation chosen for columns and indexes that use it"),
            );
        }
    }
    let shadows: Vec<String> = table_list
        .iter()
        .filter(|(_, info)| info.kind == "shadow")
        .map(|(name, _)| name.clone())
        .collect();
    ddl::classify_internal(&mut schema.tables, &shadows);
    let order: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.kind.as_str(), r.name.as_str()))
        .collect();
    extension::report_missing(&mut schema.tables, &order, &missing, diags);
    super::spatial::read(conn, &mut schema, diags);

    if schema
        .tables
        .iter()
        .any(|t| t.name.eq_ignore_ascii_case("sqlite_sequence"))
    {
        schema.sequences = read_sequences(conn).map_err(&err)?;
        schema.sequences.remove(super::capture_names::LOG);
    }
    for t in &mut schema.tables {
        if !t.holds_rows() {
            continue;
        }
        progress.step(&format!("counting rows of {}", t.name));
        let n: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM {}", quote(&t.name)),
                [],
                |r| r.get(0),
            )
            .map_err(&err)?;
        t.rows = Some(u64::try_from(n).unwrap_or(0));
        if opts.profile {
            progress.step(&format!("profiling {} ({n} rows)", t.name));
            match profile::profile_table(conn, t) {
                Ok(profiles) => {
                    for (c, p) in t.columns.iter_mut().zip(profiles) {
                        c.profile = Some(p);
                    }
                }
                Err(e) => diags.push(
                    Diagnostic::warning(
                        Stage::Source,
                        "profile-failed",
                        format!("cannot profile table {}: {e}", t.name),
                    )
                    .on(t.name.clone()),
                ),
            }
        }
    }
    Ok(schema)
}

/// A double-quoted identifier.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `PRAGMA table_list` facts for one table.
struct TableInfo {
    kind: String,
    without_rowid: bool,
    strict: bool,
}

/// `PRAGMA main.table_list` (SQLite ≥ 3.37), name → facts. Empty if the
/// pragma is not available.
fn read_table_list(conn: &Connection) -> BTreeMap<String, TableInfo> {
    let read = || -> rusqlite::Result<BTreeMap<String, TableInfo>> {
        let mut st = conn.prepare(
            "SELECT name, type, wr, strict FROM pragma_table_list WHERE schema = 'main'",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                TableInfo {
                    kind: r.get(1)?,
                    without_rowid: r.get::<_, i64>(2)? != 0,
                    strict: r.get::<_, i64>(3)? != 0,
                },
            ))
        })?;
        rows.collect()
    };
    read().unwrap_or_default()
}

/// One `PRAGMA table_xinfo` row.
struct XInfo {
    name: String,
    declared: String,
    not_null: bool,
    default: Option<String>,
    pk: usize,
    hidden: i64,
}

fn table_xinfo(conn: &Connection, table: &str) -> rusqlite::Result<Vec<XInfo>> {
    let mut st = conn.prepare_cached(
        "SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?1)",
    )?;
    let rows = st.query_map([table], |r| {
        Ok(XInfo {
            name: r.get(0)?,
            declared: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            not_null: r.get::<_, i64>(2)? != 0,
            default: r.get(3)?,
            pk: usize::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
            hidden: r.get(5)?,
        })
    })?;
    rows.collect()
}

/// Merges the parsed table with PRAGMA facts (PRAGMAs win).
fn table_from_pragmas(
    conn: &Connection,
    mut t: Table,
    pk_desc_quirk: bool,
    table_list: &BTreeMap<String, TableInfo>,
    diags: &mut Diagnostics,
) -> Table {
    if let Some(info) = table_list.get(&t.name) {
        t.without_rowid = info.without_rowid;
        t.strict = info.strict;
    }
    let xinfo = match table_xinfo(conn, &t.name) {
        Ok(x) => x,
        Err(e) => {
            diags.push(
                Diagnostic::warning(
                    Stage::Source,
                    "table-info-unavailable",
                    format!("cannot read the columns of {}: {e}", t.name),
                )
                .with_help("a virtual table whose module is not built into pgbridge's SQLite keeps the columns of its text only")
                .on(t.name.clone()),
            );
            return t;
        }
    };
    let parsed = std::mem::take(&mut t.columns);
    for x in &xinfo {
        let from_text = parsed.iter().find(|c| c.name.eq_ignore_ascii_case(&x.name));
        // SQLite reports the standard type names (INT, INTEGER, TEXT, …)
        // upper-cased; keep the text's spelling when only case or spacing differ.
        let declared = match from_text {
            Some(c) if same_type_text(&c.declared, &x.declared) => c.declared.clone(),
            _ => x.declared.clone(),
        };
        let (type_name, type_args) = ddl::split_type(&declared);
        let generated = match x.hidden {
            2 | 3 => Some(Generated {
                expr: from_text
                    .and_then(|c| c.generated.as_ref().map(|g| g.expr.clone()))
                    .unwrap_or_else(|| Expr::new("")),
                stored: x.hidden == 3,
            }),
            _ => None,
        };
        t.columns.push(Column {
            name: x.name.clone(),
            affinity: Affinity::of_declared(&declared),
            declared,
            type_name,
            type_args,
            not_null: x.not_null,
            default: from_text
                .and_then(|c| c.default.clone())
                .or_else(|| x.default.clone().map(Expr::new)),
            collation: from_text.and_then(|c| c.collation.clone()),
            pk_position: x.pk,
            rowid_alias: false,
            autoincrement: from_text.is_some_and(|c| c.autoincrement),
            generated,
            hidden: x.hidden == 1,
            profile: None,
            geometry: None,
        });
    }
    // Primary key: PRAGMA positions win; the constraint name comes from the text.
    let mut pk: Vec<(usize, String)> = t
        .columns
        .iter()
        .filter(|c| c.pk_position > 0)
        .map(|c| (c.pk_position, c.name.clone()))
        .collect();
    pk.sort();
    let pk_cols: Vec<String> = pk.into_iter().map(|(_, n)| n).collect();
    t.primary_key = if pk_cols.is_empty() {
        None
    } else {
        Some(KeyConstraint {
            name: t.primary_key.take().and_then(|k| k.name),
            columns: pk_cols,
        })
    };
    match read_foreign_keys(conn, &t.name) {
        Ok(fks) => t.foreign_keys = merge_foreign_keys(&t.foreign_keys, fks),
        Err(e) => diags.push(
            Diagnostic::warning(
                Stage::Source,
                "foreign-keys-unavailable",
                format!("cannot read the foreign keys of {}: {e}", t.name),
            )
            .on(t.name.clone()),
        ),
    }
    ddl::mark_rowid_alias(&mut t, pk_desc_quirk);
    t
}

/// Two type texts that differ only in letter case or whitespace.
fn same_type_text(a: &str, b: &str) -> bool {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect()
    };
    squash(a) == squash(b)
}

/// `PRAGMA foreign_key_list`, in declaration order (the pragma lists the
/// last-declared key first).
fn read_foreign_keys(conn: &Connection, table: &str) -> rusqlite::Result<Vec<ForeignKey>> {
    let mut st = conn.prepare_cached(
        "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?1) ORDER BY id DESC, seq",
    )?;
    let mut rows = st.query([table])?;
    let mut out: Vec<(i64, ForeignKey)> = Vec::new();
    let action = |s: String| {
        let s = s.to_ascii_uppercase();
        (s != "NO ACTION").then_some(s)
    };
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let to: Option<String> = r.get(3)?;
        if out.last().is_none_or(|(last, _)| *last != id) {
            out.push((
                id,
                ForeignKey {
                    name: None,
                    columns: Vec::new(),
                    ref_table: r.get(1)?,
                    ref_columns: Vec::new(),
                    on_delete: action(r.get(5)?),
                    on_update: action(r.get(4)?),
                    deferrable: None,
                },
            ));
        }
        if let Some((_, fk)) = out.last_mut() {
            fk.columns.push(r.get(2)?);
            if let Some(to) = to {
                fk.ref_columns.push(to);
            }
        }
    }
    Ok(out.into_iter().map(|(_, fk)| fk).collect())
}

/// PRAGMA keys, with the name, deferrability and explicit `NO ACTION` of
/// the matching key in the text.
fn merge_foreign_keys(text: &[ForeignKey], pragma: Vec<ForeignKey>) -> Vec<ForeignKey> {
    let same_cols = |a: &[String], b: &[String]| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
    };
    let mut used = vec![false; text.len()];
    pragma
        .into_iter()
        .map(|mut fk| {
            let found = text.iter().enumerate().find(|(i, d)| {
                !used[*i]
                    && d.ref_table.eq_ignore_ascii_case(&fk.ref_table)
                    && same_cols(&d.columns, &fk.columns)
            });
            if let Some((i, d)) = found {
                used[i] = true;
                fk.name = d.name.clone();
                fk.deferrable = d.deferrable;
                if fk.on_delete.is_none() {
                    fk.on_delete = d.on_delete.clone().filter(|a| a == "NO ACTION");
                }
                if fk.on_update.is_none() {
                    fk.on_update = d.on_update.clone().filter(|a| a == "NO ACTION");
                }
            }
            fk
        })
        .collect()
}

/// One `PRAGMA index_xinfo` key row: cid, column name, desc, collation.
type IndexKey = (i64, Option<String>, bool, Option<String>);

/// Merges a parsed index with `PRAGMA index_xinfo` / `index_list`.
fn index_from_pragmas(
    conn: &Connection,
    mut ix: Index,
    row: &SchemaRow,
    diags: &mut Diagnostics,
) -> Index {
    ix.name = row.name.clone();
    ix.table = row.tbl_name.clone();
    let keys = || -> rusqlite::Result<Vec<IndexKey>> {
        let mut st = conn.prepare_cached(
            "SELECT cid, name, \"desc\", coll FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno",
        )?;
        let rows = st.query_map([&row.name], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0, r.get(3)?))
        })?;
        rows.collect()
    };
    match keys() {
        Ok(keys) => {
            let parsed = std::mem::take(&mut ix.columns);
            for (i, (cid, name, desc, coll)) in keys.into_iter().enumerate() {
                let text = parsed.get(i);
                let column = match cid {
                    -2 => None,
                    -1 => Some("rowid".to_string()),
                    _ => name,
                };
                let expr = text
                    .map(|c| c.expr.clone())
                    .unwrap_or_else(|| Expr::new(column.clone().unwrap_or_default()));
                let collation = match text {
                    Some(c) => c.collation.clone(),
                    None => coll.filter(|c| !c.eq_ignore_ascii_case("BINARY")),
                };
                ix.columns.push(IndexedColumn {
                    column,
                    expr,
                    collation,
                    desc,
                });
            }
        }
        Err(e) => diags.push(
            Diagnostic::warning(
                Stage::Source,
                "index-info-unavailable",
                format!("cannot read the keys of index {}: {e}", row.name),
            )
            .on(row.name.clone()),
        ),
    }
    let list = conn.query_row(
        "SELECT \"unique\", partial FROM pragma_index_list(?1) WHERE name = ?2",
        [&row.tbl_name, &row.name],
        |r| Ok((r.get::<_, i64>(0)? != 0, r.get::<_, i64>(1)? != 0)),
    );
    if let Ok((unique, partial)) = list {
        ix.unique = unique;
        if partial && ix.where_clause.is_none() {
            diags.push(
                Diagnostic::warning(
                    Stage::Source,
                    "partial-index-predicate-unknown",
                    format!(
                        "index {} is partial but its WHERE clause could not be read",
                        row.name
                    ),
                )
                .on(row.name.clone()),
            );
        }
    }
    ix
}

/// `sqlite_sequence` rows; values that are not integers are skipped.
/// The schema rows without capture's log and triggers, which are
/// pgbridge's, not the application's — nor `sqlite_sequence` when the log's
/// AUTOINCREMENT made it and no application table is AUTOINCREMENT.
fn without_capture(rows: Vec<SchemaRow>) -> Vec<SchemaRow> {
    use super::capture_names::{LOG, is_capture_object};
    let captured = rows.iter().any(|r| r.name == LOG);
    let (own, mut app): (Vec<SchemaRow>, Vec<SchemaRow>) = rows
        .into_iter()
        .partition(|r| is_capture_object(&r.name, &r.tbl_name));
    let autoincrement = app.iter().any(|r| {
        r.kind == "table"
            && r.sql
                .as_deref()
                .is_some_and(|s| s.to_ascii_uppercase().contains("AUTOINCREMENT"))
    });
    if captured && !own.is_empty() && !autoincrement {
        app.retain(|r| r.name != "sqlite_sequence");
    }
    app
}

fn read_sequences(conn: &Connection) -> rusqlite::Result<BTreeMap<String, i64>> {
    let mut st = conn.prepare("SELECT name, seq FROM sqlite_sequence")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, Value>(0)?, r.get::<_, Value>(1)?)))?;
    let mut out = BTreeMap::new();
    for row in rows {
        if let (Value::Text(name), Value::Integer(seq)) = row? {
            out.insert(name, seq);
        }
    }
    Ok(out)
}

/// A view's result-column names as SQLite reports them; empty when SQLite
/// cannot prepare the view (it reads a missing table, say).
fn view_columns(conn: &rusqlite::Connection, view: &str) -> Vec<String> {
    let Ok(mut stmt) = conn.prepare("SELECT name FROM pragma_table_info(?1)") else {
        return Vec::new();
    };
    stmt.query_map([view], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect())
        .unwrap_or_default()
}
