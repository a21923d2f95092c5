//! A provider-neutral view of a chat request: what the rules match on and what the
//! templates fill in. Also the request validation the real APIs perform.

use std::cell::OnceCell;
use std::collections::HashSet;

use serde_json::Value;

use crate::scenario::Api;

/// The parts of a chat request that matter to the fake.
pub(crate) struct View<'a> {
    pub api: Api,
    pub body: &'a Value,
    pub model: String,
    pub stream: bool,
    pub include_usage: bool,
    pub max_tokens: Option<u64>,
    pub system: String,
    pub last_user: Option<String>,
    pub last_tool_result: Option<String>,
    /// Tool results after the last assistant message, in order.
    pub latest_tool_results: Vec<String>,
    pub turn: usize,
    pub tool_names: Vec<String>,
    serialized: OnceCell<String>,
}

impl<'a> View<'a> {
    /// Builds the view. `body` may be any JSON; missing parts are simply empty.
    pub fn new(api: Api, body: &'a Value) -> View<'a> {
        let model = body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
        let include_usage = body
            .pointer("/stream_options/include_usage")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let max_tokens = match api {
            Api::OpenAi => body
                .get("max_completion_tokens")
                .and_then(Value::as_u64)
                .or_else(|| body.get("max_tokens").and_then(Value::as_u64)),
            Api::Anthropic => body.get("max_tokens").and_then(Value::as_u64),
        };
        let tool_names = body
            .get("tools")
            .and_then(Value::as_array)
            .map(|tools| {
                tools
                    .iter()
                    .filter_map(|tool| {
                        tool.pointer("/function/name")
                            .or_else(|| tool.get("name"))
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let empty = Vec::new();
        let messages = body
            .get("messages")
            .and_then(Value::as_array)
            .unwrap_or(&empty);
        let mut view = View {
            api,
            body,
            model,
            stream,
            include_usage,
            max_tokens,
            system: String::new(),
            last_user: None,
            last_tool_result: None,
            latest_tool_results: Vec::new(),
            turn: 0,
            tool_names,
            serialized: OnceCell::new(),
        };
        match api {
            Api::OpenAi => view.read_openai(messages),
            Api::Anthropic => view.read_anthropic(messages),
        }
        view
    }

    fn read_openai(&mut self, messages: &[Value]) {
        let mut system = Vec::new();
        for message in messages {
            let role = message.get("role").and_then(Value::as_str).unwrap_or("");
            let content = message.get("content").unwrap_or(&Value::Null);
            match role {
                "system" | "developer" => system.push(text_of(content)),
                "user" => self.last_user = Some(text_of(content)),
                "assistant" => {
                    self.turn += 1;
                    self.latest_tool_results.clear();
                }
                "tool" | "function" => {
                    let text = text_of(content);
                    self.latest_tool_results.push(text.clone());
                    self.last_tool_result = Some(text);
                }
                _ => {}
            }
        }
        self.system = system.join("\n");
    }

    fn read_anthropic(&mut self, messages: &[Value]) {
        self.system = self.body.get("system").map(text_of).unwrap_or_default();
        for message in messages {
            let role = message.get("role").and_then(Value::as_str).unwrap_or("");
            let content = message.get("content").unwrap_or(&Value::Null);
            match role {
                "assistant" => {
                    self.turn += 1;
                    self.latest_tool_results.clear();
                }
                "user" => {
                    if let Some(blocks) = content.as_array() {
                        for block in blocks {
                            if block.get("type").and_then(Value::as_str) == Some("tool_result") {
                                let text = block.get("content").map(text_of).unwrap_or_default();
                                self.latest_tool_results.push(text.clone());
                                self.last_tool_result = Some(text);
                            }
                        }
                    }
                    if has_text(content) {
                        self.last_user = Some(text_of(content));
                    }
                }
                _ => {}
            }
        }
    }

    /// The body as compact JSON, for `any_contains`.
    pub fn serialized(&self) -> &str {
        self.serialized
            .get_or_init(|| serde_json::to_string(self.body).unwrap_or_default())
    }

    /// Replaces the `{{…}}` placeholders in `text`.
    pub fn fill(&self, text: &str, request_seq: u64) -> String {
        if !text.contains("{{") {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                out.push_str(&rest[start..]);
                return out;
            };
            let key = after[..end].trim();
            match self.placeholder(key, request_seq) {
                Some(value) => out.push_str(&value),
                None => out.push_str(&rest[start..start + 2 + end + 2]),
            }
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// One placeholder's value; `a|b|c` takes the first non-empty alternative.
    fn placeholder(&self, key: &str, request_seq: u64) -> Option<String> {
        if key.contains('|') {
            let mut known = false;
            for alternative in key.split('|') {
                if let Some(value) = self.single_placeholder(alternative.trim(), request_seq) {
                    if !value.is_empty() {
                        return Some(value);
                    }
                    known = true;
                }
            }
            return known.then(String::new);
        }
        self.single_placeholder(key, request_seq)
    }

    fn single_placeholder(&self, key: &str, request_seq: u64) -> Option<String> {
        match key {
            "last_user" => Some(self.last_user.clone().unwrap_or_default()),
            "last_tool_result" => Some(self.last_tool_result.clone().unwrap_or_default()),
            "turn" => Some(self.turn.to_string()),
            "model" => Some(self.model.clone()),
            "request_seq" => Some(request_seq.to_string()),
            _ => {
                let path = key.strip_prefix("tool_result.")?;
                let mut parts = path.split('.');
                let index: usize = parts.next()?.parse().ok()?;
                let Some(result) = self.latest_tool_results.get(index) else {
                    return Some(String::new());
                };
                let fields: Vec<&str> = parts.collect();
                if fields.is_empty() {
                    return Some(result.clone());
                }
                let Ok(mut value) = serde_json::from_str::<Value>(result) else {
                    return Some(String::new());
                };
                for field in fields {
                    let next = match &value {
                        Value::Object(map) => map.get(field).cloned(),
                        Value::Array(items) => field
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| items.get(i).cloned()),
                        _ => None,
                    };
                    value = next.unwrap_or(Value::Null);
                }
                Some(match value {
                    Value::String(s) => s,
                    Value::Null => String::new(),
                    other => other.to_string(),
                })
            }
        }
    }
}

/// The text of a message content: a string, or the `text` of the text parts/blocks of an
/// array (joined by newlines). Tool results and images contribute nothing.
pub(crate) fn text_of(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter_map(|part| match part {
                    Value::String(text) => Some(text.as_str()),
                    Value::Object(map) => {
                        let kind = map.get("type").and_then(Value::as_str).unwrap_or("text");
                        if kind == "text" {
                            map.get("text").and_then(Value::as_str)
                        } else {
                            None
                        }
                    }
                    _ => None,
                })
                .collect();
            texts.join("\n")
        }
        _ => String::new(),
    }
}

fn has_text(content: &Value) -> bool {
    match content {
        Value::String(_) => true,
        Value::Array(parts) => parts.iter().any(|part| {
            part.is_string() || part.get("type").and_then(Value::as_str) == Some("text")
        }),
        _ => false,
    }
}

/// Checks the request the way the real API would; `Err` carries the provider-like message.
pub(crate) fn validate(api: Api, body: &Value) -> Result<(), String> {
    if !body.is_object() {
        return Err("The request body must be a JSON object.".to_string());
    }
    match api {
        Api::OpenAi => validate_openai(body),
        Api::Anthropic => validate_anthropic(body),
    }
}

fn validate_openai(body: &Value) -> Result<(), String> {
    if !body.get("model").is_some_and(Value::is_string) {
        return Err("you must provide a model parameter".to_string());
    }
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return Err("Missing required parameter: 'messages'.".to_string());
    };
    if messages.is_empty() {
        return Err("[] is too short - 'messages'".to_string());
    }
    let mut pending: Vec<String> = Vec::new();
    let mut answerable: HashSet<String> = HashSet::new();
    for (i, message) in messages.iter().enumerate() {
        let Some(role) = message.get("role").and_then(Value::as_str) else {
            return Err(format!("Missing required parameter: 'messages[{i}].role'."));
        };
        if role != "tool" && !pending.is_empty() {
            return Err(format!(
                "An assistant message with 'tool_calls' must be followed by tool messages \
                 responding to each 'tool_call_id'. The following tool_call_ids did not have \
                 response messages: {}",
                pending.join(", ")
            ));
        }
        match role {
            "system" | "developer" | "user" => {}
            "assistant" => {
                answerable.clear();
                if let Some(calls) = message.get("tool_calls").and_then(Value::as_array) {
                    for (j, call) in calls.iter().enumerate() {
                        let Some(id) = call.get("id").and_then(Value::as_str) else {
                            return Err(format!(
                                "Missing required parameter: 'messages[{i}].tool_calls[{j}].id'."
                            ));
                        };
                        if !call.pointer("/function/name").is_some_and(Value::is_string) {
                            return Err(format!(
                                "Missing required parameter: \
                                 'messages[{i}].tool_calls[{j}].function.name'."
                            ));
                        }
                        if !call
                            .pointer("/function/arguments")
                            .is_some_and(Value::is_string)
                        {
                            return Err(format!(
                                "Invalid type for 'messages[{i}].tool_calls[{j}].function.\
                                 arguments': expected a string."
                            ));
                        }
                        pending.push(id.to_string());
                        answerable.insert(id.to_string());
                    }
                }
            }
            "tool" => {
                let Some(id) = message.get("tool_call_id").and_then(Value::as_str) else {
                    return Err(format!(
                        "Missing required parameter: 'messages[{i}].tool_call_id'."
                    ));
                };
                if !answerable.contains(id) {
                    return Err(format!(
                        "Invalid parameter: messages with role 'tool' must be a response to a \
                         preceeding message with 'tool_calls'. (messages[{i}], tool_call_id \
                         {id})"
                    ));
                }
                pending.retain(|p| p != id);
            }
            "function" => {}
            other => {
                return Err(format!(
                    "Invalid value: '{other}'. Supported values are: 'system', 'assistant', \
                     'user', 'function', 'tool', and 'developer'."
                ));
            }
        }
    }
    if !pending.is_empty() {
        return Err(format!(
            "An assistant message with 'tool_calls' must be followed by tool messages \
             responding to each 'tool_call_id'. The following tool_call_ids did not have \
             response messages: {}",
            pending.join(", ")
        ));
    }
    Ok(())
}

fn validate_anthropic(body: &Value) -> Result<(), String> {
    if !body.get("model").is_some_and(Value::is_string) {
        return Err("model: Field required".to_string());
    }
    if !body.get("max_tokens").is_some_and(Value::is_u64) {
        return Err("max_tokens: Field required".to_string());
    }
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return Err("messages: Field required".to_string());
    };
    if messages.is_empty() {
        return Err("messages: at least one message is required".to_string());
    }
    let mut previous_tool_uses: Vec<String> = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str).unwrap_or("");
        let content = message.get("content").unwrap_or(&Value::Null);
        if !content.is_string() && !content.is_array() {
            return Err(format!("messages.{i}.content: Field required"));
        }
        let blocks = content.as_array().map(Vec::as_slice).unwrap_or(&[]);
        match role {
            "user" => {
                let mut answered: Vec<String> = Vec::new();
                for (j, block) in blocks.iter().enumerate() {
                    if block.get("type").and_then(Value::as_str) != Some("tool_result") {
                        continue;
                    }
                    let id = block
                        .get("tool_use_id")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if !previous_tool_uses.iter().any(|used| used == id) {
                        return Err(format!(
                            "messages.{i}.content.{j}: unexpected `tool_use_id` found in \
                             `tool_result` blocks: {id}. Each `tool_result` block must have a \
                             corresponding `tool_use` block in the previous message."
                        ));
                    }
                    answered.push(id.to_string());
                }
                let missing: Vec<&str> = previous_tool_uses
                    .iter()
                    .filter(|used| !answered.contains(used))
                    .map(String::as_str)
                    .collect();
                if !missing.is_empty() {
                    return Err(format!(
                        "messages.{i}: `tool_use` ids were found without `tool_result` blocks \
                         immediately after: {}. Each `tool_use` block must have a corresponding \
                         `tool_result` block in the next message.",
                        missing.join(", ")
                    ));
                }
                previous_tool_uses.clear();
            }
            "assistant" => {
                if !previous_tool_uses.is_empty() {
                    return Err(format!(
                        "messages.{i}: `tool_use` ids were found without `tool_result` blocks \
                         immediately after: {}. Each `tool_use` block must have a corresponding \
                         `tool_result` block in the next message.",
                        previous_tool_uses.join(", ")
                    ));
                }
                for (j, block) in blocks.iter().enumerate() {
                    if block.get("type").and_then(Value::as_str) != Some("tool_use") {
                        continue;
                    }
                    let Some(id) = block.get("id").and_then(Value::as_str) else {
                        return Err(format!(
                            "messages.{i}.content.{j}.tool_use.id: Field required"
                        ));
                    };
                    if !block.get("input").is_some_and(Value::is_object) {
                        return Err(format!(
                            "messages.{i}.content.{j}.tool_use.input: Input should be a valid \
                             dictionary"
                        ));
                    }
                    previous_tool_uses.push(id.to_string());
                }
            }
            other => {
                return Err(format!(
                    "messages.{i}.role: Input should be 'user' or 'assistant' (got {other:?})"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn openai_view_reads_turn_user_and_tool_results() {
        let body = json!({
            "model": "m",
            "messages": [
                {"role": "system", "content": "You are the Manager."},
                {"role": "user", "content": [{"type": "text", "text": "build it"}]},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "a", "type": "function", "function": {"name": "x", "arguments": "{}"}}
                ]},
                {"role": "tool", "tool_call_id": "a", "content": "{\"task_id\": \"T1\"}"}
            ],
            "tools": [{"type": "function", "function": {"name": "create_task"}}]
        });
        let view = View::new(Api::OpenAi, &body);
        assert_eq!(view.turn, 1);
        assert_eq!(view.system, "You are the Manager.");
        assert_eq!(view.last_user.as_deref(), Some("build it"));
        assert_eq!(view.tool_names, vec!["create_task".to_string()]);
        assert_eq!(
            view.fill(
                "id={{tool_result.0.task_id}} t={{turn}} {{nope}} {{tool_result.0.id|turn}}",
                7
            ),
            "id=T1 t=1 {{nope}} 1"
        );
        assert!(validate(Api::OpenAi, &body).is_ok());
    }

    #[test]
    fn anthropic_tool_results_are_not_user_text() {
        let body = json!({
            "model": "m", "max_tokens": 10,
            "system": [{"type": "text", "text": "sys"}],
            "messages": [
                {"role": "user", "content": "hello"},
                {"role": "assistant", "content": [
                    {"type": "tool_use", "id": "t1", "name": "x", "input": {}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "content": "done"}
                ]}
            ]
        });
        let view = View::new(Api::Anthropic, &body);
        assert_eq!(view.last_user.as_deref(), Some("hello"));
        assert_eq!(view.last_tool_result.as_deref(), Some("done"));
        assert_eq!(view.system, "sys");
        assert!(validate(Api::Anthropic, &body).is_ok());
    }

    #[test]
    fn unanswered_tool_calls_are_rejected() {
        let body = json!({
            "model": "m",
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "tool_calls": [
                    {"id": "a", "type": "function", "function": {"name": "x", "arguments": "{}"}}
                ]},
                {"role": "user", "content": "again"}
            ]
        });
        let err = validate(Api::OpenAi, &body).unwrap_err();
        assert!(err.contains("did not have response messages: a"), "{err}");

        let body = json!({
            "model": "m", "max_tokens": 5,
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": [
                    {"type": "tool_use", "id": "t1", "name": "x", "input": {}}
                ]},
                {"role": "user", "content": "no result"}
            ]
        });
        let err = validate(Api::Anthropic, &body).unwrap_err();
        assert!(err.contains("without `tool_result`"), "{err}");

        let body = json!({"model": "m", "max_tokens": 5,
            "messages": [{"role": "system", "content": "x"}]});
        assert!(validate(Api::Anthropic, &body).is_err());
    }
}
