//! [`WorkspaceIndex`]: one user's index, built, kept fresh and searched.
//!
//! The index walks the workspace with the `ignore` crate (gitignore-aware, hidden files
//! and `.git`, `target`, `node_modules`, `.arranger` skipped, symlinks never followed)
//! and reads file contents only through the workspace's `cap_std` directory handle, so
//! nothing outside the workspace is ever read. Per file it keeps the content hash, size,
//! modification time, language and the shared parse; chunks go to the [`LexicalIndex`],
//! definitions to the [`SymbolTable`], names to the [`RefGraph`].
//!
//! Writers (build, update, memory) are serialized; searches take only a read lock of the
//! side tables and run while an update is indexing. An update deletes and adds the
//! changed files' documents, commits once (searchable on return), then swaps the tables.

use crate::cache::{ContentHash, ParseCache};
use crate::graph::RefGraph;
use crate::lexical::{DocKind, LexDoc, LexHit, LexicalIndex};
use crate::memory::MemoryIndex;
use crate::symbols::SymbolTable;
use crate::tokenize::{identifiers, looks_like_code, query_terms};
use crate::{Parsed, lang};
use arranger_domain::{
    IndexState, IndexStatus, Lang, Snippet, SnippetSource, SymbolInfo, SymbolMatch, Timestamp,
};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

/// Why the index could not do something.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The query was empty or unusable.
    #[error("{0}")]
    BadQuery(String),
    /// The workspace could not be read.
    #[error("cannot read the workspace: {0}")]
    Io(String),
    /// The full-text index failed.
    #[error("{0}")]
    Index(#[from] crate::lexical::LexicalError),
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

/// Files larger than this are not read.
const MAX_FILE_BYTES: u64 = lang::MAX_FILE_BYTES as u64;
/// Directory names never walked.
const SKIP_DIRS: [&str; 4] = [".git", "target", "node_modules", ".arranger"];
/// Bits of a chunk key holding the chunk's index in its file; the rest is the generation.
const CHUNK_BITS: u32 = 20;
/// The chunk number of a file's whole-file document.
const FILE_CHUNK: u64 = (1 << CHUNK_BITS) - 1;
/// Whole-file documents considered per search.
const FILE_TOP: usize = 100;
/// BM25 candidates (chunks) considered per search.
const BM25_TOP: usize = 200;
/// Memory candidates considered per search.
const MEMORY_TOP: usize = 20;
/// At most this many snippets of one file.
const PER_FILE: usize = 3;
/// The 2nd and 3rd snippet of a file count this much of their score, so that the
/// results cover more files unless one file clearly holds the answer.
const SAME_FILE_DISCOUNT: [f32; PER_FILE] = [1.0, 0.6, 0.4];
/// A snippet is trimmed to fit only if at least this many tokens remain.
const MIN_TRIM_TOKENS: usize = 48;
/// Weight of the chunk's own BM25 (normalized).
const W_CHUNK: f32 = 0.3;
/// Weight of the chunk's file's BM25 evidence (the whole file as one document,
/// normalized) — what a question whose words spread over a file earns.
const W_FILE: f32 = 1.0;
/// Weight of "the chunk defines a queried identifier" (code-looking identifier).
const W_DEFINES: f32 = 1.2;
/// Weight of "the chunk defines a queried plain word" (`retry`), for rare names only.
const W_DEFINES_WORD: f32 = 0.3;
/// A plain word counts as a definition only if at most this many files define it.
const WORD_DEFS_MAX: usize = 3;
/// Weight of "the file references a queried identifier's definition".
const W_REFERENCES: f32 = 0.25;
/// Weight of "the file is a seed".
const W_SEED: f32 = 0.3;
/// The PageRank prior: score × (1 + β·normalized rank).
const PR_BETA: f32 = 0.5;
/// Memory scores relative to code (normalized BM25 × this).
const W_MEMORY: f32 = 0.6;
/// English words that are never looked up as definitions.
const STOP_WORDS: &[&str] = &[
    "about", "after", "also", "and", "are", "been", "before", "but", "can", "does", "each", "for",
    "from", "has", "have", "how", "into", "its", "make", "may", "more", "must", "new", "not",
    "now", "one", "only", "other", "should", "some", "than", "that", "the", "their", "them",
    "then", "there", "these", "this", "those", "through", "use", "used", "uses", "using", "was",
    "what", "when", "where", "which", "while", "who", "why", "will", "with", "without", "would",
    "you", "your",
];

/// What the index keeps per file.
struct FileEntry {
    hash: ContentHash,
    size: u64,
    mtime: Option<SystemTime>,
    lang: Option<Lang>,
    parsed: Arc<Parsed>,
    /// The generation in this file's chunk keys.
    generation: u64,
}

/// The side tables: swapped under a write lock after each commit.
#[derive(Default)]
struct Tables {
    files: HashMap<Arc<str>, FileEntry>,
    gens: HashMap<u64, Arc<str>>,
    symbols: SymbolTable,
    graph: RefGraph,
    memory: MemoryIndex,
    bytes: u64,
    chunks: u64,
}

/// The index's own state, apart from the tables.
#[derive(Default)]
struct Meta {
    /// Files left out because the workspace is larger than the budget.
    skipped: u64,
    state: IndexState,
    build_ms: Option<u64>,
    updated_at: Option<Timestamp>,
    error: Option<String>,
}

/// A sync worker's buffers, reused from file to file.
#[derive(Default)]
struct Scratch {
    /// The file's content.
    bytes: Vec<u8>,
    /// Byte offsets of its line starts.
    starts: Vec<usize>,
}

/// What happened to one file during a sync.
enum Outcome {
    /// Same size and mtime, or unreadable as before: nothing to do.
    Unchanged,
    /// Same content, new mtime.
    Touched(Arc<str>, Option<SystemTime>),
    /// Indexed anew (its documents are added, the old ones deleted).
    Indexed(Arc<str>, FileEntry),
    /// No longer indexable (gone, binary, a symlink, too big): remove if present.
    Dropped(Arc<str>),
}

/// One user's workspace index.
pub struct WorkspaceIndex {
    root: PathBuf,
    cache: Arc<ParseCache>,
    lexical: LexicalIndex,
    tables: RwLock<Tables>,
    meta: Mutex<Meta>,
    /// Serializes writers (build, update, memory).
    writer: Mutex<()>,
    next_gen: AtomicU64,
    files_total: AtomicU64,
    files_done: AtomicU64,
    threads: usize,
    /// Top-level names never indexed (the server's data directory inside a workspace).
    hidden: Arc<Vec<String>>,
    /// Most bytes of source indexed (RAM is a few times this): what does not fit is left
    /// out, in path order, and counted.
    budget: u64,
}

/// Makes a chunk hit of a BM25 query over chunks a candidate: its score relative to the
/// best (`max_bm`) and the query's terms it holds.
fn add_hit(cands: &mut Candidates, path: &Arc<str>, hit: &LexHit, terms: &[String], max_bm: f32) {
    let c = cands.get(path, (hit.key & ((1 << CHUNK_BITS) - 1)) as u32);
    c.bm25 = hit.score / max_bm;
    c.matched = hit
        .matched
        .iter()
        .filter_map(|&i| terms.get(i).cloned())
        .collect();
}

fn now_ms() -> Timestamp {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Timestamp)
}

fn sha256(bytes: &[u8]) -> ContentHash {
    ContentHash(Sha256::digest(bytes).into())
}

/// Whether `rel` (workspace-relative, `/`-separated) is `base` or lies beneath it.
fn within(rel: &str, base: &str) -> bool {
    base.is_empty()
        || rel == base
        || (rel.len() > base.len() && rel.starts_with(base) && rel.as_bytes()[base.len()] == b'/')
}

/// Normalizes a caller's workspace-relative path: `/` separators, no `./`, no trailing
/// `/`; `None` when it climbs out (`..`) or is absolute.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => return None,
            s => parts.push(s),
        }
    }
    if path.starts_with('/') {
        return None;
    }
    Some(parts.join("/"))
}

/// The lines `start..=end` (1-based) of `text`.
fn lines_of(text: &str, start: u32, end: u32) -> &str {
    let mut a = None;
    let mut line = 1u32;
    if start <= 1 {
        a = Some(0);
    }
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            if line == end {
                return a.map_or("", |a| &text[a..i]);
            }
            line += 1;
            if line == start {
                a = Some(i + 1);
            }
        }
    }
    a.map_or("", |a| &text[a..])
}

/// Estimated tokens of a text.
fn tokens_of(text: &str) -> usize {
    text.len().div_ceil(4)
}

impl WorkspaceIndex {
    /// An empty index of the workspace at `root`, whose files are read only through a
    /// directory handle of `root` (beneath it, never following a symlink out).
    pub fn new(root: PathBuf, cache: Arc<ParseCache>) -> Result<Self, IndexError> {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let lexical = LexicalIndex::new(threads.min(2))?;
        Ok(Self {
            root,
            cache,
            lexical,
            tables: RwLock::new(Tables::default()),
            meta: Mutex::new(Meta::default()),
            writer: Mutex::new(()),
            next_gen: AtomicU64::new(1),
            files_total: AtomicU64::new(0),
            files_done: AtomicU64::new(0),
            threads,
            hidden: Arc::new(Vec::new()),
            budget: u64::MAX,
        })
    }

    /// Indexes at most `bytes` of source; files past it (in path order) are left out and
    /// counted in [`IndexStatus::skipped`].
    #[must_use]
    pub fn with_budget(mut self, bytes: u64) -> Self {
        self.budget = bytes;
        self
    }

    /// Never indexes these top-level names (and what is beneath them).
    #[must_use]
    pub fn with_hidden(mut self, names: Vec<String>) -> Self {
        self.hidden = Arc::new(names);
        self
    }

    /// Whether a walked entry is skipped by name: a skipped directory anywhere, or a hidden
    /// top-level name.
    fn skipped(hidden: &[String], e: &ignore::DirEntry) -> bool {
        e.file_name().to_str().is_none_or(|n| {
            SKIP_DIRS.contains(&n) || (e.depth() == 1 && hidden.iter().any(|h| h == n))
        })
    }

    /// The workspace's directory handle, opened for one operation (an index holds no
    /// descriptor between operations: ten thousand users' indexes would hold ten
    /// thousand). Every file is read beneath it, so nothing outside the workspace is.
    fn open_dir(&self) -> Result<cap_std::fs::Dir, IndexError> {
        cap_std::fs::Dir::open_ambient_dir(&self.root, cap_std::ambient_authority())
            .map_err(|e| IndexError::Io(e.kind().to_string()))
    }

    /// Whether the workspace has nothing to index at its top level (no entry but hidden
    /// and dot names): a build of it is trivial. Unreadable counts as empty.
    pub fn looks_empty(&self) -> bool {
        let Ok(dir) = self.open_dir() else {
            return true;
        };
        let Ok(entries) = dir.entries() else {
            return true;
        };
        !entries.flatten().any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.starts_with('.') && !self.hidden.iter().any(|h| *h == name)
        })
    }

    fn tables(&self) -> std::sync::RwLockReadGuard<'_, Tables> {
        self.tables.read().unwrap_or_else(|e| e.into_inner())
    }

    fn set_meta(&self, f: impl FnOnce(&mut Meta)) {
        let mut m = self.meta.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut m);
    }

    /// A walker over `start` with the index's rules.
    fn walker(&self, start: &Path) -> ignore::WalkBuilder {
        let mut b = ignore::WalkBuilder::new(start);
        b.hidden(true)
            .ignore(true)
            .git_ignore(true)
            .git_exclude(true)
            .git_global(false)
            .parents(false)
            .require_git(false)
            .follow_links(false);
        let hidden = self.hidden.clone();
        b.filter_entry(move |e| e.depth() == 0 || !Self::skipped(&hidden, e));
        b
    }

    /// The workspace-relative, `/`-separated path of a walked entry (`None` for the root
    /// or a name that is not UTF-8).
    fn rel_of(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.root).ok()?;
        let mut out = String::new();
        for c in rel.components() {
            if !out.is_empty() {
                out.push('/');
            }
            out.push_str(c.as_os_str().to_str()?);
        }
        (!out.is_empty()).then_some(out)
    }

    /// Walks the workspace and indexes every file; `progress` is called now and then.
    pub fn build(&self, progress: &dyn Fn(&IndexStatus)) -> Result<(), IndexError> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let started = Instant::now();
        self.set_meta(|m| {
            m.state = IndexState::Building;
            m.error = None;
        });
        self.files_done.store(0, Ordering::Relaxed);
        self.files_total.store(0, Ordering::Relaxed);
        progress(&self.status());
        let found = Mutex::new(Vec::new());
        self.walker(&self.root)
            .threads(self.threads.min(4))
            .build_parallel()
            .run(|| {
                let found = &found;
                Box::new(move |entry| {
                    if let Ok(e) = entry
                        && e.file_type().is_some_and(|t| t.is_file())
                        && let Some(rel) = self.rel_of(e.path())
                    {
                        let size = e.metadata().map_or(0, |m| m.len());
                        found
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push((rel, size));
                    }
                    ignore::WalkState::Continue
                })
            });
        let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
        // Within the budget, in path order (the same files on every build).
        found.sort_unstable();
        let mut total = 0u64;
        let mut skipped = 0u64;
        let found: Vec<String> = found
            .into_iter()
            .filter_map(|(rel, size)| {
                let size = size.min(MAX_FILE_BYTES);
                if total.saturating_add(size) > self.budget {
                    skipped += 1;
                    return None;
                }
                total += size;
                Some(rel)
            })
            .collect();
        self.set_meta(|m| m.skipped = skipped);
        self.files_total
            .store(found.len() as u64, Ordering::Relaxed);
        // An empty workspace (most new users) never starts a writer.
        let opened = if found.is_empty() {
            Ok(())
        } else {
            self.lexical.begin(true)
        };
        let result = opened
            .map_err(IndexError::from)
            .and_then(|()| self.sync(found, &|_| true, Some(progress)));
        self.lexical.release();
        let ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(n) => {
                tracing::info!(root = %self.root.display(), files = n, ms, "workspace indexed");
                self.set_meta(|m| {
                    m.state = IndexState::Ready;
                    m.build_ms = Some(ms);
                    m.updated_at = Some(now_ms());
                });
            }
            Err(e) => {
                tracing::warn!(root = %self.root.display(), error = %e, "workspace index build failed");
                let error = e.to_string();
                self.set_meta(|m| {
                    m.state = IndexState::Failed;
                    m.error = Some(error);
                });
            }
        }
        progress(&self.status());
        result.map(|_| ())
    }

    /// Re-reads the given workspace-relative paths (changed, created or deleted files or
    /// directories) and makes the change searchable. Returns how many files changed.
    pub fn update(&self, paths: &[String]) -> Result<usize, IndexError> {
        let targets: Vec<String> = paths.iter().filter_map(|p| normalize(p)).collect();
        if targets.is_empty() {
            return Ok(0);
        }
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        // One walk from the root, pruned to the targets' ancestors and contents, so the
        // ignore rules of every level apply.
        let root = self.root.clone();
        let prune = Arc::new(targets.clone());
        let mut builder = self.walker(&self.root);
        let hidden = self.hidden.clone();
        builder.filter_entry(move |e| {
            if e.depth() == 0 {
                return true;
            }
            if Self::skipped(&hidden, e) {
                return false;
            }
            let Some(rel) = e.path().strip_prefix(&root).ok().and_then(|r| r.to_str()) else {
                return false;
            };
            let rel = rel.replace('\\', "/");
            prune.iter().any(|t| within(t, &rel) || within(&rel, t))
        });
        let mut found = Vec::new();
        let (mut bytes, known) = {
            let t = self.tables();
            (
                t.bytes,
                t.files.keys().cloned().collect::<HashSet<Arc<str>>>(),
            )
        };
        let mut skipped = 0u64;
        for entry in builder.build().flatten() {
            if entry.file_type().is_some_and(|t| t.is_file())
                && let Some(rel) = self.rel_of(entry.path())
                && targets.iter().any(|t| within(&rel, t))
            {
                // A file new to the index must fit in the budget; one already indexed
                // stays (its new size may pass it by that file's growth).
                if !known.contains(rel.as_str()) {
                    let size = entry.metadata().map_or(0, |m| m.len()).min(MAX_FILE_BYTES);
                    if bytes.saturating_add(size) > self.budget {
                        skipped += 1;
                        continue;
                    }
                    bytes += size;
                }
                found.push(rel);
            }
        }
        if skipped > 0 {
            self.set_meta(|m| m.skipped += skipped);
        }
        let changed = self.sync(found, &|rel| targets.iter().any(|t| within(rel, t)), None);
        self.lexical.release();
        let changed = changed?;
        if changed > 0 {
            self.set_meta(|m| m.updated_at = Some(now_ms()));
        }
        Ok(changed)
    }

    /// Brings the files `in_scope` up to date with `found` (the walk's files among them):
    /// unchanged files are skipped, changed ones re-indexed, missing ones removed; one
    /// commit. Returns how many files changed. The caller holds the writer lock.
    fn sync(
        &self,
        found: Vec<String>,
        in_scope: &dyn Fn(&str) -> bool,
        progress: Option<&dyn Fn(&IndexStatus)>,
    ) -> Result<usize, IndexError> {
        let found_set: HashSet<&str> = found.iter().map(String::as_str).collect();
        let gone: Vec<Arc<str>> = self
            .tables()
            .files
            .keys()
            .filter(|p| in_scope(p) && !found_set.contains(&***p))
            .cloned()
            .collect();
        for p in &gone {
            self.lexical.delete_file(p)?;
        }
        let dir = self.open_dir()?;
        let dir = &dir;
        let next = AtomicUsize::new(0);
        let outcomes = Mutex::new(Vec::with_capacity(found.len()));
        let failure: Mutex<Option<IndexError>> = Mutex::new(None);
        let workers = self.threads.min(found.len()).max(1);
        std::thread::scope(|s| {
            let mut handles = Vec::new();
            for _ in 0..workers {
                handles.push(s.spawn(|| {
                    let mut local = Vec::new();
                    let mut scratch = Scratch::default();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(rel) = found.get(i) else { break };
                        match self.process(dir, rel, &mut scratch) {
                            Ok(o) => local.push(o),
                            Err(e) => {
                                *failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                                break;
                            }
                        }
                        self.files_done.fetch_add(1, Ordering::Relaxed);
                    }
                    outcomes
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend(local);
                }));
            }
            if let Some(progress) = progress {
                let mut last = (Instant::now(), 0u64);
                while handles.iter().any(|h| !h.is_finished()) {
                    std::thread::sleep(Duration::from_millis(25));
                    let done = self.files_done.load(Ordering::Relaxed);
                    if done >= last.1 + 500 || last.0.elapsed() >= Duration::from_millis(250) {
                        last = (Instant::now(), done);
                        progress(&self.status());
                    }
                }
            }
        });
        if let Some(e) = failure.into_inner().unwrap_or_else(|e| e.into_inner()) {
            return Err(e);
        }
        let outcomes = outcomes.into_inner().unwrap_or_else(|e| e.into_inner());
        self.lexical.commit()?;
        let mut changed = gone.len();
        let mut t = self.tables.write().unwrap_or_else(|e| e.into_inner());
        let t = &mut *t;
        for p in gone {
            Self::remove_from(t, &p);
        }
        for o in outcomes {
            match o {
                Outcome::Unchanged => {}
                Outcome::Touched(p, mtime) => {
                    if let Some(e) = t.files.get_mut(&p) {
                        e.mtime = mtime;
                    }
                }
                Outcome::Dropped(p) => {
                    if t.files.contains_key(&p) {
                        changed += 1;
                        Self::remove_from(t, &p);
                    }
                }
                Outcome::Indexed(p, entry) => {
                    changed += 1;
                    Self::remove_from(t, &p);
                    t.symbols.set_file(&p, entry.parsed.clone());
                    t.graph.set_file(
                        &p,
                        entry.parsed.defs.iter().map(|d| d.name.as_str()),
                        entry.parsed.refs.iter().map(String::as_str),
                    );
                    t.bytes += entry.size;
                    t.chunks += entry.parsed.chunks.len() as u64;
                    t.gens.insert(entry.generation, p.clone());
                    t.files.insert(p, entry);
                }
            }
        }
        t.graph.prepare();
        Ok(changed)
    }

    /// Removes a file from the side tables (its documents are deleted separately).
    fn remove_from(t: &mut Tables, path: &str) {
        if let Some(old) = t.files.remove(path) {
            t.gens.remove(&old.generation);
            t.bytes -= old.size;
            t.chunks -= old.parsed.chunks.len() as u64;
            t.symbols.remove_file(path);
            t.graph.remove_file(path);
        }
    }

    /// Stats, reads and (if changed) parses and indexes one file.
    ///
    /// Only a file the tables know has documents in the full-text index (its documents are
    /// deleted whenever it leaves them), so a new file's path is never deleted: on a cold
    /// build that would be one useless delete query per file, applied to every segment.
    fn process(
        &self,
        dir: &cap_std::fs::Dir,
        rel: &str,
        scratch: &mut Scratch,
    ) -> Result<Outcome, IndexError> {
        let path: Arc<str> = rel.into();
        let old = {
            let t = self.tables();
            t.files.get(rel).map(|e| (e.size, e.mtime, e.hash))
        };
        let dropped = |path| -> Result<Outcome, IndexError> {
            if old.is_some() {
                self.lexical.delete_file(rel)?;
            }
            Ok(Outcome::Dropped(path))
        };
        let meta = match dir.symlink_metadata(rel) {
            Ok(m) if m.is_file() => m,
            _ => return dropped(path),
        };
        let size = meta.len();
        let mtime = meta.modified().ok().map(|t| t.into_std());
        if size > MAX_FILE_BYTES {
            return dropped(path);
        }
        if let Some((osize, omtime, _)) = old
            && osize == size
            && omtime == mtime
            && mtime.is_some()
        {
            return Ok(Outcome::Unchanged);
        }
        let bytes = &mut scratch.bytes;
        bytes.clear();
        bytes.reserve(size as usize + 1);
        if (dir.open(rel))
            .and_then(|mut f| std::io::Read::read_to_end(&mut f, bytes))
            .is_err()
        {
            return dropped(path);
        }
        if !lang::worth_indexing(rel, bytes) {
            return dropped(path);
        }
        if let Some((osize, _, ohash)) = old
            && osize == bytes.len() as u64
            && sha256(bytes) == ohash
        {
            return Ok(Outcome::Touched(path, mtime));
        }
        // `worth_indexing` refuses what is not UTF-8.
        let Ok(text) = std::str::from_utf8(bytes) else {
            return dropped(path);
        };
        let file_lang = lang::detect(rel);
        let (hash, parsed) = self.cache.get_or_parse(file_lang, text);
        let generation = self.next_gen.fetch_add(1, Ordering::Relaxed);
        if old.is_some() {
            self.lexical.delete_file(rel)?;
        }
        self.add_chunks(rel, generation, text, &parsed, &mut scratch.starts)?;
        Ok(Outcome::Indexed(
            path,
            FileEntry {
                hash,
                size: text.len() as u64,
                mtime,
                lang: file_lang,
                parsed,
                generation,
            },
        ))
    }

    /// Adds one document per chunk of a file.
    fn add_chunks(
        &self,
        rel: &str,
        generation: u64,
        text: &str,
        parsed: &Parsed,
        starts: &mut Vec<usize>,
    ) -> Result<(), IndexError> {
        // Byte offsets of line starts, for slicing chunks.
        starts.clear();
        starts.push(0usize);
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let mut name = String::new();
        for (ci, chunk) in parsed.chunks.iter().enumerate().take(FILE_CHUNK as usize) {
            let a = starts
                .get(chunk.start_line.saturating_sub(1) as usize)
                .copied()
                .unwrap_or(text.len());
            let b = starts
                .get(chunk.end_line as usize)
                .copied()
                .unwrap_or(text.len())
                .max(a);
            name.clear();
            if let Some(def) = chunk.def.and_then(|d| parsed.defs.get(d)) {
                name.push_str(&def.name);
                if let Some(scope) = &def.scope {
                    name.push(' ');
                    name.push_str(scope);
                }
                name.push(' ');
                name.push_str(&def.signature);
            }
            self.lexical.add(&LexDoc {
                key: (generation << CHUNK_BITS) | ci as u64,
                file: rel,
                path: rel,
                name: &name,
                body: &text[a..b],
                kind: DocKind::Code,
            })?;
        }
        // The whole file once more, for file-level evidence (see `W_FILE`).
        if !parsed.chunks.is_empty() {
            self.lexical.add(&LexDoc {
                key: (generation << CHUNK_BITS) | FILE_CHUNK,
                file: rel,
                path: "",
                name: "",
                body: text,
                kind: DocKind::File,
            })?;
        }
        Ok(())
    }

    /// Adds or replaces a memory document.
    pub fn upsert_memory(&self, doc: MemoryDoc) -> Result<(), IndexError> {
        self.upsert_memories(vec![doc])
    }

    /// Adds or replaces memory documents (searchable on return).
    pub fn upsert_memories(&self, docs: Vec<MemoryDoc>) -> Result<(), IndexError> {
        if docs.is_empty() {
            return Ok(());
        }
        let mut t = self.tables.write().unwrap_or_else(|e| e.into_inner());
        for doc in docs {
            t.memory.upsert(doc);
        }
        drop(t);
        self.set_meta(|m| m.updated_at = Some(now_ms()));
        Ok(())
    }

    /// Adds memory documents whose ids it does not hold yet (an initial load that must not
    /// replace newer versions that arrived meanwhile).
    pub fn add_memories_if_absent(&self, docs: Vec<MemoryDoc>) {
        let mut t = self.tables.write().unwrap_or_else(|e| e.into_inner());
        for doc in docs {
            if !t.memory.contains(&doc.id) {
                t.memory.upsert(doc);
            }
        }
    }

    /// Removes a memory document (`task:<id>` / `message:<id>`); false if unknown.
    pub fn remove_memory(&self, id: &str) -> Result<bool, IndexError> {
        let mut t = self.tables.write().unwrap_or_else(|e| e.into_inner());
        Ok(t.memory.remove(id))
    }

    /// The index's state.
    pub fn status(&self) -> IndexStatus {
        let t = self.tables();
        let mut langs: HashMap<Lang, u64> = HashMap::new();
        for e in t.files.values() {
            if let Some(l) = e.lang {
                *langs.entry(l).or_default() += 1;
            }
        }
        let mut languages: Vec<(Lang, u64)> = langs.into_iter().collect();
        languages.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| format!("{:?}", a.0).cmp(&format!("{:?}", b.0)))
        });
        let m = self.meta.lock().unwrap_or_else(|e| e.into_inner());
        let building = m.state == IndexState::Building;
        let files = if building {
            self.files_done.load(Ordering::Relaxed)
        } else {
            t.files.len() as u64
        };
        IndexStatus {
            state: m.state,
            skipped: m.skipped,
            files,
            files_total: if building {
                self.files_total.load(Ordering::Relaxed)
            } else {
                t.files.len() as u64
            },
            bytes: t.bytes,
            symbols: t.symbols.len() as u64,
            chunks: t.chunks,
            memory: t.memory.len() as u64,
            languages,
            build_ms: m.build_ms,
            updated_at: m.updated_at,
            error: m.error.clone(),
        }
    }

    /// The indexed files, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = self.tables().files.keys().map(|p| p.to_string()).collect();
        v.sort();
        v
    }

    /// Bytes of RAM the index holds: the full-text index plus an estimate of the side
    /// tables (parses shared through the [`ParseCache`] are not counted).
    pub fn size_bytes(&self) -> u64 {
        let t = self.tables();
        let files: u64 = t.files.keys().map(|k| k.len() as u64 + 160).sum();
        self.lexical.size_bytes() + t.symbols.size_bytes() + t.graph.size_bytes() + files
    }

    /// BM25 alone over the code chunks (no symbols, graph or memory): (path, first
    /// line, last line, score), best first. A baseline for benchmarks and a fallback.
    pub fn bm25(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<(String, u32, u32, f32)>, IndexError> {
        let terms = query_terms(query);
        if terms.is_empty() {
            return Err(IndexError::BadQuery(
                "the query has no searchable words".into(),
            ));
        }
        let hits = self.lexical.search(&terms, &[DocKind::Code], limit)?;
        let t = self.tables();
        Ok(hits
            .iter()
            .filter_map(|h| {
                let path = t.gens.get(&(h.key >> CHUNK_BITS))?;
                let chunk = t
                    .files
                    .get(path)?
                    .parsed
                    .chunks
                    .get((h.key & ((1 << CHUNK_BITS) - 1)) as usize)?;
                Some((path.to_string(), chunk.start_line, chunk.end_line, h.score))
            })
            .collect())
    }

    /// Symbol lookup.
    pub fn symbols(&self, query: &str, mode: SymbolMatch, limit: usize) -> Vec<SymbolInfo> {
        self.tables().symbols.lookup(query, mode, limit)
    }

    /// Lines of the indexed files' current contents matching `pattern` (a `regex`
    /// crate pattern): (path, line number, the line up to 300 bytes), at most `limit`,
    /// files in path order.
    pub fn regex_search(
        &self,
        pattern: &str,
        limit: usize,
    ) -> Result<Vec<(String, u32, String)>, IndexError> {
        if pattern.is_empty() {
            return Err(IndexError::BadQuery("empty pattern".into()));
        }
        let re = regex::RegexBuilder::new(pattern)
            .size_limit(1 << 20)
            .dfa_size_limit(4 << 20)
            .build()
            .map_err(|e| IndexError::BadQuery(e.to_string()))?;
        let dir = self.open_dir()?;
        let mut out = Vec::new();
        for path in self.files() {
            if out.len() >= limit {
                break;
            }
            let Ok(bytes) = dir.read(&path) else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes);
            if !re.is_match(&text) {
                continue;
            }
            for (i, line) in text.lines().enumerate() {
                if re.is_match(line) {
                    let mut end = line.len().min(300);
                    while !line.is_char_boundary(end) {
                        end -= 1;
                    }
                    out.push((path.clone(), i as u32 + 1, line[..end].to_string()));
                    if out.len() >= limit {
                        break;
                    }
                }
            }
        }
        Ok(out)
    }

    /// Fused ranked search: BM25 over chunks, symbol-table definitions of the query's
    /// identifiers, files referencing them, a personalized PageRank prior, and memory
    /// when asked; deduplicated, at most [`PER_FILE`] snippets per file, packed into the
    /// token budget.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResult, IndexError> {
        let q = req.query.trim();
        if q.is_empty() {
            return Err(IndexError::BadQuery("the query is empty".into()));
        }
        let terms = query_terms(q);
        let idents = identifiers(q);
        if terms.is_empty() && idents.is_empty() {
            return Err(IndexError::BadQuery(
                "the query has no searchable words".into(),
            ));
        }
        let k = if req.k == 0 { 10 } else { req.k };
        let budget = if req.budget_tokens == 0 {
            4_000
        } else {
            req.budget_tokens
        };
        let bm = self.lexical.search(&terms, &[DocKind::Code], BM25_TOP)?;
        let files = self.lexical.search_files(q, FILE_TOP)?;
        let t = self.tables();
        let mem = if req.memory {
            t.memory.search(&terms, MEMORY_TOP)
        } else {
            Vec::new()
        };
        let mut cands = Candidates::default();
        let max_bm = bm
            .iter()
            .map(|h| h.score)
            .chain(mem.iter().map(|h| h.score))
            .fold(0f32, f32::max)
            .max(1e-6);
        // (a) BM25.
        for hit in &bm {
            let Some(path) = t.gens.get(&(hit.key >> CHUNK_BITS)) else {
                continue;
            };
            add_hit(&mut cands, path, hit, &terms, max_bm);
        }
        // File evidence: plain BM25 of whole files; the best chunk of each file found that
        // way joins the candidates.
        let mut file_bm: HashMap<Arc<str>, f32> = HashMap::new();
        for hit in &files {
            if let Some(path) = t.gens.get(&(hit.key >> CHUNK_BITS)) {
                file_bm.insert(path.clone(), hit.score);
            }
        }
        let max_file = file_bm.values().copied().fold(0f32, f32::max).max(1e-6);
        // The best files by whole-file evidence that no chunk ranked for: their chunks,
        // ranked by the same BM25 among those files only.
        let unranked: Vec<&Arc<str>> = files
            .iter()
            .take(FILE_TOP / 3)
            .filter_map(|hit| t.gens.get(&(hit.key >> CHUNK_BITS)))
            .filter(|path| !cands.has_file(path))
            .collect();
        if !unranked.is_empty() {
            let within: Vec<&str> = unranked.iter().map(|p| &***p).collect();
            let local = self.lexical.search_in(
                &terms,
                &[DocKind::Code],
                &within,
                within.len() * PER_FILE,
            )?;
            let mut per_file: HashMap<&Arc<str>, usize> = HashMap::new();
            for hit in &local {
                let Some(path) = t.gens.get(&(hit.key >> CHUNK_BITS)) else {
                    continue;
                };
                let n = per_file.entry(path).or_default();
                if *n >= PER_FILE {
                    continue;
                }
                *n += 1;
                add_hit(&mut cands, path, hit, &terms, max_bm);
            }
        }
        for hit in files.iter().take(FILE_TOP / 3) {
            let Some(path) = t.gens.get(&(hit.key >> CHUNK_BITS)) else {
                continue;
            };
            if cands.has_file(path) {
                continue;
            }
            // No chunk of it ranked on its own: the definition whose name and signature
            // share most words with the query stands for it.
            let Some(entry) = t.files.get(path) else {
                continue;
            };
            let best = entry
                .parsed
                .chunks
                .iter()
                .enumerate()
                .max_by_key(|(i, c)| {
                    let words = c.def.and_then(|d| entry.parsed.defs.get(d)).map_or(0, |d| {
                        let head = format!("{} {}", d.name, d.signature).to_lowercase();
                        terms.iter().filter(|t| head.contains(t.as_str())).count() + 1
                    });
                    (words, std::cmp::Reverse(*i))
                })
                .map(|(i, _)| i);
            if let Some(i) = best {
                cands.get(path, i as u32);
            }
        }
        // (b) definitions of the query's identifiers; (c) files referencing them.
        let mut def_files: Vec<Arc<str>> = Vec::new();
        let mut ref_files: HashMap<Arc<str>, Vec<String>> = HashMap::new();
        let code_like = |w: &str| looks_like_code(w) || w.contains("::");
        let candidates = idents.iter().filter(|w| {
            code_like(w) || (w.len() >= 4 && !STOP_WORDS.contains(&w.to_lowercase().as_str()))
        });
        for ident in candidates.take(8) {
            let code = code_like(ident);
            let defs = t.symbols.lookup_refs(ident, SymbolMatch::Exact, 16);
            if defs.is_empty() {
                continue;
            }
            if !code && defs.iter().map(|(p, _)| p).collect::<HashSet<_>>().len() > WORD_DEFS_MAX {
                // A common word (`new`, `value`, `Index`): full-text ranking decides.
                continue;
            }
            let spread = (defs.len() as f32).sqrt();
            let base = if code { W_DEFINES } else { W_DEFINES_WORD };
            for (path, di) in &defs {
                let Some(entry) = t.files.get(path) else {
                    continue;
                };
                let Some(def) = entry.parsed.defs.get(*di as usize) else {
                    continue;
                };
                let case = if def.name == *ident { 1.0 } else { 0.7 };
                let chunk = entry
                    .parsed
                    .chunks
                    .iter()
                    .position(|c| c.def == Some(*di as usize))
                    .or_else(|| {
                        entry.parsed.chunks.iter().position(|c| {
                            c.start_line <= def.start_line && def.start_line <= c.end_line
                        })
                    });
                let Some(chunk) = chunk else { continue };
                let c = cands.get(path, chunk as u32);
                c.defines_score += base * case / spread;
                if !c.defines.contains(&def.name) {
                    c.defines.push(def.name.clone());
                }
                if code && !def_files.contains(path) {
                    def_files.push(path.clone());
                }
            }
            let name = defs
                .first()
                .and_then(|(p, i)| t.files.get(p).and_then(|e| e.parsed.defs.get(*i as usize)))
                .map(|d| d.name.clone())
                .unwrap_or_else(|| ident.clone());
            for f in t.graph.referrers(&name, 200) {
                let v = ref_files.entry(f).or_default();
                if !v.contains(&name) {
                    v.push(name.clone());
                }
            }
        }
        // (d) personalized PageRank from the seeds, the defining files and the top BM25 files.
        let seeds: HashSet<&str> = req.seed_paths.iter().map(String::as_str).collect();
        let mut pr_seeds: Vec<(&str, f32)> =
            req.seed_paths.iter().map(|p| (p.as_str(), 1.0)).collect();
        pr_seeds.extend(def_files.iter().map(|p| (&**p, 1.0)));
        let mut seen_bm_files = HashSet::new();
        for hit in &bm {
            if seen_bm_files.len() >= 10 {
                break;
            }
            if let Some(p) = t.gens.get(&(hit.key >> CHUNK_BITS))
                && seen_bm_files.insert(p.clone())
            {
                pr_seeds.push((&**p, 0.5 * hit.score / max_bm));
            }
        }
        let pr = t.graph.pagerank(&pr_seeds, 20);
        let max_pr = pr.values().copied().fold(0f32, f32::max).max(1e-12);
        // Surface well-connected files near the given seeds that nothing else found.
        if !req.seed_paths.is_empty() {
            let mut ranked: Vec<(&Arc<str>, f32)> = pr
                .iter()
                .filter(|(p, _)| !seeds.contains(&***p) && !cands.has_file(p))
                .map(|(p, r)| (p, *r))
                .collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
            for (p, _) in ranked.into_iter().take(3) {
                if let Some(entry) = t.files.get(p) {
                    let chunk = entry
                        .parsed
                        .chunks
                        .iter()
                        .position(|c| c.def.is_some())
                        .unwrap_or(0);
                    if !entry.parsed.chunks.is_empty() {
                        cands.get(p, chunk as u32);
                    }
                }
            }
        }
        // Fuse.
        let mut scored: Vec<Scored> = Vec::new();
        for ((path, chunk), c) in cands.map {
            let Some(entry) = t.files.get(&path) else {
                continue;
            };
            let Some(ch) = entry.parsed.chunks.get(chunk as usize) else {
                continue;
            };
            let npr = pr.get(&path).copied().unwrap_or(0.0) / max_pr;
            let refs = ref_files.get(&path);
            let seed = seeds.contains(&*path);
            let nfile = file_bm.get(&path).copied().unwrap_or(0.0) / max_file;
            let mut s = W_CHUNK * c.bm25 + W_FILE * nfile + c.defines_score;
            if refs.is_some() {
                s += W_REFERENCES;
            }
            if seed {
                s += W_SEED;
            }
            if s <= 0.0 {
                s = 0.05;
            }
            let score = s * (1.0 + PR_BETA * npr);
            let mut reason = Vec::new();
            for d in &c.defines {
                reason.push(format!("defines `{d}`"));
            }
            if !c.matched.is_empty() {
                reason.push(format!("BM25: {}", c.matched.join(", ")));
            }
            if let Some(r) = refs {
                let names: Vec<String> = r.iter().take(3).map(|n| format!("`{n}`")).collect();
                reason.push(format!("references {}", names.join(", ")));
            }
            if seed {
                reason.push("seed file".into());
            }
            if npr >= 0.25 && pr.len() > 1 {
                reason.push(format!("PageRank {npr:.2}"));
            }
            let def = ch.def.and_then(|d| entry.parsed.defs.get(d));
            scored.push(Scored {
                source: SnippetSource::Code,
                path: path.to_string(),
                start_line: ch.start_line,
                end_line: ch.end_line,
                symbol: def.map(|d| match &d.scope {
                    Some(s) => format!("{s}::{}", d.name),
                    None => d.name.clone(),
                }),
                score,
                reason: reason.join("; "),
                text: None,
            });
        }
        // (e) memory, only this index's own.
        for hit in &mem {
            let m = hit;
            let matched: Vec<&str> = hit
                .matched
                .iter()
                .filter_map(|&i| terms.get(i).map(String::as_str))
                .collect();
            let text = format!("{}\n{}", m.doc.title, m.doc.text);
            scored.push(Scored {
                source: m.doc.source,
                path: m.doc.id.clone(),
                start_line: 1,
                end_line: text.lines().count().max(1) as u32,
                symbol: None,
                score: W_MEMORY * hit.score / max_bm,
                reason: format!("memory; BM25: {}", matched.join(", ")),
                text: Some(text),
            });
        }
        drop(t);
        scored.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.path.cmp(&b.path))
        });
        // Later snippets of a file count less (more files covered); beyond PER_FILE, none.
        let mut nth: HashMap<String, usize> = HashMap::new();
        scored.retain_mut(|sc| {
            let n = nth.entry(sc.path.clone()).or_default();
            let keep = *n < PER_FILE;
            if keep {
                sc.score *= SAME_FILE_DISCOUNT[*n];
            }
            *n += 1;
            keep
        });
        scored.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.path.cmp(&b.path))
        });
        Ok(self.pack(scored, k, budget))
    }

    /// Reads the snippets' text and packs the best into `k` and `budget` tokens, at most
    /// [`PER_FILE`] per file; a snippet too long for what is left is trimmed to fit.
    fn pack(&self, scored: Vec<Scored>, k: usize, budget: usize) -> SearchResult {
        let mut out = SearchResult::default();
        let mut used = 0usize;
        let mut per_file: HashMap<String, usize> = HashMap::new();
        let mut texts: HashMap<String, Option<String>> = HashMap::new();
        let dir = self.open_dir().ok();
        for s in scored {
            if out.snippets.len() >= k || budget.saturating_sub(used) < MIN_TRIM_TOKENS.min(budget)
            {
                out.truncated = true;
                break;
            }
            let n = per_file.entry(s.path.clone()).or_default();
            if *n >= PER_FILE {
                continue;
            }
            let text = match s.text {
                Some(t) => t,
                None => {
                    let file = texts.entry(s.path.clone()).or_insert_with(|| {
                        dir.as_ref()?
                            .read(&s.path)
                            .ok()
                            .map(|b| String::from_utf8_lossy(&b).into_owned())
                    });
                    let Some(file) = file else { continue };
                    lines_of(file, s.start_line, s.end_line).to_string()
                }
            };
            let left = budget - used;
            let (text, end_line) = if tokens_of(&text) <= left {
                let end = s.end_line;
                (text, end)
            } else if left >= MIN_TRIM_TOKENS.min(budget) {
                out.truncated = true;
                // Keep whole lines while they fit.
                let max = left * 4;
                let mut cut = 0;
                let mut lines = 0u32;
                for (i, b) in text.bytes().enumerate() {
                    if i >= max {
                        break;
                    }
                    if b == b'\n' {
                        cut = i;
                        lines += 1;
                    }
                }
                if lines == 0 {
                    cut = max.min(text.len());
                    while !text.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    lines = 1;
                }
                let end = (s.start_line + lines - 1).min(s.end_line);
                (text[..cut].to_string(), end)
            } else {
                out.truncated = true;
                continue;
            };
            let tokens = tokens_of(&text);
            used += tokens;
            *n += 1;
            out.snippets.push(Snippet {
                source: s.source,
                path: s.path,
                start_line: s.start_line,
                end_line,
                symbol: s.symbol,
                text,
                score: s.score,
                reason: s.reason,
                tokens: tokens as u32,
            });
        }
        out.tokens = used as u32;
        out
    }
}

/// A candidate chunk's signals.
#[derive(Default)]
struct Cand {
    bm25: f32,
    matched: Vec<String>,
    defines_score: f32,
    defines: Vec<String>,
}

/// Candidate chunks by (file, chunk index).
#[derive(Default)]
struct Candidates {
    map: HashMap<(Arc<str>, u32), Cand>,
    files: HashSet<Arc<str>>,
}

impl Candidates {
    fn get(&mut self, path: &Arc<str>, chunk: u32) -> &mut Cand {
        self.files.insert(path.clone());
        self.map.entry((path.clone(), chunk)).or_default()
    }
    fn has_file(&self, path: &str) -> bool {
        self.files.contains(path)
    }
}

/// A fused, scored snippet before packing.
struct Scored {
    source: SnippetSource,
    path: String,
    start_line: u32,
    end_line: u32,
    symbol: Option<String>,
    score: f32,
    reason: String,
    /// Memory text (code is read at packing time).
    text: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert!(within("a/b.rs", "a"));
        assert!(within("a", "a"));
        assert!(!within("ab/c", "a"));
        assert!(within("x", ""));
        assert_eq!(normalize("./a//b/").as_deref(), Some("a/b"));
        assert_eq!(normalize("../x"), None);
        assert_eq!(lines_of("a\nb\nc\n", 2, 3), "b\nc");
        assert_eq!(lines_of("a\nb\nc", 1, 1), "a");
        assert_eq!(lines_of("a\nb\nc", 3, 9), "c");
    }
}
