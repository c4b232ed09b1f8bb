import { eq, or } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import { batches, chains, groupReceipts } from "../schema/index.js";
import type { NewReceipt } from "./receipts.js";

/** A row of `group_receipts`. */
export interface GroupReceiptRow {
  id: string;
  kind: "batch" | "chain";
  groupId: string;
  contentHash: string;
  body: string;
  createdAt: Date;
}

/**
 * Stores the receipt of a batch or chain and points its row at it, in one transaction. A second receipt for the same
 * batch or chain is ignored (the first one stays: receipts are immutable).
 */
export async function setGroupReceipt(
  db: DbHandle,
  kind: "batch" | "chain",
  groupId: string,
  receipt: NewReceipt,
): Promise<void> {
  await db.transaction(async (tx) => {
    const inserted = await tx
      .insert(groupReceipts)
      .values({ ...receipt, kind, groupId })
      .onConflictDoNothing()
      .returning({ id: groupReceipts.id });
    if (inserted.length === 0) return;
    if (kind === "batch") await tx.update(batches).set({ receiptId: receipt.id }).where(eq(batches.id, groupId));
    else await tx.update(chains).set({ receiptId: receipt.id }).where(eq(chains.id, groupId));
  });
}

/** The group receipt with this id, or else the receipt of the batch or chain with this id. */
export async function getGroupReceipt(db: DbHandle, idOrGroupId: string): Promise<GroupReceiptRow | undefined> {
  const rows = await db
    .select()
    .from(groupReceipts)
    .where(or(eq(groupReceipts.id, idOrGroupId), eq(groupReceipts.groupId, idOrGroupId)));
  return rows.find((r) => r.id === idOrGroupId) ?? rows[0];
}
