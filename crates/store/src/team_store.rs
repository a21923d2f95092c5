//! The coding team's part of a user's StateStore: agents, assignments, step records,
//! tool runs and assist requests. Every change is one transaction with its events.

use crate::user_store::{Events, broadcast_in, load_task, transition};
use crate::{StoreError, UserStore, new_id, now_ms};
use arranger_domain::{
    Agent, AgentId, AgentModel, AgentRole, AssistRequest, AssistStatus, ContextRef, DecisionKind,
    EventKind, Notice, Risk, RiskPart, Score, Step, StepKind, Task, TaskId, TaskStatus,
    ToolDecision, ToolRun, ToolRunStatus, Usage,
};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::Value;
use std::sync::Arc;

/// Most context references a task keeps.
pub const MAX_CONTEXT_REFS: usize = 64;

/// Which record a step belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepOwner {
    /// The task (also set for an assist, to the requester's task).
    pub task: Option<TaskId>,
    /// The assist request, for a helper's steps.
    pub assist: Option<String>,
    /// The agent writing the step.
    pub agent: AgentId,
}

impl StepOwner {
    /// A task's record (every agent that worked on it).
    pub fn task(task: TaskId, agent: AgentId) -> Self {
        StepOwner {
            task: Some(task),
            assist: None,
            agent,
        }
    }

    /// A helper's record for an assist request.
    pub fn assist(task: TaskId, assist: String, agent: AgentId) -> Self {
        StepOwner {
            task: Some(task),
            assist: Some(assist),
            agent,
        }
    }

    /// An agent's 1:1 chat.
    pub fn chat(agent: AgentId) -> Self {
        StepOwner {
            task: None,
            assist: None,
            agent,
        }
    }

    /// The WHERE clause selecting this record (a task's record spans its agents) and
    /// its one parameter.
    fn filter(&self) -> (&'static str, String) {
        match (&self.task, &self.assist) {
            (_, Some(a)) => ("assist_id = ?1", a.clone()),
            (Some(t), None) => ("task_id = ?1 AND assist_id IS NULL", t.to_string()),
            (None, None) => (
                "task_id IS NULL AND assist_id IS NULL AND agent_id = ?1",
                self.agent.to_string(),
            ),
        }
    }
}

/// The start of a tool call, as recorded in `tool_runs`.
#[derive(Clone, Debug)]
pub struct ToolRunStart {
    /// The task it runs for, if any.
    pub task: Option<TaskId>,
    /// The agent that called it.
    pub agent: AgentId,
    /// The model's id for the call.
    pub call_id: String,
    /// The tool.
    pub tool: String,
    /// Its arguments.
    pub args: Value,
    /// The policy's risk level, when it was assessed.
    pub risk: Option<Risk>,
    /// The judged parts, worst first.
    pub reasons: Vec<RiskPart>,
    /// Whether the user must decide before it runs: the run starts AwaitingDecision and
    /// its task (if Active) goes to NeedsConfirm in the same commit.
    pub ask: bool,
}

/// Longest tool output kept in a `tool_runs` row, in bytes.
pub const MAX_TOOL_OUTPUT_BYTES: usize = 64 * 1024;

/// Changes to an agent's configuration; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct AgentPatch {
    /// New name (unique within the team).
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New capability tags.
    pub capabilities: Option<Vec<String>>,
    /// New scenes.
    pub scenes: Option<Vec<String>>,
    /// New model choice.
    pub model: Option<AgentModel>,
    /// Enable or disable.
    pub enabled: Option<bool>,
}

const AGENT_COLUMNS: &str = "id, name, role, description, capabilities, scenes, provider, model, enabled, successes, failures";

fn agent_from_row(r: &Row<'_>) -> rusqlite::Result<Result<Agent, StoreError>> {
    let role: String = r.get(2)?;
    let caps: String = r.get(4)?;
    let scenes: String = r.get(5)?;
    let build = || -> Result<Agent, StoreError> {
        Ok(Agent {
            id: AgentId::new(r.get::<_, String>(0)?),
            name: r.get(1)?,
            role: if role == "manager" {
                AgentRole::Manager
            } else {
                AgentRole::Worker
            },
            description: r.get(3)?,
            capabilities: serde_json::from_str(&caps).map_err(StoreError::corrupt)?,
            scenes: serde_json::from_str(&scenes).map_err(StoreError::corrupt)?,
            model: AgentModel {
                provider: r.get(6)?,
                model: r.get(7)?,
            },
            enabled: r.get(8)?,
            successes: r.get(9)?,
            failures: r.get(10)?,
        })
    };
    Ok(build())
}

fn load_agent(conn: &Connection, id: &AgentId) -> Result<Agent, StoreError> {
    conn.prepare_cached(&format!("SELECT {AGENT_COLUMNS} FROM agents WHERE id = ?1"))?
        .query_row([id.as_str()], agent_from_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound {
            what: "agent",
            id: id.to_string(),
        })?
}

fn save_agent(ev: &mut Events<'_>, a: &Agent) -> Result<(), StoreError> {
    let caps = serde_json::to_string(&a.capabilities).map_err(StoreError::corrupt)?;
    let scenes = serde_json::to_string(&a.scenes).map_err(StoreError::corrupt)?;
    let role = match a.role {
        AgentRole::Manager => "manager",
        AgentRole::Worker => "worker",
    };
    let r = ev.tx.prepare_cached("INSERT INTO agents (id, name, role, description, capabilities, scenes, provider, model,
                             enabled, successes, failures, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description,
             capabilities = excluded.capabilities, scenes = excluded.scenes,
             provider = excluded.provider, model = excluded.model, enabled = excluded.enabled,
             successes = excluded.successes, failures = excluded.failures")?.execute(params![
            a.id.as_str(),
            a.name,
            role,
            a.description,
            caps,
            scenes,
            a.model.provider,
            a.model.model,
            a.enabled,
            a.successes,
            a.failures,
            now_ms()
        ],
    );
    match r {
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            return Err(StoreError::Conflict(format!(
                "another agent is already named {:?}",
                a.name
            )));
        }
        other => {
            other?;
        }
    }
    ev.record(EventKind::AgentUpdated { agent: a.clone() })?;
    Ok(())
}

fn check_agent_name(name: &str) -> Result<(), StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "agent name {name:?} is not valid: use 1 to 32 letters, digits, '_' or '-' (it is mentioned as @Name)"
        )))
    }
}

pub(crate) fn run_from_row(r: &Row<'_>) -> rusqlite::Result<Result<ToolRun, StoreError>> {
    let args: String = r.get(5)?;
    let status: String = r.get(7)?;
    let risk: String = r.get(10)?;
    let reasons: String = r.get(11)?;
    let decision: Option<String> = r.get(12)?;
    let build = || -> Result<ToolRun, StoreError> {
        let decision = match decision {
            Some(kind) => Some(ToolDecision {
                kind: DecisionKind::parse(&kind).ok_or_else(|| {
                    StoreError::Corrupt(format!("unknown tool run decision {kind:?}"))
                })?,
                by: r.get::<_, Option<String>>(13)?.unwrap_or_default(),
                reason: r.get(14)?,
                at: r.get::<_, Option<i64>>(15)?.unwrap_or_default(),
            }),
            None => None,
        };
        Ok(ToolRun {
            id: r.get(0)?,
            task_id: r.get::<_, Option<String>>(1)?.map(TaskId::new),
            agent_id: r.get::<_, Option<String>>(2)?.map(AgentId::new),
            call_id: r.get(3)?,
            tool: r.get(4)?,
            args: serde_json::from_str(&args).map_err(StoreError::corrupt)?,
            output: r.get(6)?,
            status: ToolRunStatus::parse(&status).ok_or_else(|| {
                StoreError::Corrupt(format!("unknown tool run status {status:?}"))
            })?,
            started_at: r.get(8)?,
            finished_at: r.get(9)?,
            risk: risk_of(&risk),
            reasons: serde_json::from_str(&reasons).map_err(StoreError::corrupt)?,
            decision,
            duration_ms: r.get::<_, Option<i64>>(16)?.map(|d| d.max(0) as u64),
            output_bytes: r.get::<_, Option<i64>>(17)?.map(|d| d.max(0) as u64),
        })
    };
    Ok(build())
}

/// The database name of a risk level (`unassessed` for none).
pub(crate) fn risk_name(risk: Option<Risk>) -> &'static str {
    match risk {
        None => "unassessed",
        Some(Risk::Low) => "low",
        Some(Risk::Medium) => "medium",
        Some(Risk::High) => "high",
    }
}

fn risk_of(name: &str) -> Option<Risk> {
    [Risk::Low, Risk::Medium, Risk::High]
        .into_iter()
        .find(|r| risk_name(Some(*r)) == name)
}

pub(crate) const RUN_COLUMNS: &str = "id, task_id, agent_id, call_id, command, args, output, status, created_at, \
     finished_at, risk_level, reasons, decision, decided_by, decision_reason, decided_at, duration_ms, \
     output_bytes";

pub(crate) fn load_run(conn: &Connection, id: &str) -> Result<ToolRun, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {RUN_COLUMNS} FROM tool_runs WHERE id = ?1"
    ))?
    .query_row([id], run_from_row)
    .optional()?
    .ok_or_else(|| StoreError::NotFound {
        what: "tool run",
        id: id.to_owned(),
    })?
}

fn assist_from_row(r: &Row<'_>) -> rusqlite::Result<Result<AssistRequest, StoreError>> {
    let status: String = r.get(5)?;
    Ok(AssistStatus::parse(&status)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown assist status {status:?}")))
        .and_then(|status| {
            Ok(AssistRequest {
                id: r.get(0)?,
                task_id: TaskId::new(r.get::<_, String>(1)?),
                requester: AgentId::new(r.get::<_, String>(2)?),
                helper: r.get::<_, Option<String>>(3)?.map(AgentId::new),
                question: r.get(4)?,
                status,
                summary: r.get(6)?,
                created_at: r.get(7)?,
                finished_at: r.get(8)?,
            })
        }))
}

const ASSIST_COLUMNS: &str =
    "id, task_id, requester, helper, question, status, summary, created_at, finished_at";

fn load_assist(conn: &Connection, id: &str) -> Result<AssistRequest, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {ASSIST_COLUMNS} FROM assist_requests WHERE id = ?1"
    ))?
    .query_row([id], assist_from_row)
    .optional()?
    .ok_or_else(|| StoreError::NotFound {
        what: "assist request",
        id: id.to_owned(),
    })?
}

/// The largest char boundary of `s` at or below `max`.
fn floor_boundary(s: &str, max: usize) -> usize {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// Most of a tool run's whole output kept (`toolrun.output`), in bytes.
pub const MAX_FULL_OUTPUT_BYTES: usize = 4 * 1024 * 1024;

/// Cuts `s` to at most `max` bytes at a character boundary, saying how much was cut.
pub fn cap_output(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n[… {} more bytes not shown]", &s[..end], s.len() - end)
}

impl UserStore {
    /// The team, Manager first, then by name.
    /// Served from memory while the team is unchanged.
    pub async fn list_agents(&self) -> Result<Vec<Agent>, StoreError> {
        if let Some(agents) = self.inner.hot.lock().ok().and_then(|h| h.agents.clone()) {
            return Ok(agents.as_ref().clone());
        }
        self.call_now(|conn, inner| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {AGENT_COLUMNS} FROM agents ORDER BY role = 'worker', name"
            ))?;
            let rows = stmt.query_map([], agent_from_row)?;
            let agents: Vec<Agent> = rows.map(|r| r?).collect::<Result<_, _>>()?;
            // Filled while holding the handle, so no write can slip in between.
            if let Ok(mut h) = inner.hot.lock() {
                h.agents = Some(Arc::new(agents.clone()));
            }
            Ok(agents)
        })
        .await
    }

    /// Creates the given agents if the team is empty (the user's first activation).
    /// Returns the team.
    pub async fn ensure_team(&self, defaults: Vec<Agent>) -> Result<Vec<Agent>, StoreError> {
        self.write(move |ev| {
            let n: i64 = ev
                .tx
                .query_row("SELECT COUNT(*) FROM agents", [], |r| r.get(0))?;
            if n == 0 {
                for a in &defaults {
                    check_agent_name(&a.name)?;
                    save_agent(ev, a)?;
                }
            }
            Ok(())
        })
        .await?;
        self.list_agents().await
    }

    /// Changes an agent's configuration.
    pub async fn update_agent(&self, id: AgentId, patch: AgentPatch) -> Result<Agent, StoreError> {
        if let Some(n) = &patch.name {
            check_agent_name(n)?;
        }
        self.write(move |ev| {
            let mut a = load_agent(ev.tx, &id)?;
            if let Some(v) = patch.name {
                a.name = v;
            }
            if let Some(v) = patch.description {
                a.description = v;
            }
            if let Some(v) = patch.capabilities {
                a.capabilities = v;
            }
            if let Some(v) = patch.scenes {
                a.scenes = v;
            }
            if let Some(v) = patch.model {
                a.model = v;
            }
            if let Some(v) = patch.enabled {
                if !v && a.role == AgentRole::Manager {
                    return Err(StoreError::Conflict(
                        "the Manager cannot be disabled".into(),
                    ));
                }
                a.enabled = v;
            }
            save_agent(ev, &a)?;
            Ok(a)
        })
        .await
    }

    /// Hands a Pending (or Reassigning) task to `agent`: it becomes Active, its attempt
    /// count grows, the Scheduler's scores are recorded, and `announce` (if any) is posted
    /// to the task's session as a system broadcast — all in one transaction.
    pub async fn assign_task(
        &self,
        id: TaskId,
        agent: AgentId,
        scores: Vec<Score>,
        announce: Option<Notice>,
    ) -> Result<Task, StoreError> {
        self.write(move |ev| {
            let task = load_task(ev.tx, &id)?;
            if !matches!(task.status, TaskStatus::Pending | TaskStatus::Reassigning | TaskStatus::Blocked) {
                return Err(StoreError::Conflict(format!("task {id} is {} and cannot be assigned", task.status)));
            }
            ev.tx.prepare_cached("UPDATE tasks SET assignee = ?2, scores = ?3, attempts = attempts + 1 WHERE id = ?1")?.execute(params![
                    id.as_str(),
                    agent.as_str(),
                    serde_json::to_string(&scores).map_err(StoreError::corrupt)?
                ],
            )?;
            let name = load_agent(ev.tx, &agent).map(|a| a.name).unwrap_or_else(|_| agent.to_string());
            let task = transition(ev, &id, TaskStatus::Active, Some(format!("assigned to {name}")))?;
            if let Some(notice) = announce {
                broadcast_in(ev, &task.session_id, notice)?;
            }
            Ok(task)
        })
        .await
    }

    /// The agents that failed a task (a reassignment picks another).
    pub async fn tried_agents(&self, id: TaskId) -> Result<Vec<AgentId>, StoreError> {
        self.call_now(move |conn, _| {
            let tried: String = conn
                .prepare_cached("SELECT tried FROM tasks WHERE id = ?1")?
                .query_row([id.as_str()], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StoreError::NotFound {
                    what: "task",
                    id: id.to_string(),
                })?;
            serde_json::from_str(&tried).map_err(StoreError::corrupt)
        })
        .await
    }

    /// The assignee finished: Active → Finalizing (with its report) → Done, the agent's
    /// success is recorded, and `announce` (if any) is posted to the task's session.
    pub async fn complete_task(
        &self,
        id: TaskId,
        report: String,
        announce: Option<Notice>,
    ) -> Result<Task, StoreError> {
        self.write(move |ev| {
            ev.tx
                .prepare_cached("UPDATE tasks SET report = ?2 WHERE id = ?1")?
                .execute(params![id.as_str(), report])?;
            transition(
                ev,
                &id,
                TaskStatus::Finalizing,
                Some("the assignee reported completion".into()),
            )?;
            let task = transition(ev, &id, TaskStatus::Done, None)?;
            if let Some(a) = &task.assignee {
                bump(ev, a, true)?;
            }
            if let Some(notice) = announce {
                broadcast_in(ev, &task.session_id, notice)?;
            }
            Ok(task)
        })
        .await
    }

    /// Adds `refs` to the context a task used (already recorded ones are kept; a ref
    /// with the same path and span is not added twice; at most [`MAX_CONTEXT_REFS`] are
    /// kept, oldest dropped first). Returns the task, with a `task_updated` event when
    /// anything was added.
    pub async fn add_context_refs(
        &self,
        id: TaskId,
        refs: Vec<ContextRef>,
    ) -> Result<Task, StoreError> {
        self.write(move |ev| merge_context_refs(ev, &id, refs))
            .await
    }

    /// The assignee failed: the task goes to Reassigning (or Failed when `give_up`), and
    /// the agent's failure is recorded.
    pub async fn fail_attempt(
        &self,
        id: TaskId,
        reason: String,
        give_up: bool,
    ) -> Result<Task, StoreError> {
        self.write(move |ev| {
            let task = load_task(ev.tx, &id)?;
            if let Some(a) = &task.assignee {
                bump(ev, a, false)?;
                let tried: String = ev
                    .tx
                    .prepare_cached("SELECT tried FROM tasks WHERE id = ?1")?
                    .query_row([id.as_str()], |r| r.get(0))?;
                let mut tried: Vec<AgentId> =
                    serde_json::from_str(&tried).map_err(StoreError::corrupt)?;
                if !tried.contains(a) {
                    tried.push(a.clone());
                }
                ev.tx
                    .prepare_cached("UPDATE tasks SET tried = ?2 WHERE id = ?1")?
                    .execute(params![
                        id.as_str(),
                        serde_json::to_string(&tried).map_err(StoreError::corrupt)?
                    ])?;
            }
            let to = if give_up {
                TaskStatus::Failed
            } else {
                TaskStatus::Reassigning
            };
            transition(ev, &id, to, Some(reason))
        })
        .await
    }

    /// Accounts one model call: to the agent's daily ledger, and to the task (its assists'
    /// calls included) when there is one.
    pub async fn record_usage(
        &self,
        task: Option<TaskId>,
        agent: AgentId,
        usage: Usage,
    ) -> Result<(), StoreError> {
        self.write(move |ev| add_usage(ev, task, agent, usage))
            .await
    }

    /// Usage per day and agent for the last `days` days (UTC), newest first.
    pub async fn daily_usage(
        &self,
        days: u32,
    ) -> Result<Vec<arranger_domain::DailyUsage>, StoreError> {
        self.call(move |conn, _| {
            let since = arranger_domain::day_of(now_ms()) - i64::from(days) + 1;
            let mut stmt = conn.prepare_cached(
                "SELECT day, agent_id, input_tokens, output_tokens, cost_usd FROM usage_daily
                 WHERE day >= ?1 ORDER BY day DESC, agent_id",
            )?;
            let rows = stmt.query_map([since], |r| {
                Ok(arranger_domain::DailyUsage {
                    date: arranger_domain::date_of_day(r.get(0)?),
                    agent_id: AgentId::new(r.get::<_, String>(1)?),
                    usage: Usage {
                        input_tokens: r.get::<_, i64>(2)? as u64,
                        output_tokens: r.get::<_, i64>(3)? as u64,
                        cost_usd: r.get(4)?,
                    },
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// Appends one step to a record: a task's (all its agents in order), an assist's
    /// (the helper's, `assist` set), or an agent's 1:1 chat (`task` and `assist` `None`).
    pub async fn append_step(&self, owner: StepOwner, kind: StepKind) -> Result<Step, StoreError> {
        self.write(move |ev| insert_step(ev, &owner, kind)).await
    }

    /// A task's first instruction and the context refs it carries, in one transaction
    /// (see [`UserStore::append_step`] and [`UserStore::add_context_refs`]).
    pub async fn append_instruction(
        &self,
        owner: StepOwner,
        text: String,
        refs: Vec<ContextRef>,
    ) -> Result<Step, StoreError> {
        self.write(move |ev| {
            if let Some(task) = owner.task.clone()
                && !refs.is_empty()
            {
                merge_context_refs(ev, &task, refs)?;
            }
            insert_step(ev, &owner, StepKind::Instruction { text })
        })
        .await
    }

    /// One model turn in one transaction: the agent's step, its usage (see
    /// [`UserStore::append_step`] and [`UserStore::record_usage`]) and, when given, the
    /// start of the turn's first tool call (see [`UserStore::start_tool_run`]).
    pub async fn record_turn(
        &self,
        owner: StepOwner,
        kind: StepKind,
        usage: Usage,
        first_call: Option<ToolRunStart>,
    ) -> Result<(Step, Option<ToolRun>), StoreError> {
        self.write(move |ev| {
            add_usage(ev, owner.task.clone(), owner.agent.clone(), usage)?;
            let step = insert_step(ev, &owner, kind)?;
            let run = first_call.map(|c| insert_run(ev, c)).transpose()?;
            Ok((step, run))
        })
        .await
    }

    /// The end of a tool call in one transaction: the run's result and the agent's
    /// `tool_result` step.
    pub async fn finish_tool_call(
        &self,
        run_id: String,
        status: ToolRunStatus,
        owner: StepOwner,
        result: StepKind,
        full: Option<String>,
    ) -> Result<(ToolRun, Step), StoreError> {
        let output = match &result {
            StepKind::ToolResult { output, .. } => output.clone(),
            _ => String::new(),
        };
        let bytes = output.len() + full.as_ref().map_or(0, String::len);
        self.write_sized(bytes, move |ev| {
            let run = finish_run(ev, &run_id, status, &output, full.as_deref())?;
            let step = insert_step(ev, &owner, result)?;
            Ok((run, step))
        })
        .await
    }

    /// One record's steps, in order (see [`StepOwner`]).
    pub async fn steps(&self, owner: StepOwner) -> Result<Vec<Step>, StoreError> {
        self.call(move |conn, _| {
            let (filter, param) = owner.filter();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT task_id, assist_id, agent_id, idx, data, at FROM steps WHERE {filter} ORDER BY n"
            ))?;
            let rows = stmt.query_map([param], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (task_id, assist_id, agent_id, idx, data, at) = row?;
                out.push(Step {
                    task_id: task_id.map(TaskId::new),
                    assist_id,
                    agent_id: AgentId::new(agent_id),
                    index: idx as u32,
                    kind: serde_json::from_str(&data).map_err(StoreError::corrupt)?,
                    at,
                });
            }
            Ok(out)
        })
        .await
    }

    /// Records the start of a tool call.
    pub async fn start_tool_run(&self, start: ToolRunStart) -> Result<ToolRun, StoreError> {
        self.write(move |ev| insert_run(ev, start)).await
    }

    /// Records the end of a tool call (output capped at [`MAX_TOOL_OUTPUT_BYTES`]).
    pub async fn finish_tool_run(
        &self,
        id: String,
        status: ToolRunStatus,
        output: String,
    ) -> Result<ToolRun, StoreError> {
        self.write_sized(output.len(), move |ev| {
            finish_run(ev, &id, status, &output, None)
        })
        .await
    }

    /// Part of a tool run's whole output: up to `limit` bytes from byte `offset` (moved
    /// back to a character boundary), with the whole length. The run's capped `output` when
    /// nothing more was kept.
    pub async fn tool_run_output(
        &self,
        id: String,
        offset: u64,
        limit: usize,
    ) -> Result<(String, u64, u64), StoreError> {
        self.call(move |conn, _| {
            let run = load_run(conn, &id)?;
            let whole: String = conn
                .prepare_cached("SELECT data FROM tool_outputs WHERE run_id = ?1")?
                .query_row([&id], |r| r.get(0))
                .optional()?
                .unwrap_or(run.output);
            let total = whole.len() as u64;
            let start = floor_boundary(&whole, usize::try_from(offset).unwrap_or(usize::MAX));
            let end = floor_boundary(&whole, start.saturating_add(limit));
            Ok((whole[start..end].to_owned(), start as u64, total))
        })
        .await
    }

    /// A task's tool runs, oldest first.
    pub async fn tool_runs(&self, task: TaskId) -> Result<Vec<ToolRun>, StoreError> {
        self.call(move |conn, _| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM tool_runs WHERE task_id = ?1 ORDER BY created_at, rowid"
            ))?;
            let rows = stmt.query_map([task.as_str()], run_from_row)?;
            rows.map(|r| r?).collect()
        })
        .await
    }

    /// After a restart: tool runs still marked running were cut off. They become
    /// Interrupted (their effects are unknown) and are returned, so the agent can be told
    /// rather than repeating a side effect blindly.
    pub async fn interrupt_running_tool_runs(&self) -> Result<Vec<ToolRun>, StoreError> {
        self.write(|ev| {
            let ids: Vec<String> = {
                let mut stmt = ev.tx.prepare("SELECT id FROM tool_runs WHERE status = 'running'")?;
                let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
                rows.collect::<Result<_, _>>()?
            };
            let mut out = Vec::new();
            for id in ids {
                ev.tx.prepare_cached("UPDATE tool_runs SET status = 'interrupted', output = 'interrupted by a server restart', finished_at = ?2 WHERE id = ?1")?.execute(params![id, now_ms()],
                )?;
                let run = load_run(ev.tx, &id)?;
                ev.record(EventKind::ToolRunUpdated { run: run.clone() })?;
                out.push(run);
            }
            Ok(out)
        })
        .await
    }

    /// Opens an assist request.
    pub async fn open_assist(
        &self,
        task: TaskId,
        requester: AgentId,
        question: String,
    ) -> Result<AssistRequest, StoreError> {
        self.write(move |ev| {
            load_task(ev.tx, &task)?;
            let a = AssistRequest {
                id: new_id(),
                task_id: task,
                requester,
                helper: None,
                question,
                status: AssistStatus::Open,
                summary: None,
                created_at: now_ms(),
                finished_at: None,
            };
            ev.tx.prepare_cached("INSERT INTO assist_requests (id, task_id, requester, question, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, 'open', ?5)")?.execute(params![
                    a.id,
                    a.task_id.as_str(),
                    a.requester.as_str(),
                    a.question,
                    a.created_at
                ],
            )?;
            ev.record(EventKind::AssistRequested { assist: a.clone() })?;
            Ok(a)
        })
        .await
    }

    /// Moves an assist request on: a helper chosen (Running), or answered / failed.
    pub async fn update_assist(
        &self,
        id: String,
        status: AssistStatus,
        helper: Option<AgentId>,
        summary: Option<String>,
    ) -> Result<AssistRequest, StoreError> {
        self.write(move |ev| {
            let finished = matches!(status, AssistStatus::Done | AssistStatus::Failed).then(now_ms);
            ev.tx.prepare_cached("UPDATE assist_requests SET status = ?2, helper = COALESCE(?3, helper),
                     summary = COALESCE(?4, summary), finished_at = COALESCE(?5, finished_at) WHERE id = ?1")?.execute(params![id, status.as_str(), helper.as_ref().map(|h| h.as_str()), summary, finished],
            )?;
            let a = load_assist(ev.tx, &id)?;
            ev.record(EventKind::AssistUpdated { assist: a.clone() })?;
            Ok(a)
        })
        .await
    }

    /// A task's assist requests, oldest first.
    pub async fn assists(&self, task: TaskId) -> Result<Vec<AssistRequest>, StoreError> {
        self.call(move |conn, _| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {ASSIST_COLUMNS} FROM assist_requests WHERE task_id = ?1 ORDER BY created_at, rowid"
            ))?;
            let rows = stmt.query_map([task.as_str()], assist_from_row)?;
            rows.map(|r| r?).collect()
        })
        .await
    }

    /// How many tasks are in each state (states without tasks are left out), and the
    /// sequence number of the newest event at that moment: events with a higher `seq` are
    /// the changes since. One indexed read (for the tasks-by-state gauge at activation).
    pub async fn task_counts(&self) -> Result<(u64, Vec<(TaskStatus, u64)>), StoreError> {
        self.call(|conn, _| {
            let seq: i64 = conn
                .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM events")?
                .query_row([], |r| r.get(0))?;
            let mut stmt =
                conn.prepare_cached("SELECT status, COUNT(*) FROM tasks GROUP BY status")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            let mut counts = Vec::new();
            for row in rows {
                let (status, n) = row?;
                counts.push((
                    crate::user_store::parse_status(&status)?,
                    u64::try_from(n).unwrap_or(0),
                ));
            }
            Ok((u64::try_from(seq).unwrap_or(0), counts))
        })
        .await
    }
}

fn insert_step(ev: &mut Events<'_>, owner: &StepOwner, kind: StepKind) -> Result<Step, StoreError> {
    let (filter, param) = owner.filter();
    let idx: i64 = ev
        .tx
        .prepare_cached(&format!(
            "SELECT COALESCE(MAX(idx) + 1, 0) FROM steps WHERE {filter}"
        ))?
        .query_row([param], |r| r.get(0))?;
    let step = Step {
        task_id: owner.task.clone(),
        assist_id: owner.assist.clone(),
        agent_id: owner.agent.clone(),
        index: idx as u32,
        kind,
        at: now_ms(),
    };
    let data = serde_json::to_string(&step.kind).map_err(StoreError::corrupt)?;
    ev.tx.prepare_cached("INSERT INTO steps (task_id, assist_id, agent_id, idx, data, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?.execute(params![step.task_id.as_ref().map(|t| t.as_str()), step.assist_id, step.agent_id.as_str(), idx, data, step.at],
    )?;
    ev.record(EventKind::StepAdded { step: step.clone() })?;
    Ok(step)
}

fn insert_run(ev: &mut Events<'_>, start: ToolRunStart) -> Result<ToolRun, StoreError> {
    let now = now_ms();
    let (status, decision) = match (start.risk, start.ask) {
        (_, true) => (ToolRunStatus::AwaitingDecision, None),
        (None, false) => (ToolRunStatus::Running, None),
        (Some(_), false) => (
            ToolRunStatus::Running,
            Some(ToolDecision {
                kind: DecisionKind::Policy,
                by: "policy".into(),
                reason: None,
                at: now,
            }),
        ),
    };
    let run = ToolRun {
        id: new_id(),
        task_id: start.task,
        agent_id: Some(start.agent),
        call_id: start.call_id,
        tool: start.tool,
        args: start.args,
        output: String::new(),
        status,
        started_at: now,
        finished_at: None,
        risk: start.risk,
        reasons: start.reasons,
        decision,
        duration_ms: None,
        output_bytes: None,
    };
    ev.tx
        .prepare_cached(
            "INSERT INTO tool_runs (id, task_id, agent_id, call_id, command, args, output, status,
                                    risk_level, reasons, decision, decided_by, decided_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, '', ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?
        .execute(params![
            run.id,
            run.task_id.as_ref().map(|t| t.as_str()),
            run.agent_id.as_ref().map(|a| a.as_str()),
            run.call_id,
            run.tool,
            serde_json::to_string(&run.args).map_err(StoreError::corrupt)?,
            run.status.as_str(),
            risk_name(run.risk),
            serde_json::to_string(&run.reasons).map_err(StoreError::corrupt)?,
            run.decision.as_ref().map(|d| d.kind.as_str()),
            run.decision.as_ref().map(|d| d.by.as_str()),
            run.decision.as_ref().map(|d| d.at),
            run.started_at
        ])?;
    ev.record(EventKind::ToolRunAdded { run: run.clone() })?;
    if run.status == ToolRunStatus::AwaitingDecision
        && let Some(task) = &run.task_id
        && load_task(ev.tx, task)?.status == TaskStatus::Active
    {
        let what = match run.reasons.first() {
            Some(p) => format!("{} ({})", run.tool, p.command),
            None => run.tool.clone(),
        };
        transition(
            ev,
            task,
            TaskStatus::NeedsConfirm,
            Some(format!("waiting for your decision on {what}")),
        )?;
    }
    Ok(run)
}

fn finish_run(
    ev: &mut Events<'_>,
    id: &str,
    status: ToolRunStatus,
    output: &str,
    full: Option<&str>,
) -> Result<ToolRun, StoreError> {
    // The whole output, when the row (or the agent) saw only part of it.
    let whole = full.unwrap_or(output);
    let kept = if full.is_some() || whole.len() > MAX_TOOL_OUTPUT_BYTES {
        let whole = &whole[..floor_boundary(whole, MAX_FULL_OUTPUT_BYTES)];
        ev.tx
            .prepare_cached("INSERT OR REPLACE INTO tool_outputs (run_id, data) VALUES (?1, ?2)")?
            .execute(params![id, whole])?;
        Some(whole.len() as i64)
    } else {
        None
    };
    let output = cap_output(output, MAX_TOOL_OUTPUT_BYTES);
    let now = now_ms();
    ev.tx
        .prepare_cached(
            "UPDATE tool_runs SET status = ?2, output = ?3, finished_at = ?4,
                 duration_ms = ?4 - COALESCE(decided_at, created_at), output_bytes = ?5 WHERE id = ?1",
        )?
        .execute(params![id, status.as_str(), output, now, kept])?;
    let run = load_run(ev.tx, id)?;
    ev.record(EventKind::ToolRunUpdated { run: run.clone() })?;
    Ok(run)
}

/// Adds `refs` to a task's context refs (see [`UserStore::add_context_refs`]).
fn merge_context_refs(
    ev: &mut Events<'_>,
    id: &TaskId,
    refs: Vec<ContextRef>,
) -> Result<Task, StoreError> {
    let mut task = load_task(ev.tx, id)?;
    let before = task.context_refs.len();
    for r in refs {
        let same = |o: &ContextRef| {
            o.path == r.path && o.start_line == r.start_line && o.end_line == r.end_line
        };
        if !task.context_refs.iter().any(same) {
            task.context_refs.push(r);
        }
    }
    if task.context_refs.len() == before {
        return Ok(task);
    }
    let excess = task.context_refs.len().saturating_sub(MAX_CONTEXT_REFS);
    task.context_refs.drain(..excess);
    task.updated_at = now_ms();
    let json = serde_json::to_string(&task.context_refs).map_err(StoreError::corrupt)?;
    ev.tx
        .prepare_cached("UPDATE tasks SET context_refs = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id.as_str(), json, task.updated_at])?;
    ev.record(EventKind::TaskUpdated {
        task: task.clone(),
        from: None,
        reason: None,
    })?;
    Ok(task)
}

fn add_usage(
    ev: &mut Events<'_>,
    task: Option<TaskId>,
    agent: AgentId,
    usage: Usage,
) -> Result<(), StoreError> {
    let day = arranger_domain::day_of(now_ms());
    ev.tx.prepare_cached("INSERT INTO usage_daily (day, agent_id, input_tokens, output_tokens, cost_usd) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (day, agent_id) DO UPDATE SET input_tokens = input_tokens + excluded.input_tokens,
             output_tokens = output_tokens + excluded.output_tokens, cost_usd = cost_usd + excluded.cost_usd")?.execute(params![day, agent.as_str(), usage.input_tokens as i64, usage.output_tokens as i64, usage.cost_usd],
    )?;
    if let Some(id) = &task {
        ev.tx.prepare_cached("UPDATE tasks SET input_tokens = input_tokens + ?2, output_tokens = output_tokens + ?3,
                 cost_usd = cost_usd + ?4 WHERE id = ?1")?.execute(params![
                id.as_str(),
                usage.input_tokens as i64,
                usage.output_tokens as i64,
                usage.cost_usd
            ],
        )?;
    }
    // One event: clients add `usage` to the task's totals themselves.
    ev.record(EventKind::UsageRecorded {
        agent_id: agent,
        task_id: task,
        usage,
    })?;
    Ok(())
}

/// Records an agent's success or failure.
fn bump(ev: &mut Events<'_>, agent: &AgentId, success: bool) -> Result<(), StoreError> {
    let Ok(mut a) = load_agent(ev.tx, agent) else {
        return Ok(());
    };
    if success {
        a.successes += 1;
    } else {
        a.failures += 1;
    }
    save_agent(ev, &a)
}
