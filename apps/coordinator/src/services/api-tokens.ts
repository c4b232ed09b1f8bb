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
 * Client tokens, one per person. Every call is looked up by hash in the database (no cache), so a revocation by any
 * coordinator replica takes effect on the very next call everywhere. Calls with one token that arrive together share
 * one lookup in flight (a burst of dispatches from one CLI or script costs one round trip, not one each); a call that
 * starts after the lookup answered makes its own.
 */
export class ApiTokens {
  private readonly touched = new Map<string, number>();
  private readonly findByHash = singleFlight(
    (hash: string) => this.deps.db.findApiTokenByHash(hash),
    (hash) => hash,
  );

  constructor(private readonly deps: { db: TokenStore; logger: Logger; now?: () => Date }) {}

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
    const row = await this.findByHash(hashToken(token));
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

  revoke(name: string): Promise<ApiTokenRow> {
    return this.deps.db.revokeApiToken(name, this.now());
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
