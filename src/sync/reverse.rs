//! reverse: change capture on PostgreSQL once a cutover has made it the
//! database of record, so `pgbridge rollback` can bring its changes back
//! to SQLite.
//!
//! Input: the target schema and the captured tables: each table's name in
//! the target and its key columns (target names).
//! Output: SQL the cutover runs inside its own PostgreSQL transaction
//! ([`install_sql`]), and SQL that removes it again ([`remove_sql`]).

/// SQL that starts reverse capture on every table of `tables` in `ns`.
pub fn install_sql(_ns: &str, _tables: &[(String, Vec<String>)]) -> String {
    String::new()
}

/// SQL that removes what [`install_sql`] created.
pub fn remove_sql(_ns: &str, _tables: &[(String, Vec<String>)]) -> String {
    String::new()
}
