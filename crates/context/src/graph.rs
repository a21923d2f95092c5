//! [`RefGraph`]: files as nodes, an edge A→B when A references a name that B defines,
//! ranked by personalized PageRank.
//!
//! An edge's weight is the number of such names, each counting `1 / (files defining it)`
//! so that ubiquitous names (`new`, `from`, `get`) do not connect everything; names
//! defined in more than [`MAX_DEFINERS`] files make no edges at all. Files are updated one
//! at a time; the compressed adjacency used by [`RefGraph::pagerank`] is rebuilt lazily
//! after a change (or eagerly with [`RefGraph::prepare`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Names defined in more files than this make no edges.
pub const MAX_DEFINERS: usize = 24;

/// PageRank's damping factor: the chance of following an edge rather than teleporting.
const DAMPING: f32 = 0.85;

/// One file's names.
#[derive(Default)]
struct Node {
    path: Arc<str>,
    live: bool,
    defines: Vec<u32>,
    refs: Vec<u32>,
}

/// The compressed, normalized adjacency (sources → targets) of the live files.
#[derive(Default)]
struct Csr {
    offsets: Vec<u32>,
    targets: Vec<u32>,
    weights: Vec<f32>,
}

/// The file reference graph of one workspace.
#[derive(Default)]
pub struct RefGraph {
    ids: HashMap<Arc<str>, u32>,
    nodes: Vec<Node>,
    free: Vec<u32>,
    names: HashMap<Box<str>, u32>,
    /// Per name id: the files defining it.
    definers: Vec<Vec<u32>>,
    /// Per name id: the files referencing it.
    referrers: Vec<Vec<u32>>,
    csr: Mutex<Option<Arc<Csr>>>,
}

impl RefGraph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the graph has no files.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Rough heap bytes held by the graph.
    pub fn size_bytes(&self) -> u64 {
        let lists: usize = self
            .nodes
            .iter()
            .map(|n| (n.defines.len() + n.refs.len()) * 4 + 64)
            .sum();
        let names: usize = self.names.keys().map(|k| k.len() + 40).sum();
        let inv: usize = self
            .definers
            .iter()
            .chain(&self.referrers)
            .map(|v| v.len() * 4 + 24)
            .sum();
        let csr = self
            .csr
            .lock()
            .ok()
            .and_then(|c| {
                c.as_ref()
                    .map(|c| c.targets.len() * 8 + c.offsets.len() * 4)
            })
            .unwrap_or(0);
        (lists + names + inv + csr) as u64
    }

    fn name_id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.names.get(name) {
            return id;
        }
        let id = self.definers.len() as u32;
        self.names.insert(name.into(), id);
        self.definers.push(Vec::new());
        self.referrers.push(Vec::new());
        id
    }

    fn invalidate(&self) {
        if let Ok(mut csr) = self.csr.lock() {
            *csr = None;
        }
    }

    /// Sets what `path` defines and references (replacing any earlier record).
    pub fn set_file<'a>(
        &mut self,
        path: &Arc<str>,
        defines: impl IntoIterator<Item = &'a str>,
        refs: impl IntoIterator<Item = &'a str>,
    ) {
        self.remove_file(path);
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.nodes.push(Node::default());
                (self.nodes.len() - 1) as u32
            }
        };
        let mut def_ids: Vec<u32> = defines.into_iter().map(|n| self.name_id(n)).collect();
        def_ids.sort_unstable();
        def_ids.dedup();
        let mut ref_ids: Vec<u32> = refs.into_iter().map(|n| self.name_id(n)).collect();
        ref_ids.sort_unstable();
        ref_ids.dedup();
        for &n in &def_ids {
            self.definers[n as usize].push(id);
        }
        for &n in &ref_ids {
            self.referrers[n as usize].push(id);
        }
        self.nodes[id as usize] = Node {
            path: path.clone(),
            live: true,
            defines: def_ids,
            refs: ref_ids,
        };
        self.ids.insert(path.clone(), id);
        self.invalidate();
    }

    /// Removes `path` and its edges.
    pub fn remove_file(&mut self, path: &str) {
        let Some(id) = self.ids.remove(path) else {
            return;
        };
        let node = std::mem::take(&mut self.nodes[id as usize]);
        for n in node.defines {
            self.definers[n as usize].retain(|&f| f != id);
        }
        for n in node.refs {
            self.referrers[n as usize].retain(|&f| f != id);
        }
        self.free.push(id);
        self.invalidate();
    }

    /// The files referencing `name` (which is defined elsewhere), at most `limit`.
    pub fn referrers(&self, name: &str, limit: usize) -> Vec<Arc<str>> {
        let Some(&n) = self.names.get(name) else {
            return Vec::new();
        };
        self.referrers[n as usize]
            .iter()
            .take(limit)
            .map(|&f| self.nodes[f as usize].path.clone())
            .collect()
    }

    /// Builds the adjacency now, so that the next [`pagerank`](Self::pagerank) is fast.
    pub fn prepare(&self) {
        let _ = self.csr();
    }

    fn csr(&self) -> Arc<Csr> {
        let Ok(mut guard) = self.csr.lock() else {
            return Arc::new(self.build_csr());
        };
        if let Some(csr) = guard.as_ref() {
            return csr.clone();
        }
        let csr = Arc::new(self.build_csr());
        *guard = Some(csr.clone());
        csr
    }

    fn build_csr(&self) -> Csr {
        let n = self.nodes.len();
        let mut csr = Csr {
            offsets: Vec::with_capacity(n + 1),
            ..Csr::default()
        };
        let mut acc: HashMap<u32, f32> = HashMap::new();
        csr.offsets.push(0);
        for (src, node) in self.nodes.iter().enumerate() {
            acc.clear();
            if node.live {
                for &name in &node.refs {
                    let defs = &self.definers[name as usize];
                    if defs.is_empty() || defs.len() > MAX_DEFINERS {
                        continue;
                    }
                    let w = 1.0 / defs.len() as f32;
                    for &dst in defs {
                        if dst as usize != src {
                            *acc.entry(dst).or_default() += w;
                        }
                    }
                }
            }
            let total: f32 = acc.values().sum();
            let mut edges: Vec<(u32, f32)> = acc.iter().map(|(&d, &w)| (d, w / total)).collect();
            edges.sort_unstable_by_key(|e| e.0);
            for (d, w) in edges {
                csr.targets.push(d);
                csr.weights.push(w);
            }
            csr.offsets.push(csr.targets.len() as u32);
        }
        csr
    }

    /// Personalized PageRank: the walk teleports to `seeds` (by weight; uniformly over all
    /// files when there are none or none is known). Returns every file with a non-zero
    /// rank; ranks sum to about 1.
    pub fn pagerank(&self, seeds: &[(&str, f32)], iterations: usize) -> HashMap<Arc<str>, f32> {
        let n = self.nodes.len();
        if self.ids.is_empty() {
            return HashMap::new();
        }
        let csr = self.csr();
        let mut teleport = vec![0f32; n];
        let mut total = 0.0;
        for (path, w) in seeds {
            if let Some(&id) = self.ids.get(*path).filter(|_| *w > 0.0) {
                teleport[id as usize] += w;
                total += w;
            }
        }
        if total <= 0.0 {
            let live = self.ids.len() as f32;
            for &id in self.ids.values() {
                teleport[id as usize] = 1.0 / live;
            }
        } else {
            teleport.iter_mut().for_each(|t| *t /= total);
        }
        let mut rank = teleport.clone();
        let mut next = vec![0f32; n];
        for _ in 0..iterations {
            next.iter_mut().for_each(|x| *x = 0.0);
            let mut dangling = 0.0;
            for (src, &r) in rank.iter().enumerate() {
                if r == 0.0 {
                    continue;
                }
                let (a, b) = (csr.offsets[src] as usize, csr.offsets[src + 1] as usize);
                if a == b {
                    dangling += r;
                    continue;
                }
                let r = r * DAMPING;
                for e in a..b {
                    next[csr.targets[e] as usize] += r * csr.weights[e];
                }
            }
            // Teleport mass: the damping remainder of every live node plus dangling mass.
            let jump = (1.0 - DAMPING) * (1.0 - dangling) + dangling;
            let mut delta = 0.0;
            for i in 0..n {
                let v = next[i] + jump * teleport[i];
                delta += (v - rank[i]).abs();
                next[i] = v;
            }
            std::mem::swap(&mut rank, &mut next);
            if delta < 1e-6 {
                break;
            }
        }
        self.ids
            .iter()
            .filter(|(_, id)| rank[**id as usize] > 0.0)
            .map(|(p, &id)| (p.clone(), rank[id as usize]))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph() -> RefGraph {
        let mut g = RefGraph::new();
        // main → lib (parse), lib → util (helper), test → lib; everyone defines `new`.
        g.set_file(&"main.rs".into(), ["main", "new"], ["parse", "new"]);
        g.set_file(&"lib.rs".into(), ["parse", "new"], ["helper", "new"]);
        g.set_file(&"util.rs".into(), ["helper", "new"], ["new"]);
        g.set_file(&"test.rs".into(), ["t", "new"], ["parse"]);
        g
    }

    #[test]
    fn uniform_rank_favors_referenced_files() {
        let g = graph();
        let pr = g.pagerank(&[], 30);
        let total: f32 = pr.values().sum();
        assert!((total - 1.0).abs() < 1e-3, "{total}");
        assert!(pr["lib.rs"] > pr["main.rs"]);
        assert!(pr["util.rs"] > pr["test.rs"]);
    }

    #[test]
    fn seeds_personalize_and_removal_updates() {
        let mut g = graph();
        let pr = g.pagerank(&[("test.rs", 1.0)], 30);
        assert!(pr["lib.rs"] > pr["main.rs"]);
        assert!(pr["util.rs"] > pr["main.rs"], "{pr:?}");
        g.remove_file("lib.rs");
        let pr = g.pagerank(&[("test.rs", 1.0)], 30);
        assert!(!pr.contains_key("lib.rs"));
        assert_eq!(g.len(), 3);
        assert_eq!(&*g.referrers("parse", 10)[0], "main.rs");
    }

    #[test]
    fn fast_on_20k_files() {
        let mut g = RefGraph::new();
        let names: Vec<String> = (0..20_000).map(|i| format!("f{i}")).collect();
        for i in 0..20_000usize {
            let refs: Vec<&str> = (1..30)
                .map(|k| names[(i * 7 + k * 131) % 20_000].as_str())
                .collect();
            g.set_file(
                &format!("src/{i}.rs").into(),
                [names[i].as_str(), "new"],
                refs,
            );
        }
        g.prepare();
        let started = std::time::Instant::now();
        let pr = g.pagerank(&[("src/1.rs", 1.0), ("src/2.rs", 0.5)], 20);
        assert!(pr.len() > 100);
        assert!(started.elapsed().as_millis() < 1_000);
    }
}
