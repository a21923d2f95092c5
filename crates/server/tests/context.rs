//! The context engine through the real server: each user's index is built at session
//! start, follows saves, answers `index.search` / `index.symbols` with only that user's
//! files and memory, feeds the agents' `search` tool, and tasks keep the context they used.

mod common;

use arranger_client::Client;
use arranger_fake_llm::{FakeLlm, Match, Reply, Rule, Scenario};
use common::TestServer;
use serde_json::{Value, json};
use std::time::Duration;

/// Polls until `check` holds for `method`'s result (10 s at most).
async fn until(
    c: &mut Client,
    method: &str,
    params: Value,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..200 {
        last = c.call_raw(method, params.clone()).await.unwrap();
        if check(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{method} {params} never satisfied the check; last: {last:#}");
}

async fn ready(c: &mut Client, files: u64) -> Value {
    until(c, "index.status", json!({}), |s| {
        s["state"] == "ready" && s["files"].as_u64().unwrap_or(0) >= files
    })
    .await
}

async fn write(c: &mut Client, path: &str, content: &str) {
    c.call_raw(
        "fs.write",
        json!({"path": path, "content": content, "create_parents": true}),
    )
    .await
    .unwrap();
}

fn symbol_paths(r: &Value) -> Vec<String> {
    r["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap().to_owned())
        .collect()
}

const CONFIG_RS: &str = "\
use std::collections::HashMap;

/// Reads the configuration file: one `key = value` per line, `#` starts a comment.
pub fn parse_config(text: &str) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or(\"\").trim();
        if let Some((k, v)) = line.split_once('=') {
            map.insert(k.trim().to_owned(), v.trim().to_owned());
        }
    }
    map
}

pub struct Settings {
    pub retries: u32,
}

impl Settings {
    pub fn from_map(map: &HashMap<String, String>) -> Settings {
        let retries = map.get(\"retries\").and_then(|v| v.parse().ok()).unwrap_or(3);
        Settings { retries }
    }
}
";

const MAIN_RS: &str = "\
mod config;

fn main() {
    let text = std::fs::read_to_string(\"app.conf\").unwrap_or_default();
    let settings = config::Settings::from_map(&config::parse_config(&text));
    println!(\"{}\", settings.retries);
}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_finds_definitions_and_follows_saves_and_deletes() {
    let srv = TestServer::multi().await;
    let mut c = srv.client(&srv.user("alice")).await;
    write(&mut c, "src/config.rs", CONFIG_RS).await;
    write(&mut c, "src/main.rs", MAIN_RS).await;
    write(
        &mut c,
        "notes/README.md",
        "# Notes\n\nThe retry count comes from app.conf.\n",
    )
    .await;
    let status = ready(&mut c, 3).await;
    assert!(status["symbols"].as_u64().unwrap() >= 4, "{status:#}");
    assert!(status["chunks"].as_u64().unwrap() >= 3, "{status:#}");

    // "Definition of X": exact, prefix and fuzzy.
    let exact = c
        .call_raw("index.symbols", json!({"query": "parse_config"}))
        .await
        .unwrap();
    let first = &exact["symbols"][0];
    assert_eq!(first["path"], "src/config.rs", "{exact:#}");
    assert_eq!(first["kind"], "function");
    assert_eq!(first["start_line"], 4);
    assert!(
        first["signature"]
            .as_str()
            .unwrap()
            .contains("fn parse_config(text: &str)")
    );
    let method = c
        .call_raw(
            "index.symbols",
            json!({"query": "from_m", "match": "prefix"}),
        )
        .await
        .unwrap();
    assert_eq!(method["symbols"][0]["name"], "from_map", "{method:#}");
    assert_eq!(method["symbols"][0]["kind"], "method");
    assert_eq!(method["symbols"][0]["scope"], "Settings");
    let fuzzy = c
        .call_raw(
            "index.symbols",
            json!({"query": "prscfg", "match": "fuzzy"}),
        )
        .await
        .unwrap();
    assert_eq!(fuzzy["symbols"][0]["name"], "parse_config", "{fuzzy:#}");

    // Ranked search: words of the doc comment and the identifier's parts.
    let r = c
        .call_raw(
            "index.search",
            json!({"query": "where is the configuration file parsed"}),
        )
        .await
        .unwrap();
    let top = &r["snippets"][0];
    assert_eq!(top["path"], "src/config.rs", "{r:#}");
    assert!(
        top["text"].as_str().unwrap().contains("fn parse_config"),
        "{r:#}"
    );
    assert!(!top["reason"].as_str().unwrap().is_empty());
    assert!(r["tokens"].as_u64().unwrap() > 0);
    assert_eq!(r["partial"], false);

    // A save is searchable soon after (the watcher, then one index update).
    write(
        &mut c,
        "src/net.rs",
        "pub fn fetch_with_backoff(url: &str) -> Result<String, String> { Err(url.to_owned()) }\n",
    )
    .await;
    let found = until(
        &mut c,
        "index.symbols",
        json!({"query": "fetch_with_backoff"}),
        |r| symbol_paths(r) == ["src/net.rs"],
    )
    .await;
    assert_eq!(found["symbols"][0]["start_line"], 1);

    // An edit replaces the old definitions; a delete removes them.
    write(&mut c, "src/net.rs", "pub fn fetch_once(url: &str) {}\n").await;
    until(
        &mut c,
        "index.symbols",
        json!({"query": "fetch_with_backoff"}),
        |r| symbol_paths(r).is_empty(),
    )
    .await;
    until(
        &mut c,
        "index.symbols",
        json!({"query": "fetch_once"}),
        |r| symbol_paths(r) == ["src/net.rs"],
    )
    .await;
    c.call_raw("fs.delete", json!({"path": "src"}))
        .await
        .unwrap_err();
    c.call_raw("fs.delete", json!({"path": "src", "recursive": true}))
        .await
        .unwrap();
    until(
        &mut c,
        "index.symbols",
        json!({"query": "parse_config"}),
        |r| symbol_paths(r).is_empty(),
    )
    .await;
    let r = c
        .call_raw("index.search", json!({"query": "parse_config settings"}))
        .await
        .unwrap();
    assert!(
        r["snippets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| !s["path"].as_str().unwrap().starts_with("src/")),
        "deleted files are still found: {r:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_notifications_reach_the_status_bar() {
    let srv = TestServer::multi().await;
    let mut c = srv.client(&srv.user("alice")).await;
    write(
        &mut c,
        "lib.py",
        "def greet(name):\n    return f'hello {name}'\n",
    )
    .await;
    c.call_raw("events.subscribe", json!({"since": 0}))
        .await
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..100 {
        let (method, params) = c.next_notification().await.unwrap();
        if method == "index.status" {
            if params["state"] == "ready" && params["files"] == 1 {
                assert_eq!(params["languages"][0][0], "python", "{params:#}");
                return;
            }
            seen.push(params);
        }
    }
    panic!("no ready index.status notification; saw {seen:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_never_find_each_others_code_or_memory() {
    let srv = TestServer::multi().await;
    let mut alice = srv.client(&srv.user("alice")).await;
    let mut bob = srv.client(&srv.user("bob")).await;
    // The same file in both workspaces (parsed once, content-addressed) and one file each.
    write(&mut alice, "shared.rs", CONFIG_RS).await;
    write(&mut bob, "shared.rs", CONFIG_RS).await;
    write(
        &mut alice,
        "secret_alice.rs",
        "pub fn alice_quokka_ledger() {}\n",
    )
    .await;
    write(&mut bob, "mine.rs", "pub fn bob_wombat_ledger() {}\n").await;
    alice
        .call_raw(
            "blackboard.post",
            json!({"text": "remember the platypus rollout plan"}),
        )
        .await
        .unwrap();
    ready(&mut alice, 2).await;
    ready(&mut bob, 2).await;

    let own = until(
        &mut alice,
        "index.search",
        json!({"query": "platypus rollout"}),
        |r| {
            r["snippets"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s["source"] == "message"))
        },
    )
    .await;
    assert!(
        own["snippets"][0]["text"]
            .as_str()
            .unwrap()
            .contains("platypus")
    );

    for (query, method) in [
        ("alice_quokka_ledger", "index.symbols"),
        ("alice quokka ledger", "index.search"),
        ("platypus rollout plan", "index.search"),
    ] {
        let r = bob.call_raw(method, json!({"query": query})).await.unwrap();
        let text = r.to_string();
        assert!(
            !text.contains("quokka") && !text.contains("platypus"),
            "{method} leaked: {r:#}"
        );
    }
    let fuzzy = bob
        .call_raw(
            "index.symbols",
            json!({"query": "ledger", "match": "fuzzy"}),
        )
        .await
        .unwrap();
    assert_eq!(symbol_paths(&fuzzy), ["mine.rs"], "{fuzzy:#}");
    let shared = bob
        .call_raw("index.symbols", json!({"query": "parse_config"}))
        .await
        .unwrap();
    assert_eq!(symbol_paths(&shared), ["shared.rs"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_index_requests_get_clear_errors() {
    let srv = TestServer::multi().await;
    let mut c = srv.client(&srv.user("alice")).await;
    for (method, params, needle) in [
        ("index.search", json!({"query": "   "}), "empty"),
        ("index.search", json!({"query": "x".repeat(5000)}), "4096"),
        ("index.search", json!({"query": "a", "bogus": 1}), "bogus"),
        ("index.search", json!({"k": 3}), "query"),
        ("index.symbols", json!({"query": ""}), "symbol name"),
        (
            "index.symbols",
            json!({"query": "a", "match": "regex"}),
            "expected one of",
        ),
    ] {
        let e = c.call_raw(method, params.clone()).await.unwrap_err();
        assert_eq!(e.code(), Some(-32602), "{method} {params}: {e}");
        assert!(e.to_string().contains(needle), "{method} {params}: {e}");
    }
    // The connection still works.
    c.call_raw("index.status", json!({})).await.unwrap();
}

fn worker_on(title: &str) -> Match {
    Match::any()
        .system_contains(format!("Your task: {title}"))
        .has_tool("complete_task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_search_through_the_index_and_tasks_keep_their_context() {
    let scenario = Scenario::new()
        // First task: the worker searches (ranked), finds the config code, completes.
        .rule(Rule::when(worker_on("Add retries").turn(0)).reply(Reply::tool(
            "search",
            json!({"query": "where is the configuration parsed"}),
        )))
        .rule(Rule::when(worker_on("Add retries").turn(1)).reply(Reply::tool(
            "find_symbol",
            json!({"name": "from_map"}),
        )))
        .rule(Rule::when(worker_on("Add retries").turn(2)).reply(Reply::tool(
            "complete_task",
            json!({"summary": "Settings::from_map reads the retries key; the default of 3 lives in src/config.rs"}),
        )))
        // Second task: completes at once; its first instruction must cite the first.
        .rule(Rule::when(worker_on("Make the retries default configurable").turn(0)).reply(
            Reply::tool("complete_task", json!({"summary": "done"})),
        ));
    let fake = FakeLlm::start(scenario.api_key("sk-test")).await.unwrap();
    let srv = TestServer::multi_with_llm(&fake.base_url()).await;
    let mut c = srv.client(&srv.user("alice")).await;
    write(&mut c, "src/config.rs", CONFIG_RS).await;
    write(&mut c, "src/main.rs", MAIN_RS).await;
    ready(&mut c, 2).await;

    let first = c
        .call_raw(
            "task.create",
            json!({"title": "Add retries", "description": "Retry failed fetches."}),
        )
        .await
        .unwrap();
    let first_id = first["id"].as_str().unwrap().to_owned();
    let done = |t: &Value| t["task"]["status"] == "done";
    let t1 = until(&mut c, "task.get", json!({"id": first_id}), done).await;
    let refs = t1["task"]["context_refs"].as_array().unwrap().clone();
    assert!(
        refs.iter()
            .any(|r| r["path"] == "src/config.rs" && r["start_line"].is_u64()),
        "the search's snippets are recorded: {refs:#?}"
    );
    assert!(
        refs.iter().any(|r| r["reason"] == "defines `from_map`"),
        "find_symbol's definition is recorded: {refs:#?}"
    );
    let record = c
        .call_raw("task.record", json!({"id": first_id}))
        .await
        .unwrap();
    let search_result = record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "tool_result" && s["tool"] == "search")
        .unwrap_or_else(|| panic!("no search result in {record:#}"));
    let out = search_result["output"].as_str().unwrap();
    assert!(
        out.contains("src/config.rs:") && out.contains("fn parse_config"),
        "{out}"
    );

    // The second task's first instruction cites the first task (memory across tasks),
    // once the first task's report is in the index.
    let memory_id = format!("task:{first_id}");
    until(
        &mut c,
        "index.search",
        json!({"query": "retries key default"}),
        |r| {
            r["snippets"].as_array().is_some_and(|s| {
                s.iter().any(|s| {
                    s["path"] == memory_id && s["text"].as_str().unwrap_or("").contains("Report")
                })
            })
        },
    )
    .await;
    let second = c
        .call_raw(
            "task.create",
            json!({"title": "Make the retries default configurable", "description": "The default of 3 retries should come from the config."}),
        )
        .await
        .unwrap();
    let second_id = second["id"].as_str().unwrap().to_owned();
    let t2 = until(&mut c, "task.get", json!({"id": second_id}), done).await;
    let refs = t2["task"]["context_refs"].as_array().unwrap();
    assert!(
        refs.iter().any(|r| r["path"] == format!("task:{first_id}")),
        "the earlier task is cited: {refs:#?}"
    );
    assert!(
        refs.iter()
            .all(|r| r["path"] != format!("task:{second_id}")),
        "a task does not cite itself: {refs:#?}"
    );
    let record = c
        .call_raw("task.record", json!({"id": second_id}))
        .await
        .unwrap();
    let instruction = record["steps"][0]["text"].as_str().unwrap();
    assert!(
        instruction.contains("Context the workspace index found")
            && instruction.contains("Settings::from_map reads the retries key"),
        "{instruction}"
    );
}
