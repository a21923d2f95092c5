//! Fair queuing across users and the token-bucket rate limit.

mod common;

use arranger_fake_llm::{Rule, Scenario};
use arranger_llm::{BreakerConfig, LlmCall, ProviderLimits, ProviderOptions};
use common::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// User A floods a provider that serves one request at a time; user B's single
/// request, queued behind A's 19 waiting ones, is served after at most one more of A's.
#[tokio::test]
async fn a_flooding_user_does_not_starve_another() {
    let fake = fake(Scenario::new().rule(Rule::any().text("ok").first_byte_delay_ms(15))).await;
    let pool = pool_with(
        &openai(&fake),
        fast_config(),
        options(1, BreakerConfig::default()),
    );
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    let spawn = |label: String, who: &'static str| {
        let (pool, order) = (pool.clone(), order.clone());
        tokio::spawn(async move {
            let (c, _) = pool
                .complete(LlmCall::new(user(who), "p", request(&label)))
                .await
                .expect("call");
            assert_eq!(c.text, "ok");
            order.lock().unwrap().push(label);
        })
    };
    for i in 0..20 {
        tasks.push(spawn(format!("a{i}"), "alice"));
    }
    // Wait until one of A's requests is in flight and the other 19 are queued.
    for _ in 0..500 {
        let s = pool.provider_stats("p").unwrap();
        if s.in_flight == 1 && s.queued == 19 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let s = pool.provider_stats("p").unwrap();
    assert_eq!((s.in_flight, s.queued), (1, 19));
    tasks.push(spawn("b".into(), "bob"));
    for t in tasks {
        t.await.unwrap();
    }
    let order = order.lock().unwrap().clone();
    assert_eq!(order.len(), 21);
    let b = order.iter().position(|l| l == "b").unwrap();
    // A's request in flight finishes, at most one more of A's is served, then B's.
    assert!(b <= 2, "bob finished at position {b}: {order:?}");
    // The server never saw more than one request at a time: A's in order around B's.
    let a_order: Vec<&String> = order.iter().filter(|l| l.starts_with('a')).collect();
    assert_eq!(a_order.len(), 20);
}

/// Requests beyond the bucket wait for tokens; the wait is reported as queue wait.
#[tokio::test]
async fn token_bucket_spaces_requests() {
    let fake = fake(Scenario::always("ok")).await;
    let opts = ProviderOptions {
        limits: ProviderLimits {
            max_concurrency: 8,
            requests_per_minute: Some(120), // one every 500 ms
            burst: Some(1),
        },
        ..ProviderOptions::default()
    };
    let pool = pool_with(&openai(&fake), fast_config(), opts);
    let started = std::time::Instant::now();
    let calls: Vec<_> = (0..3)
        .map(|i| {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.complete(LlmCall::new(user(&format!("u{i}")), "p", request("x")))
                    .await
                    .unwrap()
                    .1
            })
        })
        .collect();
    let mut waits = Vec::new();
    for c in calls {
        waits.push(c.await.unwrap().queue_wait);
    }
    waits.sort();
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert!(waits[2] >= Duration::from_millis(900), "{waits:?}");
    assert!(waits[1] >= Duration::from_millis(400), "{waits:?}");
    let times: Vec<Duration> = fake.requests().iter().map(|r| r.at).collect();
    assert!(
        times[2] - times[0] >= Duration::from_millis(900),
        "{times:?}"
    );
}

/// With a rate limit as the bottleneck, tokens are handed out round-robin by user too:
/// B's request reaches the server right after the request already waiting for a token.
#[tokio::test]
async fn rate_limited_provider_is_fair_too() {
    let fake = fake(Scenario::always("ok")).await;
    let opts = ProviderOptions {
        limits: ProviderLimits {
            max_concurrency: 32,
            requests_per_minute: Some(1200), // one every 50 ms
            burst: Some(1),
        },
        ..ProviderOptions::default()
    };
    let pool = pool_with(&openai(&fake), fast_config(), opts);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            pool.complete(LlmCall::new(user("alice"), "p", request(&format!("a{i}"))))
                .await
                .unwrap();
        }));
    }
    for _ in 0..500 {
        if pool.provider_stats("p").unwrap().queued >= 15 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let queued = pool.provider_stats("p").unwrap().queued;
    assert!(queued >= 15);
    // Alice's requests past the gate (the one waiting for a token counts as queued).
    let passed_before = 20 - queued;
    let bob = {
        let pool = pool.clone();
        tokio::spawn(async move {
            pool.complete(LlmCall::new(user("bob"), "p", request("b")))
                .await
                .unwrap();
        })
    };
    bob.await.unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let arrivals: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| r.last_user_text().unwrap_or_default())
        .collect();
    assert_eq!(arrivals.len(), 21);
    let b = arrivals.iter().position(|t| t == "b").unwrap();
    // Past the gate, then the one waiting for its token, then at most one more of
    // Alice's (round-robin), then Bob's; one more of slack for a token that ticks while
    // Bob's call is being spawned. Without fairness Bob would arrive last (20th).
    assert!(
        b <= passed_before + 3,
        "bob arrived {b}th, {passed_before} had passed before he queued: {arrivals:?}"
    );
}
