//! Prometheus metrics. Aggregates only: no label ever names a user.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once; later servers in the same process share it.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
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
pub fn request(method: &str, took: Duration, error_code: Option<i64>) {
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
pub fn rate_limited() {
    metrics::counter!("arranger_rate_limited_total").increment(1);
}

/// Sets the gauges of live state.
pub fn gauges(connections: usize, contexts: usize) {
    metrics::gauge!("arranger_connections").set(connections as f64);
    metrics::gauge!("arranger_session_contexts").set(contexts as f64);
}

/// Records a request or call refused because a quota, budget or cap was reached;
/// `limit` is the setting's name (a bounded set, never a user).
pub fn quota_rejected(limit: &str) {
    metrics::counter!("arranger_quota_rejections_total", "limit" => limit.to_owned()).increment(1);
}
