//! Keys and checks: PRIMARY KEY, UNIQUE and CHECK constraints of one
//! migrated table, and the sequence resets of its identity columns.
//!
//! Reads the SQLite table's keys, checks and `schema.sequences`, and the
//! decided PostgreSQL columns; writes `primary_key`, `uniques`, `checks`
//! and column decisions (a CHECK a column's type implies is dropped with
//! a note), `out.sequence_resets`, extensions, and `out.kept_as_comment`
//! for a CHECK that cannot be translated. Pushes `key-column-missing`,
//! `check-not-translated` and the constraint names' warnings.
use super::naming::{claim, constraint_name};
use super::{Rewrite, expr_context, sqlite_class};
use crate::diag::{Diagnostic, Stage};
use crate::ident;
use crate::ir::pg::{self, Decision};
use crate::ir::sqlite;
use crate::rewrite::facts;
use crate::translate::{self, ExprContext};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::tokenizer::{Token, Tokenizer};
use std::collections::BTreeSet;

/// The PostgreSQL names of SQLite key columns; None if one is missing.
fn map_cols(pt: &pg::Table, cols: &[String]) -> Option<Vec<String>> {
    cols.iter()
        .map(|c| {
            pt.columns
                .iter()
                .find(|pc| pc.source_name.eq_ignore_ascii_case(c))
                .map(|pc| pc.name.clone())
        })
        .collect()
}

/// An identity column's sequence is a relation PostgreSQL names itself
/// (`<table>_<column>_seq`): every one is reserved before any key or index
/// is named. When a table has that name already, the sequence is named
/// explicitly (`SEQUENCE NAME`), so that the order in which the tables are
/// created does not matter.
pub(in crate::rewrite) fn identity_sequences(cx: &mut Rewrite) {
    let mut tables = std::mem::take(&mut cx.out.tables);
    for pt in &mut tables {
        for c in pt.columns.iter_mut().filter(|c| c.identity) {
            let auto = format!("{}_{}_seq", pt.name, c.name);
            if reserve(cx, auto.clone()) || auto.len() > 63 {
                continue;
            }
            let shown = format!("{}.{}", pt.source_name, c.source_name);
            let name = claim(
                auto,
                &mut cx.relnames,
                "identity sequence",
                &shown,
                &mut cx.diags,
            );
            c.sequence = Some(name);
        }
    }
    cx.out.tables = tables;
}

/// PostgreSQL 18 names each NOT NULL constraint `<table>_<column>_not_null`
/// (a primary key's columns included): those names are reserved on the
/// table, so that no constraint named later takes one.
fn reserve_not_null(cx: &mut Rewrite, t: &sqlite::Table, pt: &pg::Table) {
    let in_key = |c: &pg::Column| {
        t.primary_key.as_ref().is_some_and(|k| {
            k.columns
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&c.source_name))
        })
    };
    let names = pt
        .columns
        .iter()
        .filter(|c| c.not_null || in_key(c))
        .map(|c| format!("{}_{}_not_null", pt.name, c.name))
        .filter(|n| n.len() <= 63);
    cx.connames
        .entry(pt.name.clone())
        .or_default()
        .extend(names);
}

/// PRIMARY KEY and UNIQUE; a UNIQUE on the key's columns (or repeated)
/// is one constraint.
pub(in crate::rewrite) fn table(cx: &mut Rewrite, t: &sqlite::Table, pt: &mut pg::Table) {
    reserve_not_null(cx, t, pt);
    if let Some(pk) = &t.primary_key {
        match map_cols(pt, &pk.columns) {
            Some(cols) => {
                let name = key_name(cx, pt, &pk.name, "primary key", format!("{}_pkey", pt.name));
                pt.primary_key = Some(pg::Key {
                    name,
                    columns: cols,
                })
            }
            None => cx.diags.push(
                Diagnostic::error(
                    Stage::Rewrite,
                    "key-column-missing",
                    format!(
                        "PRIMARY KEY of `{}` names a column the table does not have: {:?}",
                        t.name, pk.columns
                    ),
                )
                .on(t.name.clone()),
            ),
        }
    }
    for u in &t.uniques {
        let Some(cols) = map_cols(pt, &u.columns) else {
            cx.diags.push(
                Diagnostic::error(
                    Stage::Rewrite,
                    "key-column-missing",
                    format!(
                        "UNIQUE of `{}` names a column the table does not have: {:?}",
                        t.name, u.columns
                    ),
                )
                .on(t.name.clone()),
            );
            continue;
        };
        if pt.primary_key.as_ref().is_some_and(|k| k.columns == cols)
            || pt.uniques.iter().any(|k| k.columns == cols)
        {
            continue;
        }
        let auto = format!("{}_{}_key", pt.name, cols.join("_"));
        let name = key_name(cx, pt, &u.name, "unique constraint", auto);
        pt.uniques.push(pg::Key {
            name,
            columns: cols,
        })
    }
}

/// A PRIMARY KEY's or UNIQUE's name, which is also its index's: unique
/// among the schema's relations and the table's constraints. Unnamed,
/// PostgreSQL names it `auto` (when that fits in 63 bytes and is free),
/// which is reserved so that no index or named constraint takes it.
fn key_name(
    cx: &mut Rewrite,
    pt: &pg::Table,
    name: &Option<String>,
    what: &str,
    auto: String,
) -> Option<String> {
    let Some(name) = constraint_name(name, &mut cx.diags) else {
        if reserve(cx, auto.clone()) {
            cx.connames.entry(pt.name.clone()).or_default().insert(auto);
        }
        return None;
    };
    let shown = format!("{}.{name}", pt.source_name);
    let on_table = cx.connames.entry(pt.name.clone()).or_default();
    // The name is a relation's and one of the table's constraints.
    let mut taken: BTreeSet<String> = cx.relnames.union(on_table).cloned().collect();
    let name = claim(name, &mut taken, what, &shown, &mut cx.diags);
    on_table.insert(name.clone());
    cx.relnames.insert(name.clone());
    Some(name)
}

/// Keeps a name PostgreSQL will choose itself (an unnamed key's index, an
/// identity sequence) from the names pgbridge gives later: true when it was
/// free. A name over 63 bytes is left alone (PostgreSQL shortens it its own
/// way), as is one already taken (PostgreSQL then picks another).
fn reserve(cx: &mut Rewrite, auto: String) -> bool {
    auto.len() <= 63 && cx.relnames.insert(auto)
}

/// CHECK constraints, translated; one a column's type implies is dropped
/// with a note on the column.
pub(in crate::rewrite) fn checks(cx: &mut Rewrite, t: &sqlite::Table, pt: &mut pg::Table) {
    let cctx = expr_context(pt, Some("boolean"), cx.src.pgcrypto());
    let given = given_names(cx, t);
    for k in &t.checks {
        if implied_by_type(pt, k) {
            continue;
        }
        check(cx, t, pt, k, &cctx, &given);
    }
}

/// The names the table's CHECKs and foreign keys were given in SQLite, as
/// PostgreSQL will have them: an unnamed CHECK's name avoids them.
fn given_names(cx: &Rewrite, t: &sqlite::Table) -> BTreeSet<String> {
    let checks = t.checks.iter().filter_map(|k| k.name.clone());
    let fks = t
        .foreign_keys
        .iter()
        .filter_map(|fk| Some(cx.src.namer.base(fk.name.as_deref()?)));
    checks
        .chain(fks)
        .map(|n| ident::shorten(&n).unwrap_or(n))
        .collect()
}

/// A CHECK's name: its own, or the one PostgreSQL would give it —
/// `<table>_<column>_check` when it reads one column, `<table>_check`
/// otherwise, numbered from 1 when taken — written out, so that no name
/// PostgreSQL picks later collides and a later diff can drop it by name.
fn check_name(
    cx: &mut Rewrite,
    t: &sqlite::Table,
    pt: &pg::Table,
    k: &sqlite::Check,
    given: &BTreeSet<String>,
) -> String {
    let taken = cx.connames.entry(pt.name.clone()).or_default();
    if let Some(n) = constraint_name(&k.name, &mut cx.diags) {
        let shown = format!("{}.{n}", t.name);
        return claim(n, taken, "check constraint", &shown, &mut cx.diags);
    }
    let base = match one_column(&k.expr.sql, pt) {
        Some(col) => format!("{}_{col}_check", pt.name),
        None => format!("{}_check", pt.name),
    };
    let name = (0..)
        .map(|n| match n {
            0 => base.clone(),
            n => format!("{base}{n}"),
        })
        .map(|n| ident::shorten(&n).unwrap_or(n))
        .find(|n| !taken.contains(n) && !given.contains(n))
        .expect("an unbounded range has a free name");
    taken.insert(name.clone());
    name
}

/// The PostgreSQL name of the one column an expression reads, if it reads
/// exactly one (PostgreSQL's test for naming a CHECK after a column).
fn one_column(sql: &str, pt: &pg::Table) -> Option<String> {
    let tokens = Tokenizer::new(&SQLiteDialect {}, sql).tokenize().ok()?;
    let mut found = BTreeSet::new();
    let mut words = tokens
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .peekable();
    while let Some(tok) = words.next() {
        let Token::Word(w) = tok else { continue };
        if w.quote_style.is_none() && words.peek() == Some(&&Token::LParen) {
            continue; // a function's name
        }
        if let Some(c) = pt
            .columns
            .iter()
            .find(|c| c.source_name.eq_ignore_ascii_case(&w.value))
        {
            found.insert(c.name.clone());
        }
    }
    let mut found = found.into_iter();
    match (found.next(), found.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

/// A CHECK that says what a column's type already says, recorded as a
/// decision on the column: `CHECK (x IN (0, 1))` on a column that became
/// boolean (it was the evidence), `CHECK (typeof(x) = 'text' OR typeof(x)
/// = 'null')` (GDAL) on a column whose values are text.
fn implied_by_type(pt: &mut pg::Table, k: &sqlite::Check) -> bool {
    if let Some(pc) = pt
        .columns
        .iter_mut()
        .find(|c| c.pg_type == "boolean" && facts::is_bool_check(&k.expr, &c.source_name))
    {
        pc.decisions.push(Decision {
            rule: "boolean-check-implied".into(),
            evidence: format!(
                "CHECK ({}) is implied by the boolean type",
                k.expr.sql.trim()
            ),
            obvious: false,
        });
        return true;
    }
    if let Some((col, allowed)) = translate::typeof_test(&k.expr.sql)
        && let Some(pc) = pt.columns.iter_mut().find(|c| {
            c.source_name.eq_ignore_ascii_case(&col)
                && sqlite_class(c.converter).is_some_and(|k| allowed.contains(k))
                && (c.not_null || allowed.contains("null"))
        })
    {
        pc.decisions.push(Decision {
            rule: "typeof-check-implied".into(),
            evidence: format!(
                "CHECK ({}) is implied by the type {}",
                k.expr.sql.trim(),
                pc.pg_type
            ),
            obvious: false,
        });
        return true;
    }
    false
}

fn check(
    cx: &mut Rewrite,
    t: &sqlite::Table,
    pt: &mut pg::Table,
    k: &sqlite::Check,
    cctx: &ExprContext,
    given: &BTreeSet<String>,
) {
    match translate::translate_predicate(&k.expr.sql, cctx) {
        Ok(tr) => {
            cx.extensions.extend(tr.extensions);
            let name = check_name(cx, t, pt, k, given);
            pt.checks.push(pg::CheckConstraint {
                name: Some(name),
                expr: tr.sql,
                source_sql: k.expr.sql.clone(),
                notes: tr.notes,
            });
        }
        Err(e) => {
            cx.diags.push(
                Diagnostic::error(Stage::Rewrite, "check-not-translated", format!("CHECK ({}) on `{}` cannot be translated: {}; it is kept as a comment in 03_constraints.sql", k.expr.sql, t.name, e.reason))
                    .on(t.name.clone())
                    .with_help("write the PostgreSQL CHECK by hand in a follow-up migration"),
            );
            cx.out.kept_as_comment.push(pg::Commented {
                kind: "check".into(),
                name: k.name.clone().unwrap_or_else(|| t.name.clone()),
                code: "check-not-translated".into(),
                reason: e.reason,
                sql: k.expr.sql.clone(),
            });
        }
    }
}

/// Each identity column's sequence is set after the load: past the highest
/// id loaded, or past the table's `sqlite_sequence` value (its floor) when
/// that is higher.
pub(in crate::rewrite) fn sequence_resets(cx: &mut Rewrite, t: &sqlite::Table, pt: &mut pg::Table) {
    for pc in pt.columns.iter().filter(|c| c.identity) {
        cx.out.sequence_resets.push(pg::SequenceReset {
            table: pt.name.clone(),
            column: pc.name.clone(),
            floor: cx
                .src
                .schema
                .sequences
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&t.name))
                .map(|(_, v)| *v),
        });
    }
}
