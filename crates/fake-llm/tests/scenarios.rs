//! Rule matching, scenario files, recording, delivery timing, faults and concurrency.

mod common;

use std::time::{Duration, Instant};

use arranger_fake_llm::{Answer, Api, FakeLlm, FakeLlmOptions, Match, Reply, Rule, Scenario};
use common::{anthropic_body, frames, openai_body, post_anthropic, post_openai, read_all};
use serde_json::{Value, json};

async fn openai_text(base: &str, body: &Value) -> String {
    let value: Value = post_openai(base, body).await.json().await.unwrap();
    value["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_else(|| panic!("no text in {value}"))
        .to_string()
}

#[tokio::test]
async fn turn_matching_scripts_an_agent_loop() {
    let scenario = Scenario::new()
        .rule(Rule::on_turn(0).reply(Reply::tool("read_file", json!({"path": "a.txt"}))))
        .rule(Rule::on_turn(1).reply(Reply::tool(
            "write_file",
            json!({"path": "b.txt", "content": "{{last_tool_result}}!"}),
        )))
        .rule(Rule::on_turn(2).text("All done."));
    let fake = FakeLlm::start(scenario).await.unwrap();
    let base = fake.base_url();
    let mut messages = vec![json!({"role": "user", "content": "copy a to b"})];
    let mut transcript = Vec::new();
    loop {
        let value: Value = post_openai(&base, &openai_body(json!(messages), false))
            .await
            .json()
            .await
            .unwrap();
        let message = value["choices"][0]["message"].clone();
        messages.push(message.clone());
        let Some(calls) = message["tool_calls"].as_array() else {
            transcript.push(message["content"].as_str().unwrap().to_string());
            break;
        };
        for call in calls {
            let name = call["function"]["name"].as_str().unwrap().to_string();
            let args: Value =
                serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
            transcript.push(format!("{name} {args}"));
            messages
                .push(json!({"role": "tool", "tool_call_id": call["id"], "content": "file text"}));
        }
    }
    assert_eq!(
        transcript,
        vec![
            r#"read_file {"path":"a.txt"}"#.to_string(),
            r#"write_file {"content":"file text!","path":"b.txt"}"#.to_string(),
            "All done.".to_string(),
        ]
    );
    let turns: Vec<usize> = fake.requests().iter().map(|r| r.turn()).collect();
    assert_eq!(turns, vec![0, 1, 2]);
    let rules: Vec<Option<usize>> = fake.requests().iter().map(|r| r.rule_index()).collect();
    assert_eq!(rules, vec![Some(0), Some(1), Some(2)]);
    fake.shutdown().await;
}

#[tokio::test]
async fn times_limits_a_rule_even_under_concurrency() {
    let scenario = Scenario::new()
        .rule(Rule::any().times(5).text("limited"))
        .default_reply(Reply::text("fallback"));
    let fake = FakeLlm::start(scenario).await.unwrap();
    let base = fake.base_url();
    let body = openai_body(json!([{"role": "user", "content": "hi"}]), false);
    let mut handles = Vec::new();
    for _ in 0..40 {
        let (base, body) = (base.clone(), body.clone());
        handles.push(tokio::spawn(async move { openai_text(&base, &body).await }));
    }
    let mut limited = 0;
    for handle in handles {
        if handle.await.unwrap() == "limited" {
            limited += 1;
        }
    }
    assert_eq!(limited, 5);
    assert_eq!(openai_text(&base, &body).await, "fallback");
    // A new scenario starts its counters afresh.
    fake.set_scenario(
        Scenario::new()
            .rule(Rule::any().times(1).text("again"))
            .default_reply(Reply::text("fallback")),
    );
    assert_eq!(openai_text(&base, &body).await, "again");
    assert_eq!(openai_text(&base, &body).await, "fallback");
    fake.shutdown().await;
}

#[tokio::test]
async fn every_match_field_is_honoured() {
    let scenario = Scenario::new()
        .rule(
            Rule::when(Match::any().api(Api::Anthropic))
                .named("anthropic")
                .text("anthropic"),
        )
        .rule(Rule::when(Match::any().model("special")).text("model"))
        .rule(Rule::when(Match::any().system_contains("You are the Manager")).text("system"))
        .rule(Rule::when(Match::any().last_tool_result_contains("exit code 1")).text("tool result"))
        .rule(Rule::when(Match::any().has_tool("run_command")).text("has tool"))
        .rule(Rule::when(Match::any().has_tools(true)).text("has tools"))
        .rule(Rule::when(Match::any().any_contains("\"temperature\":0.5")).text("any"))
        .rule(Rule::when(Match::any().last_user_contains("ping").turn(0)).text("user"))
        .default_reply(Reply::text("default"));
    let fake = FakeLlm::start(scenario).await.unwrap();
    let base = fake.base_url();
    let user = |text: &str| json!([{"role": "user", "content": text}]);

    let anthropic: Value = post_anthropic(&base, &anthropic_body(user("x"), false))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(anthropic["content"][0]["text"], "anthropic");

    let mut body = openai_body(user("x"), false);
    body["model"] = json!("special");
    assert_eq!(openai_text(&base, &body).await, "model");

    let body = openai_body(
        json!([{"role": "developer", "content": "Hi. You are the Manager of a team."}, {"role": "user", "content": "x"}]),
        false,
    );
    assert_eq!(openai_text(&base, &body).await, "system");

    let body = openai_body(
        json!([
            {"role": "user", "content": "run it"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "run_command", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "failed: exit code 1"}]}
        ]),
        false,
    );
    assert_eq!(openai_text(&base, &body).await, "tool result");

    let mut body = openai_body(user("x"), false);
    body["tools"] = json!([{"type": "function", "function": {"name": "run_command"}}]);
    assert_eq!(openai_text(&base, &body).await, "has tool");
    body["tools"] = json!([{"type": "function", "function": {"name": "other"}}]);
    assert_eq!(openai_text(&base, &body).await, "has tools");

    let mut body = openai_body(user("x"), false);
    body["temperature"] = json!(0.5);
    assert_eq!(openai_text(&base, &body).await, "any");

    assert_eq!(
        openai_text(&base, &openai_body(user("ping me"), false)).await,
        "user"
    );
    let later = json!([
        {"role": "user", "content": "ping me"},
        {"role": "assistant", "content": "pong"},
        {"role": "user", "content": "ping again"}
    ]);
    assert_eq!(
        openai_text(&base, &openai_body(later, false)).await,
        "default",
        "turn 1 does not fit turn 0"
    );

    let requests = fake.requests();
    assert_eq!(
        requests[0].answer,
        Answer::Rule {
            index: 0,
            name: Some("anthropic".into())
        }
    );
    assert_eq!(
        requests[2].system_text(),
        "Hi. You are the Manager of a team."
    );
    assert_eq!(requests[4].tool_names(), vec!["run_command".to_string()]);
    fake.shutdown().await;
}

#[tokio::test]
async fn requests_are_recorded_with_headers_and_body() {
    let fake = FakeLlm::start(Scenario::always("ok")).await.unwrap();
    let body = openai_body(json!([{"role": "user", "content": "record me"}]), true);
    let response = common::client()
        .post(format!(
            "{}/v1/chat/completions?api-version=1",
            fake.base_url()
        ))
        .header("X-Custom-Header", "Value")
        .json(&body)
        .send()
        .await
        .unwrap();
    let _ = read_all(response).await;
    assert_eq!(fake.request_count(), 1);
    let request = &fake.requests()[0];
    assert_eq!(request.seq, 1);
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(request.api, Some(Api::OpenAi));
    assert!(
        request
            .headers
            .iter()
            .any(|(k, v)| k == "x-custom-header" && v == "Value")
    );
    assert_eq!(request.header("X-CUSTOM-HEADER"), Some("Value"));
    assert_eq!(request.body, body);
    assert!(request.is_stream());
    assert_eq!(request.model(), Some("fake-model"));
    assert_eq!(request.last_user_text().as_deref(), Some("record me"));
    assert_eq!(request.answer, Answer::Default);
    assert_eq!(request.status, 200);
    fake.clear_requests();
    assert!(fake.requests().is_empty());
    assert_eq!(fake.request_count(), 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn recording_limit_keeps_the_newest() {
    let options = FakeLlmOptions {
        max_recorded: Some(2),
        ..FakeLlmOptions::default()
    };
    let fake = FakeLlm::start_with(Scenario::always("ok"), options)
        .await
        .unwrap();
    for i in 0..5 {
        let body = openai_body(json!([{"role": "user", "content": format!("n{i}")}]), false);
        post_openai(&fake.base_url(), &body).await;
    }
    assert_eq!(fake.request_count(), 5);
    let kept: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| r.last_user_text().unwrap())
        .collect();
    assert_eq!(kept, vec!["n3", "n4"]);
    fake.shutdown().await;
}

#[tokio::test]
async fn scenario_json_round_trips_and_rejects_typos() {
    let text = r#"{
        "api_key": "k",
        "rules": [
            {"match": {"turn": 0, "has_tools": true}, "times": 2,
             "reply": {"text": "hi", "tool_calls": [{"name": "reply", "arguments": {"text": "x"}}], "finish": "tool_use", "usage": {"prompt_tokens": 3, "output_tokens": 4}},
             "chunk_chars": 4, "chunk_delay_ms": 1, "first_byte_delay_ms": 2, "cut_after_chunks": 3},
            {"status": 429, "retry_after_secs": 1},
            {"match": {"api": "openai"}, "hang": true}
        ],
        "default": {"reply": {"text": "d"}}
    }"#;
    let scenario = Scenario::from_json(text).unwrap();
    assert_eq!(scenario.rules.len(), 3);
    assert_eq!(scenario.rules[0].when.turn, Some(0));
    assert_eq!(
        scenario.rules[0].reply.finish,
        Some(arranger_fake_llm::Finish::ToolCalls)
    );
    assert_eq!(scenario.rules[0].reply.usage.unwrap().input_tokens, Some(3));
    assert_eq!(scenario.rules[1].chunk_chars, 16, "default chunk size");
    assert!(scenario.strict);
    assert_eq!(scenario.rules[2].when.api, Some(Api::OpenAi));
    assert!(scenario.rules[2].hang);
    let again = Scenario::from_json(&scenario.to_json()).unwrap();
    assert_eq!(again, scenario);

    let typo = r#"{"rules": [{"match": {"last_user_contain": "x"}, "reply": {"text": "y"}}]}"#;
    let err = Scenario::from_json(typo).unwrap_err().to_string();
    assert!(err.contains("last_user_contain"), "{err}");
}

#[tokio::test]
async fn example_scenarios_load_and_drive_a_team() {
    // At run time: a binary reused from a warm target dir shared by several clones keeps
    // the compile-time path of whichever clone built it.
    let root =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let dir = std::path::Path::new(&root).join("scenarios");
    let chat = Scenario::from_file(dir.join("chat.json")).unwrap();
    assert!(chat.default.is_some());
    let team = Scenario::from_file(dir.join("team.json")).unwrap();
    let fake = FakeLlm::start(team).await.unwrap();
    let base = fake.base_url();
    let tools = |names: &[&str]| -> Value {
        names
            .iter()
            .map(|n| json!({"name": n, "description": n, "input_schema": {"type": "object"}}))
            .collect()
    };
    let manager_tools = tools(&[
        "create_task",
        "assign_task",
        "reply",
        "start_assist",
        "cancel_task",
    ]);
    let worker_tools = tools(&[
        "read_file",
        "write_file",
        "edit_file",
        "run_command",
        "complete_task",
    ]);

    // Manager, turn 0: two create_task calls.
    let mut history = vec![json!({"role": "user", "content": "add a greeting with tests"})];
    let mut body = anthropic_body(json!(history), false);
    body["tools"] = manager_tools.clone();
    let first: Value = post_anthropic(&base, &body).await.json().await.unwrap();
    let calls: Vec<Value> = first["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "tool_use")
        .cloned()
        .collect();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|c| c["name"] == "create_task"));
    let titles: Vec<&str> = calls
        .iter()
        .map(|c| c["input"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        vec!["Implement greeting module", "Test greeting module"]
    );

    // Manager, turn 1: assign with the ids from the tool results.
    history.push(json!({"role": "assistant", "content": first["content"]}));
    history.push(json!({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": calls[0]["id"], "content": "{\"task_id\": \"task-1\"}"},
        {"type": "tool_result", "tool_use_id": calls[1]["id"], "content": "{\"task_id\": \"task-2\"}"}
    ]}));
    let mut body = anthropic_body(json!(history), false);
    body["tools"] = manager_tools.clone();
    let second: Value = post_anthropic(&base, &body).await.json().await.unwrap();
    let assigned: Vec<Value> = second["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["input"].clone())
        .collect();
    assert_eq!(
        assigned,
        vec![
            json!({"task_id": "task-1", "agent": "Coder"}),
            json!({"task_id": "task-2", "agent": "Tester"})
        ]
    );

    // Workers (OpenAI this time): write a file, then complete.
    for (title, path) in [
        ("Implement greeting module", "src/greeting.py"),
        ("Test greeting module", "tests/test_greeting.py"),
    ] {
        let worker_tools_openai: Value = ["read_file", "write_file", "complete_task"]
            .iter()
            .map(|n| json!({"type": "function", "function": {"name": n, "parameters": {"type": "object"}}}))
            .collect();
        let mut messages = vec![
            json!({"role": "system", "content": "You are a worker."}),
            json!({"role": "user", "content": format!("Task: {title}")}),
        ];
        let mut body = openai_body(json!(messages), false);
        body["tools"] = worker_tools_openai.clone();
        let value: Value = post_openai(&base, &body).await.json().await.unwrap();
        let message = value["choices"][0]["message"].clone();
        let call = &message["tool_calls"][0];
        assert_eq!(call["function"]["name"], "write_file");
        let args: Value =
            serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
        assert_eq!(args["path"], path);
        assert!(args["content"].as_str().unwrap().contains("greet"));
        messages.push(message.clone());
        messages.push(json!({"role": "tool", "tool_call_id": call["id"], "content": "ok"}));
        let mut body = openai_body(json!(messages), false);
        body["tools"] = worker_tools_openai;
        let value: Value = post_openai(&base, &body).await.json().await.unwrap();
        let call = &value["choices"][0]["message"]["tool_calls"][0];
        assert_eq!(call["function"]["name"], "complete_task");
        let args: Value =
            serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
        assert!(args["summary"].as_str().unwrap().contains(path));
    }
    let _ = worker_tools;
    fake.shutdown().await;
}

#[tokio::test]
async fn first_byte_and_chunk_delays_are_applied() {
    let fake = FakeLlm::start(
        Scenario::new().default_rule(
            Rule::any()
                .text("abcdefghij")
                .chunk_chars(2)
                .first_byte_delay_ms(150)
                .chunk_delay_ms(40),
        ),
    )
    .await
    .unwrap();
    let started = Instant::now();
    let mut response = post_openai(
        &fake.base_url(),
        &openai_body(json!([{"role": "user", "content": "x"}]), true),
    )
    .await;
    let headers_at = started.elapsed();
    assert!(headers_at >= Duration::from_millis(150), "{headers_at:?}");
    let mut arrivals = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        arrivals.push((started.elapsed(), chunk));
    }
    let total = started.elapsed();
    // 8 events (role, 5 content, finish, [DONE]) → 7 gaps of 40 ms.
    assert!(total >= Duration::from_millis(150 + 7 * 40), "{total:?}");
    assert!(
        arrivals.len() >= 5,
        "delayed events arrive separately: {}",
        arrivals.len()
    );
    // The record says how long the fake itself took: at least its delays, at most what
    // the client saw.
    let r = &fake.requests()[0];
    let took = r.answered.expect("a complete answer is marked") - r.at;
    assert!(took >= Duration::from_millis(150 + 7 * 40), "{took:?}");
    assert!(took <= total, "{took:?} > {total:?}");
    fake.shutdown().await;
}

#[tokio::test]
async fn hang_never_answers_until_the_client_gives_up() {
    let fake = FakeLlm::start(Scenario::new().rule(Rule::any().hang()))
        .await
        .unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let result = client
        .post(format!("{}/v1/chat/completions", fake.base_url()))
        .json(&openai_body(
            json!([{"role": "user", "content": "x"}]),
            false,
        ))
        .send()
        .await;
    let err = result.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        fake.request_count(),
        1,
        "the request was received and recorded"
    );
    assert_eq!(
        fake.requests()[0].answered,
        None,
        "a hang is never answered"
    );

    // Shutdown also ends a hanging request.
    let base = fake.base_url();
    let pending = tokio::spawn(async move {
        common::client()
            .post(format!("{base}/v1/chat/completions"))
            .json(&openai_body(
                json!([{"role": "user", "content": "y"}]),
                false,
            ))
            .send()
            .await
    });
    assert!(fake.wait_for_requests(2, Duration::from_secs(5)).await);
    let started = Instant::now();
    fake.shutdown().await;
    let outcome = tokio::time::timeout(Duration::from_secs(5), pending)
        .await
        .unwrap()
        .unwrap();
    assert!(
        outcome.is_err(),
        "the hanging request fails when the server stops"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn stalled_stream_sends_part_then_nothing() {
    let fake = FakeLlm::start(
        Scenario::new().default_rule(
            Rule::any()
                .text("abcdef")
                .chunk_chars(2)
                .stall_after_chunks(2),
        ),
    )
    .await
    .unwrap();
    let mut response = post_openai(
        &fake.base_url(),
        &openai_body(json!([{"role": "user", "content": "x"}]), true),
    )
    .await;
    let mut text = String::new();
    let outcome = tokio::time::timeout(Duration::from_millis(500), async {
        while let Some(chunk) = response.chunk().await.unwrap() {
            text.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    })
    .await;
    assert!(outcome.is_err(), "the stream must stall, not end");
    let frames = frames(&text);
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[1].json()["choices"][0]["delta"]["content"], "ab");
    fake.shutdown().await;
}

#[tokio::test]
async fn non_streaming_cut_breaks_the_body() {
    let fake =
        FakeLlm::start(Scenario::new().default_rule(Rule::any().text("hello").cut_after_chunks(1)))
            .await
            .unwrap();
    let response = post_openai(
        &fake.base_url(),
        &openai_body(json!([{"role": "user", "content": "x"}]), false),
    )
    .await;
    assert_eq!(response.status(), 200);
    let (text, failed) = read_all(response).await;
    assert!(failed);
    assert!(serde_json::from_str::<Value>(&text).is_err());
    fake.shutdown().await;
}

#[tokio::test]
async fn a_thousand_concurrent_streams() {
    const N: usize = 1000;
    let fake = FakeLlm::start_with(
        Scenario::new().default_rule(
            Rule::any()
                .reply(
                    Reply::text("stream {{last_user}} done")
                        .and_tool("reply", json!({"text": "{{last_user}}"})),
                )
                .chunk_chars(4)
                .chunk_delay_ms(20),
        ),
        FakeLlmOptions {
            max_recorded: Some(0),
            ..FakeLlmOptions::default()
        },
    )
    .await
    .unwrap();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(N)
        .build()
        .unwrap();
    let base = fake.base_url();
    let started = Instant::now();
    let mut handles = Vec::with_capacity(N);
    for i in 0..N {
        let (client, base) = (client.clone(), base.clone());
        handles.push(tokio::spawn(async move {
            let body = json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": format!("u{i}")}]});
            let response = client.post(format!("{base}/v1/chat/completions")).json(&body).send().await.unwrap();
            let (text, failed) = read_all(response).await;
            assert!(!failed);
            let frames = frames(&text);
            assert_eq!(frames.last().unwrap().data, "[DONE]");
            let mut content = String::new();
            let mut args = String::new();
            for frame in &frames[..frames.len() - 1] {
                let chunk = frame.json();
                let delta = &chunk["choices"][0]["delta"];
                content.push_str(delta["content"].as_str().unwrap_or(""));
                if let Some(piece) = delta["tool_calls"][0]["function"]["arguments"].as_str() {
                    args.push_str(piece);
                }
            }
            assert_eq!(content, format!("stream u{i} done"));
            assert_eq!(args, format!("{{\"text\":\"u{i}\"}}"));
        }));
    }
    for handle in handles {
        handle.await.unwrap();
    }
    let elapsed = started.elapsed();
    assert_eq!(fake.request_count(), N);
    assert!(fake.requests().is_empty(), "recording was off");
    // Each stream has ~12 events 20 ms apart (~0.25 s); run one after another they would
    // take minutes.
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
    eprintln!("{N} concurrent streams took {elapsed:?}");
    fake.shutdown().await;
}
