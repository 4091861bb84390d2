//! The load plan: which SQLite table and columns feed which PostgreSQL
//! table and columns, with the converter and wire type of each.
//!
//! **Input**: `ir::pg` (the rules' decisions), `ir::sqlite` (row ids,
//! profiles), and the target catalog read over a connection.
//! **Output**: one [`TablePlan`] per table to load, or diagnostics that name
//! every table/column that cannot be mapped — all found before any row
//! moves.
//!
//! Invariants: generated columns are never written (PostgreSQL computes
//! them); every planned column has a converter whose values its wire type
//! accepts ([`Wire::accepts`]).
use crate::diag::{Diagnostic, Diagnostics, Stage};
use crate::ident::quote_ident;
use crate::ir::{pg, pg::Converter, sqlite};
use crate::value::wire::Wire;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Debug, Clone, serde::Serialize)]
pub struct ColumnPlan {
    /// SQLite column name.
    pub source: String,
    /// PostgreSQL column name.
    pub target: String,
    pub converter: Converter,
    pub wire: Wire,
    /// The target type as PostgreSQL prints it.
    pub pg_type: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TablePlan {
    /// SQLite table name.
    pub source: String,
    /// PostgreSQL table name (unqualified).
    pub target: String,
    pub columns: Vec<ColumnPlan>,
    /// The name to select the row id by (`rowid`, `_rowid_`, `oid`), or
    /// none for WITHOUT ROWID tables.
    pub rowid: Option<String>,
    /// Rows in the source, from the profile, when known.
    pub rows: Option<u64>,
}

impl TablePlan {
    /// `SELECT [rowid,] "c1", ... FROM "t"` for SQLite.
    pub fn select_sql(&self) -> String {
        let mut cols: Vec<String> = Vec::new();
        if let Some(r) = &self.rowid {
            cols.push(r.clone());
        }
        cols.extend(self.columns.iter().map(|c| quote_ident_always(&c.source)));
        if cols.is_empty() {
            cols.push("NULL".into());
        }
        format!(
            "SELECT {} FROM {}",
            cols.join(", "),
            quote_ident_always(&self.source)
        )
    }

    /// `COPY "ns"."t" ("a", "b") FROM STDIN (FORMAT binary[, FREEZE])`.
    pub fn copy_sql(&self, namespace: &str, freeze: bool) -> String {
        let cols: Vec<String> = self
            .columns
            .iter()
            .map(|c| quote_ident(&c.target))
            .collect();
        format!(
            "COPY {}.{} ({}) FROM STDIN (FORMAT binary{})",
            quote_ident(namespace),
            quote_ident(&self.target),
            cols.join(", "),
            if freeze { ", FREEZE" } else { "" }
        )
    }

    pub fn qualified(&self, namespace: &str) -> String {
        use crate::ident::quote_ident_raw;
        format!(
            "{}.{}",
            quote_ident_raw(namespace),
            quote_ident_raw(&self.target)
        )
    }
}

pub use crate::ident::quote_ident_always;

/// One column of the target catalog.
#[derive(Debug, Clone)]
pub struct CatalogColumn {
    pub name: String,
    pub typname: String,
    pub typmod: i32,
    pub generated: bool,
    pub not_null: bool,
    pub has_default: bool,
    pub pg_type: String,
}

/// Which relations [`read_columns`] reads.
#[derive(Debug, Clone, Copy)]
pub enum Relations<'a> {
    /// Every table of the namespace.
    Tables,
    /// The one view (or materialized view) of this name.
    View(&'a str),
}

/// Tables of `namespace` in the target: name → columns in order.
pub fn read_catalog(
    client: &mut postgres::Client,
    namespace: &str,
) -> Result<BTreeMap<String, Vec<CatalogColumn>>, postgres::Error> {
    read_columns(client, namespace, Relations::Tables)
}

/// Columns of the chosen relations of `namespace` as the catalog has
/// them (a domain as its base type): relation name → columns in order.
pub fn read_columns(
    client: &mut postgres::Client,
    namespace: &str,
    which: Relations<'_>,
) -> Result<BTreeMap<String, Vec<CatalogColumn>>, postgres::Error> {
    const SELECT: &str = "SELECT c.relname::text, a.attname::text, \
                coalesce(bt.typname, t.typname)::text, \
                CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END, \
                a.attgenerated <> '', a.attnotnull, \
                a.atthasdef OR a.attidentity <> '', \
                format_type(a.atttypid, a.atttypmod) \
         FROM pg_attribute a \
         JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype \
         WHERE n.nspname = $1 AND a.attnum > 0 AND NOT a.attisdropped ";
    let rows = match which {
        Relations::Tables => client.query(
            &format!("{SELECT} AND c.relkind IN ('r', 'p') ORDER BY c.relname, a.attnum"),
            &[&namespace],
        )?,
        Relations::View(name) => client.query(
            &format!("{SELECT} AND c.relkind IN ('v', 'm') AND c.relname = $2 ORDER BY a.attnum"),
            &[&namespace, &name],
        )?,
    };
    let mut out: BTreeMap<String, Vec<CatalogColumn>> = BTreeMap::new();
    for r in rows {
        out.entry(r.get(0)).or_default().push(CatalogColumn {
            name: r.get(1),
            typname: r.get(2),
            typmod: r.get(3),
            generated: r.get(4),
            not_null: r.get(5),
            has_default: r.get(6),
            pg_type: r.get(7),
        });
    }
    Ok(out)
}

/// Keys of the tables of `namespace` that order rows uniquely: the
/// primary key, then unique indexes on plain NOT NULL columns (no
/// expression, no predicate) by name; table name → column lists.
pub fn read_keys(
    client: &mut postgres::Client,
    namespace: &str,
) -> Result<BTreeMap<String, Vec<Vec<String>>>, postgres::Error> {
    let rows = client.query(
        "SELECT c.relname::text, \
                array_agg(a.attname::text ORDER BY k.ord) \
         FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_class ic ON ic.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
         WHERE n.nspname = $1 AND i.indisunique AND i.indexprs IS NULL AND i.indpred IS NULL \
           AND k.ord <= i.indnkeyatts \
         GROUP BY c.relname, i.indisprimary, ic.relname \
         HAVING bool_and(a.attnotnull) AND bool_and(k.attnum > 0) \
         ORDER BY c.relname, i.indisprimary DESC, ic.relname",
        &[&namespace],
    )?;
    let mut out: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for r in rows {
        out.entry(r.get(0)).or_default().push(r.get(1));
    }
    Ok(out)
}

/// The identity of a migration plan: a digest of the schema decisions only
/// — tables, columns (name, type, converter, NOT NULL, default, identity,
/// generated, collation), keys, CHECKs, indexes, foreign keys, extensions —
/// plus the namespace and the mode. Not the input's file name, row counts,
/// evidence or sequence floors: a rerun after the application wrote a row,
/// or of a byte-identical copy under another name, is the same plan and
/// resumes. A changed decision (a column now text, not jsonb) is a new plan.
pub fn plan_identity(pg: &pg::Schema, namespace: &str, data_only: bool) -> String {
    use sha2::{Digest, Sha256};
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                for k in [
                    "rows",
                    "decisions",
                    "notes",
                    "source_sql",
                    "floor",
                    "kept_as_comment",
                    "skipped",
                ] {
                    m.remove(k);
                }
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(pg).unwrap_or_default();
    strip(&mut v);
    let mut h = Sha256::new();
    h.update(v.to_string().as_bytes());
    h.update([0]);
    h.update(namespace.as_bytes());
    h.update([u8::from(data_only)]);
    hex::encode(h.finalize())[..16].to_string()
}

/// What a later run compares to tell whether the source may have changed
/// since this run read it: size and modification time (ns) of the database
/// file and of its `-wal`. Taken before the read snapshot opens, so a write
/// that lands in between makes the next run reload rather than miss it.
pub fn source_fingerprint(path: &Path) -> String {
    let stamp = |p: &Path| match std::fs::metadata(p) {
        Ok(m) => {
            let ns = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}@{ns}", m.len())
        }
        Err(_) => "-".to_string(),
    };
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    format!("{} {}", stamp(path), stamp(Path::new(&wal)))
}

/// A foreign key between two tables of the target schema.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetFk {
    pub child: String,
    pub parent: String,
    pub name: String,
    /// `pg_get_constraintdef`: how to add it back.
    pub def: String,
}

/// Foreign keys between tables of `namespace`, NOT DEFERRABLE ones only:
/// those are checked as each row arrives.
pub fn read_foreign_keys(
    client: &mut postgres::Client,
    namespace: &str,
) -> Result<Vec<TargetFk>, postgres::Error> {
    let rows = client.query(
        "SELECT c.relname::text, p.relname::text, k.conname::text, pg_get_constraintdef(k.oid) \
         FROM pg_constraint k \
         JOIN pg_class c ON c.oid = k.conrelid \
         JOIN pg_class p ON p.oid = k.confrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE k.contype = 'f' AND NOT k.condeferrable AND n.nspname = $1 \
           AND p.relnamespace = c.relnamespace \
         ORDER BY 1, 2, 3",
        &[&namespace],
    )?;
    Ok(rows
        .iter()
        .map(|r| TargetFk {
            child: r.get(0),
            parent: r.get(1),
            name: r.get(2),
            def: r.get(3),
        })
        .collect())
}

/// `todo` (indexes into `plans`) in load waves: every table's parents (by
/// `fks`, child → parent) in an earlier wave, so a child row never arrives
/// before its parent row is committed. A table referencing itself is fine
/// (one COPY checks its rows at its end). A cycle between tables is an
/// error naming it, before anything moves.
pub fn fk_waves(
    plans: &[TablePlan],
    todo: &[usize],
    fks: &[TargetFk],
) -> Result<Vec<Vec<usize>>, Vec<String>> {
    let names: Vec<&str> = plans.iter().map(|p| p.target.as_str()).collect();
    fk_waves_of(&names, todo, fks)
}

/// [`fk_waves`] over table names (`names[i]` the target name of table `i`).
pub fn fk_waves_of(
    names: &[&str],
    todo: &[usize],
    fks: &[TargetFk],
) -> Result<Vec<Vec<usize>>, Vec<String>> {
    let fks: Vec<(String, String)> = fks
        .iter()
        .map(|f| (f.child.clone(), f.parent.clone()))
        .collect();
    let mut left: Vec<usize> = todo.to_vec();
    let mut waves = Vec::new();
    while !left.is_empty() {
        let pending: BTreeSet<&str> = left.iter().map(|&i| names[i]).collect();
        let (ready, wait): (Vec<usize>, Vec<usize>) = left.iter().partition(|&&i| {
            let t = names[i];
            !fks.iter()
                .any(|(c, p)| c == t && p != t && pending.contains(p.as_str()))
        });
        if ready.is_empty() {
            return Err(cycle_of(
                wait.iter().map(|&i| names[i].to_string()).collect(),
                &fks,
            ));
        }
        waves.push(ready);
        left = wait;
    }
    Ok(waves)
}

/// Of tables that all wait for a parent, the ones on a cycle: drop, again and
/// again, every table no other remaining table references.
fn cycle_of(mut tables: BTreeSet<String>, fks: &[(String, String)]) -> Vec<String> {
    loop {
        let referenced: BTreeSet<&String> = fks
            .iter()
            .filter(|(c, p)| c != p && tables.contains(c))
            .map(|(_, p)| p)
            .collect();
        let keep: BTreeSet<String> = tables
            .iter()
            .filter(|t| referenced.contains(t))
            .cloned()
            .collect();
        if keep.len() == tables.len() {
            return tables.into_iter().collect();
        }
        tables = keep;
    }
}

fn rowid_name(t: &sqlite::Table) -> Option<String> {
    if t.without_rowid {
        return None;
    }
    ["rowid", "_rowid_", "oid"]
        .into_iter()
        .find(|n| {
            !t.columns
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(n) && !c.rowid_alias)
        })
        .map(str::to_string)
}

fn err(code: &str, msg: String) -> Diagnostic {
    Diagnostic::error(Stage::Load, code, msg)
}

/// Find `name` among `names`: exactly, else case-insensitively when only
/// one matches.
fn find_name<'a>(names: impl Iterator<Item = &'a str> + Clone, name: &str) -> Option<&'a str> {
    if let Some(n) = names.clone().find(|n| *n == name) {
        return Some(n);
    }
    let mut ci = names.filter(|n| n.eq_ignore_ascii_case(name));
    match (ci.next(), ci.next()) {
        (Some(n), None) => Some(n),
        _ => None,
    }
}

/// Plans for the tables the rules created (`migrate`): every column of
/// `pg` maps to the catalog column of the same name.
pub fn plan_created(
    src: &sqlite::Schema,
    pg: &pg::Schema,
    catalog: &BTreeMap<String, Vec<CatalogColumn>>,
) -> Result<Vec<TablePlan>, Diagnostics> {
    let mut plans = Vec::new();
    let mut diags = Diagnostics::default();
    for t in &pg.tables {
        let Some(st) = src.tables.iter().find(|s| s.name == t.source_name) else {
            continue;
        };
        let Some(cat) = catalog.get(&t.name) else {
            diags.push(err(
                "target-table-missing",
                format!("table {} is not in the target after 01_schema.sql", t.name),
            ));
            continue;
        };
        let mut columns = Vec::new();
        for c in t.columns.iter().filter(|c| c.generated.is_none()) {
            let Some(cc) = cat.iter().find(|cc| cc.name == c.name) else {
                diags.push(err(
                    "target-column-missing",
                    format!("column {}.{} is not in the target", t.name, c.name),
                ));
                continue;
            };
            match Wire::from_catalog(&cc.typname, cc.typmod) {
                Some(w) if w.accepts(c.converter) => columns.push(ColumnPlan {
                    source: c.source_name.clone(),
                    target: c.name.clone(),
                    converter: c.converter,
                    wire: w,
                    pg_type: cc.pg_type.clone(),
                }),
                _ => diags.push(
                    err(
                        "converter-type-mismatch",
                        format!(
                            "column {}.{}: the {} converter cannot write {}",
                            t.name,
                            c.name,
                            c.converter.name(),
                            cc.pg_type
                        ),
                    )
                    .with_help("the rule that chose this type must name a converter for it"),
                ),
            }
        }
        plans.push(TablePlan {
            source: st.name.clone(),
            target: t.name.clone(),
            columns,
            rowid: rowid_name(st),
            rows: st.rows,
        });
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(plans)
    }
}

/// The converter for a data-only column: the rule's own when the target
/// type takes it, else one chosen from the target type and the profile.
fn data_only_converter(
    rule: Converter,
    wire: Wire,
    profile: Option<&sqlite::Profile>,
) -> Option<Converter> {
    if wire.accepts(rule) {
        return Some(rule);
    }
    let conv = match (wire, profile) {
        (Wire::Timestamptz | Wire::Timestamp, Some(p)) if p.integers > 0 && p.texts == 0 => {
            if p.epoch_ms == p.integers {
                Converter::EpochMillis
            } else if p.epoch_us == p.integers {
                Converter::EpochMicros
            } else {
                Converter::EpochSeconds
            }
        }
        (Wire::Timestamptz | Wire::Timestamp, Some(p)) if p.reals > 0 && p.texts == 0 => {
            Converter::JulianDay
        }
        (Wire::Uuid, Some(p)) if p.blobs > 0 && p.texts == 0 => Converter::UuidBlob,
        (Wire::Float4Array, _) => Converter::Float32Array,
        _ => wire.default_converter(),
    };
    wire.accepts(conv).then_some(conv)
}

/// Plans for `--data-only`: tables and columns mapped by name into an
/// existing schema. Unmapped source tables are warnings (their data is
/// not moved, and the summary says so); unmapped source columns, target
/// columns that are NOT NULL without a default and have no source, and
/// types the loader cannot write are errors.
pub fn plan_data_only(
    src: &sqlite::Schema,
    pg: &pg::Schema,
    catalog: &BTreeMap<String, Vec<CatalogColumn>>,
) -> (Vec<TablePlan>, Diagnostics) {
    let mut plans = Vec::new();
    let mut diags = Diagnostics::default();
    for t in &pg.tables {
        let Some(st) = src.tables.iter().find(|s| s.name == t.source_name) else {
            continue;
        };
        let found = find_name(catalog.keys().map(String::as_str), &t.source_name)
            .or_else(|| find_name(catalog.keys().map(String::as_str), &t.name));
        let Some(target) = found else {
            diags.push(
                Diagnostic::warning(
                    Stage::Load,
                    "table-not-in-target",
                    format!(
                        "SQLite table {} has no table in the target schema; its {} rows are not moved",
                        t.source_name,
                        st.rows.map_or("?".to_string(), |r| r.to_string())
                    ),
                )
                .with_help("create the table in the target, or accept that it stays behind"),
            );
            continue;
        };
        plans.push(plan_into_existing(
            t,
            st,
            target,
            &catalog[target],
            &mut diags,
        ));
    }
    (plans, diags)
}

/// The plan of table `t` (read from `st`) into the existing table `target`
/// with columns `cat`: its columns mapped by name, and every target column
/// that must be filled but is not an error.
fn plan_into_existing(
    t: &pg::Table,
    st: &sqlite::Table,
    target: &str,
    cat: &[CatalogColumn],
    diags: &mut Diagnostics,
) -> TablePlan {
    let mut columns = Vec::new();
    let mut used = Vec::new();
    for c in t.columns.iter().filter(|c| c.generated.is_none()) {
        let names = cat.iter().map(|cc| cc.name.as_str());
        let Some(name) =
            find_name(names.clone(), &c.source_name).or_else(|| find_name(names, &c.name))
        else {
            diags.push(
                err(
                    "column-not-in-target",
                    format!(
                        "column {}.{} has no column in target table {target}",
                        t.source_name, c.source_name
                    ),
                )
                .with_help("add the column to the target table; rows are never loaded partially"),
            );
            continue;
        };
        let Some(cc) = cat.iter().find(|cc| cc.name == name) else {
            continue;
        };
        used.push(cc.name.clone());
        columns.extend(plan_column_into(t, st, c, target, cc, diags));
    }
    for cc in cat {
        if !used.contains(&cc.name) && cc.not_null && !cc.has_default && !cc.generated {
            diags.push(err(
                "target-column-unfilled",
                format!(
                    "target column {target}.{} is NOT NULL without a default, and no SQLite column maps to it",
                    cc.name
                ),
            ));
        }
    }
    TablePlan {
        source: st.name.clone(),
        target: target.to_string(),
        columns,
        rowid: rowid_name(st),
        rows: st.rows,
    }
}

/// Column `c` into the existing column `cc`: the converter its type takes
/// ([`data_only_converter`]), a warning when that loses information, none
/// (an error) when the column is generated or its type takes no converter.
fn plan_column_into(
    t: &pg::Table,
    st: &sqlite::Table,
    c: &pg::Column,
    target: &str,
    cc: &CatalogColumn,
    diags: &mut Diagnostics,
) -> Option<ColumnPlan> {
    if cc.generated {
        diags.push(err(
            "target-column-generated",
            format!(
                "target column {target}.{} is generated; SQLite column {}.{} cannot be loaded into it",
                cc.name, t.source_name, c.source_name
            ),
        ));
        return None;
    }
    let profile = st
        .columns
        .iter()
        .find(|sc| sc.name == c.source_name)
        .and_then(|sc| sc.profile.as_ref());
    let wire = Wire::from_catalog(&cc.typname, cc.typmod);
    match wire.and_then(|w| data_only_converter(c.converter, w, profile).map(|k| (w, k))) {
        Some((w, k)) => {
            if let Some(why) = w.lossy_from(k) {
                diags.push(Diagnostic::warning(
                    Stage::Load,
                    "lossy-target-type",
                    format!("{target}.{}: {why}", cc.name),
                ));
            }
            Some(ColumnPlan {
                source: c.source_name.clone(),
                target: cc.name.clone(),
                converter: k,
                wire: w,
                pg_type: cc.pg_type.clone(),
            })
        }
        None => {
            diags.push(err(
                "incompatible-target-type",
                format!(
                    "column {}.{} ({}) cannot be loaded into {target}.{} of type {}",
                    t.source_name, c.source_name, c.pg_type, cc.name, cc.pg_type
                ),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_exactly_first_then_case_insensitively_when_unique() {
        let names = ["Users", "users", "Orders"];
        assert_eq!(find_name(names.iter().copied(), "users"), Some("users"));
        assert_eq!(find_name(names.iter().copied(), "ORDERS"), Some("Orders"));
        assert_eq!(find_name(names.iter().copied(), "USERS"), None);
    }

    #[test]
    fn copy_and_select_quote_every_identifier() {
        let p = TablePlan {
            source: "my \"t\"".into(),
            target: "My T".into(),
            columns: vec![ColumnPlan {
                source: "a b".into(),
                target: "a_b".into(),
                converter: Converter::Text,
                wire: Wire::Text { max_chars: None },
                pg_type: "text".into(),
            }],
            rowid: Some("rowid".into()),
            rows: None,
        };
        assert_eq!(p.select_sql(), r#"SELECT rowid, "a b" FROM "my ""t""""#);
        assert_eq!(
            p.copy_sql("public", true),
            r#"COPY public."My T" (a_b) FROM STDIN (FORMAT binary, FREEZE)"#
        );
    }
}
