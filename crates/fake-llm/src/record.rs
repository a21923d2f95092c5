//! What the fake remembers about each request it received.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::scenario::Api;
use crate::view::View;

/// How a request was answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Answer {
    /// The rule at `index` of [`crate::Scenario::rules`] answered.
    Rule {
        /// Position in the scenario's rule list.
        index: usize,
        /// The rule's name, if it has one.
        name: Option<String>,
    },
    /// The scenario's `default` rule answered.
    Default,
    /// No rule matched and there is no default: answered 400.
    NoMatch,
    /// Missing or wrong API key: answered 401.
    Unauthorized,
    /// Malformed request (bad JSON, missing fields, unpaired tool calls): answered 400.
    Invalid {
        /// The error message sent back.
        message: String,
    },
    /// `GET /v1/models`.
    Models,
    /// An unknown path: answered 404.
    NotFound,
}

/// One request the fake received.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    /// 1-based arrival number (the same numbering as the `{{request_seq}}` placeholder).
    pub seq: u64,
    /// Arrival time, measured from the server's start.
    pub at: Duration,
    /// HTTP method.
    pub method: String,
    /// Request path (without the query string).
    pub path: String,
    /// The wire format of the endpoint, for chat requests.
    pub api: Option<Api>,
    /// Request headers, names in lower case, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The JSON body; `Null` when empty, a JSON string holding the raw text when it was
    /// not valid JSON.
    pub body: Value,
    /// Which rule (if any) answered.
    pub answer: Answer,
    /// The HTTP status answered (200 for streams, even when a fault cuts them later).
    pub status: u16,
    /// When the answer was complete, measured from the server's start: a stream's last
    /// event handed to the connection, or a whole JSON or error body built. `None` while
    /// it is in progress and for answers that never complete (hangs, cuts, stalls). With
    /// [`RecordedRequest::at`] it gives the time the fake itself took, delays included.
    pub answered: Option<Duration>,
}

impl RecordedRequest {
    /// The first value of a header (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The index of the rule that answered, if a scenario rule did.
    pub fn rule_index(&self) -> Option<usize> {
        match self.answer {
            Answer::Rule { index, .. } => Some(index),
            _ => None,
        }
    }

    /// The request's `model`.
    pub fn model(&self) -> Option<&str> {
        self.body.get("model").and_then(Value::as_str)
    }

    /// Whether the request asked for a stream.
    pub fn is_stream(&self) -> bool {
        self.body
            .get("stream")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The text of the last user message that carries text.
    pub fn last_user_text(&self) -> Option<String> {
        self.api
            .and_then(|api| View::new(api, &self.body).last_user)
    }

    /// The most recent tool result's text.
    pub fn last_tool_result(&self) -> Option<String> {
        self.api
            .and_then(|api| View::new(api, &self.body).last_tool_result)
    }

    /// The system prompt's text.
    pub fn system_text(&self) -> String {
        self.api
            .map(|api| View::new(api, &self.body).system)
            .unwrap_or_default()
    }

    /// The number of assistant messages in the history.
    pub fn turn(&self) -> usize {
        self.api
            .map(|api| View::new(api, &self.body).turn)
            .unwrap_or(0)
    }

    /// The names of the tools the request offers.
    pub fn tool_names(&self) -> Vec<String> {
        self.api
            .map(|api| View::new(api, &self.body).tool_names)
            .unwrap_or_default()
    }
}
