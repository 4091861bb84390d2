//! source: reads SQLite (a live file or DDL text) into `ir::sqlite`.
//!
//! Input: a path to a database file or a DDL script, or DDL text.
//! Output: an [`ir::sqlite::Schema`](crate::ir::sqlite::Schema) plus
//! [`Diagnostics`]. DDL text is parsed by [`ddl`] (pest grammar for the
//! statement shapes, expressions kept as text); live files are read by
//! [`live`] read-only, with `PRAGMA`s authoritative over the parsed text.
//!
//! Invariants: the input is never modified; a database file is recognised by
//! its 16-byte header `SQLite format 3\0`, anything else is DDL text.
pub mod ddl;

/// The objects `pgbridge capture` installs on a source ([`crate::capture`]):
/// never read as part of the application's schema.
pub mod capture_names {
    /// The change log: one row per changed key, in commit order.
    pub const LOG: &str = "_pgbridge_log";
    /// One row per captured table: its name and key columns (JSON).
    pub const TABLES: &str = "_pgbridge_capture";
    /// Every capture trigger's name starts so.
    pub const TRIGGER_PREFIX: &str = "_pgbridge_capture_";

    /// Whether a source object (table, index or trigger, by its own and
    /// its table's name) is capture's own.
    pub fn is_capture_object(name: &str, table: &str) -> bool {
        [name, table].iter().any(|n| *n == LOG || *n == TABLES) || name.starts_with(TRIGGER_PREFIX)
    }
}
pub mod extension;
pub mod fts;
pub mod live;
pub mod profile;
pub mod spatial;
pub mod vec0;

use crate::diag::{Diagnostic, Diagnostics, Error, Result, Stage};
use crate::ir::sqlite::Schema;
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct SourceOptions {
    /// Scan the data and build a per-column profile (live files only).
    pub profile: bool,
    /// SQLite loadable extensions (`--load-extension`) loaded into every
    /// connection that reads the source, so virtual tables whose module
    /// lives outside SQLite (sqlite-vec's `vec0`, SpatiaLite) are readable.
    pub extensions: Vec<PathBuf>,
}

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions {
            profile: true,
            extensions: Vec::new(),
        }
    }
}

/// The header every SQLite 3 database file starts with.
pub const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Read DDL text (a `.sql` file or dump).
pub fn from_ddl(text: &str, origin: &str) -> (Schema, Diagnostics) {
    let (mut schema, diags) = ddl::parse_script(text, origin);
    // A dump of a captured source holds capture's log and triggers.
    let own = capture_names::is_capture_object;
    schema.tables.retain(|t| !own(&t.name, &t.name));
    schema.indexes.retain(|i| !own(&i.name, &i.table));
    schema.triggers.retain(|t| !own(&t.name, &t.table));
    schema.sequences.remove(capture_names::LOG);
    (schema, diags)
}

/// Read a live SQLite database file, read-only.
pub fn from_database(path: &Path, opts: &SourceOptions) -> Result<(Schema, Diagnostics)> {
    live::read_database(path, opts)
}

/// The file name of `path` without its directory, for `Schema.origin`.
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Read either: a file starting with the SQLite header is a database,
/// anything else DDL text.
pub fn read(path: &Path, opts: &SourceOptions) -> Result<(Schema, Diagnostics)> {
    let io_err = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io_err)?;
    let mut head = Vec::with_capacity(16);
    (&mut file)
        .take(16)
        .read_to_end(&mut head)
        .map_err(io_err)?;
    if head.as_slice() == SQLITE_MAGIC {
        drop(file);
        return from_database(path, opts);
    }
    if head.is_empty() {
        return Err(Diagnostic::error(
            Stage::Source,
            "input-empty",
            format!("{} is empty (0 bytes): neither a SQLite database nor a SQL script", path.display()),
        )
        .with_help("check the path: pass the application's database file, or a script made with `sqlite3 app.db .schema`")
        .into());
    }
    let mut bytes = head;
    file.read_to_end(&mut bytes).map_err(io_err)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::from(
            Diagnostic::error(
                Stage::Source,
                "ddl-not-utf8",
                format!(
                    "{} is neither a SQLite database nor UTF-8 text (invalid byte at offset {})",
                    path.display(),
                    e.utf8_error().valid_up_to()
                ),
            )
            .with_help("pass a SQLite database file or a UTF-8 .sql script"),
        )
    })?;
    let (schema, diags) = from_ddl(&text, &file_name(path));
    let nothing = schema.tables.is_empty()
        && schema.indexes.is_empty()
        && schema.views.is_empty()
        && schema.triggers.is_empty()
        && schema.unreadable.is_empty();
    if nothing && !diags.has_errors() {
        return Err(Diagnostic::error(
            Stage::Source,
            "no-schema-in-text",
            format!(
                "{} is not a SQLite database, and as SQL text it holds no CREATE TABLE, INDEX, VIEW or TRIGGER statement",
                path.display()
            ),
        )
        .with_help("pass the application's database file, or a script made with `sqlite3 app.db .schema`")
        .into());
    }
    Ok((schema, diags))
}
