//! `pgbridge::conn` against real PostgreSQL 15 and 18: passwords (URL, PGPASSWORD,
//! pgpass), each failure kind, and every sslmode.
//!
//! The shared harness clusters trust every local connection and have ssl off, so this
//! binary also starts, per version, its own throwaway cluster (through the harness's
//! `Cluster::start`, which stops and removes it when the test process ends) and turns
//! it into a realistic server: `scram-sha-256` for host connections of every role but
//! the harness's `postgres`, a role `app` with a distinctive password, and `ssl = on`
//! with a server certificate (for `localhost` only) signed by a CA made here with the
//! `openssl` CLI. The harness cluster (ssl off) serves the "server without TLS" cases.
//!
//! A PostgreSQL build without TLS support (`ssl_library` empty, as in the PostgreSQL 18
//! wheel the project uses) cannot serve TLS: there the TLS tests assert that TLS modes
//! fail with `target-tls`, and that at least one version did run the TLS cases.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{Cluster, PgVersion, cluster, locate_bindir};
use pgbridge::conn::{ConnectError, PasswordSource, SslMode, Target};

/// The password of role `app`: distinctive, with characters URL and pgpass must escape.
const SECRET: &str = r"Zq7:Secret@Pw\9";
/// A wrong password that must not leak either.
const WRONG: &str = "Xy9-Wrong-Distinct-Pw";

/// A scram + TLS server of one version, started once per test binary.
struct Secure {
    cluster: Cluster,
    port: u16,
    /// The server was built with TLS support (and has ssl = on).
    tls: bool,
    /// PEM of the CA that signed the server certificate.
    ca: PathBuf,
    /// PEM of an unrelated CA.
    other_ca: PathBuf,
    /// An empty directory used as HOME, so no real ~/.pgpass or ~/.postgresql is read.
    empty_home: PathBuf,
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn psql(c: &Cluster, sql: &str) -> String {
    run(Command::new(c.psql_bin())
        .args([
            "-X",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            c.admin_url(),
            "-c",
        ])
        .arg(sql))
    .trim()
    .to_string()
}

fn port_of(url: &str) -> u16 {
    let after_at = url.rsplit('@').next().unwrap_or(url);
    let hostport = after_at.split('/').next().unwrap_or(after_at);
    hostport
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {url}"))
}

/// A CA (key + self-signed certificate) in `dir` named `name`.
fn make_ca(dir: &Path, name: &str) -> PathBuf {
    let crt = dir.join(format!("{name}.crt"));
    run(Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3",
        ])
        .arg("-keyout")
        .arg(dir.join(format!("{name}.key")))
        .arg("-out")
        .arg(&crt)
        .args(["-subj", &format!("/CN=pgbridge test {name}")])
        .args(["-addext", "basicConstraints=critical,CA:TRUE"])
        .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]));
    crt
}

/// server.crt / server.key for DNS name `localhost`, signed by CA `ca` in `dir`.
fn make_server_cert(dir: &Path, ca: &str) -> (PathBuf, PathBuf) {
    let key = dir.join("server.key");
    let csr = dir.join("server.csr");
    let crt = dir.join("server.crt");
    let ext = dir.join("server.ext");
    std::fs::write(
        &ext,
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write server.ext");
    run(Command::new("openssl")
        .args(["req", "-new", "-newkey", "rsa:2048", "-nodes"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&csr)
        .args(["-subj", "/CN=localhost"]));
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "3"])
        .arg("-in")
        .arg(&csr)
        .arg("-CA")
        .arg(dir.join(format!("{ca}.crt")))
        .arg("-CAkey")
        .arg(dir.join(format!("{ca}.key")))
        .arg("-CAcreateserial")
        .arg("-out")
        .arg(&crt)
        .arg("-extfile")
        .arg(&ext));
    (crt, key)
}

/// Copies `src` to `dst` as a file of the server account with `mode`.
fn install_server_file(src: &Path, dst: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::copy(src, dst).unwrap_or_else(|e| panic!("copy to {}: {e}", dst.display()));
    std::fs::set_permissions(dst, std::fs::Permissions::from_mode(mode)).expect("chmod");
    if is_root() {
        run(Command::new("chown").arg("postgres:postgres").arg(dst));
    }
}

impl Secure {
    fn start(v: PgVersion) -> Secure {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let bin = locate_bindir(v, &process_env, manifest).unwrap_or_else(|hint| panic!("{hint}"));
        let cluster = Cluster::start(v, &bin).unwrap_or_else(|e| panic!("{e}"));
        let dir = cluster
            .dir()
            .expect("a cluster started here has a directory")
            .to_path_buf();
        let data = dir.join("data");
        let port = port_of(cluster.admin_url());

        let certs = dir.join("certs");
        std::fs::create_dir_all(&certs).expect("certs dir");
        let ca = make_ca(&certs, "ca");
        let other_ca = make_ca(&certs, "other-ca");
        let (crt, key) = make_server_cert(&certs, "ca");
        let empty_home = dir.join("empty-home");
        std::fs::create_dir_all(&empty_home).expect("empty home");

        let tls = !psql(&cluster, "SHOW ssl_library").is_empty();
        if tls {
            install_server_file(&crt, &data.join("server.crt"), 0o644);
            install_server_file(&key, &data.join("server.key"), 0o600);
            psql(&cluster, "ALTER SYSTEM SET ssl = on");
        }
        psql(
            &cluster,
            "SET password_encryption = 'scram-sha-256'; CREATE ROLE app LOGIN PASSWORD 'Zq7:Secret@Pw\\9'",
        );
        psql(&cluster, "CREATE DATABASE appdb OWNER app");
        // Writing over the existing file keeps its owner (the server account).
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\n\
             host all postgres 127.0.0.1/32 trust\n\
             host all all 127.0.0.1/32 scram-sha-256\n",
        )
        .expect("write pg_hba.conf");
        psql(&cluster, "SELECT pg_reload_conf()");
        // The postmaster applies the reload asynchronously: wait until a new session of
        // `app` without a password is refused (scram in force) and ssl is as wanted.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ssl_on = psql(&cluster, "SHOW ssl") == "on";
            let trusted = Command::new(cluster.psql_bin())
                .args(["-X", "-w", "-At", "-c", "SELECT 1", "-d"])
                .arg(format!(
                    "postgres://app@127.0.0.1:{port}/appdb?sslmode=disable"
                ))
                .env_remove("PGPASSWORD")
                .env("PGPASSFILE", empty_home.join("none"))
                .output()
                .map(|o| o.status.success())
                .unwrap_or(true);
            if !trusted && ssl_on == tls {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{v}: the reload did not apply (ssl on: {ssl_on}, app trusted: {trusted})"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Secure {
            cluster,
            port,
            tls,
            ca,
            other_ca,
            empty_home,
        }
    }

    /// Environment with only HOME (an empty dir) plus `extra`.
    fn env(&self, extra: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let mut map: HashMap<String, String> = extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        map.insert("HOME".into(), self.empty_home.display().to_string());
        move |k: &str| map.get(k).cloned()
    }

    /// Target parsed with `env` extras.
    fn target(&self, spec: &str, extra: &[(&str, &str)]) -> Target {
        Target::parse_with_env(Some(spec), &self.env(extra))
            .unwrap_or_else(|e| panic!("{spec}: {e}"))
    }

    /// `postgres://app:SECRET@127.0.0.1:PORT/DB?QUERY`
    fn url(&self, password: &str, db: &str, query: &str) -> String {
        format!(
            "postgres://app:{}@127.0.0.1:{}/{db}?{query}",
            encode(password),
            self.port
        )
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn secure(v: PgVersion) -> &'static Secure {
    static S15: OnceLock<Secure> = OnceLock::new();
    static S18: OnceLock<Secure> = OnceLock::new();
    let cell = match v {
        PgVersion::V15 => &S15,
        PgVersion::V18 => &S18,
    };
    cell.get_or_init(|| Secure::start(v))
}

/// Connects or fails the test with the error.
fn must_connect(t: &Target) -> postgres::Client {
    t.connect()
        .unwrap_or_else(|e| panic!("{t}: {e} [{}]", e.code()))
}

/// Connecting must fail; returns the error.
fn must_fail(t: &Target) -> ConnectError {
    match t.connect() {
        Ok(_) => panic!("{t} connected but should not"),
        Err(e) => e,
    }
}

fn ssl_in_use(c: &mut postgres::Client) -> bool {
    c.query_one(
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        &[],
    )
    .expect("pg_stat_ssl")
    .get(0)
}

fn current_user(c: &mut postgres::Client) -> String {
    c.query_one("SELECT current_user::text", &[])
        .expect("current_user")
        .get(0)
}

/// No secret in Display, Debug or help of `e`.
fn assert_no_secret(e: &ConnectError, secrets: &[&str]) {
    let shown = format!("{e} | {e:?} | {}", e.help().unwrap_or_default());
    for s in secrets {
        assert!(!shown.contains(s), "secret leaked: {shown}");
    }
}

#[test]
fn correct_password_in_the_url_connects() {
    for v in PgVersion::ALL {
        let s = secure(v);
        let t = s.target(&s.url(SECRET, "appdb", "sslmode=disable"), &[]);
        assert_eq!(t.password_source(), PasswordSource::Spec);
        assert!(!t.redacted().contains(SECRET), "{}", t.redacted());
        assert!(!format!("{t:?}").contains(SECRET));
        let mut c = must_connect(&t);
        assert_eq!(current_user(&mut c), "app", "{v}");
        let major: i32 = c
            .query_one(
                "SELECT current_setting('server_version_num')::int / 10000",
                &[],
            )
            .expect("version")
            .get(0);
        assert_eq!(major as u32, s.cluster.version.major(), "{v}");
        let app: String = c
            .query_one("SELECT current_setting('application_name')", &[])
            .expect("application_name")
            .get(0);
        assert_eq!(app, "pgbridge", "{v}");
    }
}

#[test]
fn password_from_pgpassword_connects() {
    for v in PgVersion::ALL {
        let s = secure(v);
        let spec = format!("host=127.0.0.1 port={} user=app dbname=appdb", s.port);
        let t = s.target(&spec, &[("PGPASSWORD", SECRET)]);
        assert_eq!(t.password_source(), PasswordSource::Env);
        assert_eq!(current_user(&mut must_connect(&t)), "app", "{v}");
    }
}

#[test]
fn environment_alone_describes_the_target() {
    for v in PgVersion::ALL {
        let s = secure(v);
        let port = s.port.to_string();
        let env = s.env(&[
            ("PGHOST", "127.0.0.1"),
            ("PGPORT", &port),
            ("PGUSER", "app"),
            ("PGDATABASE", "appdb"),
            ("PGPASSWORD", SECRET),
            ("PGAPPNAME", "from-env"),
            ("PGSSLMODE", "disable"),
        ]);
        let t = Target::parse_with_env(None, &env).expect("parse");
        let mut c = must_connect(&t);
        let row = c
            .query_one(
                "SELECT current_database()::text, current_setting('application_name')",
                &[],
            )
            .expect("query");
        assert_eq!(row.get::<_, String>(0), "appdb", "{v}");
        assert_eq!(row.get::<_, String>(1), "from-env", "{v}");
    }
}

#[test]
fn password_from_a_pgpass_file_with_a_wildcard_line_connects() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("pgpass");
    let escaped = SECRET.replace('\\', r"\\").replace(':', r"\:");
    std::fs::write(
        &file,
        format!("# pgbridge test\notherhost:*:*:app:not-this-one\n127.0.0.1:*:*:app:{escaped}\n"),
    )
    .expect("write pgpass");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let passfile = file.display().to_string();
    for v in PgVersion::ALL {
        let s = secure(v);
        let spec = format!("postgres://app@127.0.0.1:{}/appdb", s.port);
        let t = s.target(&spec, &[("PGPASSFILE", &passfile)]);
        assert_eq!(t.password_source(), PasswordSource::PassFile, "{v}");
        assert_eq!(current_user(&mut must_connect(&t)), "app", "{v}");
    }
    // Readable by others: libpq ignores the file, so the server's password request fails.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let s = secure(PgVersion::V15);
    let t = s.target(
        &format!("postgres://app@127.0.0.1:{}/appdb", s.port),
        &[("PGPASSFILE", &passfile)],
    );
    assert_eq!(t.password_source(), PasswordSource::None);
    assert_eq!(must_fail(&t).code(), "target-auth-failed");
}

#[test]
fn wrong_password_is_auth_failed_and_never_shown() {
    for v in PgVersion::ALL {
        let s = secure(v);
        let t = s.target(&s.url(WRONG, "appdb", "sslmode=disable"), &[]);
        let e = must_fail(&t);
        assert!(
            matches!(
                e,
                ConnectError::AuthFailed {
                    password_given: true,
                    ..
                }
            ),
            "{v}: {e:?}"
        );
        assert_eq!(e.code(), "target-auth-failed");
        assert!(e.to_string().contains("\"app\""), "{e}");
        assert!(e.help().unwrap_or_default().contains("password"), "{e}");
        assert_no_secret(&e, &[WRONG, SECRET]);
        assert!(!t.redacted().contains(WRONG));
    }
}

#[test]
fn missing_password_is_auth_failed_with_a_hint() {
    for v in PgVersion::ALL {
        let s = secure(v);
        let t = s.target(&format!("postgres://app@127.0.0.1:{}/appdb", s.port), &[]);
        assert_eq!(t.password_source(), PasswordSource::None);
        let e = must_fail(&t);
        assert!(
            matches!(
                e,
                ConnectError::AuthFailed {
                    password_given: false,
                    ..
                }
            ),
            "{v}: {e:?}"
        );
        assert!(e.help().unwrap_or_default().contains("PGPASSWORD"), "{e:?}");
    }
}

#[test]
fn closed_port_is_unreachable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let s = secure(PgVersion::V15);
    let t = Target::parse_with_env(
        Some(&format!(
            "postgres://app:{}@127.0.0.1:{port}/appdb",
            encode(WRONG)
        )),
        &s.env(&[]),
    )
    .expect("parse");
    let e = must_fail(&t);
    assert!(matches!(e, ConnectError::Unreachable { .. }), "{e:?}");
    assert_eq!(e.code(), "target-unreachable");
    assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");
    assert_no_secret(&e, &[WRONG]);
}

#[test]
fn unanswered_connection_is_unreachable_after_the_connect_timeout() {
    // A listener that never accepts: once its accept queue is full, the kernel drops
    // further SYNs, so a connection attempt hangs like one to a firewalled host.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut held = Vec::new();
    let filled = (0..4096).any(|_| {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(stream) => {
                held.push(stream);
                false
            }
            Err(_) => true,
        }
    });
    assert!(filled, "the accept queue never filled");
    let s = secure(PgVersion::V15);
    let t = s.target(
        &format!(
            "postgres://app:{}@127.0.0.1:{}/appdb?connect_timeout=2",
            encode(WRONG),
            addr.port()
        ),
        &[],
    );
    assert_eq!(t.connect_timeout(), Some(Duration::from_secs(2)));
    let started = Instant::now();
    let e = must_fail(&t);
    let took = started.elapsed();
    assert!(matches!(e, ConnectError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains("timed out"), "{e}");
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(15),
        "took {took:?}"
    );
    assert_no_secret(&e, &[WRONG]);
    drop(held);
}

#[test]
fn missing_database_is_no_database() {
    for v in PgVersion::ALL {
        let s = secure(v);
        let t = s.target(&s.url(SECRET, "no_such_db", "sslmode=disable"), &[]);
        let e = must_fail(&t);
        assert!(
            matches!(&e, ConnectError::NoDatabase { dbname, .. } if dbname == "no_such_db"),
            "{v}: {e:?}"
        );
        assert_eq!(e.code(), "target-no-database");
        assert!(e.help().unwrap_or_default().contains("createdb"), "{e:?}");
        assert_no_secret(&e, &[SECRET]);
    }
}

#[test]
fn sslmode_require_and_disable_choose_tls_or_plain() {
    let mut tls_versions = 0;
    for v in PgVersion::ALL {
        let s = secure(v);
        let plain = s.target(&s.url(SECRET, "appdb", "sslmode=disable"), &[]);
        assert!(!ssl_in_use(&mut must_connect(&plain)), "{v}");
        let require = s.target(&s.url(SECRET, "appdb", "sslmode=require"), &[]);
        if s.tls {
            tls_versions += 1;
            // The server certificate names localhost only: require does not check it.
            assert!(ssl_in_use(&mut must_connect(&require)), "{v}");
        } else {
            let e = must_fail(&require);
            assert!(
                matches!(
                    e,
                    ConnectError::Tls {
                        server_refused: true,
                        ..
                    }
                ),
                "{v}: {e:?}"
            );
        }
    }
    assert!(
        tls_versions > 0,
        "no PostgreSQL build with TLS support ran the TLS cases"
    );
}

#[test]
fn sslmode_prefer_uses_tls_when_offered() {
    for v in PgVersion::ALL {
        let s = secure(v);
        let t = s.target(&s.url(SECRET, "appdb", ""), &[]);
        assert_eq!(t.ssl_mode(), SslMode::Prefer);
        assert_eq!(ssl_in_use(&mut must_connect(&t)), s.tls, "{v}");
    }
}

#[test]
fn verify_full_with_the_right_root_certificate_connects() {
    let mut tls_versions = 0;
    for v in PgVersion::ALL {
        let s = secure(v);
        let spec = format!(
            "host=localhost hostaddr=127.0.0.1 port={} user=app dbname=appdb sslmode=verify-full sslrootcert={}",
            s.port,
            s.ca.display()
        );
        let t = s.target(&spec, &[("PGPASSWORD", SECRET)]);
        if !s.tls {
            assert_eq!(must_fail(&t).code(), "target-tls", "{v}");
            continue;
        }
        tls_versions += 1;
        assert!(ssl_in_use(&mut must_connect(&t)), "{v}");
        // The same root through PGSSLROOTCERT.
        let spec = format!(
            "postgres://app@localhost:{}/appdb?sslmode=verify-full&hostaddr=127.0.0.1",
            s.port
        );
        let ca = s.ca.display().to_string();
        let t = s.target(&spec, &[("PGPASSWORD", SECRET), ("PGSSLROOTCERT", &ca)]);
        assert!(ssl_in_use(&mut must_connect(&t)), "{v}");
        // verify-ca checks the chain only: an IP the certificate does not name is fine.
        let t = s.target(
            &s.url(
                SECRET,
                "appdb",
                &format!("sslmode=verify-ca&sslrootcert={}", encode(&ca)),
            ),
            &[],
        );
        assert!(ssl_in_use(&mut must_connect(&t)), "{v}");
    }
    assert!(
        tls_versions > 0,
        "no PostgreSQL build with TLS support ran the TLS cases"
    );
}

#[test]
fn verify_full_fails_on_wrong_host_name_wrong_root_or_no_root() {
    let mut tls_versions = 0;
    for v in PgVersion::ALL {
        let s = secure(v);
        if s.tls {
            tls_versions += 1;
        }
        let ca = s.ca.display().to_string();
        let other = s.other_ca.display().to_string();
        let cases = [
            // The certificate names localhost, not 127.0.0.1.
            (
                "wrong host name",
                s.url(
                    SECRET,
                    "appdb",
                    &format!("sslmode=verify-full&sslrootcert={}", encode(&ca)),
                ),
            ),
            (
                "wrong root",
                format!(
                    "postgres://app:{}@localhost:{}/appdb?sslmode=verify-full&hostaddr=127.0.0.1&sslrootcert={}",
                    encode(SECRET),
                    s.port,
                    encode(&other)
                ),
            ),
            (
                "no root (system roots only)",
                format!(
                    "postgres://app:{}@localhost:{}/appdb?sslmode=verify-full&hostaddr=127.0.0.1",
                    encode(SECRET),
                    s.port
                ),
            ),
            (
                "verify-ca, wrong root",
                s.url(
                    SECRET,
                    "appdb",
                    &format!("sslmode=verify-ca&sslrootcert={}", encode(&other)),
                ),
            ),
            (
                "require with a named wrong root acts as verify-ca",
                s.url(
                    SECRET,
                    "appdb",
                    &format!("sslmode=require&sslrootcert={}", encode(&other)),
                ),
            ),
        ];
        for (what, spec) in cases {
            let t = s.target(&spec, &[]);
            let e = must_fail(&t);
            assert!(matches!(e, ConnectError::Tls { .. }), "{v} {what}: {e:?}");
            assert_eq!(e.code(), "target-tls");
            assert!(e.help().is_some());
            assert_no_secret(&e, &[SECRET]);
        }
    }
    assert!(
        tls_versions > 0,
        "no PostgreSQL build with TLS support ran the TLS cases"
    );
}

#[test]
fn missing_root_certificate_file_is_a_tls_error() {
    let s = secure(PgVersion::V15);
    let missing = s.empty_home.join("no-such-ca.pem");
    let t = s.target(
        &s.url(
            SECRET,
            "appdb",
            &format!(
                "sslmode=verify-full&sslrootcert={}",
                encode(&missing.display().to_string())
            ),
        ),
        &[],
    );
    let e = must_fail(&t);
    assert!(matches!(e, ConnectError::Tls { .. }), "{e:?}");
    assert!(e.to_string().contains("no-such-ca.pem"), "{e}");
}

#[test]
fn require_against_a_server_without_tls_is_a_tls_error() {
    for v in PgVersion::ALL {
        let c = cluster(v);
        let spec = format!("{}?sslmode=require", c.admin_url());
        let t = Target::parse_with_env(Some(&spec), &secure(v).env(&[])).expect("parse");
        let e = must_fail(&t);
        assert!(
            matches!(
                e,
                ConnectError::Tls {
                    server_refused: true,
                    ..
                }
            ),
            "{v}: {e:?}"
        );
        assert!(e.help().unwrap_or_default().contains("ssl = off"), "{e:?}");
    }
}

#[test]
fn prefer_falls_back_to_plain_on_a_server_without_tls() {
    for v in PgVersion::ALL {
        let c = cluster(v);
        let t = Target::parse_with_env(Some(c.admin_url()), &secure(v).env(&[])).expect("parse");
        assert_eq!(t.ssl_mode(), SslMode::Prefer);
        assert!(!ssl_in_use(&mut must_connect(&t)), "{v}");
    }
}

#[test]
fn one_target_serves_parallel_connections() {
    let s = secure(PgVersion::V15);
    let t = s.target(&s.url(SECRET, "appdb", "sslmode=prefer"), &[]);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let t = t.clone();
            std::thread::spawn(move || {
                let mut c = must_connect(&t);
                c.query_one("SELECT pg_backend_pid()", &[])
                    .expect("pid")
                    .get::<_, i32>(0)
            })
        })
        .collect();
    let mut pids: Vec<i32> = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    pids.sort();
    pids.dedup();
    assert_eq!(pids.len(), 4, "each connect opens its own session");
}

#[test]
fn cli_reports_a_wrong_password_as_auth_failed_without_printing_it() {
    let s = secure(PgVersion::V15);
    let out = tempfile::tempdir().expect("tempdir");
    let o = Command::new(env!("CARGO_BIN_EXE_pgbridge"))
        .args([
            "compile",
            concat!(env!("CARGO_MANIFEST_DIR"), "/examples/blog.db"),
            "-o",
        ])
        .arg(out.path())
        .arg("--target-url")
        .arg(s.url(WRONG, "appdb", "sslmode=disable"))
        .env("HOME", &s.empty_home)
        .output()
        .expect("run pgbridge");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("target-auth-failed"), "{err}");
    assert!(
        !err.contains(WRONG),
        "the password must never be printed: {err}"
    );
    assert!(!err.contains(&encode(WRONG)), "{err}");
}

#[test]
fn cli_reads_the_server_through_a_password_url() {
    let s = secure(PgVersion::V15);
    let out = tempfile::tempdir().expect("tempdir");
    let o = Command::new(env!("CARGO_BIN_EXE_pgbridge"))
        .args([
            "compile",
            concat!(env!("CARGO_MANIFEST_DIR"), "/examples/blog.db"),
            "-o",
        ])
        .arg(out.path())
        .arg("--target-url")
        .arg(s.url(SECRET, "appdb", ""))
        .env("HOME", &s.empty_home)
        .output()
        .expect("run pgbridge");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let schema = std::fs::read_to_string(out.path().join("01_schema.sql")).expect("schema");
    assert!(schema.contains("for PostgreSQL 15"), "{schema}");
}
