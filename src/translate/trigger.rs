//! SQLite triggers → PL/pgSQL trigger functions, through the sqlparser AST.
//!
//! Input: the text of one `CREATE TRIGGER`, the [`Catalog`] of relations
//! (migrated tables and translated views) and the SQLite primary-key
//! columns of the trigger's table. Output: a [`TranslatedTrigger`] — the
//! timing, event and `UPDATE OF` columns of the PostgreSQL trigger and the
//! body of its function — or the reason it cannot be translated.
//!
//! NEW and OLD are relations with the table's columns (named and typed as
//! the table chose), so every expression goes through the view translator
//! ([`super::query`]) with them in scope. The body's statements become:
//! - `INSERT`/`UPDATE`/`DELETE` → the same statement over the migrated
//!   tables;
//! - `SELECT RAISE(…) [WHERE c]` and `SELECT CASE WHEN c THEN RAISE(…) …
//!   END` → `IF c THEN RAISE EXCEPTION … END IF`; `RAISE(IGNORE)` in a
//!   BEFORE or INSTEAD OF trigger → `RETURN NULL`;
//! - any other `SELECT` → `PERFORM`.
//!
//! The updated-at idiom — an AFTER INSERT/UPDATE trigger whose statements
//! each update the row that fired it (`WHERE rowid = NEW.rowid` or its
//! key) — becomes a BEFORE trigger assigning `NEW.column`.
//!
//! Invariants: names through [`quote_ident`], literals through
//! [`quote_literal`]; the function never re-enters itself (SQLite's
//! `recursive_triggers` is off by default): it records itself in the
//! transaction-local setting `pgbridge.active_triggers` while it runs and
//! does nothing when it finds itself there; it does nothing while
//! `pgbridge.skip_triggers` is `on` (pgbridge's loader, live sync's apply).
use sqlparser::ast::{
    AssignmentTarget, BinaryOperator, ConditionalStatements, CreateTrigger, Delete, Expr,
    FromTable, FunctionArg, FunctionArgExpr, FunctionArguments, Insert, ObjectName, Query, Select,
    SelectItem, SetExpr, Statement, TableFactor, TableObject, TableWithJoins, TriggerEvent,
    TriggerObject, TriggerObjectKind, TriggerPeriod, Update, Value,
};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{TokenWithSpan, Tokenizer};

use std::cell::RefCell;

use super::appfn::{Side, expand};
use super::query::{Catalog, Env, Relation, Scope, scoped_condition, scoped_query, scoped_value};
use super::{Kind, R, Untranslatable, fail, is_rowid};
use crate::ident::{quote_ident, quote_literal};

/// The SQLSTATE of `RAISE(ABORT|FAIL|ROLLBACK, …)`: SQLite reports these
/// as constraint failures (`SQLITE_CONSTRAINT_TRIGGER`), so drivers raise
/// the same integrity error on both sides.
pub const RAISE_ERRCODE: &str = "integrity_constraint_violation";

/// A translated trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranslatedTrigger {
    /// `BEFORE`, `AFTER` or `INSTEAD OF`.
    pub timing: &'static str,
    /// `INSERT`, `UPDATE` or `DELETE`.
    pub event: &'static str,
    /// `UPDATE OF` columns, PostgreSQL names.
    pub update_of: Vec<String>,
    /// The PL/pgSQL function body (without dollar quotes).
    pub body: String,
    /// Lower-cased SQLite names of the relations read or written.
    pub depends_on: Vec<String>,
    pub extensions: Vec<String>,
    pub notes: Vec<String>,
    /// The declared application functions it calls, sorted.
    pub app_functions: Vec<String>,
}

/// What the trigger's table is.
pub struct Target<'a> {
    /// The trigger's table or view, SQLite name.
    pub name: &'a str,
    pub is_view: bool,
    /// Its PRIMARY KEY columns (SQLite names), empty for none.
    pub key: &'a [String],
}

/// Translate one `CREATE TRIGGER` statement.
pub fn translate_trigger(
    sql: &str,
    catalog: &Catalog,
    target: &Target,
) -> Result<TranslatedTrigger, Untranslatable> {
    let (ct, app_functions) = parse_expanded(sql, catalog)?;
    let mut head = header(&ct, target)?;
    let Some(ConditionalStatements::BeginEnd(b)) = &ct.statements else {
        return fail("a trigger without BEGIN … END");
    };
    let statements = &b.statements;
    let same_row = is_same_row_idiom(&head, target, statements);
    if same_row {
        head.timing = "BEFORE";
    }
    let env = Env::new(catalog);
    let rel = env.relation(&ct.table_name)?;
    let cx = Cx {
        head: &head,
        notes: RefCell::new(Vec::new()),
    };
    let (when, lines) = cx.body(&env, &rel, &ct, statements, same_row.then_some(target))?;
    let update_of = update_of(&ct, &rel)?;
    let (depends_on, extensions, mut notes) = env.finish();
    if same_row {
        notes.insert(0, SAME_ROW_NOTE.to_string());
    }
    for n in cx.notes.into_inner() {
        if !notes.contains(&n) {
            notes.push(n);
        }
    }
    Ok(TranslatedTrigger {
        timing: head.timing,
        event: head.event,
        update_of,
        body: function_body(&head, when.as_deref(), &lines),
        depends_on,
        extensions,
        notes,
        app_functions,
    })
}

/// The trigger with the declared application functions expanded, and
/// their names.
fn parse_expanded(sql: &str, catalog: &Catalog) -> R<(Box<CreateTrigger>, Vec<String>)> {
    let ct = parse_create_trigger(sql)?;
    let mut stmt = Statement::CreateTrigger(*ct);
    let used = expand(&mut stmt, &catalog.functions, Side::Postgres)?;
    match stmt {
        Statement::CreateTrigger(ct) => Ok((Box::new(ct), used)),
        _ => fail("not a CREATE TRIGGER statement"),
    }
}

/// The tables a trigger's statements write (SQLite names, lower-cased, one
/// per statement), or `None` when the trigger does not parse or one of its
/// statements is not an INSERT, UPDATE or DELETE. The full-text pass reads
/// it to find the triggers that only maintain an FTS index.
pub fn written_tables(sql: &str) -> Option<Vec<String>> {
    let ct = parse_create_trigger(sql).ok()?;
    let Some(ConditionalStatements::BeginEnd(b)) = &ct.statements else {
        return None;
    };
    let name = |n: &ObjectName| Some(object_last(n).to_ascii_lowercase());
    b.statements
        .iter()
        .map(|s| match s {
            Statement::Insert(Insert {
                table: TableObject::TableName(n),
                ..
            }) => name(n),
            Statement::Update(u) => written_table(&u.table).ok().and_then(|(n, _)| name(n)),
            Statement::Delete(d) => {
                let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &d.from;
                match from.as_slice() {
                    [t] => written_table(t).ok().and_then(|(n, _)| name(n)),
                    _ => None,
                }
            }
            _ => None,
        })
        .collect()
}

const SAME_ROW_NOTE: &str = "an AFTER trigger that updates the row that fired it becomes a \
    BEFORE trigger assigning NEW: the same values, without a second UPDATE (which would fire \
    the table's UPDATE triggers once more)";

/// An AFTER INSERT/UPDATE trigger on a table whose every statement
/// updates the row that fired it.
fn is_same_row_idiom(head: &Head, target: &Target, statements: &[Statement]) -> bool {
    head.timing == "AFTER"
        && !target.is_view
        && head.event != "DELETE"
        && !statements.is_empty()
        && statements
            .iter()
            .all(|s| same_row_update(s, target).is_some())
}

/// The statement, with SQLite's `CREATE TRIGGER IF NOT EXISTS` (which
/// sqlparser does not read) without its `IF NOT EXISTS`.
fn parse_create_trigger(sql: &str) -> R<Box<CreateTrigger>> {
    let dialect = SQLiteDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| Untranslatable::new(format!("cannot tokenize the trigger: {e}")))?;
    let mut tokens = super::rewrite_sqlite_tokens(sql, tokens)?;
    drop_if_not_exists(&mut tokens);
    let mut parser = Parser::new(&dialect).with_tokens_with_locations(tokens);
    let stmt = parser
        .parse_statement()
        .map_err(|e| Untranslatable::new(format!("cannot parse the trigger: {e}")))?;
    match stmt {
        Statement::CreateTrigger(ct) => Ok(Box::new(ct)),
        other => fail(format!("not a CREATE TRIGGER statement: `{other}`")),
    }
}

pub(super) fn drop_if_not_exists(tokens: &mut Vec<TokenWithSpan>) {
    let kw = |t: Option<&TokenWithSpan>, k: Keyword| super::is_keyword(t, &[k]);
    if let Some(i) = tokens.iter().position(|t| kw(Some(t), Keyword::TRIGGER))
        && kw(tokens.get(i + 1), Keyword::IF)
        && kw(tokens.get(i + 2), Keyword::NOT)
        && kw(tokens.get(i + 3), Keyword::EXISTS)
    {
        tokens.drain(i + 1..i + 4);
    }
}

/// Timing and event of the PostgreSQL trigger.
struct Head {
    timing: &'static str,
    event: &'static str,
}

fn header(ct: &CreateTrigger, target: &Target) -> R<Head> {
    if ct.exec_body.is_some() || !ct.referencing.is_empty() || ct.is_constraint {
        return fail("not a SQLite trigger");
    }
    if let Some(TriggerObjectKind::For(TriggerObject::Statement))
    | Some(TriggerObjectKind::ForEach(TriggerObject::Statement)) = &ct.trigger_object
    {
        return fail("FOR EACH STATEMENT is not SQLite");
    }
    let timing = match ct.period {
        None | Some(TriggerPeriod::Before) => "BEFORE",
        Some(TriggerPeriod::After) => "AFTER",
        Some(TriggerPeriod::InsteadOf) => "INSTEAD OF",
        Some(TriggerPeriod::For) => return fail("FOR triggers are not SQLite"),
    };
    if (timing == "INSTEAD OF") != target.is_view {
        return fail(format!(
            "a {timing} trigger on a {}",
            if target.is_view { "view" } else { "table" }
        ));
    }
    let event = match ct.events.as_slice() {
        [TriggerEvent::Insert] => "INSERT",
        [TriggerEvent::Update(_)] => "UPDATE",
        [TriggerEvent::Delete] => "DELETE",
        _ => return fail("a trigger event other than INSERT, UPDATE or DELETE"),
    };
    Ok(Head { timing, event })
}

/// `UPDATE OF` columns as PostgreSQL names.
fn update_of(ct: &CreateTrigger, rel: &Relation) -> R<Vec<String>> {
    let Some(TriggerEvent::Update(cols)) = ct.events.first() else {
        return Ok(Vec::new());
    };
    if !cols.is_empty() && ct.period == Some(TriggerPeriod::InsteadOf) {
        return fail("INSTEAD OF UPDATE OF columns: PostgreSQL takes no column list there");
    }
    cols.iter()
        .map(|c| column_of(rel, &c.value).map(str::to_string))
        .collect()
}

fn column_of<'r>(rel: &'r Relation, name: &str) -> R<&'r str> {
    rel.columns
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, i)| i.pg_name.as_str())
        .ok_or_else(|| Untranslatable::new(format!("no column `{name}`")))
}

/// NEW and OLD as the event has them; OLD alone (for the same-row rewrite).
type Sources = Vec<(String, Relation)>;

fn new_old(head: &Head, rel: &Relation) -> (Sources, Sources) {
    let new = ("new".to_string(), rel.clone());
    let old = ("old".to_string(), rel.clone());
    match head.event {
        "INSERT" => (vec![new], vec![]),
        "DELETE" => (vec![old], vec![]),
        _ => (vec![new, old.clone()], vec![old]),
    }
}

/// What the function returns when it does nothing (a skipped run) and
/// when it has run: BEFORE passes the row on, INSTEAD OF reports the row
/// done, AFTER returns nothing.
fn returns(head: &Head) -> (&'static str, &'static str) {
    let row = if head.event == "DELETE" { "OLD" } else { "NEW" };
    match head.timing {
        "BEFORE" => (row, row),
        "INSTEAD OF" => ("NULL", row),
        _ => ("NULL", "NULL"),
    }
}

const ACTIVE: &str = "pgbridge.active_triggers";
const SKIP_TRIGGERS: &str = "pgbridge.skip_triggers";

fn restore() -> String {
    format!(
        "PERFORM set_config({}, pgbridge_outer, true);",
        quote_literal(ACTIVE)
    )
}

/// The whole function body: the re-entry and skip guard, WHEN, the
/// statements, the result.
fn function_body(head: &Head, when: Option<&str>, lines: &[String]) -> String {
    let (pass, result) = returns(head);
    let mut out = vec![
        "#variable_conflict use_column".to_string(),
        "DECLARE".into(),
        format!(
            "  pgbridge_outer text := coalesce(current_setting({}, true), '');",
            quote_literal(ACTIVE)
        ),
        "  pgbridge_me text := format(';%s/%s;', TG_RELID, TG_NAME);".into(),
        "BEGIN".into(),
        "  -- SQLite does not re-enter a running trigger (recursive_triggers is off);".into(),
        format!(
            "  -- pgbridge's loader and live sync's apply set {SKIP_TRIGGERS} = on: their rows"
        ),
        "  -- arrive as SQLite's triggers left them.".into(),
        format!(
            "  IF strpos(pgbridge_outer, pgbridge_me) > 0 OR current_setting({}, true) = 'on' THEN",
            quote_literal(SKIP_TRIGGERS)
        ),
        format!("    RETURN {pass};"),
        "  END IF;".into(),
    ];
    if let Some(w) = when {
        out.push(format!("  IF ({w}) IS NOT TRUE THEN"));
        out.push(format!("    RETURN {pass};"));
        out.push("  END IF;".into());
    }
    out.push(format!(
        "  PERFORM set_config({}, pgbridge_outer || pgbridge_me, true);",
        quote_literal(ACTIVE)
    ));
    for l in lines {
        for part in l.lines() {
            out.push(format!("  {part}"));
        }
    }
    out.push(format!("  {}", restore()));
    out.push(format!("  RETURN {result};"));
    out.push("END".into());
    out.join("\n")
}

/// What every statement of one trigger shares.
struct Cx<'a> {
    head: &'a Head,
    notes: RefCell<Vec<String>>,
}

impl Cx<'_> {
    /// The WHEN condition and the body's PL/pgSQL lines; `same_row`: the
    /// target of the updated-at idiom, whose statements assign NEW.
    fn body(
        &self,
        env: &Env,
        rel: &Relation,
        ct: &CreateTrigger,
        statements: &[Statement],
        same_row: Option<&Target>,
    ) -> R<(Option<String>, Vec<String>)> {
        let (new_old, old_only) = new_old(self.head, rel);
        let scope = Scope::new(env, new_old, None);
        let when = match &ct.condition {
            Some(c) => Some(scoped_condition(&scope, c)?.sql),
            None => None,
        };
        let mut lines = Vec::new();
        if let Some(target) = same_row {
            let old_scope = Scope::new(env, old_only, None);
            let row_scope = Scope::new(env, vec![("new".into(), rel.clone())], Some(&old_scope));
            for s in statements {
                lines.extend(assign_same_row(&row_scope, s, target)?);
            }
        } else {
            for s in statements {
                lines.extend(self.statement(&scope, s)?);
            }
        }
        Ok((when, lines))
    }

    fn statement(&self, scope: &Scope, s: &Statement) -> R<Vec<String>> {
        match s {
            Statement::Insert(i) => Ok(vec![insert(scope, i)?]),
            Statement::Update(u) => Ok(vec![update(scope, u)?]),
            Statement::Delete(d) => Ok(vec![delete(scope, d)?]),
            Statement::Query(q) => self.select(scope, q),
            other => fail(format!("unsupported statement in a trigger: `{other}`")),
        }
    }

    /// `SELECT RAISE(…) [WHERE …]`, `SELECT CASE WHEN … THEN RAISE(…) END
    /// [WHERE …]`, or a SELECT whose result is discarded (`PERFORM`).
    fn select(&self, scope: &Scope, q: &Query) -> R<Vec<String>> {
        let s = plain_select(q);
        let item = s.and_then(|s| match s.projection.as_slice() {
            [SelectItem::UnnamedExpr(e)] => Some(e),
            _ => None,
        });
        let (Some(s), Some(e)) = (s, item) else {
            return perform(scope, q);
        };
        if let Some(r) = raise_of(e)? {
            return self.raise_where(scope, q, s, &r);
        }
        if let Expr::Case {
            operand: None,
            conditions,
            else_result,
            ..
        } = e
            && (conditions.iter().any(|c| is_raise(&c.result))
                || else_result.as_deref().is_some_and(is_raise))
        {
            if !s.from.is_empty() {
                return fail("CASE … RAISE over a FROM clause");
            }
            let body = self.raise_case(scope, conditions, else_result.as_deref())?;
            return Ok(vec![guarded(scope, s.selection.as_ref(), body)?]);
        }
        perform(scope, q)
    }

    /// `SELECT RAISE(…) [FROM …] [WHERE c]`: raise when a row qualifies.
    fn raise_where(&self, scope: &Scope, q: &Query, s: &Select, r: &Raise) -> R<Vec<String>> {
        let action = self.raise_sql(scope, r)?;
        if s.from.is_empty() && ungrouped(s) && s.having.is_none() {
            return Ok(vec![guarded(scope, s.selection.as_ref(), action)?]);
        }
        let mut probe = q.clone();
        if let SetExpr::Select(sel) = probe.body.as_mut() {
            sel.projection = vec![SelectItem::UnnamedExpr(Expr::value(Value::Number(
                "1".into(),
                false,
            )))];
        }
        let (sql, _) = scoped_query(scope.env(), Some(scope), &probe)?;
        Ok(vec![format!(
            "IF EXISTS ({sql}) THEN\n{}\nEND IF;",
            indent(&action)
        )])
    }

    fn raise_case(
        &self,
        scope: &Scope,
        conditions: &[sqlparser::ast::CaseWhen],
        else_result: Option<&Expr>,
    ) -> R<String> {
        let mut out = String::new();
        for (i, c) in conditions.iter().enumerate() {
            let cond = scoped_condition(scope, &c.condition)?;
            let word = if i == 0 { "IF" } else { "ELSIF" };
            let action = self.case_result(scope, &c.result)?;
            out.push_str(&format!("{word} {} THEN\n{}\n", cond.sql, indent(&action)));
        }
        if let Some(e) = else_result {
            out.push_str(&format!("ELSE\n{}\n", indent(&self.case_result(scope, e)?)));
        }
        out.push_str("END IF;");
        Ok(out)
    }

    /// A CASE branch: its RAISE, or nothing when it yields a value (the
    /// value is evaluated for its errors only in SQLite; here, not at all).
    fn case_result(&self, scope: &Scope, e: &Expr) -> R<String> {
        match raise_of(e)? {
            Some(r) => self.raise_sql(scope, &r),
            None => {
                scoped_value(scope, e, None)?;
                Ok("NULL;".into())
            }
        }
    }

    fn raise_sql(&self, scope: &Scope, r: &Raise) -> R<String> {
        match (r.kind, &r.message) {
            (RaiseKind::Ignore, _) if self.head.timing == "AFTER" => fail(
                "RAISE(IGNORE) in an AFTER trigger: SQLite abandons the statement's later \
                 triggers too, PostgreSQL cannot",
            ),
            (RaiseKind::Ignore, _) => Ok(format!("{}\nRETURN NULL;", restore())),
            (_, None) => fail("RAISE without a message"),
            (kind, Some(m)) => {
                let msg = scoped_value(scope, m, Some(Kind::Text))?;
                if !matches!(msg.kind, Kind::Text | Kind::Null | Kind::Other) {
                    return fail(format!("RAISE with a {} message", msg.kind.name()));
                }
                if let Some(n) = raise_note(kind) {
                    let mut notes = self.notes.borrow_mut();
                    if !notes.iter().any(|x| x == n) {
                        notes.push(n.to_string());
                    }
                }
                Ok(format!(
                    "RAISE EXCEPTION USING MESSAGE = {}, ERRCODE = {};",
                    msg.sql,
                    quote_literal(RAISE_ERRCODE)
                ))
            }
        }
    }
}

/// How `RAISE(kind, …)` differs from `RAISE EXCEPTION`.
fn raise_note(kind: RaiseKind) -> Option<&'static str> {
    match kind {
        RaiseKind::Fail => Some(
            "RAISE(FAIL): SQLite keeps what the statement changed before the failing row; \
             PostgreSQL undoes the whole statement",
        ),
        RaiseKind::Rollback => Some(
            "RAISE(ROLLBACK): SQLite rolls the whole transaction back; PostgreSQL fails the \
             statement and the transaction must be rolled back by the application",
        ),
        _ => None,
    }
}

/// `IF cond THEN body END IF`, or the body when there is no condition.
fn guarded(scope: &Scope, cond: Option<&Expr>, body: String) -> R<String> {
    match cond {
        None => Ok(body),
        Some(c) => {
            let c = scoped_condition(scope, c)?;
            Ok(format!("IF {} THEN\n{}\nEND IF;", c.sql, indent(&body)))
        }
    }
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn plain_select(q: &Query) -> Option<&Select> {
    if q.with.is_some() || q.order_by.is_some() || q.limit_clause.is_some() {
        return None;
    }
    match q.body.as_ref() {
        SetExpr::Select(s) if s.distinct.is_none() => Some(s),
        _ => None,
    }
}

/// No GROUP BY.
fn ungrouped(s: &Select) -> bool {
    matches!(&s.group_by, sqlparser::ast::GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty())
}

/// A SELECT run for its effects: `PERFORM …`.
fn perform(scope: &Scope, q: &Query) -> R<Vec<String>> {
    let (sql, _) = scoped_query(scope.env(), Some(scope), q)?;
    match sql.strip_prefix("SELECT ") {
        Some(rest) => Ok(vec![format!("PERFORM {rest};")]),
        None => Ok(vec![format!("PERFORM * FROM ({sql}) AS \"discarded\";")]),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RaiseKind {
    Ignore,
    Rollback,
    Abort,
    Fail,
}

struct Raise {
    kind: RaiseKind,
    message: Option<Expr>,
}

fn is_raise(e: &Expr) -> bool {
    matches!(e, Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("raise"))
}

/// `RAISE(kind[, message])`, when `e` is one.
fn raise_of(e: &Expr) -> R<Option<Raise>> {
    let e = match e {
        Expr::Nested(inner) => inner.as_ref(),
        e => e,
    };
    let Expr::Function(f) = e else {
        return Ok(None);
    };
    if !is_raise(e) {
        return Ok(None);
    }
    let FunctionArguments::List(list) = &f.args else {
        return fail(format!("malformed `{f}`"));
    };
    let args: Vec<&Expr> = list
        .args
        .iter()
        .filter_map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        })
        .collect();
    let kind = match args.first() {
        Some(Expr::Identifier(id)) => match id.value.to_ascii_uppercase().as_str() {
            "IGNORE" => RaiseKind::Ignore,
            "ROLLBACK" => RaiseKind::Rollback,
            "ABORT" => RaiseKind::Abort,
            "FAIL" => RaiseKind::Fail,
            _ => return fail(format!("malformed `{f}`")),
        },
        _ => return fail(format!("malformed `{f}`")),
    };
    Ok(Some(Raise {
        kind,
        message: args.get(1).map(|e| (*e).clone()),
    }))
}

/// The one table a statement writes, SQLite name as written.
fn written_table(t: &TableWithJoins) -> R<(&ObjectName, Option<String>)> {
    if !t.joins.is_empty() {
        return fail("a join in the table an UPDATE or DELETE writes");
    }
    match &t.relation {
        TableFactor::Table {
            name,
            alias,
            args: None,
            ..
        } => match alias {
            None => Ok((name, None)),
            Some(a) if a.columns.is_empty() => Ok((name, Some(a.name.value.clone()))),
            Some(a) => fail(format!("unsupported alias `{a}`")),
        },
        other => fail(format!("unsupported table `{other}`")),
    }
}

/// The scope of a statement writing `name`: that table (under its name or
/// alias) inside NEW and OLD; its relation and how the SQL names it.
fn written<'s>(
    scope: &'s Scope<'s>,
    name: &ObjectName,
    alias: Option<String>,
) -> R<(Scope<'s>, Relation, String)> {
    let rel = scope.env().written_relation(name)?;
    let alias = alias.unwrap_or_else(|| object_last(name));
    if alias.eq_ignore_ascii_case("new") || alias.eq_ignore_ascii_case("old") {
        return fail(format!(
            "the table `{alias}` in a trigger: its name is PL/pgSQL's NEW or OLD"
        ));
    }
    let printed = format!("{} AS {}", quote_ident(&rel.pg_name), quote_ident(&alias));
    let inner = Scope::new(scope.env(), vec![(alias, rel.clone())], Some(scope));
    Ok((inner, rel, printed))
}

fn object_last(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.clone())
        .unwrap_or_default()
}

fn insert(scope: &Scope, i: &Insert) -> R<String> {
    if i.or.is_some() || i.ignore || i.replace_into {
        return fail(format!(
            "`{}`: SQLite's conflict clauses are not translated yet",
            i.or.as_ref()
                .map(|o| o.to_string())
                .unwrap_or("INSERT OR …".into())
        ));
    }
    if i.table_alias.is_some()
        || !i.assignments.is_empty()
        || i.partitioned.is_some()
        || !i.after_columns.is_empty()
        || i.on.is_some()
        || i.returning.is_some()
    {
        return fail(format!("unsupported INSERT clause in `{i}`"));
    }
    let TableObject::TableName(name) = &i.table else {
        return fail(format!("unsupported INSERT target in `{i}`"));
    };
    let rel = scope.env().written_relation(name)?;
    let cols: Vec<(String, Kind)> = if i.columns.is_empty() {
        rel.columns
            .iter()
            .map(|(_, c)| (c.pg_name.clone(), Kind::of_pg_type(&c.pg_type)))
            .collect()
    } else {
        i.columns
            .iter()
            .map(|c| {
                let n = object_last(c);
                let (_, info) = rel
                    .columns
                    .iter()
                    .find(|(s, _)| s.eq_ignore_ascii_case(&n))
                    .ok_or_else(|| Untranslatable::new(format!("no column `{n}` in `{name}`")))?;
                Ok((info.pg_name.clone(), Kind::of_pg_type(&info.pg_type)))
            })
            .collect::<R<_>>()?
    };
    let Some(source) = &i.source else {
        return fail("INSERT … DEFAULT VALUES is not translated yet");
    };
    let names: Vec<String> = cols.iter().map(|(n, _)| quote_ident(n)).collect();
    let values = insert_source(scope, source, &cols)?;
    Ok(format!(
        "INSERT INTO {} ({}) {values};",
        quote_ident(&rel.pg_name),
        names.join(", ")
    ))
}

/// `VALUES (…), …` each value fit to its column, or a SELECT whose
/// columns the target's types take.
fn insert_source(scope: &Scope, q: &Query, cols: &[(String, Kind)]) -> R<String> {
    if let SetExpr::Values(v) = q.body.as_ref()
        && q.with.is_none()
        && q.order_by.is_none()
        && q.limit_clause.is_none()
    {
        let mut rows = Vec::new();
        for row in &v.rows {
            if row.len() != cols.len() {
                return fail(format!("{} values for {} columns", row.len(), cols.len()));
            }
            let vals = row
                .iter()
                .zip(cols)
                .map(|(e, (_, k))| Ok(scoped_value(scope, e, Some(*k))?.sql))
                .collect::<R<Vec<_>>>()?;
            rows.push(format!("({})", vals.join(", ")));
        }
        return Ok(format!("VALUES {}", rows.join(", ")));
    }
    let (sql, kinds) = scoped_query(scope.env(), Some(scope), q)?;
    if kinds.len() != cols.len() {
        return fail(format!("{} values for {} columns", kinds.len(), cols.len()));
    }
    for (k, (n, target)) in kinds.iter().zip(cols) {
        let loose = matches!(k, Kind::Null | Kind::Other);
        if *k != *target && !loose && !(k.is_numeric() && target.is_numeric()) {
            return fail(format!(
                "INSERT … SELECT puts a {} value into `{n}`, a {} column",
                k.name(),
                target.name()
            ));
        }
    }
    Ok(sql)
}

fn update(scope: &Scope, u: &Update) -> R<String> {
    if u.or.is_some() {
        return fail(format!(
            "`UPDATE {}`: SQLite's conflict clauses are not translated yet",
            u.or.as_ref().map(|o| o.to_string()).unwrap_or_default()
        ));
    }
    if u.from.is_some() || u.returning.is_some() || !u.order_by.is_empty() || u.limit.is_some() {
        return fail(format!("unsupported UPDATE clause in `{u}`"));
    }
    let (name, alias) = written_table(&u.table)?;
    let (inner, rel, printed) = written(scope, name, alias)?;
    let mut sets = Vec::new();
    for a in &u.assignments {
        let (col, kind) = assigned(&rel, &a.target)?;
        let v = scoped_value(&inner, &a.value, Some(kind))?;
        sets.push(format!("{} = {}", quote_ident(&col), v.sql));
    }
    let mut sql = format!("UPDATE {printed} SET {}", sets.join(", "));
    if let Some(w) = &u.selection {
        sql.push_str(&format!(" WHERE {}", scoped_condition(&inner, w)?.sql));
    }
    sql.push(';');
    Ok(sql)
}

/// The column an UPDATE assigns (PostgreSQL name) and its kind.
fn assigned(rel: &Relation, t: &AssignmentTarget) -> R<(String, Kind)> {
    let AssignmentTarget::ColumnName(n) = t else {
        return fail(format!("unsupported assignment to `{t}`"));
    };
    let n = object_last(n);
    let (_, info) = rel
        .columns
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(&n))
        .ok_or_else(|| Untranslatable::new(format!("no column `{n}`")))?;
    Ok((info.pg_name.clone(), Kind::of_pg_type(&info.pg_type)))
}

fn delete(scope: &Scope, d: &Delete) -> R<String> {
    if !d.tables.is_empty()
        || d.using.is_some()
        || d.returning.is_some()
        || !d.order_by.is_empty()
        || d.limit.is_some()
    {
        return fail(format!("unsupported DELETE clause in `{d}`"));
    }
    let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &d.from;
    let [t] = from.as_slice() else {
        return fail(format!("DELETE from more than one table in `{d}`"));
    };
    let (name, alias) = written_table(t)?;
    let (inner, _, printed) = written(scope, name, alias)?;
    let mut sql = format!("DELETE FROM {printed}");
    if let Some(w) = &d.selection {
        sql.push_str(&format!(" WHERE {}", scoped_condition(&inner, w)?.sql));
    }
    sql.push(';');
    Ok(sql)
}

/// An UPDATE of the row that fired the trigger: its assignments and the
/// conditions besides the row's identity.
fn same_row_update<'u>(s: &'u Statement, target: &Target) -> Option<(&'u Update, Vec<&'u Expr>)> {
    let Statement::Update(u) = s else {
        return None;
    };
    if u.or.is_some()
        || u.from.is_some()
        || u.returning.is_some()
        || !u.order_by.is_empty()
        || u.limit.is_some()
    {
        return None;
    }
    let (name, None) = written_table(&u.table).ok()? else {
        return None;
    };
    if !object_last(name).eq_ignore_ascii_case(target.name) {
        return None;
    }
    // PL/pgSQL assigns no record field whose name needs `U&"…"`.
    let escaped = |a: &sqlparser::ast::Assignment| match &a.target {
        AssignmentTarget::ColumnName(n) => quote_ident(&object_last(n)).starts_with("U&"),
        AssignmentTarget::Tuple(_) => true,
    };
    if u.assignments.iter().any(escaped) {
        return None;
    }
    let mut terms = Vec::new();
    conjuncts(u.selection.as_ref()?, &mut terms);
    let mut key_hit = vec![false; target.key.len()];
    let mut rowid_hit = false;
    let mut rest = Vec::new();
    for t in terms {
        match identity_term(t) {
            Some(c) if is_rowid(&c) => rowid_hit = true,
            Some(c) => match target.key.iter().position(|k| k.eq_ignore_ascii_case(&c)) {
                Some(i) => key_hit[i] = true,
                None => rest.push(t),
            },
            None => rest.push(t),
        }
    }
    let key_all = !key_hit.is_empty() && key_hit.iter().all(|h| *h);
    (rowid_hit || key_all).then_some((u, rest))
}

fn conjuncts<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            conjuncts(left, out);
            conjuncts(right, out);
        }
        Expr::Nested(inner) => conjuncts(inner, out),
        e => out.push(e),
    }
}

/// `c = NEW.c` (either way round, `c` bare or qualified by nothing): `c`.
fn identity_term(e: &Expr) -> Option<String> {
    let Expr::BinaryOp {
        left,
        op: BinaryOperator::Eq,
        right,
    } = e
    else {
        return None;
    };
    let bare = |e: &Expr| match e {
        Expr::Identifier(i) => Some(i.value.clone()),
        _ => None,
    };
    let of_new = |e: &Expr| match e {
        Expr::CompoundIdentifier(p) if p.len() == 2 && p[0].value.eq_ignore_ascii_case("new") => {
            Some(p[1].value.clone())
        }
        _ => None,
    };
    let (c, n) = match (bare(left), of_new(right)) {
        (Some(c), Some(n)) => (c, n),
        _ => (bare(right)?, of_new(left)?),
    };
    c.eq_ignore_ascii_case(&n).then_some(c)
}

/// The same-row UPDATE as assignments to NEW (in `row`: NEW's columns
/// bare or as `new.c`, OLD's as `old.c`), under its other conditions.
fn assign_same_row(row: &Scope, s: &Statement, target: &Target) -> R<Vec<String>> {
    let Some((u, rest)) = same_row_update(s, target) else {
        return fail("not an update of the row that fired the trigger");
    };
    let rel = row
        .env()
        .written_relation(&written_table(&u.table)?.0.clone())?;
    let mut cols = Vec::new();
    let mut vals = Vec::new();
    for a in &u.assignments {
        let (col, kind) = assigned(&rel, &a.target)?;
        cols.push(format!("new.{}", quote_ident(&col)));
        vals.push(scoped_value(row, &a.value, Some(kind))?.sql);
    }
    let body = match (cols.as_slice(), vals.as_slice()) {
        ([c], [v]) => format!("{c} := {v};"),
        _ => format!("SELECT {} INTO {};", vals.join(", "), cols.join(", ")),
    };
    let mut cond = Vec::new();
    for t in rest {
        cond.push(scoped_condition(row, t)?.wrap(super::prec::AND + 1));
    }
    if cond.is_empty() {
        return Ok(vec![body]);
    }
    Ok(vec![format!(
        "IF {} THEN\n{}\nEND IF;",
        cond.join(" AND "),
        indent(&body)
    )])
}
