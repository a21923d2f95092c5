//! The agent engine (BRIEF B4): the model ↔ tool loop of one attempt at a task, with the
//! full step record, compaction near the context window, cancellation and assists.

use crate::gateway::{Judged, judge, unanswered};
use crate::team::Team;
use crate::tools::{Control, ToolSpec, run_worker_tool, worker_tools};
use arranger_domain::{
    Agent, AgentDelta, AgentId, AgentRole, AssistStatus, Needs, Step, StepKind, Task, TaskId,
    TaskStatus, ToolCall, ToolRun, ToolRunStatus, Usage,
};
use arranger_llm::{
    CallTags, CancellationToken, ChatRequest, LlmCall, LlmError, Message, StreamEvent,
    ToolCallRequest, ToolDefinition,
};
use arranger_store::{StepOwner, StoreError};
use futures_util::StreamExt;
use std::sync::Arc;

/// How an attempt ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The agent completed with this report.
    Completed(String),
    /// The agent cannot go on without something from outside.
    Blocked(String),
    /// The agent could not go on (the model failed, it ran out of turns, it stopped
    /// without completing).
    Failed(String),
    /// The run was cancelled (the task was cancelled, or the server is stopping).
    Cancelled,
}

/// Tokens of context the index adds to a task's first instruction.
const FIRST_CONTEXT_TOKENS: usize = 1_500;

/// Where a run's steps go and what it may do.
pub(crate) struct RunSpec {
    pub owner: StepOwner,
    pub task: Option<TaskId>,
    pub tools: Vec<ToolSpec>,
    /// The user's MCP tools (`mcp__<server>__<tool>`), run through the MCP hub.
    pub mcp: Vec<arranger_domain::McpToolDef>,
    pub max_turns: u32,
    /// Whether `request_assist` is allowed (helpers cannot ask for help in turn).
    pub may_assist: bool,
    /// A 1:1 chat: a turn without tool calls is the answer.
    pub chat: bool,
}

pub(crate) fn definitions(tools: &[ToolSpec]) -> Vec<ToolDefinition> {
    tools
        .iter()
        .map(|t| ToolDefinition {
            name: t.name.into(),
            description: t.description.into(),
            parameters: t.parameters.clone(),
        })
        .collect()
}

fn mcp_definitions(tools: &[arranger_domain::McpToolDef]) -> Vec<ToolDefinition> {
    tools
        .iter()
        .map(|t| ToolDefinition {
            name: t.name.clone(),
            description: t.description.clone(),
            parameters: t.input_schema.clone(),
        })
        .collect()
}

/// The risk the user configured for an MCP tool, if `name` is one of the run's.
fn mcp_risk(tools: &[arranger_domain::McpToolDef], name: &str) -> Option<arranger_domain::Risk> {
    tools.iter().find(|t| t.name == name).map(|t| t.risk)
}

/// The system prompt of a Worker.
fn worker_prompt(agent: &Agent, task: Option<&Task>) -> String {
    let mut p = format!(
        "You are {}, a member of a software team. {}\n\
         You work in the user's workspace through tools; paths are relative to the workspace root. \
         Read before you edit, keep changes focused, and check your work. \
         When the work is done, call complete_task with an acceptance report: what changed, how you \
         checked it, what is left. If you are stuck, call request_assist.",
        agent.name, agent.description
    );
    if let Some(t) = task {
        p.push_str(&format!("\n\nYour task: {}\n{}", t.title, t.description));
    }
    p
}

/// A model turn's tool calls as recorded. Arguments that are not a JSON object are kept
/// as the raw text (a string), so the record shows what the model sent.
pub(crate) fn tool_calls_of(completion: &arranger_llm::Completion) -> Vec<ToolCall> {
    completion
        .tool_calls
        .iter()
        .map(|c| ToolCall {
            id: c.id.clone(),
            name: c.name.clone(),
            arguments: c
                .arguments
                .clone()
                .unwrap_or_else(|_| serde_json::Value::String(c.raw_arguments.clone())),
        })
        .collect()
}

/// The system prompt of a 1:1 chat with an agent.
fn chat_prompt(agent: &Agent) -> String {
    format!(
        "You are {}, a member of a software team. {}\n\
         The user is talking with you directly. Answer their questions plainly; you may look at \
         the workspace with your tools (read-only here). To get work done, suggest they post it to \
         the team's board.",
        agent.name, agent.description
    )
}

/// Turns a step record into the model's conversation. Every tool call gets an answer (a
/// call a restart cut off is answered with a note), and the history is compacted when it
/// would fill most of the context window.
pub(crate) fn conversation(system: String, steps: &[Step], context_tokens: usize) -> Vec<Message> {
    let mut msgs = vec![Message::system(system)];
    let mut body: Vec<Message> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    let answer_pending = |body: &mut Vec<Message>, pending: &mut Vec<String>| {
        for id in pending.drain(..) {
            body.push(Message::tool_error(
                id,
                "This call was interrupted before it finished; its effects are unknown. Check before repeating it.",
            ));
        }
    };
    for s in steps {
        match &s.kind {
            StepKind::Instruction { text } => {
                answer_pending(&mut body, &mut pending);
                body.push(Message::user(text.clone()));
            }
            StepKind::Note { text } => {
                answer_pending(&mut body, &mut pending);
                body.push(Message::user(format!("[note from the host] {text}")));
            }
            StepKind::Assistant {
                text,
                reasoning: _,
                tool_calls,
            } => {
                answer_pending(&mut body, &mut pending);
                pending = tool_calls.iter().map(|c| c.id.clone()).collect();
                body.push(Message::Assistant {
                    content: text.clone(),
                    reasoning: None,
                    tool_calls: tool_calls
                        .iter()
                        .map(|c| ToolCallRequest {
                            id: c.id.clone(),
                            name: c.name.clone(),
                            arguments: c.arguments.to_string(),
                        })
                        .collect(),
                });
            }
            StepKind::ToolResult {
                call_id,
                output,
                is_error,
                ..
            } => {
                if let Some(i) = pending.iter().position(|p| p == call_id) {
                    pending.remove(i);
                    body.push(Message::Tool {
                        tool_call_id: call_id.clone(),
                        content: output.clone(),
                        is_error: *is_error,
                    });
                }
            }
        }
    }
    answer_pending(&mut body, &mut pending);
    msgs.extend(compact(body, context_tokens));
    msgs
}

fn size(m: &Message) -> usize {
    match m {
        Message::System { content } | Message::User { content } => content.len(),
        Message::Assistant {
            content,
            tool_calls,
            ..
        } => {
            content.len()
                + tool_calls
                    .iter()
                    .map(|c| c.arguments.len() + c.name.len())
                    .sum::<usize>()
        }
        Message::Tool { content, .. } => content.len(),
    }
}

/// Keeps the first message (the instruction) and as many recent messages as fit in 75 %
/// of the window (≈ 4 characters a token), replacing the middle with a summary of what it
/// did. Cuts only before an assistant turn, so calls and results stay paired.
pub(crate) fn compact(body: Vec<Message>, context_tokens: usize) -> Vec<Message> {
    let budget = context_tokens.saturating_mul(3);
    let total: usize = body.iter().map(size).sum();
    if total <= budget || body.len() < 3 {
        return body;
    }
    let mut keep_from = body.len();
    let mut used = size(&body[0]);
    for i in (1..body.len()).rev() {
        used += size(&body[i]);
        if used > budget * 2 / 3 {
            break;
        }
        if matches!(body[i], Message::Assistant { .. }) {
            keep_from = i;
        }
    }
    if keep_from <= 1 {
        return body;
    }
    let mut summary = Vec::new();
    for m in &body[1..keep_from] {
        if let Message::Assistant { tool_calls, .. } = m {
            for c in tool_calls {
                let args: String = c.arguments.chars().take(120).collect();
                summary.push(format!("- {}({args})", c.name));
            }
        }
    }
    let mut out = vec![body[0].clone()];
    out.push(Message::user(format!(
        "[note from the host] {} earlier messages were left out to fit the context window. \
         Tool calls made in them:\n{}",
        keep_from - 1,
        if summary.is_empty() {
            "(none)".to_owned()
        } else {
            summary.join("\n")
        }
    )));
    out.extend(body.into_iter().skip(keep_from));
    out
}

/// Why a 1:1 chat got no answer.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// No such agent in this user's team.
    #[error("no agent {0:?} in your team; agent.list shows the team")]
    UnknownAgent(String),
    /// The message is empty or too long.
    #[error("{0}")]
    Invalid(String),
    /// The agent could not answer (no model, model failure, too many turns).
    #[error("{0}")]
    NoAnswer(String),
    /// The user's store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a streamed turn belongs to, carried on each of its deltas.
pub(crate) struct DeltaScope {
    /// The task being worked on.
    pub task: Option<TaskId>,
    /// The assist being answered.
    pub assist: Option<String>,
    /// The Blackboard session being answered.
    pub session: Option<arranger_domain::SessionId>,
}

impl Team {
    /// The newest `limit` steps of the user's 1:1 chat with `agent` (id or name), oldest
    /// first, and whether older ones exist.
    pub async fn chat_history(
        &self,
        agent: &str,
        limit: usize,
    ) -> Result<(Vec<arranger_domain::Step>, bool), ChatError> {
        let agents = self.store.list_agents().await?;
        let agent = agents
            .into_iter()
            .find(|a| a.id.as_str() == agent || a.name.eq_ignore_ascii_case(agent))
            .ok_or_else(|| ChatError::UnknownAgent(agent.to_owned()))?;
        let mut steps = self.store.steps(StepOwner::chat(agent.id)).await?;
        let more = steps.len() > limit;
        if more {
            steps.drain(..steps.len() - limit);
        }
        Ok((steps, more))
    }

    /// A 1:1 chat turn with one agent (`agent` is its id or name), separate from the
    /// Blackboard: records the user's text and the agent's steps, returns its answer.
    pub async fn chat(self: &Arc<Self>, agent: &str, text: String) -> Result<String, ChatError> {
        if text.trim().is_empty() || text.len() > 64 * 1024 {
            return Err(ChatError::Invalid(
                "a chat message needs 1 byte to 64 KiB of text".into(),
            ));
        }
        let agents = self.store.list_agents().await?;
        let agent = agents
            .into_iter()
            .find(|a| a.id.as_str() == agent || a.name.eq_ignore_ascii_case(agent))
            .ok_or_else(|| ChatError::UnknownAgent(agent.to_owned()))?;
        let _one_at_a_time = self.chat_turn.lock().await;
        let owner = StepOwner::chat(agent.id.clone());
        self.store
            .append_step(owner.clone(), StepKind::Instruction { text })
            .await?;
        let read_only = ["read_file", "list_dir", "search", "find_symbol"];
        let spec = RunSpec {
            owner,
            task: None,
            tools: worker_tools()
                .into_iter()
                .filter(|t| read_only.contains(&t.name))
                .collect(),
            max_turns: self.services.config.max_assist_turns,
            may_assist: false,
            mcp: Vec::new(),
            chat: true,
        };
        match self
            .run_agent(&agent, None, spec, None, &self.shutdown.child_token())
            .await?
        {
            Outcome::Completed(answer) => Ok(answer),
            Outcome::Blocked(why) => Err(ChatError::NoAnswer(why)),
            Outcome::Failed(why) => Err(ChatError::NoAnswer(format!(
                "{} could not answer: {why}",
                agent.name
            ))),
            Outcome::Cancelled => Err(ChatError::NoAnswer("the server is shutting down".into())),
        }
    }

    /// What the index finds for a task's first instruction: code and earlier work, as a
    /// section to append (empty when the index is not ready or finds nothing). The
    /// snippets become the task's first `context_refs`.
    async fn first_context(
        &self,
        task: &Task,
        text: &str,
    ) -> (String, Vec<arranger_domain::ContextRef>) {
        let Some(index) = self.index.as_ref().filter(|ix| ix.is_ready()) else {
            return (String::new(), Vec::new());
        };
        let req = arranger_context::SearchRequest {
            query: text.to_owned(),
            k: 8,
            budget_tokens: FIRST_CONTEXT_TOKENS,
            seed_paths: Vec::new(),
            memory: true,
        };
        let own = format!("task:{}", task.id);
        let snippets: Vec<_> = match index.search(req).await {
            Ok(r) => r.snippets.into_iter().filter(|s| s.path != own).collect(),
            Err(e) => {
                tracing::debug!(user = %self.user, error = %e, "no first context");
                return (String::new(), Vec::new());
            }
        };
        if snippets.is_empty() {
            return (String::new(), Vec::new());
        }
        // Recorded with the instruction, in its transaction.
        let refs = crate::tools::snippet_refs(&snippets);
        let text = format!(
            "\n\nContext the workspace index found for this task (code, and related earlier tasks \
             and messages; cite earlier work you build on):\n{}",
            crate::tools::format_snippets(&snippets, false)
        );
        (text, refs)
    }

    /// Runs one attempt of a task by `agent` and records how it ended.
    pub(crate) async fn run_task(
        self: Arc<Self>,
        task: Task,
        agent: Agent,
        cancel: CancellationToken,
    ) {
        let owner = StepOwner::task(task.id.clone(), agent.id.clone());
        let result = async {
            let mut steps = self.store.steps(owner.clone()).await?;
            if steps.is_empty() {
                let mut text = if task.description.trim().is_empty() {
                    task.title.clone()
                } else {
                    format!("{}\n\n{}", task.title, task.description)
                };
                let (context, refs) = self.first_context(&task, &text).await;
                text.push_str(&context);
                steps.push(self.store.append_instruction(owner.clone(), text, refs).await?);
            } else if task.attempts > 1 {
                let note = format!(
                    "{} takes over this task (attempt {}). The record above shows what was done so far; \
                     do not repeat work that succeeded.",
                    agent.name, task.attempts
                );
                steps.push(self.store.append_step(owner.clone(), StepKind::Note { text: note }).await?);
            }
            let mcp = match self.services.mcp.tools(&self.user).await {
                Ok(tools) => tools,
                Err(e) => {
                    tracing::info!(user = %self.user, error = %e, "MCP tools unavailable for this task");
                    Vec::new()
                }
            };
            let spec = RunSpec {
                owner,
                task: Some(task.id.clone()),
                tools: worker_tools(),
                max_turns: self.services.config.max_turns,
                may_assist: true,
                mcp,
                chat: false,
            };
            self.run_agent(&agent, Some(&task), spec, Some(steps), &cancel).await
        }
        .await;
        let outcome = match result {
            Ok(o) => o,
            Err(e) => Outcome::Failed(format!("the task's record could not be written: {e}")),
        };
        let label = match &outcome {
            Outcome::Completed(_) => "done",
            Outcome::Blocked(_) => "blocked",
            Outcome::Failed(_) => "failed_attempt",
            Outcome::Cancelled => "cancelled",
        };
        metrics::counter!("arranger_task_attempts_total", "outcome" => label).increment(1);
        let end = match outcome {
            Outcome::Completed(report) => {
                let announce = arranger_domain::Notice::Done {
                    title: task.title.clone(),
                    agent: agent.name.clone(),
                    report: report.clone(),
                };
                self.store
                    .complete_task(task.id.clone(), report, Some(announce))
                    .await
                    .map(|_| ())
            }
            Outcome::Failed(reason) => {
                let give_up = task.attempts >= self.services.config.max_attempts;
                match self
                    .store
                    .fail_attempt(task.id.clone(), reason.clone(), give_up)
                    .await
                {
                    Ok(t) => {
                        self.broadcast(
                            &t.session_id,
                            arranger_domain::Notice::Failed {
                                title: t.title.clone(),
                                agent: agent.name.clone(),
                                reason,
                                gave_up: give_up,
                            },
                        )
                        .await;
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            Outcome::Blocked(reason) => {
                match self
                    .store
                    .transition_task(task.id.clone(), TaskStatus::Blocked, Some(reason.clone()))
                    .await
                {
                    Ok(t) => {
                        self.broadcast(
                            &t.session_id,
                            arranger_domain::Notice::Blocked {
                                title: t.title.clone(),
                                agent: agent.name.clone(),
                                reason,
                            },
                        )
                        .await;
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            // The canceller changed the task's state (or the server stops and the next
            // activation reassigns it).
            Outcome::Cancelled => Ok(()),
        };
        if let Err(e) = end {
            tracing::warn!(user = %self.user, task = %task.id, error = %e, "cannot record the end of a task");
        }
    }

    /// The task's budget, when the user has one and the task (its assists included) has
    /// spent it. Reads the task's cost from the store only when a budget is set.
    async fn task_budget_spent(
        &self,
        task: Option<&TaskId>,
    ) -> Result<Option<arranger_domain::QuotaExceeded>, StoreError> {
        let (Some(task), Some(max)) = (task, self.host.limits().get().quotas.task_cost_usd) else {
            return Ok(None);
        };
        let (task, _) = self.store.get_task(task.clone()).await?;
        let used = task.usage.cost_usd;
        Ok((used >= max).then_some(arranger_domain::QuotaExceeded {
            limit: arranger_domain::QuotaKind::TaskCost,
            scope: arranger_domain::QuotaScope::Task,
            used,
            max,
            resets_at: None,
        }))
    }

    /// The loop: ask the model, run its tool calls, record everything, until it completes,
    /// fails, runs out of turns or is cancelled. `record` is the owner's step record when
    /// the caller has just read it.
    ///
    /// Before every model turn the task's budget is checked (its assists included).
    pub(crate) async fn run_agent(
        self: &Arc<Self>,
        agent: &Agent,
        task: Option<&Task>,
        spec: RunSpec,
        record: Option<Vec<Step>>,
        cancel: &CancellationToken,
    ) -> Result<Outcome, StoreError> {
        let Some((provider, model)) = self.model_for(agent).await else {
            return Ok(Outcome::Failed("no language model is configured".into()));
        };
        // What an admin denied the user is not offered (and refused by the host anyway).
        let permissions = self.host.limits().get().permissions.clone();
        let mut tools = definitions(&spec.tools);
        tools.retain(|t| crate::tools::permitted(&permissions, &t.name));
        if permissions.allows(arranger_domain::Capability::Mcp) {
            tools.extend(mcp_definitions(&spec.mcp));
        }
        let mut silent_turns = 0;
        // The record, read once and extended as this loop writes it; re-read only when
        // someone else added to it (the Manager's suggestions).
        let mut steps = match record {
            Some(steps) => steps,
            None => self.store.steps(spec.owner.clone()).await?,
        };
        // After a restart (or an idle drop): calls of the last turn that still wait for
        // the user's decision, or were decided while nobody waited, are taken up first.
        let open = unanswered(&steps);
        if let Some(t) = &spec.task
            && spec.owner.assist.is_none()
            && (!open.is_empty() || task.is_some_and(|t| t.status == TaskStatus::NeedsConfirm))
        {
            for run in self.store.tool_runs(t.clone()).await? {
                if !matches!(
                    run.status,
                    ToolRunStatus::AwaitingDecision
                        | ToolRunStatus::Denied
                        | ToolRunStatus::Running
                ) {
                    continue;
                }
                match open.iter().find(|c| c.id == run.call_id) {
                    Some(call) => {
                        if let Some(end) = self
                            .handle_run(agent, task, &spec, call, run, &mut steps, cancel, None)
                            .await?
                        {
                            return Ok(end);
                        }
                    }
                    // A helper's call whose assist ended with the restart.
                    None if run.status == ToolRunStatus::AwaitingDecision => {
                        self.store
                            .finish_tool_run(
                                run.id,
                                ToolRunStatus::Cancelled,
                                "not run: the assist it belonged to ended with a restart".into(),
                            )
                            .await?;
                    }
                    None => {}
                }
            }
        }
        // The last tool result of the previous turn, committing while the next request
        // is built and streamed.
        let mut pending: Option<PendingResult> = None;
        for _turn in 0..spec.max_turns {
            if cancel.is_cancelled() {
                settle(&mut pending, &mut steps).await?;
                return Ok(Outcome::Cancelled);
            }
            if let Some(over) = self.task_budget_spent(spec.task.as_ref()).await? {
                settle(&mut pending, &mut steps).await?;
                return Ok(Outcome::Blocked(over.message()));
            }
            if let Some(t) = &spec.task
                && spec.owner.assist.is_none()
                && self
                    .touched
                    .lock()
                    .map(|mut d| d.remove(t))
                    .unwrap_or(false)
            {
                settle(&mut pending, &mut steps).await?;
                steps = self.store.steps(spec.owner.clone()).await?;
            }
            let system = if spec.chat {
                chat_prompt(agent)
            } else {
                worker_prompt(agent, task)
            };
            let messages = conversation(system, &steps, self.services.config.context_tokens);
            let mut request = ChatRequest::new(messages).with_tools(tools.clone());
            if let Some(m) = &model {
                request = request.with_model(m.clone());
            }
            let mut tags = CallTags::user(self.user.clone()).with_agent(agent.id.clone());
            if let Some(t) = &spec.task {
                tags = tags.with_task(t.clone());
            }
            let call = LlmCall::new(tags, provider.clone(), request).with_cancel(cancel.clone());
            let scope = DeltaScope {
                task: spec.task.clone(),
                assist: spec.owner.assist.clone(),
                session: None,
            };
            let (streamed, settled) = tokio::join!(
                self.stream_turn(call, agent, scope),
                settle(&mut pending, &mut steps)
            );
            settled?;
            let completion = match streamed {
                Ok(c) => c,
                Err(LlmError::Cancelled) => return Ok(Outcome::Cancelled),
                // A spent budget is not the agent's failure: the task waits (Blocked, with
                // the reason and when it resets) instead of going to another agent.
                Err(LlmError::Quota(over)) => return Ok(Outcome::Blocked(over.message())),
                Err(e) => return Ok(Outcome::Failed(format!("the model failed: {e}"))),
            };
            let usage = Usage {
                input_tokens: completion.0.usage.input_tokens,
                output_tokens: completion.0.usage.output_tokens,
                cost_usd: completion.1,
            };
            let completion = completion.0;
            let calls = tool_calls_of(&completion);
            let turn = StepKind::Assistant {
                text: completion.text.clone(),
                reasoning: completion.reasoning.clone(),
                tool_calls: calls.clone(),
            };
            // The policy judges every call before anything runs; the turn, its usage and
            // the start of its first call commit together.
            let policy = self.policy().await?;
            let judged: Vec<Option<Judged>> = calls
                .iter()
                .zip(&completion.tool_calls)
                .map(|(call, raw)| {
                    raw.arguments
                        .is_ok()
                        .then(|| judge(&policy, call, mcp_risk(&spec.mcp, &call.name)))
                })
                .collect();
            let first_call = calls
                .first()
                .zip(judged.first().cloned().flatten())
                .map(|(call, j)| Team::run_start(spec.task.clone(), agent.id.clone(), call, j));
            let (step, mut first_run) = self
                .store
                .record_turn(spec.owner.clone(), turn, usage, first_call)
                .await?;
            steps.push(step);
            if calls.is_empty() && spec.chat {
                return Ok(Outcome::Completed(completion.text));
            }
            if calls.is_empty() {
                silent_turns += 1;
                if silent_turns >= 3 {
                    return Ok(Outcome::Failed(
                        "the agent stopped without completing the task".into(),
                    ));
                }
                let nudge = StepKind::Note {
                    text: "Continue with the tools, or call complete_task with your report if the work is done.".into(),
                };
                steps.push(self.store.append_step(spec.owner.clone(), nudge).await?);
                continue;
            }
            silent_turns = 0;
            let last = calls.len() - 1;
            for (i, ((call, raw), judged)) in calls
                .iter()
                .zip(&completion.tool_calls)
                .zip(judged)
                .enumerate()
            {
                if cancel.is_cancelled() {
                    if let Some(run) = first_run.take() {
                        self.store
                            .finish_tool_run(
                                run.id,
                                ToolRunStatus::Cancelled,
                                "not run: the task was cancelled".into(),
                            )
                            .await?;
                    }
                    return Ok(Outcome::Cancelled);
                }
                let (Ok(_), Some(judged)) = (&raw.arguments, judged) else {
                    let bad = match &raw.arguments {
                        Err(bad) => bad.to_string(),
                        Ok(_) => "the policy could not judge the call".to_owned(),
                    };
                    let result = StepKind::ToolResult {
                        call_id: call.id.clone(),
                        tool: call.name.clone(),
                        output: format!("error: {bad}; send the arguments as a JSON object"),
                        is_error: true,
                    };
                    steps.push(self.store.append_step(spec.owner.clone(), result).await?);
                    continue;
                };
                let run = match first_run.take() {
                    Some(run) => run,
                    None => {
                        self.store
                            .start_tool_run(Team::run_start(
                                spec.task.clone(),
                                agent.id.clone(),
                                call,
                                judged,
                            ))
                            .await?
                    }
                };
                let defer = (i == last).then_some(&mut pending);
                if let Some(end) = self
                    .handle_run(agent, task, &spec, call, run, &mut steps, cancel, defer)
                    .await?
                {
                    return Ok(end);
                }
            }
        }
        settle(&mut pending, &mut steps).await?;
        Ok(Outcome::Failed(format!(
            "no result after {} model turns",
            spec.max_turns
        )))
    }

    /// Takes one recorded run to its end: waits for the user's decision if it must, tells
    /// the agent about a denial, or runs the tool; records the result. Returns how the
    /// attempt ends when this call ends it.
    ///
    /// With `defer`, a result that lets the agent go on is committed in the background:
    /// its step goes into `steps` at once (the next request needs it) and the commit into
    /// `defer`, for [`settle`] to await while the next model turn streams.
    #[allow(clippy::too_many_arguments)]
    async fn handle_run(
        self: &Arc<Self>,
        agent: &Agent,
        task: Option<&Task>,
        spec: &RunSpec,
        call: &ToolCall,
        mut run: ToolRun,
        steps: &mut Vec<Step>,
        cancel: &CancellationToken,
        defer: Option<&mut Option<PendingResult>>,
    ) -> Result<Option<Outcome>, StoreError> {
        if run.status == ToolRunStatus::AwaitingDecision {
            match self.await_decision(&run.id, cancel).await? {
                Some(decided) => run = decided,
                // The server stops: the run keeps waiting; the next activation resumes it.
                None if self.shutdown.is_cancelled() => return Ok(Some(Outcome::Cancelled)),
                None => {
                    self.store
                        .finish_tool_run(
                            run.id,
                            ToolRunStatus::Cancelled,
                            "not run: the task was cancelled while it waited for a decision".into(),
                        )
                        .await?;
                    return Ok(Some(Outcome::Cancelled));
                }
            }
        }
        if run.status != ToolRunStatus::Running {
            // Denied (or ended some other way): the agent learns why and adapts.
            let result = StepKind::ToolResult {
                call_id: call.id.clone(),
                tool: call.name.clone(),
                output: format!(
                    "{} — this call did not run. Do not repeat it as it is: find another way, \
                     or explain in your report why it is needed.",
                    if run.output.is_empty() {
                        run.status.as_str()
                    } else {
                        run.output.as_str()
                    }
                ),
                is_error: true,
            };
            steps.push(self.store.append_step(spec.owner.clone(), result).await?);
            return Ok(None);
        }
        let allowed = spec.tools.iter().any(|t| t.name == call.name);
        let mcp = spec.mcp.iter().any(|t| t.name == call.name);
        let mut full = None;
        let (output, is_error, control) = if mcp {
            match self
                .services
                .mcp
                .call(&self.user, &call.name, call.arguments.clone())
                .await
            {
                Ok(text) => (text, false, Control::Continue),
                Err(e) => (format!("error: {e}"), true, Control::Continue),
            }
        } else if !allowed {
            let mut names: Vec<&str> = spec.tools.iter().map(|t| t.name).collect();
            names.extend(spec.mcp.iter().map(|t| t.name.as_str()));
            (
                format!(
                    "there is no tool {:?} here; the tools are: {}",
                    call.name,
                    names.join(", ")
                ),
                true,
                Control::Continue,
            )
        } else {
            let mut outcome = run_worker_tool(&self.host, self.index.as_deref(), call).await;
            if let Some(t) = spec.task.as_ref()
                && !outcome.refs.is_empty()
            {
                let refs = std::mem::take(&mut outcome.refs);
                if let Err(e) = self.store.add_context_refs(t.clone(), refs).await {
                    tracing::warn!(user = %self.user, error = %e, "context refs not recorded");
                }
            }
            match outcome.control {
                Control::Assist { question } if spec.may_assist => {
                    match spec.task.as_ref().and(task) {
                        Some(t) => {
                            let (answer, ok) = self.assist(t, agent, question, cancel).await?;
                            (answer, !ok, Control::Continue)
                        }
                        None => (
                            "assists are only available while working on a task".into(),
                            true,
                            Control::Continue,
                        ),
                    }
                }
                Control::Assist { .. } => (
                    "a helper cannot ask for help in turn; answer with what you know".into(),
                    true,
                    Control::Continue,
                ),
                other => {
                    full = outcome.full;
                    (outcome.output, outcome.is_error, other)
                }
            }
        };
        let status = if is_error {
            ToolRunStatus::Error
        } else {
            ToolRunStatus::Ok
        };
        let result = StepKind::ToolResult {
            call_id: call.id.clone(),
            tool: call.name.clone(),
            output,
            is_error,
        };
        if let (Some(slot), Control::Continue) = (defer, &control) {
            // The step as the store will write it (its index and time are the store's;
            // the conversation needs only what happened).
            let provisional = Step {
                task_id: spec.owner.task.clone(),
                assist_id: spec.owner.assist.clone(),
                agent_id: spec.owner.agent.clone(),
                index: steps.last().map_or(0, |s| s.index + 1),
                kind: result.clone(),
                at: arranger_store::now_ms(),
            };
            let store = self.store.clone();
            let owner = spec.owner.clone();
            let commit = tokio::spawn(async move {
                store
                    .finish_tool_call(run.id, status, owner, result, full)
                    .await
                    .map(|(_, step)| step)
            });
            *slot = Some(PendingResult {
                at: steps.len(),
                commit,
            });
            steps.push(provisional);
            return Ok(None);
        }
        let (_, step) = self
            .store
            .finish_tool_call(run.id, status, spec.owner.clone(), result, full)
            .await?;
        steps.push(step);
        Ok(match control {
            Control::Complete { summary } => Some(Outcome::Completed(summary)),
            Control::Block { reason } => Some(Outcome::Blocked(reason)),
            _ => None,
        })
    }

    /// Streams one model turn, forwarding its pieces to the user's live connections
    /// (marked with `scope`). Returns the completed turn and its cost.
    pub(crate) async fn stream_turn(
        &self,
        call: LlmCall,
        agent: &Agent,
        scope: DeltaScope,
    ) -> Result<(arranger_llm::Completion, f64), LlmError> {
        let mut stream = self.services.pool.stream(call);
        let mut builder = arranger_llm::CompletionBuilder::new();
        while let Some(event) = stream.next().await {
            // The pool records calls, errors, latency and tokens by provider.
            let event = event?;
            let delta = match &event {
                StreamEvent::TextDelta { text } => Some(("text", text.clone())),
                StreamEvent::ReasoningDelta { text } => Some(("reasoning", text.clone())),
                StreamEvent::Restart { reason } => {
                    builder = arranger_llm::CompletionBuilder::new();
                    Some(("restart", reason.clone()))
                }
                _ => None,
            };
            if let Some((kind, text)) = delta {
                let _ = self.deltas.send(Arc::new(AgentDelta {
                    task_id: scope.task.clone(),
                    assist_id: scope.assist.clone(),
                    session_id: scope.session.clone(),
                    agent_id: agent.id.clone(),
                    kind: kind.into(),
                    text,
                }));
            }
            if !matches!(event, StreamEvent::Restart { .. }) {
                builder.push(&event);
            }
        }
        let metrics = stream.metrics();
        let completion = builder.finish(&metrics.provider)?;
        Ok((completion, metrics.cost_usd))
    }

    /// An assist (BRIEF B6): the best-scoring other worker answers `question` in its own
    /// context; its answer returns as the requester's tool result and the record stays
    /// with the task. Returns the answer and whether it succeeded.
    async fn assist(
        self: &Arc<Self>,
        task: &Task,
        requester: &Agent,
        question: String,
        cancel: &CancellationToken,
    ) -> Result<(String, bool), StoreError> {
        let request = self
            .store
            .open_assist(task.id.clone(), requester.id.clone(), question.clone())
            .await?;
        let agents = self.store.list_agents().await?;
        let candidates: Vec<(Agent, u32)> = agents
            .iter()
            .filter(|a| a.role == AgentRole::Worker)
            .map(|a| (a.clone(), 0))
            .collect();
        let needs: Needs = task.needs.clone();
        let (pick, _) = arranger_domain::agent::choose(
            &needs,
            &candidates,
            std::slice::from_ref(&requester.id),
        );
        let Some(helper) = pick.and_then(|id| agents.iter().find(|a| a.id == id).cloned()) else {
            self.store
                .update_assist(
                    request.id,
                    AssistStatus::Failed,
                    None,
                    Some("no other agent can help".into()),
                )
                .await?;
            return Ok((
                "no other agent is available to help; go on with what you know".into(),
                false,
            ));
        };
        self.store
            .update_assist(
                request.id.clone(),
                AssistStatus::Running,
                Some(helper.id.clone()),
                None,
            )
            .await?;
        self.broadcast(
            &task.session_id,
            arranger_domain::Notice::AssistStarted {
                title: task.title.clone(),
                requester: requester.name.clone(),
                helper: helper.name.clone(),
            },
        )
        .await;
        let owner = StepOwner::assist(task.id.clone(), request.id.clone(), helper.id.clone());
        let text = format!(
            "{} asks for your help with the task \"{}\":\n\n{question}\n\n\
             Investigate with the tools, then call complete_task with your answer (it goes back to {}).",
            requester.name, task.title, requester.name
        );
        self.store
            .append_step(owner.clone(), StepKind::Instruction { text })
            .await?;
        let spec = RunSpec {
            owner,
            task: Some(task.id.clone()),
            tools: worker_tools()
                .into_iter()
                .filter(|t| t.name != "request_assist")
                .collect(),
            max_turns: self.services.config.max_assist_turns,
            may_assist: false,
            mcp: Vec::new(),
            chat: false,
        };
        let helper_for_run: AgentId = helper.id.clone();
        let outcome = Box::pin(self.run_agent(&helper, Some(task), spec, None, cancel)).await?;
        let (answer, ok, status) = match outcome {
            Outcome::Completed(summary) => (
                format!("{} answers:\n{summary}", helper.name),
                true,
                AssistStatus::Done,
            ),
            Outcome::Failed(why) | Outcome::Blocked(why) => (
                format!("{} could not help: {why}", helper.name),
                false,
                AssistStatus::Failed,
            ),
            Outcome::Cancelled => (
                "the assist was cancelled".into(),
                false,
                AssistStatus::Failed,
            ),
        };
        self.store
            .update_assist(
                request.id,
                status,
                Some(helper_for_run),
                Some(answer.clone()),
            )
            .await?;
        Ok((answer, ok))
    }
}

/// A tool result whose commit runs while the next model turn is requested (see
/// [`Team::handle_run`]).
pub(crate) struct PendingResult {
    /// Where its provisional step sits in the record being extended.
    at: usize,
    commit: tokio::task::JoinHandle<Result<Step, StoreError>>,
}

/// Waits for a pending tool result's commit and puts the stored step in place of the
/// provisional one. Every way out of the loop passes here, so the record is whole when
/// the attempt ends.
async fn settle(pending: &mut Option<PendingResult>, steps: &mut [Step]) -> Result<(), StoreError> {
    let Some(p) = pending.take() else {
        return Ok(());
    };
    let step = p
        .commit
        .await
        .map_err(|e| StoreError::Worker(format!("a tool result was not recorded: {e}")))??;
    if let Some(slot) = steps.get_mut(p.at) {
        *slot = step;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arranger_domain::AgentId;

    fn step(kind: StepKind) -> Step {
        Step {
            task_id: None,
            assist_id: None,
            agent_id: AgentId::new("a"),
            index: 0,
            kind,
            at: 0,
        }
    }

    #[test]
    fn every_tool_call_gets_an_answer_even_after_a_crash() {
        let call = |id: &str| ToolCall {
            id: id.into(),
            name: "write_file".into(),
            arguments: serde_json::json!({}),
        };
        let steps = vec![
            step(StepKind::Instruction { text: "do".into() }),
            step(StepKind::Assistant {
                text: String::new(),
                reasoning: None,
                tool_calls: vec![call("1"), call("2")],
            }),
            step(StepKind::ToolResult {
                call_id: "1".into(),
                tool: "write_file".into(),
                output: "ok".into(),
                is_error: false,
            }),
            step(StepKind::Note {
                text: "restarted".into(),
            }),
        ];
        let msgs = conversation("sys".into(), &steps, 100_000);
        // system, user, assistant, tool 1, tool 2 (interrupted), note
        assert_eq!(msgs.len(), 6);
        assert!(
            matches!(&msgs[4], Message::Tool { tool_call_id, is_error: true, .. } if tool_call_id == "2")
        );
        assert!(matches!(&msgs[5], Message::User { .. }));
    }

    #[test]
    fn compaction_keeps_the_instruction_and_recent_pairs() {
        let mut body = vec![Message::user("the task")];
        for i in 0..200 {
            body.push(Message::Assistant {
                content: String::new(),
                reasoning: None,
                tool_calls: vec![ToolCallRequest {
                    id: format!("c{i}"),
                    name: "read_file".into(),
                    arguments: format!("{{\"path\":\"f{i}\"}}"),
                }],
            });
            body.push(Message::tool_result(format!("c{i}"), "x".repeat(1000)));
        }
        let out = compact(body, 10_000);
        assert!(out.len() < 100);
        assert!(matches!(&out[0], Message::User { content } if content == "the task"));
        assert!(
            matches!(&out[1], Message::User { content } if content.contains("left out") && content.contains("read_file"))
        );
        assert!(
            matches!(&out[2], Message::Assistant { .. }),
            "cut before an assistant turn"
        );
        let total: usize = out.iter().map(size).sum();
        assert!(total <= 30_000);
    }
}
