//! The text form of an [`Inspection`]: sections with headings, blockers
//! first, columns aligned.
use super::{Example, Inspection};
use crate::diag::Severity;
use crate::ident::escape_text as one;
use std::fmt::Write;

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `rowid 3 = "abc"`, `key (code='ab', n=3) = "abc"`, plus what the
/// loader makes of the value when the problem has an outcome:
/// `→ Infinity` or `→ refused`.
fn examples(ex: &[Example]) -> String {
    ex.iter()
        .map(|e| {
            let mut s = match (e.rowid, &e.key) {
                (Some(r), _) => format!("rowid {r} = {}", e.value),
                (None, Some(key)) => format!(
                    "key ({}) = {}",
                    key.iter()
                        .map(|k| format!("{}={}", k.column, k.literal))
                        .collect::<Vec<_>>()
                        .join(", "),
                    e.value
                ),
                (None, None) => e.value.to_string(),
            };
            if let Some(l) = &e.loads_as {
                let _ = write!(s, " → {l}");
            } else if e.refused.is_some() {
                s.push_str(" → refused");
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Aligned rows: every column padded to its widest cell. A cell is one
/// line: line breaks and control characters in it are written as escapes.
fn table(out: &mut String, rows: &[Vec<String>]) {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| one(c).into_owned()).collect())
        .collect();
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in &rows {
        let mut line = String::from("  ");
        for (i, cell) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(cell);
            } else {
                let pad = widths[i] - cell.chars().count();
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// `  error[code] object: message` on one line, whatever the names hold.
fn diagnostic_line(out: &mut String, d: &crate::diag::Diagnostic) {
    let _ = writeln!(
        out,
        "  {}[{}] {}: {}",
        d.severity,
        one(&d.code),
        one(d.span.object.as_deref().unwrap_or("")),
        one(&d.message)
    );
}

/// Render an inspection for people.
pub fn render_text(i: &Inspection) -> String {
    let mut out = String::new();
    header(&mut out, i);
    blockers(&mut out, i);
    integrity(&mut out, i);
    foreign_keys(&mut out, i);
    dirty_values(&mut out, i);
    tables(&mut out, i);
    columns(&mut out, i);
    other_objects(&mut out, i);
    warnings(&mut out, i);
    estimate(&mut out, i);
    out
}

/// The first two lines: file, SQLite version, size; the counts.
fn header(out: &mut String, i: &Inspection) {
    let _ = writeln!(
        out,
        "{} — SQLite {}, {} ({} pages of {} B, {} free)",
        one(&i.file),
        i.sqlite_version,
        human_bytes(i.size_bytes),
        i.page_count,
        i.page_size,
        i.freelist_count
    );
    let _ = writeln!(
        out,
        "{} blocker(s), {} warning(s), {} orphan row(s), {} rows to migrate",
        i.blockers, i.warnings, i.orphans, i.rows
    );
}

/// Error diagnostics, each with its help.
fn blockers(out: &mut String, i: &Inspection) {
    let _ = writeln!(out, "\n== Blockers ({})", i.blockers);
    if i.blockers == 0 {
        let _ = writeln!(out, "  none");
    }
    for d in i
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
    {
        diagnostic_line(out, d);
        if let Some(h) = &d.help {
            let _ = writeln!(out, "      help: {}", one(h));
        }
    }
}

/// `PRAGMA integrity_check`: ok, its problems, or why it stopped.
fn integrity(out: &mut String, i: &Inspection) {
    let _ = writeln!(out, "\n== Integrity");
    if let Some(why) = &i.integrity.unfinished {
        let _ = writeln!(
            out,
            "  integrity_check: stopped before its end: {}",
            one(why)
        );
    } else if i.integrity.ok {
        let _ = writeln!(out, "  integrity_check: ok");
    } else {
        for p in &i.integrity.problems {
            let _ = writeln!(out, "  {}", one(p));
        }
    }
}

/// Per foreign key: a failed check, orphan rows, NOCASE-only matches.
fn foreign_keys(out: &mut String, i: &Inspection) {
    let _ = writeln!(out, "\n== Foreign keys ({} declared)", i.foreign_keys.len());
    let mut any = false;
    for fk in &i.foreign_keys {
        let name = format!(
            "{}({}) → {}({})",
            fk.table,
            fk.columns.join(", "),
            fk.ref_table,
            fk.ref_columns.join(", ")
        );
        let name = one(&name);
        if let Some(e) = &fk.error {
            any = true;
            let _ = writeln!(out, "  {name}: check failed: {}", one(e));
        }
        if fk.orphans > 0 {
            any = true;
            let _ = writeln!(
                out,
                "  {name}: {} orphan row(s), e.g. {}",
                fk.orphans,
                one(&examples(&fk.orphan_examples))
            );
        }
        if fk.nocase_only > 0 {
            any = true;
            let _ = writeln!(
                out,
                "  {name}: {} NOCASE-only match(es), e.g. {}\n      they hold in SQLite (COLLATE NOCASE parent) and with citext in PostgreSQL; without citext they become orphans{}",
                fk.nocase_only,
                one(&examples(&fk.nocase_examples)),
                if fk.nocase_holds_in_pg {
                    " (here the parent becomes citext: they hold)"
                } else {
                    " (here the parent does not become citext: they will be orphans)"
                }
            );
        }
    }
    if !any {
        let _ = writeln!(out, "  no orphans");
    }
}

/// Per column problem: count and examples, its outcome, the blob lengths seen.
fn dirty_values(out: &mut String, i: &Inspection) {
    let mut dirty = Vec::new();
    for t in &i.tables {
        for c in &t.columns {
            for p in &c.problems {
                dirty.push(vec![
                    format!("{}.{}", t.name, c.name),
                    if c.declared.is_empty() {
                        "(untyped)".into()
                    } else {
                        c.declared.clone()
                    },
                    p.kind.clone(),
                    p.count.to_string(),
                    format!("e.g. {}", examples(&p.examples)),
                ]);
                if let Some(o) = &p.outcome {
                    dirty.push(vec![
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        format!("outcome: {}", o.summary),
                    ]);
                }
                if !p.lengths.is_empty() {
                    let seen: Vec<String> = p
                        .lengths
                        .iter()
                        .map(|l| format!("{} dims × {}", l.dims, l.count))
                        .collect();
                    dirty.push(vec![
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        format!("lengths seen: {}", seen.join(", ")),
                    ]);
                }
            }
        }
    }
    let _ = writeln!(out, "\n== Dirty values");
    if dirty.is_empty() {
        let _ = writeln!(out, "  none");
    } else {
        table(out, &dirty);
    }
}

/// Every table: kind, rows, size, fate.
fn tables(out: &mut String, i: &Inspection) {
    let _ = writeln!(out, "\n== Tables");
    let mut rows = vec![vec![
        "table".to_string(),
        "kind".into(),
        "rows".into(),
        "size".into(),
        "fate".into(),
    ]];
    for t in &i.tables {
        rows.push(vec![
            t.name.clone(),
            match &t.detail {
                Some(d) if t.kind == "virtual" => format!("virtual ({d})"),
                _ => t.kind.clone(),
            },
            t.rows.map_or("-".into(), |r| r.to_string()),
            t.bytes.map_or("-".into(), human_bytes),
            t.fate.clone(),
        ]);
    }
    table(out, &rows);
}

/// Every migrated column: storage classes, rule, PostgreSQL type and converter.
fn columns(out: &mut String, i: &Inspection) {
    let _ = writeln!(out, "\n== Columns (rule → PostgreSQL type, converter)");
    let mut rows = Vec::new();
    for t in i.tables.iter().filter(|t| t.fate == "migrated") {
        for c in &t.columns {
            let k = &c.classes;
            let classes: Vec<String> = [
                ("int", k.integer),
                ("real", k.real),
                ("text", k.text),
                ("blob", k.blob),
                ("null", k.null),
            ]
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
            rows.push(vec![
                format!("{}.{}", t.name, c.name),
                if c.declared.is_empty() {
                    "(untyped)".into()
                } else {
                    c.declared.clone()
                },
                if classes.is_empty() {
                    "-".into()
                } else {
                    classes.join(", ")
                },
                c.rule.clone().unwrap_or_default(),
                format!(
                    "→ {} ({})",
                    c.pg_type.as_deref().unwrap_or("?"),
                    c.converter.as_deref().unwrap_or("?")
                ),
            ]);
        }
    }
    table(out, &rows);
}

/// Indexes, views, triggers and the rest: kind, name, fate, reason.
fn other_objects(out: &mut String, i: &Inspection) {
    let _ = writeln!(out, "\n== Other objects");
    if i.objects.is_empty() {
        let _ = writeln!(out, "  none");
    } else {
        let rows: Vec<Vec<String>> = i
            .objects
            .iter()
            .map(|o| {
                vec![
                    o.kind.clone(),
                    match &o.table {
                        Some(t) => format!("{} (on {t})", o.name),
                        None => o.name.clone(),
                    },
                    o.fate.clone(),
                    o.reason.clone(),
                ]
            })
            .collect();
        table(out, &rows);
    }
}

/// Warning diagnostics.
fn warnings(out: &mut String, i: &Inspection) {
    let _ = writeln!(out, "\n== Warnings ({})", i.warnings);
    for d in i
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
    {
        diagnostic_line(out, d);
    }
}

/// The time estimate and what it rests on.
fn estimate(out: &mut String, i: &Inspection) {
    let _ = writeln!(out, "\n== Estimate");
    let _ = writeln!(
        out,
        "  about {:.1} s: data {:.1} s ({} rows at {:.0} rows/s) + keys/indexes/FKs {:.1} s ({} builds at {:.0} rows/s each)",
        i.estimate_s,
        i.estimate.data_s,
        i.rows,
        i.estimate.load_rows_per_s,
        i.estimate.index_s,
        i.estimate.index_builds,
        i.estimate.index_rows_per_s
    );
    let _ = writeln!(
        out,
        "  an estimate from the dev-VM benchmark (docs/benchmarks.md), not a measurement"
    );
}
