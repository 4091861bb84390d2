//! SQLite loadable extensions (`--load-extension PATH`).
//!
//! Input: an open, read-only connection and the paths the user named.
//! Output: the connection with each extension loaded, or an
//! `extension-load-failed` error naming the path and SQLite's message.
//!
//! Invariants: extension loading is enabled only around each load call
//! ([`rusqlite::LoadExtensionGuard`]) and disabled again before any SQL
//! runs, so no `load_extension()` call in the database's own SQL (a view,
//! a trigger) can load anything. The connection stays read-only: an
//! extension's init function runs, but the file is opened `mode=ro`.
use crate::diag::{Diagnostic, Diagnostics, Error, Result, Severity, Stage};
use crate::ir::sqlite::{Table, TableKind};
use rusqlite::{Connection, LoadExtensionGuard};
use std::path::{Path, PathBuf};

/// Loads every extension in `paths` into `conn`, in order.
pub fn load_all(conn: &Connection, paths: &[PathBuf]) -> Result<()> {
    for path in paths {
        load_one(conn, path)?;
    }
    Ok(())
}

fn load_one(conn: &Connection, path: &Path) -> Result<()> {
    // SAFETY: loading runs the library's init code, which is what the user
    // asked for by naming it; loading is disabled again when the guard drops.
    let loaded = unsafe {
        LoadExtensionGuard::new(conn).and_then(|_guard| conn.load_extension(path, None::<&str>))
    };
    loaded.map_err(|e| load_failed(path, &e))
}

fn load_failed(path: &Path, e: &rusqlite::Error) -> Error {
    Diagnostic::error(
        Stage::Source,
        "extension-load-failed",
        format!(
            "cannot load the SQLite extension {}: {e}",
            path.display()
        ),
    )
    .with_help(
        "pass the path of a SQLite loadable library (sqlite-vec: `python3 -c \"import sqlite_vec; print(sqlite_vec.loadable_path())\"`; SpatiaLite: `mod_spatialite` from libsqlite3-mod-spatialite)",
    )
    .into()
}

/// Is `t` a virtual table whose module this connection does not have?
/// (Preparing a statement on it connects the module, or fails with
/// `no such module: …`.)
pub fn module_missing(conn: &Connection, t: &Table) -> bool {
    if !matches!(t.kind, TableKind::Virtual { .. }) {
        return false;
    }
    let sql = format!("SELECT * FROM {} LIMIT 0", super::live::quote(&t.name));
    match conn.prepare(&sql) {
        Ok(_) => false,
        Err(e) => e.to_string().starts_with("no such module"),
    }
}

/// Tables a module created with virtual table `vtable`: the tables named
/// `<vtable>_…` stored right after it in `sqlite_schema` (a module creates
/// its shadow tables inside `CREATE VIRTUAL TABLE`; the run may hold
/// `sqlite_*` rows SQLite adds on the way, e.g. autoindexes).
fn created_with<'a>(order: &[(&str, &'a str)], vtable: &str) -> Vec<&'a str> {
    let prefix = format!("{}_", vtable.to_ascii_lowercase());
    let Some(at) = order
        .iter()
        .position(|(_, n)| n.eq_ignore_ascii_case(vtable))
    else {
        return Vec::new();
    };
    order[at + 1..]
        .iter()
        .map(|(kind, name)| (*kind, *name, name.to_ascii_lowercase()))
        .take_while(|(_, _, lower)| lower.starts_with(&prefix) || lower.starts_with("sqlite_"))
        .filter(|(kind, _, lower)| *kind == "table" && lower.starts_with(&prefix))
        .map(|(_, name, _)| name)
        .collect()
}

/// For each virtual table in `missing` (its module is not loaded): the
/// tables it created are marked internal (not migrated as ordinary
/// tables), and one diagnostic names the module, the tables skipped and
/// `--load-extension`. An error for `vec0`, whose rows live only in its
/// shadow tables; a warning when other tables were skipped; else a note.
pub fn report_missing(
    tables: &mut [Table],
    order: &[(&str, &str)],
    missing: &[String],
    diags: &mut Diagnostics,
) {
    for vtable in missing {
        let Some(module) = tables.iter().find_map(|t| match &t.kind {
            TableKind::Virtual { module, .. } if t.name == *vtable => Some(module.clone()),
            _ => None,
        }) else {
            continue;
        };
        let created = created_with(order, vtable);
        let mut skipped = Vec::new();
        for t in tables.iter_mut() {
            let by_order = created.iter().any(|n| *n == t.name);
            let by_name = matches!(&t.kind, TableKind::Internal { reason } if reason.ends_with(&format!(" virtual table {vtable}")));
            if by_order && t.kind == TableKind::Ordinary {
                t.kind = TableKind::Internal {
                    reason: format!(
                        "probable shadow table of virtual table {vtable} (module {module} is not loaded)"
                    ),
                };
            }
            if by_order || by_name {
                skipped.push(t.name.clone());
            }
        }
        diags.push(missing_diagnostic(vtable, &module, &skipped));
    }
}

fn missing_diagnostic(vtable: &str, module: &str, skipped: &[String]) -> Diagnostic {
    let shadows = if skipped.is_empty() {
        String::new()
    } else {
        format!(
            "; its tables {} are skipped, not migrated as ordinary tables",
            skipped.join(", ")
        )
    };
    let is_vec0 = module.eq_ignore_ascii_case(super::vec0::MODULE);
    let message = if is_vec0 {
        format!(
            "virtual table `{vtable}` uses module `{module}` (sqlite-vec), which is not loaded: its rows live only in its shadow tables and cannot be read{shadows}"
        )
    } else {
        format!("virtual table `{vtable}` uses module `{module}`, which is not loaded{shadows}")
    };
    let severity = if is_vec0 {
        Severity::Error
    } else if skipped.is_empty() {
        Severity::Note
    } else {
        Severity::Warning
    };
    let help = if is_vec0 {
        "rerun with `--load-extension PATH` naming sqlite-vec's library (`python3 -c 'import sqlite_vec; print(sqlite_vec.loadable_path())'`, PyPI package sqlite-vec)".to_string()
    } else {
        format!(
            "rerun with `--load-extension PATH` naming the library that provides module `{module}` (SpatiaLite's modules: `--load-extension mod_spatialite`)"
        )
    };
    Diagnostic::new(severity, Stage::Source, "extension-module-missing", message)
        .with_help(help)
        .on(vtable.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SourceOptions, live};

    /// A database holding `CREATE VIRTUAL TABLE v USING nomod(a)` (a module
    /// no SQLite has), the tables it "created" right after it, and later
    /// user tables that share its prefix.
    fn unknown_module_database(dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join("nomod.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA writable_schema = ON;
             INSERT INTO sqlite_schema VALUES ('table', 'v', 'v', 0, 'CREATE VIRTUAL TABLE v USING nomod(a)');
             PRAGMA writable_schema = OFF;",
        )
        .unwrap();
        drop(conn);
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE \"v_store\" (k TEXT PRIMARY KEY, data BLOB);
             CREATE TABLE \"v_segments\" (id INTEGER PRIMARY KEY, block BLOB);
             CREATE TABLE users (id INTEGER PRIMARY KEY);
             CREATE TABLE v_log (id INTEGER PRIMARY KEY, msg TEXT);",
        )
        .unwrap();
        path
    }

    #[test]
    fn an_unknown_module_skips_only_the_tables_made_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = unknown_module_database(dir.path());
        let (schema, diags) = live::read_database(&path, &SourceOptions::default()).unwrap();
        let kind = |n: &str| {
            schema
                .tables
                .iter()
                .find(|t| t.name == n)
                .map(|t| t.kind.clone())
                .unwrap()
        };
        assert!(matches!(kind("v_store"), TableKind::Internal { .. }));
        assert!(matches!(kind("v_segments"), TableKind::Internal { .. }));
        assert_eq!(
            kind("v_log"),
            TableKind::Ordinary,
            "a later user table is kept"
        );
        assert_eq!(kind("users"), TableKind::Ordinary);
        let d = diags
            .iter()
            .find(|d| d.code == "extension-module-missing")
            .expect("a diagnostic names the module");
        assert_eq!(d.severity, Severity::Warning);
        assert!(d.message.contains("`nomod`") && d.message.contains("v_store, v_segments"));
        assert!(d.help.as_deref().unwrap_or("").contains("--load-extension"));
        assert!(!diags.has_errors());
    }
}
