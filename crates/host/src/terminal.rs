//! Terminals: real pseudo-terminals running an interactive shell for a user.
//!
//! Each terminal is `bash --noprofile --norc -i` on its own PTY, in the user's workspace
//! (or a directory inside it), confined by exactly the same [`crate::sandbox`] as commands,
//! with the same scrubbed environment except `TERM=xterm-256color`. The shell leads its own
//! session; closing or dropping the terminal kills that session (the shell's process group
//! and every process still in the session), so nothing outlives it.
//!
//! Output is kept in a scrollback ring ([`SCROLLBACK_BYTES`]) addressed by a monotonically
//! increasing byte offset, and broadcast to subscribers as [`TerminalEvent`]s; a client that
//! missed some reads them back with [`Terminals::read`]. The exit of the shell is detected
//! and reported with its code.
//!
//! A user's [`Terminals`] is one set, limited to [`MAX_TERMINALS`] running terminals.

use crate::HostError;
use crate::fs::Workspace;
use crate::sandbox::SandboxConfig;
use std::collections::{BTreeMap, VecDeque};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{broadcast, watch};

/// Running terminals a user may have at once.
pub const MAX_TERMINALS: usize = 8;
/// Output kept per terminal, in bytes.
pub const SCROLLBACK_BYTES: usize = 256 * 1024;
/// Largest input accepted in one call, in bytes.
pub const MAX_INPUT_BYTES: usize = 64 * 1024;
/// Largest number of columns or rows.
pub const MAX_DIMENSION: u32 = 1000;

/// How long an input write may wait for the shell to read.
const INPUT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long output is still drained after the shell exited.
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(200);
/// How long closing waits for the exit to be seen.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// What a terminal is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerminalInfo {
    /// Id, unique among the user's terminals.
    pub id: String,
    /// Working directory the shell started in, workspace-relative (`""` is the root).
    pub cwd: String,
    /// Columns.
    pub cols: u16,
    /// Rows.
    pub rows: u16,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_at: i64,
    /// The shell's exit code once it exited (128 + the signal number when killed).
    pub exit_code: Option<i32>,
}

/// Output read back from the scrollback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerminalRead {
    /// The output (invalid UTF-8, for example a character cut at the start, is replaced).
    pub data: String,
    /// Byte offset of the first byte of `data` in the terminal's whole output.
    pub offset: u64,
    /// Byte offset just past `data`: pass it as `since` to read on, and ignore
    /// `terminal.output` chunks that end at or before it.
    pub end: u64,
    /// Whether output after `since` was already dropped from the scrollback.
    pub truncated: bool,
    /// The shell's exit code, if it exited.
    pub exit_code: Option<i32>,
}

/// Something a terminal did, for the user's subscribers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TerminalEvent {
    /// Output.
    Output {
        /// Terminal id.
        id: String,
        /// Byte offset of the first byte of `data`.
        offset: u64,
        /// The output, cut at character boundaries.
        data: String,
    },
    /// The shell exited.
    Exit {
        /// Terminal id.
        id: String,
        /// Exit code (128 + the signal number when killed).
        code: i32,
    },
}

/// The scrollback and exit state, shared with the task that reads the PTY.
#[derive(Default)]
struct Output {
    ring: VecDeque<u8>,
    /// Total bytes ever written: the offset just past the ring's last byte.
    end: u64,
    exit_code: Option<i32>,
}

impl Output {
    fn push(&mut self, data: &[u8]) {
        self.end += data.len() as u64;
        let data = &data[data.len().saturating_sub(SCROLLBACK_BYTES)..];
        let overflow = (self.ring.len() + data.len()).saturating_sub(SCROLLBACK_BYTES);
        self.ring.drain(..overflow);
        self.ring.extend(data);
    }

    fn start(&self) -> u64 {
        self.end - self.ring.len() as u64
    }
}

struct Terminal {
    id: String,
    cwd: String,
    created_at: i64,
    /// The shell's pid: also its process group and session id.
    pid: i32,
    size: Mutex<(u16, u16)>,
    writer: tokio::sync::Mutex<pty_process::OwnedWritePty>,
    output: Arc<Mutex<Output>>,
    done: watch::Receiver<bool>,
}

impl Terminal {
    fn exit_code(&self) -> Option<i32> {
        self.output.lock().ok().and_then(|o| o.exit_code)
    }

    fn info(&self) -> TerminalInfo {
        let (cols, rows) = self.size.lock().map(|s| *s).unwrap_or((0, 0));
        TerminalInfo {
            id: self.id.clone(),
            cwd: self.cwd.clone(),
            cols,
            rows,
            created_at: self.created_at,
            exit_code: self.exit_code(),
        }
    }

    /// Kills the shell's session, unless it already exited.
    fn kill(&self) {
        if self.exit_code().is_none() {
            kill_session(self.pid);
        }
    }

    async fn wait_exit(&self, timeout: Duration) {
        let mut done = self.done.clone();
        let _ = tokio::time::timeout(timeout, done.wait_for(|d| *d)).await;
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.kill();
    }
}

#[derive(Default)]
struct Inner {
    map: BTreeMap<u64, Arc<Terminal>>,
    next: u64,
}

/// One user's terminals.
pub struct Terminals {
    max: usize,
    inner: Mutex<Inner>,
    events: broadcast::Sender<Arc<TerminalEvent>>,
}

impl Default for Terminals {
    fn default() -> Self {
        Terminals::new(MAX_TERMINALS)
    }
}

impl Drop for Terminals {
    fn drop(&mut self) {
        self.kill_all();
    }
}

fn check_size(cols: u32, rows: u32) -> Result<(u16, u16), HostError> {
    let ok = |v: u32| (1..=MAX_DIMENSION).contains(&v);
    if !ok(cols) || !ok(rows) {
        return Err(HostError::Invalid(format!(
            "cols and rows must each be between 1 and {MAX_DIMENSION} (got cols {cols}, rows {rows})"
        )));
    }
    Ok((cols as u16, rows as u16))
}

fn not_found(id: &str) -> HostError {
    HostError::NotFound(format!(
        "terminal {id:?} not found; terminal.list shows your terminals"
    ))
}

impl Terminals {
    /// An empty set allowing `max` running terminals.
    pub fn new(max: usize) -> Self {
        Terminals {
            max,
            inner: Mutex::new(Inner::default()),
            events: broadcast::channel(256).0,
        }
    }

    /// Output and exits of every terminal of the set, as they happen. A subscriber that
    /// falls behind loses chunks (it can read them back from the scrollback).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<TerminalEvent>> {
        self.events.subscribe()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Inner>, HostError> {
        self.inner
            .lock()
            .map_err(|_| HostError::Internal("the terminal set is poisoned".into()))
    }

    fn get(&self, id: &str) -> Result<Arc<Terminal>, HostError> {
        let n = parse_id(id).ok_or_else(|| not_found(id))?;
        self.lock()?
            .map
            .get(&n)
            .cloned()
            .ok_or_else(|| not_found(id))
    }

    /// Starts a shell in `cwd` (workspace-relative, `""` for the root) of `workspace`,
    /// confined by `sandbox`, on a `cols`×`rows` terminal.
    pub fn create(
        &self,
        workspace: &Workspace,
        sandbox: &SandboxConfig,
        cwd: &str,
        cols: u32,
        rows: u32,
    ) -> Result<TerminalInfo, HostError> {
        let (cols, rows) = check_size(cols, rows)?;
        let (cwd, dir) = workspace.resolve_dir(cwd)?;
        let (n, id) = {
            let mut inner = self.lock()?;
            let running = inner
                .map
                .values()
                .filter(|t| t.exit_code().is_none())
                .count();
            if running >= self.max {
                return Err(HostError::Invalid(format!(
                    "you already have {running} terminals running, the limit is {}; close one with terminal.close (terminal.list shows them)",
                    self.max
                )));
            }
            inner.next += 1;
            (inner.next, format!("term-{}", inner.next))
        };
        let mut prepared = sandbox.prepare(workspace.root())?;
        let (pty, pts) = open_pty()
            .map_err(|e| HostError::Internal(format!("cannot open a pseudo-terminal: {e}")))?;
        pty.resize(pty_process::Size::new(rows, cols))
            .map_err(|e| HostError::Internal(format!("cannot size the terminal: {e}")))?;
        let shell = if Path::new("/bin/bash").exists() {
            "/bin/bash"
        } else {
            "/bin/sh"
        };
        let mut base = tokio::process::Command::new(shell);
        base.current_dir(&dir)
            .env_clear()
            .envs(sandbox.environment(workspace.root()))
            .env("TERM", "xterm-256color")
            .kill_on_drop(true);
        if shell == "/bin/bash" {
            base.args(["--noprofile", "--norc", "-i"]);
        } else {
            base.arg("-i");
        }
        // SAFETY: runs in the child between fork and exec, after pty-process made it a
        // session leader with the PTY as controlling terminal; `apply` only makes system
        // calls on data prepared in the parent.
        let cmd = unsafe { pty_process::Command::from(base).pre_exec(move || prepared.apply()) };
        let child = cmd.spawn(pts).map_err(|e| match e {
            pty_process::Error::Io(e) => crate::sandbox::spawn_error(e, "terminal"),
            other => HostError::Internal(format!("cannot start the terminal: {other}")),
        })?;
        let pid = child
            .id()
            .and_then(|p| i32::try_from(p).ok())
            .ok_or_else(|| HostError::Internal("the terminal's shell has no pid".into()))?;
        let (reader, writer) = pty.into_split();
        let output = Arc::new(Mutex::new(Output::default()));
        let (done_tx, done) = watch::channel(false);
        tokio::spawn(pump(
            id.clone(),
            pid,
            reader,
            child,
            output.clone(),
            self.events.clone(),
            done_tx,
        ));
        let terminal = Arc::new(Terminal {
            id,
            cwd,
            created_at: arranger_store::now_ms(),
            pid,
            size: Mutex::new((cols, rows)),
            writer: tokio::sync::Mutex::new(writer),
            output,
            done,
        });
        let info = terminal.info();
        let mut inner = self.lock()?;
        inner.map.insert(n, terminal);
        // Exited terminals stay readable until closed, but not without bound: keep at most
        // `max` of them, dropping the oldest.
        let exited: Vec<u64> = inner
            .map
            .iter()
            .filter(|(_, t)| t.exit_code().is_some())
            .map(|(k, _)| *k)
            .collect();
        for k in exited.iter().take(exited.len().saturating_sub(self.max)) {
            inner.map.remove(k);
        }
        tracing::debug!(terminal = %info.id, pid, "terminal started");
        Ok(info)
    }

    /// Types `data` into a terminal.
    pub async fn input(&self, id: &str, data: &str) -> Result<(), HostError> {
        if data.len() > MAX_INPUT_BYTES {
            return Err(HostError::Invalid(format!(
                "terminal input is at most {MAX_INPUT_BYTES} bytes per call (got {}); send it in pieces",
                data.len()
            )));
        }
        let t = self.get(id)?;
        if t.exit_code().is_some() {
            return Err(HostError::Invalid(format!(
                "terminal {id:?} has exited; close it and create another"
            )));
        }
        let mut w = t.writer.lock().await;
        match tokio::time::timeout(INPUT_TIMEOUT, w.write_all(data.as_bytes())).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(HostError::Invalid(format!(
                "cannot write to terminal {id:?}: {e}"
            ))),
            Err(_) => Err(HostError::Unavailable(format!(
                "terminal {id:?} is not reading its input; try again later"
            ))),
        }
    }

    /// Changes a terminal's size (the shell receives `SIGWINCH`).
    pub async fn resize(&self, id: &str, cols: u32, rows: u32) -> Result<TerminalInfo, HostError> {
        let (cols, rows) = check_size(cols, rows)?;
        let t = self.get(id)?;
        t.writer
            .lock()
            .await
            .resize(pty_process::Size::new(rows, cols))
            .map_err(|e| HostError::Internal(format!("cannot resize terminal {id:?}: {e}")))?;
        if let Ok(mut s) = t.size.lock() {
            *s = (cols, rows);
        }
        Ok(t.info())
    }

    /// Reads output from the scrollback: everything kept after `since` (a byte offset), or
    /// all of it.
    pub fn read(&self, id: &str, since: Option<u64>) -> Result<TerminalRead, HostError> {
        let t = self.get(id)?;
        let o = t
            .output
            .lock()
            .map_err(|_| HostError::Internal("terminal output poisoned".into()))?;
        let start = o.start();
        let since = since.unwrap_or(0).min(o.end);
        let from = since.max(start);
        let skip = (from - start) as usize;
        let bytes: Vec<u8> = o.ring.iter().skip(skip).copied().collect();
        Ok(TerminalRead {
            data: String::from_utf8_lossy(&bytes).into_owned(),
            offset: from,
            end: o.end,
            truncated: since < start,
            exit_code: o.exit_code,
        })
    }

    /// Every terminal, oldest first.
    pub fn list(&self) -> Result<Vec<TerminalInfo>, HostError> {
        Ok(self.lock()?.map.values().map(|t| t.info()).collect())
    }

    /// Closes a terminal: kills its session, waits (briefly) for the exit and forgets it.
    pub async fn close(&self, id: &str) -> Result<TerminalInfo, HostError> {
        let n = parse_id(id).ok_or_else(|| not_found(id))?;
        let t = self.lock()?.map.remove(&n).ok_or_else(|| not_found(id))?;
        t.kill();
        t.wait_exit(CLOSE_TIMEOUT).await;
        Ok(t.info())
    }

    /// Closes every terminal and waits for their exits (at shutdown).
    pub async fn close_all(&self) {
        let all: Vec<Arc<Terminal>> = match self.inner.lock() {
            Ok(mut inner) => std::mem::take(&mut inner.map).into_values().collect(),
            Err(_) => return,
        };
        for t in &all {
            t.kill();
        }
        for t in &all {
            t.wait_exit(CLOSE_TIMEOUT).await;
        }
    }

    /// Kills every terminal without waiting (when the user's context is dropped).
    pub fn kill_all(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            for t in std::mem::take(&mut inner.map).into_values() {
                t.kill();
            }
        }
    }

    /// The shells' pids, for tests that check nothing outlives a terminal.
    pub fn pids(&self) -> Vec<i32> {
        self.inner
            .lock()
            .map(|i| i.map.values().map(|t| t.pid).collect())
            .unwrap_or_default()
    }
}

fn parse_id(id: &str) -> Option<u64> {
    id.strip_prefix("term-")?.parse().ok()
}

/// Opens a PTY pair with both ends close-on-exec from the start, so that no process
/// started concurrently for another user can inherit them.
fn open_pty() -> std::io::Result<(pty_process::Pty, pty_process::Pts)> {
    use std::os::unix::fs::OpenOptionsExt;
    let flags = libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC | libc::O_NONBLOCK;
    // SAFETY: open(2) with a static NUL-terminated path.
    let fd = unsafe { libc::open(c"/dev/ptmx".as_ptr(), flags) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened and is owned by nothing else.
    let master = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: grantpt/unlockpt/ptsname_r on our open master, into a stack buffer of the
    // given length.
    unsafe {
        if libc::grantpt(fd) != 0 || libc::unlockpt(fd) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let r = libc::ptsname_r(fd, name.as_mut_ptr(), name.len());
        if r != 0 {
            return Err(std::io::Error::from_raw_os_error(r));
        }
    }
    // SAFETY: ptsname_r wrote a NUL-terminated string into `name`.
    let path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) };
    let path = <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(path.to_bytes());
    // std opens with O_CLOEXEC.
    let pts = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(path)?;
    // SAFETY: `master` is an open, non-blocking PTY master we own.
    let pty = unsafe { pty_process::Pty::from_fd(master) }
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    // SAFETY: `pts` is the open slave of that master.
    let pts = unsafe { pty_process::Pts::from_fd(pts.into()) };
    Ok((pty, pts))
}

/// Kills a terminal's session: the shell's process group, then every process still in
/// its session (jobs get process groups of their own). A process that left the session
/// with `setsid` escapes this — it stays confined by the sandbox.
pub(crate) fn kill_session(sid: i32) {
    if sid <= 1 {
        return;
    }
    // SAFETY: kill(2) of the group the shell leads.
    unsafe {
        libc::kill(-sid, libc::SIGKILL);
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the command (which may contain spaces) end with ')':
        // state ppid pgrp session ...
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let session = rest.split_whitespace().nth(3).and_then(|s| s.parse().ok());
        if session == Some(sid) {
            // SAFETY: kill(2) of a process of that session.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

/// Cuts `pending` after its last complete UTF-8 character; returns the text and keeps
/// the incomplete tail (at most 3 bytes) in `pending`.
fn take_text(pending: &mut Vec<u8>) -> String {
    let cut = match std::str::from_utf8(pending) {
        Ok(_) => pending.len(),
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        Err(_) => {
            // Invalid in the middle: find the last char boundary that leaves at most an
            // incomplete tail.
            let tail_start = pending.len().saturating_sub(3);
            (tail_start..=pending.len())
                .rev()
                .find(|&i| std::str::from_utf8(&pending[i..]).is_ok())
                .unwrap_or(pending.len())
        }
    };
    let rest = pending.split_off(cut);
    let text = String::from_utf8_lossy(pending).into_owned();
    *pending = rest;
    text
}

/// Reads the PTY until the shell is gone: keeps the scrollback, broadcasts the output,
/// reaps the shell, kills what is left of its session and reports the exit.
async fn pump(
    id: String,
    pid: i32,
    mut reader: pty_process::OwnedReadPty,
    mut child: tokio::process::Child,
    output: Arc<Mutex<Output>>,
    events: broadcast::Sender<Arc<TerminalEvent>>,
    done: watch::Sender<bool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    let mut code: Option<i32> = None;
    loop {
        let draining = code.is_some();
        let read = async {
            if draining {
                // After the exit: drain what is left, but do not wait on a process that
                // escaped the session and still holds the terminal.
                tokio::time::timeout(DRAIN_AFTER_EXIT, reader.read(&mut buf))
                    .await
                    .unwrap_or(Ok(0))
            } else {
                reader.read(&mut buf).await
            }
        };
        tokio::select! {
            r = read => match r {
                // EIO once every slave descriptor is closed.
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let Ok(mut o) = output.lock() else { break };
                    o.push(&buf[..n]);
                    let end = o.end;
                    drop(o);
                    // `pending` is the stream's unsent tail: it ends at `end`.
                    pending.extend_from_slice(&buf[..n]);
                    let start = end - pending.len() as u64;
                    let data = take_text(&mut pending);
                    if !data.is_empty() {
                        let _ = events.send(Arc::new(TerminalEvent::Output {
                            id: id.clone(),
                            offset: start,
                            data,
                        }));
                    }
                }
            },
            status = child.wait(), if code.is_none() => {
                code = Some(exit_code(status));
                kill_session(pid);
            }
        }
    }
    let code = match code {
        Some(c) => c,
        None => {
            kill_session(pid);
            exit_code(child.wait().await)
        }
    };
    if let Ok(mut o) = output.lock() {
        o.exit_code = Some(code);
    }
    tracing::debug!(terminal = %id, code, "terminal exited");
    let _ = events.send(Arc::new(TerminalEvent::Exit { id, code }));
    let _ = done.send(true);
}

fn exit_code(status: std::io::Result<std::process::ExitStatus>) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match status {
        Ok(s) => s
            .code()
            .or_else(|| s.signal().map(|sig| 128 + sig))
            .unwrap_or(-1),
        Err(_) => -1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scrollback_keeps_the_tail_and_counts_every_byte() {
        let mut o = Output::default();
        o.push(b"abc");
        assert_eq!((o.start(), o.end), (0, 3));
        o.push(&vec![b'x'; SCROLLBACK_BYTES]);
        assert_eq!(o.end, 3 + SCROLLBACK_BYTES as u64);
        assert_eq!(o.start(), 3);
        assert_eq!(o.ring.len(), SCROLLBACK_BYTES);
        o.push(b"yz");
        assert_eq!(o.start(), 5);
        assert_eq!(o.ring.back(), Some(&b'z'));
    }

    #[test]
    fn output_chunks_are_cut_at_character_boundaries() {
        let euro = "€".as_bytes(); // 3 bytes
        let mut pending = b"ab".to_vec();
        pending.extend_from_slice(&euro[..2]);
        assert_eq!(take_text(&mut pending), "ab");
        assert_eq!(pending, &euro[..2]);
        pending.extend_from_slice(&euro[2..]);
        assert_eq!(take_text(&mut pending), "€");
        assert!(pending.is_empty());
        // Invalid bytes are replaced, not kept forever.
        let mut pending = vec![0xff, b'a'];
        assert_eq!(take_text(&mut pending), "\u{fffd}a");
        assert!(pending.is_empty());
    }

    #[test]
    fn sizes_and_ids_are_checked() {
        assert!(check_size(1, 1000).is_ok());
        assert!(check_size(0, 10).is_err());
        assert!(check_size(10, 1001).is_err());
        assert_eq!(parse_id("term-3"), Some(3));
        assert_eq!(parse_id("term-x"), None);
        assert_eq!(parse_id("3"), None);
    }
}
