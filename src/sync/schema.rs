//! sync's schema-change hook (`sync --apply-schema-changes additive`).
//!
//! Reads: the live source's schema (compiled through the rules the sync
//! was given, as migrate compiled it), the columns capture recorded for each
//! captured table, and the target's catalog. Writes: the diff for review
//! (`up.sql`, `DIFF_REVIEW.md`, `down.sql` where written) into the review
//! directory; when the change is additive, the target (the diff's
//! statements and the run's recorded plan, in one transaction), capture
//! (installed again, so its triggers and recorded columns are the new
//! ones), and the changed tables' rows.
//!
//! The old side of the diff is the new side with what capture did not
//! record taken out: in each captured table the columns added since, with
//! the keys, CHECKs, indexes and foreign keys that name them, and every
//! table that is not in the target yet. A change is additive when every
//! statement of the diff only creates or adds (`CREATE TABLE`, `CREATE
//! INDEX`, `ALTER TABLE … ADD`, `… VALIDATE CONSTRAINT`) and carries no
//! hazard, no captured column was dropped or renamed, no captured table
//! dropped, every kept column still converts as migrate loaded it, and every
//! new table can be captured. So a nullable column, a column with a constant
//! default, and a new table with its keys and indexes are additive; a NOT
//! NULL column without a default, a per-row default (a rewrite), an index on
//! an existing table (`index-build`) are not.
//!
//! A changed table's log may miss changes (a 12-step rebuild drops capture's
//! triggers until they are installed again), so after capture is installed
//! again each changed or new table is read whole in one snapshot and
//! applied with the log up to it: PostgreSQL holds exactly SQLite's rows
//! there. Then verify checks those tables at that same snapshot.
use super::{Ready, SyncOptions, SyncReport, err, pg, sqlite};
use crate::diag::{Diagnostic, Stage};
use crate::diff::{self, render};
use crate::ir::pg as pgir;
use crate::load::Connector;
use crate::load::plan::{CatalogColumn, read_catalog};
use crate::rewrite::RulePack;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What `--apply-schema-changes additive` needs: the rules and options
/// migrate compiled with, and where the diff goes.
#[derive(Debug, Clone)]
pub struct Additive {
    pub pack: RulePack,
    pub compile: crate::CompileOptions,
    /// The diff of each schema change is written here for review.
    pub review_dir: PathBuf,
}

/// What capture recorded: each captured table's columns.
type RecordedColumns = BTreeMap<String, Vec<String>>;

/// The live source's schema compiled as migrate compiled it (for the
/// target's server and schema `ns`).
fn compile_live(
    source: &Path,
    client: &mut postgres::Client,
    ns: &str,
    opts: &SyncOptions,
    add: &Additive,
) -> Result<(crate::Compiled, u32), Box<Diagnostic>> {
    let (major, _, exts) = crate::load::read_server(client).map_err(pg("reading the server"))?;
    let mut copts = add.compile.clone();
    copts.rewrite.target = crate::rewrite::Target::new(major, &exts);
    copts.rewrite.namespace = Some(ns.to_string());
    copts.emit.bare = true;
    let conn = super::open_source(source, opts)?;
    let tx = conn.unchecked_transaction().map_err(sqlite(source))?;
    let (schema, d) =
        crate::source::live::read_with(&tx, source, &copts.source, &crate::progress::Quiet)
            .map_err(|e| match e {
                crate::diag::Error::Diagnostic(d) => d,
                other => err("source-unreadable", other.to_string()),
            })?;
    let compiled = crate::compile_schema(schema, d, &add.pack, &copts).map_err(|e| match e {
        crate::diag::Error::Diagnostic(d) => d,
        other => err("compile-failed", other.to_string()),
    })?;
    Ok((compiled, major))
}

/// Whether `text` names `column` as an identifier (bare or quoted).
fn mentions(text: &str, column: &str) -> bool {
    let quoted = crate::ident::quote_ident(column);
    if quoted != column {
        return text.contains(&quoted);
    }
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .any(|w| w == column)
}

/// The old side: `new` without the tables the target lacks and without
/// the columns capture did not record (and what names them). Adds to
/// `refused` what makes the change more than additive.
fn old_side(
    new: &pgir::Schema,
    recorded: &RecordedColumns,
    catalog: &BTreeMap<String, Vec<CatalogColumn>>,
    refused: &mut Vec<String>,
) -> pgir::Schema {
    let mut old = new.clone();
    let mut gone_tables: BTreeSet<String> = BTreeSet::new();
    let mut gone_columns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in &new.tables {
        let Some(cols) = recorded.get(&t.source_name) else {
            if !catalog.contains_key(&t.name) {
                gone_tables.insert(t.name.clone());
            }
            continue;
        };
        let live: Vec<&str> = t.columns.iter().map(|c| c.source_name.as_str()).collect();
        for c in cols.iter().filter(|c| !live.contains(&c.as_str())) {
            refused.push(format!(
                "column {}.{} was dropped or renamed",
                crate::ident::escape_text(&t.source_name),
                crate::ident::escape_text(c)
            ));
        }
        let added: Vec<String> = t
            .columns
            .iter()
            .filter(|c| !cols.contains(&c.source_name))
            .map(|c| c.name.clone())
            .collect();
        if !added.is_empty() {
            gone_columns.insert(t.name.clone(), added);
        }
    }
    for t in recorded.keys() {
        if !new.tables.iter().any(|p| &p.source_name == t) {
            refused.push(format!(
                "captured table {} is gone from the source",
                crate::ident::escape_text(t)
            ));
        }
    }
    // Columns the target has and the source no longer: the diff drops
    // them (data-loss), so the review shows it.
    for t in &mut old.tables {
        let Some(cat) = catalog.get(&t.name) else {
            continue;
        };
        let Some(like) = t.columns.first().cloned() else {
            continue;
        };
        for cc in cat.iter().filter(|cc| !cc.generated) {
            if !t.columns.iter().any(|c| c.name == cc.name) {
                t.columns.push(pgir::Column {
                    name: cc.name.clone(),
                    source_name: cc.name.clone(),
                    pg_type: cc.pg_type.clone(),
                    not_null: cc.not_null,
                    default: None,
                    identity: false,
                    sequence: None,
                    generated: None,
                    collation: None,
                    decisions: Vec::new(),
                    ..like.clone()
                });
            }
        }
    }
    old.tables.retain(|t| !gone_tables.contains(&t.name));
    old.indexes.retain(|i| !gone_tables.contains(&i.table));
    old.foreign_keys
        .retain(|f| !gone_tables.contains(&f.table) && !gone_tables.contains(&f.ref_table));
    for (table, cols) in &gone_columns {
        let names = |c: &String| cols.contains(c);
        let Some(t) = old.tables.iter_mut().find(|t| &t.name == table) else {
            continue;
        };
        t.columns.retain(|c| !names(&c.name));
        if t.primary_key
            .as_ref()
            .is_some_and(|k| k.columns.iter().any(names))
        {
            t.primary_key = None;
        }
        t.uniques.retain(|k| !k.columns.iter().any(names));
        t.checks
            .retain(|k| !cols.iter().any(|c| mentions(&k.expr, c)));
        old.indexes.retain(|i| {
            &i.table != table
                || !cols.iter().any(|c| {
                    i.elements.iter().any(|e| mentions(e, c))
                        || i.where_clause.as_deref().is_some_and(|w| mentions(w, c))
                })
        });
        old.foreign_keys.retain(|f| {
            !(&f.table == table && f.columns.iter().any(names)
                || &f.ref_table == table && f.ref_columns.iter().any(names))
        });
    }
    old
}

/// The unquoted words of `sql`, a quoted identifier or literal as one `_`.
fn words(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for ch in sql.chars() {
        match quote {
            Some(q) if ch == q => quote = None,
            Some(_) => {}
            None if ch == '"' || ch == '\'' => {
                quote = Some(ch);
                cur.push('_');
            }
            None if ch.is_whitespace() || ch == '(' || ch == ';' || ch == ',' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur).to_uppercase());
                }
            }
            None => cur.push(ch),
        }
    }
    if !cur.is_empty() {
        out.push(cur.to_uppercase());
    }
    out
}

/// Whether a diff statement only creates or adds.
fn adds_only(sql: &str) -> bool {
    let w = words(sql);
    let at = |i: usize| w.get(i).map_or("", String::as_str);
    match (at(0), at(1)) {
        ("CREATE", "TABLE" | "INDEX" | "UNIQUE" | "EXTENSION") => true,
        ("ALTER", "TABLE") => matches!(at(3), "ADD" | "VALIDATE"),
        _ => false,
    }
}

/// Kept columns that no longer convert as migrate loaded them.
fn changed_converters(
    new: &pgir::Schema,
    recorded_plan: &[crate::load::verify_plan::PlannedTable],
) -> Vec<String> {
    let mut out = Vec::new();
    for p in recorded_plan {
        let Some(t) = new.tables.iter().find(|t| t.name == p.table.name) else {
            continue;
        };
        for v in &p.table.columns {
            let Some(c) = t.columns.iter().find(|c| c.name == v.name) else {
                continue;
            };
            if c.generated.is_none() && c.converter != v.converter {
                out.push(format!(
                    "column {}.{} now converts with {}, migrate loaded it with {}",
                    crate::ident::escape_text(&t.name),
                    crate::ident::escape_text(&c.name),
                    c.converter.name(),
                    v.converter.name()
                ));
            }
        }
    }
    out
}

/// The diff between what the target has and the live source.
struct Change {
    new: crate::Compiled,
    old: pgir::Schema,
    target_version: u32,
    up: diff::Plan,
    /// Why it is not additive (empty: it is).
    refused: Vec<String>,
    /// Captured or new tables (SQLite names) to read whole once applied.
    reload: BTreeSet<String>,
    capture: crate::capture::Plan,
}

fn compute(
    source: &Path,
    client: &mut postgres::Client,
    ns: &str,
    opts: &SyncOptions,
    add: &Additive,
    recorded: &RecordedColumns,
) -> Result<Change, Box<Diagnostic>> {
    let (new, target_version) = compile_live(source, client, ns, opts, add)?;
    let catalog = read_catalog(client, ns).map_err(pg("reading the target's catalog"))?;
    let mut refused: Vec<String> = new
        .diagnostics
        .0
        .iter()
        .filter(|d| d.severity == crate::diag::Severity::Error)
        .map(|d| format!("the source does not compile: {}", d.message))
        .collect();
    let old = old_side(&new.pg, recorded, &catalog, &mut refused);
    if let Ok((plan, _)) = crate::verify::recorded_plan(client, ns)? {
        refused.extend(changed_converters(&new.pg, &plan));
    }
    let o = diff::DiffOptions {
        not_null_constraints: target_version >= 18,
        ..Default::default()
    };
    refused.extend(
        diff::unsupported(&old, &new.pg)
            .into_iter()
            .map(|u| format!("{} ({})", u.message, u.code)),
    );
    let up = diff::plan(&old, &new.pg, &o);
    for s in &up.statements {
        let label = crate::emit::statements::label(&s.sql);
        for h in &s.hazards {
            refused.push(format!("{label}: {} ({})", h.code, h.message));
        }
        if s.hazards.is_empty() && !adds_only(&s.sql) {
            refused.push(format!("{label}: not an addition"));
        }
    }
    let capture = crate::capture::plan(&new.sqlite, &new.pg);
    refused.extend(capture.refused.iter().map(|(t, why)| {
        format!(
            "table {} cannot be captured: {why}",
            crate::ident::escape_text(t)
        )
    }));
    let mut reload: BTreeSet<String> = recorded
        .iter()
        .filter(|(t, cols)| {
            new.sqlite
                .tables
                .iter()
                .find(|s| &&s.name == t)
                .is_some_and(|s| s.columns.iter().map(|c| &c.name).ne(cols.iter()))
        })
        .map(|(t, _)| t.clone())
        .collect();
    // A table that lost capture's triggers missed changes, whatever else.
    let present = super::triggers(&super::open_source(source, opts)?).map_err(sqlite(source))?;
    reload.extend(
        recorded
            .keys()
            .filter(|t| {
                crate::capture::TRIGGER_KINDS
                    .iter()
                    .any(|k| !present.contains(&crate::capture::trigger_name(k, t)))
            })
            .cloned(),
    );
    reload.extend(
        new.pg
            .tables
            .iter()
            .filter(|t| !recorded.contains_key(&t.source_name))
            .map(|t| t.source_name.clone()),
    );
    Ok(Change {
        new,
        old,
        target_version,
        up,
        refused,
        reload,
        capture,
    })
}

/// Writes the diff for review; returns the directory.
fn write_review(change: &Change, add: &Additive, ns: &str) -> Result<PathBuf, Box<Diagnostic>> {
    let back = diff::DiffOptions {
        not_null_constraints: change.target_version >= 18,
        ..Default::default()
    };
    let down = change
        .up
        .reversible()
        .then(|| diff::plan(&change.new.pg, &change.old, &back));
    let ro = render::RenderOptions {
        target_version: change.target_version,
        namespace: Some(ns.to_string()),
        bare: false,
        emit: crate::EmitOptions::default(),
    };
    let files = render::plain_files(
        &change.up,
        down.as_ref(),
        "the target",
        "the live source",
        &[],
        &ro,
    )?;
    crate::emit::write_files(&add.review_dir, &files).map_err(|e| {
        Box::new(
            Diagnostic::error(
                Stage::Emit,
                "output-unwritable",
                format!(
                    "cannot write the schema diff to {}: {e}",
                    add.review_dir.display()
                ),
            )
            .with_help("give --schema-diff-dir a directory sync may write"),
        )
    })?;
    Ok(add.review_dir.clone())
}

/// Applies the diff and records the new plan, in one transaction.
fn apply_to_target(
    client: &mut postgres::Client,
    ns: &str,
    change: &Change,
) -> Result<(), Box<Diagnostic>> {
    let mut sql = format!(
        "BEGIN;\nSET LOCAL standard_conforming_strings = on;\nSET LOCAL search_path TO {};\n",
        crate::ident::quote_ident(ns)
    );
    for s in &change.up.statements {
        sql.push_str(&s.sql);
        sql.push('\n');
    }
    let failed = |e: postgres::Error| {
        Box::new(
            Diagnostic::error(
                Stage::Load,
                "sync-schema-apply-failed",
                format!(
                    "applying the schema change to schema {ns} failed, nothing of it was applied: {}",
                    crate::load::pg_error_text(&e)
                ),
            )
            .with_help("the diff is in the review directory: apply it yourself, then `pgbridge capture install` and sync again"),
        )
    };
    let run = |client: &mut postgres::Client| -> Result<(), Box<Diagnostic>> {
        client.batch_execute(&sql).map_err(failed)?;
        let catalog = read_catalog(client, ns).map_err(failed)?;
        let plans = crate::load::plan::plan_created(&change.new.sqlite, &change.new.pg, &catalog)
            .map_err(|d| {
            err(
                "sync-schema-apply-failed",
                format!(
                    "after the schema change, the target does not take the source's columns: {}",
                    d.0.first().map_or(String::new(), |d| d.message.clone())
                ),
            )
        })?;
        let mut planned = crate::load::verify_plan::for_created(&plans, &change.new.pg);
        // Columns migrate loaded keep the converters it loaded them with.
        if let Ok((before, _)) = crate::verify::recorded_plan(client, ns)? {
            for p in &mut planned {
                let Some(b) = before.iter().find(|b| b.table.name == p.table.name) else {
                    continue;
                };
                for c in &mut p.table.columns {
                    if let Some(k) = b.table.columns.iter().find(|k| k.name == c.name) {
                        *c = k.clone();
                    }
                }
            }
        }
        let json = serde_json::to_string(&planned).unwrap_or_else(|_| "null".into());
        client
            .execute(
                "UPDATE pgbridge.runs SET verify_plan = $1::text::jsonb WHERE plan = \
                 (SELECT plan FROM pgbridge.runs WHERE target_schema = $2 AND status = 'complete' \
                  ORDER BY finished_at DESC LIMIT 1)",
                &[&json, &ns],
            )
            .map_err(failed)?;
        client.batch_execute("COMMIT").map_err(failed)
    };
    run(client).inspect_err(|_| {
        let _ = client.batch_execute("ROLLBACK");
    })
}

/// A schema change that is not additive: sync stays stopped.
fn refused(source: &Path, changes: &[String], why: &[String], dir: &Path) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error(
            Stage::Source,
            "sync-schema-not-additive",
            format!(
                "the source's schema changed while syncing ({}) and the change is not additive: {}",
                changes.join("; "),
                why.join("; ")
            ),
        )
        .with_help(format!(
            "sync stopped before applying anything past the change; review {} (up.sql, DIFF_REVIEW.md), apply it to the target, then `pgbridge capture install {}` and `pgbridge verify` before syncing again",
            dir.display(),
            source.display()
        )),
    )
}

/// The hook (see the module docs): applies an additive change and returns
/// sync ready again, the changed tables reloaded and verified; anything
/// else is an error, the diff written for review.
#[allow(clippy::too_many_arguments)]
pub(super) fn follow(
    source: &Path,
    connect: Connector<'_>,
    opts: &SyncOptions,
    add: &Additive,
    client: &mut postgres::Client,
    ns: &str,
    recorded: &RecordedColumns,
    changes: &[String],
) -> Result<Ready, Box<Diagnostic>> {
    let change = compute(source, client, ns, opts, add, recorded)?;
    let dir = write_review(&change, add, ns)?;
    if !change.refused.is_empty() {
        let _ = super::state::event(
            client,
            ns,
            "schema-change-refused",
            serde_json::json!({"changes": changes, "why": change.refused, "diff": dir.display().to_string()}),
        );
        return Err(refused(source, changes, &change.refused, &dir));
    }
    apply_to_target(client, ns, &change)?;
    crate::capture::install(source, &change.capture).map_err(|e| match e {
        crate::diag::Error::Diagnostic(d) => d,
        other => err("capture-failed", other.to_string()),
    })?;
    let mut r = super::prepare(source, connect, opts)?;
    reload(source, connect, opts, add, &mut r, &change.reload)?;
    let _ = super::state::event(
        &mut r.client,
        &r.namespace,
        "schema-applied",
        serde_json::json!({
            "changes": changes,
            "statements": change.up.statements.iter().map(|s| s.sql.clone()).collect::<Vec<_>>(),
            "reloaded": change.reload,
            "position": r.position,
            "diff": dir.display().to_string(),
        }),
    );
    Ok(r)
}

/// Reads the tables of `reload` whole with the log, in one snapshot,
/// applies that, and verifies those tables at that snapshot.
fn reload(
    source: &Path,
    connect: Connector<'_>,
    opts: &SyncOptions,
    add: &Additive,
    r: &mut Ready,
    reload: &BTreeSet<String>,
) -> Result<(), Box<Diagnostic>> {
    let whole: BTreeSet<usize> = r
        .tables
        .iter()
        .enumerate()
        .filter(|(_, t)| reload.contains(&t.source))
        .map(|(i, _)| i)
        .collect();
    let snap = super::open_source(source, opts)?;
    let tx = snap.unchecked_transaction().map_err(sqlite(source))?;
    let mut b = super::apply::read_in(&tx, &r.tables, r.position)?
        .unwrap_or_else(|| super::apply::Batch::empty(r.position));
    for &t in &whole {
        b.refresh(&tx, &r.tables, t)?;
    }
    super::apply_batch(r, &b, &mut SyncReport::default(), &mut Vec::new())?;
    let vopts = crate::verify::VerifyOptions {
        compile: crate::CompileOptions {
            rewrite: crate::RewriteOptions {
                namespace: Some(r.namespace.clone()),
                ..add.compile.rewrite.clone()
            },
            ..add.compile.clone()
        },
        rejects: None,
        replan: false,
        hash_in_server: false,
    };
    let mut diags = crate::diag::Diagnostics::default();
    let verified = crate::verify::verify_in(
        &tx,
        source,
        connect,
        &add.pack,
        &vopts,
        &crate::progress::Quiet,
        &mut diags,
    )?;
    let targets: BTreeSet<&str> = whole.iter().map(|&i| r.tables[i].target.as_str()).collect();
    let bad: Vec<String> = verified
        .tables
        .iter()
        .filter(|t| targets.contains(t.table.as_str()) && !t.matches())
        .map(|t| t.named_difference())
        .collect();
    if !bad.is_empty() {
        return Err(Box::new(
            Diagnostic::error(
                Stage::Load,
                "sync-schema-verify-failed",
                format!(
                    "after the schema change was applied, PostgreSQL differs from SQLite in: {}",
                    bad.join(", ")
                ),
            )
            .with_help(format!(
                "`pgbridge verify {}` shows the rows; sync again to re-read them",
                source.display()
            )),
        ));
    }
    Ok(())
}
