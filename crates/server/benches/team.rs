//! Team overhead benchmark (issue 3, item 11): the host's overhead per LLM round trip and
//! the ratio of end-to-end task time to the summed LLM time, at several numbers of
//! concurrent active tasks.
//!
//! ```text
//! cargo bench -p arranger-server --bench team
//! ```
//!
//! Setup, per N (each N gets a fresh fake, server and data directory):
//! * the fake LLM (`arranger-fake-llm`) runs on its own thread and runtime, so it stands
//!   for a remote model; every Worker turn is answered after a fixed
//!   `first_byte_delay_ms` in one SSE chunk: turn 0 → `write_file`, turn 1 → `read_file`,
//!   turn 2 → `complete_task`. A task is 3 LLM round trips and 2 tool calls;
//! * the real server runs in-process (multi-user, temporary data directory) with the fake
//!   as its default model; `N / tasks-per-user` users each open one WebSocket,
//!   subscribe to their events, and at one moment (a barrier) create their tasks with
//!   `task.create`;
//! * a task's end-to-end time runs from just before its `task.create` is sent until its
//!   `task_updated` event with status `done` reaches the client;
//! * the LLM time of a round trip is measured, not assumed: the fake records when each
//!   request arrived and when its answer was complete, so a task's LLM time is what the
//!   fake itself took for its requests (its fixed latency plus its own timer and
//!   processing jitter);
//! * host overhead per round trip = (end-to-end − the task's LLM time) / 3; ratio =
//!   end-to-end / the task's LLM time. For comparison with earlier series the bench also
//!   replays one task's requests to the idle fake (reqwest, keep-alive) and reports the
//!   overhead against that median, which counts the fake's jitter as the host's.
//!
//! The same records split the overhead into: before the first request (RPC, Scheduler,
//! assignment, context search, pool queue), between turns (answer complete → next request
//! arrives: reading the stream, step records, tool run, pool queue), and after the last
//! turn (completion, event delivery). They also give the number of requests the fake
//! served at once. `ARRANGER_BENCH_TEAM_TRACE=<ms>` prints every task with a part over
//! `<ms>`, stamped with `CLOCK_MONOTONIC` for cutting a `perf record -k CLOCK_MONOTONIC`.
//!
//! `ARRANGER_BENCH_TEAM_WARMUP=W` (default 0) has every user run W rounds before the
//! barrier, left out of the figures.
//! At N = 1 the single task is repeated sequentially (`ARRANGER_BENCH_TEAM_ROUNDS_AT_1`,
//! default 20) so that its percentiles rest on more than one sample; larger N run one
//! batch.
//!
//! Environment: `ARRANGER_BENCH_TEAM_N` (default `1,32,100,1000`),
//! `ARRANGER_BENCH_TEAM_LATENCY_MS` (default 200), `ARRANGER_BENCH_TEAM_PER_USER` (tasks
//! per user, default 4 = the default per-user concurrency), `ARRANGER_BENCH_TEAM_TIMEOUT_SECS`
//! (per N, default 240). Prints a table and one `RESULT {json}` line.
//!
//! Profiling only the measured phase (not setup, calibration or shutdown): set
//! `ARRANGER_BENCH_TEAM_PERF_CTL` to a perf control FIFO; the bench writes `enable` when
//! the tasks are released and `disable` when they have ended:
//!
//! ```text
//! mkfifo /tmp/perf.ctl
//! ARRANGER_BENCH_TEAM_N=1000 ARRANGER_BENCH_TEAM_PERF_CTL=/tmp/perf.ctl \
//!   perf record -D -1 --control fifo:/tmp/perf.ctl -g <bench binary>
//! ```

// The product's allocator (crates/cli/src/main.rs), so the bench measures what ships.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use arranger_client::Client;
use arranger_fake_llm::{FakeLlm, FakeLlmOptions, Match, RecordedRequest, Reply, Rule, Scenario};
use arranger_server::{Limits, Mode, Server, ServerConfig};
use arranger_store::{SqliteDirectory, TokenKind, UserDirectory};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Barrier, oneshot};

const API_KEY: &str = "sk-bench";
/// LLM round trips per task.
const ROUND_TRIPS: usize = 3;
/// Replays per recorded request when measuring the fake's service time.
const CALIBRATION_REPEATS: usize = 15;
/// Kernel clock ticks per second in `/proc/.../stat` (USER_HZ, 100 on Linux).
const USER_HZ: f64 = 100.0;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported here.
    let ns: Vec<usize> = std::env::var("ARRANGER_BENCH_TEAM_N")
        .unwrap_or_else(|_| "1,32,100,1000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .filter(|&n| n > 0)
        .collect();
    let latency_ms: u64 = env_or("ARRANGER_BENCH_TEAM_LATENCY_MS", 200);
    let per_user: usize = env_or("ARRANGER_BENCH_TEAM_PER_USER", 4).max(1);
    let timeout = Duration::from_secs(env_or("ARRANGER_BENCH_TEAM_TIMEOUT_SECS", 240));
    let rounds_at_1: usize = env_or("ARRANGER_BENCH_TEAM_ROUNDS_AT_1", 20).max(1);
    // Rounds each user runs first and leaves out of the figures (a session's first task
    // pays one-time costs: loading memory into the index, its first writer).
    let warmup: usize = env_or("ARRANGER_BENCH_TEAM_WARMUP", 0);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let workers = rt.metrics().num_workers();
    println!(
        "team overhead bench: fake LLM first_byte_delay_ms={latency_ms}, one chunk per reply; \
         {per_user} task(s) per user; timeout {}s per N; {workers} runtime worker threads; \
         LLM pool max_concurrency per provider = 2048 (config.toml [pool])",
        timeout.as_secs(),
    );
    let mut runs = Vec::new();
    for &n in &ns {
        println!("\n== N = {n} concurrent tasks ==");
        let started = Instant::now();
        let rounds = if n == 1 { rounds_at_1 } else { 1 };
        let run = rt.block_on(run_n(n, rounds, warmup, per_user, latency_ms, timeout));
        match run {
            Ok(r) => {
                r.print();
                println!("(N = {n} took {:.1}s)", started.elapsed().as_secs_f64());
                runs.push(r);
            }
            Err(e) => {
                println!("N = {n}: the run failed: {e}");
                runs.push(RunResult::failed(n, e));
            }
        }
    }
    print_summary(&runs);
    let result = json!({
        "bench": "team",
        "latency_ms": latency_ms,
        "tasks_per_user": per_user,
        "round_trips_per_task": ROUND_TRIPS,
        "pool_max_concurrency": 2048,
        "runtime_workers": workers,
        "runs": runs.iter().map(RunResult::json).collect::<Vec<_>>(),
    });
    println!("RESULT {result}");
    rt.shutdown_timeout(Duration::from_secs(5));
}

// ----- the fake on its own thread --------------------------------------------------------

/// The fake LLM running on a dedicated thread with a current-thread runtime.
struct FakeThread {
    fake: Option<FakeLlm>,
    /// Taken just before the fake started; its recorded `at` is measured from (just after)
    /// this instant.
    epoch: Instant,
    cmd: tokio::sync::mpsc::UnboundedSender<FakeCmd>,
    thread: Option<std::thread::JoinHandle<()>>,
}

enum FakeCmd {
    /// The fake thread's CPU time so far.
    Cpu(oneshot::Sender<Duration>),
    Stop,
}

fn scenario(latency_ms: u64) -> Scenario {
    let worker = || Match::any().has_tool("complete_task");
    let rule = |m: Match, reply: Reply| {
        Rule::when(m)
            .reply(reply)
            .first_byte_delay_ms(latency_ms)
            .chunk_chars(0)
    };
    Scenario::new()
        .api_key(API_KEY)
        .rule(rule(
            worker().turn(0),
            Reply::tool(
                "write_file",
                json!({"path": "out/{{last_user}}.txt", "content": "benchmark output\n"}),
            ),
        ))
        .rule(rule(
            worker().turn(1),
            Reply::tool("read_file", json!({"path": "out/{{last_user}}.txt"})),
        ))
        .rule(rule(
            worker().turn(2),
            Reply::tool(
                "complete_task",
                json!({"summary": "wrote and read back the file"}),
            ),
        ))
        .default_rule(
            Rule::any()
                .text("nothing scripted for this request")
                .first_byte_delay_ms(latency_ms),
        )
}

impl FakeThread {
    fn start(latency_ms: u64, max_recorded: usize) -> std::io::Result<FakeThread> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (cmd_tx, mut cmd_rx) = tokio::sync::mpsc::unbounded_channel::<FakeCmd>();
        let thread = std::thread::Builder::new()
            .name("fake-llm".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    let epoch = Instant::now();
                    let fake = FakeLlm::start_with(
                        scenario(latency_ms),
                        FakeLlmOptions {
                            max_recorded: Some(max_recorded),
                            ..FakeLlmOptions::default()
                        },
                    )
                    .await
                    .map(|f| (f, epoch));
                    let failed = fake.is_err();
                    let _ = ready_tx.send(fake);
                    if failed {
                        return;
                    }
                    // Serve until told to stop; answer CPU queries from this thread.
                    while let Some(FakeCmd::Cpu(reply)) = cmd_rx.recv().await {
                        let _ = reply.send(thread_cpu());
                    }
                });
            })?;
        let (fake, epoch) = ready_rx
            .recv()
            .map_err(|_| std::io::Error::other("the fake's thread died"))??;
        Ok(FakeThread {
            fake: Some(fake),
            epoch,
            cmd: cmd_tx,
            thread: Some(thread),
        })
    }

    fn fake(&self) -> &FakeLlm {
        self.fake.as_ref().expect("running fake")
    }

    async fn cpu(&self) -> Duration {
        let (tx, rx) = oneshot::channel();
        if self.cmd.send(FakeCmd::Cpu(tx)).is_err() {
            return Duration::ZERO;
        }
        rx.await.unwrap_or_default()
    }

    fn stop(mut self) {
        // Dropping the handle cancels the server; then the thread's runtime ends.
        drop(self.fake.take());
        let _ = self.cmd.send(FakeCmd::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Sends a command to perf's control FIFO, if `ARRANGER_BENCH_TEAM_PERF_CTL` names one.
fn perf_control(command: &str) {
    use std::io::Write;
    if let Ok(path) = std::env::var("ARRANGER_BENCH_TEAM_PERF_CTL")
        && let Ok(mut fifo) = std::fs::OpenOptions::new().write(true).open(path)
    {
        let _ = writeln!(fifo, "{command}");
    }
}

/// CPU time (user + system) of the calling thread.
fn thread_cpu() -> Duration {
    cpu_from_stat("/proc/thread-self/stat")
}

/// CPU time (user + system) of the whole process.
fn process_cpu() -> Duration {
    cpu_from_stat("/proc/self/stat")
}

fn cpu_from_stat(path: &str) -> Duration {
    let Ok(s) = std::fs::read_to_string(path) else {
        return Duration::ZERO;
    };
    // Fields after the command name (which is in parentheses and may hold spaces).
    let Some(rest) = s.rfind(')').map(|i| &s[i + 1..]) else {
        return Duration::ZERO;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat; `rest` starts at field 3.
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| f.get(i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    Duration::from_secs_f64(ticks / USER_HZ)
}

// ----- one run ------------------------------------------------------------------------------

/// What the bench saw of one task.
struct TaskTiming {
    title: String,
    created: Instant,
    /// When the `done` (or `failed`) event arrived.
    finished: Option<Instant>,
    status: String,
}

struct RunResult {
    n: usize,
    /// Sequential batches (each of N concurrent tasks).
    rounds: usize,
    users: usize,
    error: Option<String>,
    done: usize,
    failed: Vec<String>,
    /// Per turn, the fake's median service time (replayed, idle).
    llm_turn: Vec<Duration>,
    llm_turn_p99: Vec<Duration>,
    e2e: Vec<f64>,
    /// Host overhead per round trip: end-to-end minus what the fake took for the task's
    /// requests, over the round trips.
    overhead_rt: Vec<f64>,
    /// The same against the calibrated median LLM time (so the fake's jitter counts).
    overhead_rt_calibrated: Vec<f64>,
    /// End-to-end over what the fake took for the task's requests.
    ratio: Vec<f64>,
    /// How much longer than the fixed latency the fake took per request.
    fake_late: Vec<f64>,
    startup: Vec<f64>,
    between: Vec<f64>,
    finish: Vec<f64>,
    retried_requests: usize,
    max_in_flight: usize,
    wall: f64,
    requests: usize,
    cpu_host: f64,
    cpu_fake: f64,
}

impl RunResult {
    fn failed(n: usize, e: String) -> Self {
        RunResult {
            n,
            rounds: 1,
            users: 0,
            error: Some(e),
            done: 0,
            failed: Vec::new(),
            llm_turn: Vec::new(),
            llm_turn_p99: Vec::new(),
            e2e: Vec::new(),
            overhead_rt: Vec::new(),
            overhead_rt_calibrated: Vec::new(),
            ratio: Vec::new(),
            fake_late: Vec::new(),
            startup: Vec::new(),
            between: Vec::new(),
            finish: Vec::new(),
            retried_requests: 0,
            max_in_flight: 0,
            wall: 0.0,
            requests: 0,
            cpu_host: 0.0,
            cpu_fake: 0.0,
        }
    }

    fn llm_sum_ms(&self) -> f64 {
        self.llm_turn.iter().map(ms).sum()
    }

    fn print(&self) {
        if let Some(e) = &self.error {
            println!("  error: {e}");
            return;
        }
        let turns: Vec<String> = self
            .llm_turn
            .iter()
            .zip(&self.llm_turn_p99)
            .map(|(m, p)| format!("{:.2} (p99 {:.2})", ms(m), ms(p)))
            .collect();
        println!(
            "  users {}, rounds {}, done {}/{}, not done {}; LLM time per turn, ms (median of {} idle replays): [{}] → {:.2} ms per task",
            self.users,
            self.rounds,
            self.done,
            self.n * self.rounds,
            self.failed.len(),
            CALIBRATION_REPEATS,
            turns.join(", "),
            self.llm_sum_ms()
        );
        let (e50, e99) = (pct(&self.e2e, 50.0), pct(&self.e2e, 99.0));
        println!(
            "  end-to-end ms: p50 {e50:.1}, p99 {e99:.1}, max {:.1}",
            pct(&self.e2e, 100.0)
        );
        println!(
            "  host overhead per round trip ms: p50 {:.2}, p99 {:.2}, mean {:.2}",
            pct(&self.overhead_rt, 50.0),
            pct(&self.overhead_rt, 99.0),
            mean(&self.overhead_rt)
        );
        println!(
            "  (against the calibrated median instead, the fake's jitter included: p50 {:.2}, p99 {:.2}; the fake took its fixed latency + p50 {:.2}, p99 {:.2}, max {:.2} ms)",
            pct(&self.overhead_rt_calibrated, 50.0),
            pct(&self.overhead_rt_calibrated, 99.0),
            pct(&self.fake_late, 50.0),
            pct(&self.fake_late, 99.0),
            pct(&self.fake_late, 100.0)
        );
        println!(
            "  ratio e2e / LLM time: mean {:.3}, p50 {:.3}, p99 {:.3}",
            mean(&self.ratio),
            pct(&self.ratio, 50.0),
            pct(&self.ratio, 99.0)
        );
        println!(
            "  where it goes (ms, p50 / p99): before 1st request {:.1} / {:.1}; between turns (per gap) {:.1} / {:.1}; after last turn {:.1} / {:.1}",
            pct(&self.startup, 50.0),
            pct(&self.startup, 99.0),
            pct(&self.between, 50.0),
            pct(&self.between, 99.0),
            pct(&self.finish, 50.0),
            pct(&self.finish, 99.0)
        );
        println!(
            "  fake: {} requests ({} retried), at most {} in flight at once (within their fixed delay); wall {:.2}s, {:.1} tasks/s, {:.1} LLM round trips/s",
            self.requests,
            self.retried_requests,
            self.max_in_flight,
            self.wall,
            self.throughput(),
            self.requests as f64 / self.wall.max(1e-9)
        );
        println!(
            "  CPU: server + bench clients {:.2}s ({:.2} ms per round trip), fake {:.2}s",
            self.cpu_host,
            self.cpu_host * 1000.0 / (self.requests.max(1) as f64),
            self.cpu_fake
        );
        if !self.failed.is_empty() {
            let shown: Vec<&String> = self.failed.iter().take(5).collect();
            println!("  not done (first 5): {shown:?}");
        }
    }

    fn throughput(&self) -> f64 {
        self.done as f64 / self.wall.max(1e-9)
    }

    fn json(&self) -> Value {
        json!({
            "n": self.n,
            "rounds": self.rounds,
            "users": self.users,
            "error": self.error,
            "done": self.done,
            "not_done": self.failed.len(),
            "llm_ms_per_turn": self.llm_turn.iter().map(ms).collect::<Vec<_>>(),
            "llm_ms_per_task": self.llm_sum_ms(),
            "e2e_ms": {"p50": pct(&self.e2e, 50.0), "p99": pct(&self.e2e, 99.0), "max": pct(&self.e2e, 100.0), "mean": mean(&self.e2e)},
            "overhead_ms_per_round_trip": {"p50": pct(&self.overhead_rt, 50.0), "p99": pct(&self.overhead_rt, 99.0), "mean": mean(&self.overhead_rt)},
            "overhead_ms_per_round_trip_vs_calibrated": {"p50": pct(&self.overhead_rt_calibrated, 50.0), "p99": pct(&self.overhead_rt_calibrated, 99.0), "mean": mean(&self.overhead_rt_calibrated)},
            "fake_late_ms": {"p50": pct(&self.fake_late, 50.0), "p99": pct(&self.fake_late, 99.0), "max": pct(&self.fake_late, 100.0)},
            "ratio": {"mean": mean(&self.ratio), "p50": pct(&self.ratio, 50.0), "p99": pct(&self.ratio, 99.0)},
            "breakdown_ms": {
                "before_first_request": {"p50": pct(&self.startup, 50.0), "p99": pct(&self.startup, 99.0)},
                "between_turns": {"p50": pct(&self.between, 50.0), "p99": pct(&self.between, 99.0)},
                "after_last_turn": {"p50": pct(&self.finish, 50.0), "p99": pct(&self.finish, 99.0)},
            },
            "fake_requests": self.requests,
            "fake_retried_requests": self.retried_requests,
            "fake_max_in_flight": self.max_in_flight,
            "wall_s": self.wall,
            "tasks_per_s": self.throughput(),
            "cpu_s": {"server_and_clients": self.cpu_host, "fake": self.cpu_fake},
        })
    }
}

fn ms(d: &Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

/// Nearest-rank percentile (`p` = 100 is the maximum).
fn pct(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    s[rank.clamp(1, s.len()) - 1]
}

fn pct_d(v: &[Duration], p: f64) -> Duration {
    let f: Vec<f64> = v.iter().map(Duration::as_secs_f64).collect();
    Duration::from_secs_f64(pct(&f, p))
}

async fn start_server(
    llm_base_url: &str,
    per_user: usize,
) -> Result<
    (
        tempfile::TempDir,
        String,
        oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    ),
    String,
> {
    let data = tempfile::tempdir().map_err(|e| e.to_string())?;
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        data_dir: data.path().to_owned(),
        mode: Mode::MultiUser,
        allowed_origins: vec![],
        allowed_hosts: vec![],
        limits: Limits::default(),
        llm: Some(
            arranger_llm::ProviderConfig::new(arranger_llm::ProviderKind::OpenAi, "fake-model")
                .with_base_url(llm_base_url)
                .with_api_key(API_KEY),
        ),
        team: arranger_team::TeamConfig {
            max_concurrent_tasks: per_user,
            ..arranger_team::TeamConfig::default()
        },
        // Room for every task's call at once, so the host, not the pool, is measured
        // (`[pool] default_provider.limits.max_concurrency` in config.toml).
        pool: {
            let mut p = arranger_server::default_pool();
            p.default_provider.limits.max_concurrency = 2048;
            p
        },
        mcp: arranger_server::McpConfig::default(),
        allow_unsandboxed: false,
        allow_private_networks: false,
        web_dir: None,
    };
    let server = Server::bind(config).await.map_err(|e| e.to_string())?;
    let addr = server.local_addr().map_err(|e| e.to_string())?.to_string();
    let (stop, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        let _ = server
            .run(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok((data, addr, stop, handle))
}

async fn run_n(
    n: usize,
    rounds: usize,
    warmup: usize,
    per_user: usize,
    latency_ms: u64,
    timeout: Duration,
) -> Result<RunResult, String> {
    let fake = FakeThread::start(latency_ms, ROUND_TRIPS * n * (rounds + warmup) * 2 + 64)
        .map_err(|e| format!("fake LLM: {e}"))?;
    let (data, addr, stop, handle) = start_server(&fake.fake().base_url(), per_user).await?;

    // Users and tokens, the way the CLI makes them.
    let users = n.div_ceil(per_user);
    let dir = SqliteDirectory::open(&data.path().join("arranger.db")).map_err(|e| e.to_string())?;
    let mut plan = Vec::new();
    let mut left = n;
    for u in 0..users {
        let name = format!("bench{u}");
        dir.add_user(&name, false, None)
            .map_err(|e| e.to_string())?;
        let token = dir
            .create_token(&name, TokenKind::Api, "bench", None)
            .map_err(|e| e.to_string())?
            .1;
        let k = left.min(per_user);
        left -= k;
        plan.push((u, token, k));
    }
    drop(dir);

    // Connect and subscribe everyone, then create every task at once.
    let barrier = Arc::new(Barrier::new(users + 1));
    let deadline = tokio::time::Instant::now() + timeout;
    let mut joins = Vec::new();
    for (u, token, k) in plan {
        let barrier = barrier.clone();
        let addr = addr.clone();
        joins.push(tokio::spawn(async move {
            run_user(&addr, &token, u, k, rounds, warmup, barrier, deadline).await
        }));
    }
    barrier.wait().await;
    perf_control("enable");
    let t_start = Instant::now();
    let cpu0 = process_cpu();
    let fake_cpu0 = fake.cpu().await;
    let mut tasks = Vec::new();
    let mut errors = Vec::new();
    for j in joins {
        match j.await {
            Ok(Ok(t)) => tasks.extend(t),
            Ok(Err(e)) => errors.push(e),
            Err(e) => errors.push(e.to_string()),
        }
    }
    perf_control("disable");
    let fake_cpu = fake.cpu().await.saturating_sub(fake_cpu0);
    let cpu = process_cpu().saturating_sub(cpu0).saturating_sub(fake_cpu);
    let t_end = tasks
        .iter()
        .filter_map(|t| t.finished)
        .max()
        .unwrap_or_else(Instant::now);
    let records: Vec<RecordedRequest> = fake
        .fake()
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .collect();

    // The LLM time of each turn, replaying the host's own requests of one task.
    let calibration = calibrate(&fake.fake().base_url(), &records).await;

    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(30), handle).await;
    let epoch = fake.epoch;
    fake.stop();
    drop(data);

    let (llm_turn, llm_turn_p99) = calibration?;
    let llm_sum: f64 = llm_turn.iter().map(ms).sum();

    // Arrival and answer instants at the fake, per task and turn.
    let mut arrivals: HashMap<(String, usize), Vec<Try>> = HashMap::new();
    for r in &records {
        if let Some(title) = task_title(r) {
            arrivals
                .entry((title, r.turn()))
                .or_default()
                .push((epoch + r.at, r.answered.map(|d| epoch + d)));
        }
    }
    let retried_requests = arrivals.values().map(|v| v.len().saturating_sub(1)).sum();

    // The most requests the fake was serving at once: each is counted over its fixed
    // delay after arrival, during which it is certainly unanswered (a lower bound).
    let delay = Duration::from_millis(latency_ms);
    let mut edges: Vec<(Instant, i32)> = Vec::new();
    for r in &records {
        let a = epoch + r.at;
        edges.push((a, 1));
        edges.push((a + delay, -1));
    }
    edges.sort();
    let (mut cur, mut max_in_flight) = (0i32, 0i32);
    for (_, d) in edges {
        cur += d;
        max_in_flight = max_in_flight.max(cur);
    }

    let mut r = RunResult::failed(n, String::new());
    r.error = None;
    r.users = users;
    r.rounds = rounds;
    r.llm_turn = llm_turn.clone();
    r.llm_turn_p99 = llm_turn_p99;
    r.retried_requests = retried_requests;
    r.max_in_flight = max_in_flight as usize;
    r.requests = records.len();
    r.wall = t_end.duration_since(t_start).as_secs_f64();
    r.cpu_host = cpu.as_secs_f64();
    r.cpu_fake = fake_cpu.as_secs_f64();
    for e in errors {
        r.failed.push(format!("client error: {e}"));
    }
    for t in &tasks {
        let Some(fin) = t.finished.filter(|_| t.status == "done") else {
            r.failed.push(format!("{}: {}", t.title, t.status));
            continue;
        };
        r.done += 1;
        let e2e = ms(&fin.duration_since(t.created));
        r.e2e.push(e2e);
        r.overhead_rt_calibrated
            .push((e2e - llm_sum) / ROUND_TRIPS as f64);
        // The last try of each turn (a retried request's earlier tries are pool time),
        // with the moment the fake completed its answer.
        let turns: Vec<Option<Try>> = (0..ROUND_TRIPS)
            .map(|k| {
                arrivals
                    .get(&(t.title.clone(), k))
                    .and_then(|v| v.iter().max().copied())
            })
            .collect();
        let at: Vec<Option<Instant>> = turns.iter().map(|x| x.map(|(a, _)| a)).collect();
        let answered: Vec<Option<Instant>> = turns.iter().map(|x| x.and_then(|(_, d)| d)).collect();
        // The LLM time of this task: what the fake itself took for each of its turns
        // (arrival → answer complete), so that the fake's own timer jitter is not counted
        // as the host's.
        let llm_task: Option<f64> = at
            .iter()
            .zip(&answered)
            .map(|(a, d)| Some(ms(&d.as_ref()?.saturating_duration_since((*a)?))))
            .sum();
        if let Some(llm) = llm_task {
            r.overhead_rt.push((e2e - llm) / ROUND_TRIPS as f64);
            r.ratio.push(e2e / llm);
            for (a, d) in at.iter().zip(&answered) {
                if let (Some(a), Some(d)) = (a, d) {
                    r.fake_late
                        .push(ms(&d.saturating_duration_since(*a)) - latency_ms as f64);
                }
            }
        }
        // Host time before the first request, in each gap, and after the last answer.
        let mut parts = Vec::with_capacity(ROUND_TRIPS + 1);
        if let Some(a0) = at[0] {
            let p = ms(&a0.saturating_duration_since(t.created));
            r.startup.push(p);
            parts.push(p);
        }
        for k in 1..ROUND_TRIPS {
            if let (Some(prev), Some(cur)) = (answered[k - 1], at[k]) {
                let p = ms(&cur.saturating_duration_since(prev));
                r.between.push(p);
                parts.push(p);
            }
        }
        if let Some(last) = answered[ROUND_TRIPS - 1] {
            let p = ms(&fin.saturating_duration_since(last));
            r.finish.push(p);
            parts.push(p);
        }
        trace_task(t, &at, &answered, fin, &parts);
    }
    Ok(r)
}

/// With `ARRANGER_BENCH_TEAM_TRACE=<ms>`, prints each task whose host time before, between
/// or after its turns passed `<ms>`, with the `CLOCK_MONOTONIC` time of its creation and
/// of each request's arrival and answer (what `perf record -k CLOCK_MONOTONIC` stamps
/// samples with), so a profile can be cut to the moments of the spikes. `parts` are the
/// task's host times, as the figures count them.
fn trace_task(
    t: &TaskTiming,
    at: &[Option<Instant>],
    answered: &[Option<Instant>],
    fin: Instant,
    parts: &[f64],
) {
    let Some(limit) = std::env::var("ARRANGER_BENCH_TEAM_TRACE")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
    else {
        return;
    };
    if parts.iter().all(|&p| p <= limit) {
        return;
    }
    let mono = |i: Instant| -> f64 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes into the timespec it is given.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        let now = ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9;
        now - Instant::now().saturating_duration_since(i).as_secs_f64()
    };
    let arrivals: Vec<String> = at
        .iter()
        .zip(answered)
        .map(|(a, d)| {
            let f = |i: &Option<Instant>| i.map(|i| format!("{:.6}", mono(i))).unwrap_or_default();
            format!("{}→{}", f(a), f(d))
        })
        .collect();
    println!(
        "  trace {}: created {:.6}, requests (arrived→answered) [{}], done {:.6}; host ms {:?}",
        t.title,
        mono(t.created),
        arrivals.join(", "),
        mono(fin),
        parts
            .iter()
            .map(|p| (p * 10.0).round() / 10.0)
            .collect::<Vec<_>>()
    );
}

/// One request as the fake saw it: when it arrived, and when its answer was complete.
type Try = (Instant, Option<Instant>);

/// The task title in a Worker's system prompt ("Your task: <title>\n…").
fn task_title(r: &RecordedRequest) -> Option<String> {
    let system = r.system_text();
    let rest = &system[system.find("Your task: ")? + "Your task: ".len()..];
    Some(rest.lines().next()?.trim().to_owned())
}

/// One user: connect, subscribe, `warmup` rounds left out of the figures, wait for
/// everyone, then `rounds` times: create `k` tasks and wait for their `done` events (or
/// the deadline).
#[allow(clippy::too_many_arguments)]
async fn run_user(
    addr: &str,
    token: &str,
    user: usize,
    k: usize,
    rounds: usize,
    warmup: usize,
    barrier: Arc<Barrier>,
    deadline: tokio::time::Instant,
) -> Result<Vec<TaskTiming>, String> {
    let connected = async {
        let mut c = Client::connect(addr, token)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        c.set_timeout(Duration::from_secs(600));
        c.call_raw("events.subscribe", json!({"files": false}))
            .await
            .map_err(|e| format!("events.subscribe: {e}"))?;
        for round in 0..warmup {
            run_batch(&mut c, user, k, rounds + round, deadline).await?;
        }
        Ok::<Client, String>(c)
    }
    .await;
    // Always reach the barrier, so one failed user cannot hang the rest.
    barrier.wait().await;
    let mut c = connected?;
    let mut tasks: Vec<TaskTiming> = Vec::new();
    for round in 0..rounds {
        let batch = run_batch(&mut c, user, k, round, deadline).await;
        let timed_out = batch
            .as_ref()
            .map(|b| b.iter().any(|t| t.finished.is_none()))
            .unwrap_or(true);
        match batch {
            Ok(b) => tasks.extend(b),
            Err(e) => return Err(e),
        }
        if timed_out {
            break;
        }
    }
    c.close().await;
    Ok(tasks)
}

/// Creates `k` tasks and waits for them to end.
async fn run_batch(
    c: &mut Client,
    user: usize,
    k: usize,
    round: usize,
    deadline: tokio::time::Instant,
) -> Result<Vec<TaskTiming>, String> {
    let mut tasks: Vec<TaskTiming> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for j in 0..k {
        let title = format!("bench-u{user}-r{round}-t{j}");
        let created = Instant::now();
        let t = c
            .call_raw("task.create", json!({"title": title}))
            .await
            .map_err(|e| format!("task.create: {e}"))?;
        let id = t["id"].as_str().unwrap_or_default().to_owned();
        by_id.insert(id, tasks.len());
        tasks.push(TaskTiming {
            title,
            created,
            finished: None,
            status: t["status"].as_str().unwrap_or("?").to_owned(),
        });
    }
    let mut open = k;
    while open > 0 {
        let event = match tokio::time::timeout_at(deadline, c.next_event()).await {
            Ok(Ok(e)) => e,
            Ok(Err(e)) => return Err(format!("events: {e}")),
            Err(_) => break,
        };
        if event["type"] != "task_updated" {
            continue;
        }
        let status = event["task"]["status"].as_str().unwrap_or_default();
        if status != "done" && status != "failed" {
            continue;
        }
        let Some(&i) = event["task"]["id"].as_str().and_then(|id| by_id.get(id)) else {
            continue;
        };
        if tasks[i].finished.is_none() {
            tasks[i].finished = Some(Instant::now());
            tasks[i].status = status.to_owned();
            open -= 1;
        }
    }
    if open > 0 {
        // Timed out: say where the rest stand.
        for (id, &i) in &by_id {
            if tasks[i].finished.is_none() {
                let status = tokio::time::timeout(
                    Duration::from_secs(5),
                    c.call_raw("task.get", json!({"id": id})),
                )
                .await;
                tasks[i].status = match status {
                    Ok(Ok(v)) => format!(
                        "timed out in {}",
                        v["status"]
                            .as_str()
                            .or(v["task"]["status"].as_str())
                            .unwrap_or("?")
                    ),
                    _ => "timed out".into(),
                };
            }
        }
    }
    Ok(tasks)
}

/// Replays one task's three recorded requests straight to the fake, `CALIBRATION_REPEATS`
/// times each, and returns per turn the median and p99 time to the end of the stream.
async fn calibrate(
    base_url: &str,
    records: &[RecordedRequest],
) -> Result<(Vec<Duration>, Vec<Duration>), String> {
    let Some(title) = records.iter().find_map(task_title) else {
        return Err("the fake saw no Worker request to calibrate with".into());
    };
    let client = reqwest::Client::builder()
        .build()
        .map_err(|e| e.to_string())?;
    let mut medians = Vec::new();
    let mut p99s = Vec::new();
    for turn in 0..ROUND_TRIPS {
        let Some(r) = records
            .iter()
            .find(|r| r.turn() == turn && task_title(r).as_deref() == Some(title.as_str()))
        else {
            return Err(format!("no recorded request for turn {turn} of {title}"));
        };
        let url = format!("{base_url}{}", r.path);
        let body = r.body.to_string();
        let mut samples = Vec::new();
        // One warm-up request opens the keep-alive connection.
        for i in 0..=CALIBRATION_REPEATS {
            let t0 = Instant::now();
            let resp = client
                .post(&url)
                .header("authorization", format!("Bearer {API_KEY}"))
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .map_err(|e| format!("calibration request: {e}"))?;
            if !resp.status().is_success() {
                return Err(format!("calibration request answered {}", resp.status()));
            }
            let bytes = resp
                .bytes()
                .await
                .map_err(|e| format!("calibration stream: {e}"))?;
            if i > 0 {
                samples.push(t0.elapsed());
            }
            if !String::from_utf8_lossy(&bytes).contains("[DONE]") {
                return Err("calibration stream did not finish with [DONE]".into());
            }
        }
        medians.push(pct_d(&samples, 50.0));
        p99s.push(pct_d(&samples, 99.0));
    }
    Ok((medians, p99s))
}

fn print_summary(runs: &[RunResult]) {
    println!("\n== summary ==");
    println!(
        "{:>6} {:>6} {:>6} {:>9} {:>9} {:>9} {:>10} {:>10} {:>8} {:>8} {:>8} {:>9}",
        "N",
        "users",
        "done",
        "LLM ms",
        "e2e p50",
        "e2e p99",
        "ovh/RT p50",
        "ovh/RT p99",
        "ratio",
        "rat p99",
        "tasks/s",
        "in-flight"
    );
    for r in runs {
        if let Some(e) = &r.error {
            println!("{:>6} error: {e}", r.n);
            continue;
        }
        println!(
            "{:>6} {:>6} {:>6} {:>9.1} {:>9.1} {:>9.1} {:>10.2} {:>10.2} {:>8.3} {:>8.3} {:>8.1} {:>9}",
            r.n,
            r.users,
            r.done,
            r.llm_sum_ms(),
            pct(&r.e2e, 50.0),
            pct(&r.e2e, 99.0),
            pct(&r.overhead_rt, 50.0),
            pct(&r.overhead_rt, 99.0),
            mean(&r.ratio),
            pct(&r.ratio, 99.0),
            r.throughput(),
            r.max_in_flight
        );
    }
}
