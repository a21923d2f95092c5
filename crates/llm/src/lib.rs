//! Arranger's LLM layer: providers behind one streaming trait, and the shared pool.
//!
//! - [`LlmProvider`]: one endpoint and wire format — [`OpenAiProvider`] (OpenAI Chat
//!   Completions and compatible servers: DeepSeek, Qwen, vLLM, llama.cpp, Ollama, ...)
//!   and [`AnthropicProvider`] (Anthropic Messages). A call yields a stream of
//!   [`StreamEvent`]s; [`collect`] / [`CompletionBuilder`] turn it into a [`Completion`].
//! - [`ProviderConfig`]: kind, base URL, model and an [`ApiKey`] that is never printed
//!   or serialized; [`ProviderConfig::from_env`] reads the conventional variables.
//! - [`LlmPool`]: one HTTP client for all users; per-provider concurrency and rate
//!   limits, fair queuing by user, retries with backoff honouring `Retry-After`,
//!   timeouts, cancellation, fallback, circuit breakers published as
//!   [`ProviderHealth`] events, and token/cost accounting per user, agent and task.

#![warn(missing_docs)]

mod anthropic;
mod collect;
mod config;
mod error;
mod http;
mod openai;
mod pool;
mod provider;
mod sse;
mod types;

pub use anthropic::{ANTHROPIC_VERSION, AnthropicProvider, DEFAULT_MAX_TOKENS};
pub use collect::{CompletionBuilder, collect};
pub use config::{ApiKey, ProviderConfig, ProviderKind};
pub use error::{LlmError, TimeoutPhase};
pub use openai::OpenAiProvider;
pub use pool::{
    BreakerConfig, BreakerState, CallGate, CallMetrics, CallTags, FallbackTarget, LlmCall, LlmPool,
    LlmStream, ModelPrice, PoolConfig, ProviderHealth, ProviderLimits, ProviderOptions,
    ProviderStats, RetryPolicy, Timeouts, UsageSnapshot, UsageTotals,
};
pub use provider::{EventStream, LlmProvider, build_provider};
pub use types::{
    ChatRequest, Completion, FinishReason, MalformedArguments, Message, Reasoning, SamplingOptions,
    StreamEvent, ToolCall, ToolCallRequest, ToolDefinition, Usage, parse_tool_arguments,
};

/// Re-exported so callers can build cancellation tokens without naming tokio-util.
pub use tokio_util::sync::CancellationToken;
