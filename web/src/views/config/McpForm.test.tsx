import { act, fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { McpServerSpec } from "../../protocol.gen";
import { McpForm } from "./McpForm";
import { formOf, specOf } from "./mcpSpec";

async function submit(): Promise<void> {
  await act(async () => {
    fireEvent.submit(screen.getByRole("form"));
  });
}

const change = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe("MCP server form", () => {
  it("builds a stdio spec with args, cwd, secret and literal variables, and risk overrides", async () => {
    const onSave = vi.fn(async (_spec: McpServerSpec) => {});
    render(<McpForm spec={null} secrets={["GH_TOKEN", "OTHER"]} onSave={onSave} onCancel={() => {}} />);
    change("Name", "github");
    change("Command", "node");
    change("Arguments", "node_modules/x/dist/index.js\n--read-only\n");
    change("Working directory", "tools");
    fireEvent.click(screen.getByRole("button", { name: "Add Variable" }));
    change("Variable 1: name", "GITHUB_TOKEN");
    change("Variable 1: source", "secret");
    change("Variable 1: secret", "GH_TOKEN");
    fireEvent.click(screen.getByRole("button", { name: "Add Variable" }));
    change("Variable 2: name", "MODE");
    change("Variable 2: value", "ro");
    fireEvent.click(screen.getByRole("button", { name: "Add override" }));
    change("Tool of override 1", "delete_repo");
    fireEvent.click(screen.getByRole("button", { name: "Add override" }));
    change("Tool of override 2", "search");
    change("Risk of override 2", "low");
    await submit();
    expect(onSave).toHaveBeenCalledWith({
      name: "github",
      enabled: true,
      transport: {
        type: "stdio",
        command: "node",
        args: ["node_modules/x/dist/index.js", "--read-only"],
        cwd: "tools",
        env: [
          { name: "GITHUB_TOKEN", secret: "GH_TOKEN" },
          { name: "MODE", value: "ro" },
        ],
      },
      tool_risk: { delete_repo: "high", search: "low" },
    });
  });

  it("builds an http spec with a header from a secret, disabled", async () => {
    const onSave = vi.fn(async (_spec: McpServerSpec) => {});
    render(<McpForm spec={null} secrets={["API_AUTH"]} onSave={onSave} onCancel={() => {}} />);
    change("Name", "remote");
    fireEvent.click(screen.getByRole("radio", { name: "Remote (HTTP)" }));
    expect(screen.queryByLabelText("Command")).toBeNull();
    change("URL", " https://mcp.example.com/mcp ");
    fireEvent.click(screen.getByRole("button", { name: "Add Header" }));
    change("Header 1: name", "Authorization");
    change("Header 1: source", "secret");
    change("Header 1: secret", "API_AUTH");
    fireEvent.click(screen.getByRole("switch", { name: "Enabled" }));
    await submit();
    expect(onSave).toHaveBeenCalledWith({
      name: "remote",
      enabled: false,
      transport: { type: "http", url: "https://mcp.example.com/mcp", headers: [{ name: "Authorization", secret: "API_AUTH" }] },
      tool_risk: {},
    });
  });

  it("shows the server's refusal and keeps the form", async () => {
    const onSave = vi.fn(async () => {
      throw new Error('secret "NOPE" is not set; set it first with secret.set');
    });
    render(<McpForm spec={null} secrets={[]} onSave={onSave} onCancel={() => {}} />);
    change("Name", "x");
    await submit();
    expect(screen.getByRole("alert").textContent).toContain('secret "NOPE" is not set');
    expect((screen.getByLabelText("Name") as HTMLInputElement).value).toBe("x");
  });

  it("edits an existing definition without changing it", () => {
    const spec: McpServerSpec = {
      name: "gh",
      enabled: true,
      tool_risk: { x: "high" },
      transport: { type: "stdio", command: "/bin/x", args: ["a", "b c"], cwd: null, env: [{ name: "A", secret: "GH" }, { name: "B", value: "v" }] },
    };
    expect(specOf(formOf(spec))).toEqual(spec);
  });
});
