//! The SQLite DDL reader: a whole script through `source::from_ddl`, and the
//! same text as one statement through `source::ddl::parse_statement`.
//!
//! Invariant: neither panics, overflows the stack or runs away on any UTF-8
//! text; every failure is a diagnostic (script) or a `ParseError` (statement)
//! with a 1-based position.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgbridge::source::{self, ddl};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (schema, _diags) = source::from_ddl(text, "fuzz.sql");
    std::hint::black_box(&schema);
    if let Err(e) = ddl::parse_statement(text) {
        assert!(e.line >= 1 && e.column >= 1, "position not 1-based: {e:?}");
    }
});
