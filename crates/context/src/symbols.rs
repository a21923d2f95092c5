//! [`SymbolTable`]: every definition of the workspace, looked up by exact name, prefix or
//! fuzzy (fzf-like) match.
//!
//! A sorted map from lowercased names to the definitions holding that name serves exact
//! and prefix lookups in O(log n + matches); fuzzy lookup scans the distinct names with a
//! byte-level subsequence test and scores only the names that pass. Definitions are not
//! copied: the table refers into each file's shared [`Parsed`].

use crate::Parsed;
use arranger_domain::{SymbolInfo, SymbolMatch};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// One definition: its file and its index in that file's [`Parsed::defs`].
type DefRef = (Arc<str>, u32);

/// All definitions of the workspace's files.
#[derive(Default)]
pub struct SymbolTable {
    files: HashMap<Arc<str>, Arc<Parsed>>,
    names: BTreeMap<Box<str>, Vec<DefRef>>,
    count: usize,
}

impl SymbolTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of definitions.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the table holds no definitions.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Rough heap bytes held by the table itself (names, entries; not the shared parses).
    pub fn size_bytes(&self) -> u64 {
        let names: usize = self
            .names
            .iter()
            .map(|(k, v)| k.len() + 48 + v.capacity() * std::mem::size_of::<DefRef>())
            .sum();
        (names + self.files.len() * 64) as u64
    }

    /// Sets the definitions of `path` (replacing any earlier ones).
    pub fn set_file(&mut self, path: &Arc<str>, parsed: Arc<Parsed>) {
        self.remove_file(path);
        for (i, def) in parsed.defs.iter().enumerate() {
            self.names
                .entry(def.name.to_lowercase().into_boxed_str())
                .or_default()
                .push((path.clone(), i as u32));
        }
        self.count += parsed.defs.len();
        self.files.insert(path.clone(), parsed);
    }

    /// Removes the definitions of `path`.
    pub fn remove_file(&mut self, path: &str) {
        let Some(parsed) = self.files.remove(path) else {
            return;
        };
        self.count -= parsed.defs.len();
        for def in &parsed.defs {
            let key = def.name.to_lowercase();
            if let Some(list) = self.names.get_mut(key.as_str()) {
                list.retain(|(p, _)| &**p != path);
                if list.is_empty() {
                    self.names.remove(key.as_str());
                }
            }
        }
    }

    /// How many definitions carry exactly the name `name` (case-insensitive).
    pub fn count_named(&self, name: &str) -> usize {
        self.names
            .get(name.to_lowercase().as_str())
            .map_or(0, Vec::len)
    }

    /// The definitions matching `query` in `mode`, best first, at most `limit`.
    pub fn lookup(&self, query: &str, mode: SymbolMatch, limit: usize) -> Vec<SymbolInfo> {
        self.lookup_refs(query, mode, limit)
            .into_iter()
            .filter_map(|r| self.info(&r))
            .collect()
    }

    /// Like [`lookup`](Self::lookup), but the matches as (path, def index) pairs.
    pub fn lookup_refs(
        &self,
        query: &str,
        mode: SymbolMatch,
        limit: usize,
    ) -> Vec<(Arc<str>, u32)> {
        let query = query.trim();
        if query.is_empty() || limit == 0 {
            return Vec::new();
        }
        let lower = query.to_lowercase();
        match mode {
            SymbolMatch::Exact => self.exact(query, &lower, limit),
            SymbolMatch::Prefix => self.prefix(&lower, limit),
            SymbolMatch::Fuzzy => self.fuzzy(&lower, limit),
        }
    }

    /// The name of a definition as written.
    fn name_of(&self, (path, i): &DefRef) -> Option<&str> {
        Some(self.files.get(path)?.defs.get(*i as usize)?.name.as_str())
    }

    /// The public description of a definition.
    pub fn info(&self, (path, i): &DefRef) -> Option<SymbolInfo> {
        let def = self.files.get(path)?.defs.get(*i as usize)?;
        Some(SymbolInfo {
            name: def.name.clone(),
            kind: def.kind,
            path: path.to_string(),
            start_line: def.start_line,
            end_line: def.end_line,
            scope: def.scope.clone(),
            signature: def.signature.clone(),
        })
    }

    fn exact(&self, query: &str, lower: &str, limit: usize) -> Vec<DefRef> {
        let Some(list) = self.names.get(lower) else {
            return Vec::new();
        };
        let mut hits: Vec<(bool, &DefRef)> = list
            .iter()
            .map(|r| (self.name_of(r) != Some(query), r))
            .collect();
        // Case-sensitive matches first, then by path and line: stable, predictable.
        hits.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        hits.into_iter()
            .take(limit)
            .map(|(_, r)| r.clone())
            .collect()
    }

    fn prefix(&self, lower: &str, limit: usize) -> Vec<DefRef> {
        let mut keys: Vec<&str> = self
            .names
            .range::<str, _>((std::ops::Bound::Included(lower), std::ops::Bound::Unbounded))
            .map(|(k, _)| &**k)
            .take_while(|k| k.starts_with(lower))
            .collect();
        // Shorter names first (the exact name before its extensions), then alphabetical.
        let by = |a: &&str, b: &&str| a.len().cmp(&b.len()).then_with(|| a.cmp(b));
        if keys.len() > limit {
            keys.select_nth_unstable_by(limit, by);
            keys.truncate(limit);
        }
        keys.sort_unstable_by(by);
        let mut out = Vec::with_capacity(limit);
        for k in keys {
            for r in self.names.get(k).into_iter().flatten() {
                if out.len() == limit {
                    return out;
                }
                out.push(r.clone());
            }
        }
        out
    }

    fn fuzzy(&self, lower: &str, limit: usize) -> Vec<DefRef> {
        let q = lower.as_bytes();
        let mut scored: Vec<(i32, &str)> = Vec::new();
        for (key, list) in &self.names {
            if key.len() < q.len() || !is_subsequence(q, key.as_bytes()) {
                continue;
            }
            let original = list.first().and_then(|r| self.name_of(r)).unwrap_or(key);
            if let Some(score) = fuzzy_score(q, key.as_bytes(), original.as_bytes()) {
                scored.push((score, key));
            }
        }
        let by = |a: &(i32, &str), b: &(i32, &str)| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1));
        if scored.len() > limit {
            scored.select_nth_unstable_by(limit, by);
            scored.truncate(limit);
        }
        scored.sort_unstable_by(by);
        let mut out = Vec::with_capacity(limit);
        for (_, k) in scored {
            for r in self.names.get(k).into_iter().flatten() {
                if out.len() == limit {
                    return out;
                }
                out.push(r.clone());
            }
        }
        out
    }
}

/// Whether `q` occurs in `s` in order (bytes; both lowercased).
#[inline]
fn is_subsequence(q: &[u8], s: &[u8]) -> bool {
    let mut qi = 0;
    for &b in s {
        if qi < q.len() && b == q[qi] {
            qi += 1;
            if qi == q.len() {
                return true;
            }
        }
    }
    qi == q.len()
}

/// Whether position `i` of `orig` starts a word: the first byte, after `_` `:` `.` `-`,
/// a lowercase→uppercase step or a letter→digit step.
#[inline]
fn word_start(orig: &[u8], i: usize) -> bool {
    if i == 0 {
        return true;
    }
    let (p, c) = (orig[i - 1], orig.get(i).copied().unwrap_or(0));
    matches!(p, b'_' | b':' | b'.' | b'-' | b'$')
        || (p.is_ascii_lowercase() && c.is_ascii_uppercase())
        || (p.is_ascii_alphabetic() && c.is_ascii_digit())
}

/// An fzf-like score of `q` matched in `lower` (original case in `orig`): the tightest
/// window ending at the first complete forward match, scored for matched characters,
/// contiguous runs and word starts, penalized for gaps and length. `None` when no match.
fn fuzzy_score(q: &[u8], lower: &[u8], orig: &[u8]) -> Option<i32> {
    if q.is_empty() {
        return Some(0);
    }
    // Forward: the end of the first complete match.
    let mut qi = 0;
    let mut end = 0;
    for (i, &b) in lower.iter().enumerate() {
        if b == q[qi] {
            qi += 1;
            if qi == q.len() {
                end = i;
                break;
            }
        }
    }
    if qi < q.len() {
        return None;
    }
    // Backward from there: the latest start, i.e. the shortest window.
    let mut qi = q.len();
    let mut start = end;
    for i in (0..=end).rev() {
        if lower[i] == q[qi - 1] {
            qi -= 1;
            if qi == 0 {
                start = i;
                break;
            }
        }
    }
    // Score the window greedily left to right.
    let orig = if orig.len() == lower.len() {
        orig
    } else {
        lower
    };
    let mut score = 0i32;
    let mut qi = 0;
    let mut prev_match: Option<usize> = None;
    let mut run = 0i32;
    for (i, &b) in lower.iter().enumerate().take(end + 1).skip(start) {
        if qi < q.len() && b == q[qi] {
            score += 16;
            if word_start(orig, i) {
                score += if i == 0 { 20 } else { 16 };
            }
            if prev_match == Some(i.wrapping_sub(1)) {
                run += 1;
                score += 4 + run.min(4) * 2;
            } else {
                if prev_match.is_some() {
                    score -= 3;
                }
                run = 0;
            }
            prev_match = Some(i);
            qi += 1;
        } else if prev_match.is_some() {
            score -= 1;
        }
    }
    if lower.len() == q.len() {
        score += 20;
    }
    // Shorter names better.
    score -= (lower.len() as i32 - q.len() as i32).min(40) / 2;
    Some(score)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Def;
    use arranger_domain::SymbolKind;

    fn parsed(names: &[&str]) -> Arc<Parsed> {
        Arc::new(Parsed {
            defs: names
                .iter()
                .enumerate()
                .map(|(i, n)| Def {
                    name: n.to_string(),
                    kind: SymbolKind::Function,
                    start_line: i as u32 * 10 + 1,
                    end_line: i as u32 * 10 + 5,
                    scope: None,
                    signature: format!("fn {n}()"),
                })
                .collect(),
            ..Parsed::default()
        })
    }

    fn names(v: Vec<SymbolInfo>) -> Vec<String> {
        v.into_iter()
            .map(|s| format!("{}@{}", s.name, s.path))
            .collect()
    }

    #[test]
    fn exact_prefers_case_then_insensitive() {
        let mut t = SymbolTable::new();
        t.set_file(&"a.rs".into(), parsed(&["Parse", "other"]));
        t.set_file(&"b.rs".into(), parsed(&["parse", "parser"]));
        assert_eq!(
            names(t.lookup("parse", SymbolMatch::Exact, 10)),
            ["parse@b.rs", "Parse@a.rs"]
        );
        assert_eq!(t.len(), 4);
        t.remove_file("b.rs");
        assert_eq!(
            names(t.lookup("parse", SymbolMatch::Exact, 10)),
            ["Parse@a.rs"]
        );
        assert_eq!(t.len(), 2);
        assert!(t.lookup("parser", SymbolMatch::Exact, 10).is_empty());
    }

    #[test]
    fn prefix_shorter_first() {
        let mut t = SymbolTable::new();
        t.set_file(
            &"a.rs".into(),
            parsed(&["parse_file", "parse", "Parser", "pars", "other"]),
        );
        assert_eq!(
            names(t.lookup("PARS", SymbolMatch::Prefix, 3)),
            ["pars@a.rs", "parse@a.rs", "Parser@a.rs"]
        );
    }

    #[test]
    fn fuzzy_prefers_word_starts_and_runs() {
        let mut t = SymbolTable::new();
        t.set_file(
            &"a.rs".into(),
            parsed(&[
                "get_symbol_table",
                "gestalt",
                "GetSymbolTable",
                "sgt",
                "xyz",
            ]),
        );
        let got = names(t.lookup("gst", SymbolMatch::Fuzzy, 10));
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].starts_with("get_symbol_table") || got[0].starts_with("GetSymbolTable"));
        assert_eq!(got[2], "gestalt@a.rs");
        let got = names(t.lookup("symtab", SymbolMatch::Fuzzy, 10));
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn fuzzy_is_fast_on_many_symbols() {
        let mut t = SymbolTable::new();
        for f in 0..5_000 {
            let names: Vec<String> = (0..100)
                .map(|i| format!("handle_item{f}_{i}Request"))
                .collect();
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            t.set_file(&format!("f{f}.rs").into(), parsed(&refs));
        }
        assert_eq!(t.len(), 500_000);
        let started = std::time::Instant::now();
        let hits = t.lookup("hir", SymbolMatch::Fuzzy, 20);
        assert_eq!(hits.len(), 20);
        let prefix = t.lookup("handle_item12", SymbolMatch::Prefix, 20);
        assert_eq!(prefix.len(), 20);
        // Debug builds are slow; release is ~10x faster.
        assert!(started.elapsed().as_millis() < 2_000);
    }
}
