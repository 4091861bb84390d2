//! The default pack's fixtures (`rules/tests/*.sql`) are not only stable
//! text: their compiled SQL applies on real PostgreSQL 15 and 18, and the
//! rollback removes all of it.
mod common;

use common::{PgVersion, cluster};
use pgbridge::RulePack;
use pgbridge::rewrite::Target;
use pgbridge::ruletest::compile_sql;
use std::path::Path;

fn apply_fixtures(v: PgVersion, target: Target) {
    let pack = RulePack::default_pack().unwrap_or_else(|e| panic!("{e:?}"));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/tests");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("rules/tests")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.to_string_lossy().ends_with(".sql") && !p.to_string_lossy().ends_with(".expected.sql")
        })
        .collect();
    files.sort();
    assert!(files.len() >= 5, "fixtures found: {files:?}");
    for f in files {
        let sql = std::fs::read_to_string(&f).expect("read fixture");
        let c = compile_sql(&sql, &pack, target.clone())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let out = tempfile::tempdir().expect("temp dir");
        c.set.write(out.path()).expect("write");
        let db = cluster(v).new_db("fixture");
        for s in ["01_schema.sql", "03_constraints.sql", "rollback.sql"] {
            if let Err(e) = db.psql_file(&out.path().join(s)) {
                panic!(
                    "{}: {s} fails on {v}:\n{e}\n--- {s}:\n{}",
                    f.display(),
                    c.set.files[s]
                );
            }
        }
        assert_eq!(
            db.object_count(),
            0,
            "{}: rollback leaves nothing on {v}: {:?}",
            f.display(),
            db.objects()
        );
    }
}

#[test]
fn rule_fixtures_apply_on_pg15_with_contrib_extensions() {
    apply_fixtures(
        PgVersion::V15,
        Target::new(15, &["citext".into(), "pgcrypto".into()]),
    );
}

#[test]
fn rule_fixtures_apply_on_pg18_with_pgvector_and_no_pgcrypto() {
    apply_fixtures(
        PgVersion::V18,
        Target::new(18, &["citext".into(), "vector".into()]),
    );
}
