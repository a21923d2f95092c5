//! File watcher tests. Timeouts are generous: these check delivery and routing, not timing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use arranger_domain::fs::{FileChange, FileChangeKind};
use arranger_host::fs::{Workspace, WriteOptions};
use arranger_host::watch::WatchHub;
use tempfile::TempDir;
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout};

const WAIT: Duration = Duration::from_secs(10);
/// How long to listen when checking that something does *not* arrive (several debounce
/// periods).
const QUIET: Duration = Duration::from_millis(1200);

type Rx = mpsc::Receiver<Vec<FileChange>>;

fn change(path: &str, kind: FileChangeKind) -> FileChange {
    FileChange {
        path: path.to_owned(),
        kind,
    }
}

fn root_dir(tmp: &TempDir, name: &str) -> PathBuf {
    let root = tmp.path().canonicalize().unwrap().join(name);
    std::fs::create_dir_all(&root).unwrap();
    root
}

/// Collects changes until every expected change has been seen; returns all collected.
async fn expect(rx: &mut Rx, expected: &[FileChange]) -> Vec<FileChange> {
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        if expected.iter().all(|e| seen.contains(e)) {
            return seen;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match timeout(left, rx.recv()).await {
            Ok(Some(batch)) => seen.extend(batch),
            Ok(None) => panic!("channel closed; expected {expected:?}, saw {seen:?}"),
            Err(_) => panic!("timed out; expected {expected:?}, saw {seen:?}"),
        }
    }
}

/// Everything that arrives within `QUIET`.
async fn drain(rx: &mut Rx) -> Vec<FileChange> {
    let deadline = Instant::now() + QUIET;
    let mut seen = Vec::new();
    while let Ok(Some(batch)) = timeout(
        deadline.saturating_duration_since(Instant::now()),
        rx.recv(),
    )
    .await
    {
        seen.extend(batch);
    }
    seen
}

/// Lets the debouncer flush earlier events before the next step.
async fn settle(rx: &mut Rx) {
    drain(rx).await;
}

#[tokio::test]
async fn create_modify_rename_delete() {
    let tmp = tempfile::tempdir().unwrap();
    let root = root_dir(&tmp, "ws");
    let hub = WatchHub::new().unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let _guard = hub.watch(&root, Vec::new(), tx).unwrap();

    std::fs::write(root.join("a.txt"), b"one").unwrap();
    expect(&mut rx, &[change("a.txt", FileChangeKind::Created)]).await;
    settle(&mut rx).await;

    std::fs::write(root.join("a.txt"), b"two").unwrap();
    expect(&mut rx, &[change("a.txt", FileChangeKind::Modified)]).await;
    settle(&mut rx).await;

    std::fs::rename(root.join("a.txt"), root.join("b.txt")).unwrap();
    expect(
        &mut rx,
        &[
            change("a.txt", FileChangeKind::Removed),
            change("b.txt", FileChangeKind::Created),
        ],
    )
    .await;
    settle(&mut rx).await;

    std::fs::remove_file(root.join("b.txt")).unwrap();
    expect(&mut rx, &[change("b.txt", FileChangeKind::Removed)]).await;
    settle(&mut rx).await;

    // New directories are watched too.
    std::fs::create_dir_all(root.join("d/e")).unwrap();
    expect(&mut rx, &[change("d", FileChangeKind::Created)]).await;
    settle(&mut rx).await;
    std::fs::write(root.join("d/e/f.txt"), b"deep").unwrap();
    expect(&mut rx, &[change("d/e/f.txt", FileChangeKind::Created)]).await;
}

#[tokio::test]
async fn workspace_writes_report_the_file_not_the_temporary() {
    let tmp = tempfile::tempdir().unwrap();
    let root = root_dir(&tmp, "ws");
    let hub = WatchHub::new().unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let _guard = hub.watch(&root, Vec::new(), tx).unwrap();
    let ws = Workspace::new(&root);

    ws.write("w.txt", b"one", WriteOptions::default()).unwrap();
    let mut seen = expect(&mut rx, &[change("w.txt", FileChangeKind::Created)]).await;
    ws.write("w.txt", b"two", WriteOptions::default()).unwrap();
    seen.extend(drain(&mut rx).await);
    assert!(seen.iter().any(|c| c.path == "w.txt"), "{seen:?}");
    assert!(
        seen.iter().all(|c| c.path == "w.txt"),
        "temporary files leaked into the changes: {seen:?}"
    );
}

#[tokio::test]
async fn changes_go_only_to_their_root() {
    let tmp = tempfile::tempdir().unwrap();
    let a = root_dir(&tmp, "a");
    let b = root_dir(&tmp, "b");
    let hub = WatchHub::new().unwrap();
    let (tx_a, mut rx_a) = mpsc::channel(64);
    let (tx_b, mut rx_b) = mpsc::channel(64);
    let _ga = hub.watch(&a, Vec::new(), tx_a).unwrap();
    let _gb = hub.clone().watch(&b, Vec::new(), tx_b).unwrap();

    std::fs::write(a.join("only-a.txt"), b"a").unwrap();
    expect(&mut rx_a, &[change("only-a.txt", FileChangeKind::Created)]).await;
    let b_saw = drain(&mut rx_b).await;
    assert!(b_saw.is_empty(), "b saw a's change: {b_saw:?}");

    std::fs::write(b.join("only-b.txt"), b"b").unwrap();
    expect(&mut rx_b, &[change("only-b.txt", FileChangeKind::Created)]).await;
    let a_saw = drain(&mut rx_a).await;
    assert!(a_saw.is_empty(), "a saw b's change: {a_saw:?}");
}

#[tokio::test]
async fn two_subscribers_of_one_root_both_receive() {
    let tmp = tempfile::tempdir().unwrap();
    let root = root_dir(&tmp, "ws");
    let hub = WatchHub::new().unwrap();
    let (tx1, mut rx1) = mpsc::channel(64);
    let (tx2, mut rx2) = mpsc::channel(64);
    let g1 = hub.watch(&root, Vec::new(), tx1).unwrap();
    let _g2 = hub.watch(&root, Vec::new(), tx2).unwrap();

    std::fs::write(root.join("x"), b"x").unwrap();
    expect(&mut rx1, &[change("x", FileChangeKind::Created)]).await;
    expect(&mut rx2, &[change("x", FileChangeKind::Created)]).await;

    // Dropping one subscriber keeps the kernel watch for the other.
    drop(g1);
    std::fs::write(root.join("y"), b"y").unwrap();
    expect(&mut rx2, &[change("y", FileChangeKind::Created)]).await;
}

#[tokio::test]
async fn hidden_names_are_filtered() {
    let tmp = tempfile::tempdir().unwrap();
    let root = root_dir(&tmp, "ws");
    std::fs::create_dir(root.join(".arranger")).unwrap();
    std::fs::create_dir(root.join("sub")).unwrap();
    let hub = WatchHub::new().unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let _guard = hub.watch(&root, vec![".arranger".to_owned()], tx).unwrap();

    std::fs::write(root.join(".arranger/db"), b"secret").unwrap();
    std::fs::write(root.join(".arranger/db"), b"secret 2").unwrap();
    std::fs::create_dir(root.join(".arranger/new")).unwrap();
    std::fs::write(root.join("visible.txt"), b"v").unwrap();
    std::fs::write(root.join("sub/.arranger"), b"not hidden below the top").unwrap();
    let mut seen = expect(
        &mut rx,
        &[
            change("visible.txt", FileChangeKind::Created),
            change("sub/.arranger", FileChangeKind::Created),
        ],
    )
    .await;
    seen.extend(drain(&mut rx).await);
    assert!(
        !seen.iter().any(|c| c.path.starts_with(".arranger")),
        "{seen:?}"
    );
}

#[tokio::test]
async fn dropping_the_guard_stops_delivery() {
    let tmp = tempfile::tempdir().unwrap();
    let root = root_dir(&tmp, "ws");
    let hub = WatchHub::new().unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let guard = hub.watch(&root, Vec::new(), tx).unwrap();
    assert_eq!(guard.root(), root.as_path());

    std::fs::write(root.join("before"), b"x").unwrap();
    expect(&mut rx, &[change("before", FileChangeKind::Created)]).await;
    settle(&mut rx).await;

    drop(guard);
    std::fs::write(root.join("after"), b"x").unwrap();
    // The only sender lived in the subscription: the channel closes without more changes.
    match timeout(WAIT, rx.recv()).await {
        Ok(None) => {}
        Ok(Some(batch)) => panic!("received after the guard was dropped: {batch:?}"),
        Err(_) => panic!("the channel did not close"),
    }
}

#[tokio::test]
async fn nested_roots_route_to_the_longest_prefix() {
    let tmp = tempfile::tempdir().unwrap();
    let outer = root_dir(&tmp, "outer");
    let inner = root_dir(&tmp, "outer/inner");
    let hub = WatchHub::new().unwrap();
    let (tx_o, mut rx_o) = mpsc::channel(64);
    let (tx_i, mut rx_i) = mpsc::channel(64);
    let g_outer = hub.watch(&outer, Vec::new(), tx_o).unwrap();
    let g_inner = hub.watch(&inner, Vec::new(), tx_i).unwrap();

    std::fs::write(inner.join("x"), b"x").unwrap();
    expect(&mut rx_i, &[change("x", FileChangeKind::Created)]).await;
    std::fs::write(outer.join("y"), b"y").unwrap();
    let outer_saw = expect(&mut rx_o, &[change("y", FileChangeKind::Created)]).await;
    assert!(
        outer_saw.iter().all(|c| !c.path.starts_with("inner/")),
        "{outer_saw:?}"
    );
    settle(&mut rx_i).await;
    settle(&mut rx_o).await;

    // Without the inner subscription, its changes belong to the outer root.
    drop(g_inner);
    std::fs::write(inner.join("z"), b"z").unwrap();
    expect(&mut rx_o, &[change("inner/z", FileChangeKind::Created)]).await;

    // And the other way round: an inner root keeps working when the outer one goes away.
    let (tx_i, mut rx_i) = mpsc::channel(64);
    let _g_inner = hub.watch(&inner, Vec::new(), tx_i).unwrap();
    settle(&mut rx_o).await;
    drop(g_outer);
    std::fs::write(inner.join("w"), b"w").unwrap();
    expect(&mut rx_i, &[change("w", FileChangeKind::Created)]).await;
}

#[tokio::test]
async fn a_slow_consumer_does_not_block_others() {
    let tmp = tempfile::tempdir().unwrap();
    let slow_root = root_dir(&tmp, "slow");
    let fast_root = root_dir(&tmp, "fast");
    let hub = WatchHub::new().unwrap();
    let (tx_slow, rx_slow) = mpsc::channel(1);
    let (tx_fast, mut rx_fast) = mpsc::channel(64);
    let _gs = hub.watch(&slow_root, Vec::new(), tx_slow).unwrap();
    let _gf = hub.watch(&fast_root, Vec::new(), tx_fast).unwrap();

    // Fill the slow consumer's channel over several debounce periods; never read it.
    for round in 0..4 {
        std::fs::write(slow_root.join(format!("s{round}")), b"s").unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    std::fs::write(fast_root.join("f"), b"f").unwrap();
    expect(&mut rx_fast, &[change("f", FileChangeKind::Created)]).await;
    drop(rx_slow);
}

#[tokio::test]
async fn watching_a_missing_root_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = WatchHub::new().unwrap();
    let (tx, _rx) = mpsc::channel(1);
    assert!(
        hub.watch(&tmp.path().join("missing"), Vec::new(), tx.clone())
            .is_err()
    );
    let file = tmp.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    assert!(hub.watch(Path::new(&file), Vec::new(), tx).is_err());
}

#[tokio::test]
async fn links_out_of_the_root_are_not_watched() {
    let tmp = tempfile::tempdir().unwrap();
    let root = root_dir(&tmp, "ws");
    let outside = root_dir(&tmp, "outside");
    std::os::unix::fs::symlink(&outside, root.join("out")).unwrap();
    let hub = WatchHub::new().unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let _guard = hub.watch(&root, Vec::new(), tx).unwrap();

    std::fs::write(outside.join("secret.txt"), b"secret").unwrap();
    std::fs::write(root.join("marker"), b"m").unwrap();
    let mut seen = expect(&mut rx, &[change("marker", FileChangeKind::Created)]).await;
    seen.extend(drain(&mut rx).await);
    assert!(!seen.iter().any(|c| c.path.contains("secret")), "{seen:?}");
}
