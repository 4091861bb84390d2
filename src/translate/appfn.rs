//! Application-defined functions, declared in a rule pack.
//!
//! An application registers functions with SQLite (`sqlite3_create_function`)
//! that no tool can see: calibre's `title_sort`, `uuid4`, `sortconcat`. A
//! rule pack may say what one means, one file each, `functions/<name>.yaml`:
//!
//! ```yaml
//! description: what it approximates of the application's code
//! params: [title]
//! sqlite: "<one SQLite expression over the params>"     # required: the meaning
//! postgres: "<one PostgreSQL expression over the params>" # optional override
//! replaces_builtin: false  # true: the application replaces SQLite's function of that name
//! ```
//!
//! Reads: the declaration's YAML text ([`AppFunction::parse`]) and a parsed
//! view or trigger statement. Writes: the statement with every call of a
//! declared function replaced by its `sqlite` expression, the arguments
//! substituted, parenthesised ([`expand`]); on the PostgreSQL side a call
//! whose declaration has a `postgres` override stays and becomes that
//! expression when translated ([`postgres_call`]). [`expand_sqlite`] prints
//! the expanded statement as SQLite SQL, so SQLite can evaluate what the
//! application's function meant (verify, the trigger tests).
//!
//! Invariants: a declaration is checked when the pack loads — its name is a
//! plain identifier and not one of SQLite's built-in functions (unless
//! `replaces_builtin`), each expression parses as exactly one expression
//! and reads only its params (no columns, no subqueries); a call with the
//! wrong number of arguments is refused. Expressions are parsed and
//! re-printed, never pasted.
use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, ObjectNamePart,
    Statement, visit_expressions, visit_expressions_mut,
};
use sqlparser::dialect::{PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::{Frag, Kind, R, Translator, Untranslatable, fail};
use crate::diag::{Diagnostic, Span, Stage};

/// The directory of a rule pack that holds declarations.
pub const FUNCTIONS_DIR: &str = "functions";

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeclarationFile {
    description: String,
    params: Vec<String>,
    sqlite: String,
    #[serde(default)]
    postgres: Option<String>,
    #[serde(default)]
    replaces_builtin: bool,
}

/// One declared application function.
#[derive(Debug, Clone)]
pub struct AppFunction {
    /// Lower-cased (SQLite function names are case-insensitive).
    pub name: String,
    pub description: String,
    pub params: Vec<String>,
    sqlite: Expr,
    postgres: Option<Expr>,
    /// Where it came from: the file path, or `rules/…` for a built-in pack.
    pub origin: String,
    /// The raw YAML text (for the pack digest).
    pub text: String,
}

/// The declared functions in reach, by lower-cased name.
#[derive(Debug, Clone, Default)]
pub struct AppFunctions(Arc<BTreeMap<String, AppFunction>>);

impl AppFunctions {
    /// The set of `list`; of two with the same name, the first wins.
    pub fn new(list: Vec<AppFunction>) -> AppFunctions {
        let mut map = BTreeMap::new();
        for f in list {
            map.entry(f.name.clone()).or_insert(f);
        }
        AppFunctions(Arc::new(map))
    }

    pub fn get(&self, name: &str) -> Option<&AppFunction> {
        self.0.get(&name.to_ascii_lowercase())
    }

    pub fn iter(&self) -> impl Iterator<Item = &AppFunction> {
        self.0.values()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// "`name` (description), declared in origin" for each of `names`: what
    /// the migration SQL says a view or trigger used.
    pub fn describe(&self, names: &[String]) -> Vec<String> {
        names
            .iter()
            .filter_map(|n| self.get(n))
            .map(|f| {
                format!(
                    "application function `{}` ({}), declared in {}",
                    f.name,
                    f.description.trim(),
                    f.file()
                )
            })
            .collect()
    }
}

fn declaration_error(origin: &str, line: usize, message: String) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error(Stage::Rules, "app-function-invalid", message)
            .with_span(Span::file_line(origin, line, 1))
            .with_help(
                "a declaration is `description`, `params` (names), `sqlite` (one SQLite \
                 expression over the params) and optionally `postgres` and `replaces_builtin`; \
                 fix the file, then run `pgbridge rules test DIR` (docs/app-functions.md)",
            ),
    )
}

/// 1-based line of the first line starting with `key:`.
fn key_line(text: &str, key: &str) -> usize {
    let prefix = format!("{key}:");
    text.lines()
        .position(|l| l.starts_with(&prefix))
        .map_or(1, |i| i + 1)
}

impl AppFunction {
    /// The declaration's file within its pack (`functions/<name>.yaml`):
    /// what the migration SQL and its reasons cite, the same wherever the
    /// pack sits (`origin`, the full path, is for diagnostics on loading).
    pub fn file(&self) -> String {
        let name = std::path::Path::new(&self.origin)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("{}.yaml", self.name));
        format!("functions/{name}")
    }

    /// Parse and check `functions/<stem>.yaml`.
    pub fn parse(text: &str, stem: &str, origin: &str) -> Result<AppFunction, Box<Diagnostic>> {
        let err = |key: &str, m: String| declaration_error(origin, key_line(text, key), m);
        let file: DeclarationFile = serde_norway::from_str(text).map_err(|e| {
            let line = e.location().map_or(1, |l| l.line());
            declaration_error(origin, line, format!("function `{stem}`: {e}"))
        })?;
        check_name(stem, file.replaces_builtin).map_err(|m| err("replaces_builtin", m))?;
        check_params(stem, &file.params).map_err(|m| err("params", m))?;
        let sqlite = parse_one(&file.sqlite, Side::Sqlite)
            .and_then(|e| only_params(e, &file.params))
            .map_err(|e| err("sqlite", format!("function `{stem}`: `sqlite`: {e}")))?;
        let postgres = match &file.postgres {
            None => None,
            Some(p) => Some(
                parse_one(p, Side::Postgres)
                    .and_then(|e| only_params(e, &file.params))
                    .and_then(|e| printable(e, &file.params))
                    .map_err(|e| err("postgres", format!("function `{stem}`: `postgres`: {e}")))?,
            ),
        };
        Ok(AppFunction {
            name: stem.to_ascii_lowercase(),
            description: file.description,
            params: file.params,
            sqlite,
            postgres,
            origin: origin.to_string(),
            text: text.to_string(),
        })
    }

    fn param(&self, id: &Ident) -> Option<usize> {
        self.params
            .iter()
            .position(|p| p.eq_ignore_ascii_case(&id.value))
    }
}

/// A plain identifier that is not one of SQLite's own functions.
fn check_name(stem: &str, replaces_builtin: bool) -> Result<(), String> {
    let plain = stem.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !plain {
        return Err(format!(
            "function name `{}` (the file stem) is not a plain identifier (letters, digits, _)",
            crate::ident::escape_text(stem)
        ));
    }
    let builtin = sqlite_builtins().contains(&stem.to_ascii_lowercase());
    if builtin && !replaces_builtin {
        return Err(format!(
            "`{stem}` is one of SQLite's built-in functions; if the application replaces it \
             (sqlite3_create_function with the same name), say `replaces_builtin: true`"
        ));
    }
    if !builtin && replaces_builtin {
        return Err(format!(
            "`replaces_builtin: true`, but SQLite has no built-in function `{stem}`"
        ));
    }
    Ok(())
}

fn check_params(stem: &str, params: &[String]) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    for p in params {
        if p.is_empty() || !seen.insert(p.to_ascii_lowercase()) {
            return Err(format!(
                "function `{stem}`: params must be distinct, non-empty names"
            ));
        }
    }
    Ok(())
}

/// The names of the bundled SQLite's built-in functions, lower-cased.
fn sqlite_builtins() -> &'static BTreeSet<String> {
    static NAMES: OnceLock<BTreeSet<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let read = || -> rusqlite::Result<BTreeSet<String>> {
            let conn = rusqlite::Connection::open_in_memory()?;
            let mut stmt = conn.prepare("SELECT DISTINCT lower(name) FROM pragma_function_list")?;
            let names = stmt.query_map([], |r| r.get::<_, String>(0))?;
            names.collect()
        };
        read().unwrap_or_default()
    })
}

/// Which engine an expression is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Sqlite,
    Postgres,
}

/// Exactly one expression; anything after it is an error.
fn parse_one(sql: &str, side: Side) -> R<Expr> {
    if side == Side::Sqlite {
        return super::parse_sqlite_expr(sql);
    }
    let dialect = PostgreSqlDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| Untranslatable::new(format!("cannot tokenize: {e}")))?;
    let mut parser = Parser::new(&dialect).with_tokens_with_locations(tokens);
    let expr = parser
        .parse_expr()
        .map_err(|e| Untranslatable::new(format!("cannot parse: {e}")))?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        return fail(format!(
            "not one expression: unexpected `{}` after it",
            next.token
        ));
    }
    Ok(expr)
}

/// The expression reads nothing but its params: no column of a table, no
/// subquery.
fn only_params(e: Expr, params: &[String]) -> R<Expr> {
    let is_param = |id: &Ident| params.iter().any(|p| p.eq_ignore_ascii_case(&id.value));
    let bad = visit_expressions(&e, |x| {
        let why = match x {
            Expr::Identifier(id) if !is_param(id) => Some(format!(
                "`{}` is not one of its params",
                crate::ident::escape_text(&id.value)
            )),
            Expr::CompoundIdentifier(_) => Some("a qualified name is not a param".into()),
            Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. } => {
                Some("a subquery reads tables, not params".into())
            }
            _ => None,
        };
        why.map_or(ControlFlow::Continue(()), ControlFlow::Break)
    });
    match bad {
        ControlFlow::Break(why) => fail(why),
        ControlFlow::Continue(()) => Ok(e),
    }
}

/// A `postgres` override is printed into the migration as sqlparser
/// prints it, its params replaced: it must print without control
/// characters.
fn printable(e: Expr, params: &[String]) -> R<Expr> {
    let mut shown = e.clone();
    let _ = visit_expressions_mut(&mut shown, |x| {
        if matches!(x, Expr::Identifier(id) if params.iter().any(|p| p.eq_ignore_ascii_case(&id.value)))
        {
            *x = Expr::Identifier(Ident::new("p"));
        }
        ControlFlow::<()>::Continue(())
    });
    if shown.to_string().chars().any(crate::ident::is_unsafe_char) {
        return fail("a control character or line break inside a literal; write it with chr()");
    }
    Ok(e)
}

/// The name of a plain call `f(…)`.
fn call_name(f: &Function) -> Option<String> {
    match f.name.0.as_slice() {
        [ObjectNamePart::Identifier(id)] => Some(id.value.to_ascii_lowercase()),
        _ => None,
    }
}

/// The positional arguments of a call of a declared function.
fn call_args(f: &Function, decl: &AppFunction) -> R<Vec<Expr>> {
    let plain = match &f.args {
        FunctionArguments::None => Some(Vec::new()),
        FunctionArguments::List(l)
            if l.duplicate_treatment.is_none()
                && l.clauses.is_empty()
                && f.over.is_none()
                && f.filter.is_none() =>
        {
            l.args
                .iter()
                .map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
                    _ => None,
                })
                .collect()
        }
        _ => None,
    };
    let Some(args) = plain else {
        return fail(format!(
            "application function `{}` called as `{f}`: only plain arguments are expanded",
            decl.name
        ));
    };
    if args.len() != decl.params.len() {
        return fail(format!(
            "application function `{}` called with {} argument(s); its declaration in {} takes \
             {} ({})",
            decl.name,
            args.len(),
            decl.file(),
            decl.params.len(),
            decl.params.join(", ")
        ));
    }
    Ok(args)
}

/// `decl`'s expression with each param replaced by its argument.
fn substitute(body: &Expr, decl: &AppFunction, args: &[Expr]) -> Expr {
    let mut body = body.clone();
    let _ = visit_expressions_mut(&mut body, |x| {
        if let Expr::Identifier(id) = x
            && let Some(i) = decl.param(id)
        {
            *x = Expr::Nested(Box::new(args[i].clone()));
        }
        ControlFlow::<()>::Continue(())
    });
    Expr::Nested(Box::new(body))
}

/// Replace every call of a declared function in `stmt` by its expression
/// for `side` (on the PostgreSQL side, a call with a `postgres` override
/// stays, for [`postgres_call`]). Returns the names of the functions
/// called, sorted.
pub fn expand(stmt: &mut Statement, fns: &AppFunctions, side: Side) -> R<Vec<String>> {
    let mut used = BTreeSet::new();
    if fns.is_empty() {
        return Ok(Vec::new());
    }
    let flow = visit_expressions_mut(stmt, |x| {
        let Expr::Function(f) = x else {
            return ControlFlow::Continue(());
        };
        let Some(decl) = call_name(f).and_then(|n| fns.get(&n)) else {
            return ControlFlow::Continue(());
        };
        used.insert(decl.name.clone());
        let args = match call_args(f, decl) {
            Ok(a) => a,
            Err(e) => return ControlFlow::Break(e),
        };
        if side == Side::Sqlite || decl.postgres.is_none() {
            *x = substitute(&decl.sqlite, decl, &args);
        }
        ControlFlow::Continue(())
    });
    match flow {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(used.into_iter().collect()),
    }
}

/// A call of a declared function whose declaration has a `postgres`
/// override: that expression, each param replaced by its translated
/// argument. `None` when `f` is no such call.
pub(super) fn postgres_call(t: &mut Translator, f: &Function) -> Option<R<Frag>> {
    let decl = call_name(f).and_then(|n| t.ctx.functions.get(&n).cloned())?;
    let pg = decl.postgres.as_ref()?;
    Some(postgres_frag(t, f, &decl, pg))
}

fn postgres_frag(t: &mut Translator, f: &Function, decl: &AppFunction, pg: &Expr) -> R<Frag> {
    let args = call_args(f, decl)?;
    let frags = args
        .iter()
        .map(|a| t.expr(a, None).map(|x| format!("({})", x.sql)))
        .collect::<R<Vec<_>>>()?;
    // Each param becomes a marker no printed expression holds (control
    // characters are refused at load), then the marker its argument.
    let marker = |i: usize| format!("\u{1}{i}\u{1}");
    let mut body = pg.clone();
    let _ = visit_expressions_mut(&mut body, |x| {
        if let Expr::Identifier(id) = x
            && let Some(i) = decl.param(id)
        {
            *x = Expr::Identifier(Ident::new(marker(i)));
        }
        ControlFlow::<()>::Continue(())
    });
    let mut sql = body.to_string();
    for (i, a) in frags.iter().enumerate() {
        sql = sql.replace(&marker(i), a);
    }
    Ok(Frag::new(
        format!("({sql})"),
        super::prec::ATOM,
        Kind::Other,
    ))
}

/// The SQLite statement `sql` (a `CREATE VIEW` or `CREATE TRIGGER`) with
/// every declared function expanded to its `sqlite` expression, printed
/// as SQLite SQL; `None` when it calls none.
pub fn expand_sqlite(sql: &str, fns: &AppFunctions) -> Result<Option<String>, Untranslatable> {
    let mut stmt = parse_statement(sql)?;
    if expand(&mut stmt, fns, Side::Sqlite)?.is_empty() {
        return Ok(None);
    }
    Ok(Some(stmt.to_string()))
}

/// For a `CREATE VIEW` that calls declared functions: a SELECT that SQLite
/// can run for the view's rows, its functions expanded.
pub fn expand_sqlite_view(sql: &str, fns: &AppFunctions) -> Result<Option<String>, Untranslatable> {
    let mut stmt = parse_statement(sql)?;
    if expand(&mut stmt, fns, Side::Sqlite)?.is_empty() {
        return Ok(None);
    }
    match stmt {
        Statement::CreateView(v) => Ok(Some(format!("SELECT * FROM ({})", v.query))),
        other => fail(format!("not a CREATE VIEW statement: `{other}`")),
    }
}

/// One statement, read as the translator reads it.
fn parse_statement(sql: &str) -> R<Statement> {
    let dialect = SQLiteDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| Untranslatable::new(format!("cannot tokenize: {e}")))?;
    let mut tokens = super::rewrite_sqlite_tokens(sql, tokens)?;
    super::trigger::drop_if_not_exists(&mut tokens);
    Parser::new(&dialect)
        .with_tokens_with_locations(tokens)
        .parse_statement()
        .map_err(|e| Untranslatable::new(format!("cannot parse: {e}")))
}

/// The help for a view or trigger kept as a comment because it calls a
/// function without a mapping: how to declare it.
pub fn undeclared_help(reason: &str) -> Option<String> {
    let rest = reason.split("function `").nth(1)?;
    let name = rest.split('`').next()?;
    if !reason.contains("has no PostgreSQL mapping") {
        return None;
    }
    Some(format!(
        "if the application defines `{name}` (sqlite3_create_function), declare what it means \
         in `functions/{name}.yaml` of a rule pack and pass it with `--rules DIR` \
         (docs/app-functions.md); otherwise recreate it by hand in PostgreSQL SQL"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(stem: &str, yaml: &str) -> Result<AppFunction, String> {
        AppFunction::parse(yaml, stem, "functions/x.yaml").map_err(|d| d.message.clone())
    }

    fn pack(list: &[(&str, &str)]) -> AppFunctions {
        AppFunctions::new(list.iter().map(|(s, y)| parse(s, y).unwrap()).collect())
    }

    const TITLE: &str = "description: d\nparams: [t]\nsqlite: upper(t) || '!'\n";

    #[test]
    fn a_statement_smuggled_into_an_expression_is_refused_at_load() {
        for bad in [
            "1); DROP TABLE x; --",
            "t; DROP TABLE x",
            "t -- comment\n); DROP TABLE x",
            "(SELECT name FROM sqlite_master)",
            "other_column",
            "x.t",
        ] {
            let yaml = format!("description: d\nparams: [t]\nsqlite: {bad:?}\n");
            assert!(parse("f", &yaml).is_err(), "{bad} must be refused");
            let yaml = format!("description: d\nparams: [t]\nsqlite: t\npostgres: {bad:?}\n");
            assert!(parse("f", &yaml).is_err(), "postgres {bad} must be refused");
        }
    }

    #[test]
    fn names_must_be_plain_and_not_sqlite_builtins_unless_declared_so() {
        assert!(parse("upper", TITLE).unwrap_err().contains("built-in"));
        assert!(
            parse("my-fn", TITLE)
                .unwrap_err()
                .contains("plain identifier")
        );
        let replaces = format!("{TITLE}replaces_builtin: true\n");
        assert!(parse("upper", &replaces).is_ok());
        assert!(parse("title_sort", &replaces).is_err());
        let dup = "description: d\nparams: [a, A]\nsqlite: a\n";
        assert!(parse("f", dup).unwrap_err().contains("distinct"));
    }

    #[test]
    fn calls_expand_with_their_arguments_parenthesised() {
        let fns = pack(&[("shout", TITLE)]);
        let sql = "CREATE VIEW v AS SELECT SHOUT(a || b) AS s FROM t";
        let out = expand_sqlite(sql, &fns).unwrap().unwrap();
        assert!(
            out.contains("SELECT (upper((a || b)) || '!') AS s"),
            "{out}"
        );
        let none = expand_sqlite("CREATE VIEW v AS SELECT a FROM t", &fns).unwrap();
        assert_eq!(none, None);
    }

    #[test]
    fn a_call_with_the_wrong_number_of_arguments_names_the_declaration() {
        let fns = pack(&[("shout", TITLE)]);
        let e = expand_sqlite("CREATE VIEW v AS SELECT shout(a, b) FROM t", &fns).unwrap_err();
        assert!(e.reason.contains("2 argument(s)"), "{e}");
        assert!(e.reason.contains("functions/x.yaml"), "{e}");
    }

    #[test]
    fn the_help_for_an_undeclared_function_says_how_to_declare_it() {
        let reason = "function `title_sort` has no PostgreSQL mapping (application-defined or \
                      unsupported)";
        let help = undeclared_help(reason).unwrap();
        assert!(help.contains("functions/title_sort.yaml"), "{help}");
        assert!(help.contains("--rules"), "{help}");
        assert_eq!(undeclared_help("aggregate call `x`"), None);
    }
}
