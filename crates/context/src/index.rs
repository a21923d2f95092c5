//! [`WorkspaceIndex`]: one user's index, built, kept fresh and searched.

use crate::cache::ParseCache;
use arranger_domain::{IndexStatus, Snippet, SnippetSource, SymbolInfo, SymbolMatch, Timestamp};
use std::path::PathBuf;
use std::sync::Arc;

/// Why the index could not do something.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The query was empty or unusable.
    #[error("{0}")]
    BadQuery(String),
    /// The workspace could not be read.
    #[error("cannot read the workspace: {0}")]
    Io(String),
}

/// A memory document: an earlier task or Blackboard message of the same user.
#[derive(Clone, Debug)]
pub struct MemoryDoc {
    /// `task:<id>` or `message:<id>`.
    pub id: String,
    /// Task or message.
    pub source: SnippetSource,
    /// The task's title, or the message's author.
    pub title: String,
    /// The text to index and return (description + report, or the message).
    pub text: String,
    /// When it was last changed.
    pub at: Timestamp,
}

/// A ranked search.
#[derive(Clone, Debug, Default)]
pub struct SearchRequest {
    /// Free text: words, identifiers, a question.
    pub query: String,
    /// At most this many snippets (default 10).
    pub k: usize,
    /// Pack snippets into about this many tokens (default 4,000).
    pub budget_tokens: usize,
    /// Files the task is about (seeds of the PageRank), workspace-relative.
    pub seed_paths: Vec<String>,
    /// Include memory (earlier tasks and messages).
    pub memory: bool,
}

/// A ranked search's answer.
#[derive(Clone, Debug, Default)]
pub struct SearchResult {
    /// Best first, packed into the budget.
    pub snippets: Vec<Snippet>,
    /// Tokens of all snippets.
    pub tokens: u32,
    /// More snippets qualified than fit in `k` or the budget.
    pub truncated: bool,
}

/// One user's workspace index.
pub struct WorkspaceIndex {}

impl WorkspaceIndex {
    /// An empty index of the workspace at `root` (whose files are read only through `dir`).
    pub fn new(root: PathBuf, dir: cap_std::fs::Dir, cache: Arc<ParseCache>) -> Self {
        let _ = (root, dir, cache);
        todo!("helper S")
    }
    /// Walks the workspace and indexes every file; `progress` is called now and then.
    pub fn build(&self, progress: &dyn Fn(&IndexStatus)) -> Result<(), IndexError> {
        let _ = progress;
        todo!("helper S")
    }
    /// Re-reads the given workspace-relative paths (changed, created or deleted files or
    /// directories) and makes the change searchable. Returns how many files changed.
    pub fn update(&self, paths: &[String]) -> Result<usize, IndexError> {
        let _ = paths;
        todo!("helper S")
    }
    /// Adds or replaces a memory document.
    pub fn upsert_memory(&self, doc: MemoryDoc) -> Result<(), IndexError> {
        let _ = doc;
        todo!("helper S")
    }
    /// The index's state.
    pub fn status(&self) -> IndexStatus {
        todo!("helper S")
    }
    /// Fused ranked search.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResult, IndexError> {
        let _ = req;
        todo!("helper S")
    }
    /// Symbol lookup.
    pub fn symbols(&self, query: &str, mode: SymbolMatch, limit: usize) -> Vec<SymbolInfo> {
        let _ = (query, mode, limit);
        todo!("helper S")
    }
}
