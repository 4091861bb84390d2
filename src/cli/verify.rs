//! `pgbridge verify`: digests of both sides, compared table by table, and
//! their report.
use crate::*;

#[derive(Args)]
pub(crate) struct VerifyArgs {
    /// SQLite database file (opened read-only).
    pub(crate) input: PathBuf,
    /// Target: a libpq URL or key=value string; PG* environment variables fill the rest.
    #[arg(id = "target_conn", value_name = "TARGET")]
    pub(crate) target_url: Option<String>,
    /// migrate's reject file: its rows are left out of the SQLite side (and listed).
    #[arg(long, value_name = "FILE")]
    pub(crate) rejects: Option<PathBuf>,
    /// Write the result as JSON (source SHA-256, target, per-table rows and digests).
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    /// Plan from the source schema and rules, not from the plan migrate recorded in the target.
    #[arg(long)]
    pub(crate) replan: bool,
    /// Hash the PostgreSQL side inside the server (04_validate.sql's SQL) instead of
    /// streaming its rows here: less traffic, more server CPU.
    #[arg(long)]
    pub(crate) hash_in_server: bool,
    #[command(flatten)]
    pub(crate) common: Common,
}

pub(crate) fn run_verify(a: VerifyArgs) -> Result<ExitCode, Fail> {
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

/// Print verify's per-table (and per-view) results; returns how many differ.
pub(crate) fn print_verify(results: &[pgbridge::verify::TableResult], seconds: f64) -> usize {
    let mut bad = 0;
    for r in results {
        let ok = r.matches();
        if !ok {
            bad += 1;
        }
        out1!(
            "{} {}{}: rows {} sqlite / {} postgres{}, sqlite {:.2} s, postgres {:.2} s",
            if ok { "match   " } else { "MISMATCH" },
            if r.view { "view " } else { "" },
            r.table,
            r.sqlite.rows,
            r.pg.rows,
            if r.keyed {
                String::new()
            } else if r.view {
                format!(" (duplicate rows {} / {})", r.sqlite.dups, r.pg.dups)
            } else {
                format!(
                    " (no key; duplicate rows {} / {})",
                    r.sqlite.dups, r.pg.dups
                )
            },
            r.sqlite_s,
            r.pg_s
        );
        // A view's digest has no line in 04_validate.sql: its own prefix.
        if r.view {
            out1!("view-{}", r.pg.line(&r.table));
        } else {
            out1!("{}", r.pg.line(&r.table));
        }
        if r.sqlite != r.pg {
            let prefix = if r.view { "view-" } else { "" };
            out1!("  sqlite side: {prefix}{}", r.sqlite.line(&r.table));
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
    let views = results.iter().filter(|r| r.view).count();
    out1!(
        "{}: {} tables, {}{} differ; {:.2} s",
        if bad == 0 { "verified" } else { "DIFFERENT" },
        results.len() - views,
        if views > 0 {
            format!("{views} views, ")
        } else {
            String::new()
        },
        bad,
        seconds
    );
    bad
}
