//! The PostgreSQL side: decisions, each with the rule and evidence behind it.
//!
//! Invariants: every column names exactly one [`Converter`]; names here are
//! final PostgreSQL identifiers (after `--naming` and 63-byte shortening),
//! unquoted — quoting is the emitter's job; expressions are PostgreSQL SQL
//! text whose identifiers are already quoted.
use serde::{Deserialize, Serialize};

/// Why something was decided: the rule (or built-in step) and its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Rule id (`json-text`) or a built-in step name.
    pub rule: String,
    /// Evidence in words (`48112/48112 values parse as JSON`).
    pub evidence: String,
    /// An obvious decision (TEXT → text) is not commented in the SQL.
    #[serde(default)]
    pub obvious: bool,
}

/// The closed set of value converters. Each exists in Rust (native loader)
/// and as a SQL expression (02_load.sql); a test holds the two equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Converter {
    /// Integer value as bigint (text that is an integer is accepted).
    Integer,
    /// Number as double precision (IEEE 754 binary64, bit-exact).
    Real,
    /// Number as numeric (exact decimal text).
    Numeric,
    /// Text unchanged.
    Text,
    /// Bytes unchanged (text values as their UTF-8 bytes).
    Bytes,
    /// 0/1 integers, or true/false/t/f text, as boolean.
    Boolean,
    /// JSON text as jsonb.
    Json,
    /// Canonical UUID text as uuid.
    UuidText,
    /// 16-byte blob as uuid.
    UuidBlob,
    /// ISO-8601 text, zone-less read as UTC, as timestamptz.
    IsoTimestamp,
    /// ISO-8601 date text as date.
    IsoDate,
    /// Integer Unix seconds as timestamptz.
    EpochSeconds,
    /// Integer Unix milliseconds as timestamptz.
    EpochMillis,
    /// Integer Unix microseconds as timestamptz.
    EpochMicros,
    /// Julian day number (real) as timestamptz.
    JulianDay,
    /// float32 little-endian blob as pgvector `vector`.
    Float32Vector,
    /// float32 little-endian blob as `real[]`.
    Float32Array,
    /// Any storage class as its SQLite text rendering (for untyped columns).
    AnyText,
    /// GeoPackage binary geometry as PostGIS `geometry` (EWKB).
    GeopackageGeometry,
    /// SpatiaLite geometry blob as PostGIS `geometry` (EWKB).
    SpatialiteGeometry,
}

impl Converter {
    pub const ALL: &'static [Converter] = &[
        Converter::Integer,
        Converter::Real,
        Converter::Numeric,
        Converter::Text,
        Converter::Bytes,
        Converter::Boolean,
        Converter::Json,
        Converter::UuidText,
        Converter::UuidBlob,
        Converter::IsoTimestamp,
        Converter::IsoDate,
        Converter::EpochSeconds,
        Converter::EpochMillis,
        Converter::EpochMicros,
        Converter::JulianDay,
        Converter::Float32Vector,
        Converter::Float32Array,
        Converter::AnyText,
        Converter::GeopackageGeometry,
        Converter::SpatialiteGeometry,
    ];

    /// The kebab-case name rules use.
    pub fn name(self) -> &'static str {
        match self {
            Converter::Integer => "integer",
            Converter::Real => "real",
            Converter::Numeric => "numeric",
            Converter::Text => "text",
            Converter::Bytes => "bytes",
            Converter::Boolean => "boolean",
            Converter::Json => "json",
            Converter::UuidText => "uuid-text",
            Converter::UuidBlob => "uuid-blob",
            Converter::IsoTimestamp => "iso-timestamp",
            Converter::IsoDate => "iso-date",
            Converter::EpochSeconds => "epoch-seconds",
            Converter::EpochMillis => "epoch-millis",
            Converter::EpochMicros => "epoch-micros",
            Converter::JulianDay => "julian-day",
            Converter::Float32Vector => "float32-vector",
            Converter::Float32Array => "float32-array",
            Converter::AnyText => "any-text",
            Converter::GeopackageGeometry => "geopackage-geometry",
            Converter::SpatialiteGeometry => "spatialite-geometry",
        }
    }

    pub fn from_name(name: &str) -> Option<Converter> {
        Converter::ALL.iter().copied().find(|c| c.name() == name)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Schema {
    /// `CREATE EXTENSION IF NOT EXISTS` list, sorted.
    pub extensions: Vec<String>,
    /// Target schema (namespace) to create and use, if any.
    pub namespace: Option<String>,
    pub tables: Vec<Table>,
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
    pub sequence_resets: Vec<SequenceReset>,
    /// Translated views, in dependency order (a view after those it reads).
    #[serde(default)]
    pub views: Vec<View>,
    /// Translated triggers, each a PL/pgSQL function and a trigger, in
    /// SQLite's order.
    #[serde(default)]
    pub triggers: Vec<Trigger>,
    /// Objects not translated (views, triggers, virtual tables, untranslatable
    /// expressions): kept as the original SQL in a comment of 03.
    pub kept_as_comment: Vec<Commented>,
    /// SQLite objects deliberately not migrated (internal tables), with why.
    pub skipped: Vec<Skipped>,
    /// Decisions that change what the application sends or reads
    /// (APP_IMPACT.md), in table and column order.
    #[serde(default)]
    pub app_impact: Vec<AppImpact>,
    /// Text search configurations the full-text pass creates (before the
    /// tables whose generated columns name them), sorted by name.
    #[serde(default)]
    pub text_search_configs: Vec<TextSearchConfig>,
    /// The translated FTS tables, as the application queries them
    /// (APP_IMPACT.md), in schema order.
    #[serde(default)]
    pub full_text: Vec<FullText>,
}

/// `CREATE TEXT SEARCH CONFIGURATION name (COPY = pg_catalog.copy)`, then
/// each mapping: `ALTER MAPPING FOR tokens WITH dictionaries`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextSearchConfig {
    pub name: String,
    /// The built-in configuration copied (`simple`, `english`).
    pub copy: String,
    pub mappings: Vec<TextSearchMapping>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextSearchMapping {
    /// Parser token types (`word`, `hword`, …).
    pub tokens: Vec<String>,
    /// Dictionaries, in the order a token goes through them.
    pub dictionaries: Vec<String>,
}

/// One FTS table translated to a generated `tsvector` column: what the
/// application's queries name in SQLite and in PostgreSQL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FullText {
    /// The SQLite FTS table and its module (`fts3`, `fts4`, `fts5`).
    pub source: String,
    pub module: String,
    /// External content: the SQLite content table and its `content_rowid`.
    pub content: Option<(String, String)>,
    /// The PostgreSQL table holding the vector, its key (the FTS rowid)
    /// and the generated `tsvector` column.
    pub table: String,
    pub key: String,
    pub column: String,
    /// The text search configuration, as a `regconfig` name.
    pub config: String,
    /// SQLite's tokenizer stems (porter) and folds diacritics; PostgreSQL's
    /// configuration folds them too (unaccent).
    pub stemmed: bool,
    pub diacritics_folded: bool,
    pub unaccent: bool,
    /// The indexed columns, in order.
    pub columns: Vec<FullTextColumn>,
}

/// One indexed column of an FTS table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FullTextColumn {
    /// Its SQLite name and its position among the FTS table's declared
    /// columns (auxiliary functions number columns so).
    pub source: String,
    pub position: usize,
    /// The column as text in PostgreSQL (`"c"`, or `"c"::text`).
    pub text: String,
    /// Its own `tsvector`, as the generated column computes it.
    pub vector: String,
}

/// One decision the application's SQL can notice: a type that refuses the
/// parameters SQLite took, or a name that must now be quoted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppImpact {
    /// PostgreSQL table name.
    pub table: String,
    /// PostgreSQL column name; none when the entry is about the table's name.
    pub column: Option<String>,
    pub source_table: String,
    pub source_column: Option<String>,
    /// The SQLite declared type as written (empty for an untyped column or a
    /// table-name entry).
    pub sqlite_type: String,
    /// The PostgreSQL type chosen (empty for a table-name entry).
    pub pg_type: String,
    /// The rule (or built-in step) behind the decision.
    pub rule: String,
    pub kind: ImpactKind,
    /// What the application binds for this column in SQLite.
    pub sends: Sent,
}

/// The classes of application-visible decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImpactKind {
    /// 0/1 integers or true/false text as boolean.
    Boolean,
    /// JSON text as jsonb.
    Json,
    /// ISO text as timestamptz.
    IsoTimestamp,
    /// ISO text as date.
    IsoDate,
    /// Epoch integers (or Julian-day reals) as timestamptz; the converter says which.
    Epoch(Converter),
    /// UUID text or 16-byte blobs as uuid.
    Uuid,
    /// float32 blobs as pgvector `vector` or `real[]`.
    Vector,
    /// Text (with NUL bytes, invalid UTF-8, or mixed with blobs) as bytea.
    BytesFromText,
    /// GeoPackage or SpatiaLite blobs as PostGIS `geometry`; the converter
    /// says which.
    Geometry(Converter),
    /// NOCASE text as citext: same parameters, same case-insensitive `=`.
    Citext,
    /// A name with upper-case letters, kept by quoting it.
    MixedCaseName,
    /// A name PostgreSQL reserves, kept by quoting it.
    ReservedName,
}

/// The SQLite storage class an application binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sent {
    Integer,
    Real,
    Text,
    Blob,
    /// A name, not a value.
    Name,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    /// The SQLite table name.
    pub source_name: String,
    pub columns: Vec<Column>,
    pub primary_key: Option<Key>,
    pub uniques: Vec<Key>,
    pub checks: Vec<CheckConstraint>,
    pub decisions: Vec<Decision>,
    /// Row count from the source profile, when known.
    pub rows: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub source_name: String,
    /// The PostgreSQL type as SQL (`bigint`, `numeric(10,2)`, `vector(384)`).
    pub pg_type: String,
    pub converter: Converter,
    pub not_null: bool,
    /// Default expression as PostgreSQL SQL.
    pub default: Option<String>,
    /// `GENERATED BY DEFAULT AS IDENTITY`.
    pub identity: bool,
    /// The identity sequence's name, when PostgreSQL's own choice
    /// (`<table>_<column>_seq`) is taken by another relation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
    /// `GENERATED ALWAYS AS (expr) STORED` expression.
    pub generated: Option<String>,
    /// The column's collation, if one is kept (`C`, or none).
    pub collation: Option<String>,
    /// Decisions that shaped the column: type, default, collation, ...
    pub decisions: Vec<Decision>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Key {
    pub name: Option<String>,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckConstraint {
    pub name: Option<String>,
    pub expr: String,
    /// The SQLite original, for the review comment.
    pub source_sql: String,
    /// The translator's notes on inexact but deliberate mappings.
    #[serde(default)]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub table: String,
    pub unique: bool,
    /// `btree`, `gin`, ...
    pub using: String,
    /// Each key element as SQL, quoted, with opclass/COLLATE/DESC.
    pub elements: Vec<String>,
    pub where_clause: Option<String>,
    pub decisions: Vec<Decision>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForeignKey {
    pub name: String,
    pub table: String,
    pub columns: Vec<String>,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    pub on_delete: Option<String>,
    pub on_update: Option<String>,
    /// `DEFERRABLE INITIALLY DEFERRED` etc., as SQL.
    pub deferrable: Option<String>,
    /// Add NOT VALID then VALIDATE (false: leave NOT VALID, with a warning).
    pub validate: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SequenceReset {
    pub table: String,
    pub column: String,
    /// `sqlite_sequence`'s value, when higher values may have been used.
    pub floor: Option<i64>,
}

/// A SQLite view translated to PostgreSQL.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct View {
    pub name: String,
    /// The SQLite view name.
    pub source_name: String,
    /// The PostgreSQL query (no `CREATE VIEW`); names already quoted.
    pub sql: String,
    /// Result columns, named as SQLite names them.
    pub columns: Vec<String>,
    /// PostgreSQL names of the tables and views it reads, sorted.
    pub depends_on: Vec<String>,
    /// The translator's notes on inexact but deliberate mappings.
    pub notes: Vec<String>,
    /// The SQLite original, for the review comment.
    pub source_sql: String,
    /// The declared application functions it calls, each with its
    /// declaration (for a comment).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub app_functions: Vec<String>,
    /// When it calls declared application functions: a SELECT SQLite can
    /// run for its rows, the functions expanded (verify's SQLite side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sqlite_query: Option<String>,
}

/// A SQLite trigger translated to a PL/pgSQL function and a trigger.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trigger {
    /// The PostgreSQL trigger name.
    pub name: String,
    /// The SQLite trigger name.
    pub source_name: String,
    /// The trigger function's name.
    pub function: String,
    /// The table or view it is on (PostgreSQL name).
    pub table: String,
    /// `BEFORE`, `AFTER` or `INSTEAD OF`.
    pub timing: String,
    /// `INSERT`, `UPDATE` or `DELETE`.
    pub event: String,
    /// `UPDATE OF` columns (PostgreSQL names).
    pub update_of: Vec<String>,
    /// The function body (PL/pgSQL, without the dollar quotes); names
    /// and literals already quoted.
    pub body: String,
    /// The translator's notes on inexact but deliberate mappings.
    pub notes: Vec<String>,
    /// The SQLite original, for the review comment.
    pub source_sql: String,
    /// The declared application functions it calls, each with its
    /// declaration (for a comment).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub app_functions: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Commented {
    /// `view`, `trigger`, `virtual table`, `check`, `index`, ...
    pub kind: String,
    pub name: String,
    /// The diagnostic code that explains it.
    pub code: String,
    pub reason: String,
    pub sql: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Skipped {
    pub kind: String,
    pub name: String,
    pub reason: String,
}
