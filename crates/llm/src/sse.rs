//! A Server-Sent Events parser (the WHATWG event-stream format) that takes arbitrary byte
//! chunks: lines may be split anywhere, including inside UTF-8 sequences and between the
//! `\r` and `\n` of a line ending.

/// One dispatched event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field, if any.
    pub(crate) event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub(crate) data: String,
}

/// Incremental parser state.
#[derive(Debug, Default)]
pub(crate) struct SseParser {
    buf: Vec<u8>,
    event: Option<String>,
    data: String,
    has_data: bool,
    /// `buf[..scanned]` holds no line ending (so a long line is scanned once).
    scanned: usize,
    /// The longest line accepted.
    max_line: usize,
}

/// The default longest line (a guard against a server that never sends a newline).
const MAX_LINE: usize = 16 * 1024 * 1024;

impl SseParser {
    /// A new parser.
    pub(crate) fn new() -> Self {
        Self {
            max_line: MAX_LINE,
            ..Self::default()
        }
    }

    /// Feeds a chunk; returns the events it completed. Errors if a line grows too long.
    pub(crate) fn push(&mut self, chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<(), String> {
        self.buf.extend_from_slice(chunk);
        let mut start = 0;
        let mut i = self.scanned;
        while i < self.buf.len() {
            match self.buf[i] {
                b'\n' => {
                    let line = String::from_utf8_lossy(&self.buf[start..i]).into_owned();
                    self.line(&line, out);
                    i += 1;
                    start = i;
                }
                b'\r' => {
                    if i + 1 == self.buf.len() {
                        // Maybe "\r\n" split across chunks: wait for the next byte.
                        break;
                    }
                    let line = String::from_utf8_lossy(&self.buf[start..i]).into_owned();
                    self.line(&line, out);
                    i += if self.buf[i + 1] == b'\n' { 2 } else { 1 };
                    start = i;
                }
                _ => i += 1,
            }
        }
        self.buf.drain(..start);
        self.scanned = i - start;
        if self.buf.len() > self.max_line {
            return Err(format!(
                "an event-stream line exceeded {} bytes",
                self.max_line
            ));
        }
        Ok(())
    }

    /// The stream ended. As the event-stream format requires, an event that was not
    /// terminated by a blank line is discarded (a cut stream must not yield half an event).
    pub(crate) fn finish(&mut self) {
        self.buf.clear();
        self.scanned = 0;
        self.data.clear();
        self.event = None;
        self.has_data = false;
    }

    fn line(&mut self, line: &str, out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if self.has_data {
                let mut data = std::mem::take(&mut self.data);
                if data.ends_with('\n') {
                    data.pop();
                }
                out.push(SseEvent {
                    event: self.event.take(),
                    data,
                });
            }
            self.event = None;
            self.has_data = false;
            return;
        }
        if line.starts_with(':') {
            return; // comment / keep-alive
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
                self.has_data = true;
            }
            "event" => self.event = Some(value.to_owned()),
            _ => {} // id, retry and unknown fields are not used by LLM APIs
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_chunks(input: &[u8], chunk: usize) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for c in input.chunks(chunk) {
            p.push(c, &mut out).unwrap();
        }
        p.finish();
        out
    }

    #[test]
    fn every_split_gives_the_same_events() {
        let input = "event: a\ndata: {\"x\":\"héllo\"}\n\n: ping\r\n\r\ndata:one\r\ndata: two\r\n\r\nevent: b\rdata: x\r\rdata: [DONE]\n\n".as_bytes();
        let expected = vec![
            SseEvent {
                event: Some("a".into()),
                data: "{\"x\":\"héllo\"}".into(),
            },
            SseEvent {
                event: None,
                data: "one\ntwo".into(),
            },
            SseEvent {
                event: Some("b".into()),
                data: "x".into(),
            },
            SseEvent {
                event: None,
                data: "[DONE]".into(),
            },
        ];
        for chunk in 1..input.len() {
            assert_eq!(
                parse_in_chunks(input, chunk),
                expected,
                "chunk size {chunk}"
            );
        }
    }

    #[test]
    fn unterminated_final_event_is_discarded() {
        assert!(parse_in_chunks(b"data: {\"partial\": tr", 3).is_empty());
        assert!(parse_in_chunks(b"data: complete-line-but-no-blank\n", 3).is_empty());
    }

    #[test]
    fn endless_line_is_an_error() {
        let mut p = SseParser {
            max_line: 64,
            ..SseParser::new()
        };
        let mut out = Vec::new();
        assert!(p.push(b"data: 0123456789", &mut out).is_ok());
        let mut result = Ok(());
        for _ in 0..10 {
            result = result.and(p.push(b"0123456789", &mut out));
        }
        assert!(result.is_err());
        assert!(out.is_empty());
    }

    #[test]
    fn event_without_data_is_not_dispatched() {
        assert!(parse_in_chunks(b"event: ping\n\n", 4).is_empty());
    }
}
