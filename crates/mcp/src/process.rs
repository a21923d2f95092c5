//! Starting a stdio MCP server as a sandboxed process.

use crate::McpError;
use crate::redact::Redactor;
use arranger_host::Workspace;
use arranger_host::sandbox::{SandboxConfig, spawn_error};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};

/// Standard error logged per process, in bytes; the rest is dropped (and said so once).
pub(crate) const STDERR_LOG_BYTES: usize = 64 * 1024;
/// Standard error kept for crash messages: the last this many bytes.
const STDERR_TAIL_BYTES: usize = 2048;

/// Kills the process group when dropped: nothing a server started outlives it.
pub(crate) struct GroupKill(pub(crate) i32);

impl Drop for GroupKill {
    fn drop(&mut self) {
        if self.0 > 0 {
            // SAFETY: kill(2) with a negative pid signals the group we created
            // (`process_group(0)`); ESRCH once it is gone is fine.
            unsafe {
                libc::kill(-self.0, libc::SIGKILL);
            }
        }
    }
}

/// The last part of a process's standard error, with secrets masked.
#[derive(Clone)]
pub(crate) struct StderrTail(Arc<Mutex<String>>, tokio::sync::watch::Sender<bool>);

impl Default for StderrTail {
    fn default() -> Self {
        StderrTail(Arc::default(), tokio::sync::watch::channel(false).0)
    }
}

impl StderrTail {
    /// Waits (at most `max`) until standard error was read to its end.
    pub(crate) async fn drained(&self, max: std::time::Duration) {
        let mut rx = self.1.subscribe();
        let _ = tokio::time::timeout(max, rx.wait_for(|d| *d)).await;
    }

    fn push(&self, line: &str) {
        if let Ok(mut t) = self.0.lock() {
            t.push_str(line);
            t.push('\n');
            if t.len() > STDERR_TAIL_BYTES {
                let mut cut = t.len() - STDERR_TAIL_BYTES;
                while !t.is_char_boundary(cut) {
                    cut += 1;
                }
                t.drain(..cut);
            }
        }
    }

    /// `"; standard error: …"` or `""` when it printed nothing.
    pub(crate) fn suffix(&self) -> String {
        let t = self
            .0
            .lock()
            .map(|t| t.trim().to_owned())
            .unwrap_or_default();
        if t.is_empty() {
            String::new()
        } else {
            format!("; its standard error ends with: {t}")
        }
    }
}

/// A started stdio server.
pub(crate) struct Spawned {
    pub(crate) child: Child,
    pub(crate) stdin: ChildStdin,
    pub(crate) stdout: ChildStdout,
    pub(crate) stderr: StderrTail,
    pub(crate) group: GroupKill,
}

/// What to start.
pub(crate) struct StdioLaunch<'a> {
    pub(crate) user: &'a str,
    pub(crate) server: &'a str,
    pub(crate) command: &'a str,
    pub(crate) args: &'a [String],
    pub(crate) env: BTreeMap<String, String>,
    pub(crate) cwd: Option<&'a str>,
}

fn program(command: &str, cwd: &Path) -> PathBuf {
    let p = Path::new(command);
    if command.contains('/') && p.is_relative() {
        // Relative to the server's working directory inside the workspace (the sandbox
        // decides whether it may be executed).
        cwd.join(p)
    } else {
        p.to_path_buf()
    }
}

/// Starts the server confined by `sandbox`; its standard error is logged and kept.
pub(crate) async fn spawn(
    launch: StdioLaunch<'_>,
    workspace: &Workspace,
    sandbox: &Arc<SandboxConfig>,
    redact: Arc<Redactor>,
) -> Result<Spawned, McpError> {
    let ws = workspace.clone();
    let sb = sandbox.clone();
    let cwd_rel = launch.cwd.unwrap_or("").to_owned();
    // Resolving the directory and building the Landlock ruleset touch the file system.
    let (cwd, prepared) = tokio::task::spawn_blocking(move || {
        let (_, dir) = ws
            .resolve_dir(&cwd_rel)
            .map_err(|e| McpError::Invalid(format!("the MCP server's cwd {cwd_rel:?}: {e}")))?;
        let prepared = sb
            .prepare(ws.root())
            .map_err(|e| McpError::Unavailable(format!("cannot sandbox the MCP server: {e}")))?;
        Ok::<_, McpError>((dir, prepared))
    })
    .await
    .map_err(|e| McpError::Unavailable(format!("the MCP start worker failed: {e}")))??;
    let mut cmd = prepared.command(
        program(launch.command, &cwd),
        sandbox,
        workspace.root(),
        &cwd,
    );
    cmd.args(launch.args)
        .envs(&launch.env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| {
        let e = spawn_error(e, "MCP server");
        if e.to_string().contains("No such file") {
            McpError::Unavailable(format!(
                "cannot start MCP server {:?}: the command {:?} was not found (in the sandbox's PATH, or relative to its cwd inside the workspace)",
                launch.server, launch.command
            ))
        } else {
            McpError::Unavailable(format!("MCP server {:?}: {e}", launch.server))
        }
    })?;
    let pid = child.id().map(|p| p as i32).unwrap_or(0);
    let group = GroupKill(pid);
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(McpError::Unavailable(
            "the MCP server's standard streams are not available".into(),
        ));
    };
    let tail = StderrTail::default();
    let keep = tail.clone();
    let (user, server) = (launch.user.to_owned(), launch.server.to_owned());
    tokio::spawn(async move {
        // Drained to the end (a full pipe would block the server), logged up to a cap;
        // lines are cut at MAX_LINE bytes, invalid UTF-8 is replaced.
        const MAX_LINE: usize = 4096;
        let mut reader = BufReader::new(stderr);
        let mut logged = 0usize;
        let mut line = Vec::new();
        loop {
            let (consumed, done) = match reader.fill_buf().await {
                Ok([]) | Err(_) => break,
                Ok(buf) => match buf.iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        let room = MAX_LINE.saturating_sub(line.len());
                        line.extend_from_slice(&buf[..i.min(room)]);
                        (i + 1, true)
                    }
                    None => {
                        let room = MAX_LINE.saturating_sub(line.len());
                        line.extend_from_slice(&buf[..buf.len().min(room)]);
                        (buf.len(), false)
                    }
                },
            };
            reader.consume(consumed);
            if !done {
                continue;
            }
            let text = redact.apply(&String::from_utf8_lossy(&line));
            line.clear();
            keep.push(&text);
            if logged < STDERR_LOG_BYTES {
                logged += text.len() + 1;
                tracing::debug!(user = %user, server = %server, stderr = %text, "MCP server standard error");
                if logged >= STDERR_LOG_BYTES {
                    tracing::debug!(user = %user, server = %server, "MCP server standard error: the rest is not logged");
                }
            }
        }
        if !line.is_empty() {
            keep.push(&redact.apply(&String::from_utf8_lossy(&line)));
        }
        keep.1.send_replace(true);
    });
    Ok(Spawned {
        child,
        stdin,
        stdout,
        stderr: tail,
        group,
    })
}
