//! Executable rule examples and fixture snapshots, for us and for rule
//! authors (`pgbridge rules test DIR`).
//!
//! Input: a [`RulePack`] and, for fixtures, a pack directory holding
//! `tests/*.sql` (SQLite DDL plus optional INSERTs). Each example or
//! fixture is run in a fresh temporary SQLite database, so the data
//! profile sees its rows, then compiled with the pack. Output: one
//! [`Outcome`] per example/fixture — an example passes when its rule fired
//! (or, for `fires: false`, did not) and every `postgres` fragment appears
//! in the compiled SQL; a fixture passes when its rendering equals the
//! stored `tests/<name>.expected.sql` (a unified diff otherwise).
use crate::diag::Diagnostics;
use crate::ir::pg;
use crate::rewrite::{RewriteOptions, RulePack, Target};
use crate::source::SourceOptions;
use crate::{CompileOptions, Compiled};
use std::collections::BTreeSet;
use std::path::Path;

/// The result of one example or fixture.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `rule-id example 2` or `tests/name.sql`.
    pub name: String,
    pub passed: bool,
    /// Why it failed (or a diff).
    pub detail: String,
}

impl Outcome {
    fn fail(name: String, detail: impl Into<String>) -> Outcome {
        Outcome {
            name,
            passed: false,
            detail: detail.into(),
        }
    }
}

/// Compile SQLite SQL text by running it in a temporary database file.
///
/// The text comes from a rule pack, which is configuration: it may create
/// and fill tables in that one file and nothing else. No database can be
/// attached (which also refuses `VACUUM` and `VACUUM INTO`, both attach a
/// file), the connection is in SQLite's defensive mode (no writes to the
/// schema table or shadow tables), and extensions cannot be loaded (never
/// enabled).
pub fn compile_sql(sql: &str, pack: &RulePack, target: Target) -> Result<Compiled, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let path = dir.path().join("example.db");
    {
        let conn = rusqlite::Connection::open(&path).map_err(|e| format!("sqlite: {e}"))?;
        confine(&conn).map_err(|e| format!("sqlite: {e}"))?;
        conn.execute_batch(sql)
            .map_err(|e| format!("the example's SQLite SQL fails in SQLite: {e}"))?;
    }
    let opts = CompileOptions {
        source: SourceOptions {
            profile: true,
            ..Default::default()
        },
        rewrite: RewriteOptions {
            target,
            ..Default::default()
        },
        ..Default::default()
    };
    let mut c = crate::compile(&path, pack, &opts).map_err(|e| e.to_string())?;
    c.sqlite.origin = "example.db".into();
    Ok(c)
}

/// Limits a connection to the database it opened: see [`compile_sql`].
fn confine(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    use rusqlite::config::DbConfig;
    use rusqlite::limits::Limit;
    conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    Ok(())
}

/// Every rule id that left a trace: decisions, diagnostics, comments.
pub fn fired_rules(pg: &pg::Schema, diags: &Diagnostics) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in &pg.tables {
        out.extend(t.decisions.iter().map(|d| d.rule.clone()));
        for c in &t.columns {
            out.extend(c.decisions.iter().map(|d| d.rule.clone()));
        }
    }
    for i in &pg.indexes {
        out.extend(i.decisions.iter().map(|d| d.rule.clone()));
    }
    out.extend(pg.kept_as_comment.iter().map(|k| k.code.clone()));
    out.extend(diags.iter().map(|d| d.code.clone()));
    out
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The SQL a fixture or example is judged on: 01 then 03, without the
/// header comments.
pub fn rendered(c: &Compiled) -> String {
    let mut out = String::new();
    for f in ["01_schema.sql", "03_constraints.sql"] {
        out.push_str(&format!("-- ==> {f}\n"));
        if let Some(t) = c.set.files.get(f) {
            for line in t.lines().skip_while(|l| l.starts_with("--")) {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    let mut diags: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| {
            format!(
                "-- {}[{}] {}: {}",
                d.severity,
                d.code,
                d.span.object.as_deref().unwrap_or("-"),
                d.message.replace('\n', " ")
            )
        })
        .collect();
    diags.sort();
    if !diags.is_empty() {
        out.push_str("-- ==> diagnostics\n");
        for d in diags {
            out.push_str(&d);
            out.push('\n');
        }
    }
    out
}

/// Run the examples of every rule in `pack` whose origin starts with
/// `origin_prefix` (all rules when None).
pub fn run_examples(pack: &RulePack, origin_prefix: Option<&str>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for rule in &pack.rules {
        if let Some(p) = origin_prefix
            && !rule.origin.starts_with(p)
        {
            continue;
        }
        if rule.examples.is_empty() {
            out.push(Outcome {
                name: format!("{} (no examples)", rule.id),
                passed: false,
                detail: "a rule must carry at least one example".into(),
            });
        }
        for (i, ex) in rule.examples.iter().enumerate() {
            let name = format!("{} example {}", rule.id, i + 1);
            let target = match (&ex.target, &ex.extensions) {
                (None, None) => Target::default(),
                (v, e) => {
                    let ext: Vec<String> = e.clone().unwrap_or_else(|| {
                        crate::rewrite::target::DEFAULT_EXTENSIONS
                            .iter()
                            .map(|s| s.to_string())
                            .collect()
                    });
                    Target::new(v.unwrap_or(18), &ext)
                }
            };
            let c = match compile_sql(&ex.sqlite, pack, target) {
                Ok(c) => c,
                Err(e) => {
                    out.push(Outcome::fail(name, e));
                    continue;
                }
            };
            let fired = fired_rules(&c.pg, &c.diagnostics).contains(&rule.id);
            let text = rendered(&c);
            let mut problems = Vec::new();
            if fired != ex.fires {
                problems.push(if ex.fires {
                    format!("rule `{}` did not fire", rule.id)
                } else {
                    format!("rule `{}` fired but must not", rule.id)
                });
            }
            if let Some(frags) = &ex.postgres {
                let hay = squash(&text);
                for f in frags.items() {
                    if !hay.contains(&squash(&f)) {
                        problems.push(format!("expected `{}` in the output", f.trim()));
                    }
                }
            }
            let passed = problems.is_empty();
            let detail = if passed {
                String::new()
            } else {
                format!("{}\n--- compiled:\n{text}", problems.join("\n"))
            };
            out.push(Outcome {
                name,
                passed,
                detail,
            });
        }
    }
    out
}

/// Run `dir/tests/*.sql` fixtures against `dir/tests/*.expected.sql`;
/// with `update`, (re)write the expectations instead of failing.
pub fn run_fixtures(dir: &Path, pack: &RulePack, update: bool) -> Vec<Outcome> {
    let mut out = Vec::new();
    let tests = dir.join("tests");
    let mut files: Vec<_> = match std::fs::read_dir(&tests) {
        Ok(e) => e
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.extension().and_then(|e| e.to_str()) == Some("sql")
                    && !p.to_string_lossy().ends_with(".expected.sql")
            })
            .collect(),
        Err(_) => return out,
    };
    files.sort();
    for f in files {
        let name = format!(
            "tests/{}",
            f.file_name()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default()
        );
        let sql = match std::fs::read_to_string(&f) {
            Ok(s) => s,
            Err(e) => {
                out.push(Outcome::fail(name, format!("cannot read: {e}")));
                continue;
            }
        };
        let got = match compile_sql(&sql, pack, Target::default()) {
            Ok(c) => rendered(&c),
            Err(e) => {
                out.push(Outcome::fail(name, e));
                continue;
            }
        };
        let exp_path = f.with_extension("expected.sql");
        let want = std::fs::read_to_string(&exp_path).unwrap_or_default();
        if want == got {
            out.push(Outcome {
                name,
                passed: true,
                detail: String::new(),
            });
        } else if update {
            let res = std::fs::write(&exp_path, &got);
            out.push(Outcome {
                name,
                passed: res.is_ok(),
                detail: match res {
                    Ok(_) => "updated".into(),
                    Err(e) => format!("cannot write {}: {e}", exp_path.display()),
                },
            });
        } else {
            let diff = similar::TextDiff::from_lines(&want, &got)
                .unified_diff()
                .context_radius(3)
                .header("expected", "actual")
                .to_string();
            out.push(Outcome {
                name,
                passed: false,
                detail: diff,
            });
        }
    }
    out
}
