//! HTTP plumbing shared by the providers: endpoints, error mapping, `Retry-After`, and
//! turning an SSE response body into an event stream.

use crate::config::ApiKey;
use crate::sse::{SseEvent, SseParser};
use crate::{EventStream, LlmError, StreamEvent};
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use reqwest::header::HeaderMap;
use std::collections::VecDeque;
use std::error::Error as _;
use std::time::{Duration, SystemTime};

/// The longest error body read from a failed response.
const MAX_ERROR_BODY: usize = 64 * 1024;
/// The longest provider message kept in an error.
const MAX_MESSAGE_CHARS: usize = 600;
/// How long a finished stream's remaining bytes are drained so the connection can be
/// reused.
const DRAIN_TIME: Duration = Duration::from_millis(200);

/// The full URL of `resource` (`chat/completions`, `messages`) under `base`.
///
/// `base` may be a bare origin (`https://api.openai.com`), end in a version segment
/// (`http://host:8000/v1`, `.../compatible-mode/v1`, `.../v1beta/openai` is *not* one),
/// or already be the full endpoint. A trailing `/` is ignored.
pub(crate) fn endpoint(base: &str, resource: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with(&format!("/{resource}")) {
        return base.to_owned();
    }
    let last_segment = reqwest::Url::parse(base)
        .ok()
        .and_then(|u| {
            u.path_segments()
                .and_then(|mut s| s.next_back().map(str::to_owned))
        })
        .unwrap_or_default();
    if is_version_segment(&last_segment) {
        format!("{base}/{resource}")
    } else {
        format!("{base}/v1/{resource}")
    }
}

/// `v1`, `v4`, `v1beta`, `v2alpha`: a `v`, digits, then optional letters.
fn is_version_segment(segment: &str) -> bool {
    let Some(rest) = segment.strip_prefix('v') else {
        return false;
    };
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && rest[digits..].chars().all(|c| c.is_ascii_alphabetic())
}

/// How long the response asks us to wait: `retry-after-ms` (OpenAI), else `Retry-After`
/// as seconds (integer or decimal) or as an HTTP date.
pub(crate) fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = header("retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Describes a transport error without its URL, following the source chain.
pub(crate) fn describe_reqwest_error(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// The error for a request that failed before any response arrived.
pub(crate) fn send_error(provider: &str, err: reqwest::Error) -> LlmError {
    LlmError::Connection {
        provider: provider.to_owned(),
        message: describe_reqwest_error(err),
    }
}

/// Reads a failed response's body (bounded) and maps it to [`LlmError::Status`].
pub(crate) async fn status_error(
    provider: &str,
    response: reqwest::Response,
    key: Option<&ApiKey>,
) -> LlmError {
    let status = response.status().as_u16();
    let retry_after = parse_retry_after(response.headers());
    let mut body = Vec::new();
    let mut chunks = response.bytes_stream();
    while let Some(Ok(chunk)) = chunks.next().await {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_ERROR_BODY {
            body.truncate(MAX_ERROR_BODY);
            break;
        }
    }
    let text = String::from_utf8_lossy(&body);
    let message = error_message_from_body(&text).unwrap_or_else(|| {
        if text.trim().is_empty() {
            reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("no error message")
                .to_owned()
        } else {
            text.trim().to_owned()
        }
    });
    LlmError::Status {
        provider: provider.to_owned(),
        status,
        message: clean_message(&message, key),
        retryable: crate::error::status_is_retryable(status),
        retry_after,
    }
}

/// Pulls the human message out of the error bodies the supported servers send:
/// `{"error": {"message": ..}}` (OpenAI, Anthropic, vLLM), `{"error": "..."}` (Ollama,
/// llama.cpp), `{"message": ..}`, `{"detail": ..}` (FastAPI servers).
pub(crate) fn error_message_from_body(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let error = value.get("error").unwrap_or(&value);
    let as_text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    };
    if let Some(s) = error.as_str() {
        return Some(s.to_owned());
    }
    let message = error
        .get("message")
        .or_else(|| error.get("detail"))
        .and_then(as_text)?;
    let kind = error
        .get("type")
        .or_else(|| error.get("code"))
        .and_then(|k| k.as_str());
    Some(match kind {
        Some(kind) if !kind.is_empty() => format!("{message} ({kind})"),
        _ => message,
    })
}

/// Redacts the key and bounds the length of a provider message.
pub(crate) fn clean_message(message: &str, key: Option<&ApiKey>) -> String {
    let redacted = match key {
        Some(key) => key.redact(message),
        None => message.to_owned(),
    };
    if redacted.chars().count() > MAX_MESSAGE_CHARS {
        let mut cut: String = redacted.chars().take(MAX_MESSAGE_CHARS).collect();
        cut.push('…');
        cut
    } else {
        redacted
    }
}

/// Turns SSE events of one wire format into [`StreamEvent`]s.
pub(crate) trait Decoder: Send + 'static {
    /// Handles one SSE event.
    fn on_event(&mut self, event: SseEvent, out: &mut VecDeque<Result<StreamEvent, LlmError>>);
    /// The body ended; called only if [`Decoder::done`] is false.
    fn on_eof(&mut self, out: &mut VecDeque<Result<StreamEvent, LlmError>>);
    /// Whether the terminal event (finish or error) has been produced.
    fn done(&self) -> bool;
}

enum Phase {
    Reading,
    Draining,
    Ended,
}

struct State<D> {
    provider: String,
    body: BoxStream<'static, reqwest::Result<Bytes>>,
    parser: SseParser,
    decoder: D,
    out: VecDeque<Result<StreamEvent, LlmError>>,
    phase: Phase,
}

/// The event stream of an SSE response. After the decoder's terminal event the rest of
/// the body is drained briefly (so the connection can go back to the pool) and the
/// stream ends; after an error it ends at once.
pub(crate) fn sse_event_stream<D: Decoder>(
    provider: String,
    response: reqwest::Response,
    decoder: D,
) -> EventStream {
    let state = State {
        provider,
        body: response.bytes_stream().boxed(),
        parser: SseParser::new(),
        decoder,
        out: VecDeque::new(),
        phase: Phase::Reading,
    };
    stream::unfold(state, |mut st| async move {
        loop {
            if let Some(item) = st.out.pop_front() {
                if item.is_err() {
                    st.out.clear();
                    st.phase = Phase::Ended;
                }
                return Some((item, st));
            }
            match st.phase {
                Phase::Ended => return None,
                Phase::Draining => {
                    let body = &mut st.body;
                    let _ = tokio::time::timeout(DRAIN_TIME, async {
                        while let Some(Ok(_)) = body.next().await {}
                    })
                    .await;
                    return None;
                }
                Phase::Reading => {}
            }
            if st.decoder.done() {
                st.phase = Phase::Draining;
                continue;
            }
            match st.body.next().await {
                Some(Ok(bytes)) => {
                    let mut events = Vec::new();
                    let parsed = st.parser.push(&bytes, &mut events);
                    for event in events {
                        st.decoder.on_event(event, &mut st.out);
                        if st.decoder.done() {
                            break;
                        }
                    }
                    if let Err(message) = parsed
                        && !st.decoder.done()
                    {
                        st.out.push_back(Err(LlmError::Protocol {
                            provider: st.provider.clone(),
                            message,
                        }));
                    }
                }
                Some(Err(err)) => {
                    st.out.push_back(Err(LlmError::Incomplete {
                        provider: st.provider.clone(),
                        message: describe_reqwest_error(err),
                    }));
                }
                None => {
                    st.parser.finish();
                    st.decoder.on_eof(&mut st.out);
                    st.phase = Phase::Ended;
                }
            }
        }
    })
    .boxed()
}

/// Whether a response's content type is an event stream (servers that ignore
/// `stream: true` answer with `application/json`).
pub(crate) fn is_event_stream(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| !ct.to_ascii_lowercase().contains("application/json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn endpoints_with_and_without_version() {
        let cases = [
            (
                "https://api.openai.com",
                "https://api.openai.com/v1/chat/completions",
            ),
            (
                "https://api.openai.com/",
                "https://api.openai.com/v1/chat/completions",
            ),
            (
                "http://127.0.0.1:8000/v1",
                "http://127.0.0.1:8000/v1/chat/completions",
            ),
            (
                "http://127.0.0.1:8000/v1/",
                "http://127.0.0.1:8000/v1/chat/completions",
            ),
            (
                "https://dashscope.aliyuncs.com/compatible-mode/v1",
                "https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions",
            ),
            (
                "https://open.bigmodel.cn/api/paas/v4",
                "https://open.bigmodel.cn/api/paas/v4/chat/completions",
            ),
            (
                "http://localhost:11434/v1/chat/completions",
                "http://localhost:11434/v1/chat/completions",
            ),
            (
                "https://api.deepseek.com",
                "https://api.deepseek.com/v1/chat/completions",
            ),
        ];
        for (base, want) in cases {
            assert_eq!(endpoint(base, "chat/completions"), want, "{base}");
        }
        assert_eq!(
            endpoint("https://api.anthropic.com", "messages"),
            "https://api.anthropic.com/v1/messages"
        );
        assert_eq!(
            endpoint("http://proxy.local/anthropic/v1", "messages"),
            "http://proxy.local/anthropic/v1/messages"
        );
        assert!(!is_version_segment("video"));
        assert!(!is_version_segment("v"));
        assert!(is_version_segment("v1beta"));
    }

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(7)));
        h.insert("retry-after", HeaderValue::from_static("1.5"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_millis(1500)));
        h.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_millis(250)));

        let mut h = HeaderMap::new();
        let later = SystemTime::now() + Duration::from_secs(30);
        let date = httpdate::fmt_http_date(later);
        h.insert("retry-after", HeaderValue::from_str(&date).unwrap());
        let got = parse_retry_after(&h).unwrap();
        assert!(
            got > Duration::from_secs(27) && got <= Duration::from_secs(30),
            "{got:?}"
        );

        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(parse_retry_after(&h), Some(Duration::ZERO));
        h.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&h), None);
        h.insert("retry-after", HeaderValue::from_static("-3"));
        assert_eq!(parse_retry_after(&h), None);
    }

    #[test]
    fn error_bodies() {
        assert_eq!(
            error_message_from_body(
                r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#
            )
            .as_deref(),
            Some("Rate limit reached (requests)")
        );
        assert_eq!(
            error_message_from_body(
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
            )
            .as_deref(),
            Some("Overloaded (overloaded_error)")
        );
        assert_eq!(
            error_message_from_body(r#"{"error":"model 'x' not found"}"#).as_deref(),
            Some("model 'x' not found")
        );
        assert_eq!(
            error_message_from_body(r#"{"detail":"Not Found"}"#).as_deref(),
            Some("Not Found")
        );
        assert_eq!(error_message_from_body("<html>bad gateway</html>"), None);
    }

    #[test]
    fn messages_are_redacted_and_bounded() {
        let key = ApiKey::new("sk-live-abcdef123456");
        let msg = clean_message(
            "Incorrect API key provided: sk-live-abcdef123456.",
            Some(&key),
        );
        assert!(!msg.contains("abcdef123456"), "{msg}");
        let long = "x".repeat(5000);
        assert!(clean_message(&long, None).chars().count() <= MAX_MESSAGE_CHARS + 1);
    }
}
