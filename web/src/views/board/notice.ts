// A system broadcast in the reader's language, from the notice the server keeps as data.

import type { T } from "../../i18n";
import type { Notice } from "../../protocol.gen";

/** The broadcast's headline and details (Markdown), or null to show the server's text. */
export function noticeText(notice: Notice | null | undefined, t: T): { head: string; body: string | null } | null {
  if (!notice) return null;
  switch (notice.kind) {
    case "task_created":
      return { head: t("notice.taskCreated", { title: notice.title }), body: null };
    case "assigned":
      return {
        head:
          notice.score == null
            ? t("notice.assigned", { title: notice.title, agent: notice.agent })
            : t("notice.assignedScore", { title: notice.title, agent: notice.agent, score: notice.score.toFixed(2) }),
        body: null,
      };
    case "done":
      return { head: t("notice.done", { title: notice.title, agent: notice.agent }), body: notice.report || null };
    case "failed":
      return {
        head: t(notice.gave_up ? "notice.failed" : "notice.reassigning", {
          title: notice.title,
          agent: notice.agent,
          reason: notice.reason,
        }),
        body: null,
      };
    case "blocked":
      return {
        head: t("notice.blocked", { title: notice.title, agent: notice.agent, reason: notice.reason }),
        body: t("notice.blockedHint"),
      };
    case "assist_started":
      return { head: t("notice.assist", { title: notice.title, requester: notice.requester, helper: notice.helper }), body: null };
    case "no_answer":
      return { head: t("notice.noAnswer", { agent: notice.agent, error: notice.error }), body: null };
    case "no_model":
      return { head: t("notice.noModel"), body: null };
    default:
      return null; // a notice this UI does not know: the server's text says it
  }
}
