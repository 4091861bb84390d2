//! Defaults: each column's `DEFAULT` (chosen by the `default` rules, else
//! translated through the expression AST) and generated columns' `AS`
//! expressions.
//!
//! Reads one migrated table's SQLite columns and its decided PostgreSQL
//! columns; writes `default`, `generated` and decisions on those columns,
//! extensions the expressions need, and `out.kept_as_comment` for what
//! cannot be translated. Pushes rule warnings, `identity-default-dropped`,
//! `default-not-convertible`, `default-not-translated`,
//! `rule-default-invalid` and `generated-column-not-translated`.
use super::{Rewrite, column_fact_roots, expr_context};
use crate::diag::{Diagnostic, Stage};
use crate::ir::pg::{self, Decision};
use crate::ir::sqlite;
use crate::rewrite::eval::{
    Facts, emit_rule_warning, report_eval_errors, rule_evidence, rule_text,
};
use crate::rewrite::{constant, facts, first_match, rules, sqlcheck};
use crate::translate::{self, ExprContext};
use serde_json::Value;
use std::borrow::Cow;

/// One table's translation scope and facts, built once for its columns.
struct Scope<'t> {
    t: &'t sqlite::Table,
    ctx: ExprContext,
    facts: Value,
    mj: minijinja::Value,
}

/// What to do with a DEFAULT: `none`, `translate` or an SQL expression,
/// and the rule (or `default-translated`) that said so.
struct Choice {
    text: String,
    rule_id: String,
    evidence: String,
    matched: bool,
}

/// Generated columns and defaults of one migrated table.
pub(in crate::rewrite) fn table(cx: &mut Rewrite, t: &sqlite::Table, pt: &mut pg::Table) {
    let facts = facts::table_facts(t);
    let scope = Scope {
        t,
        ctx: expr_context(pt, None, cx.src.pgcrypto()),
        mj: minijinja::Value::from(minijinja::value::Serde(&facts)),
        facts,
    };
    for c in t.columns.iter().filter(|c| !c.hidden) {
        let object = format!("{}.{}", t.name, c.name);
        let Some(pc) = pt.columns.iter_mut().find(|pc| pc.source_name == c.name) else {
            continue;
        };
        if let Some(g) = &c.generated {
            generated(cx, g, pc, &scope.ctx, &object);
        } else if pc.identity {
            if c.default.is_some() {
                cx.diags.push(
                    Diagnostic::warning(
                        Stage::Rewrite,
                        "identity-default-dropped",
                        format!("`{object}` is an identity column; its DEFAULT is dropped"),
                    )
                    .on(object.clone()),
                );
            }
        } else if let Some(d) = &c.default {
            default(cx, &scope, c, d, pc, &object);
        }
    }
}

/// A generated column's expression, translated; SQLite's VIRTUAL columns
/// become STORED.
fn generated(
    cx: &mut Rewrite,
    g: &sqlite::Generated,
    pc: &mut pg::Column,
    ctx: &ExprContext,
    object: &str,
) {
    let gctx = ExprContext {
        target_type: Some(pc.pg_type.clone()),
        ..ctx.clone()
    };
    match translate::translate_expr(&g.expr.sql, &gctx) {
        Ok(tr) => {
            cx.extensions.extend(tr.extensions);
            pc.generated = Some(tr.sql);
            pc.decisions.push(Decision {
                rule: "generated-column".into(),
                evidence: if g.stored {
                    "STORED generated column".into()
                } else {
                    "VIRTUAL in SQLite, STORED in PostgreSQL (computed on write; same values)"
                        .into()
                },
                obvious: false,
            });
        }
        Err(e) => {
            cx.diags.push(
                Diagnostic::error(Stage::Rewrite, "generated-column-not-translated", format!("generated column `{object}` AS ({}) cannot be translated: {}; it becomes a plain column loaded with SQLite's computed values", g.expr.sql, e.reason))
                    .on(object.to_string())
                    .with_help("write the PostgreSQL expression by hand in a follow-up migration, or add a rule"),
            );
            cx.out.kept_as_comment.push(pg::Commented {
                kind: "generated column".into(),
                name: object.to_string(),
                code: "generated-column-not-translated".into(),
                reason: e.reason,
                sql: g.expr.sql.clone(),
            });
        }
    }
}

/// One column's DEFAULT: the `default` rules choose, a constant must be a
/// value the column can hold, then the choice is applied.
fn default(
    cx: &mut Rewrite,
    scope: &Scope,
    c: &sqlite::Column,
    d: &sqlite::Expr,
    pc: &mut pg::Column,
    object: &str,
) {
    let choice = choose(cx, scope, c, d, pc, object);
    // A constant is a value: it must load as the column's data would.
    let refused = (choice.text.trim() != "none")
        .then(|| constant::refusal(d, pc.converter, &pc.pg_type))
        .flatten();
    if let Some(why) = refused {
        cx.diags.push(
            Diagnostic::warning(
                Stage::Rewrite,
                "default-not-convertible",
                format!(
                    "DEFAULT {} of `{object}` is not a value {} can hold ({why}); the column gets no default",
                    d.sql.trim(),
                    pc.pg_type
                ),
            )
            .on(object.to_string())
            .with_help("change the DEFAULT in SQLite and recompile, or give the column a default in a rule of your pack (then: default: …); until then the application must always insert a value"),
        );
        pc.decisions.push(Decision {
            rule: "default-not-convertible".into(),
            evidence: format!("DEFAULT {} dropped: {why}", d.sql.trim()),
            obvious: false,
        });
        return;
    }
    match choice.text.trim() {
        "none" => pc.decisions.push(Decision {
            rule: choice.rule_id,
            evidence: format!("DEFAULT {} dropped: {}", d.sql, choice.evidence),
            obvious: false,
        }),
        "translate" => translate(cx, &scope.ctx, d, pc, object, choice),
        sql if sqlcheck::expression(sql).is_err() => invalid_rule_default(cx, object, &choice, sql),
        sql => {
            pc.default = Some(sql.to_string());
            pc.decisions.push(Decision {
                rule: choice.rule_id,
                evidence: choice.evidence,
                obvious: false,
            });
        }
    }
}

/// Evaluates the `default` rules on a column's DEFAULT; no match means
/// translate it.
fn choose(
    cx: &mut Rewrite,
    scope: &Scope,
    c: &sqlite::Column,
    d: &sqlite::Expr,
    pc: &pg::Column,
    object: &str,
) -> Choice {
    let mut roots = column_fact_roots(&cx.src, scope.t, c, &scope.facts);
    let pg_facts = serde_json::json!({"type": pc.pg_type, "converter": pc.converter.name(), "identity": pc.identity});
    roots.push(("pg", Cow::Owned(pg_facts)));
    roots.push(("default", Cow::Owned(facts::default_facts(d))));
    let f = Facts::new(
        roots,
        &[("table", &scope.mj), ("target", &cx.src.target_mj)],
    );
    let (hit, trail) = first_match(cx.src.pack, "default", &f);
    report_eval_errors(&trail, object, &mut cx.diags);
    let Some(rule) = hit else {
        return Choice {
            text: "translate".to_string(),
            rule_id: "default-translated".to_string(),
            evidence: "translated through the expression AST".to_string(),
            matched: false,
        };
    };
    let env = &cx.src.env;
    emit_rule_warning(env, rule, &f, object, &mut cx.diags);
    let evidence = rule_evidence(env, rule, &f, object, &mut cx.diags);
    let template = rule.then.default.as_deref().unwrap_or("translate");
    Choice {
        text: rule_text(env, template, &f, rule, object, &mut cx.diags),
        rule_id: rule.id.clone(),
        evidence,
        matched: true,
    }
}

/// The DEFAULT translated through the expression AST; a decision records
/// it when a rule chose it or the SQL changed.
fn translate(
    cx: &mut Rewrite,
    ctx: &ExprContext,
    d: &sqlite::Expr,
    pc: &mut pg::Column,
    object: &str,
    choice: Choice,
) {
    let dctx = ExprContext {
        target_type: Some(pc.pg_type.clone()),
        ..ctx.clone()
    };
    match translate::translate_default(&d.sql, &dctx) {
        Ok(tr) => {
            cx.extensions.extend(tr.extensions);
            if choice.matched || !tr.sql.eq_ignore_ascii_case(d.sql.trim()) {
                let mut ev = format!("SQLite DEFAULT {}", d.sql.trim());
                for n in &tr.notes {
                    ev.push_str("; ");
                    ev.push_str(n);
                }
                pc.decisions.push(Decision {
                    rule: choice.rule_id,
                    evidence: ev,
                    obvious: false,
                });
            }
            pc.default = Some(tr.sql);
        }
        Err(e) => {
            cx.diags.push(
                Diagnostic::error(
                    Stage::Rewrite,
                    "default-not-translated",
                    format!(
                        "DEFAULT {} of `{object}` cannot be translated: {}",
                        d.sql, e.reason
                    ),
                )
                .on(object.to_string())
                .with_help(
                    "add a default rule for it, or set the default by hand after the migration",
                ),
            );
            cx.out.kept_as_comment.push(pg::Commented {
                kind: "default".into(),
                name: object.to_string(),
                code: "default-not-translated".into(),
                reason: e.reason,
                sql: d.sql.clone(),
            });
        }
    }
}

/// A rule's `then.default` that is not one SQL expression: kept as a
/// comment, with an error pointing at the rule.
fn invalid_rule_default(cx: &mut Rewrite, object: &str, choice: &Choice, sql: &str) {
    let why = sqlcheck::expression(sql).err().unwrap_or_default();
    let rule_id = &choice.rule_id;
    let rule = cx.src.pack.get(rule_id);
    cx.diags.push(
        Diagnostic::error(
            Stage::Rewrite,
            "rule-default-invalid",
            format!(
                "rule `{rule_id}` gives `{object}` a DEFAULT that is not one SQL expression: {why}"
            ),
        )
        .on(object.to_string())
        .with_help(format!(
            "fix `then.default` at {}; `pgbridge rules test` checks a pack",
            rule.map(|r| rules::then_location(r, "default"))
                .unwrap_or_else(|| rule_id.clone())
        )),
    );
    cx.out.kept_as_comment.push(pg::Commented {
        kind: "default".into(),
        name: object.to_string(),
        code: "rule-default-invalid".into(),
        reason: why,
        sql: sql.to_string(),
    });
}
