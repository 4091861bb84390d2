//! diff: two compiled schemas (`ir::pg`, old and new) → the ALTERs that take
//! a database from the old to the new, ordered to be safe, each statement
//! with its hazards.
//!
//! Input: the old and new `ir::pg::Schema`s, both compiled through the same
//! rules (see [`keep::keep_decisions`] for a column whose declaration did not
//! change), and [`DiffOptions`] (rename hints, CONCURRENTLY, what the old
//! data says). Output: a [`Plan`] — statements in order, each with the
//! [`Hazard`]s a reviewer must accept — rendered by [`render`].
//!
//! Order: a changed target schema is moved first; extensions the new
//! schema needs are created, then the text search configurations it adds;
//! views and triggers that change are dropped; renames; then foreign
//! keys, indexes, keys and CHECKs that go or change; keys renamed to the
//! names a fresh schema gives them ([`names`]); new tables;
//! new columns; column changes; dropped columns; then CHECKs (NOT VALID, then
//! VALIDATE), keys, indexes, foreign keys (NOT VALID, then VALIDATE); old
//! tables are dropped last (create before drop), then the keys whose names
//! they held are renamed or added, and configurations no longer used
//! dropped; views and triggers are
//! created again at the end, and extensions no longer needed dropped
//! (RESTRICT). SET NOT NULL goes through a `CHECK (c IS NOT
//! NULL) NOT VALID` that is validated first, so the ACCESS EXCLUSIVE lock of
//! SET NOT NULL does not scan.
//!
//! Invariants: renames only by an explicit hint (otherwise a drop and an add,
//! flagged `data-loss`); statements on a table created in the same plan
//! carry no hazard (it is empty); deterministic: schema order throughout.
use crate::ident::quote_ident;
use crate::ir::pg;
use std::collections::{BTreeMap, BTreeSet};

mod columns;
pub mod keep;
pub mod names;
mod namespace;
mod rename;
pub mod render;
pub mod sql;
mod text_search;
mod unsupported;

pub use rename::Rename;
use rename::renamed;
pub use unsupported::{Unsupported, unsupported};

/// A kebab-case hazard code with what it means here and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hazard {
    pub code: &'static str,
    pub message: String,
    pub help: &'static str,
}

/// Every hazard code, with its help text.
pub const HAZARDS: &[(&str, &str)] = &[
    (
        "data-loss",
        "copy the data elsewhere first, or give --rename when this is a rename",
    ),
    (
        "table-rewrite",
        "the table is rewritten under an ACCESS EXCLUSIVE lock: run it in a maintenance window",
    ),
    (
        "access-exclusive-lock",
        "reads and writes of the table wait for the statement; run it when the table is quiet, with a lock_timeout",
    ),
    (
        "index-build",
        "writes to the table wait while the index builds: --concurrently builds it without blocking, outside the transaction",
    ),
    (
        "type-narrowing",
        "values the new type cannot hold make the statement fail: check the data first",
    ),
    (
        "not-null-on-existing-rows",
        "existing rows need a value: give the column a DEFAULT, or fill it before the constraint",
    ),
    (
        "unique-on-existing-rows",
        "duplicate values in existing rows make the statement fail: check the data first",
    ),
];

pub(crate) fn hazard(code: &'static str, message: String) -> Hazard {
    let help = HAZARDS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, h)| *h)
        .unwrap_or("");
    Hazard {
        code,
        message,
        help,
    }
}

/// One statement of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    pub hazards: Vec<Hazard>,
    /// Runs after the transaction (`CREATE INDEX CONCURRENTLY`).
    pub outside_transaction: bool,
}

impl Statement {
    pub(crate) fn new(sql: String) -> Statement {
        Statement {
            sql,
            hazards: Vec::new(),
            outside_transaction: false,
        }
    }

    pub(crate) fn with(mut self, h: Hazard) -> Statement {
        self.hazards.push(h);
        self
    }
}

#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    pub renames: Vec<Rename>,
    /// Build new indexes on existing tables with CONCURRENTLY, after COMMIT.
    pub concurrently: bool,
    /// NULL counts of the old data, per (PostgreSQL table, column), when
    /// the old side is a database.
    pub old_nulls: BTreeMap<(String, String), u64>,
    /// The target records NOT NULL as named constraints (PostgreSQL 18).
    pub not_null_constraints: bool,
    /// The target's major version (`--pg-version`); 0 when unknown, which
    /// writes the statements every supported version runs.
    pub target_version: u32,
}

/// The ordered statements.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub statements: Vec<Statement>,
    /// Rename hints that matched nothing in the old schema (new name must exist in the new one).
    pub unused_renames: Vec<Rename>,
}

impl Plan {
    pub fn hazards(&self) -> impl Iterator<Item = (&Statement, &Hazard)> {
        self.statements
            .iter()
            .flat_map(|s| s.hazards.iter().map(move |h| (s, h)))
    }

    /// Whether every statement can be undone by the reverse plan: nothing
    /// dropped that held data.
    pub fn reversible(&self) -> bool {
        self.hazards().all(|(_, h)| h.code != "data-loss")
    }
}

/// Whether hint `r` renamed nothing in `now` (the old schema once it ran).
fn rename_unused(now: &pg::Schema, r: &Rename) -> bool {
    let target_table = if r.column.is_some() { &r.table } else { &r.to };
    table(now, target_table).is_none_or(|t| {
        r.column
            .as_ref()
            .is_some_and(|_| column(t, &r.to).is_none())
    })
}

/// The plan that takes `old` to `new`.
///
/// Both sides are first named as PostgreSQL names them ([`names::named`]):
/// the old as its set left the database, the new as its set would from
/// scratch; a key or NOT NULL whose name differs is renamed.
pub fn plan(old: &pg::Schema, new: &pg::Schema, o: &DiffOptions) -> Plan {
    let (old, old_nn) = names::named(old, o.not_null_constraints);
    let (new, new_nn) = names::named(new, o.not_null_constraints);
    let (old, new) = (&old, &new);
    let after = renamed(old, &o.renames);
    let d = Differ {
        before: old,
        old: &after.0,
        new,
        o,
        old_nn: rename::renamed_not_nulls(old_nn, &o.renames),
        new_nn,
    };
    let mut p = Plan {
        unused_renames: after.1.clone(),
        ..Plan::default()
    };
    let s = &mut p.statements;
    d.move_namespace(s);
    for e in new
        .extensions
        .iter()
        .filter(|e| !d.old.extensions.contains(e))
    {
        s.push(Statement::new(format!(
            "CREATE EXTENSION IF NOT EXISTS {};",
            quote_ident(e)
        )));
    }
    d.create_text_search_configs(s);
    d.drop_views_and_triggers(s);
    d.renames(s);
    d.drop_foreign_keys(s);
    d.drop_indexes(s);
    d.drop_keys_and_checks(s);
    d.rename_keys(s, false);
    d.create_tables(s);
    d.columns(s);
    d.add_checks(s);
    d.add_keys(s, false);
    d.add_indexes(s);
    d.add_foreign_keys(s);
    d.drop_tables(s);
    // Names a dropped table's relations held, free only now.
    d.rename_keys(s, true);
    d.add_keys(s, true);
    d.drop_text_search_configs(s);
    d.create_views_and_triggers(s);
    // RESTRICT: fails rather than drop what still uses it.
    for e in d
        .old
        .extensions
        .iter()
        .filter(|e| !new.extensions.contains(e))
    {
        s.push(Statement::new(format!(
            "DROP EXTENSION IF EXISTS {};",
            quote_ident(e)
        )));
    }
    p
}

struct Differ<'a> {
    /// The old schema before the rename hints.
    before: &'a pg::Schema,
    /// The old schema as the rename hints leave it.
    old: &'a pg::Schema,
    new: &'a pg::Schema,
    o: &'a DiffOptions,
    /// NOT NULL constraint names (PostgreSQL 18): the old side's as the
    /// rename hints leave them, and the new side's.
    old_nn: names::NotNullNames,
    new_nn: names::NotNullNames,
}

pub(crate) fn table<'a>(s: &'a pg::Schema, name: &str) -> Option<&'a pg::Table> {
    s.tables.iter().find(|t| t.name == name)
}

pub(crate) fn column<'a>(t: &'a pg::Table, name: &str) -> Option<&'a pg::Column> {
    t.columns.iter().find(|c| c.name == name)
}

/// A key's identity: its name, or PostgreSQL's name for it.
pub(crate) fn key_name(table: &str, k: &pg::Key, label: &str) -> String {
    let columns: &[String] = if label == "pkey" { &[] } else { &k.columns };
    k.name
        .clone()
        .unwrap_or_else(|| sql::default_name(table, columns, label))
}

/// A table's keys as (name, kind, key), primary first.
fn keys(t: &pg::Table) -> Vec<(String, &'static str, &pg::Key)> {
    let pk = t
        .primary_key
        .iter()
        .map(|k| (key_name(&t.name, k, "pkey"), "PRIMARY KEY", k));
    let uq = t
        .uniques
        .iter()
        .map(|k| (key_name(&t.name, k, "key"), "UNIQUE", k));
    pk.chain(uq).collect()
}

fn same_shape(a: &(String, &str, &pg::Key), b: &(String, &str, &pg::Key)) -> bool {
    a.1 == b.1 && a.2.columns == b.2.columns
}

fn check_id(k: &pg::CheckConstraint) -> &str {
    k.name.as_deref().unwrap_or(&k.expr)
}

fn same_index(a: &pg::Index, b: &pg::Index) -> bool {
    (&a.table, a.unique, &a.using, &a.elements, &a.where_clause)
        == (&b.table, b.unique, &b.using, &b.elements, &b.where_clause)
}

fn same_fk(a: &pg::ForeignKey, b: &pg::ForeignKey) -> bool {
    (
        &a.table,
        &a.columns,
        &a.ref_table,
        &a.ref_columns,
        &a.on_delete,
        &a.on_update,
        &a.deferrable,
    ) == (
        &b.table,
        &b.columns,
        &b.ref_table,
        &b.ref_columns,
        &b.on_delete,
        &b.on_update,
        &b.deferrable,
    )
}

impl Differ<'_> {
    pub(crate) fn rows(&self, table: &str) -> Option<u64> {
        table_rows(self.old, table)
    }

    /// A table of the new schema that the old one had (so it may hold rows).
    fn existing(&self, name: &str) -> bool {
        table(self.old, name).is_some() && table(self.new, name).is_some()
    }

    fn changed_tables(&self) -> BTreeSet<&str> {
        self.new
            .tables
            .iter()
            .filter(|t| {
                table(self.old, &t.name).is_some_and(|o| {
                    o.columns.len() != t.columns.len()
                        || o.columns.iter().zip(&t.columns).any(|(a, b)| {
                            (&a.name, &a.pg_type, &a.collation)
                                != (&b.name, &b.pg_type, &b.collation)
                        })
                }) || !self.readded_columns(&t.name).is_empty()
            })
            .map(|t| t.name.as_str())
            .chain(
                self.old
                    .tables
                    .iter()
                    .filter(|t| table(self.new, &t.name).is_none())
                    .map(|t| t.name.as_str()),
            )
            .collect()
    }

    /// Views that change or read a table whose columns change: dropped
    /// first, created again at the end.
    fn views_to_rebuild(&self) -> (Vec<&pg::View>, Vec<&pg::View>) {
        let changed = self.changed_tables();
        let mut gone: BTreeSet<&str> = BTreeSet::new();
        for v in &self.old.views {
            let now = self.new.views.iter().find(|n| n.name == v.name);
            let reads_changed = v.depends_on.iter().any(|d| changed.contains(d.as_str()));
            let reads_gone = v.depends_on.iter().any(|d| gone.contains(d.as_str()));
            if now.is_none_or(|n| n.sql != v.sql) || reads_changed || reads_gone {
                gone.insert(&v.name);
            }
        }
        let drop = self
            .old
            .views
            .iter()
            .filter(|v| gone.contains(v.name.as_str()))
            .collect();
        let create = self
            .new
            .views
            .iter()
            .filter(|v| {
                gone.contains(v.name.as_str()) || !self.old.views.iter().any(|o| o.name == v.name)
            })
            .collect();
        (drop, create)
    }

    fn triggers_to_rebuild(&self) -> (Vec<&pg::Trigger>, Vec<&pg::Trigger>) {
        let same = |a: &pg::Trigger, b: &pg::Trigger| {
            (
                &a.name,
                &a.function,
                &a.table,
                &a.timing,
                &a.event,
                &a.update_of,
                &a.body,
            ) == (
                &b.name,
                &b.function,
                &b.table,
                &b.timing,
                &b.event,
                &b.update_of,
                &b.body,
            )
        };
        // A trigger function keeps the search path it was created with.
        let moved = self.before.namespace != self.new.namespace;
        let kept =
            |t: &pg::Trigger, other: &[pg::Trigger]| !moved && other.iter().any(|o| same(t, o));
        let drop = self
            .old
            .triggers
            .iter()
            .filter(|t| !kept(t, &self.new.triggers) && table(self.new, &t.table).is_some())
            .collect();
        let create = self
            .new
            .triggers
            .iter()
            .filter(|t| !kept(t, &self.old.triggers))
            .collect();
        (drop, create)
    }

    fn drop_views_and_triggers(&self, s: &mut Vec<Statement>) {
        for t in self.triggers_to_rebuild().0.into_iter().rev() {
            s.push(Statement::new(format!(
                "DROP TRIGGER {} ON {};",
                quote_ident(&t.name),
                quote_ident(&t.table)
            )));
            s.push(Statement::new(format!(
                "DROP FUNCTION {}();",
                quote_ident(&t.function)
            )));
        }
        for v in self.views_to_rebuild().0.into_iter().rev() {
            s.push(Statement::new(format!(
                "DROP VIEW {};",
                quote_ident(&v.name)
            )));
        }
    }

    fn create_views_and_triggers(&self, s: &mut Vec<Statement>) {
        for v in self.views_to_rebuild().1 {
            s.push(Statement::new(format!(
                "CREATE VIEW {} AS\n{};",
                quote_ident(&v.name),
                v.sql
            )));
        }
        for t in self.triggers_to_rebuild().1 {
            let of = if t.update_of.is_empty() {
                String::new()
            } else {
                format!(" OF {}", sql::idents(&t.update_of))
            };
            let tag = crate::emit::dollar_tag(&t.body);
            let search = if self.new.namespace.is_some() {
                " SET search_path FROM CURRENT"
            } else {
                ""
            };
            s.push(Statement::new(format!(
                "CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql{search} AS {tag}\n{}\n{tag};",
                quote_ident(&t.function),
                t.body
            )));
            s.push(Statement::new(format!(
                "CREATE TRIGGER {} {} {}{of} ON {} FOR EACH ROW EXECUTE FUNCTION {}();",
                quote_ident(&t.name),
                t.timing,
                t.event,
                quote_ident(&t.table),
                quote_ident(&t.function)
            )));
        }
    }

    fn drop_foreign_keys(&self, s: &mut Vec<Statement>) {
        for f in &self.old.foreign_keys {
            let kept = self
                .new
                .foreign_keys
                .iter()
                .any(|n| n.name == f.name && same_fk(f, n))
                && !self.reads_readded(&f.table, &[], &f.columns);
            if !kept && table(self.new, &f.table).is_some() {
                s.push(Statement::new(sql::drop_constraint(&f.table, &f.name)));
            }
        }
    }

    fn drop_indexes(&self, s: &mut Vec<Statement>) {
        for i in &self.old.indexes {
            let kept = self
                .new
                .indexes
                .iter()
                .any(|n| n.name == i.name && same_index(i, n))
                && !self.index_reads_readded(i);
            if kept || table(self.new, &i.table).is_none() {
                continue;
            }
            match self
                .index_renamed(i)
                .filter(|_| !self.index_reads_readded(i))
            {
                Some(n) => s.push(Statement::new(format!(
                    "ALTER INDEX {} RENAME TO {};",
                    quote_ident(&i.name),
                    quote_ident(&n.name)
                ))),
                None => s.push(Statement::new(sql::drop_index(&i.name))),
            }
        }
    }

    /// The new index that is `old` under another name (a renamed table
    /// or column took its name along): renamed, not rebuilt.
    fn index_renamed(&self, old: &pg::Index) -> Option<&pg::Index> {
        let named = |s: &pg::Schema, n: &str| s.indexes.iter().any(|i| i.name == n);
        self.new.indexes.iter().find(|n| {
            same_index(old, n) && !named(self.old, &n.name) && !named(self.new, &old.name)
        })
    }

    fn drop_keys_and_checks(&self, s: &mut Vec<Statement>) {
        for t in &self.old.tables {
            let Some(n) = table(self.new, &t.name) else {
                continue;
            };
            let new_keys = keys(n);
            for k in keys(t) {
                let readded = self.reads_readded(&t.name, &[], &k.2.columns);
                if readded || !new_keys.iter().any(|x| same_shape(x, &k)) {
                    s.push(Statement::new(sql::drop_constraint(&t.name, &k.0)));
                }
            }
            for k in &t.checks {
                let kept = n
                    .checks
                    .iter()
                    .any(|x| check_id(x) == check_id(k) && x.expr == k.expr)
                    && !self.reads_readded(&t.name, &[&k.expr], &[]);
                if !kept {
                    let name = k
                        .name
                        .clone()
                        .unwrap_or_else(|| sql::default_name(&t.name, &[], "check"));
                    s.push(Statement::new(sql::drop_constraint(&t.name, &name)));
                }
            }
        }
    }

    /// A key the new schema has under another name: renamed, after the
    /// drops. `late`: only those whose new name a dropped table's relation
    /// holds (run after the tables are dropped); otherwise the others.
    fn rename_keys(&self, s: &mut Vec<Statement>, late: bool) {
        for t in &self.old.tables {
            let Some(n) = table(self.new, &t.name) else {
                continue;
            };
            let new_keys = keys(n);
            for k in keys(t) {
                let Some(x) = new_keys.iter().find(|x| same_shape(x, &k)) else {
                    continue;
                };
                let readded = self.reads_readded(&t.name, &[], &k.2.columns);
                if x.0 != k.0 && self.late(&x.0) == late && !readded {
                    s.push(Statement::new(format!(
                        "{}RENAME CONSTRAINT {} TO {};",
                        sql::alter(&t.name),
                        quote_ident(&k.0),
                        quote_ident(&x.0)
                    )));
                }
            }
        }
    }

    /// Whether `name` is held by a relation of an old table this plan
    /// drops (the table, its key indexes, indexes, identity sequences).
    fn late(&self, name: &str) -> bool {
        let gone = self
            .old
            .tables
            .iter()
            .filter(|t| table(self.new, &t.name).is_none());
        gone.into_iter().any(|t| {
            let sequence = |c: &pg::Column| columns::sequence_name(&t.name, c);
            t.name == name
                || keys(t).iter().any(|k| k.0 == name)
                || self
                    .old
                    .indexes
                    .iter()
                    .any(|i| i.table == t.name && i.name == name)
                || t.columns
                    .iter()
                    .filter(|c| c.identity)
                    .any(|c| sequence(c) == name)
        })
    }

    fn create_tables(&self, s: &mut Vec<Statement>) {
        for t in &self.new.tables {
            if table(self.old, &t.name).is_none() {
                s.push(Statement::new(sql::create_table(t)));
            }
        }
    }

    /// The hints in the order given, each against the old schema as the
    /// hints before it left it.
    fn renames(&self, s: &mut Vec<Statement>) {
        for (i, r) in self.o.renames.iter().enumerate() {
            let now = renamed(self.before, &self.o.renames[..=i]).0;
            if rename_unused(&now, r) {
                continue;
            }
            let text = match &r.column {
                Some(c) => format!(
                    "{}RENAME COLUMN {} TO {};",
                    sql::alter(&r.table),
                    quote_ident(c),
                    quote_ident(&r.to)
                ),
                None => format!("{}RENAME TO {};", sql::alter(&r.table), quote_ident(&r.to)),
            };
            s.push(Statement::new(text));
        }
        self.rename_not_nulls(s);
    }

    /// PostgreSQL 18 records NOT NULL as a named constraint and keeps the
    /// name through a rename of its table or column, and numbers it when
    /// the name was taken: a column NOT NULL on both sides whose constraint
    /// a fresh schema would name otherwise is renamed to that name.
    fn rename_not_nulls(&self, s: &mut Vec<Statement>) {
        for ((t, c), to) in &self.new_nn {
            let from = self.old_nn.get(&(t.clone(), c.clone()));
            if let Some(from) = from.filter(|f| *f != to && self.existing(t)) {
                s.push(Statement::new(format!(
                    "{}RENAME CONSTRAINT {} TO {};",
                    sql::alter(t),
                    quote_ident(from),
                    quote_ident(to)
                )));
            }
        }
    }

    fn add_checks(&self, s: &mut Vec<Statement>) {
        for n in &self.new.tables {
            let Some(t) = table(self.old, &n.name) else {
                continue;
            };
            for k in &n.checks {
                let kept = t
                    .checks
                    .iter()
                    .any(|x| check_id(x) == check_id(k) && x.expr == k.expr)
                    && !self.reads_readded(&n.name, &[&k.expr], &[]);
                if kept {
                    continue;
                }
                let name = k
                    .name
                    .clone()
                    .unwrap_or_else(|| sql::default_name(&n.name, &[], "check"));
                let named = pg::CheckConstraint {
                    name: Some(name.clone()),
                    ..k.clone()
                };
                s.push(Statement::new(format!(
                    "{}ADD {} NOT VALID;",
                    sql::alter(&n.name),
                    sql::check_def(&named)
                )));
                s.push(Statement::new(sql::validate(&n.name, &name)));
            }
        }
    }

    /// Keys the old schema lacks; `late`: only those whose name a dropped
    /// table's relation holds, otherwise the others.
    fn add_keys(&self, s: &mut Vec<Statement>, late: bool) {
        for n in &self.new.tables {
            let old_keys = table(self.old, &n.name).map(keys).unwrap_or_default();
            for k in keys(n) {
                let readded = self.reads_readded(&n.name, &[], &k.2.columns);
                let kept = old_keys.iter().any(|x| same_shape(x, &k)) && !readded;
                if kept || self.late(&k.0) != late {
                    continue;
                }
                let mut st = Statement::new(sql::add_key(&n.name, k.2, k.1));
                if self.existing(&n.name) {
                    st = st
                        .with(hazard(
                            "access-exclusive-lock",
                            format!(
                                "{} on {} builds its index under an ACCESS EXCLUSIVE lock",
                                k.1, n.name
                            ),
                        ))
                        .with(hazard(
                            "unique-on-existing-rows",
                            format!(
                                "{} ({}) fails if existing rows repeat a value",
                                k.1,
                                k.2.columns.join(", ")
                            ),
                        ));
                }
                s.push(st);
            }
        }
    }

    fn add_indexes(&self, s: &mut Vec<Statement>) {
        for i in &self.new.indexes {
            let kept = self.old.indexes.iter().any(|x| {
                same_index(x, i)
                    && (x.name == i.name || self.index_renamed(x).is_some_and(|n| n.name == i.name))
            }) && !self.index_reads_readded(i);
            if kept {
                continue;
            }
            let existing = self.existing(&i.table);
            let concurrently = existing && self.o.concurrently;
            let mut st = Statement::new(sql::create_index(i, concurrently));
            st.outside_transaction = concurrently;
            if existing && !concurrently {
                st = st.with(hazard(
                    "index-build",
                    format!(
                        "index {} on {} blocks writes while it builds",
                        i.name, i.table
                    ),
                ));
            }
            s.push(st);
        }
    }

    fn add_foreign_keys(&self, s: &mut Vec<Statement>) {
        let added: Vec<&pg::ForeignKey> = self
            .new
            .foreign_keys
            .iter()
            .filter(|f| {
                !self
                    .old
                    .foreign_keys
                    .iter()
                    .any(|x| x.name == f.name && same_fk(x, f))
                    || self.reads_readded(&f.table, &[], &f.columns)
            })
            .collect();
        for f in &added {
            s.push(Statement::new(sql::add_foreign_key(f)));
        }
        for f in added.iter().filter(|f| f.validate) {
            s.push(Statement::new(sql::validate(&f.table, &f.name)));
        }
    }

    fn drop_tables(&self, s: &mut Vec<Statement>) {
        let gone: Vec<&pg::Table> = self
            .old
            .tables
            .iter()
            .filter(|t| table(self.new, &t.name).is_none())
            .collect();
        if gone.is_empty() {
            return;
        }
        let names: Vec<String> = gone.iter().rev().map(|t| t.name.clone()).collect();
        let mut st = Statement::new(format!("DROP TABLE {};", sql::idents(&names)));
        for t in gone {
            st = st.with(hazard(
                "data-loss",
                format!("drops table {} and its rows{}", t.name, rows_said(t.rows)),
            ));
        }
        s.push(st);
    }
}

fn table_rows(s: &pg::Schema, name: &str) -> Option<u64> {
    table(s, name).and_then(|t| t.rows)
}

pub(crate) fn rows_said(rows: Option<u64>) -> String {
    match rows {
        Some(n) => format!(" ({n} rows in the old data)"),
        None => String::new(),
    }
}
