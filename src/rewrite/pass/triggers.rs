//! Triggers: not translated yet. Each trigger is kept as a comment with a
//! warning, except the spatial packages' machinery (and triggers on tables
//! not migrated), which is skipped; one note counts what views and
//! triggers were skipped so.
//!
//! Reads `schema.triggers` and the `machinery` count of the view pass;
//! writes `out.kept_as_comment` and `out.skipped`. Pushes
//! `trigger-kept-as-comment` and `spatial-machinery-skipped`.
use super::Rewrite;
use crate::diag::{Diagnostic, Stage};
use crate::ir::pg;
use crate::rewrite::spatial;

pub(in crate::rewrite) fn run(cx: &mut Rewrite) {
    let schema = cx.src.schema;
    for tr in &schema.triggers {
        if let Some(reason) = spatial::machinery_trigger(schema, tr) {
            cx.out.skipped.push(pg::Skipped {
                kind: "trigger".into(),
                name: tr.name.clone(),
                reason,
            });
            cx.machinery += 1;
            continue;
        }
        cx.diags.push(Diagnostic::warning(Stage::Rewrite, "trigger-kept-as-comment", format!("trigger `{}` on `{}` is not translated yet; its SQLite definition is kept as a comment in 03_constraints.sql", tr.name, tr.table)).on(tr.name.clone()).with_help("recreate it as a PL/pgSQL trigger function by hand"));
        cx.out.kept_as_comment.push(pg::Commented {
            kind: "trigger".into(),
            name: tr.name.clone(),
            code: "trigger-kept-as-comment".into(),
            reason: "triggers are not translated yet".into(),
            sql: tr.sql.clone(),
        });
    }
    if cx.machinery > 0 {
        cx.diags.push(Diagnostic::note(Stage::Rewrite, "spatial-machinery-skipped", format!("{} trigger(s) and view(s) of the spatial package or on tables not migrated are not migrated; each is listed with its reason at the end of 03_constraints.sql", cx.machinery)));
    }
}
