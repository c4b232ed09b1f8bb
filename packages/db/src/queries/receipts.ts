import { PanCodeError } from "@pancode/core";
import { desc, eq, or } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import type { ReceiptRow } from "../rows.js";
import { receipts, runs } from "../schema/index.js";
import { toReceiptRow } from "./mappers.js";

/** A receipt to store for a run. */
export interface NewReceipt {
  id: string;
  contentHash: string;
  /** Canonical JSON, stored verbatim. */
  body: string;
}

/**
 * Stores the run's receipt and points `runs.receipt_id` at it, in one transaction. Storing the same receipt again
 * is a no-op (retries are safe); a different receipt for a run that already has one is ALREADY_EXISTS, and an
 * unknown run is NOT_FOUND.
 */
export async function setReceipt(db: DbHandle, runId: string, receipt: NewReceipt): Promise<void> {
  await db.transaction(async (tx) => {
    // Locks the run row first, so two concurrent setReceipt calls for one run serialise here.
    const [run] = await tx.select({ id: runs.id }).from(runs).where(eq(runs.id, runId)).for("update");
    if (!run) throw new PanCodeError("NOT_FOUND", `run not found: ${runId}`);
    const [existing] = await tx.select().from(receipts).where(eq(receipts.runId, runId));
    if (existing) {
      if (existing.id === receipt.id && existing.contentHash === receipt.contentHash) return;
      throw new PanCodeError("ALREADY_EXISTS", `run ${runId} already has receipt ${existing.id}`);
    }
    await tx.insert(receipts).values({ ...receipt, runId });
    await tx.update(runs).set({ receiptId: receipt.id }).where(eq(runs.id, runId));
  });
}

/**
 * The receipt of the run with this id, or else the receipt with this id. The run wins: a receipt whose id equals
 * some run's id (a legacy, worker-chosen id) must never shadow that run's own receipt.
 */
export async function getReceipt(db: DbHandle, idOrRunId: string): Promise<ReceiptRow | undefined> {
  const rows = await db
    .select()
    .from(receipts)
    .where(or(eq(receipts.id, idOrRunId), eq(receipts.runId, idOrRunId)));
  const row = rows.find((r) => r.runId === idOrRunId) ?? rows[0];
  return row ? toReceiptRow(row) : undefined;
}

/** Receipts, newest first. */
export async function listReceipts(db: DbHandle, limit: number): Promise<ReceiptRow[]> {
  const rows = await db.select().from(receipts).orderBy(desc(receipts.createdAt), desc(receipts.id)).limit(limit);
  return rows.map(toReceiptRow);
}
