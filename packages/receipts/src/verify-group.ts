import { canonicalJson } from "./canonical-json.js";
import { checkSignature, type DsseEnvelope, envelopePayload, IN_TOTO_PAYLOAD_TYPE } from "./dsse.js";
import { GROUP_PREDICATE_TYPE, type GroupStatement, groupSubjectsOf } from "./group-statement.js";
import { payloadHash, STATEMENT_TYPE } from "./statement.js";
import { decodePayload, type TrustedKey, verifyReceipt } from "./verify-receipt.js";

/** Outcome of {@link verifyGroupReceipt}: ok only when `failures` is empty. */
export interface VerifyGroupResult {
  ok: boolean;
  failures: string[];
  statement?: GroupStatement;
}

/** True when the envelope's payload is a group (batch or chain) statement. */
export function isGroupEnvelope(envelope: DsseEnvelope): boolean {
  try {
    const value = JSON.parse(envelopePayload(envelope).toString("utf8")) as { predicateType?: unknown };
    return value.predicateType === GROUP_PREDICATE_TYPE;
  } catch (_err) {
    return false;
  }
}

function decodeGroup(envelope: DsseEnvelope, failures: string[]): GroupStatement | undefined {
  const value = decodePayload(envelope, failures);
  if (value === undefined) return undefined;
  const s = value as Partial<GroupStatement> | null;
  if (
    !s ||
    s._type !== STATEMENT_TYPE ||
    s.predicateType !== GROUP_PREDICATE_TYPE ||
    !Array.isArray(s.predicate?.runs)
  ) {
    failures.push(`statement: not an in-toto Statement v1 with predicate ${GROUP_PREDICATE_TYPE}`);
    return undefined;
  }
  return s as GroupStatement;
}

/**
 * Verifies a batch or chain receipt together with its runs' receipts, with only public keys. The group envelope
 * needs exactly one valid signature, by a known, unrevoked coordinator key. The run receipts must be exactly the
 * ones it lists, in its order (by payload digest): a receipt removed, added, replaced or moved fails. Each run
 * receipt must itself verify and name this batch or chain and its step; in a chain, step k's
 * `previousReceiptDigest` must be the digest of step k-1's receipt (the hash chain), step 1's empty.
 */
export function verifyGroupReceipt(
  envelope: DsseEnvelope,
  runEnvelopes: readonly DsseEnvelope[],
  options: { keys: Record<string, TrustedKey>; expectedPayloadHash?: string },
): VerifyGroupResult {
  const failures: string[] = [];
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) failures.push(`payload type: expected ${IN_TOTO_PAYLOAD_TYPE}`);
  if (
    options.expectedPayloadHash !== undefined &&
    payloadHash(envelopePayload(envelope)) !== options.expectedPayloadHash
  ) {
    failures.push("payload hash: does not match the recorded hash");
  }
  const statement = decodeGroup(envelope, failures);
  let coordinatorSigs = 0;
  for (const signature of envelope.signatures) {
    const key = options.keys[signature.keyid];
    if (!key) failures.push(`unknown key ${signature.keyid}`);
    else if (key.revoked) failures.push(`revoked key ${signature.keyid}`);
    else if (key.role !== "coordinator") failures.push(`coordinator signature: key ${signature.keyid} is a worker key`);
    else if (checkSignature(envelope, signature, key.publicKeyPem)) coordinatorSigs++;
    else failures.push("coordinator signature: invalid");
  }
  if (coordinatorSigs !== 1)
    failures.push(`coordinator signature: ${coordinatorSigs} valid signatures, expected exactly 1`);
  if (!statement) return { ok: false, failures };
  const p = statement.predicate;
  if (canonicalJson(statement.subject) !== canonicalJson(groupSubjectsOf(p))) {
    failures.push("subject: does not match the predicate");
  }
  if (runEnvelopes.length !== p.runs.length) {
    failures.push(
      `${p.kind} receipt lists ${p.runs.length} run receipt(s), ${runEnvelopes.length} given (one removed or added)`,
    );
  }
  let previous = "";
  for (const [i, runEnvelope] of runEnvelopes.entries()) {
    const listed = p.runs[i];
    const digest = payloadHash(envelopePayload(runEnvelope));
    const run = verifyReceipt(runEnvelope, { keys: options.keys });
    const label = `step ${listed?.step ?? i + 1}`;
    for (const f of run.failures) failures.push(`${label}: ${f}`);
    if (listed && listed.receiptDigest !== digest) {
      failures.push(`${label}: receipt is not the one the ${p.kind} receipt lists there (removed or reordered)`);
    }
    const rp = run.statement?.predicate;
    if (rp && listed) {
      const owner = p.kind === "batch" ? rp.batchId : rp.chainId;
      if (owner !== p.id || rp.step !== listed.step || rp.runId !== listed.runId) {
        failures.push(
          `${label}: receipt names ${p.kind} ${owner || "-"} step ${rp.step}, not ${p.id} step ${listed.step}`,
        );
      }
      if (p.kind === "chain" && rp.previousReceiptDigest !== previous) {
        failures.push(`${label}: broken chain link (previous receipt digest does not match step ${i})`);
      }
    }
    previous = digest;
  }
  return { ok: failures.length === 0, failures, statement };
}
