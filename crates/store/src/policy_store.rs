//! The tool gateway's records: the user's and the workspace's risk rules, and the
//! user's decisions on tool runs that asked.

use crate::team_store::{RUN_COLUMNS, load_run, run_from_row};
use crate::user_store::{Events, load_task, transition};
use crate::{StoreError, UserStore, now_ms};
use arranger_domain::{
    DecisionKind, EventKind, Risk, Rule, RuleAction, RuleScope, Task, TaskStatus, ToolRun,
    ToolRunStatus,
};
use rusqlite::{Connection, params};
use std::sync::Arc;

/// Most rules a user may keep (user and workspace scopes together).
pub const MAX_RULES: usize = 500;

/// What a decision on a waiting tool run changed.
#[derive(Clone, Debug)]
pub struct Decided {
    /// The run after the decision (Running when allowed, Denied when denied).
    pub run: ToolRun,
    /// Its task, when the decision moved it (NeedsConfirm → Active).
    pub task: Option<Task>,
    /// The rules an `allow_always` added.
    pub rules: Vec<Rule>,
}

fn action_name(a: RuleAction) -> &'static str {
    match a {
        RuleAction::Allow => "allow",
        RuleAction::Ask => "ask",
        RuleAction::High => "high",
    }
}

fn scope_name(s: RuleScope) -> &'static str {
    match s {
        RuleScope::Builtin => "builtin",
        RuleScope::User => "user",
        RuleScope::Workspace => "workspace",
    }
}

fn load_rules(conn: &Connection) -> Result<Vec<Rule>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT scope, pattern, action FROM policy_rules ORDER BY n")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (scope, pattern, action) = row?;
        let scope = [RuleScope::User, RuleScope::Workspace]
            .into_iter()
            .find(|s| scope_name(*s) == scope)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown rule scope {scope:?}")))?;
        let action = [RuleAction::Allow, RuleAction::Ask, RuleAction::High]
            .into_iter()
            .find(|a| action_name(*a) == action)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown rule action {action:?}")))?;
        out.push(Rule::new(pattern, action, scope));
    }
    Ok(out)
}

fn save_rules(ev: &mut Events<'_>, rules: &[Rule]) -> Result<(), StoreError> {
    ev.tx
        .prepare_cached("DELETE FROM policy_rules")?
        .execute([])?;
    for r in rules {
        ev.tx
            .prepare_cached(
                "INSERT INTO policy_rules (scope, pattern, action) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![
                scope_name(r.scope),
                r.pattern,
                action_name(r.action)
            ])?;
    }
    ev.record(EventKind::PolicyUpdated {
        rules: rules.to_vec(),
    })?;
    Ok(())
}

/// Checks a user's rule set: scopes, validity (see [`Rule::validate`]), size.
fn check_rules(rules: &[Rule]) -> Result<(), StoreError> {
    if rules.len() > MAX_RULES {
        return Err(StoreError::Invalid(format!(
            "at most {MAX_RULES} rules; this set has {}",
            rules.len()
        )));
    }
    for (i, r) in rules.iter().enumerate() {
        if r.scope == RuleScope::Builtin {
            return Err(StoreError::Invalid(format!(
                "rule {i} ({:?}): built-in rules cannot be changed; use scope \"user\" or \"workspace\"",
                r.pattern
            )));
        }
        r.validate()
            .map_err(|e| StoreError::Invalid(format!("rule {i} ({:?}): {e}", r.pattern)))?;
    }
    Ok(())
}

impl UserStore {
    /// The user's and the workspace's risk rules, in order. Served from memory while
    /// unchanged.
    pub async fn policy_rules(&self) -> Result<Vec<Rule>, StoreError> {
        if let Some(rules) = self.inner.hot.lock().ok().and_then(|h| h.rules.clone()) {
            return Ok(rules.as_ref().clone());
        }
        self.call_now(|conn, inner| {
            let rules = load_rules(conn)?;
            if let Ok(mut h) = inner.hot.lock() {
                h.rules = Some(Arc::new(rules.clone()));
            }
            Ok(rules)
        })
        .await
    }

    /// Replaces the user's and the workspace's risk rules after checking every one.
    pub async fn set_policy_rules(&self, rules: Vec<Rule>) -> Result<Vec<Rule>, StoreError> {
        check_rules(&rules)?;
        self.write(move |ev| {
            save_rules(ev, &rules)?;
            Ok(rules)
        })
        .await
    }

    /// One tool run.
    pub async fn tool_run(&self, id: String) -> Result<ToolRun, StoreError> {
        self.call(move |conn, _| load_run(conn, &id)).await
    }

    /// Every tool run waiting for the user's decision, oldest first.
    pub async fn awaiting_tool_runs(&self) -> Result<Vec<ToolRun>, StoreError> {
        self.call(|conn, _| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM tool_runs WHERE status = 'awaiting_decision' ORDER BY created_at, rowid"
            ))?;
            let rows = stmt.query_map([], run_from_row)?;
            rows.map(|r| r?).collect()
        })
        .await
    }

    /// The user's decision on a run waiting for one. Allowing starts it (Running);
    /// denying ends it (Denied, with the reason as its output). `allow_always` also adds
    /// `rules` (Allow rules in the user's scope) — refused for High runs, which always
    /// ask. The run's task goes back to Active when no other run of it still waits.
    pub async fn decide_tool_run(
        &self,
        id: String,
        kind: DecisionKind,
        reason: Option<String>,
        rules: Vec<Rule>,
    ) -> Result<Decided, StoreError> {
        if kind == DecisionKind::Policy {
            return Err(StoreError::Invalid(
                "a decision is allow_once, allow_always or deny".into(),
            ));
        }
        if let Some(r) = &reason
            && r.len() > 4096
        {
            return Err(StoreError::Invalid(
                "a reason may be at most 4096 bytes".into(),
            ));
        }
        self.write(move |ev| {
            let run = load_run(ev.tx, &id)?;
            if run.status != ToolRunStatus::AwaitingDecision {
                return Err(StoreError::Conflict(format!(
                    "tool run {id} is {} and waits for no decision",
                    run.status.as_str()
                )));
            }
            let mut added = Vec::new();
            if kind == DecisionKind::AllowAlways {
                if run.risk == Some(Risk::High) {
                    return Err(StoreError::Invalid(
                        "a High-risk call always asks and cannot be allowed always; use allow_once"
                            .into(),
                    ));
                }
                if rules.is_empty() {
                    return Err(StoreError::Invalid(format!(
                        "calls like this one ({}) cannot be allowed by a rule; use allow_once",
                        run.tool
                    )));
                }
                let mut all = load_rules(ev.tx)?;
                for rule in &rules {
                    rule.validate().map_err(|e| {
                        StoreError::Invalid(format!("cannot allow always: {e}; use allow_once"))
                    })?;
                    if !all.contains(rule) {
                        all.push(rule.clone());
                    }
                }
                check_rules(&all)?;
                save_rules(ev, &all)?;
                added = rules;
            }
            let now = now_ms();
            let (status, output) = if kind == DecisionKind::Deny {
                let why = reason.clone().unwrap_or_else(|| "no reason given".into());
                (ToolRunStatus::Denied, format!("denied by the user: {why}"))
            } else {
                (ToolRunStatus::Running, String::new())
            };
            ev.tx
                .prepare_cached(
                    "UPDATE tool_runs SET status = ?2, output = ?3, decision = ?4, decided_by = 'user',
                         decision_reason = ?5, decided_at = ?6,
                         finished_at = CASE WHEN ?2 = 'denied' THEN ?6 END,
                         duration_ms = CASE WHEN ?2 = 'denied' THEN 0 END
                     WHERE id = ?1",
                )?
                .execute(params![id, status.as_str(), output, kind.as_str(), reason, now])?;
            let run = load_run(ev.tx, &id)?;
            ev.record(EventKind::ToolRunUpdated { run: run.clone() })?;
            let mut task = None;
            if let Some(t) = &run.task_id {
                let waiting: i64 = ev
                    .tx
                    .prepare_cached(
                        "SELECT COUNT(*) FROM tool_runs WHERE task_id = ?1 AND status = 'awaiting_decision'",
                    )?
                    .query_row([t.as_str()], |r| r.get(0))?;
                if waiting == 0 && load_task(ev.tx, t)?.status == TaskStatus::NeedsConfirm {
                    let why = match kind {
                        DecisionKind::Deny => "you denied a tool call; the agent adapts",
                        _ => "you allowed the tool call",
                    };
                    task = Some(transition(ev, t, TaskStatus::Active, Some(why.into()))?);
                }
            }
            Ok(Decided {
                run,
                task,
                rules: added,
            })
        })
        .await
    }
}
