// What the Providers section sends with config.set: the whole provider list, keys only
// when the user typed one (absent keeps the stored key, "" removes it).

import { useStore } from "../../lib/store";
import { api } from "../../lib/sync";
import type { ConfigSetParams, ProviderEntry, ProviderParam, UserConfig } from "../../protocol.gen";

/** Sends config.set and keeps the store's copy (the config_updated event says the same). */
export async function setConfig(params: ConfigSetParams): Promise<UserConfig> {
  const c = await api().call("config.set", params);
  useStore.setState({ config: c });
  return c;
}

/** A provider being added or edited; `api_key` is what the user typed (empty: keep). */
export interface ProviderDraft {
  name: string;
  kind: string;
  base_url: string;
  model: string;
  api_key: string;
}

/** A stored provider as a parameter that keeps its key. */
function keep(p: ProviderEntry): ProviderParam {
  return { name: p.name, kind: p.kind, model: p.model, base_url: p.base_url ?? null };
}

/** The draft of an existing provider (or of a new one), never with a key. */
export function draftOf(p: ProviderEntry | null): ProviderDraft {
  return p
    ? { name: p.name, kind: p.kind, base_url: p.base_url ?? "", model: p.model, api_key: "" }
    : { name: "", kind: "openai", base_url: "", model: "", api_key: "" };
}

/** config.set parameters saving `draft` in place of the provider named `original` (null: a new one). */
export function saveProvider(config: UserConfig, original: string | null, draft: ProviderDraft): ConfigSetParams {
  const edited: ProviderParam = {
    name: draft.name.trim(),
    kind: draft.kind,
    model: draft.model.trim(),
    base_url: draft.base_url.trim() || null,
  };
  if (draft.api_key !== "") edited.api_key = draft.api_key;
  const providers = config.providers.map((p) => (p.name === original ? edited : keep(p)));
  if (original === null || !config.providers.some((p) => p.name === original)) providers.push(edited);
  const out: ConfigSetParams = { providers };
  // Renaming the default provider keeps it the default.
  if (original !== null && config.default_provider === original && edited.name !== original) {
    out.default_provider = edited.name;
  }
  return out;
}

/** config.set parameters removing the provider `name` (and no longer defaulting to it). */
export function removeProvider(config: UserConfig, name: string): ConfigSetParams {
  const out: ConfigSetParams = { providers: config.providers.filter((p) => p.name !== name).map(keep) };
  if (config.default_provider === name) out.default_provider = "";
  return out;
}

/** config.set parameters removing the stored key of the provider `name`. */
export function removeKey(config: UserConfig, name: string): ConfigSetParams {
  return { providers: config.providers.map((p) => (p.name === name ? { ...keep(p), api_key: "" } : keep(p))) };
}
