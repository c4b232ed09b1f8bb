import { createHash } from "node:crypto";
import { DIGEST_PREFIX, isPanCodeError } from "@pancode/core";
import type { ClientApi, Receipt } from "@pancode/proto";
import {
  type DsseEnvelope,
  type GroupStatement,
  isGroupEnvelope,
  parseEnvelope,
  type VerifyReceiptResult,
  verifyGroupReceipt,
  verifyReceipt,
} from "@pancode/receipts";
import { keysJson, trustedKeys } from "../../receipt-keys.js";

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

/** What verifying a run or a batch/chain receipt tells: PASS or what failed, and which group for a group receipt. */
export type StoredVerification = Pick<VerifyReceiptResult, "ok" | "failures" | "coordinatorOnly"> & {
  group?: GroupRef;
};

/** The batch or chain a group receipt is about, as far as its statement says. */
export interface GroupRef {
  kind: string;
  id: string;
}

/** The group a batch or chain receipt's statement names. */
export function groupOf(statement: Partial<GroupStatement>): GroupRef {
  return { kind: statement.predicate?.kind ?? "", id: statement.predicate?.id ?? "" };
}

/**
 * Verifies a receipt held by the coordinator: signatures against `keys` (default: the cluster's published keys),
 * the payload against the stored content hash, and the patch named against the stored patch bytes.
 */
export async function verifyStoredReceipt(
  api: ClientApi,
  id: string,
  keys?: ReturnType<typeof trustedKeys>,
): Promise<{ receipt: Receipt; label: string; result: StoredVerification }> {
  const receipt = await fetchReceipt(api, id);
  const label = `receipt ${receipt.id} (run ${receipt.runId})`;
  const trusted = keys ?? trustedKeys(keysJson(await api.getKeys()));
  let envelope: DsseEnvelope;
  try {
    envelope = parseEnvelope(receipt.body);
  } catch (err) {
    return {
      receipt,
      label,
      result: { ok: false, failures: [`envelope: ${(err as Error).message}`], coordinatorOnly: false },
    };
  }
  if (isGroupEnvelope(envelope)) return { receipt, ...(await verifyGroupStored(api, receipt, envelope, trusted)) };
  // The patch as the coordinator stores it, hashed here: a receipt must name exactly these bytes.
  const expectedPatchDigest = await patchDigest(api, receipt.runId);
  return {
    receipt,
    label,
    result: verifyReceipt(envelope, { keys: trusted, expectedPatchDigest, expectedPayloadHash: receipt.contentHash }),
  };
}

/** A batch or chain receipt, checked with its runs' receipts fetched in the order it lists them. */
async function verifyGroupStored(
  api: ClientApi,
  receipt: Receipt,
  envelope: DsseEnvelope,
  keys: ReturnType<typeof trustedKeys>,
): Promise<{ label: string; result: StoredVerification }> {
  const statement = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8")) as Partial<GroupStatement>;
  const runs: DsseEnvelope[] = [];
  for (const listed of statement.predicate?.runs ?? []) {
    const runReceipt = await fetchReceipt(api, listed.receiptId || listed.runId);
    runs.push(parseEnvelope(runReceipt.body));
  }
  const result = verifyGroupReceipt(envelope, runs, { keys, expectedPayloadHash: receipt.contentHash });
  const label = `receipt ${receipt.id} (${statement.predicate?.kind ?? "group"} ${statement.predicate?.id ?? "?"}, ${runs.length} run receipt(s))`;
  return { label, result: { ...result, coordinatorOnly: false, group: groupOf(statement) } };
}

/** The sha256 of a run's stored patch, hashed as it streams in (a large patch is never held whole). */
async function patchDigest(api: ClientApi, runId: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of api.fetchPatchChunks(runId)) hash.update(chunk);
  return `${DIGEST_PREFIX}${hash.digest("hex")}`;
}
