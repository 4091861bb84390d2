//! The verify plan: each loaded table as verify will hash it (its columns'
//! converters and wire types, and the key that orders its rows), built from
//! the load plan ([`TablePlan`]) as a [`PlannedTable`].
use super::plan::TablePlan;
use crate::digest::sql::{self, VCol, VTable};
use crate::ir::pg;
use std::collections::BTreeMap;

/// One table as migrate loaded it and verify hashes it: recorded by
/// migrate in `pgbridge.runs.verify_plan`, so a later verify converts
/// with exactly the converters the loader used.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PlannedTable {
    pub table: VTable,
    /// The SQLite row id name, none for WITHOUT ROWID tables.
    pub rowid: Option<String>,
}

/// The load plan of one table, then `generated` (columns PostgreSQL
/// computes), as verify hashes it, keyed by `key`.
fn planned(
    p: &TablePlan,
    generated: Vec<VCol>,
    key: impl FnOnce(&[VCol]) -> Vec<(usize, sql::Order)>,
) -> PlannedTable {
    let mut columns: Vec<VCol> = p
        .columns
        .iter()
        .map(|c| VCol {
            name: c.target.clone(),
            source: c.source.clone(),
            converter: c.converter,
            wire: c.wire,
            bpchar: sql::is_bpchar(&c.pg_type),
        })
        .collect();
    columns.extend(generated);
    let key = key(&columns);
    PlannedTable {
        table: VTable {
            name: p.target.clone(),
            source: p.source.clone(),
            columns,
            key,
        },
        rowid: p.rowid.clone(),
    }
}

/// Verify's tables for tables the rules created: keyed as the rules
/// declared them (as `04_validate.sql` is).
pub fn for_created(plans: &[TablePlan], pg: &pg::Schema) -> Vec<PlannedTable> {
    plans
        .iter()
        .filter_map(|p| {
            let t = pg.tables.iter().find(|t| t.name == p.target)?;
            // Generated columns are compared too, as in 04_validate.sql.
            let generated = sql::generated_columns(t);
            Some(planned(p, generated, |columns| sql::choose_key(t, columns)))
        })
        .collect()
}

/// Verify's tables for `--data-only` targets: keyed by the target's own
/// primary or unique keys ([`super::plan::read_keys`]).
pub fn for_data_only(
    plans: &[TablePlan],
    keys: &BTreeMap<String, Vec<Vec<String>>>,
) -> Vec<PlannedTable> {
    plans
        .iter()
        .map(|p| {
            planned(p, Vec::new(), |columns| {
                sql::key_from(
                    keys.get(&p.target).into_iter().flatten().map(Vec::as_slice),
                    columns,
                )
            })
        })
        .collect()
}

/// One translated view as verify hashes it: SQLite evaluates `source`,
/// PostgreSQL `name`; the columns and their types are read from the
/// target's catalog when verify runs (the types PostgreSQL reports).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PlannedView {
    /// PostgreSQL view name (unqualified).
    pub name: String,
    /// SQLite view name.
    pub source: String,
    /// The translator's notes (order-dependent constructs among them),
    /// shown beside a difference as its likely cause.
    #[serde(default)]
    pub notes: Vec<String>,
    /// The SELECT SQLite runs for the view's rows when the view calls
    /// declared application functions (expanded); else `SELECT * FROM` it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sqlite_query: Option<String>,
}

/// Verify's views: every view the rules translated, in creation order.
pub fn for_views(pg: &pg::Schema) -> Vec<PlannedView> {
    pg.views
        .iter()
        .map(|v| PlannedView {
            name: v.name.clone(),
            source: v.source_name.clone(),
            notes: v.notes.clone(),
            sqlite_query: v.sqlite_query.clone(),
        })
        .collect()
}
