//! JSON-RPC method dispatch: typed parameters in, typed results out, errors mapped to
//! codes with messages that say what was wrong.

use crate::sessions::SessionContext;
use arranger_domain::{Author, DecisionKind, TaskStatus, UserCommand};
use arranger_host::HostError;
use arranger_host::fs::{FsError, WriteOptions};
use arranger_protocol::codes;
use arranger_protocol::jsonrpc::ErrorObject;
use arranger_protocol::methods::*;
use arranger_store::{NewTask, StoreError};
use base64::Engine;
use serde_json::Value;
use std::sync::Arc;

pub(crate) type RpcResult = Result<Value, ErrorObject>;

pub(crate) fn parse<M: RpcMethod>(params: Option<Value>) -> Result<M::Params, ErrorObject> {
    let v = match params {
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(v @ Value::Object(_)) => v,
        Some(_) => {
            return Err(ErrorObject::new(
                codes::INVALID_PARAMS,
                format!(
                    "params of {} must be an object (by-name parameters)",
                    M::NAME
                ),
            ));
        }
    };
    serde_json::from_value(v).map_err(|e| {
        ErrorObject::new(
            codes::INVALID_PARAMS,
            format!("invalid params for {}: {e}", M::NAME),
        )
    })
}

pub(crate) fn ok<M: RpcMethod>(r: M::Result) -> RpcResult {
    serde_json::to_value(r)
        .map_err(|e| internal(&format!("cannot encode the result of {}: {e}", M::NAME)))
}

fn internal(detail: &str) -> ErrorObject {
    let incident = uuid::Uuid::now_v7().simple().to_string();
    tracing::error!(incident = %incident, detail, "internal error");
    ErrorObject::new(
        codes::INTERNAL_ERROR,
        format!("internal error; the server log has the details under incident {incident}"),
    )
}

/// Maps a store error to a JSON-RPC error. Internal failures are logged, not shown.
pub fn store_error(e: StoreError) -> ErrorObject {
    match e {
        StoreError::NotFound { .. } => ErrorObject::new(codes::NOT_FOUND, e.to_string()),
        StoreError::Invalid(m) => ErrorObject::new(codes::INVALID_PARAMS, m),
        StoreError::Conflict(m) => ErrorObject::new(codes::CONFLICT, m),
        StoreError::Transition(t) => ErrorObject::new(codes::INVALID_TRANSITION, t.to_string())
            .with_data(serde_json::json!({ "from": t.from, "to": t.to })),
        other => internal(&other.to_string()),
    }
}

/// Maps a host error to a JSON-RPC error.
pub fn host_error(e: HostError) -> ErrorObject {
    match e {
        HostError::Store(s) => store_error(s),
        HostError::Invalid(m) => ErrorObject::new(codes::INVALID_PARAMS, m),
        HostError::NotFound(m) => ErrorObject::new(codes::NOT_FOUND, m),
        HostError::Unavailable(m) => ErrorObject::new(codes::UNAVAILABLE, m),
        HostError::Fs(f) => {
            let code = match &f {
                FsError::InvalidPath { .. } => codes::INVALID_PARAMS,
                FsError::OutsideWorkspace { .. } => codes::PATH_OUTSIDE_WORKSPACE,
                FsError::NotFound { .. } => codes::NOT_FOUND,
                FsError::TooLarge { .. } => codes::TOO_LARGE,
                FsError::Io { .. } => return internal(&f.to_string()),
                _ => codes::CONFLICT,
            };
            ErrorObject::new(code, f.to_string())
        }
        HostError::Quota(q) => quota_error(&q),
        HostError::Forbidden(m) => ErrorObject::new(codes::FORBIDDEN, m),
        other => internal(&other.to_string()),
    }
}

/// A reached quota as a JSON-RPC error: the message for people, the record as `data`.
pub fn quota_error(q: &arranger_domain::QuotaExceeded) -> ErrorObject {
    crate::metrics::quota_rejected(q.limit.as_str());
    ErrorObject::new(codes::QUOTA_EXCEEDED, q.message())
        .with_data(serde_json::to_value(q).unwrap_or(Value::Null))
}

/// `quota.get`: the caller's effective limits and what they use of them.
pub(crate) async fn quota_get(
    governor: &Arc<crate::governor::Governor>,
    ctx: &Arc<SessionContext>,
    params: Option<Value>,
) -> RpcResult {
    parse::<QuotaGet>(params)?;
    let (g, host, user) = (governor.clone(), ctx.host.clone(), ctx.user.id.clone());
    let (storage_bytes, spend) =
        tokio::task::spawn_blocking(move || (host.storage_used(), g.user_spend(&user)))
            .await
            .map_err(|e| internal(&e.to_string()))?;
    let (today, month, period) = spend.map_err(store_error)?;
    let terminals = ctx.host.terminal_list().map_err(host_error)?.len() as u32;
    ok::<QuotaGet>(QuotaGetResult {
        limits: (*ctx.host.limits().get()).clone(),
        usage: QuotaUsage {
            storage_bytes,
            terminals,
            today,
            month,
            day_resets_at: period.day_ends,
            month_resets_at: period.month_ends,
        },
    })
}

/// Maps an MCP error to a JSON-RPC error.
pub fn mcp_error(e: arranger_mcp::McpError) -> ErrorObject {
    use arranger_mcp::McpError as E;
    match e {
        E::NotFound(m) => ErrorObject::new(codes::NOT_FOUND, m),
        E::Invalid(m) => ErrorObject::new(codes::INVALID_PARAMS, m),
        E::Limit(m) => ErrorObject::new(codes::CONFLICT, m),
        E::Unavailable(m) | E::Timeout(m) => ErrorObject::new(codes::UNAVAILABLE, m),
        E::Tool(m) => ErrorObject::new(codes::TOOL_ERROR, m),
        E::Store(s) => store_error(s),
        E::Quota(q) => quota_error(&q),
        E::Forbidden(m) => ErrorObject::new(codes::FORBIDDEN, m),
        other => internal(&other.to_string()),
    }
}

fn terminal_info(t: arranger_host::terminal::TerminalInfo) -> TerminalInfo {
    TerminalInfo {
        id: t.id,
        cwd: t.cwd,
        cols: t.cols,
        rows: t.rows,
        created_at: t.created_at,
        exited: t.exit_code.map(|code| TerminalExited { code }),
    }
}

fn decode(content: String, encoding: Encoding) -> Result<Vec<u8>, ErrorObject> {
    match encoding {
        Encoding::Utf8 => Ok(content.into_bytes()),
        Encoding::Base64 => base64::engine::general_purpose::STANDARD
            .decode(content.as_bytes())
            .map_err(|e| {
                ErrorObject::new(
                    codes::INVALID_PARAMS,
                    format!("content is not valid base64: {e}"),
                )
            }),
    }
}

/// Refuses an agent change that would only fail later: a provider the user does not
/// have (and the server's is not), tags or scenes that are not single words.
async fn check_agent_update(
    ctx: &Arc<SessionContext>,
    p: &AgentUpdateParams,
) -> Result<(), ErrorObject> {
    for word in p.capabilities.iter().chain(p.scenes.iter()).flatten() {
        if word.is_empty() || word.len() > 40 || word.chars().any(char::is_whitespace) {
            return Err(ErrorObject::new(
                codes::INVALID_PARAMS,
                format!(
                    "tags and scenes are single words of 1–40 characters without spaces, not {word:?}"
                ),
            ));
        }
    }
    let Some(provider) = p
        .model
        .as_ref()
        .and_then(|m| m.provider.as_deref())
        .filter(|n| !n.is_empty())
    else {
        return Ok(());
    };
    let server = ctx.team.services().default_provider.as_deref();
    let config = ctx.store.get_config().await.map_err(store_error)?;
    if server == Some(provider) || config.providers.iter().any(|x| x.name == provider) {
        return Ok(());
    }
    let mut names: Vec<&str> = config.providers.iter().map(|x| x.name.as_str()).collect();
    names.extend(server);
    Err(ErrorObject::new(
        codes::INVALID_PARAMS,
        if names.is_empty() {
            format!(
                "no provider is named {provider:?}: add one with config.set, or leave the provider out to use the default"
            )
        } else {
            format!(
                "no provider is named {provider:?}; yours: {}. Add one with config.set, or leave the provider out to use the default",
                names.join(", ")
            )
        },
    ))
}

/// Runs one method for the context's user. The caller has already entered the user's
/// context (`with_user`). `events.subscribe`/`unsubscribe` are handled by the connection.
pub async fn dispatch(
    ctx: &Arc<SessionContext>,
    mode: &str,
    method: &str,
    params: Option<Value>,
) -> RpcResult {
    let host = &ctx.host;
    let store = host.store().map_err(host_error)?;
    macro_rules! call {
        ($m:ty, |$p:ident| $body:expr) => {{
            let $p = parse::<$m>(params)?;
            ok::<$m>($body)
        }};
    }
    match method {
        ServerInfoMethod::NAME => call!(ServerInfoMethod, |_p| ServerInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            mode: mode.to_owned(),
            user: UserInfo {
                id: ctx.user.id.to_string(),
                name: ctx.user.name.clone(),
                is_admin: ctx.user.is_admin,
            },
            methods: NAMES.iter().map(|s| (*s).to_owned()).collect(),
            last_seq: store.last_seq().await.map_err(store_error)?,
        }),
        FsRead::NAME => call!(FsRead, |p| {
            let data = host.read(p.path).await.map_err(host_error)?;
            let size = data.len() as u64;
            let content = match p.encoding {
                Encoding::Utf8 => String::from_utf8(data).map_err(|_| {
                    ErrorObject::new(
                        codes::INVALID_PARAMS,
                        "the file is not valid UTF-8; read it with \"encoding\": \"base64\"",
                    )
                })?,
                Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode(&data),
            };
            FsReadResult {
                content,
                encoding: p.encoding,
                size,
            }
        }),
        FsWrite::NAME => call!(FsWrite, |p| {
            let data = decode(p.content, p.encoding)?;
            let opts = WriteOptions {
                create_parents: p.create_parents,
                overwrite: p.overwrite,
            };
            host.write(p.path, data, opts).await.map_err(host_error)?
        }),
        FsStat::NAME => call!(FsStat, |p| host.stat(p.path).await.map_err(host_error)?),
        FsList::NAME => call!(FsList, |p| FsListResult {
            entries: host.list(p.path).await.map_err(host_error)?
        }),
        FsMkdir::NAME => call!(FsMkdir, |p| host
            .mkdir(p.path, p.recursive)
            .await
            .map_err(host_error)?),
        FsDelete::NAME => call!(FsDelete, |p| {
            host.delete(p.path, p.recursive).await.map_err(host_error)?;
            Empty {}
        }),
        FsRename::NAME => call!(FsRename, |p| host
            .rename(p.from, p.to, p.overwrite)
            .await
            .map_err(host_error)?),
        StateGet::NAME => call!(StateGet, |p| StateGetResult {
            value: store.state_get(p.scope, p.key).await.map_err(store_error)?
        }),
        StateSet::NAME => call!(StateSet, |p| StateSetResult {
            seq: store
                .state_set(p.scope, p.key, p.value)
                .await
                .map_err(store_error)?
        }),
        StateDelete::NAME => call!(StateDelete, |p| DeletedResult {
            deleted: store
                .state_delete(p.scope, p.key)
                .await
                .map_err(store_error)?
        }),
        StateKeys::NAME => call!(StateKeys, |p| StateKeysResult {
            keys: store.state_keys(p.scope).await.map_err(store_error)?
        }),
        CommandRegister::NAME => call!(CommandRegister, |p| {
            host.register_command(UserCommand {
                id: p.id,
                title: p.title,
                action: p.action,
            })
            .await
            .map_err(host_error)?;
            Empty {}
        }),
        CommandUnregister::NAME => call!(CommandUnregister, |p| DeletedResult {
            deleted: store.unregister_command(p.id).await.map_err(store_error)?
        }),
        CommandList::NAME => call!(CommandList, |_p| {
            let mut commands: Vec<CommandInfo> = arranger_host::BUILTINS
                .iter()
                .map(|b| CommandInfo {
                    id: b.id.into(),
                    title: b.title.into(),
                    builtin: true,
                    action: None,
                })
                .collect();
            for c in store.list_commands().await.map_err(store_error)? {
                commands.push(CommandInfo {
                    id: c.id,
                    title: c.title,
                    builtin: false,
                    action: Some(c.action),
                });
            }
            CommandListResult { commands }
        }),
        CommandExecute::NAME => call!(CommandExecute, |p| CommandExecuteResult {
            result: host
                .execute_command(&p.id, p.args)
                .await
                .map_err(host_error)?
        }),
        SessionCreate::NAME => call!(SessionCreate, |p| store
            .create_session(p.title)
            .await
            .map_err(store_error)?),
        SessionList::NAME => call!(SessionList, |p| SessionListResult {
            sessions: store
                .list_sessions(p.include_archived)
                .await
                .map_err(store_error)?
        }),
        SessionRename::NAME => call!(SessionRename, |p| store
            .rename_session(p.id, p.title)
            .await
            .map_err(store_error)?),
        SessionArchive::NAME => call!(SessionArchive, |p| store
            .set_archived(p.id, p.archived)
            .await
            .map_err(store_error)?),
        BlackboardPost::NAME => call!(BlackboardPost, |p| {
            let out = store
                .post_message(p.session, Author::User, p.text)
                .await
                .map_err(store_error)?;
            BlackboardPostResult {
                message: out.message,
                task: out.task,
            }
        }),
        BlackboardHistory::NAME => call!(BlackboardHistory, |p| {
            let limit = p.limit.unwrap_or(50).clamp(1, 500) as usize;
            let (messages, has_more) = store
                .history(p.session, p.before, limit)
                .await
                .map_err(store_error)?;
            BlackboardHistoryResult { messages, has_more }
        }),
        TaskCreate::NAME => call!(TaskCreate, |p| store
            .create_task(NewTask {
                session: p.session,
                title: p.title,
                description: p.description,
                priority: p.priority,
                difficulty: p.difficulty,
                needs: arranger_domain::Needs {
                    scene: p.scene,
                    tags: p.tags
                },
                ..NewTask::new(String::new())
            })
            .await
            .map_err(store_error)?),
        TaskList::NAME => call!(TaskList, |p| TaskListResult {
            tasks: store
                .list_tasks(p.session, p.status)
                .await
                .map_err(store_error)?
        }),
        TaskGet::NAME => call!(TaskGet, |p| {
            let (task, history) = store.get_task(p.id).await.map_err(store_error)?;
            TaskGetResult { task, history }
        }),
        TaskCancel::NAME => call!(TaskCancel, |p| {
            let reason = Some(p.reason.unwrap_or_else(|| "cancelled by the user".into()));
            ctx.team.stop_task(&p.id);
            store
                .transition_task(p.id, TaskStatus::Failed, reason)
                .await
                .map_err(store_error)?
        }),
        TaskRetry::NAME => call!(TaskRetry, |p| store
            .transition_task(
                p.id,
                TaskStatus::Pending,
                Some("retried by the user".into())
            )
            .await
            .map_err(store_error)?),
        EventsList::NAME => call!(EventsList, |p| {
            let limit = p.limit.unwrap_or(100).clamp(1, 1000) as usize;
            EventsListResult {
                events: store
                    .events_after(p.since, limit)
                    .await
                    .map_err(store_error)?,
            }
        }),
        AgentListMethod::NAME => call!(AgentListMethod, |_p| AgentListResult {
            agents: store.list_agents().await.map_err(store_error)?
        }),
        AgentUpdate::NAME => call!(AgentUpdate, |p| {
            check_agent_update(ctx, &p).await?;
            store
                .update_agent(
                    p.id,
                    arranger_store::AgentPatch {
                        name: p.name,
                        description: p.description,
                        capabilities: p.capabilities,
                        scenes: p.scenes,
                        model: p.model,
                        enabled: p.enabled,
                    },
                )
                .await
                .map_err(store_error)?
        }),
        TaskRecord::NAME => call!(TaskRecord, |p| {
            // Resolves the task first, so another user's id answers "not found".
            let (task, _) = store.get_task(p.id.clone()).await.map_err(store_error)?;
            let owner = |a| arranger_store::StepOwner::task(task.id.clone(), a);
            let any_agent = arranger_domain::AgentId::new("");
            let steps = store
                .steps(owner(any_agent.clone()))
                .await
                .map_err(store_error)?;
            let assists = store.assists(task.id.clone()).await.map_err(store_error)?;
            let mut assist_steps = Vec::new();
            for a in &assists {
                let o = arranger_store::StepOwner::assist(
                    task.id.clone(),
                    a.id.clone(),
                    any_agent.clone(),
                );
                assist_steps.extend(store.steps(o).await.map_err(store_error)?);
            }
            TaskRecordResult {
                steps,
                tool_runs: store
                    .tool_runs(task.id.clone())
                    .await
                    .map_err(store_error)?,
                assists,
                assist_steps,
            }
        }),
        AgentChat::NAME => call!(AgentChat, |p| {
            let reply = ctx.team.chat(&p.agent, p.text).await.map_err(|e| match e {
                arranger_team::ChatError::UnknownAgent(_) => {
                    ErrorObject::new(codes::NOT_FOUND, e.to_string())
                }
                arranger_team::ChatError::Invalid(m) => ErrorObject::new(codes::INVALID_PARAMS, m),
                arranger_team::ChatError::NoAnswer(m) => ErrorObject::new(codes::UNAVAILABLE, m),
                arranger_team::ChatError::Store(s) => store_error(s),
            })?;
            AgentChatResult { reply }
        }),
        AgentHistory::NAME => call!(AgentHistory, |p| {
            let limit = p.limit.unwrap_or(200).clamp(1, 2000) as usize;
            let (steps, has_more) =
                ctx.team
                    .chat_history(&p.agent, limit)
                    .await
                    .map_err(|e| match e {
                        arranger_team::ChatError::Store(s) => store_error(s),
                        other => ErrorObject::new(codes::NOT_FOUND, other.to_string()),
                    })?;
            AgentHistoryResult { steps, has_more }
        }),
        IndexStatusMethod::NAME => call!(IndexStatusMethod, |_p| index(ctx)?.status()),
        IndexSearch::NAME => call!(IndexSearch, |p| {
            let ix = index(ctx)?;
            // An empty query is the index's to refuse (BadQuery → invalid params).
            if p.query.len() > 4096 {
                return Err(ErrorObject::new(
                    codes::INVALID_PARAMS,
                    "query is longer than 4096 bytes: ask more briefly",
                ));
            }
            let partial = !ix.is_ready();
            let r = ix
                .search(arranger_context::SearchRequest {
                    query: p.query,
                    k: p.k.unwrap_or(10).clamp(1, 50) as usize,
                    budget_tokens: p.budget_tokens.unwrap_or(4000).clamp(100, 32_000) as usize,
                    seed_paths: p.paths,
                    memory: p.memory.unwrap_or(true),
                })
                .await
                .map_err(index_error)?;
            IndexSearchResult {
                snippets: r.snippets,
                tokens: r.tokens,
                truncated: r.truncated,
                partial,
            }
        }),
        IndexSymbols::NAME => call!(IndexSymbols, |p| {
            let ix = index(ctx)?;
            if p.query.trim().is_empty() || p.query.len() > 256 {
                return Err(ErrorObject::new(
                    codes::INVALID_PARAMS,
                    "query must be a symbol name of 1 to 256 bytes",
                ));
            }
            let limit = p.limit.unwrap_or(50).clamp(1, 500) as usize;
            IndexSymbolsResult {
                symbols: ix.symbols(p.query, p.mode, limit).await,
            }
        }),
        ConfigGet::NAME => call!(ConfigGet, |_p| store
            .get_config()
            .await
            .map_err(store_error)?),
        ConfigSet::NAME => call!(ConfigSet, |p| {
            if ctx.team.services().pool.users_public_only() {
                for url in p
                    .providers
                    .iter()
                    .flatten()
                    .filter_map(|p| p.base_url.as_deref())
                {
                    arranger_net::check_url(url)
                        .map_err(|m| ErrorObject::new(codes::INVALID_PARAMS, m))?;
                }
            }
            let update = arranger_store::ConfigUpdate {
                providers: p.providers.map(|ps| {
                    ps.into_iter()
                        .map(|p| arranger_store::ProviderInput {
                            name: p.name,
                            kind: p.kind,
                            base_url: p.base_url,
                            model: p.model,
                            api_key: p.api_key,
                        })
                        .collect()
                }),
                default_provider: p
                    .default_provider
                    .map(|d| Some(d).filter(|d| !d.is_empty())),
                network: p.network,
            };
            let cfg = store
                .set_config(update, ctx.team.services().secrets.clone())
                .await
                .map_err(store_error)?;
            host.set_network(cfg.network);
            cfg
        }),
        UsageGet::NAME => call!(UsageGet, |p| {
            let days = store
                .daily_usage(p.days.unwrap_or(30).clamp(1, 366))
                .await
                .map_err(store_error)?;
            let today_date =
                arranger_domain::date_of_day(arranger_domain::day_of(arranger_store::now_ms()));
            let mut today = arranger_domain::Usage::default();
            for d in days.iter().filter(|d| d.date == today_date) {
                today.add(d.usage);
            }
            UsageGetResult { today, days }
        }),
        LlmStatus::NAME => call!(LlmStatus, |_p| {
            let services = ctx.team.services();
            // Only the server's provider: the pool's others belong to other users.
            let providers = services
                .default_provider
                .iter()
                .cloned()
                .filter_map(|name| {
                    let stats = services.pool.provider_stats(&name)?;
                    Some(arranger_domain::LlmHealth {
                        provider: name,
                        state: crate::connection::breaker_name(stats.breaker).into(),
                        reason: String::new(),
                        in_flight: Some(stats.in_flight as u64),
                        queued: Some(stats.queued as u64),
                    })
                })
                .collect();
            LlmStatusResult {
                configured: services.default_provider.is_some(),
                providers,
            }
        }),
        TerminalCreate::NAME => call!(TerminalCreate, |p| terminal_info(
            host.terminal_create(p.cwd.unwrap_or_default(), p.cols, p.rows)
                .await
                .map_err(host_error)?
        )),
        TerminalInput::NAME => call!(TerminalInput, |p| {
            host.terminal_input(&p.id, &p.data)
                .await
                .map_err(host_error)?;
            Empty {}
        }),
        TerminalResize::NAME => call!(TerminalResize, |p| terminal_info(
            host.terminal_resize(&p.id, p.cols, p.rows)
                .await
                .map_err(host_error)?
        )),
        TerminalClose::NAME => call!(TerminalClose, |p| terminal_info(
            host.terminal_close(&p.id).await.map_err(host_error)?
        )),
        TerminalList::NAME => call!(TerminalList, |_p| TerminalListResult {
            terminals: host
                .terminal_list()
                .map_err(host_error)?
                .into_iter()
                .map(terminal_info)
                .collect()
        }),
        TerminalRead::NAME => call!(TerminalRead, |p| {
            let r = host.terminal_read(&p.id, p.since).map_err(host_error)?;
            TerminalReadResult {
                data: r.data,
                offset: r.offset,
                end: r.end,
                truncated: r.truncated,
                exited: r.exit_code.map(|code| TerminalExited { code }),
            }
        }),
        ToolRunDecide::NAME => call!(ToolRunDecide, |p| {
            let kind = match p.decision {
                UserDecision::AllowOnce => DecisionKind::AllowOnce,
                UserDecision::AllowAlways => DecisionKind::AllowAlways,
                UserDecision::Deny => DecisionKind::Deny,
            };
            let decided = ctx
                .team
                .decide_tool_run(p.id, kind, p.reason)
                .await
                .map_err(|e| match e {
                    arranger_team::DecideError::Store(s) => store_error(s),
                })?;
            ToolRunDecideResult {
                run: decided.run,
                task: decided.task,
                added_rules: decided.rules,
            }
        }),
        ToolRunOutput::NAME => call!(ToolRunOutput, |p| {
            let limit = p.limit.map_or(1 << 20, |l| (l as usize).clamp(1, 1 << 20));
            let (data, offset, total) = store
                .tool_run_output(p.id, p.offset.unwrap_or(0), limit)
                .await
                .map_err(store_error)?;
            ToolRunOutputResult {
                data,
                offset,
                total,
            }
        }),
        ToolRunPending::NAME => call!(ToolRunPending, |_p| ToolRunListResult {
            runs: store.awaiting_tool_runs().await.map_err(store_error)?,
        }),
        PolicyGet::NAME => call!(PolicyGet, |_p| PolicyGetResult {
            builtin: arranger_policy::builtin_rules(),
            rules: store.policy_rules().await.map_err(store_error)?,
        }),
        PolicySet::NAME => call!(PolicySet, |p| PolicyGetResult {
            builtin: arranger_policy::builtin_rules(),
            rules: store.set_policy_rules(p.rules).await.map_err(store_error)?,
        }),
        PolicyCheck::NAME => call!(PolicyCheck, |p| {
            let (tool, args) = match (p.command, p.tool) {
                (Some(c), None) => (
                    "run_command".to_owned(),
                    serde_json::json!({ "command": c }),
                ),
                (None, Some(t)) => (t, p.args.unwrap_or_else(|| serde_json::json!({}))),
                _ => {
                    return Err(ErrorObject::new(
                        codes::INVALID_PARAMS,
                        "give either \"command\" or \"tool\" (with \"args\")",
                    ));
                }
            };
            let policy = ctx.team.policy().await.map_err(store_error)?;
            arranger_policy::assess_tool(&tool, &args, &policy)
        }),
        SecretSet::NAME => call!(SecretSet, |p| store
            .set_secret(p.name, p.value, ctx.team.services().secrets.clone())
            .await
            .map_err(store_error)?),
        SecretDelete::NAME => call!(SecretDelete, |p| DeletedResult {
            deleted: store.delete_secret(p.name).await.map_err(store_error)?
        }),
        SecretList::NAME => call!(SecretList, |_p| SecretListResult {
            secrets: store.list_secrets().await.map_err(store_error)?
        }),
        McpList::NAME => call!(McpList, |_p| McpListResult {
            servers: ctx.mcp.list(&ctx.user.id).await.map_err(mcp_error)?
        }),
        McpAdd::NAME => call!(McpAdd, |p| {
            host.permit(arranger_domain::Capability::Mcp)
                .map_err(host_error)?;
            ctx.mcp.add(&ctx.user.id, p.spec).await.map_err(mcp_error)?
        }),
        McpRemove::NAME => call!(McpRemove, |p| DeletedResult {
            deleted: ctx
                .mcp
                .remove(&ctx.user.id, &p.name)
                .await
                .map_err(mcp_error)?
        }),
        McpTools::NAME => call!(McpTools, |p| {
            let (tools, errors) = ctx
                .mcp
                .tools_of(&ctx.user.id, p.name.as_deref())
                .await
                .map_err(mcp_error)?;
            McpToolsResult {
                tools,
                errors: errors
                    .into_iter()
                    .map(|(server, e)| McpServerError {
                        server,
                        error: e.to_string(),
                    })
                    .collect(),
            }
        }),
        McpCall::NAME => call!(McpCall, |p| McpCallResult {
            text: ctx
                .mcp
                .call(&ctx.user.id, &p.tool, p.arguments)
                .await
                .map_err(mcp_error)?
        }),
        other => Err(ErrorObject::new(
            codes::METHOD_NOT_FOUND,
            format!("no method {other:?}; server.info lists the methods this server answers"),
        )),
    }
}

/// The user's index, or an error saying why there is none.
fn index(ctx: &SessionContext) -> Result<&Arc<arranger_team::context::LiveIndex>, ErrorObject> {
    ctx.team.index().ok_or_else(|| {
        ErrorObject::new(
            codes::UNAVAILABLE,
            "the workspace index could not be started (see the server log); plain search (fs.search) still works",
        )
    })
}

fn index_error(e: arranger_context::IndexError) -> ErrorObject {
    match e {
        arranger_context::IndexError::BadQuery(m) => ErrorObject::new(codes::INVALID_PARAMS, m),
        other => ErrorObject::new(codes::UNAVAILABLE, other.to_string()),
    }
}
