//! How a command ends: its diagnostics printed with the chosen reporter, its
//! exit code, and a `--report` file; [`Fail`] is the early exit (code 2).
use crate::*;

pub(crate) struct Fail(pub(crate) Diagnostics, pub(crate) Reporter);

pub(crate) fn fail(d: Diagnostic, r: Reporter) -> Fail {
    Fail(Diagnostics(vec![d]), r)
}

pub(crate) fn report(diags: &Diagnostics, reporter: Reporter) {
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

pub(crate) fn exit_for(diags: &Diagnostics, deny_warnings: bool) -> ExitCode {
    if diags.has_errors() || (deny_warnings && diags.count(Severity::Warning) > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Write a `--report` file: pretty JSON and a final newline.
pub(crate) fn write_report(
    path: &Path,
    r: &impl serde::Serialize,
    reporter: Reporter,
) -> Result<(), Fail> {
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
