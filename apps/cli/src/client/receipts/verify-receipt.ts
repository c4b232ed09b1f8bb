import { createHash } from "node:crypto";
import { DIGEST_PREFIX, isPanCodeError } from "@pancode/core";
import type { ClientApi, Receipt } from "@pancode/proto";
import { type ReceiptSource, verifyStoredReceipt as verifyStored } from "@pancode/receipts";
import { keysJson, trustedKeys } from "../../receipt-keys.js";

export { type GroupRef, groupOf, type StoredVerification } from "@pancode/receipts";

/** A receipt by receipt id, run id, or unique run id prefix. */
export async function fetchReceipt(api: ClientApi, id: string): Promise<Receipt> {
  try {
    return await api.getReceipt(id);
  } catch (err) {
    if (!isPanCodeError(err) || err.code !== "NOT_FOUND") throw err;
    const run = await api.getRun(id);
    if (!run.receiptId) throw err;
    return api.getReceipt(run.receiptId);
  }
}

/** The sha256 of a run's stored patch, hashed as it streams in (a large patch is never held whole). */
async function patchDigest(api: ClientApi, runId: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of api.fetchPatchChunks(runId)) hash.update(chunk);
  return `${DIGEST_PREFIX}${hash.digest("hex")}`;
}

/** The coordinator's receipts, keys and patches, read over gRPC as this CLI's caller. */
function receiptSource(api: ClientApi): ReceiptSource<Receipt> {
  return {
    receipt: (id) => fetchReceipt(api, id),
    keys: async () => trustedKeys(keysJson(await api.getKeys())),
    patchDigest: (runId) => patchDigest(api, runId),
  };
}

/**
 * Verifies a receipt held by the coordinator (signatures, stored payload hash, stored patch bytes) with the one
 * implementation in @pancode/receipts that the coordinator's HTTP API uses too.
 */
export function verifyStoredReceipt(api: ClientApi, id: string, keys?: ReturnType<typeof trustedKeys>) {
  return verifyStored(receiptSource(api), id, keys);
}
