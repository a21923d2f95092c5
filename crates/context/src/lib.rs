//! The ACE context engine (BRIEF B8): a live index of one user's workspace and ranked,
//! budgeted retrieval for the agents.
//!
//! A [`WorkspaceIndex`] belongs to one user. It walks the workspace (gitignore-aware),
//! hashes every file, parses code with tree-sitter into definitions, references and
//! function/class-level chunks ([`parse`]), and keeps
//!
//! - a full-text BM25 index of the chunks (tantivy) with a code-aware tokenizer that
//!   emits whole identifiers and their camelCase / snake_case parts ([`tokenize`],
//!   [`lexical`]), path segments boosted;
//! - a symbol table with exact, prefix and fuzzy lookup ([`symbols`]);
//! - a file reference graph ranked by personalized PageRank ([`graph`]);
//! - the user's earlier tasks and Blackboard messages as memory ([`memory`]: a small BM25
//!   of its own, outside tantivy, since it changes with every message).
//!
//! Parsing is content-addressed: a [`ParseCache`] shared by the whole process parses
//! identical content once, whoever owns it. Results only ever come from the index's
//! own files: a cache entry holds no path and no owner.
//!
//! **Must not depend on:** `store`, `host`, `team`, `server` (the caller hands in the
//! workspace's directory handle and feeds memory documents and changed paths). All work
//! here is synchronous CPU work; callers run it on blocking threads.

pub mod cache;
pub mod graph;
pub mod index;
pub mod lang;
pub mod lexical;
pub mod memory;
pub mod parse;
pub mod symbols;
pub mod tokenize;

pub use arranger_domain::{
    IndexState, IndexStatus, Lang, Snippet, SnippetSource, SymbolInfo, SymbolKind, SymbolMatch,
};
pub use cache::{ContentHash, ParseCache};
pub use index::{IndexError, MemoryDoc, SearchRequest, SearchResult, WorkspaceIndex};

/// One definition found in a file (line numbers 1-based, inclusive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Def {
    /// The name as written.
    pub name: String,
    /// What it is.
    pub kind: SymbolKind,
    /// First line of the whole definition (doc comments excluded).
    pub start_line: u32,
    /// Last line of the whole definition.
    pub end_line: u32,
    /// The enclosing scope's name path (`Foo`, `outer::Inner`), if any.
    pub scope: Option<String>,
    /// The definition's head, up to its body, on one line, at most 200 characters.
    pub signature: String,
}

/// A span of a file indexed as one full-text document: a function, a class, or a section
/// of the file between definitions (imports, top-level code, a window of a text file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// First line (1-based). A definition's chunk starts at its doc comment, if any.
    pub start_line: u32,
    /// Last line (inclusive).
    pub end_line: u32,
    /// The index in [`Parsed::defs`] of the definition this chunk is, if it is one.
    pub def: Option<usize>,
}

/// What parsing one file's content yields. Holds no path and no owner: it is shared by
/// every file with the same content and language.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The language it was parsed as (`None`: plain text, chunked by lines).
    pub lang: Option<Lang>,
    /// Number of lines.
    pub lines: u32,
    /// Definitions, in source order.
    pub defs: Vec<Def>,
    /// Names referenced (called, used as a type, imported), deduplicated, excluding names
    /// defined in the same file.
    pub refs: Vec<String>,
    /// Chunks covering the file, in order, non-overlapping, each at most
    /// [`parse::MAX_CHUNK_LINES`] lines (a long definition is split; its parts keep `def`).
    pub chunks: Vec<Chunk>,
}
