//! Quotas, budgets and permissions (BRIEF A6, A7, B12): what one user may use, what the
//! whole server may spend, and the error that says which limit was hit and when it resets.
//!
//! Server defaults and per-user overrides have the same shape ([`Limits`]); a user's
//! effective limits are the defaults with the user's overrides laid over them
//! ([`Limits::overlay`]). Every field is optional: in the defaults `None` means "no
//! limit" (or "allowed" for a permission); in an override it means "as the default".

use crate::Timestamp;
use crate::run::{civil_of_day, day_of, day_of_civil};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Limits on what one user may use. `None`: no limit (in defaults) or the default (in an
/// override).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Quotas {
    /// Bytes the user's workspace may hold (file tools, uploads, commands and terminals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_bytes: Option<u64>,
    /// Tasks running at once; more wait in Pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrent_tasks: Option<u32>,
    /// Terminals open at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terminals: Option<u32>,
    /// MCP servers running at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcp_servers: Option<u32>,
    /// API requests per second (sustained; bursts of twice as many).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests_per_second: Option<u32>,
    /// LLM tokens (input + output) per UTC day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_per_day: Option<u64>,
    /// LLM tokens per UTC calendar month.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_per_month: Option<u64>,
    /// LLM cost in US dollars per UTC day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_per_day_usd: Option<f64>,
    /// LLM cost in US dollars per UTC calendar month.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_per_month_usd: Option<f64>,
    /// LLM cost in US dollars one task may spend, its assists included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_cost_usd: Option<f64>,
}

impl Quotas {
    /// These quotas with every field `over` sets replacing this one's.
    pub fn overlay(&self, over: &Quotas) -> Quotas {
        Quotas {
            storage_bytes: over.storage_bytes.or(self.storage_bytes),
            concurrent_tasks: over.concurrent_tasks.or(self.concurrent_tasks),
            terminals: over.terminals.or(self.terminals),
            mcp_servers: over.mcp_servers.or(self.mcp_servers),
            requests_per_second: over.requests_per_second.or(self.requests_per_second),
            tokens_per_day: over.tokens_per_day.or(self.tokens_per_day),
            tokens_per_month: over.tokens_per_month.or(self.tokens_per_month),
            cost_per_day_usd: over.cost_per_day_usd.or(self.cost_per_day_usd),
            cost_per_month_usd: over.cost_per_month_usd.or(self.cost_per_month_usd),
            task_cost_usd: over.task_cost_usd.or(self.task_cost_usd),
        }
    }

    /// Checks the values: costs finite and not negative, a request rate of at least 1.
    pub fn validate(&self) -> Result<(), String> {
        check_dollars(&[
            ("cost_per_day_usd", self.cost_per_day_usd),
            ("cost_per_month_usd", self.cost_per_month_usd),
            ("task_cost_usd", self.task_cost_usd),
        ])?;
        if self.requests_per_second == Some(0) {
            return Err("requests_per_second must be at least 1 (0 would lock the user out of the API; disable the user instead)".into());
        }
        Ok(())
    }
}

/// Dollar amounts must be finite and not negative.
fn check_dollars(fields: &[(&str, Option<f64>)]) -> Result<(), String> {
    for (name, v) in fields {
        if let Some(v) = v
            && (!v.is_finite() || *v < 0.0)
        {
            return Err(format!("{name} must be a number of dollars, 0 or more"));
        }
    }
    Ok(())
}

/// What a user may use at all. `None`: allowed (in defaults) or the default (in an
/// override). Denied tools are left out of the agents' tool lists and refused on every
/// path (API, agents).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Permissions {
    /// Interactive terminals (`terminal.*`, the agents' `terminal_*` tools).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terminals: Option<bool>,
    /// MCP servers (`mcp.*`, the agents' `mcp__*` tools).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcp: Option<bool>,
    /// Shell commands (`run_command`, user commands that run a shell).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commands: Option<bool>,
}

/// A capability [`Permissions`] can deny.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Terminals.
    Terminals,
    /// MCP servers.
    Mcp,
    /// Shell commands.
    Commands,
}

impl Capability {
    /// The name used in messages and settings.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Terminals => "terminals",
            Capability::Mcp => "mcp",
            Capability::Commands => "commands",
        }
    }
}

impl Permissions {
    /// These permissions with every field `over` sets replacing this one's.
    pub fn overlay(&self, over: &Permissions) -> Permissions {
        Permissions {
            terminals: over.terminals.or(self.terminals),
            mcp: over.mcp.or(self.mcp),
            commands: over.commands.or(self.commands),
        }
    }

    /// Whether `capability` is allowed.
    pub fn allows(&self, capability: Capability) -> bool {
        match capability {
            Capability::Terminals => self.terminals,
            Capability::Mcp => self.mcp,
            Capability::Commands => self.commands,
        }
        .unwrap_or(true)
    }

    /// `Ok` when `capability` is allowed; otherwise the message that says so.
    pub fn check(&self, capability: Capability) -> Result<(), String> {
        if self.allows(capability) {
            Ok(())
        } else {
            Err(format!(
                "you may not use {} on this server; an admin can allow it",
                capability.as_str()
            ))
        }
    }
}

/// Quotas and permissions together: the server's defaults, one user's overrides, or the
/// effective limits of a user.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Quotas.
    pub quotas: Quotas,
    /// Permissions.
    pub permissions: Permissions,
}

impl Limits {
    /// These limits (the defaults) with a user's overrides laid over them.
    pub fn overlay(&self, over: &Limits) -> Limits {
        Limits {
            quotas: self.quotas.overlay(&over.quotas),
            permissions: self.permissions.overlay(&over.permissions),
        }
    }
}

/// Caps on what the whole server spends on LLM calls, all users together. `None`: no cap.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ServerCaps {
    /// Tokens per UTC day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_per_day: Option<u64>,
    /// Tokens per UTC calendar month.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_per_month: Option<u64>,
    /// US dollars per UTC day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_per_day_usd: Option<f64>,
    /// US dollars per UTC calendar month.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_per_month_usd: Option<f64>,
}

impl ServerCaps {
    /// Checks the values (costs finite, not negative).
    pub fn validate(&self) -> Result<(), String> {
        check_dollars(&[
            ("cost_per_day_usd", self.cost_per_day_usd),
            ("cost_per_month_usd", self.cost_per_month_usd),
        ])
    }
}

/// Which limit was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuotaKind {
    /// Workspace storage.
    StorageBytes,
    /// Terminals open at once.
    Terminals,
    /// MCP servers running at once.
    McpServers,
    /// API requests per second.
    RequestsPerSecond,
    /// Tokens per day.
    TokensPerDay,
    /// Tokens per month.
    TokensPerMonth,
    /// Cost per day.
    #[serde(rename = "cost_per_day_usd")]
    CostPerDay,
    /// Cost per month.
    #[serde(rename = "cost_per_month_usd")]
    CostPerMonth,
    /// One task's cost.
    #[serde(rename = "task_cost_usd")]
    TaskCost,
}

impl QuotaKind {
    /// The setting's name (as in [`Quotas`]); also the metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            QuotaKind::StorageBytes => "storage_bytes",
            QuotaKind::Terminals => "terminals",
            QuotaKind::McpServers => "mcp_servers",
            QuotaKind::RequestsPerSecond => "requests_per_second",
            QuotaKind::TokensPerDay => "tokens_per_day",
            QuotaKind::TokensPerMonth => "tokens_per_month",
            QuotaKind::CostPerDay => "cost_per_day_usd",
            QuotaKind::CostPerMonth => "cost_per_month_usd",
            QuotaKind::TaskCost => "task_cost_usd",
        }
    }
}

/// Whose limit it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuotaScope {
    /// The user's own quota.
    User,
    /// One task's budget.
    Task,
    /// The server's cap for all users together.
    Server,
}

/// A limit was reached: which, how much is used, the maximum and when it resets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, thiserror::Error)]
#[error("{}", self.message())]
pub struct QuotaExceeded {
    /// Which limit.
    pub limit: QuotaKind,
    /// Whose.
    pub scope: QuotaScope,
    /// How much is used (bytes, tokens, dollars or a count).
    pub used: f64,
    /// The limit.
    pub max: f64,
    /// When it resets (ms since the epoch), for limits that reset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resets_at: Option<Timestamp>,
}

impl QuotaExceeded {
    /// What happened, how much of what is used, when it resets and what to do — for a
    /// person.
    pub fn message(&self) -> String {
        let whose = match self.scope {
            QuotaScope::User => "your",
            QuotaScope::Task => "this task's",
            QuotaScope::Server => "the server's",
        };
        let when = match self.resets_at {
            Some(at) => format!("; it resets at {} UTC", format_reset(at)),
            None => String::new(),
        };
        let ask = match self.scope {
            QuotaScope::Server => "; an admin can raise the server's cap",
            _ => "; an admin can raise the limit",
        };
        match self.limit {
            QuotaKind::StorageBytes => format!(
                "{whose} workspace storage limit is reached: {} of {} used; delete files to make room{ask}",
                bytes(self.used),
                bytes(self.max)
            ),
            QuotaKind::Terminals => format!(
                "{whose} terminal limit is reached: {} of {} open; close one first{ask}",
                self.used, self.max
            ),
            QuotaKind::McpServers => format!(
                "{whose} MCP server limit is reached: {} of {} running; stop or remove one first{ask}",
                self.used, self.max
            ),
            QuotaKind::RequestsPerSecond => format!(
                "{whose} request rate limit of {} per second is exceeded; slow down and retry",
                self.max
            ),
            QuotaKind::TokensPerDay => format!(
                "{whose} daily LLM token limit is reached: {} of {} tokens used today{when}{ask}",
                self.used, self.max
            ),
            QuotaKind::TokensPerMonth => format!(
                "{whose} monthly LLM token limit is reached: {} of {} tokens used this month{when}{ask}",
                self.used, self.max
            ),
            QuotaKind::CostPerDay => format!(
                "{whose} daily LLM budget is spent: ${:.4} of ${:.2} today{when}{ask}",
                self.used, self.max
            ),
            QuotaKind::CostPerMonth => format!(
                "{whose} monthly LLM budget is spent: ${:.4} of ${:.2} this month{when}{ask}",
                self.used, self.max
            ),
            QuotaKind::TaskCost => format!(
                "{whose} LLM budget is spent: ${:.4} of ${:.2} (assists included); retry the task after an admin raises the limit, or split it",
                self.used, self.max
            ),
        }
    }
}

fn bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{} bytes", n as u64)
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// `YYYY-MM-DD HH:MM` of a time (UTC).
fn format_reset(at: Timestamp) -> String {
    let day = day_of(at);
    let (y, m, d) = civil_of_day(day);
    let minutes = (at - day * 86_400_000) / 60_000;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        minutes / 60,
        minutes % 60
    )
}

/// The UTC day (days since the epoch) and month (the day number of its first day) a time
/// falls in, with when each ends: the keys LLM usage is counted under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    /// Day number.
    pub day: i64,
    /// Day number of the first day of the month.
    pub month: i64,
    /// Start of the next day (ms).
    pub day_ends: Timestamp,
    /// Start of the next month (ms).
    pub month_ends: Timestamp,
}

impl Period {
    /// The period `at` falls in.
    pub fn of(at: Timestamp) -> Period {
        let day = day_of(at);
        let (y, m, _) = civil_of_day(day);
        let month = day_of_civil(y, m, 1);
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        Period {
            day,
            month,
            day_ends: (day + 1) * 86_400_000,
            month_ends: day_of_civil(ny, nm, 1) * 86_400_000,
        }
    }
}

/// LLM usage counted against budgets: tokens and dollars.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Spend {
    /// Tokens, input and output.
    pub tokens: u64,
    /// US dollars.
    pub cost_usd: f64,
}

impl Spend {
    /// Adds `other`.
    pub fn add(&mut self, other: Spend) {
        self.tokens = self.tokens.saturating_add(other.tokens);
        self.cost_usd += other.cost_usd;
    }
}

/// Checks spending against day and month limits (a user's quota or the server's cap):
/// the first limit reached, if any. A limit is reached when what is spent is at or above
/// it, so the call that would start past it is refused before it is sent.
#[allow(clippy::too_many_arguments)]
pub fn check_spend(
    scope: QuotaScope,
    period: &Period,
    day: Spend,
    month: Spend,
    tokens_per_day: Option<u64>,
    tokens_per_month: Option<u64>,
    cost_per_day_usd: Option<f64>,
    cost_per_month_usd: Option<f64>,
) -> Result<(), QuotaExceeded> {
    let over = |limit, used: f64, max: f64, resets_at| QuotaExceeded {
        limit,
        scope,
        used,
        max,
        resets_at: Some(resets_at),
    };
    if let Some(max) = tokens_per_day
        && day.tokens >= max
    {
        return Err(over(
            QuotaKind::TokensPerDay,
            day.tokens as f64,
            max as f64,
            period.day_ends,
        ));
    }
    if let Some(max) = tokens_per_month
        && month.tokens >= max
    {
        return Err(over(
            QuotaKind::TokensPerMonth,
            month.tokens as f64,
            max as f64,
            period.month_ends,
        ));
    }
    if let Some(max) = cost_per_day_usd
        && day.cost_usd >= max
    {
        return Err(over(
            QuotaKind::CostPerDay,
            day.cost_usd,
            max,
            period.day_ends,
        ));
    }
    if let Some(max) = cost_per_month_usd
        && month.cost_usd >= max
    {
        return Err(over(
            QuotaKind::CostPerMonth,
            month.cost_usd,
            max,
            period.month_ends,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_only_what_they_set() {
        let defaults = Limits {
            quotas: Quotas {
                storage_bytes: Some(1 << 30),
                terminals: Some(4),
                ..Quotas::default()
            },
            permissions: Permissions {
                mcp: Some(false),
                ..Permissions::default()
            },
        };
        let user = Limits {
            quotas: Quotas {
                terminals: Some(1),
                tokens_per_day: Some(1000),
                ..Quotas::default()
            },
            permissions: Permissions {
                mcp: Some(true),
                terminals: Some(false),
                ..Permissions::default()
            },
        };
        let e = defaults.overlay(&user);
        assert_eq!(e.quotas.storage_bytes, Some(1 << 30));
        assert_eq!(e.quotas.terminals, Some(1));
        assert_eq!(e.quotas.tokens_per_day, Some(1000));
        assert_eq!(e.quotas.mcp_servers, None);
        assert!(e.permissions.allows(Capability::Mcp));
        assert!(!e.permissions.allows(Capability::Terminals));
        assert!(e.permissions.allows(Capability::Commands));
        assert!(
            e.permissions
                .check(Capability::Terminals)
                .unwrap_err()
                .contains("terminals")
        );
    }

    #[test]
    fn periods_end_at_the_next_utc_day_and_month() {
        // 2026-12-31 13:00 UTC.
        let at = day_of_civil(2026, 12, 31) * 86_400_000 + 13 * 3_600_000;
        let p = Period::of(at);
        assert_eq!(p.day, day_of_civil(2026, 12, 31));
        assert_eq!(p.month, day_of_civil(2026, 12, 1));
        assert_eq!(p.day_ends, day_of_civil(2027, 1, 1) * 86_400_000);
        assert_eq!(p.month_ends, day_of_civil(2027, 1, 1) * 86_400_000);
        let feb = Period::of(day_of_civil(2028, 2, 10) * 86_400_000);
        assert_eq!(feb.month_ends, day_of_civil(2028, 3, 1) * 86_400_000);
    }

    #[test]
    fn spending_at_the_limit_is_refused_with_when_it_resets() {
        let p = Period::of(day_of_civil(2026, 12, 6) * 86_400_000 + 1000);
        let spent = Spend {
            tokens: 1000,
            cost_usd: 0.5,
        };
        assert!(
            check_spend(
                QuotaScope::User,
                &p,
                spent,
                spent,
                Some(1001),
                None,
                None,
                None
            )
            .is_ok()
        );
        let e = check_spend(
            QuotaScope::User,
            &p,
            spent,
            spent,
            Some(1000),
            None,
            None,
            None,
        )
        .unwrap_err();
        assert_eq!(e.limit, QuotaKind::TokensPerDay);
        assert_eq!(e.resets_at, Some(p.day_ends));
        let m = e.to_string();
        assert!(m.contains("daily LLM token limit"), "{m}");
        assert!(m.contains("1000 of 1000"), "{m}");
        assert!(m.contains("2026-12-07 00:00 UTC"), "{m}");
        let e = check_spend(
            QuotaScope::Server,
            &p,
            spent,
            spent,
            None,
            None,
            None,
            Some(0.5),
        )
        .unwrap_err();
        assert_eq!(e.limit, QuotaKind::CostPerMonth);
        assert!(e.to_string().contains("the server's monthly LLM budget"));
        assert!(e.to_string().contains("2027-01-01 00:00 UTC"));
    }

    #[test]
    fn storage_messages_speak_in_units() {
        let e = QuotaExceeded {
            limit: QuotaKind::StorageBytes,
            scope: QuotaScope::User,
            used: (3u64 << 20) as f64,
            max: (2u64 << 20) as f64,
            resets_at: None,
        };
        let m = e.to_string();
        assert!(m.contains("3.0 MiB of 2.0 MiB"), "{m}");
        assert!(m.contains("delete files"), "{m}");
    }

    #[test]
    fn a_limit_is_named_on_the_wire_as_its_setting() {
        for kind in [
            QuotaKind::StorageBytes,
            QuotaKind::Terminals,
            QuotaKind::McpServers,
            QuotaKind::RequestsPerSecond,
            QuotaKind::TokensPerDay,
            QuotaKind::TokensPerMonth,
            QuotaKind::CostPerDay,
            QuotaKind::CostPerMonth,
            QuotaKind::TaskCost,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }

    #[test]
    fn bad_values_are_refused() {
        let q = Quotas {
            cost_per_day_usd: Some(f64::NAN),
            ..Quotas::default()
        };
        assert!(q.validate().is_err());
        let q = Quotas {
            requests_per_second: Some(0),
            ..Quotas::default()
        };
        assert!(q.validate().unwrap_err().contains("at least 1"));
        assert!(
            ServerCaps {
                cost_per_month_usd: Some(-1.0),
                ..ServerCaps::default()
            }
            .validate()
            .is_err()
        );
    }
}
