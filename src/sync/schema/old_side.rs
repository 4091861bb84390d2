//! The old side of the schema hook's diff: what the target holds.
//!
//! Reads: the schema the target records (`pgbridge.runs.live_schema`,
//! [`crate::load::schema_record`]), else — a run recorded before there was
//! one — the live source's compiled schema with what capture did not record
//! taken out (each captured table's columns added since, with the keys,
//! CHECKs, indexes and foreign keys that name them, and every table the
//! target lacks) and the target's catalog's columns the source no longer
//! has put back. Writes nothing. With a record, the new side's columns
//! whose SQLite declaration did not change take the recorded decisions
//! ([`crate::diff::keep`]), so data that arrived since migrate does not
//! move a type.
use crate::ident::escape_text;
use crate::ir::pg as pgir;
use crate::load::plan::CatalogColumn;
use crate::load::schema_record::SchemaRecord;
use std::collections::{BTreeMap, BTreeSet};

/// What capture recorded: each captured table's columns.
pub(super) type RecordedColumns = BTreeMap<String, Vec<String>>;

/// The old side for `new` (see the module docs); `new.pg` keeps the
/// recorded decisions of its unchanged columns.
pub(super) fn old_side(
    record: Option<SchemaRecord>,
    new: &mut crate::Compiled,
    recorded: &RecordedColumns,
    catalog: &BTreeMap<String, Vec<CatalogColumn>>,
) -> pgir::Schema {
    match record {
        Some(r) => recorded_side(r, new),
        None => inferred(&new.pg, recorded, catalog),
    }
}

/// The recorded schema, in the new side's namespace (the record is the
/// target's, whatever `--schema` the run was given).
pub(super) fn recorded_side(record: SchemaRecord, new: &mut crate::Compiled) -> pgir::Schema {
    crate::diff::keep::keep_decisions(&record.sqlite, &record.pg, &new.sqlite, &mut new.pg);
    let mut old = record.pg;
    old.namespace = new.pg.namespace.clone();
    old
}

/// Captured columns and tables the source no longer has: the change is
/// not additive (their rows would be lost).
pub(super) fn capture_losses(new: &pgir::Schema, recorded: &RecordedColumns) -> Vec<String> {
    let mut out = Vec::new();
    for (table, cols) in recorded {
        let Some(t) = new.tables.iter().find(|t| &t.source_name == table) else {
            out.push(format!(
                "captured table {} is gone from the source",
                escape_text(table)
            ));
            continue;
        };
        for c in cols
            .iter()
            .filter(|c| !t.columns.iter().any(|l| &l.source_name == *c))
        {
            out.push(format!(
                "column {}.{} was dropped or renamed",
                escape_text(table),
                escape_text(c)
            ));
        }
    }
    out
}

/// Whether `text` names `column` as an identifier (bare or quoted).
fn mentions(text: &str, column: &str) -> bool {
    let quoted = crate::ident::quote_ident(column);
    if quoted != column {
        return text.contains(&quoted);
    }
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .any(|w| w == column)
}

/// The old side without a record: `new` without what capture did not
/// record, with the catalog's dropped columns.
fn inferred(
    new: &pgir::Schema,
    recorded: &RecordedColumns,
    catalog: &BTreeMap<String, Vec<CatalogColumn>>,
) -> pgir::Schema {
    let mut old = new.clone();
    put_back_dropped_columns(&mut old, catalog);
    let new_tables: BTreeSet<String> = new
        .tables
        .iter()
        .filter(|t| !recorded.contains_key(&t.source_name) && !catalog.contains_key(&t.name))
        .map(|t| t.name.clone())
        .collect();
    without_tables(&mut old, &new_tables);
    for t in &new.tables {
        let Some(cols) = recorded.get(&t.source_name) else {
            continue;
        };
        let added: Vec<String> = t
            .columns
            .iter()
            .filter(|c| !cols.contains(&c.source_name))
            .map(|c| c.name.clone())
            .collect();
        if !added.is_empty() {
            without_columns(&mut old, &t.name, &added);
        }
    }
    old
}

/// Columns the target has and the source no longer: the diff drops them
/// (data-loss), so the review shows it.
fn put_back_dropped_columns(
    old: &mut pgir::Schema,
    catalog: &BTreeMap<String, Vec<CatalogColumn>>,
) {
    for t in &mut old.tables {
        let Some(cat) = catalog.get(&t.name) else {
            continue;
        };
        let Some(like) = t.columns.first().cloned() else {
            continue;
        };
        for cc in cat.iter().filter(|cc| !cc.generated) {
            if !t.columns.iter().any(|c| c.name == cc.name) {
                t.columns.push(pgir::Column {
                    name: cc.name.clone(),
                    source_name: cc.name.clone(),
                    pg_type: cc.pg_type.clone(),
                    not_null: cc.not_null,
                    default: None,
                    identity: false,
                    sequence: None,
                    generated: None,
                    collation: None,
                    decisions: Vec::new(),
                    ..like.clone()
                });
            }
        }
    }
}

fn without_tables(old: &mut pgir::Schema, gone: &BTreeSet<String>) {
    old.tables.retain(|t| !gone.contains(&t.name));
    old.indexes.retain(|i| !gone.contains(&i.table));
    old.foreign_keys
        .retain(|f| !gone.contains(&f.table) && !gone.contains(&f.ref_table));
}

/// `table` without `cols`, and the keys, CHECKs, indexes and foreign keys
/// that name them.
fn without_columns(old: &mut pgir::Schema, table: &str, cols: &[String]) {
    let names = |c: &String| cols.contains(c);
    let Some(t) = old.tables.iter_mut().find(|t| t.name == table) else {
        return;
    };
    t.columns.retain(|c| !names(&c.name));
    if t.primary_key
        .as_ref()
        .is_some_and(|k| k.columns.iter().any(names))
    {
        t.primary_key = None;
    }
    t.uniques.retain(|k| !k.columns.iter().any(names));
    t.checks
        .retain(|k| !cols.iter().any(|c| mentions(&k.expr, c)));
    old.indexes.retain(|i| {
        i.table != table
            || !cols.iter().any(|c| {
                i.elements.iter().any(|e| mentions(e, c))
                    || i.where_clause.as_deref().is_some_and(|w| mentions(w, c))
            })
    });
    old.foreign_keys.retain(|f| {
        !(f.table == table && f.columns.iter().any(names)
            || f.ref_table == table && f.ref_columns.iter().any(names))
    });
}
