//! One WebSocket connection: reads requests, runs them for the connection's user,
//! writes responses and the event stream.

use crate::http::AppState;
use crate::rpc;
use crate::sessions::{ConnectionGuard, SessionContext};
use arranger_domain::Event;
use arranger_host::with_user;
use arranger_protocol::codes;
use arranger_protocol::jsonrpc::{ErrorObject, Id, Notification, Request, Response};
use arranger_protocol::methods::{
    EventsSubscribe, EventsSubscribeParams, EventsSubscribeResult, EventsUnsubscribe, QuotaGet,
    RpcMethod, ToolRunDecide, is_admin_method,
};
use arranger_protocol::notifications::{
    self, EventParams, FsChangedParams, TerminalExitParams, TerminalOutputParams,
};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{Semaphore, broadcast, mpsc};
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;

/// WebSocket close code sent when the credentials stop being valid.
pub const CLOSE_REVOKED: u16 = 4001;
/// WebSocket close code sent at server shutdown (1001 "going away").
pub const CLOSE_GOING_AWAY: u16 = 1001;

/// Events replayed per database read.
const REPLAY_PAGE: usize = 500;

/// What one connection knows about itself.
struct Conn {
    guard: ConnectionGuard,
    state: AppState,
    out: mpsc::Sender<Message>,
    in_flight: Arc<Semaphore>,
    subscription: std::sync::Mutex<Vec<AbortHandle>>,
}

impl Conn {
    fn ctx(&self) -> &Arc<SessionContext> {
        self.guard.ctx()
    }

    fn stop_subscription(&self) {
        if let Ok(mut subs) = self.subscription.lock() {
            for h in subs.drain(..) {
                h.abort();
            }
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.stop_subscription();
    }
}

fn text(v: &impl serde::Serialize) -> Option<Message> {
    match serde_json::to_string(v) {
        Ok(s) => Some(Message::Text(Utf8Bytes::from(s))),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode an outgoing message");
            None
        }
    }
}

/// Serves one authenticated connection until it closes, the server shuts down or the
/// credentials are revoked (`revoked` is cancelled).
pub async fn serve(
    socket: WebSocket,
    guard: ConnectionGuard,
    state: AppState,
    revoked: CancellationToken,
) {
    let (mut sink, mut stream) = socket.split();
    let (out_tx, mut out_rx) = mpsc::channel::<Message>(64);
    let conn = Arc::new(Conn {
        guard,
        in_flight: Arc::new(Semaphore::new(state.config.limits.in_flight_per_connection)),
        state: state.clone(),
        out: out_tx,
        subscription: std::sync::Mutex::new(Vec::new()),
    });
    let shutdown = state.shutdown.clone();
    let close = loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break Some((CLOSE_GOING_AWAY, "server shutting down")),
            _ = revoked.cancelled() => break Some((CLOSE_REVOKED, "credentials revoked or user disabled")),
            Some(msg) = out_rx.recv() => {
                if sink.send(msg).await.is_err() {
                    break None;
                }
            }
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(t))) => on_text(&conn, t).await,
                Some(Ok(Message::Binary(_))) => {
                    let r = Response::err(Id::Null, ErrorObject::new(codes::INVALID_REQUEST, "binary frames are not accepted; send JSON-RPC as text frames"));
                    if let Some(m) = text(&r) { let _ = conn.out.send(m).await; }
                }
                Some(Ok(Message::Close(_))) | None => break None,
                Some(Ok(_)) => {} // ping/pong are answered by the library
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "websocket read failed");
                    let r = Response::err(Id::Null, ErrorObject::new(codes::TOO_LARGE, format!("connection closed: {e}")));
                    if let Some(m) = text(&r) { let _ = sink.send(m).await; }
                    break None;
                }
            },
        }
    };
    conn.stop_subscription();
    if let Some((code, reason)) = close {
        // Flush what is already queued (responses to finished requests), then say goodbye.
        while let Ok(msg) = out_rx.try_recv() {
            if sink.send(msg).await.is_err() {
                return;
            }
        }
        let _ = sink
            .send(Message::Close(Some(CloseFrame {
                code,
                reason: Utf8Bytes::from_static(reason),
            })))
            .await;
    }
}

async fn on_text(conn: &Arc<Conn>, frame: Utf8Bytes) {
    let value: Value = match serde_json::from_str(frame.as_str()) {
        Ok(v) => v,
        Err(e) => {
            reply(
                conn,
                Response::err(
                    Id::Null,
                    ErrorObject::new(codes::PARSE_ERROR, format!("not valid JSON: {e}")),
                ),
            )
            .await;
            return;
        }
    };
    match value {
        Value::Array(items) if items.is_empty() => {
            reply(
                conn,
                Response::err(
                    Id::Null,
                    ErrorObject::new(codes::INVALID_REQUEST, "an empty batch is not a request"),
                ),
            )
            .await;
        }
        Value::Array(items) => {
            // A batch: run its requests one after another, answer with one array.
            let conn = conn.clone();
            let Ok(permit) = conn.in_flight.clone().acquire_owned().await else {
                return;
            };
            tokio::spawn(async move {
                let mut out = Vec::new();
                for item in items {
                    if let Some(r) = handle(&conn, item).await {
                        out.push(r);
                    }
                }
                drop(permit);
                if !out.is_empty()
                    && let Some(m) = text(&out)
                {
                    let _ = conn.out.send(m).await;
                }
            });
        }
        single => {
            // Backpressure: a connection with too many requests in flight stops being read.
            let Ok(permit) = conn.in_flight.clone().acquire_owned().await else {
                return;
            };
            let conn = conn.clone();
            tokio::spawn(async move {
                let r = handle(&conn, single).await;
                drop(permit);
                if let Some(r) = r {
                    reply(&conn, r).await;
                }
            });
        }
    }
}

async fn reply(conn: &Conn, r: Response) {
    if let Some(m) = text(&r) {
        let _ = conn.out.send(m).await;
    }
}

/// Handles one request object; `None` for notifications (no id), which get no response.
async fn handle(conn: &Arc<Conn>, value: Value) -> Option<Response> {
    let id_hint = value.get("id").cloned();
    let req: Request = match serde_json::from_value(value) {
        Ok(r) => r,
        Err(e) => {
            let id = id_hint
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or(Id::Null);
            return Some(Response::err(
                id,
                ErrorObject::new(
                    codes::INVALID_REQUEST,
                    format!("not a JSON-RPC 2.0 request: {e}"),
                ),
            ));
        }
    };
    let id = req.id.clone();
    if req.jsonrpc != "2.0" {
        return Some(Response::err(
            id.unwrap_or(Id::Null),
            ErrorObject::new(codes::INVALID_REQUEST, "\"jsonrpc\" must be \"2.0\""),
        ));
    }
    let ctx = conn.ctx().clone();
    let user = ctx.user.id.clone();
    if let Err(wait) = conn.state.rate_limit(&user) {
        crate::metrics::rate_limited();
        let ms = wait.as_millis() as u64;
        let e = ErrorObject::new(
            codes::RATE_LIMITED,
            format!("too many requests; retry in {ms} ms"),
        )
        .with_data(serde_json::json!({ "retry_after_ms": ms }));
        return id.map(|id| Response::err(id, e));
    }
    ctx.touch();
    let started = Instant::now();
    let method = req.method.clone();
    let result = with_user(user, async {
        match method.as_str() {
            EventsSubscribe::NAME => subscribe(conn, req.params).await,
            EventsUnsubscribe::NAME => {
                conn.stop_subscription();
                Ok(serde_json::json!({}))
            }
            QuotaGet::NAME => rpc::quota_get(conn.state.governor(), &ctx, req.params).await,
            m if is_admin_method(m) => {
                crate::admin::dispatch(&conn.state, &ctx.user, m, req.params).await
            }
            ToolRunDecide::NAME => {
                let out = rpc::dispatch(&ctx, conn.state.mode_name(), &method, req.params).await;
                if let Ok(result) = &out {
                    crate::admin::audit_high_risk(&conn.state, &ctx.user.name, result).await;
                }
                out
            }
            _ => rpc::dispatch(&ctx, conn.state.mode_name(), &method, req.params).await,
        }
    })
    .await;
    crate::metrics::request(
        &method,
        started.elapsed(),
        result.as_ref().err().map(|e| e.code),
    );
    let id = id?;
    Some(match result {
        Ok(v) => Response::ok(id, v),
        Err(e) => Response::err(id, e),
    })
}

/// `events.subscribe`: replays `(since, now]` from the log, then streams live events,
/// gap-free. A subscriber that falls behind the bus replays from the log again.
async fn subscribe(conn: &Arc<Conn>, params: Option<Value>) -> Result<Value, ErrorObject> {
    let p: EventsSubscribeParams = match params {
        None | Some(Value::Null) => EventsSubscribeParams {
            since: 0,
            files: true,
        },
        Some(v) => serde_json::from_value(v).map_err(|e| {
            ErrorObject::new(
                codes::INVALID_PARAMS,
                format!("invalid params for events.subscribe: {e}"),
            )
        })?,
    };
    conn.stop_subscription();
    let ctx = conn.ctx().clone();
    // Subscribe first, then read the log: nothing committed in between can be missed.
    let live = ctx.store.subscribe();
    let last_seq = ctx.store.last_seq().await.map_err(rpc::store_error)?;
    let mut handles = Vec::new();
    let out = conn.out.clone();
    let store = ctx.store.clone();
    let user = ctx.user.id.clone();
    handles.push(
        tokio::spawn(with_user(user, forward_events(store, live, p.since, out))).abort_handle(),
    );
    let health = ctx.team.services().pool.subscribe_health();
    let server_provider = ctx.team.services().default_provider.clone();
    handles.push(
        tokio::spawn(forward_health(health, server_provider, conn.out.clone())).abort_handle(),
    );
    if let Some(index) = ctx.team.index() {
        let status = index.subscribe();
        handles.push(tokio::spawn(forward_index(status, conn.out.clone())).abort_handle());
    }
    let deltas = ctx.team.subscribe_deltas();
    handles.push(tokio::spawn(forward_deltas(deltas, conn.out.clone())).abort_handle());
    if let Ok(terminals) = ctx.host.terminal_events() {
        handles.push(tokio::spawn(forward_terminals(terminals, conn.out.clone())).abort_handle());
    }
    if p.files {
        // Setting up a watch walks the workspace: keep it off the runtime's threads.
        let c = ctx.clone();
        if let Ok(Some(files)) = tokio::task::spawn_blocking(move || c.subscribe_files()).await {
            handles.push(tokio::spawn(forward_files(files, conn.out.clone())).abort_handle());
        }
    }
    if let Ok(mut subs) = conn.subscription.lock() {
        *subs = handles;
    }
    serde_json::to_value(EventsSubscribeResult { last_seq })
        .map_err(|e| ErrorObject::new(codes::INTERNAL_ERROR, e.to_string()))
}

async fn send_event(out: &mpsc::Sender<Message>, event: &Event) -> bool {
    let n = Notification::new(
        notifications::EVENT,
        EventParams {
            event: event.clone(),
        },
    );
    match text(&n) {
        Some(m) => out.send(m).await.is_ok(),
        None => true,
    }
}

/// Sends every logged event after `*sent`, page by page. False when the client is gone
/// or the log cannot be read.
async fn catch_up(
    store: &arranger_store::UserStore,
    sent: &mut u64,
    out: &mpsc::Sender<Message>,
) -> bool {
    loop {
        let page = match store.events_after(*sent, REPLAY_PAGE).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "event replay failed");
                return false;
            }
        };
        for e in &page {
            if !send_event(out, e).await {
                return false;
            }
            *sent = e.seq;
        }
        if page.len() < REPLAY_PAGE {
            return true;
        }
    }
}

async fn forward_events(
    store: arranger_store::UserStore,
    mut live: broadcast::Receiver<Arc<Event>>,
    since: u64,
    out: mpsc::Sender<Message>,
) {
    let mut sent = since;
    if !catch_up(&store, &mut sent, &out).await {
        return;
    }
    loop {
        let ok = match live.recv().await {
            Ok(e) if e.seq <= sent => true,
            Ok(e) if e.seq == sent + 1 => {
                sent = e.seq;
                send_event(&out, &e).await
            }
            // A gap (we fell behind the bus): the log has every committed event.
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                catch_up(&store, &mut sent, &out).await
            }
            Err(broadcast::error::RecvError::Closed) => false,
        };
        if !ok {
            return;
        }
    }
}

/// The wire name of a breaker state.
pub fn breaker_name(s: arranger_llm::BreakerState) -> &'static str {
    match s {
        arranger_llm::BreakerState::Closed => "closed",
        arranger_llm::BreakerState::Open => "open",
        arranger_llm::BreakerState::HalfOpen => "half_open",
    }
}

async fn forward_health(
    mut health: broadcast::Receiver<arranger_llm::ProviderHealth>,
    server_provider: Option<String>,
    out: mpsc::Sender<Message>,
) {
    loop {
        match health.recv().await {
            // Other providers in the pool are other users' own: not this user's business.
            Ok(h) if server_provider.as_deref() != Some(h.provider.as_str()) => {}
            Ok(h) => {
                let params = arranger_domain::LlmHealth {
                    provider: h.provider,
                    state: breaker_name(h.state).into(),
                    reason: h.reason,
                    in_flight: None,
                    queued: None,
                };
                let n = Notification::new(notifications::AGENT_HEALTH, &params);
                if let Some(m) = text(&n)
                    && out.send(m).await.is_err()
                {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

async fn forward_deltas(
    mut deltas: broadcast::Receiver<Arc<arranger_domain::AgentDelta>>,
    out: mpsc::Sender<Message>,
) {
    loop {
        match deltas.recv().await {
            Ok(d) => {
                let n = Notification::new(notifications::AGENT_DELTA, &*d);
                if let Some(m) = text(&n)
                    && out.send(m).await.is_err()
                {
                    return;
                }
            }
            // Pieces are a preview: the finished turn arrives as an event.
            Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Forwards the index's state as it changes (newest only: a slow connection skips
/// intermediate progress).
async fn forward_index(
    mut status: tokio::sync::watch::Receiver<arranger_domain::IndexStatus>,
    out: mpsc::Sender<Message>,
) {
    loop {
        let now = status.borrow_and_update().clone();
        let n = Notification::new(notifications::INDEX_STATUS, &now);
        if let Some(m) = text(&n)
            && out.send(m).await.is_err()
        {
            return;
        }
        // At most a few progress updates a second.
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        if status.changed().await.is_err() {
            return;
        }
    }
}

async fn forward_files(
    mut files: broadcast::Receiver<Arc<Vec<arranger_domain::fs::FileChange>>>,
    out: mpsc::Sender<Message>,
) {
    loop {
        match files.recv().await {
            Ok(batch) => {
                let n = Notification::new(
                    notifications::FS_CHANGED,
                    FsChangedParams {
                        changes: (*batch).clone(),
                    },
                );
                if let Some(m) = text(&n)
                    && out.send(m).await.is_err()
                {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Forwards the user's terminal output and exits. Output a slow connection misses is in
/// the scrollback (`terminal.read`); an exit is never dropped silently — the connection
/// learns it from `terminal.list` at worst.
async fn forward_terminals(
    mut events: broadcast::Receiver<Arc<arranger_host::terminal::TerminalEvent>>,
    out: mpsc::Sender<Message>,
) {
    use arranger_host::terminal::TerminalEvent;
    loop {
        let n = match events.recv().await {
            Ok(e) => match &*e {
                TerminalEvent::Output { id, offset, data } => text(&Notification::new(
                    notifications::TERMINAL_OUTPUT,
                    TerminalOutputParams {
                        id: id.clone(),
                        offset: *offset,
                        data: data.clone(),
                    },
                )),
                TerminalEvent::Exit { id, code } => text(&Notification::new(
                    notifications::TERMINAL_EXIT,
                    TerminalExitParams {
                        id: id.clone(),
                        code: *code,
                    },
                )),
            },
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::debug!(missed = n, "a connection fell behind its terminals' output");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if let Some(m) = n
            && out.send(m).await.is_err()
        {
            return;
        }
    }
}
