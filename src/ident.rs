//! PostgreSQL identifiers and literals: quoting, naming styles, 63-byte
//! shortening. (Stub signatures; implemented in the ident work item.)

/// How SQLite names become PostgreSQL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Naming {
    /// Kept exactly as written (quoted where needed).
    #[default]
    AsWritten,
    /// `OrderDetails`, `Order Details` → `order_details`.
    SnakeCase,
}

/// Quote `name` for PostgreSQL where needed: anything but a lower-case,
/// non-keyword `[a-z_][a-z0-9_$]*` is double-quoted, with `"` doubled.
pub fn quote_ident(name: &str) -> String {
    let _ = name;
    todo!()
}

/// A PostgreSQL string literal: `'it''s'`.
pub fn quote_literal(value: &str) -> String {
    let _ = value;
    todo!()
}

/// `OrderDetails` / `Order Details` / `orderID` → `order_details` / `order_id`.
pub fn snake_case(name: &str) -> String {
    let _ = name;
    todo!()
}

/// Names over 63 bytes (PostgreSQL's NAMEDATALEN-1) shortened
/// deterministically: `None` when `name` already fits.
pub fn shorten(name: &str) -> Option<String> {
    let _ = name;
    todo!()
}
