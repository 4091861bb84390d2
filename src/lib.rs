//! # pgbridge — SQLite to PostgreSQL, as a compiler
//!
//! ```text
//!  SQLite file ─┐                                rules/*.yaml        templates/*.sql.j2
//!  or DDL text ─┴─> source ──> ir::sqlite ──> rewrite ──> ir::pg ──> emit ──> migration set
//!                   (parse +     (facts)      (rules,     (decisions       (SQL files + sums)
//!                    introspect               predicates)  with evidence)
//!                    + profile)
//! ```
//!
//! One public function per stage boundary: [`sqlite_to_ir`] (source),
//! [`rewrite_ir`] (rewrite), [`ir_to_sql`] (emit). Library code returns
//! [`diag::Diagnostic`]s; only the CLI prints.
pub mod diag;
pub mod ident;
pub mod ir;
pub mod rewrite;
pub mod source;
pub mod translate;
