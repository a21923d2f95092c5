//! Sandbox overhead: `true` run through `exec::run` (bash, Landlock ruleset built and
//! applied, capabilities dropped) against a plain `tokio::process::Command` spawn + wait of
//! `/bin/true`. 500 iterations each; prints p50/p99. Target: sandboxed p99 ≤ 5 ms.
//!
//! Run with `cargo bench -p arranger-host --bench sandbox`.

use arranger_host::exec::{self, NetworkPolicy, SandboxConfig, SandboxMode};
use std::time::{Duration, Instant};

const ITERATIONS: usize = 500;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn row(name: &str, mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    let (p50, p99) = (percentile(&v, 0.50), percentile(&v, 0.99));
    println!(
        "| {name:<34} | {:>8.2} | {:>8.2} | {:>8.2} |",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        v[v.len() - 1].as_secs_f64() * 1e3
    );
    (p50, p99)
}

fn main() {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start a runtime: {e}");
            std::process::exit(1);
        }
    };
    rt.block_on(async {
        let Ok(dir) = tempfile::tempdir() else {
            eprintln!("cannot create a temporary directory");
            std::process::exit(1);
        };
        let ws = dir.path().join("users/u/workspace");
        if let Err(e) = std::fs::create_dir_all(&ws) {
            eprintln!("cannot create the workspace: {e}");
            std::process::exit(1);
        }
        let cfg = SandboxConfig::new(dir.path().join("users/u/tmp"), SandboxMode::Required);
        let mut deny = cfg.clone();
        deny.network = NetworkPolicy::Deny;
        println!(
            "Landlock ABI {}, {} read-only rules, {ITERATIONS} iterations each",
            arranger_host::sandbox::landlock_abi(),
            cfg.read_only.len()
        );
        let mut plain = Vec::with_capacity(ITERATIONS);
        let mut prepare = Vec::with_capacity(ITERATIONS);
        let mut sandboxed = Vec::with_capacity(ITERATIONS);
        let mut sandboxed_deny = Vec::with_capacity(ITERATIONS);
        for _ in 0..ITERATIONS {
            let t = Instant::now();
            let ok = tokio::process::Command::new("/bin/true")
                .status()
                .await
                .map(|s| s.success())
                .unwrap_or(false);
            plain.push(t.elapsed());
            assert!(ok, "/bin/true failed");

            let t = Instant::now();
            let p = cfg.prepare(&ws);
            prepare.push(t.elapsed());
            assert!(p.is_ok(), "prepare failed");

            for (c, out) in [(&cfg, &mut sandboxed), (&deny, &mut sandboxed_deny)] {
                let t = Instant::now();
                let r = exec::run(&ws, c, "true", Duration::from_secs(10)).await;
                out.push(t.elapsed());
                match r {
                    Ok(r) if r.exit_code == Some(0) => {}
                    other => panic!("sandboxed true failed: {other:?}"),
                }
            }
        }
        println!(
            "| {:<34} | {:>8} | {:>8} | {:>8} |",
            "ms", "p50", "p99", "max"
        );
        println!("|{:-<36}|{:-<10}|{:-<10}|{:-<10}|", "", "", "", "");
        let (p50, p99) = row("plain spawn+wait /bin/true", plain);
        row("SandboxConfig::prepare only", prepare);
        let (s50, s99) = row("exec::run \"true\" (bash, sandboxed)", sandboxed);
        row("  same, NetworkPolicy::Deny", sandboxed_deny);
        let over99 = s99.saturating_sub(p99);
        println!(
            "overhead: p50 {:.2} ms, p99 {:.2} ms (target p99 <= 5 ms: {})",
            s50.saturating_sub(p50).as_secs_f64() * 1e3,
            over99.as_secs_f64() * 1e3,
            if over99 <= Duration::from_millis(5) {
                "met"
            } else {
                "NOT met"
            }
        );
    });
}
