//! The `when:` predicate language of rules (grammar: `grammar/predicate.pest`).
//!
//! **Input:** the text of a rule's `when:` (parsed once, by [`Predicate::parse`])
//! and, per candidate object, a *facts document*: a JSON object whose
//! top-level keys (`table`, `column`, `profile`, `target`, `index`,
//! `default`, …) describe the object being considered.
//! **Output:** `true`/`false` from [`Predicate::eval`] (or any value from
//! [`Predicate::eval_value`]), and the list of paths the predicate reads from
//! [`Predicate::paths`] so the rule loader can reject misspelt names.
//! **Invariants:** parsing never panics; every syntax error carries a 1-based
//! line and column inside the predicate text; evaluation never panics and
//! reports type errors as `Err(message)`; regexes are compiled once, at parse.
//!
//! # The predicate language (for rule authors)
//!
//! A rule's `when:` is one expression that must come out `true` for the
//! rule to apply:
//!
//! ```text
//! when: column.affinity == "TEXT" and profile.non_null > 0 and profile.json_docs == profile.non_null
//! when: column.type_name in ["BOOLEAN", "BOOL"] or (profile.bool_ints + profile.nulls == profile.rows and profile.rows > 0)
//! when: column.name ~ "(?i)(^|_)(uuid|guid|id)$" and profile.blob16 == profile.blobs and not column.rowid_alias
//! when: "vector" in target.extensions and column.type_args[0] > 2
//! when: lower(column.collation) == "nocase" and len(table.foreign_keys) > 0
//! ```
//!
//! Spaces, tabs and newlines may appear between any two tokens, so a long
//! predicate can be written as a folded YAML block (`when: >-`).
//!
//! ## Values
//!
//! | form | examples | notes |
//! |---|---|---|
//! | string | `"TEXT"`, `'nocase'` | escapes: `\\` `\"` `\'` `\n` `\t`; any other backslash is kept as written, so `"^\d+$"` is the regex `^\d+$` |
//! | number | `0`, `42`, `1.5`, `2e3` | a leading `-` is the unary minus operator |
//! | boolean | `true`, `false` | |
//! | null | `null` | also what a missing fact reads as |
//! | list | `["BOOL", "BOOLEAN"]`, `[]` | elements are any expressions; a trailing comma is allowed |
//! | path | `column.name`, `column.type_args[0]` | see below |
//! | call | `lower(column.collation)` | see below |
//!
//! ## Paths
//!
//! A path is names joined by `.` (`table.name`, `profile.non_null`), each
//! name `[A-Za-z_][A-Za-z0-9_]*`, optionally followed by `[n]` to pick the
//! n-th element (from 0) of a list. A path must not *start* with a keyword
//! (`and or not in true false null`); after a `.` any name is fine.
//! A path that does not exist in the facts — a missing key, an index past the
//! end, a `.name` on something that is not an object — reads as `null`; it is
//! not an error. (The rule loader separately checks every path a predicate
//! reads against the known fact names, so a misspelling is still caught.)
//!
//! ## Functions
//!
//! | call | result |
//! |---|---|
//! | `lower(s)`, `upper(s)` | `s` in lower / upper case |
//! | `len(x)` | characters of a string, elements of a list, keys of an object |
//! | `starts_with(s, p)`, `ends_with(s, p)` | whether string `s` starts / ends with `p` |
//! | `contains(s, p)` | whether string `s` contains `p`; on a list, whether `p` is an element |
//!
//! Every function returns `null` if any argument is `null`. An unknown
//! function name, or the wrong number of arguments, is a syntax error.
//!
//! ## Operators
//!
//! From loosest to tightest binding (use parentheses to group otherwise):
//!
//! 1. `or`
//! 2. `and`
//! 3. `not`
//! 4. comparisons: `==` `!=` `<` `<=` `>` `>=`, `~` (regex match), `!~`
//!    (regex does not match), `in`, `not in` — at most one per operand:
//!    `a < b < c` is a syntax error
//! 5. `+` `-`
//! 6. `*` `/` `%`
//! 7. unary `-`
//!
//! Keywords are lower case (`and`, not `AND`).
//!
//! **Comparisons.** Numbers compare by value (`1 == 1.0`); strings compare
//! character by character (by Unicode code point); booleans, lists and
//! objects support only `==` and `!=`. `==` between values of different types
//! is simply `false` (and `!=` is `true`). Ordering (`<` `<=` `>` `>=`)
//! between different types, or on booleans, lists or objects, is an error.
//!
//! **null.** `null == null` is `true`; `null == x` for any other `x` is
//! `false` and `null != x` is `true`. Any ordering comparison with a `null`
//! side is `false`. Arithmetic and unary minus with a `null` operand give
//! `null`. Beware: two missing facts are equal (`profile.a == profile.b` is
//! `true` when there is no profile at all, e.g. when compiling from DDL), so
//! guard such rules with something like `profile.rows > 0`.
//!
//! **Regex.** `x ~ "pattern"` is `true` when the pattern matches anywhere in
//! `x` (anchor with `^`/`$`; `(?i)` makes it case-insensitive). The pattern
//! must be a string literal; it uses the syntax of Rust's `regex` crate and an
//! invalid pattern is a syntax error. A `null` left side does not match; any
//! other non-string left side is an error. `x !~ p` is exactly `not (x ~ p)`.
//!
//! **in.** `x in [a, b]` and `x in some.list` test list membership with `==`
//! (so `null in [null]` is `true`). `"abc" in s` with a string `s` is a
//! substring test (a `null` left side gives `false`; any other non-string is an
//! error). If the right side is `null` (a missing list) the result is `false`.
//! `x not in y` is exactly `not (x in y)`.
//!
//! **Arithmetic.** `+ - * %` on two integers give an integer (overflow is an
//! error); with a decimal operand the result is a decimal. `/` always gives a
//! decimal. Division or remainder by zero is an error. `+` on two strings
//! joins them.
//!
//! **Logic.** `and` and `or` evaluate their right side only when needed
//! (`false and …` never looks at `…`). Their operands, and the operand of
//! `not`, must be booleans — except that `null` counts as `false`, so
//! `not column.rowid_alias` is `true` when the fact is missing. A number or
//! string there is an error.
//!
//! **Nesting.** Parentheses, list elements, function arguments and `not`
//! may nest at most 32 levels deep; deeper is a syntax error.
//!
//! **Result.** The whole predicate must yield `true` or `false`; `null` counts
//! as `false`; any other result (e.g. `when: profile.rows`) is an error.
use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation, LineColLocation};
use pest::iterators::Pair;
use regex::Regex;
use serde_json::{Map, Number, Value};

mod grammar {
    //! The pest parser generated from `grammar/predicate.pest`.
    #[derive(pest_derive::Parser)]
    #[grammar = "grammar/predicate.pest"]
    pub struct PredicateParser;
}

use grammar::{PredicateParser, Rule};

/// A parsed predicate.
#[derive(Debug, Clone)]
pub struct Predicate {
    /// The predicate text exactly as written.
    pub source: String,
    expr: Expr,
}

/// A syntax error, 1-based position inside the predicate text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PredicateError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for PredicateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for PredicateError {}

impl Predicate {
    /// Parse predicate text. Regexes are compiled here; unknown functions,
    /// wrong argument counts and invalid regexes are reported as syntax
    /// errors at their position.
    pub fn parse(src: &str) -> Result<Predicate, PredicateError> {
        let mut pairs =
            PredicateParser::parse(Rule::predicate, src).map_err(|e| pest_error(e, src))?;
        let top = pairs
            .next()
            .and_then(|p| p.into_inner().find(|p| p.as_rule() == Rule::expr))
            .ok_or_else(|| PredicateError {
                line: 1,
                column: 1,
                message: "empty predicate".to_string(),
            })?;
        let expr = build(top, 0)?;
        Ok(Predicate {
            source: src.to_string(),
            expr,
        })
    }

    /// Evaluate against a facts document (paths like `column.declared`
    /// index into it). `null` counts as `false`; any other non-boolean
    /// result is an error.
    pub fn eval(&self, facts: &serde_json::Value) -> Result<bool, String> {
        self.eval_with(facts)
    }

    /// [`Predicate::eval`] over any [`FactSource`]: facts whose roots live
    /// in separate documents (shared, not copied, between objects).
    pub fn eval_with(&self, facts: &dyn FactSource) -> Result<bool, String> {
        match eval(&self.expr, facts)?.as_ref() {
            Value::Bool(b) => Ok(*b),
            Value::Null => Ok(false),
            other => Err(format!(
                "predicate yields {}, not true/false",
                type_name(other)
            )),
        }
    }

    /// Evaluate against a facts document and return the resulting value
    /// as-is (no conversion to a boolean).
    pub fn eval_value(&self, facts: &serde_json::Value) -> Result<serde_json::Value, String> {
        Ok(eval(&self.expr, facts)?.into_owned())
    }

    /// Every path the predicate reads (`column.declared`), for validation:
    /// names joined by `.`, list indexes dropped (`column.type_args[0]` is
    /// reported as `column.type_args`), each once, in order of first use.
    pub fn paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        collect_paths(&self.expr, &mut out);
        out
    }
}

// ---------------------------------------------------------------------------
// Syntax tree

#[derive(Debug, Clone)]
enum Expr {
    Lit(Value),
    Path(Path),
    List(Vec<Expr>),
    Call(Func, Vec<Expr>),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    Match {
        left: Box<Expr>,
        regex: Regex,
        negate: bool,
    },
    In {
        left: Box<Expr>,
        right: Box<Expr>,
        negate: bool,
    },
}

#[derive(Debug, Clone)]
struct Path {
    /// The path as written, for messages.
    text: String,
    /// Names joined by `.`, indexes dropped, for [`Predicate::paths`].
    name: String,
    steps: Vec<Step>,
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl ArithOp {
    fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Rem => "%",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    Lower,
    Upper,
    Len,
    StartsWith,
    EndsWith,
    Contains,
}

impl Func {
    const ALL: [Func; 6] = [
        Func::Lower,
        Func::Upper,
        Func::Len,
        Func::StartsWith,
        Func::EndsWith,
        Func::Contains,
    ];

    fn name(self) -> &'static str {
        match self {
            Func::Lower => "lower",
            Func::Upper => "upper",
            Func::Len => "len",
            Func::StartsWith => "starts_with",
            Func::EndsWith => "ends_with",
            Func::Contains => "contains",
        }
    }

    fn arity(self) -> usize {
        match self {
            Func::Lower | Func::Upper | Func::Len => 1,
            Func::StartsWith | Func::EndsWith | Func::Contains => 2,
        }
    }
}

// ---------------------------------------------------------------------------
// Building the tree from pest pairs

fn error_at(pair: &Pair<'_, Rule>, message: String) -> PredicateError {
    let (line, column) = pair.as_span().start_pos().line_col();
    PredicateError {
        line,
        column,
        message,
    }
}

/// An error for a grammar shape that cannot happen (the grammar guarantees
/// it); reported rather than panicking.
fn internal(pair: &Pair<'_, Rule>) -> PredicateError {
    error_at(
        pair,
        format!(
            "internal error: unexpected {:?} in predicate syntax tree",
            pair.as_rule()
        ),
    )
}

/// Nesting limit: parenthesised expressions, list elements, function
/// arguments and `not` each count one level. Real predicates nest a few
/// levels; the limit keeps tree building and evaluation far from the
/// thread's stack limit.
const MAX_NESTING: usize = 32;

fn build(mut pair: Pair<'_, Rule>, depth: usize) -> Result<Expr, PredicateError> {
    // Most levels of the precedence ladder hold a single child; step down
    // them here rather than recursing, to keep the stack shallow.
    while matches!(
        pair.as_rule(),
        Rule::and_expr
            | Rule::not_expr
            | Rule::comparison
            | Rule::sum
            | Rule::product
            | Rule::unary
    ) {
        let mut inner = pair.clone().into_inner();
        match (inner.next(), inner.next()) {
            (Some(only), None) => pair = only,
            _ => break,
        }
    }
    match pair.as_rule() {
        Rule::expr => {
            let depth = deeper(&pair, depth)?;
            build_chain(pair, depth, |l, r| Expr::Or(Box::new(l), Box::new(r)))
        }
        Rule::and_expr => build_chain(pair, depth, |l, r| Expr::And(Box::new(l), Box::new(r))),
        Rule::not_expr => {
            let outer = pair.clone();
            let mut inner = pair.into_inner();
            let first = inner.next().ok_or_else(|| internal(&outer))?;
            if first.as_rule() == Rule::kw_not {
                let operand = inner.next().ok_or_else(|| internal(&outer))?;
                let depth = deeper(&outer, depth)?;
                Ok(Expr::Not(Box::new(build(operand, depth)?)))
            } else {
                build(first, depth)
            }
        }
        Rule::comparison => build_comparison(pair, depth),
        Rule::sum | Rule::product => build_arith(pair, depth),
        Rule::unary => build_unary(pair, depth),
        Rule::string => build_string(&pair).map(|s| Expr::Lit(Value::String(s))),
        Rule::number => build_number(&pair).map(Expr::Lit),
        Rule::kw_true => Ok(Expr::Lit(Value::Bool(true))),
        Rule::kw_false => Ok(Expr::Lit(Value::Bool(false))),
        Rule::kw_null => Ok(Expr::Lit(Value::Null)),
        Rule::list => build_list(pair, depth),
        Rule::call => build_call(pair, depth),
        Rule::path => build_path(pair).map(Expr::Path),
        _ => Err(internal(&pair)),
    }
}

/// `-`… before an operand, or `( expr )`: a negated number literal is
/// folded into the literal.
fn build_unary(pair: Pair<'_, Rule>, depth: usize) -> Result<Expr, PredicateError> {
    let mut negs = 0usize;
    let mut operand = None;
    for p in pair.clone().into_inner() {
        match p.as_rule() {
            Rule::neg => negs += 1,
            // `( expr )`: the parentheses only group.
            Rule::lparen | Rule::rparen => {}
            _ => operand = Some(build(p, depth)?),
        }
    }
    let mut e = operand.ok_or_else(|| internal(&pair))?;
    for _ in 0..negs {
        e = match e {
            Expr::Lit(v) if v.is_number() => Expr::Lit(negate(&v).map_err(|m| error_at(&pair, m))?),
            other => Expr::Neg(Box::new(other)),
        };
    }
    Ok(e)
}

/// `[a, b, …]`: a list of constants is folded into one constant.
fn build_list(pair: Pair<'_, Rule>, depth: usize) -> Result<Expr, PredicateError> {
    let items = pair
        .into_inner()
        .filter(|p| p.as_rule() == Rule::expr)
        .map(|p| build(p, depth))
        .collect::<Result<Vec<_>, _>>()?;
    if items.iter().all(|e| matches!(e, Expr::Lit(_))) {
        let values = items
            .into_iter()
            .filter_map(|e| match e {
                Expr::Lit(v) => Some(v),
                _ => None,
            })
            .collect();
        Ok(Expr::Lit(Value::Array(values)))
    } else {
        Ok(Expr::List(items))
    }
}

/// One level deeper, or an error past [`MAX_NESTING`].
fn deeper(pair: &Pair<'_, Rule>, depth: usize) -> Result<usize, PredicateError> {
    if depth >= MAX_NESTING {
        return Err(error_at(
            pair,
            format!("expression nested more than {MAX_NESTING} levels deep"),
        ));
    }
    Ok(depth + 1)
}

/// `a op b op c …`, left-associative; the operator tokens are skipped.
fn build_chain(
    pair: Pair<'_, Rule>,
    depth: usize,
    join: impl Fn(Expr, Expr) -> Expr,
) -> Result<Expr, PredicateError> {
    let outer = pair.clone();
    let mut operands = pair
        .into_inner()
        .filter(|p| !matches!(p.as_rule(), Rule::kw_or | Rule::kw_and));
    let first = operands.next().ok_or_else(|| internal(&outer))?;
    let mut acc = build(first, depth)?;
    for p in operands {
        acc = join(acc, build(p, depth)?);
    }
    Ok(acc)
}

fn build_arith(pair: Pair<'_, Rule>, depth: usize) -> Result<Expr, PredicateError> {
    let outer = pair.clone();
    let mut inner = pair.into_inner();
    let first = inner.next().ok_or_else(|| internal(&outer))?;
    let mut acc = build(first, depth)?;
    while let Some(op) = inner.next() {
        let op_kind = match op.as_str() {
            "+" => ArithOp::Add,
            "-" => ArithOp::Sub,
            "*" => ArithOp::Mul,
            "/" => ArithOp::Div,
            "%" => ArithOp::Rem,
            _ => return Err(internal(&op)),
        };
        let right = inner.next().ok_or_else(|| internal(&op))?;
        acc = Expr::Arith(op_kind, Box::new(acc), Box::new(build(right, depth)?));
    }
    Ok(acc)
}

fn build_comparison(pair: Pair<'_, Rule>, depth: usize) -> Result<Expr, PredicateError> {
    let outer = pair.clone();
    let mut inner = pair.into_inner();
    let left = build(inner.next().ok_or_else(|| internal(&outer))?, depth)?;
    let Some(op) = inner.next() else {
        return Ok(left);
    };
    let right = inner.next().ok_or_else(|| internal(&op))?;
    match op.as_rule() {
        Rule::match_op => {
            let pattern = build_string(&right)?;
            let regex = Regex::new(&pattern).map_err(|e| {
                error_at(
                    &right,
                    format!("invalid regular expression: {}", one_line(&e.to_string())),
                )
            })?;
            Ok(Expr::Match {
                left: Box::new(left),
                regex,
                negate: op.as_str() == "!~",
            })
        }
        Rule::cmp_op => {
            let right = Box::new(build(right, depth)?);
            let left = Box::new(left);
            let kind = op.clone().into_inner().next().map(|p| p.as_rule());
            let cmp = |c| Ok(Expr::Cmp(c, left.clone(), right.clone()));
            match (op.as_str(), kind) {
                (_, Some(Rule::not_in)) => Ok(Expr::In {
                    left,
                    right,
                    negate: true,
                }),
                (_, Some(Rule::kw_in)) => Ok(Expr::In {
                    left,
                    right,
                    negate: false,
                }),
                ("==", _) => cmp(CmpOp::Eq),
                ("!=", _) => cmp(CmpOp::Ne),
                ("<", _) => cmp(CmpOp::Lt),
                ("<=", _) => cmp(CmpOp::Le),
                (">", _) => cmp(CmpOp::Gt),
                (">=", _) => cmp(CmpOp::Ge),
                _ => Err(internal(&op)),
            }
        }
        _ => Err(internal(&op)),
    }
}

fn build_call(pair: Pair<'_, Rule>, depth: usize) -> Result<Expr, PredicateError> {
    let outer = pair.clone();
    let mut inner = pair.into_inner();
    let name = inner.next().ok_or_else(|| internal(&outer))?;
    let func = Func::ALL
        .into_iter()
        .find(|f| f.name() == name.as_str())
        .ok_or_else(|| {
            let known: Vec<&str> = Func::ALL.iter().map(|f| f.name()).collect();
            error_at(
                &name,
                format!(
                    "unknown function `{}` (known: {})",
                    name.as_str(),
                    known.join(", ")
                ),
            )
        })?;
    let args = inner
        .filter(|p| p.as_rule() == Rule::expr)
        .map(|p| build(p, depth))
        .collect::<Result<Vec<_>, _>>()?;
    if args.len() != func.arity() {
        return Err(error_at(
            &name,
            format!(
                "`{}` takes {} argument{}, got {}",
                func.name(),
                func.arity(),
                if func.arity() == 1 { "" } else { "s" },
                args.len()
            ),
        ));
    }
    Ok(Expr::Call(func, args))
}

fn build_path(pair: Pair<'_, Rule>) -> Result<Path, PredicateError> {
    let mut text = String::new();
    let mut steps = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::root | Rule::field => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(p.as_str());
                names.push(p.as_str());
                steps.push(Step::Key(p.as_str().to_string()));
            }
            Rule::index => {
                let i = p
                    .as_str()
                    .parse::<usize>()
                    .map_err(|_| error_at(&p, format!("index `{}` is too large", p.as_str())))?;
                text.push_str(&format!("[{i}]"));
                steps.push(Step::Index(i));
            }
            _ => return Err(internal(&p)),
        }
    }
    Ok(Path {
        text,
        name: names.join("."),
        steps,
    })
}

fn build_number(pair: &Pair<'_, Rule>) -> Result<Value, PredicateError> {
    let text = pair.as_str();
    if !text.contains(['.', 'e', 'E']) {
        return text
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| error_at(pair, format!("integer `{text}` is out of range")));
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| error_at(pair, format!("number `{text}` is out of range")))
}

/// The value of a string literal: quotes removed, escapes resolved.
fn build_string(pair: &Pair<'_, Rule>) -> Result<String, PredicateError> {
    let body = pair
        .clone()
        .into_inner()
        .next()
        .ok_or_else(|| internal(pair))?;
    let mut out = String::with_capacity(body.as_str().len());
    let mut chars = body.as_str().chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some('\'') => out.push('\''),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            // Unknown escapes stay as written, so regexes like `\d` work.
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    Ok(out)
}

fn collect_paths(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Lit(_) => {}
        Expr::Path(p) => {
            if !out.contains(&p.name) {
                out.push(p.name.clone());
            }
        }
        Expr::List(items) | Expr::Call(_, items) => {
            for i in items {
                collect_paths(i, out);
            }
        }
        Expr::Neg(x) | Expr::Not(x) => collect_paths(x, out),
        Expr::Match { left, .. } => collect_paths(left, out),
        Expr::And(l, r)
        | Expr::Or(l, r)
        | Expr::Cmp(_, l, r)
        | Expr::Arith(_, l, r)
        | Expr::In {
            left: l, right: r, ..
        } => {
            collect_paths(l, out);
            collect_paths(r, out);
        }
    }
}

// ---------------------------------------------------------------------------
// Syntax errors from pest, in words

fn pest_error(err: pest::error::Error<Rule>, src: &str) -> PredicateError {
    let (line, column) = match err.line_col {
        LineColLocation::Pos(p) => p,
        LineColLocation::Span(p, _) => p,
    };
    let offset = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((p, _)) => p,
    };
    let found = found_at(src, offset);
    let rest = src.get(offset..).unwrap_or("");
    let message = match &err.variant {
        ErrorVariant::ParsingError { .. } if unterminated_string(rest) => {
            let quote = rest.chars().next().unwrap_or('"');
            format!("unterminated string: no closing {quote} before the end of the predicate")
        }
        ErrorVariant::ParsingError { positives, .. } => {
            let mut expected: Vec<&str> = Vec::new();
            for r in positives {
                let word = describe_rule(*r);
                if !expected.contains(&word) {
                    expected.push(word);
                }
            }
            // An operand just ended after a comparison, and another
            // comparison follows: `a < b < c`.
            let chained = positives.contains(&Rule::add_op)
                && !positives.contains(&Rule::cmp_op)
                && rest.starts_with(['<', '>', '=', '!', '~']);
            let hint = if chained {
                " (comparisons cannot be chained; join them with `and`)"
            } else {
                ""
            };
            if expected.is_empty() {
                format!("unexpected {found}{hint}")
            } else {
                format!("expected {}, found {found}{hint}", join_or(&expected))
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    PredicateError {
        line,
        column,
        message,
    }
}

/// Whether `rest` opens a string literal that never closes.
fn unterminated_string(rest: &str) -> bool {
    let mut chars = rest.chars();
    let Some(quote) = chars.next().filter(|c| *c == '"' || *c == '\'') else {
        return false;
    };
    while let Some(c) = chars.next() {
        if c == '\\' {
            chars.next();
        } else if c == quote {
            return false;
        }
    }
    true
}

/// What the text at `offset` looks like, for "found …" in messages.
fn found_at(src: &str, offset: usize) -> String {
    let rest = src.get(offset..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return "the end of the predicate".to_string();
    };
    let token: String = if first.is_ascii_alphanumeric() || first == '_' {
        rest.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(30)
            .collect()
    } else {
        first.to_string()
    };
    format!("`{token}`")
}

fn describe_rule(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "the end of the predicate",
        Rule::kw_or | Rule::kw_and => "`and`/`or`",
        // Alone only after `not` in infix position (`x not in y`).
        Rule::kw_in => "`in`",
        Rule::match_op | Rule::cmp_op | Rule::not_in => "a comparison (== != < <= > >= ~ !~ in)",
        Rule::add_op | Rule::mul_op => "an arithmetic operator (+ - * / %)",
        Rule::string | Rule::dq_body | Rule::sq_body => "a string",
        Rule::rparen => "`)`",
        Rule::lparen => "`(`",
        Rule::rbracket => "`]`",
        Rule::lbracket => "`[`",
        Rule::comma => "`,`",
        Rule::index => "a list index",
        Rule::field => "a name",
        _ => "a value (string, number, true/false/null, list, path, function call or `(`)",
    }
}

fn join_or(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------
// Evaluation

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// An operand for messages: `column.name (a string)` or `a number 3`.
fn describe(e: &Expr, v: &Value) -> String {
    let shown = match v {
        Value::Array(_) | Value::Object(_) => String::new(),
        other => format!(" {other}"),
    };
    match e {
        Expr::Path(p) => format!("`{}` ({}{shown})", p.text, type_name(v)),
        _ => format!("{}{shown}", type_name(v)),
    }
}

/// Where a predicate's paths start: the facts' top-level roots
/// (`column`, `profile`, …).
pub trait FactSource {
    /// The document under a top-level name, if there is one.
    fn root(&self, name: &str) -> Option<&Value>;
}

impl FactSource for Value {
    fn root(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

fn lookup<'a>(facts: &'a dyn FactSource, path: &Path) -> &'a Value {
    static NULL: Value = Value::Null;
    let mut steps = path.steps.iter();
    let mut cur = match steps.next() {
        Some(Step::Key(k)) => match facts.root(k) {
            Some(v) => v,
            None => return &NULL,
        },
        _ => return &NULL,
    };
    for step in steps {
        let next = match (step, cur) {
            (Step::Key(k), Value::Object(m)) => m.get(k),
            (Step::Index(i), Value::Array(a)) => a.get(*i),
            _ => None,
        };
        match next {
            Some(v) => cur = v,
            None => return &NULL,
        }
    }
    cur
}

fn eval<'a>(e: &'a Expr, facts: &'a dyn FactSource) -> Result<Cow<'a, Value>, String> {
    Ok(match e {
        Expr::Lit(v) => Cow::Borrowed(v),
        Expr::Path(p) => Cow::Borrowed(lookup(facts, p)),
        Expr::List(items) => Cow::Owned(Value::Array(
            items
                .iter()
                .map(|i| eval(i, facts).map(Cow::into_owned))
                .collect::<Result<_, _>>()?,
        )),
        Expr::Call(f, args) => {
            let values = args
                .iter()
                .map(|a| eval(a, facts))
                .collect::<Result<Vec<_>, _>>()?;
            Cow::Owned(call(*f, args, &values)?)
        }
        Expr::Neg(x) => Cow::Owned(eval_neg(x, facts)?),
        Expr::Not(x) => {
            let v = eval(x, facts)?;
            Cow::Owned(Value::Bool(!condition(x, &v, "not")?))
        }
        Expr::And(l, r) => {
            let lv = eval(l, facts)?;
            if !condition(l, &lv, "and")? {
                return Ok(Cow::Owned(Value::Bool(false)));
            }
            let rv = eval(r, facts)?;
            Cow::Owned(Value::Bool(condition(r, &rv, "and")?))
        }
        Expr::Or(l, r) => {
            let lv = eval(l, facts)?;
            if condition(l, &lv, "or")? {
                return Ok(Cow::Owned(Value::Bool(true)));
            }
            let rv = eval(r, facts)?;
            Cow::Owned(Value::Bool(condition(r, &rv, "or")?))
        }
        Expr::Cmp(op, l, r) => {
            let lv = eval(l, facts)?;
            let rv = eval(r, facts)?;
            Cow::Owned(Value::Bool(compare(*op, l, &lv, r, &rv)?))
        }
        Expr::Arith(op, l, r) => {
            let lv = eval(l, facts)?;
            let rv = eval(r, facts)?;
            Cow::Owned(arith(*op, l, &lv, r, &rv)?)
        }
        Expr::Match {
            left,
            regex,
            negate,
        } => Cow::Owned(Value::Bool(eval_match(left, regex, *negate, facts)?)),
        Expr::In {
            left,
            right,
            negate,
        } => {
            let lv = eval(left, facts)?;
            let rv = eval(right, facts)?;
            let found = membership(left, &lv, right, &rv, *negate)?;
            Cow::Owned(Value::Bool(found != *negate))
        }
    })
}

/// Unary `-`: null stays null, a number is negated, anything else is an
/// error.
fn eval_neg(x: &Expr, facts: &dyn FactSource) -> Result<Value, String> {
    let v = eval(x, facts)?;
    match v.as_ref() {
        Value::Null => Ok(Value::Null),
        Value::Number(_) => negate(&v),
        other => Err(format!(
            "unary `-` needs a number, got {}",
            describe(x, other)
        )),
    }
}

/// `left ~ regex` (`!~` when `negate`): null matches nothing, a
/// non-string is an error.
fn eval_match(
    left: &Expr,
    regex: &regex::Regex,
    negate: bool,
    facts: &dyn FactSource,
) -> Result<bool, String> {
    let v = eval(left, facts)?;
    let matched = match v.as_ref() {
        Value::Null => false,
        Value::String(s) => regex.is_match(s),
        other => {
            return Err(format!(
                "`{}` needs a string on the left, got {}",
                if negate { "!~" } else { "~" },
                describe(left, other)
            ));
        }
    };
    Ok(matched != negate)
}

/// The truth of an operand of `and`/`or`/`not`: booleans as themselves,
/// `null` as false, anything else an error.
fn condition(e: &Expr, v: &Value, op: &str) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Null => Ok(false),
        other => Err(format!(
            "`{op}` needs true/false, got {}",
            describe(e, other)
        )),
    }
}

/// A number as an exact integer when it is one that fits `i64`, else a float.
#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i64),
    Float(f64),
}

fn num(v: &Value) -> Option<Num> {
    let n = match v {
        Value::Number(n) => n,
        _ => return None,
    };
    n.as_i64()
        .map(Num::Int)
        .or_else(|| n.as_f64().map(Num::Float))
}

impl Num {
    fn as_f64(self) -> f64 {
        match self {
            // Precision loss above 2^53 is acceptable for mixed comparisons.
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
}

fn num_cmp(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        _ => a.as_f64().partial_cmp(&b.as_f64()),
    }
}

fn float_value(f: f64, what: &str) -> Result<Value, String> {
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| format!("{what} is not a finite number"))
}

fn negate(v: &Value) -> Result<Value, String> {
    match num(v) {
        Some(Num::Int(i)) => i
            .checked_neg()
            .map(Value::from)
            .ok_or_else(|| "integer overflow in unary `-`".to_string()),
        Some(Num::Float(f)) => float_value(-f, "the result of unary `-`"),
        None => Err(format!("unary `-` needs a number, got {}", type_name(v))),
    }
}

/// `==` with numbers compared by value and containers compared deeply.
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => match (num(a), num(b)) {
            (Some(x), Some(y)) => num_cmp(x, y) == Some(Ordering::Equal),
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => objects_equal(x, y),
        _ => a == b,
    }
}

fn objects_equal(x: &Map<String, Value>, y: &Map<String, Value>) -> bool {
    x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
}

fn compare(op: CmpOp, le: &Expr, l: &Value, re: &Expr, r: &Value) -> Result<bool, String> {
    match op {
        CmpOp::Eq => return Ok(equal(l, r)),
        CmpOp::Ne => return Ok(!equal(l, r)),
        _ => {}
    }
    let ord = match (l, r) {
        (Value::Null, _) | (_, Value::Null) => return Ok(false),
        (Value::Number(_), Value::Number(_)) => match (num(l), num(r)) {
            (Some(x), Some(y)) => num_cmp(x, y),
            _ => None,
        },
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    };
    let Some(ord) = ord else {
        let why = if l.is_boolean() || r.is_boolean() {
            " (booleans support only == and !=)"
        } else {
            ""
        };
        return Err(format!(
            "`{}` cannot order {} against {}{why}",
            op.symbol(),
            describe(le, l),
            describe(re, r)
        ));
    };
    Ok(match op {
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
        CmpOp::Eq | CmpOp::Ne => false,
    })
}

fn arith(op: ArithOp, le: &Expr, l: &Value, re: &Expr, r: &Value) -> Result<Value, String> {
    if l.is_null() || r.is_null() {
        return Ok(Value::Null);
    }
    if let (ArithOp::Add, Value::String(a), Value::String(b)) = (op, l, r) {
        return Ok(Value::String(format!("{a}{b}")));
    }
    let sym = op.symbol();
    let (Some(a), Some(b)) = (num(l), num(r)) else {
        let hint = if op == ArithOp::Add {
            " (or two strings to join)"
        } else {
            ""
        };
        return Err(format!(
            "`{sym}` needs two numbers{hint}, got {} and {}",
            describe(le, l),
            describe(re, r)
        ));
    };
    let overflow = || format!("integer overflow in `{sym}`");
    let what = format!("the result of `{sym}`");
    match (op, a, b) {
        (ArithOp::Div | ArithOp::Rem, _, _) if b.as_f64() == 0.0 => Err(format!(
            "division by zero in `{sym}` (right side is {})",
            describe(re, r)
        )),
        (ArithOp::Div, _, _) => float_value(a.as_f64() / b.as_f64(), &what),
        (_, Num::Int(x), Num::Int(y)) => {
            let v = match op {
                ArithOp::Add => x.checked_add(y),
                ArithOp::Sub => x.checked_sub(y),
                ArithOp::Mul => x.checked_mul(y),
                ArithOp::Rem => x.checked_rem(y),
                ArithOp::Div => None,
            };
            v.map(Value::from).ok_or_else(overflow)
        }
        _ => {
            let (x, y) = (a.as_f64(), b.as_f64());
            let v = match op {
                ArithOp::Add => x + y,
                ArithOp::Sub => x - y,
                ArithOp::Mul => x * y,
                ArithOp::Rem => x % y,
                ArithOp::Div => x / y,
            };
            float_value(v, &what)
        }
    }
}

fn membership(le: &Expr, l: &Value, re: &Expr, r: &Value, negate: bool) -> Result<bool, String> {
    let op = if negate { "not in" } else { "in" };
    match r {
        Value::Null => Ok(false),
        Value::Array(items) => Ok(items.iter().any(|i| equal(l, i))),
        Value::String(hay) => match l {
            Value::Null => Ok(false),
            Value::String(needle) => Ok(hay.contains(needle.as_str())),
            other => Err(format!(
                "`{op}` on a string tests for a substring and needs a string on the left, got {}",
                describe(le, other)
            )),
        },
        other => Err(format!(
            "`{op}` needs a list or a string on the right, got {}",
            describe(re, other)
        )),
    }
}

fn call(f: Func, args: &[Expr], values: &[Cow<'_, Value>]) -> Result<Value, String> {
    if values.iter().any(|v| v.is_null()) {
        return Ok(Value::Null);
    }
    let bad = |i: usize, want: &str| {
        let shown = match (args.get(i), values.get(i)) {
            (Some(e), Some(v)) => describe(e, v),
            _ => "nothing".to_string(),
        };
        Err(format!(
            "`{}` needs {want} as argument {}, got {shown}",
            f.name(),
            i + 1
        ))
    };
    let first = values.first().map(|v| v.as_ref());
    let second = values.get(1).map(|v| v.as_ref());
    match f {
        Func::Lower | Func::Upper => match first {
            Some(Value::String(s)) => Ok(Value::String(if f == Func::Lower {
                s.to_lowercase()
            } else {
                s.to_uppercase()
            })),
            _ => bad(0, "a string"),
        },
        Func::Len => match first {
            Some(Value::String(s)) => Ok(Value::from(s.chars().count())),
            Some(Value::Array(a)) => Ok(Value::from(a.len())),
            Some(Value::Object(o)) => Ok(Value::from(o.len())),
            _ => bad(0, "a string, list or object"),
        },
        Func::StartsWith | Func::EndsWith => match (first, second) {
            (Some(Value::String(s)), Some(Value::String(p))) => {
                Ok(Value::Bool(if f == Func::StartsWith {
                    s.starts_with(p.as_str())
                } else {
                    s.ends_with(p.as_str())
                }))
            }
            (Some(Value::String(_)), _) => bad(1, "a string"),
            _ => bad(0, "a string"),
        },
        Func::Contains => match (first, second) {
            (Some(Value::String(s)), Some(Value::String(p))) => {
                Ok(Value::Bool(s.contains(p.as_str())))
            }
            (Some(Value::String(_)), _) => bad(1, "a string"),
            (Some(Value::Array(items)), Some(x)) => {
                Ok(Value::Bool(items.iter().any(|i| equal(i, x))))
            }
            _ => bad(0, "a string or a list"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts() -> Value {
        json!({
            "table": {
                "name": "users",
                "rows": 12,
                "foreign_keys": [{"table": "orgs"}],
                "options": {"strict": true, "without_rowid": false},
            },
            "column": {
                "name": "user_uuid",
                "affinity": "TEXT",
                "type_name": "BOOL",
                "type_args": [3, 10],
                "collation": "NOCASE",
                "rowid_alias": false,
                "not_null": true,
            },
            "profile": {
                "rows": 10, "nulls": 2, "non_null": 8, "json_docs": 8,
                "bool_ints": 8, "blob16": 0, "blobs": 0, "ratio": 0.5,
            },
            "target": {"extensions": ["vector", "pg_trgm"], "version": 16},
        })
    }

    fn ok(src: &str) -> bool {
        let p = Predicate::parse(src).unwrap_or_else(|e| panic!("parse `{src}`: {e}"));
        p.eval(&facts())
            .unwrap_or_else(|e| panic!("eval `{src}`: {e}"))
    }

    fn value(src: &str) -> Value {
        let p = Predicate::parse(src).unwrap_or_else(|e| panic!("parse `{src}`: {e}"));
        p.eval_value(&facts())
            .unwrap_or_else(|e| panic!("eval `{src}`: {e}"))
    }

    fn eval_err(src: &str) -> String {
        let p = Predicate::parse(src).unwrap_or_else(|e| panic!("parse `{src}`: {e}"));
        match p.eval(&facts()) {
            Ok(v) => panic!("`{src}` evaluated to {v}, expected an error"),
            Err(e) => e,
        }
    }

    fn parse_err(src: &str) -> PredicateError {
        match Predicate::parse(src) {
            Ok(p) => panic!("`{src}` parsed, expected an error: {p:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn brief_examples_parse_and_evaluate() {
        assert!(ok(
            r#"column.affinity == "TEXT" and profile.non_null > 0 and profile.json_docs == profile.non_null"#
        ));
        assert!(ok(
            r#"column.type_name in ["BOOLEAN", "BOOL"] or (profile.bool_ints + profile.nulls == profile.rows and profile.rows > 0)"#
        ));
        assert!(ok(
            r#"column.name ~ "(?i)(^|_)(uuid|guid|id)$" and profile.blob16 == profile.blobs and not column.rowid_alias"#
        ));
        assert!(ok(
            r#""vector" in target.extensions and column.type_args[0] > 2"#
        ));
        assert!(ok(
            r#"lower(column.collation) == "nocase" and len(table.foreign_keys) > 0"#
        ));
    }

    #[test]
    fn literals_evaluate_to_their_values() {
        assert_eq!(value("42"), json!(42));
        assert_eq!(value("1.5"), json!(1.5));
        assert_eq!(value("2e3"), json!(2000.0));
        assert_eq!(value("-7"), json!(-7));
        assert_eq!(value("- - 7"), json!(7));
        assert_eq!(value("true"), json!(true));
        assert_eq!(value("false"), json!(false));
        assert_eq!(value("null"), json!(null));
        assert_eq!(value("'single'"), json!("single"));
        assert_eq!(value(r#""double""#), json!("double"));
        assert_eq!(
            value(r#"[1, "a", null, [true],]"#),
            json!([1, "a", null, [true]])
        );
        assert_eq!(value("[]"), json!([]));
        assert_eq!(value("[profile.rows, 1]"), json!([10, 1]));
    }

    #[test]
    fn string_escapes_are_resolved_and_unknown_ones_kept() {
        assert_eq!(value(r#""a\"b""#), json!("a\"b"));
        assert_eq!(value(r"'it\'s'"), json!("it's"));
        assert_eq!(value(r#""back\\slash""#), json!("back\\slash"));
        assert_eq!(value(r#""line\nbreak\ttab""#), json!("line\nbreak\ttab"));
        assert_eq!(value(r#""\d+""#), json!("\\d+"));
        assert_eq!(value(r#"'say "hi"'"#), json!("say \"hi\""));
    }

    #[test]
    fn precedence_or_is_looser_than_and() {
        // true or (false and false)
        assert!(ok("true or false and false"));
        // (false and false) or true
        assert!(ok("false and false or true"));
        assert!(!ok("(true or false) and false"));
    }

    #[test]
    fn precedence_not_binds_looser_than_comparison() {
        // not (1 == 2)
        assert!(ok("not 1 == 2"));
        assert!(ok("not not true"));
        // not binds tighter than and: (not false) and true
        assert!(ok("not false and true"));
        // (not true) or true
        assert!(ok("not true or true"));
    }

    #[test]
    fn precedence_arithmetic_follows_school_rules() {
        assert_eq!(value("1 + 2 * 3"), json!(7));
        assert_eq!(value("(1 + 2) * 3"), json!(9));
        assert_eq!(value("10 - 4 - 3"), json!(3));
        assert_eq!(value("2 * 3 % 4"), json!(2));
        assert_eq!(value("-2 * 3"), json!(-6));
        assert_eq!(value("- (2 + 3)"), json!(-5));
        assert_eq!(value("1 - -1"), json!(2));
        assert!(ok("1 + 1 == 2"));
        assert!(ok("2 * 3 > 5 and 1 < 2"));
    }

    #[test]
    fn comparisons_of_numbers_mix_integers_and_decimals() {
        assert!(ok("1 == 1.0"));
        assert!(ok("1 < 1.5"));
        assert!(ok("2 >= 2"));
        assert!(ok("2 <= 2.0"));
        assert!(!ok("3 > 3"));
        assert!(ok("3 != 4"));
        assert!(ok("profile.ratio == 0.5"));
        assert!(ok("profile.ratio < profile.rows"));
    }

    #[test]
    fn comparisons_of_strings_are_lexicographic() {
        assert!(ok(r#""abc" < "abd""#));
        assert!(ok(r#""B" < "a""#));
        assert!(ok(r#""b" >= "a""#));
        assert!(ok(r#"column.affinity == "TEXT""#));
        assert!(ok(r#"column.affinity != "text""#));
    }

    #[test]
    fn equality_across_types_is_false_not_an_error() {
        assert!(!ok(r#"1 == "1""#));
        assert!(ok(r#"1 != "1""#));
        assert!(!ok("true == 1"));
        assert!(ok("[1, 2] == [1.0, 2]"));
        assert!(ok("table.options == table.options"));
        assert!(ok("column.rowid_alias == false"));
    }

    #[test]
    fn null_semantics_for_comparisons() {
        assert!(ok("null == null"));
        assert!(!ok("null != null"));
        assert!(!ok("null == 0"));
        assert!(ok("null != 0"));
        assert!(!ok("null < 1"));
        assert!(!ok("1 >= null"));
        assert!(!ok(r#"null > "a""#));
        assert!(ok("column.missing == null"));
        assert!(ok("profile.nope == table.nope"));
    }

    #[test]
    fn null_semantics_for_logic_and_result() {
        assert!(!ok("null"));
        assert!(!ok("column.missing"));
        assert!(ok("not column.missing"));
        assert!(!ok("column.missing and true"));
        assert!(ok("column.missing or true"));
    }

    #[test]
    fn null_propagates_through_arithmetic_and_functions() {
        assert_eq!(value("null + 1"), json!(null));
        assert_eq!(value("-column.missing"), json!(null));
        assert_eq!(value("profile.missing * 2"), json!(null));
        assert_eq!(value("lower(column.missing)"), json!(null));
        assert_eq!(value("len(null)"), json!(null));
        assert_eq!(value(r#"starts_with(null, "a")"#), json!(null));
        assert_eq!(value(r#"contains("abc", null)"#), json!(null));
    }

    #[test]
    fn and_or_short_circuit_skip_errors_on_the_right() {
        // The right sides would be errors if evaluated.
        assert!(!ok(r#"false and "x" < 1"#));
        assert!(ok(r#"true or "x" < 1"#));
        assert!(!ok("column.missing and 1 / 0 == 1"));
    }

    #[test]
    fn regex_match_and_negated_match() {
        assert!(ok(r#"column.name ~ "uuid$""#));
        assert!(ok(r#"column.name ~ "(?i)^USER_""#));
        assert!(!ok(r#"column.name ~ "^uuid""#));
        assert!(ok(r#"column.name !~ "^uuid""#));
        assert!(ok(r#"column.type_name ~ '^BOOL(EAN)?$'"#));
        assert!(ok(r#""123" ~ "^\d+$""#));
    }

    #[test]
    fn regex_on_null_does_not_match() {
        assert!(!ok(r#"column.missing ~ ".*""#));
        assert!(ok(r#"column.missing !~ "x""#));
    }

    #[test]
    fn regex_on_non_string_is_an_eval_error() {
        let e = eval_err(r#"profile.rows ~ "1""#);
        assert!(e.contains("`~` needs a string"), "{e}");
        assert!(e.contains("profile.rows"), "{e}");
    }

    #[test]
    fn regex_right_side_must_be_a_string_literal() {
        let e = parse_err("column.name ~ column.affinity");
        assert_eq!((e.line, e.column), (1, 15));
        assert!(e.message.contains("a string"), "{}", e.message);
    }

    #[test]
    fn invalid_regex_is_a_parse_error_at_the_pattern() {
        let e = parse_err(r#"column.name ~ "(unclosed""#);
        assert_eq!((e.line, e.column), (1, 15));
        assert!(
            e.message.contains("invalid regular expression"),
            "{}",
            e.message
        );
    }

    #[test]
    fn in_list_literal_and_array_path() {
        assert!(ok(r#"column.type_name in ["BOOLEAN", "BOOL"]"#));
        assert!(!ok(r#"column.affinity in ["INTEGER", "REAL"]"#));
        assert!(ok(r#""pg_trgm" in target.extensions"#));
        assert!(ok("3 in column.type_args"));
        assert!(ok("3.0 in [1, 2, 3]"));
        assert!(ok(r#""postgis" not in target.extensions"#));
        assert!(!ok(r#""vector" not in target.extensions"#));
        assert!(ok("profile.rows in [profile.nulls + 8, 0]"));
    }

    #[test]
    fn in_with_null() {
        assert!(ok("null in [1, null]"));
        assert!(!ok("null in [1, 2]"));
        assert!(ok("column.missing in [null]"));
        assert!(!ok("1 in column.missing"));
        assert!(ok("1 not in column.missing"));
        assert!(!ok(r#"null in "abc""#));
    }

    #[test]
    fn in_string_is_a_substring_test() {
        assert!(ok(r#""uuid" in column.name"#));
        assert!(!ok(r#""guid" in column.name"#));
        assert!(ok(r#""guid" not in column.name"#));
        assert!(ok(r#""" in "anything""#));
    }

    #[test]
    fn in_errors_name_the_bad_side() {
        let e = eval_err("1 in profile.rows");
        assert!(e.contains("needs a list or a string on the right"), "{e}");
        let e = eval_err(r#"1 in "abc""#);
        assert!(e.contains("substring"), "{e}");
    }

    #[test]
    fn arithmetic_keeps_integers_and_divides_to_decimals() {
        assert_eq!(value("7 + 3"), json!(10));
        assert_eq!(value("7 - 10"), json!(-3));
        assert_eq!(value("6 * 7"), json!(42));
        assert_eq!(value("7 % 3"), json!(1));
        assert_eq!(value("6 / 3"), json!(2.0));
        assert_eq!(value("7 / 2"), json!(3.5));
        assert_eq!(value("1.5 + 1"), json!(2.5));
        assert_eq!(value("7.5 % 2"), json!(1.5));
        assert_eq!(value("profile.non_null / profile.rows"), json!(0.8));
        assert!(ok("profile.json_docs / profile.non_null == 1"));
    }

    #[test]
    fn plus_joins_strings() {
        assert_eq!(value(r#""ab" + 'cd'"#), json!("abcd"));
        assert!(ok(r#"column.affinity + "!" == "TEXT!""#));
    }

    #[test]
    fn division_by_zero_is_an_eval_error() {
        let e = eval_err("profile.rows / 0 > 1");
        assert!(e.contains("division by zero"), "{e}");
        let e = eval_err("1 % profile.blobs == 0");
        assert!(e.contains("division by zero"), "{e}");
        assert!(e.contains("profile.blobs"), "{e}");
    }

    #[test]
    fn integer_overflow_is_an_eval_error() {
        let e = eval_err("9223372036854775807 + 1 > 0");
        assert!(e.contains("overflow"), "{e}");
    }

    #[test]
    fn arithmetic_on_wrong_types_is_an_eval_error() {
        let e = eval_err(r#"column.name * 2 == 1"#);
        assert!(e.contains("`*` needs two numbers"), "{e}");
        assert!(e.contains("`column.name` (a string \"user_uuid\")"), "{e}");
        let e = eval_err(r#""a" + 1 == 1"#);
        assert!(e.contains("two strings"), "{e}");
        let e = eval_err("-column.name == 1");
        assert!(e.contains("unary `-`"), "{e}");
    }

    #[test]
    fn functions_lower_upper_len() {
        assert_eq!(value("lower(column.collation)"), json!("nocase"));
        assert_eq!(value("upper('MiXed')"), json!("MIXED"));
        assert_eq!(value("len('héllo')"), json!(5));
        assert_eq!(value("len(column.type_args)"), json!(2));
        assert_eq!(value("len(table.options)"), json!(2));
        assert_eq!(value("len([])"), json!(0));
    }

    #[test]
    fn functions_starts_ends_contains() {
        assert!(ok("starts_with(column.name, 'user')"));
        assert!(!ok("starts_with(column.name, 'uuid')"));
        assert!(ok(r#"ends_with(column.name, "_uuid")"#));
        assert!(ok(r#"contains(column.name, "r_u")"#));
        assert!(ok(r#"contains(target.extensions, "vector")"#));
        assert!(!ok(r#"contains(target.extensions, "postgis")"#));
        assert!(ok("contains ( upper(column.name) , 'UUID' )"));
    }

    #[test]
    fn function_type_errors_name_the_argument() {
        let e = eval_err("lower(profile.rows) == 'x'");
        assert!(e.contains("`lower` needs a string as argument 1"), "{e}");
        let e = eval_err("starts_with('abc', 1)");
        assert!(e.contains("argument 2"), "{e}");
        let e = eval_err("len(true) > 0");
        assert!(e.contains("a string, list or object"), "{e}");
    }

    #[test]
    fn unknown_function_is_a_parse_error_at_its_name() {
        let e = parse_err("column.x == 1 and trim(column.name) == 'a'");
        assert_eq!((e.line, e.column), (1, 19));
        assert!(
            e.message.contains("unknown function `trim`"),
            "{}",
            e.message
        );
        assert!(e.message.contains("lower"), "{}", e.message);
    }

    #[test]
    fn wrong_argument_count_is_a_parse_error() {
        let e = parse_err("lower('a', 'b') == 'a'");
        assert_eq!((e.line, e.column), (1, 1));
        assert!(
            e.message.contains("`lower` takes 1 argument, got 2"),
            "{}",
            e.message
        );
        let e = parse_err("starts_with('a')");
        assert!(
            e.message.contains("takes 2 arguments, got 1"),
            "{}",
            e.message
        );
    }

    #[test]
    fn paths_index_arrays_and_missing_reads_as_null() {
        assert_eq!(value("column.type_args[0]"), json!(3));
        assert_eq!(value("column.type_args[1]"), json!(10));
        assert_eq!(value("column.type_args[2]"), json!(null));
        assert_eq!(value("table.foreign_keys[0].table"), json!("orgs"));
        assert_eq!(value("column.name[0]"), json!(null));
        assert_eq!(value("column.name.length"), json!(null));
        assert_eq!(value("nothing.at.all"), json!(null));
        assert_eq!(value("table.options.strict"), json!(true));
    }

    #[test]
    fn keywords_are_not_paths_but_may_follow_a_dot() {
        assert_eq!(value("table.in"), json!(null));
        assert_eq!(value("column.not_null"), json!(true));
        assert_eq!(value("notable"), json!(null));
        assert_eq!(value("nullable"), json!(null));
        let e = parse_err("in.x == 1");
        assert_eq!((e.line, e.column), (1, 1));
    }

    #[test]
    fn paths_lists_each_path_once_without_indexes() {
        let p = Predicate::parse(
            "column.type_args[0] > 2 and column.name ~ 'x' and lower(column.name) in \
             [table.name, 'y'] and -profile.rows < 0 and column.type_args[1] > 0",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            p.paths(),
            vec![
                "column.type_args",
                "column.name",
                "table.name",
                "profile.rows"
            ]
        );
        let p = Predicate::parse("1 == 1").unwrap_or_else(|e| panic!("{e}"));
        assert!(p.paths().is_empty());
    }

    #[test]
    fn whitespace_and_newlines_between_tokens() {
        assert!(ok(
            "column.type_args [ 0 ] == 3 and column . name == 'user_uuid'"
        ));
        let src = "\n  column.affinity == \"TEXT\"\n  and\tprofile.non_null >\n0\r\n  and column.type_args[0] == 3\n";
        assert!(ok(src));
        assert!(ok("( 1+2 )*3==9"));
        assert!(ok("column.type_name in[\"BOOL\"]"));
    }

    #[test]
    fn top_level_result_must_be_boolean() {
        assert_eq!(
            eval_err("profile.rows"),
            "predicate yields a number, not true/false"
        );
        assert_eq!(eval_err("'x'"), "predicate yields a string, not true/false");
        assert_eq!(eval_err("[1]"), "predicate yields a list, not true/false");
    }

    #[test]
    fn logic_operands_must_be_boolean_or_null() {
        let e = eval_err("profile.rows and true");
        assert!(e.contains("`and` needs true/false"), "{e}");
        assert!(e.contains("profile.rows"), "{e}");
        let e = eval_err("false or 'yes'");
        assert!(e.contains("`or` needs true/false"), "{e}");
        let e = eval_err("not 0");
        assert!(e.contains("`not` needs true/false"), "{e}");
    }

    #[test]
    fn ordering_incompatible_types_is_an_eval_error() {
        let e = eval_err(r#"column.name < 3"#);
        assert!(e.contains("`<` cannot order"), "{e}");
        assert!(e.contains("`column.name` (a string"), "{e}");
        assert!(e.contains("a number 3"), "{e}");
        let e = eval_err("true > false");
        assert!(e.contains("booleans support only == and !="), "{e}");
        let e = eval_err("[1] <= [2]");
        assert!(e.contains("`<=` cannot order a list"), "{e}");
    }

    #[test]
    fn triple_equals_reports_position_of_the_extra_sign() {
        let e = parse_err(r#"column.affinity === "TEXT""#);
        assert_eq!(e.line, 1);
        assert_eq!(e.column, 19);
        assert!(e.message.starts_with("expected a value"), "{}", e.message);
        assert!(e.message.ends_with("found `=`"), "{}", e.message);
    }

    #[test]
    fn syntax_error_positions_count_lines_and_columns_from_one() {
        let e = parse_err("column.a == 1\n  and\n  column.b >");
        assert_eq!((e.line, e.column), (3, 13));
        assert!(
            e.message.contains("found the end of the predicate"),
            "{}",
            e.message
        );
    }

    #[test]
    fn syntax_error_messages_name_expected_tokens_in_words() {
        let e = parse_err("column.a column.b");
        assert_eq!((e.line, e.column), (1, 10));
        assert!(e.message.contains("`and`/`or`"), "{}", e.message);
        assert!(e.message.contains("a comparison"), "{}", e.message);
        assert!(e.message.contains("found `column`"), "{}", e.message);
        let e = parse_err("lower(column.a");
        assert!(e.message.contains("`)`"), "{}", e.message);
        let e = parse_err("1 in [1, 2");
        assert!(e.message.contains("`]`"), "{}", e.message);
        assert!(!e.message.contains("rbracket"), "{}", e.message);
    }

    #[test]
    fn chained_comparisons_are_a_syntax_error() {
        let e = parse_err("1 < 2 < 3");
        assert_eq!((e.line, e.column), (1, 7));
        assert!(e.message.contains("cannot be chained"), "{}", e.message);
        let e = parse_err("a == b != c");
        assert!(e.message.contains("cannot be chained"), "{}", e.message);
    }

    #[test]
    fn not_without_in_in_infix_position_asks_for_in() {
        let e = parse_err("column.name not 'x'");
        assert_eq!((e.line, e.column), (1, 17));
        assert!(e.message.starts_with("expected `in`"), "{}", e.message);
    }

    #[test]
    fn unterminated_string_is_reported_at_its_opening_quote() {
        let e = parse_err("column.name == 'TEXT");
        assert_eq!((e.line, e.column), (1, 16));
        assert!(e.message.contains("unterminated string"), "{}", e.message);
        let e = parse_err(r#"column.name == "TEXT\""#);
        assert_eq!((e.line, e.column), (1, 16));
        assert!(e.message.contains("no closing \""), "{}", e.message);
    }

    #[test]
    fn empty_and_unterminated_inputs_are_syntax_errors() {
        let e = parse_err("");
        assert_eq!((e.line, e.column), (1, 1));
        let e = parse_err("   ");
        assert_eq!((e.line, e.column), (1, 4));
        let e = parse_err("column.type_args[x]");
        assert_eq!((e.line, e.column), (1, 18));
        assert!(e.message.contains("a list index"), "{}", e.message);
    }

    #[test]
    fn error_columns_count_characters_not_bytes() {
        let e = parse_err("'héé' == ==");
        assert_eq!((e.line, e.column), (1, 10));
        assert_eq!(e.message.rsplit("found ").next(), Some("`=`"));
    }

    #[test]
    fn deepest_accepted_predicate_fits_a_small_thread_stack() {
        // Debug build, 1 MiB stack: half of a default thread's.
        let run = || {
            let n = MAX_NESTING - 1;
            let sources = [
                format!("{}1{} == 1", "(".repeat(n), ")".repeat(n)),
                format!("{}'A'{} == 'a'", "lower(".repeat(n), ")".repeat(n)),
                format!("{}1{} == 1", "[".repeat(n), "]".repeat(n)),
                format!("{}true{}", "not (".repeat(n / 2), ")".repeat(n / 2)),
            ];
            sources
                .iter()
                .map(|src| {
                    Predicate::parse(src)
                        .map_err(|e| e.to_string())
                        .and_then(|p| p.eval(&json!({})))
                })
                .collect::<Vec<_>>()
        };
        let results = std::thread::Builder::new()
            .stack_size(1024 * 1024)
            .spawn(run)
            .map(|h| h.join());
        match results {
            Ok(Ok(r)) => assert_eq!(r, vec![Ok(true), Ok(true), Ok(false), Ok(false)]),
            other => panic!("thread failed: {other:?}"),
        }
    }

    #[test]
    fn nesting_is_limited_and_the_limit_is_safe_to_evaluate() {
        let parens = format!("{}1{} == 1", "(".repeat(30), ")".repeat(30));
        assert!(ok(&parens));
        let nots = format!("{}true", "not (".repeat(15)) + &")".repeat(15);
        assert!(!ok(&nots));
        let lists = format!("{}1{} == 1", "[".repeat(30), "]".repeat(30));
        assert!(!ok(&lists));
        let calls = format!("{}'A'{} == 'a'", "lower(".repeat(30), ")".repeat(30));
        assert!(ok(&calls));
        let e = parse_err(&format!("{}1{}", "(".repeat(40), ")".repeat(40)));
        assert_eq!((e.line, e.column), (1, 33));
        assert!(
            e.message.contains("nested more than 32 levels"),
            "{}",
            e.message
        );
        let e = parse_err(&format!("{}true", "not ".repeat(40)));
        assert!(
            e.message.contains("nested more than 32 levels"),
            "{}",
            e.message
        );
    }

    #[test]
    fn uppercase_keywords_are_not_keywords() {
        let e = parse_err("true AND false");
        assert_eq!((e.line, e.column), (1, 6));
    }

    #[test]
    fn integer_literal_out_of_range_is_a_parse_error() {
        let e = parse_err("99999999999999999999 > 1");
        assert_eq!((e.line, e.column), (1, 1));
        assert!(e.message.contains("out of range"), "{}", e.message);
    }

    #[test]
    fn display_shows_position_and_message() {
        let e = PredicateError {
            line: 2,
            column: 5,
            message: "boom".to_string(),
        };
        assert_eq!(e.to_string(), "2:5: boom");
    }

    #[test]
    fn parsed_predicate_keeps_its_source_and_is_reusable() {
        let src = "profile.rows > 5";
        let p = Predicate::parse(src).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.source, src);
        assert_eq!(p.eval(&facts()), Ok(true));
        assert_eq!(p.eval(&json!({"profile": {"rows": 1}})), Ok(false));
        assert_eq!(p.eval(&json!({})), Ok(false));
    }
}
