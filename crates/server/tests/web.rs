//! The web UI is served by the same process: files with their types and caching, the UI's
//! routes, the API's 404s, and `whoami` for the sign-in page. Needs `make web` first
//! (`make test` does it).

mod common;

use arranger_server::Limits;
use common::{TestServer, http};

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[tokio::test]
async fn the_ui_is_served_at_the_root_and_for_its_routes() {
    let s = TestServer::multi().await;
    let (status, head, body) = http(&s.addr, "GET", "/", &[], "").await;
    assert_eq!(
        status, 200,
        "the UI is not built into the server (run `make web`): {body}"
    );
    assert!(body.contains("<div id=\"root\""), "{body}");
    assert!(
        header(&head, "content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let csp = header(&head, "content-security-policy").expect("a CSP");
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(header(&head, "cache-control"), Some("no-cache"));

    // The UI's own routes get index.html, so a reload keeps the view.
    let (status, _, routed) = http(&s.addr, "GET", "/tasks/some-task", &[], "").await;
    assert_eq!(status, 200);
    assert_eq!(routed, body);

    // Hashed assets: their type, cached for a year, 304 on a matching ETag.
    let script = body
        .split("src=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("index.html names its script");
    let (status, head, js) = http(&s.addr, "GET", script, &[], "").await;
    assert_eq!(status, 200);
    assert!(
        header(&head, "content-type")
            .unwrap()
            .contains("javascript")
    );
    assert!(
        header(&head, "cache-control")
            .unwrap()
            .contains("immutable")
    );
    assert!(js.len() > 1000);
    let etag = header(&head, "etag").expect("an ETag").to_owned();
    let (status, _, _) = http(&s.addr, "GET", script, &[("If-None-Match", &etag)], "").await;
    assert_eq!(status, 304);

    // Compressed for browsers that ask.
    let (_, head, _) = http(&s.addr, "GET", script, &[("Accept-Encoding", "gzip")], "").await;
    assert_eq!(header(&head, "content-encoding"), Some("gzip"));

    // A stale page asking for an old asset gets a 404, not HTML.
    let (status, _, body) = http(&s.addr, "GET", "/assets/index-gone.js", &[], "").await;
    assert_eq!(status, 404);
    assert!(body.contains("reload"));
    s.stop().await;
}

#[tokio::test]
async fn api_paths_keep_json_errors() {
    let s = TestServer::multi().await;
    for path in ["/api/v1/nothing", "/api/other"] {
        let (status, head, body) = http(&s.addr, "GET", path, &[], "").await;
        assert_eq!(status, 404, "{path}");
        assert!(header(&head, "content-type").unwrap().contains("json"));
        assert!(body.contains("/api/v1/ws"), "{body}");
    }
    let (status, _, body) = http(&s.addr, "POST", "/tasks", &[], "").await;
    assert_eq!(status, 404);
    assert!(body.contains("\"error\""));
    s.stop().await;
}

#[tokio::test]
async fn whoami_names_the_caller_or_says_how_to_sign_in() {
    let s = TestServer::multi().await;
    let token = s.user("ada");
    let (status, _, body) = http(&s.addr, "GET", "/api/v1/whoami", &[], "").await;
    assert_eq!(status, 401);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["mode"], "multi_user");
    assert!(v["error"].as_str().unwrap().contains("/api/v1/login"));

    let bearer = format!("Bearer {token}");
    let (status, _, body) = http(
        &s.addr,
        "GET",
        "/api/v1/whoami",
        &[("Authorization", &bearer)],
        "",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["user"]["name"], "ada");
    assert_eq!(v["user"]["is_admin"], false);

    let cookie = format!("arranger_token={token}");
    let (status, _, _) = http(&s.addr, "GET", "/api/v1/whoami", &[("Cookie", &cookie)], "").await;
    assert_eq!(status, 200);
    s.revoke(&token);
    let (status, _, body) =
        http(&s.addr, "GET", "/api/v1/whoami", &[("Cookie", &cookie)], "").await;
    assert_eq!(status, 401);
    assert!(body.contains("sign in again"));
    s.stop().await;
}

#[tokio::test]
async fn a_ui_directory_on_disk_replaces_the_embedded_one_and_keeps_its_files_inside() {
    let web = tempfile::tempdir().unwrap();
    std::fs::create_dir(web.path().join("assets")).unwrap();
    std::fs::write(web.path().join("index.html"), "<p>from disk</p>").unwrap();
    std::fs::write(web.path().join("assets/app-1.js"), "console.log(1)").unwrap();
    let outside = web.path().parent().unwrap().join("secret-outside-web.txt");
    std::fs::write(&outside, "secret").unwrap();
    let dir = web.path().to_owned();
    let s = TestServer::multi_configured(tempfile::tempdir().unwrap(), Limits::default(), |c| {
        c.web_dir = Some(dir)
    })
    .await;
    let (status, _, body) = http(&s.addr, "GET", "/", &[], "").await;
    assert_eq!((status, body.as_str()), (200, "<p>from disk</p>"));
    let (status, head, body) = http(&s.addr, "GET", "/assets/app-1.js", &[], "").await;
    assert_eq!((status, body.as_str()), (200, "console.log(1)"));
    assert!(
        header(&head, "content-type")
            .unwrap()
            .contains("javascript")
    );
    for path in [
        "/../secret-outside-web.txt",
        "/%2e%2e/secret-outside-web.txt",
        "/assets/..%2f..%2fsecret-outside-web.txt",
    ] {
        let (_, _, body) = http(&s.addr, "GET", path, &[], "").await;
        assert!(
            !body.contains("secret"),
            "{path} reached outside the UI directory: {body}"
        );
    }
    std::fs::remove_file(outside).unwrap();
    s.stop().await;
}
