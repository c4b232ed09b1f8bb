import { PanCodeError } from "@pancode/core";
import type { Database, ReceiptRow } from "@pancode/db";

/** The receipt store as the read side of receipts uses it. */
export type ReceiptStore = Pick<Database, "getReceipt" | "getGroupReceipt" | "listReceipts">;

/** Most receipts one listing returns. */
const MAX_LIST = 1000;
/** Receipts a listing returns when asked for no limit. */
const DEFAULT_LIST = 20;

/** Read side of receipts for clients: one by id, or the newest. */
export class ReceiptQueries {
  constructor(private readonly db: ReceiptStore) {}

  /** A run's receipt (by receipt id or run id), else a batch's or chain's (runId ""); NOT_FOUND. */
  async get(id: string): Promise<ReceiptRow> {
    const receipt = await this.db.getReceipt(id);
    if (receipt) return receipt;
    // Batch and chain receipts (by receipt id or batch/chain id) have no run.
    const group = await this.db.getGroupReceipt(id);
    if (group) return { ...group, runId: "" };
    throw new PanCodeError("NOT_FOUND", `no receipt with id or run id "${id}"`);
  }

  /** The newest receipts; `limit` <= 0 means the default of 20, and at most 1000. */
  list(limit: number): Promise<ReceiptRow[]> {
    return this.db.listReceipts(limit > 0 ? Math.min(limit, MAX_LIST) : DEFAULT_LIST);
  }
}
