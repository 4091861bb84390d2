//! drift: what `compile --check` reports when committed files differ from
//! what the rules compile to.
//!
//! Input: the compiled files (path → text) and a directory. Output: one
//! [`Drift`] per differing file, classed as [`DriftKind::Statements`] (the SQL
//! a server would run changed: `--check` fails) or [`DriftKind::Comments`]
//! (only comments changed, e.g. the row counts and value counts the rules
//! cite as evidence: reported as information). Invariants: a `.sql` file is
//! compared with its comments removed ([`statements`]), which keeps string
//! literals, quoted names and dollar-quoted bodies whole and keeps migration
//! tool directives (`-- migrate:up`); integrity files (`*.sum`) follow the
//! files they hash, so their drift is information; any other file (review
//! files, `sqitch.plan`) drifts on any byte.

use crate::emit::statements::{is_comment, token_end};
use std::collections::BTreeMap;
use std::path::Path;

/// How a file drifted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftKind {
    /// What a server runs (or a tool reads) changed.
    Statements,
    /// Only comments changed, or an integrity file that follows them.
    Comments,
}

/// One drifted file: its path in the directory, the kind, a unified diff.
#[derive(Debug, Clone)]
pub struct Drift {
    pub name: String,
    pub kind: DriftKind,
    pub diff: String,
}

/// Compare `files` with what `dir` holds (a missing file diffs against empty).
pub fn check_files(files: &BTreeMap<String, String>, dir: &Path) -> Vec<Drift> {
    let mut out = Vec::new();
    for (name, want) in files {
        let have = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        if &have == want {
            continue;
        }
        out.push(Drift {
            name: name.clone(),
            kind: classify(name, &have, want),
            diff: unified(name, &have, want),
        });
    }
    out
}

fn classify(name: &str, have: &str, want: &str) -> DriftKind {
    if name.ends_with(".sum") {
        return DriftKind::Comments;
    }
    if name.ends_with(".sql") && !have.is_empty() && statements(have) == statements(want) {
        return DriftKind::Comments;
    }
    DriftKind::Statements
}

fn unified(name: &str, have: &str, want: &str) -> String {
    similar::TextDiff::from_lines(have, want)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{name} (committed)"),
            &format!("{name} (compiled)"),
        )
        .to_string()
}

/// The statements of a SQL (or psql) script: line and block comments
/// removed, except migration-tool directives (`-- migrate:…`); trailing
/// space and blank lines dropped. Literals, quoted names and dollar-quoted
/// bodies are kept as written, comment-like text inside them included.
pub fn statements(sql: &str) -> String {
    let stripped = strip_comments(sql);
    let mut out = String::with_capacity(stripped.len());
    for line in stripped.lines() {
        let l = line.trim_end();
        if !l.trim().is_empty() {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

fn strip_comments(sql: &str) -> String {
    let b = sql.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let end = token_end(b, i);
        if !is_comment(b, i) || is_directive(b, i) {
            out.extend_from_slice(&b[i..end]);
        }
        i = end;
    }
    // Only whole ASCII tokens are dropped, so the rest is still UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

/// `-- migrate:up` and the like at the start of a line: dbmate's markers.
fn is_directive(b: &[u8], i: usize) -> bool {
    b[i..].starts_with(b"-- migrate:") && (i == 0 || b[i - 1] == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_drop_comments_and_keep_literals() {
        let sql = "-- users (3 rows)\nCREATE TABLE t (\n    -- a: 2/2 values\n    a text DEFAULT '-- x', /* b */ b int\n);\n";
        assert_eq!(
            statements(sql),
            "CREATE TABLE t (\n    a text DEFAULT '-- x',  b int\n);\n"
        );
    }

    #[test]
    fn statements_keep_dollar_bodies_quoted_names_and_directives() {
        let sql = "-- migrate:up\nSELECT $f$ -- kept $f$, \"a--b\", E'\\'--', $1 -- gone\n/* a /* nested */ one */x\n";
        assert_eq!(
            statements(sql),
            "-- migrate:up\nSELECT $f$ -- kept $f$, \"a--b\", E'\\'--', $1\nx\n"
        );
    }

    #[test]
    fn a_changed_count_in_a_comment_is_comment_drift() {
        let have = "-- t (3 rows)\nCREATE TABLE t (a int);\n";
        let want = "-- t (4 rows)\nCREATE TABLE t (a int);\n";
        assert_eq!(classify("01.sql", have, want), DriftKind::Comments);
        let want = "-- t (3 rows)\nCREATE TABLE t (a bigint);\n";
        assert_eq!(classify("01.sql", have, want), DriftKind::Statements);
        assert_eq!(classify("x.md", "a", "b"), DriftKind::Statements);
        assert_eq!(classify("01.sql", "", want), DriftKind::Statements);
    }
}
