//! tree-sitter parsing: definitions, references and chunks of one file's content.
//!
//! One pass over the syntax tree (an iterative cursor walk, so deep trees cannot
//! overflow the stack) collects the definitions with their scopes and signatures and the
//! referenced names. A second, shallow pass over the top-level items (and the bodies of
//! large classes, impls and modules) cuts the file into chunks:
//!
//! - a function or method is one chunk, from its leading comments, attributes or
//!   decorators to its end; a longer one is cut into windows that keep its `def`;
//! - a class, struct, enum, trait, interface or Rust `impl` of at most
//!   [`MAX_CHUNK_LINES`] lines is one chunk; a larger one is broken into its members'
//!   chunks, its head, gaps and tail being chunks of their own with `def` = the class
//!   (`None` for an `impl`, which is no definition);
//! - modules, namespaces, `extern "C"` blocks, preprocessor conditionals and error nodes
//!   are transparent: their items are chunked as if they were at the top level;
//! - everything else (imports, constants, type aliases, top-level statements) forms gap
//!   chunks with `def: None`, trimmed of blank lines, merged when adjacent and cut at
//!   [`MAX_CHUNK_LINES`] (at a blank line if one is near).
//!
//! Chunks never overlap and cover every non-blank line; blank lines between chunks may be
//! left out. Plain text is cut into windows of about 50 lines, at headings and blank lines.

use crate::{Chunk, Def, Parsed};
use arranger_domain::{Lang, SymbolKind};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use tree_sitter::{Language, Node, Parser, Tree};

/// The longest chunk, in lines; longer definitions and sections are split.
pub const MAX_CHUNK_LINES: u32 = 120;

/// The most references kept per file.
pub const MAX_REFS: usize = 2_000;

/// The longest signature, in characters.
const SIGNATURE_CHARS: usize = 200;

/// Containers nested deeper than this are chunked as plain gaps.
const MAX_NESTING: usize = 48;

/// Plain text: the preferred window, the shortest section cut at a heading, the longest.
const TEXT_WINDOW: u32 = 50;
const TEXT_MIN_SECTION: u32 = 8;
const TEXT_MAX_WINDOW: u32 = 80;

/// Names never kept as references: keywords that some grammars expose as identifiers,
/// and builtin type names.
const STOP_NAMES: &[&str] = &[
    "self",
    "Self",
    "this",
    "super",
    "crate",
    "None",
    "True",
    "False",
    "null",
    "undefined",
    "true",
    "false",
    "nil",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "uintptr",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "string",
    "bool",
    "byte",
    "rune",
    "error",
    "any",
    "async",
    "await",
];

thread_local! {
    /// One parser per language per thread, created on first use.
    static PARSERS: RefCell<[Option<Parser>; 9]> = RefCell::default();
}

/// Parses `text` as `lang` (`None`: plain text, chunked by line windows).
///
/// Never panics on malformed code: tree-sitter recovers from errors and whatever it
/// recognised is indexed.
pub fn parse(lang: Option<Lang>, text: &str) -> Parsed {
    let lines = Lines::new(text);
    let Some(lang) = lang else {
        return plain(&lines);
    };
    let Some(tree) = parse_tree(lang, text) else {
        let mut parsed = plain(&lines);
        parsed.lang = Some(lang);
        return parsed;
    };
    let mut walk = Walk::new(lang, text, lines.count);
    walk.run(tree.root_node(), opaque_kinds(lang));
    let Walk {
        defs,
        def_of_node,
        refs,
        ..
    } = walk;
    let refs = finish_refs(&defs, refs);
    let chunks = Chunker::new(&lines, &defs, &def_of_node).run(tree.root_node());
    Parsed {
        lang: Some(lang),
        lines: lines.count,
        defs,
        refs,
        chunks,
    }
}

/// The tree-sitter grammar of `lang`.
fn language(lang: Lang) -> Language {
    match lang {
        Lang::Rust => tree_sitter_rust::LANGUAGE.into(),
        Lang::Python => tree_sitter_python::LANGUAGE.into(),
        Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
        Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        Lang::Go => tree_sitter_go::LANGUAGE.into(),
        Lang::Java => tree_sitter_java::LANGUAGE.into(),
        Lang::C => tree_sitter_c::LANGUAGE.into(),
        Lang::Cpp => tree_sitter_cpp::LANGUAGE.into(),
    }
}

/// The slot of `lang` in [`PARSERS`].
fn slot(lang: Lang) -> usize {
    match lang {
        Lang::Rust => 0,
        Lang::Python => 1,
        Lang::JavaScript => 2,
        Lang::TypeScript => 3,
        Lang::Tsx => 4,
        Lang::Go => 5,
        Lang::Java => 6,
        Lang::C => 7,
        Lang::Cpp => 8,
    }
}

/// Node kinds whose subtrees hold nothing the first pass records, so it does not walk
/// into them: Rust macro token trees (tokens, literals and plain identifiers only), string
/// literals and comments.
fn opaque_kinds(lang: Lang) -> &'static [u16] {
    static RUST: std::sync::OnceLock<Vec<u16>> = std::sync::OnceLock::new();
    match lang {
        Lang::Rust => RUST.get_or_init(|| {
            let language = language(Lang::Rust);
            [
                "token_tree",
                "string_literal",
                "raw_string_literal",
                "line_comment",
                "block_comment",
            ]
            .iter()
            .map(|k| language.id_for_node_kind(k, true))
            .filter(|&id| id != 0)
            .collect()
        }),
        _ => &[],
    }
}

/// The syntax tree of `text`, with this thread's parser for `lang`.
fn parse_tree(lang: Lang, text: &str) -> Option<Tree> {
    PARSERS.with(|parsers| {
        let mut parsers = parsers.try_borrow_mut().ok()?;
        let parser = parsers.get_mut(slot(lang))?;
        if parser.is_none() {
            let mut fresh = Parser::new();
            fresh.set_language(&language(lang)).ok()?;
            *parser = Some(fresh);
        }
        parser.as_mut()?.parse(text, None)
    })
}

/// Line starts of a text, for blank-line tests.
struct Lines<'a> {
    text: &'a str,
    /// Byte offset where each line starts.
    starts: Vec<usize>,
    /// Number of lines (a final newline ends the last line, it does not start one).
    count: u32,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let mut count = starts.len();
        if text.is_empty() || text.ends_with('\n') {
            count -= 1;
        }
        Lines {
            text,
            starts,
            count: u32::try_from(count).unwrap_or(u32::MAX),
        }
    }

    /// The bytes of 1-based line `line` (without its newline).
    fn line(&self, line: u32) -> &'a [u8] {
        let i = line as usize;
        let start = self.starts.get(i.wrapping_sub(1)).copied().unwrap_or(0);
        let end = self.starts.get(i).copied().unwrap_or(self.text.len());
        self.text.as_bytes().get(start..end).unwrap_or_default()
    }

    fn is_blank(&self, line: u32) -> bool {
        self.line(line).iter().all(u8::is_ascii_whitespace)
    }

    fn is_heading(&self, line: u32) -> bool {
        let l = self.line(line);
        let hashes = l.iter().take_while(|&&b| b == b'#').count();
        (1..=6).contains(&hashes) && matches!(l.get(hashes), Some(b' ' | b'\t'))
    }
}

/// First line of `node` (1-based).
fn first_line(node: Node) -> u32 {
    (node.start_position().row as u32).saturating_add(1)
}

/// Last line of `node` (1-based, inclusive); a node ending at column 0 ends on the line
/// before.
fn last_line(node: Node) -> u32 {
    let (s, e) = (node.start_position(), node.end_position());
    let row = if e.column == 0 && e.row > s.row {
        e.row
    } else {
        e.row.saturating_add(1)
    };
    row as u32
}

/// Plain text: windows of about [`TEXT_WINDOW`] lines, cut before headings and after
/// blank lines.
fn plain(lines: &Lines) -> Parsed {
    let mut chunks = Vec::new();
    let mut push = |mut a: u32, mut b: u32| {
        while a <= b && lines.is_blank(a) {
            a += 1;
        }
        while b >= a && lines.is_blank(b) {
            b -= 1;
        }
        if a <= b {
            chunks.push(Chunk {
                start_line: a,
                end_line: b,
                def: None,
            });
        }
    };
    let mut start = 1;
    for line in 1..=lines.count {
        let len = line - start + 1;
        if line > start && len > TEXT_MIN_SECTION && lines.is_heading(line) {
            push(start, line - 1);
            start = line;
        } else if len >= TEXT_MAX_WINDOW || (len >= TEXT_WINDOW && lines.is_blank(line)) {
            push(start, line);
            start = line + 1;
        }
    }
    if start <= lines.count {
        push(start, lines.count);
    }
    Parsed {
        lang: None,
        lines: lines.count,
        defs: Vec::new(),
        refs: Vec::new(),
        chunks,
    }
}

/// The references minus the file's own definitions and stop names, bounded.
fn finish_refs(defs: &[Def], refs: Vec<&str>) -> Vec<String> {
    let own: HashSet<&str> = defs.iter().map(|d| d.name.as_str()).collect();
    refs.into_iter()
        .filter(|r| !own.contains(r) && !STOP_NAMES.contains(r))
        .take(MAX_REFS)
        .map(str::to_owned)
        .collect()
}

/// What kind of scope a definition opens for what is nested in it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ScopeKind {
    /// A class, struct, trait, interface or impl: functions inside are methods.
    Type,
    /// A function: definitions inside are local.
    Func,
    /// A module or namespace.
    Module,
}

struct Scope<'a> {
    /// Tree depth of the node that opened it; it covers deeper nodes only.
    depth: usize,
    name: &'a str,
    kind: ScopeKind,
}

/// Where a signature ends.
enum SigEnd {
    /// At this byte (the start of the body).
    At(usize),
    /// At the node's first `{` (or its end).
    Brace,
    /// At the node's end.
    Whole,
}

/// The first pass: definitions and references.
struct Walk<'a> {
    lang: Lang,
    text: &'a str,
    line_count: u32,
    defs: Vec<Def>,
    /// Definition node id → index in `defs`.
    def_of_node: HashMap<usize, usize>,
    scope: Vec<Scope<'a>>,
    refs: Vec<&'a str>,
    seen: HashSet<&'a str>,
    /// Depth of the Python `type` node being walked (identifiers under it are types).
    type_depth: Option<usize>,
}

impl<'a> Walk<'a> {
    fn new(lang: Lang, text: &'a str, line_count: u32) -> Self {
        Walk {
            lang,
            text,
            line_count,
            defs: Vec::new(),
            def_of_node: HashMap::new(),
            scope: Vec::new(),
            refs: Vec::new(),
            seen: HashSet::new(),
            type_depth: None,
        }
    }

    /// Visits every named node (an anonymous one, a keyword or punctuation, matches no rule
    /// of [`visit`](Self::visit) that records anything), not descending into the `opaque`
    /// kinds.
    fn run(&mut self, root: Node<'a>, opaque: &[u16]) {
        let mut cursor = root.walk();
        let mut depth = 0usize;
        loop {
            let node = cursor.node();
            while self.scope.last().is_some_and(|s| s.depth >= depth) {
                self.scope.pop();
            }
            if self.type_depth.is_some_and(|d| d >= depth) {
                self.type_depth = None;
            }
            if node.is_named() {
                self.visit(node, depth);
            }
            if !opaque.contains(&node.kind_id()) && cursor.goto_first_child() {
                depth += 1;
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return;
                }
                depth -= 1;
            }
        }
    }

    fn visit(&mut self, node: Node<'a>, depth: usize) {
        match self.lang {
            Lang::Rust => self.rust(node, depth),
            Lang::Python => self.python(node, depth),
            Lang::JavaScript | Lang::TypeScript | Lang::Tsx => self.js(node, depth),
            Lang::Go => self.go(node, depth),
            Lang::Java => self.java(node, depth),
            Lang::C | Lang::Cpp => self.c(node, depth),
        }
    }

    // ----- helpers -----

    fn text_of(&self, node: Node) -> Option<&'a str> {
        self.text.get(node.byte_range())
    }

    fn add_ref(&mut self, node: Option<Node>) {
        let Some(name) = node.and_then(|n| self.text_of(n)) else {
            return;
        };
        self.add_ref_str(name);
    }

    fn add_ref_str(&mut self, name: &'a str) {
        if name.len() < 3 || name.len() > 100 || self.refs.len() >= MAX_REFS * 2 {
            return;
        }
        if self.seen.insert(name) {
            self.refs.push(name);
        }
    }

    fn in_type(&self) -> bool {
        self.scope.last().is_some_and(|s| s.kind == ScopeKind::Type)
    }

    fn in_func(&self) -> bool {
        self.scope.iter().any(|s| s.kind == ScopeKind::Func)
    }

    fn fn_kind(&self) -> SymbolKind {
        if self.in_type() {
            SymbolKind::Method
        } else {
            SymbolKind::Function
        }
    }

    fn push_scope(&mut self, depth: usize, name: &'a str, kind: ScopeKind) {
        self.scope.push(Scope { depth, name, kind });
    }

    /// Records the definition `node` named by `name_node`, opening a scope of
    /// `opens` for what it contains.
    #[allow(clippy::too_many_arguments)]
    fn def(
        &mut self,
        node: Node<'a>,
        name_node: Option<Node<'a>>,
        kind: SymbolKind,
        sig: SigEnd,
        depth: usize,
        opens: Option<ScopeKind>,
    ) -> Option<usize> {
        let name = self.text_of(name_node?)?;
        self.def_named(node, name, None, kind, sig, depth, opens, "")
    }

    /// Records a definition whose name and extra scope (`Recv`, `ns::Class`) are given.
    #[allow(clippy::too_many_arguments)]
    fn def_named(
        &mut self,
        node: Node<'a>,
        name: &'a str,
        extra_scope: Option<&'a str>,
        kind: SymbolKind,
        sig: SigEnd,
        depth: usize,
        opens: Option<ScopeKind>,
        sig_prefix: &str,
    ) -> Option<usize> {
        if name.is_empty() || name.len() > 200 {
            return None;
        }
        let mut scope = String::new();
        for s in &self.scope {
            if !scope.is_empty() {
                scope.push_str("::");
            }
            scope.push_str(s.name);
        }
        if let Some(extra) = extra_scope.filter(|e| !e.is_empty()) {
            if !scope.is_empty() {
                scope.push_str("::");
            }
            scope.push_str(extra);
        }
        let start = node.start_byte();
        let end = match sig {
            SigEnd::At(b) => b.clamp(start, node.end_byte()),
            SigEnd::Whole => node.end_byte(),
            SigEnd::Brace => {
                let body = self.text.get(start..node.end_byte()).unwrap_or_default();
                start + body.find('{').unwrap_or(body.len())
            }
        };
        let signature = signature(sig_prefix, self.text.get(start..end).unwrap_or_default());
        let start_line = first_line(node).min(self.line_count.max(1));
        let end_line = last_line(node).clamp(start_line, self.line_count.max(start_line));
        let index = self.defs.len();
        self.defs.push(Def {
            name: name.to_owned(),
            kind,
            start_line,
            end_line,
            scope: (!scope.is_empty()).then_some(scope),
            signature,
        });
        self.def_of_node.insert(node.id(), index);
        if let Some(kind) = opens {
            self.push_scope(depth, name, kind);
        }
        Some(index)
    }

    /// Signature end at `node`'s field `field` (the body), else the given fallback.
    fn body_or(node: Node, field: &str, fallback: SigEnd) -> SigEnd {
        match node.child_by_field_name(field) {
            Some(body) => SigEnd::At(body.start_byte()),
            None => fallback,
        }
    }

    // ----- Rust -----

    fn rust(&mut self, node: Node<'a>, depth: usize) {
        match node.kind() {
            "type_identifier" => self.add_ref(Some(node)),
            "call_expression" => {
                let mut f = node.child_by_field_name("function");
                if let Some(g) = f.filter(|f| f.kind() == "generic_function") {
                    f = g.child_by_field_name("function");
                }
                match f.map(|f| (f, f.kind())) {
                    Some((f, "identifier")) => self.add_ref(Some(f)),
                    Some((f, "field_expression")) => self.add_ref(f.child_by_field_name("field")),
                    _ => {}
                }
            }
            "scoped_identifier" => {
                self.add_ref(node.child_by_field_name("name"));
                let path = node.child_by_field_name("path");
                if path.is_some_and(|p| p.kind() == "identifier") {
                    self.add_ref(path);
                }
            }
            "macro_invocation" => {
                let m = node.child_by_field_name("macro");
                if m.is_some_and(|m| m.kind() == "identifier") {
                    self.add_ref(m);
                }
            }
            "use_list" => {
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    if child.kind() == "identifier" {
                        self.add_ref(Some(child));
                    }
                }
            }
            "use_declaration" | "use_as_clause" => {
                let arg = node
                    .child_by_field_name("argument")
                    .or_else(|| node.child_by_field_name("path"));
                if arg.is_some_and(|a| a.kind() == "identifier") {
                    self.add_ref(arg);
                }
            }
            "function_item" => {
                let kind = self.fn_kind();
                let sig = Self::body_or(node, "body", SigEnd::Whole);
                let name = node.child_by_field_name("name");
                self.def(node, name, kind, sig, depth, Some(ScopeKind::Func));
            }
            "function_signature_item" => {
                let kind = self.fn_kind();
                let name = node.child_by_field_name("name");
                self.def(node, name, kind, SigEnd::Whole, depth, None);
            }
            "struct_item" | "union_item" | "enum_item" | "trait_item" => {
                let kind = match node.kind() {
                    "enum_item" => SymbolKind::Enum,
                    "trait_item" => SymbolKind::Trait,
                    _ => SymbolKind::Struct,
                };
                let sig = Self::body_or(node, "body", SigEnd::Whole);
                let name = node.child_by_field_name("name");
                self.def(node, name, kind, sig, depth, Some(ScopeKind::Type));
            }
            "impl_item" => {
                let name = node
                    .child_by_field_name("type")
                    .and_then(base_type_name)
                    .and_then(|n| self.text_of(n))
                    .unwrap_or("impl");
                self.push_scope(depth, name, ScopeKind::Type);
            }
            "mod_item" => {
                let sig = Self::body_or(node, "body", SigEnd::Whole);
                let name = node.child_by_field_name("name");
                self.def(
                    node,
                    name,
                    SymbolKind::Module,
                    sig,
                    depth,
                    Some(ScopeKind::Module),
                );
            }
            "const_item" | "static_item" if !self.in_func() => {
                let sig = Self::body_or(node, "value", SigEnd::Whole);
                let name = node.child_by_field_name("name");
                self.def(node, name, SymbolKind::Constant, sig, depth, None);
            }
            "type_item" => {
                let name = node.child_by_field_name("name");
                self.def(node, name, SymbolKind::Type, SigEnd::Whole, depth, None);
            }
            "macro_definition" => {
                let name = node.child_by_field_name("name");
                let sig = SigEnd::At(name.map_or(node.end_byte(), |n| n.end_byte()));
                self.def(node, name, SymbolKind::Macro, sig, depth, None);
            }
            _ => {}
        }
    }

    // ----- Python -----

    fn python(&mut self, node: Node<'a>, depth: usize) {
        match node.kind() {
            "identifier" if self.type_depth.is_some() => self.add_ref(Some(node)),
            "type" => self.type_depth = Some(depth),
            "call" => {
                let f = node.child_by_field_name("function");
                match f.map(|f| (f, f.kind())) {
                    Some((f, "identifier")) => self.add_ref(Some(f)),
                    Some((f, "attribute")) => self.add_ref(f.child_by_field_name("attribute")),
                    _ => {}
                }
            }
            "dotted_name" => {
                // Import paths and decorators' names.
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    self.add_ref(Some(child));
                }
            }
            "decorator" => {
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    if child.kind() == "identifier" {
                        self.add_ref(Some(child));
                    }
                }
            }
            "function_definition" => {
                let kind = self.fn_kind();
                let sig = Self::body_or(node, "body", SigEnd::Whole);
                let name = node.child_by_field_name("name");
                self.def(node, name, kind, sig, depth, Some(ScopeKind::Func));
            }
            "class_definition" => {
                if let Some(bases) = node.child_by_field_name("superclasses") {
                    let mut cursor = bases.walk();
                    for base in bases.named_children(&mut cursor) {
                        match base.kind() {
                            "identifier" => self.add_ref(Some(base)),
                            "attribute" => self.add_ref(base.child_by_field_name("attribute")),
                            _ => {}
                        }
                    }
                }
                let sig = Self::body_or(node, "body", SigEnd::Whole);
                let name = node.child_by_field_name("name");
                self.def(
                    node,
                    name,
                    SymbolKind::Class,
                    sig,
                    depth,
                    Some(ScopeKind::Type),
                );
            }
            // module > expression_statement > assignment: a top-level assignment.
            "assignment" if depth == 2 && self.scope.is_empty() => {
                let left = node.child_by_field_name("left");
                let Some(left) = left.filter(|l| l.kind() == "identifier") else {
                    return;
                };
                let Some(name) = self.text_of(left) else {
                    return;
                };
                if is_constant_name(name) {
                    let sig = Self::body_or(node, "right", SigEnd::Whole);
                    self.def_named(node, name, None, SymbolKind::Constant, sig, depth, None, "");
                }
            }
            "type_alias_statement" => {
                let name = node
                    .child_by_field_name("left")
                    .and_then(|l| first_named_of(l, "identifier"));
                self.def(node, name, SymbolKind::Type, SigEnd::Whole, depth, None);
            }
            _ => {}
        }
    }

    // ----- JavaScript, TypeScript, TSX -----

    fn js(&mut self, node: Node<'a>, depth: usize) {
        match node.kind() {
            "type_identifier" => self.add_ref(Some(node)),
            "call_expression" | "new_expression" => {
                let f = node
                    .child_by_field_name("function")
                    .or_else(|| node.child_by_field_name("constructor"));
                match f.map(|f| (f, f.kind())) {
                    Some((f, "identifier")) => self.add_ref(Some(f)),
                    Some((f, "member_expression")) => {
                        self.add_ref(f.child_by_field_name("property"))
                    }
                    _ => {}
                }
            }
            "import_specifier" => self.add_ref(node.child_by_field_name("name")),
            "import_clause" | "class_heritage" | "extends_clause" => {
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    match child.kind() {
                        "identifier" => self.add_ref(Some(child)),
                        "member_expression" => self.add_ref(child.child_by_field_name("property")),
                        _ => {}
                    }
                }
            }
            "jsx_opening_element" | "jsx_self_closing_element" => {
                let name = node.child_by_field_name("name");
                let name = name.and_then(|n| self.text_of(n));
                if let Some(n) = name.filter(|n| n.starts_with(|c: char| c.is_ascii_uppercase())) {
                    self.add_ref_str(n);
                }
            }
            "function_declaration" | "generator_function_declaration" => {
                let kind = self.fn_kind();
                let sig = Self::body_or(node, "body", SigEnd::Whole);
                let name = node.child_by_field_name("name");
                self.def(node, name, kind, sig, depth, Some(ScopeKind::Func));
            }
            "method_definition" => {
                let sig = Self::body_or(node, "body", SigEnd::Whole);
                let name = node.child_by_field_name("name");
                let opens = Some(ScopeKind::Func);
                self.def(node, name, SymbolKind::Method, sig, depth, opens);
            }
            "method_signature" | "abstract_method_signature" => {
                let name = node.child_by_field_name("name");
                self.def(node, name, SymbolKind::Method, SigEnd::Whole, depth, None);
            }
            "class_declaration" | "abstract_class_declaration" => {
                let sig = Self::body_or(node, "body", SigEnd::Whole);
                let name = node.child_by_field_name("name");
                self.def(
                    node,
                    name,
                    SymbolKind::Class,
                    sig,
                    depth,
                    Some(ScopeKind::Type),
                );
            }
            "interface_declaration" => {
                let sig = Self::body_or(node, "body", SigEnd::Whole);
                let name = node.child_by_field_name("name");
                let opens = Some(ScopeKind::Type);
                self.def(node, name, SymbolKind::Interface, sig, depth, opens);
            }
            "enum_declaration" => {
                let sig = Self::body_or(node, "body", SigEnd::Whole);
                let name = node.child_by_field_name("name");
                self.def(
                    node,
                    name,
                    SymbolKind::Enum,
                    sig,
                    depth,
                    Some(ScopeKind::Type),
                );
            }
            "type_alias_declaration" => {
                let name = node.child_by_field_name("name");
                self.def(node, name, SymbolKind::Type, SigEnd::Whole, depth, None);
            }
            "internal_module" | "module" => {
                let sig = Self::body_or(node, "body", SigEnd::Whole);
                let name = node.child_by_field_name("name");
                let opens = Some(ScopeKind::Module);
                self.def(node, name, SymbolKind::Module, sig, depth, opens);
            }
            "variable_declarator" if !self.in_func() => {
                let name = node.child_by_field_name("name");
                let Some(name) = name.filter(|n| n.kind() == "identifier") else {
                    return;
                };
                let value = node.child_by_field_name("value");
                match value.map(|v| (v, v.kind())) {
                    Some((v, "arrow_function" | "function_expression" | "generator_function")) => {
                        let sig = Self::body_or(v, "body", SigEnd::Whole);
                        let opens = Some(ScopeKind::Func);
                        self.def(node, Some(name), self.fn_kind(), sig, depth, opens);
                    }
                    Some((v, "class")) => {
                        let sig = Self::body_or(v, "body", SigEnd::Whole);
                        let opens = Some(ScopeKind::Type);
                        self.def(node, Some(name), SymbolKind::Class, sig, depth, opens);
                    }
                    _ => {
                        let Some(text) = self.text_of(name).filter(|n| is_constant_name(n)) else {
                            return;
                        };
                        let sig = value.map_or(SigEnd::Whole, |v| SigEnd::At(v.start_byte()));
                        let kind = SymbolKind::Constant;
                        self.def_named(node, text, None, kind, sig, depth, None, "const ");
                    }
                }
            }
            "public_field_definition" | "field_definition" if self.in_type() => {
                let value = node.child_by_field_name("value");
                if let Some(v) =
                    value.filter(|v| matches!(v.kind(), "arrow_function" | "function_expression"))
                {
                    let name = node
                        .child_by_field_name("name")
                        .or_else(|| node.child_by_field_name("property"));
                    let sig = Self::body_or(v, "body", SigEnd::Whole);
                    let opens = Some(ScopeKind::Func);
                    self.def(node, name, SymbolKind::Method, sig, depth, opens);
                }
            }
            _ => {}
        }
    }

    // ----- Go -----

    fn go(&mut self, node: Node<'a>, depth: usize) {
        match node.kind() {
            "type_identifier" => self.add_ref(Some(node)),
            "call_expression" => {
                let f = node.child_by_field_name("function");
                match f.map(|f| (f, f.kind())) {
                    Some((f, "identifier")) => self.add_ref(Some(f)),
                    Some((f, "selector_expression")) => {
                        self.add_ref(f.child_by_field_name("field"))
                    }
                    _ => {}
                }
            }
            "import_spec" => {
                let path = node
                    .child_by_field_name("path")
                    .and_then(|p| self.text_of(p));
                if let Some(path) = path {
                    let path = path.trim_matches(|c| c == '"' || c == '`');
                    self.add_ref_str(path.rsplit('/').next().unwrap_or(path));
                }
            }
            "function_declaration" => {
                let sig = Self::body_or(node, "body", SigEnd::Whole);
                let name = node.child_by_field_name("name");
                let opens = Some(ScopeKind::Func);
                self.def(node, name, SymbolKind::Function, sig, depth, opens);
            }
            "method_declaration" => {
                let recv = node
                    .child_by_field_name("receiver")
                    .and_then(|r| first_named_of(r, "parameter_declaration"))
                    .and_then(|p| p.child_by_field_name("type"))
                    .and_then(base_type_name)
                    .and_then(|t| self.text_of(t));
                let Some(name) = node
                    .child_by_field_name("name")
                    .and_then(|n| self.text_of(n))
                else {
                    return;
                };
                let sig = Self::body_or(node, "body", SigEnd::Whole);
                let opens = Some(ScopeKind::Func);
                self.def_named(node, name, recv, SymbolKind::Method, sig, depth, opens, "");
            }
            "type_spec" | "type_alias" => {
                let kind = match node.child_by_field_name("type").map(|t| t.kind()) {
                    Some("struct_type") if node.kind() == "type_spec" => SymbolKind::Struct,
                    Some("interface_type") if node.kind() == "type_spec" => SymbolKind::Interface,
                    _ => SymbolKind::Type,
                };
                let Some(name) = node
                    .child_by_field_name("name")
                    .and_then(|n| self.text_of(n))
                else {
                    return;
                };
                let opens = Some(ScopeKind::Type);
                self.def_named(node, name, None, kind, SigEnd::Brace, depth, opens, "type ");
            }
            "method_elem" => {
                let name = node.child_by_field_name("name");
                self.def(node, name, SymbolKind::Method, SigEnd::Whole, depth, None);
            }
            "const_spec" if !self.in_func() => {
                let sig = Self::body_or(node, "value", SigEnd::Whole);
                let mut cursor = node.walk();
                let names: Vec<Node> = node.children_by_field_name("name", &mut cursor).collect();
                for name in names {
                    if name.kind() != "identifier" {
                        continue;
                    }
                    if let Some(text) = self.text_of(name) {
                        let sig = match sig {
                            SigEnd::At(b) => SigEnd::At(b),
                            _ => SigEnd::Whole,
                        };
                        let kind = SymbolKind::Constant;
                        self.def_named(node, text, None, kind, sig, depth, None, "const ");
                    }
                }
            }
            _ => {}
        }
    }

    // ----- Java -----

    fn java(&mut self, node: Node<'a>, depth: usize) {
        match node.kind() {
            "type_identifier" => self.add_ref(Some(node)),
            "method_invocation" => {
                self.add_ref(node.child_by_field_name("name"));
                let object = node.child_by_field_name("object");
                let class = object.filter(|o| {
                    o.kind() == "identifier"
                        && self
                            .text_of(*o)
                            .is_some_and(|t| t.starts_with(|c: char| c.is_uppercase()))
                });
                self.add_ref(class);
            }
            "import_declaration" => {
                if let Some(path) = first_named_of(node, "scoped_identifier") {
                    self.add_ref(path.child_by_field_name("name"));
                }
            }
            "marker_annotation" | "annotation" => self.add_ref(node.child_by_field_name("name")),
            "class_declaration"
            | "interface_declaration"
            | "enum_declaration"
            | "record_declaration"
            | "annotation_type_declaration" => {
                let kind = match node.kind() {
                    "interface_declaration" | "annotation_type_declaration" => {
                        SymbolKind::Interface
                    }
                    "enum_declaration" => SymbolKind::Enum,
                    "record_declaration" => SymbolKind::Struct,
                    _ => SymbolKind::Class,
                };
                let sig = Self::body_or(node, "body", SigEnd::Whole);
                let name = node.child_by_field_name("name");
                self.def(node, name, kind, sig, depth, Some(ScopeKind::Type));
            }
            "method_declaration" | "constructor_declaration" => {
                let sig = Self::body_or(node, "body", SigEnd::Whole);
                let name = node.child_by_field_name("name");
                let opens = Some(ScopeKind::Func);
                self.def(node, name, SymbolKind::Method, sig, depth, opens);
            }
            _ => {}
        }
    }

    // ----- C and C++ -----

    fn c(&mut self, node: Node<'a>, depth: usize) {
        match node.kind() {
            "type_identifier" => self.add_ref(Some(node)),
            "call_expression" => {
                let f = node.child_by_field_name("function");
                match f.map(|f| (f, f.kind())) {
                    Some((f, "identifier")) => self.add_ref(Some(f)),
                    Some((f, "field_expression")) => self.add_ref(f.child_by_field_name("field")),
                    Some((f, "qualified_identifier" | "template_function")) => {
                        let name = f.child_by_field_name("name");
                        if name.is_some_and(|n| n.kind() == "identifier") {
                            self.add_ref(name);
                        }
                    }
                    _ => {}
                }
            }
            "function_definition" => {
                let Some(d) = node.child_by_field_name("declarator") else {
                    return;
                };
                let Some((name, qual, true)) = c_declarator_name(d, self.text) else {
                    return;
                };
                let kind = if qual.is_some() {
                    SymbolKind::Method
                } else {
                    self.fn_kind()
                };
                let sig = Self::body_or(node, "body", SigEnd::Whole);
                let opens = Some(ScopeKind::Func);
                self.def_named(node, name, qual, kind, sig, depth, opens, "");
            }
            "declaration" if !self.in_func() && !self.in_type() => self.c_static(node, depth),
            "field_declaration" | "declaration" if self.in_type() => {
                let Some(d) = node.child_by_field_name("declarator") else {
                    return;
                };
                if let Some((name, qual, true)) = c_declarator_name(d, self.text) {
                    let kind = SymbolKind::Method;
                    self.def_named(node, name, qual, kind, SigEnd::Whole, depth, None, "");
                }
            }
            "struct_specifier" | "union_specifier" | "class_specifier" | "enum_specifier" => {
                let Some(body) = node.child_by_field_name("body") else {
                    return;
                };
                let kind = match node.kind() {
                    "class_specifier" => SymbolKind::Class,
                    "enum_specifier" => SymbolKind::Enum,
                    _ => SymbolKind::Struct,
                };
                let name = node.child_by_field_name("name");
                let sig = SigEnd::At(body.start_byte());
                self.def(node, name, kind, sig, depth, Some(ScopeKind::Type));
            }
            "type_definition" => {
                let inner = node.child_by_field_name("type");
                let has_body = inner.and_then(|t| t.child_by_field_name("body")).is_some();
                let kind = match inner.map(|t| t.kind()) {
                    Some("struct_specifier" | "union_specifier") if has_body => SymbolKind::Struct,
                    Some("enum_specifier") if has_body => SymbolKind::Enum,
                    _ => SymbolKind::Type,
                };
                let sig = match inner.and_then(|t| t.child_by_field_name("body")) {
                    Some(body) => SigEnd::At(body.start_byte()),
                    None => SigEnd::Whole,
                };
                let mut cursor = node.walk();
                let names: Vec<Node> = node
                    .children_by_field_name("declarator", &mut cursor)
                    .collect();
                for d in names {
                    if d.kind() == "type_identifier" {
                        let sig = match sig {
                            SigEnd::At(b) => SigEnd::At(b),
                            _ => SigEnd::Whole,
                        };
                        self.def(node, Some(d), kind, sig, depth, None);
                        break;
                    }
                }
            }
            "alias_declaration" => {
                let name = node.child_by_field_name("name");
                self.def(node, name, SymbolKind::Type, SigEnd::Whole, depth, None);
            }
            "namespace_definition" => {
                let name = node.child_by_field_name("name");
                if name.is_none() {
                    return;
                }
                let sig = Self::body_or(node, "body", SigEnd::Whole);
                let opens = Some(ScopeKind::Module);
                self.def(node, name, SymbolKind::Module, sig, depth, opens);
            }
            "preproc_def" | "preproc_function_def" => {
                let sig = Self::body_or(node, "value", SigEnd::Whole);
                let name = node.child_by_field_name("name");
                self.def(node, name, SymbolKind::Macro, sig, depth, None);
            }
            _ => {}
        }
    }
}

impl<'a> Walk<'a> {
    /// A C/C++ `static` or `const` variable outside functions: a constant.
    fn c_static(&mut self, node: Node<'a>, depth: usize) {
        let mut cursor = node.walk();
        let fixed = node.named_children(&mut cursor).any(|c| {
            matches!(
                (c.kind(), self.text_of(c)),
                ("storage_class_specifier", Some("static"))
                    | ("type_qualifier", Some("const" | "constexpr"))
            )
        });
        if !fixed {
            return;
        }
        let declarators: Vec<Node> = node
            .children_by_field_name("declarator", &mut cursor)
            .collect();
        for d in declarators {
            let (target, value) = if d.kind() == "init_declarator" {
                (
                    d.child_by_field_name("declarator"),
                    d.child_by_field_name("value"),
                )
            } else {
                (Some(d), None)
            };
            let Some((name, _, false)) = target.and_then(|t| c_declarator_name(t, self.text))
            else {
                continue;
            };
            let sig = value.map_or(SigEnd::Whole, |v| SigEnd::At(v.start_byte()));
            self.def_named(node, name, None, SymbolKind::Constant, sig, depth, None, "");
        }
    }
}

/// The type name under references, pointers and generics (`&mut Foo<T>` → `Foo`).
fn base_type_name(mut node: Node) -> Option<Node> {
    for _ in 0..8 {
        node = match node.kind() {
            "type_identifier" | "identifier" => return Some(node),
            "generic_type" => node.child_by_field_name("type")?,
            "scoped_type_identifier" | "qualified_type" => node.child_by_field_name("name")?,
            "reference_type" | "pointer_type" => node
                .child_by_field_name("type")
                .or_else(|| node.named_child(node.named_child_count().checked_sub(1)? as u32))?,
            _ => return None,
        };
    }
    None
}

/// The first named child of `node` of kind `kind`.
fn first_named_of<'t>(node: Node<'t>, kind: &str) -> Option<Node<'t>> {
    (0..node.named_child_count())
        .filter_map(|i| node.named_child(i as u32))
        .find(|c| c.kind() == kind)
}

/// A C/C++ declarator's name, its qualifier (`ns::Class` of `ns::Class::f`), and
/// whether it declares a function.
fn c_declarator_name<'a>(mut d: Node, text: &'a str) -> Option<(&'a str, Option<&'a str>, bool)> {
    let mut is_fn = false;
    let mut qual_start: Option<usize> = None;
    for _ in 0..16 {
        match d.kind() {
            "function_declarator" => {
                is_fn = true;
                d = d.child_by_field_name("declarator")?;
            }
            "pointer_declarator"
            | "reference_declarator"
            | "parenthesized_declarator"
            | "attributed_declarator" => {
                d = match d.child_by_field_name("declarator") {
                    Some(inner) => inner,
                    None => d.named_child(d.named_child_count().checked_sub(1)? as u32)?,
                };
            }
            "qualified_identifier" => {
                qual_start.get_or_insert(d.start_byte());
                d = d.child_by_field_name("name")?;
            }
            "identifier" | "field_identifier" | "type_identifier" | "destructor_name"
            | "operator_name" => {
                let name = text.get(d.byte_range())?;
                let qual = qual_start
                    .and_then(|s| text.get(s..d.start_byte()))
                    .map(|q| q.trim_end_matches(':').trim());
                return Some((name, qual.filter(|q| !q.is_empty()), is_fn));
            }
            _ => return None,
        }
    }
    None
}

/// `UPPER_CASE` (at least one letter, no lowercase).
fn is_constant_name(name: &str) -> bool {
    name.bytes().any(|b| b.is_ascii_uppercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// `prefix` + `head` with whitespace collapsed, without a trailing `{`, `:`, `=` or `;`,
/// at most [`SIGNATURE_CHARS`] characters.
fn signature(prefix: &str, head: &str) -> String {
    let mut out = String::with_capacity(64);
    out.push_str(prefix);
    let mut chars = 0usize;
    let mut space = false;
    for c in head.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            chars += 1;
            space = false;
        }
        out.push(c);
        chars += 1;
        if chars > SIGNATURE_CHARS * 2 {
            break;
        }
    }
    let trimmed = out
        .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '{' | ':' | '=' | ';' | ','));
    trimmed
        .chars()
        .take(SIGNATURE_CHARS)
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// How the chunker treats a top-level (or member) item.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// One chunk (windows if long): functions, methods, multi-line macros.
    Unit,
    /// One chunk if short, else split into its members.
    Split,
    /// Always chunked member by member: modules, namespaces, preprocessor blocks.
    Transparent,
    /// Part of the gap chunks.
    Gap,
}

/// The second pass: chunks.
struct Chunker<'c, 'a> {
    lines: &'c Lines<'a>,
    defs: &'c [Def],
    def_of_node: &'c HashMap<usize, usize>,
    /// The chunks so far, each with whether it is a gap chunk.
    out: Vec<(Chunk, bool)>,
}

impl<'c, 'a> Chunker<'c, 'a> {
    fn new(lines: &'c Lines<'a>, defs: &'c [Def], def_of_node: &'c HashMap<usize, usize>) -> Self {
        Chunker {
            lines,
            defs,
            def_of_node,
            out: Vec::new(),
        }
    }

    fn run(mut self, root: Node) -> Vec<Chunk> {
        if self.lines.count > 0 {
            let children = named_children(root);
            self.seq(&children, 1, self.lines.count, None, 0);
        }
        self.out.into_iter().map(|(c, _)| c).collect()
    }

    /// Comments, attributes and decorators: they belong to the item below them.
    fn is_leading(&self, node: Node) -> bool {
        matches!(
            node.kind(),
            "comment" | "line_comment" | "block_comment" | "attribute_item" | "decorator"
        )
    }

    /// The item `node` stands for (under `export`, decorators, `template<…>`), its
    /// definition and role.
    fn resolve<'t>(&self, node: Node<'t>) -> (Node<'t>, Option<usize>, Role) {
        let mut inner = node;
        for _ in 0..4 {
            let next = match inner.kind() {
                "export_statement" => inner
                    .child_by_field_name("declaration")
                    .or_else(|| inner.child_by_field_name("value")),
                "decorated_definition" => inner.child_by_field_name("definition"),
                "template_declaration" => {
                    inner.named_child(inner.named_child_count().saturating_sub(1) as u32)
                }
                "ambient_declaration" => inner.named_child(0),
                "expression_statement" if inner.named_child_count() == 1 => inner.named_child(0),
                "lexical_declaration" | "variable_declaration" | "type_declaration"
                    if inner.named_child_count() == 1 =>
                {
                    inner.named_child(0)
                }
                _ => None,
            };
            match next {
                Some(n) => inner = n,
                None => break,
            }
        }
        let def = self.def_of_node.get(&inner.id()).copied();
        let role = match def.and_then(|i| self.defs.get(i)) {
            Some(d) => match d.kind {
                SymbolKind::Function | SymbolKind::Method => Role::Unit,
                SymbolKind::Macro if d.end_line >= d.start_line + 2 => Role::Unit,
                SymbolKind::Class
                | SymbolKind::Struct
                | SymbolKind::Enum
                | SymbolKind::Trait
                | SymbolKind::Interface => Role::Split,
                SymbolKind::Module => Role::Transparent,
                SymbolKind::Macro | SymbolKind::Type | SymbolKind::Constant => Role::Gap,
            },
            None => match inner.kind() {
                "impl_item" => Role::Split,
                "preproc_if"
                | "preproc_ifdef"
                | "preproc_else"
                | "preproc_elif"
                | "preproc_elifdef"
                | "linkage_specification"
                | "namespace_definition"
                | "declaration_list"
                | "enum_body_declarations"
                | "ERROR" => Role::Transparent,
                _ => Role::Gap,
            },
        };
        (inner, def, role)
    }

    /// The members of a split or transparent item.
    fn members<'t>(&self, inner: Node<'t>) -> Vec<Node<'t>> {
        match inner.kind() {
            "preproc_if"
            | "preproc_ifdef"
            | "preproc_else"
            | "preproc_elif"
            | "preproc_elifdef"
            | "ERROR"
            | "declaration_list"
            | "enum_body_declarations" => named_children(inner),
            _ => match inner.child_by_field_name("body") {
                Some(body) if body.kind() == "function_definition" => vec![body],
                Some(body) => named_children(body),
                None => Vec::new(),
            },
        }
    }

    /// Chunks lines `lo..=hi` holding the items `children`; gaps get `gap_def`.
    fn seq(&mut self, children: &[Node], lo: u32, hi: u32, gap_def: Option<usize>, nest: usize) {
        let mut at = lo;
        for (i, &child) in children.iter().enumerate() {
            if self.is_leading(child) {
                continue;
            }
            let (inner, def, role) = self.resolve(child);
            if role == Role::Gap || (nest >= MAX_NESTING && role != Role::Unit) {
                continue;
            }
            let end = last_line(child).min(hi);
            let mut start = first_line(child);
            let mut j = i;
            while j > 0 {
                let above = children[j - 1];
                if !self.is_leading(above) || last_line(above).saturating_add(1) < start {
                    break;
                }
                // A comment trailing the code before it belongs to that code.
                if j >= 2 && last_line(children[j - 2]) >= first_line(above) {
                    break;
                }
                start = first_line(above);
                j -= 1;
            }
            let start = start.max(at);
            if start > end {
                continue;
            }
            if start > at {
                self.gap(at, start - 1, gap_def);
            }
            let short = end - start < MAX_CHUNK_LINES;
            match role {
                Role::Split if !short => {
                    let members = self.members(inner);
                    self.seq(&members, start, end, def, nest + 1);
                }
                Role::Transparent => {
                    let members = self.members(inner);
                    let gap_def = if def.is_some() { None } else { gap_def };
                    self.seq(&members, start, end, gap_def, nest + 1);
                }
                _ => self.unit(start, end, def),
            }
            at = end + 1;
        }
        if at <= hi {
            self.gap(at, hi, gap_def);
        }
    }

    /// A definition's chunk, cut into windows if long.
    fn unit(&mut self, start: u32, end: u32, def: Option<usize>) {
        let mut a = start;
        while a <= end {
            let b = end.min(a + MAX_CHUNK_LINES - 1);
            self.out.push((
                Chunk {
                    start_line: a,
                    end_line: b,
                    def,
                },
                false,
            ));
            a = b + 1;
        }
    }

    /// Lines between items: trimmed, merged with a preceding gap of the same owner, cut
    /// at [`MAX_CHUNK_LINES`].
    fn gap(&mut self, mut a: u32, mut b: u32, def: Option<usize>) {
        while a <= b && self.lines.is_blank(a) {
            a += 1;
        }
        while b >= a && self.lines.is_blank(b) {
            b -= 1;
        }
        if a > b {
            return;
        }
        if let Some((last, true)) = self.out.last_mut()
            && last.def == def
            && b - last.start_line < MAX_CHUNK_LINES
        {
            last.end_line = b;
            return;
        }
        while a <= b {
            let mut cut = b.min(a + MAX_CHUNK_LINES - 1);
            if cut < b {
                // Prefer to end at a blank line in the last half of the window.
                let floor = a + MAX_CHUNK_LINES / 2;
                if let Some(blank) = (floor..cut).rev().find(|&l| self.lines.is_blank(l)) {
                    cut = blank;
                }
            }
            let mut end = cut;
            while end > a && self.lines.is_blank(end) {
                end -= 1;
            }
            self.out.push((
                Chunk {
                    start_line: a,
                    end_line: end,
                    def,
                },
                true,
            ));
            a = cut + 1;
            while a <= b && self.lines.is_blank(a) {
                a += 1;
            }
        }
    }
}

/// The named children of `node`.
fn named_children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}
