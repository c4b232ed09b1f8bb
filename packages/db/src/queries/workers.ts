import { and, asc, eq, lt } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import type { WorkerRegistration, WorkerRow } from "../rows.js";
import { workers } from "../schema/index.js";
import { appendAudit, type NewAuditEntry } from "./audit.js";
import { toWorkerRow } from "./mappers.js";
import { preparedPer } from "./prepared.js";

/**
 * Registers a worker, or registers it again (status back to 'up', fields replaced, registration time renewed).
 * `audit` (the join's entry) is appended in the same transaction.
 */
export async function upsertWorker(db: DbHandle, w: WorkerRegistration, audit?: NewAuditEntry): Promise<void> {
  const at = w.at ?? new Date();
  const fields = {
    pool: w.pool,
    sandbox: w.sandbox,
    capacity: w.capacity,
    active: w.active ?? 0,
    version: w.version,
    registeredAt: at,
    lastHeartbeatAt: at,
    status: "up" as const,
  };
  await db.transaction(async (tx) => {
    await tx
      .insert(workers)
      .values({ id: w.id, ...fields })
      .onConflictDoUpdate({ target: workers.id, set: fields });
    if (audit) await appendAudit(tx, audit);
  });
}

/**
 * Records a heartbeat of an 'up' worker. Returns false when the worker is unknown or was marked gone: it must
 * register again (its runs may have been requeued meanwhile).
 */
export async function heartbeatWorker(db: DbHandle, id: string, active: number, at: Date): Promise<boolean> {
  const updated = await db
    .update(workers)
    .set({ active, lastHeartbeatAt: at })
    .where(and(eq(workers.id, id), eq(workers.status, "up")))
    .returning({ id: workers.id });
  return updated.length > 0;
}

const allWorkers = preparedPer((db) =>
  db.select().from(workers).orderBy(asc(workers.id)).prepare("pancode_all_workers"),
);

/** All known workers, 'up' and 'gone', by id. */
export async function listWorkers(db: DbHandle): Promise<WorkerRow[]> {
  const rows = await allWorkers(db).execute();
  return rows.map(toWorkerRow);
}

/**
 * Marks 'up' workers whose last heartbeat is before `staleBefore` as 'gone' and returns them; `audit` gives each
 * one's audit entry, appended in the same transaction.
 */
export async function markWorkersGone(
  db: DbHandle,
  staleBefore: Date,
  audit?: (w: WorkerRow) => NewAuditEntry,
): Promise<WorkerRow[]> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(workers)
      .set({ status: "gone" })
      .where(and(eq(workers.status, "up"), lt(workers.lastHeartbeatAt, staleBefore)))
      .returning();
    const gone = rows.map(toWorkerRow);
    if (audit) for (const w of gone) await appendAudit(tx, audit(w));
    return gone;
  });
}
