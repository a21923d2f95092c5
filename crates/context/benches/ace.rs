//! ACE context engine benchmark (issue 6): cold indexing throughput, index size, query
//! latency, save→searchable, and retrieval quality on labeled queries against two
//! baselines (plain BM25 over whole files with tantivy's defaults, and ripgrep).
//!
//! Corpus: a fixed list of crates from the cargo registry (this project's own
//! dependencies, highest version of each) copied into a temporary directory under
//! `deps/`, plus this repository at HEAD (`git archive`) under `arranger/`.
//!
//! Labeled queries, built at run time (deterministic, seeded) and written to
//! `benches/ace-queries.json`:
//! - `commits`: this repository's commit subjects → the code files each commit changed
//!   (searched in an index of `arranger/` alone, by every method);
//! - `docs`: the first sentence of a sampled Rust function's `///` doc comment → that
//!   function (the doc comment is removed from the corpus copy before indexing).
//!
//! Run with `cargo bench -p arranger-context --bench ace -- [--quick] [--crates a,b]
//! [--corpus DIR] [--repo DIR] [--doc-queries N] [--seed N] [--no-ours] [--no-rg]
//! [--queries-out FILE] [--keep]`. Prints a report and one `RESULT {json}` line.
//! `ACE_DEBUG=1` prints ours' top snippets for every doc query missed at function level.
//!
//! Besides ours (fused `search`, k = 10), BM25 whole files and ripgrep, the report has two
//! diagnostic rows: `ours_bm25_chunks` (our BM25 over chunks alone, `WorkspaceIndex::bm25`,
//! distinct files of its top 100), `ours_k30` (fused search with k = 30, its first 10
//! distinct files: the fusion's ranking without the k = 10 / 3-per-file cap), and
//! `…_function` (doc queries: one of the top 10 snippets or chunks overlaps the function).

use anyhow::{Context as _, Result, anyhow, bail};
use arranger_context::{ParseCache, SearchRequest, SymbolMatch, WorkspaceIndex};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, STORED, STRING, Schema, TEXT, Value as _};
use tantivy::{Index, IndexReader, TantivyDocument, Term};

/// The default corpus: crates of this project's dependency tree (highest version each).
const DEFAULT_CRATES: &[&str] = &[
    "tokio",
    "tokio-util",
    "tokio-stream",
    "tokio-rustls",
    "tokio-tungstenite",
    "tantivy",
    "tantivy-fst",
    "tantivy-columnar",
    "tantivy-common",
    "tantivy-query-grammar",
    "tantivy-sstable",
    "tantivy-stacker",
    "tantivy-bitpacker",
    "tantivy-tokenizer-api",
    "regex",
    "regex-automata",
    "regex-syntax",
    "aho-corasick",
    "memchr",
    "serde",
    "serde_core",
    "serde_json",
    "serde_derive",
    "hyper",
    "hyper-util",
    "hyper-rustls",
    "http",
    "http-body",
    "httparse",
    "rustls",
    "rustls-webpki",
    "rustls-pki-types",
    "rusqlite",
    "libsqlite3-sys",
    "tree-sitter",
    "tree-sitter-rust",
    "tree-sitter-python",
    "tree-sitter-javascript",
    "tree-sitter-typescript",
    "tree-sitter-go",
    "tree-sitter-java",
    "tree-sitter-c",
    "tree-sitter-cpp",
    "tree-sitter-bash",
    "axum",
    "axum-core",
    "reqwest",
    "tower",
    "tower-http",
    "futures-util",
    "futures-core",
    "futures-channel",
    "mio",
    "bytes",
    "syn",
    "quote",
    "proc-macro2",
    "tracing",
    "tracing-core",
    "tracing-subscriber",
    "ring",
    "chrono",
    "time",
    "clap_builder",
    "ignore",
    "globset",
    "walkdir",
    "notify",
    "rmcp",
    "tungstenite",
    "cap-std",
    "cap-primitives",
    "rustix",
    "brotli",
    "zerocopy",
    "winnow",
    "toml_edit",
    "schemars",
    "crossbeam-channel",
    "crossbeam-epoch",
    "rayon",
    "rayon-core",
    "hashbrown",
    "indexmap",
    "parking_lot",
    "url",
    "idna",
    "bstr",
    "quinn-proto",
    "flate2",
    "miniz_oxide",
    "zlib-rs",
    "libmimalloc-sys",
    "landlock",
    "metrics-util",
    "governor",
    "uuid",
    "base64",
    "anyhow",
    "thiserror",
];

/// `--quick`: a small corpus for a smoke run.
const QUICK_CRATES: &[&str] = &[
    "regex-syntax",
    "serde_json",
    "tokio-util",
    "http",
    "bytes",
    "walkdir",
];

/// Files a commit query counts as relevant: code the index parses, plus CSS and HTML.
const CODE_EXTS: &[&str] = &[
    "rs", "py", "pyi", "js", "mjs", "cjs", "jsx", "ts", "mts", "cts", "tsx", "go", "java", "c",
    "h", "cc", "cpp", "cxx", "hpp", "hh", "hxx", "css", "html",
];

/// Words ripgrep is not given.
const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been",
    "before", "but", "by", "can", "could", "do", "does", "each", "else", "for", "from", "had",
    "has", "have", "how", "if", "in", "into", "is", "it", "its", "may", "more", "most", "must",
    "no", "not", "now", "of", "on", "one", "only", "or", "other", "our", "out", "over", "same",
    "should", "so", "some", "such", "than", "that", "the", "their", "them", "then", "there",
    "these", "they", "this", "those", "to", "too", "up", "use", "used", "uses", "using", "very",
    "was", "we", "were", "what", "when", "where", "which", "while", "who", "why", "will", "with",
    "would", "you", "your",
];

const RUST_KEYWORDS: &[&str] = &[
    "self", "Self", "super", "crate", "impl", "struct", "enum", "trait", "where", "return",
    "match", "loop", "while", "let", "mut", "const", "static", "unsafe", "async", "await", "move",
    "type", "true", "false", "Some", "None", "Ok", "Err", "Result", "Option", "usize", "String",
    "Vec", "Box", "else", "break", "continue", "pub", "use", "mod", "dyn", "ref",
];

/// One k for every method: hits are counted among the top `K` distinct files.
const K: usize = 10;

struct Opts {
    corpus: Option<PathBuf>,
    crates: Vec<String>,
    repo: PathBuf,
    quick: bool,
    doc_queries: usize,
    seed: u64,
    ours: bool,
    rg: bool,
    queries_out: Option<PathBuf>,
    keep: bool,
    default_corpus: bool,
}

fn parse_opts() -> Result<Opts> {
    let mut args = std::env::args().skip(1);
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut o = Opts {
        corpus: None,
        crates: DEFAULT_CRATES.iter().map(|s| s.to_string()).collect(),
        repo: manifest
            .ancestors()
            .nth(2)
            .map(Path::to_path_buf)
            .unwrap_or_else(|| manifest.clone()),
        quick: false,
        doc_queries: 300,
        seed: 6,
        ours: true,
        rg: true,
        queries_out: None,
        keep: false,
        default_corpus: true,
    };
    let mut doc_set = false;
    let mut bench = false;
    while let Some(a) = args.next() {
        let mut val = |name: &str| args.next().ok_or_else(|| anyhow!("{name} needs a value"));
        match a.as_str() {
            "--bench" => bench = true,
            "--quick" => o.quick = true,
            "--corpus" => {
                o.corpus = Some(PathBuf::from(val("--corpus")?));
                o.default_corpus = false;
            }
            "--crates" => {
                o.crates = val("--crates")?
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                o.default_corpus = false;
            }
            "--repo" => o.repo = PathBuf::from(val("--repo")?),
            "--doc-queries" => {
                o.doc_queries = val("--doc-queries")?.parse()?;
                doc_set = true;
                o.default_corpus = false;
            }
            "--seed" => {
                o.seed = val("--seed")?.parse()?;
                o.default_corpus = false;
            }
            "--no-ours" => o.ours = false,
            "--no-rg" => o.rg = false,
            "--queries-out" => o.queries_out = Some(PathBuf::from(val("--queries-out")?)),
            "--keep" => o.keep = true,
            other => bail!("unknown option {other}"),
        }
    }
    if !bench {
        // Run by `cargo test --all-targets` (no `--bench`): a smoke run of the bench's
        // code on the small corpus, not a measurement.
        o.quick = true;
        o.rg = false;
        if !doc_set {
            o.doc_queries = 20;
            doc_set = true;
        }
    }
    if o.quick {
        o.default_corpus = false;
        if o.crates == DEFAULT_CRATES {
            o.crates = QUICK_CRATES.iter().map(|s| s.to_string()).collect();
        }
        if !doc_set {
            o.doc_queries = 60;
        }
    }
    Ok(o)
}

// ---------------------------------------------------------------- small utilities

/// splitmix64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Nearest-rank percentiles of samples in milliseconds.
#[derive(Clone, Copy, Default)]
struct Lat {
    n: usize,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
}

impl Lat {
    fn of(samples: &[f64]) -> Lat {
        if samples.is_empty() {
            return Lat::default();
        }
        let mut v = samples.to_vec();
        v.sort_by(f64::total_cmp);
        let at = |p: f64| {
            let i = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
            v[i]
        };
        Lat {
            n: v.len(),
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            max: v[v.len() - 1],
        }
    }
    fn json(&self) -> Value {
        json!({"n": self.n, "p50_ms": r3(self.p50), "p95_ms": r3(self.p95), "p99_ms": r3(self.p99), "max_ms": r3(self.max)})
    }
}

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mem_kib: u64 = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0);
    json!({"nproc": nproc, "cpu": cpu, "mem_gib": r3(mem_kib as f64 / 1048576.0)})
}

fn run(cmd: &mut Command) -> Result<String> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

// ---------------------------------------------------------------- corpus

fn registry_src() -> Result<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or_else(|| anyhow!("neither CARGO_HOME nor HOME is set"))?;
    let src = home.join("registry/src");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&src)
        .with_context(|| format!("reading {}", src.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("index.crates.io-"))
        })
        .collect();
    dirs.sort();
    dirs.pop()
        .ok_or_else(|| anyhow!("no index.crates.io-* under {}", src.display()))
}

/// `1.2.3+x` / `1.2.3-rc.1` → (1, 2, 3).
fn version_key(v: &str) -> Option<Vec<u64>> {
    let core = v.split(['+', '-']).next()?;
    core.split('.').map(|p| p.parse().ok()).collect()
}

/// The directory of the highest version of crate `name` in the registry.
fn crate_dir(reg: &Path, name: &str) -> Result<Option<PathBuf>> {
    let prefix = format!("{name}-");
    let mut best: Option<(Vec<u64>, PathBuf)> = None;
    for e in std::fs::read_dir(reg)? {
        let e = e?;
        let fname = e.file_name();
        let Some(f) = fname.to_str() else { continue };
        let Some(rest) = f.strip_prefix(&prefix) else {
            continue;
        };
        let Some(key) = version_key(rest) else {
            continue;
        };
        if best.as_ref().is_none_or(|(k, _)| key > *k) {
            best = Some((key, e.path()));
        }
    }
    Ok(best.map(|(_, p)| p))
}

/// Copies the regular files of `src` into `dst` (symlinks skipped); returns (files, bytes).
fn copy_tree(src: &Path, dst: &Path) -> Result<(u64, u64)> {
    let (mut files, mut bytes) = (0, 0);
    std::fs::create_dir_all(dst)?;
    for e in std::fs::read_dir(src).with_context(|| format!("reading {}", src.display()))? {
        let e = e?;
        let ft = e.file_type()?;
        let to = dst.join(e.file_name());
        if ft.is_dir() {
            let (f, b) = copy_tree(&e.path(), &to)?;
            files += f;
            bytes += b;
        } else if ft.is_file() {
            bytes += std::fs::copy(e.path(), &to)?;
            files += 1;
        }
    }
    Ok((files, bytes))
}

fn tree_size(dir: &Path) -> Result<(u64, u64)> {
    let (mut files, mut bytes) = (0, 0);
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let ft = e.file_type()?;
        if ft.is_dir() {
            let (f, b) = tree_size(&e.path())?;
            files += f;
            bytes += b;
        } else if ft.is_file() {
            files += 1;
            bytes += e.metadata()?.len();
        }
    }
    Ok((files, bytes))
}

/// The files of `root` worth indexing, relative, sorted: the same walk and filter as the
/// index (gitignore-aware, hidden and build directories skipped, text ≤ 1 MiB, not a lock
/// file, not minified). Used by the baselines when our index is not run, and to find
/// documented functions before indexing.
fn walk_indexable(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .require_git(false)
        .filter_entry(|e| {
            let n = e.file_name().to_string_lossy();
            !matches!(n.as_ref(), ".git" | "target" | "node_modules" | ".arranger")
        })
        .build();
    for e in walker.flatten() {
        if !e.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(rel) = e.path().strip_prefix(root) else {
            continue;
        };
        let rel = rel.to_string_lossy().into_owned();
        let Ok(bytes) = std::fs::read(e.path()) else {
            continue;
        };
        if arranger_context::lang::worth_indexing(&rel, &bytes) {
            out.push(rel);
        }
    }
    out.sort();
    out
}

// ---------------------------------------------------------------- labeled queries

#[derive(Clone)]
struct Labeled {
    id: String,
    query: String,
    /// Relevant files, relative to the scope's root.
    files: Vec<String>,
    /// Doc queries: the function's span (1-based, inclusive) in the stripped copy.
    func: Option<(u32, u32)>,
    name: Option<String>,
}

/// A documented Rust function found by a line scan.
struct DocCand {
    file: String,
    doc_start: usize,
    doc_end: usize,
    fn_line: usize,
    name: String,
    query: String,
    context_idents: Vec<String>,
}

fn fn_regex() -> Result<regex::Regex> {
    Ok(regex::Regex::new(
        r#"^\s*(pub(\([^)]*\))?\s+)?(default\s+)?(const\s+)?(async\s+)?(unsafe\s+)?(extern\s+"[^"]*"\s+)?fn\s+([A-Za-z_][A-Za-z0-9_]*)"#,
    )?)
}

/// The first sentence of a doc comment's lines (markdown links and code marks removed),
/// at most 25 words; `None` below 6 words.
fn first_sentence(doc: &[&str]) -> Option<String> {
    let mut text = String::new();
    for l in doc {
        let t = l.trim_start().trim_start_matches("///").trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with("```") {
            break;
        }
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(t);
    }
    let cleaned: String = text
        .chars()
        .filter(|c| !matches!(c, '`' | '[' | ']'))
        .collect();
    let end = cleaned.find(". ").unwrap_or(cleaned.len());
    let s = cleaned[..end].trim_end_matches('.').trim();
    let words: Vec<&str> = s.split_whitespace().collect();
    if words.len() < 6 {
        return None;
    }
    Some(words[..words.len().min(25)].join(" "))
}

fn idents_of(line: &str, out: &mut Vec<String>) {
    for w in line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if w.len() >= 4
            && w.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && !RUST_KEYWORDS.contains(&w)
            && !out.iter().any(|o| o == w)
        {
            out.push(w.to_string());
        }
    }
}

/// Scans every `.rs` file under `root/sub` for documented functions.
fn scan_doc_candidates(root: &Path, files: &[String], sub: &str) -> Result<Vec<DocCand>> {
    let re = fn_regex()?;
    let mut out = Vec::new();
    for f in files {
        if !f.starts_with(sub) || !f.ends_with(".rs") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(root.join(f)) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let is_doc = |l: &str| {
                let t = l.trim_start();
                t.starts_with("///") && !t.starts_with("////")
            };
            if !is_doc(lines[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < lines.len() && is_doc(lines[i]) {
                i += 1;
            }
            let end = i;
            let mut j = end;
            while j < lines.len() {
                let t = lines[j].trim();
                if t.starts_with("#[") && t.ends_with(']') {
                    j += 1;
                } else {
                    break;
                }
            }
            let Some(caps) = lines.get(j).and_then(|l| re.captures(l)) else {
                continue;
            };
            let Some(name) = caps.get(8).map(|m| m.as_str().to_string()) else {
                continue;
            };
            let Some(query) = first_sentence(&lines[start..end]) else {
                continue;
            };
            let mut ctx = Vec::new();
            for l in lines.iter().skip(j + 1).take(12) {
                idents_of(l, &mut ctx);
            }
            out.push(DocCand {
                file: f.clone(),
                doc_start: start,
                doc_end: end,
                fn_line: j,
                name,
                query,
                context_idents: ctx,
            });
        }
    }
    Ok(out)
}

/// The (start, end) rows (0-based) of the function item starting on `row`, if tree-sitter
/// sees one there (not, e.g., inside a macro).
fn function_span(
    parser: &mut tree_sitter::Parser,
    text: &str,
    row: usize,
) -> Option<(usize, usize)> {
    let tree = parser.parse(text, None)?;
    let mut cursor = tree.walk();
    let mut node = tree.root_node();
    loop {
        if matches!(node.kind(), "function_item" | "function_signature_item")
            && node.start_position().row == row
        {
            return Some((node.start_position().row, node.end_position().row));
        }
        // Descend into the child containing `row`, else give up.
        let mut next = None;
        for child in node.children(&mut cursor) {
            if child.start_position().row <= row && row <= child.end_position().row {
                next = Some(child);
                if child.start_position().row == row
                    && matches!(child.kind(), "function_item" | "function_signature_item")
                {
                    break;
                }
            }
        }
        node = next?;
    }
}

/// Samples documented functions, removes their doc comments from the corpus copy and
/// returns the labeled queries (paths relative to `root`).
fn build_doc_queries(
    root: &Path,
    cands: &[DocCand],
    n: usize,
    rng: &mut Rng,
) -> Result<Vec<Labeled>> {
    let mut order: Vec<usize> = (0..cands.len()).collect();
    rng.shuffle(&mut order);
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_rust::LANGUAGE.into())
        .map_err(|e| anyhow!("tree-sitter-rust: {e}"))?;
    let mut used_files = HashSet::new();
    let mut seen_queries = HashSet::new();
    let mut out = Vec::new();
    for i in order {
        if out.len() >= n {
            break;
        }
        let c = &cands[i];
        if used_files.contains(&c.file) || !seen_queries.insert(c.query.to_lowercase()) {
            continue;
        }
        let path = root.join(&c.file);
        let text = std::fs::read_to_string(&path)?;
        let Some((s, e)) = function_span(&mut parser, &text, c.fn_line) else {
            continue;
        };
        let removed = c.doc_end - c.doc_start;
        let mut stripped = String::with_capacity(text.len());
        for (k, line) in text.split_inclusive('\n').enumerate() {
            if k < c.doc_start || k >= c.doc_end {
                stripped.push_str(line);
            }
        }
        std::fs::write(&path, stripped)?;
        used_files.insert(c.file.clone());
        out.push(Labeled {
            id: format!("doc-{}", out.len()),
            query: c.query.clone(),
            files: vec![c.file.clone()],
            func: Some(((s + 1 - removed) as u32, (e + 1 - removed) as u32)),
            name: Some(c.name.clone()),
        });
    }
    Ok(out)
}

fn is_relevant_code(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.contains(".gen.") || name.ends_with(".schema.json") || name.ends_with(".min.js") {
        return false;
    }
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| CODE_EXTS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// Commit subjects → changed code files that still exist at HEAD (relative to `repo_copy`).
fn build_commit_queries(repo: &Path, repo_copy: &Path) -> Result<Vec<Labeled>> {
    let log = run(Command::new("git").arg("-C").arg(repo).args([
        "log",
        "--no-merges",
        "--format=%x00%H%x01%s",
        "--name-only",
        "HEAD",
    ]))?;
    let mut out = Vec::new();
    for rec in log.split('\0').filter(|r| !r.trim().is_empty()) {
        let mut lines = rec.lines();
        let Some((hash, subject)) = lines.next().and_then(|h| h.split_once('\x01')) else {
            continue;
        };
        let changed: Vec<&str> = lines.map(str::trim).filter(|l| !l.is_empty()).collect();
        if changed.is_empty() || changed.len() > 15 {
            continue;
        }
        let files: Vec<String> = changed
            .iter()
            .filter(|f| is_relevant_code(f) && repo_copy.join(f).is_file())
            .map(|f| f.to_string())
            .collect();
        if files.is_empty() {
            continue;
        }
        let first = subject.split(". ").next().unwrap_or(subject);
        let words: Vec<&str> = first.split_whitespace().collect();
        if words.len() < 3 {
            continue;
        }
        out.push(Labeled {
            id: hash[..hash.len().min(10)].to_string(),
            query: words[..words.len().min(25)].join(" "),
            files,
            func: None,
            name: None,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------- baselines

/// Plain BM25 over whole files: tantivy defaults, one document per file.
struct Bm25 {
    index: Index,
    reader: IndexReader,
    path: tantivy::schema::Field,
    body: tantivy::schema::Field,
}

impl Bm25 {
    fn build(root: &Path, files: &[String]) -> Result<Bm25> {
        let mut sb = Schema::builder();
        let path = sb.add_text_field("path", STRING | STORED);
        let body = sb.add_text_field("body", TEXT);
        let index = Index::create_in_ram(sb.build());
        let mut writer: tantivy::IndexWriter<TantivyDocument> =
            index.writer_with_num_threads(2, 200_000_000)?;
        for f in files {
            let Ok(bytes) = std::fs::read(root.join(f)) else {
                continue;
            };
            let mut doc = TantivyDocument::default();
            doc.add_text(path, f);
            doc.add_text(body, String::from_utf8_lossy(&bytes));
            writer.add_document(doc)?;
        }
        writer.commit()?;
        writer.wait_merging_threads()?;
        let reader = index.reader()?;
        reader.reload()?;
        Ok(Bm25 {
            index,
            reader,
            path,
            body,
        })
    }

    fn search(&self, q: &str) -> Result<Vec<String>> {
        let mut tok = self.index.tokenizer_for_field(self.body)?;
        let mut stream = tok.token_stream(q);
        let mut terms = BTreeSet::new();
        while let Some(t) = stream.next() {
            terms.insert(t.text.clone());
        }
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .into_iter()
            .map(|t| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(self.body, &t),
                    IndexRecordOption::WithFreqs,
                ));
                (Occur::Should, q)
            })
            .collect();
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(K).order_by_score(),
        )?;
        let mut out = Vec::new();
        for (_, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            if let Some(p) = doc.get_first(self.path).and_then(|v| v.as_str()) {
                out.push(p.to_string());
            }
        }
        Ok(out)
    }
}

/// The query's words for ripgrep: ≥ 3 characters, stop words removed, deduplicated.
fn rg_words(q: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in q.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        let lw = w.to_lowercase();
        if w.chars().count() >= 3 && !STOP_WORDS.contains(&lw.as_str()) && !out.contains(&lw) {
            out.push(lw);
        }
    }
    out
}

/// ripgrep: files ranked by the number of lines matching any of the words.
fn rg_search(rg: &Path, root: &Path, q: &str, indexed: &HashSet<String>) -> Result<Vec<String>> {
    let words = rg_words(q);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let mut cmd = Command::new(rg);
    cmd.current_dir(root)
        .args(["-i", "-c", "-F", "--no-messages"])
        .stdin(Stdio::null());
    for w in &words {
        cmd.arg("-e").arg(w);
    }
    cmd.arg(".");
    let out = cmd.output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut hits: Vec<(u64, String)> = text
        .lines()
        .filter_map(|l| {
            let (p, n) = l.rsplit_once(':')?;
            let p = p.strip_prefix("./").unwrap_or(p);
            indexed
                .contains(p)
                .then(|| Some((n.parse().ok()?, p.to_string())))?
        })
        .collect();
    hits.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Ok(hits.into_iter().take(K).map(|(_, p)| p).collect())
}

// ---------------------------------------------------------------- our index

fn open_index(root: &Path, cache: Arc<ParseCache>) -> Result<WorkspaceIndex> {
    Ok(WorkspaceIndex::new(root.to_path_buf(), cache)?)
}

/// Distinct files in rank order, at most `K`.
fn distinct(paths: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in paths {
        if out.len() >= K {
            break;
        }
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

// ---------------------------------------------------------------- metrics

#[derive(Default, Clone)]
struct Acc {
    n: usize,
    recall: f64,
    rr: f64,
    hits: usize,
    /// Sum of the distinct files returned (at most `K` per query).
    files: usize,
    times: Vec<f64>,
}

impl Acc {
    fn add(&mut self, ranked: &[String], relevant: &[String], t: Duration) {
        self.n += 1;
        self.files += ranked.len().min(K);
        let rel: HashSet<&String> = relevant.iter().collect();
        let found = ranked.iter().take(K).filter(|p| rel.contains(p)).count();
        self.recall += found as f64 / relevant.len().max(1) as f64;
        if let Some(i) = ranked.iter().take(K).position(|p| rel.contains(p)) {
            self.rr += 1.0 / (i + 1) as f64;
            self.hits += 1;
        }
        self.times.push(ms(t));
    }
    fn add_rank(&mut self, rank: Option<usize>, t: Duration) {
        self.n += 1;
        if let Some(i) = rank {
            self.recall += 1.0;
            self.rr += 1.0 / (i + 1) as f64;
            self.hits += 1;
        }
        self.times.push(ms(t));
    }
    fn merge(&mut self, o: &Acc) {
        self.n += o.n;
        self.recall += o.recall;
        self.rr += o.rr;
        self.hits += o.hits;
        self.files += o.files;
        self.times.extend_from_slice(&o.times);
    }
    fn recall(&self) -> f64 {
        self.recall / self.n.max(1) as f64
    }
    fn mrr(&self) -> f64 {
        self.rr / self.n.max(1) as f64
    }
    fn json(&self) -> Value {
        let l = Lat::of(&self.times);
        json!({"n": self.n, "recall_at_10": r3(self.recall()), "mrr_at_10": r3(self.mrr()),
               "hit_at_10": r3(self.hits as f64 / self.n.max(1) as f64),
               "mean_files": r3(self.files as f64 / self.n.max(1) as f64),
               "p50_ms": r3(l.p50), "p95_ms": r3(l.p95)})
    }
}

// ---------------------------------------------------------------- main

struct Scope {
    root: PathBuf,
    files: Vec<String>,
    set: HashSet<String>,
    ours: Option<WorkspaceIndex>,
    bm25: Bm25,
}

fn main() {
    if let Err(e) = real_main() {
        eprintln!("ace bench failed: {e:#}");
        std::process::exit(1);
    }
}

fn real_main() -> Result<()> {
    let o = parse_opts()?;
    let started = Instant::now();
    let mach = machine();
    println!("== ACE context engine bench ==");
    println!(
        "machine: {} × {} ({} GiB)",
        mach["nproc"], mach["cpu"], mach["mem_gib"]
    );

    // ---- corpus
    let tmp = tempfile::Builder::new().prefix("ace-bench-").tempdir()?;
    let corpus = tmp.path().join("corpus");
    let deps = corpus.join("deps");
    std::fs::create_dir_all(&deps)?;
    let mut crate_names = Vec::new();
    let (mut files_copied, mut bytes_copied) = (0u64, 0u64);
    if let Some(src) = &o.corpus {
        let (f, b) = copy_tree(src, &deps)?;
        files_copied += f;
        bytes_copied += b;
    } else {
        let reg = registry_src()?;
        for name in &o.crates {
            match crate_dir(&reg, name)? {
                Some(dir) => {
                    let dname = dir
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| name.clone());
                    let (f, b) = copy_tree(&dir, &deps.join(&dname))?;
                    files_copied += f;
                    bytes_copied += b;
                    crate_names.push(dname);
                }
                None => println!("note: crate {name} not in the registry cache, skipped"),
            }
        }
    }
    let repo_copy = corpus.join("arranger");
    std::fs::create_dir_all(&repo_copy)?;
    let repo_head = run(Command::new("git")
        .arg("-C")
        .arg(&o.repo)
        .args(["rev-parse", "HEAD"]))?
    .trim()
    .to_string();
    {
        let mut archive = Command::new("git")
            .arg("-C")
            .arg(&o.repo)
            .args(["archive", "HEAD"])
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = archive
            .stdout
            .take()
            .ok_or_else(|| anyhow!("git archive has no stdout"))?;
        let status = Command::new("tar")
            .arg("-x")
            .arg("-C")
            .arg(&repo_copy)
            .stdin(stdout)
            .status()?;
        if !archive.wait()?.success() || !status.success() {
            bail!("git archive | tar failed");
        }
    }
    // The labeled queries must not be part of the corpus.
    let _ = std::fs::remove_file(repo_copy.join("crates/context/benches/ace-queries.json"));
    let (rf, rb) = tree_size(&repo_copy)?;
    files_copied += rf;
    bytes_copied += rb;
    println!(
        "corpus: {} ({} crates + this repository at {}), {} files, {:.1} MB copied",
        corpus.display(),
        crate_names.len(),
        &repo_head[..repo_head.len().min(10)],
        files_copied,
        bytes_copied as f64 / 1e6
    );

    // ---- labeled queries (before indexing: doc comments are stripped from the copy)
    let t = Instant::now();
    let pre_files = walk_indexable(&corpus);
    let cands = scan_doc_candidates(&corpus, &pre_files, "deps/")?;
    let mut rng = Rng(o.seed);
    let mut docs = build_doc_queries(&corpus, &cands, o.doc_queries, &mut rng)?;
    let mut commits = build_commit_queries(&o.repo, &repo_copy)?;
    println!(
        "queries: {} doc→function (of {} documented functions), {} commit→files; built in {:.1} s",
        docs.len(),
        cands.len(),
        commits.len(),
        t.elapsed().as_secs_f64()
    );
    // Symbol and lexical probes, sampled from the same scan.
    let mut sym_names: Vec<String> = cands.iter().map(|c| c.name.clone()).collect();
    sym_names.sort();
    sym_names.dedup();
    sym_names.retain(|n| n.len() >= 4);
    rng.shuffle(&mut sym_names);
    sym_names.truncate(if o.quick { 100 } else { 300 });
    let mut lexical = Vec::new();
    let mut order: Vec<usize> = (0..cands.len()).collect();
    rng.shuffle(&mut order);
    for i in order {
        if lexical.len() >= if o.quick { 100 } else { 300 } {
            break;
        }
        let c = &cands[i];
        if c.context_idents.is_empty() {
            continue;
        }
        let mut words = vec![c.name.clone()];
        let n = 1 + rng.below(2).min(c.context_idents.len() - 1);
        for _ in 0..n {
            let w = &c.context_idents[rng.below(c.context_idents.len())];
            if !words.contains(w) {
                words.push(w.clone());
            }
        }
        lexical.push(words.join(" "));
    }

    // ---- indexes
    let rss0 = rss_kib();
    let cache = Arc::new(ParseCache::default());
    let mut index_json = json!(null);
    let (full_ours, repo_ours) = if o.ours {
        let idx = open_index(&corpus, cache.clone())?;
        let t = Instant::now();
        idx.build(&|_| {})?;
        let build = t.elapsed();
        let rss1 = rss_kib();
        let st = idx.status();
        let size = idx.size_bytes();
        let secs = build.as_secs_f64();
        println!(
            "ours: cold build {:.2} s: {} files, {:.1} MB indexed → {:.1} MB/s, {:.0} files/s; {} symbols, {} chunks",
            secs,
            st.files,
            st.bytes as f64 / 1e6,
            st.bytes as f64 / 1e6 / secs,
            st.files as f64 / secs,
            st.symbols,
            st.chunks
        );
        println!(
            "ours: index size {:.1} MB = {:.2}× the indexed bytes; RSS {:.1} → {:.1} MiB (+{:.1} MiB = {:.2}× the indexed bytes)",
            size as f64 / 1e6,
            size as f64 / st.bytes.max(1) as f64,
            rss0 as f64 / 1024.0,
            rss1 as f64 / 1024.0,
            (rss1.saturating_sub(rss0)) as f64 / 1024.0,
            (rss1.saturating_sub(rss0) * 1024) as f64 / st.bytes.max(1) as f64
        );
        index_json = json!({
            "files": st.files, "bytes": st.bytes, "symbols": st.symbols, "chunks": st.chunks,
            "build_s": r3(secs), "mb_per_s": r3(st.bytes as f64 / 1e6 / secs),
            "files_per_s": r3(st.files as f64 / secs),
            "size_bytes": size, "size_ratio": r3(size as f64 / st.bytes.max(1) as f64),
            "rss_before_kib": rss0, "rss_after_kib": rss1,
            "rss_growth_ratio": r3((rss1.saturating_sub(rss0) * 1024) as f64 / st.bytes.max(1) as f64),
        });
        // Background merges finish and their inputs are collected.
        std::thread::sleep(Duration::from_secs(5));
        let settled = idx.size_bytes();
        let rss2 = rss_kib();
        println!(
            "ours: after 5 s (merges settled): index size {:.1} MB = {:.2}×; RSS {:.1} MiB",
            settled as f64 / 1e6,
            settled as f64 / st.bytes.max(1) as f64,
            rss2 as f64 / 1024.0
        );
        index_json["size_bytes_settled"] = json!(settled);
        index_json["size_ratio_settled"] = json!(r3(settled as f64 / st.bytes.max(1) as f64));
        index_json["rss_settled_kib"] = json!(rss2);
        let ridx = open_index(&repo_copy, cache.clone())?;
        ridx.build(&|_| {})?;
        (Some(idx), Some(ridx))
    } else {
        (None, None)
    };
    let scope = |root: &Path, ours: Option<WorkspaceIndex>| -> Result<Scope> {
        let files = match &ours {
            Some(i) => i.files(),
            None => walk_indexable(root),
        };
        let t = Instant::now();
        let bm25 = Bm25::build(root, &files)?;
        println!(
            "bm25 baseline: {} files of {} indexed in {:.2} s",
            files.len(),
            root.display(),
            t.elapsed().as_secs_f64()
        );
        Ok(Scope {
            root: root.to_path_buf(),
            set: files.iter().cloned().collect(),
            files,
            ours,
            bm25,
        })
    };
    let full = scope(&corpus, full_ours)?;
    let repo = scope(&repo_copy, repo_ours)?;
    // Queries whose target the index refused (size filter) cannot be found by anyone.
    docs.retain(|q| q.files.iter().all(|f| full.set.contains(f)));
    for q in &mut commits {
        q.files.retain(|f| repo.set.contains(f));
    }
    commits.retain(|q| !q.files.is_empty());

    // ---- write the query set
    let queries_out = match &o.queries_out {
        Some(p) => p.clone(),
        None if o.default_corpus && !o.quick => {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/ace-queries.json")
        }
        None => std::env::temp_dir().join("ace-queries.json"),
    };
    let qjson = json!({
        "about": "Labeled queries of the ACE bench (crates/context/benches/ace.rs), generated; paths relative to the corpus root (docs) or the repository copy (commits)",
        "seed": o.seed,
        "repo_head": repo_head,
        "crates": crate_names,
        "commits": commits.iter().map(|q| json!({"id": q.id, "query": q.query, "files": q.files})).collect::<Vec<_>>(),
        "docs": docs.iter().map(|q| json!({"id": q.id, "query": q.query, "file": q.files[0], "function": q.name, "lines": q.func.map(|(a, b)| [a, b])})).collect::<Vec<_>>(),
    });
    std::fs::write(&queries_out, serde_json::to_string_pretty(&qjson)? + "\n")?;
    println!(
        "query set: {} commits, {} docs → {}",
        commits.len(),
        docs.len(),
        queries_out.display()
    );

    // ---- latency: symbols and lexical
    let mut latency = serde_json::Map::new();
    if let Some(idx) = &full.ours {
        let mut found = 0usize;
        for (label, mode) in [
            ("symbol_exact", SymbolMatch::Exact),
            ("symbol_prefix", SymbolMatch::Prefix),
            ("symbol_fuzzy", SymbolMatch::Fuzzy),
        ] {
            let mut v = Vec::new();
            for name in &sym_names {
                let q = match mode {
                    SymbolMatch::Exact => name.clone(),
                    SymbolMatch::Prefix => name.chars().take((name.len() / 2).max(3)).collect(),
                    SymbolMatch::Fuzzy => fuzzy_of(name),
                };
                let t = Instant::now();
                let r = idx.symbols(&q, mode, 20);
                v.push(ms(t.elapsed()));
                if mode == SymbolMatch::Exact && r.iter().any(|s| &s.name == name) {
                    found += 1;
                }
            }
            latency.insert(label.into(), Lat::of(&v).json());
        }
        latency.insert(
            "symbol_exact_found".into(),
            json!(r3(found as f64 / sym_names.len().max(1) as f64)),
        );
        let mut v = Vec::new();
        for q in &lexical {
            let t = Instant::now();
            idx.search(&SearchRequest {
                query: q.clone(),
                k: K,
                budget_tokens: 1_000_000,
                seed_paths: Vec::new(),
                memory: false,
            })?;
            v.push(ms(t.elapsed()));
        }
        latency.insert("lexical".into(), Lat::of(&v).json());
    }

    // ---- quality
    let rg = Path::new("/usr/bin/rg");
    let rg = if !o.rg {
        None
    } else if rg.exists() {
        Some(rg.to_path_buf())
    } else {
        println!("note: ripgrep not found at /usr/bin/rg: its baseline is skipped");
        None
    };
    let mut acc: BTreeMap<(&str, &str), Acc> = BTreeMap::new();
    let mut fused_times = Vec::new();
    for (set, qs, sc) in [("commits", &commits, &repo), ("docs", &docs, &full)] {
        for q in qs.iter() {
            if let Some(idx) = &sc.ours {
                let t = Instant::now();
                let r = idx.search(&SearchRequest {
                    query: q.query.clone(),
                    k: K,
                    budget_tokens: 1_000_000,
                    seed_paths: Vec::new(),
                    memory: false,
                });
                let el = t.elapsed();
                fused_times.push(ms(el));
                let snippets = r.map(|r| r.snippets).unwrap_or_default();
                let ranked = distinct(snippets.iter().map(|s| s.path.clone()));
                acc.entry((set, "ours"))
                    .or_default()
                    .add(&ranked, &q.files, el);
                if let Some((a, b)) = q.func {
                    let rank = snippets
                        .iter()
                        .take(K)
                        .position(|s| s.path == q.files[0] && s.start_line <= b && s.end_line >= a);
                    if std::env::var_os("ACE_DEBUG").is_some() && rank.is_none() {
                        eprintln!("MISS {} {}:{}-{} q={:?}", q.id, q.files[0], a, b, q.query);
                        for s in snippets.iter().take(K) {
                            eprintln!(
                                "   {}:{}-{} {:?}",
                                s.path, s.start_line, s.end_line, s.symbol
                            );
                        }
                    }
                    acc.entry((set, "ours_function"))
                        .or_default()
                        .add_rank(rank, el);
                }
                // Diagnostic: the same fusion with room for K distinct files.
                let t = Instant::now();
                let r = idx.search(&SearchRequest {
                    query: q.query.clone(),
                    k: 3 * K,
                    budget_tokens: 1_000_000,
                    seed_paths: Vec::new(),
                    memory: false,
                });
                let el = t.elapsed();
                let ranked = distinct(
                    r.map(|r| r.snippets)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|s| s.path),
                );
                acc.entry((set, "ours_k30"))
                    .or_default()
                    .add(&ranked, &q.files, el);
                let t = Instant::now();
                let r = idx.bm25(&q.query, 100).unwrap_or_default();
                let el = t.elapsed();
                if let Some((a, b)) = q.func {
                    let rank = r
                        .iter()
                        .take(K)
                        .position(|h| h.0 == q.files[0] && h.1 <= b && h.2 >= a);
                    acc.entry((set, "ours_bm25_chunks_function"))
                        .or_default()
                        .add_rank(rank, el);
                }
                let ranked = distinct(r.iter().map(|h| h.0.clone()));
                acc.entry((set, "ours_bm25_chunks"))
                    .or_default()
                    .add(&ranked, &q.files, el);
            }
            let t = Instant::now();
            let ranked = sc.bm25.search(&q.query)?;
            acc.entry((set, "bm25"))
                .or_default()
                .add(&ranked, &q.files, t.elapsed());
            if let Some(rg) = &rg {
                let t = Instant::now();
                let ranked = rg_search(rg, &sc.root, &q.query, &sc.set)?;
                acc.entry((set, "rg"))
                    .or_default()
                    .add(&ranked, &q.files, t.elapsed());
            }
        }
    }
    if !fused_times.is_empty() {
        latency.insert("fused".into(), Lat::of(&fused_times).json());
    }
    let mut overall: BTreeMap<&str, Acc> = BTreeMap::new();
    for ((_, m), a) in &acc {
        overall.entry(m).or_default().merge(a);
    }

    // ---- save → searchable
    let mut save = json!(null);
    if let Some(idx) = &full.ours {
        let mut rs: Vec<&String> = full
            .files
            .iter()
            .filter(|f| f.starts_with("deps/") && f.ends_with(".rs"))
            .collect();
        rs.retain(|f| {
            std::fs::metadata(corpus.join(f))
                .map(|m| (4_000..60_000).contains(&m.len()))
                .unwrap_or(false)
        });
        rng.shuffle(&mut rs);
        let mut v = Vec::new();
        let mut misses = 0;
        for (i, f) in rs.iter().take(if o.quick { 5 } else { 20 }).enumerate() {
            let name = format!("ace_bench_probe_{i}_{:x}", rng.next() & 0xffff_ffff);
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(corpus.join(f))?;
            writeln!(file, "\npub fn {name}() -> u32 {{\n    {i}\n}}")?;
            drop(file);
            let t = Instant::now();
            idx.update(std::slice::from_ref(*f))?;
            let mut ok = false;
            while t.elapsed() < Duration::from_secs(5) {
                if idx
                    .symbols(&name, SymbolMatch::Exact, 1)
                    .iter()
                    .any(|s| s.name == name)
                {
                    ok = true;
                    break;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            if ok {
                v.push(ms(t.elapsed()));
            } else {
                misses += 1;
            }
        }
        let l = Lat::of(&v);
        save = json!({"n": l.n, "misses": misses, "p50_ms": r3(l.p50), "p95_ms": r3(l.p95), "max_ms": r3(l.max),
                      "note": "update() + symbols() only; the server adds the watcher's 200 ms debounce"});
    }

    // ---- report
    println!();
    println!("## Latency (ms)");
    println!("| probe | n | p50 | p95 | p99 | max |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (k, v) in &latency {
        if let Some(n) = v.get("n") {
            println!(
                "| {k} | {n} | {} | {} | {} | {} |",
                v["p50_ms"], v["p95_ms"], v["p99_ms"], v["max_ms"]
            );
        }
    }
    if !save.is_null() {
        println!(
            "save→searchable (update + symbols, without the server's 200 ms watcher debounce): n={} p50 {} ms, p95 {} ms, max {} ms, {} not found within 5 s",
            save["n"], save["p50_ms"], save["p95_ms"], save["max_ms"], save["misses"]
        );
    }
    println!();
    println!("## Retrieval quality (file level, top {K} distinct files)");
    println!("| set | method | n | recall@10 | MRR@10 | hit@10 | files | p50 ms | p95 ms |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut quality = serde_json::Map::new();
    let sets: Vec<(&str, Vec<(&str, &Acc)>)> = ["commits", "docs"]
        .iter()
        .map(|s| {
            (
                *s,
                acc.iter()
                    .filter(|((set, _), _)| set == s)
                    .map(|((_, m), a)| (*m, a))
                    .collect(),
            )
        })
        .chain(std::iter::once((
            "overall",
            overall.iter().map(|(m, a)| (*m, a)).collect(),
        )))
        .collect();
    for (set, ms_) in &sets {
        let mut obj = serde_json::Map::new();
        for (m, a) in ms_ {
            let l = Lat::of(&a.times);
            println!(
                "| {set} | {m} | {} | {:.3} | {:.3} | {:.3} | {:.1} | {:.2} | {:.2} |",
                a.n,
                a.recall(),
                a.mrr(),
                a.hits as f64 / a.n.max(1) as f64,
                a.files as f64 / a.n.max(1) as f64,
                l.p50,
                l.p95
            );
            obj.insert(m.to_string(), a.json());
        }
        let get = |m: &str| ms_.iter().find(|(n, _)| *n == m).map(|(_, a)| a.recall());
        if let (Some(ours), Some(b)) = (get("ours"), get("bm25")) {
            let ratio = if b > 0.0 { ours / b } else { f64::INFINITY };
            obj.insert("ratio_ours_bm25".into(), json!(r3(ratio)));
            println!("| {set} | **ours / bm25 recall@10** | | {ratio:.2}× | | | | | |");
        }
        quality.insert(set.to_string(), Value::Object(obj));
    }

    // ---- targets
    let mut targets = serde_json::Map::new();
    let lat = |k: &str, f: &str| latency.get(k).and_then(|v| v[f].as_f64());
    if !index_json.is_null() {
        let t = |name: &str, ok: bool| (name.to_string(), json!(ok));
        let mb = index_json["mb_per_s"].as_f64().unwrap_or(0.0);
        let ratio = index_json["size_ratio"].as_f64().unwrap_or(f64::INFINITY);
        let worst_sym = ["symbol_exact", "symbol_prefix", "symbol_fuzzy", "lexical"]
            .iter()
            .filter_map(|k| lat(k, "p95_ms"))
            .fold(0.0, f64::max);
        let fused = lat("fused", "p95_ms").unwrap_or(f64::INFINITY);
        let save95 = save["p95_ms"].as_f64().unwrap_or(f64::INFINITY);
        let rq = quality
            .get("overall")
            .and_then(|o| o.get("ratio_ours_bm25"))
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        for (k, v) in [
            t("indexing_ge_10_mb_s", mb >= 10.0),
            t("size_le_1_5x", ratio <= 1.5),
            t("symbol_lexical_p95_le_50ms", worst_sym <= 50.0),
            t("fused_p95_le_150ms", fused <= 150.0),
            t("save_to_searchable_le_1s", save95 <= 1000.0),
            t("recall_ge_1_3x_bm25", rq >= 1.3),
        ] {
            println!(
                "target {k}: {}",
                if v == json!(true) { "met" } else { "NOT met" }
            );
            targets.insert(k, v);
        }
    } else {
        println!("ours: not measured (--no-ours)");
    }
    let total = started.elapsed().as_secs_f64();
    println!("total {:.1} s", total);
    let result = json!({
        "bench": "ace",
        "machine": mach,
        "corpus": {"crates": crate_names, "custom_dir": o.corpus, "repo_head": repo_head,
                   "files_copied": files_copied, "bytes_copied": bytes_copied,
                   "files_indexable": full.files.len(), "repo_files_indexable": repo.files.len()},
        "queries": {"commits": commits.len(), "docs": docs.len(), "symbols": sym_names.len(),
                    "lexical": lexical.len(), "seed": o.seed, "file": queries_out},
        "index": index_json,
        "latency": latency,
        "save_to_searchable": save,
        "quality": quality,
        "targets": targets,
        "rg": rg.is_some(),
        "total_s": r3(total),
    });
    println!("RESULT {result}");
    if o.keep {
        let kept = tmp.keep();
        println!("kept {}", kept.display());
    }
    Ok(())
}

/// A fuzzy probe for `name`: its first character, then its consonants, at most 6.
fn fuzzy_of(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if out.len() >= 6 {
            break;
        }
        if i == 0 || !(matches!(c.to_ascii_lowercase(), 'a' | 'e' | 'i' | 'o' | 'u' | '_')) {
            out.push(c);
        }
    }
    out
}
