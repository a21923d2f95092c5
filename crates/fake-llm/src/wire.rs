//! Rendering a resolved completion in each provider's wire format: JSON responses, SSE
//! event sequences and error bodies.

use axum::body::Bytes;
use serde_json::{Value, json};

use crate::scenario::{Api, Finish};

/// A tool call ready to send.
pub(crate) struct Call {
    pub id: String,
    pub name: String,
    /// The arguments as JSON text, exactly as streamed.
    pub arguments: String,
    /// The arguments as a JSON value (Anthropic `input`).
    pub input: Value,
}

/// A reply resolved against one request: templates filled, ids generated, tokens counted.
pub(crate) struct Completion {
    pub id: String,
    pub model: String,
    pub created: u64,
    pub reasoning: String,
    pub text: String,
    pub calls: Vec<Call>,
    pub finish: Finish,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// Splits `text` into pieces of `size` characters (0 = one piece). Empty text gives none.
fn pieces(text: &str, size: usize) -> Vec<&str> {
    if text.is_empty() {
        return Vec::new();
    }
    if size == 0 {
        return vec![text];
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut count = 0;
    for (offset, _) in text.char_indices() {
        if count == size {
            out.push(&text[start..offset]);
            start = offset;
            count = 0;
        }
        count += 1;
    }
    out.push(&text[start..]);
    out
}

fn data_event(value: &Value) -> Bytes {
    Bytes::from(format!("data: {value}\n\n"))
}

fn named_event(kind: &str, value: &Value) -> Bytes {
    Bytes::from(format!("event: {kind}\ndata: {value}\n\n"))
}

/// The JSON body of a non-streaming response.
pub(crate) fn response_json(api: Api, c: &Completion) -> Value {
    match api {
        Api::OpenAi => openai_response(c),
        Api::Anthropic => anthropic_response(c),
    }
}

/// The SSE events of a streaming response, each a complete frame.
pub(crate) fn stream_events(
    api: Api,
    c: &Completion,
    chunk_chars: usize,
    include_usage: bool,
) -> Vec<Bytes> {
    match api {
        Api::OpenAi => openai_events(c, chunk_chars, include_usage),
        Api::Anthropic => anthropic_events(c, chunk_chars),
    }
}

fn openai_usage(c: &Completion) -> Value {
    json!({
        "prompt_tokens": c.input_tokens,
        "completion_tokens": c.output_tokens,
        "total_tokens": c.input_tokens + c.output_tokens,
    })
}

fn openai_response(c: &Completion) -> Value {
    let mut message = json!({
        "role": "assistant",
        "content": if c.text.is_empty() && !c.calls.is_empty() { Value::Null } else { Value::from(c.text.as_str()) },
        "refusal": null,
    });
    if !c.reasoning.is_empty() {
        message["reasoning_content"] = Value::from(c.reasoning.as_str());
    }
    if !c.calls.is_empty() {
        message["tool_calls"] = c
            .calls
            .iter()
            .map(|call| {
                json!({
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                })
            })
            .collect();
    }
    json!({
        "id": c.id,
        "object": "chat.completion",
        "created": c.created,
        "model": c.model,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": c.finish.openai(),
        }],
        "usage": openai_usage(c),
        "system_fingerprint": null,
    })
}

fn openai_events(c: &Completion, chunk_chars: usize, include_usage: bool) -> Vec<Bytes> {
    let chunk = |delta: Value, finish: Value| {
        let mut value = json!({
            "id": c.id,
            "object": "chat.completion.chunk",
            "created": c.created,
            "model": c.model,
            "system_fingerprint": null,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        });
        if include_usage {
            value["usage"] = Value::Null;
        }
        data_event(&value)
    };
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": "", "refusal": null}),
        Value::Null,
    )];
    for piece in pieces(&c.reasoning, chunk_chars) {
        events.push(chunk(
            json!({"content": null, "reasoning_content": piece}),
            Value::Null,
        ));
    }
    for piece in pieces(&c.text, chunk_chars) {
        events.push(chunk(json!({"content": piece}), Value::Null));
    }
    for (index, call) in c.calls.iter().enumerate() {
        events.push(chunk(
            json!({"tool_calls": [{
                "index": index,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }]}),
            Value::Null,
        ));
        for piece in pieces(&call.arguments, chunk_chars) {
            events.push(chunk(
                json!({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}),
                Value::Null,
            ));
        }
    }
    events.push(chunk(json!({}), Value::from(c.finish.openai())));
    if include_usage {
        events.push(data_event(&json!({
            "id": c.id,
            "object": "chat.completion.chunk",
            "created": c.created,
            "model": c.model,
            "system_fingerprint": null,
            "choices": [],
            "usage": openai_usage(c),
        })));
    }
    events.push(Bytes::from_static(b"data: [DONE]\n\n"));
    events
}

/// A plausible (fake) thinking signature.
fn signature(c: &Completion) -> String {
    format!("fake-signature-{}", c.id)
}

fn anthropic_response(c: &Completion) -> Value {
    let mut content = Vec::new();
    if !c.reasoning.is_empty() {
        content
            .push(json!({"type": "thinking", "thinking": c.reasoning, "signature": signature(c)}));
    }
    if !c.text.is_empty() {
        content.push(json!({"type": "text", "text": c.text}));
    }
    for call in &c.calls {
        content.push(
            json!({"type": "tool_use", "id": call.id, "name": call.name, "input": call.input}),
        );
    }
    json!({
        "id": c.id,
        "type": "message",
        "role": "assistant",
        "model": c.model,
        "content": content,
        "stop_reason": c.finish.anthropic(),
        "stop_sequence": null,
        "usage": {
            "input_tokens": c.input_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": c.output_tokens,
        },
    })
}

fn anthropic_events(c: &Completion, chunk_chars: usize) -> Vec<Bytes> {
    let mut events = vec![named_event(
        "message_start",
        &json!({
            "type": "message_start",
            "message": {
                "id": c.id,
                "type": "message",
                "role": "assistant",
                "content": [],
                "model": c.model,
                "stop_reason": null,
                "stop_sequence": null,
                "usage": {
                    "input_tokens": c.input_tokens,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "output_tokens": 1,
                },
            },
        }),
    )];
    let mut index = 0usize;
    let mut pinged = false;
    let mut start_block = |events: &mut Vec<Bytes>, index: usize, block: Value| {
        events.push(named_event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": index, "content_block": block}),
        ));
        if !pinged {
            events.push(named_event("ping", &json!({"type": "ping"})));
            pinged = true;
        }
    };
    let delta = |index: usize, delta: Value| {
        named_event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": index, "delta": delta}),
        )
    };
    let stop = |index: usize| {
        named_event(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": index}),
        )
    };
    if !c.reasoning.is_empty() {
        start_block(
            &mut events,
            index,
            json!({"type": "thinking", "thinking": ""}),
        );
        for piece in pieces(&c.reasoning, chunk_chars) {
            events.push(delta(
                index,
                json!({"type": "thinking_delta", "thinking": piece}),
            ));
        }
        events.push(delta(
            index,
            json!({"type": "signature_delta", "signature": signature(c)}),
        ));
        events.push(stop(index));
        index += 1;
    }
    if !c.text.is_empty() {
        start_block(&mut events, index, json!({"type": "text", "text": ""}));
        for piece in pieces(&c.text, chunk_chars) {
            events.push(delta(index, json!({"type": "text_delta", "text": piece})));
        }
        events.push(stop(index));
        index += 1;
    }
    for call in &c.calls {
        start_block(
            &mut events,
            index,
            json!({"type": "tool_use", "id": call.id, "name": call.name, "input": {}}),
        );
        events.push(delta(
            index,
            json!({"type": "input_json_delta", "partial_json": ""}),
        ));
        for piece in pieces(&call.arguments, chunk_chars) {
            events.push(delta(
                index,
                json!({"type": "input_json_delta", "partial_json": piece}),
            ));
        }
        events.push(stop(index));
        index += 1;
    }
    if !pinged {
        events.push(named_event("ping", &json!({"type": "ping"})));
    }
    events.push(named_event(
        "message_delta",
        &json!({
            "type": "message_delta",
            "delta": {"stop_reason": c.finish.anthropic(), "stop_sequence": null},
            "usage": {"output_tokens": c.output_tokens},
        }),
    ));
    events.push(named_event(
        "message_stop",
        &json!({"type": "message_stop"}),
    ));
    events
}

/// The provider's error JSON for an HTTP status.
pub(crate) fn error_body(api: Api, status: u16, message: &str, request_id: &str) -> Value {
    match api {
        Api::OpenAi => {
            let (kind, code) = match status {
                401 => ("invalid_request_error", Value::from("invalid_api_key")),
                403 => (
                    "invalid_request_error",
                    Value::from("unsupported_country_region_territory"),
                ),
                404 => ("invalid_request_error", Value::from("unknown_url")),
                429 => ("requests", Value::from("rate_limit_exceeded")),
                400..=499 => ("invalid_request_error", Value::Null),
                _ => ("server_error", Value::Null),
            };
            json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
        }
        Api::Anthropic => {
            let kind = match status {
                401 => "authentication_error",
                403 => "permission_error",
                404 => "not_found_error",
                413 => "request_too_large",
                429 => "rate_limit_error",
                504 => "timeout_error",
                529 => "overloaded_error",
                400..=499 => "invalid_request_error",
                _ => "api_error",
            };
            json!({
                "type": "error",
                "error": {"type": kind, "message": message},
                "request_id": request_id,
            })
        }
    }
}

/// A provider-like default message for an injected error status.
pub(crate) fn default_error_message(api: Api, status: u16) -> &'static str {
    match (api, status) {
        (Api::OpenAi, 429) => "Rate limit reached for requests (fake-llm). Please try again later.",
        (Api::Anthropic, 429) => {
            "Number of request tokens has exceeded your rate limit (fake-llm)."
        }
        (Api::OpenAi, 500) => {
            "The server had an error while processing your request. Sorry about that!"
        }
        (Api::OpenAi, 503) => "The engine is currently overloaded, please try again later.",
        (Api::Anthropic, 529) => "Overloaded",
        (Api::Anthropic, 500..=599) => "Internal server error",
        (_, 400..=499) => "Invalid request (fake-llm).",
        _ => "Server error (fake-llm).",
    }
}

/// An in-stream error event, after which the stream ends.
pub(crate) fn error_event(api: Api, message: &str) -> Bytes {
    match api {
        Api::OpenAi => data_event(&json!({
            "error": {"message": message, "type": "server_error", "param": null, "code": null}
        })),
        Api::Anthropic => named_event(
            "error",
            &json!({"type": "error", "error": {"type": "overloaded_error", "message": message}}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::pieces;

    #[test]
    fn pieces_split_on_characters() {
        assert_eq!(pieces("abcdef", 4), vec!["abcd", "ef"]);
        assert_eq!(pieces("äöüß", 3), vec!["äöü", "ß"]);
        assert_eq!(pieces("abc", 0), vec!["abc"]);
        assert!(pieces("", 5).is_empty());
        assert_eq!(pieces("abcd", 2), vec!["ab", "cd"]);
    }
}
