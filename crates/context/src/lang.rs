//! Which language a path is, and which files are worth indexing.

use arranger_domain::Lang;

/// Files larger than this are not indexed.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// How many leading bytes [`looks_binary`] inspects.
const BINARY_SNIFF_BYTES: usize = 8 * 1024;

/// A line longer than this marks a file as minified or generated.
const MAX_LINE_BYTES: usize = 10_000;

/// An average line longer than this marks a file as minified or generated.
const MAX_AVERAGE_LINE_BYTES: usize = 300;

/// Below this size the average line length is not judged (a short one-line file is fine).
const AVERAGE_CHECK_MIN_BYTES: usize = 2_000;

/// Lock files: generated, large and useless as context.
const LOCK_FILES: &[&str] = &[
    "Cargo.lock",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "poetry.lock",
    "Gemfile.lock",
    "composer.lock",
    "go.sum",
    "npm-shrinkwrap.json",
];

/// The language of `path` by its extension, if the index parses it with tree-sitter.
///
/// Extensions are matched case-insensitively; `.h` counts as C.
pub fn detect(path: &str) -> Option<Lang> {
    let name = file_name(path);
    let (_, ext) = name.rsplit_once('.')?;
    if ext.len() > 4 {
        return None;
    }
    let mut buf = [0u8; 4];
    let ext = ascii_lower(ext, &mut buf)?;
    Some(match ext {
        "rs" => Lang::Rust,
        "py" | "pyi" => Lang::Python,
        "js" | "mjs" | "cjs" | "jsx" => Lang::JavaScript,
        "ts" | "mts" | "cts" => Lang::TypeScript,
        "tsx" => Lang::Tsx,
        "go" => Lang::Go,
        "java" => Lang::Java,
        "c" | "h" => Lang::C,
        "cc" | "cpp" | "cxx" | "hpp" | "hh" | "hxx" => Lang::Cpp,
        _ => return None,
    })
}

/// Whether `bytes` look binary: a NUL byte in the first 8 KiB.
pub fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(BINARY_SNIFF_BYTES)];
    head.contains(&0)
}

/// Whether the file at `path` with content `bytes` should be indexed.
///
/// Refuses binary and non-UTF-8 content, files over 1 MiB, lock files, `*.min.js` /
/// `*.min.css`, and minified or generated text (a line over 10,000 bytes, or an average
/// line over 300 bytes). Any other UTF-8 text is accepted, code or not.
pub fn worth_indexing(path: &str, bytes: &[u8]) -> bool {
    if bytes.len() > MAX_FILE_BYTES || looks_binary(bytes) {
        return false;
    }
    let name = file_name(path);
    if LOCK_FILES.contains(&name) || name.ends_with(".min.js") || name.ends_with(".min.css") {
        return false;
    }
    if std::str::from_utf8(bytes).is_err() {
        return false;
    }
    let mut lines = 0usize;
    for line in bytes.split(|&b| b == b'\n') {
        if line.len() > MAX_LINE_BYTES {
            return false;
        }
        lines += 1;
    }
    !(bytes.len() >= AVERAGE_CHECK_MIN_BYTES && bytes.len() / lines.max(1) > MAX_AVERAGE_LINE_BYTES)
}

/// The last segment of a `/`- or `\`-separated path.
fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// `s` lowercased into `buf` (ASCII only; `None` if not ASCII or too long).
fn ascii_lower<'b>(s: &str, buf: &'b mut [u8; 4]) -> Option<&'b str> {
    let out = buf.get_mut(..s.len())?;
    for (o, b) in out.iter_mut().zip(s.bytes()) {
        if !b.is_ascii() {
            return None;
        }
        *o = b.to_ascii_lowercase();
    }
    std::str::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_extension() {
        assert_eq!(detect("src/main.rs"), Some(Lang::Rust));
        assert_eq!(detect("a/b.PY"), Some(Lang::Python));
        assert_eq!(detect("x.pyi"), Some(Lang::Python));
        assert_eq!(detect("x.mjs"), Some(Lang::JavaScript));
        assert_eq!(detect("x.jsx"), Some(Lang::JavaScript));
        assert_eq!(detect("x.cts"), Some(Lang::TypeScript));
        assert_eq!(detect("x.tsx"), Some(Lang::Tsx));
        assert_eq!(detect("x.go"), Some(Lang::Go));
        assert_eq!(detect("X.java"), Some(Lang::Java));
        assert_eq!(detect("x.h"), Some(Lang::C));
        assert_eq!(detect("x.c"), Some(Lang::C));
        assert_eq!(detect("x.hpp"), Some(Lang::Cpp));
        assert_eq!(detect("x.cc"), Some(Lang::Cpp));
        assert_eq!(detect("README.md"), None);
        assert_eq!(detect("Makefile"), None);
        assert_eq!(detect("dir.rs/file"), None);
        assert_eq!(detect("x.é"), None);
    }

    #[test]
    fn refuses_binary_big_locks_and_minified() {
        assert!(looks_binary(b"abc\0def"));
        assert!(!looks_binary(b"plain text"));
        assert!(worth_indexing("src/lib.rs", b"fn main() {}\n"));
        assert!(worth_indexing("notes.txt", "héllo\nworld\n".as_bytes()));
        assert!(!worth_indexing("a.bin", b"\x7fELF\0\0\0"));
        assert!(!worth_indexing("a.txt", &[0xff, 0xfe, 0x41]));
        assert!(!worth_indexing("Cargo.lock", b"[[package]]\n"));
        assert!(!worth_indexing("web/package-lock.json", b"{}\n"));
        assert!(!worth_indexing("web/yarn.lock", b"x\n"));
        assert!(!worth_indexing("pnpm-lock.yaml", b"x\n"));
        assert!(!worth_indexing("dist/app.min.js", b"var a=1;\n"));
        let big = vec![b'a'; MAX_FILE_BYTES + 1];
        assert!(!worth_indexing("big.txt", &big));
        let long_line = vec![b'x'; MAX_LINE_BYTES + 1];
        assert!(!worth_indexing("gen.js", &long_line));
        let wide: Vec<u8> = (0..20)
            .flat_map(|_| [vec![b'y'; 500], vec![b'\n']].concat())
            .collect();
        assert!(!worth_indexing("wide.js", &wide));
        let short_wide = vec![b'z'; 500];
        assert!(worth_indexing("one.json", &short_wide));
    }
}
