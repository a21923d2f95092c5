import { describe, expect, it } from "vitest";
import { linesOfHash } from "./Viewer";

describe("linesOfHash", () => {
  it("reads #L12 and #L12-L20 (and nothing else)", () => {
    expect(linesOfHash("#L12")).toEqual({ start: 12, end: 12 });
    expect(linesOfHash("#L12-L20")).toEqual({ start: 12, end: 20 });
    expect(linesOfHash("#L12-20")).toEqual({ start: 12, end: 20 });
    expect(linesOfHash("#L20-L12")).toEqual({ start: 20, end: 20 });
    expect(linesOfHash("#L0")).toBeNull();
    expect(linesOfHash("")).toBeNull();
    expect(linesOfHash("#top")).toBeNull();
  });
});
