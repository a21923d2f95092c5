//! The shared LLM pool: one HTTP client for every user and provider, with per-provider
//! concurrency and rate limits, fair queuing by user, retries, timeouts, cancellation,
//! fallback, circuit breakers and accounting.
//!
//! # Retries and partial output
//!
//! Events are forwarded to the caller as they arrive, so a stream that breaks after some
//! output (a cut connection, an idle timeout, an error event) has already delivered part
//! of a turn. The pool then **restarts cleanly**: it sends [`StreamEvent::Restart`],
//! after which the caller must discard everything it received for this turn, and the
//! next attempt's events follow as a complete answer. [`crate::CompletionBuilder`] and
//! [`LlmStream::collect`] do this by themselves. An attempt that failed before
//! delivering anything is retried without a `Restart`. Tool calls are never executed by
//! the pool, so a restart repeats no side effect.
//!
//! # Fairness
//!
//! Each provider has `max_concurrency` slots. A request that finds them all busy waits
//! in its user's FIFO; users with waiting requests are served round-robin, so a user's
//! single request waits for at most one slot release per other waiting user, however
//! many requests those users have queued. A retry re-queues at the head of its user's
//! FIFO (it does not hold its slot while backing off). With a rate limit, tokens are
//! handed out the same way (a fair one-at-a-time gate in front of the bucket), before a
//! slot is taken, so no slot is held while waiting for a token.

mod accounting;
mod breaker;
mod telemetry;

pub use accounting::{CallTags, ModelPrice, UsageSnapshot, UsageTotals};
pub use breaker::{BreakerConfig, BreakerState, ProviderHealth};

use crate::config::millis;
use crate::{
    ChatRequest, Completion, CompletionBuilder, EventStream, LlmError, LlmProvider, ProviderConfig,
    StreamEvent, TimeoutPhase, Usage, build_provider,
};
use arranger_domain::{AgentId, TaskId, UserId};
use arranger_fair::FairQueue;
use breaker::Breaker;
use futures_util::{Stream, StreamExt};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

/// How long the pool waits for the provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Timeouts {
    /// TCP + TLS connect.
    #[serde(rename = "connect_ms", with = "millis")]
    pub connect: Duration,
    /// From sending a request to its first event (covers the response headers).
    #[serde(rename = "first_byte_ms", with = "millis")]
    pub first_byte: Duration,
    /// Between two events of a stream.
    #[serde(rename = "idle_ms", with = "millis")]
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            // Reasoning models may think for minutes before the first visible token.
            first_byte: Duration::from_secs(300),
            idle: Duration::from_secs(120),
        }
    }
}

/// When and how often the pool retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetryPolicy {
    /// Attempts per provider, the first included (at least 1).
    pub max_attempts: u32,
    /// The first backoff; it doubles per attempt, with jitter (×0.5–1.0).
    #[serde(rename = "initial_backoff_ms", with = "millis")]
    pub initial_backoff: Duration,
    /// The longest backoff.
    #[serde(rename = "max_backoff_ms", with = "millis")]
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this is not waited for: the call fails (or falls
    /// back) at once.
    #[serde(rename = "max_retry_after_ms", with = "millis")]
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// Per-provider limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProviderLimits {
    /// Requests in flight at once.
    pub max_concurrency: usize,
    /// Token-bucket rate: requests per minute (`None`: unlimited).
    pub requests_per_minute: Option<u32>,
    /// Bucket size (`None`: one minute's worth).
    pub burst: Option<u32>,
}

impl Default for ProviderLimits {
    fn default() -> Self {
        Self {
            max_concurrency: 32,
            requests_per_minute: None,
            burst: None,
        }
    }
}

/// Where a call goes when its provider fails after retries or its breaker is open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FallbackTarget {
    /// The provider's name in the pool (may be the same provider with another model).
    pub provider: String,
    /// The model; `None` uses that provider's default model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

/// How the pool treats one provider.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProviderOptions {
    /// Concurrency and rate limits.
    pub limits: ProviderLimits,
    /// Breaker parameters.
    pub breaker: BreakerConfig,
    /// The default fallback for calls to this provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<FallbackTarget>,
}

/// The pool's configuration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PoolConfig {
    /// Timeouts of every attempt.
    pub timeouts: Timeouts,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Options of providers registered without their own
    /// ([`LlmPool::register`], [`LlmPool::ensure_provider`]).
    pub default_provider: ProviderOptions,
    /// Prices by model name (unpriced models cost 0).
    pub prices: HashMap<String, ModelPrice>,
    /// Providers users configure ([`LlmPool::ensure_provider`]) may reach only public
    /// addresses (no loopback, private networks or metadata endpoints; no redirects): a
    /// multi-user server sets this unless its admin allows private networks.
    #[serde(skip)]
    pub users_public_only: bool,
}

/// One call to the pool.
#[derive(Clone, Debug)]
pub struct LlmCall {
    /// Who the call is for.
    pub tags: CallTags,
    /// The provider's name in the pool.
    pub provider: String,
    /// The request; `options.model` `None` uses the provider's default model.
    pub request: ChatRequest,
    /// Overrides the provider's default fallback.
    pub fallback: Option<FallbackTarget>,
    /// Cancels the call: the stream yields [`LlmError::Cancelled`] and the HTTP request
    /// is aborted. Dropping the [`LlmStream`] does the same silently.
    pub cancel: Option<CancellationToken>,
}

impl LlmCall {
    /// A call of `request` to `provider` for `tags`.
    pub fn new(tags: CallTags, provider: impl Into<String>, request: ChatRequest) -> Self {
        Self {
            tags,
            provider: provider.into(),
            request,
            fallback: None,
            cancel: None,
        }
    }

    /// Sets the fallback.
    pub fn with_fallback(mut self, fallback: FallbackTarget) -> Self {
        self.fallback = Some(fallback);
        self
    }

    /// Sets the cancellation token.
    pub fn with_cancel(mut self, token: CancellationToken) -> Self {
        self.cancel = Some(token);
        self
    }
}

/// Measurements of one call.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallMetrics {
    /// The provider of the last attempt.
    pub provider: String,
    /// The model of the last attempt.
    pub model: String,
    /// Attempts made, over all providers.
    pub attempts: u32,
    /// Whether the fallback was used.
    pub fell_back: bool,
    /// Time spent waiting for a slot, the rate limiter and provider cool-downs, summed
    /// over attempts (backoff sleeps excluded).
    pub queue_wait: Duration,
    /// From sending the last attempt to its first event.
    pub time_to_first_byte: Option<Duration>,
    /// From the call to its finish event (`None` until it finished).
    pub total: Option<Duration>,
    /// Tokens over all attempts that reported usage.
    pub usage: Usage,
    /// Cost of `usage` in US dollars.
    pub cost_usd: f64,
}

/// A provider's current load and health.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProviderStats {
    /// Requests holding a slot.
    pub in_flight: usize,
    /// Requests waiting for a slot or a rate-limit token.
    pub queued: usize,
    /// Breaker state.
    pub breaker: BreakerState,
}

struct ProviderEntry {
    provider: Arc<dyn LlmProvider>,
    queue: FairQueue,
    /// The token bucket, and a one-at-a-time fair gate in front of it so tokens are
    /// handed out round-robin by user too.
    limiter: Option<(DefaultDirectRateLimiter, FairQueue)>,
    breaker: Breaker,
    cooldown_until: Mutex<Option<Instant>>,
    fallback: Option<FallbackTarget>,
    /// The provider's label in metrics (bounded: see the `telemetry` module).
    label: Arc<str>,
}

impl ProviderEntry {
    fn stats(&self) -> ProviderStats {
        let (in_flight, mut queued) = self.queue.stats();
        if let Some((_, gate)) = &self.limiter {
            let (waiting_for_token, gate_queued) = gate.stats();
            queued += waiting_for_token + gate_queued;
        }
        ProviderStats {
            in_flight,
            queued,
            breaker: self.breaker.state(),
        }
    }

    async fn wait_cooldown(&self) {
        loop {
            let until = *self
                .cooldown_until
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            match until {
                Some(until) if until > Instant::now() => tokio::time::sleep_until(until).await,
                _ => return,
            }
        }
    }

    fn extend_cooldown(&self, wait: Duration) {
        let mut until = self
            .cooldown_until
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let candidate = Instant::now() + wait;
        if until.is_none_or(|u| u < candidate) {
            *until = Some(candidate);
        }
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct DedupKey {
    kind: crate::ProviderKind,
    base_url: String,
    key: Option<crate::ApiKey>,
}

/// Decides before each attempt whether a call may be sent (budgets), and learns what
/// calls spent. The server's implementation counts spending per user, day and month and
/// refuses calls once a user's quota or the server's cap is reached.
pub trait CallGate: Send + Sync + 'static {
    /// `Err` refuses the call before it is sent: the caller gets [`LlmError::Quota`].
    fn admit(&self, tags: &CallTags) -> Result<(), arranger_domain::QuotaExceeded>;
    /// What an attempt of a call spent, as the provider reported it.
    fn spent(&self, tags: &CallTags, usage: &Usage, cost_usd: f64);
}

struct Inner {
    gate: RwLock<Option<Arc<dyn CallGate>>>,
    client: reqwest::Client,
    /// The client of users' own providers when they may reach only public addresses.
    public_client: Option<reqwest::Client>,
    config: PoolConfig,
    providers: RwLock<HashMap<String, Arc<ProviderEntry>>>,
    dedup: Mutex<HashMap<DedupKey, String>>,
    health: broadcast::Sender<ProviderHealth>,
    accounting: accounting::Accounting,
    /// The provider labels the gauges were last set for.
    exported: Mutex<BTreeSet<Arc<str>>>,
}

impl Inner {
    fn entry(&self, name: &str) -> Option<Arc<ProviderEntry>> {
        self.providers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    fn gate(&self) -> Option<Arc<dyn CallGate>> {
        self.gate.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn price(&self, model: &str, usage: &Usage) -> f64 {
        self.config.prices.get(model).map_or(0.0, |p| p.cost(usage))
    }
}

/// The shared LLM pool. Cheap to clone; all clones share one HTTP client, one set of
/// providers, limits, breakers and accounting.
#[derive(Clone)]
pub struct LlmPool {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for LlmPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self.providers();
        f.debug_struct("LlmPool")
            .field("providers", &names)
            .finish_non_exhaustive()
    }
}

/// Capacity of the health channel (a lagging subscriber loses the oldest events).
const HEALTH_CHANNEL: usize = 256;
/// The longest the pool reads a provider stream after its finish event (a provider
/// that never ends its stream must not keep the call's task alive).
const DRAIN_LIMIT: Duration = Duration::from_secs(1);
/// Events buffered between the pool's driver task and the caller.
const EVENT_BUFFER: usize = 256;

impl LlmPool {
    /// A pool with no providers, building its one HTTP client (keep-alive, the connect
    /// timeout of `config`).
    pub fn new(config: PoolConfig) -> Result<Self, LlmError> {
        let build = |b: reqwest::ClientBuilder| {
            b.connect_timeout(config.timeouts.connect)
                .pool_idle_timeout(Duration::from_secs(90))
                .tcp_nodelay(true)
                .user_agent(concat!("arranger/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| {
                    LlmError::Config(format!(
                        "cannot build the HTTP client: {}",
                        crate::http::describe_reqwest_error(e)
                    ))
                })
        };
        let client = build(reqwest::Client::builder())?;
        let public = match config.users_public_only {
            true => Some(build(arranger_net::public_client_builder())?),
            false => None,
        };
        let mut pool = Self::with_client(client, config);
        if let Some(inner) = Arc::get_mut(&mut pool.inner) {
            inner.public_client = public;
        }
        Ok(pool)
    }

    /// A pool sending through an existing client.
    pub fn with_client(client: reqwest::Client, config: PoolConfig) -> Self {
        let (health, _) = broadcast::channel(HEALTH_CHANNEL);
        Self {
            inner: Arc::new(Inner {
                gate: RwLock::new(None),
                public_client: None,
                client,
                config,
                providers: RwLock::new(HashMap::new()),
                dedup: Mutex::new(HashMap::new()),
                health,
                accounting: accounting::Accounting::default(),
                exported: Mutex::new(BTreeSet::new()),
            }),
        }
    }

    /// Whether users' own providers may reach only public addresses.
    pub fn users_public_only(&self) -> bool {
        self.inner.public_client.is_some()
    }

    /// Sets the gate every call passes before it is sent (replacing any earlier one).
    pub fn set_gate(&self, gate: Arc<dyn CallGate>) {
        *self.inner.gate.write().unwrap_or_else(|p| p.into_inner()) = Some(gate);
    }

    /// The shared HTTP client.
    pub fn http_client(&self) -> &reqwest::Client {
        &self.inner.client
    }

    /// Registers (or replaces) provider `name` from `config` with the pool's default
    /// options. Calls in flight on a replaced provider finish on the old one.
    pub fn register(
        &self,
        name: impl Into<String>,
        config: &ProviderConfig,
    ) -> Result<(), LlmError> {
        self.register_with(name, config, self.inner.config.default_provider.clone())
    }

    /// Registers (or replaces) provider `name` from `config` with `options`.
    pub fn register_with(
        &self,
        name: impl Into<String>,
        config: &ProviderConfig,
        options: ProviderOptions,
    ) -> Result<(), LlmError> {
        let name = name.into();
        let provider = build_provider(self.inner.client.clone(), name.clone(), config)?;
        self.register_provider(provider, options)
    }

    /// Registers (or replaces) a provider implementation under its own name.
    pub fn register_provider(
        &self,
        provider: Arc<dyn LlmProvider>,
        options: ProviderOptions,
    ) -> Result<(), LlmError> {
        let label = Arc::from(provider.name());
        self.insert(provider, options, label)
    }

    /// Registers (or replaces) a provider whose series in metrics carry `label`.
    fn insert(
        &self,
        provider: Arc<dyn LlmProvider>,
        options: ProviderOptions,
        label: Arc<str>,
    ) -> Result<(), LlmError> {
        let name = provider.name().to_owned();
        let limiter = match options.limits.requests_per_minute {
            None => None,
            Some(rpm) => {
                let rpm = NonZeroU32::new(rpm).ok_or_else(|| {
                    LlmError::Config(format!("requests_per_minute of {name} must be positive"))
                })?;
                let burst = options
                    .limits
                    .burst
                    .and_then(NonZeroU32::new)
                    .unwrap_or(rpm);
                Some((
                    RateLimiter::direct(Quota::per_minute(rpm).allow_burst(burst)),
                    FairQueue::new(1),
                ))
            }
        };
        let entry = ProviderEntry {
            queue: FairQueue::new(options.limits.max_concurrency),
            limiter,
            breaker: Breaker::new(name.clone(), options.breaker, self.inner.health.clone()),
            cooldown_until: Mutex::new(None),
            fallback: options.fallback,
            provider,
            label,
        };
        self.inner
            .providers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name, Arc::new(entry));
        Ok(())
    }

    /// The name of a provider for `config`, registering it with the default options the
    /// first time. Configs with the same kind, base URL and key share one provider (and
    /// so one set of limits); the name is `kind@host`, with a suffix when taken. Such
    /// providers (users' own) appear in metrics as `user:<kind>`, all of a kind together.
    pub fn ensure_provider(&self, config: &ProviderConfig) -> Result<String, LlmError> {
        config.validate()?;
        let key = DedupKey {
            kind: config.kind,
            base_url: config.base_url().trim_end_matches('/').to_owned(),
            key: config.api_key.clone(),
        };
        let mut dedup = self.inner.dedup.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(name) = dedup.get(&key) {
            return Ok(name.clone());
        }
        let host = reqwest::Url::parse(config.base_url())
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let base = format!("{}@{host}", config.kind);
        let mut name = base.clone();
        let mut n = 2;
        while self.inner.entry(&name).is_some() {
            name = format!("{base}#{n}");
            n += 1;
        }
        let client = match &self.inner.public_client {
            Some(public) => {
                arranger_net::check_url(config.base_url()).map_err(LlmError::Config)?;
                public.clone()
            }
            None => self.inner.client.clone(),
        };
        let provider = build_provider(client, name.clone(), config)?;
        self.insert(
            provider,
            self.inner.config.default_provider.clone(),
            Arc::from(format!("user:{}", config.kind)),
        )?;
        dedup.insert(key, name.clone());
        Ok(name)
    }

    /// Removes a provider. Calls in flight finish.
    pub fn remove(&self, name: &str) -> bool {
        self.inner
            .dedup
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, n| n != name);
        self.inner
            .providers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name)
            .is_some()
    }

    /// The registered providers' names.
    pub fn providers(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .inner
            .providers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        names.sort();
        names
    }

    /// A provider's load and breaker state.
    pub fn provider_stats(&self, name: &str) -> Option<ProviderStats> {
        Some(self.inner.entry(name)?.stats())
    }

    /// Sets the pool's gauges (`arranger_llm_in_flight`, `arranger_llm_queued`,
    /// `arranger_llm_breaker`, by provider label) to the state now. Call before rendering
    /// metrics; it reads only memory.
    pub fn record_gauges(&self) {
        let entries: Vec<Arc<ProviderEntry>> = self
            .inner
            .providers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        let loads: Vec<telemetry::Load> = entries
            .iter()
            .map(|e| {
                let stats = e.stats();
                telemetry::Load {
                    label: e.label.clone(),
                    in_flight: stats.in_flight,
                    queued: stats.queued,
                    breaker: stats.breaker,
                }
            })
            .collect();
        let mut exported = self
            .inner
            .exported
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        *exported = telemetry::set_gauges(&loads, &exported);
    }

    /// Subscribes to breaker state changes of all providers.
    pub fn subscribe_health(&self) -> broadcast::Receiver<ProviderHealth> {
        self.inner.health.subscribe()
    }

    /// All accumulated usage.
    pub fn usage(&self) -> UsageSnapshot {
        self.inner.accounting.snapshot()
    }

    /// A user's accumulated usage.
    pub fn user_usage(&self, user: &UserId) -> UsageTotals {
        self.inner.accounting.user(user)
    }

    /// An agent's accumulated usage.
    pub fn agent_usage(&self, user: &UserId, agent: &AgentId) -> UsageTotals {
        self.inner.accounting.agent(user, agent)
    }

    /// A task's accumulated usage.
    pub fn task_usage(&self, user: &UserId, task: &TaskId) -> UsageTotals {
        self.inner.accounting.task(user, task)
    }

    /// Drops a finished task's totals (its user's and agents' totals keep them).
    pub fn forget_task(&self, user: &UserId, task: &TaskId) -> Option<UsageTotals> {
        self.inner.accounting.forget_task(user, task)
    }

    /// Starts a call and returns its event stream at once; queueing, retries and
    /// fallback happen behind it. Must be called within a Tokio runtime. Dropping the
    /// stream cancels the call and aborts its HTTP request.
    pub fn stream(&self, call: LlmCall) -> LlmStream {
        let (tx, rx) = mpsc::channel(EVENT_BUFFER);
        let metrics = Arc::new(Mutex::new(CallMetrics {
            provider: call.provider.clone(),
            model: call.request.options.model.clone().unwrap_or_default(),
            ..CallMetrics::default()
        }));
        let cancel = call.cancel.clone();
        let call_cancel = call.cancel.clone();
        let driver = Driver {
            inner: Arc::clone(&self.inner),
            metrics: Arc::clone(&metrics),
            started: Instant::now(),
        };
        let task = tokio::spawn(async move {
            let cancelled = async {
                match &cancel {
                    Some(token) => token.cancelled().await,
                    None => std::future::pending().await,
                }
            };
            // Cancelling drops the driver (and with it the HTTP request); the stream
            // then reports the cancellation itself.
            tokio::select! {
                biased;
                () = cancelled => {}
                () = driver.run(call, tx) => {}
            }
        });
        LlmStream {
            rx,
            metrics,
            task: task.abort_handle(),
            cancel: call_cancel,
            ended: false,
        }
    }

    /// Runs a call to completion: the collected turn and its measurements.
    pub async fn complete(&self, call: LlmCall) -> Result<(Completion, CallMetrics), LlmError> {
        self.stream(call).collect().await
    }
}

/// The event stream of one pool call. Yields the provider's events (with
/// [`StreamEvent::Restart`] when a partially delivered attempt is retried), or one
/// error as the last item.
pub struct LlmStream {
    rx: mpsc::Receiver<Result<StreamEvent, LlmError>>,
    metrics: Arc<Mutex<CallMetrics>>,
    task: tokio::task::AbortHandle,
    cancel: Option<CancellationToken>,
    /// A finish event or an error was yielded.
    ended: bool,
}

impl std::fmt::Debug for LlmStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmStream")
            .field("metrics", &self.metrics())
            .finish_non_exhaustive()
    }
}

impl LlmStream {
    /// The call's measurements so far (complete once the stream has ended).
    pub fn metrics(&self) -> CallMetrics {
        self.metrics
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Collects the whole turn.
    pub async fn collect(mut self) -> Result<(Completion, CallMetrics), LlmError> {
        let mut builder = CompletionBuilder::new();
        while let Some(event) = self.next().await {
            builder.push(&event?);
        }
        let metrics = self.metrics();
        builder
            .finish(&metrics.provider)
            .map(|completion| (completion, metrics))
    }
}

impl Stream for LlmStream {
    type Item = Result<StreamEvent, LlmError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.rx.poll_recv(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(item)) => {
                if matches!(item, Err(_) | Ok(StreamEvent::Finish { .. })) {
                    self.ended = true;
                }
                Poll::Ready(Some(item))
            }
            // The driver stopped without a finish event or an error: it was cancelled.
            Poll::Ready(None) if !self.ended => {
                self.ended = true;
                let cancelled = self
                    .cancel
                    .as_ref()
                    .is_some_and(CancellationToken::is_cancelled);
                Poll::Ready(Some(Err(if cancelled {
                    LlmError::Cancelled
                } else {
                    LlmError::Incomplete {
                        provider: self.metrics().provider,
                        message: "the call stopped unexpectedly".into(),
                    }
                })))
            }
            Poll::Ready(None) => Poll::Ready(None),
        }
    }
}

impl Drop for LlmStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Why an attempt ended without finishing.
enum AttemptError {
    /// The provider failed.
    Llm(LlmError),
    /// The caller dropped the stream.
    CallerGone,
}

/// The per-call task.
struct Driver {
    inner: Arc<Inner>,
    metrics: Arc<Mutex<CallMetrics>>,
    started: Instant,
}

type Tx = mpsc::Sender<Result<StreamEvent, LlmError>>;

impl Driver {
    fn update(&self, f: impl FnOnce(&mut CallMetrics)) {
        f(&mut self.metrics.lock().unwrap_or_else(|p| p.into_inner()));
    }

    async fn run(self, call: LlmCall, tx: Tx) {
        let LlmCall {
            tags,
            provider,
            request,
            fallback,
            cancel: _,
        } = call;
        let policy = self.inner.config.retry;
        let mut fallback =
            fallback.or_else(|| self.inner.entry(&provider).and_then(|e| e.fallback.clone()));
        let mut target = FallbackTarget {
            provider,
            model: request.options.model.clone(),
        };
        let mut attempts_here = 0u32;
        // Whether events of the current attempt series reached the caller.
        let mut delivered = false;
        debug!(user = %tags.user, provider = %target.provider, "LLM call queued");
        let mut record = telemetry::CallRecord::new(self.started);

        loop {
            let Some(entry) = self.inner.entry(&target.provider) else {
                record.provider = Arc::from(telemetry::UNKNOWN);
                record.finish("error");
                let _ = tx
                    .send(Err(LlmError::UnknownProvider {
                        name: target.provider.clone(),
                    }))
                    .await;
                return;
            };
            record.provider = entry.label.clone();
            let model = target
                .model
                .clone()
                .unwrap_or_else(|| entry.provider.default_model().to_owned());

            let Some(ticket) = entry.breaker.admit() else {
                let error = LlmError::CircuitOpen {
                    provider: target.provider.clone(),
                };
                telemetry::attempt_failed(&entry.label, &error);
                if let Some(next) = fallback.take() {
                    telemetry::fell_back(&entry.label);
                    warn!(user = %tags.user, from = %target.provider, to = %next.provider, "LLM provider circuit open; using the fallback");
                    if !self.restart(&tx, &mut delivered, &error).await {
                        return;
                    }
                    target = next;
                    attempts_here = 0;
                    self.update(|m| m.fell_back = true);
                    continue;
                }
                record.finish("error");
                let _ = tx.send(Err(error)).await;
                return;
            };

            let waited = Instant::now();
            let retrying = attempts_here > 0;
            if let Some((limiter, gate)) = &entry.limiter {
                // Rate tokens first (fairly), then a slot: a request never holds a slot
                // while it waits for the bucket.
                let _turn = gate.acquire(&tags.user, retrying).await;
                limiter.until_ready().await;
            }
            let permit = entry.queue.acquire(&tags.user, retrying).await;
            entry.wait_cooldown().await;
            // Budgets are checked as late as possible: right before the request is sent.
            if let Some(Err(over)) = self.inner.gate().map(|g| g.admit(&tags)) {
                drop(permit);
                debug!(user = %tags.user, limit = over.limit.as_str(), "LLM call refused: budget spent");
                let _ = tx.send(Err(LlmError::Quota(over))).await;
                return;
            }
            attempts_here += 1;
            let waited = waited.elapsed();
            telemetry::queue_wait(&entry.label, waited);
            self.update(|m| {
                m.queue_wait += waited;
                m.attempts += 1;
                m.provider.clone_from(&target.provider);
                m.model.clone_from(&model);
            });

            let mut request = request.clone();
            request.options.model = Some(model.clone());
            let outcome = self
                .attempt(&entry, &request, &tags, &model, &tx, &mut delivered)
                .await;
            drop(permit);

            let error = match outcome {
                Ok(rest) => {
                    ticket.success();
                    record.finish("ok");
                    self.inner.accounting.record_call(&tags);
                    // Let the caller see the end now, then read the rest of the body so
                    // the connection can be reused (bounded by the provider).
                    drop(tx);
                    if let Some(mut rest) = rest {
                        let _ = tokio::time::timeout(DRAIN_LIMIT, async {
                            while rest.next().await.is_some() {}
                        })
                        .await;
                    }
                    return;
                }
                Err(AttemptError::CallerGone) => return,
                Err(AttemptError::Llm(error)) => error,
            };
            ticket.failure(&error);
            telemetry::attempt_failed(&entry.label, &error);

            let mut retry = error.is_retryable()
                && attempts_here < policy.max_attempts.max(1)
                && entry.breaker.state() != BreakerState::Open;
            let delay = match error.retry_after() {
                Some(wait) if wait > policy.max_retry_after => {
                    retry = false;
                    wait
                }
                Some(wait) => {
                    if error.status() == Some(429) || error.status() == Some(503) {
                        // Everyone waits: more requests now would only be refused too.
                        entry.extend_cooldown(wait);
                    }
                    wait + jitter(wait / 10)
                }
                None => backoff(&policy, attempts_here),
            };
            if retry {
                telemetry::retried(&entry.label);
                warn!(
                    user = %tags.user,
                    provider = %target.provider,
                    attempt = attempts_here,
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    error = %error,
                    "LLM call failed; retrying"
                );
                if !self.restart(&tx, &mut delivered, &error).await {
                    return;
                }
                tokio::time::sleep(delay).await;
                continue;
            }
            if let Some(next) = fallback.take() {
                telemetry::fell_back(&entry.label);
                warn!(
                    user = %tags.user,
                    from = %target.provider,
                    to = %next.provider,
                    error = %error,
                    "LLM call failed; using the fallback"
                );
                if !self.restart(&tx, &mut delivered, &error).await {
                    return;
                }
                target = next;
                attempts_here = 0;
                self.update(|m| m.fell_back = true);
                continue;
            }
            warn!(user = %tags.user, provider = %target.provider, error = %error, "LLM call failed");
            record.finish("error");
            let _ = tx.send(Err(error)).await;
            return;
        }
    }

    /// Tells the caller to discard partial output, if any was delivered. False if the
    /// caller is gone.
    async fn restart(&self, tx: &Tx, delivered: &mut bool, error: &LlmError) -> bool {
        if !*delivered {
            return true;
        }
        *delivered = false;
        let event = StreamEvent::Restart {
            reason: error.to_string(),
        };
        tx.send(Ok(event)).await.is_ok()
    }

    /// One attempt: forwards events until the finish event. On success returns the
    /// rest of the provider stream (to drain) if it has not ended.
    async fn attempt(
        &self,
        entry: &ProviderEntry,
        request: &ChatRequest,
        tags: &CallTags,
        model: &str,
        tx: &Tx,
        delivered: &mut bool,
    ) -> Result<Option<EventStream>, AttemptError> {
        let timeouts = self.inner.config.timeouts;
        let provider = entry.provider.name().to_owned();
        let timeout = |phase| {
            AttemptError::Llm(LlmError::Timeout {
                provider: provider.clone(),
                phase,
            })
        };
        let sent = Instant::now();
        let first_deadline = sent + timeouts.first_byte;
        let mut stream =
            match tokio::time::timeout_at(first_deadline, entry.provider.stream(request)).await {
                Err(_) => return Err(timeout(TimeoutPhase::FirstByte)),
                Ok(Err(error)) => return Err(AttemptError::Llm(error)),
                Ok(Ok(stream)) => stream,
            };
        let mut first = true;
        loop {
            let (deadline, phase) = if first {
                (first_deadline, TimeoutPhase::FirstByte)
            } else {
                (Instant::now() + timeouts.idle, TimeoutPhase::Idle)
            };
            let event = match tokio::time::timeout_at(deadline, stream.next()).await {
                Err(_) => return Err(timeout(phase)),
                Ok(None) => {
                    return Err(AttemptError::Llm(LlmError::Incomplete {
                        provider,
                        message: "the stream ended without a finish event".into(),
                    }));
                }
                Ok(Some(Err(error))) => return Err(AttemptError::Llm(error)),
                Ok(Some(Ok(event))) => event,
            };
            if first {
                first = false;
                let took = sent.elapsed();
                telemetry::first_byte(&entry.label, took);
                self.update(|m| m.time_to_first_byte = Some(took));
            }
            let finished = matches!(event, StreamEvent::Finish { .. });
            match &event {
                StreamEvent::Usage(usage) => {
                    telemetry::tokens(&entry.label, usage);
                    let cost = self.inner.price(model, usage);
                    self.inner.accounting.record_usage(tags, usage, cost);
                    if let Some(gate) = self.inner.gate() {
                        gate.spent(tags, usage, cost);
                    }
                    self.update(|m| {
                        m.usage.add(usage);
                        m.cost_usd += cost;
                    });
                }
                // A provider must not send this; the pool owns restarts.
                StreamEvent::Restart { .. } => continue,
                _ => {}
            }
            if finished {
                let total = self.started.elapsed();
                self.update(|m| m.total = Some(total));
            }
            if tx.send(Ok(event)).await.is_err() {
                return Err(AttemptError::CallerGone);
            }
            *delivered = true;
            if finished {
                debug!(user = %tags.user, provider = %provider, model, "LLM call finished");
                return Ok(Some(stream));
            }
        }
    }
}

/// Exponential backoff with jitter: `initial × 2^(attempt-1)`, capped, times 0.5–1.0.
fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exp = policy
        .initial_backoff
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let capped = exp.min(policy.max_backoff);
    capped.mul_f64(rand::random_range(0.5..=1.0))
}

/// A random duration in `0..=max`.
fn jitter(max: Duration) -> Duration {
    max.mul_f64(rand::random_range(0.0..=1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(10),
        };
        for _ in 0..50 {
            let b1 = backoff(&p, 1);
            assert!(b1 >= Duration::from_millis(50) && b1 <= Duration::from_millis(100));
            let b3 = backoff(&p, 3);
            assert!(b3 >= Duration::from_millis(200) && b3 <= Duration::from_millis(400));
            assert!(backoff(&p, 30) <= Duration::from_secs(1));
        }
    }

    #[test]
    fn config_round_trips() {
        let mut c = PoolConfig::default();
        c.prices.insert(
            "m".into(),
            ModelPrice {
                input_per_million: 1.0,
                output_per_million: 2.0,
                cached_input_per_million: None,
            },
        );
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("first_byte_ms"), "{json}");
        let back: PoolConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        let partial: PoolConfig = serde_json::from_str(r#"{"retry":{"max_attempts":2}}"#).unwrap();
        assert_eq!(partial.retry.max_attempts, 2);
        assert_eq!(partial.timeouts, Timeouts::default());
    }
}
