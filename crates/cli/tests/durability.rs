//! The real binary: user management from the CLI, a graceful restart that keeps every
//! user's data, and `kill -9` in the middle of a burst of writes losing nothing that was
//! acknowledged.

use arranger_client::Client;
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_arranger");

fn cli(data: &Path, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args).arg("--data-dir").arg(data);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

struct Running {
    child: Child,
    addr: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(data: &Path) -> Running {
    serve_with(data, &[])
}

fn serve_with(data: &Path, env: &[(&str, &str)]) -> Running {
    let mut child = Command::new(BIN)
        .envs(env.iter().copied())
        .args([
            "serve",
            "--multi-user",
            "--listen",
            "127.0.0.1:0",
            "--rate-limit",
            "100000",
        ])
        .arg("--data-dir")
        .arg(data)
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.trim_end_matches('/').to_owned();
        }
    };
    Running { child, addr }
}

fn add_user(data: &Path, name: &str) -> String {
    let (ok, _, err) = cli(
        data,
        &["user", "add", name, "--password-stdin"],
        Some("a long password\n"),
    );
    assert!(ok, "{err}");
    let (ok, out, err) = cli(data, &["token", "create", name], None);
    assert!(ok, "{err}");
    out.trim().to_owned()
}

#[test]
fn cli_manages_users_and_tokens_with_clear_errors() {
    let data = tempfile::tempdir().unwrap();
    let t = add_user(data.path(), "alice");
    assert!(t.starts_with("arr_"));
    let (ok, _, err) = cli(data.path(), &["user", "add", "alice"], None);
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = cli(data.path(), &["user", "add", "Bad Name"], None);
    assert!(!ok && err.contains("lowercase"), "{err}");
    let (ok, _, err) = cli(
        data.path(),
        &["user", "add", "bob", "--password-stdin"],
        Some(""),
    );
    assert!(!ok && err.contains("standard input"), "{err}");
    let (ok, out, _) = cli(data.path(), &["user", "list"], None);
    assert!(ok && out.contains("alice"));
    let (ok, out, _) = cli(data.path(), &["token", "list", "alice"], None);
    assert!(ok && out.contains("active"));
    let (ok, _, err) = cli(data.path(), &["token", "revoke", "nope"], None);
    assert!(!ok && err.contains("token list"), "{err}");
    let (ok, _, _) = cli(data.path(), &["token", "revoke", &t], None);
    assert!(ok);
    let (ok, _, _) = cli(data.path(), &["user", "disable", "alice"], None);
    assert!(ok);
    let (ok, out, _) = cli(data.path(), &["user", "list"], None);
    assert!(ok && out.contains("disabled"));
    // What the command did is in the audit log, by `cli`, without the token itself.
    use arranger_store::Governance;
    let dir = arranger_store::SqliteDirectory::open(&data.path().join("arranger.db")).unwrap();
    let log = dir
        .audit_list(&arranger_store::AuditQuery {
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    let actions: Vec<&str> = log.iter().rev().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user.create",
            "token.create",
            "token.revoke",
            "user.disable"
        ],
        "{log:#?}"
    );
    assert!(log.iter().all(|r| r.actor == "cli" && r.target == "alice"));
    assert!(
        !format!("{log:?}").contains(&t),
        "the token itself was recorded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_users_data_survives_a_graceful_restart() {
    let data = tempfile::tempdir().unwrap();
    let users: Vec<(String, String)> = ["ann", "ben", "cat"]
        .iter()
        .map(|n| (n.to_string(), add_user(data.path(), n)))
        .collect();
    let mut server = serve(data.path());
    let mut last_seq = Vec::new();
    for (name, token) in &users {
        let mut c = Client::connect(&server.addr, token).await.unwrap();
        c.call_raw(
            "fs.write",
            json!({"path": "src/lib.rs", "content": format!("// {name}"), "create_parents": true}),
        )
        .await
        .unwrap();
        c.call_raw(
            "state.set",
            json!({"scope": "workspace", "key": "owner", "value": name}),
        )
        .await
        .unwrap();
        let t = c
            .call_raw(
                "blackboard.post",
                json!({"text": format!("/task {name}'s task")}),
            )
            .await
            .unwrap();
        c.call_raw("task.cancel", json!({"id": t["task"]["id"]}))
            .await
            .unwrap();
        let seq = c
            .call_raw("events.subscribe", json!({"since": 0}))
            .await
            .unwrap()["last_seq"]
            .as_u64()
            .unwrap();
        last_seq.push(seq);
    }
    // SIGTERM: graceful shutdown, exit status 0.
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = server.child.wait().unwrap();
    assert!(status.success(), "graceful shutdown failed: {status}");
    drop(server);

    let server = serve(data.path());
    for ((name, token), seq) in users.iter().zip(last_seq) {
        let mut c = Client::connect(&server.addr, token).await.unwrap();
        let f = c
            .call_raw("fs.read", json!({"path": "src/lib.rs"}))
            .await
            .unwrap();
        assert_eq!(f["content"], format!("// {name}"));
        let s = c
            .call_raw("state.get", json!({"scope": "workspace", "key": "owner"}))
            .await
            .unwrap();
        assert_eq!(s["value"], json!(name));
        let tasks = c.call_raw("task.list", json!({})).await.unwrap();
        assert_eq!(tasks["tasks"][0]["status"], "failed");
        assert_eq!(tasks["tasks"][0]["title"], format!("{name}'s task"));
        // The event log is intact and gap-free across the restart.
        let events = c
            .call_raw("events.list", json!({"limit": 1000}))
            .await
            .unwrap();
        let seqs: Vec<u64> = events["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect();
        // (The team may have added events after `seq`, such as a broadcast that no
        // model is configured; none may be missing.)
        let last = seqs.len() as u64;
        assert!(last >= seq);
        assert_eq!(seqs, (1..=last).collect::<Vec<_>>());
        // A new change continues the sequence.
        let n = c
            .call_raw("state.set", json!({"key": "after", "value": 1}))
            .await
            .unwrap();
        assert_eq!(n["seq"].as_u64().unwrap(), last + 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_burst_of_writes_loses_no_acknowledged_message() {
    let data = tempfile::tempdir().unwrap();
    let tokens: Vec<String> = (0..4)
        .map(|i| add_user(data.path(), &format!("w{i}")))
        .collect();
    let mut server = serve(data.path());
    let addr = server.addr.clone();
    let mut writers = Vec::new();
    for token in tokens.clone() {
        let addr = addr.clone();
        writers.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            let Ok(mut c) = Client::connect(&addr, &token).await else {
                return acked;
            };
            c.set_timeout(Duration::from_secs(5));
            for i in 0.. {
                let text = format!("msg {i}");
                match c.call_raw("blackboard.post", json!({"text": text})).await {
                    Ok(_) => acked.push(text),
                    Err(_) => break,
                }
            }
            acked
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let mut acked = Vec::new();
    for w in writers {
        acked.push(w.await.unwrap());
    }
    assert!(
        acked.iter().map(Vec::len).sum::<usize>() > 20,
        "the burst was too small to mean anything"
    );

    let server = serve(data.path());
    for (token, acked) in tokens.iter().zip(acked) {
        let mut c = Client::connect(&server.addr, token).await.unwrap();
        let mut stored = std::collections::HashSet::new();
        let mut before: Option<serde_json::Value> = None;
        loop {
            let h = c
                .call_raw(
                    "blackboard.history",
                    json!({"limit": 500, "before": before}),
                )
                .await
                .unwrap();
            let msgs = h["messages"].as_array().unwrap();
            for m in msgs {
                stored.insert(m["text"].as_str().unwrap().to_owned());
            }
            if !h["has_more"].as_bool().unwrap() {
                break;
            }
            before = Some(msgs[0]["id"].clone());
        }
        for text in &acked {
            assert!(stored.contains(text), "acknowledged {text:?} was lost");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_cut_off_by_kill_9_resumes_without_repeating_its_done_work() {
    use arranger_fake_llm::{FakeLlm, Match, Reply, Rule, Scenario};
    let worker = || Match::any().has_tool("complete_task");
    let scenario = Scenario::new()
        .rule(Rule::when(worker().turn(0)).reply(Reply::tool(
            "write_file",
            json!({"path": "a.txt", "content": "once"}),
        )))
        // The second turn hangs the first time: the server is killed while waiting.
        .rule(Rule::when(worker().turn(1)).named("hang").hang().times(1))
        .rule(Rule::when(worker().turn(1)).reply(Reply::tool(
            "complete_task",
            json!({"summary": "a.txt written once"}),
        )))
        .default_reply(Reply::text("ok"));
    let fake = FakeLlm::start(scenario).await.unwrap();
    let base = fake.base_url();
    let env = [
        ("OPENAI_API_KEY", "sk-test"),
        ("OPENAI_BASE_URL", base.as_str()),
        ("ARRANGER_MODEL", "fake"),
    ];
    let data = tempfile::tempdir().unwrap();
    let token = add_user(data.path(), "fay");
    let mut server = serve_with(data.path(), &env);
    let mut c = Client::connect(&server.addr, &token).await.unwrap();
    let t = c
        .call_raw("task.create", json!({"title": "write a.txt"}))
        .await
        .unwrap();
    // Wait for the hanging second turn, then kill the server mid-call.
    for _ in 0..200 {
        if fake
            .requests()
            .iter()
            .any(|r| format!("{:?}", r.answer).contains("hang"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    drop(server);

    let server = serve_with(data.path(), &env);
    let mut c = Client::connect(&server.addr, &token).await.unwrap();
    let mut task = serde_json::Value::Null;
    for _ in 0..300 {
        task = c
            .call_raw("task.get", json!({"id": t["id"]}))
            .await
            .unwrap();
        if task["task"]["status"] == "done" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(task["task"]["status"], "done", "{task:#}");
    let path: Vec<&str> = task["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap())
        .collect();
    assert_eq!(
        path,
        ["active", "reassigning", "active", "finalizing", "done"]
    );
    let rec = c
        .call_raw("task.record", json!({"id": t["id"]}))
        .await
        .unwrap();
    let writes = rec["tool_runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["tool"] == "write_file")
        .count();
    assert_eq!(
        writes, 1,
        "the write done before the crash was not repeated"
    );
    // After the restart the model saw what had been done before it.
    let last = fake.requests().into_iter().last().unwrap();
    assert!(
        last.body.to_string().contains("wrote 4 bytes to a.txt"),
        "the history was lost"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_toml_sets_the_default_model_and_bad_files_are_explained() {
    use arranger_fake_llm::{FakeLlm, Match, Reply, Rule, Scenario};
    let scenario = Scenario::new()
        .rule(
            Rule::when(Match::any().has_tool("complete_task"))
                .reply(Reply::tool("complete_task", json!({"summary": "ok"}))),
        )
        .api_key("sk-from-env-var");
    let fake = FakeLlm::start(scenario).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let token = add_user(data.path(), "ivy");
    std::fs::write(
        data.path().join("config.toml"),
        format!(
            "[llm]\nkind = \"openai\"\nbase_url = \"{}\"\nmodel = \"m\"\napi_key_env = \"MY_LLM_KEY\"\n\n[team]\nmax_concurrent_tasks = 2\n",
            fake.base_url()
        ),
    )
    .unwrap();
    let server = serve_with(data.path(), &[("MY_LLM_KEY", "sk-from-env-var")]);
    let mut c = Client::connect(&server.addr, &token).await.unwrap();
    let t = c
        .call_raw("task.create", json!({"title": "t"}))
        .await
        .unwrap();
    let mut status = String::new();
    for _ in 0..100 {
        status = c
            .call_raw("task.get", json!({"id": t["id"]}))
            .await
            .unwrap()["task"]["status"]
            .as_str()
            .unwrap()
            .to_owned();
        if status == "done" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "done");
    drop(server);

    std::fs::write(
        data.path().join("config.toml"),
        "[llm]\nkind = \"gemini\"\nmodel = \"m\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--multi-user", "--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(data.path())
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("config.toml") && err.contains("gemini"),
        "{err}"
    );
}

/// In single-user mode the data directory (keys, tokens, state) is never inside the
/// workspace, where the commands the agents run could read it: the default lives under
/// `$XDG_DATA_HOME/arranger`, and an explicit one inside the workspace is refused.
#[test]
fn single_user_data_stays_out_of_the_workspace() {
    let ws = tempfile::tempdir().unwrap();
    let xdg = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--workspace"])
        .arg(ws.path())
        .arg("--data-dir")
        .arg(ws.path().join(".arranger"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("inside the workspace"), "{err}");

    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--workspace"])
        .arg(ws.path())
        .env("XDG_DATA_HOME", xdg.path())
        .env_remove("ARRANGER_DATA_DIR")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !line.contains("data in") && std::time::Instant::now() < deadline {
        let mut l = String::new();
        if std::io::BufRead::read_line(&mut stdout, &mut l).unwrap_or(0) == 0 {
            break;
        }
        line.push_str(&l);
    }
    let _ = child.kill();
    let _ = child.wait();
    let base = xdg.path().join("arranger");
    let dirs: Vec<_> = std::fs::read_dir(&base).unwrap().flatten().collect();
    assert_eq!(dirs.len(), 1, "{line}");
    assert!(dirs[0].path().join("token").exists(), "{line}");
    assert!(line.contains(&base.display().to_string()), "{line}");
    assert!(!ws.path().join(".arranger").join("token").exists());
}
