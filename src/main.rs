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

mod cli;
use cli::help;

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

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum InspectFormat {
    Text,
    Json,
}

#[derive(Args)]
struct InspectArgs {
    /// SQLite database file (opened read-only).
    input: PathBuf,
    /// Text for people, JSON (stable field names, docs/inspect.md) for CI.
    #[arg(long, value_enum, default_value = "text")]
    format: InspectFormat,
    /// Exit 1 when there are blockers (error diagnostics).
    #[arg(long)]
    strict: bool,
    /// How many `PRAGMA integrity_check` problems to report.
    #[arg(long, default_value_t = 20)]
    integrity_limit: usize,
    #[command(flatten)]
    common: Common,
}

fn run_inspect(a: InspectArgs) -> Result<ExitCode, Fail> {
    let pack = load_pack(&a.common)?;
    let opts = pgbridge::inspect::InspectOptions {
        compile: CompileOptions {
            source: SourceOptions {
                profile: !a.common.no_profile,
            },
            // inspect compiles for --target/--extensions/--target-url, like compile.
            rewrite: rewrite_options(&a.common)?,
            emit: EmitOptions::default(),
        },
        integrity_limit: a.integrity_limit,
    };
    let i = pgbridge::inspect::inspect(&a.input, &pack, &opts).map_err(|e| {
        let d = match e {
            pgbridge::diag::Error::Diagnostic(d) => *d,
            e => Diagnostic::error(Stage::Source, "input-unreadable", e.to_string()),
        };
        fail(d, a.common.reporter)
    })?;
    match a.format {
        InspectFormat::Json => out!(
            "{}",
            serde_json::to_string_pretty(&i).unwrap_or_else(|_| "{}".into())
        ),
        InspectFormat::Text => out_raw!("{}", pgbridge::inspect::render_text(&i)),
    }
    Ok(if a.strict && i.blockers > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum OnErrorArg {
    Stop,
    Reject,
}

#[derive(Args)]
struct MigrateArgs {
    /// SQLite database file (opened read-only).
    input: PathBuf,
    /// Target: a libpq URL or key=value string; PG* environment variables fill the rest.
    #[arg(id = "target_conn", value_name = "TARGET")]
    target_url: Option<String>,
    /// Parallel table loads (default: the number of cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// A value that does not convert stops the run, or sends its row to the reject file.
    #[arg(long, value_enum, default_value = "stop")]
    on_error: OnErrorArg,
    /// Where rejected rows go (JSON lines).
    #[arg(long, value_name = "FILE", default_value = "rejects.jsonl")]
    rejects: PathBuf,
    /// Write the run report (JSON) here.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Show the plan (objects, rows, estimated time); change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Load into an existing schema (e.g. ORM-created), mapping tables and columns by name.
    #[arg(long)]
    data_only: bool,
    /// Skip the content verification that ends a run.
    #[arg(long)]
    no_verify: bool,
    /// maintenance_work_mem for the index builds.
    #[arg(long, default_value = "512MB")]
    maintenance_work_mem: String,
    /// Also write the SQL this run applied to DIR (01_schema.sql, 03_constraints.sql as
    /// run), so a reviewer reads exactly what reached the server; the report holds
    /// their SHA-256.
    #[arg(long, value_name = "DIR")]
    emit: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct VerifyArgs {
    /// SQLite database file (opened read-only).
    input: PathBuf,
    /// Target: a libpq URL or key=value string; PG* environment variables fill the rest.
    #[arg(id = "target_conn", value_name = "TARGET")]
    target_url: Option<String>,
    /// migrate's reject file: its rows are left out of the SQLite side (and listed).
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// Write the result as JSON (source SHA-256, target, per-table rows and digests).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Plan from the source schema and rules, not from the plan migrate recorded in the target.
    #[arg(long)]
    replan: bool,
    /// Hash the PostgreSQL side inside the server (04_validate.sql's SQL) instead of
    /// streaming its rows here: less traffic, more server CPU.
    #[arg(long)]
    hash_in_server: bool,
    #[command(flatten)]
    common: Common,
}

/// Progress for migrate: bars on a terminal, plain lines otherwise.
struct CliProgress {
    bars: Option<(
        indicatif::MultiProgress,
        std::sync::Mutex<std::collections::HashMap<String, indicatif::ProgressBar>>,
    )>,
    /// On a terminal, a spinner naming the phase under way, with its time:
    /// reading and profiling, constraints and verify show no table bars.
    spinner: std::sync::Mutex<Option<indicatif::ProgressBar>>,
}

impl CliProgress {
    fn new() -> CliProgress {
        use std::io::IsTerminal;
        CliProgress {
            bars: std::io::stderr().is_terminal().then(|| {
                (
                    indicatif::MultiProgress::new(),
                    std::sync::Mutex::new(std::collections::HashMap::new()),
                )
            }),
            spinner: std::sync::Mutex::new(None),
        }
    }

    /// Clear the phase spinner (before results are printed).
    fn done(&self) {
        if let Ok(mut s) = self.spinner.lock()
            && let Some(sp) = s.take()
        {
            sp.finish_and_clear();
        }
    }
}

/// The phase and tables a run is in, for the Ctrl-C message.
static RUN_STATE: std::sync::Mutex<(String, Vec<String>)> =
    std::sync::Mutex::new((String::new(), Vec::new()));

/// On Ctrl-C (or SIGTERM): say what was interrupted and that the same
/// command resumes, write the `--report` file with status `interrupted`, and
/// exit 130. What PostgreSQL had committed stays; open transactions roll back
/// when the connections close.
fn on_interrupt(command: &'static str, report: Option<PathBuf>, source: &Path, target: String) {
    let source = source.display().to_string();
    let _ = ctrlc::set_handler(move || {
        let (phase, tables) = RUN_STATE.lock().map(|s| s.clone()).unwrap_or_default();
        let phase = if phase.is_empty() {
            "starting".to_string()
        } else {
            phase
        };
        let busy = if tables.is_empty() {
            String::new()
        } else {
            let names: Vec<_> = tables
                .iter()
                .map(|t| pgbridge::ident::escape_text(t))
                .collect();
            format!(" (tables in progress: {})", names.join(", "))
        };
        err!(
            "\ninterrupted: {command} stopped while {phase}{busy}. Everything already committed in PostgreSQL is kept; run the same command again to resume."
        );
        if let Some(path) = &report {
            let r = serde_json::json!({
                "pgbridge_version": env!("CARGO_PKG_VERSION"),
                "command": command,
                "status": "interrupted",
                "phase": phase,
                "tables_in_progress": tables,
                "source": {"path": source},
                "target": {"url": target},
            });
            let _ = std::fs::write(
                path,
                serde_json::to_string_pretty(&r).unwrap_or_default() + "\n",
            );
        }
        std::process::exit(130);
    });
}

impl pgbridge::load::Progress for CliProgress {
    fn phase(&self, name: &str) {
        if let Ok(mut s) = RUN_STATE.lock() {
            s.0 = name.to_string();
        }
        match &self.bars {
            Some((m, _)) => {
                self.done();
                let _ = m.println(pgbridge::ident::escape_text(&format!("== {name}")));
                let sp = m.add(indicatif::ProgressBar::new_spinner());
                if let Ok(style) =
                    indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                {
                    sp.set_style(style);
                }
                sp.set_message(pgbridge::ident::escape_text(name).into_owned());
                sp.enable_steady_tick(std::time::Duration::from_millis(120));
                if let Ok(mut s) = self.spinner.lock() {
                    *s = Some(sp);
                }
            }
            None => err1!("== {name}"),
        }
    }
    /// On a terminal the spinner names the object too; plain output stays
    /// one line per phase and table.
    fn step(&self, what: &str) {
        if let Ok(s) = self.spinner.lock()
            && let Some(sp) = s.as_ref()
        {
            let phase = RUN_STATE.lock().map(|s| s.0.clone()).unwrap_or_default();
            sp.set_message(pgbridge::ident::escape_text(&format!("{phase}: {what}")).into_owned());
        }
    }
    fn table_start(&self, table: &str, rows: Option<u64>) {
        if let Ok(mut s) = RUN_STATE.lock() {
            s.1.push(table.to_string());
        }
        if let Some((m, bars)) = &self.bars {
            // Without a profile the row count is unknown: rows and rate only.
            let (template, bar) = match rows {
                Some(n) => (
                    "{prefix:>24} {bar:30} {human_pos:>10}/{human_len:10} {msg:>14} eta {eta}",
                    indicatif::ProgressBar::new(n),
                ),
                None => (
                    "{prefix:>24} {spinner} {human_pos:>10} rows {msg:>14}",
                    indicatif::ProgressBar::new_spinner(),
                ),
            };
            let style = indicatif::ProgressStyle::with_template(template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            let bar = m.add(bar);
            bar.set_style(style);
            bar.set_prefix(pgbridge::ident::escape_text(table).into_owned());
            if let Ok(mut b) = bars.lock() {
                b.insert(table.to_string(), bar);
            }
        }
    }
    fn table_rows(&self, table: &str, rows: u64) {
        if let Some((_, bars)) = &self.bars
            && let Ok(b) = bars.lock()
            && let Some(bar) = b.get(table)
        {
            bar.set_position(rows);
            let secs = bar.elapsed().as_secs_f64();
            if secs > 0.0 {
                bar.set_message(format!("{:.0} rows/s", rows as f64 / secs));
            }
        }
    }
    fn table_done(&self, table: &str, rows: u64, rejects: u64, seconds: f64) {
        if let Ok(mut s) = RUN_STATE.lock() {
            s.1.retain(|t| t != table);
        }
        let line = format!(
            "loaded {table}: {rows} rows{} in {seconds:.2} s ({:.0} rows/s)",
            if rejects > 0 {
                format!(", {rejects} rejected")
            } else {
                String::new()
            },
            rows as f64 / seconds.max(1e-9)
        );
        match &self.bars {
            Some((m, bars)) => {
                if let Ok(mut b) = bars.lock()
                    && let Some(bar) = b.remove(table)
                {
                    bar.finish_and_clear();
                }
                let _ = m.println(pgbridge::ident::escape_text(&line));
            }
            None => err1!("{line}"),
        }
    }
}

fn run_migrate(a: MigrateArgs) -> Result<ExitCode, Fail> {
    let reporter = a.common.reporter;
    let spec = connection_spec(a.target_url.as_deref(), &a.common)?;
    let pack = load_pack(&a.common)?;
    let target = parse_target(spec, reporter)?;
    on_interrupt("migrate", a.report.clone(), &a.input, target.redacted());
    let connector = || connect_to(&target);
    let opts = pgbridge::load::MigrateOptions {
        compile: live_compile_options(&a.common),
        jobs: a
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        on_error: match a.on_error {
            OnErrorArg::Stop => pgbridge::load::OnError::Stop,
            OnErrorArg::Reject => pgbridge::load::OnError::Reject,
        },
        rejects_path: a.rejects.clone(),
        data_only: a.data_only,
        dry_run: a.dry_run,
        target_display: target.redacted(),
        maintenance_work_mem: a.maintenance_work_mem.clone(),
    };
    let progress = CliProgress::new();
    let mut out = pgbridge::load::migrate(&a.input, &connector, &pack, &opts, &progress);
    progress.done();
    // A finished run ends with a verify: every value proven, or the difference.
    // It converts with the plan the run recorded in the target.
    let mut differ = 0;
    if !a.no_verify
        && !a.dry_run
        && !out.diagnostics.has_errors()
        && let Some(r) = out.report.as_mut()
    {
        progress_line(&progress, "verifying the content");
        let vopts = pgbridge::verify::VerifyOptions {
            compile: live_compile_options(&a.common),
            rejects: r.rejects_file.as_ref().map(PathBuf::from),
            replan: false,
            hash_in_server: false,
        };
        let t0 = std::time::Instant::now();
        let mut vdiags = Diagnostics::default();
        let verified =
            pgbridge::verify::verify(&a.input, &connector, &pack, &vopts, &progress, &mut vdiags);
        progress.done();
        match verified {
            Ok(v) => {
                let seconds = t0.elapsed().as_secs_f64();
                differ = print_verify(&v.tables, seconds);
                r.phases.verify_s = Some(seconds);
                r.verify = Some(v.tables.iter().map(Into::into).collect());
                if differ > 0 {
                    r.status = "verify-failed".into();
                }
            }
            Err(d) => out.diagnostics.push(*d),
        }
        // The plan note is for verify alone; errors and warnings matter here too.
        for d in vdiags
            .0
            .into_iter()
            .filter(|d| d.severity != Severity::Note)
        {
            out.diagnostics.push(d);
        }
    }
    if let (Some(path), Some(r)) = (&a.report, &out.report) {
        write_report(path, r, reporter)?;
    }
    if let (Some(dir), Some(r)) = (&a.emit, &out.report) {
        let written = std::fs::create_dir_all(dir).and_then(|_| {
            r.applied
                .iter()
                .try_for_each(|x| std::fs::write(dir.join(&x.file), &x.sql))
        });
        if let Err(e) = written {
            out.diagnostics.push(Diagnostic::error(
                Stage::Cli,
                "emit-unwritable",
                format!("cannot write the applied SQL to {}: {e}", dir.display()),
            ));
        }
    }
    report(&out.diagnostics, reporter);
    if let Some(r) = &out.report
        && reporter == Reporter::Tty
    {
        print_summary(r);
    }
    if out.diagnostics.has_errors() {
        // Connection, source and usage errors exit 2; data and schema errors 1.
        let io = out.diagnostics.iter().any(|d| {
            d.severity == Severity::Error
                && (d.stage == Stage::Source
                    || d.stage == Stage::Cli
                    || matches!(
                        d.code.as_str(),
                        "target-bad-url"
                            | "target-unreachable"
                            | "target-auth-failed"
                            | "target-no-database"
                            | "target-tls"
                            | "target-error"
                            | "target-connection-lost"
                            | "source-unreadable"
                            | "not-a-sqlite-database"
                    ))
        });
        return Ok(ExitCode::from(if io { 2 } else { 1 }));
    }
    if differ > 0 {
        return Ok(ExitCode::from(1));
    }
    Ok(exit_for(&out.diagnostics, a.common.deny_warnings))
}

/// A phase line through the progress display.
fn progress_line(p: &CliProgress, name: &str) {
    use pgbridge::load::Progress;
    p.phase(name);
}

fn run_verify(a: VerifyArgs) -> Result<ExitCode, Fail> {
    let reporter = a.common.reporter;
    let spec = connection_spec(a.target_url.as_deref(), &a.common)?;
    let pack = load_pack(&a.common)?;
    let target = parse_target(spec, reporter)?;
    let connector = || connect_to(&target);
    let opts = pgbridge::verify::VerifyOptions {
        compile: live_compile_options(&a.common),
        rejects: a.rejects.clone(),
        replan: a.replan,
        hash_in_server: a.hash_in_server,
    };
    let t0 = std::time::Instant::now();
    // The report names the source by its SHA-256, read beside the verify.
    let sha = a.report.as_ref().map(|_| {
        let path = a.input.clone();
        std::thread::spawn(move || pgbridge::load::sha256_file(&path))
    });
    let mut diags = Diagnostics::default();
    // A spinner on a terminal; plain output is the results alone.
    let progress = CliProgress::new();
    if progress.bars.is_some() {
        progress_line(&progress, "verifying the content");
    }
    let verified =
        pgbridge::verify::verify(&a.input, &connector, &pack, &opts, &progress, &mut diags);
    progress.done();
    let verified = match verified {
        Ok(v) => v,
        Err(d) => {
            diags.push(*d);
            return Err(Fail(diags, reporter));
        }
    };
    report(&diags, reporter);
    let seconds = t0.elapsed().as_secs_f64();
    let bad = print_verify(&verified.tables, seconds);
    if let (Some(path), Some(sha)) = (&a.report, sha) {
        let (sha256, bytes) = sha.join().ok().and_then(Result::ok).unwrap_or_default();
        let r = pgbridge::verify::VerifyReport {
            pgbridge_version: env!("CARGO_PKG_VERSION").into(),
            status: if bad == 0 { "match" } else { "differ" }.into(),
            source: pgbridge::load::SourceInfo {
                file: a.input.display().to_string(),
                sha256,
                bytes,
                path: std::fs::canonicalize(&a.input)
                    .ok()
                    .map(|p| p.display().to_string()),
            },
            target: target.redacted(),
            schema: verified.schema.clone(),
            plan: if verified.recorded_plan {
                "recorded"
            } else {
                "replanned"
            }
            .into(),
            seconds,
            tables: verified.tables.iter().map(Into::into).collect(),
            diagnostics: diags.0.clone(),
        };
        write_report(path, &r, reporter)?;
    }
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
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

/// Compile options for commands that read the target from the server
/// (`migrate`, `verify`): the version and extensions are filled in there.
fn live_compile_options(common: &Common) -> CompileOptions {
    CompileOptions {
        source: SourceOptions {
            profile: !common.no_profile,
        },
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

/// Print verify's per-table results; returns how many tables differ.
fn print_verify(results: &[pgbridge::verify::TableResult], seconds: f64) -> usize {
    let mut bad = 0;
    for r in results {
        let ok = r.matches();
        if !ok {
            bad += 1;
        }
        out1!(
            "{} {}: rows {} sqlite / {} postgres{}, sqlite {:.2} s, postgres {:.2} s",
            if ok { "match   " } else { "MISMATCH" },
            r.table,
            r.sqlite.rows,
            r.pg.rows,
            if r.keyed {
                String::new()
            } else {
                format!(
                    " (no key; duplicate rows {} / {})",
                    r.sqlite.dups, r.pg.dups
                )
            },
            r.sqlite_s,
            r.pg_s
        );
        out1!("{}", r.pg.line(&r.table));
        if r.sqlite != r.pg {
            out1!("  sqlite side: {}", r.sqlite.line(&r.table));
        }
        for x in &r.rejected {
            out1!("  rejected, not loaded: {x}");
        }
        for x in &r.unconvertible {
            out1!("  does not convert (and is not in the reject file): {x}");
        }
        for x in &r.differences {
            out1!("  {x}");
        }
    }
    out1!(
        "{}: {} tables, {} differ; {:.2} s",
        if bad == 0 { "verified" } else { "DIFFERENT" },
        results.len(),
        bad,
        seconds
    );
    bad
}

fn print_summary(r: &pgbridge::load::Report) {
    match r.status.as_str() {
        "planned" => {
            out1!(
                "plan {} for {} → {} (schema {}):",
                r.plan,
                r.source.file,
                r.target.url,
                r.target.schema
            );
            let mut total = 0;
            for t in &r.load_plan {
                let rows = t.rows.unwrap_or(0);
                total += rows;
                out1!(
                    "  {} → {}: {} rows, {} columns",
                    t.source,
                    t.target,
                    rows,
                    t.columns.len()
                );
                for c in &t.columns {
                    out1!(
                        "      {} → {} {} ({})",
                        c.source,
                        c.target,
                        c.pg_type,
                        c.converter.name()
                    );
                }
            }
            out1!(
                "{} tables, {} rows; estimated data phase {:.1} s",
                r.load_plan.len(),
                total,
                r.estimate_s.unwrap_or(0.0)
            );
        }
        "already-complete" => {
            out1!(
                "nothing to do: plan {} was already migrated into {} (schema {})",
                r.plan,
                r.target.url,
                r.target.schema
            );
        }
        status => {
            let rows: u64 = r.tables.iter().map(|t| t.rows).sum();
            let resumed = r.tables.iter().filter(|t| t.resumed).count();
            out1!(
                "{status}: {} tables, {} rows, {} rejected, {} orphan FK(s) left NOT VALID; schema {:.2} s, data {:.2} s, constraints {:.2} s, total {:.2} s{}{}",
                r.tables.len(),
                rows,
                r.rejects,
                r.orphans.len(),
                r.phases.schema_s,
                r.phases.data_s,
                r.phases.constraints_s,
                r.phases.total_s,
                r.phases
                    .verify_s
                    .map(|v| format!("; verify {v:.2} s"))
                    .unwrap_or_default(),
                if resumed > 0 {
                    format!(" ({resumed} tables from an earlier run)")
                } else {
                    String::new()
                }
            );
        }
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
    pgbridge::sqlite_to_ir(
        input,
        &SourceOptions {
            profile: !common.no_profile,
        },
    )
    .map_err(|e| {
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
                source: SourceOptions {
                    profile: !a.common.no_profile,
                },
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
