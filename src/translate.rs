//! SQLite expressions → PostgreSQL expressions, through the sqlparser AST.
//! (Stub signatures; implemented in the translate work item.)
use std::collections::BTreeMap;

/// What the translator knows about a column an expression may reference.
#[derive(Debug, Clone)]
pub struct ColumnInfo {
    /// Final PostgreSQL name (unquoted).
    pub pg_name: String,
    /// Chosen PostgreSQL type (`boolean`, `timestamptz`, `text`, ...).
    pub pg_type: String,
}

/// The scope of an expression.
#[derive(Debug, Clone, Default)]
pub struct ExprContext {
    /// SQLite column name, lower-cased → what it became.
    pub columns: BTreeMap<String, ColumnInfo>,
    /// The PostgreSQL type the expression's value lands in (a DEFAULT's or
    /// generated column's type), when known; shapes `CURRENT_TIMESTAMP` etc.
    pub target_type: Option<String>,
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

/// Translate one SQLite expression.
pub fn translate_expr(sql: &str, ctx: &ExprContext) -> Result<Translated, Untranslatable> {
    let _ = (sql, ctx);
    todo!()
}
