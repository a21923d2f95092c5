//! The result types: [`Risk`], [`Part`], [`Decision`] and [`Assessment`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How much harm a tool call or command can do. Ordered: `Low < Medium < High`, so the
/// risk of a whole command line is the `max` of its parts.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Reads, or changes only the workspace in ways the log can show and undo.
    Low,
    /// Reaches outside the workspace (network, packages, other users, processes), deletes,
    /// or runs code that cannot be judged statically. Runs only if a rule allows it.
    Medium,
    /// Destroys data or systems, rewrites shared history, or runs code nobody has seen.
    /// Always asks; no rule can allow it.
    High,
}

/// Whether the call may run at once or needs the user's confirmation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Run without asking: the risk is Low, or Medium and allowed by a rule.
    Run,
    /// Ask the user first: the risk is High, or Medium without an Allow rule, or an Ask
    /// rule matched.
    Ask,
}

/// One judged piece of a call: for a shell command, one simple command (or one
/// redirection, or the parse itself when it failed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Part {
    /// The simple command as text, normalized: quotes and escapes removed from literal
    /// words, dynamic words shown as written (e.g. `rm -rf /`, `$CMD x`).
    pub command: String,
    /// The risk of this part after rules.
    pub risk: Risk,
    /// Why, in words a user understands, e.g. "rm with -r and -f deletes recursively
    /// without asking". Mentions the rule that changed the outcome, if any.
    pub reason: String,
}

/// The verdict on one tool call or command line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Assessment {
    /// The highest risk among the parts (`Low` when there are none).
    pub risk: Risk,
    /// Every judged part, outer commands before the commands they run.
    pub parts: Vec<Part>,
    /// Run or Ask. `High` always gives `Ask`.
    pub decision: Decision,
}

impl Assessment {
    /// The parts at the assessment's own (highest) risk: the ones to show first when asking.
    pub fn worst_parts(&self) -> impl Iterator<Item = &Part> {
        self.parts.iter().filter(move |p| p.risk == self.risk)
    }
}
