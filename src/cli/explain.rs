//! `pgbridge explain`: a rule's documentation (`explain json-text`), or how
//! the rules decided one column (`explain app.db users.created_at`): its
//! type and converter, the rule trail and the facts the rules read.
use crate::*;

// No doc comment: the variant's in `main.rs` is the command's help.
#[derive(Args)]
pub(crate) struct ExplainArgs {
    /// A rule id, or a database / DDL file.
    pub(crate) first: String,
    /// `table.column` when the first argument is an input.
    pub(crate) second: Option<String>,
    #[command(flatten)]
    pub(crate) common: Common,
}

pub(crate) fn run_explain(a: ExplainArgs) -> Result<ExitCode, Fail> {
    let pack = load_pack(&a.common)?;
    match &a.second {
        None => explain_rule(&pack, &a.first, &a.common),
        Some(obj) => explain_column(&pack, &a.first, obj, &a.common),
    }
}

/// A rule's id, phase, priority, summary, condition, docs and origin.
fn explain_rule(pack: &RulePack, first: &str, common: &Common) -> Result<ExitCode, Fail> {
    let Some(rule) = pack.get(first) else {
        return Err(fail(
            Diagnostic::error(Stage::Cli, "unknown-rule", format!("no rule `{first}`"))
                .with_help("`pgbridge rules list` shows every rule"),
            common.reporter,
        ));
    };
    out!(
        "{} ({} phase, priority {})\n\n{}\n\nwhen: {}\n",
        rule.id,
        rule.phase,
        rule.priority,
        rule.summary,
        rule.when_src
    );
    out!("{}", rule.docs.trim_end());
    out!("\nsource: {}", rule.origin);
    Ok(ExitCode::SUCCESS)
}

/// The decision on column `obj` (`table.column`) of input `first`: type and
/// converter with evidence, the column phase's rule trail, the facts.
fn explain_column(
    pack: &RulePack,
    first: &str,
    obj: &str,
    common: &Common,
) -> Result<ExitCode, Fail> {
    let (sqlite, _) = read_input(Path::new(first), common)?;
    let opts = rewrite_options(common)?;
    let Some((table, column)) = obj.split_once('.') else {
        return Err(fail(
            Diagnostic::error(
                Stage::Cli,
                "bad-object",
                format!("`{obj}` is not table.column"),
            ),
            common.reporter,
        ));
    };
    let Some((facts, trail)) =
        pgbridge::rewrite::explain_column(&sqlite, pack, &opts, table, column)
    else {
        return Err(fail(
            Diagnostic::error(
                Stage::Cli,
                "unknown-column",
                format!("no column `{obj}` in {first}"),
            ),
            common.reporter,
        ));
    };
    let (pg, _) = pgbridge::rewrite_ir(&sqlite, pack, &opts);
    let pcol = pg
        .tables
        .iter()
        .find(|t| t.source_name.eq_ignore_ascii_case(table))
        .and_then(|t| {
            t.columns
                .iter()
                .find(|c| c.source_name.eq_ignore_ascii_case(column))
        });
    if let Some(c) = pcol {
        out1!("{obj}: {} (converter {})", c.pg_type, c.converter.name());
        for d in &c.decisions {
            out1!("  {}: {}", d.rule, d.evidence);
        }
    }
    out!("\nrule trail (column phase, first match wins):");
    for s in &trail {
        let mark = if s.matched {
            "MATCH"
        } else if s.error.is_some() {
            "ERROR"
        } else {
            "no"
        };
        out1!(
            "  {mark:5} {}{}",
            s.rule,
            s.error
                .as_ref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        );
    }
    out!(
        "\nfacts:\n{}",
        serde_json::to_string_pretty(&facts).unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}
