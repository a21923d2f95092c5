//! Anthropic Messages (`POST {base}/v1/messages`, streaming).

use crate::config::ApiKey;
use crate::http::{self, Decoder};
use crate::provider::secret_header;
use crate::sse::SseEvent;
use crate::{
    ChatRequest, EventStream, FinishReason, LlmError, LlmProvider, Message, ProviderConfig,
    StreamEvent, Usage,
};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};

/// The API version sent in `anthropic-version`.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";
/// `max_tokens` when the request sets none (Anthropic requires it).
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

/// A provider speaking Anthropic Messages.
pub struct AnthropicProvider {
    client: reqwest::Client,
    name: String,
    url: String,
    model: String,
    key: Option<ApiKey>,
}

impl std::fmt::Debug for AnthropicProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnthropicProvider")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl AnthropicProvider {
    /// A provider for `config` (validated), named `name`, sending through `client`.
    pub fn new(
        client: reqwest::Client,
        name: impl Into<String>,
        config: &ProviderConfig,
    ) -> Result<Self, LlmError> {
        config.validate()?;
        Ok(Self {
            client,
            name: name.into(),
            url: http::endpoint(config.base_url(), "messages"),
            model: config.model.clone(),
            key: config.api_key.clone(),
        })
    }

    /// The request body for `request`.
    fn body(&self, request: &ChatRequest) -> Value {
        let system: Vec<&str> = request
            .messages
            .iter()
            .filter_map(|m| match m {
                Message::System { content } => Some(content.as_str()),
                _ => None,
            })
            .collect();
        let model = request.options.model.as_deref().unwrap_or(&self.model);
        let thinking = request.options.thinking_budget_tokens;
        let mut max_tokens = request.options.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
        if let Some(budget) = thinking
            && max_tokens <= budget
        {
            max_tokens = budget.saturating_add(DEFAULT_MAX_TOKENS);
        }
        let mut body = json!({
            "model": model,
            "max_tokens": max_tokens,
            "messages": messages_json(&request.messages, thinking.is_some()),
            "stream": true,
        });
        if !system.is_empty() {
            body["system"] = json!(system.join("\n\n"));
        }
        if let Some(budget) = thinking {
            body["thinking"] = json!({"type": "enabled", "budget_tokens": budget});
        } else if let Some(t) = request.options.temperature {
            // With thinking enabled Anthropic accepts no temperature but the default.
            body["temperature"] = json!(t);
        }
        if !request.tools.is_empty() {
            body["tools"] = request
                .tools
                .iter()
                .map(|t| {
                    json!({
                        "name": t.name,
                        "description": t.description,
                        "input_schema": t.parameters,
                    })
                })
                .collect();
        }
        body
    }
}

/// The `messages` array: system messages are lifted out, tool results become
/// `tool_result` blocks of a user turn, and consecutive turns of one role are merged
/// (Anthropic requires alternation). Thinking is sent back only when it is signed and
/// thinking is enabled.
fn messages_json(messages: &[Message], thinking: bool) -> Vec<Value> {
    let mut out: Vec<(&'static str, Vec<Value>)> = Vec::new();
    let mut push = |role: &'static str, blocks: Vec<Value>| {
        if blocks.is_empty() {
            return;
        }
        match out.last_mut() {
            Some((last, existing)) if *last == role => existing.extend(blocks),
            _ => out.push((role, blocks)),
        }
    };
    for message in messages {
        match message {
            Message::System { .. } => {}
            Message::User { content } => {
                if !content.is_empty() {
                    push("user", vec![json!({"type": "text", "text": content})]);
                }
            }
            Message::Assistant {
                content,
                reasoning,
                tool_calls,
            } => {
                let mut blocks = Vec::new();
                if thinking
                    && let Some(r) = reasoning
                    && let Some(signature) = &r.signature
                {
                    blocks.push(
                        json!({"type": "thinking", "thinking": r.text, "signature": signature}),
                    );
                }
                if !content.is_empty() {
                    blocks.push(json!({"type": "text", "text": content}));
                }
                for call in tool_calls {
                    let input = match serde_json::from_str::<Value>(&call.arguments) {
                        Ok(v @ Value::Object(_)) => v,
                        _ => json!({}),
                    };
                    blocks.push(json!({
                        "type": "tool_use",
                        "id": call.id,
                        "name": call.name,
                        "input": input,
                    }));
                }
                push("assistant", blocks);
            }
            Message::Tool {
                tool_call_id,
                content,
                is_error,
            } => {
                let mut block = json!({
                    "type": "tool_result",
                    "tool_use_id": tool_call_id,
                    "content": content,
                });
                if *is_error {
                    block["is_error"] = json!(true);
                }
                push("user", vec![block]);
            }
        }
    }
    out.into_iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect()
}

impl LlmProvider for AnthropicProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn default_model(&self) -> &str {
        &self.model
    }

    fn stream(&self, request: &ChatRequest) -> BoxFuture<'static, Result<EventStream, LlmError>> {
        let body = self.body(request);
        let name = self.name.clone();
        let key = self.key.clone();
        let mut builder = self
            .client
            .post(&self.url)
            .header("anthropic-version", ANTHROPIC_VERSION)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .json(&body);
        if let Some(key) = &self.key {
            match secret_header(key.expose_secret()) {
                Ok(value) => builder = builder.header("x-api-key", value),
                Err(e) => return futures_util::future::ready(Err(e)).boxed(),
            }
        }
        async move {
            let response = builder
                .send()
                .await
                .map_err(|e| http::send_error(&name, e))?;
            if !response.status().is_success() {
                return Err(http::status_error(&name, response, key.as_ref()).await);
            }
            Ok(http::sse_event_stream(
                name.clone(),
                response,
                AnthropicDecoder::new(name, key),
            ))
        }
        .boxed()
    }
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireEvent {
    MessageStart {
        message: WireMessage,
    },
    ContentBlockStart {
        index: usize,
        content_block: Value,
    },
    ContentBlockDelta {
        index: usize,
        delta: Value,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta {
        #[serde(default)]
        delta: Option<MessageDeltaBody>,
        #[serde(default)]
        usage: Option<WireUsage>,
    },
    MessageStop,
    Ping,
    Error {
        error: Value,
    },
    #[serde(other)]
    Unknown,
}

#[derive(Deserialize)]
struct WireMessage {
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct MessageDeltaBody {
    #[serde(default)]
    stop_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
}

enum Block {
    Text,
    Thinking,
    Tool(usize),
    Other,
}

/// The streaming state of one response.
struct AnthropicDecoder {
    provider: String,
    key: Option<ApiKey>,
    blocks: HashMap<usize, Block>,
    /// Tool calls started and not yet ended, by our index.
    open_tools: Vec<usize>,
    next_tool: usize,
    input_tokens: u64,
    cache_creation: u64,
    cache_read: u64,
    output_tokens: u64,
    saw_usage: bool,
    stop_reason: Option<String>,
    done: bool,
}

type Out = VecDeque<Result<StreamEvent, LlmError>>;

impl AnthropicDecoder {
    fn new(provider: String, key: Option<ApiKey>) -> Self {
        Self {
            provider,
            key,
            blocks: HashMap::new(),
            open_tools: Vec::new(),
            next_tool: 0,
            input_tokens: 0,
            cache_creation: 0,
            cache_read: 0,
            output_tokens: 0,
            saw_usage: false,
            stop_reason: None,
            done: false,
        }
    }

    fn usage(&mut self, u: WireUsage) {
        self.saw_usage = true;
        if let Some(v) = u.input_tokens {
            self.input_tokens = v;
        }
        if let Some(v) = u.cache_creation_input_tokens {
            self.cache_creation = v;
        }
        if let Some(v) = u.cache_read_input_tokens {
            self.cache_read = v;
        }
        if let Some(v) = u.output_tokens {
            self.output_tokens = v;
        }
    }

    fn fail(&mut self, out: &mut Out, error: LlmError) {
        out.push_back(Err(error));
        self.done = true;
    }

    fn protocol(&mut self, out: &mut Out, message: String) {
        let error = LlmError::Protocol {
            provider: self.provider.clone(),
            message,
        };
        self.fail(out, error);
    }

    fn event(&mut self, event: WireEvent, out: &mut Out) {
        match event {
            WireEvent::MessageStart { message } => {
                if let Some(u) = message.usage {
                    self.usage(u);
                }
            }
            WireEvent::ContentBlockStart {
                index,
                content_block,
            } => self.block_start(index, &content_block, out),
            WireEvent::ContentBlockDelta { index, delta } => self.block_delta(index, &delta, out),
            WireEvent::ContentBlockStop { index } => {
                if let Some(Block::Tool(tool)) = self.blocks.get(&index) {
                    let tool = *tool;
                    self.open_tools.retain(|t| *t != tool);
                    out.push_back(Ok(StreamEvent::ToolCallEnd { index: tool }));
                }
            }
            WireEvent::MessageDelta { delta, usage } => {
                if let Some(reason) = delta.and_then(|d| d.stop_reason) {
                    self.stop_reason = Some(reason);
                }
                if let Some(u) = usage {
                    self.usage(u);
                }
            }
            WireEvent::MessageStop => self.finalize(out),
            WireEvent::Ping | WireEvent::Unknown => {}
            WireEvent::Error { error } => {
                let kind = error
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("error")
                    .to_owned();
                let message = error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("no message")
                    .to_owned();
                let retryable = matches!(
                    kind.as_str(),
                    "overloaded_error" | "api_error" | "rate_limit_error" | "timeout_error"
                );
                let error = LlmError::Upstream {
                    provider: self.provider.clone(),
                    kind,
                    message: http::clean_message(&message, self.key.as_ref()),
                    retryable,
                };
                self.fail(out, error);
            }
        }
    }

    fn block_start(&mut self, index: usize, block: &Value, out: &mut Out) {
        let kind = block.get("type").and_then(Value::as_str).unwrap_or("");
        let text_field = |field: &str| {
            block
                .get(field)
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
        };
        let state = match kind {
            "text" => {
                if let Some(text) = text_field("text") {
                    out.push_back(Ok(StreamEvent::TextDelta { text }));
                }
                Block::Text
            }
            "thinking" => {
                if let Some(text) = text_field("thinking") {
                    out.push_back(Ok(StreamEvent::ReasoningDelta { text }));
                }
                Block::Thinking
            }
            "tool_use" => {
                let (Some(id), Some(name)) = (text_field("id"), text_field("name")) else {
                    self.protocol(out, "a tool_use block has no id or name".into());
                    return;
                };
                let tool = self.next_tool;
                self.next_tool += 1;
                self.open_tools.push(tool);
                out.push_back(Ok(StreamEvent::ToolCallStart {
                    index: tool,
                    id,
                    name,
                }));
                // The input usually streams as input_json_delta after an empty object.
                if let Some(input) = block.get("input").filter(|i| match i {
                    Value::Object(o) => !o.is_empty(),
                    Value::Null => false,
                    _ => true,
                }) {
                    out.push_back(Ok(StreamEvent::ToolCallDelta {
                        index: tool,
                        arguments: input.to_string(),
                    }));
                }
                Block::Tool(tool)
            }
            _ => Block::Other, // redacted_thinking, server tools: not surfaced
        };
        self.blocks.insert(index, state);
    }

    fn block_delta(&mut self, index: usize, delta: &Value, out: &mut Out) {
        let field = |name: &str| delta.get(name).and_then(Value::as_str).map(str::to_owned);
        let kind = delta.get("type").and_then(Value::as_str).unwrap_or("");
        let event = match (self.blocks.get(&index), kind) {
            (_, "text_delta") => field("text").map(|text| StreamEvent::TextDelta { text }),
            (_, "thinking_delta") => {
                field("thinking").map(|text| StreamEvent::ReasoningDelta { text })
            }
            (_, "signature_delta") => {
                field("signature").map(|signature| StreamEvent::ReasoningSignature { signature })
            }
            (Some(Block::Tool(tool)), "input_json_delta") => {
                field("partial_json").map(|arguments| StreamEvent::ToolCallDelta {
                    index: *tool,
                    arguments,
                })
            }
            (None, "input_json_delta") => {
                self.protocol(
                    out,
                    format!("input_json_delta for block {index}, which was never started"),
                );
                return;
            }
            _ => None,
        };
        if let Some(event) = event
            && !matches!(&event, StreamEvent::TextDelta { text } | StreamEvent::ReasoningDelta { text } if text.is_empty())
        {
            out.push_back(Ok(event));
        }
    }

    fn finalize(&mut self, out: &mut Out) {
        for tool in std::mem::take(&mut self.open_tools) {
            out.push_back(Ok(StreamEvent::ToolCallEnd { index: tool }));
        }
        if self.saw_usage {
            out.push_back(Ok(StreamEvent::Usage(Usage {
                input_tokens: self.input_tokens + self.cache_creation + self.cache_read,
                cached_input_tokens: self.cache_read,
                output_tokens: self.output_tokens,
            })));
        }
        let reason = match self.stop_reason.as_deref() {
            Some("end_turn" | "stop_sequence") | None if self.next_tool == 0 => FinishReason::Stop,
            Some("tool_use") | None => FinishReason::ToolCalls,
            Some("end_turn" | "stop_sequence") => FinishReason::Stop,
            Some("max_tokens") => FinishReason::Length,
            Some(other) => FinishReason::Other(other.to_owned()),
        };
        out.push_back(Ok(StreamEvent::Finish { reason }));
        self.done = true;
    }
}

impl Decoder for AnthropicDecoder {
    fn on_event(&mut self, event: SseEvent, out: &mut Out) {
        let data = event.data.trim();
        if data.is_empty() {
            return;
        }
        match serde_json::from_str::<WireEvent>(data) {
            Ok(e) => self.event(e, out),
            Err(e) => self.protocol(out, format!("a stream event is not valid JSON: {e}")),
        }
    }

    fn on_eof(&mut self, out: &mut Out) {
        let error = LlmError::Incomplete {
            provider: self.provider.clone(),
            message: "the body ended before message_stop".into(),
        };
        self.fail(out, error);
    }

    fn done(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Reasoning, ToolCallRequest};

    #[test]
    fn history_alternates_and_lifts_system() {
        let messages = vec![
            Message::system("be brief"),
            Message::user("hi"),
            Message::Assistant {
                content: "let me look".into(),
                reasoning: Some(Reasoning {
                    text: "thinking".into(),
                    signature: Some("sig".into()),
                }),
                tool_calls: vec![
                    ToolCallRequest {
                        id: "a".into(),
                        name: "f".into(),
                        arguments: "{\"x\":1}".into(),
                    },
                    ToolCallRequest {
                        id: "b".into(),
                        name: "g".into(),
                        arguments: "oops".into(),
                    },
                ],
            },
            Message::tool_result("a", "1"),
            Message::tool_error("b", "bad args"),
            Message::user("and?"),
        ];
        let j = messages_json(&messages, true);
        assert_eq!(j.len(), 3);
        assert_eq!(j[1]["content"][0]["type"], "thinking");
        assert_eq!(j[1]["content"][2]["input"], json!({"x": 1}));
        assert_eq!(j[1]["content"][3]["input"], json!({}));
        assert_eq!(j[2]["role"], "user");
        assert_eq!(j[2]["content"].as_array().map(Vec::len), Some(3));
        assert_eq!(j[2]["content"][1]["is_error"], true);
        // Without thinking enabled the thinking block is not sent.
        let j = messages_json(&messages, false);
        assert_eq!(j[1]["content"][0]["type"], "text");
    }

    #[test]
    fn thinking_budget_raises_max_tokens_and_drops_temperature() {
        let p = AnthropicProvider::new(
            reqwest::Client::new(),
            "a",
            &ProviderConfig::new(crate::ProviderKind::Anthropic, "claude"),
        )
        .unwrap();
        let mut req = ChatRequest::new(vec![Message::user("x")]);
        req.options.thinking_budget_tokens = Some(8000);
        req.options.max_tokens = Some(1000);
        req.options.temperature = Some(0.2);
        let body = p.body(&req);
        assert_eq!(body["max_tokens"], 8000 + DEFAULT_MAX_TOKENS);
        assert!(body.get("temperature").is_none());
        assert_eq!(body["thinking"]["budget_tokens"], 8000);
    }
}
