//! The provider trait.

use crate::anthropic::AnthropicProvider;
use crate::openai::OpenAiProvider;
use crate::{ChatRequest, LlmError, ProviderConfig, ProviderKind, StreamEvent};
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use std::sync::Arc;

/// The events of one streamed model turn (see [`StreamEvent`] for the order).
pub type EventStream = BoxStream<'static, Result<StreamEvent, LlmError>>;

/// One LLM endpoint speaking one wire format. Object-safe: the pool holds
/// `Arc<dyn LlmProvider>`.
///
/// A provider does one HTTP attempt per call: no retries, limits or timeouts other than
/// the client's connect timeout. [`crate::LlmPool`] adds those. Dropping the returned
/// future or stream aborts the HTTP request.
pub trait LlmProvider: Send + Sync + 'static {
    /// The provider's name in the pool; used in errors and logs.
    fn name(&self) -> &str;

    /// The model used when a request names none.
    fn default_model(&self) -> &str;

    /// Starts one model turn. The future resolves when the response headers arrived
    /// (non-success statuses become [`LlmError::Status`]); the stream yields the events.
    /// The request is serialized before this returns, so the future owns everything.
    fn stream(&self, request: &ChatRequest) -> BoxFuture<'static, Result<EventStream, LlmError>>;
}

/// Builds the provider for `config`, named `name`, sending through `client`.
pub fn build_provider(
    client: reqwest::Client,
    name: impl Into<String>,
    config: &ProviderConfig,
) -> Result<Arc<dyn LlmProvider>, LlmError> {
    Ok(match config.kind {
        ProviderKind::OpenAi => Arc::new(OpenAiProvider::new(client, name, config)?),
        ProviderKind::Anthropic => Arc::new(AnthropicProvider::new(client, name, config)?),
    })
}

/// The `HeaderValue` for a secret (marked sensitive so it is never printed by `Debug`).
pub(crate) fn secret_header(value: &str) -> Result<reqwest::header::HeaderValue, LlmError> {
    let mut header = reqwest::header::HeaderValue::from_str(value).map_err(|_| {
        LlmError::Config("the API key contains characters not allowed in an HTTP header".into())
    })?;
    header.set_sensitive(true);
    Ok(header)
}
