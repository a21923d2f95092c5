//! Running a shell command for a user: in the user's workspace, with a scrubbed
//! environment, resource limits, a timeout that kills the whole process group, and —
//! where the kernel supports it — a Landlock sandbox that lets the command write only the
//! workspace and a private temporary directory, read only system locations, and touch
//! nothing else: not the data directory, not other users' files, not `/proc`.

use crate::HostError;
use landlock::{
    ABI, Access, AccessFs, CompatLevel, Compatible, PathBeneath, PathFd, Ruleset, RulesetAttr,
    RulesetCreated, RulesetCreatedAttr, RulesetStatus,
};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Whether commands must run sandboxed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandboxMode {
    /// Refuse to run a command the kernel cannot confine (multi-user mode).
    Required,
    /// Confine when the kernel can; otherwise run unconfined (single-user mode, or an
    /// administrator's explicit opt-out).
    BestEffort,
}

/// How a user's commands are confined.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// The user's private temporary directory (read-write, `TMPDIR`).
    pub tmp_dir: PathBuf,
    /// Locations commands may read (system directories, toolchains).
    pub read_only: Vec<PathBuf>,
    /// Required or best effort.
    pub mode: SandboxMode,
}

impl SandboxConfig {
    /// The default read-only allow-list: system directories and, when present, the
    /// toolchains in the server's home (`.rustup`, `.cargo/bin`, `.cargo/registry`,
    /// `.pyenv`, `.nvm`) — never the home directory itself.
    pub fn default_read_only() -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = [
            "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/opt",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
            for sub in [
                ".rustup",
                ".cargo/bin",
                ".cargo/registry",
                ".cargo/git",
                ".pyenv",
                ".nvm",
            ] {
                v.push(home.join(sub));
            }
        }
        v.retain(|p| p.exists());
        v
    }
}

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
pub const MAX_STREAM_BYTES: usize = 64 * 1024;

const ABI_WANTED: ABI = ABI::V5;

/// Builds the ruleset in the parent (allocation is fine here); the child only applies it.
fn ruleset(workspace: &Path, cfg: &SandboxConfig) -> Result<RulesetCreated, HostError> {
    let err =
        |e: landlock::RulesetError| HostError::Internal(format!("cannot build the sandbox: {e}"));
    let mut rs = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(ABI_WANTED))
        .map_err(err)?
        .create()
        .map_err(err)?;
    let read = AccessFs::from_read(ABI_WANTED);
    for p in &cfg.read_only {
        if let Ok(fd) = PathFd::new(p) {
            rs = rs.add_rule(PathBeneath::new(fd, read)).map_err(err)?;
        }
    }
    // /dev/null, /dev/zero, /dev/urandom, /dev/tty: read and write files, nothing else.
    if let Ok(fd) = PathFd::new("/dev") {
        let dev = AccessFs::ReadFile | AccessFs::WriteFile | AccessFs::ReadDir;
        rs = rs.add_rule(PathBeneath::new(fd, dev)).map_err(err)?;
    }
    for p in [workspace, cfg.tmp_dir.as_path()] {
        let fd = PathFd::new(p)
            .map_err(|e| HostError::Internal(format!("cannot open a sandbox root: {e}")))?;
        rs = rs
            .add_rule(PathBeneath::new(fd, AccessFs::from_all(ABI_WANTED)))
            .map_err(err)?;
    }
    Ok(rs)
}

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
    std::fs::create_dir_all(&cfg.tmp_dir)
        .map_err(|e| HostError::Internal(format!("cannot create the temporary directory: {e}")))?;
    let shell = if Path::new("/bin/bash").exists() {
        "/bin/bash"
    } else {
        "/bin/sh"
    };
    let mut cmd = tokio::process::Command::new(shell);
    cmd.arg("-c")
        .arg(command)
        .current_dir(workspace)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", workspace)
        .env("TMPDIR", &cfg.tmp_dir)
        .env("LANG", "C.UTF-8")
        .env("TERM", "dumb")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    if let Some(home) = std::env::var_os("HOME") {
        let home = PathBuf::from(home);
        let extra: Vec<String> = [".cargo/bin", ".pyenv/shims"]
            .iter()
            .map(|s| home.join(s))
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
            .collect();
        if !extra.is_empty() {
            cmd.env(
                "PATH",
                format!("{}:/usr/local/bin:/usr/bin:/bin", extra.join(":")),
            );
        }
        if home.join(".rustup").exists() {
            cmd.env("RUSTUP_HOME", home.join(".rustup"));
        }
    }
    let mut rules = Some(ruleset(workspace, cfg)?);
    let required = cfg.mode == SandboxMode::Required;
    // SAFETY: the closure runs in the child between fork and exec; it only makes system
    // calls (setrlimit, prctl, landlock) on data prepared in the parent.
    unsafe {
        cmd.pre_exec(move || {
            let limit = |res, v: libc::rlim_t| {
                let l = libc::rlimit {
                    rlim_cur: v,
                    rlim_max: v,
                };
                libc::setrlimit(res, &l);
            };
            limit(libc::RLIMIT_CPU, 300);
            limit(libc::RLIMIT_FSIZE, 1 << 30);
            limit(libc::RLIMIT_AS, 8 << 30);
            limit(libc::RLIMIT_NOFILE, 1024);
            limit(libc::RLIMIT_CORE, 0);
            if let Some(r) = rules.take() {
                match r.restrict_self() {
                    Ok(s)
                        if s.ruleset == RulesetStatus::FullyEnforced
                            || s.ruleset == RulesetStatus::PartiallyEnforced => {}
                    _ if required => {
                        return Err(std::io::Error::other(
                            "the kernel cannot enforce the sandbox (Landlock)",
                        ));
                    }
                    _ => {}
                }
            }
            Ok(())
        });
    }
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| {
        if e.to_string().contains("Landlock") {
            HostError::Unavailable(
                "commands are disabled: the kernel cannot sandbox them (Landlock)".into(),
            )
        } else {
            HostError::Internal(format!("cannot start the command: {e}"))
        }
    })?;
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
        output.push_str("\n[standard output cut at 64 KiB]");
    }
    if !e.is_empty() {
        if !output.is_empty() && !output.ends_with('\n') {
            output.push('\n');
        }
        output.push_str(&String::from_utf8_lossy(&e));
        if ecut {
            output.push_str("\n[standard error cut at 64 KiB]");
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

/// Whether this kernel can enforce a Landlock ruleset (checked once).
pub fn landlock_available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        // Creating a ruleset with the hard requirement fails when Landlock is absent.
        Ruleset::default()
            .set_compatibility(CompatLevel::HardRequirement)
            .handle_access(AccessFs::from_all(ABI::V1))
            .and_then(|r| r.create())
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, PathBuf, SandboxConfig) {
        let t = tempfile::tempdir().unwrap();
        let ws = t.path().join("alice/workspace");
        std::fs::create_dir_all(&ws).unwrap();
        std::fs::create_dir_all(t.path().join("bob/workspace")).unwrap();
        std::fs::write(t.path().join("bob/workspace/secret.txt"), "bob's secret").unwrap();
        std::fs::write(t.path().join("state.db"), "server data").unwrap();
        let cfg = SandboxConfig {
            tmp_dir: t.path().join("alice/tmp"),
            read_only: SandboxConfig::default_read_only(),
            mode: SandboxMode::Required,
        };
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
