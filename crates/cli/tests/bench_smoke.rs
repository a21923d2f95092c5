//! `arranger bench` runs end to end on a small scale and reports sane figures.

use serde_json::Value;
use std::process::Command;

#[test]
fn bench_runs_on_a_small_scale() {
    let out = Command::new(env!("CARGO_BIN_EXE_arranger"))
        .args([
            "bench",
            "--users",
            "30",
            "--active",
            "10",
            "--rate",
            "5",
            "--duration",
            "2",
            "--settle",
            "1",
        ])
        .output()
        .expect("run arranger bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "bench failed ({:?})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("no RESULT line in:\n{stdout}"));
    let r: Value = serde_json::from_str(line).expect("RESULT is JSON");
    assert_eq!(r["users"], 30, "{r}");
    assert_eq!(r["connected"], 30, "{r}");
    assert!(r["samples"].as_u64().unwrap_or(0) > 0, "{r}");
    assert_eq!(r["failed"], 0, "{r}");
    for key in ["baseline", "idle", "load_end"] {
        assert!(r[key]["rss_kib"].as_u64().unwrap_or(0) > 0, "{key}: {r}");
    }
    assert!(r["per_user_kib"].as_f64().unwrap_or(0.0) > 0.0, "{r}");
    assert!(r["latency"]["p99_ms"].as_f64().unwrap_or(0.0) > 0.0, "{r}");
}
