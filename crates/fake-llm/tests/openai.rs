//! The OpenAI Chat Completions wire format.

mod common;

use arranger_fake_llm::{Answer, FakeLlm, Finish, Match, Reply, Rule, Scenario, ToolCall};
use common::{frames, openai_body, post_openai, read_all};
use serde_json::{Value, json};

fn hello() -> Value {
    json!([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello"}])
}

#[tokio::test]
async fn non_streaming_text_has_the_real_shape() {
    let fake = FakeLlm::start(Scenario::always("Hello there, how can I help?"))
        .await
        .unwrap();
    let response = post_openai(&fake.base_url(), &openai_body(hello(), false)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    assert!(response.headers().contains_key("x-request-id"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["object"], "chat.completion");
    assert!(body["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert!(body["created"].as_u64().unwrap() > 1_600_000_000);
    assert_eq!(body["model"], "fake-model");
    let choice = &body["choices"][0];
    assert_eq!(choice["index"], 0);
    assert_eq!(choice["message"]["role"], "assistant");
    assert_eq!(choice["message"]["content"], "Hello there, how can I help?");
    assert!(choice["message"].get("tool_calls").is_none());
    assert_eq!(choice["finish_reason"], "stop");
    let usage = &body["usage"];
    let completion = usage["completion_tokens"].as_u64().unwrap();
    let prompt = usage["prompt_tokens"].as_u64().unwrap();
    assert_eq!(completion, 7, "28 chars / 4");
    assert!(prompt > 10);
    assert_eq!(usage["total_tokens"].as_u64().unwrap(), prompt + completion);
    fake.shutdown().await;
}

#[tokio::test]
async fn streaming_text_is_framed_and_chunked() {
    let text = "The quick brown fox jumps over the lazy dog, twice."; // 51 chars
    let fake = FakeLlm::start(Scenario::always(text)).await.unwrap();
    let response = post_openai(&fake.base_url(), &openai_body(hello(), true)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let (body, failed) = read_all(response).await;
    assert!(!failed);
    assert!(body.starts_with("data: {"), "{body}");
    assert!(body.ends_with("\n\ndata: [DONE]\n\n"), "{body}");
    let frames = frames(&body);
    assert!(frames.iter().all(|f| f.event.is_none()));
    assert_eq!(frames.last().unwrap().data, "[DONE]");
    let chunks: Vec<Value> = frames[..frames.len() - 1]
        .iter()
        .map(|f| f.json())
        .collect();
    // role chunk, 4 content chunks (16+16+16+3), finish chunk
    assert_eq!(chunks.len(), 6, "{body}");
    let id = chunks[0]["id"].as_str().unwrap();
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["id"], id);
        assert_eq!(chunk["model"], "fake-model");
        assert!(
            chunk.get("usage").is_none(),
            "no usage unless asked: {chunk}"
        );
        assert_eq!(chunk["choices"].as_array().unwrap().len(), 1);
    }
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(chunks[0]["choices"][0]["delta"]["content"], "");
    let pieces: Vec<&str> = chunks[1..5]
        .iter()
        .map(|c| c["choices"][0]["delta"]["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        pieces,
        vec![
            "The quick brown ",
            "fox jumps over t",
            "he lazy dog, twi",
            "ce."
        ]
    );
    assert_eq!(pieces.concat(), text);
    for chunk in &chunks[..5] {
        assert_eq!(chunk["choices"][0]["finish_reason"], Value::Null);
    }
    assert_eq!(chunks[5]["choices"][0]["delta"], json!({}));
    assert_eq!(chunks[5]["choices"][0]["finish_reason"], "stop");
    fake.shutdown().await;
}

#[tokio::test]
async fn parallel_tool_calls_stream_in_pieces_and_reassemble_exactly() {
    let args_a = json!({"title": "Implement login validation", "description": "Reject empty \"user\" names — and unicode ✓", "priority": 2});
    let args_b = json!({"title": "Test it", "difficulty": 3, "tags": ["rust", "tests"]});
    let reply = Reply::tools([
        ToolCall::new("create_task", args_a.clone()),
        ToolCall::new("create_task", args_b.clone()),
    ])
    .and_text("Creating tasks.");
    let fake = FakeLlm::start(Scenario::new().rule(Rule::any().reply(reply).chunk_chars(10)))
        .await
        .unwrap();
    let mut body = openai_body(hello(), true);
    body["tools"] = json!([{"type": "function", "function": {"name": "create_task", "parameters": {"type": "object"}}}]);
    let (text, failed) = read_all(post_openai(&fake.base_url(), &body).await).await;
    assert!(!failed);
    let frames = frames(&text);
    assert_eq!(frames.last().unwrap().data, "[DONE]");
    let mut content = String::new();
    let mut calls: Vec<(String, String, String)> = Vec::new(); // id, name, arguments
    let mut finish = None;
    for frame in &frames[..frames.len() - 1] {
        let chunk = frame.json();
        let choice = &chunk["choices"][0];
        if let Some(piece) = choice["delta"]["content"].as_str() {
            content.push_str(piece);
        }
        if let Some(deltas) = choice["delta"]["tool_calls"].as_array() {
            assert_eq!(deltas.len(), 1);
            let delta = &deltas[0];
            let index = delta["index"].as_u64().unwrap() as usize;
            if let Some(id) = delta["id"].as_str() {
                // The first delta of a call: id, type and name, empty arguments.
                assert_eq!(index, calls.len());
                assert_eq!(delta["type"], "function");
                assert_eq!(delta["function"]["arguments"], "");
                calls.push((
                    id.to_string(),
                    delta["function"]["name"].as_str().unwrap().to_string(),
                    String::new(),
                ));
            } else {
                assert!(delta.get("type").is_none());
                assert!(delta["function"].get("name").is_none());
                let piece = delta["function"]["arguments"].as_str().unwrap();
                assert!(piece.chars().count() <= 10);
                calls[index].2.push_str(piece);
            }
        }
        if !choice["finish_reason"].is_null() {
            finish = Some(choice["finish_reason"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(content, "Creating tasks.");
    assert_eq!(finish.as_deref(), Some("tool_calls"));
    assert_eq!(calls.len(), 2);
    assert_ne!(calls[0].0, calls[1].0, "ids are unique");
    assert!(calls[0].0.starts_with("call_"));
    assert_eq!(calls[0].1, "create_task");
    assert_eq!(calls[0].2, serde_json::to_string(&args_a).unwrap());
    assert_eq!(calls[1].2, serde_json::to_string(&args_b).unwrap());
    assert_eq!(serde_json::from_str::<Value>(&calls[0].2).unwrap(), args_a);

    // The same reply, non-streaming.
    body["stream"] = json!(false);
    let value: Value = post_openai(&fake.base_url(), &body)
        .await
        .json()
        .await
        .unwrap();
    let message = &value["choices"][0]["message"];
    assert_eq!(value["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(message["content"], "Creating tasks.");
    let tool_calls = message["tool_calls"].as_array().unwrap();
    assert_eq!(tool_calls.len(), 2);
    assert_eq!(tool_calls[1]["type"], "function");
    assert_eq!(tool_calls[1]["function"]["name"], "create_task");
    assert_eq!(
        tool_calls[1]["function"]["arguments"],
        serde_json::to_string(&args_b).unwrap()
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn tool_only_reply_has_null_content() {
    let fake = FakeLlm::start(Scenario::new().default_reply(Reply::tool("ls", json!({}))))
        .await
        .unwrap();
    let value: Value = post_openai(&fake.base_url(), &openai_body(hello(), false))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(value["choices"][0]["message"]["content"], Value::Null);
    assert_eq!(
        value["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"],
        "{}"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn usage_chunk_comes_last_when_requested() {
    let fake = FakeLlm::start(Scenario::new().default_reply(Reply::text("abcdefgh").usage(42, 7)))
        .await
        .unwrap();
    let mut body = openai_body(hello(), true);
    body["stream_options"] = json!({"include_usage": true});
    let (text, _) = read_all(post_openai(&fake.base_url(), &body).await).await;
    let frames = frames(&text);
    assert_eq!(frames.last().unwrap().data, "[DONE]");
    let chunks: Vec<Value> = frames[..frames.len() - 1]
        .iter()
        .map(|f| f.json())
        .collect();
    let (usage_chunk, rest) = chunks.split_last().unwrap();
    for chunk in rest {
        assert_eq!(
            chunk["usage"],
            Value::Null,
            "every other chunk carries usage: null"
        );
        assert_eq!(chunk["choices"].as_array().unwrap().len(), 1);
    }
    assert_eq!(rest.last().unwrap()["choices"][0]["finish_reason"], "stop");
    assert_eq!(usage_chunk["choices"], json!([]));
    assert_eq!(
        usage_chunk["usage"],
        json!({"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49})
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn reasoning_streams_as_reasoning_content_before_text() {
    let fake = FakeLlm::start(
        Scenario::new().default_rule(
            Rule::any()
                .reply(Reply::text("Answer.").reasoning("Let me think about it."))
                .chunk_chars(0),
        ),
    )
    .await
    .unwrap();
    let (text, _) =
        read_all(post_openai(&fake.base_url(), &openai_body(hello(), true)).await).await;
    let frames = frames(&text);
    let deltas: Vec<Value> = frames[..frames.len() - 1]
        .iter()
        .map(|f| f.json()["choices"][0]["delta"].clone())
        .collect();
    assert_eq!(deltas.len(), 4);
    assert_eq!(
        deltas[1],
        json!({"content": null, "reasoning_content": "Let me think about it."})
    );
    assert_eq!(deltas[2], json!({"content": "Answer."}));

    let value: Value = post_openai(&fake.base_url(), &openai_body(hello(), false))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        value["choices"][0]["message"]["reasoning_content"],
        "Let me think about it."
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn rate_limit_with_retry_after_then_success() {
    let scenario = Scenario::new()
        .rule(Rule::any().times(2).status(429).retry_after_secs(3))
        .default_reply(Reply::text("finally"));
    let fake = FakeLlm::start(scenario).await.unwrap();
    for _ in 0..2 {
        let response = post_openai(&fake.base_url(), &openai_body(hello(), true)).await;
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "3");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "rate_limit_exceeded");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Rate limit")
        );
        assert!(body["error"].get("param").is_some());
    }
    let response = post_openai(&fake.base_url(), &openai_body(hello(), false)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "finally");
    let answers: Vec<Answer> = fake.requests().into_iter().map(|r| r.answer).collect();
    assert_eq!(
        answers[0],
        Answer::Rule {
            index: 0,
            name: None
        }
    );
    assert_eq!(answers[2], Answer::Default);
    fake.shutdown().await;
}

#[tokio::test]
async fn server_errors_have_the_openai_shape() {
    let fake = FakeLlm::start(
        Scenario::new()
            .rule(Rule::when(Match::any().last_user_contains("500")).status(500))
            .rule(Rule::any().status(503).error_message("try later")),
    )
    .await
    .unwrap();
    let body = openai_body(json!([{"role": "user", "content": "500 please"}]), false);
    let response = post_openai(&fake.base_url(), &body).await;
    assert_eq!(response.status(), 500);
    assert!(response.headers().get("retry-after").is_none());
    let value: Value = response.json().await.unwrap();
    assert_eq!(value["error"]["type"], "server_error");
    let response = post_openai(&fake.base_url(), &openai_body(hello(), false)).await;
    assert_eq!(response.status(), 503);
    let value: Value = response.json().await.unwrap();
    assert_eq!(value["error"]["message"], "try later");
    fake.shutdown().await;
}

#[tokio::test]
async fn cut_stream_ends_without_done() {
    let fake = FakeLlm::start(
        Scenario::new().default_rule(
            Rule::any()
                .text("0123456789abcdefghijklmnopqrstuvwxyz")
                .chunk_chars(4)
                .cut_after_chunks(3),
        ),
    )
    .await
    .unwrap();
    for _ in 0..20 {
        let response = post_openai(&fake.base_url(), &openai_body(hello(), true)).await;
        assert_eq!(response.status(), 200);
        let (text, failed) = read_all(response).await;
        assert!(failed, "the transfer must fail, not end cleanly: {text:?}");
        assert!(!text.contains("[DONE]"));
        let frames = frames(&text);
        assert_eq!(frames.len(), 3, "{text}");
        assert_eq!(frames[2].json()["choices"][0]["delta"]["content"], "4567");
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn in_stream_error_event() {
    let fake = FakeLlm::start(
        Scenario::new().default_rule(
            Rule::any()
                .text("abcdefgh")
                .chunk_chars(2)
                .error_after_chunks(2),
        ),
    )
    .await
    .unwrap();
    let (text, failed) =
        read_all(post_openai(&fake.base_url(), &openai_body(hello(), true)).await).await;
    assert!(!failed);
    let frames = frames(&text);
    assert_eq!(frames.len(), 3);
    assert_eq!(frames[2].json()["error"]["type"], "server_error");
    assert!(!text.contains("[DONE]"));
    fake.shutdown().await;
}

#[tokio::test]
async fn wrong_or_missing_key_is_401() {
    let fake = FakeLlm::start(Scenario::always("ok").api_key("sk-right-key-123"))
        .await
        .unwrap();
    let url = format!("{}/v1/chat/completions", fake.base_url());
    let client = common::client();
    let body = openai_body(hello(), false);
    let wrong = client
        .post(&url)
        .bearer_auth("sk-wrong-key-456")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let value: Value = wrong.json().await.unwrap();
    assert_eq!(value["error"]["code"], "invalid_api_key");
    assert_eq!(value["error"]["type"], "invalid_request_error");
    let message = value["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Incorrect API key provided"),
        "{message}"
    );
    assert!(
        !message.contains("sk-wrong-key-456"),
        "the key is redacted: {message}"
    );

    let missing = client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(missing.status(), 401);

    let right = client
        .post(&url)
        .bearer_auth("sk-right-key-123")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    let requests = fake.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].answer, Answer::Unauthorized);
    assert_eq!(requests[0].status, 401);
    assert_eq!(
        requests[2].header("Authorization"),
        Some("Bearer sk-right-key-123")
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn models_and_path_aliases() {
    let fake = FakeLlm::start(
        Scenario::always("ok").rule(Rule::when(Match::any().model("gpt-fake-1")).text("one")),
    )
    .await
    .unwrap();
    let client = common::client();
    let models: Value = client
        .get(format!("{}/v1/models", fake.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(models["object"], "list");
    assert_eq!(models["data"][0]["id"], "gpt-fake-1");
    assert_eq!(models["data"][0]["object"], "model");

    let mut body = openai_body(hello(), false);
    body["model"] = json!("gpt-fake-1");
    let value: Value = client
        .post(format!("{}/chat/completions", fake.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(value["choices"][0]["message"]["content"], "one");
    assert_eq!(value["model"], "gpt-fake-1");

    let missing = client
        .post(format!("{}/v1/embeddings", fake.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let value: Value = missing.json().await.unwrap();
    assert!(
        value["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/v1/embeddings")
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn malformed_requests_are_rejected_like_the_real_api() {
    let fake = FakeLlm::start(Scenario::always("ok")).await.unwrap();
    let client = common::client();
    let url = format!("{}/v1/chat/completions", fake.base_url());

    let bad_json = client
        .post(&url)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
    let value: Value = bad_json.json().await.unwrap();
    assert_eq!(value["error"]["type"], "invalid_request_error");

    // A tool result without the assistant message that asked for it.
    let orphan = openai_body(
        json!([{"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": "call_1", "content": "x"}]),
        false,
    );
    let response = post_openai(&fake.base_url(), &orphan).await;
    assert_eq!(response.status(), 400);
    let value: Value = response.json().await.unwrap();
    assert!(
        value["error"]["message"]
            .as_str()
            .unwrap()
            .contains("role 'tool'")
    );

    let no_model = json!({"messages": [{"role": "user", "content": "hi"}]});
    assert_eq!(post_openai(&fake.base_url(), &no_model).await.status(), 400);

    // Lenient scenarios accept it.
    fake.set_scenario(Scenario::always("ok").strict(false));
    assert_eq!(post_openai(&fake.base_url(), &orphan).await.status(), 200);
    assert!(matches!(fake.requests()[1].answer, Answer::Invalid { .. }));
    fake.shutdown().await;
}

#[tokio::test]
async fn no_match_explains_the_request() {
    let fake = FakeLlm::start(Scenario::new().rule(Rule::on_turn(5).text("late")))
        .await
        .unwrap();
    let body = openai_body(
        json!([{"role": "user", "content": "please fix the login form"}]),
        false,
    );
    let response = post_openai(&fake.base_url(), &body).await;
    assert_eq!(response.status(), 400);
    let value: Value = response.json().await.unwrap();
    let message = value["error"]["message"].as_str().unwrap();
    assert!(message.contains("no rule matched"), "{message}");
    assert!(message.contains("please fix the login form"), "{message}");
    assert!(message.contains("turn 0"), "{message}");
    assert_eq!(fake.requests()[0].answer, Answer::NoMatch);
    fake.shutdown().await;
}

#[tokio::test]
async fn finish_override_and_max_tokens() {
    let scenario = Scenario::new()
        .rule(
            Rule::when(Match::any().last_user_contains("override"))
                .reply(Reply::text("cut").finish(Finish::Length)),
        )
        .default_reply(Reply::text("x".repeat(100)))
        .enforce_max_tokens(true);
    let fake = FakeLlm::start(scenario).await.unwrap();
    let body = openai_body(json!([{"role": "user", "content": "override"}]), false);
    let value: Value = post_openai(&fake.base_url(), &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(value["choices"][0]["finish_reason"], "length");

    let mut body = openai_body(hello(), false);
    body["max_completion_tokens"] = json!(5);
    let value: Value = post_openai(&fake.base_url(), &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(value["choices"][0]["finish_reason"], "length");
    assert_eq!(value["choices"][0]["message"]["content"], "x".repeat(20));
    assert_eq!(value["usage"]["completion_tokens"], 5);
    fake.shutdown().await;
}
