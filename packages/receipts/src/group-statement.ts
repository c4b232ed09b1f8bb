import { canonicalJson } from "./canonical-json.js";
import { type DsseEnvelope, IN_TOTO_PAYLOAD_TYPE, signEnvelope } from "./dsse.js";
import { hexOf, STATEMENT_TYPE, type StatementSubject } from "./statement.js";

/** Predicate type of a batch or chain receipt. */
export const GROUP_PREDICATE_TYPE = "https://pancode.dev/receipt/group/v1";

/** One run of a batch or chain as its receipt lists it. */
export interface GroupReceiptRun {
  /** 1-based item (batch) or step (chain) number. */
  step: number;
  runId: string;
  receiptId: string;
  /** Content hash ("sha256:<hex>") of the run's receipt payload; "" when the run has no receipt. */
  receiptDigest: string;
}

/**
 * The predicate of a batch or chain receipt, built and signed by the coordinator when the batch or chain ended. Its
 * runs are listed in step order with their receipts' digests, so a verifier given the run receipts can tell one
 * removed, added or moved.
 */
export interface GroupReceiptPredicate {
  receiptId: string;
  kind: "batch" | "chain";
  /** Batch or chain id. */
  id: string;
  status: string;
  error: string;
  /** Chain: 1-based step that failed; 0 = none. */
  failedStep: number;
  costUsd: number;
  createdAt: string;
  finishedAt: string;
  runs: GroupReceiptRun[];
}

/** An in-toto Statement v1 carrying a group receipt predicate. */
export interface GroupStatement {
  _type: typeof STATEMENT_TYPE;
  subject: StatementSubject[];
  predicateType: typeof GROUP_PREDICATE_TYPE;
  predicate: GroupReceiptPredicate;
}

/** The subjects of a group receipt: each run's receipt, by step. */
export function groupSubjectsOf(predicate: GroupReceiptPredicate): StatementSubject[] {
  return predicate.runs.map((r) => ({
    name: `step-${r.step}:${r.runId}`,
    digest: { sha256: hexOf(r.receiptDigest) },
  }));
}

/** Builds the group statement and signs its canonical JSON (the coordinator's key). */
export function signGroupReceipt(predicate: GroupReceiptPredicate, privateKey: Parameters<typeof signEnvelope>[2]) {
  const statement: GroupStatement = {
    _type: STATEMENT_TYPE,
    subject: groupSubjectsOf(predicate),
    predicateType: GROUP_PREDICATE_TYPE,
    predicate,
  };
  return signEnvelope(canonicalJson(statement), IN_TOTO_PAYLOAD_TYPE, privateKey) satisfies DsseEnvelope;
}
