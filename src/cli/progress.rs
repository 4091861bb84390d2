//! What a long run shows while it works: a spinner per phase naming the
//! object under way, a bar per table on a terminal, one line per phase and
//! table otherwise; and what Ctrl-C says and writes.
use crate::*;

/// Progress for migrate: bars on a terminal, plain lines otherwise.
pub(crate) struct CliProgress {
    pub(crate) bars: Option<(
        indicatif::MultiProgress,
        std::sync::Mutex<std::collections::HashMap<String, indicatif::ProgressBar>>,
    )>,
    /// On a terminal, a spinner naming the phase under way, with its time:
    /// reading and profiling, constraints and verify show no table bars.
    pub(crate) spinner: std::sync::Mutex<Option<indicatif::ProgressBar>>,
}

impl CliProgress {
    pub(crate) fn new() -> CliProgress {
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
    pub(crate) fn done(&self) {
        if let Ok(mut s) = self.spinner.lock()
            && let Some(sp) = s.take()
        {
            sp.finish_and_clear();
        }
    }
}

/// The phase and tables a run is in, for the Ctrl-C message.
pub(crate) static RUN_STATE: std::sync::Mutex<(String, Vec<String>)> =
    std::sync::Mutex::new((String::new(), Vec::new()));

/// On Ctrl-C (or SIGTERM): say what was interrupted and that the same
/// command resumes, write the `--report` file with status `interrupted`, and
/// exit 130. What PostgreSQL had committed stays; open transactions roll back
/// when the connections close.
pub(crate) fn on_interrupt(
    command: &'static str,
    report: Option<PathBuf>,
    source: &Path,
    target: String,
) {
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

/// A phase line through the progress display.
pub(crate) fn progress_line(p: &CliProgress, name: &str) {
    use pgbridge::load::Progress;
    p.phase(name);
}
