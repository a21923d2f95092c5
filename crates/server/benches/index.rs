//! The context engine through the real server (issue 6): how long a user's workspace
//! takes to be indexed when their session starts, and how long a saved file takes to be
//! searchable — the file watcher (200 ms debounce), the index's coalescing window and one
//! index update, then an `index.symbols` call over the WebSocket.
//!
//! `cargo bench -p arranger-server --bench index [-- DIR]`: DIR (default: this
//! repository's `crates/`) is copied into the user's workspace before the user's first
//! connection. Then `ARRANGER_BENCH_INDEX_SAVES` (default 30) times: a new Rust file with a
//! uniquely named function is written straight to disk (as an editor or a command would),
//! and `index.symbols` is polled every 5 ms until it finds the function. The same again
//! through `fs.write` (as the UI and the agents save).
//!
//! Fairness (issue 7): a second user is connected first and keeps making small requests
//! (`state.set`, a committed write with its event, then `fs.read`) one after the other —
//! 3 s alone for a baseline, then for as long as the first user's workspace is being
//! indexed. Their round-trip times show whether one user's large repository makes another
//! user's requests wait.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use arranger_client::Client;
use arranger_server::{Limits, Mode, Server, ServerConfig};
use arranger_store::{SqliteDirectory, TokenKind, UserDirectory};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn pct(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let i = ((p / 100.0) * (s.len().max(1) - 1) as f64).round() as usize;
    s.get(i).copied().unwrap_or(f64::NAN)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<u64> {
    std::fs::create_dir_all(to)?;
    let mut bytes = 0;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let dest = to.join(entry.file_name());
        if kind.is_dir() {
            bytes += copy_dir(&entry.path(), &dest)?;
        } else if kind.is_file() {
            bytes += std::fs::copy(entry.path(), dest)?;
        }
    }
    Ok(bytes)
}

async fn found(c: &mut Client, name: &str) -> Result<bool, String> {
    let r: Value = c
        .call_raw("index.symbols", json!({"query": name}))
        .await
        .map_err(|e| e.to_string())?;
    Ok(r["symbols"].as_array().is_some_and(|s| !s.is_empty()))
}

/// Polls until `name` is defined in the index; the time since `t0`.
async fn until_found(c: &mut Client, name: &str, t0: Instant) -> Result<f64, String> {
    while t0.elapsed() < Duration::from_secs(10) {
        if found(c, name).await? {
            return Ok(t0.elapsed().as_secs_f64() * 1e3);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Err(format!("{name} was not searchable within 10 s"))
}

/// Round trips of `state.set` then `fs.read`, one after the other, for `at_most` or until
/// `until` turns false; their times in ms.
async fn chat_round_trips(
    c: &mut Client,
    at_most: Duration,
    until: Option<tokio::sync::watch::Receiver<bool>>,
) -> Result<Vec<f64>, String> {
    let t0 = Instant::now();
    let mut times = Vec::new();
    let mut i = 0u64;
    while t0.elapsed() < at_most && until.as_ref().is_none_or(|u| *u.borrow()) {
        let t = Instant::now();
        c.call_raw("state.set", json!({"key": "draft", "value": i}))
            .await
            .map_err(|e| e.to_string())?;
        c.call_raw("fs.read", json!({"path": "note.txt"}))
            .await
            .map_err(|e| e.to_string())?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        i += 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(times)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), String> {
    let source = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."));
    // Without `--bench` (run by `cargo test --all-targets`): a short smoke run.
    let bench = std::env::args().any(|a| a == "--bench");
    let saves: usize = std::env::var("ARRANGER_BENCH_INDEX_SAVES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench { 30 } else { 3 });

    let data = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = SqliteDirectory::open(&data.path().join("arranger.db")).map_err(|e| e.to_string())?;
    let user = dir.add_user("ix", false, None).map_err(|e| e.to_string())?;
    let token = dir
        .create_token("ix", TokenKind::Api, "bench", None)
        .map_err(|e| e.to_string())?
        .1;
    dir.add_user("chat", false, None)
        .map_err(|e| e.to_string())?;
    let chat_token = dir
        .create_token("chat", TokenKind::Api, "bench", None)
        .map_err(|e| e.to_string())?
        .1;
    drop(dir);
    let workspace = data
        .path()
        .join("users")
        .join(user.id.as_str())
        .join("workspace");
    let bytes = copy_dir(&source, &workspace).map_err(|e| e.to_string())?;

    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?,
        data_dir: data.path().to_owned(),
        mode: Mode::MultiUser,
        allowed_origins: vec![],
        allowed_hosts: vec![],
        limits: Limits::default(),
        llm: None,
        team: arranger_team::TeamConfig::default(),
        pool: arranger_server::default_pool(),
        mcp: arranger_server::McpConfig::default(),
        allow_unsandboxed: false,
        allow_private_networks: false,
        web_dir: None,
    };
    let server = Server::bind(config).await.map_err(|e| e.to_string())?;
    let addr = server.local_addr().map_err(|e| e.to_string())?.to_string();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        let _ = server
            .run(async {
                let _ = rx.await;
            })
            .await;
    });

    // The other user: connected, idle workspace, making requests one after the other.
    let mut chat = Client::connect(&addr, &chat_token)
        .await
        .map_err(|e| e.to_string())?;
    chat.call_raw("fs.write", json!({"path": "note.txt", "content": "hello"}))
        .await
        .map_err(|e| e.to_string())?;
    let baseline = chat_round_trips(&mut chat, Duration::from_secs(3), None).await?;
    let (building_tx, building_rx) = tokio::sync::watch::channel(true);
    let during = tokio::spawn(async move {
        chat_round_trips(&mut chat, Duration::from_secs(600), Some(building_rx)).await
    });

    // Session start: the first connection activates the user and starts the build.
    let t0 = Instant::now();
    let mut c = Client::connect(&addr, &token)
        .await
        .map_err(|e| e.to_string())?;
    let status = loop {
        let s: Value = c
            .call_raw("index.status", json!({}))
            .await
            .map_err(|e| e.to_string())?;
        if s["state"] == "ready" || s["state"] == "failed" {
            break s;
        }
        if t0.elapsed() > Duration::from_secs(600) {
            return Err(format!("the index was not ready in 600 s: {s}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let ready_ms = t0.elapsed().as_secs_f64() * 1e3;
    let _ = building_tx.send(false);
    let during = during.await.map_err(|e| e.to_string())??;
    for (what, v) in [
        ("alone", &baseline),
        ("while the other user's workspace is indexed", &during),
    ] {
        println!(
            "other user's requests {what} ({} round trips): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            v.len(),
            pct(v, 50.0),
            pct(v, 99.0),
            pct(v, 100.0)
        );
    }
    let indexed = status["bytes"].as_f64().unwrap_or(0.0);
    println!(
        "session start → index ready: {:.0} ms for {} files, {:.1} MB indexed ({:.1} MB copied from {}): {:.1} MB/s; build alone {} ms",
        ready_ms,
        status["files"],
        indexed / 1e6,
        bytes as f64 / 1e6,
        source.display(),
        indexed / 1e6 / (ready_ms / 1e3),
        status["build_ms"]
    );

    let mut disk = Vec::new();
    let mut api = Vec::new();
    for i in 0..saves {
        let name = format!("bench_saved_fn_{i}_on_disk");
        let path = workspace.join(format!("bench_saved_{i}.rs"));
        let text = format!("/// Saved by the bench.\npub fn {name}(x: u32) -> u32 {{ x + {i} }}\n");
        let t = Instant::now();
        std::fs::write(&path, text).map_err(|e| e.to_string())?;
        disk.push(until_found(&mut c, &name, t).await?);

        let name = format!("bench_saved_fn_{i}_through_the_api");
        let text = format!("pub fn {name}() {{}}\n");
        let t = Instant::now();
        c.call_raw(
            "fs.write",
            json!({"path": format!("bench_api_{i}.rs"), "content": text}),
        )
        .await
        .map_err(|e| e.to_string())?;
        api.push(until_found(&mut c, &name, t).await?);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for (what, v) in [("written to disk", &disk), ("through fs.write", &api)] {
        println!(
            "save → searchable ({what}, {} saves): p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms",
            v.len(),
            pct(v, 50.0),
            pct(v, 95.0),
            pct(v, 100.0)
        );
    }
    println!(
        "RESULT {}",
        json!({
            "bench": "index",
            "source": source.display().to_string(),
            "files": status["files"],
            "bytes_indexed": indexed,
            "ready_ms": ready_ms,
            "build_ms": status["build_ms"],
            "save_disk_ms": {"p50": pct(&disk, 50.0), "p95": pct(&disk, 95.0), "max": pct(&disk, 100.0)},
            "save_api_ms": {"p50": pct(&api, 50.0), "p95": pct(&api, 95.0), "max": pct(&api, 100.0)},
            "other_user_alone_ms": {"n": baseline.len(), "p50": pct(&baseline, 50.0), "p99": pct(&baseline, 99.0), "max": pct(&baseline, 100.0)},
            "other_user_during_build_ms": {"n": during.len(), "p50": pct(&during, 50.0), "p99": pct(&during, 99.0), "max": pct(&during, 100.0)},
        })
    );
    let _ = stop.send(());
    let _ = handle.await;
    Ok(())
}
