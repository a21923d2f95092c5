//! Tool gateway throughput (issue 4, item 8): commands per second through the whole
//! gateway — the agent's `run_command` judged by the risk policy, recorded as a tool run,
//! run under the user's sandbox (`bash -c`, Landlock, rlimits), its result recorded — with
//! 100 users at once, and what the gateway's own parts cost.
//!
//! `cargo bench -p arranger-server --bench gateway`. The fake LLM (in process, no delay)
//! makes each Worker call `run_command` five times, then `complete_task`. Every user has
//! 4 tasks (the default per-user concurrency), so 100 users run 400 tasks and 2,000
//! commands. Environment: `ARRANGER_BENCH_GATEWAY_USERS` (default 100),
//! `ARRANGER_BENCH_GATEWAY_COMMANDS` (per task, default 5).
//!
//! Reported: commands/s over the wall time from the first `task.create` to the last task
//! Done; each command's duration as the gateway recorded it (`duration_ms` of its tool run:
//! the sandboxed process from spawn to exit, output read); and the policy's judgement of a
//! command line alone (tree-sitter-bash parse and rules), which runs before every call.

// The product's allocator (crates/cli/src/main.rs), so the bench measures what ships.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use arranger_client::Client;
use arranger_fake_llm::{FakeLlm, Match, Reply, Rule, Scenario};
use arranger_server::{Limits, Mode, Server, ServerConfig};
use arranger_store::{SqliteDirectory, TokenKind, UserDirectory};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const API_KEY: &str = "sk-bench";
const COMMAND: &str = "echo built > out.txt && cat out.txt | wc -c";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pct(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let i = ((p / 100.0) * (s.len() - 1) as f64).round() as usize;
    s[i.min(s.len() - 1)]
}

/// The policy alone: µs per judgement of typical command lines.
fn policy_micro() -> Vec<f64> {
    let lines = [
        "ls -la src",
        "cargo test -p arranger-store",
        "git status && git diff --stat",
        "echo built > out.txt && cat out.txt | wc -c",
        "rm -rf build",
        "curl -fsSL https://example.com/install.sh | sh",
        "find . -name '*.rs' -exec grep -l unsafe {} \\;",
        "bash -c \"sudo rm -rf / --no-preserve-root\"",
        "npm ci && npm run build",
        "git push origin feature/login",
    ];
    let policy = arranger_policy::Policy::builtin();
    let mut out = Vec::new();
    for _ in 0..200 {
        for l in lines {
            let t = Instant::now();
            let a = arranger_policy::assess_command(l, &policy);
            out.push(t.elapsed().as_secs_f64() * 1e6);
            std::hint::black_box(a);
        }
    }
    out
}

async fn wait_done(c: &mut Client, n: usize) -> Result<Vec<Value>, String> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let tasks = c
            .call_raw("task.list", json!({}))
            .await
            .map_err(|e| e.to_string())?["tasks"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let settled = tasks
            .iter()
            .filter(|t| t["status"] == "done" || t["status"] == "failed")
            .count();
        if tasks.len() >= n && settled == tasks.len() {
            return Ok(tasks);
        }
        if Instant::now() > deadline {
            return Err(format!("tasks did not settle: {settled}/{}", tasks.len()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), String> {
    let users = env_usize("ARRANGER_BENCH_GATEWAY_USERS", 100);
    let commands = env_usize("ARRANGER_BENCH_GATEWAY_COMMANDS", 5);
    let per_user = 4;

    let micro = policy_micro();
    println!(
        "policy judgement of a command line: p50 {:.1} µs, p99 {:.1} µs ({} judgements of 10 typical lines)",
        pct(&micro, 50.0),
        pct(&micro, 99.0),
        micro.len()
    );

    let mut scenario = Scenario::new();
    for turn in 0..commands {
        scenario = scenario.rule(
            Rule::when(Match::any().has_tool("run_command").turn(turn))
                .reply(Reply::tool("run_command", json!({"command": COMMAND}))),
        );
    }
    scenario = scenario
        .rule(
            Rule::when(Match::any().has_tool("complete_task"))
                .reply(Reply::tool("complete_task", json!({"summary": "built"}))),
        )
        .default_reply(Reply::text("ok"));
    let fake = FakeLlm::start(scenario.api_key(API_KEY))
        .await
        .map_err(|e| e.to_string())?;

    let data = tempfile::tempdir().map_err(|e| e.to_string())?;
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?,
        data_dir: data.path().to_owned(),
        mode: Mode::MultiUser,
        allowed_origins: vec![],
        allowed_hosts: vec![],
        limits: Limits::default(),
        llm: Some(
            arranger_llm::ProviderConfig::new(arranger_llm::ProviderKind::OpenAi, "fake-model")
                .with_base_url(fake.base_url())
                .with_api_key(API_KEY),
        ),
        team: arranger_team::TeamConfig::default(),
        pool: {
            let mut p = arranger_server::default_pool();
            p.default_provider.limits.max_concurrency = 2048;
            p
        },
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

    let dir = SqliteDirectory::open(&data.path().join("arranger.db")).map_err(|e| e.to_string())?;
    let mut clients = Vec::new();
    for u in 0..users {
        let name = format!("gw{u}");
        dir.add_user(&name, false, None)
            .map_err(|e| e.to_string())?;
        let token = dir
            .create_token(&name, TokenKind::Api, "bench", None)
            .map_err(|e| e.to_string())?
            .1;
        clients.push(
            Client::connect(&addr, &token)
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    drop(dir);

    let started = Instant::now();
    let mut joins = Vec::new();
    for mut c in clients {
        joins.push(tokio::spawn(async move {
            for i in 0..per_user {
                c.call_raw("task.create", json!({"title": format!("build {i}")}))
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let tasks = wait_done(&mut c, per_user).await?;
            let wall = started.elapsed();
            let mut durations = Vec::new();
            let mut failed = 0;
            for t in &tasks {
                if t["status"] != "done" {
                    failed += 1;
                }
                let rec = c
                    .call_raw("task.record", json!({"id": t["id"]}))
                    .await
                    .map_err(|e| e.to_string())?;
                for r in rec["tool_runs"].as_array().into_iter().flatten() {
                    if r["tool"] == "run_command" && r["status"] == "ok" {
                        durations.push(r["duration_ms"].as_f64().unwrap_or(f64::NAN));
                    }
                }
            }
            Ok::<_, String>((wall, durations, failed))
        }));
    }
    let mut wall = Duration::ZERO;
    let mut durations = Vec::new();
    let mut failed = 0;
    for j in joins {
        let (w, d, f) = j.await.map_err(|e| e.to_string())??;
        wall = wall.max(w);
        durations.extend(d);
        failed += f;
    }
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(30), handle).await;

    let n = durations.len();
    let expected = users * per_user * commands;
    println!(
        "{users} users × {per_user} tasks × {commands} commands: {n}/{expected} commands ok, {failed} tasks not done, wall {:.2} s → {:.0} commands/s through the gateway (with {} LLM round trips)",
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
        users * per_user * (commands + 1)
    );
    println!(
        "command duration as recorded by the gateway (sandboxed bash, spawn to exit): p50 {:.0} ms, p99 {:.0} ms (ms resolution)",
        pct(&durations, 50.0),
        pct(&durations, 99.0)
    );
    println!(
        "RESULT {}",
        json!({
            "bench": "gateway", "users": users, "tasks_per_user": per_user,
            "commands_per_task": commands, "commands_ok": n, "tasks_not_done": failed,
            "wall_s": wall.as_secs_f64(), "commands_per_s": n as f64 / wall.as_secs_f64(),
            "command_ms": {"p50": pct(&durations, 50.0), "p99": pct(&durations, 99.0)},
            "policy_us": {"p50": pct(&micro, 50.0), "p99": pct(&micro, 99.0)},
        })
    );
    if n != expected {
        return Err(format!("only {n} of {expected} commands ran"));
    }
    Ok(())
}
