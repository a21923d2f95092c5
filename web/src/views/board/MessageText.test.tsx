import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../../components/Markdown";
import { messageHtml } from "./MessageText";

describe("messageHtml", () => {
  it("renders plain texts as the Markdown renderer would, without it", () => {
    for (const t of [
      "add a greeting module and clean the build",
      "Message 12: can you check the parser?",
      "Thanks, that's it (for now).",
      "这是一个测试：好的。",
      "Message 5 👍",
    ]) {
      expect(messageHtml(t)).toBe(renderMarkdown(t).trim());
    }
  });

  it("leaves anything Markdown could change to the renderer", () => {
    for (const [t, tag] of [
      ["**bold**", "<strong>"],
      ["see https://example.com", "<a "],
      ["mail bob@example.com", "<a "],
      ["- a list item", "<li>"],
      ["1. first", "<li>"],
      ["> quoted", "<blockquote>"],
      ["    indented code", "<pre"],
      ["two\nlines", "<br>"],
      ["a `code` span", "<code>"],
      ["<script>alert(1)</script> & more", "&amp;"],
    ]) {
      expect(messageHtml(t)).toContain(tag);
      expect(messageHtml(t)).not.toContain("<script");
    }
  });
});
