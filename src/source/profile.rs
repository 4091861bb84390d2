//! Per-column data profile of a live table. (Stub; implemented in the
//! profile work item.)
use crate::ir::sqlite::{Profile, Table};

/// Full scan of `table`, one [`Profile`] per column of `table.columns`, in order.
pub fn profile_table(conn: &rusqlite::Connection, table: &Table) -> rusqlite::Result<Vec<Profile>> {
    let _ = (conn, table);
    todo!()
}
