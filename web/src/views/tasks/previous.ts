// What a file held before each write_file run of a task, as far as the task's own runs
// tell (an earlier write_file, then edit_file replacements applied to it).

import type { ToolRun } from "../../protocol.gen";
import { argString, isObject } from "../../components/tools/format";

/** Run id → the file's previous content, for write_file runs whose previous content is known. */
export function previousContents(runs: ToolRun[]): Map<string, string> {
  const out = new Map<string, string>();
  const files = new Map<string, string>();
  const sorted = [...runs].sort((a, b) => a.started_at - b.started_at);
  for (const r of sorted) {
    const path = argString(r.args, "path");
    if (!path) continue;
    if (r.tool === "write_file") {
      const before = files.get(path);
      if (before !== undefined) out.set(r.id, before);
      const content = argString(r.args, "content");
      if (r.status === "ok" && content !== null) files.set(path, content);
    } else if (r.tool === "edit_file" && r.status === "ok") {
      const before = files.get(path);
      const oldText = argString(r.args, "old_text");
      const newText = argString(r.args, "new_text");
      if (before === undefined || oldText === null || newText === null) continue;
      const all = isObject(r.args) && r.args.replace_all === true;
      files.set(path, all ? before.split(oldText).join(newText) : before.replace(oldText, () => newText));
    }
  }
  return out;
}
