//! The value layer: how one SQLite value becomes one PostgreSQL value.
//!
//! [`convert`] turns a SQLite value into a typed value with a rule's
//! converter (or says why it cannot); [`wire`] encodes that value in
//! PostgreSQL's binary COPY format for a target type, refusing what the
//! type's modifiers would round or cut. Every stage that reasons about
//! values uses these two and nothing else: rewrite (constant defaults),
//! emit (the SQL twins' casts), load, verify and inspect. Below all of
//! them; it reads only the IR's converter names and the source stage's
//! lexical helpers.
pub mod convert;
pub mod wire;
