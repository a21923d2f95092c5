//! Scenarios: the scripted behaviour of the fake server.
//!
//! A [`Scenario`] is an ordered list of [`Rule`]s. For every chat request the first rule
//! whose [`Match`] fits the request (and whose `times` budget is not used up) answers with
//! its [`Reply`], delivered with the rule's chunking, latency and fault settings. Scenarios
//! are plain JSON (see the crate documentation for the format) and can also be built in
//! Rust with the builder methods.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::view::View;

/// Which provider wire format a request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// OpenAI-compatible Chat Completions (`/v1/chat/completions`).
    #[serde(rename = "openai")]
    OpenAi,
    /// Anthropic Messages (`/v1/messages`).
    Anthropic,
}

/// A complete script for the fake server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Free text describing the scenario; ignored by the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When set, every request must carry this key (`Authorization: Bearer` for OpenAI,
    /// `x-api-key` for Anthropic) or it is answered 401.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Model ids listed by `GET /v1/models`. When empty, the models named in the rules'
    /// `match.model` are listed, or `fake-model` if there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
    /// Validate requests the way the real APIs do (required fields, tool call / tool
    /// result pairing, Anthropic message roles and `anthropic-version` header) and answer
    /// 400 when they are malformed. Default `true`.
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub strict: bool,
    /// Honour the request's `max_tokens` (`max_completion_tokens` for OpenAI): a reply
    /// whose estimated size exceeds it is truncated and finishes with `length` /
    /// `max_tokens`. Default `false`, because the chars/4 estimate is crude.
    #[serde(default, skip_serializing_if = "is_false")]
    pub enforce_max_tokens: bool,
    /// The rules, tried in order.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Answers when no rule matches. Its `match` and `times` are ignored. Without it an
    /// unmatched request gets a 400 error that describes the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Rule>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            description: None,
            api_key: None,
            models: Vec::new(),
            strict: true,
            enforce_max_tokens: false,
            rules: Vec::new(),
            default: None,
        }
    }
}

fn default_true() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn default_chunk_chars() -> usize {
    16
}

fn is_default_chunk_chars(value: &usize) -> bool {
    *value == default_chunk_chars()
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

impl Scenario {
    /// An empty scenario: no rules, no default, no API key, strict validation.
    pub fn new() -> Self {
        Scenario::default()
    }

    /// A scenario that answers every request with `text`.
    pub fn always(text: impl Into<String>) -> Self {
        Scenario::new().default_reply(Reply::text(text))
    }

    /// Parses a scenario from JSON text.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// Reads and parses a scenario file.
    pub fn from_file(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|err| std::io::Error::new(err.kind(), format!("{}: {err}", path.display())))?;
        Scenario::from_json(&text).map_err(|err| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {err}", path.display()),
            )
        })
    }

    /// Serializes the scenario as pretty JSON.
    pub fn to_json(&self) -> String {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Appends a rule.
    pub fn rule(mut self, rule: Rule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Requires this API key on every request.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Sets the model ids listed by `GET /v1/models`.
    pub fn models<I, S>(mut self, models: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.models = models.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the reply used when no rule matches.
    pub fn default_reply(mut self, reply: Reply) -> Self {
        self.default = Some(Rule::any().reply(reply));
        self
    }

    /// Sets the rule (reply plus delivery settings) used when no rule matches.
    pub fn default_rule(mut self, rule: Rule) -> Self {
        self.default = Some(rule);
        self
    }

    /// Turns request validation on or off (see [`Scenario::strict`]).
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Turns `max_tokens` enforcement on or off (see [`Scenario::enforce_max_tokens`]).
    pub fn enforce_max_tokens(mut self, enforce: bool) -> Self {
        self.enforce_max_tokens = enforce;
        self
    }

    /// Sets the description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// The model ids `GET /v1/models` lists.
    pub(crate) fn listed_models(&self) -> Vec<String> {
        if !self.models.is_empty() {
            return self.models.clone();
        }
        let mut models: Vec<String> = Vec::new();
        for rule in &self.rules {
            if let Some(model) = &rule.when.model
                && !models.contains(model)
            {
                models.push(model.clone());
            }
        }
        if models.is_empty() {
            models.push("fake-model".to_string());
        }
        models
    }
}

/// One scripted answer: when the request fits `match`, reply (at most `times` times) with
/// `reply`, delivered as the delivery and fault fields say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A label, reported in [`crate::RecordedRequest::answer`] and error messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The conditions; all set fields must hold. An empty match fits every request.
    #[serde(rename = "match", default)]
    pub when: Match,
    /// After answering this many requests the rule no longer matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// What the assistant says.
    #[serde(default)]
    pub reply: Reply,
    /// Characters of text / arguments per streamed delta (default 16; 0 = no splitting).
    #[serde(
        default = "default_chunk_chars",
        skip_serializing_if = "is_default_chunk_chars"
    )]
    pub chunk_chars: usize,
    /// Pause between streamed events, in milliseconds. A non-streaming answer waits as
    /// long as the stream would have taken.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub chunk_delay_ms: u64,
    /// Pause before the response headers are sent (time to first byte), in milliseconds.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub first_byte_delay_ms: u64,
    /// Answer with this HTTP error status (429, 500, 503, 529, …) and the provider's
    /// error JSON instead of a completion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// With `status`: send a `Retry-After` header with this many seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    /// With `status` or `error_after_chunks`: the error message (a provider-like default
    /// is used otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Drop the connection after this many SSE events, without the terminating event
    /// (`[DONE]` / `message_stop`). Non-streaming: drop it after half of the JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_after_chunks: Option<usize>,
    /// Stop sending after this many SSE events but keep the connection open (a stalled
    /// stream, for idle-timeout tests). Non-streaming: headers, then nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_after_chunks: Option<usize>,
    /// After this many SSE events send an in-stream error (Anthropic `event: error` with
    /// `overloaded_error`; OpenAI `data: {"error": …}`) and end the stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_after_chunks: Option<usize>,
    /// Accept the request and never answer (until the client gives up or the server
    /// shuts down).
    #[serde(default, skip_serializing_if = "is_false")]
    pub hang: bool,
}

impl Default for Rule {
    fn default() -> Self {
        Rule {
            name: None,
            when: Match::default(),
            times: None,
            reply: Reply::default(),
            chunk_chars: default_chunk_chars(),
            chunk_delay_ms: 0,
            first_byte_delay_ms: 0,
            status: None,
            retry_after_secs: None,
            error_message: None,
            cut_after_chunks: None,
            stall_after_chunks: None,
            error_after_chunks: None,
            hang: false,
        }
    }
}

impl Rule {
    /// A rule that answers requests fitting `when`.
    pub fn when(when: Match) -> Self {
        Rule {
            when,
            ..Rule::default()
        }
    }

    /// A rule that answers every request.
    pub fn any() -> Self {
        Rule::default()
    }

    /// A rule for the `n`-th assistant turn (`n` assistant messages already in the
    /// history).
    pub fn on_turn(n: usize) -> Self {
        Rule::when(Match::any().turn(n))
    }

    /// Sets the reply.
    pub fn reply(mut self, reply: Reply) -> Self {
        self.reply = reply;
        self
    }

    /// Sets a plain text reply.
    pub fn text(self, text: impl Into<String>) -> Self {
        self.reply(Reply::text(text))
    }

    /// Names the rule.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Lets the rule answer at most `n` requests.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Sets the characters per streamed delta (0 = no splitting).
    pub fn chunk_chars(mut self, n: usize) -> Self {
        self.chunk_chars = n;
        self
    }

    /// Sets the pause between streamed events.
    pub fn chunk_delay_ms(mut self, ms: u64) -> Self {
        self.chunk_delay_ms = ms;
        self
    }

    /// Sets the pause before the response headers.
    pub fn first_byte_delay_ms(mut self, ms: u64) -> Self {
        self.first_byte_delay_ms = ms;
        self
    }

    /// Answers with an HTTP error status and the provider's error JSON.
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Adds a `Retry-After` header (seconds) to the error answer.
    pub fn retry_after_secs(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    /// Sets the error message for `status` / `error_after_chunks`.
    pub fn error_message(mut self, message: impl Into<String>) -> Self {
        self.error_message = Some(message.into());
        self
    }

    /// Drops the connection after `n` SSE events.
    pub fn cut_after_chunks(mut self, n: usize) -> Self {
        self.cut_after_chunks = Some(n);
        self
    }

    /// Stalls the stream (connection open, nothing sent) after `n` SSE events.
    pub fn stall_after_chunks(mut self, n: usize) -> Self {
        self.stall_after_chunks = Some(n);
        self
    }

    /// Sends an in-stream error event after `n` SSE events.
    pub fn error_after_chunks(mut self, n: usize) -> Self {
        self.error_after_chunks = Some(n);
        self
    }

    /// Never answers.
    pub fn hang(mut self) -> Self {
        self.hang = true;
        self
    }
}

/// Conditions on a request. Every field that is set must hold; text conditions are
/// case-sensitive substring tests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    /// The wire format: `"openai"` or `"anthropic"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<Api>,
    /// The request's `model`, exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Text in the system prompt (OpenAI `system`/`developer` messages, Anthropic `system`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_contains: Option<String>,
    /// Text in the last user message that carries text (tool results are not user text,
    /// so both APIs see the same "last user text" during an agent loop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_user_contains: Option<String>,
    /// Text in the most recent tool result (OpenAI `role: tool`, Anthropic `tool_result`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_tool_result_contains: Option<String>,
    /// Text anywhere in the request body, serialized as compact JSON (so quotes inside
    /// strings appear escaped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any_contains: Option<String>,
    /// The number of assistant messages already in the history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn: Option<usize>,
    /// Whether the request offers any tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_tools: Option<bool>,
    /// The request offers a tool with this name (tells a Manager's requests from a
    /// Worker's without depending on prompt wording).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_tool: Option<String>,
}

impl Match {
    /// A match that fits every request.
    pub fn any() -> Self {
        Match::default()
    }

    /// Requires the wire format.
    pub fn api(mut self, api: Api) -> Self {
        self.api = Some(api);
        self
    }

    /// Requires the model id.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Requires text in the system prompt.
    pub fn system_contains(mut self, text: impl Into<String>) -> Self {
        self.system_contains = Some(text.into());
        self
    }

    /// Requires text in the last user message.
    pub fn last_user_contains(mut self, text: impl Into<String>) -> Self {
        self.last_user_contains = Some(text.into());
        self
    }

    /// Requires text in the most recent tool result.
    pub fn last_tool_result_contains(mut self, text: impl Into<String>) -> Self {
        self.last_tool_result_contains = Some(text.into());
        self
    }

    /// Requires text anywhere in the serialized request.
    pub fn any_contains(mut self, text: impl Into<String>) -> Self {
        self.any_contains = Some(text.into());
        self
    }

    /// Requires `n` assistant messages in the history.
    pub fn turn(mut self, n: usize) -> Self {
        self.turn = Some(n);
        self
    }

    /// Requires that tools are (or are not) offered.
    pub fn has_tools(mut self, has: bool) -> Self {
        self.has_tools = Some(has);
        self
    }

    /// Requires that a tool with this name is offered.
    pub fn has_tool(mut self, name: impl Into<String>) -> Self {
        self.has_tool = Some(name.into());
        self
    }

    /// Whether the request fits.
    pub(crate) fn matches(&self, view: &View<'_>) -> bool {
        if let Some(api) = self.api
            && api != view.api
        {
            return false;
        }
        if let Some(model) = &self.model
            && model != &view.model
        {
            return false;
        }
        if let Some(text) = &self.system_contains
            && !view.system.contains(text.as_str())
        {
            return false;
        }
        if let Some(text) = &self.last_user_contains
            && !view
                .last_user
                .as_deref()
                .is_some_and(|user| user.contains(text.as_str()))
        {
            return false;
        }
        if let Some(text) = &self.last_tool_result_contains
            && !view
                .last_tool_result
                .as_deref()
                .is_some_and(|result| result.contains(text.as_str()))
        {
            return false;
        }
        if let Some(turn) = self.turn
            && turn != view.turn
        {
            return false;
        }
        if let Some(has) = self.has_tools
            && has == view.tool_names.is_empty()
        {
            return false;
        }
        if let Some(name) = &self.has_tool
            && !view.tool_names.iter().any(|tool| tool == name)
        {
            return false;
        }
        if let Some(text) = &self.any_contains
            && !view.serialized().contains(text.as_str())
        {
            return false;
        }
        true
    }
}

/// Why the completion ended. Accepts both providers' spellings in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finish {
    /// Natural end: OpenAI `stop`, Anthropic `end_turn`.
    #[serde(alias = "end_turn")]
    Stop,
    /// The model wants tools run: OpenAI `tool_calls`, Anthropic `tool_use`.
    #[serde(alias = "tool_use")]
    ToolCalls,
    /// Output limit reached: OpenAI `length`, Anthropic `max_tokens`.
    #[serde(alias = "max_tokens")]
    Length,
    /// Refused: OpenAI `content_filter`, Anthropic `refusal`.
    #[serde(alias = "refusal")]
    ContentFilter,
}

impl Finish {
    /// The OpenAI `finish_reason`.
    pub fn openai(self) -> &'static str {
        match self {
            Finish::Stop => "stop",
            Finish::ToolCalls => "tool_calls",
            Finish::Length => "length",
            Finish::ContentFilter => "content_filter",
        }
    }

    /// The Anthropic `stop_reason`.
    pub fn anthropic(self) -> &'static str {
        match self {
            Finish::Stop => "end_turn",
            Finish::ToolCalls => "tool_use",
            Finish::Length => "max_tokens",
            Finish::ContentFilter => "refusal",
        }
    }
}

/// Token counts that replace the chars/4 estimate. Accepts both providers' names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageOverride {
    /// Prompt tokens (`prompt_tokens` / `input_tokens`).
    #[serde(
        default,
        alias = "prompt_tokens",
        skip_serializing_if = "Option::is_none"
    )]
    pub input_tokens: Option<u64>,
    /// Completion tokens (`completion_tokens` / `output_tokens`).
    #[serde(
        default,
        alias = "completion_tokens",
        skip_serializing_if = "Option::is_none"
    )]
    pub output_tokens: Option<u64>,
}

/// One tool call the assistant makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolCall {
    /// The call id; generated (`call_…` / `toolu_…`) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The tool's name.
    pub name: String,
    /// The arguments, normally a JSON object (sent as compact JSON text). A JSON string is
    /// sent verbatim as the arguments text, which lets a test inject malformed JSON.
    #[serde(default = "empty_object")]
    pub arguments: Value,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

impl ToolCall {
    /// A call of `name` with `arguments`.
    pub fn new(name: impl Into<String>, arguments: Value) -> Self {
        ToolCall {
            id: None,
            name: name.into(),
            arguments,
        }
    }

    /// Fixes the call id instead of generating one.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }
}

/// What the assistant answers. Text and tool-call argument strings may contain
/// placeholders, filled from the request: `{{last_user}}`, `{{last_tool_result}}`,
/// `{{turn}}`, `{{model}}`, `{{request_seq}}`, and `{{tool_result.N}}` /
/// `{{tool_result.N.path.to.field}}` (the N-th tool result after the last assistant
/// message, whole or a field of it parsed as JSON). `{{a|b}}` takes the first non-empty
/// alternative, e.g. `{{tool_result.0.task_id|tool_result.0.id|tool_result.0}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// The assistant's text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// Thinking text: an Anthropic `thinking` block, an OpenAI `reasoning_content` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// Tool calls; several make a parallel tool call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// Overrides the finish reason (default: `tool_calls` when there are tool calls,
    /// `stop` otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish: Option<Finish>,
    /// Overrides the token counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageOverride>,
}

impl Reply {
    /// A text reply.
    pub fn text(text: impl Into<String>) -> Self {
        Reply {
            text: text.into(),
            ..Reply::default()
        }
    }

    /// A reply with one tool call.
    pub fn tool(name: impl Into<String>, arguments: Value) -> Self {
        Reply::default().and_tool(name, arguments)
    }

    /// A reply with these tool calls (parallel tool calls when several).
    pub fn tools<I>(calls: I) -> Self
    where
        I: IntoIterator<Item = ToolCall>,
    {
        Reply {
            tool_calls: calls.into_iter().collect(),
            ..Reply::default()
        }
    }

    /// Sets the text.
    pub fn and_text(mut self, text: impl Into<String>) -> Self {
        self.text = text.into();
        self
    }

    /// Adds a tool call.
    pub fn and_tool(mut self, name: impl Into<String>, arguments: Value) -> Self {
        self.tool_calls.push(ToolCall::new(name, arguments));
        self
    }

    /// Adds a prepared tool call.
    pub fn and_call(mut self, call: ToolCall) -> Self {
        self.tool_calls.push(call);
        self
    }

    /// Sets the thinking text.
    pub fn reasoning(mut self, text: impl Into<String>) -> Self {
        self.reasoning = Some(text.into());
        self
    }

    /// Overrides the finish reason.
    pub fn finish(mut self, finish: Finish) -> Self {
        self.finish = Some(finish);
        self
    }

    /// Overrides the token counts.
    pub fn usage(mut self, input_tokens: u64, output_tokens: u64) -> Self {
        self.usage = Some(UsageOverride {
            input_tokens: Some(input_tokens),
            output_tokens: Some(output_tokens),
        });
        self
    }
}
