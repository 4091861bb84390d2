//! The passes of the rewrite stage and the state they share.
//!
//! [`Rewrite`] holds what every pass reads ([`Source`]: the SQLite schema,
//! the rule pack, the options and the facts built once from them) and what
//! the passes build together: the PostgreSQL schema, the diagnostics, the
//! names taken and the extensions needed. Each pass is one file with a
//! `run` (or a per-table function); `rewrite_ir` lists them in order.
pub(super) mod columns;
pub(super) mod defaults;
pub(super) mod extensions;
pub(super) mod fk_types;
pub(super) mod foreign_keys;
pub(super) mod fts;
pub(super) mod indexes;
pub(super) mod keys;
pub(super) mod naming;
pub(super) mod tables;
pub(super) mod triggers;
pub(super) mod unreadable;
pub(super) mod upper_case;
pub(super) mod views;

use super::eval::template_env;
use super::{RewriteOptions, RulePack, facts};
use crate::diag::Diagnostics;
use crate::ir::{pg, sqlite};
use crate::translate::query::Catalog;
use crate::translate::{ColumnInfo, ExprContext, TimeSource};
use naming::{Namer, TableNames};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// What every pass reads and none writes.
pub(super) struct Source<'a> {
    pub schema: &'a sqlite::Schema,
    pub pack: &'a RulePack,
    pub opts: &'a RewriteOptions,
    /// The pack's templates, each compiled once.
    pub env: minijinja::Environment<'static>,
    pub target_facts: Value,
    pub target_mj: minijinja::Value,
    /// DDL input has no profile: its (all-zero) facts are built once.
    pub no_profile: Value,
    pub namer: Namer,
}

impl Source<'_> {
    pub fn pgcrypto(&self) -> bool {
        self.opts.target.has_extension("pgcrypto")
    }
}

/// The state the passes hand on, each reading what earlier ones wrote.
pub(super) struct Rewrite<'a> {
    pub src: Source<'a>,
    /// The SQLite tables that are migrated, in schema order (the table
    /// pass); from the column pass on, `out.tables` holds their PostgreSQL
    /// tables at the same positions.
    pub migrated: Vec<&'a sqlite::Table>,
    /// Lower-cased SQLite table name → its PostgreSQL names.
    pub names: BTreeMap<String, TableNames>,
    /// The FTS virtual tables the table rules hand to the full-text pass
    /// (`action: fts`), in schema order.
    pub fts: Vec<&'a sqlite::Table>,
    /// Relation names share one namespace in PostgreSQL: tables, indexes,
    /// views, sequences — and the names of PRIMARY KEY and UNIQUE
    /// constraints, which name their index.
    pub relnames: BTreeSet<String>,
    /// PostgreSQL table name → the constraint names taken on it (a table's
    /// constraints of every kind share one namespace).
    pub connames: BTreeMap<String, BTreeSet<String>>,
    /// Extensions the translated expressions and types need.
    pub extensions: BTreeSet<String>,
    /// Views and triggers of the spatial packages (or on tables not
    /// migrated) skipped, for one note.
    pub machinery: usize,
    /// The relations a query may read once the view pass is done: the
    /// migrated tables and the translated views (the trigger pass reads it).
    pub catalog: Catalog,
    pub out: pg::Schema,
    pub diags: Diagnostics,
}

impl<'a> Rewrite<'a> {
    pub fn new(
        schema: &'a sqlite::Schema,
        pack: &'a RulePack,
        opts: &'a RewriteOptions,
    ) -> Rewrite<'a> {
        let target_facts = facts::target_facts(&opts.target);
        let target_mj = minijinja::Value::from(minijinja::value::Serde(&target_facts));
        Rewrite {
            src: Source {
                schema,
                pack,
                opts,
                env: template_env(pack),
                target_facts,
                target_mj,
                no_profile: facts::profile_facts(None),
                namer: Namer {
                    naming: opts.naming,
                },
            },
            migrated: Vec::new(),
            names: BTreeMap::new(),
            fts: Vec::new(),
            relnames: BTreeSet::new(),
            connames: BTreeMap::new(),
            extensions: BTreeSet::new(),
            machinery: 0,
            catalog: Catalog::default(),
            out: pg::Schema {
                extensions: vec![],
                namespace: opts.namespace.clone(),
                tables: vec![],
                indexes: vec![],
                foreign_keys: vec![],
                sequence_resets: vec![],
                views: vec![],
                triggers: vec![],
                kept_as_comment: vec![],
                skipped: vec![],
                app_impact: vec![],
                text_search_configs: vec![],
                full_text: vec![],
            },
            diags: Diagnostics::default(),
        }
    }

    /// Calls `f` with each migrated table and its PostgreSQL table, in
    /// order. `out.tables` is empty while `f` runs: the table being worked
    /// on is the one `f` is given.
    pub fn each_table(
        &mut self,
        mut f: impl FnMut(&mut Rewrite<'a>, &'a sqlite::Table, &mut pg::Table),
    ) {
        let mut tables = std::mem::take(&mut self.out.tables);
        for (t, pt) in self.migrated.clone().into_iter().zip(tables.iter_mut()) {
            f(self, t, pt);
        }
        self.out.tables = tables;
    }

    /// The schema and its diagnostics, each diagnostic pointed at the
    /// statement that created its object.
    pub fn finish(mut self) -> (pg::Schema, Diagnostics) {
        locate(self.src.schema, &mut self.diags);
        (self.out, self.diags)
    }
}

/// Point each diagnostic about a schema object at the statement that
/// created it: the input file and, for DDL text, its line.
fn locate(schema: &sqlite::Schema, diags: &mut Diagnostics) {
    for d in diags.0.iter_mut() {
        if d.span.file.is_some() {
            continue;
        }
        let Some(object) = d.span.object.clone() else {
            continue;
        };
        let table = object.split(['.', '(']).next().unwrap_or(&object);
        let objects = (schema.tables.iter().map(|t| (&t.name, t.line)))
            .chain(schema.indexes.iter().map(|i| (&i.name, i.line)))
            .chain(schema.views.iter().map(|v| (&v.name, v.line)))
            .chain(schema.triggers.iter().map(|t| (&t.name, t.line)));
        let line = objects
            .clone()
            .find(|(n, _)| *n == &object)
            .or_else(|| objects.clone().find(|(n, _)| *n == table))
            .map(|(_, l)| l);
        if let Some(line) = line {
            d.span.file = Some(schema.origin.clone());
            d.span.line = line;
        }
    }
}

/// The `table`, `column`, `profile` and `target` roots of a column's facts.
pub(super) fn column_fact_roots<'s>(
    src: &'s Source<'_>,
    t: &sqlite::Table,
    c: &sqlite::Column,
    table_facts: &'s Value,
) -> Vec<(&'static str, Cow<'s, Value>)> {
    let profile = match &c.profile {
        Some(p) => Cow::Owned(facts::profile_facts(Some(p))),
        None => Cow::Borrowed(&src.no_profile),
    };
    vec![
        ("table", Cow::Borrowed(table_facts)),
        ("column", Cow::Owned(facts::column_facts(src.schema, t, c))),
        ("profile", profile),
        ("target", Cow::Borrowed(&src.target_facts)),
    ]
}

/// The SQLite storage class of a column's values as PostgreSQL now holds
/// them: what `typeof()` means after the migration. `None` when it depends
/// on the value (numeric holds SQLite's integers and reals).
pub(super) fn sqlite_class(conv: pg::Converter) -> Option<&'static str> {
    use pg::Converter as C;
    match conv {
        C::Integer | C::Boolean | C::EpochSeconds | C::EpochMillis | C::EpochMicros => {
            Some("integer")
        }
        C::Real | C::JulianDay => Some("real"),
        C::Text | C::AnyText | C::Json | C::UuidText | C::IsoTimestamp | C::IsoDate => Some("text"),
        C::Bytes
        | C::UuidBlob
        | C::Float32Vector
        | C::Float32Array
        | C::GeopackageGeometry
        | C::SpatialiteGeometry => Some("blob"),
        C::Numeric => None,
    }
}

/// Translation scope over a table's decided columns.
pub(super) fn expr_context(
    pt: &pg::Table,
    target_type: Option<&str>,
    pgcrypto: bool,
) -> ExprContext {
    let mut columns = BTreeMap::new();
    for c in &pt.columns {
        columns.insert(
            c.source_name.to_ascii_lowercase(),
            ColumnInfo {
                pg_name: c.name.clone(),
                pg_type: c.pg_type.clone(),
                sqlite_class: sqlite_class(c.converter),
                time: TimeSource::of(c.converter),
            },
        );
    }
    ExprContext {
        columns,
        target_type: target_type.map(str::to_string),
        pgcrypto,
        ..ExprContext::default()
    }
}
