//! The SQLite → PostgreSQL expression translator: `translate_expr`,
//! `translate_default`, `translate_predicate` and `translate_index_key`, each
//! with a default `ExprContext` and with one that knows a few columns, a
//! target type and pgcrypto.
//!
//! Invariant: no panic on any UTF-8 text; what cannot be translated is an
//! `Err(Untranslatable)`.
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pgbridge::translate::{
    ColumnInfo, ExprContext, translate_default, translate_expr, translate_index_key,
    translate_predicate,
};

fn contexts() -> &'static [ExprContext] {
    static CTX: OnceLock<Vec<ExprContext>> = OnceLock::new();
    CTX.get_or_init(|| {
        let col = |pg_name: &str, pg_type: &str| ColumnInfo {
            pg_name: pg_name.to_string(),
            pg_type: pg_type.to_string(),
            sqlite_class: match pg_type {
                "bigint" | "integer" | "boolean" => Some("integer"),
                "text" | "jsonb" | "timestamptz" => Some("text"),
                "bytea" => Some("blob"),
                _ => None,
            },
        };
        let mut columns = BTreeMap::new();
        columns.insert("id".to_string(), col("id", "bigint"));
        columns.insert("flags".to_string(), col("flags", "integer"));
        columns.insert("active".to_string(), col("active", "boolean"));
        columns.insert("created".to_string(), col("created", "timestamptz"));
        columns.insert("name".to_string(), col("Name", "text"));
        columns.insert("data".to_string(), col("data", "jsonb"));
        columns.insert("blob".to_string(), col("blob", "bytea"));
        vec![
            ExprContext::default(),
            ExprContext {
                columns,
                target_type: Some("timestamptz".to_string()),
                pgcrypto: true,
            },
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for ctx in contexts() {
        let _ = std::hint::black_box(translate_expr(text, ctx));
        let _ = std::hint::black_box(translate_default(text, ctx));
        let _ = std::hint::black_box(translate_predicate(text, ctx));
        let _ = std::hint::black_box(translate_index_key(text, ctx));
    }
});
