//! The names PostgreSQL gives what compile leaves unnamed. Reads a compiled
//! `ir::pg::Schema`, replays the order in which `01_schema.sql` and
//! `03_constraints.sql` create its objects, and writes the schema back with
//! every PRIMARY KEY and UNIQUE named as PostgreSQL named it, plus (on
//! PostgreSQL 18) the names of the NOT NULL constraints, per column.
//!
//! PostgreSQL's rules (`makeObjectName`, `ChooseRelationName`,
//! `ChooseConstraintName`): `<table>_<columns joined by _>_<label>`, the
//! longer of the two first parts shortened byte by byte until the whole
//! fits 63 bytes (then cut back to a character boundary); while that name is
//! taken the label is numbered (`key1`, `key2`, …), and the shortening is
//! redone for the longer label. A key's name (its index's) is taken when a
//! relation of the schema or any constraint in it has it; a NOT NULL's when
//! a constraint in the schema has it. CHECKs, foreign keys and indexes are
//! always named by compile, so they only take names here.
use crate::ir::pg;
use std::collections::{BTreeMap, BTreeSet};

/// PostgreSQL's longest identifier, in bytes.
const MAX: usize = 63;

/// `s` cut to at most `n` bytes, on a character boundary.
fn clip(s: &str, n: usize) -> &str {
    let mut n = n.min(s.len());
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &s[..n]
}

/// `makeObjectName`: `name1[_name2]_label` in 63 bytes, the longer of
/// the two names shortened first; the label is never cut.
pub fn make_object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    let overhead = usize::from(name2.is_some()) + label.len() + 1;
    let room = MAX.saturating_sub(overhead);
    let (mut a, mut b) = (name1.len(), name2.map_or(0, str::len));
    while a + b > room {
        if a > b {
            a -= 1;
        } else {
            b -= 1;
        }
    }
    let mut out = clip(name1, a).to_string();
    if let Some(n2) = name2 {
        out.push('_');
        out.push_str(clip(n2, b));
    }
    out.push('_');
    out.push_str(label);
    out
}

/// `ChooseIndexNameAddition`: the key's column names joined by `_`,
/// stopping once the text reaches 64 bytes.
pub fn columns_addition(columns: &[String]) -> String {
    let mut buf = String::new();
    for c in columns {
        if !buf.is_empty() {
            buf.push('_');
        }
        buf.push_str(clip(c, MAX));
        if buf.len() > MAX {
            break;
        }
    }
    buf
}

/// The first of `name`, `name` numbered 1, 2, … that `taken` refuses.
fn choose(name1: &str, name2: Option<&str>, label: &str, taken: impl Fn(&str) -> bool) -> String {
    (0u32..)
        .map(|pass| match pass {
            0 => make_object_name(name1, name2, label),
            n => make_object_name(name1, name2, &format!("{label}{n}")),
        })
        .find(|n| !taken(n))
        .expect("an unbounded range has a free name")
}

/// The names a schema (namespace) holds: relations (tables, sequences,
/// indexes, views) and constraints, which PostgreSQL keeps apart but
/// consults together when it names a key.
#[derive(Default)]
struct Namespace {
    relations: BTreeSet<String>,
    constraints: BTreeSet<String>,
}

impl Namespace {
    /// `ChooseRelationName(…, isconstraint = true)`: a key and its index.
    fn key(&mut self, table: &str, columns: Option<&str>, label: &str) -> String {
        let n = choose(table, columns, label, |n| {
            self.relations.contains(n) || self.constraints.contains(n)
        });
        self.relations.insert(n.clone());
        self.constraints.insert(n.clone());
        n
    }

    /// `ChooseConstraintName`: a NOT NULL constraint.
    fn not_null(&mut self, table: &str, column: &str) -> String {
        let n = choose(table, Some(column), "not_null", |n| {
            self.constraints.contains(n)
        });
        self.constraints.insert(n.clone());
        n
    }
}

/// NOT NULL constraint names per (table, column), PostgreSQL 18.
pub type NotNullNames = BTreeMap<(String, String), String>;

/// `s` with its keys named as PostgreSQL names them when compile's set is
/// applied, and the NOT NULL constraints' names when `not_null` (18).
pub fn named(s: &pg::Schema, not_null: bool) -> (pg::Schema, NotNullNames) {
    let mut ns = Namespace::default();
    let mut nn = NotNullNames::new();
    let mut out = s.clone();
    // 01_schema.sql: per table its identity sequences (named before the
    // table), the table, its CHECKs, then its NOT NULLs.
    for t in &out.tables {
        for c in t.columns.iter().filter(|c| c.identity) {
            let seq = c.sequence.clone().unwrap_or_else(|| {
                choose(&t.name, Some(&c.name), "seq", |n| ns.relations.contains(n))
            });
            ns.relations.insert(seq);
        }
        ns.relations.insert(t.name.clone());
        ns.constraints
            .extend(t.checks.iter().filter_map(|k| k.name.clone()));
        if not_null {
            for c in t.columns.iter().filter(|c| c.not_null || c.identity) {
                let n = ns.not_null(&t.name, &c.name);
                nn.insert((t.name.clone(), c.name.clone()), n);
            }
        }
    }
    // 03_constraints.sql: per table its primary key (NOT NULL on its
    // columns first, on 18) and its UNIQUEs, in order.
    for t in &mut out.tables {
        if let Some(k) = t.primary_key.as_mut() {
            for c in k.columns.iter().filter(|_| not_null) {
                nn.entry((t.name.clone(), c.clone()))
                    .or_insert_with(|| ns.not_null(&t.name, c));
            }
            k.name = Some(match k.name.take() {
                Some(n) => ns.taken(n),
                None => ns.key(&t.name, None, "pkey"),
            });
        }
        for k in &mut t.uniques {
            k.name = Some(match k.name.take() {
                Some(n) => ns.taken(n),
                None => ns.key(&t.name, Some(&columns_addition(&k.columns)), "key"),
            });
        }
    }
    (out, nn)
}

impl Namespace {
    /// A name given explicitly: a relation (its index) and a constraint.
    fn taken(&mut self, n: String) -> String {
        self.relations.insert(n.clone());
        self.constraints.insert(n.clone());
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shortened_by_bytes_and_the_longer_part_first() {
        assert_eq!(make_object_name("user", None, "pkey"), "user_pkey");
        let long = "t".repeat(70);
        let n = make_object_name(&long, Some("c"), "key");
        assert_eq!(n, format!("{}_c_key", "t".repeat(57)));
        // A numbered label leaves a byte less for the names.
        let (a, b) = ("a".repeat(40), "b".repeat(40));
        assert_eq!(
            make_object_name(&a, Some(&b), "key1"),
            format!("{}_{}_key1", "a".repeat(29), "b".repeat(28))
        );
        // Cut back to a character boundary: é is two bytes.
        let e = "é".repeat(40);
        let n = make_object_name(&e, None, "pkey");
        assert!(n.len() <= 63 && n.ends_with("_pkey"), "{n}");
        assert_eq!(n, format!("{}_pkey", "é".repeat(29)));
    }

    #[test]
    fn a_taken_name_is_numbered() {
        let mut ns = Namespace::default();
        ns.relations.insert("t_a_key".into());
        assert_eq!(ns.key("t", Some("a"), "key"), "t_a_key1");
        assert_eq!(ns.key("t", Some("a"), "key"), "t_a_key2");
        ns.constraints.insert("t_b_not_null".into());
        assert_eq!(ns.not_null("t", "b"), "t_b_not_null1");
    }
}
