//! The `pgbridge` command line: parses arguments, runs library stages,
//! prints diagnostics with the chosen reporter, and maps outcomes to exit
//! codes — 0 ok, 1 errors (or warnings with --deny-warnings), 2 usage or I/O.
use clap::{Args, Parser, Subcommand, ValueEnum};
use pgbridge::diag::{Diagnostic, Diagnostics, Severity, Stage};
use pgbridge::ident::Naming;
use pgbridge::rewrite::{RewriteOptions, RulePack, Target};
use pgbridge::source::SourceOptions;
use pgbridge::{CompileOptions, EmitOptions};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Everything pgbridge prints goes through [`term`]: names and values from
/// the source or a rule pack are data, and their control characters (ESC,
/// C1, `\r`, …) never reach a terminal raw.
macro_rules! out {
    ($($t:tt)*) => { stdout_write(&(term(&format!($($t)*)) + "\n")) };
}
macro_rules! out_raw {
    ($($t:tt)*) => { stdout_write(&term(&format!($($t)*))) };
}
macro_rules! err {
    ($($t:tt)*) => { eprintln!("{}", term(&format!($($t)*))) };
}
/// One line of output, whatever the names and values in it hold: line
/// breaks and control characters become escapes, so a table named
/// `t\nerror[…]` cannot print a line of its own.
macro_rules! out1 {
    ($($t:tt)*) => { stdout_write(&(pgbridge::ident::escape_text(&format!($($t)*)) + "\n")) };
}
macro_rules! err1 {
    ($($t:tt)*) => { eprintln!("{}", pgbridge::ident::escape_text(&format!($($t)*))) };
}

/// Standard output, which a reader may close early (`pgbridge rules list |
/// head`): from then on output is dropped and the command runs to its end,
/// so a migration is never cut short by its reader. Any other write error
/// (a full disk) is said once and makes the exit code 2 ([`main`]).
fn stdout_write(s: &str) {
    use std::io::Write;
    use std::sync::atomic::Ordering;
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write to standard output: {e}");
            STDOUT_FAILED.store(true, Ordering::Relaxed);
        }
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static STDOUT_FAILED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `s` for a terminal: line breaks kept, every other unsafe character
/// escaped ([`pgbridge::ident::escape_text`]). JSON stays valid JSON.
fn term(s: &str) -> String {
    s.split('\n')
        .map(pgbridge::ident::escape_text)
        .collect::<Vec<_>>()
        .join("\n")
}

mod cli;
use cli::capture::*;
use cli::common::*;
use cli::compile::*;
use cli::completions::*;
use cli::connect::*;
use cli::cutover::*;
use cli::debug::*;
use cli::diff::*;
use cli::explain::*;
use cli::help;
use cli::inspect::*;
use cli::migrate::*;
use cli::outcome::*;
use cli::progress::*;
use cli::rollback::*;
use cli::rules::*;
use cli::sync::*;
use cli::verify::*;

#[derive(Parser)]
#[command(
    name = "pgbridge",
    version,
    about = "SQLite to PostgreSQL: a reviewable migration set, compiled from rules"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a SQLite database (or .sql DDL) into a migration set.
    #[command(after_help = help::COMPILE)]
    Compile(CompileArgs),
    /// The ALTERs from one schema to the next (two SQLite databases or .sql DDL), with hazards.
    #[command(after_help = help::DIFF)]
    Diff(DiffArgs),
    /// Explain a rule (`explain json-text`) or a column's decision (`explain app.db users.created_at`).
    Explain(ExplainArgs),
    /// Move a SQLite database into PostgreSQL: schema, data (binary COPY), constraints.
    #[command(after_help = help::with_connection_env(help::MIGRATE))]
    Migrate(MigrateArgs),
    /// Before a migration: what will happen, what blocks, what is dirty.
    #[command(after_help = help::INSPECT)]
    Inspect(InspectArgs),
    /// Prove every value arrived: canonical content digests of SQLite (converted) and PostgreSQL, per table.
    #[command(after_help = help::with_connection_env(help::VERIFY))]
    Verify(VerifyArgs),
    /// Change capture on the live source, for a move without downtime: install or remove it.
    Capture {
        #[command(subcommand)]
        command: CaptureCommand,
    },
    /// Keep the target in step with a live source after `migrate --live`; `--status` shows the lag.
    Sync(SyncArgs),
    /// Make PostgreSQL the database of record: freeze SQLite's writers, drain to a fence, verify, switch.
    Cutover(CutoverArgs),
    /// After a cutover: bring PostgreSQL's changes back to SQLite, reopen it, block PostgreSQL's writes.
    Rollback(RollbackArgs),
    /// Print shell completions for bash, zsh, fish, elvish or PowerShell.
    #[command(after_help = help::COMPLETIONS)]
    Completions { shell: clap_complete::Shell },
    /// Rule packs: list rules, run a pack's examples and fixtures.
    #[command(after_help = help::RULES)]
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Print an intermediate representation.
    Debug {
        #[command(subcommand)]
        command: DebugCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(Fail(diags, reporter)) => {
            report(&diags, reporter);
            ExitCode::from(2)
        }
    };
    if STDOUT_FAILED.load(std::sync::atomic::Ordering::Relaxed) {
        return ExitCode::from(2);
    }
    code
}

fn run(cli: Cli) -> Result<ExitCode, Fail> {
    match cli.command {
        Command::Compile(a) => run_compile(a),
        Command::Diff(a) => run_diff(a),
        Command::Explain(a) => run_explain(a),
        Command::Migrate(a) => run_migrate(a),
        Command::Inspect(a) => run_inspect(a),
        Command::Verify(a) => run_verify(a),
        Command::Capture { command } => run_capture(command),
        Command::Sync(a) => run_sync(a),
        Command::Cutover(a) => run_cutover(a),
        Command::Rollback(a) => run_rollback(a),
        Command::Completions { shell } => run_completions(shell),
        Command::Rules { command } => run_rules(command),
        Command::Debug { command } => run_debug(command),
    }
}
