//! Unreadable statements: what the source could not parse stays in the
//! migration set as a comment.
//!
//! Reads `schema.unreadable`; writes one `ddl-parse-error` entry per
//! statement to `out.kept_as_comment` (the source stage reported them).
use super::Rewrite;
use crate::ir::pg;

pub(in crate::rewrite) fn run(cx: &mut Rewrite) {
    for u in &cx.src.schema.unreadable {
        cx.out.kept_as_comment.push(pg::Commented {
            kind: "statement".into(),
            name: format!("at line {}", u.line),
            code: "ddl-parse-error".into(),
            reason: format!("cannot be read: {}", u.reason),
            sql: u.sql.clone(),
        });
    }
}
