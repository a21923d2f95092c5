//! The Manager (BRIEF B2): reads the user's Blackboard messages and answers only with
//! structured decisions — tool calls — never prose to parse. A message that mentions
//! `@Name` summons that agent instead.

use crate::engine::definitions;
use crate::team::Team;
use crate::tools::manager_tools;
use arranger_domain::{
    Agent, AgentRole, Difficulty, Message as BoardMessage, Notice, Priority, StepKind, TaskId,
    TaskStatus, ToolCall,
};
use arranger_llm::{CallTags, ChatRequest, LlmCall, Message};
use arranger_store::{NewTask, StepOwner, StoreError};
use serde_json::Value;
use std::sync::Arc;

/// The agent named by the first `@Name` in a text, if it is one of the team.
pub fn mentioned<'a>(text: &str, agents: &'a [Agent]) -> Option<&'a Agent> {
    text.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ':' | ';' | '.' | '!' | '?' | '(' | ')')
    })
    .filter_map(|w| w.strip_prefix('@'))
    .find_map(|name| agents.iter().find(|a| a.name.eq_ignore_ascii_case(name)))
}

fn roster(agents: &[Agent]) -> String {
    agents
        .iter()
        .filter(|a| a.role == AgentRole::Worker)
        .map(|a| {
            format!(
                "- {}{}: {} (scenes: {}; tags: {})",
                a.name,
                if a.enabled { "" } else { " [disabled]" },
                a.description,
                a.scenes.join(", "),
                a.capabilities.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl Team {
    /// Handles one message the user posted.
    pub(crate) async fn on_user_message(self: Arc<Self>, message: BoardMessage) {
        // One message at a time per user: decisions see each other's effects.
        let _turn = self.manager_turn.lock().await;
        if let Err(e) = self.handle_message(&message).await {
            tracing::warn!(user = %self.user, error = %e, "the Manager could not handle a message");
            self.broadcast(
                &message.session_id,
                Notice::NoAnswer {
                    agent: "Manager".into(),
                    error: e.to_string(),
                },
            )
            .await;
        }
    }

    async fn handle_message(self: &Arc<Self>, message: &BoardMessage) -> Result<(), StoreError> {
        let agents = self.store.list_agents().await?;
        let Some(manager) = agents
            .iter()
            .find(|a| a.role == AgentRole::Manager)
            .cloned()
        else {
            return Ok(());
        };
        let speaker = match mentioned(&message.text, &agents) {
            Some(a) if a.role == AgentRole::Worker && a.enabled => a.clone(),
            _ => manager.clone(),
        };
        let Some((provider, model)) = self.model_for(&speaker).await else {
            self.broadcast(&message.session_id, Notice::NoModel).await;
            return Ok(());
        };
        let (history, _) = self
            .store
            .history(Some(message.session_id.clone()), None, 30)
            .await?;
        let transcript = history
            .iter()
            .map(|m| {
                let who = match &m.author {
                    arranger_domain::Author::User => "User".to_owned(),
                    arranger_domain::Author::Agent { name } => name.clone(),
                    arranger_domain::Author::System => "System".to_owned(),
                };
                format!("{who}: {}", m.text)
            })
            .collect::<Vec<_>>()
            .join("\n");
        let open: Vec<String> = self
            .store
            .list_tasks(Some(message.session_id.clone()), None)
            .await?
            .into_iter()
            .filter(|t| !t.status.is_settled())
            .map(|t| format!("- {} [{}] {}", t.id, t.status, t.title))
            .collect();
        let system = if speaker.role == AgentRole::Manager {
            format!(
                "You are {}, the manager of a software team working in the user's workspace. \
                 Read the user's newest message and decide, using only your tools: split real work into \
                 tasks with create_task (clear title, description with acceptance criteria, scene and tags), \
                 optionally naming an assignee; answer questions or confirm what you did with reply. \
                 Never do the work yourself.\n\nThe team:\n{}\n\nOpen tasks:\n{}",
                speaker.name,
                roster(&agents),
                if open.is_empty() {
                    "(none)".to_owned()
                } else {
                    open.join("\n")
                }
            )
        } else {
            format!(
                "You are {}, a member of a software team: {} The user mentioned you on the team's board. \
                 Answer with reply, or, if they ask for work, take it with create_task (it will be yours).",
                speaker.name, speaker.description
            )
        };
        let owner = StepOwner::chat(speaker.id.clone());
        self.store
            .append_step(
                owner.clone(),
                StepKind::Instruction {
                    text: message.text.clone(),
                },
            )
            .await?;
        let tools: Vec<_> = if speaker.role == AgentRole::Manager {
            manager_tools()
        } else {
            manager_tools()
                .into_iter()
                .filter(|t| t.name == "reply" || t.name == "create_task")
                .collect()
        };
        let mut messages = vec![
            Message::system(system),
            Message::user(format!(
                "The board so far:\n{transcript}\n\nThe newest message is from the User: {}",
                message.text
            )),
        ];
        for _ in 0..self.services.config.max_manager_turns {
            let mut request = ChatRequest::new(messages.clone()).with_tools(definitions(&tools));
            if let Some(m) = &model {
                request = request.with_model(m.clone());
            }
            let tags = CallTags::user(self.user.clone()).with_agent(speaker.id.clone());
            let call = LlmCall::new(tags, provider.clone(), request)
                .with_cancel(self.shutdown.child_token());
            // Streamed, so the Blackboard shows the answer as it is written.
            let scope = crate::engine::DeltaScope {
                task: None,
                assist: None,
                session: Some(message.session_id.clone()),
            };
            let completion = match self.stream_turn(call, &speaker, scope).await {
                Ok((c, cost_usd)) => {
                    let usage = arranger_domain::Usage {
                        input_tokens: c.usage.input_tokens,
                        output_tokens: c.usage.output_tokens,
                        cost_usd,
                    };
                    self.store
                        .record_usage(None, speaker.id.clone(), usage)
                        .await?;
                    c
                }
                Err(e) => {
                    self.broadcast(
                        &message.session_id,
                        Notice::NoAnswer {
                            agent: speaker.name.clone(),
                            error: e.to_string(),
                        },
                    )
                    .await;
                    return Ok(());
                }
            };
            let calls = crate::engine::tool_calls_of(&completion);
            self.store
                .append_step(
                    owner.clone(),
                    StepKind::Assistant {
                        text: completion.text.clone(),
                        reasoning: completion.reasoning.clone(),
                        tool_calls: calls.clone(),
                    },
                )
                .await?;
            if calls.is_empty() {
                // Prose without a decision: show it, so nothing the model said is lost.
                if !completion.text.trim().is_empty() {
                    self.say(&message.session_id, &speaker, completion.text.clone())
                        .await;
                }
                return Ok(());
            }
            messages.push(completion.to_message());
            let mut replied = false;
            for call in &calls {
                let (output, is_error) = match self.decide(message, &speaker, &agents, call).await {
                    Ok(out) => (out, false),
                    Err(why) => (why, true),
                };
                if call.name == "reply" && !is_error {
                    replied = true;
                }
                self.store
                    .append_step(
                        owner.clone(),
                        StepKind::ToolResult {
                            call_id: call.id.clone(),
                            tool: call.name.clone(),
                            output: output.clone(),
                            is_error,
                        },
                    )
                    .await?;
                messages.push(Message::Tool {
                    tool_call_id: call.id.clone(),
                    content: output,
                    is_error,
                });
            }
            if replied {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Carries out one of the Manager's decisions. `Err` is an explanation for the model.
    async fn decide(
        self: &Arc<Self>,
        message: &BoardMessage,
        speaker: &Agent,
        agents: &[Agent],
        call: &ToolCall,
    ) -> Result<String, String> {
        let args = &call.arguments;
        if !args.is_object() {
            return Err("the arguments must be a JSON object".into());
        }
        let s = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_owned);
        let find_agent = |name: &str| {
            agents
                .iter()
                .find(|a| a.name.eq_ignore_ascii_case(name) && a.role == AgentRole::Worker)
        };
        let store_err = |e: StoreError| e.to_string();
        match call.name.as_str() {
            "reply" => {
                let text = s("text")
                    .filter(|t| !t.trim().is_empty())
                    .ok_or("reply needs a non-empty \"text\"")?;
                self.say(&message.session_id, speaker, text).await;
                Ok("posted".into())
            }
            "create_task" => {
                let title = s("title").ok_or("create_task needs a \"title\"")?;
                let tags = args
                    .get("tags")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                let priority = match args.get("priority").and_then(Value::as_u64) {
                    Some(p) => Some(Priority::try_from(p.min(255) as u8)?),
                    None => None,
                };
                let difficulty = match args.get("difficulty").and_then(Value::as_u64) {
                    Some(d) => Some(Difficulty::try_from(d.min(255) as u8)?),
                    None => None,
                };
                // A summoned worker takes the work itself; the Manager may name an assignee.
                let wanted = if speaker.role == AgentRole::Worker {
                    Some(speaker.clone())
                } else {
                    match s("assignee") {
                        Some(name) => Some(
                            find_agent(&name)
                                .cloned()
                                .ok_or(format!("no worker is named {name:?}"))?,
                        ),
                        None => None,
                    }
                };
                let task = self
                    .store
                    .create_task(NewTask {
                        session: Some(message.session_id.clone()),
                        description: s("description").unwrap_or_default(),
                        priority,
                        difficulty,
                        needs: Team::needs(s("scene"), tags),
                        manager_id: Some(speaker.id.clone()),
                        ..NewTask::new(title)
                    })
                    .await
                    .map_err(store_err)?;
                if let Some(w) = wanted {
                    self.assign(task.clone(), Some(w.id.clone()))
                        .await
                        .map_err(store_err)?;
                }
                // Structured, so the model (and scripts) can pass `task_id` on exactly.
                Ok(serde_json::json!({
                    "task_id": task.id,
                    "title": task.title,
                    "status": task.status,
                })
                .to_string())
            }
            "assign_task" => {
                let id = TaskId::new(s("task_id").ok_or("assign_task needs \"task_id\"")?);
                let name = s("agent").ok_or("assign_task needs \"agent\"")?;
                let agent = find_agent(&name).ok_or(format!("no worker is named {name:?}"))?;
                let (task, _) = self.store.get_task(id).await.map_err(store_err)?;
                if !matches!(task.status, TaskStatus::Pending | TaskStatus::Reassigning) {
                    return Err(format!(
                        "task {} is {} and cannot be assigned now",
                        task.id, task.status
                    ));
                }
                self.assign(task.clone(), Some(agent.id.clone()))
                    .await
                    .map_err(store_err)?;
                Ok(format!("assigned {} to {}", task.id, agent.name))
            }
            "cancel_task" => {
                let id = TaskId::new(s("task_id").ok_or("cancel_task needs \"task_id\"")?);
                let reason =
                    s("reason").unwrap_or_else(|| format!("cancelled by {}", speaker.name));
                self.stop_task(&id);
                let t = self
                    .store
                    .transition_task(id, TaskStatus::Failed, Some(reason))
                    .await
                    .map_err(store_err)?;
                Ok(format!("cancelled {}", t.id))
            }
            "start_assist" => {
                let id = TaskId::new(s("task_id").ok_or("start_assist needs \"task_id\"")?);
                let question = s("question").ok_or("start_assist needs \"question\"")?;
                let (task, _) = self.store.get_task(id).await.map_err(store_err)?;
                let owner = match &task.assignee {
                    Some(a) => StepOwner::task(task.id.clone(), a.clone()),
                    None => {
                        return Err("the task has no assignee to help yet; assign it first".into());
                    }
                };
                let note = format!("{} suggests: {question}", speaker.name);
                self.store
                    .append_step(owner, StepKind::Note { text: note })
                    .await
                    .map_err(store_err)?;
                if let Ok(mut touched) = self.touched.lock() {
                    touched.insert(task.id.clone());
                }
                Ok("the suggestion was added to the task's record; its assignee reads it on its next turn".into())
            }
            other => Err(format!("there is no tool {other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_find_agents_by_name() {
        let team = crate::defaults::default_team();
        assert_eq!(
            mentioned("hey @Tester, can you check?", &team).map(|a| a.name.as_str()),
            Some("Tester")
        );
        assert_eq!(
            mentioned("@coder: fix it", &team).map(|a| a.name.as_str()),
            Some("Coder")
        );
        assert!(mentioned("mail me at x@coder.com", &team).is_none());
        assert!(mentioned("@nobody", &team).is_none());
    }
}
