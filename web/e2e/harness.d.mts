// Types of harness.mjs for the TypeScript tests.
import type { Browser, Page } from "playwright-core";

export const ARRANGER_BIN: string;
export const FAKE_LLM_BIN: string;
export const PASSWORD: string;
export const CHROMIUM_ARGS: string[];
export interface Stack {
  url: string;
  dataDir: string;
  llmUrl: string;
  users: Record<string, string>;
  stop: () => Promise<void>;
}
export function startStack(opts?: {
  users?: Record<string, boolean>;
  scenario?: string;
  extraEnv?: Record<string, string>;
  /** false: no language model (no fake LLM, no OPENAI_* / ARRANGER_MODEL); posts wake no agent. */
  llm?: boolean;
}): Promise<Stack>;
export function startSingle(): Promise<{
  startUrl: string;
  url: string;
  token: string;
  workspace: string;
  stop: () => Promise<void>;
}>;
export function launchBrowser(): Promise<Browser>;
export function signIn(
  browser: Browser,
  url: string,
  name: string,
  opts?: { path?: string; viewport?: { width: number; height: number } },
): Promise<Page>;
export function rpc<T = unknown>(page: Page, method: string, params?: object): Promise<T>;
