//! `arranger`: the command line. A thin layer over the server and store crates.

/// mimalloc: the allocator costs ≈ 15 % less CPU per LLM round trip than glibc's under
/// many concurrent tasks (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result, bail};
use arranger_server::{Limits, Mode, Server, ServerConfig};
use arranger_store::{SqliteDirectory, TokenKind, UserDirectory};
use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod bench;

/// Arranger: a self-hosted AI coding-team server for many isolated users.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct DataDir {
    /// Where all data lives. Default: `./.arranger` in multi-user mode and for `user` and
    /// `token`; in single-user mode a directory per workspace under
    /// `$XDG_DATA_HOME/arranger` (`~/.local/share/arranger`) — never inside the workspace,
    /// where the commands the agents run could read its keys.
    #[arg(long, global = true, env = "ARRANGER_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

impl DataDir {
    /// The data directory for the multi-user server and the `user` / `token` commands.
    fn multi_user(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("./.arranger"))
    }
}

/// The default data directory of a single-user server on `workspace`: one per workspace
/// under `$XDG_DATA_HOME/arranger` (or `~/.local/share/arranger`).
fn single_user_data_dir(workspace: &Path) -> Result<PathBuf> {
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(x) => PathBuf::from(x),
        None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(h) => PathBuf::from(h).join(".local/share"),
            None => bail!(
                "neither XDG_DATA_HOME nor HOME is set: give --data-dir (outside the workspace)"
            ),
        },
    };
    // FNV-1a of the workspace path: stable across builds, so a workspace keeps its data.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in workspace.as_os_str().as_encoded_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let name: String = workspace
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
        .take(32)
        .collect();
    Ok(base
        .join("arranger")
        .join(format!("{name}-{:08x}", h as u32)))
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server (single-user on the current directory unless --multi-user).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:7878")]
        listen: SocketAddr,
        #[command(flatten)]
        data: DataDir,
        /// The project folder served in single-user mode.
        #[arg(long)]
        workspace: Option<PathBuf>,
        /// Many users, each with a workspace under <data-dir>/users/<id>/workspace
        /// (also MULTI_USER=1).
        #[arg(long)]
        multi_user: bool,
        /// A browser origin allowed besides the server's own (repeatable).
        #[arg(long = "allowed-origin")]
        allowed_origins: Vec<String>,
        /// A host name the server answers to besides localhost and IP addresses (repeatable).
        #[arg(long = "allowed-host")]
        allowed_hosts: Vec<String>,
        /// Requests per second per user.
        #[arg(long, default_value_t = Limits::default().requests_per_second)]
        rate_limit: u32,
        /// Multi-user mode only: run users' commands, terminals and MCP servers even if the
        /// kernel cannot sandbox them (Landlock). Without it they are refused on such a
        /// kernel. Also ARRANGER_ALLOW_UNSANDBOXED=1.
        #[arg(long)]
        allow_unsandboxed: bool,
        /// Multi-user mode only: let users' own LLM providers and HTTP MCP servers be at
        /// private addresses (loopback, the local network, cloud metadata). Without it the
        /// server reaches only public addresses for users. Also
        /// ARRANGER_ALLOW_PRIVATE_NETWORKS=1.
        #[arg(long)]
        allow_private_networks: bool,
        /// Serve the web UI from this directory (`web/dist`) instead of the one built into
        /// the binary: for working on the UI without rebuilding the server.
        #[arg(long, env = "ARRANGER_WEB_DIR")]
        web_dir: Option<PathBuf>,
        /// Log format.
        #[arg(long, value_enum, default_value = "text")]
        log_format: LogFormat,
    },
    /// Manages users (multi-user mode).
    User {
        #[command(subcommand)]
        action: UserAction,
        #[command(flatten)]
        data: DataDir,
    },
    /// Backs up a data directory into a new or empty directory — also while the server
    /// runs: each database as a consistent snapshot, workspaces file by file, secret.key and
    /// the other files, and a manifest.json with checksums.
    Backup {
        /// Where to write the backup (must not exist, or be an empty directory).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        data: DataDir,
    },
    /// Restores a backup into a data directory that no server uses (stop the server first)
    /// and that is empty; checks the backup against its manifest before and after.
    Restore {
        /// The backup (a directory made by `arranger backup`).
        #[arg(long)]
        from: PathBuf,
        /// Replace whatever the data directory holds.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        data: DataDir,
    },
    /// Manages API tokens (multi-user mode).
    Token {
        #[command(subcommand)]
        action: TokenAction,
        #[command(flatten)]
        data: DataDir,
    },
    /// Prints the JSON Schema of the JSON-RPC protocol (or its Markdown reference, its
    /// TypeScript declarations, or the OpenAPI document of the HTTP endpoints).
    Schema {
        /// Print the Markdown method reference (the generated part of docs/protocol.md).
        #[arg(long, conflicts_with_all = ["typescript", "openapi"])]
        markdown: bool,
        /// Print the TypeScript declarations of the protocol (web/src/protocol.gen.ts).
        #[arg(long, conflicts_with = "openapi")]
        typescript: bool,
        /// Print the OpenAPI document of the HTTP endpoints (docs/openapi.json), the same
        /// the server serves at /api/v1/openapi.json.
        #[arg(long)]
        openapi: bool,
    },
    /// Measures memory per connected user and event latency against a fresh server.
    Bench(bench::BenchArgs),
}

#[derive(clap::ValueEnum, Clone, Copy)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum UserAction {
    /// Adds a user.
    Add {
        /// Login name (lowercase letters, digits, '-', '_', '.').
        name: String,
        /// Make the user an admin.
        #[arg(long)]
        admin: bool,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Lists users.
    List,
    /// Disables a user: their connections close and their tokens stop working at once.
    Disable {
        /// The user.
        name: String,
    },
    /// Enables a disabled user.
    Enable {
        /// The user.
        name: String,
    },
    /// Sets a user's password from standard input.
    Passwd {
        /// The user.
        name: String,
    },
    /// Exports a user's data (state and workspace) as a .tar.gz another server can import;
    /// no tokens, no password, no secrets (they are sealed with this server's key).
    Export {
        /// The user.
        name: String,
        /// The archive to write (must not exist), e.g. alice.tar.gz.
        #[arg(long)]
        out: PathBuf,
    },
    /// Imports an archive made by `user export` as a new user (works while the server runs).
    Import {
        /// The archive.
        file: PathBuf,
        /// The new user's name (must not exist yet).
        #[arg(long)]
        name: String,
        /// Make the new user an admin.
        #[arg(long)]
        admin: bool,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Creates an API token for a user and prints it (shown only once).
    Create {
        /// The user.
        name: String,
        /// A label to recognise the token by.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Lists a user's tokens (ids, not secrets).
    List {
        /// The user.
        name: String,
    },
    /// Revokes a token by id or by the token itself; connections using it close at once.
    Revoke {
        /// Token id (from `token list`) or the token.
        id_or_token: String,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            listen,
            data,
            workspace,
            multi_user,
            allowed_origins,
            allowed_hosts,
            rate_limit,
            allow_unsandboxed,
            allow_private_networks,
            web_dir,
            log_format,
        } => {
            init_logging(log_format);
            let multi_user = multi_user || env_flag("MULTI_USER");
            let mut config = serve_config(
                listen,
                data.data_dir.clone(),
                workspace,
                multi_user,
                allowed_origins,
                allowed_hosts,
                rate_limit,
            )?;
            config.allow_unsandboxed = allow_unsandboxed || env_flag("ARRANGER_ALLOW_UNSANDBOXED");
            config.allow_private_networks =
                allow_private_networks || env_flag("ARRANGER_ALLOW_PRIVATE_NETWORKS");
            config.web_dir = web_dir;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .max_blocking_threads(64)
                .build()?;
            runtime.block_on(serve(config))
        }
        Command::User {
            action: UserAction::Export { name, out },
            data,
        } => export(&data.multi_user(), &name, &out),
        Command::User {
            action: UserAction::Import { file, name, admin },
            data,
        } => import(&data.multi_user(), &file, &name, admin),
        Command::User { action, data } => user(action, &directory(&data.multi_user())?),
        Command::Backup { out, data } => backup(&data.multi_user(), &out),
        Command::Restore { from, force, data } => restore(&from, &data.multi_user(), force),
        Command::Token { action, data } => token(action, &directory(&data.multi_user())?),
        Command::Bench(args) => bench::run(args),
        Command::Schema {
            markdown,
            typescript,
            openapi,
        } => {
            if openapi {
                print!("{}", arranger_server::openapi::json());
            } else if typescript {
                print!("{}", arranger_protocol::typescript::module());
            } else if markdown {
                print!("{}", arranger_protocol::schema::reference_markdown());
            } else {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&arranger_protocol::schema::document())?
                );
            }
            Ok(())
        }
    }
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.compact().init(),
    }
}

fn serve_config(
    listen: SocketAddr,
    data_dir: Option<PathBuf>,
    workspace: Option<PathBuf>,
    multi_user: bool,
    allowed_origins: Vec<String>,
    allowed_hosts: Vec<String>,
    rate_limit: u32,
) -> Result<ServerConfig> {
    let create = |d: &Path| -> Result<PathBuf> {
        std::fs::create_dir_all(d)
            .with_context(|| format!("cannot create the data directory {}", d.display()))?;
        Ok(d.canonicalize()?)
    };
    let (mode, data_dir) = if multi_user {
        if workspace.is_some() {
            bail!(
                "--workspace is for single-user mode; in multi-user mode each user's workspace is <data-dir>/users/<id>/workspace"
            );
        }
        let data_dir = create(&data_dir.unwrap_or_else(|| PathBuf::from("./.arranger")))?;
        (Mode::MultiUser, data_dir)
    } else {
        let ws = match workspace {
            Some(w) => w,
            None => std::env::current_dir()?,
        };
        let workspace = ws
            .canonicalize()
            .with_context(|| format!("the workspace {} does not exist", ws.display()))?;
        let wanted = match data_dir {
            Some(d) => d,
            None => single_user_data_dir(&workspace)?,
        };
        let existed = wanted.exists();
        let data_dir = create(&wanted)?;
        if data_dir.starts_with(&workspace) {
            if !existed {
                // Leave no trace of a refused start.
                let _ = std::fs::remove_dir(&data_dir);
            }
            bail!(
                "the data directory {} is inside the workspace {}: commands the agents run could read and change its keys and tokens (the sandbox cannot carve it out). Give a --data-dir outside the workspace, or leave it out for the default under ~/.local/share/arranger",
                data_dir.display(),
                workspace.display()
            );
        }
        (
            Mode::SingleUser {
                workspace,
                token: single_user_token(&data_dir)?,
            },
            data_dir,
        )
    };
    let limits = Limits {
        requests_per_second: rate_limit,
        request_burst: rate_limit.saturating_mul(2),
        ..Limits::default()
    };
    let file = FileConfig::load(&data_dir)?;
    let llm = match arranger_llm::ProviderConfig::from_env()
        .context("the language model settings in the environment are not usable")?
    {
        Some(from_env) => Some(from_env),
        None => file.llm.map(FileLlm::into_provider).transpose()?,
    };
    let limits = Limits {
        requests_per_second: file
            .requests_per_second
            .unwrap_or(limits.requests_per_second),
        ..limits
    };
    Ok(ServerConfig {
        listen,
        data_dir,
        mode,
        allowed_origins,
        allowed_hosts,
        limits,
        llm,
        team: file.team,
        pool: file.pool.unwrap_or_else(arranger_server::default_pool),
        mcp: file.mcp.into_config(),
        allow_unsandboxed: false,
        allow_private_networks: false,
        web_dir: None,
    })
}

/// `<data-dir>/config.toml`: server defaults. The environment wins over `[llm]`.
#[derive(serde::Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct FileConfig {
    /// The server's default model.
    llm: Option<FileLlm>,
    /// Limits of every user's team.
    team: arranger_team::TeamConfig,
    /// Requests per second per user (overrides --rate-limit).
    requests_per_second: Option<u32>,
    /// The shared LLM pool (`[pool]`: timeouts, retry, `default_provider.limits`, prices).
    pool: Option<arranger_llm::PoolConfig>,
    /// Users' MCP servers (`[mcp]`).
    mcp: FileMcp,
}

/// The `[mcp]` table; absent values keep the defaults.
#[derive(serde::Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct FileMcp {
    /// Seconds an unused MCP server keeps running (default 300).
    idle_secs: Option<u64>,
    /// MCP servers one user may run at once (default 4).
    max_running: Option<usize>,
    /// Seconds one MCP tool call may take (default 60).
    call_timeout_secs: Option<u64>,
    /// Restarts after failures before a server is left crashed (default 3).
    max_restarts: Option<u32>,
}

impl FileMcp {
    fn into_config(self) -> arranger_server::McpConfig {
        let d = arranger_server::McpConfig::default();
        let secs = std::time::Duration::from_secs;
        arranger_server::McpConfig {
            idle: self.idle_secs.map(secs).unwrap_or(d.idle),
            max_running: self.max_running.unwrap_or(d.max_running),
            call_timeout: self.call_timeout_secs.map(secs).unwrap_or(d.call_timeout),
            max_restarts: self.max_restarts.unwrap_or(d.max_restarts),
            ..d
        }
    }
}

/// The `[llm]` table.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLlm {
    /// `openai` (any OpenAI-compatible server) or `anthropic`.
    kind: String,
    /// Base URL, if not the public endpoint.
    base_url: Option<String>,
    /// Model name.
    model: String,
    /// The name of the environment variable that holds the API key (keys stay out of files).
    api_key_env: Option<String>,
}

impl FileConfig {
    fn load(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join("config.toml");
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileConfig::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }
}

impl FileLlm {
    fn into_provider(self) -> Result<arranger_llm::ProviderConfig> {
        let kind = match self.kind.as_str() {
            "openai" => arranger_llm::ProviderKind::OpenAi,
            "anthropic" => arranger_llm::ProviderKind::Anthropic,
            other => {
                bail!("config.toml: [llm] kind must be \"openai\" or \"anthropic\", not {other:?}")
            }
        };
        let mut p = arranger_llm::ProviderConfig::new(kind, self.model);
        if let Some(u) = self.base_url {
            p = p.with_base_url(u);
        }
        if let Some(var) = self.api_key_env {
            let key = std::env::var(&var).with_context(|| {
                format!("config.toml names the key variable {var}, but it is not set")
            })?;
            p = p.with_api_key(key);
        }
        p.validate()
            .map_err(|e| anyhow::anyhow!("config.toml: [llm] is not usable: {e}"))?;
        Ok(p)
    }
}

/// `ARRANGER_TOKEN`, else the token kept in `<data-dir>/token`, else a new one kept there (0600).
fn single_user_token(data_dir: &Path) -> Result<String> {
    if let Ok(t) = std::env::var("ARRANGER_TOKEN") {
        if t.trim().len() < 16 {
            bail!("ARRANGER_TOKEN must be at least 16 characters long");
        }
        return Ok(t.trim().to_owned());
    }
    let path = data_dir.join("token");
    if let Ok(t) = std::fs::read_to_string(&path)
        && !t.trim().is_empty()
    {
        return Ok(t.trim().to_owned());
    }
    let token = arranger_store::new_token();
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(token.as_bytes())?;
    Ok(token)
}

async fn serve(config: ServerConfig) -> Result<()> {
    let mode = config.mode.clone();
    let data_dir = config.data_dir.clone();
    let server = Server::bind(config).await?;
    let addr = server.local_addr()?;
    match &mode {
        Mode::SingleUser { workspace, token } => {
            tracing::info!(workspace = %workspace.display(), "single-user mode");
            println!(
                "Arranger is serving {} at:\n    http://{addr}/?token={token}\n(data in {})",
                workspace.display(),
                data_dir.display()
            );
        }
        Mode::MultiUser => {
            tracing::info!("multi-user mode");
            println!("Arranger (multi-user) is listening on http://{addr}/");
        }
    }
    server.run(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

fn directory(data_dir: &Path) -> Result<SqliteDirectory> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    SqliteDirectory::open(&data_dir.join("arranger.db"))
        .with_context(|| format!("cannot open the user directory in {}", data_dir.display()))
}

fn backup(data_dir: &Path, out: &Path) -> Result<()> {
    let m = arranger_ops::backup(data_dir, out)
        .with_context(|| format!("backup of {} failed", data_dir.display()))?;
    let dbs = m
        .entries
        .iter()
        .filter(|e| matches!(e.kind, arranger_ops::EntryKind::Database { .. }))
        .count();
    println!(
        "backed up {} ({} users, {dbs} databases, {} files, {} bytes) into {}",
        data_dir.display(),
        m.users.len(),
        m.total_files,
        m.total_bytes,
        out.display()
    );
    if m.skipped > 0 {
        println!(
            "left out {} special or vanished files (see manifest.json)",
            m.skipped
        );
    }
    println!(
        "it holds secret.key and every user's data: keep it private (mode 0700); restore with `arranger restore --from {} --data-dir DIR`",
        out.display()
    );
    Ok(())
}

fn restore(from: &Path, data_dir: &Path, force: bool) -> Result<()> {
    let m = arranger_ops::restore(from, data_dir, force)
        .with_context(|| format!("restore into {} failed", data_dir.display()))?;
    println!(
        "restored the backup of {} (made by arranger {}, {} users, {} files) into {}; checked against its manifest",
        m.source,
        m.arranger_version,
        m.users.len(),
        m.total_files,
        data_dir.display()
    );
    println!(
        "start the server on it: arranger serve --multi-user --data-dir {}",
        data_dir.display()
    );
    Ok(())
}

fn secrets_note(m: &arranger_ops::ExportManifest, then: &str) {
    if !m.mcp_secrets_left_out.is_empty() || !m.api_keys_left_out.is_empty() {
        println!(
            "secrets left out (sealed with the old server's key, they cannot move): MCP secrets [{}], model API keys [{}]; {then}",
            m.mcp_secrets_left_out.join(", "),
            m.api_keys_left_out.join(", ")
        );
    }
}

fn export(data_dir: &Path, name: &str, out: &Path) -> Result<()> {
    let r = arranger_ops::export_user(data_dir, name, out)
        .with_context(|| format!("export of {name} failed"))?;
    let w = &r.manifest.workspace;
    println!(
        "exported {name} ({} files, {} bytes of workspace{}) to {}",
        w.files,
        w.bytes,
        if r.manifest.state_db.is_some() {
            ", state"
        } else {
            ", no state yet"
        },
        out.display()
    );
    if r.manifest.skipped > 0 {
        println!(
            "left out {} special files or symbolic links leading outside the workspace",
            r.manifest.skipped
        );
    }
    secrets_note(&r.manifest, "the user sets them again after the import");
    Ok(())
}

fn import(data_dir: &Path, file: &Path, name: &str, admin: bool) -> Result<()> {
    let r = arranger_ops::import_user(data_dir, file, name, admin)
        .with_context(|| format!("import of {} failed", file.display()))?;
    println!(
        "imported {} (was {} on the other server) as {}{} (id {})",
        file.display(),
        r.manifest.user_name,
        r.user.name,
        if admin { ", admin" } else { "" },
        r.user.id
    );
    println!(
        "no password or token yet: `arranger user passwd {0}` or `arranger token create {0}`",
        r.user.name
    );
    secrets_note(&r.manifest, "set them again with secret.set / the settings");
    Ok(())
}

fn read_password() -> Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let pw = line.trim_end_matches(['\n', '\r']).to_owned();
    if pw.is_empty() {
        bail!(
            "no password on standard input; pipe it in, e.g. `echo \"$PW\" | arranger user add NAME --password-stdin`"
        );
    }
    Ok(pw)
}

/// Records an action of this command in the server's audit log (actor `cli`: someone with
/// access to the server's machine and data directory). The action already happened, so a
/// failure to record it is reported, not fatal.
fn audit(dir: &SqliteDirectory, action: &str, target: &str, detail: serde_json::Value) {
    use arranger_store::Governance;
    let entry = arranger_domain::AuditEntry::new("cli", action, target).with_detail(detail);
    if let Err(e) = dir.audit(&entry) {
        eprintln!("warning: could not record {action} in the audit log: {e}");
    }
}

fn user(action: UserAction, dir: &SqliteDirectory) -> Result<()> {
    match action {
        UserAction::Add {
            name,
            admin,
            password_stdin,
        } => {
            let pw = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let u = dir.add_user(&name, admin, pw.as_deref())?;
            audit(
                dir,
                "user.create",
                &u.name,
                serde_json::json!({"is_admin": admin}),
            );
            println!(
                "added user {} (id {}){}",
                u.name,
                u.id,
                if admin { ", admin" } else { "" }
            );
            if pw.is_none() {
                println!(
                    "no password set: create an API token with `arranger token create {}`",
                    u.name
                );
            }
        }
        UserAction::List => {
            for u in dir.list_users()? {
                println!(
                    "{}\t{}\t{}{}",
                    u.name,
                    u.id,
                    if u.is_admin { "admin" } else { "member" },
                    if u.disabled { "\tdisabled" } else { "" }
                );
            }
        }
        UserAction::Disable { name } => {
            dir.set_disabled(&name, true)?;
            audit(dir, "user.disable", &name, serde_json::Value::Null);
            println!("disabled {name}; their connections close within a second");
        }
        UserAction::Enable { name } => {
            dir.set_disabled(&name, false)?;
            audit(dir, "user.enable", &name, serde_json::Value::Null);
            println!("enabled {name}");
        }
        UserAction::Passwd { name } => {
            dir.set_password(&name, &read_password()?)?;
            audit(dir, "user.password", &name, serde_json::Value::Null);
            println!("password of {name} changed");
        }
        UserAction::Export { .. } | UserAction::Import { .. } => {
            bail!("user export and import are handled before the directory is opened")
        }
    }
    Ok(())
}

fn token(action: TokenAction, dir: &SqliteDirectory) -> Result<()> {
    match action {
        TokenAction::Create { name, label } => {
            let (info, secret) = dir.create_token(&name, TokenKind::Api, &label, None)?;
            audit(
                dir,
                "token.create",
                &info.user,
                serde_json::json!({"token_id": info.id, "label": info.label}),
            );
            eprintln!(
                "token {} for {} (shown once; revoke with `arranger token revoke {}`):",
                info.id, info.user, info.id
            );
            println!("{secret}");
        }
        TokenAction::List { name } => {
            for t in dir.list_tokens(&name)? {
                println!(
                    "{}\t{:?}\t{}\t{}",
                    t.id,
                    t.kind,
                    if t.label.is_empty() { "-" } else { &t.label },
                    if t.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    }
                );
            }
        }
        TokenAction::Revoke { id_or_token } => {
            // The record names the token's id and owner, never the token itself (which
            // may be what was given).
            let owner = match dir.token_info(&id_or_token)? {
                Some(i) => Some((i.user, i.id)),
                None => dir
                    .authenticate(&id_or_token)?
                    .map(|p| (p.user.name, p.token_id)),
            };
            if dir.revoke_token(&id_or_token)? {
                let (user, id) = owner.unwrap_or_default();
                audit(
                    dir,
                    "token.revoke",
                    &user,
                    serde_json::json!({"token_id": id}),
                );
                println!("revoked; connections using it close within a second");
            } else {
                bail!(
                    "no active token matches {id_or_token:?}; `arranger token list NAME` shows the ids"
                );
            }
        }
    }
    Ok(())
}
