//! The tool gateway end to end (issue 4): every agent tool call is judged by the risk
//! policy; a call that must ask puts its task in NeedsConfirm while other tasks go on,
//! until `toolrun.decide`; a denial and its reason reach the agent; decisions survive a
//! restart; rules are the user's own.

mod common;

use arranger_client::Client;
use arranger_fake_llm::{FakeLlm, Match, Reply, Rule, Scenario};
use common::TestServer;
use serde_json::{Value, json};
use std::time::Duration;

/// Polls `task.list` until the task titled `title` is in `status`.
async fn task_in(c: &mut Client, title: &str, status: &str) -> Value {
    for _ in 0..300 {
        let tasks = c.call_raw("task.list", json!({})).await.unwrap()["tasks"]
            .as_array()
            .unwrap()
            .clone();
        if let Some(t) = tasks
            .iter()
            .find(|t| t["title"] == title && t["status"] == status)
        {
            return t.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let tasks = c.call_raw("task.list", json!({})).await.unwrap();
    panic!("task {title:?} never reached {status}: {tasks:#}");
}

/// A worker whose task title (in its instruction) contains `title` runs `command` on its
/// first turn, then completes with whatever the command (or the denial) said.
fn runs(scenario: Scenario, title: &str, command: &str) -> Scenario {
    scenario.rule(
        Rule::when(
            Match::any()
                .has_tool("run_command")
                .turn(0)
                .last_user_contains(title),
        )
        .reply(Reply::tool("run_command", json!({"command": command}))),
    )
}

fn completes(scenario: Scenario) -> Scenario {
    scenario
        .rule(
            Rule::when(Match::any().has_tool("complete_task")).reply(Reply::tool(
                "complete_task",
                json!({"summary": "{{last_tool_result}}"}),
            )),
        )
        .default_reply(Reply::text("ok"))
}

async fn pending(c: &mut Client) -> Vec<Value> {
    c.call_raw("toolrun.pending", json!({})).await.unwrap()["runs"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_high_risk_command_waits_while_other_tasks_go_on_and_a_denial_reaches_the_agent() {
    let s = runs(Scenario::new(), "clean up", "rm -rf build");
    let s = completes(runs(s, "list files", "ls"));
    let fake = FakeLlm::start(s.api_key("sk-test")).await.unwrap();
    let srv = TestServer::multi_with_llm(&fake.base_url()).await;
    let mut alice = srv.client(&srv.user("alice")).await;
    let me = alice.call_raw("server.info", json!({})).await.unwrap()["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    std::fs::create_dir_all(srv.workspace_of(&me).join("build")).unwrap();
    std::fs::write(srv.workspace_of(&me).join("build/keep"), "x").unwrap();

    alice
        .call_raw("task.create", json!({"title": "clean up the build"}))
        .await
        .unwrap();
    let waiting = task_in(&mut alice, "clean up the build", "needs_confirm").await;
    assert!(
        waiting["status_reason"]
            .as_str()
            .unwrap()
            .contains("rm -rf build"),
        "{waiting:#}"
    );
    let runs = pending(&mut alice).await;
    assert_eq!(runs.len(), 1, "{runs:#?}");
    let run = &runs[0];
    assert_eq!(
        (run["status"].as_str(), run["risk"].as_str()),
        (Some("awaiting_decision"), Some("high"))
    );
    assert!(run["reasons"][0]["reason"].as_str().unwrap().len() > 10);
    assert_eq!(run["args"]["command"], "rm -rf build");

    // Another task goes on and ends Done while the first one waits.
    alice
        .call_raw("task.create", json!({"title": "list files"}))
        .await
        .unwrap();
    let other = task_in(&mut alice, "list files", "done").await;
    assert!(
        other["report"].as_str().unwrap().contains("build"),
        "{other:#}"
    );
    let rec = alice
        .call_raw("task.record", json!({"id": other["id"]}))
        .await
        .unwrap();
    let ls = &rec["tool_runs"][0];
    assert_eq!(
        (ls["risk"].as_str(), ls["decision"]["kind"].as_str()),
        (Some("low"), Some("policy")),
        "{ls:#}"
    );
    assert!(ls["duration_ms"].as_u64().is_some());

    // Bob cannot see or decide alice's run.
    let mut bob = srv.client(&srv.user("bob")).await;
    assert!(pending(&mut bob).await.is_empty());
    let e = bob
        .call_raw(
            "toolrun.decide",
            json!({"id": run["id"], "decision": "allow_once"}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(-32001), "{e}");

    // High never becomes an Allow rule.
    let e = alice
        .call_raw(
            "toolrun.decide",
            json!({"id": run["id"], "decision": "allow_always"}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(-32602), "{e}");
    assert!(e.to_string().contains("allow_once"), "{e}");
    let e = alice
        .call_raw(
            "toolrun.decide",
            json!({"id": run["id"], "decision": "maybe"}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(-32602), "{e}");

    let d = alice
        .call_raw(
            "toolrun.decide",
            json!({"id": run["id"], "decision": "deny", "reason": "keep the build dir"}),
        )
        .await
        .unwrap();
    assert_eq!(d["run"]["status"], "denied");
    assert_eq!(d["run"]["decision"]["kind"], "deny");
    assert_eq!(d["run"]["decision"]["by"], "user");
    let done = task_in(&mut alice, "clean up the build", "done").await;
    assert!(
        done["report"]
            .as_str()
            .unwrap()
            .contains("denied by the user: keep the build dir"),
        "the agent saw the denial and its reason: {done:#}"
    );
    assert!(srv.workspace_of(&me).join("build/keep").exists());
    let e = alice
        .call_raw(
            "toolrun.decide",
            json!({"id": run["id"], "decision": "allow_once"}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        Some(-32002),
        "a decided run takes no second decision: {e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_always_adds_a_scoped_rule_and_the_next_such_call_runs_without_asking() {
    let s = completes(runs(
        Scenario::new(),
        "make it executable",
        "chmod +x run.sh",
    ));
    let fake = FakeLlm::start(s.api_key("sk-test")).await.unwrap();
    let srv = TestServer::multi_with_llm(&fake.base_url()).await;
    let mut alice = srv.client(&srv.user("alice")).await;
    alice
        .call_raw(
            "fs.write",
            json!({"path": "run.sh", "content": "#!/bin/sh\necho hi\n"}),
        )
        .await
        .unwrap();
    alice
        .call_raw("task.create", json!({"title": "make it executable"}))
        .await
        .unwrap();
    task_in(&mut alice, "make it executable", "needs_confirm").await;
    let run = pending(&mut alice).await.remove(0);
    assert_eq!(run["risk"], "medium", "{run:#}");
    let d = alice
        .call_raw(
            "toolrun.decide",
            json!({"id": run["id"], "decision": "allow_always"}),
        )
        .await
        .unwrap();
    assert_eq!(d["added_rules"][0]["pattern"], "chmod +x run.sh", "{d:#}");
    assert_eq!(d["added_rules"][0]["action"], "allow");
    task_in(&mut alice, "make it executable", "done").await;
    let policy = alice.call_raw("policy.get", json!({})).await.unwrap();
    assert!(
        policy["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["pattern"] == "chmod +x run.sh" && r["scope"] == "user"),
        "{policy:#}"
    );
    assert!(!policy["builtin"].as_array().unwrap().is_empty());

    // The same call again runs at once; a different Medium call still asks.
    alice
        .call_raw("task.create", json!({"title": "make it executable again"}))
        .await
        .unwrap();
    let again = task_in(&mut alice, "make it executable again", "done").await;
    let rec = alice
        .call_raw("task.record", json!({"id": again["id"]}))
        .await
        .unwrap();
    assert_eq!(rec["tool_runs"][0]["decision"]["kind"], "policy");
    let check = alice
        .call_raw("policy.check", json!({"command": "chmod +x other.sh"}))
        .await
        .unwrap();
    assert_eq!(check["decision"], "ask", "{check:#}");
    let check = alice
        .call_raw("policy.check", json!({"command": "chmod +x run.sh"}))
        .await
        .unwrap();
    assert_eq!(check["decision"], "run", "{check:#}");

    // Rules are per user.
    let mut bob = srv.client(&srv.user("bob")).await;
    let theirs = bob.call_raw("policy.get", json!({})).await.unwrap();
    assert!(theirs["rules"].as_array().unwrap().is_empty(), "{theirs:#}");
    let check = bob
        .call_raw("policy.check", json!({"command": "chmod +x run.sh"}))
        .await
        .unwrap();
    assert_eq!(check["decision"], "ask");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_rules_are_checked_and_high_commands_ask_whatever_the_rules() {
    let srv = TestServer::multi().await;
    let mut c = srv.client(&srv.user("alice")).await;
    for (rules, needle) in [
        (json!([{"pattern": "rm *", "action": "allow"}]), "rm"),
        (json!([{"pattern": "*", "action": "allow"}]), "broad"),
        (json!([{"pattern": "", "action": "allow"}]), "empty"),
        (
            json!([{"pattern": "ls", "action": "allow", "scope": "builtin"}]),
            "built-in",
        ),
    ] {
        let e = c
            .call_raw("policy.set", json!({"rules": rules}))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(-32602), "{rules}: {e}");
        assert!(
            e.to_string().to_lowercase().contains(needle),
            "{rules}: {e}"
        );
    }
    let set = c
        .call_raw(
            "policy.set",
            json!({"rules": [
                {"pattern": "git push origin feature/*", "action": "allow"},
                {"pattern": "make deploy", "action": "high", "scope": "workspace"}
            ]}),
        )
        .await
        .unwrap();
    assert_eq!(set["rules"].as_array().unwrap().len(), 2);
    let check = |cmd: &str| json!({ "command": cmd });
    let r = c
        .call_raw("policy.check", check("git push origin feature/login"))
        .await
        .unwrap();
    assert_eq!(
        (r["risk"].as_str(), r["decision"].as_str()),
        (Some("medium"), Some("run"))
    );
    let r = c
        .call_raw("policy.check", check("git push origin main"))
        .await
        .unwrap();
    assert_eq!(r["decision"], "ask");
    let r = c
        .call_raw("policy.check", check("make deploy"))
        .await
        .unwrap();
    assert_eq!(r["risk"], "high");
    let r = c
        .call_raw("policy.check", check("git push --force origin feature/x"))
        .await
        .unwrap();
    assert_eq!(
        (r["risk"].as_str(), r["decision"].as_str()),
        (Some("high"), Some("ask"))
    );
    let e = c.call_raw("policy.check", json!({})).await.unwrap_err();
    assert_eq!(e.code(), Some(-32602));
    let r = c
        .call_raw(
            "policy.check",
            json!({"tool": "mcp__github__create_issue", "args": {}}),
        )
        .await
        .unwrap();
    assert_eq!(r["risk"], "medium");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_confirmation_survives_a_restart_and_runs_once_allowed() {
    let s = completes(runs(
        Scenario::new(),
        "publish",
        "touch published && git push origin main",
    ));
    let fake = FakeLlm::start(s.api_key("sk-test")).await.unwrap();
    let srv = TestServer::multi_with_llm(&fake.base_url()).await;
    let token = srv.user("alice");
    let mut c = srv.client(&token).await;
    let me = c.call_raw("server.info", json!({})).await.unwrap()["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    c.call_raw("task.create", json!({"title": "publish"}))
        .await
        .unwrap();
    task_in(&mut c, "publish", "needs_confirm").await;
    let before = pending(&mut c).await;
    assert_eq!(before.len(), 1);
    drop(c);

    let data = srv.stop().await;
    let srv = TestServer::multi_in_with_llm(data, &fake.base_url()).await;
    let mut c = srv.client(&token).await;
    let t = task_in(&mut c, "publish", "needs_confirm").await;
    let after = pending(&mut c).await;
    assert_eq!(after.len(), 1, "the confirmation survived: {after:#?}");
    assert_eq!(after[0]["id"], before[0]["id"]);
    assert!(!srv.workspace_of(&me).join("published").exists());
    c.call_raw(
        "toolrun.decide",
        json!({"id": after[0]["id"], "decision": "allow_once"}),
    )
    .await
    .unwrap();
    let done = task_in(&mut c, "publish", "done").await;
    assert_eq!(done["id"], t["id"]);
    assert!(
        srv.workspace_of(&me).join("published").exists(),
        "the allowed command ran after the restart"
    );
    let rec = c
        .call_raw("task.record", json!({"id": t["id"]}))
        .await
        .unwrap();
    let runs: Vec<&Value> = rec["tool_runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["tool"] == "run_command")
        .collect();
    assert_eq!(runs.len(), 1, "it ran once: {runs:#?}");
    assert_eq!(runs[0]["decision"]["kind"], "allow_once");
    assert_ne!(runs[0]["status"], "awaiting_decision");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_output_is_cut_for_the_agent_and_kept_whole_with_its_run() {
    let s = completes(runs(Scenario::new(), "show the log", "cat big.log"));
    let fake = FakeLlm::start(s.api_key("sk-test")).await.unwrap();
    let srv = TestServer::multi_with_llm(&fake.base_url()).await;
    let mut alice = srv.client(&srv.user("alice")).await;
    let log: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
    alice
        .call_raw("fs.write", json!({"path": "big.log", "content": log}))
        .await
        .unwrap();
    alice
        .call_raw("task.create", json!({"title": "show the log"}))
        .await
        .unwrap();
    let done = task_in(&mut alice, "show the log", "done").await;
    let report = done["report"].as_str().unwrap();
    assert!(report.contains("bytes not shown"), "{}", &report[..200]);
    assert!(report.contains("line 0\n") && report.contains("line 19999"));
    assert!(
        report.len() < 40 * 1024,
        "the agent saw {} bytes",
        report.len()
    );
    let rec = alice
        .call_raw("task.record", json!({"id": done["id"]}))
        .await
        .unwrap();
    let run = rec["tool_runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["tool"] == "run_command")
        .unwrap()
        .clone();
    let want = format!("exit code 0\n{log}");
    assert_eq!(run["output_bytes"].as_u64(), Some(want.len() as u64));
    let mut whole = String::new();
    loop {
        let part = alice
            .call_raw(
                "toolrun.output",
                json!({"id": run["id"], "offset": whole.len(), "limit": 50_000}),
            )
            .await
            .unwrap();
        assert_eq!(part["total"].as_u64(), Some(want.len() as u64));
        let data = part["data"].as_str().unwrap();
        if data.is_empty() {
            break;
        }
        whole.push_str(data);
    }
    assert_eq!(whole, want, "the whole output comes back in pieces");
    let mut bob = srv.client(&srv.user("bob")).await;
    let e = bob
        .call_raw("toolrun.output", json!({"id": run["id"]}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(-32001), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_keeps_a_process_running_in_a_terminal_judged_like_a_command() {
    let ticker = "for i in 1 2 3 4 5 6 7 8; do echo tick-$i; sleep 0.2; done";
    let s = Scenario::new()
        .rule(
            Rule::when(
                Match::any()
                    .has_tool("terminal_start")
                    .turn(0)
                    .last_user_contains("watch"),
            )
            .reply(Reply::tool(
                "terminal_start",
                json!({"command": ticker, "wait_ms": 500}),
            )),
        )
        .rule(
            Rule::when(
                Match::any()
                    .has_tool("terminal_start")
                    .turn(0)
                    .last_user_contains("wipe"),
            )
            .reply(Reply::tool(
                "terminal_start",
                json!({"command": "rm -rf ."}),
            )),
        );
    let fake = FakeLlm::start(completes(s).api_key("sk-test"))
        .await
        .unwrap();
    let srv = TestServer::multi_with_llm(&fake.base_url()).await;
    let mut alice = srv.client(&srv.user("alice")).await;
    alice
        .call_raw("task.create", json!({"title": "watch the ticker"}))
        .await
        .unwrap();
    let done = task_in(&mut alice, "watch the ticker", "done").await;
    let report = done["report"].as_str().unwrap();
    assert!(
        report.contains("tick-1") && report.contains("still running"),
        "{report}"
    );
    let terms = alice.call_raw("terminal.list", json!({})).await.unwrap();
    let id = terms["terminals"][0]["id"].as_str().unwrap().to_owned();
    let mut out = String::new();
    for _ in 0..50 {
        out = alice
            .call_raw("terminal.read", json!({"id": id}))
            .await
            .unwrap()["data"]
            .as_str()
            .unwrap()
            .to_owned();
        if out.contains("tick-8") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(out.contains("tick-8"), "the process kept running: {out}");

    // What a terminal would run is judged like a command: High asks.
    alice
        .call_raw("task.create", json!({"title": "wipe everything"}))
        .await
        .unwrap();
    task_in(&mut alice, "wipe everything", "needs_confirm").await;
    let run = pending(&mut alice).await.remove(0);
    assert_eq!(
        (run["tool"].as_str(), run["risk"].as_str()),
        (Some("terminal_start"), Some("high"))
    );
}
