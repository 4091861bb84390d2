//! A changed target schema (`--schema`): reads the old `ir::pg` (before
//! the rename hints) and writes the statements that move its objects into
//! the new schema — `CREATE SCHEMA IF NOT EXISTS`, then `SET SCHEMA` for
//! every table (its indexes, constraints and identity sequences follow
//! it), view, trigger function and text search configuration. They come
//! first, then `SET LOCAL search_path` to the new schema: every later
//! statement names objects there. Trigger functions are created again
//! (they keep the search path they were created with); the old schema is
//! left in place, with whatever else it holds.
use super::{Differ, Statement, hazard};
use crate::ident::quote_ident;

impl Differ<'_> {
    pub(super) fn move_namespace(&self, s: &mut Vec<Statement>) {
        let (Some(from), Some(to)) = (&self.before.namespace, &self.new.namespace) else {
            return;
        };
        if from == to {
            return;
        }
        let (from, to) = (quote_ident(from), quote_ident(to));
        s.push(Statement::new(format!("CREATE SCHEMA IF NOT EXISTS {to};")));
        for t in &self.before.tables {
            s.push(
                Statement::new(format!(
                    "ALTER TABLE {from}.{} SET SCHEMA {to};",
                    quote_ident(&t.name)
                ))
                .with(hazard(
                    "access-exclusive-lock",
                    format!(
                        "table {} moves to schema {}: statements that name the old schema must change",
                        t.name,
                        self.new.namespace.as_deref().unwrap_or_default()
                    ),
                )),
            );
        }
        for v in &self.before.views {
            s.push(Statement::new(format!(
                "ALTER VIEW {from}.{} SET SCHEMA {to};",
                quote_ident(&v.name)
            )));
        }
        for t in &self.before.triggers {
            s.push(Statement::new(format!(
                "ALTER FUNCTION {from}.{}() SET SCHEMA {to};",
                quote_ident(&t.function)
            )));
        }
        for c in &self.before.text_search_configs {
            s.push(Statement::new(format!(
                "ALTER TEXT SEARCH CONFIGURATION {from}.{} SET SCHEMA {to};",
                quote_ident(&c.name)
            )));
        }
        // The statements after name objects in the schema they moved to
        // (down.sql moves back, under up.sql's search path).
        s.push(Statement::new(format!("SET LOCAL search_path TO {to};")));
    }
}
