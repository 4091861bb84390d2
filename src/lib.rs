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
//! [`rewrite_ir`] (rewrite), [`ir_to_sql`] (emit); [`compile`] runs all
//! three. Library code returns [`diag::Diagnostic`]s; only the CLI prints.
//!
//! # Layers
//!
//! A module imports only from the rows below its own (tests aside):
//!
//! ```text
//!  main.rs, cli/         the binary: one module per command; the only printing
//!  inspect, ruletest     reports over the stages below
//!  verify                digests of both sides, tables as load planned them
//!  load                  the native loader; records the verify plan
//!  capture               the change log on the live source (triggers)
//!  diff                  two compiled ir::pg schemas → ordered ALTERs with hazards
//!  (crate root)          the pipeline: sqlite_to_ir, compile_schema, compile
//!  emit                  ir::pg → SQL files
//!  rewrite               rules: ir::sqlite → ir::pg (uses translate, source::spatial)
//!  translate             SQLite expressions → PostgreSQL expressions
//!  source, digest        SQLite → ir::sqlite (+ profile); canonical bytes, Rust and SQL
//!  value                 converters, wire encoding, lexical classes of values
//!  ir, diag              plain data; diagnostics
//!  ident, conn, progress names and literals; connection strings; progress
//! ```
pub mod capture;
pub mod conn;
pub mod diag;
pub mod diff;
pub mod digest;
pub mod emit;
pub mod ident;
pub mod inspect;
pub mod ir;
pub mod load;
pub mod progress;
pub mod rewrite;
pub mod ruletest;
pub mod source;
pub mod sync;
pub mod translate;
pub mod value;
pub mod verify;

use diag::Diagnostics;
pub use emit::{EmitOptions, MigrationSet, ir_to_sql};
pub use rewrite::{RewriteOptions, RulePack, rewrite_ir};
use std::path::Path;

/// Stage 1: read a SQLite database file or DDL text into `ir::sqlite`.
pub fn sqlite_to_ir(
    input: &Path,
    opts: &source::SourceOptions,
) -> diag::Result<(ir::sqlite::Schema, Diagnostics)> {
    source::read(input, opts)
}

/// Everything `compile` needs besides its input.
#[derive(Debug, Clone, Default)]
pub struct CompileOptions {
    pub source: source::SourceOptions,
    pub rewrite: RewriteOptions,
    pub emit: EmitOptions,
}

/// The result of a compile: the migration set, the IRs behind it, and every
/// diagnostic raised on the way.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub sqlite: ir::sqlite::Schema,
    pub pg: ir::pg::Schema,
    pub set: MigrationSet,
    pub diagnostics: Diagnostics,
}

/// Run the rewrite and emit stages over an already-read SQLite schema.
pub fn compile_schema(
    sqlite: ir::sqlite::Schema,
    mut diags: Diagnostics,
    pack: &RulePack,
    opts: &CompileOptions,
) -> diag::Result<Compiled> {
    let (pg, d) = rewrite_ir(&sqlite, pack, &opts.rewrite);
    diags.extend(d);
    let mut emit_opts = opts.emit.clone();
    if emit_opts.origin.is_empty() {
        emit_opts.origin = sqlite.origin.clone();
    }
    emit_opts.target_version = opts.rewrite.target.version;
    emit_opts.pack_digest = pack.digest();
    let mut set = ir_to_sql(&pg, &emit_opts).map_err(diag::Error::Diagnostic)?;
    emit::add_live_files(&mut set, &sqlite, &pg);
    emit::add_schema_record(&mut set, &sqlite, &pg);
    Ok(Compiled {
        sqlite,
        pg,
        set,
        diagnostics: diags,
    })
}

/// source → rewrite → emit.
pub fn compile(input: &Path, pack: &RulePack, opts: &CompileOptions) -> diag::Result<Compiled> {
    let (sqlite, diags) = sqlite_to_ir(input, &opts.source)?;
    compile_schema(sqlite, diags, pack, opts)
}
