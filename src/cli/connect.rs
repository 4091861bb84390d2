//! The server a command talks to: the TARGET argument, `--target-url` or
//! the PG* variables, parsed and connected; and a live server's version and
//! extensions for `--target-url` on compile and inspect.
use crate::*;

/// The `TARGET` argument (or PG* variables) as a connection target.
pub(crate) fn parse_target(
    spec: Option<&str>,
    reporter: Reporter,
) -> Result<pgbridge::conn::Target, Fail> {
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
pub(crate) fn warn_passfile(t: &pgbridge::conn::Target) {
    if let Some(w) = t.passfile_warning() {
        err!(
            "{}",
            Diagnostic::warning(Stage::Cli, "passfile-ignored", w)
                .with_help("a password file must be readable by its owner only")
        );
    }
}

/// Opens a connection to `target`, errors as the loader reports them.
pub(crate) fn connect_to(
    target: &pgbridge::conn::Target,
) -> Result<postgres::Client, pgbridge::load::ConnectFailure> {
    target.connect().map_err(Into::into)
}

/// The connection of `migrate` and `verify`: the TARGET argument or
/// `--target-url` (one of them, or both the same), else the PG* variables.
pub(crate) fn connection_spec<'a>(
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
pub(crate) fn read_target(url: &str) -> Result<Target, Box<Diagnostic>> {
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
