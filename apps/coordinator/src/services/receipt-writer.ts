import { randomUUID } from "node:crypto";
import { EMPTY_DIGEST, ModelTarget, PanCodeError, sha256Digest } from "@pancode/core";
import type { Database, RunRow } from "@pancode/db";
import {
  agentSpecDigest,
  canonicalJson,
  checkSignature,
  countersignRunReceipt,
  type DsseEnvelope,
  envelopePayload,
  IN_TOTO_PAYLOAD_TYPE,
  parseEnvelope,
  payloadHash,
  type RunReceiptPredicate,
  readStatement,
  type SigningKey,
  signRunReceipt,
  subjectsOf,
} from "@pancode/receipts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What a worker's statement must agree with: the completion it came with and the run's current attempt. */
export interface ExpectedStatement {
  runId: string;
  attempt: number;
  workerId: string;
  status: string;
  patchDigest: string;
  /** The run's batch or chain, step and previous step receipt; checked when given. */
  orchestration?: OrchestrationFacts;
}

/** Where a run belongs in a batch or chain, as its receipt records it ("" / 0 for plain dispatches). */
export interface OrchestrationFacts {
  batchId: string;
  chainId: string;
  step: number;
  /** Chain steps after the first: the content hash of the previous step's receipt (the hash chain). */
  previousReceiptDigest: string;
}

/** The batch/chain fields of a run's receipt; the previous step's receipt is read from the database. */
export async function orchestrationFactsOf(db: Database, run: RunRow): Promise<OrchestrationFacts> {
  let previousReceiptDigest = "";
  if (run.chainId && run.step > 1) {
    const previous = (await db.listRunsOf({ chainId: run.chainId })).find((r) => r.step === run.step - 1);
    const receipt = previous?.receiptId ? await db.getReceipt(previous.receiptId) : undefined;
    previousReceiptDigest = receipt?.contentHash ?? "";
  }
  return { batchId: run.batchId ?? "", chainId: run.chainId ?? "", step: run.step, previousReceiptDigest };
}

/**
 * Writes the signed receipt of a run that reached a terminal state. A worker's completion carries a DSSE envelope
 * the worker signed; the coordinator checks it against the worker's registered key and the run, then countersigns.
 * A run the coordinator ended itself (stop, lost worker, drain) gets a statement the coordinator builds and signs
 * alone, with `issuer: "coordinator"`, which verification accepts without a worker signature.
 */
export class ReceiptWriter {
  constructor(private readonly deps: { db: Database; key: SigningKey }) {}

  /**
   * Checks a worker-signed envelope before the completion is committed; INVALID_ARGUMENT naming what does not match.
   * A statement the coordinator cannot vouch for must not make it into a receipt.
   */
  async checkWorkerEnvelope(text: string, expected: ExpectedStatement): Promise<DsseEnvelope> {
    const envelope = parseEnvelope(text);
    const where = `receipt of run ${expected.runId} attempt ${expected.attempt}`;
    if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
      throw new PanCodeError("INVALID_ARGUMENT", `${where}: payload type must be ${IN_TOTO_PAYLOAD_TYPE}`);
    }
    const keys = (await this.deps.db.listKeys()).filter(
      (k) => k.role === "worker" && k.ownerId === expected.workerId && !k.revoked,
    );
    const signed = envelope.signatures.filter((s) => {
      const key = keys.find((k) => k.keyId === s.keyid);
      return key !== undefined && checkSignature(envelope, s, key.publicKeyPem);
    });
    if (signed.length !== 1 || envelope.signatures.length !== 1) {
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `${where}: must carry exactly one valid signature by a registered key of worker ${expected.workerId}`,
      );
    }
    const text8 = envelopePayload(envelope).toString("utf8");
    const statement = readStatement(envelope);
    if (canonicalJson(statement) !== text8) {
      throw new PanCodeError("INVALID_ARGUMENT", `${where}: payload is not canonical JSON (RFC 8785)`);
    }
    const p = statement.predicate;
    const mismatch: string[] = [];
    if (p.issuer !== "worker") mismatch.push("issuer");
    if (p.runId !== expected.runId) mismatch.push("runId");
    if (p.attempt !== expected.attempt) mismatch.push("attempt");
    if (p.workerId !== expected.workerId) mismatch.push("workerId");
    if (p.results?.status !== expected.status) mismatch.push("status");
    if (p.results?.patchDigest !== expected.patchDigest) mismatch.push("patchDigest");
    if (typeof p.receiptId !== "string" || !UUID.test(p.receiptId)) mismatch.push("receiptId");
    const o = expected.orchestration;
    if (o) {
      if (p.batchId !== o.batchId) mismatch.push("batchId");
      if (p.chainId !== o.chainId) mismatch.push("chainId");
      if (p.step !== o.step) mismatch.push("step");
      if (p.previousReceiptDigest !== o.previousReceiptDigest) mismatch.push("previousReceiptDigest");
    }
    if (mismatch.length === 0 && canonicalJson(statement.subject) !== canonicalJson(subjectsOf(p))) {
      mismatch.push("subject");
    }
    if (mismatch.length > 0) {
      throw new PanCodeError("INVALID_ARGUMENT", `${where}: statement does not match the run (${mismatch.join(", ")})`);
    }
    return envelope;
  }

  /** Countersigns a checked worker envelope and stores it as the run's receipt; returns the receipt id. */
  async writeWorkerReceipt(run: RunRow, envelope: DsseEnvelope): Promise<string> {
    return this.store(run, countersignRunReceipt(envelope, this.deps.key.privateKey));
  }

  /** Builds, signs and stores a coordinator-only receipt of a run no worker reported on; returns its id. */
  async writeCoordinatorReceipt(run: RunRow, imageDigest: string): Promise<string> {
    const facts = await orchestrationFactsOf(this.deps.db, run);
    return this.store(run, signRunReceipt(coordinatorPredicate(run, imageDigest, facts), this.deps.key.privateKey));
  }

  private async store(run: RunRow, envelope: DsseEnvelope): Promise<string> {
    const id = readStatement(envelope).predicate.receiptId;
    const contentHash = payloadHash(envelopePayload(envelope));
    await this.deps.db.setReceipt(run.id, { id, contentHash, body: JSON.stringify(envelope) });
    return id;
  }
}

/** The predicate of a run as the coordinator's database knows it. */
export function coordinatorPredicate(
  run: RunRow,
  imageDigest: string,
  facts: OrchestrationFacts = { batchId: "", chainId: "", step: 0, previousReceiptDigest: "" },
): RunReceiptPredicate {
  const durationMs =
    run.startedAt && run.finishedAt ? Math.max(0, run.finishedAt.getTime() - run.startedAt.getTime()) : 0;
  const agent = run.spec.agent;
  const model = ModelTarget.nullable()
    .catch(null)
    .parse(run.spec.model ?? null);
  return {
    receiptId: randomUUID(),
    issuer: "coordinator",
    runId: run.id,
    attempt: run.attempt,
    workerId: run.workerId,
    parameters: {
      task: run.task,
      taskHash: sha256Digest(run.task),
      agent: run.agent,
      agentSpecDigest: agentSpecDigest(agent),
      runtime: agent.runtime,
      image: agent.image,
      imageDigest,
      model: model?.ref ?? run.model,
      provider: model?.provider ?? "",
      mode: typeof run.spec.mode === "string" ? run.spec.mode : "build",
      ...(typeof run.spec.safety === "string" ? { safetyLevel: run.spec.safety } : {}),
      // The coordinator never saw the image the run used, so it cannot name the agent CLI's version.
      runtimeVersion: "",
      tools: [...agent.tools],
      parentRunId: run.parentRunId,
      depth: run.depth,
      readonly: agent.readonly,
      isolate: run.isolate,
      repoId: run.repoId,
      baseCommit: run.baseCommit,
      stateDigest: run.stateDigest,
    },
    results: {
      status: run.status,
      exitCode: run.exitCode,
      startedAt: run.startedAt?.toISOString() ?? "",
      finishedAt: run.finishedAt?.toISOString() ?? "",
      durationMs,
      tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
      costUsd: run.costUsd,
      outputHash: sha256Digest(run.outputTail),
      patchDigest: run.patchDigest || EMPTY_DIGEST,
      patchBytes: run.patchBytes,
      patchFiles: run.patchFiles.map((f) => f.path),
    },
    ...facts,
    createdAt: new Date().toISOString(),
  };
}
