import { and, eq, isNull } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import type { WorkerIdentityRow } from "../rows.js";
import { workerIdentities } from "../schema/index.js";
import { appendAudit, type NewAuditEntry } from "./audit.js";

/** Outcome of {@link bindWorkerIdentity}: bound (first time or again), or why not, with the row that refused. */
export type BindResult =
  | { bound: true; firstTime: boolean }
  | { bound: false; reason: "other_key" | "revoked"; identity: WorkerIdentityRow };

/**
 * Binds `workerId` to `keyId` on its first registration, and on every registration with that key stores the new
 * session's hash. Refuses another key, and any key once the binding was revoked. Race-free with concurrent
 * registrations: the insert either wins or leaves the existing row to decide.
 */
export async function bindWorkerIdentity(
  db: DbHandle,
  binding: { workerId: string; keyId: string; sessionHash: string },
): Promise<BindResult> {
  const inserted = await db
    .insert(workerIdentities)
    .values(binding)
    .onConflictDoNothing({ target: workerIdentities.workerId })
    .returning({ workerId: workerIdentities.workerId });
  if (inserted.length > 0) return { bound: true, firstTime: true };
  const updated = await db
    .update(workerIdentities)
    .set({ sessionHash: binding.sessionHash })
    .where(
      and(
        eq(workerIdentities.workerId, binding.workerId),
        eq(workerIdentities.keyId, binding.keyId),
        isNull(workerIdentities.revokedAt),
      ),
    )
    .returning({ workerId: workerIdentities.workerId });
  if (updated.length > 0) return { bound: true, firstTime: false };
  const identity = await getWorkerIdentity(db, binding.workerId);
  // Deleted in between (a readmit): the next registration binds afresh.
  if (!identity) return bindWorkerIdentity(db, binding);
  return { bound: false, reason: identity.revokedAt ? "revoked" : "other_key", identity };
}

/** The binding of `workerId`, if it ever registered with a key. */
export async function getWorkerIdentity(db: DbHandle, workerId: string): Promise<WorkerIdentityRow | undefined> {
  const [row] = await db.select().from(workerIdentities).where(eq(workerIdentities.workerId, workerId));
  return row ? { ...row } : undefined;
}

/**
 * Deletes the binding of `workerId` so that it may join again with a new key; returns the binding it had, or
 * undefined when there was none. `audit` commits in the same transaction.
 */
export async function readmitWorker(
  db: DbHandle,
  workerId: string,
  audit: (previous: WorkerIdentityRow | undefined) => NewAuditEntry,
): Promise<WorkerIdentityRow | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx.delete(workerIdentities).where(eq(workerIdentities.workerId, workerId)).returning();
    const previous = row ? { ...row } : undefined;
    await appendAudit(tx, audit(previous));
    return previous;
  });
}
