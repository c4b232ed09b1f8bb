import { parseEnvelope, readStatement } from "@pancode/receipts";
import { z } from "zod";
import { fetchReceipt, verifyStoredReceipt } from "../../client/receipts/verify-receipt.js";
import { defineTool } from "../tool.js";

const id = z.string().min(1).describe("receipt id, run id, or unique run id prefix");

/** `get_receipt`: a run's signed receipt, decoded. */
export const getReceiptTool = defineTool({
  name: "get_receipt",
  description: "The signed receipt of a run: its in-toto statement (agent, image, model, task, base, patch, status).",
  input: { id },
  async run(args, { api }) {
    const receipt = await fetchReceipt(api, args.id);
    const envelope = parseEnvelope(receipt.body);
    return {
      receiptId: receipt.id,
      runId: receipt.runId,
      contentHash: receipt.contentHash,
      createdAt: receipt.createdAt,
      statement: readStatement(envelope),
      signatures: envelope.signatures.map((s) => s.keyid),
    };
  },
});

/** `verify_receipt`: checks a receipt's signatures, payload and patch against the cluster's keys. */
export const verifyReceiptTool = defineTool({
  name: "verify_receipt",
  description:
    "Verify a run's receipt: signatures against the cluster's published keys, payload hash, and the patch it names. " +
    "Returns PASS or TAMPERED with what failed.",
  input: { id },
  async run(args, { api }) {
    const { receipt, result } = await verifyStoredReceipt(api, args.id);
    return {
      verdict: result.ok ? "PASS" : "TAMPERED",
      receiptId: receipt.id,
      runId: receipt.runId,
      coordinatorOnly: result.coordinatorOnly,
      failures: result.failures,
    };
  },
});
