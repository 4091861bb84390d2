//! `pgbridge completions`: the shell completion script for the whole command
//! line, printed to stdout.
use crate::*;

pub(crate) fn run_completions(shell: clap_complete::Shell) -> Result<ExitCode, Fail> {
    use clap::CommandFactory;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "pgbridge", &mut script);
    // Through stdout_write, which a closed pipe does not make panic.
    stdout_write(&String::from_utf8_lossy(&script));
    Ok(ExitCode::SUCCESS)
}
