//! The admin methods against a real server: only admins may use them, members and
//! single-user mode get `forbidden` and learn nothing, and what an admin does (users,
//! passwords, disabling, tokens) takes effect at once — open connections included.

mod common;

use arranger_client::{Client, ClientError, Credential};
use arranger_protocol::codes;
use arranger_store::UserDirectory;
use common::{TestServer, http};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const PASSWORD: &str = "a good long password";

/// Adds an admin (the way the CLI does) and returns an API token for them.
fn admin(srv: &TestServer, name: &str) -> String {
    srv.dir
        .as_ref()
        .expect("multi-user server")
        .add_user(name, true, Some(PASSWORD))
        .unwrap();
    srv.token(name)
}

/// The JSON-RPC error of a call that must fail.
async fn fails(c: &mut Client, method: &str, params: Value) -> (i64, String) {
    match c.call_raw(method, params.clone()).await {
        Err(ClientError::Rpc(e)) => (e.code, e.message),
        other => panic!("{method} {params} should fail, got {other:?}"),
    }
}

/// POST /api/v1/login; returns the status and the body.
async fn login(srv: &TestServer, name: &str, password: &str) -> (u16, Value) {
    let body = json!({ "username": name, "password": password }).to_string();
    let (status, _, body) = http(
        &srv.addr,
        "POST",
        "/api/v1/login",
        &[("Content-Type", "application/json")],
        &body,
    )
    .await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// Waits at most `within` for the server to close the connection; returns the close code.
/// Closing must be immediate: the server's periodic sweep would take up to 30 s.
async fn closed_within(c: &mut Client, within: Duration) -> Option<u16> {
    c.set_timeout(within);
    let started = Instant::now();
    loop {
        match c.call_raw("server.info", json!({})).await {
            Ok(_) if started.elapsed() < within => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Ok(_) | Err(ClientError::Timeout) => {
                panic!("the connection stayed open for {within:?}")
            }
            Err(ClientError::Closed(Some((code, _)))) => return Some(code),
            Err(ClientError::Closed(None)) | Err(ClientError::Ws(_)) => return None,
            Err(e) => panic!("unexpected {e}"),
        }
    }
}

fn refused_401(e: ClientError) {
    match e {
        ClientError::Ws(arranger_client::WsError::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 401)
        }
        other => panic!("expected HTTP 401, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_get_forbidden_from_every_admin_method_and_learn_nothing() {
    let srv = TestServer::multi().await;
    let root = admin(&srv, "root");
    let alice = srv.user("alice");
    srv.user("bob");
    let bob_token = srv.token("bob");
    let bob_token_id = srv.dir.as_ref().unwrap().list_tokens("bob").unwrap()[0]
        .id
        .clone();
    let mut a = srv.client(&alice).await;

    let calls = [
        ("admin.user.list", json!({})),
        (
            "admin.user.create",
            json!({"name": "mallory", "password": PASSWORD, "is_admin": true}),
        ),
        (
            "admin.user.update",
            json!({"name": "bob", "disabled": true}),
        ),
        (
            "admin.user.update",
            json!({"name": "alice", "is_admin": true}),
        ),
        (
            "admin.user.update",
            json!({"name": "root", "password": "taken over!"}),
        ),
        ("admin.token.list", json!({"user": "bob"})),
        (
            "admin.token.create",
            json!({"user": "bob", "label": "mine"}),
        ),
        ("admin.token.revoke", json!({"id": bob_token_id})),
        // Bad parameters and unknown users are refused the same way: nothing to learn.
        ("admin.user.create", json!({"nme": ""})),
        ("admin.token.list", json!({"user": "nobody"})),
    ];
    for (method, params) in calls {
        let (code, message) = fails(&mut a, method, params.clone()).await;
        assert_eq!(code, codes::FORBIDDEN, "{method} {params}: {message}");
        assert!(message.contains("admins only"), "{message}");
        for name in ["root", "bob", "mallory", "nobody"] {
            assert!(!message.contains(name), "{method} names {name}: {message}");
        }
    }

    // Nothing changed.
    let dir = srv.dir.as_ref().unwrap();
    let users = dir.list_users().unwrap();
    assert_eq!(
        users.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(),
        ["alice", "bob", "root"]
    );
    assert!(users.iter().all(|u| !u.disabled));
    assert!(!users[0].is_admin);
    assert!(dir.verify_password("root", PASSWORD).unwrap().is_some());
    let tokens = dir.list_tokens("bob").unwrap();
    assert_eq!(tokens.len(), 2);
    assert!(tokens.iter().all(|t| t.revoked_at.is_none()));
    let mut b = srv.client(&bob_token).await;
    assert!(b.call_raw("server.info", json!({})).await.is_ok());

    // Admin rights are read at every call: promoted, alice may; demoted, she may not —
    // on the same connection.
    let mut r = srv.client(&root).await;
    r.call_raw(
        "admin.user.update",
        json!({"name": "alice", "is_admin": true}),
    )
    .await
    .unwrap();
    let list = a.call_raw("admin.user.list", json!({})).await.unwrap();
    assert_eq!(list["users"].as_array().unwrap().len(), 3);
    r.call_raw(
        "admin.user.update",
        json!({"name": "alice", "is_admin": false}),
    )
    .await
    .unwrap();
    let (code, _) = fails(&mut a, "admin.user.list", json!({})).await;
    assert_eq!(code, codes::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_user_mode_refuses_admin_methods_saying_why() {
    let ws = tempfile::tempdir().unwrap();
    let token = "single-user-token-0123456789";
    let srv = TestServer::single(ws.path().canonicalize().unwrap(), token).await;
    let mut c = srv.client(token).await;
    let info = c.call_raw("server.info", json!({})).await.unwrap();
    assert!(
        info["methods"]
            .as_array()
            .unwrap()
            .contains(&json!("admin.user.list"))
    );
    for (method, params) in [
        ("admin.user.list", json!({})),
        (
            "admin.user.create",
            json!({"name": "carol", "password": PASSWORD}),
        ),
        ("admin.token.create", json!({"user": "local", "label": "x"})),
    ] {
        let (code, message) = fails(&mut c, method, params).await;
        assert_eq!(code, codes::FORBIDDEN, "{message}");
        assert!(
            message.contains("single-user") && message.contains("--multi-user"),
            "{message}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_users_who_sign_in_and_keep_their_own_data() {
    let srv = TestServer::multi().await;
    let root = admin(&srv, "root");
    let mut r = srv.client(&root).await;

    let carol = r
        .call_raw(
            "admin.user.create",
            json!({"name": "carol", "password": PASSWORD}),
        )
        .await
        .unwrap();
    assert_eq!(carol["name"], "carol");
    assert_eq!(carol["is_admin"], false);
    assert_eq!(carol["disabled"], false);
    assert!(carol["created_at"].as_i64().unwrap() > 0);
    assert!(carol.get("password").is_none());
    let dave = r
        .call_raw(
            "admin.user.create",
            json!({"name": "dave", "password": PASSWORD, "is_admin": true}),
        )
        .await
        .unwrap();
    assert_eq!(dave["is_admin"], true);

    let (code, message) = fails(
        &mut r,
        "admin.user.create",
        json!({"name": "carol", "password": PASSWORD}),
    )
    .await;
    assert_eq!(code, codes::CONFLICT);
    assert!(message.contains("already exists"), "{message}");

    let list = r.call_raw("admin.user.list", json!({})).await.unwrap();
    let names: Vec<_> = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["name"].clone(), u["is_admin"].clone()))
        .collect();
    assert_eq!(
        names,
        [
            (json!("carol"), json!(false)),
            (json!("dave"), json!(true)),
            (json!("root"), json!(true))
        ]
    );

    // Carol signs in with the password the admin chose; a wrong one is refused.
    assert_eq!(login(&srv, "carol", "not her password").await.0, 401);
    let (status, body) = login(&srv, "carol", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["name"], "carol");
    assert_eq!(body["user"]["id"], carol["id"]);
    let token = body["token"].as_str().unwrap().to_owned();
    let mut c = Client::connect_with(&srv.addr, Credential::Cookie(&token), None)
        .await
        .unwrap();
    assert_eq!(
        c.call_raw("server.info", json!({})).await.unwrap()["user"]["name"],
        "carol"
    );

    // Her data is her own.
    c.call_raw("state.set", json!({"key": "k", "value": "carol's"}))
        .await
        .unwrap();
    c.call_raw("fs.write", json!({"path": "mine.txt", "content": "c"}))
        .await
        .unwrap();
    assert_eq!(
        r.call_raw("state.get", json!({"key": "k"})).await.unwrap()["value"],
        Value::Null
    );
    let (code, _) = fails(&mut r, "fs.read", json!({"path": "mine.txt"})).await;
    assert_eq!(code, codes::NOT_FOUND);
    assert_eq!(
        c.call_raw("state.get", json!({"key": "k"})).await.unwrap()["value"],
        "carol's"
    );

    // A new password replaces the old one and signs out the browser that used the old
    // one at once; an API token of hers keeps working.
    let api = r
        .call_raw(
            "admin.token.create",
            json!({"user": "carol", "label": "ci"}),
        )
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ci = srv.client(&api).await;
    r.call_raw(
        "admin.user.update",
        json!({"name": "carol", "password": "another long password"}),
    )
    .await
    .unwrap();
    assert_eq!(
        closed_within(&mut c, Duration::from_secs(3)).await,
        Some(4001)
    );
    assert!(ci.call_raw("server.info", json!({})).await.is_ok());
    assert_eq!(login(&srv, "carol", PASSWORD).await.0, 401);
    assert_eq!(login(&srv, "carol", "another long password").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_a_user_closes_their_connections_at_once_and_enabling_restores_them() {
    let srv = TestServer::multi().await;
    let root = admin(&srv, "root");
    let bob = srv.user("bob");
    let mut r = srv.client(&root).await;
    r.call_raw(
        "admin.user.create",
        json!({"name": "carol", "password": PASSWORD}),
    )
    .await
    .unwrap();
    let (status, body) = login(&srv, "carol", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    let login_token = body["token"].as_str().unwrap().to_owned();
    let api_token = r
        .call_raw(
            "admin.token.create",
            json!({"user": "carol", "label": "script"}),
        )
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut c1 = Client::connect_with(&srv.addr, Credential::Cookie(&login_token), None)
        .await
        .unwrap();
    let mut c2 = srv.client(&api_token).await;
    let mut b = srv.client(&bob).await;
    c1.call_raw("server.info", json!({})).await.unwrap();

    let carol = r
        .call_raw(
            "admin.user.update",
            json!({"name": "carol", "disabled": true}),
        )
        .await
        .unwrap();
    assert_eq!(carol["disabled"], true);
    assert_eq!(
        closed_within(&mut c1, Duration::from_secs(3)).await,
        Some(4001)
    );
    assert_eq!(
        closed_within(&mut c2, Duration::from_secs(3)).await,
        Some(4001)
    );
    // Nobody else is touched.
    assert!(b.call_raw("server.info", json!({})).await.is_ok());
    assert!(r.call_raw("server.info", json!({})).await.is_ok());
    // Carol can get in neither way.
    let (status, body) = login(&srv, "carol", PASSWORD).await;
    assert_eq!(status, 401, "{body}");
    refused_401(Client::connect(&srv.addr, &api_token).await.err().unwrap());
    let list = r.call_raw("admin.user.list", json!({})).await.unwrap();
    let row = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "carol")
        .unwrap()
        .clone();
    assert_eq!(row["disabled"], true);
    // No new tokens for a disabled user.
    let (code, message) = fails(
        &mut r,
        "admin.token.create",
        json!({"user": "carol", "label": "again"}),
    )
    .await;
    assert_eq!(code, codes::CONFLICT);
    assert!(message.contains("disabled"), "{message}");

    // Enabled again: the password and the API token work again.
    let carol = r
        .call_raw(
            "admin.user.update",
            json!({"name": "carol", "disabled": false}),
        )
        .await
        .unwrap();
    assert_eq!(carol["disabled"], false);
    assert_eq!(login(&srv, "carol", PASSWORD).await.0, 200);
    let mut again = srv.client(&api_token).await;
    assert_eq!(
        again.call_raw("server.info", json!({})).await.unwrap()["user"]["name"],
        "carol"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_an_admin_creates_connect_and_revoking_closes_their_connections() {
    let srv = TestServer::multi().await;
    let root = admin(&srv, "root");
    let bob_first = srv.user("bob");
    let mut r = srv.client(&root).await;

    let created = r
        .call_raw(
            "admin.token.create",
            json!({"user": "bob", "label": "  ci runner "}),
        )
        .await
        .unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("arr_"), "{token}");
    let info = &created["info"];
    assert_eq!(info["user"], "bob");
    assert_eq!(info["kind"], "api");
    assert_eq!(info["label"], "ci runner");
    assert_eq!(info["expires_at"], Value::Null);
    let id = info["id"].as_str().unwrap().to_owned();

    let mut b = srv.client(&token).await;
    assert_eq!(
        b.call_raw("server.info", json!({})).await.unwrap()["user"]["name"],
        "bob"
    );
    let mut b_other = srv.client(&bob_first).await;

    // Listing shows ids, kinds, labels and times — never a secret.
    let list = r
        .call_raw("admin.token.list", json!({"user": "bob"}))
        .await
        .unwrap();
    let tokens = list["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[1]["id"], json!(id));
    assert_eq!(tokens[1]["label"], "ci runner");
    assert!(tokens[1]["created_at"].as_i64().unwrap() > 0);
    let text = list.to_string();
    assert!(
        !text.contains(&token) && !text.contains(&bob_first),
        "{text}"
    );
    assert!(!text.contains("arr_"), "{text}");

    // Revoking closes the connection that uses it, and only that one.
    let revoked = r
        .call_raw("admin.token.revoke", json!({"id": id}))
        .await
        .unwrap();
    assert_eq!(revoked["revoked"], true);
    assert_eq!(
        closed_within(&mut b, Duration::from_secs(3)).await,
        Some(4001)
    );
    refused_401(Client::connect(&srv.addr, &token).await.err().unwrap());
    assert!(b_other.call_raw("server.info", json!({})).await.is_ok());
    let again = r
        .call_raw("admin.token.revoke", json!({"id": id}))
        .await
        .unwrap();
    assert_eq!(again["revoked"], false);
    let list = r
        .call_raw("admin.token.list", json!({"user": "bob"}))
        .await
        .unwrap();
    assert!(list["tokens"][1]["revoked_at"].as_i64().is_some());
    assert_eq!(list["tokens"][0]["revoked_at"], Value::Null);

    let (code, message) = fails(&mut r, "admin.token.revoke", json!({"id": "0123abcd"})).await;
    assert_eq!(code, codes::NOT_FOUND);
    assert!(message.contains("admin.token.list"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_cannot_disable_or_demote_themself() {
    let srv = TestServer::multi().await;
    let root = admin(&srv, "root");
    let mut r = srv.client(&root).await;

    let (code, message) = fails(
        &mut r,
        "admin.user.update",
        json!({"name": "root", "disabled": true}),
    )
    .await;
    assert_eq!(code, codes::CONFLICT);
    assert!(message.contains("cannot disable yourself"), "{message}");
    let (code, message) = fails(
        &mut r,
        "admin.user.update",
        json!({"name": "root", "is_admin": false, "password": "would be changed"}),
    )
    .await;
    assert_eq!(code, codes::CONFLICT);
    assert!(message.contains("own admin rights"), "{message}");

    // Nothing of the refused requests happened; the connection is still open.
    let dir = srv.dir.as_ref().unwrap();
    let me = dir.user_by_name("root").unwrap().unwrap();
    assert!(me.is_admin && !me.disabled);
    assert!(dir.verify_password("root", PASSWORD).unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(r.call_raw("admin.user.list", json!({})).await.is_ok());

    // Changing their own password, or re-stating that they are an admin, is fine.
    r.call_raw(
        "admin.user.update",
        json!({"name": "root", "is_admin": true, "disabled": false, "password": "a newer long password"}),
    )
    .await
    .unwrap();
    assert!(
        dir.verify_password("root", "a newer long password")
            .unwrap()
            .is_some()
    );

    // Another admin may demote them.
    r.call_raw(
        "admin.user.create",
        json!({"name": "deputy", "password": PASSWORD, "is_admin": true}),
    )
    .await
    .unwrap();
    let deputy = srv.token("deputy");
    let mut d = srv.client(&deputy).await;
    let root_now = d
        .call_raw(
            "admin.user.update",
            json!({"name": "root", "is_admin": false}),
        )
        .await
        .unwrap();
    assert_eq!(root_now["is_admin"], false);
    let (code, _) = fails(&mut r, "admin.user.list", json!({})).await;
    assert_eq!(code, codes::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_errors_that_say_what_to_do() {
    let srv = TestServer::multi().await;
    let root = admin(&srv, "root");
    srv.user("bob");
    let mut r = srv.client(&root).await;

    let cases = [
        (
            "admin.user.create",
            json!({"name": "", "password": PASSWORD}),
            codes::INVALID_PARAMS,
            "lowercase letters",
        ),
        (
            "admin.user.create",
            json!({"name": "Bad Name", "password": PASSWORD}),
            codes::INVALID_PARAMS,
            "lowercase letters",
        ),
        (
            "admin.user.create",
            json!({"name": "carol", "password": "short"}),
            codes::INVALID_PARAMS,
            "at least 8 characters",
        ),
        (
            "admin.user.create",
            json!({"name": "carol"}),
            codes::INVALID_PARAMS,
            "password",
        ),
        (
            "admin.user.create",
            json!({"name": "carol", "password": PASSWORD, "admin": true}),
            codes::INVALID_PARAMS,
            "admin",
        ),
        (
            "admin.user.update",
            json!({"name": "nobody", "disabled": true}),
            codes::NOT_FOUND,
            "no user named \"nobody\"",
        ),
        (
            "admin.user.update",
            json!({"name": "bob"}),
            codes::INVALID_PARAMS,
            "nothing to change",
        ),
        (
            "admin.user.update",
            json!({"name": "bob", "password": "short"}),
            codes::INVALID_PARAMS,
            "at least 8 characters",
        ),
        (
            "admin.token.list",
            json!({"user": "nobody"}),
            codes::NOT_FOUND,
            "admin.user.list",
        ),
        (
            "admin.token.create",
            json!({"user": "nobody", "label": "x"}),
            codes::NOT_FOUND,
            "no user named",
        ),
        (
            "admin.token.create",
            json!({"user": "bob", "label": "   "}),
            codes::INVALID_PARAMS,
            "label",
        ),
        (
            "admin.token.create",
            json!({"user": "bob", "label": "x".repeat(101)}),
            codes::INVALID_PARAMS,
            "at most 100",
        ),
        ("admin.token.revoke", json!({}), codes::INVALID_PARAMS, "id"),
    ];
    for (method, params, want, needle) in cases {
        let (code, message) = fails(&mut r, method, params.clone()).await;
        assert_eq!(code, want, "{method} {params}: {message}");
        assert!(
            message.contains(needle),
            "{method} {params}: {message:?} should say {needle:?}"
        );
    }
    // None of it created a user or a token, or changed bob.
    let dir = srv.dir.as_ref().unwrap();
    assert_eq!(dir.list_users().unwrap().len(), 2);
    assert_eq!(dir.list_tokens("bob").unwrap().len(), 1);
    assert!(
        dir.verify_password("bob", "password-of-test")
            .unwrap()
            .is_some()
    );
}
