//! Progress callbacks: how a long step tells the CLI what it is working on.
//!
//! The library never prints. Stages that take seconds on large inputs —
//! reading and profiling the source, loading, building constraints,
//! verifying — call a [`Progress`]; the CLI draws it (a spinner naming the
//! phase and the object, bars per table). Every method has an empty
//! default, so [`Quiet`] is the whole of a silent implementation. Below
//! every stage, so any of them can take one.

/// Callbacks for progress display. Names passed here are raw source text:
/// whoever draws them escapes them.
pub trait Progress: Sync {
    /// A new phase begins (`reading the source`).
    fn phase(&self, _name: &str) {}
    /// Within the phase, the object being worked on now (`profiling
    /// orders`, `index orders_customer_idx`).
    fn step(&self, _what: &str) {}
    fn table_start(&self, _table: &str, _rows: Option<u64>) {}
    fn table_rows(&self, _table: &str, _rows: u64) {}
    fn table_done(&self, _table: &str, _rows: u64, _rejects: u64, _seconds: f64) {}
}

/// No progress output.
pub struct Quiet;
impl Progress for Quiet {}
