//! Malformed, oversized and flooding input gets clear errors and never disturbs another
//! user or loses acknowledged data.

mod common;

use arranger_client::ClientError;
use arranger_protocol::codes;
use arranger_server::Limits;
use common::TestServer;
use serde_json::{Value, json};

async fn raw(c: &mut arranger_client::Client, text: &str) -> Value {
    c.send_raw(text).await.unwrap();
    c.read_response().await.unwrap()
}

fn code(v: &Value) -> i64 {
    v["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no error in {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_standard_errors_with_useful_messages() {
    let srv = TestServer::multi().await;
    let mut c = srv.client(&srv.user("alice")).await;

    let v = raw(&mut c, "{not json").await;
    assert_eq!(code(&v), codes::PARSE_ERROR);
    assert_eq!(v["id"], Value::Null);
    let v = raw(&mut c, r#"{"jsonrpc":"1.0","id":1,"method":"server.info"}"#).await;
    assert_eq!(code(&v), codes::INVALID_REQUEST);
    assert_eq!(v["id"], 1);
    let v = raw(&mut c, r#"{"jsonrpc":"2.0","id":2}"#).await;
    assert_eq!(code(&v), codes::INVALID_REQUEST);
    assert_eq!(v["id"], 2);
    let v = raw(&mut c, "[]").await;
    assert_eq!(code(&v), codes::INVALID_REQUEST);
    let v = raw(&mut c, "42").await;
    assert_eq!(code(&v), codes::INVALID_REQUEST);

    let e = c.call_raw("fs.reed", json!({})).await.unwrap_err();
    assert_eq!(e.code(), Some(codes::METHOD_NOT_FOUND));
    assert!(e.to_string().contains("server.info"), "{e}");
    let e = c.call_raw("fs.read", json!({})).await.unwrap_err();
    assert_eq!(e.code(), Some(codes::INVALID_PARAMS));
    assert!(e.to_string().contains("path"), "{e}");
    let e = c.call_raw("fs.read", json!(["a.txt"])).await.unwrap_err();
    assert!(e.to_string().contains("object"), "{e}");
    let e = c
        .call_raw("task.create", json!({"title": "t", "priority": 9}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::INVALID_PARAMS));
    assert!(e.to_string().contains("priority"), "{e}");
    let e = c
        .call_raw("blackboard.post", json!({"text": "hi", "sesion": "x"}))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("sesion"), "unknown field named: {e}");
    let e = c
        .call_raw(
            "fs.write",
            json!({"path": "a", "content": "!!", "encoding": "base64"}),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("base64"), "{e}");
    let e = c
        .call_raw("blackboard.post", json!({"text": "x".repeat(70_000)}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::INVALID_PARAMS));

    // Task state machine errors carry the states.
    let t = c
        .call_raw("task.create", json!({"title": "t"}))
        .await
        .unwrap();
    let e = c
        .call_raw("task.retry", json!({"id": t["id"]}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::INVALID_TRANSITION));
    c.call_raw(
        "task.cancel",
        json!({"id": t["id"], "reason": "not needed"}),
    )
    .await
    .unwrap();
    let again = c
        .call_raw("task.retry", json!({"id": t["id"]}))
        .await
        .unwrap();
    assert_eq!(again["status"], "pending");

    // A batch: answers in one array; notifications inside get no answer.
    let v = raw(
        &mut c,
        r#"[{"jsonrpc":"2.0","id":10,"method":"state.set","params":{"key":"b","value":1}},
            {"jsonrpc":"2.0","method":"state.set","params":{"key":"n","value":2}},
            {"jsonrpc":"2.0","id":11,"method":"nope"}]"#,
    )
    .await;
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 2);
    assert_eq!(arr[0]["id"], 10);
    assert_eq!(arr[1]["error"]["code"], codes::METHOD_NOT_FOUND);
    assert_eq!(
        c.call_raw("state.get", json!({"key": "n"})).await.unwrap()["value"],
        2
    );

    // The connection is still healthy after all that.
    assert!(c.call_raw("server.info", json!({})).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_frame_closes_only_that_connection() {
    let limits = Limits {
        max_message_bytes: 64 * 1024,
        ..Limits::default()
    };
    let srv = TestServer::multi_with(limits).await;
    let (ta, tb) = (srv.user("alice"), srv.user("bob"));
    let mut a = srv.client(&ta).await;
    let mut a2 = srv.client(&ta).await;
    let mut b = srv.client(&tb).await;
    a.call_raw("blackboard.post", json!({"text": "acknowledged"}))
        .await
        .unwrap();
    let huge = json!({"jsonrpc": "2.0", "id": 1, "method": "fs.write",
        "params": {"path": "big", "content": "x".repeat(200 * 1024)}});
    let _ = a.send_raw(&huge.to_string()).await;
    let r = a.read_response().await;
    assert!(
        matches!(
            r,
            Err(ClientError::Closed(_)) | Err(ClientError::Ws(_)) | Ok(_)
        ),
        "{r:?}"
    );
    assert!(
        a.call_raw("server.info", json!({})).await.is_err(),
        "the flooding connection is closed"
    );
    // Others, including alice's other connection, carry on; nothing acknowledged is lost.
    assert!(b.call_raw("server.info", json!({})).await.is_ok());
    let h = a2.call_raw("blackboard.history", json!({})).await.unwrap();
    assert_eq!(h["messages"][0]["text"], "acknowledged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_user_is_rate_limited_without_affecting_others() {
    let limits = Limits {
        requests_per_second: 20,
        request_burst: 20,
        ..Limits::default()
    };
    let srv = TestServer::multi_with(limits).await;
    let (ta, tb) = (srv.user("alice"), srv.user("bob"));
    let mut a = srv.client(&ta).await;
    let mut b = srv.client(&tb).await;
    let mut limited = 0;
    let mut retry_after = None;
    for _ in 0..60 {
        match a.call_raw("state.keys", json!({})).await {
            Ok(_) => {}
            Err(ClientError::Rpc(e)) if e.code == codes::RATE_LIMITED => {
                limited += 1;
                retry_after = e.data.as_ref().and_then(|d| d["retry_after_ms"].as_u64());
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(limited > 0, "no request was limited");
    assert!(retry_after.is_some());
    // Bob has his own budget.
    for _ in 0..10 {
        b.call_raw("state.keys", json!({})).await.unwrap();
    }
}
