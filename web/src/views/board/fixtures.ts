// Test data for the Blackboard's component tests.

import type { Agent, Message, Task } from "../../protocol.gen";

/** A message; ids sort in creation order like the server's. */
export function msg(n: number, over: Partial<Message> = {}): Message {
  return {
    id: `m${String(n).padStart(6, "0")}`,
    session_id: "default",
    author: { kind: "user" },
    text: `message ${n}`,
    created_at: Date.UTC(2026, 0, 5, 10, 0, 0) + n * 1000,
    ...over,
  };
}

/** A team member. */
export function agent(id: string, name: string, role: Agent["role"] = "worker"): Agent {
  return {
    id,
    name,
    role,
    description: `${name} does things`,
    capabilities: [],
    scenes: [],
    model: {},
    enabled: true,
    successes: 0,
    failures: 0,
  };
}

/** A task. */
export function task(id: string, over: Partial<Task> = {}): Task {
  return {
    id,
    session_id: "default",
    title: `task ${id}`,
    description: "",
    status: "pending",
    priority: 3,
    difficulty: 3,
    context_refs: [],
    created_at: 0,
    updated_at: 0,
    ...over,
  };
}
