//! `arranger bench`: measures memory per connected user and event latency against a
//! fresh server running as a separate child process.
//!
//! Phases:
//! 1. provision N users and one API token each in a temporary data directory;
//! 2. start `<server-bin> serve --multi-user` on `127.0.0.1:0` and read its address;
//! 3. record the server's resident memory (baseline);
//! 4. open one subscribed WebSocket per user (`events.subscribe {"since": 0}`, replay read);
//! 5. wait `--settle` seconds, then record memory again: (RSS − baseline) / N per user;
//! 6. give the first M users a second connection that posts to the Blackboard at `--rate`
//!    posts per second; time each post until its `message_added` event reaches the user's
//!    subscriber;
//! 7. print a report and one `RESULT {json}` line.

use anyhow::{Context, Result, anyhow, bail};
use arranger_client::Client;
use arranger_store::{SqliteDirectory, TokenKind, UserDirectory};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::AbortHandle;

/// How long one post may wait for its event before it counts as timed out.
const EVENT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long connecting (upgrade, subscribe, replay) may take per connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the server may take to print its address.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// Kernel clock ticks per second for `/proc/<pid>/stat` (USER_HZ, 100 on Linux).
const USER_HZ: f64 = 100.0;
/// Slowest latency samples listed in the report.
const SLOWEST_SHOWN: usize = 10;
/// Error messages kept per kind of failure, for the report.
const ERROR_KINDS_SHOWN: usize = 5;

/// Options of `arranger bench`.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Users to provision and connect (one subscribed connection each).
    #[arg(long, default_value_t = 10_000)]
    pub users: usize,
    /// Users that post during the latency phase (each opens a second connection).
    #[arg(long, default_value_t = 1_000)]
    pub active: usize,
    /// Posts per active user per second.
    #[arg(long, default_value_t = 1.0)]
    pub rate: f64,
    /// Seconds of load in the latency phase.
    #[arg(long, default_value_t = 20.0)]
    pub duration: f64,
    /// Seconds to wait after connecting before measuring idle memory (idle SQLite
    /// handles close after 15 s).
    #[arg(long, default_value_t = 20.0)]
    pub settle: f64,
    /// Connections being opened at the same time.
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,
    /// The `arranger` binary to run as the server (default: this executable).
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
    /// Keep the temporary data directory and the server's log (the path is printed).
    #[arg(long)]
    pub keep_data: bool,
}

/// Runs the benchmark and prints its report.
pub fn run(args: BenchArgs) -> Result<()> {
    validate(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the client runtime")?;
    runtime.block_on(bench(args))
}

fn validate(a: &BenchArgs) -> Result<()> {
    if a.users == 0 {
        bail!("--users must be at least 1");
    }
    if a.active > a.users {
        bail!(
            "--active ({}) cannot exceed --users ({})",
            a.active,
            a.users
        );
    }
    if !(a.rate.is_finite() && a.rate > 0.0) {
        bail!("--rate must be a positive number of posts per second");
    }
    if !(a.duration.is_finite() && a.duration >= 0.0) {
        bail!("--duration must be zero or more seconds");
    }
    if !(a.settle.is_finite() && a.settle >= 0.0) {
        bail!("--settle must be zero or more seconds");
    }
    if a.connect_concurrency == 0 {
        bail!("--connect-concurrency must be at least 1");
    }
    Ok(())
}

// ----- the server child process ------------------------------------------------------------

/// The server under test; killed when dropped, whatever happened.
struct ServerProcess {
    child: Child,
    pid: u32,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the server and waits for its "listening on http://ADDR/" line.
fn spawn_server(bin: &Path, data: &Path, log: &Path) -> Result<(ServerProcess, String)> {
    let stderr = std::fs::File::create(log)
        .with_context(|| format!("cannot create the server log {}", log.display()))?;
    let child = Command::new(bin)
        .arg("serve")
        .arg("--multi-user")
        .args(["--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(data)
        .args(["--rate-limit", "1000"])
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr))
        .spawn()
        .with_context(|| format!("cannot start the server {}", bin.display()))?;
    let pid = child.id();
    let mut server = ServerProcess { child, pid };
    let stdout = server
        .child
        .stdout
        .take()
        .context("the server's standard output is not captured")?;
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    // Reads every line, so that the pipe never fills up; forwards while someone listens.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = match rx.recv_timeout(left) {
            Ok(l) => l,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                bail!(
                    "the server did not say where it listens within {} s; its log:\n{}",
                    STARTUP_TIMEOUT.as_secs(),
                    tail(log, 20)
                );
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                let status = server.child.wait().ok();
                bail!(
                    "the server exited before listening ({status:?}); its log:\n{}",
                    tail(log, 20)
                );
            }
        };
        if let Some(rest) = line.split("listening on http://").nth(1) {
            let addr = rest.trim().trim_end_matches('/').to_owned();
            if addr.is_empty() {
                bail!("cannot read the server's address from {line:?}");
            }
            return Ok((server, addr));
        }
    }
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Warnings and errors in the server's log: how many, and the first few lines.
fn log_problems(path: &Path) -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let bad: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .collect();
    let first = bad
        .iter()
        .take(ERROR_KINDS_SHOWN)
        .map(|l| strip_ansi(l).chars().take(400).collect())
        .collect();
    (bad.len(), first)
}

/// Removes terminal colour sequences (`ESC [ … m`).
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

// ----- /proc -------------------------------------------------------------------------------

/// A look at a process through `/proc`.
#[derive(Clone, Debug, Default)]
struct ProcSnapshot {
    rss_kib: u64,
    rss_anon_kib: u64,
    threads: u64,
    fds: usize,
    fd_sockets: usize,
    fd_files: usize,
    cpu_ticks: u64,
    at: Option<Instant>,
}

impl ProcSnapshot {
    fn read(pid: &str, with_fds: bool) -> Result<ProcSnapshot> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .with_context(|| format!("cannot read /proc/{pid}/status (has the process died?)"))?;
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let mut s = ProcSnapshot {
            rss_kib: field("VmRSS:"),
            rss_anon_kib: field("RssAnon:"),
            threads: field("Threads:"),
            at: Some(Instant::now()),
            ..ProcSnapshot::default()
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .with_context(|| format!("cannot read /proc/{pid}/stat"))?;
        // Fields after the command name (which may hold spaces): state is field 3,
        // utime field 14 and stime field 15.
        if let Some(rest) = stat.rsplit(')').next() {
            let f: Vec<&str> = rest.split_whitespace().collect();
            let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            s.cpu_ticks = num(11) + num(12);
        }
        if with_fds {
            let dir = std::fs::read_dir(format!("/proc/{pid}/fd"))
                .with_context(|| format!("cannot list /proc/{pid}/fd"))?;
            for entry in dir.flatten() {
                s.fds += 1;
                match std::fs::read_link(entry.path()) {
                    Ok(target) if target.to_string_lossy().starts_with("socket:") => {
                        s.fd_sockets += 1
                    }
                    Ok(target) if target.is_absolute() => s.fd_files += 1,
                    _ => {}
                }
            }
        }
        Ok(s)
    }

    /// CPU cores used on average between `earlier` and this snapshot (0 when less than a
    /// second apart: the tick counts are too coarse for that).
    fn cores_since(&self, earlier: &ProcSnapshot) -> f64 {
        match (self.at, earlier.at) {
            (Some(a), Some(b)) if a > b + Duration::from_secs(1) => {
                let ticks = self.cpu_ticks.saturating_sub(earlier.cpu_ticks) as f64;
                ticks / USER_HZ / (a - b).as_secs_f64()
            }
            _ => 0.0,
        }
    }

    fn json(&self) -> Value {
        json!({
            "rss_kib": self.rss_kib,
            "rss_anon_kib": self.rss_anon_kib,
            "threads": self.threads,
            "fds": self.fds,
            "fd_sockets": self.fd_sockets,
            "fd_files": self.fd_files,
        })
    }

    fn line(&self) -> String {
        format!(
            "RSS {} (anon {}), {} threads, {} fds ({} sockets, {} files)",
            mib(self.rss_kib),
            mib(self.rss_anon_kib),
            self.threads,
            self.fds,
            self.fd_sockets,
            self.fd_files
        )
    }
}

/// Busy CPU ticks of the whole machine (all cores), from `/proc/stat`.
fn machine_busy_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().find(|l| l.starts_with("cpu "))?;
    let f: Vec<u64> = cpu
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal …; busy = all but idle and iowait.
    let total: u64 = f.iter().take(8).sum();
    let idle = f.get(3).copied().unwrap_or(0) + f.get(4).copied().unwrap_or(0);
    Some(total.saturating_sub(idle))
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

// ----- failures ----------------------------------------------------------------------------

/// Failures counted by kind (the error's message), for the report.
#[derive(Default)]
struct Failures {
    count: AtomicU64,
    kinds: Mutex<HashMap<String, u64>>,
}

impl Failures {
    fn add(&self, e: &anyhow::Error) {
        self.count.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut k) = self.kinds.lock() {
            *k.entry(format!("{e:#}")).or_default() += 1;
        }
    }

    fn total(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The most frequent kinds, most frequent first.
    fn top(&self) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self
            .kinds
            .lock()
            .map(|k| k.iter().map(|(m, n)| (m.clone(), *n)).collect())
            .unwrap_or_default();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(ERROR_KINDS_SHOWN);
        v
    }

    fn json(&self) -> Value {
        Value::Array(
            self.top()
                .into_iter()
                .map(|(m, n)| json!({"error": m, "count": n}))
                .collect(),
        )
    }
}

// ----- latency bookkeeping -----------------------------------------------------------------

/// Posts in flight and the latencies measured so far, shared by writers and subscribers.
#[derive(Default)]
struct Latencies {
    /// Post number → when it was sent.
    pending: Mutex<HashMap<u64, Instant>>,
    /// Send-to-event times (and send times) of the posts whose event arrived within
    /// [`EVENT_TIMEOUT`].
    samples: Mutex<Vec<(Duration, Instant)>>,
    /// Events that arrived, but later than [`EVENT_TIMEOUT`].
    late: AtomicU64,
    /// `message_added` events of bench posts nobody waited for (e.g. after a failed call).
    unexpected: AtomicU64,
    /// Subscriber connections that ended while they should have stayed open.
    lost: Failures,
}

impl Latencies {
    fn sent(&self, n: u64, at: Instant) {
        if let Ok(mut p) = self.pending.lock() {
            p.insert(n, at);
        }
    }

    fn forget(&self, n: u64) {
        if let Ok(mut p) = self.pending.lock() {
            p.remove(&n);
        }
    }

    fn arrived(&self, n: u64, at: Instant) {
        let sent = self.pending.lock().ok().and_then(|mut p| p.remove(&n));
        match sent {
            Some(t) => {
                let d = at.saturating_duration_since(t);
                if d > EVENT_TIMEOUT {
                    self.late.fetch_add(1, Ordering::Relaxed);
                } else if let Ok(mut s) = self.samples.lock() {
                    s.push((d, t));
                }
            }
            None => {
                self.unexpected.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn pending(&self) -> usize {
        self.pending.lock().map(|p| p.len()).unwrap_or(0)
    }
}

/// Reads one subscriber's notifications until aborted; reports bench posts' events.
async fn read_events(mut client: Client, lat: Arc<Latencies>) {
    loop {
        match client.next_notification().await {
            Ok((method, params)) => {
                if method != "event" {
                    continue;
                }
                let arrived = Instant::now();
                let event = params.get("event").unwrap_or(&Value::Null);
                if event.get("type").and_then(Value::as_str) != Some("message_added") {
                    continue;
                }
                let n = event
                    .pointer("/message/text")
                    .and_then(Value::as_str)
                    .and_then(|t| t.strip_prefix("bench "))
                    .and_then(|n| n.parse::<u64>().ok());
                if let Some(n) = n {
                    lat.arrived(n, arrived);
                }
            }
            Err(e) => {
                lat.lost
                    .add(&anyhow!(e).context("a subscriber connection ended"));
                return;
            }
        }
    }
}

// ----- connecting --------------------------------------------------------------------------

/// How long each step of opening a subscriber took.
#[derive(Clone, Copy, Default)]
struct ConnectSteps {
    /// TCP connect and WebSocket upgrade (authentication, context activation).
    upgrade: Duration,
    /// The `events.subscribe` call.
    subscribe: Duration,
    /// Reading the replayed events.
    replay: Duration,
}

/// Connects, subscribes from the start and reads the replay; returns the client, how many
/// events were replayed and how long each step took.
async fn subscribe(addr: &str, token: &str) -> Result<(Client, u64, ConnectSteps)> {
    let mut steps = ConnectSteps::default();
    let t = Instant::now();
    let mut c = Client::connect(addr, token)
        .await
        .context("WebSocket connect")?;
    steps.upgrade = t.elapsed();
    let t = Instant::now();
    c.set_timeout(CONNECT_TIMEOUT);
    let r = c
        .call_raw("events.subscribe", json!({"since": 0}))
        .await
        .context("events.subscribe")?;
    let last = r
        .get("last_seq")
        .and_then(Value::as_u64)
        .with_context(|| format!("events.subscribe answered without last_seq: {r}"))?;
    steps.subscribe = t.elapsed();
    let t = Instant::now();
    let mut seen = 0;
    let mut replayed = 0;
    while seen < last {
        let e = c
            .next_event()
            .await
            .context("reading the replayed events")?;
        seen = e
            .get("seq")
            .and_then(Value::as_u64)
            .with_context(|| format!("an event without seq: {e}"))?;
        replayed += 1;
    }
    steps.replay = t.elapsed();
    // From now on the subscriber waits for as long as the benchmark runs.
    c.set_timeout(Duration::from_secs(24 * 3600));
    Ok((c, replayed, steps))
}

/// What opening a set of connections produced.
struct Opened<T> {
    items: Vec<T>,
    failures: Failures,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

/// Runs `open(i)` for every `i` in `0..n`, at most `concurrency` at a time, each on its own
/// task; keeps what succeeded, in index order.
async fn open_all<T, F, Fut>(n: usize, concurrency: usize, open: F) -> Opened<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<T>> + Send + 'static,
{
    let started = Instant::now();
    let slots = Arc::new(Semaphore::new(concurrency));
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, Duration, Result<T>)>();
    for i in 0..n {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            break;
        };
        let fut = open(i);
        let tx = tx.clone();
        tokio::spawn(async move {
            let t = Instant::now();
            let r = match tokio::time::timeout(CONNECT_TIMEOUT, fut).await {
                Ok(r) => r,
                Err(_) => Err(anyhow!("timed out after {} s", CONNECT_TIMEOUT.as_secs())),
            };
            drop(permit);
            let _ = tx.send((i, t.elapsed(), r));
        });
    }
    drop(tx);
    let mut slots: Vec<Option<T>> = (0..n).map(|_| None).collect();
    let failures = Failures::default();
    let mut latencies = Vec::with_capacity(n);
    while let Some((i, took, r)) = rx.recv().await {
        match r {
            Ok(item) => {
                latencies.push(took);
                slots[i] = Some(item);
            }
            Err(e) => failures.add(&e),
        }
    }
    Opened {
        items: slots.into_iter().flatten().collect(),
        failures,
        elapsed: started.elapsed(),
        latencies,
    }
}

// ----- statistics --------------------------------------------------------------------------

/// Nearest-rank percentiles (in ms) of a set of durations.
struct Percentiles {
    count: usize,
    p50: f64,
    p90: f64,
    p99: f64,
    p999: f64,
    max: f64,
    mean: f64,
}

impl Percentiles {
    fn of(samples: &mut [Duration]) -> Percentiles {
        samples.sort_unstable();
        let n = samples.len();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let at = |q: f64| -> f64 {
            if n == 0 {
                return 0.0;
            }
            let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
            ms(samples[rank - 1])
        };
        let mean = if n == 0 {
            0.0
        } else {
            samples.iter().map(|d| ms(*d)).sum::<f64>() / n as f64
        };
        Percentiles {
            count: n,
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            p999: at(0.999),
            max: samples.last().map(|d| ms(*d)).unwrap_or(0.0),
            mean,
        }
    }

    fn json(&self) -> Value {
        let r = |x: f64| (x * 100.0).round() / 100.0;
        json!({
            "count": self.count,
            "p50_ms": r(self.p50),
            "p90_ms": r(self.p90),
            "p99_ms": r(self.p99),
            "p999_ms": r(self.p999),
            "max_ms": r(self.max),
            "mean_ms": r(self.mean),
        })
    }

    fn line(&self) -> String {
        format!(
            "n={} p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms (mean {:.2} ms)",
            self.count, self.p50, self.p90, self.p99, self.p999, self.max, self.mean
        )
    }
}

// ----- the benchmark -----------------------------------------------------------------------

fn user_name(i: usize) -> String {
    format!("u{i:05}")
}

/// Creates the users and their tokens; returns the tokens in user order.
fn provision(db: &Path, n: usize) -> Result<Vec<String>> {
    let dir = SqliteDirectory::open(db)
        .with_context(|| format!("cannot open the user directory {}", db.display()))?;
    let mut tokens = Vec::with_capacity(n);
    for i in 0..n {
        let name = user_name(i);
        dir.add_user(&name, false, None)
            .with_context(|| format!("cannot add user {name}"))?;
        let (_, secret) = dir
            .create_token(&name, TokenKind::Api, "bench", None)
            .with_context(|| format!("cannot create a token for {name}"))?;
        tokens.push(secret);
    }
    Ok(tokens)
}

async fn bench(args: BenchArgs) -> Result<()> {
    let server_bin = match &args.server_bin {
        Some(p) => p.clone(),
        None => std::env::current_exe().context("cannot find this executable")?,
    };
    let temp = tempfile::Builder::new()
        .prefix("arranger-bench-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let data = temp.path().join("data");
    let log = temp.path().join("server.log");
    std::fs::create_dir_all(&data).with_context(|| format!("cannot create {}", data.display()))?;
    eprintln!("bench: data in {}", temp.path().display());

    let result = measure(&args, &server_bin, &data, &log).await;
    let (log_lines, log_first) = log_problems(&log);
    if log_lines > 0 {
        println!("server log: {log_lines} warning/error lines; the first:");
        for l in &log_first {
            println!("    {l}");
        }
    } else {
        println!("server log: no warnings or errors");
    }
    if args.keep_data {
        let kept = temp.keep();
        eprintln!("bench: kept {}", kept.display());
    }
    let mut report = result?;
    report["server_log_problems"] = json!({"lines": log_lines, "first": log_first});
    println!("RESULT {report}");
    Ok(())
}

/// Every phase; returns the figures as JSON (after printing the human-readable report).
async fn measure(args: &BenchArgs, server_bin: &Path, data: &Path, log: &Path) -> Result<Value> {
    let n = args.users;
    let m = args.active;

    // 1. Users and tokens, straight into the directory the server reads.
    let t = Instant::now();
    let db = data.join("arranger.db");
    let tokens = tokio::task::spawn_blocking(move || provision(&db, n))
        .await
        .context("provisioning panicked")??;
    let provision_s = t.elapsed().as_secs_f64();
    eprintln!("bench: provisioned {n} users and tokens in {provision_s:.1} s");
    let tokens: Arc<Vec<String>> = Arc::new(tokens);

    // 2. The server, as a child process.
    let (server, addr) = spawn_server(server_bin, data, log)?;
    let pid = server.pid.to_string();
    eprintln!("bench: server pid {pid} listening on {addr}");
    let addr: Arc<str> = Arc::from(addr.as_str());

    // 3. Baseline: give it a moment to finish starting its background work.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let baseline = ProcSnapshot::read(&pid, true)?;

    // 4. One subscribed connection per user.
    eprintln!(
        "bench: connecting {n} subscribers ({} at a time)",
        args.connect_concurrency
    );
    let lat = Arc::new(Latencies::default());
    let replayed = Arc::new(AtomicU64::new(0));
    let subs = {
        let (addr, tokens, lat, replayed) =
            (addr.clone(), tokens.clone(), lat.clone(), replayed.clone());
        open_all(n, args.connect_concurrency, move |i| {
            let (addr, tokens, lat, replayed) =
                (addr.clone(), tokens.clone(), lat.clone(), replayed.clone());
            async move {
                let (client, r, steps) = subscribe(&addr, &tokens[i]).await?;
                replayed.fetch_add(r, Ordering::Relaxed);
                Ok((
                    i,
                    tokio::spawn(read_events(client, lat)).abort_handle(),
                    steps,
                ))
            }
        })
        .await
    };
    let mut subscribed_users = Vec::with_capacity(subs.items.len());
    let mut readers: Vec<AbortHandle> = Vec::with_capacity(subs.items.len());
    let mut steps: Vec<ConnectSteps> = Vec::with_capacity(subs.items.len());
    for (i, reader, s) in subs.items {
        subscribed_users.push(i);
        readers.push(reader);
        steps.push(s);
    }
    let step = |f: fn(&ConnectSteps) -> Duration| {
        let mut v: Vec<Duration> = steps.iter().map(f).collect();
        Percentiles::of(&mut v)
    };
    let upgrade_pct = step(|s| s.upgrade);
    let subscribe_pct = step(|s| s.subscribe);
    let replay_pct = step(|s| s.replay);
    let connected = readers.len();
    let connect_s = subs.elapsed.as_secs_f64();
    let mut connect_lat = subs.latencies;
    let connect_pct = Percentiles::of(&mut connect_lat);
    let after_connect = ProcSnapshot::read(&pid, true)?;
    eprintln!(
        "bench: {connected}/{n} subscribed in {connect_s:.1} s ({} failed); server {}",
        subs.failures.total(),
        after_connect.line()
    );
    for (e, count) in subs.failures.top() {
        eprintln!("    {count} × {e}");
    }

    // 5. Idle memory.
    if args.settle > 0.0 {
        eprintln!("bench: settling {} s", args.settle);
        tokio::time::sleep(Duration::from_secs_f64(args.settle)).await;
    }
    let idle = ProcSnapshot::read(&pid, true)?;
    let per_user_kib = if connected > 0 {
        idle.rss_kib.saturating_sub(baseline.rss_kib) as f64 / connected as f64
    } else {
        0.0
    };
    let per_user_anon_kib = if connected > 0 {
        idle.rss_anon_kib.saturating_sub(baseline.rss_anon_kib) as f64 / connected as f64
    } else {
        0.0
    };
    eprintln!(
        "bench: idle: {:.1} KiB per connected user; server {}",
        per_user_kib,
        idle.line()
    );

    // 6. Latency under load: a second connection per active user posts; the first sees
    //    the event.
    //    Only users whose subscriber is connected get a writer.
    let active = m.min(connected);
    let active_users: Arc<Vec<usize>> = Arc::new(subscribed_users[..active].to_vec());
    eprintln!("bench: connecting {active} writers");
    let writers = {
        let (addr, tokens, users) = (addr.clone(), tokens.clone(), active_users.clone());
        open_all(active, args.connect_concurrency, move |i| {
            let (addr, tokens, users) = (addr.clone(), tokens.clone(), users.clone());
            async move {
                let mut c = Client::connect(&addr, &tokens[users[i]])
                    .await
                    .context("WebSocket connect (writer)")?;
                c.set_timeout(EVENT_TIMEOUT);
                Ok(c)
            }
        })
        .await
    };
    let writer_failures = writers.failures;
    let writer_count = writers.items.len();
    let posts_each = (args.duration * args.rate).floor() as u64;
    let period = Duration::from_secs_f64(1.0 / args.rate);
    eprintln!(
        "bench: {writer_count} writers × {posts_each} posts at {} /s each ({:.0} posts/s in all) for {} s",
        args.rate,
        writer_count as f64 * args.rate,
        args.duration
    );
    let post_failures = Arc::new(Failures::default());
    let posted = Arc::new(AtomicU64::new(0));
    let load_start = ProcSnapshot::read(&pid, false)?;
    let client_load_start = ProcSnapshot::read("self", false)?;
    let machine_load_start = machine_busy_ticks();
    let start = Instant::now() + Duration::from_millis(200);
    let mut tasks = Vec::with_capacity(writer_count);
    for (i, client) in writers.items.into_iter().enumerate() {
        let offset = period.mul_f64(i as f64 / writer_count.max(1) as f64);
        let (lat, fails, posted) = (lat.clone(), post_failures.clone(), posted.clone());
        let wc = writer_count as u64;
        tasks.push(tokio::spawn(write_posts(
            client,
            WriterPlan {
                index: i as u64,
                writers: wc,
                first: start + offset,
                period,
                posts: posts_each,
            },
            lat,
            fails,
            posted,
        )));
    }
    for t in tasks {
        if let Err(e) = t.await {
            post_failures.add(&anyhow!(e).context("a writer task failed"));
        }
    }
    let load_elapsed = start.elapsed();
    // Wait for the last events (at most the per-event timeout).
    let wait_until = Instant::now() + EVENT_TIMEOUT;
    while lat.pending() > 0 && Instant::now() < wait_until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let load_end = ProcSnapshot::read(&pid, true)?;
    let client_load_end = ProcSnapshot::read("self", false)?;
    let machine_load_end = machine_busy_ticks();
    let timed_out = {
        let mut p = lat
            .pending
            .lock()
            .map_err(|_| anyhow!("latency bookkeeping poisoned"))?;
        let k = p.len() as u64;
        p.clear();
        k + lat.late.load(Ordering::Relaxed)
    };
    let timed: Vec<(Duration, Instant)> = lat
        .samples
        .lock()
        .map_err(|_| anyhow!("latency bookkeeping poisoned"))?
        .clone();
    let mut samples: Vec<Duration> = timed.iter().map(|(d, _)| *d).collect();
    let pct = Percentiles::of(&mut samples);
    let over_5ms = samples
        .iter()
        .filter(|d| **d > Duration::from_millis(5))
        .count();
    let by_second = per_second(&timed, start);
    let slowest = slowest_samples(timed, start);
    let posted = posted.load(Ordering::Relaxed);
    let failed = post_failures.total() + timed_out;
    let server_cores = load_end.cores_since(&load_start);
    let client_cores = client_load_end.cores_since(&client_load_start);
    // Everything else on the machine (other processes compete for the same cores).
    let other_cores = match (
        machine_load_start,
        machine_load_end,
        load_start.at,
        load_end.at,
    ) {
        (Some(a), Some(b), Some(t0), Some(t1)) if t1 > t0 + Duration::from_secs(1) => {
            let all = b.saturating_sub(a) as f64 / USER_HZ / (t1 - t0).as_secs_f64();
            (all - server_cores - client_cores).max(0.0)
        }
        _ => 0.0,
    };

    for r in &readers {
        r.abort();
    }
    drop(server);

    let per_user_connected_kib = if connected > 0 {
        after_connect.rss_kib.saturating_sub(baseline.rss_kib) as f64 / connected as f64
    } else {
        0.0
    };
    let r2 = |x: f64| (x * 100.0).round() / 100.0;
    let report = json!({
        "users": n,
        "connected": connected,
        "connect_failed": subs.failures.total(),
        "connect_errors": subs.failures.json(),
        "connect_seconds": r2(connect_s),
        "connect_latency": connect_pct.json(),
        "connect_steps": {
            "upgrade": upgrade_pct.json(),
            "subscribe": subscribe_pct.json(),
            "replay": replay_pct.json(),
        },
        "replayed_events": replayed.load(Ordering::Relaxed),
        "provision_seconds": r2(provision_s),
        "baseline": baseline.json(),
        "after_connect": after_connect.json(),
        "idle": idle.json(),
        "settle_seconds": args.settle,
        "per_user_kib_after_connect": r2(per_user_connected_kib),
        "per_user_kib": r2(per_user_kib),
        "per_user_anon_kib": r2(per_user_anon_kib),
        "active": active,
        "writers": writer_count,
        "writer_connect_failed": writer_failures.total(),
        "writer_connect_errors": writer_failures.json(),
        "rate_per_user": args.rate,
        "duration_seconds": args.duration,
        "load_seconds": r2(load_elapsed.as_secs_f64()),
        "posted": posted,
        "samples": pct.count,
        "latency": pct.json(),
        "samples_over_5ms": over_5ms,
        "slowest": slowest,
        "by_second": by_second,
        "failed": failed,
        "post_errors": post_failures.total(),
        "post_error_kinds": post_failures.json(),
        "timed_out": timed_out,
        "unexpected_events": lat.unexpected.load(Ordering::Relaxed),
        "subscribers_lost": lat.lost.total(),
        "subscriber_loss_kinds": lat.lost.json(),
        "load_end": load_end.json(),
        "server_cpu_cores_during_load": r2(server_cores),
        "client_cpu_cores_during_load": r2(client_cores),
        "other_cpu_cores_during_load": r2(other_cores),
        "client_rss_kib": client_load_end.rss_kib,
    });

    print_report(&Printed {
        args,
        report: &report,
        baseline: &baseline,
        after_connect: &after_connect,
        idle: &idle,
        load_end: &load_end,
        connect_pct: &connect_pct,
        pct: &pct,
    });
    Ok(report)
}

/// Per second of load (by send time): samples, samples over 5 ms, p99 and max in ms.
fn per_second(timed: &[(Duration, Instant)], start: Instant) -> Value {
    let mut buckets: Vec<Vec<Duration>> = Vec::new();
    for (d, sent) in timed {
        let i = sent.saturating_duration_since(start).as_secs() as usize;
        if buckets.len() <= i {
            buckets.resize_with(i + 1, Vec::new);
        }
        buckets[i].push(*d);
    }
    Value::Array(
        buckets
            .into_iter()
            .enumerate()
            .map(|(i, mut b)| {
                let over = b.iter().filter(|d| **d > Duration::from_millis(5)).count();
                let p = Percentiles::of(&mut b);
                json!({"second": i, "n": p.count, "over_5ms": over,
                       "p99_ms": (p.p99 * 100.0).round() / 100.0,
                       "max_ms": (p.max * 100.0).round() / 100.0})
            })
            .collect(),
    )
}

/// The slowest samples: latency and when (seconds after the load started) the post was sent.
fn slowest_samples(mut timed: Vec<(Duration, Instant)>, start: Instant) -> Value {
    timed.sort_unstable_by_key(|s| std::cmp::Reverse(s.0));
    let r2 = |x: f64| (x * 100.0).round() / 100.0;
    Value::Array(
        timed
            .iter()
            .take(SLOWEST_SHOWN)
            .map(|(d, sent)| {
                let at = if *sent >= start {
                    (*sent - start).as_secs_f64()
                } else {
                    -(start - *sent).as_secs_f64()
                };
                json!({"ms": r2(d.as_secs_f64() * 1000.0), "sent_at_s": r2(at)})
            })
            .collect(),
    )
}

/// One writer's schedule.
struct WriterPlan {
    index: u64,
    writers: u64,
    first: Instant,
    period: Duration,
    posts: u64,
}

/// Posts `bench <n>` on schedule; `n` is unique across all writers.
async fn write_posts(
    mut client: Client,
    plan: WriterPlan,
    lat: Arc<Latencies>,
    fails: Arc<Failures>,
    posted: Arc<AtomicU64>,
) {
    for k in 0..plan.posts {
        let due = plan.first + plan.period.mul_f64(k as f64);
        tokio::time::sleep_until(due.into()).await;
        let n = k * plan.writers + plan.index;
        let params = json!({ "text": format!("bench {n}") });
        let at = Instant::now();
        lat.sent(n, at);
        match client.call_raw("blackboard.post", params).await {
            Ok(_) => {
                posted.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                lat.forget(n);
                fails.add(&anyhow!(e).context("blackboard.post"));
            }
        }
    }
    client.close().await;
}

struct Printed<'a> {
    args: &'a BenchArgs,
    report: &'a Value,
    baseline: &'a ProcSnapshot,
    after_connect: &'a ProcSnapshot,
    idle: &'a ProcSnapshot,
    load_end: &'a ProcSnapshot,
    connect_pct: &'a Percentiles,
    pct: &'a Percentiles,
}

fn print_report(p: &Printed<'_>) {
    let r = p.report;
    let num = |k: &str| r.get(k).cloned().unwrap_or(Value::Null);
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line("=== arranger bench ===".into());
    line(format!(
        "users {} (provisioned in {} s), active {}, rate {} posts/s per active user, load {} s, settle {} s",
        num("users"),
        num("provision_seconds"),
        num("active"),
        p.args.rate,
        p.args.duration,
        p.args.settle
    ));
    line(String::new());
    line("-- connections".into());
    line(format!(
        "subscribed {} of {} in {} s ({} failed, {} events replayed); per connection {}",
        num("connected"),
        num("users"),
        num("connect_seconds"),
        num("connect_failed"),
        num("replayed_events"),
        p.connect_pct.line()
    ));
    if let Some(steps) = r.get("connect_steps") {
        for step in ["upgrade", "subscribe", "replay"] {
            let s = &steps[step];
            line(format!(
                "    {step:<9}: p50 {} ms, p99 {} ms, max {} ms",
                s["p50_ms"], s["p99_ms"], s["max_ms"]
            ));
        }
    }
    if let Some(errs) = r.get("connect_errors").and_then(Value::as_array) {
        for e in errs {
            line(format!("    {} × {}", e["count"], e["error"]));
        }
    }
    line(String::new());
    line("-- server memory".into());
    line(format!("baseline      : {}", p.baseline.line()));
    line(format!(
        "after connect : {}  → {} KiB per user",
        p.after_connect.line(),
        num("per_user_kib_after_connect")
    ));
    line(format!("idle (+{} s)  : {}", p.args.settle, p.idle.line()));
    line(format!(
        "PER IDLE CONNECTED USER: {} KiB resident ({} KiB anonymous)",
        num("per_user_kib"),
        num("per_user_anon_kib")
    ));
    line(String::new());
    line("-- event latency (post sent → message_added on the subscriber)".into());
    line(format!(
        "{} writers; {} posts answered, {} failed/timed out ({} errors, {} timed out), {} unexpected events, {} subscribers lost",
        num("writers"),
        num("posted"),
        num("failed"),
        num("post_errors"),
        num("timed_out"),
        num("unexpected_events"),
        num("subscribers_lost"),
    ));
    for key in [
        "post_error_kinds",
        "subscriber_loss_kinds",
        "writer_connect_errors",
    ] {
        if let Some(errs) = r.get(key).and_then(Value::as_array) {
            for e in errs {
                line(format!("    {} × {}", e["count"], e["error"]));
            }
        }
    }
    line(format!("latency: {}", p.pct.line()));
    line(format!(
        "samples over 5 ms: {}; slowest (ms @ s after load start): {}",
        num("samples_over_5ms"),
        r.get("slowest")
            .and_then(Value::as_array)
            .map(|v| {
                v.iter()
                    .map(|s| format!("{}@{}", s["ms"], s["sent_at_s"]))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    ));
    line(format!(
        "CPU during load: server {} cores, bench client {} cores, other processes {} cores",
        num("server_cpu_cores_during_load"),
        num("client_cpu_cores_during_load"),
        num("other_cpu_cores_during_load")
    ));
    if let Some(secs) = r.get("by_second").and_then(Value::as_array) {
        let cells: Vec<String> = secs
            .iter()
            .map(|s| format!("{}:{}/{}", s["second"], s["p99_ms"], s["max_ms"]))
            .collect();
        line(format!(
            "p99/max ms by second of load: {}",
            cells.join("  ")
        ));
    }
    line(format!("after load    : {}", p.load_end.line()));
    print!("{out}");
}
