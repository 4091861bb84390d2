//! Tables: the `table` rules decide, per SQLite table, to migrate it, skip
//! it or keep it as a comment; each migrated table is named as it is kept.
//!
//! Reads `schema.tables` and the pack's `table` phase; writes
//! `out.skipped`, `out.kept_as_comment`, `fts` (FTS tables for the
//! full-text pass) and, through [`naming`], the
//! migrated tables and their names. Pushes each matching rule's warning
//! or note. A table no rule matches is migrated.
use super::{Rewrite, Source, naming};
use crate::diag::{Diagnostic, Diagnostics, Stage};
use crate::ir::pg;
use crate::ir::sqlite::{self, TableKind};
use crate::rewrite::eval::{Facts, report_eval_errors, rule_evidence, rule_text};
use crate::rewrite::{Rule, facts, first_match};
use std::borrow::Cow;

pub(in crate::rewrite) fn run(cx: &mut Rewrite) {
    let schema = cx.src.schema;
    for t in &schema.tables {
        // Naming follows each table's rule, so their diagnostics interleave.
        if migrates(cx, t) {
            naming::name_table(cx, t);
        }
    }
}

/// Evaluates the table rules on `t`: true when it is migrated.
fn migrates<'a>(cx: &mut Rewrite<'a>, t: &'a sqlite::Table) -> bool {
    let f = Facts::new(
        vec![
            ("table", Cow::Owned(facts::table_facts(t))),
            ("target", Cow::Borrowed(&cx.src.target_facts)),
        ],
        &[("target", &cx.src.target_mj)],
    );
    let (hit, trail) = first_match(cx.src.pack, "table", &f);
    report_eval_errors(&trail, &t.name, &mut cx.diags);
    let Some(rule) = hit else {
        return true;
    };
    let reason = rule_evidence(&cx.src.env, rule, &f, &t.name, &mut cx.diags);
    let action = rule.then.action.as_deref().unwrap_or("skip");
    announce(&cx.src, &mut cx.diags, rule, &f, t, &reason);
    match action {
        // `migrate`: a table after all; the column phase and the loader take it.
        "migrate" => return true,
        // `fts`: the full-text pass builds its tsvector column and index;
        // an own-content table read from a live file is migrated too.
        "fts" => {
            cx.fts.push(t);
            return t.holds_rows();
        }
        "comment" => cx.out.kept_as_comment.push(pg::Commented {
            kind: match t.kind {
                TableKind::Virtual { .. } => "virtual table".into(),
                _ => "table".into(),
            },
            name: t.name.clone(),
            code: rule.id.clone(),
            reason,
            sql: t.sql.clone(),
        }),
        _ => cx.out.skipped.push(pg::Skipped {
            kind: "table".into(),
            name: t.name.clone(),
            reason,
        }),
    }
    false
}

/// The rule's `warn:` as a warning, or else its evidence as a note.
fn announce(
    src: &Source,
    diags: &mut Diagnostics,
    rule: &Rule,
    f: &Facts,
    t: &sqlite::Table,
    reason: &str,
) {
    if let Some(w) = &rule.warn {
        let msg = rule_text(&src.env, w, f, rule, &t.name, diags);
        let mut d = Diagnostic::warning(Stage::Rewrite, &rule.id, msg).on(t.name.clone());
        if let Some(h) = &rule.help {
            d = d.with_help(h.clone());
        }
        diags.push(d);
    } else {
        diags.push(
            Diagnostic::note(
                Stage::Rewrite,
                &rule.id,
                format!("table `{}`: {reason}", t.name),
            )
            .on(t.name.clone()),
        );
    }
}
