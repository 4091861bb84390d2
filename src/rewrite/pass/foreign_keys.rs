//! Foreign keys: each SQLite foreign key between migrated tables becomes
//! a constraint, validated after the load; one PostgreSQL cannot hold is
//! kept as a comment.
//!
//! Reads the migrated tables' foreign keys, the decided columns, keys and
//! unique indexes (`out.indexes`) of both sides; writes
//! `out.foreign_keys` and `out.kept_as_comment`. Pushes `fk-parent-missing`,
//! `fk-column-missing`, `fk-parent-not-unique` and `fk-type-mismatch`
//! warnings, and name warnings. A constraint name is unique per table in
//! PostgreSQL (a foreign key makes no index): the same name on two tables
//! is no collision.
use super::Rewrite;
use crate::diag::{Diagnostic, Stage};
use crate::ident;
use crate::ir::{pg, sqlite};
use crate::rewrite::facts;
use std::collections::BTreeSet;

/// Why a foreign key is kept as a comment: the reason and its code.
type Refusal = (String, &'static str);

pub(in crate::rewrite) fn run(cx: &mut Rewrite) {
    let tables = std::mem::take(&mut cx.out.tables);
    for (ti, t) in cx.migrated.clone().into_iter().enumerate() {
        // Seeded with the table's key and CHECK names: one namespace.
        let mut fk_names = cx
            .connames
            .get(&tables[ti].name)
            .cloned()
            .unwrap_or_default();
        for fk in &t.foreign_keys {
            match resolve(cx, &tables, ti, fk) {
                Ok(key) => {
                    let key = name(cx, key, fk, &mut fk_names);
                    cx.out.foreign_keys.push(key);
                }
                Err((reason, code)) => keep_as_comment(cx, t, fk, reason, code),
            }
        }
    }
    cx.out.tables = tables;
}

/// The foreign key of the table at `ti` as PostgreSQL's, still unnamed, or
/// why PostgreSQL cannot hold it.
fn resolve(
    cx: &Rewrite,
    tables: &[pg::Table],
    ti: usize,
    fk: &sqlite::ForeignKey,
) -> Result<pg::ForeignKey, Refusal> {
    let pt = &tables[ti];
    let Some(pi) = cx
        .migrated
        .iter()
        .position(|p| p.name.eq_ignore_ascii_case(&fk.ref_table))
    else {
        return Err((
            format!(
                "parent table `{}` is not migrated or does not exist",
                fk.ref_table
            ),
            "fk-parent-missing",
        ));
    };
    let ppt = &tables[pi];
    let ref_cols = facts::referenced_columns(fk, cx.migrated[pi]);
    let (Some(cc), Some(pcs)) = (columns(pt, &fk.columns), columns(ppt, &ref_cols)) else {
        return Err((
            "it names a column that does not exist".into(),
            "fk-column-missing",
        ));
    };
    if cc.len() != pcs.len() || cc.is_empty() {
        return Err(("column counts differ".into(), "fk-column-missing"));
    }
    let pnames: Vec<String> = pcs.iter().map(|c| c.name.clone()).collect();
    if !parent_unique(cx, ppt, &pnames) {
        return Err((
            format!(
                "the referenced columns ({}) have no PRIMARY KEY or UNIQUE constraint, which PostgreSQL requires",
                ref_cols.join(", ")
            ),
            "fk-parent-not-unique",
        ));
    }
    if let Some((a, b)) = cc
        .iter()
        .zip(pcs.iter())
        .find(|(a, b)| !fk_types_compatible(&a.pg_type, &b.pg_type))
    {
        return Err((
            format!(
                "`{}` is {} but `{}` is {}",
                a.source_name, a.pg_type, b.source_name, b.pg_type
            ),
            "fk-type-mismatch",
        ));
    }
    Ok(pg::ForeignKey {
        name: String::new(),
        table: pt.name.clone(),
        columns: cc.iter().map(|c| c.name.clone()).collect(),
        ref_table: ppt.name.clone(),
        ref_columns: pnames,
        on_delete: fk_action(fk.on_delete.as_deref()),
        on_update: fk_action(fk.on_update.as_deref()),
        deferrable: fk.deferrable.map(|d| match d {
            sqlite::Deferrable::InitiallyDeferred => "DEFERRABLE INITIALLY DEFERRED".to_string(),
            sqlite::Deferrable::InitiallyImmediate => "DEFERRABLE INITIALLY IMMEDIATE".to_string(),
            sqlite::Deferrable::NotDeferrable => "NOT DEFERRABLE".to_string(),
        }),
        validate: true,
    })
}

/// The decided columns of `pt` that SQLite's `names` name; None if one is
/// missing.
fn columns<'t>(pt: &'t pg::Table, names: &[String]) -> Option<Vec<&'t pg::Column>> {
    names
        .iter()
        .map(|c| {
            pt.columns
                .iter()
                .find(|pc| pc.source_name.eq_ignore_ascii_case(c))
        })
        .collect()
}

/// PostgreSQL requires a PRIMARY KEY, UNIQUE constraint or full unique
/// index on exactly the referenced columns.
fn parent_unique(cx: &Rewrite, ppt: &pg::Table, pnames: &[String]) -> bool {
    ppt.primary_key
        .as_ref()
        .map(|k| same_set(&k.columns, pnames))
        .unwrap_or(false)
        || ppt.uniques.iter().any(|k| same_set(&k.columns, pnames))
        || cx.out.indexes.iter().any(|i| {
            i.table == ppt.name
                && i.unique
                && i.where_clause.is_none()
                && same_set(
                    &i.elements,
                    &pnames
                        .iter()
                        .map(|n| ident::quote_ident(n))
                        .collect::<Vec<_>>(),
                )
        })
}

/// Names the constraint: its SQLite name, else `<table>_<columns>_fkey`.
fn name(
    cx: &mut Rewrite,
    key: pg::ForeignKey,
    fk: &sqlite::ForeignKey,
    fk_names: &mut BTreeSet<String>,
) -> pg::ForeignKey {
    let base = fk
        .name
        .clone()
        .unwrap_or_else(|| format!("{}_{}_fkey", key.table, key.columns.join("_")));
    let name = cx
        .src
        .namer
        .name(&base, fk_names, "foreign key", &mut cx.diags);
    pg::ForeignKey { name, ..key }
}

fn keep_as_comment(
    cx: &mut Rewrite,
    t: &sqlite::Table,
    fk: &sqlite::ForeignKey,
    reason: String,
    code: &str,
) {
    let object = format!("{}({})", t.name, fk.columns.join(", "));
    cx.diags.push(
        Diagnostic::warning(
            Stage::Rewrite,
            code,
            format!(
                "foreign key {object} → {}: {reason}; kept as a comment in 03_constraints.sql",
                fk.ref_table
            ),
        )
        .on(t.name.clone())
        .with_help("fix the schema in SQLite, or add the constraint by hand"),
    );
    cx.out.kept_as_comment.push(pg::Commented {
        kind: "foreign key".into(),
        name: object,
        code: code.into(),
        reason,
        sql: format!(
            "FOREIGN KEY ({}) REFERENCES {}({})",
            fk.columns.join(", "),
            fk.ref_table,
            fk.ref_columns.join(", ")
        ),
    });
}

/// A foreign-key action as PostgreSQL's closed set spells it, re-printed
/// from its words (comments and spacing of DDL text dropped); `NO ACTION`
/// (the default) and anything else are none. The DDL grammar only accepts
/// the five actions, so "anything else" cannot be reached from SQLite text.
fn fk_action(raw: Option<&str>) -> Option<String> {
    static COMMENT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?s)/\*.*?(\*/|$)|--[^\n]*").expect("valid regex")
    });
    let without_comments = COMMENT.replace_all(raw?, " ").into_owned();
    let words: Vec<String> = without_comments
        .split_whitespace()
        .map(str::to_ascii_uppercase)
        .collect();
    match words.join(" ").as_str() {
        a @ ("CASCADE" | "SET NULL" | "SET DEFAULT" | "RESTRICT") => Some(a.to_string()),
        _ => None,
    }
}

fn same_set(a: &[String], b: &[String]) -> bool {
    let mut x: Vec<&String> = a.iter().collect();
    let mut y: Vec<&String> = b.iter().collect();
    x.sort();
    y.sort();
    x == y
}

fn type_family(t: &str) -> &str {
    let base = t.split(['(', '[']).next().unwrap_or("").trim();
    match base {
        "bigint" | "integer" | "smallint" => "int",
        "text" | "varchar" | "character varying" | "char" | "character" => "text",
        other => other,
    }
}

/// Can a foreign key join these two PostgreSQL types (same btree family)?
pub(super) fn fk_types_compatible(a: &str, b: &str) -> bool {
    type_family(a) == type_family(b)
}
