//! The flags every command shares ([`Common`]) and what they build: rule
//! pack, target (version and extensions), naming, source and compile
//! options, and the input read into `ir::sqlite`.
use crate::*;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum Reporter {
    Tty,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum NamingArg {
    AsWritten,
    SnakeCase,
    /// PostgreSQL's own folding: `Lock` → `lock`, so unquoted SQL keeps working.
    Lower,
}

#[derive(Args, Clone)]
pub(crate) struct Common {
    /// A rule pack directory (`<phase>/<id>.yaml`); takes precedence over the default pack. Repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    pub(crate) rules: Vec<PathBuf>,
    /// Target PostgreSQL major version: 15, 16, 17 or 18 [default: 18].
    #[arg(long = "pg-version", value_name = "MAJOR")]
    pub(crate) pg_version: Option<String>,
    /// The old name of --pg-version. Hidden; its value is never printed (a
    /// connection URL given here by mistake may hold a password).
    #[arg(long = "target", value_name = "MAJOR", hide = true)]
    pub(crate) target_alias: Option<String>,
    /// Extensions available on the target (comma-separated). Default: citext,pgcrypto.
    #[arg(long, value_delimiter = ',')]
    pub(crate) extensions: Option<Vec<String>>,
    /// Read the version and available extensions from a live server (compile,
    /// inspect); for migrate and verify, the server to connect to.
    #[arg(long, value_name = "URL")]
    pub(crate) target_url: Option<String>,
    /// How SQLite names become PostgreSQL names.
    #[arg(long, value_enum, default_value = "as-written")]
    pub(crate) naming: NamingArg,
    /// Create and use this PostgreSQL schema (namespace).
    #[arg(long, value_name = "NAME")]
    pub(crate) schema: Option<String>,
    /// Skip the data profile (faster; rules see no evidence).
    #[arg(long)]
    pub(crate) no_profile: bool,
    /// Load a SQLite loadable extension into every connection that reads the
    /// source (read-only), e.g. sqlite-vec's `vec0` or `mod_spatialite`. Repeatable.
    #[arg(long = "load-extension", value_name = "PATH")]
    pub(crate) load_extension: Vec<PathBuf>,
    /// How diagnostics are printed.
    #[arg(long, value_enum, default_value = "tty")]
    pub(crate) reporter: Reporter,
    /// Warnings make the exit code 1.
    #[arg(long)]
    pub(crate) deny_warnings: bool,
}

/// How the source is read: the profile and `--load-extension` libraries.
pub(crate) fn source_options(common: &Common) -> SourceOptions {
    SourceOptions {
        profile: !common.no_profile,
        extensions: common.load_extension.clone(),
    }
}

/// Compile options for commands that read the target from the server
/// (`migrate`, `verify`): the version and extensions are filled in there.
pub(crate) fn live_compile_options(common: &Common) -> CompileOptions {
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

pub(crate) fn load_pack(common: &Common) -> Result<RulePack, Fail> {
    let dirs: Vec<&Path> = common.rules.iter().map(|p| p.as_path()).collect();
    RulePack::load(&dirs).map_err(|e| Fail(Diagnostics(e), common.reporter))
}

pub(crate) fn target(common: &Common) -> Result<Target, Fail> {
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
pub(crate) fn pg_version(common: &Common) -> Result<Option<u32>, Fail> {
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

pub(crate) fn rewrite_options(common: &Common) -> Result<RewriteOptions, Fail> {
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

pub(crate) fn read_input(
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

/// Write `files` (relative paths) into `dir`, or fail naming the directory.
pub(crate) fn write_output(
    dir: &Path,
    files: &std::collections::BTreeMap<String, String>,
    reporter: Reporter,
) -> Result<(), Fail> {
    pgbridge::emit::write_files(dir, files).map_err(|e| {
        fail(
            Diagnostic::error(
                Stage::Emit,
                "output-unwritable",
                format!("cannot write {}: {e}", dir.display()),
            ),
            reporter,
        )
    })
}
