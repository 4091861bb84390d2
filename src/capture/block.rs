//! block: the write block a cutover puts on the source, so the application
//! cannot write SQLite once PostgreSQL is the database of record.
//!
//! Input: the captured tables and the message a blocked write fails with.
//! Output: SQL for three triggers per table (`BEFORE INSERT`, `UPDATE`,
//! `DELETE`, each `RAISE(ABORT, message)`), named with capture's prefix
//! (kinds [`KINDS`]), so `capture remove` drops them with the rest and
//! every command that reads the source leaves them out. Installing runs in
//! the cutover's own `BEGIN IMMEDIATE` transaction; removing, in the
//! rollback's, which applies PostgreSQL's changes in that same transaction
//! before any application writer can get the lock.
use super::{ident, literal, trigger_name};
use rusqlite::Connection;

/// The kinds of block trigger on every table.
pub const KINDS: [(&str, &str); 3] = [
    ("blockins", "INSERT"),
    ("blockupd", "UPDATE"),
    ("blockdel", "DELETE"),
];

/// SQL that blocks every write to `tables` with `message` (inside the
/// caller's transaction). Control characters in the message become spaces:
/// `RAISE` takes a plain string literal.
pub fn block_sql(tables: &[String], message: &str) -> String {
    let clean: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut sql = String::new();
    for t in tables {
        for (kind, event) in KINDS {
            sql.push_str(&format!(
                "CREATE TRIGGER {} BEFORE {event} ON {} BEGIN SELECT RAISE(ABORT, {}); END;\n",
                ident(&trigger_name(kind, t)),
                ident(t),
                literal(&clean),
            ));
        }
    }
    sql
}

/// SQL that lifts the block from `tables`.
pub fn unblock_sql(tables: &[String]) -> String {
    let mut sql = String::new();
    for t in tables {
        for (kind, _) in KINDS {
            sql.push_str(&format!(
                "DROP TRIGGER IF EXISTS {};\n",
                ident(&trigger_name(kind, t))
            ));
        }
    }
    sql
}

/// The tables that carry a block trigger.
pub fn blocked_tables(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut st =
        conn.prepare("SELECT DISTINCT tbl_name FROM sqlite_schema WHERE type = 'trigger' AND name = ?1 || tbl_name ORDER BY 1")?;
    let prefix = trigger_name(KINDS[0].0, "");
    let rows = st.query_map([prefix], |r| r.get(0))?;
    rows.collect()
}
