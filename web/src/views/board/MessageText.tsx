import { memo } from "react";
import { renderMarkdown } from "../../components/Markdown";

// Scrolling a long history mounts the same rows again and again: their HTML is kept
// (least recently used out), and plain one-line texts skip the Markdown parser altogether.
const MAX = 2000;
const cache = new Map<string, string>();

// Nothing Markdown or GFM would turn into markup: no markup characters, no line breaks,
// no indentation, list or quote marker at the start, no autolinked URL or e-mail address (and so no
// character that HTML would need escaped).
const PLAIN = /^(?!\s|(?:[-+>]|\d+[.)])\s)[^*_`#[\]<>!|~\\&\n\r=]*$/;
const LINKISH = /https?:|www\.|@/i;

/** The sanitized HTML of a message's Markdown text, cached. */
export function messageHtml(text: string): string {
  const hit = cache.get(text);
  if (hit !== undefined) {
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  const html = PLAIN.test(text) && !LINKISH.test(text) ? `<p>${text.trim()}</p>` : renderMarkdown(text);
  if (cache.size >= MAX) cache.delete(cache.keys().next().value as string);
  cache.set(text, html);
  return html;
}

/** A message's text as Markdown (the shared `.md` styles), parsed once per distinct text. */
export const MessageText = memo(function MessageText({ text, className = "" }: { text: string; className?: string }) {
  return <div className={`md ${className}`} dangerouslySetInnerHTML={{ __html: messageHtml(text) }} />;
});
