import { describe, expect, it } from "vitest";
import { diffLines, splitLines } from "./linediff";

/** Length of the longest common subsequence, by dynamic programming. */
function lcs(a: string[], b: string[]): number {
  const dp = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) dp[i][j] = a[i - 1] === b[j - 1] ? dp[i - 1][j - 1] + 1 : Math.max(dp[i - 1][j], dp[i][j - 1]);
  return dp[a.length][b.length];
}

describe("diffLines", () => {
  it("marks a changed line as removed and added, with line numbers", () => {
    expect(diffLines("a\nb\nc\n", "a\nx\nc\n")).toEqual([
      { kind: "same", text: "a", oldNo: 1, newNo: 1 },
      { kind: "del", text: "b", oldNo: 2 },
      { kind: "add", text: "x", newNo: 2 },
      { kind: "same", text: "c", oldNo: 3, newNo: 3 },
    ]);
  });

  it("shows a new file as all additions", () => {
    expect(diffLines("", "x\ny\n").map((l) => l.kind)).toEqual(["add", "add"]);
  });

  it("rebuilds both texts and keeps a longest common subsequence (random inputs)", () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let t = 0; t < 500; t++) {
      const make = () => Array.from({ length: Math.floor(rnd() * 14) }, () => "abcd"[Math.floor(rnd() * 4)]);
      const a = make();
      const b = make();
      const d = diffLines(a.join("\n"), b.join("\n"));
      expect(d.filter((l) => l.kind !== "add").map((l) => l.text)).toEqual(splitLines(a.join("\n")));
      expect(d.filter((l) => l.kind !== "del").map((l) => l.text)).toEqual(splitLines(b.join("\n")));
      expect(d.filter((l) => l.kind === "same").length).toBe(lcs(splitLines(a.join("\n")), splitLines(b.join("\n"))));
    }
  });
});
