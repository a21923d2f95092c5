import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { resetStore, useStore } from "../../lib/store";
import type { SecretInfo } from "../../protocol.gen";
import { useFakeApi, type FakeApi } from "../testing/fakeApi";
import { ConfigCenter } from "../ConfigCenter";

vi.mock("../../lib/sync", async () => (await import("../testing/fakeApi")).syncMock);

let fake: FakeApi;
let secrets: SecretInfo[];

beforeEach(() => {
  resetStore();
  useStore.setState({ connection: "open", me: { id: "u1", name: "alice", is_admin: true }, mode: "multi_user" });
  history.replaceState(null, "", "/config");
  secrets = [];
  fake = useFakeApi({
    "config.get": () => ({ providers: [], network: "allow" }),
    "secret.list": () => ({ secrets }),
    "secret.set": ({ name }) => {
      const info = { name, created_at: 1_700_000_000_000, updated_at: 1_700_000_000_000 };
      secrets = [...secrets.filter((s) => s.name !== name), info];
      return info;
    },
    "secret.delete": ({ name }) => {
      secrets = secrets.filter((s) => s.name !== name);
      return { deleted: true };
    },
  });
});

describe("config center", () => {
  it("shows the sections as tabs and moves between them with the arrows", () => {
    render(<ConfigCenter section={null} />);
    const tabs = within(screen.getByRole("tablist")).getAllByRole("tab");
    expect(tabs.map((x) => x.textContent)).toEqual(["Providers & models", "Team", "Risk policy", "MCP servers", "Secrets", "Usage & limits"]);
    expect(tabs[0].getAttribute("aria-selected")).toBe("true");
    expect(screen.getByRole("tabpanel", { name: "Providers & models" })).toBeTruthy();
    fireEvent.keyDown(tabs[0], { key: "ArrowLeft" });
    expect(location.pathname).toBe("/config/usage");
  });

  it("links admins of a multi-user server to the admin page, and nobody else", () => {
    const { unmount } = render(<ConfigCenter section="providers" />);
    expect(screen.getByRole("link", { name: /Users, tokens & quotas/ }).getAttribute("href")).toBe("/admin");
    unmount();
    useStore.setState({ me: { id: "u2", name: "bob", is_admin: false } });
    render(<ConfigCenter section="providers" />);
    expect(screen.queryByRole("link", { name: /Users, tokens & quotas/ })).toBeNull();
  });
});

describe("secrets", () => {
  it("sets a secret without ever showing its value, and deletes it after confirming", async () => {
    render(<ConfigCenter section="secrets" />);
    await screen.findByText("No secrets yet.");
    const value = screen.getByLabelText("Value") as HTMLInputElement;
    expect(value.type).toBe("password");
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "GH_TOKEN" } });
    fireEvent.change(value, { target: { value: "ghp_supersecret" } });
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Save secret" }));
    });
    expect(fake.paramsOf("secret.set")).toEqual([{ name: "GH_TOKEN", value: "ghp_supersecret" }]);
    const table = screen.getByRole("table", { name: "Your secrets" });
    expect(within(table).getByText("GH_TOKEN")).toBeTruthy();
    expect(value.value).toBe("");
    expect(document.body.innerHTML).not.toContain("ghp_supersecret");

    fireEvent.click(screen.getByRole("button", { name: "Delete secret GH_TOKEN?" }));
    fireEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(screen.queryByRole("table")).toBeNull());
    expect(fake.paramsOf("secret.delete")).toEqual([{ name: "GH_TOKEN" }]);
  });

  it("closes the confirmation with Escape", async () => {
    secrets = [{ name: "A", created_at: 1, updated_at: 1 }];
    render(<ConfigCenter section="secrets" />);
    fireEvent.click(await screen.findByRole("button", { name: "Delete secret A?" }));
    fireEvent.keyDown(screen.getByRole("alertdialog"), { key: "Escape" });
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(fake.paramsOf("secret.delete")).toEqual([]);
  });
});
