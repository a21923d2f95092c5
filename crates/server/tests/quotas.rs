//! Quotas, budgets, permissions and the audit log against a real server: each limit an
//! admin sets holds on its paths at once, says which limit and when it resets, touches
//! only that user, and is on record; members cannot reach any of it.

mod common;

use arranger_client::{Client, ClientError};
use arranger_fake_llm::{FakeLlm, Match, Reply, Rule, Scenario};
use arranger_protocol::codes;
use arranger_store::UserDirectory;
use common::TestServer;
use serde_json::{Value, json};
use std::time::Duration;

/// The JSON-RPC error of a call that must fail: code, message and data.
async fn fails(c: &mut Client, method: &str, params: Value) -> (i64, String, Value) {
    match c.call_raw(method, params.clone()).await {
        Err(ClientError::Rpc(e)) => (e.code, e.message, e.data.unwrap_or(Value::Null)),
        other => panic!("{method} {params} should fail, got {other:?}"),
    }
}

/// Adds an admin and returns a client for them.
async fn admin(srv: &TestServer) -> Client {
    srv.dir
        .as_ref()
        .expect("multi-user server")
        .add_user("root", true, Some("a good long password"))
        .unwrap();
    srv.client(&srv.token("root")).await
}

async fn set_limits(root: &mut Client, user: &str, limits: Value) {
    root.call_raw("admin.limits.set", json!({"user": user, "limits": limits}))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_quota_holds_for_uploads_and_processes_and_says_what_to_do() {
    let srv = TestServer::multi().await;
    let mut root = admin(&srv).await;
    let mut ada = srv.client(&srv.user("ada")).await;
    let mut bob = srv.client(&srv.user("bob")).await;
    set_limits(&mut root, "ada", json!({"quotas": {"storage_bytes": 1000}})).await;

    let write = |path: &str, n: usize| json!({"path": path, "content": "x".repeat(n)});
    ada.call_raw("fs.write", write("a.txt", 600)).await.unwrap();
    let (code, message, data) = fails(&mut ada, "fs.write", write("b.txt", 600)).await;
    assert_eq!(code, codes::QUOTA_EXCEEDED, "{message}");
    assert_eq!(data["limit"], "storage_bytes");
    assert_eq!(data["max"], 1000.0);
    assert!(
        message.contains("storage limit") && message.contains("delete files"),
        "{message}"
    );
    // Nothing half-written.
    let (code, ..) = fails(&mut ada, "fs.stat", json!({"path": "b.txt"})).await;
    assert_eq!(code, codes::NOT_FOUND);
    // Shrinking and rewriting within the quota still work.
    ada.call_raw("fs.write", write("a.txt", 100)).await.unwrap();
    ada.call_raw("fs.write", write("b.txt", 800)).await.unwrap();
    // Bob has no quota.
    bob.call_raw("fs.write", write("big.txt", 5000))
        .await
        .unwrap();

    let q = ada.call_raw("quota.get", json!({})).await.unwrap();
    assert_eq!(q["limits"]["quotas"]["storage_bytes"], 1000);
    assert_eq!(q["usage"]["storage_bytes"], 900);

    // A process started now may write at most what is left (100 bytes) into one file.
    let t = ada
        .call_raw("terminal.create", json!({"cols": 80, "rows": 24}))
        .await;
    if let Ok(t) = t {
        ada.call_raw(
            "terminal.input",
            json!({"id": t["id"], "data": "head -c 5000 /dev/zero > c.bin; echo done-$((40+2))\n"}),
        )
        .await
        .unwrap();
        let mut out = String::new();
        for _ in 0..100 {
            let r = ada
                .call_raw("terminal.read", json!({"id": t["id"]}))
                .await
                .unwrap();
            out = r["data"].as_str().unwrap_or_default().to_owned();
            if out.contains("done-42") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(out.contains("done-42"), "{out}");
        let size = ada
            .call_raw("fs.stat", json!({"path": "c.bin"}))
            .await
            .unwrap()["size"]
            .as_u64()
            .unwrap();
        assert!(size <= 100, "a terminal wrote {size} bytes past the quota");
        ada.call_raw("terminal.close", json!({"id": t["id"]}))
            .await
            .unwrap();
    } else if let Err(ClientError::Rpc(e)) = t {
        // Processes need Landlock in multi-user mode; nothing else may have failed.
        assert_eq!(e.code, codes::UNAVAILABLE, "{}", e.message);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminal_and_mcp_limits_and_permissions_apply_at_once_to_that_user_only() {
    let srv = TestServer::multi().await;
    let mut root = admin(&srv).await;
    let mut ada = srv.client(&srv.user("ada")).await;
    let mut bob = srv.client(&srv.user("bob")).await;
    set_limits(&mut root, "ada", json!({"quotas": {"terminals": 1}})).await;
    if ada
        .call_raw("terminal.create", json!({"cols": 80, "rows": 24}))
        .await
        .is_ok()
    {
        let (code, message, data) =
            fails(&mut ada, "terminal.create", json!({"cols": 80, "rows": 24})).await;
        assert_eq!(code, codes::QUOTA_EXCEEDED, "{message}");
        assert_eq!(data["limit"], "terminals");
        assert!(message.contains("1 of 1 open"), "{message}");
        // Bob is not limited by Ada's quota.
        bob.call_raw("terminal.create", json!({"cols": 80, "rows": 24}))
            .await
            .unwrap();
        bob.call_raw("terminal.create", json!({"cols": 80, "rows": 24}))
            .await
            .unwrap();
    }

    set_limits(
        &mut root,
        "ada",
        json!({"permissions": {"terminals": false, "mcp": false}}),
    )
    .await;
    let (code, message, _) =
        fails(&mut ada, "terminal.create", json!({"cols": 80, "rows": 24})).await;
    assert_eq!(code, codes::FORBIDDEN, "{message}");
    assert!(message.contains("terminals"), "{message}");
    let spec = json!({"name": "files", "transport": {"type": "stdio", "command": "true"}});
    let (code, message, _) = fails(&mut ada, "mcp.add", json!({"spec": spec})).await;
    assert_eq!(code, codes::FORBIDDEN, "{message}");
    assert!(message.contains("mcp"), "{message}");
    let q = ada.call_raw("quota.get", json!({})).await.unwrap();
    assert_eq!(q["limits"]["permissions"]["terminals"], false);

    // The server's defaults reach everyone without an override; Ada's override wins.
    root.call_raw(
        "admin.limits.set",
        json!({"limits": {"quotas": {"terminals": 0}, "permissions": {"terminals": true}}}),
    )
    .await
    .unwrap();
    let (code, _, data) = fails(&mut bob, "terminal.create", json!({"cols": 80, "rows": 24})).await;
    assert_eq!(code, codes::QUOTA_EXCEEDED);
    assert_eq!(data["max"], 0.0);
    let (code, ..) = fails(&mut ada, "terminal.create", json!({"cols": 80, "rows": 24})).await;
    assert_eq!(code, codes::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_request_rate_is_their_own() {
    let srv = TestServer::multi().await;
    let mut root = admin(&srv).await;
    let mut ada = srv.client(&srv.user("ada")).await;
    let mut bob = srv.client(&srv.user("bob")).await;
    set_limits(
        &mut root,
        "ada",
        json!({"quotas": {"requests_per_second": 1}}),
    )
    .await;
    let mut limited = None;
    for _ in 0..5 {
        if let Err(ClientError::Rpc(e)) = ada.call_raw("server.info", json!({})).await {
            limited = Some(e);
            break;
        }
    }
    let e = limited.expect("five requests at once passed a limit of 1 per second");
    assert_eq!(e.code, codes::RATE_LIMITED, "{}", e.message);
    for _ in 0..20 {
        bob.call_raw("server.info", json!({})).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_cannot_read_or_change_limits_or_the_audit_log() {
    let srv = TestServer::multi().await;
    let _root = admin(&srv).await;
    let mut ada = srv.client(&srv.user("ada")).await;
    for (method, params) in [
        ("admin.limits.get", json!({})),
        (
            "admin.limits.set",
            json!({"user": "ada", "limits": {"quotas": {"storage_bytes": 1}}}),
        ),
        ("admin.audit.list", json!({})),
    ] {
        let (code, message, _) = fails(&mut ada, method, params).await;
        assert_eq!(code, codes::FORBIDDEN, "{method}: {message}");
    }
    // Their own limits are theirs to read.
    let q = ada.call_raw("quota.get", json!({})).await.unwrap();
    assert_eq!(q["usage"]["storage_bytes"], 0);
}

fn worker() -> Match {
    Match::any().has_tool("complete_task")
}

/// Polls `task.list` until the task has `status`.
async fn task_in(c: &mut Client, status: &str) -> Value {
    for _ in 0..300 {
        let tasks = c.call_raw("task.list", json!({})).await.unwrap()["tasks"].clone();
        if let Some(t) = tasks
            .as_array()
            .and_then(|a| a.iter().find(|t| t["status"] == status))
        {
            return t.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let tasks = c.call_raw("task.list", json!({})).await.unwrap();
    panic!("no task became {status}: {tasks:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_token_budget_blocks_the_task_before_the_call_and_is_on_record() {
    // Every worker turn costs 1,000 tokens; each writes a file until told it is done.
    let scenario = Scenario::new()
        .rule(Rule::when(worker().turn(0)).reply(
            Reply::tool("write_file", json!({"path": "one.txt", "content": "1"})).usage(900, 100),
        ))
        .rule(Rule::when(worker().turn(1)).reply(
            Reply::tool("write_file", json!({"path": "two.txt", "content": "2"})).usage(900, 100),
        ))
        .rule(
            Rule::when(worker()).reply(
                Reply::tool("complete_task", json!({"summary": "wrote both"})).usage(900, 100),
            ),
        )
        .default_reply(Reply::text("ok"));
    let fake = FakeLlm::start(scenario).await.unwrap();
    let srv = TestServer::multi_with_llm(&fake.base_url()).await;
    let mut root = admin(&srv).await;
    let mut carol = srv.client(&srv.user("carol")).await;
    let mut dave = srv.client(&srv.user("dave")).await;
    set_limits(
        &mut root,
        "carol",
        json!({"quotas": {"tokens_per_day": 1500}}),
    )
    .await;

    carol
        .call_raw(
            "task.create",
            json!({"title": "write two files", "scene": "coding"}),
        )
        .await
        .unwrap();
    let t = task_in(&mut carol, "blocked").await;
    let got = carol
        .call_raw("task.get", json!({"id": t["id"]}))
        .await
        .unwrap();
    let reason = got["history"]
        .as_array()
        .and_then(|h| h.last())
        .map(|h| h["reason"].to_string())
        .unwrap_or_default();
    assert!(reason.contains("daily LLM token limit"), "{got:#}");
    assert!(reason.contains("resets at"), "{got:#}");
    // Two turns were sent (1,000 then 2,000 tokens); the third was refused before sending.
    assert_eq!(fake.request_count(), 2, "a call went out past the budget");
    assert_eq!(t["usage"]["input_tokens"], 1800);
    let q = carol.call_raw("quota.get", json!({})).await.unwrap();
    assert_eq!(q["usage"]["today"]["tokens"], 2000);
    assert!(q["usage"]["day_resets_at"].as_i64().unwrap() > arranger_store::now_ms());

    // Dave's work is not affected.
    dave.call_raw(
        "task.create",
        json!({"title": "write two files", "scene": "coding"}),
    )
    .await
    .unwrap();
    task_in(&mut dave, "done").await;

    // An admin raises Carol's limit; her task goes on from where it stopped.
    set_limits(
        &mut root,
        "carol",
        json!({"quotas": {"tokens_per_day": 100000}}),
    )
    .await;
    carol
        .call_raw("task.retry", json!({"id": t["id"]}))
        .await
        .unwrap();
    let done = task_in(&mut carol, "done").await;
    assert_eq!(done["report"], "wrote both");

    // The admin sees her spending and the changes are on record.
    let l = root
        .call_raw("admin.limits.get", json!({"user": "carol"}))
        .await
        .unwrap();
    assert_eq!(l["user"]["overrides"]["quotas"]["tokens_per_day"], 100000);
    assert!(
        l["user"]["today"]["tokens"].as_u64().unwrap() >= 3000,
        "{l:#}"
    );
    assert!(
        l["server_today"]["tokens"].as_u64().unwrap() >= 6000,
        "{l:#}"
    );
    let log = root
        .call_raw("admin.audit.list", json!({"action": "limits."}))
        .await
        .unwrap();
    let records = log["records"].as_array().unwrap();
    assert_eq!(records.len(), 2, "{log:#}");
    assert_eq!(records[0]["actor"], "root");
    assert_eq!(records[0]["target"], "carol");
    assert_eq!(records[0]["detail"]["quotas"]["tokens_per_day"], 100000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_meet_the_storage_quota_and_see_why_and_tasks_wait_their_turn() {
    // Worker turn 0 writes 5,000 bytes; when told why that failed it writes less and
    // completes. Every turn takes 150 ms, so two tasks would overlap if allowed.
    let scenario = Scenario::new()
        .rule(
            Rule::when(worker().last_tool_result_contains("storage limit is reached"))
                .reply(Reply::tool(
                    "write_file",
                    json!({"path": "small.txt", "content": "ok"}),
                ))
                .first_byte_delay_ms(150),
        )
        .rule(
            Rule::when(worker().turn(0))
                .reply(Reply::tool(
                    "write_file",
                    json!({"path": "big.txt", "content": "x".repeat(5000)}),
                ))
                .first_byte_delay_ms(150),
        )
        .rule(
            Rule::when(worker())
                .reply(Reply::tool(
                    "complete_task",
                    json!({"summary": "kept it small"}),
                ))
                .first_byte_delay_ms(150),
        )
        .default_reply(Reply::text("ok"));
    let fake = FakeLlm::start(scenario).await.unwrap();
    let srv = TestServer::multi_with_llm(&fake.base_url()).await;
    let mut root = admin(&srv).await;
    let mut erin = srv.client(&srv.user("erin")).await;
    set_limits(
        &mut root,
        "erin",
        json!({"quotas": {"storage_bytes": 1000, "concurrent_tasks": 1}}),
    )
    .await;
    for title in ["first", "second"] {
        erin.call_raw("task.create", json!({"title": title, "scene": "coding"}))
            .await
            .unwrap();
    }
    // Never two tasks at work at once; both end done.
    let mut most = 0;
    for _ in 0..400 {
        let tasks = erin.call_raw("task.list", json!({})).await.unwrap()["tasks"].clone();
        let list = tasks.as_array().unwrap();
        let working = list
            .iter()
            .filter(|t| matches!(t["status"].as_str(), Some("active" | "finalizing")))
            .count();
        most = most.max(working);
        if list.iter().all(|t| t["status"] == "done") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(most, 1, "the concurrent-task quota of 1 was passed");
    let tasks = erin.call_raw("task.list", json!({})).await.unwrap();
    assert!(
        tasks["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "done"),
        "{tasks:#}"
    );
    // The big write never landed; the agent was told why (the fake saw the message).
    let (code, ..) = fails(&mut erin, "fs.stat", json!({"path": "big.txt"})).await;
    assert_eq!(code, codes::NOT_FOUND);
    let told = fake
        .requests()
        .iter()
        .any(|r| r.body.to_string().contains("storage limit is reached"));
    assert!(told, "the agent never saw the quota message");
}
