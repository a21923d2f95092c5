//! The real binary: `backup` while `serve` runs, `restore` refused on a running server's
//! directory and into a non-empty one, a second `serve` refused, `user export` / `user
//! import` into a running server — with the messages an administrator reads.

use arranger_client::Client;
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_arranger");

fn cli(data: &Path, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

struct Running {
    child: Child,
    addr: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(data: &Path) -> Running {
    let mut child = Command::new(BIN)
        .args(["serve", "--multi-user", "--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(data)
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.trim_end_matches('/').to_owned();
        }
    };
    Running { child, addr }
}

fn add_user(data: &Path, name: &str) -> String {
    let (ok, _, err) = cli(
        data,
        &["user", "add", name, "--password-stdin"],
        Some("a long password\n"),
    );
    assert!(ok, "{err}");
    let (ok, out, err) = cli(data, &["token", "create", name], None);
    assert!(ok, "{err}");
    out.trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_restore_export_and_import_from_the_command_line() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    let token = add_user(&data, "alice");
    let server = serve(&data);
    let mut c = Client::connect(&server.addr, &token).await.unwrap();
    c.call_raw("blackboard.post", json!({"text": "backed up"}))
        .await
        .unwrap();
    c.call_raw(
        "fs.write",
        json!({"path": "notes.md", "content": "# notes\n"}),
    )
    .await
    .unwrap();

    // A second server on the same data directory stops at once, and says why.
    let (ok, _, err) = cli(
        &data,
        &["serve", "--multi-user", "--listen", "127.0.0.1:0"],
        None,
    );
    assert!(
        !ok && err.contains("in use by another arranger process"),
        "{err}"
    );

    // Backup while the server runs; not into a directory that has something.
    let bk = t.path().join("backup");
    let bk_s = bk.to_str().unwrap();
    let (ok, out, err) = cli(&data, &["backup", "--out", bk_s], None);
    assert!(ok, "{err}");
    assert!(
        out.contains("1 users") && out.contains("keep it private"),
        "{out}"
    );
    let (ok, _, err) = cli(&data, &["backup", "--out", bk_s], None);
    assert!(!ok && err.contains("not an empty directory"), "{err}");

    // Restore: not over the running server, not into a non-empty directory.
    let (ok, _, err) = cli(&data, &["restore", "--from", bk_s, "--force"], None);
    assert!(!ok && err.contains("stop it first"), "{err}");
    let other = t.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("something"), b"x").unwrap();
    let (ok, _, err) = cli(&other, &["restore", "--from", bk_s], None);
    assert!(!ok && err.contains("--force"), "{err}");
    let restored = t.path().join("restored");
    let (ok, out, err) = cli(&restored, &["restore", "--from", bk_s], None);
    assert!(
        ok && out.contains("checked against its manifest"),
        "{out}{err}"
    );
    let server2 = serve(&restored);
    let mut c2 = Client::connect(&server2.addr, &token).await.unwrap();
    let h = c2.call_raw("blackboard.history", json!({})).await.unwrap();
    assert!(
        h["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["text"] == "backed up"),
        "{h}"
    );

    // Export from one running server, import into the other while it runs.
    c.call_raw(
        "secret.set",
        json!({"name": "API_TOKEN", "value": "s3cret-value"}),
    )
    .await
    .unwrap();
    let file = t.path().join("alice.tar.gz");
    let file_s = file.to_str().unwrap();
    let (ok, out, err) = cli(&data, &["user", "export", "alice", "--out", file_s], None);
    assert!(ok, "{err}");
    assert!(
        out.contains("API_TOKEN") && out.contains("cannot move"),
        "{out}"
    );
    let (ok, out, err) = cli(
        &restored,
        &["user", "import", file_s, "--name", "alice2"],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("token create alice2"), "{out}");
    let (ok, _, err) = cli(
        &restored,
        &["user", "import", file_s, "--name", "alice2"],
        None,
    );
    assert!(!ok && err.contains("already exists"), "{err}");
    let t2 = {
        let (ok, out, err) = cli(&restored, &["token", "create", "alice2"], None);
        assert!(ok, "{err}");
        out.trim().to_owned()
    };
    let mut c3 = Client::connect(&server2.addr, &t2).await.unwrap();
    let f = c3
        .call_raw("fs.read", json!({"path": "notes.md"}))
        .await
        .unwrap();
    assert_eq!(f["content"], "# notes\n");
    drop(server);
}
