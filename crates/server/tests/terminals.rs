//! Terminals over the wire: real PTYs, streamed output, scrollback, exit, isolation between
//! users, the sandbox, the limit, bad parameters, and no process outliving its terminal.

mod common;

use arranger_client::Client;
use arranger_protocol::codes;
use arranger_server::Limits;
use common::TestServer;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Subscribes (without file events) so terminal notifications arrive.
async fn subscribe(c: &mut Client) {
    c.call_raw("events.subscribe", json!({"since": 0, "files": false}))
        .await
        .unwrap();
}

async fn create(c: &mut Client) -> Value {
    c.call_raw("terminal.create", json!({"cols": 80, "rows": 24}))
        .await
        .unwrap()
}

async fn input(c: &mut Client, id: &str, data: &str) {
    c.call_raw("terminal.input", json!({"id": id, "data": data}))
        .await
        .unwrap();
}

/// Collects `terminal.output` of terminal `id` until it contains `needle`.
async fn output_until(c: &mut Client, id: &str, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut seen = String::new();
    while Instant::now() < deadline {
        let Ok((method, params)) = c.next_notification().await else {
            continue;
        };
        if method == "terminal.output" && params["id"] == id {
            seen.push_str(params["data"].as_str().unwrap_or_default());
            if seen.contains(needle) {
                return seen;
            }
        }
    }
    panic!("no {needle:?} in the output of {id}: {seen:?}");
}

/// Runs `echo TAG=<expr>=TAG` and returns the number it printed (the echoed command line
/// shows the expression, not digits, so it cannot match).
async fn number(c: &mut Client, id: &str, tag: &str, expr: &str) -> i32 {
    input(c, id, &format!("echo {tag}={expr}={tag}\n")).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut seen = String::new();
    while Instant::now() < deadline {
        let Ok((method, params)) = c.next_notification().await else {
            continue;
        };
        if method == "terminal.output" && params["id"] == id {
            seen.push_str(params["data"].as_str().unwrap_or_default());
            for piece in seen.split(&format!("{tag}=")) {
                if let Some(n) = piece
                    .strip_suffix(&format!("={tag}"))
                    .or_else(|| piece.split(&format!("={tag}")).next())
                    .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|n| n.parse().ok())
                {
                    return n;
                }
            }
        }
    }
    panic!("no {tag} number in the output of {id}: {seen:?}");
}

/// The shell's pid, asked from the shell itself.
async fn shell_pid(c: &mut Client, id: &str) -> i32 {
    number(c, id, "PID", "$$").await
}

fn alive(pid: i32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

async fn wait_gone(pid: i32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) {
        assert!(
            Instant::now() < deadline,
            "the terminal's shell (pid {pid}) outlived it"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_streams_output_resizes_keeps_scrollback_and_exits() {
    let srv = TestServer::multi().await;
    let ta = srv.user("alice");
    let mut a = srv.client(&ta).await;
    subscribe(&mut a).await;
    let info = create(&mut a).await;
    let id = info["id"].as_str().unwrap().to_owned();
    assert_eq!(info["cwd"], "");
    assert_eq!(
        (info["cols"].as_u64(), info["rows"].as_u64()),
        (Some(80), Some(24))
    );
    assert!(info.get("exited").is_none());

    input(&mut a, &id, "echo hello-$((6*7))\n").await;
    output_until(&mut a, &id, "hello-42").await;

    let resized = a
        .call_raw(
            "terminal.resize",
            json!({"id": id, "cols": 132, "rows": 40}),
        )
        .await
        .unwrap();
    assert_eq!(resized["cols"], 132);
    input(&mut a, &id, "stty size\n").await;
    output_until(&mut a, &id, "40 132").await;

    // The environment is scrubbed like commands', with a real terminal type.
    input(&mut a, &id, "echo TERM=$TERM HOME=$HOME; env | wc -l\n").await;
    output_until(&mut a, &id, "TERM=xterm-256color").await;

    let read = a
        .call_raw("terminal.read", json!({"id": id}))
        .await
        .unwrap();
    let data = read["data"].as_str().unwrap();
    assert!(
        data.contains("hello-42") && data.contains("40 132"),
        "{data}"
    );
    assert_eq!(read["offset"], 0);
    assert_eq!(read["truncated"], false);
    let end = read["end"].as_u64().unwrap();
    assert_eq!(end as usize, data.len());
    // Reading on from `end` gives only what came after.
    input(&mut a, &id, "echo after-$((1+1))\n").await;
    output_until(&mut a, &id, "after-2").await;
    let more = a
        .call_raw("terminal.read", json!({"id": id, "since": end}))
        .await
        .unwrap();
    assert_eq!(more["offset"].as_u64(), Some(end));
    let more_data = more["data"].as_str().unwrap();
    assert!(more_data.contains("after-2") && !more_data.contains("hello-42"));

    let pid = shell_pid(&mut a, &id).await;
    assert!(alive(pid));
    // A background job in its own process group dies with the terminal too.
    input(&mut a, &id, "sleep 600 &\n").await;
    let job = number(&mut a, &id, "JOB", "$!").await;
    assert!(alive(job));

    let list = a.call_raw("terminal.list", json!({})).await.unwrap();
    assert_eq!(list["terminals"].as_array().unwrap().len(), 1);

    let closed = a
        .call_raw("terminal.close", json!({"id": id}))
        .await
        .unwrap();
    assert_eq!(closed["exited"]["code"], 137, "{closed}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "no terminal.exit");
        let (method, params) = a.next_notification().await.unwrap();
        if method == "terminal.exit" {
            assert_eq!(params["id"], id.as_str());
            assert_eq!(params["code"], 137);
            break;
        }
    }
    wait_gone(pid).await;
    wait_gone(job).await;
    let list = a.call_raw("terminal.list", json!({})).await.unwrap();
    assert_eq!(list["terminals"], json!([]));
    let e = a
        .call_raw("terminal.read", json!({"id": id}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::NOT_FOUND));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exiting_shell_is_reported_with_its_code() {
    let srv = TestServer::multi().await;
    let ta = srv.user("alice");
    let mut a = srv.client(&ta).await;
    subscribe(&mut a).await;
    let id = create(&mut a).await["id"].as_str().unwrap().to_owned();
    input(&mut a, &id, "exit 7\n").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "no terminal.exit");
        let (method, params) = a.next_notification().await.unwrap();
        if method == "terminal.exit" {
            assert_eq!(params["code"], 7);
            break;
        }
    }
    let list = a.call_raw("terminal.list", json!({})).await.unwrap();
    assert_eq!(list["terminals"][0]["exited"]["code"], 7);
    let e = a
        .call_raw("terminal.input", json!({"id": id, "data": "x"}))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("exited"), "{e}");
    a.call_raw("terminal.close", json!({"id": id}))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_cannot_see_or_touch_each_others_terminals() {
    let srv = TestServer::multi().await;
    let (ta, tb) = (srv.user("alice"), srv.user("bob"));
    let mut a = srv.client(&ta).await;
    let mut b = srv.client(&tb).await;
    subscribe(&mut a).await;
    subscribe(&mut b).await;
    let id = create(&mut a).await["id"].as_str().unwrap().to_owned();

    // Bob has no terminal: Alice's id answers "not found" to every method.
    for (method, params) in [
        ("terminal.input", json!({"id": id, "data": "echo pwned\n"})),
        ("terminal.read", json!({"id": id})),
        ("terminal.resize", json!({"id": id, "cols": 10, "rows": 10})),
        ("terminal.close", json!({"id": id})),
    ] {
        let e = b.call_raw(method, params).await.unwrap_err();
        assert_eq!(e.code(), Some(codes::NOT_FOUND), "{method}: {e}");
        assert!(e.to_string().contains("not found"), "{e}");
    }
    let list = b.call_raw("terminal.list", json!({})).await.unwrap();
    assert_eq!(list["terminals"], json!([]));

    // Alice's output reaches Alice only.
    input(&mut a, &id, "echo alice-only-$((40+2))\n").await;
    output_until(&mut a, &id, "alice-only-42").await;
    b.set_timeout(Duration::from_millis(300));
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        if let Ok((method, params)) = b.next_notification().await {
            assert!(
                !method.starts_with("terminal."),
                "bob received {method}: {params}"
            );
        }
    }
    b.set_timeout(Duration::from_secs(30));

    // Bob's own terminal may have the same id: it is his, and Alice's is untouched.
    let bid = create(&mut b).await["id"].as_str().unwrap().to_owned();
    input(&mut b, &bid, "echo bob-$((1+1))\n").await;
    output_until(&mut b, &bid, "bob-2").await;
    let read = a
        .call_raw("terminal.read", json!({"id": id}))
        .await
        .unwrap();
    assert!(!read["data"].as_str().unwrap().contains("bob-2"));
    let la = a.call_raw("terminal.list", json!({})).await.unwrap();
    assert_eq!(la["terminals"].as_array().unwrap().len(), 1);
    assert!(la["terminals"][0].get("exited").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_is_sandboxed_like_commands() {
    let srv = TestServer::multi().await;
    let (ta, tb) = (srv.user("alice"), srv.user("bob"));
    let mut a = srv.client(&ta).await;
    let mut b = srv.client(&tb).await;
    b.call_raw(
        "fs.write",
        json!({"path": "secret.txt", "content": "bobs-secret-5150"}),
    )
    .await
    .unwrap();
    a.call_raw(
        "fs.write",
        json!({"path": "mine.txt", "content": "alices-own"}),
    )
    .await
    .unwrap();
    let bob_id = b.call_raw("server.info", json!({})).await.unwrap()["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = srv.workspace_of(&bob_id).join("secret.txt");
    let db = srv.data.path().join("arranger.db");
    subscribe(&mut a).await;
    let id = create(&mut a).await["id"].as_str().unwrap().to_owned();
    // Control: the terminal reads its own workspace.
    input(&mut a, &id, "cat mine.txt; echo; echo CTL-$((1+1))\n").await;
    let out = output_until(&mut a, &id, "CTL-2").await;
    assert!(out.contains("alices-own"), "{out}");
    let attempts = format!(
        "cat {s}; cat ../../{bob_id}/workspace/secret.txt; cat {db}; echo x >> {db}; ls /proc/1; cat /etc/shadow; echo END-$((2+2))\n",
        s = secret.display(),
        db = db.display()
    );
    input(&mut a, &id, &attempts).await;
    let out = output_until(&mut a, &id, "END-4").await;
    assert!(!out.contains("bobs-secret-5150"), "{out}");
    assert!(out.matches("Permission denied").count() >= 5, "{out}");
    assert_eq!(
        std::fs::read_to_string(&secret).unwrap(),
        "bobs-secret-5150"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_terminal_limit_is_enforced_with_a_clear_message() {
    let srv = TestServer::multi().await;
    let ta = srv.user("alice");
    let mut a = srv.client(&ta).await;
    let mut ids = Vec::new();
    for _ in 0..8 {
        ids.push(create(&mut a).await["id"].as_str().unwrap().to_owned());
    }
    let e = a
        .call_raw("terminal.create", json!({"cols": 80, "rows": 24}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::INVALID_PARAMS));
    let m = e.to_string();
    assert!(
        m.contains("limit is 8") && m.contains("terminal.close"),
        "{m}"
    );
    a.call_raw("terminal.close", json!({"id": ids[0]}))
        .await
        .unwrap();
    create(&mut a).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_terminal_params_give_clear_errors() {
    let srv = TestServer::multi().await;
    let ta = srv.user("alice");
    let mut a = srv.client(&ta).await;
    a.call_raw("fs.mkdir", json!({"path": "sub/dir", "recursive": true}))
        .await
        .unwrap();
    a.call_raw("fs.write", json!({"path": "file.txt", "content": "x"}))
        .await
        .unwrap();
    let bad = [
        (
            json!({"cols": 0, "rows": 24}),
            codes::INVALID_PARAMS,
            "between 1 and 1000",
        ),
        (
            json!({"cols": 80, "rows": 5000}),
            codes::INVALID_PARAMS,
            "between 1 and 1000",
        ),
        (json!({"rows": 24}), codes::INVALID_PARAMS, "cols"),
        (
            json!({"cols": 80, "rows": 24, "colour": 1}),
            codes::INVALID_PARAMS,
            "colour",
        ),
        (
            json!({"cols": -1, "rows": 24}),
            codes::INVALID_PARAMS,
            "terminal.create",
        ),
        (
            json!({"cols": 80, "rows": 24, "cwd": "nope"}),
            codes::NOT_FOUND,
            "nope",
        ),
        (
            json!({"cols": 80, "rows": 24, "cwd": "file.txt"}),
            codes::CONFLICT,
            "not a directory",
        ),
        (
            json!({"cols": 80, "rows": 24, "cwd": "../.."}),
            codes::INVALID_PARAMS,
            "..",
        ),
        (
            json!({"cols": 80, "rows": 24, "cwd": "/etc"}),
            codes::INVALID_PARAMS,
            "/etc",
        ),
    ];
    for (params, code, needle) in bad {
        let e = a
            .call_raw("terminal.create", params.clone())
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(code), "{params}: {e}");
        assert!(e.to_string().contains(needle), "{params}: {e}");
        assert!(
            !e.to_string()
                .contains(srv.data.path().to_string_lossy().as_ref()),
            "leaks a host path: {e}"
        );
    }
    let list = a.call_raw("terminal.list", json!({})).await.unwrap();
    assert_eq!(list["terminals"], json!([]));

    // A directory inside works, and the shell starts there.
    subscribe(&mut a).await;
    let info = a
        .call_raw(
            "terminal.create",
            json!({"cols": 80, "rows": 24, "cwd": "./sub//dir/"}),
        )
        .await
        .unwrap();
    assert_eq!(info["cwd"], "sub/dir");
    let id = info["id"].as_str().unwrap().to_owned();
    input(&mut a, &id, "pwd; echo P-$((3+3))\n").await;
    let out = output_until(&mut a, &id, "P-6").await;
    assert!(out.contains("/workspace/sub/dir"), "{out}");

    let big = "x".repeat(64 * 1024 + 1);
    let e = a
        .call_raw("terminal.input", json!({"id": id, "data": big}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::INVALID_PARAMS));
    assert!(e.to_string().contains("65536"), "{e}");
    for (method, params) in [
        ("terminal.input", json!({"id": "term-999", "data": "x"})),
        ("terminal.input", json!({"id": "nonsense", "data": "x"})),
        ("terminal.read", json!({"id": "term-999"})),
        ("terminal.close", json!({"id": ""})),
    ] {
        let e = a.call_raw(method, params).await.unwrap_err();
        assert_eq!(e.code(), Some(codes::NOT_FOUND), "{method}: {e}");
        assert!(e.to_string().contains("terminal.list"), "{e}");
    }
    let e = a
        .call_raw("terminal.resize", json!({"id": id, "cols": 80, "rows": 0}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::INVALID_PARAMS));
    let e = a
        .call_raw("terminal.input", json!({"id": id}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(codes::INVALID_PARAMS));
    assert!(e.to_string().contains("data"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminals_end_with_the_users_context_and_with_the_server() {
    // A context dropped as idle (no connection) takes its terminals with it.
    let limits = Limits {
        session_idle: Duration::ZERO,
        ..Limits::default()
    };
    let srv = TestServer::multi_with(limits).await;
    let ta = srv.user("alice");
    let mut a = srv.client(&ta).await;
    subscribe(&mut a).await;
    let id = create(&mut a).await["id"].as_str().unwrap().to_owned();
    let pid = shell_pid(&mut a, &id).await;
    a.close().await;
    wait_gone(pid).await;

    // Shutdown closes the terminals of connected users.
    let mut a = srv.client(&ta).await;
    subscribe(&mut a).await;
    let id = create(&mut a).await["id"].as_str().unwrap().to_owned();
    let pid = shell_pid(&mut a, &id).await;
    let _data = srv.stop().await;
    wait_gone(pid).await;
}

/// A user's network policy (`config.set {"network": "deny"}`) reaches the processes they
/// start from then on; another user's stays as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_network_policy_reaches_their_new_processes_only() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let srv = TestServer::multi().await;
    let (ta, tb) = (srv.user("alice"), srv.user("bob"));
    let mut a = srv.client(&ta).await;
    let mut b = srv.client(&tb).await;
    let cfg = a
        .call_raw("config.set", json!({"network": "deny"}))
        .await
        .unwrap();
    assert_eq!(cfg["network"], "deny");
    assert_eq!(
        b.call_raw("config.get", json!({})).await.unwrap()["network"],
        "allow"
    );
    let probe = format!(
        "(exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null && echo NET-OPEN-$((1+1)) || echo NET-SHUT-$((1+1))\n"
    );
    for (c, want) in [(&mut a, "NET-SHUT-2"), (&mut b, "NET-OPEN-2")] {
        subscribe(c).await;
        let id = create(c).await["id"].as_str().unwrap().to_owned();
        input(c, &id, &probe).await;
        let out = output_until(c, &id, want).await;
        assert!(out.contains(want), "{out}");
    }
    let e = a
        .call_raw("config.set", json!({"network": "sometimes"}))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(-32602), "{e}");
    drop(listener);
}
