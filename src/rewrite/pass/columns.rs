//! Columns: the `column` rules give each column of a migrated table its
//! PostgreSQL type, converter and identity; `COLLATE BINARY` text becomes
//! the "C" collation.
//!
//! Reads the migrated tables' columns (hidden ones skipped), their facts
//! and profile, and `names`; writes one [`pg::Table`] per migrated table
//! to `out.tables` (no default, key or check yet). Pushes rule warnings,
//! `no-column-rule`, `unknown-converter` and `rule-type-invalid`.
use super::{Rewrite, Source, column_fact_roots};
use crate::diag::{Diagnostic, Diagnostics, Stage};
use crate::ir::pg::{self, Converter, Decision};
use crate::ir::sqlite;
use crate::rewrite::eval::{
    Facts, emit_rule_warning, report_eval_errors, rule_evidence, rule_text,
};
use crate::rewrite::{Rule, facts, first_match, rules, sqlcheck};
use serde_json::Value;

/// A column rule's choice: type, converter, identity, and the decision.
type Choice = (String, Converter, bool, Decision);

pub(in crate::rewrite) fn run(cx: &mut Rewrite) {
    for t in cx.migrated.clone() {
        let table = table(cx, t);
        cx.out.tables.push(table);
    }
    spatialite_psql_note(cx);
}

/// 02_load.sql (the psql path) has no decoder for SpatiaLite's blob
/// format: said at compile time, not first when the script stops.
fn spatialite_psql_note(cx: &mut Rewrite) {
    let columns: Vec<String> = (cx.out.tables.iter())
        .flat_map(|t| {
            (t.columns.iter())
                .filter(|c| c.converter == Converter::SpatialiteGeometry)
                .map(move |c| format!("{}.{}", t.source_name, c.source_name))
        })
        .collect();
    if columns.is_empty() {
        return;
    }
    cx.diags.push(
        Diagnostic::note(Stage::Rewrite, "spatialite-psql-load", format!("{} SpatiaLite geometry column(s) ({}): 02_load.sql (the psql path) cannot decode SpatiaLite's blob format and stops at the first such value", columns.len(), columns.join(", ")))
            .with_help("load the data with `pgbridge migrate` (its loader decodes them); 01/03 apply with psql as usual"),
    );
}

fn table(cx: &mut Rewrite, t: &sqlite::Table) -> pg::Table {
    let table_facts = facts::table_facts(t);
    let table_mj = minijinja::Value::from(minijinja::value::Serde(&table_facts));
    let mut columns = Vec::new();
    for c in t.columns.iter().filter(|c| !c.hidden) {
        columns.push(column(cx, t, c, &table_facts, &table_mj));
    }
    pg::Table {
        name: cx.names[&t.name.to_ascii_lowercase()].pg.clone(),
        source_name: t.name.clone(),
        columns,
        primary_key: None,
        uniques: vec![],
        checks: vec![],
        decisions: vec![],
        rows: t.rows,
    }
}

fn column(
    cx: &mut Rewrite,
    t: &sqlite::Table,
    c: &sqlite::Column,
    table_facts: &Value,
    table_mj: &minijinja::Value,
) -> pg::Column {
    let object = format!("{}.{}", t.name, c.name);
    let f = Facts::new(
        column_fact_roots(&cx.src, t, c, table_facts),
        &[("table", table_mj), ("target", &cx.src.target_mj)],
    );
    let (hit, trail) = first_match(cx.src.pack, "column", &f);
    report_eval_errors(&trail, &object, &mut cx.diags);
    let (pg_type, converter, identity, decision) = match hit {
        Some(rule) => rule_choice(&cx.src, rule, &f, &object, &mut cx.diags),
        None => no_rule(c, &object, &mut cx.diags),
    };
    let (collation, binary) = binary_collation(c, &pg_type);
    let names = &cx.names[&t.name.to_ascii_lowercase()];
    pg::Column {
        name: names.columns[&c.name.to_ascii_lowercase()].clone(),
        source_name: c.name.clone(),
        pg_type,
        converter,
        not_null: c.not_null
            || identity
            || (c.pk_position > 0 && !c.rowid_alias && t.without_rowid),
        default: None,
        identity,
        sequence: None,
        generated: None,
        collation,
        decisions: std::iter::once(decision).chain(binary).collect(),
    }
}

/// The type, converter and identity the matching rule's templates give.
fn rule_choice(
    src: &Source,
    rule: &Rule,
    f: &Facts,
    object: &str,
    diags: &mut Diagnostics,
) -> Choice {
    let env = &src.env;
    let ty = rule_text(
        env,
        rule.then.pg_type.as_deref().unwrap_or("text"),
        f,
        rule,
        object,
        diags,
    );
    let conv_name = rule_text(
        env,
        rule.then.converter.as_deref().unwrap_or("text"),
        f,
        rule,
        object,
        diags,
    );
    let conv = Converter::from_name(conv_name.trim()).unwrap_or_else(|| {
        diags.push(Diagnostic::error(Stage::Rewrite, "unknown-converter", format!("rule `{}` chose converter `{conv_name}`, which does not exist; using `any-text`", rule.id)).on(object.to_string()));
        Converter::AnyText
    });
    let (ty, conv) = checked_type(rule, &ty, conv, object, diags);
    emit_rule_warning(env, rule, f, object, diags);
    let evidence = rule_evidence(env, rule, f, object, diags);
    (
        ty,
        conv,
        rule.then.identity.unwrap_or(false),
        Decision {
            rule: rule.id.clone(),
            evidence,
            obvious: rule.obvious,
        },
    )
}

/// A rule pack is configuration: its type is parsed and re-printed. A type
/// that is not one PostgreSQL type name makes the column text.
fn checked_type(
    rule: &Rule,
    ty: &str,
    conv: Converter,
    object: &str,
    diags: &mut Diagnostics,
) -> (String, Converter) {
    match sqlcheck::pg_type(ty) {
        Ok(t) => (t, conv),
        Err(e) => {
            diags.push(
                Diagnostic::error(
                    Stage::Rewrite,
                    "rule-type-invalid",
                    format!(
                        "rule `{}` gives `{object}` the type `{}`, which is not one PostgreSQL type name: {e}; `{object}` becomes text",
                        rule.id,
                        ty.trim()
                    ),
                )
                .on(object.to_string())
                .with_help(format!(
                    "fix `then.type` at {}; `pgbridge rules test` checks a pack",
                    rules::then_location(rule, "type")
                )),
            );
            ("text".to_string(), Converter::AnyText)
        }
    }
}

/// No column rule matched: the column becomes text, with an error.
fn no_rule(c: &sqlite::Column, object: &str, diags: &mut Diagnostics) -> Choice {
    diags.push(
        Diagnostic::error(
            Stage::Rewrite,
            "no-column-rule",
            format!(
                "no column rule matched `{object}` (declared `{}`); it becomes text",
                c.declared
            ),
        )
        .on(object.to_string())
        .with_help("add a column rule to your pack that matches it"),
    );
    (
        "text".into(),
        Converter::AnyText,
        false,
        Decision {
            rule: "no-column-rule".into(),
            evidence: "no rule matched".into(),
            obvious: false,
        },
    )
}

/// SQLite's BINARY collation compares bytes: PostgreSQL's "C", on text
/// types; the collation and the decision that records it.
fn binary_collation(c: &sqlite::Column, pg_type: &str) -> (Option<String>, Option<Decision>) {
    let base_type = pg_type.split('(').next().unwrap_or("").trim();
    let binary = c
        .collation
        .as_deref()
        .is_some_and(|k| k.eq_ignore_ascii_case("binary"))
        && matches!(base_type, "text" | "varchar" | "character varying");
    if !binary {
        return (None, None);
    }
    (
        Some("C".to_string()),
        Some(Decision {
            rule: "binary-collation".into(),
            evidence: "COLLATE BINARY compares bytes, as PostgreSQL's \"C\" collation does".into(),
            obvious: false,
        }),
    )
}
