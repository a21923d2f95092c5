//! The wire protocol of Arranger: JSON-RPC 2.0 over WebSocket.
//!
//! **API boundary.** Everything a client sees is defined here, as Rust types: the
//! envelopes ([`jsonrpc`]), every method's parameters and result ([`methods`]), the
//! notifications ([`notifications`]) and the error codes ([`codes`]). The JSON Schema in
//! `docs/protocol.schema.json` and the UI's TypeScript types are generated from these
//! types ([`schema::document`]); nothing is typed twice.

pub mod codes;
pub mod jsonrpc;
pub mod methods;
pub mod notifications;
pub mod schema;
pub mod typescript;

pub use methods::RpcMethod;
