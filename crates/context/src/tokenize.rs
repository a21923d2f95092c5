//! Code-aware tokenizers for the full-text index.
//!
//! [`CodeTokenizer`] emits every identifier whole (lowercased) and, when it has several
//! parts, each part split at `snake_case`, `camelCase` / `PascalCase` and letter/digit
//! boundaries: `HTTPServerError` → `httpservererror`, `http`, `server`, `error`. Parts of
//! one character are dropped; numbers are kept when they have at least two digits.
//! [`PathTokenizer`] emits a path's segments, the file's stem and extension, and the
//! identifier parts of each segment. [`query_terms`] turns a query into the same terms.
//!
//! Both tokenizers compute byte spans into a buffer they own and reuse, and lowercase each
//! span into the one reused [`Token`], so tokenizing allocates nothing in the steady state.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Longest term indexed, in bytes (longer runs are hashes or data, not names).
const MAX_TERM_BYTES: usize = 64;

/// A byte span of the tokenized text.
type Span = (usize, usize);

/// Whether `c` can be part of an identifier.
#[inline]
fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Character classes for splitting an identifier into parts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Upper,
    Lower,
    Digit,
    Under,
}

#[inline]
fn class(c: char) -> Class {
    if c.is_ascii() {
        match c {
            'A'..='Z' => Class::Upper,
            '0'..='9' => Class::Digit,
            '_' => Class::Under,
            _ => Class::Lower,
        }
    } else if c.is_uppercase() {
        Class::Upper
    } else if c.is_numeric() {
        Class::Digit
    } else {
        Class::Lower
    }
}

/// Whether a part is worth a term: at least two characters, not too long.
#[inline]
fn keep(text: &str, (a, b): Span) -> bool {
    let len = b - a;
    len <= MAX_TERM_BYTES && (len >= 2 && text[a..b].chars().nth(1).is_some())
}

/// Pushes the parts of the identifier `text[a..b]` (split at `_`, lower→Upper,
/// `UPPERWord` and letter/digit boundaries) into `out`; returns how many were pushed.
fn push_parts(text: &str, a: usize, b: usize, out: &mut Vec<Span>) -> usize {
    let ident = &text[a..b];
    if ident.is_ascii() {
        push_parts_ascii(ident.as_bytes(), a, out)
    } else {
        push_parts_chars(text, a, b, out)
    }
}

/// [`push_parts`] of any identifier, character by character.
fn push_parts_chars(text: &str, a: usize, b: usize, out: &mut Vec<Span>) -> usize {
    let ident = &text[a..b];
    let before = out.len();
    let mut start: Option<usize> = None;
    let mut prev: Option<Class> = None;
    let mut iter = ident.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let cl = class(c);
        if cl == Class::Under {
            if let Some(s) = start.take() {
                out.push((a + s, a + i));
            }
            prev = Some(cl);
            continue;
        }
        let boundary = match (prev, cl) {
            (None, _) | (Some(Class::Under), _) => false,
            (Some(Class::Lower), Class::Upper) => true,
            (Some(Class::Upper), Class::Upper) => {
                // `HTTPServer`: the `S` starts a word when a lowercase letter follows.
                matches!(iter.peek(), Some((_, n)) if class(*n) == Class::Lower)
            }
            (Some(p), c2) => (p == Class::Digit) != (c2 == Class::Digit),
        };
        match start {
            None => start = Some(i),
            Some(s) if boundary => {
                out.push((a + s, a + i));
                start = Some(i);
            }
            Some(_) => {}
        }
        prev = Some(cl);
    }
    if let Some(s) = start {
        out.push((a + s, b));
    }
    // Keep only worthwhile parts (compacting in place).
    let mut w = before;
    for r in before..out.len() {
        if keep(text, out[r]) {
            out[w] = out[r];
            w += 1;
        }
    }
    out.truncate(w);
    out.len() - before
}

/// The class of an ASCII identifier byte (as [`class`]).
#[inline]
fn class_ascii(b: u8) -> Class {
    match b {
        b'A'..=b'Z' => Class::Upper,
        b'0'..=b'9' => Class::Digit,
        b'_' => Class::Under,
        _ => Class::Lower,
    }
}

/// [`push_parts`] of an ASCII identifier `ident` starting at byte `a` of the text: the same
/// parts, byte by byte (every part of two bytes or more is kept, up to [`MAX_TERM_BYTES`]).
fn push_parts_ascii(ident: &[u8], a: usize, out: &mut Vec<Span>) -> usize {
    let before = out.len();
    let mut push = |s: usize, e: usize| {
        if (2..=MAX_TERM_BYTES).contains(&(e - s)) {
            out.push((a + s, a + e));
        }
    };
    let mut start: Option<usize> = None;
    let mut prev: Option<Class> = None;
    for (i, &c) in ident.iter().enumerate() {
        let cl = class_ascii(c);
        if cl == Class::Under {
            if let Some(s) = start.take() {
                push(s, i);
            }
            prev = Some(cl);
            continue;
        }
        let boundary = match (prev, cl) {
            (None, _) | (Some(Class::Under), _) => false,
            (Some(Class::Lower), Class::Upper) => true,
            (Some(Class::Upper), Class::Upper) => ident
                .get(i + 1)
                .is_some_and(|&n| class_ascii(n) == Class::Lower),
            (Some(p), c2) => (p == Class::Digit) != (c2 == Class::Digit),
        };
        match start {
            None => start = Some(i),
            Some(s) if boundary => {
                push(s, i);
                start = Some(i);
            }
            Some(_) => {}
        }
        prev = Some(cl);
    }
    if let Some(s) = start {
        push(s, ident.len());
    }
    out.len() - before
}

/// Pushes the spans of one identifier: the whole, then its parts if there are several.
fn push_ident(text: &str, a: usize, b: usize, out: &mut Vec<Span>) {
    let whole = out.len();
    let whole_kept = keep(text, (a, b));
    if whole_kept {
        out.push((a, b));
    }
    let parts = push_parts(text, a, b, out);
    // A single part equal to the whole identifier adds nothing.
    if parts == 1 && whole_kept {
        let (pa, pb) = out[whole + 1];
        if pb - pa == b - a {
            out.pop();
        }
    }
}

/// The spans of the terms of `text` as code: identifiers whole and in parts.
pub fn code_spans(text: &str, out: &mut Vec<Span>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // ASCII fast path to skip separators.
        if b < 0x80 && !(b == b'_' || b.is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        if b >= 0x80 {
            let c = text[i..].chars().next().unwrap_or(' ');
            if !is_ident_char(c) {
                i += c.len_utf8();
                continue;
            }
        }
        let start = i;
        while i < bytes.len() {
            let b = bytes[i];
            if b < 0x80 {
                if b == b'_' || b.is_ascii_alphanumeric() {
                    i += 1;
                } else {
                    break;
                }
            } else {
                let c = text[i..].chars().next().unwrap_or(' ');
                if is_ident_char(c) {
                    i += c.len_utf8();
                } else {
                    break;
                }
            }
        }
        push_ident(text, start, i, out);
    }
}

/// The spans of the terms of a path: each segment, the file's stem and extension, and
/// the identifier terms of each segment.
pub fn path_spans(text: &str, out: &mut Vec<Span>) {
    let mut seg_start = 0;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), '/')))
    {
        if c != '/' && c != '\\' {
            continue;
        }
        let (a, b) = (seg_start, i);
        seg_start = i + 1;
        if a >= b {
            continue;
        }
        let seg = &text[a..b];
        let before = out.len();
        if keep(text, (a, b)) {
            out.push((a, b));
        }
        if let Some(dot) = seg.rfind('.').filter(|d| *d > 0) {
            for span in [(a, a + dot), (a + dot + 1, b)] {
                if keep(text, span) {
                    out.push(span);
                }
            }
        }
        let idents = out.len();
        code_spans(seg, out);
        // Shift the segment-relative spans and drop the ones already emitted whole.
        let mut w = idents;
        for r in idents..out.len() {
            let span = (out[r].0 + a, out[r].1 + a);
            if !out[before..idents].contains(&span) {
                out[w] = span;
                w += 1;
            }
        }
        out.truncate(w);
    }
}

/// Lowercases `s` into `buf` (cleared first).
#[inline]
fn lower_into(s: &str, buf: &mut String) {
    buf.clear();
    if s.is_ascii() {
        buf.push_str(s);
        buf.make_ascii_lowercase();
    } else {
        for c in s.chars() {
            buf.extend(c.to_lowercase());
        }
    }
}

/// The tantivy tokenizer for source code and prose (see the module docs).
#[derive(Clone, Default)]
pub struct CodeTokenizer {
    spans: Vec<Span>,
    token: Token,
}

/// The tantivy tokenizer for workspace-relative paths (see the module docs).
#[derive(Clone, Default)]
pub struct PathTokenizer {
    spans: Vec<Span>,
    token: Token,
}

/// The token stream of [`CodeTokenizer`] and [`PathTokenizer`]: precomputed spans.
pub struct SpanTokenStream<'a> {
    text: &'a str,
    spans: &'a [Span],
    next: usize,
    token: &'a mut Token,
}

impl<'a> SpanTokenStream<'a> {
    /// The stream of `text`'s spans as `split` finds them (buffers reused).
    fn new(
        text: &'a str,
        spans: &'a mut Vec<Span>,
        token: &'a mut Token,
        split: fn(&str, &mut Vec<Span>),
    ) -> Self {
        spans.clear();
        split(text, spans);
        token.reset();
        SpanTokenStream {
            text,
            spans,
            next: 0,
            token,
        }
    }
}

impl Tokenizer for CodeTokenizer {
    type TokenStream<'a> = SpanTokenStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> SpanTokenStream<'a> {
        SpanTokenStream::new(text, &mut self.spans, &mut self.token, code_spans)
    }
}

impl Tokenizer for PathTokenizer {
    type TokenStream<'a> = SpanTokenStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> SpanTokenStream<'a> {
        SpanTokenStream::new(text, &mut self.spans, &mut self.token, path_spans)
    }
}

impl TokenStream for SpanTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let Some(&(a, b)) = self.spans.get(self.next) else {
            return false;
        };
        self.next += 1;
        lower_into(&self.text[a..b], &mut self.token.text);
        self.token.offset_from = a;
        self.token.offset_to = b;
        self.token.position = self.token.position.wrapping_add(1);
        true
    }
    fn token(&self) -> &Token {
        self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// The distinct terms of a query, as [`CodeTokenizer`] indexes them, in order.
pub fn query_terms(q: &str) -> Vec<String> {
    let mut spans = Vec::new();
    code_spans(q, &mut spans);
    let mut terms: Vec<String> = Vec::with_capacity(spans.len());
    let mut buf = String::new();
    for (a, b) in spans {
        lower_into(&q[a..b], &mut buf);
        if !terms.contains(&buf) {
            terms.push(buf.clone());
        }
    }
    terms
}

/// The distinct identifier-looking words of a query, as written (at least two
/// characters, not starting with a digit): candidates for the symbol table.
pub fn identifiers(q: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in q.split(|c: char| !is_ident_char(c)) {
        let mut chars = word.chars();
        let Some(first) = chars.next() else { continue };
        if first.is_numeric() || chars.next().is_none() || word.len() > 200 {
            continue;
        }
        if !out.iter().any(|w| w == word) {
            out.push(word.to_string());
        }
    }
    out
}

/// Whether an identifier looks like code rather than an English word: it has an
/// underscore, a digit or an uppercase letter after the first character.
pub fn looks_like_code(ident: &str) -> bool {
    ident
        .chars()
        .skip(1)
        .any(|c| c == '_' || c.is_uppercase() || c.is_numeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> Vec<String> {
        let mut t = CodeTokenizer::default();
        let mut s = t.token_stream(text);
        let mut out = Vec::new();
        while s.advance() {
            out.push(s.token().text.clone());
        }
        out
    }

    fn path(text: &str) -> Vec<String> {
        let mut t = PathTokenizer::default();
        let mut s = t.token_stream(text);
        let mut out = Vec::new();
        while s.advance() {
            out.push(s.token().text.clone());
        }
        out
    }

    #[test]
    fn splits_camel_and_acronyms() {
        assert_eq!(
            code("HTTPServerError"),
            ["httpservererror", "http", "server", "error"]
        );
        assert_eq!(
            code("parseHTTP2Body"),
            ["parsehttp2body", "parse", "http", "body"]
        );
        assert_eq!(code("getX"), ["getx", "get"]);
    }

    #[test]
    fn splits_snake_and_keeps_numbers() {
        assert_eq!(
            code("max_chunk_lines"),
            ["max_chunk_lines", "max", "chunk", "lines"]
        );
        assert_eq!(code("a = 42 + 7;"), ["42"]);
        assert_eq!(code("_private"), ["_private", "private"]);
        assert_eq!(code("x y z"), Vec::<String>::new());
    }

    #[test]
    fn single_word_emitted_once_and_unicode_lowercased() {
        assert_eq!(code("fn parse(text)"), ["fn", "parse", "text"]);
        assert_eq!(code("ÜberStraße"), ["überstraße", "über", "straße"]);
    }

    #[test]
    fn paths_have_segments_stem_extension_and_parts() {
        assert_eq!(
            path("src/codeTokenizer.rs"),
            [
                "src",
                "codetokenizer.rs",
                "codetokenizer",
                "rs",
                "code",
                "tokenizer"
            ]
        );
        assert_eq!(path("a/Makefile"), ["makefile"]);
    }

    #[test]
    fn query_terms_and_identifiers() {
        assert_eq!(
            query_terms("where is parseChunk called? parse"),
            ["where", "is", "parsechunk", "parse", "chunk", "called"]
        );
        assert_eq!(identifiers("Foo::bar_baz x 2fa"), ["Foo", "bar_baz"]);
        assert!(looks_like_code("bar_baz"));
        assert!(looks_like_code("parseChunk"));
        assert!(!looks_like_code("Parse"));
    }

    #[test]
    fn ascii_parts_match_char_parts() {
        let words = [
            "HTTPServerError",
            "snake_case_name",
            "__init__",
            "a",
            "ab",
            "x1",
            "utf8Decode",
            "u32",
            "ABC",
            "ABCd",
            "getHTTP2Response",
            "_",
            "a_b_c",
            "IO_ERROR_42x",
            "MAX__VALUE",
            "Vec3f",
            "aVeryLongIdentifierThatGoesOnAndOnWellPastTheSixtyFourByteLimitOfTerms_x",
            "0x1F2e",
            "XMLHttpRequest2",
        ];
        for w in words {
            let text = format!("  {w} ");
            let (mut x, mut y) = (Vec::new(), Vec::new());
            let nx = push_parts_ascii(w.as_bytes(), 2, &mut x);
            let ny = push_parts_chars(&text, 2, 2 + w.len(), &mut y);
            assert_eq!((nx, x), (ny, y), "{w}");
        }
    }
}
