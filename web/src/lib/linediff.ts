// A line diff (Myers' O(ND) algorithm) for showing file changes. Common prefix and suffix
// are trimmed first; past MAX_EDITS differences the middle is shown as replaced whole.

/** One line of a diff: kept, removed from the old text or added in the new one. */
export interface DiffLine {
  kind: "same" | "del" | "add";
  text: string;
  /** 1-based line number in the old text (same, del). */
  oldNo?: number;
  /** 1-based line number in the new text (same, add). */
  newNo?: number;
}

const MAX_EDITS = 4000;

/** Splits text into lines; a final newline does not make an extra empty line. */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** The edit script turning a into b (Myers), or null past MAX_EDITS differences. */
function myers(a: string[], b: string[]): ("same" | "del" | "add")[] | null {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_EDITS);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  // trace[d] keeps V[-d..d] as it was before round d (O(D²) memory, D ≤ MAX_EDITS).
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice(offset - d, offset + d + 1));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, n, m);
    }
  }
  return null;
}

function backtrack(trace: Int32Array[], n: number, m: number): ("same" | "del" | "add")[] {
  const ops: ("same" | "del" | "add")[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d > 0; d--) {
    // V before round d, indexed by k + d.
    const v = trace[d];
    const at = (k: number) => v[k + d];
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push("same");
      x--;
      y--;
    }
    ops.push(x === prevX ? "add" : "del");
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    ops.push("same");
    x--;
    y--;
  }
  return ops.reverse();
}

/** The line diff of two texts, with line numbers. */
export function diffLines(oldText: string, newText: string): DiffLine[] {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const midA = a.slice(pre, a.length - suf);
  const midB = b.slice(pre, b.length - suf);
  const ops: ("same" | "del" | "add")[] = [
    ...Array<"same">(pre).fill("same"),
    ...(myers(midA, midB) ?? [...Array<"del">(midA.length).fill("del"), ...Array<"add">(midB.length).fill("add")]),
    ...Array<"same">(suf).fill("same"),
  ];
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  for (const op of ops) {
    if (op === "same") {
      out.push({ kind: "same", text: a[i], oldNo: i + 1, newNo: j + 1 });
      i++;
      j++;
    } else if (op === "del") {
      out.push({ kind: "del", text: a[i], oldNo: i + 1 });
      i++;
    } else {
      out.push({ kind: "add", text: b[j], newNo: j + 1 });
      j++;
    }
  }
  return out;
}
