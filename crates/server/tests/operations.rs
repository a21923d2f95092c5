//! What an operator sees: the OpenAPI document of the HTTP endpoints and the Prometheus
//! metrics, from a real server on an ephemeral port (and the fake LLM for a task run).

mod common;

use arranger_fake_llm::{FakeLlm, Match, Reply, Rule, Scenario};
use common::{TestServer, http};
use serde_json::{Value, json};
use std::time::Duration;

/// The value of the first sample of `name` whose labels include every `labels` pair.
fn sample(metrics: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (n, rest) = match series.split_once('{') {
            Some((n, rest)) => (n, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        if n != name {
            return None;
        }
        let have: Vec<&str> = rest.split(',').collect();
        labels
            .iter()
            .all(|(k, v)| have.contains(&format!("{k}=\"{v}\"").as_str()))
            .then(|| value.parse().ok())?
    })
}

fn must(metrics: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    sample(metrics, name, labels).unwrap_or_else(|| panic!("no {name}{labels:?} in\n{metrics}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_served_matches_docs_and_covers_every_route() {
    let srv = TestServer::multi().await;
    // No credentials needed: it describes, it exposes nothing.
    let (status, head, body) = http(&srv.addr, "GET", "/api/v1/openapi.json", &[], "").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    let served: Value = serde_json::from_str(&body).expect("the document is JSON");
    let committed: Value = serde_json::from_str(include_str!("../../../docs/openapi.json"))
        .expect("docs/openapi.json is JSON");
    assert!(
        served == committed,
        "docs/openapi.json differs from what the server serves: run `make schema`"
    );
    assert!(
        served["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.")),
        "not OpenAPI 3.x: {}",
        served["openapi"]
    );
    let description = served["info"]["description"].as_str().unwrap_or_default();
    assert!(
        description.contains("docs/protocol.md") && description.contains("protocol.schema.json"),
        "the document points at the JSON-RPC description: {description}"
    );
    for scheme in ["bearer", "cookie", "subprotocol"] {
        assert!(
            served["components"]["securitySchemes"][scheme].is_object(),
            "scheme {scheme} missing"
        );
    }

    // Every route the router serves is in the document…
    let paths = served["paths"].as_object().expect("paths");
    for route in [
        "/healthz",
        "/metrics",
        "/api/v1/openapi.json",
        "/api/v1/login",
        "/api/v1/logout",
        "/api/v1/whoami",
        "/api/v1/ws",
    ] {
        assert!(paths.contains_key(route), "{route} is not documented");
    }
    // …and every documented operation is served, answering one of its documented statuses
    // (an unknown path would get the fallback's 404).
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let body = if path == "/api/v1/login" { "{}" } else { "" };
            let (status, _, answer) =
                http(&srv.addr, &method.to_uppercase(), path, &[], body).await;
            assert_ne!(status, 404, "{method} {path} is documented but not served");
            assert!(
                op["responses"].get(status.to_string()).is_some(),
                "{method} {path} answered {status}, which its description lacks: {answer}"
            );
            // Error answers carry the documented error body.
            if status >= 400 {
                let v: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
                assert!(v["error"].is_string(), "{method} {path}: {answer}");
            }
        }
    }
    // The Host check's 403 is documented on every operation.
    let (status, _, _) = http(
        &srv.addr,
        "GET",
        "/healthz",
        &[("Host", "evil.example")],
        "",
    )
    .await;
    assert_eq!(status, 403);
    assert!(paths["/healthz"]["get"]["responses"]["403"].is_object());
}

/// Polls `task.list` until `n` tasks are Done.
async fn done_tasks(c: &mut arranger_client::Client, n: usize) -> Vec<Value> {
    for _ in 0..300 {
        let tasks = c.call_raw("task.list", json!({})).await.unwrap()["tasks"]
            .as_array()
            .unwrap()
            .clone();
        if tasks.len() >= n && tasks.iter().all(|t| t["status"] == "done") {
            return tasks;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("tasks did not finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_show_tasks_by_state_llm_latency_errors_retries_and_load() {
    let scenario = Scenario::new()
        // The first call is refused once: a retry, and an error of kind rate_limited.
        .rule(Rule::any().named("one 429").status(429).times(1))
        .rule(
            Rule::when(Match::any().has_tool("complete_task"))
                .reply(Reply::tool("complete_task", json!({"summary": "done"})))
                .first_byte_delay_ms(20),
        )
        .default_reply(Reply::text("ok"));
    let fake = FakeLlm::start(scenario).await.unwrap();
    let srv = TestServer::multi_with_llm(&fake.base_url()).await;
    let token = srv.user("metrics-alice");
    let mut c = srv.client(&token).await;
    let mut ids = Vec::new();
    for title in ["first", "second"] {
        let t = c
            .call_raw("task.create", json!({"title": title}))
            .await
            .unwrap();
        ids.push(t["id"].as_str().expect("a task id").to_owned());
    }
    done_tasks(&mut c, 2).await;

    let (status, head, m) = http(&srv.addr, "GET", "/metrics", &[], "").await;
    assert_eq!(status, 200);
    assert!(head.contains("text/plain"), "{head}");

    // Tasks by state: this process's only user with tasks has two, both done.
    assert_eq!(must(&m, "arranger_tasks", &[("status", "done")]), 2.0);
    assert_eq!(must(&m, "arranger_tasks", &[("status", "active")]), 0.0);
    assert!(must(&m, "arranger_task_transitions_total", &[("to", "done")]) >= 2.0);
    assert!(must(&m, "arranger_task_transitions_total", &[("to", "active")]) >= 2.0);

    // LLM calls by the server's provider, with latency histograms.
    let p = ("provider", "default");
    assert!(must(&m, "arranger_llm_calls_total", &[p, ("outcome", "ok")]) >= 2.0);
    let calls = must(
        &m,
        "arranger_llm_call_seconds_count",
        &[p, ("outcome", "ok")],
    );
    assert!(calls >= 2.0);
    let call_seconds = must(&m, "arranger_llm_call_seconds_sum", &[p, ("outcome", "ok")]);
    assert!(
        call_seconds > 0.0 && call_seconds < 60.0 * calls,
        "{call_seconds}"
    );
    assert!(
        sample(
            &m,
            "arranger_llm_call_seconds_bucket",
            &[p, ("outcome", "ok"), ("le", "+Inf")]
        )
        .is_some(),
        "a histogram, not a summary:\n{m}"
    );
    let ttfb_n = must(&m, "arranger_llm_time_to_first_byte_seconds_count", &[p]);
    let ttfb_sum = must(&m, "arranger_llm_time_to_first_byte_seconds_sum", &[p]);
    assert!(ttfb_n >= 2.0);
    assert!(
        ttfb_sum >= 0.02 * 2.0,
        "the fake waits 20 ms before each first byte: {ttfb_sum}"
    );
    assert!(must(&m, "arranger_llm_queue_wait_seconds_count", &[p]) >= 2.0);
    assert!(must(&m, "arranger_llm_tokens_total", &[p, ("kind", "output")]) > 0.0);

    // The refused attempt: an error by kind, and a retry.
    assert_eq!(
        must(
            &m,
            "arranger_llm_errors_total",
            &[p, ("kind", "rate_limited")]
        ),
        1.0
    );
    assert_eq!(must(&m, "arranger_llm_retries_total", &[p]), 1.0);

    // Load and health, read at the scrape: nothing in flight now, breaker closed.
    assert_eq!(must(&m, "arranger_llm_in_flight", &[p]), 0.0);
    assert_eq!(must(&m, "arranger_llm_queued", &[p]), 0.0);
    assert_eq!(
        must(&m, "arranger_llm_breaker", &[p, ("state", "closed")]),
        1.0
    );
    assert_eq!(
        must(&m, "arranger_llm_breaker", &[p, ("state", "open")]),
        0.0
    );

    // Sessions, connections, indexes, the runtime.
    assert!(must(&m, "arranger_connections", &[]) >= 1.0);
    assert!(must(&m, "arranger_session_contexts", &[]) >= 1.0);
    let indexes: f64 = ["idle", "building", "ready", "failed"]
        .iter()
        .map(|s| must(&m, "arranger_indexes", &[("state", s)]))
        .sum();
    assert!(indexes >= 1.0, "the user's index is counted");
    assert!(must(&m, "arranger_runtime_workers", &[]) >= 1.0);
    assert!(must(&m, "arranger_runtime_alive_tasks", &[]) >= 1.0);
    sample(&m, "arranger_runtime_global_queue_depth", &[]).expect("queue depth");

    // Bounded labels: no user and no task is named.
    assert!(!m.contains("metrics-alice"), "metrics must not name users");
    for id in &ids {
        assert!(!m.contains(id.as_str()), "metrics must not name tasks");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_rejections_are_counted_by_limit() {
    let srv = TestServer::multi().await;
    arranger_server::metrics::quota_rejected("concurrent_tasks_test");
    arranger_server::metrics::quota_rejected("concurrent_tasks_test");
    let (status, _, m) = http(&srv.addr, "GET", "/metrics", &[], "").await;
    assert_eq!(status, 200);
    assert_eq!(
        must(
            &m,
            "arranger_quota_rejections_total",
            &[("limit", "concurrent_tasks_test")]
        ),
        2.0
    );
}
