//! What the server requests for users goes only to public addresses (multi-user, unless
//! the admin allows private networks): a user's LLM provider or HTTP MCP server at
//! loopback, a private network or a metadata endpoint is refused with a message that
//! says why and what the admin can do — while the server's own default model on loopback
//! keeps working.

mod common;

use arranger_client::{Client, ClientError};
use arranger_protocol::codes;
use common::TestServer;
use serde_json::{Value, json};

async fn fails(c: &mut Client, method: &str, params: Value) -> (i64, String) {
    match c.call_raw(method, params.clone()).await {
        Err(ClientError::Rpc(e)) => (e.code, e.message),
        other => panic!("{method} {params} should fail, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_cannot_point_the_server_at_private_addresses() {
    let srv = TestServer::multi_configured(
        tempfile::tempdir().unwrap(),
        arranger_server::Limits::default(),
        |c| c.allow_private_networks = false,
    )
    .await;
    let mut c = srv.client(&srv.user("mallory")).await;
    for url in [
        "http://127.0.0.1:8080/v1",
        "http://localhost:11434/v1",
        "http://169.254.169.254/latest",
        "http://[::1]:9000/v1",
        "http://10.0.0.5/v1",
    ] {
        let (code, message) = fails(
            &mut c,
            "config.set",
            json!({"providers": [{"name": "p", "kind": "openai", "base_url": url, "model": "m"}]}),
        )
        .await;
        assert_eq!(code, codes::INVALID_PARAMS, "{url}: {message}");
        assert!(
            message.contains("only public addresses"),
            "{url}: {message}"
        );
        assert!(message.contains("--allow-private-networks"), "{message}");

        let (code, message) = fails(
            &mut c,
            "mcp.add",
            json!({"spec": {"name": "h", "transport": {"type": "http", "url": url}}}),
        )
        .await;
        assert_eq!(code, codes::INVALID_PARAMS, "{url}: {message}");
        assert!(
            message.contains("only public addresses"),
            "{url}: {message}"
        );
    }
    // Nothing was stored.
    let cfg = c.call_raw("config.get", json!({})).await.unwrap();
    assert_eq!(cfg["providers"].as_array().map(Vec::len), Some(0), "{cfg}");
    let mcp = c.call_raw("mcp.list", json!({})).await.unwrap();
    assert_eq!(mcp["servers"].as_array().map(Vec::len), Some(0), "{mcp}");
    // Public addresses are fine.
    c.call_raw(
        "config.set",
        json!({"providers": [{"name": "p", "kind": "openai", "base_url": "https://api.example.com/v1", "model": "m"}]}),
    )
    .await
    .unwrap();
}
