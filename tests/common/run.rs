//! Running external programs (initdb, pg_ctl, psql) for the harness.
//!
//! Input: a program path and its arguments. Output: stdout as text, or an error string
//! that names the command and carries its stderr and stdout.
//! Invariant: when the test process runs as root, the PostgreSQL server tools
//! (initdb, pg_ctl, postgres) run as the `postgres` account through `runuser`,
//! because they refuse to run as root; psql runs as the current user.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The account the server tools run as when the tests run as root.
pub const SERVER_ACCOUNT: &str = "postgres";

/// True when the effective user is root (server tools must then run as `postgres`).
pub fn is_root() -> bool {
    static ROOT: OnceLock<bool> = OnceLock::new();
    *ROOT.get_or_init(|| {
        Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false)
    })
}

/// A command for a server tool: as `postgres` via `runuser` when root, else directly.
pub fn server_command(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", SERVER_ACCOUNT, "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// Shell words that run a server tool the same way, for the watchdog script.
pub fn server_prefix() -> &'static str {
    if is_root() {
        "runuser -u postgres --"
    } else {
        ""
    }
}

/// Renders a command for error messages.
pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Stderr then stdout of a finished command, trimmed.
pub fn combined(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    let std = String::from_utf8_lossy(&out.stdout);
    let mut s = err.trim_end().to_string();
    if !std.trim().is_empty() {
        if !s.is_empty() {
            s.push('\n');
        }
        s.push_str(std.trim_end());
    }
    s
}

/// Runs `cmd` (stdin from `input`, or empty) and returns its raw output, or an error
/// when it cannot be started.
pub fn output_with_input(cmd: &mut Command, input: Option<&[u8]>) -> Result<Output, String> {
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", describe(cmd)))?;
    if let Some(bytes) = input {
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| format!("no stdin for `{}`", describe(cmd)))?;
        let bytes = bytes.to_vec();
        // A writer thread: a large script must not deadlock against a full stdout pipe.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        });
        let out = child
            .wait_with_output()
            .map_err(|e| format!("waiting for `{}`: {e}", describe(cmd)))?;
        let _ = writer.join();
        Ok(out)
    } else {
        child
            .wait_with_output()
            .map_err(|e| format!("waiting for `{}`: {e}", describe(cmd)))
    }
}

/// Runs `cmd` and returns stdout, or an error naming the command with its output.
pub fn run(cmd: &mut Command) -> Result<String, String> {
    let out = output_with_input(cmd, None)?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "`{}` failed ({}):\n{}",
            describe(cmd),
            out.status,
            combined(&out)
        ))
    }
}
