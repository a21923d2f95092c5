//! Cancellation really stops the HTTP request: a raw TCP server that hangs observes the
//! client's disconnect.

mod common;

use arranger_llm::{
    BreakerConfig, CancellationToken, LlmCall, LlmError, LlmPool, ProviderConfig, ProviderKind,
    StreamEvent,
};
use common::*;
use futures_util::StreamExt;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// What the hanging server does after reading the request.
#[derive(Clone, Copy)]
enum Hang {
    /// Never sends the response headers.
    BeforeHeaders,
    /// Sends headers and one text delta, then nothing.
    AfterFirstEvent,
}

/// Starts a server that hangs on every connection and reports each connection's
/// disconnect (EOF or error on read) on the returned channel.
async fn hanging_server(
    hang: Hang,
) -> (
    String,
    mpsc::UnboundedReceiver<()>,
    mpsc::UnboundedReceiver<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (accepted_tx, accepted) = mpsc::unbounded_channel();
    let (closed_tx, closed) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (accepted_tx, closed_tx) = (accepted_tx.clone(), closed_tx.clone());
            tokio::spawn(async move {
                let _ = accepted_tx.send(());
                let mut buf = vec![0u8; 64 * 1024];
                let mut seen = Vec::new();
                // Read until the end of the request headers.
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => {
                            let _ = closed_tx.send(());
                            return;
                        }
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                if let Hang::AfterFirstEvent = hang {
                    let event = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"partial\"}}]}\n\n";
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{event}\r\n",
                        event.len()
                    );
                    if socket.write_all(response.as_bytes()).await.is_err() {
                        let _ = closed_tx.send(());
                        return;
                    }
                }
                // Hang: read (and discard the request body) until the client goes away.
                loop {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => {
                            let _ = closed_tx.send(());
                            return;
                        }
                        Ok(_) => {}
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), accepted, closed)
}

fn pool_for(base: &str) -> LlmPool {
    let config = ProviderConfig::new(ProviderKind::OpenAi, "m").with_base_url(base);
    let mut pc = fast_config();
    pc.timeouts.first_byte = Duration::from_secs(60);
    pc.timeouts.idle = Duration::from_secs(60);
    pool_with(&config, pc, options(1, BreakerConfig::default()))
}

async fn observed(rx: &mut mpsc::UnboundedReceiver<()>) -> bool {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .is_ok_and(|v| v.is_some())
}

#[tokio::test]
async fn token_cancels_a_streaming_request_and_the_server_sees_the_disconnect() {
    let (base, mut accepted, mut closed) = hanging_server(Hang::AfterFirstEvent).await;
    let pool = pool_for(&base);
    let token = CancellationToken::new();
    let mut stream =
        pool.stream(LlmCall::new(user("u"), "p", request("x")).with_cancel(token.clone()));
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(
        first,
        StreamEvent::TextDelta {
            text: "partial".into()
        }
    );
    assert!(observed(&mut accepted).await);
    token.cancel();
    let next = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("the stream ends promptly");
    assert!(matches!(next, Some(Err(LlmError::Cancelled))), "{next:?}");
    assert!(stream.next().await.is_none());
    assert!(observed(&mut closed).await, "the server saw the disconnect");
    // The slot is free again.
    assert_eq!(pool.provider_stats("p").unwrap().in_flight, 0);
}

#[tokio::test]
async fn dropping_the_stream_aborts_a_request_waiting_for_headers() {
    let (base, mut accepted, mut closed) = hanging_server(Hang::BeforeHeaders).await;
    let pool = pool_for(&base);
    let stream = pool.stream(LlmCall::new(user("u"), "p", request("x")));
    assert!(observed(&mut accepted).await);
    drop(stream);
    assert!(observed(&mut closed).await, "the server saw the disconnect");
}

#[tokio::test]
async fn cancelling_a_queued_call_never_sends_it() {
    let (base, mut accepted, mut closed) = hanging_server(Hang::BeforeHeaders).await;
    let pool = pool_for(&base);
    // The only slot is taken by a hanging request.
    let busy = pool.stream(LlmCall::new(user("a"), "p", request("x")));
    assert!(observed(&mut accepted).await);
    let token = CancellationToken::new();
    let mut queued =
        pool.stream(LlmCall::new(user("b"), "p", request("y")).with_cancel(token.clone()));
    for _ in 0..100 {
        if pool.provider_stats("p").unwrap().queued == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(pool.provider_stats("p").unwrap().queued, 1);
    token.cancel();
    assert!(matches!(
        queued.next().await,
        Some(Err(LlmError::Cancelled))
    ));
    assert_eq!(pool.provider_stats("p").unwrap().queued, 0);
    drop(busy);
    assert!(observed(&mut closed).await);
    // Only the busy request ever reached the server.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(accepted.try_recv().is_err());
}
