//! Identifier newtypes. They are opaque strings on the wire; the store generates them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// Wraps an existing identifier string.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The identifier as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
    };
}

id_type!(
    /// A user of the server. Derived by the server from credentials, never chosen by a client.
    UserId
);
id_type!(
    /// A session: one conversation with its own Blackboard and tasks.
    SessionId
);
id_type!(
    /// A Blackboard message.
    MessageId
);
id_type!(
    /// A task.
    TaskId
);
id_type!(
    /// An agent (the Manager or a Worker) of a user's team.
    AgentId
);

impl SessionId {
    /// The id of the session every user has, used when a client names none.
    pub const DEFAULT: &'static str = "default";

    /// The default session's id.
    pub fn default_session() -> Self {
        Self(Self::DEFAULT.to_owned())
    }
}
