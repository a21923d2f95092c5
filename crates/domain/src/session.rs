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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
    /// Creation time.
    pub created_at: Timestamp,
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
