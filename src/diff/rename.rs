//! Rename hints: `table.old=new` and `old=new`, and the old schema as it
//! is once they ran (so the rest of the diff compares like with like).
use super::key_name;
use crate::ident::quote_ident;
use crate::ir::pg;

/// A rename the user vouches for: `table.old=new` (a column) or
/// `old=new` (a table); names are PostgreSQL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    pub table: String,
    pub column: Option<String>,
    pub to: String,
}

impl Rename {
    /// `table.column=new` or `table=new`; the last `.` before `=` splits.
    pub fn parse(s: &str) -> Option<Rename> {
        let (from, to) = s.split_once('=')?;
        if to.is_empty() || from.is_empty() {
            return None;
        }
        Some(match from.rsplit_once('.') {
            Some((t, c)) if !t.is_empty() && !c.is_empty() => Rename {
                table: t.into(),
                column: Some(c.into()),
                to: to.into(),
            },
            _ => Rename {
                table: from.into(),
                column: None,
                to: to.into(),
            },
        })
    }
}

/// `old` as it is after the rename hints (the names it will have once the
/// RENAME statements ran), and the hints that matched nothing. The hints
/// themselves become statements in [`Differ::renames`].
pub(super) fn renamed(old: &pg::Schema, renames: &[Rename]) -> (pg::Schema, Vec<Rename>) {
    let mut s = old.clone();
    let mut unused = Vec::new();
    for r in renames {
        let Some(t) = s.tables.iter_mut().find(|t| t.name == r.table) else {
            unused.push(r.clone());
            continue;
        };
        pin_key_names(t);
        match &r.column {
            Some(c) => match t.columns.iter_mut().find(|x| &x.name == c) {
                Some(col) => {
                    col.name = r.to.clone();
                    rename_in_keys(t, c, &r.to);
                    for i in s.indexes.iter_mut().filter(|i| i.table == r.table) {
                        rename_list(&mut i.elements, &quote_ident(c), &quote_ident(&r.to));
                    }
                    for f in &mut s.foreign_keys {
                        if f.table == r.table {
                            rename_list(&mut f.columns, c, &r.to);
                        }
                        if f.ref_table == r.table {
                            rename_list(&mut f.ref_columns, c, &r.to);
                        }
                    }
                }
                None => unused.push(r.clone()),
            },
            None => {
                t.name = r.to.clone();
                for i in s.indexes.iter_mut().filter(|i| i.table == r.table) {
                    i.table = r.to.clone();
                }
                for f in &mut s.foreign_keys {
                    if f.table == r.table {
                        f.table = r.to.clone();
                    }
                    if f.ref_table == r.table {
                        f.ref_table = r.to.clone();
                    }
                }
            }
        }
    }
    (s, unused)
}

/// NOT NULL constraint names keyed by (table, column) as the hints leave
/// them: PostgreSQL keeps a constraint's name through a rename.
pub(super) fn renamed_not_nulls(
    mut nn: super::names::NotNullNames,
    renames: &[Rename],
) -> super::names::NotNullNames {
    for r in renames {
        nn = nn
            .into_iter()
            .map(|((t, c), name)| {
                let key = match &r.column {
                    Some(from) if t == r.table && &c == from => (t, r.to.clone()),
                    None if t == r.table => (r.to.clone(), c),
                    _ => (t, c),
                };
                (key, name)
            })
            .collect();
    }
    nn
}

/// PostgreSQL keeps a constraint's name through a rename: the keys of a
/// renamed table or column keep the names they had, as do its identity
/// sequences.
fn pin_key_names(t: &mut pg::Table) {
    let table = t.name.clone();
    // And a sequence's: PostgreSQL does not rename it with its table.
    for c in t.columns.iter_mut().filter(|c| c.identity) {
        c.sequence = Some(super::columns::sequence_name(&table, c));
    }
    if let Some(k) = t.primary_key.as_mut() {
        k.name = Some(key_name(&table, k, "pkey"));
    }
    for k in &mut t.uniques {
        k.name = Some(key_name(&table, k, "key"));
    }
}

fn rename_in_keys(t: &mut pg::Table, from: &str, to: &str) {
    for k in t.primary_key.iter_mut().chain(t.uniques.iter_mut()) {
        rename_list(&mut k.columns, from, to);
    }
}

fn rename_list(v: &mut [String], from: &str, to: &str) {
    for x in v.iter_mut().filter(|x| x.as_str() == from) {
        *x = to.to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hint_names_a_column_or_a_table() {
        let c = Rename::parse("reaction.content_id=memo_id").unwrap();
        assert_eq!(
            (c.table.as_str(), c.column.as_deref(), c.to.as_str()),
            ("reaction", Some("content_id"), "memo_id")
        );
        let t = Rename::parse("resource=attachment").unwrap();
        assert_eq!(
            (t.table.as_str(), t.column, t.to.as_str()),
            ("resource", None, "attachment")
        );
        assert!(Rename::parse("a.b").is_none());
        assert!(Rename::parse("=b").is_none());
        assert!(Rename::parse("a=").is_none());
    }
}
