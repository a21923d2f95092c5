// Fixtures for the tasks, tools and agent components' tests.

import type { Agent, Task, ToolRun } from "../protocol.gen";

/** A task with sensible defaults. */
export function makeTask(id: string, patch: Partial<Task> = {}): Task {
  return {
    id,
    session_id: "default",
    title: `Task ${id}`,
    description: "",
    status: "pending",
    priority: 3,
    difficulty: 3,
    context_refs: [],
    created_at: 1_700_000_000_000,
    updated_at: 1_700_000_000_000,
    ...patch,
  };
}

/** An agent with sensible defaults. */
export function makeAgent(id: string, name: string, patch: Partial<Agent> = {}): Agent {
  return {
    id,
    name,
    role: "worker",
    description: `${name} does things.`,
    capabilities: [],
    scenes: [],
    model: {},
    enabled: true,
    successes: 0,
    failures: 0,
    ...patch,
  };
}

/** A tool run with sensible defaults. */
export function makeRun(id: string, patch: Partial<ToolRun> = {}): ToolRun {
  return {
    id,
    call_id: `call-${id}`,
    tool: "run_command",
    args: { command: "ls" },
    output: "",
    status: "ok",
    started_at: 1_700_000_000_000,
    agent_id: "tester",
    task_id: "t1",
    risk: "low",
    reasons: [{ command: "ls", risk: "low", reason: "ls only reads" }],
    ...patch,
  };
}
