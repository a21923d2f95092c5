//! The circuit breaker of one provider.

use crate::LlmError;
use crate::config::millis;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use tracing::{info, warn};

/// The state of a provider's circuit breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Healthy: requests flow.
    Closed,
    /// Failing: requests are refused (or go to the fallback) until the cool-down ends.
    Open,
    /// Cool-down over: one probe request is let through; its outcome closes or reopens.
    HalfOpen,
}

/// A change of a provider's breaker state, published on the pool's health channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderHealth {
    /// The provider's name in the pool.
    pub provider: String,
    /// The new state.
    pub state: BreakerState,
    /// Why (the last error when opening; never contains an API key).
    pub reason: String,
}

/// Circuit-breaker parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BreakerConfig {
    /// Consecutive provider failures (see [`LlmError::is_provider_failure`]) that open
    /// the breaker.
    pub failure_threshold: u32,
    /// How long the breaker stays open before one probe is let through.
    #[serde(rename = "cool_down_ms", with = "millis")]
    pub cool_down: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            cool_down: Duration::from_secs(30),
        }
    }
}

struct Inner {
    state: BreakerState,
    failures: u32,
    opened_at: Instant,
    probe_in_flight: bool,
}

/// The breaker; cheap to share.
pub(crate) struct Breaker {
    provider: String,
    config: BreakerConfig,
    inner: Arc<Mutex<Inner>>,
    events: broadcast::Sender<ProviderHealth>,
}

/// Permission to send one request; report its outcome through it. Dropping it without a
/// report (the call was cancelled) frees the probe slot.
pub(crate) struct Ticket<'a> {
    breaker: &'a Breaker,
    probe: bool,
    resolved: bool,
}

impl Ticket<'_> {
    /// The request finished its turn.
    pub(crate) fn success(mut self) {
        self.resolved = true;
        self.breaker.on_success();
    }

    /// The request failed with `error`.
    pub(crate) fn failure(mut self, error: &LlmError) {
        self.resolved = true;
        self.breaker.on_failure(error, self.probe);
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if self.probe && !self.resolved {
            self.breaker.lock().probe_in_flight = false;
        }
    }
}

impl Breaker {
    /// A closed breaker for `provider`.
    pub(crate) fn new(
        provider: String,
        config: BreakerConfig,
        events: broadcast::Sender<ProviderHealth>,
    ) -> Self {
        Self {
            provider,
            config,
            inner: Arc::new(Mutex::new(Inner {
                state: BreakerState::Closed,
                failures: 0,
                opened_at: Instant::now(),
                probe_in_flight: false,
            })),
            events,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The current state (an open breaker whose cool-down is over reads as half-open).
    pub(crate) fn state(&self) -> BreakerState {
        let inner = self.lock();
        match inner.state {
            BreakerState::Open if inner.opened_at.elapsed() >= self.config.cool_down => {
                BreakerState::HalfOpen
            }
            state => state,
        }
    }

    /// Asks to send a request: `None` while open (or while half-open with the probe
    /// already out).
    pub(crate) fn admit(&self) -> Option<Ticket<'_>> {
        let mut inner = self.lock();
        let probe = match inner.state {
            BreakerState::Closed => false,
            BreakerState::Open => {
                if inner.opened_at.elapsed() < self.config.cool_down {
                    return None;
                }
                inner.state = BreakerState::HalfOpen;
                inner.probe_in_flight = true;
                drop(inner);
                self.publish(
                    BreakerState::HalfOpen,
                    "cool-down elapsed; sending one probe request".into(),
                );
                return Some(Ticket {
                    breaker: self,
                    probe: true,
                    resolved: false,
                });
            }
            BreakerState::HalfOpen => {
                if inner.probe_in_flight {
                    return None;
                }
                inner.probe_in_flight = true;
                true
            }
        };
        Some(Ticket {
            breaker: self,
            probe,
            resolved: false,
        })
    }

    fn on_success(&self) {
        let mut inner = self.lock();
        inner.failures = 0;
        inner.probe_in_flight = false;
        if inner.state != BreakerState::Closed {
            inner.state = BreakerState::Closed;
            drop(inner);
            self.publish(BreakerState::Closed, "a request succeeded".into());
        }
    }

    fn on_failure(&self, error: &LlmError, probe: bool) {
        let mut inner = self.lock();
        if probe {
            inner.probe_in_flight = false;
        }
        if !error.is_provider_failure() {
            return;
        }
        inner.failures = inner.failures.saturating_add(1);
        let open = match inner.state {
            BreakerState::Closed => inner.failures >= self.config.failure_threshold.max(1),
            BreakerState::HalfOpen => probe,
            BreakerState::Open => false,
        };
        if open {
            inner.state = BreakerState::Open;
            inner.opened_at = Instant::now();
            let failures = inner.failures;
            drop(inner);
            self.publish(
                BreakerState::Open,
                format!("{failures} consecutive failures; last: {error}"),
            );
        }
    }

    fn publish(&self, state: BreakerState, reason: String) {
        match state {
            BreakerState::Open => {
                warn!(provider = %self.provider, %reason, "LLM provider circuit opened");
            }
            _ => {
                info!(provider = %self.provider, state = ?state, %reason, "LLM provider circuit changed")
            }
        }
        // No subscriber is fine: the state is also readable on demand.
        let _ = self.events.send(ProviderHealth {
            provider: self.provider.clone(),
            state,
            reason,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error() -> LlmError {
        LlmError::Status {
            provider: "p".into(),
            status: 500,
            message: "boom".into(),
            retryable: true,
            retry_after: None,
        }
    }

    #[test]
    fn opens_probes_and_closes() {
        let (tx, mut rx) = broadcast::channel(16);
        let b = Breaker::new(
            "p".into(),
            BreakerConfig {
                failure_threshold: 3,
                cool_down: Duration::from_millis(30),
            },
            tx,
        );
        for _ in 0..2 {
            b.admit().unwrap().failure(&server_error());
        }
        // Client errors do not count and do not reset.
        b.admit().unwrap().failure(&LlmError::Status {
            provider: "p".into(),
            status: 400,
            message: "bad".into(),
            retryable: false,
            retry_after: None,
        });
        assert_eq!(b.state(), BreakerState::Closed);
        b.admit().unwrap().failure(&server_error());
        assert_eq!(b.state(), BreakerState::Open);
        assert_eq!(rx.try_recv().unwrap().state, BreakerState::Open);
        assert!(b.admit().is_none());

        std::thread::sleep(Duration::from_millis(40));
        let probe = b.admit().unwrap();
        assert_eq!(rx.try_recv().unwrap().state, BreakerState::HalfOpen);
        assert!(b.admit().is_none(), "only one probe");
        probe.failure(&server_error());
        assert_eq!(rx.try_recv().unwrap().state, BreakerState::Open);

        std::thread::sleep(Duration::from_millis(40));
        let probe = b.admit().unwrap();
        drop(probe); // cancelled: another probe may go
        let probe = b.admit().unwrap();
        probe.success();
        assert_eq!(b.state(), BreakerState::Closed);
        let events: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok())
            .map(|e| e.state)
            .collect();
        assert_eq!(events, [BreakerState::HalfOpen, BreakerState::Closed]);
    }
}
