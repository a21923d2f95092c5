//! The shell walker: parses a command line with tree-sitter-bash and judges every simple
//! command it finds, wherever it is nested.

use tree_sitter::{Node, Parser};

use crate::commands::{self, Nested, Verdict};
use crate::model::Risk;
use crate::paths;
use crate::rules::Tok;
use crate::words::{Word, word_of};

/// How deep shell code inside strings (`bash -c '…'`, `eval`, heredocs) may nest.
pub(crate) const MAX_SCRIPT_DEPTH: usize = 8;
/// How many wrappers (`sudo env nice …`) may nest.
const MAX_WRAP_DEPTH: usize = 32;
/// How deep the syntax tree may nest before the walker stops descending.
const MAX_NEST: usize = 200;

/// A judged part before rules apply.
#[derive(Clone, Debug)]
pub(crate) struct RawPart {
    pub command: String,
    pub risk: Risk,
    pub reason: String,
    /// The part's own argv first, then the argv of every command that wraps it.
    pub lines: Vec<Vec<Tok>>,
}

/// Where a command's standard input comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Input {
    /// Not redirected: the terminal (interactive) or whatever the caller gives.
    Tty,
    /// Text known statically (a here-document, a here-string, `echo 'literal' |`).
    Text(String),
    /// Something that cannot be seen: the output of a command, a file, a download.
    Unknown(String),
}

/// Judges a command line with no rules applied.
pub(crate) fn judge_raw(cmd: &str) -> Vec<RawPart> {
    let mut w = Walker::default();
    w.script(cmd, &Input::Tty, &[], 0);
    w.parts
}

#[derive(Default)]
pub(crate) struct Walker {
    pub parts: Vec<RawPart>,
    too_deep: bool,
    in_fallback: bool,
}

struct Script<'s> {
    src: &'s str,
    enclosing: Vec<Vec<Tok>>,
    depth: usize,
}

fn snippet(s: &str) -> String {
    let s = s.trim();
    let mut out: String = s.chars().take(120).collect();
    if s.chars().count() > 120 {
        out.push('…');
    }
    out
}

impl Walker {
    fn push(&mut self, command: String, v: Verdict, lines: Vec<Vec<Tok>>) {
        self.parts.push(RawPart {
            command,
            risk: v.risk,
            reason: v.reason,
            lines,
        });
    }

    /// Parses and judges shell code at script depth `depth`.
    pub(crate) fn script(
        &mut self,
        text: &str,
        input: &Input,
        enclosing: &[Vec<Tok>],
        depth: usize,
    ) {
        if depth > MAX_SCRIPT_DEPTH {
            self.push(
                snippet(text),
                Verdict::high(format!(
                    "shell code nested more than {MAX_SCRIPT_DEPTH} levels deep (bash -c inside bash -c …) cannot be judged"
                )),
                enclosing.to_vec(),
            );
            return;
        }
        let mut parser = Parser::new();
        if parser
            .set_language(&tree_sitter_bash::LANGUAGE.into())
            .is_err()
        {
            self.push(
                snippet(text),
                Verdict::medium("the shell parser is unavailable, so the command cannot be judged"),
                enclosing.to_vec(),
            );
            return;
        }
        // tree-sitter-bash's external scanner calls `isdigit`/`isalpha` on the lookahead
        // code point, which is undefined (and crashes) for values above 255. The parser
        // therefore sees an ASCII-only copy with every non-ASCII character replaced by as
        // many `x` as it has bytes: same byte offsets, and non-ASCII text is word text to
        // bash anyway. Words are still read from the original text.
        let ascii = ascii_shadow(text);
        let Some(tree) = parser.parse(&ascii, None) else {
            self.push(
                snippet(text),
                Verdict::medium("the command could not be parsed"),
                enclosing.to_vec(),
            );
            return;
        };
        let root = tree.root_node();
        let sc = Script {
            src: text,
            enclosing: enclosing.to_vec(),
            depth,
        };
        if root.has_error() {
            let near = first_error(root)
                .map(|n| snippet(sc.src.get(n.byte_range()).unwrap_or("")))
                .unwrap_or_default();
            let near = if near.is_empty() {
                "an incomplete construct".to_string()
            } else {
                format!("`{near}`")
            };
            self.push(
                snippet(text),
                Verdict::medium(format!(
                    "the command line is not valid shell (syntax error near {near}); what parsed is judged part by part, the rest cannot be"
                )),
                enclosing.to_vec(),
            );
        }
        self.visit(&sc, root, input, 0);
    }

    fn visit(&mut self, sc: &Script, node: Node, input: &Input, nest: usize) {
        if nest > MAX_NEST {
            if !self.too_deep {
                self.too_deep = true;
                self.push(
                    snippet(sc.src),
                    Verdict::high("the command is nested too deeply to judge"),
                    sc.enclosing.clone(),
                );
            }
            return;
        }
        match node.kind() {
            "comment" | "heredoc_start" | "heredoc_end" => {}
            "command" => self.command(sc, node, input, nest),
            "pipeline" => self.pipeline(sc, node, input, nest),
            "redirected_statement" => self.redirected(sc, node, input, nest),
            "function_definition" => {
                self.fork_bomb(sc, node);
                self.children(sc, node, &Input::Tty, nest);
            }
            "file_redirect" => {
                self.file_redirect(sc, node);
                self.children(sc, node, &Input::Tty, nest);
            }
            "variable_assignment" => {
                self.assignment(sc, node);
                self.children(sc, node, &Input::Tty, nest);
            }
            "command_substitution" => {
                let text = sc.src.get(node.byte_range()).unwrap_or("");
                match backtick_body(text) {
                    // Inside backticks, \` \$ \\ are unescaped and the result parsed
                    // again: `echo \`rm -rf /\`` nests a substitution.
                    Some(body) => self.script(&body, &Input::Tty, &sc.enclosing, sc.depth + 1),
                    None => self.children(sc, node, &Input::Tty, nest),
                }
            }
            "process_substitution" => self.children(sc, node, &Input::Tty, nest),
            "ERROR" => {
                self.children(sc, node, input, nest);
                self.error_fallback(sc, node);
            }
            _ => self.children(sc, node, input, nest),
        }
    }

    /// Text the parser could not place is split at shell operators and each piece judged
    /// on its own; only High findings are kept, so that a command hidden in broken syntax
    /// still raises the risk.
    fn error_fallback(&mut self, sc: &Script, node: Node) {
        if self.in_fallback {
            return;
        }
        let text = sc.src.get(node.byte_range()).unwrap_or("");
        let mut sub = Walker {
            in_fallback: true,
            ..Walker::default()
        };
        for seg in text.split(|c: char| "(){};&`\n".contains(c)) {
            if !seg.trim().is_empty() {
                sub.script(seg, &Input::Tty, &sc.enclosing, sc.depth + 1);
            }
        }
        for mut p in sub.parts.into_iter().filter(|p| p.risk == Risk::High) {
            p.reason = format!("{} (found in text that does not parse)", p.reason);
            self.parts.push(p);
        }
    }

    fn children(&mut self, sc: &Script, node: Node, input: &Input, nest: usize) {
        let mut cursor = node.walk();
        let kids: Vec<Node> = node.named_children(&mut cursor).collect();
        for child in kids {
            self.visit(sc, child, input, nest + 1);
        }
    }

    fn command(&mut self, sc: &Script, node: Node, input: &Input, nest: usize) {
        let mut argv = Vec::new();
        if let Some(name) = node.child_by_field_name("name") {
            argv.push(word_of(name, sc.src));
        }
        let mut cursor = node.walk();
        for arg in node.children_by_field_name("argument", &mut cursor) {
            argv.push(word_of(arg, sc.src));
        }
        let mut c = node.walk();
        let redirects: Vec<Node> = node.children_by_field_name("redirect", &mut c).collect();
        let input = input_from(sc, &redirects, input);
        self.judge(&argv, &input, &sc.enclosing, sc.depth, 0);
        // Substitutions inside the words run too.
        self.children(sc, node, &Input::Tty, nest);
    }

    /// Judges one simple command given as words, then what it runs.
    pub(crate) fn judge(
        &mut self,
        argv: &[Word],
        input: &Input,
        enclosing: &[Vec<Tok>],
        depth: usize,
        wrap: usize,
    ) {
        if argv.is_empty() {
            return;
        }
        let line = commands::line_of(argv);
        let mut lines = vec![line];
        lines.extend(enclosing.iter().cloned());
        let display = argv.iter().map(Word::display).collect::<Vec<_>>().join(" ");
        if wrap > MAX_WRAP_DEPTH {
            self.push(
                display,
                Verdict::high("too many nested wrapper commands to judge"),
                lines,
            );
            return;
        }
        let mut nested = Vec::new();
        let verdict = commands::verdict(argv, input, &mut nested);
        self.push(display, verdict, lines.clone());
        for n in nested {
            match n {
                Nested::Argv(a, inp) => self.judge(&a, &inp, &lines, depth, wrap + 1),
                Nested::Script(text, inp) => self.script(&text, &inp, &lines, depth + 1),
            }
        }
    }

    fn pipeline(&mut self, sc: &Script, node: Node, input: &Input, nest: usize) {
        let mut cursor = node.walk();
        let kids: Vec<Node> = node.named_children(&mut cursor).collect();
        let mut current = input.clone();
        for (i, child) in kids.iter().enumerate() {
            if i > 0 {
                current = output_of(sc, kids[i - 1], &current);
            }
            self.visit(sc, *child, &current, nest + 1);
        }
    }

    fn redirected(&mut self, sc: &Script, node: Node, input: &Input, nest: usize) {
        let mut cursor = node.walk();
        let mut redirects: Vec<Node> = node
            .children_by_field_name("redirect", &mut cursor)
            .collect();
        let mut c2 = node.walk();
        // `while …; done <<< x` has an unnamed here-string.
        let extra: Vec<Node> = node
            .named_children(&mut c2)
            .filter(|k| k.kind() == "herestring_redirect" && !redirects.contains(k))
            .collect();
        redirects.extend(extra);
        let body_input = input_from(sc, &redirects, input);
        let body = node.child_by_field_name("body");
        if let Some(b) = body {
            self.visit(sc, b, &body_input, nest + 1);
        }
        for r in &redirects {
            if r.kind() == "heredoc_redirect" {
                // `cat <<EOF | sh` puts the rest of the pipeline inside the redirect node.
                let after = match body {
                    Some(b) => output_of(sc, b, &body_input),
                    None => Input::Unknown("a pipe".into()),
                };
                let mut c = r.walk();
                let kids: Vec<Node> = r.named_children(&mut c).collect();
                for k in kids {
                    match k.kind() {
                        "heredoc_start" | "heredoc_end" => {}
                        "heredoc_body" => self.children(sc, k, &Input::Tty, nest + 1),
                        "pipeline" | "command" | "redirected_statement" => {
                            self.visit(sc, k, &after, nest + 1)
                        }
                        _ => self.visit(sc, k, &Input::Tty, nest + 1),
                    }
                }
            } else {
                self.visit(sc, *r, &Input::Tty, nest + 1);
            }
        }
        // Anything else (e.g. parse errors attached to the statement).
        let mut c = node.walk();
        let rest: Vec<Node> = node
            .named_children(&mut c)
            .filter(|k| Some(*k) != body && !redirects.contains(k))
            .collect();
        for k in rest {
            self.visit(sc, k, &Input::Tty, nest + 1);
        }
    }

    fn file_redirect(&mut self, sc: &Script, node: Node) {
        let op = redirect_op(node);
        let Some(dest) = node.child_by_field_name("destination") else {
            return;
        };
        let text = sc.src.get(node.byte_range()).unwrap_or("").to_string();
        if dest.kind() == "number" && (op == ">&" || op == "<&") {
            return;
        }
        let w = word_of(dest, sc.src);
        let verdict = if op.starts_with('<') && op != "<>" {
            match w.as_lit() {
                Some(p) if p.starts_with("/dev/tcp/") || p.starts_with("/dev/udp/") => {
                    Some(Verdict::medium("reads from a network connection"))
                }
                _ => None,
            }
        } else {
            paths::write_verdict(&w, "a redirection")
        };
        if let Some(v) = verdict.filter(|v| v.risk > Risk::Low) {
            self.push(snippet(&text), v, sc.enclosing.clone());
        }
    }

    fn assignment(&mut self, sc: &Script, node: Node) {
        let Some(name) = node.child_by_field_name("name") else {
            return;
        };
        let name = sc.src.get(name.byte_range()).unwrap_or("");
        if matches!(
            name,
            "PATH"
                | "LD_PRELOAD"
                | "LD_LIBRARY_PATH"
                | "LD_AUDIT"
                | "BASH_ENV"
                | "ENV"
                | "PROMPT_COMMAND"
                | "IFS"
                | "PYTHONPATH"
                | "NODE_OPTIONS"
                | "GIT_SSH_COMMAND"
                | "GIT_EXEC_PATH"
        ) {
            let text = sc.src.get(node.byte_range()).unwrap_or("");
            self.push(
                snippet(text),
                Verdict::medium(format!(
                    "setting {name} changes which programs or code later commands run"
                )),
                sc.enclosing.clone(),
            );
        }
    }

    fn fork_bomb(&mut self, sc: &Script, node: Node) {
        let Some(name) = node.child_by_field_name("name") else {
            return;
        };
        let fname = sc.src.get(name.byte_range()).unwrap_or("");
        let Some(body) = node.child_by_field_name("body") else {
            return;
        };
        let mut calls_in_pipe = false;
        let mut calls = 0usize;
        let mut background = false;
        scan_self_calls(
            sc,
            body,
            fname,
            false,
            &mut calls,
            &mut calls_in_pipe,
            &mut background,
            0,
        );
        if calls > 0 && (calls_in_pipe || background) {
            let text = sc.src.get(node.byte_range()).unwrap_or("");
            self.push(
                snippet(text),
                Verdict::high(format!(
                    "fork bomb: function `{fname}` starts copies of itself in a pipeline or in the background until the machine stalls"
                )),
                sc.enclosing.clone(),
            );
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn scan_self_calls(
    sc: &Script,
    node: Node,
    fname: &str,
    in_pipe: bool,
    calls: &mut usize,
    calls_in_pipe: &mut bool,
    background: &mut bool,
    nest: usize,
) {
    if nest > MAX_NEST {
        return;
    }
    if !node.is_named() && node.kind() == "&" {
        *background = true;
    }
    if node.kind() == "command"
        && let Some(n) = node.child_by_field_name("name")
        && word_of(n, sc.src).as_lit() == Some(fname)
    {
        *calls += 1;
        *calls_in_pipe |= in_pipe;
    }
    let in_pipe = in_pipe || node.kind() == "pipeline";
    let mut cursor = node.walk();
    let kids: Vec<Node> = node.children(&mut cursor).collect();
    for k in kids {
        scan_self_calls(
            sc,
            k,
            fname,
            in_pipe,
            calls,
            calls_in_pipe,
            background,
            nest + 1,
        );
    }
}

/// `text` with every non-ASCII character replaced by `x` repeated its UTF-8 length.
fn ascii_shadow(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.extend(std::iter::repeat_n('x', c.len_utf8()));
        }
    }
    out
}

/// The body of a backtick substitution that contains escapes bash removes before parsing
/// it again; `None` for `$( )` or a body without such escapes.
fn backtick_body(text: &str) -> Option<String> {
    let inner = text.strip_prefix('`')?.strip_suffix('`')?;
    if !(inner.contains("\\`") || inner.contains("\\$") || inner.contains("\\\\")) {
        return None;
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&n) = chars.peek()
            && matches!(n, '`' | '$' | '\\')
        {
            out.push(n);
            chars.next();
            continue;
        }
        out.push(c);
    }
    Some(out)
}

/// The standard input that redirections give a command.
fn input_from(sc: &Script, redirects: &[Node], input: &Input) -> Input {
    let mut out = input.clone();
    for r in redirects {
        match r.kind() {
            "heredoc_redirect" => {
                let mut c = r.walk();
                let body: String = r
                    .named_children(&mut c)
                    .filter(|n| n.kind() == "heredoc_body")
                    .map(|n| sc.src.get(n.byte_range()).unwrap_or("").to_string())
                    .collect();
                out = Input::Text(body);
            }
            "herestring_redirect" => {
                let mut c = r.walk();
                let w = r.named_children(&mut c).last().map(|n| word_of(n, sc.src));
                out = match w.and_then(|w| w.lit) {
                    Some(t) => Input::Text(format!("{t}\n")),
                    None => Input::Unknown("a here-string computed at run time".into()),
                };
            }
            "file_redirect" => {
                let op = redirect_op(*r);
                if op == "<" || op == "<>" {
                    let dest = r
                        .child_by_field_name("destination")
                        .map(|d| word_of(d, sc.src));
                    out = match dest.as_ref().and_then(Word::as_lit) {
                        Some("/dev/null") => Input::Text(String::new()),
                        Some(p) => Input::Unknown(format!("the file `{p}`")),
                        None => Input::Unknown("a file named at run time".into()),
                    };
                }
            }
            _ => {}
        }
    }
    out
}

fn redirect_op(node: Node) -> String {
    let mut cursor = node.walk();
    node.children(&mut cursor)
        .find(|c| !c.is_named())
        .map(|c| c.kind().to_string())
        .unwrap_or_default()
}

fn first_error(node: Node) -> Option<Node> {
    if node.is_error() || node.is_missing() {
        return Some(node);
    }
    let mut cursor = node.walk();
    let kids: Vec<Node> = node.children(&mut cursor).collect();
    kids.into_iter()
        .filter(|k| k.has_error())
        .find_map(first_error)
}

/// What a pipeline element writes to the next one, when statically known.
fn output_of(sc: &Script, node: Node, input: &Input) -> Input {
    let unknown = || {
        Input::Unknown(format!(
            "the output of `{}`",
            snippet(sc.src.get(node.byte_range()).unwrap_or(""))
        ))
    };
    match node.kind() {
        "command" => {
            let mut argv = Vec::new();
            if let Some(name) = node.child_by_field_name("name") {
                argv.push(word_of(name, sc.src));
            }
            let mut cursor = node.walk();
            for arg in node.children_by_field_name("argument", &mut cursor) {
                argv.push(word_of(arg, sc.src));
            }
            let mut c = node.walk();
            let redirects: Vec<Node> = node.children_by_field_name("redirect", &mut c).collect();
            let input = input_from(sc, &redirects, input);
            commands::static_output(&argv, &input).map_or_else(unknown, Input::Text)
        }
        "redirected_statement" => {
            let mut body_input = input.clone();
            let mut cursor = node.walk();
            for r in node.children_by_field_name("redirect", &mut cursor) {
                if r.kind() == "heredoc_redirect" {
                    let mut c = r.walk();
                    let body: String = r
                        .named_children(&mut c)
                        .filter(|n| n.kind() == "heredoc_body")
                        .map(|n| sc.src.get(n.byte_range()).unwrap_or("").to_string())
                        .collect();
                    body_input = Input::Text(body);
                } else if r.kind() == "file_redirect" {
                    let op = redirect_op(r);
                    if op.starts_with('>') || op.starts_with('&') {
                        return unknown();
                    }
                }
            }
            match node.child_by_field_name("body") {
                Some(b) if b.kind() == "command" => output_of(sc, b, &body_input),
                _ => unknown(),
            }
        }
        _ => unknown(),
    }
}
