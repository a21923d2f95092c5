import { describe, expect, it } from "vitest";
import { renderMarkdown } from "./Markdown";

describe("renderMarkdown", () => {
  it("highlights fenced code by language", () => {
    const html = renderMarkdown("```rust\nfn main() {}\n```");
    expect(html).toContain('class="hljs language-rust"');
    expect(html).toContain('<span class="hljs-keyword">fn</span>');
  });

  it("removes scripts, handlers and javascript: links", () => {
    const html = renderMarkdown('<script>alert(1)</script><img src=x onerror="alert(2)">');
    expect(html).not.toContain("<script");
    expect(html).not.toContain("onerror");
    const link = renderMarkdown("a [link](javascript:alert(3)) here");
    expect(link).toContain("<a");
    expect(link).not.toContain("javascript:");
  });

  it("opens links in a new tab without an opener", () => {
    expect(renderMarkdown("[docs](https://example.com)")).toContain('rel="noopener noreferrer"');
  });
});
