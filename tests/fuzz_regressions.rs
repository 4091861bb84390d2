//! Inputs the fuzz targets of bench/fuzz found (docs/fuzzing.md), each
//! minimised and called through the same library function the target calls.
//! Every call must return — no panic, and within a few seconds — with the
//! result noted on each test.
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use pgbridge::rewrite::predicate::Predicate;
use pgbridge::source::{self, ddl};
use pgbridge::{CompileOptions, RewriteOptions, RulePack, compile_schema, rewrite};

/// Run `f` on its own thread and return its result; fail the test if it
/// panics or has not returned after `secs` seconds (the thread is left
/// behind and ends with the test process).
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(v) => v,
        Err(RecvTimeoutError::Timeout) => panic!("did not return within {secs} s"),
        Err(RecvTimeoutError::Disconnected) => panic!("panicked (message above)"),
    }
}

/// Found by `ddl_reader` (a timeout). The pest rule `expr_piece` in
/// grammar/sqlite_ddl.pest tries `"(" ~ expr ~ ")"` and, when no `)` closes
/// it, takes the `(` again as a plain character through `!")" ~ ANY`; each
/// unclosed `(` doubles the work (18 of them: about 3 s, 30: hours). Reached
/// through `source::ddl::parse_statement`, and so `source::from_ddl`, from
/// CHECK, DEFAULT, index key (`index_piece`) and virtual-table arguments.
/// Such a statement is invalid: `parse_statement` returns `Err`, and
/// `from_ddl` returns (with a diagnostic), both quickly.
#[test]
fn ddl_unclosed_parens_do_not_backtrack_exponentially() {
    let parens = "(".repeat(30);
    for shape in [
        "CREATE TABLE t (a CHECK (",
        "CREATE TABLE t (a DEFAULT (",
        "CREATE TABLE t (a, CHECK (",
        "CREATE INDEX i ON t (",
        "CREATE VIRTUAL TABLE v USING fts5(",
    ] {
        let sql = format!("{shape}{parens}");
        let s = sql.clone();
        let r = within(5, move || ddl::parse_statement(&s));
        assert!(r.is_err(), "{sql:?} parsed: {r:?}");
        let s = sql.clone();
        within(5, move || source::from_ddl(&s, "fuzz.sql"));
    }
}

/// Found by `compile_sql` (a panic: "no entry found for key" at
/// src/rewrite/mod.rs, `rewrite_ir`, `tn.columns[&c.name.to_lowercase()]`).
/// `rewrite_ir` keys its per-table name map by the lower-cased table name,
/// so a second table of the same name (or the same name in another case)
/// replaces the first one's entry while both stay in `migrated`; the column
/// phase then looks the first table's columns up in the second one's map.
/// The DDL reader accepts the repeated CREATE TABLE (SQLite itself refuses
/// the second one: "table category already exists"). Compiling returns.
#[test]
fn duplicate_table_names_do_not_panic_in_rewrite() {
    for sql in [
        "CREATE TABLE category(T);CREATE TABLE category(M)",
        "CREATE TABLE Category(a);\nCREATE TABLE category(b);",
        "CREATE TABLE IF NOT EXISTS t(a);\nCREATE TABLE IF NOT EXISTS t(b);",
    ] {
        let r = within(30, move || {
            let pack = RulePack::default_pack().expect("the default rule pack loads");
            let opts = CompileOptions {
                rewrite: RewriteOptions {
                    target: rewrite::Target::new(18, &["citext".into(), "pgcrypto".into()]),
                    ..RewriteOptions::default()
                },
                ..CompileOptions::default()
            };
            let (schema, diags) = source::from_ddl(sql, "fuzz.sql");
            compile_schema(schema, diags, &pack, &opts).map(|c| c.set.files.len())
        });
        assert!(r.is_ok(), "{sql:?}: {r:?}");
    }
}

/// Found by `predicate` (a timeout). In grammar/predicate.pest,
/// `not_expr = { kw_not ~ not_expr | comparison }` tries `not(` as the `not`
/// operator and, when the rest fails, `comparison` tries it again as a call:
/// `func_name` accepts any identifier followed by `(`, keywords included.
/// Each unclosed `not(` doubles the work of `Predicate::parse` (18 of them:
/// about 5 s, 20: 20 s). The text is invalid: `Err`, quickly.
#[test]
fn predicate_nested_not_does_not_backtrack_exponentially() {
    for src in ["not(".repeat(30), "not (".repeat(30)] {
        let s = src.clone();
        let r = within(5, move || Predicate::parse(&s).map(|p| p.source));
        assert!(r.is_err(), "{src:?} parsed");
    }
}

/// Found by `ddl_reader` (a panic: "byte range starts at 4 but ends at 0"
/// at src/source/ddl.rs, `unquote`). `unquote` returns early only when the
/// name is shorter than two *bytes*, then slices off its first and last
/// character before looking at them; a name that is one non-ASCII character
/// (2 to 4 bytes: `é`, `名`) makes the slice start after it ends. Reached
/// from `name_of` (table, column, index and key names) and `split_type`
/// (type words), so from `parse_statement`, `from_ddl` and the live reader.
/// Minimised input: `"CREATE TABLE`` (\u{7cb7a})"`. Such a name is valid
/// SQLite: `Ok`, with the name kept.
#[test]
fn one_character_non_ascii_names_do_not_panic() {
    for name in ["\u{7cb7a}", "é", "名"] {
        let n = name.to_string();
        assert_eq!(within(5, move || ddl::unquote(&n)), name);
    }
    for sql in [
        "CREATE TABLE`` (\u{7cb7a})",
        "CREATE TABLE t (é)",
        "CREATE TABLE 名 (a)",
        "CREATE TABLE t (a 名)",
        "CREATE INDEX i ON t (é)",
    ] {
        let r = within(5, move || ddl::parse_statement(sql).map(|_| ()));
        assert!(r.is_ok(), "{sql:?}: {r:?}");
        let (schema, _diags) = within(5, move || source::from_ddl(sql, "fuzz.sql"));
        assert_eq!(
            schema.tables.len() + schema.indexes.len(),
            1,
            "{sql:?} not read"
        );
    }
}
