//! Text search configurations (the full-text translation's
//! `simple_unaccent`, `english_unaccent`): reads the old and new
//! `ir::pg` lists and writes the statements that create the ones the new
//! schema adds — before any table or column whose generated `tsvector`
//! names them — and drop the ones it no longer has, after the tables and
//! columns that used them are gone. One present on both sides whose
//! mappings differ has them altered in place (stored vectors keep the
//! words the old mapping made until their row is written again).
use super::{Differ, Statement};
use crate::ident::quote_ident;
use crate::ir::pg;

fn config<'a>(s: &'a pg::Schema, name: &str) -> Option<&'a pg::TextSearchConfig> {
    s.text_search_configs.iter().find(|c| c.name == name)
}

fn mappings(c: &pg::TextSearchConfig, s: &mut Vec<Statement>) {
    for m in &c.mappings {
        s.push(Statement::new(format!(
            "ALTER TEXT SEARCH CONFIGURATION {} ALTER MAPPING FOR {} WITH {};",
            quote_ident(&c.name),
            super::sql::idents(&m.tokens),
            super::sql::idents(&m.dictionaries)
        )));
    }
}

impl Differ<'_> {
    pub(super) fn create_text_search_configs(&self, s: &mut Vec<Statement>) {
        let changed: Vec<&pg::TextSearchConfig> = self
            .new
            .text_search_configs
            .iter()
            .filter(|c| config(self.old, &c.name) != Some(*c))
            .collect();
        if changed.is_empty() {
            return;
        }
        // The unaccent dictionary is in its extension's schema, which the
        // search path may not name (as in `01_schema.sql`).
        let unaccent = crate::emit::extension_path_sql(&["unaccent".to_string()], true);
        s.push(Statement::new(unaccent));
        for c in changed {
            if config(self.old, &c.name).is_none() {
                s.push(Statement::new(format!(
                    "CREATE TEXT SEARCH CONFIGURATION {} (COPY = pg_catalog.{});",
                    quote_ident(&c.name),
                    quote_ident(&c.copy)
                )));
            }
            mappings(c, s);
        }
    }

    pub(super) fn drop_text_search_configs(&self, s: &mut Vec<Statement>) {
        for c in &self.old.text_search_configs {
            if config(self.new, &c.name).is_none() {
                s.push(Statement::new(format!(
                    "DROP TEXT SEARCH CONFIGURATION {};",
                    quote_ident(&c.name)
                )));
            }
        }
    }
}
