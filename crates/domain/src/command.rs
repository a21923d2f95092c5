//! User-defined commands of the per-user command registry (VS Code's `commands`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A command a user registered. Built-in commands are not stored; they are code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UserCommand {
    /// Identifier, unique within the user: letters, digits and `.`, `_`, `-`.
    pub id: String,
    /// Title shown in command palettes.
    pub title: String,
    /// What executing it does.
    pub action: CommandAction,
}

/// What a user-defined command does when executed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CommandAction {
    /// A prompt shortcut: posts `template` to the Blackboard, with `{{input}}` replaced
    /// by the `input` argument of `command.execute`.
    Prompt {
        /// The text to post.
        template: String,
    },
}

/// Checks a command id: 1–128 characters of ASCII letters, digits, `.`, `_`, `-`.
pub fn validate_command_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 128 {
        return Err("a command id must be 1 to 128 characters long".into());
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(format!(
            "command id {id:?} may contain only ASCII letters, digits, '.', '_' and '-'"
        ));
    }
    Ok(())
}

impl CommandAction {
    /// Renders the action's text for one execution.
    pub fn render(&self, input: &str) -> String {
        match self {
            CommandAction::Prompt { template } => template.replace("{{input}}", input),
        }
    }
}
