//! The source stage against the real-world corpus: every database reads
//! without errors and with the expected table counts, every SQLite `.sql`
//! script parses, the live reading agrees with the DDL parse of the file's
//! own `sqlite_schema` text, and reading leaves the directory untouched.
use pgbridge::diag::{Diagnostics, Severity};
use pgbridge::ir::sqlite::{Schema, TableKind};
use pgbridge::source::{self, SourceOptions};
use std::path::{Path, PathBuf};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");

/// (path, tables in the corpus README (not counting `sqlite_*`), `sqlite_*` tables).
const DATABASES: &[(&str, usize, usize)] = &[
    ("chinook/Chinook_Sqlite.sqlite", 11, 0),
    ("chinook/Chinook_Sqlite_AutoIncrementPKs.sqlite", 11, 1),
    ("northwind/dist/northwind.db", 13, 1),
    ("northwind/dist/northwind_populated.db", 13, 1),
    ("sakila/sakila.db", 16, 1),
    ("calibre_library/metadata.db", 36, 1),
    ("anki_collection/collection.anki2", 8, 2),
    ("home_assistant_recorder/home-assistant_v2.db", 12, 0),
    ("datasette_fixtures/fixtures.db", 29, 0),
    ("datasette_fixtures/extra_database.db", 5, 0),
    ("gitea/gitea.db", 112, 1),
    ("memos/memos_demo.db", 11, 1),
    ("django_ecommerce/db.sqlite3", 26, 1),
    ("pocketbase_testdata/data.db", 16, 2),
    ("pocketbase_testdata/auxiliary.db", 2, 0),
    ("usda_sr28_partial/usda_sr28_partial.db", 5, 0),
    ("misc_app_schemas/invoke-ai_InvokeAI/schema.db", 1, 0),
    ("misc_app_schemas/social-protocols_Y/y.db", 4, 0),
    ("misc_app_schemas/henry40408_lmb-rs/schema.db", 1, 1),
    ("misc_app_schemas/SnowCait_snowflare/schema.db", 1, 0),
    ("misc_app_schemas/hopsoft_job_contracts/schema.db", 3, 1),
    ("misc_app_schemas/juryger_altex-astro/schema.db", 2, 1),
];

/// SQLite scripts in the corpus (the MySQL and PostgreSQL versions of the
/// memos schema are not SQLite and are left out).
const SCRIPTS: &[&str] = &[
    "chinook/Chinook_Sqlite.sql",
    "chinook/Chinook_Sqlite_AutoIncrementPKs.sql",
    "northwind/src/create.sql",
    "northwind/src/update.sql",
    "sakila/sqlite-sakila-schema.sql",
    "memos/sqlite_LATEST.sql",
    "usda_sr28_partial/src/load_food.sql",
    "usda_sr28_partial/src/load_nutrient.sql",
    "usda_sr28_partial/src/load_food_group.sql",
    "usda_sr28_partial/src/load_nutrition.sql",
    "usda_sr28_partial/src/load_weight.sql",
    "usda_sr28_partial/src/load_common_nutrient.sql",
    "misc_app_schemas/hopsoft_job_contracts/structure.sql",
    "misc_app_schemas/juryger_altex-astro/0000_general.sql",
    "misc_app_schemas/henry40408_lmb-rs/0001-store_up.sql",
    "misc_app_schemas/invoke-ai_InvokeAI/migration_2_workflow_library.sql",
    "misc_app_schemas/social-protocols_Y/schema.sql",
    "misc_app_schemas/SnowCait_snowflare/0001_create_events_table.sql",
];

fn corpus(rel: &str) -> PathBuf {
    Path::new(CORPUS).join(rel)
}

fn no_profile() -> SourceOptions {
    SourceOptions {
        profile: false,
        ..Default::default()
    }
}

fn errors(d: &Diagnostics) -> Vec<String> {
    d.iter()
        .filter(|x| x.severity == Severity::Error)
        .map(|x| x.to_string())
        .collect()
}

fn dir_listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn read_db(rel: &str) -> (Schema, Diagnostics) {
    let path = corpus(rel);
    match source::from_database(&path, &no_profile()) {
        Ok(r) => r,
        Err(e) => panic!("{rel}: {e}"),
    }
}

#[test]
fn every_corpus_database_reads_without_errors_and_with_expected_table_counts() {
    for &(rel, readme_tables, internal_sqlite) in DATABASES {
        let dir = corpus(rel)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let before = dir_listing(&dir);
        let (schema, diags) = read_db(rel);
        assert_eq!(dir_listing(&dir), before, "{rel}: directory changed");
        assert!(errors(&diags).is_empty(), "{rel}: {:?}", errors(&diags));
        let sqlite_named = schema
            .tables
            .iter()
            .filter(|t| t.name.starts_with("sqlite_"))
            .count();
        assert_eq!(sqlite_named, internal_sqlite, "{rel}: sqlite_* tables");
        assert_eq!(
            schema.tables.len(),
            readme_tables + internal_sqlite,
            "{rel}: tables"
        );
        assert_eq!(
            schema.origin,
            Path::new(rel).file_name().unwrap().to_string_lossy()
        );
        for t in &schema.tables {
            match t.kind {
                TableKind::Ordinary => assert!(t.rows.is_some(), "{rel}: {} rows", t.name),
                // A virtual table is counted when its rows are read (an
                // own-content FTS table, a vec0 table with its module).
                _ => assert_eq!(t.rows.is_some(), t.holds_rows(), "{rel}: {}", t.name),
            }
            if !matches!(t.kind, TableKind::Virtual { .. }) {
                assert!(!t.columns.is_empty(), "{rel}: {} has no columns", t.name);
            }
        }
    }
}

/// Scripts without a single CREATE statement (a report, a data seed): as a
/// schema they are nothing, and reading one as such is an error with help.
const NO_SCHEMA_SCRIPTS: &[&str] = &["northwind/src/report.sql", "memos/seed_sqlite_01__dump.sql"];

#[test]
fn scripts_without_a_schema_are_refused_with_a_way_forward() {
    for rel in NO_SCHEMA_SCRIPTS {
        match source::read(&corpus(rel), &no_profile()) {
            Ok((s, _)) => panic!("{rel}: read as a schema of {} tables", s.tables.len()),
            Err(e) => {
                let t = e.to_string();
                assert!(
                    t.contains("no-schema-in-text") && t.contains("help"),
                    "{rel}: {t}"
                );
            }
        }
    }
}

#[test]
fn every_corpus_script_parses_without_errors() {
    for rel in SCRIPTS {
        let (schema, diags) = match source::read(&corpus(rel), &no_profile()) {
            Ok(r) => r,
            Err(e) => panic!("{rel}: {e}"),
        };
        assert!(errors(&diags).is_empty(), "{rel}: {:?}", errors(&diags));
        assert_eq!(
            schema.origin,
            Path::new(rel).file_name().unwrap().to_string_lossy()
        );
    }
}

/// Joins a database's own `sqlite_schema.sql` texts into one script.
fn schema_script(rel: &str) -> String {
    let conn = rusqlite::Connection::open_with_flags(
        corpus(rel),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut st = conn
        .prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid")
        .unwrap();
    let sqls: Vec<String> = st
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    sqls.join(";\n") + ";\n"
}

#[test]
fn live_reading_and_ddl_parse_of_its_schema_text_agree_on_columns() {
    for &(rel, _, _) in DATABASES {
        let (live, _) = read_db(rel);
        let (ddl, diags) = source::from_ddl(&schema_script(rel), rel);
        assert!(errors(&diags).is_empty(), "{rel}: {:?}", errors(&diags));
        assert_eq!(live.tables.len(), ddl.tables.len(), "{rel}");
        assert_eq!(live.indexes.len(), ddl.indexes.len(), "{rel}");
        assert_eq!(live.views.len(), ddl.views.len(), "{rel}");
        assert_eq!(live.triggers.len(), ddl.triggers.len(), "{rel}");
        for (l, d) in live.tables.iter().zip(&ddl.tables) {
            assert_eq!(l.name, d.name, "{rel}");
            assert_eq!(l.kind, d.kind, "{rel}: {}", l.name);
            if matches!(l.kind, TableKind::Virtual { .. }) {
                continue; // columns of a virtual table come from its module
            }
            let lc: Vec<(&str, &str)> = l
                .columns
                .iter()
                .map(|c| (c.name.as_str(), c.declared.as_str()))
                .collect();
            let dc: Vec<(&str, &str)> = d
                .columns
                .iter()
                .map(|c| (c.name.as_str(), c.declared.as_str()))
                .collect();
            assert_eq!(lc, dc, "{rel}: {}", l.name);
            let flags = |t: &pgbridge::ir::sqlite::Table| {
                t.columns
                    .iter()
                    .map(|c| (c.pk_position, c.rowid_alias, c.autoincrement, c.not_null))
                    .collect::<Vec<_>>()
            };
            assert_eq!(flags(l), flags(d), "{rel}: {}", l.name);
            assert_eq!(l.primary_key, d.primary_key, "{rel}: {}", l.name);
            assert_eq!(l.without_rowid, d.without_rowid, "{rel}: {}", l.name);
            assert_eq!(l.strict, d.strict, "{rel}: {}", l.name);
            assert_eq!(
                l.foreign_keys.len(),
                d.foreign_keys.len(),
                "{rel}: {}",
                l.name
            );
        }
        for (l, d) in live.indexes.iter().zip(&ddl.indexes) {
            assert_eq!(l.name, d.name, "{rel}");
            assert_eq!(l.columns, d.columns, "{rel}: {}", l.name);
            assert_eq!(l.where_clause, d.where_clause, "{rel}: {}", l.name);
        }
    }
}

#[test]
fn reading_a_wal_database_copy_leaves_no_files_behind() {
    for rel in [
        "anki_collection/collection.anki2",
        "pocketbase_testdata/auxiliary.db",
        "chinook/Chinook_Sqlite.sqlite",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let copy = tmp.path().join(Path::new(rel).file_name().unwrap());
        std::fs::copy(corpus(rel), &copy).unwrap();
        let bytes_before = std::fs::read(&copy).unwrap();
        let before = dir_listing(tmp.path());
        let (schema, diags) = source::read(&copy, &no_profile()).unwrap();
        assert!(!schema.tables.is_empty());
        assert!(errors(&diags).is_empty(), "{rel}: {:?}", errors(&diags));
        assert_eq!(dir_listing(tmp.path()), before, "{rel}");
        assert_eq!(
            std::fs::read(&copy).unwrap(),
            bytes_before,
            "{rel}: file modified"
        );
    }
}

#[test]
fn anki_unicase_collation_is_substituted_with_a_warning() {
    let (schema, diags) = read_db("anki_collection/collection.anki2");
    assert!(
        diags
            .iter()
            .any(|d| d.code == "custom-collation-substituted" && d.message.contains("unicase")),
        "{diags:?}"
    );
    let tags = schema.tables.iter().find(|t| t.name == "tags").unwrap();
    assert!(tags.rows.is_some());
}

#[test]
fn chinook_autoincrement_reads_sequences_and_rowid_aliases() {
    let (schema, _) = read_db("chinook/Chinook_Sqlite_AutoIncrementPKs.sqlite");
    assert_eq!(schema.sequences.get("Album"), Some(&347));
    let album = schema.tables.iter().find(|t| t.name == "Album").unwrap();
    let id = &album.columns[0];
    assert!(id.rowid_alias && id.autoincrement && id.pk_position == 1);
    assert_eq!(album.rows, Some(347));
    let seq = schema
        .tables
        .iter()
        .find(|t| t.name == "sqlite_sequence")
        .unwrap();
    assert!(matches!(seq.kind, TableKind::Internal { .. }));
}

#[test]
fn fts5_and_fts3_shadow_tables_are_internal_and_virtual_tables_keep_args() {
    let (schema, _) = read_db("datasette_fixtures/fixtures.db");
    let vt = schema
        .tables
        .iter()
        .find(|t| matches!(t.kind, TableKind::Virtual { .. }))
        .unwrap();
    let shadows = schema
        .tables
        .iter()
        .filter(|t| matches!(&t.kind, TableKind::Internal { reason } if reason.contains(&vt.name)))
        .count();
    assert!(shadows >= 4, "{shadows}");
    assert!(vt.columns.iter().any(|c| !c.hidden));
    let (extra, _) = read_db("datasette_fixtures/extra_database.db");
    let fts3 = extra
        .tables
        .iter()
        .find(|t| matches!(&t.kind, TableKind::Virtual { module, .. } if module.eq_ignore_ascii_case("fts3") || module.eq_ignore_ascii_case("fts4")))
        .unwrap();
    // Own content (FTS3 reads `content="searchable"` as a column): its rows
    // are read like a table's, keyed by the rowid.
    assert!(fts3.readable && fts3.rows == Some(2), "{fts3:?}");
    let names: Vec<&str> = fts3
        .columns
        .iter()
        .filter(|c| !c.hidden)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["rowid", "text1", "text2", "content"]);
    assert!(
        !vt.readable,
        "external content: the content table holds the rows"
    );
}

#[test]
fn not_a_database_is_a_clear_error_naming_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("junk.db");
    std::fs::write(&p, b"this is not sqlite at all, just some bytes....").unwrap();
    let e = source::from_database(&p, &no_profile())
        .unwrap_err()
        .to_string();
    assert!(e.contains("junk.db") && e.contains("not a SQLite"), "{e}");
    let bin = tmp.path().join("bin.sql");
    std::fs::write(&bin, [0xff, 0xfe, 0x00, 0x41]).unwrap();
    let e = source::read(&bin, &no_profile()).unwrap_err().to_string();
    assert!(e.contains("UTF-8"), "{e}");
    let mut corrupt = b"SQLite format 3\0".to_vec();
    corrupt.extend(std::iter::repeat_n(0xAB, 4096));
    let c = tmp.path().join("corrupt.db");
    std::fs::write(&c, corrupt).unwrap();
    let e = source::read(&c, &no_profile()).unwrap_err().to_string();
    assert!(e.contains("corrupt.db"), "{e}");
}

#[test]
fn corpus_schema_text_always_parses_so_no_fact_is_pragma_only() {
    for &(rel, _, _) in DATABASES {
        let (_, diags) = read_db(rel);
        let codes: Vec<&str> = diags
            .iter()
            .filter(|d| d.severity >= Severity::Warning)
            .map(|d| d.code.as_str())
            .filter(|c| *c != "custom-collation-substituted")
            .collect();
        assert!(codes.is_empty(), "{rel}: {codes:?}");
    }
}

#[test]
fn live_generated_columns_expression_indexes_and_string_defaults() {
    let (inv, _) = read_db("misc_app_schemas/invoke-ai_InvokeAI/schema.db");
    let wl = &inv.tables[0];
    let cat = wl.columns.iter().find(|c| c.name == "category").unwrap();
    let g = cat.generated.as_ref().unwrap();
    assert_eq!(g.expr.sql, "json_extract(workflow, '$.meta.category')");
    assert!(!g.stored && !cat.hidden && cat.not_null);
    assert_eq!(inv.triggers.len(), 1);
    assert_eq!(inv.triggers[0].table, "workflow_library");

    let (aux, _) = read_db("pocketbase_testdata/auxiliary.db");
    assert!(
        aux.indexes
            .iter()
            .flat_map(|i| &i.columns)
            .any(|c| c.column.is_none() && c.expr.sql.to_ascii_lowercase().contains("json_extract")),
        "{:?}",
        aux.indexes
    );

    let (cal, _) = read_db("calibre_library/metadata.db");
    let defaults: Vec<&str> = cal
        .tables
        .iter()
        .flat_map(|t| &t.columns)
        .filter_map(|c| c.default.as_ref().map(|e| e.sql.as_str()))
        .collect();
    assert!(defaults.contains(&"''"), "{defaults:?}");
    assert!(!defaults.iter().any(|d| d.starts_with('"')), "{defaults:?}");
    let books = cal.tables.iter().find(|t| t.name == "books").unwrap();
    let modified = books
        .columns
        .iter()
        .find(|c| c.name == "last_modified")
        .unwrap();
    assert_eq!(
        modified.default.as_ref().map(|e| e.sql.as_str()),
        Some("'2000-01-01 00:00:00+00:00'")
    );
}

#[test]
fn chinook_dump_yields_the_same_tables_as_the_database() {
    let (ddl, diags) = source::read(&corpus("chinook/Chinook_Sqlite.sql"), &no_profile()).unwrap();
    assert!(diags.iter().any(|d| d.code == "non-ddl-statements-skipped"));
    let (live, _) = read_db("chinook/Chinook_Sqlite.sqlite");
    let names = |s: &Schema| s.tables.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ddl), names(&live));
    let track = ddl.tables.iter().find(|t| t.name == "Track").unwrap();
    let price = track
        .columns
        .iter()
        .find(|c| c.name == "UnitPrice")
        .unwrap();
    assert_eq!(
        (price.type_name.as_str(), price.type_args.clone()),
        ("NUMERIC", vec![10, 2])
    );
    assert!(track.line.is_some_and(|l| l > 1));
    assert_eq!(ddl.indexes.len(), live.indexes.len());
}
