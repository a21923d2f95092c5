//! Tokens and cost are accounted per user, agent and task.

mod common;

use arranger_domain::{AgentId, TaskId, UserId};
use arranger_fake_llm::{Reply, Rule, Scenario};
use arranger_llm::{LlmCall, LlmPool, ModelPrice, Usage};
use common::*;

fn approx(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[tokio::test]
async fn usage_and_cost_sum_per_user_agent_and_task() {
    let fake =
        fake(Scenario::new().rule(Rule::any().reply(Reply::text("ok").usage(100, 10)))).await;
    let mut config = fast_config();
    config.prices.insert(
        "fake-model".into(),
        ModelPrice {
            input_per_million: 1.0,
            output_per_million: 2.0,
            cached_input_per_million: None,
        },
    );
    config.prices.insert(
        "fake-claude".into(),
        ModelPrice {
            input_per_million: 3.0,
            output_per_million: 15.0,
            cached_input_per_million: None,
        },
    );
    let pool = LlmPool::new(config).unwrap();
    pool.register("oa", &openai(&fake)).unwrap();
    pool.register("an", &anthropic(&fake)).unwrap();

    let alice = UserId::from("alice");
    let manager = AgentId::from("manager");
    let coder = AgentId::from("coder");
    let t1 = TaskId::from("t1");
    let t2 = TaskId::from("t2");
    let calls = [
        (
            "oa",
            user("alice")
                .with_agent(manager.clone())
                .with_task(t1.clone()),
        ),
        (
            "oa",
            user("alice")
                .with_agent(manager.clone())
                .with_task(t1.clone()),
        ),
        (
            "an",
            user("alice")
                .with_agent(coder.clone())
                .with_task(t2.clone()),
        ),
        ("oa", user("bob")),
    ];
    let mut per_call = 0.0;
    for (provider, tags) in calls {
        let (_, m) = pool
            .complete(LlmCall::new(tags, provider, request("x")))
            .await
            .unwrap();
        assert_eq!(
            m.usage,
            Usage {
                input_tokens: 100,
                cached_input_tokens: 0,
                output_tokens: 10
            }
        );
        per_call += m.cost_usd;
    }
    let oa_cost = (100.0 * 1.0 + 10.0 * 2.0) / 1e6;
    let an_cost = (100.0 * 3.0 + 10.0 * 15.0) / 1e6;
    assert!(approx(per_call, 3.0 * oa_cost + an_cost));

    let a = pool.user_usage(&alice);
    assert_eq!(a.calls, 3);
    assert_eq!(a.usage.input_tokens, 300);
    assert_eq!(a.usage.output_tokens, 30);
    assert!(approx(a.cost_usd, 2.0 * oa_cost + an_cost));
    let m = pool.agent_usage(&alice, &manager);
    assert_eq!((m.calls, m.usage.output_tokens), (2, 20));
    assert!(approx(m.cost_usd, 2.0 * oa_cost));
    let c = pool.agent_usage(&alice, &coder);
    assert!(approx(c.cost_usd, an_cost));
    assert_eq!(pool.task_usage(&alice, &t1).calls, 2);
    assert_eq!(pool.task_usage(&alice, &t2).usage.input_tokens, 100);
    let b = pool.user_usage(&UserId::from("bob"));
    assert_eq!((b.calls, b.usage.input_tokens), (1, 100));
    // Tasks and agents are per user: bob has none of alice's.
    assert_eq!(pool.task_usage(&UserId::from("bob"), &t1).calls, 0);

    let snapshot = pool.usage();
    assert_eq!(snapshot.users.len(), 2);
    assert_eq!(snapshot.agents.len(), 2);
    assert_eq!(snapshot.tasks.len(), 2);

    assert_eq!(pool.forget_task(&alice, &t1).map(|t| t.calls), Some(2));
    assert_eq!(pool.task_usage(&alice, &t1).calls, 0);
    assert_eq!(pool.user_usage(&alice).calls, 3);
}

/// A retried call counts once, with the tokens its attempts reported.
#[tokio::test]
async fn retried_call_counts_once() {
    let fake = fake(
        Scenario::new()
            .rule(Rule::any().times(1).status(500))
            .rule(Rule::any().reply(Reply::text("ok").usage(7, 3))),
    )
    .await;
    let pool = LlmPool::new(fast_config()).unwrap();
    pool.register("p", &openai(&fake)).unwrap();
    let (_, m) = pool
        .complete(LlmCall::new(user("u"), "p", request("x")))
        .await
        .unwrap();
    assert_eq!(m.attempts, 2);
    let totals = pool.user_usage(&UserId::from("u"));
    assert_eq!(
        (
            totals.calls,
            totals.usage.input_tokens,
            totals.usage.output_tokens
        ),
        (1, 7, 3)
    );
}

/// A gate that lets a user spend 15 tokens, then refuses.
struct TokenBudget {
    max: u64,
    spent: std::sync::Mutex<std::collections::HashMap<UserId, u64>>,
}

impl arranger_llm::CallGate for TokenBudget {
    fn admit(&self, tags: &arranger_llm::CallTags) -> Result<(), arranger_domain::QuotaExceeded> {
        let spent = self
            .spent
            .lock()
            .unwrap()
            .get(&tags.user)
            .copied()
            .unwrap_or(0);
        if spent >= self.max {
            return Err(arranger_domain::QuotaExceeded {
                limit: arranger_domain::QuotaKind::TokensPerDay,
                scope: arranger_domain::QuotaScope::User,
                used: spent as f64,
                max: self.max as f64,
                resets_at: None,
            });
        }
        Ok(())
    }

    fn spent(&self, tags: &arranger_llm::CallTags, usage: &Usage, _cost_usd: f64) {
        *self
            .spent
            .lock()
            .unwrap()
            .entry(tags.user.clone())
            .or_default() += usage.input_tokens + usage.output_tokens;
    }
}

/// The gate sees what every call spent and refuses a call before it is sent once the
/// budget is reached — for that user only.
#[tokio::test]
async fn a_spent_budget_refuses_calls_before_they_are_sent() {
    let fake = fake(Scenario::new().rule(Rule::any().reply(Reply::text("ok").usage(7, 3)))).await;
    let pool = LlmPool::new(fast_config()).unwrap();
    pool.register("p", &openai(&fake)).unwrap();
    pool.set_gate(std::sync::Arc::new(TokenBudget {
        max: 15,
        spent: Default::default(),
    }));
    for _ in 0..2 {
        pool.complete(LlmCall::new(user("u"), "p", request("x")))
            .await
            .unwrap();
    }
    assert_eq!(fake.request_count(), 2);
    let err = pool
        .complete(LlmCall::new(user("u"), "p", request("x")))
        .await
        .unwrap_err();
    match &err {
        arranger_llm::LlmError::Quota(q) => {
            assert_eq!(q.limit, arranger_domain::QuotaKind::TokensPerDay);
            assert_eq!(q.used, 20.0);
        }
        other => panic!("expected a quota error, got {other:?}"),
    }
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("daily LLM token limit"), "{err}");
    assert_eq!(
        fake.request_count(),
        2,
        "the refused call reached the provider"
    );
    // Another user still has their own budget.
    pool.complete(LlmCall::new(user("v"), "p", request("x")))
        .await
        .unwrap();
    assert_eq!(fake.request_count(), 3);
}
