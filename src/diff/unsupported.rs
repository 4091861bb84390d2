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

/// Changes of the target schema, an identity's sequence name and a
/// generated column's expression. (Extensions are statements of the plan.)
pub fn unsupported(old: &pg::Schema, new: &pg::Schema) -> Vec<Unsupported> {
    let mut out = Vec::new();
    if old.namespace != new.namespace {
        out.push(found(
            "diff-namespace-changed",
            format!(
                "the target schema changes from {} to {}",
                escape_text(old.namespace.as_deref().unwrap_or("(current)")),
                escape_text(new.namespace.as_deref().unwrap_or("(current)"))
            ),
        ));
    }
    for t in &new.tables {
        let Some(ot) = super::table(old, &t.name) else {
            continue;
        };
        for c in &t.columns {
            let Some(oc) = super::column(ot, &c.name) else {
                continue;
            };
            let name = format!("{}.{}", escape_text(&t.name), escape_text(&c.name));
            if oc.generated.is_some() && c.generated.is_some() && oc.generated != c.generated {
                out.push(found(
                    "diff-generated-changed",
                    format!("generated column {name} changes its expression"),
                ));
            }
            if oc.identity && c.identity && oc.sequence != c.sequence {
                out.push(found(
                    "diff-identity-sequence-changed",
                    format!("identity column {name} changes its sequence's name"),
                ));
            }
        }
    }
    out
}
