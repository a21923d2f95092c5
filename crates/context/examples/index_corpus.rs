//! Builds an index of a directory and prints throughput, size and query latencies.
//!
//! `cargo run --release -p arranger-context --example index_corpus -- <dir>`

use arranger_context::{ParseCache, SearchRequest, SymbolMatch, WorkspaceIndex};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn percentiles(mut v: Vec<Duration>) -> String {
    v.sort();
    let p = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3;
    format!(
        "p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms (n={})",
        p(0.5),
        p(0.95),
        p(1.0),
        v.len()
    )
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::fs::canonicalize(std::env::args().nth(1).ok_or("usage: index_corpus <dir>")?)?;
    let index = WorkspaceIndex::new(root.clone(), Arc::new(ParseCache::default()))?;
    let ((), build) = time(|| index.build(&|_| {}).map_err(|e| e.to_string())).map_ok()?;
    let st = index.status();
    let mb = st.bytes as f64 / 1e6;
    println!(
        "build: {} files, {:.1} MB, {} symbols, {} chunks in {:.2} s = {:.1} MB/s",
        st.files,
        mb,
        st.symbols,
        st.chunks,
        build.as_secs_f64(),
        mb / build.as_secs_f64()
    );
    let size = index.size_bytes() as f64 / 1e6;
    println!("index size: {size:.1} MB = {:.2}x corpus", size / mb);
    // Background merges finish and their inputs are collected.
    std::thread::sleep(Duration::from_secs(5));
    let size = index.size_bytes() as f64 / 1e6;
    println!(
        "index size after merges settle: {size:.1} MB = {:.2}x corpus",
        size / mb
    );

    let words = [
        "spawn blocking task",
        "parse regex syntax",
        "serialize struct field",
        "http request header",
        "index writer commit",
        "tokenizer",
        "JoinHandle",
        "deserialize_any",
        "BooleanQuery",
        "connection pool",
        "thread pool scope",
        "utf8 decode",
        "segment reader",
        "poll_read",
        "visit map",
        "error kind",
        "compile pattern to nfa",
        "merge policy",
        "socket address",
        "channel send receive",
        "span enter exit",
        "HashMap insert",
        "sha256 digest",
        "cursor position",
    ];
    let syms = [
        "JoinHandle",
        "Regex",
        "Serializer",
        "IndexWriter",
        "Searcher",
        "spawn",
        "new",
        "poll_read",
    ];
    let prefixes = ["Seg", "poll_", "serialize_", "Join", "reg", "h"];
    let fuzzy = ["jhandle", "bqry", "desany", "idxwr", "segrd", "sp"];
    let mut sym_t = Vec::new();
    for _ in 0..5 {
        for s in syms {
            sym_t.push(time(|| index.symbols(s, SymbolMatch::Exact, 20)).1);
        }
        for s in prefixes {
            sym_t.push(time(|| index.symbols(s, SymbolMatch::Prefix, 20)).1);
        }
    }
    println!("symbols exact+prefix: {}", percentiles(sym_t));
    let mut fz = Vec::new();
    for _ in 0..5 {
        for s in fuzzy {
            fz.push(time(|| index.symbols(s, SymbolMatch::Fuzzy, 20)).1);
        }
    }
    println!("symbols fuzzy: {}", percentiles(fz));
    let mut lex = Vec::new();
    let mut fused = Vec::new();
    for _ in 0..3 {
        for q in words {
            lex.push(time(|| index.bm25(q, 100)).1);
            let req = SearchRequest {
                query: q.into(),
                k: 10,
                budget_tokens: 4_000,
                ..SearchRequest::default()
            };
            fused.push(time(|| index.search(&req)).1);
        }
    }
    println!("lexical (BM25 top 100): {}", percentiles(lex));
    println!("fused search (k 10, 4k tokens): {}", percentiles(fused));
    for q in [
        "JoinHandle",
        "compile pattern to nfa",
        "index writer commit",
    ] {
        let req = SearchRequest {
            query: q.into(),
            k: 3,
            budget_tokens: 4_000,
            ..SearchRequest::default()
        };
        if let Ok(res) = index.search(&req) {
            for s in res.snippets {
                println!(
                    "  {q:?} -> {}:{}-{} {:?} [{}]",
                    s.path, s.start_line, s.end_line, s.symbol, s.reason
                );
            }
        }
    }

    // Single-file update latency.
    let files = index.files();
    let mut upd = Vec::new();
    for (i, f) in files
        .iter()
        .filter(|f| f.ends_with(".rs"))
        .take(10)
        .enumerate()
    {
        let path = root.join(f);
        let mut text = std::fs::read_to_string(&path)?;
        text.push_str(&format!("\npub fn freshly_saved_function_{i}() {{}}\n"));
        std::fs::write(&path, text)?;
        let (n, d) = time(|| index.update(std::slice::from_ref(f)));
        if n.map_err(|e| e.to_string())? != 1 {
            return Err("update did not change the file".into());
        }
        if index
            .symbols(
                &format!("freshly_saved_function_{i}"),
                SymbolMatch::Exact,
                1,
            )
            .is_empty()
        {
            return Err("update not visible".into());
        }
        upd.push(d);
    }
    println!(
        "single-file update (save → searchable): {}",
        percentiles(upd)
    );
    Ok(())
}

trait MapOk<T> {
    fn map_ok(self) -> Result<T, String>;
}

impl<T> MapOk<((), Duration)> for (Result<T, String>, Duration) {
    fn map_ok(self) -> Result<((), Duration), String> {
        self.0.map(|_| ((), self.1))
    }
}
