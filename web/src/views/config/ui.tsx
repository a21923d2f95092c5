// Small building blocks shared by the config sections: cards, fields, buttons, badges.

import { useId, type ReactNode } from "react";
import { useT } from "../../i18n";
import type { Risk } from "../../protocol.gen";
import { errorMessage } from "../../lib/errors";

export const inputClass =
  "w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm shadow-xs placeholder:text-zinc-400 " +
  "focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30 disabled:bg-zinc-100 disabled:text-zinc-500 " +
  "dark:border-zinc-700 dark:bg-zinc-900 dark:placeholder:text-zinc-500 dark:disabled:bg-zinc-800";

const BUTTON = {
  primary: "shadow-xs bg-indigo-600 text-white hover:bg-indigo-500 border-transparent",
  secondary:
    "shadow-xs border-zinc-300 bg-white text-zinc-800 hover:bg-zinc-50 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100 dark:hover:bg-zinc-800",
  danger:
    "shadow-xs border-zinc-300 bg-white text-red-700 hover:border-red-300 hover:bg-red-50 dark:border-zinc-700 dark:bg-zinc-900 dark:text-red-400 dark:hover:bg-red-950",
  dangerSolid: "shadow-xs border-transparent bg-red-600 text-white hover:bg-red-500",
  ghost: "border-transparent text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800",
} as const;

/** Class names of a button of the given kind. */
export function btn(kind: keyof typeof BUTTON = "secondary", small = false): string {
  return `inline-flex items-center justify-center gap-1.5 rounded-md border font-medium whitespace-nowrap disabled:cursor-not-allowed disabled:opacity-50 ${
    small ? "px-2 py-1 text-xs" : "px-3 py-1.5 text-sm"
  } ${BUTTON[kind]}`;
}

/** A titled panel of a settings section. */
export function Card({
  title,
  description,
  actions,
  children,
  id,
}: {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  id?: string;
}) {
  const hid = useId();
  return (
    <section
      id={id}
      aria-labelledby={hid}
      className="rounded-lg border border-zinc-200 bg-white shadow-xs dark:border-zinc-800 dark:bg-zinc-900/60"
    >
      <header className="flex flex-wrap items-start justify-between gap-3 border-b border-zinc-200 px-5 py-4 dark:border-zinc-800">
        <div className="min-w-0 flex-1">
          <h2 id={hid} className="text-base font-semibold">
            {title}
          </h2>
          {description && <div className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">{description}</div>}
        </div>
        {actions && <div className="flex shrink-0 items-center gap-2">{actions}</div>}
      </header>
      <div className="px-5 py-4">{children}</div>
    </section>
  );
}

/** A labelled form control: `children` receives the control's id. */
export function Field({
  label,
  hint,
  error,
  children,
  className = "",
}: {
  label: string;
  hint?: ReactNode;
  error?: string | null;
  children: (id: string, describedBy: string | undefined) => ReactNode;
  className?: string;
}) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  return (
    <div className={className}>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-zinc-800 dark:text-zinc-200">
        {label}
      </label>
      {children(id, hintId)}
      {hint && (
        <p id={hintId} className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">
          {hint}
        </p>
      )}
      {error && <InlineError message={error} />}
    </div>
  );
}

/** An error message next to what caused it. */
export function InlineError({ message, className = "" }: { message: string; className?: string }) {
  return (
    <p
      role="alert"
      className={`mt-2 rounded-md border border-red-200 bg-red-50 px-2.5 py-1.5 text-sm break-words text-red-800 dark:border-red-900 dark:bg-red-950/60 dark:text-red-200 ${className}`}
    >
      {message}
    </p>
  );
}

/** A short success note ("Saved"). */
export function SavedNote({ text }: { text: string }) {
  return (
    <span role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
      <span aria-hidden>✓ </span>
      {text}
    </span>
  );
}

const BADGE = {
  gray: "bg-zinc-100 text-zinc-700 ring-zinc-500/20 dark:bg-zinc-800 dark:text-zinc-300 dark:ring-zinc-400/20",
  green: "bg-emerald-50 text-emerald-800 ring-emerald-600/20 dark:bg-emerald-950 dark:text-emerald-300 dark:ring-emerald-400/30",
  amber: "bg-amber-50 text-amber-800 ring-amber-600/20 dark:bg-amber-950 dark:text-amber-300 dark:ring-amber-400/30",
  red: "bg-red-50 text-red-800 ring-red-600/20 dark:bg-red-950 dark:text-red-300 dark:ring-red-400/30",
  indigo: "bg-indigo-50 text-indigo-800 ring-indigo-600/20 dark:bg-indigo-950 dark:text-indigo-300 dark:ring-indigo-400/30",
} as const;

export type BadgeColor = keyof typeof BADGE;

/** Save and Discard for a form that is edited as a whole, with "saved" / "unsaved" notes. */
export function SaveBar({
  dirty,
  busy,
  done,
  saveLabel,
  onDiscard,
  className = "",
}: {
  dirty: boolean;
  busy: boolean;
  done: boolean;
  saveLabel: string;
  onDiscard: () => void;
  className?: string;
}) {
  const t = useT();
  return (
    <div className={`flex items-center gap-2 ${className}`}>
      <button type="submit" className={btn("primary")} disabled={!dirty || busy}>
        {busy ? t("cfg.saving") : saveLabel}
      </button>
      {dirty && (
        <button type="button" className={btn("ghost")} onClick={onDiscard}>
          {t("cfg.discard")}
        </button>
      )}
      {done && !dirty && <SavedNote text={t("cfg.saved")} />}
      {dirty && !busy && <span className="text-xs text-zinc-500">{t("cfg.unsaved")}</span>}
    </div>
  );
}

/** A small coloured label. */
export function Badge({ color = "gray", children, title }: { color?: BadgeColor; children: ReactNode; title?: string }) {
  return (
    <span
      title={title}
      className={`inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset ${BADGE[color]}`}
    >
      {children}
    </span>
  );
}

const RISK_COLOR: Record<Risk, BadgeColor> = { low: "green", medium: "amber", high: "red" };

/** A risk level as a coloured badge (Low, Medium, High). */
export function RiskBadge({ risk }: { risk: Risk }) {
  const t = useT();
  return (
    <Badge color={RISK_COLOR[risk]}>
      <span aria-hidden className={`h-1.5 w-1.5 rounded-full ${risk === "low" ? "bg-emerald-500" : risk === "medium" ? "bg-amber-500" : "bg-red-500"}`} />
      {t(`cfg.risk.${risk}`)}
    </Badge>
  );
}

/** A switch (a checkbox with role="switch"), labelled. */
export function Switch({
  checked,
  onChange,
  label,
  disabled,
  title,
}: {
  checked: boolean;
  onChange: (v: boolean) => void;
  label: string;
  disabled?: boolean;
  title?: string;
}) {
  return (
    <label className={`inline-flex items-center gap-2 text-sm ${disabled ? "cursor-not-allowed opacity-60" : "cursor-pointer"}`} title={title}>
      <span className="relative inline-flex">
        <input
          type="checkbox"
          role="switch"
          className="peer sr-only"
          checked={checked}
          disabled={disabled}
          onChange={(e) => onChange(e.target.checked)}
        />
        <span
          aria-hidden
          className="h-5 w-9 rounded-full bg-zinc-300 transition-colors peer-checked:bg-indigo-600 peer-focus-visible:outline-2 peer-focus-visible:outline-offset-2 peer-focus-visible:outline-indigo-500 dark:bg-zinc-700"
        />
        <span
          aria-hidden
          className="absolute top-0.5 left-0.5 h-4 w-4 rounded-full bg-white shadow transition-transform peer-checked:translate-x-4"
        />
      </span>
      <span>{label}</span>
    </label>
  );
}

/** An empty state: a sentence and, optionally, an action. */
export function Empty({ text, action }: { text: string; action?: ReactNode }) {
  return (
    <div className="rounded-md border border-dashed border-zinc-300 px-4 py-6 text-center text-sm text-zinc-500 dark:border-zinc-700 dark:text-zinc-400">
      <p>{text}</p>
      {action && <div className="mt-3">{action}</div>}
    </div>
  );
}

/** Message of an error from a call, for showing inline. */
export function errorText(e: unknown): string {
  return errorMessage(e);
}
