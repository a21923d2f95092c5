//! MCP servers and secrets over the wire, against a real third-party MCP server
//! (`@modelcontextprotocol/server-everything`, installed by `.ci/run`) and a tiny stdio MCP
//! server written here in Node: tools, calls, the sandbox of the server process, secrets
//! mapped into its environment (and masked in what comes back), crashes, the running
//! limit, idle stop, and isolation between users.

mod common;

use arranger_client::Client;
use arranger_protocol::codes;
use arranger_server::McpConfig;
use arranger_store::UserDirectory;
use common::TestServer;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The everything server's launcher, or a failure saying how to install it.
fn everything_bin() -> PathBuf {
    let path = std::env::var_os("ARRANGER_MCP_EVERYTHING")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            home.join(".cache/arranger-npm/node_modules/.bin/mcp-server-everything")
        });
    assert!(
        path.exists(),
        "the MCP reference server is not installed at {}: run `npm install --prefix \"$HOME/.cache/arranger-npm\" @modelcontextprotocol/server-everything@2026.8.31` (as .ci/run does) or set ARRANGER_MCP_EVERYTHING",
        path.display()
    );
    path
}

/// Copies (hard-links when possible) the everything server's `node_modules` into
/// `workspace` — a sandboxed process can read only its workspace and system directories —
/// and returns the entry script relative to the workspace.
fn install_everything(workspace: &Path) -> String {
    let bin = everything_bin();
    let script = std::fs::canonicalize(&bin).expect("resolve the launcher");
    let modules = script
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "node_modules"))
        .expect("the launcher lives in a node_modules directory")
        .to_path_buf();
    let rel = script.strip_prefix(modules.parent().unwrap()).unwrap();
    let dest = workspace.join("node_modules");
    if !dest.exists() {
        let linked = std::process::Command::new("cp")
            .arg("-al")
            .arg(&modules)
            .arg(&dest)
            .status()
            .is_ok_and(|s| s.success());
        if !linked {
            let _ = std::fs::remove_dir_all(&dest);
            let copied = std::process::Command::new("cp")
                .arg("-a")
                .arg(&modules)
                .arg(&dest)
                .status()
                .unwrap();
            assert!(copied.success());
        }
    }
    rel.to_string_lossy().into_owned()
}

/// A tiny MCP server (newline-delimited JSON-RPC on stdio, no SDK) with tools:
/// `env` (its environment, and TOKEN raw and reversed), `whoami` (its pid), `read`
/// (reads a path), `crash` (exits).
const TINY_SERVER: &str = r#"
const readline = require('readline');
const fs = require('fs');
const rl = readline.createInterface({ input: process.stdin });
const send = (m) => process.stdout.write(JSON.stringify(m) + '\n');
const text = (t, isError) => ({ content: [{ type: 'text', text: t }], isError: !!isError });
const tools = ['env', 'whoami', 'read', 'crash'].map((name) => ({
  name, description: 'tiny ' + name, inputSchema: { type: 'object', properties: { path: { type: 'string' } } },
}));
process.stderr.write('tiny server up with token ' + (process.env.TOKEN || '') + '\n');
rl.on('line', (line) => {
  let m; try { m = JSON.parse(line); } catch (e) { return; }
  if (m.id === undefined) return;
  if (m.method === 'initialize') {
    send({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params.protocolVersion,
      capabilities: { tools: {} }, serverInfo: { name: 'tiny', version: '1' } } });
  } else if (m.method === 'tools/list') {
    send({ jsonrpc: '2.0', id: m.id, result: { tools } });
  } else if (m.method === 'tools/call') {
    const a = m.params.arguments || {};
    let r;
    switch (m.params.name) {
      case 'env': {
        const t = process.env.TOKEN || '';
        r = text(JSON.stringify({ keys: Object.keys(process.env).sort(), token: t,
          reversed: t.split('').reverse().join(''), plain: process.env.PLAIN || null }));
        break;
      }
      case 'whoami': r = text(String(process.pid)); break;
      case 'read':
        try { r = text(fs.readFileSync(a.path, 'utf8')); } catch (e) { r = text('denied: ' + e.code, true); }
        break;
      case 'crash': process.exit(7);
      default: r = text('no such tool', true);
    }
    send({ jsonrpc: '2.0', id: m.id, result: r });
  } else {
    send({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'method not found' } });
  }
});
"#;

fn tiny_spec(name: &str, env: Value) -> Value {
    json!({"spec": {
        "name": name,
        "transport": {"type": "stdio", "command": "node", "args": ["tiny.js"], "env": env},
    }})
}

async fn user_id(c: &mut Client) -> String {
    c.call_raw("server.info", json!({})).await.unwrap()["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn server_state(c: &mut Client, name: &str) -> Value {
    let list = c.call_raw("mcp.list", json!({})).await.unwrap();
    list["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["spec"]["name"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

async fn wait_state(c: &mut Client, name: &str, want: &str) -> Value {
    wait_until(c, name, want, 0).await
}

/// Waits until server `name` is in state `want` after at least `restarts` restarts.
async fn wait_until(c: &mut Client, name: &str, want: &str, restarts: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = server_state(c, name).await;
        if s["state"] == want && s["restarts"].as_u64().unwrap_or(0) >= restarts {
            return s;
        }
        assert!(Instant::now() < deadline, "{name} never became {want}: {s}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn call(
    c: &mut Client,
    tool: &str,
    args: Value,
) -> Result<String, arranger_client::ClientError> {
    c.call_raw("mcp.call", json!({"tool": tool, "arguments": args}))
        .await
        .map(|v| v["text"].as_str().unwrap_or_default().to_owned())
}

async fn mcp_server(config: McpConfig) -> TestServer {
    TestServer::multi_with_mcp(config).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_everything_server_lists_and_runs_echo_and_other_users_see_nothing() {
    let srv = mcp_server(McpConfig::default()).await;
    let (ta, tb) = (srv.user("alice"), srv.user("bob"));
    let mut a = srv.client(&ta).await;
    let mut b = srv.client(&tb).await;
    let alice = user_id(&mut a).await;
    let script = install_everything(&srv.workspace_of(&alice));

    let added = a
        .call_raw(
            "mcp.add",
            json!({"spec": {"name": "everything",
                "transport": {"type": "stdio", "command": "node", "args": [script, "stdio"]},
                "tool_risk": {"echo": "low"}}}),
        )
        .await
        .unwrap();
    assert_eq!(added["name"], "everything");
    assert_eq!(server_state(&mut a, "everything").await["state"], "stopped");

    let tools = a
        .call_raw("mcp.tools", json!({"name": "everything"}))
        .await
        .unwrap();
    let echo = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "mcp__everything__echo")
        .unwrap_or_else(|| panic!("no echo tool in {tools}"));
    assert_eq!(echo["server"], "everything");
    assert_eq!(echo["tool"], "echo");
    assert_eq!(echo["risk"], "low");
    assert_eq!(
        echo["input_schema"]["properties"]["message"]["type"],
        "string"
    );
    let others: Vec<&Value> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"] != "mcp__everything__echo")
        .collect();
    assert!(others.iter().all(|t| t["risk"] == "medium"), "{tools}");
    assert_eq!(server_state(&mut a, "everything").await["state"], "running");

    let out = call(
        &mut a,
        "mcp__everything__echo",
        json!({"message": "hello through MCP"}),
    )
    .await
    .unwrap();
    assert!(out.contains("hello through MCP"), "{out}");
    // All tools of every server at once, too.
    let all = a.call_raw("mcp.tools", json!({})).await.unwrap();
    assert!(all["tools"].as_array().unwrap().len() >= 2, "{all}");
    // Bad calls say what is wrong.
    let e = call(&mut a, "mcp__everything__nope", json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::NOT_FOUND), "{e}");
    let e = call(&mut a, "read_file", json!({})).await.unwrap_err();
    assert_eq!(e.code(), Some(codes::INVALID_PARAMS), "{e}");
    let e = call(&mut a, "mcp__everything__echo", json!([1]))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::INVALID_PARAMS), "{e}");

    // Bob: none of it exists for him, by any method.
    let list = b.call_raw("mcp.list", json!({})).await.unwrap();
    assert_eq!(list["servers"], json!([]));
    let e = b
        .call_raw("mcp.tools", json!({"name": "everything"}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::NOT_FOUND), "{e}");
    let e = call(&mut b, "mcp__everything__echo", json!({"message": "x"}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::NOT_FOUND), "{e}");
    let none = b.call_raw("mcp.tools", json!({})).await.unwrap();
    assert_eq!(none["tools"], json!([]));
    let removed = b
        .call_raw("mcp.remove", json!({"name": "everything"}))
        .await
        .unwrap();
    assert_eq!(removed["deleted"], false);
    let events = b
        .call_raw("events.list", json!({"limit": 1000}))
        .await
        .unwrap();
    assert!(!events.to_string().contains("mcp_server"), "{events}");
    // Alice's server is untouched and still answers.
    assert_eq!(server_state(&mut a, "everything").await["state"], "running");
    let out = call(
        &mut a,
        "mcp__everything__echo",
        json!({"message": "still here"}),
    )
    .await
    .unwrap();
    assert!(out.contains("still here"));
    let events = a
        .call_raw("events.list", json!({"limit": 1000}))
        .await
        .unwrap();
    assert!(events.to_string().contains("mcp_server_updated"));

    // Removing stops it.
    let removed = a
        .call_raw("mcp.remove", json!({"name": "everything"}))
        .await
        .unwrap();
    assert_eq!(removed["deleted"], true);
    let list = a.call_raw("mcp.list", json!({})).await.unwrap();
    assert_eq!(list["servers"], json!([]));
    let e = call(&mut a, "mcp__everything__echo", json!({"message": "x"}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::NOT_FOUND), "{e}");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stdio_server_is_sandboxed_and_gets_only_the_secrets_mapped_into_it() {
    let srv = mcp_server(McpConfig::default()).await;
    let (ta, tb) = (srv.user("alice"), srv.user("bob"));
    let mut a = srv.client(&ta).await;
    let mut b = srv.client(&tb).await;
    let alice = user_id(&mut a).await;
    let bob = user_id(&mut b).await;
    std::fs::write(srv.workspace_of(&alice).join("tiny.js"), TINY_SERVER).unwrap();
    std::fs::write(srv.workspace_of(&alice).join("mine.txt"), "alice's own").unwrap();
    b.call_raw(
        "fs.write",
        json!({"path": "bob.txt", "content": "bob's secret file"}),
    )
    .await
    .unwrap();
    a.call_raw("events.subscribe", json!({"since": 0, "files": false}))
        .await
        .unwrap();

    const VALUE: &str = "s3cr3t-token-value-4711";
    // A definition naming a missing secret is refused with what to do.
    let e = a
        .call_raw(
            "mcp.add",
            tiny_spec("tiny", json!([{"name": "TOKEN", "secret": "API_TOKEN"}])),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::INVALID_PARAMS), "{e}");
    assert!(e.to_string().contains("secret.set"), "{e}");
    let info = a
        .call_raw("secret.set", json!({"name": "API_TOKEN", "value": VALUE}))
        .await
        .unwrap();
    assert_eq!(info["name"], "API_TOKEN");
    assert!(!info.to_string().contains(VALUE));
    a.call_raw(
        "secret.set",
        json!({"name": "UNMAPPED", "value": "never-passed-value"}),
    )
    .await
    .unwrap();
    a.call_raw(
        "mcp.add",
        tiny_spec(
            "tiny",
            json!([{"name": "TOKEN", "secret": "API_TOKEN"}, {"name": "PLAIN", "value": "visible"}]),
        ),
    )
    .await
    .unwrap();

    let env = call(&mut a, "mcp__tiny__env", json!({})).await.unwrap();
    let env: Value = serde_json::from_str(&env).unwrap();
    // The value reached the process (reversed, it is not recognised as the secret)…
    let reversed: String = VALUE.chars().rev().collect();
    assert_eq!(env["reversed"], reversed);
    assert_eq!(env["plain"], "visible");
    // …but comes back masked, and nothing else of the server's environment is there.
    assert_eq!(env["token"], "[secret API_TOKEN]");
    let keys: Vec<&str> = env["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for k in &keys {
        assert!(
            [
                "PATH",
                "HOME",
                "TMPDIR",
                "LANG",
                "TERM",
                "RUSTUP_HOME",
                "TOKEN",
                "PLAIN"
            ]
            .contains(k),
            "unexpected variable {k} in {keys:?}"
        );
    }
    assert!(!env.to_string().contains("never-passed-value"));

    // The process is confined like commands: no privileges, no way out of the workspace.
    let pid: i32 = call(&mut a, "mcp__tiny__whoami", json!({}))
        .await
        .unwrap()
        .parse()
        .unwrap();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(field("NoNewPrivs:"), "1", "{status}");
    assert_eq!(field("CapEff:"), "0000000000000000", "{status}");
    assert_eq!(field("CapBnd:"), "0000000000000000", "{status}");
    let own = call(&mut a, "mcp__tiny__read", json!({"path": "mine.txt"}))
        .await
        .unwrap();
    assert_eq!(own, "alice's own");
    let bob_file = srv.workspace_of(&bob).join("bob.txt");
    for path in [
        bob_file.to_string_lossy().into_owned(),
        srv.data
            .path()
            .join("arranger.db")
            .to_string_lossy()
            .into_owned(),
        srv.data
            .path()
            .join("secret.key")
            .to_string_lossy()
            .into_owned(),
        "/proc/self/environ".to_owned(),
    ] {
        let e = call(&mut a, "mcp__tiny__read", json!({"path": path}))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(codes::TOOL_ERROR), "{path}: {e}");
        assert!(e.to_string().contains("denied"), "{path}: {e}");
        assert!(!e.to_string().contains("bob's secret"), "{e}");
    }

    // Listings, responses and events carry names only.
    let secrets = a.call_raw("secret.list", json!({})).await.unwrap();
    let names: Vec<&str> = secrets["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["API_TOKEN", "UNMAPPED"]);
    let listed = a.call_raw("mcp.list", json!({})).await.unwrap();
    assert!(!listed.to_string().contains(VALUE), "{listed}");
    assert_eq!(
        listed["servers"][0]["spec"]["transport"]["env"][0]["secret"],
        "API_TOKEN"
    );
    let events = a
        .call_raw("events.list", json!({"limit": 1000}))
        .await
        .unwrap();
    let text = events.to_string();
    assert!(text.contains("secret_updated") && text.contains("API_TOKEN"));
    assert!(
        !text.contains(VALUE) && !text.contains("never-passed-value"),
        "{text}"
    );
    // Streamed notifications too.
    let deadline = Instant::now() + Duration::from_millis(500);
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(100), a.next_notification()).await {
            Ok(Ok((_, params))) => assert!(!params.to_string().contains(VALUE)),
            _ => break,
        }
    }

    // Bob sees none of Alice's secrets.
    let theirs = b.call_raw("secret.list", json!({})).await.unwrap();
    assert_eq!(theirs["secrets"], json!([]));
    let deleted = b
        .call_raw("secret.delete", json!({"name": "API_TOKEN"}))
        .await
        .unwrap();
    assert_eq!(deleted["deleted"], false);
    let e = b
        .call_raw(
            "mcp.add",
            tiny_spec("tiny", json!([{"name": "TOKEN", "secret": "API_TOKEN"}])),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not set"), "{e}");

    // A crash while running is recovered: the server is restarted.
    let e = call(&mut a, "mcp__tiny__crash", json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::UNAVAILABLE), "{e}");
    let s = wait_until(&mut a, "tiny", "running", 1).await;
    assert!(s["last_error"].as_str().unwrap().contains("exited"), "{s}");
    // Its standard error mentioned the token: masked in the error shown.
    assert!(!s.to_string().contains(VALUE), "{s}");
    let pid2: i32 = call(&mut a, "mcp__tiny__whoami", json!({}))
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert_ne!(pid, pid2);
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "the crashed server lingers"
    );
    srv.stop().await;
    // Shutdown stops it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let gone = std::fs::read_to_string(format!("/proc/{pid2}/status"))
        .map(|s| s.contains("State:\tZ"))
        .unwrap_or(true);
    assert!(gone, "the MCP server outlived the server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_loops_end_crashed_and_the_running_limit_and_idle_stop_hold() {
    let srv = mcp_server(McpConfig {
        max_running: 1,
        idle: Duration::from_millis(600),
        restart_backoff: Duration::from_millis(50),
        ..McpConfig::default()
    })
    .await;
    let ta = srv.user("alice");
    let mut a = srv.client(&ta).await;
    let alice = user_id(&mut a).await;
    std::fs::write(srv.workspace_of(&alice).join("tiny.js"), TINY_SERVER).unwrap();

    // A server that cannot start: restarted a bounded number of times, then crashed.
    a.call_raw(
        "mcp.add",
        json!({"spec": {"name": "crashy", "transport": {"type": "stdio", "command": "sh",
            "args": ["-c", "echo boom on stderr >&2; exit 3"]}}}),
    )
    .await
    .unwrap();
    let e = a
        .call_raw("mcp.tools", json!({"name": "crashy"}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::UNAVAILABLE), "{e}");
    assert!(
        e.to_string().contains("crashed") && e.to_string().contains("boom"),
        "{e}"
    );
    let s = server_state(&mut a, "crashy").await;
    assert_eq!(s["state"], "crashed", "{s}");
    assert_eq!(s["restarts"], 3, "{s}");
    assert!(
        s["last_error"].as_str().unwrap().contains("boom on stderr"),
        "{s}"
    );
    // Asking again does not restart the loop; saving the definition again does.
    let e = call(&mut a, "mcp__crashy__x", json!({})).await.unwrap_err();
    assert!(e.to_string().contains("mcp.add"), "{e}");
    a.call_raw(
        "mcp.add",
        json!({"spec": {"name": "crashy", "enabled": false, "transport": {"type": "stdio", "command": "false"}}}),
    )
    .await
    .unwrap();
    let s = server_state(&mut a, "crashy").await;
    assert_eq!(s["state"], "stopped", "{s}");
    let e = a
        .call_raw("mcp.tools", json!({"name": "crashy"}))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("disabled"), "{e}");
    // A missing program is reported as such.
    a.call_raw(
        "mcp.add",
        json!({"spec": {"name": "missing", "transport": {"type": "stdio", "command": "no-such-program-xyz"}}}),
    )
    .await
    .unwrap();
    let e = a
        .call_raw("mcp.tools", json!({"name": "missing"}))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not found"), "{e}");
    a.call_raw("mcp.remove", json!({"name": "missing"}))
        .await
        .unwrap();

    // One running server at most: the second waits for the first to go idle.
    for name in ["one", "two"] {
        a.call_raw("mcp.add", tiny_spec(name, json!([])))
            .await
            .unwrap();
    }
    call(&mut a, "mcp__one__whoami", json!({})).await.unwrap();
    let e = call(&mut a, "mcp__two__whoami", json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::CONFLICT), "{e}");
    assert!(e.to_string().contains("at most 1"), "{e}");
    wait_state(&mut a, "one", "stopped").await;
    call(&mut a, "mcp__two__whoami", json!({})).await.unwrap();
    assert_eq!(server_state(&mut a, "two").await["state"], "running");

    // Bad definitions are refused with the reason.
    for (spec, needle) in [
        (
            json!({"name": "Bad Name", "transport": {"type": "stdio", "command": "x"}}),
            "server name",
        ),
        (
            json!({"name": "a__b", "transport": {"type": "stdio", "command": "x"}}),
            "__",
        ),
        (
            json!({"name": "h", "transport": {"type": "http", "url": "ftp://x"}}),
            "URL",
        ),
        (
            json!({"name": "e", "transport": {"type": "stdio", "command": "x", "env": [{"name": "A"}]}}),
            "exactly one",
        ),
        (
            json!({"name": "e", "transport": {"type": "stdio", "command": "x", "cwd": "../.."}, "extra": 1}),
            "unknown field",
        ),
    ] {
        let e = a
            .call_raw("mcp.add", json!({"spec": spec}))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(codes::INVALID_PARAMS), "{e}");
        assert!(e.to_string().contains(needle), "{needle}: {e}");
    }
    // A cwd outside the workspace is refused when the server starts.
    a.call_raw(
        "mcp.add",
        json!({"spec": {"name": "escape", "transport": {"type": "stdio", "command": "node", "args": ["tiny.js"], "cwd": "../.."}}}),
    )
    .await
    .unwrap();
    wait_state(&mut a, "two", "stopped").await;
    let e = a
        .call_raw("mcp.tools", json!({"name": "escape"}))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("cwd"), "{e}");
    assert!(
        !e.to_string()
            .contains(srv.data.path().to_string_lossy().as_ref()),
        "{e}"
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_round_trip_with_names_only_and_are_checked() {
    let srv = TestServer::multi().await;
    let (ta, tb) = (srv.user("alice"), srv.user("bob"));
    let mut a = srv.client(&ta).await;
    let mut b = srv.client(&tb).await;
    let set = a
        .call_raw(
            "secret.set",
            json!({"name": "GH_TOKEN", "value": "ghp-abcdef-123456"}),
        )
        .await
        .unwrap();
    assert_eq!(set["name"], "GH_TOKEN");
    assert!(set["created_at"].as_i64().unwrap() > 0);
    assert!(!set.to_string().contains("ghp-abcdef"));
    a.call_raw(
        "secret.set",
        json!({"name": "GH_TOKEN", "value": "ghp-rotated-999999"}),
    )
    .await
    .unwrap();
    a.call_raw("secret.set", json!({"name": "_other1", "value": "x"}))
        .await
        .unwrap();
    let list = a.call_raw("secret.list", json!({})).await.unwrap();
    let names: Vec<&str> = list["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["GH_TOKEN", "_other1"]);
    assert!(!list.to_string().contains("ghp-"), "{list}");
    // Bob has none and cannot delete Alice's.
    assert_eq!(
        b.call_raw("secret.list", json!({})).await.unwrap()["secrets"],
        json!([])
    );
    let d = b
        .call_raw("secret.delete", json!({"name": "GH_TOKEN"}))
        .await
        .unwrap();
    assert_eq!(d["deleted"], false);
    // Validation.
    for (params, needle) in [
        (json!({"name": "1abc", "value": "v"}), "secret name"),
        (json!({"name": "a-b", "value": "v"}), "secret name"),
        (json!({"name": "x".repeat(65), "value": "v"}), "secret name"),
        (
            json!({"name": "BIG", "value": "x".repeat(64 * 1024 + 1)}),
            "at most",
        ),
        (
            json!({"name": "A", "value": "v", "extra": true}),
            "unknown field",
        ),
        (json!({"name": "A"}), "value"),
    ] {
        let e = a.call_raw("secret.set", params).await.unwrap_err();
        assert_eq!(e.code(), Some(codes::INVALID_PARAMS), "{e}");
        assert!(e.to_string().contains(needle), "{needle}: {e}");
    }
    let d = a
        .call_raw("secret.delete", json!({"name": "GH_TOKEN"}))
        .await
        .unwrap();
    assert_eq!(d["deleted"], true);
    let list = a.call_raw("secret.list", json!({})).await.unwrap();
    assert_eq!(list["secrets"].as_array().unwrap().len(), 1);
    let events = a
        .call_raw("events.list", json!({"limit": 1000}))
        .await
        .unwrap();
    let text = events.to_string();
    assert!(
        text.contains("secret_updated") && text.contains("secret_removed"),
        "{text}"
    );
    assert!(!text.contains("ghp-"), "{text}");
    // The database holds no value in clear.
    let alice = user_id(&mut a).await;
    let data = srv.stop().await;
    let dir = data.path().join("users").join(&alice);
    for f in ["state.db", "state.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.join(f)) {
            assert!(
                !bytes.windows(4).any(|w| w == b"ghp-"),
                "{f} holds a secret in clear"
            );
        }
    }
}

/// An agent calls a real MCP server's tool through the gateway: it is Medium by default,
/// so its task waits for the user; `allow_always` adds a rule naming the tool, the call
/// runs in the sandboxed server and its result reaches the agent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_uses_an_mcp_tool_after_the_user_allows_it() {
    use arranger_fake_llm::{FakeLlm, Match, Reply, Rule, Scenario};
    let scenario = Scenario::new()
        .rule(
            Rule::when(Match::any().has_tool("mcp__everything__echo").turn(0)).reply(Reply::tool(
                "mcp__everything__echo",
                json!({"message": "hello from the team"}),
            )),
        )
        .rule(
            Rule::when(Match::any().has_tool("complete_task")).reply(Reply::tool(
                "complete_task",
                json!({"summary": "{{last_tool_result}}"}),
            )),
        )
        .default_reply(Reply::text("ok"));
    let fake = FakeLlm::start(scenario.api_key("sk-test")).await.unwrap();
    let srv = TestServer::multi_with_llm(&fake.base_url()).await;
    let mut a = srv.client(&srv.user("alice")).await;
    let alice = user_id(&mut a).await;
    let script = install_everything(&srv.workspace_of(&alice));
    a.call_raw(
        "mcp.add",
        json!({"spec": {"name": "everything",
            "transport": {"type": "stdio", "command": "node", "args": [script, "stdio"]}}}),
    )
    .await
    .unwrap();
    a.call_raw("task.create", json!({"title": "say hello"}))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let run = loop {
        let p = a.call_raw("toolrun.pending", json!({})).await.unwrap();
        if let Some(r) = p["runs"].as_array().unwrap().first() {
            break r.clone();
        }
        assert!(Instant::now() < deadline, "the MCP call never asked");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(run["tool"], "mcp__everything__echo");
    assert_eq!(run["risk"], "medium");
    let d = a
        .call_raw(
            "toolrun.decide",
            json!({"id": run["id"], "decision": "allow_always"}),
        )
        .await
        .unwrap();
    assert_eq!(d["added_rules"][0]["pattern"], "mcp__everything__echo");
    let deadline = Instant::now() + Duration::from_secs(30);
    let task = loop {
        let t = a.call_raw("task.list", json!({})).await.unwrap()["tasks"][0].clone();
        if t["status"] == "done" || t["status"] == "failed" {
            break t;
        }
        assert!(Instant::now() < deadline, "the task never ended: {t}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(task["status"], "done", "{task:#}");
    assert!(
        task["report"]
            .as_str()
            .unwrap()
            .contains("hello from the team"),
        "the MCP result reached the agent: {task:#}"
    );
}

/// Kills the spawned HTTP MCP server when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The streamable HTTP transport against the same reference server, run as an HTTP
/// service (started by the test, outside any sandbox, as a remote server would be).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_everything_server_over_streamable_http_serves_its_user_only() {
    let bin = everything_bin();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(&bin)
        .arg("streamableHttp")
        .env("PORT", port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the everything server over HTTP");
    let stderr = child.stderr.take().unwrap();
    let _child = Child(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("listening") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(30))
        .expect("the HTTP server said it listens");

    let srv = mcp_server(McpConfig::default()).await;
    let (ta, tb) = (srv.user("alice"), srv.user("bob"));
    let mut a = srv.client(&ta).await;
    let mut b = srv.client(&tb).await;
    a.call_raw(
        "mcp.add",
        json!({"spec": {"name": "remote",
            "transport": {"type": "http", "url": format!("http://127.0.0.1:{port}/mcp")}}}),
    )
    .await
    .unwrap();
    let tools = a
        .call_raw("mcp.tools", json!({"name": "remote"}))
        .await
        .unwrap();
    let echo = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "mcp__remote__echo")
        .unwrap_or_else(|| panic!("no echo tool in {tools}"))
        .clone();
    assert_eq!(echo["risk"], "medium");
    let out = call(&mut a, "mcp__remote__echo", json!({"message": "over http"}))
        .await
        .unwrap();
    assert!(out.contains("over http"), "{out}");
    assert_eq!(server_state(&mut a, "remote").await["state"], "running");
    let theirs = b.call_raw("mcp.list", json!({})).await.unwrap();
    assert!(theirs["servers"].as_array().unwrap().is_empty(), "{theirs}");
    let e = call(&mut b, "mcp__remote__echo", json!({"message": "x"}))
        .await
        .unwrap_err();
    assert!(e.code().is_some(), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mcp_server_quota_and_permission_hold_for_one_user() {
    let srv = mcp_server(McpConfig::default()).await;
    srv.dir
        .as_ref()
        .unwrap()
        .add_user("root", true, Some("a good long password"))
        .unwrap();
    let mut root = srv.client(&srv.token("root")).await;
    let mut a = srv.client(&srv.user("alice")).await;
    let alice = user_id(&mut a).await;
    std::fs::write(srv.workspace_of(&alice).join("tiny.js"), TINY_SERVER).unwrap();
    for name in ["one", "two"] {
        a.call_raw("mcp.add", tiny_spec(name, json!([])))
            .await
            .unwrap();
    }
    root.call_raw(
        "admin.limits.set",
        json!({"user": "alice", "limits": {"quotas": {"mcp_servers": 1}}}),
    )
    .await
    .unwrap();
    call(&mut a, "mcp__one__whoami", json!({})).await.unwrap();
    let e = call(&mut a, "mcp__two__whoami", json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::QUOTA_EXCEEDED), "{e}");
    assert!(e.to_string().contains("1 of 1 running"), "{e}");
    // The running one still answers; denying MCP stops every path at once.
    call(&mut a, "mcp__one__whoami", json!({})).await.unwrap();
    root.call_raw(
        "admin.limits.set",
        json!({"user": "alice", "limits": {"permissions": {"mcp": false}}}),
    )
    .await
    .unwrap();
    let e = call(&mut a, "mcp__one__whoami", json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::FORBIDDEN), "{e}");
    let e = a.call_raw("mcp.tools", json!({})).await.unwrap_err();
    assert_eq!(e.code(), Some(codes::FORBIDDEN), "{e}");
}
