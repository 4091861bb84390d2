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
//!
//! [`rewrite_ir`] is the list of passes, in order; each is a file under
//! `pass/` whose doc says what it reads and writes.
mod constant;
mod eval;
pub mod facts;
mod impact;
mod pass;
pub mod predicate;
pub mod rules;
mod spatial;
pub mod sqlcheck;
pub mod target;

use crate::diag::Diagnostics;
use crate::ident::Naming;
use crate::ir::{pg, sqlite};
pub use eval::Facts;
use pass::{
    Rewrite, columns, defaults, extensions, fk_types, foreign_keys, fts, indexes, keys, tables,
    triggers, unreadable, upper_case, views,
};
pub use rules::{Rule, RulePack};
use serde_json::Value;
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

/// Build the PostgreSQL IR from the SQLite IR.
pub fn rewrite_ir(
    schema: &sqlite::Schema,
    pack: &RulePack,
    opts: &RewriteOptions,
) -> (pg::Schema, Diagnostics) {
    let mut cx = Rewrite::new(schema, pack, opts);
    unreadable::run(&mut cx); // statements the source could not read → comments
    tables::run(&mut cx); // table rules: migrate, skip or comment; names
    columns::run(&mut cx); // column rules: type, converter, identity
    fk_types::run(&mut cx); // FK columns take their parent's type
    keys::identity_sequences(&mut cx); // names PostgreSQL gives sequences
    // Per table, so that one table's diagnostics stay together.
    cx.each_table(|cx, t, pt| {
        defaults::table(cx, t, pt); // generated columns, DEFAULTs
        keys::table(cx, t, pt); // PRIMARY KEY, UNIQUE
        keys::checks(cx, t, pt); // CHECK
        keys::sequence_resets(cx, t, pt); // identity sequences after the load
    });
    indexes::run(&mut cx); // CREATE INDEX → btree
    indexes::spatial(&mut cx); // R*Tree → GiST
    foreign_keys::run(&mut cx);
    views::run(&mut cx); // SELECTs translated, in dependency order
    triggers::run(&mut cx); // PL/pgSQL functions and triggers, after the views
    fts::run(&mut cx); // FTS virtual tables → generated tsvector + GIN
    extensions::run(&mut cx);
    upper_case::run(&mut cx);
    cx.out.app_impact = impact::app_impact(schema, &cx.out);
    cx.finish()
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
