//! A real server on an ephemeral port, with a user directory the test can change the way
//! the CLI does (through its own SQLite connection).

#![allow(dead_code)]

use arranger_client::Client;
use arranger_server::{Limits, Mode, Server, ServerConfig};
use arranger_store::{SqliteDirectory, TokenKind, UserDirectory};
use std::path::PathBuf;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct TestServer {
    pub addr: String,
    pub data: tempfile::TempDir,
    pub dir: Option<SqliteDirectory>,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

pub async fn start(config: ServerConfig) -> (String, oneshot::Sender<()>, JoinHandle<()>) {
    let server = Server::bind(config).await.expect("bind");
    let addr = server.local_addr().unwrap().to_string();
    let (tx, rx) = oneshot::channel();
    let handle = tokio::spawn(async move {
        server
            .run(async {
                let _ = rx.await;
            })
            .await
            .expect("server run");
    });
    (addr, tx, handle)
}

/// The configuration of a multi-user test server on `data`.
pub fn multi_config(data: PathBuf, limits: Limits) -> ServerConfig {
    config(data, Mode::MultiUser, limits)
}

fn config(data: PathBuf, mode: Mode, limits: Limits) -> ServerConfig {
    ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data,
        mode,
        allowed_origins: vec![],
        allowed_hosts: vec![],
        limits,
        llm: None,
        team: arranger_team::TeamConfig::default(),
        pool: arranger_server::default_pool(),
        mcp: arranger_server::McpConfig::default(),
        allow_unsandboxed: false,
        // The fake LLM and the HTTP MCP test server listen on loopback.
        allow_private_networks: true,
        web_dir: None,
    }
}

impl TestServer {
    pub async fn multi() -> Self {
        Self::multi_with(Limits::default()).await
    }

    pub async fn multi_with(limits: Limits) -> Self {
        Self::multi_in(tempfile::tempdir().unwrap(), limits).await
    }

    /// A multi-user server whose default model is served at `llm_base_url` (the fake).
    pub async fn multi_with_llm(llm_base_url: &str) -> Self {
        Self::multi_in_with_llm(tempfile::tempdir().unwrap(), llm_base_url).await
    }

    /// [`TestServer::multi_with_llm`] on an existing data directory (a restart).
    pub async fn multi_in_with_llm(data: tempfile::TempDir, llm_base_url: &str) -> Self {
        let mut c = config(data.path().to_owned(), Mode::MultiUser, Limits::default());
        c.llm = Some(
            arranger_llm::ProviderConfig::new(arranger_llm::ProviderKind::OpenAi, "fake-model")
                .with_base_url(llm_base_url)
                .with_api_key("sk-test"),
        );
        let (addr, stop, handle) = start(c).await;
        let dir = SqliteDirectory::open(&data.path().join("arranger.db")).unwrap();
        TestServer {
            addr,
            data,
            dir: Some(dir),
            stop: Some(stop),
            handle: Some(handle),
        }
    }

    /// A multi-user server with these MCP limits and timings.
    pub async fn multi_with_mcp(mcp: arranger_server::McpConfig) -> Self {
        let data = tempfile::tempdir().unwrap();
        let mut c = config(data.path().to_owned(), Mode::MultiUser, Limits::default());
        c.mcp = mcp;
        let (addr, stop, handle) = start(c).await;
        let dir = SqliteDirectory::open(&data.path().join("arranger.db")).unwrap();
        TestServer {
            addr,
            data,
            dir: Some(dir),
            stop: Some(stop),
            handle: Some(handle),
        }
    }

    /// The workspace of a user, on the host.
    pub fn workspace_of(&self, user_id: &str) -> PathBuf {
        self.data
            .path()
            .join("users")
            .join(user_id)
            .join("workspace")
    }

    /// A multi-user server on an existing data directory.
    pub async fn multi_in(data: tempfile::TempDir, limits: Limits) -> Self {
        Self::multi_configured(data, limits, |_| {}).await
    }

    /// A multi-user server whose configuration `change` adjusts.
    pub async fn multi_configured(
        data: tempfile::TempDir,
        limits: Limits,
        change: impl FnOnce(&mut ServerConfig),
    ) -> Self {
        let mut c = config(data.path().to_owned(), Mode::MultiUser, limits);
        change(&mut c);
        let (addr, stop, handle) = start(c).await;
        let dir = SqliteDirectory::open(&data.path().join("arranger.db")).unwrap();
        TestServer {
            addr,
            data,
            dir: Some(dir),
            stop: Some(stop),
            handle: Some(handle),
        }
    }

    pub async fn single(workspace: PathBuf, token: &str) -> Self {
        let data = tempfile::tempdir().unwrap();
        let mode = Mode::SingleUser {
            workspace,
            token: token.to_owned(),
        };
        let (addr, stop, handle) =
            start(config(data.path().to_owned(), mode, Limits::default())).await;
        TestServer {
            addr,
            data,
            dir: None,
            stop: Some(stop),
            handle: Some(handle),
        }
    }

    fn directory(&self) -> &SqliteDirectory {
        self.dir.as_ref().expect("multi-user server")
    }

    /// Adds a user (with a password) and returns an API token for them.
    pub fn user(&self, name: &str) -> String {
        self.directory()
            .add_user(name, false, Some("password-of-test"))
            .unwrap();
        self.token(name)
    }

    pub fn token(&self, name: &str) -> String {
        self.directory()
            .create_token(name, TokenKind::Api, "test", None)
            .unwrap()
            .1
    }

    pub fn revoke(&self, token: &str) {
        assert!(self.directory().revoke_token(token).unwrap());
    }

    pub fn disable(&self, name: &str) {
        self.directory().set_disabled(name, true).unwrap();
    }

    pub async fn client(&self, token: &str) -> Client {
        Client::connect(&self.addr, token).await.expect("connect")
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.unwrap();
        }
        self.data
    }
}

/// A raw HTTP/1.1 request; returns (status, headers, body).
pub async fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}
