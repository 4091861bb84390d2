//! Views: not translated yet. Each view is kept as a comment with a
//! warning, except the spatial packages' catalog views, which are skipped.
//!
//! Reads `schema.views`; writes `out.kept_as_comment`, `out.skipped` and
//! the `machinery` count. Pushes `view-kept-as-comment`.
use super::Rewrite;
use crate::diag::{Diagnostic, Stage};
use crate::ir::pg;
use crate::rewrite::spatial;

pub(in crate::rewrite) fn run(cx: &mut Rewrite) {
    let schema = cx.src.schema;
    for v in &schema.views {
        if let Some(reason) = spatial::machinery_view(schema, v) {
            cx.out.skipped.push(pg::Skipped {
                kind: "view".into(),
                name: v.name.clone(),
                reason,
            });
            cx.machinery += 1;
            continue;
        }
        cx.diags.push(Diagnostic::warning(Stage::Rewrite, "view-kept-as-comment", format!("view `{}` is not translated yet; its SQLite definition is kept as a comment in 03_constraints.sql", v.name)).on(v.name.clone()).with_help("recreate the view by hand in PostgreSQL SQL"));
        cx.out.kept_as_comment.push(pg::Commented {
            kind: "view".into(),
            name: v.name.clone(),
            code: "view-kept-as-comment".into(),
            reason: "views are not translated yet".into(),
            sql: v.sql.clone(),
        });
    }
}
