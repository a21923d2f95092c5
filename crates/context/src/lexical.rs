//! [`LexicalIndex`]: BM25 full-text search over chunks and memory documents (tantivy, in
//! RAM).
//!
//! One document per chunk of a file or per memory document, with the fields `path` (the
//! [`PathTokenizer`], boosted ×[`PATH_BOOST`]), `name` (a definition's name, scope and
//! signature, boosted ×[`NAME_BOOST`]), `body` (the text; frequencies, no positions, to
//! keep the index small), `file` (the raw path or memory id, to delete by), `kind` and
//! `key` (a fast field mapping back to the caller's side table). Queries are built from
//! terms, never parsed, so no user text can be a syntax error. One long-lived writer; each
//! [`commit`](LexicalIndex::commit) reloads the reader, so a change is searchable when it
//! returns.

use crate::tokenize::{CodeTokenizer, PathTokenizer};
use std::collections::HashMap;
use std::sync::RwLock;
use tantivy::collector::TopDocs;
use tantivy::directory::RamDirectory;
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
/// The writer's memory budget (all threads).
const WRITER_BUDGET: usize = 50 << 20;

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
}

impl DocKind {
    fn as_str(self) -> &'static str {
        match self {
            DocKind::Code => "code",
            DocKind::Task => "task",
            DocKind::Message => "message",
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
    file: Field,
    kind: Field,
    key: Field,
}

/// The in-RAM BM25 index.
pub struct LexicalIndex {
    dir: RamDirectory,
    fields: Fields,
    writer: RwLock<IndexWriter>,
    reader: IndexReader,
}

impl LexicalIndex {
    /// An empty index whose writer uses at most `threads` indexing threads (≥ 1).
    pub fn new(threads: usize) -> Result<Self, LexicalError> {
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
            file: sb.add_text_field("file", STRING),
            kind: sb.add_text_field("kind", STRING),
            key: sb.add_u64_field("key", FAST | STORED),
        };
        let dir = RamDirectory::create();
        let index = Index::create(dir.clone(), sb.build(), IndexSettings::default())?;
        index
            .tokenizers()
            .register("code", TextAnalyzer::from(CodeTokenizer::default()));
        index
            .tokenizers()
            .register("path", TextAnalyzer::from(PathTokenizer::default()));
        let threads = threads.clamp(1, 4);
        let budget = WRITER_BUDGET.max(threads * (16 << 20));
        let writer = index.writer_with_num_threads(threads, budget)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            dir,
            fields,
            writer: RwLock::new(writer),
            reader,
        })
    }

    /// Adds a document (searchable after the next [`commit`](Self::commit)). Safe to
    /// call from several threads at once.
    pub fn add(&self, doc: &LexDoc<'_>) -> Result<(), LexicalError> {
        let f = self.fields;
        let mut d = TantivyDocument::new();
        d.add_text(f.path, doc.path);
        if !doc.name.is_empty() {
            d.add_text(f.name, doc.name);
        }
        d.add_text(f.body, doc.body);
        d.add_text(f.file, doc.file);
        d.add_text(f.kind, doc.kind.as_str());
        d.add_u64(f.key, doc.key);
        let writer = self
            .writer
            .read()
            .map_err(|_| LexicalError("writer poisoned".into()))?;
        writer.add_document(d)?;
        Ok(())
    }

    /// Deletes every document of `file` (a path or a memory id) added before this call.
    pub fn delete_file(&self, file: &str) -> Result<(), LexicalError> {
        let writer = self
            .writer
            .read()
            .map_err(|_| LexicalError("writer poisoned".into()))?;
        writer.delete_term(Term::from_field_text(self.fields.file, file));
        Ok(())
    }

    /// Commits the pending changes and reloads the reader: they are searchable on return.
    pub fn commit(&self) -> Result<(), LexicalError> {
        let mut writer = self
            .writer
            .write()
            .map_err(|_| LexicalError("writer poisoned".into()))?;
        writer.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Bytes of the index's files in RAM (plus the writer's pending buffers).
    pub fn size_bytes(&self) -> u64 {
        self.dir.total_mem_usage() as u64
    }

    /// Searchable documents.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The best `limit` documents of the given kinds for `terms` (lowercased, as from
    /// [`query_terms`](crate::tokenize::query_terms)) by BM25 over path, name and body.
    pub fn search(
        &self,
        terms: &[String],
        kinds: &[DocKind],
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
        let query = BooleanQuery::new(vec![
            (Occur::Must, Box::new(BooleanQuery::new(should))),
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(
                    Box::new(BooleanQuery::new(kind_q)),
                    0.0,
                )),
            ),
        ]);
        let searcher = self.reader.searcher();
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
        idx.delete_file("src/parse.rs")?;
        idx.commit()?;
        let hits = idx.search(&terms, &[DocKind::Code], 10)?;
        assert_eq!(hits.iter().map(|h| h.key).collect::<Vec<_>>(), [2]);
        assert!(idx.size_bytes() > 0);
        Ok(())
    }
}
