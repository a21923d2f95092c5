//! The workspace index over real temporary workspaces.

use arranger_context::{
    IndexError, IndexState, MemoryDoc, ParseCache, SearchRequest, SnippetSource, SymbolMatch,
    WorkspaceIndex,
};
use std::path::Path;
use std::sync::Arc;

const LEXER_RS: &str = r#"//! The lexer.

/// Splits source text into tokens, skipping whitespace and comments.
pub fn tokenize_source(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        out.push(Token::new(word));
    }
    out
}

/// One token.
pub struct Token {
    pub text: String,
}

impl Token {
    /// A token of `text`.
    pub fn new(text: &str) -> Token {
        Token { text: text.to_string() }
    }
}
"#;

const SERVER_RS: &str = r#"use crate::lexer::tokenize_source;

/// The error an HTTP server reports.
pub struct HttpServerError {
    pub code: u16,
}

/// Handles one request: tokenizes the body and answers.
pub fn handle_request(body: &str) -> Result<usize, HttpServerError> {
    let tokens = tokenize_source(body);
    if tokens.is_empty() {
        return Err(HttpServerError { code: 400 });
    }
    Ok(tokens.len())
}
"#;

const BILLING_PY: &str = r#"import math


def compute_invoice_total(items, tax_rate):
    """Sum the line items of an invoice and apply the tax rate."""
    subtotal = sum(item.price * item.quantity for item in items)
    return math.ceil(subtotal * (1 + tax_rate))


class InvoiceRepository:
    """Stores invoices in the database."""

    def save_invoice(self, invoice):
        self.db.insert("invoices", invoice)
"#;

const WIDGET_TS: &str = r#"export interface WidgetProps {
  title: string;
}

export function renderWidgetFrame(props: WidgetProps): string {
  return `<div class="frame">${props.title}</div>`;
}
"#;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

fn workspace() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "src/lexer.rs", LEXER_RS);
    write(root, "src/server.rs", SERVER_RS);
    write(root, "py/billing.py", BILLING_PY);
    write(root, "web/widget.ts", WIDGET_TS);
    write(root, ".gitignore", "generated/\n");
    write(
        root,
        "generated/secret_output.rs",
        "pub fn leaked_generated_symbol() {}\n",
    );
    write(root, "target/debug/build.rs", "pub fn target_symbol() {}\n");
    tmp
}

fn open(root: &Path, cache: &Arc<ParseCache>) -> WorkspaceIndex {
    let index = WorkspaceIndex::new(root.to_path_buf(), cache.clone()).unwrap();
    index.build(&|_| {}).unwrap();
    index
}

fn search(index: &WorkspaceIndex, q: &str) -> Vec<(String, Option<String>)> {
    let res = index
        .search(&SearchRequest {
            query: q.into(),
            k: 10,
            budget_tokens: 8_000,
            ..SearchRequest::default()
        })
        .unwrap();
    res.snippets
        .into_iter()
        .map(|s| (s.path, s.symbol))
        .collect()
}

fn paths(hits: &[(String, Option<String>)]) -> Vec<&str> {
    hits.iter().map(|h| h.0.as_str()).collect()
}

#[test]
fn builds_and_reports_status() {
    let tmp = workspace();
    let cache = Arc::new(ParseCache::default());
    let progress = std::cell::Cell::new(0);
    let index = WorkspaceIndex::new(tmp.path().to_path_buf(), cache).unwrap();
    index.build(&|_| progress.set(progress.get() + 1)).unwrap();
    assert!(progress.get() >= 2);
    assert_eq!(
        index.files(),
        [
            "py/billing.py",
            "src/lexer.rs",
            "src/server.rs",
            "web/widget.ts"
        ]
    );
    let st = index.status();
    assert_eq!(st.state, IndexState::Ready);
    assert_eq!(st.files, 4);
    assert!(st.symbols >= 6, "{st:?}");
    assert!(st.chunks >= 4);
    assert!(st.build_ms.is_some() && st.updated_at.is_some());
    assert!(!st.languages.is_empty());
    assert!(index.size_bytes() > 0);
}

#[test]
fn symbols_exact_prefix_fuzzy() {
    let tmp = workspace();
    let index = open(tmp.path(), &Arc::new(ParseCache::default()));
    let exact = index.symbols("handle_request", SymbolMatch::Exact, 5);
    assert_eq!(exact.len(), 1);
    assert_eq!(exact[0].path, "src/server.rs");
    assert_eq!(exact[0].start_line, 9);
    // Case-insensitive fallback.
    assert_eq!(
        index.symbols("httpservererror", SymbolMatch::Exact, 5)[0].name,
        "HttpServerError"
    );
    let prefix = index.symbols("compute_inv", SymbolMatch::Prefix, 5);
    assert_eq!(prefix[0].name, "compute_invoice_total");
    let fuzzy = index.symbols("rwf", SymbolMatch::Fuzzy, 5);
    assert_eq!(fuzzy[0].name, "renderWidgetFrame");
    assert!(
        index
            .symbols("leaked_generated_symbol", SymbolMatch::Exact, 5)
            .is_empty()
    );
    assert!(
        index
            .symbols("target_symbol", SymbolMatch::Exact, 5)
            .is_empty()
    );
}

#[test]
fn purpose_words_and_identifiers_rank_definitions() {
    let tmp = workspace();
    let index = open(tmp.path(), &Arc::new(ParseCache::default()));
    // Words of the purpose find the chunk.
    let hits = search(&index, "sum line items of an invoice with tax");
    assert_eq!(hits[0].0, "py/billing.py", "{hits:?}");
    assert_eq!(hits[0].1.as_deref(), Some("compute_invoice_total"));
    // An identifier ranks its definition first.
    let hits = search(&index, "tokenize_source");
    assert_eq!(
        hits[0],
        ("src/lexer.rs".into(), Some("tokenize_source".into())),
        "{hits:?}"
    );
    assert!(paths(&hits).contains(&"src/server.rs"));
    // camelCase / snake_case parts match.
    let hits = search(&index, "widget frame");
    assert_eq!(hits[0].0, "web/widget.ts", "{hits:?}");
    let hits = search(&index, "server error");
    assert_eq!(hits[0].0, "src/server.rs", "{hits:?}");
    let res = index
        .search(&SearchRequest {
            query: "tokenize_source".into(),
            ..SearchRequest::default()
        })
        .unwrap();
    assert!(
        res.snippets[0].reason.contains("defines `tokenize_source`"),
        "{}",
        res.snippets[0].reason
    );
    assert!(res.snippets[0].text.contains("pub fn tokenize_source"));
}

#[test]
fn updates_make_changes_visible() {
    let tmp = workspace();
    let root = tmp.path();
    let index = open(root, &Arc::new(ParseCache::default()));
    // Edit.
    write(
        root,
        "src/lexer.rs",
        &LEXER_RS.replace("tokenize_source", "scan_characters"),
    );
    assert_eq!(index.update(&["src/lexer.rs".into()]).unwrap(), 1);
    assert!(
        index
            .symbols("tokenize_source", SymbolMatch::Exact, 5)
            .is_empty()
    );
    assert_eq!(
        index
            .symbols("scan_characters", SymbolMatch::Exact, 5)
            .len(),
        1
    );
    assert_eq!(search(&index, "scan_characters")[0].0, "src/lexer.rs");
    // Unchanged: nothing to do.
    assert_eq!(index.update(&["src/lexer.rs".into()]).unwrap(), 0);
    // Rename.
    std::fs::rename(root.join("py/billing.py"), root.join("py/invoices.py")).unwrap();
    assert_eq!(
        index
            .update(&["py/billing.py".into(), "py/invoices.py".into()])
            .unwrap(),
        2
    );
    assert_eq!(
        index.symbols("compute_invoice_total", SymbolMatch::Exact, 5)[0].path,
        "py/invoices.py"
    );
    assert!(
        paths(&search(&index, "invoice tax"))
            .iter()
            .all(|p| *p != "py/billing.py")
    );
    // New directory.
    write(
        root,
        "lib/deep/nested.py",
        "def freshly_added_helper():\n    return 42\n",
    );
    write(root, "lib/deep/ignored.rs", "fn ignored_by_rule() {}\n");
    write(root, "lib/.gitignore", "ignored.rs\n");
    assert_eq!(index.update(&["lib".into()]).unwrap(), 1);
    assert_eq!(
        index.symbols("freshly_added_helper", SymbolMatch::Exact, 5)[0].path,
        "lib/deep/nested.py"
    );
    assert!(
        index
            .symbols("ignored_by_rule", SymbolMatch::Exact, 5)
            .is_empty()
    );
    // A file under an ignored directory, updated directly, stays out.
    write(root, "generated/new.rs", "fn also_generated() {}\n");
    assert_eq!(index.update(&["generated/new.rs".into()]).unwrap(), 0);
    assert!(
        index
            .symbols("also_generated", SymbolMatch::Exact, 5)
            .is_empty()
    );
    // Delete a file, then a directory.
    std::fs::remove_file(root.join("web/widget.ts")).unwrap();
    assert_eq!(index.update(&["web/widget.ts".into()]).unwrap(), 1);
    assert!(
        index
            .symbols("renderWidgetFrame", SymbolMatch::Exact, 5)
            .is_empty()
    );
    assert!(
        paths(&search(&index, "widget frame"))
            .iter()
            .all(|p| *p != "web/widget.ts")
    );
    std::fs::remove_dir_all(root.join("lib")).unwrap();
    assert_eq!(index.update(&["lib".into()]).unwrap(), 1);
    assert_eq!(
        index.files(),
        ["py/invoices.py", "src/lexer.rs", "src/server.rs"]
    );
    assert_eq!(index.status().files, 3);
}

#[cfg(unix)]
#[test]
fn symlinks_and_ignored_files_are_never_indexed() {
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "secret.rs",
        "pub fn outside_secret_function() {}\n",
    );
    let tmp = workspace();
    let root = tmp.path();
    std::os::unix::fs::symlink(outside.path().join("secret.rs"), root.join("src/link.rs")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("linkdir")).unwrap();
    let index = open(root, &Arc::new(ParseCache::default()));
    assert!(
        index
            .symbols("outside_secret_function", SymbolMatch::Exact, 5)
            .is_empty()
    );
    assert!(
        !index
            .files()
            .iter()
            .any(|f| f.contains("link") || f.contains("generated"))
    );
    // Named explicitly in an update: still never read.
    index
        .update(&[
            "src/link.rs".into(),
            "linkdir/secret.rs".into(),
            "linkdir".into(),
        ])
        .unwrap();
    assert!(
        index
            .symbols("outside_secret_function", SymbolMatch::Exact, 5)
            .is_empty()
    );
    assert!(
        search(&index, "outside secret function")
            .iter()
            .all(|h| !h.0.contains("link") && !h.0.contains("secret"))
    );
    assert!(index.regex_search("outside_secret", 10).unwrap().is_empty());
}

#[test]
fn memory_only_when_asked() {
    let tmp = workspace();
    let index = open(tmp.path(), &Arc::new(ParseCache::default()));
    index
        .upsert_memory(MemoryDoc {
            id: "task:7".into(),
            source: SnippetSource::Task,
            title: "Speed up the zebra renderer".into(),
            text: "We cached the zebra stripes; the renderer is now fast.".into(),
            at: 1,
        })
        .unwrap();
    let ask = |memory| {
        index
            .search(&SearchRequest {
                query: "zebra stripes".into(),
                memory,
                ..SearchRequest::default()
            })
            .unwrap()
    };
    assert!(ask(false).snippets.is_empty());
    let res = ask(true);
    assert_eq!(res.snippets.len(), 1);
    assert_eq!(res.snippets[0].source, SnippetSource::Task);
    assert_eq!(res.snippets[0].path, "task:7");
    assert!(res.snippets[0].text.contains("cached the zebra"));
    assert_eq!(index.status().memory, 1);
    assert!(index.remove_memory("task:7").unwrap());
    assert!(ask(true).snippets.is_empty());
}

#[test]
fn indexes_sharing_a_cache_are_isolated() {
    let cache = Arc::new(ParseCache::default());
    let a = workspace();
    let b = tempfile::tempdir().unwrap();
    // Same content in both, plus one file only b has.
    write(b.path(), "src/lexer.rs", LEXER_RS);
    write(
        b.path(),
        "only_b.py",
        "def bob_private_function():\n    pass\n",
    );
    let ia = open(a.path(), &cache);
    let ib = open(b.path(), &cache);
    assert!(
        ia.symbols("bob_private_function", SymbolMatch::Exact, 5)
            .is_empty()
    );
    assert!(
        search(&ia, "bob private function")
            .iter()
            .all(|h| h.0 != "only_b.py")
    );
    assert_eq!(ib.files(), ["only_b.py", "src/lexer.rs"]);
    assert!(
        search(&ib, "handle request server")
            .iter()
            .all(|h| h.0 != "src/server.rs")
    );
    assert!(
        ib.symbols("HttpServerError", SymbolMatch::Exact, 5)
            .is_empty()
    );
}

#[test]
fn packing_respects_budget_and_k() {
    let tmp = workspace();
    let root = tmp.path();
    let mut long = String::new();
    for i in 0..100 {
        long.push_str(&format!("def budget_function_{i}():\n    \"\"\"budget words budget words budget words budget.\"\"\"\n    return {i}\n\n"));
    }
    write(root, "py/long.py", &long);
    let index = open(root, &Arc::new(ParseCache::default()));
    for budget in [60, 200, 1_000] {
        let res = index
            .search(&SearchRequest {
                query: "budget words".into(),
                k: 50,
                budget_tokens: budget,
                ..SearchRequest::default()
            })
            .unwrap();
        assert!(!res.snippets.is_empty());
        assert!(res.tokens as usize <= budget, "{} > {budget}", res.tokens);
        assert_eq!(
            res.tokens,
            res.snippets.iter().map(|s| s.tokens).sum::<u32>()
        );
        if budget == 60 {
            assert!(res.truncated, "{budget}");
        }
        assert!(
            res.snippets
                .iter()
                .filter(|s| s.path == "py/long.py")
                .count()
                <= 3
        );
    }
    let res = index
        .search(&SearchRequest {
            query: "budget".into(),
            k: 2,
            budget_tokens: 100_000,
            ..SearchRequest::default()
        })
        .unwrap();
    assert_eq!(res.snippets.len(), 2);
}

#[test]
fn bad_queries_error() {
    let tmp = workspace();
    let index = open(tmp.path(), &Arc::new(ParseCache::default()));
    for q in ["", "   \n\t", "!!! ??? ..."] {
        let r = index.search(&SearchRequest {
            query: q.into(),
            ..SearchRequest::default()
        });
        assert!(matches!(r, Err(IndexError::BadQuery(_))), "{q:?}");
    }
    assert!(matches!(
        index.regex_search("(unclosed", 5),
        Err(IndexError::BadQuery(_))
    ));
    let hits = index.regex_search(r"fn \w+_request", 5).unwrap();
    assert_eq!(
        hits,
        [(
            "src/server.rs".to_string(),
            9,
            "pub fn handle_request(body: &str) -> Result<usize, HttpServerError> {".to_string()
        )]
    );
}

#[test]
fn a_workspace_larger_than_the_budget_is_indexed_in_path_order_up_to_it() {
    let tmp = workspace();
    let budget = ("generated/\n".len() + BILLING_PY.len() + LEXER_RS.len()) as u64;
    let cache = Arc::new(ParseCache::default());
    let index = WorkspaceIndex::new(tmp.path().to_path_buf(), cache)
        .unwrap()
        .with_budget(budget);
    index.build(&|_| {}).unwrap();
    assert_eq!(index.files(), ["py/billing.py", "src/lexer.rs"]);
    let st = index.status();
    assert_eq!(st.skipped, 2, "{st:?}");
    assert!(st.bytes <= budget);
    // A new file does not fit either; a changed indexed one is still followed.
    write(tmp.path(), "aaa/new.rs", "pub fn brand_new_function() {}\n");
    write(
        tmp.path(),
        "src/lexer.rs",
        &LEXER_RS.replace("tokenize_source", "lex_source"),
    );
    index
        .update(&["aaa/new.rs".into(), "src/lexer.rs".into()])
        .unwrap();
    assert_eq!(index.status().skipped, 3);
    assert!(
        index
            .symbols("brand_new_function", SymbolMatch::Exact, 5)
            .is_empty()
    );
    assert!(
        !index
            .symbols("lex_source", SymbolMatch::Exact, 5)
            .is_empty()
    );
}
