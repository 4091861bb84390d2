//! Test harness: real PostgreSQL 15 and 18 for integration tests, never a mock.
//!
//! Use it from any integration test file with `mod common;`:
//!
//! ```ignore
//! mod common;
//! use common::{cluster, PgVersion};
//!
//! #[test]
//! fn schema_applies_on_every_version() {
//!     for v in PgVersion::ALL {
//!         let db = cluster(v).new_db("schema_applies");
//!         db.psql("CREATE TABLE t (id bigint PRIMARY KEY)").unwrap();
//!         assert_eq!(db.object_count(), 2); // the table and its primary-key index
//!     }
//! }
//! ```
//!
//! What it does:
//! - [`cluster`] starts one throwaway cluster per PostgreSQL major version per test
//!   binary, on first use (`initdb -A trust` in a temp dir, a free port on 127.0.0.1,
//!   `fsync=off`), shared by every test of that binary. A detached watchdog stops it
//!   and removes its directory once the test process is gone, however it ended.
//! - Or, with `PGBRIDGE_TEST_PG15_URL` / `PGBRIDGE_TEST_PG18_URL` (a superuser URL),
//!   it uses an existing server and starts nothing.
//! - [`Cluster::new_db`] gives each test its own database ([`TestDb`]), dropped on drop.
//!
//! Input: the environment (see `docs/testing.md`): `PGBRIDGE_PG15_BINDIR`,
//! `PGBRIDGE_PG18_BINDIR`, `PGBRIDGE_TEST_PG15_URL`, `PGBRIDGE_TEST_PG18_URL`,
//! `PGBRIDGE_TEST_TMPDIR`; otherwise `pg_config --bindir` (15) and
//! `target/pg18/` (18, installed by `bash .ci/install-pg`).
//!
//! Invariants:
//! - A missing PostgreSQL makes the tests FAIL with an install hint; they never skip.
//! - No cluster outlives the test process (the watchdog stops it within ~1 s).
//! - Database names are unique per process and per call; a `TestDb` sees no other
//!   test's objects.

#![allow(dead_code, unused_imports)] // each test binary uses a different subset

mod cli;
mod cluster;
mod db;
pub mod fixtures;
mod locate;
mod run;

use std::sync::OnceLock;

pub use cli::{CORPUS_DATABASES, compile, corpus, pgbridge, text};
pub use cluster::{Cluster, db_name, url_with_db};
pub use db::{TestDb, sql_ident, sql_literal};
pub use locate::{Env, PgBin, install_hint, locate_bindir, parse_major};

/// A PostgreSQL major version the project supports and tests against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PgVersion {
    V15,
    V18,
}

impl PgVersion {
    /// Every supported version, oldest first.
    pub const ALL: [PgVersion; 2] = [PgVersion::V15, PgVersion::V18];

    /// The major version number (15, 18).
    pub fn major(self) -> u32 {
        match self {
            PgVersion::V15 => 15,
            PgVersion::V18 => 18,
        }
    }

    /// Env var naming a bin directory (initdb, pg_ctl, postgres, psql) for this version.
    pub fn bindir_env(self) -> &'static str {
        match self {
            PgVersion::V15 => "PGBRIDGE_PG15_BINDIR",
            PgVersion::V18 => "PGBRIDGE_PG18_BINDIR",
        }
    }

    /// Env var naming an existing server (superuser URL) for this version.
    pub fn url_env(self) -> &'static str {
        match self {
            PgVersion::V15 => "PGBRIDGE_TEST_PG15_URL",
            PgVersion::V18 => "PGBRIDGE_TEST_PG18_URL",
        }
    }
}

impl std::fmt::Display for PgVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PostgreSQL {}", self.major())
    }
}

static PG15: OnceLock<Cluster> = OnceLock::new();
static PG18: OnceLock<Cluster> = OnceLock::new();

/// The cluster for `v`, started on first use and shared by all tests of this binary.
///
/// Panics (the test fails) when no PostgreSQL of that version can be found or started;
/// the message says how to install it.
pub fn cluster(v: PgVersion) -> &'static Cluster {
    let cell = match v {
        PgVersion::V15 => &PG15,
        PgVersion::V18 => &PG18,
    };
    cell.get_or_init(|| match Cluster::from_env(v) {
        Ok(c) => c,
        Err(msg) => panic!("{msg}"),
    })
}
