//! The schema pgbridge compiled, kept so a later diff can start from it:
//! the SQLite declarations (without the data profile) and the PostgreSQL
//! schema with its decisions.
//!
//! Two homes: `pgbridge.schema.json` in a directory `compile` or `diff`
//! wrote ([`SchemaRecord::committed`]: also without what only the data's
//! size decided — row counts, evidence words, `sqlite_sequence` values — so
//! the committed file changes only when a decision does), and
//! `pgbridge.runs.live_schema` in a migrated target (written by migrate and
//! by sync's schema hook). Either is the old side of `pgbridge diff`, so a
//! column keeps the type its data proved even when the new side is DDL.
use super::{pg, sqlite};
use serde::{Deserialize, Serialize};

/// The record's file name in a compiled or diffed directory (under
/// `pgbridge/` in a migration tool's layout).
pub const FILE: &str = "pgbridge.schema.json";

/// A compiled schema: both sides.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SchemaRecord {
    pub sqlite: sqlite::Schema,
    pub pg: pg::Schema,
}

impl SchemaRecord {
    /// The record of a compiled schema: declarations only, no profile.
    pub fn of(sqlite: &sqlite::Schema, pg: &pg::Schema) -> SchemaRecord {
        let mut sqlite = sqlite.clone();
        for t in &mut sqlite.tables {
            t.rows = None;
            for c in &mut t.columns {
                c.profile = None;
            }
        }
        SchemaRecord {
            sqlite,
            pg: pg.clone(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "null".into())
    }

    /// The record as a directory keeps it: pretty JSON, one final newline,
    /// without row counts, evidence words, `sqlite_sequence` values and
    /// sequence floors.
    pub fn committed(&self) -> String {
        let mut r = self.clone();
        r.sqlite.sequences.clear();
        for t in &mut r.pg.tables {
            t.rows = None;
            forget_evidence(&mut t.decisions);
            for c in &mut t.columns {
                forget_evidence(&mut c.decisions);
            }
        }
        for i in &mut r.pg.indexes {
            forget_evidence(&mut i.decisions);
        }
        for s in &mut r.pg.sequence_resets {
            s.floor = None;
        }
        let mut text = serde_json::to_string_pretty(&r).unwrap_or_else(|_| "null".into());
        text.push('\n');
        text
    }

    /// A record read back; the error says what is wrong with the text.
    pub fn from_json(text: &str) -> Result<SchemaRecord, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

fn forget_evidence(decisions: &mut [pg::Decision]) {
    for d in decisions {
        d.evidence.clear();
    }
}
