//! Two users at once cannot see or touch each other's files, state, commands, sessions,
//! tasks or events — by any method.

mod common;

use arranger_protocol::codes;
use common::TestServer;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_are_isolated_in_every_method() {
    let srv = TestServer::multi().await;
    let (ta, tb) = (srv.user("alice"), srv.user("bob"));
    let mut a = srv.client(&ta).await;
    let mut b = srv.client(&tb).await;

    let who = a.call_raw("server.info", json!({})).await.unwrap();
    assert_eq!(who["user"]["name"], "alice");
    assert_eq!(who["mode"], "multi_user");

    // Files: same relative path, different workspaces.
    a.call_raw(
        "fs.write",
        json!({"path": "secret.txt", "content": "alice's"}),
    )
    .await
    .unwrap();
    b.call_raw(
        "fs.write",
        json!({"path": "secret.txt", "content": "bob's"}),
    )
    .await
    .unwrap();
    let ra = a
        .call_raw("fs.read", json!({"path": "secret.txt"}))
        .await
        .unwrap();
    let rb = b
        .call_raw("fs.read", json!({"path": "secret.txt"}))
        .await
        .unwrap();
    assert_eq!(ra["content"], "alice's");
    assert_eq!(rb["content"], "bob's");
    a.call_raw(
        "fs.write",
        json!({"path": "only-alice.txt", "content": "x"}),
    )
    .await
    .unwrap();
    let e = b
        .call_raw("fs.stat", json!({"path": "only-alice.txt"}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::NOT_FOUND));
    let listing = b.call_raw("fs.list", json!({})).await.unwrap();
    let names: Vec<_> = listing["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].clone())
        .collect();
    assert_eq!(names, [json!("secret.txt")]);
    // Reaching the other workspace by a relative climb is refused.
    let alice_id = who["user"]["id"].as_str().unwrap().to_owned();
    for p in [
        format!("../../{alice_id}/workspace/only-alice.txt"),
        format!("../{alice_id}/workspace/only-alice.txt"),
    ] {
        let e = b.call_raw("fs.read", json!({"path": p})).await.unwrap_err();
        assert!(
            matches!(
                e.code(),
                Some(codes::INVALID_PARAMS) | Some(codes::PATH_OUTSIDE_WORKSPACE)
            ),
            "{p}: {e}"
        );
        assert!(
            !e.to_string()
                .contains(srv.data.path().to_string_lossy().as_ref()),
            "error leaks a host path: {e}"
        );
    }
    let abs = srv
        .data
        .path()
        .join("users")
        .join(&alice_id)
        .join("workspace/only-alice.txt");
    let e = b
        .call_raw("fs.read", json!({"path": abs.to_string_lossy()}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::INVALID_PARAMS), "{e}");

    // State.
    a.call_raw("state.set", json!({"key": "k", "value": "A"}))
        .await
        .unwrap();
    assert_eq!(
        b.call_raw("state.get", json!({"key": "k"})).await.unwrap()["value"],
        json!(null)
    );
    b.call_raw("state.set", json!({"key": "k", "value": "B"}))
        .await
        .unwrap();
    assert_eq!(
        a.call_raw("state.get", json!({"key": "k"})).await.unwrap()["value"],
        "A"
    );
    assert_eq!(
        b.call_raw("state.keys", json!({})).await.unwrap()["keys"],
        json!(["k"])
    );

    // Commands with the same id.
    for (c, t) in [
        (&mut a, "alice says {{input}}"),
        (&mut b, "bob says {{input}}"),
    ] {
        c.call_raw(
            "command.register",
            json!({"id": "greet", "title": "Greet", "action": {"kind": "prompt", "template": t}}),
        )
        .await
        .unwrap();
    }
    let out = a
        .call_raw(
            "command.execute",
            json!({"id": "greet", "args": {"input": "hi"}}),
        )
        .await
        .unwrap();
    assert_eq!(out["result"]["message"]["text"], "alice says hi");
    let out = b
        .call_raw(
            "command.execute",
            json!({"id": "greet", "args": {"input": "hi"}}),
        )
        .await
        .unwrap();
    assert_eq!(out["result"]["message"]["text"], "bob says hi");
    b.call_raw("command.unregister", json!({"id": "greet"}))
        .await
        .unwrap();
    let e = b
        .call_raw("command.execute", json!({"id": "greet"}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::NOT_FOUND));
    assert!(
        a.call_raw(
            "command.execute",
            json!({"id": "greet", "args": {"input": "x"}})
        )
        .await
        .is_ok()
    );

    // Sessions and tasks: the other user's ids answer "not found", never "forbidden".
    let s = a
        .call_raw("session.create", json!({"title": "Alice's"}))
        .await
        .unwrap();
    let sid = s["id"].clone();
    let posted = a
        .call_raw(
            "blackboard.post",
            json!({"session": sid, "text": "/task alice's task"}),
        )
        .await
        .unwrap();
    let tid = posted["task"]["id"].clone();
    for (m, p) in [
        ("task.get", json!({"id": tid})),
        ("task.cancel", json!({"id": tid})),
        ("session.rename", json!({"id": sid, "title": "mine now"})),
        ("session.archive", json!({"id": sid})),
        ("blackboard.post", json!({"session": sid, "text": "hello"})),
        ("blackboard.history", json!({"session": sid})),
        ("task.list", json!({"session": sid})),
    ] {
        let e = b.call_raw(m, p).await.unwrap_err();
        assert_eq!(e.code(), Some(codes::NOT_FOUND), "{m}: {e}");
    }
    assert_eq!(
        b.call_raw("task.list", json!({})).await.unwrap()["tasks"],
        json!([])
    );
    let bs = b
        .call_raw("session.list", json!({"include_archived": true}))
        .await
        .unwrap();
    assert_eq!(
        bs["sessions"].as_array().unwrap().len(),
        1,
        "bob sees only his default session"
    );
    assert_eq!(
        a.call_raw("task.get", json!({"id": tid})).await.unwrap()["task"]["title"],
        "alice's task"
    );

    // Events: bob's log holds only bob's changes.
    let events = b
        .call_raw("events.list", json!({"limit": 1000}))
        .await
        .unwrap();
    let text = events.to_string();
    assert!(
        !text.contains("alice"),
        "bob's events mention alice: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_events_and_file_changes_reach_only_the_owner() {
    let srv = TestServer::multi().await;
    let (ta, tb) = (srv.user("alice"), srv.user("bob"));
    let mut a_sub = srv.client(&ta).await;
    let mut b_sub = srv.client(&tb).await;
    let mut a = srv.client(&ta).await;
    let mut b = srv.client(&tb).await;
    let last_a = a_sub
        .call_raw("events.subscribe", json!({"since": 1}))
        .await
        .unwrap()["last_seq"]
        .as_u64()
        .unwrap();
    let last_b = b_sub
        .call_raw("events.subscribe", json!({"since": 1}))
        .await
        .unwrap()["last_seq"]
        .as_u64()
        .unwrap();

    a.call_raw("blackboard.post", json!({"text": "alice was here"}))
        .await
        .unwrap();
    b.call_raw("blackboard.post", json!({"text": "bob was here"}))
        .await
        .unwrap();
    a.call_raw("fs.write", json!({"path": "a.txt", "content": "1"}))
        .await
        .unwrap();

    // The replay (2..=last) comes first, gap-free; then the live events.
    let mut ea = a_sub.next_event().await.unwrap();
    for seq in 2..=last_a {
        assert_eq!(ea["seq"].as_u64().unwrap(), seq);
        ea = a_sub.next_event().await.unwrap();
    }
    assert_eq!(ea["seq"].as_u64().unwrap(), last_a + 1);
    assert_eq!(ea["message"]["text"], "alice was here");
    let mut eb = b_sub.next_event().await.unwrap();
    for seq in 2..=last_b {
        assert_eq!(eb["seq"].as_u64().unwrap(), seq);
        eb = b_sub.next_event().await.unwrap();
    }
    assert_eq!(eb["seq"].as_u64().unwrap(), last_b + 1);
    assert_eq!(eb["message"]["text"], "bob was here");

    // Alice's file change reaches alice's subscriber; bob's sees nothing of it.
    a_sub.set_timeout(Duration::from_secs(10));
    loop {
        let (method, params) = a_sub.next_notification().await.unwrap();
        if method == "fs.changed" {
            assert!(
                params["changes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["path"] == "a.txt"),
                "{params}"
            );
            break;
        }
    }
    b_sub.set_timeout(Duration::from_secs(2));
    loop {
        match b_sub.next_notification().await {
            Ok((m, p)) => assert!(
                !p.to_string().contains("a.txt") && !p.to_string().contains("alice"),
                "bob got {m} {p}"
            ),
            Err(arranger_client::ClientError::Timeout) => break,
            Err(e) => panic!("{e}"),
        }
    }
}
