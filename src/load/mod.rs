//! load: the native loader behind `pgbridge migrate`.
//!
//! **Input**: a SQLite database file, a way to open PostgreSQL connections,
//! a rule pack and [`MigrateOptions`]. **Output**: the data in PostgreSQL and
//! a [`Report`] (the audit trail written by `--report`), or diagnostics.
//!
//! How a run goes (see `docs/loading.md`):
//! 1. The source is opened read-only and read in ONE read transaction: the
//!    schema, the profile and every row come from the same snapshot, so an
//!    app may keep writing.
//! 2. The schema is compiled for the live server (its version and
//!    extensions), and `01_schema.sql` is applied in one transaction that
//!    also records the run in the `pgbridge` schema.
//! 3. Tables stream in parallel (`--jobs`): one reader converts each value
//!    with its column's converter ([`convert`]) and encodes binary COPY
//!    ([`wire`]); each worker connection loads one table per transaction:
//!    `TRUNCATE`, `COPY … FREEZE`, the table's rejects and its progress row,
//!    `COMMIT`. Memory is bounded by the chunk queues.
//! 4. Foreign keys whose child rows have no parent are counted; they stay
//!    `NOT VALID` (reported), the others are validated. `03_constraints.sql`
//!    runs in one transaction with the run's completion mark.
//!
//! Invariants: no value is altered or dropped silently — a value that does
//! not convert stops the run naming table, row id, column and value
//! (`--on-error stop`), or its row goes to the reject file (`reject`); a
//! run killed at any instant resumes on rerun without duplicating a row
//! (a table is loaded and marked done in one transaction); secrets never
//! reach the report.
pub mod convert;
pub mod plan;
mod run;
pub mod wire;

pub use run::{Outcome, migrate, read_server, sha256_file};
pub(crate) use run::{pg_error as pg_error_text, preview as preview_value};

use serde::Serialize;
use std::path::PathBuf;

/// What to do with a value that does not convert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    Stop,
    Reject,
}

/// Why a connection could not be opened: a diagnostic code
/// (`target-auth-failed`, …), a message and help, all free of secrets.
#[derive(Debug, Clone)]
pub struct ConnectFailure {
    pub code: String,
    pub message: String,
    pub help: Option<String>,
}

/// Opens a new PostgreSQL connection.
pub type Connector<'a> = &'a (dyn Fn() -> Result<postgres::Client, ConnectFailure> + Sync);

#[derive(Debug, Clone)]
pub struct MigrateOptions {
    pub compile: crate::CompileOptions,
    /// Parallel table loads (connections).
    pub jobs: usize,
    pub on_error: OnError,
    /// Where rejected rows are written (JSON lines).
    pub rejects_path: PathBuf,
    /// Load into an existing schema, mapped by name.
    pub data_only: bool,
    /// Plan only: nothing is written to the target.
    pub dry_run: bool,
    /// The target as shown in output (no password).
    pub target_display: String,
    /// Raise `maintenance_work_mem` for the index builds of 03.
    pub maintenance_work_mem: String,
}

/// Callbacks for progress display; the library never prints.
pub trait Progress: Sync {
    fn phase(&self, _name: &str) {}
    fn table_start(&self, _table: &str, _rows: Option<u64>) {}
    fn table_rows(&self, _table: &str, _rows: u64) {}
    fn table_done(&self, _table: &str, _rows: u64, _rejects: u64, _seconds: f64) {}
}

/// No progress output.
pub struct Quiet;
impl Progress for Quiet {}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Phases {
    pub schema_s: f64,
    pub data_s: f64,
    pub constraints_s: f64,
    /// Schema to constraints (the verify that follows is not included).
    pub total_s: f64,
    /// The verify that ends the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_s: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    /// PostgreSQL table.
    pub name: String,
    /// SQLite table.
    pub source: String,
    pub rows: u64,
    pub rejects: u64,
    pub seconds: f64,
    /// Loaded by an earlier, interrupted run of the same plan.
    pub resumed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Orphans {
    pub constraint: String,
    pub table: String,
    pub columns: Vec<String>,
    pub ref_table: String,
    pub rows: i64,
    /// Up to five child key values without a parent, as text.
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceInfo {
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetInfo {
    pub url: String,
    pub server_version: String,
    pub schema: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub jobs: usize,
    pub on_error: OnError,
    pub data_only: bool,
    pub dry_run: bool,
}

/// One table's verify result in the run report.
#[derive(Debug, Clone, Serialize)]
pub struct VerifiedTable {
    pub name: String,
    pub source: String,
    pub matches: bool,
    pub rows_sqlite: u64,
    pub rows_postgres: u64,
    /// SHA-256 over the chunk digests (PostgreSQL side).
    pub sha256: String,
    /// The same over the SQLite side (equal when it matches).
    pub sha256_sqlite: String,
    pub chunks: usize,
    /// Rows listed in the reject file, left out of the SQLite side.
    pub rejected: usize,
    /// Rows that do not convert and are not in the reject file.
    pub unconvertible: usize,
    pub seconds: f64,
    /// What differs, localised (empty when it matches).
    pub differences: Vec<String>,
}

/// The audit trail of a run (`--report run.json`).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub pgbridge_version: String,
    /// `complete`, `already-complete`, `planned` (dry run) or `failed`.
    pub status: String,
    pub source: SourceInfo,
    pub target: TargetInfo,
    pub rule_pack: String,
    /// Digest of what this run applies; a rerun with the same plan resumes.
    pub plan: String,
    pub settings: Settings,
    pub phases: Phases,
    pub tables: Vec<TableReport>,
    pub rejects: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejects_file: Option<String>,
    pub orphans: Vec<Orphans>,
    /// The plan per table (columns, converters, target types).
    pub load_plan: Vec<plan::TablePlan>,
    pub diagnostics: Vec<crate::diag::Diagnostic>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The verify that ends a run (absent with `--no-verify`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify: Option<Vec<VerifiedTable>>,
    /// `--dry-run`: the estimated data-phase seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate_s: Option<f64>,
}
