//! Column changes: added, altered (identity, default, NOT NULL, type,
//! collation) and dropped, with their hazards.
use super::{Differ, Statement, column, hazard, rows_said, sql, table};
use crate::ident::quote_ident;
use crate::ir::pg;

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
                    Some(o) => self.alter_column(n, o, c, s),
                }
            }
            for c in t.columns.iter().filter(|c| column(n, &c.name).is_none()) {
                let rows = self.rows(&t.name);
                let message = format!(
                    "drops {}.{} and its values{}",
                    t.name,
                    c.name,
                    rows_said(rows)
                );
                drops.push(
                    Statement::new(format!(
                        "{}DROP COLUMN {};",
                        sql::alter(&t.name),
                        quote_ident(&c.name)
                    ))
                    .with(hazard("data-loss", message)),
                );
            }
        }
        s.extend(drops);
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
            s.push(Statement::new(sql::alter_column(
                tn,
                &c.name,
                "DROP IDENTITY",
            )));
        }
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
            s.push(
                Statement::new(sql::alter_column(
                    tn,
                    &c.name,
                    "ADD GENERATED BY DEFAULT AS IDENTITY",
                ))
                .with(hazard(
                    "access-exclusive-lock",
                    format!("{tn}.{} becomes an identity column", c.name),
                )),
            );
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
