//! Diagnostics: the one type every stage returns for findings.
//!
//! Library code never prints; it pushes [`Diagnostic`]s into a [`Diagnostics`]
//! list. The CLI renders them with a reporter (`tty` or `json`). Every
//! diagnostic has a kebab-case `code`, the `stage` that raised it, a
//! `message` (the consequence) and, where there is a remedy, a `help`.
use serde::Serialize;
use std::fmt;

/// How bad a finding is. Ordered: `Note < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// The pipeline stage that raised a diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Source,
    Rewrite,
    Emit,
    Rules,
    Load,
    Cli,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Source => "source",
            Stage::Rewrite => "rewrite",
            Stage::Emit => "emit",
            Stage::Rules => "rules",
            Stage::Load => "load",
            Stage::Cli => "cli",
        })
    }
}

/// Where in an input a finding applies: a file (or `table.column` path) and
/// an optional 1-based line and column, plus an optional object path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Hash)]
pub struct Span {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The schema object the finding is about: `table`, `table.column`,
    /// `index name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
}

impl Span {
    pub fn object(obj: impl Into<String>) -> Self {
        Span {
            object: Some(obj.into()),
            ..Default::default()
        }
    }
    pub fn file_line(file: impl Into<String>, line: usize, column: usize) -> Self {
        Span {
            file: Some(file.into()),
            line: Some(line),
            column: Some(column),
            object: None,
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(file) = &self.file {
            let mut s = file.clone();
            if let Some(l) = self.line {
                s.push_str(&format!(":{l}"));
                if let Some(c) = self.column {
                    s.push_str(&format!(":{c}"));
                }
            }
            parts.push(s);
        }
        if let Some(o) = &self.object {
            parts.push(o.clone());
        }
        f.write_str(&parts.join(" "))
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Hash)]
pub struct Diagnostic {
    pub severity: Severity,
    /// kebab-case identifier, stable across releases (`virtual-table-kept-as-comment`).
    pub code: String,
    pub stage: Stage,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    pub span: Span,
}

impl Diagnostic {
    pub fn new(severity: Severity, stage: Stage, code: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code: code.to_string(),
            stage,
            message: message.into(),
            help: None,
            span: Span::default(),
        }
    }
    pub fn error(stage: Stage, code: &str, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, stage, code, message)
    }
    pub fn warning(stage: Stage, code: &str, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, stage, code, message)
    }
    pub fn note(stage: Stage, code: &str, message: impl Into<String>) -> Self {
        Self::new(Severity::Note, stage, code, message)
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn with_span(mut self, span: Span) -> Self {
        self.span = span;
        self
    }
    pub fn on(mut self, object: impl Into<String>) -> Self {
        self.span.object = Some(object.into());
        self
    }
}

/// A diagnostic prints as at most three lines — message, span, help — and
/// each field is one line: line breaks and control characters inside it
/// (a table name holding `\n`, a server error with a DETAIL line) are
/// written as escapes, so source text can neither forge a line of output
/// nor move the cursor.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::ident::escape_text as one_line;
        write!(
            f,
            "{}[{}]: {}",
            self.severity,
            one_line(&self.code),
            one_line(&self.message)
        )?;
        let span = self.span.to_string();
        if !span.is_empty() {
            write!(f, "\n  --> {}", one_line(&span))?;
        }
        if let Some(h) = &self.help {
            write!(f, "\n  = help: {}", one_line(h))?;
        }
        Ok(())
    }
}

/// An ordered list of diagnostics, with helpers to ask what it holds.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }
    pub fn count(&self, severity: Severity) -> usize {
        self.0.iter().filter(|d| d.severity == severity).count()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// A fatal failure of a stage: the stage could not produce its output.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Diagnostic(Box<Diagnostic>),
    #[error("I/O error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("SQLite error on {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Self {
        Error::Diagnostic(Box::new(d))
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// The first `n` characters of `s`, with `…` when there were more: how a
/// value is shown in a message or an example.
pub fn cut_chars(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().nth(n).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod cut_tests {
    use super::cut_chars;

    #[test]
    fn cuts_at_characters_and_marks_only_a_real_cut() {
        assert_eq!(cut_chars("abc", 3), "abc");
        assert_eq!(cut_chars("abcd", 3), "abc…");
        assert_eq!(cut_chars("éèêë", 2), "éè…");
        assert_eq!(cut_chars("", 0), "");
    }
}
