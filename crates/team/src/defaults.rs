//! The team every user starts with; users edit it with `agent.update`.

use arranger_domain::{Agent, AgentId, AgentModel, AgentRole};

fn agent(
    id: &str,
    name: &str,
    role: AgentRole,
    description: &str,
    caps: &[&str],
    scenes: &[&str],
) -> Agent {
    Agent {
        id: AgentId::new(id),
        name: name.into(),
        role,
        description: description.into(),
        capabilities: caps.iter().map(|s| (*s).to_owned()).collect(),
        scenes: scenes.iter().map(|s| (*s).to_owned()).collect(),
        model: AgentModel::default(),
        enabled: true,
        successes: 0,
        failures: 0,
    }
}

/// The scenes a task can name.
pub const SCENES: &[&str] = &["coding", "testing", "review", "docs"];

/// The default team: a Manager and three Workers.
pub fn default_team() -> Vec<Agent> {
    vec![
        agent(
            "manager",
            "Manager",
            AgentRole::Manager,
            "Reads the Blackboard, splits requests into tasks and assigns them.",
            &[],
            &[],
        ),
        agent(
            "coder",
            "Coder",
            AgentRole::Worker,
            "Writes and changes code: features, fixes, refactors.",
            &[
                "code",
                "rust",
                "python",
                "typescript",
                "go",
                "java",
                "c",
                "refactor",
                "debug",
            ],
            &["coding"],
        ),
        agent(
            "tester",
            "Tester",
            AgentRole::Worker,
            "Writes and runs tests, reproduces bugs, checks edge cases.",
            &["tests", "code", "debug", "ci"],
            &["testing"],
        ),
        agent(
            "reviewer",
            "Reviewer",
            AgentRole::Worker,
            "Reviews changes for correctness and security, writes documentation.",
            &["review", "security", "docs", "writing"],
            &["review", "docs"],
        ),
    ]
}
