//! The application-impact pass: which decisions change what the
//! application's unchanged SQL sends or reads (APP_IMPACT.md).
//!
//! Input: the SQLite schema (declared types, profiles) and the finished
//! `ir::pg` schema. Output: one [`pg::AppImpact`] per such decision, in
//! table and column order. A type is judged by its converter (what the
//! loader turns the SQLite values into), so a user pack's rules are judged
//! the same way as the default pack's; a name by whether PostgreSQL needs
//! it quoted while SQLite took it bare.
use crate::ident;
use crate::ir::pg::{self, Converter, ImpactKind, Sent};
use crate::ir::sqlite::{self, Affinity};

/// Every application-visible decision of `out`.
pub fn app_impact(schema: &sqlite::Schema, out: &pg::Schema) -> Vec<pg::AppImpact> {
    let mut found = Vec::new();
    for t in &out.tables {
        let source = schema.tables.iter().find(|s| s.name == t.source_name);
        if let Some(kind) = name_kind(&t.name, &t.source_name) {
            found.push(name_entry(t, None, kind));
        }
        for c in &t.columns {
            let sc = source.and_then(|s| s.columns.iter().find(|x| x.name == c.source_name));
            if let Some((kind, sends)) = sc.and_then(|sc| type_kind(c, sc)) {
                found.push(pg::AppImpact {
                    table: t.name.clone(),
                    column: Some(c.name.clone()),
                    source_table: t.source_name.clone(),
                    source_column: Some(c.source_name.clone()),
                    sqlite_type: sc.map(|s| s.declared.clone()).unwrap_or_default(),
                    pg_type: c.pg_type.clone(),
                    rule: c
                        .decisions
                        .first()
                        .map(|d| d.rule.clone())
                        .unwrap_or_default(),
                    kind,
                    sends,
                });
            }
            if let Some(kind) = name_kind(&c.name, &c.source_name) {
                found.push(name_entry(t, Some(c), kind));
            }
        }
    }
    found
}

fn name_entry(t: &pg::Table, c: Option<&pg::Column>, kind: ImpactKind) -> pg::AppImpact {
    pg::AppImpact {
        table: t.name.clone(),
        column: c.map(|c| c.name.clone()),
        source_table: t.source_name.clone(),
        source_column: c.map(|c| c.source_name.clone()),
        sqlite_type: String::new(),
        pg_type: String::new(),
        rule: "naming".into(),
        kind,
        sends: Sent::Name,
    }
}

/// A name the application wrote bare in SQLite that PostgreSQL needs quoted.
/// Names SQLite itself needed quoted (spaces, punctuation) stay quoted the
/// same way, so they change nothing.
fn name_kind(pg_name: &str, source_name: &str) -> Option<ImpactKind> {
    let bare_in_sqlite = source_name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && source_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !bare_in_sqlite || ident::quote_ident(pg_name) == pg_name {
        return None;
    }
    if pg_name.bytes().any(|b| b.is_ascii_uppercase()) {
        Some(ImpactKind::MixedCaseName)
    } else if ident::is_keyword_needing_quotes(pg_name)
        && SQLITE_KEYWORDS.binary_search(&pg_name).is_err()
    {
        Some(ImpactKind::ReservedName)
    } else {
        None
    }
}

/// The kind of a column's type decision and what the application binds,
/// or none when PostgreSQL takes the application's values as SQLite did.
fn type_kind(c: &pg::Column, sc: &sqlite::Column) -> Option<(ImpactKind, Sent)> {
    let texts = sc.profile.as_ref().is_some_and(|p| p.texts > 0);
    let non_blobs = sc
        .profile
        .as_ref()
        .is_some_and(|p| p.texts + p.integers + p.reals > 0);
    Some(match c.converter {
        Converter::Boolean if texts => (ImpactKind::Boolean, Sent::Text),
        Converter::Boolean => (ImpactKind::Boolean, Sent::Integer),
        Converter::Json => (ImpactKind::Json, Sent::Text),
        Converter::IsoTimestamp => (ImpactKind::IsoTimestamp, Sent::Text),
        Converter::IsoDate => (ImpactKind::IsoDate, Sent::Text),
        Converter::EpochSeconds | Converter::EpochMillis | Converter::EpochMicros => {
            (ImpactKind::Epoch(c.converter), Sent::Integer)
        }
        Converter::JulianDay => (ImpactKind::Epoch(c.converter), Sent::Real),
        Converter::UuidText => (ImpactKind::Uuid, Sent::Text),
        Converter::UuidBlob => (ImpactKind::Uuid, Sent::Blob),
        Converter::Float32Vector | Converter::Float32Array => (ImpactKind::Vector, Sent::Blob),
        Converter::GeopackageGeometry | Converter::SpatialiteGeometry => {
            (ImpactKind::Geometry(c.converter), Sent::Blob)
        }
        // A catalogued geometry column kept as bytea holds only blobs (its
        // rules require it) whatever its declared type (`POINT` has NUMERIC
        // affinity): the application binds and reads the blob unchanged.
        Converter::Bytes
            if sc.geometry.is_none() && (sc.affinity != Affinity::Blob || non_blobs) =>
        {
            (ImpactKind::BytesFromText, Sent::Text)
        }
        _ if base_type(&c.pg_type) == "citext" => (ImpactKind::Citext, Sent::Text),
        _ => return None,
    })
}

fn base_type(t: &str) -> &str {
    let base = t.split('(').next().unwrap_or(t).trim();
    base.rsplit('.').next().unwrap_or(base)
}

/// SQLite's keywords (sqlite.org/lang_keywords.html), lower case, sorted: a
/// name among them may have been quoted by the application already, so
/// quoting it in PostgreSQL is not claimed as a change.
const SQLITE_KEYWORDS: &[&str] = &[
    "abort",
    "action",
    "add",
    "after",
    "all",
    "alter",
    "always",
    "analyze",
    "and",
    "as",
    "asc",
    "attach",
    "autoincrement",
    "before",
    "begin",
    "between",
    "by",
    "cascade",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "commit",
    "conflict",
    "constraint",
    "create",
    "cross",
    "current",
    "current_date",
    "current_time",
    "current_timestamp",
    "database",
    "default",
    "deferrable",
    "deferred",
    "delete",
    "desc",
    "detach",
    "distinct",
    "do",
    "drop",
    "each",
    "else",
    "end",
    "escape",
    "except",
    "exclude",
    "exclusive",
    "exists",
    "explain",
    "fail",
    "filter",
    "first",
    "following",
    "for",
    "foreign",
    "from",
    "full",
    "generated",
    "glob",
    "group",
    "groups",
    "having",
    "if",
    "ignore",
    "immediate",
    "in",
    "index",
    "indexed",
    "initially",
    "inner",
    "insert",
    "instead",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "key",
    "last",
    "left",
    "like",
    "limit",
    "match",
    "materialized",
    "natural",
    "no",
    "not",
    "nothing",
    "notnull",
    "null",
    "nulls",
    "of",
    "offset",
    "on",
    "or",
    "order",
    "others",
    "outer",
    "over",
    "partition",
    "plan",
    "pragma",
    "preceding",
    "primary",
    "query",
    "raise",
    "range",
    "recursive",
    "references",
    "regexp",
    "reindex",
    "release",
    "rename",
    "replace",
    "restrict",
    "returning",
    "right",
    "rollback",
    "row",
    "rows",
    "savepoint",
    "select",
    "set",
    "table",
    "temp",
    "temporary",
    "then",
    "ties",
    "to",
    "transaction",
    "trigger",
    "unbounded",
    "union",
    "unique",
    "update",
    "using",
    "vacuum",
    "values",
    "view",
    "virtual",
    "when",
    "where",
    "window",
    "with",
    "without",
];
