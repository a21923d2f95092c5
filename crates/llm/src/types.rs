//! Provider-neutral request, stream-event and completion types.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// One message of a conversation sent to a model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Message {
    /// Instructions for the model. Several system messages are joined in order.
    System {
        /// The instruction text.
        content: String,
    },
    /// A user turn.
    User {
        /// The user's text.
        content: String,
    },
    /// A model turn, as the model produced it earlier in the conversation.
    Assistant {
        /// The visible text (may be empty when the turn only calls tools).
        #[serde(default)]
        content: String,
        /// The model's reasoning, if the provider exposed it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reasoning: Option<Reasoning>,
        /// The tool calls the model made in this turn.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<ToolCallRequest>,
    },
    /// The result of one tool call, answering the assistant call with the same id.
    Tool {
        /// The id of the tool call this answers.
        tool_call_id: String,
        /// The result text shown to the model.
        content: String,
        /// Whether the tool failed (Anthropic marks the result as an error; for
        /// OpenAI-compatible servers the text itself must say so).
        #[serde(default)]
        is_error: bool,
    },
}

impl Message {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self::System {
            content: content.into(),
        }
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::User {
            content: content.into(),
        }
    }

    /// An assistant message with text only.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::Assistant {
            content: content.into(),
            reasoning: None,
            tool_calls: Vec::new(),
        }
    }

    /// A successful tool result.
    pub fn tool_result(tool_call_id: impl Into<String>, content: impl Into<String>) -> Self {
        Self::Tool {
            tool_call_id: tool_call_id.into(),
            content: content.into(),
            is_error: false,
        }
    }

    /// A failed tool result: the model sees the text as an error.
    pub fn tool_error(tool_call_id: impl Into<String>, content: impl Into<String>) -> Self {
        Self::Tool {
            tool_call_id: tool_call_id.into(),
            content: content.into(),
            is_error: true,
        }
    }
}

/// A model's reasoning ("thinking") for one turn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reasoning {
    /// The reasoning text.
    pub text: String,
    /// Anthropic's signature over the thinking block; required to send the block back.
    /// Reasoning without a signature is not sent back to Anthropic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// A tool call as it appears in an assistant message of the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCallRequest {
    /// The provider's id of the call; tool results refer to it.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments exactly as the model produced them (a JSON text, possibly malformed).
    pub arguments: String,
}

/// A tool the model may call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolDefinition {
    /// The tool's name (`[a-zA-Z0-9_-]{1,64}` for both wire formats).
    pub name: String,
    /// What the tool does, for the model.
    pub description: String,
    /// A JSON Schema (`{"type": "object", ...}`) for the arguments.
    pub parameters: Value,
}

/// Model choice and sampling options.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SamplingOptions {
    /// The model; `None` uses the provider's configured model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The maximum number of output tokens (Anthropic requires one; 4096 when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// The sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Enables Anthropic extended thinking with this token budget (ignored by
    /// OpenAI-compatible servers, whose reasoning models think on their own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking_budget_tokens: Option<u32>,
}

/// A request for one model turn.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The conversation so far.
    pub messages: Vec<Message>,
    /// The tools the model may call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolDefinition>,
    /// Model and sampling options.
    #[serde(default)]
    pub options: SamplingOptions,
}

impl ChatRequest {
    /// A request with these messages, no tools and default options.
    pub fn new(messages: Vec<Message>) -> Self {
        Self {
            messages,
            ..Self::default()
        }
    }

    /// Adds tools.
    pub fn with_tools(mut self, tools: Vec<ToolDefinition>) -> Self {
        self.tools = tools;
        self
    }

    /// Sets the model.
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.options.model = Some(model.into());
        self
    }
}

/// Token counts of one model turn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// All input tokens, including those read from a prompt cache.
    pub input_tokens: u64,
    /// The part of `input_tokens` served from a prompt cache.
    #[serde(default)]
    pub cached_input_tokens: u64,
    /// Output tokens, including reasoning tokens.
    pub output_tokens: u64,
}

impl Usage {
    /// Adds another usage to this one.
    pub fn add(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.cached_input_tokens += other.cached_input_tokens;
        self.output_tokens += other.output_tokens;
    }
}

/// Why a model turn ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model finished its answer.
    Stop,
    /// The model wants the tool calls of this turn executed.
    ToolCalls,
    /// The output hit `max_tokens`.
    Length,
    /// Anything else the provider reported (content filter, refusal, pause, ...).
    Other(String),
}

impl fmt::Display for FinishReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stop => f.write_str("stop"),
            Self::ToolCalls => f.write_str("tool_calls"),
            Self::Length => f.write_str("length"),
            Self::Other(other) => write!(f, "other({other})"),
        }
    }
}

/// One event of a streamed model turn.
///
/// A provider's stream is: any interleaving of text/reasoning deltas and tool-call events
/// (a call's `ToolCallStart` precedes its deltas, which precede its `ToolCallEnd`; calls
/// are told apart by `index`, so parallel calls may interleave), then at most one `Usage`,
/// then exactly one `Finish`, then the end of the stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// A piece of visible text.
    TextDelta {
        /// The text.
        text: String,
    },
    /// A piece of reasoning text.
    ReasoningDelta {
        /// The text.
        text: String,
    },
    /// A piece of the signature of the reasoning (Anthropic).
    ReasoningSignature {
        /// The signature text.
        signature: String,
    },
    /// A tool call begins.
    ToolCallStart {
        /// The call's position in this turn (0, 1, ...).
        index: usize,
        /// The provider's id of the call.
        id: String,
        /// The tool's name.
        name: String,
    },
    /// A piece of a tool call's JSON arguments.
    ToolCallDelta {
        /// The call's position in this turn.
        index: usize,
        /// The piece of the arguments text.
        arguments: String,
    },
    /// A tool call is complete.
    ToolCallEnd {
        /// The call's position in this turn.
        index: usize,
    },
    /// Token counts of the turn.
    Usage(Usage),
    /// The turn ended.
    Finish {
        /// Why.
        reason: FinishReason,
    },
    /// Sent only by [`crate::LlmPool`]: an attempt that had already delivered events
    /// failed and the request starts over (retry or fallback). **Discard everything
    /// received so far for this turn**; the events that follow are a complete new answer.
    Restart {
        /// Why the request was restarted.
        reason: String,
    },
}

/// A tool call of a completed turn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The provider's id of the call.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments exactly as the model produced them.
    pub raw_arguments: String,
    /// The parsed arguments (always a JSON object), or why they could not be parsed.
    /// The agent should answer a malformed call with a tool error quoting this.
    pub arguments: Result<Value, MalformedArguments>,
}

impl ToolCall {
    /// The call as it goes back into the history.
    pub fn to_request(&self) -> ToolCallRequest {
        ToolCallRequest {
            id: self.id.clone(),
            name: self.name.clone(),
            arguments: self.raw_arguments.clone(),
        }
    }
}

/// Tool-call arguments the model produced that are not a JSON object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("the arguments of tool call `{tool}` are not a valid JSON object: {reason}")]
pub struct MalformedArguments {
    /// The tool's name.
    pub tool: String,
    /// What is wrong (parser message with line and column, or the wrong JSON type).
    pub reason: String,
}

/// Parses tool-call arguments: an empty string is `{}`; anything else must be a JSON object.
pub fn parse_tool_arguments(tool: &str, raw: &str) -> Result<Value, MalformedArguments> {
    if raw.trim().is_empty() {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(other) => Err(MalformedArguments {
            tool: tool.to_owned(),
            reason: format!("expected an object, got {}", json_type_name(&other)),
        }),
        Err(e) => Err(MalformedArguments {
            tool: tool.to_owned(),
            reason: e.to_string(),
        }),
    }
}

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A complete model turn, collected from a stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    /// The visible text.
    pub text: String,
    /// The reasoning text, if any was streamed.
    pub reasoning: Option<String>,
    /// The signature of the reasoning (Anthropic), if any.
    pub reasoning_signature: Option<String>,
    /// The tool calls, in index order.
    pub tool_calls: Vec<ToolCall>,
    /// Token counts (zero if the provider reported none).
    pub usage: Usage,
    /// Why the turn ended.
    pub finish_reason: FinishReason,
}

impl Completion {
    /// The turn as an assistant message for the history.
    pub fn to_message(&self) -> Message {
        Message::Assistant {
            content: self.text.clone(),
            reasoning: self.reasoning.as_ref().map(|text| Reasoning {
                text: text.clone(),
                signature: self.reasoning_signature.clone(),
            }),
            tool_calls: self.tool_calls.iter().map(ToolCall::to_request).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_arguments_are_an_empty_object() {
        assert_eq!(
            parse_tool_arguments("t", "  ").ok(),
            Some(serde_json::json!({}))
        );
    }

    #[test]
    fn non_object_arguments_are_malformed() {
        let err = parse_tool_arguments("t", "[1,2]").err();
        assert!(err.is_some_and(|e| e.reason.contains("array")));
    }

    #[test]
    fn messages_round_trip_through_json() {
        let m = Message::Assistant {
            content: String::new(),
            reasoning: Some(Reasoning {
                text: "hm".into(),
                signature: None,
            }),
            tool_calls: vec![ToolCallRequest {
                id: "c1".into(),
                name: "read_file".into(),
                arguments: "{\"path\":\"a\"}".into(),
            }],
        };
        let json = serde_json::to_string(&m).unwrap_or_default();
        assert!(json.contains("\"role\":\"assistant\""));
        let back: Message = serde_json::from_str(&json).unwrap_or_else(|_| Message::user(""));
        assert_eq!(back, m);
    }
}
