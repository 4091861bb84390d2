//! SQLite expressions → PostgreSQL expressions, through the sqlparser AST.
//!
//! Input: the text of one SQLite expression as it appears in a schema (a
//! CHECK, a DEFAULT, a partial-index WHERE, an index key, a generated
//! column) and an [`ExprContext`] naming the columns in scope and the type
//! the value lands in. Output: PostgreSQL SQL text ([`Translated`]) or the
//! reason it cannot be translated ([`Untranslatable`]).
//!
//! How: the text is tokenized and parsed with sqlparser's `SQLiteDialect`
//! (after a token-level rewrite of SQLite's `a IS b` / `a IS NOT b` /
//! `a ISNULL`, which sqlparser does not parse), then the tree is printed by
//! our own PostgreSQL printer. The printer knows PostgreSQL's operator
//! precedence, so it drops redundant parentheses and adds the ones
//! PostgreSQL needs (SQLite's `||` binds tighter than `*`, PostgreSQL's
//! looser than `+`).
//!
//! Invariants:
//! - Every construct the printer does not know is an [`Untranslatable`]
//!   naming it — never a silent approximation. Deliberate inexact mappings
//!   (`LIKE` → `ILIKE`, `max(a,b)` → `greatest`) add a reviewer note.
//! - Identifiers are printed with [`crate::ident::quote_ident`], literals
//!   with [`crate::ident::quote_literal`].
//! - A column whose PostgreSQL type is `boolean` is compared with `true` /
//!   `false` where SQLite compared it with `1` / `0`.
//! - The translator tracks a coarse value kind per sub-expression (boolean,
//!   integer, text, bytes, timestamp...) from column types and functions;
//!   a `now` value (`CURRENT_TIMESTAMP`, `strftime('%s','now')`...) is shaped
//!   by the type it lands in: the DEFAULT's `target_type`, or the column it
//!   is compared with.
//!
//! Entry points: [`translate_expr`] (raw), [`translate_default`] (a DEFAULT:
//! parenthesised where PostgreSQL's `DEFAULT b_expr` needs it),
//! [`translate_predicate`] (CHECK / WHERE: result is boolean),
//! [`translate_index_key`] (an index element: parenthesised unless it is a
//! column or a function call).

pub mod appfn;
mod frame_exclusion;
mod funcs;
pub mod query;
mod time;
pub mod trigger;

pub use time::TimeSource;

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod query_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod trigger_tests;

use std::collections::{BTreeMap, BTreeSet};

use sqlparser::ast::{BinaryOperator, CastKind, Expr, Ident, UnaryOperator, Value};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use crate::ident::{quote_ident, quote_literal};

/// What the translator knows about a column an expression may reference.
#[derive(Debug, Clone)]
pub struct ColumnInfo {
    /// Final PostgreSQL name (unquoted).
    pub pg_name: String,
    /// Chosen PostgreSQL type (`boolean`, `timestamptz`, `text`, ...).
    pub pg_type: String,
    /// The SQLite storage class (`typeof`) of every non-NULL value as the
    /// column now holds it — `integer` for bigint, boolean and epoch
    /// timestamps, `text` for text, uuid-as-text and ISO timestamps, `blob`
    /// for bytea — or `None` when that depends on the value (numeric).
    pub sqlite_class: Option<&'static str>,
    /// What the values were as SQLite time values (ISO text, Julian days,
    /// epoch seconds), when they were: `strftime(fmt, column)` reads them so.
    pub time: Option<TimeSource>,
}

/// The scope of an expression.
#[derive(Debug, Clone, Default)]
pub struct ExprContext {
    /// SQLite column name, lower-cased → what it became.
    pub columns: BTreeMap<String, ColumnInfo>,
    /// The PostgreSQL type the expression's value lands in (a DEFAULT's or
    /// generated column's type), when known; shapes `CURRENT_TIMESTAMP` etc.
    pub target_type: Option<String>,
    /// The target has pgcrypto: `randomblob(n)` becomes `gen_random_bytes(n)`;
    /// without it, a core expression over `gen_random_uuid()`.
    pub pgcrypto: bool,
    /// Application functions declared in the rule pack: a call of one
    /// with a `postgres` override becomes that expression.
    pub functions: appfn::AppFunctions,
}

/// A translated expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translated {
    pub sql: String,
    /// Extensions the expression needs (`pgcrypto`), sorted, unique.
    pub extensions: Vec<String>,
    /// Notes for the reviewer about inexact but deliberate mappings.
    pub notes: Vec<String>,
}

/// Why an expression could not be translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untranslatable {
    pub reason: String,
}

impl Untranslatable {
    fn new(reason: impl Into<String>) -> Self {
        Untranslatable {
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Untranslatable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Untranslatable {}

type R<T> = Result<T, Untranslatable>;

fn fail<T>(reason: impl Into<String>) -> R<T> {
    Err(Untranslatable::new(reason))
}

/// Translate one SQLite expression.
pub fn translate_expr(sql: &str, ctx: &ExprContext) -> Result<Translated, Untranslatable> {
    let (frag, t) = translate_frag(sql, ctx, target_kind(ctx))?;
    Ok(t.finish(frag.sql))
}

/// Translate a column DEFAULT: like [`translate_expr`], and parenthesised
/// when the result is not a valid PostgreSQL `DEFAULT b_expr` on its own
/// (`AT TIME ZONE`, `IS NULL`, `AND`, ...).
pub fn translate_default(sql: &str, ctx: &ExprContext) -> Result<Translated, Untranslatable> {
    let (frag, t) = translate_frag(sql, ctx, target_kind(ctx))?;
    let sql =
        if matches!(frag.prec, prec::CMP | prec::OTHER..=prec::MUL) || frag.prec >= prec::UNARY {
            frag.sql
        } else {
            format!("({})", frag.sql)
        };
    Ok(t.finish(sql))
}

/// Translate a CHECK expression or a partial-index WHERE clause: the result
/// is a PostgreSQL boolean (`CHECK (flags)` on an integer becomes
/// `flags <> 0`). `ctx.target_type` is ignored.
pub fn translate_predicate(sql: &str, ctx: &ExprContext) -> Result<Translated, Untranslatable> {
    let (frag, t) = translate_frag(sql, ctx, Some(Kind::Bool))?;
    Ok(t.finish(frag.sql))
}

/// Translate one index key expression: the result can stand in a
/// `CREATE INDEX ... (<here>, ...)` list — parenthesised unless it is a
/// plain column or a function call, as PostgreSQL requires.
pub fn translate_index_key(sql: &str, ctx: &ExprContext) -> Result<Translated, Untranslatable> {
    let (frag, t) = translate_frag(sql, ctx, target_kind(ctx))?;
    let sql = if frag.bare_ok {
        frag.sql
    } else {
        format!("({})", frag.sql)
    };
    Ok(t.finish(sql))
}

fn target_kind(ctx: &ExprContext) -> Option<Kind> {
    ctx.target_type.as_deref().map(Kind::of_pg_type)
}

fn translate_frag<'c>(
    sql: &str,
    ctx: &'c ExprContext,
    target: Option<Kind>,
) -> R<(Frag, Translator<'c>)> {
    let expr = parse_sqlite_expr(sql)?;
    let mut t = Translator::new(ctx, None);
    let frag = t.expr(&expr, target)?;
    let frag = t.fit_target(frag, target)?;
    Ok((frag, t))
}

/// When `sql` only tests the storage class of one column — `typeof(c) =
/// 'text'`, `typeof(c) IN ('integer', 'null')`, `c IS NULL`, joined by OR —
/// that column (as written) and the classes it allows (`null` for IS NULL).
/// GDAL writes such CHECKs; a PostgreSQL type implies them.
pub fn typeof_test(sql: &str) -> Option<(String, BTreeSet<String>)> {
    fn column_of_typeof(e: &Expr) -> Option<String> {
        let Expr::Function(f) = e else { return None };
        if !f.name.to_string().eq_ignore_ascii_case("typeof") {
            return None;
        }
        let args = f.args.to_string();
        let inner = args.trim().strip_prefix('(')?.strip_suffix(')')?.trim();
        let id = parse_sqlite_expr(inner).ok()?;
        column_name(&id)
    }
    fn column_name(e: &Expr) -> Option<String> {
        match e {
            Expr::Identifier(id) => Some(id.value.clone()),
            Expr::Nested(inner) => column_name(inner),
            _ => None,
        }
    }
    fn class(e: &Expr) -> Option<String> {
        match e {
            Expr::Value(v) => match &v.value {
                Value::SingleQuotedString(s) => Some(s.to_ascii_lowercase()),
                _ => None,
            },
            _ => None,
        }
    }
    fn walk(e: &Expr, col: &mut Option<String>, out: &mut BTreeSet<String>) -> Option<()> {
        let mut same = |c: String| match col {
            Some(k) if !k.eq_ignore_ascii_case(&c) => None,
            Some(_) => Some(()),
            None => {
                *col = Some(c);
                Some(())
            }
        };
        match e {
            Expr::Nested(inner) => walk(inner, col, out),
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Or,
                right,
            } => {
                walk(left, col, out)?;
                walk(right, col, out)
            }
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Eq,
                right,
            } => {
                let (c, k) = match (column_of_typeof(left), column_of_typeof(right)) {
                    (Some(c), _) => (c, class(right)?),
                    (_, Some(c)) => (c, class(left)?),
                    _ => return None,
                };
                same(c)?;
                out.insert(k);
                Some(())
            }
            Expr::InList {
                expr,
                list,
                negated: false,
            } => {
                same(column_of_typeof(expr)?)?;
                for v in list {
                    out.insert(class(v)?);
                }
                Some(())
            }
            Expr::IsNull(inner) => {
                same(column_name(inner)?)?;
                out.insert("null".into());
                Some(())
            }
            _ => None,
        }
    }
    let e = parse_sqlite_expr(sql).ok()?;
    let mut col = None;
    let mut out = BTreeSet::new();
    walk(&e, &mut col, &mut out)?;
    Some((col?, out))
}

/// Parse one SQLite expression; trailing input is an error.
fn parse_sqlite_expr(sql: &str) -> R<Expr> {
    let dialect = SQLiteDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| Untranslatable::new(format!("cannot tokenize SQLite expression: {e}")))?;
    let tokens = rewrite_sqlite_tokens(sql, tokens)?;
    let mut parser = Parser::new(&dialect).with_tokens_with_locations(tokens);
    let expr = parser
        .parse_expr()
        .map_err(|e| Untranslatable::new(format!("cannot parse SQLite expression: {e}")))?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        return fail(format!(
            "cannot parse SQLite expression: unexpected `{}` after the expression",
            next.token
        ));
    }
    Ok(expr)
}

fn is_keyword(t: Option<&TokenWithSpan>, kws: &[Keyword]) -> bool {
    matches!(t, Some(TokenWithSpan { token: Token::Word(w), .. })
        if w.quote_style.is_none() && kws.contains(&w.keyword))
}

/// The character at a token's start, from its 1-based line and column.
fn char_at(sql: &str, tok: &TokenWithSpan) -> Option<char> {
    let start = tok.span.start;
    let line = sql
        .split('\n')
        .nth(usize::try_from(start.line).ok()?.checked_sub(1)?)?;
    line.chars()
        .nth(usize::try_from(start.column).ok()?.checked_sub(1)?)
}

/// Token-level fixes before parsing: SQLite's `a IS b` / `a IS NOT b` (any
/// operand) and `a ISNULL` in terms sqlparser understands (`IS [NOT]
/// DISTINCT FROM`, `IS NULL`), and hex integers (`0x1F`, which sqlparser
/// reads as the blob `X'1F'`) as decimal numbers; window frame exclusions
/// (see [`frame_exclusion`]).
fn rewrite_sqlite_tokens(sql: &str, tokens: Vec<TokenWithSpan>) -> R<Vec<TokenWithSpan>> {
    const IS_FORMS: &[Keyword] = &[
        Keyword::NULL,
        Keyword::TRUE,
        Keyword::FALSE,
        Keyword::UNKNOWN,
        Keyword::DISTINCT,
        Keyword::JSON,
    ];
    let tokens: Vec<TokenWithSpan> = tokens
        .into_iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .map(|t| match &t.token {
            Token::HexStringLiteral(h) if char_at(sql, &t) == Some('0') => {
                // SQLite reads hex integers as 64-bit two's complement.
                let v = u64::from_str_radix(h, 16)
                    .map_err(|_| Untranslatable::new(format!("malformed hex integer 0x{h}")))?;
                let v = v as i64;
                let number = Token::Number(v.unsigned_abs().to_string(), false);
                Ok(if v < 0 {
                    vec![
                        TokenWithSpan::wrap(Token::Minus),
                        TokenWithSpan::wrap(number),
                    ]
                } else {
                    vec![TokenWithSpan::wrap(number)]
                })
            }
            _ => Ok(vec![t]),
        })
        .collect::<R<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    let kw = |k: &str| TokenWithSpan::wrap(Token::make_keyword(k));
    let mut out = Vec::with_capacity(tokens.len() + 4);
    let mut i = 0;
    while i < tokens.len() {
        let tok = &tokens[i];
        let next = tokens.get(i + 1);
        if let Token::Word(w) = &tok.token {
            if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("ISNULL") {
                out.push(kw("IS"));
                out.push(kw("NULL"));
                i += 1;
                continue;
            }
            if w.quote_style.is_none() && w.keyword == Keyword::IS {
                out.push(tok.clone());
                if is_keyword(next, &[Keyword::NOT]) {
                    if !is_keyword(tokens.get(i + 2), IS_FORMS) {
                        out.push(kw("DISTINCT"));
                        out.push(kw("FROM"));
                        i += 2;
                        continue;
                    }
                } else if !is_keyword(next, IS_FORMS) {
                    out.push(kw("NOT"));
                    out.push(kw("DISTINCT"));
                    out.push(kw("FROM"));
                }
                i += 1;
                continue;
            }
        }
        out.push(tok.clone());
        i += 1;
    }
    frame_exclusion::mark(out)
}

/// PostgreSQL operator precedence levels, loosest first (PostgreSQL docs,
/// "Operator Precedence").
mod prec {
    pub const OR: u8 = 1;
    pub const AND: u8 = 2;
    pub const NOT: u8 = 3;
    pub const IS: u8 = 4;
    pub const CMP: u8 = 5;
    /// `BETWEEN`, `IN`, `LIKE`, `ILIKE`.
    pub const LIKE: u8 = 6;
    /// Any other operator: `||`, `#>>`, `~`, `&`, `|`, `<<`, `>>`.
    pub const OTHER: u8 = 7;
    pub const ADD: u8 = 8;
    pub const MUL: u8 = 9;
    pub const AT: u8 = 10;
    pub const COLLATE: u8 = 11;
    pub const UNARY: u8 = 12;
    /// `::`.
    pub const CAST: u8 = 13;
    pub const ATOM: u8 = 14;
}

/// The coarse kind of a value, enough to choose between mappings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    Real,
    Numeric,
    Text,
    Bytes,
    Timestamptz,
    Timestamp,
    Date,
    Time,
    Json,
    Null,
    /// A type we know nothing about (`uuid`, a domain, no type at all).
    Other,
}

impl Kind {
    fn of_pg_type(pg_type: &str) -> Kind {
        let t = pg_type.trim().to_ascii_lowercase();
        let base = t.split('(').next().unwrap_or("").trim();
        match base {
            "boolean" | "bool" => Kind::Bool,
            "bigint" | "integer" | "int" | "smallint" | "int2" | "int4" | "int8" | "serial"
            | "bigserial" | "smallserial" => Kind::Int,
            "double precision" | "real" | "float4" | "float8" | "float" => Kind::Real,
            "numeric" | "decimal" => Kind::Numeric,
            "text" | "varchar" | "character varying" | "char" | "character" | "citext"
            | "bpchar" | "name" => Kind::Text,
            "bytea" => Kind::Bytes,
            "timestamptz" | "timestamp with time zone" => Kind::Timestamptz,
            "timestamp" | "timestamp without time zone" => {
                if t.contains("with time zone") && !t.contains("without") {
                    Kind::Timestamptz
                } else {
                    Kind::Timestamp
                }
            }
            "date" => Kind::Date,
            "time" | "time without time zone" => Kind::Time,
            "json" | "jsonb" => Kind::Json,
            _ => Kind::Other,
        }
    }

    fn is_numeric(self) -> bool {
        matches!(self, Kind::Int | Kind::Real | Kind::Numeric)
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Bool => "boolean",
            Kind::Int => "integer",
            Kind::Real => "real",
            Kind::Numeric => "numeric",
            Kind::Text => "text",
            Kind::Bytes => "bytea",
            Kind::Timestamptz => "timestamptz",
            Kind::Timestamp => "timestamp",
            Kind::Date => "date",
            Kind::Time => "time",
            Kind::Json => "json",
            Kind::Null => "NULL",
            Kind::Other => "unknown-type",
        }
    }
}

/// A printed PostgreSQL sub-expression.
#[derive(Debug, Clone)]
struct Frag {
    sql: String,
    /// Precedence of the outermost operator (see [`prec`]).
    prec: u8,
    kind: Kind,
    /// The value, when this is an integer literal (`-1` included).
    int_lit: Option<i64>,
    /// The value, when this is a string literal.
    str_lit: Option<String>,
    /// A column reference or function call: may stand bare in an index.
    bare_ok: bool,
}

impl Frag {
    fn new(sql: impl Into<String>, prec: u8, kind: Kind) -> Frag {
        Frag {
            sql: sql.into(),
            prec,
            kind,
            int_lit: None,
            str_lit: None,
            bare_ok: false,
        }
    }

    fn atom(sql: impl Into<String>, kind: Kind) -> Frag {
        Frag::new(sql, prec::ATOM, kind)
    }

    /// A function call `name(args)`.
    fn call(sql: impl Into<String>, kind: Kind) -> Frag {
        let mut f = Frag::atom(sql, kind);
        f.bare_ok = true;
        f
    }

    /// The SQL, parenthesised when it binds looser than `min`.
    fn wrap(&self, min: u8) -> String {
        if self.prec < min {
            format!("({})", self.sql)
        } else {
            self.sql.clone()
        }
    }

    /// `self::ty`.
    fn cast(&self, ty: &str) -> String {
        format!("{}::{ty}", self.wrap(prec::ATOM))
    }
}

struct Translator<'c> {
    ctx: &'c ExprContext,
    /// A view's query scope (tables, aliases, outer queries), when the
    /// expression is part of a SELECT; `None` for schema expressions.
    scope: Option<&'c query::Scope<'c>>,
    extensions: BTreeSet<String>,
    notes: Vec<String>,
}

impl<'c> Translator<'c> {
    fn new(ctx: &'c ExprContext, scope: Option<&'c query::Scope<'c>>) -> Self {
        Translator {
            ctx,
            scope,
            extensions: BTreeSet::new(),
            notes: Vec::new(),
        }
    }

    fn finish(self, sql: String) -> Translated {
        Translated {
            sql,
            extensions: self.extensions.into_iter().collect(),
            notes: self.notes,
        }
    }

    fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    fn extension(&mut self, name: &str) {
        self.extensions.insert(name.to_string());
    }

    /// Make the top-level value fit the type it lands in.
    fn fit_target(&mut self, f: Frag, target: Option<Kind>) -> R<Frag> {
        match target {
            Some(Kind::Bool) => self.as_bool(f),
            Some(Kind::Json) => {
                if let Some(s) = &f.str_lit
                    && serde_json::from_str::<serde_json::Value>(s).is_err()
                {
                    return fail(format!(
                        "{} is not a JSON document, so it cannot be a json/jsonb value",
                        f.sql
                    ));
                }
                Ok(f)
            }
            Some(k) if k.is_numeric() => {
                if let Some(s) = &f.str_lit
                    && s.trim().parse::<f64>().is_err()
                {
                    return fail(format!(
                        "text {} is not a number, so it cannot be a {} value",
                        f.sql,
                        k.name()
                    ));
                }
                Ok(f)
            }
            _ => Ok(f),
        }
    }

    fn column(&self, name: &str) -> Option<Frag> {
        let info = self
            .ctx
            .columns
            // Keyed by SQLite's case folding: ASCII only ("Ä" and "ä" differ).
            .get(&name.to_ascii_lowercase())?;
        let mut f = Frag::atom(quote_ident(&info.pg_name), Kind::of_pg_type(&info.pg_type));
        f.bare_ok = true;
        Some(f)
    }

    /// What the scope knows of the column `e` names, bare or qualified.
    fn column_info(&self, e: &Expr) -> Option<&ColumnInfo> {
        if let Some(s) = self.scope {
            return s.info(e);
        }
        self.ctx.columns.get(&column_name(e)?.to_ascii_lowercase())
    }

    fn ident(&mut self, id: &Ident) -> R<Frag> {
        if let Some(found) = self.scope.and_then(|s| s.column(None, &id.value)) {
            return found;
        }
        if let Some(f) = self.column(&id.value) {
            return Ok(f);
        }
        if id.quote_style == Some('"') {
            self.note(format!(
                "\"{}\" names no column, so SQLite reads it as the string '{}'",
                id.value, id.value
            ));
            return Ok(string_literal(&id.value));
        }
        if is_rowid(&id.value) {
            return fail(format!(
                "`{}` is SQLite's implicit row id, which PostgreSQL does not have",
                id.value
            ));
        }
        fail(format!("unknown column `{}`", id.value))
    }

    fn value(&mut self, v: &Value) -> R<Frag> {
        match v {
            Value::Number(s, _) => number_literal(s),
            Value::SingleQuotedString(s) => Ok(string_literal(s)),
            Value::HexStringLiteral(h) => {
                if h.len() % 2 != 0 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
                    return fail(format!("malformed blob literal X'{h}'"));
                }
                Ok(Frag::new(
                    format!("'\\x{}'::bytea", h.to_ascii_lowercase()),
                    prec::CAST,
                    Kind::Bytes,
                ))
            }
            Value::Boolean(b) => Ok(Frag::atom(if *b { "true" } else { "false" }, Kind::Bool)),
            Value::Null => Ok(Frag::atom("NULL", Kind::Null)),
            Value::Placeholder(p) => fail(format!("bound parameter `{p}`")),
            other => fail(format!("unsupported literal `{other}`")),
        }
    }

    /// A value used as a condition: SQLite treats non-zero numbers as true.
    fn as_bool(&mut self, f: Frag) -> R<Frag> {
        match f.kind {
            Kind::Bool | Kind::Null | Kind::Other => Ok(f),
            k if k.is_numeric() => Ok(match f.int_lit {
                Some(0) => Frag::atom("false", Kind::Bool),
                Some(_) => Frag::atom("true", Kind::Bool),
                None => Frag::new(
                    format!("{} <> 0", f.wrap(prec::CMP + 1)),
                    prec::CMP,
                    Kind::Bool,
                ),
            }),
            k => fail(format!(
                "a {} value ({}) used as a condition",
                k.name(),
                f.sql
            )),
        }
    }

    /// A value used as a number: booleans become 0/1.
    fn as_num(&self, f: Frag) -> Frag {
        if f.kind == Kind::Bool {
            Frag::new(f.cast("integer"), prec::CAST, Kind::Int)
        } else {
            f
        }
    }

    /// In a view or trigger, a text operand of arithmetic as the number
    /// SQLite reads from it: the longest numeric prefix after leading
    /// whitespace, 0 when there is none, NULL for NULL. A literal is read
    /// here (an integer without `.` or exponent, as in SQLite); anything
    /// else by the same pattern in SQL, as `numeric`: exact for both of
    /// SQLite's readings, and division by it is refused like a NUMERIC
    /// column's (SQLite divides the integers it reads as integers).
    fn text_number(&mut self, f: Frag) -> R<Frag> {
        if f.kind != Kind::Text || self.scope.is_none() {
            return Ok(f);
        }
        if let Some(s) = &f.str_lit {
            return number_literal(numeric_prefix(s).unwrap_or("0"));
        }
        self.note(
            "arithmetic on text: the text's leading number (0 when it has none), as SQLite \
             reads it, as numeric",
        );
        let pattern = quote_literal(&format!("^[{SQLITE_SPACE}]*({NUMERIC_PREFIX})"));
        Ok(Frag::new(
            format!(
                "CASE WHEN {t} IS NOT NULL THEN coalesce(substring({t} FROM {pattern}), '0')\
                 ::numeric END",
                t = f.wrap(prec::CMP + 1)
            ),
            prec::ATOM,
            Kind::Numeric,
        ))
    }

    /// Make `peer` comparable with a boolean: `0`/`1` literals become
    /// `false`/`true`; returns `None` when it stays numeric.
    fn bool_peer(&mut self, peer: &Frag) -> Option<Frag> {
        match peer.kind {
            Kind::Bool | Kind::Null | Kind::Other | Kind::Text => Some(peer.clone()),
            _ => match peer.int_lit {
                Some(0) => Some(Frag::atom("false", Kind::Bool)),
                Some(1) => Some(Frag::atom("true", Kind::Bool)),
                _ => None,
            },
        }
    }

    /// Bring a set of values compared with each other to common ground:
    /// when one is boolean, 0/1 literals become false/true; when a boolean
    /// meets a number that is not 0/1, the boolean becomes an integer.
    fn unify(&mut self, frags: Vec<Frag>) -> Vec<Frag> {
        if !frags.iter().any(|f| f.kind == Kind::Bool) {
            return frags;
        }
        let peers: Vec<Option<Frag>> = frags
            .iter()
            .map(|f| {
                if f.kind == Kind::Bool {
                    Some(f.clone())
                } else {
                    self.bool_peer(f)
                }
            })
            .collect();
        if peers.iter().all(Option::is_some) {
            peers.into_iter().flatten().collect()
        } else {
            frags.into_iter().map(|f| self.as_num(f)).collect()
        }
    }

    fn pair(&mut self, l: Frag, r: Frag) -> (Frag, Frag) {
        let mut v = self.unify(vec![l, r]).into_iter();
        match (v.next(), v.next()) {
            (Some(a), Some(b)) => (a, b),
            // unify keeps the length; unreachable in practice.
            _ => (
                Frag::atom("NULL", Kind::Null),
                Frag::atom("NULL", Kind::Null),
            ),
        }
    }

    fn expr(&mut self, e: &Expr, hint: Option<Kind>) -> R<Frag> {
        match e {
            Expr::Nested(inner) => self.expr(inner, hint),
            Expr::Identifier(id) => self.ident(id),
            Expr::CompoundIdentifier(parts) if self.scope.is_some() => match parts.as_slice() {
                [table, col] => self
                    .scope
                    .and_then(|s| s.column(Some(&table.value), &col.value))
                    .unwrap_or_else(|| {
                        if is_rowid(&col.value) {
                            fail(format!(
                                "`{e}` is SQLite's implicit row id, which PostgreSQL does not have"
                            ))
                        } else {
                            fail(format!("unknown column `{e}`"))
                        }
                    }),
                _ => fail(format!("unsupported qualified name `{e}`")),
            },
            Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [_table, col] => self
                    .column(&col.value)
                    .ok_or_else(|| Untranslatable::new(format!("unknown column `{e}`"))),
                _ => fail(format!("unsupported qualified name `{e}`")),
            },
            Expr::Value(v) => self.value(&v.value),
            Expr::BinaryOp { left, op, right } => self.binary(left, op, right),
            Expr::UnaryOp { op, expr } => self.unary(op, expr),
            Expr::IsNull(x) | Expr::IsNotNull(x) => {
                let f = self.expr(x, None)?;
                let not = if matches!(e, Expr::IsNotNull(_)) {
                    " NOT"
                } else {
                    ""
                };
                Ok(Frag::new(
                    format!("{} IS{not} NULL", f.wrap(prec::IS + 1)),
                    prec::IS,
                    Kind::Bool,
                ))
            }
            Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => {
                let l = self.expr(a, None)?;
                let r = self.expr(b, time_hint(l.kind))?;
                let (l, r) = self.pair(l, r);
                let not = if matches!(e, Expr::IsNotDistinctFrom(..)) {
                    " NOT"
                } else {
                    ""
                };
                Ok(Frag::new(
                    format!(
                        "{} IS{not} DISTINCT FROM {}",
                        l.wrap(prec::IS + 1),
                        r.wrap(prec::IS + 1)
                    ),
                    prec::IS,
                    Kind::Bool,
                ))
            }
            Expr::IsTrue(x) | Expr::IsNotTrue(x) | Expr::IsFalse(x) | Expr::IsNotFalse(x) => {
                let f = self.expr(x, None)?;
                let f = self.as_bool(f)?;
                let test = match e {
                    Expr::IsTrue(_) => "IS TRUE",
                    Expr::IsNotTrue(_) => "IS NOT TRUE",
                    Expr::IsFalse(_) => "IS FALSE",
                    _ => "IS NOT FALSE",
                };
                Ok(Frag::new(
                    format!("{} {test}", f.wrap(prec::IS + 1)),
                    prec::IS,
                    Kind::Bool,
                ))
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => self.in_list(expr, list, *negated),
            Expr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let x = self.expr(expr, None)?;
                let lo = self.expr(low, time_hint(x.kind))?;
                let hi = self.expr(high, time_hint(x.kind))?;
                let v = self.unify(vec![x, lo, hi]);
                let not = if *negated { "NOT " } else { "" };
                Ok(Frag::new(
                    format!(
                        "{} {not}BETWEEN {} AND {}",
                        v[0].wrap(prec::OTHER),
                        v[1].wrap(prec::OTHER),
                        v[2].wrap(prec::OTHER)
                    ),
                    prec::LIKE,
                    Kind::Bool,
                ))
            }
            Expr::Like {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            } => {
                if *any {
                    return fail("LIKE ANY is not SQLite");
                }
                self.like(expr, pattern, escape_char.as_deref(), *negated)
            }
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => self.case(operand.as_deref(), conditions, else_result.as_deref(), hint),
            Expr::Cast {
                kind,
                expr,
                data_type,
                format,
            } => {
                if *kind != CastKind::Cast || format.is_some() {
                    return fail(format!("unsupported cast `{e}`"));
                }
                self.cast(expr, &data_type.to_string())
            }
            Expr::Function(f) => funcs::call(self, f, hint),
            Expr::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => funcs::substr(
                self,
                expr,
                substring_from.as_deref(),
                substring_for.as_deref(),
            ),
            Expr::Trim {
                expr,
                trim_where,
                trim_what,
                trim_characters,
            } => {
                if trim_where.is_some() || trim_what.is_some() {
                    return fail(format!("`{e}` is not SQLite's trim()"));
                }
                funcs::trim(self, "trim", expr, trim_characters.as_deref())
            }
            Expr::Ceil { expr, field } | Expr::Floor { expr, field } => {
                let name = if matches!(e, Expr::Ceil { .. }) {
                    "ceil"
                } else {
                    "floor"
                };
                if !matches!(
                    field,
                    sqlparser::ast::CeilFloorKind::DateTimeField(
                        sqlparser::ast::DateTimeField::NoDateTime
                    )
                ) {
                    return fail(format!("unsupported `{e}`"));
                }
                let x = self.expr(expr, None)?;
                let x = self.as_num(x);
                Ok(Frag::call(format!("{name}({})", x.sql), x.kind))
            }
            Expr::Collate { expr, collation } => {
                let x = self.expr(expr, hint)?;
                let name = collation.to_string();
                let name = name.trim_matches(|c| matches!(c, '"' | '`' | '[' | ']'));
                match name.to_ascii_uppercase().as_str() {
                    "BINARY" => Ok(Frag::new(
                        format!("{} COLLATE \"C\"", x.wrap(prec::COLLATE + 1)),
                        prec::COLLATE,
                        x.kind,
                    )),
                    "NOCASE" => fail(
                        "COLLATE NOCASE: PostgreSQL has no built-in ASCII case-insensitive \
                         collation (consider lower(), citext, or a nondeterministic ICU collation)",
                    ),
                    _ => fail(format!("COLLATE {name} has no PostgreSQL equivalent")),
                }
            }
            Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. }
                if self.scope.is_some() =>
            {
                query::subquery_expr(self, e)
            }
            Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. } => {
                fail("subquery in an expression")
            }
            other => fail(format!("unsupported expression `{other}`")),
        }
    }

    fn binary(&mut self, left: &Expr, op: &BinaryOperator, right: &Expr) -> R<Frag> {
        use BinaryOperator as B;
        match op {
            B::And | B::Or => {
                let (p, word) = if *op == B::And {
                    (prec::AND, "AND")
                } else {
                    (prec::OR, "OR")
                };
                let l = self.expr(left, None)?;
                let l = self.as_bool(l)?;
                let r = self.expr(right, None)?;
                let r = self.as_bool(r)?;
                Ok(Frag::new(
                    format!("{} {word} {}", l.wrap(p), r.wrap(p + 1)),
                    p,
                    Kind::Bool,
                ))
            }
            B::Eq | B::NotEq | B::Lt | B::Gt | B::LtEq | B::GtEq => {
                let sym = match op {
                    B::Eq => "=",
                    B::NotEq => "<>",
                    B::Lt => "<",
                    B::Gt => ">",
                    B::LtEq => "<=",
                    _ => ">=",
                };
                let l = self.expr(left, None)?;
                let r = self.expr(right, time_hint(l.kind))?;
                let (l, r) = self.pair(l, r);
                let (l, r) = if self.scope.is_some() {
                    query::compared(self, (left, l), (right, r), sym)?
                } else {
                    (l, r)
                };
                Ok(Frag::new(
                    format!("{} {sym} {}", l.wrap(prec::CMP + 1), r.wrap(prec::CMP + 1)),
                    prec::CMP,
                    Kind::Bool,
                ))
            }
            B::Plus | B::Minus | B::Multiply | B::Divide | B::Modulo => {
                let (p, sym) = match op {
                    B::Plus => (prec::ADD, "+"),
                    B::Minus => (prec::ADD, "-"),
                    B::Multiply => (prec::MUL, "*"),
                    B::Divide => (prec::MUL, "/"),
                    _ => (prec::MUL, "%"),
                };
                let l = self.expr(left, None)?;
                let l = self.text_number(self.as_num(l))?;
                let r = self.expr(right, None)?;
                let r = self.text_number(self.as_num(r))?;
                for f in [&l, &r] {
                    if !(f.kind.is_numeric() || matches!(f.kind, Kind::Null | Kind::Other)) {
                        return fail(format!(
                            "arithmetic on a {} value ({}): SQLite converts it to a number, \
                             PostgreSQL does not",
                            f.kind.name(),
                            f.sql
                        ));
                    }
                }
                let kind = arith_kind(l.kind, r.kind);
                let r = if self.scope.is_some() && matches!(op, B::Divide | B::Modulo) {
                    query::divisor(&l, r, kind, *op == B::Modulo)?
                } else {
                    r
                };
                Ok(Frag::new(
                    format!("{} {sym} {}", l.wrap(p), r.wrap(p + 1)),
                    p,
                    kind,
                ))
            }
            B::StringConcat => {
                // sqlparser gives `||` the precedence of `*`; in SQLite it binds
                // tighter, so `a * b || c` is `a * (b || c)`.
                if let Expr::BinaryOp {
                    left: l1,
                    op: mop @ (B::Multiply | B::Divide | B::Modulo),
                    right: r1,
                } = left
                {
                    let rotated = Expr::BinaryOp {
                        left: l1.clone(),
                        op: mop.clone(),
                        right: Box::new(Expr::BinaryOp {
                            left: r1.clone(),
                            op: B::StringConcat,
                            right: Box::new(right.clone()),
                        }),
                    };
                    return self.expr(&rotated, None);
                }
                let l = self.expr(left, None)?;
                let l = self.as_num(l);
                let r = self.expr(right, None)?;
                let r = self.as_num(r);
                let texty = |k: Kind| matches!(k, Kind::Text | Kind::Null | Kind::Other);
                let (ls, rs) = if texty(l.kind) || texty(r.kind) {
                    (l.wrap(prec::OTHER), r.wrap(prec::OTHER + 1))
                } else if l.kind == Kind::Bytes || r.kind == Kind::Bytes {
                    return fail(format!(
                        "`||` on a blob ({} || {}): SQLite concatenates text, PostgreSQL bytea",
                        l.sql, r.sql
                    ));
                } else {
                    (l.cast("text"), r.wrap(prec::OTHER + 1))
                };
                Ok(Frag::new(format!("{ls} || {rs}"), prec::OTHER, Kind::Text))
            }
            B::BitwiseAnd | B::BitwiseOr | B::PGBitwiseShiftLeft | B::PGBitwiseShiftRight => {
                let sym = match op {
                    B::BitwiseAnd => "&",
                    B::BitwiseOr => "|",
                    B::PGBitwiseShiftLeft => "<<",
                    _ => ">>",
                };
                let l = self.expr(left, None)?;
                let l = self.as_num(l);
                let r = self.expr(right, None)?;
                let r = self.as_num(r);
                Ok(Frag::new(
                    format!("{} {sym} {}", l.wrap(prec::OTHER), r.wrap(prec::OTHER + 1)),
                    prec::OTHER,
                    Kind::Int,
                ))
            }
            B::Glob => {
                let l = self.expr(left, None)?;
                let r = self.expr(right, None)?;
                funcs::glob(l, r)
            }
            B::Regexp => fail("REGEXP (needs an application-defined regexp() function in SQLite)"),
            B::Match => fail("MATCH (full-text search operator)"),
            B::Arrow => {
                let l = self.expr(left, None)?;
                let r = self.expr(right, None)?;
                funcs::json_arrow(l, r)
            }
            B::LongArrow => fail(
                "JSON operator `->>`: SQLite returns the value's own SQL type (numbers as \
                 numbers, true as 1), PostgreSQL's `->>` text",
            ),
            other => fail(format!("unsupported operator `{other}`")),
        }
    }

    fn unary(&mut self, op: &UnaryOperator, x: &Expr) -> R<Frag> {
        match op {
            UnaryOperator::Minus => {
                let f = self.expr(x, None)?;
                let f = self.as_num(f);
                if !(f.kind.is_numeric() || matches!(f.kind, Kind::Null | Kind::Other)) {
                    return fail(format!("negation of a {} value ({})", f.kind.name(), f.sql));
                }
                if let Some(neg) = f.int_lit.and_then(i64::checked_neg) {
                    let mut out = Frag::new(format!("-{}", f.sql), prec::UNARY, Kind::Int);
                    out.int_lit = Some(neg);
                    return Ok(out);
                }
                let inner = if f.prec <= prec::UNARY || f.sql.starts_with('-') {
                    format!("({})", f.sql)
                } else {
                    f.sql.clone()
                };
                Ok(Frag::new(format!("-{inner}"), prec::UNARY, f.kind))
            }
            UnaryOperator::Plus => self.expr(x, None),
            UnaryOperator::Not => {
                let f = self.expr(x, None)?;
                let f = self.as_bool(f)?;
                Ok(Frag::new(
                    format!("NOT {}", f.wrap(prec::NOT)),
                    prec::NOT,
                    Kind::Bool,
                ))
            }
            UnaryOperator::BitwiseNot => {
                let f = self.expr(x, None)?;
                let f = self.as_num(f);
                Ok(Frag::new(
                    format!("~{}", f.wrap(prec::UNARY + 1)),
                    prec::UNARY,
                    Kind::Int,
                ))
            }
            other => fail(format!("unsupported unary operator `{other}`")),
        }
    }

    fn in_list(&mut self, x: &Expr, list: &[Expr], negated: bool) -> R<Frag> {
        if list.is_empty() {
            // SQLite: `x IN ()` is false and `x NOT IN ()` true, even for NULL x.
            return Ok(Frag::atom(
                if negated { "true" } else { "false" },
                Kind::Bool,
            ));
        }
        let l = self.expr(x, None)?;
        let hint = time_hint(l.kind);
        let mut all = vec![l];
        for item in list {
            all.push(self.expr(item, hint)?);
        }
        let all = self.unify(all);
        let items: Vec<&str> = all[1..].iter().map(|f| f.sql.as_str()).collect();
        let not = if negated { "NOT " } else { "" };
        Ok(Frag::new(
            format!(
                "{} {not}IN ({})",
                all[0].wrap(prec::LIKE + 1),
                items.join(", ")
            ),
            prec::LIKE,
            Kind::Bool,
        ))
    }

    fn like(&mut self, x: &Expr, pattern: &Expr, escape: Option<&Expr>, negated: bool) -> R<Frag> {
        if self.scope.is_some() {
            return query::like(self, x, pattern, escape, negated);
        }
        let x = self.expr(x, None)?;
        let p = self.expr(pattern, None)?;
        let escape_sql = match escape {
            Some(e) => format!(" ESCAPE {}", self.expr(e, None)?.wrap(prec::OTHER)),
            // SQLite's LIKE has no escape character unless ESCAPE is given;
            // PostgreSQL's defaults to backslash.
            None => match &p.str_lit {
                Some(s) if !s.contains('\\') => String::new(),
                _ => " ESCAPE ''".to_string(),
            },
        };
        self.note(
            "LIKE → ILIKE: SQLite's LIKE ignores case for ASCII letters only; \
             PostgreSQL's ILIKE ignores case for all letters",
        );
        let not = if negated { "NOT " } else { "" };
        Ok(Frag::new(
            format!(
                "{} {not}ILIKE {}{escape_sql}",
                x.wrap(prec::OTHER),
                p.wrap(prec::OTHER)
            ),
            prec::LIKE,
            Kind::Bool,
        ))
    }

    fn case(
        &mut self,
        operand: Option<&Expr>,
        conditions: &[sqlparser::ast::CaseWhen],
        else_result: Option<&Expr>,
        hint: Option<Kind>,
    ) -> R<Frag> {
        let mut sql = String::from("CASE");
        let op = match operand {
            Some(o) => Some(self.expr(o, None)?),
            None => None,
        };
        let mut whens = Vec::new();
        for cw in conditions {
            let c = self.expr(&cw.condition, op.as_ref().and_then(|o| time_hint(o.kind)))?;
            whens.push(c);
        }
        let (op, whens) = match op {
            Some(o) => {
                let mut all = vec![o];
                all.extend(whens);
                let mut all = self.unify(all);
                let rest = all.split_off(1);
                (all.pop(), rest)
            }
            None => {
                let mut bools = Vec::new();
                for w in whens {
                    bools.push(self.as_bool(w)?);
                }
                (None, bools)
            }
        };
        if let Some(o) = &op {
            sql.push(' ');
            sql.push_str(&o.sql);
        }
        let mut results = Vec::new();
        for cw in conditions {
            results.push(self.expr(&cw.result, hint)?);
        }
        if let Some(e) = else_result {
            results.push(self.expr(e, hint)?);
        }
        let results = self.unify(results);
        for (w, r) in whens.iter().zip(&results) {
            sql.push_str(&format!(" WHEN {} THEN {}", w.sql, r.sql));
        }
        if else_result.is_some()
            && let Some(e) = results.last()
        {
            sql.push_str(&format!(" ELSE {}", e.sql));
        }
        sql.push_str(" END");
        let kind = results
            .iter()
            .map(|r| r.kind)
            .find(|k| *k != Kind::Null)
            .unwrap_or(Kind::Null);
        Ok(Frag::atom(sql, kind))
    }

    /// `CAST(x AS <sqlite type>)`, the type mapped by SQLite's affinity rules.
    fn cast(&mut self, x: &Expr, sqlite_type: &str) -> R<Frag> {
        let x = self.expr(x, None)?;
        let x = self.as_num(x);
        let t = sqlite_type.to_ascii_uppercase();
        let affinity = if t.contains("INT") {
            Kind::Int
        } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
            Kind::Text
        } else if t.contains("BLOB") || t.trim().is_empty() {
            Kind::Bytes
        } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
            Kind::Real
        } else {
            Kind::Numeric
        };
        let plain = |ty: &str, kind: Kind| Frag::call(format!("CAST({} AS {ty})", x.sql), kind);
        match affinity {
            Kind::Int => match x.kind {
                Kind::Int | Kind::Null => Ok(plain("bigint", Kind::Int)),
                Kind::Real | Kind::Numeric => Ok(Frag::call(
                    format!("CAST(trunc({}) AS bigint)", x.sql),
                    Kind::Int,
                )),
                _ => {
                    self.note(
                        "CAST(... AS INTEGER): PostgreSQL rejects text that is not an integer, \
                         where SQLite yields its numeric prefix or 0",
                    );
                    Ok(plain("bigint", Kind::Int))
                }
            },
            Kind::Text => match x.kind {
                Kind::Bytes => Ok(Frag::call(
                    format!("convert_from({}, 'UTF8')", x.sql),
                    Kind::Text,
                )),
                Kind::Real | Kind::Numeric | Kind::Other => {
                    self.note(
                        "CAST(... AS TEXT) of a real number: PostgreSQL and SQLite format \
                         some numbers differently (1.0 vs 1)",
                    );
                    Ok(plain("text", Kind::Text))
                }
                _ => Ok(plain("text", Kind::Text)),
            },
            Kind::Bytes => match x.kind {
                Kind::Bytes | Kind::Null => Ok(x),
                Kind::Text => Ok(Frag::call(
                    format!("convert_to({}, 'UTF8')", x.sql),
                    Kind::Bytes,
                )),
                Kind::Int => Ok(Frag::call(
                    format!("convert_to({}, 'UTF8')", x.cast("text")),
                    Kind::Bytes,
                )),
                k => fail(format!("CAST of a {} value to BLOB", k.name())),
            },
            Kind::Real => Ok(plain("double precision", Kind::Real)),
            _ => {
                if x.kind == Kind::Text {
                    self.note(
                        "CAST(... AS NUMERIC): PostgreSQL rejects text that is not a number, \
                         where SQLite yields its numeric prefix or 0",
                    );
                }
                Ok(plain("numeric", Kind::Numeric))
            }
        }
    }
}

/// The hint passed to the other side of a comparison: a `now` value
/// compared with a timestamp column takes the column's type.
fn time_hint(k: Kind) -> Option<Kind> {
    match k {
        Kind::Timestamptz | Kind::Timestamp | Kind::Date | Kind::Time | Kind::Int => Some(k),
        _ => None,
    }
}

fn arith_kind(a: Kind, b: Kind) -> Kind {
    match (a, b) {
        (Kind::Int, Kind::Int) => Kind::Int,
        (Kind::Real, _) | (_, Kind::Real) => Kind::Real,
        (Kind::Numeric, _) | (_, Kind::Numeric) => Kind::Numeric,
        (Kind::Null, k) | (k, Kind::Null) => k,
        _ => Kind::Other,
    }
}

/// `rowid`, `oid` or `_rowid_`: SQLite's names for the implicit row id.
fn is_rowid(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "rowid" | "oid" | "_rowid_"
    )
}

/// The column name `e` is, bare (`c`) or qualified (`t.c`), as written.
fn column_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Identifier(id) => Some(id.value.clone()),
        Expr::CompoundIdentifier(ids) => ids.last().map(|id| id.value.clone()),
        _ => None,
    }
}

fn string_literal(s: &str) -> Frag {
    let mut f = Frag::atom(quote_literal(s), Kind::Text);
    f.str_lit = Some(s.to_string());
    f
}

/// The characters SQLite skips before a number (`sqlite3Isspace`), as a
/// regular-expression class body.
const SQLITE_SPACE: &str = r" \t\n\v\f\r";
/// The number SQLite's `sqlite3AtoF` reads at the start of a text, as a
/// regular expression: digits with an optional fraction (or a fraction
/// alone), then an exponent only when it has digits.
const NUMERIC_PREFIX: &str = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?";

/// The number at the start of `s` the way [`NUMERIC_PREFIX`] reads it,
/// leading whitespace skipped and a `+` sign dropped; `None` when there
/// is none.
fn numeric_prefix(s: &str) -> Option<&str> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let b = t.as_bytes();
    let digits = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let sign = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int_end = digits(sign);
    let mut end = int_end;
    if b.get(end) == Some(&b'.') {
        let frac_end = digits(end + 1);
        if int_end > sign || frac_end > end + 1 {
            end = frac_end;
        }
    }
    if end == sign {
        return None;
    }
    if matches!(b.get(end), Some(b'e' | b'E')) {
        let exp = end + 1 + usize::from(matches!(b.get(end + 1), Some(b'+' | b'-')));
        let exp_end = digits(exp);
        if exp_end > exp {
            end = exp_end;
        }
    }
    Some(t[..end].trim_start_matches('+'))
}

fn number_literal(s: &str) -> R<Frag> {
    let digits = s.replace('_', "");
    if let Ok(i) = digits.parse::<i64>() {
        let mut f = Frag::atom(digits, Kind::Int);
        f.int_lit = Some(i);
        return Ok(f);
    }
    if digits.parse::<f64>().is_ok() {
        return Ok(Frag::atom(digits, Kind::Real));
    }
    fail(format!("malformed number `{s}`"))
}
