import { and, asc, eq, isNull } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import type { SigningKeyRow } from "../rows.js";
import { signingKeys, workerIdentities } from "../schema/index.js";
import { appendAudit, type NewAuditEntry } from "./audit.js";

/** A key to record. */
export interface NewSigningKey {
  keyId: string;
  role: "worker" | "coordinator";
  ownerId: string;
  publicKeyPem: string;
}

/**
 * Records a public key; recording a known key id again is a no-op (a revoked key stays revoked, and its owner and
 * role never change, since the key id is the hash of the key itself).
 */
export async function recordKey(db: DbHandle, key: NewSigningKey): Promise<void> {
  await db.insert(signingKeys).values(key).onConflictDoNothing({ target: signingKeys.keyId });
}

/** Every key, oldest first. */
export async function listKeys(db: DbHandle): Promise<SigningKeyRow[]> {
  const rows = await db.select().from(signingKeys).orderBy(asc(signingKeys.createdAt), asc(signingKeys.keyId));
  return rows.map((r) => ({ ...r }));
}

/**
 * Marks a key revoked, and the worker identity bound to it; returns the key as it is now, or undefined when the key
 * id is unknown. The audit entry (if any) commits in the same transaction as the revocation.
 */
export async function revokeKey(
  db: DbHandle,
  keyId: string,
  audit?: (row: SigningKeyRow) => NewAuditEntry,
): Promise<SigningKeyRow | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx.update(signingKeys).set({ revoked: true }).where(eq(signingKeys.keyId, keyId)).returning();
    if (!row) return undefined;
    // The worker id bound to the key stays out, whatever key it comes back with, until an admin readmits it.
    await tx
      .update(workerIdentities)
      .set({ revokedAt: new Date() })
      .where(and(eq(workerIdentities.keyId, keyId), isNull(workerIdentities.revokedAt)));
    if (audit) await appendAudit(tx, audit({ ...row }));
    return { ...row };
  });
}
