//! SQLite DDL text → `ir::sqlite` facts.
//!
//! Input: a script (a `.sql` file, a `sqlite3 .dump`, a migration) or one
//! `sqlite_schema.sql` text. Output: tables, indexes, views and triggers with
//! names unquoted (case preserved), declared types split into words and
//! numeric arguments, constraints at both column and table level, and every
//! expression kept as its exact source text ([`Expr::sql`]).
//!
//! Two layers:
//! - a small hand-written lexer splits the script into statements, honouring
//!   strings, quoted identifiers, comments, `BEGIN … END` trigger bodies and
//!   sqlite3 shell dot-commands;
//! - the pest grammar `grammar/sqlite_ddl.pest` parses each `CREATE`
//!   statement's shape. Expressions are captured as balanced text, not trees.
//!
//! Invariants: a statement that does not parse becomes one `Error`
//! diagnostic with file:line:column and parsing continues; statements that
//! are not DDL (INSERT, PRAGMA, BEGIN, …) are skipped with one `Note` in
//! total; objects keep the order of the text.
use crate::diag::{Diagnostic, Diagnostics, Span, Stage};
use crate::ir::sqlite::{
    Affinity, Check, Column, Deferrable, Expr, ForeignKey, Generated, Index, IndexedColumn,
    KeyConstraint, Schema, SourceKind, Table, TableKind, Trigger, View,
};
use pest::Parser;
use pest::iterators::Pair;
use pest_derive::Parser;
use std::collections::BTreeMap;

#[derive(Parser)]
#[grammar = "../grammar/sqlite_ddl.pest"]
struct DdlParser;

/// One parsed `CREATE` statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Table(ParsedTable),
    Index(Index),
    View(View),
    Trigger(Trigger),
}

/// A table plus the facts the IR has no field for but later steps need.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedTable {
    pub table: Table,
    /// `CREATE TABLE … AS SELECT` (columns unknown from the text).
    pub as_select: bool,
    /// The `INTEGER PRIMARY KEY DESC` column-constraint quirk: such a column
    /// is not a rowid alias.
    pub pk_desc_quirk: bool,
}

/// A statement's failure to parse, with a 1-based position inside the
/// statement text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

// ---------------------------------------------------------------------------
// Lexer and script splitting
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    /// A bare word (identifier or keyword).
    Word,
    /// `"x"`, `[x]`, `` `x` ``.
    Quoted,
    /// `'x'`.
    Str,
    Semi,
    LParen,
    RParen,
    Comma,
    /// Anything else (numbers, operators), one token per run or char.
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Tok,
    start: usize,
    end: usize,
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Index just past a quoted run starting at `i` with delimiter `close`
/// (doubled delimiters escape, except for `]`). Unterminated runs end at EOF.
fn skip_quoted(bytes: &[u8], i: usize, close: u8, doubling: bool) -> usize {
    let mut j = i + 1;
    while j < bytes.len() {
        if bytes[j] == close {
            if doubling && bytes.get(j + 1) == Some(&close) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    bytes.len()
}

/// Tokens of `text` (comments and whitespace dropped).
fn lex(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        let kind = match b {
            b' ' | b'\t' | b'\r' | b'\n' | 0x0c => {
                i += 1;
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i = (i + 2).min(bytes.len());
                continue;
            }
            b'\'' => {
                i = skip_quoted(bytes, i, b'\'', true);
                Tok::Str
            }
            b'"' => {
                i = skip_quoted(bytes, i, b'"', true);
                Tok::Quoted
            }
            b'`' => {
                i = skip_quoted(bytes, i, b'`', true);
                Tok::Quoted
            }
            b'[' => {
                i = skip_quoted(bytes, i, b']', false);
                Tok::Quoted
            }
            b';' => {
                i += 1;
                Tok::Semi
            }
            b'(' => {
                i += 1;
                Tok::LParen
            }
            b')' => {
                i += 1;
                Tok::RParen
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            _ if is_ident_byte(b) => {
                while i < bytes.len() && is_ident_byte(bytes[i]) {
                    i += 1;
                }
                if b.is_ascii_digit() {
                    Tok::Other
                } else {
                    Tok::Word
                }
            }
            _ => {
                i += 1;
                Tok::Other
            }
        };
        out.push(Token {
            kind,
            start,
            end: i,
        });
    }
    out
}

/// One statement of a script.
#[derive(Debug, Clone)]
struct RawStatement<'a> {
    /// Statement text from its first token to its last (no `;`).
    text: &'a str,
    /// Byte offset of `text` in the script.
    offset: usize,
    tokens: Vec<Token>,
}

fn word_is(text: &str, t: &Token, kw: &str) -> bool {
    t.kind == Tok::Word && text[t.start..t.end].eq_ignore_ascii_case(kw)
}

/// Splits a script into statements. `;` ends a statement except inside a
/// `CREATE TRIGGER … BEGIN … END` body, which ends at `; END ;` (the rule of
/// `sqlite3_complete`). Dot-commands at a statement start run to the end of
/// their line.
fn split_statements(text: &str) -> Vec<RawStatement<'_>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut toks = lex(text).into_iter().peekable();
    let mut cur: Vec<Token> = Vec::new();
    fn finish<'a>(text: &'a str, cur: &mut Vec<Token>, out: &mut Vec<RawStatement<'a>>) {
        if let (Some(first), Some(last)) = (cur.first(), cur.last()) {
            out.push(RawStatement {
                text: &text[first.start..last.end],
                offset: first.start,
                tokens: std::mem::take(cur),
            });
        }
    }
    while let Some(t) = toks.peek().copied() {
        // Dot-commands: a '.' that is the first non-blank on its line, where
        // a statement may start.
        if cur.is_empty() && bytes[t.start] == b'.' {
            let line_start = text[..t.start].rfind('\n').map_or(0, |p| p + 1);
            if text[line_start..t.start].trim().is_empty() {
                let end = text[t.start..]
                    .find('\n')
                    .map_or(text.len(), |p| t.start + p);
                out.push(RawStatement {
                    text: text[t.start..end].trim_end(),
                    offset: t.start,
                    tokens: Vec::new(),
                });
                while toks.peek().is_some_and(|n| n.start < end) {
                    toks.next();
                }
                continue;
            }
        }
        toks.next();
        if t.kind == Tok::Semi {
            let in_trigger = is_trigger(text, &cur)
                && cur.iter().any(|x| word_is(text, x, "BEGIN"))
                && !ends_trigger_body(text, &cur);
            if in_trigger {
                cur.push(t);
                continue;
            }
            finish(text, &mut cur, &mut out);
            continue;
        }
        cur.push(t);
    }
    finish(text, &mut cur, &mut out);
    out
}

fn is_trigger(text: &str, toks: &[Token]) -> bool {
    let mut it = toks.iter();
    if !it.next().is_some_and(|t| word_is(text, t, "CREATE")) {
        return false;
    }
    for t in it.take(2) {
        if word_is(text, t, "TRIGGER") {
            return true;
        }
        if !(word_is(text, t, "TEMP") || word_is(text, t, "TEMPORARY")) {
            return false;
        }
    }
    false
}

/// The statement so far ends with `; END` or `BEGIN END`.
fn ends_trigger_body(text: &str, toks: &[Token]) -> bool {
    match toks {
        [.., prev, last] => {
            word_is(text, last, "END") && (prev.kind == Tok::Semi || word_is(text, prev, "BEGIN"))
        }
        _ => false,
    }
}

/// Splits raw text on top-level commas (quote, comment and paren aware);
/// each piece trimmed. Used for virtual-table module arguments.
pub fn split_top_level_commas(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut piece_start = 0;
    for t in lex(text) {
        match t.kind {
            Tok::LParen => depth += 1,
            Tok::RParen => depth = depth.saturating_sub(1),
            Tok::Comma if depth == 0 => {
                out.push(text[piece_start..t.start].trim().to_string());
                piece_start = t.end;
            }
            _ => {}
        }
    }
    let last = text[piece_start..].trim();
    if !last.is_empty() || !out.is_empty() {
        out.push(last.to_string());
    }
    out
}

// ---------------------------------------------------------------------------
// Names, types, literals
// ---------------------------------------------------------------------------

/// Removes SQLite quoting from an identifier or string token: `"a""b"` →
/// `a"b`, `[x]` → `x`, `` `x` `` → `x`, `'x'` → `x`; bare words unchanged.
pub fn unquote(raw: &str) -> String {
    let mut chars = raw.chars();
    let (Some(first), Some(last)) = (chars.next(), raw.chars().last()) else {
        return raw.to_string();
    };
    // Characters, not bytes: one 4-byte character is no quoted pair.
    if raw.chars().nth(1).is_none() {
        return raw.to_string();
    }
    let inner = &raw[first.len_utf8()..raw.len() - last.len_utf8()];
    match (first, last) {
        ('"', '"') => inner.replace("\"\"", "\""),
        ('`', '`') => inner.replace("``", "`"),
        ('\'', '\'') => inner.replace("''", "'"),
        ('[', ']') => inner.to_string(),
        _ => raw.to_string(),
    }
}

/// An SQL string literal for `s` (`'` doubled).
fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Splits a declared type into its upper-cased words joined by one space and
/// its numeric arguments: `varchar ( 255 )` → (`VARCHAR`, [255]),
/// `NUMERIC(10,2)` → (`NUMERIC`, [10, 2]), `UNSIGNED BIG INT` → (`UNSIGNED BIG INT`, []).
/// Arguments that are not integers (`DECIMAL(10.5)`) are truncated toward zero.
pub fn split_type(declared: &str) -> (String, Vec<i64>) {
    let (words, args) = match declared.find('(') {
        Some(p) => (&declared[..p], &declared[p + 1..]),
        None => (declared, ""),
    };
    let type_name = words
        .split_whitespace()
        .map(|w| unquote(w).to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(" ");
    let args = args
        .trim_end()
        .trim_end_matches(')')
        .split(',')
        .filter_map(|a| {
            let a: String = a.chars().filter(|c| !c.is_whitespace()).collect();
            a.parse::<i64>()
                .ok()
                .or_else(|| a.parse::<f64>().ok().map(|f| f as i64))
        })
        .collect();
    (type_name, args)
}

/// Collapses runs of whitespace into one space.
fn normalise_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn name_of(p: Pair<'_, Rule>) -> String {
    unquote(p.as_str().trim())
}

/// The object name of a `qualified_name` pair (schema prefix dropped).
fn qualified(p: Pair<'_, Rule>) -> String {
    p.into_inner()
        .filter(|c| c.as_rule() == Rule::name)
        .last()
        .map(name_of)
        .unwrap_or_default()
}

fn first_inner<'a>(p: &Pair<'a, Rule>, rule: Rule) -> Option<Pair<'a, Rule>> {
    p.clone().into_inner().find(|c| c.as_rule() == rule)
}

// ---------------------------------------------------------------------------
// Statement parsing
// ---------------------------------------------------------------------------

/// Parses one `CREATE …` statement (trailing `;` optional).
pub fn parse_statement(sql: &str) -> Result<Statement, ParseError> {
    let mut pairs = DdlParser::parse(Rule::statement, sql).map_err(|e| {
        let (line, column) = match e.line_col {
            pest::error::LineColLocation::Pos(p) => p,
            pest::error::LineColLocation::Span(p, _) => p,
        };
        ParseError {
            line,
            column,
            message: e.variant.message().to_string(),
        }
    })?;
    let stmt = pairs.next().and_then(|s| s.into_inner().next());
    let Some(stmt) = stmt else {
        return Err(ParseError {
            line: 1,
            column: 1,
            message: "empty statement".into(),
        });
    };
    let text = sql.trim().trim_end_matches(';').trim_end().to_string();
    Ok(match stmt.as_rule() {
        Rule::create_table => Statement::Table(build_table(stmt, text)),
        Rule::create_virtual => Statement::Table(build_virtual(stmt, text)),
        Rule::create_index => Statement::Index(build_index(stmt, text)),
        Rule::create_view => Statement::View(View {
            name: first_inner(&stmt, Rule::qualified_name)
                .map(qualified)
                .unwrap_or_default(),
            sql: text,
            line: None,
            columns: Vec::new(),
        }),
        _ => {
            let name = first_inner(&stmt, Rule::qualified_name)
                .map(qualified)
                .unwrap_or_default();
            let table = first_inner(&stmt, Rule::trigger_table)
                .and_then(|t| first_inner(&t, Rule::qualified_name))
                .map(qualified)
                .unwrap_or_default();
            Statement::Trigger(Trigger {
                name,
                table,
                sql: text,
                line: None,
            })
        }
    })
}

fn build_virtual(stmt: Pair<'_, Rule>, sql: String) -> ParsedTable {
    let mut name = String::new();
    let mut module = String::new();
    let mut args = Vec::new();
    for p in stmt.into_inner() {
        match p.as_rule() {
            Rule::qualified_name => name = qualified(p),
            Rule::name => module = name_of(p),
            Rule::vtab_args => args = split_top_level_commas(p.as_str()),
            _ => {}
        }
    }
    ParsedTable {
        table: Table::new(name, TableKind::Virtual { module, args }, sql),
        as_select: false,
        pk_desc_quirk: false,
    }
}

fn build_table(stmt: Pair<'_, Rule>, sql: String) -> ParsedTable {
    let mut t = Table::new(String::new(), TableKind::Ordinary, sql);
    let mut as_select = false;
    let mut pk_desc_quirk = false;
    let mut pk_autoinc_col: Option<String> = None;
    for p in stmt.into_inner() {
        match p.as_rule() {
            Rule::qualified_name => t.name = qualified(p),
            Rule::as_select => as_select = true,
            Rule::table_body => {
                for e in p.into_inner() {
                    match e.as_rule() {
                        Rule::column_def => {
                            let (desc, autoinc) = column_def(&mut t, e);
                            if desc {
                                pk_desc_quirk = true;
                            }
                            if let Some(c) = autoinc {
                                pk_autoinc_col = Some(c);
                            }
                        }
                        Rule::table_constraint => {
                            if let Some(c) = table_constraint(&mut t, e) {
                                pk_autoinc_col = Some(c);
                            }
                        }
                        Rule::table_options => {
                            for o in e.into_inner() {
                                match o.as_rule() {
                                    Rule::without_rowid => t.without_rowid = true,
                                    Rule::STRICT => t.strict = true,
                                    _ => {}
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(pk) = &t.primary_key {
        for (i, name) in pk.columns.iter().enumerate() {
            if let Some(c) = t
                .columns
                .iter_mut()
                .find(|c| c.name.eq_ignore_ascii_case(name))
            {
                c.pk_position = i + 1;
                // WITHOUT ROWID enforces NOT NULL on key columns (PRAGMA says so too).
                if t.without_rowid {
                    c.not_null = true;
                }
            }
        }
    }
    if let Some(name) = pk_autoinc_col
        && let Some(c) = t
            .columns
            .iter_mut()
            .find(|c| c.name.eq_ignore_ascii_case(&name))
    {
        c.autoincrement = true;
    }
    mark_rowid_alias(&mut t, pk_desc_quirk);
    // STRICT tables enforce NOT NULL on key columns other than the rowid
    // alias (PRAGMA table_xinfo reports it).
    if t.strict {
        for c in &mut t.columns {
            if c.pk_position > 0 && !c.rowid_alias {
                c.not_null = true;
            }
        }
    }
    ParsedTable {
        table: t,
        as_select,
        pk_desc_quirk,
    }
}

/// Sets `rowid_alias` from the table's facts: a rowid table whose sole
/// PRIMARY KEY column is declared exactly `INTEGER` (any case), unless the
/// key was written as the `INTEGER PRIMARY KEY DESC` column constraint.
pub fn mark_rowid_alias(t: &mut Table, pk_desc_quirk: bool) {
    let pk_cols: Vec<usize> = (0..t.columns.len())
        .filter(|&i| t.columns[i].pk_position > 0)
        .collect();
    let ordinary = matches!(t.kind, TableKind::Ordinary);
    for c in &mut t.columns {
        c.rowid_alias = false;
    }
    if let [only] = pk_cols[..]
        && ordinary
        && !t.without_rowid
        && !pk_desc_quirk
        && t.columns[only]
            .declared
            .trim()
            .eq_ignore_ascii_case("INTEGER")
    {
        t.columns[only].rowid_alias = true;
    }
}

/// Adds one column (and its column-level constraints as table-level
/// entries). Returns (PRIMARY KEY DESC seen, AUTOINCREMENT column).
fn column_def(t: &mut Table, p: Pair<'_, Rule>) -> (bool, Option<String>) {
    let mut inner = p.into_inner();
    let Some(name) = inner.next().map(name_of) else {
        return (false, None);
    };
    let mut col = Column::new(name.clone());
    let mut desc = false;
    let mut autoinc = None;
    for c in inner {
        match c.as_rule() {
            Rule::type_name => {
                col.declared = normalise_ws(c.as_str());
                let (tn, args) = split_type(&col.declared);
                col.type_name = tn;
                col.type_args = args;
                col.affinity = Affinity::of_declared(&col.declared);
            }
            Rule::column_constraint => {
                let mut cname = None;
                for k in c.into_inner() {
                    match k.as_rule() {
                        Rule::constraint_name => {
                            cname = first_inner(&k, Rule::name).map(name_of);
                        }
                        Rule::pk_cc => {
                            for x in k.into_inner() {
                                match x.as_rule() {
                                    Rule::sort_order => {
                                        desc = x.as_str().eq_ignore_ascii_case("desc")
                                    }
                                    Rule::AUTOINCREMENT => autoinc = Some(name.clone()),
                                    _ => {}
                                }
                            }
                            if t.primary_key.is_none() {
                                t.primary_key = Some(KeyConstraint {
                                    name: cname.take(),
                                    columns: vec![name.clone()],
                                });
                            }
                        }
                        Rule::not_null_cc => col.not_null = true,
                        Rule::null_cc => {}
                        Rule::unique_cc => t.uniques.push(KeyConstraint {
                            name: cname.take(),
                            columns: vec![name.clone()],
                        }),
                        Rule::check_cc => {
                            if let Some(e) = first_inner(&k, Rule::expr) {
                                t.checks.push(Check {
                                    name: cname.take(),
                                    expr: Expr::new(e.as_str().trim()),
                                    column: Some(name.clone()),
                                });
                            }
                        }
                        Rule::default_cc => col.default = default_value(k),
                        Rule::collate_clause => {
                            col.collation = first_inner(&k, Rule::name).map(name_of)
                        }
                        Rule::fk_clause => {
                            t.foreign_keys
                                .push(fk_clause(k, cname.take(), vec![name.clone()]));
                        }
                        Rule::generated_cc => {
                            let stored =
                                k.clone().into_inner().any(|x| x.as_rule() == Rule::STORED);
                            if let Some(e) = first_inner(&k, Rule::expr) {
                                col.generated = Some(Generated {
                                    expr: Expr::new(e.as_str().trim()),
                                    stored,
                                });
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    t.columns.push(col);
    (desc, autoinc)
}

/// The DEFAULT value as an expression text. `DEFAULT (expr)` keeps the
/// inner text; an identifier-like word or `"text"` is SQLite's string
/// literal and becomes `'text'`; TRUE/FALSE, numbers, literals as written.
fn default_value(p: Pair<'_, Rule>) -> Option<Expr> {
    let v = p.into_inner().find(|x| x.as_rule() != Rule::DEFAULT)?;
    Some(Expr::new(match v.as_rule() {
        Rule::paren_default => first_inner(&v, Rule::expr)
            .map(|e| e.as_str().trim().to_string())
            .unwrap_or_default(),
        Rule::default_word => sql_string(&name_of(v)),
        Rule::signed_number => v.as_str().chars().filter(|c| !c.is_whitespace()).collect(),
        _ => v.as_str().trim().to_string(),
    }))
}

fn fk_clause(p: Pair<'_, Rule>, name: Option<String>, columns: Vec<String>) -> ForeignKey {
    let mut fk = ForeignKey {
        name,
        columns,
        ref_table: String::new(),
        ref_columns: Vec::new(),
        on_delete: None,
        on_update: None,
        deferrable: None,
    };
    for x in p.into_inner() {
        match x.as_rule() {
            Rule::qualified_name => fk.ref_table = qualified(x),
            Rule::name_list => fk.ref_columns = x.into_inner().map(name_of).collect(),
            Rule::fk_on => {
                let mut it = x.into_inner();
                let (_, event, action) = (it.next(), it.next(), it.next());
                let action = action.map(|a| normalise_ws(a.as_str()).to_ascii_uppercase());
                match event.map(|e| e.as_rule()) {
                    Some(Rule::DELETE) => fk.on_delete = action,
                    Some(Rule::UPDATE) => fk.on_update = action,
                    _ => {}
                }
            }
            Rule::deferrable => {
                let not = x.clone().into_inner().any(|k| k.as_rule() == Rule::NOT);
                let deferred = x
                    .clone()
                    .into_inner()
                    .any(|k| k.as_rule() == Rule::DEFERRED);
                fk.deferrable = Some(if not {
                    Deferrable::NotDeferrable
                } else if deferred {
                    Deferrable::InitiallyDeferred
                } else {
                    Deferrable::InitiallyImmediate
                });
            }
            _ => {}
        }
    }
    fk
}

/// Indexed columns as IR. A key that is just an identifier is a column.
fn indexed_list(p: Pair<'_, Rule>) -> Vec<IndexedColumn> {
    p.into_inner()
        .filter(|x| x.as_rule() == Rule::indexed_column)
        .map(|x| {
            let mut col = IndexedColumn {
                column: None,
                expr: Expr::new(""),
                collation: None,
                desc: false,
            };
            for k in x.into_inner() {
                match k.as_rule() {
                    Rule::index_expr => {
                        let text = k.as_str().trim();
                        col.expr = Expr::new(text);
                        col.column = DdlParser::parse(Rule::name, text)
                            .ok()
                            .and_then(|mut ps| ps.next())
                            .filter(|n| n.as_str().len() == text.len())
                            .map(name_of);
                    }
                    Rule::collate_clause => {
                        col.collation = first_inner(&k, Rule::name).map(name_of)
                    }
                    Rule::sort_order => col.desc = k.as_str().eq_ignore_ascii_case("desc"),
                    _ => {}
                }
            }
            col
        })
        .collect()
}

fn key_columns(cols: &[IndexedColumn]) -> Vec<String> {
    cols.iter()
        .map(|c| c.column.clone().unwrap_or_else(|| c.expr.sql.clone()))
        .collect()
}

/// Adds a table constraint; returns the AUTOINCREMENT column of a
/// `PRIMARY KEY (x AUTOINCREMENT)`.
fn table_constraint(t: &mut Table, p: Pair<'_, Rule>) -> Option<String> {
    let mut cname = None;
    let mut autoinc = None;
    for k in p.into_inner() {
        match k.as_rule() {
            Rule::constraint_name => cname = first_inner(&k, Rule::name).map(name_of),
            Rule::pk_tc | Rule::unique_tc => {
                let is_pk = k.as_rule() == Rule::pk_tc;
                let has_autoinc = k
                    .clone()
                    .into_inner()
                    .any(|x| x.as_rule() == Rule::AUTOINCREMENT);
                let cols = first_inner(&k, Rule::indexed_list)
                    .map(indexed_list)
                    .unwrap_or_default();
                let key = KeyConstraint {
                    name: cname.take(),
                    columns: key_columns(&cols),
                };
                if is_pk {
                    if has_autoinc {
                        autoinc = key.columns.first().cloned();
                    }
                    if t.primary_key.is_none() {
                        t.primary_key = Some(key);
                    }
                } else {
                    t.uniques.push(key);
                }
            }
            Rule::check_tc => {
                if let Some(e) = first_inner(&k, Rule::expr) {
                    t.checks.push(Check {
                        name: cname.take(),
                        expr: Expr::new(e.as_str().trim()),
                        column: None,
                    });
                }
            }
            Rule::fk_tc => {
                let cols = first_inner(&k, Rule::name_list)
                    .map(|l| l.into_inner().map(name_of).collect())
                    .unwrap_or_default();
                if let Some(f) = first_inner(&k, Rule::fk_clause) {
                    t.foreign_keys.push(fk_clause(f, cname.take(), cols));
                }
            }
            _ => {}
        }
    }
    autoinc
}

fn build_index(stmt: Pair<'_, Rule>, sql: String) -> Index {
    let mut ix = Index {
        name: String::new(),
        table: String::new(),
        unique: false,
        columns: Vec::new(),
        where_clause: None,
        sql,
        line: None,
    };
    for p in stmt.into_inner() {
        match p.as_rule() {
            Rule::UNIQUE => ix.unique = true,
            Rule::qualified_name => ix.name = qualified(p),
            Rule::name => ix.table = name_of(p),
            Rule::indexed_list => ix.columns = indexed_list(p),
            Rule::where_expr => ix.where_clause = Some(Expr::new(p.as_str().trim())),
            _ => {}
        }
    }
    ix
}

// ---------------------------------------------------------------------------
// Whole scripts
// ---------------------------------------------------------------------------

/// 1-based (line, column) of byte `offset` in `text` (column in characters).
/// 1-based line and column of byte offsets in one text; line starts are
/// found once, so a script of many statements costs linear time.
struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        (line, self.text[start..offset].chars().count() + 1)
    }
}

/// Parses a whole DDL script into a schema (see the module docs).
pub fn parse_script(text: &str, origin: &str) -> (Schema, Diagnostics) {
    let mut schema = Schema {
        source: SourceKind::Ddl,
        origin: origin.to_string(),
        tables: Vec::new(),
        indexes: Vec::new(),
        views: Vec::new(),
        triggers: Vec::new(),
        sequences: BTreeMap::new(),
        unreadable: Vec::new(),
    };
    let mut diags = Diagnostics::default();
    let mut skipped = 0usize;
    let lines = LineIndex::new(text);
    for st in split_statements(text) {
        let (line, col) = lines.line_col(st.offset);
        let first = st
            .tokens
            .first()
            .map(|t| text[t.start..t.end].to_ascii_uppercase());
        match first.as_deref() {
            Some("CREATE") => {}
            Some("INSERT") | Some("REPLACE") => {
                if !read_sequence_insert(text, &st.tokens, &mut schema.sequences) {
                    skipped += 1;
                }
                continue;
            }
            Some("DROP") => {
                apply_drop(text, &st.tokens, &mut schema);
                continue;
            }
            Some("ALTER") => {
                diags.push(
                    Diagnostic::warning(
                        Stage::Source,
                        "ddl-alter-not-applied",
                        format!("ALTER statement not applied: {}", normalise_ws(st.text)),
                    )
                    .with_span(Span::file_line(origin, line, col))
                    .with_help(
                        "run the script against SQLite and read the resulting database instead",
                    ),
                );
                continue;
            }
            _ => {
                skipped += 1;
                continue;
            }
        }
        match parse_statement(st.text) {
            Ok(ref stmt) if existing_name(&schema, stmt).is_some() => {
                // SQLite ignores `CREATE … IF NOT EXISTS` of an existing
                // object and refuses a plain CREATE of one.
                let if_not_exists = st
                    .tokens
                    .iter()
                    .take(5)
                    .any(|t| text[t.start..t.end].eq_ignore_ascii_case("IF"));
                if !if_not_exists {
                    let reason = existing_name(&schema, stmt).unwrap_or_default();
                    diags.push(
                        Diagnostic::error(Stage::Source, "ddl-duplicate-name", format!("{reason} (SQLite refuses this statement)"))
                            .with_span(Span::file_line(origin, line, col))
                            .with_help("drop the earlier definition (DROP TABLE) or remove this one; the statement stands as a comment in 03_constraints.sql"),
                    );
                    schema.unreadable.push(crate::ir::sqlite::Unreadable {
                        line,
                        sql: st.text.trim().to_string(),
                        reason,
                    });
                }
            }
            Ok(Statement::Table(mut pt)) => {
                if pt.as_select {
                    diags.push(
                        Diagnostic::error(
                            Stage::Source,
                            "create-table-as-select",
                            format!(
                                "CREATE TABLE {} AS SELECT: columns cannot be known from the text",
                                pt.table.name
                            ),
                        )
                        .with_span(Span::file_line(origin, line, col))
                        .with_help("read the database file instead of its DDL"),
                    );
                }
                pt.table.line = Some(line);
                schema.tables.push(pt.table);
            }
            Ok(Statement::Index(mut ix)) => {
                ix.line = Some(line);
                schema.indexes.push(ix);
            }
            Ok(Statement::View(mut v)) => {
                v.line = Some(line);
                schema.views.push(v);
            }
            Ok(Statement::Trigger(mut tr)) => {
                tr.line = Some(line);
                schema.triggers.push(tr);
            }
            Err(e) => {
                let (l, c) = if e.line == 1 {
                    (line, col + e.column - 1)
                } else {
                    (line + e.line - 1, e.column)
                };
                diags.push(
                    Diagnostic::error(
                        Stage::Source,
                        "ddl-parse-error",
                        format!("cannot parse statement: {}", e.message),
                    )
                    .with_span(Span::file_line(origin, l, c))
                    .with_help("the statement stands as a comment in 03_constraints.sql; fix it in the script, or read the database file instead"),
                );
                schema.unreadable.push(crate::ir::sqlite::Unreadable {
                    line,
                    sql: st.text.trim().to_string(),
                    reason: e.message.clone(),
                });
            }
        }
    }
    classify_internal(&mut schema.tables, &[]);
    if skipped > 0 {
        diags.push(
            Diagnostic::note(
                Stage::Source,
                "non-ddl-statements-skipped",
                format!("{skipped} statement(s) that are not schema definitions were skipped"),
            )
            .with_span(Span {
                file: Some(origin.to_string()),
                ..Default::default()
            }),
        );
    }
    (schema, diags)
}

/// "table t already exists" when `stmt` creates an object whose name (ASCII
/// case folded, as SQLite compares) the script defined before: tables,
/// indexes and views share one namespace, triggers have their own.
fn existing_name(schema: &Schema, stmt: &Statement) -> Option<String> {
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let relation = |n: &str| {
        schema
            .tables
            .iter()
            .find(|t| same(&t.name, n))
            .map(|t| ("table", &t.name))
            .or_else(|| {
                schema
                    .indexes
                    .iter()
                    .find(|i| same(&i.name, n))
                    .map(|i| ("index", &i.name))
            })
            .or_else(|| {
                schema
                    .views
                    .iter()
                    .find(|v| same(&v.name, n))
                    .map(|v| ("view", &v.name))
            })
    };
    let (kind, name) = match stmt {
        Statement::Table(pt) => relation(&pt.table.name)?,
        Statement::Index(ix) => relation(&ix.name)?,
        Statement::View(v) => relation(&v.name)?,
        Statement::Trigger(tr) => schema
            .triggers
            .iter()
            .find(|t| same(&t.name, &tr.name))
            .map(|t| ("trigger", &t.name))?,
    };
    Some(format!("{kind} {name} already exists"))
}

/// `DROP TABLE|INDEX|VIEW|TRIGGER [IF EXISTS] [schema.]name`: removes an
/// object defined earlier in the script (a dump's `DROP … IF EXISTS`).
fn apply_drop(text: &str, toks: &[Token], schema: &mut Schema) {
    let Some(kind) = toks
        .get(1)
        .map(|t| text[t.start..t.end].to_ascii_uppercase())
    else {
        return;
    };
    let name = toks
        .iter()
        .skip(2)
        .filter(|t| matches!(t.kind, Tok::Word | Tok::Quoted | Tok::Str))
        .map(|t| &text[t.start..t.end])
        .rfind(|w| !w.eq_ignore_ascii_case("IF") && !w.eq_ignore_ascii_case("EXISTS"))
        .map(unquote);
    let Some(name) = name else { return };
    let same = |n: &str| n.eq_ignore_ascii_case(&name);
    match kind.as_str() {
        "TABLE" => {
            if let Some(i) = schema.tables.iter().position(|t| same(&t.name)) {
                schema.tables.remove(i);
                schema.indexes.retain(|x| !same(&x.table));
                schema.triggers.retain(|x| !same(&x.table));
            }
        }
        "INDEX" => schema.indexes.retain(|x| !same(&x.name)),
        "VIEW" => schema.views.retain(|x| !same(&x.name)),
        "TRIGGER" => schema.triggers.retain(|x| !same(&x.name)),
        _ => {}
    }
}

/// `INSERT INTO sqlite_sequence [(name, seq)] VALUES ('t', 5), …` → the
/// sequences map. Returns false when the statement is another INSERT.
fn read_sequence_insert(text: &str, toks: &[Token], seqs: &mut BTreeMap<String, i64>) -> bool {
    let target = toks
        .iter()
        .skip(1)
        .find(|t| {
            !word_is(text, t, "INTO") && !word_is(text, t, "OR") && !word_is(text, t, "REPLACE")
        })
        .map(|t| unquote(&text[t.start..t.end]));
    if !target.is_some_and(|n| n.eq_ignore_ascii_case("sqlite_sequence")) {
        return false;
    }
    let Some(values) = toks.iter().position(|t| word_is(text, t, "VALUES")) else {
        return true;
    };
    let mut name: Option<String> = None;
    let mut neg = false;
    for t in &toks[values + 1..] {
        let s = &text[t.start..t.end];
        match t.kind {
            Tok::LParen => {
                name = None;
                neg = false;
            }
            Tok::Str if name.is_none() => name = Some(unquote(s)),
            Tok::Other if s == "-" => neg = true,
            Tok::Other => {
                if let (Some(n), Ok(v)) = (name.take(), s.parse::<i64>()) {
                    seqs.insert(n, if neg { -v } else { v });
                }
            }
            _ => {}
        }
    }
    true
}

/// Module-specific shadow-table suffixes (sqlite.org/fts5.html,
/// fts3.html, rtree.html).
fn shadow_suffixes(module: &str) -> &'static [&'static str] {
    match module.to_ascii_lowercase().as_str() {
        "fts5" => &["data", "idx", "content", "docsize", "config"],
        "fts3" | "fts4" => &["content", "segments", "segdir", "docsize", "stat"],
        "rtree" | "rtree_i32" | "geopoly" => &["node", "rowid", "parent"],
        _ => &[],
    }
}

/// Marks SQLite's own tables (`sqlite_*`) and the shadow tables of virtual
/// tables as [`TableKind::Internal`]. `extra_shadow` names tables SQLite
/// itself reports as shadow tables (`PRAGMA table_list`).
pub fn classify_internal(tables: &mut [Table], extra_shadow: &[String]) {
    let mut shadows: Vec<(String, String)> = Vec::new();
    let mut vec0: Vec<String> = Vec::new();
    for t in tables.iter() {
        if let TableKind::Virtual { module, .. } = &t.kind {
            for s in shadow_suffixes(module) {
                shadows.push((
                    format!("{}_{s}", t.name).to_ascii_lowercase(),
                    format!("shadow table of {module} virtual table {}", t.name),
                ));
            }
            if super::vec0::is_vec0(t) {
                vec0.push(t.name.clone());
            }
        }
    }
    let vec0_reason = |name: &str| {
        vec0.iter()
            .find(|v| super::vec0::is_shadow(v, name))
            .map(|v| format!("shadow table of vec0 virtual table {v}"))
    };
    for t in tables.iter_mut() {
        if !matches!(t.kind, TableKind::Ordinary) {
            continue;
        }
        let lower = t.name.to_ascii_lowercase();
        if lower.starts_with("sqlite_") {
            t.kind = TableKind::Internal {
                reason: format!("SQLite internal table {}", t.name),
            };
        } else if let Some((_, reason)) = shadows.iter().find(|(n, _)| *n == lower) {
            t.kind = TableKind::Internal {
                reason: reason.clone(),
            };
        } else if let Some(reason) = vec0_reason(&t.name) {
            t.kind = TableKind::Internal { reason };
        } else if extra_shadow.iter().any(|n| n.eq_ignore_ascii_case(&t.name)) {
            t.kind = TableKind::Internal {
                reason: format!("shadow table {} (reported by SQLite)", t.name),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Severity;

    fn script(sql: &str) -> Schema {
        let (s, d) = parse_script(sql, "t.sql");
        assert!(!d.has_errors(), "{:?}", d);
        s
    }

    fn table(sql: &str) -> Table {
        let s = script(sql);
        assert_eq!(s.tables.len(), 1, "{sql}");
        s.tables.into_iter().next().unwrap()
    }

    fn col<'a>(t: &'a Table, name: &str) -> &'a Column {
        t.columns.iter().find(|c| c.name == name).unwrap()
    }

    #[test]
    fn type_names_are_any_run_of_words_with_signed_arguments() {
        let t = table(
            "CREATE TABLE t (a UNSIGNED BIG INT, b NATIVE CHARACTER(70), c VARYING CHARACTER ( 255 ),
             d DOUBLE PRECISION, e datetime(6), f CHAR(0), g, h NUMERIC(10, -2), i smallint unsigned NOT NULL)",
        );
        let got: Vec<(&str, &str, Vec<i64>, Affinity)> = t
            .columns
            .iter()
            .map(|c| {
                (
                    c.declared.as_str(),
                    c.type_name.as_str(),
                    c.type_args.clone(),
                    c.affinity,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "UNSIGNED BIG INT",
                    "UNSIGNED BIG INT",
                    vec![],
                    Affinity::Integer
                ),
                (
                    "NATIVE CHARACTER(70)",
                    "NATIVE CHARACTER",
                    vec![70],
                    Affinity::Text
                ),
                (
                    "VARYING CHARACTER ( 255 )",
                    "VARYING CHARACTER",
                    vec![255],
                    Affinity::Text
                ),
                (
                    "DOUBLE PRECISION",
                    "DOUBLE PRECISION",
                    vec![],
                    Affinity::Real
                ),
                ("datetime(6)", "DATETIME", vec![6], Affinity::Numeric),
                ("CHAR(0)", "CHAR", vec![0], Affinity::Text),
                ("", "", vec![], Affinity::Blob),
                (
                    "NUMERIC(10, -2)",
                    "NUMERIC",
                    vec![10, -2],
                    Affinity::Numeric
                ),
                (
                    "smallint unsigned",
                    "SMALLINT UNSIGNED",
                    vec![],
                    Affinity::Integer
                ),
            ]
        );
        assert!(col(&t, "i").not_null);
    }

    #[test]
    fn integer_non_null_typo_is_type_integer_non_then_a_null_constraint() {
        let t =
            table("CREATE TABLE books (id INTEGER PRIMARY KEY, flag INTEGER NON NULL DEFAULT 0)");
        let c = col(&t, "flag");
        assert_eq!(c.declared, "INTEGER NON");
        assert_eq!(c.type_name, "INTEGER NON");
        assert!(!c.not_null);
        assert_eq!(c.default, Some(Expr::new("0")));
    }

    #[test]
    fn default_forms_are_kept_as_expression_text() {
        let t = table(
            r#"CREATE TABLE t (a TEXT DEFAULT "", b TEXT DEFAULT "it's", c INT DEFAULT -1,
               d INT DEFAULT (strftime('%s','now')), e BOOLEAN DEFAULT FALSE,
               f TEXT DEFAULT CURRENT_TIMESTAMP, g TEXT DEFAULT 'x''y', h BLOB DEFAULT x'00ff',
               i TEXT DEFAULT NULL, j TEXT DEFAULT abc, k TEXT DEFAULT (randomblob(16)))"#,
        );
        let d = |n: &str| col(&t, n).default.as_ref().map(|e| e.sql.clone());
        assert_eq!(d("a").as_deref(), Some("''"));
        assert_eq!(d("b").as_deref(), Some("'it''s'"));
        assert_eq!(d("c").as_deref(), Some("-1"));
        assert_eq!(d("d").as_deref(), Some("strftime('%s','now')"));
        assert_eq!(d("e").as_deref(), Some("FALSE"));
        assert_eq!(d("f").as_deref(), Some("CURRENT_TIMESTAMP"));
        assert_eq!(d("g").as_deref(), Some("'x''y'"));
        assert_eq!(d("h").as_deref(), Some("x'00ff'"));
        assert_eq!(d("i").as_deref(), Some("NULL"));
        assert_eq!(d("j").as_deref(), Some("'abc'"));
        assert_eq!(d("k").as_deref(), Some("randomblob(16)"));
    }

    #[test]
    fn without_rowid_and_strict_in_either_order() {
        for opts in ["WITHOUT ROWID, STRICT", "STRICT, WITHOUT ROWID", "strict"] {
            let t = table(&format!(
                "CREATE TABLE t (k TEXT PRIMARY KEY, v ANY) {opts}"
            ));
            assert!(t.strict, "{opts}");
            assert_eq!(t.without_rowid, opts.contains("WITHOUT"), "{opts}");
            assert!(col(&t, "k").not_null, "{opts}: key columns are NOT NULL");
        }
    }

    #[test]
    fn rowid_alias_needs_integer_sole_key_on_a_rowid_table() {
        let s = script(
            "CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT);
             CREATE TABLE b (id INTEGER PRIMARY KEY DESC);
             CREATE TABLE c (id INTEGER, PRIMARY KEY (id DESC));
             CREATE TABLE d (id INTEGER PRIMARY KEY) WITHOUT ROWID;
             CREATE TABLE e (id INT PRIMARY KEY);
             CREATE TABLE f (x INTEGER, y INTEGER, PRIMARY KEY (x, y));
             CREATE TABLE g (id integer primary key);",
        );
        let alias: Vec<bool> = s.tables.iter().map(|t| t.columns[0].rowid_alias).collect();
        assert_eq!(alias, vec![true, false, true, false, false, false, true]);
        assert!(s.tables[0].columns[0].autoincrement);
        let f = &s.tables[5];
        assert_eq!((f.columns[0].pk_position, f.columns[1].pk_position), (1, 2));
        assert_eq!(
            f.primary_key.as_ref().map(|k| k.columns.clone()),
            Some(vec!["x".to_string(), "y".to_string()])
        );
    }

    #[test]
    fn quoted_identifiers_are_unquoted_with_case_preserved() {
        let t = table(
            "CREATE TABLE [Order Details] (\"Order\"\"ID\" INTEGER, `Unit Price` NUMERIC(10,2), [select] TEXT, 'group' TEXT)",
        );
        assert_eq!(t.name, "Order Details");
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["Order\"ID", "Unit Price", "select", "group"]);
        let t = table("CREATE TABLE IF NOT EXISTS main.\"t\" (a)");
        assert_eq!(t.name, "t");
    }

    #[test]
    fn composite_foreign_key_with_actions_match_and_deferrable() {
        let t = table(
            "CREATE TABLE c (a INT, b INT, p INT REFERENCES parent ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
               CONSTRAINT fk_ab FOREIGN KEY (a, b) REFERENCES \"Parent Two\" (x, y)
                 ON UPDATE CASCADE ON DELETE NO ACTION MATCH SIMPLE NOT DEFERRABLE,
               FOREIGN KEY (b) REFERENCES p3 DEFERRABLE INITIALLY IMMEDIATE)",
        );
        assert_eq!(t.foreign_keys.len(), 3);
        let p = &t.foreign_keys[0];
        assert_eq!(p.columns, vec!["p"]);
        assert_eq!(p.ref_table, "parent");
        assert!(p.ref_columns.is_empty());
        assert_eq!(p.on_delete.as_deref(), Some("SET NULL"));
        assert_eq!(p.deferrable, Some(Deferrable::InitiallyDeferred));
        let ab = &t.foreign_keys[1];
        assert_eq!(ab.name.as_deref(), Some("fk_ab"));
        assert_eq!(ab.columns, vec!["a", "b"]);
        assert_eq!(ab.ref_table, "Parent Two");
        assert_eq!(ab.ref_columns, vec!["x", "y"]);
        assert_eq!(ab.on_update.as_deref(), Some("CASCADE"));
        assert_eq!(ab.on_delete.as_deref(), Some("NO ACTION"));
        assert_eq!(ab.deferrable, Some(Deferrable::NotDeferrable));
        assert_eq!(
            t.foreign_keys[2].deferrable,
            Some(Deferrable::InitiallyImmediate)
        );
    }

    #[test]
    fn column_constraints_also_produce_table_level_entries() {
        let t = table(
            "CREATE TABLE t (id INTEGER CONSTRAINT pk PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE,
               age INT CONSTRAINT adult CHECK (age >= 18), kind TEXT CHECK (kind IN ('a', 'b)')),
               UNIQUE (kind, age) ON CONFLICT REPLACE, CHECK (length(email) > 3))",
        );
        assert_eq!(
            t.primary_key,
            Some(KeyConstraint {
                name: Some("pk".into()),
                columns: vec!["id".into()]
            })
        );
        assert_eq!(t.uniques.len(), 2);
        assert_eq!(t.uniques[0].columns, vec!["email"]);
        assert_eq!(t.uniques[1].columns, vec!["kind", "age"]);
        assert_eq!(col(&t, "email").collation.as_deref(), Some("NOCASE"));
        let checks: Vec<(Option<&str>, &str, Option<&str>)> = t
            .checks
            .iter()
            .map(|c| (c.name.as_deref(), c.expr.sql.as_str(), c.column.as_deref()))
            .collect();
        assert_eq!(
            checks,
            vec![
                (Some("adult"), "age >= 18", Some("age")),
                (None, "kind IN ('a', 'b)')", Some("kind")),
                (None, "length(email) > 3", None),
            ]
        );
    }

    #[test]
    fn generated_columns_keep_expression_and_storage() {
        let t = table(
            "CREATE TABLE w (doc TEXT, cat TEXT GENERATED ALWAYS as (json_extract(doc, '$.meta.category')) VIRTUAL NOT NULL,
               n INT AS (length(doc)) STORED, m INT AS (1))",
        );
        let g = |n: &str| col(&t, n).generated.clone().unwrap();
        assert_eq!(g("cat").expr.sql, "json_extract(doc, '$.meta.category')");
        assert!(!g("cat").stored);
        assert!(col(&t, "cat").not_null);
        assert!(g("n").stored);
        assert!(!g("m").stored);
    }

    #[test]
    fn indexes_partial_expression_desc_and_collate() {
        let s = script(
            "CREATE TABLE t (a TEXT, b INT, meta JSON);
             CREATE UNIQUE INDEX IF NOT EXISTS ix1 ON t (a COLLATE NOCASE DESC, b) WHERE b IS NOT NULL AND a != '';
             CREATE INDEX ix2 ON t (JSON_EXTRACT(meta, '$.x'), lower(a) COLLATE BINARY ASC, \"b\" DESC);
             CREATE INDEX `description` ON `t` (`a`);",
        );
        let ix1 = &s.indexes[0];
        assert!(ix1.unique);
        assert_eq!(ix1.table, "t");
        assert_eq!(ix1.columns[0].column.as_deref(), Some("a"));
        assert_eq!(ix1.columns[0].collation.as_deref(), Some("NOCASE"));
        assert!(ix1.columns[0].desc);
        assert_eq!(
            ix1.where_clause.as_ref().map(|e| e.sql.as_str()),
            Some("b IS NOT NULL AND a != ''")
        );
        let ix2 = &s.indexes[1];
        assert_eq!(ix2.columns[0].column, None);
        assert_eq!(ix2.columns[0].expr.sql, "JSON_EXTRACT(meta, '$.x')");
        assert_eq!(ix2.columns[1].expr.sql, "lower(a)");
        assert_eq!(ix2.columns[1].collation.as_deref(), Some("BINARY"));
        assert!(!ix2.columns[1].desc);
        assert_eq!(ix2.columns[2].column.as_deref(), Some("b"));
        assert!(ix2.columns[2].desc);
        assert_eq!(s.indexes[2].name, "description");
        assert_eq!(s.indexes[2].line, Some(4));
    }

    #[test]
    fn fts5_arguments_are_split_on_top_level_commas_and_shadows_are_internal() {
        let s = script(
            "CREATE VIRTUAL TABLE \"searchable_fts\" USING FTS5 (text1, text2, [name with . and spaces], content=\"searchable\", tokenize='porter unicode61', prefix='2 3');
             CREATE TABLE 'searchable_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
             CREATE TABLE 'searchable_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
             CREATE TABLE searchable (id INTEGER PRIMARY KEY, text1 TEXT);
             CREATE TABLE sqlite_sequence(name,seq);
             CREATE VIRTUAL TABLE r USING rtree(id, minX, maxX);",
        );
        match &s.tables[0].kind {
            TableKind::Virtual { module, args } => {
                assert_eq!(module, "FTS5");
                assert_eq!(
                    args,
                    &vec![
                        "text1".to_string(),
                        "text2".into(),
                        "[name with . and spaces]".into(),
                        "content=\"searchable\"".into(),
                        "tokenize='porter unicode61'".into(),
                        "prefix='2 3'".into(),
                    ]
                );
            }
            k => panic!("{k:?}"),
        }
        let kinds: Vec<&str> = s
            .tables
            .iter()
            .map(|t| match t.kind {
                TableKind::Ordinary => "ordinary",
                TableKind::Virtual { .. } => "virtual",
                TableKind::Internal { .. } => "internal",
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                "virtual", "internal", "internal", "ordinary", "internal", "virtual"
            ]
        );
    }

    #[test]
    fn trigger_bodies_with_semicolons_and_case_end_are_one_statement() {
        let s = script(
            "CREATE TABLE t (a INT, b TEXT);
             CREATE TRIGGER tr AFTER UPDATE OF a ON t FOR EACH ROW
             BEGIN
               UPDATE t SET b = CASE WHEN new.a > 0 THEN 'pos' ELSE 'neg' END WHERE rowid = new.rowid;
               INSERT INTO log VALUES ('x;y');
             END;
             CREATE TEMP TRIGGER IF NOT EXISTS tr2 BEFORE DELETE ON \"t\" BEGIN SELECT RAISE(ABORT, 'no'); END;
             CREATE VIEW v AS SELECT a FROM t;",
        );
        assert_eq!(s.triggers.len(), 2);
        assert_eq!(s.triggers[0].name, "tr");
        assert_eq!(s.triggers[0].table, "t");
        assert!(s.triggers[0].sql.ends_with("END"));
        assert!(s.triggers[0].sql.contains("'x;y'"));
        assert_eq!(s.triggers[0].line, Some(2));
        assert_eq!(s.triggers[1].table, "t");
        assert_eq!(s.views.len(), 1);
        assert_eq!(s.views[0].line, Some(8));
    }

    #[test]
    fn non_ddl_statements_comments_and_dot_commands_are_skipped_with_one_note() {
        let (s, d) = parse_script(
            "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n-- comment; with semicolon\n\
             CREATE TABLE a (x /* ; */ INT);\n--> statement-breakpoint\nINSERT INTO a VALUES(1);\n\
             .separator \"^\"\n.import data/x.txt a\nINSERT INTO sqlite_sequence VALUES('a',5);\n\
             INSERT INTO \"sqlite_sequence\" (name, seq) VALUES ('b', 7), ('c', -1);\nANALYZE;\nCOMMIT;\n",
            "dump.sql",
        );
        assert!(!d.has_errors());
        assert_eq!(s.tables.len(), 1);
        assert_eq!(s.tables[0].line, Some(4));
        assert_eq!(s.tables[0].columns[0].declared, "INT");
        assert_eq!(s.sequences.get("a"), Some(&5));
        assert_eq!(s.sequences.get("b"), Some(&7));
        assert_eq!(s.sequences.get("c"), Some(&-1));
        let notes: Vec<_> = d.iter().filter(|x| x.severity == Severity::Note).collect();
        assert_eq!(notes.len(), 1);
        assert!(notes[0].message.starts_with("7 "), "{}", notes[0].message);
    }

    #[test]
    fn a_name_defined_twice_is_an_error_kept_verbatim_unless_if_not_exists() {
        let (s, d) = parse_script(
            "CREATE TABLE t (a);\nCREATE INDEX ix ON t (a);\nCREATE INDEX IX ON t (a);\n\
             CREATE VIEW t AS SELECT 1;\nCREATE TABLE IF NOT EXISTS T (b);\n\
             CREATE INDEX IF NOT EXISTS ix ON t (a);",
            "x.sql",
        );
        assert_eq!((s.tables.len(), s.indexes.len(), s.views.len()), (1, 1, 0));
        let codes: Vec<_> = d.iter().map(|x| (x.code.as_str(), x.span.line)).collect();
        assert_eq!(
            codes,
            [
                ("ddl-duplicate-name", Some(3)),
                ("ddl-duplicate-name", Some(4))
            ]
        );
        let kept: Vec<_> = s.unreadable.iter().map(|u| u.sql.as_str()).collect();
        assert_eq!(
            kept,
            ["CREATE INDEX IX ON t (a)", "CREATE VIEW t AS SELECT 1"]
        );
    }

    #[test]
    fn parse_errors_report_file_line_column_and_parsing_continues() {
        let (s, d) = parse_script(
            "CREATE TABLE ok1 (a INT);\n\nCREATE TABLE bad (a INT,\n  b INT PRIMARY);\nCREATE TABLE ok2 (b INT);",
            "x.sql",
        );
        assert_eq!(s.tables.len(), 2);
        let errs: Vec<_> = d.iter().filter(|x| x.severity == Severity::Error).collect();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].code, "ddl-parse-error");
        assert_eq!(errs[0].span.file.as_deref(), Some("x.sql"));
        assert_eq!(errs[0].span.line, Some(4));
        assert_eq!(errs[0].span.column, Some(16));
    }

    #[test]
    fn create_table_as_select_is_an_error_but_kept() {
        let (s, d) = parse_script("CREATE TABLE t2 AS SELECT * FROM t;", "x.sql");
        assert_eq!(s.tables.len(), 1);
        assert!(
            d.iter()
                .any(|x| x.code == "create-table-as-select" && x.severity == Severity::Error)
        );
    }

    #[test]
    fn drop_if_exists_removes_an_earlier_definition() {
        let s = script(
            "CREATE TABLE food (id INT);\nCREATE INDEX fi ON food(id);\nDROP TABLE IF EXISTS `food`;\nCREATE TABLE food (id int PRIMARY KEY NOT NULL, g int REFERENCES food_group(id) NOT NULL);",
        );
        assert_eq!(s.tables.len(), 1);
        assert!(s.indexes.is_empty());
        let g = col(&s.tables[0], "g");
        assert!(g.not_null);
        assert_eq!(s.tables[0].foreign_keys[0].ref_table, "food_group");
        assert!(!s.tables[0].columns[0].rowid_alias);
    }

    #[test]
    fn table_level_autoincrement_and_conflict_clauses() {
        let t = table(
            "CREATE TABLE t (id INTEGER NOT NULL ON CONFLICT FAIL, v TEXT UNIQUE ON CONFLICT IGNORE, PRIMARY KEY (id AUTOINCREMENT))",
        );
        assert!(col(&t, "id").autoincrement);
        assert!(col(&t, "id").rowid_alias);
        assert!(col(&t, "id").not_null);
    }
}
