import { fireEvent, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import { setLang } from "../i18n";
import { DiffView } from "./DiffView";

const lines = (n: number, change?: number) => Array.from({ length: n }, (_, i) => (i === change ? `changed ${i}` : `line ${i}`)).join("\n");

describe("DiffView", () => {
  beforeEach(() => setLang("en"));

  it("marks removed and added lines for eyes and screen readers, with counts", () => {
    render(<DiffView oldText={"a\nb\nc\n"} newText={"a\nB\nc\nd\n"} path="f.txt" />);
    const table = screen.getByRole("table", { name: "Changes to f.txt" });
    expect(Array.from(table.querySelectorAll("tr")).map((r) => r.getAttribute("data-kind"))).toEqual(["same", "del", "add", "same", "add"]);
    expect(screen.getAllByText("Added:")).toHaveLength(2);
    expect(screen.getAllByText("Removed:")).toHaveLength(1);
    expect(screen.getByText("2 added, 1 removed")).toBeTruthy();
  });

  it("folds long unchanged stretches and opens them on click", () => {
    render(<DiffView oldText={lines(40)} newText={lines(40, 20)} path="big.txt" />);
    // 3 lines of context around the change; the rest folded in two places.
    expect(screen.getAllByRole("row").filter((r) => r.getAttribute("data-kind") === "same")).toHaveLength(6);
    const folds = screen.getAllByRole("button", { name: /Show \d+ unchanged lines/ });
    expect(folds.map((b) => b.textContent)).toEqual(["⋯ Show 17 unchanged lines", "⋯ Show 16 unchanged lines"]);
    fireEvent.click(folds[0]);
    expect(screen.getAllByRole("row").filter((r) => r.getAttribute("data-kind") === "same")).toHaveLength(23);
    expect(screen.getByText("line 0")).toBeTruthy();
  });

  it("says when nothing changed", () => {
    render(<DiffView oldText="same\n" newText="same\n" />);
    expect(screen.getByRole("row").getAttribute("data-kind")).toBe("same");
    render(<DiffView oldText="" newText="" />);
    expect(screen.getByText("No changes.")).toBeTruthy();
  });
});
