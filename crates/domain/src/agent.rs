//! Agents of a user's team and the Scheduler's scoring policy (BRIEF B3, B10).
//!
//! The policy is pure: given a task's needs, the candidates, their current load and their
//! record, it returns every candidate's score with its parts, so the choice can be shown
//! and explained in the UI.

use crate::AgentId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Whether an agent orchestrates or works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentRole {
    /// Reads the Blackboard, splits requests into tasks, assigns them. Has no file tools.
    Manager,
    /// Does tasks with tools in the user's workspace.
    Worker,
}

/// Which model an agent uses; `None` fields fall back to the user's, then the server's default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AgentModel {
    /// A provider name from the user's or server's configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The model name at that provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

/// One agent of a user's team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Agent {
    /// Identifier.
    pub id: AgentId,
    /// Display name, unique within the team; `@Name` mentions it.
    pub name: String,
    /// Manager or Worker.
    pub role: AgentRole,
    /// What it is for, in a sentence (shown to the Manager when it assigns work).
    pub description: String,
    /// Capability tags, e.g. `rust`, `tests`, `docs`.
    pub capabilities: Vec<String>,
    /// Scenes it is meant for, e.g. `coding`, `testing`, `review`.
    pub scenes: Vec<String>,
    /// The model it uses.
    pub model: AgentModel,
    /// Disabled agents get no new work.
    pub enabled: bool,
    /// Tasks it finished (Done).
    pub successes: u32,
    /// Tasks it failed or gave up.
    pub failures: u32,
}

/// What a task asks of its assignee.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Needs {
    /// The scene, e.g. `coding`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene: Option<String>,
    /// Wanted capability tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// One candidate's score and its parts (each part in `0.0..=1.0` before weighting).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Score {
    /// The candidate.
    pub agent: AgentId,
    /// Its name, for display.
    pub name: String,
    /// 1 when the agent serves the task's scene (or the task names none), else 0.
    pub scene: f64,
    /// Share of the wanted tags the agent has (1 when none are wanted).
    pub tags: f64,
    /// 1 when idle, falling as its running tasks grow: `1 / (1 + running)`.
    pub load: f64,
    /// Laplace-smoothed success rate: `(successes + 1) / (successes + failures + 2)`.
    pub success: f64,
    /// The weighted sum: scene 0.35, tags 0.30, load 0.20, success 0.15.
    pub total: f64,
    /// Why the candidate was passed over, if it was (disabled, excluded, a Manager).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded: Option<String>,
}

/// Weights of the score's parts; they sum to 1.
pub const WEIGHTS: Weights = Weights {
    scene: 0.35,
    tags: 0.30,
    load: 0.20,
    success: 0.15,
};

/// Weights of the score's parts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Weights {
    /// Scene match.
    pub scene: f64,
    /// Capability tags.
    pub tags: f64,
    /// Current load.
    pub load: f64,
    /// Historical success.
    pub success: f64,
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Scores one agent for a task. `running` is the number of tasks it has Active now.
/// `exclude` lists agents that already failed this task (reassignment goes elsewhere).
pub fn score(needs: &Needs, agent: &Agent, running: u32, exclude: &[AgentId]) -> Score {
    let scene = match &needs.scene {
        None => 1.0,
        Some(s) => {
            if agent.scenes.iter().any(|a| norm(a) == norm(s)) {
                1.0
            } else {
                0.0
            }
        }
    };
    let tags = if needs.tags.is_empty() {
        1.0
    } else {
        let have = needs
            .tags
            .iter()
            .filter(|t| agent.capabilities.iter().any(|c| norm(c) == norm(t)))
            .count();
        have as f64 / needs.tags.len() as f64
    };
    let load = 1.0 / (1.0 + f64::from(running));
    let success = (f64::from(agent.successes) + 1.0)
        / (f64::from(agent.successes) + f64::from(agent.failures) + 2.0);
    let w = WEIGHTS;
    let total = w.scene * scene + w.tags * tags + w.load * load + w.success * success;
    let excluded = if agent.role == AgentRole::Manager {
        Some("the Manager does not take tasks".to_owned())
    } else if !agent.enabled {
        Some("disabled".to_owned())
    } else if exclude.contains(&agent.id) {
        Some("already tried this task".to_owned())
    } else {
        None
    };
    Score {
        agent: agent.id.clone(),
        name: agent.name.clone(),
        scene,
        tags,
        load,
        success,
        total,
        excluded,
    }
}

/// Scores every candidate and picks the best eligible one (ties go to the earlier
/// candidate, so the choice is deterministic). Returns the pick and all scores, best first.
pub fn choose(
    needs: &Needs,
    candidates: &[(Agent, u32)],
    exclude: &[AgentId],
) -> (Option<AgentId>, Vec<Score>) {
    let mut scores: Vec<(usize, Score)> = candidates
        .iter()
        .enumerate()
        .map(|(i, (a, running))| (i, score(needs, a, *running, exclude)))
        .collect();
    scores.sort_by(|(ia, a), (ib, b)| {
        a.excluded
            .is_some()
            .cmp(&b.excluded.is_some())
            .then(b.total.total_cmp(&a.total))
            .then(ia.cmp(ib))
    });
    let pick = scores
        .first()
        .filter(|(_, s)| s.excluded.is_none())
        .map(|(_, s)| s.agent.clone());
    (pick, scores.into_iter().map(|(_, s)| s).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn agent(name: &str, caps: &[&str], scenes: &[&str]) -> Agent {
        Agent {
            id: AgentId::new(name.to_lowercase()),
            name: name.into(),
            role: AgentRole::Worker,
            description: String::new(),
            capabilities: caps.iter().map(|s| s.to_string()).collect(),
            scenes: scenes.iter().map(|s| s.to_string()).collect(),
            model: AgentModel::default(),
            enabled: true,
            successes: 0,
            failures: 0,
        }
    }

    fn needs(scene: &str, tags: &[&str]) -> Needs {
        Needs {
            scene: Some(scene.into()),
            tags: tags.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn scene_and_tags_decide_between_idle_agents() {
        let team = vec![
            (agent("Coder", &["rust", "python"], &["coding"]), 0),
            (agent("Tester", &["tests", "rust"], &["testing"]), 0),
        ];
        let (pick, scores) = choose(&needs("testing", &["tests"]), &team, &[]);
        assert_eq!(pick, Some(AgentId::new("tester")));
        assert_eq!(scores[0].scene, 1.0);
        assert_eq!(scores[1].scene, 0.0);
        let (pick, _) = choose(&needs("coding", &["Rust"]), &team, &[]);
        assert_eq!(pick, Some(AgentId::new("coder")));
    }

    #[test]
    fn load_and_record_break_ties_and_exclusions_hold() {
        let mut busy = agent("A", &["rust"], &["coding"]);
        busy.successes = 9;
        let idle = agent("B", &["rust"], &["coding"]);
        let team = vec![(busy.clone(), 3), (idle.clone(), 0)];
        let (pick, _) = choose(&needs("coding", &["rust"]), &team, &[]);
        assert_eq!(
            pick,
            Some(idle.id.clone()),
            "an idle agent beats a busy one"
        );
        let (pick, scores) = choose(
            &needs("coding", &["rust"]),
            &team,
            std::slice::from_ref(&idle.id),
        );
        assert_eq!(
            pick,
            Some(busy.id.clone()),
            "reassignment goes to a different agent"
        );
        assert_eq!(
            scores.last().unwrap().excluded.as_deref(),
            Some("already tried this task")
        );
        let mut manager = agent("M", &[], &[]);
        manager.role = AgentRole::Manager;
        let (pick, _) = choose(&Needs::default(), &[(manager, 0)], &[]);
        assert_eq!(pick, None);
    }

    proptest! {
        #[test]
        fn parts_stay_in_range_and_total_is_their_weighted_sum(
            successes in 0u32..1000, failures in 0u32..1000, running in 0u32..100,
            has_scene in any::<bool>(), ntags in 0usize..4,
        ) {
            let mut a = agent("X", &["a", "b"], &["s"]);
            a.successes = successes;
            a.failures = failures;
            let tags = ["a", "c", "b", "d"][..ntags].to_vec();
            let n = Needs { scene: has_scene.then(|| "s".to_owned()), tags: tags.iter().map(|s| s.to_string()).collect() };
            let s = score(&n, &a, running, &[]);
            for part in [s.scene, s.tags, s.load, s.success] {
                prop_assert!((0.0..=1.0).contains(&part));
            }
            let w = WEIGHTS;
            let sum = w.scene * s.scene + w.tags * s.tags + w.load * s.load + w.success * s.success;
            prop_assert!((s.total - sum).abs() < 1e-12);
            // More load never raises the score.
            let busier = score(&n, &a, running + 1, &[]);
            prop_assert!(busier.total <= s.total);
        }
    }
}
