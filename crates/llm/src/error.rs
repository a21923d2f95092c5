//! The typed error of every LLM call.

use std::fmt;
use std::time::Duration;

/// Which wait ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// No response headers or first event within the first-byte timeout.
    FirstByte,
    /// No event within the idle timeout since the previous one.
    Idle,
}

impl fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FirstByte => f.write_str("waiting for the first byte"),
            Self::Idle => f.write_str("idle between stream chunks"),
        }
    }
}

/// Why an LLM call failed. Messages never contain API keys: provider error bodies are
/// redacted before they are put here.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LlmError {
    /// The provider answered with a non-success HTTP status.
    #[error("{provider} answered HTTP {status}: {message}")]
    Status {
        /// The provider's name in the pool.
        provider: String,
        /// The HTTP status code.
        status: u16,
        /// The provider's error message (from its JSON error body, redacted, truncated).
        message: String,
        /// Whether trying again later may succeed (408, 409, 425, 429, 5xx, 529).
        retryable: bool,
        /// How long the provider asked us to wait (`Retry-After` / `retry-after-ms`).
        retry_after: Option<Duration>,
    },
    /// The connection could not be made or broke before the response headers.
    #[error("could not reach {provider}: {message}")]
    Connection {
        /// The provider's name.
        provider: String,
        /// What went wrong.
        message: String,
    },
    /// The provider was too slow.
    #[error("{provider} timed out {phase}")]
    Timeout {
        /// The provider's name.
        provider: String,
        /// Which wait ran out.
        phase: TimeoutPhase,
    },
    /// The stream ended (or broke) before the provider said the turn was finished.
    #[error("the stream from {provider} ended before the turn finished: {message}")]
    Incomplete {
        /// The provider's name.
        provider: String,
        /// What happened.
        message: String,
    },
    /// The provider reported an error inside the event stream.
    #[error("{provider} reported {kind}: {message}")]
    Upstream {
        /// The provider's name.
        provider: String,
        /// The provider's error type (for example `overloaded_error`).
        kind: String,
        /// The provider's message (redacted).
        message: String,
        /// Whether trying again may succeed.
        retryable: bool,
    },
    /// The provider sent something that is not its documented wire format.
    #[error("malformed response from {provider}: {message}")]
    Protocol {
        /// The provider's name.
        provider: String,
        /// What was wrong.
        message: String,
    },
    /// The provider's circuit breaker is open and no fallback was available.
    #[error("{provider} is unavailable after repeated failures (circuit breaker open)")]
    CircuitOpen {
        /// The provider's name.
        provider: String,
    },
    /// The caller cancelled the call.
    #[error("the LLM call was cancelled")]
    Cancelled,
    /// The call named a provider the pool does not know.
    #[error("no LLM provider named {name:?} is configured")]
    UnknownProvider {
        /// The name asked for.
        name: String,
    },
    /// The configuration is unusable (no model, bad base URL, ...).
    #[error("invalid LLM configuration: {0}")]
    Config(String),
    /// A budget (the user's, the task's or the server's) is spent: the call was not sent.
    #[error(transparent)]
    Quota(#[from] arranger_domain::QuotaExceeded),
}

impl LlmError {
    /// Whether the pool may retry the request after this error.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Status { retryable, .. } | Self::Upstream { retryable, .. } => *retryable,
            Self::Connection { .. } | Self::Timeout { .. } | Self::Incomplete { .. } => true,
            Self::Protocol { .. }
            | Self::CircuitOpen { .. }
            | Self::Cancelled
            | Self::UnknownProvider { .. }
            | Self::Config(_)
            | Self::Quota(_) => false,
        }
    }

    /// How long the provider asked to wait before trying again, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status, for [`LlmError::Status`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether this error says something about the provider's health (and so counts
    /// toward its circuit breaker): server errors, overload, timeouts, broken
    /// connections and streams, garbage on the wire, rejected credentials. Client
    /// errors about one request (400, 404, 422) and rate limiting (429) do not count.
    pub fn is_provider_failure(&self) -> bool {
        match self {
            Self::Status { status, .. } => *status >= 500 || matches!(*status, 401 | 403 | 408),
            Self::Upstream { retryable, .. } => *retryable,
            Self::Connection { .. }
            | Self::Timeout { .. }
            | Self::Incomplete { .. }
            | Self::Protocol { .. } => true,
            Self::CircuitOpen { .. }
            | Self::Cancelled
            | Self::UnknownProvider { .. }
            | Self::Config(_)
            | Self::Quota(_) => false,
        }
    }
}

/// Whether an HTTP status is worth retrying.
pub(crate) fn status_is_retryable(status: u16) -> bool {
    matches!(status, 408 | 409 | 425 | 429) || status >= 500
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses() {
        for s in [408, 409, 425, 429, 500, 502, 503, 504, 529] {
            assert!(status_is_retryable(s), "{s}");
        }
        for s in [400, 401, 403, 404, 413, 422] {
            assert!(!status_is_retryable(s), "{s}");
        }
    }
}
