import { PanCodeError } from "@pancode/core";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import { apiTokens, teams } from "../schema/index.js";
import { isUniqueViolation } from "./db-errors.js";
import { preparedPer } from "./prepared.js";

/** The roles of the client API, weakest first. */
export const API_ROLES = ["viewer", "member", "admin"] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** A row of `api_tokens` (the token itself is never stored, only its sha256). */
export type ApiTokenRow = typeof apiTokens.$inferSelect;

/** Fields of a new token row. */
export interface NewApiToken {
  name: string;
  role: ApiRole;
  team: string | null;
  tokenHash: string;
  expiresAt: Date | null;
}

/**
 * Inserts a token row (and the team's row when it is new, so its spend is tracked from the start).
 * ALREADY_EXISTS when the name is taken.
 */
export async function createApiToken(db: DbHandle, row: NewApiToken): Promise<ApiTokenRow> {
  try {
    return await db.transaction(async (tx) => {
      if (row.team) await tx.insert(teams).values({ name: row.team }).onConflictDoNothing();
      const [inserted] = await tx.insert(apiTokens).values(row).returning();
      if (!inserted) throw new PanCodeError("INTERNAL", `insert of token ${row.name} returned no row`);
      return inserted;
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new PanCodeError(
        "ALREADY_EXISTS",
        `a token named "${row.name}" already exists; revoke it or pick another name`,
        { cause: err },
      );
    }
    throw err;
  }
}

/**
 * Makes `tokenHash` the credential of the admin named `name` (the bootstrap token of `pancode up`). A changed
 * hash replaces the old one and lifts a revocation (the operator configured a new token); the same hash keeps
 * whatever state the row is in, so a revoked bootstrap token stays revoked across restarts.
 */
export async function ensureBootstrapToken(db: DbHandle, name: string, tokenHash: string): Promise<ApiTokenRow> {
  const [row] = await db
    .insert(apiTokens)
    .values({ name, role: "admin", team: null, tokenHash, expiresAt: null })
    .onConflictDoUpdate({
      target: apiTokens.name,
      set: {
        tokenHash,
        role: sql`case when ${apiTokens.tokenHash} = excluded.token_hash then ${apiTokens.role} else 'admin' end`,
        revokedAt: sql`case when ${apiTokens.tokenHash} = excluded.token_hash then ${apiTokens.revokedAt} else null end`,
        expiresAt: sql`case when ${apiTokens.tokenHash} = excluded.token_hash then ${apiTokens.expiresAt} else null end`,
      },
    })
    .returning();
  if (!row) throw new PanCodeError("INTERNAL", "storing the bootstrap admin token returned no row");
  return row;
}

const apiTokenByHash = preparedPer((db) =>
  db
    .select()
    .from(apiTokens)
    .where(eq(apiTokens.tokenHash, sql.placeholder("tokenHash")))
    .prepare("pancode_api_token_by_hash"),
);

/** The token row with this hash (revoked and expired rows included: the caller says why it refuses). */
export async function findApiTokenByHash(db: DbHandle, tokenHash: string): Promise<ApiTokenRow | undefined> {
  const [row] = await apiTokenByHash(db).execute({ tokenHash });
  return row;
}

/** Records that the token was used now. */
export async function touchApiToken(db: DbHandle, name: string, at: Date): Promise<void> {
  await db.update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.name, name));
}

/** Every token row, by name. */
export async function listApiTokens(db: DbHandle): Promise<ApiTokenRow[]> {
  return db.select().from(apiTokens).orderBy(asc(apiTokens.name));
}

/** Revokes the token named `name` (idempotent); NOT_FOUND when there is none. */
export async function revokeApiToken(db: DbHandle, name: string, at: Date): Promise<ApiTokenRow> {
  const [revoked] = await db
    .update(apiTokens)
    .set({ revokedAt: at })
    .where(and(eq(apiTokens.name, name), isNull(apiTokens.revokedAt)))
    .returning();
  if (revoked) return revoked;
  const [existing] = await db.select().from(apiTokens).where(eq(apiTokens.name, name));
  if (!existing) throw new PanCodeError("NOT_FOUND", `no token named "${name}"; see \`pancode tokens list\``);
  return existing;
}
