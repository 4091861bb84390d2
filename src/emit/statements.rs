//! Splits a rendered SQL file into its statements, as PostgreSQL's lexer
//! would: a `;` ends a statement only outside `'…'` strings (`''` inside;
//! backslash escapes in `E'…'`), `"…"` names, `--` and nested `/* */`
//! comments and `$tag$…$tag$` bodies ([`token_end`], the one SQL lexer of emit).
//! The loader runs `03_constraints.sql` statement by statement, inside one
//! transaction, so progress can name the index or constraint being built.
//!
//! Input: SQL text pgbridge rendered (or a `--templates` override). Output:
//! the statements with their leading comments, in order; text after the
//! last `;` that is only whitespace and comments is dropped.

/// The statements of `sql`, each ending with its `;`.
pub fn statements(sql: &str) -> Vec<&str> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        if b[i] == b';' {
            out.push(&sql[start..=i]);
            start = i + 1;
            i += 1;
        } else {
            i = token_end(b, i);
        }
    }
    if !only_comments(&sql[start..]) {
        out.push(&sql[start..]);
    }
    out
}

/// A short label for progress: the statement's first line that is not a
/// comment, cut to 80 characters.
pub fn label(stmt: &str) -> String {
    let line = stmt
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("--"))
        .unwrap_or("");
    match line.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_string(),
    }
}

/// Whether a comment (`--` or `/*`) starts at `i`.
pub(crate) fn is_comment(b: &[u8], i: usize) -> bool {
    b[i..].starts_with(b"--") || b[i..].starts_with(b"/*")
}

/// The end of the token starting at `i`: a comment, a quoted string or name,
/// a dollar-quoted body, or one byte of anything else.
pub(crate) fn token_end(b: &[u8], i: usize) -> usize {
    let rest = &b[i..];
    if rest.starts_with(b"--") {
        return find_from(b, i, b"\n").unwrap_or(b.len());
    }
    if rest.starts_with(b"/*") {
        return block_comment_end(b, i);
    }
    match b[i] {
        b'\'' => quoted_end(b, i, b'\'', escape_string(b, i)),
        b'"' => quoted_end(b, i, b'"', false),
        b'$' => dollar_end(b, i).unwrap_or(i + 1),
        _ => i + 1,
    }
}

fn find_from(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// Block comments nest in PostgreSQL.
fn block_comment_end(b: &[u8], i: usize) -> usize {
    let (mut depth, mut j) = (0usize, i);
    while j < b.len() {
        if b[j..].starts_with(b"/*") {
            depth += 1;
            j += 2;
        } else if b[j..].starts_with(b"*/") {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return j;
            }
        } else {
            j += 1;
        }
    }
    b.len()
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// `E'…'`: backslash escapes apply.
fn escape_string(b: &[u8], i: usize) -> bool {
    i >= 1 && matches!(b[i - 1], b'E' | b'e') && (i < 2 || !is_ident_byte(b[i - 2]))
}

/// After the closing quote; a doubled quote continues the token.
fn quoted_end(b: &[u8], i: usize, q: u8, backslash: bool) -> usize {
    let mut j = i + 1;
    while j < b.len() {
        if backslash && b[j] == b'\\' {
            j += 2;
        } else if b[j] == q {
            if b.get(j + 1) == Some(&q) {
                j += 2;
            } else {
                return j + 1;
            }
        } else {
            j += 1;
        }
    }
    b.len()
}

/// `$tag$ … $tag$` (not `$1`, not a `$` inside a name).
fn dollar_end(b: &[u8], i: usize) -> Option<usize> {
    if i > 0 && is_ident_byte(b[i - 1]) {
        return None;
    }
    let close = i + 1 + b[i + 1..].iter().position(|&c| c == b'$')?;
    let tag = &b[i + 1..close];
    let starts_ok = tag.first().is_none_or(|c| !c.is_ascii_digit());
    if !starts_ok || !tag.iter().all(|&c| is_ident_byte(c)) {
        return None;
    }
    let delim = &b[i..=close];
    let end = find_from(b, close + 1, delim).map_or(b.len(), |p| p + delim.len());
    Some(end)
}

fn only_comments(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !(b[i].is_ascii_whitespace() || is_comment(b, i)) {
            return false;
        }
        i = token_end(b, i);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicolons_inside_strings_names_comments_and_bodies_end_nothing() {
        let sql = "-- head; comment\nCREATE TABLE \"a;b\" (x text DEFAULT 'it''s; here');\n\
                   /* one; /* nested; */ still; */ ALTER TABLE t ADD CHECK (x <> U&'\\003B;');\n\
                   DO $body$ BEGIN PERFORM 1; END $body$;\nSELECT $1;\n\
                   CREATE INDEX a$b$c ON t (a$b$);\n-- tail;\n";
        let s = statements(sql);
        assert_eq!(s.len(), 5, "{s:#?}");
        assert!(s[0].ends_with("'it''s; here');"));
        assert!(s[1].trim_start().starts_with("/* one;"));
        assert!(s[1].ends_with("U&'\\003B;');"));
        assert!(s[2].trim().starts_with("DO $body$"));
        assert_eq!(s[3].trim(), "SELECT $1;");
        assert_eq!(s[4].trim(), "CREATE INDEX a$b$c ON t (a$b$);");
        assert_eq!(s.concat().len() + "\n-- tail;\n".len(), sql.len());
    }

    #[test]
    fn a_last_statement_without_semicolon_is_kept() {
        assert_eq!(
            statements("SELECT 1; SELECT 2"),
            vec!["SELECT 1;", " SELECT 2"]
        );
        assert!(statements("  -- nothing\n/* here */\n").is_empty());
    }

    #[test]
    fn labels_skip_comments_and_are_short() {
        assert_eq!(
            label("\n-- orders\nCREATE INDEX ix ON orders (a);"),
            "CREATE INDEX ix ON orders (a);"
        );
        assert_eq!(
            label(&format!("SELECT {}", "é".repeat(100)))
                .chars()
                .count(),
            81
        );
    }
}
