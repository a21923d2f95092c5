import { useState } from "react";
import { useT } from "../../i18n";
import type { Agent } from "../../protocol.gen";
import { sendChat, useChatState } from "./chatState";

/** The message box of a 1:1 chat: Enter sends, Shift+Enter starts a new line. */
export function Composer({ agent }: { agent: Agent }) {
  const t = useT();
  const [text, setText] = useState("");
  const pending = useChatState((s) => s.pending[agent.id] ?? false);
  const failed = useChatState((s) => s.failed[agent.id]);
  const id = `composer-${agent.id}`;

  const send = async () => {
    const v = text.trim();
    if (!v || pending) return;
    setText("");
    // Give the text back when it could not be sent, unless something new was typed.
    await sendChat(agent.id, v, () => setText((cur) => cur || v));
  };

  return (
    <form
      className="border-t border-zinc-200 bg-white px-4 py-3 dark:border-zinc-800 dark:bg-zinc-950"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      {failed && (
        <p role="alert" className="mb-2 rounded-md bg-red-50 px-3 py-1.5 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
          {t("chat.failed", { error: failed.error })}
        </p>
      )}
      <div className="flex items-end gap-2 rounded-xl border border-zinc-300 bg-white p-2 focus-within:border-indigo-500 focus-within:ring-1 focus-within:ring-indigo-500 dark:border-zinc-700 dark:bg-zinc-900">
        <label htmlFor={id} className="sr-only">
          {t("chat.messageTo", { name: agent.name })}
        </label>
        <textarea
          id={id}
          rows={2}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              void send();
            }
          }}
          placeholder={t("chat.placeholder", { name: agent.name })}
          className="max-h-48 min-h-10 flex-1 resize-none bg-transparent px-1 py-1 text-sm outline-none focus-visible:outline-none"
        />
        <button
          type="submit"
          disabled={pending || !text.trim()}
          className="rounded-lg bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-40"
        >
          {pending ? t("chat.waiting") : t("chat.send")}
        </button>
      </div>
      <p className="mt-1 px-1 text-xs text-zinc-400">{t("chat.hint")}</p>
    </form>
  );
}
