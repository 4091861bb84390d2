//! The rule `when:` language: `rewrite::predicate::Predicate::parse`, and for
//! every predicate that parses, `paths`, `eval` and `eval_value` against an
//! empty facts document, the fact skeleton, and the facts the rewrite stage
//! builds for the columns of a small table.
//!
//! Invariants (module docs of src/rewrite/predicate.rs): parsing never
//! panics and every syntax error has a 1-based line and column; evaluation
//! never panics and reports type errors as `Err`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pgbridge::ir::sqlite::Profile;
use pgbridge::rewrite::predicate::Predicate;
use pgbridge::rewrite::{Target, facts};
use serde_json::{Value, json};

/// Facts documents: none at all, the skeleton rule paths are validated
/// against, and the real facts of each column of a small table (with a
/// profile, so counts are non-zero and `int_min`/`int_max` are extreme).
fn facts() -> &'static [Value] {
    static FACTS: OnceLock<Vec<Value>> = OnceLock::new();
    FACTS.get_or_init(|| {
        let (schema, _) = pgbridge::source::from_ddl(
            "CREATE TABLE \"Order Details\" (\n\
               OrderID INTEGER PRIMARY KEY AUTOINCREMENT,\n\
               flag BOOLEAN NOT NULL DEFAULT 0 CHECK (flag IN (0, 1)),\n\
               created DATETIME DEFAULT CURRENT_TIMESTAMP,\n\
               name VARCHAR(80) COLLATE NOCASE REFERENCES other(name)\n\
             );",
            "facts.sql",
        );
        let target = facts::target_facts(&Target::new(18, &["citext".into(), "pgcrypto".into()]));
        let profile = Profile {
            rows: 12,
            nulls: 1,
            integers: 11,
            bool_ints: 11,
            int_min: Some(i64::MIN),
            int_max: Some(i64::MAX),
            ..Profile::default()
        };
        let mut out = vec![json!({}), facts::skeleton()];
        let t = &schema.tables[0];
        for c in &t.columns {
            let mut doc = json!({
                "table": facts::table_facts(t),
                "column": facts::column_facts(&schema, t, c),
                "profile": facts::profile_facts(Some(&profile)),
                "target": target.clone(),
                "pg": {"type": "timestamptz", "converter": "iso_text", "identity": false},
            });
            if let Some(d) = &c.default {
                doc["default"] = facts::default_facts(d);
            }
            out.push(doc);
        }
        out
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Predicate::parse(text) {
        Ok(p) => {
            std::hint::black_box(p.paths());
            for f in facts() {
                let _ = std::hint::black_box(p.eval(f));
                let _ = std::hint::black_box(p.eval_value(f));
            }
        }
        Err(e) => {
            assert!(e.line >= 1 && e.column >= 1, "position not 1-based: {e:?}");
        }
    }
});
