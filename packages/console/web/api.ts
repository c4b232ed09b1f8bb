/** The coordinator's `/api/v1` as the console uses it: same-origin, cookie session, JSON errors. */

/** A refused or failed request, with the server's one-line message (shown to the user as is, as text). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Who is logged in (`GET /api/v1/session`). */
export interface Identity {
  name: string;
  role: Role;
  team: string | null;
}

export type Role = "viewer" | "member" | "admin";

/** Called on any 401: the session is gone, so the app shows the login page. */
let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(handler: () => void): void {
  onUnauthenticated = handler;
}

async function errorOf(response: Response): Promise<ApiError> {
  let code = "unknown";
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // Not JSON (a proxy's page): the status line says enough.
  }
  return new ApiError(response.status, code, message);
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  // The server wants this on cookie-authenticated state changes: a cross-site form cannot set it.
  if (method !== "GET") headers["X-PanCode-CSRF"] = "1";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers,
    credentials: "same-origin",
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (response.ok) return response;
  const error = await errorOf(response);
  if (response.status === 401 && path !== "/session") onUnauthenticated();
  throw error;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await send("GET", path)).json()) as T;
}

export async function getText(path: string): Promise<string> {
  return (await send("GET", path)).text();
}

export async function postJson<T>(path: string, body: unknown = {}): Promise<T> {
  return (await (await send("POST", path, body)).json()) as T;
}

export async function putJson<T>(path: string, body: unknown): Promise<T> {
  return (await (await send("PUT", path, body)).json()) as T;
}

export async function deleteSession(): Promise<void> {
  await send("DELETE", "/session");
}

/** A query string of the non-empty values, with its leading `?` (or nothing). */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2 };

/** True when `role` may do what needs `needed` (the coordinator's role table is the judge; this only hides). */
export function allows(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/** The refusal the server would give, shown beside an action the role may not take. */
export function needsRole(action: string, needed: Role, who: Identity): string {
  return `${action} needs role ${needed}; you are ${who.name} (${who.role})`;
}
