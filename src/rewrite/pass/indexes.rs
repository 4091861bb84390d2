//! Indexes: each SQLite index on a migrated table becomes a btree index
//! (expression keys and partial-index WHERE translated, NOCASE keys as
//! `lower(…)`); each R*Tree-indexed geometry column gets a GiST index.
//!
//! Reads `schema.indexes`, the migrated tables and their decided columns;
//! writes `out.indexes`, extensions, index names in `relnames`,
//! `out.skipped` for indexes on tables not migrated and
//! `out.kept_as_comment` for those that cannot be translated. Pushes
//! `index-not-translated` (an error for a UNIQUE index) and name warnings.
use super::{Rewrite, expr_context};
use crate::diag::{Diagnostic, Severity, Stage};
use crate::ident;
use crate::ir::pg::{self, Decision};
use crate::ir::sqlite::{self, TableKind};
use crate::rewrite::spatial;
use crate::translate::{self, ExprContext};
use std::collections::BTreeSet;

type IndexParts = (Vec<String>, Option<String>, Vec<Decision>);

pub(in crate::rewrite) fn run(cx: &mut Rewrite) {
    let schema = cx.src.schema;
    for idx in &schema.indexes {
        let Some(ti) = cx
            .migrated
            .iter()
            .position(|t| t.name.eq_ignore_ascii_case(&idx.table))
        else {
            not_migrated(cx, idx);
            continue;
        };
        index(cx, idx, ti);
    }
}

/// GiST indexes for the geometry columns SQLite indexed with an R*Tree.
pub(in crate::rewrite) fn spatial(cx: &mut Rewrite) {
    for (t, pt) in cx.migrated.iter().zip(cx.out.tables.iter()) {
        let gist = spatial::spatial_indexes(t, pt, &cx.src.namer, &mut cx.relnames, &mut cx.diags);
        cx.out.indexes.extend(gist);
    }
}

/// An index whose table is not migrated: listed as skipped, unless the
/// table is not an ordinary one (a virtual table's own indexes go with it).
fn not_migrated(cx: &mut Rewrite, idx: &sqlite::Index) {
    if !cx
        .src
        .schema
        .tables
        .iter()
        .any(|t| t.name.eq_ignore_ascii_case(&idx.table) && matches!(t.kind, TableKind::Ordinary))
    {
        cx.out.skipped.push(pg::Skipped {
            kind: "index".into(),
            name: idx.name.clone(),
            reason: format!("its table `{}` is not migrated", idx.table),
        });
    }
}

/// One index on the migrated table at `ti`.
fn index(cx: &mut Rewrite, idx: &sqlite::Index, ti: usize) {
    let pt = &cx.out.tables[ti];
    let parts = translate_index(
        idx,
        cx.migrated[ti],
        pt,
        cx.src.pgcrypto(),
        &mut cx.extensions,
    );
    match parts {
        Ok((elements, where_clause, decisions)) => {
            let name = cx
                .src
                .namer
                .name(&idx.name, &mut cx.relnames, "index", &mut cx.diags);
            cx.out.indexes.push(pg::Index {
                name,
                table: cx.out.tables[ti].name.clone(),
                unique: idx.unique,
                using: "btree".into(),
                elements,
                where_clause,
                decisions,
            });
        }
        Err(reason) => {
            // A lost UNIQUE index loses a guarantee (an error); a lost
            // plain index loses speed only (a warning).
            let (severity, consequence) = if idx.unique {
                (Severity::Error, "the uniqueness it enforced would be lost")
            } else {
                (Severity::Warning, "queries that used it may be slower")
            };
            cx.diags.push(
                Diagnostic::new(severity, Stage::Rewrite, "index-not-translated", format!("index `{}` on `{}` cannot be translated: {reason}; it is kept as a comment in 03_constraints.sql ({consequence})", idx.name, idx.table))
                    .on(idx.name.clone())
                    .with_help("create the index by hand in a follow-up migration"),
            );
            cx.out.kept_as_comment.push(pg::Commented {
                kind: "index".into(),
                name: idx.name.clone(),
                code: "index-not-translated".into(),
                reason,
                sql: idx.sql.clone(),
            });
        }
    }
}

/// An index's key elements, WHERE clause and decisions, or why it cannot
/// be translated.
fn translate_index(
    idx: &sqlite::Index,
    st: &sqlite::Table,
    pt: &pg::Table,
    pgcrypto: bool,
    extensions: &mut BTreeSet<String>,
) -> Result<IndexParts, String> {
    let ctx = expr_context(pt, None, pgcrypto);
    let mut elements = Vec::new();
    let mut decisions = Vec::new();
    for ic in &idx.columns {
        elements.push(element(ic, st, pt, &ctx, extensions, &mut decisions)?);
    }
    let where_clause = match &idx.where_clause {
        Some(w) => {
            let bctx = expr_context(pt, Some("boolean"), pgcrypto);
            let tr = translate::translate_predicate(&w.sql, &bctx)
                .map_err(|e| format!("WHERE {}: {}", w.sql, e.reason))?;
            extensions.extend(tr.extensions);
            decisions.extend(tr.notes.into_iter().map(translation_note));
            decisions.push(Decision {
                rule: "partial-index".into(),
                evidence: format!("SQLite WHERE {}", w.sql.trim()),
                obvious: false,
            });
            Some(tr.sql)
        }
        None => None,
    };
    Ok((elements, where_clause, decisions))
}

fn translation_note(evidence: String) -> Decision {
    Decision {
        rule: "translation-note".into(),
        evidence,
        obvious: false,
    }
}

/// One key of an index: a column or a translated expression, with its
/// collation and direction.
fn element(
    ic: &sqlite::IndexedColumn,
    st: &sqlite::Table,
    pt: &pg::Table,
    ctx: &ExprContext,
    extensions: &mut BTreeSet<String>,
    decisions: &mut Vec<Decision>,
) -> Result<String, String> {
    let col = ic.column.as_ref().and_then(|n| {
        pt.columns
            .iter()
            .find(|c| c.source_name.eq_ignore_ascii_case(n))
    });
    let mut el = match col {
        Some(c) => ident::quote_ident(&c.name),
        None => {
            let tr = translate::translate_index_key(&ic.expr.sql, ctx)
                .map_err(|e| format!("key `{}`: {}", ic.expr.sql, e.reason))?;
            extensions.extend(tr.extensions);
            decisions.extend(tr.notes.into_iter().map(translation_note));
            tr.sql
        }
    };
    // A plain column key inherits the column's declared collation in SQLite.
    let coll = ic
        .collation
        .as_deref()
        .map(|s| s.to_ascii_uppercase())
        .or_else(|| {
            let name = ic.column.as_ref()?;
            st.columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(name))
                .and_then(|c| c.collation.as_deref())
                .map(|s| s.to_ascii_uppercase())
        });
    match coll.as_deref() {
        None | Some("BINARY") => {}
        Some(k @ ("NOCASE" | "UNICASE")) => {
            if col.map(|c| c.pg_type == "citext").unwrap_or(false) {
                decisions.push(Decision {
                    rule: "nocase-index".into(),
                    evidence: format!("{el}: COLLATE {k} is implied by citext"),
                    obvious: false,
                });
            } else {
                decisions.push(Decision {
                    rule: "nocase-index".into(),
                    evidence: format!("{el}: COLLATE {k} becomes lower(…)"),
                    obvious: false,
                });
                el = format!("lower({el})");
            }
        }
        Some(other) => return Err(format!("collation {other} has no PostgreSQL equivalent")),
    }
    if ic.desc {
        el.push_str(" DESC");
    }
    Ok(el)
}
