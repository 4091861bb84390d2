//! Upper-case names: one warning for the table and column names that keep
//! an upper-case letter and so must be quoted in the application's SQL.
//!
//! Reads the final names in `out.tables`; pushes `upper-case-names-quoted`.
use super::Rewrite;
use crate::diag::{Diagnostic, Diagnostics, Stage};
use crate::ir::pg;

pub(in crate::rewrite) fn run(cx: &mut Rewrite) {
    let d = quoted_upper_case(&cx.out);
    cx.diags.extend(d);
}

/// One warning for the names that keep an upper-case ASCII letter, and so
/// must be quoted in every statement: PostgreSQL folds an unquoted `Lock` to
/// `lock`, so the application's unquoted SQL no longer finds them. Names
/// only `--naming lower` or `snake-case` would change; none under those.
fn quoted_upper_case(out: &pg::Schema) -> Diagnostics {
    let upper = |n: &str| n.bytes().any(|b| b.is_ascii_uppercase());
    let mut names: Vec<String> = Vec::new();
    for t in &out.tables {
        if upper(&t.name) {
            names.push(t.name.clone());
        }
        names.extend(
            t.columns
                .iter()
                .filter(|c| upper(&c.name))
                .map(|c| format!("{}.{}", t.name, c.name)),
        );
    }
    let mut d = Diagnostics::default();
    if names.is_empty() {
        return d;
    }
    let shown: Vec<String> = names.iter().take(3).map(|n| format!("`{n}`")).collect();
    d.push(
        Diagnostic::warning(
            Stage::Rewrite,
            "upper-case-names-quoted",
            format!(
                "{} table and column name(s) keep upper-case letters ({}{}); PostgreSQL folds unquoted names to lower case, so the application's SQL must quote them exactly (`\"Name\"`), or it will not find them",
                names.len(),
                shown.join(", "),
                if names.len() > 3 { ", …" } else { "" }
            ),
        )
        .with_help("compile with --naming lower (PostgreSQL's own folding: SQL that never quoted names keeps working) or --naming snake-case"),
    );
    d
}
