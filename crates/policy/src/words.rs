//! Shell words: turning tree-sitter word nodes into literal values with quotes and escapes
//! removed, or marking them as computed at run time.

use tree_sitter::Node;

/// One shell word after quote removal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Word {
    /// The literal value when the word is fully static.
    pub lit: Option<String>,
    /// Static parts unquoted, dynamic parts as written (`$X`, `$(cmd)`): the text a nested
    /// shell would parse, and what is shown for dynamic words.
    pub shell: String,
    /// Contains a command or process substitution.
    pub subst: bool,
}

impl Word {
    /// A literal word.
    pub fn lit(s: impl Into<String>) -> Word {
        let s = s.into();
        Word {
            shell: s.clone(),
            lit: Some(s),
            subst: false,
        }
    }

    /// A word computed at run time, shown as `shell`.
    pub fn dynamic(shell: impl Into<String>) -> Word {
        Word {
            lit: None,
            shell: shell.into(),
            subst: false,
        }
    }

    /// The literal value, if static.
    pub fn as_lit(&self) -> Option<&str> {
        self.lit.as_deref()
    }

    /// The word as a path: literal value, or `$HOME`/`${HOME}` prefixes turned into `~`
    /// when the rest is literal. `None` when not knowable.
    pub fn as_path(&self) -> Option<String> {
        if let Some(l) = &self.lit {
            return Some(l.clone());
        }
        for prefix in ["${HOME}", "$HOME"] {
            if let Some(rest) = self.shell.strip_prefix(prefix)
                && !rest.contains('$')
                && !rest.contains('`')
                && !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            {
                return Some(format!("~{rest}"));
            }
        }
        None
    }

    /// The word for display: literal values quoted when needed, dynamic words as written.
    pub fn display(&self) -> String {
        match &self.lit {
            Some(l) => quote(l),
            None => self.shell.clone(),
        }
    }
}

/// Quotes a literal for display if it contains characters special to the shell.
pub(crate) fn quote(s: &str) -> String {
    if s.is_empty() {
        return "''".into();
    }
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%^*~?[]{}!#".contains(c) || !c.is_ascii())
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[derive(Default)]
struct Buf {
    text: String,
    dynamic: bool,
    subst: bool,
}

impl Buf {
    fn lit(&mut self, s: &str) {
        self.text.push_str(s);
    }
    fn dynamic(&mut self, s: &str, subst: bool) {
        self.text.push_str(s);
        self.dynamic = true;
        self.subst |= subst;
    }
}

/// The word a node denotes.
pub(crate) fn word_of(node: Node, src: &str) -> Word {
    let mut b = Buf::default();
    build(node, src, &mut b);
    Word {
        lit: (!b.dynamic).then(|| b.text.clone()),
        shell: b.text,
        subst: b.subst,
    }
}

fn text<'a>(node: Node, src: &'a str) -> &'a str {
    src.get(node.byte_range()).unwrap_or("")
}

fn build(node: Node, src: &str, b: &mut Buf) {
    let t = text(node, src);
    match node.kind() {
        "word" => b.lit(&unescape_unquoted(t)),
        "raw_string" => b.lit(
            t.strip_prefix('\'')
                .unwrap_or(t)
                .strip_suffix('\'')
                .unwrap_or(t),
        ),
        "ansi_c_string" => match decode_ansi_c(t) {
            Some(s) => b.lit(&s),
            None => b.dynamic(t, false),
        },
        "string" | "translated_string" => {
            let start = node.start_byte() + if t.starts_with('$') { 2 } else { 1 };
            let end = node.end_byte().saturating_sub(1).max(start);
            let mut pos = start;
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                if child.start_byte() > pos {
                    b.lit(&unescape_dq(src.get(pos..child.start_byte()).unwrap_or("")));
                }
                if child.kind() == "string_content" {
                    b.lit(&unescape_dq(text(child, src)));
                } else {
                    build(child, src, b);
                }
                pos = child.end_byte().max(pos);
            }
            if end > pos {
                b.lit(&unescape_dq(src.get(pos..end).unwrap_or("")));
            }
        }
        "concatenation" | "command_name" => {
            let mut pos = node.start_byte();
            let mut cursor = node.walk();
            for child in node.children(&mut cursor) {
                if child.start_byte() > pos {
                    b.lit(src.get(pos..child.start_byte()).unwrap_or(""));
                }
                build(child, src, b);
                pos = child.end_byte().max(pos);
            }
            if node.end_byte() > pos {
                b.lit(src.get(pos..node.end_byte()).unwrap_or(""));
            }
        }
        "simple_expansion" | "expansion" | "arithmetic_expansion" => b.dynamic(t, false),
        "command_substitution" | "process_substitution" => b.dynamic(t, true),
        "string_content" => b.lit(&unescape_dq(t)),
        _ => {
            if node.has_error() {
                b.dynamic(t, false);
            } else {
                b.lit(t)
            }
        }
    }
}

/// Removes backslash escapes from an unquoted word: `\x` is `x`, backslash-newline vanishes.
pub(crate) fn unescape_unquoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('\n') | None => {}
                Some(n) => out.push(n),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Removes the escapes that are special inside double quotes.
fn unescape_dq(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some(&n) if matches!(n, '$' | '`' | '"' | '\\') => {
                    out.push(n);
                    chars.next();
                }
                Some('\n') => {
                    chars.next();
                }
                _ => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Decodes an ANSI-C quoted string `$'…'`. `None` if it cannot be decoded.
pub(crate) fn decode_ansi_c(t: &str) -> Option<String> {
    let inner = t.strip_prefix("$'")?.strip_suffix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    let hex = |chars: &mut std::iter::Peekable<std::str::Chars>, max: usize, radix: u32| {
        let mut v: u32 = 0;
        let mut n = 0;
        while n < max {
            match chars.peek().and_then(|c| c.to_digit(radix)) {
                Some(d) => {
                    v = v * radix + d;
                    chars.next();
                    n += 1;
                }
                None => break,
            }
        }
        (n > 0).then_some(v)
    };
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next()?;
        let ch = match e {
            'a' => '\u{7}',
            'b' => '\u{8}',
            'e' | 'E' => '\u{1b}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\u{b}',
            '\\' | '\'' | '"' | '?' => e,
            'x' => char::from_u32(hex(&mut chars, 2, 16)?)?,
            'u' => char::from_u32(hex(&mut chars, 4, 16)?)?,
            'U' => char::from_u32(hex(&mut chars, 8, 16)?)?,
            '0'..='7' => {
                let mut v = e.to_digit(8)?;
                for _ in 0..2 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                char::from_u32(v)?
            }
            'c' => {
                let x = chars.next()?;
                char::from_u32((x as u32) & 0x1f)?
            }
            _ => return None,
        };
        out.push(ch);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_c() {
        assert_eq!(decode_ansi_c(r"$'\x72m'").as_deref(), Some("rm"));
        assert_eq!(decode_ansi_c(r"$'\162\155'").as_deref(), Some("rm"));
        assert_eq!(decode_ansi_c(r"$'\u0072m'").as_deref(), Some("rm"));
        assert_eq!(decode_ansi_c(r"$'a\qb'"), None);
    }

    #[test]
    fn globs() {
        use crate::rules::glob;
        assert!(glob("feature/*", "feature/x/y"));
        assert!(!glob("feature/*", "main"));
        assert!(glob("*", ""));
        assert!(glob("a?c", "abc"));
        assert!(glob("--force*", "--force-with-lease=x"));
        assert!(!glob("x*y", "xz"));
    }
}
