//! What the context engine (BRIEF B8) tells about a workspace index: its state, its
//! symbols and the snippets a search returns. The engine itself lives in
//! `arranger-context`; these are the types clients and events see.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A programming language the index understands (tree-sitter symbols and chunks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// Rust (`.rs`).
    Rust,
    /// Python (`.py`, `.pyi`).
    Python,
    /// JavaScript (`.js`, `.mjs`, `.cjs`, `.jsx`).
    JavaScript,
    /// TypeScript (`.ts`, `.mts`, `.cts`).
    TypeScript,
    /// TypeScript with JSX (`.tsx`).
    Tsx,
    /// Go (`.go`).
    Go,
    /// Java (`.java`).
    Java,
    /// C (`.c`, `.h`).
    C,
    /// C++ (`.cc`, `.cpp`, `.cxx`, `.hpp`, `.hh`, `.hxx`).
    Cpp,
}

/// What kind of thing a symbol names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SymbolKind {
    /// A free function.
    Function,
    /// A function inside a type, impl, class or interface.
    Method,
    /// A class.
    Class,
    /// A struct or record.
    Struct,
    /// An enum.
    Enum,
    /// A trait.
    Trait,
    /// An interface.
    Interface,
    /// A type alias or other named type.
    Type,
    /// A module or namespace.
    Module,
    /// A constant or static.
    Constant,
    /// A macro.
    Macro,
}

/// One definition in the symbol table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SymbolInfo {
    /// The symbol's name as written.
    pub name: String,
    /// What it is.
    pub kind: SymbolKind,
    /// Workspace-relative path of the file defining it.
    pub path: String,
    /// First line of the definition (1-based).
    pub start_line: u32,
    /// Last line of the definition (inclusive).
    pub end_line: u32,
    /// The enclosing scope (`impl Foo`, `class Bar`, `mod baz`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The definition's first line(s) up to its body: `fn parse(text: &str) -> Parsed`.
    pub signature: String,
}

/// How a symbol lookup matches names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SymbolMatch {
    /// The same name (case-sensitive first, then case-insensitive).
    #[default]
    Exact,
    /// Names starting with the query (case-insensitive).
    Prefix,
    /// Names containing the query's characters in order, best first.
    Fuzzy,
}

/// Where a snippet comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SnippetSource {
    /// A file of the workspace.
    Code,
    /// An earlier task of the same user (title, description, report).
    Task,
    /// A Blackboard message of the same user.
    Message,
}

/// One ranked piece of context: a span of a file, or an earlier task or message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Snippet {
    /// Where it comes from.
    pub source: SnippetSource,
    /// Workspace-relative path (code), or `task:<id>` / `message:<id>`.
    pub path: String,
    /// First line (1-based; 1 for tasks and messages).
    pub start_line: u32,
    /// Last line (inclusive).
    pub end_line: u32,
    /// The enclosing symbol of a code span (`impl Foo::parse`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// The text.
    pub text: String,
    /// Fused score; higher is better. Comparable only within one result.
    pub score: f32,
    /// Why it was chosen ("defines `parse`; BM25 on parse, token").
    pub reason: String,
    /// Estimated tokens of `text`.
    pub tokens: u32,
}

/// What the index is doing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IndexState {
    /// Not started (the user's context is new).
    #[default]
    Idle,
    /// The first full build is running.
    Building,
    /// Built and kept fresh by the watcher.
    Ready,
    /// The build failed; `error` says why. Searching falls back to plain text search.
    Failed,
}

/// The state of one user's workspace index, for the status bar and `index.status`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IndexStatus {
    /// What the index is doing.
    pub state: IndexState,
    /// Files indexed so far.
    pub files: u64,
    /// Files found by the walk (the build's goal; equals `files` once ready).
    pub files_total: u64,
    /// Files left out because the workspace is larger than the index's budget (the
    /// server's `[team] max_index_bytes`), in path order.
    #[serde(default)]
    pub skipped: u64,
    /// Bytes of source indexed.
    pub bytes: u64,
    /// Definitions in the symbol table.
    pub symbols: u64,
    /// Chunks (functions, classes, file sections) in the full-text index.
    pub chunks: u64,
    /// Earlier tasks and messages indexed as memory.
    pub memory: u64,
    /// Files per language, most first.
    #[serde(default)]
    pub languages: Vec<(Lang, u64)>,
    /// How long the last full build took, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_ms: Option<u64>,
    /// When the index last changed (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<crate::Timestamp>,
    /// Why the build failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
