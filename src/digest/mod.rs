//! digest: what "every value arrived" is measured in — the canonical bytes
//! of a loaded value, in Rust ([`canon`]) and in SQL ([`sql`]), and the
//! chunking of rows ([`CHUNK_ROWS`]).
//!
//! **Input**: the load plan's columns (converter, wire type) as a
//! [`sql::VTable`]. **Output**: canonical field bytes and the PostgreSQL
//! queries that produce the same bytes. The two sides are twins: a value
//! converted in Rust and the same value loaded and selected through SQL
//! hash alike. emit writes the SQL into `04_validate.sql`; verify runs it
//! and hashes the SQLite side with [`canon`].
pub mod canon;
pub mod sql;

/// Rows per chunk.
pub const CHUNK_ROWS: u64 = 10_000;
