// Sign-in: the single-user token from the start-up URL (then remembered), or the
// multi-user login cookie set by POST /api/v1/login.

const TOKEN_KEY = "arranger.token";

export interface Me {
  id: string;
  name: string;
  is_admin: boolean;
}

export type Mode = "single_user" | "multi_user";

export interface WhoAmI {
  mode: Mode;
  user: Me | null;
  error?: string;
}

/** Takes `?token=` off the address (so it is not kept in history) and remembers it. */
export function takeTokenFromUrl(): void {
  const url = new URL(location.href);
  const t = url.searchParams.get("token");
  if (t) {
    localStorage.setItem(TOKEN_KEY, t);
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
}

export function storedToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function forgetToken(): void {
  localStorage.removeItem(TOKEN_KEY);
}

function authHeaders(): Record<string, string> {
  const t = storedToken();
  return t ? { authorization: `Bearer ${t}` } : {};
}

export async function whoami(): Promise<WhoAmI> {
  const r = await fetch("/api/v1/whoami", { headers: authHeaders(), credentials: "same-origin" });
  const body = (await r.json().catch(() => ({}))) as Partial<WhoAmI> & { error?: string };
  if (r.ok) return { mode: body.mode ?? "single_user", user: body.user ?? null };
  if (r.status === 401) return { mode: body.mode ?? "multi_user", user: null, error: body.error };
  throw new Error(body.error ?? `the server answered ${r.status}`);
}

/** Multi-user sign-in; the server sets an HttpOnly cookie the WebSocket then carries. */
export async function login(username: string, password: string): Promise<Me> {
  const r = await fetch("/api/v1/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    credentials: "same-origin",
    body: JSON.stringify({ username, password }),
  });
  const body = (await r.json().catch(() => ({}))) as { user?: Me; error?: string };
  if (!r.ok || !body.user) throw new Error(body.error ?? `sign-in failed (${r.status})`);
  // The cookie carries the login; a stale single-user token must not shadow it.
  forgetToken();
  return body.user;
}

export async function logout(): Promise<void> {
  await fetch("/api/v1/logout", { method: "POST", headers: authHeaders(), credentials: "same-origin" }).catch(() => {});
  forgetToken();
}
