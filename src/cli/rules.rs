//! `pgbridge rules`: list a pack's rules in evaluation order, the facts a
//! rule can read, and run a pack's examples and fixtures.
use crate::*;

#[derive(Subcommand)]
pub(crate) enum RulesCommand {
    /// List every rule in evaluation order.
    List {
        #[command(flatten)]
        common: Common,
    },
    /// Every fact a rule's `when:` and templates can read.
    Facts,
    /// Run a pack's examples and `DIR/tests/*.sql` fixtures.
    Test {
        dir: PathBuf,
        /// Rewrite `tests/*.expected.sql` from the current output.
        #[arg(long)]
        update: bool,
    },
}

pub(crate) fn run_rules(command: RulesCommand) -> Result<ExitCode, Fail> {
    match command {
        RulesCommand::List { common } => list(&common),
        RulesCommand::Facts => facts(),
        RulesCommand::Test { dir, update } => test(&dir, update),
    }
}

/// One line per rule: phase, priority, id, summary.
fn list(common: &Common) -> Result<ExitCode, Fail> {
    let pack = load_pack(common)?;
    for r in pgbridge::rewrite::rules::PHASES
        .iter()
        .flat_map(|ph| pack.phase(ph))
    {
        out1!("{:8} {:4} {:40} {}", r.phase, r.priority, r.id, r.summary);
    }
    Ok(ExitCode::SUCCESS)
}

/// Every fact path, one a line.
fn facts() -> Result<ExitCode, Fail> {
    for p in pgbridge::rewrite::facts::all_paths() {
        out1!("{p}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The pack in `dir` alone: its examples, then its fixtures (rewritten with
/// `update`); exit 1 when one fails.
fn test(dir: &Path, update: bool) -> Result<ExitCode, Fail> {
    let pack = RulePack::load(&[dir]).map_err(|e| Fail(Diagnostics(e), Reporter::Tty))?;
    let prefix = dir.display().to_string();
    let mut outcomes = pgbridge::ruletest::run_examples(&pack, Some(&prefix));
    outcomes.extend(pgbridge::ruletest::run_fixtures(dir, &pack, update));
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    for o in &outcomes {
        out1!("{} {}", if o.passed { "ok  " } else { "FAIL" }, o.name);
        if !o.passed || !o.detail.is_empty() {
            for l in o.detail.lines() {
                out1!("    {l}");
            }
        }
    }
    out1!("{} passed, {} failed", outcomes.len() - failed, failed);
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
