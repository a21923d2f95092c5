//! The SessionManager: contexts are created once per user, shared by connections, dropped
//! when idle and recreated on demand; activation recovers tasks a crash left running.

mod common;

use arranger_domain::{Author, TaskStatus};
use arranger_server::Limits;
use arranger_store::{LocalBus, NewTask, SqliteDirectory, TokenKind, UserDirectory, UserStore};
use common::{TestServer, http};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

fn gauge(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(name) && !l.starts_with('#'))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{metrics}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contexts_are_shared_dropped_when_idle_and_recreated() {
    let limits = Limits {
        session_idle: Duration::ZERO,
        db_idle: Duration::ZERO,
        ..Limits::default()
    };
    let srv = TestServer::multi_with(limits).await;
    let token = srv.user("alice");
    let mut a = srv.client(&token).await;
    let mut b = srv.client(&token).await;
    a.call_raw("events.subscribe", json!({"since": 1}))
        .await
        .unwrap();
    b.call_raw("blackboard.post", json!({"text": "from b"}))
        .await
        .unwrap();
    // One context for both connections: a sees b's change live (after the replay).
    let mut e = a.next_event().await.unwrap();
    while e["type"] != "message_added" {
        e = a.next_event().await.unwrap();
    }
    assert_eq!(e["message"]["text"], "from b");
    // The gauges are set from this server's state at each scrape; the recorder is
    // process-wide, so another test's server in this binary can overwrite them between
    // the set and the render — read until a scrape is not interleaved.
    let mut seen = (0.0, 0.0);
    for _ in 0..50 {
        let (_, _, m) = http(&srv.addr, "GET", "/metrics", &[], "").await;
        seen = (
            gauge(&m, "arranger_session_contexts"),
            gauge(&m, "arranger_connections"),
        );
        if seen == (1.0, 2.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(seen, (1.0, 2.0), "one context shared by two connections");
    a.close().await;
    b.close().await;

    // The housekeeping pass (every 5 s) drops the idle context.
    let mut dropped = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (_, _, m) = http(&srv.addr, "GET", "/metrics", &[], "").await;
        if gauge(&m, "arranger_session_contexts") == 0.0 && gauge(&m, "arranger_connections") == 0.0
        {
            dropped = true;
            break;
        }
    }
    assert!(dropped, "the idle context was never dropped");

    // Recreated on demand, with the data from disk.
    let mut c = srv.client(&token).await;
    let h = c.call_raw("blackboard.history", json!({})).await.unwrap();
    assert_eq!(h["messages"][0]["text"], "from b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activation_moves_tasks_left_running_by_a_crash_to_reassigning() {
    let data = tempfile::tempdir().unwrap();
    let dir = SqliteDirectory::open(&data.path().join("arranger.db")).unwrap();
    let user = dir.add_user("alice", false, None).unwrap();
    let (_, token) = dir.create_token("alice", TokenKind::Api, "", None).unwrap();
    // The state a crash leaves behind: one task Active, one Finalizing, one NeedsConfirm.
    let store = UserStore::new(
        data.path()
            .join("users")
            .join(user.id.as_str())
            .join("state.db"),
        Arc::new(LocalBus::new(8)),
    );
    let mut ids = Vec::new();
    for (title, path) in [
        ("active", &[TaskStatus::Active][..]),
        (
            "finalizing",
            &[TaskStatus::Active, TaskStatus::Finalizing][..],
        ),
        (
            "confirm",
            &[TaskStatus::Active, TaskStatus::NeedsConfirm][..],
        ),
    ] {
        let t = store.create_task(NewTask::new(title)).await.unwrap();
        for s in path {
            store.transition_task(t.id.clone(), *s, None).await.unwrap();
        }
        ids.push(t.id);
    }
    store
        .post_message(None, Author::User, "before the crash".into())
        .await
        .unwrap();
    drop(store);

    let srv = TestServer::multi_in(data, Limits::default()).await;
    let mut c = srv.client(&token).await;
    let status = |v: &serde_json::Value| v["task"]["status"].as_str().unwrap().to_owned();
    let a = c.call_raw("task.get", json!({"id": ids[0]})).await.unwrap();
    assert_eq!(status(&a), "reassigning");
    assert!(
        a["task"]["status_reason"]
            .as_str()
            .unwrap()
            .contains("server stopped")
    );
    assert_eq!(
        a["history"].as_array().unwrap().last().unwrap()["from"],
        "active"
    );
    let f = c.call_raw("task.get", json!({"id": ids[1]})).await.unwrap();
    assert_eq!(status(&f), "reassigning");
    let n = c.call_raw("task.get", json!({"id": ids[2]})).await.unwrap();
    assert_eq!(
        status(&n),
        "needs_confirm",
        "a pending confirmation survives a restart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics_answer() {
    let srv = TestServer::multi().await;
    let (s, _, body) = http(&srv.addr, "GET", "/healthz", &[], "").await;
    assert_eq!(s, 200);
    assert!(body.contains("ok"));
    let mut c = srv.client(&srv.user("alice")).await;
    c.call_raw("server.info", json!({})).await.unwrap();
    let _ = c.call_raw("no.such", json!({})).await;
    let (s, _, m) = http(&srv.addr, "GET", "/metrics", &[], "").await;
    assert_eq!(s, 200);
    assert!(
        m.contains("arranger_rpc_requests_total{method=\"server.info\"}"),
        "{m}"
    );
    assert!(
        m.contains("arranger_rpc_requests_total{method=\"unknown\"}"),
        "{m}"
    );
    assert!(!m.contains("alice"), "metrics must not name users");
    let (s, _, body) = http(&srv.addr, "GET", "/api/nope", &[], "").await;
    assert_eq!(s, 404);
    assert!(body.contains("/api/v1/ws"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_connections_with_going_away_after_finishing_writes() {
    let srv = TestServer::multi().await;
    let token = srv.user("alice");
    let mut c = srv.client(&token).await;
    c.call_raw("blackboard.post", json!({"text": "before shutdown"}))
        .await
        .unwrap();
    let data = srv.stop().await;
    c.set_timeout(Duration::from_secs(10));
    match c.read_response().await {
        Err(arranger_client::ClientError::Closed(Some((code, _)))) => assert_eq!(code, 1001),
        other => panic!("expected a 1001 close, got {other:?}"),
    }
    // Restarted on the same data, the acknowledged message is there.
    let srv = TestServer::multi_in(data, Limits::default()).await;
    let mut c = srv.client(&token).await;
    let h = c.call_raw("blackboard.history", json!({})).await.unwrap();
    assert_eq!(h["messages"][0]["text"], "before shutdown");
}
