//! Both wire formats against the fake LLM server: streaming text, reasoning, parallel
//! tool calls, usage, multi-turn history, malformed arguments, base URL forms.

mod common;

use arranger_fake_llm::{Reply, Rule, Scenario, ToolCall as FakeCall};
use arranger_llm::{
    FinishReason, LlmCall, LlmProvider, Message, ProviderConfig, ProviderKind, StreamEvent,
    build_provider, collect,
};
use common::*;
use futures_util::StreamExt;
use serde_json::json;

fn parallel_reply() -> Reply {
    Reply::text("Let me look at both.")
        .reasoning("The user wants two things.")
        .and_tool("read_file", json!({"path": "src/main.rs"}))
        .and_tool("list_dir", json!({"path": "."}))
        .usage(120, 45)
}

async fn events_of(provider: &dyn LlmProvider) -> Vec<StreamEvent> {
    let stream = provider.stream(&request("look")).await.expect("stream");
    stream.map(|e| e.expect("event")).collect::<Vec<_>>().await
}

fn assert_parallel_tool_events(events: &[StreamEvent]) {
    // Each call starts before its deltas and ends after them; indices 0 and 1.
    for index in 0..2 {
        let start = events
            .iter()
            .position(|e| matches!(e, StreamEvent::ToolCallStart { index: i, .. } if *i == index))
            .expect("start");
        let end = events
            .iter()
            .position(|e| matches!(e, StreamEvent::ToolCallEnd { index: i } if *i == index))
            .expect("end");
        let deltas: Vec<usize> = events
            .iter()
            .enumerate()
            .filter(
                |(_, e)| matches!(e, StreamEvent::ToolCallDelta { index: i, .. } if *i == index),
            )
            .map(|(p, _)| p)
            .collect();
        assert!(deltas.len() > 1, "arguments arrive in several deltas");
        assert!(deltas.iter().all(|p| *p > start && *p < end));
    }
    assert!(matches!(events.last(), Some(StreamEvent::Finish { .. })));
    assert!(matches!(events[events.len() - 2], StreamEvent::Usage(_)));
}

fn assert_parallel_completion(c: &arranger_llm::Completion) {
    assert_eq!(c.text, "Let me look at both.");
    assert_eq!(c.reasoning.as_deref(), Some("The user wants two things."));
    assert_eq!(c.finish_reason, FinishReason::ToolCalls);
    assert_eq!(c.tool_calls.len(), 2);
    assert_eq!(c.tool_calls[0].name, "read_file");
    assert_eq!(
        c.tool_calls[0].arguments,
        Ok(json!({"path": "src/main.rs"}))
    );
    assert_eq!(c.tool_calls[1].name, "list_dir");
    assert_eq!(c.tool_calls[1].arguments, Ok(json!({"path": "."})));
    assert_ne!(c.tool_calls[0].id, c.tool_calls[1].id);
    assert_eq!(c.usage.input_tokens, 120);
    assert_eq!(c.usage.output_tokens, 45);
}

#[tokio::test]
async fn openai_streams_text_reasoning_parallel_tools_and_usage() {
    let fake = fake(Scenario::new().rule(Rule::any().reply(parallel_reply()).chunk_chars(5))).await;
    let provider = build_provider(reqwest::Client::new(), "oa", &openai(&fake)).unwrap();
    let events = events_of(provider.as_ref()).await;
    assert!(
        events
            .iter()
            .filter(|e| matches!(e, StreamEvent::TextDelta { .. }))
            .count()
            > 1
    );
    assert_parallel_tool_events(&events);
    let c = collect(futures_util::stream::iter(events.into_iter().map(Ok)))
        .await
        .unwrap();
    assert_parallel_completion(&c);

    let recorded = fake.requests();
    let body = &recorded[0].body;
    assert_eq!(recorded[0].path, "/v1/chat/completions");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["model"], "fake-model");
    assert_eq!(body["tools"][0]["function"]["name"], "read_file");
    assert_eq!(
        recorded[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[tokio::test]
async fn anthropic_streams_text_thinking_parallel_tools_and_usage() {
    let fake = fake(Scenario::new().rule(Rule::any().reply(parallel_reply()).chunk_chars(5))).await;
    let provider = build_provider(reqwest::Client::new(), "an", &anthropic(&fake)).unwrap();
    let events = events_of(provider.as_ref()).await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, StreamEvent::ReasoningSignature { .. }))
    );
    assert_parallel_tool_events(&events);
    let c = collect(futures_util::stream::iter(events.into_iter().map(Ok)))
        .await
        .unwrap();
    assert_parallel_completion(&c);
    assert!(c.reasoning_signature.is_some());

    let recorded = fake.requests();
    assert_eq!(recorded[0].path, "/v1/messages");
    assert_eq!(recorded[0].header("x-api-key"), Some(KEY));
    assert_eq!(recorded[0].header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(recorded[0].header("authorization"), None);
    let body = &recorded[0].body;
    assert_eq!(body["system"], "You are a test.");
    assert_eq!(body["max_tokens"], 4096);
    assert_eq!(body["tools"][1]["input_schema"]["type"], "object");
}

/// A tool loop of two turns; the fake validates (strictly) that every tool result
/// answers a call of the previous assistant turn, in each wire format.
#[tokio::test]
async fn multi_turn_history_is_accepted_by_both_formats() {
    let scenario = Scenario::new()
        .rule(Rule::on_turn(0).reply(parallel_reply()))
        .rule(Rule::on_turn(1).text("Results: {{last_tool_result}}"));
    let fake = fake(scenario).await;
    for config in [openai(&fake), anthropic(&fake)] {
        let pool = pool_with(&config, fast_config(), Default::default());
        let mut req = request("look");
        let (first, _) = pool
            .complete(LlmCall::new(user("u"), "p", req.clone()))
            .await
            .unwrap();
        req.messages.push(first.to_message());
        for call in &first.tool_calls {
            req.messages
                .push(Message::tool_result(&call.id, format!("ok:{}", call.name)));
        }
        let (second, metrics) = pool
            .complete(LlmCall::new(user("u"), "p", req))
            .await
            .unwrap();
        assert_eq!(second.text, "Results: ok:list_dir", "{:?}", config.kind);
        assert_eq!(second.finish_reason, FinishReason::Stop);
        assert_eq!(metrics.attempts, 1);
    }
}

#[tokio::test]
async fn malformed_tool_arguments_become_an_error_value() {
    let broken = "{\"path\": \"a.txt\", \"content\": ";
    let scenario = Scenario::new().rule(Rule::any().reply(Reply::tools([
        FakeCall::new("write_file", json!(broken)),
        FakeCall::new("read_file", json!({"path": "b"})),
    ])));
    let fake = fake(scenario).await;
    for config in [openai(&fake), anthropic(&fake)] {
        let pool = pool_with(&config, fast_config(), Default::default());
        let (c, _) = pool
            .complete(LlmCall::new(user("u"), "p", request("write")))
            .await
            .expect("a malformed call is not a failed turn");
        assert_eq!(c.tool_calls.len(), 2);
        let bad = &c.tool_calls[0];
        assert_eq!(bad.raw_arguments, broken);
        let err = bad.arguments.as_ref().unwrap_err();
        assert!(err.to_string().contains("write_file"), "{err}");
        assert!(err.to_string().contains("EOF"), "{err}");
        assert_eq!(c.tool_calls[1].arguments, Ok(json!({"path": "b"})));

        // The history with the malformed call still goes back to the provider.
        let mut req = request("write");
        req.messages.push(c.to_message());
        req.messages
            .push(Message::tool_error(&bad.id, err.to_string()));
        req.messages
            .push(Message::tool_result(&c.tool_calls[1].id, "contents"));
        fake.set_scenario(Scenario::always("fixed").api_key(KEY));
        let (again, _) = pool
            .complete(LlmCall::new(user("u"), "p", req))
            .await
            .unwrap();
        assert_eq!(again.text, "fixed");
        fake.set_scenario(
            Scenario::new()
                .api_key(KEY)
                .rule(Rule::any().reply(Reply::tools([
                    FakeCall::new("write_file", json!(broken)),
                    FakeCall::new("read_file", json!({"path": "b"})),
                ]))),
        );
    }
}

#[tokio::test]
async fn base_urls_with_and_without_version_segment() {
    let fake = fake(Scenario::always("hi")).await;
    for base in [
        fake.base_url(),
        format!("{}/", fake.base_url()),
        fake.openai_base_url(),
        format!("{}/", fake.openai_base_url()),
    ] {
        let config = ProviderConfig::new(ProviderKind::OpenAi, "m")
            .with_base_url(&base)
            .with_api_key(KEY);
        let pool = pool_with(&config, fast_config(), Default::default());
        let (c, _) = pool
            .complete(LlmCall::new(user("u"), "p", request("x")))
            .await
            .unwrap_or_else(|e| panic!("{base}: {e}"));
        assert_eq!(c.text, "hi");
    }
    for base in [fake.base_url(), fake.openai_base_url()] {
        let config = ProviderConfig::new(ProviderKind::Anthropic, "m")
            .with_base_url(&base)
            .with_api_key(KEY);
        let pool = pool_with(&config, fast_config(), Default::default());
        let (c, _) = pool
            .complete(LlmCall::new(user("u"), "p", request("x")))
            .await
            .unwrap_or_else(|e| panic!("{base}: {e}"));
        assert_eq!(c.text, "hi");
    }
    assert!(fake.requests().iter().all(|r| r.status == 200));
}

/// The request's model overrides the provider's; the pool reports which was used.
#[tokio::test]
async fn model_override_and_metrics() {
    let fake = fake(Scenario::always("hi")).await;
    let pool = pool_with(&openai(&fake), fast_config(), Default::default());
    let (_, m) = pool
        .complete(LlmCall::new(
            user("u"),
            "p",
            request("x").with_model("other-model"),
        ))
        .await
        .unwrap();
    assert_eq!(fake.requests()[0].model(), Some("other-model"));
    assert_eq!(m.model, "other-model");
    assert_eq!(m.provider, "p");
    assert!(m.time_to_first_byte.is_some());
    assert!(m.total >= m.time_to_first_byte);
}
