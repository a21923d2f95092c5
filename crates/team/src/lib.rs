//! Arranger's coding team (BRIEF B2–B6): for each user, a Manager that turns Blackboard
//! requests into tasks, a Scheduler that assigns them by score, Workers that do them with
//! tools in the user's workspace, and assists between agents.
//!
//! **Architecture invariant:** a [`Team`] serves exactly one user. It holds that user's
//! `UserHost` and `UserStore` and nothing else of any user; everything it does runs inside
//! `with_user` for that user. What users share — the LLM pool — is in [`TeamServices`].

pub mod context;
pub mod defaults;
mod engine;
mod gateway;
mod manager;
mod task_gauge;
mod team;
pub mod tools;

pub use engine::ChatError;
pub use gateway::DecideError;
pub use manager::mentioned;
pub use team::{Team, TeamConfig, TeamError, TeamServices};
