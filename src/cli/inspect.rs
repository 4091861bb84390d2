//! `pgbridge inspect`: what a database holds and what migrate would do with
//! it, as text for people or JSON for CI.
use crate::*;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum InspectFormat {
    Text,
    Json,
}

#[derive(Args)]
pub(crate) struct InspectArgs {
    /// SQLite database file (opened read-only).
    pub(crate) input: PathBuf,
    /// Text for people, JSON (stable field names, docs/inspect.md) for CI.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: InspectFormat,
    /// Exit 1 when there are blockers (error diagnostics).
    #[arg(long)]
    pub(crate) strict: bool,
    /// How many `PRAGMA integrity_check` problems to report.
    #[arg(long, default_value_t = 20)]
    pub(crate) integrity_limit: usize,
    #[command(flatten)]
    pub(crate) common: Common,
}

pub(crate) fn run_inspect(a: InspectArgs) -> Result<ExitCode, Fail> {
    let pack = load_pack(&a.common)?;
    let opts = pgbridge::inspect::InspectOptions {
        compile: CompileOptions {
            source: source_options(&a.common),
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
