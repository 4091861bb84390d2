//! Naming: SQLite names become PostgreSQL names, per `--naming`, shortened
//! to 63 bytes, unique within their scope.
//!
//! Reads a migrated table's SQLite table and column names; writes its
//! entry in `names`, takes its name in `relnames`, appends it to
//! `migrated`. [`Namer`] also names indexes and foreign keys (their passes
//! call it); [`constraint_name`] keeps a constraint's own name. Pushes
//! `identifier-too-long` and `identifier-collision` warnings.
use super::Rewrite;
use crate::diag::{Diagnostic, Diagnostics, Stage};
use crate::ident::{self, Naming};
use crate::ir::sqlite;
use std::collections::{BTreeMap, BTreeSet};

/// A migrated table's PostgreSQL names.
pub(in crate::rewrite) struct TableNames {
    pub pg: String,
    /// Lower-cased SQLite column name → PostgreSQL name.
    pub columns: BTreeMap<String, String>,
}

/// Names a table the table rules migrate, then its columns.
pub(super) fn name_table<'a>(cx: &mut Rewrite<'a>, t: &'a sqlite::Table) {
    let namer = &cx.src.namer;
    let pg_name = namer.name(&t.name, &mut cx.relnames, "table", &mut cx.diags);
    let mut taken = BTreeSet::new();
    let mut columns = BTreeMap::new();
    for c in &t.columns {
        let n = namer.name(&c.name, &mut taken, "column", &mut cx.diags);
        columns.insert(c.name.to_ascii_lowercase(), n);
    }
    cx.names.insert(
        t.name.to_ascii_lowercase(),
        TableNames {
            pg: pg_name,
            columns,
        },
    );
    cx.migrated.push(t);
}

/// SQLite name → PostgreSQL name, per `--naming`, shortened to 63 bytes,
/// made unique within its scope.
pub(in crate::rewrite) struct Namer {
    pub naming: Naming,
}

impl Namer {
    /// The name per `--naming`, before shortening and claiming.
    pub fn base(&self, sqlite_name: &str) -> String {
        match self.naming {
            Naming::AsWritten => sqlite_name.to_string(),
            Naming::SnakeCase => ident::snake_case(sqlite_name),
            Naming::Lower => sqlite_name.to_ascii_lowercase(),
        }
    }

    pub fn name(
        &self,
        sqlite_name: &str,
        taken: &mut BTreeSet<String>,
        what: &str,
        diags: &mut Diagnostics,
    ) -> String {
        let base = self.base(sqlite_name);
        let name = match ident::shorten(&base) {
            Some(short) => {
                diags.push(
                    Diagnostic::warning(Stage::Rewrite, "identifier-too-long", format!("{what} name `{base}` is {} bytes; PostgreSQL keeps 63, so it becomes `{short}`", base.len()))
                        .on(sqlite_name)
                        .with_help("rename it in SQLite, or accept the shortened name (it is deterministic: a prefix and a hash)"),
                );
                short
            }
            None => base,
        };
        claim(name, taken, what, sqlite_name, diags)
    }
}

/// `name`, or `name_2`, `name_3`, … when it is taken, with an
/// `identifier-collision` warning; the result is taken from then on.
pub(super) fn claim(
    mut name: String,
    taken: &mut BTreeSet<String>,
    what: &str,
    sqlite_name: &str,
    diags: &mut Diagnostics,
) -> String {
    if taken.contains(&name) {
        let mut n = 2;
        let stem = name.clone();
        loop {
            let candidate = format!("{stem}_{n}");
            let candidate = ident::shorten(&candidate).unwrap_or(candidate);
            if !taken.contains(&candidate) {
                name = candidate;
                break;
            }
            n += 1;
        }
        diags.push(
            Diagnostic::warning(Stage::Rewrite, "identifier-collision", format!("{what} `{sqlite_name}` would collide with another name as `{stem}`; it becomes `{name}`"))
                .on(sqlite_name)
                .with_help("choose --naming as-written, or rename one of them in SQLite"),
        );
    }
    taken.insert(name.clone());
    name
}

/// A constraint's own name (kept as written), shortened to 63 bytes with a
/// warning like every other name, so PostgreSQL never truncates one silently.
pub(super) fn constraint_name(name: &Option<String>, diags: &mut Diagnostics) -> Option<String> {
    let name = name.as_ref()?;
    Some(match ident::shorten(name) {
        Some(short) => {
            diags.push(
                Diagnostic::warning(Stage::Rewrite, "identifier-too-long", format!("constraint name `{name}` is {} bytes; PostgreSQL keeps 63, so it becomes `{short}`", name.len()))
                    .on(name.as_str())
                    .with_help("rename it in SQLite, or accept the shortened name (it is deterministic: a prefix and a hash)"),
            );
            short
        }
        None => name.clone(),
    })
}
