//! The OpenAPI document of the HTTP endpoints, served at `GET /api/v1/openapi.json` and
//! checked in as `docs/openapi.json` (`make schema`; a test fails when they differ).
//!
//! The paths come from the router itself (`http::api_routes`, utoipa-axum): each handler's
//! `#[utoipa::path]` registers both the route and its description, and the bodies are the
//! handlers' own Rust types (`ToSchema`). This module adds what is common to every route:
//! the title and description, the authentication schemes, and the 403 that the Host and
//! Origin checks give on any route.

use crate::http::ErrorBody;
use std::sync::OnceLock;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, RefOr};
use utoipa::{Modify, OpenApi, ToSchema};

const DESCRIPTION: &str = "\
The HTTP endpoints of an Arranger server: sign-in, liveness, metrics, this document, and the \
WebSocket upgrade that carries the API itself.

The API proper is **JSON-RPC 2.0 over the WebSocket at `/api/v1/ws`**; its methods, \
notifications and error codes are described by `docs/protocol.md` and \
`docs/protocol.schema.json` (JSON Schema), not by this document.

Authentication: a token, presented as `Authorization: Bearer <token>`, as the HttpOnly \
cookie `arranger_token` (set by `POST /api/v1/login`), or — for the WebSocket, from browsers \
that cannot set headers — as the subprotocol `bearer.<token>`. Every route refuses (403) a \
`Host` the server does not answer to and a cross-site `Origin`. Any other `GET` outside \
`/api/` serves the web UI; other unknown paths answer 404 with an error body.";

/// The parts of the document that no handler gives.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Arranger HTTP API",
        description = DESCRIPTION,
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "api", description = "The JSON-RPC API over WebSocket (methods: docs/protocol.md)"),
        (name = "auth", description = "Signing in and out"),
        (name = "operations", description = "Liveness, metrics and this document"),
    ),
    components(schemas(ErrorBody)),
    modifiers(&Common),
)]
struct ApiDoc;

struct Common;

impl Modify for Common {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token (`arranger token create`), a login token \
                         (`POST /api/v1/login`) or the single-user token printed at start.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::COOKIE_NAME,
                "The login token, set HttpOnly and SameSite=Strict by `POST /api/v1/login`.",
            ))),
        );
        components.add_security_scheme(
            "subprotocol",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Sec-WebSocket-Protocol",
                "For the WebSocket upgrade only: the value `bearer.<token>` (the server \
                 echoes it as the accepted subprotocol).",
            ))),
        );
    }
}

/// The document's fixed parts, before the router adds its paths.
pub(crate) fn base() -> Document {
    ApiDoc::openapi()
}

/// Adds the Host/Origin refusal every route can give.
fn add_forbidden(op: &mut Operation) {
    let response = ResponseBuilder::new()
        .description(
            "The `Host` is not one this server answers to (DNS rebinding), or the `Origin` \
             is another site's.",
        )
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(Ref::from_schema_name(ErrorBody::name()))))
                .build(),
        )
        .build();
    op.responses
        .responses
        .entry("403".to_owned())
        .or_insert(RefOr::T(response));
}

/// The whole document: every route of the server with its bodies, schemes and errors.
pub fn document() -> Document {
    let (_, mut doc) = crate::http::api_routes().split_for_parts();
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        {
            add_forbidden(op);
        }
    }
    doc
}

/// The document as served and checked in (pretty JSON, with a final newline).
pub fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| match document().to_pretty_json() {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot encode the OpenAPI document");
            String::from("{}\n")
        }
    })
}

#[cfg(test)]
mod tests {
    /// `docs/openapi.json` is generated from the handlers; this fails when it drifts.
    /// Regenerate with `make schema`.
    #[test]
    fn committed_document_matches_the_handlers() {
        let committed: serde_json::Value =
            serde_json::from_str(include_str!("../../../docs/openapi.json")).unwrap();
        let now: serde_json::Value = serde_json::from_str(super::json()).unwrap();
        assert!(
            committed == now,
            "docs/openapi.json is stale: run `make schema`"
        );
    }
}
