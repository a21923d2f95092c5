//! Helpers shared by the integration tests.
#![allow(dead_code)]

use serde_json::{Value, json};

/// One parsed SSE frame.
#[derive(Debug, Clone)]
pub struct Frame {
    pub event: Option<String>,
    pub data: String,
}

impl Frame {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("bad JSON {:?}: {e}", self.data))
    }
}

/// Splits a complete SSE body into frames, checking the framing strictly: every frame
/// ends with a blank line and has only `event:` and `data:` lines.
pub fn frames(body: &str) -> Vec<Frame> {
    assert!(
        body.ends_with("\n\n"),
        "SSE body must end with a blank line: {body:?}"
    );
    body[..body.len() - 2]
        .split("\n\n")
        .map(|raw| {
            let mut event = None;
            let mut data = None;
            for line in raw.split('\n') {
                if let Some(rest) = line.strip_prefix("event: ") {
                    assert!(event.is_none(), "two event lines in {raw:?}");
                    event = Some(rest.to_string());
                } else if let Some(rest) = line.strip_prefix("data: ") {
                    assert!(data.is_none(), "two data lines in {raw:?}");
                    data = Some(rest.to_string());
                } else {
                    panic!("unexpected SSE line {line:?} in frame {raw:?}");
                }
            }
            Frame {
                event,
                data: data.unwrap_or_else(|| panic!("frame without data: {raw:?}")),
            }
        })
        .collect()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

pub fn openai_body(messages: Value, stream: bool) -> Value {
    json!({"model": "fake-model", "messages": messages, "stream": stream})
}

pub fn anthropic_body(messages: Value, stream: bool) -> Value {
    json!({"model": "fake-claude", "max_tokens": 1024, "messages": messages, "stream": stream})
}

pub async fn post_openai(base: &str, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{base}/v1/chat/completions"))
        .bearer_auth("sk-test")
        .json(body)
        .send()
        .await
        .unwrap()
}

pub async fn post_anthropic(base: &str, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{base}/v1/messages"))
        .header("x-api-key", "sk-ant-test")
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Reads a body chunk by chunk until it ends or fails; returns the bytes received and
/// whether the transfer failed.
pub async fn read_all(mut response: reqwest::Response) -> (String, bool) {
    let mut bytes = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) => return (String::from_utf8(bytes).unwrap(), false),
            Err(_) => return (String::from_utf8(bytes).unwrap(), true),
        }
    }
}
