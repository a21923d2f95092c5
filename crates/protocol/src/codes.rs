//! JSON-RPC error codes. The standard ones, then Arranger's own in -32000..-32099.

/// The frame is not valid JSON.
pub const PARSE_ERROR: i64 = -32700;
/// The JSON is not a valid JSON-RPC 2.0 request.
pub const INVALID_REQUEST: i64 = -32600;
/// No such method.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// The parameters do not match the method's schema or are not acceptable.
pub const INVALID_PARAMS: i64 = -32602;
/// A fault in the server; the message says what failed, never another user's data.
pub const INTERNAL_ERROR: i64 = -32603;
/// The named thing does not exist for this user (another user's ids answer this too).
pub const NOT_FOUND: i64 = -32001;
/// The request conflicts with the current state (already exists, archived, …).
pub const CONFLICT: i64 = -32002;
/// A path would resolve outside the user's workspace.
pub const PATH_OUTSIDE_WORKSPACE: i64 = -32003;
/// The user's request rate limit is exceeded; `data.retry_after_ms` says when to retry.
pub const RATE_LIMITED: i64 = -32004;
/// The task state machine does not allow this change.
pub const INVALID_TRANSITION: i64 = -32005;
/// A payload is larger than allowed.
pub const TOO_LARGE: i64 = -32006;
/// The connection's credentials are no longer valid (revoked token, disabled user).
pub const UNAUTHORIZED: i64 = -32007;
/// The server is shutting down or overloaded; retry later.
pub const UNAVAILABLE: i64 = -32008;

/// A tool ran and reported an error (an MCP tool's own failure); the message is the tool's.
pub const TOOL_ERROR: i64 = -32009;

/// The caller may not do this: admin methods for members, or in single-user mode, or a
/// capability (terminals, MCP, commands) an admin denied the user. The message says why;
/// it never names other users.
pub const FORBIDDEN: i64 = -32010;

/// A quota, budget or cap is reached; the message says which limit, how much is used and
/// when it resets, and `data` is the `QuotaExceeded` record (`limit`, `scope`, `used`,
/// `max`, `resets_at`).
pub const QUOTA_EXCEEDED: i64 = -32011;

/// Every code with its name and meaning, for the schema and the docs.
pub const ALL: &[(i64, &str, &str)] = &[
    (PARSE_ERROR, "parse_error", "The frame is not valid JSON."),
    (
        INVALID_REQUEST,
        "invalid_request",
        "The JSON is not a valid JSON-RPC 2.0 request.",
    ),
    (METHOD_NOT_FOUND, "method_not_found", "No such method."),
    (
        INVALID_PARAMS,
        "invalid_params",
        "The parameters do not match the method's schema or are not acceptable.",
    ),
    (INTERNAL_ERROR, "internal_error", "A fault in the server."),
    (
        NOT_FOUND,
        "not_found",
        "The named thing does not exist for this user.",
    ),
    (
        CONFLICT,
        "conflict",
        "The request conflicts with the current state.",
    ),
    (
        PATH_OUTSIDE_WORKSPACE,
        "path_outside_workspace",
        "A path would resolve outside the user's workspace.",
    ),
    (
        RATE_LIMITED,
        "rate_limited",
        "The user's request rate limit is exceeded; data.retry_after_ms says when to retry.",
    ),
    (
        INVALID_TRANSITION,
        "invalid_transition",
        "The task state machine does not allow this change.",
    ),
    (TOO_LARGE, "too_large", "A payload is larger than allowed."),
    (
        UNAUTHORIZED,
        "unauthorized",
        "The connection's credentials are no longer valid.",
    ),
    (
        UNAVAILABLE,
        "unavailable",
        "The server is shutting down or overloaded; retry later.",
    ),
    (
        TOOL_ERROR,
        "tool_error",
        "A tool ran and reported an error; the message is the tool's.",
    ),
    (
        FORBIDDEN,
        "forbidden",
        "The caller may not do this: admins only, or a capability an admin denied the user.",
    ),
    (
        QUOTA_EXCEEDED,
        "quota_exceeded",
        "A quota, budget or cap is reached; data says which, how much is used and when it resets.",
    ),
];
