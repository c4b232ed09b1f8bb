import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import { batches, chains } from "../schema/index.js";

/** A batch or a chain: the groups one coordinator replica schedules at a time. */
export type GroupKind = "batch" | "chain";

/**
 * Takes or renews the scheduling lease of a running group for `owner`: succeeds when nobody holds it, `owner`
 * already does, or the holder's lease expired (it died or lost the database). One conditional update, so of two
 * replicas asking at once exactly one gets it. False when another replica holds a live lease or the group ended.
 */
export async function leaseGroup(
  db: DbHandle,
  kind: GroupKind,
  id: string,
  owner: string,
  leaseMs: number,
): Promise<boolean> {
  const table = kind === "batch" ? batches : chains;
  const taken = await db
    .update(table)
    .set({ owner, ownerLeaseExpiresAt: sql`now() + ${`${leaseMs} milliseconds`}::interval` })
    .where(
      and(
        eq(table.id, id),
        eq(table.status, "running"),
        or(
          eq(table.owner, owner),
          eq(table.owner, ""),
          isNull(table.ownerLeaseExpiresAt),
          lt(table.ownerLeaseExpiresAt, sql`now()`),
        ),
      ),
    )
    .returning({ id: table.id });
  return taken.length > 0;
}

/** Gives up `owner`'s lease of a group (a replica shutting down cleanly), so another takes it over at once. */
export async function releaseGroups(db: DbHandle, owner: string): Promise<void> {
  for (const table of [batches, chains]) {
    await db.update(table).set({ owner: "", ownerLeaseExpiresAt: null }).where(eq(table.owner, owner));
  }
}
