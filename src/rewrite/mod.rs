//! rewrite: rule packs decide the PostgreSQL form of every SQLite object.
//!
//! Input: an `ir::sqlite::Schema`, a [`RulePack`], [`RewriteOptions`].
//! Output: an `ir::pg::Schema` where every decision names its rule and
//! evidence, plus diagnostics. Rules run in phases — `table` (skip or keep
//! as a comment), `column` (type and converter), `default` (the DEFAULT
//! expression) — first match wins within a phase. Keys, indexes, foreign
//! keys, CHECKs and generated columns follow from those decisions through
//! the expression translator; what cannot be translated is kept as a
//! comment with an error diagnostic, never dropped.
mod constant;
pub mod facts;
mod impact;
pub mod predicate;
pub mod rules;
mod spatial;
pub mod sqlcheck;
pub mod target;

use crate::diag::{Diagnostic, Diagnostics, Severity, Stage};
use crate::ident::{self, Naming};
use crate::ir::pg::{self, Converter, Decision};
use crate::ir::sqlite::{self, TableKind};
use crate::translate::{self, ColumnInfo, ExprContext};
pub use rules::{Rule, RulePack};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
pub use target::Target;

#[derive(Debug, Clone, Default)]
pub struct RewriteOptions {
    pub target: Target,
    pub naming: Naming,
    /// Create and use this PostgreSQL schema (namespace).
    pub namespace: Option<String>,
}

/// One step of a rule trail: a rule considered for an object and whether
/// its predicate held.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrailStep {
    pub rule: String,
    pub matched: bool,
    pub error: Option<String>,
}

/// The facts one rule evaluation sees: named roots (`table`, `column`,
/// `profile`, `target`, …), shared by reference where they are the same for
/// many objects, with their template-engine form built once, on first use.
pub struct Facts<'s> {
    roots: Vec<(&'static str, std::borrow::Cow<'s, Value>)>,
    /// Roots already converted for the template engine (`table`, `target`).
    shared: Vec<(&'static str, minijinja::Value)>,
    template_value: std::cell::OnceCell<minijinja::Value>,
}

impl<'s> Facts<'s> {
    fn new(
        roots: Vec<(&'static str, std::borrow::Cow<'s, Value>)>,
        shared: &[(&'static str, &minijinja::Value)],
    ) -> Facts<'s> {
        Facts {
            roots,
            shared: shared.iter().map(|(k, v)| (*k, (*v).clone())).collect(),
            template_value: std::cell::OnceCell::new(),
        }
    }

    fn template_value(&self) -> &minijinja::Value {
        self.template_value.get_or_init(|| {
            let mut map: BTreeMap<String, minijinja::Value> = BTreeMap::new();
            for (k, v) in &self.roots {
                let value = match self.shared.iter().find(|(name, _)| name == k) {
                    Some((_, mv)) => mv.clone(),
                    None => minijinja::Value::from(minijinja::value::Serde(v.as_ref())),
                };
                map.insert(k.to_string(), value);
            }
            minijinja::Value::from(map)
        })
    }

    /// One JSON document of all roots (for `explain` and tests).
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.roots
                .iter()
                .map(|(k, v)| (k.to_string(), v.as_ref().clone()))
                .collect(),
        )
    }
}

impl predicate::FactSource for Facts<'_> {
    fn root(&self, name: &str) -> Option<&Value> {
        self.roots
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_ref())
    }
}

/// Render a `then`/`warn`/`evidence` template against facts.
fn render(
    env: &minijinja::Environment<'_>,
    template: &str,
    facts: &Facts,
) -> Result<String, String> {
    if !template.contains("{{") && !template.contains("{%") {
        return Ok(template.to_string());
    }
    if let Some(text) = render_simple(template, facts) {
        return Ok(text);
    }
    let value = facts.template_value().clone();
    match env.get_template(template) {
        Ok(t) => t.render(value),
        Err(_) => env.render_str(template, value),
    }
    .map_err(|e| format!("{e:#}"))
}

/// Templates that only interpolate paths to strings and integers
/// (`declared {{ column.declared }}`, most evidence) are filled in straight
/// from the facts, without building the template engine's value; the output
/// is what minijinja renders. Anything else returns None.
fn render_simple(template: &str, facts: &dyn predicate::FactSource) -> Option<String> {
    static SIMPLE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")
            .expect("static regex")
    });
    if template.contains("{%") || template.contains("{#") {
        return None;
    }
    let mut out = String::with_capacity(template.len() + 16);
    let mut last = 0;
    for cap in SIMPLE.captures_iter(template) {
        let whole = cap.get(0)?;
        let literal = &template[last..whole.start()];
        if literal.contains("{{") || literal.contains("}}") {
            return None;
        }
        out.push_str(literal);
        let mut parts = cap[1].split('.');
        let mut v = facts.root(parts.next()?)?;
        for part in parts {
            v = v.get(part)?;
        }
        match v {
            Value::String(s) => out.push_str(s),
            Value::Number(n) if n.is_i64() || n.is_u64() => out.push_str(&n.to_string()),
            _ => return None,
        }
        last = whole.end();
    }
    let rest = &template[last..];
    if rest.contains("{{") || rest.contains("}}") {
        return None;
    }
    out.push_str(rest);
    Some(out)
}

fn template_env(pack: &RulePack) -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.add_filter("literal", |s: String| ident::quote_literal(&s));
    env.add_filter("ident", |s: String| ident::quote_ident(&s));
    // Each rule template is compiled once, named by its own text.
    for r in &pack.rules {
        let t = &r.then;
        let fields = [
            &t.pg_type,
            &t.converter,
            &t.default,
            &t.action,
            &r.evidence,
            &r.warn,
            &r.help,
        ];
        for src in fields.into_iter().flatten() {
            if (src.contains("{{") || src.contains("{%")) && env.get_template(src).is_err() {
                // A template that does not compile is reported when rendered.
                let _ = env.add_template_owned(src.clone(), src.clone());
            }
        }
    }
    env
}

/// Evaluate one phase's rules against `facts`: the first rule whose
/// predicate holds, and the trail of every rule considered.
pub fn first_match<'a>(
    pack: &'a RulePack,
    phase: &'a str,
    facts: &dyn predicate::FactSource,
) -> (Option<&'a Rule>, Vec<TrailStep>) {
    let mut trail = Vec::new();
    for rule in pack.phase(phase) {
        match rule.when.eval_with(facts) {
            Ok(true) => {
                trail.push(TrailStep {
                    rule: rule.id.clone(),
                    matched: true,
                    error: None,
                });
                return (Some(rule), trail);
            }
            Ok(false) => trail.push(TrailStep {
                rule: rule.id.clone(),
                matched: false,
                error: None,
            }),
            Err(e) => trail.push(TrailStep {
                rule: rule.id.clone(),
                matched: false,
                error: Some(e),
            }),
        }
    }
    (None, trail)
}

/// SQLite name → PostgreSQL name, per `--naming`, shortened to 63 bytes,
/// made unique within its scope.
struct Namer {
    naming: Naming,
}

impl Namer {
    fn name(
        &self,
        sqlite_name: &str,
        taken: &mut BTreeSet<String>,
        what: &str,
        diags: &mut Diagnostics,
    ) -> String {
        let base = match self.naming {
            Naming::AsWritten => sqlite_name.to_string(),
            Naming::SnakeCase => ident::snake_case(sqlite_name),
            Naming::Lower => sqlite_name.to_ascii_lowercase(),
        };
        let mut name = match ident::shorten(&base) {
            Some(short) => {
                diags.push(
                    Diagnostic::warning(Stage::Rewrite, "identifier-too-long", format!("{what} name `{base}` is {} bytes; PostgreSQL keeps 63, so it becomes `{short}`", base.len()))
                        .on(sqlite_name)
                        .with_help("rename it in SQLite, or accept the shortened name (it is deterministic: a prefix and a hash)"),
                );
                short
            }
            None => base,
        };
        if taken.contains(&name) {
            let mut n = 2;
            let stem = name.clone();
            loop {
                let candidate = format!("{stem}_{n}");
                let candidate = ident::shorten(&candidate).unwrap_or(candidate);
                if !taken.contains(&candidate) {
                    name = candidate;
                    break;
                }
                n += 1;
            }
            diags.push(
                Diagnostic::warning(Stage::Rewrite, "identifier-collision", format!("{what} `{sqlite_name}` would collide with another name as `{stem}`; it becomes `{name}`"))
                    .on(sqlite_name)
                    .with_help("choose --naming as-written, or rename one of them in SQLite"),
            );
        }
        taken.insert(name.clone());
        name
    }
}

/// A constraint's own name (kept as written), shortened to 63 bytes with a
/// warning like every other name, so PostgreSQL never truncates one silently.
fn constraint_name(name: &Option<String>, diags: &mut Diagnostics) -> Option<String> {
    let name = name.as_ref()?;
    Some(match ident::shorten(name) {
        Some(short) => {
            diags.push(
                Diagnostic::warning(Stage::Rewrite, "identifier-too-long", format!("constraint name `{name}` is {} bytes; PostgreSQL keeps 63, so it becomes `{short}`", name.len()))
                    .on(name.as_str())
                    .with_help("rename it in SQLite, or accept the shortened name (it is deterministic: a prefix and a hash)"),
            );
            short
        }
        None => name.clone(),
    })
}

/// A foreign-key action as PostgreSQL's closed set spells it, re-printed
/// from its words (comments and spacing of DDL text dropped); `NO ACTION`
/// (the default) and anything else are none. The DDL grammar only accepts
/// the five actions, so "anything else" cannot be reached from SQLite text.
fn fk_action(raw: Option<&str>) -> Option<String> {
    static COMMENT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?s)/\*.*?(\*/|$)|--[^\n]*").expect("valid regex")
    });
    let without_comments = COMMENT.replace_all(raw?, " ").into_owned();
    let words: Vec<String> = without_comments
        .split_whitespace()
        .map(str::to_ascii_uppercase)
        .collect();
    match words.join(" ").as_str() {
        a @ ("CASCADE" | "SET NULL" | "SET DEFAULT" | "RESTRICT") => Some(a.to_string()),
        _ => None,
    }
}

struct TableNames {
    pg: String,
    columns: BTreeMap<String, String>, // lower-cased sqlite column → pg name
}

/// Build the PostgreSQL IR from the SQLite IR.
pub fn rewrite_ir(
    schema: &sqlite::Schema,
    pack: &RulePack,
    opts: &RewriteOptions,
) -> (pg::Schema, Diagnostics) {
    let mut diags = Diagnostics::default();
    let env = template_env(pack);
    let target_facts = facts::target_facts(&opts.target);
    let target_mj = minijinja::Value::from(minijinja::value::Serde(&target_facts));
    // DDL input has no profile: its (all-zero) facts are built once.
    let no_profile = facts::profile_facts(None);
    let namer = Namer {
        naming: opts.naming,
    };
    let mut out = pg::Schema {
        extensions: vec![],
        namespace: opts.namespace.clone(),
        tables: vec![],
        indexes: vec![],
        foreign_keys: vec![],
        sequence_resets: vec![],
        kept_as_comment: vec![],
        skipped: vec![],
        app_impact: vec![],
    };
    for u in &schema.unreadable {
        out.kept_as_comment.push(pg::Commented {
            kind: "statement".into(),
            name: format!("at line {}", u.line),
            code: "ddl-parse-error".into(),
            reason: format!("cannot be read: {}", u.reason),
            sql: u.sql.clone(),
        });
    }
    let mut extensions: BTreeSet<String> = BTreeSet::new();
    // Relation names share one namespace in PostgreSQL: tables, indexes, views, sequences.
    let mut relnames: BTreeSet<String> = BTreeSet::new();
    let mut names: BTreeMap<String, TableNames> = BTreeMap::new();

    // ---- table phase ----------------------------------------------------
    let mut migrated: Vec<&sqlite::Table> = Vec::new();
    for t in &schema.tables {
        let f = Facts::new(
            vec![
                ("table", Cow::Owned(facts::table_facts(t))),
                ("target", Cow::Borrowed(&target_facts)),
            ],
            &[("target", &target_mj)],
        );
        let (hit, trail) = first_match(pack, "table", &f);
        report_eval_errors(&trail, &t.name, &mut diags);
        if let Some(rule) = hit {
            let reason = rule_evidence(&env, rule, &f, &t.name, &mut diags);
            let action = rule.then.action.as_deref().unwrap_or("skip");
            let migrate = action == "migrate";
            if let Some(w) = &rule.warn {
                let msg = rule_text(&env, w, &f, rule, &t.name, &mut diags);
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
            if action == "comment" {
                out.kept_as_comment.push(pg::Commented {
                    kind: match t.kind {
                        TableKind::Virtual { .. } => "virtual table".into(),
                        _ => "table".into(),
                    },
                    name: t.name.clone(),
                    code: rule.id.clone(),
                    reason,
                    sql: t.sql.clone(),
                });
            } else if !migrate {
                out.skipped.push(pg::Skipped {
                    kind: "table".into(),
                    name: t.name.clone(),
                    reason,
                });
            }
            // `migrate`: a table after all; the column phase and the loader take it.
            if !migrate {
                continue;
            }
        }
        let pg_name = namer.name(&t.name, &mut relnames, "table", &mut diags);
        let mut taken = BTreeSet::new();
        let mut columns = BTreeMap::new();
        for c in &t.columns {
            let n = namer.name(&c.name, &mut taken, "column", &mut diags);
            columns.insert(c.name.to_ascii_lowercase(), n);
        }
        names.insert(
            t.name.to_ascii_lowercase(),
            TableNames {
                pg: pg_name,
                columns,
            },
        );
        migrated.push(t);
    }

    // ---- column phase -----------------------------------------------------
    let mut tables: Vec<pg::Table> = Vec::new();
    for t in &migrated {
        let tn = &names[&t.name.to_ascii_lowercase()];
        let table_facts = facts::table_facts(t);
        let table_mj = minijinja::Value::from(minijinja::value::Serde(&table_facts));
        let mut cols = Vec::new();
        for c in &t.columns {
            if c.hidden {
                continue;
            }
            let object = format!("{}.{}", t.name, c.name);
            let f = Facts::new(
                column_fact_roots(schema, t, c, &table_facts, &target_facts, &no_profile),
                &[("table", &table_mj), ("target", &target_mj)],
            );
            let (hit, trail) = first_match(pack, "column", &f);
            report_eval_errors(&trail, &object, &mut diags);
            let (pg_type, converter, identity, decision) = match hit {
                Some(rule) => {
                    let ty = rule_text(
                        &env,
                        rule.then.pg_type.as_deref().unwrap_or("text"),
                        &f,
                        rule,
                        &object,
                        &mut diags,
                    );
                    let conv_name = rule_text(
                        &env,
                        rule.then.converter.as_deref().unwrap_or("text"),
                        &f,
                        rule,
                        &object,
                        &mut diags,
                    );
                    let conv = Converter::from_name(conv_name.trim()).unwrap_or_else(|| {
                        diags.push(Diagnostic::error(Stage::Rewrite, "unknown-converter", format!("rule `{}` chose converter `{conv_name}`, which does not exist; using `any-text`", rule.id)).on(object.clone()));
                        Converter::AnyText
                    });
                    // A rule pack is configuration: its type is parsed and re-printed.
                    let (ty, conv) = match sqlcheck::pg_type(&ty) {
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
                                .on(object.clone())
                                .with_help(format!(
                                    "fix `then.type` at {}; `pgbridge rules test` checks a pack",
                                    rules::then_location(rule, "type")
                                )),
                            );
                            ("text".to_string(), Converter::AnyText)
                        }
                    };
                    emit_rule_warning(&env, rule, &f, &object, &mut diags);
                    let evidence = rule_evidence(&env, rule, &f, &object, &mut diags);
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
                None => {
                    diags.push(
                        Diagnostic::error(Stage::Rewrite, "no-column-rule", format!("no column rule matched `{object}` (declared `{}`); it becomes text", c.declared))
                            .on(object.clone())
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
            };
            // SQLite's BINARY collation compares bytes: PostgreSQL's "C".
            let base_type = pg_type.split('(').next().unwrap_or("").trim();
            let binary = c
                .collation
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case("binary"))
                && matches!(base_type, "text" | "varchar" | "character varying");
            let collation = binary.then(|| "C".to_string());
            let mut decisions = vec![decision];
            if binary {
                decisions.push(Decision {
                    rule: "binary-collation".into(),
                    evidence: "COLLATE BINARY compares bytes, as PostgreSQL's \"C\" collation does"
                        .into(),
                    obvious: false,
                });
            }
            cols.push(pg::Column {
                name: tn.columns[&c.name.to_ascii_lowercase()].clone(),
                source_name: c.name.clone(),
                pg_type,
                converter,
                not_null: c.not_null
                    || identity
                    || (c.pk_position > 0 && !c.rowid_alias && t.without_rowid),
                default: None,
                identity,
                generated: None,
                collation,
                decisions,
            });
        }
        tables.push(pg::Table {
            name: tn.pg.clone(),
            source_name: t.name.clone(),
            columns: cols,
            primary_key: None,
            uniques: vec![],
            checks: vec![],
            decisions: vec![],
            rows: t.rows,
        });
    }

    align_foreign_key_types(&migrated, &mut tables, &mut diags);

    // ---- default phase, generated columns, keys, checks -------------------
    for (t, pt) in migrated.iter().zip(tables.iter_mut()) {
        let pgcrypto = opts.target.has_extension("pgcrypto");
        let ctx = expr_context(pt, None, pgcrypto);
        let table_facts = facts::table_facts(t);
        let table_mj = minijinja::Value::from(minijinja::value::Serde(&table_facts));
        for c in t.columns.iter().filter(|c| !c.hidden) {
            let object = format!("{}.{}", t.name, c.name);
            let Some(pc) = pt.columns.iter_mut().find(|pc| pc.source_name == c.name) else {
                continue;
            };
            if let Some(g) = &c.generated {
                let gctx = ExprContext {
                    target_type: Some(pc.pg_type.clone()),
                    ..ctx.clone()
                };
                match translate::translate_expr(&g.expr.sql, &gctx) {
                    Ok(tr) => {
                        extensions.extend(tr.extensions);
                        pc.generated = Some(tr.sql);
                        pc.decisions.push(Decision {
                            rule: "generated-column".into(),
                            evidence: if g.stored { "STORED generated column".into() } else { "VIRTUAL in SQLite, STORED in PostgreSQL (computed on write; same values)".into() },
                            obvious: false,
                        });
                    }
                    Err(e) => {
                        diags.push(
                            Diagnostic::error(Stage::Rewrite, "generated-column-not-translated", format!("generated column `{object}` AS ({}) cannot be translated: {}; it becomes a plain column loaded with SQLite's computed values", g.expr.sql, e.reason))
                                .on(object.clone())
                                .with_help("write the PostgreSQL expression by hand in a follow-up migration, or add a rule"),
                        );
                        out.kept_as_comment.push(pg::Commented {
                            kind: "generated column".into(),
                            name: object.clone(),
                            code: "generated-column-not-translated".into(),
                            reason: e.reason,
                            sql: g.expr.sql.clone(),
                        });
                    }
                }
                continue;
            }
            if pc.identity {
                if c.default.is_some() {
                    diags.push(
                        Diagnostic::warning(
                            Stage::Rewrite,
                            "identity-default-dropped",
                            format!("`{object}` is an identity column; its DEFAULT is dropped"),
                        )
                        .on(object.clone()),
                    );
                }
                continue;
            }
            let Some(d) = &c.default else { continue };
            let mut roots =
                column_fact_roots(schema, t, c, &table_facts, &target_facts, &no_profile);
            let pg_facts = serde_json::json!({"type": pc.pg_type, "converter": pc.converter.name(), "identity": pc.identity});
            roots.push(("pg", Cow::Owned(pg_facts)));
            roots.push(("default", Cow::Owned(facts::default_facts(d))));
            let f = Facts::new(roots, &[("table", &table_mj), ("target", &target_mj)]);
            let (hit, trail) = first_match(pack, "default", &f);
            report_eval_errors(&trail, &object, &mut diags);
            let matched = hit.is_some();
            let (choice, rule_id, evidence) = match hit {
                Some(rule) => {
                    emit_rule_warning(&env, rule, &f, &object, &mut diags);
                    let ev = rule_evidence(&env, rule, &f, &object, &mut diags);
                    (
                        rule_text(
                            &env,
                            rule.then.default.as_deref().unwrap_or("translate"),
                            &f,
                            rule,
                            &object,
                            &mut diags,
                        ),
                        rule.id.clone(),
                        ev,
                    )
                }
                None => (
                    "translate".to_string(),
                    "default-translated".to_string(),
                    "translated through the expression AST".to_string(),
                ),
            };
            // A constant is a value: it must load as the column's data would.
            let refused = (choice.trim() != "none")
                .then(|| constant::refusal(d, pc.converter, &pc.pg_type))
                .flatten();
            if let Some(why) = refused {
                diags.push(
                    Diagnostic::warning(
                        Stage::Rewrite,
                        "default-not-convertible",
                        format!(
                            "DEFAULT {} of `{object}` is not a value {} can hold ({why}); the column gets no default",
                            d.sql.trim(),
                            pc.pg_type
                        ),
                    )
                    .on(object.clone())
                    .with_help("change the DEFAULT in SQLite and recompile, or give the column a default in a rule of your pack (then: default: …); until then the application must always insert a value"),
                );
                pc.decisions.push(Decision {
                    rule: "default-not-convertible".into(),
                    evidence: format!("DEFAULT {} dropped: {why}", d.sql.trim()),
                    obvious: false,
                });
                continue;
            }
            match choice.trim() {
                "none" => {
                    pc.decisions.push(Decision {
                        rule: rule_id,
                        evidence: format!("DEFAULT {} dropped: {evidence}", d.sql),
                        obvious: false,
                    });
                }
                "translate" => {
                    let dctx = ExprContext {
                        target_type: Some(pc.pg_type.clone()),
                        ..ctx.clone()
                    };
                    match translate::translate_default(&d.sql, &dctx) {
                        Ok(tr) => {
                            extensions.extend(tr.extensions);
                            if matched || !tr.sql.eq_ignore_ascii_case(d.sql.trim()) {
                                let mut ev = format!("SQLite DEFAULT {}", d.sql.trim());
                                for n in &tr.notes {
                                    ev.push_str("; ");
                                    ev.push_str(n);
                                }
                                pc.decisions.push(Decision {
                                    rule: rule_id,
                                    evidence: ev,
                                    obvious: false,
                                });
                            }
                            pc.default = Some(tr.sql);
                        }
                        Err(e) => {
                            diags.push(
                                Diagnostic::error(Stage::Rewrite, "default-not-translated", format!("DEFAULT {} of `{object}` cannot be translated: {}", d.sql, e.reason))
                                    .on(object.clone())
                                    .with_help("add a default rule for it, or set the default by hand after the migration"),
                            );
                            out.kept_as_comment.push(pg::Commented {
                                kind: "default".into(),
                                name: object.clone(),
                                code: "default-not-translated".into(),
                                reason: e.reason,
                                sql: d.sql.clone(),
                            });
                        }
                    }
                }
                sql if sqlcheck::expression(sql).is_err() => {
                    let why = sqlcheck::expression(sql).err().unwrap_or_default();
                    let rule = pack.get(&rule_id);
                    diags.push(
                        Diagnostic::error(
                            Stage::Rewrite,
                            "rule-default-invalid",
                            format!(
                                "rule `{rule_id}` gives `{object}` a DEFAULT that is not one SQL expression: {why}"
                            ),
                        )
                        .on(object.clone())
                        .with_help(format!(
                            "fix `then.default` at {}; `pgbridge rules test` checks a pack",
                            rule.map(|r| rules::then_location(r, "default"))
                                .unwrap_or_else(|| rule_id.clone())
                        )),
                    );
                    out.kept_as_comment.push(pg::Commented {
                        kind: "default".into(),
                        name: object.clone(),
                        code: "rule-default-invalid".into(),
                        reason: why,
                        sql: sql.to_string(),
                    });
                }
                sql => {
                    pc.default = Some(sql.to_string());
                    pc.decisions.push(Decision {
                        rule: rule_id,
                        evidence,
                        obvious: false,
                    });
                }
            }
        }
        // keys
        let map_cols = |cols: &[String]| -> Option<Vec<String>> {
            cols.iter()
                .map(|c| {
                    pt.columns
                        .iter()
                        .find(|pc| pc.source_name.eq_ignore_ascii_case(c))
                        .map(|pc| pc.name.clone())
                })
                .collect()
        };
        if let Some(pk) = &t.primary_key {
            match map_cols(&pk.columns) {
                Some(cols) => {
                    pt.primary_key = Some(pg::Key {
                        name: constraint_name(&pk.name, &mut diags),
                        columns: cols,
                    })
                }
                None => diags.push(
                    Diagnostic::error(
                        Stage::Rewrite,
                        "key-column-missing",
                        format!(
                            "PRIMARY KEY of `{}` names a column the table does not have: {:?}",
                            t.name, pk.columns
                        ),
                    )
                    .on(t.name.clone()),
                ),
            }
        }
        for u in &t.uniques {
            match map_cols(&u.columns) {
                Some(cols) => {
                    if pt
                        .primary_key
                        .as_ref()
                        .map(|k| k.columns == cols)
                        .unwrap_or(false)
                        || pt.uniques.iter().any(|k| k.columns == cols)
                    {
                        continue;
                    }
                    pt.uniques.push(pg::Key {
                        name: constraint_name(&u.name, &mut diags),
                        columns: cols,
                    })
                }
                None => diags.push(
                    Diagnostic::error(
                        Stage::Rewrite,
                        "key-column-missing",
                        format!(
                            "UNIQUE of `{}` names a column the table does not have: {:?}",
                            t.name, u.columns
                        ),
                    )
                    .on(t.name.clone()),
                ),
            }
        }
        // checks
        let cctx = expr_context(pt, Some("boolean"), pgcrypto);
        for k in &t.checks {
            // `CHECK (x IN (0, 1))` on a column that became boolean says nothing
            // a boolean does not: it was the evidence, and is dropped with a note.
            if let Some(pc) = pt
                .columns
                .iter_mut()
                .find(|c| c.pg_type == "boolean" && facts::is_bool_check(&k.expr, &c.source_name))
            {
                pc.decisions.push(Decision {
                    rule: "boolean-check-implied".into(),
                    evidence: format!(
                        "CHECK ({}) is implied by the boolean type",
                        k.expr.sql.trim()
                    ),
                    obvious: false,
                });
                continue;
            }
            // `CHECK (typeof(x) = 'text' OR typeof(x) = 'null')` (GDAL) says
            // what the column's type already says: dropped with a note.
            if let Some((col, allowed)) = translate::typeof_test(&k.expr.sql)
                && let Some(pc) = pt.columns.iter_mut().find(|c| {
                    c.source_name.eq_ignore_ascii_case(&col)
                        && sqlite_class(c.converter).is_some_and(|k| allowed.contains(k))
                        && (c.not_null || allowed.contains("null"))
                })
            {
                pc.decisions.push(Decision {
                    rule: "typeof-check-implied".into(),
                    evidence: format!(
                        "CHECK ({}) is implied by the type {}",
                        k.expr.sql.trim(),
                        pc.pg_type
                    ),
                    obvious: false,
                });
                continue;
            }
            match translate::translate_predicate(&k.expr.sql, &cctx) {
                Ok(tr) => {
                    extensions.extend(tr.extensions);
                    pt.checks.push(pg::CheckConstraint {
                        name: constraint_name(&k.name, &mut diags),
                        expr: tr.sql,
                        source_sql: k.expr.sql.clone(),
                        notes: tr.notes,
                    });
                }
                Err(e) => {
                    diags.push(
                        Diagnostic::error(Stage::Rewrite, "check-not-translated", format!("CHECK ({}) on `{}` cannot be translated: {}; it is kept as a comment in 03_constraints.sql", k.expr.sql, t.name, e.reason))
                            .on(t.name.clone())
                            .with_help("write the PostgreSQL CHECK by hand in a follow-up migration"),
                    );
                    out.kept_as_comment.push(pg::Commented {
                        kind: "check".into(),
                        name: k.name.clone().unwrap_or_else(|| t.name.clone()),
                        code: "check-not-translated".into(),
                        reason: e.reason,
                        sql: k.expr.sql.clone(),
                    });
                }
            }
        }
        // identity sequence resets
        for pc in pt.columns.iter().filter(|c| c.identity) {
            out.sequence_resets.push(pg::SequenceReset {
                table: pt.name.clone(),
                column: pc.name.clone(),
                floor: schema
                    .sequences
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&t.name))
                    .map(|(_, v)| *v),
            });
        }
    }

    // ---- indexes ------------------------------------------------------------
    for idx in &schema.indexes {
        let Some(ti) = migrated
            .iter()
            .position(|t| t.name.eq_ignore_ascii_case(&idx.table))
        else {
            if !schema.tables.iter().any(|t| {
                t.name.eq_ignore_ascii_case(&idx.table) && matches!(t.kind, TableKind::Ordinary)
            }) {
                out.skipped.push(pg::Skipped {
                    kind: "index".into(),
                    name: idx.name.clone(),
                    reason: format!("its table `{}` is not migrated", idx.table),
                });
            }
            continue;
        };
        let pt = &tables[ti];
        match translate_index(
            idx,
            migrated[ti],
            pt,
            opts.target.has_extension("pgcrypto"),
            &mut extensions,
        ) {
            Ok((elements, where_clause, decisions)) => {
                let name = namer.name(&idx.name, &mut relnames, "index", &mut diags);
                out.indexes.push(pg::Index {
                    name,
                    table: pt.name.clone(),
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
                diags.push(
                    Diagnostic::new(severity, Stage::Rewrite, "index-not-translated", format!("index `{}` on `{}` cannot be translated: {reason}; it is kept as a comment in 03_constraints.sql ({consequence})", idx.name, idx.table))
                        .on(idx.name.clone())
                        .with_help("create the index by hand in a follow-up migration"),
                );
                out.kept_as_comment.push(pg::Commented {
                    kind: "index".into(),
                    name: idx.name.clone(),
                    code: "index-not-translated".into(),
                    reason,
                    sql: idx.sql.clone(),
                });
            }
        }
    }

    for (t, pt) in migrated.iter().zip(tables.iter()) {
        let gist = spatial::spatial_indexes(t, pt, &namer, &mut relnames, &mut diags);
        out.indexes.extend(gist);
    }

    // ---- foreign keys ---------------------------------------------------------
    // A constraint name is unique per table in PostgreSQL (a foreign key
    // makes no index): the same name on two tables is no collision.
    for (t, pt) in migrated.iter().zip(tables.iter()) {
        let mut fk_names: BTreeSet<String> = BTreeSet::new();
        for fk in &t.foreign_keys {
            let object = format!("{}({})", t.name, fk.columns.join(", "));
            let comment = |reason: String,
                           code: &str,
                           out: &mut pg::Schema,
                           diags: &mut Diagnostics| {
                diags.push(Diagnostic::warning(Stage::Rewrite, code, format!("foreign key {object} → {}: {reason}; kept as a comment in 03_constraints.sql", fk.ref_table)).on(t.name.clone()).with_help("fix the schema in SQLite, or add the constraint by hand"));
                out.kept_as_comment.push(pg::Commented {
                    kind: "foreign key".into(),
                    name: object.clone(),
                    code: code.into(),
                    reason,
                    sql: format!(
                        "FOREIGN KEY ({}) REFERENCES {}({})",
                        fk.columns.join(", "),
                        fk.ref_table,
                        fk.ref_columns.join(", ")
                    ),
                });
            };
            let Some(pi) = migrated
                .iter()
                .position(|p| p.name.eq_ignore_ascii_case(&fk.ref_table))
            else {
                comment(
                    format!(
                        "parent table `{}` is not migrated or does not exist",
                        fk.ref_table
                    ),
                    "fk-parent-missing",
                    &mut out,
                    &mut diags,
                );
                continue;
            };
            let parent = migrated[pi];
            let ppt = &tables[pi];
            let ref_cols = facts::referenced_columns(fk, parent);
            let child_cols: Option<Vec<&pg::Column>> = fk
                .columns
                .iter()
                .map(|c| {
                    pt.columns
                        .iter()
                        .find(|pc| pc.source_name.eq_ignore_ascii_case(c))
                })
                .collect();
            let parent_cols: Option<Vec<&pg::Column>> = ref_cols
                .iter()
                .map(|c| {
                    ppt.columns
                        .iter()
                        .find(|pc| pc.source_name.eq_ignore_ascii_case(c))
                })
                .collect();
            let (Some(cc), Some(pcs)) = (child_cols, parent_cols) else {
                comment(
                    "it names a column that does not exist".into(),
                    "fk-column-missing",
                    &mut out,
                    &mut diags,
                );
                continue;
            };
            if cc.len() != pcs.len() || cc.is_empty() {
                comment(
                    "column counts differ".into(),
                    "fk-column-missing",
                    &mut out,
                    &mut diags,
                );
                continue;
            }
            let pnames: Vec<String> = pcs.iter().map(|c| c.name.clone()).collect();
            let parent_unique = ppt
                .primary_key
                .as_ref()
                .map(|k| same_set(&k.columns, &pnames))
                .unwrap_or(false)
                || ppt.uniques.iter().any(|k| same_set(&k.columns, &pnames))
                || out.indexes.iter().any(|i| {
                    i.table == ppt.name
                        && i.unique
                        && i.where_clause.is_none()
                        && same_set(
                            &i.elements,
                            &pnames
                                .iter()
                                .map(|n| ident::quote_ident(n))
                                .collect::<Vec<_>>(),
                        )
                });
            if !parent_unique {
                comment(
                    format!(
                        "the referenced columns ({}) have no PRIMARY KEY or UNIQUE constraint, which PostgreSQL requires",
                        ref_cols.join(", ")
                    ),
                    "fk-parent-not-unique",
                    &mut out,
                    &mut diags,
                );
                continue;
            }
            if let Some((a, b)) = cc
                .iter()
                .zip(pcs.iter())
                .find(|(a, b)| !fk_types_compatible(&a.pg_type, &b.pg_type))
            {
                comment(
                    format!(
                        "`{}` is {} but `{}` is {}",
                        a.source_name, a.pg_type, b.source_name, b.pg_type
                    ),
                    "fk-type-mismatch",
                    &mut out,
                    &mut diags,
                );
                continue;
            }
            let base = fk.name.clone().unwrap_or_else(|| {
                format!(
                    "{}_{}_fkey",
                    pt.name,
                    cc.iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join("_")
                )
            });
            let name = namer.name(&base, &mut fk_names, "foreign key", &mut diags);
            out.foreign_keys.push(pg::ForeignKey {
                name,
                table: pt.name.clone(),
                columns: cc.iter().map(|c| c.name.clone()).collect(),
                ref_table: ppt.name.clone(),
                ref_columns: pnames,
                on_delete: fk_action(fk.on_delete.as_deref()),
                on_update: fk_action(fk.on_update.as_deref()),
                deferrable: fk.deferrable.map(|d| match d {
                    sqlite::Deferrable::InitiallyDeferred => {
                        "DEFERRABLE INITIALLY DEFERRED".to_string()
                    }
                    sqlite::Deferrable::InitiallyImmediate => {
                        "DEFERRABLE INITIALLY IMMEDIATE".to_string()
                    }
                    sqlite::Deferrable::NotDeferrable => "NOT DEFERRABLE".to_string(),
                }),
                validate: true,
            });
        }
    }

    // ---- views and triggers: kept as comments (a later stage translates them)
    let mut machinery = 0;
    for v in &schema.views {
        if let Some(reason) = spatial::machinery_view(schema, v) {
            out.skipped.push(pg::Skipped {
                kind: "view".into(),
                name: v.name.clone(),
                reason,
            });
            machinery += 1;
            continue;
        }
        diags.push(Diagnostic::warning(Stage::Rewrite, "view-kept-as-comment", format!("view `{}` is not translated yet; its SQLite definition is kept as a comment in 03_constraints.sql", v.name)).on(v.name.clone()).with_help("recreate the view by hand in PostgreSQL SQL"));
        out.kept_as_comment.push(pg::Commented {
            kind: "view".into(),
            name: v.name.clone(),
            code: "view-kept-as-comment".into(),
            reason: "views are not translated yet".into(),
            sql: v.sql.clone(),
        });
    }
    for tr in &schema.triggers {
        if let Some(reason) = spatial::machinery_trigger(schema, tr) {
            out.skipped.push(pg::Skipped {
                kind: "trigger".into(),
                name: tr.name.clone(),
                reason,
            });
            machinery += 1;
            continue;
        }
        diags.push(Diagnostic::warning(Stage::Rewrite, "trigger-kept-as-comment", format!("trigger `{}` on `{}` is not translated yet; its SQLite definition is kept as a comment in 03_constraints.sql", tr.name, tr.table)).on(tr.name.clone()).with_help("recreate it as a PL/pgSQL trigger function by hand"));
        out.kept_as_comment.push(pg::Commented {
            kind: "trigger".into(),
            name: tr.name.clone(),
            code: "trigger-kept-as-comment".into(),
            reason: "triggers are not translated yet".into(),
            sql: tr.sql.clone(),
        });
    }

    if machinery > 0 {
        diags.push(Diagnostic::note(Stage::Rewrite, "spatial-machinery-skipped", format!("{machinery} trigger(s) and view(s) of the spatial package or on tables not migrated are not migrated; each is listed with its reason at the end of 03_constraints.sql")));
    }
    for t in &tables {
        for c in &t.columns {
            let base = c.pg_type.split(['(', '[']).next().unwrap_or("").trim();
            match base {
                "citext" => {
                    extensions.insert("citext".into());
                }
                "vector" | "halfvec" | "sparsevec" => {
                    extensions.insert("vector".into());
                }
                "geometry" => {
                    extensions.insert("postgis".into());
                }
                _ => {}
            }
        }
    }
    for e in &extensions {
        if !opts.target.has_extension(e) {
            diags.push(
                Diagnostic::warning(Stage::Rewrite, "extension-not-in-target", format!("the migration needs extension `{e}`, which the target does not list"))
                    .with_help(format!("install it on the server and pass --extensions {e},…, or change the rule that chose it")),
            );
        }
    }
    out.extensions = extensions.into_iter().collect();
    out.tables = tables;
    diags.extend(quoted_upper_case(&out));
    out.app_impact = impact::app_impact(schema, &out);
    locate(schema, &mut diags);
    (out, diags)
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

/// Point each diagnostic about a schema object at the statement that
/// created it: the input file and, for DDL text, its line.
fn locate(schema: &sqlite::Schema, diags: &mut Diagnostics) {
    for d in diags.0.iter_mut() {
        if d.span.file.is_some() {
            continue;
        }
        let Some(object) = d.span.object.clone() else {
            continue;
        };
        let table = object.split(['.', '(']).next().unwrap_or(&object);
        let objects = (schema.tables.iter().map(|t| (&t.name, t.line)))
            .chain(schema.indexes.iter().map(|i| (&i.name, i.line)))
            .chain(schema.views.iter().map(|v| (&v.name, v.line)))
            .chain(schema.triggers.iter().map(|t| (&t.name, t.line)));
        let line = objects
            .clone()
            .find(|(n, _)| *n == &object)
            .or_else(|| objects.clone().find(|(n, _)| *n == table))
            .map(|(_, l)| l);
        if let Some(line) = line {
            d.span.file = Some(schema.origin.clone());
            d.span.line = line;
        }
    }
}

fn same_set(a: &[String], b: &[String]) -> bool {
    let mut x: Vec<&String> = a.iter().collect();
    let mut y: Vec<&String> = b.iter().collect();
    x.sort();
    y.sort();
    x == y
}

fn type_family(t: &str) -> &str {
    let base = t.split(['(', '[']).next().unwrap_or("").trim();
    match base {
        "bigint" | "integer" | "smallint" => "int",
        "text" | "varchar" | "character varying" | "char" | "character" => "text",
        other => other,
    }
}

/// Can a foreign key join these two PostgreSQL types (same btree family)?
fn fk_types_compatible(a: &str, b: &str) -> bool {
    type_family(a) == type_family(b)
}

/// Child FK columns take their parent's type where the child's own data
/// allows it (citext parents, uuid parents); recorded as a decision.
fn align_foreign_key_types(
    migrated: &[&sqlite::Table],
    tables: &mut [pg::Table],
    diags: &mut Diagnostics,
) {
    for (ti, t) in migrated.iter().enumerate() {
        for fk in &t.foreign_keys {
            let Some(pi) = migrated
                .iter()
                .position(|p| p.name.eq_ignore_ascii_case(&fk.ref_table))
            else {
                continue;
            };
            let parent = migrated[pi];
            let ref_cols = facts::referenced_columns(fk, parent);
            for (cname, pname) in fk.columns.iter().zip(ref_cols.iter()) {
                let Some(parent_col) = tables[pi]
                    .columns
                    .iter()
                    .find(|c| c.source_name.eq_ignore_ascii_case(pname))
                    .cloned()
                else {
                    continue;
                };
                let Some(child_src) = t
                    .columns
                    .iter()
                    .find(|c| c.name.eq_ignore_ascii_case(cname))
                else {
                    continue;
                };
                let Some(child) = tables[ti]
                    .columns
                    .iter_mut()
                    .find(|c| c.source_name.eq_ignore_ascii_case(cname))
                else {
                    continue;
                };
                if child.pg_type == parent_col.pg_type
                    || fk_types_compatible(&child.pg_type, &parent_col.pg_type)
                        && parent_col.pg_type != "citext"
                {
                    continue;
                }
                let p = child_src.profile.clone().unwrap_or_default();
                let non_null = p.rows.saturating_sub(p.nulls);
                // The child takes the parent's type when every value it holds
                // converts to it: what SQLite's foreign-key check compares, the
                // child's value with the parent column's affinity applied (the
                // text '42' matches the integer 42). An empty child always fits.
                let text_ok = p.blobs == p.text_blobs && p.nul_bytes == 0 && p.invalid_utf8 == 0;
                let fits = match parent_col.converter {
                    Converter::Integer => p.integers + p.int_texts == non_null,
                    Converter::Real | Converter::Numeric => {
                        p.integers + p.reals + p.real_texts == non_null
                    }
                    Converter::Text | Converter::AnyText => text_ok,
                    Converter::UuidText => p.uuid_texts == non_null,
                    Converter::UuidBlob => p.blob16 == non_null,
                    Converter::Bytes => p.blobs == non_null,
                    _ => non_null == 0,
                };
                // Numbers in a child of a text parent are loaded as their text.
                let conv = match parent_col.converter {
                    Converter::Text if p.texts != non_null => Converter::AnyText,
                    c => c,
                };
                let new = fits.then(|| (parent_col.pg_type.clone(), conv));
                if let Some((ty, conv)) = new {
                    // The column rule's warning described the type it chose; that
                    // type is replaced, so its warning gives way to a note.
                    let object = format!("{}.{}", t.name, child_src.name);
                    let chosen_by = child
                        .decisions
                        .first()
                        .map(|d| d.rule.clone())
                        .unwrap_or_default();
                    diags.0.retain(|d| {
                        !(d.span.object.as_deref() == Some(object.as_str()) && d.code == chosen_by)
                    });
                    diags.push(
                        Diagnostic::note(
                            Stage::Rewrite,
                            "foreign-key-type-alignment",
                            format!("`{object}` takes the type of {}.{} ({}) that its foreign key references; its values fit", parent.name, pname, parent_col.pg_type),
                        )
                        .on(object),
                    );
                    child.decisions.push(Decision {
                        rule: "foreign-key-type-alignment".into(),
                        evidence: format!(
                            "references {}.{} ({}); was {}",
                            parent.name, pname, parent_col.pg_type, child.pg_type
                        ),
                        obvious: false,
                    });
                    child.pg_type = ty;
                    child.converter = conv;
                }
            }
        }
    }
}

/// The `table`, `column`, `profile` and `target` roots of a column's facts.
fn column_fact_roots<'s>(
    schema: &sqlite::Schema,
    t: &sqlite::Table,
    c: &sqlite::Column,
    table_facts: &'s Value,
    target_facts: &'s Value,
    no_profile: &'s Value,
) -> Vec<(&'static str, Cow<'s, Value>)> {
    let profile = match &c.profile {
        Some(p) => Cow::Owned(facts::profile_facts(Some(p))),
        None => Cow::Borrowed(no_profile),
    };
    vec![
        ("table", Cow::Borrowed(table_facts)),
        ("column", Cow::Owned(facts::column_facts(schema, t, c))),
        ("profile", profile),
        ("target", Cow::Borrowed(target_facts)),
    ]
}

/// The SQLite storage class of a column's values as PostgreSQL now holds
/// them: what `typeof()` means after the migration. `None` when it depends
/// on the value (numeric holds SQLite's integers and reals).
fn sqlite_class(conv: pg::Converter) -> Option<&'static str> {
    use pg::Converter as C;
    match conv {
        C::Integer | C::Boolean | C::EpochSeconds | C::EpochMillis | C::EpochMicros => {
            Some("integer")
        }
        C::Real | C::JulianDay => Some("real"),
        C::Text | C::AnyText | C::Json | C::UuidText | C::IsoTimestamp | C::IsoDate => Some("text"),
        C::Bytes
        | C::UuidBlob
        | C::Float32Vector
        | C::Float32Array
        | C::GeopackageGeometry
        | C::SpatialiteGeometry => Some("blob"),
        C::Numeric => None,
    }
}

/// Translation scope over a table's decided columns.
fn expr_context(pt: &pg::Table, target_type: Option<&str>, pgcrypto: bool) -> ExprContext {
    let mut columns = BTreeMap::new();
    for c in &pt.columns {
        columns.insert(
            c.source_name.to_ascii_lowercase(),
            ColumnInfo {
                pg_name: c.name.clone(),
                pg_type: c.pg_type.clone(),
                sqlite_class: sqlite_class(c.converter),
                time: translate::TimeSource::of(c.converter),
            },
        );
    }
    ExprContext {
        columns,
        target_type: target_type.map(str::to_string),
        pgcrypto,
    }
}

type IndexParts = (Vec<String>, Option<String>, Vec<Decision>);

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
        let col = ic.column.as_ref().and_then(|n| {
            pt.columns
                .iter()
                .find(|c| c.source_name.eq_ignore_ascii_case(n))
        });
        let mut el = match col {
            Some(c) => ident::quote_ident(&c.name),
            None => {
                let tr = translate::translate_index_key(&ic.expr.sql, &ctx)
                    .map_err(|e| format!("key `{}`: {}", ic.expr.sql, e.reason))?;
                extensions.extend(tr.extensions);
                decisions.extend(tr.notes.into_iter().map(|n| Decision {
                    rule: "translation-note".into(),
                    evidence: n,
                    obvious: false,
                }));
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
        elements.push(el);
    }
    let where_clause = match &idx.where_clause {
        Some(w) => {
            let bctx = expr_context(pt, Some("boolean"), pgcrypto);
            let tr = translate::translate_predicate(&w.sql, &bctx)
                .map_err(|e| format!("WHERE {}: {}", w.sql, e.reason))?;
            extensions.extend(tr.extensions);
            decisions.extend(tr.notes.into_iter().map(|n| Decision {
                rule: "translation-note".into(),
                evidence: n,
                obvious: false,
            }));
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

fn report_eval_errors(trail: &[TrailStep], object: &str, diags: &mut Diagnostics) {
    for s in trail {
        if let Some(e) = &s.error {
            diags.push(Diagnostic::error(Stage::Rewrite, "rule-eval-failed", format!("rule `{}` could not be evaluated on `{object}`: {e}; treated as not matching", s.rule)).on(object.to_string()));
        }
    }
}

fn rule_text(
    env: &minijinja::Environment<'_>,
    template: &str,
    facts: &Facts,
    rule: &Rule,
    object: &str,
    diags: &mut Diagnostics,
) -> String {
    match render(env, template, facts) {
        Ok(s) => s,
        Err(e) => {
            diags.push(
                Diagnostic::error(
                    Stage::Rewrite,
                    "rule-template-failed",
                    format!(
                        "rule `{}`: template `{template}` failed on `{object}`: {e}",
                        rule.id
                    ),
                )
                .on(object.to_string()),
            );
            template.to_string()
        }
    }
}

/// The evidence recorded with a rule's decision: its `evidence` template,
/// or its summary.
fn rule_evidence(
    env: &minijinja::Environment<'_>,
    rule: &Rule,
    facts: &Facts,
    object: &str,
    diags: &mut Diagnostics,
) -> String {
    rule_text(
        env,
        rule.evidence.as_deref().unwrap_or(&rule.summary),
        facts,
        rule,
        object,
        diags,
    )
}

fn emit_rule_warning(
    env: &minijinja::Environment<'_>,
    rule: &Rule,
    facts: &Facts,
    object: &str,
    diags: &mut Diagnostics,
) {
    if let Some(w) = &rule.warn {
        let msg = rule_text(env, w, facts, rule, object, diags);
        let mut d = Diagnostic::warning(Stage::Rewrite, &rule.id, msg).on(object.to_string());
        if let Some(h) = &rule.help {
            d = d.with_help(rule_text(env, h, facts, rule, object, diags));
        }
        diags.push(d);
    }
}

/// The rule trail for one column: every column rule considered, in order,
/// and the facts it was judged on. For `pgbridge explain DB table.column`.
pub fn explain_column(
    schema: &sqlite::Schema,
    pack: &RulePack,
    opts: &RewriteOptions,
    table: &str,
    column: &str,
) -> Option<(Value, Vec<TrailStep>)> {
    let t = schema
        .tables
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(table))?;
    let c = t
        .columns
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(column))?;
    let mut f = serde_json::Map::new();
    f.insert("table".into(), facts::table_facts(t));
    f.insert("column".into(), facts::column_facts(schema, t, c));
    f.insert("profile".into(), facts::profile_facts(c.profile.as_ref()));
    f.insert("target".into(), facts::target_facts(&opts.target));
    let f = Value::Object(f);
    let (_, trail) = first_match(pack, "column", &f);
    Some((f, trail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn simple_templates_render_exactly_as_minijinja_does() {
        let env = template_env(&RulePack::default());
        let column = json!({"name": "Price", "declared": "NUMERIC(10,2)", "not_null": true, "pk_position": 2});
        let profile = json!({"rows": 10, "text_len_max": null, "ratio": 0.5});
        let facts = Facts::new(
            vec![
                ("column", Cow::Borrowed(&column)),
                ("profile", Cow::Owned(profile)),
            ],
            &[],
        );
        for t in [
            "declared {{ column.declared }}",
            "{{column.name}} at {{ column.pk_position }}",
            "no template at all",
        ] {
            let fast = render_simple(t, &facts).expect("simple");
            let slow = env
                .render_str(t, facts.template_value().clone())
                .expect("minijinja");
            assert_eq!(fast, slow, "{t}");
        }
        // Not simple: filters, control flow, floats, nulls, missing paths go to minijinja.
        for t in [
            "{{ column.not_null }}",
            "{{ column.name | lower }}",
            "{% if column.not_null %}x{% endif %}",
            "{{ profile.ratio }}",
            "{{ profile.text_len_max }}",
            "{{ column.nope }}",
        ] {
            assert_eq!(render_simple(t, &facts), None, "{t}");
        }
        assert!(
            render(&env, "{{ column.nope }}", &facts).is_err(),
            "strict: an undefined fact is an error"
        );
    }
}
