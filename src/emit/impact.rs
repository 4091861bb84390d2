//! APP_IMPACT.md: the review file of decisions that change what the
//! application sends or reads, each with a write and a read as the
//! application wrote them for SQLite, what PostgreSQL does with them, and
//! the statement that works there.
//!
//! Input: `ir::pg::Schema::app_impact` (and `full_text`, whose entries
//! [`super::fts_impact`] builds). Output: the rendered Markdown
//! (templates/APP_IMPACT.md.j2, in [`super::markdown::environment`]).
//! Deterministic: entries in schema order, no clocks, no paths.
use crate::ident;
use crate::ir::pg::{self, Converter, ImpactKind, Sent};
use serde::Serialize;

pub const FILE: &str = "APP_IMPACT.md";

/// One entry as the template shows it. SQL fields go through the `code`
/// filter; every other field is escaped as Markdown text.
#[derive(Serialize)]
struct Entry {
    /// `table.column` (or `table`), source names.
    name: String,
    sqlite_type: String,
    pg_type: String,
    rule: String,
    /// `fails` or `works`, for the write and the read.
    write: &'static str,
    read: &'static str,
    /// The application's statements, as written for SQLite.
    write_sqlite: String,
    read_sqlite: String,
    /// What the application binds, and what SQLite returns.
    binds: String,
    sqlite_returns: &'static str,
    /// What PostgreSQL does with them.
    pg_write: String,
    pg_returns: String,
    /// Statements that work on PostgreSQL (empty: none in SQL).
    write_pg: String,
    read_pg: String,
    /// Which option keeps the SQLite behaviour, if any.
    remedy: &'static str,
}

#[derive(Serialize)]
struct Context<'a> {
    origin: &'a str,
    version: &'a str,
    target_version: u32,
    entries: Vec<Entry>,
    /// One entry per translated FTS table ([`super::fts_impact`]).
    full_text: Vec<super::fts_impact::FullTextEntry>,
}

/// Render APP_IMPACT.md.
pub fn render(
    env: &minijinja::Environment,
    schema: &pg::Schema,
    origin: &str,
    target_version: u32,
    template: &str,
) -> Result<String, minijinja::Error> {
    let ctx = Context {
        origin,
        version: env!("CARGO_PKG_VERSION"),
        target_version,
        entries: schema.app_impact.iter().map(entry).collect(),
        full_text: schema
            .full_text
            .iter()
            .map(super::fts_impact::entry)
            .collect(),
    };
    env.render_str(
        template,
        minijinja::Value::from(minijinja::value::Serde(&ctx)),
    )
}

/// A name as the application wrote it for SQLite: bare when SQLite takes
/// it bare, else in double quotes.
pub(crate) fn sqlite_name(name: &str) -> String {
    let bare = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if bare {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// What one kind of decision does to a write and a read. `{c}` is the
/// PostgreSQL column, `{p}` the parameter.
struct Change {
    binds: &'static str,
    sqlite_returns: &'static str,
    pg_write: &'static str,
    pg_returns: &'static str,
    write_value: &'static str,
    read_expr: &'static str,
    remedy: &'static str,
}

const COMPAT: &str = "compile with --rules compat, which keeps the SQLite type";

fn change(i: &pg::AppImpact) -> Change {
    let c = |binds, sqlite_returns, pg_write, pg_returns, write_value, read_expr, remedy| Change {
        binds,
        sqlite_returns,
        pg_write,
        pg_returns,
        write_value,
        read_expr,
        remedy,
    };
    let vector = i.pg_type.starts_with("vector");
    match (i.kind, i.sends) {
        (ImpactKind::Boolean, Sent::Text) => c(
            "'true' (text)",
            "'true' (text)",
            "boolean takes no text parameter",
            "true (a boolean)",
            "$1::boolean",
            "{c}::text",
            COMPAT,
        ),
        (ImpactKind::Boolean, _) => c(
            "1 (an integer)",
            "1 (an integer)",
            "boolean takes no integer parameter",
            "true (a boolean)",
            "$1::integer::boolean",
            "{c}::integer",
            COMPAT,
        ),
        (ImpactKind::Json, _) => c(
            "'{\"b\":1,\"a\":2}' (text)",
            "the text as written",
            "jsonb takes no text parameter",
            "jsonb, rewritten: {\"a\": 2, \"b\": 1} (spacing, key order, duplicate keys normalised)",
            "$1::jsonb",
            "{c}::text",
            COMPAT,
        ),
        (ImpactKind::IsoTimestamp, _) => c(
            "'2024-01-02 03:04:05' (text)",
            "the text as written",
            "timestamptz takes no text parameter",
            "timestamptz, shown in the session time zone (2024-01-02 03:04:05+00)",
            "$1::timestamp AT TIME ZONE 'UTC'",
            "to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')",
            COMPAT,
        ),
        (ImpactKind::IsoDate, _) => c(
            "'2024-01-02' (text)",
            "the text as written",
            "date takes no text parameter",
            "date",
            "$1::date",
            "{c}::text",
            COMPAT,
        ),
        (ImpactKind::Epoch(Converter::EpochMillis), _) => c(
            "1700000000000 (an integer)",
            "1700000000000 (an integer)",
            "timestamptz takes no integer parameter",
            "timestamptz (2023-11-14 22:13:20+00)",
            "to_timestamp($1 / 1000.0)",
            "(extract(epoch FROM {c}) * 1000)::bigint",
            COMPAT,
        ),
        (ImpactKind::Epoch(Converter::EpochMicros), _) => c(
            "1700000000000000 (an integer)",
            "1700000000000000 (an integer)",
            "timestamptz takes no integer parameter",
            "timestamptz (2023-11-14 22:13:20+00)",
            "to_timestamp($1 / 1000000.0)",
            "(extract(epoch FROM {c}) * 1000000)::bigint",
            COMPAT,
        ),
        (ImpactKind::Epoch(Converter::JulianDay), _) => c(
            "2460000.5 (a real)",
            "2460000.5 (a real)",
            "timestamptz takes no real parameter",
            "timestamptz (2023-02-24 00:00:00+00)",
            "to_timestamp(($1 - 2440587.5) * 86400)",
            "extract(epoch FROM {c}) / 86400 + 2440587.5",
            COMPAT,
        ),
        (ImpactKind::Epoch(_), _) => c(
            "1700000000 (an integer)",
            "1700000000 (an integer)",
            "timestamptz takes no integer parameter",
            "timestamptz (2023-11-14 22:13:20+00)",
            "to_timestamp($1)",
            "extract(epoch FROM {c})::bigint",
            COMPAT,
        ),
        (ImpactKind::Uuid, Sent::Blob) => c(
            "16 bytes (a blob)",
            "16 bytes (a blob)",
            "uuid takes no bytea parameter",
            "uuid (6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5)",
            "encode($1, 'hex')::uuid",
            "decode(replace({c}::text, '-', ''), 'hex')",
            COMPAT,
        ),
        (ImpactKind::Uuid, _) => c(
            "'6F1C2D3E-4A5B-4C6D-8E7F-90A1B2C3D4E5' (text)",
            "the text as written",
            "uuid takes no text parameter",
            "uuid, in lower case",
            "$1::uuid",
            "{c}::text",
            COMPAT,
        ),
        (ImpactKind::Vector, _) if vector => c(
            "float32 bytes (a blob)",
            "the bytes",
            "vector takes no bytea parameter",
            "vector ([1,2,3])",
            "$1::vector",
            "",
            COMPAT,
        ),
        (ImpactKind::Vector, _) => c(
            "float32 bytes (a blob)",
            "the bytes",
            "real[] takes no bytea parameter",
            "real[] ({1,2,3})",
            "$1::real[]",
            "",
            COMPAT,
        ),
        (ImpactKind::Geometry(conv), _) => c(
            if conv == Converter::SpatialiteGeometry {
                "SpatiaLite's geometry blob (a blob)"
            } else {
                "the GeoPackage geometry blob (a blob)"
            },
            "the blob as stored",
            "geometry takes no bytea parameter (the application must send WKB or EWKB)",
            "PostGIS geometry (hex EWKB text, 0101000020E6100000…), not the package's blob",
            "ST_GeomFromWKB($1, {srid})",
            "ST_AsBinary({c})",
            "compile with --rules compat, which keeps the blobs exactly as bytea",
        ),
        (ImpactKind::BytesFromText, _) => c(
            "'text' (text)",
            "the text",
            "bytea takes no text parameter",
            "bytea (\\x74657874)",
            "convert_to($1, 'UTF8')",
            "convert_from({c}, 'UTF8')",
            "none: PostgreSQL text holds no NUL byte or invalid UTF-8, so the compat pack keeps bytea too",
        ),
        (ImpactKind::Citext, _) => c(
            "'ALICE' (text)",
            "the rows whose value equals 'ALICE' ignoring case",
            "works: citext takes text",
            "the same rows: citext compares ignoring case (a parameter cast to text, $1::text, compares case-sensitively)",
            "",
            "",
            "none needed: the compat pack keeps citext",
        ),
        (ImpactKind::MixedCaseName, _) => c(
            "",
            "",
            "fails: PostgreSQL folds a bare name to lower case, and this name keeps upper-case letters",
            "",
            "",
            "",
            "compile with --naming lower, or quote the name exactly in the application's SQL",
        ),
        (ImpactKind::ReservedName, _) => c(
            "",
            "",
            "fails: the name is a reserved word in PostgreSQL",
            "",
            "",
            "",
            "quote the name in the application's SQL",
        ),
    }
}

/// The SRID a `geometry(Type,SRID)` type names; 0 (PostGIS's unknown SRID)
/// for plain `geometry`.
fn srid(pg_type: &str) -> &str {
    pg_type
        .strip_suffix(')')
        .and_then(|t| t.rsplit_once(','))
        .map_or("0", |(_, s)| s.trim())
}

fn entry(i: &pg::AppImpact) -> Entry {
    let ch = change(i);
    let (t, pt) = (sqlite_name(&i.source_table), ident::quote_ident(&i.table));
    let name = match &i.source_column {
        Some(c) => format!("{}.{}", i.source_table, c),
        None => i.source_table.clone(),
    };
    let works = i.kind == ImpactKind::Citext;
    let verdict = if works { "works" } else { "fails" };
    let (write_sqlite, read_sqlite, write_pg, read_pg) = match (&i.source_column, &i.column) {
        (Some(sc), Some(pc)) => {
            let (c, pcq) = (sqlite_name(sc), ident::quote_ident(pc));
            let read_where = if works {
                format!(" WHERE {c} = $1")
            } else {
                String::new()
            };
            let pg_read_where = if works {
                format!(" WHERE {pcq} = $1")
            } else {
                String::new()
            };
            let value = if ch.write_value.is_empty() {
                "$1".to_string()
            } else {
                ch.write_value.replace("{srid}", srid(&i.pg_type))
            };
            let read_expr = if ch.read_expr.is_empty() {
                pcq.clone()
            } else {
                ch.read_expr.replace("{c}", &pcq)
            };
            (
                format!("INSERT INTO {t} ({c}) VALUES ($1)"),
                format!("SELECT {c} FROM {t}{read_where}"),
                format!("INSERT INTO {pt} ({pcq}) VALUES ({value})"),
                if ch.read_expr.is_empty() && i.sends != Sent::Name && !works {
                    String::new()
                } else {
                    format!("SELECT {read_expr} FROM {pt}{pg_read_where}")
                },
            )
        }
        _ => (
            format!("INSERT INTO {t} DEFAULT VALUES"),
            format!("SELECT count(*) FROM {t}"),
            format!("INSERT INTO {pt} DEFAULT VALUES"),
            format!("SELECT count(*) FROM {pt}"),
        ),
    };
    Entry {
        name,
        sqlite_type: i.sqlite_type.clone(),
        pg_type: i.pg_type.clone(),
        rule: i.rule.clone(),
        write: verdict,
        read: verdict,
        write_sqlite,
        read_sqlite,
        binds: ch.binds.to_string(),
        sqlite_returns: ch.sqlite_returns,
        pg_write: ch.pg_write.to_string(),
        pg_returns: ch.pg_returns.to_string(),
        write_pg,
        read_pg,
        remedy: ch.remedy,
    }
}
