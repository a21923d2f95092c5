//! Builds an index of a directory (cold, fresh cache) and prints its throughput: wall time
//! and the process's CPU time (user + system) during the build.
//!
//! `cargo run --release -p arranger-context --example build_speed -- <dir> [runs]`

use arranger_context::{ParseCache, WorkspaceIndex};
use std::sync::Arc;
use std::time::Instant;

/// The process's user + system CPU seconds (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which ends with the last ')'): utime is the 12th, stime
    // the 13th, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let root = std::fs::canonicalize(args.next().ok_or("usage: build_speed <dir> [runs]")?)?;
    let runs: usize = args.next().map_or(Ok(1), |r| r.parse())?;
    for _ in 0..runs {
        let index = WorkspaceIndex::new(root.clone(), Arc::new(ParseCache::default()))?;
        let (t, c) = (Instant::now(), cpu_seconds());
        index.build(&|_| {}).map_err(|e| e.to_string())?;
        let (wall, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
        let st = index.status();
        let mb = st.bytes as f64 / 1e6;
        println!(
            "build: {} files, {mb:.1} MB, {} chunks: wall {wall:.2} s = {:.1} MB/s, cpu {cpu:.2} s = {:.1} MB/cpu-s",
            st.files,
            st.chunks,
            mb / wall,
            mb / cpu
        );
    }
    Ok(())
}
