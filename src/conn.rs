//! How pgbridge reaches PostgreSQL: connection targets, passwords, TLS and errors.
//!
//! Input: a connection spec — a libpq URL (`postgres://` or `postgresql://`), a libpq
//! `key=value` conninfo string, or nothing — plus the environment. [`Target::parse`]
//! resolves it the way libpq does: a value in the spec wins, then the `PG*`
//! environment variable (`PGHOST`, `PGHOSTADDR`, `PGPORT`, `PGUSER`, `PGPASSWORD`,
//! `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`, `PGCONNECT_TIMEOUT`, `PGAPPNAME`,
//! `PGOPTIONS`, `PGPASSFILE`), then the default (user = the OS account, dbname = user,
//! host = `localhost`, port 5432, sslmode `prefer`, application_name `pgbridge`).
//! When neither the spec nor `PGPASSWORD` gives a password, it is looked up in
//! `PGPASSFILE` or `~/.pgpass` (libpq format `host:port:db:user:password`, `*`
//! wildcards, `\:` and `\\` escapes; a file readable by group or others is skipped,
//! silently, as libpq skips it).
//!
//! Output: a [`Target`] that opens [`postgres::Client`]s with [`Target::connect`]
//! (TLS through rustls with the *ring* provider, so no system TLS library is needed),
//! and shows itself as `postgres://user@host:port/db?sslmode=…` with
//! [`Target::redacted`]. Failures are one [`ConnectError`] per cause, each with a
//! stable code and a help text.
//!
//! sslmode: `disable` (plain), `prefer` (TLS when the server offers it, else plain;
//! a failed handshake is retried plain, as libpq does), `require` (TLS, certificate not
//! checked — unless a root certificate is named, then like `verify-ca`, as libpq does),
//! `verify-ca` (chain checked against `sslrootcert`, else `~/.postgresql/root.crt` when
//! it exists, else the system roots; `sslrootcert=system` names the system roots) and
//! `verify-full` (chain and host name). Unix-socket hosts (a host starting with `/`)
//! never use TLS, as in libpq.
//!
//! Invariants:
//! - The password never appears in `redacted()`, `Display`/`Debug` of a [`Target`],
//!   or `Display`/`Debug` of a [`ConnectError`]: messages are built from parts that
//!   cannot hold it, and are scrubbed of it once more before they leave this module.
//! - Nothing here panics on input: every malformed spec is a [`ConnectError::BadSpec`].
//! - A [`Target`] is `Clone + Send + Sync`; each [`Target::connect`] opens a new
//!   connection, so parallel loaders may share one target.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use postgres::error::SqlState;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// Default port, as in libpq.
pub const DEFAULT_PORT: u16 = 5432;
/// Default `application_name`, shown in `pg_stat_activity`.
pub const DEFAULT_APPLICATION_NAME: &str = "pgbridge";

/// How much TLS a connection insists on (libpq's `sslmode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain connection only.
    Disable,
    /// TLS when the server offers it, plain otherwise (the default).
    Prefer,
    /// TLS required; the certificate is not checked.
    Require,
    /// TLS required; the certificate chain is checked, not the host name.
    VerifyCa,
    /// TLS required; the certificate chain and the host name are checked.
    VerifyFull,
}

impl SslMode {
    /// Parses a libpq sslmode value (`allow` is accepted as `prefer`).
    pub fn parse(s: &str) -> Option<SslMode> {
        Some(match s {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    /// The libpq spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the password of a [`Target`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordSource {
    /// The URL or conninfo string.
    Spec,
    /// `PGPASSWORD`.
    Env,
    /// A line of the password file (`PGPASSFILE` or `~/.pgpass`).
    PassFile,
    /// No password: the server must not ask for one.
    None,
}

/// Why connecting failed: one variant per cause the user can act on.
///
/// No field ever holds the password.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL or conninfo string (or a `PG*` variable) is malformed.
    #[error("invalid connection string: {reason}")]
    BadSpec { reason: String },
    /// No server answered at host/port (refused, unresolvable, timed out).
    #[error("cannot reach PostgreSQL at {target}: {reason}")]
    Unreachable { target: String, reason: String },
    /// The server refused the credentials (wrong or missing password, no pg_hba entry).
    #[error("authentication failed for user \"{user}\" at {target}: {reason}")]
    AuthFailed {
        target: String,
        user: String,
        reason: String,
        /// Whether a password was sent (from the spec, PGPASSWORD or a pgpass line).
        password_given: bool,
    },
    /// The server is reachable but the database does not exist.
    #[error("database \"{dbname}\" does not exist at {target}")]
    NoDatabase { target: String, dbname: String },
    /// TLS was required but refused by the server, or the handshake or certificate check failed.
    #[error("TLS with {target} failed: {reason}")]
    Tls {
        target: String,
        reason: String,
        /// True when the server answered that it does not do TLS (ssl = off).
        server_refused: bool,
    },
    /// Anything else (server shutting down, too many connections, protocol errors).
    #[error("cannot connect to {target}: {reason}")]
    Other { target: String, reason: String },
}

impl ConnectError {
    /// Stable diagnostic code for reports and tests.
    pub fn code(&self) -> &'static str {
        match self {
            ConnectError::BadSpec { .. } => "target-bad-url",
            ConnectError::Unreachable { .. } => "target-unreachable",
            ConnectError::AuthFailed { .. } => "target-auth-failed",
            ConnectError::NoDatabase { .. } => "target-no-database",
            ConnectError::Tls { .. } => "target-tls",
            ConnectError::Other { .. } => "target-error",
        }
    }

    /// What the user can do about it.
    pub fn help(&self) -> Option<String> {
        Some(match self {
            ConnectError::BadSpec { .. } => {
                "write the target as postgres://user@host:port/dbname?sslmode=prefer \
                 (percent-encode special characters) or as key=value pairs \
                 (host=… port=… dbname=…)"
                    .to_string()
            }
            ConnectError::Unreachable { .. } => {
                "check that PostgreSQL runs and accepts TCP connections on that host and port \
                 (listen_addresses, firewall); PGCONNECT_TIMEOUT or connect_timeout=… sets how \
                 long to wait"
                    .to_string()
            }
            ConnectError::AuthFailed {
                password_given: false,
                ..
            } => "no password was given: put it in the URL, in PGPASSWORD, or in a \
                 ~/.pgpass line (host:port:db:user:password, file mode 0600)"
                .to_string(),
            ConnectError::AuthFailed { .. } => {
                "check the user name and password, and the server's pg_hba.conf entry \
                 for this host, user and database"
                    .to_string()
            }
            ConnectError::NoDatabase { dbname, .. } => format!(
                "create it first (createdb {dbname}, or CREATE DATABASE), or name an existing \
                 database in the target"
            ),
            ConnectError::Tls {
                server_refused: true,
                ..
            } => "the server does not offer TLS (ssl = off): enable ssl on the server, or use \
                 sslmode=prefer or sslmode=disable"
                .to_string(),
            ConnectError::Tls { .. } => {
                "pass the server's CA certificate with sslrootcert=… (or PGSSLROOTCERT); \
                 verify-full also needs the host name to match the certificate; \
                 sslmode=require encrypts without checking the certificate"
                    .to_string()
            }
            ConnectError::Other { .. } => return None,
        })
    }

    fn bad(reason: impl Into<String>) -> ConnectError {
        ConnectError::BadSpec {
            reason: reason.into(),
        }
    }

    /// Replaces every occurrence of `password` in the message fields.
    fn scrubbed(self, password: Option<&str>) -> ConnectError {
        let s = |t: String| scrub(&t, password);
        match self {
            ConnectError::BadSpec { reason } => ConnectError::BadSpec { reason: s(reason) },
            ConnectError::Unreachable { target, reason } => ConnectError::Unreachable {
                target: s(target),
                reason: s(reason),
            },
            ConnectError::AuthFailed {
                target,
                user,
                reason,
                password_given,
            } => ConnectError::AuthFailed {
                target: s(target),
                user: s(user),
                reason: s(reason),
                password_given,
            },
            ConnectError::NoDatabase { target, dbname } => ConnectError::NoDatabase {
                target: s(target),
                dbname: s(dbname),
            },
            ConnectError::Tls {
                target,
                reason,
                server_refused,
            } => ConnectError::Tls {
                target: s(target),
                reason: s(reason),
                server_refused,
            },
            ConnectError::Other { target, reason } => ConnectError::Other {
                target: s(target),
                reason: s(reason),
            },
        }
    }
}

/// `text` with `password` replaced by `***` (passwords shorter than 4 characters are
/// left alone: replacing them would garble the message without hiding anything).
fn scrub(text: &str, password: Option<&str>) -> String {
    match password {
        Some(p) if p.chars().count() >= 4 => text.replace(p, "***"),
        _ => text.to_string(),
    }
}

/// A connection target: where and how to connect, never printing the password.
#[derive(Clone)]
pub struct Target {
    config: postgres::Config,
    hosts: Vec<String>,
    hostaddrs: Vec<IpAddr>,
    ports: Vec<u16>,
    user: String,
    dbname: String,
    password: Option<String>,
    password_source: PasswordSource,
    ssl_mode: SslMode,
    ssl_root_cert: Option<String>,
    /// `~/.postgresql` of the user, for the default root certificate.
    home: Option<PathBuf>,
    application_name: String,
    connect_timeout: Option<Duration>,
    /// Why a password file was not read (as libpq warns), for the CLI.
    passfile_warning: Option<String>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("url", &self.redacted())
            .field("password_source", &self.password_source)
            .field("ssl_root_cert", &self.ssl_root_cert)
            .field("application_name", &self.application_name)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The process environment, empty values treated as unset (as libpq mostly does).
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Target {
    /// Resolves `spec` (URL, conninfo or None) against the process environment.
    pub fn parse(spec: Option<&str>) -> Result<Target, ConnectError> {
        Target::parse_with_env(spec, &process_env)
    }

    /// Like [`Target::parse`], with the environment given as a lookup (for tests).
    /// `HOME` is read through it too (for `~/.pgpass` and `~/.postgresql/root.crt`).
    pub fn parse_with_env(
        spec: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Target, ConnectError> {
        let env = |k: &str| env(k).filter(|v| !v.is_empty());
        let params = match spec.map(str::trim) {
            None | Some("") => Params::default(),
            Some(s) => parse_spec(s)?,
        };
        let get = |key: &str, var: &str| params.get(key).cloned().or_else(|| env(var));
        let os = os_account();

        let user = get("user", "PGUSER")
            .or_else(|| os.as_ref().map(|a| a.0.clone()))
            .or_else(|| env("USER"))
            .or_else(|| env("LOGNAME"))
            .ok_or_else(|| {
                ConnectError::bad(
                    "no user given and the OS account name cannot be read; set user=… or PGUSER",
                )
            })?;
        let dbname = get("dbname", "PGDATABASE").unwrap_or_else(|| user.clone());

        let host_list = get("host", "PGHOST").unwrap_or_default();
        let mut hosts: Vec<String> = host_list
            .split(',')
            .map(|h| {
                if h.trim().is_empty() {
                    "localhost".to_string()
                } else {
                    h.trim().to_string()
                }
            })
            .collect();
        let hostaddrs: Vec<IpAddr> = match get("hostaddr", "PGHOSTADDR") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(|a| {
                    a.trim().parse::<IpAddr>().map_err(|_| {
                        ConnectError::bad(format!("hostaddr {:?} is not an IP address", a.trim()))
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        if host_list.trim().is_empty() && !hostaddrs.is_empty() {
            // Only addresses given: the address is also the name (for TLS and pgpass).
            hosts = hostaddrs.iter().map(|a| a.to_string()).collect();
        }
        if !hostaddrs.is_empty() && hostaddrs.len() != hosts.len() {
            return Err(ConnectError::bad(format!(
                "{} hosts but {} hostaddrs: give one address per host",
                hosts.len(),
                hostaddrs.len()
            )));
        }
        let ports: Vec<u16> = match get("port", "PGPORT") {
            None => vec![DEFAULT_PORT],
            Some(list) => list
                .split(',')
                .map(|p| {
                    let p = p.trim();
                    if p.is_empty() {
                        return Ok(DEFAULT_PORT);
                    }
                    match p.parse::<u16>() {
                        Ok(n) if n > 0 => Ok(n),
                        _ => Err(ConnectError::bad(format!("invalid port {p:?}"))),
                    }
                })
                .collect::<Result<_, _>>()?,
        };
        if ports.len() != 1 && ports.len() != hosts.len() {
            return Err(ConnectError::bad(format!(
                "{} hosts but {} ports: give one port, or one per host",
                hosts.len(),
                ports.len()
            )));
        }
        let ssl_mode = match get("sslmode", "PGSSLMODE") {
            None => SslMode::Prefer,
            Some(m) => SslMode::parse(&m).ok_or_else(|| {
                ConnectError::bad(format!(
                    "invalid sslmode {m:?}: use disable, prefer, require, verify-ca or verify-full"
                ))
            })?,
        };
        let ssl_root_cert = get("sslrootcert", "PGSSLROOTCERT");
        let connect_timeout = match get("connect_timeout", "PGCONNECT_TIMEOUT") {
            None => None,
            Some(t) => match t.trim().parse::<i64>() {
                // libpq: 0 or negative waits forever, 1 is raised to 2 seconds.
                Ok(n) if n <= 0 => None,
                Ok(n) => Some(Duration::from_secs(n.max(2) as u64)),
                Err(_) => {
                    return Err(ConnectError::bad(format!(
                        "invalid connect_timeout {t:?}: give whole seconds"
                    )));
                }
            },
        };
        let application_name = params
            .get("application_name")
            .cloned()
            .or_else(|| env("PGAPPNAME"))
            .or_else(|| params.get("fallback_application_name").cloned())
            .unwrap_or_else(|| DEFAULT_APPLICATION_NAME.to_string());
        let options = get("options", "PGOPTIONS");
        let home = env("HOME")
            .map(PathBuf::from)
            .or_else(|| os.as_ref().and_then(|a| a.1.clone()));

        let mut passfile_warning = None;
        let (password, password_source) = if let Some(p) = params.get("password") {
            (Some(p.clone()), PasswordSource::Spec)
        } else if let Some(p) = env("PGPASSWORD") {
            (Some(p), PasswordSource::Env)
        } else {
            let file = get("passfile", "PGPASSFILE")
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".pgpass")));
            let port = ports.first().copied().unwrap_or(DEFAULT_PORT);
            let host = hosts.first().map(String::as_str).unwrap_or("localhost");
            match file.map(|f| pgpass_file_lookup(&f, host, port, &dbname, &user)) {
                Some(Ok(Some(p))) => (Some(p), PasswordSource::PassFile),
                Some(Err(w)) => {
                    passfile_warning = Some(w);
                    (None, PasswordSource::None)
                }
                _ => (None, PasswordSource::None),
            }
        };

        let mut config = postgres::Config::new();
        config.user(&user).dbname(&dbname);
        config.application_name(&application_name);
        for h in &hosts {
            config.host(h);
        }
        for a in &hostaddrs {
            config.hostaddr(*a);
        }
        for p in &ports {
            config.port(*p);
        }
        if let Some(p) = &password {
            config.password(p);
        }
        if let Some(t) = connect_timeout {
            config.connect_timeout(t);
        }
        if let Some(o) = &options {
            config.options(o);
        }
        if let Some(cb) = params.get("channel_binding") {
            config.channel_binding(match cb.as_str() {
                "disable" => postgres::config::ChannelBinding::Disable,
                "prefer" => postgres::config::ChannelBinding::Prefer,
                "require" => postgres::config::ChannelBinding::Require,
                other => {
                    return Err(ConnectError::bad(format!(
                        "invalid channel_binding {other:?}: use disable, prefer or require"
                    )));
                }
            });
        }
        if let Some(tsa) = params.get("target_session_attrs") {
            config.target_session_attrs(match tsa.as_str() {
                "any" => postgres::config::TargetSessionAttrs::Any,
                "read-write" => postgres::config::TargetSessionAttrs::ReadWrite,
                "read-only" => postgres::config::TargetSessionAttrs::ReadOnly,
                other => {
                    return Err(ConnectError::bad(format!(
                        "invalid target_session_attrs {other:?}: use any, read-write or read-only"
                    )));
                }
            });
        }
        Ok(Target {
            config,
            hosts,
            hostaddrs,
            ports,
            user,
            dbname,
            password,
            password_source,
            ssl_mode,
            ssl_root_cert,
            home,
            application_name,
            connect_timeout,
            passfile_warning,
        })
    }

    /// A password file that was skipped, and why (libpq warns the same way):
    /// group- or world-readable, or not a regular file.
    pub fn passfile_warning(&self) -> Option<&str> {
        self.passfile_warning.as_deref()
    }

    /// The same target with another database (e.g. `postgres` for maintenance).
    pub fn with_dbname(&self, dbname: &str) -> Target {
        let mut t = self.clone();
        t.dbname = dbname.to_string();
        t.config.dbname(dbname);
        t
    }

    /// Opens a new connection.
    pub fn connect(&self) -> Result<postgres::Client, ConnectError> {
        let mut client = self
            .connect_inner()
            .map_err(|e| e.scrubbed(self.password.as_deref()))?;
        // Every literal pgbridge writes assumes it (a backslash is a plain
        // character); a server or database set to `off` must not change what
        // a string means.
        client
            .batch_execute("SET standard_conforming_strings = on")
            .map_err(|e| self.classify(&e).scrubbed(self.password.as_deref()))?;
        Ok(client)
    }

    fn connect_inner(&self) -> Result<postgres::Client, ConnectError> {
        let unix = self.hosts.iter().all(|h| h.starts_with('/'));
        let mode = if unix {
            SslMode::Disable
        } else {
            self.ssl_mode
        };
        let mut config = self.config.clone();
        config.ssl_mode(match mode {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            _ => postgres::config::SslMode::Require,
        });
        let tls = self.tls_config(mode)?;
        let first = config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls));
        match first {
            Ok(c) => Ok(c),
            Err(e) => {
                let err = self.classify(&e);
                // libpq's prefer: a failed TLS attempt is retried without TLS.
                if mode == SslMode::Prefer && matches!(err, ConnectError::Tls { .. }) {
                    config.ssl_mode(postgres::config::SslMode::Disable);
                    let tls = self.tls_config(SslMode::Disable)?;
                    return config
                        .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
                        .map_err(|e| self.classify(&e));
                }
                Err(err)
            }
        }
    }

    /// The rustls client configuration for `mode`.
    fn tls_config(&self, mode: SslMode) -> Result<rustls::ClientConfig, ConnectError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls_err = |reason: String| ConnectError::Tls {
            target: self.redacted(),
            reason,
            server_refused: false,
        };
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_err(format!("TLS setup failed: {e}")))?;
        // require with a named root certificate behaves like verify-ca (libpq).
        let mode = match mode {
            SslMode::Require if self.ssl_root_cert.is_some() => SslMode::VerifyCa,
            m => m,
        };
        let config = match mode {
            SslMode::Disable | SslMode::Prefer | SslMode::Require => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoCertCheck { provider }))
                .with_no_client_auth(),
            SslMode::VerifyCa | SslMode::VerifyFull => {
                let roots = Arc::new(self.root_store()?);
                let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                    .build()
                    .map_err(|e| tls_err(format!("cannot use the root certificates: {e}")))?;
                if mode == SslMode::VerifyFull {
                    builder.with_webpki_verifier(webpki).with_no_client_auth()
                } else {
                    builder
                        .dangerous()
                        .with_custom_certificate_verifier(Arc::new(ChainOnly { inner: webpki }))
                        .with_no_client_auth()
                }
            }
        };
        Ok(config)
    }

    /// Trusted roots for verify-ca / verify-full.
    fn root_store(&self) -> Result<RootCertStore, ConnectError> {
        let tls_err = |reason: String| ConnectError::Tls {
            target: self.redacted(),
            reason,
            server_refused: false,
        };
        let file = match self.ssl_root_cert.as_deref() {
            Some("system") => None,
            Some(f) => Some(PathBuf::from(f)),
            None => self
                .home
                .as_ref()
                .map(|h| h.join(".postgresql").join("root.crt"))
                .filter(|p| p.is_file()),
        };
        let mut store = RootCertStore::empty();
        match file {
            Some(path) => {
                let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&path)
                    .and_then(|it| it.collect::<Result<_, _>>())
                    .map_err(|e| {
                        tls_err(format!(
                            "cannot read root certificate file {}: {e}",
                            path.display()
                        ))
                    })?;
                if certs.is_empty() {
                    return Err(tls_err(format!(
                        "root certificate file {} holds no PEM certificate",
                        path.display()
                    )));
                }
                for c in certs {
                    store.add(c).map_err(|e| {
                        tls_err(format!(
                            "root certificate file {} holds an unusable certificate: {e}",
                            path.display()
                        ))
                    })?;
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                store.add_parsable_certificates(found.certs);
                if store.is_empty() {
                    return Err(tls_err(
                        "no root certificate given (sslrootcert) and no system root certificates found"
                            .to_string(),
                    ));
                }
            }
        }
        Ok(store)
    }

    /// Turns a driver error into one [`ConnectError`].
    fn classify(&self, e: &postgres::Error) -> ConnectError {
        let target = self.redacted();
        if let Some(db) = e.as_db_error() {
            let reason = db.message().to_string();
            let code = db.code();
            return if *code == SqlState::INVALID_PASSWORD
                || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
            {
                ConnectError::AuthFailed {
                    target,
                    user: self.user.clone(),
                    reason,
                    password_given: self.password.is_some(),
                }
            } else if *code == SqlState::UNDEFINED_DATABASE {
                ConnectError::NoDatabase {
                    target,
                    dbname: self.dbname.clone(),
                }
            } else if *code == SqlState::CANNOT_CONNECT_NOW {
                ConnectError::Unreachable { target, reason }
            } else {
                ConnectError::Other {
                    target,
                    reason: format!("{reason} (SQLSTATE {})", code.code()),
                }
            };
        }
        // The driver's Display is only the kind; the cause chain says what happened.
        let kind = e.to_string();
        let mut causes = Vec::new();
        let mut src = std::error::Error::source(e);
        while let Some(c) = src {
            causes.push(c.to_string());
            src = c.source();
        }
        let text = if causes.is_empty() {
            kind
        } else {
            format!("{kind}: {}", causes.join(": "))
        };
        if let Some(rest) = text.strip_prefix("error performing TLS handshake") {
            let detail = rest.trim_start_matches(':').trim();
            let server_refused = detail.contains("server does not support TLS");
            let reason = if server_refused {
                "the server does not support TLS".to_string()
            } else if detail.contains("UnknownIssuer") {
                "the server's certificate is not signed by a trusted root certificate \
                 (invalid peer certificate: UnknownIssuer)"
                    .to_string()
            } else if detail.is_empty() {
                "handshake failed".to_string()
            } else {
                detail.to_string()
            };
            return ConnectError::Tls {
                target,
                reason,
                server_refused,
            };
        }
        if text.contains("password missing") {
            return ConnectError::AuthFailed {
                target,
                user: self.user.clone(),
                reason: "the server asks for a password and none was given".to_string(),
                password_given: false,
            };
        }
        if let Some(rest) = text.strip_prefix("authentication error") {
            return ConnectError::AuthFailed {
                target,
                user: self.user.clone(),
                reason: rest.trim_start_matches(':').trim().to_string(),
                password_given: self.password.is_some(),
            };
        }
        if let Some(rest) = text
            .strip_prefix("error connecting to server")
            .or_else(|| text.strip_prefix("timeout waiting for server"))
        {
            let detail = rest.trim_start_matches(':').trim();
            let reason = if detail.is_empty() {
                "no answer".to_string()
            } else {
                detail.to_string()
            };
            return ConnectError::Unreachable { target, reason };
        }
        ConnectError::Other {
            target,
            reason: text,
        }
    }

    /// `postgres://user@host:port/db?sslmode=…` — never the password.
    pub fn redacted(&self) -> String {
        let mut s = String::from("postgres://");
        s.push_str(&encode(&self.user));
        s.push('@');
        for (i, h) in self.hosts.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            if h.contains(':') && !h.starts_with('/') {
                s.push('[');
                s.push_str(h);
                s.push(']');
            } else {
                s.push_str(&encode(h));
            }
            let port = self.ports.get(i).or(self.ports.first());
            if let Some(p) = port {
                s.push_str(&format!(":{p}"));
            }
        }
        s.push('/');
        s.push_str(&encode(&self.dbname));
        s.push_str("?sslmode=");
        s.push_str(self.ssl_mode.as_str());
        if !self.hostaddrs.is_empty() {
            let list: Vec<String> = self.hostaddrs.iter().map(|a| a.to_string()).collect();
            s.push_str("&hostaddr=");
            s.push_str(&list.join(","));
        }
        scrub(&s, self.password.as_deref())
    }

    /// The database name.
    pub fn dbname(&self) -> &str {
        &self.dbname
    }
    /// The user name.
    pub fn user(&self) -> &str {
        &self.user
    }
    /// The host names (or unix-socket directories), in order of trial.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }
    /// The ports: one for all hosts, or one per host.
    pub fn ports(&self) -> &[u16] {
        &self.ports
    }
    /// The sslmode.
    pub fn ssl_mode(&self) -> SslMode {
        self.ssl_mode
    }
    /// The root certificate file (or `system`), if one was named.
    pub fn ssl_root_cert(&self) -> Option<&str> {
        self.ssl_root_cert.as_deref()
    }
    /// Where the password came from ([`PasswordSource::None`] when there is none).
    pub fn password_source(&self) -> PasswordSource {
        self.password_source
    }
    /// The application_name sent to the server.
    pub fn application_name(&self) -> &str {
        &self.application_name
    }
    /// The connect timeout per host, if any.
    pub fn connect_timeout(&self) -> Option<Duration> {
        self.connect_timeout
    }
}

/// Percent-encodes what a URL's user, host or path cannot hold literally.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Spec parsing

type Params = BTreeMap<String, String>;

/// Keywords accepted in a URL query or conninfo string.
const KEYWORDS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "user",
    "password",
    "dbname",
    "sslmode",
    "sslrootcert",
    "connect_timeout",
    "application_name",
    "fallback_application_name",
    "passfile",
    "options",
    "channel_binding",
    "target_session_attrs",
    "gssencmode",
];

fn parse_spec(spec: &str) -> Result<Params, ConnectError> {
    let params = if let Some(rest) = spec
        .strip_prefix("postgresql://")
        .or_else(|| spec.strip_prefix("postgres://"))
    {
        parse_url(rest)?
    } else if spec.contains("://") {
        return Err(ConnectError::bad(
            "the URL scheme must be postgres:// or postgresql://",
        ));
    } else {
        parse_conninfo(spec)?
    };
    if let Some(g) = params.get("gssencmode") {
        // pgbridge never uses GSSAPI encryption; only modes that allow that are accepted.
        if g != "disable" && g != "prefer" {
            return Err(ConnectError::bad(format!(
                "gssencmode {g:?} is not supported (GSSAPI encryption is not available)"
            )));
        }
    }
    Ok(params)
}

fn insert(params: &mut Params, key: &str, value: String) -> Result<(), ConnectError> {
    // JDBC-style `ssl=true` means sslmode=require, as libpq accepts it.
    if key == "ssl" {
        if value == "true" {
            params.insert("sslmode".into(), "require".into());
            return Ok(());
        }
        return Err(ConnectError::bad("ssl=… only accepts true; use sslmode=…"));
    }
    if !KEYWORDS.contains(&key) {
        return Err(ConnectError::bad(format!(
            "unknown connection option {key:?}"
        )));
    }
    params.insert(key.to_string(), value);
    Ok(())
}

/// Percent-decoding to UTF-8.
fn decode(s: &str, what: &str) -> Result<String, ConnectError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    ConnectError::bad(format!("invalid percent-encoding in the URL's {what}"))
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| ConnectError::bad(format!("the URL's {what} is not UTF-8 once decoded")))
}

/// `[user[:password]@][host[:port][,…]][/dbname][?key=value&…]` (after the scheme).
fn parse_url(rest: &str) -> Result<Params, ConnectError> {
    let mut params = Params::new();
    let rest = rest.split('#').next().unwrap_or(rest);
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    // The user info ends at the last '@' before the first '/', so an unencoded '@'
    // in a password still works (a '/' in a password must be encoded, as in libpq).
    let auth_end = before_query.find('/').unwrap_or(before_query.len());
    let (userinfo, after_user) = match before_query[..auth_end].rfind('@') {
        Some(at) => (Some(&before_query[..at]), &before_query[at + 1..]),
        None => (None, before_query),
    };
    if let Some(ui) = userinfo {
        let (u, p) = match ui.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (ui, None),
        };
        if !u.is_empty() {
            params.insert("user".into(), decode(u, "user name")?);
        }
        if let Some(p) = p {
            params.insert("password".into(), decode(p, "password")?);
        }
    }
    let (hostspec, path) = match after_user.find('/') {
        Some(i) => (&after_user[..i], Some(&after_user[i + 1..])),
        None => (after_user, None),
    };
    if !hostspec.is_empty() {
        let mut hosts = Vec::new();
        let mut ports = Vec::new();
        for item in hostspec.split(',') {
            let (h, p) = if let Some(v6) = item.strip_prefix('[') {
                let end = v6
                    .find(']')
                    .ok_or_else(|| ConnectError::bad("unterminated [IPv6 address] in the URL"))?;
                let after = &v6[end + 1..];
                let port = match after.strip_prefix(':') {
                    Some(p) => p,
                    None if after.is_empty() => "",
                    None => return Err(ConnectError::bad("unexpected text after ] in the URL")),
                };
                (v6[..end].to_string(), port)
            } else {
                match item.rsplit_once(':') {
                    Some((h, p)) => (decode(h, "host")?, p),
                    None => (decode(item, "host")?, ""),
                }
            };
            hosts.push(h);
            ports.push(p.to_string());
        }
        if hosts.iter().any(|h| !h.is_empty()) {
            params.insert("host".into(), hosts.join(","));
        }
        if ports.iter().any(|p| !p.is_empty()) {
            params.insert("port".into(), ports.join(","));
        }
    }
    if let Some(db) = path
        && !db.is_empty()
    {
        params.insert("dbname".into(), decode(db, "database name")?);
    }
    if let Some(q) = query {
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| ConnectError::bad("URL query parameters must be key=value pairs"))?;
            let k = decode(k, "query")?;
            let v = decode(v, "query")?;
            insert(&mut params, &k, v)?;
        }
    }
    Ok(params)
}

/// `key = value …`; values may be single-quoted, `\` escapes the next character.
fn parse_conninfo(s: &str) -> Result<Params, ConnectError> {
    let mut params = Params::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(ConnectError::bad(format!(
                "missing \"=\" after {key:?} in the connection string"
            )));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => {
                        return Err(ConnectError::bad(format!(
                            "unterminated quoted value for {key:?}"
                        )));
                    }
                    Some('\'') => break,
                    Some('\\') => match chars.next() {
                        Some(c) => value.push(c),
                        None => {
                            return Err(ConnectError::bad(format!(
                                "unterminated quoted value for {key:?}"
                            )));
                        }
                    },
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        value.push(n);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        insert(&mut params, &key, value)?;
    }
    Ok(params)
}

// ---------------------------------------------------------------------------
// Password file

/// Looks `host:port:dbname:user` up in the password file at `path`: Ok(None) when the
/// file is missing or has no match; Err(warning) when it exists but is skipped, as
/// libpq skips it — not a regular file, or readable by group or others.
fn pgpass_file_lookup(
    path: &Path,
    host: &str,
    port: u16,
    dbname: &str,
    user: &str,
) -> Result<Option<String>, String> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(None);
    };
    if !meta.is_file() {
        return Err(format!(
            "password file \"{}\" is not a plain file; it was not read",
            path.display()
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "password file \"{}\" has group or world access (mode {:o}); it was not read. \
                 Fix: chmod 0600 \"{}\"",
                path.display(),
                mode & 0o777,
                path.display()
            ));
        }
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(None);
    };
    Ok(pgpass_lookup(&text, host, port, dbname, user))
}

/// One field of a pgpass line: its unescaped text, and whether it was a bare `*`.
struct Field {
    text: String,
    wildcard: bool,
}

/// Splits a pgpass line into fields; `\` escapes the next character (so `\:` and
/// `\\`). The fifth field (password) takes the rest of the line.
fn pgpass_fields(line: &str) -> Vec<Field> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut raw = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            raw.push(c);
            if let Some(n) = chars.next() {
                cur.push(n);
                raw.push(n);
            }
        } else if c == ':' && fields.len() < 4 {
            fields.push(Field {
                wildcard: raw == "*",
                text: std::mem::take(&mut cur),
            });
            raw.clear();
        } else {
            cur.push(c);
            raw.push(c);
        }
    }
    fields.push(Field {
        wildcard: raw == "*",
        text: cur,
    });
    fields
}

/// The password of the first line of `text` matching host, port, database and user
/// (libpq semantics: first match wins, `*` matches anything, `#` starts a comment
/// line, lines with fewer than five fields are ignored).
fn pgpass_lookup(text: &str, host: &str, port: u16, dbname: &str, user: &str) -> Option<String> {
    let port = port.to_string();
    // A unix socket path is matched as "localhost" too, as libpq does for its default dir.
    let host_ok = |f: &Field| {
        f.wildcard || f.text == host || (host.starts_with('/') && f.text == "localhost")
    };
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f = pgpass_fields(line);
        if f.len() < 5 {
            continue;
        }
        let matches = |i: usize, want: &str| f[i].wildcard || f[i].text == want;
        if host_ok(&f[0]) && matches(1, &port) && matches(2, dbname) && matches(3, user) {
            return Some(f[4].text.clone());
        }
    }
    None
}

// ---------------------------------------------------------------------------
// OS account

/// Name and home directory of the effective OS user.
#[cfg(unix)]
fn os_account() -> Option<(String, Option<PathBuf>)> {
    use std::ffi::CStr;
    use std::os::unix::ffi::OsStrExt;
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: getpwuid_r writes into `pwd` and `buf` (whose length we pass) only, and
    // sets `result` to `&pwd` on success; the strings it points to live in `buf`,
    // which outlives every read below.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(
            libc::geteuid(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        );
        if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        let name = CStr::from_ptr(pwd.pw_name).to_str().ok()?.to_string();
        let home = if pwd.pw_dir.is_null() {
            None
        } else {
            let dir = CStr::from_ptr(pwd.pw_dir).to_bytes();
            (!dir.is_empty()).then(|| PathBuf::from(std::ffi::OsStr::from_bytes(dir)))
        };
        Some((name, home))
    }
}

#[cfg(not(unix))]
fn os_account() -> Option<(String, Option<PathBuf>)> {
    None
}

// ---------------------------------------------------------------------------
// Certificate verifiers

/// sslmode=require/prefer: any certificate is accepted, but the handshake signatures
/// are still checked (so the session key belongs to whoever sent the certificate).
#[derive(Debug)]
struct NoCertCheck {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for NoCertCheck {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// sslmode=verify-ca: the chain must lead to a trusted root; the name is not checked.
#[derive(Debug)]
struct ChainOnly {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // webpki checks the chain before the name, so a name error means the chain is good.
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    fn parse(spec: Option<&str>, pairs: &[(&str, &str)]) -> Target {
        let env = env_of(pairs);
        match Target::parse_with_env(spec, &env) {
            Ok(t) => t,
            Err(e) => panic!("{spec:?} should parse: {e}"),
        }
    }

    fn bad(spec: &str) -> String {
        match Target::parse_with_env(Some(spec), &env_of(&[("HOME", "/nonexistent")])) {
            Ok(t) => panic!("{spec:?} should be rejected, got {t}"),
            Err(e) => {
                assert_eq!(e.code(), "target-bad-url", "{e}");
                e.to_string()
            }
        }
    }

    const NO_HOME: (&str, &str) = ("HOME", "/nonexistent");

    #[test]
    fn url_gives_every_part() {
        let t = parse(
            Some(
                "postgresql://alice:s3cret@db.example:6543/shop?sslmode=require&application_name=mig",
            ),
            &[NO_HOME],
        );
        assert_eq!(t.user(), "alice");
        assert_eq!(t.dbname(), "shop");
        assert_eq!(t.hosts(), ["db.example"]);
        assert_eq!(t.ports(), [6543]);
        assert_eq!(t.ssl_mode(), SslMode::Require);
        assert_eq!(t.application_name(), "mig");
        assert_eq!(t.password_source(), PasswordSource::Spec);
        assert_eq!(
            t.redacted(),
            "postgres://alice@db.example:6543/shop?sslmode=require"
        );
    }

    #[test]
    fn url_percent_decodes_user_password_and_database() {
        let t = parse(
            Some("postgres://us%40er:p%40ss%3Aw%2Fd@h/my%20db"),
            &[NO_HOME],
        );
        assert_eq!(t.user(), "us@er");
        assert_eq!(t.dbname(), "my db");
        assert_eq!(t.password.as_deref(), Some("p@ss:w/d"));
        assert_eq!(
            t.redacted(),
            "postgres://us%40er@h:5432/my%20db?sslmode=prefer"
        );
    }

    #[test]
    fn url_with_unencoded_at_in_password_splits_at_last_at() {
        let t = parse(Some("postgres://u:p@ss@host/db"), &[NO_HOME]);
        assert_eq!(t.user(), "u");
        assert_eq!(t.password.as_deref(), Some("p@ss"));
        assert_eq!(t.hosts(), ["host"]);
    }

    #[test]
    fn url_multi_host_and_ipv6() {
        let t = parse(Some("postgres://u@[::1]:5433,h2:5434/d"), &[NO_HOME]);
        assert_eq!(t.hosts(), ["::1", "h2"]);
        assert_eq!(t.ports(), [5433, 5434]);
        assert_eq!(
            t.redacted(),
            "postgres://u@[::1]:5433,h2:5434/d?sslmode=prefer"
        );
    }

    #[test]
    fn url_socket_directory_host() {
        let t = parse(Some("postgresql://%2Fsockets%2Fpg/db"), &[NO_HOME]);
        assert_eq!(t.hosts(), ["/sockets/pg"]);
        assert!(t.redacted().starts_with("postgres://"));
        assert!(t.redacted().contains("%2Fsockets%2Fpg:5432/db"));
    }

    #[test]
    fn url_ssl_true_means_require() {
        let t = parse(Some("postgres://u@h/d?ssl=true"), &[NO_HOME]);
        assert_eq!(t.ssl_mode(), SslMode::Require);
    }

    #[test]
    fn conninfo_parses_quotes_and_escapes() {
        let t = parse(
            Some(
                r"host=h1 port = 7000 user='o\'brien' password='a b\\c' dbname=x sslmode=verify-full sslrootcert=/ca.pem",
            ),
            &[NO_HOME],
        );
        assert_eq!(t.hosts(), ["h1"]);
        assert_eq!(t.ports(), [7000]);
        assert_eq!(t.user(), "o'brien");
        assert_eq!(t.password.as_deref(), Some(r"a b\c"));
        assert_eq!(t.dbname(), "x");
        assert_eq!(t.ssl_mode(), SslMode::VerifyFull);
        assert_eq!(t.ssl_root_cert(), Some("/ca.pem"));
    }

    #[test]
    fn spec_wins_over_environment_which_wins_over_defaults() {
        let env = [
            NO_HOME,
            ("PGHOST", "envhost"),
            ("PGPORT", "6000"),
            ("PGUSER", "envuser"),
            ("PGDATABASE", "envdb"),
            ("PGSSLMODE", "disable"),
            ("PGAPPNAME", "envapp"),
            ("PGCONNECT_TIMEOUT", "7"),
        ];
        let t = parse(Some("postgres://specuser@spechost/specdb"), &env);
        assert_eq!(t.user(), "specuser");
        assert_eq!(t.hosts(), ["spechost"]);
        assert_eq!(t.dbname(), "specdb");
        assert_eq!(t.ports(), [6000]);
        assert_eq!(t.ssl_mode(), SslMode::Disable);
        assert_eq!(t.application_name(), "envapp");
        assert_eq!(t.connect_timeout(), Some(Duration::from_secs(7)));

        let t = parse(None, &env);
        assert_eq!(t.user(), "envuser");
        assert_eq!(t.hosts(), ["envhost"]);
        assert_eq!(t.dbname(), "envdb");
    }

    #[test]
    fn defaults_are_os_user_localhost_5432_prefer() {
        let t = parse(None, &[NO_HOME]);
        let os = os_account().map(|a| a.0);
        assert_eq!(Some(t.user().to_string()), os);
        assert_eq!(t.dbname(), t.user());
        assert_eq!(t.hosts(), ["localhost"]);
        assert_eq!(t.ports(), [DEFAULT_PORT]);
        assert_eq!(t.ssl_mode(), SslMode::Prefer);
        assert_eq!(t.application_name(), DEFAULT_APPLICATION_NAME);
        assert_eq!(t.connect_timeout(), None);
        assert_eq!(t.password_source(), PasswordSource::None);
    }

    #[test]
    fn dbname_defaults_to_the_user_given() {
        let t = parse(Some("user=bob host=h"), &[NO_HOME]);
        assert_eq!(t.dbname(), "bob");
    }

    #[test]
    fn empty_environment_values_count_as_unset() {
        let t = parse(None, &[NO_HOME, ("PGHOST", ""), ("PGUSER", "u")]);
        assert_eq!(t.hosts(), ["localhost"]);
    }

    #[test]
    fn connect_timeout_follows_libpq() {
        let one = parse(Some("host=h connect_timeout=1"), &[NO_HOME]);
        assert_eq!(one.connect_timeout(), Some(Duration::from_secs(2)));
        let zero = parse(Some("host=h connect_timeout=0"), &[NO_HOME]);
        assert_eq!(zero.connect_timeout(), None);
    }

    #[test]
    fn pgpassword_env_is_used_when_spec_has_none() {
        let t = parse(Some("host=h user=u"), &[NO_HOME, ("PGPASSWORD", "envpw")]);
        assert_eq!(t.password.as_deref(), Some("envpw"));
        assert_eq!(t.password_source(), PasswordSource::Env);
        let t = parse(
            Some("postgres://u:specpw@h/d"),
            &[NO_HOME, ("PGPASSWORD", "envpw")],
        );
        assert_eq!(t.password.as_deref(), Some("specpw"));
    }

    #[test]
    fn malformed_specs_are_bad_spec() {
        assert!(bad("postgres://u@h:notaport/d").contains("invalid port"));
        assert!(bad("postgres://u@h:70000/d").contains("invalid port"));
        assert!(bad("postgres://u@h/d?sslmode=sometimes").contains("invalid sslmode"));
        assert!(bad("postgres://u@h/d?frobnicate=1").contains("unknown connection option"));
        assert!(bad("mysql://u@h/d").contains("scheme"));
        assert!(bad("host=h port").contains("missing"));
        assert!(bad("host='unterminated").contains("unterminated"));
        assert!(bad("postgres://u@h/d%ZZ").contains("percent-encoding"));
        assert!(bad("postgres://u@[::1/d").contains("IPv6"));
        assert!(bad("host=a,b port=1,2,3").contains("ports"));
        assert!(bad("host=h hostaddr=not-ip").contains("hostaddr"));
        assert!(bad("host=h connect_timeout=soon").contains("connect_timeout"));
        assert!(bad("host=h gssencmode=require").contains("gssencmode"));
    }

    #[test]
    fn bad_spec_messages_never_echo_the_password() {
        let secret = "Zq7-Unique-Pw";
        for spec in [
            format!("postgres://u:{secret}@h:bad/d"),
            format!("postgres://u:{secret}@h/d?sslmode=x"),
            format!("host=h password={secret} port=x"),
            format!("postgres://u:{secret}@h/d%G1"),
        ] {
            let e = bad(&spec);
            assert!(!e.contains(secret), "{e}");
        }
    }

    #[test]
    fn redacted_display_and_debug_hide_the_password() {
        let secret = "Zq7-Unique-Pw";
        let t = parse(Some(&format!("postgres://u:{secret}@h/d")), &[NO_HOME]);
        for shown in [t.redacted(), t.to_string(), format!("{t:?}")] {
            assert!(!shown.contains(secret), "{shown}");
            assert!(shown.contains("postgres://u@h:5432/d"), "{shown}");
        }
    }

    #[test]
    fn pgpass_first_match_wins_with_wildcards() {
        let text = "# comment\n\
                    other:5432:*:*:nope\n\
                    db.example:*:shop:alice:first\n\
                    *:*:*:alice:second\n";
        assert_eq!(
            pgpass_lookup(text, "db.example", 5432, "shop", "alice").as_deref(),
            Some("first")
        );
        assert_eq!(
            pgpass_lookup(text, "db.example", 5432, "other", "alice").as_deref(),
            Some("second")
        );
        assert_eq!(pgpass_lookup(text, "x", 5432, "shop", "bob"), None);
    }

    #[test]
    fn pgpass_unescapes_colons_and_backslashes() {
        let text = r"h\:1:5432:d\\b:u:pa\:ss\\word";
        assert_eq!(
            pgpass_lookup(text, "h:1", 5432, r"d\b", "u").as_deref(),
            Some(r"pa:ss\word")
        );
        // An escaped star is a literal star, not a wildcard.
        assert_eq!(pgpass_lookup(r"\*:*:*:*:pw", "host", 5432, "d", "u"), None);
        assert_eq!(
            pgpass_lookup(r"\*:*:*:*:pw", "*", 5432, "d", "u").as_deref(),
            Some("pw")
        );
    }

    #[test]
    fn pgpass_password_keeps_unescaped_colons_and_short_lines_are_ignored() {
        let text = "h:5432:d\nh:5432:d:u:a:b:c\n";
        assert_eq!(
            pgpass_lookup(text, "h", 5432, "d", "u").as_deref(),
            Some("a:b:c")
        );
    }

    #[test]
    fn pgpass_localhost_matches_socket_dirs() {
        let text = "localhost:5432:*:u:sock";
        assert_eq!(
            pgpass_lookup(text, "/sockets/pg", 5432, "d", "u").as_deref(),
            Some("sock")
        );
    }

    #[cfg(unix)]
    #[test]
    fn pgpass_file_open_to_group_or_others_is_skipped() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("pgpass");
        std::fs::write(&path, "*:*:*:*:filepw\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let env_path = path.display().to_string();
        let env = [NO_HOME, ("PGPASSFILE", env_path.as_str())];
        let t = parse(Some("host=h user=u"), &env);
        assert_eq!(t.password.as_deref(), Some("filepw"));
        assert_eq!(t.password_source(), PasswordSource::PassFile);

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let t = parse(Some("host=h user=u"), &env);
        assert_eq!(t.password_source(), PasswordSource::None);
    }

    #[cfg(unix)]
    #[test]
    fn pgpass_in_home_is_read_when_no_passfile_is_named() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".pgpass");
        std::fs::write(&path, "h:5432:d:u:homepw\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let home = dir.path().display().to_string();
        let t = parse(Some("host=h user=u dbname=d"), &[("HOME", home.as_str())]);
        assert_eq!(t.password.as_deref(), Some("homepw"));
    }

    #[test]
    fn every_error_kind_has_its_code_and_hides_the_password() {
        let secret = "Zq7-Unique-Pw";
        let leak = format!("… {secret} …");
        let errs = [
            ConnectError::BadSpec {
                reason: leak.clone(),
            },
            ConnectError::Unreachable {
                target: "t".into(),
                reason: leak.clone(),
            },
            ConnectError::AuthFailed {
                target: "t".into(),
                user: "u".into(),
                reason: leak.clone(),
                password_given: true,
            },
            ConnectError::NoDatabase {
                target: leak.clone(),
                dbname: "d".into(),
            },
            ConnectError::Tls {
                target: "t".into(),
                reason: leak.clone(),
                server_refused: false,
            },
            ConnectError::Other {
                target: "t".into(),
                reason: leak.clone(),
            },
        ];
        let codes: Vec<&str> = errs.iter().map(|e| e.code()).collect();
        assert_eq!(
            codes,
            [
                "target-bad-url",
                "target-unreachable",
                "target-auth-failed",
                "target-no-database",
                "target-tls",
                "target-error"
            ]
        );
        for e in errs {
            let e = e.scrubbed(Some(secret));
            assert!(!e.to_string().contains(secret), "{e}");
            assert!(!format!("{e:?}").contains(secret), "{e:?}");
        }
    }
}
