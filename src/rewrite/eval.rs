//! Rule evaluation: the facts a rule is judged on, its templates rendered
//! against them, and the diagnostics a rule hit or failure produces.
//!
//! Reads a [`RulePack`] and the facts of one object; writes rendered text
//! (types, converters, defaults, evidence) and pushes `rule-eval-failed`,
//! `rule-template-failed` and the rules' own `warn:` diagnostics.
use super::{Rule, RulePack, TrailStep, predicate};
use crate::diag::{Diagnostic, Diagnostics, Stage};
use crate::ident;
use serde_json::Value;
use std::collections::BTreeMap;

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
    pub(super) fn new(
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

pub(super) fn template_env(pack: &RulePack) -> minijinja::Environment<'static> {
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

pub(super) fn report_eval_errors(trail: &[TrailStep], object: &str, diags: &mut Diagnostics) {
    for s in trail {
        if let Some(e) = &s.error {
            diags.push(Diagnostic::error(Stage::Rewrite, "rule-eval-failed", format!("rule `{}` could not be evaluated on `{object}`: {e}; treated as not matching", s.rule)).on(object.to_string()));
        }
    }
}

pub(super) fn rule_text(
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
pub(super) fn rule_evidence(
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

pub(super) fn emit_rule_warning(
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::borrow::Cow;

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
