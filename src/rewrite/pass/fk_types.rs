//! Foreign-key type alignment: a child column takes its parent column's
//! type where the child's own data allows it (citext parents, uuid
//! parents), so the foreign key can be created.
//!
//! Reads the migrated tables' foreign keys, the child columns' profiles
//! and the decided types of both sides; rewrites the child column's type
//! and converter in `out.tables` and records a decision. The column rule's
//! warning about the replaced type gives way to a
//! `foreign-key-type-alignment` note.
use super::Rewrite;
use super::foreign_keys::fk_types_compatible;
use crate::diag::{Diagnostic, Stage};
use crate::ir::pg::{self, Converter, Decision};
use crate::ir::sqlite;
use crate::rewrite::facts;

pub(in crate::rewrite) fn run(cx: &mut Rewrite) {
    let migrated = cx.migrated.clone();
    for (ti, t) in migrated.iter().enumerate() {
        for fk in &t.foreign_keys {
            let Some(pi) = migrated
                .iter()
                .position(|p| p.name.eq_ignore_ascii_case(&fk.ref_table))
            else {
                continue;
            };
            let parent = migrated[pi];
            let ref_cols = facts::referenced_columns(fk, parent);
            for (cname, pname) in fk.columns.iter().zip(ref_cols.iter()) {
                align_column(cx, (ti, t), (pi, parent), cname, pname);
            }
        }
    }
}

/// One child column against the parent column it references; each side
/// is its index in `migrated` (and `out.tables`) and its SQLite table.
fn align_column(
    cx: &mut Rewrite,
    (ti, t): (usize, &sqlite::Table),
    (pi, parent): (usize, &sqlite::Table),
    cname: &str,
    pname: &str,
) {
    let Some(parent_col) = cx.out.tables[pi]
        .columns
        .iter()
        .find(|c| c.source_name.eq_ignore_ascii_case(pname))
        .cloned()
    else {
        return;
    };
    let Some(child_src) = t
        .columns
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(cname))
    else {
        return;
    };
    let Some(child) = cx.out.tables[ti]
        .columns
        .iter_mut()
        .find(|c| c.source_name.eq_ignore_ascii_case(cname))
    else {
        return;
    };
    if child.pg_type == parent_col.pg_type
        || fk_types_compatible(&child.pg_type, &parent_col.pg_type)
            && parent_col.pg_type != "citext"
    {
        return;
    }
    let Some(conv) = fitting_converter(child_src, &parent_col) else {
        return;
    };
    // The column rule's warning described the type it chose; that
    // type is replaced, so its warning gives way to a note.
    let object = format!("{}.{}", t.name, child_src.name);
    let chosen_by = child
        .decisions
        .first()
        .map(|d| d.rule.clone())
        .unwrap_or_default();
    cx.diags
        .0
        .retain(|d| !(d.span.object.as_deref() == Some(object.as_str()) && d.code == chosen_by));
    cx.diags.push(
        Diagnostic::note(
            Stage::Rewrite,
            "foreign-key-type-alignment",
            format!("`{object}` takes the type of {}.{} ({}) that its foreign key references; its values fit", parent.name, pname, parent_col.pg_type),
        )
        .on(object),
    );
    child.decisions.push(Decision {
        rule: "foreign-key-type-alignment".into(),
        evidence: format!(
            "references {}.{} ({}); was {}",
            parent.name, pname, parent_col.pg_type, child.pg_type
        ),
        obvious: false,
    });
    child.pg_type = parent_col.pg_type.clone();
    child.converter = conv;
}

/// The converter the child column loads with under the parent's type, when
/// every value it holds converts to it: what SQLite's foreign-key check
/// compares, the child's value with the parent column's affinity applied
/// (the text '42' matches the integer 42). An empty child always fits.
fn fitting_converter(child: &sqlite::Column, parent_col: &pg::Column) -> Option<Converter> {
    let p = child.profile.clone().unwrap_or_default();
    let non_null = p.rows.saturating_sub(p.nulls);
    let text_ok = p.blobs == p.text_blobs && p.nul_bytes == 0 && p.invalid_utf8 == 0;
    let fits = match parent_col.converter {
        Converter::Integer => p.integers + p.int_texts == non_null,
        Converter::Real | Converter::Numeric => p.integers + p.reals + p.real_texts == non_null,
        Converter::Text | Converter::AnyText => text_ok,
        Converter::UuidText => p.uuid_texts == non_null,
        Converter::UuidBlob => p.blob16 == non_null,
        Converter::Bytes => p.blobs == non_null,
        _ => non_null == 0,
    };
    // Numbers in a child of a text parent are loaded as their text.
    let conv = match parent_col.converter {
        Converter::Text if p.texts != non_null => Converter::AnyText,
        c => c,
    };
    fits.then_some(conv)
}
