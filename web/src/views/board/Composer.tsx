import { useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { useShallow } from "zustand/react/shallow";
import { useT } from "../../i18n";
import { useStore } from "../../lib/store";
import { api } from "../../lib/sync";
import { useUserCommands } from "./commands";
import { applyCompletion, complete, parseUserCommand, queryAt, type CommandChoice } from "./completions";
import { CompletionList, optionId } from "./CompletionList";
import { COMPOSER_ID, requestJump, setDraft, useDrafts } from "./drafts";
import { addMessage } from "./useBoard";
import { errorMessage } from "../../lib/errors";

const LISTBOX_ID = "board-completions";
let outbox: Promise<void> = Promise.resolve();
const MAX_HEIGHT = 240;

/** The message box: Enter sends, Shift+Enter breaks the line, `/` and `@` complete. */
export function Composer({ session, title, archived }: { session: string; title: string; archived: boolean }) {
  const t = useT();
  const value = useDrafts((s) => s[session] ?? "");
  const agents = useStore(useShallow((s) => Object.values(s.agents)));
  const userCommands = useUserCommands();
  const ref = useRef<HTMLTextAreaElement>(null);
  const [caret, setCaret] = useState(0);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const [sel, setSel] = useState({ key: "", i: 0 });
  const [error, setError] = useState<string | null>(null);
  const pendingCaret = useRef<number | null>(null);

  const taskDetail = t("board.cmd.task");
  const taskArg = t("board.cmd.taskArg");
  const inputArg = t("board.cmd.input");
  const commands = useMemo<CommandChoice[]>(
    () => [
      { name: "task", detail: taskDetail, arg: taskArg },
      ...Object.values(userCommands)
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((c) => ({ name: c.id, detail: c.title, arg: c.action.template.includes("{{input}}") ? inputArg : "" })),
    ],
    [userCommands, taskDetail, taskArg, inputArg],
  );

  const query = archived ? null : queryAt(value, caret);
  const qkey = query ? `${query.kind}:${query.start}:${query.text}` : "";
  const items = query ? complete(query, commands, agents) : [];
  const open = items.length > 0 && dismissed !== qkey;
  const active = sel.key === qkey ? Math.min(sel.i, items.length - 1) : 0;

  // Grows with the text up to a limit, then scrolls.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, MAX_HEIGHT)}px`;
    if (pendingCaret.current !== null) {
      el.setSelectionRange(pendingCaret.current, pendingCaret.current);
      setCaret(pendingCaret.current);
      pendingCaret.current = null;
    }
  }, [value]);

  const syncCaret = () => setCaret(ref.current?.selectionStart ?? 0);

  const accept = (i: number) => {
    const c = items[i];
    if (!query || !c) return;
    const next = applyCompletion(value, query, c);
    pendingCaret.current = next.caret;
    setDraft(session, next.value);
  };

  const send = () => {
    const text = value.trim();
    if (!text || archived) return;
    setError(null);
    // Cleared at once, so the next message can be written while this one is on its way.
    setDraft(session, "");
    requestJump(session);
    const cmd = parseUserCommand(text, new Set(Object.keys(userCommands)));
    // One after the other: messages reach the board in the order they were sent.
    outbox = outbox.then(async () => {
      try {
        if (cmd) {
          await api().call("command.execute", { id: cmd.id, args: { input: cmd.input, session } });
        } else {
          const r = await api().call("blackboard.post", { session, text });
          addMessage(session, r.message);
        }
      } catch (e) {
        // Back in the box (unless something else was written meanwhile), with the reason.
        if ((useDrafts.getState()[session] ?? "") === "") setDraft(session, text);
        setError(errorMessage(e));
      }
    });
    return outbox;
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.nativeEvent.isComposing || e.keyCode === 229) return; // an input method is composing
    if (open) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const n = items.length;
        setSel({ key: qkey, i: (active + (e.key === "ArrowDown" ? 1 : n - 1)) % n });
        return;
      }
      if ((e.key === "Enter" && !e.shiftKey) || (e.key === "Tab" && !e.shiftKey)) {
        e.preventDefault();
        accept(active);
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        setDismissed(qkey);
        return;
      }
    }
    if (e.key === "Enter" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      void send();
    }
  };

  return (
    <div className="shrink-0 px-4 pt-1 pb-3 sm:px-6">
      {archived && (
        <p role="note" className="mb-2 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-200">
          {t("board.composer.archived")}
        </p>
      )}
      <div className="relative">
        {open && (
          <CompletionList
            id={LISTBOX_ID}
            label={t("board.composer.suggestions")}
            items={items}
            active={active}
            onPick={accept}
            onHover={(i) => setSel({ key: qkey, i })}
          />
        )}
        <div
          className={`flex items-end gap-2 rounded-xl border bg-white py-1.5 pr-1.5 pl-3 shadow-sm transition dark:bg-zinc-900 ${
            archived
              ? "border-zinc-200 opacity-60 dark:border-zinc-800"
              : "border-zinc-300 focus-within:border-indigo-500 focus-within:ring-2 focus-within:ring-indigo-500/20 dark:border-zinc-700"
          }`}
        >
          <label htmlFor={COMPOSER_ID} className="sr-only">
            {t("board.composer.label")}
          </label>
          <textarea
            ref={ref}
            id={COMPOSER_ID}
            rows={1}
            value={value}
            disabled={archived}
            placeholder={archived ? "" : t("board.composer.placeholder", { title })}
            role="combobox"
            aria-autocomplete="list"
            aria-expanded={open}
            aria-controls={open ? LISTBOX_ID : undefined}
            aria-activedescendant={open ? optionId(LISTBOX_ID, active) : undefined}
            aria-describedby="board-composer-hint"
            aria-invalid={error ? true : undefined}
            onChange={(e) => {
              setDraft(session, e.target.value);
              setCaret(e.target.selectionStart);
              if (error) setError(null);
            }}
            onKeyDown={onKeyDown}
            onKeyUp={(e) => (e.key === "ArrowLeft" || e.key === "ArrowRight" || e.key === "Home" || e.key === "End") && syncCaret()}
            onClick={syncCaret}
            onBlur={() => setDismissed(qkey)}
            onFocus={() => setDismissed(null)}
            className="max-h-60 min-h-6 flex-1 resize-none self-center bg-transparent py-1 text-sm leading-6 text-zinc-900 placeholder:text-zinc-400 focus-visible:outline-none disabled:cursor-not-allowed dark:text-zinc-100 dark:placeholder:text-zinc-500"
          />
          <button
            type="button"
            onClick={() => void send()}
            disabled={archived || value.trim() === ""}
            className="flex h-8 shrink-0 items-center gap-1.5 rounded-lg bg-indigo-600 px-3 text-sm font-medium text-white transition hover:bg-indigo-500 disabled:cursor-not-allowed disabled:bg-zinc-200 disabled:text-zinc-400 dark:disabled:bg-zinc-800 dark:disabled:text-zinc-500"
          >
            {t("board.composer.send")}
            <svg aria-hidden viewBox="0 0 16 16" className="h-3.5 w-3.5 fill-current">
              <path d="M1.7 1.2a.6.6 0 0 1 .65-.08l12.5 6.3a.6.6 0 0 1 0 1.07l-12.5 6.3a.6.6 0 0 1-.84-.7L3.2 8 1.5 1.9a.6.6 0 0 1 .2-.7ZM4.3 8.6l-1.2 4.3L12.9 8 3.1 3.1l1.2 4.3H9a.6.6 0 0 1 0 1.2H4.3Z" />
            </svg>
          </button>
        </div>
      </div>
      <div className="mt-1 flex min-h-4 items-start justify-between gap-4 px-1 text-[11px] text-zinc-400 dark:text-zinc-500">
        <span id="board-composer-hint">{archived ? "" : t("board.composer.hint")}</span>
        {error && (
          <span role="alert" className="text-right text-red-600 dark:text-red-400">
            {error}
          </span>
        )}
      </div>
    </div>
  );
}
