//! [`MemoryIndex`]: the user's earlier tasks and Blackboard messages, searchable by BM25.
//!
//! Memory documents are small, few (at most [`MAX_MEMORY_DOCS`] per user) and change with
//! every message, so they are kept out of tantivy: adding one is a hash-map update, with no
//! writer, thread or commit, and a search scores every document directly (well under a
//! millisecond for thousands).

use crate::index::MemoryDoc;
use crate::tokenize::code_spans;
use std::collections::HashMap;

/// Memory documents kept per index; the oldest (by `at`) are dropped beyond it.
pub const MAX_MEMORY_DOCS: usize = 5_000;

const K1: f32 = 1.2;
const B: f32 = 0.75;

struct Entry {
    doc: MemoryDoc,
    /// Lowercased term → count, over the title and the text.
    tf: HashMap<Box<str>, u32>,
    len: u32,
}

/// One hit: the document, its BM25 score, and which of the query's terms it holds.
#[derive(Clone, Debug)]
pub struct MemoryHit<'a> {
    /// The document.
    pub doc: &'a MemoryDoc,
    /// BM25 score.
    pub score: f32,
    /// Indices into the query's terms of those found in the document.
    pub matched: Vec<usize>,
}

/// BM25 over one user's memory documents.
#[derive(Default)]
pub struct MemoryIndex {
    docs: HashMap<String, Entry>,
    /// Documents holding each term.
    df: HashMap<Box<str>, u32>,
    total_len: u64,
}

impl MemoryIndex {
    /// Documents held.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether it holds the document `id`.
    pub fn contains(&self, id: &str) -> bool {
        self.docs.contains_key(id)
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Adds or replaces a document (by id), dropping the oldest beyond the limit.
    pub fn upsert(&mut self, doc: MemoryDoc) {
        self.remove(&doc.id);
        let mut tf: HashMap<Box<str>, u32> = HashMap::new();
        let mut spans = Vec::new();
        let mut len = 0u32;
        for text in [doc.title.as_str(), doc.text.as_str()] {
            spans.clear();
            code_spans(text, &mut spans);
            for &(a, b) in &spans {
                *tf.entry(text[a..b].to_lowercase().into_boxed_str())
                    .or_default() += 1;
                len += 1;
            }
        }
        for term in tf.keys() {
            *self.df.entry(term.clone()).or_default() += 1;
        }
        self.total_len += u64::from(len);
        self.docs.insert(doc.id.clone(), Entry { doc, tf, len });
        if self.docs.len() > MAX_MEMORY_DOCS
            && let Some(oldest) = self
                .docs
                .values()
                .min_by_key(|e| e.doc.at)
                .map(|e| e.doc.id.clone())
        {
            self.remove(&oldest);
        }
    }

    /// Removes a document; false if unknown.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(old) = self.docs.remove(id) else {
            return false;
        };
        for term in old.tf.keys() {
            if let Some(n) = self.df.get_mut(term) {
                *n -= 1;
                if *n == 0 {
                    self.df.remove(term);
                }
            }
        }
        self.total_len -= u64::from(old.len);
        true
    }

    /// The best `limit` documents for `terms` (lowercased, as from
    /// [`query_terms`](crate::tokenize::query_terms)), best first.
    pub fn search(&self, terms: &[String], limit: usize) -> Vec<MemoryHit<'_>> {
        if self.docs.is_empty() || terms.is_empty() || limit == 0 {
            return Vec::new();
        }
        let n = self.docs.len() as f32;
        let avg = (self.total_len as f32 / n).max(1.0);
        let idf: Vec<f32> = terms
            .iter()
            .map(|t| {
                let df = self.df.get(t.as_str()).copied().unwrap_or(0) as f32;
                ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
            })
            .collect();
        let mut hits: Vec<MemoryHit<'_>> = Vec::new();
        for e in self.docs.values() {
            let mut score = 0.0;
            let mut matched = Vec::new();
            for (i, t) in terms.iter().enumerate() {
                let Some(&f) = e.tf.get(t.as_str()) else {
                    continue;
                };
                let f = f as f32;
                score += idf[i] * f * (K1 + 1.0) / (f + K1 * (1.0 - B + B * e.len as f32 / avg));
                matched.push(i);
            }
            if score > 0.0 {
                hits.push(MemoryHit {
                    doc: &e.doc,
                    score,
                    matched,
                });
            }
        }
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| b.doc.at.cmp(&a.doc.at))
        });
        hits.truncate(limit);
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::query_terms;
    use arranger_domain::SnippetSource;

    fn doc(id: &str, text: &str, at: i64) -> MemoryDoc {
        MemoryDoc {
            id: id.into(),
            source: SnippetSource::Message,
            title: "the user".into(),
            text: text.into(),
            at,
        }
    }

    #[test]
    fn ranks_replaces_removes_and_bounds() {
        let mut m = MemoryIndex::default();
        m.upsert(doc("message:a", "retry the flaky fetcher three times", 1));
        m.upsert(doc("message:b", "the login page needs a spinner", 2));
        m.upsert(doc(
            "message:c",
            "fetcher retry count should be configurable",
            3,
        ));
        let hits = m.search(&query_terms("fetcher retry"), 10);
        assert_eq!(hits.len(), 2);
        assert!(hits.iter().all(|h| h.matched == vec![0, 1]));
        assert!(m.search(&query_terms("spinner"), 10)[0].doc.id == "message:b");

        // Replacing changes what is found; removing forgets it.
        m.upsert(doc("message:b", "nothing about that page any more", 4));
        assert!(m.search(&query_terms("spinner"), 10).is_empty());
        assert!(m.remove("message:a"));
        assert!(!m.remove("message:a"));
        assert_eq!(m.len(), 2);
        assert!(m.search(&query_terms("flaky"), 10).is_empty());
        assert_eq!(
            m.df.get("flaky"),
            None,
            "document frequencies follow removals"
        );

        // The oldest goes beyond the limit.
        for i in 0..MAX_MEMORY_DOCS + 1 {
            m.upsert(doc(&format!("message:n{i}"), "filler words", 10 + i as i64));
        }
        assert_eq!(m.len(), MAX_MEMORY_DOCS);
        assert!(m.search(&query_terms("configurable"), 10).is_empty());
    }
}
