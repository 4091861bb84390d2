//! Snapshot tests, one family per stage (PRQL-style): the same inputs are
//! snapshotted after `source` (the SQLite IR), after `rewrite` (the
//! PostgreSQL IR with its decisions) and after `emit` (the migration SQL),
//! so a change shows up in the stage it touched. Snapshots live in
//! `snapshots/`; review changes with `cargo insta review`.
use pgbridge::rewrite::{RewriteOptions, Target};
use pgbridge::source::SourceOptions;
use pgbridge::{CompileOptions, RulePack};
use std::path::{Path, PathBuf};

fn corpus(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(rel)
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

fn compiled(path: &Path) -> pgbridge::Compiled {
    let pack = RulePack::default_pack().unwrap_or_else(|e| panic!("{e:?}"));
    let opts = CompileOptions {
        source: SourceOptions {
            profile: true,
            ..Default::default()
        },
        rewrite: RewriteOptions {
            target: Target::new(18, &["citext".into(), "pgcrypto".into(), "vector".into()]),
            ..Default::default()
        },
        ..Default::default()
    };
    pgbridge::compile(path, &pack, &opts).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The stage-by-stage inputs: a live database with data and a DDL file.
const STAGED: &[(&str, &str)] = &[
    ("chinook", "chinook/Chinook_Sqlite.sqlite"),
    ("memos_ddl", "memos/sqlite_LATEST.sql"),
];

#[test]
fn source_stage_ir() {
    for (name, rel) in STAGED {
        let (schema, diags) = pgbridge::sqlite_to_ir(&corpus(rel), &SourceOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!diags.has_errors(), "{name}: {:?}", diags);
        settings().bind(|| insta::assert_json_snapshot!(format!("source__{name}"), schema));
    }
}

#[test]
fn rewrite_stage_ir() {
    for (name, rel) in STAGED {
        let c = compiled(&corpus(rel));
        settings().bind(|| insta::assert_json_snapshot!(format!("rewrite__{name}"), c.pg));
    }
}

/// The emitted migration SQL (01 + 03, with diagnostics) of every corpus database.
#[test]
fn emit_stage_sql_for_every_corpus_database() {
    let dbs = [
        ("chinook", "chinook/Chinook_Sqlite.sqlite"),
        (
            "chinook_autoincrement",
            "chinook/Chinook_Sqlite_AutoIncrementPKs.sqlite",
        ),
        ("northwind", "northwind/dist/northwind.db"),
        ("sakila", "sakila/sakila.db"),
        ("calibre", "calibre_library/metadata.db"),
        ("anki", "anki_collection/collection.anki2"),
        (
            "home_assistant",
            "home_assistant_recorder/home-assistant_v2.db",
        ),
        ("datasette_fixtures", "datasette_fixtures/fixtures.db"),
        ("datasette_extra", "datasette_fixtures/extra_database.db"),
        ("gitea", "gitea/gitea.db"),
        ("memos", "memos/memos_demo.db"),
        ("memos_ddl", "memos/sqlite_LATEST.sql"),
        ("django", "django_ecommerce/db.sqlite3"),
        ("pocketbase_data", "pocketbase_testdata/data.db"),
        ("pocketbase_auxiliary", "pocketbase_testdata/auxiliary.db"),
        ("usda", "usda_sr28_partial/usda_sr28_partial.db"),
        ("invokeai", "misc_app_schemas/invoke-ai_InvokeAI/schema.db"),
        ("y", "misc_app_schemas/social-protocols_Y/y.db"),
        ("lmb", "misc_app_schemas/henry40408_lmb-rs/schema.db"),
        ("snowflare", "misc_app_schemas/SnowCait_snowflare/schema.db"),
        (
            "job_contracts",
            "misc_app_schemas/hopsoft_job_contracts/schema.db",
        ),
        ("altex", "misc_app_schemas/juryger_altex-astro/schema.db"),
    ];
    for (name, rel) in dbs {
        let c = compiled(&corpus(rel));
        let text = pgbridge::ruletest::rendered(&c);
        settings().bind(|| insta::assert_snapshot!(format!("emit__{name}"), text));
    }
}

#[test]
fn compile_is_deterministic_byte_for_byte() {
    let a = compiled(&corpus("sakila/sakila.db"));
    let b = compiled(&corpus("sakila/sakila.db"));
    assert_eq!(a.set, b.set);
    assert_eq!(a.set.files.len(), 10);
}
