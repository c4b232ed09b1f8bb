import { type DsseEnvelope, parseEnvelope } from "./dsse.js";
import type { GroupStatement } from "./group-statement.js";
import { isGroupEnvelope, verifyGroupReceipt } from "./verify-group.js";
import { type TrustedKey, type VerifyReceiptResult, verifyReceipt } from "./verify-receipt.js";

/** A receipt as the coordinator stores it (the fields of the wire's Receipt message that verification reads). */
export interface StoredReceipt {
  id: string;
  /** "" for a batch or chain receipt. */
  runId: string;
  /** The payload hash recorded when the receipt was written. */
  contentHash: string;
  /** The DSSE envelope, JSON. */
  body: string;
}

/**
 * Where a stored receipt and what it is checked against come from: the CLI reads them over gRPC, the coordinator's
 * HTTP API from its own client service. Both then verify with {@link verifyStoredReceipt}, the one implementation.
 */
export interface ReceiptSource<R extends StoredReceipt = StoredReceipt> {
  /** A receipt by receipt id, run id or unique run id prefix; NOT_FOUND otherwise. */
  receipt(id: string): Promise<R>;
  /** The cluster's published receipt-signing keys. */
  keys(): Promise<Record<string, TrustedKey>>;
  /** `sha256:<hex>` of the run's stored patch bytes. */
  patchDigest(runId: string): Promise<string>;
}

/** The batch or chain a group receipt is about, as far as its statement says. */
export interface GroupRef {
  kind: string;
  id: string;
}

/** What verifying a run or a batch/chain receipt tells: PASS or what failed, and which group for a group receipt. */
export type StoredVerification = Pick<VerifyReceiptResult, "ok" | "failures" | "coordinatorOnly"> & {
  group?: GroupRef;
};

/** The group a group statement names. */
export function groupOf(statement: Partial<GroupStatement>): GroupRef {
  return { kind: statement.predicate?.kind ?? "", id: statement.predicate?.id ?? "" };
}

/** A batch or chain receipt, checked with its runs' receipts fetched in the order it lists them. */
async function verifyGroupStored<R extends StoredReceipt>(
  source: ReceiptSource<R>,
  receipt: R,
  envelope: DsseEnvelope,
  keys: Record<string, TrustedKey>,
): Promise<{ label: string; result: StoredVerification }> {
  const statement = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8")) as Partial<GroupStatement>;
  const runs: DsseEnvelope[] = [];
  for (const listed of statement.predicate?.runs ?? []) {
    const runReceipt = await source.receipt(listed.receiptId || listed.runId);
    runs.push(parseEnvelope(runReceipt.body));
  }
  const result = verifyGroupReceipt(envelope, runs, { keys, expectedPayloadHash: receipt.contentHash });
  const label = `receipt ${receipt.id} (${statement.predicate?.kind ?? "group"} ${statement.predicate?.id ?? "?"}, ${runs.length} run receipt(s))`;
  return { label, result: { ...result, coordinatorOnly: false, group: groupOf(statement) } };
}

/**
 * Verifies a receipt held by the coordinator: signatures against `keys` (default: the cluster's published keys),
 * the payload against the stored content hash, and the patch named against the stored patch bytes.
 */
export async function verifyStoredReceipt<R extends StoredReceipt>(
  source: ReceiptSource<R>,
  id: string,
  keys?: Record<string, TrustedKey>,
): Promise<{ receipt: R; label: string; result: StoredVerification }> {
  const receipt = await source.receipt(id);
  const label = `receipt ${receipt.id} (run ${receipt.runId})`;
  const trusted = keys ?? (await source.keys());
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
  if (isGroupEnvelope(envelope)) return { receipt, ...(await verifyGroupStored(source, receipt, envelope, trusted)) };
  // The patch as the coordinator stores it, hashed here: a receipt must name exactly these bytes.
  const expectedPatchDigest = await source.patchDigest(receipt.runId);
  return {
    receipt,
    label,
    result: verifyReceipt(envelope, { keys: trusted, expectedPatchDigest, expectedPayloadHash: receipt.contentHash }),
  };
}
