//! SQLite expressions → PostgreSQL expressions, through the sqlparser AST.
