//! Column changes: added, altered (identity, default, NOT NULL, type,
//! collation, generated expression), dropped, or dropped and added again
//! (a column that becomes generated; a changed generated expression before
//! PostgreSQL 17), with their hazards.
use super::{Differ, Statement, column, hazard, rows_said, sql, table};
use crate::ident::{quote_ident, quote_ident_raw, quote_literal};
use crate::ir::pg;

/// The first version with `ALTER COLUMN … SET EXPRESSION`.
const SET_EXPRESSION: u32 = 17;

impl Differ<'_> {
    pub(super) fn columns(&self, s: &mut Vec<Statement>) {
        let mut drops = Vec::new();
        for n in &self.new.tables {
            let Some(t) = table(self.old, &n.name) else {
                continue;
            };
            for c in &n.columns {
                match column(t, &c.name) {
                    None => s.push(self.add_column(n, c)),
                    Some(o) if self.readded(o, c) => self.readd_column(n, o, c, s),
                    Some(o) => self.alter_column(n, o, c, s),
                }
            }
            for c in t.columns.iter().filter(|c| column(n, &c.name).is_none()) {
                let st = Statement::new(format!(
                    "{}DROP COLUMN {};",
                    sql::alter(&t.name),
                    quote_ident(&c.name)
                ));
                drops.push(st.with(self.drop_hazard(t, c)));
            }
        }
        s.extend(drops);
    }

    /// Whether the column is dropped and added again: it becomes generated
    /// (no ALTER makes a column generated), or its generated expression
    /// changes on a target before PostgreSQL 17 (or of unknown version).
    pub(super) fn readded(&self, o: &pg::Column, c: &pg::Column) -> bool {
        match (&o.generated, &c.generated) {
            (None, Some(_)) => true,
            (Some(a), Some(b)) => a != b && self.o.target_version < SET_EXPRESSION,
            _ => false,
        }
    }

    /// The columns of `table` this plan drops and adds again.
    pub(super) fn readded_columns(&self, name: &str) -> Vec<&str> {
        let (Some(o), Some(n)) = (table(self.old, name), table(self.new, name)) else {
            return Vec::new();
        };
        n.columns
            .iter()
            .filter(|c| column(o, &c.name).is_some_and(|oc| self.readded(oc, c)))
            .map(|c| c.name.as_str())
            .collect()
    }

    /// Whether a key, CHECK, index or foreign key on `table` reads a column
    /// dropped and added again (DROP COLUMN takes it along): it is dropped
    /// before and created again after. `texts` are matched by the quoted
    /// name, which may match more than it must (then it is only rebuilt).
    pub(super) fn reads_readded(&self, table: &str, texts: &[&str], columns: &[String]) -> bool {
        self.readded_columns(table).iter().any(|c| {
            columns.iter().any(|x| x == c) || texts.iter().any(|t| t.contains(&quote_ident(c)))
        })
    }

    pub(super) fn index_reads_readded(&self, i: &pg::Index) -> bool {
        let mut texts: Vec<&str> = i.elements.iter().map(String::as_str).collect();
        texts.extend(i.where_clause.as_deref());
        self.reads_readded(&i.table, &texts, &[])
    }

    /// DROP COLUMN and ADD COLUMN: generated values are computed again from
    /// the other columns; a column that becomes generated loses its values.
    fn readd_column(&self, t: &pg::Table, o: &pg::Column, c: &pg::Column, s: &mut Vec<Statement>) {
        let tn = &t.name;
        s.push(Statement::new(format!(
            "{}DROP COLUMN {};",
            sql::alter(tn),
            quote_ident(&c.name)
        )));
        let mut add = Statement::new(format!(
            "{}ADD COLUMN {};",
            sql::alter(tn),
            sql::column_def(c)
        ))
        .with(hazard(
            "table-rewrite",
            format!(
                "{tn}.{} is dropped and added again, generated: the table is rewritten to compute it, and the column moves to the end of the table",
                c.name
            ),
        ));
        if o.generated.is_none() {
            add = add.with(hazard(
                "data-loss",
                format!(
                    "{tn}.{} becomes generated: its values{} are replaced by the expression's",
                    c.name,
                    rows_said(self.rows(tn))
                ),
            ));
        }
        s.push(add);
    }

    /// A dropped column loses its values, unless they are generated from
    /// the other columns (a full-text vector): adding it again recomputes them.
    fn drop_hazard(&self, t: &pg::Table, c: &pg::Column) -> super::Hazard {
        if c.generated.is_some() {
            return hazard(
                "access-exclusive-lock",
                format!(
                    "drops generated column {}.{}: no value is lost, adding it again computes them",
                    t.name, c.name
                ),
            );
        }
        let rows = self.rows(&t.name);
        hazard(
            "data-loss",
            format!(
                "drops {}.{} and its values{}",
                t.name,
                c.name,
                rows_said(rows)
            ),
        )
    }

    fn add_column(&self, t: &pg::Table, c: &pg::Column) -> Statement {
        let mut st = Statement::new(format!(
            "{}ADD COLUMN {};",
            sql::alter(&t.name),
            sql::column_def(c)
        ));
        let rows = self.rows(&t.name);
        if c.not_null && c.default.is_none() && !c.identity && c.generated.is_none() {
            let fails = match rows {
                Some(0) => "the old data has no rows, so it succeeds there".to_string(),
                Some(n) => format!("fails: the old data has {n} rows"),
                None => "fails on a table that has rows".to_string(),
            };
            st = st.with(hazard(
                "not-null-on-existing-rows",
                format!(
                    "{}.{} is NOT NULL without a default: {fails}",
                    t.name, c.name
                ),
            ));
        }
        if volatile_default(c) {
            st = st.with(hazard(
                "table-rewrite",
                format!(
                    "{}.{} gets a value per row: the table is rewritten",
                    t.name, c.name
                ),
            ));
        }
        st
    }

    fn alter_column(&self, t: &pg::Table, o: &pg::Column, c: &pg::Column, s: &mut Vec<Statement>) {
        let tn = &t.name;
        let retype = o.pg_type != c.pg_type || o.collation != c.collation;
        if o.identity && !c.identity {
            s.push(
                Statement::new(sql::alter_column(tn, &c.name, "DROP IDENTITY")).with(hazard(
                    "access-exclusive-lock",
                    format!(
                        "{tn}.{} stops being an identity column (its sequence is dropped): inserts must give a value",
                        c.name
                    ),
                )),
            );
        }
        if o.identity && c.identity {
            let (from, to) = (sequence_name(tn, o), sequence_name(tn, c));
            if from != to {
                s.push(Statement::new(format!(
                    "ALTER SEQUENCE {} RENAME TO {};",
                    quote_ident(&from),
                    quote_ident(&to)
                )));
            }
        }
        self.generated_expression(tn, o, c, s);
        // A default goes before a type change: PostgreSQL casts it with the
        // column and refuses one that does not cast; it is set again after.
        if o.default.is_some() && (c.default.is_none() || retype) {
            s.push(Statement::new(sql::alter_column(
                tn,
                &c.name,
                "DROP DEFAULT",
            )));
        }
        if !c.not_null && o.not_null {
            s.push(Statement::new(sql::alter_column(
                tn,
                &c.name,
                "DROP NOT NULL",
            )));
        }
        if retype {
            let mut st = Statement::new(sql::set_type(tn, c));
            if o.pg_type != c.pg_type {
                st = st.with(hazard(
                    "table-rewrite",
                    format!(
                        "{tn}.{} changes type from {} to {}: the table and its indexes are rewritten under an ACCESS EXCLUSIVE lock",
                        c.name, o.pg_type, c.pg_type
                    ),
                ));
                if narrowing(&o.pg_type, &c.pg_type) {
                    st = st.with(hazard(
                        "type-narrowing",
                        format!(
                            "{tn}.{}: values of {} that {} cannot hold make the statement fail",
                            c.name, o.pg_type, c.pg_type
                        ),
                    ));
                }
            } else {
                st = st.with(hazard(
                    "access-exclusive-lock",
                    format!(
                        "{tn}.{} changes collation: its indexes are rebuilt under an ACCESS EXCLUSIVE lock",
                        c.name
                    ),
                ));
            }
            s.push(st);
        }
        if c.default.is_some() && (o.default != c.default || retype) {
            let d = c.default.clone().unwrap_or_default();
            s.push(Statement::new(sql::alter_column(
                tn,
                &c.name,
                &format!("SET DEFAULT {d}"),
            )));
        }
        if c.not_null && !o.not_null {
            self.set_not_null(tn, c, s);
        }
        if c.identity && !o.identity {
            let named = match &c.sequence {
                Some(n) => format!(" (SEQUENCE NAME {})", quote_ident(n)),
                None => String::new(),
            };
            s.push(
                Statement::new(sql::alter_column(
                    tn,
                    &c.name,
                    &format!("ADD GENERATED BY DEFAULT AS IDENTITY{named}"),
                ))
                .with(hazard(
                    "access-exclusive-lock",
                    format!("{tn}.{} becomes an identity column", c.name),
                )),
            );
            // The sequence starts after the ids the rows hold.
            s.push(Statement::new(format!(
                "SELECT setval(pg_get_serial_sequence({}, {}), GREATEST((SELECT max({col}) FROM {}), 0) + 1, false);",
                quote_literal(&quote_ident_raw(tn)),
                quote_literal(&c.name),
                quote_ident(tn),
                col = quote_ident(&c.name)
            )));
        }
    }

    /// A generated expression that changes in place (PostgreSQL 17+), or
    /// a generated column that becomes an ordinary one (its values stay).
    fn generated_expression(
        &self,
        tn: &str,
        o: &pg::Column,
        c: &pg::Column,
        s: &mut Vec<Statement>,
    ) {
        match (&o.generated, &c.generated) {
            (Some(a), Some(b)) if a != b => s.push(
                Statement::new(sql::alter_column(tn, &c.name, &format!("SET EXPRESSION AS ({b})")))
                    .with(hazard(
                        "table-rewrite",
                        format!(
                            "{tn}.{} changes its generated expression: the table is rewritten to compute it again (no value is lost: they are recomputed)",
                            c.name
                        ),
                    )),
            ),
            (Some(_), None) => s.push(
                Statement::new(sql::alter_column(tn, &c.name, "DROP EXPRESSION")).with(hazard(
                    "access-exclusive-lock",
                    format!(
                        "{tn}.{} stops being generated (its values stay)",
                        c.name
                    ),
                )),
            ),
            _ => {}
        }
    }

    /// SET NOT NULL without a long ACCESS EXCLUSIVE scan: a CHECK added
    /// NOT VALID, validated under a weaker lock, lets SET NOT NULL skip its
    /// scan; the CHECK then goes.
    fn set_not_null(&self, tn: &str, c: &pg::Column, s: &mut Vec<Statement>) {
        let check = sql::default_name(tn, std::slice::from_ref(&c.name), "not_null_check");
        let nulls = self.o.old_nulls.get(&(tn.to_string(), c.name.clone()));
        let said = match nulls {
            Some(0) => "the old data has no NULL there".to_string(),
            Some(n) => format!("fails: the old data has {n} NULLs there"),
            None => "fails if a row holds NULL".to_string(),
        };
        s.push(
            Statement::new(format!(
                "{}ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID;",
                sql::alter(tn),
                quote_ident(&check),
                quote_ident(&c.name)
            ))
            .with(hazard(
                "not-null-on-existing-rows",
                format!("{tn}.{} becomes NOT NULL: {said}", c.name),
            )),
        );
        s.push(Statement::new(sql::validate(tn, &check)));
        s.push(Statement::new(sql::alter_column(
            tn,
            &c.name,
            "SET NOT NULL",
        )));
        s.push(Statement::new(sql::drop_constraint(tn, &check)));
    }
}

/// Whether a change of type from `old` to `new` can lose or refuse values.
fn narrowing(old: &str, new: &str) -> bool {
    let rank = |t: &str| match t {
        "smallint" => Some(1),
        "integer" => Some(2),
        "bigint" => Some(3),
        "numeric" => Some(4),
        _ => None,
    };
    match (rank(old), rank(new)) {
        (Some(a), Some(b)) => b < a,
        _ => new != "text",
    }
}

/// A default PostgreSQL cannot store once for all rows (it rewrites the
/// table to fill each row).
fn volatile_default(c: &pg::Column) -> bool {
    let d = c.default.as_deref().unwrap_or("").to_ascii_lowercase();
    c.identity
        || c.generated.is_some()
        || [
            "random(",
            "gen_random_uuid(",
            "clock_timestamp(",
            "nextval(",
        ]
        .iter()
        .any(|f| d.contains(f))
}

/// An identity column's sequence: its own name, or PostgreSQL's
/// `<table>_<column>_seq`.
pub(super) fn sequence_name(table: &str, c: &pg::Column) -> String {
    c.sequence
        .clone()
        .unwrap_or_else(|| sql::default_name(table, std::slice::from_ref(&c.name), "seq"))
}
