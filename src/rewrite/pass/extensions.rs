//! Extensions: the PostgreSQL extensions the migration needs — those the
//! translated expressions asked for, and those the decided column types
//! imply (citext, vector, postgis).
//!
//! Reads `extensions` and the decided column types in `out.tables`;
//! writes `out.extensions` (sorted). Pushes `extension-not-in-target` for
//! each one the target does not list.
use super::Rewrite;
use crate::diag::{Diagnostic, Stage};

pub(in crate::rewrite) fn run(cx: &mut Rewrite) {
    for t in &cx.out.tables {
        for c in &t.columns {
            let base = c.pg_type.split(['(', '[']).next().unwrap_or("").trim();
            match base {
                "citext" => {
                    cx.extensions.insert("citext".into());
                }
                "vector" | "halfvec" | "sparsevec" => {
                    cx.extensions.insert("vector".into());
                }
                "geometry" => {
                    cx.extensions.insert("postgis".into());
                }
                _ => {}
            }
        }
    }
    for e in &cx.extensions {
        if !cx.src.opts.target.has_extension(e) {
            cx.diags.push(
                Diagnostic::warning(Stage::Rewrite, "extension-not-in-target", format!("the migration needs extension `{e}`, which the target does not list"))
                    .with_help(format!("install it on the server and pass --extensions {e},…, or change the rule that chose it")),
            );
        }
    }
    cx.out.extensions = std::mem::take(&mut cx.extensions).into_iter().collect();
}
