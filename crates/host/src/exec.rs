//! Running a shell command for a user: in the user's workspace, with a scrubbed
//! environment, a timeout that kills the whole process group, and the confinement of
//! [`crate::sandbox`] (resource limits, no capabilities, Landlock: write only the workspace
//! and a private temporary directory, read only system locations, touch nothing else —
//! not the data directory, not other users' files, not `/proc`; no signals to processes
//! outside the command's own domain).

use crate::HostError;
pub use crate::sandbox::{NetworkPolicy, SandboxConfig, SandboxMode, landlock_available};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt};

/// What a command did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandOutput {
    /// Exit code, if it exited.
    pub exit_code: Option<i32>,
    /// Standard output then standard error, each capped.
    pub output: String,
    /// Whether it was killed at the timeout.
    pub timed_out: bool,
    /// Whether the kernel confined it.
    pub sandboxed: bool,
    /// How long it ran.
    pub duration: Duration,
}

/// Largest part of each stream kept, in bytes.
pub const MAX_STREAM_BYTES: usize = 1024 * 1024;

async fn read_capped<R: AsyncRead + Unpin>(mut r: R) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    let mut cut = false;
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_STREAM_BYTES.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                cut |= n > room;
            }
        }
    }
    (kept, cut)
}

/// Runs `command` with `bash -c` in `workspace`, confined by `cfg`.
pub async fn run(
    workspace: &Path,
    cfg: &SandboxConfig,
    command: &str,
    timeout: Duration,
) -> Result<CommandOutput, HostError> {
    if command.trim().is_empty() {
        return Err(HostError::Invalid("the command is empty".into()));
    }
    if command.len() > 64 * 1024 || command.contains('\0') {
        return Err(HostError::Invalid(
            "the command must be at most 64 KiB of text without NUL".into(),
        ));
    }
    let prepared = cfg.prepare(workspace)?;
    let shell = if Path::new("/bin/bash").exists() {
        "/bin/bash"
    } else {
        "/bin/sh"
    };
    let mut cmd = prepared.command(shell, cfg, workspace, workspace);
    cmd.arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| crate::sandbox::spawn_error(e, "command"))?;
    let pid = child.id();
    let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(HostError::Internal(
            "the command's output is not available".into(),
        ));
    };
    let reading = async { tokio::join!(read_capped(out), read_capped(err)) };
    let waited = tokio::time::timeout(timeout, async {
        let ((o, ocut), (e, ecut)) = reading.await;
        let status = child.wait().await;
        (o, ocut, e, ecut, status)
    })
    .await;
    let (o, ocut, e, ecut, status, timed_out) = match waited {
        Ok((o, ocut, e, ecut, status)) => (o, ocut, e, ecut, status.ok(), false),
        Err(_) => {
            if let Some(pid) = pid {
                // The whole group: the command and everything it started.
                // SAFETY: kill(2) with a negative pid signals the process group we created.
                unsafe {
                    libc::kill(-(pid as i32), libc::SIGKILL);
                }
            }
            let _ = child.wait().await;
            (Vec::new(), false, Vec::new(), false, None, true)
        }
    };
    // Anything still in the group after the shell exited (background jobs) goes too.
    if let Some(pid) = pid {
        // SAFETY: as above; ESRCH when the group is already gone is fine.
        unsafe {
            libc::kill(-(pid as i32), libc::SIGKILL);
        }
    }
    let mut output = String::from_utf8_lossy(&o).into_owned();
    if ocut {
        output.push_str("\n[standard output cut at 1 MiB]");
    }
    if !e.is_empty() {
        if !output.is_empty() && !output.ends_with('\n') {
            output.push('\n');
        }
        output.push_str(&String::from_utf8_lossy(&e));
        if ecut {
            output.push_str("\n[standard error cut at 1 MiB]");
        }
    }
    let sandboxed = landlock_available();
    Ok(CommandOutput {
        exit_code: status.and_then(|s| s.code()),
        output,
        timed_out,
        sandboxed,
        duration: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn setup() -> (tempfile::TempDir, PathBuf, SandboxConfig) {
        let t = tempfile::tempdir().unwrap();
        let ws = t.path().join("alice/workspace");
        std::fs::create_dir_all(&ws).unwrap();
        std::fs::create_dir_all(t.path().join("bob/workspace")).unwrap();
        std::fs::write(t.path().join("bob/workspace/secret.txt"), "bob's secret").unwrap();
        std::fs::write(t.path().join("state.db"), "server data").unwrap();
        let cfg = SandboxConfig::new(t.path().join("alice/tmp"), SandboxMode::Required);
        (t, ws, cfg)
    }

    #[tokio::test]
    async fn commands_run_in_the_workspace_and_cannot_leave_it() {
        assert!(
            landlock_available(),
            "this machine's kernel must support Landlock"
        );
        let (t, ws, cfg) = setup();
        let r = run(
            &ws,
            &cfg,
            "echo hello > a.txt && cat a.txt && pwd",
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        assert_eq!(r.exit_code, Some(0), "{}", r.output);
        assert!(r.output.starts_with("hello\n"));
        assert!(r.sandboxed);
        let bob = t.path().join("bob/workspace/secret.txt");
        let data = t.path().join("state.db");
        for attempt in [
            format!("cat {}", bob.display()),
            format!("cat {}", data.display()),
            format!("echo x > {}", data.display()),
            format!("ln -s {} link && cat link", bob.display()),
            format!("ln {} hard", bob.display()),
            "cat /proc/1/environ".to_owned(),
            format!("cat /proc/self/root{}", bob.display()),
            "ls /root".to_owned(),
        ] {
            let r = run(&ws, &cfg, &attempt, Duration::from_secs(10))
                .await
                .unwrap();
            assert_ne!(r.exit_code, Some(0), "{attempt} succeeded: {}", r.output);
            assert!(
                !r.output.contains("bob's secret") && !r.output.contains("server data"),
                "{attempt}: {}",
                r.output
            );
        }
        assert_eq!(std::fs::read_to_string(&data).unwrap(), "server data");
    }

    #[tokio::test]
    async fn a_timeout_kills_the_whole_group_and_the_environment_is_scrubbed() {
        let (_t, ws, mut cfg) = setup();
        cfg.mode = SandboxMode::BestEffort;
        // SAFETY: test-only; no other thread reads this variable.
        unsafe { std::env::set_var("ARRANGER_TEST_SECRET", "hunter2") };
        let r = run(&ws, &cfg, "env", Duration::from_secs(10))
            .await
            .unwrap();
        assert!(!r.output.contains("hunter2"), "{}", r.output);
        let r = run(
            &ws,
            &cfg,
            "(sleep 30; echo late > late.txt) & sleep 30",
            Duration::from_millis(500),
        )
        .await
        .unwrap();
        assert!(r.timed_out);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!ws.join("late.txt").exists());
        assert!(run(&ws, &cfg, "  ", Duration::from_secs(1)).await.is_err());
    }
}
