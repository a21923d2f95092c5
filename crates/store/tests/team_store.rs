use arranger_domain::{
    Agent, AgentId, AgentModel, AgentRole, AssistStatus, EventKind, Needs, StepKind, TaskStatus,
    ToolCall, ToolRunStatus, Usage,
};
use arranger_store::{
    AgentPatch, LocalBus, NewTask, StepOwner, StoreError, ToolRunStart, UserStore,
};
use serde_json::json;
use std::sync::Arc;

fn store() -> (tempfile::TempDir, UserStore) {
    let t = tempfile::tempdir().unwrap();
    let s = UserStore::new(t.path().join("state.db"), Arc::new(LocalBus::new(1024)));
    (t, s)
}

fn agent(id: &str, role: AgentRole) -> Agent {
    Agent {
        id: AgentId::new(id),
        name: id.to_uppercase(),
        role,
        description: format!("the {id}"),
        capabilities: vec!["rust".into()],
        scenes: vec!["coding".into()],
        model: AgentModel::default(),
        enabled: true,
        successes: 0,
        failures: 0,
    }
}

#[tokio::test]
async fn the_default_team_is_created_once_and_editable() {
    let (_t, s) = store();
    let team = s
        .ensure_team(vec![
            agent("mgr", AgentRole::Manager),
            agent("coder", AgentRole::Worker),
        ])
        .await
        .unwrap();
    assert_eq!(team.len(), 2);
    assert_eq!(team[0].role, AgentRole::Manager);
    let again = s
        .ensure_team(vec![agent("other", AgentRole::Worker)])
        .await
        .unwrap();
    assert_eq!(again.len(), 2, "an existing team is never overwritten");
    let patch = AgentPatch {
        capabilities: Some(vec!["tests".into()]),
        ..AgentPatch::default()
    };
    assert_eq!(s.list_agents().await.unwrap()[1].capabilities, ["rust"]);
    let a = s.update_agent(AgentId::new("coder"), patch).await.unwrap();
    assert_eq!(a.capabilities, ["tests"]);
    assert_eq!(
        s.list_agents().await.unwrap()[1].capabilities,
        ["tests"],
        "the team served from memory follows a change"
    );
    let dup = AgentPatch {
        name: Some("MGR".into()),
        ..AgentPatch::default()
    };
    assert!(matches!(
        s.update_agent(AgentId::new("coder"), dup).await,
        Err(StoreError::Conflict(_))
    ));
    let bad = AgentPatch {
        name: Some("has space".into()),
        ..AgentPatch::default()
    };
    assert!(matches!(
        s.update_agent(AgentId::new("coder"), bad).await,
        Err(StoreError::Invalid(_))
    ));
    let off = AgentPatch {
        enabled: Some(false),
        ..AgentPatch::default()
    };
    assert!(s.update_agent(AgentId::new("mgr"), off).await.is_err());
}

#[tokio::test]
async fn assignment_completion_and_reassignment_keep_the_record() {
    let (_t, s) = store();
    s.ensure_team(vec![
        agent("a", AgentRole::Worker),
        agent("b", AgentRole::Worker),
    ])
    .await
    .unwrap();
    let t = s
        .create_task(NewTask {
            needs: Needs {
                scene: Some("coding".into()),
                tags: vec!["rust".into()],
            },
            ..NewTask::new("t")
        })
        .await
        .unwrap();
    assert_eq!(t.needs.scene.as_deref(), Some("coding"));
    let t = s
        .assign_task(t.id.clone(), AgentId::new("a"), vec![], None)
        .await
        .unwrap();
    assert_eq!(
        (t.status, t.attempts, t.assignee.clone()),
        (TaskStatus::Active, 1, Some(AgentId::new("a")))
    );
    assert!(
        s.assign_task(t.id.clone(), AgentId::new("b"), vec![], None)
            .await
            .is_err(),
        "an Active task is not reassigned"
    );
    let t = s
        .fail_attempt(t.id.clone(), "model kept failing".into(), false)
        .await
        .unwrap();
    assert_eq!(t.status, TaskStatus::Reassigning);
    assert_eq!(
        s.tried_agents(t.id.clone()).await.unwrap(),
        [AgentId::new("a")]
    );
    let t = s
        .assign_task(t.id.clone(), AgentId::new("b"), vec![], None)
        .await
        .unwrap();
    assert_eq!(t.attempts, 2);
    let b = AgentId::new("b");
    let u = |i, o, c| Usage {
        input_tokens: i,
        output_tokens: o,
        cost_usd: c,
    };
    s.record_usage(Some(t.id.clone()), b.clone(), u(10, 5, 0.5))
        .await
        .unwrap();
    s.record_usage(Some(t.id.clone()), b.clone(), u(1, 1, 0.25))
        .await
        .unwrap();
    s.record_usage(None, AgentId::new("a"), u(100, 0, 0.0))
        .await
        .unwrap();
    let (t, _) = s.get_task(t.id.clone()).await.unwrap();
    assert_eq!(t.usage, u(11, 6, 0.75));
    let daily = s.daily_usage(1).await.unwrap();
    assert_eq!(daily.len(), 2);
    assert_eq!(
        daily
            .iter()
            .find(|d| d.agent_id == b)
            .unwrap()
            .usage
            .input_tokens,
        11
    );
    let done = s
        .complete_task(t.id.clone(), "added validation and a test".into(), None)
        .await
        .unwrap();
    assert_eq!(done.status, TaskStatus::Done);
    assert_eq!(done.report.as_deref(), Some("added validation and a test"));
    let (_, history) = s.get_task(t.id.clone()).await.unwrap();
    let path: Vec<_> = history.iter().map(|h| h.to).collect();
    assert_eq!(
        path,
        [
            TaskStatus::Active,
            TaskStatus::Reassigning,
            TaskStatus::Active,
            TaskStatus::Finalizing,
            TaskStatus::Done
        ]
    );
    let agents = s.list_agents().await.unwrap();
    let a = agents.iter().find(|x| x.id.as_str() == "a").unwrap();
    let b = agents.iter().find(|x| x.id.as_str() == "b").unwrap();
    assert_eq!(
        (a.successes, a.failures, b.successes, b.failures),
        (0, 1, 1, 0)
    );
}

#[tokio::test]
async fn steps_tool_runs_and_assists_are_recorded_with_events() {
    let (_t, s) = store();
    let t = s.create_task(NewTask::new("t")).await.unwrap();
    let agent = AgentId::new("coder");
    let before = s.last_seq().await.unwrap();
    s.append_step(
        StepOwner::task(t.id.clone(), agent.clone()),
        StepKind::Instruction {
            text: "do it".into(),
        },
    )
    .await
    .unwrap();
    let call = ToolCall {
        id: "c1".into(),
        name: "write_file".into(),
        arguments: json!({"path": "a"}),
    };
    s.append_step(
        StepOwner::task(t.id.clone(), agent.clone()),
        StepKind::Assistant {
            text: "writing".into(),
            reasoning: Some("think".into()),
            tool_calls: vec![call],
        },
    )
    .await
    .unwrap();
    let run = s
        .start_tool_run(ToolRunStart {
            task: Some(t.id.clone()),
            agent: agent.clone(),
            call_id: "c1".into(),
            tool: "write_file".into(),
            args: json!({"path": "a"}),
            risk: None,
            reasons: vec![],
            ask: false,
        })
        .await
        .unwrap();
    assert_eq!(run.status, ToolRunStatus::Running);
    let big = "x".repeat(100_000);
    let run = s
        .finish_tool_run(run.id, ToolRunStatus::Ok, big)
        .await
        .unwrap();
    assert!(run.output.len() < 70_000 && run.output.contains("more bytes not shown"));
    let steps = s
        .steps(StepOwner::task(t.id.clone(), agent.clone()))
        .await
        .unwrap();
    assert_eq!(steps.iter().map(|s| s.index).collect::<Vec<_>>(), [0, 1]);
    assert!(
        s.steps(StepOwner::chat(agent.clone()))
            .await
            .unwrap()
            .is_empty(),
        "chat steps are separate"
    );
    let helper = AgentId::new("tester");
    let owner = StepOwner::assist(t.id.clone(), "as1".into(), helper.clone());
    s.append_step(
        owner.clone(),
        StepKind::Note {
            text: "helping".into(),
        },
    )
    .await
    .unwrap();
    s.append_step(
        StepOwner::chat(helper.clone()),
        StepKind::Instruction { text: "hi".into() },
    )
    .await
    .unwrap();
    let task_steps = s
        .steps(StepOwner::task(t.id.clone(), agent.clone()))
        .await
        .unwrap();
    assert_eq!(task_steps.len(), 2, "assist steps stay apart");
    assert_eq!(s.steps(owner).await.unwrap().len(), 1);
    assert_eq!(
        s.steps(StepOwner::chat(helper.clone()))
            .await
            .unwrap()
            .len(),
        1
    );

    // A run left running by a crash becomes Interrupted.
    s.start_tool_run(ToolRunStart {
        task: Some(t.id.clone()),
        agent: agent.clone(),
        call_id: "c2".into(),
        tool: "run_command".into(),
        args: json!({"command": "make"}),
        risk: None,
        reasons: vec![],
        ask: false,
    })
    .await
    .unwrap();
    let cut = s.interrupt_running_tool_runs().await.unwrap();
    assert_eq!(cut.len(), 1);
    assert_eq!(cut[0].status, ToolRunStatus::Interrupted);
    assert_eq!(s.tool_runs(t.id.clone()).await.unwrap().len(), 2);

    let a = s
        .open_assist(t.id.clone(), agent.clone(), "how do I test this?".into())
        .await
        .unwrap();
    let a = s
        .update_assist(
            a.id,
            AssistStatus::Running,
            Some(AgentId::new("tester")),
            None,
        )
        .await
        .unwrap();
    let a = s
        .update_assist(
            a.id,
            AssistStatus::Done,
            None,
            Some("use cargo test".into()),
        )
        .await
        .unwrap();
    assert_eq!(a.helper, Some(AgentId::new("tester")));
    assert_eq!(a.summary.as_deref(), Some("use cargo test"));
    assert!(a.finished_at.is_some());

    let names: Vec<_> = s
        .events_after(before, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.kind.name())
        .collect();
    assert_eq!(
        names,
        [
            "step_added",
            "step_added",
            "tool_run_added",
            "tool_run_updated",
            "step_added",
            "step_added",
            "tool_run_added",
            "tool_run_updated",
            "assist_requested",
            "assist_updated",
            "assist_updated"
        ]
    );
    let all = s.events_after(0, 1000).await.unwrap();
    assert!(
        all.iter()
            .any(|e| matches!(&e.kind, EventKind::StepAdded { step } if step.index == 1))
    );
}

#[tokio::test]
async fn model_configuration_keeps_keys_encrypted_and_write_only() {
    use arranger_store::{ConfigUpdate, ProviderInput, SecretBox};
    let (t, s) = store();
    let secrets = Arc::new(SecretBox::load_or_create(&t.path().join("secret.key")).unwrap());
    let p = |key: Option<&str>| ProviderInput {
        name: "mine".into(),
        kind: "openai".into(),
        base_url: Some("http://127.0.0.1:1/v1".into()),
        model: "qwen".into(),
        api_key: key.map(str::to_owned),
    };
    let update = ConfigUpdate {
        providers: Some(vec![p(Some("sk-very-secret"))]),
        default_provider: Some(Some("mine".into())),
        network: None,
    };
    let cfg = s.set_config(update, secrets.clone()).await.unwrap();
    assert!(cfg.providers[0].has_key);
    assert_eq!(cfg.default_provider.as_deref(), Some("mine"));
    assert_eq!(
        s.provider_key("mine".into(), secrets.clone())
            .await
            .unwrap()
            .as_deref(),
        Some("sk-very-secret")
    );
    // The key is nowhere in the database file or the event log in clear.
    let events = serde_json::to_string(&s.events_after(0, 1000).await.unwrap()).unwrap();
    assert!(!events.contains("sk-very-secret"));
    let raw = std::fs::read(t.path().join("state.db")).unwrap();
    let wal = std::fs::read(t.path().join("state.db-wal")).unwrap_or_default();
    assert!(
        !raw.windows(14)
            .chain(wal.windows(14))
            .any(|w| w == b"sk-very-secret")
    );
    // Absent keeps the key; "" removes it; removing the provider removes it too.
    let cfg = s
        .set_config(
            ConfigUpdate {
                providers: Some(vec![p(None)]),
                ..Default::default()
            },
            secrets.clone(),
        )
        .await
        .unwrap();
    assert!(cfg.providers[0].has_key);
    let cfg = s
        .set_config(
            ConfigUpdate {
                providers: Some(vec![p(Some(""))]),
                ..Default::default()
            },
            secrets.clone(),
        )
        .await
        .unwrap();
    assert!(!cfg.providers[0].has_key);
    let bad = ConfigUpdate {
        default_provider: Some(Some("nope".into())),
        ..Default::default()
    };
    assert!(matches!(
        s.set_config(bad, secrets.clone()).await,
        Err(StoreError::Invalid(_))
    ));
    let bad_kind = ProviderInput {
        kind: "gemini".into(),
        ..p(None)
    };
    let r = s
        .set_config(
            ConfigUpdate {
                providers: Some(vec![bad_kind]),
                ..Default::default()
            },
            secrets.clone(),
        )
        .await;
    assert!(matches!(r, Err(StoreError::Invalid(_))));
}

#[tokio::test]
async fn a_turn_its_usage_and_its_first_call_commit_together_and_broadcasts_ride_along() {
    let (_t, s) = store();
    s.ensure_team(vec![agent("coder", AgentRole::Worker)])
        .await
        .unwrap();
    let t = s.create_task(NewTask::new("validate input")).await.unwrap();
    let mut rx = s.subscribe();
    let coder = AgentId::new("coder");
    let t = s
        .assign_task(
            t.id.clone(),
            coder.clone(),
            vec![],
            Some(arranger_domain::Notice::Assigned {
                title: "validate input".into(),
                agent: "CODER".into(),
                score: Some(0.5),
            }),
        )
        .await
        .unwrap();
    let (messages, _) = s.history(None, None, 10).await.unwrap();
    let notice = messages
        .iter()
        .find(|m| m.text == "Assigned **validate input** to CODER — score 0.50")
        .unwrap_or_else(|| panic!("the broadcast is on the Blackboard: {messages:?}"));
    // What it says is kept as data too, for clients that show it in another language.
    assert_eq!(
        notice.notice,
        Some(arranger_domain::Notice::Assigned {
            title: "validate input".into(),
            agent: "CODER".into(),
            score: Some(0.5),
        })
    );
    let owner = StepOwner::task(t.id.clone(), coder.clone());
    let call = ToolCall {
        id: "c1".into(),
        name: "read_file".into(),
        arguments: json!({"path": "a.rs"}),
    };
    let usage = Usage {
        input_tokens: 7,
        output_tokens: 3,
        cost_usd: 0.01,
    };
    let (step, run) = s
        .record_turn(
            owner.clone(),
            StepKind::Assistant {
                text: String::new(),
                reasoning: None,
                tool_calls: vec![call],
            },
            usage,
            Some(ToolRunStart {
                task: Some(t.id.clone()),
                agent: coder.clone(),
                call_id: "c1".into(),
                tool: "read_file".into(),
                args: json!({"path": "a.rs"}),
                risk: None,
                reasons: vec![],
                ask: false,
            }),
        )
        .await
        .unwrap();
    let run = run.expect("the first call started with the turn");
    assert_eq!((step.index, run.status), (0, ToolRunStatus::Running));
    let (t, _) = s.get_task(t.id.clone()).await.unwrap();
    assert_eq!(t.usage, usage);
    // Everything the assignment and the turn recorded, in commit order.
    let mut kinds = Vec::new();
    while let Ok(e) = rx.try_recv() {
        kinds.push(e.kind.name());
    }
    let turn: Vec<_> = kinds.iter().rev().take(3).rev().copied().collect();
    assert_eq!(turn, ["usage_recorded", "step_added", "tool_run_added"]);
    assert!(kinds.contains(&"message_added"), "{kinds:?}");
    let done = s
        .finish_tool_run(
            run.id,
            ToolRunStatus::Cancelled,
            "not run: the task was cancelled".into(),
        )
        .await
        .unwrap();
    assert_eq!(done.status, ToolRunStatus::Cancelled);
    assert_eq!(
        s.tool_runs(t.id.clone()).await.unwrap()[0].status,
        ToolRunStatus::Cancelled
    );
}

#[tokio::test]
async fn task_counts_are_by_state_and_say_which_events_they_include() {
    let (_t, s) = store();
    let (seq, counts) = s.task_counts().await.unwrap();
    assert!(counts.is_empty());
    assert_eq!(seq, s.last_seq().await.unwrap());
    let a = s.create_task(NewTask::new("a")).await.unwrap();
    s.create_task(NewTask::new("b")).await.unwrap();
    s.transition_task(a.id.clone(), TaskStatus::Failed, Some("no".into()))
        .await
        .unwrap();
    let (seq, mut counts) = s.task_counts().await.unwrap();
    counts.sort_by_key(|(status, _)| status.as_str());
    assert_eq!(
        counts,
        vec![(TaskStatus::Failed, 1), (TaskStatus::Pending, 1)]
    );
    assert_eq!(seq, s.last_seq().await.unwrap());
}

/// The Scheduler's query: only the tasks in the state, oldest first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_in_a_state_come_oldest_first() {
    let (_t, s) = store();
    let mut ids = Vec::new();
    for title in ["a", "b", "c", "d"] {
        ids.push(s.create_task(NewTask::new(title)).await.unwrap().id);
    }
    s.transition_task(ids[1].clone(), TaskStatus::Failed, Some("no".into()))
        .await
        .unwrap();
    let pending: Vec<_> = s
        .tasks_in(TaskStatus::Pending)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.title)
        .collect();
    assert_eq!(pending, ["a", "c", "d"]);
    let failed = s.tasks_in(TaskStatus::Failed).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].id, ids[1]);
    assert!(s.tasks_in(TaskStatus::Done).await.unwrap().is_empty());
}
