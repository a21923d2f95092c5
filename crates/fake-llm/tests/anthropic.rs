//! The Anthropic Messages wire format.

mod common;

use arranger_fake_llm::{FakeLlm, Reply, Rule, Scenario, ToolCall};
use common::{Frame, anthropic_body, frames, post_anthropic, read_all};
use serde_json::{Value, json};

fn hello() -> Value {
    json!([{"role": "user", "content": "hello"}])
}

fn event_names(frames: &[Frame]) -> Vec<String> {
    frames.iter().map(|f| f.event.clone().unwrap()).collect()
}

#[tokio::test]
async fn non_streaming_message_has_the_real_shape() {
    let args = json!({"path": "src/lib.rs", "content": "fn main() {}\n"});
    let reply = Reply::text("Writing the file.")
        .reasoning("Short plan.")
        .and_tool("write_file", args.clone());
    let fake = FakeLlm::start(Scenario::new().default_reply(reply))
        .await
        .unwrap();
    let response = post_anthropic(&fake.base_url(), &anthropic_body(hello(), false)).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("request-id"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "message");
    assert_eq!(body["role"], "assistant");
    assert!(body["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(body["model"], "fake-claude");
    assert_eq!(body["stop_reason"], "tool_use");
    assert_eq!(body["stop_sequence"], Value::Null);
    let content = body["content"].as_array().unwrap();
    assert_eq!(content.len(), 3);
    assert_eq!(content[0]["type"], "thinking");
    assert_eq!(content[0]["thinking"], "Short plan.");
    assert!(content[0]["signature"].is_string());
    assert_eq!(
        content[1],
        json!({"type": "text", "text": "Writing the file."})
    );
    assert_eq!(content[2]["type"], "tool_use");
    assert!(content[2]["id"].as_str().unwrap().starts_with("toolu_"));
    assert_eq!(content[2]["name"], "write_file");
    assert_eq!(content[2]["input"], args);
    assert!(body["usage"]["input_tokens"].as_u64().unwrap() > 0);
    assert!(body["usage"]["output_tokens"].as_u64().unwrap() > 0);
    fake.shutdown().await;
}

#[tokio::test]
async fn streaming_event_sequence_is_exact() {
    let args_a = json!({"path": "a.txt", "content": "alpha \"quoted\" ✓"});
    let args_b = json!({"summary": "done"});
    let reply = Reply::tools([
        ToolCall::new("write_file", args_a.clone()),
        ToolCall::new("complete_task", args_b.clone()),
    ])
    .and_text("Hi there!")
    .reasoning("Think.");
    let fake = FakeLlm::start(
        Scenario::new().default_rule(
            Rule::any()
                .reply(reply)
                .chunk_chars(5)
                .first_byte_delay_ms(1),
        ),
    )
    .await
    .unwrap();
    let response = post_anthropic(&fake.base_url(), &anthropic_body(hello(), true)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let (text, failed) = read_all(response).await;
    assert!(!failed);
    assert!(text.starts_with("event: message_start\ndata: {"), "{text}");
    assert!(
        text.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"),
        "{text}"
    );
    let frames = frames(&text);
    for frame in &frames {
        assert_eq!(
            frame.json()["type"],
            frame.event.clone().unwrap(),
            "data.type equals the event name"
        );
    }
    let names = event_names(&frames);
    let args_a_text = serde_json::to_string(&args_a).unwrap();
    let args_b_text = serde_json::to_string(&args_b).unwrap();
    let pieces = |s: &str| s.chars().count().div_ceil(5);
    let mut expected: Vec<&str> = vec!["message_start", "content_block_start", "ping"];
    // thinking: "Think." = 2 deltas + signature
    expected.extend(["content_block_delta"; 3]);
    expected.push("content_block_stop");
    // text: "Hi there!" = 2 deltas
    expected.extend([
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
    ]);
    for args in [&args_a_text, &args_b_text] {
        expected.push("content_block_start");
        expected.extend(std::iter::repeat_n("content_block_delta", 1 + pieces(args)));
        expected.push("content_block_stop");
    }
    expected.extend(["message_delta", "message_stop"]);
    assert_eq!(names, expected);

    let start = frames[0].json();
    assert_eq!(start["message"]["role"], "assistant");
    assert_eq!(start["message"]["content"], json!([]));
    assert_eq!(start["message"]["stop_reason"], Value::Null);
    assert!(start["message"]["usage"]["input_tokens"].as_u64().unwrap() > 0);

    // Reassemble the blocks like a client would.
    let mut blocks: Vec<Value> = Vec::new();
    let mut json_text: Vec<String> = Vec::new();
    for frame in &frames {
        let data = frame.json();
        match frame.event.as_deref().unwrap() {
            "content_block_start" => {
                assert_eq!(data["index"].as_u64().unwrap() as usize, blocks.len());
                blocks.push(data["content_block"].clone());
                json_text.push(String::new());
            }
            "content_block_delta" => {
                let i = data["index"].as_u64().unwrap() as usize;
                assert_eq!(i, blocks.len() - 1);
                let delta = &data["delta"];
                match delta["type"].as_str().unwrap() {
                    "thinking_delta" => {
                        let t = format!(
                            "{}{}",
                            blocks[i]["thinking"].as_str().unwrap(),
                            delta["thinking"].as_str().unwrap()
                        );
                        blocks[i]["thinking"] = json!(t);
                    }
                    "signature_delta" => blocks[i]["signature"] = delta["signature"].clone(),
                    "text_delta" => {
                        let t = format!(
                            "{}{}",
                            blocks[i]["text"].as_str().unwrap(),
                            delta["text"].as_str().unwrap()
                        );
                        blocks[i]["text"] = json!(t);
                    }
                    "input_json_delta" => {
                        json_text[i].push_str(delta["partial_json"].as_str().unwrap())
                    }
                    other => panic!("unexpected delta {other}"),
                }
            }
            "content_block_stop" => {
                assert_eq!(data["index"].as_u64().unwrap() as usize, blocks.len() - 1)
            }
            _ => {}
        }
    }
    assert_eq!(blocks[0]["type"], "thinking");
    assert_eq!(blocks[0]["thinking"], "Think.");
    assert!(blocks[0]["signature"].is_string());
    assert_eq!(blocks[1], json!({"type": "text", "text": "Hi there!"}));
    assert_eq!(blocks[2]["type"], "tool_use");
    assert_eq!(blocks[2]["name"], "write_file");
    assert_eq!(blocks[2]["input"], json!({}));
    assert!(blocks[2]["id"].as_str().unwrap().starts_with("toolu_"));
    assert_ne!(blocks[2]["id"], blocks[3]["id"]);
    assert_eq!(json_text[2], args_a_text);
    assert_eq!(json_text[3], args_b_text);
    assert_eq!(
        serde_json::from_str::<Value>(&json_text[2]).unwrap(),
        args_a
    );

    let delta = frames[frames.len() - 2].json();
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
    assert_eq!(delta["delta"]["stop_sequence"], Value::Null);
    assert!(delta["usage"]["output_tokens"].as_u64().unwrap() > 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn text_only_stream_ends_with_end_turn() {
    let fake =
        FakeLlm::start(Scenario::new().default_rule(Rule::any().text("Hello!").chunk_chars(0)))
            .await
            .unwrap();
    let (text, _) =
        read_all(post_anthropic(&fake.base_url(), &anthropic_body(hello(), true)).await).await;
    let frames = frames(&text);
    assert_eq!(
        event_names(&frames),
        vec![
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    assert_eq!(
        frames[1].json()["content_block"],
        json!({"type": "text", "text": ""})
    );
    assert_eq!(
        frames[3].json()["delta"],
        json!({"type": "text_delta", "text": "Hello!"})
    );
    assert_eq!(frames[5].json()["delta"]["stop_reason"], "end_turn");
    fake.shutdown().await;
}

#[tokio::test]
async fn errors_have_the_anthropic_shape() {
    let fake = FakeLlm::start(
        Scenario::new()
            .rule(Rule::any().times(1).status(529))
            .rule(Rule::any().times(1).status(429).retry_after_secs(7))
            .default_reply(Reply::text("ok")),
    )
    .await
    .unwrap();
    let response = post_anthropic(&fake.base_url(), &anthropic_body(hello(), true)).await;
    assert_eq!(response.status(), 529);
    assert_eq!(response.headers()["x-should-retry"], "true");
    let value: Value = response.json().await.unwrap();
    assert_eq!(value["type"], "error");
    assert_eq!(value["error"]["type"], "overloaded_error");
    assert_eq!(value["error"]["message"], "Overloaded");
    assert!(value["request_id"].as_str().unwrap().starts_with("req_"));

    let response = post_anthropic(&fake.base_url(), &anthropic_body(hello(), false)).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    let value: Value = response.json().await.unwrap();
    assert_eq!(value["error"]["type"], "rate_limit_error");

    let response = post_anthropic(&fake.base_url(), &anthropic_body(hello(), false)).await;
    assert_eq!(response.status(), 200);
    fake.shutdown().await;
}

#[tokio::test]
async fn cut_stream_ends_without_message_stop() {
    let fake = FakeLlm::start(
        Scenario::new().default_rule(
            Rule::any()
                .text("a long answer that will never finish")
                .chunk_chars(3)
                .cut_after_chunks(5),
        ),
    )
    .await
    .unwrap();
    for _ in 0..20 {
        let (text, failed) =
            read_all(post_anthropic(&fake.base_url(), &anthropic_body(hello(), true)).await).await;
        assert!(failed, "{text}");
        assert!(!text.contains("message_stop"));
        assert!(!text.contains("message_delta"));
        let frames = frames(&text);
        assert_eq!(
            event_names(&frames),
            vec![
                "message_start",
                "content_block_start",
                "ping",
                "content_block_delta",
                "content_block_delta"
            ]
        );
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn overloaded_error_event_mid_stream() {
    let fake = FakeLlm::start(
        Scenario::new().default_rule(
            Rule::any()
                .text("abcdefghij")
                .chunk_chars(2)
                .error_after_chunks(4),
        ),
    )
    .await
    .unwrap();
    let (text, failed) =
        read_all(post_anthropic(&fake.base_url(), &anthropic_body(hello(), true)).await).await;
    assert!(!failed);
    let frames = frames(&text);
    assert_eq!(frames.len(), 5);
    assert_eq!(frames[4].event.as_deref(), Some("error"));
    assert_eq!(
        frames[4].json(),
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn wrong_key_and_missing_version_are_rejected() {
    let fake = FakeLlm::start(Scenario::always("ok").api_key("sk-ant-test"))
        .await
        .unwrap();
    let client = common::client();
    let url = format!("{}/v1/messages", fake.base_url());
    let body = anthropic_body(hello(), false);

    let wrong = client
        .post(&url)
        .header("x-api-key", "sk-ant-wrong")
        .header("anthropic-version", "2023-06-01")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let value: Value = wrong.json().await.unwrap();
    assert_eq!(value["type"], "error");
    assert_eq!(value["error"]["type"], "authentication_error");
    assert_eq!(value["error"]["message"], "invalid x-api-key");

    // A Bearer token is not how Anthropic authenticates.
    let bearer = client
        .post(&url)
        .bearer_auth("sk-ant-test")
        .header("anthropic-version", "2023-06-01")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 401);

    let no_version = client
        .post(&url)
        .header("x-api-key", "sk-ant-test")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(no_version.status(), 400);
    let value: Value = no_version.json().await.unwrap();
    assert_eq!(value["error"]["type"], "invalid_request_error");
    assert!(
        value["error"]["message"]
            .as_str()
            .unwrap()
            .contains("anthropic-version")
    );

    let mut no_max = body.clone();
    no_max.as_object_mut().unwrap().remove("max_tokens");
    assert_eq!(
        post_anthropic(&fake.base_url(), &no_max).await.status(),
        400
    );

    let mut system_role = body.clone();
    system_role["messages"] =
        json!([{"role": "system", "content": "x"}, {"role": "user", "content": "y"}]);
    assert_eq!(
        post_anthropic(&fake.base_url(), &system_role)
            .await
            .status(),
        400
    );

    assert_eq!(post_anthropic(&fake.base_url(), &body).await.status(), 200);

    let models: Value = client
        .get(format!("{}/v1/models", fake.base_url()))
        .header("x-api-key", "sk-ant-test")
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        models["data"][0],
        json!({"type": "model", "id": "fake-model", "display_name": "fake-model", "created_at": "2025-01-01T00:00:00Z"})
    );
    assert_eq!(models["has_more"], false);
    fake.shutdown().await;
}

#[tokio::test]
async fn tool_loop_with_tool_results() {
    // turn 0: a tool call; turn 1 (after the tool result): text using the result.
    let scenario = Scenario::new()
        .rule(Rule::on_turn(0).reply(Reply::tool("create_task", json!({"title": "Write docs"}))))
        .rule(Rule::on_turn(1).text("Created {{tool_result.0.task_id}} for: {{last_user}}"));
    let fake = FakeLlm::start(scenario).await.unwrap();
    let first: Value = post_anthropic(
        &fake.base_url(),
        &anthropic_body(
            json!([{"role": "user", "content": "document the API"}]),
            false,
        ),
    )
    .await
    .json()
    .await
    .unwrap();
    let tool_use = first["content"][0].clone();
    assert_eq!(tool_use["type"], "tool_use");
    let history = json!([
        {"role": "user", "content": "document the API"},
        {"role": "assistant", "content": [tool_use.clone()]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use["id"], "content": [{"type": "text", "text": "{\"task_id\": \"T-7\"}"}]}]}
    ]);
    let second: Value = post_anthropic(&fake.base_url(), &anthropic_body(history, false))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        second["content"][0]["text"],
        "Created T-7 for: document the API"
    );
    assert_eq!(second["stop_reason"], "end_turn");
    let requests = fake.requests();
    assert_eq!(requests[1].turn(), 1);
    assert_eq!(
        requests[1].last_tool_result().as_deref(),
        Some("{\"task_id\": \"T-7\"}")
    );
    fake.shutdown().await;
}
