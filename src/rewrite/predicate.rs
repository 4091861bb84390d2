//! The `when:` predicate language of rules (grammar/predicate.pest).
//! (Stub signatures; implemented in the predicate work item.)

/// A parsed predicate.
#[derive(Debug, Clone)]
pub struct Predicate {
    pub source: String,
}

/// A syntax error, 1-based position inside the predicate text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PredicateError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Predicate {
    pub fn parse(src: &str) -> Result<Predicate, PredicateError> {
        let _ = src;
        todo!()
    }
    /// Evaluate against a facts document (paths like `column.declared`
    /// index into it).
    pub fn eval(&self, facts: &serde_json::Value) -> Result<bool, String> {
        let _ = facts;
        todo!()
    }
    /// Every path the predicate reads (`column.declared`), for validation.
    pub fn paths(&self) -> Vec<String> {
        todo!()
    }
}
