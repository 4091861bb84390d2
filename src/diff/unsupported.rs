//! What `diff` does not turn into statements: reads both `ir::pg` schemas,
//! returns each such change as a kebab-case code and a message naming it.
//! A caller refuses the diff on any of them (a plan without them would
//! leave the target short of the new schema without saying so).
use crate::ident::escape_text;
use crate::ir::pg;

/// One change the plan cannot express.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    pub code: &'static str,
    pub message: String,
}

fn found(code: &'static str, message: String) -> Unsupported {
    Unsupported { code, message }
}

/// A target schema that changes to or from none: that side's objects are
/// in the connection's current schema, which the diff cannot name. (A
/// schema that changes between two names is moved; generated and identity
/// changes are statements; so are extensions.)
pub fn unsupported(old: &pg::Schema, new: &pg::Schema) -> Vec<Unsupported> {
    let mut out = Vec::new();
    if old.namespace != new.namespace && (old.namespace.is_none() || new.namespace.is_none()) {
        out.push(found(
            "diff-namespace-changed",
            format!(
                "the target schema changes from {} to {}, and a side compiled without --schema lives in the connection's current schema, which the diff cannot name",
                escape_text(old.namespace.as_deref().unwrap_or("(current)")),
                escape_text(new.namespace.as_deref().unwrap_or("(current)"))
            ),
        ));
    }
    out
}
