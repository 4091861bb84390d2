//! End to end on the shared corpus: every real SQLite database compiles,
//! its 01_schema.sql and 03_constraints.sql apply with psql
//! (ON_ERROR_STOP) on PostgreSQL 15 and 18, every migrated table exists,
//! and rollback.sql leaves the database empty. Known limitations are
//! asserted as the diagnostics that name them.
mod common;

use common::{PgVersion, cluster};
use pgbridge::diag::Severity;
use pgbridge::rewrite::{RewriteOptions, Target};
use pgbridge::source::SourceOptions;
use pgbridge::{CompileOptions, Compiled, RulePack};
use std::path::{Path, PathBuf};

fn corpus(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(rel)
}

/// (database, diagnostics codes that must appear, error codes allowed)
const DATABASES: &[(&str, &[&str], &[&str])] = &[
    ("chinook/Chinook_Sqlite.sqlite", &[], &[]),
    (
        "chinook/Chinook_Sqlite_AutoIncrementPKs.sqlite",
        &["sqlite-internal-table"],
        &[],
    ),
    // Every Northwind view translates (docs/views.md).
    ("northwind/dist/northwind.db", &[], &[]),
    ("sakila/sakila.db", &[], &[]),
    (
        "calibre_library/metadata.db",
        &[
            "trigger-kept-as-comment",
            "fts-table",
            "fts-trigger-dropped",
            "view-kept-as-comment",
        ],
        &[],
    ),
    (
        "anki_collection/collection.anki2",
        &["sqlite-internal-table", "custom-collation-substituted"],
        &[],
    ),
    ("home_assistant_recorder/home-assistant_v2.db", &[], &[]),
    ("datasette_fixtures/fixtures.db", &["fts-table"], &[]),
    ("datasette_fixtures/extra_database.db", &["fts-table"], &[]),
    ("gitea/gitea.db", &[], &[]),
    ("memos/memos_demo.db", &[], &[]),
    ("django_ecommerce/db.sqlite3", &[], &[]),
    (
        "pocketbase_testdata/data.db",
        &["non-json-default-on-jsonb", "json-declared-invalid-values"],
        &[],
    ),
    (
        "pocketbase_testdata/auxiliary.db",
        &["index-not-translated"],
        &[],
    ),
    (
        "usda_sr28_partial/usda_sr28_partial.db",
        &["integer-column-with-other-values"],
        &[],
    ),
    ("misc_app_schemas/invoke-ai_InvokeAI/schema.db", &[], &[]),
    (
        "misc_app_schemas/social-protocols_Y/y.db",
        &["view-kept-as-comment"],
        &[],
    ),
    ("misc_app_schemas/henry40408_lmb-rs/schema.db", &[], &[]),
    ("misc_app_schemas/SnowCait_snowflare/schema.db", &[], &[]),
    ("misc_app_schemas/hopsoft_job_contracts/schema.db", &[], &[]),
    ("misc_app_schemas/juryger_altex-astro/schema.db", &[], &[]),
];

/// What each test server really offers: Debian's 15 has contrib (citext,
/// pgcrypto) but no pgvector; the PostgreSQL 18 build has citext and pgvector
/// but no pgcrypto.
fn target_for(v: PgVersion) -> Target {
    match v {
        PgVersion::V15 => Target::new(15, &["citext".into(), "pgcrypto".into()]),
        PgVersion::V18 => Target::new(18, &["citext".into(), "vector".into()]),
    }
}

fn compile(path: &Path, v: PgVersion) -> Compiled {
    let pack = RulePack::default_pack().unwrap_or_else(|e| panic!("default pack: {e:?}"));
    let opts = CompileOptions {
        source: SourceOptions {
            profile: true,
            ..Default::default()
        },
        rewrite: RewriteOptions {
            target: target_for(v),
            ..Default::default()
        },
        ..Default::default()
    };
    pgbridge::compile(path, &pack, &opts)
        .unwrap_or_else(|e| panic!("{} does not compile: {e}", path.display()))
}

fn check_diagnostics(name: &str, c: &Compiled, must: &[&str], allowed_errors: &[&str]) {
    let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code.as_str()).collect();
    for m in must {
        assert!(
            codes.contains(m),
            "{name}: expected a `{m}` diagnostic, got {codes:?}"
        );
    }
    let bad: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error && !allowed_errors.contains(&d.code.as_str()))
        .map(|d| d.to_string())
        .collect();
    assert!(
        bad.is_empty(),
        "{name}: unexpected errors:\n{}",
        bad.join("\n")
    );
}

fn apply_and_roll_back(name: &str, v: PgVersion) {
    let path = corpus(name);
    let (_, must, allowed) =
        DATABASES
            .iter()
            .find(|d| d.0 == name)
            .copied()
            .unwrap_or((name, &[], &[]));
    let c = compile(&path, v);
    check_diagnostics(name, &c, must, allowed);
    let dir = tempfile::tempdir().expect("temp dir");
    c.set.write(dir.path()).expect("write set");
    let db = cluster(v).new_db(&format!("corpus_{}", name.replace(['/', '.', '-'], "_")));
    for f in ["01_schema.sql", "03_constraints.sql"] {
        if let Err(e) = db.psql_file(&dir.path().join(f)) {
            panic!(
                "{name}: {f} fails on PostgreSQL {v:?}:\n{e}\n--- {f}:\n{}",
                c.set.files[f]
            );
        }
    }
    let tables = db.query("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')");
    assert_eq!(
        tables[0][0],
        c.pg.tables.len().to_string(),
        "{name}: every migrated table exists on {v:?}"
    );
    if let Err(e) = db.psql_file(&dir.path().join("rollback.sql")) {
        panic!("{name}: rollback.sql fails on {v:?}:\n{e}");
    }
    assert_eq!(
        db.object_count(),
        0,
        "{name}: rollback.sql leaves the database empty on {v:?}"
    );
}

macro_rules! corpus_tests {
    ($($fn15:ident, $fn18:ident => $path:expr;)*) => {
        $(
            #[test]
            fn $fn15() { apply_and_roll_back($path, PgVersion::V15); }
            #[test]
            fn $fn18() { apply_and_roll_back($path, PgVersion::V18); }
        )*
    };
}

corpus_tests! {
    chinook_pg15, chinook_pg18 => "chinook/Chinook_Sqlite.sqlite";
    chinook_autoinc_pg15, chinook_autoinc_pg18 => "chinook/Chinook_Sqlite_AutoIncrementPKs.sqlite";
    northwind_pg15, northwind_pg18 => "northwind/dist/northwind.db";
    sakila_pg15, sakila_pg18 => "sakila/sakila.db";
    calibre_pg15, calibre_pg18 => "calibre_library/metadata.db";
    anki_pg15, anki_pg18 => "anki_collection/collection.anki2";
    home_assistant_pg15, home_assistant_pg18 => "home_assistant_recorder/home-assistant_v2.db";
    datasette_fixtures_pg15, datasette_fixtures_pg18 => "datasette_fixtures/fixtures.db";
    datasette_extra_pg15, datasette_extra_pg18 => "datasette_fixtures/extra_database.db";
    gitea_pg15, gitea_pg18 => "gitea/gitea.db";
    memos_pg15, memos_pg18 => "memos/memos_demo.db";
    django_pg15, django_pg18 => "django_ecommerce/db.sqlite3";
    pocketbase_data_pg15, pocketbase_data_pg18 => "pocketbase_testdata/data.db";
    pocketbase_aux_pg15, pocketbase_aux_pg18 => "pocketbase_testdata/auxiliary.db";
    usda_pg15, usda_pg18 => "usda_sr28_partial/usda_sr28_partial.db";
    invokeai_pg15, invokeai_pg18 => "misc_app_schemas/invoke-ai_InvokeAI/schema.db";
    y_pg15, y_pg18 => "misc_app_schemas/social-protocols_Y/y.db";
    lmb_pg15, lmb_pg18 => "misc_app_schemas/henry40408_lmb-rs/schema.db";
    snowflare_pg15, snowflare_pg18 => "misc_app_schemas/SnowCait_snowflare/schema.db";
    job_contracts_pg15, job_contracts_pg18 => "misc_app_schemas/hopsoft_job_contracts/schema.db";
    altex_pg15, altex_pg18 => "misc_app_schemas/juryger_altex-astro/schema.db";
}

/// The DDL text path: every .sql schema in the corpus compiles and applies.
#[test]
fn corpus_ddl_files_compile_and_apply_on_pg18() {
    let files = [
        "chinook/Chinook_Sqlite.sql",
        "memos/sqlite_LATEST.sql",
        "misc_app_schemas/SnowCait_snowflare/0001_create_events_table.sql",
        "misc_app_schemas/henry40408_lmb-rs/0001-store_up.sql",
        "misc_app_schemas/hopsoft_job_contracts/structure.sql",
        "misc_app_schemas/invoke-ai_InvokeAI/migration_2_workflow_library.sql",
        "misc_app_schemas/juryger_altex-astro/0000_general.sql",
        "misc_app_schemas/social-protocols_Y/schema.sql",
    ];
    for f in files {
        let c = compile(&corpus(f), PgVersion::V18);
        check_diagnostics(f, &c, &[], &[]);
        let dir = tempfile::tempdir().expect("temp dir");
        c.set.write(dir.path()).expect("write");
        let db = cluster(PgVersion::V18).new_db("ddl");
        for s in ["01_schema.sql", "03_constraints.sql", "rollback.sql"] {
            if let Err(e) = db.psql_file(&dir.path().join(s)) {
                panic!("{f}: {s} fails:\n{e}\n--- {s}:\n{}", c.set.files[s]);
            }
        }
        assert_eq!(
            db.object_count(),
            0,
            "{f}: rollback leaves the database empty"
        );
    }
}
