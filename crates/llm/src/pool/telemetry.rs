//! The pool's Prometheus series, recorded through the `metrics` facade (the process that
//! runs the pool installs the recorder; without one, recording costs next to nothing).
//!
//! Every series is labelled by the provider's **metrics label**, never by a user, agent
//! or task: a provider the operator registered by name keeps its name (`default`); the
//! providers users configure themselves ([`super::LlmPool::ensure_provider`]) are folded
//! into `user:<kind>` (`user:openai`, `user:anthropic`), since their names carry
//! user-chosen host names and there may be one per user.
//!
//! | series | type | labels |
//! |---|---|---|
//! | `arranger_llm_calls_total` | counter | `provider`, `outcome` (`ok`, `error`, `cancelled`) |
//! | `arranger_llm_call_seconds` | histogram | `provider`, `outcome` |
//! | `arranger_llm_time_to_first_byte_seconds` | histogram | `provider` |
//! | `arranger_llm_queue_wait_seconds` | histogram | `provider` |
//! | `arranger_llm_errors_total` | counter | `provider`, `kind` (see [`error_kind`]) |
//! | `arranger_llm_retries_total` | counter | `provider` |
//! | `arranger_llm_fallbacks_total` | counter | `provider` (the one given up on) |
//! | `arranger_llm_tokens_total` | counter | `provider`, `kind` (`input`, `output`) |
//! | `arranger_llm_in_flight` | gauge | `provider` |
//! | `arranger_llm_queued` | gauge | `provider` |
//! | `arranger_llm_breaker` | gauge | `provider`, `state` (`closed`, `open`, `half_open`) |

use super::BreakerState;
use crate::{LlmError, TimeoutPhase, Usage};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

/// The label of calls whose provider is not registered (the name asked for is not used:
/// it may be anything).
pub(crate) const UNKNOWN: &str = "unknown";

/// A bounded name for why an attempt failed.
pub(crate) fn error_kind(error: &LlmError) -> &'static str {
    match error {
        LlmError::Status { status: 429, .. } => "rate_limited",
        LlmError::Status {
            status: 401 | 403, ..
        } => "auth",
        LlmError::Status { status, .. } if *status >= 500 => "server_error",
        LlmError::Status { .. } => "client_error",
        LlmError::Connection { .. } => "connection",
        LlmError::Timeout {
            phase: TimeoutPhase::FirstByte,
            ..
        } => "timeout_first_byte",
        LlmError::Timeout {
            phase: TimeoutPhase::Idle,
            ..
        } => "timeout_idle",
        LlmError::Incomplete { .. } => "incomplete",
        LlmError::Upstream { .. } => "upstream",
        LlmError::Protocol { .. } => "protocol",
        LlmError::CircuitOpen { .. } => "circuit_open",
        LlmError::Cancelled => "cancelled",
        LlmError::UnknownProvider { .. } => "unknown_provider",
        LlmError::Config(_) => "config",
        LlmError::Quota(_) => "quota",
    }
}

/// The wire name of a breaker state (also its label value).
pub(crate) fn breaker_label(state: BreakerState) -> &'static str {
    match state {
        BreakerState::Closed => "closed",
        BreakerState::Open => "open",
        BreakerState::HalfOpen => "half_open",
    }
}

/// An attempt (or the breaker's refusal) failed.
pub(crate) fn attempt_failed(provider: &Arc<str>, error: &LlmError) {
    metrics::counter!(
        "arranger_llm_errors_total",
        "provider" => provider.to_string(),
        "kind" => error_kind(error),
    )
    .increment(1);
}

/// A failed attempt is tried again on the same provider.
pub(crate) fn retried(provider: &Arc<str>) {
    metrics::counter!("arranger_llm_retries_total", "provider" => provider.to_string())
        .increment(1);
}

/// A call gave up on `provider` and went to its fallback.
pub(crate) fn fell_back(provider: &Arc<str>) {
    metrics::counter!("arranger_llm_fallbacks_total", "provider" => provider.to_string())
        .increment(1);
}

/// How long an attempt waited for a slot, a rate token and cool-downs.
pub(crate) fn queue_wait(provider: &Arc<str>, waited: Duration) {
    metrics::histogram!("arranger_llm_queue_wait_seconds", "provider" => provider.to_string())
        .record(waited.as_secs_f64());
}

/// From sending an attempt to its first event.
pub(crate) fn first_byte(provider: &Arc<str>, took: Duration) {
    metrics::histogram!(
        "arranger_llm_time_to_first_byte_seconds",
        "provider" => provider.to_string()
    )
    .record(took.as_secs_f64());
}

/// Tokens a provider reported (over every attempt: discarded attempts cost too).
pub(crate) fn tokens(provider: &Arc<str>, usage: &Usage) {
    metrics::counter!(
        "arranger_llm_tokens_total",
        "provider" => provider.to_string(),
        "kind" => "input"
    )
    .increment(usage.input_tokens);
    metrics::counter!(
        "arranger_llm_tokens_total",
        "provider" => provider.to_string(),
        "kind" => "output"
    )
    .increment(usage.output_tokens);
}

/// Records a call's end once: `ok` or `error` when the driver says so, `cancelled` when
/// it is dropped first (the caller cancelled or dropped the stream).
pub(crate) struct CallRecord {
    started: tokio::time::Instant,
    /// The label of the provider the call is on now.
    pub(crate) provider: Arc<str>,
    done: bool,
}

impl CallRecord {
    /// A call that started at `started`.
    pub(crate) fn new(started: tokio::time::Instant) -> Self {
        Self {
            started,
            provider: Arc::from(UNKNOWN),
            done: false,
        }
    }

    /// The call ended with `outcome`.
    pub(crate) fn finish(&mut self, outcome: &'static str) {
        if self.done {
            return;
        }
        self.done = true;
        let provider = self.provider.to_string();
        metrics::counter!(
            "arranger_llm_calls_total",
            "provider" => provider.clone(),
            "outcome" => outcome
        )
        .increment(1);
        metrics::histogram!(
            "arranger_llm_call_seconds",
            "provider" => provider,
            "outcome" => outcome
        )
        .record(self.started.elapsed().as_secs_f64());
    }
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        self.finish("cancelled");
    }
}

/// What one provider contributes to the gauges.
pub(crate) struct Load {
    /// Its metrics label.
    pub(crate) label: Arc<str>,
    /// Requests holding a slot.
    pub(crate) in_flight: usize,
    /// Requests waiting for a slot or a rate token.
    pub(crate) queued: usize,
    /// Its breaker's state.
    pub(crate) breaker: BreakerState,
}

/// Sets the load and breaker gauges from every provider's current state, summed by label
/// (`arranger_llm_breaker` counts the providers of a label in each state). Labels
/// exported before that have no provider any more are set to zero; returns the labels
/// exported now.
pub(crate) fn set_gauges(loads: &[Load], previous: &BTreeSet<Arc<str>>) -> BTreeSet<Arc<str>> {
    #[derive(Default)]
    struct Sum {
        in_flight: usize,
        queued: usize,
        breaker: [usize; 3],
    }
    let states = [
        BreakerState::Closed,
        BreakerState::Open,
        BreakerState::HalfOpen,
    ];
    let mut sums: BTreeMap<Arc<str>, Sum> = previous
        .iter()
        .map(|l| (l.clone(), Sum::default()))
        .collect();
    for load in loads {
        let sum = sums.entry(load.label.clone()).or_default();
        sum.in_flight += load.in_flight;
        sum.queued += load.queued;
        if let Some(i) = states.iter().position(|s| *s == load.breaker) {
            sum.breaker[i] += 1;
        }
    }
    for (label, sum) in &sums {
        let provider = label.to_string();
        metrics::gauge!("arranger_llm_in_flight", "provider" => provider.clone())
            .set(sum.in_flight as f64);
        metrics::gauge!("arranger_llm_queued", "provider" => provider.clone())
            .set(sum.queued as f64);
        for (state, n) in states.iter().zip(sum.breaker) {
            metrics::gauge!(
                "arranger_llm_breaker",
                "provider" => provider.clone(),
                "state" => breaker_label(*state)
            )
            .set(n as f64);
        }
    }
    loads.iter().map(|l| l.label.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_kinds_are_few_and_fixed() {
        let status = |status| LlmError::Status {
            provider: "p".into(),
            status,
            message: String::new(),
            retryable: false,
            retry_after: None,
        };
        assert_eq!(error_kind(&status(429)), "rate_limited");
        assert_eq!(error_kind(&status(503)), "server_error");
        assert_eq!(error_kind(&status(401)), "auth");
        assert_eq!(error_kind(&status(400)), "client_error");
        assert_eq!(
            error_kind(&LlmError::Timeout {
                provider: "p".into(),
                phase: TimeoutPhase::Idle
            }),
            "timeout_idle"
        );
        assert_eq!(
            error_kind(&LlmError::UnknownProvider {
                name: "anything a user typed".into()
            }),
            "unknown_provider"
        );
    }
}
