//! The command line and the corpus as integration tests reach them: run the
//! built `pgbridge` binary, read its output, name the corpus databases.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Run the `pgbridge` binary of this build.
pub fn pgbridge(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pgbridge"))
        .args(args)
        .output()
        .expect("run pgbridge")
}

/// `pgbridge compile INPUT -o OUT`.
pub fn compile(input: &Path, out: &Path) -> Output {
    pgbridge(&[
        "compile",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ])
}

/// stdout then stderr, as text.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A path inside `../shared/corpus` (read-only).
pub fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(rel)
}

/// Every SQLite database file of the corpus, relative to it.
pub const CORPUS_DATABASES: &[&str] = &[
    "anki_collection/collection.anki2",
    "calibre_library/metadata.db",
    "chinook/Chinook_Sqlite.sqlite",
    "chinook/Chinook_Sqlite_AutoIncrementPKs.sqlite",
    "datasette_fixtures/extra_database.db",
    "datasette_fixtures/fixtures.db",
    "django_ecommerce/db.sqlite3",
    "gitea/gitea.db",
    "home_assistant_recorder/home-assistant_v2.db",
    "memos/memos_demo.db",
    "misc_app_schemas/SnowCait_snowflare/schema.db",
    "misc_app_schemas/henry40408_lmb-rs/schema.db",
    "misc_app_schemas/hopsoft_job_contracts/schema.db",
    "misc_app_schemas/invoke-ai_InvokeAI/schema.db",
    "misc_app_schemas/juryger_altex-astro/schema.db",
    "misc_app_schemas/social-protocols_Y/y.db",
    "northwind/dist/northwind.db",
    "northwind/dist/northwind_populated.db",
    "pocketbase_testdata/auxiliary.db",
    "pocketbase_testdata/data.db",
    "sakila/sakila.db",
    "usda_sr28_partial/usda_sr28_partial.db",
];
