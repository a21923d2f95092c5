//! The coding team end to end, against the fake LLM server speaking the real OpenAI wire
//! format: requests become tasks that change files and end Done; failures are reassigned;
//! assists round-trip; many users' teams never mix.

mod common;

use arranger_client::Client;
use arranger_fake_llm::{FakeLlm, Match, Reply, Rule, Scenario};
use common::TestServer;
use serde_json::{Value, json};
use std::time::Duration;

/// Polls `task.list` until every task is settled (Done or Failed) and there are `n`.
async fn settled_tasks(c: &mut Client, n: usize) -> Vec<Value> {
    for _ in 0..300 {
        let tasks = c.call_raw("task.list", json!({})).await.unwrap()["tasks"]
            .as_array()
            .unwrap()
            .clone();
        if tasks.len() >= n
            && tasks
                .iter()
                .all(|t| t["status"] == "done" || t["status"] == "failed")
        {
            return tasks;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let tasks = c.call_raw("task.list", json!({})).await.unwrap();
    panic!("tasks did not settle: {tasks:#}");
}

fn worker(name: &str) -> Match {
    Match::any()
        .system_contains(format!("You are {name}, a member"))
        .has_tool("complete_task")
}

fn manager() -> Match {
    Match::any().has_tool("create_task").has_tool("cancel_task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_becomes_two_tasks_that_change_files_and_end_done() {
    let scenario = Scenario::new()
        .rule(Rule::when(manager().turn(0)).reply(
            Reply::tool(
                "create_task",
                json!({"title": "Validate login input", "description": "Reject empty user names in src/login.rs.",
                       "scene": "coding", "tags": ["rust"]}),
            )
            .and_tool(
                "create_task",
                json!({"title": "Test login validation", "description": "Add tests/login.rs.",
                       "scene": "testing", "tags": ["tests"]}),
            ),
        ))
        .rule(Rule::when(manager().turn(1)).reply(Reply::tool("reply", json!({"text": "Two tasks are on the board."}))))
        .rule(Rule::when(worker("Coder").turn(0)).reply(
            Reply::tool("write_file", json!({"path": "src/login.rs", "content": "pub fn valid(u: &str) -> bool { !u.is_empty() }\n"}))
                .reasoning("Empty names must be refused."),
        ))
        .rule(Rule::when(worker("Coder").turn(1)).reply(Reply::tool("complete_task", json!({"summary": "src/login.rs refuses empty names"}))))
        .rule(Rule::when(worker("Tester").turn(0)).reply(Reply::tool(
            "write_file",
            json!({"path": "tests/login.rs", "content": "#[test] fn empty() { assert!(!valid(\"\")); }\n"}),
        )))
        .rule(Rule::when(worker("Tester").turn(1)).reply(Reply::tool("complete_task", json!({"summary": "tests/login.rs covers the empty name"}))));
    let fake = FakeLlm::start(scenario.api_key("sk-test")).await.unwrap();
    let srv = TestServer::multi_with_llm(&fake.base_url()).await;
    let token = srv.user("alice");
    let mut c = srv.client(&token).await;
    let me = c.call_raw("server.info", json!({})).await.unwrap()["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let team = c.call_raw("agent.list", json!({})).await.unwrap();
    assert_eq!(
        team["agents"].as_array().unwrap().len(),
        4,
        "the default team: {team}"
    );

    c.call_raw(
        "blackboard.post",
        json!({"text": "add input validation to the login handler and test it"}),
    )
    .await
    .unwrap();
    let tasks = settled_tasks(&mut c, 2).await;
    assert!(tasks.iter().all(|t| t["status"] == "done"), "{tasks:#?}");
    let ws = srv.workspace_of(&me);
    assert!(
        std::fs::read_to_string(ws.join("src/login.rs"))
            .unwrap()
            .contains("is_empty")
    );
    assert!(
        std::fs::read_to_string(ws.join("tests/login.rs"))
            .unwrap()
            .contains("#[test]")
    );

    let coding = tasks
        .iter()
        .find(|t| t["title"] == "Validate login input")
        .unwrap();
    assert_eq!(coding["report"], "src/login.rs refuses empty names");
    assert_eq!(
        coding["assignee"], "coder",
        "scene and tags choose the Coder"
    );
    let best = &coding["scores"][0];
    assert_eq!(best["agent"], "coder");
    assert!(best["total"].as_f64().unwrap() > coding["scores"][1]["total"].as_f64().unwrap());
    let testing = tasks
        .iter()
        .find(|t| t["title"] == "Test login validation")
        .unwrap();
    assert_eq!(testing["assignee"], "tester");

    // The record: instruction, model turns with reasoning, tool results; tool runs audited.
    let rec = c
        .call_raw("task.record", json!({"id": coding["id"]}))
        .await
        .unwrap();
    let kinds: Vec<&str> = rec["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "instruction",
            "assistant",
            "tool_result",
            "assistant",
            "tool_result"
        ]
    );
    assert_eq!(rec["steps"][1]["reasoning"], "Empty names must be refused.");
    let runs = rec["tool_runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["tool"], "write_file");
    assert_eq!(runs[0]["status"], "ok");

    // The Blackboard tells the story: broadcasts for assignments and completions, the reply.
    let h = c
        .call_raw("blackboard.history", json!({"limit": 100}))
        .await
        .unwrap();
    let texts: Vec<String> = h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("Assigned **Validate login input** to Coder — score")),
        "{texts:#?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("Done: **Test login validation** (Tester)")),
        "{texts:#?}"
    );
    assert!(
        texts.iter().any(|t| t == "Two tasks are on the board."),
        "{texts:#?}"
    );
    // Broadcasts also say what they say as data, for clients in other languages.
    let done = h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["notice"]["kind"] == "done" && m["notice"]["agent"] == "Tester")
        .unwrap_or_else(|| panic!("no done notice: {h:#}"));
    assert_eq!(done["notice"]["title"], "Test login validation");
    assert_eq!(
        done["notice"]["report"],
        "tests/login.rs covers the empty name"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_agent_hands_its_task_to_a_different_one() {
    // The Coder never finishes (it only talks); the Tester does.
    let scenario = Scenario::new()
        .rule(Rule::when(worker("Coder")).reply(Reply::text("I am thinking about it.")))
        .rule(Rule::when(worker("Tester").turn(0)).reply(Reply::tool(
            "write_file",
            json!({"path": "fix.txt", "content": "fixed"}),
        )))
        .rule(
            Rule::when(worker("Tester"))
                .reply(Reply::tool("complete_task", json!({"summary": "fixed it"}))),
        )
        .default_reply(Reply::text("ok"));
    let fake = FakeLlm::start(scenario).await.unwrap();
    let srv = TestServer::multi_with_llm(&fake.base_url()).await;
    let mut c = srv.client(&srv.user("bob")).await;
    // Coding first (the Coder), then, with the Coder out, the best of the rest on tags.
    c.call_raw(
        "task.create",
        json!({"title": "fix the bug", "description": "in the parser", "scene": "coding", "tags": ["debug"]}),
    )
    .await
    .unwrap();
    let tasks = settled_tasks(&mut c, 1).await;
    let t = &tasks[0];
    assert_eq!(t["status"], "done", "{t:#}");
    assert_eq!(t["assignee"], "tester");
    assert_eq!(t["attempts"], 2);
    let got = c
        .call_raw("task.get", json!({"id": t["id"]}))
        .await
        .unwrap();
    let path: Vec<&str> = got["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap())
        .collect();
    assert_eq!(
        path,
        ["active", "reassigning", "active", "finalizing", "done"]
    );
    let agents = c.call_raw("agent.list", json!({})).await.unwrap();
    let coder = agents["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "coder")
        .unwrap()
        .clone();
    assert_eq!(coder["failures"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assist_round_trips_into_the_requesters_record() {
    let scenario = Scenario::new()
        .rule(
            Rule::when(Match::any().last_user_contains("asks for your help")).reply(Reply::tool(
                "complete_task",
                json!({"summary": "Use cargo test --test login"}),
            )),
        )
        .rule(Rule::when(worker("Coder").turn(0)).reply(Reply::tool(
            "request_assist",
            json!({"question": "how do I run the login tests?"}),
        )))
        .rule(
            Rule::when(worker("Coder").last_tool_result_contains("cargo test --test login")).reply(
                Reply::tool(
                    "complete_task",
                    json!({"summary": "ran the login tests as advised"}),
                ),
            ),
        )
        .default_reply(Reply::text("unexpected"));
    let fake = FakeLlm::start(scenario).await.unwrap();
    let srv = TestServer::multi_with_llm(&fake.base_url()).await;
    let mut c = srv.client(&srv.user("carol")).await;
    c.call_raw("task.create", json!({"title": "run the login tests"}))
        .await
        .unwrap();
    let tasks = settled_tasks(&mut c, 1).await;
    let t = &tasks[0];
    assert_eq!(t["status"], "done", "{t:#}");
    assert_eq!(t["report"], "ran the login tests as advised");
    let rec = c
        .call_raw("task.record", json!({"id": t["id"]}))
        .await
        .unwrap();
    let assists = rec["assists"].as_array().unwrap();
    assert_eq!(assists.len(), 1);
    assert_eq!(assists[0]["status"], "done");
    assert_ne!(assists[0]["helper"], "coder");
    assert!(
        assists[0]["summary"]
            .as_str()
            .unwrap()
            .contains("cargo test --test login")
    );
    assert!(!rec["assist_steps"].as_array().unwrap().is_empty());
    let result = rec["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["tool"] == "request_assist")
        .unwrap();
    assert!(
        result["output"].as_str().unwrap().contains("answers"),
        "{result}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_users_teams_work_at_once_and_never_mix() {
    // Each worker writes a file named after its task title, with the task's text in it.
    let scenario = Scenario::new()
        .rule(
            Rule::when(Match::any().has_tool("complete_task").turn(0)).reply(Reply::tool(
                "write_file",
                json!({"path": "owner.txt", "content": "{{last_user}}"}),
            )),
        )
        .rule(
            Rule::when(Match::any().has_tool("complete_task")).reply(Reply::tool(
                "complete_task",
                json!({"summary": "wrote owner.txt"}),
            )),
        )
        .default_reply(Reply::text("ok"));
    let fake = FakeLlm::start(scenario).await.unwrap();
    let srv = TestServer::multi_with_llm(&fake.base_url()).await;
    let n = 50;
    let mut users = Vec::new();
    for i in 0..n {
        let token = srv.user(&format!("user{i}"));
        let mut c = srv.client(&token).await;
        let id = c.call_raw("server.info", json!({})).await.unwrap()["user"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        users.push((i, id, c));
    }
    for (i, _, c) in users.iter_mut() {
        c.call_raw(
            "blackboard.post",
            json!({"text": format!("/task secret of user{i}")}),
        )
        .await
        .unwrap();
    }
    for (i, id, c) in users.iter_mut() {
        let tasks = settled_tasks(c, 1).await;
        assert_eq!(tasks.len(), 1, "user{i} sees only their own task");
        assert_eq!(tasks[0]["status"], "done");
        let content = std::fs::read_to_string(srv.workspace_of(id).join("owner.txt")).unwrap();
        assert_eq!(
            content,
            format!("secret of user{i}"),
            "user{i}'s workspace got another user's work"
        );
        let events = c
            .call_raw("events.list", json!({"limit": 1000}))
            .await
            .unwrap()
            .to_string();
        for j in 0..n {
            if j != *i {
                assert!(
                    !events.contains(&format!("secret of user{j}\"")),
                    "user{i} saw user{j}'s events"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_storms_and_cut_streams_lose_no_task() {
    let scenario = Scenario::new()
        .rule(
            Rule::any()
                .named("429 storm")
                .status(429)
                .retry_after_secs(1)
                .times(4),
        )
        .rule(
            Rule::when(Match::any().has_tool("complete_task"))
                .named("cut")
                .reply(Reply::text("partial answer that gets cut"))
                .cut_after_chunks(2)
                .times(3),
        )
        .rule(
            Rule::when(Match::any().has_tool("complete_task").turn(0)).reply(Reply::tool(
                "write_file",
                json!({"path": "{{last_user}}.txt", "content": "ok"}),
            )),
        )
        .rule(
            Rule::when(Match::any().has_tool("complete_task"))
                .reply(Reply::tool("complete_task", json!({"summary": "done"}))),
        )
        .default_reply(Reply::text("ok"));
    let fake = FakeLlm::start(scenario).await.unwrap();
    let srv = TestServer::multi_with_llm(&fake.base_url()).await;
    let token = srv.user("dave");
    let mut c = srv.client(&token).await;
    let status = c.call_raw("llm.status", json!({})).await.unwrap();
    assert_eq!(status["configured"], true);
    assert_eq!(status["providers"][0]["provider"], "default");
    for name in ["one", "two", "three"] {
        c.call_raw("task.create", json!({"title": name}))
            .await
            .unwrap();
    }
    let tasks = settled_tasks(&mut c, 3).await;
    assert!(tasks.iter().all(|t| t["status"] == "done"), "{tasks:#?}");
    let me = c.call_raw("server.info", json!({})).await.unwrap()["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for name in ["one", "two", "three"] {
        assert!(
            srv.workspace_of(&me).join(format!("{name}.txt")).exists(),
            "{name}.txt missing"
        );
    }
    // The faults really happened.
    let answered: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| format!("{:?}", r.answer))
        .collect();
    assert!(
        answered.iter().filter(|a| a.contains("429 storm")).count() >= 4,
        "{answered:?}"
    );
    assert!(answered.iter().any(|a| a.contains("cut")), "{answered:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_to_one_chat_and_mentions_reach_the_named_agent() {
    let scenario = Scenario::new()
        // 1:1 chat with the Reviewer: it reads a file, then answers.
        .rule(
            Rule::when(
                Match::any()
                    .system_contains("talking with you directly")
                    .turn(0),
            )
            .reply(Reply::tool("read_file", json!({"path": "notes.md"}))),
        )
        .rule(
            Rule::when(Match::any().system_contains("talking with you directly"))
                .reply(Reply::text("The notes say: {{last_tool_result}}")),
        )
        // @Tester on the board: the Tester answers itself, not the Manager.
        .rule(
            Rule::when(
                Match::any()
                    .system_contains("You are Tester")
                    .has_tool("reply"),
            )
            .reply(Reply::tool(
                "reply",
                json!({"text": "Tester here: the suite is green."}),
            )),
        )
        .default_reply(Reply::text("unexpected"));
    let fake = FakeLlm::start(scenario).await.unwrap();
    let srv = TestServer::multi_with_llm(&fake.base_url()).await;
    let mut c = srv.client(&srv.user("erin")).await;
    c.call_raw(
        "fs.write",
        json!({"path": "notes.md", "content": "ship on Friday"}),
    )
    .await
    .unwrap();
    let r = c
        .call_raw(
            "agent.chat",
            json!({"agent": "Reviewer", "text": "what do the notes say?"}),
        )
        .await
        .unwrap();
    assert_eq!(r["reply"], "The notes say: ship on Friday");
    // The chat is on record: the user's message, the tool call and its result, the answer.
    let h = c
        .call_raw("agent.history", json!({"agent": "reviewer"}))
        .await
        .unwrap();
    let kinds: Vec<&str> = h["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["instruction", "assistant", "tool_result", "assistant"],
        "{h}"
    );
    assert_eq!(h["steps"][0]["text"], "what do the notes say?");
    assert_eq!(h["has_more"], false);
    let newest = c
        .call_raw("agent.history", json!({"agent": "Reviewer", "limit": 1}))
        .await
        .unwrap();
    assert_eq!(newest["steps"][0]["text"], "The notes say: ship on Friday");
    assert_eq!(newest["has_more"], true);
    // Another user's chat with their own Reviewer is empty: nothing crosses users.
    let mut other = srv.client(&srv.user("frank")).await;
    let theirs = other
        .call_raw("agent.history", json!({"agent": "Reviewer"}))
        .await
        .unwrap();
    assert_eq!(theirs["steps"].as_array().unwrap().len(), 0);
    let e = c
        .call_raw("agent.history", json!({"agent": "Nobody"}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(arranger_protocol::codes::NOT_FOUND));
    let e = c
        .call_raw("agent.chat", json!({"agent": "Nobody", "text": "hi"}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(arranger_protocol::codes::NOT_FOUND));

    c.call_raw(
        "blackboard.post",
        json!({"text": "@Tester is the suite green?"}),
    )
    .await
    .unwrap();
    let mut found = false;
    for _ in 0..100 {
        let h = c.call_raw("blackboard.history", json!({})).await.unwrap();
        if let Some(m) = h["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["author"]["kind"] == "agent")
        {
            assert_eq!(m["author"]["name"], "Tester");
            assert_eq!(m["text"], "Tester here: the suite is green.");
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(found, "the Tester never answered");
    // The board's messages did not go to the Manager.
    assert!(
        fake.requests()
            .iter()
            .all(|r| !r.system_text().contains("manager of a software team"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_commands_run_sandboxed_in_their_own_workspace() {
    let fake_scenario = |cmd: String| {
        Scenario::new()
            .rule(
                Rule::when(Match::any().has_tool("run_command").turn(0))
                    .reply(Reply::tool("run_command", json!({"command": cmd}))),
            )
            .rule(
                Rule::when(Match::any().has_tool("run_command")).reply(Reply::tool(
                    "complete_task",
                    json!({"summary": "{{last_tool_result}}"}),
                )),
            )
            .default_reply(Reply::text("ok"))
    };
    let fake = FakeLlm::start(fake_scenario("echo built > out.txt && cat out.txt".into()))
        .await
        .unwrap();
    let srv = TestServer::multi_with_llm(&fake.base_url()).await;
    let mut bob = srv.client(&srv.user("bob")).await;
    bob.call_raw(
        "fs.write",
        json!({"path": "secret.txt", "content": "bob's secret"}),
    )
    .await
    .unwrap();
    let bob_id = bob.call_raw("server.info", json!({})).await.unwrap()["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob_secret = srv.workspace_of(&bob_id).join("secret.txt");

    let mut alice = srv.client(&srv.user("alice")).await;
    let alice_id = alice.call_raw("server.info", json!({})).await.unwrap()["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    alice
        .call_raw("task.create", json!({"title": "build"}))
        .await
        .unwrap();
    let t = &settled_tasks(&mut alice, 1).await[0];
    assert_eq!(t["status"], "done");
    assert!(
        t["report"].as_str().unwrap().contains("exit code 0\nbuilt"),
        "{t:#}"
    );
    assert_eq!(
        std::fs::read_to_string(srv.workspace_of(&alice_id).join("out.txt")).unwrap(),
        "built\n"
    );

    // Now alice's agent tries to read bob's file and the server's data by absolute path.
    let db = srv.data.path().join("arranger.db");
    fake.set_scenario(fake_scenario(format!(
        "cat {} {}; ls {}",
        bob_secret.display(),
        db.display(),
        srv.data.path().display()
    )));
    alice
        .call_raw("task.create", json!({"title": "snoop"}))
        .await
        .unwrap();
    let tasks = settled_tasks(&mut alice, 2).await;
    let snoop = tasks.iter().find(|t| t["title"] == "snoop").unwrap();
    let report = snoop["report"].as_str().unwrap_or_default();
    assert!(report.contains("Permission denied"), "{snoop:#}");
    assert!(
        !report.contains("bob's secret"),
        "alice's command read bob's file: {report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_own_provider_and_key_serve_their_agents_and_the_key_never_comes_back() {
    let finish = || {
        Scenario::new()
            .rule(
                Rule::when(Match::any().has_tool("complete_task"))
                    .reply(Reply::tool("complete_task", json!({"summary": "done"}))),
            )
            .default_reply(Reply::text("ok"))
    };
    let server_default = FakeLlm::start(finish()).await.unwrap();
    let users_own = FakeLlm::start(finish().api_key("sk-users-own-key"))
        .await
        .unwrap();
    let srv = TestServer::multi_with_llm(&server_default.base_url()).await;
    let mut c = srv.client(&srv.user("gus")).await;
    let cfg = c
        .call_raw(
            "config.set",
            json!({"providers": [{"name": "mine", "kind": "openai", "base_url": users_own.base_url(),
                                  "model": "my-model", "api_key": "sk-users-own-key"}],
                   "default_provider": "mine"}),
        )
        .await
        .unwrap();
    assert_eq!(cfg["providers"][0]["has_key"], true);
    assert!(!cfg.to_string().contains("sk-users-own-key"));
    assert!(
        !c.call_raw("config.get", json!({}))
            .await
            .unwrap()
            .to_string()
            .contains("sk-users-own-key")
    );
    let events = c
        .call_raw("events.list", json!({"limit": 1000}))
        .await
        .unwrap();
    assert!(!events.to_string().contains("sk-users-own-key"));
    let e = c
        .call_raw("config.set", json!({"default_provider": "nope"}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(arranger_protocol::codes::INVALID_PARAMS));

    c.call_raw("task.create", json!({"title": "use my model"}))
        .await
        .unwrap();
    let t = &settled_tasks(&mut c, 1).await[0];
    assert_eq!(t["status"], "done", "{t:#}");
    assert!(
        users_own.request_count() > 0,
        "the user's provider was not used"
    );
    assert_eq!(
        server_default.request_count(),
        0,
        "the server's default was used instead"
    );
    let r = &users_own.requests()[0];
    assert_eq!(r.body["model"], "my-model");

    // Another user of the same server still gets the server's default — even when they
    // name the pool's entry for gus's provider (its name is guessable: kind@host).
    let mut other = srv.client(&srv.user("hal")).await;
    let status = other.call_raw("llm.status", json!({})).await.unwrap();
    assert_eq!(
        status["providers"].as_array().unwrap().len(),
        1,
        "only the server's provider: {status}"
    );
    for agent in ["coder", "tester", "reviewer"] {
        let e = other
            .call_raw(
                "agent.update",
                json!({"id": agent, "model": {"provider": "openai@127.0.0.1"}}),
            )
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(arranger_protocol::codes::INVALID_PARAMS));
        assert!(e.to_string().contains("no provider is named"), "{e}");
    }
    let e = other
        .call_raw(
            "agent.update",
            json!({"id": "coder", "capabilities": ["rust", "two words"]}),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("\"two words\""), "{e}");
    let before = users_own.request_count();
    other
        .call_raw("task.create", json!({"title": "default model"}))
        .await
        .unwrap();
    assert_eq!(settled_tasks(&mut other, 1).await[0]["status"], "done");
    assert!(server_default.request_count() > 0);
    assert_eq!(
        users_own.request_count(),
        before,
        "hal's agents used gus's provider and key"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_task_says_why_and_goes_on_when_retried() {
    let scenario = Scenario::new()
        .rule(
            Rule::when(
                Match::any()
                    .has_tool("block_task")
                    .any_contains("takes over"),
            )
            .reply(Reply::tool(
                "complete_task",
                json!({"summary": "used the credentials"}),
            )),
        )
        .rule(
            Rule::when(Match::any().has_tool("block_task").turn(0)).reply(Reply::tool(
                "block_task",
                json!({"reason": "the staging database password"}),
            )),
        )
        .default_reply(Reply::text("ok"));
    let fake = FakeLlm::start(scenario).await.unwrap();
    let srv = TestServer::multi_with_llm(&fake.base_url()).await;
    let mut c = srv.client(&srv.user("jo")).await;
    let t = c
        .call_raw("task.create", json!({"title": "migrate staging"}))
        .await
        .unwrap();
    let mut task = Value::Null;
    for _ in 0..100 {
        task = c
            .call_raw("task.get", json!({"id": t["id"]}))
            .await
            .unwrap()["task"]
            .clone();
        if task["status"] == "blocked" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(task["status"], "blocked", "{task:#}");
    assert_eq!(task["status_reason"], "the staging database password");
    let h = c
        .call_raw("blackboard.history", json!({}))
        .await
        .unwrap()
        .to_string();
    assert!(h.contains("Blocked: **migrate staging**"), "{h}");
    c.call_raw("task.retry", json!({"id": t["id"]}))
        .await
        .unwrap();
    let done = settled_tasks(&mut c, 1).await;
    assert_eq!(done[0]["status"], "done", "{done:#?}");
    assert_eq!(done[0]["report"], "used the credentials");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_managers_answer_streams_to_the_board_it_answers() {
    let answer = "Nothing to split here: the login handler already validates input.";
    let scenario = Scenario::new()
        .rule(
            Rule::when(manager())
                .reply(Reply::text(answer))
                .chunk_chars(8)
                .chunk_delay_ms(5),
        )
        .default_reply(Reply::text("unexpected"));
    let fake = FakeLlm::start(scenario).await.unwrap();
    let srv = TestServer::multi_with_llm(&fake.base_url()).await;
    let mut c = srv.client(&srv.user("ivy")).await;
    let session = c
        .call_raw("session.create", json!({"title": "login work"}))
        .await
        .unwrap()["id"]
        .clone();
    c.call_raw("events.subscribe", json!({"files": false}))
        .await
        .unwrap();
    c.call_raw(
        "blackboard.post",
        json!({"session": session, "text": "does the login handler validate input?"}),
    )
    .await
    .unwrap();
    c.set_timeout(Duration::from_secs(20));
    let mut streamed = String::new();
    let mut pieces = 0;
    loop {
        let (method, params) = c.next_notification().await.unwrap();
        if method == "agent.delta" {
            assert_eq!(params["session_id"], session, "{params}");
            assert_eq!(params["agent_id"], "manager");
            assert!(params.get("task_id").is_none(), "{params}");
            if params["kind"] == "text" {
                streamed.push_str(params["text"].as_str().unwrap());
                pieces += 1;
            }
        }
        if method == "event"
            && params["event"]["type"] == "message_added"
            && params["event"]["message"]["author"]["kind"] == "agent"
        {
            assert_eq!(params["event"]["message"]["text"], answer);
            break;
        }
    }
    assert_eq!(streamed, answer, "the pieces make the answer");
    assert!(pieces > 1, "streamed in pieces, not at once");
}
