//! The admin methods (`admin.*`): users and tokens of a multi-user server, for admins.
//!
//! The caller is the connection's user, as the credentials proved; whether they are an
//! admin is read from the directory at every call, so promoting, demoting or disabling
//! someone takes effect on their next request. Members (and everyone in single-user mode)
//! get `forbidden` before their parameters are even read: they learn nothing.
//!
//! Every action is logged with the actor, the action and the target user — never a
//! password or a token.

use crate::http::AppState;
use crate::rpc::{RpcResult, ok, parse, store_error};
use arranger_protocol::codes;
use arranger_protocol::jsonrpc::ErrorObject;
use arranger_protocol::methods::*;
use arranger_store::{StoreError, User, UserDirectory};
use serde_json::Value;
use std::sync::Arc;

/// Longest token label accepted, in characters.
const MAX_LABEL_CHARS: usize = 100;

fn forbidden(message: String) -> ErrorObject {
    ErrorObject::new(codes::FORBIDDEN, message)
}

fn invalid(message: impl Into<String>) -> ErrorObject {
    ErrorObject::new(codes::INVALID_PARAMS, message)
}

/// Maps a directory error, naming what to do about an unknown user.
fn dir_error(e: StoreError) -> ErrorObject {
    match e {
        StoreError::NotFound { what: "user", id } => ErrorObject::new(
            codes::NOT_FOUND,
            format!("no user named {id:?}; admin.user.list shows the users"),
        ),
        other => store_error(other),
    }
}

/// Runs a directory operation on the blocking pool (it hashes and touches SQLite).
async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, StoreError> + Send + 'static,
) -> Result<R, ErrorObject> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| store_error(StoreError::Worker(e.to_string())))?
        .map_err(dir_error)
}

fn user_out(u: User) -> AdminUser {
    AdminUser {
        id: u.id.to_string(),
        name: u.name,
        is_admin: u.is_admin,
        disabled: u.disabled,
        created_at: u.created_at,
    }
}

fn token_out(t: arranger_store::TokenInfo) -> AdminTokenInfo {
    AdminTokenInfo {
        id: t.id,
        user: t.user,
        kind: match t.kind {
            arranger_store::TokenKind::Api => TokenKind::Api,
            arranger_store::TokenKind::Login => TokenKind::Login,
        },
        label: t.label,
        created_at: t.created_at,
        expires_at: t.expires_at,
        revoked_at: t.revoked_at,
    }
}

/// A slot for password hashing (deliberately slow, two at a time), or `unavailable`.
async fn password_slot(state: &AppState) -> Result<tokio::sync::OwnedSemaphorePermit, ErrorObject> {
    state
        .password_slot()
        .await
        .ok_or_else(|| ErrorObject::new(codes::UNAVAILABLE, "the server is shutting down"))
}

fn check_label(label: &str) -> Result<String, ErrorObject> {
    let label = label.trim();
    if label.is_empty() {
        return Err(invalid(
            "give the token a label (where it will be used, e.g. \"ci\" or \"laptop\") so it can be recognised later",
        ));
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(invalid(format!(
            "the label is too long: use at most {MAX_LABEL_CHARS} characters"
        )));
    }
    if label.chars().any(char::is_control) {
        return Err(invalid("the label must not contain control characters"));
    }
    Ok(label.to_owned())
}

/// The directory and the caller's current record, if the caller is an enabled admin of a
/// multi-user server; `forbidden` otherwise (saying why, naming nobody).
async fn require_admin(
    state: &AppState,
    caller: &User,
    method: &str,
) -> Result<(Arc<dyn UserDirectory>, User), ErrorObject> {
    let Some(dir) = state.directory() else {
        return Err(forbidden(format!(
            "{method} is not available: this server runs in single-user mode, which has no users to manage; start it with --multi-user for users and tokens"
        )));
    };
    let d = dir.clone();
    let name = caller.name.clone();
    let current = blocking(move || d.user_by_name(&name)).await?;
    match current {
        Some(me) if me.id == caller.id && me.is_admin && !me.disabled => Ok((dir, me)),
        _ => {
            tracing::warn!(actor = %caller.name, method, "admin method refused: the caller is not an admin");
            Err(forbidden(format!(
                "{method} is for admins only; ask an admin of this server if you need a user or token changed"
            )))
        }
    }
}

/// Records an admin action in the audit log (and the server log). A failure to write the
/// record is logged loudly; the action itself already happened.
pub(crate) async fn audit(
    state: &AppState,
    actor: &str,
    action: &str,
    target: &str,
    detail: Value,
) {
    tracing::info!(actor, action, target, "admin action");
    let Some(dir) = state.directory() else { return };
    let entry = arranger_domain::AuditEntry::new(actor, action, target).with_detail(detail);
    match tokio::task::spawn_blocking(move || dir.audit(&entry)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            tracing::error!(error = %e, actor, action, target, "cannot write the audit record")
        }
        Err(e) => tracing::error!(error = %e, actor, action, target, "audit writer failed"),
    }
}

/// Records a user's decision on a High-risk tool call (the `toolrun.decide` result) in the
/// audit log: who, which tool and arguments, the decision and its reason.
pub(crate) async fn audit_high_risk(state: &AppState, user: &str, decided: &Value) {
    let run = &decided["run"];
    if run["risk"] != "high" {
        return;
    }
    let detail = serde_json::json!({
        "run": run["id"],
        "task": run["task_id"],
        "tool": run["tool"],
        "args": run["args"],
        "reasons": run["reasons"],
        "decision": run["decision"],
    });
    audit(state, user, "toolrun.high_risk", user, detail).await;
}

/// Runs one admin method for `caller` (the connection's user).
pub async fn dispatch(
    state: &AppState,
    caller: &User,
    method: &str,
    params: Option<Value>,
) -> RpcResult {
    let (dir, me) = require_admin(state, caller, method).await?;
    let actor = me.name.clone();
    match method {
        AdminUserList::NAME => {
            parse::<AdminUserList>(params)?;
            let users = blocking(move || dir.list_users()).await?;
            ok::<AdminUserList>(AdminUserListResult {
                users: users.into_iter().map(user_out).collect(),
            })
        }
        AdminUserCreate::NAME => {
            let p = parse::<AdminUserCreate>(params)?;
            arranger_store::validate_user_name(&p.name).map_err(dir_error)?;
            // The directory refuses a short password (invalid_params, saying the minimum).
            let _slot = password_slot(state).await?;
            let (name, password, is_admin) = (p.name, p.password, p.is_admin);
            let user = blocking(move || dir.add_user(&name, is_admin, Some(&password))).await?;
            audit(
                state,
                &actor,
                "user.create",
                &user.name,
                serde_json::json!({"is_admin": user.is_admin}),
            )
            .await;
            ok::<AdminUserCreate>(user_out(user))
        }
        AdminUserUpdate::NAME => {
            let p = parse::<AdminUserUpdate>(params)?;
            update_user(state, dir, &me, p).await
        }
        AdminTokenList::NAME => {
            let p = parse::<AdminTokenList>(params)?;
            let tokens = blocking(move || dir.list_tokens(&p.user)).await?;
            ok::<AdminTokenList>(AdminTokenListResult {
                tokens: tokens.into_iter().map(token_out).collect(),
            })
        }
        AdminTokenCreate::NAME => {
            let p = parse::<AdminTokenCreate>(params)?;
            let label = check_label(&p.label)?;
            let user = p.user;
            let (info, token) = blocking(move || {
                dir.create_token(&user, arranger_store::TokenKind::Api, &label, None)
            })
            .await?;
            audit(
                state,
                &actor,
                "token.create",
                &info.user,
                serde_json::json!({"token_id": info.id, "label": info.label}),
            )
            .await;
            ok::<AdminTokenCreate>(AdminTokenCreateResult {
                token,
                info: token_out(info),
            })
        }
        AdminTokenRevoke::NAME => {
            let p = parse::<AdminTokenRevoke>(params)?;
            let id = p.id;
            let (info, revoked) = blocking(move || {
                let Some(info) = dir.token_info(&id)? else {
                    return Ok((None, false));
                };
                let revoked = dir.revoke_token(&info.id)?;
                Ok((Some(info), revoked))
            })
            .await?;
            let Some(info) = info else {
                return Err(ErrorObject::new(
                    codes::NOT_FOUND,
                    "no token with this id; admin.token.list {\"user\": …} shows a user's token ids",
                ));
            };
            if revoked {
                state.sweep_revoked().await;
            }
            audit(
                state,
                &actor,
                "token.revoke",
                &info.user,
                serde_json::json!({"token_id": info.id, "revoked": revoked}),
            )
            .await;
            ok::<AdminTokenRevoke>(AdminTokenRevokeResult { revoked })
        }
        AdminLimitsGet::NAME => {
            let p = parse::<AdminLimitsGet>(params)?;
            limits_result(state, dir, p.user)
                .await
                .and_then(ok::<AdminLimitsGet>)
        }
        AdminLimitsSet::NAME => {
            let p = parse::<AdminLimitsSet>(params)?;
            p.limits.quotas.validate().map_err(invalid)?;
            let governor = state.governor().clone();
            match &p.user {
                Some(name) => {
                    if p.caps.is_some() {
                        return Err(invalid(
                            "caps are the server's, not a user's: set them without \"user\"",
                        ));
                    }
                    let (d, n) = (dir.clone(), name.clone());
                    let user = blocking(move || d.user_by_name(&n)).await?.ok_or_else(|| {
                        dir_error(StoreError::NotFound {
                            what: "user",
                            id: name.clone(),
                        })
                    })?;
                    governor
                        .set_user_limits(&user.id, p.limits.clone())
                        .await
                        .map_err(dir_error)?;
                    audit(
                        state,
                        &actor,
                        "limits.set",
                        name,
                        serde_json::to_value(&p.limits).unwrap_or(Value::Null),
                    )
                    .await;
                }
                None => {
                    let caps = match p.caps {
                        Some(c) => {
                            c.validate().map_err(invalid)?;
                            c
                        }
                        None => governor.server_limits().1,
                    };
                    let detail = serde_json::json!({"defaults": &p.limits, "caps": &caps});
                    governor
                        .set_server_limits(p.limits.clone(), caps)
                        .await
                        .map_err(dir_error)?;
                    audit(state, &actor, "limits.set", "server", detail).await;
                }
            }
            limits_result(state, dir, p.user)
                .await
                .and_then(ok::<AdminLimitsSet>)
        }
        AdminAuditList::NAME => {
            let p = parse::<AdminAuditList>(params)?;
            let query = arranger_store::AuditQuery {
                before: p.before,
                actor: p.actor,
                action_prefix: p.action,
                limit: p
                    .limit
                    .unwrap_or(100)
                    .clamp(1, arranger_store::MAX_AUDIT_PAGE),
            };
            let records = blocking(move || dir.audit_list(&query)).await?;
            ok::<AdminAuditList>(AdminAuditListResult { records })
        }
        other => Err(ErrorObject::new(
            codes::METHOD_NOT_FOUND,
            format!("no method {other:?}; server.info lists the methods this server answers"),
        )),
    }
}

/// The server's limits, caps and spending, and one user's when `user` names one.
async fn limits_result(
    state: &AppState,
    dir: Arc<dyn UserDirectory>,
    user: Option<String>,
) -> Result<AdminLimitsGetResult, ErrorObject> {
    let governor = state.governor().clone();
    let (defaults, caps) = governor.server_limits();
    let (server_today, server_month) = governor.server_spend();
    let user = match user {
        None => None,
        Some(name) => {
            let g = governor.clone();
            Some(
                blocking(move || {
                    let Some(u) = dir.user_by_name(&name)? else {
                        return Err(StoreError::NotFound {
                            what: "user",
                            id: name,
                        });
                    };
                    let (overrides, effective) = g.user_limits(&u.id)?;
                    let (today, month, _) = g.user_spend(&u.id)?;
                    Ok(AdminUserLimits {
                        name: u.name,
                        overrides,
                        effective,
                        today,
                        month,
                    })
                })
                .await?,
            )
        }
    };
    Ok(AdminLimitsGetResult {
        defaults,
        caps,
        server_today,
        server_month,
        user,
    })
}

/// `admin.user.update`: every check first, then the changes (password, role, disabled).
async fn update_user(
    state: &AppState,
    dir: Arc<dyn UserDirectory>,
    me: &User,
    p: AdminUserUpdateParams,
) -> RpcResult {
    if p.disabled.is_none() && p.is_admin.is_none() && p.password.is_none() {
        return Err(invalid(
            "nothing to change: give \"disabled\", \"is_admin\" or \"password\"",
        ));
    }
    if p.name == me.name && p.disabled == Some(true) {
        return Err(ErrorObject::new(
            codes::CONFLICT,
            "you cannot disable yourself: the server must not be left without an admin; another admin can do it",
        ));
    }
    if p.name == me.name && p.is_admin == Some(false) {
        return Err(ErrorObject::new(
            codes::CONFLICT,
            "you cannot revoke your own admin rights: the server must not be left without an admin; another admin can do it",
        ));
    }
    let name = p.name.clone();
    let d = dir.clone();
    if blocking(move || d.user_by_name(&name)).await?.is_none() {
        return Err(dir_error(StoreError::NotFound {
            what: "user",
            id: p.name,
        }));
    }
    let actor = me.name.clone();
    if let Some(password) = p.password {
        // Applied first: a password the directory refuses leaves everything unchanged.
        let _slot = password_slot(state).await?;
        let (d, name) = (dir.clone(), p.name.clone());
        blocking(move || d.set_password(&name, &password)).await?;
        // Browsers signed in with the old password are signed out now.
        state.sweep_revoked().await;
        audit(state, &actor, "user.password", &p.name, Value::Null).await;
    }
    if let Some(is_admin) = p.is_admin {
        let (d, name) = (dir.clone(), p.name.clone());
        blocking(move || d.set_admin(&name, is_admin)).await?;
        let action = if is_admin {
            "user.make_admin"
        } else {
            "user.revoke_admin"
        };
        audit(state, &actor, action, &p.name, Value::Null).await;
    }
    if let Some(disabled) = p.disabled {
        let (d, name) = (dir.clone(), p.name.clone());
        blocking(move || d.set_disabled(&name, disabled)).await?;
        if disabled {
            // Their open connections close now, not at the next poll.
            state.sweep_revoked().await;
        }
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        audit(state, &actor, action, &p.name, Value::Null).await;
    }
    let name = p.name.clone();
    let user = blocking(move || dir.user_by_name(&name))
        .await?
        .ok_or_else(|| {
            dir_error(StoreError::NotFound {
                what: "user",
                id: p.name,
            })
        })?;
    ok::<AdminUserUpdate>(user_out(user))
}
