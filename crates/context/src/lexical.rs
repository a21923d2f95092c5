//! [`LexicalIndex`]: BM25 full-text search over a workspace's chunks and files (tantivy,
//! in RAM).
//!
//! One document per chunk of a file, with the fields `path` (the [`PathTokenizer`],
//! boosted ×[`PATH_BOOST`]), `name` (a definition's name, scope and signature, boosted
//! ×[`NAME_BOOST`]), `body` (the text; frequencies, no positions, to keep the index
//! small), `file` (the raw path, to delete by), `kind` and `key` (a fast field mapping
//! back to the caller's side table); and one document per file with only `whole` (the
//! file's words, tantivy's default tokenizer) for file-level evidence. Queries are built from
//! terms, never parsed, so no user text can be a syntax error. Each
//! [`commit`](LexicalIndex::commit) reloads the reader, so a change is searchable when it
//! returns.
//!
//! The writer (tantivy's indexing threads and buffers) exists only while a batch is being
//! written: [`release`](LexicalIndex::release) drops it, so thousands of idle users' indexes
//! hold no thread. There is no background merging (it would die with the writer); after a
//! commit, small segments are merged in the caller's thread once there are more than
//! [`MAX_SEGMENTS`].

use crate::tokenize::{CodeTokenizer, PathTokenizer};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, OnceLock, RwLock};
use tantivy::collector::TopDocs;
use tantivy::directory::RamDirectory;
use tantivy::index::SegmentId;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocSet, Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, TantivyDocument, Term,
};

/// Boost of a match in the path.
pub const PATH_BOOST: f32 = 2.0;
/// Boost of a match in a definition's name, scope or signature.
pub const NAME_BOOST: f32 = 3.0;
/// The writer's memory budget per indexing thread for a full build (a segment is flushed
/// when it is reached, so a larger budget means fewer segments to search).
const BUILD_BUDGET: usize = 96 << 20;
/// The writer's memory budget for an update (tantivy's minimum).
const UPDATE_BUDGET: usize = 15 << 20;
/// Segments kept before small ones are merged.
pub const MAX_SEGMENTS: usize = 8;

/// Other English forms of a word (at least five letters): its stem without `-s`, `-es`,
/// `-ed`, `-ing` (and with an `e` put back), and the stem's `-s`, `-ed`, `-ing` forms.
/// Not a stemmer: candidates, of which the caller keeps those the index holds.
fn word_forms(w: &str) -> Vec<String> {
    if w.len() < 5 || !w.bytes().all(|b| b.is_ascii_lowercase()) {
        return Vec::new();
    }
    let mut stems = vec![w.to_owned()];
    for suffix in ["ing", "ed", "es", "s"] {
        if let Some(stem) = w.strip_suffix(suffix)
            && stem.len() >= 3
        {
            stems.push(stem.to_owned());
            if matches!(suffix, "ing" | "ed") {
                stems.push(format!("{stem}e"));
            }
        }
    }
    let mut out = Vec::new();
    for stem in &stems {
        let base = stem.strip_suffix('e').unwrap_or(stem);
        for form in [
            stem.clone(),
            format!("{stem}s"),
            format!("{base}ed"),
            format!("{base}ing"),
        ] {
            if form != w && !out.contains(&form) {
                out.push(form);
            }
        }
    }
    out
}

fn poisoned<T>(_: T) -> LexicalError {
    LexicalError("the full-text writer's lock is poisoned".into())
}

/// A full-text index failure (tantivy's, as text).
#[derive(Debug, thiserror::Error)]
#[error("full-text index: {0}")]
pub struct LexicalError(pub String);

impl From<tantivy::TantivyError> for LexicalError {
    fn from(e: tantivy::TantivyError) -> Self {
        Self(e.to_string())
    }
}

/// What a document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    /// A chunk of a workspace file.
    Code,
    /// An earlier task.
    Task,
    /// A Blackboard message.
    Message,
    /// A whole workspace file (file-level evidence for its chunks).
    File,
}

impl DocKind {
    fn as_str(self) -> &'static str {
        match self {
            DocKind::Code => "code",
            DocKind::Task => "task",
            DocKind::Message => "message",
            DocKind::File => "file",
        }
    }
}

/// One document to index.
pub struct LexDoc<'a> {
    /// The caller's key for it (returned by searches).
    pub key: u64,
    /// What [`LexicalIndex::delete_file`] deletes it by: a path or a memory id.
    pub file: &'a str,
    /// The path (or id) as searchable text.
    pub path: &'a str,
    /// Definition name, scope and signature (or a title).
    pub name: &'a str,
    /// The text.
    pub body: &'a str,
    /// What it is.
    pub kind: DocKind,
}

/// One search hit.
#[derive(Clone, Debug, PartialEq)]
pub struct LexHit {
    /// The document's key.
    pub key: u64,
    /// BM25 score (boosted fields summed).
    pub score: f32,
    /// Indices into the query's terms of those found in the document.
    pub matched: Vec<usize>,
}

#[derive(Clone, Copy)]
struct Fields {
    path: Field,
    name: Field,
    body: Field,
    /// A whole file's text with tantivy's default tokenizer (file-level evidence).
    whole: Field,
    file: Field,
    kind: Field,
    key: Field,
}

/// The schema every index shares, and its fields.
static SCHEMA: LazyLock<(Schema, Fields)> = LazyLock::new(|| {
    let mut sb = Schema::builder();
    let text = |tokenizer: &str, record: IndexRecordOption| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(record),
        )
    };
    let fields = Fields {
        path: sb.add_text_field("path", text("path", IndexRecordOption::WithFreqs)),
        name: sb.add_text_field("name", text("code", IndexRecordOption::WithFreqs)),
        body: sb.add_text_field("body", text("code", IndexRecordOption::WithFreqs)),
        whole: sb.add_text_field("whole", text("default", IndexRecordOption::WithFreqs)),
        file: sb.add_text_field("file", STRING),
        kind: sb.add_text_field("kind", STRING),
        key: sb.add_u64_field("key", FAST | STORED),
    };
    (sb.build(), fields)
});

/// The tantivy index itself, created with the first document.
struct Inner {
    dir: RamDirectory,
    index: Index,
    reader: IndexReader,
}

impl Inner {
    fn create() -> Result<Self, LexicalError> {
        let dir = RamDirectory::create();
        let index = Index::create(dir.clone(), SCHEMA.0.clone(), IndexSettings::default())?;
        index
            .tokenizers()
            .register("code", TextAnalyzer::from(CodeTokenizer::default()));
        index
            .tokenizers()
            .register("path", TextAnalyzer::from(PathTokenizer::default()));
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Inner { dir, index, reader })
    }
}

/// The in-RAM BM25 index. Nothing of tantivy exists until the first document is written:
/// an empty workspace (most of ten thousand idle users) costs a few words.
pub struct LexicalIndex {
    inner: OnceLock<Inner>,
    /// Serialises creating `inner`.
    creating: Mutex<()>,
    fields: Fields,
    /// Indexing threads of a build's writer.
    threads: usize,
    /// The writer while a batch is written (`None` between batches).
    writer: RwLock<Option<IndexWriter>>,
    /// Serialises creating the writer.
    opening: Mutex<()>,
}

impl LexicalIndex {
    /// An empty index whose writer uses at most `threads` indexing threads (≥ 1).
    pub fn new(threads: usize) -> Result<Self, LexicalError> {
        Ok(Self {
            inner: OnceLock::new(),
            creating: Mutex::new(()),
            fields: SCHEMA.1,
            threads: threads.clamp(1, 4),
            writer: RwLock::new(None),
            opening: Mutex::new(()),
        })
    }

    /// The tantivy index, created now if it does not exist yet.
    fn inner_or_create(&self) -> Result<&Inner, LexicalError> {
        if let Some(i) = self.inner.get() {
            return Ok(i);
        }
        let _one = self.creating.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = self.inner.get() {
            return Ok(i);
        }
        let created = Inner::create()?;
        Ok(self.inner.get_or_init(|| created))
    }

    /// Opens the writer for a batch, unless it is open: `bulk` for a full build (more
    /// threads, a larger budget), otherwise one thread and the smallest budget.
    pub fn begin(&self, bulk: bool) -> Result<(), LexicalError> {
        let _one = self.opening.lock().unwrap_or_else(|e| e.into_inner());
        if self.writer.read().map_err(poisoned)?.is_some() {
            return Ok(());
        }
        let (threads, budget) = if bulk {
            (self.threads, self.threads * BUILD_BUDGET)
        } else {
            (1, UPDATE_BUDGET)
        };
        let writer: IndexWriter = self
            .inner_or_create()?
            .index
            .writer_with_num_threads(threads, budget)?;
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        *self.writer.write().map_err(poisoned)? = Some(writer);
        Ok(())
    }

    /// Drops the writer (its threads and buffers); uncommitted changes are lost.
    pub fn release(&self) {
        let writer = match self.writer.write() {
            Ok(mut w) => w.take(),
            Err(e) => e.into_inner().take(),
        };
        drop(writer);
    }

    /// Runs `f` with the open writer (opening a small one if none is).
    fn with_writer<T>(
        &self,
        f: impl FnOnce(&IndexWriter) -> Result<T, LexicalError>,
    ) -> Result<T, LexicalError> {
        loop {
            {
                let w = self.writer.read().map_err(poisoned)?;
                if let Some(w) = w.as_ref() {
                    return f(w);
                }
            }
            self.begin(false)?;
        }
    }

    /// Adds a document (searchable after the next [`commit`](Self::commit)). Safe to
    /// call from several threads at once.
    pub fn add(&self, doc: &LexDoc<'_>) -> Result<(), LexicalError> {
        let f = self.fields;
        let mut d = TantivyDocument::new();
        if doc.kind == DocKind::File {
            // Only the plain whole-file field: words, not identifier parts.
            d.add_text(f.whole, doc.body);
        } else {
            d.add_text(f.path, doc.path);
            if !doc.name.is_empty() {
                d.add_text(f.name, doc.name);
            }
            d.add_text(f.body, doc.body);
        }
        d.add_text(f.file, doc.file);
        d.add_text(f.kind, doc.kind.as_str());
        d.add_u64(f.key, doc.key);
        self.with_writer(|w| {
            w.add_document(d)?;
            Ok(())
        })
    }

    /// Deletes every document of `file` (a path or a memory id) added before this call.
    pub fn delete_file(&self, file: &str) -> Result<(), LexicalError> {
        self.with_writer(|w| {
            w.delete_term(Term::from_field_text(self.fields.file, file));
            Ok(())
        })
    }

    /// Commits the pending changes, merges small segments when there are too many, and
    /// reloads the reader: the changes are searchable on return. The writer stays open
    /// (see [`release`](Self::release)).
    pub fn commit(&self) -> Result<(), LexicalError> {
        let mut guard = self.writer.write().map_err(poisoned)?;
        let Some(writer) = guard.as_mut() else {
            return Ok(());
        };
        writer.commit()?;
        let Some(inner) = self.inner.get() else {
            return Ok(());
        };
        let metas = inner.index.searchable_segment_metas()?;
        if metas.len() > MAX_SEGMENTS {
            // Merge all but the largest few (the build's big segments stay as they are).
            let mut by_size: Vec<_> = metas.iter().map(|m| (m.num_docs(), m.id())).collect();
            by_size.sort_unstable_by_key(|(n, _)| *n);
            let small: Vec<SegmentId> = by_size
                .iter()
                .take(by_size.len() - MAX_SEGMENTS / 2)
                .map(|(_, id)| *id)
                .collect();
            if small.len() > 1 {
                writer.merge(&small).wait()?;
            }
        }
        drop(guard);
        inner.reader.reload()?;
        Ok(())
    }

    /// Searchable segments (for tests and figures).
    pub fn segments(&self) -> usize {
        self.inner
            .get()
            .and_then(|i| i.index.searchable_segment_metas().ok())
            .map_or(0, |m| m.len())
    }

    /// Bytes of the index's files in RAM (plus the writer's pending buffers).
    pub fn size_bytes(&self) -> u64 {
        self.inner
            .get()
            .map_or(0, |i| i.dir.total_mem_usage() as u64)
    }

    /// Searchable documents.
    pub fn num_docs(&self) -> u64 {
        self.inner
            .get()
            .map_or(0, |i| i.reader.searcher().num_docs())
    }

    /// The best `limit` whole files for `query` by plain BM25 (tantivy's default
    /// tokenizer: words split at non-alphanumerics, lowercased). Hits carry no matches.
    pub fn search_files(&self, query: &str, limit: usize) -> Result<Vec<LexHit>, LexicalError> {
        let f = self.fields;
        let Some(inner) = self.inner.get() else {
            return Ok(Vec::new());
        };
        let mut analyzer = inner.index.tokenizer_for_field(f.whole)?;
        let mut stream = analyzer.token_stream(query);
        let mut words: Vec<String> = Vec::new();
        while let Some(t) = stream.next() {
            if !words.contains(&t.text) {
                words.push(t.text.clone());
            }
        }
        if words.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let searcher = inner.reader.searcher();
        // Each word, and at half weight its other forms that occur in the index
        // (`parsed` → `parse`, `parses`, `parsing`), since neither side is stemmed.
        let mut weighted: Vec<(String, f32)> = words.iter().map(|w| (w.clone(), 1.0)).collect();
        for w in &words {
            for v in word_forms(w) {
                if weighted.iter().any(|(x, _)| *x == v) {
                    continue;
                }
                let term = Term::from_field_text(f.whole, &v);
                if searcher.doc_freq(&term).is_ok_and(|n| n > 0) {
                    weighted.push((v, 0.5));
                }
            }
        }
        let should: Vec<(Occur, Box<dyn Query>)> = weighted
            .iter()
            .map(|(w, boost)| {
                let q = TermQuery::new(
                    Term::from_field_text(f.whole, w),
                    IndexRecordOption::WithFreqs,
                );
                (
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), *boost)) as Box<dyn Query>,
                )
            })
            .collect();
        let top = searcher.search(
            &BooleanQuery::new(should),
            &TopDocs::with_limit(limit).order_by_score(),
        )?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let seg = searcher.segment_reader(addr.segment_ord);
            if let Some(key) = seg.fast_fields().u64("key")?.first(addr.doc_id) {
                hits.push(LexHit {
                    key,
                    score,
                    matched: Vec::new(),
                });
            }
        }
        Ok(hits)
    }

    /// The best `limit` documents of the given kinds for `terms` (lowercased, as from
    /// [`query_terms`](crate::tokenize::query_terms)) by BM25 over path, name and body.
    pub fn search(
        &self,
        terms: &[String],
        kinds: &[DocKind],
        limit: usize,
    ) -> Result<Vec<LexHit>, LexicalError> {
        self.search_in(terms, kinds, &[], limit)
    }

    /// [`search`](Self::search) among the documents of the given files only (all files
    /// when `files` is empty).
    pub fn search_in(
        &self,
        terms: &[String],
        kinds: &[DocKind],
        files: &[&str],
        limit: usize,
    ) -> Result<Vec<LexHit>, LexicalError> {
        if terms.is_empty() || kinds.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let f = self.fields;
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(terms.len() * 3);
        for t in terms {
            for (field, boost) in [(f.path, PATH_BOOST), (f.name, NAME_BOOST), (f.body, 1.0)] {
                let q = TermQuery::new(
                    Term::from_field_text(field, t),
                    IndexRecordOption::WithFreqs,
                );
                should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
            }
        }
        let kind_q: Vec<(Occur, Box<dyn Query>)> = kinds
            .iter()
            .map(|k| {
                let q = TermQuery::new(
                    Term::from_field_text(f.kind, k.as_str()),
                    IndexRecordOption::Basic,
                );
                (Occur::Should, Box::new(q) as Box<dyn Query>)
            })
            .collect();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, Box::new(BooleanQuery::new(should))),
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(
                    Box::new(BooleanQuery::new(kind_q)),
                    0.0,
                )),
            ),
        ];
        if !files.is_empty() {
            let file_q: Vec<(Occur, Box<dyn Query>)> = files
                .iter()
                .map(|file| {
                    let q = TermQuery::new(
                        Term::from_field_text(f.file, file),
                        IndexRecordOption::Basic,
                    );
                    (Occur::Should, Box::new(q) as Box<dyn Query>)
                })
                .collect();
            clauses.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(
                    Box::new(BooleanQuery::new(file_q)),
                    0.0,
                )),
            ));
        }
        let query = BooleanQuery::new(clauses);
        let Some(inner) = self.inner.get() else {
            return Ok(Vec::new());
        };
        let searcher = inner.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        // Map to keys, and find which terms each hit holds (per segment, docs ascending).
        let mut hits: Vec<LexHit> = Vec::with_capacity(top.len());
        let mut by_segment: HashMap<u32, Vec<(u32, usize)>> = HashMap::new();
        for (score, addr) in top {
            let seg = searcher.segment_reader(addr.segment_ord);
            let Some(key) = seg.fast_fields().u64("key")?.first(addr.doc_id) else {
                continue;
            };
            by_segment
                .entry(addr.segment_ord)
                .or_default()
                .push((addr.doc_id, hits.len()));
            hits.push(LexHit {
                key,
                score,
                matched: Vec::new(),
            });
        }
        for (seg_ord, mut docs) in by_segment {
            docs.sort_unstable();
            let seg = searcher.segment_reader(seg_ord);
            for field in [f.path, f.name, f.body] {
                let inverted = seg.inverted_index(field)?;
                for (ti, t) in terms.iter().enumerate() {
                    let term = Term::from_field_text(field, t);
                    let Some(mut postings) = inverted
                        .read_postings(&term, IndexRecordOption::Basic)
                        .map_err(|e| LexicalError(e.to_string()))?
                    else {
                        continue;
                    };
                    for &(doc, hi) in &docs {
                        if postings.doc() > doc {
                            continue;
                        }
                        if postings.seek(doc) == doc && !hits[hi].matched.contains(&ti) {
                            hits[hi].matched.push(ti);
                        }
                    }
                }
            }
        }
        for h in &mut hits {
            h.matched.sort_unstable();
        }
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::query_terms;

    fn doc<'a>(key: u64, file: &'a str, name: &'a str, body: &'a str, kind: DocKind) -> LexDoc<'a> {
        LexDoc {
            key,
            file,
            path: file,
            name,
            body,
            kind,
        }
    }

    #[test]
    fn ranks_names_and_reports_matches() -> Result<(), LexicalError> {
        let idx = LexicalIndex::new(1)?;
        idx.add(&doc(
            1,
            "src/parse.rs",
            "parseChunk",
            "fn parseChunk(text: &str) { split lines }",
            DocKind::Code,
        ))?;
        idx.add(&doc(
            2,
            "src/other.rs",
            "run",
            "fn run() { parse_chunk(x); lines }",
            DocKind::Code,
        ))?;
        idx.add(&doc(
            3,
            "task:1",
            "Fix the chunk parser",
            "chunk parse bug",
            DocKind::Task,
        ))?;
        idx.commit()?;
        let terms = query_terms("parse chunk");
        let hits = idx.search(&terms, &[DocKind::Code], 10)?;
        assert_eq!(hits.iter().map(|h| h.key).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(hits[0].matched, [0, 1]);
        let mem = idx.search(&terms, &[DocKind::Task, DocKind::Message], 10)?;
        assert_eq!(mem.len(), 1);
        assert_eq!(mem[0].key, 3);
        // Only matching documents come back, whatever their kind.
        assert!(
            idx.search(&query_terms("nothing"), &[DocKind::Code], 10)?
                .is_empty()
        );
        // Within given files: only theirs, scored as before.
        let within = idx.search_in(&terms, &[DocKind::Code], &["src/other.rs"], 10)?;
        assert_eq!(within.iter().map(|h| h.key).collect::<Vec<_>>(), [2]);
        assert_eq!(within[0].score, hits[1].score);
        let both = idx.search_in(
            &terms,
            &[DocKind::Code],
            &["src/other.rs", "src/parse.rs"],
            10,
        )?;
        assert_eq!(both.len(), 2);
        assert!(
            idx.search_in(&terms, &[DocKind::Code], &["src/none.rs"], 10)?
                .is_empty()
        );
        idx.delete_file("src/parse.rs")?;
        idx.commit()?;
        let hits = idx.search(&terms, &[DocKind::Code], 10)?;
        assert_eq!(hits.iter().map(|h| h.key).collect::<Vec<_>>(), [2]);
        assert!(idx.size_bytes() > 0);
        Ok(())
    }
}
