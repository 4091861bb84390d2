//! The rule catalog: every rule of the default pack is well-formed, named
//! after its file, documented, and its executable examples pass (the rule
//! fires — or, for must-not-fire cases, does not — and the expected
//! PostgreSQL appears in the compiled output).
use pgbridge::RulePack;
use pgbridge::ruletest::{run_examples, run_fixtures};
use std::path::Path;

fn pack() -> RulePack {
    match RulePack::default_pack() {
        Ok(p) => p,
        Err(e) => panic!("default pack does not load: {e:#?}"),
    }
}

#[test]
fn every_default_rule_loads_with_id_equal_to_file_stem() {
    let pack = pack();
    assert!(
        pack.rules.len() >= 30,
        "expected the full default pack, got {} rules",
        pack.rules.len()
    );
    for r in &pack.rules {
        let stem = Path::new(&r.origin)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("");
        assert_eq!(r.id, stem, "rule id must be its file stem ({})", r.origin);
        assert!(
            r.origin.starts_with(&format!("rules/{}/", r.phase)),
            "rule {} lives in its phase directory",
            r.id
        );
        assert!(
            !r.summary.is_empty() && r.docs.contains("## What it does"),
            "rule {} documents what it does",
            r.id
        );
        assert!(
            r.id == "any-column"
                || NEEDS_A_LOADED_EXTENSION.contains(&r.id.as_str())
                || r.examples.iter().any(|e| e.fires),
            "rule {} carries an example where it fires",
            r.id
        );
        assert!(
            r.id == "any-column" || r.examples.iter().any(|e| !e.fires),
            "rule {} carries a must-not-fire example",
            r.id
        );
    }
}

/// Rules that fire only on a virtual table whose module a SQLite extension
/// provides: rule examples run with extension loading never enabled, so
/// tests/extensions.rs fires them on databases made with the real
/// sqlite-vec and mod_spatialite instead.
const NEEDS_A_LOADED_EXTENSION: &[&str] = &[
    "vec0-table",
    "vec0-float-vector",
    "vec0-float-array",
    "vec0-quantized-vector",
    "spatialite-virtual-table",
];

#[test]
fn every_default_rule_example_passes() {
    let pack = pack();
    let outcomes = run_examples(&pack, None);
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.passed)
        .map(|o| format!("{}: {}", o.name, o.detail))
        .collect();
    assert!(
        outcomes.len() >= 40,
        "expected many examples, ran {}",
        outcomes.len()
    );
    assert!(
        failed.is_empty(),
        "{} of {} rule examples failed:\n{}",
        failed.len(),
        outcomes.len(),
        failed.join("\n\n")
    );
}

#[test]
fn default_pack_fixtures_match_their_expected_output() {
    let pack = pack();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let outcomes = run_fixtures(&dir, &pack, false);
    assert!(!outcomes.is_empty(), "rules/tests/ has fixtures");
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.passed)
        .map(|o| format!("{}:\n{}", o.name, o.detail))
        .collect();
    assert!(
        failed.is_empty(),
        "fixtures differ (run `pgbridge rules test rules --update` and review):\n{}",
        failed.join("\n")
    );
}

#[test]
fn docs_rules_md_describes_every_fact() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md"))
        .expect("docs/rules.md");
    let missing: Vec<String> = pgbridge::rewrite::facts::all_paths()
        .into_iter()
        .filter(|p| !doc.contains(&format!("`{p}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/rules.md does not describe: {missing:?}"
    );
}

#[test]
fn builtin_packs_live_in_rules_packs_and_are_not_default_rules() {
    assert_eq!(pgbridge::rewrite::rules::builtin_packs(), vec!["compat"]);
    let default = pack();
    let stray: Vec<&str> = default
        .rules
        .iter()
        .filter(|r| r.origin.starts_with("rules/packs/"))
        .map(|r| r.origin.as_str())
        .collect();
    assert!(stray.is_empty(), "the default pack read {stray:?}");
    // `pgbridge rules test rules` loads the directory: `packs/` is no phase.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let from_dir = pgbridge::rewrite::rules::load_dir(&dir)
        .unwrap_or_else(|e| panic!("rules/ as a directory: {e:#?}"));
    assert_eq!(from_dir.len(), default.rules.len());
}

#[test]
fn compat_pack_loads_by_name_and_its_examples_pass() {
    let pack = RulePack::load(&[Path::new("compat")])
        .unwrap_or_else(|e| panic!("--rules compat does not load: {e:#?}"));
    let compat: Vec<_> = pack
        .rules
        .iter()
        .filter(|r| r.origin.starts_with("rules/packs/compat/"))
        .collect();
    assert!(compat.len() >= 20, "compat rules: {}", compat.len());
    let defaults = self::pack();
    for r in &compat {
        assert!(
            r.origin
                .starts_with(&format!("rules/packs/compat/{}/", r.phase)),
            "rule {} lives in its phase directory",
            r.id
        );
        // The pack replaces default rules: same id, same phase, same `when`.
        let d = defaults
            .get(&r.id)
            .unwrap_or_else(|| panic!("compat rule {} replaces no default rule", r.id));
        assert_eq!(
            (&d.phase, d.when_src.trim()),
            (&r.phase, r.when_src.trim()),
            "compat rule {} keeps the default rule's phase and `when`",
            r.id
        );
    }
    let outcomes = run_examples(&pack, Some("rules/packs/compat/"));
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.passed)
        .map(|o| format!("{}: {}", o.name, o.detail))
        .collect();
    assert!(!outcomes.is_empty());
    assert!(
        failed.is_empty(),
        "compat examples failed:\n{}",
        failed.join("\n\n")
    );
}
