//! Token and cost accounting per user, agent and task.

use crate::Usage;
use arranger_domain::{AgentId, TaskId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// Who a call is for. Every pool call carries one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CallTags {
    /// The user the call is made for (fair queuing and accounting key).
    pub user: UserId,
    /// The task the call serves, if any.
    pub task: Option<TaskId>,
    /// The agent making the call, if any.
    pub agent: Option<AgentId>,
}

impl CallTags {
    /// Tags for `user` only.
    pub fn user(user: UserId) -> Self {
        Self {
            user,
            task: None,
            agent: None,
        }
    }

    /// Adds the task.
    pub fn with_task(mut self, task: TaskId) -> Self {
        self.task = Some(task);
        self
    }

    /// Adds the agent.
    pub fn with_agent(mut self, agent: AgentId) -> Self {
        self.agent = Some(agent);
        self
    }
}

/// Prices of one model in US dollars per million tokens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelPrice {
    /// Per million uncached input tokens.
    pub input_per_million: f64,
    /// Per million output tokens.
    pub output_per_million: f64,
    /// Per million input tokens read from a prompt cache; the input price when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input_per_million: Option<f64>,
}

impl ModelPrice {
    /// The cost of `usage` in US dollars.
    pub fn cost(&self, usage: &Usage) -> f64 {
        let cached = usage.cached_input_tokens.min(usage.input_tokens);
        let uncached = usage.input_tokens - cached;
        let cached_price = self
            .cached_input_per_million
            .unwrap_or(self.input_per_million);
        (uncached as f64 * self.input_per_million
            + cached as f64 * cached_price
            + usage.output_tokens as f64 * self.output_per_million)
            / 1_000_000.0
    }
}

/// Accumulated usage of one user, agent or task.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageTotals {
    /// Calls that finished a turn.
    pub calls: u64,
    /// Tokens, summed over every attempt that reported usage (retried attempts that
    /// reported usage count: they were billed).
    pub usage: Usage,
    /// Cost in US dollars at the configured prices (0 for unpriced models).
    pub cost_usd: f64,
}

/// A copy of all accumulated usage.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UsageSnapshot {
    /// Per user.
    pub users: HashMap<UserId, UsageTotals>,
    /// Per agent (keyed with its user).
    pub agents: HashMap<(UserId, AgentId), UsageTotals>,
    /// Per task (keyed with its user).
    pub tasks: HashMap<(UserId, TaskId), UsageTotals>,
}

#[derive(Default)]
pub(crate) struct Accounting {
    totals: Mutex<UsageSnapshot>,
}

impl Accounting {
    fn lock(&self) -> MutexGuard<'_, UsageSnapshot> {
        self.totals
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn apply(&self, tags: &CallTags, f: impl Fn(&mut UsageTotals)) {
        let mut t = self.lock();
        f(t.users.entry(tags.user.clone()).or_default());
        if let Some(agent) = &tags.agent {
            f(t.agents
                .entry((tags.user.clone(), agent.clone()))
                .or_default());
        }
        if let Some(task) = &tags.task {
            f(t.tasks
                .entry((tags.user.clone(), task.clone()))
                .or_default());
        }
    }

    pub(crate) fn record_usage(&self, tags: &CallTags, usage: &Usage, cost: f64) {
        self.apply(tags, |t| {
            t.usage.add(usage);
            t.cost_usd += cost;
        });
    }

    pub(crate) fn record_call(&self, tags: &CallTags) {
        self.apply(tags, |t| t.calls += 1);
    }

    pub(crate) fn snapshot(&self) -> UsageSnapshot {
        self.lock().clone()
    }

    pub(crate) fn user(&self, user: &UserId) -> UsageTotals {
        self.lock().users.get(user).copied().unwrap_or_default()
    }

    pub(crate) fn agent(&self, user: &UserId, agent: &AgentId) -> UsageTotals {
        self.lock()
            .agents
            .get(&(user.clone(), agent.clone()))
            .copied()
            .unwrap_or_default()
    }

    pub(crate) fn task(&self, user: &UserId, task: &TaskId) -> UsageTotals {
        self.lock()
            .tasks
            .get(&(user.clone(), task.clone()))
            .copied()
            .unwrap_or_default()
    }

    pub(crate) fn forget_task(&self, user: &UserId, task: &TaskId) -> Option<UsageTotals> {
        self.lock().tasks.remove(&(user.clone(), task.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_with_cache() {
        let p = ModelPrice {
            input_per_million: 2.0,
            output_per_million: 10.0,
            cached_input_per_million: Some(0.5),
        };
        let u = Usage {
            input_tokens: 1_000_000,
            cached_input_tokens: 400_000,
            output_tokens: 100_000,
        };
        assert!((p.cost(&u) - (1.2 + 0.2 + 1.0)).abs() < 1e-9);
    }
}
