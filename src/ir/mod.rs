//! Intermediate representations: plain data, no logic.
//!
//! - [`sqlite`]: the SQLite schema as *facts* (what was declared, what the
//!   data looks like), produced by `source`.
//! - [`pg`]: the PostgreSQL schema as *decisions* (what to create, how to
//!   convert each value), each carrying the rule id and evidence that made
//!   it, produced by `rewrite` and consumed by `emit` (and later `load`,
//!   `verify`).
//! - [`record`]: both, as a directory or a target keeps them for a later
//!   diff.
pub mod pg;
pub mod record;
pub mod sqlite;
