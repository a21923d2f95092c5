//! Operations on a data directory against the real server: a backup taken under write
//! load restores with nothing acknowledged lost; restores and second servers are refused
//! on a directory a server owns; a user moves between servers with export and import.

mod common;

use arranger_client::Client;
use arranger_ops::OpsError;
use arranger_server::{Limits, Server, ServerError};
use common::TestServer;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn generous() -> Limits {
    Limits {
        requests_per_second: 100_000,
        request_burst: 100_000,
        ..Limits::default()
    }
}

/// Every Blackboard message text of the user's default session, oldest first.
async fn all_messages(c: &mut Client) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let mut p = json!({"limit": 500});
        if let Some(b) = &before {
            p["before"] = json!(b);
        }
        let h = c.call_raw("blackboard.history", p).await.unwrap();
        let msgs = h["messages"].as_array().unwrap();
        let texts: Vec<String> = msgs
            .iter()
            .map(|m| m["text"].as_str().unwrap().to_owned())
            .collect();
        out.splice(0..0, texts);
        if h["has_more"] != true || msgs.is_empty() {
            return out;
        }
        before = Some(msgs[0]["id"].as_str().unwrap().to_owned());
    }
}

/// Every event's sequence number, in order.
async fn all_seqs(c: &mut Client) -> Vec<u64> {
    let mut out = Vec::new();
    loop {
        let since = out.last().copied().unwrap_or(0);
        let r = c
            .call_raw("events.list", json!({"since": since, "limit": 1000}))
            .await
            .unwrap();
        let evs = r["events"].as_array().unwrap();
        if evs.is_empty() {
            return out;
        }
        out.extend(evs.iter().map(|e| e["seq"].as_u64().unwrap()));
    }
}

/// Every SQLite database of a data directory passes the integrity check.
fn check_integrity(data: &Path) -> usize {
    let mut dbs = vec![data.join("arranger.db")];
    for e in std::fs::read_dir(data.join("users")).unwrap() {
        let db = e.unwrap().path().join("state.db");
        if db.exists() {
            dbs.push(db);
        }
    }
    for db in &dbs {
        arranger_ops::integrity_check(db).unwrap_or_else(|e| panic!("{e}"));
    }
    dbs.len()
}

#[derive(Clone, Debug)]
enum Ack {
    Message(String),
    File(String, String),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backup_taken_under_write_load_restores_with_nothing_lost() {
    let srv = TestServer::multi_with(generous()).await;
    let users = ["ann", "ben", "cat"];
    let tokens: Vec<String> = users.iter().map(|u| srv.user(u)).collect();
    let acks: Vec<Arc<Mutex<Vec<Ack>>>> = users.iter().map(|_| Arc::default()).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for (i, user) in users.iter().enumerate() {
        let mut c = srv.client(&tokens[i]).await;
        let acks = acks[i].clone();
        let stop = stop.clone();
        let user = user.to_string();
        writers.push(tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let text = format!("{user} message {n}");
                c.call_raw("blackboard.post", json!({"text": text}))
                    .await
                    .unwrap();
                acks.lock().unwrap().push(Ack::Message(text));
                let path = format!("load/{}/{n}.txt", n % 7);
                let content = format!("{user} file {n}\n").repeat(n as usize % 50 + 1);
                c.call_raw(
                    "fs.write",
                    json!({"path": path, "content": content, "create_parents": true}),
                )
                .await
                .unwrap();
                acks.lock().unwrap().push(Ack::File(path, content));
            }
            n
        }));
    }
    // Let the load build up, note what was acknowledged, then back up while it goes on.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let before: Vec<Vec<Ack>> = acks.iter().map(|a| a.lock().unwrap().clone()).collect();
    let out = tempfile::tempdir().unwrap();
    let bk = out.path().join("backup");
    let (data, bk2) = (srv.data.path().to_owned(), bk.clone());
    let manifest = tokio::task::spawn_blocking(move || arranger_ops::backup(&data, &bk2))
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    let mut written = 0;
    for w in writers {
        written += w.await.unwrap();
    }
    let after: usize = acks.iter().map(|a| a.lock().unwrap().len()).sum();
    let noted: usize = before.iter().map(Vec::len).sum();
    assert!(
        noted >= 3 * 4,
        "the load was too light to test anything: {noted}"
    );
    assert!(after > noted, "nothing was written during the backup");
    assert_eq!(manifest.users.len(), 3);
    assert!(written > 0);
    eprintln!(
        "acknowledged before the backup: {noted}, by the end: {after}; backup: {} files, {} bytes",
        manifest.total_files, manifest.total_bytes
    );

    // Restored into a fresh directory, served again.
    let restored = tempfile::tempdir().unwrap();
    let (bk3, target) = (bk.clone(), restored.path().to_owned());
    tokio::task::spawn_blocking(move || arranger_ops::restore(&bk3, &target, false))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check_integrity(restored.path()), 4);
    let srv2 = TestServer::multi_in(restored, generous()).await;
    for (i, user) in users.iter().enumerate() {
        let mut c = srv2.client(&tokens[i]).await;
        let messages: HashSet<String> = all_messages(&mut c).await.into_iter().collect();
        for ack in &before[i] {
            match ack {
                Ack::Message(text) => {
                    assert!(messages.contains(text), "{user}: {text:?} was lost")
                }
                Ack::File(path, content) => {
                    let r = c
                        .call_raw("fs.read", json!({"path": path}))
                        .await
                        .unwrap_or_else(|e| panic!("{user}: {path} was lost: {e}"));
                    // Every path is written once, so its content is exactly what was sent.
                    assert_eq!(
                        r["content"].as_str(),
                        Some(content.as_str()),
                        "{user}: {path}"
                    );
                }
            }
        }
        let seqs = all_seqs(&mut c).await;
        assert!(!seqs.is_empty());
        let expected: Vec<u64> = (1..=seqs.len() as u64).collect();
        assert_eq!(seqs, expected, "{user}: event sequence numbers have gaps");
        // The restored store goes on from where the snapshot ended.
        c.call_raw("blackboard.post", json!({"text": "after restore"}))
            .await
            .unwrap();
        let more = all_seqs(&mut c).await;
        assert_eq!(more[..seqs.len()], seqs[..]);
        assert!(more.len() > seqs.len());
    }
    srv2.stop().await;
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_directory_in_use_refuses_a_second_server_and_a_restore() {
    let srv = TestServer::multi().await;
    let token = srv.user("alice");
    let mut c = srv.client(&token).await;
    c.call_raw("blackboard.post", json!({"text": "kept"}))
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let bk = out.path().join("b");
    arranger_ops::backup(srv.data.path(), &bk).unwrap();

    // A second server on the same data directory is refused at start, clearly.
    let second = Server::bind(common::multi_config(
        srv.data.path().to_owned(),
        Limits::default(),
    ))
    .await;
    match second {
        Err(e @ ServerError::Locked(_)) => {
            assert!(e.to_string().contains("in use"), "{e}")
        }
        Err(e) => panic!("refused for the wrong reason: {e}"),
        Ok(_) => panic!("a second server started on a data directory in use"),
    }
    // So is a restore into it, even with --force.
    let e = arranger_ops::restore(&bk, srv.data.path(), true).unwrap_err();
    assert!(matches!(e, OpsError::Lock(_)), "{e}");
    assert!(e.to_string().contains("stop it first"), "{e}");

    c.call_raw("blackboard.post", json!({"text": "after the backup"}))
        .await
        .unwrap();
    c.close().await;
    let data = srv.stop().await;
    // Stopped: not empty, so only with force; then the backup's state is back.
    let e = arranger_ops::restore(&bk, data.path(), false).unwrap_err();
    assert!(
        matches!(e, OpsError::TargetNotEmpty(_)) && e.to_string().contains("--force"),
        "{e}"
    );
    arranger_ops::restore(&bk, data.path(), true).unwrap();
    let srv = TestServer::multi_in(data, Limits::default()).await;
    let mut c = srv.client(&token).await;
    let texts = all_messages(&mut c).await;
    assert!(texts.iter().any(|t| t == "kept"), "{texts:?}");
    assert!(!texts.iter().any(|t| t == "after the backup"), "{texts:?}");
    // And the restored server holds the lock in turn.
    assert!(matches!(
        Server::bind(common::multi_config(
            srv.data.path().to_owned(),
            Limits::default()
        ))
        .await,
        Err(ServerError::Locked(_))
    ));
}

async fn find(c: &mut Client, method: &str, params: Value) -> Value {
    c.call_raw(method, params).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_moves_to_another_running_server_with_export_and_import() {
    let a = TestServer::multi().await;
    let token = a.user("alice");
    let mut c = a.client(&token).await;
    c.call_raw(
        "blackboard.post",
        json!({"text": "hello from the old server"}),
    )
    .await
    .unwrap();
    c.call_raw("task.create", json!({"title": "Carry me over"}))
        .await
        .unwrap();
    c.call_raw(
        "fs.write",
        json!({"path": "src/lib.rs", "content": "pub fn f() {}\n", "create_parents": true}),
    )
    .await
    .unwrap();
    c.call_raw(
        "secret.set",
        json!({"name": "GH_TOKEN", "value": "ghp-secret-value"}),
    )
    .await
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("alice.tar.gz");
    let r = arranger_ops::export_user(a.data.path(), "alice", &file).unwrap();
    assert_eq!(r.manifest.mcp_secrets_left_out, ["GH_TOKEN"]);

    let b = TestServer::multi().await;
    let imported = arranger_ops::import_user(b.data.path(), &file, "alice2", false).unwrap();
    assert_eq!(imported.manifest.user_name, "alice");
    assert_eq!(
        imported.schema_version,
        Some(arranger_store::user_schema_version())
    );
    // The name is taken on b now; and on a, alice exists already.
    assert!(matches!(
        arranger_ops::import_user(b.data.path(), &file, "alice2", false),
        Err(OpsError::UserExists(_))
    ));
    assert!(matches!(
        arranger_ops::import_user(a.data.path(), &file, "alice", false),
        Err(OpsError::UserExists(_))
    ));

    let mut c2 = b.client(&b.token("alice2")).await;
    let texts = all_messages(&mut c2).await;
    assert!(
        texts.iter().any(|t| t == "hello from the old server"),
        "{texts:?}"
    );
    let tasks = find(&mut c2, "task.list", json!({})).await;
    assert!(
        tasks["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["title"] == "Carry me over"),
        "{tasks}"
    );
    let f = find(&mut c2, "fs.read", json!({"path": "src/lib.rs"})).await;
    assert_eq!(f["content"], "pub fn f() {}\n");
    let s = find(&mut c2, "secret.list", json!({})).await;
    assert_eq!(s["secrets"], json!([]), "a sealed secret crossed servers");
    // Old tokens do not: the archive has none.
    assert!(Client::connect(&b.addr, &token).await.is_err());
}
