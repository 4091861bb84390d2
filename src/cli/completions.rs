//! `pgbridge completions`: the shell completion script for the whole command
//! line, printed to stdout.
use crate::*;

pub(crate) fn run_completions(shell: clap_complete::Shell) -> Result<ExitCode, Fail> {
    use clap::CommandFactory;
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "pgbridge",
        &mut std::io::stdout(),
    );
    Ok(ExitCode::SUCCESS)
}
