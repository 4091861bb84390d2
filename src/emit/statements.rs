//! Splits a rendered SQL file into its statements, as PostgreSQL's lexer
//! would: a `;` ends a statement only outside `'…'` strings (`''` inside),
//! `"…"` names, `--` and nested `/* */` comments and `$tag$…$tag$` bodies.
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
        i = match b[i] {
            b'\'' | b'"' => skip_quoted(b, i),
            b'-' if b.get(i + 1) == Some(&b'-') => b[i..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |n| i + n + 1),
            b'/' if b.get(i + 1) == Some(&b'*') => skip_block_comment(b, i),
            // Inside a name (`a$b$c`) a `$` opens nothing.
            b'$' if i == 0
                || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] >= 0x80) =>
            {
                skip_dollar(sql, i)
            }
            b';' => {
                out.push(&sql[start..=i]);
                start = i + 1;
                i + 1
            }
            _ => i + 1,
        };
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

fn skip_quoted(b: &[u8], i: usize) -> usize {
    let q = b[i];
    let mut j = i + 1;
    while j < b.len() {
        if b[j] == q {
            if b.get(j + 1) == Some(&q) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

fn skip_block_comment(b: &[u8], i: usize) -> usize {
    let (mut depth, mut j) = (0usize, i);
    while j < b.len() {
        if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
            depth += 1;
            j += 2;
        } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
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

/// `$tag$ … $tag$` (tag empty or an identifier); a `$` that opens no such
/// quote (`$1`) is one character.
fn skip_dollar(sql: &str, i: usize) -> usize {
    let rest = &sql[i + 1..];
    let Some(end) = rest.find('$') else {
        return i + 1;
    };
    let tag = &rest[..end];
    let ident = tag
        .chars()
        .enumerate()
        .all(|(k, c)| c == '_' || c.is_alphabetic() || (k > 0 && c.is_ascii_digit()));
    if !ident {
        return i + 1;
    }
    let delim = &sql[i..i + end + 2];
    let body = i + delim.len();
    sql[body..]
        .find(delim)
        .map_or(sql.len(), |n| body + n + delim.len())
}

fn only_comments(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        i = match b[i] {
            b'-' if b.get(i + 1) == Some(&b'-') => b[i..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |n| i + n + 1),
            b'/' if b.get(i + 1) == Some(&b'*') => skip_block_comment(b, i),
            c if c.is_ascii_whitespace() => i + 1,
            _ => return false,
        };
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
