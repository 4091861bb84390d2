//! sync's schema-change hook (`sync --apply-schema-changes additive`).
//!
//! Reads: the live source's schema (compiled through the rules the sync
//! was given, as migrate compiled it), the schema the target records (the
//! old side, [`old_side`]), the columns capture recorded for each captured
//! table, and the target's catalog. Writes: the diff for review (`up.sql`,
//! `DIFF_REVIEW.md`, `down.sql` where written) into the review directory;
//! when the change is additive, the target (the diff's statements, the
//! run's recorded plan and schema, and the source schema's hash, in one
//! transaction), capture (installed again, so its triggers and recorded
//! columns are the new ones), and the changed tables' rows.
//!
//! A change is additive when no statement of the diff carries a hazard
//! but `index-build` (sync's target is not serving yet: the only writer an
//! index build holds up is sync itself), no captured column or table is
//! gone, every kept column still converts as migrate loaded it, and every
//! new table can be captured. So a nullable column, a column with a
//! constant default, a new table with its keys and indexes, a new index, a
//! dropped NOT NULL, a new or dropped default and a dropped CHECK are
//! additive; a NOT NULL column without a default or a SET NOT NULL
//! (`not-null-on-existing-rows`), a per-row default or a type change (a
//! rewrite), a new key on an existing table, a drop that loses data are
//! not.
//!
//! Since the old side is what the target holds, a crash after the
//! target's transaction and before capture is installed again leaves an
//! empty diff: the rerun installs capture, carries the tables and verifies.
//!
//! A changed table's log may miss changes (a 12-step rebuild drops capture's
//! triggers until they are installed again), so after capture is installed
//! again each changed or new table is read whole in one snapshot and
//! applied with the log up to it: PostgreSQL holds exactly SQLite's rows
//! there. Then verify checks those tables at that same snapshot.
mod detect;
mod old_side;

use super::{Ready, SyncOptions, SyncReport, err, pg, sqlite};
use crate::diag::{Diagnostic, Stage};
use crate::diff::{self, render};
use crate::ir::pg as pgir;
use crate::load::Connector;
use crate::load::plan::read_catalog;
use crate::load::schema_record::{self, SchemaRecord};
use crate::rewrite::RulePack;
pub(super) use detect::declared_changes;
use old_side::RecordedColumns;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The rules and options migrate compiled with (`--rules`, `--naming`,
/// `--schema`): sync compiles the live source with them.
#[derive(Debug, Clone)]
pub struct Rules {
    pub pack: RulePack,
    pub compile: crate::CompileOptions,
}

/// What `--apply-schema-changes additive` needs besides the rules: where
/// the diff goes.
#[derive(Debug, Clone)]
pub struct Additive {
    /// The diff of each schema change is written here for review.
    pub review_dir: PathBuf,
}

/// Hazards an additive change may carry (see the module docs).
const ALLOWED_HAZARDS: &[&str] = &["index-build"];

/// The live source compiled, and the hash of the schema it was read from.
struct Live {
    compiled: crate::Compiled,
    /// The target's server major version.
    major: u32,
    hash: String,
}

/// The live source's schema compiled as migrate compiled it (for the
/// target's server and schema `ns`); `profile`: with the data profile.
fn compile_live(
    source: &Path,
    client: &mut postgres::Client,
    ns: &str,
    opts: &SyncOptions,
    rules: &Rules,
    profile: bool,
) -> Result<Live, Box<Diagnostic>> {
    let (major, _, exts) = crate::load::read_server(client).map_err(pg("reading the server"))?;
    let mut copts = rules.compile.clone();
    copts.rewrite.target = crate::rewrite::Target::new(major, &exts);
    copts.rewrite.namespace = Some(ns.to_string());
    copts.emit.bare = true;
    copts.source.profile = copts.source.profile && profile;
    let conn = super::open_source(source, opts)?;
    let tx = conn.unchecked_transaction().map_err(sqlite(source))?;
    let hash = detect::source_hash(&tx).map_err(sqlite(source))?;
    let (schema, d) =
        crate::source::live::read_with(&tx, source, &copts.source, &crate::progress::Quiet)
            .map_err(|e| match e {
                crate::diag::Error::Diagnostic(d) => d,
                other => err("source-unreadable", other.to_string()),
            })?;
    let compiled = crate::compile_schema(schema, d, &rules.pack, &copts).map_err(|e| match e {
        crate::diag::Error::Diagnostic(d) => d,
        other => err("compile-failed", other.to_string()),
    })?;
    Ok(Live {
        compiled,
        major,
        hash,
    })
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

/// The diff's statements that make it more than additive: a hazard not
/// allowed.
fn statement_refusals(up: &diff::Plan) -> Vec<String> {
    up.hazards()
        .filter(|(_, h)| !ALLOWED_HAZARDS.contains(&h.code))
        .map(|(s, h)| {
            format!(
                "{}: {} ({})",
                crate::emit::statements::label(&s.sql),
                h.code,
                h.message
            )
        })
        .collect()
}

/// Everything that makes the change more than additive (see the module
/// docs); empty: it is additive.
fn refusals(
    client: &mut postgres::Client,
    ns: &str,
    change: &Change,
    recorded: &RecordedColumns,
) -> Result<Vec<String>, Box<Diagnostic>> {
    let new = &change.live.compiled;
    let mut out = detect::compile_errors(new);
    out.extend(old_side::capture_losses(&new.pg, recorded));
    if let Ok((plan, _)) = crate::verify::recorded_plan(client, ns)? {
        out.extend(changed_converters(&new.pg, &plan));
    }
    out.extend(
        diff::unsupported(&change.old, &new.pg)
            .into_iter()
            .map(|u| format!("{} ({})", u.message, u.code)),
    );
    out.extend(statement_refusals(&change.up));
    out.extend(change.capture.refused.iter().map(|(t, why)| {
        format!(
            "table {} cannot be captured: {why}",
            crate::ident::escape_text(t)
        )
    }));
    Ok(out)
}

/// The captured tables whose columns changed or that lost capture's
/// triggers (their log may miss changes), and the new tables: each is
/// read whole once the change is applied.
fn reload_set(
    source: &Path,
    opts: &SyncOptions,
    new: &crate::Compiled,
    recorded: &RecordedColumns,
) -> Result<BTreeSet<String>, Box<Diagnostic>> {
    let present = super::triggers(&super::open_source(source, opts)?).map_err(sqlite(source))?;
    let changed = |t: &str, cols: &[String]| {
        new.sqlite
            .tables
            .iter()
            .find(|s| s.name == t)
            .is_some_and(|s| s.columns.iter().map(|c| &c.name).ne(cols.iter()))
    };
    let untriggered = |t: &str| {
        crate::capture::TRIGGER_KINDS
            .iter()
            .any(|k| !present.contains(&crate::capture::trigger_name(k, t)))
    };
    let mut out: BTreeSet<String> = recorded
        .iter()
        .filter(|(t, cols)| changed(t, cols) || untriggered(t))
        .map(|(t, _)| t.clone())
        .collect();
    out.extend(
        new.pg
            .tables
            .iter()
            .filter(|t| !recorded.contains_key(&t.source_name))
            .map(|t| t.source_name.clone()),
    );
    Ok(out)
}

/// The diff between what the target has and the live source.
struct Change {
    live: Live,
    old: pgir::Schema,
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
    rules: &Rules,
    recorded: &RecordedColumns,
) -> Result<Change, Box<Diagnostic>> {
    let mut live = compile_live(source, client, ns, opts, rules, true)?;
    let record = schema_record::read(client, ns).map_err(pg("reading the target's schema"))?;
    let catalog = read_catalog(client, ns).map_err(pg("reading the target's catalog"))?;
    let old = old_side::old_side(record, &mut live.compiled, recorded, &catalog);
    let o = diff::DiffOptions {
        not_null_constraints: live.major >= 18,
        ..Default::default()
    };
    let up = diff::plan(&old, &live.compiled.pg, &o);
    let capture = crate::capture::plan(&live.compiled.sqlite, &live.compiled.pg);
    let reload = reload_set(source, opts, &live.compiled, recorded)?;
    let mut change = Change {
        live,
        old,
        up,
        refused: Vec::new(),
        reload,
        capture,
    };
    change.refused = refusals(client, ns, &change, recorded)?;
    Ok(change)
}

/// Writes the diff for review; returns the directory.
fn write_review(change: &Change, add: &Additive, ns: &str) -> Result<PathBuf, Box<Diagnostic>> {
    let back = diff::DiffOptions {
        not_null_constraints: change.live.major >= 18,
        ..Default::default()
    };
    let down = change
        .up
        .reversible()
        .then(|| diff::plan(&change.live.compiled.pg, &change.old, &back));
    let ro = render::RenderOptions {
        target_version: change.live.major,
        namespace: Some(ns.to_string()),
        extensions: change.live.compiled.pg.extensions.clone(),
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

/// Applies the diff and records the new plan, schema and source schema
/// hash, in one transaction.
fn apply_to_target(
    client: &mut postgres::Client,
    ns: &str,
    change: &Change,
) -> Result<(), Box<Diagnostic>> {
    let mut sql = format!(
        "BEGIN;\nSET LOCAL standard_conforming_strings = on;\nSET LOCAL search_path TO {};\n{}\n",
        crate::ident::quote_ident(ns),
        crate::emit::extension_path_sql(&change.live.compiled.pg.extensions, true)
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
    let new = &change.live.compiled;
    let run = |client: &mut postgres::Client| -> Result<(), Box<Diagnostic>> {
        client.batch_execute(&sql).map_err(failed)?;
        let catalog = read_catalog(client, ns).map_err(failed)?;
        let plans = crate::load::plan::plan_created(&new.sqlite, &new.pg, &catalog)
            .map_err(|d| {
            err(
                "sync-schema-apply-failed",
                format!(
                    "after the schema change, the target does not take the source's columns: {}",
                    d.0.first().map_or(String::new(), |d| d.message.clone())
                ),
            )
        })?;
        let mut planned = crate::load::verify_plan::for_created(&plans, &new.pg);
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
        schema_record::write(client, ns, &SchemaRecord::of(&new.sqlite, &new.pg))
            .map_err(failed)?;
        super::state::set_source_schema(client, ns, &change.live.hash).map_err(failed)?;
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
    let Some(rules) = &opts.rules else {
        return Err(err(
            "sync-no-rules",
            "--apply-schema-changes needs the rules migrate compiled with",
        ));
    };
    let change = compute(source, client, ns, opts, rules, recorded)?;
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
    super::failpoint("schema-before-capture");
    crate::capture::install(source, &change.capture).map_err(|e| match e {
        crate::diag::Error::Diagnostic(d) => d,
        other => err("capture-failed", other.to_string()),
    })?;
    let mut r = super::prepare(source, connect, opts)?;
    reload(source, connect, opts, rules, &mut r, &change.reload)?;
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
    rules: &Rules,
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
                ..rules.compile.rewrite.clone()
            },
            ..rules.compile.clone()
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
        &rules.pack,
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
