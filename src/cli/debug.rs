//! `pgbridge debug`: the SQLite IR after the source stage, or the
//! PostgreSQL IR after the rewrite stage, as JSON.
use crate::*;

#[derive(Subcommand)]
pub(crate) enum DebugCommand {
    /// The SQLite IR after the source stage (JSON).
    Ir {
        input: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// The PostgreSQL IR after the rewrite stage (JSON).
    Rewrite {
        input: PathBuf,
        #[command(flatten)]
        common: Common,
    },
}

pub(crate) fn run_debug(command: DebugCommand) -> Result<ExitCode, Fail> {
    let (input, common, stage) = match command {
        DebugCommand::Ir { input, common } => (input, common, "ir"),
        DebugCommand::Rewrite { input, common } => (input, common, "rewrite"),
    };
    let (sqlite, mut diags) = read_input(&input, &common)?;
    let json = if stage == "ir" {
        serde_json::to_string_pretty(&sqlite)
    } else {
        let pack = load_pack(&common)?;
        let (pg, d) = pgbridge::rewrite_ir(&sqlite, &pack, &rewrite_options(&common)?);
        diags.extend(d);
        serde_json::to_string_pretty(&pg)
    };
    out!("{}", json.unwrap_or_default());
    report(&diags, Reporter::Tty);
    Ok(exit_for(&diags, common.deny_warnings))
}
