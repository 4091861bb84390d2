//! Noticing a schema change sync's capture cannot see: a new table, a new
//! index, a rebuilt table whose columns are the same but whose NOT NULL,
//! default or CHECK changed.
//!
//! Reads: the source's `sqlite_schema` (its hash, each batch the schema
//! version moves), the schema the target records, and — when the hash is
//! not the one the target last matched — the source compiled without its
//! data profile. Writes: `pgbridge.sync.source_schema`, the hash the
//! target is known to match, once a compile shows no difference. The diff
//! between the record and the compiled source names what changed, one
//! statement a line.
use super::super::{Ready, SyncOptions, pg, sqlite, state};
use crate::diag::Diagnostic;
use crate::diff;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The hash of the source's schema as the application declared it:
/// every object of `sqlite_schema` but capture's own and SQLite's.
pub(crate) fn source_hash(conn: &rusqlite::Connection) -> rusqlite::Result<String> {
    let mut st = conn.prepare(
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema \
         WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name",
    )?;
    let mut rows = st.query([])?;
    let mut h = Sha256::new();
    while let Some(r) = rows.next()? {
        let (kind, name, table, sql): (String, String, String, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        if crate::source::capture_names::is_capture_object(&name, &table) {
            continue;
        }
        for part in [&kind, &name, &table, &sql] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
    }
    Ok(hex::encode(h.finalize()))
}

/// A statement for a terminal: without its `;`, whitespace outside quotes
/// folded to one space, control characters escaped, at most 120
/// characters.
fn shown(sql: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut space = false;
    for ch in sql.trim().trim_end_matches(';').trim_end().chars() {
        match quote {
            Some(q) if ch == q => quote = None,
            None if ch == '"' || ch == '\'' => quote = Some(ch),
            None if ch.is_whitespace() => {
                space = true;
                continue;
            }
            _ => {}
        }
        if std::mem::take(&mut space) {
            out.push(' ');
        }
        out.push(ch);
    }
    let out = crate::ident::escape_text(&out).into_owned();
    match out.char_indices().nth(120) {
        Some((at, _)) => format!("{}…", &out[..at]),
        None => out,
    }
}

/// What the source declares and the target does not hold (see the module
/// docs), each diff statement shown. Empty when the source's schema is the
/// one the target last matched, when the target records no schema (a run
/// before the record existed: only capture's columns and triggers are
/// compared), or when sync was given no rules.
pub(in crate::sync) fn declared_changes(
    source: &Path,
    opts: &SyncOptions,
    r: &mut Ready,
) -> Result<Vec<String>, Box<Diagnostic>> {
    let Some(rules) = &opts.rules else {
        return Ok(Vec::new());
    };
    let hash = source_hash(&r.conn).map_err(sqlite(source))?;
    if r.schema_hash.as_deref() == Some(hash.as_str()) {
        return Ok(Vec::new());
    }
    let record = crate::load::schema_record::read(&mut r.client, &r.namespace)
        .map_err(pg("reading the target's recorded schema"))?;
    let Some(record) = record else {
        return Ok(Vec::new());
    };
    let mut live = super::compile_live(source, &mut r.client, &r.namespace, opts, rules, false)?;
    let old = super::old_side::recorded_side(record, &mut live.compiled);
    let o = diff::DiffOptions {
        not_null_constraints: live.major >= 18,
        ..Default::default()
    };
    let up = diff::plan(&old, &live.compiled.pg, &o);
    let mut changes: Vec<String> = diff::unsupported(&old, &live.compiled.pg)
        .into_iter()
        .map(|u| format!("{} ({})", u.message, u.code))
        .collect();
    changes.extend(
        up.statements
            .iter()
            .map(|s| format!("the target lacks: {}", shown(&s.sql))),
    );
    if changes.is_empty() {
        state::set_source_schema(&mut r.client, &r.namespace, &live.hash)
            .map_err(pg("recording the source's schema"))?;
        r.schema_hash = Some(live.hash);
    }
    Ok(changes)
}

/// Why a compile could not be used: its first error.
pub(super) fn compile_errors(compiled: &crate::Compiled) -> Vec<String> {
    compiled
        .diagnostics
        .0
        .iter()
        .filter(|d| d.severity == crate::diag::Severity::Error)
        .map(|d| format!("the source does not compile: {}", d.message))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_is_shown_on_one_line_with_quoted_names_intact() {
        assert_eq!(
            shown("CREATE TABLE \"a\nb\" (\n    id bigint,\n    \"x  y\" text\n);"),
            "CREATE TABLE \"a\\nb\" ( id bigint, \"x  y\" text )"
        );
        let long = format!("ALTER TABLE t ADD COLUMN {} text;", "c".repeat(200));
        assert!(shown(&long).ends_with('…'));
        assert_eq!(shown(&long).chars().count(), 121);
    }

    #[test]
    fn the_source_hash_ignores_capture_and_sees_a_new_index() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);")
            .unwrap();
        let h0 = source_hash(&c).unwrap();
        c.execute_batch(&format!(
            "CREATE TABLE {log} (id INTEGER PRIMARY KEY AUTOINCREMENT, x);
             CREATE TRIGGER \"{p}ins:t\" AFTER INSERT ON t BEGIN SELECT 1; END;",
            log = crate::source::capture_names::LOG,
            p = crate::source::capture_names::TRIGGER_PREFIX
        ))
        .unwrap();
        assert_eq!(source_hash(&c).unwrap(), h0);
        c.execute_batch("CREATE INDEX t_v ON t (v);").unwrap();
        assert_ne!(source_hash(&c).unwrap(), h0);
    }
}
