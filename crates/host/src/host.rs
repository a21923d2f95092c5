//! [`UserHost`]: the host API of one user (BRIEF A4), every call scoped and checked.

use crate::fs::{FsError, Workspace, WriteOptions};
use crate::limits::{StorageMeter, UserLimits};
use crate::{HostError, current_user};
use arranger_domain::Capability;
use arranger_domain::fs::{DirEntry, FileStat};
use arranger_domain::{Author, CommandAction, SessionId, UserCommand, UserId};
use arranger_store::{NewTask, UserStore};
use serde_json::{Value, json};
use std::sync::Arc;

/// Largest file `read` returns, in bytes.
pub const MAX_READ_BYTES: u64 = 16 * 1024 * 1024;

/// A built-in command: id, title and what its `args` are.
pub struct Builtin {
    /// Id (always `arranger.*`).
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
}

/// The built-in commands every user has.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        id: "arranger.newSession",
        title: "New session (args: {\"title\"})",
    },
    Builtin {
        id: "arranger.createTask",
        title: "Create task (args: {\"title\", \"session\"?})",
    },
    Builtin {
        id: "arranger.post",
        title: "Post to the Blackboard (args: {\"text\", \"session\"?})",
    },
];

/// The host API of one user: their workspace, their state and their commands.
///
/// **Invariant:** every method first checks that the task's current user (see
/// [`crate::with_user`]) is this host's user, so a call that lost its context, or that
/// carries another user's, fails instead of acting.
#[derive(Clone)]
pub struct UserHost {
    user: UserId,
    workspace: Arc<Workspace>,
    store: UserStore,
    sandbox: Option<Arc<crate::exec::SandboxConfig>>,
    /// The user's network policy: `true` denies TCP to processes started from now on.
    deny_network: Arc<std::sync::atomic::AtomicBool>,
    terminals: Arc<crate::terminal::Terminals>,
    limits: UserLimits,
    storage: Arc<StorageMeter>,
}

impl UserHost {
    /// The host of `user`, whose files are `workspace` and whose state is `store`.
    pub fn new(user: UserId, workspace: Workspace, store: UserStore) -> Self {
        UserHost {
            user,
            workspace: Arc::new(workspace),
            store,
            sandbox: None,
            deny_network: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            terminals: Arc::new(crate::terminal::Terminals::default()),
            limits: UserLimits::unlimited(),
            storage: Arc::new(StorageMeter::default()),
        }
    }

    /// Enforces `limits` (quotas and permissions) from now on.
    pub fn with_limits(mut self, limits: UserLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The user's effective limits.
    pub fn limits(&self) -> &UserLimits {
        &self.limits
    }

    /// `Forbidden` when the user may not use `capability`.
    pub fn permit(&self, capability: Capability) -> Result<(), HostError> {
        self.limits
            .get()
            .permissions
            .check(capability)
            .map_err(HostError::Forbidden)
    }

    /// Bytes the workspace holds: measured by a walk when the last measurement is stale
    /// (after a command, or every 2 s while a terminal is open), otherwise kept current by
    /// the host's own writes. Blocks.
    pub fn storage_used(&self) -> u64 {
        let busy = self.terminals.list().is_ok_and(|t| !t.is_empty());
        self.storage.used(self.workspace.root(), busy)
    }

    /// The sandbox for a process about to start: refused when the storage quota is
    /// reached; otherwise its largest file is what is left of the quota.
    fn process_sandbox(&self, what: &str) -> Result<Arc<crate::exec::SandboxConfig>, HostError> {
        let sandbox = self.sandbox(what)?;
        let Some(max) = self.limits.get().quotas.storage_bytes else {
            return Ok(sandbox);
        };
        let used = self.storage_used();
        if used >= max {
            return Err(crate::limits::storage_exceeded(used, max).into());
        }
        let mut cfg = (*sandbox).clone();
        cfg.max_file_bytes = Some(max - used);
        Ok(Arc::new(cfg))
    }

    /// Allows running commands, confined as `sandbox` says.
    pub fn with_sandbox(mut self, sandbox: crate::exec::SandboxConfig) -> Self {
        self.sandbox = Some(Arc::new(sandbox));
        self
    }

    /// Runs a shell command in the workspace (see [`crate::exec`]).
    pub async fn run_command(
        &self,
        command: &str,
        timeout: std::time::Duration,
    ) -> Result<crate::exec::CommandOutput, HostError> {
        self.check()?;
        self.permit(Capability::Commands)?;
        let sandbox = {
            let host = self.clone();
            tokio::task::spawn_blocking(move || host.process_sandbox("commands"))
                .await
                .map_err(|e| HostError::Internal(format!("file worker failed: {e}")))??
        };
        let out = crate::exec::run(self.workspace.root(), &sandbox, command, timeout).await;
        // The command may have written anything: measure again before the next check.
        self.storage.mark_stale();
        out
    }

    /// How this user's processes are confined (`None`: processes are not enabled on this
    /// server). For other process starters, such as stdio MCP servers.
    pub fn sandbox_config(&self) -> Option<Arc<crate::exec::SandboxConfig>> {
        self.sandbox("processes").ok()
    }

    /// How a long-running process about to start for this user (a stdio MCP server) is
    /// confined, storage quota included: its largest file is what is left of the quota
    /// (nothing when the quota is reached). `None`: processes are not enabled. May walk
    /// the workspace when the user has a storage quota.
    pub fn process_config(&self) -> Option<Arc<crate::exec::SandboxConfig>> {
        match self.process_sandbox("processes") {
            Ok(c) => {
                // It may write for as long as it runs: measure again at the next check.
                self.storage.mark_stale();
                Some(c)
            }
            Err(HostError::Quota(_)) => {
                let mut cfg = (*self.sandbox("processes").ok()?).clone();
                cfg.max_file_bytes = Some(0);
                Some(Arc::new(cfg))
            }
            Err(_) => None,
        }
    }

    /// Sets the user's network policy for processes started from now on (commands,
    /// terminals, stdio MCP servers).
    pub fn set_network(&self, access: arranger_domain::NetworkAccess) {
        self.deny_network.store(
            access == arranger_domain::NetworkAccess::Deny,
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    fn sandbox(&self, what: &str) -> Result<Arc<crate::exec::SandboxConfig>, HostError> {
        let base = self.sandbox.clone().ok_or_else(|| {
            HostError::Unavailable(format!("{what} are not enabled on this server"))
        })?;
        if self.deny_network.load(std::sync::atomic::Ordering::Relaxed) {
            let mut cfg = (*base).clone();
            cfg.network = crate::exec::NetworkPolicy::Deny;
            Ok(Arc::new(cfg))
        } else {
            Ok(base)
        }
    }

    /// Opens a terminal: an interactive shell in `cwd` (workspace-relative, `""` for the
    /// root), sandboxed like commands (see [`crate::terminal`]).
    pub async fn terminal_create(
        &self,
        cwd: String,
        cols: u32,
        rows: u32,
    ) -> Result<crate::terminal::TerminalInfo, HostError> {
        self.check()?;
        self.permit(Capability::Terminals)?;
        let limits = self.limits.get();
        if let Some(max) = limits.quotas.terminals {
            let open = self.terminals.list()?.len() as u32;
            if open >= max {
                return Err(arranger_domain::QuotaExceeded {
                    limit: arranger_domain::QuotaKind::Terminals,
                    scope: arranger_domain::QuotaScope::User,
                    used: f64::from(open),
                    max: f64::from(max),
                    resets_at: None,
                }
                .into());
            }
        }
        let host = self.clone();
        // Resolving the directory, measuring storage and building the sandbox touch the
        // file system.
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let _guard = handle.enter();
            let sandbox = host.process_sandbox("terminals")?;
            host.storage.mark_stale();
            host.terminals
                .create(&host.workspace, &sandbox, &cwd, cols, rows)
        })
        .await
        .map_err(|e| HostError::Internal(format!("terminal worker failed: {e}")))?
    }

    /// Types into one of the user's terminals.
    pub async fn terminal_input(&self, id: &str, data: &str) -> Result<(), HostError> {
        self.check()?;
        self.terminals.input(id, data).await
    }

    /// Resizes one of the user's terminals.
    pub async fn terminal_resize(
        &self,
        id: &str,
        cols: u32,
        rows: u32,
    ) -> Result<crate::terminal::TerminalInfo, HostError> {
        self.check()?;
        self.terminals.resize(id, cols, rows).await
    }

    /// Reads a terminal's scrollback after `since`.
    pub fn terminal_read(
        &self,
        id: &str,
        since: Option<u64>,
    ) -> Result<crate::terminal::TerminalRead, HostError> {
        self.check()?;
        self.terminals.read(id, since)
    }

    /// The user's terminals.
    pub fn terminal_list(&self) -> Result<Vec<crate::terminal::TerminalInfo>, HostError> {
        self.check()?;
        self.terminals.list()
    }

    /// Closes one of the user's terminals (its whole session is killed).
    pub async fn terminal_close(
        &self,
        id: &str,
    ) -> Result<crate::terminal::TerminalInfo, HostError> {
        self.check()?;
        self.terminals.close(id).await
    }

    /// Output and exits of the user's terminals, for the user's own connections.
    pub fn terminal_events(
        &self,
    ) -> Result<tokio::sync::broadcast::Receiver<Arc<crate::terminal::TerminalEvent>>, HostError>
    {
        self.check()?;
        Ok(self.terminals.subscribe())
    }

    /// Closes every terminal of the user and waits for them (server shutdown). Needs no
    /// user context: it only ends what this host started.
    pub async fn close_terminals(&self) {
        self.terminals.close_all().await;
    }

    /// Kills every terminal of the user without waiting (the user's context is dropped).
    pub fn kill_terminals(&self) {
        self.terminals.kill_all();
    }

    /// The pids of the user's terminal shells (for tests that check no process outlives
    /// its terminal).
    pub fn terminal_pids(&self) -> Vec<i32> {
        self.terminals.pids()
    }

    /// The user this host serves.
    pub fn user(&self) -> &UserId {
        &self.user
    }

    /// The user's workspace.
    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    /// The user's state store (after checking the caller's context).
    pub fn store(&self) -> Result<&UserStore, HostError> {
        self.check()?;
        Ok(&self.store)
    }

    fn check(&self) -> Result<(), HostError> {
        let current = current_user()?;
        if current != self.user {
            // A bug, never a client's doing: say so loudly, reveal nothing.
            tracing::error!(host = %self.user, current = %current, "host call with another user's context");
            return Err(HostError::WrongUser);
        }
        Ok(())
    }

    async fn fs<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Workspace) -> Result<R, FsError> + Send + 'static,
    ) -> Result<R, HostError> {
        self.fs_or(move |w| f(w).map_err(HostError::Fs)).await
    }

    /// Like [`UserHost::fs`], for work that can fail with more than a file error.
    async fn fs_or<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Workspace) -> Result<R, HostError> + Send + 'static,
    ) -> Result<R, HostError> {
        self.check()?;
        let ws = self.workspace.clone();
        tokio::task::spawn_blocking(move || f(&ws))
            .await
            .map_err(|e| HostError::Internal(format!("file worker failed: {e}")))?
    }

    /// Reads a file (at most [`MAX_READ_BYTES`]).
    pub async fn read(&self, path: String) -> Result<Vec<u8>, HostError> {
        self.fs(move |w| w.read(&path, MAX_READ_BYTES)).await
    }

    /// Writes a file atomically.
    pub async fn write(
        &self,
        path: String,
        data: Vec<u8>,
        opts: WriteOptions,
    ) -> Result<FileStat, HostError> {
        let Some(max) = self.limits.get().quotas.storage_bytes else {
            let storage = self.storage.clone();
            return self
                .fs(move |w| {
                    // Without a measurement there is nothing to keep current: no stat.
                    if !storage.is_measured() {
                        return w.write(&path, &data, opts);
                    }
                    let old = w.stat(&path).map(|s| s.size).unwrap_or(0);
                    let stat = w.write(&path, &data, opts)?;
                    storage.adjust(data.len() as i64 - old as i64);
                    Ok(stat)
                })
                .await;
        };
        let host = self.clone();
        self.fs_or(move |w| {
            let old = w.stat(&path).map(|s| s.size).unwrap_or(0);
            let new = data.len() as u64;
            let used = host.storage_used();
            let after = used.saturating_sub(old).saturating_add(new);
            // Shrinking a file is always allowed, even over the quota.
            if new > old && after > max {
                return Err(crate::limits::storage_exceeded(used, max).into());
            }
            let stat = w.write(&path, &data, opts)?;
            host.storage.adjust(new as i64 - old as i64);
            Ok(stat)
        })
        .await
    }

    /// Metadata of a path.
    pub async fn stat(&self, path: String) -> Result<FileStat, HostError> {
        self.fs(move |w| w.stat(&path)).await
    }

    /// Lists a directory.
    pub async fn list(&self, path: String) -> Result<Vec<DirEntry>, HostError> {
        self.fs(move |w| w.list(&path)).await
    }

    /// Creates a directory.
    pub async fn mkdir(&self, path: String, recursive: bool) -> Result<FileStat, HostError> {
        self.fs(move |w| w.mkdir(&path, recursive)).await
    }

    /// Deletes a path.
    pub async fn delete(&self, path: String, recursive: bool) -> Result<(), HostError> {
        self.fs(move |w| w.delete(&path, recursive)).await
    }

    /// Renames a path.
    pub async fn rename(
        &self,
        from: String,
        to: String,
        overwrite: bool,
    ) -> Result<FileStat, HostError> {
        self.fs(move |w| w.rename(&from, &to, overwrite)).await
    }

    /// Searches the workspace's text files (see [`Workspace::search`]).
    pub async fn search(
        &self,
        pattern: String,
        literal: bool,
        under: String,
        max_hits: usize,
    ) -> Result<crate::SearchResult, HostError> {
        self.fs(move |w| w.search(&pattern, literal, &under, max_hits))
            .await
    }

    /// Registers a user command; built-in ids are reserved.
    pub async fn register_command(&self, command: UserCommand) -> Result<(), HostError> {
        self.check()?;
        if command.id.starts_with("arranger.") {
            return Err(HostError::Invalid(format!(
                "command ids starting with \"arranger.\" are reserved for built-ins; pick another id than {:?}",
                command.id
            )));
        }
        Ok(self.store.register_command(command).await?)
    }

    /// Executes a built-in or user-defined command.
    pub async fn execute_command(&self, id: &str, args: Value) -> Result<Value, HostError> {
        self.check()?;
        let arg = |name: &str| args.get(name).and_then(Value::as_str).map(str::to_owned);
        let need = |name: &str| {
            arg(name).ok_or_else(|| {
                HostError::Invalid(format!("command {id:?} needs a string argument {name:?}"))
            })
        };
        let session = arg("session").map(SessionId::new);
        match id {
            "arranger.newSession" => {
                let s = self.store.create_session(need("title")?).await?;
                Ok(json!(s))
            }
            "arranger.createTask" => {
                let t = self
                    .store
                    .create_task(NewTask {
                        session,
                        title: need("title")?,
                        description: arg("description").unwrap_or_default(),
                        ..NewTask::new(String::new())
                    })
                    .await?;
                Ok(json!(t))
            }
            "arranger.post" => {
                let out = self
                    .store
                    .post_message(session, Author::User, need("text")?)
                    .await?;
                Ok(json!({ "message": out.message, "task": out.task }))
            }
            _ => {
                let cmd = self
                    .store
                    .list_commands()
                    .await?
                    .into_iter()
                    .find(|c| c.id == id)
                    .ok_or_else(|| HostError::NotFound(format!("command {id:?} not found")))?;
                match &cmd.action {
                    CommandAction::Prompt { .. } => {
                        let text = cmd.action.render(&arg("input").unwrap_or_default());
                        let out = self.store.post_message(session, Author::User, text).await?;
                        Ok(json!({ "message": out.message, "task": out.task }))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::with_user;
    use arranger_store::LocalBus;

    fn host(dir: &std::path::Path, user: &str) -> UserHost {
        let store = UserStore::new(dir.join(user).join("state.db"), Arc::new(LocalBus::new(8)));
        std::fs::create_dir_all(dir.join(user).join("ws")).unwrap();
        UserHost::new(
            UserId::new(user),
            Workspace::new(dir.join(user).join("ws")),
            store,
        )
    }

    #[tokio::test]
    async fn calls_without_or_with_another_users_context_fail_loudly() {
        let t = tempfile::tempdir().unwrap();
        let alice = host(t.path(), "alice");
        assert!(matches!(
            alice.list(String::new()).await,
            Err(HostError::NoUserContext)
        ));
        assert!(matches!(alice.store(), Err(HostError::NoUserContext)));
        let wrong = with_user(UserId::new("bob"), alice.read("x".into())).await;
        assert!(matches!(wrong, Err(HostError::WrongUser)));
        let ok = with_user(UserId::new("alice"), alice.list(String::new())).await;
        assert!(ok.unwrap().is_empty());
    }

    #[tokio::test]
    async fn builtin_ids_are_reserved_and_prompt_commands_post() {
        let t = tempfile::tempdir().unwrap();
        let h = host(t.path(), "alice");
        with_user(UserId::new("alice"), async {
            let reserved = UserCommand {
                id: "arranger.post".into(),
                title: "mine".into(),
                action: CommandAction::Prompt {
                    template: "x".into(),
                },
            };
            assert!(matches!(
                h.register_command(reserved).await,
                Err(HostError::Invalid(_))
            ));
            let out = h
                .execute_command("arranger.createTask", json!({"title": "from a command"}))
                .await
                .unwrap();
            assert_eq!(out["title"], "from a command");
            let missing = h.execute_command("arranger.newSession", json!({})).await;
            assert!(matches!(missing, Err(HostError::Invalid(_))));
            let unknown = h.execute_command("nope", json!({})).await;
            assert!(matches!(unknown, Err(HostError::NotFound(_))));
        })
        .await;
    }
}
