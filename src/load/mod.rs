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
pub mod plan;
mod run;
pub mod schema_record;
pub mod verify_plan;

pub use run::{Outcome, migrate, read_server, sha256_file};
pub(crate) use run::{pg_error as pg_error_text, preview as preview_value};

use serde::Serialize;
use std::path::PathBuf;

/// Rows per second the native loader moves (docs/benchmarks.md, "Data
/// load": ~700k rows/s for narrow rows on the 2-core dev VM).
pub const LOAD_ROWS_PER_S: f64 = 700_000.0;
/// Rows per second one index, key or foreign-key validation is built at
/// (docs/benchmarks.md: the primary key of 2M narrow rows took ~1 s).
pub const INDEX_ROWS_PER_S: f64 = 2_000_000.0;

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

impl From<crate::conn::ConnectError> for ConnectFailure {
    fn from(e: crate::conn::ConnectError) -> Self {
        ConnectFailure {
            code: e.code().to_string(),
            message: e.to_string(),
            help: e.help(),
        }
    }
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
    /// A live source with capture installed (`migrate --live`): never
    /// opened `immutable`, and the change-log position of the snapshot the
    /// rows came from is recorded with the run, for `sync` to start at.
    pub live: bool,
}

pub use crate::progress::{Progress, Quiet};

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
    /// The full path the run read (absolute where it can be resolved).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Who ran a migration, where, and when: the run report is the audit trail.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Audit {
    /// Wall clock, UTC, RFC 3339.
    pub started_at: String,
    pub finished_at: String,
    pub host: String,
    pub user: String,
}

/// One SQL text the run applied to the target, by its SHA-256.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub file: String,
    pub sha256: String,
    /// The text itself (for `migrate --emit DIR`; not in the report).
    #[serde(skip)]
    pub sql: String,
}

impl Applied {
    pub fn new(file: &str, sql: &str) -> Applied {
        use sha2::{Digest, Sha256};
        Applied {
            file: file.to_string(),
            sha256: hex::encode(Sha256::digest(sql.as_bytes())),
            sql: sql.to_string(),
        }
    }
}

/// `t` as RFC 3339 in UTC, to the second (`2026-12-03T09:31:57Z`).
pub fn utc_rfc3339(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = crate::value::convert::civil_from_days(days);
    debug_assert_eq!(crate::value::convert::days_from_civil(y, m, d), days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The machine's host name and the user running pgbridge, as the OS says.
pub fn host_and_user() -> (String, String) {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let host = if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0 {
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        String::new()
    };
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| format!("uid {}", unsafe { libc::getuid() }));
    (host, user)
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
    /// `table`, or `view` (SQLite's view against its translation).
    pub kind: String,
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
    pub run: Audit,
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
    /// Every SQL text applied to the target, in order, by SHA-256.
    pub applied: Vec<Applied>,
}
