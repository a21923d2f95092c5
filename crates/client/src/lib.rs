//! A client of Arranger's JSON-RPC API over WebSocket.
//!
//! One [`Client`] is one connection. Calls are sequential per client (send, then read
//! until the matching response); notifications that arrive meanwhile are queued and
//! read with [`Client::next_notification`].

use arranger_protocol::RpcMethod;
use arranger_protocol::jsonrpc::ErrorObject;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub use tokio_tungstenite::tungstenite::Error as WsError;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with a JSON-RPC error.
    #[error("server error {}: {}", .0.code, .0.message)]
    Rpc(ErrorObject),
    /// The connection failed or was refused (e.g. HTTP 401 at the upgrade).
    #[error("connection: {0}")]
    Ws(#[from] WsError),
    /// The server closed the connection; the close code and reason if it sent one.
    #[error("connection closed ({0:?})")]
    Closed(Option<(u16, String)>),
    /// The server sent something that is not JSON-RPC.
    #[error("unexpected message from the server: {0}")]
    Protocol(String),
    /// No answer in time.
    #[error("timed out")]
    Timeout,
}

impl ClientError {
    /// The JSON-RPC error code, if the server answered with one.
    pub fn code(&self) -> Option<i64> {
        match self {
            ClientError::Rpc(e) => Some(e.code),
            _ => None,
        }
    }
}

/// One connection to the server.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: i64,
    queued: VecDeque<Value>,
    timeout: Duration,
}

/// How to present credentials.
#[derive(Clone, Copy, Debug)]
pub enum Credential<'a> {
    /// `Authorization: Bearer <token>`.
    Bearer(&'a str),
    /// The `bearer.<token>` subprotocol, as browsers do.
    Subprotocol(&'a str),
    /// The login cookie.
    Cookie(&'a str),
    /// None (to test refusals).
    None,
}

impl Client {
    /// Connects to `ws://addr/api/v1/ws` with a bearer token.
    pub async fn connect(addr: &str, token: &str) -> Result<Client, ClientError> {
        Self::connect_with(addr, Credential::Bearer(token), None).await
    }

    /// Connects with a chosen credential and optional `Origin` header.
    pub async fn connect_with(
        addr: &str,
        cred: Credential<'_>,
        origin: Option<&str>,
    ) -> Result<Client, ClientError> {
        let url = format!("ws://{addr}/api/v1/ws");
        let mut req = url.into_client_request()?;
        let h = req.headers_mut();
        let header =
            |s: String| HeaderValue::from_str(&s).map_err(|e| ClientError::Protocol(e.to_string()));
        match cred {
            Credential::Bearer(t) => {
                h.insert("authorization", header(format!("Bearer {t}"))?);
            }
            Credential::Subprotocol(t) => {
                h.insert("sec-websocket-protocol", header(format!("bearer.{t}"))?);
            }
            Credential::Cookie(t) => {
                h.insert("cookie", header(format!("arranger_token={t}"))?);
            }
            Credential::None => {}
        }
        if let Some(o) = origin {
            h.insert("origin", header(o.to_owned())?);
        }
        let config = WebSocketConfig::default().max_message_size(Some(64 << 20));
        let (ws, _) =
            tokio_tungstenite::connect_async_with_config(req, Some(config), false).await?;
        Ok(Client {
            ws,
            next_id: 1,
            queued: VecDeque::new(),
            timeout: Duration::from_secs(30),
        })
    }

    /// Sets how long a call or a notification wait may take.
    pub fn set_timeout(&mut self, t: Duration) {
        self.timeout = t;
    }

    /// Sends a raw text frame (for testing malformed input).
    pub async fn send_raw(&mut self, text: &str) -> Result<(), ClientError> {
        self.ws.send(Message::Text(text.into())).await?;
        Ok(())
    }

    /// Reads the next message that is not a notification (a response or a batch).
    pub async fn read_response(&mut self) -> Result<Value, ClientError> {
        loop {
            let v = self.read_value().await?;
            if v.get("method").is_some() && v.get("id").is_none() {
                self.queued.push_back(v);
                continue;
            }
            return Ok(v);
        }
    }

    async fn read_value(&mut self) -> Result<Value, ClientError> {
        loop {
            let msg = tokio::time::timeout(self.timeout, self.ws.next())
                .await
                .map_err(|_| ClientError::Timeout)?;
            match msg {
                Some(Ok(Message::Text(t))) => {
                    return serde_json::from_str(t.as_str())
                        .map_err(|e| ClientError::Protocol(e.to_string()));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Err(ClientError::Closed(
                        frame.map(|f| (u16::from(f.code), f.reason.to_string())),
                    ));
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.into()),
                None => return Err(ClientError::Closed(None)),
            }
        }
    }

    /// Calls a method by name with JSON parameters.
    pub async fn call_raw(&mut self, method: &str, params: Value) -> Result<Value, ClientError> {
        let id = self.next_id;
        self.next_id += 1;
        let req = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        self.ws.send(Message::Text(req.to_string().into())).await?;
        let v = self.read_response().await?;
        if v.get("id") != Some(&json!(id)) {
            return Err(ClientError::Protocol(format!(
                "response for another id: {v}"
            )));
        }
        if let Some(e) = v.get("error") {
            let e: ErrorObject = serde_json::from_value(e.clone())
                .map_err(|e| ClientError::Protocol(e.to_string()))?;
            return Err(ClientError::Rpc(e));
        }
        Ok(v.get("result").cloned().unwrap_or(Value::Null))
    }

    /// Calls a typed method.
    pub async fn call<M: RpcMethod>(&mut self, params: Value) -> Result<Value, ClientError> {
        self.call_raw(M::NAME, params).await
    }

    /// The next notification (queued or from the wire): its `method` and `params`.
    pub async fn next_notification(&mut self) -> Result<(String, Value), ClientError> {
        let v = match self.queued.pop_front() {
            Some(v) => v,
            None => {
                let v = self.read_value().await?;
                if v.get("method").is_none() || v.get("id").is_some() {
                    return Err(ClientError::Protocol(format!("unexpected response: {v}")));
                }
                v
            }
        };
        let method = v
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        Ok((method, v.get("params").cloned().unwrap_or(Value::Null)))
    }

    /// Waits for the next `event` notification and returns the event.
    pub async fn next_event(&mut self) -> Result<Value, ClientError> {
        loop {
            let (method, params) = self.next_notification().await?;
            if method == "event" {
                return Ok(params.get("event").cloned().unwrap_or(Value::Null));
            }
        }
    }

    /// Closes the connection politely.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
