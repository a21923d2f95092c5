//! The HTTP side: routes, request handling, delivery and faults.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::{get, post};
use futures_util::stream;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::record::{Answer, RecordedRequest};
use crate::scenario::{Api, Finish, Rule, Scenario};
use crate::view::{self, View};
use crate::wire::{self, Call, Completion};

/// A scenario in force plus the use counters of its rules.
pub(crate) struct Active {
    pub scenario: Scenario,
    used: Vec<AtomicU32>,
}

impl Active {
    pub fn new(scenario: Scenario) -> Self {
        let used = scenario.rules.iter().map(|_| AtomicU32::new(0)).collect();
        Active { scenario, used }
    }

    /// The first rule that fits and still has uses left (taking one use), else the default.
    fn select(&self, view: &View<'_>) -> Option<(Answer, &Rule)> {
        for (index, rule) in self.scenario.rules.iter().enumerate() {
            if !rule.when.matches(view) {
                continue;
            }
            if let Some(times) = rule.times {
                let counter = &self.used[index];
                let taken = counter
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                        (used < times).then_some(used + 1)
                    })
                    .is_ok();
                if !taken {
                    continue;
                }
            }
            let answer = Answer::Rule {
                index,
                name: rule.name.clone(),
            };
            return Some((answer, rule));
        }
        self.scenario
            .default
            .as_ref()
            .map(|rule| (Answer::Default, rule))
    }
}

/// State shared by all connections. Locks are only held for short, synchronous sections.
pub(crate) struct Shared {
    active: RwLock<Arc<Active>>,
    records: Mutex<VecDeque<RecordedRequest>>,
    max_recorded: Option<usize>,
    count: AtomicUsize,
    seq: AtomicU64,
    call_seq: AtomicU64,
    notify: Notify,
    started: Instant,
    pub cancel: CancellationToken,
    log: bool,
}

impl Shared {
    pub fn new(scenario: Scenario, max_recorded: Option<usize>, log: bool) -> Self {
        Shared {
            active: RwLock::new(Arc::new(Active::new(scenario))),
            records: Mutex::new(VecDeque::new()),
            max_recorded,
            count: AtomicUsize::new(0),
            seq: AtomicU64::new(0),
            call_seq: AtomicU64::new(0),
            notify: Notify::new(),
            started: Instant::now(),
            cancel: CancellationToken::new(),
            log,
        }
    }

    pub fn active(&self) -> Arc<Active> {
        match self.active.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub fn set_scenario(&self, scenario: Scenario) {
        let active = Arc::new(Active::new(scenario));
        match self.active.write() {
            Ok(mut guard) => *guard = active,
            Err(poisoned) => *poisoned.into_inner() = active,
        }
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock_records().iter().cloned().collect()
    }

    pub fn clear_requests(&self) {
        self.lock_records().clear();
    }

    pub fn count(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// Waits until at least `n` requests arrived, or `timeout` passed.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.count() >= n {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.count() >= n;
            }
        }
    }

    fn lock_records(&self) -> std::sync::MutexGuard<'_, VecDeque<RecordedRequest>> {
        match self.records.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Notes that the answer to request `seq` is complete (see
    /// [`RecordedRequest::answered`]).
    fn mark_answered(&self, seq: u64) {
        let at = self.started.elapsed();
        let mut records = self.lock_records();
        if let Some(r) = records.iter_mut().rev().find(|r| r.seq == seq) {
            r.answered = Some(at);
        }
    }

    fn record(&self, request: RecordedRequest) {
        if self.log {
            eprintln!(
                "fake-llm: #{} {} {} -> {} {:?}",
                request.seq, request.method, request.path, request.status, request.answer
            );
        }
        if self.max_recorded != Some(0) {
            let mut records = self.lock_records();
            if let Some(max) = self.max_recorded {
                while records.len() >= max {
                    records.pop_front();
                }
            }
            records.push_back(request);
        }
        self.count.fetch_add(1, Ordering::AcqRel);
        self.notify.notify_waiters();
    }
}

/// Accepts connections until `cancel` fires, then drops every connection at once (a
/// hanging request must fail on the client, not wait for a response that never comes),
/// and waits for the connection tasks to end.
pub(crate) async fn serve(listener: TcpListener, app: Router, cancel: CancellationToken) {
    let connections = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = cancel.cancelled() => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(err) => {
                // Out of file descriptors and the like: back off a little, keep serving.
                eprintln!("fake-llm: accept failed: {err}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // Small SSE frames must not wait for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let cancel = cancel.clone();
        connections.spawn(async move {
            let connection = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                () = cancel.cancelled() => {}
            }
        });
    }
    drop(listener);
    connections.close();
    connections.wait().await;
}

/// The router serving both wire formats.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(openai_chat))
        .route("/chat/completions", post(openai_chat))
        .route("/v1/messages", post(anthropic_messages))
        .route("/v1/models", get(models))
        .route("/models", get(models))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(256 * 1024 * 1024))
        .with_state(shared)
}

async fn openai_chat(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    chat(shared, Api::OpenAi, method, uri, headers, body).await
}

async fn anthropic_messages(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    chat(shared, Api::Anthropic, method, uri, headers, body).await
}

fn header_list(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn body_value(body: &Bytes) -> Result<Value, Value> {
    if body.is_empty() {
        return Err(Value::Null);
    }
    serde_json::from_slice(body).map_err(|_| Value::String(String::from_utf8_lossy(body).into()))
}

/// The API key a request carries, in its provider's header.
fn provided_key(api: Api, headers: &HeaderMap) -> Option<&str> {
    match api {
        Api::OpenAi => headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim),
        Api::Anthropic => headers
            .get("x-api-key")
            .and_then(|value| value.to_str().ok()),
    }
}

/// Checks the API key; `Err` carries the provider's 401 message.
fn check_key(api: Api, scenario: &Scenario, headers: &HeaderMap) -> Result<(), String> {
    let Some(expected) = &scenario.api_key else {
        return Ok(());
    };
    match (api, provided_key(api, headers)) {
        (_, Some(key)) if key == expected => Ok(()),
        (Api::OpenAi, None) => Err("You didn't provide an API key. You need to provide your \
                                    API key in an Authorization header using Bearer auth \
                                    (i.e. Authorization: Bearer YOUR_KEY)."
            .to_string()),
        (Api::OpenAi, Some(key)) => Err(format!(
            "Incorrect API key provided: {}. You can find your API key at \
             https://platform.openai.com/account/api-keys.",
            redact(key)
        )),
        (Api::Anthropic, None) => Err("x-api-key header is required".to_string()),
        (Api::Anthropic, Some(_)) => Err("invalid x-api-key".to_string()),
    }
}

/// Shows only the ends of a key, as OpenAI does.
fn redact(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

fn request_id(api: Api, seq: u64) -> String {
    match api {
        Api::OpenAi => format!("req_fake{seq:024}"),
        Api::Anthropic => format!("req_fake{seq:020}"),
    }
}

fn request_id_header(api: Api) -> &'static str {
    match api {
        Api::OpenAi => "x-request-id",
        Api::Anthropic => "request-id",
    }
}

fn json_response(status: u16, value: &Value, extra: &[(&'static str, String)]) -> Response {
    let mut response = Response::new(Body::from(value.to_string()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    insert_headers(headers, extra);
    response
}

fn insert_headers(headers: &mut HeaderMap, extra: &[(&'static str, String)]) {
    for (name, value) in extra {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(*name, value);
        }
    }
}

fn error_response(
    api: Api,
    status: u16,
    message: &str,
    request_id: &str,
    retry_after: Option<u64>,
) -> Response {
    let body = wire::error_body(api, status, message, request_id);
    let mut extra = vec![(request_id_header(api), request_id.to_string())];
    if let Some(secs) = retry_after {
        extra.push(("retry-after", secs.to_string()));
    }
    if api == Api::Anthropic && status == 529 {
        extra.push(("x-should-retry", "true".to_string()));
    }
    json_response(status, &body, &extra)
}

/// What to send, decided before any waiting.
enum Plan {
    Error {
        status: u16,
        message: String,
        retry_after: Option<u64>,
    },
    Hang,
    Json {
        value: Value,
        duration: Duration,
        fault: Option<Fault>,
    },
    Stream {
        events: Vec<Bytes>,
        delay: Duration,
        end: End,
    },
}

/// A fault that ends a non-streaming body early.
#[derive(Clone, Copy)]
enum Fault {
    Cut,
    Stall,
}

/// How a stream ends after its last event.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Complete,
    Cut,
    Stall,
}

async fn chat(
    shared: Arc<Shared>,
    api: Api,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seq = shared.next_seq();
    let request_id = request_id(api, seq);
    let active = shared.active();
    let scenario = &active.scenario;
    let mut record = RecordedRequest {
        seq,
        at: shared.started.elapsed(),
        answered: None,
        method: method.to_string(),
        path: uri.path().to_string(),
        api: Some(api),
        headers: header_list(&headers),
        body: Value::Null,
        answer: Answer::NoMatch,
        status: 400,
    };
    let parsed = body_value(&body);

    if let Err(message) = check_key(api, scenario, &headers) {
        record.body = parsed.unwrap_or_else(|raw| raw);
        record.answer = Answer::Unauthorized;
        record.status = 401;
        shared.record(record);
        return error_response(api, 401, &message, &request_id, None);
    }

    let body_json = match parsed {
        Ok(value) => value,
        Err(raw) => {
            let message = if raw.is_null() {
                "We could not parse the JSON body of your request: the body is empty."
            } else {
                "We could not parse the JSON body of your request. (HINT: This likely means \
                 you aren't using your HTTP library correctly.)"
            };
            record.body = raw;
            record.answer = Answer::Invalid {
                message: message.to_string(),
            };
            shared.record(record);
            return error_response(api, 400, message, &request_id, None);
        }
    };

    if scenario.strict {
        let mut problem = view::validate(api, &body_json).err();
        if api == Api::Anthropic && problem.is_none() && !headers.contains_key("anthropic-version")
        {
            problem = Some("anthropic-version: header is required".to_string());
        }
        if let Some(message) = problem {
            record.body = body_json;
            record.answer = Answer::Invalid {
                message: message.clone(),
            };
            shared.record(record);
            return error_response(api, 400, &message, &request_id, None);
        }
    }

    let (plan, first_byte_delay, streaming) = {
        let view = View::new(api, &body_json);
        match active.select(&view) {
            None => {
                let message = format!(
                    "fake-llm: no rule matched (model {:?}, turn {}, last user text {:?}, last \
                     tool result {:?}) and the scenario has no default",
                    view.model,
                    view.turn,
                    view.last_user.as_deref().unwrap_or(""),
                    view.last_tool_result.as_deref().unwrap_or(""),
                );
                record.answer = Answer::NoMatch;
                let plan = Plan::Error {
                    status: 400,
                    message,
                    retry_after: None,
                };
                (plan, Duration::ZERO, false)
            }
            Some((answer, rule)) => {
                record.answer = answer;
                let plan = decide(&shared, scenario, &view, rule, seq, body.len());
                let delay = Duration::from_millis(rule.first_byte_delay_ms);
                (plan, delay, view.stream)
            }
        }
    };
    record.status = match &plan {
        Plan::Error { status, .. } => *status,
        _ => 200,
    };
    record.body = body_json;
    shared.record(record);
    drop(active);

    if let Plan::Hang = plan {
        return never().await;
    }
    if !sleep_or_cancel(first_byte_delay, &shared.cancel).await {
        return never().await;
    }
    match plan {
        Plan::Hang => never().await,
        Plan::Error {
            status,
            message,
            retry_after,
        } => {
            shared.mark_answered(seq);
            error_response(api, status, &message, &request_id, retry_after)
        }
        Plan::Json {
            value,
            duration,
            fault,
        } => {
            if !sleep_or_cancel(duration, &shared.cancel).await {
                return never().await;
            }
            let extra = [(request_id_header(api), request_id)];
            match fault {
                None => {
                    shared.mark_answered(seq);
                    json_response(200, &value, &extra)
                }
                Some(fault) => {
                    let text = value.to_string();
                    let half = Bytes::from(text.as_bytes()[..text.len() / 2].to_vec());
                    let end = match fault {
                        Fault::Cut => End::Cut,
                        Fault::Stall => End::Stall,
                    };
                    let events = match fault {
                        Fault::Cut => vec![half],
                        Fault::Stall => Vec::new(),
                    };
                    let body = event_body(events, Duration::ZERO, end, shared.cancel.clone(), None);
                    let mut response = Response::new(body);
                    response.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    );
                    insert_headers(response.headers_mut(), &extra);
                    response
                }
            }
        }
        Plan::Stream { events, delay, end } => {
            debug_assert!(streaming);
            let answered = Some((shared.clone(), seq));
            let body = event_body(events, delay, end, shared.cancel.clone(), answered);
            let mut response = Response::new(body);
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            insert_headers(headers, &[(request_id_header(api), request_id)]);
            response
        }
    }
}

/// Decides the answer of `rule` to the request seen through `view`.
fn decide(
    shared: &Shared,
    scenario: &Scenario,
    view: &View<'_>,
    rule: &Rule,
    seq: u64,
    body_len: usize,
) -> Plan {
    if rule.hang {
        return Plan::Hang;
    }
    if let Some(status) = rule.status {
        let message = rule
            .error_message
            .clone()
            .unwrap_or_else(|| wire::default_error_message(view.api, status).to_string());
        return Plan::Error {
            status,
            message,
            retry_after: rule.retry_after_secs,
        };
    }
    let completion = complete(shared, scenario, view, rule, seq, body_len);
    let delay = Duration::from_millis(rule.chunk_delay_ms);
    if view.stream {
        let mut events =
            wire::stream_events(view.api, &completion, rule.chunk_chars, view.include_usage);
        let mut end = End::Complete;
        if let Some(n) = rule.error_after_chunks
            && n < events.len()
        {
            events.truncate(n);
            let message = rule.error_message.as_deref().unwrap_or("Overloaded");
            events.push(wire::error_event(view.api, message));
        }
        if let Some(n) = rule.stall_after_chunks {
            events.truncate(n);
            end = End::Stall;
        }
        if let Some(n) = rule.cut_after_chunks {
            events.truncate(n);
            end = End::Cut;
        }
        Plan::Stream { events, delay, end }
    } else {
        let duration = if delay.is_zero() {
            Duration::ZERO
        } else {
            let events = wire::stream_events(view.api, &completion, rule.chunk_chars, false);
            let gaps = u32::try_from(events.len().saturating_sub(1)).unwrap_or(u32::MAX);
            delay.saturating_mul(gaps)
        };
        let fault = if rule.cut_after_chunks.is_some() {
            Some(Fault::Cut)
        } else if rule.stall_after_chunks.is_some() {
            Some(Fault::Stall)
        } else {
            None
        };
        Plan::Json {
            value: wire::response_json(view.api, &completion),
            duration,
            fault,
        }
    }
}

fn fill_value(value: &Value, view: &View<'_>, seq: u64) -> Value {
    match value {
        Value::String(text) => Value::String(view.fill(text, seq)),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| fill_value(item, view, seq))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| (key.clone(), fill_value(item, view, seq)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn estimate_tokens(chars: usize) -> u64 {
    u64::try_from(chars.div_ceil(4).max(1)).unwrap_or(u64::MAX)
}

fn truncate_chars(text: &mut String, max: usize) {
    if let Some((offset, _)) = text.char_indices().nth(max) {
        text.truncate(offset);
    }
}

/// Resolves the rule's reply against the request.
fn complete(
    shared: &Shared,
    scenario: &Scenario,
    view: &View<'_>,
    rule: &Rule,
    seq: u64,
    body_len: usize,
) -> Completion {
    let reply = &rule.reply;
    let mut text = view.fill(&reply.text, seq);
    let mut reasoning = reply
        .reasoning
        .as_deref()
        .map(|r| view.fill(r, seq))
        .unwrap_or_default();
    let mut calls: Vec<Call> = reply
        .tool_calls
        .iter()
        .map(|call| {
            let filled = fill_value(&call.arguments, view, seq);
            let (arguments, input) = match filled {
                Value::String(raw) => {
                    let input = serde_json::from_str::<Value>(&raw)
                        .ok()
                        .filter(Value::is_object)
                        .unwrap_or_else(|| json!({}));
                    (raw, input)
                }
                other => (other.to_string(), other),
            };
            let id = call.id.clone().unwrap_or_else(|| {
                let n = shared.call_seq.fetch_add(1, Ordering::Relaxed) + 1;
                match view.api {
                    Api::OpenAi => format!("call_fake{n:016}"),
                    Api::Anthropic => format!("toolu_fake{n:016}"),
                }
            });
            Call {
                id,
                name: call.name.clone(),
                arguments,
                input,
            }
        })
        .collect();
    let mut finish = reply.finish.unwrap_or(if calls.is_empty() {
        Finish::Stop
    } else {
        Finish::ToolCalls
    });
    let output_chars = reasoning.chars().count()
        + text.chars().count()
        + calls
            .iter()
            .map(|call| call.name.chars().count() + call.arguments.chars().count())
            .sum::<usize>();
    let mut output_tokens = estimate_tokens(output_chars);
    if scenario.enforce_max_tokens
        && reply.finish.is_none()
        && let Some(max) = view.max_tokens
        && output_tokens > max
    {
        let budget = usize::try_from(max.saturating_mul(4)).unwrap_or(usize::MAX);
        truncate_chars(&mut reasoning, budget);
        let left = budget.saturating_sub(reasoning.chars().count());
        truncate_chars(&mut text, left);
        calls.clear();
        finish = Finish::Length;
        output_tokens = max;
    }
    let usage = reply.usage.unwrap_or_default();
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Completion {
        id: match view.api {
            Api::OpenAi => format!("chatcmpl-fake{seq:016}"),
            Api::Anthropic => format!("msg_fake{seq:016}"),
        },
        model: view.model.clone(),
        created,
        reasoning,
        text,
        calls,
        finish,
        input_tokens: usage
            .input_tokens
            .unwrap_or_else(|| estimate_tokens(body_len)),
        output_tokens: usage.output_tokens.unwrap_or(output_tokens),
    }
}

/// Sleeps unless the server shuts down first; `false` when it did.
async fn sleep_or_cancel(duration: Duration, cancel: &CancellationToken) -> bool {
    if duration.is_zero() {
        return !cancel.is_cancelled();
    }
    tokio::select! {
        () = tokio::time::sleep(duration) => true,
        () = cancel.cancelled() => false,
    }
}

/// Never answers. The server drops the connection (and with it this future) when it
/// shuts down, so the client sees a failed request rather than a response.
async fn never() -> Response {
    std::future::pending().await
}

fn cut_error() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "fake-llm: connection cut",
    )
}

struct Delivery {
    answered: Option<(Arc<Shared>, u64)>,
    events: std::vec::IntoIter<Bytes>,
    delay: Duration,
    end: End,
    cancel: CancellationToken,
    sent_any: bool,
    done: bool,
}

/// A body that sends `events` `delay` apart (coalesced when there is no delay), then ends
/// as `end` says; a complete end is noted on `answered` (the shared state and the
/// request's number).
fn event_body(
    events: Vec<Bytes>,
    delay: Duration,
    end: End,
    cancel: CancellationToken,
    answered: Option<(Arc<Shared>, u64)>,
) -> Body {
    let state = Delivery {
        answered,
        events: events.into_iter(),
        delay,
        end,
        cancel,
        sent_any: false,
        done: false,
    };
    Body::from_stream(stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        if st.delay.is_zero() {
            let rest: Vec<Bytes> = st.events.by_ref().collect();
            if !rest.is_empty() {
                st.sent_any = true;
                let bytes = if rest.len() == 1 {
                    rest.into_iter().next().unwrap_or_default()
                } else {
                    Bytes::from(rest.concat())
                };
                return Some((Ok(bytes), st));
            }
        } else if let Some(event) = st.events.next() {
            if st.sent_any && !sleep_or_cancel(st.delay, &st.cancel).await {
                st.done = true;
                return Some((Err(cut_error()), st));
            }
            st.sent_any = true;
            return Some((Ok(event), st));
        }
        st.done = true;
        match st.end {
            End::Complete => {
                if let Some((shared, seq)) = st.answered.take() {
                    shared.mark_answered(seq);
                }
                None
            }
            End::Cut => {
                // Let the server flush what was sent before the connection drops.
                tokio::task::yield_now().await;
                Some((Err(cut_error()), st))
            }
            End::Stall => {
                st.cancel.cancelled().await;
                Some((Err(cut_error()), st))
            }
        }
    }))
}

/// `GET /v1/models`, in the Anthropic shape when the request carries Anthropic headers.
async fn models(State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap) -> Response {
    let seq = shared.next_seq();
    let api = if headers.contains_key("anthropic-version") || headers.contains_key("x-api-key") {
        Api::Anthropic
    } else {
        Api::OpenAi
    };
    let request_id = request_id(api, seq);
    let active = shared.active();
    let mut record = RecordedRequest {
        seq,
        at: shared.started.elapsed(),
        answered: None,
        method: "GET".to_string(),
        path: uri.path().to_string(),
        api: None,
        headers: header_list(&headers),
        body: Value::Null,
        answer: Answer::Models,
        status: 200,
    };
    if let Err(message) = check_key(api, &active.scenario, &headers) {
        record.answer = Answer::Unauthorized;
        record.status = 401;
        shared.record(record);
        return error_response(api, 401, &message, &request_id, None);
    }
    shared.record(record);
    let models = active.scenario.listed_models();
    let value = match api {
        Api::OpenAi => json!({
            "object": "list",
            "data": models
                .iter()
                .map(|id| json!({"id": id, "object": "model", "created": 1_700_000_000u64, "owned_by": "fake-llm"}))
                .collect::<Vec<_>>(),
        }),
        Api::Anthropic => json!({
            "data": models
                .iter()
                .map(|id| json!({"type": "model", "id": id, "display_name": id, "created_at": "2025-01-01T00:00:00Z"}))
                .collect::<Vec<_>>(),
            "has_more": false,
            "first_id": models.first(),
            "last_id": models.last(),
        }),
    };
    json_response(200, &value, &[(request_id_header(api), request_id)])
}

/// Any other path: 404 in the provider's error shape.
async fn not_found(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seq = shared.next_seq();
    let api = if headers.contains_key("anthropic-version") || headers.contains_key("x-api-key") {
        Api::Anthropic
    } else {
        Api::OpenAi
    };
    let request_id = request_id(api, seq);
    let record = RecordedRequest {
        seq,
        at: shared.started.elapsed(),
        answered: None,
        method: method.to_string(),
        path: uri.path().to_string(),
        api: None,
        headers: header_list(&headers),
        body: body_value(&body).unwrap_or_else(|raw| raw),
        answer: Answer::NotFound,
        status: 404,
    };
    shared.record(record);
    let message = format!("Invalid URL ({method} {})", uri.path());
    error_response(api, 404, &message, &request_id, None)
}
