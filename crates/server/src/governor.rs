//! The [`Governor`]: every user's effective limits and what they spent on LLM calls, and
//! the server's caps (BRIEF A6, A7).
//!
//! * **Limits** are the server's defaults with the user's overrides laid over them, both
//!   kept in the directory. Each active user has a `watch` channel of their effective
//!   limits: the host, the team and the MCP hub read it at every check, so an admin's
//!   change holds from the next request on, without a restart.
//! * **Spending** is counted in memory per user and for the whole server, per UTC day and
//!   month, and written to the directory (`llm_spend`) every few seconds and at shutdown.
//!   A user's counts are loaded when their context starts, the server's at start-up.
//! * The governor is the LLM pool's [`CallGate`]: a call is refused before it is sent
//!   when the user's or the server's tokens or dollars for the day or month are spent.

use arranger_domain::quota::{Period, Spend, check_spend};
use arranger_domain::{Limits, QuotaExceeded, QuotaScope, ServerCaps, UserId};
use arranger_llm::{CallGate, CallTags, Usage};
use arranger_store::{StoreError, UserDirectory, now_ms};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;

/// Spending within one day and its month.
#[derive(Clone, Copy, Debug, Default)]
struct Window {
    day_key: i64,
    month_key: i64,
    day: Spend,
    month: Spend,
}

impl Window {
    /// Starts a new day or month when `period` is past this window's.
    fn roll(&mut self, period: &Period) {
        if self.month_key != period.month {
            *self = Window {
                day_key: period.day,
                month_key: period.month,
                ..Window::default()
            };
        } else if self.day_key != period.day {
            self.day_key = period.day;
            self.day = Spend::default();
        }
    }

    fn add(&mut self, period: &Period, spend: Spend) {
        self.roll(period);
        self.day.add(spend);
        self.month.add(spend);
    }

    /// Built from per-day rows of the current month.
    fn from_rows(period: &Period, rows: &[(i64, Spend)]) -> Window {
        let mut w = Window {
            day_key: period.day,
            month_key: period.month,
            ..Window::default()
        };
        for (day, spend) in rows {
            if *day >= period.month {
                w.month.add(*spend);
            }
            if *day == period.day {
                w.day.add(*spend);
            }
        }
        w
    }
}

struct UserEntry {
    overrides: Limits,
    tx: watch::Sender<Arc<Limits>>,
    spend: Window,
    /// The user's own request rate, when their limits set one.
    rate: Option<(u32, Arc<DefaultDirectRateLimiter>)>,
}

struct State {
    defaults: Limits,
    caps: ServerCaps,
    users: HashMap<UserId, UserEntry>,
    global: Window,
    /// Spending not yet written to the directory, per (user, day).
    pending: HashMap<(UserId, i64), Spend>,
}

/// Every user's limits and spending, and the server's caps. See the module docs.
pub struct Governor {
    dir: Option<Arc<dyn UserDirectory>>,
    state: Mutex<State>,
    /// Serializes writers of the limits (admin changes), so two admins' changes apply in
    /// the order they were stored.
    writes: tokio::sync::Mutex<()>,
}

fn rate_limiter(per_second: u32) -> Arc<DefaultDirectRateLimiter> {
    let n = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(per_second.saturating_mul(2)).unwrap_or(n);
    Arc::new(RateLimiter::direct(Quota::per_second(n).allow_burst(burst)))
}

impl Governor {
    /// Loads the server's limits and this month's spending (blocks: call it from a
    /// blocking thread). Without a directory (single-user mode) nothing is limited.
    pub fn load(dir: Option<Arc<dyn UserDirectory>>) -> Result<Self, StoreError> {
        let period = Period::of(now_ms());
        let (defaults, caps, global) = match &dir {
            Some(d) => {
                let (defaults, caps) = d.server_limits()?;
                let rows = d.spend_since(None, period.month)?;
                (defaults, caps, Window::from_rows(&period, &rows))
            }
            None => (
                Limits::default(),
                ServerCaps::default(),
                Window::from_rows(&period, &[]),
            ),
        };
        Ok(Governor {
            dir,
            state: Mutex::new(State {
                defaults,
                caps,
                users: HashMap::new(),
                global,
                pending: HashMap::new(),
            }),
            writes: tokio::sync::Mutex::new(()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The user's effective limits as they change, loading the user's overrides and this
    /// month's spending on first use (blocks: call it from a blocking thread).
    pub fn attach(&self, user: &UserId) -> Result<arranger_host::UserLimits, StoreError> {
        if let Some(e) = self.lock().users.get(user) {
            return Ok(arranger_host::UserLimits::new(e.tx.subscribe()));
        }
        let period = Period::of(now_ms());
        let (overrides, rows) = match &self.dir {
            Some(d) => (
                d.user_limits(user)?,
                d.spend_since(Some(user), period.month)?,
            ),
            None => (Limits::default(), Vec::new()),
        };
        let mut st = self.lock();
        let effective = st.defaults.overlay(&overrides);
        let entry = st.users.entry(user.clone()).or_insert_with(|| {
            let rate = effective
                .quotas
                .requests_per_second
                .map(|n| (n, rate_limiter(n)));
            let (tx, _) = watch::channel(Arc::new(effective));
            UserEntry {
                overrides,
                tx,
                spend: Window::from_rows(&period, &rows),
                rate,
            }
        });
        Ok(arranger_host::UserLimits::new(entry.tx.subscribe()))
    }

    /// The server's default limits and caps.
    pub fn server_limits(&self) -> (Limits, ServerCaps) {
        let st = self.lock();
        (st.defaults.clone(), st.caps.clone())
    }

    /// A user's overrides and effective limits (blocks when the user is not loaded: call
    /// it from a blocking thread).
    pub fn user_limits(&self, user: &UserId) -> Result<(Limits, Limits), StoreError> {
        let overrides = self.lock().users.get(user).map(|e| e.overrides.clone());
        let overrides = match (overrides, &self.dir) {
            (Some(o), _) => o,
            (None, Some(d)) => d.user_limits(user)?,
            (None, None) => Limits::default(),
        };
        let effective = self.lock().defaults.overlay(&overrides);
        Ok((overrides, effective))
    }

    /// What the user spent today and this month, and when each ends (blocks when the user
    /// is not loaded).
    pub fn user_spend(&self, user: &UserId) -> Result<(Spend, Spend, Period), StoreError> {
        let period = Period::of(now_ms());
        {
            let mut st = self.lock();
            if let Some(e) = st.users.get_mut(user) {
                e.spend.roll(&period);
                return Ok((e.spend.day, e.spend.month, period));
            }
        }
        let rows = match &self.dir {
            Some(d) => d.spend_since(Some(user), period.month)?,
            None => Vec::new(),
        };
        let w = Window::from_rows(&period, &rows);
        Ok((w.day, w.month, period))
    }

    /// What the whole server spent today and this month.
    pub fn server_spend(&self) -> (Spend, Spend) {
        let period = Period::of(now_ms());
        let mut st = self.lock();
        st.global.roll(&period);
        (st.global.day, st.global.month)
    }

    /// Replaces the server's defaults and caps: stored, then in effect for every user.
    pub async fn set_server_limits(
        &self,
        defaults: Limits,
        caps: ServerCaps,
    ) -> Result<(), StoreError> {
        let _w = self.writes.lock().await;
        if let Some(d) = self.dir.clone() {
            let (l, c) = (defaults.clone(), caps.clone());
            tokio::task::spawn_blocking(move || d.set_server_limits(&l, &c))
                .await
                .map_err(|e| StoreError::Worker(e.to_string()))??;
        }
        let mut st = self.lock();
        st.defaults = defaults;
        st.caps = caps;
        let State {
            defaults, users, ..
        } = &mut *st;
        for e in users.values_mut() {
            publish(e, defaults.overlay(&e.overrides));
        }
        Ok(())
    }

    /// Replaces a user's overrides: stored, then in effect from their next request on.
    pub async fn set_user_limits(
        &self,
        user: &UserId,
        overrides: Limits,
    ) -> Result<(), StoreError> {
        let _w = self.writes.lock().await;
        if let Some(d) = self.dir.clone() {
            let (u, o) = (user.clone(), overrides.clone());
            tokio::task::spawn_blocking(move || d.set_user_limits(&u, &o))
                .await
                .map_err(|e| StoreError::Worker(e.to_string()))??;
        }
        let mut st = self.lock();
        let effective = st.defaults.overlay(&overrides);
        if let Some(e) = st.users.get_mut(user) {
            e.overrides = overrides;
            publish(e, effective);
        }
        Ok(())
    }

    /// Takes one request from the user's own rate, when their limits set one: `None`
    /// when they have none (the server's default limiter applies), else `Ok` or how long
    /// to wait.
    pub fn rate_limit(&self, user: &UserId) -> Option<Result<(), Duration>> {
        let limiter = self.lock().users.get(user)?.rate.as_ref()?.1.clone();
        Some(
            limiter
                .check()
                .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now())),
        )
    }

    /// Writes spending counted since the last flush to the directory (blocks). On a
    /// failure the rows are kept for the next flush.
    pub fn flush(&self) -> Result<usize, StoreError> {
        let Some(d) = &self.dir else { return Ok(0) };
        let rows: Vec<(UserId, i64, Spend)> = {
            let mut st = self.lock();
            st.pending
                .drain()
                .map(|((user, day), spend)| (user, day, spend))
                .collect()
        };
        if rows.is_empty() {
            return Ok(0);
        }
        match d.add_spend(&rows) {
            Ok(()) => Ok(rows.len()),
            Err(e) => {
                let mut st = self.lock();
                for (user, day, spend) in rows {
                    st.pending.entry((user, day)).or_default().add(spend);
                }
                Err(e)
            }
        }
    }
}

/// Sends new effective limits to the user's readers (and updates their request rate).
fn publish(e: &mut UserEntry, effective: Limits) {
    let rps = effective.quotas.requests_per_second;
    if e.rate.as_ref().map(|r| r.0) != rps {
        e.rate = rps.map(|n| (n, rate_limiter(n)));
    }
    e.tx.send_replace(Arc::new(effective));
}

impl CallGate for Governor {
    fn admit(&self, tags: &CallTags) -> Result<(), QuotaExceeded> {
        self.check(tags)
            .inspect_err(|e| crate::metrics::quota_rejected(e.limit.as_str()))
    }

    fn spent(&self, tags: &CallTags, usage: &Usage, cost_usd: f64) {
        self.record(tags, usage, cost_usd);
    }
}

impl Governor {
    /// The budgets that apply to a call for `tags`: the server's caps, then the user's.
    fn check(&self, tags: &CallTags) -> Result<(), QuotaExceeded> {
        let period = Period::of(now_ms());
        let mut st = self.lock();
        st.global.roll(&period);
        let caps = st.caps.clone();
        check_spend(
            QuotaScope::Server,
            &period,
            st.global.day,
            st.global.month,
            caps.tokens_per_day,
            caps.tokens_per_month,
            caps.cost_per_day_usd,
            caps.cost_per_month_usd,
        )?;
        let defaults = st.defaults.quotas.clone();
        let Some(e) = st.users.get_mut(&tags.user) else {
            // Not attached (no context): only the defaults can apply, to nothing spent
            // here yet; the directory has the rest, so refuse nothing on a guess.
            return Ok(());
        };
        e.spend.roll(&period);
        let q = defaults.overlay(&e.overrides.quotas);
        check_spend(
            QuotaScope::User,
            &period,
            e.spend.day,
            e.spend.month,
            q.tokens_per_day,
            q.tokens_per_month,
            q.cost_per_day_usd,
            q.cost_per_month_usd,
        )
    }

    /// Counts what a call spent, for the user, the server and the next flush.
    fn record(&self, tags: &CallTags, usage: &Usage, cost_usd: f64) {
        let spend = Spend {
            tokens: usage.input_tokens.saturating_add(usage.output_tokens),
            cost_usd,
        };
        let period = Period::of(now_ms());
        let mut st = self.lock();
        st.global.add(&period, spend);
        if let Some(e) = st.users.get_mut(&tags.user) {
            e.spend.add(&period, spend);
        }
        if self.dir.is_some() {
            st.pending
                .entry((tags.user.clone(), period.day))
                .or_default()
                .add(spend);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arranger_domain::{QuotaKind, Quotas};
    use arranger_store::SqliteDirectory;

    fn usage(tokens: u64) -> Usage {
        Usage {
            input_tokens: tokens,
            cached_input_tokens: 0,
            output_tokens: 0,
        }
    }

    #[tokio::test]
    async fn budgets_refuse_after_spending_and_survive_a_restart() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("arranger.db");
        let d: Arc<dyn UserDirectory> = Arc::new(SqliteDirectory::open(&path).unwrap());
        let ada = d.add_user("ada", false, None).unwrap().id;
        let bob = d.add_user("bob", false, None).unwrap().id;
        let g = Governor::load(Some(d.clone())).unwrap();
        g.set_server_limits(
            Limits {
                quotas: Quotas {
                    tokens_per_day: Some(100),
                    ..Quotas::default()
                },
                ..Limits::default()
            },
            ServerCaps {
                tokens_per_month: Some(250),
                ..ServerCaps::default()
            },
        )
        .await
        .unwrap();
        let limits = g.attach(&ada).unwrap();
        g.attach(&bob).unwrap();
        assert_eq!(limits.get().quotas.tokens_per_day, Some(100));
        let (a, b) = (CallTags::user(ada.clone()), CallTags::user(bob.clone()));
        g.admit(&a).unwrap();
        g.spent(&a, &usage(100), 0.0);
        let e = g.admit(&a).unwrap_err();
        assert_eq!(
            (e.limit, e.scope),
            (QuotaKind::TokensPerDay, QuotaScope::User)
        );
        g.admit(&b).unwrap();

        // An override raises Ada's limit at once.
        g.set_user_limits(
            &ada,
            Limits {
                quotas: Quotas {
                    tokens_per_day: Some(1000),
                    ..Quotas::default()
                },
                ..Limits::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(limits.get().quotas.tokens_per_day, Some(1000));
        g.admit(&a).unwrap();
        g.spent(&b, &usage(99), 0.0);
        g.spent(&a, &usage(60), 0.0);
        // 259 of the server's 250 this month.
        let e = g.admit(&b).unwrap_err();
        assert_eq!(
            (e.limit, e.scope),
            (QuotaKind::TokensPerMonth, QuotaScope::Server)
        );
        assert!(g.flush().unwrap() >= 2);

        // After a restart the counts come back from the directory.
        drop(g);
        let g = Governor::load(Some(d.clone())).unwrap();
        assert_eq!(g.server_spend().1.tokens, 259);
        g.attach(&ada).unwrap();
        assert_eq!(g.user_spend(&ada).unwrap().0.tokens, 160);
        assert_eq!(
            g.admit(&CallTags::user(ada)).unwrap_err().scope,
            QuotaScope::Server
        );
    }

    #[tokio::test]
    async fn a_users_request_rate_follows_their_limits() {
        let t = tempfile::tempdir().unwrap();
        let d: Arc<dyn UserDirectory> =
            Arc::new(SqliteDirectory::open(&t.path().join("a.db")).unwrap());
        let ada = d.add_user("ada", false, None).unwrap().id;
        let g = Governor::load(Some(d)).unwrap();
        g.attach(&ada).unwrap();
        assert!(g.rate_limit(&ada).is_none());
        g.set_user_limits(
            &ada,
            Limits {
                quotas: Quotas {
                    requests_per_second: Some(1),
                    ..Quotas::default()
                },
                ..Limits::default()
            },
        )
        .await
        .unwrap();
        // A burst of two, then a wait.
        assert!(g.rate_limit(&ada).unwrap().is_ok());
        assert!(g.rate_limit(&ada).unwrap().is_ok());
        assert!(g.rate_limit(&ada).unwrap().is_err());
    }
}
