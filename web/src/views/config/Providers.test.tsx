import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { resetStore, useStore } from "../../lib/store";
import type { ConfigSetParams, UserConfig } from "../../protocol.gen";
import { useFakeApi, type FakeApi } from "../testing/fakeApi";
import { Providers } from "./Providers";

vi.mock("../../lib/sync", async () => (await import("../testing/fakeApi")).syncMock);

const KEY = "sk-very-secret-1234";
let config: UserConfig;
let fake: FakeApi;

beforeEach(() => {
  resetStore();
  useStore.setState({ connection: "open" });
  config = {
    default_provider: "work",
    network: "allow",
    providers: [{ name: "work", kind: "openai", model: "gpt-4o", base_url: "http://llm.local/v1", has_key: true }],
  };
  fake = useFakeApi({
    "config.get": () => config,
    "config.set": (p: ConfigSetParams) => {
      config = {
        ...config,
        ...(p.default_provider !== undefined ? { default_provider: p.default_provider || null } : {}),
        ...(p.network ? { network: p.network } : {}),
        ...(p.providers
          ? {
              providers: p.providers.map((x) => ({
                name: x.name,
                kind: x.kind,
                model: x.model,
                base_url: x.base_url,
                has_key: x.api_key === undefined ? (config.providers.find((o) => o.name === x.name)?.has_key ?? false) : x.api_key !== "",
              })),
            }
          : {}),
      };
      return config;
    },
  });
});

const keyField = () => screen.getByLabelText("API key") as HTMLInputElement;

describe("Providers", () => {
  it("shows whether a key is set, never a key", async () => {
    render(<Providers />);
    const row = await screen.findByRole("listitem", { name: "work" });
    expect(within(row).getByText("Key set")).toBeTruthy();
    fireEvent.click(within(row).getByRole("button", { name: "Edit provider work" }));
    expect(keyField().type).toBe("password");
    expect(keyField().value).toBe("");
  });

  it("keeps the stored key when the key field is left empty", async () => {
    render(<Providers />);
    fireEvent.click(await screen.findByRole("button", { name: "Edit provider work" }));
    fireEvent.change(screen.getByLabelText("Model"), { target: { value: "gpt-4.1" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(fake.paramsOf("config.set")).toHaveLength(1));
    const sent = fake.paramsOf("config.set")[0].providers?.[0];
    expect(sent).toMatchObject({ name: "work", model: "gpt-4.1" });
    expect(sent && "api_key" in sent).toBe(false);
  });

  it("sends a typed key once, then forgets it", async () => {
    render(<Providers />);
    fireEvent.click(await screen.findByRole("button", { name: "Add provider" }));
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "claude" } });
    fireEvent.change(screen.getByLabelText("Kind"), { target: { value: "anthropic" } });
    fireEvent.change(screen.getByLabelText("Model"), { target: { value: "claude-sonnet" } });
    fireEvent.change(keyField(), { target: { value: KEY } });
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Add provider" }));
    });
    const sent = fake.paramsOf("config.set")[0].providers ?? [];
    expect(sent.find((p) => p.name === "claude")?.api_key).toBe(KEY);
    // The other provider keeps its key (no api_key at all).
    expect("api_key" in (sent.find((p) => p.name === "work") ?? {})).toBe(false);
    await screen.findByRole("listitem", { name: "claude" });
    expect(document.body.innerHTML).not.toContain(KEY);
    expect(screen.queryByLabelText("API key")).toBeNull();
  });

  it("removes a key with an explicit empty key, after confirming", async () => {
    render(<Providers />);
    fireEvent.click(await screen.findByRole("button", { name: "Remove the key of work?" }));
    const dialog = screen.getByRole("alertdialog");
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    fireEvent.click(within(dialog).getByRole("button", { name: "Remove key" }));
    await waitFor(() => expect(screen.queryByRole("alertdialog")).toBeNull());
    expect(fake.paramsOf("config.set")[0].providers?.[0].api_key).toBe("");
    expect(within(screen.getByRole("listitem", { name: "work" })).getByText("No key")).toBeTruthy();
  });

  it("shows the server's refusal inside the form", async () => {
    fake.impl["config.set"] = () => {
      throw new Error('provider name "Bad Name": use 1 to 32 of a-z, 0-9, \'-\', \'_\'');
    };
    render(<Providers />);
    fireEvent.click(await screen.findByRole("button", { name: "Add provider" }));
    const form = screen.getByRole("form", { name: "New provider" });
    fireEvent.change(within(form).getByLabelText("Name"), { target: { value: "Bad Name" } });
    fireEvent.change(within(form).getByLabelText("Model"), { target: { value: "m" } });
    fireEvent.submit(form);
    expect((await within(form).findByRole("alert")).textContent).toContain("use 1 to 32");
  });

  it("drops the default when its provider is removed", async () => {
    render(<Providers />);
    fireEvent.click(await screen.findByRole("button", { name: "Remove provider work?" }));
    fireEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Remove" }));
    await waitFor(() => expect(fake.paramsOf("config.set")).toHaveLength(1));
    expect(fake.paramsOf("config.set")[0]).toEqual({ providers: [], default_provider: "" });
  });

  it("saves network access at once", async () => {
    render(<Providers />);
    fireEvent.click(await screen.findByRole("radio", { name: /Deny/ }));
    await waitFor(() => expect(fake.paramsOf("config.set")).toEqual([{ network: "deny" }]));
  });
});
