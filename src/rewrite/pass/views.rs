//! Views: each SQLite view's query translated to PostgreSQL
//! ([`crate::translate::query`]), over the migrated tables and the views
//! translated before it. The spatial packages' catalog views are skipped.
//!
//! Reads `schema.views`, `out.tables` and their SQLite names; writes
//! `out.views` in dependency order (a view after every view it reads),
//! view names in `relnames`, `out.kept_as_comment`, `out.skipped` and the
//! `machinery` count. A view that cannot be translated — or reads one
//! that was not — keeps its SQLite text as a comment with
//! `view-kept-as-comment` and the reason.
use super::{Rewrite, expr_context};
use crate::diag::{Diagnostic, Stage};
use crate::ir::{pg, sqlite};
use crate::rewrite::spatial;
use crate::translate::appfn::{expand_sqlite_view, undeclared_help};
use crate::translate::query::{
    Catalog, Relation, TranslatedView, pg_column, sqlite_class_of, translate_view,
};
use crate::translate::{ColumnInfo, Untranslatable};

pub(in crate::rewrite) fn run(cx: &mut Rewrite) {
    let schema = cx.src.schema;
    let mut pending: Vec<&sqlite::View> = Vec::new();
    for v in &schema.views {
        if let Some(reason) = spatial::machinery_view(schema, v) {
            cx.out.skipped.push(pg::Skipped {
                kind: "view".into(),
                name: v.name.clone(),
                reason,
            });
            cx.machinery += 1;
            continue;
        }
        pending.push(v);
    }
    let mut catalog = table_catalog(cx);
    catalog.views = pending
        .iter()
        .map(|v| v.name.to_ascii_lowercase())
        .collect();
    // Rounds until none translates: each round adds the views whose
    // relations are all there, so `out.views` is in dependency order.
    loop {
        let mut failed = Vec::new();
        let before = pending.len();
        for v in pending {
            match translate_one(&catalog, v) {
                Ok(t) => accept(cx, &mut catalog, v, t),
                Err(e) => failed.push((v, e)),
            }
        }
        if failed.len() == before || failed.is_empty() {
            for (v, e) in failed {
                keep_as_comment(cx, v, &e.reason);
            }
            cx.catalog = catalog;
            return;
        }
        pending = failed.into_iter().map(|(v, _)| v).collect();
    }
}

fn translate_one(catalog: &Catalog, v: &sqlite::View) -> Result<TranslatedView, Untranslatable> {
    let names = (!v.columns.is_empty()).then_some(v.columns.as_slice());
    translate_view(&v.sql, catalog, names)
}

/// The migrated tables as relations a view may read.
fn table_catalog(cx: &Rewrite) -> Catalog {
    let mut catalog = Catalog {
        pgcrypto: cx.src.pgcrypto(),
        functions: cx.src.pack.functions.clone(),
        ..Catalog::default()
    };
    for t in &cx.src.schema.tables {
        let what = match &t.kind {
            sqlite::TableKind::Virtual { module, .. } => {
                let module = module.to_ascii_lowercase();
                if module.starts_with("fts") {
                    format!("an {module} virtual table (a full-text index)")
                } else {
                    format!("a `{module}` virtual table")
                }
            }
            sqlite::TableKind::Internal { .. } => "an internal or shadow table of SQLite".into(),
            sqlite::TableKind::Ordinary => continue,
        };
        catalog
            .not_migrated
            .insert(t.name.to_ascii_lowercase(), what);
    }
    for (t, pt) in cx.migrated.iter().zip(&cx.out.tables) {
        let ctx = expr_context(pt, None, false);
        let columns = pt
            .columns
            .iter()
            .filter_map(|c| {
                let info = ctx.columns.get(&c.source_name.to_ascii_lowercase())?;
                Some((c.source_name.clone(), info.clone()))
            })
            .collect();
        catalog.relations.insert(
            t.name.to_ascii_lowercase(),
            Relation {
                pg_name: pt.name.clone(),
                columns,
                rowid: t
                    .columns
                    .iter()
                    .find(|c| c.rowid_alias)
                    .map(|c| c.name.clone()),
            },
        );
    }
    catalog
}

fn accept(cx: &mut Rewrite, catalog: &mut Catalog, v: &sqlite::View, t: TranslatedView) {
    let name = cx
        .src
        .namer
        .name(&v.name, &mut cx.relnames, "view", &mut cx.diags);
    let columns = t
        .columns
        .iter()
        .map(|(n, ty)| {
            let info = ColumnInfo {
                pg_name: pg_column(n),
                pg_type: ty.clone(),
                sqlite_class: sqlite_class_of(ty),
                time: None,
            };
            (n.clone(), info)
        })
        .collect();
    let mut depends_on: Vec<String> = t
        .depends_on
        .iter()
        .filter_map(|d| catalog.relations.get(d).map(|r| r.pg_name.clone()))
        .collect();
    depends_on.sort();
    depends_on.dedup();
    catalog.relations.insert(
        v.name.to_ascii_lowercase(),
        Relation {
            pg_name: name.clone(),
            columns,
            rowid: None,
        },
    );
    cx.extensions.extend(t.extensions.iter().cloned());
    let functions = &cx.src.pack.functions;
    // It translated, so it parses: the expansion cannot fail here.
    let sqlite_query = match t.app_functions.is_empty() {
        true => None,
        false => expand_sqlite_view(&v.sql, functions).ok().flatten(),
    };
    cx.out.views.push(pg::View {
        name,
        source_name: v.name.clone(),
        sql: t.sql,
        columns: t.columns.into_iter().map(|(n, _)| n).collect(),
        depends_on,
        notes: t.notes,
        source_sql: v.sql.clone(),
        app_functions: functions.describe(&t.app_functions),
        sqlite_query,
    });
}

fn keep_as_comment(cx: &mut Rewrite, v: &sqlite::View, reason: &str) {
    cx.diags.push(
        Diagnostic::warning(
            Stage::Rewrite,
            "view-kept-as-comment",
            format!(
                "view `{}` is not translated: {reason}; its SQLite definition is kept as a \
                 comment in 03_constraints.sql",
                v.name
            ),
        )
        .on(v.name.clone())
        .with_help(
            undeclared_help(reason)
                .unwrap_or_else(|| "recreate the view by hand in PostgreSQL SQL".into()),
        ),
    );
    cx.out.kept_as_comment.push(pg::Commented {
        kind: "view".into(),
        name: v.name.clone(),
        code: "view-kept-as-comment".into(),
        reason: reason.to_string(),
        sql: v.sql.clone(),
    });
}
