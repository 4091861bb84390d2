//! sqlite-vec's `vec0` virtual tables.
//!
//! Input: a `CREATE VIRTUAL TABLE t USING vec0(...)` table and its
//! `PRAGMA table_xinfo` columns (read through the loaded module). Output:
//! the same table with each column's kind as a declared type, its key, and
//! `readable` set, so the rules and the loader treat it as a table.
//!
//! How: vec0 declares its columns to SQLite without types (`rowid,
//! embedding, distance hidden, k hidden`), so the types come from the
//! module arguments: `name float[N]` (also `float32`, `int8[N]`, `bit[N]`)
//! is a vector column, `name type primary key` the key, `name type
//! partition key` a partition key, `+name type` an auxiliary column,
//! `name type` a metadata column; `key=value` arguments (`chunk_size=64`)
//! are table options. A vector column becomes declared `float[N]` /
//! `int8[N]` / `bit[N]` with type name `FLOAT` / `INT8` / `BIT` and
//! `type_args = [N]`; the other kinds keep their written type.
//!
//! Invariants: a vec0 table without a key argument exposes its rowid as a
//! column named `rowid`, which becomes its INTEGER primary key, so every row
//! stays identifiable. Shadow tables (`t_info`, `t_chunks`, `t_rowids`,
//! `t_auxiliary`, `t_vector_chunksNN`, `t_metadatachunksNN`,
//! `t_metadatatextNN`) are recognised by name whether or not the module is
//! loaded: SQLite reports only some of them as shadow tables.
use super::ddl;
use crate::ir::sqlite::{Affinity, KeyConstraint, Table, TableKind};

/// The module name, as `table.module` spells it.
pub const MODULE: &str = "vec0";

/// Shadow-table suffixes without a number.
const FIXED_SUFFIXES: [&str; 4] = ["info", "chunks", "rowids", "auxiliary"];

/// Shadow-table suffixes followed by a two-digit number.
const NUMBERED_SUFFIXES: [&str; 3] = ["vector_chunks", "metadatachunks", "metadatatext"];

/// Is `table` a shadow table of the vec0 table `vtable`?
pub fn is_shadow(vtable: &str, table: &str) -> bool {
    let (vt, t) = (vtable.to_ascii_lowercase(), table.to_ascii_lowercase());
    let Some(suffix) = t.strip_prefix(&vt).and_then(|s| s.strip_prefix('_')) else {
        return false;
    };
    FIXED_SUFFIXES.contains(&suffix)
        || NUMBERED_SUFFIXES.iter().any(|n| {
            suffix
                .strip_prefix(n)
                .is_some_and(|d| d.len() == 2 && d.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// The element type of a vector column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element {
    Float32,
    Int8,
    Bit,
}

impl Element {
    fn parse(word: &str) -> Option<Element> {
        match word.to_ascii_lowercase().as_str() {
            "float" | "float32" | "f32" => Some(Element::Float32),
            "int8" | "i8" => Some(Element::Int8),
            "bit" => Some(Element::Bit),
            _ => None,
        }
    }

    /// The declared type name the rules match (`column.type_name`).
    fn type_name(self) -> &'static str {
        match self {
            Element::Float32 => "FLOAT",
            Element::Int8 => "INT8",
            Element::Bit => "BIT",
        }
    }
}

/// What one vec0 argument declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Vector { element: Element, dims: i64 },
    PrimaryKey { declared: String },
    Partition { declared: String },
    Auxiliary { declared: String },
    Metadata { declared: String },
}

/// One column argument: its name as written and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    pub name: String,
    pub kind: Kind,
}

/// Parses one module argument; `None` for a table option (`chunk_size=64`)
/// or an empty argument.
pub fn parse_arg(arg: &str) -> Option<Arg> {
    let arg = arg.trim();
    let (aux, arg) = match arg.strip_prefix('+') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, arg),
    };
    let mut words = arg.split_whitespace();
    let name = words.next()?;
    if name.contains('=') {
        return None;
    }
    let rest: Vec<&str> = words.collect();
    let declared = rest.first().copied().unwrap_or("").to_string();
    let lower = rest.join(" ").to_ascii_lowercase();
    let kind = if aux {
        Kind::Auxiliary { declared }
    } else if let Some((element, dims)) = vector_type(&declared) {
        Kind::Vector { element, dims }
    } else if lower.contains("primary key") {
        Kind::PrimaryKey { declared }
    } else if lower.contains("partition key") {
        Kind::Partition { declared }
    } else {
        Kind::Metadata { declared }
    };
    Some(Arg {
        name: name.to_string(),
        kind,
    })
}

/// `float[384]` → (Float32, 384).
fn vector_type(word: &str) -> Option<(Element, i64)> {
    let (elem, rest) = word.split_once('[')?;
    let dims = rest.strip_suffix(']')?.trim().parse::<i64>().ok()?;
    Some((Element::parse(elem.trim())?, dims))
}

/// The column arguments of a vec0 table, in order.
pub fn column_args(t: &Table) -> Vec<Arg> {
    match &t.kind {
        TableKind::Virtual { args, .. } => args.iter().filter_map(|a| parse_arg(a)).collect(),
        _ => Vec::new(),
    }
}

/// Is `t` a vec0 virtual table?
pub fn is_vec0(t: &Table) -> bool {
    matches!(&t.kind, TableKind::Virtual { module, .. } if module.eq_ignore_ascii_case(MODULE))
}

/// Gives a vec0 table read through its loaded module (its columns from
/// `table_xinfo`) the types of its arguments and its key, and marks it
/// readable.
pub fn apply(t: &mut Table) {
    let args = column_args(t);
    let has_key = args
        .iter()
        .any(|a| matches!(a.kind, Kind::PrimaryKey { .. }));
    for c in t.columns.iter_mut().filter(|c| !c.hidden) {
        let arg = args.iter().find(|a| a.name.eq_ignore_ascii_case(&c.name));
        let declared = match arg.map(|a| &a.kind) {
            Some(Kind::Vector { element, dims }) => {
                c.declared = format!("{}[{dims}]", element.type_name().to_ascii_lowercase());
                c.type_name = element.type_name().to_string();
                c.type_args = vec![*dims];
                c.affinity = Affinity::Blob;
                continue;
            }
            Some(
                Kind::PrimaryKey { declared }
                | Kind::Partition { declared }
                | Kind::Auxiliary { declared }
                | Kind::Metadata { declared },
            ) => declared.clone(),
            // The rowid of a table without a key argument.
            None if !has_key && c.name.eq_ignore_ascii_case("rowid") => {
                c.pk_position = 1;
                c.rowid_alias = true;
                "INTEGER".to_string()
            }
            None => continue,
        };
        let (type_name, type_args) = ddl::split_type(&declared);
        c.affinity = Affinity::of_declared(&declared);
        c.declared = declared;
        c.type_name = type_name;
        c.type_args = type_args;
    }
    if t.primary_key.is_none()
        && let Some(c) = t.columns.iter().find(|c| c.pk_position > 0)
    {
        t.primary_key = Some(KeyConstraint {
            name: None,
            columns: vec![c.name.clone()],
        });
    }
    t.readable = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shadow_names_follow_the_module() {
        for s in [
            "v_info",
            "v_chunks",
            "V_ROWIDS",
            "v_auxiliary",
            "v_vector_chunks00",
            "v_metadatachunks12",
            "v_metadatatext03",
        ] {
            assert!(is_shadow("v", s), "{s}");
        }
        for s in [
            "v_log",
            "v_vector_chunks",
            "v_vector_chunks1",
            "vv_info",
            "w_info",
        ] {
            assert!(!is_shadow("v", s), "{s}");
        }
    }

    #[test]
    fn arguments_declare_the_column_kinds() {
        let arg = |s| parse_arg(s).map(|a| a.kind);
        assert_eq!(
            arg("embedding float[384] distance_metric=cosine"),
            Some(Kind::Vector {
                element: Element::Float32,
                dims: 384
            })
        );
        assert_eq!(
            arg("q int8[4]"),
            Some(Kind::Vector {
                element: Element::Int8,
                dims: 4
            })
        );
        assert_eq!(
            arg("doc_id text primary key"),
            Some(Kind::PrimaryKey {
                declared: "text".into()
            })
        );
        assert_eq!(
            arg("user integer partition key"),
            Some(Kind::Partition {
                declared: "integer".into()
            })
        );
        assert_eq!(
            arg("+note text"),
            Some(Kind::Auxiliary {
                declared: "text".into()
            })
        );
        assert_eq!(
            arg("genre text"),
            Some(Kind::Metadata {
                declared: "text".into()
            })
        );
        assert_eq!(arg("chunk_size=64"), None);
        assert_eq!(arg("  "), None);
    }
}
