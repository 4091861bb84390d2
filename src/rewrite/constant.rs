//! A constant DEFAULT is a value, and goes through the value layer like
//! the data: the column's converter, then the binary encoding for its
//! PostgreSQL type (range, precision, length, encoding). A default that
//! would not load as a row value would not apply as a default either —
//! `DEFAULT '0000-01-01T00:00:00Z'` on a timestamptz column, `DEFAULT
//! 123.45` on `numeric(3,1)`, `DEFAULT 'nope'` on a uuid — so the default
//! phase drops it with a warning instead of writing a file PostgreSQL
//! refuses.
//!
//! Reads: the SQLite DEFAULT text (classified by `facts::default_facts`),
//! the column's converter and PostgreSQL type. Writes nothing.
use crate::ir::pg::Converter;
use crate::ir::sqlite::Expr;
use crate::value::{self, wire};
use rusqlite::types::Value;

/// The DEFAULT as the SQLite value it inserts, when it is a constant:
/// integer, real, string, TRUE/FALSE (SQLite's 1/0). `None` for NULL,
/// CURRENT_TIMESTAMP and every other expression.
pub fn constant(d: &Expr) -> Option<Value> {
    let f = super::facts::default_facts(d);
    let v = &f["value"];
    match f["kind"].as_str()? {
        "integer" => v.as_i64().map(Value::Integer),
        "real" => v.as_str()?.parse::<f64>().ok().map(Value::Real),
        "string" => v.as_str().map(|s| Value::Text(s.to_string())),
        "boolean" => v.as_bool().map(|b| Value::Integer(i64::from(b))),
        _ => None,
    }
}

/// Why the constant DEFAULT `d` cannot be a value of the column, if it
/// cannot: the converter's or the encoder's reason.
pub fn refusal(d: &Expr, conv: Converter, pg_type: &str) -> Option<String> {
    let value = constant(d)?;
    let w = wire::Wire::from_sql_type(pg_type);
    value::load(conv, w, (&value).into(), &mut Vec::new())
        .err()
        .map(|e| e.reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(sql: &str, conv: Converter, ty: &str) -> Option<String> {
        refusal(&Expr::new(sql), conv, ty)
    }

    #[test]
    fn defaults_the_data_would_refuse_are_refused() {
        assert!(
            why(
                "'0000-01-01T00:00:00.000Z'",
                Converter::IsoTimestamp,
                "timestamptz"
            )
            .is_some()
        );
        assert!(why("123.45", Converter::Numeric, "numeric(3,1)").is_some());
        assert!(why("'nope'", Converter::UuidText, "uuid").is_some());
        assert!(why("1700000000", Converter::IsoTimestamp, "timestamptz").is_some());
        assert!(why("'{bad'", Converter::Json, "jsonb").is_some());
    }

    #[test]
    fn defaults_that_load_and_expressions_pass() {
        assert_eq!(
            why("'2020-01-01 10:00'", Converter::IsoTimestamp, "timestamptz"),
            None
        );
        assert_eq!(why("(12.5)", Converter::Numeric, "numeric(3,1)"), None);
        assert_eq!(why("0", Converter::Boolean, "boolean"), None);
        assert_eq!(why("TRUE", Converter::Integer, "bigint"), None);
        assert_eq!(
            why("CURRENT_TIMESTAMP", Converter::IsoTimestamp, "timestamptz"),
            None
        );
        assert_eq!(why("NULL", Converter::Integer, "bigint"), None);
        assert_eq!(
            why("lower(hex(randomblob(16)))", Converter::UuidText, "uuid"),
            None
        );
    }
}
