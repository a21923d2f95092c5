//! Arranger's server: one process, many isolated users.
//!
//! * HTTP (axum): `/healthz`, `/metrics`, `POST /api/v1/login`, `POST /api/v1/logout`,
//!   `GET /api/v1/whoami`, `GET /api/v1/openapi.json` (their OpenAPI document, see
//!   [`openapi`]).
//! * JSON-RPC 2.0 over WebSocket at `/api/v1/ws`, authenticated at the upgrade.
//! * The [`SessionManager`]: one [`SessionContext`] per user, shared by all of that user's
//!   connections, created on first use and dropped when idle.
//!
//! **Architecture invariants.** Only this crate knows HTTP, WebSocket and JSON-RPC. The
//! user of a connection is derived from its credentials at the upgrade and never from
//! anything the client sends afterwards; every request runs inside
//! [`arranger_host::with_user`] for that user.

mod admin;
mod auth;
mod config;
mod connection;
mod error;
mod governor;
mod http;
pub mod metrics;
pub mod openapi;
mod rpc;
mod sessions;
mod web;

pub use arranger_mcp::McpConfig;
pub use auth::{Authenticator, SINGLE_USER_ID};
pub use config::{Limits, Mode, ServerConfig, default_pool};
pub use error::ServerError;
pub use sessions::{SessionContext, SessionManager};

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// A bound, not yet running server.
pub struct Server {
    listener: TcpListener,
    state: http::AppState,
    /// Held from `bind` until `run` has closed everything: no second server (and no
    /// restore) can take this data directory meanwhile.
    lock: arranger_store::DataDirLock,
}

impl Server {
    /// Locks the data directory (refused while another server or a restore holds it),
    /// prepares it, opens the user directory and binds the listener.
    pub async fn bind(config: ServerConfig) -> Result<Server, ServerError> {
        let config = Arc::new(config);
        let dir = config.data_dir.clone();
        let lock = tokio::task::spawn_blocking(move || -> Result<_, ServerError> {
            std::fs::create_dir_all(&dir).map_err(|source| ServerError::DataDir {
                path: dir.clone(),
                source,
            })?;
            Ok(arranger_store::DataDirLock::acquire(&dir)?)
        })
        .await
        .map_err(|e| ServerError::Watch(e.to_string()))??;
        let state = http::AppState::new(config.clone()).await?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| ServerError::Bind {
                addr: config.listen,
                source: e,
            })?;
        Ok(Server {
            listener,
            state,
            lock,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> Result<SocketAddr, ServerError> {
        self.listener.local_addr().map_err(ServerError::Io)
    }

    /// Serves until `shutdown` completes, then closes every WebSocket with a close frame,
    /// lets running requests finish their writes, and returns.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let state = self.state.clone();
        let background = state.start_background();
        let app = http::router(state.clone());
        let closing = state.shutdown.clone();
        let signal = async move {
            shutdown.await;
            tracing::info!("shutting down: closing connections");
            closing.cancel();
        };
        let served = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(signal)
        .await;
        background.abort();
        state.sessions.close_all().await;
        state.flush_spending().await;
        drop(self.lock);
        served.map_err(ServerError::Io)
    }
}
