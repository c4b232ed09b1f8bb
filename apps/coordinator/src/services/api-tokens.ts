import { createHash, randomBytes } from "node:crypto";
import { PanCodeError } from "@pancode/core";
import type { ApiRole, ApiTokenRow, Database } from "@pancode/db";
import type { Logger } from "@pancode/telemetry";
import { singleFlight } from "./admission/single-flight.js";

export type { ApiRole, ApiTokenRow };

/** The token store as person tokens use it. */
export type TokenStore = Pick<
  Database,
  | "ensureBootstrapToken"
  | "findApiTokenByHash"
  | "createApiToken"
  | "listApiTokens"
  | "revokeApiToken"
  | "touchApiToken"
>;

/** Prefix of every person's token, so a leaked one is found by grep and secret scanners. */
const API_TOKEN_PREFIX = "pct_";
/** Name of the admin token `pancode up` and a fresh coordinator register from `client.token` / PANCODE_TOKEN. */
const BOOTSTRAP_TOKEN_NAME = "admin";
/** Token names: what audit entries and `runs --user` show. */
const NAME_PATTERN = /^[a-z0-9][a-z0-9._@-]{0,63}$/i;
/** last_used_at is written at most this often per token, so busy clients do not write on every call. */
const TOUCH_EVERY_MS = 60_000;
/** PANCODE_TOKEN_CACHE_MS's default: how long a valid token is trusted without a look-up. */
export const DEFAULT_TOKEN_CACHE_MS = 1_000;
/** Most tokens trusted at once; beyond it the cache starts over (it only ever holds valid tokens, so this is slack). */
const MAX_CACHED_TOKENS = 10_000;

/** An authenticated person. */
export interface UserIdentity {
  name: string;
  role: ApiRole;
  team: string | null;
  expiresAt: Date | null;
}

/** sha256 hex of a token: the only form a token is stored or compared in. */
function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A fresh token: the prefix + 32 random bytes, base64url. */
function mintApiToken(): string {
  return `${API_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
}

/** INVALID_ARGUMENT unless `name` is a usable token or team name. */
export function checkName(what: "token" | "team", name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `${what} name "${name}" is not valid; use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit`,
    );
  }
}

const ROLES: readonly string[] = ["admin", "member", "viewer"];

/**
 * Client tokens, one per person, looked up by hash in the database. A token found valid is trusted for `cacheMs`
 * (PANCODE_TOKEN_CACHE_MS, 1 s) before it is looked up again, so a busy client costs one look-up a second instead of
 * one per call; a revocation by another coordinator replica therefore takes effect within `cacheMs`, one on this
 * replica at once, and expiry is checked against the clock on every call. Unknown and revoked tokens are never
 * cached (a guessed token costs a look-up every time, as before). Calls with one token that arrive together share one
 * look-up in flight.
 */
export class ApiTokens {
  private readonly touched = new Map<string, number>();
  /** Valid token rows by hash, each with the time (ms) it must be looked up again. */
  private readonly trusted = new Map<string, { row: ApiTokenRow; until: number }>();
  private readonly findByHash = singleFlight(
    (hash: string) => this.deps.db.findApiTokenByHash(hash),
    (hash) => hash,
  );
  private readonly cacheMs: number;
  /** Bumped by every revocation here: a look-up that started before one is not trusted afterwards. */
  private revocations = 0;

  constructor(private readonly deps: { db: TokenStore; logger: Logger; now?: () => Date; cacheMs?: number }) {
    this.cacheMs = deps.cacheMs ?? DEFAULT_TOKEN_CACHE_MS;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Registers `token` (client.token or PANCODE_TOKEN) as the bootstrap admin. */
  async bootstrap(token: string): Promise<void> {
    await this.deps.db.ensureBootstrapToken(BOOTSTRAP_TOKEN_NAME, hashToken(token));
  }

  /** The person the token belongs to; UNAUTHENTICATED for an unknown, revoked or expired token. */
  async verify(token: string): Promise<UserIdentity> {
    if (!token) throw new PanCodeError("UNAUTHENTICATED", "missing client bearer token");
    const row = await this.lookUp(hashToken(token));
    if (!row) throw new PanCodeError("UNAUTHENTICATED", "invalid client bearer token");
    if (row.revokedAt) {
      throw new PanCodeError(
        "UNAUTHENTICATED",
        `token "${row.name}" was revoked on ${row.revokedAt.toISOString()}; ask an admin for a new one`,
      );
    }
    const now = this.now();
    if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) {
      throw new PanCodeError(
        "UNAUTHENTICATED",
        `token "${row.name}" expired on ${row.expiresAt.toISOString()}; ask an admin for a new one (pancode tokens create)`,
      );
    }
    this.touch(row.name, now);
    return { name: row.name, role: row.role, team: row.team, expiresAt: row.expiresAt };
  }

  /** The token's row: the trusted copy while it is fresh, else from the database (trusted anew when not revoked). */
  private async lookUp(hash: string): Promise<ApiTokenRow | undefined> {
    const asked = this.now().getTime();
    const trusted = this.trusted.get(hash);
    if (trusted && asked < trusted.until) return trusted.row;
    const revocations = this.revocations;
    const row = await this.findByHash(hash);
    if (!row || row.revokedAt || this.cacheMs === 0 || revocations !== this.revocations) {
      this.trusted.delete(hash);
      return row;
    }
    if (this.trusted.size >= MAX_CACHED_TOKENS) this.trusted.clear();
    // From when it was asked, not answered: a slow look-up never stretches the bound.
    this.trusted.set(hash, { row, until: asked + this.cacheMs });
    return row;
  }

  /** Creates a token; the plain token is returned once and only its hash is kept. */
  async create(input: {
    name: string;
    role: string;
    team: string;
    expiresInSeconds: number;
  }): Promise<{ row: ApiTokenRow; token: string }> {
    checkName("token", input.name);
    if (!ROLES.includes(input.role)) {
      throw new PanCodeError("INVALID_ARGUMENT", `unknown role "${input.role}"; use one of: admin, member, viewer`);
    }
    if (input.team) checkName("team", input.team);
    if (!Number.isInteger(input.expiresInSeconds) || input.expiresInSeconds < 0) {
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `expiry must be a whole number of seconds >= 0, got ${input.expiresInSeconds}`,
      );
    }
    const token = mintApiToken();
    const row = await this.deps.db.createApiToken({
      name: input.name,
      role: input.role as ApiRole,
      team: input.team || null,
      tokenHash: hashToken(token),
      expiresAt: input.expiresInSeconds > 0 ? new Date(this.now().getTime() + input.expiresInSeconds * 1000) : null,
    });
    return { row, token };
  }

  list(): Promise<ApiTokenRow[]> {
    return this.deps.db.listApiTokens();
  }

  /** Revokes the token; this replica refuses it from the next call on (others within PANCODE_TOKEN_CACHE_MS). */
  async revoke(name: string): Promise<ApiTokenRow> {
    const row = await this.deps.db.revokeApiToken(name, this.now());
    this.revocations++;
    this.distrust(name);
    return row;
  }

  private distrust(name: string): void {
    for (const [hash, { row }] of this.trusted) if (row.name === name) this.trusted.delete(hash);
  }

  /** Best effort: a failed last_used_at write never fails the call it belongs to. */
  private touch(name: string, now: Date): void {
    const last = this.touched.get(name) ?? 0;
    if (now.getTime() - last < TOUCH_EVERY_MS) return;
    this.touched.set(name, now.getTime());
    this.deps.db.touchApiToken(name, now).catch((err: unknown) => {
      this.deps.logger.warn("could not record token use", { token: name, error: err as Error });
    });
  }
}
