//! HTTP routes, shared state and background housekeeping.

use crate::auth::{Authenticator, COOKIE_NAME, host_allowed, origin_allowed, presented_token};
use crate::config::{Mode, ServerConfig};
use crate::connection;
use crate::sessions::SessionManager;
use crate::{ServerError, metrics};
use arranger_domain::UserId;
use arranger_store::{SqliteDirectory, TokenKind, UserDirectory};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Request, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

/// How long a login token (and its cookie) lives.
const LOGIN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

struct ConnEntry {
    token_id: Option<String>,
    revoke: CancellationToken,
}

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<ServerConfig>,
    pub sessions: Arc<SessionManager>,
    pub shutdown: CancellationToken,
    auth: Authenticator,
    directory: Option<Arc<dyn UserDirectory>>,
    limiter: Arc<DefaultKeyedRateLimiter<UserId>>,
    login_limiter: Arc<DefaultKeyedRateLimiter<String>>,
    conns: Arc<Mutex<HashMap<u64, ConnEntry>>>,
    next_conn: Arc<AtomicU64>,
    password_slots: Arc<Semaphore>,
    prometheus: Option<metrics_exporter_prometheus::PrometheusHandle>,
    governor: Arc<crate::governor::Governor>,
    pool: Arc<arranger_llm::LlmPool>,
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

/// The body of every error answer of the HTTP endpoints.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// What went wrong, and what to do about it.
    #[schema(example = "invalid, expired or revoked token, or disabled user")]
    error: String,
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        Json(ErrorBody {
            error: message.into(),
        }),
    )
        .into_response()
}

/// How the server authenticates: one implicit user with the token printed at start, or a
/// directory of users who sign in.
#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ServerMode {
    /// One implicit user (`local`); the token is printed at start.
    SingleUser,
    /// Users and tokens in the user directory; browsers sign in with `POST /api/v1/login`.
    MultiUser,
}

/// A user, as the HTTP endpoints show them.
#[derive(Serialize, ToSchema)]
pub(crate) struct UserInfo {
    /// The user's id (also the name of their data directory).
    id: String,
    /// The name they sign in with.
    name: String,
    /// Whether they may call the `admin.*` methods.
    is_admin: bool,
}

impl From<&arranger_store::User> for UserInfo {
    fn from(u: &arranger_store::User) -> Self {
        UserInfo {
            id: u.id.as_str().to_owned(),
            name: u.name.clone(),
            is_admin: u.is_admin,
        }
    }
}

/// `GET /healthz`'s answer.
#[derive(Serialize, ToSchema)]
pub(crate) struct Health {
    /// Always `ok`.
    #[schema(example = "ok")]
    status: &'static str,
}

impl AppState {
    pub async fn new(config: Arc<ServerConfig>) -> Result<Self, ServerError> {
        let data_dir = config.data_dir.clone();
        let multi = config.mode == Mode::MultiUser;
        let directory = tokio::task::spawn_blocking(
            move || -> Result<Option<Arc<dyn UserDirectory>>, ServerError> {
                prepare_data_dir(&data_dir)?;
                if multi {
                    let d = SqliteDirectory::open(&data_dir.join("arranger.db"))?;
                    Ok(Some(Arc::new(d)))
                } else {
                    Ok(None)
                }
            },
        )
        .await
        .map_err(|e| ServerError::Watch(e.to_string()))??;
        let auth = Authenticator::new(&config.mode, directory.clone())?;
        let l = &config.limits;
        let quota =
            Quota::per_second(nonzero(l.requests_per_second)).allow_burst(nonzero(l.request_burst));
        let login_quota = Quota::per_minute(nonzero(10)).allow_burst(nonzero(10));
        let services = Arc::new(team_services(&config)?);
        let dir = directory.clone();
        let governor = Arc::new(
            tokio::task::spawn_blocking(move || crate::governor::Governor::load(dir))
                .await
                .map_err(|e| ServerError::Watch(e.to_string()))??,
        );
        services.pool.set_gate(governor.clone());
        let pool = services.pool.clone();
        Ok(AppState {
            sessions: Arc::new(SessionManager::new(
                config.clone(),
                services,
                governor.clone(),
            )),
            governor,
            config,
            shutdown: CancellationToken::new(),
            auth,
            directory,
            limiter: Arc::new(RateLimiter::keyed(quota)),
            login_limiter: Arc::new(RateLimiter::keyed(login_quota)),
            conns: Arc::new(Mutex::new(HashMap::new())),
            next_conn: Arc::new(AtomicU64::new(1)),
            password_slots: Arc::new(Semaphore::new(2)),
            prometheus: metrics::install(),
            pool,
        })
    }

    /// How the server authenticates.
    fn mode(&self) -> ServerMode {
        match self.config.mode {
            Mode::SingleUser { .. } => ServerMode::SingleUser,
            Mode::MultiUser => ServerMode::MultiUser,
        }
    }

    /// Sets the gauges of live state (before a scrape and every few seconds).
    fn record_gauges(&self) {
        metrics::gauges(metrics::Live {
            connections: self.connection_count(),
            sessions: &self.sessions,
            pool: &self.pool,
        });
    }

    /// `single_user` or `multi_user`.
    pub fn mode_name(&self) -> &'static str {
        match self.config.mode {
            Mode::SingleUser { .. } => "single_user",
            Mode::MultiUser => "multi_user",
        }
    }

    /// Takes one request from the user's budget, or says how long to wait.
    pub fn rate_limit(&self, user: &UserId) -> Result<(), Duration> {
        if let Some(own) = self.governor.rate_limit(user) {
            return own;
        }
        self.limiter
            .check_key(user)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    fn connection_count(&self) -> usize {
        self.conns.lock().map(|c| c.len()).unwrap_or(0)
    }

    /// The governor: limits, spending and caps.
    pub(crate) fn governor(&self) -> &Arc<crate::governor::Governor> {
        &self.governor
    }

    /// Writes LLM spending counted in memory to the directory.
    pub(crate) async fn flush_spending(&self) {
        let g = self.governor.clone();
        match tokio::task::spawn_blocking(move || g.flush()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot record LLM spending; will retry"),
            Err(e) => tracing::warn!(error = %e, "spending writer failed"),
        }
    }

    /// The user directory (multi-user mode only).
    pub(crate) fn directory(&self) -> Option<Arc<dyn UserDirectory>> {
        self.directory.clone()
    }

    /// Waits for one of the few slots for password hashing (deliberately slow); `None` when
    /// the server is shutting down.
    pub(crate) async fn password_slot(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.password_slots.clone().acquire_owned().await.ok()
    }

    /// Closes every connection whose token is no longer valid (revoked, expired, or whose
    /// user is disabled), at once.
    pub(crate) async fn sweep_revoked(&self) {
        let Some(dir) = self.directory.clone() else {
            return;
        };
        let valid: HashSet<String> =
            match tokio::task::spawn_blocking(move || dir.valid_token_ids()).await {
                Ok(Ok(v)) => v,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "cannot read valid tokens");
                    return;
                }
                Err(_) => return,
            };
        if let Ok(conns) = self.conns.lock() {
            for entry in conns.values() {
                if let Some(id) = &entry.token_id
                    && !valid.contains(id)
                {
                    entry.revoke.cancel();
                }
            }
        }
    }

    /// Housekeeping: revocations (every second), idle handles and contexts, gauges.
    pub fn start_background(&self) -> JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            let mut marker = None;
            let mut n: u64 = 0;
            loop {
                tick.tick().await;
                n += 1;
                if let Some(dir) = state.directory.clone() {
                    let now = tokio::task::spawn_blocking(move || dir.change_marker()).await;
                    if let Ok(Ok(m)) = now {
                        // Another process (the CLI) changed users or tokens; expiry is
                        // checked every 30 s anyway.
                        if marker.is_some_and(|old| old != m) || n.is_multiple_of(30) {
                            state.sweep_revoked().await;
                        }
                        marker = Some(m);
                    }
                }
                if n.is_multiple_of(5) {
                    state.flush_spending().await;
                    let (closed, dropped) = state.sessions.reap();
                    if closed + dropped > 0 {
                        tracing::debug!(closed, dropped, "reaped idle handles and contexts");
                        // SQLite handles of many users were just freed: hand the memory
                        // back to the system instead of keeping it in malloc's arenas.
                        tokio::task::spawn_blocking(release_freed_memory);
                    }
                    state.limiter.retain_recent();
                    state.login_limiter.retain_recent();
                    state.record_gauges();
                }
            }
        })
    }
}

/// The LLM pool shared by every user, with the server's default provider from the
/// environment (`OPENAI_*` / `ANTHROPIC_*` and `ARRANGER_MODEL`), if one is configured.
fn team_services(config: &ServerConfig) -> Result<arranger_team::TeamServices, ServerError> {
    // What the server requests for users (their providers, their HTTP MCP servers) goes
    // only to public addresses on a multi-user server, unless the admin opted out.
    let public_only = config.mode == Mode::MultiUser && !config.allow_private_networks;
    let mut pool_config = config.pool.clone();
    pool_config.users_public_only = public_only;
    let mut mcp_config = config.mcp.clone();
    mcp_config.public_only = public_only;
    let pool =
        arranger_llm::LlmPool::new(pool_config).map_err(|e| ServerError::Llm(e.to_string()))?;
    let default_provider = match &config.llm {
        Some(provider) => {
            pool.register("default", provider)
                .map_err(|e| ServerError::Llm(e.to_string()))?;
            tracing::info!(provider = %provider.kind.as_str(), model = %provider.model, "default language model");
            Some("default".to_owned())
        }
        None => {
            tracing::warn!(
                "no language model configured: tasks will wait in Pending (set OPENAI_API_KEY or ANTHROPIC_API_KEY, and ARRANGER_MODEL)"
            );
            None
        }
    };
    let secrets = arranger_store::SecretBox::load_or_create(&config.data_dir.join("secret.key"))?;
    Ok(arranger_team::TeamServices {
        pool: Arc::new(pool),
        default_provider,
        config: config.team.clone(),
        secrets: Arc::new(secrets),
        mcp: arranger_mcp::McpHub::new(mcp_config),
        parse_cache: Arc::new(arranger_context::ParseCache::default()),
    })
}

/// Returns freed heap memory to the operating system (glibc keeps it otherwise).
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks and trims glibc's own arenas; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn prepare_data_dir(dir: &std::path::Path) -> Result<(), ServerError> {
    let err = |source| ServerError::DataDir {
        path: dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir.join("users")).map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(err)?;
    }
    Ok(())
}

/// Every HTTP route, with its OpenAPI description: the router and the document come from
/// the same handlers, so neither can name a route the other lacks.
pub(crate) fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(crate::openapi::base())
        .routes(routes!(healthz))
        .routes(routes!(metrics_handler))
        .routes(routes!(openapi_json))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(whoami))
        // Any method reaches the handler (HTTP/2 upgrades use CONNECT); it answers a plain
        // request with 400. The document describes the HTTP/1.1 GET upgrade.
        .routes(routes!(ws_handler).map(|_| any(ws_handler)))
}

pub fn router(state: AppState) -> Router {
    let web_dir = state.config.web_dir.clone().map(std::sync::Arc::new);
    let (api, _) = api_routes().split_for_parts();
    api.fallback(move |method: Method, uri: Uri, headers: HeaderMap| {
        let web_dir = web_dir.clone();
        async move {
            let dir = web_dir.as_deref().map(std::path::PathBuf::as_path);
            crate::web::serve(dir, &method, &uri, &headers).unwrap_or_else(|| {
                error(
                    StatusCode::NOT_FOUND,
                    "no such endpoint; the API is JSON-RPC over WebSocket at /api/v1/ws",
                )
            })
        }
    })
    .layer(tower_http::compression::CompressionLayer::new())
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        check_host,
    ))
    .with_state(state)
}

/// Refuses requests for host names this server does not answer to (DNS rebinding) and
/// cross-site browser requests.
async fn check_host(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if let Some(h) = host
        && !host_allowed(h, &state.config.allowed_hosts)
    {
        return error(
            StatusCode::FORBIDDEN,
            format!(
                "host {h:?} is not served here; an administrator can allow it with --allowed-host"
            ),
        );
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if !origin_allowed(origin, host, &state.config.allowed_origins) {
        return error(
            StatusCode::FORBIDDEN,
            "cross-origin request refused; an administrator can allow an origin with --allowed-origin",
        );
    }
    next.run(req).await
}

/// Liveness.
///
/// Answers while the process serves HTTP. Needs no credentials.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "The server is up.", body = Health))
)]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// This OpenAPI document.
///
/// Needs no credentials: it describes the endpoints and exposes no data. The JSON-RPC
/// methods spoken over `/api/v1/ws` are in `docs/protocol.md` and
/// `docs/protocol.schema.json`.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document of the HTTP endpoints.", body = Object, content_type = "application/json"))
)]
async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::json(),
    )
        .into_response()
}

/// Prometheus metrics.
///
/// The text exposition format: aggregates only, no label names a user or a task. The
/// series are listed in `docs/operations.md`. Needs no credentials (restrict it at the
/// reverse proxy if it must not be public).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Every series, as Prometheus scrapes them.", body = String, content_type = "text/plain; version=0.0.4"),
        (status = 503, description = "Another metrics recorder owns this process (embedded use).", body = ErrorBody)
    )
)]
async fn metrics_handler(State(state): State<AppState>) -> Response {
    state.record_gauges();
    match &state.prometheus {
        Some(h) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            h.render(),
        )
            .into_response(),
        None => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics are not available in this process",
        ),
    }
}

/// `POST /api/v1/login`'s body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginRequest {
    /// The user's name.
    username: String,
    /// The user's password.
    #[schema(format = Password)]
    password: String,
}

/// A successful sign-in.
#[derive(Serialize, ToSchema)]
pub(crate) struct LoginResponse {
    /// A new login token (also set as the HttpOnly cookie `arranger_token`). Present it
    /// as `Authorization: Bearer <token>`, the cookie, or the `bearer.<token>` WebSocket
    /// subprotocol.
    token: String,
    /// Who signed in.
    user: UserInfo,
    /// When the token expires (ms since the epoch); `null` for none.
    expires_at: Option<i64>,
}

/// `POST /api/v1/logout`'s answer.
#[derive(Serialize, ToSchema)]
pub(crate) struct LoggedOut {
    /// Always `true`.
    ok: bool,
}

/// Who the credentials belong to.
#[derive(Serialize, ToSchema)]
pub(crate) struct WhoAmI {
    /// How the server authenticates.
    mode: ServerMode,
    /// The signed-in user.
    user: UserInfo,
}

/// `GET /api/v1/whoami` without valid credentials: why, and the server's mode (so the UI
/// knows whether to show the login page).
#[derive(Serialize, ToSchema)]
pub(crate) struct NotSignedIn {
    /// What is missing or wrong.
    error: String,
    /// How the server authenticates.
    mode: ServerMode,
}

fn cookie(value: &str, max_age: u64) -> HeaderValue {
    let c = format!("{COOKIE_NAME}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}");
    HeaderValue::from_str(&c)
        .unwrap_or_else(|_| HeaderValue::from_static("arranger_token=; Max-Age=0"))
}

/// Signs in with a user name and password.
///
/// Multi-user mode only. Returns a new login token, valid for 30 days, and sets it as an
/// HttpOnly, SameSite=Strict cookie. At most 10 attempts per user name per minute.
#[utoipa::path(
    post,
    path = "/api/v1/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in.", body = LoginResponse,
            headers(("set-cookie" = String, description = "`arranger_token=<token>; HttpOnly; SameSite=Strict; Path=/; Max-Age=2592000`"))),
        (status = 400, description = "Not a JSON body `{username, password}`, or the server runs in single-user mode.", body = ErrorBody),
        (status = 401, description = "Wrong user name or password, or the user is disabled.", body = ErrorBody),
        (status = 429, description = "Too many attempts for this user name; wait a minute.", body = ErrorBody),
        (status = 500, description = "A failure inside the server (its log says more).", body = ErrorBody),
        (status = 503, description = "The server is shutting down.", body = ErrorBody)
    )
)]
async fn login(
    State(state): State<AppState>,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!(
                    "expected a JSON body {{\"username\": …, \"password\": …}}: {}",
                    e.body_text()
                ),
            );
        }
    };
    let Some(dir) = state.directory.clone() else {
        return error(
            StatusCode::BAD_REQUEST,
            "this server runs in single-user mode: use the token printed at start (or ARRANGER_TOKEN)",
        );
    };
    if state.login_limiter.check_key(&req.username).is_err() {
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "too many login attempts for this user; wait a minute",
        );
    }
    // Password hashing is deliberately slow: at most two at a time, off the runtime.
    let Some(_slot) = state.password_slot().await else {
        return error(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    };
    let result = tokio::task::spawn_blocking(move || {
        let user = dir.verify_password(&req.username, &req.password)?;
        match user {
            Some(u) => {
                let (info, token) = dir.create_token(
                    &u.name,
                    TokenKind::Login,
                    "login",
                    Some(LOGIN_TTL.as_millis() as i64),
                )?;
                Ok::<_, arranger_store::StoreError>(Some((u, info, token)))
            }
            None => Ok(None),
        }
    })
    .await;
    match result {
        Ok(Ok(Some((user, info, token)))) => {
            let mut resp = Json(LoginResponse {
                user: UserInfo::from(&user),
                expires_at: info.expires_at,
                token: token.clone(),
            })
            .into_response();
            resp.headers_mut()
                .insert(header::SET_COOKIE, cookie(&token, LOGIN_TTL.as_secs()));
            resp
        }
        Ok(Ok(None)) => error(
            StatusCode::UNAUTHORIZED,
            "wrong user name or password, or the user is disabled",
        ),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "login failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "login failed inside the server; see its log",
            )
        }
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "login failed inside the server; see its log",
        ),
    }
}

/// Signs out.
///
/// Revokes the presented token (closing its connections at once) and clears the cookie.
/// Always succeeds, with or without credentials.
#[utoipa::path(
    post,
    path = "/api/v1/logout",
    tag = "auth",
    security((), ("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Signed out (the token, if any, is revoked).", body = LoggedOut,
            headers(("set-cookie" = String, description = "`arranger_token=; …; Max-Age=0`: clears the cookie")))
    )
)]
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let mut resp = Json(LoggedOut { ok: true }).into_response();
    resp.headers_mut().insert(header::SET_COOKIE, cookie("", 0));
    if let (Some(dir), Some(p)) = (state.directory.clone(), presented_token(&headers)) {
        let revoked = tokio::task::spawn_blocking(move || dir.revoke_token(&p.token)).await;
        if matches!(revoked, Ok(Ok(true))) {
            state.sweep_revoked().await;
        }
    }
    resp
}

/// Who the credentials belong to.
///
/// The user the presented credentials (cookie, bearer header) belong to, and the server's
/// mode: the UI asks this before it shows the login page.
#[utoipa::path(
    get,
    path = "/api/v1/whoami",
    tag = "auth",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The credentials are valid.", body = WhoAmI),
        (status = 401, description = "No credentials, or invalid, expired or revoked ones, or a disabled user.", body = NotSignedIn),
        (status = 500, description = "A failure inside the server (its log says more).", body = ErrorBody)
    )
)]
async fn whoami(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let mode = state.mode();
    let unauthorized = |message: &str| {
        (
            StatusCode::UNAUTHORIZED,
            Json(NotSignedIn {
                error: message.to_owned(),
                mode,
            }),
        )
            .into_response()
    };
    let Some(presented) = presented_token(&headers) else {
        return unauthorized(match state.config.mode {
            Mode::SingleUser { .. } => {
                "not signed in: open the address with the token that the server printed at start"
            }
            Mode::MultiUser => "not signed in: POST /api/v1/login",
        });
    };
    match authenticate(&state, presented.token).await {
        Ok(Some((user, _))) => Json(WhoAmI {
            mode,
            user: UserInfo::from(&user),
        })
        .into_response(),
        Ok(None) => {
            unauthorized("invalid, expired or revoked token, or disabled user: sign in again")
        }
        Err(response) => response,
    }
}

/// Who a token belongs to (and the token's id), checked off the runtime; a failure inside
/// the server is already the answer to send.
async fn authenticate(
    state: &AppState,
    token: String,
) -> Result<Option<(arranger_store::User, Option<String>)>, Response> {
    let auth = state.auth.clone();
    match tokio::task::spawn_blocking(move || auth.authenticate(&token)).await {
        Ok(Ok(who)) => Ok(who),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "authentication failed");
            Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "authentication failed inside the server; see its log",
            ))
        }
        Err(_) => Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "authentication failed inside the server",
        )),
    }
}

/// The API: JSON-RPC 2.0 over WebSocket.
///
/// Text frames, one request, response or notification each. Credentials are checked at the
/// upgrade and every request on the connection runs as that user. The methods,
/// notifications and error codes are described by `docs/protocol.md` and
/// `docs/protocol.schema.json`, not here. Browsers that cannot set headers send the token
/// as the subprotocol `bearer.<token>`, which the server echoes. A revoked token or a
/// disabled user closes the connection with code 4001; shutdown closes it with 1001.
#[utoipa::path(
    get,
    path = "/api/v1/ws",
    tag = "api",
    security(("bearer" = []), ("cookie" = []), ("subprotocol" = [])),
    params(
        ("Upgrade" = String, Header, description = "`websocket`"),
        ("Connection" = String, Header, description = "`Upgrade`"),
        ("Sec-WebSocket-Version" = String, Header, description = "`13`"),
        ("Sec-WebSocket-Key" = String, Header, description = "The client's nonce (RFC 6455)")
    ),
    responses(
        (status = 101, description = "Switched to WebSocket; JSON-RPC 2.0 from now on (see docs/protocol.md).",
            headers(("Sec-WebSocket-Protocol" = String, description = "The `bearer.<token>` subprotocol, when the token came that way"))),
        (status = 400, description = "Not a WebSocket upgrade request.", body = ErrorBody),
        (status = 401, description = "Missing credentials, or invalid, expired or revoked ones, or a disabled user.", body = ErrorBody),
        (status = 500, description = "The user's session could not be opened (the server log says why).", body = ErrorBody),
        (status = 503, description = "The server is shutting down.", body = ErrorBody)
    )
)]
async fn ws_handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("this endpoint speaks WebSocket only: {}", e.body_text()),
            );
        }
    };
    if state.shutdown.is_cancelled() {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down",
        );
    }
    let Some(presented) = presented_token(&headers) else {
        return error(
            StatusCode::UNAUTHORIZED,
            "missing credentials: send `Authorization: Bearer <token>`, the login cookie, or the `bearer.<token>` subprotocol",
        );
    };
    let who = match authenticate(&state, presented.token).await {
        Ok(Some(who)) => who,
        Ok(None) => {
            return error(
                StatusCode::UNAUTHORIZED,
                "invalid, expired or revoked token, or disabled user",
            );
        }
        Err(response) => return response,
    };
    let (user, token_id) = who;
    let guard = match state.sessions.connect(&user).await {
        Ok(g) => g,
        Err(e) => {
            tracing::error!(user = %user.id, error = %e, "cannot activate the user's session");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot open your session; see the server log",
            );
        }
    };
    let conn_id = state.next_conn.fetch_add(1, Ordering::Relaxed);
    let revoke = CancellationToken::new();
    let limits = &state.config.limits;
    let mut ws = ws
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(limits.max_message_bytes)
        .max_frame_size(limits.max_message_bytes);
    if let Some(proto) = presented.subprotocol {
        ws = ws.protocols([proto]);
    }
    let st = state.clone();
    ws.on_failed_upgrade(|e| tracing::debug!(error = %e, "websocket upgrade failed"))
        .on_upgrade(move |socket| async move {
            if let Ok(mut conns) = st.conns.lock() {
                conns.insert(
                    conn_id,
                    ConnEntry {
                        token_id,
                        revoke: revoke.clone(),
                    },
                );
            }
            connection::serve(socket, guard, st.clone(), revoke).await;
            if let Ok(mut conns) = st.conns.lock() {
                conns.remove(&conn_id);
            }
        })
        .into_response()
}
