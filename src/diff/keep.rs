//! A column keeps its old decision unless its declaration changed.
//!
//! The old side is often a database whose data proved a column to be JSON
//! or a timestamp; the new side is often DDL with no data, where the same
//! rules can only say `text`. Diffing those two would turn `jsonb` back into
//! `text`. So a column present on both sides whose SQLite declaration is
//! unchanged — declared type, NOT NULL, DEFAULT, COLLATE, key position,
//! AUTOINCREMENT, generated expression, all as written — takes the old
//! PostgreSQL column whole (type, converter, default, collation, decisions).
//! A column whose declaration changed is compiled afresh from the new side.
use crate::ir::{pg, sqlite};

/// The declaration of a column as written, without its data profile.
fn declaration(c: &sqlite::Column) -> serde_json::Value {
    let mut c = c.clone();
    c.profile = None;
    serde_json::to_value(&c).unwrap_or_default()
}

fn sqlite_column<'a>(
    s: &'a sqlite::Schema,
    table: &str,
    column: &str,
) -> Option<&'a sqlite::Column> {
    s.tables
        .iter()
        .find(|t| t.name == table)?
        .columns
        .iter()
        .find(|c| c.name == column)
}

/// `new` with every column whose declaration did not change between
/// `old_sqlite` and `new_sqlite` replaced by its column in `old`. Returns
/// the names (`table.column`) of the columns whose decision was kept and
/// differs from what the new side alone decided.
pub fn keep_decisions(
    old_sqlite: &sqlite::Schema,
    old: &pg::Schema,
    new_sqlite: &sqlite::Schema,
    new: &mut pg::Schema,
) -> Vec<String> {
    let mut kept = Vec::new();
    for t in &mut new.tables {
        let Some(ot) = old.tables.iter().find(|o| o.source_name == t.source_name) else {
            continue;
        };
        for c in &mut t.columns {
            let Some(oc) = ot.columns.iter().find(|o| o.source_name == c.source_name) else {
                continue;
            };
            let a = sqlite_column(old_sqlite, &ot.source_name, &oc.source_name);
            let b = sqlite_column(new_sqlite, &t.source_name, &c.source_name);
            let unchanged = match (a, b) {
                (Some(a), Some(b)) => declaration(a) == declaration(b),
                _ => false,
            };
            if !unchanged {
                continue;
            }
            if (&oc.pg_type, &oc.default, &oc.collation) != (&c.pg_type, &c.default, &c.collation) {
                kept.push(format!("{}.{}", t.name, c.name));
            }
            let name = c.name.clone();
            *c = oc.clone();
            c.name = name;
        }
    }
    kept
}

/// NULL counts of the old data per (PostgreSQL table, column), from the
/// profile of a database (none for DDL).
pub fn null_counts(
    old_sqlite: &sqlite::Schema,
    old: &pg::Schema,
) -> std::collections::BTreeMap<(String, String), u64> {
    let mut out = std::collections::BTreeMap::new();
    for t in &old.tables {
        for c in &t.columns {
            let profile = sqlite_column(old_sqlite, &t.source_name, &c.source_name)
                .and_then(|s| s.profile.as_ref());
            if let Some(p) = profile {
                out.insert((t.name.clone(), c.name.clone()), p.nulls);
            }
        }
    }
    out
}
