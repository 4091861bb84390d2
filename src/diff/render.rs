//! The files of a diff: `up.sql`, `down.sql` (only when every step can be
//! undone), the review file `DIFF_REVIEW.md` (each statement's hazards) and
//! `pgbridge.sum`. The SQL renders through `templates/diff.sql.j2` in emit's
//! environment, so hazards reach a comment only through the `comment` filter
//! and statements only through the `sql` check.
use super::Plan;
use crate::diag::{Diagnostic, Stage};
use crate::emit::{self, EmitOptions, SUM_FILE, markdown, statements::label};
use serde::Serialize;
use std::collections::BTreeMap;

pub const UP: &str = "up.sql";
pub const DOWN: &str = "down.sql";
pub const REVIEW: &str = "DIFF_REVIEW.md";
const TEMPLATE: &str = "diff.sql.j2";

#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub target_version: u32,
    /// The PostgreSQL schema the statements run in.
    pub namespace: Option<String>,
    /// The new side's extensions: their schemas join the search path when
    /// it names `namespace`.
    pub extensions: Vec<String>,
    /// Leave out `BEGIN`/`COMMIT` (a migration tool runs the file in its own).
    pub bare: bool,
    /// `--templates`: a `diff.sql.j2` there replaces the embedded one.
    pub emit: EmitOptions,
}

#[derive(Serialize)]
struct Ctx<'a> {
    file: &'a str,
    direction: &'a str,
    version: &'a str,
    target_version: u32,
    bare: bool,
    namespace: &'a Option<String>,
    extensions: &'a [String],
    statements: Vec<Stmt<'a>>,
}

#[derive(Serialize)]
struct Stmt<'a> {
    sql: &'a str,
    outside_transaction: bool,
    hazards: Vec<Hz<'a>>,
}

#[derive(Serialize)]
struct Hz<'a> {
    code: &'a str,
    message: &'a str,
}

/// One SQL file of the plan.
pub fn sql_file(
    file: &str,
    direction: &str,
    plan: &Plan,
    o: &RenderOptions,
) -> Result<String, Box<Diagnostic>> {
    let mut env = emit::sql_environment();
    env.set_syntax(emit::template_syntax()?);
    let src = emit::template_source(TEMPLATE, &o.emit)?;
    let ctx = Ctx {
        file,
        direction,
        version: env!("CARGO_PKG_VERSION"),
        target_version: o.target_version,
        bare: o.bare,
        namespace: &o.namespace,
        extensions: &o.extensions,
        statements: plan
            .statements
            .iter()
            .map(|s| Stmt {
                sql: &s.sql,
                outside_transaction: s.outside_transaction,
                hazards: s
                    .hazards
                    .iter()
                    .map(|h| Hz {
                        code: h.code,
                        message: &h.message,
                    })
                    .collect(),
            })
            .collect(),
    };
    let ctx = minijinja::Value::from(minijinja::value::Serde(&ctx));
    let text = env.render_str(&src, ctx).map_err(|e| {
        Box::new(Diagnostic::error(
            Stage::Emit,
            "template-failed",
            format!("template {TEMPLATE} failed: {e:#}"),
        ))
    })?;
    Ok(emit::normalise(&text))
}

/// DIFF_REVIEW.md: what changes, each hazard with its statement, the
/// columns whose old decision was kept, and whether down.sql was written.
pub fn review(plan: &Plan, old: &str, new: &str, kept: &[String], down: bool) -> String {
    let mut out = format!(
        "# Schema diff: {} → {}\n\n{} statements, {} hazards.\n",
        markdown::text(old),
        markdown::text(new),
        plan.statements.len(),
        plan.hazards().count()
    );
    if plan.hazards().next().is_some() {
        out.push_str("\n## Hazards\n\n");
        for (s, h) in plan.hazards() {
            out.push_str(&format!(
                "- **{}**: {}  \n  statement: {}  \n  help: {}\n",
                h.code,
                markdown::text(&h.message),
                markdown::code(&label(&s.sql)),
                markdown::text(h.help)
            ));
        }
    }
    if !kept.is_empty() {
        out.push_str(
            "\n## Decisions kept from the old side\n\nTheir SQLite declaration did not change, so they keep the type the old side decided:\n\n",
        );
        for k in kept {
            out.push_str(&format!("- {}\n", markdown::code(k)));
        }
    }
    out.push_str(if down {
        "\n`down.sql` returns to the old schema.\n"
    } else {
        "\nNo `down.sql`: a step drops data, which no statement can bring back.\n"
    });
    out
}

/// The plain layout's files, with `pgbridge.sum` over them.
/// `files` with the new side's schema record (`pgbridge.schema.json`,
/// the next diff's old side) and the sum renewed over it.
pub fn with_record(
    mut files: BTreeMap<String, String>,
    record: String,
) -> BTreeMap<String, String> {
    files.insert(crate::ir::record::FILE.to_string(), record);
    files.remove(SUM_FILE);
    let sum = emit::sum_file(&files);
    files.insert(SUM_FILE.to_string(), sum);
    files
}

pub fn plain_files(
    up: &Plan,
    down: Option<&Plan>,
    old: &str,
    new: &str,
    kept: &[String],
    o: &RenderOptions,
) -> Result<BTreeMap<String, String>, Box<Diagnostic>> {
    let mut files = BTreeMap::new();
    files.insert(
        UP.to_string(),
        sql_file(UP, &format!("from {old} to {new}"), up, o)?,
    );
    if let Some(d) = down {
        files.insert(
            DOWN.to_string(),
            sql_file(DOWN, &format!("from {new} back to {old}"), d, o)?,
        );
    }
    files.insert(
        REVIEW.to_string(),
        review(up, old, new, kept, down.is_some()),
    );
    let sum = emit::sum_file(&files);
    files.insert(SUM_FILE.to_string(), sum);
    Ok(files)
}
