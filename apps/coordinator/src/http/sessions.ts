import { randomBytes } from "node:crypto";

/** Longest a console session lives, whatever its token's expiry: a browser left open overnight logs in again. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** Sessions kept at most; the oldest go first (each login adds one, logins need a valid token). */
const MAX_SESSIONS = 10_000;

/** What a session stands for: the token it was opened with (roles are checked on every call, as for the CLI). */
export interface Session {
  token: string;
  expiresAt: number;
}

/**
 * Console sessions of this coordinator, in memory: a random id (the cookie) for a token. A restart logs everyone
 * out, which a browser survives by logging in again. The token is checked on every request, so a revoked token's
 * session stops working at once.
 */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Opens a session for `token` until `tokenExpiresAt` (ms; 0 = never) or 12 h, whichever is sooner. */
  open(token: string, tokenExpiresAt: number): { id: string; session: Session } {
    const cap = this.now() + SESSION_TTL_MS;
    const session = { token, expiresAt: tokenExpiresAt > 0 ? Math.min(cap, tokenExpiresAt) : cap };
    const id = randomBytes(32).toString("base64url");
    if (this.#sessions.size >= MAX_SESSIONS) this.#evictOldest();
    this.#sessions.set(id, session);
    return { id, session };
  }

  /** The live session with this id, if any (an expired one is forgotten). */
  get(id: string): Session | undefined {
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session;
  }

  close(id: string): void {
    this.#sessions.delete(id);
  }

  #evictOldest(): void {
    const oldest = this.#sessions.keys().next();
    if (!oldest.done) this.#sessions.delete(oldest.value);
  }
}
