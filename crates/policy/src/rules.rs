//! Rules: per-user and per-workspace adjustments of the built-in risk table.
//!
//! See the crate documentation for the pattern syntax.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::Risk;

/// What a rule does to the commands (or tools) its pattern matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    /// A matching Medium part runs without asking. Ignored for High parts.
    Allow,
    /// A matching part is raised to at least Medium and always asks.
    Ask,
    /// A matching part is treated as High (and so always asks).
    High,
}

/// Where a rule comes from. More specific scopes win over less specific ones
/// (`Workspace` > `User` > `Builtin`) when an Allow and an Ask rule both match.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RuleScope {
    /// Shipped with Arranger ([`builtin_rules`]).
    Builtin,
    /// The user's own rules, for all their workspaces.
    #[default]
    User,
    /// Rules of one workspace: the most specific.
    Workspace,
}

/// One rule: an argv-token glob pattern and what to do with matching commands.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Rule {
    /// Argv-token glob, e.g. `git push origin feature/*`, `npm publish`, `cargo *`, or a
    /// tool name such as `mcp__github__create_issue`. See the crate docs for the syntax.
    pub pattern: String,
    /// What the rule does.
    pub action: RuleAction,
    /// Where the rule comes from; [`Policy::merge`] sets it.
    #[serde(default)]
    pub scope: RuleScope,
}

/// Why a rule was rejected by [`Rule::validate`]. Every message says what to do instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The pattern has no tokens.
    #[error(
        "the pattern is empty: write the command it should match, e.g. `npm publish` or `git push origin feature/*`"
    )]
    Empty,
    /// The pattern contains shell syntax; patterns match the words of one simple command.
    #[error(
        "pattern `{pattern}` contains {found}: a pattern matches the words of one simple command, so write one rule per command without pipes, redirections, quotes, `;`, `&` or substitutions"
    )]
    ShellSyntax {
        /// The rejected pattern.
        pattern: String,
        /// What was found, in words.
        found: String,
    },
    /// An Allow pattern whose command name is a bare wildcard.
    #[error(
        "pattern `{pattern}` is too broad to allow: its command name is a wildcard, so it would allow any program; name the command, e.g. `cargo *` or `npm publish`"
    )]
    TooBroad {
        /// The rejected pattern.
        pattern: String,
    },
    /// An Allow pattern that covers whatever command a wrapper runs (`time *`, `env *`).
    #[error(
        "pattern `{pattern}` would allow any command that `{wrapper}` runs (e.g. `{example}`); allow the wrapped command itself instead, e.g. `{wrapper} cargo run` or `cargo run *`"
    )]
    AllowsAnyCommand {
        /// The rejected pattern.
        pattern: String,
        /// The wrapper whose wrapped command the pattern leaves open.
        wrapper: String,
        /// A command line the pattern would allow.
        example: String,
    },
    /// An Allow pattern that can match a built-in High command.
    #[error(
        "pattern `{pattern}` can match `{example}`, which is built-in High ({reason}); High commands always ask and no rule can allow them, so narrow the pattern to the commands you mean (e.g. `git push origin feature/*` instead of `git push *`), or use the Ask action"
    )]
    AllowsHigh {
        /// The rejected pattern.
        pattern: String,
        /// A High command the pattern matches.
        example: String,
        /// Why that command is High.
        reason: String,
    },
}

/// One token of a command line as rules see it: `Some(text)` for a literal word (quotes
/// removed), `None` for a word computed at run time.
pub(crate) type Tok = Option<String>;

/// A parsed pattern.
struct Pattern<'a> {
    tokens: Vec<&'a str>,
    /// Ends with a standalone `*` or `**`: any number (including zero) of further tokens.
    rest: bool,
}

fn parse_pattern(pattern: &str) -> Pattern<'_> {
    let mut tokens: Vec<&str> = pattern.split_whitespace().collect();
    let rest = matches!(tokens.last(), Some(&"*") | Some(&"**")) && tokens.len() > 1;
    if rest {
        tokens.pop();
    }
    Pattern { tokens, rest }
}

/// Glob match of one token: `*` matches any run of characters (including `/`), `?` one
/// character; everything else is literal.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) && p[pi] != '*' {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

impl Rule {
    /// A rule with the given pattern, action and scope.
    pub fn new(pattern: impl Into<String>, action: RuleAction, scope: RuleScope) -> Self {
        Rule {
            pattern: pattern.into(),
            action,
            scope,
        }
    }

    /// Whether the pattern matches a command line given as literal argv tokens (the
    /// command name normalized, e.g. `git`, not `/usr/bin/git`), or a tool name as a
    /// single token. Allow rules match the whole line; Ask and High rules match a prefix.
    pub fn matches(&self, argv: &[&str]) -> bool {
        let line: Vec<Tok> = argv.iter().map(|s| Some((*s).to_string())).collect();
        self.matches_line(&line)
    }

    pub(crate) fn matches_line(&self, line: &[Tok]) -> bool {
        let p = parse_pattern(&self.pattern);
        if p.tokens.is_empty() || line.len() < p.tokens.len() {
            return false;
        }
        for (pt, tok) in p.tokens.iter().zip(line) {
            let ok = match tok {
                Some(text) => glob(pt, text),
                // A word computed at run time matches only a whole-token wildcard.
                None => *pt == "*" || *pt == "**",
            };
            if !ok {
                return false;
            }
        }
        if p.rest || line.len() == p.tokens.len() {
            return true;
        }
        // Longer command line, no trailing wildcard: restrictions (Ask, High) match as a
        // prefix, permissions (Allow) only the exact length.
        self.action != RuleAction::Allow
    }

    /// Checks the rule. Rejects an empty pattern, shell syntax in the pattern, and for
    /// Allow rules: a wildcard command name (`*`, `**`, `?*`) and any pattern that can
    /// match a built-in High command (`rm *`, `git push *`, `sudo *`, `bash -c *`).
    pub fn validate(&self) -> Result<(), RuleError> {
        let p = parse_pattern(&self.pattern);
        let Some(first) = p.tokens.first() else {
            return Err(RuleError::Empty);
        };
        if let Some(found) = shell_syntax(&self.pattern) {
            return Err(RuleError::ShellSyntax {
                pattern: self.pattern.clone(),
                found,
            });
        }
        if self.action != RuleAction::Allow {
            return Ok(());
        }
        if first.chars().all(|c| c == '*' || c == '?') {
            return Err(RuleError::TooBroad {
                pattern: self.pattern.clone(),
            });
        }
        for sample in crate::HIGH_SAMPLES {
            let raw = crate::shell::judge_raw(sample);
            for part in raw.iter().filter(|p| p.risk == Risk::High) {
                if part.lines.iter().any(|l| self.matches_line(l)) {
                    return Err(RuleError::AllowsHigh {
                        pattern: self.pattern.clone(),
                        example: part.command.clone(),
                        reason: part.reason.clone(),
                    });
                }
            }
        }
        // The pattern itself, with the unknown program where its wildcards are.
        let mut samples: Vec<String> = crate::WRAPPED_SAMPLES
            .iter()
            .map(|s| s.to_string())
            .collect();
        let concrete = |t: &str| t.replace(['*', '?'], "x");
        let base: Vec<String> = p.tokens.iter().map(|t| concrete(t)).collect();
        if p.rest {
            samples.push(format!("{} {} x", base.join(" "), crate::UNKNOWN_PROGRAM));
        }
        for (i, t) in p.tokens.iter().enumerate() {
            if *t == "*" || *t == "**" {
                let mut line = base.clone();
                line[i] = crate::UNKNOWN_PROGRAM.to_string();
                samples.push(line.join(" "));
            }
        }
        for sample in &samples {
            let raw = crate::shell::judge_raw(sample);
            let open = raw.iter().any(|part| {
                part.lines
                    .first()
                    .and_then(|l| l.first())
                    .and_then(|t| t.as_deref())
                    == Some(crate::UNKNOWN_PROGRAM)
                    && part.lines.iter().skip(1).any(|l| self.matches_line(l))
            });
            if open {
                return Err(RuleError::AllowsAnyCommand {
                    pattern: self.pattern.clone(),
                    wrapper: sample.split_whitespace().next().unwrap_or("").to_string(),
                    example: sample.clone(),
                });
            }
        }
        Ok(())
    }
}

fn shell_syntax(pattern: &str) -> Option<String> {
    if pattern.contains('|') {
        return Some(
            "a pipe `|` (code piped into a shell or interpreter is always High and cannot be allowed)"
                .into(),
        );
    }
    for (needle, what) in [
        (";", "`;`"),
        ("&", "`&`"),
        (">", "a redirection `>`"),
        ("<", "a redirection `<`"),
        ("`", "a backtick substitution"),
        ("$", "`$` (a variable or substitution)"),
        ("'", "a quote"),
        ("\"", "a quote"),
        ("\\", "a backslash"),
        ("(", "a parenthesis"),
        (")", "a parenthesis"),
    ] {
        if pattern.contains(needle) {
            return Some(what.into());
        }
    }
    None
}

/// The rules shipped with Arranger: Allow rules for Medium commands that only install a
/// project's declared dependencies or run the project itself.
pub fn builtin_rules() -> Vec<Rule> {
    [
        "npm ci",
        "npm install",
        "yarn install",
        "pnpm install",
        "pip install -r requirements.txt",
        "uv sync",
        "cargo run *",
        "go run *",
    ]
    .into_iter()
    .map(|p| Rule::new(p, RuleAction::Allow, RuleScope::Builtin))
    .collect()
}

/// The rules in force for one user in one workspace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Policy {
    /// All rules, each carrying its scope. Order does not matter.
    pub rules: Vec<Rule>,
}

/// What the rules do to one part.
pub(crate) struct RuleEffect<'a> {
    /// A High rule matched.
    pub high: Option<&'a Rule>,
    /// The winning Allow-or-Ask rule.
    pub allow_or_ask: Option<&'a Rule>,
}

impl Policy {
    /// No rules at all: only the built-in risk table applies.
    pub fn empty() -> Self {
        Policy { rules: Vec::new() }
    }

    /// The built-in rules only ([`builtin_rules`]): what a user without rules gets.
    pub fn builtin() -> Self {
        Policy {
            rules: builtin_rules(),
        }
    }

    /// Merges rule sets, stamping each rule with its scope: `builtin`, then the user's,
    /// then the workspace's (the most specific).
    pub fn merge(builtin: Vec<Rule>, user: Vec<Rule>, workspace: Vec<Rule>) -> Self {
        let stamp = |rules: Vec<Rule>, scope: RuleScope| {
            rules.into_iter().map(move |mut r| {
                r.scope = scope;
                r
            })
        };
        Policy {
            rules: stamp(builtin, RuleScope::Builtin)
                .chain(stamp(user, RuleScope::User))
                .chain(stamp(workspace, RuleScope::Workspace))
                .collect(),
        }
    }

    /// [`Policy::merge`] with [`builtin_rules`].
    pub fn with_builtin(user: Vec<Rule>, workspace: Vec<Rule>) -> Self {
        Policy::merge(builtin_rules(), user, workspace)
    }

    /// Validates every rule; returns the index and error of each rejected one.
    pub fn validate(&self) -> Vec<(usize, RuleError)> {
        self.rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.validate().err().map(|e| (i, e)))
            .collect()
    }

    /// The effect of the rules on a part whose lines (own argv, then enclosing wrappers'
    /// argv) are given.
    pub(crate) fn effect(&self, lines: &[Vec<Tok>]) -> RuleEffect<'_> {
        let matching = || {
            self.rules
                .iter()
                .filter(move |r| lines.iter().any(|l| r.matches_line(l)))
        };
        let high = matching().find(|r| r.action == RuleAction::High);
        // The most specific scope wins; within one scope, Ask beats Allow.
        let allow_or_ask = matching()
            .filter(|r| r.action != RuleAction::High)
            .max_by_key(|r| (r.scope, r.action == RuleAction::Ask));
        RuleEffect { high, allow_or_ask }
    }
}
