//! `pgbridge compile`: the migration set written to a directory, or with
//! `--check` compared with the one there (a diff per drifted file).
use crate::*;

#[derive(Args)]
pub(crate) struct CompileArgs {
    /// SQLite database file or .sql DDL.
    pub(crate) input: PathBuf,
    /// Output directory.
    #[arg(short, long, value_name = "DIR")]
    pub(crate) output: PathBuf,
    /// Compare with the files in the output directory instead of writing; exit 1 with a diff on drift.
    #[arg(long)]
    pub(crate) check: bool,
    /// Directory of templates (`*.sql.j2`) overriding the embedded ones.
    #[arg(long, value_name = "DIR")]
    pub(crate) templates: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) common: Common,
}

pub(crate) fn run_compile(a: CompileArgs) -> Result<ExitCode, Fail> {
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
                .with_help("recompile without --check and commit the result, or fix the rules"),
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
