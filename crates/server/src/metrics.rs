//! Prometheus metrics, served at `GET /metrics`. Aggregates only: no label ever names a
//! user, a task or anything else there can be one of per user; every label has a small,
//! fixed set of values. `docs/operations.md` lists every series.
//!
//! Series are recorded where things happen through the `metrics` facade (this module, the
//! LLM pool in `arranger-llm`, the team in `arranger-team`); live state is read into
//! gauges just before each scrape, from memory only.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Bucket bounds of every `*_seconds` histogram: from a fast JSON-RPC call to a model
/// that thinks for minutes.
const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

/// Installs the process-wide recorder once; later servers in the same process share it.
pub(crate) fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = match PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
            {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "histogram buckets refused; durations become summaries");
                    PrometheusBuilder::new()
                }
            };
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder already installed");
                    None
                }
            }
        })
        .clone()
}

/// Records one JSON-RPC request. Unknown method names are folded into one label value.
pub(crate) fn request(method: &str, took: Duration, error_code: Option<i64>) {
    let known = arranger_protocol::methods::NAMES.contains(&method)
        || method == "events.subscribe"
        || method == "events.unsubscribe";
    let label = if known {
        method.to_owned()
    } else {
        "unknown".to_owned()
    };
    metrics::counter!("arranger_rpc_requests_total", "method" => label.clone()).increment(1);
    metrics::histogram!("arranger_rpc_duration_seconds", "method" => label)
        .record(took.as_secs_f64());
    if let Some(code) = error_code {
        metrics::counter!("arranger_rpc_errors_total", "code" => code.to_string()).increment(1);
    }
}

/// Records a request refused by the rate limiter.
pub(crate) fn rate_limited() {
    metrics::counter!("arranger_rate_limited_total").increment(1);
}

/// The longest quota name kept as a label value; longer (or odd) names become `other`.
const MAX_LIMIT_NAME: usize = 40;

/// Records a request refused because a user reached a quota:
/// `arranger_quota_rejections_total{limit="<limit>"}` goes up by one.
///
/// `limit` names the quota that refused, one of a small fixed set chosen by the code
/// that enforces it (for example `tasks`, `tokens_per_day`, `workspace_bytes`,
/// `terminals`) — never a user, a task or a value a client sent. Names that are not
/// plain `[a-z0-9_]` words of at most 40 characters are counted as `other`, so a
/// mistake cannot make the label set grow without bound.
pub fn quota_rejected(limit: &str) {
    let plain = !limit.is_empty()
        && limit.len() <= MAX_LIMIT_NAME
        && limit
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    let label = if plain {
        limit.to_owned()
    } else {
        "other".to_owned()
    };
    metrics::counter!("arranger_quota_rejections_total", "limit" => label).increment(1);
}

/// The live state read into gauges before a scrape (all from memory).
pub(crate) struct Live<'a> {
    /// WebSocket connections open now.
    pub connections: usize,
    /// The session manager (contexts and their indexes).
    pub sessions: &'a crate::SessionManager,
    /// The shared LLM pool.
    pub pool: &'a arranger_llm::LlmPool,
}

/// Sets the gauges of live state.
pub(crate) fn gauges(live: Live<'_>) {
    metrics::gauge!("arranger_connections").set(live.connections as f64);
    metrics::gauge!("arranger_session_contexts").set(live.sessions.active() as f64);
    for (state, n) in live.sessions.index_states() {
        metrics::gauge!("arranger_indexes", "state" => index_state_name(state)).set(n as f64);
    }
    live.pool.record_gauges();
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        let m = rt.metrics();
        metrics::gauge!("arranger_runtime_workers").set(m.num_workers() as f64);
        metrics::gauge!("arranger_runtime_alive_tasks").set(m.num_alive_tasks() as f64);
        metrics::gauge!("arranger_runtime_global_queue_depth").set(m.global_queue_depth() as f64);
    }
}

fn index_state_name(state: arranger_domain::IndexState) -> &'static str {
    use arranger_domain::IndexState as S;
    match state {
        S::Idle => "idle",
        S::Building => "building",
        S::Ready => "ready",
        S::Failed => "failed",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quota_names_stay_bounded() {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            super::quota_rejected("tasks");
            super::quota_rejected("tasks");
            super::quota_rejected("Bob's limit");
            super::quota_rejected(&"x".repeat(41));
        });
        let text = handle.render();
        assert!(
            text.contains("arranger_quota_rejections_total{limit=\"tasks\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("arranger_quota_rejections_total{limit=\"other\"} 2"),
            "{text}"
        );
    }
}
