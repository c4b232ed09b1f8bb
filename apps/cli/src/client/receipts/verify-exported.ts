import { readFile } from "node:fs/promises";
import { sha256Digest } from "@pancode/core";
import {
  type DsseEnvelope,
  type GroupStatement,
  isGroupEnvelope,
  parseEnvelope,
  readStatement,
  verifyGroupReceipt,
  verifyReceipt,
} from "@pancode/receipts";
import { readKeysFile, trustedKeys } from "../../receipt-keys.js";
import { UsageError } from "../exit-status.js";
import { groupOf, type StoredVerification } from "./verify-receipt.js";

/** An exported receipt to verify offline, and what it is checked against. */
export interface ExportedReceipt {
  /** The DSSE envelope file (`pancode receipt export`). */
  file: string;
  /** keys.json, as `pancode keys --json` prints it: the keys trusted to have signed. */
  keysPath: string;
  /** A run receipt: the patch file it must name. */
  patchPath?: string;
  /** A batch or chain receipt: its runs' exported receipts, in step order. */
  runFiles?: readonly string[];
}

/**
 * Verifies an exported receipt with no coordinator: signatures against the keys file, and the patch (a run receipt)
 * or the runs' receipts (a batch or chain receipt). An unreadable receipt or keys file is a usage error; an envelope
 * or run receipt that does not decode is a TAMPERED verdict. `runId`: the run a run receipt names, if it decodes.
 */
export async function verifyExportedReceipt(
  input: ExportedReceipt,
): Promise<{ runId: string | null; result: StoredVerification }> {
  const tampered = (failure: string) => ({
    runId: null,
    result: { ok: false, failures: [failure], coordinatorOnly: false },
  });
  const keys = trustedKeys(await readKeysFile(input.keysPath));
  let text: string;
  try {
    text = await readFile(input.file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read receipt file ${input.file}: ${(err as Error).message}`);
  }
  let envelope: DsseEnvelope;
  try {
    envelope = parseEnvelope(text);
  } catch (err) {
    return tampered(`envelope: ${(err as Error).message}`);
  }
  if (isGroupEnvelope(envelope)) {
    // A batch or chain receipt is checked together with its runs' exported receipts, in step order.
    const runs: DsseEnvelope[] = [];
    for (const file of input.runFiles ?? []) {
      try {
        runs.push(parseEnvelope(await readFile(file, "utf8")));
      } catch (err) {
        return tampered(`run receipt ${file}: ${(err as Error).message}`);
      }
    }
    const group = groupOf(JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8")) as GroupStatement);
    return { runId: null, result: { ...verifyGroupReceipt(envelope, runs, { keys }), coordinatorOnly: false, group } };
  }
  const expectedPatchDigest = input.patchPath ? sha256Digest(await readFile(input.patchPath)) : undefined;
  return { runId: runIdOf(envelope), result: verifyReceipt(envelope, { keys, expectedPatchDigest }) };
}

/** The run id an exported envelope names, if it decodes as a run receipt. */
function runIdOf(envelope: DsseEnvelope): string | null {
  try {
    return readStatement(envelope).predicate.runId;
  } catch (_err) {
    return null;
  }
}
