//! DDL text through the whole compiler: `source::from_ddl`, then
//! `compile_schema` with the embedded rule pack, PostgreSQL 18 with citext
//! and pgcrypto, and the embedded templates, down to the rendered SQL files.
//!
//! Invariants:
//! - no panic, stack overflow, timeout or OOM on any UTF-8 text; a failure
//!   is an `Err` diagnostic;
//! - no raw control characters from identifiers: for every identifier of the
//!   parsed schema (table, column, constraint, index, view, trigger and
//!   collation names, and the names keys and foreign keys list) that holds a
//!   control character — below U+0020 except `\n` and `\t`, U+007F,
//!   U+0080..=U+009F, U+2028, U+2029 — that character does not appear raw
//!   in any rendered file. A character that also occurs in expression or
//!   body text (DEFAULT, CHECK, generated column, index key or WHERE, view or
//!   trigger SQL, declared type) is not attributed to an identifier and not
//!   checked. Set PGBRIDGE_FUZZ_NO_CONTROL_CHECK=1 to turn this check off.
#![no_main]

use std::collections::BTreeSet;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pgbridge::ir::sqlite::Schema;
use pgbridge::rewrite::{self, RewriteOptions, RulePack};
use pgbridge::{CompileOptions, compile_schema, source};

fn pack() -> &'static RulePack {
    static PACK: OnceLock<RulePack> = OnceLock::new();
    PACK.get_or_init(|| RulePack::default_pack().expect("the embedded rule pack loads"))
}

fn options() -> &'static CompileOptions {
    static OPTS: OnceLock<CompileOptions> = OnceLock::new();
    OPTS.get_or_init(|| CompileOptions {
        rewrite: RewriteOptions {
            target: rewrite::Target::new(18, &["citext".to_string(), "pgcrypto".to_string()]),
            ..RewriteOptions::default()
        },
        ..CompileOptions::default()
    })
}

fn control_check() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        std::env::var("PGBRIDGE_FUZZ_NO_CONTROL_CHECK").map_or(true, |v| v.is_empty() || v == "0")
    })
}

fn is_control(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}')
}

/// Every identifier of the schema.
fn identifiers(s: &Schema) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for t in &s.tables {
        out.push(&t.name);
        for c in &t.columns {
            out.push(&c.name);
            out.extend(c.collation.as_deref());
        }
        for k in t.primary_key.iter().chain(&t.uniques) {
            out.extend(k.name.as_deref());
            out.extend(k.columns.iter().map(String::as_str));
        }
        for k in &t.checks {
            out.extend(k.name.as_deref());
            out.extend(k.column.as_deref());
        }
        for f in &t.foreign_keys {
            out.extend(f.name.as_deref());
            out.extend(f.columns.iter().map(String::as_str));
            out.push(&f.ref_table);
            out.extend(f.ref_columns.iter().map(String::as_str));
        }
    }
    for i in &s.indexes {
        out.push(&i.name);
        out.push(&i.table);
        for c in &i.columns {
            out.extend(c.column.as_deref());
            out.extend(c.collation.as_deref());
        }
    }
    out.extend(s.views.iter().map(|v| v.name.as_str()));
    for t in &s.triggers {
        out.push(&t.name);
        out.push(&t.table);
    }
    out.extend(s.sequences.keys().map(String::as_str));
    out
}

/// Control characters that occur in text other than identifiers.
fn controls_outside_identifiers(s: &Schema) -> BTreeSet<char> {
    let mut texts: Vec<&str> = Vec::new();
    for t in &s.tables {
        for c in &t.columns {
            texts.push(&c.declared);
            texts.extend(c.default.as_ref().map(|e| e.sql.as_str()));
            texts.extend(c.generated.as_ref().map(|g| g.expr.sql.as_str()));
        }
        texts.extend(t.checks.iter().map(|k| k.expr.sql.as_str()));
    }
    for i in &s.indexes {
        texts.extend(i.columns.iter().map(|c| c.expr.sql.as_str()));
        texts.extend(i.where_clause.as_ref().map(|e| e.sql.as_str()));
    }
    texts.extend(s.views.iter().map(|v| v.sql.as_str()));
    texts.extend(s.triggers.iter().map(|t| t.sql.as_str()));
    texts
        .iter()
        .flat_map(|t| t.chars())
        .filter(|&c| is_control(c))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (schema, diags) = source::from_ddl(text, "fuzz.sql");
    let check = control_check().then(|| {
        let exempt = controls_outside_identifiers(&schema);
        let mut wanted: Vec<(char, String)> = Vec::new();
        for id in identifiers(&schema) {
            for c in id
                .chars()
                .filter(|&c| is_control(c) && !exempt.contains(&c))
            {
                if !wanted.iter().any(|(w, _)| *w == c) {
                    wanted.push((c, id.to_string()));
                }
            }
        }
        wanted
    });
    let Ok(compiled) = compile_schema(schema, diags, pack(), options()) else {
        return;
    };
    for (c, id) in check.into_iter().flatten() {
        for (file, sql) in &compiled.set.files {
            if let Some(pos) = sql.find(c) {
                let line = sql[..pos].matches('\n').count() + 1;
                panic!(
                    "raw control character U+{:04X} of identifier {id:?} in {file} line {line}",
                    c as u32
                );
            }
        }
    }
});
