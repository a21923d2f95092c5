//! Retries, Retry-After, cut streams, timeouts, the circuit breaker and fallback.

mod common;

use arranger_fake_llm::{Reply, Rule, Scenario};
use arranger_llm::{
    BreakerConfig, BreakerState, FallbackTarget, LlmCall, LlmError, LlmPool, ProviderOptions,
    StreamEvent, TimeoutPhase, Timeouts,
};
use common::*;
use futures_util::StreamExt;
use std::time::{Duration, Instant};

#[tokio::test]
async fn rate_limited_with_retry_after_then_success() {
    for kind in ["openai", "anthropic"] {
        let scenario = Scenario::new()
            .rule(Rule::any().times(1).status(429).retry_after_secs(1))
            .rule(Rule::any().text("after the wait"));
        let fake = fake(scenario).await;
        let config = if kind == "openai" {
            openai(&fake)
        } else {
            anthropic(&fake)
        };
        let pool = pool_with(&config, fast_config(), Default::default());
        let started = Instant::now();
        let (c, m) = pool
            .complete(LlmCall::new(user("u"), "p", request("x")))
            .await
            .unwrap();
        assert_eq!(c.text, "after the wait");
        assert_eq!(m.attempts, 2);
        assert_eq!(fake.request_count(), 2);
        // Retry-After: 1 was honoured (the policy's own backoff is 10–40 ms).
        assert!(started.elapsed() >= Duration::from_secs(1), "{kind}");
        let requests = fake.requests();
        assert!(requests[1].at - requests[0].at >= Duration::from_secs(1));
    }
}

#[tokio::test]
async fn status_error_carries_status_retry_after_and_message() {
    let fake = fake(
        Scenario::new().rule(
            Rule::any()
                .status(503)
                .retry_after_secs(3)
                .error_message("engine overloaded"),
        ),
    )
    .await;
    let mut config = fast_config();
    config.retry.max_attempts = 1;
    let pool = pool_with(&openai(&fake), config, Default::default());
    let err = pool
        .complete(LlmCall::new(user("u"), "p", request("x")))
        .await
        .unwrap_err();
    match &err {
        LlmError::Status {
            status,
            retryable,
            retry_after,
            message,
            ..
        } => {
            assert_eq!(*status, 503);
            assert!(*retryable);
            assert_eq!(*retry_after, Some(Duration::from_secs(3)));
            assert!(message.contains("engine overloaded"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let fake =
        fake(Scenario::new().rule(Rule::any().status(400).error_message("bad tool schema"))).await;
    let pool = pool_with(&anthropic(&fake), fast_config(), Default::default());
    let err = pool
        .complete(LlmCall::new(user("u"), "p", request("x")))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(!err.is_retryable());
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn cut_stream_is_retried_and_partial_output_discarded() {
    for kind in ["openai", "anthropic"] {
        let text = "The whole answer, delivered in small pieces.";
        let scenario = Scenario::new()
            .rule(
                Rule::any()
                    .times(1)
                    .text(text)
                    .chunk_chars(4)
                    .cut_after_chunks(4),
            )
            .rule(Rule::any().text(text).chunk_chars(4));
        let fake = fake(scenario).await;
        let config = if kind == "openai" {
            openai(&fake)
        } else {
            anthropic(&fake)
        };
        let pool = pool_with(&config, fast_config(), Default::default());
        let mut stream = pool.stream(LlmCall::new(user("u"), "p", request("x")));
        let mut events = Vec::new();
        while let Some(e) = stream.next().await {
            events.push(e.unwrap());
        }
        let restart = events
            .iter()
            .position(|e| matches!(e, StreamEvent::Restart { .. }))
            .unwrap_or_else(|| panic!("{kind}: a restart after partial output: {events:?}"));
        assert!(
            events[..restart]
                .iter()
                .any(|e| matches!(e, StreamEvent::TextDelta { .. })),
            "{kind}: partial text was delivered before the cut"
        );
        let c = arranger_llm::collect(futures_util::stream::iter(events.into_iter().map(Ok)))
            .await
            .unwrap();
        assert_eq!(c.text, text, "{kind}");
        assert_eq!(stream.metrics().attempts, 2);
        assert_eq!(fake.request_count(), 2);
    }
}

#[tokio::test]
async fn in_stream_error_event_is_retried() {
    for kind in ["openai", "anthropic"] {
        let scenario = Scenario::new()
            .rule(
                Rule::any()
                    .times(1)
                    .text("aaaa bbbb cccc")
                    .chunk_chars(4)
                    .error_after_chunks(3),
            )
            .rule(Rule::any().text("fine"));
        let fake = fake(scenario).await;
        let config = if kind == "openai" {
            openai(&fake)
        } else {
            anthropic(&fake)
        };
        let pool = pool_with(&config, fast_config(), Default::default());
        let (c, m) = pool
            .complete(LlmCall::new(user("u"), "p", request("x")))
            .await
            .unwrap();
        assert_eq!(c.text, "fine", "{kind}");
        assert_eq!(m.attempts, 2, "{kind}");
    }
}

#[tokio::test]
async fn hanging_server_times_out_after_bounded_attempts() {
    let fake = fake(Scenario::new().rule(Rule::any().hang())).await;
    let mut config = fast_config();
    config.timeouts = Timeouts {
        first_byte: Duration::from_millis(300),
        ..config.timeouts
    };
    config.retry.max_attempts = 2;
    let pool = pool_with(&openai(&fake), config, Default::default());
    let err = pool
        .complete(LlmCall::new(user("u"), "p", request("x")))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            LlmError::Timeout {
                phase: TimeoutPhase::FirstByte,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test]
async fn stalled_stream_hits_the_idle_timeout_then_recovers() {
    let scenario = Scenario::new()
        // message_start, content_block_start, ping, then text deltas: stall after two.
        .rule(
            Rule::any()
                .times(1)
                .text("one two three four")
                .chunk_chars(3)
                .stall_after_chunks(5),
        )
        .rule(Rule::any().text("recovered"));
    let fake = fake(scenario).await;
    let mut config = fast_config();
    config.timeouts.idle = Duration::from_millis(300);
    let pool = pool_with(&anthropic(&fake), config, Default::default());
    let mut stream = pool.stream(LlmCall::new(user("u"), "p", request("x")));
    let mut restarts = Vec::new();
    let mut builder = arranger_llm::CompletionBuilder::new();
    while let Some(e) = stream.next().await {
        let e = e.unwrap();
        if let StreamEvent::Restart { reason } = &e {
            restarts.push(reason.clone());
        }
        builder.push(&e);
    }
    assert_eq!(builder.finish("p").unwrap().text, "recovered");
    assert_eq!(
        restarts.len(),
        1,
        "partial text was delivered, then discarded"
    );
    assert!(restarts[0].contains("idle"), "{restarts:?}");
    assert_eq!(fake.request_count(), 2);
}

/// A 500 storm opens the primary's breaker (a health event), the fallback answers, and
/// while the breaker is open calls go straight to the fallback. After the cool-down a
/// probe reaches the primary again and closes the breaker.
#[tokio::test]
async fn server_error_storm_opens_breaker_and_uses_fallback() {
    let primary = fake(Scenario::new().rule(Rule::any().status(500))).await;
    let backup = fake(Scenario::always("from the fallback")).await;
    let pool = LlmPool::new(fast_config()).unwrap();
    let breaker = BreakerConfig {
        failure_threshold: 3,
        cool_down: Duration::from_millis(500),
    };
    pool.register_with(
        "primary",
        &openai(&primary),
        ProviderOptions {
            fallback: Some(FallbackTarget {
                provider: "backup".into(),
                model: Some("backup-model".into()),
            }),
            ..options(4, breaker)
        },
    )
    .unwrap();
    pool.register_with("backup", &anthropic(&backup), options(4, breaker))
        .unwrap();
    let mut health = pool.subscribe_health();

    // Call 1: three failed attempts open the breaker; the fallback answers.
    let (c, m) = pool
        .complete(LlmCall::new(user("u"), "primary", request("x")))
        .await
        .unwrap();
    assert_eq!(c.text, "from the fallback");
    assert!(m.fell_back);
    assert_eq!(m.provider, "backup");
    assert_eq!(m.model, "backup-model");
    assert_eq!(m.attempts, 4);
    assert_eq!(primary.request_count(), 3);
    let event = health.recv().await.unwrap();
    assert_eq!(event.provider, "primary");
    assert_eq!(event.state, BreakerState::Open);
    assert!(event.reason.contains("500"), "{}", event.reason);
    assert_eq!(
        pool.provider_stats("primary").unwrap().breaker,
        BreakerState::Open
    );

    // Call 2: the breaker is open, the primary is not even asked.
    let (c, _) = pool
        .complete(LlmCall::new(user("u"), "primary", request("x")))
        .await
        .unwrap();
    assert_eq!(c.text, "from the fallback");
    assert_eq!(primary.request_count(), 3);

    // Without a fallback, an open breaker is a clear error.
    pool.register_with("lonely", &openai(&primary), options(4, breaker))
        .unwrap();
    for _ in 0..3 {
        let _ = pool
            .complete(LlmCall::new(user("u"), "lonely", request("x")))
            .await;
    }
    let err = pool
        .complete(LlmCall::new(user("u"), "lonely", request("x")))
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::CircuitOpen { .. }), "{err:?}");

    // The primary heals; after the cool-down a probe closes the breaker.
    primary.set_scenario(Scenario::always("primary is back").api_key(KEY));
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (c, m) = pool
        .complete(LlmCall::new(user("u"), "primary", request("x")))
        .await
        .unwrap();
    assert_eq!(c.text, "primary is back");
    assert!(!m.fell_back);
    let mut states = Vec::new();
    while let Ok(e) = health.try_recv() {
        if e.provider == "primary" {
            states.push(e.state);
        }
    }
    assert_eq!(states, [BreakerState::HalfOpen, BreakerState::Closed]);
}

/// The fallback may be another model of the same provider, chosen per call.
#[tokio::test]
async fn per_call_fallback_model() {
    let scenario = Scenario::new()
        .rule(Rule::when(arranger_fake_llm::Match::any().model("big")).status(404))
        .rule(Rule::any().reply(Reply::text("small model here")));
    let fake = fake(scenario).await;
    let pool = pool_with(&openai(&fake), fast_config(), Default::default());
    let call = LlmCall::new(user("u"), "p", request("x").with_model("big")).with_fallback(
        FallbackTarget {
            provider: "p".into(),
            model: Some("small".into()),
        },
    );
    let (c, m) = pool.complete(call).await.unwrap();
    assert_eq!(c.text, "small model here");
    assert!(m.fell_back);
    assert_eq!(m.model, "small");
    assert_eq!(fake.request_count(), 2, "404 is not retried on the primary");
}

#[tokio::test]
async fn unknown_provider_is_a_clear_error() {
    let pool = LlmPool::new(fast_config()).unwrap();
    let err = pool
        .complete(LlmCall::new(user("u"), "nope", request("x")))
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::UnknownProvider { .. }));
}

#[tokio::test]
async fn connection_refused_is_retryable_and_reported() {
    // Bind then drop a listener to get a port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = arranger_llm::ProviderConfig::new(arranger_llm::ProviderKind::OpenAi, "m")
        .with_base_url(format!("http://127.0.0.1:{port}"));
    let mut pc = fast_config();
    pc.retry.max_attempts = 2;
    let pool = pool_with(&config, pc, Default::default());
    let err = pool
        .complete(LlmCall::new(user("u"), "p", request("x")))
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::Connection { .. }), "{err:?}");
    assert!(err.is_retryable());
}
