//! The value layer: how one SQLite value becomes one PostgreSQL value.
//!
//! [`convert`] turns a SQLite value into a typed value with a rule's
//! converter (or says why it cannot); [`wire`] encodes that value in
//! PostgreSQL's binary COPY format for a target type, refusing what the
//! type's modifiers would round or cut. Every stage that reasons about
//! values uses these two and nothing else: rewrite (constant defaults),
//! emit (the SQL twins' casts), load, verify and inspect. Below all of
//! them, and below source: it reads only the IR's converter names; the
//! lexical classes ([`lexical`]) are shared with the source stage's profile.
//! [`inverse`] takes a PostgreSQL value back to SQLite (rollback).
pub mod convert;
pub mod geometry;
pub mod inverse;
pub mod lexical;
pub mod wire;

use rusqlite::types::ValueRef;

/// What the loader does with one value: convert it with `conv`, then encode
/// it for binary COPY into `wire` (when the type has one) — the two calls
/// `migrate` makes per value. `Err` is the reason it would be refused.
/// `scratch` holds the encoding (cleared first), so a caller checking many
/// values allocates once.
pub fn load<'a>(
    conv: crate::ir::pg::Converter,
    wire: Option<wire::Wire>,
    v: ValueRef<'a>,
    scratch: &mut Vec<u8>,
) -> Result<convert::Value<'a>, convert::ConvError> {
    let x = convert::convert(conv, v)?;
    if let Some(w) = wire {
        scratch.clear();
        wire::encode(scratch, &x, w)?;
    }
    Ok(x)
}
