//! Helpers shared by the integration tests.
#![allow(dead_code)]

use arranger_domain::UserId;
use arranger_fake_llm::{FakeLlm, Scenario};
use arranger_llm::{
    BreakerConfig, CallTags, ChatRequest, LlmPool, Message, PoolConfig, ProviderConfig,
    ProviderKind, ProviderLimits, ProviderOptions, RetryPolicy, Timeouts, ToolDefinition,
};
use serde_json::json;
use std::time::Duration;

/// The key the fake server demands.
pub const KEY: &str = "sk-test-0123456789abcdef";

/// A pool config with quick retries and short timeouts.
pub fn fast_config() -> PoolConfig {
    PoolConfig {
        timeouts: Timeouts {
            connect: Duration::from_secs(2),
            first_byte: Duration::from_secs(5),
            idle: Duration::from_secs(5),
        },
        retry: RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(40),
            max_retry_after: Duration::from_secs(5),
        },
        ..PoolConfig::default()
    }
}

/// Provider options with a given concurrency and breaker.
pub fn options(max_concurrency: usize, breaker: BreakerConfig) -> ProviderOptions {
    ProviderOptions {
        limits: ProviderLimits {
            max_concurrency,
            ..ProviderLimits::default()
        },
        breaker,
        fallback: None,
    }
}

/// Starts a fake server demanding [`KEY`].
pub async fn fake(scenario: Scenario) -> FakeLlm {
    FakeLlm::start(scenario.api_key(KEY))
        .await
        .expect("start the fake LLM")
}

/// An OpenAI-compatible config for the fake (base URL with `/v1`).
pub fn openai(fake: &FakeLlm) -> ProviderConfig {
    ProviderConfig::new(ProviderKind::OpenAi, "fake-model")
        .with_base_url(fake.openai_base_url())
        .with_api_key(KEY)
}

/// An Anthropic config for the fake (bare origin).
pub fn anthropic(fake: &FakeLlm) -> ProviderConfig {
    ProviderConfig::new(ProviderKind::Anthropic, "fake-claude")
        .with_base_url(fake.base_url())
        .with_api_key(KEY)
}

/// Tags for a user.
pub fn user(name: &str) -> CallTags {
    CallTags::user(UserId::from(name))
}

/// A one-message request offering two tools.
pub fn request(text: &str) -> ChatRequest {
    ChatRequest::new(vec![
        Message::system("You are a test."),
        Message::user(text),
    ])
    .with_tools(vec![
        ToolDefinition {
            name: "read_file".into(),
            description: "Reads a file".into(),
            parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
        },
        ToolDefinition {
            name: "list_dir".into(),
            description: "Lists a directory".into(),
            parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
        },
    ])
}

/// A pool with one provider `p` for `config`.
pub fn pool_with(
    config: &ProviderConfig,
    pool_config: PoolConfig,
    opts: ProviderOptions,
) -> LlmPool {
    let pool = LlmPool::new(pool_config).expect("pool");
    pool.register_with("p", config, opts).expect("register");
    pool
}
