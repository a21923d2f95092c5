//! Authentication at the upgrade, login, Origin/Host checks, and revocation that closes
//! open connections at once.

mod common;

use arranger_client::{Client, ClientError, Credential};
use common::{TestServer, http};
use serde_json::json;
use std::time::Duration;

fn refused_with(e: ClientError, status: u16) {
    match e {
        ClientError::Ws(arranger_client::WsError::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), status)
        }
        other => panic!("expected HTTP {status}, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_needs_valid_credentials_in_any_of_three_forms() {
    let srv = TestServer::multi().await;
    let token = srv.user("alice");
    refused_with(
        Client::connect_with(&srv.addr, Credential::None, None)
            .await
            .err()
            .unwrap(),
        401,
    );
    refused_with(
        Client::connect(&srv.addr, "arr_0000").await.err().unwrap(),
        401,
    );
    refused_with(
        Client::connect(&srv.addr, "not even a token")
            .await
            .err()
            .unwrap(),
        401,
    );
    for cred in [
        Credential::Bearer(&token),
        Credential::Subprotocol(&token),
        Credential::Cookie(&token),
    ] {
        let mut c = Client::connect_with(&srv.addr, cred, None).await.unwrap();
        assert_eq!(
            c.call_raw("server.info", json!({})).await.unwrap()["user"]["name"],
            "alice"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_and_rebinding_requests_are_refused() {
    let srv = TestServer::multi().await;
    let token = srv.user("alice");
    let evil = Client::connect_with(
        &srv.addr,
        Credential::Subprotocol(&token),
        Some("http://evil.example"),
    )
    .await;
    refused_with(evil.err().unwrap(), 403);
    let same = format!("http://{}", srv.addr);
    assert!(
        Client::connect_with(&srv.addr, Credential::Subprotocol(&token), Some(&same))
            .await
            .is_ok()
    );
    // A rebinding attack arrives with the attacker's host name.
    let (status, _, body) = http(
        &srv.addr,
        "GET",
        "/healthz",
        &[("Host", "evil.example:7878")],
        "",
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, _, _) = http(&srv.addr, "GET", "/healthz", &[], "").await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_issues_a_token_and_an_http_only_cookie() {
    let srv = TestServer::multi().await;
    srv.user("alice");
    let (status, _, body) = http(
        &srv.addr,
        "POST",
        "/api/v1/login",
        &[("Content-Type", "application/json")],
        r#"{"username":"alice","password":"wrong password"}"#,
    )
    .await;
    assert_eq!(status, 401, "{body}");
    let (status, _, body) = http(
        &srv.addr,
        "POST",
        "/api/v1/login",
        &[("Content-Type", "application/json")],
        "{nope",
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("username"), "{body}");
    let (status, head, body) = http(
        &srv.addr,
        "POST",
        "/api/v1/login",
        &[("Content-Type", "application/json")],
        r#"{"username":"alice","password":"password-of-test"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let lower = head.to_ascii_lowercase();
    assert!(lower.contains("set-cookie: arranger_token=arr_"), "{head}");
    assert!(
        lower.contains("httponly") && lower.contains("samesite=strict"),
        "{head}"
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = v["token"].as_str().unwrap().to_owned();
    let mut c = Client::connect_with(&srv.addr, Credential::Cookie(&token), None)
        .await
        .unwrap();
    assert_eq!(
        c.call_raw("server.info", json!({})).await.unwrap()["user"]["name"],
        "alice"
    );

    // Logging out revokes the login token and closes its connection.
    let cookie = format!("arranger_token={token}");
    let (status, _, _) = http(
        &srv.addr,
        "POST",
        "/api/v1/logout",
        &[("Cookie", &cookie)],
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert!(matches!(closed_code(&mut c).await, Some(4001)));
    refused_with(Client::connect(&srv.addr, &token).await.err().unwrap(), 401);
}

/// Waits for the connection to be closed by the server; returns the close code.
async fn closed_code(c: &mut Client) -> Option<u16> {
    c.set_timeout(Duration::from_secs(10));
    loop {
        match c.call_raw("server.info", json!({})).await {
            Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(ClientError::Closed(Some((code, _)))) => return Some(code),
            Err(ClientError::Closed(None)) | Err(ClientError::Ws(_)) => return None,
            Err(ClientError::Timeout) => panic!("the connection stayed open"),
            Err(e) => panic!("unexpected {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_token_or_disabling_a_user_closes_open_connections() {
    let srv = TestServer::multi().await;
    let alice = srv.user("alice");
    let alice2 = srv.token("alice");
    let bob = srv.user("bob");
    let mut a1 = srv.client(&alice).await;
    let mut a2 = srv.client(&alice2).await;
    let mut b = srv.client(&bob).await;
    a1.call_raw("server.info", json!({})).await.unwrap();

    // Revoked from "another process" (its own directory connection), as the CLI does.
    srv.revoke(&alice);
    assert_eq!(closed_code(&mut a1).await, Some(4001));
    // The other token of alice and bob's connection are untouched.
    assert!(a2.call_raw("server.info", json!({})).await.is_ok());
    assert!(b.call_raw("server.info", json!({})).await.is_ok());
    refused_with(Client::connect(&srv.addr, &alice).await.err().unwrap(), 401);

    srv.disable("alice");
    assert_eq!(closed_code(&mut a2).await, Some(4001));
    refused_with(
        Client::connect(&srv.addr, &alice2).await.err().unwrap(),
        401,
    );
    assert!(b.call_raw("server.info", json!({})).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_user_mode_needs_the_token_and_serves_the_workspace() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("hello.txt"), "hi").unwrap();
    let token = "single-user-token-0123456789";
    let srv = TestServer::single(ws.path().canonicalize().unwrap(), token).await;
    refused_with(
        Client::connect(&srv.addr, "wrong-token-0123456789")
            .await
            .err()
            .unwrap(),
        401,
    );
    let mut c = srv.client(token).await;
    let info = c.call_raw("server.info", json!({})).await.unwrap();
    assert_eq!(info["mode"], "single_user");
    assert_eq!(
        c.call_raw("fs.read", json!({"path": "hello.txt"}))
            .await
            .unwrap()["content"],
        "hi"
    );
    let (status, _, body) = http(
        &srv.addr,
        "POST",
        "/api/v1/login",
        &[],
        r#"{"username":"a","password":"b"}"#,
    )
    .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_user_data_dir_inside_the_workspace_is_invisible_to_the_api() {
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path().canonicalize().unwrap();
    std::fs::write(root.join("main.rs"), "fn main() {}").unwrap();
    let token = "single-user-token-abcdefghij";
    let config = arranger_server::ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: root.join(".arranger"),
        mode: arranger_server::Mode::SingleUser {
            workspace: root.clone(),
            token: token.into(),
        },
        allowed_origins: vec![],
        allowed_hosts: vec![],
        limits: arranger_server::Limits::default(),
        llm: None,
        team: arranger_team::TeamConfig::default(),
        pool: arranger_server::default_pool(),
        mcp: arranger_server::McpConfig::default(),
        allow_unsandboxed: false,
        allow_private_networks: false,
        web_dir: None,
    };
    let (addr, _stop, _handle) = common::start(config).await;
    let mut c = Client::connect(&addr, token).await.unwrap();
    c.call_raw("state.set", json!({"key": "k", "value": 1}))
        .await
        .unwrap();
    assert!(root.join(".arranger/users/local/state.db").exists());
    let list = c.call_raw("fs.list", json!({})).await.unwrap();
    let names: Vec<_> = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].clone())
        .collect();
    assert_eq!(names, [json!("main.rs")]);
    for (m, p) in [
        (
            "fs.read",
            json!({"path": ".arranger/users/local/state.db", "encoding": "base64"}),
        ),
        ("fs.stat", json!({"path": ".arranger"})),
        ("fs.delete", json!({"path": ".arranger", "recursive": true})),
        (
            "fs.write",
            json!({"path": ".arranger/token", "content": "mine"}),
        ),
    ] {
        let e = c.call_raw(m, p).await.unwrap_err();
        assert_eq!(
            e.code(),
            Some(arranger_protocol::codes::NOT_FOUND),
            "{m}: {e}"
        );
    }
    assert!(root.join(".arranger/users/local/state.db").exists());
}
