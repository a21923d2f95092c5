//! Prints one digest of every parse and token stream of a corpus (to check that a speed
//! change keeps the output identical): `parse_check <dir>`.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use tantivy::tokenizer::{TokenStream, Tokenizer};

fn main() {
    let root = std::env::args().nth(1).expect("dir");
    let mut paths: Vec<_> = ignore::WalkBuilder::new(&root)
        .build()
        .flatten()
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .map(|e| e.into_path())
        .collect();
    paths.sort();
    let mut all = DefaultHasher::new();
    let mut code = arranger_context::tokenize::CodeTokenizer::default();
    let mut pathtok = arranger_context::tokenize::PathTokenizer::default();
    let (mut n, mut ntok) = (0usize, 0usize);
    for p in paths {
        let rel = p
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        if !arranger_context::lang::worth_indexing(&rel, &bytes) {
            continue;
        }
        let text = String::from_utf8(bytes).unwrap();
        let parsed = arranger_context::parse::parse(arranger_context::lang::detect(&rel), &text);
        let mut h = DefaultHasher::new();
        format!("{parsed:?}").hash(&mut h);
        for t in [&text[..], &rel[..]] {
            let mut s = code.token_stream(t);
            while s.advance() {
                let tok = s.token();
                (
                    tok.text.as_str(),
                    tok.offset_from,
                    tok.offset_to,
                    tok.position,
                )
                    .hash(&mut h);
                ntok += 1;
            }
        }
        let mut s = pathtok.token_stream(&rel);
        while s.advance() {
            let tok = s.token();
            (tok.text.as_str(), tok.offset_from, tok.offset_to).hash(&mut h);
        }
        for d in &parsed.defs {
            let mut s = code.token_stream(&d.signature);
            while s.advance() {
                s.token().text.hash(&mut h);
            }
        }
        let d = h.finish();
        d.hash(&mut all);
        println!("{d:016x} {rel}");
        n += 1;
    }
    eprintln!("{n} files, {ntok} tokens, digest {:016x}", all.finish());
}
