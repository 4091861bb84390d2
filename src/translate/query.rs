//! SQLite view queries → PostgreSQL queries, through the sqlparser AST.
//!
//! Input: the text of one `CREATE VIEW … AS SELECT …`, a [`Catalog`] of the
//! relations it may read (migrated tables and views already translated,
//! each as SQLite name → PostgreSQL name and columns), and optionally the
//! result-column names SQLite reports for the view. Output: a
//! [`TranslatedView`] — the PostgreSQL `SELECT`, its result columns, the
//! relations it reads — or the reason it cannot be translated.
//!
//! Every expression goes through the expression translator with a
//! [`Scope`] that resolves `alias.column` and bare columns over the FROM
//! clause (and outer queries, for correlated subqueries). Invariants:
//! - Every result column is aliased with SQLite's result-column name, so an
//!   application reads the same names.
//! - Every FROM relation is aliased with the SQLite alias (or table name) as
//!   written; column references are always qualified.
//! - Semantics that differ are written out: `NULLS FIRST`/`NULLS LAST` on
//!   every ORDER BY key (SQLite sorts NULLs first ascending), `COLLATE "C"`
//!   on text keys (SQLite's BINARY order), `NULLIF(divisor, 0)` (SQLite's
//!   `x/0` is NULL), ASCII-only case folding for LIKE, `count`/`sum`/`avg`
//!   with SQLite's result types. Anything else unknown is refused.
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use sqlparser::ast::{
    BinaryOperator, Distinct, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentClause,
    FunctionArguments, GroupByExpr, Ident, Join, JoinConstraint, JoinOperator, LimitClause,
    ObjectName, ObjectNamePart, OrderByExpr, OrderByKind, OrderBySort, Query, Select, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, SetOperator, SetQuantifier, Statement, TableFactor,
    TableWithJoins, Value, WindowFrameBound, WindowType,
};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Tokenizer;

use super::appfn::{AppFunctions, Side, expand};
use super::{ColumnInfo, ExprContext, Frag, Kind, R, Translator, Untranslatable, fail, prec};
use crate::ident::{quote_ident, quote_literal};

/// A relation a view may read.
#[derive(Debug, Clone)]
pub struct Relation {
    /// Final PostgreSQL name (unquoted).
    pub pg_name: String,
    /// SQLite column name (as declared) → what it became, in order.
    pub columns: Vec<(String, ColumnInfo)>,
    /// The SQLite name of the column that aliases the table's rowid (its
    /// `INTEGER PRIMARY KEY`): what `rowid`, `oid` and `_rowid_` read.
    pub rowid: Option<String>,
}

/// The relations in reach, by lower-cased SQLite name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub relations: BTreeMap<String, Relation>,
    /// Lower-cased names of every SQLite view (to say why one is missing).
    pub views: BTreeSet<String>,
    /// Lower-cased names of the SQLite tables that are not migrated → what
    /// they are (`an FTS5 virtual table`), to say why one is missing.
    pub not_migrated: BTreeMap<String, String>,
    /// The target has pgcrypto (see [`ExprContext::pgcrypto`]).
    pub pgcrypto: bool,
    /// Application functions the rule pack declares ([`super::appfn`]).
    pub functions: AppFunctions,
}

/// A translated view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranslatedView {
    /// The PostgreSQL query (no `CREATE VIEW`).
    pub sql: String,
    /// Result columns: SQLite's name and the PostgreSQL type as SQL.
    pub columns: Vec<(String, String)>,
    /// Lower-cased SQLite names of the relations read.
    pub depends_on: Vec<String>,
    /// Extensions the expressions need, sorted.
    pub extensions: Vec<String>,
    pub notes: Vec<String>,
    /// The declared application functions it calls, sorted.
    pub app_functions: Vec<String>,
}

/// Translate one `CREATE VIEW` statement. `names`: SQLite's result-column
/// names for the view (`PRAGMA table_info`), when known.
pub fn translate_view(
    create_sql: &str,
    catalog: &Catalog,
    names: Option<&[String]>,
) -> Result<TranslatedView, Untranslatable> {
    let (query, declared, app_functions) = parse_create_view(create_sql, &catalog.functions)?;
    let env = Env {
        catalog,
        ctx: ExprContext {
            pgcrypto: catalog.pgcrypto,
            functions: catalog.functions.clone(),
            ..ExprContext::default()
        },
        deps: RefCell::new(BTreeSet::new()),
        extensions: RefCell::new(BTreeSet::new()),
        notes: RefCell::new(Vec::new()),
        ctes: RefCell::new(BTreeMap::new()),
    };
    let names = if declared.is_empty() {
        names.map(<[String]>::to_vec)
    } else {
        Some(declared)
    };
    let out = query_sql(&env, None, &query, names.as_deref())?;
    let mut seen = BTreeSet::new();
    for c in &out.cols {
        if !c.certain {
            return fail(format!(
                "the result column `{}` has no AS name, and SQLite's name for it is not known \
                 without the database file",
                c.name
            ));
        }
        if !seen.insert(pg_column(&c.name)) {
            return fail(format!("two result columns are named `{}`", c.name));
        }
    }
    let columns = out
        .cols
        .iter()
        .map(|c| (c.name.clone(), pg_type_of(c.kind).to_string()))
        .collect();
    Ok(TranslatedView {
        sql: out.sql,
        columns,
        extensions: env.extensions.into_inner().into_iter().collect(),
        depends_on: env.deps.into_inner().into_iter().collect(),
        notes: env.notes.into_inner(),
        app_functions,
    })
}

/// The query and the column list of `CREATE VIEW v(a, b) AS …`, the
/// declared application functions expanded, and their names.
fn parse_create_view(sql: &str, fns: &AppFunctions) -> R<(Query, Vec<String>, Vec<String>)> {
    let dialect = SQLiteDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| Untranslatable::new(format!("cannot tokenize the view: {e}")))?;
    let tokens = super::rewrite_sqlite_tokens(sql, tokens)?;
    let mut parser = Parser::new(&dialect).with_tokens_with_locations(tokens);
    let mut stmt = parser
        .parse_statement()
        .map_err(|e| Untranslatable::new(format!("cannot parse the view: {e}")))?;
    let used = expand(&mut stmt, fns, Side::Postgres)?;
    match stmt {
        Statement::CreateView(v) => Ok((
            *v.query,
            v.columns.into_iter().map(|c| c.name.value).collect(),
            used,
        )),
        other => fail(format!("not a CREATE VIEW statement: `{other}`")),
    }
}

/// What every scope of one view shares.
pub(super) struct Env<'a> {
    catalog: &'a Catalog,
    ctx: ExprContext,
    deps: RefCell<BTreeSet<String>>,
    extensions: RefCell<BTreeSet<String>>,
    notes: RefCell<Vec<String>>,
    /// Common table expressions in reach, by lower-cased name.
    ctes: RefCell<BTreeMap<String, Relation>>,
}

/// One relation of a FROM clause.
struct Source {
    /// The alias as written (or the table name): how the output names it.
    alias: String,
    rel: Relation,
}

/// The FROM clause of one SELECT and its outer queries.
pub(super) struct Scope<'a> {
    env: &'a Env<'a>,
    sources: Vec<Source>,
    parent: Option<&'a Scope<'a>>,
    /// Columns a `USING` or `NATURAL` join merged.
    using: Vec<Using>,
}

/// A column `USING` (or `NATURAL`) joins: the join's right source and
/// the left one it matches, by index into `sources`. SQLite reads the
/// left one's value for the bare name and leaves the right one out of `*`.
#[derive(Debug, Clone)]
struct Using {
    /// The SQLite column name, as the right source declares it.
    name: String,
    left: usize,
    right: usize,
}

impl<'a> Scope<'a> {
    /// Resolve `qual.name` or a bare `name`: `None` when nothing in reach
    /// has it (the caller's fallbacks apply), an error when ambiguous.
    pub(super) fn column(&self, qual: Option<&str>, name: &str) -> Option<R<Frag>> {
        match self.find(qual, name) {
            Ok(Some((src, info))) => {
                let sql = qualified(&src.alias, &info.pg_name);
                let mut f = Frag::atom(sql, Kind::of_pg_type(&info.pg_type));
                f.bare_ok = true;
                Some(Ok(f))
            }
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// What is known of the column `e` names.
    pub(super) fn info(&self, e: &Expr) -> Option<&ColumnInfo> {
        let (qual, name) = match e {
            Expr::Identifier(id) => (None, &id.value),
            Expr::CompoundIdentifier(p) if p.len() == 2 => (Some(p[0].value.as_str()), &p[1].value),
            Expr::Nested(inner) => return self.info(inner),
            _ => return None,
        };
        self.find(qual, name).ok().flatten().map(|(_, i)| i)
    }

    fn find(&self, qual: Option<&str>, name: &str) -> R<Option<(&Source, &ColumnInfo)>> {
        let hits: Vec<(&Source, &ColumnInfo)> = self
            .sources
            .iter()
            .enumerate()
            .filter(|(_, s)| qual.is_none_or(|q| s.alias.eq_ignore_ascii_case(q)))
            .filter(|&(i, _)| qual.is_some() || !self.merged_away(i, name))
            .filter_map(|(_, s)| {
                s.rel
                    .columns
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, i)| (s, i))
            })
            .collect();
        match hits.as_slice() {
            [one] => Ok(Some(*one)),
            [] if super::is_rowid(name) => self.rowid(qual, name),
            [] => match self.parent {
                Some(p) => p.find(qual, name),
                None => Ok(None),
            },
            _ => fail(format!("ambiguous column name `{name}`")),
        }
    }

    /// `qual.rowid` (or `oid`, `_rowid_`) where no column has that name:
    /// the column that aliases the rowid of the one table it can mean.
    fn rowid(&self, qual: Option<&str>, name: &str) -> R<Option<(&Source, &ColumnInfo)>> {
        let tables: Vec<&Source> = self
            .sources
            .iter()
            .filter(|s| qual.is_none_or(|q| s.alias.eq_ignore_ascii_case(q)))
            .collect();
        let one = match tables.as_slice() {
            [] => return self.parent.map_or(Ok(None), |p| p.find(qual, name)),
            [one] => one,
            _ => return fail(format!("ambiguous column name `{name}`")),
        };
        let alias = one.rel.rowid.as_deref().and_then(|c| {
            one.rel
                .columns
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(c))
        });
        match alias {
            Some((_, info)) => Ok(Some((one, info))),
            None => fail(format!(
                "`{}{name}` is SQLite's implicit row id, which PostgreSQL does not have: \
                 `{}` has no INTEGER PRIMARY KEY column that aliases it",
                qual.map(|q| format!("{q}.")).unwrap_or_default(),
                one.alias
            )),
        }
    }

    /// Source `i` is the right side of a `USING`/`NATURAL` join on `name`.
    fn merged_away(&self, i: usize, name: &str) -> bool {
        self.using
            .iter()
            .any(|u| u.right == i && u.name.eq_ignore_ascii_case(name))
    }
}

/// `alias.column`; `(new).U&"…"` for a trigger's NEW or OLD when the
/// column needs Unicode escapes, which PL/pgSQL's record fields do not read.
fn qualified(alias: &str, column: &str) -> String {
    let col = quote_ident(column);
    let record = alias == "new" || alias == "old";
    if record && col.starts_with("U&") {
        format!("({alias}).{col}")
    } else {
        format!("{}.{col}", quote_ident(alias))
    }
}

/// A printed query with its result columns.
struct Out {
    sql: String,
    cols: Vec<OutCol>,
}

#[derive(Clone)]
struct OutCol {
    name: String,
    /// The name is SQLite's (an alias, a column's declared name, or given).
    certain: bool,
    kind: Kind,
    /// The select item's expression, for ORDER BY by position or alias.
    expr: Frag,
}

/// A result column's PostgreSQL name: SQLite's, shortened past 63 bytes
/// the way table columns are.
pub fn pg_column(name: &str) -> String {
    crate::ident::shorten(name).unwrap_or_else(|| name.to_string())
}

/// The PostgreSQL type a result column of this kind has.
fn pg_type_of(k: Kind) -> &'static str {
    match k {
        Kind::Bool => "boolean",
        Kind::Int => "bigint",
        Kind::Real => "double precision",
        Kind::Numeric => "numeric",
        Kind::Text => "text",
        Kind::Bytes => "bytea",
        Kind::Timestamptz => "timestamptz",
        Kind::Timestamp => "timestamp",
        Kind::Date => "date",
        Kind::Time => "time",
        Kind::Json => "jsonb",
        Kind::Null | Kind::Other => "unknown",
    }
}

/// The storage class SQLite's `typeof` reports for every value of a kind.
pub fn sqlite_class_of(pg_type: &str) -> Option<&'static str> {
    match Kind::of_pg_type(pg_type) {
        Kind::Bool | Kind::Int => Some("integer"),
        Kind::Real => Some("real"),
        Kind::Text => Some("text"),
        Kind::Bytes => Some("blob"),
        _ => None,
    }
}

/// Translate one expression in `scope`; the translator's notes and
/// extensions go to the view's.
fn scoped(scope: &Scope, e: &Expr, as_bool: bool) -> R<Frag> {
    let mut t = Translator::new(&scope.env.ctx, Some(scope));
    let f = t.expr(e, None)?;
    let f = if as_bool { t.as_bool(f)? } else { f };
    absorb(scope.env, t);
    Ok(f)
}

fn absorb(env: &Env, t: Translator) {
    env.extensions.borrow_mut().extend(t.extensions);
    let mut notes = env.notes.borrow_mut();
    for n in t.notes {
        if !notes.contains(&n) {
            notes.push(n);
        }
    }
}

fn query_sql(env: &Env, parent: Option<&Scope>, q: &Query, names: Option<&[String]>) -> R<Out> {
    if q.fetch.is_some() || !q.locks.is_empty() || q.for_clause.is_some() || q.settings.is_some() {
        return fail(format!("unsupported query clause in `{q}`"));
    }
    if q.format_clause.is_some() || !q.pipe_operators.is_empty() {
        return fail(format!("unsupported query clause in `{q}`"));
    }
    let saved = env.ctes.borrow().clone();
    let r = with_and_body(env, parent, q, names);
    *env.ctes.borrow_mut() = saved;
    r
}

fn with_and_body(env: &Env, parent: Option<&Scope>, q: &Query, names: Option<&[String]>) -> R<Out> {
    let mut with = String::new();
    if let Some(w) = &q.with {
        let mut parts = Vec::new();
        for cte in &w.cte_tables {
            if cte.materialized.is_some() || cte.alias.columns.iter().any(|c| c.data_type.is_some())
            {
                return fail(format!("unsupported common table expression `{cte}`"));
            }
            parts.push(cte_sql(env, parent, cte, w.recursive)?);
        }
        let word = if w.recursive {
            "WITH RECURSIVE"
        } else {
            "WITH"
        };
        with = format!("{word} {} ", parts.join(", "));
    }
    let mut out = match q.body.as_ref() {
        SetExpr::Select(s) if !is_distinct(s)? => select_sql(env, parent, s, q, names)?,
        body => {
            let inner = set_sql(env, parent, body, names)?;
            order_outputs(inner, q)?
        }
    };
    out.sql = format!("{with}{}{}", out.sql, limit_sql(env, q)?);
    Ok(out)
}

/// One common table expression, printed, and made a relation for what
/// follows. `(a, b)` column names rename its result columns. Under
/// `WITH RECURSIVE`, a CTE that is a UNION is translated as a recursive
/// one ([`recursive_sql`]).
fn cte_sql(
    env: &Env,
    parent: Option<&Scope>,
    cte: &sqlparser::ast::Cte,
    recursive: bool,
) -> R<String> {
    let name = cte.alias.name.value.clone();
    let names: Vec<String> = cte
        .alias
        .columns
        .iter()
        .map(|c| c.name.value.clone())
        .collect();
    let union = match cte.query.body.as_ref() {
        SetExpr::SetOperation {
            left,
            op: SetOperator::Union,
            set_quantifier,
            right,
        } if recursive => Some((left, set_quantifier, right)),
        _ => None,
    };
    let (sql, mut cols) = match union {
        Some((left, quantifier, right)) => {
            recursive_sql(env, parent, cte, &names, (left, quantifier, right))?
        }
        None => {
            let out = query_sql(env, parent, &cte.query, None)?;
            (out.sql, out.cols)
        }
    };
    if !names.is_empty() {
        rename(&mut cols, &names, "a common table expression names")?;
    }
    env.ctes
        .borrow_mut()
        .insert(name.to_lowercase(), relation_of(&name, &cols));
    let list = if names.is_empty() {
        String::new()
    } else {
        let cols: Vec<String> = cols
            .iter()
            .map(|c| quote_ident(&pg_column(&c.name)))
            .collect();
        format!("({})", cols.join(", "))
    };
    Ok(format!("{}{list} AS ({sql})", quote_ident(&name)))
}

/// Result columns named by a list: a CTE's `(a, b)` or SQLite's
/// result-column names; `who` says whose list it is, for the error.
fn rename(cols: &mut [OutCol], names: &[String], who: &str) -> R<()> {
    if names.len() != cols.len() {
        return fail(format!(
            "{who} {} result columns, the translation has {}",
            names.len(),
            cols.len()
        ));
    }
    for (c, n) in cols.iter_mut().zip(names) {
        c.name = n.clone();
        c.certain = true;
    }
    Ok(())
}

/// `initial UNION [ALL] recursive`: the initial select first, its columns
/// cast to the types the kinds map to (PostgreSQL takes the recursive
/// union's types from it), then the recursive select with the CTE in
/// reach. Exact where SQLite's queue and PostgreSQL's working table give
/// the same rows: no ORDER BY, LIMIT or OFFSET on the CTE (SQLite's
/// would steer the queue), one recursive select, and the same kind in
/// each column on both sides.
fn recursive_sql(
    env: &Env,
    parent: Option<&Scope>,
    cte: &sqlparser::ast::Cte,
    names: &[String],
    (left, quantifier, right): (&SetExpr, &SetQuantifier, &SetExpr),
) -> R<(String, Vec<OutCol>)> {
    let q = &cte.query;
    if q.order_by.is_some() || q.limit_clause.is_some() || q.with.is_some() {
        return fail(
            "ORDER BY, LIMIT or WITH on a recursive common table expression (SQLite's steer its queue)",
        );
    }
    if matches!(left, SetExpr::SetOperation { .. }) || matches!(right, SetExpr::SetOperation { .. })
    {
        return fail("a recursive common table expression of more than two selects");
    }
    let all = match quantifier {
        SetQuantifier::None | SetQuantifier::Distinct => "",
        SetQuantifier::All => " ALL",
        other => return fail(format!("unsupported `UNION {other}`")),
    };
    let initial = set_sql(env, parent, left, None)?;
    let mut cols = initial.cols.clone();
    if !names.is_empty() {
        rename(&mut cols, names, "a common table expression names")?;
    }
    let name = cte.alias.name.value.clone();
    env.ctes
        .borrow_mut()
        .insert(name.to_lowercase(), relation_of(&name, &cols));
    let rec = set_sql(env, parent, right, None)?;
    if rec.cols.len() != cols.len() {
        return fail("a recursive union of selects with different column counts");
    }
    let mut items = Vec::new();
    for (i, (a, b)) in initial.cols.iter().zip(&rec.cols).enumerate() {
        if a.kind != b.kind && b.kind != Kind::Null || matches!(a.kind, Kind::Null | Kind::Other) {
            return fail(format!(
                "recursive column {} is {} in the initial select and {} in the recursive one",
                i + 1,
                a.kind.name(),
                b.kind.name()
            ));
        }
        let n = quote_ident(&pg_column(&a.name));
        items.push(format!("\"initial\".{n}::{} AS {n}", pg_type_of(a.kind)));
    }
    let mut seen = BTreeSet::new();
    if !initial.cols.iter().all(|c| seen.insert(pg_column(&c.name))) {
        return fail(
            "the initial select of a recursive common table expression repeats a column name",
        );
    }
    let sql = format!(
        "SELECT {} FROM ({}) AS \"initial\" UNION{all} {}",
        items.join(", "),
        initial.sql,
        rec.sql
    );
    Ok((sql, cols))
}

fn is_distinct(s: &Select) -> R<bool> {
    match &s.distinct {
        None | Some(Distinct::All) => Ok(false),
        Some(Distinct::Distinct) => Ok(true),
        Some(d) => fail(format!("unsupported `{d}`")),
    }
}

/// A query's result as a relation a later FROM can read.
fn relation_of(name: &str, cols: &[OutCol]) -> Relation {
    Relation {
        pg_name: name.to_string(),
        columns: cols
            .iter()
            .map(|c| {
                let pg_type = pg_type_of(c.kind).to_string();
                let info = ColumnInfo {
                    pg_name: pg_column(&c.name),
                    sqlite_class: sqlite_class_of(&pg_type),
                    pg_type,
                    time: None,
                };
                (c.name.clone(), info)
            })
            .collect(),
        rowid: None,
    }
}

/// The body of a compound (or DISTINCT) query, without ORDER BY.
fn set_sql(env: &Env, parent: Option<&Scope>, body: &SetExpr, names: Option<&[String]>) -> R<Out> {
    match body {
        SetExpr::Select(s) => select_sql(env, parent, s, &no_order(), names),
        SetExpr::Query(q) => {
            let out = query_sql(env, parent, q, names)?;
            Ok(Out {
                sql: format!("({})", out.sql),
                cols: out.cols,
            })
        }
        SetExpr::SetOperation {
            left,
            op,
            set_quantifier,
            right,
        } => {
            let word = match op {
                SetOperator::Union => "UNION",
                SetOperator::Except => "EXCEPT",
                SetOperator::Intersect => "INTERSECT",
                other => return fail(format!("unsupported set operator `{other}`")),
            };
            let mixed = *op == SetOperator::Intersect || is_intersect(left) || is_intersect(right);
            if mixed && !same_ops(body, op) {
                return fail(
                    "INTERSECT mixed with UNION/EXCEPT: SQLite evaluates compounds left to \
                     right, PostgreSQL binds INTERSECT tighter",
                );
            }
            let all = match set_quantifier {
                SetQuantifier::None | SetQuantifier::Distinct => "",
                SetQuantifier::All => " ALL",
                other => return fail(format!("unsupported `{word} {other}`")),
            };
            let l = set_sql(env, parent, left, names)?;
            let r = set_sql(env, parent, right, None)?;
            if l.cols.len() != r.cols.len() {
                return fail(format!("{word} of queries with different column counts"));
            }
            let sql = format!("{} {word}{all} {}", wrap_set(&l, left), wrap_set(&r, right));
            let cols = unify_cols(l.cols, &r.cols, word)?;
            Ok(Out { sql, cols })
        }
        other => fail(format!("unsupported query `{other}`")),
    }
}

fn wrap_set(o: &Out, b: &SetExpr) -> String {
    if matches!(b, SetExpr::SetOperation { .. }) {
        format!("({})", o.sql)
    } else {
        o.sql.clone()
    }
}

fn is_intersect(b: &SetExpr) -> bool {
    matches!(
        b,
        SetExpr::SetOperation {
            op: SetOperator::Intersect,
            ..
        }
    )
}

/// Every set operator in the tree is `op`.
fn same_ops(b: &SetExpr, op: &SetOperator) -> bool {
    match b {
        SetExpr::SetOperation {
            left, op: o, right, ..
        } => o == op && same_ops(left, op) && same_ops(right, op),
        _ => true,
    }
}

/// The result columns of a compound: the left's names, a kind both sides
/// share (PostgreSQL refuses a text/integer mix that SQLite takes).
fn unify_cols(left: Vec<OutCol>, right: &[OutCol], word: &str) -> R<Vec<OutCol>> {
    let mut out = Vec::with_capacity(left.len());
    for (mut l, r) in left.into_iter().zip(right) {
        let loose = |k: Kind| matches!(k, Kind::Null | Kind::Other);
        if loose(l.kind) {
            l.kind = r.kind;
        } else if !loose(r.kind) && l.kind != r.kind {
            let both_num = l.kind.is_numeric() && r.kind.is_numeric();
            if !both_num {
                return fail(format!(
                    "{word} of a {} and a {} column (`{}`): PostgreSQL needs one type",
                    l.kind.name(),
                    r.kind.name(),
                    l.name
                ));
            }
            l.kind = super::arith_kind(l.kind, r.kind);
        }
        out.push(l);
    }
    Ok(out)
}

fn no_order() -> Query {
    Query {
        with: None,
        body: Box::new(SetExpr::Values(sqlparser::ast::Values {
            explicit_row: false,
            value_keyword: false,
            rows: Vec::new(),
        })),
        order_by: None,
        limit_clause: None,
        fetch: None,
        locks: Vec::new(),
        for_clause: None,
        settings: None,
        format_clause: None,
        pipe_operators: Vec::new(),
    }
}

/// ORDER BY over a compound or DISTINCT result: keys must name result
/// columns (by name or position); wrapped so text keys can take
/// `COLLATE "C"`.
fn order_outputs(inner: Out, q: &Query) -> R<Out> {
    let keys = order_exprs(q)?;
    if keys.is_empty() {
        return Ok(inner);
    }
    let mut parts = Vec::new();
    for o in keys {
        let col = output_ref(&inner.cols, &o.expr).ok_or_else(|| {
            Untranslatable::new(format!(
                "ORDER BY `{}` is not a result column of the compound or DISTINCT query",
                o.expr
            ))
        })?;
        let f = Frag::atom(quote_ident(&pg_column(&col.name)), col.kind);
        parts.push(order_key(&f, o)?);
    }
    Ok(Out {
        sql: format!(
            "SELECT * FROM ({}) AS \"ordered\" ORDER BY {}",
            inner.sql,
            parts.join(", ")
        ),
        cols: inner.cols,
    })
}

fn order_exprs(q: &Query) -> R<&[OrderByExpr]> {
    match &q.order_by {
        None => Ok(&[]),
        Some(ob) => {
            if ob.interpolate.is_some() {
                return fail(format!("unsupported `{ob}`"));
            }
            match &ob.kind {
                OrderByKind::Expressions(v) => Ok(v),
                OrderByKind::All(_) => fail("ORDER BY ALL is not SQLite"),
            }
        }
    }
}

/// The result column an ORDER BY term names: a position or a name.
fn output_ref<'o>(cols: &'o [OutCol], e: &Expr) -> Option<&'o OutCol> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => {
                let i: usize = n.parse().ok()?;
                cols.get(i.checked_sub(1)?)
            }
            _ => None,
        },
        Expr::Identifier(id) => cols.iter().find(|c| c.name.eq_ignore_ascii_case(&id.value)),
        Expr::CompoundIdentifier(p) => {
            let last = p.last()?;
            cols.iter()
                .find(|c| c.name.eq_ignore_ascii_case(&last.value))
        }
        Expr::Nested(inner) => output_ref(cols, inner),
        _ => None,
    }
}

/// One ORDER BY key with SQLite's order spelled out: text in code-point
/// order (`COLLATE "C"`), NULLs first ascending and last descending.
fn order_key(f: &Frag, o: &OrderByExpr) -> R<String> {
    if o.with_fill.is_some() {
        return fail(format!("unsupported `{o}`"));
    }
    let desc = match &o.options.sort {
        None | Some(OrderBySort::Asc) => false,
        Some(OrderBySort::Desc) => true,
        Some(other) => return fail(format!("unsupported ORDER BY `{other:?}`")),
    };
    let nulls_first = o.options.nulls_first.unwrap_or(!desc);
    let key = if f.kind == Kind::Text {
        format!("{} COLLATE \"C\"", f.wrap(prec::COLLATE + 1))
    } else {
        f.sql.clone()
    };
    Ok(format!(
        "{key}{}{}",
        if desc { " DESC" } else { "" },
        if nulls_first {
            " NULLS FIRST"
        } else {
            " NULLS LAST"
        }
    ))
}

/// `LIMIT`/`OFFSET`: integer literals only; SQLite reads a negative LIMIT
/// as none and a negative OFFSET as zero, PostgreSQL refuses both.
fn limit_sql(env: &Env, q: &Query) -> R<String> {
    let (limit, offset) = match &q.limit_clause {
        None => return Ok(String::new()),
        Some(LimitClause::LimitOffset {
            limit,
            offset,
            limit_by,
        }) => {
            if !limit_by.is_empty() {
                return fail("LIMIT BY is not SQLite");
            }
            (limit.as_ref(), offset.as_ref().map(|o| &o.value))
        }
        Some(LimitClause::OffsetCommaLimit { offset, limit }) => (Some(limit), Some(offset)),
    };
    let scope = Scope {
        env,
        sources: Vec::new(),
        parent: None,
        using: Vec::new(),
    };
    let mut out = String::new();
    if let Some(l) = limit {
        let n = int_literal(&scope, l, "LIMIT")?;
        if n >= 0 {
            out.push_str(&format!(" LIMIT {n}"));
        }
    }
    if let Some(o) = offset {
        let n = int_literal(&scope, o, "OFFSET")?;
        if n > 0 {
            out.push_str(&format!(" OFFSET {n}"));
        }
    }
    Ok(out)
}

fn int_literal(scope: &Scope, e: &Expr, what: &str) -> R<i64> {
    scoped(scope, e, false)?
        .int_lit
        .ok_or_else(|| Untranslatable::new(format!("{what} `{e}` is not an integer literal")))
}

fn select_sql(
    env: &Env,
    parent: Option<&Scope>,
    s: &Select,
    q: &Query,
    names: Option<&[String]>,
) -> R<Out> {
    check_select(s)?;
    let mut printed = Vec::new();
    let mut sources = Vec::new();
    for twj in &s.from {
        printed.push(factor(env, parent, &twj.relation, &mut sources)?);
        for j in &twj.joins {
            printed.push(factor(env, parent, &j.relation, &mut sources)?);
        }
    }
    for (i, a) in sources.iter().enumerate() {
        if sources[..i]
            .iter()
            .any(|b| b.alias.eq_ignore_ascii_case(&a.alias))
        {
            return fail(format!("two FROM items are named `{}`", a.alias));
        }
    }
    let using = using_columns(&s.from, &sources)?;
    let scope = Scope {
        env,
        sources,
        parent,
        using,
    };
    let from = from_sql(&scope, &s.from, printed)?;
    let mut cols = projection(&scope, &s.projection)?;
    if let Some(names) = names {
        rename(&mut cols, names, "SQLite reports")?;
    }
    let mut sql = String::from("SELECT ");
    if is_distinct(s)? {
        sql.push_str("DISTINCT ");
    }
    let items: Vec<String> = cols
        .iter()
        .map(|c| format!("{} AS {}", c.expr.sql, quote_ident(&pg_column(&c.name))))
        .collect();
    sql.push_str(&items.join(", "));
    sql.push_str(&from);
    sql.push_str(&clauses(&scope, s, &cols)?);
    sql.push_str(&select_order(&scope, q, &cols)?);
    Ok(Out { sql, cols })
}

fn check_select(s: &Select) -> R<()> {
    let unsupported = s.top.is_some()
        || s.into.is_some()
        || !s.lateral_views.is_empty()
        || s.prewhere.is_some()
        || !s.connect_by.is_empty()
        || !s.cluster_by.is_empty()
        || !s.distribute_by.is_empty()
        || !s.sort_by.is_empty()
        || !s.named_window.is_empty()
        || s.qualify.is_some()
        || s.value_table_mode.is_some()
        || s.exclude.is_some()
        || !s.optimizer_hints.is_empty()
        || s.select_modifiers.is_some();
    if unsupported {
        return fail(format!("unsupported SELECT clause in `{s}`"));
    }
    Ok(())
}

/// Resolve one FROM item into `sources`; its printed form.
fn factor(
    env: &Env,
    parent: Option<&Scope>,
    f: &TableFactor,
    sources: &mut Vec<Source>,
) -> R<String> {
    match f {
        TableFactor::Table {
            name,
            alias,
            args: None,
            with_hints,
            version: None,
            with_ordinality: false,
            partitions,
            json_path: None,
            sample: None,
            index_hints,
        } if with_hints.is_empty() && partitions.is_empty() && index_hints.is_empty() => {
            let table = table_name(name)?;
            let rel = lookup(env, &table, "reads")?;
            let alias = match alias {
                Some(a) if a.columns.is_empty() => a.name.value.clone(),
                Some(a) => return fail(format!("unsupported table alias `{a}`")),
                None => table.clone(),
            };
            let printed = format!("{} AS {}", quote_ident(&rel.pg_name), quote_ident(&alias));
            sources.push(Source { alias, rel });
            Ok(printed)
        }
        TableFactor::Derived {
            lateral: false,
            subquery,
            alias,
            sample: None,
        } if alias.as_ref().is_none_or(|a| a.columns.is_empty()) => {
            let _ = parent; // a FROM subquery sees no outer columns in SQLite
            let out = query_sql(env, None, subquery, None)?;
            // PostgreSQL 15 needs an alias; an unaliased one is only ever
            // read through bare column names, so any unused name serves.
            let name = match alias {
                Some(a) => a.name.value.clone(),
                None => format!("(subquery-{})", sources.len() + 1),
            };
            let printed = format!("({}) AS {}", out.sql, quote_ident(&name));
            sources.push(Source {
                rel: relation_of(&name, &out.cols),
                alias: name,
            });
            Ok(printed)
        }
        other => fail(format!("unsupported FROM item `{other}`")),
    }
}

fn table_name(name: &ObjectName) -> R<String> {
    match name.0.as_slice() {
        [ObjectNamePart::Identifier(id)] => Ok(id.value.clone()),
        [
            ObjectNamePart::Identifier(schema),
            ObjectNamePart::Identifier(id),
        ] if schema.value.eq_ignore_ascii_case("main") => Ok(id.value.clone()),
        _ => fail(format!("table `{name}` in another schema")),
    }
}

/// A CTE in reach, else a migrated table or translated view; `verb`
/// (`reads`, `writes`) says what the query does with it, for the reason
/// it is missing.
fn lookup(env: &Env, table: &str, verb: &str) -> R<Relation> {
    let key = table.to_lowercase();
    if let Some(rel) = env.ctes.borrow().get(&key) {
        return Ok(rel.clone());
    }
    let key = table.to_ascii_lowercase();
    match env.catalog.relations.get(&key) {
        Some(rel) => {
            env.deps.borrow_mut().insert(key);
            Ok(rel.clone())
        }
        None if env.catalog.views.contains(&key) => fail(format!(
            "it {verb} the view `{table}`, which is not translated"
        )),
        None => match env.catalog.not_migrated.get(&key) {
            Some(what) => fail(format!(
                "it {verb} `{table}`, {what}, which is not migrated as a table"
            )),
            None => fail(format!(
                "it {verb} `{table}`, which is not a migrated table"
            )),
        },
    }
}

/// ` FROM a AS x JOIN b AS y ON …, c AS z`.
fn from_sql(scope: &Scope, from: &[TableWithJoins], printed: Vec<String>) -> R<String> {
    if from.is_empty() {
        return Ok(String::new());
    }
    let mut printed = printed.into_iter();
    let mut items = Vec::new();
    let mut at = 0;
    for twj in from {
        let mut item = printed.next().unwrap_or_default();
        for j in &twj.joins {
            at += 1;
            item.push(' ');
            item.push_str(&join_sql(scope, j, at, printed.next().unwrap_or_default())?);
        }
        at += 1;
        items.push(item);
    }
    Ok(format!(" FROM {}", items.join(", ")))
}

/// One join of `from_sql`; `right` is its relation's index in the scope.
fn join_sql(scope: &Scope, j: &Join, right: usize, rel: String) -> R<String> {
    let (word, c) = match &j.join_operator {
        JoinOperator::Join(c) | JoinOperator::Inner(c) => ("JOIN", c),
        JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => ("LEFT JOIN", c),
        JoinOperator::Right(c) | JoinOperator::RightOuter(c) => ("RIGHT JOIN", c),
        JoinOperator::FullOuter(c) => ("FULL JOIN", c),
        JoinOperator::CrossJoin(JoinConstraint::None) => return Ok(format!("CROSS JOIN {rel}")),
        other => return fail(format!("unsupported join `{other:?}`")),
    };
    match c {
        JoinConstraint::On(e) => {
            let cond = scoped(scope, e, true)?;
            Ok(format!("{word} {rel} ON {}", cond.sql))
        }
        JoinConstraint::None if word == "JOIN" => Ok(format!("CROSS JOIN {rel}")),
        JoinConstraint::Using(_) | JoinConstraint::Natural => {
            let cond = using_condition(scope, right)?;
            Ok(format!("{word} {rel} ON {}", cond.sql))
        }
        JoinConstraint::None => fail(format!("{word} without ON")),
    }
}

/// The columns each `USING` / `NATURAL` join of `from` merges, with the
/// left source each matches: the one earlier source that has the column
/// (a source already merged on it by an earlier join does not count).
/// Only inner and left joins: the merged column of a right or full join
/// is neither side's.
fn using_columns(from: &[TableWithJoins], sources: &[Source]) -> R<Vec<Using>> {
    let mut out: Vec<Using> = Vec::new();
    let mut at = 0;
    for twj in from {
        for j in &twj.joins {
            at += 1;
            let c = match &j.join_operator {
                JoinOperator::Join(c)
                | JoinOperator::Inner(c)
                | JoinOperator::Left(c)
                | JoinOperator::LeftOuter(c) => c,
                JoinOperator::Right(c)
                | JoinOperator::RightOuter(c)
                | JoinOperator::FullOuter(c)
                    if matches!(c, JoinConstraint::Using(_) | JoinConstraint::Natural) =>
                {
                    return fail(
                        "RIGHT or FULL JOIN with USING or NATURAL (the merged column is neither side's)",
                    );
                }
                _ => continue,
            };
            let names: Vec<String> = match c {
                JoinConstraint::Using(cols) => cols
                    .iter()
                    .map(|n| declared(&sources[at], &table_name(n)?))
                    .collect::<R<Vec<_>>>()?,
                JoinConstraint::Natural => sources[at]
                    .rel
                    .columns
                    .iter()
                    .map(|(n, _)| n.clone())
                    .filter(|n| left_of(sources, &out, at, n).next().is_some())
                    .collect(),
                _ => continue,
            };
            for name in names {
                let left: Vec<usize> = left_of(sources, &out, at, &name).collect();
                let [l] = left[..] else {
                    return fail(format!(
                        "USING column `{name}` is in no table or in several tables left of the join"
                    ));
                };
                out.push(Using {
                    name,
                    left: l,
                    right: at,
                });
            }
        }
        at += 1;
    }
    Ok(out)
}

/// The right source's declared name for a `USING` column.
fn declared(s: &Source, name: &str) -> R<String> {
    s.rel
        .columns
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(n, _)| n.clone())
        .ok_or_else(|| {
            Untranslatable::new(format!("USING column `{name}` is not in `{}`", s.alias))
        })
}

/// The sources before `right` that have column `name` and are not merged
/// into another on it.
fn left_of<'s>(
    sources: &'s [Source],
    merged: &'s [Using],
    right: usize,
    name: &'s str,
) -> impl Iterator<Item = usize> + 's {
    (0..right).filter(move |&i| {
        sources[i]
            .rel
            .columns
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
            && !merged
                .iter()
                .any(|u| u.right == i && u.name.eq_ignore_ascii_case(name))
    })
}

/// `left.c = right.c AND …` over the columns join `right` merges,
/// translated like any `ON` (SQLite's `USING` is exactly that
/// condition); `true` when a `NATURAL` join shares no column.
fn using_condition(scope: &Scope, right: usize) -> R<Frag> {
    let column = |i: usize, name: &str| {
        Expr::CompoundIdentifier(vec![
            Ident::new(scope.sources[i].alias.clone()),
            Ident::new(name),
        ])
    };
    let cond = scope
        .using
        .iter()
        .filter(|u| u.right == right)
        .map(|u| Expr::BinaryOp {
            left: Box::new(column(u.left, &u.name)),
            op: BinaryOperator::Eq,
            right: Box::new(column(u.right, &u.name)),
        })
        .reduce(|a, b| Expr::BinaryOp {
            left: Box::new(a),
            op: BinaryOperator::And,
            right: Box::new(b),
        });
    match cond {
        Some(e) => scoped(scope, &e, true),
        None => Ok(Frag::atom("true", Kind::Bool)),
    }
}

fn projection(scope: &Scope, items: &[SelectItem]) -> R<Vec<OutCol>> {
    let mut cols = Vec::new();
    for item in items {
        match item {
            SelectItem::UnnamedExpr(e) => {
                let f = scoped(scope, e, false)?;
                let (name, certain) = match declared_name(scope, e) {
                    Some(n) => (n, true),
                    None => (e.to_string(), false),
                };
                cols.push(OutCol {
                    name,
                    certain,
                    kind: f.kind,
                    expr: f,
                });
            }
            SelectItem::ExprWithAlias { expr, alias } => {
                let f = scoped(scope, expr, false)?;
                cols.push(OutCol {
                    name: alias.value.clone(),
                    certain: true,
                    kind: f.kind,
                    expr: f,
                });
            }
            SelectItem::Wildcard(opts) => {
                no_wildcard_options(&opts.to_string())?;
                for (i, s) in scope.sources.iter().enumerate() {
                    cols.extend(
                        star(s)
                            .into_iter()
                            .filter(|c| !scope.merged_away(i, &c.name)),
                    );
                }
            }
            SelectItem::QualifiedWildcard(kind, opts) => {
                no_wildcard_options(&opts.to_string())?;
                let SelectItemQualifiedWildcardKind::ObjectName(name) = kind else {
                    return fail(format!("unsupported `{item}`"));
                };
                let table = table_name(name)?;
                let s = scope
                    .sources
                    .iter()
                    .find(|s| s.alias.eq_ignore_ascii_case(&table))
                    .ok_or_else(|| {
                        Untranslatable::new(format!("no table `{table}` for `{item}`"))
                    })?;
                cols.extend(star(s));
            }
            other => return fail(format!("unsupported select item `{other}`")),
        }
    }
    Ok(cols)
}

fn no_wildcard_options(printed: &str) -> R<()> {
    if printed.trim().is_empty() {
        Ok(())
    } else {
        fail(format!("unsupported `*{printed}`"))
    }
}

/// The columns of `s` for `*`, named as SQLite declares them.
fn star(s: &Source) -> Vec<OutCol> {
    s.rel
        .columns
        .iter()
        .map(|(name, info)| {
            let sql = format!("{}.{}", quote_ident(&s.alias), quote_ident(&info.pg_name));
            let kind = Kind::of_pg_type(&info.pg_type);
            OutCol {
                name: name.clone(),
                certain: true,
                kind,
                expr: Frag::atom(sql, kind),
            }
        })
        .collect()
}

/// SQLite's name for an unaliased column reference: its declared name.
fn declared_name(scope: &Scope, e: &Expr) -> Option<String> {
    let (qual, name) = match e {
        Expr::Identifier(id) => (None, &id.value),
        Expr::CompoundIdentifier(p) if p.len() == 2 => (Some(p[0].value.as_str()), &p[1].value),
        _ => return None,
    };
    // By the column found: `rowid` is named after the column aliasing it.
    let (src, info) = scope.find(qual, name).ok().flatten()?;
    src.rel
        .columns
        .iter()
        .find(|(_, i)| i.pg_name == info.pg_name)
        .map(|(n, _)| n.clone())
}

/// WHERE, GROUP BY, HAVING.
fn clauses(scope: &Scope, s: &Select, cols: &[OutCol]) -> R<String> {
    let mut sql = String::new();
    if let Some(w) = &s.selection {
        sql.push_str(&format!(" WHERE {}", scoped(scope, w, true)?.sql));
    }
    match &s.group_by {
        GroupByExpr::Expressions(exprs, mods) if mods.is_empty() => {
            if !exprs.is_empty() {
                let mut keys = Vec::new();
                for e in exprs {
                    keys.push(group_key(scope, e, cols)?);
                }
                sql.push_str(&format!(" GROUP BY {}", keys.join(", ")));
            }
        }
        other => return fail(format!("unsupported `{other}`")),
    }
    if let Some(h) = &s.having {
        sql.push_str(&format!(" HAVING {}", scoped(scope, h, true)?.sql));
    }
    Ok(sql)
}

/// A GROUP BY key: a column, else a result alias, else an expression.
fn group_key(scope: &Scope, e: &Expr, cols: &[OutCol]) -> R<String> {
    if let Expr::Identifier(id) = e
        && scope.find(None, &id.value)?.is_none()
        && let Some(c) = cols.iter().find(|c| c.name.eq_ignore_ascii_case(&id.value))
    {
        return Ok(c.expr.wrap(prec::ATOM));
    }
    if let Expr::Value(v) = e
        && let Value::Number(..) = v.value
    {
        let c = output_ref(cols, e)
            .ok_or_else(|| Untranslatable::new(format!("GROUP BY {e}: no such result column")))?;
        return Ok(c.expr.wrap(prec::ATOM));
    }
    Ok(scoped(scope, e, false)?.sql)
}

/// ORDER BY of a plain SELECT: result aliases and positions first (as
/// SQLite resolves them), then expressions over the FROM clause.
fn select_order(scope: &Scope, q: &Query, cols: &[OutCol]) -> R<String> {
    let keys = order_exprs(q)?;
    if keys.is_empty() {
        return Ok(String::new());
    }
    let mut parts = Vec::new();
    for o in keys {
        let f = match (&o.expr, output_ref(cols, &o.expr)) {
            (Expr::Identifier(_) | Expr::Value(_), Some(c)) => {
                let mut f = c.expr.clone();
                f.sql = f.wrap(prec::ATOM);
                f.prec = prec::ATOM;
                f
            }
            _ => scoped(scope, &o.expr, false)?,
        };
        parts.push(order_key(&f, o)?);
    }
    Ok(format!(" ORDER BY {}", parts.join(", ")))
}

/// A subquery used as a value, in `EXISTS`, or in `IN`.
pub(super) fn subquery_expr(t: &mut Translator, e: &Expr) -> R<Frag> {
    let Some(scope) = t.scope else {
        return fail("subquery in an expression");
    };
    match e {
        Expr::Subquery(q) => {
            let out = query_sql(scope.env, Some(scope), q, None)?;
            let [col] = out.cols.as_slice() else {
                return fail(format!(
                    "a subquery used as a value returns {} columns",
                    out.cols.len()
                ));
            };
            // SQLite takes the first row; PostgreSQL refuses a second one.
            let sql = if q.limit_clause.is_none() {
                format!("({} LIMIT 1)", out.sql)
            } else {
                format!("(SELECT * FROM ({}) AS \"first\" LIMIT 1)", out.sql)
            };
            Ok(Frag::atom(sql, col.kind))
        }
        Expr::Exists { subquery, negated } => {
            let out = query_sql(scope.env, Some(scope), subquery, None)?;
            let not = if *negated { "NOT " } else { "" };
            Ok(Frag::new(
                format!("{not}EXISTS ({})", out.sql),
                if *negated { prec::NOT } else { prec::ATOM },
                Kind::Bool,
            ))
        }
        Expr::InSubquery {
            expr,
            subquery,
            negated,
        } => {
            let x = t.expr(expr, None)?;
            let out = query_sql(scope.env, Some(scope), subquery, None)?;
            let not = if *negated { "NOT " } else { "" };
            Ok(Frag::new(
                format!("{} {not}IN ({})", x.wrap(prec::LIKE + 1), out.sql),
                prec::LIKE,
                Kind::Bool,
            ))
        }
        other => fail(format!("unsupported subquery `{other}`")),
    }
}

/// The divisor of `/` or `%` in a view: `NULLIF(d, 0)` (SQLite's `x/0` and
/// `x%0` are NULL, PostgreSQL raises an error). Refused where SQLite's
/// result depends on each value's storage class.
pub(super) fn divisor(l: &Frag, r: Frag, kind: Kind, modulo: bool) -> R<Frag> {
    if kind == Kind::Numeric
        || (kind == Kind::Other && (l.kind == Kind::Numeric || r.kind == Kind::Numeric))
    {
        return fail(format!(
            "division with a NUMERIC operand ({} / {}): SQLite divides the integers such a \
             column holds as integers, PostgreSQL's numeric does not",
            l.sql, r.sql
        ));
    }
    if modulo && kind != Kind::Int {
        return fail(format!(
            "% on a {} value ({} % {}): SQLite takes both as integers",
            kind.name(),
            l.sql,
            r.sql
        ));
    }
    match r.int_lit {
        Some(n) if n != 0 => Ok(r),
        _ => Ok(Frag::call(format!("NULLIF({}, 0)", r.sql), r.kind)),
    }
}

const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";

/// `translate(x, 'A…Z', 'a…z')`: SQLite's ASCII-only case folding.
fn fold(f: &Frag) -> Frag {
    match &f.str_lit {
        Some(s) => super::string_literal(&s.to_ascii_lowercase()),
        None => Frag::call(
            format!("translate({}, '{UPPER}', '{LOWER}')", f.sql),
            Kind::Text,
        ),
    }
}

/// SQLite's LIKE, exactly: both sides folded to lower case for ASCII
/// letters only (PostgreSQL's ILIKE folds every letter), then LIKE.
pub(super) fn like(
    t: &mut Translator,
    x: &Expr,
    pattern: &Expr,
    escape: Option<&Expr>,
    negated: bool,
) -> R<Frag> {
    let x = like_text(t, x)?;
    let p = like_text(t, pattern)?;
    let escape_sql = match escape {
        Some(e) => {
            let e = like_text(t, e)?;
            format!(" ESCAPE {}", fold(&e).wrap(prec::OTHER))
        }
        None => match &p.str_lit {
            Some(s) if !s.contains('\\') => String::new(),
            _ => " ESCAPE ''".to_string(),
        },
    };
    let not = if negated { "NOT " } else { "" };
    Ok(Frag::new(
        format!(
            "{} {not}LIKE {}{escape_sql}",
            fold(&x).wrap(prec::OTHER),
            fold(&p).wrap(prec::OTHER)
        ),
        prec::LIKE,
        Kind::Bool,
    ))
}

/// A LIKE operand as text: integers as their decimal text (as SQLite).
fn like_text(t: &mut Translator, e: &Expr) -> R<Frag> {
    let f = t.expr(e, None)?;
    match f.kind {
        Kind::Text | Kind::Null | Kind::Other => Ok(f),
        Kind::Int => Ok(Frag::new(f.cast("text"), prec::CAST, Kind::Text)),
        Kind::Bool => Ok(Frag::new(
            format!("{}::integer::text", f.wrap(prec::ATOM)),
            prec::CAST,
            Kind::Text,
        )),
        k => fail(format!(
            "LIKE on a {} value ({}): SQLite matches its text rendering",
            k.name(),
            f.sql
        )),
    }
}

const AGGREGATES: &[&str] = &["count", "sum", "total", "avg", "group_concat", "string_agg"];
const WINDOWS: &[&str] = &[
    "row_number",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
];

/// An aggregate or window call in a view; `None` when `f` is neither (the
/// scalar function map applies).
pub(super) fn aggregate_or_window(t: &mut Translator, f: &Function, name: &str) -> Option<R<Frag>> {
    let args = match &f.args {
        FunctionArguments::List(l) => l,
        _ => return None,
    };
    let minmax = matches!(name, "min" | "max") && args.args.len() == 1;
    let agg = AGGREGATES.contains(&name) || minmax;
    let win = WINDOWS.contains(&name);
    if !agg && !win {
        return f
            .over
            .as_ref()
            .map(|_| fail(format!("`{name}` is not a window function")));
    }
    Some(agg_call(t, f, name, win))
}

fn agg_call(t: &mut Translator, f: &Function, name: &str, win: bool) -> R<Frag> {
    let FunctionArguments::List(list) = &f.args else {
        return fail(format!("unsupported call `{f}`"));
    };
    if !f.within_group.is_empty() || f.null_treatment.is_some() {
        return fail(format!("unsupported aggregate call `{f}`"));
    }
    let order = agg_order(t, f, name, &list.clauses)?;
    let distinct = match &list.duplicate_treatment {
        None | Some(sqlparser::ast::DuplicateTreatment::All) => "",
        Some(sqlparser::ast::DuplicateTreatment::Distinct) => "DISTINCT ",
    };
    let mut star = false;
    let mut args = Vec::new();
    for a in &list.args {
        match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => args.push(t.expr(e, None)?),
            FunctionArg::Unnamed(FunctionArgExpr::Wildcard) if name == "count" => star = true,
            _ => return fail(format!("unsupported argument in `{f}`")),
        }
    }
    if win && f.over.is_none() {
        return fail(format!("window function `{name}` without OVER"));
    }
    let (call, kind, cast) = agg_body(t, name, distinct, star, &args, order.as_deref())?;
    let mut sql = call;
    if let Some(filter) = &f.filter {
        let mut inner = Translator::new(t.ctx, t.scope);
        let c = inner.expr(filter, None)?;
        let c = inner.as_bool(c)?;
        t.notes.extend(inner.notes);
        sql.push_str(&format!(" FILTER (WHERE {})", c.sql));
    }
    if let Some(over) = &f.over {
        sql.push_str(&format!(" OVER ({})", over_sql(t, over)?));
    }
    Ok(match cast {
        Some(ty) => Frag::call(format!("CAST({sql} AS {ty})"), kind),
        None => Frag::call(sql, kind),
    })
}

/// The ` ORDER BY …` inside `group_concat(x, sep ORDER BY …)` (SQLite
/// 3.44+), its keys ordered as SQLite orders them; `None` without one.
/// Other clauses, and ORDER BY in other aggregates, are refused.
fn agg_order(
    t: &mut Translator,
    f: &Function,
    name: &str,
    clauses: &[FunctionArgumentClause],
) -> R<Option<String>> {
    let [FunctionArgumentClause::OrderBy(keys)] = clauses else {
        return match clauses {
            [] => Ok(None),
            _ => fail(format!("unsupported aggregate call `{f}`")),
        };
    };
    if !matches!(name, "group_concat" | "string_agg") || f.over.is_some() {
        return fail(format!("ORDER BY inside `{f}`"));
    }
    let keys = keys
        .iter()
        .map(|o| {
            let k = t.expr(&o.expr, None)?;
            order_key(&k, o)
        })
        .collect::<R<Vec<_>>>()?;
    Ok(Some(format!(" ORDER BY {}", keys.join(", "))))
}

/// `name(args)`, its kind, and the cast that gives SQLite's result type.
fn agg_body(
    t: &mut Translator,
    name: &str,
    distinct: &str,
    star: bool,
    args: &[Frag],
    order: Option<&str>,
) -> R<(String, Kind, Option<&'static str>)> {
    let one = |n: usize| -> R<()> {
        if args.len() == n || (star && n == 1) {
            Ok(())
        } else {
            fail(format!("{name}() with {} argument(s)", args.len()))
        }
    };
    let num = |f: &Frag| -> R<Frag> {
        match f.kind {
            Kind::Bool => Ok(Frag::new(f.cast("integer"), prec::CAST, Kind::Int)),
            k if k.is_numeric() || matches!(k, Kind::Null | Kind::Other) => Ok(f.clone()),
            k => fail(format!("{name}() of a {} value ({})", k.name(), f.sql)),
        }
    };
    match name {
        "count" => {
            one(1)?;
            let inner = if star {
                "*".to_string()
            } else {
                args[0].sql.clone()
            };
            Ok((format!("count({distinct}{inner})"), Kind::Int, None))
        }
        "sum" => {
            one(1)?;
            let x = num(&args[0])?;
            let call = format!("sum({distinct}{})", x.sql);
            Ok(match x.kind {
                // PostgreSQL's sum(bigint) is numeric; SQLite's is integer.
                Kind::Int => (call, Kind::Int, Some("bigint")),
                Kind::Numeric => {
                    t.note(
                        "sum() of numeric: PostgreSQL adds exact decimals, SQLite adds the \
                         column's values as integers or floating point",
                    );
                    (call, Kind::Numeric, None)
                }
                k => (call, k, None),
            })
        }
        "total" => {
            one(1)?;
            let x = num(&args[0])?;
            Ok((
                format!("coalesce(sum({distinct}{}), 0)", x.sql),
                Kind::Real,
                Some("double precision"),
            ))
        }
        "avg" => {
            one(1)?;
            let x = num(&args[0])?;
            Ok((
                format!("avg({distinct}{})", x.sql),
                Kind::Real,
                Some("double precision"),
            ))
        }
        "min" | "max" => min_max(name, distinct, &args[0]),
        "group_concat" | "string_agg" => group_concat(t, name, distinct, args, order),
        _ => window_body(name, args),
    }
}

fn min_max(name: &str, distinct: &str, x: &Frag) -> R<(String, Kind, Option<&'static str>)> {
    match x.kind {
        Kind::Bool => {
            let f = if name == "min" { "bool_and" } else { "bool_or" };
            Ok((format!("{f}({})", x.sql), Kind::Bool, None))
        }
        Kind::Text => Ok((
            format!(
                "{name}({distinct}{} COLLATE \"C\")",
                x.wrap(prec::COLLATE + 1)
            ),
            Kind::Text,
            None,
        )),
        Kind::Bytes | Kind::Json => {
            fail(format!("{name}() of a {} value ({})", x.kind.name(), x.sql))
        }
        k => Ok((format!("{name}({distinct}{})", x.sql), k, None)),
    }
}

fn group_concat(
    t: &mut Translator,
    name: &str,
    distinct: &str,
    args: &[Frag],
    order: Option<&str>,
) -> R<(String, Kind, Option<&'static str>)> {
    let (x, sep) = match args {
        [x] if name == "group_concat" => (x, quote_literal(",")),
        [x, s] if distinct.is_empty() || name == "string_agg" => (x, s.sql.clone()),
        _ => return fail(format!("{name}() with {} argument(s)", args.len())),
    };
    if !distinct.is_empty() && order.is_some() {
        return fail(format!("{name}(DISTINCT … ORDER BY …)"));
    }
    let x = match x.kind {
        Kind::Text | Kind::Null | Kind::Other => x.sql.clone(),
        Kind::Int => x.cast("text"),
        Kind::Bool => format!("{}::integer::text", x.wrap(prec::ATOM)),
        k => {
            return fail(format!(
                "group_concat() of a {} value ({}): SQLite's text rendering differs",
                k.name(),
                x.sql
            ));
        }
    };
    if order.is_none() {
        t.note(
            "group_concat() → string_agg(): neither orders the values unless told; the order \
             of the concatenated values may differ",
        );
    }
    Ok((
        format!("string_agg({distinct}{x}, {sep}{})", order.unwrap_or("")),
        Kind::Text,
        None,
    ))
}

fn window_body(name: &str, args: &[Frag]) -> R<(String, Kind, Option<&'static str>)> {
    let list = args
        .iter()
        .map(|a| a.sql.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let kind = match name {
        "row_number" | "rank" | "dense_rank" | "ntile" => Kind::Int,
        "percent_rank" | "cume_dist" => Kind::Real,
        _ => args
            .first()
            .map(|a| a.kind)
            .ok_or_else(|| Untranslatable::new(format!("{name}() without arguments")))?,
    };
    Ok((format!("{name}({list})"), kind, None))
}

/// The inside of `OVER (…)`.
fn over_sql(t: &mut Translator, over: &WindowType) -> R<String> {
    let WindowType::WindowSpec(spec) = over else {
        return fail(format!("named window `{over}`"));
    };
    let exclusion = spec
        .window_name
        .as_ref()
        .map(|n| super::frame_exclusion::exclusion_of(n).ok_or(n));
    if let Some(Err(_)) = exclusion {
        return fail(format!("window `{spec}` based on a named window"));
    }
    if exclusion.is_some() && spec.window_frame.is_none() {
        return fail("a window frame exclusion without a frame");
    }
    let mut parts = Vec::new();
    if !spec.partition_by.is_empty() {
        let mut keys = Vec::new();
        for e in &spec.partition_by {
            keys.push(t.expr(e, None)?.sql);
        }
        parts.push(format!("PARTITION BY {}", keys.join(", ")));
    }
    if spec.order_by.is_empty() {
        t.note(
            "a window without ORDER BY numbers or reads rows in the order they are scanned, in \
             SQLite and PostgreSQL alike: that order may differ",
        );
    } else {
        let mut keys = Vec::new();
        for o in &spec.order_by {
            let f = t.expr(&o.expr, None)?;
            keys.push(order_key(&f, o)?);
        }
        parts.push(format!("ORDER BY {}", keys.join(", ")));
    }
    if let Some(frame) = &spec.window_frame {
        for b in [Some(&frame.start_bound), frame.end_bound.as_ref()]
            .into_iter()
            .flatten()
        {
            if let WindowFrameBound::Preceding(Some(e)) | WindowFrameBound::Following(Some(e)) = b
                && t.expr(e, None)?.int_lit.is_none()
            {
                return fail(format!(
                    "window frame bound `{b}` is not an integer literal"
                ));
            }
        }
        parts.push(match &frame.end_bound {
            Some(end) => format!("{} BETWEEN {} AND {end}", frame.units, frame.start_bound),
            None => format!("{} {}", frame.units, frame.start_bound),
        });
        if let Some(Ok(form)) = exclusion {
            parts.push(format!("EXCLUDE {form}"));
        }
    }
    Ok(parts.join(" "))
}

/// Two sides of a comparison in a view, made to compare as in SQLite: an
/// integer literal compared with a TEXT column takes the column's affinity
/// (`flag = 0` → `flag = '0'`); text orders by code point (`COLLATE "C"`,
/// SQLite's BINARY); text against a number is refused.
pub(super) fn compared(
    t: &Translator,
    (le, l): (&Expr, Frag),
    (re, r): (&Expr, Frag),
    sym: &str,
) -> R<(Frag, Frag)> {
    let text_col = |e: &Expr, f: &Frag| f.kind == Kind::Text && t.column_info(e).is_some();
    let as_text = |f: Frag| match f.int_lit {
        Some(n) => super::string_literal(&n.to_string()),
        None => f,
    };
    let (l, r) = if text_col(le, &l) {
        (l, as_text(r))
    } else if text_col(re, &r) {
        (as_text(l), r)
    } else {
        (l, r)
    };
    let num = |k: Kind| k.is_numeric();
    if (l.kind == Kind::Text && num(r.kind)) || (num(l.kind) && r.kind == Kind::Text) {
        return fail(format!(
            "comparison of text and a number ({} {sym} {}): SQLite orders every number \
             before every text, PostgreSQL refuses the comparison",
            l.sql, r.sql
        ));
    }
    if sym != "=" && sym != "<>" && l.kind == Kind::Text && r.kind == Kind::Text {
        let collated = Frag::new(
            format!("{} COLLATE \"C\"", l.wrap(prec::COLLATE + 1)),
            prec::COLLATE,
            Kind::Text,
        );
        return Ok((collated, r));
    }
    Ok((l, r))
}

// For the statements of other translators (trigger bodies): the machinery
// above, over a catalog and scopes they build.

impl<'a> Env<'a> {
    pub(super) fn new(catalog: &'a Catalog) -> Self {
        Env {
            catalog,
            ctx: ExprContext {
                pgcrypto: catalog.pgcrypto,
                functions: catalog.functions.clone(),
                ..ExprContext::default()
            },
            deps: RefCell::new(BTreeSet::new()),
            extensions: RefCell::new(BTreeSet::new()),
            notes: RefCell::new(Vec::new()),
            ctes: RefCell::new(BTreeMap::new()),
        }
    }

    /// The relations read, the extensions needed and the notes, sorted
    /// (the notes in order).
    pub(super) fn finish(self) -> (Vec<String>, Vec<String>, Vec<String>) {
        (
            self.deps.into_inner().into_iter().collect(),
            self.extensions.into_inner().into_iter().collect(),
            self.notes.into_inner(),
        )
    }

    /// A migrated table or translated view by its SQLite name (`main.`
    /// allowed); recorded as read.
    pub(super) fn relation(&self, name: &ObjectName) -> R<Relation> {
        lookup(self, &table_name(name)?, "reads")
    }

    /// The same for a table a statement writes.
    pub(super) fn written_relation(&self, name: &ObjectName) -> R<Relation> {
        lookup(self, &table_name(name)?, "writes")
    }
}

impl<'a> Scope<'a> {
    /// A scope over `sources` (alias as written, relation) inside `parent`.
    pub(super) fn new(
        env: &'a Env<'a>,
        sources: Vec<(String, Relation)>,
        parent: Option<&'a Scope<'a>>,
    ) -> Self {
        let sources = sources
            .into_iter()
            .map(|(alias, rel)| Source { alias, rel })
            .collect();
        Scope {
            env,
            sources,
            parent,
            using: Vec::new(),
        }
    }

    pub(super) fn env(&self) -> &'a Env<'a> {
        self.env
    }
}

/// One expression in `scope`, made to fit a value of kind `target`
/// (booleans from 0/1, `now` shaped by the type).
pub(super) fn scoped_value(scope: &Scope, e: &Expr, target: Option<Kind>) -> R<Frag> {
    let mut t = Translator::new(&scope.env.ctx, Some(scope));
    let f = t.expr(e, target)?;
    let f = t.fit_target(f, target)?;
    absorb(scope.env, t);
    Ok(f)
}

/// One condition in `scope`: a PostgreSQL boolean.
pub(super) fn scoped_condition(scope: &Scope, e: &Expr) -> R<Frag> {
    scoped(scope, e, true)
}

/// A query inside `parent` (a trigger's NEW and OLD): its SQL and the kind
/// of each result column.
pub(super) fn scoped_query(env: &Env, parent: Option<&Scope>, q: &Query) -> R<(String, Vec<Kind>)> {
    let out = query_sql(env, parent, q, None)?;
    Ok((out.sql, out.cols.iter().map(|c| c.kind).collect()))
}
