/**
 * @pancode/receipts: canonical JSON (RFC 8785) and content-hashed run receipts.
 *
 * ```ts
 * const receipt = createRunReceipt({ runId, attempt, workerId, parameters, results, createdAt });
 * verifyRunReceipt(receipt); // "PASS"
 * ```
 */
export { canonicalJson } from "./canonical-json.js";
export {
  createRunReceipt,
  RECEIPT_FORMAT,
  type ReceiptParameters,
  type ReceiptResults,
  type RunReceipt,
  verifyRunReceipt,
} from "./run-receipt.js";
