// The user's own commands, offered after `/` in the composer: read once (command.list),
// then kept current by `command_registered` / `command_unregistered` events.

import { useEffect } from "react";
import type { UserCommand } from "../../protocol.gen";
import { useStore } from "../../lib/store";
import { api, report } from "../../lib/sync";

let reading = false;

async function readCommands(): Promise<void> {
  if (reading) return;
  reading = true;
  try {
    const r = await api().call("command.list");
    const commands: Record<string, UserCommand> = {};
    // Built-ins duplicate what the composer does itself (post, /task); prompts make sense in chat.
    for (const c of r.commands) if (!c.builtin && c.action) commands[c.id] = { id: c.id, title: c.title, action: c.action };
    useStore.setState({ commands });
  } catch (e) {
    report(e);
  } finally {
    reading = false;
  }
}

/** The user's commands (empty until read). */
export function useUserCommands(): Record<string, UserCommand> {
  const commands = useStore((s) => s.commands);
  const synced = useStore((s) => s.connection === "open" && s.liveFrom > 0);
  useEffect(() => {
    if (synced && commands === null) void readCommands();
  }, [synced, commands]);
  return commands ?? EMPTY;
}

const EMPTY: Record<string, UserCommand> = {};
