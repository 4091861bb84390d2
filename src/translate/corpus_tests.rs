//! Every CHECK, DEFAULT, partial-index WHERE, index key and generated-column
//! expression in the corpus (the `sqlite_schema` of each database, opened
//! read-only, and the SQLite `.sql` files) either translates to something a
//! PostgreSQL parser accepts, or comes back with a reason.
//!
//! Extraction is deliberately simple text scanning (quote-aware), not the
//! project's DDL parser: it only has to find the expression spans.
//! Set `PGBRIDGE_PRINT_TALLY=1` to print what fails and why.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use sqlparser::dialect::PostgreSqlDialect;

use super::*;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Site {
    Check,
    Default,
    Generated,
    IndexKey,
    IndexWhere,
}

struct Case {
    source: String,
    site: Site,
    text: String,
    ctx: ExprContext,
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Byte ranges of `sql` outside quotes ('..', "..", `..`, [..]) and comments.
fn unquoted_mask(sql: &str) -> Vec<bool> {
    let b = sql.as_bytes();
    let mut mask = vec![true; b.len()];
    let mut i = 0;
    while i < b.len() {
        let close = match b[i] {
            b'\'' => Some(b'\''),
            b'"' => Some(b'"'),
            b'`' => Some(b'`'),
            b'[' => Some(b']'),
            b'-' if b.get(i + 1) == Some(&b'-') => Some(b'\n'),
            _ => None,
        };
        if let Some(close) = close {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != close {
                i += 1;
            }
            // A `--` comment ends before its newline; quotes include the closer.
            let end = if close == b'\n' {
                i
            } else {
                (i + 1).min(b.len())
            };
            for m in &mut mask[start..end] {
                *m = false;
            }
            // The quote characters themselves delimit, keep them "quoted".
            i = end;
        } else {
            i += 1;
        }
    }
    mask
}

/// Split at top-level `sep` outside quotes and parentheses.
fn split_top(sql: &str, sep: u8) -> Vec<String> {
    let mask = unquoted_mask(sql);
    let mut depth = 0i32;
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in sql.bytes().enumerate() {
        if !mask[i] {
            continue;
        }
        match c {
            b'(' => depth += 1,
            b')' => depth -= 1,
            c if c == sep && depth == 0 => {
                out.push(sql[start..i].to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(sql[start..].to_string());
    out
}

/// Byte offsets just after each unquoted whole-word `kw` (case-insensitive).
fn keyword_ends(sql: &str, kw: &str) -> Vec<usize> {
    let mask = unquoted_mask(sql);
    let lower = sql.to_ascii_lowercase();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let b = lower.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = lower[from..].find(kw) {
        let i = from + pos;
        let end = i + kw.len();
        let before_ok = i == 0 || !word(b[i - 1]);
        let after_ok = end >= b.len() || !word(b[end]);
        if before_ok && after_ok && mask[i] {
            out.push(end);
        }
        from = i + 1;
    }
    out
}

/// The inside of the parenthesised group starting at the first
/// non-blank byte at or after `pos`, if it is `(`.
fn paren_group(sql: &str, pos: usize) -> Option<(String, usize)> {
    let rest = &sql[pos..];
    let skip = rest.len() - rest.trim_start().len();
    let open = pos + skip;
    if sql.as_bytes().get(open) != Some(&b'(') {
        return None;
    }
    let mask = unquoted_mask(sql);
    let mut depth = 0;
    for (i, c) in sql.bytes().enumerate().skip(open) {
        if !mask[i] {
            continue;
        }
        match c {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some((sql[open + 1..i].to_string(), i + 1));
                }
            }
            _ => {}
        }
    }
    None
}

/// The DEFAULT value starting after `pos`: a parenthesised expression, a
/// quoted literal, a signed number, or a word.
fn default_value(sql: &str, pos: usize) -> Option<String> {
    if let Some((inner, _)) = paren_group(sql, pos) {
        return Some(format!("({inner})"));
    }
    let rest = sql[pos..].trim_start();
    let first = rest.chars().next()?;
    if first == '\'' || first == '"' {
        let mut end = 1;
        let b = rest.as_bytes();
        while end < b.len() {
            if b[end] == first as u8 {
                if b.get(end + 1) == Some(&(first as u8)) {
                    end += 2;
                    continue;
                }
                return Some(rest[..=end].to_string());
            }
            end += 1;
        }
        return None;
    }
    let sign = usize::from(first == '-' || first == '+');
    let len = rest[sign..]
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(rest.len() - sign);
    (len > 0).then(|| rest[..sign + len].to_string())
}

fn unquote(name: &str) -> String {
    let n = name.trim();
    let inner = n
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| n.strip_prefix('`').and_then(|s| s.strip_suffix('`')))
        .or_else(|| n.strip_prefix('[').and_then(|s| s.strip_suffix(']')));
    inner.unwrap_or(n).to_string()
}

/// First token of a column definition (possibly quoted) and the rest.
fn first_token(def: &str) -> (String, String) {
    let d = def.trim_start();
    let close = match d.chars().next() {
        Some('"') => Some('"'),
        Some('`') => Some('`'),
        Some('[') => Some(']'),
        _ => None,
    };
    let end = match close {
        Some(c) => d[1..].find(c).map(|i| i + 2).unwrap_or(d.len()),
        None => d.find(char::is_whitespace).unwrap_or(d.len()),
    };
    (d[..end].to_string(), d[end..].to_string())
}

/// A rough PostgreSQL type for a SQLite declared type, for the test only.
fn pg_type_for(declared: &str) -> String {
    let t = declared.to_ascii_uppercase();
    let t = t
        .split(|c: char| {
            !(c.is_ascii_alphanumeric() || c == ' ' || c == '(' || c == ')' || c == ',')
        })
        .next()
        .unwrap_or("");
    let cut = [
        " NOT",
        " NULL",
        " DEFAULT",
        " PRIMARY",
        " UNIQUE",
        " CHECK",
        " REFERENCES",
        " COLLATE",
        " GENERATED",
        " AS",
        " CONSTRAINT",
    ]
    .iter()
    .filter_map(|k| format!(" {t}").find(k))
    .min()
    .unwrap_or(t.len() + 1);
    let ty = &format!(" {t}")[..cut];
    if ty.contains("DATE") || ty.contains("TIME") {
        // SQLite keeps these as text; the rules decide later.
        "text"
    } else if ty.contains("BOOL") {
        "boolean"
    } else if ty.contains("INT") {
        "bigint"
    } else if ty.contains("CHAR") || ty.contains("CLOB") || ty.contains("TEXT") {
        "text"
    } else if ty.contains("JSON") {
        "jsonb"
    } else if ty.contains("BLOB") {
        "bytea"
    } else if ty.contains("REAL") || ty.contains("FLOA") || ty.contains("DOUB") {
        "double precision"
    } else if ty.trim().is_empty() {
        "unknown"
    } else {
        "numeric"
    }
    .to_string()
}

const CONSTRAINT_STARTS: &[&str] = &["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];

/// Cases from one `CREATE TABLE`; records its columns in `tables`.
fn table_cases(
    source: &str,
    sql: &str,
    tables: &mut BTreeMap<String, ExprContext>,
    out: &mut Vec<Case>,
) {
    let Some(open) = sql.find('(') else {
        return;
    };
    let head = &sql[..open];
    let name = head
        .split_whitespace()
        .last()
        .map(unquote)
        .unwrap_or_default();
    let Some((body, _)) = paren_group(sql, open) else {
        return;
    };
    let parts = split_top(&body, b',');
    let mut ctx = ExprContext {
        pgcrypto: true,
        ..ExprContext::default()
    };
    let mut col_parts = Vec::new();
    for part in &parts {
        let (tok, rest) = first_token(part);
        if tok.is_empty() || CONSTRAINT_STARTS.contains(&tok.to_ascii_uppercase().as_str()) {
            continue;
        }
        let col = unquote(&tok);
        let ty = pg_type_for(&rest);
        ctx.columns.insert(
            col.to_ascii_lowercase(),
            ColumnInfo {
                pg_name: col.clone(),
                pg_type: ty.clone(),
                sqlite_class: None,
                time: None,
            },
        );
        col_parts.push((part.clone(), ty));
    }
    for part in &parts {
        for end in keyword_ends(part, "check") {
            if let Some((inner, _)) = paren_group(part, end) {
                out.push(Case {
                    source: format!("{source}: {name}"),
                    site: Site::Check,
                    text: inner,
                    ctx: ctx.clone(),
                });
            }
        }
    }
    for (part, ty) in &col_parts {
        let mut target = ctx.clone();
        target.target_type = Some(ty.clone());
        for end in keyword_ends(part, "default") {
            if let Some(v) = default_value(part, end) {
                out.push(Case {
                    source: format!("{source}: {name}"),
                    site: Site::Default,
                    text: v,
                    ctx: target.clone(),
                });
            }
        }
        for end in keyword_ends(part, "as") {
            if let Some((inner, _)) = paren_group(part, end) {
                out.push(Case {
                    source: format!("{source}: {name}"),
                    site: Site::Generated,
                    text: inner,
                    ctx: target.clone(),
                });
            }
        }
    }
    tables.insert(name.to_lowercase(), ctx);
}

/// Cases from one `CREATE INDEX`.
fn index_cases(
    source: &str,
    sql: &str,
    tables: &BTreeMap<String, ExprContext>,
    out: &mut Vec<Case>,
) {
    let Some(on) = keyword_ends(sql, "on").first().copied() else {
        return;
    };
    let rest = &sql[on..];
    let Some(open) = rest.find('(') else {
        return;
    };
    let table = unquote(rest[..open].trim());
    let ctx = tables
        .get(&table.to_lowercase())
        .cloned()
        .unwrap_or_default();
    let Some((keys, after)) = paren_group(sql, on + open) else {
        return;
    };
    let strip_order = regex::Regex::new(r"(?i)\s+(ASC|DESC)\s*$").ok();
    for key in split_top(&keys, b',') {
        let key = match &strip_order {
            Some(re) => re.replace(key.trim(), "").to_string(),
            None => key.trim().to_string(),
        };
        out.push(Case {
            source: format!("{source}: index on {table}"),
            site: Site::IndexKey,
            text: key,
            ctx: ctx.clone(),
        });
    }
    if let Some(w) = keyword_ends(&sql[after..], "where").first() {
        out.push(Case {
            source: format!("{source}: index on {table}"),
            site: Site::IndexWhere,
            text: sql[after + w..].trim().trim_end_matches(';').to_string(),
            ctx,
        });
    }
}

/// `sql` without `--` and `/* */` comments (outside quotes).
fn strip_comments(sql: &str) -> String {
    let mask = unquoted_mask(sql);
    let b = sql.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if mask[i] && b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            let end = sql[i + 2..]
                .find("*/")
                .map(|e| i + 2 + e + 2)
                .unwrap_or(b.len());
            out.push(b' ');
            i = end;
        } else if !mask[i] && (i == 0 || mask[i - 1]) && b[i] == b'-' && b.get(i + 1) == Some(&b'-')
        {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn statement_cases(
    source: &str,
    stmts: &[String],
    tables: &mut BTreeMap<String, ExprContext>,
    out: &mut Vec<Case>,
) {
    let stmts: Vec<String> = stmts.iter().map(|s| strip_comments(s)).collect();
    for s in &stmts {
        let s = s.trim();
        let upper: String = s
            .split_whitespace()
            .take(4)
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_uppercase();
        if upper.starts_with("CREATE TABLE") || upper.starts_with("CREATE TEMP") {
            table_cases(source, s, tables, out);
        }
    }
    for s in &stmts {
        let s = s.trim();
        let upper = s.to_ascii_uppercase();
        if upper.starts_with("CREATE INDEX") || upper.starts_with("CREATE UNIQUE INDEX") {
            index_cases(source, s, tables, out);
        }
    }
}

fn corpus_cases() -> Vec<Case> {
    let mut all = Vec::new();
    files(Path::new(CORPUS), &mut all);
    let mut out = Vec::new();
    for path in all {
        let rel = path
            .strip_prefix(CORPUS)
            .unwrap_or(&path)
            .display()
            .to_string();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let mut tables = BTreeMap::new();
        match ext {
            "db" | "sqlite" | "sqlite3" | "anki2" => {
                let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let conn = Connection::open_with_flags(&path, flags)
                    .unwrap_or_else(|e| panic!("{rel}: {e}"));
                let mut stmt = conn
                    .prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL")
                    .unwrap_or_else(|e| panic!("{rel}: {e}"));
                let stmts: Vec<String> = stmt
                    .query_map([], |r| r.get::<_, String>(0))
                    .unwrap_or_else(|e| panic!("{rel}: {e}"))
                    .flatten()
                    .collect();
                statement_cases(&rel, &stmts, &mut tables, &mut out);
            }
            "sql" if !rel.contains("postgres") && !rel.contains("mysql") => {
                let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
                let stmts = split_top(&text, b';');
                statement_cases(&rel, &stmts, &mut tables, &mut out);
            }
            _ => {}
        }
    }
    out
}

fn pg_parses(sql: &str) -> bool {
    let dialect = PostgreSqlDialect {};
    let Ok(mut p) = Parser::new(&dialect).try_with_sql(sql) else {
        return false;
    };
    p.parse_expr().is_ok() && p.peek_token().token == Token::EOF
}

#[test]
fn every_corpus_expression_translates_or_gives_a_reason() {
    let cases = corpus_cases();
    assert!(cases.len() > 500, "extraction found only {}", cases.len());
    let mut translated = 0;
    let mut reasons: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    for c in &cases {
        let result = match c.site {
            Site::Check | Site::IndexWhere => translate_predicate(&c.text, &c.ctx),
            Site::Default => translate_default(&c.text, &c.ctx),
            Site::IndexKey => translate_index_key(&c.text, &c.ctx),
            Site::Generated => translate_expr(&c.text, &c.ctx),
        };
        match result {
            Ok(t) => {
                assert!(!t.sql.is_empty(), "{}: {} gave empty SQL", c.source, c.text);
                assert!(
                    pg_parses(&t.sql),
                    "{}: {} gave unparsable {}",
                    c.source,
                    c.text,
                    t.sql
                );
                translated += 1;
            }
            Err(e) => {
                assert!(
                    !e.reason.is_empty(),
                    "{}: {} failed without a reason",
                    c.source,
                    c.text
                );
                if seen.insert((c.site, c.text.clone(), e.reason.clone())) {
                    reasons
                        .entry(e.reason.clone())
                        .or_default()
                        .push(format!("{:?} `{}` ({})", c.site, c.text, c.source));
                }
            }
        }
    }
    if std::env::var_os("PGBRIDGE_PRINT_TALLY").is_some() {
        eprintln!("{} cases, {translated} translated", cases.len());
        let mut by_site: BTreeMap<Site, usize> = BTreeMap::new();
        for c in &cases {
            *by_site.entry(c.site).or_default() += 1;
        }
        eprintln!("{by_site:?}");
        for (reason, examples) in &reasons {
            eprintln!("{} × {reason}", examples.len());
            for ex in examples.iter().take(3) {
                eprintln!("    {ex}");
            }
        }
    }
    assert!(translated > 0);
}

/// The expressions the corpus README calls out translate, with the
/// expected text.
#[test]
fn corpus_quirks_translate_as_expected() {
    let cases = corpus_cases();
    let find = |needle: &str, site: Site| {
        cases
            .iter()
            .find(|c| c.site == site && c.text.contains(needle))
            .unwrap_or_else(|| panic!("no {site:?} case containing {needle}"))
    };
    let memos_pinned = find("pinned IN (0, 1)", Site::Check);
    let mut ctx = memos_pinned.ctx.clone();
    if let Some(col) = ctx.columns.get_mut("pinned") {
        col.pg_type = "boolean".into();
    }
    let t = translate_predicate(&memos_pinned.text, &ctx).map(|t| t.sql);
    assert_eq!(t.as_deref(), Ok("pinned IN (false, true)"));

    let epoch = find("strftime('%s', 'now')", Site::Default);
    let t = translate_default(&epoch.text, &epoch.ctx).map(|t| t.sql);
    assert_eq!(
        t.as_deref(),
        Ok("floor(extract(epoch FROM CURRENT_TIMESTAMP))::bigint")
    );

    let id = find("randomblob(7)", Site::Default);
    let t = translate_default(&id.text, &id.ctx);
    assert_eq!(
        t.as_ref().map(|t| t.sql.as_str()),
        Ok("'r' || encode(gen_random_bytes(7), 'hex')")
    );
    assert_eq!(t.map(|t| t.extensions), Ok(vec!["pgcrypto".to_string()]));

    let generated = find("json_extract(workflow, '$.meta.category')", Site::Generated);
    let t = translate_expr(&generated.text, &generated.ctx).map(|t| t.sql);
    assert_eq!(t.as_deref(), Ok("workflow::jsonb #>> '{meta,category}'"));

    let discount = find("[Discount]>=(0)", Site::Check);
    let t = translate_predicate(&discount.text, &discount.ctx).map(|t| t.sql);
    assert_eq!(t.as_deref(), Ok("\"Discount\" >= 0 AND \"Discount\" <= 1"));

    let partial = find("email` != ''", Site::IndexWhere);
    let t = translate_predicate(&partial.text, &partial.ctx).map(|t| t.sql);
    assert_eq!(t.as_deref(), Ok("email <> ''"));
}
