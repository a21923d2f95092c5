//! Sessions and Blackboard messages.

use crate::{MessageId, SessionId, TaskId, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A conversation with its own Blackboard and tasks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Session {
    /// Identifier (`"default"` for the session every user starts with).
    pub id: SessionId,
    /// Human-readable title.
    pub title: String,
    /// Archived sessions are hidden from the default listing and refuse new posts.
    pub archived: bool,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change (rename, archive, new message).
    pub updated_at: Timestamp,
}

/// Who wrote a Blackboard message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Author {
    /// The user (any of their clients).
    User,
    /// An agent of the user's team.
    Agent {
        /// The agent's name, as shown in the UI.
        name: String,
    },
    /// The system: broadcasts such as "task created" or "assigned to Coder".
    System,
}

/// One message on a session's Blackboard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Message {
    /// Identifier; increasing in creation order within a user.
    pub id: MessageId,
    /// The session whose Blackboard holds it.
    pub session_id: SessionId,
    /// Who wrote it.
    pub author: Author,
    /// Markdown text.
    pub text: String,
    /// The task this message created or refers to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<TaskId>,
    /// For a system broadcast, what it says as data, so a client can show it in the
    /// user's language (`text` is its English form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<Notice>,
    /// Creation time.
    pub created_at: Timestamp,
}

/// What a system broadcast on the Blackboard says, as data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// A task was created.
    TaskCreated {
        /// Its title.
        title: String,
    },
    /// The Scheduler assigned a task.
    Assigned {
        /// The task's title.
        title: String,
        /// The agent chosen.
        agent: String,
        /// Its score (the parts are on the task's `scores`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        score: Option<f64>,
    },
    /// An agent finished a task.
    Done {
        /// The task's title.
        title: String,
        /// The agent.
        agent: String,
        /// Its acceptance report (Markdown).
        report: String,
    },
    /// An agent could not finish a task: it goes to another one, or (`gave_up`) it failed.
    Failed {
        /// The task's title.
        title: String,
        /// The agent.
        agent: String,
        /// Why.
        reason: String,
        /// Whether the task failed for good (else it is reassigned).
        gave_up: bool,
    },
    /// A task is blocked until something outside changes.
    Blocked {
        /// The task's title.
        title: String,
        /// The agent.
        agent: String,
        /// What it needs.
        reason: String,
    },
    /// An agent asked another for help.
    AssistStarted {
        /// The task's title.
        title: String,
        /// Who asks.
        requester: String,
        /// Who helps.
        helper: String,
    },
    /// An agent could not answer a Blackboard message.
    NoAnswer {
        /// The agent.
        agent: String,
        /// Why.
        error: String,
    },
    /// No language model is configured: nobody answers, tasks wait in Pending.
    NoModel,
}

impl Notice {
    /// The notice in English Markdown: the message's `text`.
    pub fn english(&self) -> String {
        match self {
            Notice::TaskCreated { title } => format!("Task created: **{title}**"),
            Notice::Assigned {
                title,
                agent,
                score,
            } => match score {
                Some(s) => format!("Assigned **{title}** to {agent} — score {s:.2}"),
                None => format!("Assigned **{title}** to {agent}"),
            },
            Notice::Done {
                title,
                agent,
                report,
            } => format!("Done: **{title}** ({agent})\n\n{report}"),
            Notice::Failed {
                title,
                agent,
                reason,
                gave_up,
            } => format!(
                "{}: **{title}** — {agent} could not finish: {reason}",
                if *gave_up { "Failed" } else { "Reassigning" }
            ),
            Notice::Blocked {
                title,
                agent,
                reason,
            } => format!(
                "Blocked: **{title}** — {agent} needs: {reason}\n\nRetry the task when it can go on."
            ),
            Notice::AssistStarted {
                title,
                requester,
                helper,
            } => format!("{requester} asked {helper} for help with **{title}**"),
            Notice::NoAnswer { agent, error } => format!("{agent} could not answer: {error}"),
            Notice::NoModel => {
                "No language model is configured, so nobody can answer yet and tasks wait in \
                 Pending. An administrator can set OPENAI_API_KEY (and OPENAI_BASE_URL) or \
                 ANTHROPIC_API_KEY with ARRANGER_MODEL."
                    .into()
            }
        }
    }
}

/// What a Blackboard text asks for, decided without any I/O.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlackboardCommand<'a> {
    /// `/task <title>`: create a task with this title.
    CreateTask {
        /// The title, trimmed and never empty.
        title: &'a str,
    },
    /// Plain text for the Manager.
    Chat,
}

/// Parses a Blackboard text. `/task` with no title is an error the caller reports.
pub fn parse_blackboard_text(text: &str) -> Result<BlackboardCommand<'_>, &'static str> {
    let trimmed = text.trim_start();
    if let Some(rest) = trimmed.strip_prefix("/task")
        && (rest.is_empty() || rest.starts_with(char::is_whitespace))
    {
        let title = rest.trim();
        if title.is_empty() {
            return Err("`/task` needs a title, for example `/task add input validation`");
        }
        return Ok(BlackboardCommand::CreateTask { title });
    }
    Ok(BlackboardCommand::Chat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_command_is_recognised() {
        assert_eq!(
            parse_blackboard_text("  /task  write tests \n"),
            Ok(BlackboardCommand::CreateTask {
                title: "write tests"
            })
        );
        assert_eq!(
            parse_blackboard_text("/tasks are fun"),
            Ok(BlackboardCommand::Chat)
        );
        assert_eq!(
            parse_blackboard_text("hello /task x"),
            Ok(BlackboardCommand::Chat)
        );
        assert!(parse_blackboard_text("/task   ").is_err());
        assert!(parse_blackboard_text("/task").is_err());
    }
}
