//! Text search over a workspace: `.gitignore`-aware walk, reads through the jail.

use crate::fs::{FsError, Workspace};
use serde::Serialize;

/// One matching line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SearchHit {
    /// Workspace-relative path.
    pub path: String,
    /// 1-based line number.
    pub line: u32,
    /// The line, trimmed to at most 300 characters.
    pub text: String,
}

/// What a search found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SearchResult {
    /// Matches, by path then line.
    pub hits: Vec<SearchHit>,
    /// Whether more matches exist than were returned.
    pub truncated: bool,
    /// Files searched.
    pub files: u32,
}

/// Files larger than this are not searched.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

impl Workspace {
    /// Searches text files for `pattern` (a regular expression, or a literal string when
    /// `literal`), under `under` (a workspace-relative directory, `""` for all), skipping
    /// what `.gitignore` ignores, `.git`, hidden names, binary and large files. Every file
    /// is read through the jail, so a symbolic link never leads the search outside.
    pub fn search(
        &self,
        pattern: &str,
        literal: bool,
        under: &str,
        max_hits: usize,
    ) -> Result<SearchResult, FsError> {
        let re = regex::RegexBuilder::new(&if literal {
            regex::escape(pattern)
        } else {
            pattern.to_owned()
        })
        .size_limit(1 << 20)
        .build()
        .map_err(|e| FsError::InvalidPath {
            path: pattern.to_owned(),
            reason: format!("not a valid regular expression: {e}"),
        })?;
        // Validates `under` and checks that it is a directory inside the workspace.
        let start = self.stat(under)?;
        if start.kind != arranger_domain::fs::FileKind::Dir {
            // A symbolic link is not walked, even when it points inside.
            return Err(FsError::NotADirectory {
                path: under.to_owned(),
            });
        }
        let root = self.root().to_path_buf();
        let hidden = self.hidden().to_vec();
        let mut out = SearchResult::default();
        let walker = ignore::WalkBuilder::new(root.join(&start.path))
            .follow_links(false)
            .hidden(false)
            .require_git(false)
            .filter_entry(move |e| e.file_name() != ".git")
            .build();
        for entry in walker.flatten() {
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue; // directories, and symbolic links (never followed)
            }
            let Ok(rel) = entry.path().strip_prefix(&root) else {
                continue;
            };
            let Some(rel) = rel.to_str() else { continue };
            if hidden
                .iter()
                .any(|h| rel == h || rel.starts_with(&format!("{h}/")))
            {
                continue;
            }
            let data = match self.read(rel, MAX_FILE_BYTES) {
                Ok(d) => d,
                Err(_) => continue, // too large, vanished, or refused: skip it
            };
            let Ok(text) = std::str::from_utf8(&data) else {
                continue;
            };
            out.files += 1;
            for (i, line) in text.lines().enumerate() {
                if re.is_match(line) {
                    if out.hits.len() == max_hits {
                        out.truncated = true;
                        return Ok(out);
                    }
                    let shown: String = line.trim().chars().take(300).collect();
                    out.hits.push(SearchHit {
                        path: rel.to_owned(),
                        line: i as u32 + 1,
                        text: shown,
                    });
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_text_respects_gitignore_and_never_leaves_the_workspace() {
        let t = tempfile::tempdir().unwrap();
        let ws = t.path().join("ws");
        let outside = t.path().join("outside");
        std::fs::create_dir_all(ws.join("src")).unwrap();
        std::fs::create_dir_all(ws.join("target")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(
            ws.join("src/login.rs"),
            "fn login() {}\nfn validate_login() {}\n",
        )
        .unwrap();
        std::fs::write(ws.join("target/gen.rs"), "fn login() {}\n").unwrap();
        std::fs::write(ws.join(".gitignore"), "target/\n").unwrap();
        std::fs::write(outside.join("secret.rs"), "fn login() {}\n").unwrap();
        std::os::unix::fs::symlink(&outside, ws.join("escape")).unwrap();
        std::os::unix::fs::symlink(outside.join("secret.rs"), ws.join("src/link.rs")).unwrap();
        let w = Workspace::new(&ws);
        let r = w.search("login", true, "", 100).unwrap();
        let paths: Vec<_> = r.hits.iter().map(|h| (h.path.as_str(), h.line)).collect();
        assert_eq!(paths, [("src/login.rs", 1), ("src/login.rs", 2)]);
        let r = w.search(r"fn \w+_login", false, "src", 100).unwrap();
        assert_eq!(r.hits.len(), 1);
        let r = w.search("fn", true, "", 1).unwrap();
        assert!(r.truncated);
        assert!(w.search("(", false, "", 10).is_err());
        assert!(w.search("x", true, "../outside", 10).is_err());
        assert!(w.search("x", true, "escape", 10).is_err());
    }
}
