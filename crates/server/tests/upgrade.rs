//! A server upgraded over an old data directory keeps every user's data. The fixture
//! (`fixtures/data-a978dd2.tar.gz`) was made by the `arranger` binary of commit a978dd2
//! (user schema v2, directory schema v1): two users, messages in two sessions, tasks (one
//! from `/task`), key-value state and workspace files including a symbolic link — see
//! `fixtures/README.md`.

mod common;

use arranger_client::Client;
use arranger_server::Limits;
use common::TestServer;
use serde_json::{Value, json};
use std::path::Path;

const ALICE: (&str, &str) = (
    "01a24c620fcc708a96150c7822a5708d",
    "arr_bcd5205ae695d6a276564f41a29f5ad9593c91b7a549a71731b8cd597385011d",
);
const BOB: (&str, &str) = (
    "01a24c621119750386cbb34f05e3a7fe",
    "arr_1fce65aa0f0bdd62ed665ad4b4b71587390e26758f7a79b1d9b06c33136842dd",
);
const BOB_SESSION: &str = "01a24c62198d70dcbb8fe3b1ae7eb1bd";

fn unpack_fixture(into: &Path) {
    let f = std::fs::File::open(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data-a978dd2.tar.gz"),
    )
    .unwrap();
    tar::Archive::new(flate2::read::GzDecoder::new(f))
        .unpack(into)
        .unwrap();
}

fn user_version(db: &Path) -> u32 {
    let c = rusqlite::Connection::open(db).unwrap();
    c.pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

async fn texts(c: &mut Client, session: Option<&str>) -> Vec<String> {
    let mut p = json!({"limit": 500});
    if let Some(s) = session {
        p["session"] = json!(s);
    }
    let h = c.call_raw("blackboard.history", p).await.unwrap();
    h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect()
}

async fn task_titles(c: &mut Client) -> Vec<String> {
    let t: Value = c.call_raw("task.list", json!({})).await.unwrap();
    t["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn read(c: &mut Client, path: &str) -> Value {
    c.call_raw("fs.read", json!({"path": path})).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_upgraded_over_an_old_data_directory_keeps_every_users_data() {
    let data = tempfile::tempdir().unwrap();
    unpack_fixture(data.path());
    let state = |id: &str| data.path().join("users").join(id).join("state.db");
    assert_eq!(
        user_version(&state(ALICE.0)),
        2,
        "the fixture is not the old schema"
    );
    assert_eq!(user_version(&data.path().join("arranger.db")), 1);
    let (alice_db, bob_db) = (state(ALICE.0), state(BOB.0));

    let srv = TestServer::multi_in(data, Limits::default()).await;
    // The old server's tokens still sign in.
    let mut a = srv.client(ALICE.1).await;
    let mut b = srv.client(BOB.1).await;
    let info = a.call_raw("server.info", json!({})).await.unwrap();
    assert_eq!(info["user"]["name"], "alice");
    assert_eq!(info["user"]["is_admin"], true);

    // The six old messages in their order (a notice of this build may follow them).
    let at = texts(&mut a, None).await;
    assert!(at.len() >= 6, "{at:?}");
    assert_eq!(
        [&at[0], &at[2], &at[4]],
        [
            "hello from alice 1",
            "hello from alice 2",
            "Task created: **Alice's task**"
        ],
        "{at:?}"
    );
    assert_eq!(task_titles(&mut a).await, ["Alice's task"]);
    assert_eq!(read(&mut a, "README.md").await["content"], "alice readme\n");
    assert_eq!(
        read(&mut a, "src/main.rs").await["content"],
        "fn main() {}\n"
    );
    assert_eq!(read(&mut a, "link.md").await["content"], "alice readme\n");
    let theme = a
        .call_raw("state.get", json!({"key": "theme"}))
        .await
        .unwrap();
    assert_eq!(theme["value"], "dark", "{theme}");

    let bt = texts(&mut b, None).await;
    for t in ["bob was here", "/task Bob's blackboard task"] {
        assert!(bt.iter().any(|x| x == t), "bob lost {t:?}: {bt:?}");
    }
    let side = texts(&mut b, Some(BOB_SESSION)).await;
    assert!(side.iter().any(|x| x == "in the side session"), "{side:?}");
    let sessions = b.call_raw("session.list", json!({})).await.unwrap();
    assert!(
        sessions["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["title"] == "Side project"),
        "{sessions}"
    );
    assert_eq!(task_titles(&mut b).await, ["Bob's blackboard task"]);
    assert_eq!(
        read(&mut b, "notes/todo.txt").await["content"],
        "buy milk\n"
    );
    let bin = b
        .call_raw("fs.read", json!({"path": "bin.dat", "encoding": "base64"}))
        .await
        .unwrap();
    assert_eq!(bin["content"], "AAEC/w==");
    // Users stay apart after the upgrade.
    assert!(
        b.call_raw("fs.read", json!({"path": "README.md"}))
            .await
            .is_err()
    );

    // The old event log goes on without a gap: the old events, then the new one.
    let old = a
        .call_raw("events.list", json!({"since": 0, "limit": 1000}))
        .await
        .unwrap();
    let n = old["events"].as_array().unwrap().len() as u64;
    assert!(n >= 13, "{old}");
    a.call_raw("blackboard.post", json!({"text": "after the upgrade"}))
        .await
        .unwrap();
    let all = a
        .call_raw("events.list", json!({"since": 0, "limit": 1000}))
        .await
        .unwrap();
    let seqs: Vec<u64> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    assert!(seqs.len() as u64 > n);

    // Both users' databases (opened at sign-in) now have this build's schema.
    assert_eq!(
        user_version(&alice_db),
        arranger_store::user_schema_version()
    );
    assert_eq!(user_version(&bob_db), arranger_store::user_schema_version());
    assert_eq!(
        user_version(&srv.data.path().join("arranger.db")),
        arranger_store::directory_schema_version()
    );
    for db in [&alice_db, &bob_db] {
        arranger_ops::integrity_check(db).unwrap();
    }
}
