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
    ($($t:tt)*) => { println!("{}", term(&format!($($t)*))) };
}
macro_rules! out_raw {
    ($($t:tt)*) => { print!("{}", term(&format!($($t)*))) };
}
macro_rules! err {
    ($($t:tt)*) => { eprintln!("{}", term(&format!($($t)*))) };
}
/// One line of output, whatever the names and values in it hold: line
/// breaks and control characters become escapes, so a table named
/// `t\nerror[…]` cannot print a line of its own.
macro_rules! out1 {
    ($($t:tt)*) => { println!("{}", pgbridge::ident::escape_text(&format!($($t)*))) };
}
macro_rules! err1 {
    ($($t:tt)*) => { eprintln!("{}", pgbridge::ident::escape_text(&format!($($t)*))) };
}

/// `s` for a terminal: line breaks kept, every other unsafe character
/// escaped ([`pgbridge::ident::escape_text`]). JSON stays valid JSON.
fn term(s: &str) -> String {
    s.split('\n')
        .map(pgbridge::ident::escape_text)
        .collect::<Vec<_>>()
        .join("\n")
}

mod cli;
use cli::help;
use cli::inspect::*;
use cli::migrate::*;
use cli::progress::*;
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
    /// Explain a rule (`explain json-text`) or a column's decision (`explain app.db users.created_at`).
    Explain {
        /// A rule id, or a database / DDL file.
        first: String,
        /// `table.column` when the first argument is an input.
        second: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Move a SQLite database into PostgreSQL: schema, data (binary COPY), constraints.
    #[command(after_help = help::with_connection_env(help::MIGRATE))]
    Migrate(MigrateArgs),
    /// Before a migration: what will happen, what blocks, what is dirty.
    #[command(after_help = help::INSPECT)]
    Inspect(InspectArgs),
    /// Prove every value arrived: canonical content digests of SQLite (converted) and PostgreSQL, per table.
    #[command(after_help = help::with_connection_env(help::VERIFY))]
    Verify(VerifyArgs),
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

#[derive(Subcommand)]
enum RulesCommand {
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

#[derive(Subcommand)]
enum DebugCommand {
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

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Reporter {
    Tty,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum NamingArg {
    AsWritten,
    SnakeCase,
    /// PostgreSQL's own folding: `Lock` → `lock`, so unquoted SQL keeps working.
    Lower,
}

#[derive(Args, Clone)]
struct Common {
    /// A rule pack directory (`<phase>/<id>.yaml`); takes precedence over the default pack. Repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,
    /// Target PostgreSQL major version: 15, 16, 17 or 18 [default: 18].
    #[arg(long = "pg-version", value_name = "MAJOR")]
    pg_version: Option<String>,
    /// The old name of --pg-version. Hidden; its value is never printed (a
    /// connection URL given here by mistake may hold a password).
    #[arg(long = "target", value_name = "MAJOR", hide = true)]
    target_alias: Option<String>,
    /// Extensions available on the target (comma-separated). Default: citext,pgcrypto.
    #[arg(long, value_delimiter = ',')]
    extensions: Option<Vec<String>>,
    /// Read the version and available extensions from a live server (compile,
    /// inspect); for migrate and verify, the server to connect to.
    #[arg(long, value_name = "URL")]
    target_url: Option<String>,
    /// How SQLite names become PostgreSQL names.
    #[arg(long, value_enum, default_value = "as-written")]
    naming: NamingArg,
    /// Create and use this PostgreSQL schema (namespace).
    #[arg(long, value_name = "NAME")]
    schema: Option<String>,
    /// Skip the data profile (faster; rules see no evidence).
    #[arg(long)]
    no_profile: bool,
    /// Load a SQLite loadable extension into every connection that reads the
    /// source (read-only), e.g. sqlite-vec's `vec0` or `mod_spatialite`. Repeatable.
    #[arg(long = "load-extension", value_name = "PATH")]
    load_extension: Vec<PathBuf>,
    /// How diagnostics are printed.
    #[arg(long, value_enum, default_value = "tty")]
    reporter: Reporter,
    /// Warnings make the exit code 1.
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(Args)]
struct CompileArgs {
    /// SQLite database file or .sql DDL.
    input: PathBuf,
    /// Output directory.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// Compare with the files in the output directory instead of writing; exit 1 with a diff on drift.
    #[arg(long)]
    check: bool,
    /// Directory of templates (`*.sql.j2`) overriding the embedded ones.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

/// Write a `--report` file: pretty JSON and a final newline.
fn write_report(path: &Path, r: &impl serde::Serialize, reporter: Reporter) -> Result<(), Fail> {
    let text = serde_json::to_string_pretty(r).unwrap_or_default();
    std::fs::write(path, text + "\n").map_err(|e| {
        fail(
            Diagnostic::error(
                Stage::Cli,
                "report-unwritable",
                format!("cannot write {}: {e}", path.display()),
            ),
            reporter,
        )
    })
}

/// The `TARGET` argument (or PG* variables) as a connection target.
fn parse_target(spec: Option<&str>, reporter: Reporter) -> Result<pgbridge::conn::Target, Fail> {
    let t = pgbridge::conn::Target::parse(spec).map_err(|e| {
        let mut d = Diagnostic::error(Stage::Cli, e.code(), e.to_string());
        if let Some(h) = e.help() {
            d = d.with_help(h);
        }
        Fail(Diagnostics(vec![d]), reporter)
    })?;
    warn_passfile(&t);
    Ok(t)
}

/// libpq warns when it skips a password file; so do we.
fn warn_passfile(t: &pgbridge::conn::Target) {
    if let Some(w) = t.passfile_warning() {
        err!(
            "{}",
            Diagnostic::warning(Stage::Cli, "passfile-ignored", w)
                .with_help("a password file must be readable by its owner only")
        );
    }
}

/// Opens a connection to `target`, errors as the loader reports them.
fn connect_to(
    target: &pgbridge::conn::Target,
) -> Result<postgres::Client, pgbridge::load::ConnectFailure> {
    target.connect().map_err(Into::into)
}

/// How the source is read: the profile and `--load-extension` libraries.
fn source_options(common: &Common) -> SourceOptions {
    SourceOptions {
        profile: !common.no_profile,
        extensions: common.load_extension.clone(),
    }
}

/// Compile options for commands that read the target from the server
/// (`migrate`, `verify`): the version and extensions are filled in there.
fn live_compile_options(common: &Common) -> CompileOptions {
    CompileOptions {
        source: source_options(common),
        rewrite: RewriteOptions {
            target: Target::new(18, &[]),
            naming: match common.naming {
                NamingArg::AsWritten => Naming::AsWritten,
                NamingArg::SnakeCase => Naming::SnakeCase,
                NamingArg::Lower => Naming::Lower,
            },
            namespace: common.schema.clone(),
        },
        emit: EmitOptions::default(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(Fail(diags, reporter)) => {
            report(&diags, reporter);
            ExitCode::from(2)
        }
    }
}

struct Fail(Diagnostics, Reporter);

fn fail(d: Diagnostic, r: Reporter) -> Fail {
    Fail(Diagnostics(vec![d]), r)
}

fn load_pack(common: &Common) -> Result<RulePack, Fail> {
    let dirs: Vec<&Path> = common.rules.iter().map(|p| p.as_path()).collect();
    RulePack::load(&dirs).map_err(|e| Fail(Diagnostics(e), common.reporter))
}

fn target(common: &Common) -> Result<Target, Fail> {
    if let Some(url) = &common.target_url {
        return read_target(url).map_err(|d| fail(*d, common.reporter));
    }
    let version = pg_version(common)?.unwrap_or(18);
    Ok(match &common.extensions {
        Some(e) => Target::new(version, e),
        None => Target {
            version,
            ..Target::new(
                version,
                &pgbridge::rewrite::target::DEFAULT_EXTENSIONS
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>(),
            )
        },
    })
}

/// `--pg-version` (or its old name `--target`), checked. A value that is not a
/// supported major version is an error that never repeats the value: a
/// connection URL passed here by mistake may hold a password.
fn pg_version(common: &Common) -> Result<Option<u32>, Fail> {
    let (flag, value) = match (&common.pg_version, &common.target_alias) {
        (Some(v), _) => ("--pg-version", v),
        (None, Some(v)) => ("--target", v),
        (None, None) => return Ok(None),
    };
    let supported = pgbridge::rewrite::target::SUPPORTED_VERSIONS;
    match value.trim().parse::<u32>() {
        Ok(v) if supported.contains(&v) => Ok(Some(v)),
        parsed => {
            let looks_like_connection = parsed.is_err()
                && (value.contains("://") || value.contains('=') || value.contains('@'));
            let message = match parsed {
                Ok(v) => format!("{flag} {v} is not supported; use one of {supported:?}"),
                Err(_) => format!(
                    "{flag} takes a PostgreSQL major version ({supported:?}); the value given is not one (not shown: it may hold a password)"
                ),
            };
            let help = if looks_like_connection {
                "that looks like a connection: pass it as the TARGET argument (`pgbridge migrate app.db 'postgres://…'`, `pgbridge verify app.db 'postgres://…'`) or as --target-url (compile, inspect)"
            } else {
                "e.g. --pg-version 15"
            };
            Err(fail(
                Diagnostic::error(Stage::Cli, "unsupported-target", message).with_help(help),
                common.reporter,
            ))
        }
    }
}

/// The connection of `migrate` and `verify`: the TARGET argument or
/// `--target-url` (one of them, or both the same), else the PG* variables.
fn connection_spec<'a>(
    positional: Option<&'a str>,
    common: &'a Common,
) -> Result<Option<&'a str>, Fail> {
    // The version is read from the server; a wrong --pg-version is still an error.
    pg_version(common)?;
    match (positional, common.target_url.as_deref()) {
        (Some(a), Some(b)) if a != b => Err(fail(
            Diagnostic::error(
                Stage::Cli,
                "two-targets",
                "both a TARGET argument and --target-url name a server, and they differ (not shown: they may hold a password)",
            )
            .with_help("give the server once: as the TARGET argument, or as --target-url"),
            common.reporter,
        )),
        (Some(a), _) => Ok(Some(a)),
        (None, b) => Ok(b),
    }
}

/// Version and available extensions of a live server.
fn read_target(url: &str) -> Result<Target, Box<Diagnostic>> {
    let conn_target = pgbridge::conn::Target::parse(Some(url));
    if let Ok(t) = &conn_target {
        warn_passfile(t);
    }
    let mut client = conn_target.and_then(|t| t.connect()).map_err(|e| {
        let help = match e.help() {
            Some(h) => format!("{h}; or pass --pg-version and --extensions instead"),
            None => "check the URL, or pass --pg-version and --extensions instead".to_string(),
        };
        Box::new(
            Diagnostic::error(
                Stage::Cli,
                e.code(),
                format!("cannot connect to the target: {e}"),
            )
            .with_help(help),
        )
    })?;
    let query_err = |e: postgres::Error| {
        Box::new(Diagnostic::error(
            Stage::Cli,
            "target-error",
            format!("reading the target's version and extensions: {e}"),
        ))
    };
    let row = client
        .query_one(
            "SELECT current_setting('server_version_num')::int / 10000",
            &[],
        )
        .map_err(query_err)?;
    let version: i32 = row.get(0);
    let rows = client
        .query(
            "SELECT name FROM pg_available_extensions ORDER BY name",
            &[],
        )
        .map_err(query_err)?;
    let ext: Vec<String> = rows.iter().map(|r| r.get::<_, String>(0)).collect();
    Ok(Target::new(version as u32, &ext))
}

fn rewrite_options(common: &Common) -> Result<RewriteOptions, Fail> {
    Ok(RewriteOptions {
        target: target(common)?,
        naming: match common.naming {
            NamingArg::AsWritten => Naming::AsWritten,
            NamingArg::SnakeCase => Naming::SnakeCase,
            NamingArg::Lower => Naming::Lower,
        },
        namespace: common.schema.clone(),
    })
}

fn read_input(
    input: &Path,
    common: &Common,
) -> Result<(pgbridge::ir::sqlite::Schema, Diagnostics), Fail> {
    pgbridge::sqlite_to_ir(input, &source_options(common)).map_err(|e| {
        let d = match e {
            pgbridge::diag::Error::Diagnostic(d) => *d,
            e => Diagnostic::error(Stage::Source, "input-unreadable", e.to_string()),
        };
        fail(d, common.reporter)
    })
}

fn report(diags: &Diagnostics, reporter: Reporter) {
    match reporter {
        Reporter::Json => {
            out!(
                "{}",
                serde_json::to_string_pretty(diags).unwrap_or_else(|_| "[]".into())
            );
        }
        Reporter::Tty => {
            for d in diags.iter() {
                err!("{d}");
            }
            if !diags.is_empty() {
                err1!(
                    "{} error(s), {} warning(s), {} note(s)",
                    diags.count(Severity::Error),
                    diags.count(Severity::Warning),
                    diags.count(Severity::Note)
                );
            }
        }
    }
}

fn exit_for(diags: &Diagnostics, deny_warnings: bool) -> ExitCode {
    if diags.has_errors() || (deny_warnings && diags.count(Severity::Warning) > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn run(cli: Cli) -> Result<ExitCode, Fail> {
    match cli.command {
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "pgbridge",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate(a) => run_migrate(a),
        Command::Inspect(a) => run_inspect(a),
        Command::Verify(a) => run_verify(a),
        Command::Compile(a) => {
            let pack = load_pack(&a.common)?;
            let (sqlite, diags) = read_input(&a.input, &a.common)?;
            let opts = CompileOptions {
                source: source_options(&a.common),
                rewrite: rewrite_options(&a.common)?,
                emit: EmitOptions {
                    templates: a.templates.clone(),
                    ..Default::default()
                },
            };
            let c = pgbridge::compile_schema(sqlite, diags, &pack, &opts).map_err(|e| {
                fail(
                    Diagnostic::error(Stage::Emit, "emit-failed", e.to_string()),
                    a.common.reporter,
                )
            })?;
            let mut diags = c.diagnostics.clone();
            if a.check {
                let drift = pgbridge::emit::check(&c.set, &a.output);
                for (name, diff) in &drift {
                    out_raw!("{diff}");
                    diags.push(
                        Diagnostic::error(
                            Stage::Emit,
                            "migration-drift",
                            format!("{name} differs from what the rules compile to"),
                        )
                        .on(a.output.join(name).display().to_string())
                        .with_help(
                            "recompile without --check and commit the result, or fix the rules",
                        ),
                    );
                }
                report(&diags, a.common.reporter);
                return Ok(exit_for(&diags, a.common.deny_warnings));
            }
            c.set.write(&a.output).map_err(|e| {
                fail(
                    Diagnostic::error(
                        Stage::Emit,
                        "output-unwritable",
                        format!("cannot write {}: {e}", a.output.display()),
                    ),
                    a.common.reporter,
                )
            })?;
            report(&diags, a.common.reporter);
            if a.common.reporter == Reporter::Tty {
                err1!(
                    "wrote {} files to {} ({} tables)",
                    c.set.files.len(),
                    a.output.display(),
                    c.pg.tables.len()
                );
            }
            Ok(exit_for(&diags, a.common.deny_warnings))
        }
        Command::Explain {
            first,
            second,
            common,
        } => {
            let pack = load_pack(&common)?;
            match second {
                None => {
                    let Some(rule) = pack.get(&first) else {
                        return Err(fail(
                            Diagnostic::error(
                                Stage::Cli,
                                "unknown-rule",
                                format!("no rule `{first}`"),
                            )
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
                Some(obj) => {
                    let (sqlite, _) = read_input(Path::new(&first), &common)?;
                    let opts = rewrite_options(&common)?;
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
                        pgbridge::rewrite::explain_column(&sqlite, &pack, &opts, table, column)
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
                    let (pg, _) = pgbridge::rewrite_ir(&sqlite, &pack, &opts);
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
            }
        }
        Command::Rules {
            command: RulesCommand::List { common },
        } => {
            let pack = load_pack(&common)?;
            for r in pgbridge::rewrite::rules::PHASES
                .iter()
                .flat_map(|ph| pack.phase(ph))
            {
                out1!("{:8} {:4} {:40} {}", r.phase, r.priority, r.id, r.summary);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules {
            command: RulesCommand::Facts,
        } => {
            for p in pgbridge::rewrite::facts::all_paths() {
                out1!("{p}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules {
            command: RulesCommand::Test { dir, update },
        } => {
            let pack = RulePack::load(&[dir.as_path()])
                .map_err(|e| Fail(Diagnostics(e), Reporter::Tty))?;
            let prefix = dir.display().to_string();
            let mut outcomes = pgbridge::ruletest::run_examples(&pack, Some(&prefix));
            outcomes.extend(pgbridge::ruletest::run_fixtures(&dir, &pack, update));
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
        Command::Debug { command } => {
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
    }
}
