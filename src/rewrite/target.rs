//! Target capabilities: what the PostgreSQL we compile for can do.
//!
//! One table, consulted by rules (as `target.*` facts) and by the rewrite
//! stage — never version checks sprinkled through templates.
use serde::Serialize;

/// Extensions assumed present when none are named: PostgreSQL's contrib
/// modules that ship with every mainstream package (Debian, RHEL, Homebrew,
/// the official images). pgvector is not one of them.
pub const DEFAULT_EXTENSIONS: &[&str] = &["citext", "pgcrypto"];

/// Major versions pgbridge knows how to target.
pub const SUPPORTED_VERSIONS: &[u32] = &[15, 16, 17, 18];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// Major version.
    pub version: u32,
    /// Extensions available on the target, sorted.
    pub extensions: Vec<String>,
    /// `IS JSON` predicate (PostgreSQL 16+).
    pub is_json_predicate: bool,
    /// `uuidv7()` (PostgreSQL 18+).
    pub uuidv7: bool,
    /// Virtual generated columns (PostgreSQL 18+); before, only STORED.
    pub virtual_generated: bool,
}

impl Target {
    pub fn new(version: u32, extensions: &[String]) -> Target {
        let mut extensions: Vec<String> = extensions
            .iter()
            .map(|e| e.trim().to_ascii_lowercase())
            .filter(|e| !e.is_empty())
            .collect();
        extensions.sort();
        extensions.dedup();
        Target {
            version,
            extensions,
            is_json_predicate: version >= 16,
            uuidv7: version >= 18,
            virtual_generated: version >= 18,
        }
    }

    pub fn has_extension(&self, name: &str) -> bool {
        self.extensions.iter().any(|e| e == name)
    }
}

impl Default for Target {
    fn default() -> Self {
        let ext: Vec<String> = DEFAULT_EXTENSIONS.iter().map(|s| s.to_string()).collect();
        Target::new(18, &ext)
    }
}
