import { PanCodeError } from "@pancode/core";
import { and, asc, desc, eq, inArray, like } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import type { BatchRow, NewBatch, OrchestrationStatus } from "../orchestration-rows.js";
import type { RunRow } from "../rows.js";
import { batches, runs } from "../schema/index.js";
import { escapeLike } from "./like.js";
import { toRunRow } from "./mappers.js";

/** Inserts a new batch (status running). */
export async function insertBatch(db: DbHandle, row: NewBatch): Promise<BatchRow> {
  const [inserted] = await db.insert(batches).values(row).returning();
  if (!inserted) throw new PanCodeError("INTERNAL", `insert of batch ${row.id} returned no row`);
  return inserted;
}

/** The batch with this id, or undefined. */
export async function getBatch(db: DbHandle, id: string): Promise<BatchRow | undefined> {
  const [row] = await db.select().from(batches).where(eq(batches.id, id));
  return row;
}

/** Batches whose id starts with `prefix`, newest first. */
export async function findBatchesByPrefix(db: DbHandle, prefix: string, limit = 2): Promise<BatchRow[]> {
  if (prefix === "") return [];
  return db
    .select()
    .from(batches)
    .where(like(batches.id, `${escapeLike(prefix)}%`))
    .orderBy(desc(batches.createdAt))
    .limit(limit);
}

/** Newest batches first. */
export async function listBatches(db: DbHandle, limit: number): Promise<BatchRow[]> {
  return db.select().from(batches).orderBy(desc(batches.createdAt), desc(batches.id)).limit(limit);
}

/** Batches still running, oldest first (what the scheduler resumes after a restart). */
export async function listRunningBatches(db: DbHandle): Promise<BatchRow[]> {
  return db.select().from(batches).where(eq(batches.status, "running")).orderBy(asc(batches.createdAt));
}

/** Records that admission refused item `index` (0-based) of a batch. */
export async function setBatchItemError(db: DbHandle, id: string, index: number, error: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx.select().from(batches).where(eq(batches.id, id)).for("update");
    if (!row) throw new PanCodeError("NOT_FOUND", `batch not found: ${id}`);
    const items = row.items.map((item, i) => (i === index ? { ...item, error } : item));
    await tx.update(batches).set({ items }).where(eq(batches.id, id));
  });
}

/**
 * Ends a running batch with `status`; returns the updated row, or undefined when it was no longer running (so of
 * concurrent callers exactly one ends it).
 */
export async function finishBatch(
  db: DbHandle,
  id: string,
  status: Exclude<OrchestrationStatus, "running">,
  error: string,
): Promise<BatchRow | undefined> {
  const [row] = await db
    .update(batches)
    .set({ status, error, finishedAt: new Date() })
    .where(and(eq(batches.id, id), eq(batches.status, "running")))
    .returning();
  return row;
}

/** Deletes a batch whose first item was refused (nothing else refers to it yet). */
export async function deleteBatch(db: DbHandle, id: string): Promise<void> {
  await db.delete(batches).where(eq(batches.id, id));
}

/** Sets the batch's receipt id. */
export async function setBatchReceipt(db: DbHandle, id: string, receiptId: string): Promise<void> {
  await db.update(batches).set({ receiptId }).where(eq(batches.id, id));
}

/** The runs of a batch or chain, by step. */
export async function listRunsOf(db: DbHandle, of: { batchId: string } | { chainId: string }): Promise<RunRow[]> {
  const where = "batchId" in of ? eq(runs.batchId, of.batchId) : eq(runs.chainId, of.chainId);
  const rows = await db.select().from(runs).where(where).orderBy(asc(runs.step));
  return rows.map(toRunRow);
}

/** The submitter's most recently created run that is still pending or running. */
export async function latestActiveRunOf(db: DbHandle, submitter: string): Promise<RunRow | undefined> {
  const [row] = await db
    .select()
    .from(runs)
    .where(and(eq(runs.submitter, submitter), inArray(runs.status, ["pending", "running"])))
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(1);
  return row ? toRunRow(row) : undefined;
}
