//! Collecting a stream of events into a [`Completion`].

use crate::{
    Completion, FinishReason, LlmError, StreamEvent, ToolCall, Usage, parse_tool_arguments,
};
use futures_util::{Stream, StreamExt};
use std::collections::BTreeMap;

#[derive(Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

/// Accumulates [`StreamEvent`]s into a [`Completion`], so a caller can forward deltas
/// (to a UI) and still get the final turn. A [`StreamEvent::Restart`] discards
/// everything accumulated so far.
#[derive(Default)]
pub struct CompletionBuilder {
    text: String,
    reasoning: Option<String>,
    signature: Option<String>,
    calls: BTreeMap<usize, PartialCall>,
    usage: Option<Usage>,
    finish: Option<FinishReason>,
}

impl CompletionBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one event.
    pub fn push(&mut self, event: &StreamEvent) {
        match event {
            StreamEvent::TextDelta { text } => self.text.push_str(text),
            StreamEvent::ReasoningDelta { text } => {
                self.reasoning
                    .get_or_insert_with(String::new)
                    .push_str(text);
            }
            StreamEvent::ReasoningSignature { signature } => {
                self.signature
                    .get_or_insert_with(String::new)
                    .push_str(signature);
            }
            StreamEvent::ToolCallStart { index, id, name } => {
                let call = self.calls.entry(*index).or_default();
                call.id.clone_from(id);
                call.name.clone_from(name);
            }
            StreamEvent::ToolCallDelta { index, arguments } => {
                self.calls
                    .entry(*index)
                    .or_default()
                    .arguments
                    .push_str(arguments);
            }
            StreamEvent::ToolCallEnd { .. } => {}
            StreamEvent::Usage(usage) => self.usage = Some(*usage),
            StreamEvent::Finish { reason } => self.finish = Some(reason.clone()),
            StreamEvent::Restart { .. } => *self = Self::default(),
        }
    }

    /// Whether the finish event has been seen.
    pub fn is_finished(&self) -> bool {
        self.finish.is_some()
    }

    /// The completion; an [`LlmError::Incomplete`] if no finish event was seen.
    /// Tool arguments that are not a JSON object become `Err(MalformedArguments)` in
    /// their [`ToolCall`], never an error of the whole turn.
    pub fn finish(self, provider: &str) -> Result<Completion, LlmError> {
        let Some(finish_reason) = self.finish else {
            return Err(LlmError::Incomplete {
                provider: provider.to_owned(),
                message: "the stream ended without a finish event".into(),
            });
        };
        let tool_calls = self
            .calls
            .into_values()
            .map(|c| ToolCall {
                arguments: parse_tool_arguments(&c.name, &c.arguments),
                id: c.id,
                name: c.name,
                raw_arguments: c.arguments,
            })
            .collect();
        Ok(Completion {
            text: self.text,
            reasoning: self.reasoning,
            reasoning_signature: self.signature,
            tool_calls,
            usage: self.usage.unwrap_or_default(),
            finish_reason,
        })
    }
}

/// Collects a whole stream. The first error in the stream is returned.
pub async fn collect<S>(stream: S) -> Result<Completion, LlmError>
where
    S: Stream<Item = Result<StreamEvent, LlmError>>,
{
    let mut stream = std::pin::pin!(stream);
    let mut builder = CompletionBuilder::new();
    while let Some(event) = stream.next().await {
        builder.push(&event?);
    }
    builder.finish("the provider")
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;

    #[tokio::test]
    async fn restart_discards_partial_output() {
        let events = vec![
            StreamEvent::TextDelta {
                text: "partial".into(),
            },
            StreamEvent::Restart {
                reason: "cut".into(),
            },
            StreamEvent::TextDelta {
                text: "whole".into(),
            },
            StreamEvent::ToolCallStart {
                index: 1,
                id: "b".into(),
                name: "g".into(),
            },
            StreamEvent::ToolCallStart {
                index: 0,
                id: "a".into(),
                name: "f".into(),
            },
            StreamEvent::ToolCallDelta {
                index: 1,
                arguments: "{\"y\":".into(),
            },
            StreamEvent::ToolCallDelta {
                index: 0,
                arguments: "{\"x\":1}".into(),
            },
            StreamEvent::ToolCallDelta {
                index: 1,
                arguments: "2".into(),
            },
            StreamEvent::Finish {
                reason: FinishReason::ToolCalls,
            },
        ];
        let c = collect(stream::iter(events.into_iter().map(Ok)))
            .await
            .unwrap();
        assert_eq!(c.text, "whole");
        assert_eq!(c.tool_calls.len(), 2);
        assert_eq!(c.tool_calls[0].name, "f");
        assert_eq!(c.tool_calls[0].arguments, Ok(serde_json::json!({"x": 1})));
        let bad = c.tool_calls[1].arguments.as_ref().unwrap_err();
        assert!(bad.to_string().contains("`g`"), "{bad}");
        assert_eq!(c.tool_calls[1].raw_arguments, "{\"y\":2");
    }

    #[tokio::test]
    async fn missing_finish_is_an_error() {
        let r = collect(stream::iter(vec![Ok(StreamEvent::TextDelta {
            text: "x".into(),
        })]))
        .await;
        assert!(matches!(r, Err(LlmError::Incomplete { .. })));
    }
}
