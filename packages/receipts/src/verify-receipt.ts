import { canonicalJson } from "./canonical-json.js";
import { checkSignature, type DsseEnvelope, envelopePayload, IN_TOTO_PAYLOAD_TYPE } from "./dsse.js";
import { payloadHash, RUN_PREDICATE_TYPE, type RunStatement, STATEMENT_TYPE, subjectsOf } from "./statement.js";

/** A public key the verifier trusts, by key id. */
export interface TrustedKey {
  publicKeyPem: string;
  role: "worker" | "coordinator";
  /** Worker id (workers) or "coordinator"; when set, a worker signature must come from the worker the receipt names. */
  ownerId?: string;
  revoked?: boolean;
}

/** Options of {@link verifyReceipt}. */
export interface VerifyReceiptOptions {
  keys: Record<string, TrustedKey>;
  /** sha256 of the patch as stored by the coordinator; checked against the patch subject when given. */
  expectedPatchDigest?: string;
  /** Content hash recorded next to the receipt; checked against sha256 of the payload when given. */
  expectedPayloadHash?: string;
}

/** Outcome of {@link verifyReceipt}: ok only when `failures` is empty. */
export interface VerifyReceiptResult {
  ok: boolean;
  failures: string[];
  /** The decoded statement when the payload could be read (also when other checks failed). */
  statement?: RunStatement;
  /** True for a receipt of a run the coordinator ended itself: only a coordinator signature is required. */
  coordinatorOnly: boolean;
}

/**
 * The envelope's payload parsed as JSON, noting in `failures` a payload that is not JSON (then undefined) or not in
 * canonical form. Shared by run and group receipts.
 */
export function decodePayload(envelope: DsseEnvelope, failures: string[]): unknown {
  const text = envelopePayload(envelope).toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (_err) {
    failures.push("payload hash: the payload is not JSON");
    return undefined;
  }
  // A payload re-encoded in any other byte form (whitespace, key order) is not the one that was signed and hashed.
  if (canonicalJson(value) !== text) failures.push("payload hash: the payload is not canonical JSON (RFC 8785)");
  return value;
}

function decodeStatement(envelope: DsseEnvelope, failures: string[]): RunStatement | undefined {
  const value = decodePayload(envelope, failures);
  if (value === undefined) return undefined;
  const s = value as Partial<RunStatement> | null;
  if (
    !s ||
    s._type !== STATEMENT_TYPE ||
    s.predicateType !== RUN_PREDICATE_TYPE ||
    !s.predicate?.results ||
    !s.predicate.parameters
  ) {
    failures.push(`statement: not an in-toto Statement v1 with predicate ${RUN_PREDICATE_TYPE}`);
    return undefined;
  }
  return s as RunStatement;
}

/**
 * Verifies a receipt envelope with only public keys. Rules: every signature must be by a known, unrevoked key and
 * valid over the DSSE PAE bytes; exactly one valid coordinator signature is required, and exactly one valid
 * signature of the worker named in the predicate unless the predicate's issuer is "coordinator" (a run the
 * coordinator ended itself, so no worker ever reported; the coordinator's signature covers that flag). The
 * statement's subjects must match its predicate, and the patch digest the stored patch when one is given.
 */
export function verifyReceipt(envelope: DsseEnvelope, options: VerifyReceiptOptions): VerifyReceiptResult {
  const failures: string[] = [];
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) failures.push(`payload type: expected ${IN_TOTO_PAYLOAD_TYPE}`);
  if (options.expectedPayloadHash !== undefined) {
    if (payloadHash(envelopePayload(envelope)) !== options.expectedPayloadHash)
      failures.push("payload hash: does not match the recorded hash");
  }
  const statement = decodeStatement(envelope, failures);
  const predicate = statement?.predicate;
  const coordinatorOnly = predicate?.issuer === "coordinator";

  let workerSigs = 0;
  let coordinatorSigs = 0;
  let badWorker = false;
  let badCoordinator = false;
  for (const signature of envelope.signatures) {
    const key = options.keys[signature.keyid];
    if (!key) {
      failures.push(`unknown key ${signature.keyid}`);
      continue;
    }
    if (key.revoked) {
      failures.push(`revoked key ${signature.keyid}`);
      continue;
    }
    const valid = checkSignature(envelope, signature, key.publicKeyPem);
    if (key.role === "coordinator") {
      if (valid) coordinatorSigs++;
      else badCoordinator = true;
    } else if (valid && (!key.ownerId || !predicate || key.ownerId === predicate.workerId)) {
      workerSigs++;
    } else {
      badWorker = true;
    }
  }
  if (coordinatorSigs !== 1 || badCoordinator) {
    failures.push(
      `coordinator signature: ${badCoordinator ? "invalid" : `${coordinatorSigs} valid signatures, expected exactly 1`}`,
    );
  }
  const workersExpected = coordinatorOnly ? 0 : 1;
  if (workerSigs !== workersExpected || badWorker) {
    failures.push(
      `worker signature: ${badWorker ? "invalid or not by the receipt's worker" : `${workerSigs} valid signatures, expected exactly ${workersExpected}`}`,
    );
  }

  if (statement && predicate) {
    const expected = canonicalJson(subjectsOf(predicate));
    if (canonicalJson(statement.subject) !== expected) failures.push("subject: does not match the predicate");
    if (options.expectedPatchDigest !== undefined && predicate.results.patchDigest !== options.expectedPatchDigest) {
      failures.push("patch digest does not match the stored patch");
    }
  }
  return { ok: failures.length === 0, failures, statement, coordinatorOnly };
}
