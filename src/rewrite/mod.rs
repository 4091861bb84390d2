//! rewrite: rule packs decide the PostgreSQL form of every SQLite object.
pub mod predicate;
