//! The per-table context of `02_load.sql`: the SQLite SELECT that tags every
//! value with its storage class, and the PostgreSQL expression that converts
//! each staged value with the SQL twin of its converter.
//!
//! **Input**: an `ir::pg::Table` (converters, source names, target types).
//! **Output**: a [`LoadTable`] per table, rendered by the template.
//!
//! The staging format (see `docs/converters.md`): one CSV text field per
//! source column, NULL as an empty unquoted field, every other value a
//! one-letter storage-class tag then its payload:
//!
//! | tag | SQLite value | payload |
//! |---|---|---|
//! | `i` | integer | its decimal text |
//! | `r` | real | `quote(v)`: exact round-trip decimal (`Inf`/`-Inf`); `-0` for negative zero |
//! | `t` | text without NUL | the text |
//! | `z` | text holding a NUL byte | hex of its bytes |
//! | `u` | text holding a line break followed by `\.` | hex of its bytes |
//! | `x` | blob (and any text of a `bytes` column) | hex of its bytes |
//!
//! `u` exists for psql: up to version 15 its `\copy … FROM` ends the data at
//! any line that is exactly `\.`, even inside a quoted CSV field, so such
//! text never travels as itself.
//!
//! Invariants: the SELECT reaches sqlite3 through an environment variable
//! (`\setenv`), so it is quoted for SQLite and for a psql single-quoted
//! argument only — never for a shell; the target expression relies only on
//! assignment casts PostgreSQL makes without rounding, and checks the ones
//! that would round or truncate (`numeric(p,s)`, `varchar(n)`).
use crate::ident::quote_ident;
use crate::ir::pg::{self, Converter};
use crate::value::wire::Wire;
use serde::Serialize;

/// One table of `02_load.sql`.
#[derive(Debug, Clone, Serialize)]
pub struct LoadTable {
    /// The SQLite table name (for comments).
    pub source: String,
    /// The target table, quoted and schema-qualified when a namespace is set.
    pub target: String,
    /// Quoted target columns, comma-separated.
    pub columns: String,
    /// `c1 text, c2 text, ...` for the staging table.
    pub stage_columns: String,
    /// The tagged SQLite SELECT as a psql single-quoted argument.
    pub query: String,
    /// One conversion expression per column, over `c1`, `c2`, ...
    pub exprs: Vec<String>,
    /// `target column: converter` lines, for the comment.
    pub notes: Vec<String>,
}

/// SQLite identifier, always double-quoted.
fn sqlite_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A psql backslash-command argument in single quotes: `\` and `'` are
/// escaped, and so are line breaks (a raw one would end the command) and
/// every other [`crate::ident::is_unsafe_char`], as `\xHH` per UTF-8 byte.
pub fn psql_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if crate::ident::is_unsafe_char(c) => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\x{b:02X}"));
                }
            }
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The tagged SQLite expression for one column (see the module doc).
fn tagged(col: &str, conv: Converter) -> String {
    let c = sqlite_ident(col);
    // quote() drops the sign of -0.0; atan2 (a default math function of
    // the shell since 3.35) still sees it.
    let real = format!(
        "CASE WHEN {c} COLLATE BINARY = 0 AND atan2({c}, -1.0) < 0 THEN 'r-0' ELSE 'r'||quote({c}) END"
    );
    if conv == Converter::Bytes {
        return format!(
            "CASE typeof({c}) WHEN 'integer' THEN 'i'||{c} WHEN 'real' THEN {real} \
             WHEN 'null' THEN NULL ELSE 'x'||hex({c}) END"
        );
    }
    format!(
        "CASE typeof({c}) WHEN 'integer' THEN 'i'||{c} WHEN 'real' THEN {real} \
         WHEN 'text' THEN CASE WHEN instr(CAST({c} AS BLOB), x'00') > 0 THEN 'z'||hex({c}) \
         WHEN instr({c}, char(10)||'\\.') > 0 THEN 'u'||hex({c}) \
         ELSE 't'||{c} END WHEN 'blob' THEN 'x'||hex({c}) END"
    )
}

/// The twin function of a converter.
pub fn twin(conv: Converter) -> String {
    format!("pg_temp.pgb_{}", conv.name().replace('-', "_"))
}

/// The expression that writes staged column `s` into a column of `pg_type`.
fn target_expr(s: &str, conv: Converter, pg_type: &str) -> String {
    use Converter as C;
    let f = twin(conv);
    let wire = Wire::from_sql_type(pg_type);
    let base = format!("{f}({s})");
    let fit = |x: String| match wire {
        Some(Wire::Numeric {
            precision: Some(_),
            scale,
        }) => format!("pg_temp.pgb_fit({x}, {scale})"),
        _ => x,
    };
    match (wire, conv) {
        (Some(Wire::Numeric { .. }), C::Numeric) => fit(format!("{base}::numeric")),
        // float8 → numeric keeps only 15 digits; its text is exact.
        (Some(Wire::Numeric { .. }), C::Real) => fit(format!("{base}::text::numeric")),
        (Some(Wire::Numeric { .. }), _) => fit(format!("{base}::numeric")),
        (Some(Wire::Float4), C::Integer) => format!("{base}::real"),
        (Some(Wire::Geometry(_)), _) => format!("{base}::geometry"),
        (Some(Wire::Jsonb), C::Json) => format!("{base}::jsonb"),
        (Some(Wire::Json), C::Json) => format!("{base}::json"),
        (Some(Wire::Text { max_chars }), _) => {
            let text = match conv {
                C::Json => format!("pg_temp.pgb_json_valid({base})"),
                C::Text | C::AnyText | C::Numeric => base,
                _ => format!("{base}::text"),
            };
            match max_chars {
                Some(n) => format!("pg_temp.pgb_len({text}, {n})"),
                None => text,
            }
        }
        _ => base,
    }
}

/// The load context of one table; `None` when it has no column to load.
pub fn load_table(t: &pg::Table, namespace: Option<&str>) -> Option<LoadTable> {
    let cols: Vec<&pg::Column> = t.columns.iter().filter(|c| c.generated.is_none()).collect();
    if cols.is_empty() {
        return None;
    }
    let select = format!(
        "SELECT {} FROM {}",
        cols.iter()
            .map(|c| tagged(&c.source_name, c.converter))
            .collect::<Vec<_>>()
            .join(", "),
        sqlite_ident(&t.source_name)
    );
    let target = match namespace {
        Some(ns) => format!("{}.{}", quote_ident(ns), quote_ident(&t.name)),
        None => quote_ident(&t.name),
    };
    Some(LoadTable {
        source: t.source_name.clone(),
        target,
        columns: cols
            .iter()
            .map(|c| quote_ident(&c.name))
            .collect::<Vec<_>>()
            .join(", "),
        stage_columns: (1..=cols.len())
            .map(|i| format!("c{i} text"))
            .collect::<Vec<_>>()
            .join(", "),
        query: psql_quote(&select),
        exprs: cols
            .iter()
            .enumerate()
            .map(|(i, c)| target_expr(&format!("c{}", i + 1), c.converter, &c.pg_type))
            .collect(),
        notes: cols
            .iter()
            .map(|c| format!("{} {}: {}", c.name, c.pg_type, c.converter.name()))
            .collect(),
    })
}

/// The load context of every table of the schema.
pub fn load_tables(schema: &pg::Schema) -> Vec<LoadTable> {
    schema
        .tables
        .iter()
        .filter_map(|t| load_table(t, schema.namespace.as_deref()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psql_quote_escapes_backslashes_quotes_and_line_breaks() {
        assert_eq!(psql_quote("a'b\\c\nd"), "'a\\'b\\\\c\\nd'");
    }

    #[test]
    fn numeric_targets_with_a_scale_are_checked_for_rounding() {
        assert_eq!(
            target_expr("c1", Converter::Real, "numeric(10,2)"),
            "pg_temp.pgb_fit(pg_temp.pgb_real(c1)::text::numeric, 2)"
        );
        assert_eq!(
            target_expr("c1", Converter::Text, "varchar(20)"),
            "pg_temp.pgb_len(pg_temp.pgb_text(c1), 20)"
        );
        assert_eq!(
            target_expr("c1", Converter::UuidText, "uuid"),
            "pg_temp.pgb_uuid_text(c1)"
        );
    }
}
