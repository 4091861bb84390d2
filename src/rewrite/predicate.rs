//! The `when:` predicate language of rules (grammar/predicate.pest).
