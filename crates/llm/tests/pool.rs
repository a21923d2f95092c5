//! Pool plumbing: one keep-alive client, provider registration, custom providers.

mod common;

use arranger_fake_llm::Scenario;
use arranger_llm::{
    ChatRequest, EventStream, FinishReason, LlmCall, LlmError, LlmPool, LlmProvider,
    ProviderConfig, ProviderKind, ProviderOptions, StreamEvent,
};
use axum::serve::ListenerExt;
use common::*;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A minimal OpenAI-compatible server that counts TCP connections.
async fn counting_server() -> (String, Arc<AtomicUsize>) {
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(|| async {
            let body = concat!(
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"pong\"}}]}\n\n",
                "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
                "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}\n\n",
                "data: [DONE]\n\n",
            );
            ([("content-type", "text/event-stream")], body)
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = listener.tap_io(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), connections)
}

#[tokio::test]
async fn sequential_calls_reuse_one_connection() {
    let (base, connections) = counting_server().await;
    let config = ProviderConfig::new(ProviderKind::OpenAi, "m").with_base_url(&base);
    let pool = LlmPool::new(fast_config()).unwrap();
    // Two providers on the same server share the pool's one client and its connections.
    pool.register("a", &config).unwrap();
    pool.register("b", &config).unwrap();
    for i in 0..6 {
        let provider = if i % 2 == 0 { "a" } else { "b" };
        let (c, _) = pool
            .complete(LlmCall::new(user("u"), provider, request("ping")))
            .await
            .unwrap();
        assert_eq!(c.text, "pong");
    }
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn ensure_provider_deduplicates_by_endpoint_and_key() {
    let fake = fake(Scenario::always("hi")).await;
    let pool = LlmPool::new(fast_config()).unwrap();
    let a = pool.ensure_provider(&openai(&fake)).unwrap();
    let same = pool
        .ensure_provider(&openai(&fake).with_base_url(format!("{}/", fake.openai_base_url())))
        .unwrap();
    assert_eq!(a, same);
    assert_eq!(a, "openai@127.0.0.1");
    let other_key = pool
        .ensure_provider(&openai(&fake).with_api_key("sk-another-key-123"))
        .unwrap();
    assert_ne!(a, other_key);
    let claude = pool.ensure_provider(&anthropic(&fake)).unwrap();
    assert_eq!(claude, "anthropic@127.0.0.1");
    assert_eq!(pool.providers().len(), 3);
    let (c, _) = pool
        .complete(LlmCall::new(user("u"), &a, request("x")))
        .await
        .unwrap();
    assert_eq!(c.text, "hi");
    let bad = ProviderConfig::new(ProviderKind::OpenAi, "").with_base_url(fake.base_url());
    assert!(matches!(
        pool.ensure_provider(&bad),
        Err(LlmError::Config(_))
    ));
    assert!(pool.remove(&a));
    assert_ne!(pool.ensure_provider(&openai(&fake)).unwrap(), "");
}

/// Any `LlmProvider` can sit in the pool; a provider stream that ends without a finish
/// event is treated as cut and retried.
struct Flaky {
    calls: AtomicUsize,
}

impl LlmProvider for Flaky {
    fn name(&self) -> &str {
        "flaky"
    }

    fn default_model(&self) -> &str {
        "flaky-1"
    }

    fn stream(&self, request: &ChatRequest) -> BoxFuture<'static, Result<EventStream, LlmError>> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let model = request.options.model.clone().unwrap_or_default();
        async move {
            let mut events = vec![Ok(StreamEvent::TextDelta {
                text: format!("{model} attempt {n}"),
            })];
            if n > 0 {
                events.push(Ok(StreamEvent::Finish {
                    reason: FinishReason::Stop,
                }));
            }
            let stream: EventStream = Box::pin(futures_util::stream::iter(events));
            Ok(stream)
        }
        .boxed()
    }
}

#[tokio::test]
async fn custom_provider_and_missing_finish() {
    let pool = LlmPool::new(fast_config()).unwrap();
    pool.register_provider(
        Arc::new(Flaky {
            calls: AtomicUsize::new(0),
        }),
        ProviderOptions::default(),
    )
    .unwrap();
    let (c, m) = pool
        .complete(LlmCall::new(user("u"), "flaky", ChatRequest::default()))
        .await
        .unwrap();
    assert_eq!(c.text, "flaky-1 attempt 1");
    assert_eq!(m.attempts, 2);
}
