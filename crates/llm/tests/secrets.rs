//! API keys never appear in Debug output, errors, health events or logs — even when a
//! provider echoes the key back in its error body.

mod common;

use arranger_llm::{
    BreakerConfig, LlmCall, LlmPool, ProviderConfig, ProviderKind, ProviderOptions, build_provider,
};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::*;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "sk-live-TOPSECRET-9f8e7d6c5b4a";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A server that answers with the presented key in its error body, as some providers
/// do: 401 for `/v1/messages`, 500 for chat completions.
async fn echo_server() -> String {
    async fn echo(headers: HeaderMap, status: StatusCode) -> (StatusCode, String) {
        let presented = headers
            .get("authorization")
            .or_else(|| headers.get("x-api-key"))
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = serde_json::json!({
            "error": {"message": format!("Incorrect API key provided: {presented}"), "type": "invalid_request_error"}
        });
        (status, body.to_string())
    }
    let app = axum::Router::new()
        .route(
            "/v1/chat/completions",
            post(|h: HeaderMap| echo(h, StatusCode::INTERNAL_SERVER_ERROR)),
        )
        .route(
            "/v1/messages",
            post(|h: HeaderMap| echo(h, StatusCode::UNAUTHORIZED)),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn keys_never_leak() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let base = echo_server().await;
    let openai = ProviderConfig::new(ProviderKind::OpenAi, "m")
        .with_base_url(&base)
        .with_api_key(SECRET);
    let anthropic = ProviderConfig::new(ProviderKind::Anthropic, "m")
        .with_base_url(&base)
        .with_api_key(SECRET);
    let pool = LlmPool::new(fast_config()).unwrap();
    let breaker = BreakerConfig {
        failure_threshold: 2,
        cool_down: Duration::from_secs(60),
    };
    let opts = ProviderOptions {
        breaker,
        ..ProviderOptions::default()
    };
    pool.register_with("oa", &openai, opts.clone()).unwrap();
    pool.register_with("an", &anthropic, opts).unwrap();
    let mut health = pool.subscribe_health();

    let mut seen = Vec::new();
    for provider in ["oa", "an", "an"] {
        let err = pool
            .complete(LlmCall::new(user("u"), provider, request("x")))
            .await
            .unwrap_err();
        // The provider's message is kept, the key is not.
        assert!(
            err.to_string().contains("Incorrect API key provided"),
            "{err}"
        );
        seen.push(format!("{err} {err:?}"));
    }
    while let Ok(event) = health.try_recv() {
        seen.push(format!("{event:?}"));
    }
    assert!(seen.len() >= 4, "breaker events were published: {seen:?}");
    seen.push(format!("{openai:?} {anthropic:?} {:?}", openai.api_key));
    seen.push(format!("{pool:?}"));
    seen.push(serde_json::to_string(&openai).unwrap());
    let client = reqwest::Client::new();
    seen.push(format!(
        "{:?}",
        build_provider(client.clone(), "x", &openai).unwrap().name()
    ));
    seen.push(format!(
        "{:?}",
        arranger_llm::OpenAiProvider::new(client.clone(), "x", &openai).unwrap()
    ));
    seen.push(format!(
        "{:?}",
        arranger_llm::AnthropicProvider::new(client, "x", &anthropic).unwrap()
    ));

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("LLM call failed"),
        "logs were captured: {logs}"
    );
    assert!(logs.contains("Incorrect API key provided"));
    seen.push(logs);
    for text in &seen {
        assert!(!text.contains(SECRET), "the key leaked: {text}");
        assert!(
            !text.contains("TOPSECRET"),
            "part of the key leaked: {text}"
        );
    }
}
