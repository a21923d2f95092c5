//! The agents' tools: their JSON-Schema definitions, and the Worker tools' execution on
//! the user's host API. Every failure becomes a message the agent reads and can act on.

use crate::context::LiveIndex;
use arranger_context::SearchRequest;
use arranger_domain::{ContextRef, Snippet, SnippetSource, SymbolKind, SymbolMatch, ToolCall};
use arranger_host::{HostError, UserHost, WriteOptions};
use serde_json::{Value, json};

/// A tool as offered to a model.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolSpec {
    /// Name.
    pub name: &'static str,
    /// What it does, for the model.
    pub description: &'static str,
    /// JSON Schema of its arguments.
    pub parameters: Value,
}

fn spec(name: &'static str, description: &'static str, parameters: Value) -> ToolSpec {
    ToolSpec {
        name,
        description,
        parameters,
    }
}

/// Most bytes of a file `read_file` shows.
pub const READ_LIMIT: usize = 64 * 1024;

/// Whether a worker tool is open to a user with these permissions (terminals, commands).
pub fn permitted(permissions: &arranger_domain::Permissions, tool: &str) -> bool {
    use arranger_domain::Capability;
    if tool.starts_with("terminal_") {
        permissions.allows(Capability::Terminals)
    } else if tool == "run_command" {
        permissions.allows(Capability::Commands)
    } else {
        true
    }
}

/// The Worker tools.
pub fn worker_tools() -> Vec<ToolSpec> {
    vec![
        spec(
            "read_file",
            "Read a text file of the workspace. Paths are relative to the workspace root.",
            json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}),
        ),
        spec(
            "write_file",
            "Create or replace a file with the given content (parent directories are created).",
            json!({"type": "object", "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
                   "required": ["path", "content"]}),
        ),
        spec(
            "edit_file",
            "Replace an exact piece of text in a file. old_text must occur exactly once unless replace_all is true.",
            json!({"type": "object", "properties": {
                "path": {"type": "string"}, "old_text": {"type": "string"}, "new_text": {"type": "string"},
                "replace_all": {"type": "boolean"}}, "required": ["path", "old_text", "new_text"]}),
        ),
        spec(
            "list_dir",
            "List a directory of the workspace (\"\" is the root). Directories end with '/'.",
            json!({"type": "object", "properties": {"path": {"type": "string"}}}),
        ),
        spec(
            "search",
            "Find code and earlier work. mode \"ranked\" (default): the workspace index's best snippets for a question, \
             words or identifiers (definitions, full-text ranking, the code's reference graph, and the user's earlier tasks \
             and messages), each with the reason it was chosen. mode \"exact\" or \"regex\": every matching line, as path:line: text.",
            json!({"type": "object", "properties": {
                "query": {"type": "string"},
                "mode": {"type": "string", "enum": ["ranked", "exact", "regex"]},
                "regex": {"type": "boolean", "description": "same as mode \"regex\""},
                "path": {"type": "string", "description": "exact/regex: only under this directory"},
                "budget_tokens": {"type": "integer", "minimum": 200, "maximum": 16000, "description": "ranked: how much text to return (default 3000)"}},
                "required": ["query"]}),
        ),
        spec(
            "find_symbol",
            "Find where a function, type, class, method or constant is defined: its file, lines, scope and signature. \
             match \"exact\" (default), \"prefix\" or \"fuzzy\".",
            json!({"type": "object", "properties": {
                "name": {"type": "string"},
                "match": {"type": "string", "enum": ["exact", "prefix", "fuzzy"]}},
                "required": ["name"]}),
        ),
        spec(
            "terminal_start",
            "Start a long-running command (a dev server, a watcher, a REPL) in a new terminal of the workspace and return its id and first output. Read more with terminal_read, type with terminal_input, stop it with terminal_close.",
            json!({"type": "object", "properties": {
                "command": {"type": "string"},
                "cwd": {"type": "string", "description": "workspace-relative directory; default the root"},
                "wait_ms": {"type": "integer", "minimum": 0, "maximum": 10000, "description": "how long to collect output first (default 1000)"}},
                "required": ["command"]}),
        ),
        spec(
            "terminal_read",
            "Read a terminal's output after `since` (a byte offset from an earlier terminal_start / terminal_read; default: the last 8 KiB).",
            json!({"type": "object", "properties": {"id": {"type": "string"}, "since": {"type": "integer", "minimum": 0}},
                   "required": ["id"]}),
        ),
        spec(
            "terminal_input",
            "Type into a terminal (add \\n to press Enter; \\u0003 is Ctrl-C).",
            json!({"type": "object", "properties": {"id": {"type": "string"}, "data": {"type": "string"}},
                   "required": ["id", "data"]}),
        ),
        spec(
            "terminal_close",
            "Close a terminal: its command and everything it started are stopped.",
            json!({"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}),
        ),
        spec(
            "run_command",
            "Run a shell command (bash) in the workspace, e.g. to build or test, and wait for it to end. It can write only the workspace and a temporary directory. You see at most 32 KiB of output (head and tail). For something that keeps running (a dev server, a watcher), use terminal_start.",
            json!({"type": "object", "properties": {
                "command": {"type": "string"},
                "timeout_secs": {"type": "integer", "minimum": 1, "maximum": 600, "description": "default 120"}},
                "required": ["command"]}),
        ),
        spec(
            "request_assist",
            "Ask another agent of the team for help when stuck. Their answer comes back as this tool's result.",
            json!({"type": "object", "properties": {"question": {"type": "string"}}, "required": ["question"]}),
        ),
        spec(
            "block_task",
            "Stop because the task cannot go on without something from outside (an answer, an access, a decision). Say exactly what is needed.",
            json!({"type": "object", "properties": {"reason": {"type": "string"}}, "required": ["reason"]}),
        ),
        spec(
            "complete_task",
            "Finish the task with an acceptance report: what changed, how it was checked, what is left.",
            json!({"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}),
        ),
    ]
}

/// The Manager's tools: structured decisions, never prose to parse.
pub fn manager_tools() -> Vec<ToolSpec> {
    vec![
        spec(
            "create_task",
            "Create a task for the team. Give it a clear title, a description with acceptance criteria, a scene and capability tags.",
            json!({"type": "object", "properties": {
                "title": {"type": "string"}, "description": {"type": "string"},
                "scene": {"type": "string", "enum": crate::defaults::SCENES},
                "tags": {"type": "array", "items": {"type": "string"}},
                "priority": {"type": "integer", "minimum": 1, "maximum": 5},
                "difficulty": {"type": "integer", "minimum": 1, "maximum": 10},
                "assignee": {"type": "string", "description": "an agent's name, to choose the assignee yourself"}},
                "required": ["title", "description"]}),
        ),
        spec(
            "assign_task",
            "Assign a pending task to a named agent (otherwise the Scheduler picks the best-scoring one).",
            json!({"type": "object", "properties": {"task_id": {"type": "string"}, "agent": {"type": "string"}},
                   "required": ["task_id", "agent"]}),
        ),
        spec(
            "reply",
            "Post a message to the user on the Blackboard.",
            json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}),
        ),
        spec(
            "start_assist",
            "Ask a named agent to help with a task; the answer is added to the task's history.",
            json!({"type": "object", "properties": {"task_id": {"type": "string"}, "agent": {"type": "string"},
                   "question": {"type": "string"}}, "required": ["task_id", "question"]}),
        ),
        spec(
            "cancel_task",
            "Cancel a task that is no longer wanted.",
            json!({"type": "object", "properties": {"task_id": {"type": "string"}, "reason": {"type": "string"}},
                   "required": ["task_id"]}),
        ),
    ]
}

/// What a tool call asks the engine to do besides answering.
#[derive(Clone, Debug, PartialEq)]
pub enum Control {
    /// Nothing: the answer goes back to the model.
    Continue,
    /// The task is complete with this report.
    Complete {
        /// The acceptance report.
        summary: String,
    },
    /// The task cannot go on without something from outside.
    Block {
        /// What is needed.
        reason: String,
    },
    /// The agent asks for help.
    Assist {
        /// The question.
        question: String,
    },
}

/// The result of one tool call.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolOutcome {
    /// What the agent is told.
    pub output: String,
    /// Whether it is an error.
    pub is_error: bool,
    /// What the engine does next.
    pub control: Control,
    /// The whole output when `output` shows only part of it (kept with the tool run).
    pub full: Option<String>,
    /// Context the call used (files read, snippets found), for the task's `context_refs`.
    pub refs: Vec<ContextRef>,
}

/// A terminal's output for the agent, within [`AGENT_OUTPUT_BYTES`] (its tail).
fn terminal_text(id: &str, r: &arranger_host::terminal::TerminalRead) -> String {
    let mut data = r.data.as_str();
    if data.len() > AGENT_OUTPUT_BYTES {
        let mut cut = data.len() - AGENT_OUTPUT_BYTES;
        while !data.is_char_boundary(cut) {
            cut += 1;
        }
        data = &data[cut..];
    }
    let state = match r.exit_code {
        Some(c) => format!("its shell exited with code {c}"),
        None => "still running".to_owned(),
    };
    format!(
        "terminal {id} ({state}); output up to offset {} (read on with since={}){}:\n{data}",
        r.end,
        r.end,
        if r.truncated {
            "; earlier output was dropped"
        } else {
            ""
        }
    )
}

/// Most of a command's output an agent sees at once (head and tail); the whole output is
/// kept with the tool run (`toolrun.output`).
pub const AGENT_OUTPUT_BYTES: usize = 32 * 1024;

/// Head and tail of `text` within [`AGENT_OUTPUT_BYTES`], and the whole text when cut.
fn for_agent(text: String) -> (String, Option<String>) {
    if text.len() <= AGENT_OUTPUT_BYTES {
        return (text, None);
    }
    let half = AGENT_OUTPUT_BYTES / 2;
    let mut head_end = half;
    while !text.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let mut tail_start = text.len() - half;
    while !text.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    let shown = format!(
        "{}\n[… {} bytes not shown; the whole output is kept with the tool run]\n{}",
        &text[..head_end],
        tail_start - head_end,
        &text[tail_start..]
    );
    (shown, Some(text))
}

impl ToolOutcome {
    fn ok(output: impl Into<String>) -> Self {
        ToolOutcome {
            output: output.into(),
            is_error: false,
            control: Control::Continue,
            full: None,
            refs: Vec::new(),
        }
    }

    fn err(output: impl Into<String>) -> Self {
        ToolOutcome {
            output: output.into(),
            is_error: true,
            control: Control::Continue,
            full: None,
            refs: Vec::new(),
        }
    }
}

fn arg_str<'a>(args: &'a Value, name: &str) -> Result<&'a str, ToolOutcome> {
    args.get(name).and_then(Value::as_str).ok_or_else(|| {
        ToolOutcome::err(format!(
            "missing string argument {name:?}; arguments were {args}"
        ))
    })
}

fn host_err(e: HostError) -> ToolOutcome {
    ToolOutcome::err(format!("error: {e}"))
}

/// Runs one Worker tool on the user's host. Never panics on anything a model sends.
pub async fn run_worker_tool(
    host: &UserHost,
    index: Option<&LiveIndex>,
    call: &ToolCall,
) -> ToolOutcome {
    match run(host, index, call).await {
        Ok(o) | Err(o) => o,
    }
}

async fn run(
    host: &UserHost,
    index: Option<&LiveIndex>,
    call: &ToolCall,
) -> Result<ToolOutcome, ToolOutcome> {
    let args = &call.arguments;
    if !args.is_object() {
        return Err(ToolOutcome::err(format!(
            "arguments must be a JSON object, got {args}"
        )));
    }
    Ok(match call.name.as_str() {
        "read_file" => {
            let path = arg_str(args, "path")?;
            let data = host.read(path.to_owned()).await.map_err(host_err)?;
            let text = String::from_utf8(data)
                .map_err(|_| ToolOutcome::err(format!("{path} is not a text file (not UTF-8)")))?;
            let mut out = if text.len() > READ_LIMIT {
                ToolOutcome::ok(arranger_store::cap_output(&text, READ_LIMIT))
            } else {
                ToolOutcome::ok(text)
            };
            out.refs.push(ContextRef {
                path: path.to_owned(),
                start_line: None,
                end_line: None,
                reason: Some("read by the agent".into()),
            });
            out
        }
        "write_file" => {
            let path = arg_str(args, "path")?;
            let content = arg_str(args, "content")?;
            let opts = WriteOptions {
                create_parents: true,
                overwrite: true,
            };
            let stat = host
                .write(path.to_owned(), content.as_bytes().to_vec(), opts)
                .await
                .map_err(host_err)?;
            ToolOutcome::ok(format!("wrote {} bytes to {}", stat.size, stat.path))
        }
        "edit_file" => {
            let path = arg_str(args, "path")?;
            let old = arg_str(args, "old_text")?;
            let new = arg_str(args, "new_text")?;
            let all = args
                .get("replace_all")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if old.is_empty() {
                return Err(ToolOutcome::err(
                    "old_text must not be empty; use write_file to create a file",
                ));
            }
            let data = host.read(path.to_owned()).await.map_err(host_err)?;
            let text = String::from_utf8(data)
                .map_err(|_| ToolOutcome::err(format!("{path} is not a text file (not UTF-8)")))?;
            let n = text.matches(old).count();
            if n == 0 {
                return Err(ToolOutcome::err(format!(
                    "old_text was not found in {path}; read the file again and copy the text exactly"
                )));
            }
            if n > 1 && !all {
                return Err(ToolOutcome::err(format!(
                    "old_text occurs {n} times in {path}; include more context to make it unique, or set replace_all"
                )));
            }
            let edited = if all {
                text.replace(old, new)
            } else {
                text.replacen(old, new, 1)
            };
            let opts = WriteOptions {
                create_parents: false,
                overwrite: true,
            };
            host.write(path.to_owned(), edited.into_bytes(), opts)
                .await
                .map_err(host_err)?;
            ToolOutcome::ok(format!(
                "replaced {} occurrence(s) in {path}",
                if all { n } else { 1 }
            ))
        }
        "list_dir" => {
            let path = args
                .get("path")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let entries = host.list(path).await.map_err(host_err)?;
            if entries.is_empty() {
                ToolOutcome::ok("(empty directory)")
            } else {
                let lines: Vec<String> = entries
                    .iter()
                    .map(|e| match e.kind {
                        arranger_domain::fs::FileKind::Dir => format!("{}/", e.name),
                        _ => format!("{} ({} bytes)", e.name, e.size),
                    })
                    .collect();
                ToolOutcome::ok(lines.join("\n"))
            }
        }
        "terminal_start" => {
            let command = arg_str(args, "command")?;
            let cwd = args
                .get("cwd")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let wait = args
                .get("wait_ms")
                .and_then(Value::as_u64)
                .unwrap_or(1000)
                .min(10_000);
            let t = host.terminal_create(cwd, 120, 40).await.map_err(host_err)?;
            host.terminal_input(&t.id, &format!("{command}\n"))
                .await
                .map_err(host_err)?;
            tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
            let r = host.terminal_read(&t.id, Some(0)).map_err(host_err)?;
            ToolOutcome::ok(terminal_text(&t.id, &r))
        }
        "terminal_read" => {
            let id = arg_str(args, "id")?;
            let since = args.get("since").and_then(Value::as_u64);
            let mut r = host.terminal_read(id, since).map_err(host_err)?;
            if since.is_none() && r.data.len() > 8 * 1024 {
                let mut cut = r.data.len() - 8 * 1024;
                while !r.data.is_char_boundary(cut) {
                    cut += 1;
                }
                r.offset += cut as u64;
                r.data = r.data[cut..].to_owned();
            }
            ToolOutcome::ok(terminal_text(id, &r))
        }
        "terminal_input" => {
            let id = arg_str(args, "id")?;
            let data = arg_str(args, "data")?;
            host.terminal_input(id, data).await.map_err(host_err)?;
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            let r = host.terminal_read(id, None).map_err(host_err)?;
            ToolOutcome::ok(format!(
                "sent; the terminal's output now ends at offset {}",
                r.end
            ))
        }
        "terminal_close" => {
            let id = arg_str(args, "id")?;
            let t = host.terminal_close(id).await.map_err(host_err)?;
            ToolOutcome::ok(format!("terminal {} closed", t.id))
        }
        "search" => {
            let query = arg_str(args, "query")?;
            let mode = match args.get("mode").and_then(Value::as_str) {
                Some(m @ ("ranked" | "exact" | "regex")) => m,
                Some(other) => {
                    return Err(ToolOutcome::err(format!(
                        "unknown mode {other:?}: use \"ranked\", \"exact\" or \"regex\""
                    )));
                }
                None if args.get("regex").and_then(Value::as_bool) == Some(true) => "regex",
                None => "ranked",
            };
            let under = args
                .get("path")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let mut note = "";
            if mode == "ranked" {
                match index {
                    Some(ix) if ix.is_ready() => {
                        let budget = args
                            .get("budget_tokens")
                            .and_then(Value::as_u64)
                            .unwrap_or(3_000)
                            .clamp(200, 16_000) as usize;
                        return Ok(ranked_search(ix, query, budget).await);
                    }
                    _ => note = "[the workspace index is not ready yet: plain text matches]\n",
                }
            }
            let r = host
                .search(query.to_owned(), mode != "regex", under, 200)
                .await
                .map_err(host_err)?;
            if r.hits.is_empty() {
                ToolOutcome::ok(format!("{note}no matches in {} files", r.files))
            } else {
                let mut lines: Vec<String> = r
                    .hits
                    .iter()
                    .map(|h| format!("{}:{}: {}", h.path, h.line, h.text))
                    .collect();
                if r.truncated {
                    lines.push("[more matches not shown; narrow the query or the path]".into());
                }
                ToolOutcome::ok(format!("{note}{}", lines.join("\n")))
            }
        }
        "find_symbol" => {
            let name = arg_str(args, "name")?;
            let mode = match args.get("match").and_then(Value::as_str) {
                None | Some("exact") => SymbolMatch::Exact,
                Some("prefix") => SymbolMatch::Prefix,
                Some("fuzzy") => SymbolMatch::Fuzzy,
                Some(other) => {
                    return Err(ToolOutcome::err(format!(
                        "unknown match {other:?}: use \"exact\", \"prefix\" or \"fuzzy\""
                    )));
                }
            };
            let Some(ix) = index.filter(|ix| ix.is_ready()) else {
                return Err(ToolOutcome::err(
                    "the workspace index is not ready yet; use search with mode \"exact\"",
                ));
            };
            let found = ix.symbols(name.to_owned(), mode, 20).await;
            if found.is_empty() {
                ToolOutcome::ok(format!(
                    "no definition of {name:?} found; try match \"fuzzy\" or search"
                ))
            } else {
                let mut out = ToolOutcome::ok(
                    found
                        .iter()
                        .map(|s| {
                            format!(
                                "{}:{}-{}: {} {}{}",
                                s.path,
                                s.start_line,
                                s.end_line,
                                kind_word(s.kind),
                                s.signature,
                                s.scope
                                    .as_deref()
                                    .map(|sc| format!("  (in {sc})"))
                                    .unwrap_or_default()
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
                out.refs = found
                    .iter()
                    .take(3)
                    .map(|s| ContextRef {
                        path: s.path.clone(),
                        start_line: Some(s.start_line),
                        end_line: Some(s.end_line),
                        reason: Some(format!("defines `{}`", s.name)),
                    })
                    .collect();
                out
            }
        }
        "run_command" => {
            let command = arg_str(args, "command")?;
            let secs = args
                .get("timeout_secs")
                .and_then(Value::as_u64)
                .unwrap_or(120)
                .clamp(1, 600);
            let r = host
                .run_command(command, std::time::Duration::from_secs(secs))
                .await
                .map_err(host_err)?;
            let head = if r.timed_out {
                format!("timed out after {secs} s and was killed")
            } else {
                match r.exit_code {
                    Some(c) => format!("exit code {c}"),
                    None => "killed by a signal".to_owned(),
                }
            };
            let (text, full) = for_agent(format!("{head}\n{}", r.output));
            let mut outcome = if r.timed_out || r.exit_code != Some(0) {
                ToolOutcome::err(text)
            } else {
                ToolOutcome::ok(text)
            };
            outcome.full = full;
            outcome
        }
        "request_assist" => {
            let question = arg_str(args, "question")?;
            ToolOutcome {
                output: String::new(),
                is_error: false,
                control: Control::Assist {
                    question: question.to_owned(),
                },
                full: None,
                refs: Vec::new(),
            }
        }
        "block_task" => {
            let reason = arg_str(args, "reason")?;
            if reason.trim().is_empty() {
                return Err(ToolOutcome::err("say what is needed to go on"));
            }
            ToolOutcome {
                output: "task blocked".into(),
                is_error: false,
                control: Control::Block {
                    reason: reason.to_owned(),
                },
                full: None,
                refs: Vec::new(),
            }
        }
        "complete_task" => {
            let summary = arg_str(args, "summary")?;
            if summary.trim().is_empty() {
                return Err(ToolOutcome::err(
                    "the summary must say what was done and how it was checked",
                ));
            }
            ToolOutcome {
                output: "task completed".into(),
                is_error: false,
                control: Control::Complete {
                    summary: summary.to_owned(),
                },
                full: None,
                refs: Vec::new(),
            }
        }
        other => {
            let names: Vec<&str> = worker_tools().iter().map(|t| t.name).collect();
            ToolOutcome::err(format!(
                "there is no tool {other:?}; the tools are: {}",
                names.join(", ")
            ))
        }
    })
}

/// A word for a symbol kind, as the agent reads it.
fn kind_word(kind: SymbolKind) -> &'static str {
    match kind {
        SymbolKind::Function => "fn",
        SymbolKind::Method => "method",
        SymbolKind::Class => "class",
        SymbolKind::Struct => "struct",
        SymbolKind::Enum => "enum",
        SymbolKind::Trait => "trait",
        SymbolKind::Interface => "interface",
        SymbolKind::Type => "type",
        SymbolKind::Module => "module",
        SymbolKind::Constant => "const",
        SymbolKind::Macro => "macro",
    }
}

/// The index's ranked snippets for a query, as the agent reads them, with the refs.
pub(crate) async fn ranked_search(index: &LiveIndex, query: &str, budget: usize) -> ToolOutcome {
    let req = SearchRequest {
        query: query.to_owned(),
        k: 10,
        budget_tokens: budget,
        seed_paths: Vec::new(),
        memory: true,
    };
    match index.search(req).await {
        Err(e) => ToolOutcome::err(format!("error: {e}")),
        Ok(r) if r.snippets.is_empty() => {
            ToolOutcome::ok("nothing found; try other words, find_symbol, or mode \"exact\"")
        }
        Ok(r) => {
            let mut out = ToolOutcome::ok(format_snippets(&r.snippets, r.truncated));
            out.refs = snippet_refs(&r.snippets);
            out
        }
    }
}

/// Snippets as text for a model: a header per snippet (where, why), then its text.
pub(crate) fn format_snippets(snippets: &[Snippet], truncated: bool) -> String {
    let mut s = String::new();
    for sn in snippets {
        let place = match sn.source {
            SnippetSource::Code => format!("{}:{}-{}", sn.path, sn.start_line, sn.end_line),
            _ => sn.path.clone(),
        };
        let sym = sn
            .symbol
            .as_deref()
            .map(|x| format!(" `{x}`"))
            .unwrap_or_default();
        s.push_str(&format!(
            "── {place}{sym} — {}\n{}\n",
            sn.reason,
            sn.text.trim_end()
        ));
    }
    if truncated {
        s.push_str("[more results did not fit; ask more precisely or raise budget_tokens]\n");
    }
    s
}

/// The context references of snippets.
pub(crate) fn snippet_refs(snippets: &[Snippet]) -> Vec<ContextRef> {
    snippets
        .iter()
        .map(|sn| ContextRef {
            path: sn.path.clone(),
            start_line: (sn.source == SnippetSource::Code).then_some(sn.start_line),
            end_line: (sn.source == SnippetSource::Code).then_some(sn.end_line),
            reason: Some(sn.reason.clone()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arranger_domain::UserId;
    use arranger_host::{Workspace, with_user};
    use arranger_store::{LocalBus, UserStore};
    use std::sync::Arc;

    fn call(name: &str, arguments: Value) -> ToolCall {
        ToolCall {
            id: "c".into(),
            name: name.into(),
            arguments,
        }
    }

    #[tokio::test]
    async fn worker_tools_edit_the_workspace_and_explain_their_errors() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("ws")).unwrap();
        let store = UserStore::new(t.path().join("state.db"), Arc::new(LocalBus::new(8)));
        let host = UserHost::new(UserId::new("u"), Workspace::new(t.path().join("ws")), store);
        with_user(UserId::new("u"), async {
            let w = run_worker_tool(&host, None, &call("write_file", json!({"path": "src/a.rs", "content": "fn a() {}\nfn a() {}\n"}))).await;
            assert!(!w.is_error, "{}", w.output);
            let e = run_worker_tool(&host, None, &call("edit_file", json!({"path": "src/a.rs", "old_text": "fn a", "new_text": "fn b"}))).await;
            assert!(e.is_error && e.output.contains("2 times"), "{}", e.output);
            let e = run_worker_tool(&host, None, &call("edit_file", json!({"path": "src/a.rs", "old_text": "fn a", "new_text": "fn b", "replace_all": true}))).await;
            assert!(!e.is_error, "{}", e.output);
            let r = run_worker_tool(&host, None, &call("read_file", json!({"path": "src/a.rs"}))).await;
            assert_eq!(r.output, "fn b() {}\nfn b() {}\n");
            let s = run_worker_tool(&host, None, &call("search", json!({"query": "fn b", "mode": "exact"}))).await;
            assert!(s.output.starts_with("src/a.rs:1:"), "{}", s.output);
            // Ranked search without an index says so and falls back to line matches.
            let s = run_worker_tool(&host, None, &call("search", json!({"query": "fn b"}))).await;
            assert!(s.output.starts_with("[the workspace index is not ready yet") && s.output.contains("src/a.rs:1:"), "{}", s.output);
            let s = run_worker_tool(&host, None, &call("search", json!({"query": "fn b", "mode": "fuzzy"}))).await;
            assert!(s.is_error && s.output.contains("unknown mode"), "{}", s.output);
            let l = run_worker_tool(&host, None, &call("list_dir", json!({}))).await;
            assert_eq!(l.output, "src/");
            let bad = run_worker_tool(&host, None, &call("read_file", json!({"path": "../../etc/passwd"}))).await;
            assert!(bad.is_error);
            let missing = run_worker_tool(&host, None, &call("read_file", json!({}))).await;
            assert!(missing.is_error && missing.output.contains("path"));
            let nonobj = run_worker_tool(&host, None, &call("read_file", json!("src/a.rs"))).await;
            assert!(nonobj.is_error);
            let unknown = run_worker_tool(&host, None, &call("rm_rf", json!({}))).await;
            assert!(unknown.is_error && unknown.output.contains("complete_task"));
            let done = run_worker_tool(&host, None, &call("complete_task", json!({"summary": "renamed a to b"}))).await;
            assert_eq!(done.control, Control::Complete { summary: "renamed a to b".into() });
        })
        .await;
    }
}
