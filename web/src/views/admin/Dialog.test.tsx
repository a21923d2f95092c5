import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
import { Dialog } from "./Dialog";

describe("Dialog", () => {
  it("is a labelled modal that takes focus, keeps Tab inside, closes on Escape and gives focus back", () => {
    const opener = document.createElement("button");
    document.body.appendChild(opener);
    opener.focus();
    const onClose = vi.fn();
    const { unmount } = render(
      <Dialog title="Reset the password" onClose={onClose}>
        <input aria-label="first" />
        <button type="button" data-autofocus>
          middle
        </button>
        <button type="button">last</button>
      </Dialog>,
    );
    const dialog = screen.getByRole("dialog", { name: "Reset the password" });
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    expect(document.activeElement).toBe(screen.getByText("middle"));

    screen.getByText("last").focus();
    fireEvent.keyDown(document.activeElement ?? document, { key: "Tab" });
    expect(document.activeElement).toBe(screen.getByLabelText("first"));
    fireEvent.keyDown(document.activeElement ?? document, { key: "Tab", shiftKey: true });
    expect(document.activeElement).toBe(screen.getByText("last"));

    fireEvent.keyDown(document.activeElement ?? document, { key: "Escape" });
    expect(onClose).toHaveBeenCalledTimes(1);
    unmount();
    expect(document.activeElement).toBe(opener);
    opener.remove();
  });
});
