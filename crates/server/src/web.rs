//! The web UI, built from `web/` by Vite and embedded in the binary (rust-embed), served
//! at `/` by the same process as the API.
//!
//! Paths that name a built file are served with its type and an ETag; hashed assets
//! (`/assets/…`) are cached for a year, everything else is revalidated. Any other `GET`
//! outside the API gets `index.html`, so the UI's own routes (`/tasks`, `/config`, …)
//! survive a reload. Responses carry a Content-Security-Policy that allows only the
//! server's own scripts, styles and WebSocket.

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::path::{Component, Path};

/// The built UI (`web/dist`). A binary built before `npm run build` has none and says so.
#[derive(RustEmbed)]
#[folder = "../../web/dist"]
#[allow_missing = true]
struct Assets;

/// The policy for every UI response: nothing from elsewhere, no framing, no inline script.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Whether a path belongs to the API rather than the UI.
fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path == "/api" || path == "/metrics" || path == "/healthz"
}

/// A built file: its bytes, type and content hash.
struct File {
    /// Borrowed from the binary for the embedded UI: served without a copy.
    data: Cow<'static, [u8]>,
    mime: String,
    hash: [u8; 32],
}

/// The file at a UI path (no leading `/`), from `dir` when the server was told to serve
/// the UI from disk, else from the binary.
fn get(dir: Option<&Path>, path: &str) -> Option<File> {
    match dir {
        None => Assets::get(path).map(|f| File {
            mime: f.metadata.mimetype().to_owned(),
            hash: f.metadata.sha256_hash(),
            data: f.data,
        }),
        Some(dir) => {
            // Only plain names: no `..`, no absolute parts, nothing outside `dir`.
            let rel = Path::new(path);
            if path.is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
                return None;
            }
            let data = std::fs::read(dir.join(rel)).ok()?;
            let mime = mime_guess::from_path(rel)
                .first_or_octet_stream()
                .essence_str()
                .to_owned();
            Some(File {
                hash: Sha256::digest(&data).into(),
                data: Cow::Owned(data),
                mime,
            })
        }
    }
}

/// Serves a UI file, or `index.html` for the UI's routes. `None` for paths that are not
/// the UI's (the caller answers with the API's JSON 404).
pub fn serve(
    dir: Option<&Path>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Option<Response> {
    if (method != Method::GET && method != Method::HEAD) || is_api(uri.path()) {
        return None;
    }
    let path = uri.path().trim_start_matches('/');
    let (name, file) = match get(dir, path) {
        Some(f) if !path.is_empty() => (path, f),
        _ => {
            // A missing hashed asset is a stale page asking for an old build: 404, not HTML.
            if path.starts_with("assets/") {
                return Some(
                    (
                        StatusCode::NOT_FOUND,
                        "this file is not part of the UI any more; reload the page",
                    )
                        .into_response(),
                );
            }
            match get(dir, "index.html") {
                Some(f) => ("index.html", f),
                None => return Some(not_built()),
            }
        }
    };
    let etag = format!("\"{}\"", hex::encode(&file.hash[..16]));
    let mut out = HeaderMap::new();
    let put = |h: &mut HeaderMap, k: header::HeaderName, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(k, v);
        }
    };
    put(&mut out, header::CONTENT_TYPE, &file.mime);
    put(&mut out, header::ETAG, &etag);
    put(
        &mut out,
        header::CACHE_CONTROL,
        if name.starts_with("assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        },
    );
    put(&mut out, header::CONTENT_SECURITY_POLICY, CSP);
    put(&mut out, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    put(&mut out, header::REFERRER_POLICY, "no-referrer");
    put(&mut out, header::X_FRAME_OPTIONS, "DENY");
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if fresh {
        return Some((StatusCode::NOT_MODIFIED, out).into_response());
    }
    Some((StatusCode::OK, out, file.data).into_response())
}

fn not_built() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "The web UI is not built into this binary. Build it with `make web` (or start the \
         server with `make run`, which builds it), then rebuild the server. The API is at \
         /api/v1/ws.\n",
    )
        .into_response()
}
