import type { KeyObject } from "node:crypto";
import { addSignature, type DsseEnvelope, envelopePayload, IN_TOTO_PAYLOAD_TYPE, signEnvelope } from "./dsse.js";
import { buildRunStatement, type RunReceiptPredicate, type RunStatement, statementPayload } from "./statement.js";

/** Builds the statement of a predicate and signs its canonical JSON as a DSSE envelope. */
export function signRunReceipt(predicate: RunReceiptPredicate, privateKey: KeyObject | string): DsseEnvelope {
  return signEnvelope(statementPayload(buildRunStatement(predicate)), IN_TOTO_PAYLOAD_TYPE, privateKey);
}

/** Countersigns an envelope (the coordinator, after checking the worker's statement). */
export function countersignRunReceipt(envelope: DsseEnvelope, privateKey: KeyObject | string): DsseEnvelope {
  return addSignature(envelope, privateKey);
}

/** The statement inside an envelope, parsed without any check (use verifyReceipt to trust it). */
export function readStatement(envelope: DsseEnvelope): RunStatement {
  return JSON.parse(envelopePayload(envelope).toString("utf8")) as RunStatement;
}
