import { and, desc, eq, gt, lte, notInArray } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import { consoleSessions } from "../schema/index.js";

/** A console session as stored: hashes and the sealed token, never the cookie's id or the token itself. */
export type ConsoleSessionRow = typeof consoleSessions.$inferSelect;

export type NewConsoleSession = Pick<ConsoleSessionRow, "idHash" | "tokenSealed" | "tokenHash" | "expiresAt">;

/**
 * Most live sessions one token holds; a login beyond it ends that token's oldest. Logins need a valid token, so this
 * bounds what one token holder can store, not who may log in.
 */
export const MAX_SESSIONS_PER_TOKEN = 50;

/** Stores a new session, forgets every expired one, and ends the token's oldest beyond {@link MAX_SESSIONS_PER_TOKEN}. */
export async function openConsoleSession(db: DbHandle, row: NewConsoleSession, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(consoleSessions).where(lte(consoleSessions.expiresAt, now));
    await tx.insert(consoleSessions).values(row);
    const newest = tx
      .select({ idHash: consoleSessions.idHash })
      .from(consoleSessions)
      .where(eq(consoleSessions.tokenHash, row.tokenHash))
      .orderBy(desc(consoleSessions.createdAt), desc(consoleSessions.idHash))
      .limit(MAX_SESSIONS_PER_TOKEN);
    await tx
      .delete(consoleSessions)
      .where(and(eq(consoleSessions.tokenHash, row.tokenHash), notInArray(consoleSessions.idHash, newest)));
  });
}

/** The session with this id hash while it lives (`expiresAt` after `now`). */
export async function findConsoleSession(
  db: DbHandle,
  idHash: string,
  now: Date,
): Promise<ConsoleSessionRow | undefined> {
  const [row] = await db
    .select()
    .from(consoleSessions)
    .where(and(eq(consoleSessions.idHash, idHash), gt(consoleSessions.expiresAt, now)));
  return row;
}

/** Ends a session (logout); nothing happens when it is already gone. */
export async function closeConsoleSession(db: DbHandle, idHash: string): Promise<void> {
  await db.delete(consoleSessions).where(eq(consoleSessions.idHash, idHash));
}
