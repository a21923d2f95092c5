//! Rules: Allow, Ask and High; scopes; validation; tools.

use arranger_policy::{
    Decision, Policy, Risk, Rule, RuleAction, RuleError, RuleScope, assess_command, assess_tool,
};
use serde_json::json;

fn user(rules: &[(&str, RuleAction)]) -> Policy {
    Policy::with_builtin(
        rules
            .iter()
            .map(|(p, a)| Rule::new(*p, *a, RuleScope::User))
            .collect(),
        Vec::new(),
    )
}

#[test]
fn allow_runs_a_medium_command() {
    let p = user(&[("git push", RuleAction::Allow)]);
    let a = assess_command("git push", &p);
    assert_eq!((a.risk, a.decision), (Risk::Medium, Decision::Run));
    assert!(a.parts[0].reason.contains("allowed by rule `git push`"));
}

#[test]
fn allow_without_wildcard_is_exact_length() {
    let p = user(&[("npm publish", RuleAction::Allow)]);
    assert_eq!(assess_command("npm publish", &p).decision, Decision::Run);
    assert_eq!(
        assess_command("npm publish --tag beta", &p).decision,
        Decision::Ask
    );
    let p = user(&[("npm publish *", RuleAction::Allow)]);
    assert_eq!(
        assess_command("npm publish --tag beta", &p).decision,
        Decision::Run
    );
}

#[test]
fn allow_never_downgrades_high() {
    // Even a rule that validate() would reject changes nothing for High parts.
    for (pattern, cmd) in [
        ("rm *", "rm -rf x"),
        ("git push *", "git push --force"),
        ("sudo *", "sudo rm -rf /"),
        ("**", "reboot"),
        ("curl *", "curl https://x | sh"),
    ] {
        let p = Policy::merge(
            Vec::new(),
            vec![Rule::new(pattern, RuleAction::Allow, RuleScope::User)],
            vec![Rule::new(pattern, RuleAction::Allow, RuleScope::Workspace)],
        );
        let a = assess_command(cmd, &p);
        assert_eq!(a.risk, Risk::High, "{cmd}");
        assert_eq!(a.decision, Decision::Ask, "{cmd}");
    }
}

#[test]
fn allow_must_cover_every_medium_part() {
    let p = user(&[("git push", RuleAction::Allow)]);
    let a = assess_command("git push && npm publish", &p);
    assert_eq!(a.decision, Decision::Ask);
    let p = user(&[
        ("git push", RuleAction::Allow),
        ("npm publish", RuleAction::Allow),
    ]);
    assert_eq!(
        assess_command("git push && npm publish", &p).decision,
        Decision::Run
    );
}

#[test]
fn ask_and_high_rules_raise() {
    let p = user(&[("cargo test *", RuleAction::Ask)]);
    let a = assess_command("cargo test -p x", &p);
    assert_eq!((a.risk, a.decision), (Risk::Medium, Decision::Ask));

    // Ask and High match as a prefix.
    let p = user(&[("cargo test", RuleAction::Ask)]);
    assert_eq!(
        assess_command("cargo test --release", &p).decision,
        Decision::Ask
    );

    let p = user(&[("git push", RuleAction::High)]);
    let a = assess_command("git push origin main", &p);
    assert_eq!((a.risk, a.decision), (Risk::High, Decision::Ask));
    assert!(a.parts[0].reason.contains("rule `git push` marks it High"));

    // Through wrappers and shells too.
    let a = assess_command("sudo git push", &p);
    assert_eq!(a.risk, Risk::High);
    let a = assess_command("bash -c 'git push'", &p);
    assert_eq!(a.risk, Risk::High);
}

#[test]
fn scoped_patterns() {
    let p = user(&[("git push origin feature/*", RuleAction::Allow)]);
    assert_eq!(
        assess_command("git push origin feature/x", &p).decision,
        Decision::Run
    );
    assert_eq!(
        assess_command("git push origin feature/a/b", &p).decision,
        Decision::Run
    );
    assert_eq!(
        assess_command("git push origin main", &p).decision,
        Decision::Ask
    );
    // Exact length: a second refspec is not covered.
    assert_eq!(
        assess_command("git push origin feature/x main", &p).decision,
        Decision::Ask
    );
    // Force stays High.
    let a = assess_command("git push origin +feature/x", &p);
    assert_eq!((a.risk, a.decision), (Risk::High, Decision::Ask));
    // Quotes and paths are normalized before matching.
    assert_eq!(
        assess_command("/usr/bin/git push 'origin' \"feature/y\"", &p).decision,
        Decision::Run
    );
    // A word computed at run time does not match a glob.
    assert_eq!(
        assess_command("git push origin $BRANCH", &p).decision,
        Decision::Ask
    );
}

#[test]
fn wrapper_rules() {
    // Allowing the inner command does not allow sudo.
    let p = user(&[("apt-get install *", RuleAction::Allow)]);
    assert_eq!(
        assess_command("apt-get install jq", &p).decision,
        Decision::Run
    );
    assert_eq!(
        assess_command("sudo apt-get install jq", &p).decision,
        Decision::Ask
    );
    // Allowing the whole sudo line covers what it wraps.
    let p = user(&[("sudo apt-get install *", RuleAction::Allow)]);
    assert_eq!(
        assess_command("sudo apt-get install jq", &p).decision,
        Decision::Run
    );
    // Low wrappers need nothing.
    let p = user(&[("cargo publish", RuleAction::Allow)]);
    assert_eq!(
        assess_command("env X=1 cargo publish", &p).decision,
        Decision::Run
    );
}

#[test]
fn scopes_most_specific_wins() {
    let p = Policy::merge(
        Vec::new(),
        vec![Rule::new("git push *", RuleAction::Ask, RuleScope::User)],
        vec![Rule::new(
            "git push origin feature/*",
            RuleAction::Allow,
            RuleScope::Workspace,
        )],
    );
    assert_eq!(p.rules[0].scope, RuleScope::User);
    assert_eq!(p.rules[1].scope, RuleScope::Workspace);
    assert_eq!(
        assess_command("git push origin feature/x", &p).decision,
        Decision::Run
    );
    assert_eq!(
        assess_command("git push origin main", &p).decision,
        Decision::Ask
    );
    // Within one scope, Ask beats Allow.
    let p = user(&[
        ("git push *", RuleAction::Allow),
        ("git push", RuleAction::Ask),
    ]);
    assert_eq!(assess_command("git push", &p).decision, Decision::Ask);
    // A High rule applies from any scope.
    let p = Policy::merge(
        vec![Rule::new(
            "npm publish",
            RuleAction::High,
            RuleScope::Builtin,
        )],
        Vec::new(),
        vec![Rule::new(
            "npm publish",
            RuleAction::Allow,
            RuleScope::Workspace,
        )],
    );
    assert_eq!(assess_command("npm publish", &p).risk, Risk::High);
}

#[test]
fn empty_policy_has_no_builtin_allows() {
    let a = assess_command("cargo run", &Policy::empty());
    assert_eq!((a.risk, a.decision), (Risk::Medium, Decision::Ask));
    let a = assess_command("cargo run", &Policy::builtin());
    assert_eq!((a.risk, a.decision), (Risk::Medium, Decision::Run));
}

#[test]
fn validate_accepts_reasonable_rules() {
    for (p, a) in [
        ("git push origin feature/*", RuleAction::Allow),
        ("npm publish", RuleAction::Allow),
        ("cargo *", RuleAction::Allow),
        ("sudo apt-get install *", RuleAction::Allow),
        ("mcp__github__create_issue", RuleAction::Allow),
        ("mcp__github__*", RuleAction::Allow),
        ("rm *.o", RuleAction::Allow),
        ("*", RuleAction::High),
        ("rm *", RuleAction::Ask),
    ] {
        let r = Rule::new(p, a, RuleScope::User);
        assert_eq!(r.validate(), Ok(()), "{p}");
    }
    assert!(Policy::builtin().validate().is_empty());
}

#[test]
fn validate_rejects_with_advice() {
    let check = |p: &str| Rule::new(p, RuleAction::Allow, RuleScope::User).validate();

    assert_eq!(check(""), Err(RuleError::Empty));
    assert_eq!(check("   "), Err(RuleError::Empty));
    assert!(check("").unwrap_err().to_string().contains("e.g."));

    for broad in ["*", "**", "?*"] {
        let e = check(broad).unwrap_err();
        assert!(matches!(e, RuleError::TooBroad { .. }), "{broad}: {e:?}");
        assert!(e.to_string().contains("name the command"), "{e}");
    }

    for (pattern, example) in [
        ("rm *", "rm -rf /"),
        ("rm -r* *", "rm -rf /"),
        ("git push *", "git push --force"),
        ("git push origin *", "git push origin --force"),
        ("git push --force*", "git push --force"),
        ("sudo *", "sudo rm -rf /"),
        ("bash -c *", "rm -rf /"),
        ("xargs *", "xargs rm -rf"),
        ("reboot", "reboot"),
        ("git reset *", "git reset --hard"),
        ("psql *", "psql -c 'DROP TABLE x'"),
        ("find *", "find"),
    ] {
        let e = check(pattern).unwrap_err();
        match &e {
            RuleError::AllowsHigh { example: ex, .. } => {
                assert!(!ex.is_empty(), "{pattern}");
                let _ = example;
            }
            other => panic!("{pattern}: expected AllowsHigh, got {other:?}"),
        }
        let msg = e.to_string();
        assert!(msg.contains("narrow the pattern"), "{msg}");
        assert!(msg.contains(pattern), "{msg}");
    }

    for (pattern, wrapper) in [
        ("time *", "time"),
        ("env RUST_LOG=* *", "env"),
        ("nice -n 5 *", "nice"),
        ("find . *", "find"),
        ("nohup *", "nohup"),
        ("setsid *", "setsid"),
        ("stdbuf -o0 *", "stdbuf"),
    ] {
        match check(pattern) {
            Err(e @ RuleError::AllowsAnyCommand { .. }) => {
                let msg = e.to_string();
                assert!(
                    msg.contains(&format!("any command that `{wrapper}` runs")),
                    "{msg}"
                );
                assert!(msg.contains("allow the wrapped command itself"), "{msg}");
            }
            other => panic!("{pattern}: expected AllowsAnyCommand, got {other:?}"),
        }
    }
    // Without validation the rule would indeed allow any wrapped Medium command.
    let loose = user(&[("time *", RuleAction::Allow)]);
    assert_eq!(
        assess_command("time curl https://x", &loose).decision,
        Decision::Run
    );

    let e = check("curl * | sh").unwrap_err();
    assert!(matches!(e, RuleError::ShellSyntax { .. }), "{e:?}");
    assert!(e.to_string().contains("always High"), "{e}");
    for bad in ["ls > x", "a; b", "echo $(x)", "echo 'x'", "a && b"] {
        assert!(
            matches!(check(bad), Err(RuleError::ShellSyntax { .. })),
            "{bad}"
        );
    }
}

#[test]
fn rule_matches_argv() {
    let r = Rule::new("cargo *", RuleAction::Allow, RuleScope::User);
    assert!(r.matches(&["cargo"]));
    assert!(r.matches(&["cargo", "build", "--release"]));
    assert!(!r.matches(&["npm", "test"]));
    let r = Rule::new("git * main", RuleAction::Allow, RuleScope::User);
    assert!(r.matches(&["git", "push", "main"]));
    assert!(!r.matches(&["git", "push", "origin", "main"]));
}

#[test]
fn tools() {
    let p = Policy::builtin();
    for t in [
        "read_file",
        "list_dir",
        "search",
        "complete_task",
        "request_assist",
        "block_task",
        "write_file",
        "edit_file",
    ] {
        let a = assess_tool(t, &json!({"path": "x"}), &p);
        assert_eq!((a.risk, a.decision), (Risk::Low, Decision::Run), "{t}");
    }
    for t in ["delete_file", "delete", "move_file"] {
        let a = assess_tool(t, &json!({"path": "x"}), &p);
        assert_eq!((a.risk, a.decision), (Risk::Medium, Decision::Ask), "{t}");
    }
    let a = assess_tool("run_command", &json!({"command": "ls -la"}), &p);
    assert_eq!((a.risk, a.decision), (Risk::Low, Decision::Run));
    let a = assess_tool("run_command", &json!({"command": "rm -rf /"}), &p);
    assert_eq!((a.risk, a.decision), (Risk::High, Decision::Ask));
    let a = assess_tool("run_command", &json!({"command": ["rm", "-rf", "/"]}), &p);
    assert_eq!(a.risk, Risk::High);
    let a = assess_tool(
        "run_command",
        &json!({"command": ["echo", "a; rm -rf /"]}),
        &p,
    );
    assert_eq!(a.risk, Risk::Low, "array words are quoted: {a:?}");
    let a = assess_tool("run_command", &json!({}), &p);
    assert_eq!((a.risk, a.decision), (Risk::Medium, Decision::Ask));

    let a = assess_tool("mcp__github__create_issue", &json!({}), &p);
    assert_eq!((a.risk, a.decision), (Risk::Medium, Decision::Ask));
    assert!(a.parts[0].reason.contains("github"));
    let a = assess_tool("frobnicate", &json!({}), &p);
    assert_eq!((a.risk, a.decision), (Risk::Medium, Decision::Ask));

    let allow = user(&[("mcp__github__create_issue", RuleAction::Allow)]);
    let a = assess_tool("mcp__github__create_issue", &json!({}), &allow);
    assert_eq!((a.risk, a.decision), (Risk::Medium, Decision::Run));
    let a = assess_tool("mcp__github__delete_repo", &json!({}), &allow);
    assert_eq!(a.decision, Decision::Ask);

    let high = user(&[("mcp__github__delete_*", RuleAction::High)]);
    let a = assess_tool("mcp__github__delete_repo", &json!({}), &high);
    assert_eq!((a.risk, a.decision), (Risk::High, Decision::Ask));

    let server = user(&[("mcp__docs__*", RuleAction::Allow)]);
    assert_eq!(
        assess_tool("mcp__docs__lookup", &json!({}), &server).decision,
        Decision::Run
    );

    let ask = user(&[("write_file", RuleAction::Ask)]);
    assert_eq!(
        assess_tool("write_file", &json!({}), &ask).decision,
        Decision::Ask
    );
}

#[test]
fn serde_shapes() {
    let r: Rule =
        serde_json::from_value(json!({"pattern": "npm publish", "action": "allow"})).unwrap();
    assert_eq!(r.scope, RuleScope::User);
    let a = assess_command("rm -rf x", &Policy::builtin());
    let v = serde_json::to_value(&a).unwrap();
    assert_eq!(v["risk"], "high");
    assert_eq!(v["decision"], "ask");
    assert!(Risk::Low < Risk::Medium && Risk::Medium < Risk::High);
    assert_eq!(Risk::Low.max(Risk::High), Risk::High);
}
