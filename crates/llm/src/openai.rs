//! OpenAI-compatible Chat Completions (`POST {base}/v1/chat/completions`, streaming).
//!
//! Works with OpenAI, DeepSeek, Qwen (DashScope), vLLM, llama.cpp's server, Ollama and
//! other servers of this format: reasoning arrives as `reasoning_content` (DeepSeek,
//! vLLM) or `reasoning` (newer vLLM, OpenRouter); tool calls may lack an index or an id
//! (some local servers); a server that ignores `stream: true` and answers with one JSON
//! document is understood too.

use crate::config::ApiKey;
use crate::http::{self, Decoder};
use crate::provider::secret_header;
use crate::sse::SseEvent;
use crate::{
    ChatRequest, EventStream, FinishReason, LlmError, LlmProvider, Message, ProviderConfig,
    StreamEvent, Usage,
};
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::VecDeque;

/// A provider speaking OpenAI Chat Completions.
pub struct OpenAiProvider {
    client: reqwest::Client,
    name: String,
    url: String,
    model: String,
    key: Option<ApiKey>,
    /// api.openai.com wants `max_completion_tokens`; other servers know `max_tokens`.
    max_completion_tokens: bool,
}

impl std::fmt::Debug for OpenAiProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiProvider")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl OpenAiProvider {
    /// A provider for `config` (validated), named `name`, sending through `client`.
    pub fn new(
        client: reqwest::Client,
        name: impl Into<String>,
        config: &ProviderConfig,
    ) -> Result<Self, LlmError> {
        config.validate()?;
        let url = http::endpoint(config.base_url(), "chat/completions");
        let max_completion_tokens = reqwest::Url::parse(&url)
            .ok()
            .and_then(|u| {
                u.host_str()
                    .map(|h| h.eq_ignore_ascii_case("api.openai.com"))
            })
            .unwrap_or(false);
        Ok(Self {
            client,
            name: name.into(),
            url,
            model: config.model.clone(),
            key: config.api_key.clone(),
            max_completion_tokens,
        })
    }

    /// The request body for `request`.
    fn body(&self, request: &ChatRequest) -> Value {
        let messages: Vec<Value> = request.messages.iter().map(message_json).collect();
        let model = request.options.model.as_deref().unwrap_or(&self.model);
        let mut body = json!({
            "model": model,
            "messages": messages,
            "stream": true,
            "stream_options": {"include_usage": true},
        });
        if let Some(max) = request.options.max_tokens {
            let field = if self.max_completion_tokens {
                "max_completion_tokens"
            } else {
                "max_tokens"
            };
            body[field] = json!(max);
        }
        if let Some(t) = request.options.temperature {
            body["temperature"] = json!(t);
        }
        if !request.tools.is_empty() {
            body["tools"] = request
                .tools
                .iter()
                .map(|t| {
                    json!({
                        "type": "function",
                        "function": {
                            "name": t.name,
                            "description": t.description,
                            "parameters": t.parameters,
                        }
                    })
                })
                .collect();
        }
        body
    }
}

/// One history message in the wire format. Reasoning is not sent back (DeepSeek rejects
/// it in input messages). Arguments that are not a JSON object are sent as `{}`, since
/// chat templates of local servers parse them; the tool result explains the error.
fn message_json(message: &Message) -> Value {
    match message {
        Message::System { content } => json!({"role": "system", "content": content}),
        Message::User { content } => json!({"role": "user", "content": content}),
        Message::Assistant {
            content,
            tool_calls,
            ..
        } => {
            let mut m = json!({"role": "assistant"});
            m["content"] = if content.is_empty() && !tool_calls.is_empty() {
                Value::Null
            } else {
                json!(content)
            };
            if !tool_calls.is_empty() {
                m["tool_calls"] = tool_calls
                    .iter()
                    .map(|c| {
                        let args = match serde_json::from_str::<Value>(&c.arguments) {
                            Ok(Value::Object(_)) => c.arguments.clone(),
                            _ => "{}".to_owned(),
                        };
                        json!({
                            "id": c.id,
                            "type": "function",
                            "function": {"name": c.name, "arguments": args},
                        })
                    })
                    .collect();
            }
            m
        }
        Message::Tool {
            tool_call_id,
            content,
            is_error,
        } => {
            let content = if *is_error {
                format!("Error: {content}")
            } else {
                content.clone()
            };
            json!({"role": "tool", "tool_call_id": tool_call_id, "content": content})
        }
    }
}

impl LlmProvider for OpenAiProvider {
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
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .json(&body);
        if let Some(key) = &self.key {
            match secret_header(&format!("Bearer {}", key.expose_secret())) {
                Ok(value) => builder = builder.header(reqwest::header::AUTHORIZATION, value),
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
            if !http::is_event_stream(&response) {
                let body = response.bytes().await.map_err(|e| LlmError::Incomplete {
                    provider: name.clone(),
                    message: http::describe_reqwest_error(e),
                })?;
                let events = events_from_json(&name, &body)?;
                return Ok(futures_util::stream::iter(events.into_iter().map(Ok)).boxed());
            }
            Ok(http::sse_event_stream(
                name.clone(),
                response,
                OpenAiDecoder::new(name, key),
            ))
        }
        .boxed()
    }
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Option<Vec<Choice>>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    index: Option<u64>,
    #[serde(default, alias = "message")]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    reasoning: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCallDelta>>,
}

#[derive(Deserialize)]
struct ToolCallDelta {
    #[serde(default)]
    index: Option<usize>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionDelta>,
}

#[derive(Deserialize)]
struct FunctionDelta {
    #[serde(default)]
    name: Option<String>,
    /// A string per the spec; some servers send an object.
    #[serde(default)]
    arguments: Option<Value>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
}

#[derive(Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

impl From<WireUsage> for Usage {
    fn from(u: WireUsage) -> Self {
        Usage {
            input_tokens: u.prompt_tokens.unwrap_or(0),
            cached_input_tokens: u
                .prompt_tokens_details
                .and_then(|d| d.cached_tokens)
                .unwrap_or(0),
            output_tokens: u.completion_tokens.unwrap_or(0),
        }
    }
}

struct CallState {
    /// The server's index for the call, if it sent one.
    wire_index: Option<usize>,
    id: String,
    name: String,
    started: bool,
    /// Arguments received before the name (emitted after the start).
    pending: String,
}

/// The streaming state of one response.
struct OpenAiDecoder {
    provider: String,
    key: Option<ApiKey>,
    calls: Vec<CallState>,
    finish: Option<String>,
    usage: Option<Usage>,
    done: bool,
}

type Out = VecDeque<Result<StreamEvent, LlmError>>;

impl OpenAiDecoder {
    fn new(provider: String, key: Option<ApiKey>) -> Self {
        Self {
            provider,
            key,
            calls: Vec::new(),
            finish: None,
            usage: None,
            done: false,
        }
    }

    fn fail(&mut self, out: &mut Out, error: LlmError) {
        out.push_back(Err(error));
        self.done = true;
    }

    fn chunk(&mut self, chunk: Chunk, raw: &str, out: &mut Out) {
        if let Some(error) = chunk.error.filter(|e| !e.is_null()) {
            let message = http::error_message_from_body(raw).unwrap_or_else(|| error.to_string());
            let code = error.get("code").and_then(Value::as_u64);
            let kind = error
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("an error")
                .to_owned();
            let retryable =
                code.is_none_or(|c| u16::try_from(c).is_ok_and(crate::error::status_is_retryable));
            let error = LlmError::Upstream {
                provider: self.provider.clone(),
                kind,
                message: http::clean_message(&message, self.key.as_ref()),
                retryable,
            };
            self.fail(out, error);
            return;
        }
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage.into());
        }
        for choice in chunk.choices.unwrap_or_default() {
            if choice.index.unwrap_or(0) != 0 {
                continue;
            }
            if let Some(delta) = choice.delta {
                self.delta(delta, out);
            }
            if let Some(reason) = choice.finish_reason.filter(|r| !r.is_empty()) {
                self.finish = Some(reason);
            }
        }
    }

    fn delta(&mut self, delta: Delta, out: &mut Out) {
        for text in [delta.reasoning_content, delta.reasoning]
            .into_iter()
            .flatten()
        {
            if !text.is_empty() {
                out.push_back(Ok(StreamEvent::ReasoningDelta { text }));
            }
        }
        if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
            out.push_back(Ok(StreamEvent::TextDelta { text }));
        }
        for call in delta.tool_calls.unwrap_or_default() {
            self.tool_call(call, out);
        }
    }

    fn tool_call(&mut self, call: ToolCallDelta, out: &mut Out) {
        let id = call.id.filter(|id| !id.is_empty());
        let slot = match (call.index, &id) {
            (Some(i), _) => self.calls.iter().position(|c| c.wire_index == Some(i)),
            (None, Some(id)) => self.calls.iter().position(|c| &c.id == id),
            (None, None) => self.calls.len().checked_sub(1),
        };
        let slot = slot.unwrap_or_else(|| {
            self.calls.push(CallState {
                wire_index: call.index,
                id: String::new(),
                name: String::new(),
                started: false,
                pending: String::new(),
            });
            self.calls.len() - 1
        });
        let state = &mut self.calls[slot];
        if let Some(id) = id
            && state.id.is_empty()
        {
            state.id = id;
        }
        let (name, arguments) = match call.function {
            Some(f) => (f.name, f.arguments),
            None => (None, None),
        };
        if let Some(name) = name.filter(|n| !n.is_empty())
            && !state.started
        {
            state.name.push_str(&name);
        }
        let arguments = match arguments {
            Some(Value::String(s)) => s,
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        if !state.started && !state.name.is_empty() {
            start_call(slot, state, out);
        }
        if !arguments.is_empty() {
            if state.started {
                out.push_back(Ok(StreamEvent::ToolCallDelta {
                    index: slot,
                    arguments,
                }));
            } else {
                state.pending.push_str(&arguments);
            }
        }
    }

    /// The turn ended: close the calls, report usage and the finish reason.
    fn finalize(&mut self, out: &mut Out) {
        for (index, state) in self.calls.iter_mut().enumerate() {
            if !state.started {
                start_call(index, state, out);
            }
            out.push_back(Ok(StreamEvent::ToolCallEnd { index }));
        }
        if let Some(usage) = self.usage.take() {
            out.push_back(Ok(StreamEvent::Usage(usage)));
        }
        let reason = finish_reason(self.finish.as_deref(), !self.calls.is_empty());
        out.push_back(Ok(StreamEvent::Finish { reason }));
        self.done = true;
    }
}

fn start_call(index: usize, state: &mut CallState, out: &mut Out) {
    if state.id.is_empty() {
        state.id = generated_call_id(index);
    }
    out.push_back(Ok(StreamEvent::ToolCallStart {
        index,
        id: state.id.clone(),
        name: state.name.clone(),
    }));
    state.started = true;
    if !state.pending.is_empty() {
        out.push_back(Ok(StreamEvent::ToolCallDelta {
            index,
            arguments: std::mem::take(&mut state.pending),
        }));
    }
}

/// An id for a call the server sent without one (tool results must name a call).
fn generated_call_id(index: usize) -> String {
    format!("call_{:016x}_{index}", rand::random::<u64>())
}

/// Maps the wire finish reason. Some local servers say `stop` after tool calls.
fn finish_reason(reason: Option<&str>, has_tool_calls: bool) -> FinishReason {
    match reason {
        Some("tool_calls" | "function_call") => FinishReason::ToolCalls,
        Some("stop") | Some("eos") | None if has_tool_calls => FinishReason::ToolCalls,
        Some("stop") | Some("eos") | None => FinishReason::Stop,
        Some("length") => FinishReason::Length,
        Some(other) => FinishReason::Other(other.to_owned()),
    }
}

impl Decoder for OpenAiDecoder {
    fn on_event(&mut self, event: SseEvent, out: &mut Out) {
        let data = event.data.trim();
        if data.is_empty() {
            return;
        }
        if data == "[DONE]" {
            self.finalize(out);
            return;
        }
        match serde_json::from_str::<Chunk>(data) {
            Ok(chunk) => self.chunk(chunk, data, out),
            Err(e) => {
                let error = LlmError::Protocol {
                    provider: self.provider.clone(),
                    message: format!("a stream chunk is not valid JSON: {e}"),
                };
                self.fail(out, error);
            }
        }
    }

    fn on_eof(&mut self, out: &mut Out) {
        if self.finish.is_some() {
            // Some servers end the body after the finish chunk without `[DONE]`.
            self.finalize(out);
        } else {
            let error = LlmError::Incomplete {
                provider: self.provider.clone(),
                message: "the body ended without a finish reason".into(),
            };
            self.fail(out, error);
        }
    }

    fn done(&self) -> bool {
        self.done
    }
}

/// The events of a non-streamed answer (`{"choices": [{"message": ...}]}`).
fn events_from_json(provider: &str, body: &[u8]) -> Result<Vec<StreamEvent>, LlmError> {
    let protocol = |message: String| LlmError::Protocol {
        provider: provider.to_owned(),
        message,
    };
    let raw =
        std::str::from_utf8(body).map_err(|_| protocol("the JSON response is not UTF-8".into()))?;
    let chunk: Chunk = serde_json::from_str(raw)
        .map_err(|e| protocol(format!("the JSON response is not a chat completion: {e}")))?;
    if chunk.choices.as_ref().is_none_or(Vec::is_empty) && chunk.error.is_none() {
        return Err(protocol("the JSON response has no choices".into()));
    }
    let mut decoder = OpenAiDecoder::new(provider.to_owned(), None);
    let mut out = VecDeque::new();
    decoder.chunk(chunk, raw, &mut out);
    if !decoder.done {
        decoder.finalize(&mut out);
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sse::SseParser;

    fn decode(sse: &str) -> Vec<Result<StreamEvent, LlmError>> {
        let mut parser = SseParser::new();
        let mut events = Vec::new();
        parser.push(sse.as_bytes(), &mut events).unwrap();
        let mut decoder = OpenAiDecoder::new("p".into(), None);
        let mut out = VecDeque::new();
        for e in events {
            decoder.on_event(e, &mut out);
            if decoder.done() {
                break;
            }
        }
        if !decoder.done() {
            decoder.on_eof(&mut out);
        }
        out.into_iter().collect()
    }

    #[test]
    fn tool_calls_without_index_or_id() {
        let sse = concat!(
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"name\":\"a\",\"arguments\":{\"x\":1}}}]}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
        );
        let events: Vec<_> = decode(sse).into_iter().map(Result::unwrap).collect();
        assert!(
            matches!(&events[0], StreamEvent::ToolCallStart { index: 0, name, id } if name == "a" && id.starts_with("call_"))
        );
        assert_eq!(
            events[1],
            StreamEvent::ToolCallDelta {
                index: 0,
                arguments: "{\"x\":1}".into()
            }
        );
        assert_eq!(events[2], StreamEvent::ToolCallEnd { index: 0 });
        assert_eq!(
            events[3],
            StreamEvent::Finish {
                reason: FinishReason::ToolCalls
            }
        );
    }

    #[test]
    fn arguments_before_name_are_held_back() {
        let sse = concat!(
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"function\":{\"arguments\":\"{\\\"a\\\"\"}}]}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"t\",\"arguments\":\":1}\"}}]}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
            "data: [DONE]\n\n",
        );
        let events: Vec<_> = decode(sse).into_iter().map(Result::unwrap).collect();
        assert_eq!(
            events[..3],
            [
                StreamEvent::ToolCallStart {
                    index: 0,
                    id: "c".into(),
                    name: "t".into()
                },
                StreamEvent::ToolCallDelta {
                    index: 0,
                    arguments: "{\"a\"".into()
                },
                StreamEvent::ToolCallDelta {
                    index: 0,
                    arguments: ":1}".into()
                },
            ]
        );
    }

    #[test]
    fn error_chunk_mid_stream() {
        let sse = concat!(
            "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n",
            "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\",\"code\":503}}\n\n",
        );
        let events = decode(sse);
        assert!(matches!(
            &events[1],
            Err(LlmError::Upstream {
                retryable: true,
                ..
            })
        ));
    }

    #[test]
    fn eof_without_finish_is_incomplete() {
        let events = decode("data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n");
        assert!(matches!(
            events.last(),
            Some(Err(LlmError::Incomplete { .. }))
        ));
    }

    #[test]
    fn non_streamed_json_answer() {
        let body = br#"{"choices":[{"index":0,"message":{"role":"assistant","content":"hello","reasoning_content":"think","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":4}}"#;
        let events = events_from_json("p", body).unwrap();
        assert_eq!(
            events,
            vec![
                StreamEvent::ReasoningDelta {
                    text: "think".into()
                },
                StreamEvent::TextDelta {
                    text: "hello".into()
                },
                StreamEvent::ToolCallStart {
                    index: 0,
                    id: "c1".into(),
                    name: "f".into()
                },
                StreamEvent::ToolCallDelta {
                    index: 0,
                    arguments: "{}".into()
                },
                StreamEvent::ToolCallEnd { index: 0 },
                StreamEvent::Usage(Usage {
                    input_tokens: 3,
                    cached_input_tokens: 0,
                    output_tokens: 4
                }),
                StreamEvent::Finish {
                    reason: FinishReason::ToolCalls
                },
            ]
        );
    }

    #[test]
    fn history_messages() {
        let m = Message::Assistant {
            content: String::new(),
            reasoning: None,
            tool_calls: vec![crate::ToolCallRequest {
                id: "1".into(),
                name: "f".into(),
                arguments: "{not json".into(),
            }],
        };
        let j = message_json(&m);
        assert_eq!(j["content"], Value::Null);
        assert_eq!(j["tool_calls"][0]["function"]["arguments"], "{}");
        let t = message_json(&Message::tool_error("1", "boom"));
        assert_eq!(t["content"], "Error: boom");
    }
}
