//! The tool gateway's side of the team (issue 4): every worker tool call is judged by the
//! risk policy before it runs; a call that must ask waits — its task in NeedsConfirm,
//! other tasks going on — until the user decides with `toolrun.decide`, across restarts.

use crate::team::Team;
use arranger_domain::{
    DecisionKind, Risk, Rule, RuleAction, RuleScope, Step, StepKind, ToolCall, ToolRun,
    ToolRunStatus,
};
use arranger_llm::CancellationToken;
use arranger_policy::{Decision, Policy};
use arranger_store::{Decided, StoreError, ToolRunStart};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::Notify;

/// The policy's verdict on one call, as recorded on its run.
#[derive(Clone, Debug)]
pub(crate) struct Judged {
    pub risk: Risk,
    pub reasons: Vec<arranger_domain::RiskPart>,
    pub ask: bool,
}

/// Judges one call: the highest part decides; reasons worst first. `mcp` is the risk the
/// user set on an MCP tool's server definition: `high` always asks, `low` runs, `medium`
/// (the default) leaves it to the rules (asks unless an Allow rule names the tool).
pub(crate) fn judge(policy: &Policy, call: &ToolCall, mcp: Option<Risk>) -> Judged {
    // What a terminal runs is judged like a command; reading and closing are Low.
    let a = match call.name.as_str() {
        "terminal_start" | "terminal_input" => {
            let key = if call.name == "terminal_start" {
                "command"
            } else {
                "data"
            };
            let line = call
                .arguments
                .get(key)
                .and_then(|v| v.as_str())
                .unwrap_or("");
            arranger_policy::assess_command(line.trim_end_matches('\n'), policy)
        }
        "terminal_read" | "terminal_close" => {
            arranger_policy::assess_tool("read_file", &call.arguments, policy)
        }
        _ => arranger_policy::assess_tool(&call.name, &call.arguments, policy),
    };
    let mut reasons = a.parts;
    reasons.sort_by_key(|p| std::cmp::Reverse(p.risk));
    let (risk, ask) = match mcp {
        Some(Risk::High) => (Risk::High, true),
        Some(Risk::Low) if a.risk <= Risk::Medium => (Risk::Low, false),
        _ => (a.risk, a.decision == Decision::Ask),
    };
    if let Some(r) = mcp
        && r != Risk::Medium
    {
        reasons.insert(
            0,
            arranger_domain::RiskPart {
                command: call.name.clone(),
                risk,
                reason: format!("the MCP server's definition sets this tool's risk to {r:?}")
                    .to_lowercase(),
            },
        );
    }
    Judged { risk, reasons, ask }
}

/// Why a decision was refused.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    /// The store refused it (unknown run, not waiting, High with allow_always, …).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Removes a waiter when its wait ends, however it ends.
struct Waiting<'a> {
    team: &'a Team,
    run: String,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Ok(mut w) = self.team.decisions.lock() {
            w.remove(&self.run);
        }
        self.team.waiting.fetch_sub(1, Ordering::Relaxed);
        self.team.wake.notify_one();
    }
}

impl Team {
    /// The user's risk policy: built-in rules, then the user's, then the workspace's.
    pub async fn policy(&self) -> Result<Policy, StoreError> {
        let rules = self.store.policy_rules().await?;
        let (workspace, user): (Vec<Rule>, Vec<Rule>) = rules
            .into_iter()
            .partition(|r| r.scope == RuleScope::Workspace);
        Ok(Policy::with_builtin(user, workspace))
    }

    /// What a run of `call` starts as.
    pub(crate) fn run_start(
        task: Option<arranger_domain::TaskId>,
        agent: arranger_domain::AgentId,
        call: &ToolCall,
        judged: Judged,
    ) -> ToolRunStart {
        ToolRunStart {
            task,
            agent,
            call_id: call.id.clone(),
            tool: call.name.clone(),
            args: call.arguments.clone(),
            risk: Some(judged.risk),
            reasons: judged.reasons,
            ask: judged.ask,
        }
    }

    /// Waits until the user decides on `run` (returned as decided) or `cancel` fires
    /// (`None`). A waiting task does not count against the user's concurrent tasks.
    pub(crate) async fn await_decision(
        &self,
        run: &str,
        cancel: &CancellationToken,
    ) -> Result<Option<ToolRun>, StoreError> {
        let notify = Arc::new(Notify::new());
        if let Ok(mut w) = self.decisions.lock() {
            w.insert(run.to_owned(), notify.clone());
        }
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let _waiting = Waiting {
            team: self,
            run: run.to_owned(),
        };
        // Room for another task while this one waits.
        self.wake.notify_one();
        loop {
            // Read after registering: a decision that came first is seen here.
            let r = self.store.tool_run(run.to_owned()).await?;
            if r.status != ToolRunStatus::AwaitingDecision {
                return Ok(Some(r));
            }
            tokio::select! {
                _ = notify.notified() => {}
                _ = cancel.cancelled() => return Ok(None),
            }
        }
    }

    /// The user's decision on a waiting tool run (`toolrun.decide`). `allow_always` adds
    /// an Allow rule in the user's scope for what made the call Medium — the exact
    /// commands of a shell line, or the tool's name — and is refused for High runs.
    pub async fn decide_tool_run(
        self: &Arc<Self>,
        run: String,
        kind: DecisionKind,
        reason: Option<String>,
    ) -> Result<Decided, DecideError> {
        let current = self.store.tool_run(run.clone()).await?;
        let rules = if kind == DecisionKind::AllowAlways {
            allow_rules(&current)
        } else {
            Vec::new()
        };
        let decided = self
            .store
            .decide_tool_run(run.clone(), kind, reason, rules)
            .await?;
        let waiter = self
            .decisions
            .lock()
            .ok()
            .and_then(|w| w.get(&run).cloned());
        match waiter {
            Some(n) => n.notify_one(),
            // Nobody waits (the worker is gone): start one; it picks the decision up.
            None => {
                if let Some(task) = &decided.task
                    && !self.is_running(&task.id)
                    && let Some(agent) = &task.assignee
                    && let Ok(agents) = self.store.list_agents().await
                    && let Some(agent) = agents.into_iter().find(|a| &a.id == agent)
                {
                    self.start_worker(task.clone(), agent);
                }
            }
        }
        Ok(decided)
    }
}

/// The Allow rules an `allow_always` on `run` adds.
fn allow_rules(run: &ToolRun) -> Vec<Rule> {
    if run.tool == "run_command" {
        run.reasons
            .iter()
            .filter(|p| p.risk == Risk::Medium)
            .map(|p| Rule::new(p.command.clone(), RuleAction::Allow, RuleScope::User))
            .collect()
    } else {
        vec![Rule::new(
            run.tool.clone(),
            RuleAction::Allow,
            RuleScope::User,
        )]
    }
}

/// The calls of the record's last model turn that have no result yet, in order.
pub(crate) fn unanswered(steps: &[Step]) -> Vec<ToolCall> {
    let Some(last) = steps
        .iter()
        .rposition(|s| matches!(s.kind, StepKind::Assistant { .. }))
    else {
        return Vec::new();
    };
    let StepKind::Assistant { tool_calls, .. } = &steps[last].kind else {
        return Vec::new();
    };
    tool_calls
        .iter()
        .filter(|c| {
            !steps[last + 1..].iter().any(
                |s| matches!(&s.kind, StepKind::ToolResult { call_id, .. } if *call_id == c.id),
            )
        })
        .cloned()
        .collect()
}
