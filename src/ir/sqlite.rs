//! The SQLite side: facts read from a live database file or from DDL text.
//!
//! Invariants: names are kept exactly as SQLite reports them (unquoted, case
//! preserved); expressions keep their original SQL text (`Expr::sql`) so any
//! stage can fall back to showing the user what was written. Lists keep the
//! order of `sqlite_schema` / the DDL text, so output is deterministic.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where the facts came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// A live database file (with a data profile).
    Database,
    /// DDL text (no profile).
    Ddl,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Schema {
    pub source: SourceKind,
    /// The file name the schema was read from (no directory), for comments.
    pub origin: String,
    pub tables: Vec<Table>,
    pub indexes: Vec<Index>,
    pub views: Vec<View>,
    pub triggers: Vec<Trigger>,
    /// `sqlite_sequence` contents: table name → last AUTOINCREMENT value.
    pub sequences: BTreeMap<String, i64>,
    /// Statements of a DDL script that could not be read: each is an error
    /// diagnostic and stands verbatim, as a comment, in the migration set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<Unreadable>,
}

/// A statement of a DDL script that could not be read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unreadable {
    /// 1-based line where the statement starts.
    pub line: usize,
    /// The statement as written.
    pub sql: String,
    /// Why it could not be read.
    pub reason: String,
}

/// SQLite column affinity (sqlite.org/datatype3.html §3.1), from the declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Affinity {
    Integer,
    Text,
    Blob,
    Real,
    Numeric,
}

impl Affinity {
    /// The affinity rules of sqlite.org/datatype3.html §3.1, applied in order.
    /// An empty declared type has BLOB affinity.
    pub fn of_declared(declared: &str) -> Affinity {
        let up = declared.to_ascii_uppercase();
        if up.contains("INT") {
            Affinity::Integer
        } else if up.contains("CHAR") || up.contains("CLOB") || up.contains("TEXT") {
            Affinity::Text
        } else if up.contains("BLOB") || up.trim().is_empty() {
            Affinity::Blob
        } else if up.contains("REAL") || up.contains("FLOA") || up.contains("DOUB") {
            Affinity::Real
        } else {
            Affinity::Numeric
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum TableKind {
    /// An ordinary table.
    Ordinary,
    /// `CREATE VIRTUAL TABLE t USING module(args)`.
    Virtual { module: String, args: Vec<String> },
    /// SQLite's own or a virtual table's shadow table; not migrated.
    Internal { reason: String },
}

/// An SQL expression as written in SQLite, with its parse when it parsed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expr {
    /// The original text, exactly as written (without surrounding parentheses
    /// of a DEFAULT (...) form).
    pub sql: String,
}

impl Expr {
    pub fn new(sql: impl Into<String>) -> Self {
        Expr { sql: sql.into() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    pub kind: TableKind,
    pub columns: Vec<Column>,
    /// Table-level or column-level PRIMARY KEY, as a list of columns.
    pub primary_key: Option<KeyConstraint>,
    /// UNIQUE constraints (column- and table-level).
    pub uniques: Vec<KeyConstraint>,
    pub checks: Vec<Check>,
    pub foreign_keys: Vec<ForeignKey>,
    pub without_rowid: bool,
    pub strict: bool,
    /// The CREATE statement as stored in sqlite_schema / the DDL.
    pub sql: String,
    /// Row count, from a live file.
    pub rows: Option<u64>,
    /// 1-based line of the CREATE statement in DDL text (None for live files).
    pub line: Option<usize>,
    /// A virtual table whose module was loaded (`--load-extension`) and
    /// whose rows are read and migrated as a table's (sqlite-vec's `vec0`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub readable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// The declared type exactly as written (may be empty, may be any run of
    /// words: `UNSIGNED BIG INT`, `NATIVE CHARACTER(70)`).
    pub declared: String,
    /// The declared type's words without arguments, upper-cased and joined
    /// by one space (`UNSIGNED BIG INT`, `VARCHAR`).
    pub type_name: String,
    /// Numeric arguments of the declared type: `VARCHAR(255)` → [255],
    /// `NUMERIC(10,2)` → [10, 2].
    pub type_args: Vec<i64>,
    pub affinity: Affinity,
    pub not_null: bool,
    pub default: Option<Expr>,
    /// COLLATE name as written (`NOCASE`, `BINARY`, `RTRIM`, custom).
    pub collation: Option<String>,
    /// Position in a PRIMARY KEY (1-based), 0 if not part of it.
    pub pk_position: usize,
    /// `INTEGER PRIMARY KEY` on a rowid table: the column is the rowid.
    pub rowid_alias: bool,
    pub autoincrement: bool,
    pub generated: Option<Generated>,
    /// SQLite reports hidden columns of virtual tables (table_xinfo hidden=1).
    pub hidden: bool,
    /// Data profile, from a live file.
    pub profile: Option<Profile>,
    /// GeoPackage or SpatiaLite geometry metadata for this column, from a
    /// live file's spatial catalog (`gpkg_geometry_columns`,
    /// `geometry_columns`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geometry: Option<GeometryColumn>,
}

/// Which spatial package wrote a geometry column's blobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GeometryFormat {
    /// GeoPackage binary: `GP` header, envelope, ISO WKB.
    Geopackage,
    /// SpatiaLite's own blob format (may be compressed).
    Spatialite,
}

/// A geometry column as its spatial catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeometryColumn {
    pub format: GeometryFormat,
    /// Geometry type as the catalog names it, upper-cased (`POINT`,
    /// `MULTIPOLYGON`, `GEOMETRY`).
    pub geometry_type: String,
    /// Z: `Some(true)` mandatory, `Some(false)` prohibited, `None` optional.
    pub z: Option<bool>,
    /// M, as `z`.
    pub m: Option<bool>,
    /// The SRID the values carry (a catalog id of 0 or less is 0: undefined).
    pub srid: i32,
    /// An R*Tree spatial index exists for the column.
    pub spatial_index: bool,
}

impl Table {
    /// A table with no columns or constraints yet.
    pub fn new(name: impl Into<String>, kind: TableKind, sql: impl Into<String>) -> Table {
        Table {
            name: name.into(),
            kind,
            columns: Vec::new(),
            primary_key: None,
            uniques: Vec::new(),
            checks: Vec::new(),
            foreign_keys: Vec::new(),
            without_rowid: false,
            strict: false,
            sql: sql.into(),
            rows: None,
            line: None,
            readable: false,
        }
    }

    /// Does the table hold rows pgbridge reads and migrates: an ordinary
    /// table, or a virtual table read through its loaded module?
    pub fn holds_rows(&self) -> bool {
        match self.kind {
            TableKind::Ordinary => true,
            TableKind::Virtual { .. } => self.readable,
            TableKind::Internal { .. } => false,
        }
    }
}

impl Column {
    /// An untyped column (BLOB affinity) with no constraints.
    pub fn new(name: impl Into<String>) -> Column {
        Column {
            name: name.into(),
            declared: String::new(),
            type_name: String::new(),
            type_args: Vec::new(),
            affinity: Affinity::Blob,
            not_null: false,
            default: None,
            collation: None,
            pk_position: 0,
            rowid_alias: false,
            autoincrement: false,
            generated: None,
            hidden: false,
            profile: None,
            geometry: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generated {
    pub expr: Expr,
    pub stored: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyConstraint {
    pub name: Option<String>,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub name: Option<String>,
    pub expr: Expr,
    /// The column it was declared on, for column-level CHECKs.
    pub column: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub ref_table: String,
    /// Empty means "the parent's primary key".
    pub ref_columns: Vec<String>,
    /// `CASCADE`, `SET NULL`, `SET DEFAULT`, `RESTRICT`, `NO ACTION` (upper case).
    pub on_delete: Option<String>,
    pub on_update: Option<String>,
    pub deferrable: Option<Deferrable>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Deferrable {
    InitiallyDeferred,
    InitiallyImmediate,
    NotDeferrable,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub table: String,
    pub unique: bool,
    pub columns: Vec<IndexedColumn>,
    /// Partial index predicate.
    pub where_clause: Option<Expr>,
    /// The CREATE INDEX statement text.
    pub sql: String,
    pub line: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexedColumn {
    /// A plain column name, or None when the key is an expression.
    pub column: Option<String>,
    /// The key expression (for plain columns: the column name as written).
    pub expr: Expr,
    pub collation: Option<String>,
    pub desc: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    pub name: String,
    pub sql: String,
    pub line: Option<usize>,
    /// Result-column names as SQLite reports them (`PRAGMA table_info`);
    /// empty from DDL text or when SQLite cannot prepare the view.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    pub name: String,
    pub table: String,
    pub sql: String,
    pub line: Option<usize>,
}

/// What the data in one column looks like (live files only). All counts are
/// over the rows scanned; `rows` says how many that was.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub rows: u64,
    // storage classes (typeof)
    pub nulls: u64,
    pub integers: u64,
    pub reals: u64,
    pub texts: u64,
    pub blobs: u64,
    /// Text values that are a JSON object or array.
    pub json_docs: u64,
    /// Text values that are any JSON value (scalars included).
    pub json_values: u64,
    /// Text values in canonical 8-4-4-4-12 UUID form (either case).
    pub uuid_texts: u64,
    /// Of those, how many have upper-case hex digits.
    pub uuid_upper: u64,
    /// Blobs of exactly 16 bytes.
    pub blob16: u64,
    /// Blobs whose bytes are valid UTF-8 without a NUL: text stored as a
    /// blob, which the `any-text` converter loads as that text.
    #[serde(default)]
    pub text_blobs: u64,
    /// ISO-8601 text timestamps `YYYY-MM-DD[ T]HH:MM[:SS[.f]]` without a zone.
    pub iso_timestamps: u64,
    /// ISO-8601 text timestamps with a zone (`Z`, `+hh:mm`).
    pub iso_timestamps_tz: u64,
    /// `YYYY-MM-DD` text dates.
    pub iso_dates: u64,
    /// Integers plausible as Unix epoch seconds (1970-01-01 ..= 2100-01-01).
    pub epoch_s: u64,
    /// Integers plausible as epoch milliseconds (same range).
    pub epoch_ms: u64,
    /// Integers plausible as epoch microseconds (same range).
    pub epoch_us: u64,
    /// Reals plausible as Julian day numbers (1970 ..= 2100).
    pub julian: u64,
    /// Integers 0 or 1.
    pub bool_ints: u64,
    /// Texts `true`/`false` (any case), or `t`/`f`.
    pub bool_texts: u64,
    /// Empty strings ''.
    pub empty_texts: u64,
    pub blob_len_min: Option<u64>,
    pub blob_len_max: Option<u64>,
    /// Blobs whose length is a multiple of 4 and whose every 4-byte
    /// little-endian float32 is finite.
    pub f32_blobs: u64,
    /// Max length in characters of text values.
    pub text_len_max: Option<u64>,
    pub int_min: Option<i64>,
    pub int_max: Option<i64>,
    /// Text values containing a NUL byte.
    pub nul_bytes: u64,
    /// Text values that are not valid UTF-8.
    pub invalid_utf8: u64,
    /// Reals that are NaN or ±Infinity.
    pub non_finite: u64,
    /// NUMERIC(p[,s]) columns only: the most digits before the decimal point
    /// of any integer or finite real (reals in their shortest exact decimal).
    #[serde(default)]
    pub num_int_digits_max: Option<u64>,
    /// NUMERIC(p[,s]) columns only: the most digits after the decimal point
    /// of any finite real (0 for integers).
    #[serde(default)]
    pub num_scale_max: Option<u64>,
    /// Texts that parse as an integer / a real number (for untyped columns).
    pub int_texts: u64,
    pub real_texts: u64,
}
