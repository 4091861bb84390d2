//! Facts: the JSON documents rules see. One document per (object, phase);
//! predicates read it by path (`column.declared`) and `then` templates
//! render against it.
//!
//! Roots: `table`, `column`, `profile`, `target` (every phase that has
//! them), `pg` (the column's decided type, in the default phase) and
//! `default` (the SQLite default, in the default phase).
use super::target::Target;
use crate::ir::sqlite::{Column, Expr, Profile, Schema, Table, TableKind};
use regex::Regex;
use serde_json::{Value, json};
use std::sync::LazyLock;

pub const ROOTS: &[&str] = &["table", "column", "profile", "target", "pg", "default"];

pub fn target_facts(target: &Target) -> Value {
    serde_json::to_value(target).unwrap_or(Value::Null)
}

pub fn table_facts(t: &Table) -> Value {
    let (kind, module) = match &t.kind {
        TableKind::Ordinary => ("ordinary", Value::Null),
        TableKind::Virtual { module, .. } => {
            ("virtual", Value::String(module.to_ascii_lowercase()))
        }
        TableKind::Internal { .. } => ("internal", Value::Null),
    };
    let reason = match &t.kind {
        TableKind::Internal { reason } => Value::String(reason.clone()),
        _ => Value::Null,
    };
    json!({
        "name": t.name,
        "kind": kind,
        "module": module,
        "internal_reason": reason,
        "without_rowid": t.without_rowid,
        "strict": t.strict,
        "rows": t.rows,
        "column_count": t.columns.len(),
        "primary_key": t.primary_key.as_ref().map(|k| k.columns.clone()).unwrap_or_default(),
        "foreign_keys": t.foreign_keys.len(),
    })
}

static ISO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
        .expect("static regex")
});

static BOOL_CHECK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)^\s*\(?\s*["`\[]?([^"`\]\s()]+)["`\]]?\s+in\s*\(\s*([01])\s*,\s*([01])\s*\)\s*\)?\s*$"#).expect("static regex")
});

/// Does `check` say `col IN (0, 1)`?
pub fn is_bool_check(check: &Expr, column: &str) -> bool {
    BOOL_CHECK
        .captures(&check.sql)
        .map(|c| c[1].eq_ignore_ascii_case(column) && c[2] != c[3])
        .unwrap_or(false)
}

/// The parent columns a foreign key references: its own list, or the
/// parent's primary key (its rowid alias when the key is implicit).
pub fn referenced_columns(fk: &crate::ir::sqlite::ForeignKey, parent: &Table) -> Vec<String> {
    if !fk.ref_columns.is_empty() {
        return fk.ref_columns.clone();
    }
    match &parent.primary_key {
        Some(k) => k.columns.clone(),
        None => parent
            .columns
            .iter()
            .filter(|c| c.rowid_alias)
            .map(|c| c.name.clone())
            .collect(),
    }
}

/// Does the SQL text mention `column` as a word (quoted or not)?
fn mentions(sql: &str, column: &str) -> bool {
    let lower = sql.to_lowercase();
    let col = column.to_lowercase();
    let bytes = lower.as_bytes();
    let mut start = 0;
    while let Some(pos) = lower[start..].find(&col) {
        let s = start + pos;
        let e = s + col.len();
        let before = s == 0 || !is_word(bytes[s - 1]);
        let after = e >= bytes.len() || !is_word(bytes[e]);
        if before && after {
            return true;
        }
        start = s + 1;
        if start >= lower.len() {
            break;
        }
    }
    false
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

pub fn column_facts(schema: &Schema, t: &Table, c: &Column) -> Value {
    let checks: Vec<&str> = t
        .checks
        .iter()
        .filter(|k| {
            k.column
                .as_deref()
                .map(|n| n.eq_ignore_ascii_case(&c.name))
                .unwrap_or(false)
                || mentions(&k.expr.sql, &c.name)
        })
        .map(|k| k.expr.sql.as_str())
        .collect();
    let bool_check = t.checks.iter().any(|k| is_bool_check(&k.expr, &c.name));
    let unique = t
        .uniques
        .iter()
        .any(|u| u.columns.len() == 1 && u.columns[0].eq_ignore_ascii_case(&c.name));
    // The parent column this column references, if a single-column FK.
    let mut references = Value::Null;
    let mut references_nocase = false;
    for fk in &t.foreign_keys {
        if let Some(pos) = fk
            .columns
            .iter()
            .position(|n| n.eq_ignore_ascii_case(&c.name))
            && let Some(parent) = schema
                .tables
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(&fk.ref_table))
        {
            let parent_col = referenced_columns(fk, parent).get(pos).cloned();
            if let Some(pc) = parent_col {
                let pcol = parent
                    .columns
                    .iter()
                    .find(|x| x.name.eq_ignore_ascii_case(&pc));
                let coll = pcol.and_then(|x| x.collation.clone());
                references_nocase = coll
                    .as_deref()
                    .map(|s| s.eq_ignore_ascii_case("nocase"))
                    .unwrap_or(false);
                references = json!({"table": parent.name, "column": pc, "collation": coll.map(|s| s.to_ascii_uppercase())});
            }
        }
    }
    json!({
        "name": c.name,
        "declared": c.declared,
        "type_name": c.type_name,
        "type_args": c.type_args,
        "affinity": c.affinity,
        "not_null": c.not_null,
        "default": c.default.as_ref().map(|d| d.sql.clone()),
        "collation": c.collation.as_ref().map(|s| s.to_ascii_uppercase()),
        "pk_position": c.pk_position,
        "primary_key": c.pk_position > 0,
        "rowid_alias": c.rowid_alias,
        "autoincrement": c.autoincrement,
        "generated": c.generated.is_some(),
        "generated_stored": c.generated.as_ref().map(|g| g.stored).unwrap_or(false),
        "hidden": c.hidden,
        "checks": checks,
        "bool_check": bool_check,
        "unique": unique,
        "references": references,
        "references_nocase": references_nocase,
        "geometry": c.geometry.as_ref().map(geometry_facts),
    })
}

/// A geometry column's catalog facts, with the PostGIS type they name:
/// `geometry(PointZ,4326)`; plain `geometry` when Z or M is optional
/// (a modifier would refuse half the values).
fn geometry_facts(g: &crate::ir::sqlite::GeometryColumn) -> Value {
    use crate::value::geometry::{type_code, type_name};
    let kind = type_name(type_code(&g.geometry_type).unwrap_or(0));
    let postgis = match (g.z, g.m) {
        (Some(z), Some(m)) => {
            let dims = format!("{}{}", if z { "Z" } else { "" }, if m { "M" } else { "" });
            match g.srid {
                0 => format!("geometry({kind}{dims})"),
                s => format!("geometry({kind}{dims},{s})"),
            }
        }
        _ => "geometry".to_string(),
    };
    json!({
        "format": g.format,
        "type": g.geometry_type,
        "z": g.z,
        "m": g.m,
        "srid": g.srid,
        "spatial_index": g.spatial_index,
        "postgis_type": postgis,
    })
}

pub fn profile_facts(p: Option<&Profile>) -> Value {
    let present = p.is_some();
    let base = p.cloned().unwrap_or_default();
    let mut v = serde_json::to_value(&base).unwrap_or_else(|_| json!({}));
    if let Value::Object(m) = &mut v {
        m.insert("present".into(), json!(present));
        m.insert(
            "non_null".into(),
            json!(base.rows.saturating_sub(base.nulls)),
        );
        m.insert(
            "iso_any".into(),
            json!(base.iso_timestamps + base.iso_timestamps_tz + base.iso_dates),
        );
        m.insert("numbers".into(), json!(base.integers + base.reals));
    }
    v
}

/// A SQLite DEFAULT classified for the default phase.
pub fn default_facts(d: &Expr) -> Value {
    let s = d.sql.trim();
    let unparen = strip_parens(s);
    let (kind, value): (&str, Value) = if unparen.eq_ignore_ascii_case("null") {
        ("null", Value::Null)
    } else if let Ok(i) = unparen.parse::<i64>() {
        ("integer", json!(i))
    } else if unparen.parse::<f64>().is_ok()
        && !unparen.is_empty()
        && !unparen
            .chars()
            .any(|c| c.is_alphabetic() && c != 'e' && c != 'E')
    {
        ("real", json!(unparen))
    } else if unparen.len() >= 2
        && unparen.starts_with('\'')
        && unparen.ends_with('\'')
        && !unparen[1..unparen.len() - 1]
            .replace("''", "")
            .contains('\'')
    {
        (
            "string",
            json!(unparen[1..unparen.len() - 1].replace("''", "'")),
        )
    } else if ["true", "false"].contains(&unparen.to_ascii_lowercase().as_str()) {
        ("boolean", json!(unparen.eq_ignore_ascii_case("true")))
    } else if ["current_timestamp", "current_date", "current_time"]
        .contains(&unparen.to_ascii_lowercase().as_str())
    {
        ("keyword", json!(unparen.to_ascii_uppercase()))
    } else {
        ("expression", json!(unparen))
    };
    let json_valid = match &value {
        Value::String(text) if kind == "string" => serde_json::from_str::<Value>(text).is_ok(),
        _ => kind != "expression",
    };
    let iso = matches!(&value, Value::String(text) if kind == "string" && ISO.is_match(text));
    let iso_zone = iso
        && matches!(&value, Value::String(text) if text.ends_with('Z') || text.len() > 10 && text[10..].contains(['+', '-']));
    json!({"sql": s, "kind": kind, "value": value, "json_valid": json_valid, "iso": iso, "iso_zone": iso_zone})
}

fn strip_parens(s: &str) -> &str {
    let mut s = s.trim();
    while s.starts_with('(') && s.ends_with(')') && balanced(&s[1..s.len() - 1]) {
        s = s[1..s.len() - 1].trim();
    }
    s
}

fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    let mut in_str = false;
    for ch in s.chars() {
        match ch {
            '\'' => in_str = !in_str,
            '(' if !in_str => depth += 1,
            ')' if !in_str => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// Every fact a predicate may read, with placeholder values: the shape
/// rule paths are validated against when a pack loads.
pub fn skeleton() -> Value {
    use crate::ir::sqlite::SourceKind;
    let column = Column::new("");
    let table = Table {
        columns: vec![column.clone()],
        ..Table::new("", TableKind::Ordinary, "")
    };
    let schema = Schema {
        source: SourceKind::Ddl,
        origin: String::new(),
        tables: vec![table.clone()],
        indexes: vec![],
        views: vec![],
        triggers: vec![],
        sequences: Default::default(),
        unreadable: vec![],
    };
    let mut col = column_facts(&schema, &table, &column);
    col["references"] = json!({"table": "", "column": "", "collation": ""});
    col["geometry"] = geometry_facts(&crate::ir::sqlite::GeometryColumn {
        format: crate::ir::sqlite::GeometryFormat::Geopackage,
        geometry_type: String::new(),
        z: None,
        m: None,
        srid: 0,
        spatial_index: false,
    });
    json!({
        "table": table_facts(&table),
        "column": col,
        "profile": profile_facts(Some(&Profile::default())),
        "target": target_facts(&Target::default()),
        "pg": {"type": "", "converter": "", "identity": false},
        "default": {"sql": "", "kind": "", "value": "", "json_valid": true, "iso": true, "iso_zone": true},
    })
}

/// Every fact path rules can read, sorted (`column.affinity`, `profile.rows`, …).
pub fn all_paths() -> Vec<String> {
    fn walk(prefix: &str, v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, child) in m {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&p, child, out);
                }
            }
            _ => out.push(prefix.to_string()),
        }
    }
    let mut out = Vec::new();
    walk("", &skeleton(), &mut out);
    out.sort();
    out
}

/// Does `path` (`column.type_args[0]`) name a known fact?
pub fn known_path(path: &str) -> bool {
    static SKELETON: LazyLock<Value> = LazyLock::new(skeleton);
    let mut v: &Value = &SKELETON;
    for part in path.split('.') {
        let key = part.split('[').next().unwrap_or(part);
        match v.get(key) {
            Some(next) => v = next,
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bool_check_recognises_quoted_and_bare_forms() {
        assert!(is_bool_check(&Expr::new("pinned IN (0, 1)"), "pinned"));
        assert!(is_bool_check(&Expr::new("\"pinned\" in (1,0)"), "PINNED"));
        assert!(is_bool_check(
            &Expr::new("(`is_active` IN (0,1))"),
            "is_active"
        ));
        assert!(!is_bool_check(&Expr::new("pinned IN (0, 1, 2)"), "pinned"));
        assert!(!is_bool_check(&Expr::new("other IN (0, 1)"), "pinned"));
    }

    #[test]
    fn defaults_are_classified_by_kind() {
        assert_eq!(default_facts(&Expr::new("0"))["kind"], "integer");
        assert_eq!(default_facts(&Expr::new("(1)"))["value"], 1);
        assert_eq!(default_facts(&Expr::new("'it''s'"))["value"], "it's");
        assert_eq!(
            default_facts(&Expr::new("CURRENT_TIMESTAMP"))["kind"],
            "keyword"
        );
        assert_eq!(
            default_facts(&Expr::new("strftime('%s', 'now')"))["kind"],
            "expression"
        );
        assert_eq!(default_facts(&Expr::new("-1.5"))["kind"], "real");
        assert_eq!(default_facts(&Expr::new("NULL"))["kind"], "null");
        assert_eq!(
            default_facts(&Expr::new("'a' || 'b'"))["kind"],
            "expression"
        );
    }

    #[test]
    fn mentions_matches_whole_words_only() {
        assert!(mentions("\"Price\" >= 0", "price"));
        assert!(!mentions("unitprice >= 0", "price"));
    }
}
