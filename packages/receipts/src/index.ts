/**
 * @pancode/receipts: signed, verifiable run receipts. A receipt is an in-toto Statement v1 (subjects: the run's
 * patch and workspace; predicate: parameters and results of the run) serialised as RFC 8785 canonical JSON and
 * carried in a DSSE envelope signed with Ed25519 by the worker and countersigned by the coordinator.
 *
 * ```ts
 * const worker = generateSigningKey();
 * const coordinator = generateSigningKey();
 * const envelope = countersignRunReceipt(signRunReceipt(predicate, worker.privateKey), coordinator.privateKey);
 * verifyReceipt(envelope, { keys: { [worker.keyId]: { publicKeyPem: worker.publicKeyPem, role: "worker" },
 *   [coordinator.keyId]: { publicKeyPem: coordinator.publicKeyPem, role: "coordinator" } } }); // { ok: true, ... }
 * ```
 */
export {
  type AttemptResult,
  type AttemptRun,
  addModelCall,
  attemptPredicate,
  differingFields,
  NO_MODEL_CALLS,
  receiptIdOf,
} from "./attempt-predicate.js";
export { canonicalJson } from "./canonical-json.js";
export {
  addSignature,
  checkSignature,
  type DsseEnvelope,
  type DsseSignature,
  envelopePayload,
  IN_TOTO_PAYLOAD_TYPE,
  keyIdOf,
  pae,
  parseEnvelope,
  signEnvelope,
} from "./dsse.js";
export {
  GROUP_PREDICATE_TYPE,
  type GroupReceiptPredicate,
  type GroupReceiptRun,
  type GroupStatement,
  groupSubjectsOf,
  signGroupReceipt,
} from "./group-statement.js";
export { countersignRunReceipt, readStatement, signRunReceipt } from "./run-envelope.js";
export { generateSigningKey, loadOrCreateSigningKey, type SigningKey, signingKeyOf } from "./signing-key.js";
export {
  agentSpecDigest,
  buildRunStatement,
  hexOf,
  payloadHash,
  RUN_PREDICATE_TYPE,
  type RunReceiptModelCalls,
  type RunReceiptParameters,
  type RunReceiptPredicate,
  type RunReceiptResults,
  type RunReceiptTokens,
  type RunStatement,
  STATEMENT_TYPE,
  type StatementSubject,
  statementPayload,
  subjectsOf,
  workspaceDigest,
} from "./statement.js";
export {
  type GroupRef,
  groupOf,
  type ReceiptSource,
  type StoredReceipt,
  type StoredVerification,
  verifyStoredReceipt,
} from "./stored-receipt.js";
export { isGroupEnvelope, type VerifyGroupResult, verifyGroupReceipt } from "./verify-group.js";
export {
  type TrustedKey,
  type VerifyReceiptOptions,
  type VerifyReceiptResult,
  verifyReceipt,
} from "./verify-receipt.js";
