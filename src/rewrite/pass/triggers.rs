//! Triggers: each SQLite trigger becomes a PL/pgSQL function and a
//! trigger ([`crate::translate::trigger`]) on the migrated table or the
//! translated view it is on. The spatial packages' machinery (and triggers
//! on tables not migrated) is skipped; one note counts what views and
//! triggers were skipped so.
//!
//! Reads `schema.triggers`, the `catalog` and `machinery` count of the view
//! pass; writes `out.triggers` (in SQLite's order), `out.kept_as_comment`
//! and `out.skipped`. Trigger names are unique among triggers, function
//! names (`<trigger>_fn`) among functions; both 63 bytes at most. Pushes
//! `trigger-kept-as-comment` (with the reason: an application-defined
//! function names the function) and `spatial-machinery-skipped`. A
//! trigger that only maintains an external-content FTS index is dropped
//! with the note `fts-trigger-dropped`: the full-text pass's generated
//! tsvector column keeps itself up to date.
use super::naming::claim;
use super::{Rewrite, fts};
use crate::diag::{Diagnostic, Stage};
use crate::ident;
use crate::ir::{pg, sqlite};
use crate::rewrite::spatial;
use crate::translate::Untranslatable;
use crate::translate::appfn::undeclared_help;
use crate::translate::trigger::{Target, TranslatedTrigger, translate_trigger};
use std::collections::BTreeSet;

pub(in crate::rewrite) fn run(cx: &mut Rewrite) {
    let schema = cx.src.schema;
    let mut names = Names::default();
    for tr in &schema.triggers {
        if let Some(reason) = spatial::machinery_trigger(schema, tr) {
            cx.out.skipped.push(pg::Skipped {
                kind: "trigger".into(),
                name: tr.name.clone(),
                reason,
            });
            cx.machinery += 1;
            continue;
        }
        if let Some(reason) = fts::maintains_index(cx, tr) {
            drop_fts_trigger(cx, tr, reason);
            continue;
        }
        match translate_one(cx, tr) {
            Ok(t) => accept(cx, &mut names, tr, t),
            Err(e) => keep_as_comment(cx, tr, &e.reason),
        }
    }
    if cx.machinery > 0 {
        cx.diags.push(Diagnostic::note(Stage::Rewrite, "spatial-machinery-skipped", format!("{} trigger(s) and view(s) of the spatial package or on tables not migrated are not migrated; each is listed with its reason at the end of 03_constraints.sql", cx.machinery)));
    }
}

/// Trigger and function names taken.
#[derive(Default)]
struct Names {
    triggers: BTreeSet<String>,
    functions: BTreeSet<String>,
}

fn translate_one(cx: &Rewrite, tr: &sqlite::Trigger) -> Result<TranslatedTrigger, Untranslatable> {
    let schema = cx.src.schema;
    let is_view = schema
        .views
        .iter()
        .any(|v| v.name.eq_ignore_ascii_case(&tr.table));
    let key_of = |t: &sqlite::Table| {
        t.primary_key
            .as_ref()
            .map(|k| k.columns.clone())
            .unwrap_or_default()
    };
    let key = cx
        .migrated
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(&tr.table))
        .map(|t| key_of(t))
        .unwrap_or_default();
    let target = Target {
        name: &tr.table,
        is_view,
        key: &key,
    };
    translate_trigger(&tr.sql, &cx.catalog, &target)
}

fn accept(cx: &mut Rewrite, names: &mut Names, tr: &sqlite::Trigger, t: TranslatedTrigger) {
    let Some(rel) = cx.catalog.relations.get(&tr.table.to_ascii_lowercase()) else {
        return keep_as_comment(cx, tr, "its table is not migrated");
    };
    let table = rel.pg_name.clone();
    let name = cx
        .src
        .namer
        .name(&tr.name, &mut names.triggers, "trigger", &mut cx.diags);
    let base = format!("{name}_fn");
    let base = ident::shorten(&base).unwrap_or(base);
    let function = claim(
        base,
        &mut names.functions,
        "function",
        &tr.name,
        &mut cx.diags,
    );
    cx.extensions.extend(t.extensions.iter().cloned());
    cx.out.triggers.push(pg::Trigger {
        name,
        source_name: tr.name.clone(),
        function,
        table,
        timing: t.timing.to_string(),
        event: t.event.to_string(),
        update_of: t.update_of,
        body: t.body,
        notes: t.notes,
        source_sql: tr.sql.clone(),
        app_functions: cx.src.pack.functions.describe(&t.app_functions),
    });
}

fn keep_as_comment(cx: &mut Rewrite, tr: &sqlite::Trigger, reason: &str) {
    cx.diags.push(
        Diagnostic::warning(
            Stage::Rewrite,
            "trigger-kept-as-comment",
            format!(
                "trigger `{}` on `{}` is not translated: {reason}; its SQLite definition is \
                 kept as a comment in 03_constraints.sql",
                tr.name, tr.table
            ),
        )
        .on(tr.name.clone())
        .with_help(
            undeclared_help(reason)
                .unwrap_or_else(|| "recreate it as a PL/pgSQL trigger function by hand".into()),
        ),
    );
    cx.out.kept_as_comment.push(pg::Commented {
        kind: "trigger".into(),
        name: tr.name.clone(),
        code: "trigger-kept-as-comment".into(),
        reason: reason.to_string(),
        sql: tr.sql.clone(),
    });
}

fn drop_fts_trigger(cx: &mut Rewrite, tr: &sqlite::Trigger, reason: String) {
    cx.diags.push(
        Diagnostic::note(
            Stage::Rewrite,
            "fts-trigger-dropped",
            format!(
                "trigger `{}` on `{}` is not migrated: {reason}",
                tr.name, tr.table
            ),
        )
        .on(tr.name.clone()),
    );
    cx.out.skipped.push(pg::Skipped {
        kind: "trigger".into(),
        name: tr.name.clone(),
        reason,
    });
}
