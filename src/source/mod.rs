//! source: reads SQLite (a live file or DDL text) into `ir::sqlite`.
//! (Stub signatures; implemented in the source work item.)
pub mod ddl;
pub mod live;
pub mod profile;

use crate::diag::{Diagnostics, Result};
use crate::ir::sqlite::Schema;
use std::path::Path;

#[derive(Debug, Clone)]
pub struct SourceOptions {
    /// Scan the data and build a per-column profile (live files only).
    pub profile: bool,
}

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions { profile: true }
    }
}

/// Read DDL text (a `.sql` file or dump).
pub fn from_ddl(text: &str, origin: &str) -> (Schema, Diagnostics) {
    let _ = (text, origin);
    todo!()
}

/// Read a live SQLite database file, read-only.
pub fn from_database(path: &Path, opts: &SourceOptions) -> Result<(Schema, Diagnostics)> {
    let _ = (path, opts);
    todo!()
}

/// Read either: a file starting with the SQLite header is a database,
/// anything else DDL text.
pub fn read(path: &Path, opts: &SourceOptions) -> Result<(Schema, Diagnostics)> {
    let _ = (path, opts);
    todo!()
}
