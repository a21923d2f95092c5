// Places the context engine points at: workspace files (with lines) and memory
// (`task:<id>`, `message:<id>`), and how the UI opens them.

import { navigate } from "../../lib/router";
import { fileUrl } from "../files/paths";

/** An earlier task or Blackboard message, as the index names it. */
export interface MemoryRef {
  kind: "task" | "message";
  id: string;
}

/** The memory a path names (`task:<id>`, `message:<id>`), or null for a workspace file. */
export function memoryOf(path: string): MemoryRef | null {
  const m = /^(task|message):(.+)$/.exec(path);
  return m ? { kind: m[1] as MemoryRef["kind"], id: m[2] } : null;
}

/** ":12" or ":12–20" (nothing without a start line). */
export function lineSuffix(start?: number | null, end?: number | null): string {
  if (start == null) return "";
  return end != null && end !== start ? `:${start}–${end}` : `:${start}`;
}

/** Opens a workspace file in the Files view, its lines marked when given (#L12-L20). */
export function openFile(path: string, start?: number | null, end?: number | null): void {
  const hash = start ? (end && end > start ? `#L${start}-L${end}` : `#L${start}`) : "";
  navigate(`${fileUrl(path)}${hash}`);
}

/** Opens a task's view. */
export function openTask(id: string): void {
  navigate(`/tasks/${encodeURIComponent(id)}`);
}
